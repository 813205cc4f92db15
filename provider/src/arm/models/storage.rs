//! Microsoft.Storage 2023-05-01: storage account firewall (`networkAcls`).

use serde::{Deserialize, Serialize};

use super::Resource;

/// `Microsoft.Storage/storageAccounts` (the parts the provider reads).
pub type StorageAccount = Resource<StorageAccountProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccountProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_acls: Option<StorageNetworkRuleSet>,
    /// `Enabled` | `Disabled` | `SecuredByPerimeter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_network_access: Option<String>,
    #[serde(default, skip_serializing, deserialize_with = "super::null_as_default")]
    pub private_endpoint_connections: Vec<super::PrivateEndpointConnection>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// Body of `PATCH .../storageAccounts/{name}` that changes only the firewall. `networkAcls`
/// is replaced whole: read, modify, write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccountNetworkAclsPatch {
    pub properties: StorageNetworkAclsPatchProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageNetworkAclsPatchProperties {
    pub network_acls: StorageNetworkRuleSet,
}

/// `NetworkRuleSet` of a storage account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageNetworkRuleSet {
    /// `None` or a comma list of `Logging`, `Metrics`, `AzureServices`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_access_rules: Option<Vec<ResourceAccessRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_network_rules: Option<Vec<StorageVirtualNetworkRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_rules: Option<Vec<StorageIpRule>>,
    /// `Allow` | `Deny` (required).
    #[serde(default)]
    pub default_action: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceAccessRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageVirtualNetworkRule {
    /// Subnet ARM id.
    pub id: String,
    /// `Allow` (the only value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Set by the service: `Provisioning`, `Succeeded`, `NetworkSourceDeleted`, ...
    #[serde(default, skip_serializing)]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageIpRule {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}
