//! The resources that own some children of an existing parent: the NSG rule set owns security
//! rules of a network security group, the forced-tunnelling routes own routes of a route
//! table. The children a set owns are those whose names start with its `name_prefix`; each is
//! its own ARM child resource, written and removed one by one, so children with other names
//! are never touched and concurrent applies on one parent never overwrite each other.
//!
//! [`PrefixOwned`] is such a resource, written once: plan, apply, refresh, import, destroy and
//! listing. A [`ChildSet`] says what is particular to one kind of set (its parent, its own
//! settings, which children the rules want, how an import reads the settings back), an
//! [`OwnedChild`] how one child is named, recorded in state and written to ARM.

pub mod name_prefix;
mod writes;

use std::marker::PhantomData;
use std::ops::RangeInclusive;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tfplugin::resource::{
    ApplyRequest, Context, Identity, ImportState, ListRequest, ListResource, Listed, ModifyPlan,
    Outcome, Plan, PlanRequest, Resource, Stored,
};
use tfplugin::schema::Schema;
use tfplugin::timeouts::{self, Defaults, Operation};
use tfplugin::value::Field;
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::{Checks, listing};
use crate::arm::{ArmClient, ArmError, CallContext};
use crate::checks::planned::PlannedChanges;
use crate::rules::{Profile, capitalise};
use crate::session::{Session, SessionSlot};
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

/// Where a set's children live and how messages speak of them.
pub struct Collection {
    /// The parent's ARM type, like `Microsoft.Network/networkSecurityGroups`.
    pub parent_type: &'static str,
    /// The attribute holding the parent's ARM ID, like `network_security_group_id`.
    pub parent_attribute: &'static str,
    /// The parent in words, like `network security group`.
    pub parent: &'static str,
    /// The children's segment of their ARM IDs, like `securityRules`.
    pub segment: &'static str,
    pub api_version: &'static str,
    /// The computed attribute listing the children as they are in Azure, like `rules`.
    pub list_attribute: &'static str,
    /// A child in words, in full (`security rule`) and short (`rule`).
    pub child: &'static str,
    pub child_short: &'static str,
    /// The resource in words (`the rule set`), and what a listing finds (`rule sets`).
    pub what: &'static str,
    pub listed: &'static str,
    /// Longest `name_prefix`: Azure's limit on a child's name less the longest suffix.
    pub max_prefix_len: usize,
    /// How an import ID is written; ends the import's error texts.
    pub import_usage: &'static str,
}

/// One child a set owns, as the rules see it.
pub trait OwnedChild: Clone + PartialEq + Send + Sync + 'static {
    /// Its ARM body, as written and as answered.
    type Arm: Serialize + DeserializeOwned + Send + Sync;

    fn name(&self) -> &str;
    fn to_value(&self) -> Value;
    fn from_value(value: &Value) -> Option<Self>;
    fn to_arm(&self) -> Self::Arm;
    /// The child as Azure answered its PUT; what the answer leaves out is as `written`.
    fn from_answer(answer: &Self::Arm, written: &Self) -> Self;

    /// Whether this child, as it is in Azure, already is `wanted`.
    fn is_as(&self, wanted: &Self) -> bool {
        self == wanted
    }

    /// Whether the child closes something (an NSG's Deny rule): such children are removed
    /// before and written after the others, so that nothing is closed before what must stay
    /// open is in place.
    fn closes(&self) -> bool {
        false
    }
}

