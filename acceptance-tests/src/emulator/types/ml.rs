//! Microsoft.MachineLearningServices 2024-04-01: workspaces (with the default datastores
//! Azure ML keeps on their storage account), datastores, and computes (AmlCompute with
//! subnet IP accounting, AKS created through ML or attached, other attached computes).

use super::containerservice::{ManagedClusters, check_service_network};
use super::kind::{
    DeleteStyle, Kind, PutStyle, Wire, drop_fields, merge_patch, props, require_location, str_at,
};
use super::network::connections_to;
use crate::emulator::http::{ArmError, ArmResult, Incoming, guid, now, random_token};
use crate::emulator::ids::{ResId, key_of};
use crate::emulator::state::State;
use crate::emulator::store::{Entry, ProvState};
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[&Workspaces, &Datastores, &Computes];

/// `West Europe`, `westeurope` and `WestEurope` are one region.
fn same_region(a: &str, b: &str) -> bool {
    let normal = |s: &str| s.replace(' ', "").to_ascii_lowercase();
    normal(a) == normal(b)
}

fn bad_argument(message: impl Into<String>) -> ArmError {
    ArmError::bad_request("BadArgument", message)
}

// ---------------------------------------------------------------------------------

pub struct Workspaces;

impl Kind for Workspaces {
    fn type_name(&self) -> &'static str {
        "Microsoft.MachineLearningServices/workspaces"
    }
    fn wire(&self) -> Wire {
        Wire {
            provisioning_state: |_| Some("Succeeded"),
            ..Wire::new(PutStyle::Sync { created: 200 }, DeleteStyle::Sync)
        }
    }

    fn validate(&self, _: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        let name = id.name();
        let valid = name.len() >= 3
            && name.len() <= 33
            && name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(bad_argument(format!(
                "Workspace name '{name}' must match ^[a-zA-Z0-9][a-zA-Z0-9_-]{{2,32}}$."
            )));
        }
        Ok(())
    }

    fn fill(&self, st: &State, _: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(
            &mut body,
            "/properties",
            &[
                "workspaceId",
                "provisioningState",
                "serviceProvisionedResourceGroup",
                "privateLinkCount",
                "notebookInfo",
                "tenantId",
                "storageHnsEnabled",
                "mlFlowTrackingUri",
            ],
        );
        let location = body["location"].as_str().unwrap_or("").to_owned();
        let keep = |pointer: &str| existing.and_then(|e| e.body.pointer(pointer).cloned());
        if body.get("sku").is_none() {
            body["sku"] = json!({"name": "Basic", "tier": "Basic"});
        }
        if body.get("kind").is_none() {
            body["kind"] = json!("Default");
        }
        if let Some(identity) = body.get_mut("identity")
            && identity["type"]
                .as_str()
                .is_some_and(|t| t.contains("SystemAssigned"))
        {
            identity["principalId"] =
                keep("/identity/principalId").unwrap_or_else(|| json!(guid()));
            identity["tenantId"] = json!(st.auth.tenant_id);
        }
        let tenant = st.auth.tenant_id.clone();
        let workspace_id = keep("/properties/workspaceId").unwrap_or_else(|| json!(guid()));
        let p = props(&mut body);
        // Read-only: the private endpoints connecting to the workspace, rendered by decorate.
        p.remove("privateEndpointConnections");
        p.remove("privateLinkCount");
        p.insert("workspaceId".into(), workspace_id);
        p.insert("tenantId".into(), json!(tenant));
        p.insert("storageHnsEnabled".into(), json!(false));
        p.insert(
            "discoveryUrl".into(),
            json!(format!("https://{location}.api.azureml.ms/discovery")),
        );
        p.insert(
            "mlFlowTrackingUri".into(),
            json!(format!("azureml://{location}.api.azureml.ms/mlflow/v1.0")),
        );
        p.entry("publicNetworkAccess").or_insert(json!("Enabled"));
        p.entry("v1LegacyMode").or_insert(json!(false));
        p.entry("hbiWorkspace").or_insert(json!(false));
        p.entry("allowPublicAccessWhenBehindVnet")
            .or_insert(json!(false));
        let network = p
            .entry("managedNetwork")
            .or_insert(json!({"isolationMode": "Disabled"}));
        if network.get("isolationMode").is_none() {
            network["isolationMode"] = json!("Disabled");
        }
        let active = network["isolationMode"] != "Disabled";
        network["status"] =
            json!({"status": if active { "Active" } else { "Inactive" }, "sparkReady": false});
        if active && network.get("networkId").is_none() {
            network["networkId"] = json!(guid());
        }
        body
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let connections = connections_to(
            st,
            &entry.id,
            "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
        );
        let p = props(out);
        p.insert("privateLinkCount".into(), json!(connections.len()));
        p.insert(
            "privateEndpointConnections".into(),
            Value::Array(connections),
        );
    }

    /// Azure ML keeps its own datastores on the workspace's storage account: a blob
    /// container (the default datastore) and a file share.
    fn after_write(&self, st: &mut State, key: &str, _previous: Option<&Entry>) {
        let Some(workspace) = st.store.get(key).cloned() else {
            return;
        };
        let Some(account) = str_at(&workspace.body, "/properties/storageAccount")
            .and_then(ResId::parse)
            .filter(|a| a.type_key() == "microsoft.storage/storageaccounts")
        else {
            return;
        };
        let Some(workspace_id) = ResId::parse(&workspace.id) else {
            return;
        };
        let suffix = workspace_id.name().to_ascii_lowercase();
        for (name, default, kind, place) in [
            (
                "workspaceblobstore",
                true,
                "AzureBlob",
                ("containerName", format!("azureml-blobstore-{suffix}")),
            ),
            (
                "workspacefilestore",
                false,
                "AzureFile",
                ("fileShareName", format!("code-{suffix}")),
            ),
        ] {
            let id = workspace_id.child("datastores", name);
            if st.store.contains(&id.key()) {
                continue;
            }
            let mut body = json!({"properties": {
                "datastoreType": kind,
                "isDefault": default,
                "accountName": account.name(),
                "subscriptionId": account.subscription,
                "resourceGroup": account.resource_group,
                "endpoint": "core.windows.net",
                "protocol": "https",
                "credentials": {"credentialsType": "None"},
                "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
            }});
            body["properties"][place.0] = json!(place.1);
            body["id"] = json!(id.raw);
            body["name"] = json!(name);
            body["type"] = json!(Datastores.type_name());
            st.store.insert(
                id.key(),
                Entry {
                    id: id.raw.clone(),
                    type_key: id.type_key(),
                    body,
                    etag: None,
                    state: ProvState::Succeeded,
                },
            );
        }
    }

    fn patch(&self, st: &State, entry: &Entry, patch: &Value) -> ArmResult<Value> {
        let mut body = entry.body.clone();
        let mut rest = patch.clone();
        drop_fields(&mut rest, "/properties", &["privateEndpointConnections"]);
        merge_patch(&mut body, &rest);
        if let Some(tags) = patch.get("tags") {
            body["tags"] = tags.clone();
        }
        let id = ResId::parse(&entry.id).expect("stored ids parse");
        Ok(self.fill(st, &id, body, Some(entry)))
    }
}

