//! `amlsecure_compute_network_security_rules`: the seed's rule set written onto an existing
//! network security group, one security rule (its own ARM child resource) at a time, so rules
//! this resource does not own are never touched and concurrent applies on one NSG never
//! overwrite each other.
//!
//! Which rules and at which priorities is decided by the pure
//! [`nsg::rule_set`](crate::rules::nsg::rule_set) rules, at plan from the live NSG (the plan
//! shows every name and priority) and again at apply before any write.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use ipnet::IpNet;
use tfplugin::resource::{
    ApplyRequest, Context, Identity, ImportState, ListRequest, ListResource, Listed, ModifyPlan,
    Outcome, Plan, PlanRequest, Resource, Stored,
};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::timeouts::{self, Defaults, Operation};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use serde::{Deserialize, Serialize};

use super::name_prefix;
use super::{Checks, listing};
use crate::arm::models::network::{
    NetworkSecurityGroup, SecurityRule as ArmRule, SecurityRuleProperties,
};
use crate::arm::{ArmClient, ArmError, CallContext, api_version};
use crate::checks::planned::PlannedRules;
use crate::rules::Profile;
use crate::rules::nsg::rule_set::{self, Role, RuleSetConfig};
use crate::rules::nsg::{
    Access, Direction, MAX_PRIORITY, MIN_PRIORITY, PortRange, Protocol, SecurityRule,
};
use crate::session::SessionSlot;
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

/// The rules this resource's checks raise, by number (see [`Checks::deferred_warning`]).
const CHECKED_RULES: &[std::ops::RangeInclusive<u16>] = &[161..=164];

pub const TYPE_NAME: &str = "amlsecure_compute_network_security_rules";

pub const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(30 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(30 * 60),
    delete: Duration::from_secs(30 * 60),
};

pub const DEFAULT_PREFIX: &str = name_prefix::DEFAULT;
pub const DEFAULT_PRIORITY_START: i64 = 100;
pub const DEFAULT_SCORING_PORTS: [&str; 2] = ["80", "443"];
const NSG_TYPE: &str = "Microsoft.Network/networkSecurityGroups";
/// Longest `name_prefix`: Azure's 80 characters less the longest suffix.
const MAX_PREFIX_LEN: usize = 50;
const DESCRIPTION: &str = "Managed by Terraform (amlsecure_compute_network_security_rules)";

fn rule_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("priority", Type::Number),
        ("direction", Type::String),
        ("access", Type::String),
        ("protocol", Type::String),
        ("source_address_prefixes", Type::list(Type::String)),
        ("source_port_ranges", Type::list(Type::String)),
        ("destination_address_prefixes", Type::list(Type::String)),
        ("destination_port_ranges", Type::list(Type::String)),
    ])
}

pub fn schema() -> Schema {
    let mut schema = Schema::new(
        "The network security group rules Azure Machine Learning compute needs, written onto an existing network security group as individual security rules: the inbound rule Azure manages the nodes through (TCP 29876-29877 from `BatchNodeManagement` under the provider's `guidance = \"2019\"`, TCP 44224 from `AzureMachineLearning` under `\"current\"`), optionally SSH, an outbound lockdown, and the AKS inbound rules. Rules it does not own are never changed; `terraform plan` shows every rule's name and priority, and fails naming the rule in the way when a name or priority is taken.",
        vec![
            Attribute::computed("id", Type::String).ignore_case().description(
                "`<network_security_group_id>|<name_prefix>`: the group, and the names of the rules this resource manages.",
            ),
            Attribute::required("network_security_group_id", Type::String)
                .requires_replace()
                .ignore_case()
                .description("ARM ID of the existing network security group the rules are written to (any letter case: a change of case alone changes nothing in Azure)."),
            Attribute::optional_computed("name_prefix", Type::String)
                .requires_replace()
                .description("Start of the names of the rules this resource writes, like `amlsecure-batch-inbound` (default `amlsecure`): letters, digits, `.`, `_` and `-`, at most 50."),
            Attribute::optional_computed("priority_start", Type::Number)
                .whole_numbers(PRIORITIES)
                .description(
                "Lowest priority picked for a rule not in `priorities` (default 100). Picked priorities skip those of other rules, the outbound Deny of `Internet` comes after the outbound Allows, and a rule keeps the priority it was given: one changed outside Terraform is planned back to it (or, when another rule took it meanwhile, to the lowest free one), because a rule's priority decides which other rules it overrides.",
            ),
            Attribute::optional("priorities", Type::map(Type::Number))
                .whole_numbers(PRIORITIES)
                .description(
                "Chosen priorities (100-4096) by rule: `batch_inbound` (2019) or `node_inbound` (current), `ssh_inbound`, `azureml_inbound`, `scoring_inbound`, the lockdown's `storage_outbound`, `acr_outbound` and `azureml_outbound`, under `guidance = \"current\"` also `aad_outbound`, `azureml_udp_outbound`, `batch_outbound`, `arm_outbound`, `frontdoor_outbound`, `mcr_outbound`, `monitor_outbound` and `keyvault_outbound`, and `deny_internet_outbound`. Rules left out get free priorities; a rule the guidance profile does not write ignores its entry.",
            ),
            Attribute::optional("ssh_source_addresses", Type::list(Type::String)).description(
                "Sources allowed to reach TCP 22 on the nodes: addresses and CIDR ranges, or one service tag. Adds rule `ssh_inbound`; needed only for SSH to the nodes' public addresses.",
            ),
            Attribute::optional_computed("outbound_lockdown", Type::Bool).description(
                "Limit outbound traffic (default `false`): allow the services Azure's guidance names, then deny `Internet`. Under `guidance = \"2019\"`: `Storage.<region>`, `AzureContainerRegistry.<region>` and `AzureMachineLearning`, on any port. Under `\"current\"`: `AzureActiveDirectory` (TCP 80, 443), `AzureMachineLearning` (TCP 443, 18881; UDP 5831), `BatchNodeManagement.<region>`, `AzureResourceManager`, `Storage.<region>` (TCP 443, 445), `AzureFrontDoor.Frontend`, `MicrosoftContainerRegistry.<region>`, `AzureContainerRegistry.<region>`, `AzureMonitor` and `AzureKeyVault.<region>` (TCP 443).",
            ),
            Attribute::optional_computed("region", Type::String).description(
                "Region of the regional service tags, like `westeurope`; defaults to the network security group's location.",
            ),
            Attribute::optional_computed("aks_enabled", Type::Bool).description(
                "For an AKS inference cluster behind the group (default `false`): allow inbound TCP from service tag `AzureMachineLearning`.",
            ),
            Attribute::optional("aks_scoring_source_addresses", Type::list(Type::String))
                .description(
                    "Sources allowed to call the AKS scoring endpoint from outside the virtual network: addresses and CIDR ranges, or one service tag. Adds rule `scoring_inbound`; needs `aks_enabled`.",
                ),
            Attribute::optional_computed("aks_scoring_ports", Type::list(Type::String))
                .description("Ports of the scoring endpoint, each `N` or `N-M` (default `80` and `443`)."),
            Attribute::computed("rules", Type::list(rule_type())).description(
                "The security rules this resource manages, as they are in Azure: `name`, `priority`, `direction`, `access`, `protocol`, `source_address_prefixes`, `source_port_ranges`, `destination_address_prefixes` and `destination_port_ranges`.",
            ),
        ],
    );
    schema.block.blocks.push(timeouts::block(&TIMEOUTS));
    schema
}

