//! `amlsecure_workspace_storage_network_rules` and `amlsecure_workspace_key_vault_network_rules`
//! through real Terraform against the ARM emulator: locking the firewall down, drift, rules
//! owned by others left alone, import, destroy putting the firewall back, and the rules
//! (service endpoints, inference storage) failing plan before any write.

use amlsecure_acceptance_tests::azure::{Azure, Topology, WorkspaceStores};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

const STORAGE_EXAMPLE: &str = "resources/amlsecure_workspace_storage_network_rules";
const STORAGE_ADDRESS: &str = "amlsecure_workspace_storage_network_rules.workspace";
const KEY_VAULT_EXAMPLE: &str = "resources/amlsecure_workspace_key_vault_network_rules";

fn terraform(dir: &TestDir, azure: &Azure, topology: &Topology, args: &[&str]) -> Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push(("TF_VAR_subnet_id", topology.training_subnet_id.clone()));
    env.push(("TF_VAR_aks_subnet_id", topology.aks_subnet_id.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dir.run_with_env(args, &env)
}

/// The standard topology, the workspace's storage account and key vault, and the training
/// subnet with both service endpoints.
fn seeded() -> (Azure, Topology, WorkspaceStores) {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let stores = azure.seed_workspace_stores(&topology);
    azure.set_training_service_endpoints(&topology, &["Microsoft.Storage", "Microsoft.KeyVault"]);
    (azure, topology, stores)
}

fn acls(azure: &Azure, id: &str) -> Value {
    azure.get(id).expect("exists")["properties"]["networkAcls"].clone()
}

fn subnet_rule_ids(acls: &Value) -> Vec<String> {
    acls["virtualNetworkRules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["id"].as_str().unwrap().to_lowercase())
        .collect()
}

fn bypass_has_azure_services(acls: &Value) -> bool {
    acls["bypass"]
        .as_str()
        .unwrap_or("")
        .split(',')
        .any(|s| s.trim() == "AzureServices")
}

#[track_caller]
fn assert_locked(acls: &Value, topology: &Topology) {
    assert_eq!(acls["defaultAction"], "Deny", "{acls}");
    assert!(
        subnet_rule_ids(acls).contains(&topology.training_subnet_id.to_lowercase()),
        "{acls}"
    );
    assert!(bypass_has_azure_services(acls), "{acls}");
}

#[track_caller]
fn assert_quiet(run: Run, what: &str) {
    assert_eq!(
        run.code,
        0,
        "no changes expected {what}:\n{}",
        run.all_output()
    );
}

/// A new emulator, `prepare` run on it, the example planned: Terraform's exit code and
/// output, after asserting the plan wrote nothing.
fn plan_after(
    example: &str,
    prepare: impl FnOnce(&Azure, &Topology),
    config: Option<&str>,
) -> (i32, String) {
    let (azure, topology, _) = seeded();
    prepare(&azure, &topology);
    let dir = TestDir::from_example(example);
    if let Some(config) = config {
        dir.write("resource.tf", config);
    }
    azure.reset_requests();
    let run = terraform(
        &dir,
        &azure,
        &topology,
        &["plan", "-input=false", "-no-color"],
    );
    assert_eq!(
        azure.writes(),
        0,
        "plan wrote to Azure: {}",
        azure.requests()
    );
    (run.code, run.all_output())
}

#[track_caller]
fn assert_fails_with(outcome: &(i32, String), rule: &str, attribute_line: &str) {
    let (code, output) = outcome;
    assert_eq!(*code, 1, "plan should fail with {rule}:\n{output}");
    assert!(
        output.contains(&format!("Error: {rule}: ")),
        "no {rule} error:\n{output}"
    );
    assert!(
        output.contains(attribute_line),
        "{rule} does not point at {attribute_line:?}:\n{output}"
    );
}

#[test]
fn storage_lock_drift_foreign_rules_and_destroy_restores() {
    let (azure, topology, stores) = seeded();
    let storage = &stores.storage_account_id;
    let original = acls(&azure, storage);
    assert_eq!(original["defaultAction"], "Allow");
    let dir = TestDir::from_example(STORAGE_EXAMPLE);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);

    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        plan.stdout.contains(&format!("\"{storage}\"")),
        "plans should name the storage account:\n{}",
        plan.stdout
    );
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    let locked = acls(&azure, storage);
    assert_locked(&locked, &topology);
    // Logging and Metrics were let through before: still are.
    assert_eq!(locked["bypass"], "Logging, Metrics, AzureServices");
    assert_quiet(
        tf(&["plan", "-input=false", "-detailed-exitcode"]),
        "after create",
    );

    // Someone opens the firewall: refresh reports it, plan and apply close it again.
    let mut opened = locked.clone();
    opened["defaultAction"] = json!("Allow");
    azure.patch(storage, json!({"properties": {"networkAcls": opened}}));
    let refresh = tf(&["plan", "-input=false", "-refresh-only", "-no-color"]).success();
    assert!(
        refresh.stdout.contains("changed outside of Terraform")
            && refresh.stdout.contains("default_action"),
        "{}",
        refresh.stdout
    );
    let drift = tf(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(drift.code, 2, "{}", drift.all_output());
    assert!(
        drift.stdout.contains(r#""Allow" -> "Deny""#),
        "{}",
        drift.stdout
    );
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    assert_eq!(acls(&azure, storage)["defaultAction"], "Deny");

    // Someone removes the subnet: plan puts it back.
    let mut removed = acls(&azure, storage);
    removed["virtualNetworkRules"] = json!([]);
    azure.patch(storage, json!({"properties": {"networkAcls": removed}}));
    let drift = tf(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(drift.code, 2, "{}", drift.all_output());
    assert!(drift.stdout.contains("subnet_ids"), "{}", drift.stdout);
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    assert_locked(&acls(&azure, storage), &topology);

    // Someone lets another address in: not this resource's rule, no difference.
    let mut foreign = acls(&azure, storage);
    foreign["ipRules"] = json!([{"value": "198.51.100.9", "action": "Allow"}]);
    azure.patch(storage, json!({"properties": {"networkAcls": foreign}}));
    assert_quiet(
        tf(&["plan", "-input=false", "-detailed-exitcode"]),
        "for a rule someone else added",
    );

    tf(&["destroy", "-input=false", "-auto-approve"]).success();
    let restored = acls(&azure, storage);
    let mut expected = original.clone();
    expected["ipRules"] = json!([{"value": "198.51.100.9", "action": "Allow"}]);
    assert_eq!(
        restored, expected,
        "destroy should put back the firewall as found, keeping the rule someone else added"
    );
}

#[test]
fn storage_ip_rules_are_added_and_released() {
    let (azure, topology, stores) = seeded();
    let storage = &stores.storage_account_id;
    let dir = TestDir::from_example(STORAGE_EXAMPLE);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    let ips = r#"ip_rules=["203.0.113.7","203.0.113.0/28"]"#;
    tf(&["apply", "-input=false", "-auto-approve", "-var", ips]).success();
    let mut values: Vec<String> = acls(&azure, storage)["ipRules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_str().unwrap().to_owned())
        .collect();
    values.sort();
    assert_eq!(values, ["203.0.113.0/28", "203.0.113.7"]);
    assert_quiet(
        tf(&["plan", "-input=false", "-detailed-exitcode", "-var", ips]),
        "with IP rules",
    );
    // One dropped from the configuration: released in Azure.
    tf(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-var",
        r#"ip_rules=["203.0.113.7"]"#,
    ])
    .success();
    assert_eq!(
        acls(&azure, storage)["ipRules"],
        json!([{"value": "203.0.113.7", "action": "Allow"}])
    );
    // Someone lets another address in beside this resource's: not its rule, no difference.
    let mut foreign = acls(&azure, storage);
    foreign["ipRules"]
        .as_array_mut()
        .unwrap()
        .push(json!({"value": "198.51.100.9", "action": "Allow"}));
    azure.patch(storage, json!({"properties": {"networkAcls": foreign}}));
    assert_quiet(
        tf(&[
            "plan",
            "-input=false",
            "-detailed-exitcode",
            "-var",
            r#"ip_rules=["203.0.113.7"]"#,
        ]),
        "for an address someone else let in",
    );
    // Someone removes this resource's address: plan puts it back.
    let mut removed = acls(&azure, storage);
    removed["ipRules"] = json!([{"value": "198.51.100.9", "action": "Allow"}]);
    azure.patch(storage, json!({"properties": {"networkAcls": removed}}));
    let drift = tf(&[
        "plan",
        "-input=false",
        "-no-color",
        "-detailed-exitcode",
        "-var",
        r#"ip_rules=["203.0.113.7"]"#,
    ]);
    assert_eq!(drift.code, 2, "{}", drift.all_output());
    assert!(
        drift.stdout.contains("+ \"203.0.113.7\""),
        "{}",
        drift.stdout
    );
    // A private address fails validation, at ip_rules.
    let private = tf(&[
        "plan",
        "-input=false",
        "-no-color",
        "-var",
        r#"ip_rules=["10.1.2.3"]"#,
    ]);
    assert_eq!(private.code, 1, "{}", private.all_output());
    assert!(
        private.all_output().contains("Invalid IP rule")
            && private.all_output().contains("ip_rules"),
        "{}",
        private.all_output()
    );
}

#[test]
fn storage_import_by_workspace_id() {
    let (azure, topology, stores) = seeded();
    let dir = TestDir::from_example(STORAGE_EXAMPLE);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    tf(&["state", "rm", STORAGE_ADDRESS]).success();
    tf(&[
        "import",
        "-input=false",
        STORAGE_ADDRESS,
        &topology.workspace_id,
    ])
    .success();
    let show = tf(&["state", "show", "-no-color", STORAGE_ADDRESS]).success();
    assert!(
        show.stdout.contains(&stores.storage_account_id) && show.stdout.contains("\"Deny\""),
        "{}",
        show.stdout
    );
    // Import cannot know the timeouts block or that nothing else was declared; what it
    // read matches the configuration.
    assert_quiet(
        tf(&["plan", "-input=false", "-detailed-exitcode"]),
        "after import",
    );
    // The firewall as imported is what destroy goes back to: it stays locked.
    tf(&["destroy", "-input=false", "-auto-approve"]).success();
    assert_locked(&acls(&azure, &stores.storage_account_id), &topology);
}

#[test]
fn storage_subnet_without_service_endpoint_fails_plan() {
    let outcome = plan_after(
        STORAGE_EXAMPLE,
        |azure, topology| azure.set_training_service_endpoints(topology, &["Microsoft.KeyVault"]),
        None,
    );
    assert_fails_with(&outcome, "AMLS401", "subnet_ids");
    assert!(
        outcome
            .1
            .contains("Microsoft.KeyVault but not Microsoft.Storage")
            && outcome.1.contains("10.0.1.0/24"),
        "{}",
        outcome.1
    );
}

#[test]
fn storage_missing_subnet_fails_plan() {
    let outcome = plan_after(
        STORAGE_EXAMPLE,
        |azure, topology| {
            azure.put(
                &topology.vnet_id,
                json!({"location": "westeurope", "properties": {
                    "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                    "subnets": [{"name": "aks", "properties": {"addressPrefix": "10.0.8.0/22"}}]
                }}),
            );
        },
        None,
    );
    assert_fails_with(&outcome, "AMLS402", "subnet_ids");
}

#[test]
fn storage_of_a_workspace_with_aks_inference_fails_plan() {
    let outcome = plan_after(
        STORAGE_EXAMPLE,
        |azure, topology| {
            azure.put(
                &format!("{}/computes/aks-inference", topology.workspace_id),
                json!({"location": "westeurope", "properties": {"computeType": "AKS"}}),
            );
        },
        None,
    );
    assert_fails_with(&outcome, "AMLS403", "workspace_id");
    assert!(outcome.1.contains("aks-inference"), "{}", outcome.1);
}

/// The storage example and an AKS inference cluster attached to the same workspace.
const STORAGE_AND_AKS: &str = r#"
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

variable "subnet_id" {
  type = string
}

variable "aks_subnet_id" {
  type = string
}

resource "amlsecure_workspace_storage_network_rules" "workspace" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.subnet_id]
}

resource "amlsecure_aks_attachment" "inference" {
  name           = "aks-inference"
  workspace_id   = var.workspace_id
  subnet_id      = var.aks_subnet_id
  service_cidr   = "10.240.0.0/16"
  dns_service_ip = "10.240.0.10"
}
"#;

#[test]
fn storage_locked_while_the_same_configuration_attaches_aks_fails_plan() {
    let outcome = plan_after(STORAGE_EXAMPLE, |_, _| {}, Some(STORAGE_AND_AKS));
    assert_fails_with(&outcome, "AMLS403", "workspace_id");
    // Today's guidance sets no such limit on storage used for inference: the AKS subnet must
    // be let in, as any compute's.
    let today = STORAGE_AND_AKS.replace(
        "provider \"amlsecure\" {}",
        "provider \"amlsecure\" {\n  guidance = \"current\"\n}",
    );
    let outcome = plan_after(STORAGE_EXAMPLE, |_, _| {}, Some(&today));
    assert!(!outcome.1.contains("AMLS403"), "{}", outcome.1);
    assert_fails_with(&outcome, "AMLS404", "subnet_id");
}

#[test]
fn key_vault_lock_drift_and_destroy_restores_exactly() {
    let (azure, topology, stores) = seeded();
    let vault = &stores.key_vault_id;
    let original = acls(&azure, vault);
    let dir = TestDir::from_example(KEY_VAULT_EXAMPLE);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);

    tf(&["apply", "-input=false", "-auto-approve"]).success();
    let locked = acls(&azure, vault);
    assert_locked(&locked, &topology);
    // Key Vault lower-cases the subnet ID; the state keeps the configured casing.
    assert_quiet(
        tf(&["plan", "-input=false", "-detailed-exitcode"]),
        "after create",
    );

    let mut opened = locked.clone();
    opened["defaultAction"] = json!("Allow");
    opened["bypass"] = json!("None");
    azure.patch(vault, json!({"properties": {"networkAcls": opened}}));
    let drift = tf(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(drift.code, 2, "{}", drift.all_output());
    assert!(
        drift.stdout.contains(r#""Allow" -> "Deny""#)
            && drift.stdout.contains("trusted_services_allowed"),
        "{}",
        drift.stdout
    );
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    assert_locked(&acls(&azure, vault), &topology);

    tf(&["destroy", "-input=false", "-auto-approve"]).success();
    assert_eq!(
        acls(&azure, vault),
        original,
        "destroy should restore the firewall"
    );
}

#[test]
fn key_vault_subnet_without_service_endpoint_fails_plan() {
    let outcome = plan_after(
        KEY_VAULT_EXAMPLE,
        |azure, topology| azure.set_training_service_endpoints(topology, &["Microsoft.Storage"]),
        None,
    );
    assert_fails_with(&outcome, "AMLS411", "subnet_ids");
}

#[test]
fn key_vault_ignores_aks_inference() {
    let (code, output) = plan_after(
        KEY_VAULT_EXAMPLE,
        |azure, topology| {
            azure.put(
                &format!("{}/computes/aks-inference", topology.workspace_id),
                json!({"location": "westeurope", "properties": {"computeType": "AKS"}}),
            );
        },
        None,
    );
    assert_eq!(code, 0, "{output}");
}

#[test]
fn unknown_subnet_defers_checks_to_apply_which_fails_before_writing() {
    let (azure, topology, stores) = seeded();
    azure.set_training_service_endpoints(&topology, &["Microsoft.KeyVault"]);
    let dir = TestDir::from_example(STORAGE_EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
    // The subnet ID comes from another resource, unknown until apply.
    dir.write(
        "resource.tf",
        &format!(
            "{}\nresource \"terraform_data\" \"subnet\" {{\n  input = var.subnet_id\n}}\n",
            example.replace(
                "subnet_ids   = [var.subnet_id]",
                "subnet_ids   = [terraform_data.subnet.output]"
            )
        ),
    );
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        plan.all_output().contains("Network checks run at apply"),
        "{}",
        plan.all_output()
    );
    let before = acls(&azure, &stores.storage_account_id);
    let apply = tf(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{}", apply.all_output());
    assert!(
        apply.all_output().contains("AMLS401"),
        "{}",
        apply.all_output()
    );
    assert_eq!(
        acls(&azure, &stores.storage_account_id),
        before,
        "the firewall changed anyway"
    );
    let patches = azure.requests()["by_path"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("PATCH"))
        .count();
    assert_eq!(patches, 0, "{}", azure.requests());
}

#[test]
fn storage_adopted_by_identity_with_generated_configuration() {
    let (azure, topology, stores) = seeded();
    let elsewhere = TestDir::from_example(STORAGE_EXAMPLE);
    terraform(
        &elsewhere,
        &azure,
        &topology,
        &["apply", "-input=false", "-auto-approve"],
    )
    .success();

    // A new working directory: the documentation's import block, configuration generated.
    let example = std::fs::read_to_string(
        amlsecure_acceptance_tests::workspace_root()
            .join("examples/resources")
            .join(STORAGE_ADDRESS.split('.').next().unwrap())
            .join("import-by-identity.tf"),
    )
    .unwrap();
    let dir = TestDir::new();
    dir.write(
        "main.tf",
        "terraform {\n  required_providers {\n    amlsecure = {\n      source = \"amlsecure/amlsecure\"\n    }\n  }\n}\n\nprovider \"amlsecure\" {}\n",
    );
    dir.write(
        "import.tf",
        &example.replace("00000000-0000-0000-0000-000000000000", azure.subscription()),
    );
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    let plan = tf(&["plan", "-input=false", "-generate-config-out=generated.tf"]);
    assert_eq!(plan.code, 0, "{}", plan.all_output());
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    assert_quiet(
        tf(&["plan", "-input=false", "-detailed-exitcode"]),
        "after import by identity",
    );
    let show = tf(&["show", "-json"]).success().json();
    let resource = &show["values"]["root_module"]["resources"][0];
    assert_eq!(resource["identity"]["workspace_name"], "ml-workspace");
    assert_eq!(resource["values"]["id"], stores.storage_account_id.as_str());
}
