//! Managed resources: thin glue between Terraform values, the rules and the ARM client,
//! one resource per file.

pub mod aks_attachment;
mod aks_ssl;
pub mod compute_cluster;
mod drift;
pub mod firewall;
pub mod forced_tunneling_routes;
pub mod hdinsight_attachment;
pub mod identity;
pub mod key_vault_network_rules;
pub mod listing;
pub mod nsg_rules;
pub mod prefix_owned;
pub mod ssh_attachment;
pub mod storage_network_rules;
pub mod vm_attachment;

use std::time::Duration;

use tfplugin::resource::{Context, Outcome, Stored};
use tfplugin::schema::Schema;
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::arm::models::ml::ComputeResource;
use crate::arm::{ArmClient, CallContext, ResourceId, api_version};
use crate::checks::service_tags;
use crate::session::{SessionSlot, arm_diagnostic, call_context, parse_id, require_arm};

/// A state object with every attribute and block of `schema` null.
pub fn empty_state(schema: &Schema) -> Value {
    let mut state = Value::object(
        schema
            .block
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), Value::Null)),
    );
    for block in &schema.block.blocks {
        state.set_attr(&block.type_name, Value::Null);
    }
    state
}

/// Whether an update changes nothing Azure holds: apart from `timeouts`, every value is the
/// same, IDs in any letter case ([`tfplugin::schema::Attribute::ignore_case`]).
pub fn changes_nothing_in_azure(schema: &Schema, prior: &Value, planned: &Value) -> bool {
    schema.block.same_values(prior, planned, &["timeouts"])
}

/// Azure's rule for compute names (REFERENCE §1): 2-16 characters, letters, digits and
/// hyphens, starting with a letter.
pub fn valid_compute_name(name: &str) -> bool {
    (2..=16).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// What creating one ML compute takes.
pub struct NewCompute<'a> {
    pub id: &'a ResourceId,
    pub body: &'a ComputeResource,
    /// The error's summary, like "Creating the compute cluster failed".
    pub failure: &'a str,
    /// The planned state: recorded when Azure may hold the compute but it cannot be read.
    pub planned: &'a Value,
}

/// PUTs an ML compute and turns the result into state. A compute of that name must not exist
/// yet: ARM's PUT would overwrite it, and destroy would then remove what another owner made.
///
/// Unless ARM refused the PUT outright, Azure may hold the compute however the call ended (the
/// operation failed, the wait ran out, the connection or the token was lost, Terraform was
/// stopped): whatever exists is read back and recorded, or, when even that read fails, the
/// plan is recorded. Terraform marks it tainted, and the next run refreshes and replaces it,
/// so a compute Azure created is never orphaned.
///
/// `checks` are what must pass before the write (network checks deferred from plan): they
/// run beside the read that looks for an existing compute, and their errors stop the create.
pub async fn create_compute(
    arm: &ArmClient,
    call: &CallContext,
    creation: NewCompute<'_>,
    checks: impl Future<Output = Diagnostics>,
    state_from: impl Fn(&ComputeResource) -> Result<Value, Diagnostic>,
) -> Outcome<Stored> {
    let NewCompute {
        id,
        body,
        failure,
        planned,
    } = creation;
    let (mut diagnostics, existing) = tokio::join!(
        checks,
        arm.get_optional::<ComputeResource>(call, id.as_str(), api_version::MACHINE_LEARNING)
    );
    if diagnostics.has_errors() {
        return Outcome::failed(diagnostics);
    }
    match existing {
        Ok(None) => {}
        Ok(Some(_)) => {
            diagnostics.push(
                Diagnostic::error(
                    "Compute already exists",
                    format!(
                        "The workspace already has a compute named '{}' ({id}). To manage it \
                         with Terraform, import it: terraform import <resource address> {id}. \
                         Otherwise choose another name.",
                        id.name()
                    ),
                )
                .at(AttributePath::attribute("name")),
            );
            return Outcome::failed(diagnostics);
        }
        Err(error) => {
            diagnostics.push(arm_diagnostic(failure, &error));
            return Outcome::failed(diagnostics);
        }
    }
    let compute = match arm
        .put::<_, ComputeResource>(call, id.as_str(), api_version::MACHINE_LEARNING, body)
        .await
    {
        Ok(compute) => compute,
        Err(error) => {
            diagnostics.push(arm_diagnostic(failure, &error));
            if error.write_refused() {
                return Outcome::failed(diagnostics);
            }
            // Not the caller's context: it may be the one that ran out or was stopped.
            let recovery = CallContext::background().with_timeout(RECOVERY_TIMEOUT);
            match arm
                .get_existing::<ComputeResource>(
                    &recovery,
                    id.as_str(),
                    api_version::MACHINE_LEARNING,
                )
                .await
            {
                Ok(Some(compute)) => compute,
                Ok(None) => return Outcome::failed(diagnostics),
                Err(_) => {
                    return Outcome {
                        value: Some(Stored::new(unknowns_as_null(planned))),
                        diagnostics,
                    };
                }
            }
        }
    };
    match state_from(&compute) {
        Ok(state) => Outcome {
            value: Some(Stored::new(state)),
            diagnostics,
        },
        Err(d) => {
            diagnostics.push(d);
            Outcome::failed(diagnostics)
        }
    }
}

