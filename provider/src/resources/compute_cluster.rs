//! `amlsecure_compute_cluster`: an Azure ML compute cluster (AmlCompute), optionally in a
//! customer subnet, whose plan enforces the seed's network rules before anything is written.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use tfplugin::resource::{ApplyRequest, Context, ListResource, Outcome, Plan, PlanRequest, Stored};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::timeouts::{self, Defaults, Operation};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::drift::{self, ForeignTags};
use super::workspace_compute::{
    ComputeKind, Creating, WORKSPACE_TYPE, Wording, WorkspaceCompute, check_compute_location,
    diagnosed_or_deferred, identifying_attributes, identifying_state, location_state, plan_id,
    validate_timeouts_and_name,
};
use super::{Found, diagnosed, keep_casing, listing};
use crate::arm::models::SubResource;
use crate::arm::models::ml::{
    AmlComputeProperties, Compute, ComputeProperties, ComputeResource, ScaleSettings,
};
use crate::arm::{ArmClient, CallContext, ResourceId, api_version};
use crate::checks::Severities;
use crate::checks::facts;
use crate::checks::run::{self, Checked, ClusterLocation, ClusterPlan};
use crate::rules::{Profile, nsg};
use crate::session::{Session, SessionSlot};
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

/// The rules this resource's checks raise, by number (see [`super::Checks::deferred_warning`]).
const CHECKED_RULES: &[std::ops::RangeInclusive<u16>] =
    &[101..=122, 127..=155, 404..=407, 413..=413];

pub const TYPE_NAME: &str = "amlsecure_compute_cluster";

pub const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(30 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(30 * 60),
    delete: Duration::from_secs(30 * 60),
};

pub const DEFAULT_PRIORITY: &str = "Dedicated";
/// ARM's node counts are 32-bit integers.
const INT32_MAX: i64 = i32::MAX as i64;
pub const DEFAULT_MIN_NODES: i64 = 0;
pub const DEFAULT_IDLE_SECONDS: i64 = 120;
/// Checked at plan only: where SSH to the nodes comes from.
const SSH_SOURCES: &str = "ssh_source_addresses";

pub fn schema() -> Schema {
    let mut schema = Schema::new(
        "An Azure Machine Learning compute cluster (AmlCompute). With `subnet_id` it runs in your virtual network, and `terraform plan` checks that network against Azure's rules (free addresses, required ports, forced tunnelling, placement, quotas, locks) before anything is created.",
        identifying_attributes().into_iter().chain([
            Attribute::optional_computed("location", Type::String)
                .requires_replace()
                .ignore_case()
                .not_blank()
                .description("Azure region of the cluster; defaults to the workspace's. Under the provider's `guidance = \"current\"` a cluster may use a network in another region: set this to the network's region."),
            Attribute::required("vm_size", Type::String)
                .requires_replace()
                .ignore_case()
                .not_blank()
                .description("VM size of the nodes, like `STANDARD_D2_V2`."),
            Attribute::optional_computed("vm_priority", Type::String)
                .requires_replace()
                .one_of(&["Dedicated", "LowPriority"])
                .description("`Dedicated` (default, also when left out) or `LowPriority`. Azure cannot change it in place: a change, also one made outside Terraform, replaces the cluster."),
            Attribute::optional_computed("min_nodes", Type::Number)
                .whole_numbers(0..=INT32_MAX)
                .description("Nodes kept when idle (default 0, also when left out). Changes in place."),
            Attribute::required("max_nodes", Type::Number)
                .whole_numbers(1..=INT32_MAX)
                .description("Most nodes the cluster scales to; each takes one address of the subnet. Changes in place."),
            Attribute::optional_computed("idle_seconds_before_scale_down", Type::Number)
                .whole_numbers(0..=INT32_MAX)
                .description("Idle seconds before a node is released (default 120, also when left out). Changes in place."),
            Attribute::optional("subnet_id", Type::String)
                .requires_replace()
                .ignore_case()
                .description("ARM ID of the subnet the nodes join (any letter case). Without it, Azure manages the network."),
            Attribute::optional_computed("node_public_ip_enabled", Type::Bool)
                .requires_replace()
                .description("Whether nodes get public IP addresses (default `true`, also when left out; a change replaces the cluster). Without them the workspace needs an approved private endpoint, checked under the provider's `guidance = \"current\"`, which knows such clusters."),
            Attribute::optional_computed("ssh_public_access_enabled", Type::Bool)
                .requires_replace()
                .description("Whether SSH port 22 is open on the nodes' public addresses (default `false`, also when left out). Azure cannot change it in place: a change, also one made outside Terraform, replaces the cluster."),
            Attribute::optional(SSH_SOURCES, Type::list(Type::String))
                .description("Where SSH to the nodes comes from, with `ssh_public_access_enabled`: IPv4 addresses and CIDR ranges, or one service tag like `Internet`. `terraform plan` checks that the subnet's network security group lets TCP 22 in from them (from any public address when left out). Azure is not told; changing it changes nothing there."),
            Attribute::optional("description", Type::String).requires_replace(),
            Attribute::optional("tags", Type::map(Type::String)).description(
                "Tags of the compute. Azure has no operation that changes a compute's tags in place, so a tag added or changed here, or a managed tag changed outside Terraform, replaces the cluster. A tag removed from this map is let go: it stays in Azure, no longer managed. Tags others add (Azure Policy does) follow `foreign_tags`.",
            ),
            Attribute::optional_computed("foreign_tags", Type::String)
                .one_of(ForeignTags::VALUES)
                .description(
                "What tags in Azure that `tags` does not set mean: `keep` (default) leaves them alone and out of drift, for tags Azure Policy or other teams add; `remove` makes them drift, and the plan replaces the cluster to drop them (also the plan that switches to `remove`, naming them).",
            ),
            Attribute::computed("provisioning_state", Type::String)
                .description("Azure's provisioning state, like `Succeeded`. A cluster Azure reports `Failed` is replaced by the next apply."),
            Attribute::computed("allocation_state", Type::String)
                .description("`Steady` or `Resizing`."),
            Attribute::computed("current_node_count", Type::Number),
            Attribute::computed("target_node_count", Type::Number),
        ]).collect(),
    );
    schema.block.blocks.push(timeouts::block(&TIMEOUTS));
    schema
}

