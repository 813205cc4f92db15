//! Network security groups, evaluated the way Azure evaluates them, and the NSG rules of the seed
//! guidance (REFERENCE §10 rules 12, 15 and 22; rule shapes in §7.3).
//!
//! # Evaluation model
//!
//! [`evaluate`] asks whether an NSG lets one kind of [`Traffic`] through: one protocol, a range
//! of destination ports, between a public Azure service (a service tag, the *remote* end) and
//! the compute subnet (the *local* end). As in Azure, the rules of the traffic's direction are
//! taken in priority order, Azure's [`default_rules`] last, and the first rule matching a packet
//! decides it. Every port of the range must be allowed, so the outcome is worked out per port
//! range ([`decide`]): allowing 29876 and then denying everything leaves 29877 denied.
//!
//! A rule matches in each dimension fully, not at all, or *perhaps*:
//!
//! * remote end: `*` and the traffic's own service tag (with or without a region suffix; a tag
//!   for another region does not match) match fully, and so do the supersets `Internet` and
//!   `AzureCloud` (Azure's public addresses); `VirtualNetwork`, `AzureLoadBalancer` and other
//!   tags do not match. A regional tag against traffic from a global tag (`AzureMachineLearning`)
//!   covers only part of it. An IP range cannot be compared with a service tag offline, since the
//!   tag's ranges are published separately, so it matches *perhaps* — unless it lies wholly in
//!   private or reserved space, where no public service lives, or is `0.0.0.0/0`. IPv6 ranges
//!   never match: compute subnets here are IPv4.
//! * local end: `*`, `VirtualNetwork` and ranges containing the subnet match fully; ranges
//!   covering part of the subnet (or any range when the subnet is unknown) match *perhaps*,
//!   because which addresses the nodes get is not known in advance.
//! * source ports: the services' source ports are not documented, so only rules covering every
//!   source port match fully; others match *perhaps*.
//! * protocol: `*` or the traffic's protocol.
//!
//! A *perhaps* rule does not stop the evaluation: the later rules decide what it would leave,
//! and if they agree with it the outcome is certain (an IP-range Allow followed by a tag Allow
//! is allowed either way); otherwise the outcome is [`Outcome::Uncertain`], naming the
//! *perhaps* rule, and the checks warn instead of failing or passing silently.
//!
//! Not modelled: application security groups (rules using them have no prefixes and so match
//! nothing), and Azure widening `VirtualNetwork` with the prefixes of the subnet's user-defined
//! routes (with forced tunnelling, `AllowVnetInBound` may then admit public traffic).
//!
//! # Rules
//!
//! A subnet without an NSG gets no finding: Azure Batch puts its own NSGs on the nodes' network
//! interfaces, and the seed says subnet NSGs are optional ("Required ports").

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

use crate::rules::addresses::{self, Ipv4Net};

use super::compute::same_location;
use super::{Applies, Finding, Rule, Severity, join_and, sources};

const REQUIRED_PORTS: &str = "Required ports";
const LIMIT_OUTBOUND: &str = "Limit outbound connectivity from the virtual network";
const AKS_SECTION: &str = "Use Azure Kubernetes Service (AKS)";
const VM_SECTION: &str = "Use a virtual machine or HDInsight cluster";

/// REFERENCE §10 rule 12; the seed: "The subnet must allow inbound communication from the Batch
/// service", TCP 29876 and 29877 from `BatchNodeManagement`.
pub static BATCH_INBOUND_BLOCKED: Rule = Rule {
    id: "AMLS111",
    title: "Subnet network security group blocks inbound TCP 29876-29877 from BatchNodeManagement",
    seed_section: REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// [`BATCH_INBOUND_BLOCKED`] when an IP-range rule, or another rule that may cover only part of
/// the traffic, decides it ([`Outcome::Uncertain`]).
pub static BATCH_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS112",
    title: "Whether the subnet network security group allows inbound TCP 29876-29877 from BatchNodeManagement cannot be checked offline",
    seed_section: REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 12: a locked-down NSG must still let the nodes reach `Storage.<region>`,
/// `AzureContainerRegistry.<region>` and `AzureMachineLearning`. Checked on TCP 443, the port
/// all three serve on, whether or not `Internet` is denied: an explicit deny of one of them
/// breaks the compute just the same.
pub static OUTBOUND_SERVICE_BLOCKED: Rule = Rule {
    id: "AMLS113",
    title: "Subnet network security group blocks outbound TCP 443 to Azure Storage, Container Registry or Machine Learning",
    seed_section: LIMIT_OUTBOUND,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// [`OUTBOUND_SERVICE_BLOCKED`] when the deciding rule may cover only part of the traffic.
pub static OUTBOUND_SERVICE_UNCERTAIN: Rule = Rule {
    id: "AMLS114",
    title: "Whether the subnet network security group allows outbound TCP 443 to Azure Storage, Container Registry or Machine Learning cannot be checked offline",
    seed_section: LIMIT_OUTBOUND,
    applies: Applies::Seed,
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 12; the seed lists "Outbound traffic on any port to the virtual
/// network" among the required ports. Checked for TCP and UDP on every port, to the virtual
/// network's address space.
pub static VNET_OUTBOUND_BLOCKED: Rule = Rule {
    id: "AMLS115",
    title: "Subnet network security group blocks outbound traffic from the compute nodes to the virtual network",
    seed_section: REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// [`VNET_OUTBOUND_BLOCKED`] when the deciding rule names only part of the virtual network.
pub static VNET_OUTBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS116",
    title: "Subnet network security group may block outbound traffic from the compute nodes to part of the virtual network",
    seed_section: REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Warning,
};

/// The seed: "(Optional) Inbound TCP traffic on port 22 to permit remote access. Use this
/// port only if you want to connect by using SSH on the public IP." A cluster with
/// `ssh_public_access_enabled` must get that traffic through the subnet NSG, from the
/// configured `ssh_source_addresses` (any public address when none are).
pub static SSH_PUBLIC_BLOCKED: Rule = Rule {
    id: "AMLS117",
    title: "Compute cluster opens SSH, but the subnet network security group blocks inbound TCP 22 from its sources",
    seed_section: REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// [`SSH_PUBLIC_BLOCKED`] when the deciding rule may cover only part of the sources.
pub static SSH_PUBLIC_UNCERTAIN: Rule = Rule {
    id: "AMLS118",
    title: "Whether the subnet network security group lets SSH in from the compute cluster's sources cannot be checked offline",
    seed_section: REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Warning,
};

/// The seed, for AKS: "Keep the default outbound rules for the NSG." Checked as what those
/// rules let through: the virtual network on any TCP or UDP port, and the Internet on TCP 443
/// (AKS's API server, registries and Azure ML); a warning, since the seed gives advice here.
pub static AKS_OUTBOUND_CHANGED: Rule = Rule {
    id: "AMLS223",
    title: "AKS subnet network security group denies outbound traffic that the default outbound rules allow",
    seed_section: AKS_SECTION,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 22; the seed: "Make sure that the NSG group that controls the virtual
/// network has an inbound security rule enabled for the scoring endpoint so that it can be
/// called from outside the virtual network." Checked for the configured
/// `scoring_source_addresses`, on 443 with SSL and 80 without.
pub static SCORING_INBOUND_BLOCKED: Rule = Rule {
    id: "AMLS224",
    title: "AKS subnet network security group blocks the scoring endpoint's port from the configured clients",
    seed_section: AKS_SECTION,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Error,
};

/// [`SCORING_INBOUND_BLOCKED`] when the deciding rule may cover only part of the clients.
pub static SCORING_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS225",
    title: "Whether the AKS subnet network security group lets the configured clients reach the scoring endpoint cannot be checked offline",
    seed_section: AKS_SECTION,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 15; the seed, for virtual machines and HDInsight clusters: "Keep the
/// default outbound rules for the network security group", or limit them as "Limit
/// outbound connectivity" says. Checked as the virtual network on any TCP or UDP port, and
/// Storage, Container Registry and Machine Learning on TCP 443.
pub static ATTACHED_OUTBOUND_CHANGED: Rule = Rule {
    id: "AMLS303",
    title: "Network security group denies outbound traffic the attached virtual machine or HDInsight cluster needs",
    seed_section: VM_SECTION,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 22; the seed: the NSG "has an inbound rule that's enabled for the Azure
/// Machine Learning service by using AzureMachineLearning as the SOURCE". The seed names no
/// port, so the rule holds when at least one TCP port from `AzureMachineLearning` to the
/// subnet is allowed before a deny.
pub static AKS_INBOUND_BLOCKED: Rule = Rule {
    id: "AMLS221",
    title: "AKS subnet network security group allows no inbound TCP from AzureMachineLearning",
    seed_section: AKS_SECTION,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Error,
};

/// [`AKS_INBOUND_BLOCKED`] when only rules that may cover part of the traffic allow it.
pub static AKS_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS222",
    title: "Whether the AKS subnet network security group allows inbound TCP from AzureMachineLearning cannot be checked offline",
    seed_section: AKS_SECTION,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 15; the seed: allow the SSH port (usually 22) from service tag
/// `AzureMachineLearning` to the virtual machine or HDInsight cluster.
pub static SSH_INBOUND_BLOCKED: Rule = Rule {
    id: "AMLS301",
    title: "Network security group blocks the SSH port from AzureMachineLearning to the virtual machine or HDInsight cluster",
    seed_section: VM_SECTION,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// [`SSH_INBOUND_BLOCKED`] when the deciding rule may cover only part of the traffic.
pub static SSH_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS302",
    title: "Whether the network security group allows the SSH port from AzureMachineLearning cannot be checked offline",
    seed_section: VM_SECTION,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// The inbound ports Azure Batch manages compute nodes on (REFERENCE §10 rule 12).
pub const BATCH_PORTS: PortRange = PortRange {
    first: 29876,
    last: 29877,
};

/// The port the outbound services are checked on, and scoring with SSL is called on.
pub const HTTPS_PORT: u16 = 443;
/// The port scoring without SSL is called on.
pub const HTTP_PORT: u16 = 80;
/// The port the nodes of a compute cluster open for SSH on their public addresses.
pub const SSH_PORT: u16 = 22;

/// Lowest priority Azure accepts for an NSG's own rules (REFERENCE §10 rule 23).
pub const MIN_PRIORITY: u32 = 100;
/// Highest priority Azure accepts for an NSG's own rules (REFERENCE §10 rule 23).
pub const MAX_PRIORITY: u32 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Allow,
    Deny,
}

/// A rule's protocol; `Any` is ARM's `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    Esp,
    Ah,
    Any,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
            Self::Icmp => "ICMP",
            Self::Esp => "ESP",
            Self::Ah => "AH",
            Self::Any => "any protocol",
        })
    }
}

/// One security rule, with ARM's singular and plural fields merged into the lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityRule {
    pub name: String,
    pub priority: u32,
    pub direction: Direction,
    pub access: Access,
    pub protocol: Protocol,
    /// `*`, an IPv4 or IPv6 address or CIDR, or a service tag such as `Internet`,
    /// `VirtualNetwork` or `Storage.EastUS` (tags compare case-insensitively).
    pub source_prefixes: Vec<String>,
    /// `*`, `N` or `N-M`; entries that are none of these (Azure rejects them) are ignored.
    pub source_ports: Vec<String>,
    pub destination_prefixes: Vec<String>,
    pub destination_ports: Vec<String>,
}

/// A network security group: its name, for messages, and its own rules (not the default ones,
/// which [`evaluate`] adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSecurityGroup {
    pub name: String,
    pub security_rules: Vec<SecurityRule>,
}

/// Azure's default rules, which every NSG evaluates after its own (REFERENCE §7.3, as in the
/// spec example `NetworkSecurityGroupGet.json`).
pub fn default_rules() -> Vec<SecurityRule> {
    use Access::{Allow, Deny};
    use Direction::{Inbound, Outbound};
    let rule =
        |name: &str, priority, direction, access, source: &str, destination: &str| SecurityRule {
            name: name.to_owned(),
            priority,
            direction,
            access,
            protocol: Protocol::Any,
            source_prefixes: vec![source.to_owned()],
            source_ports: vec!["*".to_owned()],
            destination_prefixes: vec![destination.to_owned()],
            destination_ports: vec!["*".to_owned()],
        };
    vec![
        rule(
            "AllowVnetInBound",
            65000,
            Inbound,
            Allow,
            "VirtualNetwork",
            "VirtualNetwork",
        ),
        rule(
            "AllowAzureLoadBalancerInBound",
            65001,
            Inbound,
            Allow,
            "AzureLoadBalancer",
            "*",
        ),
        rule("DenyAllInBound", 65500, Inbound, Deny, "*", "*"),
        rule(
            "AllowVnetOutBound",
            65000,
            Outbound,
            Allow,
            "VirtualNetwork",
            "VirtualNetwork",
        ),
        rule(
            "AllowInternetOutBound",
            65001,
            Outbound,
            Allow,
            "*",
            "Internet",
        ),
        rule("DenyAllOutBound", 65500, Outbound, Deny, "*", "*"),
    ]
}

/// An inclusive range of ports, `first <= last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    /// Every port, ARM's `*`.
    pub const ALL: Self = Self {
        first: 0,
        last: u16::MAX,
    };

    pub const fn single(port: u16) -> Self {
        Self {
            first: port,
            last: port,
        }
    }

    /// Parses ARM's `*`, `N` or `N-M` (decimal, 0-65535, `N <= M`).
    pub fn parse(text: &str) -> Option<Self> {
        if text == "*" {
            return Some(Self::ALL);
        }
        let (first, last) = text.split_once('-').unwrap_or((text, text));
        let (first, last) = (parse_port(first)?, parse_port(last)?);
        (first <= last).then_some(Self { first, last })
    }

    fn contains(self, port: u32) -> bool {
        u32::from(self.first) <= port && port <= u32::from(self.last)
    }
}

fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `29876`, or `29876-29877`.
impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// A service tag, optionally regional: `BatchNodeManagement`, `Storage.WestEurope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTag {
    pub name: String,
    pub region: Option<String>,
}

impl ServiceTag {
    pub fn new(name: &str, region: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            region: region.map(str::to_owned),
        }
    }

    /// Splits `Storage.EastUS` at the first dot; no dot means a global tag.
    pub fn parse(text: &str) -> Self {
        match text.split_once('.') {
            Some((name, region)) => Self::new(name, Some(region)),
            None => Self::new(text, None),
        }
    }

    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

impl fmt::Display for ServiceTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.region {
            Some(region) => f.write_str(&super::regions::regional_tag(&self.name, region)),
            None => f.write_str(&self.name),
        }
    }
}

/// Traffic between a remote end and the subnet. Inbound traffic comes from `remote` to the
/// subnet; outbound traffic goes from the subnet to `remote`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    pub direction: Direction,
    /// A concrete protocol, normally [`Protocol::Tcp`].
    pub protocol: Protocol,
    /// Destination ports; every one must be allowed.
    pub ports: PortRange,
    pub remote: Remote,
    /// The local end: the subnet's address prefixes; empty when unknown.
    pub subnet: Vec<Ipv4Net>,
    /// Inbound traffic that may arrive addressed to a public load balancer in front of the
    /// subnet (AKS scoring): rules naming public destination ranges may then match it.
    pub public_frontend: bool,
}

