//! Credentials: settings → a [`TokenSource`] that hands out cached ARM bearer tokens.
//!
//! Every sign-in that talks to Entra or a managed identity endpoint is spoken directly
//! ([`super::entra`]), through the one HTTP client, so endpoints are configuration (an
//! emulator in tests) and errors keep Entra's words. Only the Azure CLI goes through
//! `azure_identity`, which runs `az account get-access-token`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use azure_identity::{AzureCliCredential, AzureCliCredentialOptions};
use reqwest::Url;
use tokio::sync::Mutex;

use super::certificate::{self, ClientCertificate};
use super::entra::{
    self, AssertionSource, ClientCredentials, IdentityEndpoint, ManagedIdentity, Proof,
};
use super::{ArmError, Cloud, HttpSettings, Secret};

/// A bearer token and when it expires.
#[derive(Clone)]
pub struct AccessToken {
    pub token: Secret,
    pub expires_on: SystemTime,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// Something that produces ARM bearer tokens.
#[async_trait]
pub trait TokenSource: Send + Sync + fmt::Debug {
    async fn token(&self) -> Result<AccessToken, ArmError>;

    /// Tokens for auxiliary tenants, sent beside the main one (none by default).
    async fn auxiliary_tokens(&self) -> Result<Vec<AccessToken>, ArmError> {
        Ok(Vec::new())
    }

    /// ARM refused `token` (revoked, or expired earlier than it said): never hand it out
    /// again. Sources that keep no token have nothing to forget.
    async fn rejected(&self, _token: &AccessToken) {}
}

/// A fixed token (tests, or an emulator that accepts anything).
#[derive(Debug, Clone)]
pub struct StaticTokenSource(pub Secret);

#[async_trait]
impl TokenSource for StaticTokenSource {
    async fn token(&self) -> Result<AccessToken, ArmError> {
        Ok(AccessToken {
            token: self.0.clone(),
            expires_on: SystemTime::now() + Duration::from_secs(3600),
        })
    }
}

/// Caches another source's token until `refresh_margin` (default 5 minutes) before it
/// expires. Concurrent callers wait for one refresh instead of each fetching.
#[derive(Debug)]
pub struct CachingTokenSource<S> {
    inner: S,
    refresh_margin: Duration,
    cached: Mutex<Option<AccessToken>>,
}

impl<S: TokenSource> CachingTokenSource<S> {
    pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

    pub fn new(inner: S) -> Self {
        Self::with_refresh_margin(inner, Self::DEFAULT_REFRESH_MARGIN)
    }

    pub fn with_refresh_margin(inner: S, refresh_margin: Duration) -> Self {
        Self {
            inner,
            refresh_margin,
            cached: Mutex::new(None),
        }
    }
}

#[async_trait]
impl<S: TokenSource> TokenSource for CachingTokenSource<S> {
    async fn token(&self) -> Result<AccessToken, ArmError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && SystemTime::now() + self.refresh_margin < token.expires_on
        {
            return Ok(token.clone());
        }
        let fresh = self.inner.token().await?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    async fn rejected(&self, token: &AccessToken) {
        let mut cached = self.cached.lock().await;
        // Concurrent callers may report the same token; keep a newer one already fetched.
        if cached.as_ref().is_some_and(|c| c.token == token.token) {
            *cached = None;
        }
        self.inner.rejected(token).await;
    }
}

/// Which way of authenticating [`AuthSettings`] selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientCertificate,
    ClientSecret,
    OidcToken,
    OidcTokenFile,
    AzureDevOpsOidc,
    GitHubActionsOidc,
    ManagedIdentity,
    AzureCli,
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMethod::ClientCertificate => "client certificate",
            AuthMethod::ClientSecret => "client secret",
            AuthMethod::OidcToken => "OIDC token (oidc_token)",
            AuthMethod::OidcTokenFile => "OIDC token file",
            AuthMethod::AzureDevOpsOidc => "OIDC (Azure DevOps service connection)",
            AuthMethod::GitHubActionsOidc => "OIDC (GitHub Actions)",
            AuthMethod::ManagedIdentity => "managed identity",
            AuthMethod::AzureCli => "Azure CLI",
        })
    }
}

