//! Checks that depend on more than one object, through real Terraform against the ARM
//! emulator: locks on the virtual network's resource group or subscription (AMLS142) warn in
//! every plan that would have Azure ML manage network resources there, and a compute NSG rule
//! set declared in the same configuration as a cluster counts for the cluster's NSG checks.

use amlsecure_acceptance_tests::azure::{Azure, Topology};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::json;

const HEADER: &str = r#"
terraform {
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

provider "amlsecure" {}

variable "workspace_id" {
  type = string
}

variable "training_subnet_id" {
  type = string
}

variable "aks_subnet_id" {
  type = string
}

variable "network_security_group_id" {
  type    = string
  default = null
}
"#;

const CLUSTER: &str = r#"
resource "amlsecure_compute_cluster" "training" {
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 4
  subnet_id    = var.training_subnet_id
}
"#;

fn terraform(dir: &TestDir, azure: &Azure, topology: &Topology, nsg: &str, args: &[&str]) -> Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push((
        "TF_VAR_training_subnet_id",
        topology.training_subnet_id.clone(),
    ));
    env.push(("TF_VAR_aks_subnet_id", topology.aks_subnet_id.clone()));
    env.push(("TF_VAR_network_security_group_id", nsg.to_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = args.to_vec();
    args.push("-no-color");
    dir.run_with_env(&args, &env)
}

const PLAN: &[&str] = &["plan", "-input=false"];
const APPLY: &[&str] = &["apply", "-input=false", "-auto-approve"];
const DESTROY: &[&str] = &["destroy", "-input=false", "-auto-approve"];

#[test]
fn locks_on_the_network_warn_at_plan_and_apply_still_works() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let config = format!(
        r#"{HEADER}{CLUSTER}
resource "amlsecure_aks_attachment" "inference" {{
  name           = "aks-inference"
  workspace_id   = var.workspace_id
  subnet_id      = var.aks_subnet_id
  service_cidr   = "10.240.0.0/16"
  dns_service_ip = "10.240.0.10"
}}

data "amlsecure_network_check" "training" {{
  workspace_id = var.workspace_id
  subnet_id    = var.training_subnet_id
}}

output "lock_findings" {{
  value = [for f in data.amlsecure_network_check.training.findings : f.message if f.rule_id == "AMLS142"]
}}
"#
    );
    let dir = TestDir::new();
    dir.write("main.tf", &config);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, "", args);

    // Without locks: no AMLS142.
    let clean = tf(PLAN).success();
    assert!(
        !clean.all_output().contains("AMLS142"),
        "{}",
        clean.all_output()
    );

    azure.lock(&topology.resource_group, "keep-network", "CanNotDelete");
    let subscription = format!("/subscriptions/{}", azure.subscription());
    azure.lock(&subscription, "change-freeze", "ReadOnly");
    azure.reset_requests();
    let warned = tf(&["plan", "-input=false", "-json"]).success();
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());
    // One warning each from the cluster and the AKS attachment (the data source returns its
    // finding as a value instead).
    let warnings: Vec<(String, String)> = warned
        .diagnostics()
        .into_iter()
        .filter(|d| d.rule() == Some("AMLS142"))
        .map(|d| (d.address, d.detail))
        .collect();
    let mut addresses: Vec<&str> = warnings.iter().map(|(a, _)| a.as_str()).collect();
    addresses.sort_unstable();
    assert_eq!(
        addresses,
        [
            "amlsecure_aks_attachment.inference",
            "amlsecure_compute_cluster.training"
        ],
        "{}",
        warned.all_output()
    );
    for (_, detail) in &warnings {
        for expected in [
            "lock 'keep-network' (CanNotDelete) on resource group 'ml-rg' and lock \
             'change-freeze' (ReadOnly) on the subscription",
            "Remove locks 'keep-network' and 'change-freeze'",
        ] {
            assert!(detail.contains(expected), "missing {expected:?}:\n{detail}");
        }
    }
    // The locks list is read once per plan, however many resources ask.
    let lock_reads = azure.requests()["by_path"][format!(
        "GET {}/providers/microsoft.authorization/locks",
        topology.resource_group.to_ascii_lowercase()
    )]
    .as_u64();
    assert_eq!(lock_reads, Some(1), "{}", azure.requests());

    // A warning does not stop apply.
    let applied = tf(APPLY).success();
    assert!(applied.all_output().contains("Warning: AMLS142: "));
    let outputs = tf(&["output", "-json", "lock_findings"]).success().json();
    assert!(
        outputs[0]
            .as_str()
            .is_some_and(|m| m.contains("'change-freeze' (ReadOnly)")),
        "{outputs}"
    );
    assert!(
        azure
            .get(&format!("{}/computes/cpu-cluster", topology.workspace_id))
            .is_some()
    );
    tf(DESTROY).success();
}

/// The standard topology with NSG `ml-nsg` on the training subnet, whose only rule denies
/// all inbound traffic at 4000 (so Azure Batch is blocked).
fn blocking_nsg(azure: &Azure, topology: &Topology) -> String {
    let nsg_id = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/ml-nsg",
        topology.resource_group
    );
    azure.put(
        &nsg_id,
        json!({"location": "westeurope", "properties": {"securityRules": [{
            "name": "deny-all-in",
            "properties": {"priority": 4000, "direction": "Inbound", "access": "Deny",
                "protocol": "*", "sourceAddressPrefix": "*", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": "*"}
        }]}}),
    );
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": nsg_id}}}),
    );
    nsg_id
}

#[test]
fn a_rule_set_in_the_same_configuration_counts_for_the_cluster_checks() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let nsg_id = blocking_nsg(&azure, &topology);
    let tf = |dir: &TestDir, args: &[&str]| terraform(dir, &azure, &topology, &nsg_id, args);

    // The cluster alone: the NSG blocks Azure Batch.
    let alone = TestDir::new();
    alone.write("main.tf", &format!("{HEADER}{CLUSTER}"));
    azure.reset_requests();
    let blocked = tf(&alone, PLAN);
    assert_eq!(blocked.code, 1, "{}", blocked.all_output());
    assert!(
        blocked.all_output().contains("Error: AMLS111: "),
        "{}",
        blocked.all_output()
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // With the rule set, which the cluster depends on: plan and apply pass.
    let together = TestDir::new();
    together.write(
        "main.tf",
        &format!(
            r#"{HEADER}
resource "amlsecure_compute_network_security_rules" "training" {{
  network_security_group_id = var.network_security_group_id
}}

resource "amlsecure_compute_cluster" "training" {{
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 4
  subnet_id    = var.training_subnet_id

  depends_on = [amlsecure_compute_network_security_rules.training]
}}
"#
        ),
    );
    azure.reset_requests();
    let planned = tf(&together, PLAN).success();
    assert!(
        !planned.all_output().contains("AMLS111"),
        "{}",
        planned.all_output()
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());
    let applied = tf(&together, APPLY).success();
    assert!(
        !applied.all_output().contains("AMLS111"),
        "{}",
        applied.all_output()
    );
    assert!(
        azure
            .get(&format!("{nsg_id}/securityRules/amlsecure-batch-inbound"))
            .is_some(),
        "the Batch rule was not written"
    );
    assert!(
        azure
            .get(&format!("{}/computes/cpu-cluster", topology.workspace_id))
            .is_some()
    );
    let quiet = tf(&together, &["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(quiet.code, 0, "{}", quiet.all_output());
    tf(&together, DESTROY).success();
    assert!(
        azure
            .get(&format!("{nsg_id}/securityRules/amlsecure-batch-inbound"))
            .is_none()
    );
}