impl Traffic {
    /// TCP traffic between the subnet and a public Azure service, every port of `ports`.
    pub fn service(
        direction: Direction,
        ports: PortRange,
        tag: ServiceTag,
        subnet: &[Ipv4Net],
    ) -> Traffic {
        Traffic {
            direction,
            protocol: Protocol::Tcp,
            ports,
            remote: Remote::Service(tag),
            subnet: subnet.to_vec(),
            public_frontend: false,
        }
    }
}

/// The far end of some traffic, seen from the subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// A public Azure service, by its service tag. `VirtualNetwork` and `AzureLoadBalancer`
    /// are not services: use [`Remote::VirtualNetwork`].
    Service(ServiceTag),
    /// The subnet's own virtual network: its address space (empty when unknown), which rules
    /// name as the `VirtualNetwork` tag or as address ranges.
    VirtualNetwork(Vec<Ipv4Net>),
    /// Clients outside the virtual network: people connecting over SSH, callers of a scoring
    /// endpoint.
    Clients(Clients),
}

/// Where clients connect from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clients {
    /// Any public address (the sources were not configured).
    AnyPublic,
    /// These IPv4 ranges.
    Ranges(Vec<Ipv4Net>),
}

/// `BatchNodeManagement.westeurope`, `VirtualNetwork (10.0.0.0/16)`, `203.0.113.0/24`,
/// `any public address`.
impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(tag) => write!(f, "{tag}"),
            Self::VirtualNetwork(space) if space.is_empty() => f.write_str("VirtualNetwork"),
            Self::VirtualNetwork(space) => write!(f, "VirtualNetwork ({})", join_and(space)),
            Self::Clients(Clients::AnyPublic) => f.write_str("any public address"),
            Self::Clients(Clients::Ranges(ranges)) => f.write_str(&join_and(ranges)),
        }
    }
}

/// Reads configured client sources: IPv4 addresses and CIDR ranges, or one service tag
/// (like `Internet` or `AzureCloud`); `*` and `0.0.0.0/0` mean any public address. The
/// error says what is wrong with which entry.
pub fn client_sources(entries: &[String]) -> Result<Remote, String> {
    if entries.is_empty() {
        return Err("list at least one address, CIDR range or service tag".to_owned());
    }
    let mut ranges = Vec::new();
    let mut tags = Vec::new();
    for entry in entries {
        match classify(entry.trim()) {
            Prefix::Any => return Ok(Remote::Clients(Clients::AnyPublic)),
            Prefix::V4(net) => ranges.push(net),
            Prefix::V6 => {
                return Err(format!(
                    "{entry:?} is an IPv6 range; the compute subnets checked here are IPv4, so list IPv4 addresses or ranges"
                ));
            }
            Prefix::Tag(tag, text) => {
                let valid = text.starts_with(|c: char| c.is_ascii_alphabetic())
                    && text
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
                if !valid {
                    return Err(format!(
                        "{entry:?} is neither an IPv4 address, a CIDR range like 203.0.113.0/24, nor a service tag like Internet"
                    ));
                }
                tags.push(tag);
            }
        }
    }
    match (tags.as_slice(), ranges.is_empty()) {
        ([], _) => Ok(Remote::Clients(Clients::Ranges(ranges))),
        ([tag], true) => Ok(Remote::Service(tag.clone())),
        _ => Err(format!(
            "{} mixes service tags and addresses, or names several tags; Azure takes one service tag, or addresses and ranges, per rule",
            join_and(entries)
        )),
    }
}

/// The rule that decided some traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub name: String,
    pub priority: u32,
    pub access: Access,
    /// One of Azure's [`default_rules`].
    pub default: bool,
}

/// `rule 'deny-all-in' (priority 200)`, or `default rule 'DenyAllInBound' (priority 65500)`.
impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.default { "default rule" } else { "rule" };
        write!(f, "{kind} '{}' (priority {})", self.name, self.priority)
    }
}

/// Why a rule may cover only part of the traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uncertainty {
    /// The rule names IP ranges for the service's end; the tag's ranges are not known offline.
    AddressRanges { prefixes: Vec<String> },
    /// The rule names a regional tag; the traffic comes from (or goes to) the global tag.
    RegionalTag { tag: String },
    /// The rule's ranges cover only part of the subnet.
    PartOfSubnet {
        prefixes: Vec<String>,
        subnet: Vec<Ipv4Net>,
    },
    /// The rule names IP ranges for the subnet's end, and the subnet's range is unknown.
    SubnetUnknown { prefixes: Vec<String> },
    /// The rule covers only some source ports; the service's source ports are not documented.
    SourcePorts { ports: Vec<String> },
    /// The rule covers one protocol of traffic of any protocol.
    Protocol { protocol: Protocol },
    /// The rule's ranges cover only part of the remote end (the virtual network's address
    /// space, or the clients' ranges).
    PartOfRemote { prefixes: Vec<String> },
    /// The rule names a service tag, and whether the clients' addresses are among the tag's
    /// is not known offline.
    ClientsInTag { tag: String },
    /// The rule names public destination ranges, which may or may not be the load balancer
    /// in front of the subnet.
    Frontend { prefixes: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
    /// The deciding rule may cover only part of the traffic, and the later rules would decide
    /// the rest the other way.
    Uncertain(Uncertainty),
}

/// How a range of the traffic's ports fares, and which rule decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub ports: PortRange,
    pub outcome: Outcome,
    pub rule: RuleRef,
}

/// The worst outcome over the traffic's ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every port is allowed.
    Allowed,
    /// Some ports are denied; these decisions name them and the denying rules.
    Denied { denials: Vec<Decision> },
    /// No port is denied for certain, but these are decided by rules that may cover only part
    /// of the traffic.
    Uncertain { uncertain: Vec<Decision> },
}

/// Whether `rules` (an NSG's own rules, any order) let `traffic` through, Azure's default rules
/// included. Denials win over uncertainty.
pub fn evaluate(rules: &[SecurityRule], traffic: &Traffic) -> Verdict {
    let decisions = decide(rules, traffic);
    let of = |wanted: fn(&Outcome) -> bool| -> Vec<Decision> {
        decisions
            .iter()
            .filter(|d| wanted(&d.outcome))
            .cloned()
            .collect()
    };
    let denials = of(|o| *o == Outcome::Denied);
    if !denials.is_empty() {
        return Verdict::Denied { denials };
    }
    let uncertain = of(|o| matches!(o, Outcome::Uncertain(_)));
    if uncertain.is_empty() {
        Verdict::Allowed
    } else {
        Verdict::Uncertain { uncertain }
    }
}

/// The outcome for every port of `traffic`, as consecutive port ranges in ascending order,
/// adjacent ranges with the same outcome and rule merged.
pub fn decide(rules: &[SecurityRule], traffic: &Traffic) -> Vec<Decision> {
    let defaults = default_rules();
    let mut candidates: Vec<Candidate<'_>> = (rules.iter().map(|r| (r, false)))
        .chain(defaults.iter().map(|r| (r, true)))
        .filter(|(rule, _)| rule.direction == traffic.direction)
        .map(|(rule, default)| Candidate::new(rule, default, traffic))
        .collect();
    // Stable: the defaults come after any custom rule with the same (invalid) priority.
    candidates.sort_by_key(|c| c.rule.priority);

    let mut decisions: Vec<Decision> = Vec::new();
    for (first, last) in segments(traffic.ports, &candidates) {
        let decision = decide_segment(&candidates, first, last);
        match decisions.last_mut() {
            Some(prev) if prev.outcome == decision.outcome && prev.rule == decision.rule => {
                prev.ports.last = decision.ports.last;
            }
            _ => decisions.push(decision),
        }
    }
    decisions
}

/// A rule prepared for one traffic: its destination ports and how well it matches the rest.
struct Candidate<'a> {
    rule: &'a SecurityRule,
    default: bool,
    ports: Vec<PortRange>,
    matched: Match,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Match {
    Full,
    Perhaps(Uncertainty),
    No,
}

impl<'a> Candidate<'a> {
    fn new(rule: &'a SecurityRule, default: bool, traffic: &Traffic) -> Self {
        let (remote, local) = match traffic.direction {
            Direction::Inbound => (&rule.source_prefixes, &rule.destination_prefixes),
            Direction::Outbound => (&rule.destination_prefixes, &rule.source_prefixes),
        };
        let dimensions = [
            match_protocol(rule.protocol, traffic.protocol),
            match_remote(remote, &traffic.remote),
            match_local(local, traffic),
            match_source_ports(&rule.source_ports),
        ];
        let matched = if dimensions.contains(&Match::No) {
            Match::No
        } else {
            (dimensions.into_iter())
                .find(|m| matches!(m, Match::Perhaps(_)))
                .unwrap_or(Match::Full)
        };
        Self {
            rule,
            default,
            ports: port_ranges(&rule.destination_ports),
            matched,
        }
    }

    fn covers(&self, port: u32) -> bool {
        self.ports.iter().any(|r| r.contains(port))
    }

    fn rule_ref(&self) -> RuleRef {
        RuleRef {
            name: self.rule.name.clone(),
            priority: self.rule.priority,
            access: self.rule.access,
            default: self.default,
        }
    }
}

fn port_ranges(texts: &[String]) -> Vec<PortRange> {
    texts.iter().filter_map(|t| PortRange::parse(t)).collect()
}

/// Splits `range` where any candidate's port ranges start or end, so each piece is either
/// wholly inside or wholly outside every candidate's ports. Inclusive bounds.
fn segments(range: PortRange, candidates: &[Candidate<'_>]) -> Vec<(u32, u32)> {
    let (start, end) = (u32::from(range.first), u32::from(range.last) + 1);
    let mut cuts = vec![start, end];
    for r in candidates.iter().flat_map(|c| &c.ports) {
        for cut in [u32::from(r.first), u32::from(r.last) + 1] {
            if start < cut && cut < end {
                cuts.push(cut);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2).map(|w| (w[0], w[1] - 1)).collect()
}

fn decide_segment(candidates: &[Candidate<'_>], first: u32, last: u32) -> Decision {
    let ports = PortRange {
        first: u16::try_from(first).unwrap_or(u16::MAX),
        last: u16::try_from(last).unwrap_or(u16::MAX),
    };
    let mut perhaps: Vec<(&Candidate<'_>, &Uncertainty)> = Vec::new();
    for candidate in candidates.iter().filter(|c| c.covers(first)) {
        match &candidate.matched {
            Match::No => {}
            Match::Perhaps(why) => perhaps.push((candidate, why)),
            Match::Full => {
                let access = candidate.rule.access;
                // The traffic a *perhaps* rule catches gets its access; the rest gets this
                // rule's. Certain only if they all agree.
                if let Some((other, why)) = perhaps.iter().find(|(c, _)| c.rule.access != access) {
                    return Decision {
                        ports,
                        outcome: Outcome::Uncertain((*why).clone()),
                        rule: other.rule_ref(),
                    };
                }
                return Decision {
                    ports,
                    outcome: match access {
                        Access::Allow => Outcome::Allowed,
                        Access::Deny => Outcome::Denied,
                    },
                    rule: candidate.rule_ref(),
                };
            }
        }
    }
    unreachable!("the default DenyAll rules match every packet of either direction")
}

fn match_protocol(rule: Protocol, traffic: Protocol) -> Match {
    match (rule, traffic) {
        (Protocol::Any, _) => Match::Full,
        (rule, traffic) if rule == traffic => Match::Full,
        (protocol, Protocol::Any) => Match::Perhaps(Uncertainty::Protocol { protocol }),
        _ => Match::No,
    }
}

fn match_source_ports(texts: &[String]) -> Match {
    let ranges = port_ranges(texts);
    if ranges.is_empty() {
        Match::No
    } else if covers_all_ports(&ranges) {
        Match::Full
    } else {
        Match::Perhaps(Uncertainty::SourcePorts {
            ports: texts.to_vec(),
        })
    }
}

fn covers_all_ports(ranges: &[PortRange]) -> bool {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut next = 0u32;
    for r in sorted {
        if u32::from(r.first) > next {
            return false;
        }
        next = next.max(u32::from(r.last) + 1);
    }
    next > u32::from(u16::MAX)
}

/// An address prefix of a rule, classified.
enum Prefix<'a> {
    Any,
    V4(Ipv4Net),
    V6,
    Tag(ServiceTag, &'a str),
}

fn classify(text: &str) -> Prefix<'_> {
    if text == "*" {
        return Prefix::Any;
    }
    let ip = (text.parse::<IpNet>().ok()).or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from));
    match ip {
        Some(IpNet::V4(net)) if net.prefix_len() == 0 => Prefix::Any,
        Some(IpNet::V4(net)) => Prefix::V4(net.trunc()),
        Some(IpNet::V6(_)) => Prefix::V6,
        None => Prefix::Tag(ServiceTag::parse(text), text),
    }
}

/// Ranges that hold no public Azure service addresses: RFC 1918, shared (100.64.0.0/10),
/// loopback, link-local, multicast and reserved.
const NON_PUBLIC_RANGES: [Ipv4Net; 8] = [
    addresses::PRIVATE_RANGES[0],
    addresses::PRIVATE_RANGES[1],
    addresses::PRIVATE_RANGES[2],
    Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 10),
    Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8),
    Ipv4Net::new_assert(Ipv4Addr::new(169, 254, 0, 0), 16),
    Ipv4Net::new_assert(Ipv4Addr::new(224, 0, 0, 0), 4),
    Ipv4Net::new_assert(Ipv4Addr::new(240, 0, 0, 0), 4),
];

/// Tags whose addresses include every public Azure service's.
const PUBLIC_SUPERSET_TAGS: [&str; 2] = ["Internet", "AzureCloud"];

fn match_remote(prefixes: &[String], remote: &Remote) -> Match {
    match remote {
        Remote::Service(service) => match_service(prefixes, service),
        Remote::VirtualNetwork(space) => match_virtual_network(prefixes, space),
        Remote::Clients(clients) => match_clients(prefixes, clients),
    }
}

fn match_service(prefixes: &[String], service: &ServiceTag) -> Match {
    let mut ranges = Vec::new();
    let mut regional = None;
    for text in prefixes {
        match classify(text) {
            Prefix::Any => return Match::Full,
            Prefix::V4(net) => {
                if !NON_PUBLIC_RANGES.iter().any(|r| r.contains(&net)) {
                    ranges.push(text.clone());
                }
            }
            Prefix::V6 => {}
            Prefix::Tag(tag, text) => {
                let same = tag.is(&service.name);
                let superset = PUBLIC_SUPERSET_TAGS.iter().any(|s| tag.is(s));
                if !same && !superset {
                    continue;
                }
                match (&tag.region, &service.region) {
                    (None, _) => return Match::Full,
                    (Some(rule), Some(traffic)) if same_location(rule, traffic) => {
                        return Match::Full;
                    }
                    (Some(_), None) => {
                        regional.get_or_insert_with(|| text.to_owned());
                    }
                    (Some(_), Some(_)) => {}
                }
            }
        }
    }
    if !ranges.is_empty() {
        Match::Perhaps(Uncertainty::AddressRanges { prefixes: ranges })
    } else if let Some(tag) = regional {
        Match::Perhaps(Uncertainty::RegionalTag { tag })
    } else {
        Match::No
    }
}

