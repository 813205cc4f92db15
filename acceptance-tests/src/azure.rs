//! An emulated Azure for the provider's acceptance tests: the ARM emulator, a client that
//! seeds it with ordinary ARM calls, and the environment that points Terraform's provider
//! at it (the provider trusts the emulator's CA through `SSL_CERT_FILE`).

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::ArmEmulator;

pub struct Azure {
    emulator: ArmEmulator,
    http: Client,
    /// The bearer token; fetched again when the emulator refuses it (tests revoke tokens).
    token: std::sync::Mutex<String>,
}

/// A token for the emulator's service principal.
fn fetch_token(emulator: &ArmEmulator, http: &Client) -> String {
    let token_url = format!(
        "{}/{}/oauth2/v2.0/token",
        emulator.endpoint(),
        emulator.field("tenant_id")
    );
    let token: Value = http
        .post(token_url)
        .form(&[
            ("client_id", emulator.field("client_id")),
            ("client_secret", emulator.field("client_secret")),
            ("grant_type", "client_credentials"),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .and_then(|r| r.json())
        .expect("token");
    token["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// The pinned api-version for a resource ID, by its provider namespace.
fn api_version(id: &str) -> &'static str {
    let lower = id.to_ascii_lowercase();
    if lower.contains("/microsoft.authorization/policy") {
        "2023-04-01"
    } else if lower.contains("/microsoft.authorization/") {
        "2020-05-01"
    } else if lower.contains("/microsoft.network/") {
        "2024-01-01"
    } else if lower.contains("/microsoft.machinelearningservices/") {
        "2024-04-01"
    } else if lower.contains("/microsoft.containerservice/") {
        "2024-02-01"
    } else if lower.contains("/microsoft.storage/") {
        "2023-05-01"
    } else if lower.contains("/microsoft.keyvault/") {
        "2023-07-01"
    } else if lower.contains("/microsoft.hdinsight/") {
        "2021-06-01"
    } else {
        "2024-03-01"
    }
}

/// A workspace and a virtual network for it: `vnet` 10.0.0.0/16 with subnets `training`
/// (10.0.1.0/24) and `aks` (10.0.8.0/22), in westeurope.
pub struct Topology {
    pub resource_group: String,
    pub workspace_id: String,
    pub vnet_id: String,
    pub training_subnet_id: String,
    pub aks_subnet_id: String,
}

impl Azure {
    pub fn start() -> Azure {
        let emulator = ArmEmulator::start(&[]);
        let pem = std::fs::read(emulator.ca_file()).expect("emulator CA");
        let http = Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("PEM")])
            .build()
            .expect("HTTPS client");
        let token = fetch_token(&emulator, &http);
        Azure {
            emulator,
            http,
            token: std::sync::Mutex::new(token),
        }
    }

    pub fn subscription(&self) -> &str {
        self.emulator.field("subscription_id")
    }

    pub fn emulator(&self) -> &ArmEmulator {
        &self.emulator
    }

    /// Environment for Terraform without credentials: subscription, endpoints, the CA, and
    /// the Azure CLI switched off, for tests that sign in another way.
    pub fn env_without_credentials(&self) -> Vec<(&'static str, String)> {
        let e = &self.emulator;
        vec![
            ("ARM_SUBSCRIPTION_ID", e.field("subscription_id").to_owned()),
            ("ARM_RESOURCE_MANAGER_ENDPOINT", e.endpoint().to_owned()),
            ("ARM_AUTHORITY_HOST", e.field("authority").to_owned()),
            ("ARM_USE_CLI", "false".to_owned()),
            ("SSL_CERT_FILE", e.ca_file().display().to_string()),
        ]
    }

    /// Environment for Terraform: the provider's credentials and endpoints, and the CA.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let e = &self.emulator;
        vec![
            ("ARM_TENANT_ID", e.field("tenant_id").to_owned()),
            ("ARM_CLIENT_ID", e.field("client_id").to_owned()),
            ("ARM_CLIENT_SECRET", e.field("client_secret").to_owned()),
            ("ARM_SUBSCRIPTION_ID", e.field("subscription_id").to_owned()),
            ("ARM_RESOURCE_MANAGER_ENDPOINT", e.endpoint().to_owned()),
            ("ARM_AUTHORITY_HOST", e.field("authority").to_owned()),
            ("SSL_CERT_FILE", e.ca_file().display().to_string()),
        ]
    }

    fn send(
        &self,
        method: reqwest::Method,
        id: &str,
        query: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let url = format!(
            "{}{id}?api-version={}{query}",
            self.emulator.endpoint(),
            api_version(id)
        );
        let mut renewed = false;
        // Like any Azure client, this one waits out throttling (a test may have throttled
        // the emulator for the provider).
        for _ in 0..30 {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(self.token());
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().expect("emulator answers");
            match response.status() {
                reqwest::StatusCode::UNAUTHORIZED if !renewed => {
                    renewed = true;
                    self.renew_token();
                    continue;
                }
                reqwest::StatusCode::UNAUTHORIZED => {
                    panic!("the emulator refuses a fresh token for {url}")
                }
                reqwest::StatusCode::TOO_MANY_REQUESTS => {
                    let seconds = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(1);
                    std::thread::sleep(std::time::Duration::from_secs(seconds.min(5)));
                    continue;
                }
                _ => {}
            }
            let status = response.status().as_u16();
            let body = response.json().unwrap_or(Value::Null);
            return (status, body);
        }
        panic!("the emulator kept throttling {method} {url}");
    }

    fn token(&self) -> String {
        self.token.lock().unwrap().clone()
    }

    fn renew_token(&self) {
        *self.token.lock().unwrap() = fetch_token(&self.emulator, &self.http);
    }

    /// PUT a resource; panics unless ARM accepts it.
    #[track_caller]
    pub fn put(&self, id: &str, body: Value) -> Value {
        let (status, answer) = self.send(reqwest::Method::PUT, id, "", Some(&body));
        assert!((200..300).contains(&status), "PUT {id}: {status} {answer}");
        answer
    }

    /// PUT a resource that ARM may refuse; its status code.
    pub fn put_status(&self, id: &str, body: Value) -> u16 {
        self.send(reqwest::Method::PUT, id, "", Some(&body)).0
    }

    /// GET a resource; `None` on 404.
    pub fn get(&self, id: &str) -> Option<Value> {
        match self.send(reqwest::Method::GET, id, "", None) {
            (404, _) => None,
            (200, body) => Some(body),
            (status, body) => panic!("GET {id}: {status} {body}"),
        }
    }

    #[track_caller]
    pub fn patch(&self, id: &str, body: Value) -> Value {
        let (status, answer) = self.send(reqwest::Method::PATCH, id, "", Some(&body));
        assert!(
            (200..300).contains(&status),
            "PATCH {id}: {status} {answer}"
        );
        answer
    }

    /// DELETE, with e.g. `&underlyingResourceAction=Delete`, and wait until it is gone.
    #[track_caller]
    pub fn delete(&self, id: &str, query: &str) {
        let url = format!(
            "{}{id}?api-version={}{query}",
            self.emulator.endpoint(),
            api_version(id)
        );
        let response = self
            .http
            .delete(url)
            .bearer_auth(self.token())
            .send()
            .expect("emulator answers");
        let status = response.status().as_u16();
        assert!((200..300).contains(&status), "DELETE {id}: {status}");
        let Some(location) = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
        else {
            return;
        };
        for _ in 0..100 {
            let poll = self
                .http
                .get(location)
                .bearer_auth(self.token())
                .send()
                .expect("emulator answers");
            if poll.status().as_u16() != 202 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("DELETE {id} did not finish");
    }

    fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.emulator.field("admin"));
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("admin API answers");
        assert!(
            response.status().is_success(),
            "admin {path}: {}",
            response.status()
        );
        response.json().unwrap_or(Value::Null)
    }

    /// Changes any stored field, read-only ones included (a node count, a state).
    pub fn seed(&self, id: &str, merge: Value) {
        self.admin(
            reqwest::Method::POST,
            "/seed",
            Some(json!({"id": id, "merge": merge})),
        );
    }

    /// Leaves the resource at `id` in provisioning state `state` (like `Failed`), with
    /// `merge` merge-patched into it (like `provisioningErrors`): what Azure shows of an
    /// operation it could not finish, which no ARM write can bring about.
    #[track_caller]
    pub fn seed_provisioning_state(&self, id: &str, state: &str, merge: Value) {
        self.admin(
            reqwest::Method::POST,
            "/seed",
            Some(json!({"id": id, "merge": merge, "provisioning_state": state})),
        );
    }

    /// Writes an ML compute again, as another admin would: what its GET shows, without the
    /// fields the spec marks read-only, changed by `edit`; waits until the operation ends.
    /// (`Compute_CreateOrUpdate` overwrites an existing compute.)
    #[track_caller]
    pub fn overwrite_compute(&self, id: &str, edit: impl FnOnce(&mut Value)) {
        let current = self.get(id).expect("the compute exists");
        let mut properties = current["properties"].clone();
        let fields = properties.as_object_mut().expect("compute properties");
        for read_only in [
            "provisioningState",
            "provisioningErrors",
            "createdOn",
            "modifiedOn",
            "isAttachedCompute",
        ] {
            fields.remove(read_only);
        }
        if let Some(specific) = fields.get_mut("properties").and_then(Value::as_object_mut) {
            for read_only in [
                "allocationState",
                "allocationStateTransitionTime",
                "errors",
                "currentNodeCount",
                "targetNodeCount",
                "nodeStateCounts",
                "systemServices",
            ] {
                specific.remove(read_only);
            }
        }
        let mut body = json!({"location": current["location"], "properties": properties});
        if let Some(tags) = current.get("tags") {
            body["tags"] = tags.clone();
        }
        edit(&mut body);
        self.put(id, body);
        self.wait_until_settled(id);
    }

    /// Waits until the provisioning state of the resource at `id` is no longer in progress.
    #[track_caller]
    pub fn wait_until_settled(&self, id: &str) {
        for _ in 0..400 {
            let state = self.get(id).and_then(|r| {
                r["properties"]["provisioningState"]
                    .as_str()
                    .map(str::to_owned)
            });
            if !matches!(
                state.as_deref(),
                Some("Creating" | "Updating" | "Deleting" | "Accepted" | "InProgress")
            ) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{id} did not settle");
    }

    /// Puts management lock `name` (`CanNotDelete` or `ReadOnly`) on `scope`, a subscription
    /// or resource group ID; returns the lock's ID.
    #[track_caller]
    pub fn lock(&self, scope: &str, name: &str, level: &str) -> String {
        let id = format!(
            "{}/providers/Microsoft.Authorization/locks/{name}",
            scope.trim_end_matches('/')
        );
        self.put(
            &id,
            json!({"properties": {"level": level, "notes": "set by a test"}}),
        );
        id
    }

    /// How long every ARM request takes to answer from now on.
    pub fn set_latency(&self, latency: std::time::Duration) {
        let ms = latency.as_millis() as u64;
        self.admin(
            reqwest::Method::PUT,
            "/latency",
            Some(json!({"min_ms": ms, "max_ms": ms})),
        );
    }

    /// How long the emulator's long-running operations run from now on.
    pub fn set_operation_duration(&self, duration: std::time::Duration) {
        self.admin(
            reqwest::Method::PUT,
            "/lro",
            Some(json!({"duration_ms": duration.as_millis() as u64})),
        );
    }

    /// Injects a fault into matching requests (see the emulator's `/_emulator/faults`).
    pub fn fault(&self, fault: Value) {
        self.admin(reqwest::Method::POST, "/faults", Some(fault));
    }

    /// Resizes the emulator's throttling buckets (and fills them): `(capacity, refill per
    /// second)` for reads and for writes.
    pub fn set_throttle(&self, reads: (f64, f64), writes: (f64, f64)) {
        self.admin(
            reqwest::Method::PUT,
            "/throttle",
            Some(json!({
                "reads": {"capacity": reads.0, "refill_per_sec": reads.1},
                "writes": {"capacity": writes.0, "refill_per_sec": writes.1},
            })),
        );
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.admin(reqwest::Method::DELETE, "/faults", None);
    }

    /// How often injected faults took effect so far, cleared ones included.
    pub fn faults_fired(&self) -> u64 {
        self.admin(reqwest::Method::GET, "/faults", None)["fired"]
            .as_u64()
            .expect("fired count")
    }

    /// The names of the resources in an ARM collection (`.../computes`), lower case; none when
    /// its parent does not exist.
    pub fn names_in(&self, collection: &str) -> std::collections::BTreeSet<String> {
        self.get(collection)
            .and_then(|list| list["value"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|item| item["name"].as_str().map(str::to_ascii_lowercase))
            .collect()
    }

    pub fn set_usages(&self, usages: Value) {
        self.admin(reqwest::Method::PUT, "/usages", Some(usages));
    }

    /// Publishes new prefixes for a service tag (like `BatchNodeManagement.WestEurope`), as
    /// Azure does from time to time; the tag's change numbers go up.
    pub fn set_service_tag_prefixes(&self, tag: &str, prefixes: &[&str]) {
        self.admin(
            reqwest::Method::PUT,
            "/service-tags",
            Some(json!({"name": tag, "addressPrefixes": prefixes})),
        );
    }

    /// The service tag list as ARM serves it.
    pub fn service_tags(&self) -> Value {
        self.admin(reqwest::Method::GET, "/service-tags", None)
    }

    /// Forgets the request counts so far.
    pub fn reset_requests(&self) {
        self.admin(reqwest::Method::DELETE, "/requests", None);
    }

    /// The emulator's traffic log: one JSON line per exchange, request headers included.
    pub fn log_file(&self) -> &std::path::Path {
        self.emulator.log_file()
    }

    /// Counts since the last reset: `total`, `reads`, `writes`, `by_path` (`"GET /path"`),
    /// and of those, `throttled_by_path` (refused with 429 for an empty bucket).
    pub fn requests(&self) -> Value {
        self.admin(reqwest::Method::GET, "/requests", None)
    }

    pub fn writes(&self) -> u64 {
        self.requests()["writes"].as_u64().expect("write count")
    }

    /// The standard topology: see [`Topology`].
    pub fn seed_topology(&self) -> Topology {
        let rg = format!(
            "/subscriptions/{}/resourceGroups/ml-rg",
            self.subscription()
        );
        self.put(&rg, json!({"location": "westeurope"}));
        let vnet_id = format!("{rg}/providers/Microsoft.Network/virtualNetworks/ml-vnet");
        self.put(
            &vnet_id,
            json!({"location": "westeurope", "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [
                    {"name": "training", "properties": {"addressPrefix": "10.0.1.0/24"}},
                    {"name": "aks", "properties": {"addressPrefix": "10.0.8.0/22"}}
                ]
            }}),
        );
        let workspace_id =
            format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/ml-workspace");
        self.put(
            &workspace_id,
            json!({"location": "westeurope", "properties": {}}),
        );
        Topology {
            resource_group: rg,
            training_subnet_id: format!("{vnet_id}/subnets/training"),
            aks_subnet_id: format!("{vnet_id}/subnets/aks"),
            workspace_id,
            vnet_id,
        }
    }
}

