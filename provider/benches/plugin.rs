//! Start-up and schema figures for the optimised provider binary, measured the way
//! Terraform meets it: `cargo bench -p terraform-provider-amlsecure --bench plugin`.
//!
//! Prints, over RUNS fresh processes:
//! - time from spawning the process to reading its handshake line (AutoMTLS on);
//! - peak resident memory (VmHWM) after serving GetProviderSchema;
//! - GetProviderSchema round-trip latency on an open connection.

use std::path::Path;
use std::time::{Duration, Instant};

use tfplugin::client::{ClientIdentity, launch};
use tfplugin::proto::go_plugin::Empty;
use tfplugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::{get_provider_schema, provider_client::ProviderClient};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-amlsecure");
const RUNS: usize = 30;
const SCHEMA_CALLS: usize = 200;

struct Sample {
    handshake: Duration,
    peak_rss_kib: u64,
    schema_latencies: Vec<Duration>,
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn sample(identity: &ClientIdentity) -> Sample {
    let started = Instant::now();
    let (mut child, handshake) = launch(Path::new(BINARY), identity).expect("provider starts");
    let handshake_time = started.elapsed();
    let channel = handshake.connect(Some(identity)).await.expect("connects");
    let mut client = ProviderClient::new(channel.clone());
    let mut schema_latencies = Vec::with_capacity(SCHEMA_CALLS);
    for _ in 0..SCHEMA_CALLS {
        let call = Instant::now();
        client
            .get_provider_schema(get_provider_schema::Request {})
            .await
            .expect("schema");
        schema_latencies.push(call.elapsed());
    }
    let peak_rss_kib = peak_rss_kib(child.id());
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("shutdown");
    child.wait().expect("exits");
    Sample {
        handshake: handshake_time,
        peak_rss_kib,
        schema_latencies,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let identity = ClientIdentity::generate().expect("client certificate");
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        samples.push(sample(&identity).await);
    }
    let mut handshakes: Vec<Duration> = samples.iter().map(|s| s.handshake).collect();
    handshakes.sort();
    let mut latencies: Vec<Duration> = samples
        .iter()
        .flat_map(|s| s.schema_latencies.iter().copied())
        .collect();
    latencies.sort();
    let peak_rss = samples.iter().map(|s| s.peak_rss_kib).max().unwrap_or(0);

    println!("terraform-provider-amlsecure, {RUNS} processes, AutoMTLS on");
    println!(
        "handshake (spawn to handshake line): median {}  p90 {}  max {}",
        millis(percentile(&handshakes, 0.5)),
        millis(percentile(&handshakes, 0.9)),
        millis(percentile(&handshakes, 1.0)),
    );
    println!(
        "peak RSS after {SCHEMA_CALLS} GetProviderSchema calls: {:.1} MiB (max over runs)",
        peak_rss as f64 / 1024.0
    );
    println!(
        "GetProviderSchema latency ({} calls): median {}  p99 {}",
        latencies.len(),
        millis(percentile(&latencies, 0.5)),
        millis(percentile(&latencies, 0.99)),
    );
}