/// `*` and `VirtualNetwork` match the whole virtual network; an IP range its part.
fn match_virtual_network(prefixes: &[String], space: &[Ipv4Net]) -> Match {
    let mut nets = Vec::new();
    let mut texts = Vec::new();
    for text in prefixes {
        match classify(text) {
            Prefix::Any => return Match::Full,
            Prefix::Tag(tag, _) if tag.is("VirtualNetwork") && tag.region.is_none() => {
                return Match::Full;
            }
            // Internet, AzureCloud and service tags are public addresses, outside it.
            Prefix::Tag(..) | Prefix::V6 => {}
            Prefix::V4(net) => {
                if space.is_empty() || space.iter().any(|&s| addresses::overlaps(s, net)) {
                    nets.push(net);
                    texts.push(text.clone());
                }
            }
        }
    }
    if nets.is_empty() {
        Match::No
    } else if !space.is_empty() && space.iter().all(|&s| union_covers(&nets, s)) {
        Match::Full
    } else {
        Match::Perhaps(Uncertainty::PartOfRemote { prefixes: texts })
    }
}

fn is_public(net: Ipv4Net) -> bool {
    !NON_PUBLIC_RANGES.iter().any(|r| r.contains(&net))
}

/// Ranges match the clients they cover; `Internet` matches public clients; `VirtualNetwork`
/// perhaps private ones (on-premises networks joined through a gateway are part of it);
/// `AzureCloud` perhaps public ones (clients may run in Azure). Other service tags name an
/// Azure service's own addresses, not the clients, and never match them; nor does
/// `AzureLoadBalancer` (the platform's health probe).
fn match_clients(prefixes: &[String], clients: &Clients) -> Match {
    let whole = [Ipv4Net::new_assert(Ipv4Addr::UNSPECIFIED, 0)];
    let (targets, any_public): (&[Ipv4Net], bool) = match clients {
        Clients::AnyPublic => (&whole, true),
        Clients::Ranges(ranges) => (ranges, false),
    };
    let public = any_public || targets.iter().any(|&c| is_public(c));
    let private = !any_public && targets.iter().any(|&c| !is_public(c));
    let mut nets = Vec::new();
    let mut texts = Vec::new();
    let mut tag_perhaps = None;
    for text in prefixes {
        match classify(text) {
            Prefix::Any => return Match::Full,
            Prefix::V6 => {}
            Prefix::V4(net) => {
                let reaches = if any_public {
                    is_public(net)
                } else {
                    targets.iter().any(|&c| addresses::overlaps(c, net))
                };
                if reaches {
                    nets.push(net);
                    texts.push(text.clone());
                }
            }
            Prefix::Tag(tag, text) => {
                let perhaps = if tag.region.is_none() && tag.is("Internet") {
                    if !private {
                        return Match::Full;
                    }
                    public
                } else if tag.region.is_none() && tag.is("VirtualNetwork") {
                    private
                } else if tag.is("AzureCloud") {
                    public
                } else {
                    false
                };
                if perhaps {
                    tag_perhaps.get_or_insert_with(|| text.to_owned());
                }
            }
        }
    }
    if !nets.is_empty() && targets.iter().all(|&c| union_covers(&nets, c)) {
        Match::Full
    } else if !nets.is_empty() {
        Match::Perhaps(Uncertainty::PartOfRemote { prefixes: texts })
    } else if let Some(tag) = tag_perhaps {
        Match::Perhaps(Uncertainty::ClientsInTag { tag })
    } else {
        Match::No
    }
}

fn match_local(prefixes: &[String], traffic: &Traffic) -> Match {
    let subnet = &traffic.subnet;
    let mut nets = Vec::new();
    let mut texts = Vec::new();
    let mut frontends = Vec::new();
    for text in prefixes {
        match classify(text) {
            Prefix::Any => return Match::Full,
            Prefix::Tag(tag, _) if tag.is("VirtualNetwork") && tag.region.is_none() => {
                return Match::Full;
            }
            Prefix::Tag(..) | Prefix::V6 => {}
            Prefix::V4(net) => {
                if subnet.is_empty() || subnet.iter().any(|&s| addresses::overlaps(s, net)) {
                    nets.push(net);
                    texts.push(text.clone());
                } else if traffic.public_frontend && is_public(net) {
                    frontends.push(text.clone());
                }
            }
        }
    }
    if nets.is_empty() && !frontends.is_empty() {
        Match::Perhaps(Uncertainty::Frontend {
            prefixes: frontends,
        })
    } else if nets.is_empty() {
        Match::No
    } else if subnet.is_empty() {
        Match::Perhaps(Uncertainty::SubnetUnknown { prefixes: texts })
    } else if subnet.iter().all(|&s| union_covers(&nets, s)) {
        Match::Full
    } else {
        Match::Perhaps(Uncertainty::PartOfSubnet {
            prefixes: texts,
            subnet: subnet.to_vec(),
        })
    }
}

/// Whether the union of `nets` contains every address of `target`.
fn union_covers(nets: &[Ipv4Net], target: Ipv4Net) -> bool {
    let mut spans: Vec<(u64, u64)> = (nets.iter())
        .map(|n| {
            (
                u64::from(u32::from(n.network())),
                u64::from(u32::from(n.broadcast())),
            )
        })
        .collect();
    spans.sort_unstable();
    let mut next = u64::from(u32::from(target.network()));
    let end = u64::from(u32::from(target.broadcast()));
    for (first, last) in spans {
        if first > next {
            break;
        }
        next = next.max(last + 1);
    }
    next > end
}

// ---------------------------------------------------------------------------------------------
// Checks

/// Inbound Batch management and the outbound services for a compute cluster's subnet NSG
/// ([`BATCH_INBOUND_BLOCKED`] to [`OUTBOUND_SERVICE_UNCERTAIN`]). `subnet` is the subnet's
/// prefixes (empty when unknown), `region` the virtual network's location, e.g. `westeurope`.
/// No NSG, no finding. Findings come in id order.
pub fn check_compute_nsg(
    nsg: Option<&NetworkSecurityGroup>,
    subnet: &[Ipv4Net],
    region: &str,
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    let inbound = Requirement {
        blocked: &BATCH_INBOUND_BLOCKED,
        uncertain: &BATCH_INBOUND_UNCERTAIN,
        attribute: "subnet_id",
        traffic: Traffic::service(
            Direction::Inbound,
            BATCH_PORTS,
            ServiceTag::new("BatchNodeManagement", Some(region)),
            subnet,
        ),
        fix_remote: "service tag BatchNodeManagement".to_owned(),
        purpose: "Azure Batch uses these ports to schedule work on the compute nodes",
    };
    let mut findings = inbound.check_all_ports(nsg);
    for (name, regional) in [
        ("Storage", true),
        ("AzureContainerRegistry", true),
        ("AzureMachineLearning", false),
    ] {
        let service = ServiceTag::new(name, regional.then_some(region));
        let outbound = Requirement {
            blocked: &OUTBOUND_SERVICE_BLOCKED,
            uncertain: &OUTBOUND_SERVICE_UNCERTAIN,
            attribute: "subnet_id",
            fix_remote: format!("service tag {service}"),
            traffic: Traffic::service(
                Direction::Outbound,
                PortRange::single(HTTPS_PORT),
                service,
                subnet,
            ),
            purpose: "the compute nodes need this service even when outbound Internet access is denied",
        };
        findings.extend(outbound.check_all_ports(nsg));
    }
    findings.sort_by_key(|f| f.rule.id);
    findings
}

/// [`AKS_INBOUND_BLOCKED`] and [`AKS_INBOUND_UNCERTAIN`] for the NSG of an AKS cluster's
/// subnet: some TCP port from `AzureMachineLearning` must be allowed. No NSG, no finding.
pub fn check_aks_nsg(nsg: Option<&NetworkSecurityGroup>, subnet: &[Ipv4Net]) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    let requirement = Requirement {
        blocked: &AKS_INBOUND_BLOCKED,
        uncertain: &AKS_INBOUND_UNCERTAIN,
        attribute: "subnet_id",
        traffic: Traffic::service(
            Direction::Inbound,
            PortRange::ALL,
            ServiceTag::new("AzureMachineLearning", None),
            subnet,
        ),
        fix_remote: "service tag AzureMachineLearning".to_owned(),
        purpose: "Azure Machine Learning must reach the cluster to manage it",
    };
    requirement.check_some_port(nsg)
}

/// [`SSH_INBOUND_BLOCKED`] and [`SSH_INBOUND_UNCERTAIN`] for an NSG in front of a virtual
/// machine or HDInsight cluster attached over SSH: TCP `ssh_port` (22 by default) from
/// `AzureMachineLearning` to `addresses` (its subnet's prefixes, or the machine's address as a
/// /32; empty when unknown). Call once per NSG on the path (subnet and network interface).
pub fn check_attached_compute_nsg(
    nsg: Option<&NetworkSecurityGroup>,
    addresses: &[Ipv4Net],
    ssh_port: u16,
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    let requirement = Requirement {
        blocked: &SSH_INBOUND_BLOCKED,
        uncertain: &SSH_INBOUND_UNCERTAIN,
        attribute: "resource_id",
        traffic: Traffic::service(
            Direction::Inbound,
            PortRange::single(ssh_port),
            ServiceTag::new("AzureMachineLearning", None),
            addresses,
        ),
        fix_remote: "service tag AzureMachineLearning".to_owned(),
        purpose: "Azure Machine Learning connects to the machine over SSH",
    };
    requirement.check_all_ports(nsg)
}

/// [`VNET_OUTBOUND_BLOCKED`] and [`VNET_OUTBOUND_UNCERTAIN`] for a compute cluster's subnet
/// NSG: the nodes must reach their virtual network (`space`, its address space; empty when
/// unknown) on every TCP and UDP port. No NSG, no finding.
pub fn check_compute_vnet_outbound(
    nsg: Option<&NetworkSecurityGroup>,
    subnet: &[Ipv4Net],
    space: &[Ipv4Net],
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    vnet_outbound(
        (&VNET_OUTBOUND_BLOCKED, &VNET_OUTBOUND_UNCERTAIN),
        "subnet_id",
        subnet,
        space,
        "the nodes reach each other and the rest of the virtual network on any port, one of the required ports",
    )
    .check_protocols(nsg, &[Protocol::Tcp, Protocol::Udp])
}

fn vnet_outbound(
    (blocked, uncertain): (&'static Rule, &'static Rule),
    attribute: &'static str,
    subnet: &[Ipv4Net],
    space: &[Ipv4Net],
    purpose: &'static str,
) -> Requirement {
    Requirement {
        blocked,
        uncertain,
        attribute,
        traffic: Traffic {
            direction: Direction::Outbound,
            protocol: Protocol::Tcp,
            ports: PortRange::ALL,
            remote: Remote::VirtualNetwork(space.to_vec()),
            subnet: subnet.to_vec(),
            public_frontend: false,
        },
        fix_remote: "service tag VirtualNetwork".to_owned(),
        purpose,
    }
}

/// [`SSH_PUBLIC_BLOCKED`] and [`SSH_PUBLIC_UNCERTAIN`] for a compute cluster whose nodes
/// accept SSH on their public addresses: the subnet NSG must let TCP 22 in from `sources`
/// (see [`client_sources`]; any public address when none are configured). Findings point at
/// `attribute`. No NSG, no finding.
pub fn check_compute_ssh_inbound(
    nsg: Option<&NetworkSecurityGroup>,
    subnet: &[Ipv4Net],
    sources: &Remote,
    attribute: &'static str,
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    Requirement {
        blocked: &SSH_PUBLIC_BLOCKED,
        uncertain: &SSH_PUBLIC_UNCERTAIN,
        attribute,
        traffic: Traffic {
            direction: Direction::Inbound,
            protocol: Protocol::Tcp,
            ports: PortRange::single(SSH_PORT),
            remote: sources.clone(),
            subnet: subnet.to_vec(),
            public_frontend: false,
        },
        fix_remote: clients_fix(sources),
        purpose: "ssh_public_access_enabled opens SSH on the nodes' public addresses, and this network security group keeps it shut",
    }
    .check_all_ports(nsg)
    .into_iter()
    .map(|f| name_the_clients(f, sources, "ssh_source_addresses"))
    .collect()
}

/// How a fix names the clients: their ranges or their tag; unconfigured, where they come
/// from.
fn clients_fix(sources: &Remote) -> String {
    match sources {
        Remote::Service(tag) => format!("service tag {tag}"),
        Remote::Clients(Clients::AnyPublic) => "the addresses you connect from".to_owned(),
        other => other.to_string(),
    }
}

/// A finding about unconfigured clients also says to configure them, so the check can be
/// exact.
fn name_the_clients(finding: Finding, sources: &Remote, setting: &str) -> Finding {
    match sources {
        Remote::Clients(Clients::AnyPublic) => Finding {
            fix: format!(
                "{}, and list those addresses in {setting} so the plan checks exactly them",
                finding.fix
            ),
            ..finding
        },
        _ => finding,
    }
}

/// [`AKS_OUTBOUND_CHANGED`] for the NSG of an AKS cluster's subnet: the seed says to keep the
/// default outbound rules, so the cluster must still reach its virtual network (`space`) on
/// every TCP and UDP port and the Internet on TCP 443. Denials and uncertainty are both the
/// warning. No NSG, no finding.
pub fn check_aks_outbound(
    nsg: Option<&NetworkSecurityGroup>,
    subnet: &[Ipv4Net],
    space: &[Ipv4Net],
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    let rules = (&AKS_OUTBOUND_CHANGED, &AKS_OUTBOUND_CHANGED);
    let mut findings = vnet_outbound(
        rules,
        "subnet_id",
        subnet,
        space,
        "Azure's guidance says to keep the default outbound rules, which let the cluster reach the rest of the virtual network on any port",
    )
    .check_protocols(nsg, &[Protocol::Tcp, Protocol::Udp]);
    findings.extend(
        Requirement {
            blocked: rules.0,
            uncertain: rules.1,
            attribute: "subnet_id",
            traffic: Traffic::service(
                Direction::Outbound,
                PortRange::single(HTTPS_PORT),
                ServiceTag::new("Internet", None),
                subnet,
            ),
            fix_remote: "service tag Internet".to_owned(),
            purpose: "Azure's guidance says to keep the default outbound rules, which let the cluster reach the Internet, where AKS reaches its API server, container registries and Azure Machine Learning over HTTPS",
        }
        .check_all_ports(nsg),
    );
    findings
}

/// The port scoring clients call: 443 with SSL, 80 without.
pub fn scoring_port(ssl: bool) -> u16 {
    if ssl { HTTPS_PORT } else { HTTP_PORT }
}

