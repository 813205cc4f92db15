//! Microsoft.KeyVault 2023-07-01: vaults with `networkAcls`.

use super::kind::{
    DeleteStyle, Kind, PutStyle, Wire, drop_fields, merge_patch, props, require, require_location,
};
use super::network::connections_to;
use super::storage::check_network_acls;
use crate::emulator::http::ArmResult;
use crate::emulator::ids::ResId;
use crate::emulator::state::State;
use crate::emulator::store::Entry;
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[&Vaults];

pub struct Vaults;

/// Key Vault answers bare IPs as `/32` and lower-cases VNet rule ids.
fn normalize_acls(acls: &mut Value) {
    if let Some(rules) = acls.get_mut("ipRules").and_then(Value::as_array_mut) {
        for r in rules {
            if let Some(v) = r.get("value").and_then(Value::as_str)
                && !v.contains('/')
            {
                r["value"] = json!(format!("{v}/32"));
            }
        }
    }
    if let Some(rules) = acls
        .get_mut("virtualNetworkRules")
        .and_then(Value::as_array_mut)
    {
        for r in rules {
            if let Some(id) = r.get("id").and_then(Value::as_str) {
                r["id"] = json!(id.to_ascii_lowercase());
            }
        }
    }
}

impl Kind for Vaults {
    fn type_name(&self) -> &'static str {
        "Microsoft.KeyVault/vaults"
    }
    fn wire(&self) -> Wire {
        Wire {
            provisioning_state: |_| Some("Succeeded"),
            ..Wire::new(PutStyle::Sync { created: 201 }, DeleteStyle::Sync)
        }
    }

    fn validate(&self, st: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        require(body, "/properties/tenantId", "properties.tenantId")?;
        require(body, "/properties/sku/name", "properties.sku.name")?;
        require(body, "/properties/sku/family", "properties.sku.family")?;
        if let Some(acls) = body.pointer("/properties/networkAcls") {
            check_network_acls(
                st,
                acls,
                "Microsoft.KeyVault",
                Some("ignoreMissingVnetServiceEndpoint"),
            )?;
        }
        Ok(())
    }

    fn fill(&self, _: &State, id: &ResId, mut body: Value, _: Option<&Entry>) -> Value {
        drop_fields(
            &mut body,
            "/properties",
            &[
                "provisioningState",
                "vaultUri",
                "hsmPoolResourceId",
                "privateEndpointConnections",
            ],
        );
        let name = id.name().to_ascii_lowercase();
        let p = props(&mut body);
        p.insert(
            "vaultUri".into(),
            json!(format!("https://{name}.vault.azure.net/")),
        );
        p.entry("accessPolicies").or_insert(json!([]));
        p.entry("enableSoftDelete").or_insert(json!(true));
        p.entry("softDeleteRetentionInDays").or_insert(json!(90));
        p.entry("publicNetworkAccess").or_insert(json!("Enabled"));
        if let Some(acls) = p.get_mut("networkAcls") {
            normalize_acls(acls);
        }
        body
    }

    /// The private endpoints connecting to the vault, as Azure lists them: Key Vault's items
    /// carry an ID and properties, no name or type.
    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let mut connections = connections_to(
            st,
            &entry.id,
            "Microsoft.KeyVault/vaults/privateEndpointConnections",
        );
        for connection in &mut connections {
            drop_fields(connection, "", &["name", "type"]);
        }
        if !connections.is_empty() {
            props(out).insert(
                "privateEndpointConnections".into(),
                Value::Array(connections),
            );
        }
    }

    /// `Vaults_Update`: merges; `networkAcls` is replaced as a whole.
    fn patch(&self, st: &State, entry: &Entry, patch: &Value) -> ArmResult<Value> {
        let mut body = entry.body.clone();
        if let Some(acls) = patch.pointer("/properties/networkAcls") {
            check_network_acls(
                st,
                acls,
                "Microsoft.KeyVault",
                Some("ignoreMissingVnetServiceEndpoint"),
            )?;
            let mut acls = acls.clone();
            normalize_acls(&mut acls);
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