// ---------------------------------------------------------------------------------

/// `workspaces/{ws}/datastores` (`mfe.json`): where a workspace's jobs read data. The
/// credentials' secrets are accepted and never echoed (`x-ms-secret`).
pub struct Datastores;

/// Datastore types kept on a storage account, and the field naming their container.
const ACCOUNT_DATASTORES: [(&str, Option<&str>); 3] = [
    ("AzureBlob", None),
    ("AzureFile", Some("fileShareName")),
    ("AzureDataLakeGen2", Some("filesystem")),
];

const DATASTORE_TYPES: [&str; 5] = [
    "AzureBlob",
    "AzureDataLakeGen1",
    "AzureDataLakeGen2",
    "AzureFile",
    "OneLake",
];

impl Kind for Datastores {
    fn type_name(&self) -> &'static str {
        "Microsoft.MachineLearningServices/workspaces/datastores"
    }
    fn wire(&self) -> Wire {
        // 201 for a new datastore, 200 for an update.
        Wire {
            provisioning_state: |_| None,
            ..Wire::new(PutStyle::Sync { created: 201 }, DeleteStyle::Sync)
        }
    }

    fn validate(&self, _: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        let kind = str_at(body, "/properties/datastoreType").unwrap_or("");
        if !DATASTORE_TYPES.contains(&kind) {
            return Err(bad_argument(format!(
                "properties.datastoreType '{kind}' is not one of {}.",
                DATASTORE_TYPES.join(", ")
            ))
            .with_target("properties.datastoreType"));
        }
        if str_at(body, "/properties/credentials/credentialsType").is_none() {
            return Err(
                bad_argument("properties.credentials.credentialsType is required.")
                    .with_target("properties.credentials"),
            );
        }
        if let Some((_, container)) = ACCOUNT_DATASTORES.iter().find(|(k, _)| *k == kind) {
            let mut required = vec!["accountName"];
            required.extend(container);
            for field in required.into_iter().filter(|_| kind != "AzureBlob") {
                if str_at(body, &format!("/properties/{field}")).is_none_or(str::is_empty) {
                    return Err(bad_argument(format!(
                        "properties.{field} is required for a {kind} datastore."
                    ))
                    .with_target(format!("properties.{field}")));
                }
            }
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "/properties/credentials", &["secrets"]);
        let default = existing
            .and_then(|e| e.body.pointer("/properties/isDefault").cloned())
            .unwrap_or(json!(false));
        props(&mut body).insert("isDefault".into(), default);
        body
    }
}

