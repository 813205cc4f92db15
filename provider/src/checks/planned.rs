//! What the resources of this provider process have planned so far, for checks whose answer
//! depends on another resource of the same configuration. Terraform plans (and, at apply,
//! re-plans) every resource of a provider configuration in one process, so a resource planned
//! later sees what an earlier one will write, before any of it exists in Azure:
//!
//! - AMLS403: a configuration that both attaches AKS inference compute to a workspace and
//!   locks the workspace's storage down fails, whichever is planned second;
//! - the security rules `amlsecure_compute_network_security_rules` will write onto a network
//!   security group count for the NSG rules of a compute cluster or AKS cluster planned after
//!   it (the cluster `depends_on` the rule set so Terraform plans it second);
//! - likewise, the routes `amlsecure_forced_tunneling_routes` will write onto a route table
//!   count for the forced-tunnelling check (AMLS121) of a compute cluster planned after it;
//! - and the subnets `amlsecure_workspace_storage_network_rules` and
//!   `amlsecure_workspace_key_vault_network_rules` will let through count for the firewall
//!   checks (AMLS404, AMLS413) of compute planned after them.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::arm::resource_id::normalize;
use crate::checks::facts::SubnetNetwork;
use crate::checks::stores::WorkspaceStores;
use crate::rules::firewall::{self, PlannedFirewall, StoreUse};
use crate::rules::nsg::{NetworkSecurityGroup, SecurityRule};
use crate::rules::routes::{Route, RouteTable};

/// One provider session's registry of planned changes.
#[derive(Debug, Default)]
pub struct PlannedChanges(Mutex<Registry>);

#[derive(Debug, Default)]
struct Registry {
    /// Normalised workspace ID → storage account (for messages).
    restricted_storage: BTreeMap<String, String>,
    /// Normalised workspace ID → names of planned AKS computes.
    inference: BTreeMap<String, Vec<String>>,
    /// Normalised NSG ID → rule set (its resource ID) → what it plans there.
    nsg_rules: BTreeMap<String, BTreeMap<String, PlannedRules>>,
    /// Normalised route table ID → route set (its resource ID) → what it plans there.
    routes: BTreeMap<String, BTreeMap<String, PlannedRoutes>>,
    /// Normalised workspace ID and which firewall → what its firewall resource plans.
    firewalls: BTreeMap<(String, firewall::Service), PlannedFirewall>,
}

/// The rules one rule set plans for an NSG.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlannedRules {
    /// Rules it writes (new or changed).
    pub written: Vec<SecurityRule>,
    /// Names of rules it owns today and removes.
    pub removed: Vec<String>,
}

/// The routes one route set plans for a route table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlannedRoutes {
    /// Routes it writes (new or changed).
    pub written: Vec<Route>,
    /// Names of routes it owns today and removes.
    pub removed: Vec<String>,
}

impl PlannedChanges {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.0.lock().expect("planned changes lock poisoned")
    }

    /// Records that this plan locks the workspace's storage down; returns the inference
    /// computes planned for the same workspace.
    pub fn note_restricted_storage(&self, workspace_id: &str, storage: &str) -> Vec<String> {
        let mut registry = self.registry();
        let key = normalize(workspace_id);
        registry
            .restricted_storage
            .insert(key.clone(), storage.to_owned());
        registry.inference.get(&key).cloned().unwrap_or_default()
    }

    /// Records that this plan creates an inference compute; returns the storage account the
    /// same plan locks down, if any.
    pub fn note_inference(&self, workspace_id: &str, compute: &str) -> Option<String> {
        let mut registry = self.registry();
        let key = normalize(workspace_id);
        let computes = registry.inference.entry(key.clone()).or_default();
        if !computes.iter().any(|c| c.eq_ignore_ascii_case(compute)) {
            computes.push(compute.to_owned());
        }
        registry.restricted_storage.get(&key).cloned()
    }

    /// Records what rule set `rule_set_id` plans for NSG `nsg_id`, replacing what it planned
    /// before.
    pub fn note_nsg_rules(&self, nsg_id: &str, rule_set_id: &str, planned: PlannedRules) {
        self.registry()
            .nsg_rules
            .entry(normalize(nsg_id))
            .or_default()
            .insert(rule_set_id.to_ascii_lowercase(), planned);
    }

    /// The subnet's NSG as it will be once the rule sets planned for it have written their
    /// rules.
    pub fn overlay_nsg_rules(&self, network: &mut SubnetNetwork) {
        let (Some(nsg_id), Some(group)) = (&network.nsg_id, &mut network.nsg) else {
            return;
        };
        if let Some(rule_sets) = self.registry().nsg_rules.get(&normalize(nsg_id)) {
            for planned in rule_sets.values() {
                overlay(group, planned);
            }
        }
    }

    /// Records what route set `route_set_id` plans for route table `table_id`, replacing what
    /// it planned before.
    pub fn note_routes(&self, table_id: &str, route_set_id: &str, planned: PlannedRoutes) {
        self.registry()
            .routes
            .entry(normalize(table_id))
            .or_default()
            .insert(route_set_id.to_ascii_lowercase(), planned);
    }

    /// The subnet's route table as it will be once the route sets planned for it have written
    /// their routes.
    pub fn overlay_routes(&self, network: &mut SubnetNetwork) {
        let (Some(table_id), Some(table)) = (&network.route_table_id, &mut network.route_table)
        else {
            return;
        };
        if let Some(route_sets) = self.registry().routes.get(&normalize(table_id)) {
            for planned in route_sets.values() {
                overlay_route_table(table, planned);
            }
        }
    }
}