/// One kind of set: its parent, its own settings, and how the rules decide its children.
/// Every set has the attributes `id`, its parent's, `name_prefix`, `region` (by default the
/// parent's) and the list of its children.
#[async_trait]
pub trait ChildSet: Send + Sync + 'static {
    /// The parent as ARM returns it.
    type Parent: DeserializeOwned + Send + Sync;
    type Child: OwnedChild;
    /// The settings beside parent, prefix and region that decide the children.
    type Settings: Send + Sync;

    const TYPE_NAME: &'static str;
    const IDENTITY: &'static dyn Identity;
    /// The rules its checks raise, by number (see [`Checks::deferred_warning`]).
    const CHECKED_RULES: &'static [RangeInclusive<u16>];
    const COLLECTION: Collection;
    /// Whether private state remembers something of what was written (see
    /// [`ChildSet::remember`]), passed on unchanged by plans and refreshes. Otherwise it only
    /// marks a plan whose checks wait for apply, as the computes' does.
    const REMEMBERS: bool = false;

    /// The resource's attributes; every set has the same timeouts block besides.
    fn schema() -> Schema;

    /// Checks of the settings that need no Azure (the parent ID and the prefix are checked
    /// already). Values still unknown are checked at plan or apply.
    fn validate(config: &Value, diagnostics: &mut Diagnostics);

    /// The values of unset optional attributes, beside `name_prefix`.
    fn defaults(profile: Profile) -> Vec<(&'static str, Value)>;

    /// The settings of a plan or state; `None` while one is unknown.
    fn settings(planned: &Value, profile: Profile) -> Option<Self::Settings>;

    /// Every child of the parent, whoever owns it.
    fn children_of(parent: &Self::Parent) -> Vec<Self::Child>;
    fn parent_name(parent: &Self::Parent) -> &str;
    /// The region `region` defaults to.
    fn parent_region(parent: &Self::Parent) -> Option<String>;

    /// The children wanted now, and the rules' findings as diagnostics; `Err` when they
    /// cannot be worked out.
    async fn wanted(
        from: WantedFrom<'_, Self>,
    ) -> Result<(Vec<Self::Child>, Diagnostics), Diagnostics>;

    /// The error of an apply that finds other children wanted than the plan showed.
    fn changed_since_plan(planned: &[Self::Child], now: &[Self::Child]) -> Diagnostic;

    /// The children an apply starts from: those the set owns (`owned`, as its state records
    /// them), as the kind trusts them to be, in the order the unwanted ones are removed.
    fn existing(owned: &[Self::Child], parent: &Self::Parent) -> Vec<Self::Child>;

    /// Tells the plans of other resources (the clusters checking the parent) what this plan
    /// writes and removes.
    fn note_planned(
        planned: &PlannedChanges,
        parent_id: &str,
        set_id: &str,
        written: Vec<Self::Child>,
        removed: Vec<String>,
    );

    /// An import: the children of `name_prefix` found on the parent, with the settings that
    /// made them read back into `state`.
    async fn adopt(from: Adoption<'_, Self>, state: &mut Value) -> Vec<Self::Child>;

    /// The suffixes that, after some prefix, make `child`'s name one this kind gives: how a
    /// listing finds the prefixes in use.
    fn owner_suffixes(child: &Self::Child) -> Vec<String>;

    /// What private state remembers of the children written (with [`ChildSet::REMEMBERS`]).
    fn remember(_written: &[Self::Child]) -> Vec<u8> {
        Vec::new()
    }
}

/// What a plan or apply works with, every value known except perhaps the region.
pub struct Inputs<T> {
    pub parent_id: String,
    pub name_prefix: String,
    /// `None` when not configured: the parent's region, read with it.
    pub region: Option<String>,
    pub settings: T,
}

/// When the wanted children are worked out.
pub enum Stage<'a, C> {
    /// A plan, beside the prior state's private data.
    Plan { prior_private: &'a [u8] },
    /// An apply, against the children the plan showed (`None` when it could not know them).
    /// A listing judges the recorded children this way too.
    Apply { planned: Option<&'a [C]> },
}

/// What the wanted children are worked out from.
pub struct WantedFrom<'a, S: ChildSet + ?Sized> {
    pub session: &'a Session,
    pub arm: &'a ArmClient,
    pub call: &'a CallContext,
    pub inputs: &'a Inputs<S::Settings>,
    pub parent: &'a S::Parent,
    /// The children the set owns so far, as its state records them.
    pub owned: &'a [S::Child],
    pub stage: Stage<'a, S::Child>,
}

/// What an import finds its children in.
pub struct Adoption<'a, S: ChildSet + ?Sized> {
    pub arm: &'a ArmClient,
    pub call: &'a CallContext,
    pub parent_id: &'a str,
    pub parent: &'a S::Parent,
    /// Every child of the parent.
    pub live: &'a [S::Child],
    pub name_prefix: &'a str,
}