impl Drop for Azure {
    /// Keeps the traffic of provider-driven tests for the run's conformance check
    /// (`make test` sets `AMLSECURE_TRAFFIC_DIR`).
    fn drop(&mut self) {
        if let Some(dir) = std::env::var_os("AMLSECURE_TRAFFIC_DIR") {
            let name = self
                .emulator
                .dir()
                .file_name()
                .map(|n| n.to_string_lossy().trim_start_matches('.').to_owned())
                .unwrap_or_else(|| "emulator".into());
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::copy(
                self.emulator.log_file(),
                std::path::Path::new(&dir).join(format!("{name}.jsonl")),
            );
        }
    }
}

/// The virtual network of a subnet ID.
fn vnet_of(subnet_id: &str) -> &str {
    subnet_id
        .rsplit_once("/subnets/")
        .map_or(subnet_id, |(vnet, _)| vnet)
}

/// The workspace's storage account and key vault (see [`Azure::seed_workspace_stores`]).
pub struct WorkspaceStores {
    pub storage_account_id: String,
    pub key_vault_id: String,
}

impl Azure {
    /// A storage account `mlstore` (firewall open: `defaultAction` Allow, `bypass`
    /// `Logging, Metrics`) and a key vault `ml-kv` (open, `bypass` AzureServices), and the
    /// topology's workspace pointing at both (the standard workspace has neither).
    pub fn seed_workspace_stores(&self, topology: &Topology) -> WorkspaceStores {
        let rg = &topology.resource_group;
        let storage_account_id =
            format!("{rg}/providers/Microsoft.Storage/storageAccounts/mlstore");
        self.put(
            &storage_account_id,
            json!({"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
                "properties": {"networkAcls": {"defaultAction": "Allow", "bypass": "Logging, Metrics",
                    "virtualNetworkRules": [], "ipRules": []}}}),
        );
        let key_vault_id = format!("{rg}/providers/Microsoft.KeyVault/vaults/ml-kv");
        self.put(
            &key_vault_id,
            json!({"location": "westeurope", "properties": {
                "tenantId": self.emulator.field("tenant_id"),
                "sku": {"family": "A", "name": "standard"},
                "networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices",
                    "virtualNetworkRules": [], "ipRules": []}}}),
        );
        self.put(
            &topology.workspace_id,
            json!({"location": "westeurope", "properties": {
                "storageAccount": storage_account_id, "keyVault": key_vault_id}}),
        );
        WorkspaceStores {
            storage_account_id,
            key_vault_id,
        }
    }

    /// A private endpoint `name` in `subnet_id` connecting to `target_id` (a workspace with
    /// group `amlworkspace`, a storage account with `blob`, a key vault with `vault`);
    /// `approved`: as Azure approves it for a caller with rights on the target, else waiting
    /// for approval. Returns its ID.
    pub fn seed_private_endpoint(
        &self,
        name: &str,
        subnet_id: &str,
        target_id: &str,
        group: &str,
        approved: bool,
    ) -> String {
        let group_of = |id: &str| id.split("/providers/").next().unwrap_or(id).to_owned();
        let id = format!(
            "{}/providers/Microsoft.Network/privateEndpoints/{name}",
            group_of(subnet_id)
        );
        let location = self
            .get(vnet_of(subnet_id))
            .and_then(|vnet| vnet["location"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "westeurope".to_owned());
        let field = if approved {
            "privateLinkServiceConnections"
        } else {
            "manualPrivateLinkServiceConnections"
        };
        self.put(
            &id,
            json!({"location": location, "properties": {
                "subnet": {"id": subnet_id},
                field: [{"name": name, "properties": {"privateLinkServiceId": target_id, "groupIds": [group]}}]
            }}),
        );
        id
    }

    /// Sets the service endpoints (`Microsoft.Storage`, ...) of the topology's `training`
    /// subnet.
    pub fn set_training_service_endpoints(&self, topology: &Topology, services: &[&str]) {
        let endpoints: Vec<Value> = services.iter().map(|s| json!({"service": s})).collect();
        self.put(
            &topology.training_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.1.0/24", "serviceEndpoints": endpoints}}),
        );
    }

    /// Puts an NSG `batch-only` on the topology's `training` subnet that lets Batch in on TCP
    /// 29876-29877, as the 2019 guidance asks, and denies every other inbound traffic: sound
    /// under the 2019 guidance, short of today's.
    pub fn seed_batch_only_nsg(&self, topology: &Topology) {
        let nsg = format!(
            "{}/providers/Microsoft.Network/networkSecurityGroups/batch-only",
            topology.resource_group
        );
        self.put(
            &nsg,
            json!({"location": "westeurope", "properties": {"securityRules": [
                {"name": "batch-in", "properties": {"priority": 100, "direction": "Inbound", "access": "Allow",
                    "protocol": "Tcp", "sourceAddressPrefix": "BatchNodeManagement", "sourcePortRange": "*",
                    "destinationAddressPrefix": "*", "destinationPortRange": "29876-29877"}},
                {"name": "deny-all-in", "properties": {"priority": 4000, "direction": "Inbound", "access": "Deny",
                    "protocol": "*", "sourceAddressPrefix": "*", "sourcePortRange": "*",
                    "destinationAddressPrefix": "*", "destinationPortRange": "*"}}
            ]}}),
        );
        self.put(
            &topology.training_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": nsg}}}),
        );
    }
}

