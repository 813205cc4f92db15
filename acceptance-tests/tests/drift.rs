//! The drift suite: every change Azure lets someone make outside Terraform, to every resource,
//! through real Terraform against the emulator; and the changes that must not look like drift.
//!
//! For each resource a fresh emulator gets the resource applied, then each change is made as
//! another admin would make it (an ordinary ARM write: a PUT, PATCH or DELETE; the admin API
//! only where ARM cannot, to leave a compute `Failed`). Then:
//!
//! - **detected**: a refresh-only plan shows it (`-detailed-exitcode` 2, naming the attribute);
//! - **restored**: the normal plan proposes the fix (an update in place, a replacement or a
//!   create, as Azure allows; or, for a machine deleted behind an attachment, fails naming the
//!   attribute and the way out, which the suite then takes), apply makes it, and afterwards a
//!   refresh-only plan and a plan are both empty and Azure holds again what it held before.
//!
//! No-false-drift checks run on each resource too: a clean apply, a restarted provider with
//! state rewritten by refresh, ARM answering IDs in another letter case, the configuration
//! writing them in another case (an update in place whose apply writes nothing), and what
//! others add beside the resource (rules, routes, tags, firewall rules). Any plan they make
//! not empty is false drift.
//!
//! Prints one line per change and check, then `changes N, detected N, restored N, false drift
//! N`, and fails unless every change is detected and restored and there is no false drift.
//! `DRIFT=vm_attachment` (or `vm_attachment/ssh_port`) runs part of it; `DRIFT_THREADS` sets
//! how many emulators run at once (default 8; each takes a resource's checks or up to five of
//! its changes, and mostly waits on Terraform and long-running operations).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use amlsecure_acceptance_tests::azure::{Azure, Topology, WorkspaceStores, ubuntu_image};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

/// What the emulator holds for every resource under test.
struct World {
    topology: Topology,
    stores: WorkspaceStores,
    /// A third subnet, where someone may move a cluster.
    other_subnet_id: String,
    nsg_id: String,
    table_id: String,
    vm_id: String,
    spare_vm_id: String,
    hdinsight_id: String,
    spare_hdinsight_id: String,
    cluster_id: String,
    spare_cluster_id: String,
}

