//! What every compute of an Azure ML workspace (`.../workspaces/{workspace}/computes/{name}`)
//! shares, whatever its kind: create runs the checks plan deferred, then PUTs the compute and
//! follows the long-running operation, recording whatever Azure accepted; refresh GETs it,
//! warns when Azure left it failed, and forgets it when gone; destroy DELETEs it; import
//! takes its ARM ID.
//!
//! Each resource supplies a [`ComputeKind`]: its schema and checks, the body it writes, the
//! state it reads back, its plan and its in-place update.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use tfplugin::resource::{
    ApplyRequest, Context, Identity, ImportState, ListRequest, ListResource, Listed, ModifyPlan,
    Outcome, Plan, PlanRequest, Resource, Stored,
};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::timeouts::{self, Defaults, Operation};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::{Checks, Found, diagnosed, drift, keep_casing, listing};
use crate::arm::models::ml::ComputeResource;
use crate::arm::{ArmClient, CallContext, ResourceId, api_version};
use crate::checks::Severities;
use crate::session::{Session, SessionSlot, arm_diagnostic, call_context, parse_id, require_arm};

pub const WORKSPACE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces";
pub const COMPUTE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces/computes";

/// How long reading back what a failed write left may take.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// One Terraform resource type for one kind of workspace compute.
pub struct WorkspaceCompute<K> {
    session: SessionSlot,
    kind: K,
}

impl<K: ComputeKind> WorkspaceCompute<K> {
    pub fn new(session: SessionSlot) -> Self {
        WorkspaceCompute {
            session,
            kind: K::default(),
        }
    }
}

/// What a kind of compute (a cluster, an AKS cluster, an attached machine) supplies to
/// [`WorkspaceCompute`].
#[async_trait]
pub trait ComputeKind: Default + Send + Sync + 'static {
    const TYPE_NAME: &'static str;
    const TIMEOUTS: Defaults;

    fn schema(&self) -> Schema;

    /// Checks that need no Azure, at the rules' levels the provider block sets.
    fn validate(&self, config: &Value, severities: &Severities) -> Diagnostics;

    /// What messages call this kind and its operations.
    fn wording(&self) -> Wording;

    /// The compute a create writes, from the plan and the configuration (which alone holds
    /// write-only values).
    fn body(&self, planned: &Value, config: &Value) -> Result<ComputeResource, Diagnostic>;

    /// Terraform state from what Azure reports; `prior` gives what Azure does not report and
    /// the letter case the user wrote.
    fn state_from(
        &self,
        compute: &ComputeResource,
        id: &ResourceId,
        prior: &Value,
    ) -> Result<Value, Diagnostic>;

    /// The state a create records: by default what a refresh would.
    fn created_state(
        &self,
        compute: &ComputeResource,
        id: &ResourceId,
        planned: &Value,
    ) -> Result<Value, Diagnostic> {
        self.state_from(compute, id, planned)
    }

    /// Values of `planned` only apply can learn, read from Azure before the body is made,
    /// with the checks that needed them; their errors stop the create. None by default.
    async fn settle_at_apply(&self, _create: &Creating<'_>, _planned: &mut Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// What must pass before a create writes (the checks plan deferred), run beside the read
    /// that looks for a compute of the same name. None by default.
    async fn checks_at_apply(&self, _create: &Creating<'_>) -> Diagnostics {
        Diagnostics::new()
    }

    /// Destroy's `underlyingResourceAction`: `Delete`, or `Detach` for a machine that
    /// belongs to someone else.
    fn delete_action(&self, prior: &Value) -> &'static str;

    /// The plan: defaults, replacements, and the checks that read Azure.
    async fn modify_plan(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics;

    /// An update in place (of what the schema does not mark as replacing).
    async fn update(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        request: ApplyRequest,
    ) -> Outcome<Stored>;

    /// The Azure resource the compute stands on, when someone else can delete it.
    fn machine_behind(&self) -> Option<&dyn MachineBehind> {
        None
    }

    /// The `terraform query` listing of this kind, when it has one: `Some(compute)` for a
    /// kind that is also a [`listing::ListedCompute`].
    fn list_resource(_compute: &WorkspaceCompute<Self>) -> Option<&dyn ListResource> {
        None
    }
}

/// What a create has at hand when it asks its kind for values or checks.
pub struct Creating<'a> {
    pub session: &'a Session,
    pub arm: &'a ArmClient,
    pub ctx: &'a Context,
    /// The create's limits (its timeout, Terraform's stop).
    pub call: &'a CallContext,
    pub request: &'a ApplyRequest,
}