/// A client certificate: a PFX or PEM file, or its bytes in base64.
#[derive(Debug, Clone)]
pub enum CertificateSource {
    Path(PathBuf),
    Base64(Secret),
}

/// How to authenticate, with every environment fallback already applied. `Debug` never
/// shows a secret.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub client_certificate: Option<CertificateSource>,
    pub client_certificate_password: Option<Secret>,
    /// Sign in with a federated (OIDC) token: a value, a file, Azure DevOps or GitHub Actions.
    pub use_oidc: bool,
    pub oidc_token: Option<Secret>,
    pub oidc_token_file_path: Option<PathBuf>,
    pub oidc_request_token: Option<Secret>,
    pub oidc_request_url: Option<String>,
    pub ado_service_connection_id: Option<String>,
    /// Sign in with a managed identity.
    pub use_msi: bool,
    /// The metadata service's token URL; defaults to the address Azure VMs answer on.
    pub msi_endpoint: Option<String>,
    /// `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` (App Service, Functions, Container Apps),
    /// used instead of the metadata service when present.
    pub app_service_identity: Option<(String, Secret)>,
    /// Use `az account get-access-token` (default true).
    pub use_cli: bool,
    /// Tenants to also sign in to, for resources that span tenants (sent to ARM in
    /// `x-ms-authorization-auxiliary`).
    pub auxiliary_tenant_ids: Vec<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            tenant_id: None,
            client_id: None,
            client_secret: None,
            client_certificate: None,
            client_certificate_password: None,
            use_oidc: false,
            oidc_token: None,
            oidc_token_file_path: None,
            oidc_request_token: None,
            oidc_request_url: None,
            ado_service_connection_id: None,
            use_msi: false,
            msi_endpoint: None,
            app_service_identity: None,
            use_cli: true,
            auxiliary_tenant_ids: Vec::new(),
        }
    }
}

/// Where the metadata service answers on Azure VMs, scale sets and AKS nodes.
const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

fn config_error(message: impl Into<String>) -> ArmError {
    ArmError::Config {
        message: message.into(),
    }
}

