//! Managed resources: thin glue between Terraform values, the rules and the ARM client,
//! one resource per file.

pub mod aks_attachment;
mod aks_ssl;
pub mod compute_cluster;
pub mod firewall;
pub mod forced_tunneling_routes;
pub mod hdinsight_attachment;
pub mod identity;
pub mod key_vault_network_rules;
pub mod listing;
mod name_prefix;
pub mod nsg_rules;
pub mod ssh_attachment;
pub mod storage_network_rules;
pub mod vm_attachment;

use std::sync::Arc;
use std::time::Duration;

use tfplugin::resource::{Context, Outcome, Resource, Stored};
use tfplugin::schema::Schema;
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::arm::models::ml::ComputeResource;
use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, api_version, cancel_on};
use crate::provider::{Session, SessionSlot};
use crate::service_tags;

pub fn all(session: &SessionSlot) -> Vec<Arc<dyn Resource>> {
    vec![
        // Wrapped so its plans take part in rule AMLS403 (see `firewall::InferenceWatch`).
        Arc::new(firewall::InferenceWatch::new(
            aks_attachment::AksAttachment::new(session.clone()),
            session.clone(),
        )),
        Arc::new(compute_cluster::ComputeCluster::new(session.clone())),
        Arc::new(storage_network_rules::StorageNetworkRules::new(
            session.clone(),
        )),
        Arc::new(key_vault_network_rules::KeyVaultNetworkRules::new(
            session.clone(),
        )),
        Arc::new(nsg_rules::ComputeNetworkSecurityRules::new(session.clone())),
        Arc::new(forced_tunneling_routes::ForcedTunnelingRoutes::new(
            session.clone(),
        )),
        Arc::new(vm_attachment::VmAttachment::new(session.clone())),
        Arc::new(hdinsight_attachment::HdInsightAttachment::new(
            session.clone(),
        )),
    ]
}

/// The session and its ARM client; an error while the provider configuration is unknown.
pub fn require_arm(slot: &SessionSlot) -> Result<(Arc<Session>, ArmClient), Diagnostic> {
    let session = slot.get()?;
    let arm = session.arm.clone().ok_or_else(|| {
        Diagnostic::error(
            "Azure access not configured",
            "The amlsecure provider configuration is still unknown, so Azure cannot be reached.",
        )
    })?;
    Ok((session, arm))
}

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

/// Reads the ML compute a state names: its refreshed state, [`Outcome::gone`] when Azure no
/// longer has it, or the state unchanged while Azure cannot be reached yet (provider
/// configuration still unknown).
pub async fn read_compute(
    slot: &SessionSlot,
    ctx: &Context,
    current: Stored,
    timeout: Duration,
    failure: &str,
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
            Ok(state) => Outcome::ok(Stored::new(state)),
            Err(d) => Outcome::failed(d),
        },
        Ok(None) => Outcome::gone(),
        Err(error) => Outcome::failed(arm_diagnostic(failure, &error)),
    }
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
    let Ok(workspace) = crate::facts::workspace(arm, call, &workspace_id).await else {
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

/// Parses an ARM ID that must name a resource of `full_type` (like
/// `Microsoft.Network/virtualNetworks/subnets`), with a message fit for a diagnostic.
pub fn parse_id(id: &str, full_type: &str) -> Result<ResourceId, String> {
    let parsed = ResourceId::parse(id).map_err(|e| e.to_string())?;
    if parsed.is_type(full_type) {
        Ok(parsed)
    } else {
        Err(format!(
            "{id:?} is the ID of a {}, but a {full_type} is needed here.",
            parsed
                .resource_type()
                .unwrap_or_else(|| "resource group or subscription".into())
        ))
    }
}

/// An ARM call's limits: the operation's timeout, and Terraform's stop request.
pub fn call_context(ctx: &Context, timeout: Duration) -> CallContext {
    let stop = ctx.stop.clone();
    CallContext::new(cancel_on(async move { stop.stopped().await })).with_timeout(timeout)
}

pub fn arm_diagnostic(summary: &str, error: &ArmError) -> Diagnostic {
    Diagnostic::error(summary, error.to_string())
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

    pub fn deferred_warning() -> Diagnostic {
        Diagnostic::warning(
            "Network checks run at apply",
            "Some values these checks need (the provider configuration, the workspace, the subnet or the node counts) are not known until apply. The checks run then, before anything is created or changed, and stop the apply if a rule is broken.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
