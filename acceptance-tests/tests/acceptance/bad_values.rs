//! Bad values never reach Azure: each one is an error at its attribute, from `terraform
//! validate` when the value is written in the configuration, from plan when checking it needs
//! Azure, and before any write at apply when the value was unknown until then.

use amlsecure_acceptance_tests::TestDir;
use amlsecure_acceptance_tests::azure::Azure;

const HEADER: &str = r#"
terraform {
  required_providers {
    amlsecure = { source = "amlsecure/amlsecure" }
  }
}
provider "amlsecure" {}
"#;

const WORKSPACE: &str = "/subscriptions/8f3c2a1b-4d5e-4f60-8a7b-9c0d1e2f3a4b/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-workspace";
const SUBNET: &str = "/subscriptions/8f3c2a1b-4d5e-4f60-8a7b-9c0d1e2f3a4b/resourceGroups/ml-rg/providers/Microsoft.Network/virtualNetworks/ml-vnet/subnets/training";
const VM: &str = "/subscriptions/8f3c2a1b-4d5e-4f60-8a7b-9c0d1e2f3a4b/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dev";
const NSG: &str = "/subscriptions/8f3c2a1b-4d5e-4f60-8a7b-9c0d1e2f3a4b/resourceGroups/ml-rg/providers/Microsoft.Network/networkSecurityGroups/ml-nsg";

fn cluster(attribute: &str, value: &str) -> String {
    let mut arguments = vec![
        ("name", "\"cpu\"".to_owned()),
        ("workspace_id", format!("\"{WORKSPACE}\"")),
        ("vm_size", "\"STANDARD_D2_V2\"".to_owned()),
        ("max_nodes", "2".to_owned()),
        ("subnet_id", format!("\"{SUBNET}\"")),
    ];
    set(&mut arguments, attribute, value);
    block("amlsecure_compute_cluster", &arguments)
}

fn aks(attribute: &str, value: &str) -> String {
    let mut arguments = vec![
        ("name", "\"aks\"".to_owned()),
        ("workspace_id", format!("\"{WORKSPACE}\"")),
        ("subnet_id", format!("\"{SUBNET}\"")),
        ("service_cidr", "\"10.240.0.0/16\"".to_owned()),
        ("dns_service_ip", "\"10.240.0.10\"".to_owned()),
    ];
    set(&mut arguments, attribute, value);
    block("amlsecure_aks_attachment", &arguments)
}

fn vm(attribute: &str, value: &str) -> String {
    let mut arguments = vec![
        ("name", "\"dev-vm\"".to_owned()),
        ("workspace_id", format!("\"{WORKSPACE}\"")),
        ("virtual_machine_id", format!("\"{VM}\"")),
        ("username", "\"azureuser\"".to_owned()),
        ("password", "\"Passw0rd-Passw0rd\"".to_owned()),
    ];
    set(&mut arguments, attribute, value);
    block("amlsecure_vm_attachment", &arguments)
}

fn rule_set(attribute: &str, value: &str) -> String {
    let mut arguments = vec![("network_security_group_id", format!("\"{NSG}\""))];
    set(&mut arguments, attribute, value);
    block("amlsecure_compute_network_security_rules", &arguments)
}

fn set<'a>(arguments: &mut Vec<(&'a str, String)>, attribute: &'a str, value: &str) {
    arguments.retain(|(name, _)| *name != attribute);
    arguments.push((attribute, value.to_owned()));
}

fn block(kind: &str, arguments: &[(&str, String)]) -> String {
    let body: String = arguments
        .iter()
        .map(|(name, value)| format!("  {name} = {value}\n"))
        .collect();
    format!("{HEADER}\nresource \"{kind}\" \"this\" {{\n{body}}}\n")
}