fn present(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.trim().is_empty())
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl AuthSettings {
    /// Picks the method, first match wins (decided once, at configuration; there is no
    /// fallback from one method to the next at token time):
    ///
    /// 1. **client certificate**, when `client_certificate_path` or `client_certificate`
    ///    is set;
    /// 2. **client secret**, when `client_secret` is set;
    /// 3. **OIDC**, when `use_oidc`: `oidc_token`, else `oidc_token_file_path`, else an
    ///    Azure DevOps service connection (`ado_pipeline_service_connection_id`), else
    ///    GitHub Actions (`oidc_request_token` + `oidc_request_url`);
    /// 4. **managed identity**, when `use_msi`: App Service's endpoint when
    ///    `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set, else the metadata service at
    ///    `msi_endpoint`;
    /// 5. **Azure CLI**, when `use_cli` (the default).
    ///
    /// 1 to 3 need `tenant_id` and `client_id`. A setting given for a method that is not
    /// enabled is an error naming it, never silently ignored.
    pub fn method(&self) -> Result<AuthMethod, ArmError> {
        let method = self.pick()?;
        self.check_unused(method)?;
        Ok(method)
    }

    fn pick(&self) -> Result<AuthMethod, ArmError> {
        let needs_application = |method: AuthMethod| {
            for (name, value) in [
                ("tenant_id", &self.tenant_id),
                ("client_id", &self.client_id),
            ] {
                if !present(value) {
                    return Err(config_error(format!(
                        "{method} authentication needs {name} (ARM_{})",
                        name.to_ascii_uppercase()
                    )));
                }
            }
            Ok(method)
        };
        if self.client_certificate.is_some() {
            return needs_application(AuthMethod::ClientCertificate);
        }
        if self.client_secret.as_ref().is_some_and(|s| !s.is_empty()) {
            return needs_application(AuthMethod::ClientSecret);
        }
        if self.use_oidc {
            let method = if self.oidc_token.as_ref().is_some_and(|t| !t.is_empty()) {
                AuthMethod::OidcToken
            } else if self.oidc_token_file_path.is_some() {
                AuthMethod::OidcTokenFile
            } else if present(&self.ado_service_connection_id) {
                if self.oidc_request_token.is_none() || !present(&self.oidc_request_url) {
                    return Err(config_error(
                        "OIDC with an Azure DevOps service connection needs oidc_request_token \
                         and oidc_request_url (ARM_OIDC_REQUEST_TOKEN / ARM_OIDC_REQUEST_URL, or \
                         SYSTEM_ACCESSTOKEN / SYSTEM_OIDCREQUESTURI: map System.AccessToken into \
                         the task's environment)",
                    ));
                }
                AuthMethod::AzureDevOpsOidc
            } else if self.oidc_request_token.is_some() && present(&self.oidc_request_url) {
                AuthMethod::GitHubActionsOidc
            } else {
                return Err(config_error(
                    "use_oidc is set, but no OIDC token is: give oidc_token (ARM_OIDC_TOKEN), \
                     oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH), \
                     ado_pipeline_service_connection_id (ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID), \
                     or run in GitHub Actions with `permissions: id-token: write` \
                     (ACTIONS_ID_TOKEN_REQUEST_TOKEN / _URL)",
                ));
            };
            return needs_application(method);
        }
        if self.use_msi {
            return Ok(AuthMethod::ManagedIdentity);
        }
        if self.use_cli {
            return Ok(AuthMethod::AzureCli);
        }
        Err(config_error(
            "no authentication method is enabled: set client_id + tenant_id with \
             client_certificate_path or client_secret, use_oidc, use_msi, or leave use_cli on \
             and run `az login`",
        ))
    }

    /// Settings that only one method reads must not be given while another signs in.
    fn check_unused(&self, method: AuthMethod) -> Result<(), ArmError> {
        let oidc = matches!(
            method,
            AuthMethod::OidcToken
                | AuthMethod::OidcTokenFile
                | AuthMethod::AzureDevOpsOidc
                | AuthMethod::GitHubActionsOidc
        );
        let unused = |name: &str, why: &str| {
            Err(config_error(format!(
                "{name} is set but not used: {why} ({method} authentication was chosen)"
            )))
        };
        if self.client_certificate_password.is_some() && self.client_certificate.is_none() {
            return unused(
                "client_certificate_password",
                "it opens a client certificate, and none is given (client_certificate_path or client_certificate)",
            );
        }
        if !self.use_oidc {
            for (name, given) in [
                ("oidc_token", self.oidc_token.is_some()),
                ("oidc_token_file_path", self.oidc_token_file_path.is_some()),
                (
                    "ado_pipeline_service_connection_id",
                    present(&self.ado_service_connection_id),
                ),
            ] {
                if given {
                    return unused(
                        name,
                        "set use_oidc = true (ARM_USE_OIDC=true) to sign in with it",
                    );
                }
            }
        }
        if self.msi_endpoint.is_some() && method != AuthMethod::ManagedIdentity {
            return unused(
                "msi_endpoint",
                "set use_msi = true (ARM_USE_MSI=true) to sign in with a managed identity",
            );
        }
        if !self.auxiliary_tenant_ids.is_empty()
            && !oidc
            && !matches!(
                method,
                AuthMethod::ClientCertificate | AuthMethod::ClientSecret
            )
        {
            return unused(
                "auxiliary_tenant_ids",
                "only a service principal (client certificate, client secret or OIDC) can sign in to other tenants",
            );
        }
        Ok(())
    }
}

