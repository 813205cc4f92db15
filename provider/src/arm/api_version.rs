//! The api-version pinned for each ARM namespace, in one place.
//!
//! Every exchange with ARM is checked against the published specs of exactly these versions
//! (`azure-specs/`); moving to a newer one needs its spec files first
//! (`scripts/vendor-azure-specs.js`).

/// `Microsoft.MachineLearningServices` (workspaces, computes).
pub const MACHINE_LEARNING: &str = "2024-04-01";
/// `Microsoft.Network` (virtual networks, subnets, NSGs, route tables, usages).
pub const NETWORK: &str = "2024-01-01";
/// `Microsoft.ContainerService` (managed clusters).
pub const CONTAINER_SERVICE: &str = "2024-02-01";
/// `Microsoft.Storage` (storage accounts).
pub const STORAGE: &str = "2023-05-01";
/// `Microsoft.KeyVault` (vaults).
pub const KEY_VAULT: &str = "2023-07-01";
/// `Microsoft.Compute` (virtual machines, for attach).
pub const COMPUTE: &str = "2024-03-01";
/// `Microsoft.HDInsight` (clusters, for attach).
pub const HDINSIGHT: &str = "2021-06-01";
/// `Microsoft.Authorization/locks`.
pub const LOCKS: &str = "2020-05-01";
/// `Microsoft.Authorization` Azure Policy: `policyAssignments`, `policyDefinitions` and
/// `policySetDefinitions` (another version than the locks of the same namespace).
pub const POLICY: &str = "2023-04-01";
/// `Microsoft.Resources` resource groups (`/subscriptions/{s}/resourceGroups/{rg}`).
pub const RESOURCE_GROUPS: &str = "2024-03-01";

/// The pinned api-version for a provider namespace (case-insensitive), e.g. from
/// [`ResourceId::namespace`](super::ResourceId::namespace). `None` for a resource group id
/// (no namespace) is answered by [`RESOURCE_GROUPS`].
pub fn for_namespace(namespace: Option<&str>) -> Option<&'static str> {
    let Some(namespace) = namespace else {
        return Some(RESOURCE_GROUPS);
    };
    let known = [
        ("Microsoft.MachineLearningServices", MACHINE_LEARNING),
        ("Microsoft.Network", NETWORK),
        ("Microsoft.ContainerService", CONTAINER_SERVICE),
        ("Microsoft.Storage", STORAGE),
        ("Microsoft.KeyVault", KEY_VAULT),
        ("Microsoft.Compute", COMPUTE),
        ("Microsoft.HDInsight", HDINSIGHT),
        ("Microsoft.Authorization", LOCKS),
        ("Microsoft.Resources", RESOURCE_GROUPS),
    ];
    known
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(namespace))
        .map(|(_, version)| *version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(for_namespace(Some("microsoft.network")), Some(NETWORK));
        assert_eq!(for_namespace(None), Some(RESOURCE_GROUPS));
        assert_eq!(for_namespace(Some("Microsoft.Web")), None);
    }
}
