//! `amlsecure_vm_attachment` and `amlsecure_hdinsight_attachment` through real Terraform
//! against the ARM emulator: attach, no-op plan, drift, import, destroy that only detaches,
//! the attach rules failing plan before any write, and credentials that never reach state
//! or the provider's logs.

use amlsecure_acceptance_tests::azure::{Azure, Topology, ubuntu_image};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

const VM_EXAMPLE: &str = "resources/amlsecure_vm_attachment";
const VM_ADDRESS: &str = "amlsecure_vm_attachment.dev";
const HDI_EXAMPLE: &str = "resources/amlsecure_hdinsight_attachment";
const HDI_ADDRESS: &str = "amlsecure_hdinsight_attachment.spark";

/// Marked so a leak is easy to find in state and logs.
const PASSWORD: &str = "Leak-Marker-Passw0rd-7f3a";
const PRIVATE_KEY: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nLEAK-MARKER-KEY-c41d\n-----END OPENSSH PRIVATE KEY-----";

/// What the tests attach: a VM `dev` in the `training` subnet and an HDInsight cluster
/// `spark` in the same subnet.
struct Machines {
    vm_id: String,
    cluster_id: String,
}

fn seed(azure: &Azure, topology: &Topology) -> Machines {
    Machines {
        vm_id: azure.seed_vm(topology, "dev", ubuntu_image(), None),
        cluster_id: azure.seed_hdinsight(topology, "spark"),
    }
}

fn terraform(
    dir: &TestDir,
    azure: &Azure,
    topology: &Topology,
    machines: &Machines,
    args: &[&str],
    extra_env: &[(&'static str, String)],
) -> Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push(("TF_VAR_virtual_machine_id", machines.vm_id.clone()));
    env.push(("TF_VAR_hdinsight_cluster_id", machines.cluster_id.clone()));
    env.push(("TF_VAR_ssh_password", PASSWORD.to_owned()));
    env.push(("TF_VAR_ssh_private_key", PRIVATE_KEY.to_owned()));
    env.extend(extra_env.iter().cloned());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dir.run_with_env(args, &env)
}

fn compute_id(topology: &Topology, name: &str) -> String {
    format!("{}/computes/{name}", topology.workspace_id)
}

fn ids_equal(a: &Value, b: &str) -> bool {
    a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(b))
}

#[track_caller]
fn assert_no_secret(text: &str, what: &str) {
    assert!(
        !text.contains(PASSWORD) && !text.contains("LEAK-MARKER-KEY"),
        "a credential leaked into {what}"
    );
}

/// One resource's values in Terraform's state (`terraform show -json`).
fn state_values(run: Run, address: &str) -> Value {
    let resources = run.json()["values"]["root_module"]["resources"].clone();
    resources
        .as_array()
        .and_then(|all| all.iter().find(|r| r["address"] == address))
        .unwrap_or_else(|| panic!("{address} not in state: {resources}"))["values"]
        .clone()
}

/// After an import, the plan records `credentials_version` in place (state cannot know it)
/// and changes nothing else; after that apply, nothing is left to do. Returns the output.
fn converge_after_import(tf: impl Fn(&[&str]) -> Run) -> String {
    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy")
            && plan
                .stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()
                    == ["+", "credentials_version", "=", "1"]),
        "{}",
        plan.stdout
    );
    let apply = tf(&["apply", "-input=false", "-auto-approve"]).success();
    let plan = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(
        plan.code,
        0,
        "no changes after import:\n{}",
        plan.all_output()
    );
    plan.all_output() + &apply.all_output()
}

