//! `amlsecure_compute_cluster` through real Terraform against the ARM emulator: the whole
//! lifecycle, drift, import, and every network rule failing plan before any write.

use amlsecure_acceptance_tests::TestDir;
use amlsecure_acceptance_tests::azure::{Azure, Topology};
use serde_json::json;

const EXAMPLE: &str = "resources/amlsecure_compute_cluster";
const ADDRESS: &str = "amlsecure_compute_cluster.training";

/// Runs Terraform in `dir` against `azure`, with the example's variables.
fn terraform(
    dir: &TestDir,
    azure: &Azure,
    topology: &Topology,
    args: &[&str],
) -> amlsecure_acceptance_tests::Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push(("TF_VAR_subnet_id", topology.training_subnet_id.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dir.run_with_env(args, &env)
}

fn compute_id(topology: &Topology) -> String {
    format!("{}/computes/cpu-cluster", topology.workspace_id)
}

#[test]
fn lifecycle_scale_drift_recreate_import_destroy() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::from_example(EXAMPLE);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    let id = compute_id(&topology);

    tf(&["apply", "-input=false", "-auto-approve"]).success();
    let compute = azure.get(&id).expect("created");
    assert_eq!(
        compute["properties"]["properties"]["scaleSettings"]["maxNodeCount"],
        4
    );
    assert_eq!(
        compute["properties"]["properties"]["subnet"]["id"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        topology.training_subnet_id.to_lowercase()
    );
    let quiet = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(
        quiet.code,
        0,
        "no changes expected after create:\n{}",
        quiet.all_output()
    );

    // Scale settings change in place.
    let scale = tf(&["plan", "-input=false", "-var", "max_nodes=6"]).success();
    assert!(
        scale.stdout.contains("1 to change, 0 to destroy"),
        "{}",
        scale.stdout
    );
    tf(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-var",
        "max_nodes=6",
    ])
    .success();
    assert_eq!(
        azure.get(&id).unwrap()["properties"]["properties"]["scaleSettings"]["maxNodeCount"],
        6
    );

    // Someone scales it down outside Terraform: refresh reports it, plan puts it back.
    azure.patch(
        &id,
        json!({"properties": {"properties": {"scaleSettings": {"maxNodeCount": 2, "minNodeCount": 0}}}}),
    );
    let refresh = tf(&[
        "plan",
        "-input=false",
        "-refresh-only",
        "-var",
        "max_nodes=6",
    ])
    .success();
    assert!(
        refresh.stdout.contains("changed outside of Terraform"),
        "{}",
        refresh.stdout
    );
    assert!(
        refresh.stdout.contains("max_nodes") && refresh.stdout.contains("6 -> 2"),
        "{}",
        refresh.stdout
    );
    let drift = tf(&[
        "plan",
        "-input=false",
        "-var",
        "max_nodes=6",
        "-detailed-exitcode",
    ]);
    assert_eq!(drift.code, 2, "{}", drift.all_output());
    assert!(
        drift.stdout.contains("max_nodes") && drift.stdout.contains("2 -> 6"),
        "{}",
        drift.stdout
    );

    // Someone deletes it: plan creates it again.
    azure.delete(&id, "&underlyingResourceAction=Delete");
    let recreate = tf(&["plan", "-input=false", "-var", "max_nodes=6"]).success();
    assert!(
        recreate
            .stdout
            .contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        recreate.stdout
    );
    tf(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-var",
        "max_nodes=6",
    ])
    .success();

    // Forget it, import it by ID: nothing to change.
    tf(&["state", "rm", ADDRESS]).success();
    tf(&[
        "import",
        "-input=false",
        "-var",
        "max_nodes=6",
        ADDRESS,
        &id,
    ])
    .success();
    // Import cannot know the configuration's `timeouts` block; adopting it touches nothing
    // in Azure, and then the plan is empty.
    let imported = tf(&["plan", "-input=false", "-var", "max_nodes=6"]).success();
    assert!(
        imported.stdout.contains("+ timeouts {"),
        "{}",
        imported.stdout
    );
    assert!(
        !imported.stdout.contains("known after apply"),
        "{}",
        imported.stdout
    );
    azure.reset_requests();
    tf(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-var",
        "max_nodes=6",
    ])
    .success();
    assert_eq!(
        azure.writes(),
        0,
        "adopting timeouts wrote to Azure: {}",
        azure.requests()
    );
    let settled = tf(&[
        "plan",
        "-input=false",
        "-var",
        "max_nodes=6",
        "-detailed-exitcode",
    ]);
    assert_eq!(settled.code, 0, "{}", settled.all_output());

    tf(&[
        "destroy",
        "-input=false",
        "-auto-approve",
        "-var",
        "max_nodes=6",
    ])
    .success();
    assert!(azure.get(&id).is_none(), "destroy left the compute");
}

