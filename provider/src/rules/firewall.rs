//! The workspace's storage account and key vault behind "selected networks": every subnet let
//! through the firewall needs the matching service endpoint, and storage used for inference
//! must stay open to all networks (REFERENCE §9 and §10 rule 13; seed sections "Use a storage
//! account for your workspace" and "Use a key vault instance with your workspace").
//!
//! The facts are plain values the resource layer reads from ARM; service names and compute
//! types are compared case-insensitively, as Azure does.

use super::{Applies, Finding, Rule, Severity, join_and, sources};

const STORAGE_SECTION: &str = "Use a storage account for your workspace";
const KEY_VAULT_SECTION: &str = "Use a key vault instance with your workspace";

/// REFERENCE §9.1: a VNet rule for a subnet without the `Microsoft.Storage` service endpoint
/// fails with `SubnetsHaveNoServiceEndpointsConfigured`.
pub static STORAGE_SERVICE_ENDPOINT_MISSING: Rule = Rule {
    id: "AMLS401",
    title: "Subnet has no Microsoft.Storage service endpoint, so the storage account firewall cannot let it in",
    seed_section: STORAGE_SECTION,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// The seed adds "the virtual network where your experimentation compute instance resides";
/// a subnet that does not exist cannot be added.
pub static STORAGE_SUBNET_NOT_FOUND: Rule = Rule {
    id: "AMLS402",
    title: "Subnet to let through the storage account firewall does not exist",
    seed_section: STORAGE_SECTION,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// The seed: "Both the default and non-default storage accounts that are used for inference
/// must have unrestricted access to the storage account."
pub static INFERENCE_STORAGE_RESTRICTED: Rule = Rule {
    id: "AMLS403",
    title: "Storage account of a workspace with AKS inference compute would no longer allow access from all networks",
    seed_section: STORAGE_SECTION,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// REFERENCE §9.2: a VNet rule for a subnet without the `Microsoft.KeyVault` service endpoint
/// is refused (unless `ignoreMissingVnetServiceEndpoint`, which leaves the subnet locked out).
pub static KEY_VAULT_SERVICE_ENDPOINT_MISSING: Rule = Rule {
    id: "AMLS411",
    title: "Subnet has no Microsoft.KeyVault service endpoint, so the key vault firewall cannot let it in",
    seed_section: KEY_VAULT_SECTION,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// The key vault counterpart of [`STORAGE_SUBNET_NOT_FOUND`].
pub static KEY_VAULT_SUBNET_NOT_FOUND: Rule = Rule {
    id: "AMLS412",
    title: "Subnet to let through the key vault firewall does not exist",
    seed_section: KEY_VAULT_SECTION,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// Which firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Storage,
    KeyVault,
}

impl Service {
    /// The service endpoint a subnet needs: `Microsoft.Storage` or `Microsoft.KeyVault`.
    pub fn endpoint(self) -> &'static str {
        match self {
            Service::Storage => "Microsoft.Storage",
            Service::KeyVault => "Microsoft.KeyVault",
        }
    }

    /// `storage account` or `key vault`, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Service::Storage => "storage account",
            Service::KeyVault => "key vault",
        }
    }

    fn endpoint_rule(self) -> &'static Rule {
        match self {
            Service::Storage => &STORAGE_SERVICE_ENDPOINT_MISSING,
            Service::KeyVault => &KEY_VAULT_SERVICE_ENDPOINT_MISSING,
        }
    }

    fn not_found_rule(self) -> &'static Rule {
        match self {
            Service::Storage => &STORAGE_SUBNET_NOT_FOUND,
            Service::KeyVault => &KEY_VAULT_SUBNET_NOT_FOUND,
        }
    }
}

/// A subnet the firewall should let through, as Azure reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallSubnet {
    /// The ARM ID as configured.
    pub id: String,
    /// Subnet and virtual network names, for messages.
    pub name: String,
    pub vnet_name: String,
    /// `None` when the subnet (or its virtual network) does not exist.
    pub found: Option<SubnetEndpoints>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetEndpoints {
    /// The subnet's address prefixes, for messages.
    pub address_prefixes: Vec<String>,
    /// `properties.serviceEndpoints[].service`.
    pub service_endpoints: Vec<String>,
}