/// How long reading back what a failed write left may take.
pub const RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// A planned state made storable: values still unknown become null. Recorded when Azure may
/// hold an object that could not be read back; the next refresh fills it in.
pub fn unknowns_as_null(planned: &Value) -> Value {
    match planned {
        Value::Unknown(_) => Value::Null,
        Value::Object(attributes) => Value::Object(
            attributes
                .iter()
                .map(|(name, value)| (name.clone(), unknowns_as_null(value)))
                .collect(),
        ),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), unknowns_as_null(value)))
                .collect(),
        ),
        Value::List(items) => Value::List(items.iter().map(unknowns_as_null).collect()),
        Value::Set(items) => Value::Set(items.iter().map(unknowns_as_null).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(unknowns_as_null).collect()),
        other => other.clone(),
    }
}

/// Reads the ML compute a state names (`noun` says what it is, like `compute cluster`): its
/// refreshed state, with a warning when Azure reports it failed, [`Outcome::gone`] when Azure
/// no longer has it, or the state unchanged while Azure cannot be reached yet (provider
/// configuration still unknown).
pub async fn read_compute(
    slot: &SessionSlot,
    ctx: &Context,
    current: Stored,
    timeout: Duration,
    noun: &str,
    state_from: impl Fn(&ComputeResource, &ResourceId, &Value) -> Result<Value, Diagnostic>,
) -> Outcome<Stored> {
    let Ok((_, arm)) = require_arm(slot) else {
        return Outcome::ok(current);
    };
    let id = match current.state.str_field("id").known() {
        Some(id) => id,
        None => {
            return Outcome::failed(Diagnostic::error(
                "Missing ID",
                "The stored state has no id.",
            ));
        }
    };
    let id = match parse_id(&id, "Microsoft.MachineLearningServices/workspaces/computes") {
        Ok(id) => id,
        Err(m) => return Outcome::failed(Diagnostic::error("Invalid compute ID", m)),
    };
    let call = call_context(ctx, timeout);
    match arm
        .get_existing::<ComputeResource>(&call, id.as_str(), api_version::MACHINE_LEARNING)
        .await
    {
        Ok(Some(compute)) => match state_from(&compute, &id, &current.state) {
            Ok(state) => Outcome {
                value: Some(Stored::new(state)),
                diagnostics: drift::failed_warning(&compute, noun, id.name())
                    .into_iter()
                    .collect(),
            },
            Err(d) => Outcome::failed(d),
        },
        Ok(None) => Outcome::gone(),
        Err(error) => Outcome::failed(arm_diagnostic(
            &format!("Reading the {noun} failed"),
            &error,
        )),
    }
}

/// Whether the machine behind an attachment still exists: a 404 is confirmed by a second
/// read, as for the compute itself; other read errors are errors.
pub async fn machine_exists(
    arm: &ArmClient,
    call: &CallContext,
    id: &str,
    api_version: &str,
    noun: &str,
) -> Result<bool, Diagnostic> {
    arm.get_cached_existing::<serde_json::Value>(call, id, api_version)
        .await
        .map(|found| found.is_some())
        .map_err(|e| {
            arm_diagnostic(
                &format!("Reading the {noun} behind the attachment failed"),
                &e,
            )
        })
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

/// Checks the `location` a configuration gives a compute Azure ML creates against the
/// cloud's regions, by way of its workspace's region (which surely exists).
pub async fn check_compute_location(
    arm: &ArmClient,
    call: &CallContext,
    workspace_id: &str,
    location: &str,
) -> Result<(), Diagnostic> {
    let Ok(workspace_id) = parse_id(workspace_id, "Microsoft.MachineLearningServices/workspaces")
    else {
        return Ok(());
    };
    let Ok(workspace) = crate::checks::facts::workspace(arm, call, &workspace_id).await else {
        return Ok(());
    };
    check_region(
        arm,
        call,
        workspace_id.subscription_id(),
        &workspace.location,
        "location",
        location,
    )
    .await
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
