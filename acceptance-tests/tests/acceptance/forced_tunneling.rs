//! Forced tunnelling through real Terraform against the ARM emulator: `amlsecure_service_tag`,
//! and `amlsecure_forced_tunneling_routes` written beside foreign routes (which stay
//! untouched), following Azure when it publishes new Batch prefixes, drift, import, clashes
//! failing plan before any write, and the compute cluster's AMLS121 check that the routes
//! satisfy, also when both are declared in one configuration.

use amlsecure_acceptance_tests::azure::{Azure, Topology};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

const EXAMPLE: &str = "resources/amlsecure_forced_tunneling_routes";
const ADDRESS: &str = "amlsecure_forced_tunneling_routes.training";
const CLUSTER_EXAMPLE: &str = "resources/amlsecure_compute_cluster";
const DATA_EXAMPLE: &str = "data-sources/amlsecure_service_tag";
const BATCH_TAG: &str = "BatchNodeManagement.WestEurope";

/// The emulator's default `BatchNodeManagement.WestEurope` IPv4 prefixes.
const BATCH_PREFIXES: [&str; 3] = ["198.18.32.0/25", "198.18.32.192/27", "203.0.113.0/28"];

/// The routes of other owners the table starts with.
const FOREIGN: [(&str, &str, &str); 2] = [
    ("default-to-firewall", "0.0.0.0/0", "VirtualAppliance"),
    ("corp-onprem", "10.50.0.0/16", "VirtualNetworkGateway"),
];

struct Setup {
    azure: Azure,
    topology: Topology,
    table_id: String,
}

/// The standard topology, with route table `to-firewall` on the training subnet: the
/// default route to a firewall at 10.0.0.4, and on-premises through the gateway.
fn setup() -> Setup {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let table_id = format!(
        "{}/providers/Microsoft.Network/routeTables/to-firewall",
        topology.resource_group
    );
    let routes: Vec<Value> = FOREIGN
        .iter()
        .map(|(name, prefix, hop)| {
            let mut properties = json!({"addressPrefix": prefix, "nextHopType": hop});
            if *hop == "VirtualAppliance" {
                properties["nextHopIpAddress"] = json!("10.0.0.4");
            }
            json!({"name": name, "properties": properties})
        })
        .collect();
    azure.put(
        &table_id,
        json!({"location": "westeurope", "properties": {"routes": routes}}),
    );
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/24", "routeTable": {"id": table_id}}}),
    );
    Setup {
        azure,
        topology,
        table_id,
    }
}

impl Setup {
    fn terraform(&self, dir: &TestDir, args: &[&str]) -> Run {
        let mut env = self.azure.env();
        env.push(("TF_VAR_route_table_id", self.table_id.clone()));
        env.push(("TF_VAR_workspace_id", self.topology.workspace_id.clone()));
        env.push(("TF_VAR_subnet_id", self.topology.training_subnet_id.clone()));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        dir.run_with_env(args, &env)
    }

    fn route_id(&self, name: &str) -> String {
        format!("{}/routes/{name}", self.table_id)
    }

    /// `(name, address prefix, next hop)` of every route of the table, sorted.
    fn routes(&self) -> Vec<(String, String, String)> {
        let table = self.azure.get(&self.table_id).expect("the table exists");
        let mut routes: Vec<(String, String, String)> = table["properties"]["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let text = |v: &Value| v.as_str().unwrap().to_owned();
                (
                    text(&r["name"]),
                    text(&r["properties"]["addressPrefix"]),
                    text(&r["properties"]["nextHopType"]),
                )
            })
            .collect();
        routes.sort();
        routes
    }

    /// Plans the compute cluster example on the training subnet, counting writes.
    fn plan_cluster(&self) -> (Run, u64) {
        self.azure.reset_requests();
        let dir = TestDir::from_example(CLUSTER_EXAMPLE);
        let run = self.terraform(&dir, &["plan", "-input=false", "-no-color"]);
        (run, self.azure.writes())
    }
}

fn foreign_routes() -> Vec<(String, String, String)> {
    let mut routes: Vec<(String, String, String)> = FOREIGN
        .iter()
        .map(|(n, p, h)| ((*n).to_owned(), (*p).to_owned(), (*h).to_owned()))
        .collect();
    routes.sort();
    routes
}

