//! `amlsecure_aks_attachment` through real Terraform against the ARM emulator: a cluster
//! Azure ML creates and deletes, an existing cluster attached and only detached, and the
//! AKS network rules failing `validate` or `plan` before any write.

use amlsecure_acceptance_tests::azure::{Azure, Topology};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

const EXAMPLE: &str = "resources/amlsecure_aks_attachment";
const ADDRESS: &str = "amlsecure_aks_attachment.inference";

/// The example's resource with `kubernetes_cluster_id` in place of the created-cluster
/// settings.
const ATTACH_CONFIG: &str = r#"
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

variable "kubernetes_cluster_id" {
  type = string
}

resource "amlsecure_aks_attachment" "inference" {
  name                  = "aks-inference"
  workspace_id          = var.workspace_id
  kubernetes_cluster_id = var.kubernetes_cluster_id
}
"#;

/// Runs Terraform in `dir` against `azure`, with the variables of the example and of
/// [`ATTACH_CONFIG`] (Terraform ignores those a configuration does not declare).
fn terraform(dir: &TestDir, azure: &Azure, topology: &Topology, args: &[&str]) -> Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push(("TF_VAR_subnet_id", topology.aks_subnet_id.clone()));
    env.push((
        "TF_VAR_kubernetes_cluster_id",
        existing_cluster_id(topology),
    ));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dir.run_with_env(args, &env)
}

fn compute_id(topology: &Topology) -> String {
    format!("{}/computes/aks-inference", topology.workspace_id)
}

/// The cluster [`seed_existing_cluster`] creates outside Terraform.
fn existing_cluster_id(topology: &Topology) -> String {
    format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/existing-aks",
        topology.resource_group
    )
}

/// An AKS cluster someone already runs, its nodes in the `aks` subnet, with a sound
/// Kubernetes network.
fn seed_existing_cluster(azure: &Azure, topology: &Topology) -> String {
    let id = existing_cluster_id(topology);
    azure.put(
        &id,
        json!({"location": "westeurope", "properties": {
            "dnsPrefix": "existing-aks",
            "agentPoolProfiles": [{
                "name": "system", "count": 3, "vmSize": "Standard_D3_v2", "mode": "System",
                "vnetSubnetID": topology.aks_subnet_id
            }],
            "networkProfile": {
                "networkPlugin": "azure",
                "serviceCidr": "10.240.0.0/16",
                "dnsServiceIP": "10.240.0.10"
            }
        }}),
    );
    id
}

/// The example with each `(written, replacement)` swapped in its resource.tf.
fn example_replacing(replacements: &[(&str, &str)]) -> TestDir {
    let dir = TestDir::from_example(EXAMPLE);
    let mut example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
    for (written, replacement) in replacements {
        assert!(example.contains(written), "no {written:?} in {example}");
        example = example.replace(written, replacement);
    }
    dir.write("resource.tf", &example);
    dir
}

/// The example with `extra` lines (like `location = "eastus"`) added to its resource.
fn example_with(extra: &str) -> TestDir {
    let resource = "resource \"amlsecure_aks_attachment\" \"inference\" {\n";
    example_replacing(&[(resource, &format!("{resource}{extra}\n"))])
}

fn attach_dir() -> TestDir {
    let dir = TestDir::new();
    dir.write("resource.tf", ATTACH_CONFIG);
    dir
}

fn apply(dir: &TestDir, azure: &Azure, topology: &Topology) {
    terraform(
        dir,
        azure,
        topology,
        &["apply", "-input=false", "-auto-approve"],
    )
    .success();
}

#[track_caller]
fn assert_no_changes(dir: &TestDir, azure: &Azure, topology: &Topology, after: &str) {
    let plan = terraform(
        dir,
        azure,
        topology,
        &["plan", "-input=false", "-detailed-exitcode"],
    );
    assert_eq!(
        plan.code,
        0,
        "no changes expected {after}:\n{}",
        plan.all_output()
    );
}

/// One attribute of the resource in Terraform's state (`terraform show -json`).
fn state_attribute(dir: &TestDir, azure: &Azure, topology: &Topology, name: &str) -> Value {
    let show = terraform(dir, azure, topology, &["show", "-json"]).success();
    let resources = show.json()["values"]["root_module"]["resources"].clone();
    let resource = resources
        .as_array()
        .and_then(|all| all.iter().find(|r| r["address"] == ADDRESS))
        .unwrap_or_else(|| panic!("{ADDRESS} not in state: {resources}"))
        .clone();
    resource["values"][name].clone()
}

fn ids_equal(a: &Value, b: &str) -> bool {
    a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(b))
}

