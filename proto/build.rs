//! Compiles the protocol definitions with protox (pure Rust), so building needs no `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["tfplugin6.proto", "go-plugin.proto"];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["."])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // RPCs a provider does not serve answer `Unimplemented`, which Terraform expects
        // of optional ones (ephemeral and list resources, actions, state moves).
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
