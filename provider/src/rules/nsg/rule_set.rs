//! The NSG rule set Azure's guidance asks for, as `amlsecure_compute_network_security_rules`
//! writes it onto an existing network security group: which rules, and at which priorities
//! (REFERENCE §7.3 for the rule shapes, §10 rules 10-12, 22 and 23). Under the 2019 guidance
//! the set lets Batch in on TCP 29876-29877 and locks outbound traffic down to three services;
//! under today's it lets Azure Machine Learning in on TCP 44224 and locks down to today's
//! longer list (the services of [`super::current`]).
//!
//! [`desired_rules`] turns the user's choices into rules without priorities; [`place`] gives
//! each a priority among the rules already in the NSG, and reports what would stop the rule set
//! from being written or from working:
//!
//! * [`PRIORITY_TAKEN`]: a priority the user chose is held by another rule of the same
//!   direction (Azure rejects it with `SecurityRuleConflict`);
//! * [`NAME_TAKEN`]: a rule of the same name exists and belongs to someone else (writing would
//!   overwrite it);
//! * [`NO_FREE_PRIORITY`]: no free priority is left from the start to 4096;
//! * [`RULE_SHADOWED`]: an earlier rule denies traffic one of the set's Allow rules is for, so
//!   the set would be written and not work.
//!
//! Priorities are picked so that rules the set does not own are never moved or touched: the
//! lowest free priorities from `priority_start`, the outbound Deny of `Internet` after the
//! set's outbound Allows. A rule the set already owns keeps the priority it was given while
//! that is free, so plans stay quiet, and a rule someone moved is planned back.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::current::NODE_MANAGEMENT_PORT;
use super::evaluation::{
    Access, Direction, MAX_PRIORITY, MIN_PRIORITY, Outcome, PortRange, Protocol, SecurityRule,
    ServiceTag, Traffic, decide,
};
use super::seed::{BATCH_PORTS, HTTPS_PORT};
use crate::rules::regions;
use crate::rules::seed_section;
use crate::rules::{Applies, Finding, Profile, Rule, Severity, sources};

