//! What the compute resources share to tell drift truthfully: a compute Azure left `Failed`
//! is replaced, a machine behind an attachment that no longer exists is named with the way
//! out, and tags someone else adds (Azure Policy does) stay out of drift unless the user asks
//! otherwise. Plain functions over values, so each rule has its table test here.

use std::collections::BTreeMap;

use tfplugin::resource::Plan;
use tfplugin::{AttributePath, Diagnostic, Value};

use crate::arm::models::ml::ComputeResource;

/// The provisioning state of a compute Azure could not finish.
const FAILED: &str = "Failed";

/// Whether a compute's recorded provisioning state is `Failed`.
pub fn is_failed(state: &Value) -> bool {
    state
        .str_field("provisioning_state")
        .known()
        .is_some_and(|s| s.eq_ignore_ascii_case(FAILED))
}

/// A warning for refresh when Azure reports the compute `Failed`, with Azure's own errors:
/// nothing repairs a failed compute in place, so the plan replaces it.
pub fn failed_warning(compute: &ComputeResource, what: &str, name: &str) -> Option<Diagnostic> {
    let state = compute.properties.provisioning_state.as_deref()?;
    if !state.eq_ignore_ascii_case(FAILED) {
        return None;
    }
    let errors: Vec<String> = compute
        .properties
        .provisioning_errors
        .iter()
        .filter_map(|e| e.error.as_ref().map(ToString::to_string))
        .collect();
    let why = if errors.is_empty() {
        "Azure gives no reason".to_owned()
    } else {
        format!("Azure reports: {}", errors.join("; "))
    };
    Some(
        Diagnostic::warning(
            format!("The {what} '{name}' failed in Azure"),
            format!(
                "Its provisioning_state is Failed ({why}). A failed compute cannot be repaired in place: terraform apply replaces it (deletes it and creates it again)."
            ),
        )
        .at(AttributePath::attribute("provisioning_state")),
    )
}

/// Replaces a compute whose recorded provisioning state is `Failed`: the plan shows
/// `provisioning_state` forcing the replacement.
pub fn replace_when_failed(prior: &Value, plan: &mut Plan) {
    if prior.is_null() || plan.planned.is_null() || !is_failed(prior) {
        return;
    }
    plan.planned
        .set_attr("provisioning_state", Value::unknown());
    plan.requires_replace
        .push(AttributePath::attribute("provisioning_state"));
}

/// A warning for refresh when the machine an attachment points at (`attribute`) no longer
/// exists; refresh records the attribute as null, so the plan then needs a decision.
pub fn target_gone_warning(noun: &str, attribute: &str, id: &str, name: &str) -> Diagnostic {
    Diagnostic::warning(
        format!("The {noun} behind attachment '{name}' no longer exists"),
        format!(
            "{id} was deleted outside Terraform, so compute '{name}' points at nothing. Set {attribute} to an existing {noun} (the plan then attaches it in place of the old one), or remove this resource to detach the compute."
        ),
    )
    .at(AttributePath::attribute(attribute))
}

/// A warning for refresh when the AKS cluster Azure ML created for a compute no longer
/// exists: the plan replaces the attachment, and Azure ML creates a new cluster.
pub fn created_cluster_gone_warning(id: &str, name: &str) -> Diagnostic {
    Diagnostic::warning(
        format!("The AKS cluster Azure ML created for '{name}' no longer exists"),
        format!(
            "{id} was deleted outside Terraform, so compute '{name}' has no cluster. terraform apply replaces the attachment, and Azure ML creates a new cluster; to keep it gone instead, remove this resource."
        ),
    )
    .at(AttributePath::attribute("aks_cluster_id"))
}

/// The plan's error when the configuration still names a machine that no longer exists.
pub fn target_missing_error(noun: &str, attribute: &str, id: &str, name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("The {noun} to attach does not exist"),
        format!(
            "{attribute} names {id}, which Azure does not have (deleted outside Terraform?), so compute '{name}' cannot be attached to it. Set {attribute} to an existing {noun}, or remove this resource to detach the compute."
        ),
    )
    .at(AttributePath::attribute(attribute))
}

