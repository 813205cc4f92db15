//! Virtual networks, their subnets and peerings.

use super::*;

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

pub(super) fn remote_space<'a>(st: &'a State, peering: &'a Value) -> Vec<&'a str> {
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
