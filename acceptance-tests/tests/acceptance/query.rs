//! Terraform 1.12+ resource identity and 1.14+ `terraform query` through real Terraform:
//! list blocks find what already runs in Azure (with the rules it breaks as warnings), and
//! `-generate-config-out` writes import blocks by identity and configuration that plans with
//! no changes once imported.

use amlsecure_acceptance_tests::azure::{Azure, Topology};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

const PROVIDER: &str = r#"
terraform {
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

provider "amlsecure" {}
"#;

const VARIABLES: &str = r#"
variable "workspace_id" {
  type = string
}

variable "subnet_id" {
  type = string
}

variable "aks_subnet_id" {
  type = string
}

variable "nsg_id" {
  type = string
}

variable "route_table_id" {
  type = string
}

variable "kubernetes_cluster_id" {
  type = string
}
"#;

struct Setup {
    azure: Azure,
    topology: Topology,
    nsg_id: String,
    route_table_id: String,
    cluster_id: String,
}

/// The standard topology plus what a brownfield network has: NSG `ml-nsg` and route table
/// `to-firewall` (default route to a firewall), not yet on any subnet; an AKS cluster in the
/// `aks` subnet; and NSG `locked` denying all inbound traffic on the `aks` subnet.
fn setup() -> Setup {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let group = |name: &str| {
        format!(
            "{}/providers/Microsoft.Network/{name}",
            topology.resource_group
        )
    };
    let nsg_id = group("networkSecurityGroups/ml-nsg");
    azure.put(
        &nsg_id,
        json!({"location": "westeurope", "properties": {"securityRules": []}}),
    );
    let route_table_id = group("routeTables/to-firewall");
    azure.put(
        &route_table_id,
        json!({"location": "westeurope", "properties": {"routes": [{
            "name": "default-to-firewall",
            "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.0.4"}
        }]}}),
    );
    let locked = group("networkSecurityGroups/locked");
    azure.put(
        &locked,
        json!({"location": "westeurope", "properties": {"securityRules": [{
            "name": "deny-all-in",
            "properties": {"priority": 200, "direction": "Inbound", "access": "Deny", "protocol": "*",
                "sourceAddressPrefix": "*", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": "*"}
        }]}}),
    );
    azure.put(
        &topology.aks_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.8.0/22", "networkSecurityGroup": {"id": locked}}}),
    );
    let cluster_id = format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/existing-aks",
        topology.resource_group
    );
    azure.put(
        &cluster_id,
        json!({"location": "westeurope", "properties": {
            "dnsPrefix": "existing-aks",
            "agentPoolProfiles": [{
                "name": "system", "count": 3, "vmSize": "Standard_D3_v2", "mode": "System",
                "vnetSubnetID": topology.aks_subnet_id
            }],
            "networkProfile": {"networkPlugin": "azure", "serviceCidr": "10.240.0.0/16", "dnsServiceIP": "10.240.0.10"}
        }}),
    );
    Setup {
        azure,
        topology,
        nsg_id,
        route_table_id,
        cluster_id,
    }
}

