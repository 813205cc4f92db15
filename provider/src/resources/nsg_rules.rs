//! `amlsecure_compute_network_security_rules`: the seed's rule set written onto an existing
//! network security group, one security rule (its own ARM child resource) at a time, so rules
//! this resource does not own are never touched and concurrent applies on one NSG never
//! overwrite each other.
//!
//! Which rules and at which priorities is decided by the pure
//! [`nsg::rule_set`](crate::rules::nsg::rule_set) rules, at plan from the live NSG (the plan
//! shows every name and priority) and again at apply before any write.
//!
//! The resource is a [`PrefixOwned`] set; this file holds what is particular to security
//! rules: their settings, priorities and conversions, and how an import reads them back.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use ipnet::IpNet;
use tfplugin::resource::Identity;
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use serde::{Deserialize, Serialize};

use super::prefix_owned::{
    Adoption, ChildSet, Collection, OwnedChild, PrefixOwned, Stage, WantedFrom,
};
use crate::arm::api_version;
use crate::arm::models::network::{
    NetworkSecurityGroup, SecurityRule as ArmRule, SecurityRuleProperties,
};
use crate::checks::planned::{PlannedChanges, PlannedRules};
use crate::rules::Profile;
use crate::rules::nsg::rule_set::{self, Role, RuleSetConfig};
use crate::rules::nsg::{
    Access, Direction, MAX_PRIORITY, MIN_PRIORITY, PortRange, Protocol, SecurityRule,
};
use crate::session::parse_id;

pub const TYPE_NAME: &str = "amlsecure_compute_network_security_rules";

pub const DEFAULT_PRIORITY_START: i64 = 100;
pub const DEFAULT_SCORING_PORTS: [&str; 2] = ["80", "443"];
const NSG_TYPE: &str = "Microsoft.Network/networkSecurityGroups";
const DESCRIPTION: &str = "Managed by Terraform (amlsecure_compute_network_security_rules)";

pub type ComputeNetworkSecurityRules = PrefixOwned<NsgRuleSet>;

/// The seed's rules in a network security group.
pub struct NsgRuleSet;

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

/// Security rule priorities Azure accepts.
const PRIORITIES: std::ops::RangeInclusive<i64> = MIN_PRIORITY as i64..=MAX_PRIORITY as i64;

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

fn strings_value(values: &[String]) -> Value {
    Value::List(values.iter().map(|v| Value::from(v.as_str())).collect())
}

impl OwnedChild for SecurityRule {
    type Arm = ArmRule;

    fn name(&self) -> &str {
        &self.name
    }