/// `terraform validate -json`'s errors: (summary and detail, the source line it points at).
fn validate_errors(config: &str, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let dir = TestDir::new();
    dir.write("main.tf", config);
    let run = dir.run_with_env(&["validate", "-json"], env);
    let report = run.json();
    report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                format!(
                    "{}: {}",
                    d["summary"].as_str().unwrap_or_default(),
                    d["detail"].as_str().unwrap_or_default()
                ),
                d["snippet"]["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn each_bad_value_fails_validate_at_its_attribute() {
    let cases: Vec<(String, &str)> = vec![
        (cluster("max_nodes", "4294967300"), "max_nodes"),
        (cluster("max_nodes", "1e15"), "max_nodes"),
        (cluster("max_nodes", "1.5"), "max_nodes"),
        (cluster("max_nodes", "1e20"), "max_nodes"),
        (cluster("max_nodes", "null"), "max_nodes"),
        (cluster("vm_size", "\"\""), "vm_size"),
        (cluster("vm_priority", "\"Spot\""), "vm_priority"),
        (aks("agent_count", "0"), "agent_count"),
        (aks("agent_count", "-3"), "agent_count"),
        (aks("cluster_purpose", "\"Prod\""), "cluster_purpose"),
        (aks("load_balancer_type", "\"Foo\""), "load_balancer_type"),
        (vm("username", "\"\""), "username"),
        (vm("address", "\"not an address!\""), "address"),
        (vm("password", "\"\""), "password"),
        (vm("ssh_port", "70000"), "ssh_port"),
        (
            vm("password", "null").replace("  username", "  private_key = \"garbage\"\n  username"),
            "private_key",
        ),
        (
            rule_set("priorities", "{ batch_inbound = 200.5 }"),
            "priorities",
        ),
        (
            rule_set(
                "ssh_source_addresses",
                "[\"203.0.113.0/24\", \"203.0.113.0/24\"]",
            ),
            "ssh_source_addresses",
        ),
        (
            rule_set("ssh_source_addresses", "[\"203.0.113.0/24\", null]"),
            "ssh_source_addresses",
        ),
    ];
    for (config, attribute) in &cases {
        let errors = validate_errors(config, &[]);
        assert!(
            !errors.is_empty(),
            "{attribute}: validate accepted\n{config}"
        );
        for (summary, line) in &errors {
            assert!(
                line.trim_start().starts_with(attribute),
                "{attribute}: error {summary:?} points at {line:?}\n{config}"
            );
        }
        assert!(
            !errors
                .iter()
                .any(|(text, _)| text.contains("garbage") || text.contains("Passw0rd")),
            "a secret was quoted: {errors:?}"
        );
    }
}

#[test]
fn provider_settings_fail_validate_at_their_argument() {
    // A resource, so that Terraform validates the provider block it needs.
    let config = cluster("name", "\"cpu\"").replace(
        "provider \"amlsecure\" {}",
        "provider \"amlsecure\" {\n  subscription_id = \"my-subscription\"\n  resource_manager_endpoint = \"ftp://example.com\"\n}",
    );
    let errors = validate_errors(&config, &[]);
    let lines: Vec<&str> = errors.iter().map(|(_, l)| l.trim()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(lines[0].starts_with("subscription_id"), "{errors:?}");
    assert!(
        lines[1].starts_with("resource_manager_endpoint"),
        "{errors:?}"
    );
}

#[test]
fn an_unknown_region_fails_plan_at_location_without_a_write() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::new();
    dir.write(
        "main.tf",
        &cluster("location", "\"mars\"")
            .replace(WORKSPACE, &topology.workspace_id)
            .replace(SUBNET, &topology.training_subnet_id),
    );
    let env = azure.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    azure.reset_requests();
    let plan = dir.run_with_env(&["plan", "-input=false", "-no-color"], &env);
    assert_eq!(plan.code, 1, "{}", plan.all_output());
    let output = plan.all_output();
    assert!(output.contains("Unknown region"), "{output}");
    assert!(output.contains("location = \"mars\""), "{output}");
    assert_eq!(azure.writes(), 0);
}

#[test]
fn a_value_known_only_at_apply_is_checked_before_any_write() {
    let azure = Azure::start();
    let topology = azure.seed_topology();
    let dir = TestDir::new();
    let config = cluster("max_nodes", "terraform_data.nodes.output")
        .replace(WORKSPACE, &topology.workspace_id)
        .replace(SUBNET, &topology.training_subnet_id);
    dir.write(
        "main.tf",
        &format!("{config}\nresource \"terraform_data\" \"nodes\" {{\n  input = 4294967300\n}}\n"),
    );
    let env = azure.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    azure.reset_requests();
    let apply = dir.run_with_env(
        &["apply", "-input=false", "-auto-approve", "-no-color"],
        &env,
    );
    assert_eq!(apply.code, 1, "{}", apply.all_output());
    assert!(
        apply.all_output().contains("4294967300 is out of range"),
        "{}",
        apply.all_output()
    );
    assert_eq!(azure.writes(), 0, "{}", azure.requests());
    let shown = dir.run_with_env(&["show", "-json"], &env).json();
    let resources = shown["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        resources
            .iter()
            .all(|r| r["type"] != "amlsecure_compute_cluster"),
        "nothing of the cluster is in state"
    );
}
