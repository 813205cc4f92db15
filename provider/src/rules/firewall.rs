//! The workspace's storage account and key vault behind "selected networks": every subnet let
//! through the firewall needs the matching service endpoint, and storage used for inference
//! must stay open to all networks (REFERENCE §9 and §10 rule 13; seed sections "Use a storage
//! account for your workspace" and "Use a key vault instance with your workspace").
//!
//! The facts are plain values `crate::checks` reads from ARM; service names and compute
//! types are compared case-insensitively, as Azure does.

use super::seed_section;
use super::{Applies, Finding, Profile, Rule, Severity, join_and, name_of_id, same_id, sources};

/// REFERENCE §9.1: a VNet rule for a subnet without the `Microsoft.Storage` service endpoint
/// fails with `SubnetsHaveNoServiceEndpointsConfigured`.
pub static STORAGE_SERVICE_ENDPOINT_MISSING: Rule = Rule {
    id: "AMLS401",
    title: "Subnet has no Microsoft.Storage service endpoint, so the storage account firewall cannot let it in",
    seed_section: seed_section::STORAGE,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// The seed adds "the virtual network where your experimentation compute instance resides";
/// a subnet that does not exist cannot be added.
pub static STORAGE_SUBNET_NOT_FOUND: Rule = Rule {
    id: "AMLS402",
    title: "Subnet to let through the storage account firewall does not exist",
    seed_section: seed_section::STORAGE,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// The seed: "Both the default and non-default storage accounts that are used for inference
/// must have unrestricted access to the storage account."
pub static INFERENCE_STORAGE_RESTRICTED: Rule = Rule {
    id: "AMLS403",
    title: "Storage account of a workspace with AKS inference compute would no longer allow access from all networks",
    seed_section: seed_section::STORAGE,
    applies: Applies::Seed,
    severity: Severity::Error,
};

/// REFERENCE §9.2: a VNet rule for a subnet without the `Microsoft.KeyVault` service endpoint
/// is refused (unless `ignoreMissingVnetServiceEndpoint`, which leaves the subnet locked out).
pub static KEY_VAULT_SERVICE_ENDPOINT_MISSING: Rule = Rule {
    id: "AMLS411",
    title: "Subnet has no Microsoft.KeyVault service endpoint, so the key vault firewall cannot let it in",
    seed_section: seed_section::KEY_VAULT,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// The key vault counterpart of [`STORAGE_SUBNET_NOT_FOUND`].
pub static KEY_VAULT_SUBNET_NOT_FOUND: Rule = Rule {
    id: "AMLS412",
    title: "Subnet to let through the key vault firewall does not exist",
    seed_section: seed_section::KEY_VAULT,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// The seed's storage firewall lets in "the virtual network where your experimentation
/// compute instance resides": compute in a subnet the workspace's storage account does not
/// let in cannot reach the workspace's data (REFERENCE §10 rule 13).
pub static STORAGE_DENIES_COMPUTE: Rule = Rule {
    id: "AMLS404",
    title: "Workspace storage account's firewall does not let the compute subnet in",
    seed_section: seed_section::STORAGE,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// The seed: "You can place non-default storage accounts in a virtual network for
/// experimentation only", and storage used for inference "must have unrestricted access".
/// A datastore's account behind selected networks is a warning: for compute it does not let
/// in, or for inference at all.
pub static DATASTORE_STORAGE_RESTRICTED: Rule = Rule {
    id: "AMLS405",
    title: "Storage account of a datastore restricts network access, which Azure's guidance allows for experimentation only",
    seed_section: seed_section::STORAGE,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Warning,
};

/// The firewall rules above need the firewall; when it cannot be read (no permission, or the
/// workspace names a store that does not exist) the plan says what went unchecked.
pub static FIREWALL_UNREADABLE: Rule = Rule {
    id: "AMLS406",
    title: "Firewall of a storage account or key vault the compute uses could not be read, so it is not checked",
    seed_section: seed_section::STORAGE,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Warning,
};

/// The seed: "Select the Allow trusted Microsoft services to access this storage account
/// check box" (REFERENCE §10 rule 13): behind selected networks the workspace itself reaches
/// its storage as a trusted service. Today's guidance also names a resource instance rule for
/// the workspace (`resourceAccessRules`), which lets the workspace in instead. A warning: the
/// compute's own access is AMLS404's, and which workspace features break depends on their use.
pub static STORAGE_DENIES_WORKSPACE: Rule = Rule {
    id: "AMLS407",
    title: "Workspace storage account's firewall lets neither trusted Azure services nor the workspace in",
    seed_section: seed_section::STORAGE,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Warning,
};

/// The key vault counterpart of [`STORAGE_DENIES_COMPUTE`]: the seed adds "the virtual
/// network where your experimentation compute instance resides" to the vault's firewall.
pub static KEY_VAULT_DENIES_COMPUTE: Rule = Rule {
    id: "AMLS413",
    title: "Workspace key vault's firewall does not let the compute subnet in",
    seed_section: seed_section::KEY_VAULT,
    applies: Applies::Both(&sources::WORKSPACE_VNET),
    severity: Severity::Error,
};

/// Which firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// How the compute uses a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUse {
    /// The workspace's own storage account or key vault.
    Workspace,
    /// A storage account that these datastores of the workspace read.
    Datastores(Vec<String>),
}

/// A firewall as Azure reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreAccess {
    /// Every network may connect (`defaultAction` Allow).
    Open,
    /// "Selected networks" (`defaultAction` Deny): these subnets (ARM IDs) are let through.
    SelectedNetworks { subnets: Vec<String> },
    /// `publicNetworkAccess` Disabled: only private endpoints reach it.
    PublicAccessDisabled,
    /// Not read: why (an ARM error code, or that it does not exist).
    Unreadable { reason: String },
}

/// What an `amlsecure_workspace_*_network_rules` resource of the same configuration plans
/// for a firewall: selected networks, these subnets let through, those it releases removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlannedFirewall {
    pub subnets: Vec<String>,
    pub released: Vec<String>,
}

/// A storage account or key vault the compute uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub service: Service,
    /// Account or vault name.
    pub name: String,
    pub usage: StoreUse,
    pub access: StoreAccess,
    /// ARM IDs of its approved private endpoints: compute reaching it through one passes no
    /// firewall.
    pub private_endpoints: Vec<String>,
    /// Its firewall has a resource instance rule for the workspace (storage accounts only),
    /// which lets Azure ML's service in (as trusted services do, AMLS407 under today's
    /// guidance), not the compute's subnet.
    pub workspace_instance_rule: bool,
    /// Its firewall lets trusted Microsoft services through (`bypass` holds `AzureServices`,
    /// ARM's default), the workspace among them.
    pub trusted_services: bool,
    pub planned: Option<PlannedFirewall>,
}

/// The compute whose subnet must get through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputeSubnet {
    /// The attribute findings point at.
    pub attribute: &'static str,
    /// Its ARM ID.
    pub id: String,
    /// For messages: `subnet training (10.0.1.0/24) of virtual network ml-vnet`.
    pub description: String,
    /// It serves inference (AKS), so under the 2019 guidance the storage it reads must stay
    /// open to all networks.
    pub inference: bool,
    /// ARM IDs of the private endpoints in the compute's virtual network, any subnet.
    pub network_endpoints: Vec<String>,
}