// ---------------------------------------------------------------------------------

pub struct Computes;

fn compute_type(body: &Value) -> &str {
    str_at(body, "/properties/computeType").unwrap_or("")
}

fn workspace_of<'a>(st: &'a State, compute: &ResId) -> Option<&'a Entry> {
    st.store.get(&compute.parent()?.key())
}

fn node_counts(pp: &mut Value) {
    let min = pp
        .pointer("/scaleSettings/minNodeCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    pp["allocationState"] = json!("Steady");
    pp["allocationStateTransitionTime"] = json!(now());
    pp["currentNodeCount"] = json!(min);
    pp["targetNodeCount"] = json!(min);
    pp["nodeStateCounts"] = json!({
        "idleNodeCount": min, "runningNodeCount": 0, "preparingNodeCount": 0,
        "unusableNodeCount": 0, "leavingNodeCount": 0, "preemptedNodeCount": 0,
    });
}

fn check_scale(scale: &Value) -> ArmResult<()> {
    let max = scale.get("maxNodeCount").and_then(Value::as_i64);
    let min = scale
        .get("minNodeCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    match max {
        None => Err(bad_argument("scaleSettings.maxNodeCount is required.")),
        Some(max) if min < 0 || max < min => Err(bad_argument(format!(
            "scaleSettings: minNodeCount ({min}) must be between 0 and maxNodeCount ({max})."
        ))),
        _ => Ok(()),
    }
}

/// NIC ip configuration ids of an AmlCompute's nodes, in the subnet's group.
fn node_nic_prefix(subnet_id: &str, compute: &str) -> Option<String> {
    let subnet = ResId::parse(subnet_id)?;
    Some(format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkInterfaces/aml-{compute}-",
        subnet.subscription,
        subnet.resource_group.as_deref().unwrap_or("")
    ))
}

