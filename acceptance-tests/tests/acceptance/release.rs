//! The release as users install it: `cargo xtask release` for this machine's platform (around
//! the development build, see [`build_release`]), its archive served by a filesystem mirror,
//! and a plain `terraform init` (no `dev_overrides`) that installs it, records its hashes in
//! the lock file and then refuses an archive that differs; the installed binary then plans an
//! example against the emulator, naming its own and Terraform's versions in the User-Agent.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use amlsecure_acceptance_tests::azure::Azure;
use amlsecure_acceptance_tests::{TestDir, workspace_root};
use base64::Engine;
use sha2::{Digest, Sha256};

const SOURCE: &str = "registry.terraform.io/amlsecure/amlsecure";

/// `<os>_<arch>` of this machine, as Terraform names platforms.
fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files of a zip archive, by name (enough of the format for the release's archives).
fn unzip(zip: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let u16_at = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(zip[at..at + 4].try_into().unwrap()) as usize;
    let end = zip.len() - 22;
    assert_eq!(u32_at(end), 0x0605_4b50, "no end of central directory");
    let mut files = BTreeMap::new();
    let mut at = u32_at(end + 16);
    for _ in 0..u16_at(end + 10) {
        assert_eq!(u32_at(at), 0x0201_4b50);
        let (method, compressed) = (u16_at(at + 10), u32_at(at + 20));
        let name_len = u16_at(at + 28);
        let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap();
        let local = u32_at(at + 42);
        let data = local + 30 + u16_at(local + 26) + u16_at(local + 28);
        let raw = &zip[data..data + compressed];
        let content = match method {
            0 => raw.to_vec(),
            8 => {
                let mut inflated = Vec::new();
                flate2::read::DeflateDecoder::new(raw)
                    .read_to_end(&mut inflated)
                    .unwrap();
                inflated
            }
            other => panic!("{name}: compression method {other}"),
        };
        assert_eq!(
            crc32fast::hash(&content),
            u32_at(at + 16) as u32,
            "{name}: CRC"
        );
        files.insert(name, content);
        at += 46 + name_len + u16_at(at + 30) + u16_at(at + 32);
    }
    files
}

/// A zip of `files`, stored uncompressed.
fn zip_stored(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let crc = crc32fast::hash(data);
        let size = data.len() as u32;
        let fields = |with: &mut Vec<u8>| {
            with.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // flags, method (stored), time
            with.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
            for v in [crc, size, size] {
                with.extend_from_slice(&v.to_le_bytes());
            }
            with.extend_from_slice(&(name.len() as u16).to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        fields(&mut out);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        fields(&mut central);
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&((0o100_755u32) << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    let count = files.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// Terraform's `h1:` hash of a provider package: SHA-256 over the sorted lines
/// "<sha256 of file>  <name>" of its files.
fn h1(files: &BTreeMap<String, Vec<u8>>) -> String {
    let summary: String = files
        .iter()
        .map(|(name, data)| format!("{}  {name}\n", sha256_hex(data)))
        .collect();
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

/// `cargo xtask release --profile dev --platform <this machine's>` into a new folder: the
/// release code (archive, SHA256SUMS, manifest) around the development build of the provider,
/// the binary the other tests run. An optimised build would cost the suite minutes of CPU (its
/// own copy of every dependency, thin LTO) to check what only `make release` ships: the
/// compiler's optimisation, stripping and path remapping. Everything a user's `terraform init`
/// meets (names, layout, hashes, the manifest, the binary's handshake and plan) is the same.
fn build_release() -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["run", "--quiet", "--locked", "--bin", "xtask", "--"])
        .args([
            "release",
            "--profile",
            "dev",
            "--platform",
            &platform(),
            "--out",
        ])
        .arg(out.path())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo xtask release failed");
    let path = out.path().to_path_buf();
    (out, path)
}

#[test]
fn the_release_installs_from_a_mirror_with_locked_hashes_and_plans() {
    let (_keep, dist) = build_release();
    let names: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let sums_name = names
        .iter()
        .find(|n| n.ends_with("_SHA256SUMS"))
        .expect("a SHA256SUMS file");
    let version = sums_name
        .strip_prefix("terraform-provider-amlsecure_")
        .and_then(|rest| rest.strip_suffix("_SHA256SUMS"))
        .unwrap()
        .to_owned();
    let zip_name = format!("terraform-provider-amlsecure_{version}_{}.zip", platform());
    let manifest_name = format!("terraform-provider-amlsecure_{version}_manifest.json");

    // SHA256SUMS lists the archive and the manifest, with their true digests.
    let sums = std::fs::read_to_string(dist.join(sums_name)).unwrap();
    let zip = std::fs::read(dist.join(&zip_name)).unwrap();
    assert!(
        sums.contains(&format!("{}  {zip_name}\n", sha256_hex(&zip))),
        "{sums}"
    );
    let manifest = std::fs::read(dist.join(&manifest_name)).unwrap();
    assert!(sums.contains(&format!("{}  {manifest_name}\n", sha256_hex(&manifest))));
    assert_eq!(
        manifest,
        std::fs::read(workspace_root().join("terraform-registry-manifest.json")).unwrap()
    );
    let files = unzip(&zip);
    let binary = format!("terraform-provider-amlsecure_v{version}");
    assert!(files.contains_key(&binary), "{:?}", files.keys());

    // The mirror, in the packed layout Terraform reads, and a CLI configuration that uses it
    // for amlsecure and nothing else.
    let mirror = tempfile::tempdir().unwrap();
    let packages = mirror.path().join(SOURCE);
    std::fs::create_dir_all(&packages).unwrap();
    std::fs::copy(dist.join(&zip_name), packages.join(&zip_name)).unwrap();
    let dir = TestDir::with_cli_config(&format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{SOURCE}\"]\n  }}\n  direct {{\n    exclude = [\"{SOURCE}\"]\n  }}\n}}\n",
        mirror.path().display()
    ))
    .with_example("resources/amlsecure_compute_cluster");

    let init = dir.run(&["init", "-input=false"]).success();
    let output = init.all_output();
    assert!(!output.contains("development overrides"), "{output}");
    assert!(
        output.contains(&format!("Installed amlsecure/amlsecure v{version}")),
        "{output}"
    );
    let lock = std::fs::read_to_string(dir.path().join(".terraform.lock.hcl")).unwrap();
    assert!(lock.contains(&format!("provider \"{SOURCE}\"")), "{lock}");
    assert!(lock.contains(&format!("version = \"{version}\"")), "{lock}");
    assert!(
        lock.contains(&h1(&files)),
        "lock lacks {}:\n{lock}",
        h1(&files)
    );
    for zh in lock
        .match_indices("zh:")
        .map(|(at, _)| &lock[at + 3..at + 67])
    {
        assert!(sums.contains(zh), "zh:{zh} is not in SHA256SUMS");
    }
    let installed = dir.path().join(format!(
        ".terraform/providers/{SOURCE}/{version}/{}/{binary}",
        platform()
    ));
    assert_eq!(std::fs::read(&installed).unwrap(), files[&binary]);

    // An archive with other contents under the same name: the lock file stops it.
    let mut tampered = files.clone();
    tampered
        .get_mut(&binary)
        .unwrap()
        .extend_from_slice(b"\0tampered");
    std::fs::write(packages.join(&zip_name), zip_stored(&tampered)).unwrap();
    assert_eq!(unzip(&zip_stored(&tampered)), tampered);
    std::fs::remove_dir_all(dir.path().join(".terraform")).unwrap();
    let refused = dir.run(&["init", "-input=false"]);
    let output = refused.all_output();
    assert_ne!(
        refused.code, 0,
        "a tampered archive was installed:\n{output}"
    );
    assert!(
        output.contains("checksums previously recorded in the dependency lock file"),
        "{output}"
    );

    // The real archive again: the installed provider plans the example against the emulator.
    std::fs::copy(dist.join(&zip_name), packages.join(&zip_name)).unwrap();
    dir.run(&["init", "-input=false"]).success();
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push(("TF_VAR_subnet_id", topology.training_subnet_id.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let plan = dir.run_with_env(&["plan", "-input=false"], &env).success();
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.all_output()
    );
    let traffic = std::fs::read_to_string(azure.log_file()).unwrap();
    let agent = format!("terraform-provider-amlsecure/{version} Terraform/1.");
    assert!(
        traffic.contains(&agent),
        "no request with User-Agent {agent}..."
    );
}
