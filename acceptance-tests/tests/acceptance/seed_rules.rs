//! The seed's remaining rules through real Terraform against the ARM emulator: outbound to
//! the virtual network and public SSH for compute clusters, default outbound rules and scoring
//! clients for AKS, outbound access for attached machines, the storage and key vault
//! firewalls (live, planned in the same configuration, and a datastore's account), Azure
//! Policy assignments denying what Azure ML creates, and HTTPS scoring (the AKS attachment's
//! `ssl`, whose certificate and key never reach state or logs). Each rule fails or warns the
//! plan before any write, and the network check reports those it runs.

use amlsecure_acceptance_tests::azure::{Azure, Topology, ubuntu_image};
use amlsecure_acceptance_tests::{Diagnostic, Run, TestDir};
use serde_json::{Value, json};

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
"#;

fn terraform(dir: &TestDir, azure: &Azure, topology: &Topology, args: &[&str]) -> Run {
    terraform_with(dir, azure, topology, args, &[])
}

fn terraform_with(
    dir: &TestDir,
    azure: &Azure,
    topology: &Topology,
    args: &[&str],
    extra: &[(&'static str, String)],
) -> Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push((
        "TF_VAR_training_subnet_id",
        topology.training_subnet_id.clone(),
    ));
    env.push(("TF_VAR_aks_subnet_id", topology.aks_subnet_id.clone()));
    env.extend(extra.iter().cloned());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dir.run_with_env(args, &env)
}

const PLAN_JSON: &[&str] = &["plan", "-input=false", "-json"];

/// The diagnostics rules raised.
fn findings(run: &Run) -> Vec<Diagnostic> {
    run.diagnostics()
        .into_iter()
        .filter(|d| d.rule().is_some())
        .collect()
}

/// The IDs of the findings, `severity:ID@address`, sorted.
fn ids(run: &Run) -> Vec<String> {
    let mut ids: Vec<String> = findings(run)
        .into_iter()
        .map(|d| {
            format!(
                "{}:{}@{}",
                d.severity,
                d.rule().unwrap_or_default(),
                d.address
            )
        })
        .collect();
    ids.sort();
    ids
}

/// The detail of the one finding of rule `id`.
#[track_caller]
fn detail(run: &Run, id: &str) -> String {
    let found: Vec<String> = findings(run)
        .into_iter()
        .filter(|d| d.rule() == Some(id))
        .map(|d| d.detail)
        .collect();
    assert_eq!(found.len(), 1, "{id}: {found:?}\n{}", run.all_output());
    found[0].clone()
}

/// A network security group in the topology's group with these rules (ARM bodies).
fn nsg(azure: &Azure, topology: &Topology, name: &str, rules: Vec<Value>) -> String {
    let id = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/{name}",
        topology.resource_group
    );
    azure.put(
        &id,
        json!({"location": "westeurope", "properties": {"securityRules": rules}}),
    );
    id
}

/// An ARM security rule body.
fn rule(
    name: &str,
    priority: u32,
    direction: &str,
    access: &str,
    prefixes: (&str, &str),
    ports: &str,
) -> Value {
    json!({"name": name, "properties": {"priority": priority, "direction": direction,
        "access": access, "protocol": "*", "sourceAddressPrefix": prefixes.0,
        "sourcePortRange": "*", "destinationAddressPrefix": prefixes.1,
        "destinationPortRange": ports}})
}

fn batch_inbound() -> Value {
    rule(
        "batch",
        100,
        "Inbound",
        "Allow",
        ("BatchNodeManagement", "*"),
        "29876-29877",
    )
}

fn attach_nsg(azure: &Azure, subnet_id: &str, prefix: &str, nsg: &str) {
    azure.put(
        subnet_id,
        json!({"properties": {"addressPrefix": prefix, "networkSecurityGroup": {"id": nsg}}}),
    );
}

const CLUSTER_WITH_SSH: &str = r#"
variable "ssh" {
  type    = bool
  default = false
}

variable "ssh_sources" {
  type    = list(string)
  default = null
}

resource "amlsecure_compute_cluster" "training" {
  name                      = "cpu-cluster"
  workspace_id              = var.workspace_id
  vm_size                   = "STANDARD_D2_V2"
  max_nodes                 = 4
  subnet_id                 = var.training_subnet_id
  ssh_public_access_enabled = var.ssh
  ssh_source_addresses      = var.ssh_sources
}
"#;

