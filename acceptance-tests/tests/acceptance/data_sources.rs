//! `amlsecure_subnet_capacity` and `amlsecure_network_check` through real Terraform against
//! the ARM emulator: the numbers of a subnet with nodes in it, and every rule reported as
//! values, without failing, on sound and broken networks.

use std::collections::BTreeSet;

use amlsecure_acceptance_tests::azure::{Azure, Topology};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

const CAPACITY_EXAMPLE: &str = "data-sources/amlsecure_subnet_capacity";
const CHECK_EXAMPLE: &str = "data-sources/amlsecure_network_check";
const CLUSTER_EXAMPLE: &str = "resources/amlsecure_compute_cluster";

/// Runs Terraform in `dir` against `azure` with the examples' variables; `subnet_id` is the
/// training subnet unless `vars` says otherwise.
fn terraform(
    dir: &TestDir,
    azure: &Azure,
    topology: &Topology,
    vars: &[(&str, &str)],
    args: &[&str],
) -> Run {
    let mut env: Vec<(String, String)> = azure
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    env.push(("TF_VAR_workspace_id".into(), topology.workspace_id.clone()));
    env.push((
        "TF_VAR_subnet_id".into(),
        topology.training_subnet_id.clone(),
    ));
    for (name, value) in vars {
        env.push((format!("TF_VAR_{name}"), (*value).to_owned()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    dir.run_with_env(args, &env)
}

/// Applies `dir` (data sources only: nothing is written to Azure) and returns its outputs.
#[track_caller]
fn apply_outputs(
    dir: &TestDir,
    azure: &Azure,
    topology: &Topology,
    vars: &[(&str, &str)],
) -> Value {
    azure.reset_requests();
    let run = terraform(
        dir,
        azure,
        topology,
        vars,
        &["apply", "-input=false", "-auto-approve", "-no-color"],
    );
    assert_eq!(run.code, 0, "apply failed:\n{}", run.all_output());
    assert_eq!(
        azure.writes(),
        0,
        "reading wrote to Azure: {}",
        azure.requests()
    );
    let outputs = terraform(dir, azure, topology, vars, &["output", "-json"])
        .success()
        .json();
    outputs
        .as_object()
        .expect("outputs")
        .iter()
        .map(|(name, output)| (name.clone(), output["value"].clone()))
        .collect()
}

/// An AmlCompute cluster put straight into ARM, with `nodes` nodes running in the training
/// subnet (the emulator gives each an IP configuration there).
fn seed_cluster_with_nodes(azure: &Azure, topology: &Topology, nodes: u64) {
    azure.put(
        &format!("{}/computes/busy", topology.workspace_id),
        json!({"location": "westeurope", "properties": {
            "computeType": "AmlCompute",
            "properties": {
                "vmSize": "STANDARD_D2_V2",
                "scaleSettings": {"maxNodeCount": nodes + 2, "minNodeCount": nodes},
                "subnet": {"id": topology.training_subnet_id}
            }
        }}),
    );
}

fn set_subnet(azure: &Azure, topology: &Topology, properties: Value) {
    let mut body = json!({"properties": {"addressPrefix": "10.0.1.0/24"}});
    for (key, value) in properties.as_object().unwrap() {
        body["properties"][key] = value.clone();
    }
    azure.put(&topology.training_subnet_id, body);
}

/// An NSG denying all inbound traffic at priority 200 on the training subnet, and a
/// delegation of that subnet to App Service: AMLS111 and AMLS134.
fn break_training_subnet(azure: &Azure, topology: &Topology) {
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/locked",
        topology.resource_group
    );
    azure.put(
        &nsg,
        json!({"location": "westeurope", "properties": {"securityRules": [{
            "name": "deny-all-in",
            "properties": {"priority": 200, "direction": "Inbound", "access": "Deny", "protocol": "*",
                "sourceAddressPrefix": "*", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": "*"}
        }]}}),
    );
    set_subnet(
        azure,
        topology,
        json!({
            "networkSecurityGroup": {"id": nsg},
            "delegations": [{"name": "web", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]
        }),
    );
}

/// The rule IDs of Terraform's `Error: AMLS...` and `Warning: AMLS...` diagnostics.
fn diagnosed_rules(output: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for marker in ["Error: AMLS", "Warning: AMLS"] {
        for (at, _) in output.match_indices(marker) {
            let start = at + marker.len() - "AMLS".len();
            ids.insert(output[start..start + "AMLS000".len()].to_owned());
        }
    }
    ids
}

fn rule_ids(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .expect("findings is a list")
        .iter()
        .map(|f| f["rule_id"].as_str().expect("rule_id").to_owned())
        .collect()
}

fn finding<'a>(findings: &'a Value, rule_id: &str) -> &'a Value {
    findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule_id)
        .unwrap_or_else(|| panic!("no {rule_id} in {findings:#}"))
}

#[test]
fn subnet_capacity_counts_the_nodes_already_in_the_subnet() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    seed_cluster_with_nodes(&azure, &topology, 3);
    let dir = TestDir::from_example(CAPACITY_EXAMPLE);

    let outputs = apply_outputs(&dir, &azure, &topology, &[]);
    assert_eq!(
        outputs["capacity"],
        json!({"address_prefix": "10.0.1.0/24", "size": 256, "reserved": 5, "in_use": 3,
               "free": 248, "nodes_that_fit": 4}),
    );

    // More nodes than free addresses: only the free ones fit, and the example's check says so.
    let run = terraform(
        &dir,
        &azure,
        &topology,
        &[("max_nodes", "300")],
        &["apply", "-input=false", "-auto-approve", "-no-color"],
    )
    .success();
    assert!(
        run.all_output()
            .contains("Only 248 of 300 nodes fit in 10.0.1.0/24"),
        "{}",
        run.all_output()
    );
    let outputs = terraform(&dir, &azure, &topology, &[], &["output", "-json"])
        .success()
        .json();
    assert_eq!(outputs["capacity"]["value"]["nodes_that_fit"], 248);
}

