//! ARM reads per `terraform plan` as clusters share one virtual network, and plan time:
//! `cargo bench -p amlsecure-acceptance-tests --bench plan_gets` (real Terraform against
//! the ARM emulator). The target is one GET per distinct remote object, whatever the count.

use std::time::{Duration, Instant};

use amlsecure_acceptance_tests::TestDir;
use amlsecure_acceptance_tests::azure::Azure;
use serde_json::json;

const COUNTS: [usize; 3] = [1, 10, 100];

struct Figures {
    clusters: usize,
    gets: u64,
    distinct_objects: usize,
    plan_time: Duration,
}

fn measure(clusters: usize) -> Figures {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    // An NSG and a route table on the subnet, so every kind of read is exercised.
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
  count        = {clusters}
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
    azure.reset_requests();
    let started = Instant::now();
    dir.run_with_env(&["plan", "-input=false", "-parallelism=10"], &env)
        .success();
    let plan_time = started.elapsed();
    let requests = azure.requests();
    let gets: Vec<(&String, u64)> = requests["by_path"]
        .as_object()
        .expect("by_path")
        .iter()
        .filter(|(key, _)| key.starts_with("GET "))
        .map(|(key, count)| (key, count.as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(requests["writes"], 0, "plan wrote to Azure");
    Figures {
        clusters,
        gets: gets.iter().map(|(_, n)| n).sum(),
        distinct_objects: gets.len(),
        plan_time,
    }
}

fn main() {
    let figures: Vec<Figures> = COUNTS.iter().map(|&n| measure(n)).collect();
    println!("clusters  ARM GETs  distinct objects  GETs per object  plan time");
    for f in &figures {
        println!(
            "{:>8}  {:>8}  {:>16}  {:>15.2}  {:>7.2} s",
            f.clusters,
            f.gets,
            f.distinct_objects,
            f.gets as f64 / f.distinct_objects.max(1) as f64,
            f.plan_time.as_secs_f64()
        );
    }
    let (first, last) = (&figures[0], &figures[figures.len() - 1]);
    println!(
        "plan time of {} clusters against 1: {:.2}x",
        last.clusters,
        last.plan_time.as_secs_f64() / first.plan_time.as_secs_f64()
    );
}