#[test]
fn cluster_plans_need_outbound_to_the_virtual_network_and_public_ssh_from_its_sources() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let no_vnet_out = rule(
        "no-vnet-out",
        4000,
        "Outbound",
        "Deny",
        ("*", "VirtualNetwork"),
        "*",
    );
    let group = nsg(
        &azure,
        &topology,
        "training-nsg",
        vec![batch_inbound(), no_vnet_out],
    );
    attach_nsg(&azure, &topology.training_subnet_id, "10.0.1.0/24", &group);
    let dir = TestDir::new();
    dir.write("main.tf", &format!("{HEADER}{CLUSTER_WITH_SSH}"));
    let tf = |args: &[&str], extra: &[(&'static str, String)]| {
        terraform_with(&dir, &azure, &topology, args, extra)
    };
    tf(&["init", "-input=false"], &[]).success();

    azure.reset_requests();
    let plan = tf(PLAN_JSON, &[]).failure();
    assert_eq!(
        ids(&plan),
        ["error:AMLS115@amlsecure_compute_cluster.training"]
    );
    let text = detail(&plan, "AMLS115");
    assert!(
        text.contains("rule 'no-vnet-out' (priority 4000) denies TCP on any port to VirtualNetwork (10.0.0.0/16)")
            && text.contains("UDP on any port")
            && text.contains("Add an outbound Allow rule for any protocol to service tag VirtualNetwork with a priority number below 4000 (evaluated first)"),
        "{text}"
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // The VNet open again; SSH enabled from an office range the group does not let in.
    nsg(&azure, &topology, "training-nsg", vec![batch_inbound()]);
    azure.reset_requests();
    let ssh = [
        ("TF_VAR_ssh", "true".to_owned()),
        ("TF_VAR_ssh_sources", r#"["203.0.113.0/24"]"#.to_owned()),
    ];
    let plan = tf(PLAN_JSON, &ssh).failure();
    assert_eq!(
        ids(&plan),
        ["error:AMLS117@amlsecure_compute_cluster.training"]
    );
    let text = detail(&plan, "AMLS117");
    assert!(
        text.contains("denies TCP 22 from 203.0.113.0/24")
            && text.contains("Add an inbound Allow rule for TCP 22 from 203.0.113.0/24"),
        "{text}"
    );
    // Without sources: from any public address, and the fix asks for them.
    let plan = tf(PLAN_JSON, &ssh[..1]).failure();
    let text = detail(&plan, "AMLS117");
    assert!(
        text.contains("from any public address")
            && text.contains("list those addresses in ssh_source_addresses"),
        "{text}"
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // Let the office in: the plan passes.
    let office = rule(
        "ssh-office",
        200,
        "Inbound",
        "Allow",
        ("203.0.113.0/24", "*"),
        "22",
    );
    nsg(
        &azure,
        &topology,
        "training-nsg",
        vec![batch_inbound(), office],
    );
    let plan = tf(PLAN_JSON, &ssh).success();
    assert_eq!(ids(&plan), Vec::<String>::new());
}

#[test]
fn aks_plans_keep_the_default_outbound_rules_and_let_scoring_clients_in() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let aml_inbound = rule(
        "aml",
        100,
        "Inbound",
        "Allow",
        ("AzureMachineLearning", "*"),
        "*",
    );
    let no_internet = rule(
        "no-internet",
        4000,
        "Outbound",
        "Deny",
        ("*", "Internet"),
        "*",
    );
    let group = nsg(
        &azure,
        &topology,
        "aks-nsg",
        vec![aml_inbound.clone(), no_internet],
    );
    attach_nsg(&azure, &topology.aks_subnet_id, "10.0.8.0/22", &group);
    let config = format!(
        r#"{HEADER}
variable "clients" {{
  type    = list(string)
  default = null
}}

resource "amlsecure_aks_attachment" "inference" {{
  name                     = "aks-inference"
  workspace_id             = var.workspace_id
  subnet_id                = var.aks_subnet_id
  service_cidr             = "10.240.0.0/16"
  dns_service_ip           = "10.240.0.10"
  scoring_source_addresses = var.clients
}}
"#
    );
    let dir = TestDir::new();
    dir.write("main.tf", &config);
    let tf = |args: &[&str], extra: &[(&'static str, String)]| {
        terraform_with(&dir, &azure, &topology, args, extra)
    };
    tf(&["init", "-input=false"], &[]).success();

    azure.reset_requests();
    let plan = tf(PLAN_JSON, &[]).success();
    assert_eq!(
        ids(&plan),
        ["warning:AMLS223@amlsecure_aks_attachment.inference"]
    );
    let text = detail(&plan, "AMLS223");
    assert!(
        text.contains("rule 'no-internet' (priority 4000) denies TCP 443 to Internet")
            && text.contains("keep the default outbound rules"),
        "{text}"
    );

    let clients = [("TF_VAR_clients", r#"["203.0.113.0/24"]"#.to_owned())];
    let plan = tf(PLAN_JSON, &clients).failure();
    assert_eq!(
        ids(&plan),
        [
            "error:AMLS224@amlsecure_aks_attachment.inference",
            "warning:AMLS223@amlsecure_aks_attachment.inference"
        ]
    );
    let text = detail(&plan, "AMLS224");
    assert!(
        text.contains("denies TCP 80 from 203.0.113.0/24")
            && text.contains("on port 80, since ssl is not enabled"),
        "{text}"
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // The default outbound rules back, scoring open to the clients: a clean plan.
    let scoring = rule(
        "scoring",
        200,
        "Inbound",
        "Allow",
        ("203.0.113.0/24", "*"),
        "80",
    );
    nsg(&azure, &topology, "aks-nsg", vec![aml_inbound, scoring]);
    let plan = tf(PLAN_JSON, &clients).success();
    assert_eq!(ids(&plan), Vec::<String>::new());
}

#[test]
fn attached_machines_keep_their_outbound_access() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let ssh = rule(
        "ssh-aml",
        100,
        "Inbound",
        "Allow",
        ("AzureMachineLearning", "*"),
        "22",
    );
    let no_vnet_out = rule(
        "no-vnet-out",
        4000,
        "Outbound",
        "Deny",
        ("*", "VirtualNetwork"),
        "*",
    );
    let nic_nsg = nsg(&azure, &topology, "dev-nic-nsg", vec![ssh, no_vnet_out]);
    let vm_id = azure.seed_vm(&topology, "dev", ubuntu_image(), Some(&nic_nsg));
    let config = format!(
        r#"{HEADER}
variable "virtual_machine_id" {{
  type = string
}}

resource "amlsecure_vm_attachment" "dev" {{
  name               = "dev-vm"
  workspace_id       = var.workspace_id
  virtual_machine_id = var.virtual_machine_id
  username           = "azureuser"
  password           = "Attach-Passw0rd-For-A-Plan"
}}
"#
    );
    let dir = TestDir::new();
    dir.write("main.tf", &config);
    let extra = [("TF_VAR_virtual_machine_id", vm_id)];
    terraform_with(&dir, &azure, &topology, &["init", "-input=false"], &extra).success();
    azure.reset_requests();
    let plan = terraform_with(&dir, &azure, &topology, PLAN_JSON, &extra).success();
    assert_eq!(ids(&plan), ["warning:AMLS303@amlsecure_vm_attachment.dev"]);
    let text = detail(&plan, "AMLS303");
    assert!(
        text.contains("in network security group 'dev-nic-nsg', rule 'no-vnet-out' (priority 4000) denies TCP on any port to VirtualNetwork (10.0.0.0/16)"),
        "{text}"
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());
}

/// Puts the workspace's storage account and key vault behind "selected networks" that let
/// only the AKS subnet in, and adds a datastore `sales` on a second account, `salesdata`,
/// that lets no subnet in.
fn lock_stores_down(azure: &Azure, topology: &Topology) {
    let stores = azure.seed_workspace_stores(topology);
    azure.put(
        &topology.aks_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.8.0/22", "serviceEndpoints": [
            {"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}]}}),
    );
    let only_aks = json!([{"id": topology.aks_subnet_id}]);
    azure.patch(
        &stores.storage_account_id,
        json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices",
            "virtualNetworkRules": only_aks, "ipRules": []}}}),
    );
    azure.patch(
        &stores.key_vault_id,
        json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices",
            "virtualNetworkRules": only_aks, "ipRules": []}}}),
    );
    let sales = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/salesdata",
        topology.resource_group
    );
    azure.put(
        &sales,
        json!({"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
            "properties": {"networkAcls": {"defaultAction": "Deny"}}}),
    );
    azure.put(
        &format!("{}/datastores/sales", topology.workspace_id),
        json!({"properties": {"datastoreType": "AzureBlob", "accountName": "salesdata",
            "containerName": "raw", "resourceGroup": "ml-rg",
            "credentials": {"credentialsType": "None"}}}),
    );
}

