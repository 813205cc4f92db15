//! The documentation under `docs/` describes what the code does: every rule and every
//! function has its entry, with the same words.

use terraform_provider_amlsecure::functions;
use terraform_provider_amlsecure::rules::CATALOGUE;

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
