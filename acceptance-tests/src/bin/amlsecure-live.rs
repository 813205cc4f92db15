//! `make acceptance-live`: the examples against the Azure that the `ARM_*` variables name.
//!
//! Each example listed in the variables file is copied into a temporary folder with its
//! variables (`terraform.tfvars.json`), then: `init`; `apply`; `plan`, which must find nothing
//! to change; every amlsecure resource removed from state and imported again by its ID, after
//! which `plan` may only update in place (import cannot know a `timeouts` block); `destroy`.
//! An example with a `tests/` folder runs `terraform test` instead. The provider is this
//! checkout's build, through the same CLI configuration as the acceptance tests.
//!
//!   amlsecure-live VARIABLES.json
//!
//! VARIABLES.json maps example folders (under `examples/`) to their variables:
//! `{"resources/amlsecure_compute_cluster": {"workspace_id": "...", "subnet_id": "..."}}`.
//! Examples it does not list are named as not run. Ends with "N passed, N failed" and exits
//! non-zero when any failed or none ran.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use amlsecure_acceptance_tests::{Run, TestDir, workspace_root};
use serde_json::Value;

/// The `ARM_*` variables that name a subscription and a way to sign in to it.
fn missing_credentials(var: impl Fn(&str) -> Option<String>) -> Vec<&'static str> {
    let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
    let mut missing = Vec::new();
    for name in ["ARM_SUBSCRIPTION_ID", "ARM_TENANT_ID", "ARM_CLIENT_ID"] {
        if !set(name) {
            missing.push(name);
        }
    }
    let yes = |name: &str| var(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !set("ARM_CLIENT_SECRET") && !yes("ARM_USE_OIDC") && !yes("ARM_USE_MSI") {
        missing.push("ARM_CLIENT_SECRET (or ARM_USE_OIDC=true, or ARM_USE_MSI=true)");
    }
    missing
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let missing = missing_credentials(|name| std::env::var(name).ok());
    if !missing.is_empty() {
        eprintln!(
            "acceptance-live: refusing to start: set {} to the subscription and credentials to \
             run the examples against (see README.md, \"Running the examples against Azure\").",
            missing.join(", ")
        );
        return ExitCode::from(2);
    }
    let [variables_file] = &args[..] else {
        eprintln!(
            "acceptance-live: refusing to start: name the examples' variables file, \
             `make acceptance-live LIVE_VARIABLES=path/to/variables.json` (see README.md)."
        );
        return ExitCode::from(2);
    };
    let variables: serde_json::Map<String, Value> = match std::fs::read_to_string(variables_file)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(variables) => variables,
        Err(e) => {
            eprintln!("acceptance-live: {variables_file}: {e}");
            return ExitCode::from(2);
        }
    };

    let examples = root_examples(&workspace_root().join("examples"));
    if let Some(listed) = variables.keys().find(|k| !examples.contains(k)) {
        eprintln!("acceptance-live: {variables_file} lists {listed}, which is no example");
        return ExitCode::from(2);
    }
    let (mut passed, mut failed) = (0, 0);
    for example in &examples {
        let Some(values) = variables.get(example) else {
            println!("not run  {example} (no variables in {variables_file})");
            continue;
        };
        let started = Instant::now();
        match run_example(example, values) {
            Ok(done) => {
                passed += 1;
                println!(
                    "ok       {example}: {done} ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            }
            Err(failure) => {
                failed += 1;
                println!("FAIL     {example}: {failure}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 || passed == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Folders under `examples/` (but `modules/`) that hold `.tf` files, like
/// `resources/amlsecure_compute_cluster`, sorted.
fn root_examples(examples: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut has_tf = false;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                if path != base.join("modules") && !path.ends_with("tests") {
                    walk(&path, base, found);
                }
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            let relative = dir.strip_prefix(base).expect("under examples/");
            found.push(relative.to_string_lossy().into_owned());
        }
    }
    let mut found = Vec::new();
    walk(examples, examples, &mut found);
    found.sort();
    found
}

fn terraform(dir: &TestDir, args: &[&str]) -> Run {
    dir.run(args)
}

fn expect_success(run: Run, step: &str) -> Result<Run, String> {
    if run.code == 0 {
        Ok(run)
    } else {
        Err(format!("{step} failed:\n{}", run.all_output()))
    }
}

/// Runs one example through its whole life; what it did, or why it failed. After a failure,
/// destroys what the example created, so that the next example (and Azure) start clean.
fn run_example(example: &str, variables: &Value) -> Result<String, String> {
    let dir = TestDir::from_example(example);
    dir.write(
        "terraform.tfvars.json",
        &serde_json::to_string_pretty(variables).expect("JSON"),
    );
    expect_success(terraform(&dir, &["init", "-input=false"]), "init")?;
    life(&dir).map_err(|failure| {
        if !dir.path().join("terraform.tfstate").exists() {
            return failure;
        }
        match expect_success(
            terraform(&dir, &["destroy", "-input=false", "-auto-approve"]),
            "destroy after the failure",
        ) {
            Ok(_) => format!("{failure}\n(destroyed what it had created)"),
            Err(also) => format!("{failure}\n{also}"),
        }
    })
}

fn life(dir: &TestDir) -> Result<String, String> {
    if dir.path().join("tests").is_dir() {
        let run = expect_success(terraform(dir, &["test"]), "terraform test")?;
        let summary = run
            .stdout
            .lines()
            .rev()
            .find(|l| l.contains("passed"))
            .unwrap_or("passed")
            .trim()
            .to_owned();
        return Ok(format!("terraform test: {summary}"));
    }
    expect_success(
        terraform(dir, &["apply", "-input=false", "-auto-approve"]),
        "apply",
    )?;
    let plan = terraform(dir, &["plan", "-input=false", "-detailed-exitcode"]);
    if plan.code != 0 {
        return Err(format!(
            "plan after apply wants changes (exit {}):\n{}",
            plan.code,
            plan.all_output()
        ));
    }
    let imported = reimport(dir)?;
    expect_success(
        terraform(dir, &["destroy", "-input=false", "-auto-approve"]),
        "destroy",
    )?;
    Ok(format!(
        "applied, no changes, {imported} imported, destroyed"
    ))
}

/// Removes every amlsecure resource from state and imports it again by its ID; the plan
/// that follows may update in place but neither create nor destroy.
fn reimport(dir: &TestDir) -> Result<usize, String> {
    let state = expect_success(terraform(dir, &["show", "-json"]), "show")?.json();
    let mut resources = Vec::new();
    collect_resources(&state["values"]["root_module"], &mut resources);
    for (address, id) in &resources {
        expect_success(terraform(dir, &["state", "rm", address]), "state rm")?;
        expect_success(
            terraform(dir, &["import", "-input=false", address, id]),
            &format!("import {address} {id}"),
        )?;
    }
    expect_success(
        terraform(dir, &["plan", "-input=false", "-out=after-import.tfplan"]),
        "plan after import",
    )?;
    let plan = expect_success(
        terraform(dir, &["show", "-json", "after-import.tfplan"]),
        "show plan",
    )?
    .json();
    for change in plan["resource_changes"].as_array().into_iter().flatten() {
        let actions = &change["change"]["actions"];
        if actions.as_array().is_some_and(|a| {
            a.iter()
                .any(|action| action == "create" || action == "delete")
        }) {
            return Err(format!(
                "after import, plan would {actions} {}",
                change["address"]
            ));
        }
    }
    Ok(resources.len())
}

/// The ID a resource is imported by (its `import.sh` shows it): its `id`, but for the
/// firewalls, which are imported by their workspace's ID.
fn import_id(resource_type: &str, values: &Value) -> Option<String> {
    let attribute = match resource_type {
        "amlsecure_workspace_storage_network_rules"
        | "amlsecure_workspace_key_vault_network_rules" => "workspace_id",
        _ => "id",
    };
    values[attribute].as_str().map(str::to_owned)
}

/// `(address, import ID)` of the managed amlsecure resources of a module and its children.
fn collect_resources(module: &Value, into: &mut Vec<(String, String)>) {
    for resource in module["resources"].as_array().into_iter().flatten() {
        let resource_type = resource["type"].as_str().unwrap_or_default();
        if resource["mode"] == "managed"
            && resource_type.starts_with("amlsecure_")
            && let (Some(address), Some(id)) = (
                resource["address"].as_str(),
                import_id(resource_type, &resource["values"]),
            )
        {
            into.push((address.to_owned(), id));
        }
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        collect_resources(child, into);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_required() {
        let none = missing_credentials(|_| None);
        assert_eq!(none.len(), 4);
        let oidc = missing_credentials(|name| match name {
            "ARM_USE_OIDC" => Some("true".into()),
            _ => Some("x".into()).filter(|_| name != "ARM_CLIENT_SECRET"),
        });
        assert!(oidc.is_empty(), "{oidc:?}");
    }
}
