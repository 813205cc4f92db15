//! The provider's `guidance` argument through real Terraform against the ARM emulator: the
//! same network checked under the 2019 guidance and today's, each profile's rules raised and
//! cited, and the resources writing each profile's rules and routes.

use amlsecure_acceptance_tests::azure::Azure;
use amlsecure_acceptance_tests::{Diagnostic, Run, TestDir};
use serde_json::{Value, json};

/// The provider and the inputs every configuration here shares.
const HEADER: &str = r#"
terraform {
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

variable "guidance" {
  type    = string
  default = "2019"
}

provider "amlsecure" {
  guidance = var.guidance
}

variable "workspace_id" {
  type = string
}

variable "subnet_id" {
  type = string
}
"#;

/// A cluster whose public IPs and location the tests vary.
const CLUSTER: &str = r#"
variable "node_public_ip_enabled" {
  type    = bool
  default = true
}

variable "location" {
  type    = string
  default = null
}

resource "amlsecure_compute_cluster" "training" {
  name                   = "cpu-cluster"
  workspace_id           = var.workspace_id
  vm_size                = "STANDARD_D2_V2"
  max_nodes              = 4
  subnet_id              = var.subnet_id
  node_public_ip_enabled = var.node_public_ip_enabled
  location               = var.location
}
"#;

const PLAN: &[&str] = &["plan", "-input=false", "-no-color"];
const APPLY: &[&str] = &["apply", "-input=false", "-auto-approve", "-no-color"];
const DESTROY: &[&str] = &["destroy", "-input=false", "-auto-approve", "-no-color"];

/// A working directory with `config` after the shared header.
fn directory(config: &str) -> TestDir {
    let dir = TestDir::new();
    dir.write("main.tf", &format!("{HEADER}{config}"));
    dir
}

/// Runs `args` with the workspace, `subnet_id` and `-var name=value` for each of `vars`.
fn terraform(
    dir: &TestDir,
    azure: &Azure,
    workspace_id: &str,
    subnet_id: &str,
    args: &[&str],
    vars: &[(&str, &str)],
) -> Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", workspace_id.to_owned()));
    env.push(("TF_VAR_subnet_id", subnet_id.to_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let assignments: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut all = args.to_vec();
    for assignment in &assignments {
        all.push("-var");
        all.push(assignment);
    }
    dir.run_with_env(&all, &env)
}

/// `first`, then `rest`.
fn prepend<'a>(first: (&'a str, &'a str), rest: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![first];
    all.extend_from_slice(rest);
    all
}

/// The outcome of a `terraform plan -json`.
struct Planned {
    code: i32,
    diagnostics: Vec<Diagnostic>,
    output: String,
}

impl Planned {
    /// The diagnostics of rule `id`, as (severity, detail).
    fn of(&self, id: &str) -> Vec<(&str, &str)> {
        self.diagnostics
            .iter()
            .filter(|d| d.rule() == Some(id))
            .map(|d| (d.severity.as_str(), d.detail.as_str()))
            .collect()
    }

    /// The rule IDs reported, in order, each once.
    fn rules(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for id in self.diagnostics.iter().filter_map(Diagnostic::rule) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    #[track_caller]
    fn fails_with(&self, id: &str) -> &str {
        assert_eq!(self.code, 1, "plan should fail with {id}:\n{}", self.output);
        let found = self.of(id);
        assert!(
            found.iter().any(|(severity, _)| *severity == "error"),
            "no {id} error:\n{}",
            self.output
        );
        found[0].1
    }

    #[track_caller]
    fn passes(&self) {
        assert_eq!(self.code, 0, "plan should pass:\n{}", self.output);
        assert!(
            !self.diagnostics.iter().any(|d| d.severity == "error"),
            "{}",
            self.output
        );
    }
}

fn plan(
    dir: &TestDir,
    azure: &Azure,
    workspace_id: &str,
    subnet_id: &str,
    vars: &[(&str, &str)],
) -> Planned {
    let run = terraform(
        dir,
        azure,
        workspace_id,
        subnet_id,
        &["plan", "-input=false", "-json"],
        vars,
    );
    Planned {
        code: run.code,
        diagnostics: run.diagnostics(),
        output: run.all_output(),
    }
}

#[test]
fn a_network_sound_in_2019_fails_todays_inbound_rule_and_cites_todays_guidance() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    azure.seed_batch_only_nsg(&topology);
    let dir = directory(CLUSTER);
    let plan = |vars: &[(&str, &str)]| {
        plan(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            vars,
        )
    };

    plan(&[]).passes();
    plan(&[("guidance", "2019")]).passes();

    let current = plan(&[("guidance", "current")]);
    let detail = current.fails_with("AMLS151");
    assert!(
        detail.contains("denies TCP 44224 from AzureMachineLearning"),
        "{detail}"
    );
    assert!(
        detail.contains("rule 'deny-all-in' (priority 4000)"),
        "{detail}"
    );
    assert!(
        detail.contains("Azure's guidance (current): \"Secure an Azure Machine Learning training environment with virtual networks\", https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet."),
        "{detail}"
    );
    assert_eq!(current.rules(), ["AMLS151"], "{}", current.output);

    // Without public IPs nothing comes in, but the workspace needs a private endpoint.
    let private = plan(&[("guidance", "current"), ("node_public_ip_enabled", "false")]);
    private.fails_with("AMLS137");
    assert_eq!(private.rules(), ["AMLS137"], "{}", private.output);

    // A rule of both profiles cites each profile's source: a /29 holds 3 nodes, not 4.
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/29"}}),
    );
    let seed = plan(&[]);
    let detail = seed.fails_with("AMLS101");
    assert!(
        detail.contains("Azure's guidance (2019): \"Use a Machine Learning Compute instance\"."),
        "{detail}"
    );
    let today = plan(&[("guidance", "current")]);
    let detail = today.fails_with("AMLS101");
    assert!(
        detail.contains("Azure's guidance (current): \"Secure an Azure Machine Learning training environment with virtual networks\""),
        "{detail}"
    );
}

