//! Microsoft.MachineLearningServices 2024-04-01: workspaces and computes.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{ProxyResource, Resource, SubResource, null_as_default};
use crate::arm::Secret;
use crate::arm::error::ErrorResponse;

/// `Microsoft.MachineLearningServices/workspaces`.
pub type Workspace = Resource<WorkspaceProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkspaceProperties {
    pub storage_account: Option<String>,
    pub key_vault: Option<String>,
    pub application_insights: Option<String>,
    pub container_registry: Option<String>,
    /// `Enabled` | `Disabled`.
    pub public_network_access: Option<String>,
    pub allow_public_access_when_behind_vnet: Option<bool>,
    pub hbi_workspace: Option<bool>,
    pub managed_network: Option<ManagedNetworkSettings>,
    pub serverless_compute_settings: Option<ServerlessComputeSettings>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub private_endpoint_connections: Vec<PrivateEndpointConnection>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
    #[serde(skip_serializing)]
    pub workspace_id: Option<String>,
    #[serde(skip_serializing)]
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

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ManagedNetworkSettings {
    /// `Disabled` | `AllowInternetOutbound` | `AllowOnlyApprovedOutbound`.
    pub isolation_mode: Option<String>,
    #[serde(skip_serializing)]
    pub network_id: Option<String>,
    pub outbound_rules: Option<serde_json::Value>,
    pub status: Option<serde_json::Value>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServerlessComputeSettings {
    pub serverless_compute_custom_subnet: Option<String>,
    #[serde(rename = "serverlessComputeNoPublicIP")]
    pub serverless_compute_no_public_ip: Option<bool>,
}

/// A private endpoint connection of a workspace, storage account or key vault (read only);
/// its `properties` may be absent or `null`.
pub type PrivateEndpointConnection = ProxyResource<Option<PrivateEndpointConnectionProperties>>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PrivateEndpointConnectionProperties {
    pub private_endpoint: Option<SubResource>,
    pub private_link_service_connection_state: Option<PrivateLinkServiceConnectionState>,
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
#[serde(default, rename_all = "camelCase")]
pub struct PrivateLinkServiceConnectionState {
    /// `Pending` | `Approved` | `Rejected` | `Disconnected` | `Timeout`.
    pub status: Option<String>,
    pub description: Option<String>,
    pub actions_required: Option<String>,
}

/// `DatastoreResource` (`mfe.json`): a datastore of a workspace, the parts that say which
/// storage it reads. Read only.
pub type Datastore = ProxyResource<DatastoreProperties>;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DatastoreProperties {
    /// `AzureBlob`, `AzureDataLakeGen1`, `AzureDataLakeGen2`, `AzureFile` or `OneLake`.
    pub datastore_type: String,
    /// The workspace's default datastore (on its own storage account).
    pub is_default: Option<bool>,
    /// The storage account of a blob, file share or Data Lake Gen2 datastore.
    pub account_name: Option<String>,
    pub subscription_id: Option<String>,
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

#[skip_serializing_none]
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCompute {
    #[serde(default)]
    compute_type: String,
    #[serde(default)]
    compute_location: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    resource_id: Option<String>,
    #[serde(default)]
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
    #[serde(default)]
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
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AmlComputeProperties {
    /// `Linux` | `Windows`.
    pub os_type: Option<String>,
    pub vm_size: Option<String>,
    /// `Dedicated` | `LowPriority`.
    pub vm_priority: Option<String>,
    pub virtual_machine_image: Option<SubResource>,
    pub isolated_network: Option<bool>,
    pub scale_settings: Option<ScaleSettings>,
    pub user_account_credentials: Option<UserAccountCredentials>,
    pub subnet: Option<SubResource>,
    /// `Enabled` | `Disabled` | `NotSpecified`.
    pub remote_login_port_public_access: Option<String>,
    pub enable_node_public_ip: Option<bool>,
    pub property_bag: Option<serde_json::Value>,
    /// Read-only: `Steady` | `Resizing`.
    #[serde(skip_serializing)]
    pub allocation_state: Option<String>,
    #[serde(skip_serializing)]
    pub allocation_state_transition_time: Option<String>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub errors: Vec<ErrorResponse>,
    #[serde(skip_serializing)]
    pub current_node_count: Option<i32>,
    #[serde(skip_serializing)]
    pub target_node_count: Option<i32>,
    #[serde(skip_serializing)]
    pub node_state_counts: Option<NodeStateCounts>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleSettings {
    pub max_node_count: i32,
    #[serde(default)]
    pub min_node_count: Option<i32>,
    /// ISO 8601 duration, e.g. `PT120S`.
    #[serde(default)]
    pub node_idle_time_before_scale_down: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAccountCredentials {
    pub admin_user_name: String,
    #[serde(default)]
    pub admin_user_ssh_public_key: Option<Secret>,
    #[serde(default)]
    pub admin_user_password: Option<Secret>,
}

/// Read-only node counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeStateCounts {
    pub idle_node_count: i32,
    pub running_node_count: i32,
    pub preparing_node_count: i32,
    pub unusable_node_count: i32,
    pub leaving_node_count: i32,
    pub preempted_node_count: i32,
}

/// `AKSSchema.properties`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AksProperties {
    pub cluster_fqdn: Option<String>,
    #[serde(skip_serializing)]
    pub system_services: Option<serde_json::Value>,
    pub agent_count: Option<i32>,
    pub agent_vm_size: Option<String>,
    /// `FastProd` | `DenseProd` | `DevTest`.
    pub cluster_purpose: Option<String>,
    pub ssl_configuration: Option<SslConfiguration>,
    pub aks_networking_configuration: Option<AksNetworkingConfiguration>,
    /// `PublicIp` | `InternalLoadBalancer`.
    pub load_balancer_type: Option<String>,
    pub load_balancer_subnet: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SslConfiguration {
    /// `Disabled` | `Enabled` | `Auto`.
    pub status: Option<String>,
    pub cert: Option<Secret>,
    pub key: Option<Secret>,
    pub cname: Option<String>,
    pub leaf_domain_label: Option<String>,
    pub overwrite_existing_domain: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AksNetworkingConfiguration {
    pub subnet_id: Option<String>,
    pub service_cidr: Option<String>,
    #[serde(rename = "dnsServiceIP")]
    pub dns_service_ip: Option<String>,
    pub docker_bridge_cidr: Option<String>,
}

/// `VirtualMachineSchema.properties` and `HDInsightProperties`: how Azure ML reaches an
/// attached machine over SSH. HDInsight has no `virtualMachineSize`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SshComputeProperties {
    pub virtual_machine_size: Option<String>,
    pub ssh_port: Option<i32>,
    pub address: Option<String>,
    pub administrator_account: Option<VirtualMachineSshCredentials>,
}

/// `VirtualMachineSshCredentials`: the secrets are sent on attach, never returned, and
/// never printed (see [`Secret`]).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualMachineSshCredentials {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub public_key_data: Option<Secret>,
    pub private_key_data: Option<Secret>,
}