#[test]
fn created_cluster_lifecycle_recreate_import_destroy() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::from_example(EXAMPLE);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    let id = compute_id(&topology);

    apply(&dir, &azure, &topology);
    let compute = azure.get(&id).expect("created");
    assert_eq!(compute["properties"]["computeType"], "AKS");
    assert_eq!(compute["properties"]["isAttachedCompute"], false);
    let networking = &compute["properties"]["properties"]["aksNetworkingConfiguration"];
    assert!(
        ids_equal(&networking["subnetId"], &topology.aks_subnet_id),
        "{networking}"
    );
    assert_eq!(networking["serviceCidr"], "10.240.0.0/16");
    assert_eq!(networking["dnsServiceIP"], "10.240.0.10");
    // Azure ML created the managed cluster behind the compute, in the subnet.
    let cluster_id = compute["properties"]["resourceId"]
        .as_str()
        .expect("the compute names its cluster")
        .to_owned();
    let cluster = azure.get(&cluster_id).expect("the managed cluster exists");
    assert!(
        ids_equal(
            &cluster["properties"]["agentPoolProfiles"][0]["vnetSubnetID"],
            &topology.aks_subnet_id
        ),
        "{cluster}"
    );
    assert_eq!(
        state_attribute(&dir, &azure, &topology, "attached"),
        json!(false)
    );
    assert_no_changes(&dir, &azure, &topology, "after create");

    // Someone deletes it: plan creates it again.
    azure.delete(&id, "&underlyingResourceAction=Delete");
    let recreate = tf(&["plan", "-input=false"]).success();
    assert!(
        recreate
            .stdout
            .contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        recreate.stdout
    );
    apply(&dir, &azure, &topology);
    assert!(azure.get(&id).is_some(), "apply did not recreate it");

    // Forget it, import it by ID: nothing to change (the example has no timeouts block).
    tf(&["state", "rm", ADDRESS]).success();
    tf(&["import", "-input=false", ADDRESS, &id]).success();
    assert_no_changes(&dir, &azure, &topology, "after import");

    // Destroying a created cluster deletes the managed cluster Azure ML made for it.
    let cluster_id = azure.get(&id).unwrap()["properties"]["resourceId"]
        .as_str()
        .expect("the recreated compute names its cluster")
        .to_owned();
    tf(&["destroy", "-input=false", "-auto-approve"]).success();
    assert!(azure.get(&id).is_none(), "destroy left the compute");
    assert!(
        azure.get(&cluster_id).is_none(),
        "destroy left the managed cluster Azure ML created"
    );
}

#[test]
fn attached_cluster_is_detached_not_deleted() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let cluster_id = seed_existing_cluster(&azure, &topology);
    let dir = attach_dir();
    let id = compute_id(&topology);

    apply(&dir, &azure, &topology);
    let compute = azure.get(&id).expect("attached");
    assert_eq!(compute["properties"]["isAttachedCompute"], true);
    assert!(
        ids_equal(&compute["properties"]["resourceId"], &cluster_id),
        "{compute}"
    );
    assert_eq!(
        state_attribute(&dir, &azure, &topology, "attached"),
        json!(true)
    );
    assert_no_changes(&dir, &azure, &topology, "after attach");

    terraform(
        &dir,
        &azure,
        &topology,
        &["destroy", "-input=false", "-auto-approve"],
    )
    .success();
    assert!(azure.get(&id).is_none(), "destroy left the compute");
    assert!(
        azure.get(&cluster_id).is_some(),
        "destroy deleted the attached cluster instead of detaching it"
    );
}

/// Plans `dir` after `breaking` changed the topology; returns Terraform's exit code and
/// output, and asserts the plan wrote nothing to Azure.
fn plan_after(
    dir: TestDir,
    breaking: impl FnOnce(&Azure, &Topology),
    extra_args: &[&str],
) -> (i32, String) {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    breaking(&azure, &topology);
    azure.reset_requests();
    let mut args = vec!["plan", "-input=false", "-no-color"];
    args.extend_from_slice(extra_args);
    let run = terraform(&dir, &azure, &topology, &args);
    assert_eq!(
        azure.writes(),
        0,
        "plan wrote to Azure: {}",
        azure.requests()
    );
    (run.code, run.all_output())
}

/// The diagnostic that starts with `Error: RULE: `, up to the next diagnostic.
fn error_block<'a>(output: &'a str, rule: &str) -> Option<&'a str> {
    let start = output.find(&format!("Error: {rule}: "))?;
    let rest = &output[start..];
    let end = ["\nError: ", "\nWarning: ", "\n╵"]
        .iter()
        .filter_map(|marker| rest[1..].find(marker).map(|i| i + 1))
        .min()
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Whether the diagnostic's source snippet is the line that sets `attribute`
/// (`  44:   service_cidr   = var.service_cidr`).
fn points_at(block: &str, attribute: &str) -> bool {
    block.lines().any(|line| {
        let line = line.trim_start_matches(['│', ' ']);
        line.split_once(':').is_some_and(|(number, source)| {
            !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit())
                && source
                    .trim_start()
                    .strip_prefix(attribute)
                    .is_some_and(|after| after.trim_start().starts_with('='))
        })
    })
}