/// Security rule priorities Azure accepts.
const PRIORITIES: std::ops::RangeInclusive<i64> = MIN_PRIORITY as i64..=MAX_PRIORITY as i64;

fn valid_prefix(prefix: &str) -> bool {
    name_prefix::is_valid(prefix, MAX_PREFIX_LEN)
}

/// `*`, an address or a CIDR range.
fn is_address(text: &str) -> bool {
    text == "*" || text.parse::<IpNet>().is_ok() || text.parse::<std::net::IpAddr>().is_ok()
}

fn is_service_tag(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Checks that need no Azure. Values still unknown are checked at plan or apply.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics: Diagnostics = timeouts::validate(config).into_iter().collect();
    let mut problem = |attribute: &str, summary: &str, detail: String| {
        diagnostics
            .push(Diagnostic::error(summary, detail).at(AttributePath::attribute(attribute)));
    };
    if let Field::Known(id) = config.str_field("network_security_group_id")
        && let Err(message) = parse_id(&id, NSG_TYPE)
    {
        problem(
            "network_security_group_id",
            "Invalid network security group ID",
            message,
        );
    }
    if let Field::Known(prefix) = config.str_field("name_prefix")
        && !valid_prefix(&prefix)
    {
        problem(
            "name_prefix",
            "Invalid rule name prefix",
            format!(
                "{prefix:?} cannot start security rule names: use 1 to {MAX_PREFIX_LEN} letters, digits, '.', '_' and '-', starting with a letter or digit."
            ),
        );
    }
    if let Some(Value::Map(entries)) = config.attr("priorities") {
        let mut seen: Vec<(Role, i64)> = Vec::new();
        for (key, value) in entries {
            let Some(role) = Role::from_key(key) else {
                let keys: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
                problem(
                    "priorities",
                    "Unknown rule in priorities",
                    format!(
                        "priorities has {key:?}, which is none of this resource's rules: {}.",
                        keys.join(", ")
                    ),
                );
                continue;
            };
            // Whole numbers in range are the schema's check.
            let Some(priority) = value.as_i64().filter(|p| PRIORITIES.contains(p)) else {
                continue;
            };
            if let Some((other, _)) = seen
                .iter()
                .find(|(r, p)| *p == priority && r.direction() == role.direction())
            {
                problem(
                    "priorities",
                    "Duplicate priority",
                    format!(
                        "priorities.{} and priorities.{key} are both {priority}; Azure allows one rule per priority and direction. Give one of them another priority.",
                        other.key()
                    ),
                );
            }
            seen.push((role, priority));
        }
    }
    for attribute in ["ssh_source_addresses", "aks_scoring_source_addresses"] {
        if let Some(items) = config.attr(attribute).and_then(Value::as_elements)
            && items.iter().any(Value::is_null)
        {
            problem(
                attribute,
                "Null source",
                format!(
                    "{attribute} holds a null; list addresses, CIDR ranges or one service tag."
                ),
            );
        }
        let Field::Known(sources) = config.strings_field(attribute) else {
            continue;
        };
        let mut seen: Vec<&str> = Vec::new();
        for source in &sources {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(source)) {
                problem(
                    attribute,
                    "Duplicate source",
                    format!(
                        "{attribute} lists {source:?} twice; Azure refuses a rule that repeats a source."
                    ),
                );
            }
            seen.push(source);
        }
        for source in &sources {
            if !is_address(source) && !is_service_tag(source) {
                problem(
                    attribute,
                    "Invalid source",
                    format!(
                        "{source:?} is neither an address, a CIDR range, '*' nor a service tag."
                    ),
                );
            }
        }
        if sources.len() > 1
            && let Some(tag) = sources.iter().find(|s| !is_address(s))
        {
            problem(
                attribute,
                "Service tag among several sources",
                format!(
                    "{attribute} lists {} sources and {tag:?} is a service tag or '*'; Azure takes a service tag only as a rule's single source. Use only {tag:?}, or only addresses and CIDR ranges.",
                    sources.len()
                ),
            );
        }
    }
    if let Field::Known(ports) = config.strings_field("aks_scoring_ports") {
        if ports.is_empty() {
            problem(
                "aks_scoring_ports",
                "No scoring port",
                "aks_scoring_ports is empty; list at least one port, like \"443\".".into(),
            );
        }
        for port in ports {
            if PortRange::parse(&port).is_none() {
                problem(
                    "aks_scoring_ports",
                    "Invalid port",
                    format!("{port:?} is not a port: use N or N-M, from 0 to 65535, or '*'."),
                );
            }
        }
    }
    if let Field::Known(sources) = config.strings_field("aks_scoring_source_addresses")
        && !sources.is_empty()
        && config.bool_field("aks_enabled") != Field::Known(true)
        && !config.bool_field("aks_enabled").is_unknown()
    {
        problem(
            "aks_scoring_source_addresses",
            "Scoring rule without AKS",
            "aks_scoring_source_addresses opens the AKS scoring endpoint, but aks_enabled is not true. Set aks_enabled = true, or remove aks_scoring_source_addresses.".into(),
        );
    }
    if let Field::Known(region) = config.str_field("region")
        && (region.is_empty() || !region.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        problem(
            "region",
            "Invalid region",
            format!("{region:?} is not an Azure region name, like westeurope."),
        );
    }
    diagnostics
}

