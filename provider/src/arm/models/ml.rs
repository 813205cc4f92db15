//! Microsoft.MachineLearningServices 2024-04-01: workspaces and computes.

use serde::{Deserialize, Serialize};

use super::{ProxyResource, Resource, SubResource, null_as_default};
use crate::arm::Secret;
use crate::arm::error::ErrorResponse;

/// `Microsoft.MachineLearningServices/workspaces`.
pub type Workspace = Resource<WorkspaceProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_vault: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_insights: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_registry: Option<String>,
    /// `Enabled` | `Disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_network_access: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_public_access_when_behind_vnet: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hbi_workspace: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_network: Option<ManagedNetworkSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless_compute_settings: Option<ServerlessComputeSettings>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub private_endpoint_connections: Vec<PrivateEndpointConnection>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
    #[serde(default, skip_serializing)]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing)]
    pub tenant_id: Option<String>,
}

impl Workspace {
    /// `managedNetwork.isolationMode`, `Disabled` when absent.
    pub fn isolation_mode(&self) -> &str {
        self.properties
            .managed_network
            .as_ref()
            .and_then(|m| m.isolation_mode.as_deref())
            .unwrap_or("Disabled")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedNetworkSettings {
    /// `Disabled` | `AllowInternetOutbound` | `AllowOnlyApprovedOutbound`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation_mode: Option<String>,
    #[serde(default, skip_serializing)]
    pub network_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_rules: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerlessComputeSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless_compute_custom_subnet: Option<String>,
    #[serde(
        default,
        rename = "serverlessComputeNoPublicIP",
        skip_serializing_if = "Option::is_none"
    )]
    pub serverless_compute_no_public_ip: Option<bool>,
}

/// A private endpoint connection of a workspace, storage account or key vault (read only);
/// its `properties` may be absent or `null`.
pub type PrivateEndpointConnection = ProxyResource<Option<PrivateEndpointConnectionProperties>>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointConnectionProperties {
    #[serde(default)]
    pub private_endpoint: Option<SubResource>,
    #[serde(default)]
    pub private_link_service_connection_state: Option<PrivateLinkServiceConnectionState>,
    #[serde(default)]
    pub provisioning_state: Option<String>,
}

impl PrivateEndpointConnection {
    /// Whether the connection is in use: its owner approved it.
    pub fn is_approved(&self) -> bool {
        self.properties
            .as_ref()
            .and_then(|p| p.private_link_service_connection_state.as_ref())
            .and_then(|s| s.status.as_deref())
            .is_some_and(|s| s.eq_ignore_ascii_case("Approved"))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkServiceConnectionState {
    /// `Pending` | `Approved` | `Rejected` | `Disconnected` | `Timeout`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub actions_required: Option<String>,
}

/// `DatastoreResource` (`mfe.json`): a datastore of a workspace, the parts that say which
/// storage it reads. Read only.
pub type Datastore = ProxyResource<DatastoreProperties>;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreProperties {
    /// `AzureBlob`, `AzureDataLakeGen1`, `AzureDataLakeGen2`, `AzureFile` or `OneLake`.
    #[serde(default)]
    pub datastore_type: String,
    /// The workspace's default datastore (on its own storage account).
    #[serde(default)]
    pub is_default: Option<bool>,
    /// The storage account of a blob, file share or Data Lake Gen2 datastore.
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub resource_group: Option<String>,
}

impl Datastore {
    /// The storage account it reads, for the types kept on one (blob, file share, Data
    /// Lake Gen2).
    pub fn storage_account(&self) -> Option<&str> {
        let on_account = ["AzureBlob", "AzureFile", "AzureDataLakeGen2"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&self.properties.datastore_type));
        on_account
            .then_some(self.properties.account_name.as_deref())
            .flatten()
            .filter(|a| !a.is_empty())
    }
}

/// `Microsoft.MachineLearningServices/workspaces/computes` (ComputeResource).
pub type ComputeResource = Resource<Compute>;

impl ComputeResource {
    pub fn aml_compute(&self) -> Option<&AmlComputeProperties> {
        match &self.properties.properties {
            Some(ComputeProperties::AmlCompute(p)) => Some(p),
            _ => None,
        }
    }