impl World {
    fn seed(azure: &Azure) -> World {
        let topology = azure.seed_topology();
        let stores = azure.seed_workspace_stores(&topology);
        let rg = topology.resource_group.clone();
        azure.put(
            &topology.training_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.1.0/24",
                "serviceEndpoints": [{"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}]}}),
        );
        let other_subnet_id = format!("{}/subnets/other", topology.vnet_id);
        azure.put(
            &other_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.2.0/24",
                "serviceEndpoints": [{"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}]}}),
        );
        // Nodes without public addresses need the workspace behind a private endpoint.
        azure.seed(
            &topology.workspace_id,
            json!({"properties": {"privateEndpointConnections": [{
                "id": format!("{}/privateEndpointConnections/pe1", topology.workspace_id),
                "name": "pe1",
                "properties": {"privateEndpoint": {"id": format!("{rg}/providers/Microsoft.Network/privateEndpoints/pe1")},
                    "privateLinkServiceConnectionState": {"status": "Approved"}}}]}}),
        );
        let nsg_id = format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/ml-nsg");
        azure.put(
            &nsg_id,
            json!({"location": "westeurope", "properties": {"securityRules": [{
                "name": "deny-all-in",
                "properties": {"priority": 4000, "direction": "Inbound", "access": "Deny",
                    "protocol": "*", "sourceAddressPrefix": "*", "sourcePortRange": "*",
                    "destinationAddressPrefix": "*", "destinationPortRange": "*"}}]}}),
        );
        let table_id = format!("{rg}/providers/Microsoft.Network/routeTables/to-firewall");
        azure.put(
            &table_id,
            json!({"location": "westeurope", "properties": {"routes": [{"name": "default-to-firewall",
                "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                    "nextHopIpAddress": "10.0.0.4"}}]}}),
        );
        let vm_id = azure.seed_vm(&topology, "dev", ubuntu_image(), None);
        let spare_vm_id = azure.seed_vm(&topology, "dev2", ubuntu_image(), None);
        let hdinsight_id = azure.seed_hdinsight(&topology, "spark");
        let spare_hdinsight_id = azure.seed_hdinsight(&topology, "spark2");
        let cluster = |name: &str| {
            let id = format!("{rg}/providers/Microsoft.ContainerService/managedClusters/{name}");
            azure.put(
                &id,
                json!({"location": "westeurope", "properties": {
                    "dnsPrefix": name,
                    "agentPoolProfiles": [{"name": "system", "count": 3, "vmSize": "Standard_D3_v2",
                        "mode": "System", "vnetSubnetID": topology.aks_subnet_id}],
                    "networkProfile": {"networkPlugin": "azure", "serviceCidr": "10.240.0.0/16",
                        "dnsServiceIP": "10.240.0.10"}}}),
            );
            id
        };
        let cluster_id = cluster("existing-aks");
        let spare_cluster_id = cluster("spare-aks");
        World {
            topology,
            stores,
            other_subnet_id,
            nsg_id,
            table_id,
            vm_id,
            spare_vm_id,
            hdinsight_id,
            spare_hdinsight_id,
            cluster_id,
            spare_cluster_id,
        }
    }

    /// The configuration's variables.
    fn variables(&self) -> BTreeMap<&'static str, String> {
        [
            ("workspace_id", &self.topology.workspace_id),
            ("subnet_id", &self.topology.training_subnet_id),
            ("aks_subnet_id", &self.topology.aks_subnet_id),
            ("nsg_id", &self.nsg_id),
            ("table_id", &self.table_id),
            ("vm_id", &self.vm_id),
            ("hdinsight_id", &self.hdinsight_id),
            ("cluster_id", &self.cluster_id),
        ]
        .into_iter()
        .map(|(name, value)| (name, value.clone()))
        .collect()
    }

    fn compute(&self, name: &str) -> String {
        format!("{}/computes/{name}", self.topology.workspace_id)
    }
}

// -------------------------------------------------------------------------------------------
// Writes another admin makes

/// Overwrites a child resource (a security rule, a route) with its GET, changed by `edit`.
fn overwrite_child(azure: &Azure, id: &str, edit: impl FnOnce(&mut Value)) {
    let current = azure.get(id).expect("the child exists");
    let mut body = json!({"properties": current["properties"]});
    body["properties"]
        .as_object_mut()
        .expect("properties")
        .remove("provisioningState");
    edit(&mut body);
    azure.put(id, body);
    azure.wait_until_settled(id);
}

/// PATCHes a firewall's `networkAcls` as `edit` changes it (storage and key vault alike).
fn patch_acls(azure: &Azure, id: &str, edit: impl FnOnce(&mut Value)) {
    let mut acls = azure.get(id).expect("the store exists")["properties"]["networkAcls"].clone();
    edit(&mut acls);
    azure.patch(id, json!({"properties": {"networkAcls": acls}}));
}

fn tag_with_patch(azure: &Azure, id: &str) {
    azure.patch(id, json!({"tags": {"owner": "platform-team"}}));
}

/// The name of the first of the resource's children in `collection` (`securityRules`,
/// `routes`) whose name starts with `start`.
fn own_child(azure: &Azure, parent: &str, collection: &str, start: &str) -> String {
    let parent_body = azure.get(parent).expect("the parent exists");
    let name = parent_body["properties"][collection]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .find(|n| n.starts_with(start))
        .unwrap_or_else(|| panic!("no {start}* in {collection} of {parent}"))
        .to_owned();
    format!("{parent}/{collection}/{name}")
}

fn upper(id: &str) -> String {
    id.to_ascii_uppercase()
}

fn failed_compute(azure: &Azure, id: &str) {
    azure.seed_provisioning_state(
        id,
        "Failed",
        json!({"properties": {"provisioningErrors": [{"error": {"code": "InternalServerError",
            "message": "The compute could not be provisioned."}}]}}),
    );
}

// -------------------------------------------------------------------------------------------
// What Azure holds, in the terms of what each resource manages

fn lower(value: &Value) -> Value {
    value
        .as_str()
        .map(|s| Value::from(s.to_ascii_lowercase()))
        .unwrap_or(Value::Null)
}

fn exists(azure: &Azure, id: &Value) -> bool {
    id.as_str().is_some_and(|id| azure.get(id).is_some())
}

fn cluster_print(azure: &Azure, world: &World) -> Value {
    let Some(c) = azure.get(&world.compute("cluster1")) else {
        return json!("absent");
    };
    let p = &c["properties"];
    let pp = &p["properties"];
    json!({"state": p["provisioningState"], "description": p["description"],
        "team": c["tags"]["team"], "vmSize": pp["vmSize"], "vmPriority": pp["vmPriority"],
        "scale": pp["scaleSettings"], "subnet": lower(&pp["subnet"]["id"]),
        "ssh": pp["remoteLoginPortPublicAccess"], "publicIp": pp["enableNodePublicIp"]})
}

fn aks_print(azure: &Azure, name: &str, world: &World) -> Value {
    let Some(c) = azure.get(&world.compute(name)) else {
        return json!("absent");
    };
    let p = &c["properties"];
    let pp = &p["properties"];
    json!({"state": p["provisioningState"], "description": p["description"],
        "cluster": exists(azure, &p["resourceId"]), "agentCount": pp["agentCount"],
        "agentVmSize": pp["agentVmSize"], "purpose": pp["clusterPurpose"],
        "loadBalancer": pp["loadBalancerType"], "network": pp["aksNetworkingConfiguration"]["serviceCidr"]})
}

fn ssh_print(azure: &Azure, name: &str, world: &World) -> Value {
    let Some(c) = azure.get(&world.compute(name)) else {
        return json!("absent");
    };
    let p = &c["properties"];
    let pp = &p["properties"];
    json!({"state": p["provisioningState"], "target": lower(&p["resourceId"]),
        "exists": exists(azure, &p["resourceId"]), "address": pp["address"],
        "port": pp["sshPort"], "user": pp["administratorAccount"]["username"]})
}

/// The children of `parent` in `collection` named `amlsecure-*`, each as `fields` show it.
fn owned_children(azure: &Azure, parent: &str, collection: &str, fields: &[&str]) -> Value {
    let body = azure.get(parent).expect("the parent exists");
    let mut children: Vec<Value> = body["properties"][collection]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("amlsecure-"))
        })
        .map(|c| {
            let mut shown = json!({"name": c["name"]});
            for field in fields {
                shown[*field] = c["properties"][*field].clone();
            }
            shown
        })
        .collect();
    children.sort_by_key(|c| c["name"].as_str().unwrap_or_default().to_owned());
    Value::Array(children)
}

fn firewall_print(azure: &Azure, id: &str) -> Value {
    let acls = &azure.get(id).expect("the store exists")["properties"]["networkAcls"];
    let mut subnets: Vec<String> = acls["virtualNetworkRules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_ascii_lowercase))
        .collect();
    subnets.sort();
    let mut ips: Vec<String> = acls["ipRules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            r["value"]
                .as_str()
                .map(|v| v.trim_end_matches("/32").to_owned())
        })
        .collect();
    ips.sort();
    json!({"default": acls["defaultAction"],
        "trusted": acls["bypass"].as_str().is_some_and(|b| b.contains("AzureServices")),
        "subnets": subnets, "ips": ips})
}

// -------------------------------------------------------------------------------------------
// The resources and their changes

/// What the normal plan must do about a change.
#[derive(Clone, Copy)]
enum Fix {
    InPlace,
    Replace,
    Create,
    /// The plan fails at `attribute`, saying to set it to an existing machine; the suite then
    /// points `variable` at `to` and the plan must replace the attachment.
    Retarget {
        attribute: &'static str,
        variable: &'static str,
        to: fn(&World) -> String,
    },
}

struct Change {
    what: &'static str,
    make: fn(&Azure, &World),
    /// What both plans name: the attribute, or `has been deleted`.
    shows: &'static str,
    fix: Fix,
}

/// A change beside the resource that must not look like drift.
struct Beside {
    what: &'static str,
    make: fn(&Azure, &World),
}

struct Subject {
    name: &'static str,
    /// The resource block, `this`, written with the variables of [`World::variables`].
    block: &'static str,
    /// What Azure holds of it, in the terms it manages.
    print: fn(&Azure, &World) -> Value,
    changes: Vec<Change>,
    /// Makes ARM answer the IDs it echoes in another letter case.
    arm_case: fn(&Azure, &World),
    /// Variables the configuration writes in another case.
    config_case: &'static [&'static str],
    beside: Vec<Beside>,
}

const CLUSTER: &str = r#"resource "amlsecure_compute_cluster" "this" {
  name         = "cluster1"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  max_nodes    = 2
  subnet_id    = var.subnet_id
  tags         = { team = "ml" }
}
"#;

const AKS_CREATED: &str = r#"resource "amlsecure_aks_attachment" "this" {
  name           = "aks1"
  workspace_id   = var.workspace_id
  subnet_id      = var.aks_subnet_id
  service_cidr   = "10.240.0.0/16"
  dns_service_ip = "10.240.0.10"
  description    = "inference"
}
"#;

const AKS_ATTACHED: &str = r#"resource "amlsecure_aks_attachment" "this" {
  name                  = "aks2"
  workspace_id          = var.workspace_id
  kubernetes_cluster_id = var.cluster_id
  description           = "attached"
}
"#;

const VM: &str = r#"resource "amlsecure_vm_attachment" "this" {
  name                = "dev-vm"
  workspace_id        = var.workspace_id
  virtual_machine_id  = var.vm_id
  username            = "azureuser"
  password            = "Drift-Passw0rd!"
  credentials_version = 1
}
"#;

