//! The NSG rules of the 2019 seed guidance (REFERENCE §10 rules 12, 15 and 22; rule shapes in
//! §7.3), checked with the [evaluation model](super::evaluation). Those of a compute cluster's
//! subnet apply under `guidance = "2019"` ([`super::current`] has today's); those of AKS and of
//! attached machines under both profiles.
//!
//! A subnet without an NSG gets no finding: Azure Batch puts its own NSGs on the nodes' network
//! interfaces, and the seed says subnet NSGs are optional ("Required ports").

use crate::rules::addresses::Ipv4Net;
use crate::rules::{Applies, Finding, Rule, Severity, join_and, sources};

use super::evaluation::{
    Access, Clients, Decision, Direction, MAX_PRIORITY, MIN_PRIORITY, NetworkSecurityGroup,
    Outcome, PortRange, Protocol, Remote, RuleRef, ServiceTag, Traffic, Uncertainty, Verdict,
    decide, evaluate,
};
use crate::rules::seed_section;

/// REFERENCE §10 rule 12; the seed: "The subnet must allow inbound communication from the Batch
/// service", TCP 29876 and 29877 from `BatchNodeManagement`.
pub static BATCH_INBOUND_BLOCKED: Rule = Rule {
    id: "AMLS111",
    title: "Subnet network security group blocks inbound TCP 29876-29877 from BatchNodeManagement",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// [`BATCH_INBOUND_BLOCKED`] when an IP-range rule, or another rule that may cover only part of
/// the traffic, decides it ([`Outcome::Uncertain`]).
pub static BATCH_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS112",
    title: "Whether the subnet network security group allows inbound TCP 29876-29877 from BatchNodeManagement cannot be checked offline",
    seed_section: seed_section::REQUIRED_PORTS,
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
    seed_section: seed_section::LIMIT_OUTBOUND,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// [`OUTBOUND_SERVICE_BLOCKED`] when the deciding rule may cover only part of the traffic.
pub static OUTBOUND_SERVICE_UNCERTAIN: Rule = Rule {
    id: "AMLS114",
    title: "Whether the subnet network security group allows outbound TCP 443 to Azure Storage, Container Registry or Machine Learning cannot be checked offline",
    seed_section: seed_section::LIMIT_OUTBOUND,
    applies: Applies::Seed,
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 12; the seed lists "Outbound traffic on any port to the virtual
/// network" among the required ports. Checked for TCP and UDP on every port, to the virtual
/// network's address space.
pub static VNET_OUTBOUND_BLOCKED: Rule = Rule {
    id: "AMLS115",
    title: "Subnet network security group blocks outbound traffic from the compute nodes to the virtual network",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// [`VNET_OUTBOUND_BLOCKED`] when the deciding rule names only part of the virtual network.
pub static VNET_OUTBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS116",
    title: "Subnet network security group may block outbound traffic from the compute nodes to part of the virtual network",
    seed_section: seed_section::REQUIRED_PORTS,
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
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// [`SSH_PUBLIC_BLOCKED`] when the deciding rule may cover only part of the sources.
pub static SSH_PUBLIC_UNCERTAIN: Rule = Rule {
    id: "AMLS118",
    title: "Whether the subnet network security group lets SSH in from the compute cluster's sources cannot be checked offline",
    seed_section: seed_section::REQUIRED_PORTS,
    applies: Applies::Seed,
    severity: Severity::Warning,
};

/// The seed, for AKS: "Keep the default outbound rules for the NSG." Checked as what those
/// rules let through: the virtual network on any TCP or UDP port, and the Internet on TCP 443
/// (AKS's API server, registries and Azure ML); a warning, since the seed gives advice here.
pub static AKS_OUTBOUND_CHANGED: Rule = Rule {
    id: "AMLS223",
    title: "AKS subnet network security group denies outbound traffic that the default outbound rules allow",
    seed_section: seed_section::AKS,
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
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Error,
};

/// [`SCORING_INBOUND_BLOCKED`] when the deciding rule may cover only part of the clients.
pub static SCORING_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS225",
    title: "Whether the AKS subnet network security group lets the configured clients reach the scoring endpoint cannot be checked offline",
    seed_section: seed_section::AKS,
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
    seed_section: seed_section::VM_OR_HDINSIGHT,
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
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Error,
};

/// [`AKS_INBOUND_BLOCKED`] when only rules that may cover part of the traffic allow it.
pub static AKS_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS222",
    title: "Whether the AKS subnet network security group allows inbound TCP from AzureMachineLearning cannot be checked offline",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 15; the seed: allow the SSH port (usually 22) from service tag
/// `AzureMachineLearning` to the virtual machine or HDInsight cluster.
pub static SSH_INBOUND_BLOCKED: Rule = Rule {
    id: "AMLS301",
    title: "Network security group blocks the SSH port from AzureMachineLearning to the virtual machine or HDInsight cluster",
    seed_section: seed_section::VM_OR_HDINSIGHT,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// [`SSH_INBOUND_BLOCKED`] when the deciding rule may cover only part of the traffic.
pub static SSH_INBOUND_UNCERTAIN: Rule = Rule {
    id: "AMLS302",
    title: "Whether the network security group allows the SSH port from AzureMachineLearning cannot be checked offline",
    seed_section: seed_section::VM_OR_HDINSIGHT,
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
        // The fix names the global tag: Batch's addresses in every region are let in.
        fix_remote: "service tag BatchNodeManagement".to_owned(),
        ..Requirement::service(
            (&BATCH_INBOUND_BLOCKED, &BATCH_INBOUND_UNCERTAIN),
            "subnet_id",
            Direction::Inbound,
            BATCH_PORTS,
            ServiceTag::new("BatchNodeManagement", Some(region)),
            subnet,
            "Azure Batch uses these ports to schedule work on the compute nodes",
        )
    };
    let mut findings = inbound.check_all_ports(nsg);
    findings.extend(outbound_services(
        nsg,
        (&OUTBOUND_SERVICE_BLOCKED, &OUTBOUND_SERVICE_UNCERTAIN),
        "subnet_id",
        subnet,
        region,
        "the compute nodes need this service even when outbound Internet access is denied",
    ));
    findings.sort_by_key(|f| f.rule.id);
    findings
}

/// [`AKS_INBOUND_BLOCKED`] and [`AKS_INBOUND_UNCERTAIN`] for the NSG of an AKS cluster's
/// subnet: some TCP port from `AzureMachineLearning` must be allowed. No NSG, no finding.
pub fn check_aks_nsg(nsg: Option<&NetworkSecurityGroup>, subnet: &[Ipv4Net]) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    Requirement::service(
        (&AKS_INBOUND_BLOCKED, &AKS_INBOUND_UNCERTAIN),
        "subnet_id",
        Direction::Inbound,
        PortRange::ALL,
        ServiceTag::new("AzureMachineLearning", None),
        subnet,
        "Azure Machine Learning must reach the cluster to manage it",
    )
    .check_some_port(nsg)
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
    Requirement::service(
        (&SSH_INBOUND_BLOCKED, &SSH_INBOUND_UNCERTAIN),
        "resource_id",
        Direction::Inbound,
        PortRange::single(ssh_port),
        ServiceTag::new("AzureMachineLearning", None),
        addresses,
        "Azure Machine Learning connects to the machine over SSH",
    )
    .check_all_ports(nsg)
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
        nsg,
        (&VNET_OUTBOUND_BLOCKED, &VNET_OUTBOUND_UNCERTAIN),
        "subnet_id",
        subnet,
        space,
        "the nodes reach each other and the rest of the virtual network on any port, one of the required ports",
    )
}

