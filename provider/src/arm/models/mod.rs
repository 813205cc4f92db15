//! Typed ARM bodies: only the fields the provider needs, at the pinned api-versions.
//!
//! Conventions: `camelCase` on the wire; unknown fields are ignored; optional fields are
//! `Option` and omitted when `None`; read-only fields (per the specs' `readOnly`) are read
//! but never serialised, so a GET-modify-PUT never sends them back. Lists that a PUT would
//! clear when omitted are `Option<Vec<_>>`, so a read-modify-write keeps them as read.
//! Models that are PUT back whole after a GET (subnet) carry every writable field of the spec.

pub mod aks;
pub mod authorization;
pub mod compute;
pub mod firewall;
pub mod hdinsight;
pub mod keyvault;
pub mod ml;
pub mod network;
pub mod service_tags;
pub mod storage;

#[cfg(test)]
mod tests;

pub use aks::*;
pub use authorization::*;
pub use compute::*;
pub use firewall::*;
pub use hdinsight::*;
pub use keyvault::*;
pub use ml::*;
pub use network::*;
pub use service_tags::*;
pub use storage::*;

use serde::{Deserialize, Serialize};

pub(crate) use super::error::null_as_default;

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

/// `tags` of a tracked resource.
pub type Tags = std::collections::BTreeMap<String, String>;