/// Checks that need no Azure: names, IDs, numbers. Values still unknown are skipped here;
/// plan or apply checks them.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = validate_timeouts_and_name(config);
    let mut problem = |attribute: &str, summary: &str, detail: String| {
        diagnostics
            .push(Diagnostic::error(summary, detail).at(AttributePath::attribute(attribute)));
    };
    if let Field::Known(id) = config.str_field("workspace_id")
        && let Err(message) = parse_id(&id, WORKSPACE_TYPE)
    {
        problem("workspace_id", "Invalid workspace ID", message);
    }
    if let Field::Known(id) = config.str_field("subnet_id")
        && let Err(message) = parse_id(&id, "Microsoft.Network/virtualNetworks/subnets")
    {
        problem("subnet_id", "Invalid subnet ID", message);
    }
    if let Field::Known(sources) = config.strings_field(SSH_SOURCES) {
        if let Err(message) = nsg::client_sources(&sources) {
            problem(
                SSH_SOURCES,
                "Invalid SSH sources",
                format!("ssh_source_addresses: {message}."),
            );
        } else if config.bool_field("ssh_public_access_enabled") == Field::Known(false) {
            problem(
                SSH_SOURCES,
                "SSH is not enabled",
                "ssh_source_addresses says where SSH to the nodes comes from, but ssh_public_access_enabled is false, so the nodes accept none. Set ssh_public_access_enabled = true, or remove ssh_source_addresses.".into(),
            );
        }
    }
    let min = config.i64_field("min_nodes");
    let max = config.i64_field("max_nodes");
    if let (Field::Known(min), Field::Known(max)) = (min, max)
        && min > max
    {
        problem(
            "min_nodes",
            "Invalid node counts",
            format!(
                "min_nodes ({min}) is above max_nodes ({max}); lower min_nodes or raise max_nodes."
            ),
        );
    }
    diagnostics
}

pub type ComputeCluster = WorkspaceCompute<Cluster>;

/// The compute kind of `amlsecure_compute_cluster`.
#[derive(Default)]
pub struct Cluster;

/// The cluster as planned, every value known (apply time).
struct Desired {
    id: ResourceId,
    location: String,
    vm_size: String,
    vm_priority: String,
    min_nodes: i64,
    max_nodes: i64,
    idle_seconds: i64,
    subnet_id: Option<String>,
    node_public_ip_enabled: bool,
    ssh_public_access_enabled: bool,
    description: Option<String>,
    tags: BTreeMap<String, String>,
}

