//! The subnet NSG of a compute cluster under today's guidance (`guidance = "current"`,
//! REFERENCE §10 rules 9-11 and the "2019 vs current" table): instead of the seed's inbound TCP
//! 29876-29877 from `BatchNodeManagement` and three outbound services, a cluster with public IPs
//! needs inbound TCP 44224 from `AzureMachineLearning` (a cluster without them needs no inbound
//! rule at all), and every cluster needs a longer list of outbound services, some of them only
//! for some features.
//!
//! The NSG is evaluated with the model of [`super::evaluation`]: priorities, Azure's default rules,
//! service tags, and *perhaps* matches that make an outcome uncertain. Each rule reports every
//! traffic it concerns in one finding, grouped by the security rule that decides it.

use std::fmt;

use crate::rules::addresses::Ipv4Net;

use super::evaluation::{
    Access, Decision, Direction, MAX_PRIORITY, MIN_PRIORITY, NetworkSecurityGroup, Outcome,
    PortRange, Protocol, RuleRef, ServiceTag, Traffic, Uncertainty, Verdict, evaluate,
};
use crate::rules::seed_section;
use crate::rules::{Applies, Finding, Rule, Severity, join_and, regions, sources};

/// REFERENCE §10 rule 10: a cluster with public IPs takes inbound TCP 44224 from
/// `AzureMachineLearning` (Azure ML puts the rule in the NSG it creates; a subnet NSG must not
/// block it). Replaces the seed's AMLS111.
pub static NODE_INBOUND_BLOCKED: Rule = Rule {
    id: "AMLS151",
    title: "Compute cluster has public IP addresses, and the subnet network security group blocks inbound TCP 44224 from AzureMachineLearning",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// [`NODE_INBOUND_BLOCKED`] when the deciding rule may cover only part of the traffic.
pub static NODE_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS152",
    title: "Whether the subnet network security group allows inbound TCP 44224 from AzureMachineLearning cannot be checked offline",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// REFERENCE §10 rules 9 and 11: the outbound services every cluster needs ("Required"),
/// with or without public IPs. Replaces the seed's AMLS113.
pub static REQUIRED_OUTBOUND_BLOCKED: Rule = Rule {
    id: "AMLS153",
    title: "Subnet network security group blocks outbound traffic to a service the compute nodes require",
    seed_section: seed_section::LIMIT_OUTBOUND,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// [`REQUIRED_OUTBOUND_BLOCKED`] when the deciding rule may cover only part of the traffic.
pub static REQUIRED_OUTBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS154",
    title: "Whether the subnet network security group allows the compute nodes' required outbound traffic cannot be checked offline",
    seed_section: seed_section::LIMIT_OUTBOUND,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// REFERENCE §10 rules 11 and 14: the "Situational" services, needed only by some features
/// (Azure Files on the default storage, Azure Monitor, Key Vault for high-business-impact
/// workspaces). A warning, whether blocked or uncertain: whether a cluster uses the feature is
/// not known here.
pub static SITUATIONAL_OUTBOUND_BLOCKED: Rule = Rule {
    id: "AMLS155",
    title: "Subnet network security group blocks outbound traffic that some compute features need",
    seed_section: seed_section::LIMIT_OUTBOUND,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// The port Azure ML reaches a cluster's nodes on through their public IPs.
pub const NODE_MANAGEMENT_PORT: u16 = 44224;

/// One traffic the compute subnet exchanges with an Azure service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTraffic {
    /// As the rule set writes it and messages name it, like `Storage.WestEurope`.
    pub tag: String,
    pub protocol: Protocol,
    pub port: u16,
    /// What the nodes use it for, for messages.
    pub purpose: &'static str,
}

impl ServiceTraffic {
    fn new(tag: String, protocol: Protocol, port: u16, purpose: &'static str) -> Self {
        Self {
            tag,
            protocol,
            port,
            purpose,
        }
    }
}

/// `TCP 443 to Storage.WestEurope`.
impl fmt::Display for ServiceTraffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} to {}", self.protocol, self.port, self.tag)
    }
}

