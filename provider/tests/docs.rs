//! The documentation under `docs/` describes what the code does: every rule and every
//! function has its entry, with the same words.

use terraform_provider_amlsecure::functions;
use terraform_provider_amlsecure::provider::AmlSecure;
use terraform_provider_amlsecure::rules::CATALOGUE;
use tfplugin::Provider;

fn doc(path: &str) -> String {
    let full = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/").to_owned() + path;
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn every_rule_has_its_row_in_the_rules_page() {
    let page = doc("rules.md");
    for rule in CATALOGUE {
        let row = format!(
            "| {} | {} | {} | {} |",
            rule.id, rule.severity, rule.title, rule.seed_section
        );
        assert!(
            page.contains(&row),
            "docs/rules.md lacks or differs for:\n{row}"
        );
    }
    let rows = page.lines().filter(|l| l.starts_with("| AMLS")).count();
    assert_eq!(
        rows,
        CATALOGUE.len(),
        "docs/rules.md lists rules the code does not have"
    );
}

#[test]
fn every_function_has_its_page() {
    let index = doc("index.md");
    for function in functions::all() {
        let name = function.name();
        let page = doc(&format!("functions/{name}.md"));
        let definition = function.definition();
        assert!(page.starts_with(&format!("# {name} (function)")), "{name}");
        assert!(
            page.contains(&definition.summary),
            "{name}: summary differs"
        );
        for parameter in &definition.parameters {
            assert!(
                page.contains(&format!("`{}`", parameter.name)),
                "{name}: {}",
                parameter.name
            );
        }
        assert!(
            index.contains(&format!("functions/{name}.md")),
            "index lacks {name}"
        );
    }
}

fn example(path: &str) -> String {
    let full = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/").to_owned() + path;
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn every_resource_has_its_page_with_example_import_and_attributes() {
    let index = doc("index.md");
    for resource in AmlSecure::default().resources() {
        let name = resource.type_name();
        let short = name.trim_start_matches("amlsecure_");
        let page = doc(&format!("resources/{short}.md"));
        assert!(page.starts_with(&format!("# {name} (Resource)")), "{name}");
        assert!(
            page.contains(&example(&format!("resources/{name}/resource.tf"))),
            "{name}: example differs"
        );
        assert!(
            page.contains(&example(&format!("resources/{name}/import.sh"))),
            "{name}: import differs"
        );
        for attribute in &resource.schema().block.attributes {
            let entry = format!("- `{}` (", attribute.name);
            assert!(
                page.contains(&entry),
                "{name}: {} undocumented",
                attribute.name
            );
            assert!(
                page.contains(&attribute.description),
                "{name}: {} description differs",
                attribute.name
            );
        }
        assert!(
            index.contains(&format!("resources/{short}.md")),
            "index lacks {name}"
        );
    }
}

#[test]
fn every_provider_argument_is_documented() {
    let index = doc("index.md");
    for attribute in &AmlSecure::default().schema().block.attributes {
        assert!(
            index.contains(&format!("- `{}` (", attribute.name)),
            "{}",
            attribute.name
        );
    }
}