/// What an operation has read before it asks which children are wanted.
struct Reading<'a, S: ChildSet> {
    session: &'a Session,
    arm: &'a ArmClient,
    call: &'a CallContext,
    parent: &'a S::Parent,
}

impl<S: ChildSet> Reading<'_, S> {
    async fn wanted(
        &self,
        inputs: &Inputs<S::Settings>,
        owned: &[S::Child],
        stage: Stage<'_, S::Child>,
    ) -> Result<(Vec<S::Child>, Diagnostics), Diagnostics> {
        S::wanted(WantedFrom {
            session: self.session,
            arm: self.arm,
            call: self.call,
            inputs,
            parent: self.parent,
            owned,
            stage,
        })
        .await
    }
}

/// The resource of one kind of set.
pub struct PrefixOwned<S: ChildSet> {
    session: SessionSlot,
    set: PhantomData<fn() -> S>,
}

impl<S: ChildSet> PrefixOwned<S> {
    pub fn new(session: SessionSlot) -> PrefixOwned<S> {
        PrefixOwned {
            session,
            set: PhantomData,
        }
    }
}

/// A set writes its children one at a time.
const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(30 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(30 * 60),
    delete: Duration::from_secs(30 * 60),
};

/// The resource's schema: the set's attributes and the timeouts block.
pub fn schema<S: ChildSet>() -> Schema {
    let mut schema = S::schema();
    schema.block.blocks.push(timeouts::block(&TIMEOUTS));
    schema
}

/// Checks that need no Azure: the timeouts, the parent ID, the prefix, then the settings.
pub fn validate<S: ChildSet>(config: &Value) -> Diagnostics {
    let c = &S::COLLECTION;
    let mut diagnostics: Diagnostics = timeouts::validate(config).into_iter().collect();
    if let Field::Known(id) = config.str_field(c.parent_attribute)
        && let Err(message) = parse_id(&id, c.parent_type)
    {
        diagnostics.push(
            Diagnostic::error(format!("Invalid {} ID", c.parent), message)
                .at(AttributePath::attribute(c.parent_attribute)),
        );
    }
    if let Field::Known(prefix) = config.str_field("name_prefix")
        && !name_prefix::is_valid(&prefix, c.max_prefix_len)
    {
        diagnostics.push(
            Diagnostic::error(
                format!("Invalid {} name prefix", c.child_short),
                format!(
                    "{prefix:?} cannot start {} names: use 1 to {} letters, digits, '.', '_' and '-', starting with a letter or digit.",
                    c.child, c.max_prefix_len
                ),
            )
            .at(AttributePath::attribute("name_prefix")),
        );
    }
    S::validate(config, &mut diagnostics);
    diagnostics
}

/// The inputs of a plan or apply; `None` while a value is unknown.
fn inputs<S: ChildSet>(
    planned: &Value,
    config: &Value,
    profile: Profile,
) -> Option<Inputs<S::Settings>> {
    let region = match planned.str_field("region") {
        Field::Known(region) => Some(region),
        // Unknown and configured: it comes from another resource. Unknown or null and not
        // configured: the parent's, read with it.
        _ if config.attr("region").is_some_and(|r| !r.is_null()) => return None,
        _ => None,
    };
    Some(Inputs {
        parent_id: planned.str_field(S::COLLECTION.parent_attribute).known()?,
        name_prefix: planned.str_field("name_prefix").known()?,
        region,
        settings: S::settings(planned, profile)?,
    })
}

