//! Microsoft.HDInsight 2021-06-01: clusters (read only, for attach).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{Resource, null_as_default};

/// `Microsoft.HDInsight/clusters`.
pub type HdInsightCluster = Resource<HdInsightClusterProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HdInsightClusterProperties {
    pub cluster_version: Option<String>,
    /// `Windows` | `Linux`.
    pub os_type: Option<String>,
    pub compute_profile: Option<HdInsightComputeProfile>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
    #[serde(skip_serializing)]
    pub cluster_state: Option<String>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub connectivity_endpoints: Vec<ConnectivityEndpoint>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HdInsightComputeProfile {
    #[serde(deserialize_with = "null_as_default")]
    pub roles: Vec<HdInsightRole>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HdInsightRole {
    pub name: Option<String>,
    pub virtual_network_profile: Option<HdInsightVirtualNetworkProfile>,
}

/// `{id: <virtual network id>, subnet: <subnet id>}`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HdInsightVirtualNetworkProfile {
    pub id: Option<String>,
    pub subnet: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConnectivityEndpoint {
    pub name: Option<String>,
    pub protocol: Option<String>,
    /// Host name.
    pub location: Option<String>,
    pub port: Option<i32>,
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: Option<String>,
}

impl HdInsightCluster {
    /// The subnet of the head node (else any role in a virtual network).
    pub fn subnet_id(&self) -> Option<&str> {
        let roles = &self.properties.compute_profile.as_ref()?.roles;
        fn subnet(role: &HdInsightRole) -> Option<&str> {
            role.virtual_network_profile.as_ref()?.subnet.as_deref()
        }
        roles
            .iter()
            .filter(|r| {
                r.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case("headnode"))
            })
            .find_map(subnet)
            .or_else(|| roles.iter().find_map(subnet))
    }

    /// The public SSH endpoint (`SSH`), as `(host, port)`.
    pub fn ssh_endpoint(&self) -> Option<(&str, Option<i32>)> {
        self.properties
            .connectivity_endpoints
            .iter()
            .find(|e| {
                e.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case("SSH"))
            })
            .and_then(|e| Some((e.location.as_deref()?, e.port)))
    }
}