/// `training of ml-vnet`, from a subnet's ARM ID.
fn subnet_name(id: &str) -> String {
    let parts: Vec<&str> = id.trim_end_matches('/').rsplit('/').collect();
    match parts.as_slice() {
        [subnet, _, vnet, ..] => format!("{subnet} of {vnet}"),
        _ => id.to_owned(),
    }
}

impl Store {
    /// Whether the compute reaches the store through an approved private endpoint, which no
    /// firewall stands in front of. Under today's guidance only an endpoint in the compute's
    /// virtual network counts, as a service endpoint on its subnet does; the 2019 guidance
    /// knows no private endpoints, and any approved one is taken as the way in.
    fn reached_privately(&self, compute: &ComputeSubnet, profile: Profile) -> bool {
        match profile {
            Profile::Seed => !self.private_endpoints.is_empty(),
            Profile::Current => self.private_endpoints.iter().any(|endpoint| {
                (compute.network_endpoints.iter()).any(|local| same_id(local, endpoint))
            }),
        }
    }

    /// `no approved private endpoint`, or where its approved ones are instead.
    fn endpoints_elsewhere(&self) -> String {
        match self.private_endpoints.as_slice() {
            [] => "no approved private endpoint".to_owned(),
            endpoints => {
                let names: Vec<String> = endpoints
                    .iter()
                    .map(|e| format!("'{}'", name_of_id(e)))
                    .collect();
                format!(
                    "its approved private endpoint{} {} {} not in the compute's virtual network",
                    if names.len() == 1 { "" } else { "s" },
                    join_and(&names),
                    if names.len() == 1 { "is" } else { "are" },
                )
            }
        }
    }

    fn what(&self) -> String {
        match &self.usage {
            StoreUse::Workspace => {
                format!("{} {} of the workspace", self.service.what(), self.name)
            }
            StoreUse::Datastores(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
                format!(
                    "{} {}, which datastore{} {} read{},",
                    self.service.what(),
                    self.name,
                    if names.len() == 1 { "" } else { "s" },
                    join_and(&names),
                    if names.len() == 1 { "s" } else { "" },
                )
            }
        }
    }