/// [`SCORING_INBOUND_BLOCKED`] and [`SCORING_INBOUND_UNCERTAIN`] for the NSG of an AKS
/// cluster's subnet: clients at `sources` (see [`client_sources`]) must reach the scoring
/// endpoint on TCP `port` ([`scoring_port`]), whether the rules name the subnet or the
/// public load balancer in front of it. No NSG, no finding.
pub fn check_aks_scoring_inbound(
    nsg: Option<&NetworkSecurityGroup>,
    subnet: &[Ipv4Net],
    sources: &Remote,
    port: u16,
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    Requirement {
        blocked: &SCORING_INBOUND_BLOCKED,
        uncertain: &SCORING_INBOUND_UNCERTAIN,
        attribute: "scoring_source_addresses",
        traffic: Traffic {
            direction: Direction::Inbound,
            protocol: Protocol::Tcp,
            ports: PortRange::single(port),
            remote: sources.clone(),
            subnet: subnet.to_vec(),
            public_frontend: true,
        },
        fix_remote: clients_fix(sources),
        purpose: if port == HTTPS_PORT {
            "the clients call the scoring endpoint on port 443, since ssl is enabled"
        } else {
            "the clients call the scoring endpoint on port 80, since ssl is not enabled"
        },
    }
    .check_all_ports(nsg)
}

/// [`ATTACHED_OUTBOUND_CHANGED`] for an NSG in front of a virtual machine or HDInsight
/// cluster (at `addresses`, in a virtual network of address space `space` in `region`): the
/// seed says to keep the default outbound rules, or limit them as for compute clusters, so
/// the machine must still reach the virtual network on every TCP and UDP port and Storage,
/// Container Registry and Machine Learning on TCP 443. Call once per NSG in front of it.
pub fn check_attached_outbound(
    nsg: Option<&NetworkSecurityGroup>,
    addresses: &[Ipv4Net],
    space: &[Ipv4Net],
    region: &str,
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    let rules = (&ATTACHED_OUTBOUND_CHANGED, &ATTACHED_OUTBOUND_CHANGED);
    let mut findings = vnet_outbound(
        rules,
        "resource_id",
        addresses,
        space,
        "Azure's guidance says to keep the default outbound rules, which let the machine reach the rest of the virtual network on any port",
    )
    .check_protocols(nsg, &[Protocol::Tcp, Protocol::Udp]);
    for (name, regional) in [
        ("Storage", true),
        ("AzureContainerRegistry", true),
        ("AzureMachineLearning", false),
    ] {
        let service = ServiceTag::new(name, regional.then_some(region));
        findings.extend(
            Requirement {
                blocked: rules.0,
                uncertain: rules.1,
                attribute: "resource_id",
                fix_remote: format!("service tag {service}"),
                traffic: Traffic::service(
                    Direction::Outbound,
                    PortRange::single(HTTPS_PORT),
                    service,
                    addresses,
                ),
                purpose: "Azure's guidance says to keep the default outbound rules, or to limit them to Storage, Container Registry and Machine Learning, which the machine's jobs use",
            }
            .check_all_ports(nsg),
        );
    }
    findings
}

/// One traffic an NSG must let through, and how to report it.
#[derive(Clone)]
struct Requirement {
    blocked: &'static Rule,
    uncertain: &'static Rule,
    attribute: &'static str,
    traffic: Traffic,
    /// What the fix lets through, e.g. `service tag BatchNodeManagement` for regional
    /// traffic, or the clients' ranges.
    fix_remote: String,
    /// Why the traffic matters, completing the message.
    purpose: &'static str,
}

impl Requirement {
    /// Every port of the traffic must be allowed.
    fn check_all_ports(&self, nsg: &NetworkSecurityGroup) -> Vec<Finding> {
        self.check_protocols(nsg, &[self.traffic.protocol])
    }

    /// Every port of the traffic must be allowed in each of `protocols`; one finding tells
    /// of them all.
    fn check_protocols(&self, nsg: &NetworkSecurityGroup, protocols: &[Protocol]) -> Vec<Finding> {
        let (mut denied, mut denials) = (Vec::new(), Vec::new());
        let (mut unsure, mut uncertain) = (Vec::new(), Vec::new());
        for &protocol in protocols {
            let one = self.with_protocol(protocol);
            match evaluate(&nsg.security_rules, &one.traffic) {
                Verdict::Allowed => {}
                Verdict::Denied { denials: found } => {
                    denied.extend(one.denied_parts(&found));
                    denials.extend(found);
                }
                Verdict::Uncertain { uncertain: found } => {
                    for part in one.uncertain_parts(&found) {
                        if !unsure.contains(&part) {
                            unsure.push(part);
                        }
                    }
                    uncertain.extend(found);
                }
            }
        }
        let fixing = match protocols {
            [one] => self.with_protocol(*one),
            _ => self.with_protocol(Protocol::Any),
        };
        let finding = |rule, parts: String, decisions: &[Decision]| {
            Finding::new(
                rule,
                self.attribute,
                format!(
                    "in network security group '{}', {parts}; {}",
                    nsg.name, self.purpose
                ),
                fixing.allow_fix(decisions),
            )
        };
        if !denied.is_empty() {
            vec![finding(self.blocked, join_and(&denied), &denials)]
        } else if !unsure.is_empty() {
            vec![finding(self.uncertain, unsure.join("; "), &uncertain)]
        } else {
            Vec::new()
        }
    }

    fn with_protocol(&self, protocol: Protocol) -> Requirement {
        let mut one = self.clone();
        one.traffic.protocol = protocol;
        one
    }

    /// At least one port of the traffic must be allowed.
    fn check_some_port(&self, nsg: &NetworkSecurityGroup) -> Vec<Finding> {
        let decisions = decide(&nsg.security_rules, &self.traffic);
        if decisions.iter().any(|d| d.outcome == Outcome::Allowed) {
            return Vec::new();
        }
        let uncertain: Vec<Decision> = (decisions.iter())
            .filter(|d| matches!(d.outcome, Outcome::Uncertain(_)))
            .cloned()
            .collect();
        if uncertain.is_empty() {
            vec![self.blocked_finding(nsg, &decisions)]
        } else {
            vec![self.uncertain_finding(nsg, &uncertain)]
        }
    }

    fn blocked_finding(&self, nsg: &NetworkSecurityGroup, denials: &[Decision]) -> Finding {
        Finding::new(
            self.blocked,
            self.attribute,
            format!(
                "in network security group '{}', {}; {}",
                nsg.name,
                join_and(&self.denied_parts(denials)),
                self.purpose
            ),
            self.allow_fix(denials),
        )
    }

    fn uncertain_finding(&self, nsg: &NetworkSecurityGroup, uncertain: &[Decision]) -> Finding {
        Finding::new(
            self.uncertain,
            self.attribute,
            format!(
                "in network security group '{}', {}; {}",
                nsg.name,
                self.uncertain_parts(uncertain).join("; "),
                self.purpose
            ),
            self.allow_fix(uncertain),
        )
    }

    /// `rule 'x' (priority 200) denies TCP 29877 from ...`, one per denying rule.
    fn denied_parts(&self, denials: &[Decision]) -> Vec<String> {
        group_by_rule(denials)
            .into_iter()
            .map(|(rule, ports)| format!("{rule} denies {}", self.describe(&ports)))
            .collect()
    }

    /// Why each uncertain decision cannot be settled, without repeats.
    fn uncertain_parts(&self, uncertain: &[Decision]) -> Vec<String> {
        let mut parts: Vec<String> = Vec::new();
        for d in uncertain {
            let Outcome::Uncertain(why) = &d.outcome else {
                continue;
            };
            let part = self.explain(&d.rule, d.ports, why);
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        parts
    }

    /// `TCP 29877 from BatchNodeManagement.WestEurope`, `TCP on any port from ...`.
    fn describe(&self, ports: &[PortRange]) -> String {
        let ports = if ports == [PortRange::ALL] {
            "on any port".to_owned()
        } else {
            join_and(ports)
        };
        let toward = self.toward();
        let remote = &self.traffic.remote;
        format!("{} {ports} {toward} {remote}", self.traffic.protocol)
    }

    fn toward(&self) -> &'static str {
        match self.traffic.direction {
            Direction::Inbound => "from",
            Direction::Outbound => "to",
        }
    }

    /// Why `rule`'s decision on `ports` cannot be settled offline.
    fn explain(&self, rule: &RuleRef, ports: PortRange, why: &Uncertainty) -> String {
        let verb = match rule.access {
            Access::Allow => "allows",
            Access::Deny => "denies",
        };
        let only = if rule.access == Access::Allow {
            " only"
        } else {
            ""
        };
        let traffic = self.describe(&[ports]);
        let toward = self.toward();
        let service = &self.traffic.remote;
        match why {
            Uncertainty::AddressRanges { prefixes } => format!(
                "{rule} {verb} {} {toward} {}{only}, and whether {service}'s addresses are in \
                 {} cannot be checked offline, because service tag ranges are published \
                 separately",
                self.describe_ports(ports),
                join_and(prefixes),
                if prefixes.len() == 1 { "it" } else { "them" },
            ),
            Uncertainty::RegionalTag { tag } => format!(
                "{rule} {verb} {} {toward} {tag}{only}, the part of {service} in one region, and \
                 which regions the traffic uses is not known",
                self.describe_ports(ports),
            ),
            Uncertainty::PartOfSubnet { prefixes, subnet } => format!(
                "{rule} {verb} {traffic}{only} for {}, part of the subnet {}, and which \
                 addresses the nodes get is not known in advance",
                join_and(prefixes),
                join_and(subnet),
            ),
            Uncertainty::SubnetUnknown { prefixes } => format!(
                "{rule} {verb} {traffic}{only} for {}, and the subnet's address range is not known",
                join_and(prefixes),
            ),
            Uncertainty::SourcePorts { ports } => format!(
                "{rule} {verb} {traffic}{only} from source ports {}, and the source ports the \
                 service uses are not documented",
                join_and(ports),
            ),
            Uncertainty::Protocol { protocol } => {
                format!("{rule} {verb} {traffic}{only} for {protocol}, not every protocol")
            }
            Uncertainty::PartOfRemote { prefixes } => format!(
                "{rule} {verb} {} {toward} {}{only}, part of {service}",
                self.describe_ports(ports),
                join_and(prefixes),
            ),
            Uncertainty::ClientsInTag { tag } => {
                let clients = match service {
                    Remote::Clients(Clients::Ranges(ranges)) if ranges.len() == 1 => {
                        format!("{} is", ranges[0])
                    }
                    Remote::Clients(Clients::Ranges(ranges)) => format!("{} are", join_and(ranges)),
                    _ => "the clients' addresses are".to_owned(),
                };
                format!(
                    "{rule} {verb} {} {toward} service tag {tag}{only}, and whether {clients} \
                     among its addresses cannot be checked offline, because service tag ranges \
                     are published separately",
                    self.describe_ports(ports),
                )
            }
            Uncertainty::Frontend { prefixes } => format!(
                "{rule} {verb} {traffic}{only} for {}, public addresses that may or may not \
                 be the load balancer in front of the subnet",
                join_and(prefixes),
            ),
        }
    }

    /// `TCP 29876-29877`, without the service.
    fn describe_ports(&self, ports: PortRange) -> String {
        if ports == PortRange::ALL {
            format!("{} on any port", self.traffic.protocol)
        } else {
            format!("{} {ports}", self.traffic.protocol)
        }
    }

    /// Add an Allow rule ahead of the earliest of `decisions`' rules.
    fn allow_fix(&self, decisions: &[Decision]) -> String {
        let (direction, toward) = match self.traffic.direction {
            Direction::Inbound => ("inbound", "from"),
            Direction::Outbound => ("outbound", "to"),
        };
        let ports = if self.traffic.ports == PortRange::ALL {
            format!("{}", self.traffic.protocol)
        } else {
            format!("{} {}", self.traffic.protocol, self.traffic.ports)
        };
        let add = format!(
            "Add an {direction} Allow rule for {ports} {toward} {}",
            self.fix_remote
        );
        let Some(first) = decisions.iter().map(|d| &d.rule).min_by_key(|r| r.priority) else {
            return add;
        };
        if first.default {
            format!("{add} (any priority from {MIN_PRIORITY} to {MAX_PRIORITY})")
        } else if first.priority <= MIN_PRIORITY {
            format!(
                "{add} with a priority number below that of {first} (evaluated first); \
                 renumber that rule first, since {MIN_PRIORITY} is the lowest priority number \
                 Azure accepts"
            )
        } else {
            format!(
                "{add} with a priority number below {} (evaluated first)",
                first.priority
            )
        }
    }
}