/// The outbound traffic every compute cluster needs under today's guidance ("Required"),
/// for a cluster in `region`, in the documentation's order.
pub fn required_outbound(region: &str) -> Vec<ServiceTraffic> {
    let regional = |name: &str| regions::regional_tag(name, region);
    let tcp = Protocol::Tcp;
    vec![
        ServiceTraffic::new("AzureActiveDirectory".into(), tcp, 80, "sign-in"),
        ServiceTraffic::new("AzureActiveDirectory".into(), tcp, 443, "sign-in"),
        ServiceTraffic::new("AzureMachineLearning".into(), tcp, 443, "the workspace"),
        ServiceTraffic::new(
            "AzureMachineLearning".into(),
            tcp,
            18881,
            "the language server",
        ),
        ServiceTraffic::new(
            "AzureMachineLearning".into(),
            Protocol::Udp,
            5831,
            "node management",
        ),
        ServiceTraffic::new(regional("BatchNodeManagement"), tcp, 443, "node management"),
        ServiceTraffic::new("AzureResourceManager".into(), tcp, 443, "deployments"),
        ServiceTraffic::new(regional("Storage"), tcp, 443, "the workspace's storage"),
        ServiceTraffic::new(
            "AzureFrontDoor.Frontend".into(),
            tcp,
            443,
            "the studio and images",
        ),
        ServiceTraffic::new(
            regional("MicrosoftContainerRegistry"),
            tcp,
            443,
            "Microsoft's images",
        ),
    ]
}

/// The outbound traffic only some features need ("Situational"), for a cluster in `region`.
pub fn situational_outbound(region: &str) -> Vec<ServiceTraffic> {
    let regional = |name: &str| regions::regional_tag(name, region);
    vec![
        ServiceTraffic::new(
            regional("Storage"),
            Protocol::Tcp,
            445,
            "Azure Files shares",
        ),
        ServiceTraffic::new(
            "AzureMonitor".into(),
            Protocol::Tcp,
            443,
            "monitoring and logs",
        ),
        ServiceTraffic::new(
            regional("AzureKeyVault"),
            Protocol::Tcp,
            443,
            "the key vault of a high-business-impact workspace",
        ),
    ]
}

/// The NSG rules of today's guidance for a compute cluster's subnet NSG ([`NODE_INBOUND_BLOCKED`]
/// to [`SITUATIONAL_OUTBOUND_BLOCKED`]). `subnet` is the subnet's prefixes (empty when unknown),
/// `region` the virtual network's location; `public_ip` whether the nodes get public IPs (only
/// then is inbound traffic needed). No NSG, no finding. Findings come in id order.
pub fn check_cluster_nsg(
    nsg: Option<&NetworkSecurityGroup>,
    subnet: &[Ipv4Net],
    region: &str,
    public_ip: bool,
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    if public_ip {
        let inbound = [ServiceTraffic::new(
            "AzureMachineLearning".into(),
            Protocol::Tcp,
            NODE_MANAGEMENT_PORT,
            "node management",
        )];
        findings.extend(Check {
            nsg,
            subnet,
            direction: Direction::Inbound,
            blocked: &NODE_INBOUND_BLOCKED,
            uncertain: &NODE_INBOUND_UNCERTAIN,
            purpose: "Azure Machine Learning manages nodes with public IP addresses through this port",
        }
        .run(&inbound));
    }
    findings.extend(
        Check {
            nsg,
            subnet,
            direction: Direction::Outbound,
            blocked: &REQUIRED_OUTBOUND_BLOCKED,
            uncertain: &REQUIRED_OUTBOUND_UNCERTAIN,
            purpose: "the compute nodes need these services, with or without public IP addresses",
        }
        .run(&required_outbound(region)),
    );
    findings.extend(
        Check {
            nsg,
            subnet,
            direction: Direction::Outbound,
            blocked: &SITUATIONAL_OUTBOUND_BLOCKED,
            uncertain: &SITUATIONAL_OUTBOUND_BLOCKED,
            purpose: "some features need these services; allow those your jobs use",
        }
        .run(&situational_outbound(region)),
    );
    findings
}

/// The traffic of one rule pair, checked against one NSG.
struct Check<'a> {
    nsg: &'a NetworkSecurityGroup,
    subnet: &'a [Ipv4Net],
    direction: Direction,
    blocked: &'static Rule,
    uncertain: &'static Rule,
    /// Why the traffic matters, ending the message.
    purpose: &'static str,
}

/// How one traffic fared: the decision that settles it (the first denial, else the first
/// uncertain decision).
struct Fared<'t> {
    traffic: &'t ServiceTraffic,
    decision: Decision,
}