#[test]
fn vm_attach_drift_import_destroy_without_leaking_the_password() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let machines = seed(&azure, &topology);
    let dir = TestDir::from_example(VM_EXAMPLE);
    let traced = [("TF_LOG_PROVIDER", "trace".to_owned())];
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, &machines, args, &traced);
    let id = compute_id(&topology, "dev-vm");
    let nic_ip = azure
        .get(&format!(
            "{}/providers/Microsoft.Network/networkInterfaces/dev-nic",
            topology.resource_group
        ))
        .unwrap()["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"]
        .as_str()
        .expect("the NIC has an address")
        .to_owned();

    let mut logs = String::new();
    let apply = tf(&["apply", "-input=false", "-auto-approve"]).success();
    logs += &apply.all_output();
    let compute = azure.get(&id).expect("attached");
    let properties = &compute["properties"];
    assert_eq!(properties["computeType"], "VirtualMachine");
    assert_eq!(properties["isAttachedCompute"], true);
    assert!(
        ids_equal(&properties["resourceId"], &machines.vm_id),
        "{compute}"
    );
    // The address defaults to the NIC's private IP; ARM echoes no secret back.
    assert_eq!(properties["properties"]["address"], nic_ip.as_str());
    assert_eq!(properties["properties"]["sshPort"], 22);
    assert_eq!(
        properties["properties"]["administratorAccount"],
        json!({"username": "azureuser"})
    );

    let state = std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap();
    assert_no_secret(&state, "terraform.tfstate");
    let values = state_values(tf(&["show", "-json"]).success(), VM_ADDRESS);
    assert_eq!(values["address"], nic_ip.as_str());
    assert_eq!(values["password"], Value::Null);

    let plan = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    logs += &plan.all_output();
    assert_eq!(plan.code, 0, "no changes expected:\n{}", plan.all_output());

    // Someone points the compute at another address: the plan attaches it again.
    azure.seed(
        &id,
        json!({"properties": {"properties": {"address": "10.0.1.200"}}}),
    );
    let drift = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        drift.stdout.contains("must be replaced") && drift.stdout.contains("10.0.1.200"),
        "{}",
        drift.stdout
    );

    // Someone detaches it: the plan attaches it again.
    azure.delete(&id, "&underlyingResourceAction=Detach");
    let recreate = tf(&["plan", "-input=false"]).success();
    assert!(
        recreate
            .stdout
            .contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        recreate.stdout
    );
    logs += &tf(&["apply", "-input=false", "-auto-approve"])
        .success()
        .all_output();

    // Forget it, import it by ID: nothing to change.
    tf(&["state", "rm", VM_ADDRESS]).success();
    logs += &tf(&["import", "-input=false", VM_ADDRESS, &id])
        .success()
        .all_output();
    logs += &converge_after_import(tf);

    // A new password alone changes nothing Terraform can see (credentials_version does).
    let rotate = tf(&[
        "plan",
        "-input=false",
        "-detailed-exitcode",
        "-var",
        "ssh_password=Rotated-Passw0rd",
    ]);
    assert_eq!(rotate.code, 0, "{}", rotate.all_output());

    logs += &tf(&["destroy", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    assert!(azure.get(&id).is_none(), "destroy left the compute");
    assert!(
        azure.get(&machines.vm_id).is_some(),
        "destroy deleted the VM instead of detaching it"
    );
    assert!(
        logs.contains("ARM response"),
        "provider trace logs were not captured"
    );
    assert_no_secret(&logs, "Terraform's output or the provider's logs");
}

#[test]
fn credentials_version_bump_attaches_again() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let machines = seed(&azure, &topology);
    let dir = TestDir::from_example(VM_EXAMPLE);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, &machines, args, &[]);
    tf(&["apply", "-input=false", "-auto-approve"]).success();
    let example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
    dir.write(
        "resource.tf",
        &example.replace("credentials_version = 1", "credentials_version = 2"),
    );
    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        plan.stdout.contains("1 to add, 0 to change, 1 to destroy"),
        "{}",
        plan.stdout
    );
}