fn is_node_of(ip_configuration: &str, prefix: &str) -> bool {
    let lower = ip_configuration.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix(&prefix.to_ascii_lowercase()) else {
        return false;
    };
    rest.split_once('/')
        .is_some_and(|(n, tail)| n.parse::<u32>().is_ok() && tail == "ipconfigurations/ipconfig1")
}

/// Makes the subnet's IP configurations match the compute's current node count.
fn sync_nodes(st: &mut State, compute: Option<&Entry>, previous: Option<&Entry>) {
    let name_of = |e: &Entry| e.id.rsplit('/').next().unwrap_or("").to_owned();
    for old in previous.into_iter() {
        if let Some(subnet) = str_at(&old.body, "/properties/properties/subnet/id")
            && let Some(prefix) = node_nic_prefix(subnet, &name_of(old))
        {
            st.store
                .retain_ip_configurations(|id| !is_node_of(id, &prefix));
        }
    }
    let Some(compute) = compute else { return };
    if compute_type(&compute.body) != "AmlCompute" {
        return;
    }
    let Some(subnet) = str_at(&compute.body, "/properties/properties/subnet/id") else {
        return;
    };
    let Some(prefix) = node_nic_prefix(subnet, &name_of(compute)) else {
        return;
    };
    let count = compute
        .body
        .pointer("/properties/properties/currentNodeCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let subnet_key = key_of(subnet);
    if !st.store.contains(&subnet_key) {
        return;
    }
    st.store
        .retain_ip_configurations(|id| !is_node_of(id, &prefix));
    for n in 0..count {
        st.store.add_ip_configuration(
            &subnet_key,
            format!("{prefix}{n}/ipConfigurations/ipconfig1"),
        );
    }
}

impl Kind for Computes {
    fn type_name(&self) -> &'static str {
        "Microsoft.MachineLearningServices/workspaces/computes"
    }
    fn wire(&self) -> Wire {
        Wire::new(
            PutStyle::AsyncOperation,
            DeleteStyle::AsyncOperationAndLocation,
        )
    }

    fn initial_state(&self, body: &Value, created: bool) -> ProvState {
        if !created || body.pointer("/properties/isAttachedCompute") == Some(&json!(true)) {
            ProvState::Updating
        } else {
            ProvState::Creating
        }
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        let name = id.name();
        if name.len() < 2
            || name.len() > 16
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(bad_argument(format!(
                "Compute name '{name}' is invalid: 2-16 characters, letters, digits and hyphens."
            )));
        }
        let workspace = workspace_of(st, id).expect("scope checked");
        let kind = compute_type(body);
        if kind.is_empty() {
            return Err(bad_argument("properties.computeType is required.")
                .with_target("properties.computeType"));
        }
        let resource_id = str_at(body, "/properties/resourceId");
        match kind {
            "AmlCompute" => {
                let pp = body
                    .pointer("/properties/properties")
                    .cloned()
                    .unwrap_or(json!({}));
                check_scale(pp.get("scaleSettings").unwrap_or(&json!({})))?;
                if let Some(subnet) = str_at(&pp, "/subnet/id") {
                    if !st.store.contains(&key_of(subnet)) {
                        return Err(bad_argument(format!("Subnet '{subnet}' was not found."))
                            .with_target("properties.properties.subnet.id"));
                    }
                    // The nodes join the network, so they run in its region (a cluster may
                    // sit in another region than its workspace).
                    let vnet = ResId::parse(subnet)
                        .and_then(|s| s.parent())
                        .and_then(|v| st.store.get(&v.key()));
                    let compute_location = str_at(body, "/properties/computeLocation")
                        .or_else(|| str_at(body, "/location"))
                        .or_else(|| str_at(&workspace.body, "/location"))
                        .unwrap_or("");
                    if let Some(vnet_location) = vnet.and_then(|v| str_at(&v.body, "/location"))
                        && !same_region(vnet_location, compute_location)
                    {
                        return Err(bad_argument(format!(
                            "The compute's location '{compute_location}' differs from the location '{vnet_location}' of the virtual network of subnet '{subnet}'; a compute joins only a virtual network in its own region."
                        )));
                    }
                    let isolation =
                        str_at(&workspace.body, "/properties/managedNetwork/isolationMode")
                            .unwrap_or("Disabled");
                    if isolation != "Disabled" {
                        return Err(bad_argument(format!(
                            "Workspace uses a managed virtual network (isolationMode {isolation}); computes cannot be created in a customer virtual network."
                        )));
                    }
                }
                if pp.get("enableNodePublicIp") == Some(&json!(false)) {
                    let approved = connections_to(st, &workspace.id, "")
                        .iter()
                        .filter(|c| {
                            str_at(c, "/properties/privateLinkServiceConnectionState/status")
                                == Some("Approved")
                        })
                        .count();
                    if approved == 0 {
                        return Err(bad_argument(
                            "Compute with enableNodePublicIp false requires the workspace to have an approved private endpoint.",
                        ));
                    }
                }
            }
            "AKS" => {
                check_ssl(body)?;
                match resource_id {
                    Some(cluster) => {
                        if !st.store.contains(&key_of(cluster)) {
                            return Err(bad_argument(format!(
                                "The AKS cluster '{cluster}' to attach was not found."
                            ))
                            .with_target("properties.resourceId"));
                        }
                    }
                    None => {
                        let net = body.pointer("/properties/properties/aksNetworkingConfiguration");
                        if let Some(net) = net {
                            let subnet = str_at(net, "/subnetId");
                            if let Some(s) = subnet
                                && !st.store.contains(&key_of(s))
                            {
                                return Err(bad_argument(format!("Subnet '{s}' was not found."))
                                    .with_target(
                                        "properties.properties.aksNetworkingConfiguration.subnetId",
                                    ));
                            }
                            check_service_network(
                                st,
                                subnet,
                                str_at(net, "/serviceCidr"),
                                str_at(net, "/dnsServiceIP"),
                            )?;
                        }
                    }
                }
            }
            "VirtualMachine" | "HDInsight" => check_ssh_attach(st, kind, resource_id, body)?,
            _ => {}
        }
        Ok(())
    }

    fn fill(&self, st: &State, id: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(
            &mut body,
            "/properties",
            &[
                "provisioningState",
                "createdOn",
                "modifiedOn",
                "provisioningErrors",
                "isAttachedCompute",
            ],
        );
        if body.get("location").is_none()
            && let Some(ws) = workspace_of(st, id)
        {
            body["location"] = ws.body["location"].clone();
        }
        let location = body["location"].clone();
        let created_on = existing
            .and_then(|e| e.body.pointer("/properties/createdOn").cloned())
            .unwrap_or_else(|| json!(now()));
        let kind = compute_type(&body).to_owned();
        let p = props(&mut body);
        // A compute is attached when it is created with a resource to attach; writing it
        // again with what a GET shows (its resourceId included) does not change that.
        let attached = existing
            .and_then(|e| e.body.pointer("/properties/isAttachedCompute"))
            .and_then(Value::as_bool)
            .unwrap_or_else(|| p.get("resourceId").is_some_and(|r| r.is_string()));
        p.insert("createdOn".into(), created_on);
        p.insert("modifiedOn".into(), json!(now()));
        p.insert("isAttachedCompute".into(), json!(attached));
        p.entry("computeLocation").or_insert(location);
        match kind.as_str() {
            "AmlCompute" => {
                let pp = p.entry("properties").or_insert(json!({}));
                drop_fields(pp, "", &["allocationState", "errors"]);
                for (field, value) in [
                    ("osType", json!("Linux")),
                    ("vmPriority", json!("Dedicated")),
                    ("enableNodePublicIp", json!(true)),
                    ("isolatedNetwork", json!(false)),
                ] {
                    if pp.get(field).is_none() {
                        pp[field] = value;
                    }
                }
                if pp
                    .get("remoteLoginPortPublicAccess")
                    .is_none_or(|v| v == "NotSpecified")
                {
                    let in_vnet = pp.get("subnet").is_some_and(|s| !s.is_null());
                    pp["remoteLoginPortPublicAccess"] =
                        json!(if in_vnet { "Disabled" } else { "Enabled" });
                }
                let scale = pp.get_mut("scaleSettings").filter(|s| s.is_object());
                if let Some(scale) = scale {
                    if scale.get("minNodeCount").is_none() {
                        scale["minNodeCount"] = json!(0);
                    }
                    if scale.get("nodeIdleTimeBeforeScaleDown").is_none() {
                        scale["nodeIdleTimeBeforeScaleDown"] = json!("PT120S");
                    }
                }
                drop_fields(
                    pp,
                    "/userAccountCredentials",
                    &["adminUserPassword", "adminUserSshPublicKey"],
                );
                node_counts(pp);
            }
            "AKS" if attached => {
                // GET after attach carries no properties.properties.
                p.remove("properties");
            }
            "AKS" => {
                if let Some(previous) =
                    existing.and_then(|e| e.body.pointer("/properties/resourceId"))
                {
                    p.insert("resourceId".into(), previous.clone());
                }
                let pp = p.entry("properties").or_insert(json!({}));
                if pp.get("clusterFqdn").is_none() {
                    pp["clusterFqdn"] = json!(format!(
                        "{}-{}.hcp.azmk8s.io",
                        id.name(),
                        random_token::<3>()
                    ));
                }
                if pp.get("clusterPurpose").is_none() {
                    pp["clusterPurpose"] = json!("FastProd");
                }
                if pp.get("loadBalancerType").is_none() {
                    pp["loadBalancerType"] = json!("PublicIp");
                }
                drop_fields(pp, "/sslConfiguration", &["cert", "key"]);
            }
            "VirtualMachine" | "HDInsight" => {
                let size = (kind == "VirtualMachine")
                    .then(|| p.get("resourceId").and_then(Value::as_str))
                    .flatten()
                    .and_then(|vm| st.store.get(&key_of(vm)))
                    .and_then(|vm| {
                        vm.body
                            .pointer("/properties/hardwareProfile/vmSize")
                            .cloned()
                    });
                let pp = p.entry("properties").or_insert(json!({}));
                // The spec marks the keys x-ms-secret; ARM does not echo the password either.
                drop_fields(
                    pp,
                    "/administratorAccount",
                    &["password", "privateKeyData", "publicKeyData"],
                );
                if let Some(size) = size {
                    pp["virtualMachineSize"] = size;
                }
            }
            _ => {}
        }
        body
    }

    fn after_write(&self, st: &mut State, key: &str, previous: Option<&Entry>) {
        let Some(compute) = st.store.get(key).cloned() else {
            return;
        };
        sync_nodes(st, Some(&compute), previous);
        let creates_cluster = compute_type(&compute.body) == "AKS"
            && compute.body.pointer("/properties/isAttachedCompute") != Some(&json!(true))
            && str_at(&compute.body, "/properties/resourceId").is_none();
        if creates_cluster {
            create_cluster(st, &compute);
        }
    }

    fn patch(&self, _: &State, entry: &Entry, patch: &Value) -> ArmResult<Value> {
        let Some(scale) = patch.pointer("/properties/properties/scaleSettings") else {
            return Err(bad_argument(
                "Only properties.properties.scaleSettings can be updated.",
            ));
        };
        if compute_type(&entry.body) != "AmlCompute" {
            return Err(bad_argument(
                "Only AmlCompute scale settings can be updated.",
            ));
        }
        let mut body = entry.body.clone();
        let pp = &mut body["properties"]["properties"];
        let mut merged = pp.get("scaleSettings").cloned().unwrap_or(json!({}));
        merge_patch(&mut merged, scale);
        check_scale(&merged)?;
        pp["scaleSettings"] = merged;
        node_counts(pp);
        body["properties"]["modifiedOn"] = json!(now());
        Ok(body)
    }

    fn delete_params(&self, request: &Incoming) -> ArmResult<bool> {
        match request.query_param("underlyingResourceAction").as_deref() {
            Some(a) if a.eq_ignore_ascii_case("Delete") => Ok(false),
            Some(a) if a.eq_ignore_ascii_case("Detach") => Ok(true),
            Some(other) => Err(bad_argument(format!(
                "underlyingResourceAction '{other}' is not one of Delete, Detach."
            ))),
            None => Err(ArmError::bad_request(
                "MissingRequiredQueryParameter",
                "The query parameter 'underlyingResourceAction' (Delete or Detach) is required.",
            )
            .with_target("underlyingResourceAction")),
        }
    }

    fn on_removed(&self, st: &mut State, entry: &Entry, _detach: bool) {
        sync_nodes(st, None, Some(entry));
    }

    /// Deleting (not detaching) the compute deletes the machine or cluster behind it.
    fn also_removes(&self, entry: &Entry, detach: bool) -> Option<String> {
        if detach
            || !matches!(
                compute_type(&entry.body),
                "AKS" | "VirtualMachine" | "HDInsight"
            )
        {
            return None;
        }
        str_at(&entry.body, "/properties/resourceId").map(key_of)
    }
}