impl Desired {
    fn read(planned: &Value) -> Result<Desired, Diagnostic> {
        let text = |name: &str| {
            planned.str_field(name).known().ok_or_else(|| {
                Diagnostic::error(
                    "Value not known at apply",
                    format!("{name} is still unknown."),
                )
                .at(AttributePath::attribute(name))
            })
        };
        let number = |name: &str| {
            planned.i64_field(name).known().ok_or_else(|| {
                Diagnostic::error(
                    "Value not known at apply",
                    format!("{name} is still unknown."),
                )
                .at(AttributePath::attribute(name))
            })
        };
        let workspace = parse_id(&text("workspace_id")?, WORKSPACE_TYPE).map_err(|m| {
            Diagnostic::error("Invalid workspace ID", m)
                .at(AttributePath::attribute("workspace_id"))
        })?;
        Ok(Desired {
            id: workspace.child("computes", &text("name")?),
            location: text("location")?,
            vm_size: text("vm_size")?,
            vm_priority: text("vm_priority")?,
            min_nodes: number("min_nodes")?,
            max_nodes: number("max_nodes")?,
            idle_seconds: number("idle_seconds_before_scale_down")?,
            subnet_id: planned.str_field("subnet_id").known(),
            node_public_ip_enabled: planned
                .bool_field("node_public_ip_enabled")
                .known()
                .unwrap_or(true),
            ssh_public_access_enabled: planned
                .bool_field("ssh_public_access_enabled")
                .known()
                .unwrap_or(false),
            description: planned.str_field("description").known(),
            tags: planned
                .string_map_field("tags")
                .known()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        })
    }

    fn scale_settings(&self) -> ScaleSettings {
        ScaleSettings {
            max_node_count: self.max_nodes as i32,
            min_node_count: Some(self.min_nodes as i32),
            node_idle_time_before_scale_down: Some(format!("PT{}S", self.idle_seconds)),
        }
    }

    fn body(&self) -> ComputeResource {
        let access = if self.ssh_public_access_enabled {
            "Enabled"
        } else {
            "Disabled"
        };
        ComputeResource {
            location: Some(self.location.clone()),
            tags: (!self.tags.is_empty()).then(|| self.tags.clone()),
            properties: Compute {
                compute_type: "AmlCompute".into(),
                description: self.description.clone(),
                properties: Some(ComputeProperties::AmlCompute(AmlComputeProperties {
                    os_type: Some("Linux".into()),
                    vm_size: Some(self.vm_size.clone()),
                    vm_priority: Some(self.vm_priority.clone()),
                    scale_settings: Some(self.scale_settings()),
                    subnet: self.subnet_id.clone().map(|id| SubResource { id }),
                    remote_login_port_public_access: Some(access.into()),
                    enable_node_public_ip: Some(self.node_public_ip_enabled),
                    ..AmlComputeProperties::default()
                })),
                ..Compute::default()
            },
            ..ComputeResource::default()
        }
    }
}