/// The children recorded in a state or plan; `None` when unknown or null.
fn recorded<C: OwnedChild>(state: &Value, list_attribute: &str) -> Option<Vec<C>> {
    let list = state.attr(list_attribute)?;
    if list.is_null() || !list.is_wholly_known() {
        return None;
    }
    Some(
        list.as_elements()
            .unwrap_or_default()
            .iter()
            .filter_map(C::from_value)
            .collect(),
    )
}

fn values<C: OwnedChild>(children: &[C]) -> Value {
    Value::List(children.iter().map(C::to_value).collect())
}

/// The children of `live` named as those of `named`, in that order.
pub fn live_named<C: OwnedChild>(live: &[C], named: &[C]) -> Vec<C> {
    named
        .iter()
        .filter_map(|child| {
            (live.iter())
                .find(|l| l.name().eq_ignore_ascii_case(child.name()))
                .cloned()
        })
        .collect()
}

/// Reads the parent; a missing one is an error at its attribute.
async fn read_parent<S: ChildSet>(
    arm: &ArmClient,
    call: &CallContext,
    parent_id: &str,
    cached: bool,
) -> Result<S::Parent, Diagnostic> {
    let c = &S::COLLECTION;
    let result: Result<S::Parent, ArmError> = if cached {
        arm.get_cached(call, parent_id, c.api_version).await
    } else {
        arm.get(call, parent_id, c.api_version).await
    };
    result.map_err(|error| {
        if error.is_not_found() {
            Diagnostic::error(
                format!("{} not found", capitalise(c.parent)),
                format!(
                    "{parent_id} does not exist. This resource writes {}s onto an existing {}: create it first, or correct {}.",
                    c.child_short, c.parent, c.parent_attribute
                ),
            )
            .at(AttributePath::attribute(c.parent_attribute))
        } else {
            arm_diagnostic(&format!("Reading the {} failed", c.parent), &error)
        }
    })
}

/// The state `read` completes from an import ID, `<parent ARM ID>|<name_prefix>` or
/// `<parent ARM ID>`.
pub fn imported_state<S: ChildSet>(id: &str) -> Result<Value, Diagnostic> {
    let c = &S::COLLECTION;
    let (parent_id, prefix) =
        name_prefix::parse_import_id(id, c.parent_type, c.max_prefix_len, c.import_usage)?;
    let mut state = schema::<S>().null_value();
    state.set_attr("id", format!("{parent_id}|{prefix}").into());
    state.set_attr(c.parent_attribute, parent_id.into());
    state.set_attr("name_prefix", prefix.into());
    Ok(state)
}

