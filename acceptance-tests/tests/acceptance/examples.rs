//! The examples as users meet them: every one declares the Terraform it needs and validates;
//! the module composes with values unknown until apply; the `terraform test` suite passes
//! against the emulator; and `make acceptance-live` takes every example through apply, plan,
//! import and destroy with the `ARM_*` variables pointing at the emulator, and refuses to
//! start without them.

use std::path::Path;
use std::process::Command;

use amlsecure_acceptance_tests::azure::{Azure, SecureWorkspace};
use amlsecure_acceptance_tests::{Run, TestDir, workspace_root};
use serde_json::json;

/// Folders under `examples/` holding `.tf` files, modules included, like `secure-training`.
fn example_folders() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, found: &mut Vec<String>) {
        let mut has_tf = false;
        for entry in std::fs::read_dir(dir).expect("readable") {
            let path = entry.expect("readable").path();
            if path.is_dir() {
                walk(&path, base, found);
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            found.push(
                dir.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    let examples = workspace_root().join("examples");
    let mut found = Vec::new();
    walk(&examples, &examples, &mut found);
    found.sort();
    found
}

#[test]
fn every_example_declares_its_terraform_version_and_validates() {
    let folders = example_folders();
    assert!(folders.len() > 15, "{folders:?}");
    for folder in &folders {
        let dir = workspace_root().join("examples").join(folder);
        let text: String = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(
            text.contains("required_version = \">= 1."),
            "examples/{folder} does not declare required_version"
        );
    }
    // Root modules validate (modules are validated through the examples that use them).
    let roots: Vec<&String> = folders
        .iter()
        .filter(|f| !f.starts_with("modules/"))
        .collect();
    std::thread::scope(|scope| {
        for chunk in roots.chunks(roots.len().div_ceil(4)) {
            scope.spawn(move || {
                for folder in chunk {
                    let dir = TestDir::from_example(folder);
                    dir.run(&["init", "-input=false", "-backend=false"])
                        .success();
                    let run = dir.run(&["validate", "-json"]);
                    assert_eq!(
                        run.json()["valid"],
                        true,
                        "examples/{folder} is not valid:\n{}",
                        run.stdout
                    );
                }
            });
        }
    });
}

fn terraform(dir: &TestDir, azure: &Azure, variables: &[(&str, String)], args: &[&str]) -> Run {
    let mut env = azure.env();
    env.extend(variables.iter().map(|(k, v)| (*k, v.clone())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dir.run_with_env(args, &env)
}

/// `secure-workspace`'s setup, and a route table on the training subnet whose default route
/// leads to a firewall.
fn secure_training_setup(azure: &Azure) -> (SecureWorkspace, String) {
    let setup = azure.seed_secure_workspace();
    let table = format!(
        "{}/providers/Microsoft.Network/routeTables/to-firewall",
        setup.topology.resource_group
    );
    azure.put(
        &table,
        json!({"location": "westeurope", "properties": {"routes": [{
            "name": "default-to-firewall",
            "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                "nextHopIpAddress": "10.0.0.4"}}]}}),
    );
    set_training_subnet(azure, &setup, &table, true);
    (setup, table)
}

fn set_training_subnet(azure: &Azure, setup: &SecureWorkspace, table: &str, key_vault: bool) {
    let mut endpoints = vec![json!({"service": "Microsoft.Storage"})];
    if key_vault {
        endpoints.push(json!({"service": "Microsoft.KeyVault"}));
    }
    azure.put(
        &setup.topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/24",
            "networkSecurityGroup": {"id": setup.network_security_group_id},
            "routeTable": {"id": table}, "serviceEndpoints": endpoints}}),
    );
}

#[test]
fn the_module_composes_with_ids_known_only_at_apply() {
    let azure = Azure::start();
    let (setup, table) = secure_training_setup(&azure);
    let variables = [
        ("TF_VAR_workspace_id", setup.topology.workspace_id.clone()),
        (
            "TF_VAR_subnet_id",
            setup.topology.training_subnet_id.clone(),
        ),
        (
            "TF_VAR_network_security_group_id",
            setup.network_security_group_id.clone(),
        ),
        ("TF_VAR_route_table_id", table.clone()),
    ];
    let dir = TestDir::from_example("secure-training");
    let tf = |args: &[&str]| terraform(&dir, &azure, &variables, args);
    tf(&["init", "-input=false"]).success();

    // The IDs come from terraform_data: unknown at plan, so the checks that need them wait.
    azure.reset_requests();
    let plan = tf(&["plan", "-input=false"]).success();
    let output = plan.all_output();
    assert!(output.contains("module.training.amlsecure_compute_cluster.this will be created"));
    assert!(output.contains("subnet_id") && output.contains("(known after apply)"));
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    tf(&["apply", "-input=false", "-auto-approve"]).success();
    let cluster = format!("{}/computes/cpu-cluster", setup.topology.workspace_id);
    assert!(azure.get(&cluster).is_some(), "no cluster");
    let batch = format!(
        "{}/securityRules/amlsecure-batch-inbound",
        setup.network_security_group_id
    );
    assert!(azure.get(&batch).is_some(), "no Batch rule");
    let routes = azure.get(&table).unwrap()["properties"]["routes"].clone();
    assert!(
        routes.as_array().unwrap().len() > 1,
        "no routes for Batch: {routes}"
    );
    let storage = azure.get(&setup.stores.storage_account_id).unwrap();
    assert_eq!(
        storage["properties"]["networkAcls"]["defaultAction"],
        "Deny"
    );
    let outputs = tf(&["output", "-json"]).success().json();
    assert_eq!(
        outputs["cluster_id"]["value"].as_str(),
        Some(cluster.as_str())
    );
    assert!(!outputs["routes"]["value"].as_object().unwrap().is_empty());
    let quiet = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(quiet.code, 0, "{}", quiet.all_output());

    tf(&["destroy", "-input=false", "-auto-approve"]).success();
    assert!(azure.get(&cluster).is_none() && azure.get(&batch).is_none());
}

#[test]
fn a_rule_the_module_breaks_stops_apply_before_that_write_and_a_fix_completes_it() {
    let azure = Azure::start();
    let (setup, table) = secure_training_setup(&azure);
    // The training subnet lacks the Microsoft.KeyVault service endpoint: the key vault
    // firewall cannot let it in (AMLS411), which plan cannot know with the subnet ID unknown.
    set_training_subnet(&azure, &setup, &table, false);
    let variables = [
        ("TF_VAR_workspace_id", setup.topology.workspace_id.clone()),
        (
            "TF_VAR_subnet_id",
            setup.topology.training_subnet_id.clone(),
        ),
        (
            "TF_VAR_network_security_group_id",
            setup.network_security_group_id.clone(),
        ),
        ("TF_VAR_route_table_id", table.clone()),
    ];
    let dir = TestDir::from_example("secure-training");
    let tf = |args: &[&str]| terraform(&dir, &azure, &variables, args);
    tf(&["init", "-input=false"]).success();
    tf(&["plan", "-input=false"]).success();
    let apply = tf(&["apply", "-input=false", "-auto-approve"]);
    let output = apply.all_output();
    assert_eq!(apply.code, 1, "{output}");
    assert!(output.contains("AMLS411"), "{output}");
    let vault = azure.get(&setup.stores.key_vault_id).unwrap();
    assert_eq!(
        vault["properties"]["networkAcls"]["defaultAction"], "Allow",
        "the key vault firewall was written"
    );
    let cluster = format!("{}/computes/cpu-cluster", setup.topology.workspace_id);
    assert!(
        azure.get(&cluster).is_none(),
        "the cluster depends on the firewall"
    );

    // With the endpoint added, apply finishes what it started.
    set_training_subnet(&azure, &setup, &table, true);
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    assert!(azure.get(&cluster).is_some(), "no cluster");
    tf(&["destroy", "-input=false", "-auto-approve"]).success();
}

#[test]
fn the_terraform_test_suite_passes_against_the_emulator() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let variables = [
        ("TF_VAR_workspace_id", topology.workspace_id.clone()),
        ("TF_VAR_subnet_id", topology.training_subnet_id.clone()),
    ];
    let dir = TestDir::from_example("terraform-test");
    let tf = |args: &[&str]| terraform(&dir, &azure, &variables, args);
    tf(&["init", "-input=false"]).success();
    let run = tf(&["test"]);
    let output = run.all_output();
    assert_eq!(run.code, 0, "{output}");
    assert!(output.contains("3 passed, 0 failed"), "{output}");
    let cluster = format!("{}/computes/tested-cluster", topology.workspace_id);
    assert!(
        azure.get(&cluster).is_none(),
        "terraform test left the cluster"
    );
}

fn make_acceptance_live(env: &[(&str, String)], variables: Option<&Path>) -> Run {
    let mut command = Command::new("make");
    command
        .current_dir(workspace_root())
        .args(["--no-print-directory", "acceptance-live"])
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    for name in [
        "ARM_SUBSCRIPTION_ID",
        "ARM_TENANT_ID",
        "ARM_CLIENT_ID",
        "ARM_CLIENT_SECRET",
        "ARM_USE_OIDC",
        "ARM_USE_MSI",
    ] {
        command.env_remove(name);
    }
    if let Some(variables) = variables {
        command.arg(format!("LIVE_VARIABLES={}", variables.display()));
    }
    let output = command
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .expect("make runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn acceptance_live_refuses_to_start_without_arm_variables() {
    let run = make_acceptance_live(&[], None);
    let output = run.all_output();
    assert_ne!(run.code, 0, "{output}");
    assert!(output.contains("refusing to start"), "{output}");
    assert!(output.contains("ARM_SUBSCRIPTION_ID"), "{output}");
    assert!(!output.contains("passed"), "{output}");
}

#[test]
fn acceptance_live_takes_every_example_through_its_life_on_the_emulator() {
    let azure = Azure::start();
    let variables = azure.seed_examples();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), variables.to_string()).unwrap();
    let run = make_acceptance_live(&azure.env(), Some(file.path()));
    let output = run.all_output();
    assert_eq!(run.code, 0, "{output}");
    let examples = variables.as_object().unwrap().len();
    assert!(
        output.contains(&format!("{examples} passed, 0 failed")),
        "{output}"
    );
    assert!(
        !output.contains("not run"),
        "an example has no variables: add them to Azure::seed_examples\n{output}"
    );
}
