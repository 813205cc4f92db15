//! Azure Resource Manager client. Knows nothing of Terraform.
//!
//! - [`Cloud`]: endpoints (public, US Government, China, or overridden for an emulator).
//! - [`auth`]: settings → [`TokenSource`] (the sign-in flows azurerm accepts, spoken by
//!   [`entra`] and [`certificate`]), cached until near expiry.
//! - [`http`]: the one reqwest client (rustls + aws-lc-rs; platform roots + `SSL_CERT_FILE`).
//! - [`ArmClient`]: `get`/`get_cached`/`list`/`put`/`patch`/`delete`/`post`, with retries,
//!   long-running operations ([`lro`]), deadlines and cancellation ([`CallContext`]).
//! - [`models`]: typed bodies of the resources the provider reads and writes; [`ResourceId`].
//!
//! ```no_run
//! # async fn demo(settings: terraform_provider_amlsecure::arm::ArmSettings) -> Result<(), terraform_provider_amlsecure::arm::ArmError> {
//! use terraform_provider_amlsecure::arm::{self, api_version, models, CallContext};
//! let client = arm::connect(&settings).await?;
//! let ctx = CallContext::background().with_timeout(std::time::Duration::from_secs(1800));
//! let subnet: models::Subnet = client
//!     .get_cached(&ctx, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a", api_version::NETWORK)
//!     .await?;
//! # let _ = subnet; Ok(()) }
//! ```

pub mod api_version;
pub mod auth;
mod cache;
pub mod certificate;
pub mod client;
pub mod cloud;
pub mod context;
pub mod entra;
pub mod error;
pub mod http;
mod limiter;
pub mod lro;
pub mod models;
pub mod resource_id;
mod retry;
pub mod secret;
mod writes;

#[cfg(test)]
mod tests;

pub use auth::{
    AccessToken, AuthMethod, AuthSettings, CachingTokenSource, CertificateSource,
    StaticTokenSource, TokenSource,
};
pub use client::{ArmClient, ArmClientOptions, ArmResponse};
pub use cloud::Cloud;
pub use context::{CallContext, cancel_on};
pub use error::{ArmError, ErrorDetail, OperationProgress};
pub use http::HttpSettings;
pub use resource_id::{ResourceId, ResourceIdError};
pub use retry::{PollPolicy, RetryPolicy};
pub use secret::Secret;

pub use tokio_util::sync::CancellationToken;

use std::sync::Arc;

/// Everything needed to build an [`ArmClient`]: the provider's configuration, Terraform-free.
#[derive(Debug, Clone, Default)]
pub struct ArmSettings {
    pub cloud: Cloud,
    /// Read the cloud's endpoints from this host's `/metadata/endpoints` instead of
    /// [`ArmSettings::cloud`] (with `environment` naming the entry, when given).
    pub metadata_host: Option<(String, Option<String>)>,
    pub auth: AuthSettings,
    pub http: HttpSettings,
    pub client: ArmClientOptions,
}

/// Builds the HTTP client, the cloud (reading the metadata host when one is set), the
/// credential and the ARM client from settings.
pub async fn connect(settings: &ArmSettings) -> Result<ArmClient, ArmError> {
    let http = http::build_http_client(&settings.http)?;
    let cloud = match &settings.metadata_host {
        Some((host, environment)) => {
            Cloud::from_metadata_host(&http, host, environment.as_deref()).await?
        }
        None => settings.cloud.clone(),
    };
    let token = auth::token_source(&settings.auth, &cloud, &http, &settings.http)?;
    Ok(ArmClient::new(http, &cloud, token, settings.client.clone()))
}

/// Like [`connect`], with a given token source instead of the settings' credential (tests,
/// or an emulator that accepts any token).
pub fn connect_with_token(
    settings: &ArmSettings,
    token: Arc<dyn TokenSource>,
) -> Result<ArmClient, ArmError> {
    let http = http::build_http_client(&settings.http)?;
    Ok(ArmClient::new(
        http,
        &settings.cloud,
        token,
        settings.client.clone(),
    ))
}