/// Ubuntu 22.04 LTS from the marketplace, as a VM's `storageProfile.imageReference`.
pub fn ubuntu_image() -> Value {
    json!({"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
        "sku": "22_04-lts-gen2", "version": "latest"})
}

impl Azure {
    /// A virtual machine `name` with one NIC (`{name}-nic`, NSG `nic_nsg` if given) in the
    /// topology's `training` subnet, booted from `image` (see [`ubuntu_image`]). Returns
    /// the VM's ID.
    pub fn seed_vm(
        &self,
        topology: &Topology,
        name: &str,
        image: Value,
        nic_nsg: Option<&str>,
    ) -> String {
        let rg = &topology.resource_group;
        let nic_id = format!("{rg}/providers/Microsoft.Network/networkInterfaces/{name}-nic");
        let mut nic = json!({"location": "westeurope", "properties": {"ipConfigurations": [{
            "name": "ipconfig1",
            "properties": {"subnet": {"id": topology.training_subnet_id},
                "privateIPAllocationMethod": "Dynamic"}
        }]}});
        if let Some(nsg) = nic_nsg {
            nic["properties"]["networkSecurityGroup"] = json!({"id": nsg});
        }
        self.put(&nic_id, nic);
        let vm_id = format!("{rg}/providers/Microsoft.Compute/virtualMachines/{name}");
        self.put(
            &vm_id,
            json!({"location": "westeurope", "properties": {
                "hardwareProfile": {"vmSize": "Standard_D2s_v3"},
                "storageProfile": {"imageReference": image},
                "osProfile": {"computerName": name, "adminUsername": "azureuser",
                    "adminPassword": "Seeded-VM-Passw0rd!"},
                "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": true}}]}
            }}),
        );
        vm_id
    }

    /// An HDInsight Spark cluster `name` whose roles run in the topology's `training`
    /// subnet. Returns its ID.
    pub fn seed_hdinsight(&self, topology: &Topology, name: &str) -> String {
        let id = format!(
            "{}/providers/Microsoft.HDInsight/clusters/{name}",
            topology.resource_group
        );
        let network = json!({"id": topology.vnet_id, "subnet": topology.training_subnet_id});
        let role = |role: &str, count: u32| {
            json!({"name": role, "targetInstanceCount": count,
                "hardwareProfile": {"vmSize": "Standard_D12_V2"},
                "osProfile": {"linuxOperatingSystemProfile": {"username": "sshuser",
                    "password": "Seeded-HDI-Passw0rd!"}},
                "virtualNetworkProfile": network})
        };
        self.put(
            &id,
            json!({"location": "westeurope", "properties": {
                "clusterVersion": "5.1", "osType": "Linux", "tier": "Standard",
                "clusterDefinition": {"kind": "spark", "configurations": {"gateway": {
                    "restAuthCredential.isEnabled": true,
                    "restAuthCredential.username": "admin",
                    "restAuthCredential.password": "Seeded-Gateway-Passw0rd!"}}},
                "computeProfile": {"roles": [role("headnode", 2), role("workernode", 2)]}
            }}),
        );
        id
    }
}