impl Setup {
    /// Puts `ml-nsg` and `to-firewall` on the training subnet.
    fn lock_down_training_subnet(&self) {
        self.azure.put(
            &self.topology.training_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.1.0/24",
                "networkSecurityGroup": {"id": self.nsg_id}, "routeTable": {"id": self.route_table_id}}}),
        );
    }

    fn terraform(&self, dir: &TestDir, args: &[&str]) -> Run {
        let mut env = self.azure.env();
        for (name, value) in [
            ("TF_VAR_workspace_id", &self.topology.workspace_id),
            ("TF_VAR_subnet_id", &self.topology.training_subnet_id),
            ("TF_VAR_aks_subnet_id", &self.topology.aks_subnet_id),
            ("TF_VAR_nsg_id", &self.nsg_id),
            ("TF_VAR_route_table_id", &self.route_table_id),
            ("TF_VAR_kubernetes_cluster_id", &self.cluster_id),
        ] {
            env.push((name, value.clone()));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        dir.run_with_env(args, &env)
    }

    fn seed_cluster(&self, name: &str, subnet: &str, max_nodes: u64) {
        self.azure.put(
            &format!("{}/computes/{name}", self.topology.workspace_id),
            json!({"location": "westeurope", "properties": {
                "computeType": "AmlCompute",
                "description": format!("{name} for training"),
                "properties": {
                    "vmSize": "STANDARD_D2_V2",
                    "scaleSettings": {"maxNodeCount": max_nodes, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT120S"},
                    "subnet": {"id": subnet}
                }
            }}),
        );
    }

    /// A directory with the provider, the variables and `query` as its `.tfquery.hcl`.
    fn query_dir(&self, query: &str) -> TestDir {
        let dir = TestDir::new();
        dir.write("main.tf", PROVIDER);
        dir.write("variables.tf", VARIABLES);
        dir.write("find.tfquery.hcl", query);
        dir
    }

    /// `terraform query -generate-config-out`, then apply (imports only), then a plan that
    /// must show no changes; returns the generated file.
    #[track_caller]
    fn generate_import_and_replan(&self, dir: &TestDir, imports: usize) -> String {
        let query = self.terraform(dir, &["query", "-generate-config-out=generated.tf"]);
        assert_eq!(query.code, 0, "query failed:\n{}", query.all_output());
        let generated = std::fs::read_to_string(dir.path().join("generated.tf"))
            .unwrap_or_else(|e| panic!("no generated.tf ({e}):\n{}", query.all_output()));
        assert_eq!(
            generated.matches("import {").count(),
            imports,
            "{generated}"
        );
        assert_eq!(
            generated.matches("identity = {").count(),
            imports,
            "{generated}"
        );
        self.azure.reset_requests();
        let apply = self.terraform(dir, &["apply", "-auto-approve", "-input=false"]);
        assert_eq!(apply.code, 0, "apply failed:\n{}", apply.all_output());
        assert!(
            apply.stdout.contains(&format!(
                "Resources: {imports} imported, 0 added, 0 changed, 0 destroyed"
            )),
            "{}",
            apply.stdout
        );
        assert_eq!(self.azure.writes(), 0, "importing wrote to Azure");
        let plan = self.terraform(dir, &["plan", "-detailed-exitcode", "-input=false"]);
        assert_eq!(
            plan.code,
            0,
            "the generated configuration plans changes:\n{generated}\n{}",
            plan.all_output()
        );
        generated
    }

    /// The identities Terraform stored, by resource address.
    fn identities(&self, dir: &TestDir) -> Vec<(String, Value)> {
        let show = self.terraform(dir, &["show", "-json"]).success().json();
        show["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["address"].as_str().unwrap().to_owned(),
                    r["identity"].clone(),
                )
            })
            .collect()
    }
}