/// Builds an `azure_identity` credential.
type CredentialFactory = Box<dyn Fn() -> Result<Arc<dyn TokenCredential>, ArmError> + Send + Sync>;

/// An `azure_identity` credential (the Azure CLI) asked for one scope. `azure_identity` keeps each token in a
/// cache of its own until shortly before it expires, with no way to skip it; so when ARM
/// refuses a token (revoked, a clock skewed), the credential is built anew, which fetches a
/// new one.
pub struct AzureIdentityTokenSource {
    build: CredentialFactory,
    credential: std::sync::Mutex<Arc<dyn TokenCredential>>,
    scope: String,
    method: AuthMethod,
}

impl fmt::Debug for AzureIdentityTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureIdentityTokenSource")
            .field("method", &self.method)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl AzureIdentityTokenSource {
    fn new(build: CredentialFactory, scope: String, method: AuthMethod) -> Result<Self, ArmError> {
        let credential = build()?;
        Ok(Self {
            build,
            credential: std::sync::Mutex::new(credential),
            scope,
            method,
        })
    }
}

#[async_trait]
impl TokenSource for AzureIdentityTokenSource {
    async fn token(&self) -> Result<AccessToken, ArmError> {
        let credential = self.credential.lock().expect("credential lock").clone();
        let token = credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|e| ArmError::Auth {
                message: format!("{} ({}): {e}", self.method, self.scope),
            })?;
        let seconds = token.expires_on.unix_timestamp().max(0) as u64;
        Ok(AccessToken {
            token: Secret::new(token.token.secret()),
            expires_on: SystemTime::UNIX_EPOCH + Duration::from_secs(seconds),
        })
    }

    async fn rejected(&self, _token: &AccessToken) {
        match (self.build)() {
            Ok(fresh) => *self.credential.lock().expect("credential lock") = fresh,
            Err(error) => tracing::warn!(%error, "could not renew the credential"),
        }
    }
}

/// A token for the main tenant, plus tokens for auxiliary tenants that ARM reads from
/// `x-ms-authorization-auxiliary`.
#[derive(Debug)]
struct WithAuxiliaryTenants {
    primary: Arc<dyn TokenSource>,
    auxiliary: Vec<Arc<dyn TokenSource>>,
}

#[async_trait]
impl TokenSource for WithAuxiliaryTenants {
    async fn token(&self) -> Result<AccessToken, ArmError> {
        self.primary.token().await
    }

    async fn auxiliary_tokens(&self) -> Result<Vec<AccessToken>, ArmError> {
        let mut tokens = Vec::with_capacity(self.auxiliary.len());
        for source in &self.auxiliary {
            tokens.push(source.token().await?);
        }
        Ok(tokens)
    }

    async fn rejected(&self, token: &AccessToken) {
        self.primary.rejected(token).await;
    }
}

fn url_setting(text: &str, name: &str) -> Result<Url, ArmError> {
    Url::parse(text.trim()).map_err(|e| config_error(format!("{name} {text:?} is not a URL: {e}")))
}

