//! The built binary as Terraform meets it: started with go-plugin's environment, it prints
//! the handshake line, serves only the client certificate it was given, and exits when told.

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use tfplugin::client::{ClientIdentity, Handshake, launch};
use tfplugin::handshake::MAGIC_COOKIE_VALUE as MAGIC_COOKIE;
use tfplugin::proto::go_plugin::Empty;
use tfplugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::{get_provider_schema, provider_client::ProviderClient};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-amlsecure");

#[test]
fn run_by_hand_it_explains_and_fails() {
    let output = Command::new(BINARY)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Terraform provider plugin"), "{stderr}");
}

#[test]
fn refuses_terraform_without_protocol_six() {
    let output = Command::new(BINARY)
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Upgrade Terraform"));
}

struct Plugin {
    child: Child,
    handshake: Handshake,
}

fn start(identity: &ClientIdentity) -> Plugin {
    let (child, handshake) = launch(Path::new(BINARY), identity).unwrap_or_else(|e| panic!("{e}"));
    assert!(handshake.address.ip().is_loopback());
    assert!(handshake.server_certificate.is_some(), "AutoMTLS expected");
    Plugin { child, handshake }
}

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("the plugin did not exit after Shutdown");
}

/// A connection attempt that must not reach the provider: refused at the TLS handshake,
/// or the first call fails.
async fn assert_refused(handshake: &Handshake, identity: Option<&ClientIdentity>, who: &str) {
    if let Ok(channel) = handshake.connect(identity).await {
        let call = ProviderClient::new(channel)
            .get_provider_schema(get_provider_schema::Request {})
            .await;
        assert!(call.is_err(), "{who} was served");
    }
}

#[tokio::test]
async fn serves_only_the_announced_client_and_shuts_down_cleanly() {
    let identity = ClientIdentity::generate().unwrap();
    let mut plugin = start(&identity);

    let channel = plugin.handshake.connect(Some(&identity)).await.unwrap();
    let schema = ProviderClient::new(channel.clone())
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.functions.contains_key("usable_ips"));

    let stranger = ClientIdentity::generate().unwrap();
    assert_refused(
        &plugin.handshake,
        Some(&stranger),
        "a stranger's certificate",
    )
    .await;
    assert_refused(&plugin.handshake, None, "a client without certificate").await;

    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    assert!(wait_for_exit(&mut plugin.child).success());
}