/// What to do with tags on a compute that the configuration does not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignTags {
    /// Not drift: they stay in Azure and out of state (the default).
    Keep,
    /// Drift: the plan replaces the compute to drop them (no ARM operation changes a
    /// compute's tags in place).
    Remove,
}

impl ForeignTags {
    pub const VALUES: &'static [&'static str] = &["keep", "remove"];
    pub const DEFAULT: &'static str = "keep";

    /// The behaviour a state or plan records; unset is the default.
    pub fn of(value: &Value) -> ForeignTags {
        match value.str_field("foreign_tags").known().as_deref() {
            Some("remove") => ForeignTags::Remove,
            _ => ForeignTags::Keep,
        }
    }
}

/// The plan's note when `foreign_tags` becomes `remove` while Azure holds tags the
/// configuration does not set (`keys`): the cluster is replaced to drop them.
pub fn foreign_tags_dropped_warning(keys: &[String]) -> Diagnostic {
    Diagnostic::warning(
        "Foreign tags are dropped by replacing the cluster",
        format!(
            "foreign_tags = \"remove\", and Azure holds tags that tags does not set: {}. No ARM operation changes a compute's tags in place, so this plan replaces the cluster to drop them. To keep them instead, add them to tags or set foreign_tags = \"keep\".",
            keys.join(", ")
        ),
    )
    .at(AttributePath::attribute("foreign_tags"))
}

