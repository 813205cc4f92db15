//! Microsoft.KeyVault 2023-07-01: vault firewall (`networkAcls`).

use serde::{Deserialize, Serialize};

use super::Resource;

/// `Microsoft.KeyVault/vaults` (the parts the provider reads).
pub type Vault = Resource<VaultProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_acls: Option<VaultNetworkRuleSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_network_access: Option<String>,
    #[serde(default, skip_serializing, deserialize_with = "super::null_as_default")]
    pub private_endpoint_connections: Vec<super::PrivateEndpointConnection>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// Body of `PATCH .../vaults/{name}` that changes only the firewall.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultNetworkAclsPatch {
    pub properties: VaultNetworkAclsPatchProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultNetworkAclsPatchProperties {
    pub network_acls: VaultNetworkRuleSet,
}

/// `NetworkRuleSet` of a vault.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultNetworkRuleSet {
    /// `AzureServices` | `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass: Option<String>,
    /// `Allow` | `Deny`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_rules: Option<Vec<VaultIpRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_network_rules: Option<Vec<VaultVirtualNetworkRule>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultIpRule {
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultVirtualNetworkRule {
    /// Subnet ARM id (the service returns it lower-cased).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_missing_vnet_service_endpoint: Option<bool>,
}