#[test]
fn a_subnet_of_several_prefixes_counts_them_all() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    // Two /28s: 32 addresses, five reserved in each, 22 usable.
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefixes": ["10.0.1.0/28", "10.0.2.0/28"]}}),
    );
    let dir = TestDir::from_example(CAPACITY_EXAMPLE);
    let outputs = apply_outputs(&dir, &azure, &topology, &[("max_nodes", "22")]);
    assert_eq!(
        outputs["capacity"],
        json!({"address_prefix": "10.0.1.0/28", "size": 32, "reserved": 10, "in_use": 0,
               "free": 22, "nodes_that_fit": 22}),
    );
    // The cluster's AMLS101 counts the same way: 22 nodes fit, 23 do not.
    let check = TestDir::new();
    check.write(
        "main.tf",
        r#"
terraform {
  required_providers {
    amlsecure = { source = "amlsecure/amlsecure" }
  }
}
provider "amlsecure" {}
variable "workspace_id" { type = string }
variable "subnet_id" { type = string }
variable "max_nodes" { type = number }
data "amlsecure_network_check" "training" {
  workspace_id = var.workspace_id
  subnet_id    = var.subnet_id
  max_nodes    = var.max_nodes
}
output "rules" {
  value = [for f in data.amlsecure_network_check.training.findings : f.rule_id]
}
"#,
    );
    for (nodes, expected) in [("22", json!([])), ("23", json!(["AMLS101"]))] {
        let outputs = apply_outputs(&check, &azure, &topology, &[("max_nodes", nodes)]);
        assert_eq!(outputs["rules"], expected, "max_nodes {nodes}");
    }
}

#[test]
fn subnet_capacity_of_a_missing_subnet_fails_at_subnet_id() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::from_example(CAPACITY_EXAMPLE);
    let missing = format!("{}/subnets/nowhere", topology.vnet_id);
    let run = terraform(
        &dir,
        &azure,
        &topology,
        &[("subnet_id", &missing)],
        &["plan", "-input=false", "-no-color"],
    )
    .failure();
    let output = run.all_output();
    assert!(output.contains("Error: Subnet not found"), "{output}");
    // Terraform wraps the detail: match its words one by one.
    for words in ["no subnet 'nowhere'", "its subnets are 'aks'", "'training'"] {
        assert!(output.contains(words), "{words}: {output}");
    }
    assert!(output.contains("subnet_id = var.subnet_id"), "{output}");
}

#[test]
fn network_check_on_a_sound_network_finds_nothing() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::from_example(CHECK_EXAMPLE);
    let outputs = apply_outputs(&dir, &azure, &topology, &[]);
    assert_eq!(outputs["findings"], json!([]), "{outputs:#}");
    assert_eq!(outputs["error_count"], 0);
    assert_eq!(outputs["report"], json!([]));
}

