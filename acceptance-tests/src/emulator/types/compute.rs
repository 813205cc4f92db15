//! Microsoft.Compute 2024-03-01: virtual machines, the ones a workspace attaches over SSH.
//! Only what attach needs: the image, the OS profile (its secrets never stored) and the
//! network interfaces.

use super::kind::{
    DeleteStyle, Kind, PutStyle, Wire, drop_fields, props, require_location, str_at,
};
use crate::emulator::http::{ArmError, ArmResult, guid, now};
use crate::emulator::ids::{ResId, key_of};
use crate::emulator::state::State;
use crate::emulator::store::Entry;
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[&VirtualMachines];

pub struct VirtualMachines;

fn network_interfaces(body: &Value) -> Vec<&str> {
    body.pointer("/properties/networkProfile/networkInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| str_at(n, "/id"))
        .collect()
}

impl Kind for VirtualMachines {
    fn type_name(&self) -> &'static str {
        "Microsoft.Compute/virtualMachines"
    }
    fn wire(&self) -> Wire {
        Wire::new(
            PutStyle::AsyncOperation,
            DeleteStyle::AsyncOperationAndLocation,
        )
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        let nics = network_interfaces(body);
        if nics.is_empty() {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                "Required parameter 'networkProfile' is missing (null).",
            )
            .with_target("properties.networkProfile".to_owned()));
        }
        for nic in nics {
            if !st.store.contains(&key_of(nic)) {
                return Err(ArmError::new(
                    404,
                    "NotFound",
                    format!(
                        "Resource {nic} referenced by virtual machine {} was not found.",
                        id.raw
                    ),
                ));
            }
        }
        let has_image = body
            .pointer("/properties/storageProfile/imageReference")
            .is_some();
        let attaches_disk = str_at(body, "/properties/storageProfile/osDisk/createOption")
            .is_some_and(|c| c.eq_ignore_ascii_case("Attach"));
        if !has_image && !attaches_disk {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                "Required parameter 'imageReference' is missing (null).",
            )
            .with_target("properties.storageProfile.imageReference".to_owned()));
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(
            &mut body,
            "/properties",
            &["provisioningState", "instanceView", "vmId", "timeCreated"],
        );
        // Azure never returns the password or custom data it was given.
        drop_fields(
            &mut body,
            "/properties/osProfile",
            &["adminPassword", "customData"],
        );
        let keep = |pointer: &str| existing.and_then(|e| e.body.pointer(pointer).cloned());
        let windows = str_at(&body, "/properties/storageProfile/imageReference/publisher")
            .is_some_and(|p| p.to_ascii_lowercase().contains("windows"));
        let p = props(&mut body);
        p.insert(
            "vmId".into(),
            keep("/properties/vmId").unwrap_or_else(|| json!(guid())),
        );
        p.insert(
            "timeCreated".into(),
            keep("/properties/timeCreated").unwrap_or_else(|| json!(now())),
        );
        let storage = p.entry("storageProfile").or_insert(json!({}));
        if let Some(image) = storage.get_mut("imageReference")
            && let Some(version) = image.get("version").and_then(Value::as_str)
        {
            let exact = if version == "latest" {
                "1.0.0"
            } else {
                version
            };
            image["exactVersion"] = json!(exact);
        }
        let disk = storage
            .as_object_mut()
            .expect("object")
            .entry("osDisk")
            .or_insert(json!({"createOption": "FromImage"}));
        if disk.get("osType").is_none() {
            disk["osType"] = json!(if windows { "Windows" } else { "Linux" });
        }
        body
    }
}
