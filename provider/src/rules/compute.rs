//! Where compute may be placed: a virtual network in the workspace's subscription and region,
//! an existing, undelegated subnet inside the network's address space, and a workspace without a
//! managed network; an AKS cluster in its network's region, on an undelegated subnet
//! (REFERENCE §10 rules 2, 6-9, 16 and 20).
//!
//! Under today's guidance (`guidance = "current"`) a compute cluster may use a network in
//! another region than the workspace's, given a workspace private endpoint it can reach (in its
//! network or one peered with it), and then runs in the network's region; a cluster without
//! public IPs needs a workspace private endpoint whatever its region.
//!
//! The facts are plain values `crate::checks` reads from ARM: subscription ids and locations
//! as ARM spells them (compared case-insensitively, locations also ignoring spaces, so
//! `West Europe` is `westeurope`), and names compared case-insensitively as Azure does.

use crate::rules::addresses::Ipv4Net;

use super::seed_section;
use super::{Applies, Finding, Profile, Rule, Severity, join_and, name_of_id, same_id, sources};

/// REFERENCE §10 rule 7; the seed: "The virtual network must be in the same subscription and
/// region as the Azure Machine Learning service workspace".
pub static VNET_OTHER_SUBSCRIPTION: Rule = Rule {
    id: "AMLS131",
    title: "Compute virtual network is in another subscription than the workspace",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 7. The seed (2019) requires the workspace's region for compute in a
/// network. Today's guidance relaxes it for compute *clusters*, which may sit in another
/// region's network given a workspace private endpoint they can reach
/// ([`CLUSTER_REGION_UNREACHABLE`]), but not for compute instances ([`check_instance_region`]).
pub static VNET_OTHER_REGION: Rule = Rule {
    id: "AMLS132",
    title: "Compute virtual network is in another region than the workspace",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// The seed's compute creation picks the subnet from the network's list; a name that is not
/// there fails at create time.
pub static SUBNET_NOT_FOUND: Rule = Rule {
    id: "AMLS133",
    title: "Compute subnet does not exist in the virtual network",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 6: compute needs a subnet without delegations.
pub static SUBNET_DELEGATED: Rule = Rule {
    id: "AMLS134",
    title: "Compute subnet is delegated to another Azure service",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 2. Azure refuses such subnets (`NetcfgInvalidSubnet`), so this guards
/// against stale or inconsistent facts rather than a configuration Azure would accept.
pub static SUBNET_OUTSIDE_VNET: Rule = Rule {
    id: "AMLS135",
    title: "Compute subnet's address range is outside the virtual network's address space",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 8: a workspace with a managed network places its compute there, not in a
/// customer network. Today's guidance: the seed predates managed networks; its compute section
/// is the closest.
pub static MANAGED_NETWORK: Rule = Rule {
    id: "AMLS136",
    title: "Workspace uses a managed virtual network, so compute cannot join a customer virtual network",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 9: a cluster without public IP addresses (`enableNodePublicIp: false`)
/// reaches the workspace through a private endpoint only.
pub static NO_PUBLIC_IP_WITHOUT_ENDPOINT: Rule = Rule {
    id: "AMLS137",
    title: "Compute cluster has no public IP addresses, and the workspace has no approved private endpoint",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 7, today's guidance: a cluster in another region's network than the
/// workspace needs a workspace private endpoint in that network or a network peered with it.
/// Replaces the seed's AMLS132 for clusters.
pub static CLUSTER_REGION_UNREACHABLE: Rule = Rule {
    id: "AMLS138",
    title: "Compute cluster's virtual network is in another region than the workspace, and no workspace private endpoint is reachable from it",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// [`CLUSTER_REGION_UNREACHABLE`] when a workspace private endpoint could not be read, so
/// where it sits is not known.
pub static CLUSTER_REGION_UNKNOWN: Rule = Rule {
    id: "AMLS139",
    title: "A workspace private endpoint could not be read, so whether the compute cluster's virtual network in another region reaches the workspace is unknown",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// Today's guidance lets a cluster use a network in another region; its nodes then run in the
/// network's region, which the cluster's `location` must name (a virtual machine joins only a
/// network of its own region).
pub static CLUSTER_LOCATION_NOT_NETWORKS: Rule = Rule {
    id: "AMLS130",
    title: "Compute cluster's location is not its virtual network's region",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 16; the seed: "The AKS instance and the Azure virtual network should be
/// in the same region".
pub static AKS_OTHER_REGION: Rule = Rule {
    id: "AMLS231",
    title: "AKS cluster is in another region than its virtual network",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Error,
};

/// REFERENCE §10 rule 20: the AKS node subnet cannot be delegated.
pub static AKS_SUBNET_DELEGATED: Rule = Rule {
    id: "AMLS232",
    title: "AKS subnet is delegated to another Azure service",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::AKS_CNI),
    severity: Severity::Error,
};

/// The AKS counterpart of [`SUBNET_NOT_FOUND`].
pub static AKS_SUBNET_NOT_FOUND: Rule = Rule {
    id: "AMLS233",
    title: "AKS subnet does not exist in the virtual network",
    seed_section: seed_section::AKS,
    applies: Applies::Both(&sources::INFERENCE_VNET),
    severity: Severity::Error,
};

/// `properties.managedNetwork.isolationMode` of the workspace; `Disabled` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IsolationMode {
    Disabled,
    AllowInternetOutbound,
    AllowOnlyApprovedOutbound,
}

impl IsolationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "Disabled",
            Self::AllowInternetOutbound => "AllowInternetOutbound",
            Self::AllowOnlyApprovedOutbound => "AllowOnlyApprovedOutbound",
        }
    }
}

/// What placement needs to know of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceFacts {
    pub subscription: String,
    pub location: String,
    pub isolation_mode: IsolationMode,
    /// `properties.privateEndpointConnections`.
    pub private_endpoints: Vec<WorkspaceEndpoint>,
}

impl WorkspaceFacts {
    /// The private endpoints whose connection the workspace approved: the only ones that
    /// carry traffic.
    pub fn approved_endpoints(&self) -> impl Iterator<Item = &WorkspaceEndpoint> {
        self.private_endpoints.iter().filter(|e| e.approved())
    }
}

/// A private endpoint connection of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceEndpoint {
    /// ARM ID of the private endpoint (`Microsoft.Network/privateEndpoints`).
    pub id: String,
    /// `privateLinkServiceConnectionState.status`: `Approved`, `Pending`, `Rejected`, ...
    pub status: String,
}

impl WorkspaceEndpoint {
    pub fn approved(&self) -> bool {
        self.status.eq_ignore_ascii_case("Approved")
    }

    /// The endpoint's name, the last segment of its ID.
    pub fn name(&self) -> &str {
        name_of_id(&self.id)
    }
}

/// One subnet of a virtual network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetFacts {
    pub name: String,
    /// `addressPrefix` and `addressPrefixes` merged.
    pub address_prefixes: Vec<Ipv4Net>,
    /// The delegations' `serviceName`s, e.g. `Microsoft.Web/serverFarms`.
    pub delegations: Vec<String>,
}

/// The virtual network holding the compute's subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VnetFacts {
    pub name: String,
    /// From the network's resource id.
    pub subscription: String,
    pub location: String,
    /// `addressSpace.addressPrefixes`.
    pub address_space: Vec<Ipv4Net>,
    pub subnets: Vec<SubnetFacts>,
}

impl VnetFacts {
    /// The subnet named `name`, compared case-insensitively.
    pub fn subnet(&self, name: &str) -> Option<&SubnetFacts> {
        self.subnets
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// Whether two ARM locations are the same region: `westeurope`, `WestEurope` and
/// `West Europe` are.
pub fn same_location(a: &str, b: &str) -> bool {
    let normal = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    normal(a) == normal(b)
}

/// The placement rules for a compute cluster in `vnet`'s subnet `subnet_name` that apply
/// under `profile`: [`VNET_OTHER_SUBSCRIPTION`] to [`MANAGED_NETWORK`], in id order (the
/// region rule only under "2019"; today's are [`check_cluster_region`] for clusters and
/// [`check_instance_region`] for compute instances). The subnet rules are skipped when the
/// subnet does not exist.
pub fn check_compute_placement(
    workspace: &WorkspaceFacts,
    vnet: &VnetFacts,
    subnet_name: &str,
    profile: Profile,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !workspace
        .subscription
        .eq_ignore_ascii_case(&vnet.subscription)
    {
        findings.push(Finding::new(
            &VNET_OTHER_SUBSCRIPTION,
            "subnet_id",
            format!(
                "virtual network '{}' is in subscription {}, the workspace in subscription {}",
                vnet.name, vnet.subscription, workspace.subscription
            ),
            format!(
                "Use a subnet of a virtual network in subscription {}",
                workspace.subscription
            ),
        ));
    }
    if profile == Profile::Seed {
        findings.extend(check_instance_region(workspace, vnet));
    }
    match vnet.subnet(subnet_name) {
        None => findings.push(not_found(&SUBNET_NOT_FOUND, vnet, subnet_name)),
        Some(subnet) => {
            findings.extend(delegated(&SUBNET_DELEGATED, vnet, subnet));
            findings.extend(outside_vnet(vnet, subnet));
        }
    }
    if profile == Profile::Current && workspace.isolation_mode != IsolationMode::Disabled {
        findings.push(Finding::new(
            &MANAGED_NETWORK,
            "subnet_id",
            format!(
                "the workspace has a managed virtual network (isolation mode {}), and its compute \
                 runs there, not in subnet '{subnet_name}' of virtual network '{}'",
                workspace.isolation_mode.as_str(),
                vnet.name
            ),
            "Remove subnet_id to run the compute in the workspace's managed network, or use a \
             workspace whose managed network isolation mode is Disabled",
        ));
    }
    findings
}

/// [`VNET_OTHER_REGION`]: the network in the workspace's region, as the 2019 guidance asks of
/// all compute and today's of compute instances.
pub fn check_instance_region(workspace: &WorkspaceFacts, vnet: &VnetFacts) -> Option<Finding> {
    (!same_location(&workspace.location, &vnet.location)).then(|| {
        Finding::new(
            &VNET_OTHER_REGION,
            "subnet_id",
            format!(
                "virtual network '{}' is in {}, the workspace in {}",
                vnet.name, vnet.location, workspace.location
            ),
            format!(
                "Use a subnet of a virtual network in {}",
                workspace.location
            ),
        )
    })
}

/// [`NO_PUBLIC_IP_WITHOUT_ENDPOINT`] for a cluster without public IP addresses
/// (`public_ip` false) of a workspace without an approved private endpoint.
pub fn check_private_endpoint(workspace: &WorkspaceFacts, public_ip: bool) -> Option<Finding> {
    if public_ip || workspace.approved_endpoints().next().is_some() {
        return None;
    }
    let found = match workspace.private_endpoints.as_slice() {
        [] => "the workspace has no private endpoint".to_owned(),
        endpoints => {
            let listed: Vec<String> = endpoints
                .iter()
                .map(|e| format!("'{}' ({})", e.name(), e.status))
                .collect();
            format!(
                "the workspace's private {} {} not approved",
                if endpoints.len() == 1 {
                    "endpoint"
                } else {
                    "endpoints"
                },
                if endpoints.len() == 1 {
                    format!("{} is", listed[0])
                } else {
                    format!("{} are", join_and(&listed))
                }
            )
        }
    };
    Some(Finding::new(
        &NO_PUBLIC_IP_WITHOUT_ENDPOINT,
        "node_public_ip_enabled",
        format!(
            "node_public_ip_enabled is false, so the nodes reach the workspace only through a private endpoint, and {found}"
        ),
        "Give the workspace an approved private endpoint in the cluster's virtual network (or one peered with it), or set node_public_ip_enabled = true",
    ))
}

/// Where one of the workspace's approved private endpoints sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointNetwork {
    /// The endpoint's name.
    pub endpoint: String,
    /// ARM ID of its virtual network; `Err` says why it is not known (the endpoint could not
    /// be read).
    pub network: Result<String, String>,
}

/// Today's region rule for a cluster ([`CLUSTER_REGION_UNREACHABLE`],
/// [`CLUSTER_REGION_UNKNOWN`]): a cluster whose network `vnet` is in another region than the
/// workspace must reach a workspace private endpoint, one of `endpoints` in `reachable` (the
/// ARM IDs of its own network and the networks connected to it by peering, compared without
/// regard to case).
pub fn check_cluster_region(
    workspace: &WorkspaceFacts,
    vnet: &VnetFacts,
    endpoints: &[EndpointNetwork],
    reachable: &[String],
) -> Option<Finding> {
    if same_location(&workspace.location, &vnet.location) {
        return None;
    }
    let reaches = |network: &str| reachable.iter().any(|r| same_id(r, network));
    if endpoints
        .iter()
        .any(|e| e.network.as_deref().is_ok_and(reaches))
    {
        return None;
    }
    let regions = format!(
        "virtual network '{}' is in {}, the workspace in {}",
        vnet.name, vnet.location, workspace.location
    );
    let fix = format!(
        "Add a workspace private endpoint in virtual network '{}' (or peer it with the network of one), or use a subnet of a virtual network in {}",
        vnet.name, workspace.location
    );
    let unknown: Vec<String> = endpoints
        .iter()
        .filter_map(|e| {
            e.network
                .as_ref()
                .err()
                .map(|why| format!("'{}' ({why})", e.endpoint))
        })
        .collect();
    if !unknown.is_empty() {
        return Some(Finding::new(
            &CLUSTER_REGION_UNKNOWN,
            "subnet_id",
            format!(
                "{regions}, and the workspace's private {} {} could not be read, so whether the cluster reaches the workspace is unknown",
                if unknown.len() == 1 {
                    "endpoint"
                } else {
                    "endpoints"
                },
                join_and(&unknown)
            ),
            format!(
                "Let the provider's identity read the workspace's private endpoints (Microsoft.Network/privateEndpoints/read), then plan again. {fix}"
            ),
        ));
    }
    let found = if endpoints.is_empty() {
        "the workspace has no approved private endpoint".to_owned()
    } else {
        let listed: Vec<String> = endpoints
            .iter()
            .map(|e| {
                let network = e.network.as_deref().unwrap_or_default();
                let name = name_of_id(network);
                format!("'{}' is in virtual network '{name}'", e.endpoint)
            })
            .collect();
        format!(
            "no workspace private endpoint is in it or a network peered with it ({})",
            join_and(&listed)
        )
    };
    Some(Finding::new(
        &CLUSTER_REGION_UNREACHABLE,
        "subnet_id",
        format!("{regions}, and {found}"),
        fix,
    ))
}

/// [`CLUSTER_LOCATION_NOT_NETWORKS`]: the cluster's `location` must be its network's region.
/// `configured` is `None` when the configuration leaves `location` out: the cluster then takes
/// the workspace's region.
pub fn check_cluster_location(
    configured: Option<&str>,
    workspace_location: &str,
    vnet: &VnetFacts,
) -> Option<Finding> {
    let location = configured.unwrap_or(workspace_location);
    if same_location(location, &vnet.location) {
        return None;
    }
    let stated = match configured {
        Some(location) => format!("location is {location}"),
        None => {
            format!("location is not set, so the cluster takes the workspace's region, {location}")
        }
    };
    Some(
        Finding::new(
            &CLUSTER_LOCATION_NOT_NETWORKS,
            "location",
            format!(
                "{stated}, but virtual network '{}' is in {}, and the nodes join only a network of their own region",
                vnet.name, vnet.location
            ),
            format!("Set location = \"{}\"", vnet.location),
        )
        .suggesting("location", &vnet.location),
    )
}

/// [`SUBNET_NOT_FOUND`] when `vnet` has no subnet `subnet_name`, for compute that needs no
/// other placement rule (an attached machine's subnet).
pub fn check_subnet_exists(vnet: &VnetFacts, subnet_name: &str) -> Option<Finding> {
    vnet.subnet(subnet_name)
        .is_none()
        .then(|| not_found(&SUBNET_NOT_FOUND, vnet, subnet_name))
}

/// The placement rules for an AKS cluster in `aks_location` on `vnet`'s subnet `subnet_name`:
/// [`AKS_OTHER_REGION`] to [`AKS_SUBNET_NOT_FOUND`], in id order.
pub fn check_aks_placement(
    aks_location: &str,
    vnet: &VnetFacts,
    subnet_name: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !same_location(aks_location, &vnet.location) {
        findings.push(Finding::new(
            &AKS_OTHER_REGION,
            "location",
            format!(
                "the AKS cluster is in {aks_location}, its virtual network '{}' in {}",
                vnet.name, vnet.location
            ),
            format!(
                "Create the AKS cluster in {}, or use a subnet of a virtual network in {aks_location}",
                vnet.location
            ),
        ));
    }
    match vnet.subnet(subnet_name) {
        None => findings.push(not_found(&AKS_SUBNET_NOT_FOUND, vnet, subnet_name)),
        Some(subnet) => findings.extend(delegated(&AKS_SUBNET_DELEGATED, vnet, subnet)),
    }
    findings
}

fn not_found(rule: &'static Rule, vnet: &VnetFacts, subnet_name: &str) -> Finding {
    let names: Vec<String> = vnet
        .subnets
        .iter()
        .map(|s| format!("'{}'", s.name))
        .collect();
    let existing = match names.as_slice() {
        [] => "it has no subnets".to_owned(),
        [one] => format!("its only subnet is {one}"),
        _ => format!("its subnets are {}", join_and(&names)),
    };
    Finding::new(
        rule,
        "subnet_id",
        format!(
            "virtual network '{}' has no subnet '{subnet_name}'; {existing}",
            vnet.name
        ),
        format!(
            "Create subnet '{subnet_name}' in virtual network '{}', or use an existing subnet",
            vnet.name
        ),
    )
}

fn delegated(rule: &'static Rule, vnet: &VnetFacts, subnet: &SubnetFacts) -> Option<Finding> {
    if subnet.delegations.is_empty() {
        return None;
    }
    Some(Finding::new(
        rule,
        "subnet_id",
        format!(
            "subnet '{}' of virtual network '{}' is delegated to {}",
            subnet.name,
            vnet.name,
            join_and(&subnet.delegations)
        ),
        format!(
            "Remove the delegation from subnet '{}', or use a subnet without delegations",
            subnet.name
        ),
    ))
}

fn outside_vnet(vnet: &VnetFacts, subnet: &SubnetFacts) -> Option<Finding> {
    let outside: Vec<Ipv4Net> = (subnet.address_prefixes.iter().copied())
        .filter(|p| !vnet.address_space.iter().any(|space| space.contains(p)))
        .collect();
    if outside.is_empty() {
        return None;
    }
    let space = if vnet.address_space.is_empty() {
        "an empty address space".to_owned()
    } else {
        format!("address space {}", join_and(&vnet.address_space))
    };
    Some(Finding::new(
        &SUBNET_OUTSIDE_VNET,
        "subnet_id",
        format!(
            "subnet '{}' has {} outside {space} of virtual network '{}'",
            subnet.name,
            join_and(&outside),
            vnet.name
        ),
        format!(
            "Give subnet '{}' a range inside the virtual network's address space, or add {} to it",
            subnet.name,
            join_and(&outside)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::CATALOGUE;

    const SUB: &str = "00000000-0000-0000-0000-000000000001";

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    fn subnet(name: &str, prefixes: &[&str], delegations: &[&str]) -> SubnetFacts {
        SubnetFacts {
            name: name.to_owned(),
            address_prefixes: prefixes.iter().map(|p| net(p)).collect(),
            delegations: delegations.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    fn workspace() -> WorkspaceFacts {
        WorkspaceFacts {
            subscription: SUB.to_owned(),
            location: "westeurope".to_owned(),
            isolation_mode: IsolationMode::Disabled,
            private_endpoints: Vec::new(),
        }
    }

    fn vnet() -> VnetFacts {
        VnetFacts {
            name: "vnet-ml".to_owned(),
            subscription: SUB.to_owned(),
            location: "westeurope".to_owned(),
            address_space: vec![net("10.0.0.0/16"), net("192.168.0.0/24")],
            subnets: vec![
                subnet("default", &["10.0.0.0/24"], &[]),
                subnet("training", &["10.0.1.0/24", "192.168.0.0/26"], &[]),
                subnet("apps", &["10.0.2.0/24"], &["Microsoft.Web/serverFarms"]),
            ],
        }
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn subnet_exists_only_checks_the_name() {
        let v = vnet();
        assert_eq!(check_subnet_exists(&v, "training"), None);
        assert_eq!(check_subnet_exists(&v, "Training"), None);
        // A delegated subnet exists: delegation is a rule for compute Azure ML creates.
        assert_eq!(check_subnet_exists(&v, "apps"), None);
        let missing = check_subnet_exists(&v, "gpu").expect("finding");
        assert_eq!(
            (missing.rule.id, missing.attribute),
            ("AMLS133", "subnet_id")
        );
    }

    #[test]
    fn rules_are_in_the_catalogue_with_expected_ids_and_severities() {
        for (rule, id, section) in [
            (&VNET_OTHER_SUBSCRIPTION, "AMLS131", seed_section::COMPUTE),
            (&VNET_OTHER_REGION, "AMLS132", seed_section::COMPUTE),
            (&SUBNET_NOT_FOUND, "AMLS133", seed_section::COMPUTE),
            (&SUBNET_DELEGATED, "AMLS134", seed_section::COMPUTE),
            (&SUBNET_OUTSIDE_VNET, "AMLS135", seed_section::COMPUTE),
            (&MANAGED_NETWORK, "AMLS136", seed_section::COMPUTE),
            (
                &NO_PUBLIC_IP_WITHOUT_ENDPOINT,
                "AMLS137",
                seed_section::COMPUTE,
            ),
            (
                &CLUSTER_REGION_UNREACHABLE,
                "AMLS138",
                seed_section::COMPUTE,
            ),
            (
                &CLUSTER_LOCATION_NOT_NETWORKS,
                "AMLS130",
                seed_section::COMPUTE,
            ),
            (&AKS_OTHER_REGION, "AMLS231", seed_section::AKS),
            (&AKS_SUBNET_DELEGATED, "AMLS232", seed_section::AKS),
            (&AKS_SUBNET_NOT_FOUND, "AMLS233", seed_section::AKS),
        ] {
            assert_eq!(
                (rule.id, rule.severity, rule.seed_section),
                (id, Severity::Error, section)
            );
            assert!(CATALOGUE.contains(&rule), "{id} missing from CATALOGUE");
        }
    }

    #[test]
    fn same_location_table() {
        for (a, b, same) in [
            ("westeurope", "westeurope", true),
            ("westeurope", "WestEurope", true),
            ("westeurope", "West Europe", true),
            (" westeurope ", "westeurope", true),
            ("westeurope", "northeurope", false),
            ("eastus", "eastus2", false),
            ("", "", true),
        ] {
            assert_eq!(same_location(a, b), same, "{a:?} {b:?}");
        }
    }

    #[test]
    fn good_placement_passes() {
        for name in ["default", "training", "TRAINING"] {
            assert_eq!(
                check_compute_placement(&workspace(), &vnet(), name, Profile::Seed),
                vec![],
                "{name}"
            );
            assert_eq!(
                check_aks_placement("westeurope", &vnet(), name),
                vec![],
                "{name}"
            );
        }
        let mut ws = workspace();
        ws.subscription = SUB.to_uppercase();
        ws.location = "West Europe".to_owned();
        assert_eq!(
            check_compute_placement(&ws, &vnet(), "default", Profile::Seed),
            vec![]
        );
    }

    #[test]
    fn other_subscription_and_region_fail() {
        let mut v = vnet();
        v.subscription = "00000000-0000-0000-0000-000000000002".to_owned();
        v.location = "northeurope".to_owned();
        let findings = check_compute_placement(&workspace(), &v, "default", Profile::Seed);
        assert_eq!(ids(&findings), ["AMLS131", "AMLS132"]);
        assert!(findings.iter().all(|f| f.attribute == "subnet_id"));
        // Today's guidance leaves the region to check_cluster_region and, for compute
        // instances, to check_instance_region.
        assert_eq!(
            ids(&check_compute_placement(
                &workspace(),
                &v,
                "default",
                Profile::Current
            )),
            ["AMLS131"]
        );
        assert_eq!(
            check_instance_region(&workspace(), &v),
            Some(findings[1].clone())
        );
        assert_eq!(check_instance_region(&workspace(), &vnet()), None);
        assert_eq!(
            findings[0].message,
            format!(
                "virtual network 'vnet-ml' is in subscription \
                 00000000-0000-0000-0000-000000000002, the workspace in subscription {SUB}"
            )
        );
        assert_eq!(
            findings[0].fix,
            format!("Use a subnet of a virtual network in subscription {SUB}")
        );
        assert_eq!(
            findings[1].message,
            "virtual network 'vnet-ml' is in northeurope, the workspace in westeurope"
        );
        assert_eq!(
            findings[1].fix,
            "Use a subnet of a virtual network in westeurope"
        );
    }

    #[test]
    fn missing_subnet_names_the_existing_ones() {
        for (subnets, existing) in [
            (
                vnet().subnets,
                "its subnets are 'default', 'training' and 'apps'",
            ),
            (
                vec![subnet("default", &["10.0.0.0/24"], &[])],
                "its only subnet is 'default'",
            ),
            (vec![], "it has no subnets"),
        ] {
            let v = VnetFacts { subnets, ..vnet() };
            let findings = check_compute_placement(&workspace(), &v, "gpu", Profile::Seed);
            assert_eq!(ids(&findings), ["AMLS133"]);
            assert_eq!(
                findings[0].message,
                format!("virtual network 'vnet-ml' has no subnet 'gpu'; {existing}")
            );
            assert_eq!(
                findings[0].fix,
                "Create subnet 'gpu' in virtual network 'vnet-ml', or use an existing subnet"
            );
            let aks = check_aks_placement("westeurope", &v, "gpu");
            assert_eq!(ids(&aks), ["AMLS233"]);
            assert_eq!(aks[0].message, findings[0].message);
        }
    }

    #[test]
    fn delegated_subnet_fails_naming_the_service() {
        let findings = check_compute_placement(&workspace(), &vnet(), "apps", Profile::Seed);
        assert_eq!(ids(&findings), ["AMLS134"]);
        assert_eq!(
            findings[0].message,
            "subnet 'apps' of virtual network 'vnet-ml' is delegated to Microsoft.Web/serverFarms"
        );
        assert_eq!(
            findings[0].fix,
            "Remove the delegation from subnet 'apps', or use a subnet without delegations"
        );
        let aks = check_aks_placement("westeurope", &vnet(), "apps");
        assert_eq!(ids(&aks), ["AMLS232"]);
        assert_eq!(aks[0].message, findings[0].message);
        let mut v = vnet();
        v.subnets[2]
            .delegations
            .push("Microsoft.ContainerInstance/containerGroups".into());
        let findings = check_compute_placement(&workspace(), &v, "apps", Profile::Seed);
        assert!(findings[0].message.ends_with(
            "delegated to Microsoft.Web/serverFarms and Microsoft.ContainerInstance/containerGroups"
        ));
    }

    #[test]
    fn subnet_outside_the_address_space_fails() {
        // (subnet prefixes, listed outside)
        for (prefixes, outside) in [
            (&["10.1.0.0/24"][..], "10.1.0.0/24"),
            (&["10.0.0.0/15"], "10.0.0.0/15"), // contains the address space
            (&["192.168.0.0/23"], "192.168.0.0/23"), // overlaps only
            (
                &["10.0.5.0/24", "172.16.0.0/24", "192.168.1.0/24"],
                "172.16.0.0/24 and 192.168.1.0/24",
            ),
        ] {
            let mut v = vnet();
            v.subnets.push(subnet("odd", prefixes, &[]));
            let findings = check_compute_placement(&workspace(), &v, "odd", Profile::Seed);
            assert_eq!(ids(&findings), ["AMLS135"], "{prefixes:?}");
            assert_eq!(
                findings[0].message,
                format!(
                    "subnet 'odd' has {outside} outside address space 10.0.0.0/16 and \
                     192.168.0.0/24 of virtual network 'vnet-ml'"
                )
            );
            assert_eq!(
                findings[0].fix,
                format!(
                    "Give subnet 'odd' a range inside the virtual network's address space, or add \
                     {outside} to it"
                )
            );
        }
        for prefixes in [&["10.0.255.248/29"][..], &["192.168.0.0/24"], &[]] {
            let mut v = vnet();
            v.subnets.push(subnet("edge", prefixes, &[]));
            assert_eq!(
                check_compute_placement(&workspace(), &v, "edge", Profile::Seed),
                vec![],
                "{prefixes:?}"
            );
        }
        let v = VnetFacts {
            address_space: vec![],
            ..vnet()
        };
        let findings = check_compute_placement(&workspace(), &v, "default", Profile::Seed);
        assert!(
            findings[0]
                .message
                .contains("outside an empty address space")
        );
    }

    #[test]
    fn managed_network_fails_for_every_mode_but_disabled() {
        for mode in [
            IsolationMode::AllowInternetOutbound,
            IsolationMode::AllowOnlyApprovedOutbound,
        ] {
            let ws = WorkspaceFacts {
                isolation_mode: mode,
                ..workspace()
            };
            assert_eq!(
                check_compute_placement(&ws, &vnet(), "default", Profile::Seed),
                vec![],
                "the 2019 guidance knows no managed networks"
            );
            let findings = check_compute_placement(&ws, &vnet(), "default", Profile::Current);
            assert_eq!(ids(&findings), ["AMLS136"]);
            assert_eq!(
                findings[0].message,
                format!(
                    "the workspace has a managed virtual network (isolation mode {}), and its \
                     compute runs there, not in subnet 'default' of virtual network 'vnet-ml'",
                    mode.as_str()
                )
            );
            assert!(findings[0].fix.starts_with("Remove subnet_id"));
        }
    }

    #[test]
    fn aks_in_another_region_fails() {
        let findings = check_aks_placement("northeurope", &vnet(), "default");
        assert_eq!(ids(&findings), ["AMLS231"]);
        assert_eq!(findings[0].attribute, "location");
        assert_eq!(
            findings[0].message,
            "the AKS cluster is in northeurope, its virtual network 'vnet-ml' in westeurope"
        );
        assert_eq!(
            findings[0].fix,
            "Create the AKS cluster in westeurope, or use a subnet of a virtual network in northeurope"
        );
        assert_eq!(
            check_aks_placement("West Europe", &vnet(), "default"),
            vec![]
        );
    }

    #[test]
    fn all_findings_in_id_order() {
        let ws = WorkspaceFacts {
            subscription: "other".into(),
            location: "eastus".into(),
            isolation_mode: IsolationMode::AllowOnlyApprovedOutbound,
            private_endpoints: Vec::new(),
        };
        let mut v = vnet();
        v.subnets[2].address_prefixes = vec![net("10.9.0.0/24")];
        assert_eq!(
            ids(&check_compute_placement(&ws, &v, "apps", Profile::Seed)),
            ["AMLS131", "AMLS132", "AMLS134", "AMLS135"]
        );
        assert_eq!(
            ids(&check_compute_placement(&ws, &v, "missing", Profile::Seed)),
            ["AMLS131", "AMLS132", "AMLS133"]
        );
        assert_eq!(
            ids(&check_compute_placement(&ws, &v, "apps", Profile::Current)),
            ["AMLS131", "AMLS134", "AMLS135", "AMLS136"]
        );
        assert_eq!(
            ids(&check_aks_placement("eastus", &v, "apps")),
            ["AMLS231", "AMLS232"]
        );
    }

    fn endpoint(name: &str, status: &str) -> WorkspaceEndpoint {
        WorkspaceEndpoint {
            id: format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/{name}"
            ),
            status: status.to_owned(),
        }
    }

    #[test]
    fn no_public_ip_needs_an_approved_workspace_endpoint() {
        let with = |endpoints: Vec<WorkspaceEndpoint>| WorkspaceFacts {
            private_endpoints: endpoints,
            ..workspace()
        };
        // (endpoints, public IP, expected end of the message; None: no finding)
        let cases: Vec<(Vec<WorkspaceEndpoint>, bool, Option<&str>)> = vec![
            (vec![], true, None),
            (vec![endpoint("pe-ws", "Pending")], true, None),
            (vec![endpoint("pe-ws", "Approved")], false, None),
            (vec![endpoint("pe-ws", "approved")], false, None),
            (
                vec![
                    endpoint("pe-old", "Rejected"),
                    endpoint("pe-ws", "Approved"),
                ],
                false,
                None,
            ),
            (vec![], false, Some("the workspace has no private endpoint")),
            (
                vec![endpoint("pe-ws", "Pending")],
                false,
                Some("the workspace's private endpoint 'pe-ws' (Pending) is not approved"),
            ),
            (
                vec![endpoint("a", "Rejected"), endpoint("b", "Disconnected")],
                false,
                Some(
                    "the workspace's private endpoints 'a' (Rejected) and 'b' (Disconnected) are not approved",
                ),
            ),
        ];
        for (endpoints, public_ip, expected) in cases {
            let found = check_private_endpoint(&with(endpoints.clone()), public_ip);
            match expected {
                None => assert_eq!(found, None, "{endpoints:?} {public_ip}"),
                Some(end) => {
                    let f = found.expect("finding");
                    assert_eq!(
                        (f.rule.id, f.attribute),
                        ("AMLS137", "node_public_ip_enabled")
                    );
                    assert!(f.message.ends_with(end), "{}", f.message);
                    assert!(f.message.starts_with("node_public_ip_enabled is false"));
                    assert!(
                        f.fix.contains("set node_public_ip_enabled = true"),
                        "{}",
                        f.fix
                    );
                }
            }
        }
    }

    #[test]
    fn a_cluster_in_another_region_must_reach_a_workspace_endpoint() {
        let mut far = vnet();
        far.location = "northeurope".to_owned();
        let own = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-ml"
        );
        let hub = format!(
            "/subscriptions/{SUB}/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub"
        );
        let other = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/elsewhere"
        );
        let at = |network: &str| EndpointNetwork {
            endpoint: "pe-ws".to_owned(),
            network: Ok(network.to_owned()),
        };
        let unreadable = EndpointNetwork {
            endpoint: "pe-ws".to_owned(),
            network: Err("AuthorizationFailed".to_owned()),
        };
        let reachable = [own.clone(), hub.clone()];
        // Same region: nothing to reach.
        assert_eq!(
            check_cluster_region(&workspace(), &vnet(), &[], &reachable),
            None
        );
        // In its own network, or a peered one (IDs compared without regard to case).
        for network in [own.as_str(), &hub.to_uppercase()] {
            assert_eq!(
                check_cluster_region(&workspace(), &far, &[at(network)], &reachable),
                None,
                "{network}"
            );
        }
        // One reachable endpoint among others is enough, even beside an unreadable one.
        assert_eq!(
            check_cluster_region(
                &workspace(),
                &far,
                &[unreadable.clone(), at(&hub)],
                &reachable
            ),
            None
        );
        let none = check_cluster_region(&workspace(), &far, &[], &reachable).unwrap();
        assert_eq!((none.rule.id, none.attribute), ("AMLS138", "subnet_id"));
        assert_eq!(
            none.message,
            "virtual network 'vnet-ml' is in northeurope, the workspace in westeurope, and the workspace has no approved private endpoint"
        );
        assert_eq!(
            none.fix,
            "Add a workspace private endpoint in virtual network 'vnet-ml' (or peer it with the network of one), or use a subnet of a virtual network in westeurope"
        );
        let elsewhere =
            check_cluster_region(&workspace(), &far, &[at(&other)], &reachable).unwrap();
        assert_eq!(elsewhere.rule.id, "AMLS138");
        assert!(
            elsewhere.message.ends_with(
                "no workspace private endpoint is in it or a network peered with it ('pe-ws' is in virtual network 'elsewhere')"
            ),
            "{}",
            elsewhere.message
        );
        let unknown =
            check_cluster_region(&workspace(), &far, &[unreadable, at(&other)], &reachable)
                .unwrap();
        assert_eq!(unknown.rule.id, "AMLS139");
        assert!(
            unknown
                .message
                .ends_with("the workspace's private endpoint 'pe-ws' (AuthorizationFailed) could not be read, so whether the cluster reaches the workspace is unknown"),
            "{}",
            unknown.message
        );
        assert!(
            unknown
                .fix
                .starts_with("Let the provider's identity read the workspace's private endpoints (Microsoft.Network/privateEndpoints/read)"),
            "{}",
            unknown.fix
        );
    }

    #[test]
    fn a_cluster_runs_in_its_networks_region() {
        assert_eq!(
            check_cluster_location(Some("westeurope"), "northeurope", &vnet()),
            None
        );
        assert_eq!(
            check_cluster_location(Some("West Europe"), "northeurope", &vnet()),
            None
        );
        assert_eq!(check_cluster_location(None, "westeurope", &vnet()), None);
        let unset = check_cluster_location(None, "northeurope", &vnet()).unwrap();
        assert_eq!(
            unset.message,
            "location is not set, so the cluster takes the workspace's region, northeurope, but virtual network 'vnet-ml' is in westeurope, and the nodes join only a network of their own region"
        );
        assert_eq!(unset.fix, "Set location = \"westeurope\"");
        let f = check_cluster_location(Some("northeurope"), "westeurope", &vnet()).unwrap();
        assert_eq!((f.rule.id, f.attribute), ("AMLS130", "location"));
        assert_eq!(
            f.message,
            "location is northeurope, but virtual network 'vnet-ml' is in westeurope, and the nodes join only a network of their own region"
        );
        assert_eq!(f.fix, "Set location = \"westeurope\"");
        assert_eq!(f.suggestions[0].value, "westeurope");
    }
}