/// REFERENCE §10 rule 23: priorities are unique per NSG and direction.
pub static PRIORITY_TAKEN: Rule = Rule {
    id: "AMLS161",
    title: "Chosen security rule priority is already used by another rule of the same direction",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// Rule names are unique per NSG; a PUT of an existing name replaces that rule.
pub static NAME_TAKEN: Rule = Rule {
    id: "AMLS162",
    title: "A security rule of the same name already exists and is not managed by this rule set",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 23: priorities run from 100 to 4096.
pub static NO_FREE_PRIORITY: Rule = Rule {
    id: "AMLS163",
    title: "No free security rule priority is left for the rule set",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rules 12 and 22: the Allow rules only help if no earlier rule denies the
/// traffic first.
pub static RULE_SHADOWED: Rule = Rule {
    id: "AMLS164",
    title: "An earlier security rule denies traffic that a rule of the rule set allows",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// The rules the set can write; each has a fixed name suffix, so the set finds its own rules.
/// The outbound Allows come before the Deny of `Internet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// 2019: TCP 29876-29877 from `BatchNodeManagement`.
    BatchInbound,
    /// Today's: TCP 44224 from `AzureMachineLearning`.
    NodeInbound,
    SshInbound,
    AzureMlInbound,
    ScoringInbound,
    /// Today's lockdown: `AzureActiveDirectory` TCP 80 and 443.
    AadOutbound,
    StorageOutbound,
    AcrOutbound,
    AzureMlOutbound,
    /// Today's lockdown: `AzureMachineLearning` UDP 5831.
    AzureMlUdpOutbound,
    /// Today's lockdown: `BatchNodeManagement.<region>` TCP 443.
    BatchOutbound,
    /// Today's lockdown: `AzureResourceManager` TCP 443.
    ArmOutbound,
    /// Today's lockdown: `AzureFrontDoor.Frontend` TCP 443.
    FrontDoorOutbound,
    /// Today's lockdown: `MicrosoftContainerRegistry.<region>` TCP 443.
    McrOutbound,
    /// Today's lockdown, for features that need it: `AzureMonitor` TCP 443.
    MonitorOutbound,
    /// Today's lockdown, for features that need it: `AzureKeyVault.<region>` TCP 443.
    KeyVaultOutbound,
    DenyInternetOutbound,
}

impl Role {
    pub const ALL: [Role; 17] = [
        Role::BatchInbound,
        Role::NodeInbound,
        Role::SshInbound,
        Role::AzureMlInbound,
        Role::ScoringInbound,
        Role::AadOutbound,
        Role::StorageOutbound,
        Role::AcrOutbound,
        Role::AzureMlOutbound,
        Role::AzureMlUdpOutbound,
        Role::BatchOutbound,
        Role::ArmOutbound,
        Role::FrontDoorOutbound,
        Role::McrOutbound,
        Role::MonitorOutbound,
        Role::KeyVaultOutbound,
        Role::DenyInternetOutbound,
    ];

    /// The key of the role in `priorities`, e.g. `batch_inbound`.
    pub fn key(self) -> &'static str {
        match self {
            Role::BatchInbound => "batch_inbound",
            Role::NodeInbound => "node_inbound",
            Role::SshInbound => "ssh_inbound",
            Role::AzureMlInbound => "azureml_inbound",
            Role::ScoringInbound => "scoring_inbound",
            Role::AadOutbound => "aad_outbound",
            Role::StorageOutbound => "storage_outbound",
            Role::AcrOutbound => "acr_outbound",
            Role::AzureMlOutbound => "azureml_outbound",
            Role::AzureMlUdpOutbound => "azureml_udp_outbound",
            Role::BatchOutbound => "batch_outbound",
            Role::ArmOutbound => "arm_outbound",
            Role::FrontDoorOutbound => "frontdoor_outbound",
            Role::McrOutbound => "mcr_outbound",
            Role::MonitorOutbound => "monitor_outbound",
            Role::KeyVaultOutbound => "keyvault_outbound",
            Role::DenyInternetOutbound => "deny_internet_outbound",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The rule's name: `<prefix>-batch-inbound`.
    pub fn rule_name(self, prefix: &str) -> String {
        format!("{prefix}-{}", self.key().replace('_', "-"))
    }

    pub fn direction(self) -> Direction {
        match self {
            Role::BatchInbound
            | Role::NodeInbound
            | Role::SshInbound
            | Role::AzureMlInbound
            | Role::ScoringInbound => Direction::Inbound,
            _ => Direction::Outbound,
        }
    }
}

/// What the user asked for, every value known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSetConfig {
    /// Which guidance's rules: the 2019 set or today's.
    pub profile: Profile,
    pub name_prefix: String,
    /// Region of the regional service tags, e.g. `westeurope`.
    pub region: String,
    pub priority_start: u32,
    /// Chosen priorities by [`Role::key`].
    pub priorities: BTreeMap<Role, u32>,
    /// Sources allowed to reach TCP 22; empty: no SSH rule.
    pub ssh_sources: Vec<String>,
    pub outbound_lockdown: bool,
    pub aks: bool,
    /// Sources allowed to reach the scoring endpoint; empty: no scoring rule.
    pub scoring_sources: Vec<String>,
    pub scoring_ports: Vec<String>,
}

/// The rules `config` asks for, in [`Role`] order, with priority 0 (unplaced).
pub fn desired_rules(config: &RuleSetConfig) -> Vec<(Role, SecurityRule)> {
    let any = || vec!["*".to_owned()];
    let rule = |role: Role,
                access: Access,
                protocol: Protocol,
                sources: Vec<String>,
                destinations: Vec<String>,
                ports: Vec<String>| {
        (
            role,
            SecurityRule {
                name: role.rule_name(&config.name_prefix),
                priority: 0,
                direction: role.direction(),
                access,
                protocol,
                source_prefixes: sources,
                source_ports: any(),
                destination_prefixes: destinations,
                destination_ports: ports,
            },
        )
    };
    let one = |s: &str| vec![s.to_owned()];
    let mut rules = vec![match config.profile {
        Profile::Seed => rule(
            Role::BatchInbound,
            Access::Allow,
            Protocol::Tcp,
            one("BatchNodeManagement"),
            any(),
            vec![BATCH_PORTS.to_string()],
        ),
        Profile::Current => rule(
            Role::NodeInbound,
            Access::Allow,
            Protocol::Tcp,
            one("AzureMachineLearning"),
            any(),
            vec![NODE_MANAGEMENT_PORT.to_string()],
        ),
    }];
    if !config.ssh_sources.is_empty() {
        rules.push(rule(
            Role::SshInbound,
            Access::Allow,
            Protocol::Tcp,
            config.ssh_sources.clone(),
            any(),
            one("22"),
        ));
    }
    if config.aks {
        rules.push(rule(
            Role::AzureMlInbound,
            Access::Allow,
            Protocol::Tcp,
            one("AzureMachineLearning"),
            any(),
            any(),
        ));
    }
    if !config.scoring_sources.is_empty() {
        rules.push(rule(
            Role::ScoringInbound,
            Access::Allow,
            Protocol::Tcp,
            config.scoring_sources.clone(),
            any(),
            config.scoring_ports.clone(),
        ));
    }
    if config.outbound_lockdown {
        for (role, tag, protocol, ports) in lockdown(config) {
            rules.push(rule(
                role,
                Access::Allow,
                protocol,
                one("VirtualNetwork"),
                vec![tag],
                ports.iter().map(|p| p.to_string()).collect(),
            ));
        }
        rules.push(rule(
            Role::DenyInternetOutbound,
            Access::Deny,
            Protocol::Any,
            one("VirtualNetwork"),
            one("Internet"),
            any(),
        ));
    }
    rules
}

/// The outbound Allows of the lockdown: role, service tag, protocol and ports (`*` for any).
/// The 2019 set allows three services on any port; today's the services it lists (see
/// [`super::current`]), each on its own ports, `AzureContainerRegistry.<region>` kept for
/// the workspace's own registry, and Storage on 445 too (Azure Files).
fn lockdown(config: &RuleSetConfig) -> Vec<(Role, String, Protocol, Vec<&'static str>)> {
    let regional = |name: &str| regions::regional_tag(name, &config.region);
    let tcp = Protocol::Tcp;
    match config.profile {
        Profile::Seed => vec![
            (
                Role::StorageOutbound,
                regional("Storage"),
                Protocol::Any,
                vec!["*"],
            ),
            (
                Role::AcrOutbound,
                regional("AzureContainerRegistry"),
                Protocol::Any,
                vec!["*"],
            ),
            (
                Role::AzureMlOutbound,
                "AzureMachineLearning".to_owned(),
                Protocol::Any,
                vec!["*"],
            ),
        ],
        Profile::Current => vec![
            (
                Role::AadOutbound,
                "AzureActiveDirectory".to_owned(),
                tcp,
                vec!["80", "443"],
            ),
            (
                Role::StorageOutbound,
                regional("Storage"),
                tcp,
                vec!["443", "445"],
            ),
            (
                Role::AcrOutbound,
                regional("AzureContainerRegistry"),
                tcp,
                vec!["443"],
            ),
            (
                Role::AzureMlOutbound,
                "AzureMachineLearning".to_owned(),
                tcp,
                vec!["443", "18881"],
            ),
            (
                Role::AzureMlUdpOutbound,
                "AzureMachineLearning".to_owned(),
                Protocol::Udp,
                vec!["5831"],
            ),
            (
                Role::BatchOutbound,
                regional("BatchNodeManagement"),
                tcp,
                vec!["443"],
            ),
            (
                Role::ArmOutbound,
                "AzureResourceManager".to_owned(),
                tcp,
                vec!["443"],
            ),
            (
                Role::FrontDoorOutbound,
                "AzureFrontDoor.Frontend".to_owned(),
                tcp,
                vec!["443"],
            ),
            (
                Role::McrOutbound,
                regional("MicrosoftContainerRegistry"),
                tcp,
                vec!["443"],
            ),
            (
                Role::MonitorOutbound,
                "AzureMonitor".to_owned(),
                tcp,
                vec!["443"],
            ),
            (
                Role::KeyVaultOutbound,
                regional("AzureKeyVault"),
                tcp,
                vec!["443"],
            ),
        ],
    }
}

/// What [`place`] decided: the rules with priorities (rules that found none are left out), and
/// the findings, in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub rules: Vec<(Role, SecurityRule)>,
    pub findings: Vec<Finding>,
}

/// Places the rules of `config` in an NSG holding `existing` rules (all its own rules, any
/// order). `owned` names the rules the set already manages (compared case-insensitively);
/// every other rule is someone else's and is never moved. `previous` holds the priorities
/// the set gave its rules, kept while free.
///
/// A rule exactly as the set writes it (its name and everything but its priority) is the
/// set's own even when `owned` does not name it: an apply that failed after Azure took the
/// write left it there, and the next run adopts it where it is instead of refusing it.
pub fn place(
    config: &RuleSetConfig,
    existing: &[SecurityRule],
    owned: &BTreeSet<String>,
    previous: &BTreeMap<String, u32>,
) -> Placement {
    let mut rules = desired_rules(config);
    let mut previous = previous.clone();
    let adopted: Vec<&SecurityRule> = existing
        .iter()
        .filter(|live| rules.iter().any(|(_, wanted)| same_rule(wanted, live)))
        .collect();
    for live in &adopted {
        previous.entry(live.name.clone()).or_insert(live.priority);
    }
    let is_owned = |name: &str| {
        owned.iter().any(|o| o.eq_ignore_ascii_case(name))
            || adopted.iter().any(|a| a.name.eq_ignore_ascii_case(name))
    };
    let foreign: Vec<&SecurityRule> = existing.iter().filter(|r| !is_owned(&r.name)).collect();
    let mut findings = Vec::new();

    for (role, rule) in &rules {
        if let Some(other) = foreign
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(&rule.name))
        {
            findings.push(Finding::new(
                &NAME_TAKEN,
                "name_prefix",
                format!(
                    "the network security group already has a rule named '{}' ({} {}, priority {}) that this rule set does not manage; writing the {} rule would overwrite it",
                    other.name,
                    direction_word(other.direction),
                    access_word(other.access),
                    other.priority,
                    role.key()
                ),
                format!(
                    "Choose another name_prefix than {:?}, or adopt the rules with terraform import if they are this rule set's",
                    config.name_prefix
                ),
            ));
        }
    }

    let taken_by = |direction: Direction, priority: u32| {
        foreign
            .iter()
            .find(|f| f.direction == direction && f.priority == priority)
            .copied()
    };
    // Priorities of the set's own rules, by direction, as they are assigned.
    let mut assigned: HashMap<(Direction, u32), Role> = HashMap::new();

    // 1. Chosen priorities.
    for (role, rule) in rules.iter_mut() {
        let Some(&priority) = config.priorities.get(role) else {
            continue;
        };
        if let Some(other) = taken_by(rule.direction, priority) {
            // Free of the group's rules and of every other priority the set was given.
            let mut chosen = assigned.clone();
            for (other_role, &p) in &config.priorities {
                if other_role != role && other_role.direction() == rule.direction {
                    chosen.insert((rule.direction, p), *other_role);
                }
            }
            let free = free_priorities(rule.direction, &foreign, &chosen, priority, 1);
            let suggestion = match free.first() {
                Some(p) => format!(
                    "priorities.{} = {p} is the nearest free one above",
                    role.key()
                ),
                None => format!(
                    "no priority from {priority} to {MAX_PRIORITY} is free in that direction"
                ),
            };
            let finding = Finding::new(
                &PRIORITY_TAKEN,
                "priorities",
                format!(
                    "priorities.{} is {priority}, but rule '{}' ({} {}) already has priority {priority} in the network security group, and Azure allows one rule per priority and direction",
                    role.key(),
                    other.name,
                    direction_word(other.direction),
                    access_word(other.access),
                ),
                format!(
                    "Choose another priority ({suggestion}), or leave {} out of priorities to have a free one picked",
                    role.key()
                ),
            );
            findings.push(match free.first() {
                Some(p) => finding.suggesting(format!("priorities.{}", role.key()), p),
                None => finding,
            });
            continue;
        }
        rule.priority = priority;
        assigned.insert((rule.direction, priority), *role);
    }

    // 2. Priorities the set's rules already have, while still free (the Deny of Internet only
    //    while it stays after the outbound Allows, which come before it in role order).
    for index in 0..rules.len() {
        let (role, rule) = &rules[index];
        if rule.priority != 0 || config.priorities.contains_key(role) {
            continue;
        }
        let Some(&priority) = previous
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&rule.name))
            .map(|(_, p)| p)
        else {
            continue;
        };
        let (role, direction) = (*role, rule.direction);
        let in_range = (MIN_PRIORITY..=MAX_PRIORITY).contains(&priority);
        let after_allows =
            role != Role::DenyInternetOutbound || priority > outbound_allow_max(&rules);
        if in_range
            && after_allows
            && taken_by(direction, priority).is_none()
            && !assigned.contains_key(&(direction, priority))
        {
            rules[index].1.priority = priority;
            assigned.insert((direction, priority), role);
        }
    }

    // 3. The lowest free priorities for the rest; the Deny of Internet after the Allows.
    for index in 0..rules.len() {
        let (role, rule) = &rules[index];
        if rule.priority != 0 || config.priorities.contains_key(role) {
            continue;
        }
        let (role, direction) = (*role, rule.direction);
        let start = if role == Role::DenyInternetOutbound {
            config.priority_start.max(outbound_allow_max(&rules) + 1)
        } else {
            config.priority_start
        };
        match free_priorities(direction, &foreign, &assigned, start, 1).first() {
            Some(&priority) => {
                rules[index].1.priority = priority;
                assigned.insert((direction, priority), role);
            }
            None => findings.push(Finding::new(
                &NO_FREE_PRIORITY,
                "priority_start",
                format!(
                    "every {} priority from {start} to {MAX_PRIORITY} is taken, so the {} rule has none",
                    direction_word(direction),
                    role.key()
                ),
                format!(
                    "Lower priority_start (now {}), or free a priority by removing or renumbering a rule",
                    config.priority_start
                ),
            )),
        }
    }
    // An Allow picked in 3 may have landed after a Deny kept in 2: move the Deny after it.
    let deny = rules.iter().position(|(role, r)| {
        *role == Role::DenyInternetOutbound
            && r.priority != 0
            && !config.priorities.contains_key(role)
    });
    if let Some(index) = deny
        && rules[index].1.priority < outbound_allow_max(&rules)
    {
        assigned.remove(&(Direction::Outbound, rules[index].1.priority));
        let start = config.priority_start.max(outbound_allow_max(&rules) + 1);
        let free = free_priorities(Direction::Outbound, &foreign, &assigned, start, 1);
        rules[index].1.priority = free.first().copied().unwrap_or(0);
        if let Some(&p) = free.first() {
            assigned.insert((Direction::Outbound, p), Role::DenyInternetOutbound);
        }
    }
    rules.retain(|(_, r)| r.priority != 0);

    findings.extend(shadowed(config, &foreign, &rules));
    findings.sort_by_key(|f| f.rule.id);
    Placement { rules, findings }
}

