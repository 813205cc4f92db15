//! Microsoft.Compute 2024-03-01: virtual machines (read only, for attach).

use serde::{Deserialize, Serialize};

use super::{Resource, null_as_default};

/// `Microsoft.Compute/virtualMachines`.
pub type VirtualMachine = Resource<VirtualMachineProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_profile: Option<HardwareProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_profile: Option<StorageProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_profile: Option<VmNetworkProfile>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
    #[serde(default, skip_serializing)]
    pub vm_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HardwareProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_reference: Option<ImageReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_disk: Option<OsDisk>,
}

/// A marketplace image (`publisher`/`offer`/`sku`/`version`) or a custom, shared or
/// community gallery image (by id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_gallery_image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_gallery_image_id: Option<String>,
    #[serde(default, skip_serializing)]
    pub exact_version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsDisk {
    /// `Windows` | `Linux`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_option: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmNetworkProfile {
    #[serde(default, deserialize_with = "null_as_default")]
    pub network_interfaces: Vec<NetworkInterfaceReference>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceReference {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<NetworkInterfaceReferenceProperties>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceReferenceProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

impl VirtualMachine {
    pub fn image_reference(&self) -> Option<&ImageReference> {
        self.properties
            .storage_profile
            .as_ref()?
            .image_reference
            .as_ref()
    }

    pub fn os_type(&self) -> Option<&str> {
        self.properties
            .storage_profile
            .as_ref()?
            .os_disk
            .as_ref()?
            .os_type
            .as_deref()
    }

    /// The primary network interface: the one marked primary, else the only or first one.
    pub fn primary_network_interface(&self) -> Option<&str> {
        let nics = &self.properties.network_profile.as_ref()?.network_interfaces;
        nics.iter()
            .find(|n| {
                n.properties
                    .as_ref()
                    .and_then(|p| p.primary)
                    .unwrap_or(false)
            })
            .or(nics.first())
            .map(|n| n.id.as_str())
    }
}