const HDINSIGHT: &str = r#"resource "amlsecure_hdinsight_attachment" "this" {
  name                 = "spark"
  workspace_id         = var.workspace_id
  hdinsight_cluster_id = var.hdinsight_id
  username             = "sshuser"
  password             = "Drift-Passw0rd!"
  credentials_version  = 1
}
"#;

const RULE_SET: &str = r#"resource "amlsecure_compute_network_security_rules" "this" {
  network_security_group_id = var.nsg_id
  ssh_source_addresses      = ["203.0.113.0/24"]
  outbound_lockdown         = true
}
"#;

const ROUTES: &str = r#"resource "amlsecure_forced_tunneling_routes" "this" {
  route_table_id = var.table_id
}
"#;

const STORAGE: &str = r#"resource "amlsecure_workspace_storage_network_rules" "this" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.subnet_id]
  ip_rules     = ["198.51.100.7"]
}
"#;

const KEY_VAULT: &str = r#"resource "amlsecure_workspace_key_vault_network_rules" "this" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.subnet_id]
  ip_rules     = ["198.51.100.7"]
}
"#;

fn cluster_id(world: &World) -> String {
    world.compute("cluster1")
}

fn scale(azure: &Azure, world: &World, settings: Value) {
    azure.patch(
        &cluster_id(world),
        json!({"properties": {"properties": {"scaleSettings": settings}}}),
    );
    azure.wait_until_settled(&cluster_id(world));
}

fn cluster_properties(azure: &Azure, world: &World, field: &str, value: Value) {
    azure.overwrite_compute(&cluster_id(world), |body| {
        body["properties"]["properties"][field] = value;
    });
}

fn compute_cluster() -> Subject {
    Subject {
        name: "compute_cluster",
        block: CLUSTER,
        print: cluster_print,
        changes: vec![
            Change {
                what: "max_nodes scaled",
                make: |a, w| scale(a, w, json!({"maxNodeCount": 5, "minNodeCount": 0})),
                shows: "max_nodes",
                fix: Fix::InPlace,
            },
            Change {
                what: "min_nodes scaled",
                make: |a, w| scale(a, w, json!({"maxNodeCount": 2, "minNodeCount": 1})),
                shows: "min_nodes",
                fix: Fix::InPlace,
            },
            Change {
                what: "idle time changed",
                make: |a, w| {
                    scale(
                        a,
                        w,
                        json!({"maxNodeCount": 2, "nodeIdleTimeBeforeScaleDown": "PT600S"}),
                    )
                },
                shows: "idle_seconds_before_scale_down",
                fix: Fix::InPlace,
            },
            Change {
                what: "vm_priority LowPriority (default)",
                make: |a, w| cluster_properties(a, w, "vmPriority", json!("LowPriority")),
                shows: "vm_priority",
                fix: Fix::Replace,
            },
            Change {
                what: "ssh public access enabled (default)",
                make: |a, w| {
                    cluster_properties(a, w, "remoteLoginPortPublicAccess", json!("Enabled"))
                },
                shows: "ssh_public_access_enabled",
                fix: Fix::Replace,
            },
            Change {
                what: "node public IPs off (default)",
                make: |a, w| cluster_properties(a, w, "enableNodePublicIp", json!(false)),
                shows: "node_public_ip_enabled",
                fix: Fix::Replace,
            },
            Change {
                what: "vm_size changed",
                make: |a, w| cluster_properties(a, w, "vmSize", json!("STANDARD_D3_V2")),
                shows: "vm_size",
                fix: Fix::Replace,
            },
            Change {
                what: "moved to another subnet",
                make: |a, w| cluster_properties(a, w, "subnet", json!({"id": w.other_subnet_id})),
                shows: "subnet_id",
                fix: Fix::Replace,
            },
            Change {
                what: "description written",
                make: |a, w| {
                    a.overwrite_compute(&cluster_id(w), |b| {
                        b["properties"]["description"] = json!("edited in the portal");
                    })
                },
                shows: "description",
                fix: Fix::Replace,
            },
            Change {
                what: "managed tag changed",
                make: |a, w| {
                    a.overwrite_compute(&cluster_id(w), |b| b["tags"]["team"] = json!("finance"))
                },
                shows: "tags",
                fix: Fix::Replace,
            },
            Change {
                what: "managed tag removed",
                make: |a, w| a.overwrite_compute(&cluster_id(w), |b| b["tags"] = json!({})),
                shows: "tags",
                fix: Fix::Replace,
            },
            Change {
                what: "provisioning Failed",
                make: |a, w| failed_compute(a, &cluster_id(w)),
                shows: "provisioning_state",
                fix: Fix::Replace,
            },
            Change {
                what: "deleted",
                make: |a, w| a.delete(&cluster_id(w), "&underlyingResourceAction=Delete"),
                shows: "has been deleted",
                fix: Fix::Create,
            },
        ],
        arm_case: |a, w| {
            let id = cluster_id(w);
            a.seed(
                &id,
                json!({"id": upper(&id), "properties": {"properties": {"subnet": {"id": upper(&w.topology.training_subnet_id)}}}}),
            );
        },
        config_case: &["workspace_id", "subnet_id"],
        beside: vec![Beside {
            what: "tag added by Azure Policy",
            make: |a, w| {
                a.overwrite_compute(&cluster_id(w), |b| b["tags"]["costcenter"] = json!("4711"))
            },
        }],
    }
}

fn aks_overwrite(azure: &Azure, world: &World, field: &str, value: Value) {
    azure.overwrite_compute(&world.compute("aks1"), |body| {
        body["properties"]["properties"][field] = value;
    });
}