/// [`STORAGE_SERVICE_ENDPOINT_MISSING`], [`KEY_VAULT_SERVICE_ENDPOINT_MISSING`] and the
/// subnet-not-found rules, at `attribute` (the list of subnet IDs).
pub fn check_service_endpoints(
    service: Service,
    subnets: &[FirewallSubnet],
    attribute: &'static str,
) -> Vec<Finding> {
    let endpoint = service.endpoint();
    let what = service.what();
    let mut findings = Vec::new();
    for subnet in subnets {
        let FirewallSubnet {
            name, vnet_name, ..
        } = subnet;
        match &subnet.found {
            None => findings.push(Finding::new(
                service.not_found_rule(),
                attribute,
                format!(
                    "subnet {name} of virtual network {vnet_name} ({}) does not exist, so the {what} firewall cannot let it in",
                    subnet.id
                ),
                format!(
                    "Create the subnet with the {endpoint} service endpoint first, or remove it from {attribute}"
                ),
            )),
            Some(found)
                if !found
                    .service_endpoints
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(endpoint)) =>
            {
                let prefixes = if found.address_prefixes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", join_and(&found.address_prefixes))
                };
                let has = if found.service_endpoints.is_empty() {
                    "no service endpoints".to_owned()
                } else {
                    format!(
                        "service endpoints {} but not {endpoint}",
                        join_and(&found.service_endpoints)
                    )
                };
                findings.push(Finding::new(
                    service.endpoint_rule(),
                    attribute,
                    format!(
                        "subnet {name}{prefixes} of virtual network {vnet_name} has {has}, and Azure refuses a {what} firewall rule for a subnet without it (SubnetsHaveNoServiceEndpointsConfigured)"
                    ),
                    format!(
                        "Add the {endpoint} service endpoint to subnet {name} (az network vnet subnet update --vnet-name {vnet_name} --name {name} --service-endpoints {endpoint}), or remove the subnet from {attribute}"
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    findings
}

/// [`INFERENCE_STORAGE_RESTRICTED`]: the workspace's storage account would deny other networks
/// while the workspace has AKS inference compute, existing (`existing`, compute names) or
/// planned in the same configuration (`planned`, compute names).
pub fn check_inference_storage(
    storage_account: &str,
    denies: bool,
    existing: &[String],
    planned: &[String],
    attribute: &'static str,
) -> Vec<Finding> {
    if !denies || (existing.is_empty() && planned.is_empty()) {
        return Vec::new();
    }
    let mut computes = Vec::new();
    if !existing.is_empty() {
        computes.push(format!(
            "{} AKS inference compute{} ({})",
            existing.len(),
            if existing.len() == 1 { "" } else { "s" },
            join_and(existing)
        ));
    }
    if !planned.is_empty() {
        computes.push(format!(
            "{} more planned in this configuration ({})",
            planned.len(),
            join_and(planned)
        ));
    }
    vec![Finding::new(
        &INFERENCE_STORAGE_RESTRICTED,
        attribute,
        format!(
            "the workspace has {}, and Azure's guidance requires storage used for inference to keep unrestricted access, but storage account {storage_account} would deny all networks except the selected ones (defaultAction Deny)",
            join_and(&computes)
        ),
        "Leave the workspace's storage account open to all networks (drop the amlsecure_workspace_storage_network_rules resource) while the workspace serves inference on AKS, or move inference to a workspace whose storage account stays open",
    )]
}

/// [`INFERENCE_STORAGE_RESTRICTED`] seen from the inference compute: the same configuration
/// puts the workspace's storage account `storage_account` behind selected networks.
pub fn check_restricted_storage_for_inference(
    storage_account: &str,
    compute: &str,
    attribute: &'static str,
) -> Vec<Finding> {
    vec![Finding::new(
        &INFERENCE_STORAGE_RESTRICTED,
        attribute,
        format!(
            "AKS inference compute {compute} would serve from a workspace whose storage account {storage_account} this configuration puts behind selected networks (amlsecure_workspace_storage_network_rules, defaultAction Deny), and Azure's guidance requires storage used for inference to keep unrestricted access"
        ),
        "Drop the amlsecure_workspace_storage_network_rules resource for this workspace, or attach the inference cluster to a workspace whose storage account stays open",
    )]
}

/// Whether a compute of this `computeType` serves inference (AKS, or Arc-enabled Kubernetes).
pub fn is_inference_compute(compute_type: &str) -> bool {
    compute_type.eq_ignore_ascii_case("AKS") || compute_type.eq_ignore_ascii_case("Kubernetes")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTR: &str = "subnet_ids";

    fn subnet(endpoints: Option<&[&str]>) -> FirewallSubnet {
        FirewallSubnet {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/ml-vnet/subnets/training".into(),
            name: "training".into(),
            vnet_name: "ml-vnet".into(),
            found: endpoints.map(|e| SubnetEndpoints {
                address_prefixes: vec!["10.0.1.0/24".into()],
                service_endpoints: e.iter().map(|s| (*s).to_owned()).collect(),
            }),
        }
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn service_endpoint_table() {
        for (service, endpoints, expected) in [
            (Service::Storage, Some(&["Microsoft.Storage"][..]), vec![]),
            (Service::Storage, Some(&["microsoft.storage"][..]), vec![]),
            (Service::Storage, Some(&[][..]), vec!["AMLS401"]),
            (
                Service::Storage,
                Some(&["Microsoft.KeyVault"][..]),
                vec!["AMLS401"],
            ),
            (Service::Storage, None, vec!["AMLS402"]),
            (
                Service::KeyVault,
                Some(&["Microsoft.Storage", "Microsoft.KeyVault"][..]),
                vec![],
            ),
            (
                Service::KeyVault,
                Some(&["Microsoft.Storage"][..]),
                vec!["AMLS411"],
            ),
            (Service::KeyVault, None, vec!["AMLS412"]),
        ] {
            let findings = check_service_endpoints(service, &[subnet(endpoints)], ATTR);
            assert_eq!(ids(&findings), expected, "{service:?} {endpoints:?}");
            assert!(findings.iter().all(|f| f.attribute == ATTR));
        }
    }

    #[test]
    fn missing_endpoint_names_subnet_range_what_it_has_and_the_fix() {
        let findings =
            check_service_endpoints(Service::Storage, &[subnet(Some(&["Microsoft.Sql"]))], ATTR);
        let text = findings[0].to_string();
        for needle in [
            "subnet training (10.0.1.0/24) of virtual network ml-vnet",
            "service endpoints Microsoft.Sql but not Microsoft.Storage",
            "--service-endpoints Microsoft.Storage",
            "remove the subnet from subnet_ids",
        ] {
            assert!(text.contains(needle), "{needle:?} missing: {text}");
        }
    }

    #[test]
    fn inference_storage_table() {
        let aks = vec!["aks-inference".to_owned()];
        for (denies, existing, planned, fires) in [
            (true, &aks[..], &[][..], true),
            (true, &[][..], &aks[..], true),
            (true, &aks[..], &aks[..], true),
            (true, &[][..], &[][..], false),
            (false, &aks[..], &aks[..], false),
        ] {
            let findings = check_inference_storage("mlstore", denies, existing, planned, "x");
            assert_eq!(
                !findings.is_empty(),
                fires,
                "{denies} {existing:?} {planned:?}"
            );
        }
        let text =
            check_inference_storage("mlstore", true, &aks, &[], "workspace_id")[0].to_string();
        assert!(text.starts_with("AMLS403: "), "{text}");
        assert!(
            text.contains("1 AKS inference compute (aks-inference)"),
            "{text}"
        );
        assert!(text.contains("storage account mlstore"), "{text}");
    }

    #[test]
    fn inference_compute_types() {
        assert!(is_inference_compute("AKS"));
        assert!(is_inference_compute("kubernetes"));
        assert!(!is_inference_compute("AmlCompute"));
        assert!(!is_inference_compute("ComputeInstance"));
    }
}
