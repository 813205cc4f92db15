//! AKS networking for an AML-attached cluster: service CIDR, DNS service IP and docker bridge
//! (REFERENCE §10 rules 17-20; seed section "Use Azure Kubernetes Service (AKS)"), and, under
//! today's guidance, the addresses Azure CNI takes from the subnet (rule 21).
//!
//! Inputs are already parsed; the caller reports parse errors (see [`crate::rules::addresses`]).

use std::net::Ipv4Addr;

use crate::rules::addresses::{self, Ipv4Net};

use super::seed_section;
use super::subnet::{SubnetCapacity, fitting_prefix_len};
use super::{Applies, Finding, Profile, Rule, Severity, join_and, sources};

/// REFERENCE §10 rule 17; Azure reports `ServiceCidrOverlapExistingSubnetsCidr` at create time.
pub static SERVICE_CIDR_OVERLAPS_VNET: Rule = Rule {
    id: "AMLS201",
    title: "Kubernetes service CIDR overlaps the virtual network or a peered network",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// REFERENCE §10 rules 17 and 20. Overlap, not only containment, is flagged: a service CIDR
/// that contains a reserved range would hand out addresses from it.
pub static SERVICE_CIDR_RESERVED: Rule = Rule {
    id: "AMLS202",
    title: "Kubernetes service CIDR overlaps an address range reserved by AKS",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 17: Kubernetes refuses service ranges with more than 20 host bits.
pub static SERVICE_CIDR_TOO_LARGE: Rule = Rule {
    id: "AMLS203",
    title: "Kubernetes service CIDR is larger than a /12, the largest Kubernetes accepts",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 17. The AKS document says the range "must be smaller than /12", but
/// Kubernetes itself accepts a /12 and the wording is ambiguous, so a /12 is a warning rather
/// than an error that would block a plan AKS may well accept.
pub static SERVICE_CIDR_AT_LIMIT: Rule = Rule {
    id: "AMLS204",
    title: "Kubernetes service CIDR is a /12, which AKS documents as too large",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 18; the seed: "It must be within the Kubernetes service address range".
pub static DNS_IP_OUTSIDE_SERVICE_CIDR: Rule = Rule {
    id: "AMLS205",
    title: "Kubernetes DNS service IP is outside the service CIDR",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 18: the first address belongs to the `kubernetes` API service; the network
/// and broadcast addresses are our addition.
pub static DNS_IP_RESERVED: Rule = Rule {
    id: "AMLS206",
    title: "Kubernetes DNS service IP is the network, first or broadcast address of the service CIDR",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 19; the seed: "It must not be in any subnet IP ranges, or the Kubernetes
/// service address range".
pub static DOCKER_BRIDGE_OVERLAPS: Rule = Rule {
    id: "AMLS207",
    title: "Docker bridge CIDR overlaps the virtual network or the service CIDR",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 19 and §8: AKS dropped `dockerBridgeCidr` from API version 2023-04-01;
/// AML still accepts it in `aksNetworkingConfiguration`. Today's guidance: the seed requires
/// the address.
pub static DOCKER_BRIDGE_DEPRECATED: Rule = Rule {
    id: "AMLS208",
    title: "Docker bridge CIDR is set, but AKS no longer uses it",
    seed_section: seed_section::AKS,
    applies: Applies::Current(&sources::AKS_DOCKER_BRIDGE),
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 20: AKS forbids its reserved ranges for the cluster's own virtual
/// network (and service and pod ranges); a peered network using one of them is no concern of
/// the cluster's.
pub static VNET_RESERVED: Rule = Rule {
    id: "AMLS209",
    title: "Virtual network address range overlaps an address range reserved by AKS",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 21: with Azure CNI every node and every pod it may run takes an address
/// of the subnet, for the nodes and one more (an upgrade adds a node before it removes one):
/// `(nodes + 1) + (nodes + 1) × max_pods`. AKS refuses a cluster the subnet cannot hold.
pub static CNI_SUBNET_CAPACITY: Rule = Rule {
    id: "AMLS211",
    title: "AKS subnet has fewer free IP addresses than Azure CNI needs for the cluster's nodes and pods",
    seed_section: seed_section::AKS,
    applies: Applies::Current(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// Nodes of a cluster Azure ML creates when `agentCount` is not given.
pub const DEFAULT_AGENT_COUNT: u64 = 3;

/// Pods per node Azure CNI allows by default, which a cluster Azure ML creates keeps.
pub const AZURE_CNI_DEFAULT_MAX_PODS: u64 = 30;

/// [`CNI_SUBNET_CAPACITY`] for a cluster of `nodes` nodes of `max_pods` pods each on a subnet
/// of `capacity`; the finding points at `attribute` (the node count's).
pub fn check_cni_capacity(
    capacity: &SubnetCapacity,
    nodes: u64,
    max_pods: u64,
    attribute: &'static str,
) -> Option<Finding> {
    let per_node = max_pods.saturating_add(1);
    let needed = nodes.saturating_add(1).saturating_mul(per_node);
    if capacity.free >= needed {
        return None;
    }
    let SubnetCapacity {
        ref prefixes,
        size,
        reserved,
        in_use,
        free,
    } = *capacity;
    let larger = match fitting_prefix_len(in_use, needed) {
        Some(len) if prefixes.len() == 1 => format!("Use a /{len} or larger subnet"),
        Some(_) => "Give the subnet more address space".to_owned(),
        None => "Use a smaller cluster".to_owned(),
    };
    let fitting_nodes = (free / per_node).checked_sub(1).filter(|&n| n > 0);
    let lower = match fitting_nodes {
        Some(n) => format!(", or lower {attribute} to {n}"),
        None => String::new(),
    };
    let finding = Finding::new(
        &CNI_SUBNET_CAPACITY,
        attribute,
        format!(
            "Azure CNI gives every node and each of its up to {max_pods} pods an address of the subnet, for the {nodes} nodes and one more during upgrades: ({nodes} + 1) + ({nodes} + 1) × {max_pods} = {needed} addresses, and subnet {} has {size}: {reserved} reserved by Azure, {in_use} in use and {free} free",
            join_and(prefixes)
        ),
        format!("{larger}{lower}"),
    );
    Some(match fitting_nodes {
        Some(n) => finding.suggesting(attribute, n),
        None => finding,
    })
}

/// The rules [`check_aks_network`] applies: all about the cluster's address plan, which AKS
/// fixes when it creates the cluster.
pub static ADDRESS_PLAN_RULES: [&Rule; 9] = [
    &SERVICE_CIDR_OVERLAPS_VNET,
    &SERVICE_CIDR_RESERVED,
    &SERVICE_CIDR_TOO_LARGE,
    &SERVICE_CIDR_AT_LIMIT,
    &DNS_IP_OUTSIDE_SERVICE_CIDR,
    &DNS_IP_RESERVED,
    &DOCKER_BRIDGE_OVERLAPS,
    &DOCKER_BRIDGE_DEPRECATED,
    &VNET_RESERVED,
];

/// Ranges AKS uses itself, forbidden for the service CIDR, pod CIDR and VNet (REFERENCE §10 rule 20).
pub const AKS_RESERVED_RANGES: [Ipv4Net; 4] = [
    Ipv4Net::new_assert(Ipv4Addr::new(169, 254, 0, 0), 16),
    Ipv4Net::new_assert(Ipv4Addr::new(172, 30, 0, 0), 16),
    Ipv4Net::new_assert(Ipv4Addr::new(172, 31, 0, 0), 16),
    Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 2, 0), 24),
];

/// Kubernetes accepts at most 20 host bits in the service range, i.e. prefix length >= 12.
pub const KUBERNETES_MIN_SERVICE_PREFIX_LEN: u8 = 12;

/// The docker bridge default in the seed, host-form (REFERENCE §10 rule 19).
pub const DEFAULT_DOCKER_BRIDGE_CIDR: Ipv4Net =
    Ipv4Net::new_assert(Ipv4Addr::new(172, 17, 0, 1), 16);

/// An AKS cluster's network settings, as AML's `aksNetworkingConfiguration` carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AksNetwork {
    pub service_cidr: Ipv4Net,
    pub dns_service_ip: Ipv4Addr,
    /// Host-form allowed, e.g. `172.17.0.1/16`.
    pub docker_bridge_cidr: Option<Ipv4Net>,
    /// Address spaces and subnets of the cluster's own VNet.
    pub vnet_prefixes: Vec<Ipv4Net>,
    /// Address spaces of its peerings (and any other network the cluster must reach).
    pub peered_prefixes: Vec<Ipv4Net>,
    /// Whether the prefixes above were read from Azure. Before that (at `validate`) the rules
    /// that compare with the network find nothing, and no fix proposes a range, since it could
    /// collide with the network.
    pub network_known: bool,
}

/// Runs every AKS network rule of `profile`. Findings come in catalogue order, and within one
/// finding ranges are listed in input order, so the output is deterministic.
pub fn check_aks_network(input: &AksNetwork, profile: Profile) -> Vec<Finding> {
    let check = Check::new(input);
    [
        check.service_cidr_overlaps_vnet(),
        check.service_cidr_reserved(),
        check.service_cidr_too_large(),
        check.service_cidr_at_limit(),
        check.dns_ip_outside_service_cidr(),
        check.dns_ip_reserved(),
        check.docker_bridge_overlaps(),
        (profile == Profile::Current)
            .then(|| check.docker_bridge_deprecated())
            .flatten(),
        check.vnet_reserved(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

struct Check<'a> {
    input: &'a AksNetwork,
    /// The service CIDR without host bits.
    service: Ipv4Net,
    /// Every range of the VNet and its peerings.
    network: Vec<Ipv4Net>,
    /// Ranges a suggested replacement must avoid.
    taken: Vec<Ipv4Net>,
}

impl<'a> Check<'a> {
    fn new(input: &'a AksNetwork) -> Self {
        let mut network = input.vnet_prefixes.clone();
        network.extend(input.peered_prefixes.iter().copied());
        let mut taken = network.clone();
        taken.extend(AKS_RESERVED_RANGES);
        taken.extend(input.docker_bridge_cidr);
        Self {
            input,
            service: input.service_cidr.trunc(),
            network,
            taken,
        }
    }

    fn service_cidr_overlaps_vnet(&self) -> Option<Finding> {
        let hits = overlapping(self.service, &self.network);
        (!hits.is_empty()).then(|| {
            self.with_service_suggestion(Finding::new(
                &SERVICE_CIDR_OVERLAPS_VNET,
                "service_cidr",
                format!(
                    "service_cidr {} overlaps {} of the virtual network or its peerings",
                    self.service,
                    join_and(&hits)
                ),
                format!(
                    "Choose a service_cidr outside every range of the virtual network, its peerings \
                     and on-premises networks{}",
                    self.service_example()
                ),
            ))
        })
    }

    fn service_cidr_reserved(&self) -> Option<Finding> {
        let hits = overlapping(self.service, &AKS_RESERVED_RANGES);
        let relation = match hits.as_slice() {
            [] => return None,
            [one] if one.contains(&self.service) => "is inside",
            _ => "overlaps",
        };
        Some(Finding::new(
            &SERVICE_CIDR_RESERVED,
            "service_cidr",
            format!(
                "service_cidr {} {relation} {}, reserved by AKS",
                self.service,
                join_and(&hits)
            ),
            format!(
                "Choose a service_cidr outside {}{}",
                join_and(&AKS_RESERVED_RANGES),
                self.service_example()
            ),
        ))
        .map(|f| self.with_service_suggestion(f))
    }

    fn service_cidr_too_large(&self) -> Option<Finding> {
        let len = self.service.prefix_len();
        (len < KUBERNETES_MIN_SERVICE_PREFIX_LEN).then(|| {
            self.with_service_suggestion(Finding::new(
                &SERVICE_CIDR_TOO_LARGE,
                "service_cidr",
                format!(
                    "service_cidr {} is a /{len} with {} addresses; Kubernetes accepts at most a /12 ({} addresses)",
                    self.service,
                    addresses::address_count(self.service),
                    1u64 << (32 - KUBERNETES_MIN_SERVICE_PREFIX_LEN)
                ),
                format!(
                    "Use a /13 or smaller service_cidr; a /16 holds 65536 service IPs{}",
                    self.service_example()
                ),
            ))
        })
    }

    fn service_cidr_at_limit(&self) -> Option<Finding> {
        (self.service.prefix_len() == KUBERNETES_MIN_SERVICE_PREFIX_LEN).then(|| {
            self.with_service_suggestion(Finding::new(
                &SERVICE_CIDR_AT_LIMIT,
                "service_cidr",
                format!(
                    "service_cidr {} is a /12, and AKS documents that the service CIDR must be smaller than /12",
                    self.service
                ),
                format!(
                    "Use a /13 or smaller service_cidr; a /16 holds 65536 service IPs{}",
                    self.service_example()
                ),
            ))
        })
    }

    fn dns_ip_outside_service_cidr(&self) -> Option<Finding> {
        let dns = self.input.dns_service_ip;
        (!self.service.contains(&dns)).then(|| {
            self.dns_finding(
                &DNS_IP_OUTSIDE_SERVICE_CIDR,
                format!(
                    "dns_service_ip {dns} is outside service_cidr {} ({} to {})",
                    self.service,
                    self.service.network(),
                    self.service.broadcast()
                ),
                "Choose an address inside service_cidr",
            )
        })
    }

    fn dns_ip_reserved(&self) -> Option<Finding> {
        let dns = self.input.dns_service_ip;
        let network = self.service.network();
        let role = if dns == network {
            "the network address"
        } else if u32::from(dns).checked_sub(1) == Some(u32::from(network)) {
            "the first address, which Kubernetes gives to the kubernetes API service"
        } else if dns == self.service.broadcast() {
            "the broadcast address"
        } else {
            return None;
        };
        Some(self.dns_finding(
            &DNS_IP_RESERVED,
            format!(
                "dns_service_ip {dns} is {role} of service_cidr {}",
                self.service
            ),
            "Choose another address inside service_cidr",
        ))
    }

    fn docker_bridge_overlaps(&self) -> Option<Finding> {
        let bridge = self.input.docker_bridge_cidr?;
        let vnet_hits = overlapping(bridge, &self.network);
        let mut parts = Vec::new();
        if !vnet_hits.is_empty() {
            parts.push(format!(
                "{} of the virtual network or its peerings",
                join_and(&vnet_hits)
            ));
        }
        if addresses::overlaps(bridge, self.service) {
            parts.push(format!("service_cidr {}", self.service));
        }
        if parts.is_empty() {
            return None;
        }
        let mut avoid = self.network.clone();
        avoid.push(self.service);
        avoid.extend(AKS_RESERVED_RANGES);
        let suggestion = if !self.input.network_known {
            None
        } else if avoid
            .iter()
            .all(|&a| !addresses::overlaps(a, DEFAULT_DOCKER_BRIDGE_CIDR))
        {
            Some(DEFAULT_DOCKER_BRIDGE_CIDR)
        } else {
            addresses::first_free_block(bridge.prefix_len(), &addresses::PRIVATE_RANGES, &avoid)
        };
        let finding = Finding::new(
            &DOCKER_BRIDGE_OVERLAPS,
            "docker_bridge_cidr",
            format!("docker_bridge_cidr {bridge} overlaps {}", join_and(&parts)),
            format!(
                "Remove docker_bridge_cidr, which AKS ignores, or choose a range outside the \
                 virtual network and service_cidr{}",
                example(suggestion)
            ),
        );
        Some(match suggestion {
            Some(bridge) => finding.suggesting("docker_bridge_cidr", bridge),
            None => finding,
        })
    }

    fn docker_bridge_deprecated(&self) -> Option<Finding> {
        let bridge = self.input.docker_bridge_cidr?;
        Some(Finding::new(
            &DOCKER_BRIDGE_DEPRECATED,
            "docker_bridge_cidr",
            format!(
                "docker_bridge_cidr {bridge} is set, but AKS ignores it since containerd replaced Docker \
                 and removed it from API version 2023-04-01"
            ),
            "Remove docker_bridge_cidr",
        ))
    }

    fn vnet_reserved(&self) -> Option<Finding> {
        let reserved_overlap = |net: Ipv4Net| {
            AKS_RESERVED_RANGES
                .iter()
                .any(|&r| addresses::overlaps(net, r))
        };
        // Only the cluster's own network: AKS does not mind a peering in these ranges.
        let mut vnet: Vec<Ipv4Net> = (self.input.vnet_prefixes.iter().copied())
            .filter(|&v| reserved_overlap(v))
            .collect();
        if vnet.is_empty() {
            return None;
        }
        dedup_in_order(&mut vnet);
        let reserved: Vec<Ipv4Net> = (AKS_RESERVED_RANGES.iter().copied())
            .filter(|&r| vnet.iter().any(|&v| addresses::overlaps(v, r)))
            .collect();
        Some(Finding::new(
            &VNET_RESERVED,
            "subnet_id",
            format!(
                "{} of the virtual network or its peerings {} {}, reserved by AKS",
                join_and(&vnet),
                if vnet.len() == 1 {
                    "overlaps"
                } else {
                    "overlap"
                },
                join_and(&reserved)
            ),
            format!(
                "Use a subnet in a virtual network whose address space avoids {}",
                join_and(&AKS_RESERVED_RANGES)
            ),
        ))
    }

    /// `, for example <service CIDR> with dns_service_ip <its tenth address>`, or nothing.
    fn service_example(&self) -> String {
        match self.suggest_service_cidr() {
            Some(cidr) => format!(
                ", for example {cidr} with dns_service_ip {}",
                conventional_dns_ip(cidr).map_or_else(String::new, |ip| ip.to_string())
            ),
            None if !self.input.network_known => {
                "; plan proposes a free range once it has read the virtual network".to_owned()
            }
            None => String::new(),
        }
    }

    /// `finding` proposing the suggested service CIDR, and a DNS service IP inside it (the
    /// configured one would fall outside a new range).
    fn with_service_suggestion(&self, finding: Finding) -> Finding {
        match self.suggest_service_cidr() {
            Some(cidr) => match conventional_dns_ip(cidr) {
                Some(dns) => finding
                    .suggesting("service_cidr", cidr)
                    .suggesting("dns_service_ip", dns),
                None => finding,
            },
            None => finding,
        }
    }

    /// A free service CIDR of the same size (a /16 when the configured one is /12 or larger),
    /// preferring the configured range, then the private ranges; none before the network is
    /// known.
    fn suggest_service_cidr(&self) -> Option<Ipv4Net> {
        if !self.input.network_known {
            return None;
        }
        let len = match self.service.prefix_len() {
            len if len <= KUBERNETES_MIN_SERVICE_PREFIX_LEN => 16,
            len => len,
        };
        let mut pools = vec![self.service];
        pools.extend(addresses::PRIVATE_RANGES);
        addresses::first_free_block(len, &pools, &self.taken)
    }

    /// A bad DNS service IP's finding, with its fix and the address it proposes.
    fn dns_finding(&self, rule: &'static Rule, message: String, action: &str) -> Finding {
        match conventional_dns_ip(self.service) {
            Some(ip) => Finding::new(
                rule,
                "dns_service_ip",
                message,
                format!("{action}, for example {ip}"),
            )
            .suggesting("dns_service_ip", ip),
            None => Finding::new(
                rule,
                "dns_service_ip",
                message,
                format!(
                    "service_cidr {} has no address left for DNS; use a larger service_cidr",
                    self.service
                ),
            ),
        }
    }
}

/// The DNS service IP AKS's convention picks in `service`: its tenth address (`10.0.0.10` in
/// `10.0.0.0/16`), the third in tiny ranges; none in a /31 or /32.
fn conventional_dns_ip(service: Ipv4Net) -> Option<Ipv4Addr> {
    let offset = match addresses::address_count(service) {
        16.. => 10,
        4.. => 2,
        _ => return None,
    };
    Some(Ipv4Addr::from(u32::from(service.network()) + offset))
}

/// `, for example <net>` to end a fix, or nothing without a suggestion.
fn example(suggestion: Option<Ipv4Net>) -> String {
    suggestion.map_or_else(String::new, |net| format!(", for example {net}"))
}

/// The members of `nets` overlapping `net`, in order, without repeats.
fn overlapping(net: Ipv4Net, nets: &[Ipv4Net]) -> Vec<Ipv4Net> {
    let mut hits: Vec<Ipv4Net> = addresses::overlapping_pairs(&[net], nets)
        .into_iter()
        .map(|(_, j)| nets[j])
        .collect();
    dedup_in_order(&mut hits);
    hits
}

fn dedup_in_order(nets: &mut Vec<Ipv4Net>) {
    let mut seen = Vec::with_capacity(nets.len());
    nets.retain(|n| {
        let first = !seen.contains(n);
        seen.push(*n);
        first
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::CATALOGUE;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    /// A clean configuration: AKS defaults, VNet 192.168.0.0/16 with one subnet, one peering.
    fn base() -> AksNetwork {
        AksNetwork {
            service_cidr: net("10.0.0.0/16"),
            dns_service_ip: ip("10.0.0.10"),
            docker_bridge_cidr: None,
            vnet_prefixes: vec![net("192.168.0.0/16"), net("192.168.1.0/24")],
            peered_prefixes: vec![net("172.20.0.0/16")],
            network_known: true,
        }
    }

    /// `base()` with another service CIDR and the conventional DNS IP (10th address) inside it.
    fn with_service(cidr: &str) -> AksNetwork {
        let service = net(cidr);
        AksNetwork {
            service_cidr: service,
            dns_service_ip: Ipv4Addr::from(u32::from(service.network()).wrapping_add(10)),
            ..base()
        }
    }

    fn with_vnet(prefixes: &[&str]) -> AksNetwork {
        AksNetwork {
            vnet_prefixes: prefixes.iter().map(|p| net(p)).collect(),
            ..base()
        }
    }

    /// The findings of one rule; the other rules' findings are checked by their own tests.
    fn only(rule: &Rule, input: &AksNetwork) -> Vec<Finding> {
        check_aks_network(input, Profile::Current)
            .into_iter()
            .filter(|f| f.rule.id == rule.id)
            .collect()
    }

    /// Exactly one finding of `rule`, on `attribute`.
    fn one(rule: &Rule, attribute: &str, input: &AksNetwork) -> Finding {
        let mut findings = only(rule, input);
        assert_eq!(findings.len(), 1, "{} on {input:?}: {findings:?}", rule.id);
        let finding = findings.remove(0);
        assert_eq!(finding.attribute, attribute);
        finding
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn clean_configuration_has_no_findings() {
        assert_eq!(check_aks_network(&base(), Profile::Current), vec![]);
        assert_eq!(check_aks_network(&with_vnet(&[]), Profile::Current), vec![]);
    }

    #[test]
    fn rules_are_in_the_catalogue_with_expected_ids_and_severities() {
        for (rule, id, severity) in [
            (&SERVICE_CIDR_OVERLAPS_VNET, "AMLS201", Severity::Error),
            (&SERVICE_CIDR_RESERVED, "AMLS202", Severity::Error),
            (&SERVICE_CIDR_TOO_LARGE, "AMLS203", Severity::Error),
            (&SERVICE_CIDR_AT_LIMIT, "AMLS204", Severity::Warning),
            (&DNS_IP_OUTSIDE_SERVICE_CIDR, "AMLS205", Severity::Error),
            (&DNS_IP_RESERVED, "AMLS206", Severity::Error),
            (&DOCKER_BRIDGE_OVERLAPS, "AMLS207", Severity::Error),
            (&DOCKER_BRIDGE_DEPRECATED, "AMLS208", Severity::Warning),
            (&VNET_RESERVED, "AMLS209", Severity::Error),
        ] {
            assert_eq!((rule.id, rule.severity), (id, severity));
            assert!(CATALOGUE.contains(&rule), "{id} missing from CATALOGUE");
            assert!(
                ADDRESS_PLAN_RULES.contains(&rule),
                "{id} missing from ADDRESS_PLAN_RULES"
            );
        }
    }

    #[test]
    fn service_cidr_clear_of_the_vnet_passes() {
        for vnet in [
            "10.1.0.0/16",  // adjacent above
            "9.255.0.0/16", // adjacent below
            "10.1.0.0/24",
            "9.255.255.255/32",
            "11.0.0.0/8",
        ] {
            assert_eq!(
                only(&SERVICE_CIDR_OVERLAPS_VNET, &with_vnet(&[vnet])),
                vec![],
                "{vnet}"
            );
        }
    }

    #[test]
    fn service_cidr_overlapping_the_vnet_fails() {
        // (vnet prefixes, listed overlaps, suggested service CIDR)
        for (vnet, hits, suggestion) in [
            (&["10.0.0.0/8"][..], "10.0.0.0/8", "172.16.0.0/16"), // service inside the VNet
            (&["10.0.0.0/16"], "10.0.0.0/16", "10.1.0.0/16"),     // identical
            (&["10.0.5.0/24"], "10.0.5.0/24", "10.1.0.0/16"),     // VNet inside the service range
            (&["10.0.255.255/32"], "10.0.255.255/32", "10.1.0.0/16"), // last address only
            (&["10.0.0.0/32"], "10.0.0.0/32", "10.1.0.0/16"),     // first address only
            (
                &["192.168.0.0/16", "10.0.0.0/8", "10.0.1.0/24", "10.0.0.0/8"],
                "10.0.0.0/8 and 10.0.1.0/24",
                "172.16.0.0/16",
            ),
        ] {
            let f = one(
                &SERVICE_CIDR_OVERLAPS_VNET,
                "service_cidr",
                &with_vnet(vnet),
            );
            assert_eq!(
                f.message,
                format!(
                    "service_cidr 10.0.0.0/16 overlaps {hits} of the virtual network or its peerings"
                )
            );
            assert!(
                f.fix
                    .contains(&format!(", for example {suggestion} with dns_service_ip")),
                "{}",
                f.fix
            );
        }
    }

    #[test]
    fn service_cidr_suggestion_avoids_reserved_ranges_and_the_docker_bridge() {
        let input = AksNetwork {
            docker_bridge_cidr: Some(net("172.16.0.1/16")),
            ..with_vnet(&["10.0.0.0/8", "172.17.0.0/16"])
        };
        let f = one(&SERVICE_CIDR_OVERLAPS_VNET, "service_cidr", &input);
        assert!(
            f.fix
                .contains("for example 172.18.0.0/16 with dns_service_ip"),
            "{}",
            f.fix
        );
        // No free /16 anywhere: no example, but still a fix.
        let f = one(
            &SERVICE_CIDR_OVERLAPS_VNET,
            "service_cidr",
            &with_vnet(&["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
        );
        assert!(
            !f.fix.contains("for example") && f.fix.starts_with("Choose a service_cidr outside")
        );
    }

    #[test]
    fn service_cidr_clear_of_reserved_ranges_passes() {
        for service in [
            "169.253.0.0/16",
            "169.255.0.0/16",
            "172.29.0.0/16",
            "172.32.0.0/16",
            "192.0.1.0/24",
            "192.0.3.0/24",
            "10.0.0.0/12",
        ] {
            assert_eq!(
                only(&SERVICE_CIDR_RESERVED, &with_service(service)),
                vec![],
                "{service}"
            );
        }
    }

    #[test]
    fn service_cidr_in_reserved_ranges_fails() {
        for (service, relation, reserved) in [
            ("169.254.0.0/16", "is inside", "169.254.0.0/16"),
            ("172.30.0.0/16", "is inside", "172.30.0.0/16"),
            ("172.31.128.0/17", "is inside", "172.31.0.0/16"),
            ("192.0.2.0/24", "is inside", "192.0.2.0/24"),
            ("192.0.2.128/25", "is inside", "192.0.2.0/24"),
            ("192.0.0.0/22", "overlaps", "192.0.2.0/24"), // contains the reserved range
            (
                "172.30.0.0/15",
                "overlaps",
                "172.30.0.0/16 and 172.31.0.0/16",
            ),
        ] {
            let f = one(
                &SERVICE_CIDR_RESERVED,
                "service_cidr",
                &with_service(service),
            );
            assert_eq!(
                f.message,
                format!("service_cidr {service} {relation} {reserved}, reserved by AKS")
            );
            assert!(
                f.fix.starts_with(
                    "Choose a service_cidr outside 169.254.0.0/16, 172.30.0.0/16, 172.31.0.0/16 and 192.0.2.0/24"
                ),
                "{}",
                f.fix
            );
        }
        let f = one(
            &SERVICE_CIDR_RESERVED,
            "service_cidr",
            &with_service("172.30.0.0/16"),
        );
        assert!(
            f.fix
                .contains("for example 10.0.0.0/16 with dns_service_ip"),
            "{}",
            f.fix
        );
    }

    #[test]
    fn service_cidr_size_limits() {
        // (service, AMLS203 fires, AMLS204 fires)
        for (service, too_large, at_limit) in [
            ("10.0.0.0/8", true, false),
            ("10.0.0.0/11", true, false),
            ("10.0.0.0/12", false, true),
            ("10.0.0.0/13", false, false),
            ("10.0.0.0/16", false, false),
            ("10.0.0.0/24", false, false),
        ] {
            let input = with_service(service);
            assert_eq!(
                only(&SERVICE_CIDR_TOO_LARGE, &input).len(),
                usize::from(too_large),
                "{service}"
            );
            assert_eq!(
                only(&SERVICE_CIDR_AT_LIMIT, &input).len(),
                usize::from(at_limit),
                "{service}"
            );
        }
        let f = one(
            &SERVICE_CIDR_TOO_LARGE,
            "service_cidr",
            &with_service("10.0.0.0/11"),
        );
        assert_eq!(
            f.message,
            "service_cidr 10.0.0.0/11 is a /11 with 2097152 addresses; Kubernetes accepts at most a /12 (1048576 addresses)"
        );
        // The suggestion is a /16 inside the configured range.
        assert!(
            f.fix.starts_with("Use a /13 or smaller")
                && f.fix
                    .contains("for example 10.0.0.0/16 with dns_service_ip"),
            "{}",
            f.fix
        );
        let f = one(
            &SERVICE_CIDR_AT_LIMIT,
            "service_cidr",
            &with_service("10.16.0.0/12"),
        );
        assert!(
            f.message.contains("10.16.0.0/12 is a /12") && f.message.contains("smaller than /12")
        );
        assert!(
            f.fix
                .contains("for example 10.16.0.0/16 with dns_service_ip"),
            "{}",
            f.fix
        );
        assert_eq!(f.rule.severity, Severity::Warning);
    }

    fn with_dns(service: &str, dns: &str) -> AksNetwork {
        AksNetwork {
            dns_service_ip: ip(dns),
            ..with_service(service)
        }
    }

    #[test]
    fn dns_ip_inside_and_ordinary_passes() {
        for (service, dns) in [
            ("10.0.0.0/16", "10.0.0.2"),
            ("10.0.0.0/16", "10.0.0.10"),
            ("10.0.0.0/16", "10.0.255.254"),
            ("10.0.4.0/22", "10.0.4.2"),
            ("10.0.4.0/22", "10.0.7.254"),
            ("10.0.0.0/30", "10.0.0.2"),
        ] {
            let findings = check_aks_network(&with_dns(service, dns), Profile::Current);
            assert_eq!(findings, vec![], "{service} {dns}");
        }
    }

    #[test]
    fn dns_ip_outside_service_cidr_fails() {
        for (service, dns, range, suggestion) in [
            (
                "10.0.0.0/16",
                "10.1.0.10",
                "10.0.0.0 to 10.0.255.255",
                "10.0.0.10",
            ),
            (
                "10.0.0.0/16",
                "10.1.0.0",
                "10.0.0.0 to 10.0.255.255",
                "10.0.0.10",
            ), // just above
            (
                "10.0.0.0/16",
                "9.255.255.255",
                "10.0.0.0 to 10.0.255.255",
                "10.0.0.10",
            ), // just below
            (
                "10.0.4.0/22",
                "10.0.8.10",
                "10.0.4.0 to 10.0.7.255",
                "10.0.4.10",
            ),
            (
                "10.0.0.0/28",
                "10.0.0.16",
                "10.0.0.0 to 10.0.0.15",
                "10.0.0.10",
            ),
            (
                "10.0.0.0/29",
                "10.0.0.8",
                "10.0.0.0 to 10.0.0.7",
                "10.0.0.2",
            ),
        ] {
            let input = with_dns(service, dns);
            let f = one(&DNS_IP_OUTSIDE_SERVICE_CIDR, "dns_service_ip", &input);
            assert_eq!(
                f.message,
                format!("dns_service_ip {dns} is outside service_cidr {service} ({range})")
            );
            assert_eq!(
                f.fix,
                format!("Choose an address inside service_cidr, for example {suggestion}")
            );
            assert_eq!(
                ids(&check_aks_network(&input, Profile::Current)),
                vec!["AMLS205"],
                "outside is not also reserved"
            );
        }
    }

    #[test]
    fn dns_ip_on_reserved_addresses_fails() {
        for (service, dns, role, fix) in [
            (
                "10.0.0.0/16",
                "10.0.0.0",
                "the network address",
                "for example 10.0.0.10",
            ),
            (
                "10.0.0.0/16",
                "10.0.0.1",
                "the first address",
                "for example 10.0.0.10",
            ),
            (
                "10.0.0.0/16",
                "10.0.255.255",
                "the broadcast address",
                "for example 10.0.0.10",
            ),
            (
                "10.0.4.0/22",
                "10.0.4.0",
                "the network address",
                "for example 10.0.4.10",
            ),
            (
                "10.0.4.0/22",
                "10.0.4.1",
                "the first address",
                "for example 10.0.4.10",
            ),
            (
                "10.0.4.0/22",
                "10.0.7.255",
                "the broadcast address",
                "for example 10.0.4.10",
            ),
            (
                "10.0.0.0/30",
                "10.0.0.3",
                "the broadcast address",
                "for example 10.0.0.2",
            ),
            (
                "10.0.0.0/31",
                "10.0.0.1",
                "the first address",
                "no address left for DNS",
            ),
            (
                "10.0.0.0/32",
                "10.0.0.0",
                "the network address",
                "no address left for DNS",
            ),
            (
                "255.255.255.255/32",
                "255.255.255.255",
                "the network address",
                "no address left for DNS",
            ),
        ] {
            let f = one(&DNS_IP_RESERVED, "dns_service_ip", &with_dns(service, dns));
            assert!(
                f.message
                    .starts_with(&format!("dns_service_ip {dns} is {role}")),
                "{}",
                f.message
            );
            assert!(
                f.message.ends_with(&format!("of service_cidr {service}")),
                "{}",
                f.message
            );
            assert!(f.fix.contains(fix), "{}", f.fix);
        }
    }

    fn with_bridge(bridge: &str, vnet: &[&str]) -> AksNetwork {
        AksNetwork {
            docker_bridge_cidr: Some(net(bridge)),
            ..with_vnet(vnet)
        }
    }

    #[test]
    fn docker_bridge_clear_of_everything_only_warns() {
        for (bridge, vnet) in [
            ("172.17.0.1/16", &["192.168.0.0/16"][..]),
            ("10.1.0.1/16", &["192.168.0.0/16"]), // adjacent above the service CIDR
            ("9.255.0.1/16", &["192.168.0.0/16"]), // adjacent below the service CIDR
            ("172.17.0.1/16", &["172.16.0.0/16", "172.18.0.0/16"]), // between two VNet ranges
        ] {
            let findings = check_aks_network(&with_bridge(bridge, vnet), Profile::Current);
            assert_eq!(ids(&findings), vec!["AMLS208"], "{bridge}");
            assert_eq!(findings[0].attribute, "docker_bridge_cidr");
            assert_eq!(findings[0].rule.severity, Severity::Warning);
            assert!(
                findings[0]
                    .message
                    .starts_with(&format!("docker_bridge_cidr {bridge} is set"))
            );
            assert!(findings[0].message.contains("2023-04-01"));
            assert_eq!(findings[0].fix, "Remove docker_bridge_cidr");
            // The 2019 guidance asks for the address: no deprecation under it.
            assert_eq!(
                check_aks_network(&with_bridge(bridge, vnet), Profile::Seed),
                vec![],
                "{bridge}"
            );
        }
        // An overlapping bridge breaks both profiles' rule.
        let clash = with_bridge("192.168.0.1/16", &["192.168.0.0/16"]);
        assert_eq!(ids(&check_aks_network(&clash, Profile::Seed)), ["AMLS207"]);
        assert_eq!(
            ids(&check_aks_network(&clash, Profile::Current)),
            ["AMLS207", "AMLS208"]
        );
    }

    fn capacity(prefix: &str, in_use: u64) -> SubnetCapacity {
        super::super::subnet::subnet_capacity(&[net(prefix)], in_use).unwrap()
    }

    #[test]
    fn azure_cni_needs_an_address_per_node_and_pod_with_one_node_spare() {
        /// Subnet, in use, nodes, max pods, expected: None or (needed, suggested nodes).
        type Case = (&'static str, u64, u64, u64, Option<(u64, Option<u64>)>);
        let cases: &[Case] = &[
            // 3 nodes: (3 + 1) × 31 = 124 addresses; a /25 has 123 usable.
            ("10.0.8.0/25", 0, 3, 30, Some((124, Some(2)))),
            ("10.0.8.0/24", 0, 3, 30, None),
            ("10.0.8.0/24", 127, 3, 30, None), // 251 - 127 = 124 free, exactly enough
            ("10.0.8.0/24", 128, 3, 30, Some((124, Some(2)))),
            ("10.0.8.0/22", 0, 31, 30, None), // 32 × 31 = 992 of 1019
            ("10.0.8.0/28", 0, 1, 30, Some((62, None))), // 11 free: not even one node
            ("10.0.8.0/24", 0, 10, 110, Some((1221, Some(1)))), // kubenet-sized pods
        ];
        for &(prefix, in_use, nodes, pods, expected) in cases {
            let needed = (nodes + 1) * (pods + 1);
            let found = check_cni_capacity(&capacity(prefix, in_use), nodes, pods, "agent_count");
            let free = capacity(prefix, in_use).free;
            match expected {
                None if free >= needed => assert_eq!(found, None, "{prefix} {nodes}"),
                None => assert!(found.is_some(), "{prefix}: {needed} > {free}"),
                Some((want, suggested)) => {
                    let f = found.unwrap_or_else(|| panic!("{prefix} {nodes}: no finding"));
                    assert_eq!(want, needed);
                    assert_eq!((f.rule.id, f.attribute), ("AMLS211", "agent_count"));
                    assert!(
                        f.message.contains(&format!(
                            "({nodes} + 1) + ({nodes} + 1) × {pods} = {needed} addresses"
                        )),
                        "{}",
                        f.message
                    );
                    assert_eq!(
                        f.suggestions.first().map(|s| s.value.clone()),
                        suggested.map(|n| n.to_string()),
                        "{prefix}"
                    );
                    // The suggested count fits.
                    if let Some(n) = suggested {
                        assert!((n + 1) * (pods + 1) <= free);
                        assert_eq!(
                            check_cni_capacity(&capacity(prefix, in_use), n, pods, "agent_count"),
                            None
                        );
                    }
                }
            }
        }
        let f = check_cni_capacity(&capacity("10.0.8.0/25", 0), 3, 30, "agent_count").unwrap();
        assert_eq!(
            f.message,
            "Azure CNI gives every node and each of its up to 30 pods an address of the subnet, for the 3 nodes and one more during upgrades: (3 + 1) + (3 + 1) × 30 = 124 addresses, and subnet 10.0.8.0/25 has 128: 5 reserved by Azure, 0 in use and 123 free"
        );
        assert_eq!(
            f.fix,
            "Use a /24 or larger subnet, or lower agent_count to 2"
        );
        assert!(CNI_SUBNET_CAPACITY.applies_under(Profile::Current));
        assert!(!CNI_SUBNET_CAPACITY.applies_under(Profile::Seed));
    }

    #[test]
    fn docker_bridge_overlaps_fail() {
        for (bridge, vnet, overlaps, suggestion) in [
            (
                "192.168.0.1/16",
                &["192.168.0.0/16", "192.168.1.0/24"][..],
                "192.168.0.0/16 and 192.168.1.0/24 of the virtual network or its peerings",
                "172.17.0.1/16",
            ),
            (
                "10.0.0.1/24",
                &["192.168.0.0/16"],
                "service_cidr 10.0.0.0/16",
                "172.17.0.1/16",
            ),
            (
                "10.0.0.1/8",
                &["192.168.0.0/16"],
                "service_cidr 10.0.0.0/16",
                "172.17.0.1/16",
            ), // contains the service range
            (
                "172.17.0.1/16",
                &["172.17.128.0/24"],
                "172.17.128.0/24 of the virtual network or its peerings",
                "10.1.0.0/16", // the default collides: next free /16
            ),
        ] {
            let input = with_bridge(bridge, vnet);
            let f = one(&DOCKER_BRIDGE_OVERLAPS, "docker_bridge_cidr", &input);
            assert_eq!(
                f.message,
                format!("docker_bridge_cidr {bridge} overlaps {overlaps}")
            );
            assert!(f.fix.starts_with("Remove docker_bridge_cidr"), "{}", f.fix);
            assert!(
                f.fix.ends_with(&format!("for example {suggestion}")),
                "{}",
                f.fix
            );
            assert_eq!(only(&DOCKER_BRIDGE_DEPRECATED, &input).len(), 1);
        }
        let f = one(
            &DOCKER_BRIDGE_OVERLAPS,
            "docker_bridge_cidr",
            &with_bridge("10.0.0.1/16", &["10.0.0.0/8"]),
        );
        assert_eq!(
            f.message,
            "docker_bridge_cidr 10.0.0.1/16 overlaps 10.0.0.0/8 of the virtual network or its peerings \
             and service_cidr 10.0.0.0/16"
        );
    }

    #[test]
    fn vnet_clear_of_reserved_ranges_passes() {
        for vnet in [
            "172.29.0.0/16",
            "172.32.0.0/16",
            "169.253.0.0/16",
            "192.0.3.0/24",
            "192.0.1.0/24",
        ] {
            assert_eq!(only(&VNET_RESERVED, &with_vnet(&[vnet])), vec![], "{vnet}");
        }
    }

    #[test]
    fn vnet_in_reserved_ranges_fails() {
        for (vnet, message) in [
            (
                &["172.30.0.0/16", "172.30.1.0/24", "192.168.0.0/16"][..],
                "172.30.0.0/16 and 172.30.1.0/24 of the virtual network or its peerings overlap 172.30.0.0/16",
            ),
            (
                &["172.16.0.0/12"],
                "172.16.0.0/12 of the virtual network or its peerings overlaps 172.30.0.0/16 and 172.31.0.0/16",
            ),
            (
                &["192.0.2.64/26"],
                "192.0.2.64/26 of the virtual network or its peerings overlaps 192.0.2.0/24",
            ),
        ] {
            let f = one(&VNET_RESERVED, "subnet_id", &with_vnet(vnet));
            assert_eq!(f.message, format!("{message}, reserved by AKS"));
            assert!(f.fix.contains("172.30.0.0/16"), "{}", f.fix);
        }
    }

    #[test]
    fn findings_come_in_catalogue_order_regardless_of_input_order() {
        let mut input = AksNetwork {
            service_cidr: net("172.0.0.0/11"),
            dns_service_ip: ip("172.0.0.1"),
            docker_bridge_cidr: Some(net("172.17.0.1/16")),
            vnet_prefixes: vec![
                net("172.20.0.0/16"),
                net("192.0.2.0/24"),
                net("192.168.0.0/16"),
            ],
            peered_prefixes: Vec::new(),
            network_known: true,
        };
        let expected = [
            "AMLS201", "AMLS202", "AMLS203", "AMLS206", "AMLS207", "AMLS208", "AMLS209",
        ];
        let first = check_aks_network(&input, Profile::Current);
        assert_eq!(ids(&first), expected);
        assert_eq!(check_aks_network(&input, Profile::Current), first);
        input.vnet_prefixes.reverse();
        assert_eq!(ids(&check_aks_network(&input, Profile::Current)), expected);
    }

    #[test]
    fn display_reads_as_id_problem_fix() {
        let f = one(
            &SERVICE_CIDR_OVERLAPS_VNET,
            "service_cidr",
            &with_vnet(&["10.0.0.0/8"]),
        );
        assert_eq!(
            f.to_string(),
            "AMLS201: service_cidr 10.0.0.0/16 overlaps 10.0.0.0/8 of the virtual network or its peerings. \
             Choose a service_cidr outside every range of the virtual network, its peerings and on-premises \
             networks, for example 172.16.0.0/16 with dns_service_ip 172.16.0.10."
        );
    }

    fn any_net() -> impl Strategy<Value = Ipv4Net> {
        (any::<u32>(), 0u8..=32)
            .prop_map(|(addr, len)| Ipv4Net::new(Ipv4Addr::from(addr), len).unwrap())
    }

    proptest! {
        #[test]
        fn any_input_gives_sorted_catalogued_findings(
            service in any_net(),
            dns in any::<u32>(),
            bridge in proptest::option::of(any_net()),
            vnet in proptest::collection::vec(any_net(), 0..5),
        ) {
            let input = AksNetwork {
                service_cidr: service.trunc(),
                dns_service_ip: Ipv4Addr::from(dns),
                docker_bridge_cidr: bridge,
                vnet_prefixes: vnet,
                peered_prefixes: Vec::new(),
                network_known: true,
            };
            let findings = check_aks_network(&input, Profile::Current);
            let ids = ids(&findings);
            prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
            prop_assert!(findings.iter().all(|f| CATALOGUE.contains(&f.rule)));
            prop_assert_eq!(
                ids.contains(&"AMLS205"),
                !input.service_cidr.contains(&input.dns_service_ip)
            );
            prop_assert_eq!(ids.contains(&"AMLS208"), bridge.is_some());
        }
    }

    /// `input` with a finding's suggestions applied.
    fn applied(input: &AksNetwork, finding: &Finding) -> AksNetwork {
        let mut changed = input.clone();
        for suggestion in &finding.suggestions {
            match suggestion.attribute.as_str() {
                "service_cidr" => changed.service_cidr = net(&suggestion.value),
                "dns_service_ip" => changed.dns_service_ip = ip(&suggestion.value),
                "docker_bridge_cidr" => changed.docker_bridge_cidr = Some(net(&suggestion.value)),
                other => panic!("{} suggests unknown attribute {other}", finding.rule.id),
            }
        }
        changed
    }

    /// Networks of the shapes users have: private ranges, a few subnets and peerings.
    fn private_net() -> impl Strategy<Value = Ipv4Net> {
        prop_oneof![
            (0u32..=255, 8u8..=24).prop_map(|(b, len)| Ipv4Net::new(
                Ipv4Addr::new(10, b as u8, 0, 0),
                len
            )
            .unwrap()
            .trunc()),
            (16u8..=31, 12u8..=24).prop_map(|(b, len)| Ipv4Net::new(
                Ipv4Addr::new(172, b, 0, 0),
                len
            )
            .unwrap()
            .trunc()),
            (0u32..=255, 16u8..=24).prop_map(|(b, len)| Ipv4Net::new(
                Ipv4Addr::new(192, 168, b as u8, 0),
                len
            )
            .unwrap()
            .trunc()),
            Just(net("169.254.0.0/16")),
            Just(net("192.0.2.0/24")),
        ]
    }

    #[test]
    fn a_peering_in_a_reserved_range_is_no_concern_of_the_cluster() {
        let input = AksNetwork {
            peered_prefixes: vec![net("172.16.0.0/12")],
            ..base()
        };
        assert_eq!(only(&VNET_RESERVED, &input), vec![]);
        let own = with_vnet(&["172.16.0.0/12"]);
        assert_eq!(ids(&only(&VNET_RESERVED, &own)), ["AMLS209"]);
    }

    #[test]
    fn before_the_network_is_read_no_fix_proposes_a_range() {
        // At validate the network is unknown: a suggested range could collide with it.
        let input = AksNetwork {
            network_known: false,
            vnet_prefixes: Vec::new(),
            peered_prefixes: Vec::new(),
            ..with_service("172.30.0.0/16")
        };
        let f = one(&SERVICE_CIDR_RESERVED, "service_cidr", &input);
        assert!(f.suggestions.is_empty());
        assert!(f.fix.contains("plan proposes a free range"), "{}", f.fix);
    }

    #[test]
    fn a_proposed_service_range_comes_with_a_dns_address_inside_it() {
        // The case: 10.0.0.0/24 inside a VNet of 10.0.0.0/16 would break AMLS201.
        let input = AksNetwork {
            vnet_prefixes: vec![net("10.0.0.0/16"), net("10.0.1.0/24")],
            peered_prefixes: Vec::new(),
            ..with_service("172.31.0.0/24")
        };
        let f = one(&SERVICE_CIDR_RESERVED, "service_cidr", &input);
        let attributes: Vec<&str> = f.suggestions.iter().map(|s| s.attribute.as_str()).collect();
        assert_eq!(attributes, ["service_cidr", "dns_service_ip"]);
        let proposed = net(&f.suggestions[0].value);
        assert!(
            !addresses::overlaps(proposed, net("10.0.0.0/16")),
            "{proposed} is in the VNet"
        );
        assert!(
            f.fix
                .contains(&format!("for example {proposed} with dns_service_ip"))
        );
        assert!(check_aks_network(&applied(&input, &f), Profile::Current).is_empty());
    }

    proptest! {
        /// Every value a fix proposes, applied, passes the rules about what it changes and
        /// brings no new finding, against the same network.
        #[test]
        fn proposed_values_pass_every_rule_against_the_same_network(
            service in private_net(),
            dns_offset in 0u32..300,
            bridge in proptest::option::of(private_net()),
            vnet in proptest::collection::vec(private_net(), 1..4),
            peered in proptest::collection::vec(private_net(), 0..3),
        ) {
            let service = if service.prefix_len() > 30 { service.supernet().unwrap() } else { service };
            let input = AksNetwork {
                service_cidr: service,
                dns_service_ip: Ipv4Addr::from(u32::from(service.network()).wrapping_add(dns_offset)),
                docker_bridge_cidr: bridge,
                vnet_prefixes: vnet,
                peered_prefixes: peered,
                network_known: true,
            };
            let before = check_aks_network(&input, Profile::Current);
            for finding in before.iter().filter(|f| !f.suggestions.is_empty()) {
                let after = check_aks_network(&applied(&input, finding), Profile::Current);
                let touched: Vec<&str> =
                    finding.suggestions.iter().map(|s| s.attribute.as_str()).collect();
                for left in &after {
                    prop_assert!(
                        !(touched.contains(&left.attribute) && left.severity() == Severity::Error),
                        "{} proposed {:?}, still {}: {}", finding.rule.id, finding.suggestions,
                        left.rule.id, left.message
                    );
                    prop_assert!(
                        before.iter().any(|b| b.rule == left.rule),
                        "{} proposed {:?}, which brings {}: {}", finding.rule.id,
                        finding.suggestions, left.rule.id, left.message
                    );
                }
            }
        }
    }
}
