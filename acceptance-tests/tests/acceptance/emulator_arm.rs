//! The ARM emulator (`amlsecure-arm-emulator`), driven over HTTPS like Azure: tokens,
//! api-versions, resources, LROs, throttling, faults, request counts, and the
//! conformance of its traffic with the published specs.

use amlsecure_acceptance_tests::{ArmEmulator, workspace_root};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

const NET: &str = "api-version=2024-01-01";
const ML: &str = "api-version=2024-04-01";
const RG: &str = "api-version=2024-03-01";

/// One exchange's outcome.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: Value,
}

impl Answer {
    fn from(response: Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let text = response.text().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }

    #[track_caller]
    fn expect(self, status: u16) -> Answer {
        assert_eq!(self.status, status, "{self:#?}");
        self
    }

    #[track_caller]
    fn error(self, status: u16, code: &str) -> Answer {
        assert_eq!(self.status, status, "{self:#?}");
        assert_eq!(self.body["error"]["code"], code, "{self:#?}");
        assert!(self.body["error"]["message"].is_string(), "{self:#?}");
        self
    }
}

/// An emulator and an HTTPS client that trusts only its CA.
struct Arm {
    emu: ArmEmulator,
    http: Client,
    token: String,
}

impl Arm {
    /// Operations here answer one poll "in progress", then end: these tests follow each poll.
    fn start(args: &[&str]) -> Arm {
        let mut all = vec!["--lro-polls", "1", "--lro-ms", "0"];
        all.extend_from_slice(args);
        let emu = ArmEmulator::start(&all);
        let pem = std::fs::read(emu.ca_file()).expect("CA file");
        let http = Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("PEM")])
            .build()
            .expect("client");
        let mut arm = Arm {
            emu,
            http,
            token: String::new(),
        };
        arm.token = arm.fresh_token();
        arm
    }

    fn fresh_token(&self) -> String {
        let answer = self.token_request(&[
            ("client_id", self.emu.field("client_id")),
            ("client_secret", self.emu.field("client_secret")),
        ]);
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    fn token_request(&self, extra: &[(&str, &str)]) -> Answer {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("scope", "https://management.azure.com/.default"),
        ];
        form.extend_from_slice(extra);
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.emu.endpoint(),
            self.emu.field("tenant_id")
        );
        Answer::from(
            self.http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .expect("token request"),
        )
    }

    fn sub(&self) -> String {
        format!("/subscriptions/{}", self.emu.field("subscription_id"))
    }

    fn rg(&self, name: &str) -> String {
        format!("{}/resourceGroups/{name}", self.sub())
    }

    /// A path under resource group `rg1`'s providers.
    fn id(&self, rest: &str) -> String {
        format!("{}/providers/{rest}", self.rg("rg1"))
    }

    fn url(&self, path_and_query: &str) -> String {
        if path_and_query.starts_with("https://") {
            path_and_query.to_owned()
        } else {
            format!("{}{path_and_query}", self.emu.endpoint())
        }
    }

    fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Answer {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        Answer::from(request.send().expect("request"))
    }

    fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None)
    }

    fn put(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PUT, path, Some(&body))
    }

    fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PATCH, path, Some(&body))
    }

    fn delete(&self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None)
    }

    fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.emu.field("admin")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        Answer::from(request.send().expect("admin request"))
    }

    /// Polls an `Azure-AsyncOperation` URL until it is terminal; the statuses seen.
    fn poll_status(&self, url: &str) -> Vec<String> {
        let mut seen = Vec::new();
        for _ in 0..20 {
            let status = self.get(url).expect(200);
            let text = status.body["status"].as_str().unwrap().to_owned();
            seen.push(text.clone());
            if matches!(text.as_str(), "Succeeded" | "Failed" | "Canceled") {
                return seen;
            }
        }
        panic!("operation never finished: {seen:?}");
    }

    /// Polls a `Location` URL until it stops answering 202; the final answer.
    fn poll_location(&self, url: &str) -> Answer {
        for _ in 0..20 {
            let answer = self.get(url);
            if answer.status != 202 {
                return answer;
            }
        }
        panic!("operation never finished");
    }

    /// PUT, then follow the async operation to its end.
    fn put_done(&self, path: &str, body: Value) -> Answer {
        let answer = self.put(path, body);
        assert!(matches!(answer.status, 200 | 201), "{answer:#?}");
        if let Some(url) = answer.headers.get("azure-asyncoperation").cloned() {
            assert_eq!(self.poll_status(&url).last().unwrap(), "Succeeded");
        }
        answer
    }

    /// DELETE, then follow `Location` to its end.
    fn delete_done(&self, path: &str) -> Answer {
        let answer = self.delete(path);
        if answer.status == 202 {
            let url = answer.header("location").to_owned();
            return self.poll_location(&url);
        }
        answer
    }

    fn counts(&self) -> Value {
        self.admin(reqwest::Method::GET, "/requests", None)
            .expect(200)
            .body
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// -----------------------------------------------------------------------------------
// Scenarios: well-formed traffic (also replayed by the conformance test).

fn seed_network(arm: &Arm) {
    arm.put(
        &format!("{}?{RG}", arm.rg("rg1")),
        json!({"location": "eastus"}),
    )
    .expect(201);
    let vnet = arm.put(
        &format!(
            "{}?{NET}",
            arm.id("Microsoft.Network/virtualNetworks/vnet1")
        ),
        json!({"location": "eastus", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "training", "properties": {"addressPrefix": "10.0.1.0/24"}}]
        }}),
    );
    let vnet = vnet.expect(201);
    assert_eq!(vnet.body["properties"]["provisioningState"], "Updating");
    let statuses = arm.poll_status(vnet.header("azure-asyncoperation"));
    assert_eq!(statuses, ["InProgress", "Succeeded"]);
    arm.put_done(
        &format!("{}?{NET}", arm.id("Microsoft.Network/networkSecurityGroups/nsg1")),
        json!({"location": "eastus", "properties": {"securityRules": [{
            "name": "batch", "properties": {"protocol": "Tcp", "sourceAddressPrefix": "BatchNodeManagement",
            "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "29876-29877",
            "access": "Allow", "priority": 1040, "direction": "Inbound"}}]}}),
    );
    arm.put_done(
        &format!("{}?{NET}", arm.id("Microsoft.Network/routeTables/rt1")),
        json!({"location": "eastus", "properties": {"routes": [{
            "name": "default", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.0.4"}}]}}),
    );
    arm.put_done(
        &format!(
            "{}?{NET}",
            arm.id("Microsoft.Network/virtualNetworks/vnet1/subnets/aks")
        ),
        json!({"properties": {"addressPrefix": "10.0.2.0/24",
            "networkSecurityGroup": {"id": arm.id("Microsoft.Network/networkSecurityGroups/nsg1")},
            "routeTable": {"id": arm.id("Microsoft.Network/routeTables/rt1")},
            "serviceEndpoints": [{"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}]}}),
    );
}

fn network_scenario(arm: &Arm) {
    seed_network(arm);
    let vnet_path = arm.id("Microsoft.Network/virtualNetworks/vnet1");
    let vnet = arm.get(&format!("{vnet_path}?{NET}")).expect(200);
    assert_eq!(vnet.body["properties"]["provisioningState"], "Succeeded");
    let subnets = vnet.body["properties"]["subnets"].as_array().unwrap();
    assert_eq!(subnets.len(), 2, "{:#}", vnet.body);
    let etag = vnet.body["etag"].as_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");

    // Case-insensitive paths; the creator's casing comes back.
    let shouted = arm
        .get(&format!(
            "{}?{NET}",
            vnet_path
                .to_ascii_uppercase()
                .replace("API-VERSION", "api-version")
        ))
        .expect(200);
    assert_eq!(shouted.body["id"], vnet_path);

    // Subnets are children: list, get, overlap refused.
    let list = arm.get(&format!("{vnet_path}/subnets?{NET}")).expect(200);
    assert_eq!(list.body["value"].as_array().unwrap().len(), 2);
    arm.put(
        &format!("{vnet_path}/subnets/clash?{NET}"),
        json!({"properties": {"addressPrefix": "10.0.1.128/25"}}),
    )
    .error(400, "NetcfgInvalidSubnet");
    arm.put(
        &format!("{vnet_path}/subnets/outside?{NET}"),
        json!({"properties": {"addressPrefix": "192.168.0.0/24"}}),
    )
    .error(400, "NetcfgInvalidSubnet");

    // The NSG: default rules, the subnet using it, rule conflicts, refusal to delete.
    let nsg_path = arm.id("Microsoft.Network/networkSecurityGroups/nsg1");
    let nsg = arm.get(&format!("{nsg_path}?{NET}")).expect(200);
    assert_eq!(
        nsg.body["properties"]["defaultSecurityRules"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        nsg.body["properties"]["subnets"][0]["id"],
        format!("{vnet_path}/subnets/aks")
    );
    arm.put(
        &format!("{nsg_path}/securityRules/clash?{NET}"),
        json!({"properties": {"protocol": "*", "sourceAddressPrefix": "*", "sourcePortRange": "*",
            "destinationAddressPrefix": "*", "destinationPortRange": "22", "access": "Deny",
            "priority": 1040, "direction": "Inbound"}}),
    )
    .error(400, "SecurityRuleConflict");
    arm.put_done(
        &format!("{nsg_path}/securityRules/ssh?{NET}"),
        json!({"properties": {"protocol": "Tcp", "sourceAddressPrefix": "AzureMachineLearning", "sourcePortRange": "*",
            "destinationAddressPrefix": "*", "destinationPortRange": "22", "access": "Allow",
            "priority": 1060, "direction": "Inbound"}}),
    );
    let rules = arm
        .get(&format!("{nsg_path}/securityRules?{NET}"))
        .expect(200);
    assert_eq!(rules.body["value"].as_array().unwrap().len(), 2);
    arm.get(&format!(
        "{nsg_path}/defaultSecurityRules/DenyAllInBound?{NET}"
    ))
    .expect(200);
    arm.delete(&format!("{nsg_path}?{NET}"))
        .error(400, "InUseNetworkSecurityGroupCannotBeDeleted");

    // Route table children.
    let rt_path = arm.id("Microsoft.Network/routeTables/rt1");
    arm.put_done(
        &format!("{rt_path}/routes/batch?{NET}"),
        json!({"properties": {"addressPrefix": "BatchNodeManagement.EastUS", "nextHopType": "Internet"}}),
    );
    let rt = arm.get(&format!("{rt_path}?{NET}")).expect(200);
    assert_eq!(rt.body["properties"]["routes"].as_array().unwrap().len(), 2);

    // Not found, by resource, parent and group.
    let missing = arm
        .get(&format!(
            "{}?{NET}",
            arm.id("Microsoft.Network/virtualNetworks/nope")
        ))
        .error(404, "ResourceNotFound");
    assert_eq!(
        missing.body["error"]["message"]
            .as_str()
            .unwrap()
            .split(". For more")
            .next()
            .unwrap(),
        "The Resource 'Microsoft.Network/virtualNetworks/nope' under resource group 'rg1' was not found"
    );
    arm.put(
        &format!(
            "{}?{NET}",
            arm.id("Microsoft.Network/virtualNetworks/nope/subnets/a")
        ),
        json!({"properties": {"addressPrefix": "10.9.0.0/24"}}),
    )
    .error(404, "ParentResourceNotFound");
    arm.get(&format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet1?{NET}",
        arm.rg("nogroup")
    ))
    .error(404, "ResourceGroupNotFound");

    // Peering with the remote address space given (remote network not emulated).
    arm.put_done(
        &format!("{vnet_path}/virtualNetworkPeerings/hub?{NET}"),
        json!({"properties": {"remoteVirtualNetwork": {"id": format!("{}/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub", arm.sub())},
            "remoteAddressSpace": {"addressPrefixes": ["10.100.0.0/16"]}, "allowVirtualNetworkAccess": true}}),
    );
    let peered = arm.get(&format!("{vnet_path}?{NET}")).expect(200);
    assert_eq!(
        peered.body["properties"]["virtualNetworkPeerings"][0]["properties"]["remoteAddressSpace"]
            ["addressPrefixes"][0],
        "10.100.0.0/16"
    );

    // Delete: 202 + Location, 202 while running, then 204; gone afterwards.
    let doomed = arm
        .delete(&format!("{vnet_path}/subnets/training?{NET}"))
        .expect(202);
    let location = doomed.header("location").to_owned();
    arm.get(&location).expect(202);
    arm.get(&location).expect(204);
    arm.get(&format!("{vnet_path}/subnets/training?{NET}"))
        .error(404, "ResourceNotFound");
    arm.delete(&format!("{vnet_path}/subnets/training?{NET}"))
        .expect(204);

    // Usages count stored resources.
    let usages = arm
        .get(&format!(
            "{}/providers/Microsoft.Network/locations/eastus/usages?{NET}",
            arm.sub()
        ))
        .expect(200);
    let nsgs = usages.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"]["value"] == "NetworkSecurityGroups")
        .unwrap()
        .clone();
    assert_eq!(nsgs["currentValue"], 1);
    assert_eq!(nsgs["unit"], "Count");

    // Service tags: the whole cloud's list, whatever the location; the admin API publishes new
    // prefixes for a tag and bumps the change numbers.
    let tags = format!(
        "{}/providers/Microsoft.Network/locations/eastus/serviceTags",
        arm.sub()
    );
    let find = |list: &Value, name: &str| -> Value {
        list["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let list = arm.get(&format!("{tags}?{NET}")).expect(200).body;
    assert_eq!(list["type"], "Microsoft.Network/serviceTags");
    let batch = find(&list, "BatchNodeManagement.WestEurope");
    assert_eq!(batch["properties"]["region"], "westeurope");
    assert_eq!(batch["properties"]["changeNumber"], "1");
    arm.admin(
        reqwest::Method::PUT,
        "/service-tags",
        Some(json!({"name": "batchnodemanagement.westeurope", "addressPrefixes": ["198.18.99.0/24"]})),
    )
    .expect(200);
    let list = arm.get(&format!("{tags}?{NET}")).expect(200).body;
    let batch = find(&list, "BatchNodeManagement.WestEurope");
    assert_eq!(
        batch["properties"]["addressPrefixes"],
        json!(["198.18.99.0/24"])
    );
    assert_eq!(batch["properties"]["changeNumber"], "2");
    assert_eq!(list["changeNumber"], "2");
    arm.get(&format!(
        "{}/providers/Microsoft.Network/locations/atlantis/serviceTags?{NET}",
        arm.sub()
    ))
    .error(400, "LocationNotAvailableForResourceType");
}

fn compute_scenario(arm: &Arm) {
    seed_network(arm);
    let subnet = arm.id("Microsoft.Network/virtualNetworks/vnet1/subnets/training");
    let ws = arm.id("Microsoft.MachineLearningServices/workspaces/ws1");
    let workspace = arm
        .put(
            &format!("{ws}?{ML}"),
            json!({"location": "eastus", "identity": {"type": "SystemAssigned"}, "properties": {
                "storageAccount": arm.id("Microsoft.Storage/storageAccounts/st1"),
                "keyVault": arm.id("Microsoft.KeyVault/vaults/kv1"),
                "containerRegistry": arm.id("Microsoft.ContainerRegistry/registries/cr1")}}),
        )
        .expect(200);
    assert_eq!(
        workspace.body["properties"]["managedNetwork"]["isolationMode"],
        "Disabled"
    );
    assert_eq!(
        workspace.body["properties"]["privateEndpointConnections"],
        json!([])
    );

    arm.admin(reqwest::Method::PUT, "/lro", Some(json!({"polls": 2})))
        .expect(200);
    let cpu = format!("{ws}/computes/cpu");
    let created = arm
        .put(
            &format!("{cpu}?{ML}"),
            json!({"location": "eastus", "properties": {"computeType": "AmlCompute", "properties": {
                "vmSize": "STANDARD_D2_V2", "scaleSettings": {"minNodeCount": 2, "maxNodeCount": 4},
                "subnet": {"id": subnet}, "remoteLoginPortPublicAccess": "Disabled"}}}),
        )
        .expect(201);
    assert_eq!(created.body["properties"]["provisioningState"], "Creating");
    let status_url = created.header("azure-asyncoperation").to_owned();
    assert!(status_url.starts_with(arm.emu.endpoint()), "{status_url}");
    assert_eq!(
        arm.poll_status(&status_url),
        ["InProgress", "InProgress", "Succeeded"]
    );
    let got = arm.get(&format!("{cpu}?{ML}")).expect(200);
    let props = &got.body["properties"];
    assert_eq!(props["provisioningState"], "Succeeded");
    assert_eq!(props["properties"]["allocationState"], "Steady");
    assert_eq!(props["properties"]["currentNodeCount"], 2);
    assert_eq!(props["properties"]["nodeStateCounts"]["idleNodeCount"], 2);
    assert!(props["createdOn"].is_string());

    let ip_configurations = |arm: &Arm| {
        arm.get(&format!("{subnet}?{NET}")).expect(200).body["properties"]["ipConfigurations"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(ip_configurations(arm), 2);
    let first = arm.get(&format!("{subnet}?{NET}")).expect(200).body["properties"]
        ["ipConfigurations"][0]["id"]
        .clone();
    assert!(
        first.as_str().unwrap().ends_with(
            "/providers/Microsoft.Network/networkInterfaces/aml-cpu-0/ipConfigurations/ipconfig1"
        ),
        "{first}"
    );

    // Azure leaves a compute it could not finish Failed, with its errors; only the admin
    // API can bring that about, and set it back.
    let failed = arm
        .admin(
            reqwest::Method::POST,
            "/seed",
            Some(
                json!({"id": cpu, "provisioning_state": "Failed", "merge": {"properties":
                {"provisioningErrors": [{"error": {"code": "AllocationFailed",
                    "message": "No capacity."}}]}}}),
            ),
        )
        .expect(200);
    assert_eq!(failed.body["properties"]["provisioningState"], "Failed");
    let got = arm.get(&format!("{cpu}?{ML}")).expect(200);
    assert_eq!(got.body["properties"]["provisioningState"], "Failed");
    assert_eq!(
        got.body["properties"]["provisioningErrors"][0]["error"]["code"],
        "AllocationFailed"
    );
    arm.admin(
        reqwest::Method::POST,
        "/seed",
        Some(json!({"id": cpu, "provisioning_state": "Broken"})),
    )
    .expect(400);
    arm.admin(
        reqwest::Method::POST,
        "/seed",
        Some(json!({"id": cpu, "provisioning_state": "Succeeded"})),
    )
    .expect(200);

    // Scale up, then down.
    let scaled = arm
        .patch(
            &format!("{cpu}?{ML}"),
            json!({"properties": {"properties": {"scaleSettings": {"minNodeCount": 3, "maxNodeCount": 5}}}}),
        )
        .expect(200);
    assert_eq!(
        scaled.body["properties"]["properties"]["currentNodeCount"],
        3
    );
    assert_eq!(ip_configurations(arm), 3);
    arm.patch(
        &format!("{cpu}?{ML}"),
        json!({"properties": {"properties": {"scaleSettings": {"minNodeCount": 1, "maxNodeCount": 5}}}}),
    )
    .expect(200);
    assert_eq!(ip_configurations(arm), 1);
    arm.delete(&format!("{subnet}?{NET}"))
        .error(400, "InUseSubnetCannotBeDeleted");

    // Delete with the underlying resource: 202 + both URLs, then gone.
    arm.admin(reqwest::Method::PUT, "/lro", Some(json!({"polls": 1})))
        .expect(200);
    let deleting = arm
        .delete(&format!("{cpu}?{ML}&underlyingResourceAction=Delete"))
        .expect(202);
    assert!(deleting.headers.contains_key("azure-asyncoperation"));
    let location = deleting.header("location").to_owned();
    arm.get(&location).expect(202);
    arm.get(&location).expect(204);
    arm.get(&format!("{cpu}?{ML}"))
        .error(404, "ResourceNotFound");
    assert_eq!(ip_configurations(arm), 0);
    arm.delete(&format!("{cpu}?{ML}&underlyingResourceAction=Delete"))
        .expect(204);
}

/// A workspace private endpoint: the workspace lists the connection, the subnet the endpoint
/// and its address; clusters without public IPs need an approved one; a managed network takes
/// no customer subnet; a cluster runs in its network's region.
fn private_endpoint_scenario(arm: &Arm) {
    seed_network(arm);
    let training = arm.id("Microsoft.Network/virtualNetworks/vnet1/subnets/training");
    let ws = arm.id("Microsoft.MachineLearningServices/workspaces/ws1");
    arm.put(
        &format!("{ws}?{ML}"),
        json!({"location": "eastus", "properties": {}}),
    )
    .expect(200);
    let no_public_ip = |location: &str| {
        json!({"location": location, "properties": {"computeType": "AmlCompute", "properties": {
            "vmSize": "STANDARD_D2_V2", "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 2},
            "subnet": {"id": training}, "enableNodePublicIp": false}}})
    };
    let cpu = format!("{ws}/computes/cpu");
    arm.put(&format!("{cpu}?{ML}"), no_public_ip("eastus"))
        .error(400, "BadArgument");

    let endpoint = |name: &str, field: &str| {
        json!({"location": "eastus", "properties": {
            "subnet": {"id": training},
            field: [{"name": name, "properties": {"privateLinkServiceId": ws, "groupIds": ["amlworkspace"]}}]
        }})
    };
    let pe = arm.id("Microsoft.Network/privateEndpoints/pe-ws");
    let created = arm
        .put_done(
            &format!("{pe}?{NET}"),
            endpoint("ws", "privateLinkServiceConnections"),
        )
        .expect(201);
    assert_eq!(
        created.body["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceConnectionState"]
            ["status"],
        "Approved"
    );
    let workspace = arm.get(&format!("{ws}?{ML}")).expect(200);
    let connections = &workspace.body["properties"]["privateEndpointConnections"];
    assert_eq!(
        connections.as_array().map(Vec::len),
        Some(1),
        "{connections:#}"
    );
    assert_eq!(connections[0]["properties"]["privateEndpoint"]["id"], pe);
    assert_eq!(
        connections[0]["properties"]["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );
    assert_eq!(workspace.body["properties"]["privateLinkCount"], 1);
    let subnet = arm.get(&format!("{training}?{NET}")).expect(200);
    assert_eq!(
        subnet.body["properties"]["privateEndpoints"],
        json!([{"id": pe}])
    );
    assert_eq!(
        subnet.body["properties"]["ipConfigurations"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the endpoint's address counts in the subnet"
    );

    // With an approved endpoint, a cluster without public IPs can be created.
    arm.put_done(&format!("{cpu}?{ML}"), no_public_ip("eastus"))
        .expect(201);
    let got = arm.get(&format!("{cpu}?{ML}")).expect(200);
    assert_eq!(
        got.body["properties"]["properties"]["enableNodePublicIp"],
        false
    );
    // The nodes join the network's region, not another.
    arm.put(
        &format!("{ws}/computes/far?{ML}"),
        json!({"location": "westus2", "properties": {"computeType": "AmlCompute", "properties": {
            "vmSize": "STANDARD_D2_V2", "scaleSettings": {"maxNodeCount": 2},
            "subnet": {"id": training}}}}),
    )
    .error(400, "BadArgument");

    // A manual connection waits for approval.
    let manual = arm.id("Microsoft.Network/privateEndpoints/pe-manual");
    arm.put_done(
        &format!("{manual}?{NET}"),
        endpoint("ws-manual", "manualPrivateLinkServiceConnections"),
    );
    let workspace = arm.get(&format!("{ws}?{ML}")).expect(200);
    let statuses: Vec<&str> = workspace.body["properties"]["privateEndpointConnections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["properties"]["privateLinkServiceConnectionState"]["status"]
                .as_str()
                .unwrap()
        })
        .collect();
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["Approved", "Pending"]);

    // A managed network takes no compute in a customer subnet.
    let managed = arm.id("Microsoft.MachineLearningServices/workspaces/ws-managed");
    let put = arm
        .put(
            &format!("{managed}?{ML}"),
            json!({"location": "eastus", "properties": {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}}),
        )
        .expect(200);
    assert_eq!(
        put.body["properties"]["managedNetwork"]["status"]["status"],
        "Active"
    );
    arm.put(
        &format!("{managed}/computes/cpu?{ML}"),
        json!({"location": "eastus", "properties": {"computeType": "AmlCompute", "properties": {
            "vmSize": "STANDARD_D2_V2", "scaleSettings": {"maxNodeCount": 2},
            "subnet": {"id": training}}}}),
    )
    .error(400, "BadArgument");

    // Gone: the workspace and the subnet forget the endpoints.
    arm.delete_done(&format!("{cpu}?{ML}&underlyingResourceAction=Delete"));
    arm.delete_done(&format!("{pe}?{NET}"));
    arm.delete_done(&format!("{manual}?{NET}"));
    let workspace = arm.get(&format!("{ws}?{ML}")).expect(200);
    assert_eq!(
        workspace.body["properties"]["privateEndpointConnections"],
        json!([])
    );
    let subnet = arm.get(&format!("{training}?{NET}")).expect(200);
    assert!(subnet.body["properties"].get("privateEndpoints").is_none());
    assert!(subnet.body["properties"].get("ipConfigurations").is_none());
}

fn aks_scenario(arm: &Arm) {
    seed_network(arm);
    let subnet = arm.id("Microsoft.Network/virtualNetworks/vnet1/subnets/aks");
    let ws = arm.id("Microsoft.MachineLearningServices/workspaces/ws1");
    arm.put(
        &format!("{ws}?{ML}"),
        json!({"location": "eastus", "properties": {}}),
    )
    .expect(200);
    let aks_body = |cidr: &str, dns: &str| {
        json!({"location": "eastus", "properties": {"computeType": "AKS", "properties": {
            "agentCount": 3, "agentVmSize": "Standard_D3_v2", "clusterPurpose": "FastProd",
            "loadBalancerType": "InternalLoadBalancer",
            "aksNetworkingConfiguration": {"subnetId": subnet, "serviceCidr": cidr, "dnsServiceIP": dns, "dockerBridgeCidr": "172.17.0.1/16"}}}})
    };
    arm.put(
        &format!("{ws}/computes/inference?{ML}"),
        aks_body("10.0.0.0/16", "10.0.0.10"),
    )
    .error(400, "ServiceCidrOverlapExistingSubnetsCidr");
    arm.put_done(
        &format!("{ws}/computes/inference?{ML}"),
        aks_body("10.1.0.0/16", "10.1.0.10"),
    );
    let created = arm
        .get(&format!("{ws}/computes/inference?{ML}"))
        .expect(200);
    let cluster = created.body["properties"]["resourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let aks = "api-version=2024-02-01";
    let managed = arm.get(&format!("{cluster}?{aks}")).expect(200);
    assert_eq!(
        managed.body["properties"]["agentPoolProfiles"][0]["vnetSubnetID"],
        subnet
    );
    assert_eq!(
        managed.body["properties"]["networkProfile"]["serviceCidr"],
        "10.1.0.0/16"
    );

    // SSL changes in place. A certificate from Microsoft needs a public load balancer, your
    // own certificate its key and CNAME; the certificate and key are never read back.
    let with_ssl = |ssl: Value| {
        let mut body = aks_body("10.1.0.0/16", "10.1.0.10");
        body["properties"]["properties"]["sslConfiguration"] = ssl;
        body
    };
    let inference = format!("{ws}/computes/inference?{ML}");
    arm.put(
        &inference,
        with_ssl(json!({"status": "Auto", "leafDomainLabel": "contoso"})),
    )
    .error(400, "BadArgument");
    arm.put(
        &inference,
        with_ssl(json!({"status": "Enabled", "cname": "www.contoso.com"})),
    )
    .error(400, "BadArgument");
    arm.put(&inference, with_ssl(json!({"status": "On"})))
        .error(400, "BadArgument");
    arm.put_done(
        &inference,
        with_ssl(json!({"status": "Enabled", "cname": "www.contoso.com",
            "cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"})),
    );
    let secured = arm.get(&inference).expect(200);
    assert_eq!(
        secured.body["properties"]["properties"]["sslConfiguration"],
        json!({"status": "Enabled", "cname": "www.contoso.com"})
    );
    assert_eq!(secured.body["properties"]["resourceId"], cluster.as_str());

    // Attach an existing cluster, then detach it (the cluster stays) ...
    let existing = arm.id("Microsoft.ContainerService/managedClusters/existing");
    arm.put_done(
        &format!("{existing}?{aks}"),
        json!({"location": "eastus", "properties": {"dnsPrefix": "existing",
            "agentPoolProfiles": [{"name": "nodes", "count": 2, "vmSize": "Standard_D2s_v3", "mode": "System", "vnetSubnetID": subnet}],
            "networkProfile": {"networkPlugin": "azure", "serviceCidr": "10.2.0.0/16", "dnsServiceIP": "10.2.0.10"}}}),
    );
    let attached = arm
        .put(
            &format!("{ws}/computes/attached?{ML}"),
            json!({"location": "eastus", "properties": {"computeType": "AKS", "resourceId": existing}}),
        )
        .expect(201);
    assert_eq!(attached.body["properties"]["provisioningState"], "Updating");
    arm.poll_status(attached.header("azure-asyncoperation"));
    let got = arm.get(&format!("{ws}/computes/attached?{ML}")).expect(200);
    assert!(
        got.body["properties"].get("properties").is_none(),
        "{:#}",
        got.body
    );
    assert_eq!(got.body["properties"]["isAttachedCompute"], true);
    arm.delete_done(&format!(
        "{ws}/computes/attached?{ML}&underlyingResourceAction=Detach"
    ))
    .expect(204);
    arm.get(&format!("{existing}?{aks}")).expect(200);

    // ... and delete the created one with its cluster.
    arm.delete_done(&format!(
        "{ws}/computes/inference?{ML}&underlyingResourceAction=Delete"
    ))
    .expect(204);
    arm.get(&format!("{cluster}?{aks}"))
        .error(404, "ResourceNotFound");
}

fn storage_and_vault_scenario(arm: &Arm) {
    seed_network(arm);
    let training = arm.id("Microsoft.Network/virtualNetworks/vnet1/subnets/training");
    let aks = arm.id("Microsoft.Network/virtualNetworks/vnet1/subnets/aks");
    let st = arm.id("Microsoft.Storage/storageAccounts/st1");
    let sv = "api-version=2023-05-01";
    let account = arm
        .put(
            &format!("{st}?{sv}"),
            json!({"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}),
        )
        .expect(200);
    assert_eq!(
        account.body["properties"]["networkAcls"]["defaultAction"],
        "Allow"
    );
    arm.patch(
        &format!("{st}?{sv}"),
        json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices",
            "virtualNetworkRules": [{"id": training, "action": "Allow"}]}}}),
    )
    .error(400, "NetworkAclsValidationFailure");
    let locked = arm
        .patch(
            &format!("{st}?{sv}"),
            json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices",
                "virtualNetworkRules": [{"id": aks, "action": "Allow"}], "ipRules": [{"value": "203.0.113.7", "action": "Allow"}]}}}),
        )
        .expect(200);
    assert_eq!(
        locked.body["properties"]["networkAcls"]["virtualNetworkRules"][0]["id"],
        aks
    );

    let kv = arm.id("Microsoft.KeyVault/vaults/kv1");
    let kvv = "api-version=2023-07-01";
    arm.put(
        &format!("{kv}?{kvv}"),
        json!({"location": "eastus", "properties": {"tenantId": arm.emu.field("tenant_id"),
            "sku": {"family": "A", "name": "standard"}, "accessPolicies": []}}),
    )
    .expect(201);
    let vault = arm
        .patch(
            &format!("{kv}?{kvv}"),
            json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices",
                "ipRules": [{"value": "203.0.113.7"}], "virtualNetworkRules": [{"id": aks}]}}}),
        )
        .expect(200);
    let acls = &vault.body["properties"]["networkAcls"];
    assert_eq!(acls["ipRules"][0]["value"], "203.0.113.7/32");
    assert_eq!(
        acls["virtualNetworkRules"][0]["id"],
        aks.to_ascii_lowercase()
    );
}

const LOCKS: &str = "api-version=2020-05-01";

/// Management locks at subscription and resource-group scope; a group's list shows the
/// subscription's locks it inherits, `$filter=atScope()` only those at or above the scope.
fn locks_scenario(arm: &Arm) {
    arm.put(
        &format!("{}?api-version=2024-03-01", arm.rg("rg1")),
        json!({"location": "eastus"}),
    )
    .expect(201);
    let rg_lock = format!(
        "{}/providers/Microsoft.Authorization/locks/keep",
        arm.rg("rg1")
    );
    let sub_lock = format!(
        "{}/providers/Microsoft.Authorization/locks/frozen",
        arm.sub()
    );
    arm.get(&format!("{rg_lock}?{LOCKS}"))
        .error(404, "ResourceNotFound");
    arm.put(
        &format!("{rg_lock}?{LOCKS}"),
        json!({"properties": {"level": "Sometimes"}}),
    )
    .error(400, "LockLevelInvalid");
    let created = arm
        .put(
            &format!("{rg_lock}?{LOCKS}"),
            json!({"properties": {"level": "CanNotDelete", "notes": "keep the network"}}),
        )
        .expect(201);
    assert_eq!(created.body["type"], "Microsoft.Authorization/locks");
    assert_eq!(created.body["name"], "keep");
    assert_eq!(created.body["id"], rg_lock.as_str());
    assert!(
        created.body["properties"]
            .get("provisioningState")
            .is_none()
    );
    arm.put(
        &format!("{rg_lock}?{LOCKS}"),
        json!({"properties": {"level": "CanNotDelete", "notes": "still"}}),
    )
    .expect(200);
    arm.put(
        &format!("{sub_lock}?{LOCKS}"),
        json!({"properties": {"level": "ReadOnly"}}),
    )
    .expect(201);
    let names = |answer: Answer| -> Vec<String> {
        let mut names: Vec<String> = answer.body["value"]
            .as_array()
            .expect("value")
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let rg_locks = format!("{}/providers/Microsoft.Authorization/locks", arm.rg("rg1"));
    let sub_locks = format!("{}/providers/Microsoft.Authorization/locks", arm.sub());
    assert_eq!(
        names(arm.get(&format!("{rg_locks}?{LOCKS}")).expect(200)),
        ["frozen", "keep"]
    );
    assert_eq!(
        names(
            arm.get(&format!("{rg_locks}?{LOCKS}&$filter=atScope()"))
                .expect(200)
        ),
        ["frozen", "keep"]
    );
    assert_eq!(
        names(arm.get(&format!("{sub_locks}?{LOCKS}")).expect(200)),
        ["frozen", "keep"]
    );
    assert_eq!(
        names(
            arm.get(&format!("{sub_locks}?{LOCKS}&$filter=atScope()"))
                .expect(200)
        ),
        ["frozen"]
    );
    arm.get(&format!(
        "{}/providers/Microsoft.Authorization/locks?{LOCKS}",
        arm.rg("missing")
    ))
    .error(404, "ResourceGroupNotFound");
    arm.delete(&format!("{sub_lock}?{LOCKS}")).expect(200);
    arm.delete(&format!("{sub_lock}?{LOCKS}")).expect(204);
    assert_eq!(
        names(arm.get(&format!("{rg_locks}?{LOCKS}")).expect(200)),
        ["keep"]
    );
    arm.delete(&format!("{rg_lock}?{LOCKS}")).expect(200);
}

// -----------------------------------------------------------------------------------
// Tests.

#[test]
fn ready_line_and_tokens() {
    let arm = Arm::start(&[]);
    for field in [
        "endpoint",
        "authority",
        "ca_file",
        "tenant_id",
        "client_id",
        "client_secret",
        "subscription_id",
        "admin",
        "log",
        "identity_header",
    ] {
        assert!(
            arm.emu.ready[field].is_string(),
            "{field}: {}",
            arm.emu.ready
        );
    }
    let ok = arm.token_request(&[
        ("client_id", arm.emu.field("client_id")),
        ("client_secret", arm.emu.field("client_secret")),
    ]);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert_eq!(ok.body["expires_in"], 3599);
    assert_eq!(ok.body["ext_expires_in"], 3599);

    let bad = arm.token_request(&[
        ("client_id", arm.emu.field("client_id")),
        ("client_secret", "wrong"),
    ]);
    assert_eq!(bad.status, 401, "{bad:?}");
    assert_eq!(bad.body["error"], "invalid_client");
    assert_eq!(bad.body["error_codes"], json!([7000215]));
    assert!(
        bad.body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided")
    );
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(bad.body[field].is_string(), "{field}");
    }

    // A federated assertion must be a token the trusted issuer signed for Entra's audience.
    let assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let forged = arm.token_request(&[
        ("client_id", arm.emu.field("client_id")),
        ("client_assertion_type", assertion_type),
        ("client_assertion", "any.jwt.here"),
    ]);
    assert_eq!(forged.status, 400, "{forged:?}");
    assert_eq!(forged.body["error_codes"], json!([50027]));
    let github = |audience: &str| {
        Answer::from(
            arm.http
                .get(format!(
                    "{}&audience={audience}",
                    arm.emu.field("github_oidc_request_url")
                ))
                .bearer_auth(arm.emu.field("github_oidc_request_token"))
                .send()
                .unwrap(),
        )
        .expect(200)
        .body["value"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let federated = arm.token_request(&[
        ("client_id", arm.emu.field("client_id")),
        ("client_assertion_type", assertion_type),
        ("client_assertion", &github("api://AzureADTokenExchange")),
    ]);
    assert_eq!(federated.status, 200, "{federated:?}");
    let wrong_audience = arm.token_request(&[
        ("client_id", arm.emu.field("client_id")),
        ("client_assertion_type", assertion_type),
        ("client_assertion", &github("https://github.com/amlsecure")),
    ]);
    assert_eq!(wrong_audience.status, 400, "{wrong_audience:?}");
    assert_eq!(wrong_audience.body["error_codes"], json!([700212]));
    assert_eq!(
        arm.http
            .get(arm.emu.field("github_oidc_request_url"))
            .bearer_auth("wrong")
            .send()
            .unwrap()
            .status(),
        401
    );

    // The VM metadata service: `Metadata: true`, system- or user-assigned identities.
    let imds = |client_id: Option<&str>, metadata: bool| {
        let mut url = format!(
            "{}?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F",
            arm.emu.field("msi_endpoint")
        );
        if let Some(id) = client_id {
            url.push_str(&format!("&client_id={id}"));
        }
        let mut request = arm.http.get(url);
        if metadata {
            request = request.header("Metadata", "true");
        }
        Answer::from(request.send().unwrap())
    };
    let system = imds(None, true).expect(200);
    assert!(
        system.body["expires_on"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    imds(Some(arm.emu.field("managed_identity_client_id")), true).expect(200);
    let unknown = imds(Some("00000000-0000-0000-0000-000000000000"), true);
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.body["error_description"], "Identity not found");
    let no_header = imds(None, false);
    assert_eq!(no_header.status, 400);
    assert_eq!(
        no_header.body["error_description"],
        "Required metadata header not specified"
    );

    let metadata = Answer::from(
        arm.http
            .get(format!(
                "{}/{}/v2.0/.well-known/openid-configuration",
                arm.emu.endpoint(),
                arm.emu.field("tenant_id")
            ))
            .send()
            .unwrap(),
    )
    .expect(200);
    assert!(
        metadata.body["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with(arm.emu.endpoint())
    );

    // Managed identity (App Service style).
    let msi = format!(
        "{}?resource=https%3A%2F%2Fmanagement.azure.com%2F&api-version=2019-08-01",
        arm.emu.field("identity_endpoint")
    );
    assert_eq!(arm.http.get(&msi).send().unwrap().status(), 401);
    let mi = Answer::from(
        arm.http
            .get(&msi)
            .header("X-IDENTITY-HEADER", arm.emu.field("identity_header"))
            .send()
            .unwrap(),
    )
    .expect(200);
    assert!(
        mi.body["expires_on"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert_eq!(mi.body["resource"], "https://management.azure.com/");

    // ARM refuses missing, unknown and expired tokens.
    let path = format!("{}?{RG}", arm.rg("rg1"));
    let anonymous = Answer::from(arm.http.get(arm.url(&path)).send().unwrap());
    let anonymous = anonymous.error(401, "InvalidAuthenticationToken");
    assert!(anonymous.headers.contains_key("x-ms-request-id"));
    Answer::from(
        arm.http
            .get(arm.url(&path))
            .bearer_auth("forged")
            .send()
            .unwrap(),
    )
    .error(401, "InvalidAuthenticationToken");
    let mi_token = mi.body["access_token"].as_str().unwrap();
    Answer::from(
        arm.http
            .get(arm.url(&path))
            .bearer_auth(mi_token)
            .send()
            .unwrap(),
    )
    .error(404, "ResourceGroupNotFound");
    arm.admin(reqwest::Method::POST, "/tokens/expire", None)
        .expect(204);
    arm.get(&path).error(401, "ExpiredAuthenticationToken");
}

#[test]
fn api_versions_and_common_headers() {
    let arm = Arm::start(&[]);
    let vnet = arm.id("Microsoft.Network/virtualNetworks/vnet1");
    arm.get(&vnet).error(400, "MissingApiVersionParameter");
    let wrong = arm
        .get(&format!("{vnet}?api-version=2023-09-01"))
        .error(400, "InvalidApiVersionParameter");
    assert!(
        wrong.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2024-01-01")
    );
    arm.get(&format!(
        "{}?api-version=2024-01-01",
        arm.id("Microsoft.MachineLearningServices/workspaces/ws")
    ))
    .error(400, "InvalidApiVersionParameter");

    let correlation = "0f3d1c9e-1111-4222-8333-944455566677";
    let answer = Answer::from(
        arm.http
            .get(arm.url(&format!("{}?{RG}", arm.rg("rg1"))))
            .bearer_auth(&arm.token)
            .header("x-ms-correlation-request-id", correlation)
            .send()
            .unwrap(),
    );
    assert_eq!(answer.header("x-ms-correlation-request-id"), correlation);
    assert!(!answer.header("x-ms-request-id").is_empty());
    assert!(
        answer
            .header("x-ms-ratelimit-remaining-subscription-reads")
            .parse::<u32>()
            .is_ok()
    );
    assert_eq!(
        answer.header("content-type"),
        "application/json; charset=utf-8"
    );
    let write = arm
        .put(
            &format!("{}?{RG}", arm.rg("rg1")),
            json!({"location": "westeurope"}),
        )
        .expect(201);
    assert!(
        write
            .header("x-ms-ratelimit-remaining-subscription-writes")
            .parse::<u32>()
            .is_ok()
    );
}

#[test]
fn network_resources_children_etags_and_lro() {
    let arm = Arm::start(&[]);
    network_scenario(&arm);

    // Service tags need the pinned api-version, as every ARM path does.
    let tags = format!(
        "{}/providers/Microsoft.Network/locations/eastus/serviceTags",
        arm.sub()
    );
    arm.get(&tags).error(400, "MissingApiVersionParameter");
    arm.get(&format!("{tags}?api-version=2023-09-01"))
        .error(400, "InvalidApiVersionParameter");

    // ETags: If-Match with a stale value fails; writes change the ETag.
    let nsg = arm.id("Microsoft.Network/networkSecurityGroups/nsg2");
    let first = arm
        .put_done(&format!("{nsg}?{NET}"), json!({"location": "eastus"}))
        .body["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    let stale = Answer::from(
        arm.http
            .put(arm.url(&format!("{nsg}?{NET}")))
            .bearer_auth(&arm.token)
            .header("If-Match", "W/\"00000000-0000-0000-0000-000000000000\"")
            .json(&json!({"location": "eastus"}))
            .send()
            .unwrap(),
    );
    stale.error(412, "PreconditionFailed");
    let fresh = Answer::from(
        arm.http
            .put(arm.url(&format!("{nsg}?{NET}")))
            .bearer_auth(&arm.token)
            .header("If-Match", &first)
            .json(&json!({"location": "eastus", "tags": {"x": "1"}}))
            .send()
            .unwrap(),
    )
    .expect(200);
    assert_ne!(fresh.body["etag"], first);
}

#[test]
fn workspace_and_aml_compute_lifecycle() {
    let arm = Arm::start(&[]);
    compute_scenario(&arm);
    let compute = arm.id("Microsoft.MachineLearningServices/workspaces/ws1/computes/cpu");
    // Missing underlyingResourceAction is refused even for a missing compute.
    arm.delete(&format!("{compute}?{ML}"))
        .error(400, "MissingRequiredQueryParameter");
}

#[test]
fn private_endpoints_reach_workspaces_and_take_subnet_addresses() {
    let arm = Arm::start(&[]);
    private_endpoint_scenario(&arm);
    // An endpoint to nothing, or without a subnet, is refused.
    let pe = arm.id("Microsoft.Network/privateEndpoints/pe-bad");
    let training = arm.id("Microsoft.Network/virtualNetworks/vnet1/subnets/training");
    arm.put(
        &format!("{pe}?{NET}"),
        json!({"location": "eastus", "properties": {"subnet": {"id": training},
            "privateLinkServiceConnections": [{"name": "x", "properties": {
                "privateLinkServiceId": arm.id("Microsoft.MachineLearningServices/workspaces/none"),
                "groupIds": ["amlworkspace"]}}]}}),
    )
    .error(400, "PrivateLinkServiceNotFound");
    arm.put(
        &format!("{pe}?{NET}"),
        json!({"location": "eastus", "properties": {}}),
    )
    .error(400, "PrivateEndpointSubnetRequired");
}

#[test]
fn aks_computes_created_attached_detached_deleted() {
    let arm = Arm::start(&[]);
    aks_scenario(&arm);
}

#[test]
fn storage_and_key_vault_network_acls() {
    let arm = Arm::start(&[]);
    storage_and_vault_scenario(&arm);
}

#[test]
fn management_locks_at_subscription_and_group_scope() {
    let arm = Arm::start(&[]);
    locks_scenario(&arm);
    // Malformed requests (kept out of the conformance run).
    let rg_lock = format!(
        "{}/providers/Microsoft.Authorization/locks/keep",
        arm.rg("rg1")
    );
    arm.put(&format!("{rg_lock}?{LOCKS}"), json!({"properties": {}}))
        .error(400, "InvalidRequestContent");
    arm.get(&format!("{rg_lock}?api-version=2016-09-01"))
        .error(400, "InvalidApiVersionParameter");
}

#[test]
fn throttling_answers_429_with_retry_after() {
    let arm = Arm::start(&["--reads", "3/0.5"]);
    let path = format!("{}?{RG}", arm.rg("rg1"));
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..4 {
        let answer = arm.get(&path);
        statuses.push(answer.status);
        last = Some(answer);
    }
    assert_eq!(statuses, [404, 404, 404, 429]);
    let throttled = last.unwrap().error(429, "TooManyRequests");
    let retry: u64 = throttled.header("retry-after").parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(
        throttled.header("x-ms-ratelimit-remaining-subscription-reads"),
        "0"
    );
    // Writes have their own bucket; the admin API resizes buckets (and refills them).
    arm.put(&path, json!({"location": "eastus"})).expect(201);
    arm.admin(
        reqwest::Method::PUT,
        "/throttle",
        Some(json!({"reads": {"capacity": 100, "refill_per_sec": 10}})),
    )
    .expect(200);
    arm.get(&path).expect(200);
}

#[test]
fn faults_and_request_counts() {
    let arm = Arm::start(&[]);
    seed_network(&arm);
    let vnet = format!(
        "{}?{NET}",
        arm.id("Microsoft.Network/virtualNetworks/vnet1")
    );
    arm.admin(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"method": "GET", "path_contains": "virtualNetworks/vnet1", "times": 2, "status": 500})),
    )
    .expect(201);
    arm.get(&vnet).error(500, "InternalServerError");
    arm.get(&vnet).error(500, "InternalServerError");
    arm.get(&vnet).expect(200);

    arm.admin(
        reqwest::Method::POST,
        "/faults",
        Some(
            json!({"path_contains": "virtualNetworks/vnet1", "times": 1, "drop_connection": true}),
        ),
    )
    .expect(201);
    let dropped = arm.http.get(arm.url(&vnet)).bearer_auth(&arm.token).send();
    assert!(dropped.is_err(), "{dropped:?}");
    arm.get(&vnet).expect(200);

    arm.admin(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"method": "GET", "path_contains": "vnet1", "delay_ms": 300, "times": 1})),
    )
    .expect(201);
    let started = std::time::Instant::now();
    arm.get(&vnet).expect(200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    // A failing LRO: the status poll ends Failed with an error; the resource is Failed.
    arm.admin(
        reqwest::Method::POST,
        "/faults",
        Some(
            json!({"method": "PUT", "path_contains": "routeTables/broken", "lro_outcome": "Failed",
                    "code": "InternalServerError", "message": "boom", "times": 1}),
        ),
    )
    .expect(201);
    let broken = arm.id("Microsoft.Network/routeTables/broken");
    let put = arm
        .put(&format!("{broken}?{NET}"), json!({"location": "eastus"}))
        .expect(201);
    let status_url = put.header("azure-asyncoperation").to_owned();
    assert_eq!(arm.poll_status(&status_url).last().unwrap(), "Failed");
    let status = arm.get(&status_url).expect(200);
    assert_eq!(status.body["error"]["code"], "InternalServerError");
    assert_eq!(
        arm.get(&format!("{broken}?{NET}")).expect(200).body["properties"]["provisioningState"],
        "Failed"
    );
    arm.admin(reqwest::Method::DELETE, "/faults", None)
        .expect(204);

    // A write that takes effect, then the connection drops: the client sees no answer.
    arm.admin(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"method": "PUT", "path_contains": "routeTables/lost", "drop_after": true, "times": 1})),
    )
    .expect(201);
    let lost = arm.id("Microsoft.Network/routeTables/lost");
    let dropped = arm
        .http
        .put(arm.url(&format!("{lost}?{NET}")))
        .bearer_auth(&arm.token)
        .json(&json!({"location": "eastus"}))
        .send();
    assert!(dropped.is_err(), "{dropped:?}");
    arm.get(&format!("{lost}?{NET}")).expect(200);

    // A 404 armed by a write: reads before the PUT are untouched, the first read after it
    // misses (a replica that has not caught up).
    arm.admin(
        reqwest::Method::POST,
        "/faults",
        Some(
            json!({"method": "GET", "path_contains": "routeTables/late", "status": 404,
            "code": "ResourceNotFound", "after": "PUT", "times": 1}),
        ),
    )
    .expect(201);
    let late = arm.id("Microsoft.Network/routeTables/late");
    arm.get(&format!("{late}?{NET}"))
        .error(404, "ResourceNotFound");
    arm.put_done(&format!("{late}?{NET}"), json!({"location": "eastus"}));
    arm.get(&format!("{late}?{NET}"))
        .error(404, "ResourceNotFound");
    arm.get(&format!("{late}?{NET}")).expect(200);

    // Tokens revoked once a request is answered.
    arm.admin(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"method": "GET", "path_contains": "routeTables/late", "expire_tokens": true, "times": 1})),
    )
    .expect(201);
    arm.get(&format!("{late}?{NET}")).expect(200);
    arm.get(&format!("{late}?{NET}"))
        .error(401, "ExpiredAuthenticationToken");
    let faults = arm.admin(reqwest::Method::GET, "/faults", None).expect(200);
    assert!(
        faults.body["fired"].as_u64().unwrap() >= 8,
        "{:#}",
        faults.body
    );
    arm.admin(reqwest::Method::DELETE, "/faults", None)
        .expect(204);
}

