//! The built provider, asked for its schema the way Terraform asks: started with go-plugin's
//! handshake and AutoMTLS, then `GetProviderSchema` over gRPC, then `Shutdown`.

use std::path::Path;
use std::time::{Duration, Instant};

use tfplugin::client::{ClientIdentity, launch};
use tfplugin::proto::get_provider_schema::Response;
use tfplugin::proto::go_plugin::Empty;
use tfplugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::{get_provider_schema, provider_client::ProviderClient};

pub fn provider_schema(binary: &Path) -> Result<Response, String> {
    let identity = ClientIdentity::generate().map_err(|e| e.to_string())?;
    let (mut child, handshake) =
        launch(binary, &identity).map_err(|e| format!("{}: {e}", binary.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let schema = runtime.block_on(async {
        let channel = handshake
            .connect(Some(&identity))
            .await
            .map_err(|e| e.to_string())?;
        let response = ProviderClient::new(channel.clone())
            .get_provider_schema(get_provider_schema::Request {})
            .await
            .map_err(|e| format!("GetProviderSchema: {e}"))?
            .into_inner();
        // Terraform ends a plugin this way; a failure here only means it is gone already.
        let _ = GrpcControllerClient::new(channel).shutdown(Empty {}).await;
        Ok::<_, String>(response)
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let schema = schema?;
    let error = tfplugin::proto::diagnostic::Severity::Error as i32;
    if let Some(error) = schema.diagnostics.iter().find(|d| d.severity == error) {
        return Err(format!(
            "the provider's schema has diagnostics: {}: {}",
            error.summary, error.detail
        ));
    }
    Ok(schema)
}
