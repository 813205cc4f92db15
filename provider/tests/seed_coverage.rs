//! The guide that walks Azure's guidance instruction by instruction
//! (`xtask/templates/guides/seed-coverage.md`, published as `docs/guides/seed-coverage.md`)
//! stays complete: every section of the guidance has its heading, every rule of the catalogue
//! is named, and every rule it names exists.

use std::collections::BTreeSet;

use terraform_provider_amlsecure::rules::{CATALOGUE, SEED_SECTIONS, rule};

fn page() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../xtask/templates/guides/seed-coverage.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every rule ID in `text`: `AMLS` and three digits, and the IDs between two written as
/// `AMLS133 to AMLS136`.
fn rule_ids(text: &str) -> BTreeSet<String> {
    let number = |at: usize| {
        text.get(at + 4..at + 7)
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u16>().ok())
    };
    let mut ids = BTreeSet::new();
    for (at, _) in text.match_indices("AMLS") {
        let Some(first) = number(at) else { continue };
        ids.insert(format!("AMLS{first}"));
        if text[at + 7..].starts_with(" to AMLS")
            && let Some(last) = number(at + 11)
        {
            ids.extend((first..=last).map(|n| format!("AMLS{n}")));
        }
    }
    ids
}

#[test]
fn every_section_of_the_guidance_has_its_heading() {
    let page = page();
    let headings: Vec<&str> = page
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .collect();
    for section in SEED_SECTIONS {
        assert!(headings.contains(section), "no section {section:?}");
    }
}

#[test]
fn every_rule_is_named_and_every_named_rule_exists() {
    let named = rule_ids(&page());
    for r in CATALOGUE {
        assert!(
            named.contains(r.id),
            "{} ({}) is not on the page",
            r.id,
            r.title
        );
    }
    for id in &named {
        assert!(rule(id).is_some(), "the page names {id}, which is no rule");
    }
}