#[test]
fn a_cluster_without_public_ips_needs_an_approved_workspace_private_endpoint() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = directory(CLUSTER);
    let vars = [("guidance", "current"), ("node_public_ip_enabled", "false")];
    let tf = |args: &[&str], vars: &[(&str, &str)]| {
        terraform(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            args,
            vars,
        )
    };
    let plan = |vars: &[(&str, &str)]| {
        plan(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            vars,
        )
    };

    let detail = plan(&vars).fails_with("AMLS137").to_owned();
    assert!(
        detail.contains("the workspace has no private endpoint"),
        "{detail}"
    );

    // Waiting for approval is not enough.
    let endpoint = |name: &str, approved: bool| {
        azure.seed_private_endpoint(
            name,
            &topology.aks_subnet_id,
            &topology.workspace_id,
            "amlworkspace",
            approved,
        )
    };
    endpoint("pe-pending", false);
    let detail = plan(&vars).fails_with("AMLS137").to_owned();
    assert!(
        detail.contains("'pe-pending' (Pending) is not approved"),
        "{detail}"
    );

    endpoint("pe-workspace", true);
    plan(&vars).passes();
    tf(APPLY, &vars).success();
    let compute = azure
        .get(&format!("{}/computes/cpu-cluster", topology.workspace_id))
        .expect("created");
    assert_eq!(
        compute["properties"]["properties"]["enableNodePublicIp"],
        false
    );
    tf(DESTROY, &vars).success();

    // Azure ML creates no network resources for such a cluster: locks on the network's group
    // are no concern of it today, while the 2019 guidance warns.
    azure.lock(&topology.resource_group, "freeze", "ReadOnly");
    let today = plan(&vars);
    today.passes();
    assert!(today.of("AMLS142").is_empty(), "{}", today.output);
    let seed = plan(&[("node_public_ip_enabled", "false")]);
    seed.passes();
    assert_eq!(seed.of("AMLS142")[0].0, "warning", "{}", seed.output);
}