    pub fn aks(&self) -> Option<&AksProperties> {
        match &self.properties.properties {
            Some(ComputeProperties::Aks(p)) => Some(p),
            _ => None,
        }
    }

    /// The SSH settings of an attached virtual machine or HDInsight cluster.
    pub fn ssh_compute(&self) -> Option<&SshComputeProperties> {
        match &self.properties.properties {
            Some(ComputeProperties::VirtualMachine(p) | ComputeProperties::HdInsight(p)) => Some(p),
            _ => None,
        }
    }
}

/// `Compute`, discriminated by `computeType`: common fields plus the type's own
/// `properties` ([`ComputeProperties`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCompute", into = "RawCompute")]
pub struct Compute {
    /// `AmlCompute`, `AKS`, `Kubernetes`, `ComputeInstance`, `VirtualMachine`, `HDInsight`, ...
    pub compute_type: String,
    pub compute_location: Option<String>,
    pub description: Option<String>,
    /// The underlying resource (set it to attach an existing AKS/VM/HDInsight).
    pub resource_id: Option<String>,
    pub disable_local_auth: Option<bool>,
    /// Read-only.
    pub provisioning_state: Option<String>,
    /// Read-only.
    pub provisioning_errors: Vec<ErrorResponse>,
    /// Read-only.
    pub is_attached_compute: Option<bool>,
    /// Read-only.
    pub created_on: Option<String>,
    /// Read-only.
    pub modified_on: Option<String>,
    pub properties: Option<ComputeProperties>,
}

/// The type-specific `properties.properties` of a compute.
#[derive(Debug, Clone, PartialEq)]
pub enum ComputeProperties {
    AmlCompute(AmlComputeProperties),
    Aks(AksProperties),
    VirtualMachine(SshComputeProperties),
    HdInsight(SshComputeProperties),
    /// Any other compute type, kept as JSON.
    Other(serde_json::Value),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCompute {
    #[serde(default)]
    compute_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    compute_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disable_local_auth: Option<bool>,
    #[serde(default, skip_serializing)]
    provisioning_state: Option<String>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    provisioning_errors: Vec<ErrorResponse>,
    #[serde(default, skip_serializing)]
    is_attached_compute: Option<bool>,
    #[serde(default, skip_serializing)]
    created_on: Option<String>,
    #[serde(default, skip_serializing)]
    modified_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    properties: Option<serde_json::Value>,
}

impl TryFrom<RawCompute> for Compute {
    type Error = serde_json::Error;

