//! Microsoft.HDInsight 2021-06-01: clusters, the ones a workspace attaches over SSH. Only
//! what attach needs: the roles' virtual network, the connectivity endpoints (SSH among
//! them), and no secrets in what a GET returns.

use super::kind::{
    DeleteStyle, Kind, PutStyle, Wire, drop_fields, props, require, require_location, str_at,
};
use crate::emulator::http::{ArmError, ArmResult, guid, now};
use crate::emulator::ids::{ResId, key_of};
use crate::emulator::state::State;
use crate::emulator::store::{Entry, ProvState};
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[&Clusters];

pub struct Clusters;

fn roles(body: &Value) -> impl Iterator<Item = &Value> {
    body.pointer("/properties/computeProfile/roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

impl Kind for Clusters {
    fn type_name(&self) -> &'static str {
        "Microsoft.HDInsight/clusters"
    }
    fn wire(&self) -> Wire {
        Wire {
            // `Clusters_Create` answers 200 only, for a new cluster too.
            async_created_status: 200,
            // The spec's enum: `InProgress`, `Failed`, `Succeeded`, `Canceled`, `Deleting`.
            provisioning_state: |state| {
                Some(match state {
                    ProvState::Creating | ProvState::Updating => "InProgress",
                    other => other.as_str(),
                })
            },
            ..Wire::new(PutStyle::AsyncOperation, DeleteStyle::Location)
        }
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        require(
            body,
            "/properties/clusterDefinition",
            "properties.clusterDefinition",
        )?;
        if roles(body).next().is_none() {
            return Err(ArmError::bad_request(
                "InvalidRequestContent",
                "The request content is missing the required property 'properties.computeProfile.roles'.",
            ));
        }
        for role in roles(body) {
            for pointer in ["/virtualNetworkProfile/id", "/virtualNetworkProfile/subnet"] {
                if let Some(reference) = str_at(role, pointer)
                    && !st.store.contains(&key_of(reference))
                {
                    return Err(ArmError::bad_request(
                        "InvalidNetworkSettings",
                        format!(
                            "Virtual network settings of cluster {} name {reference}, which was not found.",
                            id.name()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn fill(&self, _: &State, id: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(
            &mut body,
            "/properties",
            &[
                "provisioningState",
                "clusterState",
                "createdDate",
                "connectivityEndpoints",
                "clusterId",
                "errors",
                "quotaInfo",
            ],
        );
        // Gateway credentials live in the configurations; a GET never shows them.
        drop_fields(
            &mut body,
            "/properties/clusterDefinition",
            &["configurations"],
        );
        if let Some(roles) = body
            .pointer_mut("/properties/computeProfile/roles")
            .and_then(Value::as_array_mut)
        {
            for role in roles {
                drop_fields(
                    role,
                    "/osProfile/linuxOperatingSystemProfile",
                    &["password"],
                );
            }
        }
        let keep = |pointer: &str| existing.and_then(|e| e.body.pointer(pointer).cloned());
        let name = id.name().to_ascii_lowercase();
        let p = props(&mut body);
        p.entry("osType").or_insert(json!("Linux"));
        p.entry("tier").or_insert(json!("Standard"));
        p.insert(
            "clusterId".into(),
            keep("/properties/clusterId").unwrap_or_else(|| json!(guid().replace('-', ""))),
        );
        p.insert(
            "createdDate".into(),
            keep("/properties/createdDate").unwrap_or_else(|| json!(now())),
        );
        p.insert("clusterState".into(), json!("Running"));
        p.insert(
            "connectivityEndpoints".into(),
            json!([
                {"name": "SSH", "protocol": "TCP", "location": format!("{name}-ssh.azurehdinsight.net"), "port": 22},
                {"name": "HTTPS", "protocol": "TCP", "location": format!("{name}.azurehdinsight.net"), "port": 443},
            ]),
        );
        body
    }
}
