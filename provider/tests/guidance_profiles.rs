//! The guide comparing the two guidance profiles (`xtask/templates/guides/guidance-profiles.md`,
//! published as `docs/guides/guidance-profiles.md`) stays complete and true: its rule-by-rule
//! table has one row per rule of the catalogue, saying under which profile each applies as the
//! catalogue does, and no row for a rule that does not exist.

use std::collections::BTreeMap;

use terraform_provider_amlsecure::rules::{CATALOGUE, Profile, rule};

fn page() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../xtask/templates/guides/guidance-profiles.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of the section "Rule by rule": rule ID, then whether it applies under "2019" and
/// under "current" (`✓` or `—`).
fn rows(page: &str) -> BTreeMap<String, (bool, bool)> {
    let section = page
        .split("\n## Rule by rule\n")
        .nth(1)
        .expect("a section \"Rule by rule\"");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| AMLS")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let applies = |cell: &str| match cell {
            "✓" => true,
            "—" => false,
            other => panic!("{line}: {other:?} is neither ✓ nor —"),
        };
        let previous = rows.insert(cells[0].to_owned(), (applies(cells[1]), applies(cells[2])));
        assert!(previous.is_none(), "{} has two rows", cells[0]);
    }
    rows
}

#[test]
fn every_rule_has_a_row_that_says_where_it_applies() {
    let rows = rows(&page());
    for r in CATALOGUE {
        let expected = (
            r.applies_under(Profile::Seed),
            r.applies_under(Profile::Current),
        );
        assert_eq!(
            rows.get(r.id),
            Some(&expected),
            "{} ({}): the row must say 2019 {}, current {}",
            r.id,
            r.title,
            expected.0,
            expected.1
        );
    }
    for id in rows.keys() {
        assert!(
            rule(id).is_some(),
            "the page has a row for {id}, which is no rule"
        );
    }
}

#[test]
fn the_table_reader_notices_a_wrong_row() {
    let page = page().replace("| AMLS151 | — | ✓ |", "| AMLS151 | ✓ | ✓ |");
    assert_eq!(rows(&page).get("AMLS151"), Some(&(true, true)));
}