    /// The subnets let through once this configuration's plan is applied; `None` when every
    /// network is.
    fn selected_subnets(&self, live: &[String]) -> Vec<String> {
        let mut subnets = live.to_vec();
        if let Some(planned) = &self.planned {
            subnets.extend(planned.subnets.iter().cloned());
            subnets.retain(|s| !planned.released.iter().any(|r| same_id(r, s)));
        }
        subnets
    }

    fn consequence(&self) -> &'static str {
        match (&self.usage, self.service) {
            (StoreUse::Workspace, Service::Storage) => {
                "the compute could not read or write the workspace's files, logs and models there"
            }
            (_, Service::KeyVault) => {
                "the compute could not read the secrets the workspace keeps there (storage connection strings, registry passwords, datastore credentials)"
            }
            (StoreUse::Datastores(_), Service::Storage) => {
                "jobs reading those datastores from this compute would be refused, and Azure's guidance allows non-default storage in a virtual network for experimentation only"
            }
        }
    }

    fn denied_rule(&self) -> &'static Rule {
        match (&self.usage, self.service) {
            (_, Service::KeyVault) => &KEY_VAULT_DENIES_COMPUTE,
            (StoreUse::Workspace, Service::Storage) => &STORAGE_DENIES_COMPUTE,
            (StoreUse::Datastores(_), Service::Storage) => &DATASTORE_STORAGE_RESTRICTED,
        }
    }

    fn let_in_fix(&self, compute: &ComputeSubnet) -> String {
        let endpoint = self.service.endpoint();
        match (&self.usage, self.service) {
            (StoreUse::Workspace, Service::Storage) => format!(
                "Add {} to subnet_ids of the workspace's amlsecure_workspace_storage_network_rules (the subnet needs the {endpoint} service endpoint), or reach the account through a private endpoint",
                compute.id
            ),
            (_, Service::KeyVault) => format!(
                "Add {} to subnet_ids of the workspace's amlsecure_workspace_key_vault_network_rules (the subnet needs the {endpoint} service endpoint), or reach the vault through a private endpoint",
                compute.id
            ),
            (StoreUse::Datastores(_), Service::Storage) => format!(
                "Let the subnet through the account's firewall (az storage account network-rule add --account-name {} --subnet {}; the subnet needs the {endpoint} service endpoint), or read those datastores from compute whose subnet it lets in",
                self.name, compute.id
            ),
        }
    }
}

