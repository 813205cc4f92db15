//! Microsoft.ContainerService 2024-02-01: managed clusters (read only).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::Resource;

/// `Microsoft.ContainerService/managedClusters`.
pub type ManagedCluster = Resource<ManagedClusterProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ManagedClusterProperties {
    pub kubernetes_version: Option<String>,
    pub dns_prefix: Option<String>,
    pub agent_pool_profiles: Option<Vec<AgentPoolProfile>>,
    pub network_profile: Option<ContainerServiceNetworkProfile>,
    #[serde(skip_serializing)]
    pub fqdn: Option<String>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

impl ManagedCluster {
    pub fn agent_pools(&self) -> &[AgentPoolProfile] {
        self.properties
            .agent_pool_profiles
            .as_deref()
            .unwrap_or_default()
    }
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AgentPoolProfile {
    pub name: Option<String>,
    pub count: Option<i32>,
    pub vm_size: Option<String>,
    pub os_type: Option<String>,
    pub mode: Option<String>,
    pub max_pods: Option<i32>,
    /// Node subnet; absent = AKS-managed VNet.
    #[serde(rename = "vnetSubnetID")]
    pub vnet_subnet_id: Option<String>,
    #[serde(rename = "podSubnetID")]
    pub pod_subnet_id: Option<String>,
    pub availability_zones: Option<Vec<String>>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `ContainerServiceNetworkProfile` (no `dockerBridgeCidr` since 2023-04-01).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerServiceNetworkProfile {
    /// `azure` | `kubenet` | `none`.
    pub network_plugin: Option<String>,
    pub network_plugin_mode: Option<String>,
    pub network_policy: Option<String>,
    pub network_mode: Option<String>,
    pub network_dataplane: Option<String>,
    pub pod_cidr: Option<String>,
    pub service_cidr: Option<String>,
    #[serde(rename = "dnsServiceIP")]
    pub dns_service_ip: Option<String>,
    pub outbound_type: Option<String>,
    pub load_balancer_sku: Option<String>,
    pub pod_cidrs: Option<Vec<String>>,
    pub service_cidrs: Option<Vec<String>>,
    pub ip_families: Option<Vec<String>>,
}