/// An AKS compute's `sslConfiguration`, as Azure ML takes it: your own certificate
/// (`Enabled`) with its PEM certificate, PEM key and CNAME; a certificate from Microsoft
/// (`Auto`) for a leaf domain label, which needs a public load balancer; or `Disabled`.
/// Errors never quote the certificate or key.
fn check_ssl(body: &Value) -> ArmResult<()> {
    let Some(ssl) = body
        .pointer("/properties/properties/sslConfiguration")
        .filter(|ssl| !ssl.is_null())
    else {
        return Ok(());
    };
    let target = |field: &str| format!("properties.properties.sslConfiguration.{field}");
    let given = |field: &str| str_at(ssl, &format!("/{field}")).filter(|v| !v.trim().is_empty());
    match str_at(ssl, "/status") {
        Some("Enabled") => {
            for field in ["cert", "key", "cname"] {
                if given(field).is_none() {
                    return Err(bad_argument(format!(
                        "SSL status Enabled needs cert, key and cname; {field} is missing."
                    ))
                    .with_target(target(field)));
                }
            }
            if !given("cert").is_some_and(|c| c.contains("-----BEGIN CERTIFICATE-----")) {
                return Err(
                    bad_argument("The SSL cert is not a PEM-encoded certificate.")
                        .with_target(target("cert")),
                );
            }
            if !given("key").is_some_and(|k| k.contains("PRIVATE KEY-----")) {
                return Err(
                    bad_argument("The SSL key is not a PEM-encoded private key.")
                        .with_target(target("key")),
                );
            }
            Ok(())
        }
        Some("Auto") => {
            if given("leafDomainLabel").is_none() {
                return Err(bad_argument("SSL status Auto needs a leafDomainLabel.")
                    .with_target(target("leafDomainLabel")));
            }
            if str_at(body, "/properties/properties/loadBalancerType")
                == Some("InternalLoadBalancer")
            {
                return Err(bad_argument(
                    "A Microsoft certificate (SSL status Auto) is not supported with an internal load balancer; use your own certificate.",
                )
                .with_target(target("status")));
            }
            Ok(())
        }
        Some("Disabled") => Ok(()),
        other => Err(bad_argument(format!(
            "SSL status '{}' is not one of Enabled, Auto, Disabled.",
            other.unwrap_or("")
        ))
        .with_target(target("status"))),
    }
}