/// [`STORAGE_DENIES_COMPUTE`], [`KEY_VAULT_DENIES_COMPUTE`] and
/// [`DATASTORE_STORAGE_RESTRICTED`] when `store`'s firewall (with what this configuration
/// plans for it) does not let `compute`'s subnet in; [`FIREWALL_UNREADABLE`] when that is not
/// known. Under the 2019 guidance, storage used by inference compute must instead be open to
/// all networks: the workspace's account breaks [`INFERENCE_STORAGE_RESTRICTED`] (unless the
/// restriction is this configuration's plan, which the firewall resource reports), a
/// datastore's [`DATASTORE_STORAGE_RESTRICTED`]; today's guidance sets no such limit, and
/// inference compute must be let in as any other.
pub fn check_store_access(
    store: &Store,
    compute: &ComputeSubnet,
    profile: Profile,
) -> Option<Finding> {
    let open_for_inference =
        compute.inference && store.service == Service::Storage && profile == Profile::Seed;
    let planned_in = store
        .planned
        .as_ref()
        .is_some_and(|p| p.subnets.iter().any(|s| same_id(s, &compute.id)) && !open_for_inference);
    if store.reached_privately(compute, profile) {
        return None;
    }
    let subnets = match &store.access {
        StoreAccess::Unreadable { .. } if planned_in => return None,
        StoreAccess::Unreadable { reason } => {
            return Some(Finding::new(
                &FIREWALL_UNREADABLE,
                compute.attribute,
                format!(
                    "the firewall of {} could not be read ({reason}), so whether it lets {} in is not checked",
                    store.what().trim_end_matches(','),
                    compute.description
                ),
                format!(
                    "Give the identity running Terraform read access to {} (the Reader role), or check its firewall by hand",
                    store.name
                ),
            ));
        }
        StoreAccess::PublicAccessDisabled => {
            return Some(Finding::new(
                store.denied_rule(),
                compute.attribute,
                format!(
                    "{} has public network access disabled and {}, so {} cannot reach it; {}",
                    store.what().trim_end_matches(','),
                    store.endpoints_elsewhere(),
                    compute.description,
                    store.consequence()
                ),
                format!(
                    "Add a private endpoint for {} in the compute's virtual network, or enable public network access from selected networks that include the subnet",
                    store.name
                ),
            ));
        }
        StoreAccess::Open if store.planned.is_none() => return None,
        StoreAccess::Open => store.selected_subnets(&[]),
        StoreAccess::SelectedNetworks { subnets } => store.selected_subnets(subnets),
    };
    let planned = if store.planned.is_some() {
        format!(
            ", as this configuration's amlsecure_workspace_{}_network_rules plans it",
            match store.service {
                Service::Storage => "storage",
                Service::KeyVault => "key_vault",
            }
        )
    } else {
        String::new()
    };
    if open_for_inference {
        return match &store.usage {
            // The firewall resource reports its own plan (AMLS403 there and in the
            // attachment's plan); a live restriction is this check's.
            StoreUse::Workspace if store.planned.is_some() => None,
            StoreUse::Workspace => Some(Finding::new(
                &INFERENCE_STORAGE_RESTRICTED,
                compute.attribute,
                format!(
                    "AKS inference compute would serve from a workspace whose storage account {} lets only selected networks in (defaultAction Deny), and Azure's guidance requires storage used for inference to keep unrestricted access",
                    store.name
                ),
                format!(
                    "Allow access from all networks on {} (drop the workspace's amlsecure_workspace_storage_network_rules), or attach the inference cluster to a workspace whose storage account stays open",
                    store.name
                ),
            )),
            StoreUse::Datastores(_) => Some(Finding::new(
                &DATASTORE_STORAGE_RESTRICTED,
                compute.attribute,
                format!(
                    "{} lets only selected networks in (defaultAction Deny{planned}), and Azure's guidance requires storage used for inference to keep unrestricted access",
                    store.what()
                ),
                format!(
                    "Allow access from all networks on {} if models deployed to this cluster read those datastores",
                    store.name
                ),
            )),
        };
    }
    if subnets.iter().any(|s| same_id(s, &compute.id)) {
        return None;
    }
    let listed = if subnets.is_empty() {
        format!(
            "and it lets no subnet in, so {} cannot reach it",
            compute.description
        )
    } else {
        let names: Vec<String> = subnets.iter().map(|s| subnet_name(s)).collect();
        format!(
            "and its virtual network rules ({}) do not include {}",
            join_and(&names),
            compute.description
        )
    };
    // Under today's guidance an endpoint elsewhere, or the workspace's resource instance
    // rule, may look like access; say why neither is.
    let mut why_not = String::new();
    if profile == Profile::Current && !store.private_endpoints.is_empty() {
        why_not.push_str(&format!(", and {}", store.endpoints_elsewhere()));
    }
    if profile == Profile::Current && store.workspace_instance_rule {
        why_not.push_str(", and its resource instance rule for the workspace lets Azure Machine Learning's service in, not the compute's subnet");
    }
    Some(Finding::new(
        store.denied_rule(),
        compute.attribute,
        format!(
            "{} lets only selected networks in (defaultAction Deny{planned}), {listed}{why_not}; {}",
            store.what(),
            store.consequence()
        ),
        store.let_in_fix(compute),
    ))
}

/// [`STORAGE_DENIES_WORKSPACE`] when the workspace's storage account lets only selected
/// networks in (as Azure has it; a firewall this configuration plans is its resource's to
/// check) and keeps the workspace itself out: without trusted services, and, under today's
/// guidance, without a resource instance rule for the workspace either. At `attribute`.
pub fn check_workspace_access(
    store: &Store,
    profile: Profile,
    attribute: &'static str,
) -> Option<Finding> {
    let restricted = matches!(store.access, StoreAccess::SelectedNetworks { .. });
    if store.service != Service::Storage
        || store.usage != StoreUse::Workspace
        || !restricted
        || store.planned.is_some()
    {
        return None;
    }
    let admitted = match profile {
        Profile::Seed => store.trusted_services,
        Profile::Current => store.trusted_services || store.workspace_instance_rule,
    };
    if admitted {
        return None;
    }
    let (message, fix) = match profile {
        Profile::Seed => (
            format!(
                "storage account {} of the workspace lets only selected networks in, and its firewall does not let trusted Microsoft services through (bypass without AzureServices), so the workspace itself cannot reach its storage",
                store.name
            ),
            format!(
                "Allow trusted Microsoft services on {} (bypass AzureServices; amlsecure_workspace_storage_network_rules keeps it)",
                store.name
            ),
        ),
        Profile::Current => (
            format!(
                "storage account {} of the workspace lets only selected networks in, and neither lets trusted Microsoft services through (bypass without AzureServices) nor has a resource instance rule for the workspace, so the workspace itself cannot reach its storage",
                store.name
            ),
            format!(
                "Add a resource instance rule for the workspace (resource type Microsoft.MachineLearningServices/workspaces) to {}, or allow trusted Microsoft services there",
                store.name
            ),
        ),
    };
    Some(Finding::new(
        &STORAGE_DENIES_WORKSPACE,
        attribute,
        message,
        fix,
    ))
}