fn aks_created() -> Subject {
    Subject {
        name: "aks_attachment (created)",
        block: AKS_CREATED,
        print: |a, w| aks_print(a, "aks1", w),
        changes: vec![
            Change {
                what: "agent_count changed (default)",
                make: |a, w| aks_overwrite(a, w, "agentCount", json!(5)),
                shows: "agent_count",
                fix: Fix::Replace,
            },
            Change {
                what: "agent_vm_size changed (default)",
                make: |a, w| aks_overwrite(a, w, "agentVmSize", json!("Standard_D4_v2")),
                shows: "agent_vm_size",
                fix: Fix::Replace,
            },
            Change {
                what: "cluster_purpose changed (default)",
                make: |a, w| aks_overwrite(a, w, "clusterPurpose", json!("DevTest")),
                shows: "cluster_purpose",
                fix: Fix::Replace,
            },
            Change {
                what: "load_balancer_type changed (default)",
                make: |a, w| aks_overwrite(a, w, "loadBalancerType", json!("InternalLoadBalancer")),
                shows: "load_balancer_type",
                fix: Fix::Replace,
            },
            Change {
                what: "description written",
                make: |a, w| {
                    a.overwrite_compute(&w.compute("aks1"), |b| {
                        b["properties"]["description"] = json!("edited");
                    })
                },
                shows: "description",
                fix: Fix::Replace,
            },
            Change {
                what: "provisioning Failed",
                make: |a, w| failed_compute(a, &w.compute("aks1")),
                shows: "provisioning_state",
                fix: Fix::Replace,
            },
            Change {
                what: "its AKS cluster deleted",
                make: |a, w| {
                    let compute = a.get(&w.compute("aks1")).expect("the compute exists");
                    let cluster = compute["properties"]["resourceId"]
                        .as_str()
                        .expect("a cluster");
                    a.delete(cluster, "");
                },
                shows: "aks_cluster_id",
                fix: Fix::Replace,
            },
            Change {
                what: "deleted",
                make: |a, w| a.delete(&w.compute("aks1"), "&underlyingResourceAction=Delete"),
                shows: "has been deleted",
                fix: Fix::Create,
            },
        ],
        arm_case: |a, w| {
            let id = w.compute("aks1");
            let cluster = a.get(&id).expect("the compute exists")["properties"]["resourceId"]
                .as_str()
                .map(upper)
                .expect("a cluster");
            a.seed(
                &id,
                json!({"properties": {"resourceId": cluster, "properties": {"aksNetworkingConfiguration":
                    {"subnetId": upper(&w.topology.aks_subnet_id)}}}}),
            );
        },
        config_case: &["workspace_id", "aks_subnet_id"],
        beside: vec![
            Beside {
                what: "tag added to the compute",
                make: |a, w| {
                    a.overwrite_compute(&w.compute("aks1"), |b| {
                        b["tags"] = json!({"costcenter": "4711"})
                    })
                },
            },
            Beside {
                what: "tag added to its AKS cluster",
                make: |a, w| {
                    let compute = a.get(&w.compute("aks1")).expect("the compute exists");
                    tag_with_patch(
                        a,
                        compute["properties"]["resourceId"]
                            .as_str()
                            .expect("a cluster"),
                    );
                },
            },
        ],
    }
}

fn aks_attached() -> Subject {
    Subject {
        name: "aks_attachment (attached)",
        block: AKS_ATTACHED,
        print: |a, w| aks_print(a, "aks2", w),
        changes: vec![
            Change {
                what: "description written",
                make: |a, w| {
                    a.overwrite_compute(&w.compute("aks2"), |b| {
                        b["properties"]["description"] = json!("edited");
                    })
                },
                shows: "description",
                fix: Fix::Replace,
            },
            Change {
                what: "provisioning Failed",
                make: |a, w| failed_compute(a, &w.compute("aks2")),
                shows: "provisioning_state",
                fix: Fix::Replace,
            },
            Change {
                what: "detached",
                make: |a, w| a.delete(&w.compute("aks2"), "&underlyingResourceAction=Detach"),
                shows: "has been deleted",
                fix: Fix::Create,
            },
            Change {
                what: "the attached cluster deleted",
                make: |a, w| a.delete(&w.cluster_id, ""),
                shows: "kubernetes_cluster_id",
                fix: Fix::Retarget {
                    attribute: "kubernetes_cluster_id",
                    variable: "cluster_id",
                    to: |w| w.spare_cluster_id.clone(),
                },
            },
        ],
        arm_case: |a, w| {
            a.seed(
                &w.compute("aks2"),
                json!({"properties": {"resourceId": upper(&w.cluster_id)}}),
            )
        },
        config_case: &["workspace_id", "cluster_id"],
        beside: vec![Beside {
            what: "tag added to the attached cluster",
            make: |a, w| tag_with_patch(a, &w.cluster_id),
        }],
    }
}

/// An attachment over SSH: a VM or an HDInsight cluster.
trait Machine {
    const NAME: &'static str;
    const BLOCK: &'static str;
    /// The compute's name in the block.
    const COMPUTE: &'static str;
    const ATTRIBUTE: &'static str;
    const VARIABLE: &'static str;
    fn target(world: &World) -> String;
    fn spare(world: &World) -> String;
}

struct VirtualMachine;

impl Machine for VirtualMachine {
    const NAME: &'static str = "vm_attachment";
    const BLOCK: &'static str = VM;
    const COMPUTE: &'static str = "dev-vm";
    const ATTRIBUTE: &'static str = "virtual_machine_id";
    const VARIABLE: &'static str = "vm_id";
    fn target(world: &World) -> String {
        world.vm_id.clone()
    }
    fn spare(world: &World) -> String {
        world.spare_vm_id.clone()
    }
}

struct HdInsight;

impl Machine for HdInsight {
    const NAME: &'static str = "hdinsight_attachment";
    const BLOCK: &'static str = HDINSIGHT;
    const COMPUTE: &'static str = "spark";
    const ATTRIBUTE: &'static str = "hdinsight_cluster_id";
    const VARIABLE: &'static str = "hdinsight_id";
    fn target(world: &World) -> String {
        world.hdinsight_id.clone()
    }
    fn spare(world: &World) -> String {
        world.spare_hdinsight_id.clone()
    }
}

/// Attaches the machine again as another admin would, with `edit` applied to the compute's
/// type-specific properties; that admin types a password, which ARM never shows.
fn attach_again<M: Machine>(azure: &Azure, world: &World, edit: impl FnOnce(&mut Value)) {
    azure.overwrite_compute(&world.compute(M::COMPUTE), |body| {
        let pp = &mut body["properties"]["properties"];
        pp["administratorAccount"]["password"] = json!("Admin-Passw0rd!");
        edit(pp);
    });
}