#[async_trait]
impl<S: ChildSet> ModifyPlan for PrefixOwned<S> {
    async fn modify_plan(
        &self,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        let c = &S::COLLECTION;
        let prior = &request.prior.state;
        let creating = prior.is_null();
        let planned = &mut plan.planned;
        let defaults = S::defaults(self.session.severities().profile());
        for (name, default) in [("name_prefix", Value::from(name_prefix::DEFAULT))]
            .into_iter()
            .chain(defaults)
        {
            // Unset means the default, also when an earlier configuration set it.
            if request.config.attr(name).is_none_or(Value::is_null) {
                planned.set_attr(name, default);
            }
        }
        name_prefix::plan_identity(
            planned,
            &mut plan.requires_replace,
            prior,
            creating,
            c.parent_attribute,
        );

        let session = match self.session.get() {
            Ok(session) => session,
            Err(d) => return d.into(),
        };
        let inputs = inputs::<S>(planned, &request.config, session.severities.profile());
        let (Some(arm), Some(inputs)) = (session.arm.as_ref(), inputs) else {
            planned.set_attr(c.list_attribute, Value::unknown());
            if planned.attr("region").is_none_or(Value::is_null) {
                planned.set_attr("region", Value::unknown());
            }
            if !S::REMEMBERS {
                plan.private = Checks::DEFERRED.to_vec();
            }
            return Checks::deferred_warning(&self.session.severities(), S::CHECKED_RULES).into();
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
        let parent = match read_parent::<S>(arm, &call, &inputs.parent_id, true).await {
            Ok(parent) => parent,
            Err(d) => return d.into(),
        };
        if inputs.region.is_none() {
            // A configured region stays as written; only the default comes from the parent.
            planned.set_attr("region", S::parent_region(&parent).into());
        }
        let owned = if creating {
            Vec::new()
        } else {
            recorded(prior, c.list_attribute).unwrap_or_default()
        };
        let reading = Reading::<S> {
            session: &session,
            arm,
            call: &call,
            parent: &parent,
        };
        let stage = Stage::Plan {
            prior_private: &request.prior.private,
        };
        let (wanted, diagnostics) = match reading.wanted(&inputs, &owned, stage).await {
            Ok(pair) => pair,
            Err(diagnostics) => return diagnostics,
        };
        planned.set_attr(c.list_attribute, values(&wanted));
        if !S::REMEMBERS {
            plan.private = Vec::new();
        }
        if !diagnostics.has_errors() {
            // Clusters planned after this set check the parent with these children in place.
            let removed = (owned.iter())
                .filter(|o| {
                    !wanted
                        .iter()
                        .any(|w| w.name().eq_ignore_ascii_case(o.name()))
                })
                .map(|o| o.name().to_owned())
                .collect();
            let set_id = format!("{}|{}", inputs.parent_id, inputs.name_prefix);
            S::note_planned(
                &session.planned,
                &inputs.parent_id,
                &set_id,
                wanted,
                removed,
            );
        }
        diagnostics
    }
}

impl<S: ChildSet> PrefixOwned<S> {
    /// Creates or updates: checks the plan still holds against the parent as it is now, then
    /// writes the changed children one by one and removes owned ones no longer wanted.
    async fn apply(
        &self,
        ctx: &Context,
        request: ApplyRequest,
        operation: Operation,
    ) -> Outcome<Stored> {
        let c = &S::COLLECTION;
        let (session, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return Outcome::failed(d),
        };
        let mut planned = request.planned.clone();
        let Some(inputs) = inputs::<S>(&planned, &request.config, session.severities.profile())
        else {
            return Outcome::failed(Diagnostic::error(
                "Value not known at apply",
                format!("A value of {} is still unknown at apply.", c.what),
            ));
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&planned, operation));
        let parent = match read_parent::<S>(&arm, &call, &inputs.parent_id, false).await {
            Ok(parent) => parent,
            Err(d) => return Outcome::failed(d),
        };
        if inputs.region.is_none() {
            planned.set_attr("region", S::parent_region(&parent).into());
        }
        let owned = recorded(&request.prior.state, c.list_attribute).unwrap_or_default();
        let planned_children: Option<Vec<S::Child>> = recorded(&request.planned, c.list_attribute);
        let reading = Reading::<S> {
            session: &session,
            arm: &arm,
            call: &call,
            parent: &parent,
        };
        let stage = Stage::Apply {
            planned: planned_children.as_deref(),
        };
        let (wanted, mut diagnostics) = match reading.wanted(&inputs, &owned, stage).await {
            Ok(pair) => pair,
            Err(d) => return Outcome::failed(d),
        };
        if diagnostics.has_errors() {
            return Outcome::failed(diagnostics);
        }
        if let Some(planned_children) = &planned_children
            && planned_children != &wanted
        {
            diagnostics.push(S::changed_since_plan(planned_children, &wanted));
            return Outcome::failed(diagnostics);
        }

