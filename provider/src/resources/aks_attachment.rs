//! `amlsecure_aks_attachment`: an AKS inference cluster in an Azure ML workspace, either
//! created through Azure ML in a subnet or an existing cluster attached by ID. Its plan
//! enforces the seed's AKS network rules (service CIDR, DNS IP, Docker bridge, region, NSG)
//! and, for HTTPS scoring, the SSL rules of its `ssl` block (`aks_ssl.rs`).

use std::time::Duration;

use async_trait::async_trait;
use tfplugin::resource::{ApplyRequest, Context, ListResource, Outcome, Plan, PlanRequest, Stored};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::timeouts::{self, Defaults, Operation};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::aks_ssl;
use super::workspace_compute::{
    COMPUTE_TYPE, ComputeKind, Creating, Machine, MachineBehind, WORKSPACE_TYPE, Wording,
    WorkspaceCompute, check_compute_location, defer_checks, diagnosed_or_deferred,
    identifying_attributes, identifying_state, invalid_ids, location_state, machine_exists,
    plan_id, validate_timeouts_and_name,
};
use super::{Found, diagnosed, drift, keep_casing, listing};
use crate::arm::models::aks::ManagedCluster;
use crate::arm::models::ml::{
    AksNetworkingConfiguration, AksProperties, Compute, ComputeProperties, ComputeResource,
    SslConfiguration,
};
use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, api_version};
use crate::checks::Severities;
use crate::checks::facts;
use crate::checks::planned::PlannedChanges;
use crate::checks::run::{self, AksAddresses, AksPlan, Checked};
use crate::rules::addresses;
use crate::rules::aks::{ADDRESS_PLAN_RULES, AksNetwork, DEFAULT_AGENT_COUNT, check_aks_network};
use crate::rules::ssl::check_ssl;
use crate::rules::{Finding, Profile, nsg};
use crate::session::{Session, SessionSlot};
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

/// The rules this resource's checks raise, by number (see [`super::Checks::deferred_warning`]).
const CHECKED_RULES: &[std::ops::RangeInclusive<u16>] =
    &[201..=233, 142..=142, 403..=407, 413..=413];

pub const TYPE_NAME: &str = "amlsecure_aks_attachment";

pub const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(60 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(60 * 60),
    delete: Duration::from_secs(60 * 60),
};

const CLUSTER_TYPE: &str = "Microsoft.ContainerService/managedClusters";
const SUBNET_TYPE: &str = "Microsoft.Network/virtualNetworks/subnets";
/// Checked at plan only: the scoring endpoint's clients outside the virtual network.
const SCORING_SOURCES: &str = "scoring_source_addresses";
const CLUSTER_NOUN: &str = "AKS cluster";

/// Attributes that describe a cluster Azure ML creates; an attached cluster has its own.
const CREATE_ONLY: &[&str] = &[
    "location",
    "subnet_id",
    "agent_count",
    "agent_vm_size",
    "cluster_purpose",
    "service_cidr",
    "dns_service_ip",
    "docker_bridge_cidr",
    "load_balancer_type",
    "load_balancer_subnet",
];

pub fn schema() -> Schema {
    let replace = |a: Attribute| a.requires_replace();
    let mut schema = Schema::new(
        "An AKS cluster for Azure Machine Learning inference: created by Azure ML in your subnet (set `subnet_id` and the Kubernetes network), or an existing cluster attached by `kubernetes_cluster_id`. `terraform plan` checks the cluster's network against Azure's rules before anything is created. Changes to `ssl` and `scoring_source_addresses` apply in place; any other change replaces the attachment.",
        identifying_attributes().into_iter().chain([
            replace(Attribute::optional_computed("location", Type::String))
                .ignore_case()
                .not_blank()
                .description("Region of a created cluster; defaults to the workspace's. For an attached cluster, its own region."),
            replace(Attribute::optional("kubernetes_cluster_id", Type::String))
                .ignore_case()
                .description("ARM ID of an existing AKS cluster to attach (any letter case). Destroying the attachment detaches it and leaves the cluster. When the cluster is deleted outside Terraform, refresh records null and warns, and plan asks for another cluster or the removal of this resource."),
            replace(Attribute::optional("subnet_id", Type::String))
                .ignore_case()
                .description("Subnet for the nodes of a cluster Azure ML creates (ARM ID, any letter case)."),
            replace(Attribute::optional_computed("agent_count", Type::Number))
                .whole_numbers(1..=i32::MAX as i64)
                .description("Nodes of a created cluster (default 3, also when left out)."),
            replace(Attribute::optional_computed("agent_vm_size", Type::String))
                .ignore_case()
                .not_blank()
                .description("VM size of a created cluster's nodes (default `Standard_D3_v2`, also when left out)."),
            replace(Attribute::optional_computed("cluster_purpose", Type::String))
                .one_of(&["FastProd", "DenseProd", "DevTest"])
                .description("`FastProd` (default, also when left out), `DenseProd` or `DevTest`."),
            replace(Attribute::optional("service_cidr", Type::String))
                .description("Kubernetes service range, like `10.240.0.0/16`: outside the virtual network, its peerings and AKS's reserved ranges, and no larger than a /12."),
            replace(Attribute::optional("dns_service_ip", Type::String))
                .description("Cluster DNS address inside `service_cidr`, not its first address, like `10.240.0.10`."),
            replace(Attribute::optional("docker_bridge_cidr", Type::String))
                .description("Docker bridge address, like `172.17.0.1/16`. Deprecated by AKS; leave it out."),
            replace(Attribute::optional_computed("load_balancer_type", Type::String))
                .one_of(&["PublicIp", "InternalLoadBalancer"])
                .description("`PublicIp` (default, also when left out) or `InternalLoadBalancer`."),
            replace(Attribute::optional("load_balancer_subnet", Type::String))
                .description("Subnet of an internal load balancer."),
            replace(Attribute::optional("description", Type::String)),
            Attribute::optional(SCORING_SOURCES, Type::list(Type::String))
                .description("Clients that call the scoring endpoint from outside the virtual network: IPv4 addresses and CIDR ranges, or one service tag like `Internet`. `terraform plan` checks that the subnet's network security group lets them reach the scoring port (443 with `ssl`, 80 without), also when either changes. Azure is not told; changing it changes nothing there."),
            Attribute::computed("attached", Type::Bool)
                .description("Whether Azure ML attached an existing cluster rather than creating one."),
            Attribute::computed("aks_cluster_id", Type::String).description(
                "ARM ID of the AKS cluster behind the compute: the one Azure ML created, or the attached one. Null when it was deleted outside Terraform: refresh warns, and plan replaces the attachment of a created cluster (Azure ML creates a new one) or, for an attached cluster, asks for another cluster.",
            ),
            Attribute::computed("provisioning_state", Type::String).description(
                "Azure's provisioning state of the compute, like `Succeeded`. An attachment Azure reports `Failed` is made again by the next apply.",
            ),
        ]).collect(),
    );
    schema.block.blocks.push(aks_ssl::block());
    schema.block.blocks.push(timeouts::block(&TIMEOUTS));
    schema
}