impl Check<'_> {
    fn run(&self, wanted: &[ServiceTraffic]) -> Vec<Finding> {
        let mut denied = Vec::new();
        let mut uncertain = Vec::new();
        for traffic in wanted {
            let evaluated = Traffic {
                protocol: traffic.protocol,
                ..Traffic::service(
                    self.direction,
                    PortRange::single(traffic.port),
                    ServiceTag::parse(&traffic.tag),
                    self.subnet,
                )
            };
            match evaluate(&self.nsg.security_rules, &evaluated) {
                Verdict::Allowed => {}
                Verdict::Denied { denials } => denied.push(Fared {
                    traffic,
                    decision: denials[0].clone(),
                }),
                Verdict::Uncertain { uncertain: unsure } => uncertain.push(Fared {
                    traffic,
                    decision: unsure[0].clone(),
                }),
            }
        }
        let mut findings = Vec::new();
        if !denied.is_empty() {
            findings.push(self.finding(self.blocked, &denied));
        }
        if !uncertain.is_empty() {
            findings.push(self.finding(self.uncertain, &uncertain));
        }
        // A warning-only pair reports both kinds as one finding.
        if self.blocked == self.uncertain && findings.len() == 2 {
            let mut all = denied;
            all.extend(uncertain);
            findings = vec![self.finding(self.blocked, &all)];
        }
        findings
    }

    fn toward(&self) -> &'static str {
        match self.direction {
            Direction::Inbound => "from",
            Direction::Outbound => "to",
        }
    }

    /// `TCP 80 and 443 to AzureActiveDirectory and UDP 5831 to AzureMachineLearning`: the
    /// traffics of `fared`, ports of one protocol and tag together, in their order.
    fn describe(&self, fared: &[&Fared<'_>]) -> String {
        let mut groups: Vec<(Protocol, &str, Vec<u16>)> = Vec::new();
        for f in fared {
            let t = f.traffic;
            match groups
                .iter_mut()
                .find(|(p, tag, _)| *p == t.protocol && *tag == t.tag)
            {
                Some((_, _, ports)) => ports.push(t.port),
                None => groups.push((t.protocol, &t.tag, vec![t.port])),
            }
        }
        let parts: Vec<String> = groups
            .iter()
            .map(|(protocol, tag, ports)| {
                format!("{protocol} {} {} {tag}", join_and(ports), self.toward())
            })
            .collect();
        join_and(&parts)
    }

    fn finding(&self, rule: &'static Rule, fared: &[Fared<'_>]) -> Finding {
        // Grouped by the rule that decides, in order of first appearance.
        let mut by_rule: Vec<(&RuleRef, Vec<&Fared<'_>>)> = Vec::new();
        for f in fared {
            match by_rule.iter_mut().find(|(r, _)| **r == f.decision.rule) {
                Some((_, list)) => list.push(f),
                None => by_rule.push((&f.decision.rule, vec![f])),
            }
        }
        let parts: Vec<String> = by_rule
            .iter()
            .map(|(deciding, list)| {
                let traffic = self.describe(list);
                match &list[0].decision.outcome {
                    Outcome::Uncertain(why) => format!(
                        "{deciding} {} {traffic}{}, and {}",
                        verb(deciding),
                        if deciding.access == Access::Allow {
                            " only perhaps"
                        } else {
                            " perhaps"
                        },
                        reason(why)
                    ),
                    _ => format!("{deciding} {} {traffic}", verb(deciding)),
                }
            })
            .collect();
        let all: Vec<&Fared<'_>> = fared.iter().collect();
        let direction = match self.direction {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        };
        let add = if fared.len() == 1 {
            format!("Add an {direction} Allow rule for {}", self.describe(&all))
        } else {
            format!("Add {direction} Allow rules for {}", self.describe(&all))
        };
        let first = fared
            .iter()
            .map(|f| &f.decision.rule)
            .min_by_key(|r| r.priority)
            .expect("a finding has traffic");
        let numbers = if fared.len() == 1 {
            "a priority number"
        } else {
            "priority numbers"
        };
        let fix = if first.default {
            format!("{add}, at any priority from {MIN_PRIORITY} to {MAX_PRIORITY}")
        } else if first.priority <= MIN_PRIORITY {
            format!(
                "{add}, with {numbers} below that of {first} (evaluated first); renumber that rule first, since {MIN_PRIORITY} is the lowest priority number Azure accepts"
            )
        } else {
            format!(
                "{add}, with {numbers} below {} (evaluated first)",
                first.priority
            )
        };
        Finding::new(
            rule,
            "subnet_id",
            format!(
                "in network security group '{}', {}; {}",
                self.nsg.name,
                parts.join("; "),
                self.purpose
            ),
            fix,
        )
    }
}

