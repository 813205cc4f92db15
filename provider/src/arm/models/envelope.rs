//! What every ARM API wraps its objects in, written once: the envelopes around a resource's
//! `properties`, references to other resources and list pages. A typed model is an envelope
//! over its own properties (`pub type Workspace = Resource<WorkspaceProperties>`), and its
//! helpers are methods of that instance.
//!
//! The envelopes differ in what a PUT may carry back, so they stay apart:
//! - [`Resource`]: a tracked resource of ARM's common types; `id`, `name` and `type` are
//!   read-only.
//! - [`NetworkResource`]: Microsoft.Network's own resource, whose `id` is writable (a
//!   read-modify-write sends it back) and which has a read-only `etag`.
//! - [`ChildResource`]: a Microsoft.Network child (subnet, delegation, peering, security
//!   rule, route): no location or tags, and `name` and `type` are writable too.
//! - [`ProxyResource`]: a resource with neither location nor tags (locks, policies,
//!   datastores), whose `id`, `name` and `type` are read-only.

use serde::{Deserialize, Serialize};

/// `tags` of a tracked resource.
pub type Tags = std::collections::BTreeMap<String, String>;

/// A tracked resource (`TrackedResource` of the common types). `kind`, `identity` and `sku`
/// are the top-level members some types add (workspace, compute, storage account): kept as
/// read, so a GET-modify-PUT sends them back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<P> {
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing)]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<serde_json::Value>,
    #[serde(default)]
    pub properties: P,
}

/// A Microsoft.Network resource (`Resource` of `network.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkResource<P> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing)]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing)]
    pub etag: Option<String>,
    #[serde(default)]
    pub properties: P,
}

/// A child of a Microsoft.Network resource, PUT on its own or inside its parent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildResource<P> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing)]
    pub etag: Option<String>,
    #[serde(default)]
    pub properties: P,
}

/// A resource without location or tags (`ProxyResource` of the common types).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyResource<P> {
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub properties: P,
}

/// A reference to another resource: `{"id": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubResource {
    #[serde(default)]
    pub id: String,
}

impl SubResource {
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// A page of a list answer: `{"value": [...], "nextLink": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResult<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}
