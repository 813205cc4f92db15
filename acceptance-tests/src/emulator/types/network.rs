//! Microsoft.Network 2024-01-01: virtual networks (+ subnets, peerings), network security
//! groups (+ security rules, default rules), route tables (+ routes), network interfaces,
//! private endpoints, location usages.

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

// ---------------------------------------------------------------------------------
// Address helpers, shared with the ML and AKS types.

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

fn invalid_subnet(name: &str, vnet: &str, why: String) -> ArmError {
    ArmError::bad_request(
        "NetcfgInvalidSubnet",
        format!("Subnet '{name}' is not valid in virtual network '{vnet}': {why}"),
    )
}

/// Checks one subnet against its VNet's space and its siblings.
fn check_subnet(
    name: &str,
    vnet_name: &str,
    subnet: &Value,
    space: &[IpNet],
    siblings: &[(String, Vec<IpNet>)],
) -> ArmResult<Vec<IpNet>> {
    let texts = subnet_prefix_texts(subnet);
    if texts.is_empty() {
        return Err(invalid_subnet(
            name,
            vnet_name,
            "it has no addressPrefix.".into(),
        ));
    }
    let prefixes = parse_prefixes(&texts, &format!("subnet {name}"))?;
    for p in &prefixes {
        if !space.iter().any(|s| s.contains(p)) {
            return Err(invalid_subnet(
                name,
                vnet_name,
                format!(
                    "its address prefix {p} is outside the address space {} of the virtual network.",
                    space
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        for (other, other_prefixes) in siblings {
            if let Some(o) = other_prefixes.iter().find(|o| overlaps(p, o)) {
                return Err(invalid_subnet(
                    name,
                    vnet_name,
                    format!("its address prefix {p} overlaps {o} of subnet '{other}'."),
                ));
            }
        }
    }
    Ok(prefixes)
}

fn remote_space<'a>(st: &'a State, peering: &'a Value) -> Vec<&'a str> {
    if let Some(remote_id) = str_at(peering, "/properties/remoteVirtualNetwork/id")
        && let Some(remote) = st.store.get(&key_of(remote_id))
    {
        return strings(
            remote
                .body
                .pointer("/properties/addressSpace/addressPrefixes"),
        );
    }
    strings(peering.pointer("/properties/remoteAddressSpace/addressPrefixes"))
}

fn check_peering(st: &State, name: &str, local: &[IpNet], peering: &Value) -> ArmResult<()> {
    if str_at(peering, "/properties/remoteVirtualNetwork/id").is_none() {
        return Err(ArmError::bad_request(
            "InvalidRequestFormat",
            format!(
                "Virtual network peering '{name}' must specify properties.remoteVirtualNetwork.id."
            ),
        ));
    }
    for remote in remote_space(st, peering) {
        if let Ok(r) = remote.parse::<IpNet>()
            && let Some(l) = local.iter().find(|l| overlaps(l, &r))
        {
            return Err(ArmError::bad_request(
                "VnetAddressSpacesOverlap",
                format!(
                    "Cannot create or update peering '{name}'. Virtual networks cannot be peered because their address spaces overlap: {l} and {r}."
                ),
            ));
        }
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

// ---------------------------------------------------------------------------------
// Virtual networks and subnets.

pub struct VirtualNetworks;

impl Kind for VirtualNetworks {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/virtualNetworks"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }
    fn embedded(&self) -> &'static [Embedded] {
        &[
            Embedded {
                property: "subnets",
                child_type: "subnets",
            },
            Embedded {
                property: "virtualNetworkPeerings",
                child_type: "virtualNetworkPeerings",
            },
        ]
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        let texts = strings(body.pointer("/properties/addressSpace/addressPrefixes"));
        if texts.is_empty() {
            return Err(ArmError::bad_request(
                "InvalidRequestFormat",
                format!(
                    "Virtual network {} must have properties.addressSpace.addressPrefixes.",
                    id.name()
                ),
            ));
        }
        let space = parse_prefixes(&texts, id.name())?;
        let mut seen: Vec<(String, Vec<IpNet>)> = Vec::new();
        for subnet in body
            .pointer("/properties/subnets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = subnet.get("name").and_then(Value::as_str).ok_or_else(|| {
                ArmError::bad_request("InvalidRequestFormat", "Every subnet needs a name.")
            })?;
            let owner = format!("{}/subnets/{name}", id.raw);
            let prefixes = check_subnet(name, id.name(), subnet, &space, &seen)?;
            reference_exists(st, subnet, "/properties/networkSecurityGroup/id", &owner)?;
            reference_exists(st, subnet, "/properties/routeTable/id", &owner)?;
            seen.push((name.to_owned(), prefixes));
        }
        for peering in body
            .pointer("/properties/virtualNetworkPeerings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = peering.get("name").and_then(Value::as_str).unwrap_or("");
            check_peering(st, name, &space, peering)?;
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        let guid = resource_guid(existing);
        let p = props(&mut body);
        p.insert("resourceGuid".into(), guid);
        p.entry("enableDdosProtection").or_insert(json!(false));
        body
    }

    fn patch(&self, _: &State, entry: &Entry, patch: &Value) -> ArmResult<Value> {
        patch_tags(entry, patch)
    }

    fn check_delete(&self, st: &State, entry: &Entry) -> ArmResult<()> {
        for subnet in st.store.children(&key_of(&entry.id), SUBNET) {
            Subnets.check_delete(st, subnet)?;
        }
        Ok(())
    }
}

pub struct Subnets;

impl Kind for Subnets {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/virtualNetworks/subnets"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        let parent = id.parent().expect("subnets have a parent");
        let vnet = st.store.get(&parent.key()).expect("scope checked");
        let space = vnet_prefixes(&vnet.body);
        let siblings: Vec<(String, Vec<IpNet>)> = st
            .store
            .children(&parent.key(), SUBNET)
            .into_iter()
            .filter(|s| key_of(&s.id) != id.key())
            .map(|s| {
                (
                    s.id.rsplit('/').next().unwrap_or("").to_owned(),
                    subnet_prefixes(&s.body),
                )
            })
            .collect();
        check_subnet(id.name(), parent.name(), body, &space, &siblings)?;
        reference_exists(st, body, "/properties/networkSecurityGroup/id", &id.raw)?;
        reference_exists(st, body, "/properties/routeTable/id", &id.raw)?;
        Ok(())
    }

    fn fill(&self, _: &State, id: &ResId, mut body: Value, _: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(
            &mut body,
            "/properties",
            &[
                "ipConfigurations",
                "ipConfigurationProfiles",
                "privateEndpoints",
                "resourceNavigationLinks",
                "serviceAssociationLinks",
                "purpose",
                "provisioningState",
            ],
        );
        let p = props(&mut body);
        for field in ["networkSecurityGroup", "routeTable", "natGateway"] {
            if let Some(reference) = p.get(field).and_then(|v| v.get("id")).cloned() {
                p.insert(field.into(), json!({ "id": reference }));
            }
        }
        p.entry("privateEndpointNetworkPolicies")
            .or_insert(json!("Disabled"));
        p.entry("privateLinkServiceNetworkPolicies")
            .or_insert(json!("Enabled"));
        if let Some(endpoints) = p.get_mut("serviceEndpoints").and_then(Value::as_array_mut) {
            for e in endpoints {
                e["provisioningState"] = json!("Succeeded");
            }
        }
        if let Some(delegations) = p.get_mut("delegations").and_then(Value::as_array_mut) {
            for d in delegations {
                let name = d
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("0")
                    .to_owned();
                d["id"] = json!(format!("{}/delegations/{name}", id.raw));
                d["type"] = json!("Microsoft.Network/virtualNetworks/subnets/delegations");
                if let Some(dp) = d.get_mut("properties").and_then(Value::as_object_mut) {
                    dp.insert("provisioningState".into(), json!("Succeeded"));
                }
            }
        }
        body
    }

    fn patch(&self, _: &State, _: &Entry, _: &Value) -> ArmResult<Value> {
        Err(ArmError::new(
            405,
            "HttpMethodNotAllowed",
            "Subnets do not support PATCH; PUT the whole subnet.",
        ))
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let configs = st.store.ip_configurations(&key_of(&entry.id));
        if !configs.is_empty() {
            props(out).insert(
                "ipConfigurations".into(),
                configs.iter().map(|id| json!({ "id": id })).collect(),
            );
        }
        let endpoints: Vec<Value> = st
            .store
            .all()
            .filter(|(_, e)| e.type_key == PRIVATE_ENDPOINT)
            .filter(|(_, e)| {
                str_at(&e.body, "/properties/subnet/id").is_some_and(|s| same_id(s, &entry.id))
            })
            .map(|(_, e)| json!({ "id": e.id }))
            .collect();
        if !endpoints.is_empty() {
            props(out).insert("privateEndpoints".into(), Value::Array(endpoints));
        }
    }

    fn check_delete(&self, st: &State, entry: &Entry) -> ArmResult<()> {
        let mut users: Vec<String> = st
            .store
            .ip_configurations(&key_of(&entry.id))
            .iter()
            .take(3)
            .cloned()
            .collect();
        for (_, cluster) in st.store.all() {
            if cluster.type_key != "microsoft.containerservice/managedclusters" {
                continue;
            }
            let uses = cluster
                .body
                .pointer("/properties/agentPoolProfiles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|p| str_at(p, "/vnetSubnetID").is_some_and(|s| same_id(s, &entry.id)));
            if uses {
                users.push(cluster.id.clone());
            }
        }
        if users.is_empty() {
            return Ok(());
        }
        let name = entry.id.rsplit('/').next().unwrap_or("");
        Err(ArmError::bad_request(
            "InUseSubnetCannotBeDeleted",
            format!(
                "Subnet {name} is in use by {} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
                users.join(", ")
            ),
        ))
    }
}

pub struct Peerings;

impl Kind for Peerings {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        let vnet = st
            .store
            .get(&id.parent().expect("child").key())
            .expect("scope checked");
        check_peering(st, id.name(), &vnet_prefixes(&vnet.body), body)
    }

    fn fill(&self, st: &State, _: &ResId, mut body: Value, _: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(
            &mut body,
            "/properties",
            &["peeringState", "provisioningState"],
        );
        let space: Vec<Value> = remote_space(st, &body)
            .into_iter()
            .map(|s| json!(s))
            .collect();
        let p = props(&mut body);
        if !space.is_empty() {
            p.insert(
                "remoteAddressSpace".into(),
                json!({ "addressPrefixes": space }),
            );
            p.insert(
                "remoteVirtualNetworkAddressSpace".into(),
                json!({ "addressPrefixes": space }),
            );
        }
        for (field, default) in [
            ("allowVirtualNetworkAccess", true),
            ("allowForwardedTraffic", false),
            ("allowGatewayTransit", false),
            ("useRemoteGateways", false),
        ] {
            p.entry(field).or_insert(json!(default));
        }
        body
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let local_vnet = entry
            .id
            .rsplitn(3, '/')
            .nth(2)
            .unwrap_or_default()
            .to_owned();
        let state = match str_at(&entry.body, "/properties/remoteVirtualNetwork/id")
            .and_then(|remote| st.store.get(&key_of(remote)))
        {
            Some(remote) => {
                let back = st
                    .store
                    .children(&key_of(&remote.id), PEERING)
                    .into_iter()
                    .any(|p| {
                        str_at(&p.body, "/properties/remoteVirtualNetwork/id")
                            .is_some_and(|r| same_id(r, &local_vnet))
                    });
                if back { "Connected" } else { "Initiated" }
            }
            // The remote network is not emulated: assume its side exists.
            None => "Connected",
        };
        let p = props(out);
        p.insert("peeringState".into(), json!(state));
        p.insert("peeringSyncLevel".into(), json!("FullyInSync"));
    }
}

// ---------------------------------------------------------------------------------
// Network security groups.

fn check_port(rule: &str, p: &serde_json::Map<String, Value>, field: &str) -> ArmResult<()> {
    let Some(value) = p.get(field).and_then(Value::as_str) else {
        return Ok(());
    };
    let valid_port = |s: &str| s.parse::<u32>().is_ok_and(|n| n <= 65535);
    let ok = value == "*"
        || valid_port(value)
        || value
            .split_once('-')
            .is_some_and(|(a, b)| valid_port(a) && valid_port(b));
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad_request(
            "SecurityRuleInvalidPortRange",
            format!("Security rule {rule} has invalid Port range. Value provided: {value}. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535."),
        ).with_target(field.to_owned()))
    }
}

fn check_rule(name: &str, rule: &Value) -> ArmResult<(i64, String)> {
    let empty = serde_json::Map::new();
    let p = rule
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (field, allowed) in [
        ("protocol", &["Tcp", "Udp", "Icmp", "Esp", "*", "Ah"][..]),
        ("access", &["Allow", "Deny"][..]),
        ("direction", &["Inbound", "Outbound"][..]),
    ] {
        match p.get(field).and_then(Value::as_str) {
            Some(v) if allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) => {}
            Some(v) => {
                return Err(ArmError::bad_request(
                    "InvalidRequestFormat",
                    format!(
                        "Security rule {name}: value '{v}' of {field} is not one of {}.",
                        allowed.join(", ")
                    ),
                ));
            }
            None => {
                return Err(ArmError::bad_request(
                    "InvalidRequestFormat",
                    format!("Security rule {name} is missing the required property {field}."),
                ));
            }
        }
    }
    let priority = p.get("priority").and_then(Value::as_i64).ok_or_else(|| {
        ArmError::bad_request(
            "SecurityRuleInvalidPriority",
            format!("Security rule {name} has no priority."),
        )
    })?;
    if !(100..=4096).contains(&priority) {
        return Err(ArmError::bad_request(
            "SecurityRuleInvalidPriority",
            format!(
                "Security rule {name} has invalid Priority. Value provided: {priority} Allowed range 100-4096."
            ),
        ));
    }
    check_port(name, p, "sourcePortRange")?;
    check_port(name, p, "destinationPortRange")?;
    let direction = p["direction"].as_str().unwrap_or("").to_ascii_lowercase();
    Ok((priority, direction))
}

