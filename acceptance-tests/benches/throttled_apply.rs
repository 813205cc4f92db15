//! An apply under tight ARM throttling: 30 compute clusters at `-parallelism=30` against an
//! emulator whose subscription buckets hold 15 reads (refilling 5 a second) and 5 writes
//! (refilling 1 a second). `cargo bench -p amlsecure-acceptance-tests --bench throttled_apply`
//!
//! Prints the operations that failed (the target is none), the clusters left tainted (none),
//! how often ARM answered 429, and the wall time beside the least the buckets allow: every
//! request after the first bucketful waits for a refill.

use std::time::Instant;

use amlsecure_acceptance_tests::TestDir;
use amlsecure_acceptance_tests::azure::Azure;

const CLUSTERS: usize = 30;
const READS: (f64, f64) = (15.0, 5.0);
const WRITES: (f64, f64) = (5.0, 1.0);

fn main() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::new();
    dir.write(
        "main.tf",
        &format!(
            r#"
terraform {{
  required_providers {{
    amlsecure = {{ source = "amlsecure/amlsecure" }}
  }}
}}
provider "amlsecure" {{}}
resource "amlsecure_compute_cluster" "cluster" {{
  count        = {CLUSTERS}
  name         = "cpu-${{count.index}}"
  workspace_id = "{workspace}"
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 2
  subnet_id    = "{subnet}"
}}
"#,
            workspace = topology.workspace_id,
            subnet = topology.training_subnet_id,
        ),
    );
    let env = azure.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    azure.set_throttle(READS, WRITES);
    azure.reset_requests();
    let started = Instant::now();
    let apply = dir.run_with_env(
        &[
            "apply",
            "-input=false",
            "-auto-approve",
            "-parallelism=30",
            "-no-color",
        ],
        &env,
    );
    let wall = started.elapsed();
    let counts = azure.requests();
    let failed = apply.all_output().matches("Error: ").count();
    let shown = dir.run_with_env(&["show", "-json"], &env).json();
    let resources = shown["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let tainted = resources.iter().filter(|r| r["tainted"] == true).count();
    let created = azure.names_in(&format!("{}/computes", topology.workspace_id));

    // Requests ARM took (not those it answered 429); those beyond a full bucket wait for its
    // refill.
    let count = |name: &str| counts[name].as_u64().unwrap_or(0);
    let reads = count("reads") + count("lro_polls") - count("throttled_reads");
    let writes = count("writes") - count("throttled_writes");
    let least = |requests: u64, (capacity, refill): (f64, f64)| {
        ((requests as f64 - capacity).max(0.0)) / refill
    };
    let minimum = least(reads, READS).max(least(writes, WRITES));

    println!(
        "throttled apply: {CLUSTERS} clusters, -parallelism=30, reads {READS:?}, writes {WRITES:?} (capacity, refill/s)"
    );
    println!("| figure | target | measured |");
    println!("|---|---|---|");
    println!("| failed operations | 0 | {failed} |");
    println!("| tainted clusters | 0 | {tainted} |");
    println!("| clusters in Azure | {CLUSTERS} | {} |", created.len());
    println!("| ARM 429 answers | | {} |", counts["throttled"]);
    println!("| requests taken (reads incl. operation polls / writes) | | {reads} / {writes} |");
    println!(
        "| wall time / least the buckets allow | | {:.1} s / {minimum:.1} s ({:.2}x) |",
        wall.as_secs_f64(),
        wall.as_secs_f64() / minimum.max(0.001)
    );
    assert_eq!(apply.code, 0, "{}", apply.all_output());
}