#[test]
fn every_arm_request_takes_the_configured_latency() {
    let arm = Arm::start(&["--latency-ms", "150"]);
    let path = format!("{}?{RG}", arm.rg("rg1"));
    let started = std::time::Instant::now();
    arm.get(&path).error(404, "ResourceGroupNotFound");
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    let latency = arm
        .admin(
            reqwest::Method::PUT,
            "/latency",
            Some(json!({"min_ms": 0, "max_ms": 0})),
        )
        .expect(200);
    assert_eq!(latency.body, json!({"min_ms": 0, "max_ms": 0}));
    arm.admin(
        reqwest::Method::PUT,
        "/latency",
        Some(json!({"min_ms": 10, "max_ms": 5})),
    )
    .error(400, "BadRequest");
}

#[test]
fn operations_finish_in_time_whether_polled_or_not() {
    let arm = Arm::start(&[]);
    arm.admin(
        reqwest::Method::PUT,
        "/lro",
        Some(json!({"polls": 0, "duration_ms": 300})),
    )
    .expect(200);
    arm.put(
        &format!("{}?{RG}", arm.rg("rg1")),
        json!({"location": "eastus"}),
    )
    .expect(201);
    let vnet = format!(
        "{}?{NET}",
        arm.id("Microsoft.Network/virtualNetworks/vnet1")
    );
    let created = arm
        .put(
            &vnet,
            json!({"location": "eastus", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
        )
        .expect(201);
    assert_eq!(created.body["properties"]["provisioningState"], "Updating");
    assert_eq!(
        arm.get(&vnet).expect(200).body["properties"]["provisioningState"],
        "Updating"
    );
    // Nobody polls; the operation still ends on time.
    std::thread::sleep(std::time::Duration::from_millis(350));
    assert_eq!(
        arm.get(&vnet).expect(200).body["properties"]["provisioningState"],
        "Succeeded"
    );
    assert_eq!(
        arm.poll_status(created.header("azure-asyncoperation")),
        ["Succeeded"]
    );

    // A fault can make one operation run longer.
    arm.admin(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"method": "PUT", "path_contains": "routeTables/slow", "lro_duration_ms": 60000, "times": 1})),
    )
    .expect(201);
    let slow = format!("{}?{NET}", arm.id("Microsoft.Network/routeTables/slow"));
    let put = arm.put(&slow, json!({"location": "eastus"})).expect(201);
    std::thread::sleep(std::time::Duration::from_millis(350));
    let status = arm.get(put.header("azure-asyncoperation")).expect(200);
    assert_eq!(status.body["status"], "InProgress");
}