/// What a kind's messages call it and its operations.
pub struct Wording {
    /// Like `compute cluster`, as in "Reading the compute cluster failed".
    pub noun: String,
    /// The summary of a failed create, like `Creating the compute cluster failed`.
    pub create_failed: String,
    /// The summary of a failed destroy, like `Deleting the compute cluster failed`.
    pub delete_failed: String,
    /// How to import one, like `Import a compute cluster by its ARM ID`.
    pub import_hint: String,
}

/// A compute standing on an Azure resource that can be deleted outside Terraform (the machine
/// an attachment points at, the AKS cluster behind an AKS compute): refresh reads it too.
pub trait MachineBehind: Send + Sync {
    /// The machine `state` records, if any.
    fn machine(&self, state: &Value) -> Option<Machine>;

    /// Records in `state` that `machine` is gone; the warning that says so.
    fn forget(&self, state: &mut Value, machine: &Machine) -> Diagnostic;
}

/// An Azure resource a compute stands on.
pub struct Machine {
    pub id: String,
    /// The api-version it is read with.
    pub api_version: &'static str,
    /// For messages: `virtual machine`, `AKS cluster`.
    pub noun: &'static str,
}

#[async_trait]
impl<K: ComputeKind> Resource for WorkspaceCompute<K> {
    fn type_name(&self) -> &'static str {
        K::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        self.kind.schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        self.kind.validate(config, &self.session.severities())
    }

    async fn create(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        let (session, arm) = match require_arm(&self.session) {
            Ok(found) => found,
            Err(d) => return Outcome::failed(d),
        };
        let call = call_context(
            ctx,
            K::TIMEOUTS.for_operation(&request.planned, Operation::Create),
        );
        let creating = Creating {
            session: &session,
            arm: &arm,
            ctx,
            call: &call,
            request: &request,
        };
        let mut planned = request.planned.clone();
        let settled = self.kind.settle_at_apply(&creating, &mut planned).await;
        if settled.has_errors() {
            return Outcome::failed(settled);
        }
        let id = match planned_compute_id(&planned) {
            Ok(id) => id,
            Err(d) => return Outcome::failed(d),
        };
        let body = match self.kind.body(&planned, &request.config) {
            Ok(body) => body,
            Err(d) => return Outcome::failed(d),
        };
        let checks = async {
            let mut diagnostics = settled;
            diagnostics.extend(self.kind.checks_at_apply(&creating).await);
            diagnostics
        };
        create_compute(
            &arm,
            &call,
            NewCompute {
                id: &id,
                body: &body,
                failure: &self.kind.wording().create_failed,
                planned: &planned,
            },
            checks,
            |compute| self.kind.created_state(compute, &id, &planned),
        )
        .await
    }

    /// The compute's refreshed state, with a warning when Azure reports it failed,
    /// [`Outcome::gone`] when Azure no longer has it, or the state unchanged while Azure
    /// cannot be reached yet (provider configuration still unknown); then the machine behind
    /// it, which it outlives.
    async fn read(&self, ctx: &Context, current: Stored) -> Outcome<Stored> {
        let Ok((_, arm)) = require_arm(&self.session) else {
            return Outcome::ok(current);
        };
        let timeout = K::TIMEOUTS.for_operation(&current.state, Operation::Read);
        let id = match current.state.str_field("id").known() {
            Some(id) => id,
            None => {
                return Outcome::failed(Diagnostic::error(
                    "Missing ID",
                    "The stored state has no id.",
                ));
            }
        };
        let id = match parse_id(&id, COMPUTE_TYPE) {
            Ok(id) => id,
            Err(m) => return Outcome::failed(Diagnostic::error("Invalid compute ID", m)),
        };
        let noun = self.kind.wording().noun;
        let call = call_context(ctx, timeout);
        let mut stored = match arm
            .get_existing::<ComputeResource>(&call, id.as_str(), api_version::MACHINE_LEARNING)
            .await
        {
            Ok(Some(compute)) => match self.kind.state_from(&compute, &id, &current.state) {
                Ok(state) => Outcome {
                    value: Some(Stored::new(state)),
                    diagnostics: drift::failed_warning(&compute, &noun, id.name())
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
        };
        let (Some(refreshed), Some(behind)) = (stored.value.as_mut(), self.kind.machine_behind())
        else {
            return stored;
        };
        let Some(machine) = behind.machine(&refreshed.state) else {
            return stored;
        };
        let call = call_context(ctx, timeout);
        match machine_exists(&arm, &call, &machine.id, machine.api_version, machine.noun).await {
            Ok(true) => {}
            Ok(false) => {
                let warning = behind.forget(&mut refreshed.state, &machine);
                stored.diagnostics.push(warning);
            }
            Err(d) => return Outcome::failed(d),
        }
        stored
    }

    async fn update(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        self.kind.update(&self.session, ctx, request).await
    }

    async fn delete(&self, ctx: &Context, prior: Stored) -> Diagnostics {
        let arm = match require_arm(&self.session) {
            Ok((_, arm)) => arm,
            Err(d) => return d.into(),
        };
        let Field::Known(id) = prior.state.str_field("id") else {
            return Diagnostics::new();
        };
        let call = call_context(
            ctx,
            K::TIMEOUTS.for_operation(&prior.state, Operation::Delete),
        );
        let action = self.kind.delete_action(&prior.state);
        match arm
            .delete(
                &call,
                &id,
                api_version::MACHINE_LEARNING,
                &[("underlyingResourceAction", action)],
            )
            .await
        {
            Ok(()) => Diagnostics::new(),
            Err(error) => arm_diagnostic(&self.kind.wording().delete_failed, &error).into(),
        }
    }

    fn modify_plan(&self) -> Option<&dyn ModifyPlan> {
        Some(self)
    }

    fn identity(&self) -> Option<&dyn Identity> {
        Some(&super::identity::COMPUTE)
    }

    fn list(&self) -> Option<&dyn ListResource> {
        K::list_resource(self)
    }

    fn import(&self) -> Option<&dyn ImportState> {
        Some(self)
    }
}

#[async_trait]
impl<K: ComputeKind> ModifyPlan for WorkspaceCompute<K> {
    async fn modify_plan(
        &self,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        self.kind
            .modify_plan(&self.session, ctx, request, plan)
            .await
    }
}

#[async_trait]
impl<K: ComputeKind> ImportState for WorkspaceCompute<K> {
    async fn import_state(&self, _ctx: &Context, id: &str) -> Outcome<Stored> {
        match parse_id(id, COMPUTE_TYPE) {
            Ok(id) => {
                let mut state = self.kind.schema().null_value();
                state.set_attr("id", id.as_str().into());
                Outcome::ok(Stored::new(state))
            }
            Err(m) => Outcome::failed(Diagnostic::error(
                "Invalid import ID",
                format!(
                    "{m} {}, .../workspaces/{{workspace}}/computes/{{name}}.",
                    self.kind.wording().import_hint
                ),
            )),
        }
    }
}

#[async_trait]
impl<K: ComputeKind + listing::ListedCompute> ListResource for WorkspaceCompute<K> {
    fn list_schema(&self) -> Schema {
        listing::compute_list_schema(K::LISTED)
    }

    async fn validate_list(&self, config: &Value) -> Diagnostics {
        listing::validate_compute_list(config)
    }

    async fn list(&self, ctx: &Context, request: ListRequest) -> Outcome<Vec<Listed>> {
        listing::list_computes(&self.kind, &self.session, ctx, &request).await
    }
}

/// What creating one ML compute takes.
struct NewCompute<'a> {
    id: &'a ResourceId,
    body: &'a ComputeResource,
    /// The error's summary, like "Creating the compute cluster failed".
    failure: &'a str,
    /// The planned state: recorded when Azure may hold the compute but it cannot be read.
    planned: &'a Value,
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
async fn create_compute(
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

/// A planned state made storable: values still unknown become null. Recorded when Azure may
/// hold an object that could not be read back; the next refresh fills it in.
fn unknowns_as_null(planned: &Value) -> Value {
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

/// Checks the `location` a configuration gives a compute Azure ML creates against the
/// cloud's regions, by way of its workspace's region (which surely exists).
pub async fn check_compute_location(
    arm: &ArmClient,
    call: &CallContext,
    workspace_id: &str,
    location: &str,
) -> Result<(), Diagnostic> {
    let Ok(workspace_id) = parse_id(workspace_id, WORKSPACE_TYPE) else {
        return Ok(());
    };
    let Ok(workspace) = crate::checks::facts::workspace(arm, call, &workspace_id).await else {
        return Ok(());
    };
    super::check_region(
        arm,
        call,
        workspace_id.subscription_id(),
        &workspace.location,
        "location",
        location,
    )
    .await
}

/// The attributes every compute starts with: its ARM ID, its name and its workspace.
pub fn identifying_attributes() -> [Attribute; 3] {
    [
        Attribute::computed("id", Type::String).description("ARM ID of the compute."),
        Attribute::required("name", Type::String)
            .requires_replace()
            .description("Compute name: 2 to 16 letters, digits and hyphens, starting with a letter."),
        Attribute::required("workspace_id", Type::String)
            .requires_replace()
            .ignore_case()
            .description("ARM ID of the Azure Machine Learning workspace (any letter case: a change of case alone changes nothing in Azure)."),
    ]
}

/// The state of the identifying attributes, from the compute's ID in the letter case `prior`
/// holds (Azure echoes IDs as it likes).
pub fn identifying_state(id: &ResourceId, prior: &Value) -> [(&'static str, Value); 3] {
    let kept =
        |name: &str, azure: Option<String>| keep_casing(prior.str_field(name).known(), azure);
    [
        ("id", kept("id", Some(id.as_str().to_owned())).into()),
        ("name", id.name().into()),
        (
            "workspace_id",
            kept("workspace_id", id.parent().map(|p| p.as_str().to_owned())).into(),
        ),
    ]
}

/// The state of `location`: the compute's region as Azure reports it, in the letter case
/// `prior` holds.
pub fn location_state(compute: &ComputeResource, prior: &Value) -> Value {
    let reported = compute
        .properties
        .compute_location
        .clone()
        .or(compute.location.clone());
    keep_casing(prior.str_field("location").known(), reported).into()
}

/// What every compute's validation starts with: its timeouts and its name.
pub fn validate_timeouts_and_name(config: &Value) -> Diagnostics {
    timeouts::validate(config)
        .into_iter()
        .chain(invalid_name(config))
        .collect()
}

/// The error for a configured `name` Azure would refuse (REFERENCE §1: 2-16 characters,
/// letters, digits and hyphens, starting with a letter).
fn invalid_name(config: &Value) -> Option<Diagnostic> {
    let Field::Known(name) = config.str_field("name") else {
        return None;
    };
    let valid = (2..=16).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (!valid).then(|| {
        Diagnostic::error(
            "Invalid compute name",
            format!(
                "{name:?} is not a valid compute name: use 2 to 16 letters, digits and hyphens, starting with a letter."
            ),
        )
        .at(AttributePath::attribute("name"))
    })
}

/// The errors for configured ARM IDs (attribute, full type) of another type.
pub fn invalid_ids(config: &Value, ids: &[(&str, &str)]) -> Diagnostics {
    ids.iter()
        .filter_map(|&(attribute, full_type)| {
            let Field::Known(id) = config.str_field(attribute) else {
                return None;
            };
            let message = parse_id(&id, full_type).err()?;
            Some(Diagnostic::error("Invalid ID", message).at(AttributePath::attribute(attribute)))
        })
        .collect()
}

/// The compute's ID, from the planned workspace and name.
fn planned_compute_id(planned: &Value) -> Result<ResourceId, Diagnostic> {
    let (Field::Known(workspace), Field::Known(name)) =
        (planned.str_field("workspace_id"), planned.str_field("name"))
    else {
        return Err(Diagnostic::error(
            "Value not known at apply",
            "workspace_id and name must be known.",
        ));
    };
    parse_id(&workspace, WORKSPACE_TYPE)
        .map(|workspace| workspace.child("computes", &name))
        .map_err(|m| Diagnostic::error("Invalid workspace ID", m))
}

/// Shows the compute's ID in the plan once the workspace and name are known: it follows
/// from them.
pub fn plan_id(planned: &mut Value) {
    if let (Field::Known(workspace), Field::Known(name)) =
        (planned.str_field("workspace_id"), planned.str_field("name"))
    {
        planned.set_attr(
            "id",
            format!("{}/computes/{name}", workspace.trim_end_matches('/')).into(),
        );
    }
}

/// Findings at plan as diagnostics; while values are unknown, the checks (those of `rules`)
/// wait for apply, as the plan's private state records.
pub fn diagnosed_or_deferred(
    found: Found,
    plan: &mut Plan,
    slot: &SessionSlot,
    rules: &[std::ops::RangeInclusive<u16>],
) -> Diagnostics {
    match found {
        Ok(None) => defer_checks(plan, slot, rules).into(),
        found => diagnosed(found, &slot.severities()),
    }
}

/// Marks the plan's checks (those of `rules`) to run at apply; the warning that says so.
pub fn defer_checks(
    plan: &mut Plan,
    slot: &SessionSlot,
    rules: &[std::ops::RangeInclusive<u16>],
) -> Diagnostic {
    plan.private = Checks::DEFERRED.to_vec();
    Checks::deferred_warning(&slot.severities(), rules)
}
