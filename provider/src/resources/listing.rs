//! What the list resources (`terraform query`, Terraform 1.14+) share: the computes of a
//! workspace, child sets found on a parent by their name prefix, and rule findings reported
//! as warnings of each result, so that a query doubles as an audit.

use std::collections::BTreeSet;

use tfplugin::resource::{Context, ListRequest, Listed, Outcome};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{Diagnostic, Diagnostics, Value};

use async_trait::async_trait;

use crate::arm::models::ml::ComputeResource;
use crate::arm::{ArmClient, CallContext, ResourceId, api_version};
use crate::session::{Session, SessionSlot};
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

const WORKSPACE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces";
const SUBNET_TYPE: &str = "Microsoft.Network/virtualNetworks/subnets";
/// How long one listing may read Azure, rule checks included.
pub const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

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
fn workspace_of(config: &Value) -> Result<ResourceId, Diagnostic> {
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

/// Validates a compute list's config: the workspace and subnet IDs.
pub fn validate_compute_list(config: &Value) -> Diagnostics {
    validate_id(config, "workspace_id", WORKSPACE_TYPE)
        .into_iter()
        .chain(validate_id(config, "subnet_id", SUBNET_TYPE))
        .collect()
}

/// How one kind of compute is listed: what the list finds, its ARM `computeType`, its state
/// as an import and refresh give it, the subnet its nodes join, and the rule findings a plan
/// would report.
#[async_trait]
pub trait ListedCompute: Send + Sync {
    /// For the list's description, like `compute clusters (AmlCompute)`.
    const LISTED: &'static str;
    const COMPUTE_TYPE: &'static str;

    fn listed_state(&self, compute: &ComputeResource, id: &ResourceId)
    -> Result<Value, Diagnostic>;

    async fn nodes_subnet(
        &self,
        arm: &ArmClient,
        call: &CallContext,
        state: &Value,
    ) -> Option<String>;

    async fn rule_findings(
        &self,
        session: &Session,
        arm: &ArmClient,
        call: &CallContext,
        state: &Value,
    ) -> Diagnostics;
}

/// Lists the workspace's computes of one kind, those of the config's subnet if it names one,
/// each with its findings as warnings.
pub async fn list_computes<K: ListedCompute>(
    kind: &K,
    slot: &SessionSlot,
    ctx: &Context,
    request: &ListRequest,
) -> Outcome<Vec<Listed>> {
    let (session, arm) = match require_arm(slot) {
        Ok(pair) => pair,
        Err(d) => return Outcome::failed(d),
    };
    let workspace = match workspace_of(&request.config) {
        Ok(id) => id,
        Err(d) => return Outcome::failed(d),
    };
    let call = call_context(ctx, LIST_TIMEOUT);
    let collection = format!("{}/computes", workspace.as_str().trim_end_matches('/'));
    let computes: Vec<ComputeResource> = match arm
        .list(&call, &collection, api_version::MACHINE_LEARNING)
        .await
    {
        Ok(computes) => computes,
        Err(e) => {
            return Outcome::failed(arm_diagnostic(
                "Listing the workspace's computes failed",
                &e,
            ));
        }
    };
    let mut found = Vec::new();
    for compute in computes.iter().filter(|c| {
        c.properties
            .compute_type
            .eq_ignore_ascii_case(K::COMPUTE_TYPE)
    }) {
        let Some(id) = compute
            .id
            .as_deref()
            .and_then(|id| ResourceId::parse(id).ok())
        else {
            continue;
        };
        let state = match kind.listed_state(compute, &id) {
            Ok(state) => state,
            Err(d) => return Outcome::failed(d),
        };
        if let Some(wanted) = request.config.str_field("subnet_id").known() {
            let subnet = kind.nodes_subnet(&arm, &call, &state).await;
            if !subnet.is_some_and(|s| crate::arm::resource_id::ids_equal(&s, &wanted)) {
                continue;
            }
        }
        let display_name = format!("{}/{}", workspace.name(), id.name());
        let findings = kind.rule_findings(&session, &arm, &call, &state).await;
        found.push(Listed {
            state,
            diagnostics: findings_as_warnings(&display_name, findings),
            display_name,
        });
    }
    Outcome::ok(found)
}

/// Rule findings (and failures to check) about one result, as warnings naming it: a query
/// reports them without stopping, and their attributes are the resource's, not the list's.
pub fn findings_as_warnings(display_name: &str, diagnostics: Diagnostics) -> Diagnostics {
    diagnostics
        .into_iter()
        .map(|d| Diagnostic::warning(format!("{display_name}: {}", d.summary), d.detail))
        .collect()
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
