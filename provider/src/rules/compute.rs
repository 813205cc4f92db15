//! Where compute may be placed: a virtual network in the workspace's subscription and region,
//! an existing, undelegated subnet inside the network's address space, and a workspace without a
//! managed network; an AKS cluster in its network's region, on an undelegated subnet
//! (REFERENCE §10 rules 2, 6-8, 16 and 20).
//!
//! The facts are plain values the resource layer reads from ARM: subscription ids and locations
//! as ARM spells them (compared case-insensitively, locations also ignoring spaces, so
//! `West Europe` is `westeurope`), and names compared case-insensitively as Azure does.

use crate::rules::addresses::Ipv4Net;

use super::{Finding, Rule, Severity, join_and};

const COMPUTE_SECTION: &str = "Use a Machine Learning Compute instance";
const AKS_SECTION: &str = "Use Azure Kubernetes Service (AKS)";

/// REFERENCE §10 rule 7; the seed: "The virtual network must be in the same subscription and
/// region as the Azure Machine Learning service workspace".
pub static VNET_OTHER_SUBSCRIPTION: Rule = Rule {
    id: "AMLS131",
    title: "Compute virtual network is in another subscription than the workspace",
    seed_section: COMPUTE_SECTION,
    severity: Severity::Error,
};

/// REFERENCE §10 rule 7. The seed (2019) requires the workspace's region, and this rule
/// enforces it as an error. Current Azure documentation relaxes it for compute *clusters*,
/// which may sit in another region's network given peering or a workspace private endpoint
/// there, but not for compute instances; a project targeting only current clusters could
/// downgrade this rule.
pub static VNET_OTHER_REGION: Rule = Rule {
    id: "AMLS132",
    title: "Compute virtual network is in another region than the workspace",
    seed_section: COMPUTE_SECTION,
    severity: Severity::Error,
};

/// The seed's compute creation picks the subnet from the network's list; a name that is not
/// there fails at create time.
pub static SUBNET_NOT_FOUND: Rule = Rule {
    id: "AMLS133",
    title: "Compute subnet does not exist in the virtual network",
    seed_section: COMPUTE_SECTION,
    severity: Severity::Error,
};

/// REFERENCE §10 rule 6: compute needs a subnet without delegations.
pub static SUBNET_DELEGATED: Rule = Rule {
    id: "AMLS134",
    title: "Compute subnet is delegated to another Azure service",
    seed_section: COMPUTE_SECTION,
    severity: Severity::Error,
};

/// REFERENCE §10 rule 2. Azure refuses such subnets (`NetcfgInvalidSubnet`), so this guards
/// against stale or inconsistent facts rather than a configuration Azure would accept.
pub static SUBNET_OUTSIDE_VNET: Rule = Rule {
    id: "AMLS135",
    title: "Compute subnet's address range is outside the virtual network's address space",
    seed_section: COMPUTE_SECTION,
    severity: Severity::Error,
};

/// REFERENCE §10 rule 8: a workspace with a managed network places its compute there, not in a
/// customer network. The seed predates managed networks; its compute section is the closest.
pub static MANAGED_NETWORK: Rule = Rule {
    id: "AMLS136",
    title: "Workspace uses a managed virtual network, so compute cannot join a customer virtual network",
    seed_section: COMPUTE_SECTION,
    severity: Severity::Error,
};

/// REFERENCE §10 rule 16; the seed: "The AKS instance and the Azure virtual network should be
/// in the same region".
pub static AKS_OTHER_REGION: Rule = Rule {
    id: "AMLS231",
    title: "AKS cluster is in another region than its virtual network",
    seed_section: AKS_SECTION,
    severity: Severity::Error,
};

/// REFERENCE §10 rule 20: the AKS node subnet cannot be delegated.
pub static AKS_SUBNET_DELEGATED: Rule = Rule {
    id: "AMLS232",
    title: "AKS subnet is delegated to another Azure service",
    seed_section: AKS_SECTION,
    severity: Severity::Error,
};

