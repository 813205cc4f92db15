//! Credentials: settings → a [`TokenSource`] that hands out cached ARM bearer tokens.
//!
//! Tokens come from `azure_identity` 1.x. Both things this provider needs from it hold:
//! the authority host can be overridden (`ClientOptions::cloud` =
//! `CloudConfiguration::Custom`; it must be `https`), and its HTTP pipeline can be given our
//! own reqwest client (`ClientOptions::transport`), so token requests use the same rustls
//! stack and trust the same extra CAs (`SSL_CERT_FILE`) as ARM requests.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use tokio::sync::Mutex;

use super::{ArmError, Cloud, Secret};

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
    ClientSecret,
    Oidc,
    ManagedIdentity,
    AzureCli,
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMethod::ClientSecret => "client secret",
            AuthMethod::Oidc => "OIDC (workload identity federation)",
            AuthMethod::ManagedIdentity => "managed identity",
            AuthMethod::AzureCli => "Azure CLI",
        })
    }
}

/// How to authenticate. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// Use the App Service / Container Apps / Functions managed identity endpoint.
    pub use_msi: bool,
    /// Use workload identity federation with a token file.
    pub use_oidc: bool,
    /// The federated token file; defaults to `AZURE_FEDERATED_TOKEN_FILE`.
    pub oidc_token_file_path: Option<PathBuf>,
    /// Use `az account get-access-token` (default true).
    pub use_cli: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            tenant_id: None,
            client_id: None,
            client_secret: None,
            use_msi: false,
            use_oidc: false,
            oidc_token_file_path: None,
            use_cli: true,
        }
    }
}

fn missing(method: AuthMethod, what: &str) -> ArmError {
    ArmError::Config {
        message: format!("{method} authentication needs {what}"),
    }
}

fn present(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.trim().is_empty())
}

impl AuthSettings {
    /// Picks the method, first match wins (decided once, at configuration; there is no
    /// fallback from one method to the next at token time):
    ///
    /// 1. **client secret**, when `client_secret` is set (needs `tenant_id`, `client_id`);
    /// 2. **OIDC token file**, when `use_oidc` (needs `tenant_id`, `client_id` or
    ///    `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`, and `oidc_token_file_path` or
    ///    `AZURE_FEDERATED_TOKEN_FILE`);
    /// 3. **managed identity**, when `use_msi`, and only if `IDENTITY_ENDPOINT` and
    ///    `IDENTITY_HEADER` are set (App Service, Functions, Container Apps). Without them this
    ///    is an error: `azure_identity` would otherwise fall back to the VM metadata service
    ///    at 169.254.169.254, which is never contacted by this provider. `client_id` selects
    ///    a user-assigned identity;
    /// 4. **Azure CLI**, when `use_cli` (the default).
    pub fn method(&self) -> Result<AuthMethod, ArmError> {
        self.method_with_env(|name| std::env::var_os(name))
    }