#[test]
fn network_check_reports_a_broken_network_as_the_cluster_plan_would_without_failing() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    break_training_subnet(&azure, &topology);
    let dir = TestDir::from_example(CHECK_EXAMPLE);

    let outputs = apply_outputs(&dir, &azure, &topology, &[]);
    let findings = &outputs["findings"];
    let ids = rule_ids(findings);
    assert!(ids.contains(&"AMLS111".into()), "{findings:#}");
    assert!(ids.contains(&"AMLS134".into()), "{findings:#}");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "findings are ordered by rule ID");

    let nsg = finding(findings, "AMLS111");
    assert_eq!(nsg["severity"], "error");
    assert_eq!(nsg["attribute"], "subnet_id");
    assert_eq!(nsg["seed_section"], "Required ports");
    let message = nsg["message"].as_str().unwrap();
    assert!(
        message.contains("deny-all-in") && message.contains("200"),
        "{message}"
    );
    assert!(
        nsg["fix"].as_str().unwrap().contains("BatchNodeManagement"),
        "{nsg}"
    );
    let delegated = finding(findings, "AMLS134");
    assert!(
        delegated["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.Web/serverFarms"),
        "{delegated}"
    );
    let errors = (findings.as_array().unwrap().iter())
        .filter(|f| f["severity"] == "error")
        .count();
    assert_eq!(outputs["error_count"], errors);
    assert!(errors >= 2);
    assert!(
        (outputs["report"].as_array().unwrap().iter()).any(|line| line
            .as_str()
            .unwrap()
            .starts_with("AMLS111 (error) at subnet_id: ")),
        "{outputs:#}"
    );

    // The compute cluster's plan on the same network raises exactly these rules.
    let cluster = TestDir::from_example(CLUSTER_EXAMPLE);
    let plan = terraform(
        &cluster,
        &azure,
        &topology,
        &[],
        &["plan", "-input=false", "-no-color"],
    )
    .failure();
    let planned = diagnosed_rules(&plan.all_output());
    assert_eq!(
        planned,
        ids.iter().cloned().collect::<BTreeSet<_>>(),
        "{}",
        plan.all_output()
    );
}

#[test]
fn network_check_reports_a_missing_network_as_amls133() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::from_example(CHECK_EXAMPLE);
    let missing = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/gone/subnets/training",
        topology.resource_group
    );
    let outputs = apply_outputs(&dir, &azure, &topology, &[("subnet_id", &missing)]);
    assert_eq!(rule_ids(&outputs["findings"]), ["AMLS133"]);
    let only = &outputs["findings"][0];
    assert_eq!(only["severity"], "error");
    assert!(
        only["message"]
            .as_str()
            .unwrap()
            .contains("virtual network 'gone'"),
        "{only}"
    );
    assert_eq!(outputs["error_count"], 1);
}

#[test]
fn network_check_lists_switched_off_rules_as_off() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    set_subnet(
        &azure,
        &topology,
        json!({"delegations": [{"name": "web", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]}),
    );
    let dir = TestDir::from_example(CHECK_EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("data-source.tf")).unwrap();
    dir.write(
        "data-source.tf",
        &example.replace(
            "provider \"amlsecure\" {}",
            "provider \"amlsecure\" {\n  disabled_rules = [\"AMLS134\"]\n}",
        ),
    );
    let outputs = apply_outputs(&dir, &azure, &topology, &[]);
    assert_eq!(rule_ids(&outputs["findings"]), ["AMLS134"]);
    assert_eq!(outputs["findings"][0]["severity"], "off");
    assert_eq!(outputs["error_count"], 0);
}

/// The example checking an AKS cluster with the given Kubernetes network instead.
fn aks_check(service_cidr: &str, dns_service_ip: &str) -> TestDir {
    let dir = TestDir::from_example(CHECK_EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("data-source.tf")).unwrap();
    let aks = example.replace(
        "  compute_kind = \"cluster\"\n  max_nodes    = 4\n",
        &format!(
            "  compute_kind   = \"aks\"\n  service_cidr   = \"{service_cidr}\"\n  dns_service_ip = \"{dns_service_ip}\"\n"
        ),
    );
    assert_ne!(aks, example, "the example's data block changed");
    dir.write("data-source.tf", &aks);
    dir
}

