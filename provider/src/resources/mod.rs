//! Managed resources: thin glue between Terraform values, the checks and the ARM client, one
//! resource per file, beside the shapes several of them share (`workspace_compute`,
//! `ssh_attachment`, `firewall`, `prefix_owned`, ...; ARCHITECTURE.md names them all) and,
//! here, the small helpers they all use.

pub mod aks_attachment;
mod aks_ssl;
pub mod compute_cluster;
mod drift;
pub mod firewall;
pub mod forced_tunneling_routes;
pub mod hdinsight_attachment;
pub mod identity;
pub mod inference_watch;
pub mod key_vault_network_rules;
pub mod listing;
pub mod nsg_rules;
pub mod prefix_owned;
pub mod ssh_attachment;
pub mod storage_network_rules;
pub mod vm_attachment;
pub mod workspace_compute;

use tfplugin::schema::Schema;
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::arm::{ArmClient, CallContext};
use crate::checks::{Severities, service_tags};
use crate::rules::Finding;

/// Whether an update changes nothing Azure holds: apart from `timeouts`, every value is the
/// same, IDs in any letter case ([`tfplugin::schema::Attribute::ignore_case`]).
pub fn changes_nothing_in_azure(schema: &Schema, prior: &Value, planned: &Value) -> bool {
    schema.block.same_values(prior, planned, &["timeouts"])
}

/// Checks a region the configuration names at `attribute` against the regions of Azure's
/// service tag list, read through `subscription` at `valid_location` (a region known to
/// exist, like the workspace's). A list that cannot be read checks nothing: ARM then judges.
pub async fn check_region(
    arm: &ArmClient,
    call: &CallContext,
    subscription: &str,
    valid_location: &str,
    attribute: &str,
    region: &str,
) -> Result<(), Diagnostic> {
    if service_tags::normalise_region(region) == service_tags::normalise_region(valid_location) {
        return Ok(());
    }
    let location = service_tags::normalise_region(valid_location);
    let Ok(tags) = service_tags::list(arm, call, subscription, &location).await else {
        return Ok(());
    };
    service_tags::check_region(&tags, region).map_err(|close| {
        let hint = if close.is_empty() {
            "Use a region name like westeurope or eastus.".to_owned()
        } else {
            format!("Close names: {}.", close.join(", "))
        };
        Diagnostic::error(
            "Unknown region",
            format!("{region:?} is not a region of this cloud. {hint}"),
        )
        .at(AttributePath::attribute(attribute))
    })
}

/// What Azure reports, unless it is what the user wrote in another casing: ARM IDs, regions
/// and VM sizes are case-insensitive and services echo them as they like.
pub fn keep_casing(written: Option<String>, azure: Option<String>) -> Option<String> {
    match (written, azure) {
        (Some(written), Some(azure)) if written.eq_ignore_ascii_case(&azure) => Some(written),
        (Some(written), Some(azure)) if crate::arm::resource_id::ids_equal(&written, &azure) => {
            Some(written)
        }
        (_, azure) => azure,
    }
}

/// Rule findings, `None` while a value they need is unknown, or why they could not be found.
pub type Found = Result<Option<Vec<Finding>>, Diagnostics>;

/// Findings as diagnostics at the user's levels; nothing while values are unknown.
pub fn diagnosed(found: Found, severities: &Severities) -> Diagnostics {
    match found {
        Ok(Some(findings)) => severities.diagnose(findings),
        Ok(None) => Diagnostics::new(),
        Err(errors) => errors,
    }
}

/// Network checks a plan could not run because values were unknown; they run at apply.
pub struct Checks;

impl Checks {
    /// Planned private state marking checks that wait for apply.
    pub const DEFERRED: &'static [u8] = br#"{"checks":"at-apply"}"#;

    /// The plan's note that a resource's checks wait for apply, naming the rules (of the
    /// resource's `areas`, ranges of rule numbers) whose findings will then stop it before
    /// anything is written, at the levels the provider block sets.
    pub fn deferred_warning(
        severities: &crate::checks::Severities,
        areas: &[std::ops::RangeInclusive<u16>],
    ) -> Diagnostic {
        let in_areas = |rule: &&&crate::rules::Rule| {
            rule.id[4..]
                .parse::<u16>()
                .is_ok_and(|n| areas.iter().any(|a| a.contains(&n)))
        };
        let rules: Vec<&crate::rules::Rule> = crate::rules::CATALOGUE
            .iter()
            .filter(in_areas)
            .copied()
            .collect();
        let stopping: Vec<&str> = severities
            .errors_among(&rules)
            .iter()
            .map(|r| r.id)
            .collect();
        let stops = match stopping.as_slice() {
            [] => "No rule of these checks is an error now, so none stops the apply.".to_owned(),
            ids => format!(
                "A finding of {} (errors at the levels the provider block sets) stops the apply before anything is created or changed; the others only warn.",
                crate::rules::join_and(ids)
            ),
        };
        Diagnostic::warning(
            "Network checks run at apply",
            format!(
                "Some values these checks need (the provider configuration, the workspace, the subnet or the node counts) are not known until apply, so the checks run then. {stops}"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::parse_id;

    #[test]
    fn the_deferred_note_names_the_rules_that_will_stop_the_apply() {
        use crate::checks::Severities;
        let areas = [101..=122, 131..=142];
        let note = Checks::deferred_warning(&Severities::default(), &areas).detail;
        assert!(note.contains("AMLS101, AMLS111"), "{note}");
        assert!(
            !note.contains("AMLS122") && !note.contains("AMLS142"),
            "{note}"
        );
        let (relaxed, _) = Severities::parse([("AMLS101", "warning"), ("AMLS142", "error")], []);
        let note = Checks::deferred_warning(&relaxed, &areas).detail;
        assert!(
            !note.contains("AMLS101") && note.contains("AMLS142"),
            "{note}"
        );
        let (all_off, _) = Severities::parse([], ["AMLS161", "AMLS162", "AMLS163", "AMLS164"]);
        let note = Checks::deferred_warning(&all_off, &[161..=164]).detail;
        assert!(note.contains("none stops the apply"), "{note}");
    }

    #[test]
    fn casing_written_by_the_user_is_kept() {
        let written = Some("/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v/subnets/a".to_owned());
        let azure = Some("/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v/subnets/a".to_owned());
        assert_eq!(keep_casing(written.clone(), azure), written);
        assert_eq!(
            keep_casing(Some("westeurope".into()), Some("eastus".into())),
            Some("eastus".into())
        );
        assert_eq!(keep_casing(None, Some("x".into())), Some("x".into()));
    }

    #[test]
    fn ids_of_the_wrong_type_say_what_is_needed() {
        let error = parse_id(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
            "Microsoft.Network/virtualNetworks/subnets",
        )
        .unwrap_err();
        assert!(
            error.contains("Microsoft.Network/virtualNetworks/subnets is needed"),
            "{error}"
        );
    }
}