fn ssh_subject<M: Machine>() -> Subject {
    Subject {
        name: M::NAME,
        block: M::BLOCK,
        print: |a, w| ssh_print(a, M::COMPUTE, w),
        changes: vec![
            Change {
                what: "address changed",
                make: |a, w| attach_again::<M>(a, w, |pp| pp["address"] = json!("10.0.1.200")),
                shows: "address",
                fix: Fix::Replace,
            },
            Change {
                what: "ssh_port changed",
                make: |a, w| attach_again::<M>(a, w, |pp| pp["sshPort"] = json!(2222)),
                shows: "ssh_port",
                fix: Fix::Replace,
            },
            Change {
                what: "username changed",
                make: |a, w| {
                    attach_again::<M>(a, w, |pp| {
                        pp["administratorAccount"]["username"] = json!("intruder");
                    })
                },
                shows: "username",
                fix: Fix::Replace,
            },
            Change {
                what: "provisioning Failed",
                make: |a, w| failed_compute(a, &w.compute(M::COMPUTE)),
                shows: "provisioning_state",
                fix: Fix::Replace,
            },
            Change {
                what: "detached",
                make: |a, w| a.delete(&w.compute(M::COMPUTE), "&underlyingResourceAction=Detach"),
                shows: "has been deleted",
                fix: Fix::Create,
            },
            Change {
                what: "the machine deleted",
                make: |a, w| a.delete(&M::target(w), ""),
                shows: M::ATTRIBUTE,
                fix: Fix::Retarget {
                    attribute: M::ATTRIBUTE,
                    variable: M::VARIABLE,
                    to: M::spare,
                },
            },
        ],
        arm_case: |a, w| {
            a.seed(
                &w.compute(M::COMPUTE),
                json!({"properties": {"resourceId": upper(&M::target(w))}}),
            )
        },
        config_case: &["workspace_id", M::VARIABLE],
        beside: vec![Beside {
            what: "tag added to the machine",
            make: |a, w| tag_with_patch(a, &M::target(w)),
        }],
    }
}

fn rule(azure: &Azure, world: &World, suffix: &str) -> String {
    own_child(
        azure,
        &world.nsg_id,
        "securityRules",
        &format!("amlsecure-{suffix}"),
    )
}

fn rule_set() -> Subject {
    Subject {
        name: "compute_network_security_rules",
        block: RULE_SET,
        print: |a, w| {
            owned_children(
                a,
                &w.nsg_id,
                "securityRules",
                &[
                    "priority",
                    "access",
                    "direction",
                    "protocol",
                    "sourceAddressPrefix",
                    "sourceAddressPrefixes",
                    "destinationAddressPrefix",
                    "destinationPortRange",
                ],
            )
        },
        changes: vec![
            Change {
                what: "Batch rule deleted",
                make: |a, w| a.delete(&rule(a, w, "batch-inbound"), ""),
                shows: "amlsecure-batch-inbound",
                fix: Fix::InPlace,
            },
            Change {
                what: "Batch rule moved to priority 310",
                make: |a, w| {
                    overwrite_child(a, &rule(a, w, "batch-inbound"), |b| {
                        b["properties"]["priority"] = json!(310)
                    })
                },
                shows: "priority",
                fix: Fix::InPlace,
            },
            Change {
                what: "Batch rule ports changed",
                make: |a, w| {
                    overwrite_child(a, &rule(a, w, "batch-inbound"), |b| {
                        b["properties"]["destinationPortRange"] = json!("2222");
                    })
                },
                shows: "2222",
                fix: Fix::InPlace,
            },
            Change {
                what: "Batch rule turned to Deny",
                make: |a, w| {
                    overwrite_child(a, &rule(a, w, "batch-inbound"), |b| {
                        b["properties"]["access"] = json!("Deny")
                    })
                },
                shows: "Deny",
                fix: Fix::InPlace,
            },
            Change {
                what: "SSH rule sources changed",
                make: |a, w| {
                    overwrite_child(a, &rule(a, w, "ssh-inbound"), |b| {
                        b["properties"]["sourceAddressPrefixes"] = json!(null);
                        b["properties"]["sourceAddressPrefix"] = json!("192.0.2.0/24");
                    })
                },
                shows: "192.0.2.0/24",
                fix: Fix::InPlace,
            },
            Change {
                what: "outbound Deny of Internet deleted",
                make: |a, w| a.delete(&rule(a, w, "deny-internet-outbound"), ""),
                shows: "amlsecure-deny-internet-outbound",
                fix: Fix::InPlace,
            },
            Change {
                what: "outbound Deny moved to priority 4000",
                make: |a, w| {
                    overwrite_child(a, &rule(a, w, "deny-internet-outbound"), |b| {
                        b["properties"]["priority"] = json!(4000);
                    })
                },
                shows: "priority",
                fix: Fix::InPlace,
            },
        ],
        arm_case: |a, w| {
            a.seed(
                &w.nsg_id,
                json!({"id": upper(&w.nsg_id), "location": "WestEurope"}),
            );
        },
        config_case: &["nsg_id"],
        beside: vec![
            Beside {
                what: "foreign rule added",
                make: |a, w| {
                    a.put(
                        &format!("{}/securityRules/corp-bastion-in", w.nsg_id),
                        json!({"properties": {"priority": 300, "direction": "Inbound", "access": "Allow",
                            "protocol": "Tcp", "sourceAddressPrefix": "10.0.0.0/24", "sourcePortRange": "*",
                            "destinationAddressPrefix": "*", "destinationPortRange": "22"}}),
                    );
                    a.wait_until_settled(&format!("{}/securityRules/corp-bastion-in", w.nsg_id));
                },
            },
            Beside {
                what: "foreign rule changed",
                make: |a, w| {
                    overwrite_child(a, &format!("{}/securityRules/deny-all-in", w.nsg_id), |b| {
                        b["properties"]["priority"] = json!(4010);
                    })
                },
            },
            Beside {
                what: "tag added to the group",
                make: |a, w| tag_with_patch(a, &w.nsg_id),
            },
        ],
    }
}

fn route(azure: &Azure, world: &World) -> String {
    own_child(azure, &world.table_id, "routes", "amlsecure-")
}

