//! What the list resources (`terraform query`, Terraform 1.14+) share: the computes of a
//! workspace, child sets found on a parent by their name prefix, and rule findings reported
//! as warnings of each result, so that a query doubles as an audit.

use std::collections::BTreeSet;

use tfplugin::resource::Listed;
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{Diagnostic, Diagnostics, Value};

use super::{arm_diagnostic, call_context, parse_id};
use crate::arm::models::ml::ComputeResource;
use crate::arm::{ArmClient, CallContext, ResourceId, api_version};

const WORKSPACE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces";

/// The `config` block of a compute list: a workspace, and optionally a subnet.
pub fn compute_list_schema(kind: &str) -> Schema {
    Schema::new(
        format!(
            "Finds the {kind} of an Azure Machine Learning workspace, optionally only those in one subnet. Each result carries its identity and, as warnings, the network rules it breaks today."
        ),
        vec![
            Attribute::required("workspace_id", Type::String)
                .description("ARM ID of the workspace whose computes to list."),
            Attribute::optional("subnet_id", Type::String)
                .description("Only computes whose nodes join this subnet (ARM ID, any casing)."),
        ],
    )
}

/// The `config` block of a list of child sets on a parent (`parent_attribute`).
pub fn prefix_list_schema(what: &str, parent_attribute: &str, parent: &str) -> Schema {
    Schema::new(
        format!(
            "Finds the {what} on a {parent}: every name prefix under which children are named as this resource names them. Each result carries its identity and, as warnings, the rule findings a plan would report."
        ),
        vec![
            Attribute::required(parent_attribute, Type::String)
                .description(format!("ARM ID of the {parent} to look at.")),
        ],
    )
}

/// `workspace_id` of a compute list's config, checked.
pub fn workspace_of(config: &Value) -> Result<ResourceId, Diagnostic> {
    let Field::Known(id) = config.str_field("workspace_id") else {
        return Err(Diagnostic::error(
            "Missing workspace_id",
            "Give the ARM ID of the workspace whose computes to list.",
        ));
    };
    parse_id(&id, WORKSPACE_TYPE).map_err(|m| Diagnostic::error("Invalid workspace ID", m))
}

/// Validates a list config's ARM ID attribute without the network.
pub fn validate_id(config: &Value, attribute: &str, full_type: &str) -> Diagnostics {
    match config.str_field(attribute) {
        Field::Known(id) => match parse_id(&id, full_type) {
            Ok(_) => Diagnostics::new(),
            Err(m) => Diagnostic::error(format!("Invalid {attribute}"), m)
                .at(tfplugin::AttributePath::attribute(attribute))
                .into(),
        },
        _ => Diagnostics::new(),
    }
}

/// The workspace's computes of `compute_type` (`AmlCompute`, `AKS`, ...), each as the state
/// an import followed by a refresh gives.
pub async fn computes_of(
    arm: &ArmClient,
    ctx: &CallContext,
    workspace: &ResourceId,
    compute_type: &str,
    blank: &Value,
    state_from: impl Fn(&ComputeResource, &ResourceId, &Value) -> Result<Value, Diagnostic>,
) -> Result<Vec<Value>, Diagnostic> {
    let collection = format!("{}/computes", workspace.as_str().trim_end_matches('/'));
    let computes: Vec<ComputeResource> = arm
        .list(ctx, &collection, api_version::MACHINE_LEARNING)
        .await
        .map_err(|e| arm_diagnostic("Listing the workspace's computes failed", &e))?;
    let mut states = Vec::new();
    for compute in computes
        .iter()
        .filter(|c| c.properties.compute_type.eq_ignore_ascii_case(compute_type))
    {
        let Some(id) = compute
            .id
            .as_deref()
            .and_then(|id| ResourceId::parse(id).ok())
        else {
            continue;
        };
        states.push(state_from(compute, &id, blank)?);
    }
    Ok(states)
}

/// Whether `subnet` passes the config's `subnet_id` filter (none, or the same ID).
pub fn in_subnet(config: &Value, subnet: Option<&str>) -> bool {
    match config.str_field("subnet_id").known() {
        None => true,
        Some(wanted) => subnet.is_some_and(|s| crate::arm::resource_id::ids_equal(s, &wanted)),
    }
}

/// Rule findings (and failures to check) about one result, as warnings naming it: a query
/// reports them without stopping, and their attributes are the resource's, not the list's.
pub fn findings_as_warnings(display_name: &str, diagnostics: Diagnostics) -> Diagnostics {
    diagnostics
        .into_iter()
        .map(|d| Diagnostic::warning(format!("{display_name}: {}", d.summary), d.detail))
        .collect()
}

/// One result: display name, state, and warnings.
pub fn listed(display_name: String, state: Value, diagnostics: Diagnostics) -> Listed {
    Listed {
        display_name,
        state,
        diagnostics,
    }
}

/// The prefixes under which `names` holds children named `<prefix><suffix>` for one of
/// `suffixes` (compared without case), kept when `valid`.
pub fn prefixes_in<'a>(
    names: impl IntoIterator<Item = (&'a str, String)>,
    valid: impl Fn(&str) -> bool,
) -> BTreeSet<String> {
    names
        .into_iter()
        .filter_map(|(name, suffix)| {
            let cut = name.len().checked_sub(suffix.len())?;
            (name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(&suffix))
                .then(|| name[..cut].to_owned())
        })
        .filter(|prefix| valid(prefix))
        .collect()
}

/// The context of a listing: one read timeout for the whole of it.
pub fn list_context(ctx: &tfplugin::resource::Context) -> CallContext {
    call_context(ctx, std::time::Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_what_comes_before_a_known_suffix() {
        let found = prefixes_in(
            [
                ("amlsecure-batch-inbound", "-batch-inbound".to_owned()),
                ("Team-A-batch-inbound", "-batch-inbound".to_owned()),
                ("-batch-inbound", "-batch-inbound".to_owned()),
                ("allow-ssh", "-batch-inbound".to_owned()),
            ],
            |p| !p.is_empty(),
        );
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            ["Team-A", "amlsecure"]
        );
    }

    #[test]
    fn subnet_filter_ignores_casing_and_passes_all_without_it() {
        let subnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a";
        let config = Value::object([
            ("workspace_id", "w".into()),
            ("subnet_id", subnet.to_uppercase().into()),
        ]);
        assert!(in_subnet(&config, Some(subnet)));
        assert!(!in_subnet(&config, None));
        let open = Value::object([("workspace_id", "w".into()), ("subnet_id", Value::Null)]);
        assert!(in_subnet(&open, None));
    }

    #[test]
    fn findings_become_warnings_that_name_the_result() {
        let errors: Diagnostics =
            Diagnostic::error("AMLS111: Batch inbound blocked", "detail").into();
        let warnings = findings_as_warnings("ws/cpu", errors);
        assert!(!warnings.has_errors());
        assert_eq!(
            warnings.iter().next().unwrap().summary,
            "ws/cpu: AMLS111: Batch inbound blocked"
        );
    }
}
