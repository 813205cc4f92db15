//! `amlsecure-arm-emulator`: a local, stateful Azure Resource Manager + Entra ID emulator
//! over HTTPS, for acceptance tests and for pointing Terraform at by hand. It is never
//! linked into the provider.
//!
//! Layout: [`tls`] (CA + server certificate), [`auth`] (tokens), [`server`] (HTTP,
//! headers, log, throttling, faults), [`engine`] (the generic ARM resource engine),
//! [`types`] (one file per provider namespace), [`store`], [`lro`], [`faults`], [`throttle`], [`log`],
//! [`admin`] (the `/_emulator` API), [`service_tags`], [`policy`] (Azure Policy's routes),
//! [`ids`] (request paths), [`api_version`], [`http`] (replies and ARM error bodies),
//! [`state`] (all of it behind one lock), [`federation`] (sign-in beyond a secret).

pub mod admin;
pub mod api_version;
pub mod auth;
pub mod engine;
pub mod faults;
pub mod federation;
pub mod http;
pub mod ids;
pub mod log;
pub mod lro;
pub mod policy;
pub mod server;
pub mod service_tags;
pub mod state;
pub mod store;
pub mod throttle;
pub mod tls;
pub mod types;

use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use throttle::BucketSize;

pub const DEFAULT_TENANT_ID: &str = "5b4a6d2e-1c3f-4a8b-9d7e-0f1e2d3c4b5a";
pub const DEFAULT_SUBSCRIPTION_ID: &str = "8f3c2a1b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
pub const DEFAULT_CLIENT_ID: &str = "2d7e9f10-3b4c-4d5e-8f60-7a8b9c0d1e2f";

#[derive(Debug, Clone)]
pub struct Config {
    /// 0 = any free port.
    pub port: u16,
    /// State folder (CA file, traffic log); `None` = a new temporary folder, kept.
    pub dir: Option<PathBuf>,
    pub tenant_id: String,
    pub subscription_id: String,
    pub client_id: String,
    /// `None` = random.
    pub client_secret: Option<String>,
    /// Polls answering "in progress" before an operation finishes.
    pub lro_polls: u32,
    /// How long an operation runs.
    pub lro_duration: std::time::Duration,
    pub reads: BucketSize,
    pub writes: BucketSize,
    /// How long each ARM request takes to answer.
    pub latency: state::Latency,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 0,
            dir: None,
            tenant_id: DEFAULT_TENANT_ID.into(),
            subscription_id: DEFAULT_SUBSCRIPTION_ID.into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: None,
            lro_polls: 0,
            lro_duration: lro::DEFAULT_DURATION,
            reads: throttle::DEFAULT_READS,
            writes: throttle::DEFAULT_WRITES,
            latency: state::Latency::default(),
        }
    }
}

/// A started emulator; serving stops when this is dropped.
pub struct Running {
    /// The ready-line document.
    pub ready: Value,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The ready line (one JSON object, no newline).
    pub fn ready_line(&self) -> String {
        self.ready.to_string()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Generates the CA, binds 127.0.0.1 and starts serving on the current Tokio runtime.
pub async fn start(config: Config) -> Result<Running, Error> {
    let dir = match &config.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.canonicalize()?
        }
        None => tempfile::Builder::new()
            .prefix("amlsecure-arm-emulator-")
            .tempdir()?
            .keep(),
    };
    let identity = tls::generate()?;
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &identity.ca_pem)?;
    let log_file = dir.join("traffic.jsonl");
    let log = log::TrafficLog::create(&log_file)?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    let port = listener.local_addr()?.port();
    let base_url = format!("https://127.0.0.1:{port}");
    let secret = config
        .client_secret
        .clone()
        .unwrap_or_else(|| format!("emu~{}", http::random_token::<20>()));
    let (federation, credentials) = federation::Federation::generate(&base_url, &dir)?;
    let auth = auth::Auth::new(
        config.tenant_id.clone(),
        config.client_id.clone(),
        secret.clone(),
        federation,
    );
    let ready = json!({
        "endpoint": base_url,
        "authority": format!("{base_url}/"),
        "ca_file": ca_file,
        "tenant_id": config.tenant_id,
        "client_id": config.client_id,
        "client_secret": secret,
        "subscription_id": config.subscription_id,
        "admin": format!("{base_url}/_emulator"),
        "log": log_file,
        "identity_endpoint": format!("{base_url}/_emulator/msi/token"),
        "identity_header": auth.identity_header,
        "msi_endpoint": format!("{base_url}/metadata/identity/oauth2/token"),
        "managed_identity_client_id": auth.managed_identity_client_id,
        "auxiliary_tenant_id": auth.auxiliary_tenant_id,
        "client_certificate_pem": credentials.certificate_pem,
        "client_certificate_pfx": credentials.certificate_pfx,
        "client_certificate_password": credentials.certificate_password,
        "github_oidc_request_url": format!("{base_url}/_emulator/oidc/github?api-version=2.0"),
        "github_oidc_request_token": auth.federation.github_request_token,
        "ado_oidc_request_url": format!("{base_url}/_emulator/oidc/ado"),
        "ado_access_token": auth.federation.ado_access_token,
        "ado_service_connection_id": auth.service_connection_id,
        "metadata_host": format!("127.0.0.1:{port}"),
        "dir": dir,
    });
    let state = state::State {
        subscription_id: config.subscription_id.clone(),
        base_url: base_url.clone(),
        store: store::Store::default(),
        ops: lro::Operations::new(config.lro_polls, config.lro_duration),
        faults: faults::Faults::default(),
        throttle: throttle::Throttle::new(config.reads, config.writes),
        auth,
        counts: state::Counts::default(),
        usages: state::UsageSettings::default(),
        latency: config.latency,
        service_tags: service_tags::ServiceTags::default(),
        policies: policy::Policies::default(),
    };
    let emulator = Arc::new(state::Emulator {
        state: Mutex::new(state),
        log,
        base_url,
        ready: ready.clone(),
    });
    let task = tokio::spawn(server::serve(listener, identity.server_config, emulator));
    Ok(Running { ready, task })
}