/// The foreign routes and one Internet route per prefix, named as the resource names them.
fn with_owned(prefixes: &[&str]) -> Vec<(String, String, String)> {
    let mut routes = foreign_routes();
    for prefix in prefixes {
        let name = format!("amlsecure-{}", prefix.replace(['.', '/'], "-"));
        routes.push((name, (*prefix).to_owned(), "Internet".to_owned()));
    }
    routes.sort();
    routes
}

fn apply(setup: &Setup, dir: &TestDir) -> Run {
    setup
        .terraform(
            dir,
            &["apply", "-input=false", "-auto-approve", "-no-color"],
        )
        .success()
}

#[track_caller]
fn assert_quiet(setup: &Setup, dir: &TestDir) {
    let plan = setup.terraform(
        dir,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
    );
    assert_eq!(plan.code, 0, "no changes expected:\n{}", plan.all_output());
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn service_tag_data_source_reads_azures_prefixes() {
    let setup = setup();
    let dir = TestDir::from_example(DATA_EXAMPLE);
    setup
        .terraform(&dir, &["apply", "-input=false", "-auto-approve"])
        .success();
    let output = setup
        .terraform(&dir, &["output", "-json", "batch"])
        .success()
        .json();
    assert_eq!(output["id"], BATCH_TAG);
    assert_eq!(output["region"], "westeurope");
    assert_eq!(output["ipv4"], json!(BATCH_PREFIXES));
    assert_eq!(output["ipv6"], json!(["2001:db8:400::/64"]));
    assert_eq!(output["change_number"], "1");

    // Azure publishes new prefixes: the next read has them, with a higher change number.
    setup
        .azure
        .set_service_tag_prefixes(BATCH_TAG, &["198.18.32.0/25", "198.18.40.0/24"]);
    setup
        .terraform(&dir, &["apply", "-input=false", "-auto-approve"])
        .success();
    let output = setup
        .terraform(&dir, &["output", "-json", "batch"])
        .success()
        .json();
    assert_eq!(output["ipv4"], json!(["198.18.32.0/25", "198.18.40.0/24"]));
    assert_eq!(output["ipv6"], json!([]));
    assert_eq!(output["change_number"], "2");

    // The regional name alone is the same tag; a misspelt one names the close ones.
    let other = TestDir::new();
    other.write(
        "main.tf",
        r#"
data "amlsecure_service_tag" "full" {
  location = "westeurope"
  name     = "batchnodemanagement.westeurope"
}
data "amlsecure_service_tag" "global" {
  location = "westeurope"
  name     = "AzureMachineLearning"
}
resource "amlsecure_forced_tunneling_routes" "training" {
  route_table_id = var.route_table_id
}
variable "route_table_id" { type = string }
output "full" { value = data.amlsecure_service_tag.full.id }
output "global" { value = [data.amlsecure_service_tag.global.region, length(data.amlsecure_service_tag.global.ipv4_address_prefixes)] }
terraform {
  required_providers {
    amlsecure = { source = "amlsecure/amlsecure" }
  }
}
"#,
    );
    // Two data sources and a resource in one plan read the tag list once.
    setup.azure.reset_requests();
    setup.terraform(&other, &["plan", "-input=false"]).success();
    let gets = &setup.azure.requests()["by_path"];
    let list = format!(
        "GET /subscriptions/{}/providers/microsoft.network/locations/westeurope/servicetags",
        setup.azure.subscription()
    );
    assert_eq!(gets[&list], 1, "{gets}");
    setup
        .terraform(&other, &["apply", "-input=false", "-auto-approve"])
        .success();
    let full = setup
        .terraform(&other, &["output", "-raw", "full"])
        .success();
    assert_eq!(full.stdout, BATCH_TAG);
    let global = setup
        .terraform(&other, &["output", "-json", "global"])
        .success()
        .json();
    assert_eq!(global, json!(["", 16]));

    other.write(
        "main.tf",
        r#"
data "amlsecure_service_tag" "typo" {
  location = "westeurope"
  name     = "BatchNodeManagment"
  region   = "westeurope"
}
terraform {
  required_providers {
    amlsecure = { source = "amlsecure/amlsecure" }
  }
}
"#,
    );
    let typo = setup.terraform(&other, &["plan", "-input=false", "-no-color"]);
    assert_eq!(typo.code, 1, "{}", typo.all_output());
    let text = flat(&typo.all_output());
    assert!(
        text.contains("has no tag 'BatchNodeManagment.westeurope'")
            && text.contains("'BatchNodeManagement.WestEurope'"),
        "{text}"
    );
    assert!(
        text.contains("with data.amlsecure_service_tag.typo"),
        "{text}"
    );
}

#[test]
fn routes_follow_the_service_tag_beside_foreign_routes_and_satisfy_the_cluster() {
    let setup = setup();

    // Before: the cluster's plan fails on the tunnelled subnet, naming Batch's prefixes, and
    // writes nothing.
    let (blocked, writes) = setup.plan_cluster();
    assert_eq!(blocked.code, 1, "{}", blocked.all_output());
    let text = flat(&blocked.all_output());
    assert!(text.contains("Error: AMLS121: "), "{text}");
    assert!(
        text.contains(
            "198.18.32.0/25, 198.18.32.192/27 and 203.0.113.0/28 follow route 'default-to-firewall'"
        ),
        "{text}"
    );
    assert_eq!(writes, 0, "the failing plan wrote to Azure");

    let dir = TestDir::from_example(EXAMPLE);
    let plan = setup
        .terraform(&dir, &["plan", "-input=false", "-no-color"])
        .success();
    let words = flat(&plan.stdout);
    for prefix in BATCH_PREFIXES {
        assert!(
            words.contains(&format!("address_prefix = \"{prefix}\"")),
            "{prefix}:\n{}",
            plan.stdout
        );
    }
    assert!(
        !plan.stdout.contains("known after apply"),
        "{}",
        plan.stdout
    );

    apply(&setup, &dir);
    assert_eq!(setup.routes(), with_owned(&BATCH_PREFIXES));
    assert_quiet(&setup, &dir);

    // After: the cluster's route check passes.
    let (cluster, _) = setup.plan_cluster();
    assert_eq!(cluster.code, 0, "{}", cluster.all_output());
    for rule in ["AMLS121", "AMLS122"] {
        assert!(
            !cluster.all_output().contains(rule),
            "{}",
            cluster.all_output()
        );
    }

    // Azure publishes new Batch prefixes: plan shows the update, apply converges.
    let changed = ["198.18.32.0/25", "198.18.40.0/24"];
    setup.azure.set_service_tag_prefixes(BATCH_TAG, &changed);
    let update = setup.terraform(
        &dir,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
    );
    assert_eq!(update.code, 2, "{}", update.all_output());
    let words = flat(&update.stdout);
    assert!(words.contains("1 to change"), "{}", update.stdout);
    assert!(
        words.contains("198.18.40.0/24") && words.contains("203.0.113.0/28"),
        "{}",
        update.stdout
    );
    apply(&setup, &dir);
    assert_eq!(setup.routes(), with_owned(&changed));
    assert_quiet(&setup, &dir);

    // Someone deletes a route outside Terraform: refresh reports it, apply puts it back.
    setup
        .azure
        .delete(&setup.route_id("amlsecure-198-18-40-0-24"), "");
    let refresh = setup
        .terraform(
            &dir,
            &["plan", "-input=false", "-no-color", "-refresh-only"],
        )
        .success();
    assert!(
        refresh.stdout.contains("changed outside of Terraform"),
        "{}",
        refresh.stdout
    );
    apply(&setup, &dir);
    assert_eq!(setup.routes(), with_owned(&changed));

    // Destroy removes the owned routes and nothing else.
    setup
        .terraform(&dir, &["destroy", "-input=false", "-auto-approve"])
        .success();
    assert_eq!(setup.routes(), foreign_routes());
}

/// The routes and a cluster that `depends_on` them, in one configuration.
const ROUTES_AND_CLUSTER: &str = r#"
terraform {
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

provider "amlsecure" {}

variable "route_table_id" {
  type = string
}

variable "workspace_id" {
  type = string
}

variable "subnet_id" {
  type = string
}

resource "amlsecure_forced_tunneling_routes" "training" {
  route_table_id = var.route_table_id
}

resource "amlsecure_compute_cluster" "training" {
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 4
  subnet_id    = var.subnet_id

  depends_on = [amlsecure_forced_tunneling_routes.training]
}
"#;

/// The cluster alone fails AMLS121 on the tunnelled subnet (see
/// `routes_follow_the_service_tag_beside_foreign_routes_and_satisfy_the_cluster`); declared
/// beside the routes it depends on, it plans and applies in one go.
#[test]
fn routes_in_the_same_configuration_count_for_the_cluster_check() {
    let setup = setup();
    let dir = TestDir::new();
    dir.write("main.tf", ROUTES_AND_CLUSTER);

    setup.azure.reset_requests();
    let plan = setup
        .terraform(&dir, &["plan", "-input=false", "-no-color"])
        .success();
    for rule in ["AMLS121", "AMLS122"] {
        assert!(!plan.all_output().contains(rule), "{}", plan.all_output());
    }
    assert!(flat(&plan.stdout).contains("2 to add"), "{}", plan.stdout);
    assert_eq!(
        setup.azure.writes(),
        0,
        "plan wrote: {}",
        setup.azure.requests()
    );

    let applied = apply(&setup, &dir);
    assert!(
        !applied.all_output().contains("AMLS121"),
        "{}",
        applied.all_output()
    );
    assert_eq!(setup.routes(), with_owned(&BATCH_PREFIXES));
    let cluster = format!("{}/computes/cpu-cluster", setup.topology.workspace_id);
    assert!(
        setup.azure.get(&cluster).is_some(),
        "the cluster was not created"
    );
    assert_quiet(&setup, &dir);

    setup
        .terraform(&dir, &["destroy", "-input=false", "-auto-approve"])
        .success();
    assert!(
        setup.azure.get(&cluster).is_none(),
        "the cluster is still there"
    );
    assert_eq!(setup.routes(), foreign_routes());
}

#[test]
fn azure_machine_learning_prefixes_are_routed_when_asked() {
    let setup = setup();
    let dir = TestDir::from_example(EXAMPLE);
    let args = [
        "apply",
        "-input=false",
        "-auto-approve",
        "-var",
        "include_azure_machine_learning=true",
    ];
    setup.terraform(&dir, &args).success();
    let mut prefixes = BATCH_PREFIXES.to_vec();
    prefixes.extend(["198.18.16.0/25", "198.18.16.192/27"]);
    assert_eq!(setup.routes(), with_owned(&prefixes));
    // Import by the route table's ID adopts the routes, Azure ML's included, so the
    // configuration that asks for them has nothing to change and writes nothing.
    setup.terraform(&dir, &["state", "rm", ADDRESS]).success();
    let wrong = setup.terraform(&dir, &["import", "-input=false", ADDRESS, "to-firewall"]);
    assert_eq!(wrong.code, 1, "{}", wrong.all_output());
    assert!(
        wrong.all_output().contains("Invalid import ID"),
        "{}",
        wrong.all_output()
    );
    setup
        .terraform(&dir, &["import", "-input=false", ADDRESS, &setup.table_id])
        .success();
    setup.azure.reset_requests();
    let plan = setup.terraform(
        &dir,
        &[
            "plan",
            "-input=false",
            "-detailed-exitcode",
            "-var",
            "include_azure_machine_learning=true",
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.all_output());
    assert_eq!(setup.azure.writes(), 0, "{}", setup.azure.requests());
}

/// Plans the example after `breaking`; asserts it fails with `rule`, naming `names`, and
/// wrote nothing.
#[track_caller]
fn assert_plan_fails(breaking: impl FnOnce(&Setup), rule: &str, names: &[&str]) {
    let setup = setup();
    breaking(&setup);
    setup.azure.reset_requests();
    let dir = TestDir::from_example(EXAMPLE);
    let plan = setup.terraform(&dir, &["plan", "-input=false", "-no-color"]);
    let output = flat(&plan.all_output());
    assert_eq!(plan.code, 1, "plan should fail with {rule}:\n{output}");
    assert!(output.contains(&format!("Error: {rule}: ")), "{output}");
    for name in names {
        assert!(output.contains(name), "{name} not named:\n{output}");
    }
    assert!(
        output.contains("route_table_id"),
        "not at route_table_id:\n{output}"
    );
    assert_eq!(
        setup.azure.writes(),
        0,
        "plan wrote to Azure: {}",
        setup.azure.requests()
    );
}

fn put_route(setup: &Setup, name: &str, prefix: &str, hop: &str) {
    setup.azure.put(
        &setup.route_id(name),
        json!({"properties": {"addressPrefix": prefix, "nextHopType": hop}}),
    );
}

#[test]
fn a_foreign_route_with_a_wanted_prefix_fails_plan_naming_it() {
    assert_plan_fails(
        |setup| put_route(setup, "batch-manual", "198.18.32.192/27", "Internet"),
        "AMLS125",
        &["route 'batch-manual' (198.18.32.192/27 to Internet)"],
    );
}

#[test]
fn a_foreign_route_with_a_wanted_name_fails_plan_naming_it() {
    assert_plan_fails(
        |setup| {
            put_route(
                setup,
                "amlsecure-203-0-113-0-28",
                "10.60.0.0/16",
                "VnetLocal",
            )
        },
        "AMLS124",
        &["route 'amlsecure-203-0-113-0-28' (10.60.0.0/16 to VnetLocal)"],
    );
}

#[test]
fn a_table_that_does_not_tunnel_warns_the_routes_are_unneeded() {
    let setup = setup();
    setup
        .azure
        .delete(&setup.route_id("default-to-firewall"), "");
    let dir = TestDir::from_example(EXAMPLE);
    let plan = setup
        .terraform(&dir, &["plan", "-input=false", "-no-color"])
        .success();
    let output = flat(&plan.all_output());
    assert!(output.contains("Warning: AMLS123: "), "{output}");
    assert!(
        output.contains("route table 'to-firewall' sends no default route"),
        "{output}"
    );
}

#[test]
fn a_route_table_known_only_at_apply_is_checked_then() {
    let setup = setup();
    let dir = TestDir::from_example(EXAMPLE);
    // `terraform_data`'s output is unknown until apply, as an ID from another resource is.
    let example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
    dir.write(
        "resource.tf",
        &example.replace(
            "route_table_id = var.route_table_id",
            "route_table_id = terraform_data.table.output",
        ),
    );
    dir.write(
        "table.tf",
        "resource \"terraform_data\" \"table\" {\n  input = var.route_table_id\n}\n",
    );
    setup.azure.reset_requests();
    let plan = setup
        .terraform(&dir, &["plan", "-input=false", "-no-color"])
        .success();
    let text = flat(&plan.all_output());
    assert!(text.contains("Network checks run at apply"), "{text}");
    assert!(text.contains("routes = (known after apply)"), "{text}");
    assert_eq!(setup.azure.writes(), 0, "{}", setup.azure.requests());
    apply(&setup, &dir);
    assert_eq!(setup.routes(), with_owned(&BATCH_PREFIXES));
    assert_quiet(&setup, &dir);
}

#[test]
fn prefixes_published_between_a_saved_plan_and_its_apply_stop_it_before_any_write() {
    let setup = setup();
    let dir = TestDir::from_example(EXAMPLE);
    setup
        .terraform(&dir, &["plan", "-input=false", "-out=tfplan"])
        .success();
    setup
        .azure
        .set_service_tag_prefixes(BATCH_TAG, &["198.18.50.0/24"]);
    setup.azure.reset_requests();
    let stale = setup.terraform(&dir, &["apply", "-input=false", "-no-color", "tfplan"]);
    assert_eq!(stale.code, 1, "{}", stale.all_output());
    // Terraform plans again before applying and finds the routes differ from the saved plan.
    let text = flat(&stale.all_output());
    assert!(
        text.contains("inconsistent final plan") && text.contains("198.18.50.0/24"),
        "{text}"
    );
    assert_eq!(setup.azure.writes(), 0, "{}", setup.azure.requests());
    assert_eq!(setup.routes(), foreign_routes());
    // A new plan picks the published prefix up.
    apply(&setup, &dir);
    assert_eq!(setup.routes(), with_owned(&["198.18.50.0/24"]));
}

#[test]
fn network_check_reports_the_missing_batch_routes_until_they_exist() {
    let setup = setup();
    let check = TestDir::from_example("data-sources/amlsecure_network_check");
    let rule_ids = |setup: &Setup| -> Vec<Value> {
        setup
            .terraform(&check, &["apply", "-input=false", "-auto-approve"])
            .success();
        let findings = setup
            .terraform(&check, &["output", "-json", "findings"])
            .success()
            .json();
        findings
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].clone())
            .collect()
    };
    assert_eq!(rule_ids(&setup), [json!("AMLS121")]);
    apply(&setup, &TestDir::from_example(EXAMPLE));
    assert_eq!(rule_ids(&setup), Vec::<Value>::new());
}
