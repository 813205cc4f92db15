//! Microsoft.Network 2024-01-01: virtual networks (+ subnets, peerings), network security
//! groups (+ security rules, default rules), route tables (+ routes), network interfaces,
//! private endpoints, location usages.
//!
//! One file per resource family; this one holds what they share: the registry, the address
//! helpers (the ML and AKS types use them too) and how every Microsoft.Network type answers.

mod interfaces;
mod private_endpoints;
mod reads;
mod route_tables;
mod security_groups;
mod virtual_networks;

pub use private_endpoints::connections_to;
pub use reads::{service_tags_route, special_get, subscription_route};

use interfaces::NetworkInterfaces;
use private_endpoints::PrivateEndpoints;
use route_tables::{RouteTables, Routes};
use security_groups::{SecurityGroups, SecurityRules, default_rules, subnets_referencing};
use virtual_networks::{Peerings, Subnets, VirtualNetworks, remote_space};

// What every file of the family uses; each takes it with `use super::*`.
use super::kind::{
    DeleteStyle, Embedded, Kind, PutStyle, Wire, drop_fields, patch_tags, props, require_location,
    str_at,
};
use crate::emulator::api_version::check_api_version;
use crate::emulator::http::not_found;
use crate::emulator::http::{ArmError, ArmResult, Incoming, Reply, guid};
use crate::emulator::ids::{ResId, key_of};
use crate::emulator::service_tags::{self, normalize_location};
use crate::emulator::state::State;
use crate::emulator::store::{Entry, ProvState};
use ipnet::IpNet;
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[
    &VirtualNetworks,
    &Subnets,
    &Peerings,
    &SecurityGroups,
    &SecurityRules,
    &RouteTables,
    &Routes,
    &NetworkInterfaces,
    &PrivateEndpoints,
];

const VNET: &str = "microsoft.network/virtualnetworks";
const SUBNET: &str = "microsoft.network/virtualnetworks/subnets";
const PEERING: &str = "microsoft.network/virtualnetworks/virtualnetworkpeerings";
const NSG: &str = "microsoft.network/networksecuritygroups";
const ROUTE_TABLE: &str = "microsoft.network/routetables";
const PRIVATE_ENDPOINT: &str = "microsoft.network/privateendpoints";

/// Parses CIDR strings; host bits are refused for VNet and subnet prefixes.
pub fn parse_prefixes(values: &[&str], owner: &str) -> ArmResult<Vec<IpNet>> {
    values
        .iter()
        .map(|text| {
            let net: IpNet = text.parse().map_err(|_| {
                ArmError::bad_request(
                    "NetcfgInvalidAddressPrefix",
                    format!("Address prefix {text} for resource {owner} is not a valid CIDR."),
                )
            })?;
            if net.trunc() != net {
                return Err(ArmError::bad_request(
                    "NetcfgInvalidAddressPrefix",
                    format!(
                        "Address prefix {text} for resource {owner} is not valid: it has host bits set (did you mean {}?).",
                        net.trunc()
                    ),
                ));
            }
            Ok(net)
        })
        .collect()
}

pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A VNet body's address space (unparsable entries skipped).
pub fn vnet_prefixes(vnet: &Value) -> Vec<IpNet> {
    strings(vnet.pointer("/properties/addressSpace/addressPrefixes"))
        .into_iter()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// A subnet body's prefixes as written (`addressPrefix` and `addressPrefixes`).
fn subnet_prefix_texts(subnet: &Value) -> Vec<&str> {
    let mut out = strings(subnet.pointer("/properties/addressPrefixes"));
    if let Some(single) = str_at(subnet, "/properties/addressPrefix") {
        out.push(single);
    }
    out
}

pub fn subnet_prefixes(subnet: &Value) -> Vec<IpNet> {
    subnet_prefix_texts(subnet)
        .into_iter()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The VNet entry that owns `subnet_id`, if emulated.
pub fn vnet_of_subnet<'a>(st: &'a State, subnet_id: &str) -> Option<&'a Entry> {
    let id = ResId::parse(subnet_id)?;
    st.store.get(&id.parent()?.key())
}

/// Address prefixes of a VNet's peerings (`remoteAddressSpace`).
pub fn peered_prefixes(st: &State, vnet: &Entry) -> Vec<IpNet> {
    st.store
        .children(&key_of(&vnet.id), PEERING)
        .into_iter()
        .flat_map(|p| {
            let remote = remote_space(st, &p.body);
            remote
                .into_iter()
                .filter_map(|s| s.parse::<IpNet>().ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Free addresses in a subnet: Azure reserves 5 per subnet; each IP configuration uses one.
pub fn free_addresses(st: &State, subnet: &Entry) -> u64 {
    let total: u64 = subnet_prefixes(&subnet.body)
        .iter()
        .filter(|n| matches!(n, IpNet::V4(_)))
        .map(|n| (1u64 << (32 - n.prefix_len() as u64)).saturating_sub(5))
        .sum();
    total.saturating_sub(st.store.ip_configurations(&key_of(&subnet.id)).len() as u64)
}

fn same_id(a: &str, b: &str) -> bool {
    key_of(a) == key_of(b)
}

fn reference_exists(st: &State, body: &Value, pointer: &str, owner: &str) -> ArmResult<()> {
    if let Some(id) = str_at(body, pointer)
        && !st.store.contains(&key_of(id))
    {
        return Err(ArmError::bad_request(
            "InvalidResourceReference",
            format!(
                "Resource {id} referenced by resource {owner} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
            ),
        ));
    }
    Ok(())
}

fn resource_guid(existing: Option<&Entry>) -> Value {
    existing
        .and_then(|e| e.body.pointer("/properties/resourceGuid").cloned())
        .unwrap_or_else(|| json!(guid()))
}

/// Network resources are `Updating` while created (the enum has no `Creating`).
/// How every Microsoft.Network type answers: etags, PUT with `Azure-AsyncOperation`,
/// DELETE with `Location`, and `Updating` while a resource is created.
pub const NETWORK: Wire = Wire {
    etag: true,
    provisioning_state: |state| {
        Some(match state {
            ProvState::Creating => "Updating",
            other => other.as_str(),
        })
    },
    ..Wire::new(PutStyle::AsyncOperation, DeleteStyle::Location)
};