/// The decisions' port ranges grouped by rule, rules in order of first appearance.
fn group_by_rule(decisions: &[Decision]) -> Vec<(&RuleRef, Vec<PortRange>)> {
    let mut groups: Vec<(&RuleRef, Vec<PortRange>)> = Vec::new();
    for d in decisions {
        match groups.iter_mut().find(|(rule, _)| *rule == &d.rule) {
            Some((_, ports)) => ports.push(d.ports),
            None => groups.push((&d.rule, vec![d.ports])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::CATALOGUE;
    use proptest::prelude::*;

    const REGION: &str = "westeurope";

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    fn list(s: &str) -> Vec<String> {
        s.split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A rule; list arguments are comma-separated.
    #[allow(clippy::too_many_arguments)]
    fn rule(
        name: &str,
        priority: u32,
        direction: Direction,
        access: Access,
        protocol: Protocol,
        source: &str,
        source_ports: &str,
        destination: &str,
        destination_ports: &str,
    ) -> SecurityRule {
        SecurityRule {
            name: name.to_owned(),
            priority,
            direction,
            access,
            protocol,
            source_prefixes: list(source),
            source_ports: list(source_ports),
            destination_prefixes: list(destination),
            destination_ports: list(destination_ports),
        }
    }

    /// An inbound TCP rule from `source` to any destination on `ports`.
    fn inbound(
        name: &str,
        priority: u32,
        access: Access,
        source: &str,
        ports: &str,
    ) -> SecurityRule {
        rule(
            name,
            priority,
            Direction::Inbound,
            access,
            Protocol::Tcp,
            source,
            "*",
            "*",
            ports,
        )
    }

    /// An outbound rule of any protocol from anywhere to `destination` on `ports`.
    fn outbound(
        name: &str,
        priority: u32,
        access: Access,
        destination: &str,
        ports: &str,
    ) -> SecurityRule {
        rule(
            name,
            priority,
            Direction::Outbound,
            access,
            Protocol::Any,
            "*",
            "*",
            destination,
            ports,
        )
    }

    fn batch(subnet: &[&str]) -> Traffic {
        let subnet: Vec<Ipv4Net> = subnet.iter().map(|s| net(s)).collect();
        Traffic::service(
            Direction::Inbound,
            BATCH_PORTS,
            ServiceTag::new("BatchNodeManagement", Some(REGION)),
            &subnet,
        )
    }

    fn to_service(tag: &str) -> Traffic {
        Traffic::service(
            Direction::Outbound,
            PortRange::single(443),
            ServiceTag::parse(tag),
            &[net("10.0.1.0/24")],
        )
    }

    fn nsg(rules: Vec<SecurityRule>) -> NetworkSecurityGroup {
        NetworkSecurityGroup {
            name: "nsg-compute".to_owned(),
            security_rules: rules,
        }
    }

    /// The outcomes as `(ports, kind, deciding rule)`, kind one of allow, deny, unsure.
    fn summary(rules: &[SecurityRule], traffic: &Traffic) -> Vec<(String, &'static str, String)> {
        decide(rules, traffic)
            .into_iter()
            .map(|d| {
                let kind = match d.outcome {
                    Outcome::Allowed => "allow",
                    Outcome::Denied => "deny",
                    Outcome::Uncertain(_) => "unsure",
                };
                (d.ports.to_string(), kind, d.rule.name)
            })
            .collect()
    }

    /// The outcome over the whole traffic, when one rule decides it all.
    fn single(rules: &[SecurityRule], traffic: &Traffic) -> (&'static str, String) {
        let mut all = summary(rules, traffic);
        assert_eq!(all.len(), 1, "{all:?}");
        let (ports, kind, name) = all.remove(0);
        assert_eq!(ports, traffic.ports.to_string());
        (kind, name)
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id).collect()
    }

    /// `(name, priority, access, source or ports)` of an inbound TCP rule.
    type RuleSpec = (&'static str, u32, Access, &'static str);

    /// `(ports, outcome kind, deciding rule)`, as [`summary`] gives them.
    type Expected = (&'static str, &'static str, &'static str);

    #[test]
    fn rules_are_in_the_catalogue_with_expected_ids_and_severities() {
        for (rule, id, severity, section) in [
            (
                &BATCH_INBOUND_BLOCKED,
                "AMLS111",
                Severity::Error,
                REQUIRED_PORTS,
            ),
            (
                &BATCH_INBOUND_UNCERTAIN,
                "AMLS112",
                Severity::Warning,
                REQUIRED_PORTS,
            ),
            (
                &OUTBOUND_SERVICE_BLOCKED,
                "AMLS113",
                Severity::Error,
                LIMIT_OUTBOUND,
            ),
            (
                &OUTBOUND_SERVICE_UNCERTAIN,
                "AMLS114",
                Severity::Warning,
                LIMIT_OUTBOUND,
            ),
            (
                &AKS_INBOUND_BLOCKED,
                "AMLS221",
                Severity::Error,
                AKS_SECTION,
            ),
            (
                &AKS_INBOUND_UNCERTAIN,
                "AMLS222",
                Severity::Warning,
                AKS_SECTION,
            ),
            (&SSH_INBOUND_BLOCKED, "AMLS301", Severity::Error, VM_SECTION),
            (
                &SSH_INBOUND_UNCERTAIN,
                "AMLS302",
                Severity::Warning,
                VM_SECTION,
            ),
        ] {
            assert_eq!(
                (rule.id, rule.severity, rule.seed_section),
                (id, severity, section)
            );
            assert!(CATALOGUE.contains(&rule), "{id} missing from CATALOGUE");
        }
    }

    #[test]
    fn port_range_parse_table() {
        for (text, first, last) in [
            ("*", 0, 65535),
            ("22", 22, 22),
            ("0", 0, 0),
            ("65535", 65535, 65535),
            ("29876-29877", 29876, 29877),
            ("0-65535", 0, 65535),
            ("443-443", 443, 443),
            ("00022", 22, 22),
        ] {
            assert_eq!(
                PortRange::parse(text),
                Some(PortRange { first, last }),
                "{text}"
            );
        }
        for text in [
            "", "-", "1-", "-1", "65536", "2-1", "a", "22 ", " 22", "1,2", "+1", "0x10", "123456",
            "1-2-3", "**",
        ] {
            assert_eq!(PortRange::parse(text), None, "{text:?}");
        }
        assert_eq!(PortRange::single(22).to_string(), "22");
        assert_eq!(BATCH_PORTS.to_string(), "29876-29877");
    }

    #[test]
    fn default_rules_are_azures() {
        let defaults: Vec<_> = default_rules()
            .into_iter()
            .map(|r| {
                (
                    r.name,
                    r.priority,
                    r.direction,
                    r.access,
                    r.source_prefixes.join(","),
                    r.destination_prefixes.join(","),
                )
            })
            .collect();
        use Access::*;
        use Direction::*;
        let expected = [
            (
                "AllowVnetInBound",
                65000,
                Inbound,
                Allow,
                "VirtualNetwork",
                "VirtualNetwork",
            ),
            (
                "AllowAzureLoadBalancerInBound",
                65001,
                Inbound,
                Allow,
                "AzureLoadBalancer",
                "*",
            ),
            ("DenyAllInBound", 65500, Inbound, Deny, "*", "*"),
            (
                "AllowVnetOutBound",
                65000,
                Outbound,
                Allow,
                "VirtualNetwork",
                "VirtualNetwork",
            ),
            (
                "AllowInternetOutBound",
                65001,
                Outbound,
                Allow,
                "*",
                "Internet",
            ),
            ("DenyAllOutBound", 65500, Outbound, Deny, "*", "*"),
        ]
        .map(|(n, p, d, a, s, t)| (n.to_owned(), p, d, a, s.to_owned(), t.to_owned()));
        assert_eq!(defaults, expected);
        assert!(default_rules().iter().all(|r| r.protocol == Protocol::Any
            && r.source_ports == ["*"]
            && r.destination_ports == ["*"]));
    }

    #[test]
    fn defaults_alone_deny_inbound_services_and_allow_outbound_ones() {
        assert_eq!(
            single(&[], &batch(&["10.0.1.0/24"])),
            ("deny", "DenyAllInBound".into())
        );
        for tag in [
            "Storage.WestEurope",
            "AzureContainerRegistry.WestEurope",
            "AzureMachineLearning",
        ] {
            assert_eq!(
                single(&[], &to_service(tag)),
                ("allow", "AllowInternetOutBound".into()),
                "{tag}"
            );
        }
        assert_eq!(
            evaluate(&[], &to_service("Storage.WestEurope")),
            Verdict::Allowed
        );
    }

    #[test]
    fn source_prefix_matching_for_a_service_tag_table() {
        use Access::{Allow, Deny};
        // (access of a rule at priority 100 for the Batch ports, its source, expected
        // (outcome, deciding rule)); defaults follow.
        for (access, source, expected) in [
            (Allow, "*", ("allow", "r")),
            (Allow, "BatchNodeManagement", ("allow", "r")),
            (Allow, "batchnodemanagement", ("allow", "r")),
            (Allow, "BatchNodeManagement.WestEurope", ("allow", "r")),
            (Allow, "BatchNodeManagement.WestEurope", ("allow", "r")),
            (
                Allow,
                "BatchNodeManagement.EastUS",
                ("deny", "DenyAllInBound"),
            ),
            (Allow, "Internet", ("allow", "r")),
            (Allow, "AzureCloud", ("allow", "r")),
            (Allow, "AzureCloud.westeurope", ("allow", "r")),
            (Allow, "AzureCloud.eastus", ("deny", "DenyAllInBound")),
            (Allow, "VirtualNetwork", ("deny", "DenyAllInBound")),
            (Allow, "AzureLoadBalancer", ("deny", "DenyAllInBound")),
            (Allow, "AzureMachineLearning", ("deny", "DenyAllInBound")),
            (Allow, "Storage", ("deny", "DenyAllInBound")),
            (Allow, "10.0.0.0/8", ("deny", "DenyAllInBound")), // private: no Azure service
            (Allow, "172.16.5.0/24", ("deny", "DenyAllInBound")),
            (Allow, "192.168.1.5", ("deny", "DenyAllInBound")),
            (Allow, "100.64.0.0/10", ("deny", "DenyAllInBound")),
            (Allow, "169.254.10.1", ("deny", "DenyAllInBound")), // link-local
            (Allow, "0.0.0.0/0", ("allow", "r")),
            (Allow, "40.74.0.0/16", ("unsure", "r")), // public: maybe Batch's
            (Allow, "40.74.1.1", ("unsure", "r")),
            (Allow, "8.0.0.0/5", ("unsure", "r")), // contains private 10/8, but public too
            (Allow, "::/0", ("deny", "DenyAllInBound")), // IPv6 only
            (Allow, "2603:1000::/24", ("deny", "DenyAllInBound")),
            (Allow, "10.0.0.0/8,BatchNodeManagement", ("allow", "r")),
            (Allow, "40.74.0.0/16,Internet", ("allow", "r")),
            (Allow, "", ("deny", "DenyAllInBound")), // no prefixes (application security groups)
            (Deny, "BatchNodeManagement", ("deny", "r")),
            (Deny, "Internet", ("deny", "r")),
            (Deny, "VirtualNetwork", ("deny", "DenyAllInBound")),
            (Deny, "40.74.0.0/16", ("deny", "DenyAllInBound")), // deny either way
        ] {
            let rules = [inbound("r", 100, access, source, "*")];
            assert_eq!(
                single(&rules, &batch(&["10.0.1.0/24"])),
                (expected.0, expected.1.to_owned()),
                "{access:?} from {source:?}"
            );
        }
    }

    #[test]
    fn destination_prefix_matching_for_the_subnet_table() {
        // (subnet prefixes, rule destination, expected outcome)
        for (subnet, destination, expected) in [
            (&["10.0.1.0/24"][..], "*", "allow"),
            (&["10.0.1.0/24"], "VirtualNetwork", "allow"),
            (&["10.0.1.0/24"], "virtualnetwork", "allow"),
            (&["10.0.1.0/24"], "10.0.0.0/16", "allow"),
            (&["10.0.1.0/24"], "10.0.1.0/24", "allow"),
            (&["10.0.1.0/24"], "0.0.0.0/0", "allow"),
            (&["10.0.1.0/24"], "10.0.1.0/25,10.0.1.128/25", "allow"), // halves cover it
            (&["10.0.1.0/24"], "10.0.1.0/25", "unsure"),
            (&["10.0.1.0/24"], "10.0.1.7", "unsure"),
            (&["10.0.1.0/24"], "10.0.1.0/25,10.0.1.192/26", "unsure"), // gap
            (&["10.0.1.0/24"], "10.0.2.0/24", "deny"),
            (&["10.0.1.0/24"], "10.0.0.255", "deny"), // adjacent below
            (&["10.0.1.0/24"], "Internet", "deny"),
            (&["10.0.1.0/24"], "AzureLoadBalancer", "deny"),
            (&["10.0.1.0/24"], "fd00::/8", "deny"),
            (&["10.0.1.0/24", "10.0.3.0/24"], "10.0.1.0/24", "unsure"),
            (&["10.0.1.0/24", "10.0.3.0/24"], "10.0.0.0/22", "allow"),
            (&[], "10.0.1.0/24", "unsure"), // subnet unknown
            (&[], "*", "allow"),
            (&[], "VirtualNetwork", "allow"),
        ] {
            let rules = [rule(
                "r",
                100,
                Direction::Inbound,
                Access::Allow,
                Protocol::Tcp,
                "BatchNodeManagement",
                "*",
                destination,
                "29876-29877",
            )];
            let (kind, _) = single(&rules, &batch(subnet));
            assert_eq!(kind, expected, "{subnet:?} {destination}");
        }
    }

    #[test]
    fn uncertainty_names_its_cause() {
        let cases: [(SecurityRule, &[&str], Uncertainty); 5] = [
            (
                inbound(
                    "r",
                    100,
                    Access::Allow,
                    "40.74.0.0/16,10.0.0.0/8,52.0.0.1",
                    "*",
                ),
                &["10.0.1.0/24"],
                Uncertainty::AddressRanges {
                    prefixes: list("40.74.0.0/16,52.0.0.1"),
                },
            ),
            (
                rule(
                    "r",
                    100,
                    Direction::Inbound,
                    Access::Allow,
                    Protocol::Tcp,
                    "*",
                    "*",
                    "10.0.1.0/25",
                    "*",
                ),
                &["10.0.1.0/24"],
                Uncertainty::PartOfSubnet {
                    prefixes: list("10.0.1.0/25"),
                    subnet: vec![net("10.0.1.0/24")],
                },
            ),
            (
                rule(
                    "r",
                    100,
                    Direction::Inbound,
                    Access::Allow,
                    Protocol::Tcp,
                    "*",
                    "*",
                    "10.0.1.0/24",
                    "*",
                ),
                &[],
                Uncertainty::SubnetUnknown {
                    prefixes: list("10.0.1.0/24"),
                },
            ),
            (
                rule(
                    "r",
                    100,
                    Direction::Inbound,
                    Access::Allow,
                    Protocol::Tcp,
                    "*",
                    "1024-65535",
                    "*",
                    "*",
                ),
                &["10.0.1.0/24"],
                Uncertainty::SourcePorts {
                    ports: list("1024-65535"),
                },
            ),
            (
                // Two lists of source ports that together cover every port do not count.
                rule(
                    "r",
                    100,
                    Direction::Inbound,
                    Access::Allow,
                    Protocol::Tcp,
                    "*",
                    "0-1023,1025-65535",
                    "*",
                    "*",
                ),
                &["10.0.1.0/24"],
                Uncertainty::SourcePorts {
                    ports: list("0-1023,1025-65535"),
                },
            ),
        ];
        for (rule, subnet, why) in cases {
            assert_eq!(
                decide(std::slice::from_ref(&rule), &batch(subnet))[0].outcome,
                Outcome::Uncertain(why),
                "{rule:?}"
            );
        }
        let all_source_ports = rule(
            "r",
            100,
            Direction::Inbound,
            Access::Allow,
            Protocol::Tcp,
            "*",
            "0-1023,1024-65535",
            "*",
            "*",
        );
        assert_eq!(
            single(&[all_source_ports], &batch(&[])),
            ("allow", "r".into())
        );
    }

    #[test]
    fn regional_tag_against_a_global_service_is_uncertain() {
        let traffic = to_service("AzureMachineLearning");
        let rules = [
            outbound(
                "aml-we",
                100,
                Access::Allow,
                "AzureMachineLearning.WestEurope",
                "443",
            ),
            outbound("deny-internet", 4000, Access::Deny, "Internet", "*"),
        ];
        assert_eq!(
            decide(&rules, &traffic)[0].outcome,
            Outcome::Uncertain(Uncertainty::RegionalTag {
                tag: "AzureMachineLearning.WestEurope".into()
            })
        );
        // The other way round, a global rule covers regional traffic.
        let rules = [
            outbound("storage", 100, Access::Allow, "Storage", "443"),
            outbound("deny-internet", 4000, Access::Deny, "Internet", "*"),
        ];
        assert_eq!(
            single(&rules, &to_service("Storage.WestEurope")),
            ("allow", "storage".into())
        );
    }

    #[test]
    fn protocols_table() {
        for (protocol, expected) in [
            (Protocol::Tcp, "allow"),
            (Protocol::Any, "allow"),
            (Protocol::Udp, "deny"),
            (Protocol::Icmp, "deny"),
            (Protocol::Esp, "deny"),
            (Protocol::Ah, "deny"),
        ] {
            let rules = [rule(
                "r",
                100,
                Direction::Inbound,
                Access::Allow,
                protocol,
                "BatchNodeManagement",
                "*",
                "*",
                "*",
            )];
            assert_eq!(single(&rules, &batch(&[])).0, expected, "{protocol:?}");
        }
        // Traffic of any protocol is only partly covered by a TCP rule.
        let mut traffic = batch(&[]);
        traffic.protocol = Protocol::Any;
        let rules = [inbound("tcp", 100, Access::Allow, "*", "*")];
        assert_eq!(
            decide(&rules, &traffic)[0].outcome,
            Outcome::Uncertain(Uncertainty::Protocol {
                protocol: Protocol::Tcp
            })
        );
    }

    #[test]
    fn ports_are_decided_range_by_range() {
        let traffic = batch(&["10.0.1.0/24"]);
        // (rules as (name, priority, access, ports), expected decisions)
        let cases: [(&[RuleSpec], &[Expected]); 7] = [
            (
                &[
                    ("a", 150, Access::Allow, "29876"),
                    ("deny-all-in", 200, Access::Deny, "*"),
                ],
                &[("29876", "allow", "a"), ("29877", "deny", "deny-all-in")],
            ),
            (
                &[("a", 150, Access::Allow, "29876")],
                &[("29876", "allow", "a"), ("29877", "deny", "DenyAllInBound")],
            ),
            (
                &[
                    ("a", 150, Access::Allow, "29877-30000"),
                    ("b", 160, Access::Allow, "29000-29876"),
                ],
                &[("29876", "allow", "b"), ("29877", "allow", "a")],
            ),
            (
                &[("a", 150, Access::Allow, "29876,29877")],
                &[("29876-29877", "allow", "a")],
            ),
            (
                &[("a", 150, Access::Allow, "29870-29880")],
                &[("29876-29877", "allow", "a")],
            ),
            (
                &[
                    ("a", 150, Access::Allow, "29875"),
                    ("b", 160, Access::Allow, "29878"),
                ],
                &[("29876-29877", "deny", "DenyAllInBound")],
            ),
            (
                // Invalid port entries are ignored; a rule without valid ports matches nothing.
                &[
                    ("a", 150, Access::Allow, "29876-29877x"),
                    ("b", 160, Access::Deny, ""),
                ],
                &[("29876-29877", "deny", "DenyAllInBound")],
            ),
        ];
        for (rules, expected) in cases {
            let rules: Vec<SecurityRule> = rules
                .iter()
                .map(|&(name, priority, access, ports)| {
                    inbound(name, priority, access, "BatchNodeManagement", ports)
                })
                .collect();
            let expected: Vec<(String, &str, String)> = expected
                .iter()
                .map(|&(p, k, n)| (p.to_owned(), k, n.to_owned()))
                .collect();
            assert_eq!(summary(&rules, &traffic), expected, "{rules:?}");
        }
        let rules = [inbound(
            "a",
            150,
            Access::Allow,
            "BatchNodeManagement",
            "29876",
        )];
        let Verdict::Denied { denials } = evaluate(&rules, &traffic) else {
            panic!("expected a denial");
        };
        assert_eq!(denials.len(), 1);
        assert_eq!(denials[0].ports, PortRange::single(29877));
        assert!(denials[0].rule.default);
    }

    #[test]
    fn priority_decides_not_input_order() {
        let traffic = batch(&[]);
        let deny = inbound("deny", 200, Access::Deny, "*", "*");
        let allow = inbound("allow", 300, Access::Allow, "BatchNodeManagement", "*");
        assert_eq!(
            single(&[deny.clone(), allow.clone()], &traffic),
            ("deny", "deny".into())
        );
        assert_eq!(
            single(&[allow.clone(), deny.clone()], &traffic),
            ("deny", "deny".into())
        );
        let early = SecurityRule {
            priority: 100,
            ..allow
        };
        assert_eq!(single(&[deny, early], &traffic), ("allow", "allow".into()));
    }

    #[test]
    fn direction_is_respected() {
        let outbound_allow = rule(
            "out",
            100,
            Direction::Outbound,
            Access::Allow,
            Protocol::Tcp,
            "*",
            "*",
            "*",
            "*",
        );
        assert_eq!(
            single(&[outbound_allow], &batch(&[])),
            ("deny", "DenyAllInBound".into())
        );
        let inbound_deny = inbound("in", 100, Access::Deny, "*", "*");
        assert_eq!(
            single(&[inbound_deny], &to_service("Storage.WestEurope")),
            ("allow", "AllowInternetOutBound".into())
        );
    }

    #[test]
    fn uncertain_rules_resolve_when_later_rules_agree() {
        use Access::{Allow, Deny};
        // (rules as (name, priority, access, source), expected outcome and rule)
        let cases: [(&[RuleSpec], (&str, &str)); 7] = [
            (
                &[
                    ("ip", 100, Allow, "40.0.0.0/8"),
                    ("tag", 200, Allow, "BatchNodeManagement"),
                ],
                ("allow", "tag"),
            ),
            (&[("ip", 100, Allow, "40.0.0.0/8")], ("unsure", "ip")),
            (
                &[
                    ("ip", 100, Deny, "40.0.0.0/8"),
                    ("tag", 200, Allow, "BatchNodeManagement"),
                ],
                ("unsure", "ip"),
            ),
            (
                &[
                    ("ip", 100, Deny, "40.0.0.0/8"),
                    ("tag", 200, Deny, "BatchNodeManagement"),
                ],
                ("deny", "tag"),
            ),
            (
                &[
                    ("ip-allow", 100, Allow, "40.0.0.0/8"),
                    ("ip-deny", 150, Deny, "52.0.0.0/8"),
                    ("tag", 200, Allow, "BatchNodeManagement"),
                ],
                ("unsure", "ip-deny"),
            ),
            (
                &[
                    ("ip-a", 100, Allow, "40.0.0.0/8"),
                    ("ip-b", 150, Allow, "52.0.0.0/8"),
                ],
                ("unsure", "ip-a"),
            ),
            (
                &[
                    ("ip", 100, Allow, "40.0.0.0/8"),
                    ("internet", 200, Deny, "Internet"),
                ],
                ("unsure", "ip"),
            ),
        ];
        for (rules, (kind, name)) in cases {
            let rules: Vec<SecurityRule> = rules
                .iter()
                .map(|&(n, p, a, s)| inbound(n, p, a, s, "*"))
                .collect();
            assert_eq!(
                single(&rules, &batch(&[])),
                (kind, name.to_owned()),
                "{rules:?}"
            );
        }
        // An uncertain rule over part of the ports, then a certain deny: two ranges, two outcomes.
        let rules = [
            inbound("ip", 100, Allow, "40.0.0.0/8", "29876"),
            inbound("tag", 200, Allow, "BatchNodeManagement", "29877"),
        ];
        assert_eq!(
            summary(&rules, &batch(&[])),
            vec![
                ("29876".into(), "unsure", "ip".into()),
                ("29877".into(), "allow", "tag".into())
            ]
        );
        assert!(
            matches!(evaluate(&rules, &batch(&[])), Verdict::Uncertain { uncertain } if uncertain.len() == 1)
        );
    }

    #[test]
    fn denials_win_over_uncertainty_in_the_verdict() {
        let rules = [inbound("ip", 100, Access::Allow, "40.0.0.0/8", "29876")];
        let Verdict::Denied { denials } = evaluate(&rules, &batch(&[])) else {
            panic!("expected a denial");
        };
        assert_eq!(denials.len(), 1);
        assert_eq!(denials[0].rule.name, "DenyAllInBound");
    }

    // ----- checks

    /// The seed's compute NSG: Batch inbound, and outbound limited to the three services.
    fn seed_rules() -> Vec<SecurityRule> {
        vec![
            inbound(
                "batch",
                1040,
                Access::Allow,
                "BatchNodeManagement",
                "29876-29877",
            ),
            outbound("storage", 1100, Access::Allow, "Storage.WestEurope", "*"),
            outbound(
                "acr",
                1110,
                Access::Allow,
                "AzureContainerRegistry.WestEurope",
                "*",
            ),
            outbound("aml", 1120, Access::Allow, "AzureMachineLearning", "*"),
            outbound("deny-internet", 4000, Access::Deny, "Internet", "*"),
        ]
    }

    fn compute(rules: Vec<SecurityRule>) -> Vec<Finding> {
        check_compute_nsg(Some(&nsg(rules)), &[net("10.0.1.0/24")], REGION)
    }

    #[test]
    fn no_nsg_no_finding() {
        assert_eq!(check_compute_nsg(None, &[], REGION), vec![]);
        assert_eq!(check_aks_nsg(None, &[]), vec![]);
        assert_eq!(check_attached_compute_nsg(None, &[], 22), vec![]);
    }

    #[test]
    fn seed_configuration_passes() {
        assert_eq!(compute(seed_rules()), vec![]);
        let mut rules = seed_rules();
        rules.retain(|r| r.name == "batch");
        assert_eq!(
            compute(rules),
            vec![],
            "default outbound rules allow the services"
        );
    }

    #[test]
    fn default_nsg_blocks_batch() {
        let findings = compute(vec![]);
        assert_eq!(ids(&findings), ["AMLS111"]);
        let f = &findings[0];
        assert_eq!(f.attribute, "subnet_id");
        assert_eq!(
            f.message,
            "in network security group 'nsg-compute', default rule 'DenyAllInBound' (priority 65500) \
             denies TCP 29876-29877 from BatchNodeManagement.WestEurope; Azure Batch uses these ports \
             to schedule work on the compute nodes"
        );
        assert_eq!(
            f.fix,
            "Add an inbound Allow rule for TCP 29876-29877 from service tag BatchNodeManagement \
             (any priority from 100 to 4096)"
        );
    }

    #[test]
    fn partly_allowed_batch_ports_name_the_denied_port_and_rule() {
        let findings = compute(vec![
            inbound(
                "allow-29876",
                150,
                Access::Allow,
                "BatchNodeManagement",
                "29876",
            ),
            inbound("deny-all-in", 200, Access::Deny, "*", "*"),
        ]);
        assert_eq!(ids(&findings), ["AMLS111"]);
        assert!(
            findings[0].message.contains(
                "rule 'deny-all-in' (priority 200) denies TCP 29877 from BatchNodeManagement.WestEurope"
            ),
            "{}",
            findings[0].message
        );
        assert_eq!(
            findings[0].fix,
            "Add an inbound Allow rule for TCP 29876-29877 from service tag BatchNodeManagement with \
             a priority number below 200 (evaluated first)"
        );
    }

    #[test]
    fn several_denying_rules_are_listed_and_the_fix_precedes_the_first() {
        let findings = compute(vec![
            inbound("deny-29877", 300, Access::Deny, "*", "29877"),
            inbound("deny-29876", 250, Access::Deny, "Internet", "29876"),
        ]);
        assert_eq!(
            findings[0].message,
            "in network security group 'nsg-compute', rule 'deny-29876' (priority 250) denies TCP \
             29876 from BatchNodeManagement.WestEurope and rule 'deny-29877' (priority 300) denies \
             TCP 29877 from BatchNodeManagement.WestEurope; Azure Batch uses these ports to \
             schedule work on the compute nodes"
        );
        assert!(
            findings[0]
                .fix
                .ends_with("with a priority number below 250 (evaluated first)")
        );
    }

    #[test]
    fn fix_priority_boundaries() {
        for (priority, fix_end) in [
            (101, "with a priority number below 101 (evaluated first)"),
            (
                100,
                "with a priority number below that of rule 'deny' (priority 100) (evaluated \
                 first); renumber that rule first, since 100 is the lowest priority number Azure \
                 accepts",
            ),
            (4096, "with a priority number below 4096 (evaluated first)"),
        ] {
            let findings = compute(vec![inbound("deny", priority, Access::Deny, "*", "*")]);
            assert_eq!(ids(&findings), ["AMLS111"], "{priority}");
            assert!(
                findings[0].fix.ends_with(fix_end),
                "{priority}: {}",
                findings[0].fix
            );
        }
    }

    #[test]
    fn ip_rule_deciding_batch_is_a_warning() {
        let findings = compute(vec![inbound(
            "batch-ips",
            300,
            Access::Allow,
            "40.74.0.0/16",
            "29876-29877",
        )]);
        assert_eq!(ids(&findings), ["AMLS112"]);
        let f = &findings[0];
        assert_eq!(f.severity(), Severity::Warning);
        assert_eq!(
            f.message,
            "in network security group 'nsg-compute', rule 'batch-ips' (priority 300) allows TCP \
             29876-29877 from 40.74.0.0/16 only, and whether BatchNodeManagement.WestEurope's \
             addresses are in it cannot be checked offline, because service tag ranges are \
             published separately; Azure Batch uses these ports to schedule work on the compute nodes"
        );
        assert_eq!(
            f.fix,
            "Add an inbound Allow rule for TCP 29876-29877 from service tag BatchNodeManagement with \
             a priority number below 300 (evaluated first)"
        );
        // A deny by IP range ahead of the tag's allow is uncertain too.
        let findings = compute(vec![
            inbound(
                "block-ips",
                200,
                Access::Deny,
                "40.74.0.0/16,52.0.0.0/8",
                "*",
            ),
            inbound(
                "batch",
                300,
                Access::Allow,
                "BatchNodeManagement",
                "29876-29877",
            ),
        ]);
        assert_eq!(ids(&findings), ["AMLS112"]);
        assert!(
            findings[0].message.contains(
                "rule 'block-ips' (priority 200) denies TCP 29876-29877 from 40.74.0.0/16 and \
                 52.0.0.0/8, and whether BatchNodeManagement.WestEurope's addresses are in them"
            ),
            "{}",
            findings[0].message
        );
        assert!(findings[0].fix.ends_with("below 200 (evaluated first)"));
    }

    #[test]
    fn other_uncertainties_explain_themselves() {
        let part = rule(
            "half",
            300,
            Direction::Inbound,
            Access::Allow,
            Protocol::Tcp,
            "BatchNodeManagement",
            "*",
            "10.0.1.0/25",
            "29876-29877",
        );
        let f = &compute(vec![part])[0];
        assert_eq!(f.rule.id, "AMLS112");
        assert!(
            f.message.contains(
                "rule 'half' (priority 300) allows TCP 29876-29877 from \
                 BatchNodeManagement.WestEurope only for 10.0.1.0/25, part of the subnet \
                 10.0.1.0/24, and which addresses the nodes get is not known in advance"
            ),
            "{}",
            f.message
        );
        let sports = rule(
            "sports",
            300,
            Direction::Inbound,
            Access::Allow,
            Protocol::Tcp,
            "BatchNodeManagement",
            "1024-65535",
            "*",
            "29876-29877",
        );
        let f = &compute(vec![sports])[0];
        assert!(
            f.message
                .contains("only from source ports 1024-65535, and the source ports"),
            "{}",
            f.message
        );
        let unknown = rule(
            "unknown",
            300,
            Direction::Inbound,
            Access::Allow,
            Protocol::Tcp,
            "BatchNodeManagement",
            "*",
            "10.0.1.0/24",
            "29876-29877",
        );
        let findings = check_compute_nsg(Some(&nsg(vec![unknown])), &[], REGION);
        assert!(
            findings[0]
                .message
                .contains("the subnet's address range is not known")
        );
    }

    #[test]
    fn outbound_lockdown_must_keep_the_three_services() {
        // Dropping one of the seed's service rules blocks exactly that service.
        for (dropped, tag) in [
            ("storage", "Storage.WestEurope"),
            ("acr", "AzureContainerRegistry.WestEurope"),
            ("aml", "AzureMachineLearning"),
        ] {
            let mut rules = seed_rules();
            rules.retain(|r| r.name != dropped);
            let findings = compute(rules);
            assert_eq!(ids(&findings), ["AMLS113"], "{dropped}");
            assert_eq!(
                findings[0].message,
                format!(
                    "in network security group 'nsg-compute', rule 'deny-internet' (priority 4000) \
                     denies TCP 443 to {tag}; the compute nodes need this service even when outbound \
                     Internet access is denied"
                )
            );
            assert_eq!(
                findings[0].fix,
                format!(
                    "Add an outbound Allow rule for TCP 443 to service tag {tag} with a priority \
                     number below 4000 (evaluated first)"
                )
            );
        }
        // A wrong region does not help.
        let mut rules = seed_rules();
        rules[1].destination_prefixes = list("Storage.EastUS");
        assert_eq!(ids(&compute(rules)), ["AMLS113"]);
        // Denying everything outbound blocks all three, after Batch's inbound check.
        let findings = compute(vec![outbound("deny-all-out", 4096, Access::Deny, "*", "*")]);
        assert_eq!(ids(&findings), ["AMLS111", "AMLS113", "AMLS113", "AMLS113"]);
        // The services allowed only on port 80 are still blocked on 443.
        let mut rules = seed_rules();
        for r in &mut rules[1..4] {
            r.destination_ports = list("80");
        }
        assert_eq!(ids(&compute(rules)), ["AMLS113", "AMLS113", "AMLS113"]);
    }

    #[test]
    fn outbound_ip_rule_is_a_warning_and_findings_are_in_id_order() {
        let mut rules = seed_rules();
        rules[1].destination_prefixes = list("20.60.0.0/16");
        // Batch allowed only by IP range: uncertain too (the tag's rule goes).
        rules[0].source_prefixes = list("40.74.0.0/16");
        let findings = compute(rules);
        assert_eq!(ids(&findings), ["AMLS112", "AMLS114"]);
        assert!(findings[1].message.contains(
            "rule 'storage' (priority 1100) allows TCP 443 to 20.60.0.0/16 only, and whether \
             Storage.WestEurope's addresses are in it cannot be checked offline"
        ));
        assert!(findings[1].fix.ends_with(
            "to service tag Storage.WestEurope with a priority number below 1100 (evaluated first)"
        ));
    }

    #[test]
    fn aks_needs_some_tcp_port_from_azure_machine_learning() {
        let check =
            |rules: Vec<SecurityRule>| check_aks_nsg(Some(&nsg(rules)), &[net("10.0.2.0/24")]);
        let findings = check(vec![]);
        assert_eq!(ids(&findings), ["AMLS221"]);
        assert_eq!(
            findings[0].message,
            "in network security group 'nsg-compute', default rule 'DenyAllInBound' (priority 65500) \
             denies TCP on any port from AzureMachineLearning; Azure Machine Learning must reach the \
             cluster to manage it"
        );
        assert_eq!(
            findings[0].fix,
            "Add an inbound Allow rule for TCP from service tag AzureMachineLearning (any priority \
             from 100 to 4096)"
        );
        for (rules, expected) in [
            (
                vec![inbound(
                    "aml",
                    100,
                    Access::Allow,
                    "AzureMachineLearning",
                    "443",
                )],
                vec![],
            ),
            (
                vec![inbound(
                    "aml",
                    100,
                    Access::Allow,
                    "AzureMachineLearning",
                    "*",
                )],
                vec![],
            ),
            (
                vec![inbound("internet", 100, Access::Allow, "Internet", "80")],
                vec![],
            ),
            (
                vec![rule(
                    "udp",
                    100,
                    Direction::Inbound,
                    Access::Allow,
                    Protocol::Udp,
                    "AzureMachineLearning",
                    "*",
                    "*",
                    "*",
                )],
                vec!["AMLS221"],
            ),
            (
                vec![inbound(
                    "batch",
                    100,
                    Access::Allow,
                    "BatchNodeManagement",
                    "*",
                )],
                vec!["AMLS221"],
            ),
            (
                vec![inbound("ips", 100, Access::Allow, "13.0.0.0/8", "443")],
                vec!["AMLS222"],
            ),
            (
                vec![inbound(
                    "aml-we",
                    100,
                    Access::Allow,
                    "AzureMachineLearning.WestEurope",
                    "443",
                )],
                vec!["AMLS222"],
            ),
            (
                vec![
                    inbound("deny", 100, Access::Deny, "*", "*"),
                    inbound("aml", 200, Access::Allow, "AzureMachineLearning", "443"),
                ],
                vec!["AMLS221"],
            ),
        ] {
            assert_eq!(ids(&check(rules.clone())), expected, "{rules:?}");
        }
        let findings = check(vec![
            inbound("deny-low", 100, Access::Deny, "*", "0-1023"),
            inbound(
                "deny-high",
                200,
                Access::Deny,
                "AzureMachineLearning",
                "1024-65535",
            ),
        ]);
        assert!(findings[0].message.contains(
            "rule 'deny-low' (priority 100) denies TCP 0-1023 from AzureMachineLearning and rule \
             'deny-high' (priority 200) denies TCP 1024-65535 from AzureMachineLearning"
        ));
        assert!(findings[0].fix.contains("renumber that rule first"));
    }

    #[test]
    fn attached_vm_needs_ssh_from_azure_machine_learning() {
        let vm = [net("10.0.3.4/32")];
        let check = |rules: Vec<SecurityRule>, port| {
            check_attached_compute_nsg(Some(&nsg(rules)), &vm, port)
        };
        // The seed's rule: protocol Any, source AzureMachineLearning, destination Any, port 22.
        let seed = rule(
            "ssh-aml",
            1060,
            Direction::Inbound,
            Access::Allow,
            Protocol::Any,
            "AzureMachineLearning",
            "*",
            "*",
            "22",
        );
        assert_eq!(check(vec![seed.clone()], 22), vec![]);
        let findings = check(vec![seed], 2222);
        assert_eq!(ids(&findings), ["AMLS301"]);
        assert_eq!(findings[0].attribute, "resource_id");
        assert!(findings[0].message.contains(
            "default rule 'DenyAllInBound' (priority 65500) denies TCP 2222 from AzureMachineLearning"
        ));
        assert_eq!(
            findings[0].fix,
            "Add an inbound Allow rule for TCP 2222 from service tag AzureMachineLearning (any \
             priority from 100 to 4096)"
        );
        assert_eq!(ids(&check(vec![], 22)), ["AMLS301"]);
        let ips = inbound("ssh-ips", 500, Access::Allow, "20.0.0.0/8", "22");
        let findings = check(vec![ips], 22);
        assert_eq!(ids(&findings), ["AMLS302"]);
        assert!(findings[0].fix.ends_with("below 500 (evaluated first)"));
        let to_other_vm = rule(
            "ssh-other",
            500,
            Direction::Inbound,
            Access::Allow,
            Protocol::Tcp,
            "AzureMachineLearning",
            "*",
            "10.0.3.5",
            "22",
        );
        assert_eq!(ids(&check(vec![to_other_vm], 22)), ["AMLS301"]);
    }

    #[test]
    fn display_reads_as_id_problem_fix() {
        let findings = compute(vec![]);
        assert!(findings[0].to_string().starts_with(
            "AMLS111: in network security group 'nsg-compute', default rule 'DenyAllInBound'"
        ));
        assert!(
            findings[0]
                .to_string()
                .ends_with("(any priority from 100 to 4096).")
        );
    }

    // ----- remote ends other than services

    fn to_vnet(space: &[&str]) -> Traffic {
        Traffic {
            direction: Direction::Outbound,
            protocol: Protocol::Tcp,
            ports: PortRange::ALL,
            remote: Remote::VirtualNetwork(space.iter().map(|s| net(s)).collect()),
            subnet: vec![net("10.0.1.0/24")],
            public_frontend: false,
        }
    }

    fn from_clients(clients: Clients, port: u16, public_frontend: bool) -> Traffic {
        Traffic {
            direction: Direction::Inbound,
            protocol: Protocol::Tcp,
            ports: PortRange::single(port),
            remote: Remote::Clients(clients),
            subnet: vec![net("10.0.8.0/22")],
            public_frontend,
        }
    }

    fn ranges(texts: &[&str]) -> Clients {
        Clients::Ranges(texts.iter().map(|t| net(t)).collect())
    }

    #[test]
    fn virtual_network_destination_matching_table() {
        // (address space, destination of a Deny rule at 100, expected outcome); Azure's
        // AllowVnetOutBound decides what the rule does not.
        for (space, destination, expected) in [
            (&["10.0.0.0/16"][..], "*", ("deny", "r")),
            (&["10.0.0.0/16"], "VirtualNetwork", ("deny", "r")),
            (&["10.0.0.0/16"], "virtualnetwork", ("deny", "r")),
            (&["10.0.0.0/16"], "10.0.0.0/16", ("deny", "r")),
            (&["10.0.0.0/16"], "10.0.0.0/8", ("deny", "r")),
            (&["10.0.0.0/16"], "0.0.0.0/0", ("deny", "r")),
            (&["10.0.0.0/16"], "10.0.0.0/17,10.0.128.0/17", ("deny", "r")),
            (&["10.0.0.0/16"], "10.0.5.0/24", ("unsure", "r")),
            (
                &["10.0.0.0/16", "10.1.0.0/16"],
                "10.0.0.0/16",
                ("unsure", "r"),
            ),
            (&[], "10.0.0.0/16", ("unsure", "r")),
            (
                &["10.0.0.0/16"],
                "10.9.0.0/16",
                ("allow", "AllowVnetOutBound"),
            ),
            (&["10.0.0.0/16"], "Internet", ("allow", "AllowVnetOutBound")),
            (
                &["10.0.0.0/16"],
                "AzureCloud",
                ("allow", "AllowVnetOutBound"),
            ),
            (
                &["10.0.0.0/16"],
                "Storage.westeurope",
                ("allow", "AllowVnetOutBound"),
            ),
            (&["10.0.0.0/16"], "fd00::/8", ("allow", "AllowVnetOutBound")),
            (&["10.0.0.0/16"], "", ("allow", "AllowVnetOutBound")),
        ] {
            let rules = [outbound("r", 100, Access::Deny, destination, "*")];
            assert_eq!(
                single(&rules, &to_vnet(space)),
                (expected.0, expected.1.to_owned()),
                "{space:?} {destination:?}"
            );
        }
        // Denying everything but the virtual network first keeps it allowed.
        let rules = [
            outbound("vnet", 100, Access::Allow, "VirtualNetwork", "*"),
            outbound("none", 200, Access::Deny, "*", "*"),
        ];
        assert_eq!(
            single(&rules, &to_vnet(&["10.0.0.0/16"])),
            ("allow", "vnet".into())
        );
    }

    #[test]
    fn client_source_matching_table() {
        let public = ranges(&["203.0.113.0/24"]);
        let private = ranges(&["10.20.0.0/16"]);
        let mixed = ranges(&["203.0.113.0/24", "10.20.0.0/16"]);
        // (clients, source of an Allow rule for TCP 22 at 100, expected outcome)
        for (clients, source, expected) in [
            (&public, "*", ("allow", "r")),
            (&public, "0.0.0.0/0", ("allow", "r")),
            (&public, "203.0.113.0/24", ("allow", "r")),
            (&public, "203.0.0.0/16", ("allow", "r")),
            (&public, "203.0.113.0/25,203.0.113.128/25", ("allow", "r")),
            (&public, "203.0.113.0/25", ("unsure", "r")),
            (&public, "203.0.113.9", ("unsure", "r")),
            (&public, "198.51.100.0/24", ("deny", "DenyAllInBound")),
            (&public, "Internet", ("allow", "r")),
            (&public, "AzureCloud", ("unsure", "r")),
            (&public, "AzureCloud.westeurope", ("unsure", "r")),
            (&public, "Storage.westeurope", ("deny", "DenyAllInBound")),
            (&public, "AzureMachineLearning", ("deny", "DenyAllInBound")),
            (&public, "VirtualNetwork", ("deny", "DenyAllInBound")),
            (&public, "AzureLoadBalancer", ("deny", "DenyAllInBound")),
            (&public, "10.0.0.0/8", ("deny", "DenyAllInBound")),
            (&public, "2001:db8::/32", ("deny", "DenyAllInBound")),
            (&private, "10.20.0.0/16", ("allow", "r")),
            // Private clients may be on networks joined through a gateway, which Azure's
            // AllowVnetInBound admits as VirtualNetwork.
            (&private, "Internet", ("unsure", "AllowVnetInBound")),
            (&private, "AzureCloud", ("unsure", "AllowVnetInBound")),
            (&private, "VirtualNetwork", ("unsure", "r")),
            (&mixed, "Internet", ("unsure", "r")),
            (&mixed, "203.0.113.0/24", ("unsure", "r")),
            (&Clients::AnyPublic, "*", ("allow", "r")),
            (&Clients::AnyPublic, "Internet", ("allow", "r")),
            (&Clients::AnyPublic, "0.0.0.0/1,128.0.0.0/1", ("allow", "r")),
            (&Clients::AnyPublic, "203.0.113.0/24", ("unsure", "r")),
            (&Clients::AnyPublic, "AzureCloud", ("unsure", "r")),
            (
                &Clients::AnyPublic,
                "10.0.0.0/8",
                ("deny", "DenyAllInBound"),
            ),
            (
                &Clients::AnyPublic,
                "VirtualNetwork",
                ("deny", "DenyAllInBound"),
            ),
        ] {
            let rules = [inbound("r", 100, Access::Allow, source, "22")];
            assert_eq!(
                single(&rules, &from_clients(clients.clone(), 22, false)),
                (expected.0, expected.1.to_owned()),
                "{clients:?} {source:?}"
            );
        }
    }

    #[test]
    fn public_destinations_may_be_the_load_balancer_in_front() {
        // (destination of an Allow rule for clients at 203.0.113.0/24, whether the traffic
        // may come through a public frontend, expected outcome)
        for (destination, frontend, expected) in [
            ("*", true, "allow"),
            ("VirtualNetwork", true, "allow"),
            ("10.0.8.0/22", true, "allow"),
            ("10.0.8.0/24", true, "unsure"),
            ("20.50.60.70", true, "unsure"),
            ("20.50.60.70", false, "deny"),
            ("10.1.0.0/16", true, "deny"),
        ] {
            let rules = [rule(
                "r",
                100,
                Direction::Inbound,
                Access::Allow,
                Protocol::Tcp,
                "203.0.113.0/24",
                "*",
                destination,
                "80",
            )];
            let traffic = from_clients(ranges(&["203.0.113.0/24"]), 80, frontend);
            let (kind, _) = single(&rules, &traffic);
            assert_eq!(kind, expected, "{destination} {frontend}");
        }
    }

    #[test]
    fn client_sources_table() {
        let tag = |t: &str| Remote::Service(ServiceTag::parse(t));
        let parse = |texts: &[&str]| {
            client_sources(&texts.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>())
        };
        for (texts, expected) in [
            (
                &["203.0.113.0/24", "198.51.100.7"][..],
                Remote::Clients(ranges(&["203.0.113.0/24", "198.51.100.7/32"])),
            ),
            (&["*"], Remote::Clients(Clients::AnyPublic)),
            (&["0.0.0.0/0"], Remote::Clients(Clients::AnyPublic)),
            (&["Internet"], tag("Internet")),
            (&["AzureCloud.westeurope"], tag("AzureCloud.westeurope")),
        ] {
            assert_eq!(parse(texts), Ok(expected), "{texts:?}");
        }
        for (texts, says) in [
            (&[][..], "at least one"),
            (&["2001:db8::/32"], "IPv6"),
            (&["Internet", "203.0.113.0/24"], "mixes"),
            (&["Internet", "AzureCloud"], "mixes"),
            (&["203.0.113.0/33"], "neither"),
            (&["office network"], "neither"),
        ] {
            let error = parse(texts).unwrap_err();
            assert!(error.contains(says), "{texts:?}: {error}");
        }
    }

    #[test]
    fn compute_nodes_must_reach_the_virtual_network() {
        let space = [net("10.0.0.0/16")];
        let check = |rules: Vec<SecurityRule>| {
            check_compute_vnet_outbound(Some(&nsg(rules)), &[net("10.0.1.0/24")], &space)
        };
        assert_eq!(check_compute_vnet_outbound(None, &[], &space), vec![]);
        assert_eq!(check(seed_rules()), vec![]);
        assert_eq!(check(vec![]), vec![]);
        // Denying every outbound packet denies the virtual network too, in both protocols.
        let findings = check(vec![outbound("deny-all-out", 4000, Access::Deny, "*", "*")]);
        assert_eq!(ids(&findings), ["AMLS115"]);
        assert_eq!(findings[0].attribute, "subnet_id");
        assert_eq!(
            findings[0].message,
            "in network security group 'nsg-compute', rule 'deny-all-out' (priority 4000) denies \
             TCP on any port to VirtualNetwork (10.0.0.0/16) and rule 'deny-all-out' (priority \
             4000) denies UDP on any port to VirtualNetwork (10.0.0.0/16); the nodes reach each \
             other and the rest of the virtual network on any port, one of the required ports"
        );
        assert_eq!(
            findings[0].fix,
            "Add an outbound Allow rule for any protocol to service tag VirtualNetwork with a \
             priority number below 4000 (evaluated first)"
        );
        // One protocol, some ports.
        let udp = rule(
            "no-udp",
            300,
            Direction::Outbound,
            Access::Deny,
            Protocol::Udp,
            "*",
            "*",
            "VirtualNetwork",
            "1000-2000",
        );
        let findings = check(vec![udp]);
        assert_eq!(ids(&findings), ["AMLS115"]);
        assert!(
            findings[0]
                .message
                .contains("denies UDP 1000-2000 to VirtualNetwork (10.0.0.0/16);"),
            "{}",
            findings[0].message
        );
        assert!(!findings[0].message.contains("TCP"));
        // Part of the virtual network: a warning that names the part.
        let findings = check(vec![outbound(
            "no-db",
            300,
            Access::Deny,
            "10.0.5.0/24",
            "*",
        )]);
        assert_eq!(ids(&findings), ["AMLS116"]);
        assert!(
            findings[0].message.contains(
                "rule 'no-db' (priority 300) denies TCP on any port to 10.0.5.0/24, part of \
                 VirtualNetwork (10.0.0.0/16)"
            ),
            "{}",
            findings[0].message
        );
        // The VNet allowed first: fine.
        assert_eq!(
            check(vec![
                outbound("vnet", 100, Access::Allow, "VirtualNetwork", "*"),
                outbound("deny-all-out", 4000, Access::Deny, "*", "*"),
            ]),
            vec![]
        );
    }

    #[test]
    fn public_ssh_needs_an_inbound_rule_from_its_sources() {
        let subnet = [net("10.0.1.0/24")];
        let office = Remote::Clients(ranges(&["203.0.113.0/24"]));
        let anyone = Remote::Clients(Clients::AnyPublic);
        let check = |rules: Vec<SecurityRule>, sources: &Remote, at| {
            check_compute_ssh_inbound(Some(&nsg(rules)), &subnet, sources, at)
        };
        assert_eq!(
            check_compute_ssh_inbound(None, &subnet, &anyone, "x"),
            vec![]
        );
        let from_office = inbound("ssh", 200, Access::Allow, "203.0.113.0/24", "22");
        let from_internet = inbound("ssh", 200, Access::Allow, "Internet", "22");
        // (rules, sources, attribute, expected rule)
        let cases: Vec<(Vec<SecurityRule>, &Remote, Vec<&str>)> = vec![
            (vec![from_office.clone()], &office, vec![]),
            (vec![from_internet.clone()], &office, vec![]),
            (vec![from_internet], &anyone, vec![]),
            (vec![from_office.clone()], &anyone, vec!["AMLS118"]),
            (vec![], &office, vec!["AMLS117"]),
            (vec![], &anyone, vec!["AMLS117"]),
            (
                vec![inbound("ssh", 200, Access::Allow, "198.51.100.0/24", "22")],
                &office,
                vec!["AMLS117"],
            ),
            (
                vec![inbound("ssh", 200, Access::Allow, "203.0.113.0/24", "2222")],
                &office,
                vec!["AMLS117"],
            ),
        ];
        for (rules, sources, expected) in cases {
            assert_eq!(
                ids(&check(rules.clone(), sources, "ssh_source_addresses")),
                expected,
                "{rules:?} {sources:?}"
            );
        }
        let findings = check(vec![], &office, "ssh_source_addresses");
        assert_eq!(findings[0].attribute, "ssh_source_addresses");
        assert_eq!(
            findings[0].message,
            "in network security group 'nsg-compute', default rule 'DenyAllInBound' (priority \
             65500) denies TCP 22 from 203.0.113.0/24; ssh_public_access_enabled opens SSH on \
             the nodes' public addresses, and this network security group keeps it shut"
        );
        assert_eq!(
            findings[0].fix,
            "Add an inbound Allow rule for TCP 22 from 203.0.113.0/24 (any priority from 100 to \
             4096)"
        );
        let findings = check(vec![from_office], &anyone, "ssh_public_access_enabled");
        assert_eq!(findings[0].attribute, "ssh_public_access_enabled");
        assert!(
            findings[0].message.contains(
                "rule 'ssh' (priority 200) allows TCP 22 from 203.0.113.0/24 only, part of any \
                 public address"
            ),
            "{}",
            findings[0].message
        );
        assert!(
            findings[0].fix.ends_with(
                "and list those addresses in ssh_source_addresses so the plan checks exactly them"
            ),
            "{}",
            findings[0].fix
        );
    }

    #[test]
    fn aks_keeps_the_default_outbound_rules() {
        let space = [net("10.0.0.0/16")];
        let check = |rules: Vec<SecurityRule>| {
            check_aks_outbound(Some(&nsg(rules)), &[net("10.0.8.0/22")], &space)
        };
        assert_eq!(check_aks_outbound(None, &[], &space), vec![]);
        assert_eq!(check(vec![]), vec![]);
        // (rules, findings)
        let cases: Vec<(Vec<SecurityRule>, usize)> = vec![
            (
                vec![outbound("no-internet", 4000, Access::Deny, "Internet", "*")],
                1,
            ),
            (
                vec![outbound(
                    "no-vnet",
                    4000,
                    Access::Deny,
                    "VirtualNetwork",
                    "*",
                )],
                1,
            ),
            (vec![outbound("nothing", 4000, Access::Deny, "*", "*")], 2),
            (
                vec![outbound("no-smtp", 4000, Access::Deny, "Internet", "25")],
                0,
            ),
            (
                vec![
                    outbound("azure", 3000, Access::Allow, "AzureCloud", "443"),
                    outbound("no-internet", 4000, Access::Deny, "Internet", "*"),
                ],
                0,
            ),
            (
                vec![outbound(
                    "some-hosts",
                    4000,
                    Access::Deny,
                    "52.0.0.0/8",
                    "443",
                )],
                1,
            ),
        ];
        for (rules, count) in cases {
            let findings = check(rules.clone());
            assert_eq!(findings.len(), count, "{rules:?}: {findings:?}");
            assert!(
                findings
                    .iter()
                    .all(|f| f.rule.id == "AMLS223" && f.severity() == Severity::Warning)
            );
        }
        let findings = check(vec![outbound(
            "no-internet",
            4000,
            Access::Deny,
            "Internet",
            "*",
        )]);
        assert!(
            findings[0]
                .message
                .contains("denies TCP 443 to Internet; Azure's guidance says to keep the default outbound rules"),
            "{}",
            findings[0].message
        );
        assert_eq!(
            findings[0].fix,
            "Add an outbound Allow rule for TCP 443 to service tag Internet with a priority number below 4000 (evaluated first)"
        );
    }

    #[test]
    fn scoring_clients_must_reach_the_scoring_port() {
        let subnet = [net("10.0.8.0/22")];
        let clients = Remote::Clients(ranges(&["203.0.113.0/24"]));
        let check = |rules: Vec<SecurityRule>, ssl: bool| {
            check_aks_scoring_inbound(Some(&nsg(rules)), &subnet, &clients, scoring_port(ssl))
        };
        let http = inbound("scoring", 300, Access::Allow, "203.0.113.0/24", "80");
        let both = inbound("scoring", 300, Access::Allow, "203.0.113.0/24", "80,443");
        let to_frontend = rule(
            "scoring",
            300,
            Direction::Inbound,
            Access::Allow,
            Protocol::Tcp,
            "203.0.113.0/24",
            "*",
            "20.50.60.70",
            "80",
        );
        // (rules, ssl, expected)
        let cases: Vec<(Vec<SecurityRule>, bool, Vec<&str>)> = vec![
            (vec![http.clone()], false, vec![]),
            (vec![both.clone()], true, vec![]),
            (vec![http.clone()], true, vec!["AMLS224"]),
            (vec![], false, vec!["AMLS224"]),
            (vec![to_frontend], false, vec!["AMLS225"]),
            (
                vec![inbound("scoring", 300, Access::Allow, "AzureCloud", "80")],
                false,
                vec!["AMLS225"],
            ),
        ];
        for (rules, ssl, expected) in cases {
            let findings = check(rules.clone(), ssl);
            assert_eq!(ids(&findings), expected, "{rules:?} ssl {ssl}");
            assert!(
                findings
                    .iter()
                    .all(|f| f.attribute == "scoring_source_addresses")
            );
        }
        let findings = check(vec![http], true);
        assert_eq!(
            findings[0].message,
            "in network security group 'nsg-compute', default rule 'DenyAllInBound' (priority \
             65500) denies TCP 443 from 203.0.113.0/24; the clients call the scoring endpoint on \
             port 443, since ssl is enabled"
        );
        assert_eq!(
            findings[0].fix,
            "Add an inbound Allow rule for TCP 443 from 203.0.113.0/24 (any priority from 100 to 4096)"
        );
        assert_eq!((scoring_port(false), scoring_port(true)), (80, 443));
    }

    #[test]
    fn attached_machines_keep_outbound_access() {
        let vm = [net("10.0.1.4/32")];
        let space = [net("10.0.0.0/16")];
        let check = |rules: Vec<SecurityRule>| {
            check_attached_outbound(Some(&nsg(rules)), &vm, &space, REGION)
        };
        assert_eq!(check_attached_outbound(None, &vm, &space, REGION), vec![]);
        assert_eq!(check(vec![]), vec![]);
        // The seed's limited outbound: the three services, then no Internet.
        assert_eq!(check(seed_rules()), vec![]);
        let findings = check(vec![outbound(
            "no-internet",
            4000,
            Access::Deny,
            "Internet",
            "*",
        )]);
        assert_eq!(ids(&findings), ["AMLS303", "AMLS303", "AMLS303"]);
        let services: Vec<&str> = [
            "Storage.WestEurope",
            "AzureContainerRegistry.WestEurope",
            "AzureMachineLearning",
        ]
        .into();
        for (finding, service) in findings.iter().zip(services) {
            assert_eq!(finding.attribute, "resource_id");
            assert!(
                finding
                    .message
                    .contains(&format!("denies TCP 443 to {service};")),
                "{}",
                finding.message
            );
        }
        let findings = check(vec![outbound(
            "no-vnet",
            4000,
            Access::Deny,
            "VirtualNetwork",
            "*",
        )]);
        assert_eq!(ids(&findings), ["AMLS303"]);
        assert!(
            findings[0]
                .message
                .contains("to VirtualNetwork (10.0.0.0/16)")
        );
    }

    fn any_rule() -> impl Strategy<Value = SecurityRule> {
        let prefixes = prop::sample::select(vec![
            "*",
            "BatchNodeManagement",
            "BatchNodeManagement.EastUS",
            "Internet",
            "VirtualNetwork",
            "40.0.0.0/8",
            "10.0.0.0/8",
            "10.0.1.0/25",
        ]);
        let ports =
            prop::sample::select(vec!["*", "29876", "29877", "29870-29876", "22", "1-65535"]);
        (
            100u32..200,
            any::<bool>(),
            any::<bool>(),
            prefixes.clone(),
            prefixes,
            ports.clone(),
            ports,
        )
            .prop_map(
                |(priority, deny, tcp, source, destination, source_ports, ports)| {
                    rule(
                        &format!("r{priority}"),
                        priority,
                        Direction::Inbound,
                        if deny { Access::Deny } else { Access::Allow },
                        if tcp { Protocol::Tcp } else { Protocol::Any },
                        source,
                        source_ports,
                        destination,
                        ports,
                    )
                },
            )
    }

    proptest! {
        #[test]
        fn decisions_tile_the_ports_and_ignore_input_order(
            mut rules in prop::collection::vec(any_rule(), 0..8),
            first in 29000u16..29900,
            width in 0u16..10,
        ) {
            // Azure keeps priorities unique per direction.
            rules.sort_by_key(|r| r.priority);
            rules.dedup_by_key(|r| r.priority);
            let mut traffic = batch(&["10.0.1.0/24"]);
            traffic.ports = PortRange { first, last: first + width };
            let decisions = decide(&rules, &traffic);
            prop_assert_eq!(decisions.first().map(|d| d.ports.first), Some(first));
            prop_assert_eq!(decisions.last().map(|d| d.ports.last), Some(first + width));
            for pair in decisions.windows(2) {
                prop_assert_eq!(u32::from(pair[0].ports.last) + 1, u32::from(pair[1].ports.first));
                prop_assert!(pair[0].outcome != pair[1].outcome || pair[0].rule != pair[1].rule);
            }
            rules.reverse();
            prop_assert_eq!(decide(&rules, &traffic), decisions.clone());
            let verdict = evaluate(&rules, &traffic);
            prop_assert_eq!(verdict == Verdict::Allowed, decisions.iter().all(|d| d.outcome == Outcome::Allowed));
        }
    }
}