/// Plans the example after `breaking` changed the topology; returns Terraform's output and
/// asserts the plan wrote nothing to Azure.
fn plan_after(breaking: impl FnOnce(&Azure, &Topology), extra_args: &[&str]) -> (i32, String) {
    plan_with_provider("", breaking, extra_args)
}

/// [`plan_after`] with `settings` inside the example's provider block.
fn plan_with_provider(
    settings: &str,
    breaking: impl FnOnce(&Azure, &Topology),
    extra_args: &[&str],
) -> (i32, String) {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    breaking(&azure, &topology);
    azure.reset_requests();
    let dir = TestDir::from_example(EXAMPLE);
    if !settings.is_empty() {
        let example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
        dir.write(
            "resource.tf",
            &example.replace(
                "provider \"amlsecure\" {}",
                &format!("provider \"amlsecure\" {{\n  {settings}\n}}"),
            ),
        );
    }
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

#[track_caller]
fn assert_fails_with(outcome: (i32, String), rule: &str, attribute_line: &str) {
    let (code, output) = outcome;
    assert_eq!(code, 1, "plan should fail with {rule}:\n{output}");
    assert!(
        output.contains(&format!("Error: {rule}: ")),
        "no {rule} error:\n{output}"
    );
    assert!(
        output.contains(attribute_line),
        "{rule} does not point at {attribute_line:?}:\n{output}"
    );
}

#[track_caller]
fn assert_warns_with(outcome: (i32, String), rule: &str) {
    let (code, output) = outcome;
    assert_eq!(code, 0, "plan should pass with a {rule} warning:\n{output}");
    assert!(
        output.contains(&format!("Warning: {rule}: ")),
        "no {rule} warning:\n{output}"
    );
}

fn set_subnet(azure: &Azure, topology: &Topology, properties: serde_json::Value) {
    let mut body = json!({"properties": {"addressPrefix": "10.0.1.0/24"}});
    for (key, value) in properties.as_object().unwrap() {
        body["properties"][key] = value.clone();
    }
    azure.put(&topology.training_subnet_id, body);
}

#[test]
fn nsg_blocking_batch_fails_plan() {
    let outcome = plan_after(
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
            set_subnet(
                azure,
                topology,
                json!({"networkSecurityGroup": {"id": nsg}}),
            );
        },
        &[],
    );
    assert_fails_with(outcome.clone(), "AMLS111", "subnet_id");
    assert!(
        outcome.1.contains("deny-all-in") && outcome.1.contains("200"),
        "{}",
        outcome.1
    );
}

#[test]
fn delegated_subnet_fails_plan() {
    let outcome = plan_after(
        |azure, topology| {
            set_subnet(
                azure,
                topology,
                json!({"delegations": [{"name": "web", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]}),
            );
        },
        &[],
    );
    assert_fails_with(outcome, "AMLS134", "subnet_id");
}

#[test]
fn missing_subnet_fails_plan() {
    let outcome = plan_after(
        |azure, topology| {
            // The network without its `training` subnet.
            azure.put(
                &topology.vnet_id,
                json!({"location": "westeurope", "properties": {
                    "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                    "subnets": [{"name": "aks", "properties": {"addressPrefix": "10.0.8.0/22"}}]
                }}),
            );
        },
        &[],
    );
    assert_fails_with(outcome, "AMLS133", "subnet_id");
}

#[test]
fn network_in_another_region_fails_plan() {
    let outcome = plan_after(
        |azure, topology| {
            azure.put(
                &topology.workspace_id,
                json!({"location": "eastus", "properties": {}}),
            );
        },
        &[],
    );
    assert_fails_with(outcome, "AMLS132", "subnet_id");
}

#[test]
fn managed_network_workspace_fails_plan() {
    let outcome = plan_after(
        |azure, topology| {
            azure.put(
                &topology.workspace_id,
                json!({"location": "westeurope", "properties": {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}}}),
            );
        },
        &[],
    );
    assert_fails_with(outcome, "AMLS136", "subnet_id");
}