fn rule_conflict(name: &str, other: &str) -> ArmError {
    ArmError::bad_request(
        "SecurityRuleConflict",
        format!(
            "Security rule {name} conflicts with rule {other}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules."
        ),
    )
}

fn fill_rule(mut rule: Value) -> Value {
    drop_fields(&mut rule, "", &["etag"]);
    drop_fields(&mut rule, "/properties", &["provisioningState"]);
    let p = props(&mut rule);
    for field in [
        "sourcePortRanges",
        "destinationPortRanges",
        "sourceAddressPrefixes",
        "destinationAddressPrefixes",
    ] {
        p.entry(field).or_insert(json!([]));
    }
    rule
}

pub struct SecurityGroups;

impl Kind for SecurityGroups {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/networkSecurityGroups"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }
    fn embedded(&self) -> &'static [Embedded] {
        &[Embedded {
            property: "securityRules",
            child_type: "securityRules",
        }]
    }

    fn validate(&self, _: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        let mut seen: Vec<(String, i64, String)> = Vec::new();
        for rule in body
            .pointer("/properties/securityRules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = rule.get("name").and_then(Value::as_str).ok_or_else(|| {
                ArmError::bad_request("InvalidRequestFormat", "Every security rule needs a name.")
            })?;
            let (priority, direction) = check_rule(name, rule)?;
            if let Some((other, _, _)) = seen
                .iter()
                .find(|(_, p, d)| *p == priority && *d == direction)
            {
                return Err(rule_conflict(name, other));
            }
            seen.push((name.to_owned(), priority, direction));
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(
            &mut body,
            "/properties",
            &[
                "defaultSecurityRules",
                "subnets",
                "networkInterfaces",
                "flowLogs",
            ],
        );
        let guid = resource_guid(existing);
        props(&mut body).insert("resourceGuid".into(), guid);
        body
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let etag = entry.etag.clone().unwrap_or_default();
        let rules: Vec<Value> = default_rules(&entry.id, &etag);
        let subnets = subnets_referencing(st, "/properties/networkSecurityGroup/id", &entry.id);
        let p = props(out);
        p.insert("defaultSecurityRules".into(), Value::Array(rules));
        if !subnets.is_empty() {
            p.insert("subnets".into(), Value::Array(subnets));
        }
    }

    fn check_delete(&self, st: &State, entry: &Entry) -> ArmResult<()> {
        let users = subnets_referencing(st, "/properties/networkSecurityGroup/id", &entry.id);
        if users.is_empty() {
            return Ok(());
        }
        Err(ArmError::bad_request(
            "InUseNetworkSecurityGroupCannotBeDeleted",
            format!(
                "Network security group {} cannot be deleted because it is in use by the following resources: {}. In order to delete the Network security group, remove the association with the resource(s).",
                entry.id,
                users
                    .iter()
                    .filter_map(|u| u["id"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

fn subnets_referencing(st: &State, pointer: &str, id: &str) -> Vec<Value> {
    st.store
        .all()
        .filter(|(_, e)| e.type_key == SUBNET)
        .filter(|(_, e)| str_at(&e.body, pointer).is_some_and(|r| same_id(r, id)))
        .map(|(_, e)| json!({ "id": e.id }))
        .collect()
}

pub struct SecurityRules;

impl Kind for SecurityRules {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/networkSecurityGroups/securityRules"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        let (priority, direction) = check_rule(id.name(), body)?;
        let parent = id.parent().expect("child").key();
        for sibling in st.store.children(
            &parent,
            "microsoft.network/networksecuritygroups/securityrules",
        ) {
            if key_of(&sibling.id) == id.key() {
                continue;
            }
            let p = sibling
                .body
                .pointer("/properties/priority")
                .and_then(Value::as_i64);
            let d = str_at(&sibling.body, "/properties/direction").map(str::to_ascii_lowercase);
            if p == Some(priority) && d.as_deref() == Some(direction.as_str()) {
                return Err(rule_conflict(
                    id.name(),
                    sibling.id.rsplit('/').next().unwrap_or(""),
                ));
            }
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, body: Value, _: Option<&Entry>) -> Value {
        fill_rule(body)
    }

    fn patch(&self, _: &State, _: &Entry, _: &Value) -> ArmResult<Value> {
        Err(ArmError::new(
            405,
            "HttpMethodNotAllowed",
            "Security rules do not support PATCH; PUT the whole rule.",
        ))
    }
}

/// Azure's six default rules of every NSG.
fn default_rules(nsg_id: &str, etag: &str) -> Vec<Value> {
    [
        (
            "AllowVnetInBound",
            "Allow inbound traffic from all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Inbound",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            "Allow inbound traffic from azure load balancer",
            "AzureLoadBalancer",
            "*",
            "Allow",
            65001,
            "Inbound",
        ),
        (
            "DenyAllInBound",
            "Deny all inbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Inbound",
        ),
        (
            "AllowVnetOutBound",
            "Allow outbound traffic from all VMs to all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Outbound",
        ),
        (
            "AllowInternetOutBound",
            "Allow outbound traffic from all VMs to Internet",
            "*",
            "Internet",
            "Allow",
            65001,
            "Outbound",
        ),
        (
            "DenyAllOutBound",
            "Deny all outbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Outbound",
        ),
    ]
    .into_iter()
    .map(
        |(name, description, source, destination, access, priority, direction)| {
            json!({
                "name": name,
                "id": format!("{nsg_id}/defaultSecurityRules/{name}"),
                "etag": etag,
                "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "description": description,
                    "protocol": "*",
                    "sourcePortRange": "*",
                    "destinationPortRange": "*",
                    "sourceAddressPrefix": source,
                    "destinationAddressPrefix": destination,
                    "access": access,
                    "priority": priority,
                    "direction": direction,
                    "sourcePortRanges": [],
                    "destinationPortRanges": [],
                    "sourceAddressPrefixes": [],
                    "destinationAddressPrefixes": [],
                }
            })
        },
    )
    .collect()
}

// ---------------------------------------------------------------------------------
// Route tables.

fn check_route(name: &str, route: &Value) -> ArmResult<()> {
    const HOPS: [&str; 5] = [
        "VirtualNetworkGateway",
        "VnetLocal",
        "Internet",
        "VirtualAppliance",
        "None",
    ];
    if str_at(route, "/properties/addressPrefix").is_none() {
        return Err(ArmError::bad_request(
            "InvalidRequestFormat",
            format!("Route {name} is missing the required property addressPrefix."),
        ));
    }
    match str_at(route, "/properties/nextHopType") {
        Some(hop) if HOPS.iter().any(|h| h.eq_ignore_ascii_case(hop)) => {
            let ip = str_at(route, "/properties/nextHopIpAddress").filter(|s| !s.is_empty());
            let appliance = hop.eq_ignore_ascii_case("VirtualAppliance");
            if appliance && ip.is_none() {
                return Err(ArmError::bad_request(
                    "InvalidNextHopIpAddress",
                    format!(
                        "Route {name}: nextHopIpAddress is required when nextHopType is VirtualAppliance."
                    ),
                ));
            }
            if !appliance && ip.is_some() {
                return Err(ArmError::bad_request(
                    "InvalidNextHopIpAddress",
                    format!(
                        "Route {name}: nextHopIpAddress is only allowed when nextHopType is VirtualAppliance."
                    ),
                ));
            }
            Ok(())
        }
        _ => Err(ArmError::bad_request(
            "InvalidRequestFormat",
            format!(
                "Route {name}: nextHopType must be one of {}.",
                HOPS.join(", ")
            ),
        )),
    }
}

pub struct RouteTables;

impl Kind for RouteTables {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/routeTables"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }
    fn embedded(&self) -> &'static [Embedded] {
        &[Embedded {
            property: "routes",
            child_type: "routes",
        }]
    }

    fn validate(&self, _: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        for route in body
            .pointer("/properties/routes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = route.get("name").and_then(Value::as_str).ok_or_else(|| {
                ArmError::bad_request("InvalidRequestFormat", "Every route needs a name.")
            })?;
            check_route(name, route)?;
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(&mut body, "/properties", &["subnets"]);
        let guid = resource_guid(existing);
        let p = props(&mut body);
        p.insert("resourceGuid".into(), guid);
        p.entry("disableBgpRoutePropagation")
            .or_insert(json!(false));
        body
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let subnets = subnets_referencing(st, "/properties/routeTable/id", &entry.id);
        if !subnets.is_empty() {
            props(out).insert("subnets".into(), Value::Array(subnets));
        }
    }

    fn check_delete(&self, st: &State, entry: &Entry) -> ArmResult<()> {
        let users = subnets_referencing(st, "/properties/routeTable/id", &entry.id);
        if users.is_empty() {
            return Ok(());
        }
        Err(ArmError::bad_request(
            "InUseRouteTableCannotBeDeleted",
            format!(
                "Route table {} is in use and cannot be deleted. In order to delete the route table, remove the association with the subnet(s): {}.",
                entry.id,
                users
                    .iter()
                    .filter_map(|u| u["id"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

pub struct Routes;

impl Kind for Routes {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/routeTables/routes"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(&self, _: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        check_route(id.name(), body)
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, _: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(&mut body, "/properties", &["provisioningState"]);
        props(&mut body).insert("hasBgpOverride".into(), json!(false));
        body
    }

    fn patch(&self, _: &State, _: &Entry, _: &Value) -> ArmResult<Value> {
        Err(ArmError::new(
            405,
            "HttpMethodNotAllowed",
            "Routes do not support PATCH; PUT the whole route.",
        ))
    }
}

// ---------------------------------------------------------------------------------
// Routes outside the resource grammar.

/// `GET .../networkSecurityGroups/{nsg}/defaultSecurityRules[/{name}]`.
pub fn special_get(st: &State, req: &Incoming, id: &ResId) -> Option<ArmResult<Reply>> {
    if id.type_key() != "microsoft.network/networksecuritygroups/defaultsecurityrules"
        || req.method != "GET"
    {
        return None;
    }
    // Both the collection and an item hang under the NSG.
    let nsg_id = id.parent()?;
    let Some(nsg) = st.store.get(&nsg_id.key()) else {
        return Some(Err(not_found(&nsg_id)));
    };
    let rules = Value::Array(default_rules(
        &nsg.id,
        nsg.etag.as_deref().unwrap_or_default(),
    ));
    if id.is_collection() {
        return Some(Ok(Reply::json(200, json!({ "value": rules }))));
    }
    let found = rules
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| {
            r["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(id.name()))
        })
        .cloned();
    Some(
        found
            .map(|r| Reply::json(200, r))
            .ok_or_else(|| not_found(id)),
    )
}

/// A read of `GET /subscriptions/{s}/providers/Microsoft.Network/locations/{location}/{collection}`:
/// `None` for any other path, else the subscription and location once the api-version, the
/// method and the subscription are checked.
fn regional_read<'p>(
    st: &State,
    req: &'p Incoming,
    collection: &str,
    what: &str,
) -> Option<ArmResult<(&'p str, &'p str)>> {
    let segs: Vec<&str> = req.path.trim_end_matches('/').split('/').collect();
    let ["", subs, sub, providers, ns, locations, location, last] = segs.as_slice() else {
        return None;
    };
    if !(subs.eq_ignore_ascii_case("subscriptions")
        && providers.eq_ignore_ascii_case("providers")
        && ns.eq_ignore_ascii_case("Microsoft.Network")
        && locations.eq_ignore_ascii_case("locations")
        && last.eq_ignore_ascii_case(collection))
    {
        return None;
    }
    Some((|| {
        check_api_version(req, ns)?;
        if req.method != "GET" {
            return Err(ArmError::new(
                405,
                "HttpMethodNotAllowed",
                format!("{what} are read-only."),
            ));
        }
        if !sub.eq_ignore_ascii_case(&st.subscription_id) {
            return Err(ArmError::new(
                404,
                "SubscriptionNotFound",
                format!("The subscription '{sub}' could not be found."),
            ));
        }
        Ok((*sub, *location))
    })())
}

/// `GET /subscriptions/{s}/providers/Microsoft.Network/locations/{location}/serviceTags`;
/// `None` for any other path.
pub fn service_tags_route(st: &State, req: &Incoming) -> Option<ArmResult<Reply>> {
    let (sub, location) = match regional_read(st, req, "serviceTags", "Service tags")? {
        Ok(found) => found,
        Err(error) => return Some(Err(error)),
    };
    if !service_tags::serves_location(location) {
        return Some(Err(ArmError::bad_request(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{location}' is not available for resource type 'Microsoft.Network/locations/serviceTags'. List of available regions for the resource type is '{}'.",
                service_tags::locations().join(",")
            ),
        )));
    }
    Some(Ok(Reply::json(200, st.service_tags.list_json(sub))))
}

const USAGES: &[(&str, &str, &str, u64)] = &[
    ("VirtualNetworks", "Virtual Networks", VNET, 1000),
    (
        "NetworkSecurityGroups",
        "Network Security Groups",
        NSG,
        5000,
    ),
    ("RouteTables", "Route Tables", ROUTE_TABLE, 200),
    (
        "PublicIPAddresses",
        "Public IP Addresses",
        "microsoft.network/publicipaddresses",
        1000,
    ),
    (
        "StaticPublicIPAddresses",
        "Static Public IP Addresses",
        "microsoft.network/publicipaddresses",
        1000,
    ),
    (
        "LoadBalancers",
        "Load Balancers",
        "microsoft.network/loadbalancers",
        1000,
    ),
    (
        "NetworkInterfaces",
        "Network Interfaces",
        "microsoft.network/networkinterfaces",
        65536,
    ),
    (
        "NetworkWatchers",
        "Network Watchers",
        "microsoft.network/networkwatchers",
        1,
    ),
];

/// `GET /subscriptions/{s}/providers/Microsoft.Network/locations/{location}/usages`.
pub fn subscription_route(st: &State, req: &Incoming) -> Option<ArmResult<Reply>> {
    let (sub, location) = match regional_read(st, req, "usages", "Usages")? {
        Ok(found) => found,
        Err(error) => return Some(Err(error)),
    };
    let wanted = normalize_location(location);
    let scope = format!("/subscriptions/{}", sub.to_ascii_lowercase());
    let value: Vec<Value> = USAGES
        .iter()
        .map(|(name, localized, type_key, default_limit)| {
            let stored = st
                .store
                .of_type(&scope, type_key)
                .into_iter()
                .filter(|e| {
                    e.body
                        .get("location")
                        .and_then(Value::as_str)
                        .is_some_and(|l| normalize_location(l) == wanted)
                })
                .count() as u64;
            let stored = if *name == "NetworkInterfaces" {
                stored + count_nics(st)
            } else {
                stored
            };
            let current = stored + st.usages.extra.get(*name).copied().unwrap_or(0);
            let limit = st.usages.limits.get(*name).copied().unwrap_or(*default_limit);
            json!({
                "id": format!("/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/usages/{name}"),
                "name": {"value": name, "localizedValue": localized},
                "currentValue": current,
                "limit": limit,
                "unit": "Count",
            })
        })
        .collect();
    Some(Ok(Reply::json(200, json!({ "value": value }))))
}

/// NICs the emulator implies (one per AML node).
fn count_nics(st: &State) -> u64 {
    st.store
        .all()
        .filter(|(_, e)| e.type_key == SUBNET)
        .map(|(k, _)| st.store.ip_configurations(k).len() as u64)
        .sum()
}

// ---------------------------------------------------------------------------------
// Network interfaces: their IP configurations take addresses from their subnets.

pub struct NetworkInterfaces;

/// The IP configurations of a NIC body, as `(name, subnet id)`.
fn nic_ip_configurations(body: &Value) -> Vec<(String, String)> {
    body.pointer("/properties/ipConfigurations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c.get("name")?.as_str()?.to_owned(),
                str_at(c, "/properties/subnet/id")?.to_owned(),
            ))
        })
        .collect()
}

/// The first address of `subnet` that no other NIC holds (Azure keeps the first four).
fn next_free_address(st: &State, subnet: &Entry, own_nic: &str) -> Option<String> {
    let taken: Vec<String> = st
        .store
        .all()
        .filter(|(_, e)| e.type_key == NIC && !same_id(&e.id, own_nic))
        .flat_map(|(_, e)| {
            e.body
                .pointer("/properties/ipConfigurations")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| str_at(&c, "/properties/privateIPAddress").map(str::to_owned))
        .collect();
    let IpNet::V4(net) = *subnet_prefixes(&subnet.body).first()? else {
        return None;
    };
    net.hosts()
        .skip(3)
        .map(|a| a.to_string())
        .find(|a| !taken.contains(a))
}

const NIC: &str = "microsoft.network/networkinterfaces";

/// The virtual machine whose network profile lists the NIC `nic_id`.
fn vm_using(st: &State, nic_id: &str) -> Option<String> {
    st.store
        .all()
        .find(|(_, e)| {
            e.type_key == "microsoft.compute/virtualmachines"
                && e.body
                    .pointer("/properties/networkProfile/networkInterfaces")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|n| str_at(n, "/id").is_some_and(|n| same_id(n, nic_id)))
        })
        .map(|(_, vm)| vm.id.clone())
}

impl Kind for NetworkInterfaces {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/networkInterfaces"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        let configurations = nic_ip_configurations(body);
        if configurations.is_empty() {
            return Err(ArmError::bad_request(
                "NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
                format!(
                    "Network interface {} must have at least one IP configuration with a subnet.",
                    id.raw
                ),
            ));
        }
        for (_, subnet) in &configurations {
            if !st.store.contains(&key_of(subnet)) {
                return Err(ArmError::bad_request(
                    "InvalidResourceReference",
                    format!(
                        "Resource {subnet} referenced by resource {} was not found.",
                        id.raw
                    ),
                ));
            }
        }
        reference_exists(st, body, "/properties/networkSecurityGroup/id", &id.raw)
    }

    fn fill(&self, st: &State, id: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(
            &mut body,
            "/properties",
            &[
                "virtualMachine",
                "macAddress",
                "primary",
                "provisioningState",
            ],
        );
        let guid = resource_guid(existing);
        let first = nic_ip_configurations(&body)
            .first()
            .map(|(name, _)| name.clone());
        let mut addresses = Vec::new();
        if let Some(configs) = body
            .pointer_mut("/properties/ipConfigurations")
            .and_then(Value::as_array_mut)
        {
            for config in configs.iter_mut() {
                let name = config["name"].as_str().unwrap_or("ipconfig").to_owned();
                config["id"] = json!(format!("{}/ipConfigurations/{name}", id.raw));
                config["type"] = json!("Microsoft.Network/networkInterfaces/ipConfigurations");
                let p = props(config);
                p.remove("provisioningState");
                p.entry("primary")
                    .or_insert(json!(first.as_deref() == Some(name.as_str())));
                let static_address = p
                    .get("privateIPAllocationMethod")
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.eq_ignore_ascii_case("Static"));
                if !static_address || p.get("privateIPAddress").is_none() {
                    p.insert("privateIPAllocationMethod".into(), json!("Dynamic"));
                    let kept = existing.and_then(|e| {
                        e.body
                            .pointer("/properties/ipConfigurations")?
                            .as_array()?
                            .iter()
                            .find(|c| c["name"] == name)?
                            .pointer("/properties/privateIPAddress")
                            .cloned()
                    });
                    let subnet = p
                        .get("subnet")
                        .and_then(|s| s.get("id"))
                        .and_then(Value::as_str)
                        .and_then(|s| st.store.get(&key_of(s)));
                    let address = kept.or_else(|| {
                        subnet
                            .and_then(|s| next_free_address(st, s, &id.raw))
                            .map(|a| json!(a))
                    });
                    if let Some(address) = address {
                        p.insert("privateIPAddress".into(), address);
                    }
                }
                p.entry("privateIPAddressVersion").or_insert(json!("IPv4"));
                p.insert("provisioningState".into(), json!("Succeeded"));
                if let Some(address) = p.get("privateIPAddress").cloned() {
                    addresses.push(address);
                }
            }
        }
        let p = props(&mut body);
        if let Some(reference) = p
            .get("networkSecurityGroup")
            .and_then(|v| v.get("id"))
            .cloned()
        {
            p.insert("networkSecurityGroup".into(), json!({ "id": reference }));
        }
        p.insert("resourceGuid".into(), guid);
        p.entry("enableAcceleratedNetworking")
            .or_insert(json!(false));
        p.entry("enableIPForwarding").or_insert(json!(false));
        body
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        if let Some(vm) = vm_using(st, &entry.id) {
            props(out).insert("virtualMachine".into(), json!({ "id": vm }));
        }
    }

    fn after_write(&self, st: &mut State, key: &str, previous: Option<&Entry>) {
        if let Some(previous) = previous {
            st.store
                .remove_ip_configurations(&format!("{}/", previous.id));
        }
        let Some(nic) = st.store.get(key).cloned() else {
            return;
        };
        for (name, subnet) in nic_ip_configurations(&nic.body) {
            st.store.add_ip_configuration(
                &key_of(&subnet),
                format!("{}/ipConfigurations/{name}", nic.id),
            );
        }
    }

    fn check_delete(&self, st: &State, entry: &Entry) -> ArmResult<()> {
        match vm_using(st, &entry.id) {
            None => Ok(()),
            Some(vm) => Err(ArmError::bad_request(
                "NicInUse",
                format!(
                    "Network Interface {} is used by existing resource {vm}. In order to delete the network interface, it must be dissociated from the resource.",
                    entry.id
                ),
            )),
        }
    }

    fn on_removed(&self, st: &mut State, entry: &Entry, _: bool) {
        st.store.remove_ip_configurations(&format!("{}/", entry.id));
    }
}

// ---------------------------------------------------------------------------------
// Private endpoints.

/// `Microsoft.Network/privateEndpoints`: a NIC in a subnet that reaches one resource (a
/// workspace, storage account or key vault) privately. Connections in
/// `privateLinkServiceConnections` are approved at once, as Azure approves them for a caller
/// with rights on the target; `manualPrivateLinkServiceConnections` stay `Pending`. The
/// target lists the connection in its `privateEndpointConnections` ([`connections_to`]); the
/// NIC's address counts in the subnet's `ipConfigurations`.
pub struct PrivateEndpoints;

/// The connection arrays of a private endpoint, and the status each starts with.
const CONNECTION_KINDS: [(&str, &str); 2] = [
    ("privateLinkServiceConnections", "Approved"),
    ("manualPrivateLinkServiceConnections", "Pending"),
];

fn endpoint_nic(id: &ResId, guid: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkInterfaces/{}.nic.{guid}",
        id.subscription,
        id.resource_group.as_deref().unwrap_or(""),
        id.name()
    )
}

impl Kind for PrivateEndpoints {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/privateEndpoints"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(
        &self,
        st: &State,
        id: &ResId,
        body: &Value,
        existing: Option<&Entry>,
    ) -> ArmResult<()> {
        require_location(body)?;
        let Some(subnet) = str_at(body, "/properties/subnet/id") else {
            return Err(ArmError::bad_request(
                "PrivateEndpointSubnetRequired",
                format!("Private endpoint {} must reference a subnet.", id.raw),
            ));
        };
        if !st.store.contains(&key_of(subnet)) {
            return Err(ArmError::bad_request(
                "InvalidResourceReference",
                format!(
                    "Resource {subnet} referenced by resource {} was not found.",
                    id.raw
                ),
            ));
        }
        if let Some(previous) = existing.and_then(|e| str_at(&e.body, "/properties/subnet/id"))
            && !same_id(previous, subnet)
        {
            return Err(ArmError::bad_request(
                "CannotChangePrivateEndpointSubnet",
                format!(
                    "The subnet of private endpoint {} cannot be changed.",
                    id.raw
                ),
            ));
        }
        let mut count = 0;
        for (field, _) in CONNECTION_KINDS {
            for connection in body
                .pointer(&format!("/properties/{field}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                count += 1;
                let target = str_at(connection, "/properties/privateLinkServiceId").unwrap_or("");
                if target.is_empty() || !st.store.contains(&key_of(target)) {
                    return Err(ArmError::bad_request(
                        "PrivateLinkServiceNotFound",
                        format!(
                            "Private link service or resource '{target}' of private endpoint {} was not found.",
                            id.raw
                        ),
                    ));
                }
                let groups = connection
                    .pointer("/properties/groupIds")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if groups == 0 {
                    return Err(ArmError::bad_request(
                        "PrivateEndpointGroupIdsRequired",
                        format!(
                            "A connection of private endpoint {} names no groupIds (like amlworkspace, blob or vault).",
                            id.raw
                        ),
                    ));
                }
            }
        }
        if count != 1 {
            return Err(ArmError::bad_request(
                "PrivateEndpointMustHaveOneConnection",
                format!(
                    "Private endpoint {} must have exactly one private link service connection.",
                    id.raw
                ),
            ));
        }
        Ok(())
    }

    fn fill(&self, _: &State, id: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(
            &mut body,
            "/properties",
            &["networkInterfaces", "provisioningState", "customDnsConfigs"],
        );
        // The endpoint's NIC keeps its name (and so its address) across updates.
        let nic = existing
            .and_then(|e| str_at(&e.body, "/properties/networkInterfaces/0/id"))
            .map_or_else(|| endpoint_nic(id, &guid()), str::to_owned);
        for (field, status) in CONNECTION_KINDS {
            let Some(connections) = body
                .pointer_mut(&format!("/properties/{field}"))
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for connection in connections {
                let name = connection["name"]
                    .as_str()
                    .unwrap_or("connection")
                    .to_owned();
                connection["id"] = json!(format!("{}/{field}/{name}", id.raw));
                connection["type"] = json!(format!("Microsoft.Network/privateEndpoints/{field}"));
                let p = props(connection);
                p.insert("provisioningState".into(), json!("Succeeded"));
                p.insert(
                    "privateLinkServiceConnectionState".into(),
                    json!({"status": status, "description": if status == "Approved" { "Auto-Approved" } else { "Awaiting approval" }, "actionsRequired": "None"}),
                );
            }
        }
        props(&mut body).insert("networkInterfaces".into(), json!([{ "id": nic }]));
        body
    }

    fn after_write(&self, st: &mut State, key: &str, previous: Option<&Entry>) {
        if previous.is_some() {
            return;
        }
        let Some(entry) = st.store.get(key).cloned() else {
            return;
        };
        let (Some(nic), Some(subnet)) = (
            str_at(&entry.body, "/properties/networkInterfaces/0/id"),
            str_at(&entry.body, "/properties/subnet/id"),
        ) else {
            return;
        };
        st.store.add_ip_configuration(
            &key_of(subnet),
            format!("{nic}/ipConfigurations/privateEndpointIpConfig"),
        );
    }

    fn on_removed(&self, st: &mut State, entry: &Entry, _detach: bool) {
        if let Some(nic) = str_at(&entry.body, "/properties/networkInterfaces/0/id") {
            st.store.remove_ip_configurations(nic);
        }
    }
}

/// The private endpoint connections of the resource `target` (a workspace, storage account
/// or key vault), as its `properties.privateEndpointConnections` lists them: one per private
/// endpoint connecting to it, `connection_type` its type
/// (`Microsoft.MachineLearningServices/workspaces/privateEndpointConnections`, ...).
pub fn connections_to(st: &State, target: &str, connection_type: &str) -> Vec<Value> {
    let mut connections = Vec::new();
    for (_, endpoint) in st.store.all() {
        if endpoint.type_key != PRIVATE_ENDPOINT {
            continue;
        }
        for (field, _) in CONNECTION_KINDS {
            for connection in endpoint
                .body
                .pointer(&format!("/properties/{field}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let to_target = str_at(connection, "/properties/privateLinkServiceId")
                    .is_some_and(|t| same_id(t, target));
                if !to_target {
                    continue;
                }
                let name = endpoint.id.rsplit('/').next().unwrap_or_default();
                connections.push(json!({
                    "id": format!("{target}/privateEndpointConnections/{name}"),
                    "name": name,
                    "type": connection_type,
                    "properties": {
                        "privateEndpoint": {"id": endpoint.id},
                        "privateLinkServiceConnectionState": connection
                            .pointer("/properties/privateLinkServiceConnectionState")
                            .cloned()
                            .unwrap_or(json!({"status": "Pending"})),
                        "provisioningState": "Succeeded",
                    },
                }));
            }
        }
    }
    connections
}