/// `live` is `wanted` as Azure holds it, whatever its priority: the same name, direction,
/// access and protocol, and the same prefixes and ports in any order and casing.
fn same_rule(wanted: &SecurityRule, live: &SecurityRule) -> bool {
    let set = |values: &[String]| -> BTreeSet<String> {
        values.iter().map(|v| v.to_ascii_lowercase()).collect()
    };
    wanted.name.eq_ignore_ascii_case(&live.name)
        && wanted.direction == live.direction
        && wanted.access == live.access
        && wanted.protocol == live.protocol
        && set(&wanted.source_prefixes) == set(&live.source_prefixes)
        && set(&wanted.source_ports) == set(&live.source_ports)
        && set(&wanted.destination_prefixes) == set(&live.destination_prefixes)
        && set(&wanted.destination_ports) == set(&live.destination_ports)
}

/// The highest priority given so far to an outbound Allow of the set (0: none).
fn outbound_allow_max(rules: &[(Role, SecurityRule)]) -> u32 {
    rules
        .iter()
        .filter(|(_, r)| r.direction == Direction::Outbound && r.access == Access::Allow)
        .map(|(_, r)| r.priority)
        .max()
        .unwrap_or(0)
}

/// The first `count` priorities from `start` free in `direction`.
fn free_priorities(
    direction: Direction,
    foreign: &[&SecurityRule],
    assigned: &HashMap<(Direction, u32), Role>,
    start: u32,
    count: usize,
) -> Vec<u32> {
    (start.max(MIN_PRIORITY)..=MAX_PRIORITY)
        .filter(|p| {
            !assigned.contains_key(&(direction, *p))
                && !foreign
                    .iter()
                    .any(|f| f.direction == direction && f.priority == *p)
        })
        .take(count)
        .collect()
}

