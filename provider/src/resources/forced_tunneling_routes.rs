//! `amlsecure_forced_tunneling_routes`: on an existing route table, one route with next hop
//! Internet for each IPv4 prefix of `BatchNodeManagement.<region>` (and optionally
//! `AzureMachineLearning.<region>`), as Azure's Service Tags API lists them now. Each route is
//! its own ARM child resource, written and removed one by one, so routes this resource does
//! not own are never touched.
//!
//! Azure changes a tag's prefixes from time to time: every plan reads the tag list again, so
//! a changed list shows as an update of `routes`, and apply adds the new prefixes before it
//! removes the stale ones. Which routes, and what is in their way, is decided by the pure
//! [`routes::plan_tunnel_routes`](crate::rules::routes::plan_tunnel_routes).

use std::collections::BTreeMap;
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

use super::name_prefix;
use super::{Checks, listing};
use crate::arm::models::network::{Route as ArmRoute, RouteProperties, RouteTable};
use crate::arm::{ArmClient, ArmError, CallContext, api_version};
use crate::checks::facts;
use crate::checks::planned::PlannedRoutes;
use crate::checks::service_tags::{self, ServiceTag};
use crate::rules::addresses::Ipv4Net;
use crate::rules::routes::{self, BATCH_TAG, NextHop, Route};
use crate::session::Session;
use crate::session::SessionSlot;
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

/// The rules this resource's checks raise, by number (see [`Checks::deferred_warning`]).
const CHECKED_RULES: &[std::ops::RangeInclusive<u16>] = &[123..=126];

pub const TYPE_NAME: &str = "amlsecure_forced_tunneling_routes";

pub const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(30 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(30 * 60),
    delete: Duration::from_secs(30 * 60),
};

pub const DEFAULT_PREFIX: &str = name_prefix::DEFAULT;
const ROUTE_TABLE_TYPE: &str = "Microsoft.Network/routeTables";
/// Longest `name_prefix`: Azure's 80 characters for a route name less the longest suffix
/// (`-255-255-255-255-32`).
const MAX_PREFIX_LEN: usize = 61;
const AZURE_ML_TAG: &str = "AzureMachineLearning";

fn route_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("address_prefix", Type::String),
        ("next_hop_type", Type::String),
    ])
}

pub fn schema() -> Schema {
    let mut schema = Schema::new(
        "The user-defined routes Azure Machine Learning compute needs behind forced tunnelling: on an existing route table, one route with next hop `Internet` for each IPv4 prefix of service tag `BatchNodeManagement.<region>` (and optionally `AzureMachineLearning.<region>`), as Azure's Service Tags API publishes them. When Azure publishes new prefixes, `terraform plan` shows the change and apply adds and removes routes to match. Routes it does not own are never changed; a name or address prefix taken by one of them fails the plan, naming it.",
        vec![
            Attribute::computed("id", Type::String).ignore_case().description(
                "`<route_table_id>|<name_prefix>`: the table, and the names of the routes this resource manages.",
            ),
            Attribute::required("route_table_id", Type::String)
                .requires_replace()
                .ignore_case()
                .description("ARM ID of the existing route table the routes are written to (any letter case: a change of case alone changes nothing in Azure)."),
            Attribute::optional_computed("name_prefix", Type::String)
                .requires_replace()
                .description("Start of the names of the routes this resource writes (default `amlsecure`); each route is named `<name_prefix>-<address>-<length>`, like `amlsecure-20-50-1-0-24`. Letters, digits, `.`, `_` and `-`, at most 61."),
            Attribute::optional_computed("region", Type::String).description(
                "Region of the service tags, like `westeurope`; defaults to the route table's location.",
            ),
            Attribute::optional_computed("include_azure_machine_learning", Type::Bool).description(
                "Also route the IPv4 prefixes of `AzureMachineLearning.<region>` to the Internet (default `false`).",
            ),
            Attribute::computed("routes", Type::list(route_type())).description(
                "The routes this resource manages, as they are in Azure: `name`, `address_prefix` and `next_hop_type`.",
            ),
        ],
    );
    schema.block.blocks.push(timeouts::block(&TIMEOUTS));
    schema
}