/// `addresses` must reach the virtual network (`space`) on every TCP and UDP port, as Azure's
/// default outbound rules let them; one finding tells of both protocols.
fn vnet_outbound(
    nsg: &NetworkSecurityGroup,
    (blocked, uncertain): (&'static Rule, &'static Rule),
    attribute: &'static str,
    addresses: &[Ipv4Net],
    space: &[Ipv4Net],
    purpose: &'static str,
) -> Vec<Finding> {
    Requirement {
        blocked,
        uncertain,
        attribute,
        traffic: Traffic {
            direction: Direction::Outbound,
            protocol: Protocol::Tcp,
            ports: PortRange::ALL,
            remote: Remote::VirtualNetwork(space.to_vec()),
            subnet: addresses.to_vec(),
            public_frontend: false,
        },
        fix_remote: "service tag VirtualNetwork".to_owned(),
        purpose,
    }
    .check_protocols(nsg, &[Protocol::Tcp, Protocol::Udp])
}

/// `addresses` must reach the services the seed keeps open when outbound traffic is limited,
/// each on TCP 443: `Storage.<region>`, `AzureContainerRegistry.<region>` and
/// `AzureMachineLearning`. A finding for each service that is not let through.
fn outbound_services(
    nsg: &NetworkSecurityGroup,
    rules: (&'static Rule, &'static Rule),
    attribute: &'static str,
    addresses: &[Ipv4Net],
    region: &str,
    purpose: &'static str,
) -> Vec<Finding> {
    let services = [
        ServiceTag::new("Storage", Some(region)),
        ServiceTag::new("AzureContainerRegistry", Some(region)),
        ServiceTag::new("AzureMachineLearning", None),
    ];
    (services.into_iter())
        .flat_map(|service| {
            Requirement::service(
                rules,
                attribute,
                Direction::Outbound,
                PortRange::single(HTTPS_PORT),
                service,
                addresses,
                purpose,
            )
            .check_all_ports(nsg)
        })
        .collect()
}