/// Terraform state from what Azure reports, keeping the casing the user wrote for IDs and
/// names Azure echoes differently (so a refresh shows no false drift), and tags as
/// `tags_behaviour` says.
fn state_with_tags(
    compute: &ComputeResource,
    id: &ResourceId,
    prior: &Value,
    tags_behaviour: ForeignTags,
) -> Result<Value, Diagnostic> {
    let Some(aml) = compute.aml_compute() else {
        return Err(Diagnostic::error(
            "Not a compute cluster",
            format!(
                "{id} is a {} compute, not an AmlCompute cluster; manage it with the matching resource type.",
                compute.properties.compute_type
            ),
        ));
    };
    let scale = aml.scale_settings.clone().unwrap_or(ScaleSettings {
        max_node_count: 0,
        min_node_count: None,
        node_idle_time_before_scale_down: None,
    });
    let kept =
        |name: &str, azure: Option<String>| keep_casing(prior.str_field(name).known(), azure);
    // Only the ID is known after an import: every tag is reported, nothing is managed yet.
    let imported = prior.attr("name").is_none_or(Value::is_null);
    let tags = drift::reported_tags(
        &compute.tags.clone().unwrap_or_default(),
        prior.attr("tags"),
        tags_behaviour,
        imported,
    );
    Ok(Value::object(
        identifying_state(id, prior).into_iter().chain([
            ("location", location_state(compute, prior)),
            ("vm_size", kept("vm_size", aml.vm_size.clone()).into()),
            (
                "vm_priority",
                kept("vm_priority", aml.vm_priority.clone()).into(),
            ),
            (
                "min_nodes",
                i64::from(scale.min_node_count.unwrap_or(0)).into(),
            ),
            ("max_nodes", i64::from(scale.max_node_count).into()),
            (
                "idle_seconds_before_scale_down",
                scale
                    .node_idle_time_before_scale_down
                    .as_deref()
                    .and_then(iso8601_seconds)
                    .unwrap_or(DEFAULT_IDLE_SECONDS)
                    .into(),
            ),
            (
                "subnet_id",
                kept("subnet_id", aml.subnet.as_ref().map(|s| s.id.clone())).into(),
            ),
            (
                "node_public_ip_enabled",
                aml.enable_node_public_ip.unwrap_or(true).into(),
            ),
            (
                "ssh_public_access_enabled",
                aml.remote_login_port_public_access
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case("Enabled"))
                    .into(),
            ),
            (
                SSH_SOURCES,
                prior.attr(SSH_SOURCES).cloned().unwrap_or(Value::Null),
            ),
            ("description", compute.properties.description.clone().into()),
            ("tags", tags),
            (
                "foreign_tags",
                prior
                    .attr("foreign_tags")
                    .filter(|v| !v.is_null())
                    .cloned()
                    .unwrap_or_else(|| ForeignTags::DEFAULT.into()),
            ),
            (
                "provisioning_state",
                compute.properties.provisioning_state.clone().into(),
            ),
            ("allocation_state", aml.allocation_state.clone().into()),
            (
                "current_node_count",
                aml.current_node_count.map(i64::from).into(),
            ),
            (
                "target_node_count",
                aml.target_node_count.map(i64::from).into(),
            ),
            (
                "timeouts",
                prior.attr("timeouts").cloned().unwrap_or(Value::Null),
            ),
        ]),
    ))
}

/// The nodes Azure has placed, as `state` records them: the subnet already holds their
/// addresses.
fn nodes_placed(state: &Value) -> u64 {
    state
        .i64_field("current_node_count")
        .known()
        .unwrap_or(0)
        .max(0) as u64
}

/// Whether the scale settings, the only settings Azure changes in place, differ.
fn scale_changes(prior: &Value, planned: &Value) -> bool {
    ["min_nodes", "max_nodes", "idle_seconds_before_scale_down"]
        .iter()
        .any(|name| prior.attr(name) != planned.attr(name))
}

/// Where public SSH to the nodes comes from, and the attribute findings point at: `None`
/// while unknown, `Some(None)` when the nodes accept no SSH.
fn public_ssh(planned: &Value) -> Option<Option<(nsg::Remote, &'static str)>> {
    match planned.bool_field("ssh_public_access_enabled") {
        Field::Unknown => None,
        Field::Null | Field::Known(false) => Some(None),
        Field::Known(true) => match planned.strings_field(SSH_SOURCES) {
            Field::Unknown => None,
            Field::Null => Some(Some((
                nsg::Remote::Clients(nsg::Clients::AnyPublic),
                "ssh_public_access_enabled",
            ))),
            // Bad sources are validate's error.
            Field::Known(sources) => Some(
                nsg::client_sources(&sources)
                    .ok()
                    .map(|sources| (sources, SSH_SOURCES)),
            ),
        },
    }
}

/// Seconds of an ISO 8601 duration as ARM writes them: `PT120S`, `PT5M`, `PT1H30M`.
fn iso8601_seconds(text: &str) -> Option<i64> {
    let mut rest = text.strip_prefix("PT")?;
    let mut total = 0i64;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !c.is_ascii_digit())?;
        let number: i64 = rest[..end].parse().ok()?;
        let unit = rest[end..].chars().next()?;
        total += number
            * match unit {
                'H' => 3600,
                'M' => 60,
                'S' => 1,
                _ => return None,
            };
        rest = &rest[end + 1..];
    }
    Some(total)
}

