//! The one HTTP client: reqwest on rustls with the aws-lc-rs provider (the stack tonic uses),
//! trusting the platform's roots plus any CA file named by `SSL_CERT_FILE`.
//!
//! How roots are chosen: reqwest 0.13's `rustls` feature verifies with
//! `rustls-platform-verifier`, which on Linux loads the system store through
//! `rustls-native-certs` (that crate itself replaces the system paths with `SSL_CERT_FILE` /
//! `SSL_CERT_DIR` when they are set; on macOS and Windows the OS verifier ignores them). So
//! that a test CA in `SSL_CERT_FILE` is trusted on every platform and whatever the verifier
//! does, [`HttpSettings::from_env`] also reads that file itself and merges its certificates
//! into the verifier as extra roots (`ClientBuilder::tls_certs_merge`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ArmError;

/// Settings of the shared HTTP client.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// PEM files whose certificates are trusted in addition to the platform roots.
    pub extra_ca_files: Vec<PathBuf>,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Upper bound of one request attempt (the caller's deadline may cut it shorter).
    pub attempt_timeout: Duration,
    /// Use `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` from the environment.
    pub use_env_proxy: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            extra_ca_files: Vec::new(),
            connect_timeout: Duration::from_secs(20),
            // ARM's own proxy timeout to the resource provider is 60 s.
            attempt_timeout: Duration::from_secs(100),
            use_env_proxy: true,
        }
    }
}

impl HttpSettings {
    /// Defaults plus `SSL_CERT_FILE`, if set, as an extra CA file.
    pub fn from_env() -> Self {
        Self::from_env_with(|name| std::env::var_os(name))
    }

    /// [`HttpSettings::from_env`] with an injectable environment (for tests).
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let mut settings = Self::default();
        if let Some(path) = lookup("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
            settings.extra_ca_files.push(PathBuf::from(path));
        }
        settings
    }
}

/// Reads every certificate of a PEM bundle.
pub fn load_pem_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, ArmError> {
    let bytes = std::fs::read(path).map_err(|e| ArmError::Config {
        message: format!("cannot read CA file {}: {e}", path.display()),
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|e| ArmError::Config {
        message: format!(
            "CA file {} is not a PEM certificate bundle: {e}",
            path.display()
        ),
    })?;
    if certs.is_empty() {
        return Err(ArmError::Config {
            message: format!("CA file {} holds no PEM certificate", path.display()),
        });
    }
    Ok(certs)
}

/// Builds the client every ARM and token request goes through.
pub fn build_http_client(settings: &HttpSettings) -> Result<reqwest::Client, ArmError> {
    let mut extra = Vec::new();
    for path in &settings.extra_ca_files {
        extra.extend(load_pem_certificates(path)?);
    }
    let mut builder = reqwest::Client::builder()
        .tls_backend_rustls()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.attempt_timeout)
        // ARM never redirects; LRO URLs come in headers and are followed explicitly.
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true);
    if !extra.is_empty() {
        builder = builder.tls_certs_merge(extra);
    }
    if !settings.use_env_proxy {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| ArmError::Config {
        message: format!("cannot build the HTTP client: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_cert_file_is_an_extra_ca() {
        let settings = HttpSettings::from_env_with(|name| {
            (name == "SSL_CERT_FILE").then(|| OsString::from("/tmp/test-ca.pem"))
        });
        assert_eq!(
            settings.extra_ca_files,
            vec![PathBuf::from("/tmp/test-ca.pem")]
        );
        assert!(
            HttpSettings::from_env_with(|_| None)
                .extra_ca_files
                .is_empty()
        );
    }

    #[test]
    fn unreadable_or_empty_ca_file_is_a_clear_error() {
        let err = load_pem_certificates(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(err.to_string().contains("cannot read CA file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let err = load_pem_certificates(&empty).unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }
}
