//! Microsoft.Authorization 2020-05-01: management locks (`locks.json`), read only.

use serde::{Deserialize, Serialize};

/// `ManagementLockObject`: a lock on a subscription, resource group or resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagementLock {
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    #[serde(default)]
    pub properties: ManagementLockProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagementLockProperties {
    /// `NotSpecified`, `CanNotDelete` or `ReadOnly`.
    #[serde(default)]
    pub level: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl ManagementLock {
    /// The scope the lock is on, normalised (lower case): its id without
    /// `/providers/Microsoft.Authorization/locks/{name}`; `None` for an id of another shape.
    pub fn scope(&self) -> Option<String> {
        let id = super::super::resource_id::normalize(self.id.as_deref()?);
        let (scope, name) = id.rsplit_once("/providers/microsoft.authorization/locks/")?;
        (!name.is_empty() && !name.contains('/')).then(|| scope.to_owned())
    }
}