impl Cluster {
    /// The network rules of the session's guidance profile for the planned cluster, against
    /// live Azure. `Ok(None)` when a value they need is unknown until apply. `config` is the
    /// configuration at plan (it tells a location left to default from one not yet known).
    #[allow(clippy::too_many_arguments)]
    async fn findings(
        &self,
        arm: &ArmClient,
        ctx: &CallContext,
        session: &Session,
        planned: &Value,
        config: Option<&Value>,
        nodes_already_placed: u64,
        creating: bool,
    ) -> Found {
        let profile = session.severities.profile();
        let (Field::Known(workspace_id), subnet_id, Field::Known(max_nodes)) = (
            planned.str_field("workspace_id"),
            planned.str_field("subnet_id"),
            planned.i64_field("max_nodes"),
        ) else {
            return Ok(None);
        };
        let public_ip = match planned.bool_field("node_public_ip_enabled") {
            Field::Known(enabled) => enabled,
            Field::Null => true,
            Field::Unknown if profile == Profile::Seed => true,
            Field::Unknown => return Ok(None),
        };
        let location = match (planned.str_field("location"), config) {
            (Field::Known(location), _) => ClusterLocation::Set(location),
            (_, Some(config)) if config.attr("location").is_none_or(Value::is_null) => {
                ClusterLocation::Workspace
            }
            _ => ClusterLocation::Unchecked,
        };
        let subnet_id = match subnet_id {
            Field::Unknown => return Ok(None),
            Field::Null => return Ok(Some(Vec::new())),
            Field::Known(id) => id,
        };
        let fail = |attribute: &str, error: crate::arm::ArmError| {
            Diagnostics::from(
                arm_diagnostic("Cannot read the network to check it", &error)
                    .at(AttributePath::attribute(attribute)),
            )
        };
        let workspace_id = parse_id(&workspace_id, WORKSPACE_TYPE)
            .map_err(|m| Diagnostics::from(Diagnostic::error("Invalid workspace ID", m)))?;
        let subnet_id = parse_id(&subnet_id, "Microsoft.Network/virtualNetworks/subnets")
            .map_err(|m| Diagnostics::from(Diagnostic::error("Invalid subnet ID", m)))?;
        let needed = (max_nodes.max(0) as u64).saturating_sub(nodes_already_placed);
        // Public SSH is checked under the 2019 guidance only (AMLS117, AMLS118).
        let public_ssh = match profile {
            Profile::Seed => match public_ssh(planned) {
                Some(public_ssh) => public_ssh,
                None => return Ok(None),
            },
            Profile::Current => None,
        };
        let cluster = ClusterPlan {
            instance: false,
            nodes_needed: Some(needed),
            creating,
            public_ip,
            public_ssh,
            location,
        };
        match run::compute_cluster(
            arm,
            ctx,
            &session.planned,
            profile,
            &workspace_id,
            &subnet_id,
            &cluster,
        )
        .await
        {
            Ok(Checked::Findings(findings)) => Ok(Some(findings)),
            Ok(Checked::VnetMissing) => Err(Diagnostic::error(
                "Virtual network not found",
                format!(
                    "The virtual network of subnet {subnet_id} does not exist. Create it first, or fix subnet_id."
                ),
            )
            .at(AttributePath::attribute("subnet_id"))
            .into()),
            Err(failure) => Err(fail(failure.attribute, failure.error)),
        }
    }

    /// A created cluster's location: the workspace's when the configuration leaves it out
    /// (`Some`), else the configured one checked against the cloud's regions (`None`).
    async fn planned_location(
        &self,
        arm: &ArmClient,
        call: &CallContext,
        request: &PlanRequest,
        planned: &Value,
        creating: bool,
    ) -> Result<Option<String>, Diagnostic> {
        let Field::Known(workspace_id) = planned.str_field("workspace_id") else {
            return Ok(None);
        };
        if !creating {
            return Ok(None);
        }
        if let Field::Known(location) = request.config.str_field("location") {
            check_compute_location(arm, call, &workspace_id, &location).await?;
            return Ok(None);
        }
        if !planned.str_field("location").is_unknown() {
            return Ok(None);
        }
        let Ok(workspace_id) = parse_id(&workspace_id, WORKSPACE_TYPE) else {
            return Ok(None);
        };
        Ok(facts::workspace(arm, call, &workspace_id)
            .await
            .ok()
            .map(|w| w.location))
    }