/// [`SSH_PUBLIC_BLOCKED`] and [`SSH_PUBLIC_UNCERTAIN`] for a compute cluster whose nodes
/// accept SSH on their public addresses: the subnet NSG must let TCP 22 in from `sources`
/// (see [`client_sources`](super::client_sources); any public address when none are
/// configured). Findings point at `attribute`. No NSG, no finding.
pub fn check_compute_ssh_inbound(
    nsg: Option<&NetworkSecurityGroup>,
    subnet: &[Ipv4Net],
    sources: &Remote,
    attribute: &'static str,
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    Requirement::clients(
        (&SSH_PUBLIC_BLOCKED, &SSH_PUBLIC_UNCERTAIN),
        attribute,
        sources,
        SSH_PORT,
        subnet,
        "ssh_public_access_enabled opens SSH on the nodes' public addresses, and this network security group keeps it shut",
    )
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
        nsg,
        rules,
        "subnet_id",
        subnet,
        space,
        "Azure's guidance says to keep the default outbound rules, which let the cluster reach the rest of the virtual network on any port",
    );
    findings.extend(
        Requirement::service(
            rules,
            "subnet_id",
            Direction::Outbound,
            PortRange::single(HTTPS_PORT),
            ServiceTag::new("Internet", None),
            subnet,
            "Azure's guidance says to keep the default outbound rules, which let the cluster reach the Internet, where AKS reaches its API server, container registries and Azure Machine Learning over HTTPS",
        )
        .check_all_ports(nsg),
    );
    findings
}

/// The port scoring clients call: 443 with SSL, 80 without.
pub fn scoring_port(ssl: bool) -> u16 {
    if ssl { HTTPS_PORT } else { HTTP_PORT }
}