fn verb(rule: &RuleRef) -> &'static str {
    match rule.access {
        Access::Allow => "allows",
        Access::Deny => "denies",
    }
}

/// Why a rule may cover only part of the traffic, as a clause.
fn reason(why: &Uncertainty) -> String {
    match why {
        Uncertainty::AddressRanges { prefixes } => format!(
            "whether the service's addresses are in {} cannot be checked offline, because service tag ranges are published separately",
            join_and(prefixes)
        ),
        Uncertainty::RegionalTag { tag } => format!(
            "it names {tag}, the part of the service in one region, and which regions the traffic uses is not known"
        ),
        Uncertainty::PartOfSubnet { prefixes, subnet } => format!(
            "it names {}, part of the subnet {}, and which addresses the nodes get is not known in advance",
            join_and(prefixes),
            join_and(subnet)
        ),
        Uncertainty::SubnetUnknown { prefixes } => format!(
            "it names {} for the subnet, whose address range is not known",
            join_and(prefixes)
        ),
        Uncertainty::SourcePorts { ports } => format!(
            "it covers source ports {} only, and the source ports the service uses are not documented",
            join_and(ports)
        ),
        Uncertainty::Protocol { protocol } => {
            format!("it covers {protocol} only, not every protocol")
        }
        Uncertainty::PartOfRemote { prefixes } => {
            format!(
                "it names {}, part of the traffic's far end",
                join_and(prefixes)
            )
        }
        Uncertainty::ClientsInTag { tag } => format!(
            "it names service tag {tag}, whose addresses cannot be checked offline, because service tag ranges are published separately"
        ),
        Uncertainty::Frontend { prefixes } => format!(
            "it names {}, public addresses that may or may not be the load balancer in front of the subnet",
            join_and(prefixes)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::nsg::SecurityRule;
    use crate::rules::nsg::testing::{self, REGION, assert_says, ids, net, nsg};
    use crate::rules::{CATALOGUE, Profile};

    /// A rule between `remote` and anywhere, on `ports` (comma-separated).
    fn rule(
        name: &str,
        priority: u32,
        direction: Direction,
        access: Access,
        protocol: Protocol,
        remote: &str,
        ports: &str,
    ) -> SecurityRule {
        let (source, destination) = match direction {
            Direction::Inbound => (remote, "*"),
            Direction::Outbound => ("*", remote),
        };
        testing::rule(
            name,
            priority,
            direction,
            access,
            protocol,
            source,
            "*",
            destination,
            ports,
        )
    }

    fn deny_out(name: &str, priority: u32, remote: &str) -> SecurityRule {
        rule(
            name,
            priority,
            Direction::Outbound,
            Access::Deny,
            Protocol::Any,
            remote,
            "*",
        )
    }

    fn allow_out(priority: u32, remote: &str, protocol: Protocol, ports: &str) -> SecurityRule {
        rule(
            &format!("allow-{}", remote.to_lowercase()),
            priority,
            Direction::Outbound,
            Access::Allow,
            protocol,
            remote,
            ports,
        )
    }

    fn check(rules: Vec<SecurityRule>, public_ip: bool) -> Vec<Finding> {
        check_cluster_nsg(Some(&nsg(rules)), &[net("10.0.1.0/24")], REGION, public_ip)
    }

    /// Today's lockdown, as `amlsecure_compute_network_security_rules` writes it: every
    /// required and situational service allowed, then the Internet denied.
    fn lockdown() -> Vec<SecurityRule> {
        let mut rules = vec![rule(
            "allow-aml-in",
            100,
            Direction::Inbound,
            Access::Allow,
            Protocol::Tcp,
            "AzureMachineLearning",
            "44224",
        )];
        let services = required_outbound(REGION)
            .into_iter()
            .chain(situational_outbound(REGION));
        for (priority, t) in (110..).zip(services) {
            rules.push(allow_out(priority, &t.tag, t.protocol, &t.port.to_string()));
        }
        rules.push(deny_out("deny-internet", 4000, "Internet"));
        rules
    }

    #[test]
    fn rules_are_current_only_in_the_catalogue() {
        for (rule, id, severity) in [
            (&NODE_INBOUND_BLOCKED, "AMLS151", Severity::Error),
            (&NODE_INBOUND_UNCERTAIN, "AMLS152", Severity::Warning),
            (&REQUIRED_OUTBOUND_BLOCKED, "AMLS153", Severity::Error),
            (&REQUIRED_OUTBOUND_UNCERTAIN, "AMLS154", Severity::Warning),
            (&SITUATIONAL_OUTBOUND_BLOCKED, "AMLS155", Severity::Warning),
        ] {
            assert_eq!((rule.id, rule.severity), (id, severity));
            assert!(CATALOGUE.contains(&rule), "{id} missing from CATALOGUE");
            assert!(rule.applies_under(Profile::Current) && !rule.applies_under(Profile::Seed));
        }
    }

    #[test]
    fn the_required_list_is_the_documented_one() {
        let listed: Vec<String> = required_outbound("westeurope")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            listed,
            [
                "TCP 80 to AzureActiveDirectory",
                "TCP 443 to AzureActiveDirectory",
                "TCP 443 to AzureMachineLearning",
                "TCP 18881 to AzureMachineLearning",
                "UDP 5831 to AzureMachineLearning",
                "TCP 443 to BatchNodeManagement.WestEurope",
                "TCP 443 to AzureResourceManager",
                "TCP 443 to Storage.WestEurope",
                "TCP 443 to AzureFrontDoor.Frontend",
                "TCP 443 to MicrosoftContainerRegistry.WestEurope",
            ]
        );
        let situational: Vec<String> = situational_outbound("eastus2")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            situational,
            [
                "TCP 445 to Storage.EastUS2",
                "TCP 443 to AzureMonitor",
                "TCP 443 to AzureKeyVault.EastUS2"
            ]
        );
    }

    #[test]
    fn no_nsg_and_azures_defaults_need_nothing_outbound() {
        assert_eq!(
            check_cluster_nsg(None, &[net("10.0.1.0/24")], REGION, true),
            vec![]
        );
        // The defaults allow every outbound service and deny the inbound port.
        let defaults = check(vec![], true);
        assert_eq!(ids(&defaults), ["AMLS151"]);
        assert_eq!(
            defaults[0].message,
            "in network security group 'nsg-compute', default rule 'DenyAllInBound' (priority 65500) denies TCP 44224 from AzureMachineLearning; Azure Machine Learning manages nodes with public IP addresses through this port"
        );
        assert_eq!(
            defaults[0].fix,
            "Add an inbound Allow rule for TCP 44224 from AzureMachineLearning, at any priority from 100 to 4096"
        );
        assert_eq!(
            check(vec![], false),
            vec![],
            "no public IP: no inbound rule"
        );
    }

    #[test]
    fn the_lockdown_passes_with_and_without_public_ips() {
        assert_eq!(check(lockdown(), true), vec![]);
        assert_eq!(check(lockdown(), false), vec![]);
    }

    #[test]
    fn the_2019_lockdown_breaks_todays_required_services() {
        // Storage, ACR and Azure ML on any port, then the Internet denied: the seed's set.
        let seed = vec![
            allow_out(100, "Storage.WestEurope", Protocol::Any, "*"),
            allow_out(101, "AzureContainerRegistry.WestEurope", Protocol::Any, "*"),
            allow_out(102, "AzureMachineLearning", Protocol::Any, "*"),
            deny_out("deny-internet", 4000, "Internet"),
        ];
        let findings = check(seed, false);
        assert_eq!(ids(&findings), ["AMLS153", "AMLS155"]);
        assert_eq!(
            findings[0].message,
            "in network security group 'nsg-compute', rule 'deny-internet' (priority 4000) denies TCP 80 and 443 to AzureActiveDirectory, TCP 443 to BatchNodeManagement.WestEurope, TCP 443 to AzureResourceManager, TCP 443 to AzureFrontDoor.Frontend and TCP 443 to MicrosoftContainerRegistry.WestEurope; the compute nodes need these services, with or without public IP addresses"
        );
        assert_eq!(
            findings[0].fix,
            "Add outbound Allow rules for TCP 80 and 443 to AzureActiveDirectory, TCP 443 to BatchNodeManagement.WestEurope, TCP 443 to AzureResourceManager, TCP 443 to AzureFrontDoor.Frontend and TCP 443 to MicrosoftContainerRegistry.WestEurope, with priority numbers below 4000 (evaluated first)"
        );
        assert_says(
            &findings[1].message,
            "denies TCP 443 to AzureMonitor and TCP 443 to AzureKeyVault.WestEurope",
        );
    }

    #[test]
    fn each_protocol_and_port_is_checked() {
        // TCP 443 to Azure ML allowed, its UDP 5831 and TCP 18881 not.
        let mut rules = lockdown();
        rules.retain(|r| {
            !(r.destination_prefixes == ["AzureMachineLearning"] && r.destination_ports != ["443"])
        });
        let findings = check(rules, true);
        assert_eq!(ids(&findings), ["AMLS153"]);
        assert_says(
            &findings[0].message,
            "denies TCP 18881 to AzureMachineLearning and UDP 5831 to AzureMachineLearning",
        );
        // A TCP-only allow of 5831 does not let UDP through.
        let mut rules = lockdown();
        for r in &mut rules {
            if r.destination_ports == ["5831"] {
                r.protocol = Protocol::Tcp;
            }
        }
        assert_eq!(ids(&check(rules, true)), ["AMLS153"]);
    }

    #[test]
    fn denials_are_grouped_by_the_rule_that_decides() {
        let rules = vec![
            deny_out("no-aad", 200, "AzureActiveDirectory"),
            deny_out("no-arm", 300, "AzureResourceManager"),
        ];
        let findings = check(rules, false);
        assert_eq!(ids(&findings), ["AMLS153"]);
        assert!(findings[0].message.contains(
            "rule 'no-aad' (priority 200) denies TCP 80 and 443 to AzureActiveDirectory; rule 'no-arm' (priority 300) denies TCP 443 to AzureResourceManager"
        ));
        assert!(
            findings[0]
                .fix
                .ends_with("with priority numbers below 200 (evaluated first)"),
            "{}",
            findings[0].fix
        );
        let first = check(vec![deny_out("first", 100, "*")], false);
        assert_says(&first[0].fix, "renumber that rule first");
    }

    #[test]
    fn inbound_44224_blocked_or_uncertain() {
        let deny_in = rule(
            "deny-all-in",
            200,
            Direction::Inbound,
            Access::Deny,
            Protocol::Any,
            "*",
            "*",
        );
        let mut rules = lockdown();
        rules.retain(|r| r.name != "allow-aml-in");
        rules.push(deny_in.clone());
        assert_eq!(ids(&check(rules.clone(), true)), ["AMLS151"]);
        assert_eq!(ids(&check(rules, false)), Vec::<&str>::new());
        // An IP-range allow ahead of the deny: perhaps Azure ML's addresses.
        let ranges = vec![
            rule(
                "allow-range",
                150,
                Direction::Inbound,
                Access::Allow,
                Protocol::Tcp,
                "20.50.0.0/16",
                "44224",
            ),
            deny_in,
        ];
        let findings = check(ranges, true);
        assert_eq!(ids(&findings), ["AMLS152"]);
        assert_says(
            &findings[0].message,
            "rule 'allow-range' (priority 150) allows TCP 44224 from AzureMachineLearning only perhaps, and whether the service's addresses are in 20.50.0.0/16 cannot be checked offline",
        );
    }

    #[test]
    fn uncertain_outbound_is_a_warning_and_situational_is_one_finding() {
        let rules = vec![
            allow_out(100, "20.0.0.0/8", Protocol::Any, "*"),
            deny_out("deny-all-out", 200, "*"),
        ];
        let findings = check(rules, false);
        assert_eq!(ids(&findings), ["AMLS154", "AMLS155"]);
        assert_says(
            &findings[0].message,
            "TCP 80 and 443 to AzureActiveDirectory",
        );
        assert_says(&findings[1].message, "only perhaps");
        // Situational: both blocked and uncertain traffic in the one warning.
        let rules = vec![
            allow_out(100, "20.0.0.0/8", Protocol::Tcp, "445"),
            deny_out("deny-all-out", 200, "*"),
        ];
        let findings = check(rules, false);
        assert_eq!(ids(&findings), ["AMLS153", "AMLS155"]);
        assert!(
            findings[1].message.contains("only perhaps")
                && findings[1]
                    .message
                    .contains("denies TCP 443 to AzureMonitor"),
            "{}",
            findings[1].message
        );
    }
}