/// [`FIREWALL_UNREADABLE`] for the workspace's datastores, which could not be listed.
pub fn datastores_unreadable(reason: &str, attribute: &'static str) -> Finding {
    Finding::new(
        &FIREWALL_UNREADABLE,
        attribute,
        format!(
            "the workspace's datastores could not be listed ({reason}), so the firewalls of the storage accounts they read are not checked"
        ),
        "Give the identity running Terraform read access to the workspace's datastores (the AzureML Data Scientist or Reader role), or check their storage accounts by hand",
    )
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

    const TRAINING: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/ml-vnet/subnets/training";
    const OTHER: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/ml-vnet/subnets/other";
    /// A private endpoint in the compute's virtual network, and one in another.
    const LOCAL_ENDPOINT: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/store-pe";
    const FAR_ENDPOINT: &str =
        "/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/privateEndpoints/hub-pe";

    fn store(service: Service, usage: StoreUse, access: StoreAccess) -> Store {
        Store {
            service,
            name: match service {
                Service::Storage => "mlstore".into(),
                Service::KeyVault => "ml-kv".into(),
            },
            usage,
            access,
            private_endpoints: Vec::new(),
            workspace_instance_rule: false,
            trusted_services: true,
            planned: None,
        }
    }

    fn selected(subnets: &[&str]) -> StoreAccess {
        StoreAccess::SelectedNetworks {
            subnets: subnets.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn planned(subnets: &[&str], released: &[&str]) -> Option<PlannedFirewall> {
        Some(PlannedFirewall {
            subnets: subnets.iter().map(|s| (*s).to_owned()).collect(),
            released: released.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    fn compute(inference: bool) -> ComputeSubnet {
        ComputeSubnet {
            attribute: "subnet_id",
            id: TRAINING.into(),
            description: "subnet training (10.0.1.0/24) of virtual network ml-vnet".into(),
            inference,
            network_endpoints: vec![LOCAL_ENDPOINT.into()],
        }
    }

    #[test]
    fn store_access_table() {
        use Service::{KeyVault, Storage};
        let workspace = || StoreUse::Workspace;
        let datastores = || StoreUse::Datastores(vec!["sales".into()]);
        let unreadable = || StoreAccess::Unreadable {
            reason: "AuthorizationFailed".into(),
        };
        let upper = TRAINING.to_uppercase();
        // (store, private endpoint, plan, inference compute, expected rule)
        type Case = (
            Store,
            bool,
            Option<PlannedFirewall>,
            bool,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                store(Storage, workspace(), StoreAccess::Open),
                false,
                None,
                false,
                None,
            ),
            (
                store(Storage, workspace(), selected(&[TRAINING])),
                false,
                None,
                false,
                None,
            ),
            (
                store(Storage, workspace(), selected(&[&upper])),
                false,
                None,
                false,
                None,
            ),
            (
                store(Storage, workspace(), selected(&[OTHER])),
                false,
                None,
                false,
                Some("AMLS404"),
            ),
            (
                store(Storage, workspace(), selected(&[])),
                false,
                None,
                false,
                Some("AMLS404"),
            ),
            (
                store(Storage, workspace(), StoreAccess::PublicAccessDisabled),
                false,
                None,
                false,
                Some("AMLS404"),
            ),
            (
                store(Storage, workspace(), StoreAccess::PublicAccessDisabled),
                true,
                None,
                false,
                None,
            ),
            (
                store(Storage, workspace(), selected(&[OTHER])),
                true,
                None,
                false,
                None,
            ),
            (
                store(Storage, workspace(), unreadable()),
                false,
                None,
                false,
                Some("AMLS406"),
            ),
            (
                store(Storage, workspace(), unreadable()),
                false,
                planned(&[TRAINING], &[]),
                false,
                None,
            ),
            (
                store(Storage, workspace(), unreadable()),
                false,
                planned(&[OTHER], &[]),
                false,
                Some("AMLS406"),
            ),
            (
                store(Storage, workspace(), StoreAccess::Open),
                false,
                planned(&[TRAINING], &[]),
                false,
                None,
            ),
            (
                store(Storage, workspace(), StoreAccess::Open),
                false,
                planned(&[OTHER], &[]),
                false,
                Some("AMLS404"),
            ),
            (
                store(Storage, workspace(), selected(&[TRAINING])),
                false,
                planned(&[OTHER], &[TRAINING]),
                false,
                Some("AMLS404"),
            ),
            (
                store(Storage, workspace(), selected(&[OTHER])),
                false,
                planned(&[TRAINING], &[]),
                false,
                None,
            ),
            (
                store(KeyVault, workspace(), selected(&[OTHER])),
                false,
                None,
                false,
                Some("AMLS413"),
            ),
            (
                store(KeyVault, workspace(), selected(&[TRAINING])),
                false,
                None,
                false,
                None,
            ),
            (
                store(KeyVault, workspace(), StoreAccess::Open),
                false,
                planned(&[OTHER], &[]),
                false,
                Some("AMLS413"),
            ),
            (
                store(Storage, datastores(), selected(&[OTHER])),
                false,
                None,
                false,
                Some("AMLS405"),
            ),
            (
                store(Storage, datastores(), selected(&[TRAINING])),
                false,
                None,
                false,
                None,
            ),
            (
                store(Storage, datastores(), StoreAccess::Open),
                false,
                None,
                false,
                None,
            ),
            (
                store(Storage, datastores(), unreadable()),
                false,
                None,
                false,
                Some("AMLS406"),
            ),
            // Inference: storage must stay open; the vault must let the subnet in.
            (
                store(Storage, workspace(), selected(&[TRAINING])),
                false,
                None,
                true,
                Some("AMLS403"),
            ),
            (
                store(Storage, workspace(), StoreAccess::Open),
                false,
                planned(&[TRAINING], &[]),
                true,
                None,
            ),
            (
                store(Storage, workspace(), StoreAccess::Open),
                false,
                None,
                true,
                None,
            ),
            (
                store(Storage, datastores(), selected(&[TRAINING])),
                false,
                None,
                true,
                Some("AMLS405"),
            ),
            (
                store(Storage, datastores(), StoreAccess::Open),
                false,
                None,
                true,
                None,
            ),
            (
                store(KeyVault, workspace(), selected(&[OTHER])),
                false,
                None,
                true,
                Some("AMLS413"),
            ),
            (
                store(KeyVault, workspace(), selected(&[TRAINING])),
                false,
                None,
                true,
                None,
            ),
        ];
        for (mut store, private_endpoint, plan, inference, expected) in cases {
            if private_endpoint {
                store.private_endpoints = vec![FAR_ENDPOINT.into()];
            }
            store.planned = plan;
            let finding = check_store_access(&store, &compute(inference), Profile::Seed);
            assert_eq!(
                finding.as_ref().map(|f| f.rule.id),
                expected,
                "{store:?} inference {inference}"
            );
            assert!(finding.is_none_or(|f| f.attribute == "subnet_id"));
        }
    }

    #[test]
    fn store_access_by_profile_private_endpoints_and_inference() {
        use Service::{KeyVault, Storage};
        let workspace = || StoreUse::Workspace;
        let datastores = || StoreUse::Datastores(vec!["sales".into()]);
        let local_upper = LOCAL_ENDPOINT.to_uppercase();
        // (store, its approved private endpoints, inference compute, expected under "2019",
        // expected under "current")
        type Case<'a> = (
            Store,
            Vec<&'a str>,
            bool,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            // An endpoint in the compute's network is a way in under both.
            (
                store(Storage, workspace(), selected(&[OTHER])),
                vec![LOCAL_ENDPOINT],
                false,
                None,
                None,
            ),
            (
                store(Storage, workspace(), selected(&[OTHER])),
                vec![&local_upper],
                false,
                None,
                None,
            ),
            (
                store(Storage, workspace(), StoreAccess::PublicAccessDisabled),
                vec![FAR_ENDPOINT, LOCAL_ENDPOINT],
                false,
                None,
                None,
            ),
            (
                store(KeyVault, workspace(), selected(&[OTHER])),
                vec![LOCAL_ENDPOINT],
                false,
                None,
                None,
            ),
            (
                store(Storage, datastores(), selected(&[])),
                vec![LOCAL_ENDPOINT],
                false,
                None,
                None,
            ),
            // One elsewhere only under the 2019 guidance, which knows no endpoints.
            (
                store(Storage, workspace(), selected(&[OTHER])),
                vec![FAR_ENDPOINT],
                false,
                None,
                Some("AMLS404"),
            ),
            (
                store(Storage, workspace(), StoreAccess::PublicAccessDisabled),
                vec![FAR_ENDPOINT],
                false,
                None,
                Some("AMLS404"),
            ),
            (
                store(KeyVault, workspace(), StoreAccess::PublicAccessDisabled),
                vec![FAR_ENDPOINT],
                false,
                None,
                Some("AMLS413"),
            ),
            (
                store(Storage, datastores(), selected(&[])),
                vec![FAR_ENDPOINT],
                false,
                None,
                Some("AMLS405"),
            ),
            // No endpoint and no rule for the subnet: denied under both.
            (
                store(Storage, workspace(), StoreAccess::PublicAccessDisabled),
                vec![],
                false,
                Some("AMLS404"),
                Some("AMLS404"),
            ),
            // A service endpoint rule lets the subnet in under both.
            (
                store(KeyVault, workspace(), selected(&[TRAINING])),
                vec![FAR_ENDPOINT],
                false,
                None,
                None,
            ),
            // Inference: the 2019 guidance wants the workspace's storage open to all
            // networks; today's lets the AKS subnet in as any compute's.
            (
                store(Storage, workspace(), selected(&[TRAINING])),
                vec![],
                true,
                Some("AMLS403"),
                None,
            ),
            (
                store(Storage, workspace(), selected(&[OTHER])),
                vec![],
                true,
                Some("AMLS403"),
                Some("AMLS404"),
            ),
            (
                store(Storage, workspace(), selected(&[OTHER])),
                vec![LOCAL_ENDPOINT],
                true,
                None,
                None,
            ),
            (
                store(Storage, datastores(), selected(&[TRAINING])),
                vec![],
                true,
                Some("AMLS405"),
                None,
            ),
            (
                store(Storage, workspace(), StoreAccess::Open),
                vec![],
                true,
                None,
                None,
            ),
        ];
        for (mut store, endpoints, inference, seed, current) in cases {
            store.private_endpoints = endpoints.iter().map(|e| (*e).to_owned()).collect();
            for (profile, expected) in [(Profile::Seed, seed), (Profile::Current, current)] {
                let finding = check_store_access(&store, &compute(inference), profile);
                assert_eq!(
                    finding.as_ref().map(|f| f.rule.id),
                    expected,
                    "{store:?} inference {inference} under {profile}"
                );
                if let Some(finding) = finding {
                    assert!(finding.rule.applies_under(profile), "{}", finding.rule.id);
                }
            }
        }
        // Planned firewalls count for inference compute under today's guidance too.
        let mut planned_open = store(Storage, workspace(), StoreAccess::Open);
        planned_open.planned = planned(&[TRAINING], &[]);
        assert_eq!(
            check_store_access(&planned_open, &compute(true), Profile::Current),
            None
        );
        planned_open.planned = planned(&[OTHER], &[]);
        assert_eq!(
            check_store_access(&planned_open, &compute(true), Profile::Current).map(|f| f.rule.id),
            Some("AMLS404")
        );
    }

    #[test]
    fn todays_messages_say_why_an_endpoint_or_instance_rule_is_no_way_in() {
        let mut account = store(Service::Storage, StoreUse::Workspace, selected(&[OTHER]));
        account.private_endpoints = vec![FAR_ENDPOINT.into()];
        account.workspace_instance_rule = true;
        let current = check_store_access(&account, &compute(false), Profile::Current)
            .unwrap()
            .message;
        assert!(
            current.contains(
                "do not include subnet training (10.0.1.0/24) of virtual network ml-vnet, and its \
                 approved private endpoint 'hub-pe' is not in the compute's virtual network, and \
                 its resource instance rule for the workspace lets Azure Machine Learning's \
                 service in, not the compute's subnet; the compute could not"
            ),
            "{current}"
        );
        account.private_endpoints.clear();
        let seed = check_store_access(&account, &compute(false), Profile::Seed)
            .unwrap()
            .message;
        assert!(!seed.contains("resource instance rule"), "{seed}");
        let mut vault = store(
            Service::KeyVault,
            StoreUse::Workspace,
            StoreAccess::PublicAccessDisabled,
        );
        vault.private_endpoints =
            vec![FAR_ENDPOINT.into(), FAR_ENDPOINT.replace("hub-pe", "dr-pe")];
        let text = check_store_access(&vault, &compute(false), Profile::Current)
            .unwrap()
            .message;
        assert!(
            text.starts_with(
                "key vault ml-kv of the workspace has public network access disabled and its \
                 approved private endpoints 'hub-pe' and 'dr-pe' are not in the compute's \
                 virtual network, so subnet training"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_workspace_gets_through_as_a_trusted_service_or_today_a_resource_instance() {
        // (trusted services, a resource instance rule for the workspace)
        let access =
            |trusted_services, workspace_instance_rule| (trusted_services, workspace_instance_rule);
        let storage = |access: StoreAccess, (trusted_services, workspace_instance_rule)| Store {
            trusted_services,
            workspace_instance_rule,
            ..store(Service::Storage, StoreUse::Workspace, access)
        };
        // (store, 2019 finds AMLS407, today finds it)
        let cases = [
            (
                storage(selected(&[TRAINING]), access(true, false)),
                false,
                false,
            ),
            (
                storage(selected(&[TRAINING]), access(false, true)),
                true,
                false,
            ),
            (
                storage(selected(&[TRAINING]), access(true, true)),
                false,
                false,
            ),
            (
                storage(selected(&[TRAINING]), access(false, false)),
                true,
                true,
            ),
            // Open, or not the workspace's own storage, or a vault: no such rule.
            (
                storage(StoreAccess::Open, access(false, false)),
                false,
                false,
            ),
            (
                Store {
                    usage: StoreUse::Datastores(vec!["sales".into()]),
                    ..storage(selected(&[]), access(false, false))
                },
                false,
                false,
            ),
            (
                Store {
                    service: Service::KeyVault,
                    ..storage(selected(&[]), access(false, false))
                },
                false,
                false,
            ),
            // A firewall this configuration plans is its resource's to check.
            (
                Store {
                    planned: planned(&[TRAINING], &[]),
                    ..storage(selected(&[]), access(false, false))
                },
                false,
                false,
            ),
        ];
        for (store, seed, today) in cases {
            let id = |profile| {
                check_workspace_access(&store, profile, "workspace_id").map(|f| f.rule.id)
            };
            assert_eq!(
                id(Profile::Seed),
                seed.then_some("AMLS407"),
                "2019 {store:?}"
            );
            assert_eq!(
                id(Profile::Current),
                today.then_some("AMLS407"),
                "today {store:?}"
            );
        }
        let closed = storage(selected(&[]), access(false, false));
        let seed = check_workspace_access(&closed, Profile::Seed, "workspace_id").unwrap();
        assert_eq!(seed.attribute, "workspace_id");
        assert!(
            seed.fix
                .starts_with("Allow trusted Microsoft services on mlstore")
        );
        let today = check_workspace_access(&closed, Profile::Current, "workspace_id").unwrap();
        assert!(
            today
                .message
                .contains("nor has a resource instance rule for the workspace")
        );
        assert!(
            today
                .fix
                .starts_with("Add a resource instance rule for the workspace")
        );
        assert_eq!(seed.severity(), Severity::Warning);
    }

    #[test]
    fn store_access_messages_name_the_store_the_subnets_and_the_fix() {
        let mut workspace_storage =
            store(Service::Storage, StoreUse::Workspace, selected(&[OTHER]));
        let text = check_store_access(&workspace_storage, &compute(false), Profile::Seed)
            .unwrap()
            .to_string();
        assert_eq!(
            text,
            format!(
                "AMLS404: storage account mlstore of the workspace lets only selected networks in \
                 (defaultAction Deny), and its virtual network rules (other of ml-vnet) do not \
                 include subnet training (10.0.1.0/24) of virtual network ml-vnet; the compute \
                 could not read or write the workspace's files, logs and models there. Add \
                 {TRAINING} to subnet_ids of the workspace's \
                 amlsecure_workspace_storage_network_rules (the subnet needs the \
                 Microsoft.Storage service endpoint), or reach the account through a private \
                 endpoint."
            )
        );
        workspace_storage.access = StoreAccess::Open;
        workspace_storage.planned = planned(&[OTHER], &[]);
        let text = check_store_access(&workspace_storage, &compute(false), Profile::Seed)
            .unwrap()
            .message;
        assert!(
            text.contains("(defaultAction Deny, as this configuration's amlsecure_workspace_storage_network_rules plans it)"),
            "{text}"
        );
        let datastore = store(
            Service::Storage,
            StoreUse::Datastores(vec!["sales".into(), "logs".into()]),
            selected(&[]),
        );
        let finding = check_store_access(&datastore, &compute(false), Profile::Seed).unwrap();
        assert_eq!(finding.severity(), Severity::Warning);
        assert!(
            finding.message.starts_with(
                "storage account mlstore, which datastores 'sales' and 'logs' read, lets only \
                 selected networks in (defaultAction Deny), and it lets no subnet in, so subnet \
                 training (10.0.1.0/24) of virtual network ml-vnet cannot reach it; jobs reading \
                 those datastores"
            ),
            "{}",
            finding.message
        );
        assert!(finding.message.ends_with("for experimentation only"));
        assert!(
            finding
                .fix
                .contains("--account-name mlstore --subnet /subscriptions/")
        );
        let vault = store(
            Service::KeyVault,
            StoreUse::Workspace,
            StoreAccess::Unreadable {
                reason: "AuthorizationFailed".into(),
            },
        );
        let finding = check_store_access(&vault, &compute(false), Profile::Seed).unwrap();
        assert_eq!(
            finding.message,
            "the firewall of key vault ml-kv of the workspace could not be read \
             (AuthorizationFailed), so whether it lets subnet training (10.0.1.0/24) of virtual \
             network ml-vnet in is not checked"
        );
        let listing = datastores_unreadable("AuthorizationFailed", "subnet_id");
        assert_eq!(listing.rule.id, "AMLS406");
        assert!(listing.message.contains("(AuthorizationFailed)"));
    }

    #[test]
    fn inference_compute_types() {
        assert!(is_inference_compute("AKS"));
        assert!(is_inference_compute("kubernetes"));
        assert!(!is_inference_compute("AmlCompute"));
        assert!(!is_inference_compute("ComputeInstance"));
    }
}