    fn to_value(&self) -> Value {
        Value::object([
            ("name", self.name.as_str().into()),
            ("priority", i64::from(self.priority).into()),
            ("direction", direction_text(self.direction).into()),
            ("access", access_text(self.access).into()),
            ("protocol", protocol_text(self.protocol).into()),
            (
                "source_address_prefixes",
                strings_value(&self.source_prefixes),
            ),
            ("source_port_ranges", strings_value(&self.source_ports)),
            (
                "destination_address_prefixes",
                strings_value(&self.destination_prefixes),
            ),
            (
                "destination_port_ranges",
                strings_value(&self.destination_ports),
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

    /// The PUT body of a rule: one value in the singular field (service tags must be there,
    /// REFERENCE §10 rule 23), several in the plural one.
    fn to_arm(&self) -> ArmRule {
        let split = |values: &[String]| match values {
            [one] => (Some(one.clone()), None),
            many => (None, Some(many.to_vec())),
        };
        let (source_address_prefix, source_address_prefixes) = split(&self.source_prefixes);
        let (source_port_range, source_port_ranges) = split(&self.source_ports);
        let (destination_address_prefix, destination_address_prefixes) =
            split(&self.destination_prefixes);
        let (destination_port_range, destination_port_ranges) = split(&self.destination_ports);
        ArmRule {
            properties: SecurityRuleProperties {
                description: Some(DESCRIPTION.into()),
                protocol: Some(protocol_text(self.protocol).into()),
                source_port_range,
                source_port_ranges,
                destination_port_range,
                destination_port_ranges,
                source_address_prefix,
                source_address_prefixes,
                destination_address_prefix,
                destination_address_prefixes,
                access: Some(access_text(self.access).into()),
                priority: Some(self.priority as i32),
                direction: Some(direction_text(self.direction).into()),
                ..SecurityRuleProperties::default()
            },
            ..ArmRule::default()
        }
    }

    fn from_answer(answer: &ArmRule, written: &SecurityRule) -> SecurityRule {
        from_arm(answer).unwrap_or_else(|| written.clone())
    }

    fn closes(&self) -> bool {
        self.access == Access::Deny
    }
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
impl ChildSet for NsgRuleSet {
    type Parent = NetworkSecurityGroup;
    type Child = SecurityRule;
    type Settings = RuleSetConfig;

    const TYPE_NAME: &'static str = TYPE_NAME;
    const IDENTITY: &'static dyn Identity = &super::identity::NSG_RULE_SET;
    const CHECKED_RULES: &'static [std::ops::RangeInclusive<u16>] = &[161..=164];
    const COLLECTION: Collection = Collection {
        parent_type: NSG_TYPE,
        parent_attribute: "network_security_group_id",
        parent: "network security group",
        segment: "securityRules",
        api_version: api_version::NETWORK,
        list_attribute: "rules",
        child: "security rule",
        child_short: "rule",
        what: "the rule set",
        listed: "rule sets",
        // Azure's 80 characters less the longest suffix.
        max_prefix_len: 50,
        import_usage: "Import a rule set by `<network security group ARM ID>|<name_prefix>`, or by the group's ID alone for name_prefix amlsecure.",
    };
    const REMEMBERS: bool = true;

    fn schema() -> Schema {
        Schema::new(
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
        )
    }

    fn validate(config: &Value, diagnostics: &mut Diagnostics) {
        let mut problem = |attribute: &str, summary: &str, detail: String| {
            diagnostics
                .push(Diagnostic::error(summary, detail).at(AttributePath::attribute(attribute)));
        };
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
    }

    fn defaults(_profile: Profile) -> Vec<(&'static str, Value)> {
        vec![
            ("priority_start", DEFAULT_PRIORITY_START.into()),
            ("outbound_lockdown", false.into()),
            ("aks_enabled", false.into()),
            (
                "aks_scoring_ports",
                Value::List(DEFAULT_SCORING_PORTS.map(Value::from).to_vec()),
            ),
        ]
    }

    /// The rule set's settings; `None` while one is unknown. `profile` picks the 2019 rule set
    /// or today's.
    fn settings(planned: &Value, profile: Profile) -> Option<RuleSetConfig> {
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
        Some(RuleSetConfig {
            profile,
            name_prefix,
            // Unknown and not configured: the group's location, filled in where it is read.
            region: planned.str_field("region").known().unwrap_or_default(),
            priority_start: u32::try_from(priority_start).ok()?,
            priorities,
            ssh_sources: strings("ssh_source_addresses")?,
            outbound_lockdown: planned.bool_field("outbound_lockdown").known()?,
            aks: planned.bool_field("aks_enabled").known()?,
            scoring_sources: strings("aks_scoring_source_addresses")?,
            scoring_ports: strings("aks_scoring_ports")?,
        })
    }

    fn children_of(group: &NetworkSecurityGroup) -> Vec<SecurityRule> {
        live_rules(group)
    }

    fn parent_name(group: &NetworkSecurityGroup) -> &str {
        group.name.as_deref().unwrap_or_default()
    }

    fn parent_region(group: &NetworkSecurityGroup) -> Option<String> {
        group.location.clone()
    }

    /// The rule set placed in the group by the pure rules: in role order, each rule keeping
    /// the priority it was given before where it can.
    async fn wanted(
        from: WantedFrom<'_, Self>,
    ) -> Result<(Vec<SecurityRule>, Diagnostics), Diagnostics> {
        let WantedFrom {
            session,
            arm,
            call,
            inputs,
            parent: group,
            owned,
            stage,
        } = from;
        let previous = match stage {
            Stage::Plan { prior_private } => {
                if let Some(region) = &inputs.region
                    && let (Ok(nsg), Some(location)) = (
                        parse_id(&inputs.parent_id, NSG_TYPE),
                        group.location.as_deref(),
                    )
                {
                    super::check_region(
                        arm,
                        call,
                        nsg.subscription_id(),
                        location,
                        "region",
                        region,
                    )
                    .await?;
                }
                Placed::read(prior_private).or_live(owned)
            }
            Stage::Apply { planned } => priorities_of(planned.unwrap_or(owned)),
        };
        let mut config = inputs.settings.clone();
        if inputs.region.is_none() {
            config.region = group.location.clone().unwrap_or_default();
        }
        let placed = rule_set::place(&config, &live_rules(group), &names(owned), &previous);
        let diagnostics = session.severities.diagnose(placed.findings);
        let mut rules: Vec<SecurityRule> = placed.rules.into_iter().map(|(_, rule)| rule).collect();
        keep_written_spelling(&mut rules, owned);
        Ok((rules, diagnostics))
    }

    fn changed_since_plan(planned: &[SecurityRule], now: &[SecurityRule]) -> Diagnostic {
        let describe = |rules: &[SecurityRule]| {
            rules
                .iter()
                .map(|r| format!("'{}' at {}", r.name, r.priority))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Diagnostic::error(
            "Network security group changed since plan",
            format!(
                "The plan placed {}, but the group as it is now gives {}: another change took a name or priority in between. Nothing was written; run terraform plan again.",
                describe(planned),
                describe(now)
            ),
        )
    }

    /// The rules as the state records them; they are removed in that order.
    fn existing(owned: &[SecurityRule], _group: &NetworkSecurityGroup) -> Vec<SecurityRule> {
        owned.to_vec()
    }

    fn note_planned(
        planned: &PlannedChanges,
        nsg_id: &str,
        rule_set_id: &str,
        written: Vec<SecurityRule>,
        removed: Vec<String>,
    ) {
        planned.note_nsg_rules(nsg_id, rule_set_id, PlannedRules { written, removed });
    }

    /// The rules are found by their names, and the settings that made them are read back
    /// from them.
    async fn adopt(from: Adoption<'_, Self>, state: &mut Value) -> Vec<SecurityRule> {
        let prefix = from.name_prefix;
        let find = |name: &str| (from.live.iter()).find(|r| r.name.eq_ignore_ascii_case(name));
        let of = |role: Role| find(&role.rule_name(prefix));
        let sources =
            |role: Role| of(role).map_or(Value::Null, |r| strings_value(&r.source_prefixes));
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
        Role::ALL.into_iter().filter_map(of).cloned().collect()
    }

    /// Every rule name this resource gives, whatever the rule.
    fn owner_suffixes(_rule: &SecurityRule) -> Vec<String> {
        Role::ALL.map(|role| role.rule_name("")).to_vec()
    }

    fn remember(written: &[SecurityRule]) -> Vec<u8> {
        Placed::of(written).bytes()
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::prefix_owned::{self, name_prefix};

    const NSG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg";

    fn config(overrides: &[(&str, Value)]) -> Value {
        let mut config = prefix_owned::schema::<NsgRuleSet>().null_value();
        config.set_attr("network_security_group_id", NSG.into());
        for (name, value) in overrides {
            config.set_attr(name, value.clone());
        }
        config
    }

    /// What `terraform validate` reports: the schema's checks and the resource's own, by
    /// top-level attribute.
    fn faults(config: &Value) -> Vec<String> {
        prefix_owned::schema::<NsgRuleSet>()
            .block
            .check_config(config)
            .iter()
            .chain(prefix_owned::validate::<NsgRuleSet>(config).iter())
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
        let found = prefix_owned::validate::<NsgRuleSet>(&sound);
        assert!(found.is_empty(), "{found:?}");
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
        assert!(prefix_owned::validate::<NsgRuleSet>(&unknowns).is_empty());
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
        let body = rule.to_arm();
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
        assert_eq!(SecurityRule::from_value(&rule.to_value()), Some(rule));
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
    fn deny_rules_close() {
        let rule = |access| SecurityRule {
            name: "amlsecure-deny-internet-outbound".into(),
            priority: 100,
            direction: Direction::Outbound,
            access,
            protocol: Protocol::Any,
            source_prefixes: vec![],
            source_ports: vec![],
            destination_prefixes: vec![],
            destination_ports: vec![],
        };
        assert!(rule(Access::Deny).closes());
        assert!(!rule(Access::Allow).closes());
    }

    #[test]
    fn import_ids_name_the_group_and_prefix() {
        let imported = prefix_owned::imported_state::<NsgRuleSet>(&format!("{NSG}|corp")).unwrap();
        assert_eq!(
            imported.str_field("name_prefix"),
            Field::Known("corp".into())
        );
        assert_eq!(
            imported.str_field("id"),
            Field::Known(format!("{NSG}|corp"))
        );
        let plain = prefix_owned::imported_state::<NsgRuleSet>(NSG).unwrap();
        assert_eq!(
            plain.str_field("name_prefix"),
            Field::Known(name_prefix::DEFAULT.into())
        );
        assert!(plain.attr("rules").unwrap().is_null());
        assert!(prefix_owned::imported_state::<NsgRuleSet>("nsg|x").is_err());
        assert!(prefix_owned::imported_state::<NsgRuleSet>(&format!("{NSG}|-x")).is_err());
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