const CLUSTER: &str = r#"
resource "amlsecure_compute_cluster" "training" {
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 4
  subnet_id    = var.training_subnet_id
}
"#;

#[test]
fn storage_and_key_vault_firewalls_must_let_the_compute_subnet_in() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    lock_stores_down(&azure, &topology);
    let dir = TestDir::new();
    dir.write("main.tf", &format!("{HEADER}{CLUSTER}"));
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    tf(&["init", "-input=false"]).success();

    azure.reset_requests();
    let plan = tf(PLAN_JSON).failure();
    assert_eq!(
        ids(&plan),
        [
            "error:AMLS404@amlsecure_compute_cluster.training",
            "error:AMLS413@amlsecure_compute_cluster.training",
            "warning:AMLS405@amlsecure_compute_cluster.training",
        ]
    );
    let text = detail(&plan, "AMLS404");
    assert!(
        text.contains("storage account mlstore of the workspace lets only selected networks in (defaultAction Deny), and its virtual network rules (aks of ml-vnet) do not include subnet training (10.0.1.0/24) of virtual network ml-vnet")
            && text.contains(&format!("Add {} to subnet_ids of the workspace's amlsecure_workspace_storage_network_rules", topology.training_subnet_id)),
        "{text}"
    );
    let text = detail(&plan, "AMLS405");
    assert!(
        text.contains("storage account salesdata, which datastore 'sales' reads, lets only selected networks in")
            && text.contains("for experimentation only"),
        "{text}"
    );
    assert!(detail(&plan, "AMLS413").contains("key vault ml-kv of the workspace"));
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // The network check reports the same findings as values.
    let check = TestDir::new();
    check.write(
        "main.tf",
        &format!(
            r#"{HEADER}
data "amlsecure_network_check" "training" {{
  workspace_id = var.workspace_id
  subnet_id    = var.training_subnet_id
}}

output "findings" {{
  value = [for f in data.amlsecure_network_check.training.findings : "${{f.severity}}:${{f.rule_id}}"]
}}
"#
        ),
    );
    let run = |args: &[&str]| terraform(&check, &azure, &topology, args);
    run(&["init", "-input=false"]).success();
    run(&["apply", "-input=false", "-auto-approve"]).success();
    let output = run(&["output", "-json", "findings"]).success().json();
    assert_eq!(
        output,
        json!(["error:AMLS404", "warning:AMLS405", "error:AMLS413"])
    );
}