#[test]
fn query_audits_the_clusters_of_a_workspace_and_imports_those_of_a_subnet() {
    let setup = setup();
    let training = setup.topology.training_subnet_id.clone();
    setup.seed_cluster("cpu-a", &training, 4);
    setup.seed_cluster("cpu-b", &training, 2);
    setup.seed_cluster("legacy", &setup.topology.aks_subnet_id, 2);

    // All clusters of the workspace: the one behind the locked NSG comes with AMLS111.
    let audit = setup.query_dir(
        r#"
list "amlsecure_compute_cluster" "all" {
  provider = amlsecure
  config {
    workspace_id = var.workspace_id
  }
}
"#,
    );
    let query = setup.terraform(&audit, &["query"]);
    assert_eq!(query.code, 0, "{}", query.all_output());
    for name in ["cpu-a", "cpu-b", "legacy"] {
        assert!(
            query.stdout.contains(&format!(
                "list.amlsecure_compute_cluster.all   name={name},resource_group_name="
            )) && query.stdout.contains(&format!("ml-workspace/{name}")),
            "{name} missing:\n{}",
            query.stdout
        );
    }
    let output = query
        .all_output()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        output.contains("Warning: ml-workspace/legacy: AMLS111"),
        "{output}"
    );
    assert!(!output.contains("ml-workspace/cpu-a: AMLS"), "{output}");

    // Those of the training subnet: import blocks by identity, configuration, no changes.
    let dir = setup.query_dir(
        r#"
list "amlsecure_compute_cluster" "training" {
  provider = amlsecure
  config {
    workspace_id = var.workspace_id
    subnet_id    = var.subnet_id
  }
}
"#,
    );
    let generated = setup.generate_import_and_replan(&dir, 2);
    assert!(!generated.contains("legacy"), "{generated}");
    assert!(generated.contains("max_nodes"), "{generated}");
    let identities = setup.identities(&dir);
    assert_eq!(identities.len(), 2, "{identities:?}");
    for (_, identity) in &identities {
        assert_eq!(identity["workspace_name"], "ml-workspace", "{identity}");
        assert_eq!(identity["resource_group_name"], "ml-rg", "{identity}");
    }
    let mut names: Vec<_> = identities
        .iter()
        .map(|(_, i)| i["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["cpu-a", "cpu-b"]);

    // A limit stops the listing early.
    let limited = setup.query_dir(
        r#"
list "amlsecure_compute_cluster" "first" {
  provider = amlsecure
  limit    = 1
  config {
    workspace_id = var.workspace_id
  }
}
"#,
    );
    let query = setup.terraform(&limited, &["query"]).success();
    assert_eq!(
        query
            .stdout
            .matches("list.amlsecure_compute_cluster.first")
            .count(),
        1,
        "{}",
        query.stdout
    );
}

/// What a team set up with Terraform elsewhere: the rule set and the tunnelling routes.
const BROWNFIELD: &str = r#"
resource "amlsecure_compute_network_security_rules" "training" {
  network_security_group_id = var.nsg_id
  name_prefix               = "team-a"
  ssh_source_addresses      = ["203.0.113.0/24"]
  outbound_lockdown         = true
}

resource "amlsecure_forced_tunneling_routes" "training" {
  route_table_id = var.route_table_id
}
"#;

#[test]
fn query_adopts_rule_sets_routes_and_aks_attachments_by_identity() {
    let setup = setup();
    setup.lock_down_training_subnet();
    let elsewhere = TestDir::new();
    elsewhere.write("main.tf", PROVIDER);
    elsewhere.write("variables.tf", VARIABLES);
    elsewhere.write("brownfield.tf", BROWNFIELD);
    let applied = setup.terraform(&elsewhere, &["apply", "-auto-approve", "-input=false"]);
    assert_eq!(applied.code, 0, "{}", applied.all_output());
    // Every create returned an identity.
    let created = setup.identities(&elsewhere);
    assert_eq!(created.len(), 2, "{created:?}");
    for (address, identity) in &created {
        assert!(
            identity["resource_group_name"] == "ml-rg"
                && identity["subscription_id"] == setup.azure.subscription(),
            "{address}: {identity}"
        );
    }

    // And someone attached the AKS cluster by hand, although its subnet's NSG denies Azure
    // Machine Learning.
    setup.azure.put(
        &format!("{}/computes/aks-inference", setup.topology.workspace_id),
        json!({"location": "westeurope", "properties": {
            "computeType": "AKS",
            "resourceId": setup.cluster_id,
            "properties": {"clusterFqdn": "existing-aks.hcp.westeurope.azmk8s.io"}
        }}),
    );

    // A new working directory, no state: find all three.
    let dir = setup.query_dir(
        r#"
list "amlsecure_compute_network_security_rules" "training" {
  provider = amlsecure
  config {
    network_security_group_id = var.nsg_id
  }
}

list "amlsecure_forced_tunneling_routes" "training" {
  provider = amlsecure
  config {
    route_table_id = var.route_table_id
  }
}

list "amlsecure_aks_attachment" "inference" {
  provider = amlsecure
  config {
    workspace_id = var.workspace_id
    subnet_id    = var.aks_subnet_id
  }
}
"#,
    );
    let query = setup.terraform(&dir, &["query"]);
    assert_eq!(query.code, 0, "{}", query.all_output());
    for (list, display) in [
        (
            "amlsecure_compute_network_security_rules.training",
            "ml-nsg|team-a",
        ),
        (
            "amlsecure_forced_tunneling_routes.training",
            "to-firewall|amlsecure",
        ),
        (
            "amlsecure_aks_attachment.inference",
            "ml-workspace/aks-inference",
        ),
    ] {
        assert!(
            query
                .stdout
                .lines()
                .any(|l| l.starts_with(&format!("list.{list} ")) && l.ends_with(display)),
            "{list} {display}:\n{}",
            query.stdout
        );
    }
    // The attached cluster's subnet denies Azure ML's inbound traffic: a finding, not a failure.
    let output = query
        .all_output()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        output.contains("Warning: ml-workspace/aks-inference: AMLS221"),
        "{output}"
    );

    // Fix the network, then adopt all three: import blocks by identity, no changes after.
    setup.azure.put(
        &setup.topology.aks_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.8.0/22"}}),
    );
    let generated = setup.generate_import_and_replan(&dir, 3);
    assert!(generated.contains("name_prefix"), "{generated}");
    let adopted = setup.identities(&dir);
    let prefixes: Vec<_> = adopted
        .iter()
        .filter_map(|(_, i)| i["name_prefix"].as_str())
        .collect();
    assert!(
        prefixes.contains(&"team-a") && prefixes.contains(&"amlsecure"),
        "{adopted:?}"
    );
}

