//! Microsoft.Storage 2023-05-01: storage account firewall (`networkAcls`).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::Resource;

/// `Microsoft.Storage/storageAccounts` (the parts the provider reads).
pub type StorageAccount = Resource<StorageAccountProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StorageAccountProperties {
    pub network_acls: Option<StorageNetworkRuleSet>,
    /// `Enabled` | `Disabled` | `SecuredByPerimeter`.
    pub public_network_access: Option<String>,
    #[serde(skip_serializing, deserialize_with = "super::null_as_default")]
    pub private_endpoint_connections: Vec<super::PrivateEndpointConnection>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `NetworkRuleSet` of a storage account.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StorageNetworkRuleSet {
    /// `None` or a comma list of `Logging`, `Metrics`, `AzureServices`.
    pub bypass: Option<String>,
    pub resource_access_rules: Option<Vec<ResourceAccessRule>>,
    pub virtual_network_rules: Option<Vec<StorageVirtualNetworkRule>>,
    pub ip_rules: Option<Vec<StorageIpRule>>,
    /// `Allow` | `Deny` (required).
    pub default_action: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceAccessRule {
    pub tenant_id: Option<String>,
    pub resource_id: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageVirtualNetworkRule {
    /// Subnet ARM id.
    pub id: String,
    /// `Allow` (the only value).
    #[serde(default)]
    pub action: Option<String>,
    /// Set by the service: `Provisioning`, `Succeeded`, `NetworkSourceDeleted`, ...
    #[serde(default, skip_serializing)]
    pub state: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageIpRule {
    pub value: String,
    #[serde(default)]
    pub action: Option<String>,
}