fn valid_prefix(prefix: &str) -> bool {
    name_prefix::is_valid(prefix, MAX_PREFIX_LEN)
}

/// Checks that need no Azure. Values still unknown are checked at plan or apply.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics: Diagnostics = timeouts::validate(config).into_iter().collect();
    let mut problem = |attribute: &str, summary: &str, detail: String| {
        diagnostics
            .push(Diagnostic::error(summary, detail).at(AttributePath::attribute(attribute)));
    };
    if let Field::Known(id) = config.str_field("route_table_id")
        && let Err(message) = parse_id(&id, ROUTE_TABLE_TYPE)
    {
        problem("route_table_id", "Invalid route table ID", message);
    }
    if let Field::Known(prefix) = config.str_field("name_prefix")
        && !valid_prefix(&prefix)
    {
        problem(
            "name_prefix",
            "Invalid route name prefix",
            format!(
                "{prefix:?} cannot start route names: use 1 to {MAX_PREFIX_LEN} letters, digits, '.', '_' and '-', starting with a letter or digit."
            ),
        );
    }
    if let Field::Known(region) = config.str_field("region")
        && (region.trim().is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' '))
    {
        problem(
            "region",
            "Invalid region",
            format!("{region:?} is not an Azure region name, like westeurope or West Europe."),
        );
    }
    diagnostics
}

pub struct ForcedTunnelingRoutes {
    session: SessionSlot,
}

impl ForcedTunnelingRoutes {
    pub fn new(session: SessionSlot) -> ForcedTunnelingRoutes {
        ForcedTunnelingRoutes { session }
    }
}

/// The inputs of a plan or apply; the region may wait for the table's location.
struct Inputs {
    table_id: String,
    name_prefix: String,
    region: Option<String>,
    include_azure_ml: bool,
}

impl Inputs {
    /// `None` while a value is unknown.
    fn read(planned: &Value, config: &Value) -> Option<Inputs> {
        let region = match planned.str_field("region") {
            Field::Known(region) => Some(region),
            // Unknown and configured: it comes from another resource. Unknown or null and not
            // configured: the table's location.
            _ if config.attr("region").is_some_and(|r| !r.is_null()) => return None,
            _ => None,
        };
        Some(Inputs {
            table_id: planned.str_field("route_table_id").known()?,
            name_prefix: planned.str_field("name_prefix").known()?,
            region,
            include_azure_ml: planned
                .bool_field("include_azure_machine_learning")
                .known()?,
        })
    }

