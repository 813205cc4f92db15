//! Private endpoints.

use super::*;

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