pub struct ComputeNetworkSecurityRules {
    session: SessionSlot,
}

impl ComputeNetworkSecurityRules {
    pub fn new(session: SessionSlot) -> ComputeNetworkSecurityRules {
        ComputeNetworkSecurityRules { session }
    }
}

/// The inputs of a plan or apply, every value known except perhaps the region.
struct Inputs {
    nsg_id: String,
    config: RuleSetConfig,
    region_known: bool,
}

impl Inputs {
    /// `None` while a value is unknown. `profile` picks the 2019 rule set or today's.
    fn read(planned: &Value, config: &Value, profile: Profile) -> Option<Inputs> {
        let nsg_id = planned.str_field("network_security_group_id").known()?;
        let name_prefix = planned.str_field("name_prefix").known()?;
        let priority_start = planned.i64_field("priority_start").known()?;
        let strings = |name: &str| match planned.strings_field(name) {
            Field::Known(list) => Some(list),
            Field::Null => Some(Vec::new()),
            Field::Unknown => None,
        };
        let mut priorities = BTreeMap::new();
        match planned.attr("priorities") {
            None | Some(Value::Null) => {}
            Some(value) if !value.is_wholly_known() => return None,
            Some(Value::Map(entries)) => {
                for (key, value) in entries {
                    if let (Some(role), Some(priority)) = (Role::from_key(key), value.as_i64()) {
                        priorities.insert(role, u32::try_from(priority).ok()?);
                    }
                }
            }
            Some(_) => {}
        }
        let region = planned.str_field("region");
        let region_known = matches!(region, Field::Known(_));
        // Unknown but configured: it comes from another resource. Unknown and not
        // configured: the group's location, read with the group.
        if !region_known && config.attr("region").is_some_and(|r| !r.is_null()) {
            return None;
        }
        Some(Inputs {
            nsg_id,
            config: RuleSetConfig {
                profile,
                name_prefix,
                region: region.known().unwrap_or_default(),
                priority_start: u32::try_from(priority_start).ok()?,
                priorities,
                ssh_sources: strings("ssh_source_addresses")?,
                outbound_lockdown: planned.bool_field("outbound_lockdown").known()?,
                aks: planned.bool_field("aks_enabled").known()?,
                scoring_sources: strings("aks_scoring_source_addresses")?,
                scoring_ports: strings("aks_scoring_ports")?,
            },
            region_known,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions

fn protocol_text(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "Tcp",
        Protocol::Udp => "Udp",
        Protocol::Icmp => "Icmp",
        Protocol::Esp => "Esp",
        Protocol::Ah => "Ah",
        Protocol::Any => "*",
    }
}

fn parse_protocol(text: &str) -> Protocol {
    match text.to_ascii_lowercase().as_str() {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "icmp" => Protocol::Icmp,
        "esp" => Protocol::Esp,
        "ah" => Protocol::Ah,
        _ => Protocol::Any,
    }
}

fn direction_text(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "Inbound",
        Direction::Outbound => "Outbound",
    }
}

fn access_text(access: Access) -> &'static str {
    match access {
        Access::Allow => "Allow",
        Access::Deny => "Deny",
    }
}

/// A rule as Azure has it, ARM's singular and plural fields merged; `None` for rules missing
/// their essentials (Azure rejects those).
fn from_arm(rule: &ArmRule) -> Option<SecurityRule> {
    let p = &rule.properties;
    let merge = |one: &Option<String>, many: &Option<Vec<String>>| -> Vec<String> {
        one.iter().chain(many.iter().flatten()).cloned().collect()
    };
    Some(SecurityRule {
        name: rule.name.clone()?,
        priority: u32::try_from(p.priority?).ok()?,
        direction: if p.direction.as_deref()?.eq_ignore_ascii_case("Inbound") {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        access: if p.access.as_deref()?.eq_ignore_ascii_case("Allow") {
            Access::Allow
        } else {
            Access::Deny
        },
        protocol: parse_protocol(p.protocol.as_deref().unwrap_or("*")),
        source_prefixes: merge(&p.source_address_prefix, &p.source_address_prefixes),
        source_ports: merge(&p.source_port_range, &p.source_port_ranges),
        destination_prefixes: merge(
            &p.destination_address_prefix,
            &p.destination_address_prefixes,
        ),
        destination_ports: merge(&p.destination_port_range, &p.destination_port_ranges),
    })
}

/// The PUT body of a rule: one value in the singular field (service tags must be there,
/// REFERENCE §10 rule 23), several in the plural one.
fn to_arm(rule: &SecurityRule) -> ArmRule {
    let split = |values: &[String]| match values {
        [one] => (Some(one.clone()), None),
        many => (None, Some(many.to_vec())),
    };
    let (source_address_prefix, source_address_prefixes) = split(&rule.source_prefixes);
    let (source_port_range, source_port_ranges) = split(&rule.source_ports);
    let (destination_address_prefix, destination_address_prefixes) =
        split(&rule.destination_prefixes);
    let (destination_port_range, destination_port_ranges) = split(&rule.destination_ports);
    ArmRule {
        properties: SecurityRuleProperties {
            description: Some(DESCRIPTION.into()),
            protocol: Some(protocol_text(rule.protocol).into()),
            source_port_range,
            source_port_ranges,
            destination_port_range,
            destination_port_ranges,
            source_address_prefix,
            source_address_prefixes,
            destination_address_prefix,
            destination_address_prefixes,
            access: Some(access_text(rule.access).into()),
            priority: Some(rule.priority as i32),
            direction: Some(direction_text(rule.direction).into()),
            ..SecurityRuleProperties::default()
        },
        ..ArmRule::default()
    }
}

fn strings_value(values: &[String]) -> Value {
    Value::List(values.iter().map(|v| Value::from(v.as_str())).collect())
}

fn to_value(rule: &SecurityRule) -> Value {
    Value::object([
        ("name", rule.name.as_str().into()),
        ("priority", i64::from(rule.priority).into()),
        ("direction", direction_text(rule.direction).into()),
        ("access", access_text(rule.access).into()),
        ("protocol", protocol_text(rule.protocol).into()),
        (
            "source_address_prefixes",
            strings_value(&rule.source_prefixes),
        ),
        ("source_port_ranges", strings_value(&rule.source_ports)),
        (
            "destination_address_prefixes",
            strings_value(&rule.destination_prefixes),
        ),
        (
            "destination_port_ranges",
            strings_value(&rule.destination_ports),
        ),
    ])
}

fn from_value(value: &Value) -> Option<SecurityRule> {
    let strings = |name: &str| value.strings_field(name).known().unwrap_or_default();
    Some(SecurityRule {
        name: value.str_field("name").known()?,
        priority: u32::try_from(value.i64_field("priority").known()?).ok()?,
        direction: if value.str_field("direction").known()? == "Inbound" {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        access: if value.str_field("access").known()? == "Allow" {
            Access::Allow
        } else {
            Access::Deny
        },
        protocol: parse_protocol(&value.str_field("protocol").known()?),
        source_prefixes: strings("source_address_prefixes"),
        source_ports: strings("source_port_ranges"),
        destination_prefixes: strings("destination_address_prefixes"),
        destination_ports: strings("destination_port_ranges"),
    })
}

/// The rules recorded in a state or plan; `None` when unknown or null.
fn recorded_rules(state: &Value) -> Option<Vec<SecurityRule>> {
    let list = state.attr("rules")?;
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

fn live_rules(group: &NetworkSecurityGroup) -> Vec<SecurityRule> {
    group
        .properties
        .security_rules
        .iter()
        .flatten()
        .filter_map(from_arm)
        .collect()
}

fn rule_id(nsg_id: &str, name: &str) -> String {
    format!("{}/securityRules/{name}", nsg_id.trim_end_matches('/'))
}

/// Deny rules first when removing, last when writing: outbound traffic is never denied
/// before the Allows are in place.
fn denies_first(rules: &mut [SecurityRule]) {
    rules.sort_by_key(|r| r.access != Access::Deny);
}

/// Private state: the priority this rule set gave each of its rules when it last wrote them.
/// A rule someone moved is planned back there: its priority decides which rules it overrides
/// and which override it, and the plan checked that order (AMLS164), not the new one.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Placed {
    #[serde(default)]
    priorities: BTreeMap<String, u32>,
}

impl Placed {
    fn read(private: &[u8]) -> Placed {
        serde_json::from_slice(private).unwrap_or_default()
    }

    fn of(rules: &[SecurityRule]) -> Placed {
        Placed {
            priorities: priorities_of(rules),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a map of priorities serialises")
    }

    /// The priorities to keep: as placed, or for a state that recorded none (imported, or
    /// written before placements were kept), as the rules have them now.
    fn or_live(self, live: &[SecurityRule]) -> BTreeMap<String, u32> {
        if self.priorities.is_empty() {
            priorities_of(live)
        } else {
            self.priorities
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Planning

/// Reads the group; a missing one is an error at `network_security_group_id`.
async fn read_group(
    arm: &ArmClient,
    call: &CallContext,
    nsg_id: &str,
    cached: bool,
) -> Result<NetworkSecurityGroup, Diagnostic> {
    let result: Result<NetworkSecurityGroup, ArmError> = if cached {
        arm.get_cached(call, nsg_id, api_version::NETWORK).await
    } else {
        arm.get(call, nsg_id, api_version::NETWORK).await
    };
    result.map_err(|error| {
        if error.is_not_found() {
            Diagnostic::error(
                "Network security group not found",
                format!(
                    "{nsg_id} does not exist. This resource writes rules onto an existing network security group: create it first, or correct network_security_group_id."
                ),
            )
            .at(AttributePath::attribute("network_security_group_id"))
        } else {
            arm_diagnostic("Reading the network security group failed", &error)
        }
    })
}

/// The rule set placed in `group`: the rules (in role order) and the findings as diagnostics.
fn placement(
    session: &crate::session::Session,
    inputs: &Inputs,
    group: &NetworkSecurityGroup,
    owned: &BTreeSet<String>,
    previous: &BTreeMap<String, u32>,
) -> (Vec<SecurityRule>, Diagnostics) {
    let mut config = inputs.config.clone();
    if !inputs.region_known {
        config.region = group.location.clone().unwrap_or_default();
    }
    let placed = rule_set::place(&config, &live_rules(group), owned, previous);
    let diagnostics = session.severities.diagnose(placed.findings);
    (
        placed.rules.into_iter().map(|(_, rule)| rule).collect(),
        diagnostics,
    )
}

/// Prefixes and ports a rule already has in another letter case stay as they are: service
/// tags compare without regard to case, and rewriting `Storage.westeurope` as
/// `Storage.WestEurope` would be a change that changes nothing.
fn keep_written_spelling(rules: &mut [SecurityRule], prior: &[SecurityRule]) {
    let same = |a: &[String], b: &[String]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
    };
    for rule in rules {
        let Some(old) = prior
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(&rule.name))
        else {
            continue;
        };
        for (new, old) in [
            (&mut rule.source_prefixes, &old.source_prefixes),
            (&mut rule.destination_prefixes, &old.destination_prefixes),
        ] {
            if same(new, old) {
                new.clone_from(old);
            }
        }
    }
}

fn names(rules: &[SecurityRule]) -> BTreeSet<String> {
    rules.iter().map(|r| r.name.clone()).collect()
}

fn priorities_of(rules: &[SecurityRule]) -> BTreeMap<String, u32> {
    rules.iter().map(|r| (r.name.clone(), r.priority)).collect()
}

#[async_trait]
impl ModifyPlan for ComputeNetworkSecurityRules {
    async fn modify_plan(
        &self,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        let prior = &request.prior.state;
        let creating = prior.is_null();
        let planned = &mut plan.planned;
        let default_ports = Value::List(DEFAULT_SCORING_PORTS.map(Value::from).to_vec());
        for (name, default) in [
            ("name_prefix", Value::from(DEFAULT_PREFIX)),
            ("priority_start", DEFAULT_PRIORITY_START.into()),
            ("outbound_lockdown", false.into()),
            ("aks_enabled", false.into()),
            ("aks_scoring_ports", default_ports),
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
            "network_security_group_id",
        );

        let session = match self.session.get() {
            Ok(session) => session,
            Err(d) => return d.into(),
        };
        let inputs = Inputs::read(planned, &request.config, session.severities.profile());
        let (Some(arm), Some(inputs)) = (session.arm.as_ref(), inputs) else {
            planned.set_attr("rules", Value::unknown());
            if planned.attr("region").is_none_or(Value::is_null) {
                planned.set_attr("region", Value::unknown());
            }
            return Checks::deferred_warning(&self.session.severities(), CHECKED_RULES).into();
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
        let group = match read_group(arm, &call, &inputs.nsg_id, true).await {
            Ok(group) => group,
            Err(d) => return d.into(),
        };
        if !inputs.region_known {
            planned.set_attr("region", group.location.clone().into());
        } else if let (Ok(nsg), Some(location)) = (
            parse_id(&inputs.nsg_id, NSG_TYPE),
            group.location.as_deref(),
        ) && let Err(d) = super::check_region(
            arm,
            &call,
            nsg.subscription_id(),
            location,
            "region",
            &inputs.config.region,
        )
        .await
        {
            return d.into();
        }
        let prior_rules = if creating {
            Vec::new()
        } else {
            recorded_rules(prior).unwrap_or_default()
        };
        let (mut rules, diagnostics) = placement(
            &session,
            &inputs,
            &group,
            &names(&prior_rules),
            &Placed::read(&request.prior.private).or_live(&prior_rules),
        );
        keep_written_spelling(&mut rules, &prior_rules);
        planned.set_attr("rules", Value::List(rules.iter().map(to_value).collect()));
        if !diagnostics.has_errors() {
            // Clusters planned after this rule set check the NSG with these rules in place.
            let wanted = names(&rules);
            let removed = (prior_rules.iter())
                .filter(|r| !wanted.iter().any(|w| w.eq_ignore_ascii_case(&r.name)))
                .map(|r| r.name.clone())
                .collect();
            let rule_set_id = format!("{}|{}", inputs.nsg_id, inputs.config.name_prefix);
            session.planned.note_nsg_rules(
                &inputs.nsg_id,
                &rule_set_id,
                PlannedRules {
                    written: rules,
                    removed,
                },
            );
        }
        diagnostics
    }
}

// ---------------------------------------------------------------------------------------------
// Apply

impl ComputeNetworkSecurityRules {
    /// Creates or updates: checks the plan still holds against the group as it is now, then
    /// writes the changed rules one by one and removes owned rules no longer wanted.
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
        let Some(inputs) = Inputs::read(&planned, &request.config, session.severities.profile())
        else {
            return Outcome::failed(Diagnostic::error(
                "Value not known at apply",
                "A value of the rule set is still unknown at apply.",
            ));
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&planned, operation));
        let group = match read_group(&arm, &call, &inputs.nsg_id, false).await {
            Ok(group) => group,
            Err(d) => return Outcome::failed(d),
        };
        if !inputs.region_known {
            planned.set_attr("region", group.location.clone().into());
        }
        let prior_rules = recorded_rules(&request.prior.state).unwrap_or_default();
        let planned_rules = recorded_rules(&request.planned);
        let previous = priorities_of(planned_rules.as_deref().unwrap_or(&prior_rules));
        let (mut rules, mut diagnostics) =
            placement(&session, &inputs, &group, &names(&prior_rules), &previous);
        keep_written_spelling(&mut rules, &prior_rules);
        if diagnostics.has_errors() {
            return Outcome::failed(diagnostics);
        }
        if let Some(planned_rules) = &planned_rules
            && planned_rules != &rules
        {
            let describe = |rules: &[SecurityRule]| {
                rules
                    .iter()
                    .map(|r| format!("'{}' at {}", r.name, r.priority))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            diagnostics.push(Diagnostic::error(
                "Network security group changed since plan",
                format!(
                    "The plan placed {}, but the group as it is now gives {}: another change took a name or priority in between. Nothing was written; run terraform plan again.",
                    describe(planned_rules),
                    describe(&rules)
                ),
            ));
            return Outcome::failed(diagnostics);
        }

        // What exists of ours, by name, kept current as writes succeed.
        let mut current: BTreeMap<String, SecurityRule> = prior_rules
            .iter()
            .map(|r| (r.name.to_ascii_lowercase(), r.clone()))
            .collect();
        let wanted: BTreeSet<String> = rules.iter().map(|r| r.name.to_ascii_lowercase()).collect();
        let mut removed: Vec<SecurityRule> = prior_rules
            .iter()
            .filter(|r| !wanted.contains(&r.name.to_ascii_lowercase()))
            .cloned()
            .collect();
        denies_first(&mut removed);
        let mut changed: Vec<SecurityRule> = rules
            .iter()
            .filter(|r| current.get(&r.name.to_ascii_lowercase()) != Some(*r))
            .cloned()
            .collect();
        changed.sort_by_key(|r| r.access == Access::Deny);

        let (removed_denies, removed_allows): (Vec<_>, Vec<_>) =
            removed.into_iter().partition(|r| r.access == Access::Deny);
        let mut failure = None;
        'writes: {
            for rule in &removed_denies {
                if let Err(e) = arm
                    .delete(
                        &call,
                        &rule_id(&inputs.nsg_id, &rule.name),
                        api_version::NETWORK,
                        &[],
                    )
                    .await
                {
                    failure = Some((format!("Removing security rule '{}' failed", rule.name), e));
                    break 'writes;
                }
                current.remove(&rule.name.to_ascii_lowercase());
            }
            for rule in &changed {
                let written: Result<ArmRule, ArmError> = arm
                    .put(
                        &call,
                        &rule_id(&inputs.nsg_id, &rule.name),
                        api_version::NETWORK,
                        &to_arm(rule),
                    )
                    .await;
                match written {
                    Ok(answer) => {
                        let live = from_arm(&answer).unwrap_or_else(|| rule.clone());
                        current.insert(rule.name.to_ascii_lowercase(), live);
                    }
                    Err(e) => {
                        // Unless ARM refused it, Azure may hold the rule: record it as
                        // written, and the next refresh keeps it only if it is there.
                        if !e.write_refused() {
                            current.insert(rule.name.to_ascii_lowercase(), rule.clone());
                        }
                        failure =
                            Some((format!("Writing security rule '{}' failed", rule.name), e));
                        break 'writes;
                    }
                }
            }
            for rule in &removed_allows {
                if let Err(e) = arm
                    .delete(
                        &call,
                        &rule_id(&inputs.nsg_id, &rule.name),
                        api_version::NETWORK,
                        &[],
                    )
                    .await
                {
                    failure = Some((format!("Removing security rule '{}' failed", rule.name), e));
                    break 'writes;
                }
                current.remove(&rule.name.to_ascii_lowercase());
            }
        }

        // The state lists what exists: the wanted rules in order, then leftovers not yet
        // removed (so a failed apply forgets nothing).
        let mut recorded: Vec<Value> = Vec::new();
        for rule in &rules {
            if let Some(live) = current.remove(&rule.name.to_ascii_lowercase()) {
                recorded.push(to_value(&live));
            }
        }
        recorded.extend(current.values().map(to_value));
        planned.set_attr("rules", Value::List(recorded));
        if let Some((summary, error)) = failure {
            diagnostics.push(arm_diagnostic(&summary, &error));
        }
        Outcome {
            value: Some(Stored {
                state: planned,
                private: Placed::of(&rules).bytes(),
            }),
            diagnostics,
        }
    }
}

#[async_trait]
impl Resource for ComputeNetworkSecurityRules {
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
        let Field::Known(nsg_id) = current.state.str_field("network_security_group_id") else {
            return Outcome::failed(Diagnostic::error(
                "Missing network security group",
                "The stored state has no network_security_group_id.",
            ));
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&current.state, Operation::Read));
        let group: NetworkSecurityGroup = match arm
            .get_cached_existing(&call, &nsg_id, api_version::NETWORK)
            .await
        {
            Ok(Some(group)) => group,
            Ok(None) => return Outcome::gone(),
            Err(e) => {
                return Outcome::failed(arm_diagnostic(
                    "Reading the network security group failed",
                    &e,
                ));
            }
        };
        let live = live_rules(&group);
        let find = |name: &str| live.iter().find(|r| r.name.eq_ignore_ascii_case(name));
        let mut state = current.state.clone();
        let rules: Vec<Value> = match recorded_rules(&current.state) {
            Some(recorded) => recorded
                .iter()
                .filter_map(|r| find(&r.name))
                .map(to_value)
                .collect(),
            None => {
                // Imported: the rules are found by their names, and the settings that made
                // them are read back from them.
                let prefix = current
                    .state
                    .str_field("name_prefix")
                    .known()
                    .unwrap_or_else(|| DEFAULT_PREFIX.into());
                let of = |role: Role| find(&role.rule_name(&prefix));
                let sources = |role: Role| {
                    of(role).map_or(Value::Null, |r| strings_value(&r.source_prefixes))
                };
                state.set_attr("ssh_source_addresses", sources(Role::SshInbound));
                state.set_attr(
                    "aks_scoring_source_addresses",
                    sources(Role::ScoringInbound),
                );
                state.set_attr(
                    "aks_scoring_ports",
                    of(Role::ScoringInbound).map_or_else(
                        || Value::List(DEFAULT_SCORING_PORTS.map(Value::from).to_vec()),
                        |r| strings_value(&r.destination_ports),
                    ),
                );
                state.set_attr(
                    "outbound_lockdown",
                    of(Role::DenyInternetOutbound).is_some().into(),
                );
                state.set_attr("aks_enabled", of(Role::AzureMlInbound).is_some().into());
                if let Some(storage) = of(Role::StorageOutbound)
                    && let Some((_, region)) = storage
                        .destination_prefixes
                        .first()
                        .and_then(|t| t.split_once('.'))
                {
                    state.set_attr(
                        "region",
                        crate::checks::service_tags::normalise_region(region).into(),
                    );
                }
                if state.attr("priority_start").is_none_or(Value::is_null) {
                    state.set_attr("priority_start", DEFAULT_PRIORITY_START.into());
                }
                Role::ALL.into_iter().filter_map(of).map(to_value).collect()
            }
        };
        state.set_attr("rules", Value::List(rules));
        if state.attr("region").is_none_or(Value::is_null) {
            state.set_attr("region", group.location.clone().into());
        }
        Outcome::ok(Stored {
            state,
            private: current.private,
        })
    }

    async fn update(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        if super::changes_nothing_in_azure(&schema(), &request.prior.state, &request.planned) {
            return Outcome::ok(Stored {
                state: request.planned,
                private: request.planned_private,
            });
        }
        self.apply(ctx, request, Operation::Update).await
    }

    async fn delete(&self, ctx: &Context, prior: Stored) -> Diagnostics {
        let (_, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return d.into(),
        };
        let Field::Known(nsg_id) = prior.state.str_field("network_security_group_id") else {
            return Diagnostics::new();
        };
        let mut owned = recorded_rules(&prior.state).unwrap_or_default();
        denies_first(&mut owned);
        let call = call_context(ctx, TIMEOUTS.for_operation(&prior.state, Operation::Delete));
        for rule in owned {
            if let Err(error) = arm
                .delete(
                    &call,
                    &rule_id(&nsg_id, &rule.name),
                    api_version::NETWORK,
                    &[],
                )
                .await
            {
                return arm_diagnostic(
                    &format!("Removing security rule '{}' failed", rule.name),
                    &error,
                )
                .into();
            }
        }
        Diagnostics::new()
    }

    fn modify_plan(&self) -> Option<&dyn ModifyPlan> {
        Some(self)
    }

    fn identity(&self) -> Option<&dyn Identity> {
        Some(&super::identity::NSG_RULE_SET)
    }

    fn list(&self) -> Option<&dyn ListResource> {
        Some(self)
    }

    fn import(&self) -> Option<&dyn ImportState> {
        Some(self)
    }
}

#[async_trait]
impl ListResource for ComputeNetworkSecurityRules {
    fn list_schema(&self) -> Schema {
        listing::prefix_list_schema(
            "rule sets",
            "network_security_group_id",
            "network security group",
        )
    }

    async fn validate_list(&self, config: &Value) -> Diagnostics {
        listing::validate_id(config, "network_security_group_id", NSG_TYPE)
    }

    async fn list(&self, ctx: &Context, request: ListRequest) -> Outcome<Vec<Listed>> {
        let (session, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return Outcome::failed(d),
        };
        let Field::Known(nsg_id) = request.config.str_field("network_security_group_id") else {
            return Outcome::failed(Diagnostic::error(
                "Missing network_security_group_id",
                "Give the ARM ID of the network security group to look at.",
            ));
        };
        let call = call_context(ctx, listing::LIST_TIMEOUT);
        let group = match read_group(&arm, &call, &nsg_id, true).await {
            Ok(group) => group,
            Err(d) => return Outcome::failed(d),
        };
        let live = live_rules(&group);
        let prefixes = listing::prefixes_in(
            live.iter()
                .flat_map(|rule| Role::ALL.map(|role| (rule.name.as_str(), role.rule_name("")))),
            valid_prefix,
        );
        let mut found = Vec::new();
        for prefix in prefixes {
            let state = match imported_state(&format!("{nsg_id}|{prefix}")) {
                Ok(state) => state,
                Err(d) => return Outcome::failed(d),
            };
            let read = self.read(ctx, Stored::new(state)).await;
            let Some(stored) = read.value else {
                return Outcome::failed(read.diagnostics);
            };
            let state = stored.state;
            let display_name = format!("{}|{prefix}", group.name.as_deref().unwrap_or_default());
            // What a plan of this rule set would report about the group as it is.
            let findings = match Inputs::read(&state, &state, session.severities.profile()) {
                Some(inputs) => {
                    let rules = recorded_rules(&state).unwrap_or_default();
                    placement(
                        &session,
                        &inputs,
                        &group,
                        &names(&rules),
                        &priorities_of(&rules),
                    )
                    .1
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

/// The state `read` completes from an import ID, `<nsg id>|<name_prefix>` or `<nsg id>`.
fn imported_state(id: &str) -> Result<Value, Diagnostic> {
    let usage = "Import a rule set by `<network security group ARM ID>|<name_prefix>`, or by the group's ID alone for name_prefix amlsecure.";
    let (nsg_id, prefix) = name_prefix::parse_import_id(id, NSG_TYPE, MAX_PREFIX_LEN, usage)?;
    let mut state = super::empty_state(&schema());
    state.set_attr("id", format!("{nsg_id}|{prefix}").into());
    state.set_attr("network_security_group_id", nsg_id.into());
    state.set_attr("name_prefix", prefix.into());
    Ok(state)
}

#[async_trait]
impl ImportState for ComputeNetworkSecurityRules {
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

    const NSG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg";

    fn config(overrides: &[(&str, Value)]) -> Value {
        let mut config = super::super::empty_state(&schema());
        config.set_attr("network_security_group_id", NSG.into());
        for (name, value) in overrides {
            config.set_attr(name, value.clone());
        }
        config
    }

    /// What `terraform validate` reports: the schema's checks and the resource's own, by
    /// top-level attribute.
    fn faults(config: &Value) -> Vec<String> {
        schema()
            .block
            .check_config(config)
            .iter()
            .chain(validate(config).iter())
            .map(|d| {
                let path = d.attribute.as_ref().unwrap().to_string();
                path.split('[').next().unwrap_or_default().to_owned()
            })
            .collect()
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::from(*s)).collect())
    }

    fn map(items: &[(&str, i64)]) -> Value {
        Value::Map(
            items
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect(),
        )
    }

    #[test]
    fn a_sound_configuration_passes() {
        let sound = config(&[
            (
                "ssh_source_addresses",
                list(&["10.1.0.0/16", "203.0.113.7"]),
            ),
            ("aks_enabled", true.into()),
            ("aks_scoring_source_addresses", list(&["Internet"])),
            ("aks_scoring_ports", list(&["443", "8000-8010"])),
            (
                "priorities",
                map(&[("batch_inbound", 150), ("storage_outbound", 150)]),
            ),
        ]);
        assert!(validate(&sound).is_empty(), "{:?}", validate(&sound));
    }

    #[test]
    fn each_bad_value_points_at_its_attribute() {
        let cases: &[(&str, Value)] = &[
            ("network_security_group_id", "nsg".into()),
            ("name_prefix", "-bad".into()),
            ("name_prefix", "a b".into()),
            ("priority_start", 99.into()),
            ("priority_start", 4097.into()),
            ("priorities", map(&[("batch", 200)])),
            ("priorities", map(&[("batch_inbound", 5000)])),
            (
                "priorities",
                map(&[("batch_inbound", 200), ("ssh_inbound", 200)]),
            ),
            ("ssh_source_addresses", list(&["10.0.0.0/8", "Internet"])),
            ("ssh_source_addresses", list(&["10.0.0.0/8,10.1.0.0/16"])),
            ("aks_scoring_ports", list(&["80-"])),
            ("aks_scoring_ports", list(&[])),
            ("aks_scoring_source_addresses", list(&["Internet"])),
            ("region", "west europe".into()),
            (
                "priorities",
                Value::Map(
                    [(
                        "batch_inbound".to_owned(),
                        Value::Number(tfplugin::value::Number::Float(200.5)),
                    )]
                    .into(),
                ),
            ),
            ("ssh_source_addresses", list(&["10.0.0.0/8", "10.0.0.0/8"])),
            (
                "ssh_source_addresses",
                Value::List(vec!["10.0.0.0/8".into(), Value::Null]),
            ),
        ];
        for (attribute, value) in cases {
            let found = faults(&config(&[(attribute, value.clone())]));
            assert_eq!(found, [*attribute], "{attribute} = {value:?}");
        }
    }

    #[test]
    fn unknown_values_wait_for_plan() {
        let unknowns = config(&[
            ("network_security_group_id", Value::unknown()),
            ("ssh_source_addresses", Value::unknown()),
            ("aks_enabled", Value::unknown()),
            ("aks_scoring_source_addresses", list(&["Internet"])),
        ]);
        assert!(validate(&unknowns).is_empty());
    }

    #[test]
    fn rules_round_trip_through_arm_and_state() {
        let rule = SecurityRule {
            name: "amlsecure-ssh-inbound".into(),
            priority: 120,
            direction: Direction::Inbound,
            access: Access::Allow,
            protocol: Protocol::Tcp,
            source_prefixes: vec!["10.0.0.0/8".into(), "192.168.0.0/16".into()],
            source_ports: vec!["*".into()],
            destination_prefixes: vec!["*".into()],
            destination_ports: vec!["22".into()],
        };
        let body = to_arm(&rule);
        assert_eq!(body.properties.source_address_prefix, None);
        assert_eq!(
            body.properties.source_address_prefixes.as_deref(),
            Some(&rule.source_prefixes[..])
        );
        assert_eq!(
            body.properties.destination_port_range.as_deref(),
            Some("22")
        );
        let mut answer = body.clone();
        answer.name = Some(rule.name.clone());
        answer.properties.destination_port_ranges = Some(Vec::new());
        assert_eq!(from_arm(&answer), Some(rule.clone()));
        assert_eq!(from_value(&to_value(&rule)), Some(rule));
    }

    #[test]
    fn a_tag_written_in_another_case_is_kept_as_written() {
        let rule = |destination: &str| SecurityRule {
            name: "amlsecure-storage-outbound".into(),
            priority: 101,
            direction: Direction::Outbound,
            access: Access::Allow,
            protocol: Protocol::Any,
            source_prefixes: vec!["VirtualNetwork".into()],
            source_ports: vec!["*".into()],
            destination_prefixes: vec![destination.into()],
            destination_ports: vec!["*".into()],
        };
        let mut planned = vec![rule("Storage.WestEurope")];
        keep_written_spelling(&mut planned, &[rule("Storage.westeurope")]);
        assert_eq!(planned, [rule("Storage.westeurope")]);
        let mut moved = vec![rule("Storage.NorthEurope")];
        keep_written_spelling(&mut moved, &[rule("Storage.westeurope")]);
        assert_eq!(moved, [rule("Storage.NorthEurope")]);
    }

    #[test]
    fn deny_rules_are_removed_first() {
        let rule = |name: &str, access| SecurityRule {
            name: name.into(),
            priority: 100,
            direction: Direction::Outbound,
            access,
            protocol: Protocol::Any,
            source_prefixes: vec![],
            source_ports: vec![],
            destination_prefixes: vec![],
            destination_ports: vec![],
        };
        let mut rules = vec![rule("a", Access::Allow), rule("d", Access::Deny)];
        denies_first(&mut rules);
        assert_eq!(rules[0].name, "d");
    }

    #[test]
    fn import_ids_name_the_group_and_prefix() {
        let imported = imported_state(&format!("{NSG}|corp")).unwrap();
        assert_eq!(
            imported.str_field("name_prefix"),
            Field::Known("corp".into())
        );
        assert_eq!(
            imported.str_field("id"),
            Field::Known(format!("{NSG}|corp"))
        );
        let plain = imported_state(NSG).unwrap();
        assert_eq!(
            plain.str_field("name_prefix"),
            Field::Known(DEFAULT_PREFIX.into())
        );
        assert!(plain.attr("rules").unwrap().is_null());
        assert!(imported_state("nsg|x").is_err());
        assert!(imported_state(&format!("{NSG}|-x")).is_err());
    }

    #[test]
    fn placed_priorities_are_kept_apart_from_the_live_ones() {
        let rule = |name: &str, priority: u32| SecurityRule {
            name: name.into(),
            priority,
            direction: Direction::Inbound,
            access: Access::Allow,
            protocol: Protocol::Tcp,
            source_prefixes: vec!["BatchNodeManagement".into()],
            source_ports: vec!["*".into()],
            destination_prefixes: vec!["*".into()],
            destination_ports: vec!["29876-29877".into()],
        };
        let written = [rule("amlsecure-batch-inbound", 100)];
        let private = Placed::of(&written).bytes();
        // Someone moved the rule: the plan keeps what the set gave it.
        let moved = [rule("amlsecure-batch-inbound", 310)];
        assert_eq!(
            Placed::read(&private).or_live(&moved),
            BTreeMap::from([("amlsecure-batch-inbound".to_owned(), 100)])
        );
        // Nothing recorded (imported, or an older state): the rules stay where they are.
        assert_eq!(
            Placed::read(&[]).or_live(&moved),
            BTreeMap::from([("amlsecure-batch-inbound".to_owned(), 310)])
        );
        assert_eq!(
            Placed::read(b"{\"checks\":\"at-apply\"}"),
            Placed::default()
        );
    }
}
