//! The Service Tags API's list (`ServiceTags_List`, `serviceTags.json` of Microsoft.Network
//! 2024-01-01), which `types/network.rs` serves.
//!
//! Azure answers with every tag of the cloud whatever the location (the location only picks
//! the version of the list). The emulator's default list holds a few services in a few
//! regions, each regional tag with made-up prefixes from ranges reserved for documentation
//! and benchmarking (198.18.0.0/15, 203.0.113.0/24, 2001:db8::/32), so nothing real is ever
//! routed by a test. A global tag is the union of its regional tags. The admin API replaces a
//! tag's prefixes, as Azure publishing a new list would, and bumps the change numbers.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// (service tag, system service) of the default list.
const SERVICES: &[(&str, &str)] = &[
    ("AzureActiveDirectory", "AzureAD"),
    ("AzureContainerRegistry", "AzureContainerRegistry"),
    ("AzureMachineLearning", "AzureMachineLearning"),
    ("AzureResourceManager", "AzureResourceManager"),
    ("BatchNodeManagement", "BatchNodeManagement"),
    ("Storage", "AzureStorage"),
];

/// (region, the casing Azure uses in regional tag names).
const REGIONS: &[(&str, &str)] = &[
    ("westeurope", "WestEurope"),
    ("northeurope", "NorthEurope"),
    ("eastus", "EastUS"),
    ("eastus2", "EastUS2"),
    ("westus2", "WestUS2"),
    ("uksouth", "UKSouth"),
    ("francecentral", "FranceCentral"),
    ("southeastasia", "SoutheastAsia"),
];

/// One tag of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTag {
    pub name: String,
    /// Lower-case region, empty for a global tag.
    pub region: String,
    pub system_service: String,
    pub change_number: u64,
    pub address_prefixes: Vec<String>,
}

/// The cloud's tag list, by lower-case tag name.
#[derive(Debug, Clone)]
pub struct ServiceTags {
    pub change_number: u64,
    tags: BTreeMap<String, ServiceTag>,
}

impl Default for ServiceTags {
    fn default() -> ServiceTags {
        let mut tags = BTreeMap::new();
        for (s, (service, system)) in SERVICES.iter().enumerate() {
            for (r, (region, display)) in REGIONS.iter().enumerate() {
                // Each regional tag gets its own /24 of 198.18.0.0/15 (two prefixes in it),
                // Batch a /28 of 203.0.113.0/24 as well, and one IPv6 /64.
                let block = s * REGIONS.len() + r;
                let (third, second) = (block % 256, 18 + block / 256);
                let mut prefixes = vec![
                    format!("198.{second}.{third}.0/25"),
                    format!("198.{second}.{third}.192/27"),
                ];
                if *service == "BatchNodeManagement" {
                    prefixes.push(format!("203.0.113.{}/28", r * 16));
                }
                prefixes.push(format!("2001:db8:{s:x}{r:02x}::/64"));
                let tag = ServiceTag {
                    name: format!("{service}.{display}"),
                    region: (*region).to_owned(),
                    system_service: (*system).to_owned(),
                    change_number: 1,
                    address_prefixes: prefixes,
                };
                tags.insert(tag.name.to_ascii_lowercase(), tag);
            }
            let global = ServiceTag {
                name: (*service).to_owned(),
                region: String::new(),
                system_service: (*system).to_owned(),
                change_number: 1,
                address_prefixes: Vec::new(),
            };
            tags.insert(global.name.to_ascii_lowercase(), global);
        }
        let mut list = ServiceTags {
            change_number: 1,
            tags,
        };
        for (service, _) in SERVICES {
            list.recompute_global(service);
        }
        list
    }
}