#[test]
fn hdinsight_attach_detach_and_import() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let machines = seed(&azure, &topology);
    let dir = TestDir::from_example(HDI_EXAMPLE);
    let traced = [("TF_LOG_PROVIDER", "trace".to_owned())];
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, &machines, args, &traced);
    let id = compute_id(&topology, "spark");

    let mut logs = tf(&["apply", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    let compute = azure.get(&id).expect("attached");
    let properties = &compute["properties"];
    assert_eq!(properties["computeType"], "HDInsight");
    assert!(
        ids_equal(&properties["resourceId"], &machines.cluster_id),
        "{compute}"
    );
    // The address defaults to the cluster's SSH endpoint.
    assert_eq!(
        properties["properties"]["address"],
        "spark-ssh.azurehdinsight.net"
    );
    let state = std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap();
    assert_no_secret(&state, "terraform.tfstate");
    let plan = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "no changes expected:\n{}", plan.all_output());

    tf(&["state", "rm", HDI_ADDRESS]).success();
    tf(&["import", "-input=false", HDI_ADDRESS, &id]).success();
    converge_after_import(tf);

    azure.delete(&id, "&underlyingResourceAction=Detach");
    let recreate = tf(&["plan", "-input=false"]).success();
    assert!(
        recreate
            .stdout
            .contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        recreate.stdout
    );
    logs += &tf(&["apply", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    logs += &tf(&["destroy", "-input=false", "-auto-approve"])
        .success()
        .all_output();
    assert!(azure.get(&id).is_none(), "destroy left the compute");
    assert!(
        azure.get(&machines.cluster_id).is_some(),
        "destroy deleted the cluster instead of detaching it"
    );
    assert_no_secret(&logs, "Terraform's output or the provider's logs");
}

/// Plans `example` after `breaking` changed Azure; returns Terraform's exit code and
/// output, and asserts the plan wrote nothing.
fn plan_after(
    example: &str,
    breaking: impl FnOnce(&Azure, &Topology, &mut Machines),
) -> (i32, String) {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let mut machines = seed(&azure, &topology);
    breaking(&azure, &topology, &mut machines);
    let dir = TestDir::from_example(example);
    azure.reset_requests();
    let run = terraform(
        &dir,
        &azure,
        &topology,
        &machines,
        &["plan", "-input=false", "-no-color"],
        &[],
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
fn assert_fails_with(outcome: &(i32, String), rule: &str, attribute: &str) {
    let (code, output) = outcome;
    assert_eq!(*code, 1, "should fail with {rule}:\n{output}");
    let start = output
        .find(&format!("Error: {rule}: "))
        .unwrap_or_else(|| panic!("no {rule} error:\n{output}"));
    let block = &output[start..];
    let block = &block[..block.find("\n╵").unwrap_or(block.len())];
    assert!(
        block.contains(&format!("{attribute} ")) && block.contains(" = var."),
        "{rule} does not point at {attribute}:\n{output}"
    );
}

/// An NSG `name` whose only rule denies all inbound traffic.
fn deny_all_inbound(azure: &Azure, topology: &Topology, name: &str) -> String {
    let id = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/{name}",
        topology.resource_group
    );
    azure.put(
        &id,
        json!({"location": "westeurope", "properties": {"securityRules": [{
            "name": "deny-all-in",
            "properties": {"priority": 200, "direction": "Inbound", "access": "Deny", "protocol": "*",
                "sourceAddressPrefix": "*", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": "*"}
        }]}}),
    );
    id
}

/// An NSG that allows SSH from AzureMachineLearning, as the seed says.
fn allow_ssh_from_azure_ml(azure: &Azure, topology: &Topology) -> String {
    let id = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/ssh-from-aml",
        topology.resource_group
    );
    azure.put(
        &id,
        json!({"location": "westeurope", "properties": {"securityRules": [{
            "name": "ssh-aml",
            "properties": {"priority": 1060, "direction": "Inbound", "access": "Allow", "protocol": "*",
                "sourceAddressPrefix": "AzureMachineLearning", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": "22"}
        }]}}),
    );
    id
}

#[test]
fn nic_nsg_blocking_ssh_fails_plan_even_when_the_subnet_nsg_allows_it() {
    let outcome = plan_after(VM_EXAMPLE, |azure, topology, machines| {
        let allow = allow_ssh_from_azure_ml(azure, topology);
        azure.put(
            &topology.training_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.1.0/24",
                "networkSecurityGroup": {"id": allow}}}),
        );
        let deny = deny_all_inbound(azure, topology, "nic-locked");
        machines.vm_id = azure.seed_vm(topology, "locked", ubuntu_image(), Some(&deny));
    });
    assert_fails_with(&outcome, "AMLS301", "virtual_machine_id");
    assert!(
        outcome.1.contains("network security group 'nic-locked'"),
        "{}",
        outcome.1
    );
    assert!(!outcome.1.contains("'ssh-from-aml'"), "{}", outcome.1);
}

#[test]
fn windows_vm_fails_plan_and_a_custom_image_warns() {
    let outcome = plan_after(VM_EXAMPLE, |azure, topology, machines| {
        machines.vm_id = azure.seed_vm(
            topology,
            "win",
            json!({"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
                "sku": "2022-datacenter", "version": "latest"}),
            None,
        );
    });
    assert_fails_with(&outcome, "AMLS311", "virtual_machine_id");

    let (code, output) = plan_after(VM_EXAMPLE, |azure, topology, machines| {
        let image = format!(
            "{}/providers/Microsoft.Compute/images/golden",
            topology.resource_group
        );
        machines.vm_id = azure.seed_vm(topology, "golden", json!({"id": image}), None);
    });
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("Warning: AMLS312: "), "{output}");
}