#[test]
fn a_cluster_in_another_region_reaches_the_workspace_through_a_private_endpoint() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let far_vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/far-vnet",
        topology.resource_group
    );
    azure.put(
        &far_vnet,
        json!({"location": "northeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "subnets": [
                {"name": "training", "properties": {"addressPrefix": "10.1.1.0/24"}},
                {"name": "endpoints", "properties": {"addressPrefix": "10.1.2.0/24"}}
            ]
        }}),
    );
    let far_subnet = format!("{far_vnet}/subnets/training");
    let dir = directory(CLUSTER);
    let plan =
        |vars: &[(&str, &str)]| plan(&dir, &azure, &topology.workspace_id, &far_subnet, vars);
    let there = [("guidance", "current"), ("location", "northeurope")];

    // The 2019 guidance wants the workspace's region.
    plan(&[("location", "northeurope")]).fails_with("AMLS132");
    // Today's lets the cluster go there, given a private endpoint it reaches.
    let unreachable = plan(&there);
    let detail = unreachable.fails_with("AMLS138");
    assert!(
        detail.contains("is in northeurope, the workspace in westeurope, and the workspace has no approved private endpoint"),
        "{detail}"
    );
    assert!(
        unreachable.of("AMLS132").is_empty(),
        "{}",
        unreachable.output
    );
    // Left to default, the cluster would be created in the workspace's region.
    let defaulted = plan(&[("guidance", "current")]);
    let detail = defaulted.fails_with("AMLS130");
    assert!(
        detail.contains(
            "location is not set, so the cluster takes the workspace's region, westeurope"
        ) && detail.contains("Set location = \"northeurope\""),
        "{detail}"
    );

    azure.seed_private_endpoint(
        "pe-north",
        &format!("{far_vnet}/subnets/endpoints"),
        &topology.workspace_id,
        "amlworkspace",
        true,
    );
    plan(&there).passes();
    let tf = |args: &[&str]| {
        terraform(
            &dir,
            &azure,
            &topology.workspace_id,
            &far_subnet,
            args,
            &there,
        )
    };
    tf(APPLY).success();
    let compute = azure
        .get(&format!("{}/computes/cpu-cluster", topology.workspace_id))
        .expect("created");
    assert_eq!(compute["location"], "northeurope");
    let quiet = tf(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(quiet.code, 0, "{}", quiet.all_output());
    tf(DESTROY).success();
}

const KINDS: &str = r#"
data "amlsecure_network_check" "instance" {
  workspace_id = var.workspace_id
  subnet_id    = var.subnet_id
  compute_kind = "instance"
}

data "amlsecure_network_check" "cluster" {
  workspace_id = var.workspace_id
  subnet_id    = var.subnet_id
}

output "instance" {
  value = [for f in data.amlsecure_network_check.instance.findings : f.rule_id]
}

output "cluster" {
  value = [for f in data.amlsecure_network_check.cluster.findings : f.rule_id]
}
"#;

#[test]
fn a_compute_instance_stays_in_the_workspaces_region_where_a_cluster_need_not() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let far_vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/far-vnet",
        topology.resource_group
    );
    azure.put(
        &far_vnet,
        json!({"location": "northeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "subnets": [{"name": "training", "properties": {"addressPrefix": "10.1.1.0/24"}}]
        }}),
    );
    azure.seed_private_endpoint(
        "pe-north",
        &format!("{far_vnet}/subnets/training"),
        &topology.workspace_id,
        "amlworkspace",
        true,
    );
    let far_subnet = format!("{far_vnet}/subnets/training");
    let dir = directory(KINDS);
    let found = |guidance: &str| -> Value {
        terraform(
            &dir,
            &azure,
            &topology.workspace_id,
            &far_subnet,
            APPLY,
            &[("guidance", guidance)],
        )
        .success();
        dir.run(&["output", "-json"]).success().json()
    };
    let seed = found("2019");
    assert_eq!(seed["instance"]["value"], json!(["AMLS132"]));
    assert_eq!(seed["cluster"]["value"], json!(["AMLS132"]));
    let today = found("current");
    assert_eq!(today["instance"]["value"], json!(["AMLS132"]));
    assert_eq!(
        today["cluster"]["value"],
        json!([]),
        "the endpoint is in its network"
    );
}