/// Checks that need no Azure, including the AKS network rules that depend only on the
/// configured ranges (the rest need the virtual network and run at plan).
/// `severities` are the rules' levels as the provider block sets them.
pub fn validate(config: &Value, severities: &Severities) -> Diagnostics {
    let mut diagnostics = validate_timeouts_and_name(config);
    diagnostics.extend(invalid_ids(
        config,
        &[
            ("workspace_id", WORKSPACE_TYPE),
            ("kubernetes_cluster_id", CLUSTER_TYPE),
            ("subnet_id", SUBNET_TYPE),
        ],
    ));
    let mut problem = |attribute: &str, summary: &str, detail: String| {
        diagnostics
            .push(Diagnostic::error(summary, detail).at(AttributePath::attribute(attribute)));
    };
    let set = |name: &str| config.attr(name).is_some_and(|v| !v.is_null());
    if set("kubernetes_cluster_id") {
        for name in CREATE_ONLY.iter().filter(|n| set(n)) {
            problem(
                name,
                "Setting for a created cluster",
                format!(
                    "{name} describes a cluster Azure ML creates; an attached cluster (kubernetes_cluster_id) keeps its own. Remove {name}, or remove kubernetes_cluster_id to create a cluster."
                ),
            );
        }
    } else if set("subnet_id") {
        for name in ["service_cidr", "dns_service_ip"] {
            if !set(name) {
                problem(
                    name,
                    "Missing Kubernetes network setting",
                    format!(
                        "A cluster created in a subnet needs {name}, for example service_cidr = \"10.240.0.0/16\" and dns_service_ip = \"10.240.0.10\"."
                    ),
                );
            }
        }
    } else if !set("kubernetes_cluster_id") && !set("subnet_id") {
        problem(
            "subnet_id",
            "Nowhere to run",
            "Set kubernetes_cluster_id to attach an existing AKS cluster, or subnet_id (with service_cidr and dns_service_ip) to have Azure ML create one in your virtual network.".into(),
        );
    }
    if let Field::Known(sources) = config.strings_field(SCORING_SOURCES)
        && let Err(message) = nsg::client_sources(&sources)
    {
        problem(
            SCORING_SOURCES,
            "Invalid scoring clients",
            format!("scoring_source_addresses: {message}."),
        );
    }
    let (network, parse_problems) = configured_network(config, None);
    for (attribute, message) in parse_problems {
        problem(attribute, "Invalid address", message);
    }
    if let Some(network) = network {
        diagnostics.extend(severities.diagnose(check_aks_network(&network, severities.profile())));
    }
    diagnostics.extend(aks_ssl::validate(config));
    if let Some(ssl) = aks_ssl::plan(config, internal_load_balancer(config), unix_now()) {
        diagnostics.extend(severities.diagnose(check_ssl(&ssl)));
    }
    diagnostics
}

/// Whether the cluster Azure ML creates has an internal load balancer; `None` while not
/// known, and for an attached cluster, which keeps its own.
fn internal_load_balancer(config: &Value) -> Option<bool> {
    if !config.str_field("kubernetes_cluster_id").eq(&Field::Null) {
        return None;
    }
    match config.str_field("load_balancer_type") {
        Field::Known(kind) => Some(kind == "InternalLoadBalancer"),
        Field::Null => Some(false),
        Field::Unknown => None,
    }
}

/// Whether Azure reports an operation on the compute still under way (`Creating`,
/// `Updating`, ...), as against `Succeeded`, `Failed` or `Canceled`.
fn operation_running(state: &Value) -> bool {
    state
        .str_field("provisioning_state")
        .known()
        .is_some_and(|s| {
            !["Succeeded", "Failed", "Canceled", "Cancelled"]
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&s))
        })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64)
}

/// The SSL rules at apply, on the configuration as it is then: a value known only now may
/// break one. Only what stops the apply is reported; the rest was said at plan.
fn ssl_errors(config: &Value, severities: &Severities) -> Diagnostics {
    let Some(ssl) = aks_ssl::plan(config, internal_load_balancer(config), unix_now()) else {
        return Diagnostics::new();
    };
    severities
        .diagnose(check_ssl(&ssl))
        .into_iter()
        .filter(|d| d.severity == tfplugin::diagnostics::Severity::Error)
        .collect()
}