#[test]
fn todays_guidance_takes_a_private_endpoint_in_the_compute_network_as_a_way_in() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    lock_stores_down(&azure, &topology);
    let rg = &topology.resource_group;
    let storage = format!("{rg}/providers/Microsoft.Storage/storageAccounts/mlstore");
    let vault = format!("{rg}/providers/Microsoft.KeyVault/vaults/ml-kv");
    // The account's endpoint sits in the compute's network; the vault's in a hub elsewhere.
    let hub = format!("{rg}/providers/Microsoft.Network/virtualNetworks/hub-vnet");
    azure.put(
        &hub,
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
            "subnets": [{"name": "endpoints", "properties": {"addressPrefix": "10.9.1.0/24"}}]
        }}),
    );
    azure.seed_private_endpoint(
        "mlstore-pe",
        &topology.training_subnet_id,
        &storage,
        "blob",
        true,
    );
    azure.seed_private_endpoint(
        "ml-kv-pe",
        &format!("{hub}/subnets/endpoints"),
        &vault,
        "vault",
        true,
    );
    let today = HEADER.replace(
        "provider \"amlsecure\" {}",
        "provider \"amlsecure\" {\n  guidance = \"current\"\n}",
    );
    let dir = TestDir::new();
    dir.write("main.tf", &format!("{today}{CLUSTER}"));
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    tf(&["init", "-input=false"]).success();

    azure.reset_requests();
    let plan = tf(PLAN_JSON).failure();
    assert_eq!(
        ids(&plan),
        [
            "error:AMLS413@amlsecure_compute_cluster.training",
            "warning:AMLS405@amlsecure_compute_cluster.training",
        ]
    );
    let text = detail(&plan, "AMLS413");
    assert!(
        text.contains(
            "its approved private endpoint 'ml-kv-pe' is not in the compute's virtual network"
        ) && text.contains("Azure's guidance (current)"),
        "{text}"
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // The 2019 guidance knows no private endpoints: an approved one anywhere is taken as the
    // way in.
    dir.write("main.tf", &format!("{HEADER}{CLUSTER}"));
    let plan = tf(PLAN_JSON).success();
    assert_eq!(
        ids(&plan),
        ["warning:AMLS405@amlsecure_compute_cluster.training"]
    );
}

#[test]
fn firewalls_planned_in_the_same_configuration_count_and_inference_needs_open_storage() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    lock_stores_down(&azure, &topology);
    azure.set_training_service_endpoints(&topology, &["Microsoft.Storage", "Microsoft.KeyVault"]);
    let config = format!(
        r#"{HEADER}
resource "amlsecure_workspace_storage_network_rules" "training" {{
  workspace_id = var.workspace_id
  subnet_ids   = [var.training_subnet_id, var.aks_subnet_id]
}}

resource "amlsecure_workspace_key_vault_network_rules" "training" {{
  workspace_id = var.workspace_id
  subnet_ids   = [var.training_subnet_id, var.aks_subnet_id]
}}

resource "amlsecure_compute_cluster" "training" {{
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 4
  subnet_id    = var.training_subnet_id
  depends_on = [
    amlsecure_workspace_storage_network_rules.training,
    amlsecure_workspace_key_vault_network_rules.training,
  ]
}}
"#
    );
    let dir = TestDir::new();
    dir.write("main.tf", &config);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    tf(&["init", "-input=false"]).success();
    azure.reset_requests();
    let plan = tf(PLAN_JSON).success();
    // The planned firewalls let the training subnet in; the datastore's account still not.
    assert_eq!(
        ids(&plan),
        ["warning:AMLS405@amlsecure_compute_cluster.training"]
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // AKS inference on the same workspace: its storage must stay open to all networks.
    let aks = TestDir::new();
    aks.write(
        "main.tf",
        &format!(
            r#"{HEADER}
resource "amlsecure_aks_attachment" "inference" {{
  name           = "aks-inference"
  workspace_id   = var.workspace_id
  subnet_id      = var.aks_subnet_id
  service_cidr   = "10.240.0.0/16"
  dns_service_ip = "10.240.0.10"
}}
"#
        ),
    );
    let run = |args: &[&str]| terraform(&aks, &azure, &topology, args);
    run(&["init", "-input=false"]).success();
    let plan = run(PLAN_JSON).failure();
    assert_eq!(
        ids(&plan),
        [
            "error:AMLS403@amlsecure_aks_attachment.inference",
            "warning:AMLS405@amlsecure_aks_attachment.inference",
        ]
    );
    assert!(
        detail(&plan, "AMLS403")
            .contains("whose storage account mlstore lets only selected networks in"),
        "{}",
        plan.all_output()
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());
}