    /// The tags Azure holds on the cluster that the plan does not set, sorted by key.
    async fn foreign_tags(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        planned: &Value,
    ) -> Result<Vec<String>, Diagnostic> {
        let Ok((_, arm)) = require_arm(slot) else {
            return Ok(Vec::new());
        };
        let Field::Known(id) = planned.str_field("id") else {
            return Ok(Vec::new());
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
        let compute: ComputeResource = arm
            .get_cached(&call, &id, api_version::MACHINE_LEARNING)
            .await
            .map_err(|e| arm_diagnostic("Reading the compute cluster's tags failed", &e))?;
        let configured = drift::tag_map(planned.attr("tags"));
        Ok(compute
            .tags
            .unwrap_or_default()
            .into_keys()
            .filter(|key| !configured.contains_key(key))
            .collect())
    }

    /// Runs the checks at apply when plan had to defer them; errors stop the apply before
    /// anything is written.
    async fn deferred_checks(
        &self,
        session: &Session,
        arm: &ArmClient,
        ctx: &Context,
        request: &ApplyRequest,
        creating: bool,
    ) -> Diagnostics {
        if request.planned_private != super::Checks::DEFERRED {
            return Diagnostics::new();
        }
        let call = call_context(
            ctx,
            TIMEOUTS.for_operation(&request.planned, Operation::Read),
        );
        let placed = nodes_placed(&request.prior.state);
        let found = self
            .findings(
                arm,
                &call,
                session,
                &request.planned,
                None,
                placed,
                creating,
            )
            .await;
        diagnosed(found, &session.severities)
    }
}

#[async_trait]
impl ComputeKind for Cluster {
    const TYPE_NAME: &'static str = TYPE_NAME;
    const TIMEOUTS: Defaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, _: &Severities) -> Diagnostics {
        validate(config)
    }

    fn wording(&self) -> Wording {
        Wording {
            noun: "compute cluster".into(),
            create_failed: "Creating the compute cluster failed".into(),
            delete_failed: "Deleting the compute cluster failed".into(),
            import_hint: "Import a compute cluster by its ARM ID".into(),
        }
    }

    fn body(&self, planned: &Value, _config: &Value) -> Result<ComputeResource, Diagnostic> {
        Ok(Desired::read(planned)?.body())
    }

    /// Tags as the recorded `foreign_tags` says.
    fn state_from(
        &self,
        compute: &ComputeResource,
        id: &ResourceId,
        prior: &Value,
    ) -> Result<Value, Diagnostic> {
        state_with_tags(compute, id, prior, ForeignTags::of(prior))
    }

    /// The state after a write: the tags it asked for, whatever else Azure added meanwhile
    /// (the next refresh judges those).
    fn created_state(
        &self,
        compute: &ComputeResource,
        id: &ResourceId,
        planned: &Value,
    ) -> Result<Value, Diagnostic> {
        state_with_tags(compute, id, planned, ForeignTags::Keep)
    }

    async fn checks_at_apply(&self, create: &Creating<'_>) -> Diagnostics {
        let Creating {
            session,
            arm,
            ctx,
            request,
            ..
        } = *create;
        self.deferred_checks(session, arm, ctx, request, true).await
    }

