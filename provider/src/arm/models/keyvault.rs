//! Microsoft.KeyVault 2023-07-01: vault firewall (`networkAcls`).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::Resource;

/// `Microsoft.KeyVault/vaults` (the parts the provider reads).
pub type Vault = Resource<VaultProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VaultProperties {
    pub tenant_id: Option<String>,
    pub network_acls: Option<VaultNetworkRuleSet>,
    pub public_network_access: Option<String>,
    #[serde(skip_serializing, deserialize_with = "super::null_as_default")]
    pub private_endpoint_connections: Vec<super::PrivateEndpointConnection>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `NetworkRuleSet` of a vault.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VaultNetworkRuleSet {
    /// `AzureServices` | `None`.
    pub bypass: Option<String>,
    /// `Allow` | `Deny`.
    pub default_action: Option<String>,
    pub ip_rules: Option<Vec<VaultIpRule>>,
    pub virtual_network_rules: Option<Vec<VaultVirtualNetworkRule>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultIpRule {
    pub value: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultVirtualNetworkRule {
    /// Subnet ARM id (the service returns it lower-cased).
    pub id: String,
    #[serde(default)]
    pub ignore_missing_vnet_service_endpoint: Option<bool>,
}