#[test]
fn every_resource_declares_an_identity_and_lists_offer_their_config() {
    let dir = TestDir::new();
    dir.write("main.tf", PROVIDER);
    let schema = dir.run(&["providers", "schema", "-json"]).success().json();
    let provider = &schema["provider_schemas"]["registry.terraform.io/amlsecure/amlsecure"];
    let resources: Vec<&String> = provider["resource_schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let identities = provider["resource_identity_schemas"]
        .as_object()
        .unwrap_or_else(|| panic!("no identity schemas: {provider}"));
    for resource in &resources {
        let identity = &identities[resource.as_str()]["attributes"];
        for part in ["subscription_id", "resource_group_name"] {
            assert_eq!(
                identity[part]["required_for_import"], true,
                "{resource}: {identity}"
            );
        }
    }
    let lists = provider["list_resource_schemas"]
        .as_object()
        .unwrap_or_else(|| panic!("no list resource schemas: {provider}"));
    let mut listed: Vec<&str> = lists.keys().map(String::as_str).collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "amlsecure_aks_attachment",
            "amlsecure_compute_cluster",
            "amlsecure_compute_network_security_rules",
            "amlsecure_forced_tunneling_routes",
        ]
    );
}

#[test]
fn documented_import_by_identity_adopts_a_cluster_with_generated_configuration() {
    let setup = setup();
    setup.seed_cluster("cpu-cluster", &setup.topology.training_subnet_id, 4);
    let example = std::fs::read_to_string(
        amlsecure_acceptance_tests::workspace_root()
            .join("examples/resources/amlsecure_compute_cluster/import-by-identity.tf"),
    )
    .unwrap();
    let dir = TestDir::new();
    dir.write("main.tf", PROVIDER);
    dir.write(
        "import.tf",
        &example.replace(
            "00000000-0000-0000-0000-000000000000",
            setup.azure.subscription(),
        ),
    );
    let plan = setup.terraform(
        &dir,
        &["plan", "-input=false", "-generate-config-out=generated.tf"],
    );
    assert_eq!(plan.code, 0, "{}", plan.all_output());
    assert!(plan.stdout.contains("1 to import"), "{}", plan.stdout);
    let generated = std::fs::read_to_string(dir.path().join("generated.tf")).unwrap();
    assert!(
        generated.contains("name                           = \"cpu-cluster\""),
        "{generated}"
    );
    setup
        .terraform(&dir, &["apply", "-auto-approve", "-input=false"])
        .success();
    let replan = setup.terraform(&dir, &["plan", "-detailed-exitcode", "-input=false"]);
    assert_eq!(replan.code, 0, "{}", replan.all_output());
    let identities = setup.identities(&dir);
    assert_eq!(identities[0].1["name"], "cpu-cluster");

    // An identity that names nothing in Azure says so.
    dir.write(
        "import.tf",
        &example
            .replace(
                "00000000-0000-0000-0000-000000000000",
                setup.azure.subscription(),
            )
            .replace("\"cpu-cluster\"", "\"nowhere\"")
            .replace(".training", ".missing"),
    );
    std::fs::remove_file(dir.path().join("generated.tf")).unwrap();
    let missing = setup.terraform(
        &dir,
        &["plan", "-input=false", "-generate-config-out=generated.tf"],
    );
    assert_ne!(missing.code, 0, "{}", missing.all_output());
    assert!(
        missing
            .all_output()
            .contains("Cannot import non-existent remote object"),
        "{}",
        missing.all_output()
    );
}