const NOT_ALLOWED_TYPES: &str =
    "/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749";
const REQUIRE_TAG: &str =
    "/providers/Microsoft.Authorization/policyDefinitions/871b6d14-10aa-478d-b590-94f262ecfa99";

#[test]
fn policies_that_deny_what_azure_ml_creates_warn_the_cluster_plan() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let subscription = format!("/subscriptions/{}", azure.subscription());
    let no_public_ips =
        format!("{subscription}/providers/Microsoft.Authorization/policyAssignments/no-public-ips");
    azure.put(
        &no_public_ips,
        json!({"properties": {"displayName": "No public IPs",
            "policyDefinitionId": NOT_ALLOWED_TYPES,
            "parameters": {"listOfResourceTypesNotAllowed":
                {"value": ["Microsoft.Network/publicIPAddresses"]}}}}),
    );
    // An initiative on the network's resource group that requires a tag it passes down.
    let initiative =
        format!("{subscription}/providers/Microsoft.Authorization/policySetDefinitions/tagging");
    azure.put(
        &initiative,
        json!({"properties": {"displayName": "Tagging baseline",
            "parameters": {"tag": {"type": "String"}},
            "policyDefinitions": [{"policyDefinitionId": REQUIRE_TAG,
                "policyDefinitionReferenceId": "require-tag",
                "parameters": {"tagName": {"value": "[parameters('tag')]"}}}]}}),
    );
    let tagging = format!(
        "{}/providers/Microsoft.Authorization/policyAssignments/tagging",
        topology.resource_group
    );
    azure.put(
        &tagging,
        json!({"properties": {"displayName": "Tag everything",
            "policyDefinitionId": initiative,
            "parameters": {"tag": {"value": "costCenter"}}}}),
    );
    let config = format!(
        r#"{HEADER}
variable "public_ips" {{
  type    = bool
  default = true
}}

resource "amlsecure_compute_cluster" "training" {{
  name                   = "cpu-cluster"
  workspace_id           = var.workspace_id
  vm_size                = "STANDARD_D2_V2"
  max_nodes              = 4
  subnet_id              = var.training_subnet_id
  node_public_ip_enabled = var.public_ips
}}

data "amlsecure_network_check" "training" {{
  workspace_id = var.workspace_id
  subnet_id    = var.training_subnet_id
}}

output "policy_findings" {{
  value = [for f in data.amlsecure_network_check.training.findings : f.message if f.rule_id == "AMLS143"]
}}

data "amlsecure_network_check" "private_nodes" {{
  workspace_id           = var.workspace_id
  subnet_id              = var.training_subnet_id
  node_public_ip_enabled = false
}}

output "private_nodes_policy_findings" {{
  value = [for f in data.amlsecure_network_check.private_nodes.findings : f.rule_id if f.rule_id == "AMLS143"]
}}
"#
    );
    let dir = TestDir::new();
    dir.write("main.tf", &config);
    let tf = |args: &[&str], extra: &[(&'static str, String)]| {
        terraform_with(&dir, &azure, &topology, args, extra)
    };
    tf(&["init", "-input=false"], &[]).success();

    azure.reset_requests();
    let plan = tf(PLAN_JSON, &[]).success();
    let warnings: Vec<String> = findings(&plan)
        .into_iter()
        .filter(|d| {
            d.rule() == Some("AMLS143") && d.address == "amlsecure_compute_cluster.training"
        })
        .map(|d| format!("{}: {}", d.severity, d.detail))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let denied = warnings
        .iter()
        .find(|w| w.contains("'No public IPs'"))
        .expect("the subscription's assignment warns");
    assert!(
        denied.starts_with("warning: Azure Policy assignment 'No public IPs' (policy 'Not allowed resource types', assigned at subscription")
            && denied.contains("denies creating a public IP address (Microsoft.Network/publicIPAddresses) in resource group ml-rg")
            && denied.contains(&format!("--policy-assignment {no_public_ips} --scope {}", topology.resource_group)),
        "{denied}"
    );
    let tag = warnings
        .iter()
        .find(|w| w.contains("'Tag everything'"))
        .expect("the group's initiative warns");
    assert!(
        tag.contains("(initiative 'Tagging baseline', policy 'Require a tag on resources', assigned at resource group ml-rg) may deny creating a network security group")
            && tag.contains("turns on tags[costCenter]"),
        "{tag}"
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // Without public IPs the subscription's assignment has nothing to deny.
    let plan = tf(PLAN_JSON, &[("TF_VAR_public_ips", "false".to_owned())]).success();
    let found = findings(&plan);
    assert!(
        found.len() == 1
            && found[0].rule() == Some("AMLS143")
            && found[0]
                .detail
                .starts_with("Azure Policy assignment 'Tag everything'"),
        "{found:?}"
    );

    // Not enforced: no warning; the network check reports what the plan would.
    azure.put(
        &tagging,
        json!({"properties": {"displayName": "Tag everything", "enforcementMode": "DoNotEnforce",
            "policyDefinitionId": initiative, "parameters": {"tag": {"value": "costCenter"}}}}),
    );
    tf(
        &[
            "apply",
            "-input=false",
            "-auto-approve",
            "-target=data.amlsecure_network_check.training",
            "-target=data.amlsecure_network_check.private_nodes",
        ],
        &[],
    )
    .success();
    let output = |name: &str| tf(&["output", "-json", name], &[]).success().json();
    let messages = output("policy_findings");
    let messages = messages.as_array().expect("a list");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].as_str().unwrap().contains("'No public IPs'"));
    // Nodes without public IPs: nothing the subscription's assignment denies is created.
    assert_eq!(output("private_nodes_policy_findings"), json!([]));
}

