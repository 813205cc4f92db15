//! go-plugin's start-up contract: Terraform starts the provider with a magic cookie and
//! the protocol versions it speaks in the environment, and reads one line from its stdout
//! saying where and how to connect.

use std::net::{Ipv4Addr, SocketAddr};

use base64::Engine;
use tokio::net::TcpListener;

/// go-plugin's version of its own handshake.
const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol this crate speaks.
pub const PROTOCOL_VERSION: u32 = 6;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error(
        "This is a Terraform provider plugin: Terraform starts it when it needs it.\n\
         Running it by hand does nothing. Install it as a provider and run `terraform init`."
    )]
    NotStartedByTerraform,
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider speaks \
         version {PROTOCOL_VERSION}, which Terraform 1.0 and later support. Upgrade Terraform."
    )]
    NoCommonVersion { offered: String },
    #[error("{0} must be a port number, got {1:?}")]
    BadPort(&'static str, String),
    #[error("could not listen on 127.0.0.1 ports {min}-{max}: {source}")]
    Listen {
        min: u16,
        max: u16,
        source: std::io::Error,
    },
}

/// What the environment asked of this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// PEM certificate Terraform will present, when it wants mutual TLS.
    pub client_certificate: Option<String>,
    pub ports: (u16, u16),
}

impl Launch {
    /// Reads the launch contract from environment variables (given as a lookup so that
    /// tests need not change the process environment).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Launch, HandshakeError> {
        if var(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::NotStartedByTerraform);
        }
        // An absent list comes from go-plugin clients older than version negotiation,
        // which assume the plugin's own version.
        if let Some(offered) = var("PLUGIN_PROTOCOL_VERSIONS") {
            let speaks_ours = offered
                .split(',')
                .any(|v| v.trim().parse() == Ok(PROTOCOL_VERSION));
            if !speaks_ours {
                return Err(HandshakeError::NoCommonVersion { offered });
            }
        }
        let port = |key: &'static str, default: u16| match var(key) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u16>()
                .map_err(|_| HandshakeError::BadPort(key, text)),
        };
        let ports = (port("PLUGIN_MIN_PORT", 0)?, port("PLUGIN_MAX_PORT", 0)?);
        let client_certificate = var("PLUGIN_CLIENT_CERT").filter(|pem| !pem.trim().is_empty());
        Ok(Launch {
            client_certificate,
            ports,
        })
    }

    /// Listens on loopback only: the provider is for the Terraform process that started it.
    pub async fn listen(&self) -> Result<TcpListener, HandshakeError> {
        let (min, max) = self.ports;
        let candidates: Vec<u16> = if min == 0 && max == 0 {
            vec![0]
        } else {
            (min..=max.max(min)).collect()
        };
        let mut last_error = None;
        for port in candidates {
            match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
                Ok(listener) => return Ok(listener),
                Err(e) => last_error = Some(e),
            }
        }
        Err(HandshakeError::Listen {
            min,
            max,
            source: last_error.unwrap_or_else(|| {
                std::io::Error::other("PLUGIN_MIN_PORT is above PLUGIN_MAX_PORT")
            }),
        })
    }
}

/// The line Terraform reads: `CORE|APP|tcp|ADDRESS|grpc|SERVER_CERT`, the certificate as
/// unpadded base64 DER, empty without mutual TLS.
pub fn handshake_line(address: SocketAddr, server_certificate: Option<&[u8]>) -> String {
    let certificate = server_certificate
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|tcp|{address}|grpc|{certificate}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn refuses_to_start_without_the_magic_cookie() {
        let error = Launch::from_env(env(&[])).unwrap_err();
        assert!(matches!(error, HandshakeError::NotStartedByTerraform));
        assert!(error.to_string().contains("Terraform starts it"));
        let wrong = Launch::from_env(env(&[(MAGIC_COOKIE_KEY, "nope")])).unwrap_err();
        assert!(matches!(wrong, HandshakeError::NotStartedByTerraform));
    }

    #[test]
    fn negotiates_protocol_six() {
        for offered in ["5,6", "6", " 6 ", "4,5,6,7"] {
            let launch = Launch::from_env(env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", offered),
            ]));
            assert!(launch.is_ok(), "{offered}");
        }
        let error = Launch::from_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
        ]))
        .unwrap_err();
        assert!(error.to_string().contains("\"4,5\""));
    }

    #[test]
    fn reads_port_range_and_client_certificate() {
        let launch = Launch::from_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_MIN_PORT", "10000"),
            ("PLUGIN_MAX_PORT", "10010"),
            ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----"),
        ]))
        .unwrap();
        assert_eq!(launch.ports, (10000, 10010));
        assert!(launch.client_certificate.is_some());
        let bad = Launch::from_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_MIN_PORT", "ten"),
        ]));
        assert!(matches!(
            bad,
            Err(HandshakeError::BadPort("PLUGIN_MIN_PORT", _))
        ));
    }

    #[test]
    fn line_has_six_fields_and_unpadded_certificate() {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 1234));
        assert_eq!(
            handshake_line(address, None),
            "1|6|tcp|127.0.0.1:1234|grpc|"
        );
        let line = handshake_line(address, Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|tcp|127.0.0.1:1234|grpc|AQIDBA");
    }

    #[tokio::test]
    async fn listens_on_loopback_within_the_range() {
        let launch = Launch {
            client_certificate: None,
            ports: (0, 0),
        };
        let listener = launch.listen().await.unwrap();
        assert!(listener.local_addr().unwrap().ip().is_loopback());
    }
}
