//! Resource types: one file per provider namespace, beside `kind.rs` (what a type is to the
//! engine). Each type is a [`Kind`]: the generic engine (`engine.rs`) does scope checks,
//! ETags, LROs and rendering the way the type's [`Wire`](kind::Wire) says its spec answers,
//! and calls the type's hooks for validation, defaults, computed fields and side effects.

pub mod authorization;
pub mod compute;
pub mod containerservice;
pub mod hdinsight;
pub mod keyvault;
pub mod kind;
pub mod ml;
pub mod network;
pub mod resources;
pub mod storage;

use kind::Kind;

/// Every known type.
pub fn kinds() -> impl Iterator<Item = &'static dyn Kind> {
    resources::KINDS
        .iter()
        .chain(network::KINDS)
        .chain(ml::KINDS)
        .chain(containerservice::KINDS)
        .chain(storage::KINDS)
        .chain(keyvault::KINDS)
        .chain(compute::KINDS)
        .chain(hdinsight::KINDS)
        .chain(authorization::KINDS)
        .copied()
}

pub fn kind_for(type_key: &str) -> Option<&'static dyn Kind> {
    kinds().find(|k| k.type_name().eq_ignore_ascii_case(type_key))
}