/// A self-signed certificate for `names` and its key, in PEM.
fn certificate_for(names: &[&str]) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("a key");
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("certificate parameters");
    let certificate = params.self_signed(&key).expect("a certificate");
    (certificate.pem(), key.serialize_pem())
}

/// A line from the middle of a PEM: text that must never leave the configuration.
fn pem_body(pem: &str) -> String {
    pem.lines().nth(2).expect("a PEM body").to_owned()
}

const AKS_WITH_SSL: &str = r#"
variable "ssl_status" {
  type = string
}

variable "leaf_domain_label" {
  type    = string
  default = null
}

variable "cname" {
  type    = string
  default = null
}

variable "certificate" {
  type      = string
  default   = null
  sensitive = true
}

variable "key" {
  type      = string
  default   = null
  sensitive = true
}

variable "load_balancer_type" {
  type    = string
  default = null
}

resource "amlsecure_aks_attachment" "inference" {
  name               = "aks-inference"
  workspace_id       = var.workspace_id
  subnet_id          = var.aks_subnet_id
  service_cidr       = "10.240.0.0/16"
  dns_service_ip     = "10.240.0.10"
  load_balancer_type = var.load_balancer_type

  ssl {
    status            = var.ssl_status
    leaf_domain_label = var.leaf_domain_label
    cname             = var.cname
    certificate       = var.certificate
    key               = var.key
  }
}
"#;

