//! ARM reads per `terraform plan` as clusters share one virtual network, and the round trips
//! on a plan's critical path: `cargo bench -p amlsecure-acceptance-tests --bench plan_gets`
//! (real Terraform against the ARM emulator).
//!
//! Each count of clusters is planned with the emulator answering at once and with every ARM
//! request taking 100 ms, as real ARM's GETs take 50 to 150 ms. The time the latency adds,
//! divided by the latency, is the number of round trips one after another: the target is at
//! most 2, however many clusters and objects. The GETs must stay one per distinct object.

use std::time::{Duration, Instant};

use amlsecure_acceptance_tests::TestDir;
use amlsecure_acceptance_tests::azure::Azure;
use serde_json::json;

const COUNTS: [usize; 3] = [1, 10, 100];
const LATENCY: Duration = Duration::from_millis(100);
/// Plans per figure; the median is reported.
const RUNS: usize = 5;

struct Figures {
    gets: u64,
    distinct_objects: usize,
    plan_time: Duration,
}

/// A workspace and a subnet with every kind of read in play: an NSG, a route table, a lock on
/// the virtual network's group, and network usages (read for clusters being created).
fn seeded() -> (Azure, String) {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/training-nsg",
        topology.resource_group
    );
    azure.put(
        &nsg,
        json!({"location": "westeurope", "properties": {"securityRules": [{
            "name": "batch-in",
            "properties": {"priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                "sourceAddressPrefix": "BatchNodeManagement", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": "29876-29877"}
        }]}}),
    );
    let routes = format!(
        "{}/providers/Microsoft.Network/routeTables/training-routes",
        topology.resource_group
    );
    azure.put(
        &routes,
        json!({"location": "westeurope", "properties": {"routes": []}}),
    );
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/24",
            "networkSecurityGroup": {"id": nsg}, "routeTable": {"id": routes}}}),
    );
    azure.lock(&topology.resource_group, "keep-network", "CanNotDelete");
    let config = format!(
        r#"
terraform {{
  required_providers {{
    amlsecure = {{ source = "amlsecure/amlsecure" }}
  }}
}}
provider "amlsecure" {{}}
variable "clusters" {{
  type = number
}}
resource "amlsecure_compute_cluster" "cluster" {{
  count        = var.clusters
  name         = "cpu-${{count.index}}"
  workspace_id = "{workspace}"
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 2
  subnet_id    = "{subnet}"
}}
"#,
        workspace = topology.workspace_id,
        subnet = topology.training_subnet_id,
    );
    (azure, config)
}

fn measure(azure: &Azure, dir: &TestDir, clusters: usize, latency: Duration) -> Figures {
    azure.set_latency(latency);
    let env = azure.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let count = format!("clusters={clusters}");
    let mut times = Vec::new();
    let mut requests = json!(null);
    for _ in 0..RUNS {
        azure.reset_requests();
        let started = Instant::now();
        dir.run_with_env(
            &["plan", "-input=false", "-parallelism=10", "-var", &count],
            &env,
        )
        .success();
        times.push(started.elapsed());
        requests = azure.requests();
    }
    times.sort();
    let gets: Vec<u64> = requests["by_path"]
        .as_object()
        .expect("by_path")
        .iter()
        .filter(|(key, _)| key.starts_with("GET "))
        .map(|(_, count)| count.as_u64().unwrap_or(0))
        .collect();
    assert_eq!(requests["writes"], 0, "plan wrote to Azure");
    Figures {
        gets: gets.iter().sum(),
        distinct_objects: gets.len(),
        plan_time: times[RUNS / 2],
    }
}

fn main() {
    let (azure, config) = seeded();
    let dir = TestDir::new();
    dir.write("main.tf", &config);
    println!(
        "| clusters | ARM GETs | distinct objects | GETs per object | plan at 0 ms | plan at {} ms | round trips |",
        LATENCY.as_millis()
    );
    println!("|---|---|---|---|---|---|---|");
    for clusters in COUNTS {
        let instant = measure(&azure, &dir, clusters, Duration::ZERO);
        let slow = measure(&azure, &dir, clusters, LATENCY);
        assert_eq!(
            (instant.gets, instant.distinct_objects),
            (slow.gets, slow.distinct_objects)
        );
        let added = slow.plan_time.saturating_sub(instant.plan_time);
        println!(
            "| {clusters} | {} | {} | {:.2} | {:.2} s | {:.2} s | {:.1} |",
            slow.gets,
            slow.distinct_objects,
            slow.gets as f64 / slow.distinct_objects.max(1) as f64,
            instant.plan_time.as_secs_f64(),
            slow.plan_time.as_secs_f64(),
            added.as_secs_f64() / LATENCY.as_secs_f64()
        );
    }
}
