//! Microsoft.Storage 2023-05-01: storage accounts with `networkAcls`.

use super::kind::{
    DeleteStyle, Kind, PutStyle, Wire, drop_fields, merge_patch, props, require, require_location,
    str_at,
};
use super::network::connections_to;
use crate::emulator::http::{ArmError, ArmResult, now};
use crate::emulator::ids::{ResId, key_of};
use crate::emulator::state::State;
use crate::emulator::store::{Entry, ProvState};
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[&StorageAccounts];

pub struct StorageAccounts;

/// Checks VNet rules (the subnet needs the service endpoint) and IP rules (public IPv4).
pub fn check_network_acls(
    st: &State,
    acls: &Value,
    service: &str,
    ignore_flag: Option<&str>,
) -> ArmResult<()> {
    for rule in acls
        .get("virtualNetworkRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = rule.get("id").and_then(Value::as_str) else {
            return Err(ArmError::bad_request(
                "NetworkAclsValidationFailure",
                "Validation of network acls failure: a virtual network rule has no id.",
            ));
        };
        if ignore_flag.is_some_and(|f| rule.get(f).and_then(Value::as_bool) == Some(true)) {
            continue;
        }
        let Some(subnet) = st.store.get(&key_of(id)) else {
            continue;
        };
        let has_endpoint = subnet
            .body
            .pointer("/properties/serviceEndpoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|e| str_at(e, "/service").is_some_and(|s| s.eq_ignore_ascii_case(service)));
        if !has_endpoint {
            return Err(ArmError::bad_request(
                "NetworkAclsValidationFailure",
                format!(
                    "Validation of network acls failure: SubnetsHaveNoServiceEndpointsConfigured:Subnets {id} of virtual network do not have ServiceEndpoints for {service} resources configured. Add {service} to subnet's ServiceEndpoints collection before trying to ACL {service} resources to these subnets.."
                ),
            ));
        }
    }
    Ok(())
}

fn is_private(ip: &str) -> bool {
    let addr = ip.split('/').next().unwrap_or("");
    addr.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|a| a.is_private() || a.is_loopback() || a.is_link_local())
}

fn check_ip_rules(acls: &Value) -> ArmResult<()> {
    for rule in acls
        .get("ipRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let value = rule.get("value").and_then(Value::as_str).unwrap_or("");
        if is_private(value) || value.ends_with("/31") || value.ends_with("/32") {
            return Err(ArmError::bad_request(
                "NetworkAclsValidationFailure",
                format!(
                    "Validation of network acls failure: InvalidValuesForRequestParameters:Values for request parameters are invalid: networkAcls.ipRules[*].value ({value}). For more information, see - https://aka.ms/storagenetworkruleset"
                ),
            ));
        }
    }
    Ok(())
}

fn fill_acls(acls: &mut Value) {
    if let Some(rules) = acls
        .get_mut("virtualNetworkRules")
        .and_then(Value::as_array_mut)
    {
        for r in rules {
            r["action"] = json!("Allow");
            r["state"] = json!("Succeeded");
        }
    }
    if let Some(rules) = acls.get_mut("ipRules").and_then(Value::as_array_mut) {
        for r in rules {
            r["action"] = json!("Allow");
        }
    }
    for list in ["virtualNetworkRules", "ipRules"] {
        if acls.get(list).is_none() {
            acls[list] = json!([]);
        }
    }
    if acls.get("bypass").is_none() {
        acls["bypass"] = json!("AzureServices");
    }
}

impl Kind for StorageAccounts {
    fn type_name(&self) -> &'static str {
        "Microsoft.Storage/storageAccounts"
    }
    fn wire(&self) -> Wire {
        Wire {
            provisioning_state: |state| {
                Some(match state {
                    ProvState::Creating => "Creating",
                    _ => "Succeeded",
                })
            },
            ..Wire::new(PutStyle::Sync { created: 200 }, DeleteStyle::Sync)
        }
    }

    fn validate(&self, st: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        require(body, "/sku/name", "sku.name")?;
        require(body, "/kind", "kind")?;
        if let Some(acls) = body.pointer("/properties/networkAcls") {
            require(
                acls,
                "/defaultAction",
                "properties.networkAcls.defaultAction",
            )?;
            check_network_acls(st, acls, "Microsoft.Storage", None)?;
            check_ip_rules(acls)?;
        }
        Ok(())
    }

    fn fill(&self, _: &State, id: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(
            &mut body,
            "/properties",
            &[
                "provisioningState",
                "primaryEndpoints",
                "creationTime",
                "privateEndpointConnections",
            ],
        );
        let name = id.name().to_ascii_lowercase();
        let location = body["location"].as_str().unwrap_or("").to_owned();
        let created = existing
            .and_then(|e| e.body.pointer("/properties/creationTime").cloned())
            .unwrap_or_else(|| json!(now()));
        let p = props(&mut body);
        let mut acls = p
            .remove("networkAcls")
            .unwrap_or_else(|| json!({"defaultAction": "Allow"}));
        fill_acls(&mut acls);
        p.insert("networkAcls".into(), acls);
        p.insert("creationTime".into(), created);
        p.insert("primaryLocation".into(), json!(location));
        p.insert("statusOfPrimary".into(), json!("available"));
        p.insert(
            "primaryEndpoints".into(),
            json!({
                "blob": format!("https://{name}.blob.core.windows.net/"),
                "queue": format!("https://{name}.queue.core.windows.net/"),
                "table": format!("https://{name}.table.core.windows.net/"),
                "file": format!("https://{name}.file.core.windows.net/"),
            }),
        );
        p.entry("supportsHttpsTrafficOnly").or_insert(json!(true));
        p.entry("publicNetworkAccess").or_insert(json!("Enabled"));
        p.entry("minimumTlsVersion").or_insert(json!("TLS1_0"));
        body
    }

    /// The private endpoints connecting to the account, as Azure lists them (Storage spells
    /// the connection state's `actionRequired` in the singular).
    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let mut connections = connections_to(
            st,
            &entry.id,
            "Microsoft.Storage/storageAccounts/privateEndpointConnections",
        );
        for connection in &mut connections {
            if let Some(state) = connection
                .pointer_mut("/properties/privateLinkServiceConnectionState")
                .and_then(Value::as_object_mut)
                && let Some(actions) = state.remove("actionsRequired")
            {
                state.insert("actionRequired".into(), actions);
            }
        }
        if !connections.is_empty() {
            props(out).insert(
                "privateEndpointConnections".into(),
                Value::Array(connections),
            );
        }
    }

    /// `StorageAccounts_Update`: merges; `networkAcls` is replaced as a whole.
    fn patch(&self, st: &State, entry: &Entry, patch: &Value) -> ArmResult<Value> {
        let mut body = entry.body.clone();
        if let Some(acls) = patch.pointer("/properties/networkAcls") {
            require(
                acls,
                "/defaultAction",
                "properties.networkAcls.defaultAction",
            )?;
            check_network_acls(st, acls, "Microsoft.Storage", None)?;
            check_ip_rules(acls)?;
            let mut acls = acls.clone();
            fill_acls(&mut acls);
            props(&mut body).insert("networkAcls".into(), acls);
        }
        let mut rest = patch.clone();
        drop_fields(&mut rest, "/properties", &["networkAcls"]);
        merge_patch(&mut body, &rest);
        if let Some(tags) = patch.get("tags") {
            body["tags"] = tags.clone();
        }
        Ok(body)
    }
}