/// The AKS counterpart of [`SUBNET_NOT_FOUND`].
pub static AKS_SUBNET_NOT_FOUND: Rule = Rule {
    id: "AMLS233",
    title: "AKS subnet does not exist in the virtual network",
    seed_section: AKS_SECTION,
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

/// The placement rules for a compute cluster or instance in `vnet`'s subnet `subnet_name`:
/// [`VNET_OTHER_SUBSCRIPTION`] to [`MANAGED_NETWORK`], in id order. The subnet rules are
/// skipped when the subnet does not exist.
pub fn check_compute_placement(
    workspace: &WorkspaceFacts,
    vnet: &VnetFacts,
    subnet_name: &str,
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
    if !same_location(&workspace.location, &vnet.location) {
        findings.push(Finding::new(
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
        ));
    }
    match vnet.subnet(subnet_name) {
        None => findings.push(not_found(&SUBNET_NOT_FOUND, vnet, subnet_name)),
        Some(subnet) => {
            findings.extend(delegated(&SUBNET_DELEGATED, vnet, subnet));
            findings.extend(outside_vnet(vnet, subnet));
        }
    }
    if workspace.isolation_mode != IsolationMode::Disabled {
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
            (&VNET_OTHER_SUBSCRIPTION, "AMLS131", COMPUTE_SECTION),
            (&VNET_OTHER_REGION, "AMLS132", COMPUTE_SECTION),
            (&SUBNET_NOT_FOUND, "AMLS133", COMPUTE_SECTION),
            (&SUBNET_DELEGATED, "AMLS134", COMPUTE_SECTION),
            (&SUBNET_OUTSIDE_VNET, "AMLS135", COMPUTE_SECTION),
            (&MANAGED_NETWORK, "AMLS136", COMPUTE_SECTION),
            (&AKS_OTHER_REGION, "AMLS231", AKS_SECTION),
            (&AKS_SUBNET_DELEGATED, "AMLS232", AKS_SECTION),
            (&AKS_SUBNET_NOT_FOUND, "AMLS233", AKS_SECTION),
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
                check_compute_placement(&workspace(), &vnet(), name),
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
        assert_eq!(check_compute_placement(&ws, &vnet(), "default"), vec![]);
    }

    #[test]
    fn other_subscription_and_region_fail() {
        let mut v = vnet();
        v.subscription = "00000000-0000-0000-0000-000000000002".to_owned();
        v.location = "northeurope".to_owned();
        let findings = check_compute_placement(&workspace(), &v, "default");
        assert_eq!(ids(&findings), ["AMLS131", "AMLS132"]);
        assert!(findings.iter().all(|f| f.attribute == "subnet_id"));
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
            let findings = check_compute_placement(&workspace(), &v, "gpu");
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
        let findings = check_compute_placement(&workspace(), &vnet(), "apps");
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
        let findings = check_compute_placement(&workspace(), &v, "apps");
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
            let findings = check_compute_placement(&workspace(), &v, "odd");
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
                check_compute_placement(&workspace(), &v, "edge"),
                vec![],
                "{prefixes:?}"
            );
        }
        let v = VnetFacts {
            address_space: vec![],
            ..vnet()
        };
        let findings = check_compute_placement(&workspace(), &v, "default");
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
            let findings = check_compute_placement(&ws, &vnet(), "default");
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
        };
        let mut v = vnet();
        v.subnets[2].address_prefixes = vec![net("10.9.0.0/24")];
        assert_eq!(
            ids(&check_compute_placement(&ws, &v, "apps")),
            ["AMLS131", "AMLS132", "AMLS134", "AMLS135", "AMLS136"]
        );
        assert_eq!(
            ids(&check_compute_placement(&ws, &v, "missing")),
            ["AMLS131", "AMLS132", "AMLS133", "AMLS136"]
        );
        assert_eq!(
            ids(&check_aks_placement("eastus", &v, "apps")),
            ["AMLS231", "AMLS232"]
        );
    }
}