    fn region(&self, table: &RouteTable) -> String {
        service_tags::normalise_region(
            self.region
                .as_deref()
                .or(table.location.as_deref())
                .unwrap_or_default(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions

fn to_value(route: &Route) -> Value {
    Value::object([
        ("name", route.name.as_str().into()),
        ("address_prefix", route.address_prefix.as_str().into()),
        ("next_hop_type", route.next_hop.as_str().into()),
    ])
}

fn parse_next_hop(text: &str) -> NextHop {
    [
        NextHop::Internet,
        NextHop::VirtualAppliance,
        NextHop::VirtualNetworkGateway,
        NextHop::VnetLocal,
    ]
    .into_iter()
    .find(|hop| hop.as_str().eq_ignore_ascii_case(text))
    .unwrap_or(NextHop::None)
}

fn from_value(value: &Value) -> Option<Route> {
    Some(Route {
        name: value.str_field("name").known()?,
        address_prefix: value.str_field("address_prefix").known()?,
        next_hop: parse_next_hop(&value.str_field("next_hop_type").known()?),
        next_hop_ip: None,
    })
}

/// The routes recorded in a state or plan; `None` when unknown or null.
fn recorded_routes(state: &Value) -> Option<Vec<Route>> {
    let list = state.attr("routes")?;
    if list.is_null() || !list.is_wholly_known() {
        return None;
    }
    Some(
        list.as_elements()
            .unwrap_or_default()
            .iter()
            .filter_map(from_value)
            .collect(),
    )
}

fn to_arm(route: &Route) -> ArmRoute {
    ArmRoute {
        properties: RouteProperties {
            address_prefix: Some(route.address_prefix.clone()),
            next_hop_type: Some(route.next_hop.as_str().into()),
            ..RouteProperties::default()
        },
        ..ArmRoute::default()
    }
}

fn route_id(table_id: &str, name: &str) -> String {
    format!("{}/routes/{name}", table_id.trim_end_matches('/'))
}

fn names(routes: &[Route]) -> Vec<String> {
    routes.iter().map(|r| r.name.clone()).collect()
}

/// The live routes named in `names`, in that order.
fn live_named(table: &routes::RouteTable, names: &[String]) -> Vec<Route> {
    names
        .iter()
        .filter_map(|name| {
            (table.routes.iter())
                .find(|r| r.name.eq_ignore_ascii_case(name))
                .cloned()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Planning

/// Reads the table; a missing one is an error at `route_table_id`.
async fn read_table(
    arm: &ArmClient,
    call: &CallContext,
    table_id: &str,
    cached: bool,
) -> Result<RouteTable, Diagnostic> {
    let result: Result<RouteTable, ArmError> = if cached {
        arm.get_cached(call, table_id, api_version::NETWORK).await
    } else {
        arm.get(call, table_id, api_version::NETWORK).await
    };
    result.map_err(|error| {
        if error.is_not_found() {
            Diagnostic::error(
                "Route table not found",
                format!(
                    "{table_id} does not exist. This resource writes routes onto an existing route table: create it first, or correct route_table_id."
                ),
            )
            .at(AttributePath::attribute("route_table_id"))
        } else {
            arm_diagnostic("Reading the route table failed", &error)
        }
    })
}

/// The service tags of `region`, read through the subscription of the table.
async fn read_tags(
    arm: &ArmClient,
    call: &CallContext,
    table_id: &str,
    region: &str,
) -> Result<Vec<ServiceTag>, Diagnostic> {
    let subscription = parse_id(table_id, ROUTE_TABLE_TYPE)
        .map(|id| id.subscription_id().to_owned())
        .map_err(|m| {
            Diagnostic::error("Invalid route table ID", m)
                .at(AttributePath::attribute("route_table_id"))
        })?;
    service_tags::list(arm, call, &subscription, region)
        .await
        .map_err(|error| arm_diagnostic("Reading the service tags failed", &error))
}

/// The IPv4 prefixes to route: Batch's, then Azure ML's when included.
fn wanted_prefixes(
    tags: &[ServiceTag],
    region: &str,
    include_azure_ml: bool,
) -> Result<Vec<Ipv4Net>, Diagnostic> {
    let mut wanted = vec![BATCH_TAG];
    if include_azure_ml {
        wanted.push(AZURE_ML_TAG);
    }
    let mut prefixes = Vec::new();
    for name in wanted {
        let Some(tag) = service_tags::find(tags, name, Some(region)) else {
            return Err(Diagnostic::error(
                "Service tag not found",
                format!(
                    "Azure's service tag list has no {name} tag for region {region:?}, so there are no prefixes to route. Set region to the region of the compute, like westeurope."
                ),
            )
            .at(AttributePath::attribute("region")));
        };
        prefixes.extend(tag.ipv4_prefixes.iter().copied());
    }
    Ok(prefixes)
}

/// The routes wanted in `table` now, and the findings as diagnostics.
async fn desired(
    session: &Session,
    arm: &ArmClient,
    call: &CallContext,
    inputs: &Inputs,
    table: &RouteTable,
    owned: &[String],
) -> Result<(Vec<Route>, Diagnostics), Diagnostics> {
    let region = inputs.region(table);
    // Any region reads the same list; the table's own is one Azure surely knows.
    let list_location = table
        .location
        .as_deref()
        .map(service_tags::normalise_region)
        .unwrap_or_else(|| region.clone());
    let tags = read_tags(arm, call, &inputs.table_id, &list_location).await?;
    let prefixes = wanted_prefixes(&tags, &region, inputs.include_azure_ml)?;
    let facts = facts::route_table_facts(table);
    let placed = routes::plan_tunnel_routes(&facts, owned, &inputs.name_prefix, &region, &prefixes);
    let mut findings = placed.findings;
    let bgp_propagation = !table
        .properties
        .disable_bgp_route_propagation
        .unwrap_or(false);
    findings.extend(routes::check_tunnel_needed(
        &facts,
        table.properties.subnets.len(),
        bgp_propagation,
    ));
    Ok((placed.routes, session.severities.diagnose(findings)))
}

#[async_trait]
impl ModifyPlan for ForcedTunnelingRoutes {
    async fn modify_plan(
        &self,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        let prior = &request.prior.state;
        let creating = prior.is_null();
        let planned = &mut plan.planned;
        for (name, default) in [
            ("name_prefix", Value::from(DEFAULT_PREFIX)),
            ("include_azure_machine_learning", false.into()),
        ] {
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
            "route_table_id",
        );

        let session = match self.session.get() {
            Ok(session) => session,
            Err(d) => return d.into(),
        };
        let inputs = Inputs::read(planned, &request.config);
        let (Some(arm), Some(inputs)) = (session.arm.as_ref(), inputs) else {
            planned.set_attr("routes", Value::unknown());
            if planned.attr("region").is_none_or(Value::is_null) {
                planned.set_attr("region", Value::unknown());
            }
            plan.private = Checks::DEFERRED.to_vec();
            return Checks::deferred_warning(&self.session.severities(), CHECKED_RULES).into();
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
        let table = match read_table(arm, &call, &inputs.table_id, true).await {
            Ok(table) => table,
            Err(d) => return d.into(),
        };
        if inputs.region.is_none() {
            // A configured region stays as written; only the default comes from the table.
            planned.set_attr("region", inputs.region(&table).into());
        }
        let owned = if creating {
            Vec::new()
        } else {
            names(&recorded_routes(prior).unwrap_or_default())
        };
        match desired(&session, arm, &call, &inputs, &table, &owned).await {
            Ok((wanted, diagnostics)) => {
                planned.set_attr("routes", Value::List(wanted.iter().map(to_value).collect()));
                plan.private = Vec::new();
                if !diagnostics.has_errors() {
                    // Clusters planned after these routes check the table with them in place.
                    let removed = (owned.iter())
                        .filter(|name| !wanted.iter().any(|w| w.name.eq_ignore_ascii_case(name)))
                        .cloned()
                        .collect();
                    let route_set_id = format!("{}|{}", inputs.table_id, inputs.name_prefix);
                    session.planned.note_routes(
                        &inputs.table_id,
                        &route_set_id,
                        PlannedRoutes {
                            written: wanted,
                            removed,
                        },
                    );
                }
                diagnostics
            }
            Err(diagnostics) => diagnostics,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Apply

impl ForcedTunnelingRoutes {
    /// Creates or updates: checks the plan still holds against the table and the service
    /// tags as they are now, then writes the missing or changed routes one by one and removes
    /// owned routes no longer wanted (after the new ones are in place).
    async fn apply(
        &self,
        ctx: &Context,
        request: ApplyRequest,
        operation: Operation,
    ) -> Outcome<Stored> {
        let (session, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return Outcome::failed(d),
        };
        let mut planned = request.planned.clone();
        let Some(inputs) = Inputs::read(&planned, &request.config) else {
            return Outcome::failed(Diagnostic::error(
                "Value not known at apply",
                "A value of the forced-tunnelling routes is still unknown at apply.",
            ));
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&planned, operation));
        let table = match read_table(&arm, &call, &inputs.table_id, false).await {
            Ok(table) => table,
            Err(d) => return Outcome::failed(d),
        };
        if inputs.region.is_none() {
            // A configured region stays as written; only the default comes from the table.
            planned.set_attr("region", inputs.region(&table).into());
        }
        let prior = recorded_routes(&request.prior.state).unwrap_or_default();
        let owned = names(&prior);
        let (wanted, mut diagnostics) =
            match desired(&session, &arm, &call, &inputs, &table, &owned).await {
                Ok(pair) => pair,
                Err(d) => return Outcome::failed(d),
            };
        if diagnostics.has_errors() {
            return Outcome::failed(diagnostics);
        }
        if let Some(planned_routes) = recorded_routes(&request.planned)
            && planned_routes != wanted
        {
            let describe = |routes: &[Route]| {
                let list: Vec<&str> = routes.iter().map(|r| r.address_prefix.as_str()).collect();
                list.join(", ")
            };
            diagnostics.push(Diagnostic::error(
                "Route table or service tags changed since plan",
                format!(
                    "The plan routes {}, but the route table and service tags as they are now give {}: Azure published new prefixes, or another change took a route name or prefix in between. Nothing was written; run terraform plan again.",
                    describe(&planned_routes),
                    describe(&wanted)
                ),
            ));
            return Outcome::failed(diagnostics);
        }

        // What exists of ours, by lower-case name, kept current as writes succeed.
        let live = facts::route_table_facts(&table);
        let mut current: BTreeMap<String, Route> = live_named(&live, &owned)
            .into_iter()
            .map(|r| (r.name.to_ascii_lowercase(), r))
            .collect();
        let wanted_names: Vec<String> =
            wanted.iter().map(|r| r.name.to_ascii_lowercase()).collect();
        let changed: Vec<&Route> = wanted
            .iter()
            .filter(|r| {
                !current
                    .get(&r.name.to_ascii_lowercase())
                    .is_some_and(|l| same(l, r))
            })
            .collect();
        let stale: Vec<String> = current
            .keys()
            .filter(|name| !wanted_names.contains(name))
            .cloned()
            .collect();
        let mut failure = None;
        'writes: {
            for route in changed {
                let written: Result<ArmRoute, ArmError> = arm
                    .put(
                        &call,
                        &route_id(&inputs.table_id, &route.name),
                        api_version::NETWORK,
                        &to_arm(route),
                    )
                    .await;
                match written {
                    Ok(answer) => {
                        let p = &answer.properties;
                        let live = Route {
                            name: answer.name.clone().unwrap_or_else(|| route.name.clone()),
                            address_prefix: p
                                .address_prefix
                                .clone()
                                .unwrap_or_else(|| route.address_prefix.clone()),
                            next_hop: parse_next_hop(p.next_hop_type.as_deref().unwrap_or("")),
                            next_hop_ip: None,
                        };
                        current.insert(route.name.to_ascii_lowercase(), live);
                    }
                    Err(e) => {
                        // Unless ARM refused it, Azure may hold the route: record it as
                        // written, and the next refresh keeps it only if it is there.
                        if !e.write_refused() {
                            current.insert(route.name.to_ascii_lowercase(), route.clone());
                        }
                        failure = Some((format!("Writing route '{}' failed", route.name), e));
                        break 'writes;
                    }
                }
            }
            for name in &stale {
                let Some(route) = current.get(name) else {
                    continue;
                };
                let route_name = route.name.clone();
                if let Err(e) = arm
                    .delete(
                        &call,
                        &route_id(&inputs.table_id, &route_name),
                        api_version::NETWORK,
                        &[],
                    )
                    .await
                {
                    failure = Some((format!("Removing route '{route_name}' failed"), e));
                    break 'writes;
                }
                current.remove(name);
            }
        }

        // The state lists what exists: the wanted routes in order, then leftovers not yet
        // removed (so a failed apply forgets nothing).
        let mut recorded: Vec<Value> = Vec::new();
        for route in &wanted {
            if let Some(live) = current.remove(&route.name.to_ascii_lowercase()) {
                recorded.push(to_value(&live));
            }
        }
        recorded.extend(current.values().map(to_value));
        planned.set_attr("routes", Value::List(recorded));
        if let Some((summary, error)) = failure {
            diagnostics.push(arm_diagnostic(&summary, &error));
        }
        Outcome {
            value: Some(Stored::new(planned)),
            diagnostics,
        }
    }
}

/// Same destination and next hop; names compare without regard to case.
fn same(live: &Route, wanted: &Route) -> bool {
    live.next_hop == wanted.next_hop
        && match (
            live.address_prefix.parse::<Ipv4Net>(),
            wanted.address_prefix.parse::<Ipv4Net>(),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => live.address_prefix == wanted.address_prefix,
        }
}

#[async_trait]
impl Resource for ForcedTunnelingRoutes {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn create(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        self.apply(ctx, request, Operation::Create).await
    }

    async fn read(&self, ctx: &Context, current: Stored) -> Outcome<Stored> {
        let session = match self.session.get() {
            Ok(session) => session,
            Err(d) => return Outcome::failed(d),
        };
        let Some(arm) = session.arm.as_ref() else {
            return Outcome::ok(current);
        };
        let Field::Known(table_id) = current.state.str_field("route_table_id") else {
            return Outcome::failed(Diagnostic::error(
                "Missing route table",
                "The stored state has no route_table_id.",
            ));
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&current.state, Operation::Read));
        let table: RouteTable = match arm
            .get_cached_existing(&call, &table_id, api_version::NETWORK)
            .await
        {
            Ok(Some(table)) => table,
            Ok(None) => return Outcome::gone(),
            Err(e) => {
                return Outcome::failed(arm_diagnostic("Reading the route table failed", &e));
            }
        };
        let live = facts::route_table_facts(&table);
        let mut state = current.state.clone();
        let prefix = state
            .str_field("name_prefix")
            .known()
            .unwrap_or_else(|| DEFAULT_PREFIX.into());
        let routes = match recorded_routes(&current.state) {
            Some(recorded) => live_named(&live, &names(&recorded)),
            None => {
                // Imported: the routes are those named as this resource names them.
                let adopted = adopted_routes(&live, &prefix);
                if state
                    .attr("include_azure_machine_learning")
                    .is_none_or(Value::is_null)
                {
                    let region = Inputs {
                        table_id: table_id.clone(),
                        name_prefix: prefix.clone(),
                        region: state.str_field("region").known(),
                        include_azure_ml: false,
                    }
                    .region(&table);
                    let include = match read_tags(arm, &call, &table_id, &region).await {
                        Ok(tags) => routes_azure_ml(&tags, &region, &adopted),
                        Err(_) => false,
                    };
                    state.set_attr("include_azure_machine_learning", include.into());
                }
                adopted
            }
        };
        state.set_attr("routes", Value::List(routes.iter().map(to_value).collect()));
        if state.attr("region").is_none_or(Value::is_null) {
            state.set_attr(
                "region",
                service_tags::normalise_region(table.location.as_deref().unwrap_or_default())
                    .into(),
            );
        }
        if state.attr("name_prefix").is_none_or(Value::is_null) {
            state.set_attr("name_prefix", prefix.as_str().into());
        }
        Outcome::ok(Stored {
            state,
            private: Vec::new(),
        })
    }

    async fn update(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        if super::changes_nothing_in_azure(&schema(), &request.prior.state, &request.planned) {
            return Outcome::ok(Stored::new(request.planned));
        }
        self.apply(ctx, request, Operation::Update).await
    }

    async fn delete(&self, ctx: &Context, prior: Stored) -> Diagnostics {
        let (_, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return d.into(),
        };
        let Field::Known(table_id) = prior.state.str_field("route_table_id") else {
            return Diagnostics::new();
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&prior.state, Operation::Delete));
        for route in recorded_routes(&prior.state).unwrap_or_default() {
            if let Err(error) = arm
                .delete(
                    &call,
                    &route_id(&table_id, &route.name),
                    api_version::NETWORK,
                    &[],
                )
                .await
            {
                return arm_diagnostic(&format!("Removing route '{}' failed", route.name), &error)
                    .into();
            }
        }
        Diagnostics::new()
    }

    fn modify_plan(&self) -> Option<&dyn ModifyPlan> {
        Some(self)
    }

    fn identity(&self) -> Option<&dyn Identity> {
        Some(&super::identity::ROUTES)
    }

    fn list(&self) -> Option<&dyn ListResource> {
        Some(self)
    }

    fn import(&self) -> Option<&dyn ImportState> {
        Some(self)
    }
}

/// The routes of `table` named as this resource names them with `prefix`: exactly
/// `<prefix>-<address>-<length>` for their own address prefix; sorted by address, as plans
/// list them.
fn adopted_routes(table: &routes::RouteTable, prefix: &str) -> Vec<Route> {
    let mut adopted: Vec<(Ipv4Net, Route)> = (table.routes.iter())
        .filter_map(|r| {
            let net = r.address_prefix.parse::<Ipv4Net>().ok()?;
            routes::tunnel_route_name(prefix, net)
                .eq_ignore_ascii_case(&r.name)
                .then(|| (net.trunc(), r.clone()))
        })
        .collect();
    adopted.sort_by_key(|(net, _)| *net);
    adopted.into_iter().map(|(_, r)| r).collect()
}

/// Whether some of `adopted` route `AzureMachineLearning.<region>` prefixes that are not
/// Batch's: an imported resource then includes Azure Machine Learning.
fn routes_azure_ml(tags: &[ServiceTag], region: &str, adopted: &[Route]) -> bool {
    let of = |name: &str| {
        service_tags::find(tags, name, Some(region))
            .map(|t| t.ipv4_prefixes.clone())
            .unwrap_or_default()
    };
    let (batch, azure_ml) = (of(BATCH_TAG), of(AZURE_ML_TAG));
    adopted.iter().any(|r| {
        r.address_prefix
            .parse::<Ipv4Net>()
            .is_ok_and(|net| azure_ml.contains(&net) && !batch.contains(&net))
    })
}

#[async_trait]
impl ListResource for ForcedTunnelingRoutes {
    fn list_schema(&self) -> Schema {
        listing::prefix_list_schema(
            "forced-tunnelling route sets",
            "route_table_id",
            "route table",
        )
    }

    async fn validate_list(&self, config: &Value) -> Diagnostics {
        listing::validate_id(config, "route_table_id", ROUTE_TABLE_TYPE)
    }

    async fn list(&self, ctx: &Context, request: ListRequest) -> Outcome<Vec<Listed>> {
        let (session, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return Outcome::failed(d),
        };
        let Field::Known(table_id) = request.config.str_field("route_table_id") else {
            return Outcome::failed(Diagnostic::error(
                "Missing route_table_id",
                "Give the ARM ID of the route table to look at.",
            ));
        };
        let call = call_context(ctx, listing::LIST_TIMEOUT);
        let table = match read_table(&arm, &call, &table_id, true).await {
            Ok(table) => table,
            Err(d) => return Outcome::failed(d),
        };
        // Internet routes named `<prefix>-<address>-<length>` for their own address.
        let live = facts::route_table_facts(&table);
        let candidates: Vec<(&str, String)> = live
            .routes
            .iter()
            .filter(|r| r.next_hop == NextHop::Internet)
            .filter_map(|r| {
                let net = r.address_prefix.parse::<Ipv4Net>().ok()?;
                Some((r.name.as_str(), routes::tunnel_route_name("", net)))
            })
            .collect();
        let prefixes = listing::prefixes_in(candidates, valid_prefix);
        let mut found = Vec::new();
        for prefix in prefixes {
            let state = match imported_state(&format!("{table_id}|{prefix}")) {
                Ok(state) => state,
                Err(d) => return Outcome::failed(d),
            };
            let read = self.read(ctx, Stored::new(state)).await;
            let Some(stored) = read.value else {
                return Outcome::failed(read.diagnostics);
            };
            let state = stored.state;
            let display_name = format!("{}|{prefix}", table.name.as_deref().unwrap_or_default());
            // What a plan of these routes would report about the table as it is.
            let findings = match Inputs::read(&state, &state) {
                Some(inputs) => {
                    let owned = names(&recorded_routes(&state).unwrap_or_default());
                    match desired(&session, &arm, &call, &inputs, &table, &owned).await {
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

/// The state `read` completes from an import ID, `<route table id>|<name_prefix>` or
/// `<route table id>`.
fn imported_state(id: &str) -> Result<Value, Diagnostic> {
    let usage = "Import by the route table's ARM ID, for name_prefix amlsecure, or by `<route table ARM ID>|<name_prefix>`.";
    let (table_id, prefix) =
        name_prefix::parse_import_id(id, ROUTE_TABLE_TYPE, MAX_PREFIX_LEN, usage)?;
    let mut state = super::empty_state(&schema());
    state.set_attr("id", format!("{table_id}|{prefix}").into());
    state.set_attr("route_table_id", table_id.into());
    state.set_attr("name_prefix", prefix.into());
    Ok(state)
}

#[async_trait]
impl ImportState for ForcedTunnelingRoutes {
    async fn import_state(&self, _ctx: &Context, id: &str) -> Outcome<Stored> {
        match imported_state(id) {
            Ok(state) => Outcome::ok(Stored::new(state)),
            Err(d) => Outcome::failed(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt";

    fn config(overrides: &[(&str, Value)]) -> Value {
        let mut config = super::super::empty_state(&schema());
        config.set_attr("route_table_id", TABLE.into());
        for (name, value) in overrides {
            config.set_attr(name, value.clone());
        }
        config
    }

    fn route(name: &str, prefix: &str, next_hop: NextHop) -> Route {
        Route {
            name: name.into(),
            address_prefix: prefix.into(),
            next_hop,
            next_hop_ip: None,
        }
    }

    #[test]
    fn each_bad_value_points_at_its_attribute() {
        assert!(validate(&config(&[])).is_empty());
        assert!(validate(&config(&[("route_table_id", Value::unknown())])).is_empty());
        // Written as the portal shows it, as the service tag data source accepts it.
        assert!(validate(&config(&[("region", "West Europe".into())])).is_empty());
        let nsg = TABLE.replace("routeTables", "networkSecurityGroups");
        for (attribute, value) in [
            ("route_table_id", Value::from("rt")),
            ("route_table_id", Value::from(nsg.as_str())),
            ("name_prefix", "-x".into()),
            ("name_prefix", "a b".into()),
            ("name_prefix", "x".repeat(62).as_str().into()),
            ("region", "west-europe".into()),
            ("region", " ".into()),
        ] {
            let found: Vec<String> = validate(&config(&[(attribute, value.clone())]))
                .iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect();
            assert_eq!(found, [attribute], "{attribute} = {value:?}");
        }
    }

    #[test]
    fn longest_prefix_makes_an_80_character_name() {
        let name = routes::tunnel_route_name(
            &"x".repeat(MAX_PREFIX_LEN),
            "255.255.255.255/32".parse().unwrap(),
        );
        assert_eq!(name.len(), 80);
    }

    #[test]
    fn routes_round_trip_through_state_and_arm() {
        let r = route(
            "amlsecure-198-18-32-0-25",
            "198.18.32.0/25",
            NextHop::Internet,
        );
        assert_eq!(from_value(&to_value(&r)), Some(r.clone()));
        let body = serde_json::to_value(to_arm(&r)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"properties": {"addressPrefix": "198.18.32.0/25", "nextHopType": "Internet"}})
        );
        assert!(same(
            &route("a", "198.18.32.0/25", NextHop::Internet),
            &route("A", "198.18.32.0/25", NextHop::Internet)
        ));
        assert!(!same(
            &route("a", "198.18.32.0/25", NextHop::VirtualAppliance),
            &r
        ));
    }

    #[test]
    fn import_adopts_only_routes_named_for_their_prefix() {
        let table = routes::RouteTable {
            name: "rt".into(),
            routes: vec![
                route(
                    "amlsecure-198-18-32-0-25",
                    "198.18.32.0/25",
                    NextHop::Internet,
                ),
                route(
                    "amlsecure-198-18-32-0-25x",
                    "198.18.32.0/25",
                    NextHop::Internet,
                ),
                route("amlsecure-10-0-0-0-8", "198.18.0.0/8", NextHop::Internet),
                route(
                    "other-198-18-32-192-27",
                    "198.18.32.192/27",
                    NextHop::Internet,
                ),
            ],
        };
        assert_eq!(
            names(&adopted_routes(&table, "amlsecure")),
            ["amlsecure-198-18-32-0-25"]
        );
        assert_eq!(
            names(&adopted_routes(&table, "other")),
            ["other-198-18-32-192-27"]
        );
    }

    #[test]
    fn import_ids_name_the_table_and_prefix() {
        let plain = imported_state(TABLE).unwrap();
        assert_eq!(
            plain.str_field("name_prefix"),
            Field::Known(DEFAULT_PREFIX.into())
        );
        assert_eq!(
            plain.str_field("id"),
            Field::Known(format!("{TABLE}|{DEFAULT_PREFIX}"))
        );
        assert!(plain.attr("routes").unwrap().is_null());
        let named = imported_state(&format!("{TABLE}|corp")).unwrap();
        assert_eq!(named.str_field("name_prefix"), Field::Known("corp".into()));
        assert!(imported_state("rt").is_err());
        assert!(imported_state(&format!("{TABLE}|-x")).is_err());
    }
}
