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
use serde_with::skip_serializing_none;

/// `tags` of a tracked resource.
pub type Tags = std::collections::BTreeMap<String, String>;

/// A tracked resource (`TrackedResource` of the common types). `kind`, `identity` and `sku`
/// are the top-level members some types add (workspace, compute, storage account): kept as
/// read, so a GET-modify-PUT sends them back.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Resource<P> {
    #[serde(skip_serializing)]
    pub id: Option<String>,
    #[serde(skip_serializing)]
    pub name: Option<String>,
    #[serde(rename = "type", skip_serializing)]
    pub resource_type: Option<String>,
    pub location: Option<String>,
    pub kind: Option<String>,
    pub tags: Option<Tags>,
    pub identity: Option<serde_json::Value>,
    pub sku: Option<serde_json::Value>,
    pub properties: P,
}

/// A Microsoft.Network resource (`Resource` of `network.json`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkResource<P> {
    pub id: Option<String>,
    #[serde(skip_serializing)]
    pub name: Option<String>,
    #[serde(rename = "type", skip_serializing)]
    pub resource_type: Option<String>,
    pub location: Option<String>,
    pub tags: Option<Tags>,
    #[serde(skip_serializing)]
    pub etag: Option<String>,
    pub properties: P,
}

/// A child of a Microsoft.Network resource, PUT on its own or inside its parent.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ChildResource<P> {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    #[serde(skip_serializing)]
    pub etag: Option<String>,
    pub properties: P,
}

/// A resource without location or tags (`ProxyResource` of the common types).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProxyResource<P> {
    #[serde(skip_serializing)]
    pub id: Option<String>,
    #[serde(skip_serializing)]
    pub name: Option<String>,
    #[serde(rename = "type", skip_serializing)]
    pub resource_type: Option<String>,
    pub properties: P,
}

/// A reference to another resource: `{"id": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubResource {
    pub id: String,
}

impl SubResource {
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// A page of a list answer: `{"value": [...], "nextLink": "..."}`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResult<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(default)]
    pub next_link: Option<String>,
}