#[test]
fn ssl_settings_that_do_not_go_together_fail_the_plan_before_any_write() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::new();
    dir.write("main.tf", &format!("{HEADER}{AKS_WITH_SSL}"));
    let (certificate, key) = certificate_for(&["www.contoso.com"]);
    let (_, other_key) = certificate_for(&["www.contoso.com"]);
    let var = |name: &'static str, value: &str| (name, value.to_owned());
    let own = |cname: &str, key: &str| {
        vec![
            var("TF_VAR_ssl_status", "Enabled"),
            var("TF_VAR_cname", cname),
            var("TF_VAR_certificate", &certificate),
            var("TF_VAR_key", key),
        ]
    };
    let tf = |args: &[&str], extra: &[(&'static str, String)]| {
        terraform_with(&dir, &azure, &topology, args, extra)
    };
    tf(&["init", "-input=false"], &[]).success();
    azure.reset_requests();

    let address = "amlsecure_aks_attachment.inference";
    type Vars = Vec<(&'static str, String)>;
    let cases: Vec<(Vars, &str, &str)> = vec![
        (
            vec![
                var("TF_VAR_ssl_status", "Enabled"),
                var("TF_VAR_cname", "www.contoso.com"),
            ],
            "error:AMLS241",
            "but ssl.certificate and ssl.key are not set",
        ),
        (
            vec![var("TF_VAR_ssl_status", "Auto")],
            "error:AMLS243",
            "which is not set",
        ),
        (
            vec![
                var("TF_VAR_ssl_status", "Auto"),
                var("TF_VAR_leaf_domain_label", "contoso"),
                var("TF_VAR_load_balancer_type", "InternalLoadBalancer"),
            ],
            "error:AMLS244",
            "load_balancer_type \"InternalLoadBalancer\"",
        ),
        (
            vec![
                var("TF_VAR_ssl_status", "Auto"),
                var("TF_VAR_leaf_domain_label", "contoso"),
                var("TF_VAR_cname", "www.contoso.com"),
            ],
            "error:AMLS242",
            "ssl.cname is for your own certificate",
        ),
        (
            own("api.contoso.com", &key),
            "error:AMLS247",
            "valid for www.contoso.com, not for ssl.cname api.contoso.com",
        ),
        (
            own("www.contoso.com", &other_key),
            "error:AMLS246",
            "it is not the private key of ssl.certificate",
        ),
        (
            own("www.contoso.com", &certificate),
            "error:AMLS246",
            "not a private key (are certificate and key swapped?)",
        ),
    ];
    for (vars, expected, words) in cases {
        let plan = tf(PLAN_JSON, &vars).failure();
        assert_eq!(ids(&plan), [format!("{expected}@{address}")], "{vars:?}");
        let id = expected.split(':').nth(1).unwrap();
        let text = detail(&plan, id);
        assert!(text.contains(words), "{text}");
        for secret in [pem_body(&certificate), pem_body(&key), pem_body(&other_key)] {
            assert!(!plan.all_output().contains(&secret), "a PEM leaked");
        }
    }

    // The finding points at the setting in the block.
    let plan = tf(PLAN_JSON, &own("api.contoso.com", &key)).failure();
    let snippet = plan
        .json_lines()
        .into_iter()
        .find(|line| {
            line["diagnostic"]["summary"]
                .as_str()
                .is_some_and(|s| s.starts_with("AMLS247"))
        })
        .expect("the AMLS247 diagnostic")["diagnostic"]["snippet"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(snippet.contains("cname"), "{snippet}");

    // Disabled with settings left in: a warning, and the plan goes on.
    let mut disabled = own("www.contoso.com", &key);
    disabled[0] = var("TF_VAR_ssl_status", "Disabled");
    let plan = tf(PLAN_JSON, &disabled).success();
    assert_eq!(ids(&plan), [format!("warning:AMLS245@{address}")]);
    let plan = tf(PLAN_JSON, &own("www.contoso.com", &key)).success();
    assert_eq!(ids(&plan), Vec::<String>::new());
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());
}

#[test]
fn ssl_settings_known_only_at_apply_are_checked_before_any_write() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let (certificate, key) = certificate_for(&["www.contoso.com"]);
    let dir = TestDir::new();
    dir.write(
        "main.tf",
        &format!(
            r#"{HEADER}
variable "certificate" {{
  type      = string
  sensitive = true
}}

variable "key" {{
  type      = string
  sensitive = true
}}

# Its ID, and so the CNAME, is known only at apply.
resource "terraform_data" "suffix" {{}}

resource "amlsecure_aks_attachment" "inference" {{
  name           = "aks-inference"
  workspace_id   = var.workspace_id
  subnet_id      = var.aks_subnet_id
  service_cidr   = "10.240.0.0/16"
  dns_service_ip = "10.240.0.10"

  ssl {{
    status      = "Enabled"
    cname       = "scoring-${{terraform_data.suffix.id}}.contoso.com"
    certificate = var.certificate
    key         = var.key
  }}
}}
"#
        ),
    );
    let secrets = [
        ("TF_VAR_certificate", certificate.clone()),
        ("TF_VAR_key", key.clone()),
    ];
    let tf = |args: &[&str]| terraform_with(&dir, &azure, &topology, args, &secrets);
    tf(&["init", "-input=false"]).success();
    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        plan.stdout.contains("SSL checks run at apply") && !plan.stdout.contains("AMLS247:"),
        "{}",
        plan.all_output()
    );
    let apply = tf(&["apply", "-input=false", "-auto-approve", "-no-color"]).failure();
    assert!(
        apply
            .all_output()
            .contains("Error: AMLS247: SSL certificate is not valid"),
        "{}",
        apply.all_output()
    );
    let compute = format!("{}/computes/aks-inference", topology.workspace_id);
    assert!(azure.get(&compute).is_none(), "the apply wrote the compute");
    assert!(!apply.all_output().contains(&pem_body(&key)));
}

/// The AKS attachment with `ssl` (HCL for the block, or empty) and scoring clients.
fn aks_with_clients(ssl: &str) -> String {
    format!(
        r#"{HEADER}
variable "certificate" {{
  type      = string
  sensitive = true
}}

variable "key" {{
  type      = string
  sensitive = true
}}

resource "amlsecure_aks_attachment" "inference" {{
  name                     = "aks-inference"
  workspace_id             = var.workspace_id
  subnet_id                = var.aks_subnet_id
  service_cidr             = "10.240.0.0/16"
  dns_service_ip           = "10.240.0.10"
  scoring_source_addresses = ["203.0.113.0/24"]
{ssl}
}}
"#
    )
}

const OWN_CERTIFICATE: &str = r#"
  ssl {
    status              = "Enabled"
    cname               = "www.contoso.com"
    certificate         = var.certificate
    key                 = var.key
    certificate_version = 1
  }
"#;

const MICROSOFT_CERTIFICATE: &str = r#"
  ssl {
    status            = "Auto"
    leaf_domain_label = "contoso"
  }
"#;

