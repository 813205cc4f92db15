//! Microsoft.Network 2024-01-01 `ServiceTags_List`: the address prefixes of every service tag
//! of the cloud (read-only).

use serde::Deserialize;

/// `ServiceTagsListResult`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceTagsListResult {
    pub change_number: Option<String>,
    pub cloud: Option<String>,
    #[serde(deserialize_with = "super::null_as_default")]
    pub values: Vec<ServiceTagInformation>,
    /// The spec allows one, though Azure answers with the whole list.
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
#[serde(default, rename_all = "camelCase")]
pub struct ServiceTagInformation {
    pub name: Option<String>,
    pub id: Option<String>,
    pub properties: ServiceTagProperties,
}

/// `ServiceTagInformationPropertiesFormat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceTagProperties {
    pub change_number: Option<String>,
    /// Lower-case region, empty for a global tag.
    pub region: Option<String>,
    pub system_service: Option<String>,
    #[serde(deserialize_with = "super::null_as_default")]
    pub address_prefixes: Vec<String>,
}
