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
        assert!(
            page.contains(&example(&format!("resources/{name}/import-by-identity.tf"))),
            "{name}: import by identity differs"
        );
        let identity = resource.identity().expect("every resource has an identity");
        for attribute in identity.identity_schema().attributes {
            let entry = format!("- `{}` (String) {}", attribute.name, attribute.description);
            assert!(page.contains(&entry), "{name}: identity lacks {entry}");
        }
        if let Some(list) = resource.list() {
            assert!(
                page.contains(&example(&format!(
                    "list-resources/{name}/list-resource.tfquery.hcl"
                ))),
                "{name}: list example differs"
            );
            for attribute in &list.list_schema().block.attributes {
                let entry = format!("- `{}` (String) {}", attribute.name, attribute.description);
                assert!(page.contains(&entry), "{name}: list config lacks {entry}");
            }
            assert!(
                index.contains(&format!(
                    "[`{name}`](resources/{short}.md#list-resource-terraform-query)"
                )),
                "index lacks list resource {name}"
            );
        }
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

/// How the docs name a type: `String`, `List of Object`, ...
fn type_name(ty: &tfplugin::value::Type) -> String {
    use tfplugin::value::Type;
    match ty {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(element) => format!("List of {}", type_name(element)),
        Type::Set(element) => format!("Set of {}", type_name(element)),
        Type::Map(element) => format!("Map of {}", type_name(element)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

/// The `- \`name\` ...` lines of a page, by the `###` heading above them.
fn entries_by_section(page: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut entries = Vec::new();
    for line in page.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            section = heading.to_owned();
        } else if line.starts_with("- `") {
            entries.push((section.clone(), line.to_owned()));
        }
    }
    entries
}

#[test]
fn every_data_source_has_its_page_with_example_and_attributes() {
    use tfplugin::schema::{AttributeKind, Presence};
    use tfplugin::value::Type;
    let index = doc("index.md");
    let data_sources = AmlSecure::default().data_sources();
    assert!(!data_sources.is_empty());
    for data_source in data_sources {
        let name = data_source.type_name();
        let short = name.trim_start_matches("amlsecure_");
        let page = doc(&format!("data-sources/{short}.md"));
        let schema = data_source.schema();
        assert!(
            page.starts_with(&format!(
                "# {name} (Data Source)\n\n{}\n",
                schema.block.description
            )),
            "{name}: title or description differs"
        );
        let example = example(&format!("data-sources/{name}/data-source.tf"));
        assert!(
            page.contains(&format!("## Example Usage\n\n```terraform\n{example}```\n")),
            "{name}: example differs"
        );
        assert!(
            example.contains(&format!("data \"{name}\"")),
            "{name}: the example does not use it"
        );
        let entries = entries_by_section(&page);
        let top_level: Vec<&(String, String)> = entries
            .iter()
            .filter(|(s, _)| ["Required", "Optional", "Read-Only"].contains(&s.as_str()))
            .collect();
        assert_eq!(
            top_level.len(),
            schema.block.attributes.len(),
            "{name}: the page lists other attributes than the schema"
        );
        for attribute in &schema.block.attributes {
            let section = match attribute.presence {
                Presence::Required => "Required",
                Presence::Optional | Presence::OptionalComputed => "Optional",
                Presence::Computed => "Read-Only",
            };
            let AttributeKind::Typed(ty) = &attribute.kind else {
                panic!("{name}: nested attributes are not documented yet");
            };
            let mut entry = format!("- `{}` ({})", attribute.name, type_name(ty));
            if !attribute.description.is_empty() {
                entry = format!("{entry} {}", attribute.description);
            }
            assert!(
                top_level
                    .iter()
                    .any(|(s, line)| s == section && line.starts_with(&entry)),
                "{name}: no {section} entry starting {entry:?}"
            );
            if let Type::List(element) | Type::Set(element) = ty
                && let Type::Object(object) = element.as_ref()
            {
                let nested = format!("Nested Schema for `{}`", attribute.name);
                for (field, field_type) in &object.attributes {
                    let entry = format!("- `{field}` ({})", type_name(field_type));
                    assert!(
                        entries
                            .iter()
                            .any(|(s, line)| *s == nested && line.starts_with(&entry)),
                        "{name}: {} lacks {entry:?}",
                        attribute.name
                    );
                }
                let listed = entries.iter().filter(|(s, _)| *s == nested).count();
                assert_eq!(listed, object.attributes.len(), "{name}: {nested}");
            }
        }
        assert!(
            index.contains(&format!("(data-sources/{short}.md)")),
            "index lacks {name}"
        );
    }
}

/// Each guide `docs/guides/<name>.md` walks through `examples/<name>/`: it shows every `.tf`
/// file of the example whole, cites only rules that exist, and the index links it.
#[test]
fn guides_embed_their_example_and_cite_existing_rules() {
    let index = doc("index.md");
    let guides = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/guides");
    let mut seen = 0;
    for entry in std::fs::read_dir(guides).expect("docs/guides exists") {
        let path = entry.expect("readable").path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let page = doc(&format!("guides/{name}.md"));
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/").to_owned() + &name;
        let mut files = 0;
        for file in std::fs::read_dir(&example).unwrap_or_else(|e| panic!("{example}: {e}")) {
            let file = file.expect("readable").path();
            if file.extension().is_some_and(|e| e == "tf") {
                let text = std::fs::read_to_string(&file).expect("readable");
                assert!(
                    page.contains(&format!("```terraform\n{text}```")),
                    "{name}: {} differs from the guide",
                    file.display()
                );
                files += 1;
            }
        }
        assert!(files > 0, "{name}: the example has no .tf files");
        for (at, _) in page.match_indices("AMLS") {
            let id: String = page[at..].chars().take(7).collect();
            if id[4..].chars().all(|c| c.is_ascii_digit()) {
                assert!(
                    CATALOGUE.iter().any(|r| r.id == id),
                    "{name} cites {id}, which is no rule"
                );
            }
        }
        assert!(
            index.contains(&format!("guides/{name}.md")),
            "index lacks guide {name}"
        );
        seen += 1;
    }
    assert!(seen > 0, "no guides");
}