/// A virtual machine or HDInsight cluster attached over SSH: the resource exists and is of
/// the compute type's kind, and ML has an address and an account to log in with.
fn check_ssh_attach(
    st: &State,
    kind: &str,
    resource_id: Option<&str>,
    body: &Value,
) -> ArmResult<()> {
    let expected = if kind == "VirtualMachine" {
        "microsoft.compute/virtualmachines"
    } else {
        "microsoft.hdinsight/clusters"
    };
    let Some(resource_id) = resource_id else {
        return Err(
            bad_argument(format!("A {kind} compute needs properties.resourceId."))
                .with_target("properties.resourceId"),
        );
    };
    match st.store.get(&key_of(resource_id)) {
        Some(found) if found.type_key == expected => {}
        _ => {
            return Err(bad_argument(format!(
                "The {kind} resource '{resource_id}' to attach was not found."
            ))
            .with_target("properties.resourceId"));
        }
    }
    let pp = body
        .pointer("/properties/properties")
        .cloned()
        .unwrap_or(json!({}));
    if str_at(&pp, "/address").is_none_or(str::is_empty) {
        return Err(bad_argument("properties.properties.address is required.")
            .with_target("properties.properties.address"));
    }
    if str_at(&pp, "/administratorAccount/username").is_none_or(str::is_empty) {
        return Err(bad_argument(
            "properties.properties.administratorAccount.username is required.",
        )
        .with_target("properties.properties.administratorAccount.username"));
    }
    let secret = |field: &str| {
        str_at(&pp, &format!("/administratorAccount/{field}")).is_some_and(|s| !s.is_empty())
    };
    if !secret("password") && !secret("privateKeyData") {
        return Err(bad_argument(
            "administratorAccount needs a password or privateKeyData to connect over SSH.",
        )
        .with_target("properties.properties.administratorAccount"));
    }
    Ok(())
}