#[test]
fn vm_in_another_region_fails_plan() {
    let outcome = plan_after(VM_EXAMPLE, |azure, topology, machines| {
        let vnet = format!(
            "{}/providers/Microsoft.Network/virtualNetworks/us-vnet",
            topology.resource_group
        );
        azure.put(
            &vnet,
            json!({"location": "eastus", "properties": {
                "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                "subnets": [{"name": "vms", "properties": {"addressPrefix": "10.1.1.0/24"}}]}}),
        );
        let other = Topology {
            training_subnet_id: format!("{vnet}/subnets/vms"),
            vnet_id: vnet,
            resource_group: topology.resource_group.clone(),
            workspace_id: topology.workspace_id.clone(),
            aks_subnet_id: topology.aks_subnet_id.clone(),
        };
        machines.vm_id = azure.seed_vm(&other, "far", ubuntu_image(), None);
    });
    assert_fails_with(&outcome, "AMLS323", "virtual_machine_id");
    assert!(
        outcome.1.contains("virtual network 'us-vnet' in eastus"),
        "{}",
        outcome.1
    );
}

#[test]
fn hdinsight_outside_a_vnet_or_behind_a_closed_subnet_fails_plan() {
    let outcome = plan_after(HDI_EXAMPLE, |azure, topology, machines| {
        let id = format!(
            "{}/providers/Microsoft.HDInsight/clusters/public",
            topology.resource_group
        );
        azure.put(
            &id,
            json!({"location": "westeurope", "properties": {
                "clusterDefinition": {"kind": "spark"},
                "computeProfile": {"roles": [{"name": "headnode", "targetInstanceCount": 2}]}}}),
        );
        machines.cluster_id = id;
    });
    assert_fails_with(&outcome, "AMLS321", "hdinsight_cluster_id");

    let outcome = plan_after(HDI_EXAMPLE, |azure, topology, _| {
        let deny = deny_all_inbound(azure, topology, "subnet-locked");
        azure.put(
            &topology.training_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.1.0/24",
                "networkSecurityGroup": {"id": deny}}}),
        );
    });
    assert_fails_with(&outcome, "AMLS301", "hdinsight_cluster_id");
}

