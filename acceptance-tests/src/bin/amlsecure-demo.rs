//! `make demo`: real Terraform and the freshly built provider, first on the functions
//! example, then against the ARM emulator: a compute cluster created in a subnet, and the
//! plans a user sees when the network breaks Azure's rules; one network planned under both
//! guidance profiles, sound for 2019's and not for today's; then the whole guidance in one
//! configuration (`examples/secure-workspace`) applied, and a changed plan that breaks it.

use amlsecure_acceptance_tests::azure::{Azure, SecureWorkspace, Topology};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::json;

fn heading(text: &str) {
    println!("\n== {text}");
}

/// Terraform's output from its first line matching `from`, without the dev-override banner.
fn show(run: &Run, from: &str) {
    let output = run.all_output();
    let mut printing = false;
    for line in output.lines() {
        printing |= line.contains(from);
        if printing {
            println!("   {line}");
        }
    }
}

fn terraform(dir: &TestDir, azure: &Azure, topology: &Topology, args: &[&str]) -> Run {
    let mut env = azure.env();
    env.push(("TF_VAR_workspace_id", topology.workspace_id.clone()));
    env.push(("TF_VAR_subnet_id", topology.training_subnet_id.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = args.to_vec();
    args.push("-no-color");
    dir.run_with_env(&args, &env)
}

fn terraform_secure(dir: &TestDir, azure: &Azure, setup: &SecureWorkspace, args: &[&str]) -> Run {
    let mut env = azure.env();
    env.extend(setup.variables());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = args.to_vec();
    args.push("-no-color");
    dir.run_with_env(&args, &env)
}

/// The compute cluster example with the provider's `guidance` from `-var guidance=...`, on a
/// subnet whose NSG lets Batch in on TCP 29876-29877, as the 2019 guidance asks, and denies
/// every other inbound traffic: the 2019 plan passes, today's fails.
fn guidance_profiles() {
    heading(
        "ARM emulator restarted; seeding a workspace and a VNet whose subnet's NSG allows inbound \
         TCP 29876-29877 from BatchNodeManagement and denies all other inbound traffic",
    );
    let azure = Azure::start();
    let topology = azure.seed_topology();
    azure.seed_batch_only_nsg(&topology);
    let dir = TestDir::from_example("resources/amlsecure_compute_cluster");
    let example = std::fs::read_to_string(dir.path().join("resource.tf")).expect("example");
    dir.write(
        "resource.tf",
        &example.replace(
            "provider \"amlsecure\" {}",
            "variable \"guidance\" {\n  type = string\n}\n\nprovider \"amlsecure\" {\n  guidance = var.guidance\n}",
        ),
    );
    for guidance in ["2019", "current"] {
        let verdict = if guidance == "2019" {
            "the 2019 guidance's ports are open"
        } else {
            "today's guidance reaches nodes on TCP 44224 from AzureMachineLearning"
        };
        heading(&format!(
            "terraform plan -var guidance={guidance} (examples/resources/amlsecure_compute_cluster): {verdict}"
        ));
        azure.reset_requests();
        let run = terraform(
            &dir,
            &azure,
            &topology,
            &[
                "plan",
                "-input=false",
                "-var",
                &format!("guidance={guidance}"),
            ],
        );
        show(
            &run,
            if run.code == 0 {
                "Plan:"
            } else {
                "Error: AMLS"
            },
        );
        println!(
            "   (plan exit code {}, writes to Azure: {})",
            run.code,
            azure.writes()
        );
    }
}

/// `examples/secure-workspace` against a fresh emulator: applied, then planned with an AKS
/// service range inside the virtual network and more nodes than the training subnet holds.
fn secure_workspace() {
    heading(
        "ARM emulator restarted; seeding two workspaces (storage account, key vault), a VNet with \
         subnets training and aks, and NSG ml-nsg denying all inbound traffic",
    );
    let azure = Azure::start();
    let setup = azure.seed_secure_workspace();
    let dir = TestDir::from_example("secure-workspace");
    let tf = |args: &[&str]| terraform_secure(&dir, &azure, &setup, args);

    heading("terraform apply (examples/secure-workspace, see docs/guides/secure-workspace.md)");
    show(
        &tf(&["apply", "-input=false", "-auto-approve"]).success(),
        "Apply complete",
    );

    heading(
        "terraform plan -var service_cidr=10.0.0.0/16 -var dns_service_ip=10.0.0.10 \
         -var max_nodes=300: two rules broken",
    );
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
    show(&broken, ": AMLS");
    println!(
        "   (plan exit code {}, writes to Azure: {})",
        broken.code,
        azure.writes()
    );

    heading("terraform destroy (the firewalls are restored as found, foreign NSG rules kept)");
    show(
        &tf(&["destroy", "-input=false", "-auto-approve"]).success(),
        "Destroy complete",
    );
}

fn main() {
    heading("provider functions (examples/functions): terraform apply");
    let functions = TestDir::from_example("functions");
    let applied = functions
        .run(&["apply", "-input=false", "-auto-approve", "-no-color"])
        .success();
    show(&applied, "Apply complete");

    heading("ARM emulator started; seeding a workspace and a VNet with subnet 10.0.1.0/24");
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::from_example("resources/amlsecure_compute_cluster");
    let tf = |args: &[&str]| terraform(&dir, &azure, &topology, args);

    heading("terraform apply (examples/resources/amlsecure_compute_cluster)");
    show(
        &tf(&["apply", "-input=false", "-auto-approve"]).success(),
        "Apply complete",
    );

    heading("terraform plan -var max_nodes=300: more nodes than the subnet has addresses");
    let full = tf(&["plan", "-input=false", "-var", "max_nodes=300"]);
    show(&full, "Error: AMLS");
    println!("   (plan exit code {})", full.code);

    heading(
        "someone attaches an NSG that denies all inbound traffic; terraform plan -var max_nodes=6",
    );
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/locked-down",
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
    azure.put(
        &topology.training_subnet_id,
        json!({"properties": {"addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": nsg}}}),
    );
    azure.reset_requests();
    let broken = tf(&["plan", "-input=false", "-var", "max_nodes=6"]);
    show(&broken, "Error: AMLS");
    println!(
        "   (plan exit code {}, writes to Azure: {})",
        broken.code,
        azure.writes()
    );

    heading("terraform destroy");
    show(
        &tf(&["destroy", "-input=false", "-auto-approve"]).success(),
        "Destroy complete",
    );

    guidance_profiles();
    secure_workspace();
}