/// [`RULE_SHADOWED`]: the traffic each service Allow rule is for, evaluated over the whole NSG
/// as it will be; a denial by a rule ahead of ours is a finding.
fn shadowed(
    config: &RuleSetConfig,
    foreign: &[&SecurityRule],
    placed: &[(Role, SecurityRule)],
) -> Vec<Finding> {
    let mut all: Vec<SecurityRule> = foreign.iter().map(|r| (*r).clone()).collect();
    all.extend(placed.iter().map(|(_, r)| r.clone()));
    let mut findings = Vec::new();
    for (role, rule) in placed {
        // The first of the rule's traffics that an earlier rule denies.
        let blocked = shadow_traffic(config, *role, rule).into_iter().find_map(
            |(service, protocol, ports)| {
                let traffic = Traffic {
                    protocol,
                    ..Traffic::service(rule.direction, ports, service.clone(), &[])
                };
                decide(&all, &traffic)
                    .into_iter()
                    .filter(|d| d.outcome == Outcome::Denied && d.rule.priority < rule.priority)
                    .map(|d| d.rule)
                    .min_by_key(|r| r.priority)
                    .map(|first| (first, service, protocol, ports))
            },
        );
        let Some((first, service, protocol, ports)) = blocked else {
            continue;
        };
        let explicit = config.priorities.contains_key(role);
        let attribute = if explicit {
            "priorities"
        } else {
            "priority_start"
        };
        let toward = match rule.direction {
            Direction::Inbound => "from",
            Direction::Outbound => "to",
        };
        let fix = if first.priority <= MIN_PRIORITY {
            format!(
                "Renumber rule '{}' above {}, since {MIN_PRIORITY} is the lowest priority Azure accepts, or remove it",
                first.name, rule.priority
            )
        } else {
            format!(
                "Set priorities.{} to a free priority below {}{}",
                role.key(),
                first.priority,
                if explicit {
                    String::new()
                } else {
                    format!(", or priority_start below {}", first.priority)
                }
            )
        };
        findings.push(Finding::new(
            &RULE_SHADOWED,
            attribute,
            format!(
                "rule '{}' (priority {}) denies {protocol} {} {toward} {service} before the rule set's '{}' (priority {}) allows it, so that rule would have no effect",
                first.name,
                first.priority,
                if ports == PortRange::ALL {
                    "on any port".to_owned()
                } else {
                    ports.to_string()
                },
                rule.name,
                rule.priority
            ),
            fix,
        ));
    }
    findings
}

