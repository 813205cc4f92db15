//! `amlsecure_compute_network_security_rules` through real Terraform against the ARM emulator:
//! rules written beside rules of other owners (which stay untouched), the rule set satisfying
//! the compute cluster's NSG checks, drift, clashes failing plan before any write, concurrent
//! applies on one group, import, and destroy removing only owned rules.

use amlsecure_acceptance_tests::azure::{Azure, Topology};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

const EXAMPLE: &str = "resources/amlsecure_compute_network_security_rules";
const ADDRESS: &str = "amlsecure_compute_network_security_rules.training";
const CLUSTER_EXAMPLE: &str = "resources/amlsecure_compute_cluster";

/// The rules of other owners the group starts with.
const FOREIGN: [&str; 3] = [
    "corp-allow-https-in",
    "corp-deny-all-in",
    "corp-allow-sql-out",
];

struct Setup {
    azure: Azure,
    topology: Topology,
    nsg_id: String,
}

/// The standard topology, with network security group `ml-nsg` on the training subnet. Its
/// rules: inbound Allow TCP 443 from Internet at 100, inbound Deny all at 4000 (which blocks
/// Azure Batch), outbound Allow TCP 1433 to 10.50.0.0/16 at 100.
fn setup() -> Setup {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let nsg_id = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/ml-nsg",
        topology.resource_group
    );
    let rule = |name: &str, priority: i64, direction: &str, access: &str, extra: Value| {
        let mut properties = json!({
            "priority": priority, "direction": direction, "access": access, "protocol": "Tcp",
            "sourceAddressPrefix": "*", "sourcePortRange": "*",
            "destinationAddressPrefix": "*", "destinationPortRange": "*"
        });
        for (key, value) in extra.as_object().unwrap() {
            properties[key] = value.clone();
        }
        json!({"name": name, "properties": properties})
    };
    azure.put(
        &nsg_id,
        json!({"location": "westeurope", "properties": {"securityRules": [
            rule(FOREIGN[0], 100, "Inbound", "Allow",
                json!({"sourceAddressPrefix": "Internet", "destinationPortRange": "443"})),
            rule(FOREIGN[1], 4000, "Inbound", "Deny", json!({"protocol": "*"})),
            rule(FOREIGN[2], 100, "Outbound", "Allow",
                json!({"destinationAddressPrefix": "10.50.0.0/16", "destinationPortRange": "1433"})),
        ]}}),
    );
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": nsg_id}}}),
    );
    Setup {
        azure,
        topology,
        nsg_id,
    }
}

impl Setup {
    fn terraform(&self, dir: &TestDir, args: &[&str]) -> Run {
        let mut env = self.azure.env();
        env.push(("TF_VAR_network_security_group_id", self.nsg_id.clone()));
        env.push(("TF_VAR_workspace_id", self.topology.workspace_id.clone()));
        env.push(("TF_VAR_subnet_id", self.topology.training_subnet_id.clone()));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        dir.run_with_env(args, &env)
    }

    fn rule_id(&self, name: &str) -> String {
        format!("{}/securityRules/{name}", self.nsg_id)
    }

    fn rule(&self, name: &str) -> Option<Value> {
        self.azure.get(&self.rule_id(name))
    }