fn tunnelling_routes() -> Subject {
    Subject {
        name: "forced_tunneling_routes",
        block: ROUTES,
        print: |a, w| owned_children(a, &w.table_id, "routes", &["addressPrefix", "nextHopType"]),
        changes: vec![
            Change {
                what: "a route deleted",
                make: |a, w| a.delete(&route(a, w), ""),
                shows: "routes",
                fix: Fix::InPlace,
            },
            Change {
                what: "a route sent to an appliance",
                make: |a, w| {
                    overwrite_child(a, &route(a, w), |b| {
                        b["properties"]["nextHopType"] = json!("VirtualAppliance");
                        b["properties"]["nextHopIpAddress"] = json!("10.0.0.4");
                    })
                },
                shows: "VirtualAppliance",
                fix: Fix::InPlace,
            },
            Change {
                what: "a route's prefix changed",
                make: |a, w| {
                    overwrite_child(a, &route(a, w), |b| {
                        b["properties"]["addressPrefix"] = json!("198.18.0.0/24")
                    })
                },
                shows: "198.18.0.0/24",
                fix: Fix::InPlace,
            },
        ],
        arm_case: |a, w| {
            a.seed(
                &w.table_id,
                json!({"id": upper(&w.table_id), "location": "WestEurope"}),
            )
        },
        config_case: &["table_id"],
        beside: vec![
            Beside {
                what: "foreign route added",
                make: |a, w| {
                    let id = format!("{}/routes/corp-onprem", w.table_id);
                    a.put(
                        &id,
                        json!({"properties": {"addressPrefix": "192.168.0.0/16", "nextHopType": "VirtualNetworkGateway"}}),
                    );
                    a.wait_until_settled(&id);
                },
            },
            Beside {
                what: "tag added to the table",
                make: |a, w| tag_with_patch(a, &w.table_id),
            },
        ],
    }
}

fn firewall_changes() -> Vec<Change> {
    fn store(world: &World, storage: bool) -> &str {
        if storage {
            &world.stores.storage_account_id
        } else {
            &world.stores.key_vault_id
        }
    }
    macro_rules! both {
        ($storage:expr) => {
            vec![
                Change {
                    what: "opened to all networks",
                    make: |a, w| {
                        patch_acls(a, store(w, $storage), |acls| {
                            acls["defaultAction"] = json!("Allow")
                        })
                    },
                    shows: "default_action",
                    fix: Fix::InPlace,
                },
                Change {
                    what: "trusted services shut out",
                    make: |a, w| {
                        patch_acls(a, store(w, $storage), |acls| acls["bypass"] = json!("None"))
                    },
                    shows: "trusted_services_allowed",
                    fix: Fix::InPlace,
                },
                Change {
                    what: "the subnet's rule removed",
                    make: |a, w| {
                        let subnet = w.topology.training_subnet_id.to_ascii_lowercase();
                        patch_acls(a, store(w, $storage), |acls| {
                            if let Some(rules) = acls["virtualNetworkRules"].as_array_mut() {
                                rules.retain(|r| {
                                    r["id"].as_str().map(str::to_ascii_lowercase)
                                        != Some(subnet.clone())
                                });
                            }
                        })
                    },
                    shows: "subnet_ids",
                    fix: Fix::InPlace,
                },
                Change {
                    what: "the IP rule removed",
                    make: |a, w| {
                        patch_acls(a, store(w, $storage), |acls| {
                            if let Some(rules) = acls["ipRules"].as_array_mut() {
                                rules.retain(|r| {
                                    !r["value"]
                                        .as_str()
                                        .is_some_and(|v| v.starts_with("198.51.100.7"))
                                });
                            }
                        })
                    },
                    shows: "ip_rules",
                    fix: Fix::InPlace,
                },
            ]
        };
    }
    let mut changes = both!(true);
    changes.extend(both!(false));
    changes
}

fn foreign_firewall_rules(azure: &Azure, id: &str, world: &World) {
    let other = world.other_subnet_id.clone();
    patch_acls(azure, id, |acls| {
        acls["virtualNetworkRules"]
            .as_array_mut()
            .expect("rules")
            .push(json!({"id": other, "action": "Allow"}));
        acls["ipRules"]
            .as_array_mut()
            .expect("rules")
            .push(json!({"value": "203.0.113.50", "action": "Allow"}));
    });
}

fn upper_subnet_rules(azure: &Azure, id: &str) {
    let mut acls = azure.get(id).expect("the store exists")["properties"]["networkAcls"].clone();
    for rule in acls["virtualNetworkRules"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        rule["id"] = json!(upper(rule["id"].as_str().unwrap_or_default()));
    }
    azure.seed(id, json!({"properties": {"networkAcls": acls}}));
}

fn firewalls() -> [Subject; 2] {
    let mut changes = firewall_changes();
    let key_vault = changes.split_off(4);
    [
        Subject {
            name: "workspace_storage_network_rules",
            block: STORAGE,
            print: |a, w| firewall_print(a, &w.stores.storage_account_id),
            changes,
            arm_case: |a, w| upper_subnet_rules(a, &w.stores.storage_account_id),
            config_case: &["workspace_id", "subnet_id"],
            beside: vec![Beside {
                what: "foreign subnet and IP rules added",
                make: |a, w| foreign_firewall_rules(a, &w.stores.storage_account_id, w),
            }],
        },
        Subject {
            name: "workspace_key_vault_network_rules",
            block: KEY_VAULT,
            print: |a, w| firewall_print(a, &w.stores.key_vault_id),
            changes: key_vault,
            arm_case: |a, w| upper_subnet_rules(a, &w.stores.key_vault_id),
            config_case: &["workspace_id", "subnet_id"],
            beside: vec![Beside {
                what: "foreign subnet and IP rules added",
                make: |a, w| foreign_firewall_rules(a, &w.stores.key_vault_id, w),
            }],
        },
    ]
}

fn subjects() -> Vec<Subject> {
    let [storage, key_vault] = firewalls();
    vec![
        compute_cluster(),
        aks_created(),
        aks_attached(),
        ssh_subject::<VirtualMachine>(),
        ssh_subject::<HdInsight>(),
        rule_set(),
        tunnelling_routes(),
        storage,
        key_vault,
    ]
}

// -------------------------------------------------------------------------------------------
// Running

fn configuration(subject: &Subject, world: &World) -> String {
    let mut text = String::from(
        "terraform {\n  required_providers {\n    amlsecure = {\n      source = \"amlsecure/amlsecure\"\n    }\n  }\n}\n\nprovider \"amlsecure\" {}\n\n",
    );
    for name in world.variables().keys() {
        let _ = writeln!(text, "variable \"{name}\" {{\n  type = string\n}}\n");
    }
    text.push_str(subject.block);
    text
}

/// One subject's Terraform working directory and emulator.
struct Bench<'a> {
    azure: &'a Azure,
    dir: TestDir,
    variables: BTreeMap<&'static str, String>,
}