        let existing = S::existing(&owned, &parent);
        let (children, failure) =
            writes::converge::<S>(&arm, &call, &inputs.parent_id, existing, &wanted).await;
        planned.set_attr(c.list_attribute, values(&children));
        if let Some(failure) = failure {
            diagnostics.push(failure);
        }
        Outcome {
            value: Some(Stored {
                state: planned,
                private: S::remember(&wanted),
            }),
            diagnostics,
        }
    }
}

#[async_trait]
impl<S: ChildSet> Resource for PrefixOwned<S> {
    fn type_name(&self) -> &'static str {
        S::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::<S>()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate::<S>(config)
    }

    async fn create(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        self.apply(ctx, request, Operation::Create).await
    }

    async fn read(&self, ctx: &Context, current: Stored) -> Outcome<Stored> {
        let c = &S::COLLECTION;
        let session = match self.session.get() {
            Ok(session) => session,
            Err(d) => return Outcome::failed(d),
        };
        let Some(arm) = session.arm.as_ref() else {
            return Outcome::ok(current);
        };
        let Field::Known(parent_id) = current.state.str_field(c.parent_attribute) else {
            return Outcome::failed(Diagnostic::error(
                format!("Missing {}", c.parent),
                format!("The stored state has no {}.", c.parent_attribute),
            ));
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&current.state, Operation::Read));
        let parent: S::Parent = match arm
            .get_cached_existing(&call, &parent_id, c.api_version)
            .await
        {
            Ok(Some(parent)) => parent,
            Ok(None) => return Outcome::gone(),
            Err(e) => {
                return Outcome::failed(arm_diagnostic(
                    &format!("Reading the {} failed", c.parent),
                    &e,
                ));
            }
        };
        let live = S::children_of(&parent);
        let mut state = current.state.clone();
        let prefix = state
            .str_field("name_prefix")
            .known()
            .unwrap_or_else(|| name_prefix::DEFAULT.into());
        let children = match recorded(&current.state, c.list_attribute) {
            Some(recorded) => live_named(&live, &recorded),
            None => {
                let from = Adoption {
                    arm,
                    call: &call,
                    parent_id: &parent_id,
                    parent: &parent,
                    live: &live,
                    name_prefix: &prefix,
                };
                S::adopt(from, &mut state).await
            }
        };
        state.set_attr(c.list_attribute, values(&children));
        if state.attr("region").is_none_or(Value::is_null) {
            state.set_attr("region", S::parent_region(&parent).into());
        }
        if state.attr("name_prefix").is_none_or(Value::is_null) {
            state.set_attr("name_prefix", prefix.as_str().into());
        }
        Outcome::ok(Stored {
            state,
            private: carried_private::<S>(current.private),
        })
    }

    async fn update(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        if super::changes_nothing_in_azure(&schema::<S>(), &request.prior.state, &request.planned) {
            return Outcome::ok(Stored {
                state: request.planned,
                private: carried_private::<S>(request.planned_private),
            });
        }
        self.apply(ctx, request, Operation::Update).await
    }

    async fn delete(&self, ctx: &Context, prior: Stored) -> Diagnostics {
        let c = &S::COLLECTION;
        let (_, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return d.into(),
        };
        let Field::Known(parent_id) = prior.state.str_field(c.parent_attribute) else {
            return Diagnostics::new();
        };
        let owned = recorded(&prior.state, c.list_attribute).unwrap_or_default();
        let call = call_context(ctx, TIMEOUTS.for_operation(&prior.state, Operation::Delete));
        writes::remove_all::<S>(&arm, &call, &parent_id, owned).await
    }

    fn modify_plan(&self) -> Option<&dyn ModifyPlan> {
        Some(self)
    }

    fn identity(&self) -> Option<&dyn Identity> {
        Some(S::IDENTITY)
    }

    fn list(&self) -> Option<&dyn ListResource> {
        Some(self)
    }

    fn import(&self) -> Option<&dyn ImportState> {
        Some(self)
    }
}