    /// `(name, priority, direction)` of every rule of the group, sorted.
    fn rules(&self) -> Vec<(String, i64, String)> {
        let group = self.azure.get(&self.nsg_id).expect("the group exists");
        let mut rules: Vec<(String, i64, String)> = group["properties"]["securityRules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["properties"]["priority"].as_i64().unwrap(),
                    r["properties"]["direction"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        rules.sort();
        rules
    }

    /// The foreign rules' properties, to compare before and after.
    /// The foreign rules as written (their provisioning state aside, which moves on as the
    /// operation that seeded them finishes).
    fn foreign(&self) -> Vec<Value> {
        FOREIGN
            .iter()
            .map(|name| {
                let mut rule =
                    self.rule(name).unwrap_or_else(|| panic!("{name} is gone"))["properties"]
                        .clone();
                rule.as_object_mut().map(|p| p.remove("provisioningState"));
                rule
            })
            .collect()
    }

    /// Plans the compute cluster example on the training subnet.
    fn plan_cluster(&self) -> Run {
        let dir = TestDir::from_example(CLUSTER_EXAMPLE);
        self.terraform(&dir, &["plan", "-input=false", "-no-color"])
    }
}

fn apply(setup: &Setup, dir: &TestDir, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "-input=false", "-auto-approve", "-no-color"];
    args.extend_from_slice(extra);
    setup.terraform(dir, &args).success()
}

#[track_caller]
fn assert_quiet(setup: &Setup, dir: &TestDir, extra: &[&str]) {
    let mut args = vec!["plan", "-input=false", "-no-color", "-detailed-exitcode"];
    args.extend_from_slice(extra);
    let plan = setup.terraform(dir, &args);
    assert_eq!(plan.code, 0, "no changes expected:\n{}", plan.all_output());
}

fn owned(prefix: &str, priorities: [i64; 6]) -> Vec<(String, i64, String)> {
    [
        ("batch-inbound", "Inbound"),
        ("ssh-inbound", "Inbound"),
        ("storage-outbound", "Outbound"),
        ("acr-outbound", "Outbound"),
        ("azureml-outbound", "Outbound"),
        ("deny-internet-outbound", "Outbound"),
    ]
    .iter()
    .zip(priorities)
    .map(|((suffix, direction), p)| (format!("{prefix}-{suffix}"), p, (*direction).to_owned()))
    .collect()
}

fn foreign_rules() -> Vec<(String, i64, String)> {
    vec![
        (FOREIGN[0].to_owned(), 100, "Inbound".to_owned()),
        (FOREIGN[1].to_owned(), 4000, "Inbound".to_owned()),
        (FOREIGN[2].to_owned(), 100, "Outbound".to_owned()),
    ]
}

fn sorted(mut rules: Vec<(String, i64, String)>) -> Vec<(String, i64, String)> {
    rules.sort();
    rules
}

#[test]
fn writes_beside_foreign_rules_satisfies_the_cluster_checks_and_destroys_only_its_own() {
    let setup = setup();
    let foreign_before = setup.foreign();

    // Before: the group's Deny at 4000 blocks Azure Batch, and the cluster plan says so.
    let blocked = setup.plan_cluster();
    assert_eq!(blocked.code, 1, "{}", blocked.all_output());
    assert!(
        blocked.all_output().contains("AMLS111"),
        "{}",
        blocked.all_output()
    );

    let dir = TestDir::from_example(EXAMPLE);
    // The plan shows the picked priorities, skipping the foreign ones at 100.
    let plan = setup
        .terraform(&dir, &["plan", "-input=false", "-no-color"])
        .success();
    let words = plan.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "name = \"amlsecure-batch-inbound\"",
        "name = \"amlsecure-deny-internet-outbound\"",
        "priority = 101",
        "\"Storage.WestEurope\"",
    ] {
        assert!(words.contains(expected), "{expected}:\n{}", plan.stdout);
    }
    assert!(
        !plan.stdout.contains("known after apply"),
        "{}",
        plan.stdout
    );

    apply(&setup, &dir, &[]);
    let mut expected = owned("amlsecure", [101, 102, 101, 102, 103, 104]);
    expected.extend(foreign_rules());
    assert_eq!(setup.rules(), sorted(expected));
    assert_eq!(setup.foreign(), foreign_before, "a foreign rule changed");
    let batch = setup.rule("amlsecure-batch-inbound").unwrap();
    assert_eq!(
        batch["properties"]["sourceAddressPrefix"],
        "BatchNodeManagement"
    );
    assert_eq!(batch["properties"]["destinationPortRange"], "29876-29877");
    assert_eq!(batch["properties"]["access"], "Allow");
    assert_quiet(&setup, &dir, &[]);

    // After: the same cluster plan passes the NSG checks, outbound lockdown included.
    let cluster = setup.plan_cluster();
    assert_eq!(cluster.code, 0, "{}", cluster.all_output());
    for rule in ["AMLS111", "AMLS112", "AMLS113", "AMLS114"] {
        assert!(
            !cluster.all_output().contains(rule),
            "{rule}:\n{}",
            cluster.all_output()
        );
    }

    setup
        .terraform(&dir, &["destroy", "-input=false", "-auto-approve"])
        .success();
    assert_eq!(setup.rules(), sorted(foreign_rules()));
    assert_eq!(
        setup.foreign(),
        foreign_before,
        "destroy changed a foreign rule"
    );
}

#[test]
fn rules_deleted_or_changed_outside_terraform_are_put_back() {
    let setup = setup();
    let dir = TestDir::from_example(EXAMPLE);
    apply(&setup, &dir, &[]);

    setup
        .azure
        .delete(&setup.rule_id("amlsecure-batch-inbound"), "");
    let mut ssh = setup.rule("amlsecure-ssh-inbound").unwrap();
    ssh["properties"]["destinationPortRange"] = json!("2222");
    // Someone edits the rule in the portal: only writable fields go back to ARM.
    let ssh = json!({"properties": without_read_only(&ssh["properties"])});
    setup
        .azure
        .put(&setup.rule_id("amlsecure-ssh-inbound"), ssh);

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
    let drift = setup.terraform(
        &dir,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
    );
    assert_eq!(drift.code, 2, "{}", drift.all_output());
    assert!(
        drift.stdout.contains("amlsecure-batch-inbound") && drift.stdout.contains("\"2222\""),
        "{}",
        drift.stdout
    );

    apply(&setup, &dir, &[]);
    let batch = setup.rule("amlsecure-batch-inbound").expect("recreated");
    assert_eq!(batch["properties"]["priority"], 101);
    assert_eq!(
        setup.rule("amlsecure-ssh-inbound").unwrap()["properties"]["destinationPortRange"],
        "22"
    );
    assert_quiet(&setup, &dir, &[]);
}