/// An AKS compute created through ML creates its managed cluster in the workspace's group.
fn create_cluster(st: &mut State, compute: &Entry) {
    let Some(compute_id) = ResId::parse(&compute.id) else {
        return;
    };
    let name = format!("{}{}", compute_id.name(), &random_token::<3>());
    let cluster_raw = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{name}",
        compute_id.subscription,
        compute_id.resource_group.as_deref().unwrap_or("")
    );
    let Some(cluster_id) = ResId::parse(&cluster_raw) else {
        return;
    };
    let pp = compute
        .body
        .pointer("/properties/properties")
        .cloned()
        .unwrap_or(json!({}));
    let net = pp
        .get("aksNetworkingConfiguration")
        .cloned()
        .unwrap_or(json!({}));
    let mut pool = json!({
        "name": "agentpool",
        "count": pp.get("agentCount").and_then(Value::as_i64).unwrap_or(3),
        "vmSize": pp.get("agentVmSize").and_then(Value::as_str).unwrap_or("Standard_D3_v2"),
        "mode": "System",
    });
    let mut network = json!({"networkPlugin": "kubenet"});
    if let Some(subnet) = net.get("subnetId").and_then(Value::as_str) {
        pool["vnetSubnetID"] = json!(subnet);
        network["networkPlugin"] = json!("azure");
    }
    for field in ["serviceCidr", "dnsServiceIP"] {
        if let Some(v) = net.get(field) {
            network[field] = v.clone();
        }
    }
    let body = json!({
        "location": compute.body["location"],
        "properties": {"agentPoolProfiles": [pool], "networkProfile": network},
    });
    let mut body = ManagedClusters.fill(st, &cluster_id, body, None);
    body["id"] = json!(cluster_raw);
    body["name"] = json!(name);
    body["type"] = json!(ManagedClusters.type_name());
    st.store.insert(
        cluster_id.key(),
        Entry {
            id: cluster_raw.clone(),
            type_key: cluster_id.type_key(),
            body,
            etag: None,
            state: ProvState::Succeeded,
        },
    );
    if let Some(c) = st.store.get_mut(&key_of(&compute.id)) {
        c.body["properties"]["resourceId"] = json!(cluster_raw);
    }
}
