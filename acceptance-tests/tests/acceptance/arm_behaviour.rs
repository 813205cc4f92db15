//! How ARM's behaviour reaches users through the provider: throttling and transient
//! errors are absorbed, a failed creation is still recorded, and a provider configuration
//! known only at apply defers the checks instead of failing.

use amlsecure_acceptance_tests::azure::{Azure, Topology};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::json;

const EXAMPLE: &str = "resources/amlsecure_compute_cluster";
const ADDRESS: &str = "amlsecure_compute_cluster.training";

fn terraform(dir: &TestDir, azure: &Azure, topology: &Topology, args: &[&str]) -> Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push(("TF_VAR_subnet_id", topology.training_subnet_id.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dir.run_with_env(args, &env)
}

#[test]
fn throttled_and_failing_reads_are_retried() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    azure.fault(
        json!({"method": "GET", "path_contains": "workspaces/ml-workspace?", "times": 2,
        "status": 429, "code": "TooManyRequests", "retry_after": 1}),
    );
    azure.fault(
        json!({"method": "GET", "path_contains": "virtualNetworks/ml-vnet", "times": 1,
        "status": 503}),
    );
    let dir = TestDir::from_example(EXAMPLE);
    let plan = terraform(&dir, &azure, &topology, &["plan", "-input=false"]).success();
    assert!(plan.stdout.contains("1 to add"), "{}", plan.stdout);
    let gets = azure.requests()["by_path"].clone();
    let workspace_gets = gets
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("GET ") && k.ends_with("/workspaces/ml-workspace"))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(
        workspace_gets, 3,
        "two throttled tries and one that worked: {gets}"
    );
}

#[test]
fn a_failed_creation_is_still_recorded_in_state() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    azure.fault(
        json!({"method": "PUT", "path_contains": "/computes/cpu-cluster", "times": 1,
        "lro_outcome": "Failed"}),
    );
    let dir = TestDir::from_example(EXAMPLE);
    let apply = terraform(
        &dir,
        &azure,
        &topology,
        &["apply", "-input=false", "-auto-approve"],
    );
    assert_eq!(apply.code, 1, "{}", apply.all_output());
    assert!(
        apply
            .all_output()
            .contains("Creating the compute cluster failed"),
        "{}",
        apply.all_output()
    );
    // Azure holds a failed cluster: Terraform must know it, to replace it rather than collide.
    let list = terraform(&dir, &azure, &topology, &["state", "list"]).success();
    assert_eq!(list.stdout.trim(), ADDRESS);
    let plan = terraform(&dir, &azure, &topology, &["plan", "-input=false"]).success();
    assert!(
        plan.stdout.contains("is tainted, so must be replaced"),
        "{}",
        plan.stdout
    );
}

#[test]
fn provider_configuration_known_only_at_apply_defers_checks() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::from_example(EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
    // The subscription comes from another resource, as in a module that creates it.
    dir.write(
        "resource.tf",
        &format!(
            "{}\nresource \"terraform_data\" \"subscription\" {{\n  input = \"{}\"\n}}\n",
            example.replace(
                "provider \"amlsecure\" {}",
                "provider \"amlsecure\" {\n  subscription_id = terraform_data.subscription.output\n}"
            ),
            azure.subscription()
        ),
    );
    azure.reset_requests();
    let plan = terraform(&dir, &azure, &topology, &["plan", "-input=false"]).success();
    assert!(
        plan.all_output().contains("Azure checks wait for apply"),
        "{}",
        plan.all_output()
    );
    assert!(
        plan.all_output().contains("Network checks run at apply"),
        "{}",
        plan.all_output()
    );
    assert_eq!(azure.writes(), 0);
    terraform(
        &dir,
        &azure,
        &topology,
        &["apply", "-input=false", "-auto-approve"],
    )
    .success();
    assert!(
        azure
            .get(&format!("{}/computes/cpu-cluster", topology.workspace_id))
            .is_some()
    );
}

#[test]
fn a_throttled_parallel_apply_paces_itself_and_fails_nothing() {
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
  count        = 8
  name         = "cpu-${{count.index}}"
  workspace_id = "{}"
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 2
  subnet_id    = "{}"
}}
"#,
            topology.workspace_id, topology.training_subnet_id
        ),
    );
    // Far fewer requests than the apply needs at once: most must wait for a refill.
    azure.set_throttle((6.0, 3.0), (2.0, 1.0));
    azure.reset_requests();
    let apply = terraform(
        &dir,
        &azure,
        &topology,
        &["apply", "-input=false", "-auto-approve", "-parallelism=8"],
    );
    assert_eq!(apply.code, 0, "{}", apply.all_output());
    let counts = azure.requests();
    let computes = azure.names_in(&format!("{}/computes", topology.workspace_id));
    assert_eq!(computes.len(), 8, "{computes:?}");
    let shown = terraform(&dir, &azure, &topology, &["show", "-json"]).json();
    let tainted = shown["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tainted"] == true)
        .count();
    assert_eq!(tainted, 0);
    // Writing a compute leaves its workspace cached: read once by plan, once by apply
    // (retries after a 429 aside).
    let key = format!("GET {}", topology.workspace_id.to_ascii_lowercase());
    let count = |map: &str| counts[map][&key].as_u64().unwrap_or(0);
    let workspace_gets = count("by_path") - count("throttled_by_path");
    assert!(workspace_gets <= 2, "{counts:#}");
}