impl ServiceTags {
    /// Replaces a tag's prefixes and bumps its change number, the global tag's when it is
    /// regional, and the list's. `None` for a tag the list does not have.
    pub fn replace(&mut self, name: &str, prefixes: Vec<String>) -> Option<&ServiceTag> {
        let key = name.to_ascii_lowercase();
        let tag = self.tags.get_mut(&key)?;
        tag.address_prefixes = prefixes;
        tag.change_number += 1;
        let global = tag
            .name
            .split_once('.')
            .map(|(service, _)| service.to_owned());
        if let Some(service) = global {
            self.recompute_global(&service);
            if let Some(global) = self.tags.get_mut(&service.to_ascii_lowercase()) {
                global.change_number += 1;
            }
        }
        self.change_number += 1;
        self.tags.get(&key)
    }

    fn recompute_global(&mut self, service: &str) {
        let regional = format!("{}.", service.to_ascii_lowercase());
        let mut union: Vec<String> = Vec::new();
        for (key, tag) in &self.tags {
            if key.starts_with(&regional) {
                for prefix in &tag.address_prefixes {
                    if !union.contains(prefix) {
                        union.push(prefix.clone());
                    }
                }
            }
        }
        if let Some(global) = self.tags.get_mut(&service.to_ascii_lowercase()) {
            global.address_prefixes = union;
        }
    }

    pub fn tag_json(tag: &ServiceTag) -> Value {
        json!({
            "name": tag.name,
            "id": tag.name,
            "properties": {
                "changeNumber": tag.change_number.to_string(),
                "region": tag.region,
                "systemService": tag.system_service,
                "addressPrefixes": tag.address_prefixes,
            }
        })
    }

    /// The `ServiceTagsListResult` body.
    pub fn list_json(&self, subscription: &str) -> Value {
        json!({
            "name": "public",
            "id": format!("/subscriptions/{subscription}/providers/Microsoft.Network/serviceTags/public"),
            "type": "Microsoft.Network/serviceTags",
            "changeNumber": self.change_number.to_string(),
            "cloud": "Public",
            "values": self.tags.values().map(Self::tag_json).collect::<Vec<_>>(),
        })
    }
}

/// Whether Azure's Service Tags API answers for `location` (any spelling Azure accepts).
pub fn serves_location(location: &str) -> bool {
    let wanted = normalize_location(location);
    REGIONS.iter().any(|(region, _)| *region == wanted)
}

/// The regions the Service Tags API answers for, as its error lists them.
pub fn locations() -> Vec<&'static str> {
    REGIONS.iter().map(|(region, _)| *region).collect()
}

/// A location as ARM compares them: `West Europe` is `westeurope`.
pub fn normalize_location(location: &str) -> String {
    location.replace(' ', "").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_list_has_regional_and_global_tags() {
        let tags = ServiceTags::default();
        let batch = &tags.tags["batchnodemanagement.westeurope"];
        assert_eq!(batch.name, "BatchNodeManagement.WestEurope");
        assert_eq!(batch.region, "westeurope");
        assert_eq!(
            batch.address_prefixes,
            [
                "198.18.32.0/25",
                "198.18.32.192/27",
                "203.0.113.0/28",
                "2001:db8:400::/64"
            ]
        );
        let global = &tags.tags["batchnodemanagement"];
        assert_eq!(global.region, "");
        assert!(global.address_prefixes.contains(&"203.0.113.16/28".into()));
        assert_eq!(global.address_prefixes.len(), 4 * REGIONS.len());
    }

    #[test]
    fn replacing_prefixes_bumps_the_change_numbers() {
        let mut tags = ServiceTags::default();
        let replaced = tags
            .replace(
                "batchnodemanagement.WESTEUROPE",
                vec!["198.18.200.0/24".into()],
            )
            .cloned()
            .unwrap();
        assert_eq!(replaced.change_number, 2);
        assert_eq!(tags.change_number, 2);
        let global = &tags.tags["batchnodemanagement"];
        assert_eq!(global.change_number, 2);
        assert!(global.address_prefixes.contains(&"198.18.200.0/24".into()));
        assert!(!global.address_prefixes.contains(&"198.18.32.0/25".into()));
        assert!(tags.replace("NoSuchTag", vec![]).is_none());
    }
}
