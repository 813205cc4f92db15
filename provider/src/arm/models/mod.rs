//! Typed ARM bodies: only the fields the provider needs, at the pinned api-versions.
//!
//! Conventions: `camelCase` on the wire; unknown fields are ignored, missing ones take their
//! defaults (`#[serde(default)]` on the struct); optional fields are `Option` and omitted when
//! `None` (`#[skip_serializing_none]`); read-only fields (per the specs' `readOnly`) are read
//! but never serialised (`skip_serializing`), so a GET-modify-PUT never sends them back. Lists
//! that a PUT would clear when omitted are `Option<Vec<_>>`, so a read-modify-write keeps them
//! as read. Models that are PUT back whole after a GET (subnet) carry every writable field of
//! the spec.
//! A resource is one of the envelopes of [`envelope`] over its own properties.

pub mod aks;
pub mod authorization;
pub mod compute;
pub mod envelope;
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
pub use envelope::*;
pub use firewall::*;
pub use hdinsight::*;
pub use keyvault::*;
pub use ml::*;
pub use network::*;
pub use service_tags::*;
pub use storage::*;

pub(crate) use super::error::null_as_default;
