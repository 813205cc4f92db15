//! Microsoft.Compute 2024-03-01: virtual machines (read only, for attach).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{Resource, null_as_default};

/// `Microsoft.Compute/virtualMachines`.
pub type VirtualMachine = Resource<VirtualMachineProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualMachineProperties {
    pub hardware_profile: Option<HardwareProfile>,
    pub storage_profile: Option<StorageProfile>,
    pub network_profile: Option<VmNetworkProfile>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
    #[serde(skip_serializing)]
    pub vm_id: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HardwareProfile {
    pub vm_size: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StorageProfile {
    pub image_reference: Option<ImageReference>,
    pub os_disk: Option<OsDisk>,
}

/// A marketplace image (`publisher`/`offer`/`sku`/`version`) or a custom, shared or
/// community gallery image (by id).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImageReference {
    pub id: Option<String>,
    pub publisher: Option<String>,
    pub offer: Option<String>,
    pub sku: Option<String>,
    pub version: Option<String>,
    pub shared_gallery_image_id: Option<String>,
    pub community_gallery_image_id: Option<String>,
    #[serde(skip_serializing)]
    pub exact_version: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OsDisk {
    /// `Windows` | `Linux`.
    pub os_type: Option<String>,
    pub create_option: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VmNetworkProfile {
    #[serde(deserialize_with = "null_as_default")]
    pub network_interfaces: Vec<NetworkInterfaceReference>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkInterfaceReference {
    pub id: String,
    pub properties: Option<NetworkInterfaceReferenceProperties>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkInterfaceReferenceProperties {
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
