//! The provider-defined functions, through real Terraform.

use amlsecure_acceptance_tests::{PROVIDER_SOURCE, TestDir};
use serde_json::json;

const PROVIDER_BLOCK: &str = r#"
terraform {
  required_providers {
    amlsecure = { source = "amlsecure/amlsecure" }
  }
}
"#;

#[test]
fn functions_example_validates_plans_and_applies() {
    let dir = TestDir::from_example("functions");
    let validate = dir.run(&["validate", "-json"]).success().json();
    assert_eq!(validate["valid"], true, "{validate}");
    assert_eq!(validate["error_count"], 0);

    let plan = dir.run(&["plan", "-input=false", "-json"]).success();
    let changes: Vec<_> = plan
        .json_lines()
        .into_iter()
        .filter(|line| line["type"] == "outputs")
        .collect();
    assert_eq!(changes.len(), 1, "{}", plan.stdout);
    assert_eq!(
        changes[0]["outputs"]["training_subnet_usable_ips"]["action"],
        "create"
    );

    dir.run(&["apply", "-input=false", "-auto-approve"])
        .success();
    let outputs = dir.run(&["output", "-json"]).success().json();
    assert_eq!(outputs["training_subnet_usable_ips"]["value"], 251);
    assert_eq!(outputs["aks_service_cidr_overlaps_vnet"]["value"], true);
    let findings = outputs["aks_network_findings"]["value"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = findings[0].as_str().unwrap();
    assert!(
        finding.starts_with("AMLS201: service_cidr 10.0.0.0/16 overlaps"),
        "{finding}"
    );
    assert_eq!(outputs["sound_aks_network_findings"]["value"], json!([]));

    let replan = dir.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(
        replan.code,
        0,
        "no changes expected:\n{}",
        replan.all_output()
    );
}

#[test]
fn schema_lists_functions_with_descriptions() {
    let dir = TestDir::new();
    dir.write("main.tf", PROVIDER_BLOCK);
    let schema = dir.run(&["providers", "schema", "-json"]).success().json();
    let functions = &schema["provider_schemas"][PROVIDER_SOURCE]["functions"];
    for name in ["usable_ips", "cidrs_overlap", "aks_network_findings"] {
        let function = &functions[name];
        assert!(
            function["description"]
                .as_str()
                .is_some_and(|d| d.len() > 80),
            "{name}: {function}"
        );
        assert!(function["summary"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(function["return_type"].is_string() || function["return_type"].is_array());
    }
    assert_eq!(functions["usable_ips"]["parameters"][0]["name"], "cidr");
    assert_eq!(
        functions["aks_network_findings"]["parameters"][2]["is_nullable"],
        true
    );
}

#[test]
fn bad_arguments_fail_validate_naming_argument_and_fix() {
    let dir = TestDir::new();
    dir.write("main.tf", PROVIDER_BLOCK).write(
        "bad.tf",
        r#"
output "host_bits" { value = provider::amlsecure::usable_ips("10.0.1.5/24") }
output "ipv6" { value = provider::amlsecure::cidrs_overlap(["10.0.0.0/16"], ["10.1.0.0/16", "fd00::/64"]) }
"#,
    );
    let validate = dir.run(&["validate", "-json"]).json();
    assert_eq!(validate["valid"], false);
    let details: Vec<String> = validate["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["detail"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details.iter().any(|d| d.contains("\"cidr\" parameter")
            && d.contains("bits are set below the /24 prefix; use 10.0.1.0/24")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains("\"b\" parameter")
            && d.contains("element 1")
            && d.contains("IPv6")),
        "{details:?}"
    );
}

#[test]
fn unknown_arguments_are_settled_at_apply() {
    let dir = TestDir::new();
    dir.write("main.tf", PROVIDER_BLOCK).write(
        "unknown.tf",
        r#"
resource "terraform_data" "subnet" {
  input = "10.0.8.0/22"
}
output "usable" {
  value = provider::amlsecure::usable_ips(terraform_data.subnet.output)
}
"#,
    );
    let plan = dir.run(&["plan", "-input=false"]).success();
    assert!(
        plan.stdout.contains("usable = (known after apply)"),
        "{}",
        plan.stdout
    );
    dir.run(&["apply", "-input=false", "-auto-approve"])
        .success();
    let outputs = dir.run(&["output", "-json"]).success().json();
    assert_eq!(outputs["usable"]["value"], 1019);
}

#[test]
fn console_evaluates_functions() {
    let dir = TestDir::new();
    dir.write("main.tf", PROVIDER_BLOCK);
    // Piped into console, Terraform prints the value of the last expression only.
    let expression = r#"[provider::amlsecure::usable_ips("10.0.0.0/29"), provider::amlsecure::cidrs_overlap(["10.0.0.0/24"], ["10.0.1.0/24"])]"#;
    let console = dir
        .run_with_input(&["console"], &format!("jsonencode({expression})\n"))
        .success();
    assert_eq!(
        console.stdout.trim(),
        r#""[3,false]""#,
        "{}",
        console.all_output()
    );
}

#[test]
fn provider_logs_reach_terraform_at_the_requested_level() {
    let dir = TestDir::from_example("functions");
    let quiet = dir.run(&["plan", "-input=false"]).success();
    assert!(!quiet.stderr.contains("CallFunction"), "{}", quiet.stderr);

    let dir = TestDir::from_example("functions");
    let logged = dir
        .run_with_env(&["plan", "-input=false"], &[("TF_LOG_PROVIDER", "DEBUG")])
        .success();
    let line = logged
        .stderr
        .lines()
        .find(|l| l.contains("rpc=CallFunction"))
        .unwrap_or_else(|| panic!("no provider log line in:\n{}", logged.stderr));
    assert!(line.contains("[DEBUG]"), "{line}");
    assert!(
        line.contains("provider.terraform-provider-amlsecure"),
        "{line}"
    );
    assert!(
        line.contains("name=usable_ips")
            || line.contains("name=cidrs_overlap")
            || line.contains("name=aks_network_findings"),
        "{line}"
    );
    assert!(
        !logged.stderr.contains("frame="),
        "library debug lines leaked"
    );
}