#[async_trait]
impl<S: ChildSet> ListResource for PrefixOwned<S> {
    fn list_schema(&self) -> Schema {
        let c = &S::COLLECTION;
        listing::prefix_list_schema(c.listed, c.parent_attribute, c.parent)
    }

    async fn validate_list(&self, config: &Value) -> Diagnostics {
        let c = &S::COLLECTION;
        listing::validate_id(config, c.parent_attribute, c.parent_type)
    }

    async fn list(&self, ctx: &Context, request: ListRequest) -> Outcome<Vec<Listed>> {
        let c = &S::COLLECTION;
        let (session, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return Outcome::failed(d),
        };
        let Field::Known(parent_id) = request.config.str_field(c.parent_attribute) else {
            return Outcome::failed(Diagnostic::error(
                format!("Missing {}", c.parent_attribute),
                format!("Give the ARM ID of the {} to look at.", c.parent),
            ));
        };
        let call = call_context(ctx, listing::LIST_TIMEOUT);
        let parent = match read_parent::<S>(&arm, &call, &parent_id, true).await {
            Ok(parent) => parent,
            Err(d) => return Outcome::failed(d),
        };
        let reading = Reading::<S> {
            session: &session,
            arm: &arm,
            call: &call,
            parent: &parent,
        };
        let live = S::children_of(&parent);
        let prefixes = listing::prefixes_in(
            live.iter().flat_map(|child| {
                (S::owner_suffixes(child).into_iter()).map(|suffix| (child.name(), suffix))
            }),
            |prefix| name_prefix::is_valid(prefix, c.max_prefix_len),
        );
        let mut found = Vec::new();
        for prefix in prefixes {
            let state = match imported_state::<S>(&format!("{parent_id}|{prefix}")) {
                Ok(state) => state,
                Err(d) => return Outcome::failed(d),
            };
            let read = self.read(ctx, Stored::new(state)).await;
            let Some(stored) = read.value else {
                return Outcome::failed(read.diagnostics);
            };
            let state = stored.state;
            let display_name = format!("{}|{prefix}", S::parent_name(&parent));
            // What a plan of this set would report about the parent as it is: the recorded
            // children judged as an apply judges the planned ones.
            let findings = match inputs::<S>(&state, &state, session.severities.profile()) {
                Some(inputs) => {
                    let owned = recorded(&state, c.list_attribute).unwrap_or_default();
                    let stage = Stage::Apply {
                        planned: Some(&owned),
                    };
                    match reading.wanted(&inputs, &owned, stage).await {
                        Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
                    }
                }
                None => Diagnostics::new(),
            };
            found.push(Listed {
                diagnostics: listing::findings_as_warnings(&display_name, findings),
                display_name,
                state,
            });
        }
        Outcome::ok(found)
    }
}

#[async_trait]
impl<S: ChildSet> ImportState for PrefixOwned<S> {
    async fn import_state(&self, _ctx: &Context, id: &str) -> Outcome<Stored> {
        match imported_state::<S>(id) {
            Ok(state) => Outcome::ok(Stored::new(state)),
            Err(d) => Outcome::failed(d),
        }
    }
}

/// Private state after a refresh, or an update with nothing to write: a set that remembers
/// its children keeps what it remembers; another keeps nothing, so a plan's deferred-checks
/// marker does not outlive the apply.
fn carried_private<S: ChildSet>(private: Vec<u8>) -> Vec<u8> {
    if S::REMEMBERS { private } else { Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::forced_tunneling_routes::TunnelRouteSet;
    use crate::resources::nsg_rules::NsgRuleSet;

    #[test]
    fn only_the_rule_set_carries_private_state_past_a_refresh_or_a_no_op_update() {
        let remembered = b"placed priorities".to_vec();
        assert_eq!(
            carried_private::<NsgRuleSet>(remembered.clone()),
            remembered
        );
        assert_eq!(
            carried_private::<TunnelRouteSet>(Checks::DEFERRED.to_vec()),
            Vec::<u8>::new()
        );
    }
}
