//! Microsoft.Network 2024-01-01 `ServiceTags_List`: the address prefixes of every service tag
//! of the cloud (read-only).

use serde::Deserialize;

/// `ServiceTagsListResult`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTagsListResult {
    #[serde(default)]
    pub change_number: Option<String>,
    #[serde(default)]
    pub cloud: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub values: Vec<ServiceTagInformation>,
    /// The spec allows one, though Azure answers with the whole list.
    #[serde(default)]
    pub next_link: Option<String>,
}

impl ServiceTagsListResult {
    /// Whether more tags follow on another page.
    pub fn is_partial(&self) -> bool {
        self.next_link
            .as_deref()
            .is_some_and(|link| !link.is_empty())
    }
}

/// `ServiceTagInformation`: one tag, like `BatchNodeManagement.WestEurope`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTagInformation {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub properties: ServiceTagProperties,
}

/// `ServiceTagInformationPropertiesFormat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTagProperties {
    #[serde(default)]
    pub change_number: Option<String>,
    /// Lower-case region, empty for a global tag.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub system_service: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub address_prefixes: Vec<String>,
}