/// The traffics a rule of the set is for, as [`RULE_SHADOWED`] checks them: the 2019 rules on
/// the ports the seed names (TCP 443 for the services), today's on each of their ports. None
/// for rules whose sources the user chose (they may be address ranges, which the evaluator
/// cannot compare with a service) and for the Deny.
fn shadow_traffic(
    config: &RuleSetConfig,
    role: Role,
    rule: &SecurityRule,
) -> Vec<(ServiceTag, Protocol, PortRange)> {
    match role {
        Role::SshInbound | Role::ScoringInbound | Role::DenyInternetOutbound => return Vec::new(),
        Role::BatchInbound => {
            let batch = ServiceTag::new("BatchNodeManagement", Some(&config.region));
            return vec![(batch, Protocol::Tcp, BATCH_PORTS)];
        }
        Role::AzureMlInbound => {
            let azure_ml = ServiceTag::new("AzureMachineLearning", None);
            return vec![(azure_ml, Protocol::Tcp, PortRange::ALL)];
        }
        _ => {}
    }
    let remote = match rule.direction {
        Direction::Inbound => rule.source_prefixes.first(),
        Direction::Outbound => rule.destination_prefixes.first(),
    };
    let Some(service) = remote.map(|r| ServiceTag::parse(r)) else {
        return Vec::new();
    };
    if config.profile == Profile::Seed {
        return vec![(service, Protocol::Tcp, PortRange::single(HTTPS_PORT))];
    }
    let protocol = match rule.protocol {
        Protocol::Any => Protocol::Tcp,
        protocol => protocol,
    };
    (rule.destination_ports.iter())
        .filter_map(|p| PortRange::parse(p))
        .map(|ports| (service.clone(), protocol, ports))
        .collect()
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

fn access_word(access: Access) -> &'static str {
    match access {
        Access::Allow => "Allow",
        Access::Deny => "Deny",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::nsg::testing::assert_says;
    use crate::rules::{CATALOGUE, nsg};

    fn config() -> RuleSetConfig {
        RuleSetConfig {
            profile: Profile::Seed,
            name_prefix: "amlsecure".into(),
            region: "westeurope".into(),
            priority_start: 100,
            priorities: BTreeMap::new(),
            ssh_sources: Vec::new(),
            outbound_lockdown: false,
            aks: false,
            scoring_sources: Vec::new(),
            scoring_ports: vec!["80".into(), "443".into()],
        }
    }

    fn foreign(name: &str, priority: u32, direction: Direction, access: Access) -> SecurityRule {
        SecurityRule {
            name: name.into(),
            priority,
            direction,
            access,
            protocol: Protocol::Any,
            source_prefixes: vec!["*".into()],
            source_ports: vec!["*".into()],
            destination_prefixes: vec!["*".into()],
            destination_ports: vec!["*".into()],
        }
    }

    fn priorities(placement: &Placement) -> Vec<(&'static str, u32)> {
        placement
            .rules
            .iter()
            .map(|(role, rule)| (role.key(), rule.priority))
            .collect()
    }

    fn ids(placement: &Placement) -> Vec<&'static str> {
        placement.findings.iter().map(|f| f.rule.id).collect()
    }

    fn none() -> (BTreeSet<String>, BTreeMap<String, u32>) {
        (BTreeSet::new(), BTreeMap::new())
    }

    #[test]
    fn rules_are_in_the_catalogue() {
        for rule in [
            &PRIORITY_TAKEN,
            &NAME_TAKEN,
            &NO_FREE_PRIORITY,
            &RULE_SHADOWED,
        ] {
            assert!(CATALOGUE.contains(&rule), "{}", rule.id);
        }
    }

    #[test]
    fn the_minimal_set_is_the_batch_rule_at_the_start() {
        let (owned, previous) = none();
        let placement = place(&config(), &[], &owned, &previous);
        assert_eq!(priorities(&placement), [("batch_inbound", 100)]);
        let rule = &placement.rules[0].1;
        assert_eq!(rule.name, "amlsecure-batch-inbound");
        assert_eq!(rule.source_prefixes, ["BatchNodeManagement"]);
        assert_eq!(rule.destination_ports, ["29876-29877"]);
        assert_eq!(rule.protocol, Protocol::Tcp);
        assert!(placement.findings.is_empty());
    }

    #[test]
    fn the_full_set_steps_around_foreign_priorities_and_denies_internet_last() {
        let mut c = config();
        c.ssh_sources = vec!["203.0.113.0/24".into()];
        c.outbound_lockdown = true;
        c.aks = true;
        c.scoring_sources = vec!["Internet".into()];
        let existing = [
            foreign("theirs-in", 101, Direction::Inbound, Access::Allow),
            foreign("theirs-out", 100, Direction::Outbound, Access::Allow),
        ];
        let (owned, previous) = none();
        let placement = place(&c, &existing, &owned, &previous);
        assert_eq!(
            priorities(&placement),
            [
                ("batch_inbound", 100),
                ("ssh_inbound", 102),
                ("azureml_inbound", 103),
                ("scoring_inbound", 104),
                ("storage_outbound", 101),
                ("acr_outbound", 102),
                ("azureml_outbound", 103),
                ("deny_internet_outbound", 104),
            ]
        );
        let storage = &placement.rules[4].1;
        assert_eq!(storage.destination_prefixes, ["Storage.WestEurope"]);
        assert_eq!(
            placement.rules[5].1.destination_prefixes,
            ["AzureContainerRegistry.WestEurope"]
        );
        assert_eq!(placement.rules[7].1.access, Access::Deny);
        assert!(placement.findings.is_empty(), "{:?}", placement.findings);
    }

    #[test]
    fn the_set_satisfies_the_compute_and_aks_checks() {
        let mut c = config();
        c.outbound_lockdown = true;
        c.aks = true;
        let existing = [foreign(
            "deny-all-in",
            4000,
            Direction::Inbound,
            Access::Deny,
        )];
        let (owned, previous) = none();
        let placement = place(&c, &existing, &owned, &previous);
        let mut rules: Vec<SecurityRule> = existing.to_vec();
        rules.extend(placement.rules.iter().map(|(_, r)| r.clone()));
        let group = nsg::NetworkSecurityGroup {
            name: "nsg".into(),
            security_rules: rules,
        };
        assert_eq!(
            nsg::seed::check_compute_nsg(Some(&group), &[], "westeurope"),
            []
        );
        assert_eq!(nsg::seed::check_aks_nsg(Some(&group), &[]), []);
        let without: Vec<SecurityRule> = existing.to_vec();
        let before = nsg::NetworkSecurityGroup {
            name: "nsg".into(),
            security_rules: without,
        };
        assert_eq!(
            nsg::seed::check_compute_nsg(Some(&before), &[], "westeurope")[0]
                .rule
                .id,
            "AMLS111"
        );
    }

    fn current() -> RuleSetConfig {
        RuleSetConfig {
            profile: Profile::Current,
            ..config()
        }
    }

    #[test]
    fn todays_set_lets_azure_ml_in_on_44224_and_locks_down_to_todays_services() {
        let (owned, previous) = none();
        let minimal = place(&current(), &[], &owned, &previous);
        assert_eq!(priorities(&minimal), [("node_inbound", 100)]);
        let node = &minimal.rules[0].1;
        assert_eq!(node.name, "amlsecure-node-inbound");
        assert_eq!(
            (
                node.protocol,
                node.source_prefixes.as_slice(),
                node.destination_ports.as_slice()
            ),
            (
                Protocol::Tcp,
                &["AzureMachineLearning".to_owned()][..],
                &["44224".to_owned()][..]
            )
        );
        let mut c = current();
        c.outbound_lockdown = true;
        let existing = [foreign(
            "corp-allow",
            103,
            Direction::Outbound,
            Access::Allow,
        )];
        let placement = place(&c, &existing, &owned, &previous);
        assert!(placement.findings.is_empty(), "{:?}", placement.findings);
        let written: Vec<(&str, String, Protocol, Vec<String>)> = placement
            .rules
            .iter()
            .filter(|(_, r)| r.direction == Direction::Outbound)
            .map(|(role, r)| {
                (
                    role.key(),
                    r.destination_prefixes.join(","),
                    r.protocol,
                    r.destination_ports.clone(),
                )
            })
            .collect();
        let ports = |p: &[&str]| p.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(
            written,
            [
                (
                    "aad_outbound",
                    "AzureActiveDirectory".into(),
                    Protocol::Tcp,
                    ports(&["80", "443"])
                ),
                (
                    "storage_outbound",
                    "Storage.WestEurope".into(),
                    Protocol::Tcp,
                    ports(&["443", "445"])
                ),
                (
                    "acr_outbound",
                    "AzureContainerRegistry.WestEurope".into(),
                    Protocol::Tcp,
                    ports(&["443"])
                ),
                (
                    "azureml_outbound",
                    "AzureMachineLearning".into(),
                    Protocol::Tcp,
                    ports(&["443", "18881"])
                ),
                (
                    "azureml_udp_outbound",
                    "AzureMachineLearning".into(),
                    Protocol::Udp,
                    ports(&["5831"])
                ),
                (
                    "batch_outbound",
                    "BatchNodeManagement.WestEurope".into(),
                    Protocol::Tcp,
                    ports(&["443"])
                ),
                (
                    "arm_outbound",
                    "AzureResourceManager".into(),
                    Protocol::Tcp,
                    ports(&["443"])
                ),
                (
                    "frontdoor_outbound",
                    "AzureFrontDoor.Frontend".into(),
                    Protocol::Tcp,
                    ports(&["443"])
                ),
                (
                    "mcr_outbound",
                    "MicrosoftContainerRegistry.WestEurope".into(),
                    Protocol::Tcp,
                    ports(&["443"])
                ),
                (
                    "monitor_outbound",
                    "AzureMonitor".into(),
                    Protocol::Tcp,
                    ports(&["443"])
                ),
                (
                    "keyvault_outbound",
                    "AzureKeyVault.WestEurope".into(),
                    Protocol::Tcp,
                    ports(&["443"])
                ),
                (
                    "deny_internet_outbound",
                    "Internet".into(),
                    Protocol::Any,
                    ports(&["*"])
                ),
            ]
        );
        // The Allows skip the foreign 103, the Deny comes after them all.
        let outbound: Vec<u32> = (placement.rules.iter())
            .filter(|(_, r)| r.direction == Direction::Outbound)
            .map(|(_, r)| r.priority)
            .collect();
        assert_eq!(
            outbound,
            [100, 101, 102, 104, 105, 106, 107, 108, 109, 110, 111, 112]
        );
    }

    #[test]
    fn todays_set_satisfies_todays_checks_and_not_the_2019_set() {
        let deny_in = foreign("deny-all-in", 4000, Direction::Inbound, Access::Deny);
        let group = |c: &RuleSetConfig| {
            let (owned, previous) = none();
            let placement = place(c, std::slice::from_ref(&deny_in), &owned, &previous);
            assert!(placement.findings.is_empty(), "{:?}", placement.findings);
            let mut rules = vec![deny_in.clone()];
            rules.extend(placement.rules.iter().map(|(_, r)| r.clone()));
            nsg::NetworkSecurityGroup {
                name: "nsg".into(),
                security_rules: rules,
            }
        };
        let mut today = current();
        today.outbound_lockdown = true;
        let mut seed = config();
        seed.outbound_lockdown = true;
        let check = |g: &nsg::NetworkSecurityGroup| {
            nsg::current::check_cluster_nsg(Some(g), &[], "westeurope", true)
        };
        assert_eq!(check(&group(&today)), []);
        let ids: Vec<&str> = check(&group(&seed)).iter().map(|f| f.rule.id).collect();
        assert_eq!(ids, ["AMLS151", "AMLS153", "AMLS155"]);
        // And the 2019 checks fail today's set: no Batch inbound rule.
        let ids: Vec<&str> = nsg::seed::check_compute_nsg(Some(&group(&today)), &[], "westeurope")
            .iter()
            .map(|f| f.rule.id)
            .collect();
        assert_eq!(ids, ["AMLS111"]);
    }

    #[test]
    fn an_earlier_deny_of_udp_shadows_todays_udp_rule() {
        let mut c = current();
        c.outbound_lockdown = true;
        let mut udp_deny = foreign("no-udp", 100, Direction::Outbound, Access::Deny);
        udp_deny.protocol = Protocol::Udp;
        let (owned, previous) = none();
        let placement = place(&c, &[udp_deny], &owned, &previous);
        let messages: Vec<&str> = (placement.findings.iter())
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "rule 'no-udp' (priority 100) denies UDP 5831 to AzureMachineLearning before the rule set's 'amlsecure-azureml-udp-outbound' (priority 105) allows it, so that rule would have no effect"
            ]
        );
        assert_eq!(placement.findings[0].rule.id, "AMLS164");
    }

    #[test]
    fn a_chosen_priority_held_by_a_foreign_rule_names_it() {
        let mut c = config();
        c.priorities.insert(Role::BatchInbound, 200);
        let existing = [
            foreign("corp-allow", 200, Direction::Inbound, Access::Allow),
            foreign("corp-201", 201, Direction::Inbound, Access::Allow),
            // Same priority, other direction: no clash.
            foreign("corp-out", 300, Direction::Outbound, Access::Allow),
        ];
        let (owned, previous) = none();
        let placement = place(&c, &existing, &owned, &previous);
        assert_eq!(ids(&placement), ["AMLS161"]);
        let finding = &placement.findings[0];
        assert_eq!(finding.attribute, "priorities");
        assert_says(&finding.message, "'corp-allow'");
        assert_says(&finding.message, "200");
        assert_says(&finding.fix, "= 202");
        assert!(placement.rules.is_empty());

        c.priorities.insert(Role::BatchInbound, 300);
        let placement = place(&c, &existing, &owned, &previous);
        assert_eq!(priorities(&placement), [("batch_inbound", 300)]);
        assert!(placement.findings.is_empty());
    }

    #[test]
    fn a_rule_exactly_as_the_set_writes_it_is_adopted_where_it_is() {
        // An apply wrote the Batch rule at 230, then failed before state recorded it.
        let (owned, previous) = none();
        let written = place(&config(), &[], &owned, &previous).rules[0].1.clone();
        let left_behind = SecurityRule {
            name: "AMLSECURE-Batch-Inbound".into(),
            priority: 230,
            source_prefixes: vec!["batchnodemanagement".into()],
            ..written.clone()
        };
        let placement = place(
            &config(),
            std::slice::from_ref(&left_behind),
            &owned,
            &previous,
        );
        assert!(placement.findings.is_empty(), "{:?}", placement.findings);
        assert_eq!(priorities(&placement), [("batch_inbound", 230)]);

        // Any other difference makes it someone else's rule.
        for changed in [
            SecurityRule {
                destination_ports: vec!["22".into()],
                ..left_behind.clone()
            },
            SecurityRule {
                access: Access::Deny,
                ..left_behind.clone()
            },
            SecurityRule {
                protocol: Protocol::Any,
                ..left_behind.clone()
            },
        ] {
            let placement = place(&config(), &[changed], &owned, &previous);
            assert_eq!(ids(&placement), ["AMLS162"]);
        }
    }

    #[test]
    fn a_foreign_rule_of_the_same_name_is_a_clash_an_owned_one_is_not() {
        let existing = [foreign(
            "AMLSECURE-batch-inbound",
            500,
            Direction::Outbound,
            Access::Deny,
        )];
        let (owned, previous) = none();
        let placement = place(&config(), &existing, &owned, &previous);
        assert_eq!(ids(&placement), ["AMLS162"]);
        assert!(placement.findings[0].message.contains("priority 500"));
        assert_eq!(placement.findings[0].attribute, "name_prefix");

        let owned: BTreeSet<String> = ["amlsecure-batch-inbound".to_owned()].into();
        let previous: BTreeMap<String, u32> = [("amlsecure-batch-inbound".to_owned(), 150)].into();
        let placement = place(&config(), &existing, &owned, &previous);
        assert!(placement.findings.is_empty());
        // An owned rule keeps its priority while it is free.
        assert_eq!(priorities(&placement), [("batch_inbound", 150)]);
    }

    #[test]
    fn an_owned_priority_taken_meanwhile_is_picked_again() {
        let existing = [foreign("newcomer", 150, Direction::Inbound, Access::Allow)];
        let previous: BTreeMap<String, u32> = [("amlsecure-batch-inbound".to_owned(), 150)].into();
        let placement = place(&config(), &existing, &BTreeSet::new(), &previous);
        assert_eq!(priorities(&placement), [("batch_inbound", 100)]);
    }

    #[test]
    fn deny_internet_stays_after_the_allows() {
        let mut c = config();
        c.outbound_lockdown = true;
        c.priorities.insert(Role::AzureMlOutbound, 900);
        // The Deny had 300 before; the chosen Allow at 900 moves it after.
        let previous: BTreeMap<String, u32> =
            [("amlsecure-deny-internet-outbound".to_owned(), 300)].into();
        let placement = place(&c, &[], &BTreeSet::new(), &previous);
        assert_eq!(
            priorities(&placement),
            [
                ("batch_inbound", 100),
                ("storage_outbound", 100),
                ("acr_outbound", 101),
                ("azureml_outbound", 900),
                ("deny_internet_outbound", 901),
            ]
        );
    }

    #[test]
    fn no_free_priority_says_which_range() {
        let mut c = config();
        c.priority_start = 4095;
        let existing = [
            foreign("a", 4095, Direction::Inbound, Access::Allow),
            foreign("b", 4096, Direction::Inbound, Access::Allow),
        ];
        let placement = place(&c, &existing, &BTreeSet::new(), &BTreeMap::new());
        assert_eq!(ids(&placement), ["AMLS163"]);
        assert!(placement.findings[0].message.contains("from 4095 to 4096"));
        assert!(placement.rules.is_empty());
    }

    #[test]
    fn an_earlier_deny_shadows_the_set() {
        let mut c = config();
        c.priority_start = 300;
        let existing = [foreign(
            "deny-all-in",
            200,
            Direction::Inbound,
            Access::Deny,
        )];
        let placement = place(&c, &existing, &BTreeSet::new(), &BTreeMap::new());
        assert_eq!(ids(&placement), ["AMLS164"]);
        let finding = &placement.findings[0];
        assert_eq!(finding.attribute, "priority_start");
        assert_says(&finding.message, "'deny-all-in' (priority 200)");
        assert_says(&finding.message, "29876-29877");
        assert_says(&finding.fix, "below 200");

        // A chosen Allow after the set's own Deny of Internet is shadowed by it.
        let mut c = config();
        c.outbound_lockdown = true;
        c.priorities.insert(Role::DenyInternetOutbound, 150);
        c.priorities.insert(Role::StorageOutbound, 160);
        let placement = place(&c, &[], &BTreeSet::new(), &BTreeMap::new());
        assert_eq!(ids(&placement), ["AMLS164"]);
        assert!(
            placement.findings[0]
                .message
                .contains("amlsecure-deny-internet-outbound")
        );
        assert_eq!(placement.findings[0].attribute, "priorities");
    }

    #[test]
    fn roles_round_trip_their_keys() {
        for role in Role::ALL {
            assert_eq!(Role::from_key(role.key()), Some(role));
            assert!(role.rule_name("p").len() <= 30);
        }
        assert_eq!(Role::from_key("nope"), None);
    }

    proptest::proptest! {
        /// A chosen priority a finding proposes, applied, is free: no clash with the group's
        /// rules or the set's other chosen priorities, and no finding the plan did not have.
        #[test]
        fn proposed_priorities_are_free(
            taken in proptest::collection::vec((100u32..130, proptest::bool::ANY), 0..25),
            batch in 100u32..130,
            ssh in proptest::option::of(100u32..130),
        ) {
            // Azure holds one rule per priority and direction.
            let mut taken = taken;
            taken.sort();
            taken.dedup();
            let existing: Vec<SecurityRule> = taken
                .iter()
                .enumerate()
                .map(|(i, &(p, inbound))| {
                    let direction = if inbound { Direction::Inbound } else { Direction::Outbound };
                    foreign(&format!("corp-{i}"), p, direction, Access::Allow)
                })
                .collect();
            let mut c = config();
            c.ssh_sources = vec!["203.0.113.0/24".into()];
            c.priorities.insert(Role::BatchInbound, batch);
            if let Some(ssh) = ssh.filter(|s| *s != batch) {
                c.priorities.insert(Role::SshInbound, ssh);
            }
            let (owned, previous) = none();
            let before = place(&c, &existing, &owned, &previous);
            for finding in before.findings.iter().filter(|f| !f.suggestions.is_empty()) {
                let mut fixed = c.clone();
                for suggestion in &finding.suggestions {
                    let key = suggestion.attribute.trim_start_matches("priorities.");
                    let role = Role::from_key(key).unwrap();
                    fixed.priorities.insert(role, suggestion.value.parse().unwrap());
                }
                let after = place(&fixed, &existing, &owned, &previous);
                for left in &after.findings {
                    proptest::prop_assert!(
                        !(left.rule == &PRIORITY_TAKEN && left.message.contains(
                            &finding.suggestions[0].attribute)),
                        "{:?} still clashes: {}", finding.suggestions, left.message
                    );
                    proptest::prop_assert!(
                        before.findings.iter().any(|b| b.rule == left.rule),
                        "{:?} brings {}: {}", finding.suggestions, left.rule.id, left.message
                    );
                }
                let mut priorities: Vec<(bool, u32)> = after
                    .rules
                    .iter()
                    .map(|(_, r)| (r.direction == Direction::Inbound, r.priority))
                    .collect();
                priorities.extend(
                    existing.iter().map(|r| (r.direction == Direction::Inbound, r.priority)),
                );
                let count = priorities.len();
                priorities.sort();
                priorities.dedup();
                proptest::prop_assert_eq!(priorities.len(), count, "a priority is used twice");
            }
        }
    }
}