/// Plans the example with `args` after `breaking`; asserts it fails with `rule`, naming
/// `names`, at `attribute`, and wrote nothing.
#[track_caller]
fn assert_plan_fails(
    breaking: impl FnOnce(&Setup),
    args: &[&str],
    rule: &str,
    names: &[&str],
    attribute: &str,
) {
    let setup = setup();
    breaking(&setup);
    setup.azure.reset_requests();
    let dir = TestDir::from_example(EXAMPLE);
    let mut all = vec!["plan", "-input=false", "-no-color"];
    all.extend_from_slice(args);
    let plan = setup.terraform(&dir, &all);
    let output = plan.all_output();
    assert_eq!(plan.code, 1, "plan should fail with {rule}:\n{output}");
    assert!(output.contains(&format!("Error: {rule}: ")), "{output}");
    for name in names {
        assert!(output.contains(name), "{name} not named:\n{output}");
    }
    assert!(output.contains(attribute), "not at {attribute}:\n{output}");
    assert_eq!(
        setup.azure.writes(),
        0,
        "plan wrote to Azure: {}",
        setup.azure.requests()
    );
}

#[test]
fn a_chosen_priority_held_by_a_foreign_rule_fails_plan_naming_it() {
    assert_plan_fails(
        |_| {},
        &["-var", "priorities={batch_inbound=100}"],
        "AMLS161",
        &["corp-allow-https-in", "priorities.batch_inbound is 100"],
        "priorities",
    );
}

#[test]
fn a_foreign_rule_with_one_of_the_names_fails_plan_naming_it() {
    assert_plan_fails(
        |setup| {
            setup.azure.put(
                &setup.rule_id("amlsecure-ssh-inbound"),
                json!({"properties": {"priority": 300, "direction": "Inbound", "access": "Allow",
                    "protocol": "Tcp", "sourceAddressPrefix": "*", "sourcePortRange": "*",
                    "destinationAddressPrefix": "*", "destinationPortRange": "22"}}),
            );
        },
        &[],
        "AMLS162",
        &["'amlsecure-ssh-inbound'", "priority 300"],
        "name_prefix",
    );
}

#[test]
fn rules_behind_a_foreign_deny_fail_plan_naming_it() {
    assert_plan_fails(
        |_| {},
        &["-var", "priority_start=4001"],
        "AMLS164",
        &["'corp-deny-all-in' (priority 4000)", "below 4000"],
        "priority_start",
    );
}

#[test]
fn concurrent_applies_on_one_group_keep_every_rule() {
    let setup = setup();
    let team_a = TestDir::from_example(EXAMPLE);
    let team_b = TestDir::from_example(EXAMPLE);
    let a_args = ["-var", "name_prefix=team-a", "-var", "priority_start=200"];
    let b_args = ["-var", "name_prefix=team-b", "-var", "priority_start=300"];
    std::thread::scope(|scope| {
        let a = scope.spawn(|| apply(&setup, &team_a, &a_args));
        let b = scope.spawn(|| apply(&setup, &team_b, &b_args));
        a.join().expect("team a applies");
        b.join().expect("team b applies");
    });
    let mut expected = owned("team-a", [200, 201, 200, 201, 202, 203]);
    expected.extend(owned("team-b", [300, 301, 300, 301, 302, 303]));
    expected.extend(foreign_rules());
    assert_eq!(setup.rules(), sorted(expected));
    assert_quiet(&setup, &team_a, &a_args);
    assert_quiet(&setup, &team_b, &b_args);

    // Destroying one set leaves the other's rules and the foreign ones.
    let mut destroy = vec!["destroy", "-input=false", "-auto-approve"];
    destroy.extend_from_slice(&a_args);
    setup.terraform(&team_a, &destroy).success();
    let mut expected = owned("team-b", [300, 301, 300, 301, 302, 303]);
    expected.extend(foreign_rules());
    assert_eq!(setup.rules(), sorted(expected));
}

#[test]
fn import_adopts_the_rules_with_nothing_to_change() {
    let setup = setup();
    let dir = TestDir::from_example(EXAMPLE);
    apply(&setup, &dir, &[]);
    setup.terraform(&dir, &["state", "rm", ADDRESS]).success();

    let wrong = setup.terraform(&dir, &["import", "-input=false", ADDRESS, "ml-nsg"]);
    assert_eq!(wrong.code, 1, "{}", wrong.all_output());
    assert!(
        wrong.all_output().contains("Invalid import ID"),
        "{}",
        wrong.all_output()
    );

    setup
        .terraform(
            &dir,
            &[
                "import",
                "-input=false",
                ADDRESS,
                &format!("{}|amlsecure", setup.nsg_id),
            ],
        )
        .success();
    setup.azure.reset_requests();
    assert_quiet(&setup, &dir, &[]);
    assert_eq!(setup.azure.writes(), 0, "{}", setup.azure.requests());

    // The imported state owns the rules: destroy removes them and nothing else.
    setup
        .terraform(&dir, &["destroy", "-input=false", "-auto-approve"])
        .success();
    assert_eq!(setup.rules(), sorted(foreign_rules()));
}

/// A rule's properties as a client sends them back: without ARM's read-only fields.
fn without_read_only(properties: &serde_json::Value) -> serde_json::Value {
    let mut properties = properties.clone();
    if let Some(map) = properties.as_object_mut() {
        map.remove("provisioningState");
    }
    properties
}