#[test]
fn ssl_changes_in_place_opens_port_443_and_never_stores_the_key() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let aml_inbound = rule(
        "aml",
        100,
        "Inbound",
        "Allow",
        ("AzureMachineLearning", "*"),
        "*",
    );
    let scoring = |ports: &str| {
        rule(
            "scoring",
            200,
            "Inbound",
            "Allow",
            ("203.0.113.0/24", "*"),
            ports,
        )
    };
    let group = nsg(
        &azure,
        &topology,
        "aks-nsg",
        vec![aml_inbound.clone(), scoring("80")],
    );
    attach_nsg(&azure, &topology.aks_subnet_id, "10.0.8.0/22", &group);
    let (certificate, key) = certificate_for(&["www.contoso.com"]);
    let secrets = [
        ("TF_VAR_certificate", certificate.clone()),
        ("TF_VAR_key", key.clone()),
        ("TF_LOG_PROVIDER", "trace".to_owned()),
    ];
    let dir = TestDir::new();
    let tf = |args: &[&str]| terraform_with(&dir, &azure, &topology, args, &secrets);
    let compute_id = format!("{}/computes/aks-inference", topology.workspace_id);
    let mut logs = String::new();

    dir.write("main.tf", &aks_with_clients(""));
    tf(&["init", "-input=false"]).success();
    logs += &tf(&["apply", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    let cluster = azure.get(&compute_id).expect("created")["properties"]["resourceId"].clone();

    // Scoring over HTTPS is on port 443, which the group does not let the clients reach.
    dir.write("main.tf", &aks_with_clients(OWN_CERTIFICATE));
    azure.reset_requests();
    let plan = tf(PLAN_JSON).failure();
    logs += &plan.all_output();
    assert_eq!(
        ids(&plan),
        ["error:AMLS224@amlsecure_aks_attachment.inference"]
    );
    assert!(
        detail(&plan, "AMLS224").contains("on port 443, since ssl is enabled"),
        "{}",
        plan.all_output()
    );
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    // With 443 open instead, the certificate goes on in place: the same cluster.
    nsg(
        &azure,
        &topology,
        "aks-nsg",
        vec![aml_inbound.clone(), scoring("443")],
    );
    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    logs += &plan.all_output();
    logs += &tf(&["apply", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    let compute = azure.get(&compute_id).expect("still there");
    assert_eq!(
        compute["properties"]["properties"]["sslConfiguration"],
        json!({"status": "Enabled", "cname": "www.contoso.com"})
    );
    assert_eq!(compute["properties"]["resourceId"], cluster);
    let unchanged = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(unchanged.code, 0, "{}", unchanged.all_output());
    logs += &unchanged.all_output();

    // Someone switches SSL off in Azure: the plan switches it on again, sending the key.
    azure.seed(
        &compute_id,
        json!({"properties": {"properties": {"sslConfiguration": {"status": "Disabled", "cname": null}}}}),
    );
    let drift = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        drift.stdout.contains("1 to change")
            && drift.stdout.contains("\"Disabled\" -> \"Enabled\""),
        "{}",
        drift.stdout
    );
    logs += &tf(&["apply", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    assert_eq!(
        azure.get(&compute_id).unwrap()["properties"]["properties"]["sslConfiguration"]["status"],
        "Enabled"
    );

    // A certificate from Microsoft instead, then no SSL: each in place.
    dir.write("main.tf", &aks_with_clients(MICROSOFT_CERTIFICATE));
    logs += &tf(&["apply", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    assert_eq!(
        azure.get(&compute_id).unwrap()["properties"]["properties"]["sslConfiguration"],
        json!({"status": "Auto", "leafDomainLabel": "contoso", "overwriteExistingDomain": false})
    );
    // Without SSL the clients are back on port 80, which the group now closes to them.
    dir.write("main.tf", &aks_with_clients(""));
    let plan = tf(PLAN_JSON).failure();
    assert!(
        detail(&plan, "AMLS224").contains("on port 80, since ssl is not enabled"),
        "{}",
        plan.all_output()
    );
    nsg(
        &azure,
        &topology,
        "aks-nsg",
        vec![
            aml_inbound,
            scoring("443"),
            rule(
                "scoring-http",
                210,
                "Inbound",
                "Allow",
                ("203.0.113.0/24", "*"),
                "80",
            ),
        ],
    );
    logs += &tf(&["apply", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    assert_eq!(
        azure.get(&compute_id).unwrap()["properties"]["properties"]["sslConfiguration"],
        json!({"status": "Disabled"})
    );
    let settled = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}", settled.all_output());
    assert_eq!(
        azure.get(&compute_id).unwrap()["properties"]["resourceId"],
        cluster
    );

    let state = std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap();
    for secret in [pem_body(&certificate), pem_body(&key)] {
        assert!(!state.contains(&secret), "a PEM reached the state");
        assert!(!logs.contains(&secret), "a PEM reached the logs");
    }
    tf(&["destroy", "-input=false", "-auto-approve"]).success();
}
