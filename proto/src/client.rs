//! The Terraform side of the handshake, for tests and benchmarks that talk to a provider
//! the way Terraform does: make a client certificate, read the handshake line, connect
//! with mutual TLS.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use base64::Engine;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint};

use crate::tls::crypto_provider;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("could not start the plugin: {0}")]
    Launch(#[from] std::io::Error),
    #[error("not a go-plugin handshake line: {0:?}")]
    Line(String),
    #[error("could not make a client certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("TLS set-up failed: {0}")]
    Tls(#[from] rustls::Error),
    #[error("connecting failed: {0}")]
    Connect(#[from] tonic::transport::Error),
}

/// A client certificate as go-plugin makes one: self-signed, for `localhost`.
pub struct ClientIdentity {
    /// For the plugin's `PLUGIN_CLIENT_CERT`.
    pub certificate_pem: String,
    certificate: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl ClientIdentity {
    pub fn generate() -> Result<ClientIdentity, ClientError> {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let certificate = params.self_signed(&key)?;
        Ok(ClientIdentity {
            certificate_pem: certificate.pem(),
            certificate: certificate.der().clone(),
            key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        })
    }
}

/// Starts the plugin at `binary` as Terraform does (AutoMTLS with `identity`) and reads its
/// handshake line. The child's stderr is discarded.
pub fn launch(binary: &Path, identity: &ClientIdentity) -> Result<(Child, Handshake), ClientError> {
    let mut child = Command::new(binary)
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            crate::handshake::MAGIC_COOKIE_VALUE,
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &identity.certificate_pem)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    BufReader::new(stdout).read_line(&mut line)?;
    let handshake = Handshake::parse(&line)?;
    Ok((child, handshake))
}

/// Where a plugin said it listens, and the certificate it will present.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub address: SocketAddr,
    pub server_certificate: Option<CertificateDer<'static>>,
}

impl Handshake {
    pub fn parse(line: &str) -> Result<Handshake, ClientError> {
        let bad = || ClientError::Line(line.to_owned());
        let fields: Vec<&str> = line.trim_end().split('|').collect();
        let [_, "6", "tcp", address, "grpc", certificate] = fields[..] else {
            return Err(bad());
        };
        let server_certificate = match certificate {
            "" => None,
            encoded => Some(CertificateDer::from(
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(encoded)
                    .map_err(|_| bad())?,
            )),
        };
        Ok(Handshake {
            address: address.parse().map_err(|_| bad())?,
            server_certificate,
        })
    }

    /// Connects as Terraform would: with `identity`'s certificate when the plugin asked for
    /// mutual TLS, trusting only the certificate the plugin announced.
    pub async fn connect(&self, identity: Option<&ClientIdentity>) -> Result<Channel, ClientError> {
        let address = self.address;
        let endpoint = Endpoint::from_shared(format!("http://{address}"))?;
        let Some(server_certificate) = self.server_certificate.clone() else {
            return Ok(endpoint.connect().await?);
        };
        let mut roots = rustls::RootCertStore::empty();
        roots.add(server_certificate)?;
        let builder = rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
        let mut config = match identity {
            Some(identity) => builder.with_client_auth_cert(
                vec![identity.certificate.clone()],
                identity.key.clone_key(),
            )?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = TlsConnector::from(Arc::new(config));
        let channel = endpoint
            .connect_with_connector(tower::service_fn(move |_| {
                let connector = connector.clone();
                async move {
                    let tcp = TcpStream::connect(address).await?;
                    tcp.set_nodelay(true)?;
                    let name = ServerName::try_from("localhost").expect("valid DNS name");
                    let tls = connector.connect(name, tcp).await?;
                    Ok::<_, std::io::Error>(TokioIo::new(tls))
                }
            }))
            .await?;
        Ok(channel)
    }
}