/// The compute subnet tunnels everything to a firewall; the routes resource lets Azure's
/// services past it, and the cluster checks the table as the routes will leave it.
const TUNNEL: &str = r#"
variable "route_table_id" {
  type = string
}

variable "include_azure_machine_learning" {
  type    = bool
  default = null
}

resource "amlsecure_forced_tunneling_routes" "services" {
  route_table_id                 = var.route_table_id
  include_azure_machine_learning = var.include_azure_machine_learning
}

resource "amlsecure_compute_cluster" "training" {
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 4
  subnet_id    = var.subnet_id
  depends_on   = [amlsecure_forced_tunneling_routes.services]
}
"#;

#[test]
fn todays_tunnel_routes_azure_machine_learning_of_the_region_and_its_pair() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let table = format!(
        "{}/providers/Microsoft.Network/routeTables/to-firewall",
        topology.resource_group
    );
    azure.put(
        &table,
        json!({"location": "westeurope", "properties": {"routes": [{"name": "default",
            "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.0.4"}}]}}),
    );
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/24", "routeTable": {"id": table}}}),
    );
    let dir = directory(TUNNEL);
    let plan = |vars: &[(&str, &str)]| {
        plan(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            &prepend(("route_table_id", &table), vars),
        )
    };
    let tf = |args: &[&str], vars: &[(&str, &str)]| {
        terraform(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            args,
            &prepend(("route_table_id", &table), vars),
        )
    };

    // Batch's routes alone: enough for 2019, not for today.
    let without = plan(&[
        ("guidance", "current"),
        ("include_azure_machine_learning", "false"),
    ]);
    let detail = without.fails_with("AMLS127");
    assert!(
        detail.contains("AzureMachineLearning.WestEurope"),
        "{detail}"
    );
    assert!(
        without
            .of("AMLS127")
            .iter()
            .any(|(_, d)| d.contains("AzureMachineLearning.NorthEurope")),
        "the pair's prefixes: {}",
        without.output
    );
    plan(&[]).passes();

    // Today's default routes both regions' Azure ML prefixes as well.
    plan(&[("guidance", "current")]).passes();
    tf(APPLY, &[("guidance", "current")]).success();
    let tags = azure.service_tags();
    let prefixes_of = |name: &str| -> Vec<String> {
        tags["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| {
                t["properties"]["addressPrefixes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|p| p.as_str().filter(|p| !p.contains(':')).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let routed: Vec<String> = azure.get(&table).unwrap()["properties"]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["nextHopType"] == "Internet")
        .map(|r| {
            r["properties"]["addressPrefix"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for tag in [
        "BatchNodeManagement.WestEurope",
        "AzureMachineLearning.WestEurope",
        "AzureMachineLearning.NorthEurope",
    ] {
        let prefixes = prefixes_of(tag);
        assert!(!prefixes.is_empty(), "{tag} in the emulator's list");
        for prefix in prefixes {
            assert!(
                routed.contains(&prefix),
                "{tag} {prefix} not routed: {routed:?}"
            );
        }
    }
    let quiet = tf(
        &["plan", "-input=false", "-detailed-exitcode", "-no-color"],
        &[("guidance", "current")],
    );
    assert_eq!(quiet.code, 0, "{}", quiet.all_output());
    tf(DESTROY, &[("guidance", "current")]).success();
}

/// The rule set on the subnet's NSG, which denies everything else in and out.
const RULE_SET: &str = r#"
variable "network_security_group_id" {
  type = string
}

resource "amlsecure_compute_network_security_rules" "compute" {
  network_security_group_id = var.network_security_group_id
  outbound_lockdown         = true
}

resource "amlsecure_compute_cluster" "training" {
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 4
  subnet_id    = var.subnet_id
  depends_on   = [amlsecure_compute_network_security_rules.compute]
}
"#;

#[test]
fn the_rule_set_writes_todays_rules_under_current() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/locked",
        topology.resource_group
    );
    let deny = |name: &str, direction: &str, destination: &str| {
        json!({"name": name, "properties": {"priority": 4000, "direction": direction, "access": "Deny",
            "protocol": "*", "sourceAddressPrefix": "*", "sourcePortRange": "*",
            "destinationAddressPrefix": destination, "destinationPortRange": "*"}})
    };
    // Outbound, only the Internet is denied: the nodes keep the virtual network, which the
    // 2019 guidance requires (AMLS115) and neither rule set writes.
    azure.put(
        &nsg,
        json!({"location": "westeurope", "properties": {"securityRules": [
            deny("deny-all-in", "Inbound", "*"), deny("deny-internet-out", "Outbound", "Internet")
        ]}}),
    );
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": nsg}}}),
    );
    let dir = directory(RULE_SET);
    let current = [
        ("guidance", "current"),
        ("network_security_group_id", nsg.as_str()),
    ];
    let seed = [("network_security_group_id", nsg.as_str())];
    let plan = |vars: &[(&str, &str)]| {
        plan(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            vars,
        )
    };
    let tf = |args: &[&str], vars: &[(&str, &str)]| {
        terraform(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            args,
            vars,
        )
    };

    plan(&seed).passes();
    plan(&current).passes();
    tf(APPLY, &current).success();
    let rules = azure.get(&nsg).unwrap()["properties"]["securityRules"].clone();
    let rule = |name: &str| -> Value {
        rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no rule {name}: {rules:#}"))["properties"]
            .clone()
    };
    let node = rule("amlsecure-node-inbound");
    assert_eq!(
        (
            &node["sourceAddressPrefix"],
            &node["destinationPortRange"],
            &node["protocol"]
        ),
        (
            &json!("AzureMachineLearning"),
            &json!("44224"),
            &json!("Tcp")
        )
    );
    let udp = rule("amlsecure-azureml-udp-outbound");
    assert_eq!(
        (
            &udp["destinationAddressPrefix"],
            &udp["destinationPortRange"],
            &udp["protocol"]
        ),
        (
            &json!("AzureMachineLearning"),
            &json!("5831"),
            &json!("Udp")
        )
    );
    let aad = rule("amlsecure-aad-outbound");
    assert_eq!(aad["destinationPortRanges"], json!(["80", "443"]));
    assert!(
        !rules
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "amlsecure-batch-inbound"),
        "today's set lets Batch in no more"
    );
    let quiet = tf(
        &["plan", "-input=false", "-detailed-exitcode", "-no-color"],
        &current,
    );
    assert_eq!(quiet.code, 0, "{}", quiet.all_output());
    // Back to the 2019 guidance: the set changes to the seed's rules.
    let back = tf(PLAN, &seed).success();
    assert!(
        back.stdout.contains("amlsecure-batch-inbound"),
        "{}",
        back.stdout
    );
    tf(DESTROY, &current).success();
    let left: Vec<String> = azure.get(&nsg).unwrap()["properties"]["securityRules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["deny-all-in", "deny-internet-out"]);
}

#[test]
fn managed_networks_are_todays_guidance() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    azure.put(
        &topology.workspace_id,
        json!({"location": "westeurope", "properties": {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}}),
    );
    let dir = directory(CLUSTER);
    let plan = |vars: &[(&str, &str)]| {
        plan(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            vars,
        )
    };
    // The 2019 guidance knows no managed networks.
    plan(&[]).passes();
    let detail = plan(&[("guidance", "current")])
        .fails_with("AMLS136")
        .to_owned();
    assert!(
        detail.contains("isolation mode AllowOnlyApprovedOutbound"),
        "{detail}"
    );
}

const AKS: &str = r#"
variable "agent_count" {
  type    = number
  default = 3
}

resource "amlsecure_aks_attachment" "inference" {
  name               = "aks-inference"
  workspace_id       = var.workspace_id
  subnet_id          = var.subnet_id
  agent_count        = var.agent_count
  service_cidr       = "10.240.0.0/16"
  dns_service_ip     = "10.240.0.10"
  docker_bridge_cidr = "172.17.0.1/16"
}
"#;

#[test]
fn aks_docker_bridge_and_azure_cni_addresses_under_each_guidance() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = directory(AKS);
    let plan = |vars: &[(&str, &str)]| {
        plan(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.aks_subnet_id,
            vars,
        )
    };

    // 2019: the Docker bridge is a required input, and Azure CNI's sizing is not checked.
    let seed = plan(&[("agent_count", "40")]);
    seed.passes();
    assert!(seed.of("AMLS208").is_empty(), "{}", seed.output);

    let today = plan(&[("guidance", "current")]);
    today.passes();
    assert_eq!(today.of("AMLS208")[0].0, "warning", "{}", today.output);
    assert!(
        today.of("AMLS208")[0]
            .1
            .contains("https://github.com/Azure/AKS/issues/3534"),
        "{}",
        today.output
    );

    // 41 × 31 addresses for 40 nodes and their pods; the /22 has 1019.
    let crowded = plan(&[("guidance", "current"), ("agent_count", "40")]);
    let detail = crowded.fails_with("AMLS211");
    assert!(
        detail.contains("(40 + 1) + (40 + 1) × 30 = 1271 addresses"),
        "{detail}"
    );
    assert!(detail.contains("lower agent_count to 31"), "{detail}");
}

const CHECKS: &str = r#"
variable "node_public_ip_enabled" {
  type    = bool
  default = false
}

data "amlsecure_network_check" "cluster" {
  workspace_id           = var.workspace_id
  subnet_id              = var.subnet_id
  node_public_ip_enabled = var.node_public_ip_enabled
}

output "guidance" {
  value = data.amlsecure_network_check.cluster.guidance
}

output "findings" {
  value = data.amlsecure_network_check.cluster.findings
}

output "bridge" {
  value = provider::amlsecure::aks_network_findings("10.240.0.0/16", "10.240.0.10", "172.17.0.1/16", ["10.0.0.0/16"], var.guidance)
}
"#;

#[test]
fn the_network_check_and_the_function_report_their_guidance() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = directory(CHECKS);
    let outputs = |guidance: &str| -> Value {
        terraform(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            APPLY,
            &[("guidance", guidance)],
        )
        .success();
        dir.run(&["output", "-json"]).success().json()
    };

    let seed = outputs("2019");
    assert_eq!(seed["guidance"]["value"], "2019");
    assert_eq!(
        seed["findings"]["value"],
        json!([]),
        "2019 knows no such clusters"
    );
    assert_eq!(seed["bridge"]["value"], json!([]));

    let today = outputs("current");
    assert_eq!(today["guidance"]["value"], "current");
    let findings = today["findings"]["value"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = &findings[0];
    assert_eq!(finding["rule_id"], "AMLS137");
    assert_eq!(finding["guidance"], "current");
    assert_eq!(
        finding["source"],
        "Secure an Azure Machine Learning training environment with virtual networks, https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet"
    );
    assert_eq!(finding["attribute"], "node_public_ip_enabled");
    let bridge = today["bridge"]["value"].as_array().unwrap();
    assert_eq!(bridge.len(), 1, "{bridge:?}");
    assert!(
        bridge[0].as_str().unwrap().starts_with("AMLS208: "),
        "{bridge:?}"
    );
}

#[test]
fn a_storage_private_endpoint_lets_the_compute_in_when_it_is_in_the_compute_network() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let stores = azure.seed_workspace_stores(&topology);
    // Selected networks, and the compute's subnet not among them.
    azure.patch(
        &stores.storage_account_id,
        json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices",
            "virtualNetworkRules": [], "ipRules": []}}}),
    );
    let dir = directory(CLUSTER);
    let plan = |guidance: &str| {
        plan(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            &[("guidance", guidance)],
        )
    };
    plan("2019").fails_with("AMLS404");
    plan("current").fails_with("AMLS404");

    // A private endpoint of the account in another network: the 2019 guidance knows none,
    // and any counts; today's counts it as a service endpoint, only in the compute's network.
    let far_vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/hub",
        topology.resource_group
    );
    azure.put(
        &far_vnet,
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
            "subnets": [{"name": "endpoints", "properties": {"addressPrefix": "10.9.1.0/24"}}]
        }}),
    );
    azure.seed_private_endpoint(
        "pe-hub-blob",
        &format!("{far_vnet}/subnets/endpoints"),
        &stores.storage_account_id,
        "blob",
        true,
    );
    let seed = plan("2019");
    seed.passes();
    assert!(seed.of("AMLS404").is_empty(), "{}", seed.output);
    let detail = plan("current").fails_with("AMLS404").to_owned();
    assert!(detail.contains("mlstore"), "{detail}");

    azure.seed_private_endpoint(
        "pe-ml-blob",
        &topology.aks_subnet_id,
        &stores.storage_account_id,
        "blob",
        true,
    );
    let today = plan("current");
    today.passes();
    assert!(today.of("AMLS404").is_empty(), "{}", today.output);
    let account = azure.get(&stores.storage_account_id).unwrap();
    assert_eq!(
        account["properties"]["privateEndpointConnections"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{account:#}"
    );
}

#[test]
fn the_workspace_gets_through_its_storage_firewall_as_a_trusted_service_or_by_its_own_rule() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let stores = azure.seed_workspace_stores(&topology);
    azure.set_training_service_endpoints(&topology, &["Microsoft.Storage"]);
    // Selected networks letting the compute's subnet in, but no trusted services.
    let subnet_rule = json!([{"id": topology.training_subnet_id, "action": "Allow"}]);
    let acls = |subnets: &Value, resource_access_rules: Value| {
        json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "Logging, Metrics",
            "virtualNetworkRules": subnets, "ipRules": [],
            "resourceAccessRules": resource_access_rules}}})
    };
    azure.patch(&stores.storage_account_id, acls(&subnet_rule, json!([])));
    let dir = directory(CLUSTER);
    let plan = |guidance: &str| {
        plan(
            &dir,
            &azure,
            &topology.workspace_id,
            &topology.training_subnet_id,
            &[("guidance", guidance)],
        )
    };
    for guidance in ["2019", "current"] {
        let shut = plan(guidance);
        shut.passes();
        let found = shut.of("AMLS407");
        assert_eq!(found.len(), 1, "{guidance}: {}", shut.output);
        assert_eq!(found[0].0, "warning", "{guidance}");
        assert!(found[0].1.contains("mlstore"), "{}", found[0].1);
        assert!(
            found[0]
                .1
                .contains(&format!("Azure's guidance ({guidance})")),
            "{}",
            found[0].1
        );
    }

    // A resource instance rule for every workspace of the group: today's guidance lets the
    // workspace in, the 2019 article knows only trusted services.
    let instance_rule = json!([{"tenantId": "00000000-0000-0000-0000-000000000000",
        "resourceId": format!("{}/providers/Microsoft.MachineLearningServices/workspaces/*",
            topology.resource_group)}]);
    azure.patch(
        &stores.storage_account_id,
        acls(&subnet_rule, instance_rule.clone()),
    );
    let seed = plan("2019");
    assert_eq!(seed.of("AMLS407").len(), 1, "{}", seed.output);
    let today = plan("current");
    today.passes();
    assert!(today.of("AMLS407").is_empty(), "{}", today.output);

    // The rule lets the workspace in, never the compute: without its subnet's rule the
    // cluster's plan fails, and today's message says what the instance rule does not do.
    azure.patch(&stores.storage_account_id, acls(&json!([]), instance_rule));
    let detail = plan("current").fails_with("AMLS404").to_owned();
    assert!(
        detail.contains("resource instance rule for the workspace lets Azure Machine Learning's service in, not the compute's subnet"),
        "{detail}"
    );
    plan("2019").fails_with("AMLS404");
}