/// The VM's ID comes from another resource, so the checks wait for apply, and fail it
/// before the attach PUT.
#[test]
fn unknown_vm_id_defers_the_checks_to_apply() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let mut machines = seed(&azure, &topology);
    machines.vm_id = azure.seed_vm(
        &topology,
        "win",
        json!({"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
            "sku": "2022-datacenter", "version": "latest"}),
        None,
    );
    let dir = TestDir::from_example(VM_EXAMPLE);
    let example = std::fs::read_to_string(dir.path().join("resource.tf")).unwrap();
    let deferred = example.replace(
        "virtual_machine_id = var.virtual_machine_id",
        "virtual_machine_id = terraform_data.vm.output",
    ) + "\nresource \"terraform_data\" \"vm\" {\n  input = var.virtual_machine_id\n}\n";
    dir.write("resource.tf", &deferred);
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, &machines, args, &[]);
    let plan = tf(&["plan", "-input=false", "-no-color"]).success();
    assert!(
        plan.all_output().contains("Network checks run at apply"),
        "{}",
        plan.all_output()
    );
    azure.reset_requests();
    let apply = tf(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{}", apply.all_output());
    assert!(
        apply.all_output().contains("AMLS311"),
        "{}",
        apply.all_output()
    );
    assert_eq!(
        azure.writes(),
        0,
        "apply wrote to Azure: {}",
        azure.requests()
    );
}

/// The emulated machines answer as their specs say, and keep no secret they were given.
#[test]
fn emulated_machines_hold_no_secrets() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    azure.set_operation_duration(std::time::Duration::from_secs(600));
    let machines = seed(&azure, &topology);
    let vm = azure.get(&machines.vm_id).unwrap();
    assert_eq!(vm["properties"]["osProfile"]["adminUsername"], "azureuser");
    assert!(
        vm["properties"]["osProfile"].get("adminPassword").is_none(),
        "{vm}"
    );
    // Creating while the PUT's operation runs.
    assert_eq!(vm["properties"]["provisioningState"], "Creating");
    azure.set_operation_duration(std::time::Duration::from_millis(500));
    let nic_id = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let nic = azure.get(&nic_id).unwrap();
    assert!(ids_equal(
        &nic["properties"]["virtualMachine"]["id"],
        &machines.vm_id
    ));
    let subnet = azure.get(&topology.training_subnet_id).unwrap();
    assert!(
        subnet["properties"]["ipConfigurations"]
            .as_array()
            .is_some_and(|c| c
                .iter()
                .any(|c| ids_equal(&c["id"], &format!("{nic_id}/ipConfigurations/ipconfig1")))),
        "{subnet}"
    );

    let cluster = azure.get(&machines.cluster_id).unwrap();
    let text = cluster.to_string();
    assert!(!text.contains("Passw0rd"), "{text}");
    // HDInsight's enum has no Creating.
    assert_eq!(cluster["properties"]["provisioningState"], "InProgress");
    assert_eq!(
        cluster["properties"]["connectivityEndpoints"][0],
        json!({"name": "SSH", "protocol": "TCP", "location": "spark-ssh.azurehdinsight.net", "port": 22})
    );

    // ML refuses to attach what does not exist, or without credentials.
    let attach = |resource_id: &str, account: Value| {
        json!({"properties": {"computeType": "VirtualMachine", "resourceId": resource_id,
            "properties": {"address": "10.0.1.4", "sshPort": 22, "administratorAccount": account}}})
    };
    let compute = compute_id(&topology, "probe");
    azure.put(
        &compute,
        attach(
            &machines.vm_id,
            json!({"username": "u", "privateKeyData": "KEY"}),
        ),
    );
    let got = azure.get(&compute).unwrap();
    assert_eq!(
        got["properties"]["properties"]["administratorAccount"],
        json!({"username": "u"})
    );
    assert_eq!(
        got["properties"]["properties"]["virtualMachineSize"],
        "Standard_D2s_v3"
    );
    azure.delete(&compute, "&underlyingResourceAction=Detach");
    assert!(
        azure.get(&machines.vm_id).is_some(),
        "Detach deleted the VM"
    );
    for (body, what) in [
        (
            attach(
                &machines.cluster_id,
                json!({"username": "u", "password": "p"}),
            ),
            "an HDInsight cluster as a VM",
        ),
        (
            attach(&machines.vm_id, json!({"username": "u"})),
            "without credentials",
        ),
    ] {
        assert_eq!(azure.put_status(&compute, body), 400, "attached {what}");
    }
}