    fn delete_action(&self, _prior: &Value) -> &'static str {
        "Delete"
    }

    async fn modify_plan(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        let creating = request.prior.state.is_null();
        let prior = &request.prior.state;
        let planned = &mut plan.planned;
        // A documented default is what an unset attribute means, also after create: a value
        // changed outside Terraform is put back (in place or by replacement, as the schema
        // says for the attribute).
        for (name, default) in [
            ("vm_priority", Value::from(DEFAULT_PRIORITY)),
            ("min_nodes", DEFAULT_MIN_NODES.into()),
            (
                "idle_seconds_before_scale_down",
                DEFAULT_IDLE_SECONDS.into(),
            ),
            ("node_public_ip_enabled", true.into()),
            ("ssh_public_access_enabled", false.into()),
            ("foreign_tags", ForeignTags::DEFAULT.into()),
        ] {
            if request.config.attr(name).is_none_or(Value::is_null) {
                planned.set_attr(name, default);
            }
        }
        if !creating
            && drift::tags_need_replacement(
                prior.attr("tags").unwrap_or(&Value::Null),
                planned.attr("tags").unwrap_or(&Value::Null),
                ForeignTags::of(planned),
            )
        {
            plan.requires_replace.push(AttributePath::attribute("tags"));
        }
        drift::replace_when_failed(prior, plan);
        // Refresh kept tags it did not manage out of state: switching to `remove` reads them.
        let mut diagnostics = Diagnostics::new();
        if !creating
            && ForeignTags::of(prior) == ForeignTags::Keep
            && ForeignTags::of(&plan.planned) == ForeignTags::Remove
        {
            match self.foreign_tags(slot, ctx, &plan.planned).await {
                Ok(foreign) if foreign.is_empty() => {}
                Ok(foreign) => {
                    plan.requires_replace
                        .push(AttributePath::attribute("foreign_tags"));
                    diagnostics.push(drift::foreign_tags_dropped_warning(&foreign));
                }
                Err(d) => return d.into(),
            }
        }
        let planned = &mut plan.planned;
        if creating {
            plan_id(planned);
        } else if scale_changes(prior, planned) {
            // Scaling changes the node counts and the allocation Azure reports.
            for name in [
                "provisioning_state",
                "allocation_state",
                "current_node_count",
                "target_node_count",
            ] {
                planned.set_attr(name, Value::unknown());
            }
        }
        let grows = planned.i64_field("max_nodes").known()
            > request.prior.state.i64_field("max_nodes").known();
        let sources_changed = planned.attr(SSH_SOURCES) != request.prior.state.attr(SSH_SOURCES);
        if !(creating || grows || sources_changed) {
            return diagnostics;
        }
        let session = match slot.get() {
            Ok(session) => session,
            Err(d) => return d.into(),
        };
        let outcome = match session.arm.as_ref() {
            None => Ok(None),
            Some(arm) => {
                let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
                let placed = nodes_placed(&request.prior.state);
                // The location and the network rules read the same workspace: at once.
                let (location, findings) = tokio::join!(
                    self.planned_location(arm, &call, request, planned, creating),
                    self.findings(
                        arm,
                        &call,
                        &session,
                        planned,
                        Some(&request.config),
                        placed,
                        creating
                    ),
                );
                match location {
                    Ok(Some(location)) => planned.set_attr("location", location.into()),
                    Ok(None) => {}
                    Err(d) => return d.into(),
                }
                findings
            }
        };
        diagnostics.extend(diagnosed_or_deferred(outcome, plan, slot, CHECKED_RULES));
        diagnostics
    }

    async fn update(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        request: ApplyRequest,
    ) -> Outcome<Stored> {
        let (session, arm) = match require_arm(slot) {
            Ok(found) => found,
            Err(d) => return Outcome::failed(d),
        };
        let diagnostics = self
            .deferred_checks(&session, &arm, ctx, &request, false)
            .await;
        if diagnostics.has_errors() {
            return Outcome::failed(diagnostics);
        }
        let desired = match Desired::read(&request.planned) {
            Ok(desired) => desired,
            Err(d) => return Outcome::failed(d),
        };
        if !scale_changes(&request.prior.state, &request.planned) {
            // Only what Azure does not hold changed (timeouts, the letter case of an ID, tags
            // let go, foreign_tags): nothing to tell Azure.
            return Outcome {
                value: Some(Stored::new(request.planned)),
                diagnostics,
            };
        }
        let call = call_context(
            ctx,
            TIMEOUTS.for_operation(&request.planned, Operation::Update),
        );
        // Only scale settings change in place (ClusterUpdateParameters).
        let patch = serde_json::json!({
            "properties": { "properties": { "scaleSettings": desired.scale_settings() } }
        });
        let id = desired.id.clone();
        match arm
            .patch::<_, ComputeResource>(&call, id.as_str(), api_version::MACHINE_LEARNING, &patch)
            .await
        {
            Ok(compute) => match self.created_state(&compute, &id, &request.planned) {
                Ok(state) => Outcome {
                    value: Some(Stored::new(state)),
                    diagnostics,
                },
                Err(d) => Outcome::failed(d),
            },
            Err(error) => {
                Outcome::failed(arm_diagnostic("Scaling the compute cluster failed", &error))
            }
        }
    }

    fn list_resource(compute: &ComputeCluster) -> Option<&dyn ListResource> {
        Some(compute)
    }
}

#[async_trait]
impl listing::ListedCompute for Cluster {
    const LISTED: &'static str = "compute clusters (AmlCompute)";
    const COMPUTE_TYPE: &'static str = "AmlCompute";

    fn listed_state(
        &self,
        compute: &ComputeResource,
        id: &ResourceId,
    ) -> Result<Value, Diagnostic> {
        self.state_from(compute, id, &schema().null_value())
    }

    async fn nodes_subnet(&self, _: &ArmClient, _: &CallContext, state: &Value) -> Option<String> {
        state.str_field("subnet_id").known()
    }