    /// [`AuthSettings::method`] with an injectable environment (for tests).
    pub fn method_with_env(
        &self,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<AuthMethod, ArmError> {
        let env_set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
        if self.client_secret.as_ref().is_some_and(|s| !s.is_empty()) {
            let method = AuthMethod::ClientSecret;
            if !present(&self.tenant_id) {
                return Err(missing(method, "tenant_id"));
            }
            if !present(&self.client_id) {
                return Err(missing(method, "client_id"));
            }
            return Ok(method);
        }
        if self.use_oidc {
            let method = AuthMethod::Oidc;
            if !present(&self.tenant_id) && !env_set("AZURE_TENANT_ID") {
                return Err(missing(method, "tenant_id (or AZURE_TENANT_ID)"));
            }
            if !present(&self.client_id) && !env_set("AZURE_CLIENT_ID") {
                return Err(missing(method, "client_id (or AZURE_CLIENT_ID)"));
            }
            if self.oidc_token_file_path.is_none() && !env_set("AZURE_FEDERATED_TOKEN_FILE") {
                return Err(missing(
                    method,
                    "oidc_token_file_path (or AZURE_FEDERATED_TOKEN_FILE)",
                ));
            }
            return Ok(method);
        }
        if self.use_msi {
            if !env_set("IDENTITY_ENDPOINT") || !env_set("IDENTITY_HEADER") {
                return Err(ArmError::Config {
                    message: "use_msi is set, but IDENTITY_ENDPOINT and IDENTITY_HEADER are not: \
                              only the App Service / Functions / Container Apps managed identity \
                              endpoint is supported (the VM metadata service is not used). \
                              Authenticate with a client secret, OIDC or the Azure CLI instead."
                        .to_owned(),
                });
            }
            return Ok(AuthMethod::ManagedIdentity);
        }
        if self.use_cli {
            return Ok(AuthMethod::AzureCli);
        }
        Err(ArmError::Config {
            message: "no authentication method is enabled: set client_id + client_secret + \
                      tenant_id, use_oidc, use_msi, or leave use_cli on and run `az login`"
                .to_owned(),
        })
    }
}

/// Builds an `azure_identity` credential.
type CredentialFactory = Box<dyn Fn() -> Result<Arc<dyn TokenCredential>, ArmError> + Send + Sync>;

/// An `azure_identity` credential asked for one scope. `azure_identity` keeps each token in a
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

fn client_options(cloud: &Cloud, http: &reqwest::Client) -> ClientOptions {
    let mut custom = CustomConfiguration::default();
    custom.authority_host = cloud
        .authority_host
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    ClientOptions {
        transport: Some(Transport::new(Arc::new(http.clone()))),
        cloud: Some(Arc::new(CloudConfiguration::Custom(custom))),
        ..Default::default()
    }
}

fn identity_error(method: AuthMethod) -> impl FnOnce(azure_core::Error) -> ArmError {
    move |e| ArmError::Config {
        message: format!("cannot set up {method} authentication: {e}"),
    }
}

/// Builds the token source the settings describe (see [`AuthSettings::method`] for the
/// order), with the cloud's authority host and the shared HTTP client, cached until ~5
/// minutes before expiry.
pub fn token_source(
    settings: &AuthSettings,
    cloud: &Cloud,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenSource>, ArmError> {
    let method = settings.method()?;
    let settings = settings.clone();
    let options = client_options(cloud, http);
    let build: CredentialFactory = Box::new(move || credential(method, &settings, &options));
    tracing::debug!(%method, "Azure authentication configured");
    Ok(Arc::new(CachingTokenSource::new(
        AzureIdentityTokenSource::new(build, cloud.scope(), method)?,
    )))
}

/// The `azure_identity` credential of `method`.
fn credential(
    method: AuthMethod,
    settings: &AuthSettings,
    options: &ClientOptions,
) -> Result<Arc<dyn TokenCredential>, ArmError> {
    let options = options.clone();
    Ok(match method {
        AuthMethod::ClientSecret => {
            let secret = settings
                .client_secret
                .as_ref()
                .expect("checked by method()");
            ClientSecretCredential::new(
                settings.tenant_id.as_deref().unwrap_or_default().trim(),
                settings
                    .client_id
                    .clone()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                azure_core::credentials::Secret::new(secret.expose().to_owned()),
                Some(ClientSecretCredentialOptions {
                    client_options: options,
                }),
            )
            .map_err(identity_error(method))?
        }
        AuthMethod::Oidc => {
            WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: options,
                },
                client_id: settings.client_id.clone().filter(|v| !v.trim().is_empty()),
                tenant_id: settings.tenant_id.clone().filter(|v| !v.trim().is_empty()),
                token_file_path: settings.oidc_token_file_path.clone(),
            }))
            .map_err(identity_error(method))?
        }
        AuthMethod::ManagedIdentity => {
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: settings
                    .client_id
                    .clone()
                    .filter(|v| !v.trim().is_empty())
                    .map(UserAssignedId::ClientId),
                client_options: options,
            }))
            .map_err(identity_error(method))?
        }
        AuthMethod::AzureCli => AzureCliCredential::new(Some(AzureCliCredentialOptions {
            tenant_id: settings.tenant_id.clone().filter(|v| !v.trim().is_empty()),
            ..Default::default()
        }))
        .map_err(identity_error(method))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn method_order() {
        let mut s = AuthSettings {
            tenant_id: Some("t".into()),
            client_id: Some("c".into()),
            client_secret: Some(Secret::new("s")),
            use_msi: true,
            use_oidc: true,
            oidc_token_file_path: Some("/tmp/t".into()),
            use_cli: true,
        };
        let all = env(&[
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi"),
            ("IDENTITY_HEADER", "h"),
        ]);
        assert_eq!(s.method_with_env(&all).unwrap(), AuthMethod::ClientSecret);
        s.client_secret = None;
        assert_eq!(s.method_with_env(&all).unwrap(), AuthMethod::Oidc);
        s.use_oidc = false;
        assert_eq!(
            s.method_with_env(&all).unwrap(),
            AuthMethod::ManagedIdentity
        );
        s.use_msi = false;
        assert_eq!(s.method_with_env(&all).unwrap(), AuthMethod::AzureCli);
        s.use_cli = false;
        assert!(s.method_with_env(&all).is_err());
    }

    #[test]
    fn msi_without_identity_endpoint_is_refused() {
        let s = AuthSettings {
            use_msi: true,
            ..Default::default()
        };
        for environment in [
            env(&[]),
            env(&[("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi")]),
            env(&[("IDENTITY_HEADER", "h")]),
        ] {
            let err = s.method_with_env(environment).unwrap_err();
            assert!(err.to_string().contains("IDENTITY_ENDPOINT"), "{err}");
        }
    }

    #[test]
    fn client_secret_needs_tenant_and_client() {
        let s = AuthSettings {
            client_secret: Some(Secret::new("super-secret-value")),
            client_id: Some("c".into()),
            ..Default::default()
        };
        let err = s.method_with_env(env(&[])).unwrap_err();
        assert!(err.to_string().contains("tenant_id"), "{err}");
        assert!(!format!("{s:?}").contains("super-secret-value"));
        assert!(!err.to_string().contains("super-secret-value"));
    }

    #[test]
    fn oidc_needs_a_token_file() {
        let s = AuthSettings {
            use_oidc: true,
            tenant_id: Some("t".into()),
            client_id: Some("c".into()),
            ..Default::default()
        };
        assert!(s.method_with_env(env(&[])).is_err());
        assert_eq!(
            s.method_with_env(env(&[("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token")]))
                .unwrap(),
            AuthMethod::Oidc
        );
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
