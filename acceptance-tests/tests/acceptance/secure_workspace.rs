//! `examples/secure-workspace`, the whole guidance in one configuration, applied and destroyed
//! through real Terraform against the ARM emulator, so the example (embedded in the guide)
//! cannot rot; and the plan of the guide's broken variant failing before any write.

use amlsecure_acceptance_tests::azure::{Azure, SecureWorkspace};
use amlsecure_acceptance_tests::{Run, TestDir};

const EXAMPLE: &str = "secure-workspace";

fn terraform(dir: &TestDir, azure: &Azure, setup: &SecureWorkspace, args: &[&str]) -> Run {
    let mut env = azure.env();
    env.extend(setup.variables());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = args.to_vec();
    args.push("-no-color");
    dir.run_with_env(&args, &env)
}

#[test]
fn the_example_applies_cleanly_and_destroys() {
    let azure = Azure::start();
    let setup = azure.seed_secure_workspace();
    let dir = TestDir::from_example(EXAMPLE);
    let tf = |args: &[&str]| terraform(&dir, &azure, &setup, args);

    let applied = tf(&["apply", "-input=false", "-auto-approve"]).success();
    assert!(
        !applied.all_output().contains("AMLS"),
        "a rule fired:\n{}",
        applied.all_output()
    );
    let cluster = format!("{}/computes/cpu-cluster", setup.topology.workspace_id);
    let aks = format!("{}/computes/aks-inference", setup.inference_workspace_id);
    assert!(azure.get(&cluster).is_some(), "no training cluster");
    assert!(azure.get(&aks).is_some(), "no AKS compute");
    let storage = azure.get(&setup.stores.storage_account_id).unwrap();
    assert_eq!(
        storage["properties"]["networkAcls"]["defaultAction"],
        "Deny"
    );
    let vault = azure.get(&setup.stores.key_vault_id).unwrap();
    assert_eq!(vault["properties"]["networkAcls"]["defaultAction"], "Deny");
    let batch = format!(
        "{}/securityRules/amlsecure-batch-inbound",
        setup.network_security_group_id
    );
    assert!(azure.get(&batch).is_some(), "no Batch rule");
    let quiet = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(quiet.code, 0, "{}", quiet.all_output());

    // The guide's broken variant: the plan fails, naming both rules, and writes nothing.
    azure.reset_requests();
    let broken = tf(&[
        "plan",
        "-input=false",
        "-var",
        "service_cidr=10.0.0.0/16",
        "-var",
        "dns_service_ip=10.0.0.10",
        "-var",
        "max_nodes=300",
    ]);
    let output = broken.all_output();
    assert_eq!(broken.code, 1, "{output}");
    assert!(output.contains("Error: AMLS201: "), "{output}");
    assert!(output.contains("Error: AMLS101: "), "{output}");
    assert_eq!(azure.writes(), 0, "plan wrote: {}", azure.requests());

    tf(&["destroy", "-input=false", "-auto-approve"]).success();
    assert!(azure.get(&cluster).is_none() && azure.get(&aks).is_none());
    assert!(azure.get(&batch).is_none(), "the Batch rule is left");
    let storage = azure.get(&setup.stores.storage_account_id).unwrap();
    assert_eq!(
        storage["properties"]["networkAcls"]["defaultAction"], "Allow",
        "the storage firewall was not restored"
    );
}