/// A tags value as a map; null is no tags.
pub fn tag_map(value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn tags_value(tags: BTreeMap<String, String>) -> Value {
    Value::Map(tags.into_iter().map(|(k, v)| (k, v.into())).collect())
}

/// The `tags` state reports from the tags Azure holds. With [`ForeignTags::Keep`] only the
/// keys the prior state manages are reported, so a tag someone else adds is no drift, and a
/// managed one changed or removed is. All of them after an import (nothing managed yet) and
/// with [`ForeignTags::Remove`]. Null when there is nothing to report and nothing was set.
pub fn reported_tags(
    azure: &BTreeMap<String, String>,
    prior_tags: Option<&Value>,
    behaviour: ForeignTags,
    imported: bool,
) -> Value {
    let managed = tag_map(prior_tags);
    let reported: BTreeMap<String, String> = if imported || behaviour == ForeignTags::Remove {
        azure.clone()
    } else {
        azure
            .iter()
            .filter(|(key, _)| managed.contains_key(*key))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    if reported.is_empty() && prior_tags.is_none_or(Value::is_null) {
        Value::Null
    } else {
        tags_value(reported)
    }
}

/// Whether going from the recorded tags to the configured ones needs a new compute. A
/// configured tag missing or different in Azure does. With [`ForeignTags::Keep`] a recorded
/// tag the configuration no longer sets is let go (left in Azure, no longer managed): an
/// update of state only.
pub fn tags_need_replacement(recorded: &Value, configured: &Value, behaviour: ForeignTags) -> bool {
    let recorded = tag_map(Some(recorded));
    let configured = tag_map(Some(configured));
    match behaviour {
        ForeignTags::Remove => recorded != configured,
        ForeignTags::Keep => configured
            .iter()
            .any(|(key, value)| recorded.get(key) != Some(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Value {
        tags_value(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        tag_map(Some(&tags(pairs)))
    }

    #[test]
    fn foreign_tags_are_reported_only_when_asked_or_imported() {
        let azure = map(&[("team", "ml"), ("policy-owner", "it")]);
        let managed = tags(&[("team", "ml")]);
        type Case = (Option<Value>, ForeignTags, bool, Value);
        let cases: Vec<Case> = vec![
            (
                Some(managed.clone()),
                ForeignTags::Keep,
                false,
                managed.clone(),
            ),
            (
                Some(managed.clone()),
                ForeignTags::Remove,
                false,
                tags(&[("team", "ml"), ("policy-owner", "it")]),
            ),
            (None, ForeignTags::Keep, false, Value::Null),
            (
                None,
                ForeignTags::Keep,
                true,
                tags(&[("team", "ml"), ("policy-owner", "it")]),
            ),
            (
                Some(Value::Null),
                ForeignTags::Remove,
                false,
                tags(&[("team", "ml"), ("policy-owner", "it")]),
            ),
        ];
        for (prior, behaviour, imported, expected) in cases {
            assert_eq!(
                reported_tags(&azure, prior.as_ref(), behaviour, imported),
                expected,
                "{prior:?} {behaviour:?} imported={imported}"
            );
        }
        // A managed tag removed outside Terraform shows as missing; an empty map stays a map.
        let gone = reported_tags(&map(&[]), Some(&managed), ForeignTags::Keep, false);
        assert_eq!(gone, tags(&[]));
    }

    #[test]
    fn only_configured_tags_azure_lacks_need_a_new_compute() {
        type Case = (Value, Value, ForeignTags, bool);
        let cases: Vec<Case> = vec![
            (
                tags(&[("a", "1")]),
                tags(&[("a", "1")]),
                ForeignTags::Keep,
                false,
            ),
            (
                tags(&[("a", "1")]),
                tags(&[("a", "2")]),
                ForeignTags::Keep,
                true,
            ),
            (tags(&[]), tags(&[("a", "1")]), ForeignTags::Keep, true),
            // Let go: the tag stays in Azure.
            (
                tags(&[("a", "1"), ("b", "2")]),
                tags(&[("a", "1")]),
                ForeignTags::Keep,
                false,
            ),
            (
                tags(&[("a", "1"), ("b", "2")]),
                tags(&[("a", "1")]),
                ForeignTags::Remove,
                true,
            ),
            (Value::Null, Value::Null, ForeignTags::Remove, false),
            (tags(&[]), Value::Null, ForeignTags::Remove, false),
        ];
        for (recorded, configured, behaviour, replace) in cases {
            assert_eq!(
                tags_need_replacement(&recorded, &configured, behaviour),
                replace,
                "{recorded:?} -> {configured:?} ({behaviour:?})"
            );
        }
    }

    #[test]
    fn a_failed_compute_is_replaced_and_says_why() {
        let compute: ComputeResource = serde_json::from_value(serde_json::json!({
            "properties": {"computeType": "AmlCompute", "provisioningState": "Failed",
                "provisioningErrors": [{"error": {"code": "AllocationFailed",
                    "message": "No capacity for STANDARD_D2_V2."}}]}
        }))
        .unwrap();
        let warning = failed_warning(&compute, "compute cluster", "cpu").unwrap();
        assert!(
            warning.detail.contains("AllocationFailed: No capacity"),
            "{}",
            warning.detail
        );
        assert!(warning.detail.contains("terraform apply replaces it"));

        let prior = Value::object([("provisioning_state", "Failed".into())]);
        let mut plan = Plan {
            planned: prior.clone(),
            private: Vec::new(),
            requires_replace: Vec::new(),
        };
        replace_when_failed(&prior, &mut plan);
        assert_eq!(
            plan.requires_replace,
            [AttributePath::attribute("provisioning_state")]
        );
        assert!(
            plan.planned
                .attr("provisioning_state")
                .unwrap()
                .is_unknown()
        );

        let healthy = Value::object([("provisioning_state", "Succeeded".into())]);
        let mut plan = Plan {
            planned: healthy.clone(),
            private: Vec::new(),
            requires_replace: Vec::new(),
        };
        replace_when_failed(&healthy, &mut plan);
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn messages_about_missing_machines_name_the_attribute_and_the_way_out() {
        for diagnostic in [
            target_gone_warning("virtual machine", "virtual_machine_id", "/x/vm", "dev"),
            target_missing_error("virtual machine", "virtual_machine_id", "/x/vm", "dev"),
        ] {
            assert_eq!(
                diagnostic.attribute,
                Some(AttributePath::attribute("virtual_machine_id"))
            );
            assert!(
                diagnostic
                    .detail
                    .contains("Set virtual_machine_id to an existing virtual machine")
            );
            assert!(diagnostic.detail.contains("remove this resource to detach"));
        }
    }
}