impl Bench<'_> {
    fn terraform(&self, args: &[&str]) -> Run {
        let mut env: Vec<(String, String)> = self
            .azure
            .env()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        env.extend(
            self.variables
                .iter()
                .map(|(name, value)| (format!("TF_VAR_{name}"), value.clone())),
        );
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.dir.run_with_env(args, &env)
    }

    fn refresh_only(&self) -> Run {
        self.terraform(&[
            "plan",
            "-refresh-only",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
        ])
    }

    fn plan(&self) -> Run {
        self.terraform(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
    }

    fn apply(&self) -> Run {
        self.terraform(&["apply", "-input=false", "-auto-approve", "-no-color"])
    }

    /// Both plans empty; otherwise what the first non-empty one said.
    fn quiet(&self) -> Result<(), String> {
        for (run, what) in [
            (self.refresh_only(), "refresh-only plan"),
            (self.plan(), "plan"),
        ] {
            if run.code != 0 {
                return Err(format!(
                    "the {what} is not empty (exit {}):\n{}",
                    run.code,
                    run.all_output()
                ));
            }
        }
        Ok(())
    }
}

/// What became of one change.
#[derive(Debug, Default)]
struct Verdict {
    detected: bool,
    restored: bool,
    failure: Option<String>,
}

fn expected_action(fix: Fix) -> &'static str {
    match fix {
        Fix::InPlace => "will be updated in-place",
        Fix::Replace | Fix::Retarget { .. } => "must be replaced",
        Fix::Create => "will be created",
    }
}

fn run_change(bench: &mut Bench, world: &World, subject: &Subject, change: &Change) -> Verdict {
    let mut verdict = Verdict::default();
    let before = (subject.print)(bench.azure, world);
    (change.make)(bench.azure, world);
    let refresh = bench.refresh_only();
    if refresh.code != 2 || !refresh.stdout.contains(change.shows) {
        verdict.failure = Some(format!(
            "the refresh-only plan does not show {:?} (exit {}):\n{}",
            change.shows,
            refresh.code,
            refresh.all_output()
        ));
        return verdict;
    }
    verdict.detected = true;
    let plan = bench.plan();
    if let Fix::Retarget {
        attribute,
        variable,
        to,
    } = change.fix
    {
        let asked = format!("Set {attribute} to an existing");
        if plan.code != 1 || !plan.all_output().contains(&asked) {
            verdict.failure = Some(format!(
                "the plan does not fail asking to {asked:?} (exit {}):\n{}",
                plan.code,
                plan.all_output()
            ));
            return verdict;
        }
        bench.variables.insert(variable, to(world));
    }
    let plan = if matches!(change.fix, Fix::Retarget { .. }) {
        bench.plan()
    } else {
        plan
    };
    let action = expected_action(change.fix);
    let shows = if matches!(change.fix, Fix::Create) {
        action
    } else {
        change.shows
    };
    if plan.code != 2 || !plan.stdout.contains(action) || !plan.stdout.contains(shows) {
        verdict.failure = Some(format!(
            "the plan does not propose the fix ({action}, naming {shows:?}; exit {}):\n{}",
            plan.code,
            plan.all_output()
        ));
        return verdict;
    }
    let apply = bench.apply();
    if apply.code != 0 {
        verdict.failure = Some(format!("apply failed:\n{}", apply.all_output()));
        return verdict;
    }
    if let Err(why) = bench.quiet() {
        verdict.failure = Some(format!("after apply, {why}"));
        return verdict;
    }
    let after = (subject.print)(bench.azure, world);
    // After a retarget the attachment points at another machine, at its address; the rest
    // must be back.
    let comparable = |print: &Value| {
        let mut print = print.clone();
        if matches!(change.fix, Fix::Retarget { .. })
            && let Some(fields) = print.as_object_mut()
        {
            fields.remove("target");
            fields.remove("address");
        }
        print
    };
    if comparable(&before) != comparable(&after) {
        verdict.failure = Some(format!(
            "Azure holds {after} after apply, not {before} as before the change"
        ));
        return verdict;
    }
    verdict.restored = true;
    verdict
}

/// A check that must find nothing to change; `Err` is false drift.
fn no_drift_checks(
    bench: &mut Bench,
    world: &World,
    subject: &Subject,
) -> Vec<(String, Result<(), String>, Duration)> {
    let mut results = Vec::new();
    let mut check = |what: &str, run: &mut dyn FnMut() -> Result<(), String>| {
        let begun = Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
            .unwrap_or_else(|panic| Err(format!("the check panicked: {}", panic_text(&*panic))));
        results.push((what.to_owned(), result, begun.elapsed()));
    };
    check("clean apply", &mut || bench.quiet());
    check("restart, state rewritten by refresh", &mut || {
        let refresh = bench.terraform(&["apply", "-refresh-only", "-input=false", "-auto-approve"]);
        if refresh.code != 0 {
            return Err(format!("refresh failed:\n{}", refresh.all_output()));
        }
        bench.quiet()
    });
    check("ARM answers IDs in another case", &mut || {
        (subject.arm_case)(bench.azure, world);
        bench.quiet()
    });
    check("configuration in another case", &mut || {
        config_case(bench, subject)
    });
    for beside in &subject.beside {
        check(beside.what, &mut || {
            (beside.make)(bench.azure, world);
            bench.quiet()
        });
    }
    results
}

/// Writes the IDs of the configuration in upper case, then back: each an update in place
/// whose apply (of the saved plan, so without a refresh) writes nothing to Azure (Terraform
/// plans each change again at apply, and plans read what they check), and then nothing to
/// change.
fn config_case(bench: &mut Bench, subject: &Subject) -> Result<(), String> {
    let written: BTreeMap<&'static str, String> = bench.variables.clone();
    for step in ["upper case", "as first written"] {
        for name in subject.config_case {
            let value = if step == "upper case" {
                upper(&written[name])
            } else {
                written[name].clone()
            };
            bench.variables.insert(name, value);
        }
        let plan = bench.terraform(&[
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
            "-out=case.tfplan",
        ]);
        if plan.code != 2
            || !plan.stdout.contains("will be updated in-place")
            || plan.stdout.contains("must be replaced")
            || plan.stdout.contains("will be destroyed")
        {
            return Err(format!(
                "IDs in {step}: the plan is not an update in place (exit {}):\n{}",
                plan.code,
                plan.all_output()
            ));
        }
        bench.azure.reset_requests();
        let apply = bench.terraform(&["apply", "-input=false", "-no-color", "case.tfplan"]);
        if apply.code != 0 {
            return Err(format!(
                "IDs in {step}: apply failed:\n{}",
                apply.all_output()
            ));
        }
        let requests = bench.azure.requests();
        if requests["writes"] != 0 {
            return Err(format!(
                "IDs in {step}: apply wrote to Azure: {:#}",
                requests["by_path"]
            ));
        }
        bench
            .quiet()
            .map_err(|why| format!("IDs in {step}: {why}"))?;
    }
    Ok(())
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// One line of the report.
struct Line {
    subject: &'static str,
    /// Where the line goes in the report: the subject's place, then the checks', then the
    /// changes' in the order they are declared.
    order: (usize, usize),
    what: String,
    outcome: Outcome,
    took: Duration,
}

enum Outcome {
    Change(Verdict),
    Check(Result<(), String>),
}

/// How many changes one emulator takes in turn: a resource with more gets more emulators,
/// so the suite takes about as long as its longest share, not its longest resource.
const LANE: usize = 5;

/// One emulator's share of a resource: its no-drift checks, or some of its changes.
struct Lane<'a> {
    subject: &'a Subject,
    place: usize,
    checks: bool,
    /// The index of the first change, and the changes.
    changes: (usize, &'a [Change]),
}

fn lanes(subjects: &[Subject]) -> Vec<Lane<'_>> {
    let mut lanes = Vec::new();
    for (place, subject) in subjects.iter().enumerate() {
        lanes.push(Lane {
            subject,
            place,
            checks: true,
            changes: (0, &[]),
        });
        for (chunk, changes) in subject.changes.chunks(LANE).enumerate() {
            lanes.push(Lane {
                subject,
                place,
                checks: false,
                changes: (chunk * LANE, changes),
            });
        }
    }
    // The longest shares first, so that none is left to run alone at the end.
    lanes.sort_by_key(|lane| std::cmp::Reverse(lane.changes.1.len()));
    lanes
}