/// The proof an application signs in with, for the methods that talk to Entra directly.
fn proof(settings: &AuthSettings, method: AuthMethod) -> Result<Proof, ArmError> {
    let missing = |what: &str| config_error(format!("{method} authentication needs {what}"));
    Ok(match method {
        AuthMethod::ClientCertificate => {
            let (bytes, origin) = match settings.client_certificate.as_ref() {
                Some(CertificateSource::Path(path)) => (
                    std::fs::read(path).map_err(|e| {
                        config_error(format!(
                            "cannot read client_certificate_path {}: {e}",
                            path.display()
                        ))
                    })?,
                    path.display().to_string(),
                ),
                Some(CertificateSource::Base64(text)) => (
                    certificate::decode_base64(text)?,
                    "client_certificate (ARM_CLIENT_CERTIFICATE)".to_owned(),
                ),
                None => return Err(missing("client_certificate_path")),
            };
            Proof::Certificate(ClientCertificate::parse(
                &bytes,
                settings.client_certificate_password.as_ref(),
                &origin,
            )?)
        }
        AuthMethod::ClientSecret => Proof::Secret(
            settings
                .client_secret
                .clone()
                .ok_or_else(|| missing("client_secret"))?,
        ),
        AuthMethod::OidcToken => Proof::Assertion(AssertionSource::Value(
            settings
                .oidc_token
                .clone()
                .ok_or_else(|| missing("oidc_token"))?,
        )),
        AuthMethod::OidcTokenFile => Proof::Assertion(AssertionSource::File(
            settings
                .oidc_token_file_path
                .clone()
                .ok_or_else(|| missing("oidc_token_file_path"))?,
        )),
        AuthMethod::AzureDevOpsOidc | AuthMethod::GitHubActionsOidc => {
            let url = url_setting(
                settings.oidc_request_url.as_deref().unwrap_or_default(),
                "oidc_request_url",
            )?;
            let request_token = settings
                .oidc_request_token
                .clone()
                .ok_or_else(|| missing("oidc_request_token"))?;
            Proof::Assertion(if method == AuthMethod::AzureDevOpsOidc {
                AssertionSource::AzureDevOps {
                    url,
                    request_token,
                    service_connection_id: trimmed(&settings.ado_service_connection_id)
                        .ok_or_else(|| missing("ado_pipeline_service_connection_id"))?,
                }
            } else {
                AssertionSource::GitHubActions { url, request_token }
            })
        }
        AuthMethod::ManagedIdentity | AuthMethod::AzureCli => {
            unreachable!("{method} does not sign in to Entra directly")
        }
    })
}