#[track_caller]
fn assert_fails_with(outcome: (i32, String), rule: &str, attribute: &str) {
    let (code, output) = outcome;
    assert_eq!(code, 1, "should fail with {rule}:\n{output}");
    let block = error_block(&output, rule).unwrap_or_else(|| panic!("no {rule} error:\n{output}"));
    assert!(
        points_at(block, attribute),
        "{rule} does not point at {attribute}:\n{output}"
    );
}

fn set_aks_subnet(azure: &Azure, topology: &Topology, properties: Value) {
    let mut body = json!({"properties": {"addressPrefix": "10.0.8.0/22"}});
    for (key, value) in properties.as_object().unwrap() {
        body["properties"][key] = value.clone();
    }
    azure.put(&topology.aks_subnet_id, body);
}

#[test]
fn service_cidr_overlapping_the_vnet_fails_plan() {
    let outcome = plan_after(
        TestDir::from_example(EXAMPLE),
        |_, _| {},
        &[
            "-var",
            "service_cidr=10.0.0.0/16",
            "-var",
            "dns_service_ip=10.0.0.10",
        ],
    );
    assert!(
        outcome
            .1
            .contains("service_cidr 10.0.0.0/16 overlaps 10.0.0.0/16"),
        "{}",
        outcome.1
    );
    assert_fails_with(outcome, "AMLS201", "service_cidr");
}

#[test]
fn cluster_in_another_region_than_its_network_fails_plan() {
    let outcome = plan_after(
        example_with("  location       = \"eastus\""),
        |_, _| {},
        &[],
    );
    assert_fails_with(outcome, "AMLS231", "location");
}

#[test]
fn delegated_aks_subnet_fails_plan() {
    let outcome = plan_after(
        TestDir::from_example(EXAMPLE),
        |azure, topology| {
            set_aks_subnet(
                azure,
                topology,
                json!({"delegations": [{"name": "web", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]}),
            );
        },
        &[],
    );
    assert_fails_with(outcome, "AMLS232", "subnet_id");
}

#[test]
fn nsg_denying_azure_ml_inbound_fails_plan() {
    let outcome = plan_after(
        TestDir::from_example(EXAMPLE),
        |azure, topology| {
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
            set_aks_subnet(
                azure,
                topology,
                json!({"networkSecurityGroup": {"id": nsg}}),
            );
        },
        &[],
    );
    assert_fails_with(outcome.clone(), "AMLS221", "subnet_id");
    assert!(outcome.1.contains("deny-all-in"), "{}", outcome.1);
}

#[test]
fn dns_service_ip_on_the_first_address_fails_validate_without_azure() {
    // Variables are unknown to validate, so the ranges are written out.
    let dir = example_replacing(&[
        ("var.service_cidr", "\"10.240.0.0/16\""),
        ("var.dns_service_ip", "\"10.240.0.1\""),
    ]);
    // No ARM_* variables and no emulator: validate needs no credentials.
    let run = dir.run(&["validate", "-no-color"]);
    let output = run.all_output();
    assert!(
        output.contains("dns_service_ip 10.240.0.1 is the first address"),
        "{output}"
    );
    assert_fails_with((run.code, output), "AMLS206", "dns_service_ip");
}

#[test]
fn attached_cluster_with_overlapping_service_cidr_fails_plan() {
    let outcome = plan_after(
        attach_dir(),
        |azure, topology| {
            let cluster_id = seed_existing_cluster(azure, topology);
            // AKS would refuse to create this; a cluster can still end up with it (a peering
            // added later), so it is seeded past the emulator's checks.
            azure.seed(
            &cluster_id,
            json!({"properties": {"networkProfile": {"serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10"}}}),
        );
        },
        &[],
    );
    // Terraform wraps long lines: compare words, not layout.
    let words = outcome.1.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("In the existing cluster, service_cidr 10.0.0.0/16 overlaps")
            && words.contains("attach a cluster created with other ranges"),
        "{}",
        outcome.1
    );
    assert_fails_with(outcome, "AMLS201", "kubernetes_cluster_id");
}

/// Only a cluster Azure ML creates needs to manage network resources: attaching a cluster
/// someone already runs meets no lock rule (AMLS142), while creating one in the same locked
/// network does.
#[test]
fn locks_concern_only_a_cluster_azure_ml_creates() {
    let lock_network = |azure: &Azure, topology: &Topology| {
        seed_existing_cluster(azure, topology);
        azure.lock(&topology.resource_group, "keep-network", "CanNotDelete");
        azure.lock(&topology.resource_group, "freeze-network", "ReadOnly");
    };
    let (code, output) = plan_after(attach_dir(), lock_network, &[]);
    assert_eq!(code, 0, "attaching should plan:\n{output}");
    assert!(!output.contains("AMLS142"), "{output}");
    assert!(
        output.contains("amlsecure_aks_attachment.inference will be created"),
        "{output}"
    );

    let (_, output) = plan_after(TestDir::from_example(EXAMPLE), lock_network, &[]);
    assert!(
        output.contains("AMLS142"),
        "creating should meet the locks:\n{output}"
    );
}