    fn try_from(raw: RawCompute) -> Result<Self, Self::Error> {
        let properties = match raw.properties.filter(|p| !p.is_null()) {
            None => None,
            Some(value) if raw.compute_type.eq_ignore_ascii_case("AmlCompute") => Some(
                ComputeProperties::AmlCompute(serde_json::from_value(value)?),
            ),
            Some(value) if raw.compute_type.eq_ignore_ascii_case("AKS") => {
                Some(ComputeProperties::Aks(serde_json::from_value(value)?))
            }
            Some(value) if raw.compute_type.eq_ignore_ascii_case("VirtualMachine") => Some(
                ComputeProperties::VirtualMachine(serde_json::from_value(value)?),
            ),
            Some(value) if raw.compute_type.eq_ignore_ascii_case("HDInsight") => {
                Some(ComputeProperties::HdInsight(serde_json::from_value(value)?))
            }
            Some(value) => Some(ComputeProperties::Other(value)),
        };
        Ok(Self {
            compute_type: raw.compute_type,
            compute_location: raw.compute_location,
            description: raw.description,
            resource_id: raw.resource_id,
            disable_local_auth: raw.disable_local_auth,
            provisioning_state: raw.provisioning_state,
            provisioning_errors: raw.provisioning_errors,
            is_attached_compute: raw.is_attached_compute,
            created_on: raw.created_on,
            modified_on: raw.modified_on,
            properties,
        })
    }
}

impl From<Compute> for RawCompute {
    fn from(c: Compute) -> Self {
        let properties = c.properties.map(|p| match p {
            ComputeProperties::AmlCompute(p) => serde_json::to_value(p),
            ComputeProperties::Aks(p) => serde_json::to_value(p),
            ComputeProperties::VirtualMachine(p) | ComputeProperties::HdInsight(p) => {
                serde_json::to_value(p)
            }
            ComputeProperties::Other(v) => Ok(v),
        });
        Self {
            compute_type: c.compute_type,
            compute_location: c.compute_location,
            description: c.description,
            resource_id: c.resource_id,
            disable_local_auth: c.disable_local_auth,
            provisioning_state: c.provisioning_state,
            provisioning_errors: c.provisioning_errors,
            is_attached_compute: c.is_attached_compute,
            created_on: c.created_on,
            modified_on: c.modified_on,
            // Serialising our own structs to a Value cannot fail (string keys only).
            properties: properties.map(|r| r.expect("compute properties serialise")),
        }
    }
}

/// `AmlComputeProperties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmlComputeProperties {
    /// `Linux` | `Windows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
    /// `Dedicated` | `LowPriority`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_machine_image: Option<SubResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolated_network: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_settings: Option<ScaleSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_account_credentials: Option<UserAccountCredentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<SubResource>,
    /// `Enabled` | `Disabled` | `NotSpecified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_login_port_public_access: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_node_public_ip: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_bag: Option<serde_json::Value>,
    /// Read-only: `Steady` | `Resizing`.
    #[serde(default, skip_serializing)]
    pub allocation_state: Option<String>,
    #[serde(default, skip_serializing)]
    pub allocation_state_transition_time: Option<String>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub errors: Vec<ErrorResponse>,
    #[serde(default, skip_serializing)]
    pub current_node_count: Option<i32>,
    #[serde(default, skip_serializing)]
    pub target_node_count: Option<i32>,
    #[serde(default, skip_serializing)]
    pub node_state_counts: Option<NodeStateCounts>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleSettings {
    pub max_node_count: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_node_count: Option<i32>,
    /// ISO 8601 duration, e.g. `PT120S`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_idle_time_before_scale_down: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAccountCredentials {
    pub admin_user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_user_ssh_public_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_user_password: Option<Secret>,
}

/// Read-only node counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStateCounts {
    #[serde(default)]
    pub idle_node_count: i32,
    #[serde(default)]
    pub running_node_count: i32,
    #[serde(default)]
    pub preparing_node_count: i32,
    #[serde(default)]
    pub unusable_node_count: i32,
    #[serde(default)]
    pub leaving_node_count: i32,
    #[serde(default)]
    pub preempted_node_count: i32,
}

/// `AKSSchema.properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AksProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_fqdn: Option<String>,
    #[serde(default, skip_serializing)]
    pub system_services: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_vm_size: Option<String>,
    /// `FastProd` | `DenseProd` | `DevTest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_configuration: Option<SslConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aks_networking_configuration: Option<AksNetworkingConfiguration>,
    /// `PublicIp` | `InternalLoadBalancer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_subnet: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SslConfiguration {
    /// `Disabled` | `Enabled` | `Auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_domain_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overwrite_existing_domain: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AksNetworkingConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_cidr: Option<String>,
    #[serde(
        default,
        rename = "dnsServiceIP",
        skip_serializing_if = "Option::is_none"
    )]
    pub dns_service_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_bridge_cidr: Option<String>,
}

/// `VirtualMachineSchema.properties` and `HDInsightProperties`: how Azure ML reaches an
/// attached machine over SSH. HDInsight has no `virtualMachineSize`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SshComputeProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_machine_size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub administrator_account: Option<VirtualMachineSshCredentials>,
}

/// `VirtualMachineSshCredentials`: the secrets are sent on attach, never returned, and
/// never printed (see [`Secret`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineSshCredentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_data: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_data: Option<Secret>,
}