/// What `examples/secure-workspace` needs (see [`Azure::seed_secure_workspace`]).
pub struct SecureWorkspace {
    pub topology: Topology,
    pub stores: WorkspaceStores,
    pub inference_workspace_id: String,
    pub network_security_group_id: String,
    pub aks_network_security_group_id: String,
}

impl SecureWorkspace {
    /// The example's variables, as `TF_VAR_*` environment variables.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TF_VAR_workspace_id", self.topology.workspace_id.clone()),
            (
                "TF_VAR_inference_workspace_id",
                self.inference_workspace_id.clone(),
            ),
            (
                "TF_VAR_training_subnet_id",
                self.topology.training_subnet_id.clone(),
            ),
            ("TF_VAR_aks_subnet_id", self.topology.aks_subnet_id.clone()),
            (
                "TF_VAR_network_security_group_id",
                self.network_security_group_id.clone(),
            ),
            (
                "TF_VAR_aks_network_security_group_id",
                self.aks_network_security_group_id.clone(),
            ),
        ]
    }
}

impl Azure {
    /// The standard topology and the workspace's open storage account and key vault, plus:
    /// network security groups `ml-nsg` on `training` and `aks-nsg` on `aks` (one rule each,
    /// denying all inbound traffic at 4000), the `Microsoft.Storage` and `Microsoft.KeyVault`
    /// service endpoints on `training`, and a second workspace `ml-inference` with its own open
    /// storage account, for inference.
    pub fn seed_secure_workspace(&self) -> SecureWorkspace {
        let topology = self.seed_topology();
        let stores = self.seed_workspace_stores(&topology);
        let rg = &topology.resource_group;
        let group = |name: &str| {
            let id = format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/{name}");
            self.put(
                &id,
                json!({"location": "westeurope", "properties": {"securityRules": [{
                    "name": "deny-all-in",
                    "properties": {"priority": 4000, "direction": "Inbound", "access": "Deny",
                        "protocol": "*", "sourceAddressPrefix": "*", "sourcePortRange": "*",
                        "destinationAddressPrefix": "*", "destinationPortRange": "*"}
                }]}}),
            );
            id
        };
        let nsg_id = group("ml-nsg");
        let aks_nsg_id = group("aks-nsg");
        let endpoints =
            json!([{"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}]);
        self.put(
            &topology.training_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.1.0/24",
                "networkSecurityGroup": {"id": nsg_id}, "serviceEndpoints": endpoints}}),
        );
        self.put(
            &topology.aks_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.8.0/22",
                "networkSecurityGroup": {"id": aks_nsg_id}}}),
        );
        let inference_storage =
            format!("{rg}/providers/Microsoft.Storage/storageAccounts/mlinferencestore");
        self.put(
            &inference_storage,
            json!({"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}),
        );
        let inference_workspace_id =
            format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/ml-inference");
        self.put(
            &inference_workspace_id,
            json!({"location": "westeurope", "properties": {"storageAccount": inference_storage}}),
        );
        SecureWorkspace {
            topology,
            stores,
            inference_workspace_id,
            network_security_group_id: nsg_id,
            aks_network_security_group_id: aks_nsg_id,
        }
    }
}