fn run_lane(lane: &Lane, only: Option<&str>, report: &Mutex<Vec<Line>>) {
    let subject = lane.subject;
    let record = |position: usize, what: String, outcome: Outcome, took: Duration| {
        let line = Line {
            subject: subject.name,
            order: (lane.place, position),
            what,
            outcome,
            took,
        };
        eprintln!("{}", line.render());
        report.lock().unwrap().push(line);
    };
    let (first, changes) = lane.changes;
    let selected: Vec<(usize, &Change)> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (first + i, c))
        .filter(|(_, c)| only.is_none_or(|o| c.what.starts_with(o)))
        .collect();
    if (lane.checks && only.is_some()) || (!lane.checks && selected.is_empty()) {
        return;
    }
    let azure = Azure::start();
    let world = World::seed(&azure);
    let dir = TestDir::new();
    dir.write("main.tf", &configuration(subject, &world));
    let mut bench = Bench {
        azure: &azure,
        dir,
        variables: world.variables(),
    };
    let started = Instant::now();
    let setup = bench.apply();
    if setup.code != 0 {
        let why = format!("the first apply failed:\n{}", setup.all_output());
        record(
            0,
            "setup".into(),
            Outcome::Check(Err(why)),
            started.elapsed(),
        );
        return;
    }
    if lane.checks {
        for (position, (what, result, took)) in no_drift_checks(&mut bench, &world, subject)
            .into_iter()
            .enumerate()
        {
            record(position, what, Outcome::Check(result), took);
        }
    }
    for (index, change) in selected {
        let begun = Instant::now();
        let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_change(&mut bench, &world, subject, change)
        }))
        .unwrap_or_else(|panic| Verdict {
            failure: Some(format!("the change panicked: {}", panic_text(&*panic))),
            ..Verdict::default()
        });
        record(
            1000 + index,
            change.what.to_owned(),
            Outcome::Change(verdict),
            begun.elapsed(),
        );
    }
}

impl Line {
    fn render(&self) -> String {
        let word = match &self.outcome {
            Outcome::Change(v) if v.restored => "detected, restored",
            Outcome::Change(v) if v.detected => "detected, NOT RESTORED",
            Outcome::Change(_) => "NOT DETECTED",
            Outcome::Check(Ok(())) => "no drift",
            Outcome::Check(Err(_)) => "FALSE DRIFT",
        };
        format!(
            "{:<34} {:<40} → {word} ({:.1} s)",
            self.subject,
            self.what,
            self.took.as_secs_f64()
        )
    }

    fn failure(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Change(v) => v.failure.as_deref(),
            Outcome::Check(r) => r.as_ref().err().map(String::as_str),
        }
    }
}

/// `DRIFT` as `resource[/change]`: the resource's name starts with the first part, the
/// change's with the second.
fn selection() -> Option<(String, Option<String>)> {
    let filter = std::env::var("DRIFT").ok()?;
    let (subject, change) = match filter.split_once('/') {
        Some((s, c)) => (s.to_owned(), Some(c.to_owned())),
        None => (filter, None),
    };
    Some((subject, change))
}

#[test]
fn every_change_outside_terraform_is_detected_and_restored_and_nothing_else_is_drift() {
    let selection = selection();
    let subjects: Vec<Subject> = subjects()
        .into_iter()
        .filter(|s| {
            selection
                .as_ref()
                .is_none_or(|(name, _)| s.name.starts_with(name.as_str()))
        })
        .collect();
    assert!(!subjects.is_empty(), "DRIFT selects no resource");
    let only = selection.as_ref().and_then(|(_, change)| change.clone());
    let threads: usize = std::env::var("DRIFT_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(8);
    let started = Instant::now();
    let lanes = lanes(&subjects);
    let next = Mutex::new(0usize);
    let report: Mutex<Vec<Line>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = {
                        let mut next = next.lock().unwrap();
                        *next += 1;
                        *next - 1
                    };
                    let Some(lane) = lanes.get(index) else {
                        return;
                    };
                    run_lane(lane, only.as_deref(), &report);
                }
            });
        }
    });
    let mut lines = report.into_inner().unwrap();
    lines.sort_by_key(|line| line.order);
    let (mut changes, mut detected, mut restored, mut checks, mut false_drift) = (0, 0, 0, 0, 0);
    let mut table = String::from("\nresource × change → outcome\n");
    let mut failures = String::new();
    for line in &lines {
        match &line.outcome {
            Outcome::Change(v) => {
                changes += 1;
                detected += usize::from(v.detected);
                restored += usize::from(v.restored);
            }
            Outcome::Check(r) => {
                checks += 1;
                false_drift += usize::from(r.is_err());
            }
        }
        let _ = writeln!(table, "{}", line.render());
        if let Some(why) = line.failure() {
            let _ = writeln!(failures, "\n--- {} / {}: {why}", line.subject, line.what);
        }
    }
    let _ = writeln!(
        table,
        "\nchanges {changes}, detected {detected}, restored {restored}, false drift {false_drift} ({checks} no-drift checks) in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    println!("{table}");
    assert!(
        changes > 0 && detected == changes && restored == changes && false_drift == 0,
        "{table}{failures}"
    );
}