/// The configured Kubernetes network, once `service_cidr` and `dns_service_ip` are known,
/// in the subnet's network when it has been read; parse errors by attribute.
fn configured_network(
    config: &Value,
    network: Option<&facts::SubnetNetwork>,
) -> (Option<AksNetwork>, Vec<(&'static str, String)>) {
    let mut problems = Vec::new();
    let service_cidr = config.str_field("service_cidr").known().and_then(|text| {
        addresses::parse_cidr(&text)
            .map_err(|e| problems.push(("service_cidr", e.to_string())))
            .ok()
    });
    let dns_service_ip = config.str_field("dns_service_ip").known().and_then(|text| {
        addresses::parse_ipv4(&text)
            .map_err(|e| problems.push(("dns_service_ip", e.to_string())))
            .ok()
    });
    let docker_bridge = match config.str_field("docker_bridge_cidr") {
        Field::Unknown => return (None, problems),
        Field::Null => None,
        Field::Known(text) => match addresses::parse_host_cidr(&text) {
            Ok(net) => Some(net),
            Err(e) => {
                problems.push(("docker_bridge_cidr", e.to_string()));
                return (None, problems);
            }
        },
    };
    let network = match (service_cidr, dns_service_ip) {
        (Some(service_cidr), Some(dns_service_ip)) => Some(AksNetwork {
            service_cidr,
            dns_service_ip,
            docker_bridge_cidr: docker_bridge,
            vnet_prefixes: network.map(|n| n.vnet_prefixes()).unwrap_or_default(),
            peered_prefixes: network
                .map(|n| n.peering_prefixes.clone())
                .unwrap_or_default(),
            network_known: network.is_some(),
        }),
        _ => None,
    };
    (network, problems)
}

/// The scoring endpoint's clients and port when the configuration names them: `None` while
/// the clients or whether it serves HTTPS are unknown, `Some(None)` when it names none.
fn scoring(planned: &Value) -> Option<Option<(nsg::Remote, u16)>> {
    match planned.strings_field(SCORING_SOURCES) {
        Field::Unknown => None,
        Field::Null => Some(None),
        // Bad sources are validate's error.
        Field::Known(sources) => {
            let port = nsg::seed::scoring_port(aks_ssl::serves_https(planned)?);
            Some(
                nsg::client_sources(&sources)
                    .ok()
                    .map(|clients| (clients, port)),
            )
        }
    }
}

/// A finding about an attached cluster: the user wrote only its ID, and the address plan of
/// a cluster that exists can no longer change.
fn about_existing_cluster(finding: Finding) -> Finding {
    if finding.attribute == SCORING_SOURCES {
        // About the clients the configuration names, not the cluster.
        return finding;
    }
    if !ADDRESS_PLAN_RULES.contains(&finding.rule) {
        return Finding {
            attribute: "kubernetes_cluster_id",
            ..finding
        };
    }
    Finding {
        attribute: "kubernetes_cluster_id",
        message: format!("In the existing cluster, {}", finding.message),
        fix: format!(
            "AKS fixes a cluster's network ranges when it creates it, so attach a cluster created \
             with other ranges. {}",
            finding.fix
        ),
        ..finding
    }
}

pub type AksAttachment = WorkspaceCompute<Aks>;

/// The compute kind of `amlsecure_aks_attachment`.
#[derive(Default)]
pub struct Aks;

impl Aks {
    /// The rules of the session's guidance profile that need Azure: region, subnet, the
    /// virtual network's ranges and the NSG. `Ok(None)` while a value they need is unknown.
    async fn findings(
        &self,
        arm: &ArmClient,
        ctx: &CallContext,
        session: &Session,
        planned: &Value,
    ) -> Found {
        let planned_changes = &session.planned;
        let profile = session.severities.profile();
        let read_error = |attribute: &str, error: ArmError| {
            Diagnostics::from(
                arm_diagnostic("Cannot read the network to check it", &error)
                    .at(AttributePath::attribute(attribute)),
            )
        };
        match planned.str_field("kubernetes_cluster_id") {
            Field::Unknown => Ok(None),
            Field::Known(cluster_id) => {
                let cluster: ManagedCluster = arm
                    .get_cached(ctx, &cluster_id, api_version::CONTAINER_SERVICE)
                    .await
                    .map_err(|e| read_error("kubernetes_cluster_id", e))?;
                let Some(subnet_id) = cluster
                    .agent_pools()
                    .iter()
                    .find_map(|p| p.vnet_subnet_id.clone())
                else {
                    // kubenet clusters without a custom subnet live in an AKS-managed network.
                    return Ok(Some(Vec::new()));
                };
                let network_profile = cluster
                    .properties
                    .network_profile
                    .clone()
                    .unwrap_or_default();
                let config = Value::object([
                    ("service_cidr", network_profile.service_cidr.into()),
                    ("dns_service_ip", network_profile.dns_service_ip.into()),
                    ("docker_bridge_cidr", Value::Null),
                ]);
                let location = cluster.location.unwrap_or_default();
                let findings = self
                    .network_findings(
                        arm,
                        ctx,
                        planned_changes,
                        profile,
                        &subnet_id,
                        &location,
                        &config,
                        planned,
                        true,
                    )
                    .await?;
                Ok(findings.map(|f| f.into_iter().map(about_existing_cluster).collect()))
            }
            Field::Null => {
                let (Field::Known(subnet_id), Field::Known(location)) = (
                    planned.str_field("subnet_id"),
                    planned.str_field("location"),
                ) else {
                    return Ok(None);
                };
                self.network_findings(
                    arm,
                    ctx,
                    planned_changes,
                    profile,
                    &subnet_id,
                    &location,
                    planned,
                    planned,
                    false,
                )
                .await
            }
        }
    }

    /// The rules for the cluster's subnet; `attached` for an existing cluster being attached,
    /// whose address plan was not checked offline and whose network Azure ML does not manage
    /// (so locks are not its concern). `Ok(None)` while a value they need is unknown.
    #[allow(clippy::too_many_arguments)]
    async fn network_findings(
        &self,
        arm: &ArmClient,
        ctx: &CallContext,
        planned_changes: &PlannedChanges,
        profile: Profile,
        subnet_id: &str,
        location: &str,
        config: &Value,
        planned: &Value,
        attached: bool,
    ) -> Found {
        let subnet_id = parse_id(subnet_id, SUBNET_TYPE)
            .map_err(|m| Diagnostics::from(Diagnostic::error("Invalid subnet ID", m)))?;
        if config.str_field("service_cidr").is_unknown()
            || config.str_field("dns_service_ip").is_unknown()
        {
            return Ok(None);
        }
        let Some(scoring) = scoring(planned) else {
            return Ok(None);
        };
        let workspace_id = match planned.str_field("workspace_id") {
            Field::Known(id) => Some(parse_id(&id, WORKSPACE_TYPE).map_err(|m| {
                Diagnostics::from(
                    Diagnostic::error("Invalid workspace ID", m)
                        .at(AttributePath::attribute("workspace_id")),
                )
            })?),
            Field::Unknown => return Ok(None),
            Field::Null => None,
        };
        // A cluster Azure ML creates takes its Azure CNI addresses from the subnet; one
        // attached already has them.
        let nodes = match config.i64_field("agent_count") {
            Field::Unknown if !attached => return Ok(None),
            count => count
                .known()
                .map_or(DEFAULT_AGENT_COUNT, |n| n.max(1) as u64),
        };
        let (addresses, _) = configured_network(config, None);
        let cluster = AksPlan {
            location: location.to_owned(),
            addresses: addresses.map(|a| AksAddresses {
                service_cidr: a.service_cidr,
                dns_service_ip: a.dns_service_ip,
                docker_bridge_cidr: a.docker_bridge_cidr,
            }),
            skip_offline_findings: !attached,
            attached,
            nodes,
            scoring,
            workspace_id,
        };
        match run::aks_cluster(arm, ctx, planned_changes, profile, &subnet_id, &cluster).await {
            Ok(Checked::Findings(findings)) => Ok(Some(findings)),
            Ok(Checked::VnetMissing) => Err(Diagnostic::error(
                "Virtual network not found",
                format!("The virtual network of subnet {subnet_id} does not exist."),
            )
            .at(AttributePath::attribute("subnet_id"))
            .into()),
            Err(failure) => Err(arm_diagnostic(
                "Cannot read the network to check it",
                &failure.error,
            )
            .at(AttributePath::attribute(failure.attribute))
            .into()),
        }
    }

    /// The scoring rules again when the clients or the port (with or without `ssl`) of a
    /// cluster that exists change; nothing else of it changes in place.
    async fn scoring_findings_on_update(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        prior: &Value,
        planned: &Value,
    ) -> Diagnostics {
        let Some(Some((clients, port))) = scoring(planned) else {
            return Diagnostics::new();
        };
        if scoring(prior) == scoring(planned) {
            return Diagnostics::new();
        }
        let Ok((session, arm)) = require_arm(slot) else {
            return Diagnostic::warning(
                "Scoring clients not checked",
                "The provider configuration is not known until apply, so whether the subnet's network security group lets scoring_source_addresses reach the scoring port is not checked for this change.",
            )
            .at(AttributePath::attribute(SCORING_SOURCES))
            .into();
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
        let subnet_id = match self.nodes_subnet_checked(&arm, &call, planned).await {
            Ok(Some(subnet_id)) => subnet_id,
            Ok(None) => return Diagnostics::new(),
            Err(errors) => return errors,
        };
        match run::aks_scoring(&arm, &call, &session.planned, &subnet_id, &clients, port).await {
            Ok(Checked::Findings(findings)) => session.severities.diagnose(findings),
            Ok(Checked::VnetMissing) => Diagnostics::new(),
            Err(failure) => arm_diagnostic("Cannot read the network to check it", &failure.error)
                .at(AttributePath::attribute(failure.attribute))
                .into(),
        }
    }

    /// The subnet of the cluster's nodes: configured for a cluster Azure ML creates, read
    /// from the AKS cluster for one attached (`None` for one in a network AKS manages).
    async fn nodes_subnet_checked(
        &self,
        arm: &ArmClient,
        call: &CallContext,
        planned: &Value,
    ) -> Result<Option<ResourceId>, Diagnostics> {
        let subnet_id = match planned.str_field("kubernetes_cluster_id").known() {
            None => planned.str_field("subnet_id").known(),
            Some(cluster_id) => {
                let cluster: ManagedCluster = arm
                    .get_cached(call, &cluster_id, api_version::CONTAINER_SERVICE)
                    .await
                    .map_err(|e| {
                        Diagnostics::from(
                            arm_diagnostic("Cannot read the network to check it", &e)
                                .at(AttributePath::attribute("kubernetes_cluster_id")),
                        )
                    })?;
                cluster
                    .agent_pools()
                    .iter()
                    .find_map(|p| p.vnet_subnet_id.clone())
            }
        };
        subnet_id
            .map(|id| parse_id(&id, SUBNET_TYPE))
            .transpose()
            .map_err(|m| Diagnostic::error("Invalid subnet ID", m).into())
    }

    /// Changes the compute's `sslConfiguration` as Azure ML's own clients do: the compute as
    /// Azure has it, with the new configuration, written back.
    async fn put_ssl(
        &self,
        arm: &ArmClient,
        call: &CallContext,
        id: &ResourceId,
        ssl: Option<SslConfiguration>,
    ) -> Result<ComputeResource, ArmError> {
        // Written back only once an operation still under way has ended (Azure refuses a
        // write meanwhile).
        let mut compute: ComputeResource = arm
            .get_settled(call, id.as_str(), api_version::MACHINE_LEARNING)
            .await?;
        match &mut compute.properties.properties {
            Some(ComputeProperties::Aks(aks)) => aks.ssl_configuration = ssl,
            // An attached cluster's answer carries no AKS properties.
            properties => {
                *properties = Some(ComputeProperties::Aks(AksProperties {
                    ssl_configuration: ssl,
                    ..AksProperties::default()
                }))
            }
        }
        arm.put(call, id.as_str(), api_version::MACHINE_LEARNING, &compute)
            .await
    }
}

/// Terraform state from what Azure reports. An attached cluster's GET carries no
/// type-specific properties, so those keep what the configuration said.
fn state_from(
    compute: &ComputeResource,
    id: &ResourceId,
    prior: &Value,
) -> Result<Value, Diagnostic> {
    if !compute.properties.compute_type.eq_ignore_ascii_case("AKS") {
        return Err(Diagnostic::error(
            "Not an AKS compute",
            format!(
                "{id} is a {} compute, not AKS; manage it with the matching resource type.",
                compute.properties.compute_type
            ),
        ));
    }
    let kept =
        |name: &str, azure: Option<String>| keep_casing(prior.str_field(name).known(), azure);
    let prior_value = |name: &str| prior.attr(name).cloned().unwrap_or(Value::Null);
    let aks = compute.aks();
    let networking = aks.and_then(|a| a.aks_networking_configuration.clone());
    let attached = compute.properties.is_attached_compute.unwrap_or(false);
    let mut state = schema().null_value();
    for (name, value) in identifying_state(id, prior).into_iter().chain([
        ("location", location_state(compute, prior)),
        (
            "kubernetes_cluster_id",
            if attached {
                kept(
                    "kubernetes_cluster_id",
                    compute.properties.resource_id.clone(),
                )
                .into()
            } else {
                Value::Null
            },
        ),
        ("description", compute.properties.description.clone().into()),
        // Checked at plan, never sent to Azure: as configured.
        (SCORING_SOURCES, prior_value(SCORING_SOURCES)),
        ("attached", attached.into()),
        (
            "aks_cluster_id",
            kept("aks_cluster_id", compute.properties.resource_id.clone()).into(),
        ),
        (
            "provisioning_state",
            compute.properties.provisioning_state.clone().into(),
        ),
        ("timeouts", prior_value("timeouts")),
    ]) {
        state.set_attr(name, value);
    }
    if attached {
        // Azure reports no AKS properties of an attached cluster: the block as configured.
        state.set_attr(aks_ssl::BLOCK, prior_value(aks_ssl::BLOCK));
        return Ok(state);
    }
    state.set_attr(
        aks_ssl::BLOCK,
        aks_ssl::state(aks.and_then(|a| a.ssl_configuration.as_ref()), prior),
    );
    let or_prior = |name: &str, azure: Option<Value>| azure.unwrap_or_else(|| prior_value(name));
    let networking = networking.unwrap_or_default();
    for (name, value) in [
        (
            "subnet_id",
            kept("subnet_id", networking.subnet_id).map(Value::from),
        ),
        ("service_cidr", networking.service_cidr.map(Value::from)),
        ("dns_service_ip", networking.dns_service_ip.map(Value::from)),
        (
            "docker_bridge_cidr",
            networking.docker_bridge_cidr.map(Value::from),
        ),
        (
            "agent_count",
            aks.and_then(|a| a.agent_count)
                .map(|n| Value::from(i64::from(n))),
        ),
        (
            "agent_vm_size",
            kept("agent_vm_size", aks.and_then(|a| a.agent_vm_size.clone())).map(Value::from),
        ),
        (
            "cluster_purpose",
            aks.and_then(|a| a.cluster_purpose.clone()).map(Value::from),
        ),
        (
            "load_balancer_type",
            aks.and_then(|a| a.load_balancer_type.clone())
                .map(Value::from),
        ),
        (
            "load_balancer_subnet",
            aks.and_then(|a| a.load_balancer_subnet.clone())
                .map(Value::from),
        ),
    ] {
        state.set_attr(name, or_prior(name, value));
    }
    Ok(state)
}

#[async_trait]
impl ComputeKind for Aks {
    const TYPE_NAME: &'static str = TYPE_NAME;
    const TIMEOUTS: Defaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, severities: &Severities) -> Diagnostics {
        validate(config, severities)
    }

    fn wording(&self) -> Wording {
        Wording {
            noun: "AKS attachment".into(),
            create_failed: "Creating the AKS attachment failed".into(),
            delete_failed: "Removing the AKS attachment failed".into(),
            import_hint: "Import an AKS attachment by its ARM ID".into(),
        }
    }

    /// With the `ssl` block of `config`, which holds the certificate and key.
    fn body(&self, planned: &Value, config: &Value) -> Result<ComputeResource, Diagnostic> {
        let known = |name: &str| planned.str_field(name).known();
        let ssl_configuration = aks_ssl::configuration(config, false);
        let compute = match known("kubernetes_cluster_id") {
            Some(cluster_id) => Compute {
                compute_type: "AKS".into(),
                resource_id: Some(cluster_id),
                description: known("description"),
                properties: ssl_configuration.map(|ssl| {
                    ComputeProperties::Aks(AksProperties {
                        ssl_configuration: Some(ssl),
                        ..AksProperties::default()
                    })
                }),
                ..Compute::default()
            },
            None => Compute {
                compute_type: "AKS".into(),
                description: known("description"),
                properties: Some(ComputeProperties::Aks(AksProperties {
                    agent_count: planned.i64_field("agent_count").known().map(|n| n as i32),
                    agent_vm_size: known("agent_vm_size"),
                    cluster_purpose: known("cluster_purpose"),
                    aks_networking_configuration: known("subnet_id").map(|subnet_id| {
                        AksNetworkingConfiguration {
                            subnet_id: Some(subnet_id),
                            service_cidr: known("service_cidr"),
                            dns_service_ip: known("dns_service_ip"),
                            docker_bridge_cidr: known("docker_bridge_cidr"),
                        }
                    }),
                    load_balancer_type: known("load_balancer_type"),
                    load_balancer_subnet: known("load_balancer_subnet"),
                    ssl_configuration,
                    ..AksProperties::default()
                })),
                ..Compute::default()
            },
        };
        Ok(ComputeResource {
            location: known("location"),
            properties: compute,
            ..ComputeResource::default()
        })
    }

    fn state_from(
        &self,
        compute: &ComputeResource,
        id: &ResourceId,
        prior: &Value,
    ) -> Result<Value, Diagnostic> {
        state_from(compute, id, prior)
    }

    /// The SSL rules again, and the network checks plan deferred.
    async fn checks_at_apply(&self, create: &Creating<'_>) -> Diagnostics {
        let Creating {
            session,
            arm,
            call,
            request,
            ..
        } = *create;
        let mut diagnostics = ssl_errors(&request.config, &session.severities);
        if request.planned_private != super::Checks::DEFERRED {
            return diagnostics;
        }
        let found = self.findings(arm, call, session, &request.planned).await;
        diagnostics.extend(diagnosed(found, &session.severities));
        diagnostics
    }

    /// An attached cluster belongs to someone else: detach it, never delete it.
    fn delete_action(&self, prior: &Value) -> &'static str {
        if prior.bool_field("attached").known().unwrap_or(false) {
            "Detach"
        } else {
            "Delete"
        }
    }

    async fn modify_plan(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        let ssl_later = aks_ssl::checked_at_apply(&request.config);
        if !request.prior.state.is_null() {
            let mut diagnostics = self.plan_update(slot, ctx, request, plan).await;
            if operation_running(&request.prior.state) && plan.requires_replace.is_empty() {
                // An operation Azure was still running at refresh (an earlier apply stopped
                // waiting for it): apply waits for its end and records the outcome.
                plan.planned
                    .set_attr("provisioning_state", Value::unknown());
            }
            diagnostics.extend(
                self.scoring_findings_on_update(slot, ctx, &request.prior.state, &plan.planned)
                    .await,
            );
            diagnostics.extend(ssl_later);
            return diagnostics;
        }
        let planned = &mut plan.planned;
        let attaching = !planned.str_field("kubernetes_cluster_id").eq(&Field::Null);
        if !attaching {
            plan_created_defaults(&request.config, planned);
        }
        if attaching {
            for name in [
                "agent_count",
                "agent_vm_size",
                "cluster_purpose",
                "load_balancer_type",
            ] {
                planned.set_attr(name, Value::Null);
            }
        }
        planned.set_attr("attached", attaching.into());
        plan_id(planned);
        let (session, arm) = match require_arm(slot) {
            Ok(found) => found,
            Err(_) => {
                let mut diagnostics = Diagnostics::from(defer_checks(plan, slot, CHECKED_RULES));
                diagnostics.extend(ssl_later);
                return diagnostics;
            }
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
        if planned.str_field("location").is_unknown() {
            let location = match planned.str_field("kubernetes_cluster_id") {
                Field::Known(cluster_id) => arm
                    .get_cached::<ManagedCluster>(
                        &call,
                        &cluster_id,
                        api_version::CONTAINER_SERVICE,
                    )
                    .await
                    .ok()
                    .and_then(|c| c.location),
                _ => match planned
                    .str_field("workspace_id")
                    .known()
                    .map(|w| parse_id(&w, WORKSPACE_TYPE))
                {
                    Some(Ok(workspace)) => facts::workspace(&arm, &call, &workspace)
                        .await
                        .ok()
                        .map(|w| w.location),
                    _ => None,
                },
            };
            if let Some(location) = location {
                planned.set_attr("location", location.into());
            }
        } else if let (Field::Known(workspace_id), Field::Known(location)) = (
            planned.str_field("workspace_id"),
            request.config.str_field("location"),
        ) && let Err(d) =
            check_compute_location(&arm, &call, &workspace_id, &location).await
        {
            return d.into();
        }
        let found = self.findings(&arm, &call, &session, planned).await;
        let mut diagnostics = diagnosed_or_deferred(found, plan, slot, CHECKED_RULES);
        diagnostics.extend(ssl_later);
        diagnostics
    }

    async fn update(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        request: ApplyRequest,
    ) -> Outcome<Stored> {
        // Any other argument replaces the attachment; `timeouts` and the scoring clients are
        // the provider's own.
        let prior_ssl = request.prior.state.attr(aks_ssl::BLOCK);
        let ssl_changes = prior_ssl != request.planned.attr(aks_ssl::BLOCK);
        let waits = request
            .planned
            .attr("provisioning_state")
            .is_some_and(Value::is_unknown);
        if !ssl_changes && !waits {
            return Outcome::ok(Stored::new(request.planned));
        }
        let (session, arm) = match require_arm(slot) {
            Ok(found) => found,
            Err(d) => return Outcome::failed(d),
        };
        let errors = ssl_errors(&request.config, &session.severities);
        if ssl_changes && errors.has_errors() {
            return Outcome::failed(errors);
        }
        let id = match request
            .prior
            .state
            .str_field("id")
            .known()
            .ok_or_else(|| "The attachment has no ID in state.".to_owned())
            .and_then(|id| parse_id(&id, COMPUTE_TYPE))
        {
            Ok(id) => id,
            Err(m) => return Outcome::failed(Diagnostic::error("Invalid compute ID", m)),
        };
        let call = call_context(
            ctx,
            TIMEOUTS.for_operation(&request.planned, Operation::Update),
        );
        let written = match ssl_changes {
            true => {
                let ssl = aks_ssl::configuration(
                    &request.config,
                    prior_ssl.is_some_and(|block| !block.is_null()),
                );
                self.put_ssl(&arm, &call, &id, ssl).await
            }
            // Only an operation Azure was still running at plan: its end is recorded.
            false => {
                arm.get_settled(&call, id.as_str(), api_version::MACHINE_LEARNING)
                    .await
            }
        };
        match written {
            Ok(compute) => match state_from(&compute, &id, &request.planned) {
                Ok(state) => Outcome::ok(Stored::new(state)),
                Err(d) => Outcome::failed(d),
            },
            Err(error) => Outcome::failed(arm_diagnostic(
                "Changing the AKS attachment's SSL failed",
                &error,
            )),
        }
    }

    fn machine_behind(&self) -> Option<&dyn MachineBehind> {
        Some(self)
    }

    fn list_resource(compute: &AksAttachment) -> Option<&dyn ListResource> {
        Some(compute)
    }
}

/// The compute outlives the AKS cluster behind it.
impl MachineBehind for Aks {
    fn machine(&self, state: &Value) -> Option<Machine> {
        Some(Machine {
            id: state.str_field("aks_cluster_id").known()?,
            api_version: api_version::CONTAINER_SERVICE,
            noun: CLUSTER_NOUN,
        })
    }

    fn forget(&self, state: &mut Value, cluster: &Machine) -> Diagnostic {
        let name = state.str_field("name").known().unwrap_or_default();
        state.set_attr("aks_cluster_id", Value::Null);
        if state.bool_field("attached").known() == Some(true) {
            state.set_attr("kubernetes_cluster_id", Value::Null);
            drift::target_gone_warning(CLUSTER_NOUN, "kubernetes_cluster_id", &cluster.id, &name)
        } else {
            drift::created_cluster_gone_warning(&cluster.id, &name)
        }
    }
}

/// What a created cluster's attributes mean when the configuration leaves them out, at
/// create and after: a value changed outside Terraform is put back (by replacement).
fn plan_created_defaults(config: &Value, planned: &mut Value) {
    for (name, default) in [
        (
            "agent_count",
            Value::Number(tfplugin::value::Number::Int(DEFAULT_AGENT_COUNT as i64)),
        ),
        ("agent_vm_size", "Standard_D3_v2".into()),
        ("cluster_purpose", "FastProd".into()),
        ("load_balancer_type", "PublicIp".into()),
    ] {
        if config.attr(name).is_none_or(Value::is_null) {
            planned.set_attr(name, default);
        }
    }
}

impl Aks {
    /// The plan of an attachment that exists: defaults of a created cluster kept, a failed
    /// compute replaced, and a cluster deleted outside Terraform dealt with (a created one is
    /// made again by replacing the attachment; for an attached one, the configured cluster
    /// must exist).
    async fn plan_update(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        let prior = &request.prior.state;
        let attached = prior.bool_field("attached").known() == Some(true);
        if !attached {
            plan_created_defaults(&request.config, &mut plan.planned);
        }
        drift::replace_when_failed(prior, plan);
        if !prior.attr("aks_cluster_id").is_some_and(Value::is_null) {
            return Diagnostics::new();
        }
        let Ok((_, arm)) = require_arm(slot) else {
            return Diagnostics::new();
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(prior, Operation::Read));
        let name = prior.str_field("name").known().unwrap_or_default();
        if attached {
            // Refresh found the attached cluster gone: the configured one must exist.
            let Field::Known(configured) = plan.planned.str_field("kubernetes_cluster_id") else {
                return Diagnostics::new();
            };
            return match machine_exists(
                &arm,
                &call,
                &configured,
                api_version::CONTAINER_SERVICE,
                CLUSTER_NOUN,
            )
            .await
            {
                Ok(true) => Diagnostics::new(),
                Ok(false) => drift::target_missing_error(
                    CLUSTER_NOUN,
                    "kubernetes_cluster_id",
                    &configured,
                    &name,
                )
                .into(),
                Err(d) => d
                    .at(AttributePath::attribute("kubernetes_cluster_id"))
                    .into(),
            };
        }
        // No cluster recorded: gone, unless the state predates aks_cluster_id and was not
        // refreshed, which the compute tells.
        let Field::Known(id) = prior.str_field("id") else {
            return Diagnostics::new();
        };
        let behind = match arm
            .get_cached::<ComputeResource>(&call, &id, api_version::MACHINE_LEARNING)
            .await
        {
            Ok(compute) => compute.properties.resource_id,
            Err(error) => {
                return arm_diagnostic("Reading the AKS attachment failed", &error).into();
            }
        };
        let exists = match &behind {
            Some(cluster) => match machine_exists(
                &arm,
                &call,
                cluster,
                api_version::CONTAINER_SERVICE,
                CLUSTER_NOUN,
            )
            .await
            {
                Ok(exists) => exists,
                Err(d) => return d.into(),
            },
            None => false,
        };
        if exists {
            plan.planned.set_attr("aks_cluster_id", behind.into());
        } else {
            plan.planned.set_attr("aks_cluster_id", Value::unknown());
            plan.requires_replace
                .push(AttributePath::attribute("aks_cluster_id"));
        }
        Diagnostics::new()
    }
}

#[async_trait]
impl listing::ListedCompute for Aks {
    const LISTED: &'static str = "AKS inference computes (created through Azure ML or attached)";
    const COMPUTE_TYPE: &'static str = "AKS";

    /// As an import gives it, except that an attached cluster's result leaves out what only a
    /// created cluster is configured with: Azure reports it, but configuration generated
    /// from the result must not set it.
    fn listed_state(
        &self,
        compute: &ComputeResource,
        id: &ResourceId,
    ) -> Result<Value, Diagnostic> {
        let mut state = state_from(compute, id, &schema().null_value())?;
        if state.str_field("kubernetes_cluster_id").known().is_some() {
            for name in CREATE_ONLY {
                state.set_attr(name, Value::Null);
            }
        }
        Ok(state)
    }

    /// Configured when Azure ML created the cluster, read from the cluster's agent pools
    /// when it was attached.
    async fn nodes_subnet(
        &self,
        arm: &ArmClient,
        call: &CallContext,
        state: &Value,
    ) -> Option<String> {
        if let Some(subnet) = state.str_field("subnet_id").known() {
            return Some(subnet);
        }
        let cluster_id = state.str_field("kubernetes_cluster_id").known()?;
        let cluster: ManagedCluster = arm
            .get_cached(call, &cluster_id, api_version::CONTAINER_SERVICE)
            .await
            .ok()?;
        cluster
            .agent_pools()
            .iter()
            .find_map(|p| p.vnet_subnet_id.clone())
    }

    async fn rule_findings(
        &self,
        session: &Session,
        arm: &ArmClient,
        call: &CallContext,
        state: &Value,
    ) -> Diagnostics {
        let found = self.findings(arm, call, session, state).await;
        diagnosed(found, &session.severities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
    const SUBNET: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks";
    const CLUSTER: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1";

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut config = schema().null_value();
        config.set_attr("name", "inference".into());
        config.set_attr("workspace_id", WORKSPACE.into());
        for (name, value) in pairs {
            config.set_attr(name, value.clone());
        }
        config
    }

    fn created(pairs: &[(&str, Value)]) -> Value {
        let mut base = vec![
            ("subnet_id", Value::from(SUBNET)),
            ("service_cidr", "10.240.0.0/16".into()),
            ("dns_service_ip", "10.240.0.10".into()),
        ];
        base.extend(pairs.iter().cloned());
        config(&base)
    }

    fn summaries(diagnostics: &Diagnostics) -> Vec<(String, String)> {
        diagnostics
            .iter()
            .map(|d| {
                (
                    d.summary.clone(),
                    d.attribute
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn sound_created_and_attached_configurations_pass() {
        assert!(validate(&created(&[]), &Severities::default()).is_empty());
        assert!(
            validate(
                &config(&[("kubernetes_cluster_id", CLUSTER.into())]),
                &Severities::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn offline_aks_rules_run_in_validate_at_their_attributes() {
        let diagnostics = validate(
            &created(&[("dns_service_ip", "10.240.0.1".into())]),
            &Severities::default(),
        );
        let found = summaries(&diagnostics);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].0.starts_with("AMLS206"), "{found:?}");
        assert_eq!(found[0].1, "dns_service_ip");

        let reserved = validate(
            &created(&[
                ("service_cidr", "172.30.0.0/16".into()),
                ("dns_service_ip", "172.30.0.10".into()),
            ]),
            &Severities::default(),
        );
        assert!(
            summaries(&reserved)
                .iter()
                .any(|(s, a)| s.starts_with("AMLS202") && a == "service_cidr")
        );
    }

    #[test]
    fn modes_do_not_mix_and_created_clusters_need_their_network() {
        let mixed = validate(
            &config(&[
                ("kubernetes_cluster_id", CLUSTER.into()),
                ("service_cidr", "10.240.0.0/16".into()),
            ]),
            &Severities::default(),
        );
        assert_eq!(
            summaries(&mixed),
            [(
                "Setting for a created cluster".to_owned(),
                "service_cidr".to_owned()
            )]
        );

        let missing = validate(
            &config(&[("subnet_id", SUBNET.into())]),
            &Severities::default(),
        );
        let attributes: Vec<_> = summaries(&missing).into_iter().map(|(_, a)| a).collect();
        assert_eq!(attributes, ["service_cidr", "dns_service_ip"]);

        let nowhere = validate(&config(&[]), &Severities::default());
        assert_eq!(summaries(&nowhere)[0].1, "subnet_id");
    }

    #[test]
    fn bad_addresses_and_ids_point_at_their_attributes() {
        let bad = validate(
            &created(&[
                ("service_cidr", "10.240.0.5/16".into()),
                ("kubernetes_cluster_id", Value::Null),
                ("subnet_id", WORKSPACE.into()),
            ]),
            &Severities::default(),
        );
        let attributes: Vec<_> = summaries(&bad).into_iter().map(|(_, a)| a).collect();
        assert!(
            attributes.contains(&"service_cidr".to_owned()),
            "{attributes:?}"
        );
        assert!(
            attributes.contains(&"subnet_id".to_owned()),
            "{attributes:?}"
        );
    }

    #[test]
    fn scoring_clients_are_checked_and_stay_at_their_attribute() {
        let clients = |items: &[&str]| Value::List(items.iter().map(|i| Value::from(*i)).collect());
        let bad = validate(
            &created(&[(SCORING_SOURCES, clients(&["Internet", "203.0.113.0/24"]))]),
            &Severities::default(),
        );
        assert_eq!(
            summaries(&bad),
            [(
                "Invalid scoring clients".to_owned(),
                SCORING_SOURCES.to_owned()
            )]
        );
        assert!(
            validate(
                &created(&[(SCORING_SOURCES, clients(&["203.0.113.0/24"]))]),
                &Severities::default()
            )
            .is_empty()
        );
        let blocked = Finding::new(
            &nsg::seed::SCORING_INBOUND_BLOCKED,
            SCORING_SOURCES,
            "in network security group 'nsg', ...",
            "Add an inbound Allow rule",
        );
        assert_eq!(about_existing_cluster(blocked.clone()), blocked);
        for (planned, expected) in [
            (created(&[]), Some(None)),
            (created(&[(SCORING_SOURCES, Value::unknown())]), None),
            (
                created(&[(SCORING_SOURCES, clients(&["Internet"]))]),
                Some(Some((
                    nsg::Remote::Service(nsg::ServiceTag::new("Internet", None)),
                    80,
                ))),
            ),
            (
                created(&[
                    (SCORING_SOURCES, clients(&["Internet"])),
                    ("ssl", ssl(&[("status", "Auto".into())])),
                ]),
                Some(Some((
                    nsg::Remote::Service(nsg::ServiceTag::new("Internet", None)),
                    443,
                ))),
            ),
            (
                created(&[
                    (SCORING_SOURCES, clients(&["Internet"])),
                    ("ssl", ssl(&[("status", Value::unknown())])),
                ]),
                None,
            ),
        ] {
            assert_eq!(scoring(&planned), expected, "{planned:?}");
        }
    }

    #[test]
    fn findings_about_an_attached_cluster_point_at_its_id() {
        let overlap = Finding::new(
            &crate::rules::aks::SERVICE_CIDR_OVERLAPS_VNET,
            "service_cidr",
            "service_cidr 10.0.0.0/16 overlaps 10.0.0.0/16 of the virtual network",
            "Choose a service_cidr outside every range, for example 172.16.0.0/16",
        );
        let moved = about_existing_cluster(overlap);
        assert_eq!(moved.attribute, "kubernetes_cluster_id");
        assert!(
            moved
                .message
                .starts_with("In the existing cluster, service_cidr 10.0.0.0/16")
        );
        assert!(
            moved
                .fix
                .starts_with("AKS fixes a cluster's network ranges")
        );
        assert!(moved.fix.ends_with("for example 172.16.0.0/16"));

        let nsg = Finding::new(
            &nsg::seed::AKS_INBOUND_BLOCKED,
            "subnet_id",
            "rule 'deny' blocks",
            "Add a rule",
        );
        let moved = about_existing_cluster(nsg);
        assert_eq!(
            (moved.attribute, moved.message.as_str(), moved.fix.as_str()),
            ("kubernetes_cluster_id", "rule 'deny' blocks", "Add a rule")
        );
    }

    /// An `ssl` block with `pairs` set and the other attributes null.
    fn ssl(pairs: &[(&str, Value)]) -> Value {
        let schema = schema();
        let block = schema
            .block
            .blocks
            .iter()
            .find(|b| b.type_name == "ssl")
            .unwrap();
        let mut value = Value::object(
            block
                .block
                .attributes
                .iter()
                .map(|a| (a.name.as_str(), Value::Null)),
        );
        for (name, v) in pairs {
            value.set_attr(name, v.clone());
        }
        value
    }

    #[test]
    fn ssl_rules_run_in_validate_at_the_block_s_attributes() {
        let attributes = |config: Value| -> Vec<String> {
            summaries(&validate(&config, &Severities::default()))
                .into_iter()
                .map(|(summary, at)| format!("{} @ {at}", &summary[..7]))
                .collect()
        };
        let auto = ssl(&[
            ("status", "Auto".into()),
            ("leaf_domain_label", "contoso".into()),
        ]);
        assert!(attributes(created(&[("ssl", auto.clone())])).is_empty());
        assert_eq!(
            attributes(created(&[
                ("ssl", auto.clone()),
                ("load_balancer_type", "InternalLoadBalancer".into()),
            ])),
            ["AMLS244 @ ssl.status"]
        );
        // An attached cluster keeps its own load balancer, which the configuration does not say.
        assert!(
            attributes(config(&[
                ("kubernetes_cluster_id", CLUSTER.into()),
                ("ssl", auto),
            ]))
            .is_empty()
        );
        assert_eq!(
            attributes(created(&[(
                "ssl",
                ssl(&[
                    ("status", "Enabled".into()),
                    ("cname", "www.contoso.com".into()),
                    ("leaf_domain_label", "Contoso".into()),
                ])
            )])),
            [
                "Invalid @ ssl.leaf_domain_label",
                "AMLS241 @ ssl.certificate",
                "AMLS242 @ ssl.leaf_domain_label"
            ]
        );
    }

    #[test]
    fn the_created_compute_carries_the_ssl_configuration() {
        let config = created(&[(
            "ssl",
            ssl(&[
                ("status", "Enabled".into()),
                ("cname", "www.contoso.com".into()),
                ("certificate", "CERT".into()),
                ("key", "KEY".into()),
            ]),
        )]);
        let body = serde_json::to_value(Aks.body(&config, &config).unwrap()).unwrap();
        assert_eq!(
            body["properties"]["properties"]["sslConfiguration"],
            serde_json::json!({"status": "Enabled", "cert": "CERT", "key": "KEY", "cname": "www.contoso.com"})
        );
        let attached = config_with_ssl_attached();
        let body = serde_json::to_value(Aks.body(&attached, &attached).unwrap()).unwrap();
        assert_eq!(
            body["properties"]["properties"],
            serde_json::json!({"sslConfiguration": {"status": "Auto", "leafDomainLabel": "contoso", "overwriteExistingDomain": false}})
        );
        let plain = created(&[]);
        let body = serde_json::to_value(Aks.body(&plain, &plain).unwrap()).unwrap();
        assert!(
            body["properties"]["properties"]
                .get("sslConfiguration")
                .is_none()
        );
    }

    fn config_with_ssl_attached() -> Value {
        config(&[
            ("kubernetes_cluster_id", CLUSTER.into()),
            (
                "ssl",
                ssl(&[
                    ("status", "Auto".into()),
                    ("leaf_domain_label", "contoso".into()),
                ]),
            ),
        ])
    }

    #[test]
    fn state_reads_ssl_from_a_created_cluster_and_keeps_an_attached_one_s() {
        let created_compute: ComputeResource = serde_json::from_value(serde_json::json!({
            "location": "westeurope",
            "properties": {
                "computeType": "AKS",
                "properties": {"sslConfiguration": {"status": "Enabled", "cname": "www.contoso.com"}}
            }
        }))
        .unwrap();
        let id = parse_id(&format!("{WORKSPACE}/computes/inference"), COMPUTE_TYPE).unwrap();
        let state = state_from(&created_compute, &id, &created(&[])).unwrap();
        assert_eq!(
            state.attr("ssl"),
            Some(&ssl(&[
                ("status", "Enabled".into()),
                ("cname", "www.contoso.com".into())
            ]))
        );
        let attached_compute: ComputeResource = serde_json::from_value(serde_json::json!({
            "properties": {"computeType": "AKS", "resourceId": CLUSTER, "isAttachedCompute": true}
        }))
        .unwrap();
        let prior = config_with_ssl_attached();
        let state = state_from(&attached_compute, &id, &prior).unwrap();
        assert_eq!(state.attr("ssl"), prior.attr("ssl"));
    }

    #[test]
    fn unknown_ranges_wait_for_plan() {
        assert!(
            validate(
                &created(&[("service_cidr", Value::unknown())]),
                &Severities::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn attached_state_keeps_configuration_casing_and_detach_marker() {
        let compute: ComputeResource = serde_json::from_value(serde_json::json!({
            "id": format!("{}/computes/inference", WORKSPACE.to_lowercase()),
            "location": "westeurope",
            "properties": {
                "computeType": "AKS",
                "resourceId": CLUSTER.to_lowercase(),
                "isAttachedCompute": true,
                "provisioningState": "Succeeded"
            }
        }))
        .unwrap();
        let id = parse_id(&format!("{WORKSPACE}/computes/inference"), COMPUTE_TYPE).unwrap();
        let clients = Value::List(vec!["203.0.113.0/24".into()]);
        let prior = config(&[
            ("kubernetes_cluster_id", CLUSTER.into()),
            (SCORING_SOURCES, clients.clone()),
        ]);
        let state = state_from(&compute, &id, &prior).unwrap();
        assert_eq!(state.attr(SCORING_SOURCES), Some(&clients));
        assert_eq!(state.attr("kubernetes_cluster_id"), Some(&CLUSTER.into()));
        assert_eq!(state.attr("attached"), Some(&true.into()));
        assert_eq!(state.attr("workspace_id"), Some(&WORKSPACE.into()));
    }
}
