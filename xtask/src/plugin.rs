//! The built provider, asked about itself the way Terraform asks: started with go-plugin's
//! handshake and AutoMTLS, then `GetProviderSchema` and `GetResourceIdentitySchemas` over
//! gRPC, then `Shutdown`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use tfplugin::client::{ClientIdentity, launch};
use tfplugin::proto::go_plugin::Empty;
use tfplugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::{
    self, Diagnostic, ResourceIdentitySchema, get_provider_schema, get_resource_identity_schemas,
    provider_client::ProviderClient,
};

/// What the provider tells Terraform before any configuration: its schemas (resources,
/// data sources, list resources, functions, the provider block) and its resources' identities.
pub struct ProviderSchemas {
    pub schema: get_provider_schema::Response,
    /// Identity schema by resource type (Terraform 1.12 and later).
    pub identities: HashMap<String, ResourceIdentitySchema>,
}

pub fn provider_schemas(binary: &Path) -> Result<ProviderSchemas, String> {
    let identity = ClientIdentity::generate().map_err(|e| e.to_string())?;
    let (mut child, handshake) =
        launch(binary, &identity).map_err(|e| format!("{}: {e}", binary.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let answers = runtime.block_on(async {
        let channel = handshake
            .connect(Some(&identity))
            .await
            .map_err(|e| e.to_string())?;
        let mut provider = ProviderClient::new(channel.clone());
        let schema = provider
            .get_provider_schema(get_provider_schema::Request {})
            .await
            .map_err(|e| format!("GetProviderSchema: {e}"))?
            .into_inner();
        let identities = provider
            .get_resource_identity_schemas(get_resource_identity_schemas::Request {})
            .await
            .map_err(|e| format!("GetResourceIdentitySchemas: {e}"))?
            .into_inner();
        // Terraform ends a plugin this way; a failure here only means it is gone already.
        let _ = GrpcControllerClient::new(channel).shutdown(Empty {}).await;
        Ok::<_, String>((schema, identities))
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
    let (schema, identities) = answers?;
    refuse_errors("GetProviderSchema", &schema.diagnostics)?;
    refuse_errors("GetResourceIdentitySchemas", &identities.diagnostics)?;
    Ok(ProviderSchemas {
        schema,
        identities: identities.identity_schemas,
    })
}

fn refuse_errors(call: &str, diagnostics: &[Diagnostic]) -> Result<(), String> {
    let error = proto::diagnostic::Severity::Error as i32;
    match diagnostics.iter().find(|d| d.severity == error) {
        Some(error) => Err(format!(
            "{call} answered with an error: {}: {}",
            error.summary, error.detail
        )),
        None => Ok(()),
    }
}