impl PlannedChanges {
    /// Records what the workspace's storage or key vault firewall resource plans, replacing
    /// what it planned before.
    pub fn note_firewall(
        &self,
        workspace_id: &str,
        service: firewall::Service,
        planned: PlannedFirewall,
    ) {
        self.registry()
            .firewalls
            .insert((normalize(workspace_id), service), planned);
    }

    /// The workspace's storage account and key vault with the firewalls planned for them.
    pub fn overlay_firewalls(&self, workspace_id: &str, stores: &mut WorkspaceStores) {
        let registry = self.registry();
        for store in &mut stores.stores {
            if store.usage == StoreUse::Workspace {
                let key = (normalize(workspace_id), store.service);
                store.planned = registry.firewalls.get(&key).cloned();
            }
        }
    }
}

/// `group` with `planned` applied: rules of the same name (compared as Azure does, without
/// regard to case) replaced, removed ones gone.
pub fn overlay(group: &mut NetworkSecurityGroup, planned: &PlannedRules) {
    replace_by_name(
        &mut group.security_rules,
        &planned.written,
        &planned.removed,
        |r| &r.name,
    );
}

/// `table` with `planned` applied: routes of the same name (compared as Azure does, without
/// regard to case) replaced, removed ones gone.
pub fn overlay_route_table(table: &mut RouteTable, planned: &PlannedRoutes) {
    replace_by_name(&mut table.routes, &planned.written, &planned.removed, |r| {
        &r.name
    });
}

