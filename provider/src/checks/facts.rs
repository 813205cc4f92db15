//! Network facts for the rules, read from Azure: ARM models in, rule inputs out.
//!
//! Every read goes through the ARM client's per-process cache, so many resources that share
//! a virtual network, NSG, route table or workspace cost one GET per object in a plan. Reads
//! that do not depend on each other's answers are made at the same time: a plan waits for
//! ARM's latency once for what the configuration names, and once for what those answers name.

use ipnet::Ipv4Net;
use serde::Deserialize;

use crate::arm::models::ListResult;
use crate::arm::models::authorization::ManagementLock;
use crate::arm::models::compute::{ImageReference, VirtualMachine};
use crate::arm::models::ml::Workspace;
use crate::arm::models::network::{
    NetworkSecurityGroup, PrivateEndpoint, RouteTable, SecurityRule, Subnet, VirtualNetwork,
};
use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, api_version};
use crate::rules::compute::{
    EndpointNetwork, IsolationMode, SubnetFacts, VnetFacts, WorkspaceEndpoint, WorkspaceFacts,
};
use crate::rules::{attached, nsg, quota, routes};

/// What the rules need to know of a workspace.
#[derive(Debug, Clone)]
pub struct WorkspaceInfo {
    pub facts: WorkspaceFacts,
    pub location: String,
}

pub async fn workspace(
    arm: &ArmClient,
    ctx: &CallContext,
    id: &ResourceId,
) -> Result<WorkspaceInfo, ArmError> {
    let workspace: Workspace = arm
        .get_cached(ctx, id.as_str(), api_version::MACHINE_LEARNING)
        .await?;
    let location = workspace.location.clone().unwrap_or_default();
    let isolation_mode = match workspace
        .properties
        .managed_network
        .as_ref()
        .and_then(|m| m.isolation_mode.as_deref())
    {
        Some(mode) if mode.eq_ignore_ascii_case("AllowInternetOutbound") => {
            IsolationMode::AllowInternetOutbound
        }
        Some(mode) if mode.eq_ignore_ascii_case("AllowOnlyApprovedOutbound") => {
            IsolationMode::AllowOnlyApprovedOutbound
        }
        _ => IsolationMode::Disabled,
    };
    let private_endpoints = (workspace.properties.private_endpoint_connections.iter())
        .filter_map(|connection| {
            let properties = connection.properties.as_ref()?;
            Some(WorkspaceEndpoint {
                id: properties.private_endpoint.as_ref()?.id.clone(),
                status: (properties.private_link_service_connection_state.as_ref())
                    .and_then(|state| state.status.clone())
                    .unwrap_or_default(),
            })
        })
        .collect();
    Ok(WorkspaceInfo {
        facts: WorkspaceFacts {
            subscription: id.subscription_id().to_owned(),
            location: location.clone(),
            isolation_mode,
            private_endpoints,
        },
        location,
    })
}

/// Where each of `endpoints` sits: the virtual network of its subnet, read from the private
/// endpoint, all at once. An endpoint that cannot be read says why (its error code).
pub async fn endpoint_networks(
    arm: &ArmClient,
    ctx: &CallContext,
    endpoints: &[&WorkspaceEndpoint],
) -> Vec<EndpointNetwork> {
    let reads = endpoints.iter().map(|endpoint| async move {
        let network = match arm
            .get_cached::<PrivateEndpoint>(ctx, &endpoint.id, api_version::NETWORK)
            .await
        {
            Ok(read) => (read.properties.subnet.as_ref())
                .and_then(|subnet| ResourceId::parse(&subnet.id).ok())
                .and_then(|subnet| subnet.parent())
                .map(|vnet| vnet.as_str().to_owned())
                .ok_or_else(|| "it names no subnet".to_owned()),
            Err(error) => Err(error.code().unwrap_or("no answer").to_owned()),
        };
        EndpointNetwork {
            endpoint: endpoint.name().to_owned(),
            network,
        }
    });
    futures_util::future::join_all(reads).await
}