/// [`SCORING_INBOUND_BLOCKED`] and [`SCORING_INBOUND_UNCERTAIN`] for the NSG of an AKS
/// cluster's subnet: clients at `sources` (see [`client_sources`](super::client_sources))
/// must reach the scoring endpoint on TCP `port` ([`scoring_port`]), whether the rules name
/// the subnet or the public load balancer in front of it. No NSG, no finding.
pub fn check_aks_scoring_inbound(
    nsg: Option<&NetworkSecurityGroup>,
    subnet: &[Ipv4Net],
    sources: &Remote,
    port: u16,
) -> Vec<Finding> {
    let Some(nsg) = nsg else {
        return Vec::new();
    };
    let purpose = if port == HTTPS_PORT {
        "the clients call the scoring endpoint on port 443, since ssl is enabled"
    } else {
        "the clients call the scoring endpoint on port 80, since ssl is not enabled"
    };
    let mut requirement = Requirement::clients(
        (&SCORING_INBOUND_BLOCKED, &SCORING_INBOUND_UNCERTAIN),
        "scoring_source_addresses",
        sources,
        port,
        subnet,
        purpose,
    );
    // The clients call the public load balancer in front of the subnet.
    requirement.traffic.public_frontend = true;
    requirement.check_all_ports(nsg)
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
        nsg,
        rules,
        "resource_id",
        addresses,
        space,
        "Azure's guidance says to keep the default outbound rules, which let the machine reach the rest of the virtual network on any port",
    );
    findings.extend(outbound_services(
        nsg,
        rules,
        "resource_id",
        addresses,
        region,
        "Azure's guidance says to keep the default outbound rules, or to limit them to Storage, Container Registry and Machine Learning, which the machine's jobs use",
    ));
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
    /// TCP `ports` between `addresses` and a public Azure service, fixed by allowing its
    /// service tag.
    fn service(
        (blocked, uncertain): (&'static Rule, &'static Rule),
        attribute: &'static str,
        direction: Direction,
        ports: PortRange,
        service: ServiceTag,
        addresses: &[Ipv4Net],
        purpose: &'static str,
    ) -> Self {
        Self {
            blocked,
            uncertain,
            attribute,
            fix_remote: format!("service tag {service}"),
            traffic: Traffic::service(direction, ports, service, addresses),
            purpose,
        }
    }

    /// TCP `port` from clients at `sources` (see [`client_sources`](super::client_sources))
    /// into `subnet`.
    fn clients(
        (blocked, uncertain): (&'static Rule, &'static Rule),
        attribute: &'static str,
        sources: &Remote,
        port: u16,
        subnet: &[Ipv4Net],
        purpose: &'static str,
    ) -> Self {
        Self {
            blocked,
            uncertain,
            attribute,
            traffic: Traffic {
                direction: Direction::Inbound,
                protocol: Protocol::Tcp,
                ports: PortRange::single(port),
                remote: sources.clone(),
                subnet: subnet.to_vec(),
                public_frontend: false,
            },
            fix_remote: clients_fix(sources),
            purpose,
        }
    }

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
    use crate::rules::nsg::SecurityRule;
    use crate::rules::nsg::testing::*;

    #[test]
    fn rules_are_in_the_catalogue_with_expected_ids_and_severities() {
        for (rule, id, severity, section) in [
            (
                &BATCH_INBOUND_BLOCKED,
                "AMLS111",
                Severity::Error,
                seed_section::REQUIRED_PORTS,
            ),
            (
                &BATCH_INBOUND_UNCERTAIN,
                "AMLS112",
                Severity::Warning,
                seed_section::REQUIRED_PORTS,
            ),
            (
                &OUTBOUND_SERVICE_BLOCKED,
                "AMLS113",
                Severity::Error,
                seed_section::LIMIT_OUTBOUND,
            ),
            (
                &OUTBOUND_SERVICE_UNCERTAIN,
                "AMLS114",
                Severity::Warning,
                seed_section::LIMIT_OUTBOUND,
            ),
            (
                &AKS_INBOUND_BLOCKED,
                "AMLS221",
                Severity::Error,
                seed_section::AKS,
            ),
            (
                &AKS_INBOUND_UNCERTAIN,
                "AMLS222",
                Severity::Warning,
                seed_section::AKS,
            ),
            (
                &SSH_INBOUND_BLOCKED,
                "AMLS301",
                Severity::Error,
                seed_section::VM_OR_HDINSIGHT,
            ),
            (
                &SSH_INBOUND_UNCERTAIN,
                "AMLS302",
                Severity::Warning,
                seed_section::VM_OR_HDINSIGHT,
            ),
        ] {
            assert_eq!(
                (rule.id, rule.severity, rule.seed_section),
                (id, severity, section)
            );
            assert!(CATALOGUE.contains(&rule), "{id} missing from CATALOGUE");
        }
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
        assert_says(
            &findings[0].message,
            "rule 'deny-all-in' (priority 200) denies TCP 29877 from BatchNodeManagement.WestEurope",
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
        assert_says(
            &findings[0].message,
            "rule 'block-ips' (priority 200) denies TCP 29876-29877 from 40.74.0.0/16 and \
                 52.0.0.0/8, and whether BatchNodeManagement.WestEurope's addresses are in them",
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
        assert_says(
            &f.message,
            "rule 'half' (priority 300) allows TCP 29876-29877 from \
                 BatchNodeManagement.WestEurope only for 10.0.1.0/25, part of the subnet \
                 10.0.1.0/24, and which addresses the nodes get is not known in advance",
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
        assert_says(
            &f.message,
            "only from source ports 1024-65535, and the source ports",
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
        assert_says(
            &findings[0].message,
            "denies UDP 1000-2000 to VirtualNetwork (10.0.0.0/16);",
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
        assert_says(
            &findings[0].message,
            "rule 'no-db' (priority 300) denies TCP on any port to 10.0.5.0/24, part of \
                 VirtualNetwork (10.0.0.0/16)",
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
        assert_says(
            &findings[0].message,
            "rule 'ssh' (priority 200) allows TCP 22 from 203.0.113.0/24 only, part of any \
                 public address",
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
        assert_says(
            &findings[0].message,
            "denies TCP 443 to Internet; Azure's guidance says to keep the default outbound rules",
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
            assert_says(&finding.message, &format!("denies TCP 443 to {service};"));
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
}
