//! Network security groups, evaluated the way Azure evaluates them.
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

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

use crate::rules::addresses::{self, Ipv4Net};
use crate::rules::compute::same_location;
use crate::rules::{join_and, regions};

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
            Some(region) => f.write_str(&regions::regional_tag(&self.name, region)),
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
    let Some(ranges) = ranges_in_virtual_network(prefixes) else {
        return Match::Full;
    };
    let (nets, texts): (Vec<Ipv4Net>, Vec<String>) = (ranges.into_iter())
        .filter(|&(net, _)| reaches(space, net))
        .map(|(net, text)| (net, text.clone()))
        .unzip();
    if nets.is_empty() {
        Match::No
    } else if !space.is_empty() && space.iter().all(|&s| union_covers(&nets, s)) {
        Match::Full
    } else {
        Match::Perhaps(Uncertainty::PartOfRemote { prefixes: texts })
    }
}

/// The IPv4 ranges a rule names for an end inside the virtual network (the subnet, or the
/// virtual network as the remote end); `None` when it names all of it, as `*` or
/// `VirtualNetwork`. Other tags (`Internet`, `AzureCloud`, services) are public addresses,
/// outside it, and IPv6 ranges never match.
fn ranges_in_virtual_network(prefixes: &[String]) -> Option<Vec<(Ipv4Net, &String)>> {
    let mut ranges = Vec::new();
    for text in prefixes {
        match classify(text) {
            Prefix::Any => return None,
            Prefix::Tag(tag, _) if tag.is("VirtualNetwork") && tag.region.is_none() => return None,
            Prefix::Tag(..) | Prefix::V6 => {}
            Prefix::V4(net) => ranges.push((net, text)),
        }
    }
    Some(ranges)
}

/// Whether `net` reaches into `area`; an unknown (empty) area may be anywhere.
fn reaches(area: &[Ipv4Net], net: Ipv4Net) -> bool {
    area.is_empty() || area.iter().any(|&a| addresses::overlaps(a, net))
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
    let Some(ranges) = ranges_in_virtual_network(prefixes) else {
        return Match::Full;
    };
    let subnet = &traffic.subnet;
    let mut nets = Vec::new();
    let mut texts = Vec::new();
    let mut frontends = Vec::new();
    for (net, text) in ranges {
        if reaches(subnet, net) {
            nets.push(net);
            texts.push(text.clone());
        } else if traffic.public_frontend && is_public(net) {
            frontends.push(text.clone());
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::rules::nsg::testing::*;

    /// The ports Azure Batch manages compute nodes on, the traffic most examples ask about.
    const BATCH_PORTS: PortRange = PortRange {
        first: 29876,
        last: 29877,
    };

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

    /// `(name, priority, access, source or ports)` of an inbound TCP rule.
    type RuleSpec = (&'static str, u32, Access, &'static str);

    /// `(ports, outcome kind, deciding rule)`, as [`summary`] gives them.
    type Expected = (&'static str, &'static str, &'static str);

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