/// The network around one subnet.
#[derive(Debug, Clone)]
pub struct SubnetNetwork {
    pub vnet_id: ResourceId,
    pub vnet: VnetFacts,
    pub subnet_name: String,
    /// The subnet's own prefixes; empty when the subnet does not exist.
    pub subnet_prefixes: Vec<Ipv4Net>,
    /// NICs and load balancers already using the subnet's addresses.
    pub ip_configurations_in_use: u64,
    /// Address spaces of peered networks.
    pub peering_prefixes: Vec<Ipv4Net>,
    /// ARM IDs of the networks peered with this one whose peering is `Connected`.
    pub peered_networks: Vec<String>,
    /// ARM IDs of the private endpoints in the virtual network, any subnet of it.
    pub private_endpoints: Vec<String>,
    /// ARM ID of the subnet's NSG, as the subnet names it.
    pub nsg_id: Option<String>,
    pub nsg: Option<nsg::NetworkSecurityGroup>,
    pub route_table: Option<routes::RouteTable>,
    /// ARM ID of the subnet's route table, as the subnet names it.
    pub route_table_id: Option<String>,
}

impl SubnetNetwork {
    /// The networks the subnet reaches without leaving Azure's backbone: its own, and those
    /// peered with it.
    pub fn reachable_networks(&self) -> Vec<String> {
        let mut networks = vec![self.vnet_id.as_str().to_owned()];
        networks.extend(self.peered_networks.iter().cloned());
        networks
    }

    /// The VNet's own ranges: its address spaces and subnets.
    pub fn vnet_prefixes(&self) -> Vec<Ipv4Net> {
        let mut prefixes = self.vnet.address_space.clone();
        for subnet in &self.vnet.subnets {
            prefixes.extend(subnet.address_prefixes.iter().copied());
        }
        prefixes
    }
}

/// The virtual network of a subnet ID.
pub fn vnet_of(subnet_id: &ResourceId) -> Result<ResourceId, ArmError> {
    subnet_id.parent().ok_or_else(|| ArmError::Config {
        message: format!("{subnet_id} is not a subnet ID"),
    })
}

