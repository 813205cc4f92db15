//! Terraform plugin protocol 6 for providers written in Rust.
//!
//! A provider implements [`Provider`] (with [`Resource`](resource::Resource)s,
//! [`DataSource`](resource::DataSource)s and [`Function`](function::Function)s) and calls
//! [`run`] from `main`. This crate does the rest: go-plugin's handshake and AutoMTLS, the
//! gRPC services, value encoding, schemas and diagnostics. It knows nothing of any cloud.

pub mod client;
pub mod diagnostics;
pub mod function;
mod go_plugin;
pub mod handshake;
pub mod logging;
mod plan;
pub mod provider;
pub mod resource;
pub mod schema;
mod server;
pub mod stop;
pub mod timeouts;
pub mod tls;
pub mod value;

/// Code generated from `tfplugin6.proto` and `go-plugin.proto`.
pub mod proto {
    #![allow(clippy::all)]
    tonic::include_proto!("tfplugin6");

    pub mod go_plugin {
        #![allow(clippy::all)]
        tonic::include_proto!("plugin");
    }
}

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;
use tokio::net::TcpListener;

use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

pub use diagnostics::{AttributePath, Diagnostic, Diagnostics};
pub use handshake::{HandshakeError, Launch};
pub use provider::Provider;
pub use value::{Type, Value};

use crate::proto::go_plugin::{
    grpc_broker_server::GrpcBrokerServer, grpc_controller_server::GrpcControllerServer,
    grpc_stdio_server::GrpcStdioServer,
};
use crate::proto::provider_server::ProviderServer as ProviderService;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Serves `provider` to the Terraform that started this process, until Terraform is done.
/// `name` is the provider's short name (`amlsecure`), used for log settings.
pub fn run(name: &str, provider: impl Provider) -> ExitCode {
    let launch = match Launch::from_env(|key| std::env::var(key).ok()) {
        Ok(launch) => launch,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    logging::init(name);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let announce = |line: &str| {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}").and_then(|()| stdout.flush())
    };
    match runtime.block_on(serve(launch, Arc::new(provider), announce)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// Listens, hands `announce` the handshake line, and serves until Terraform calls
/// `GRPCController.Shutdown`.
pub async fn serve(
    launch: Launch,
    provider: Arc<dyn Provider>,
    announce: impl FnOnce(&str) -> std::io::Result<()>,
) -> Result<(), ServeError> {
    let listener = launch.listen().await?;
    let address = listener.local_addr()?;
    let (shutdown, shutdown_requested) = watch::channel(false);
    let (health_reporter, health) = tonic_health::server::health_reporter();
    // go-plugin's health check asks for the service named "plugin".
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let router = Server::builder()
        .add_service(
            ProviderService::new(server::ProviderServer::new(provider))
                // Terraform sends whole configurations and states; go-plugin lifts
                // gRPC's 4 MiB default on its side too.
                .max_decoding_message_size(usize::MAX)
                .max_encoding_message_size(usize::MAX),
        )
        .add_service(GrpcControllerServer::new(go_plugin::Controller {
            shutdown,
        }))
        .add_service(GrpcStdioServer::new(go_plugin::Stdio))
        .add_service(GrpcBrokerServer::new(go_plugin::Broker))
        .add_service(health);

    // Ctrl-C reaches the whole process group; Terraform answers it with StopProvider,
    // so the provider must not die of it.
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("interrupt ignored: Terraform decides when the provider stops");
        }
    });

    let requested = || {
        let mut requested = shutdown_requested.clone();
        async move {
            // An error means the controller is gone, which is as final as a request.
            let _ = requested.wait_for(|requested| *requested).await;
        }
    };
    let serving = match launch.client_certificate {
        None => {
            announce(&handshake::handshake_line(address, None))?;
            let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
            Box::pin(router.serve_with_incoming_shutdown(incoming, requested()))
                as std::pin::Pin<Box<dyn Future<Output = _> + Send>>
        }
        Some(pem) => {
            let client = tls::parse_client_certificate(&pem)?;
            let identity = tls::ServerIdentity::generate()?;
            let line = handshake::handshake_line(address, Some(identity.certificate.as_ref()));
            let acceptor = TlsAcceptor::from(Arc::new(tls::server_config(identity, client)?));
            announce(&line)?;
            let incoming = ReceiverStream::new(accept_tls(listener, acceptor));
            Box::pin(router.serve_with_incoming_shutdown(incoming, requested()))
        }
    };
    // Graceful shutdown waits for open connections, and Terraform's idle stdio stream
    // keeps one open; like go-plugin's servers, stop soon after Shutdown regardless.
    tokio::select! {
        served = serving => served?,
        () = async {
            requested().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {}
    }
    Ok(())
}

/// Long enough to answer the Shutdown call itself.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

type TlsConnection = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;

/// Accepts connections and completes their TLS handshakes off the accept loop, so one
/// slow or hostile client cannot hold up Terraform's. Connections that fail the
/// handshake (no certificate, the wrong one) are dropped.
fn accept_tls(
    listener: TcpListener,
    acceptor: TlsAcceptor,
) -> mpsc::Receiver<Result<TlsConnection, std::io::Error>> {
    let (sender, receiver) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                // The server is gone: stop listening.
                () = sender.closed() => return,
                accepted = listener.accept() => accepted,
            };
            let (tcp, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: give the system a moment.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // gRPC messages are small and latency-bound: no Nagle delay.
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "could not disable Nagle's algorithm");
            }
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(tls) => {
                        let _ = sender.send(Ok(tls)).await;
                    }
                    Err(error) => tracing::warn!(%peer, %error, "refused a connection"),
                }
            });
        }
    });
    receiver
}
