//! The `name_prefix` that marks the children a set owns: which prefixes Azure's names allow,
//! how an import ID names the parent and the prefix, and what a plan owes to both.

use tfplugin::value::Field;
use tfplugin::{AttributePath, Diagnostic, Value};

use crate::session::parse_id;

/// The `name_prefix` when none is configured.
pub const DEFAULT: &str = "amlsecure";

/// Whether `prefix` can start child names: Azure's name characters, at most `max_len` long
/// so that the longest generated name still fits.
pub fn is_valid(prefix: &str, max_len: usize) -> bool {
    (1..=max_len).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_alphanumeric())
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The parent ID and name prefix of an import ID `<parent ARM ID>|<name_prefix>`, or
/// `<parent ARM ID>` for the default prefix. `usage` ends the error texts.
pub fn parse_import_id<'a>(
    id: &'a str,
    parent_type: &str,
    max_len: usize,
    usage: &str,
) -> Result<(&'a str, &'a str), Diagnostic> {
    let (parent, prefix) = id.split_once('|').unwrap_or((id, DEFAULT));
    if let Err(m) = parse_id(parent, parent_type) {
        return Err(Diagnostic::error(
            "Invalid import ID",
            format!("{m} {usage}"),
        ));
    }
    if !is_valid(prefix, max_len) {
        return Err(Diagnostic::error(
            "Invalid import ID",
            format!("{prefix:?} is not a valid name_prefix. {usage}"),
        ));
    }
    Ok((parent, prefix))
}

/// What the plan owes to the parent and the prefix: another prefix means other children, so
/// a new resource; the ID is `<parent ARM ID>|<name_prefix>`.
pub fn plan_identity(
    planned: &mut Value,
    requires_replace: &mut Vec<AttributePath>,
    prior: &Value,
    creating: bool,
    parent_attribute: &str,
) {
    let prefix_path = AttributePath::attribute("name_prefix");
    if !creating
        && prior.attr("name_prefix") != planned.attr("name_prefix")
        && !requires_replace.contains(&prefix_path)
    {
        requires_replace.push(prefix_path);
    }
    if let (Field::Known(parent), Field::Known(prefix)) = (
        planned.str_field(parent_attribute),
        planned.str_field("name_prefix"),
    ) {
        planned.set_attr("id", format!("{parent}|{prefix}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NSG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg";
    const NSG_TYPE: &str = "Microsoft.Network/networkSecurityGroups";

    #[test]
    fn prefixes_use_azure_name_characters_within_the_length() {
        for (prefix, valid) in [
            ("amlsecure", true),
            ("a", true),
            ("t_1.ml-x", true),
            ("", false),
            ("-lead", false),
            ("has space", false),
            ("x".repeat(10).as_str(), true),
            ("x".repeat(11).as_str(), false),
        ] {
            assert_eq!(is_valid(prefix, 10), valid, "{prefix:?}");
        }
    }

    #[test]
    fn another_prefix_replaces_and_the_id_joins_parent_and_prefix() {
        let state = |prefix: &str| {
            Value::object([
                ("id", Value::Null),
                ("network_security_group_id", NSG.into()),
                ("name_prefix", prefix.into()),
            ])
        };
        let prior = state("amlsecure");
        for (mut planned, creating, replaces) in [
            (state("amlsecure"), false, false),
            (state("team"), false, true),
            (state("team"), true, false),
        ] {
            let mut requires_replace = Vec::new();
            plan_identity(
                &mut planned,
                &mut requires_replace,
                &prior,
                creating,
                "network_security_group_id",
            );
            assert_eq!(!requires_replace.is_empty(), replaces, "{planned:?}");
            let prefix = planned.str_field("name_prefix").known().unwrap();
            assert_eq!(
                planned.str_field("id").known(),
                Some(format!("{NSG}|{prefix}"))
            );
        }
        // Unknown parents leave the ID for apply.
        let mut planned = state("amlsecure");
        planned.set_attr("network_security_group_id", Value::unknown());
        plan_identity(
            &mut planned,
            &mut Vec::new(),
            &prior,
            true,
            "network_security_group_id",
        );
        assert!(planned.attr("id").is_some_and(Value::is_null));
    }

    #[test]
    fn import_ids_name_the_parent_and_optionally_the_prefix() {
        assert_eq!(
            parse_import_id(NSG, NSG_TYPE, 10, "usage").unwrap(),
            (NSG, DEFAULT)
        );
        let with_prefix = format!("{NSG}|team");
        assert_eq!(
            parse_import_id(&with_prefix, NSG_TYPE, 10, "usage").unwrap(),
            (NSG, "team")
        );
        for bad in [format!("{NSG}|-x"), "/subscriptions/x".to_owned()] {
            let error = parse_import_id(&bad, NSG_TYPE, 10, "Use <id>.").unwrap_err();
            assert_eq!(error.summary, "Invalid import ID");
            assert!(error.detail.ends_with("Use <id>."), "{}", error.detail);
        }
    }
}