    async fn rule_findings(
        &self,
        session: &Session,
        arm: &ArmClient,
        call: &CallContext,
        state: &Value,
    ) -> Diagnostics {
        let found = self
            .findings(arm, call, session, state, None, nodes_placed(state), false)
            .await;
        diagnosed(found, &session.severities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
    const SUBNET: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/training";

    fn config(overrides: &[(&str, Value)]) -> Value {
        let mut config = schema().null_value();
        for (name, value) in [
            ("name", Value::from("cpu-cluster")),
            ("workspace_id", WORKSPACE.into()),
            ("vm_size", "STANDARD_D2_V2".into()),
            ("max_nodes", 4.into()),
            ("subnet_id", SUBNET.into()),
        ] {
            config.set_attr(name, value);
        }
        for (name, value) in overrides {
            config.set_attr(name, value.clone());
        }
        config
    }

    /// What `terraform validate` reports: the schema's checks and the resource's own.
    fn attributes_at_fault(config: &Value) -> Vec<String> {
        schema()
            .block
            .check_config(config)
            .iter()
            .chain(validate(config).iter())
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_sound_configuration_passes() {
        assert!(validate(&config(&[])).is_empty());
    }

    #[test]
    fn each_bad_value_points_at_its_attribute() {
        let cases: &[(&str, Value)] = &[
            ("name", "c".into()),
            ("name", "1cluster".into()),
            ("name", "cluster_one".into()),
            ("name", "a-very-long-cluster-name".into()),
            ("workspace_id", SUBNET.into()),
            ("subnet_id", "subnet1".into()),
            ("vm_priority", "Spot".into()),
            ("max_nodes", 0.into()),
            ("min_nodes", Value::from(-1)),
            ("idle_seconds_before_scale_down", Value::from(-5)),
            ("vm_size", "".into()),
            ("location", " ".into()),
            ("max_nodes", Value::from(4_294_967_300_i64)),
            (
                "max_nodes",
                Value::Number(tfplugin::value::Number::Float(1.5)),
            ),
            ("max_nodes", Value::Null),
            (
                "ssh_source_addresses",
                Value::List(vec!["2001:db8::/32".into()]),
            ),
            (
                "ssh_source_addresses",
                Value::List(vec!["Internet".into(), "203.0.113.0/24".into()]),
            ),
        ];
        for (attribute, value) in cases {
            let faults = attributes_at_fault(&config(&[(attribute, value.clone())]));
            assert_eq!(faults, [*attribute], "{attribute} = {value:?}");
        }
    }

    #[test]
    fn ssh_sources_need_ssh_enabled() {
        let sources = (
            "ssh_source_addresses",
            Value::List(vec!["203.0.113.0/24".into()]),
        );
        for (enabled, faults) in [
            (Value::from(true), vec![]),
            (Value::Null, vec![]),
            (Value::unknown(), vec![]),
            (Value::from(false), vec!["ssh_source_addresses".to_owned()]),
        ] {
            let config = config(&[
                sources.clone(),
                ("ssh_public_access_enabled", enabled.clone()),
            ]);
            assert_eq!(attributes_at_fault(&config), faults, "{enabled:?}");
        }
    }

    #[test]
    fn public_ssh_sources_table() {
        use nsg::{Clients, Remote};
        let planned = |enabled: Value, sources: Value| {
            config(&[
                ("ssh_public_access_enabled", enabled),
                ("ssh_source_addresses", sources),
            ])
        };
        let office = Value::List(vec!["203.0.113.0/24".into()]);
        for (enabled, sources, expected) in [
            (Value::from(false), Value::Null, Some(None)),
            (Value::Null, Value::Null, Some(None)),
            (Value::unknown(), Value::Null, None),
            (Value::from(true), Value::unknown(), None),
            (
                Value::from(true),
                Value::Null,
                Some(Some((
                    Remote::Clients(Clients::AnyPublic),
                    "ssh_public_access_enabled",
                ))),
            ),
            (
                Value::from(true),
                office,
                Some(Some((
                    Remote::Clients(Clients::Ranges(vec!["203.0.113.0/24".parse().unwrap()])),
                    "ssh_source_addresses",
                ))),
            ),
        ] {
            assert_eq!(
                public_ssh(&planned(enabled.clone(), sources.clone())),
                expected,
                "{enabled:?} {sources:?}"
            );
        }
    }

    #[test]
    fn min_above_max_names_both_numbers() {
        let diagnostics = validate(&config(&[("min_nodes", 5.into())]));
        let detail = &diagnostics.iter().next().unwrap().detail;
        assert!(detail.contains("(5)") && detail.contains("(4)"), "{detail}");
    }

    #[test]
    fn unknown_values_wait_for_plan() {
        let unknowns = config(&[
            ("name", Value::unknown()),
            ("subnet_id", Value::unknown()),
            ("max_nodes", Value::unknown()),
        ]);
        assert!(validate(&unknowns).is_empty());
    }
}