/// Reads a virtual network (it lists its subnets); `Ok(None)` when it does not exist.
pub async fn virtual_network(
    arm: &ArmClient,
    ctx: &CallContext,
    vnet_id: &ResourceId,
) -> Result<Option<VirtualNetwork>, ArmError> {
    match arm
        .get_cached(ctx, vnet_id.as_str(), api_version::NETWORK)
        .await
    {
        Ok(vnet) => Ok(Some(vnet)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// The subnet `name` as its virtual network lists it.
pub fn subnet_in<'a>(vnet: &'a VirtualNetwork, name: &str) -> Option<&'a Subnet> {
    vnet.subnets().iter().find(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// Reads the subnet's virtual network, then its NSG and route table at once. `Ok(None)` when
/// the virtual network does not exist.
pub async fn subnet_network(
    arm: &ArmClient,
    ctx: &CallContext,
    subnet_id: &ResourceId,
) -> Result<Option<SubnetNetwork>, ArmError> {
    let vnet_id = vnet_of(subnet_id)?;
    let Some(vnet) = virtual_network(arm, ctx, &vnet_id).await? else {
        return Ok(None);
    };
    subnet_network_in(arm, ctx, &vnet, subnet_id)
        .await
        .map(Some)
}

/// The network around a subnet of `vnet` (already read): its NSG and route table, read at
/// the same time.
pub async fn subnet_network_in(
    arm: &ArmClient,
    ctx: &CallContext,
    vnet: &VirtualNetwork,
    subnet_id: &ResourceId,
) -> Result<SubnetNetwork, ArmError> {
    let vnet_id = vnet_of(subnet_id)?;
    let subnet_name = subnet_id.name().to_owned();
    let subnet = subnet_in(vnet, &subnet_name);
    let nsg_reference = subnet.and_then(|s| s.properties.network_security_group.as_ref());
    let table_reference = subnet.and_then(|s| s.properties.route_table.as_ref());
    let (nsg, route_table) = tokio::join!(
        async {
            match nsg_reference {
                Some(reference) => arm
                    .get_cached::<NetworkSecurityGroup>(ctx, &reference.id, api_version::NETWORK)
                    .await
                    .map(|nsg| Some(nsg_facts(&nsg))),
                None => Ok(None),
            }
        },
        async {
            match table_reference {
                Some(reference) => arm
                    .get_cached::<RouteTable>(ctx, &reference.id, api_version::NETWORK)
                    .await
                    .map(|table| Some(route_table_facts(&table))),
                None => Ok(None),
            }
        },
    );
    let (nsg, route_table) = (nsg?, route_table?);
    let facts = vnet_facts(vnet, &vnet_id);
    Ok(SubnetNetwork {
        subnet_prefixes: subnet.map(subnet_prefixes).unwrap_or_default(),
        ip_configurations_in_use: subnet.map_or(0, |s| s.properties.ip_configurations.len() as u64),
        peering_prefixes: vnet
            .peerings()
            .iter()
            .flat_map(|p| p.remote_prefixes())
            .filter_map(|p| p.parse().ok())
            .collect(),
        peered_networks: vnet
            .peerings()
            .iter()
            .filter(|p| {
                (p.properties.peering_state.as_deref())
                    .is_some_and(|state| state.eq_ignore_ascii_case("Connected"))
            })
            .filter_map(|p| p.properties.remote_virtual_network.as_ref())
            .map(|remote| remote.id.clone())
            .collect(),
        private_endpoints: (vnet.subnets().iter())
            .flat_map(|s| s.properties.private_endpoints.iter())
            .map(|endpoint| endpoint.id.clone())
            .collect(),
        vnet_id,
        vnet: facts,
        subnet_name,
        nsg_id: subnet
            .and_then(|s| s.properties.network_security_group.as_ref())
            .map(|reference| reference.id.clone()),
        nsg,
        route_table,
        route_table_id: table_reference.map(|reference| reference.id.clone()),
    })
}

/// `Usages_List`: one entry of a location's network usages.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NetworkUsage {
    name: UsageName,
    current_value: i64,
    limit: i64,
}

#[derive(Debug, Deserialize)]
struct UsageName {
    value: String,
}

/// The network usages and limits of a subscription in a location.
pub async fn network_usages(
    arm: &ArmClient,
    ctx: &CallContext,
    subscription: &str,
    location: &str,
) -> Result<Vec<quota::Usage>, ArmError> {
    let path = format!(
        "/subscriptions/{subscription}/providers/Microsoft.Network/locations/{location}/usages"
    );
    let usages: ListResult<NetworkUsage> = arm.get_cached(ctx, &path, api_version::NETWORK).await?;
    Ok(usages
        .value
        .into_iter()
        .map(|u| quota::Usage {
            name: u.name.value,
            current: u.current_value.max(0) as u64,
            limit: u.limit.max(0) as u64,
        })
        .collect())
}

/// The management locks on the virtual network's resource group and, inherited, on its
/// subscription (`ListAtResourceGroupLevel`, which also lists locks on resources in the
/// group: those do not stop Azure ML managing its own resources and are left out, as are
/// `NotSpecified` ones).
pub async fn vnet_locks(
    arm: &ArmClient,
    ctx: &CallContext,
    vnet_id: &ResourceId,
) -> Result<Vec<quota::Lock>, ArmError> {
    let Some(group) = vnet_id.resource_group() else {
        return Ok(Vec::new());
    };
    let group_id = ResourceId::resource_group_id(vnet_id.subscription_id(), group);
    let path = format!(
        "{}/providers/Microsoft.Authorization/locks",
        group_id.as_str()
    );
    let first: ListResult<ManagementLock> = arm.get_cached(ctx, &path, api_version::LOCKS).await?;
    let locks: Vec<ManagementLock> = match first.next_link {
        None => first.value,
        // More than a page of locks: rare enough to read all pages uncached.
        Some(_) => arm.list(ctx, &path, api_version::LOCKS).await?,
    };
    Ok(lock_facts(&locks, &group_id))
}

/// The locks of a resource group's list that are on the group itself or its subscription,
/// the group's first, each by name (so messages do not depend on ARM's order).
fn lock_facts(locks: &[ManagementLock], group_id: &ResourceId) -> Vec<quota::Lock> {
    let group_scope = group_id.normalized();
    let subscription_scope = crate::arm::resource_id::normalize(&format!(
        "/subscriptions/{}",
        group_id.subscription_id()
    ));
    let mut found: Vec<quota::Lock> = locks
        .iter()
        .filter_map(|lock| {
            let scope = lock.scope()?;
            let scope = if scope == group_scope {
                quota::LockScope::ResourceGroup
            } else if scope == subscription_scope {
                quota::LockScope::Subscription
            } else {
                return None;
            };
            let level = match lock.properties.level.as_str() {
                l if l.eq_ignore_ascii_case("CanNotDelete") => quota::LockLevel::CanNotDelete,
                l if l.eq_ignore_ascii_case("ReadOnly") => quota::LockLevel::ReadOnly,
                _ => return None,
            };
            Some(quota::Lock {
                name: lock.name.clone().unwrap_or_default(),
                level,
                scope,
            })
        })
        .collect();
    found.sort_by_key(|lock| {
        (
            lock.scope == quota::LockScope::Subscription,
            lock.name.clone(),
        )
    });
    found
}

fn subnet_prefixes(subnet: &Subnet) -> Vec<Ipv4Net> {
    subnet
        .prefixes()
        .into_iter()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn vnet_facts(vnet: &VirtualNetwork, id: &ResourceId) -> VnetFacts {
    VnetFacts {
        name: id.name().to_owned(),
        subscription: id.subscription_id().to_owned(),
        location: vnet.location.clone().unwrap_or_default(),
        address_space: vnet
            .address_prefixes()
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect(),
        subnets: vnet
            .subnets()
            .iter()
            .map(|s| SubnetFacts {
                name: s.name.clone().unwrap_or_default(),
                address_prefixes: subnet_prefixes(s),
                delegations: s
                    .delegations()
                    .iter()
                    .filter_map(|d| d.properties.service_name.clone())
                    .collect(),
            })
            .collect(),
    }
}

fn nsg_facts(group: &NetworkSecurityGroup) -> nsg::NetworkSecurityGroup {
    nsg::NetworkSecurityGroup {
        name: group.name.clone().unwrap_or_default(),
        security_rules: group
            .properties
            .security_rules
            .iter()
            .flatten()
            .filter_map(security_rule_facts)
            .collect(),
    }
}

/// ARM's singular and plural fields merged; a rule missing its essentials (Azure rejects
/// those) is left out.
fn security_rule_facts(rule: &SecurityRule) -> Option<nsg::SecurityRule> {
    let p = &rule.properties;
    let merge = |one: &Option<String>, many: &Option<Vec<String>>| -> Vec<String> {
        one.iter().chain(many.iter().flatten()).cloned().collect()
    };
    let direction = match p.direction.as_deref()? {
        d if d.eq_ignore_ascii_case("Inbound") => nsg::Direction::Inbound,
        _ => nsg::Direction::Outbound,
    };
    let access = match p.access.as_deref()? {
        a if a.eq_ignore_ascii_case("Allow") => nsg::Access::Allow,
        _ => nsg::Access::Deny,
    };
    let protocol = match p
        .protocol
        .as_deref()
        .unwrap_or("*")
        .to_ascii_lowercase()
        .as_str()
    {
        "tcp" => nsg::Protocol::Tcp,
        "udp" => nsg::Protocol::Udp,
        "icmp" => nsg::Protocol::Icmp,
        "esp" => nsg::Protocol::Esp,
        "ah" => nsg::Protocol::Ah,
        _ => nsg::Protocol::Any,
    };
    Some(nsg::SecurityRule {
        name: rule.name.clone().unwrap_or_default(),
        priority: u32::try_from(p.priority?).ok()?,
        direction,
        access,
        protocol,
        source_prefixes: merge(&p.source_address_prefix, &p.source_address_prefixes),
        source_ports: merge(&p.source_port_range, &p.source_port_ranges),
        destination_prefixes: merge(
            &p.destination_address_prefix,
            &p.destination_address_prefixes,
        ),
        destination_ports: merge(&p.destination_port_range, &p.destination_port_ranges),
    })
}

pub fn route_table_facts(table: &RouteTable) -> routes::RouteTable {
    routes::RouteTable {
        name: table.name.clone().unwrap_or_default(),
        routes: table
            .properties
            .routes
            .iter()
            .flatten()
            .map(|route| {
                let p = &route.properties;
                let next_hop = match p.next_hop_type.as_deref().unwrap_or("None") {
                    "Internet" => routes::NextHop::Internet,
                    "VirtualAppliance" => routes::NextHop::VirtualAppliance,
                    "VirtualNetworkGateway" => routes::NextHop::VirtualNetworkGateway,
                    "VnetLocal" => routes::NextHop::VnetLocal,
                    _ => routes::NextHop::None,
                };
                routes::Route {
                    name: route.name.clone().unwrap_or_default(),
                    address_prefix: p.address_prefix.clone().unwrap_or_default(),
                    next_hop,
                    next_hop_ip: p.next_hop_ip_address.clone(),
                }
            })
            .collect(),
    }
}

/// A network security group by id, as the rules see it.
pub async fn network_security_group(
    arm: &ArmClient,
    ctx: &CallContext,
    id: &str,
) -> Result<nsg::NetworkSecurityGroup, ArmError> {
    let group: NetworkSecurityGroup = arm.get_cached(ctx, id, api_version::NETWORK).await?;
    Ok(nsg_facts(&group))
}

/// What a virtual machine was built from.
pub fn vm_image(vm: &VirtualMachine) -> attached::VmImage {
    let image = vm.image_reference();
    let field = |f: fn(&ImageReference) -> &Option<String>| image.and_then(|i| f(i).clone());
    attached::VmImage {
        publisher: field(|i| &i.publisher),
        offer: field(|i| &i.offer),
        sku: field(|i| &i.sku),
        image_id: field(|i| &i.id)
            .or_else(|| field(|i| &i.shared_gallery_image_id))
            .or_else(|| field(|i| &i.community_gallery_image_id)),
        os_type: vm.os_type().map(str::to_owned),
    }
}

/// The virtual network of an attached machine's subnet.
pub fn attached_network(network: &SubnetNetwork) -> attached::AttachedNetwork {
    attached::AttachedNetwork {
        vnet_name: network.vnet.name.clone(),
        subscription: network.vnet.subscription.clone(),
        location: network.vnet.location.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::models::authorization::ManagementLockProperties;
    use crate::rules::quota::{Lock, LockLevel, LockScope};

    fn lock(id: &str, level: &str) -> ManagementLock {
        ManagementLock {
            id: Some(id.to_owned()),
            name: id.rsplit('/').next().map(str::to_owned),
            properties: ManagementLockProperties {
                level: level.to_owned(),
                notes: None,
            },
            ..ManagementLock::default()
        }
    }

    #[test]
    fn only_locks_on_the_group_or_subscription_count() {
        let group = ResourceId::resource_group_id("S1", "Net");
        let locks = [
            lock(
                "/subscriptions/s1/resourcegroups/NET/providers/Microsoft.Authorization/locks/keep",
                "CanNotDelete",
            ),
            lock(
                "/subscriptions/S1/providers/Microsoft.Authorization/locks/frozen",
                "readonly",
            ),
            lock(
                "/subscriptions/S1/resourceGroups/Net/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Authorization/locks/on-vnet",
                "ReadOnly",
            ),
            lock(
                "/subscriptions/S1/resourceGroups/Other/providers/Microsoft.Authorization/locks/elsewhere",
                "ReadOnly",
            ),
            lock(
                "/subscriptions/S1/resourceGroups/Net/providers/Microsoft.Authorization/locks/unset",
                "NotSpecified",
            ),
        ];
        assert_eq!(
            lock_facts(&locks, &group),
            [
                Lock {
                    name: "keep".into(),
                    level: LockLevel::CanNotDelete,
                    scope: LockScope::ResourceGroup,
                },
                Lock {
                    name: "frozen".into(),
                    level: LockLevel::ReadOnly,
                    scope: LockScope::Subscription,
                },
            ]
        );
    }
}