#[test]
fn emulator_counts_are_kept_apart() {
    let arm = Arm::start(&[]);
    seed_network(&arm);
    let vnet = format!(
        "{}?{NET}",
        arm.id("Microsoft.Network/virtualNetworks/vnet1")
    );
    // Counts: per method and per path; reset.
    arm.admin(reqwest::Method::DELETE, "/requests", None)
        .expect(204);
    arm.get(&vnet).expect(200);
    // Another casing of the same path counts as the same object.
    arm.get(&vnet.to_ascii_uppercase()).expect(200);
    let counts = arm.counts();
    assert_eq!(counts["writes"], 0, "{counts:#}");
    assert_eq!(counts["reads"], 2, "{counts:#}");
    let key = format!(
        "GET {}",
        arm.id("Microsoft.Network/virtualNetworks/vnet1")
            .to_ascii_lowercase()
    );
    assert_eq!(counts["by_path"][&key], 2, "{counts:#}");
}

/// The emulator's own traffic, for well-formed requests, must pass the spec check.
#[test]
fn traffic_passes_arm_conformance() {
    let arm = Arm::start(&[]);
    network_scenario(&arm);
    arm.admin(reqwest::Method::POST, "/reset", None).expect(204);
    compute_scenario(&arm);
    arm.admin(reqwest::Method::POST, "/reset", None).expect(204);
    aks_scenario(&arm);
    arm.admin(reqwest::Method::POST, "/reset", None).expect(204);
    storage_and_vault_scenario(&arm);
    arm.admin(reqwest::Method::POST, "/reset", None).expect(204);
    locks_scenario(&arm);
    arm.admin(reqwest::Method::POST, "/reset", None).expect(204);
    private_endpoint_scenario(&arm);

    let output =
        std::process::Command::new(workspace_root().join("scripts/check-arm-conformance.sh"))
            .arg(arm.emu.log_file())
            .output()
            .expect("the conformance script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "conformance failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}\n{stderr}");
}