#[test]
fn a_full_subnet_fails_plan_unless_its_rule_is_made_a_warning() {
    let outcome = plan_after(|_, _| {}, &["-var", "max_nodes=300"]);
    assert_fails_with(outcome.clone(), "AMLS101", "max_nodes");
    assert!(outcome.1.contains("251"), "{}", outcome.1);
    let relaxed = plan_with_provider(
        "rule_severity = { AMLS101 = \"warning\" }",
        |_, _| {},
        &["-var", "max_nodes=300"],
    );
    assert_warns_with(relaxed, "AMLS101");
    let off = plan_with_provider(
        "rule_severity = { AMLS101 = \"off\" }",
        |_, _| {},
        &["-var", "max_nodes=300"],
    );
    assert_eq!(off.0, 0, "{}", off.1);
    assert!(off.1.contains("AMLS101: rule switched off"), "{}", off.1);
}

#[test]
fn a_warning_can_be_made_an_error() {
    let raised = plan_with_provider(
        "rule_severity = { AMLS141 = \"error\" }",
        |azure, _| azure.set_usages(json!({"limits": {"LoadBalancers": 0}})),
        &[],
    );
    assert_fails_with(raised, "AMLS141", "subnet_id");
}

#[test]
fn exhausted_network_quota_warns() {
    let outcome = plan_after(
        |azure, _| azure.set_usages(json!({"limits": {"LoadBalancers": 0}})),
        &[],
    );
    assert_warns_with(outcome, "AMLS141");
}

fn tunnel_training_subnet(azure: &Azure, topology: &Topology) {
    let table = format!(
        "{}/providers/Microsoft.Network/routeTables/to-firewall",
        topology.resource_group
    );
    azure.put(
        &table,
        json!({"location": "westeurope", "properties": {"routes": [{
            "name": "default-to-firewall",
            "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.0.4"}
        }]}}),
    );
    set_subnet(azure, topology, json!({"routeTable": {"id": table}}));
}

#[test]
fn forced_tunnelling_without_batch_routes_fails_naming_the_prefixes() {
    let outcome = plan_after(tunnel_training_subnet, &[]);
    // The emulator's BatchNodeManagement.WestEurope prefixes (Terraform wraps the lines).
    let flat = outcome.1.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "198.18.32.0/25, 198.18.32.192/27 and 203.0.113.0/28 follow route 'default-to-firewall'"
        ),
        "{}",
        outcome.1
    );
    assert_fails_with(outcome, "AMLS121", "subnet_id");
}

#[test]
fn unreadable_locks_warn_instead_of_failing_the_plan() {
    let outcome = plan_after(
        |azure, _| {
            azure.fault(json!({"path_contains": "/locks", "status": 403,
                "code": "AuthorizationFailed", "message": "no read permission on locks"}));
        },
        &[],
    );
    assert!(
        outcome.1.contains("Microsoft.Authorization/locks/read"),
        "{}",
        outcome.1
    );
    assert_warns_with(outcome, "AMLS142");
}

#[test]
fn forced_tunnelling_warns_when_service_tags_cannot_be_read() {
    let outcome = plan_after(
        |azure, topology| {
            tunnel_training_subnet(azure, topology);
            azure.fault(json!({"path_contains": "/serviceTags", "status": 403,
                "code": "AuthorizationFailed", "message": "no read permission on serviceTags"}));
        },
        &[],
    );
    assert_warns_with(outcome, "AMLS122");
}