#[test]
fn network_check_for_aks_runs_the_aks_rules() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let aks_subnet = [("subnet_id", topology.aks_subnet_id.as_str())];

    let sound = aks_check("10.240.0.0/16", "10.240.0.10");
    let outputs = apply_outputs(&sound, &azure, &topology, &aks_subnet);
    assert_eq!(outputs["findings"], json!([]), "{outputs:#}");

    // The service range overlaps the virtual network; the DNS address is the range's .1.
    let broken = aks_check("10.0.0.0/16", "10.0.0.1");
    let outputs = apply_outputs(&broken, &azure, &topology, &aks_subnet);
    let ids = rule_ids(&outputs["findings"]);
    assert!(ids.contains(&"AMLS201".into()), "{outputs:#}");
    assert!(ids.contains(&"AMLS206".into()), "{outputs:#}");
    assert_eq!(
        finding(&outputs["findings"], "AMLS201")["attribute"],
        "service_cidr"
    );
    assert_eq!(
        finding(&outputs["findings"], "AMLS206")["attribute"],
        "dns_service_ip"
    );
}

/// The example checking a machine attached over SSH, on `ssh_port` when given.
fn attached_check(ssh_port: Option<u16>) -> TestDir {
    let dir = TestDir::from_example(CHECK_EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("data-source.tf")).unwrap();
    let port = ssh_port.map_or(String::new(), |p| format!("  ssh_port     = {p}\n"));
    let attached = example.replace(
        "  compute_kind = \"cluster\"\n  max_nodes    = 4\n",
        &format!("  compute_kind = \"attached\"\n{port}"),
    );
    assert_ne!(attached, example, "the example's data block changed");
    dir.write("data-source.tf", &attached);
    dir
}

#[test]
fn network_check_for_attached_machines_runs_the_ssh_rules_without_locks() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    // SSH from AzureMachineLearning allowed on port 22 only, everything else denied; the
    // network's resource group locked, which concerns only compute Azure ML creates.
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/ssh-only",
        topology.resource_group
    );
    let rule = |name: &str, priority: u32, access: &str, source: &str, port: &str| {
        json!({"name": name, "properties": {"priority": priority, "direction": "Inbound",
            "access": access, "protocol": "*", "sourceAddressPrefix": source,
            "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": port}})
    };
    azure.put(
        &nsg,
        json!({"location": "westeurope", "properties": {"securityRules": [
            rule("ssh-aml", 100, "Allow", "AzureMachineLearning", "22"),
            rule("deny-all-in", 200, "Deny", "*", "*"),
        ]}}),
    );
    set_subnet(
        &azure,
        &topology,
        json!({"networkSecurityGroup": {"id": nsg}}),
    );
    azure.lock(&topology.resource_group, "freeze-network", "ReadOnly");

    let outputs = apply_outputs(&attached_check(None), &azure, &topology, &[]);
    assert_eq!(outputs["findings"], json!([]), "{outputs:#}");

    let outputs = apply_outputs(&attached_check(Some(2222)), &azure, &topology, &[]);
    assert_eq!(rule_ids(&outputs["findings"]), ["AMLS301"], "{outputs:#}");
    let blocked = finding(&outputs["findings"], "AMLS301");
    assert_eq!(blocked["attribute"], "subnet_id");
    assert!(
        blocked["message"].as_str().unwrap().contains("2222"),
        "{outputs:#}"
    );

    // The same lock is a finding for a compute cluster Azure ML would create there.
    let outputs = apply_outputs(
        &TestDir::from_example(CHECK_EXAMPLE),
        &azure,
        &topology,
        &[],
    );
    assert!(
        rule_ids(&outputs["findings"]).contains(&"AMLS142".into()),
        "{outputs:#}"
    );
}

#[test]
fn network_check_fails_only_when_azure_cannot_be_read() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::from_example(CHECK_EXAMPLE);
    let missing = format!(
        "{}/providers/Microsoft.MachineLearningServices/workspaces/gone",
        topology.resource_group
    );
    let run = terraform(
        &dir,
        &azure,
        &topology,
        &[("workspace_id", &missing)],
        &["plan", "-input=false", "-no-color"],
    )
    .failure();
    let output = run.all_output();
    assert!(
        output.contains("Error: Cannot read the network to check it"),
        "{output}"
    );
    assert!(
        output.contains("workspace_id = var.workspace_id"),
        "{output}"
    );
}

#[test]
fn invalid_inputs_fail_validate_at_their_attributes() {
    let dir = TestDir::from_example(CHECK_EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("data-source.tf")).unwrap();
    dir.write(
        "data-source.tf",
        &example.replace("compute_kind = \"cluster\"", "compute_kind = \"vm\""),
    );
    let run = dir.run(&["validate", "-no-color"]).failure();
    let output = run.all_output();
    assert!(output.contains("Error: Invalid compute kind"), "{output}");
    assert!(output.contains("compute_kind = \"vm\""), "{output}");
}