impl Azure {
    /// Azure as every example of `examples/` expects it, for `make acceptance-live` against
    /// the emulator. On top of [`Azure::seed_secure_workspace`] (whose network security group
    /// denies all inbound traffic on `training` and `aks`): subnets `plain` (10.0.2.0/24, with
    /// the `Microsoft.Storage` and `Microsoft.KeyVault` service endpoints) and `aks-plain`
    /// (10.0.16.0/22) without a network security group, for the examples of one resource;
    /// network security group `live-nsg`; route table `live-routes`, whose default route leads
    /// to a firewall; an Ubuntu VM and an HDInsight cluster in `plain`.
    ///
    /// Returns the variables of each example, by its folder under `examples/`, as the file
    /// `make acceptance-live` reads (`LIVE_VARIABLES`).
    pub fn seed_examples(&self) -> Value {
        let secure = self.seed_secure_workspace();
        let topology = &secure.topology;
        let rg = &topology.resource_group;
        let subnet = |name: &str, properties: Value| {
            let id = format!("{}/subnets/{name}", topology.vnet_id);
            self.put(&id, json!({ "properties": properties }));
            id
        };
        let plain = subnet(
            "plain",
            json!({"addressPrefix": "10.0.2.0/24", "serviceEndpoints":
                [{"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}]}),
        );
        let aks_plain = subnet("aks-plain", json!({"addressPrefix": "10.0.16.0/22"}));
        let nsg = format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/live-nsg");
        self.put(
            &nsg,
            json!({"location": "westeurope", "properties": {"securityRules": []}}),
        );
        let table = format!("{rg}/providers/Microsoft.Network/routeTables/live-routes");
        self.put(
            &table,
            json!({"location": "westeurope", "properties": {"routes": [{
                "name": "default-to-firewall",
                "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                    "nextHopIpAddress": "10.0.0.4"}}]}}),
        );
        let in_plain = Topology {
            resource_group: rg.clone(),
            workspace_id: topology.workspace_id.clone(),
            vnet_id: topology.vnet_id.clone(),
            training_subnet_id: plain.clone(),
            aks_subnet_id: aks_plain.clone(),
        };
        let vm = self.seed_vm(&in_plain, "live-vm", ubuntu_image(), None);
        let hdinsight = self.seed_hdinsight(&in_plain, "live-hdi");
        let workspace = &topology.workspace_id;
        let mut secure_variables = serde_json::Map::new();
        for (name, value) in secure.variables() {
            secure_variables.insert(name.trim_start_matches("TF_VAR_").to_owned(), json!(value));
        }
        json!({
            "data-sources/amlsecure_network_check": {"workspace_id": workspace, "subnet_id": plain},
            "data-sources/amlsecure_service_tag": {},
            "data-sources/amlsecure_subnet_capacity": {"subnet_id": plain},
            "functions": {},
            "functions/aks_network_findings": {},
            "functions/cidrs_overlap": {},
            "functions/usable_ips": {},
            "provider": {},
            "resources/amlsecure_aks_attachment": {"workspace_id": workspace, "subnet_id": aks_plain},
            "resources/amlsecure_compute_cluster": {"workspace_id": workspace, "subnet_id": plain},
            "resources/amlsecure_compute_network_security_rules": {"network_security_group_id": nsg},
            "resources/amlsecure_forced_tunneling_routes": {"route_table_id": table},
            "resources/amlsecure_hdinsight_attachment": {"workspace_id": workspace,
                "hdinsight_cluster_id": hdinsight,
                "ssh_private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nlive\n-----END OPENSSH PRIVATE KEY-----"},
            "resources/amlsecure_vm_attachment": {"workspace_id": workspace,
                "virtual_machine_id": vm, "ssh_password": "Live-Example-Passw0rd!"},
            "resources/amlsecure_workspace_key_vault_network_rules": {"workspace_id": workspace, "subnet_id": plain},
            "resources/amlsecure_workspace_storage_network_rules": {"workspace_id": workspace, "subnet_id": plain},
            "secure-training": {"workspace_id": workspace, "subnet_id": topology.training_subnet_id,
                "network_security_group_id": secure.network_security_group_id, "route_table_id": table},
            "secure-workspace": secure_variables,
            "terraform-test": {"workspace_id": workspace, "subnet_id": plain},
        })
    }
}