fn replace_by_name<T: Clone>(
    items: &mut Vec<T>,
    written: &[T],
    removed: &[String],
    name: impl Fn(&T) -> &str,
) {
    let replaced = |candidate: &str| {
        (written.iter().map(&name))
            .chain(removed.iter().map(String::as_str))
            .any(|n| n.eq_ignore_ascii_case(candidate))
    };
    items.retain(|item| !replaced(name(item)));
    items.extend(written.iter().cloned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::addresses::Ipv4Net;
    use crate::rules::nsg::{Access, Direction, Protocol};
    use crate::rules::routes::{NextHop, check_batch_routes};

    fn rule(name: &str, priority: u32, access: Access) -> SecurityRule {
        SecurityRule {
            name: name.to_owned(),
            priority,
            direction: Direction::Inbound,
            access,
            protocol: Protocol::Tcp,
            source_prefixes: vec!["BatchNodeManagement".into()],
            source_ports: vec!["*".into()],
            destination_prefixes: vec!["*".into()],
            destination_ports: vec!["29876-29877".into()],
        }
    }

    fn names(group: &NetworkSecurityGroup) -> Vec<(&str, u32)> {
        (group.security_rules.iter())
            .map(|r| (r.name.as_str(), r.priority))
            .collect()
    }

    #[test]
    fn overlay_adds_replaces_and_removes_by_name() {
        let mut group = NetworkSecurityGroup {
            name: "nsg".into(),
            security_rules: vec![
                rule("deny-all-in", 200, Access::Deny),
                rule("amlsecure-batch-inbound", 150, Access::Allow),
                rule("amlsecure-ssh-inbound", 160, Access::Allow),
            ],
        };
        overlay(
            &mut group,
            &PlannedRules {
                written: vec![
                    rule("AMLSECURE-batch-inbound", 100, Access::Allow),
                    rule("amlsecure-azureml-inbound", 110, Access::Allow),
                ],
                removed: vec!["amlsecure-SSH-inbound".into()],
            },
        );
        assert_eq!(
            names(&group),
            [
                ("deny-all-in", 200),
                ("AMLSECURE-batch-inbound", 100),
                ("amlsecure-azureml-inbound", 110)
            ]
        );
    }

    #[test]
    fn firewall_plans_reach_the_stores_of_their_workspace_only() {
        use crate::rules::firewall::{Service, Store, StoreAccess};
        let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
        let store = |service, usage| Store {
            service,
            name: "store".into(),
            usage,
            access: StoreAccess::Open,
            private_endpoints: Vec::new(),
            workspace_instance_rule: false,
            trusted_services: true,
            planned: None,
        };
        let stores = || WorkspaceStores {
            stores: vec![
                store(Service::Storage, StoreUse::Workspace),
                store(Service::KeyVault, StoreUse::Workspace),
                store(Service::Storage, StoreUse::Datastores(vec!["sales".into()])),
            ],
            datastores_unreadable: None,
        };
        let plan = |subnet: &str| PlannedFirewall {
            subnets: vec![subnet.to_owned()],
            released: Vec::new(),
        };
        let planned = PlannedChanges::default();
        planned.note_firewall(&ws.to_uppercase(), Service::Storage, plan("a"));
        planned.note_firewall(ws, Service::Storage, plan("b"));
        let mut overlaid = stores();
        planned.overlay_firewalls(ws, &mut overlaid);
        let plans: Vec<Option<PlannedFirewall>> =
            overlaid.stores.into_iter().map(|s| s.planned).collect();
        assert_eq!(plans, [Some(plan("b")), None, None]);
        let mut elsewhere = stores();
        planned.overlay_firewalls(&ws.replace("/ws", "/other"), &mut elsewhere);
        assert_eq!(elsewhere, stores());
    }

    #[test]
    fn inference_and_restricted_storage_meet_whichever_comes_second() {
        let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
        let other = ws.replace("/ws", "/other");
        let planned = PlannedChanges::default();
        assert!(planned.note_restricted_storage(ws, "store").is_empty());
        assert_eq!(
            planned.note_inference(&ws.to_uppercase(), "aks").as_deref(),
            Some("store")
        );
        assert_eq!(planned.note_inference(&other, "aks"), None);
        assert_eq!(
            planned.note_restricted_storage(&other, "store"),
            vec!["aks".to_owned()]
        );
    }

    /// The training subnet of a VNet in westeurope, with `nsg` and `table` under the IDs the
    /// subnet names them by.
    fn network(
        nsg: Option<(&str, NetworkSecurityGroup)>,
        table: Option<(&str, RouteTable)>,
    ) -> SubnetNetwork {
        let vnet =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";
        let (nsg_id, nsg) = nsg.map(|(id, g)| (id.to_owned(), g)).unzip();
        let (route_table_id, route_table) = table.map(|(id, t)| (id.to_owned(), t)).unzip();
        SubnetNetwork {
            vnet_id: crate::arm::ResourceId::parse(vnet).unwrap(),
            vnet: crate::rules::compute::VnetFacts {
                name: "v".into(),
                subscription: "s".into(),
                location: "westeurope".into(),
                address_space: Vec::new(),
                subnets: Vec::new(),
            },
            subnet_name: "training".into(),
            subnet_prefixes: Vec::new(),
            ip_configurations_in_use: 0,
            peering_prefixes: Vec::new(),
            peered_networks: Vec::new(),
            private_endpoints: Vec::new(),
            nsg_id,
            nsg,
            route_table,
            route_table_id,
        }
    }

    #[test]
    fn each_rule_set_keeps_its_latest_plan() {
        let nsg = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg";
        let planned = PlannedChanges::default();
        let group = NetworkSecurityGroup {
            name: "nsg".into(),
            security_rules: vec![rule("deny-all-in", 200, Access::Deny)],
        };
        let mut network = network(Some((&nsg.to_uppercase(), group)), None);
        let set = |name: &str, priority| PlannedRules {
            written: vec![rule(name, priority, Access::Allow)],
            removed: Vec::new(),
        };
        planned.note_nsg_rules(nsg, &format!("{nsg}|a"), set("a-batch", 100));
        planned.note_nsg_rules(nsg, &format!("{nsg}|a"), set("a-batch", 120));
        planned.note_nsg_rules(nsg, &format!("{nsg}|b"), set("b-batch", 130));
        planned.overlay_nsg_rules(&mut network);
        assert_eq!(
            names(network.nsg.as_ref().unwrap()),
            [("deny-all-in", 200), ("a-batch", 120), ("b-batch", 130)]
        );
    }

    const TABLE: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/routeTables/to-firewall";

    fn route(name: &str, prefix: &str, next_hop: NextHop) -> Route {
        Route {
            name: name.to_owned(),
            address_prefix: prefix.to_owned(),
            next_hop,
            next_hop_ip: (next_hop == NextHop::VirtualAppliance).then(|| "10.0.0.4".into()),
        }
    }

    fn tunnelling_table() -> RouteTable {
        RouteTable {
            name: "to-firewall".into(),
            routes: vec![
                route(
                    "default-to-firewall",
                    "0.0.0.0/0",
                    NextHop::VirtualAppliance,
                ),
                route(
                    "amlsecure-198-18-0-0-24",
                    "198.18.0.0/24",
                    NextHop::Internet,
                ),
                route(
                    "amlsecure-198-18-1-0-24",
                    "198.18.1.0/24",
                    NextHop::Internet,
                ),
            ],
        }
    }

    fn route_names(table: &RouteTable) -> Vec<(&str, &str)> {
        (table.routes.iter())
            .map(|r| (r.name.as_str(), r.address_prefix.as_str()))
            .collect()
    }

    #[test]
    fn route_overlay_adds_replaces_and_removes_by_name() {
        let mut table = tunnelling_table();
        overlay_route_table(
            &mut table,
            &PlannedRoutes {
                written: vec![
                    route(
                        "AMLSECURE-198-18-0-0-24",
                        "198.18.0.0/24",
                        NextHop::Internet,
                    ),
                    route(
                        "amlsecure-198-18-9-0-24",
                        "198.18.9.0/24",
                        NextHop::Internet,
                    ),
                ],
                removed: vec!["amlsecure-198-18-1-0-24".into()],
            },
        );
        assert_eq!(
            route_names(&table),
            [
                ("default-to-firewall", "0.0.0.0/0"),
                ("AMLSECURE-198-18-0-0-24", "198.18.0.0/24"),
                ("amlsecure-198-18-9-0-24", "198.18.9.0/24")
            ]
        );
    }

    #[test]
    fn planned_routes_count_for_the_batch_route_check_of_their_table_only() {
        let batch: Vec<Ipv4Net> = vec!["198.18.9.0/24".parse().unwrap()];
        let check = |network: &SubnetNetwork| {
            let findings =
                check_batch_routes(network.route_table.as_ref(), "westeurope", Some(&batch));
            findings.iter().map(|f| f.rule.id).collect::<Vec<_>>()
        };
        let planned = PlannedChanges::default();
        let set = |prefixes: &[&str]| PlannedRoutes {
            written: (prefixes.iter())
                .map(|p| route(&format!("amlsecure-{p}"), p, NextHop::Internet))
                .collect(),
            removed: Vec::new(),
        };
        // Nothing planned: Batch's prefix follows the default route to the firewall.
        let mut table_alone = network(None, Some((&TABLE.to_uppercase(), tunnelling_table())));
        planned.overlay_routes(&mut table_alone);
        assert_eq!(check(&table_alone), ["AMLS121"]);

        // A route set for another table changes nothing.
        let other = TABLE.replace("to-firewall", "other");
        planned.note_routes(
            &other,
            &format!("{other}|amlsecure"),
            set(&["198.18.9.0/24"]),
        );
        let mut elsewhere = network(None, Some((TABLE, tunnelling_table())));
        planned.overlay_routes(&mut elsewhere);
        assert_eq!(check(&elsewhere), ["AMLS121"]);

        // A route set for this table (its ID in other case): its latest plan counts.
        let id = format!("{TABLE}|amlsecure");
        planned.note_routes(TABLE, &id, set(&["198.18.8.0/24"]));
        planned.note_routes(TABLE, &id, set(&["198.18.9.0/24"]));
        let mut covered = network(None, Some((&TABLE.to_uppercase(), tunnelling_table())));
        planned.overlay_routes(&mut covered);
        assert_eq!(check(&covered), Vec::<&str>::new());
        let table = covered.route_table.as_ref().unwrap();
        assert!(
            table
                .routes
                .iter()
                .all(|r| r.address_prefix != "198.18.8.0/24")
        );

        // No route table on the subnet: nothing to overlay.
        let mut untunnelled = network(None, None);
        planned.overlay_routes(&mut untunnelled);
        assert!(untunnelled.route_table.is_none());
    }
}