#[test]
fn a_switched_off_rule_is_reported_not_enforced() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    set_subnet(
        &azure,
        &topology,
        json!({"delegations": [{"name": "web", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]}),
    );
    let dir = TestDir::from_example(EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
    dir.write(
        "resource.tf",
        &example.replace(
            "provider \"amlsecure\" {}",
            "provider \"amlsecure\" {\n  disabled_rules = [\"AMLS134\"]\n}",
        ),
    );
    let plan = terraform(
        &dir,
        &azure,
        &topology,
        &["plan", "-input=false", "-no-color"],
    )
    .success();
    assert!(
        plan.all_output().contains("AMLS134: rule switched off"),
        "{}",
        plan.all_output()
    );
}

#[test]
fn unknown_subnet_defers_checks_to_apply_which_fails_before_writing() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    set_subnet(
        &azure,
        &topology,
        json!({"delegations": [{"name": "web", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]}),
    );
    let dir = TestDir::from_example(EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
    // The subnet ID now comes from another resource, unknown until apply (module composition).
    dir.write(
        "resource.tf",
        &format!(
            "{}\nresource \"terraform_data\" \"subnet\" {{\n  input = var.subnet_id\n}}\n",
            example.replace(
                "subnet_id    = var.subnet_id",
                "subnet_id    = terraform_data.subnet.output"
            )
        ),
    );
    let plan = terraform(
        &dir,
        &azure,
        &topology,
        &["plan", "-input=false", "-no-color"],
    )
    .success();
    assert!(
        plan.all_output().contains("Network checks run at apply"),
        "{}",
        plan.all_output()
    );

    azure.reset_requests();
    let apply = terraform(
        &dir,
        &azure,
        &topology,
        &["apply", "-input=false", "-auto-approve", "-no-color"],
    );
    assert_eq!(apply.code, 1, "{}", apply.all_output());
    assert!(
        apply.all_output().contains("AMLS134"),
        "{}",
        apply.all_output()
    );
    assert!(
        azure.get(&compute_id(&topology)).is_none(),
        "the cluster was created anyway"
    );
    let compute_writes = azure.requests()["by_path"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("PUT") && k.contains("/computes/"))
        .count();
    assert_eq!(compute_writes, 0, "{}", azure.requests());
}

#[test]
fn an_existing_compute_of_the_same_name_is_not_overwritten() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let id = compute_id(&topology);
    azure.put(
        &id,
        json!({"location": "westeurope", "properties": {"computeType": "AmlCompute",
            "properties": {"vmSize": "STANDARD_D2_V2",
                "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 2}}}}),
    );
    let dir = TestDir::from_example(EXAMPLE);
    azure.reset_requests();
    let refused = terraform(
        &dir,
        &azure,
        &topology,
        &["apply", "-input=false", "-auto-approve", "-no-color"],
    )
    .failure();
    let output = refused.all_output();
    assert!(
        output.contains("Compute already exists") && output.contains("terraform import"),
        "{output}"
    );
    assert_eq!(azure.writes(), 0, "{}", azure.requests());
    let kept = azure.get(&id).expect("still there");
    assert_eq!(
        kept["properties"]["properties"]["scaleSettings"]["maxNodeCount"],
        2
    );
}

/// A cluster with a managed tag, `foreign_tags` as given (null: left out).
fn tagged_cluster(foreign_tags: Option<&str>) -> String {
    let behaviour = foreign_tags
        .map(|b| format!("  foreign_tags = \"{b}\"\n"))
        .unwrap_or_default();
    format!(
        r#"terraform {{
  required_providers {{
    amlsecure = {{ source = "amlsecure/amlsecure" }}
  }}
}}
provider "amlsecure" {{}}
variable "workspace_id" {{ type = string }}
variable "subnet_id" {{ type = string }}
resource "amlsecure_compute_cluster" "training" {{
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 2
  subnet_id    = var.subnet_id
  tags         = {{ team = "ml" }}
{behaviour}}}
"#
    )
}

/// Adds a tag as Azure Policy's modify effect does: the compute written again with it.
fn add_foreign_tag(azure: &Azure, id: &str) {
    azure.overwrite_compute(id, |body| body["tags"]["costcenter"] = json!("4711"));
}

#[test]
fn foreign_tags_are_kept_out_of_drift_until_the_configuration_asks_to_remove_them() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::new();
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);
    let id = compute_id(&topology);
    dir.write("main.tf", &tagged_cluster(None));
    tf(&["apply", "-input=false", "-auto-approve"]).success();

    // Azure Policy adds a tag: no drift, in either plan.
    add_foreign_tag(&azure, &id);
    for args in [
        &[
            "plan",
            "-refresh-only",
            "-input=false",
            "-detailed-exitcode",
        ][..],
        &["plan", "-input=false", "-detailed-exitcode"][..],
    ] {
        let run = tf(args);
        assert_eq!(run.code, 0, "{args:?}:\n{}", run.all_output());
    }

    // Asking to remove foreign tags replaces the cluster, and the plan says which tags go.
    dir.write("main.tf", &tagged_cluster(Some("remove")));
    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    let output = plan.all_output();
    assert!(
        output.contains("must be replaced")
            && output.contains("# forces replacement")
            && output.contains("costcenter")
            && output.contains("foreign_tags"),
        "{output}"
    );
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    let tags = &azure.get(&id).expect("replaced")["tags"];
    assert_eq!(tags, &json!({"team": "ml"}));
    let quiet = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(quiet.code, 0, "{}", quiet.all_output());

    // From now on a foreign tag is drift, and the plan drops it.
    add_foreign_tag(&azure, &id);
    let refresh = tf(&[
        "plan",
        "-refresh-only",
        "-input=false",
        "-detailed-exitcode",
    ]);
    assert_eq!(refresh.code, 2, "{}", refresh.all_output());
    assert!(refresh.stdout.contains("costcenter"), "{}", refresh.stdout);
    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
}
