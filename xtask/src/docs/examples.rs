//! Checks that an example still fits the schema it illustrates: the attributes an
//! `import { identity = { ... } }` or a `list` block's `config { ... }` names are the
//! provider's, and the required ones are there. Enough of HCL for the examples' simple
//! layout (one argument a line), not a parser.

/// `import-by-identity.tf`: imports into a `type_name`, by an identity naming only `known`
/// attributes and every `required` one.
pub fn check_identity_import(
    origin: &str,
    text: &str,
    type_name: &str,
    known: &[&str],
    required: &[&str],
) -> Result<(), String> {
    let to = arguments(text, "import")
        .and_then(|import| {
            import
                .into_iter()
                .find(|(name, _)| name == "to")
                .map(|(_, value)| value)
        })
        .ok_or_else(|| format!("{origin}: no `import` block with `to`"))?;
    if !to.starts_with(&format!("{type_name}.")) {
        return Err(format!("{origin}: imports into {to}, not a {type_name}"));
    }
    let identity = arguments(text, "identity =")
        .ok_or_else(|| format!("{origin}: no `identity = {{ ... }}` in the import block"))?;
    check_names(origin, "identity", &identity, known, required)
}

/// `list-resource.tfquery.hcl`: a `list "<type_name>"` block whose `config` names only
/// `known` arguments and every `required` one.
pub fn check_list_block(
    origin: &str,
    text: &str,
    type_name: &str,
    known: &[&str],
    required: &[&str],
) -> Result<(), String> {
    let lists: Vec<&str> = code_lines(text)
        .filter_map(|line| line.strip_prefix("list \""))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    match lists.as_slice() {
        [only] if *only == type_name => {}
        _ => {
            return Err(format!(
                "{origin}: holds one `list \"{type_name}\"` block (found {lists:?})"
            ));
        }
    }
    let config = arguments(text, "config")
        .ok_or_else(|| format!("{origin}: the `list` block has no `config {{ ... }}`"))?;
    check_names(origin, "config", &config, known, required)
}

fn check_names(
    origin: &str,
    block: &str,
    given: &[(String, String)],
    known: &[&str],
    required: &[&str],
) -> Result<(), String> {
    if let Some((unknown, _)) = given
        .iter()
        .find(|(name, _)| !known.contains(&name.as_str()))
    {
        return Err(format!(
            "{origin}: `{block}` names {unknown}, which the provider's schema lacks (it has {})",
            known.join(", ")
        ));
    }
    if let Some(missing) = required
        .iter()
        .find(|name| !given.iter().any(|(given, _)| given == *name))
    {
        return Err(format!("{origin}: `{block}` lacks the required {missing}"));
    }
    Ok(())
}

/// Lines without comments and surrounding blanks, blank ones left out.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|line| line.split_once('#').map_or(line, |(code, _)| code).trim())
        .filter(|line| !line.is_empty())
}

/// The `name = value` arguments directly inside the first block opened by a line starting
/// with `opener` (`import`, `identity =`, `config`), values unquoted; nested blocks skipped.
fn arguments(text: &str, opener: &str) -> Option<Vec<(String, String)>> {
    let mut lines =
        code_lines(text).skip_while(|line| !(line.starts_with(opener) && line.ends_with('{')));
    lines.next()?;
    let mut found = Vec::new();
    let mut depth = 0;
    for line in lines {
        if line.starts_with('}') {
            if depth == 0 {
                return Some(found);
            }
            depth -= 1;
        } else if line.ends_with('{') {
            depth += 1;
        } else if depth == 0
            && let Some((name, value)) = line.split_once('=')
        {
            found.push((
                name.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMPORT: &str = r#"# A comment = not an argument { 
import {
  to = amlsecure_thing.this
  identity = {
    subscription_id = "00000000-0000-0000-0000-000000000000"
    name            = "one" # the thing's name
  }
}
"#;

    #[test]
    fn an_identity_import_names_the_type_and_the_required_attributes() {
        let known = ["subscription_id", "name", "name_prefix"];
        check_identity_import("i.tf", IMPORT, "amlsecure_thing", &known, &["name"]).unwrap();
        let other = check_identity_import("i.tf", IMPORT, "amlsecure_other", &known, &[]);
        assert_eq!(
            other.unwrap_err(),
            "i.tf: imports into amlsecure_thing.this, not a amlsecure_other"
        );
        let missing =
            check_identity_import("i.tf", IMPORT, "amlsecure_thing", &known, &["name_prefix"]);
        assert_eq!(
            missing.unwrap_err(),
            "i.tf: `identity` lacks the required name_prefix"
        );
        let unknown = check_identity_import("i.tf", IMPORT, "amlsecure_thing", &["name"], &[]);
        assert!(unknown.unwrap_err().starts_with(
            "i.tf: `identity` names subscription_id, which the provider's schema lacks"
        ),);
    }

    #[test]
    fn a_list_block_names_its_type_and_config_arguments() {
        let query = r#"
list "amlsecure_thing" "all" {
  provider = amlsecure

  config {
    workspace_id = "/subscriptions/x"
  }
}
"#;
        let known = ["workspace_id", "subnet_id"];
        check_list_block("q.hcl", query, "amlsecure_thing", &known, &["workspace_id"]).unwrap();
        assert!(check_list_block("q.hcl", query, "amlsecure_other", &known, &[]).is_err());
        assert_eq!(
            check_list_block("q.hcl", query, "amlsecure_thing", &known, &["subnet_id"])
                .unwrap_err(),
            "q.hcl: `config` lacks the required subnet_id"
        );
        assert!(
            check_list_block(
                "q.hcl",
                "list \"amlsecure_thing\" \"x\" {\n}\n",
                "amlsecure_thing",
                &known,
                &[]
            )
            .unwrap_err()
            .contains("no `config")
        );
    }
}