/// Builds the token source the settings describe (see [`AuthSettings::method`] for the
/// order), with the cloud's authority host and audience and the shared HTTP client,
/// cached until ~5 minutes before expiry. Managed identity endpoints are on the machine
/// itself, so they get a client of `http_settings` that never goes through a proxy.
pub fn token_source(
    settings: &AuthSettings,
    cloud: &Cloud,
    http: &reqwest::Client,
    http_settings: &HttpSettings,
) -> Result<Arc<dyn TokenSource>, ArmError> {
    let method = settings.method()?;
    let client_id = trimmed(&settings.client_id);
    fn cached(source: impl TokenSource + 'static) -> Arc<dyn TokenSource> {
        Arc::new(CachingTokenSource::new(source))
    }
    let for_tenant = |tenant: &str| -> Result<Arc<dyn TokenSource>, ArmError> {
        Ok(cached(ClientCredentials {
            http: http.clone(),
            token_url: entra::token_url(&cloud.authority_host, tenant)?,
            client_id: client_id.clone().unwrap_or_default(),
            scope: cloud.scope(),
            proof: proof(settings, method)?,
            method: method.to_string(),
        }))
    };
    let source: Arc<dyn TokenSource> = match method {
        AuthMethod::ManagedIdentity => {
            let endpoint = match (&settings.app_service_identity, &settings.msi_endpoint) {
                (Some((url, header)), None) => IdentityEndpoint::AppService {
                    url: url_setting(url, "IDENTITY_ENDPOINT")?,
                    header: header.clone(),
                },
                (_, endpoint) => IdentityEndpoint::Imds(url_setting(
                    endpoint.as_deref().unwrap_or(IMDS_TOKEN_URL),
                    "msi_endpoint",
                )?),
            };
            let direct = HttpSettings {
                use_env_proxy: false,
                ..http_settings.clone()
            };
            cached(ManagedIdentity {
                http: super::http::build_http_client(&direct)?,
                endpoint,
                client_id: client_id.clone(),
                resource: cloud.audience.clone(),
            })
        }
        AuthMethod::AzureCli => {
            let tenant_id = trimmed(&settings.tenant_id);
            let build: CredentialFactory = Box::new(move || {
                let credential: Arc<dyn TokenCredential> =
                    AzureCliCredential::new(Some(AzureCliCredentialOptions {
                        tenant_id: tenant_id.clone(),
                        ..Default::default()
                    }))
                    .map_err(|e| {
                        config_error(format!("cannot set up {method} authentication: {e}"))
                    })?;
                Ok(credential)
            });
            cached(AzureIdentityTokenSource::new(build, cloud.scope(), method)?)
        }
        _ => {
            let primary = for_tenant(settings.tenant_id.as_deref().unwrap_or_default())?;
            if settings.auxiliary_tenant_ids.is_empty() {
                primary
            } else {
                let auxiliary = settings
                    .auxiliary_tenant_ids
                    .iter()
                    .map(|tenant| for_tenant(tenant))
                    .collect::<Result<_, _>>()?;
                Arc::new(WithAuxiliaryTenants { primary, auxiliary })
            }
        }
    };
    tracing::debug!(%method, "Azure authentication configured");
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn application() -> AuthSettings {
        AuthSettings {
            tenant_id: Some("t".into()),
            client_id: Some("c".into()),
            ..Default::default()
        }
    }

    #[test]
    fn method_order() {
        let mut s = AuthSettings {
            client_certificate: Some(CertificateSource::Path("/tmp/c.pfx".into())),
            client_secret: Some(Secret::new("s")),
            use_oidc: true,
            oidc_token: Some(Secret::new("jwt")),
            oidc_token_file_path: Some("/tmp/t".into()),
            ado_service_connection_id: Some("sc".into()),
            oidc_request_token: Some(Secret::new("request")),
            oidc_request_url: Some("https://127.0.0.1:1/oidc".into()),
            use_msi: true,
            use_cli: true,
            ..application()
        };
        let order = [
            AuthMethod::ClientCertificate,
            AuthMethod::ClientSecret,
            AuthMethod::OidcToken,
            AuthMethod::OidcTokenFile,
            AuthMethod::AzureDevOpsOidc,
            AuthMethod::GitHubActionsOidc,
            AuthMethod::ManagedIdentity,
            AuthMethod::AzureCli,
        ];
        for expected in order {
            assert_eq!(s.method().unwrap(), expected);
            match expected {
                AuthMethod::ClientCertificate => s.client_certificate = None,
                AuthMethod::ClientSecret => s.client_secret = None,
                AuthMethod::OidcToken => s.oidc_token = None,
                AuthMethod::OidcTokenFile => s.oidc_token_file_path = None,
                AuthMethod::AzureDevOpsOidc => s.ado_service_connection_id = None,
                AuthMethod::GitHubActionsOidc => s.use_oidc = false,
                AuthMethod::ManagedIdentity => s.use_msi = false,
                AuthMethod::AzureCli => s.use_cli = false,
            }
        }
        assert!(s.method().is_err());
    }

    #[test]
    fn service_principal_methods_need_tenant_and_client() {
        let s = AuthSettings {
            client_secret: Some(Secret::new("super-secret-value")),
            client_id: Some("c".into()),
            ..Default::default()
        };
        let err = s.method().unwrap_err().to_string();
        assert!(err.contains("tenant_id (ARM_TENANT_ID)"), "{err}");
        assert!(!format!("{s:?}").contains("super-secret-value"));
        assert!(!err.contains("super-secret-value"));

        let certificate_alone = AuthSettings {
            client_certificate: Some(CertificateSource::Path("/tmp/c.pfx".into())),
            ..Default::default()
        };
        let err = certificate_alone.method().unwrap_err().to_string();
        assert!(
            err.contains("client certificate authentication needs tenant_id"),
            "{err}"
        );
    }

    #[test]
    fn oidc_needs_a_token_from_somewhere() {
        let s = AuthSettings {
            use_oidc: true,
            ..application()
        };
        let err = s.method().unwrap_err().to_string();
        assert!(
            err.contains("oidc_token") && err.contains("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
            "{err}"
        );
        let ado_without_job_token = AuthSettings {
            ado_service_connection_id: Some("sc".into()),
            ..s
        };
        let err = ado_without_job_token.method().unwrap_err().to_string();
        assert!(err.contains("SYSTEM_ACCESSTOKEN"), "{err}");
    }

    #[test]
    fn settings_no_enabled_method_reads_are_errors_naming_them() {
        let cases = [
            (
                AuthSettings {
                    client_certificate_password: Some(Secret::new("pw")),
                    ..application()
                },
                "client_certificate_password",
            ),
            (
                AuthSettings {
                    oidc_token: Some(Secret::new("jwt")),
                    ..application()
                },
                "oidc_token is set but not used: set use_oidc = true",
            ),
            (
                AuthSettings {
                    ado_service_connection_id: Some("sc".into()),
                    ..application()
                },
                "ado_pipeline_service_connection_id",
            ),
            (
                AuthSettings {
                    msi_endpoint: Some("https://127.0.0.1:1/token".into()),
                    ..application()
                },
                "msi_endpoint is set but not used: set use_msi = true",
            ),
            (
                AuthSettings {
                    use_msi: true,
                    auxiliary_tenant_ids: vec!["other".into()],
                    ..application()
                },
                "auxiliary_tenant_ids",
            ),
        ];
        for (settings, expected) in cases {
            let err = settings.method().unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn managed_identity_prefers_app_service_unless_an_msi_endpoint_is_given() {
        let http = reqwest::Client::new();
        let http_settings = HttpSettings::default();
        let mut s = AuthSettings {
            use_msi: true,
            app_service_identity: Some(("https://127.0.0.1:1/msi".into(), Secret::new("header"))),
            ..Default::default()
        };
        let debug = format!(
            "{:?}",
            token_source(&s, &Cloud::public(), &http, &http_settings).unwrap()
        );
        assert!(debug.contains("AppService"), "{debug}");
        s.msi_endpoint = Some("https://127.0.0.1:1/metadata/identity/oauth2/token".into());
        let debug = format!(
            "{:?}",
            token_source(&s, &Cloud::public(), &http, &http_settings).unwrap()
        );
        assert!(debug.contains("Imds"), "{debug}");
        assert!(!debug.contains("header\""), "{debug}");
    }

    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: Duration,
    }

    #[async_trait]
    impl TokenSource for Counting {
        async fn token(&self) -> Result<AccessToken, ArmError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(AccessToken {
                token: Secret::new(format!("token-{n}")),
                expires_on: SystemTime::now() + self.lifetime,
            })
        }
    }

    #[tokio::test]
    async fn token_is_cached_until_near_expiry() {
        let source = Arc::new(CachingTokenSource::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: Duration::from_secs(3600),
        }));
        let handles: Vec<_> = (0..5)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(async move { source.token().await.unwrap() })
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.await.unwrap().token.expose(), "token-0");
        }
        assert_eq!(source.token().await.unwrap().token.expose(), "token-0");
        assert_eq!(source.inner.calls.load(Ordering::SeqCst), 1);

        // A token that expires within the margin is refreshed on every use.
        let short = CachingTokenSource::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: Duration::from_secs(240),
        });
        assert_eq!(short.token().await.unwrap().token.expose(), "token-0");
        assert_eq!(short.token().await.unwrap().token.expose(), "token-1");
    }

    #[test]
    fn access_token_debug_is_redacted() {
        let token = AccessToken {
            token: Secret::new("eyJ0eXAi"),
            expires_on: SystemTime::UNIX_EPOCH,
        };
        assert!(!format!("{token:?}").contains("eyJ0eXAi"));
    }
}
