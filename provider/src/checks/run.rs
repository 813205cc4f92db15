//! The network rules for compute in a subnet, run against live Azure: the checks a resource
//! makes at plan, and what `amlsecure_network_check` reports. Facts come through the ARM
//! client's read cache, so a plan that runs these for many resources reads each object once.
//!
//! Reads go out in two waves, each all at once: first what the configuration names (the
//! workspace and its datastores, the virtual network, the locks and Azure Policy assignments
//! on its group), then what those name (the subnet's NSG and route table, the region's network
//! usages and service tags, the workspace's storage accounts and key vault, the policy
//! definitions, the workspace's private endpoints). Against real ARM a plan's checks so cost
//! two round trips, however many objects they read (an assigned initiative's policies take a
//! third).

use ipnet::Ipv4Net;

use crate::arm::{ArmClient, ArmError, CallContext, ResourceId};
use crate::checks::facts::{self, SubnetNetwork, WorkspaceInfo};
use crate::checks::planned::PlannedChanges;
use crate::checks::policies;
use crate::checks::service_tags;
use crate::checks::stores::{self, WorkspaceStores};
use crate::rules::aks::{AksNetwork, check_aks_network};
use crate::rules::attached;
use crate::rules::compute::{WorkspaceFacts, same_location};
use crate::rules::firewall::{self, ComputeSubnet};
use crate::rules::nsg::Remote;
use crate::rules::{
    Finding, Profile, aks, compute, join_and, nsg, policy, quota, regions, routes, subnet,
};

/// What the rules found, or that the subnet's virtual network does not exist (then no rule
/// can look at the subnet; resources stop with an error, the network check reports it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Findings(Vec<Finding>),
    VnetMissing,
}

/// Azure could not be read; `attribute` names the input whose object it was.
#[derive(Debug)]
pub struct ReadFailure {
    pub attribute: &'static str,
    pub error: ArmError,
}

fn at(attribute: &'static str) -> impl FnOnce(ArmError) -> ReadFailure {
    move |error| ReadFailure { attribute, error }
}

/// What a plan knows of the compute cluster (or compute instance) whose network is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPlan {
    /// A compute instance rather than a cluster: one node, and under today's guidance in the
    /// workspace's region.
    pub instance: bool,
    /// Free addresses the cluster still needs (subnet capacity is skipped when `None`).
    pub nodes_needed: Option<u64>,
    /// Whether it is being created: then the network quota for one more cluster counts.
    pub creating: bool,
    /// Whether its nodes get public IP addresses (`node_public_ip_enabled`): Azure ML then
    /// creates a public IP address and a load balancer for it besides its network security
    /// group. Today's guidance differs for clusters without: no inbound traffic, no network
    /// resources in the network's group, but a workspace private endpoint.
    pub public_ip: bool,
    /// Set when the nodes accept SSH on their public addresses: from where, and the
    /// attribute findings point at.
    pub public_ssh: Option<(Remote, &'static str)>,
    /// Where it runs: under today's guidance that must be the network's region.
    pub location: ClusterLocation,
}

/// A cluster's location, as far as the plan knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterLocation {
    /// As configured, or as stored.
    Set(String),
    /// Not configured: the workspace's, which creation defaults to.
    Workspace,
    /// Not known to the caller (the network check has no cluster): not checked.
    Unchecked,
}

impl ClusterPlan {
    /// Whether Azure ML creates network resources for the cluster in the network's resource
    /// group, which locks, the network quota and Azure Policy can stop. The 2019 guidance
    /// knows only clusters with public IPs; under today's, one without gets none.
    pub fn creates_network_resources(&self, profile: Profile) -> bool {
        profile == Profile::Seed || self.public_ip
    }
}

/// The rules of `profile` for an AmlCompute cluster of the workspace in the subnet:
/// placement, subnet capacity, the subnet's NSG (with the rules `planned` for it), forced
/// tunnelling routes (with the routes `planned` for the table), the network resources Azure
/// ML creates (locks and Azure Policy assignments on the virtual network's resource group or
/// subscription, and when creating the network quota for one more cluster), and the firewalls
/// of the stores the workspace uses (with the firewalls `planned` for them); under today's
/// guidance, also the workspace private endpoint a cluster without public IPs, or in another
/// region, needs.
pub async fn compute_cluster(
    arm: &ArmClient,
    ctx: &CallContext,
    planned: &PlannedChanges,
    profile: Profile,
    workspace_id: &ResourceId,
    subnet_id: &ResourceId,
    cluster: &ClusterPlan,
) -> Result<Checked, ReadFailure> {
    let vnet_id = facts::vnet_of(subnet_id).map_err(at("subnet_id"))?;
    let group_id = ResourceId::resource_group_id(
        vnet_id.subscription_id(),
        vnet_id.resource_group().unwrap_or_default(),
    );
    // The stores and the policies are read beside the network, not after it.
    let (network, stores, policies) = tokio::join!(
        cluster_network(arm, ctx, planned, profile, workspace_id, subnet_id, cluster),
        stores::workspace_stores(arm, ctx, workspace_id),
        async {
            match cluster.creates_network_resources(profile) {
                true => Some(policies::assignments_at(arm, ctx, &group_id).await),
                false => None,
            }
        },
    );
    let Some((mut findings, network)) = network? else {
        return Ok(Checked::VnetMissing);
    };
    let subnet = compute_subnet("subnet_id", subnet_id.as_str().to_owned(), &network, false);
    findings.extend(store_findings(
        planned,
        profile,
        workspace_id,
        stores,
        &subnet,
    ));
    if let Some(policies) = policies {
        let target = policy::Target {
            group_id: group_id.as_str().to_owned(),
            group: vnet_id.resource_group().unwrap_or_default().to_owned(),
            location: network.vnet.location.clone(),
        };
        findings.extend(match policies {
            Ok(assignments) => policy::check_policies(
                &assignments,
                &policy::created_for_cluster(cluster.public_ip),
                &target,
                "subnet_id",
            ),
            Err(reason) => vec![policy::policies_unreadable(&reason, &target, "subnet_id")],
        });
    }
    Ok(Checked::Findings(findings))
}

/// The cluster's rules about its network, and the network; `None` when the virtual network
/// does not exist.
async fn cluster_network(
    arm: &ArmClient,
    ctx: &CallContext,
    planned: &PlannedChanges,
    profile: Profile,
    workspace_id: &ResourceId,
    subnet_id: &ResourceId,
    cluster: &ClusterPlan,
) -> Result<Option<(Vec<Finding>, SubnetNetwork)>, ReadFailure> {
    let network_resources = cluster.creates_network_resources(profile);
    let vnet_id = facts::vnet_of(subnet_id).map_err(at("subnet_id"))?;
    let (workspace, vnet, locks) = tokio::join!(
        facts::workspace(arm, ctx, workspace_id),
        facts::virtual_network(arm, ctx, &vnet_id),
        async {
            match network_resources {
                true => Some(facts::vnet_locks(arm, ctx, &vnet_id).await),
                false => None,
            }
        },
    );
    let workspace = workspace.map_err(at("workspace_id"))?;
    let Some(vnet) = vnet.map_err(at("subnet_id"))? else {
        return Ok(None);
    };
    let region = vnet.location.clone().unwrap_or_default();
    let subscription = vnet_id.subscription_id();
    let tunnelled = facts::subnet_in(&vnet, subnet_id.name())
        .is_some_and(|s| s.properties.route_table.is_some());
    // Where the workspace's endpoints are matters only to a cluster in another region.
    let endpoints: Vec<_> = match profile {
        Profile::Current if !cluster.instance && !same_location(&workspace.location, &region) => {
            workspace.facts.approved_endpoints().collect()
        }
        _ => Vec::new(),
    };
    let (network, usages, tags, endpoint_networks) = tokio::join!(
        facts::subnet_network_in(arm, ctx, &vnet, subnet_id),
        async {
            match cluster.creating && network_resources {
                true => Some(facts::network_usages(arm, ctx, subscription, &region).await),
                false => None,
            }
        },
        // Needed only when the route table forces tunnelling, which its answer tells: read
        // beside it rather than after.
        async {
            match tunnelled {
                true => Some(service_tags::list(arm, ctx, subscription, &region).await),
                false => None,
            }
        },
        facts::endpoint_networks(arm, ctx, &endpoints),
    );
    let mut network = network.map_err(at("subnet_id"))?;
    planned.overlay_nsg_rules(&mut network);
    planned.overlay_routes(&mut network);
    let mut findings = compute::check_compute_placement(
        &workspace.facts,
        &network.vnet,
        &network.subnet_name,
        profile,
    );
    if profile == Profile::Current {
        findings.extend(compute::check_private_endpoint(
            &workspace.facts,
            cluster.public_ip,
        ));
        if cluster.instance {
            findings.extend(compute::check_instance_region(
                &workspace.facts,
                &network.vnet,
            ));
        } else {
            findings.extend(compute::check_cluster_region(
                &workspace.facts,
                &network.vnet,
                &endpoint_networks,
                &network.reachable_networks(),
            ));
            // `None`: no cluster to check; `Some(None)`: `location` left to the workspace's.
            let configured = match &cluster.location {
                ClusterLocation::Set(location) => Some(Some(location.as_str())),
                ClusterLocation::Workspace => Some(None),
                ClusterLocation::Unchecked => None,
            };
            if let Some(configured) = configured {
                findings.extend(compute::check_cluster_location(
                    configured,
                    &workspace.location,
                    &network.vnet,
                ));
            }
        }
    }
    if let Some(needed) = cluster.nodes_needed
        && !network.subnet_prefixes.is_empty()
        && let Ok(capacity) =
            subnet::subnet_capacity(&network.subnet_prefixes, network.ip_configurations_in_use)
    {
        findings.extend(subnet::check_subnet_capacity(&capacity, needed));
    }
    let (nsg, prefixes) = (network.nsg.as_ref(), &network.subnet_prefixes);
    match profile {
        Profile::Seed => {
            findings.extend(nsg::seed::check_compute_nsg(nsg, prefixes, &region));
            findings.extend(nsg::seed::check_compute_vnet_outbound(
                nsg,
                prefixes,
                &network.vnet.address_space,
            ));
            if let Some((sources, attribute)) = &cluster.public_ssh {
                findings.extend(nsg::seed::check_compute_ssh_inbound(
                    nsg, prefixes, sources, attribute,
                ));
            }
        }
        Profile::Current => findings.extend(nsg::current::check_cluster_nsg(
            nsg,
            prefixes,
            &region,
            cluster.public_ip,
        )),
    }
    // Without public IPs nothing comes in from Azure's services, tunnel or not.
    if network_resources {
        let tags = tags.and_then(|tags| match tags {
            Ok(tags) => Some(tags),
            Err(error) => {
                tracing::warn!(%error, "service tags unreadable; routes checked without prefixes");
                None
            }
        });
        let prefixes = |tag: &str, region: &str| {
            forced_tunnelling(&network)
                .then_some(tags.as_deref())
                .flatten()
                .and_then(|tags| service_tags::find(tags, tag, Some(region)))
                .map(|tag| tag.ipv4_prefixes.clone())
        };
        findings.extend(routes::check_batch_routes(
            network.route_table.as_ref(),
            &region,
            prefixes(routes::BATCH_TAG, &region).as_deref(),
        ));
        if profile == Profile::Current {
            let regions: Vec<(String, Option<Vec<Ipv4Net>>)> = regions::with_pair(&region)
                .into_iter()
                .map(|r| {
                    let found = prefixes(routes::AZURE_ML_TAG, &r);
                    (r, found)
                })
                .collect();
            findings.extend(routes::check_azure_ml_routes(
                network.route_table.as_ref(),
                &regions,
            ));
        }
    }
    if let Some(locks) = locks {
        findings.extend(lock_findings(
            locks,
            &network,
            quota::LockedCompute::ComputeClusters,
        ));
    }
    if let Some(usages) = usages {
        let usages = usages.map_err(at("subnet_id"))?;
        findings.extend(quota::check_network_quota(&usages, &region, 1));
    }
    Ok(Some((findings, network)))
}

/// Whether the subnet's route table forces tunnelling: only then do services' prefixes need
/// routes of their own (otherwise their traffic reaches the Internet without them).
fn forced_tunnelling(network: &SubnetNetwork) -> bool {
    network
        .route_table
        .as_ref()
        .is_some_and(routes::forces_tunnelling)
}

/// `subnet training (10.0.1.0/24) of virtual network ml-vnet`.
pub fn subnet_description(network: &SubnetNetwork) -> String {
    let prefixes = match network.subnet_prefixes.as_slice() {
        [] => String::new(),
        prefixes => format!(" ({})", join_and(prefixes)),
    };
    format!(
        "subnet {}{prefixes} of virtual network {}",
        network.subnet_name, network.vnet.name
    )
}

/// The compute in subnet `id` of the network, as the firewall rules see it; findings point
/// at `attribute`.
fn compute_subnet(
    attribute: &'static str,
    id: String,
    network: &SubnetNetwork,
    inference: bool,
) -> ComputeSubnet {
    ComputeSubnet {
        attribute,
        id,
        description: subnet_description(network),
        inference,
        network_endpoints: network.private_endpoints.clone(),
    }
}

/// AMLS403-407 and AMLS413 under `profile`: the workspace's stores, with the firewalls
/// `planned` for them, must let `subnet` in.
pub fn store_findings(
    planned: &PlannedChanges,
    profile: Profile,
    workspace_id: &ResourceId,
    mut stores: WorkspaceStores,
    subnet: &ComputeSubnet,
) -> Vec<Finding> {
    planned.overlay_firewalls(workspace_id.as_str(), &mut stores);
    let mut findings: Vec<Finding> = (stores.stores.iter())
        .filter_map(|store| firewall::check_store_access(store, subnet, profile))
        .collect();
    findings.extend(
        (stores.stores.iter())
            .filter_map(|store| firewall::check_workspace_access(store, profile, "workspace_id")),
    );
    if let Some(reason) = &stores.datastores_unreadable {
        findings.push(firewall::datastores_unreadable(reason, subnet.attribute));
    }
    findings
}

/// The Kubernetes network of an AKS cluster, without the virtual network's ranges (which
/// [`aks_cluster`] reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AksAddresses {
    pub service_cidr: Ipv4Net,
    pub dns_service_ip: std::net::Ipv4Addr,
    pub docker_bridge_cidr: Option<Ipv4Net>,
}

/// An AKS cluster as the rules see it, besides its subnet.
#[derive(Debug, Clone, Default)]
pub struct AksPlan {
    /// The cluster's region (a created cluster's default is the workspace's).
    pub location: String,
    /// The Kubernetes network; `None` skips the address plan rules.
    pub addresses: Option<AksAddresses>,
    /// The address plan findings that need no Azure were reported already (at validate):
    /// only those the virtual network adds are wanted.
    pub skip_offline_findings: bool,
    /// An existing cluster to attach: Azure ML manages none of its network, so locks and
    /// Azure CNI's addresses do not concern it.
    pub attached: bool,
    /// The nodes of a cluster Azure ML creates (Azure CNI's addresses under today's guidance).
    pub nodes: u64,
    /// The clients of the scoring endpoint outside the virtual network, and its port.
    pub scoring: Option<(Remote, u16)>,
    /// The workspace the cluster serves: its stores' firewalls are checked (none without).
    pub workspace_id: Option<ResourceId>,
}

/// Every rule of `profile` for an AKS cluster in the subnet: placement, the address plan
/// against the virtual network and its peerings, the NSG (with the rules `planned` for it:
/// Azure ML inbound, default outbound, scoring clients), the firewalls of the workspace's
/// stores, and, for a cluster Azure ML creates, locks on the virtual network's resource group
/// or subscription and under today's guidance the addresses Azure CNI takes.
pub async fn aks_cluster(
    arm: &ArmClient,
    ctx: &CallContext,
    planned: &PlannedChanges,
    profile: Profile,
    subnet_id: &ResourceId,
    cluster: &AksPlan,
) -> Result<Checked, ReadFailure> {
    let vnet_id = facts::vnet_of(subnet_id).map_err(at("subnet_id"))?;
    let (network, locks, stores) = tokio::join!(
        facts::subnet_network(arm, ctx, subnet_id),
        async {
            match cluster.attached {
                false => Some(facts::vnet_locks(arm, ctx, &vnet_id).await),
                true => None,
            }
        },
        async {
            match &cluster.workspace_id {
                Some(workspace_id) => Some(stores::workspace_stores(arm, ctx, workspace_id).await),
                None => None,
            }
        },
    );
    let Some(mut network) = network.map_err(at("subnet_id"))? else {
        return Ok(Checked::VnetMissing);
    };
    planned.overlay_nsg_rules(&mut network);
    let mut findings = aks_findings(cluster, &network, profile);
    if !cluster.attached {
        findings.extend(cni_findings(
            &network,
            cluster.nodes,
            profile,
            "agent_count",
        ));
    }
    if let Some(locks) = locks {
        findings.extend(lock_findings(
            locks,
            &network,
            quota::LockedCompute::AksCluster,
        ));
    }
    if let (Some(workspace_id), Some(stores)) = (&cluster.workspace_id, stores) {
        let subnet = compute_subnet("subnet_id", subnet_id.as_str().to_owned(), &network, true);
        findings.extend(store_findings(
            planned,
            profile,
            workspace_id,
            stores,
            &subnet,
        ));
    }
    Ok(Checked::Findings(findings))
}

/// Under today's guidance, AMLS211 for a cluster of `nodes` nodes that Azure ML creates with
/// Azure CNI (and its default pods per node) in the subnet; the finding points at `attribute`.
pub fn cni_findings(
    network: &SubnetNetwork,
    nodes: u64,
    profile: Profile,
    attribute: &'static str,
) -> Option<Finding> {
    if profile != Profile::Current || network.subnet_prefixes.is_empty() {
        return None;
    }
    let capacity =
        subnet::subnet_capacity(&network.subnet_prefixes, network.ip_configurations_in_use).ok()?;
    aks::check_cni_capacity(&capacity, nodes, aks::AZURE_CNI_DEFAULT_MAX_PODS, attribute)
}

/// The scoring rules alone (AMLS224, AMLS225), for an AKS cluster that exists and whose
/// scoring clients, or port, change in place.
pub async fn aks_scoring(
    arm: &ArmClient,
    ctx: &CallContext,
    planned: &PlannedChanges,
    subnet_id: &ResourceId,
    clients: &Remote,
    port: u16,
) -> Result<Checked, ReadFailure> {
    let network = facts::subnet_network(arm, ctx, subnet_id).await;
    let Some(mut network) = network.map_err(at("subnet_id"))? else {
        return Ok(Checked::VnetMissing);
    };
    planned.overlay_nsg_rules(&mut network);
    Ok(Checked::Findings(nsg::seed::check_aks_scoring_inbound(
        network.nsg.as_ref(),
        &network.subnet_prefixes,
        clients,
        port,
    )))
}

/// AMLS142 for the locks on the virtual network's resource group and subscription; locks
/// that could not be read are that warning too, never a failed plan.
pub fn lock_findings(
    locks: Result<Vec<quota::Lock>, ArmError>,
    network: &SubnetNetwork,
    compute: quota::LockedCompute,
) -> Vec<Finding> {
    let group = network.vnet_id.resource_group().unwrap_or_default();
    match locks {
        Ok(locks) => quota::check_locks(&locks, group, compute),
        Err(error) => {
            let reason = error.code().unwrap_or("no answer").to_owned();
            vec![quota::locks_unreadable(group, &reason)]
        }
    }
}

fn aks_findings(cluster: &AksPlan, network: &SubnetNetwork, profile: Profile) -> Vec<Finding> {
    let mut findings =
        compute::check_aks_placement(&cluster.location, &network.vnet, &network.subnet_name);
    if let Some(addresses) = &cluster.addresses {
        let plan = |network: Option<&SubnetNetwork>| AksNetwork {
            service_cidr: addresses.service_cidr,
            dns_service_ip: addresses.dns_service_ip,
            docker_bridge_cidr: addresses.docker_bridge_cidr,
            vnet_prefixes: network
                .map(SubnetNetwork::vnet_prefixes)
                .unwrap_or_default(),
            peered_prefixes: network
                .map(|n| n.peering_prefixes.clone())
                .unwrap_or_default(),
            network_known: network.is_some(),
        };
        let offline = match cluster.skip_offline_findings {
            true => check_aks_network(&plan(None), profile),
            false => Vec::new(),
        };
        findings.extend(
            check_aks_network(&plan(Some(network)), profile)
                .into_iter()
                // Validate reported these already (its fixes propose no range).
                .filter(|f| {
                    !offline
                        .iter()
                        .any(|o| o.rule == f.rule && o.message == f.message)
                }),
        );
    }
    let (nsg, subnet) = (network.nsg.as_ref(), &network.subnet_prefixes);
    findings.extend(nsg::seed::check_aks_nsg(nsg, subnet));
    findings.extend(nsg::seed::check_aks_outbound(
        nsg,
        subnet,
        &network.vnet.address_space,
    ));
    if let Some((clients, port)) = &cluster.scoring {
        findings.extend(nsg::seed::check_aks_scoring_inbound(
            nsg, subnet, clients, *port,
        ));
    }
    findings
}

/// A machine Azure ML reaches over SSH (a virtual machine or an HDInsight cluster), as the
/// rules see it.
pub struct AttachedMachine<'a> {
    /// Names the machine in messages, like `virtual machine 'dev'`.
    pub description: &'a str,
    /// The attribute the findings point at.
    pub attribute: &'static str,
    /// The network around its subnet; `None` when it is in no virtual network.
    pub network: Option<&'a SubnetNetwork>,
    /// Network security groups in front of it besides its subnet's (a NIC's).
    pub other_nsgs: &'a [nsg::NetworkSecurityGroup],
    /// The addresses SSH traffic goes to: the machine's own, or its subnet's prefixes.
    pub destinations: &'a [Ipv4Net],
    pub ssh_port: u16,
    /// The workspace's stores, with the firewalls planned for them, and the workspace.
    pub stores: Option<(&'a ResourceId, &'a WorkspaceStores)>,
    pub planned: &'a PlannedChanges,
    /// The guidance the stores' firewalls are checked under.
    pub profile: Profile,
}

/// The network rules for an attached machine: placement against the workspace (AMLS321 to
/// AMLS323), SSH from `AzureMachineLearning` and outbound access through every NSG in front
/// of it (AMLS301 to AMLS303), and the firewalls of the workspace's stores (AMLS404-406,
/// AMLS413). No lock rule: Azure ML creates no network resources for a machine it attaches.
pub fn attached_machine_findings(
    workspace: &WorkspaceFacts,
    machine: &AttachedMachine,
) -> Vec<Finding> {
    let network = machine.network.map(facts::attached_network);
    let mut findings = attached::check_attached_placement(
        workspace,
        network.as_ref(),
        machine.description,
        machine.attribute,
    );
    let subnet_nsg = machine.network.and_then(|n| n.nsg.as_ref());
    let mut groups: Vec<&nsg::NetworkSecurityGroup> = machine.other_nsgs.iter().collect();
    if let Some(subnet_nsg) = subnet_nsg
        && !groups.contains(&subnet_nsg)
    {
        groups.push(subnet_nsg);
    }
    for group in groups {
        let mut about_group = nsg::seed::check_attached_compute_nsg(
            Some(group),
            machine.destinations,
            machine.ssh_port,
        );
        // Outside a virtual network (AMLS321) there is no region or network to reach.
        if let Some(network) = machine.network {
            about_group.extend(nsg::seed::check_attached_outbound(
                Some(group),
                machine.destinations,
                &network.vnet.address_space,
                &network.vnet.location,
            ));
        }
        findings.extend(about_group.into_iter().map(|f| Finding {
            attribute: machine.attribute,
            ..f
        }));
    }
    if let (Some(network), Some((workspace_id, stores))) = (machine.network, machine.stores) {
        findings.extend(store_findings(
            machine.planned,
            machine.profile,
            workspace_id,
            stores.clone(),
            &compute_subnet(
                machine.attribute,
                format!(
                    "{}/subnets/{}",
                    network.vnet_id.as_str(),
                    network.subnet_name
                ),
                network,
                false,
            ),
        ));
    }
    findings
}

/// The rules a virtual machine or HDInsight cluster in the subnet would meet when attached
/// to the workspace with SSH on `ssh_port`, at `subnet_id`: those of
/// [`attached_machine_findings`] for the subnet's prefixes, and AMLS133 when the subnet does
/// not exist. The rules about the machine itself (its image) need a machine.
pub async fn attached_machine(
    arm: &ArmClient,
    ctx: &CallContext,
    planned: &PlannedChanges,
    profile: Profile,
    workspace_id: &ResourceId,
    subnet_id: &ResourceId,
    ssh_port: u16,
) -> Result<Checked, ReadFailure> {
    let (workspace, network, stores) = tokio::join!(
        facts::workspace(arm, ctx, workspace_id),
        facts::subnet_network(arm, ctx, subnet_id),
        stores::workspace_stores(arm, ctx, workspace_id),
    );
    let workspace = workspace.map_err(at("workspace_id"))?;
    let Some(network) = network.map_err(at("subnet_id"))? else {
        return Ok(Checked::VnetMissing);
    };
    let description = format!("a machine in subnet '{}'", network.subnet_name);
    let mut findings: Vec<Finding> =
        compute::check_subnet_exists(&network.vnet, &network.subnet_name)
            .into_iter()
            .collect();
    findings.extend(attached_machine_findings(
        &workspace.facts,
        &AttachedMachine {
            description: &description,
            attribute: "subnet_id",
            network: Some(&network),
            other_nsgs: &[],
            destinations: &network.subnet_prefixes,
            ssh_port,
            stores: Some((workspace_id, &stores)),
            planned,
            profile,
        },
    ));
    Ok(Checked::Findings(findings))
}

/// The workspace, for callers that need its region before running the AKS rules.
pub async fn workspace(
    arm: &ArmClient,
    ctx: &CallContext,
    workspace_id: &ResourceId,
) -> Result<WorkspaceInfo, ReadFailure> {
    facts::workspace(arm, ctx, workspace_id)
        .await
        .map_err(at("workspace_id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compute::{IsolationMode, SubnetFacts, VnetFacts};
    use crate::rules::nsg::{Access, Direction, NetworkSecurityGroup, Protocol, SecurityRule};

    const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000001";

    fn workspace() -> WorkspaceFacts {
        WorkspaceFacts {
            subscription: SUBSCRIPTION.into(),
            location: "westeurope".into(),
            isolation_mode: IsolationMode::Disabled,
            private_endpoints: Vec::new(),
        }
    }

    fn network(location: &str, nsg: Option<NetworkSecurityGroup>) -> SubnetNetwork {
        let prefix: Ipv4Net = "10.0.1.0/24".parse().unwrap();
        SubnetNetwork {
            vnet_id: ResourceId::parse(&format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet")).unwrap(),
            vnet: VnetFacts {
                name: "vnet".into(),
                subscription: SUBSCRIPTION.into(),
                location: location.into(),
                address_space: vec!["10.0.0.0/16".parse().unwrap()],
                subnets: vec![SubnetFacts {
                    name: "machines".into(),
                    address_prefixes: vec![prefix],
                    delegations: Vec::new(),
                }],
            },
            subnet_name: "machines".into(),
            subnet_prefixes: vec![prefix],
            ip_configurations_in_use: 0,
            peering_prefixes: Vec::new(),
            peered_networks: Vec::new(),
            private_endpoints: Vec::new(),
            nsg_id: None,
            route_table_id: None,
            nsg,
            route_table: None,
        }
    }

    fn deny_all(name: &str) -> NetworkSecurityGroup {
        NetworkSecurityGroup {
            name: name.into(),
            security_rules: vec![SecurityRule {
                name: "deny-all-in".into(),
                priority: 200,
                direction: Direction::Inbound,
                access: Access::Deny,
                protocol: Protocol::Any,
                source_prefixes: vec!["*".into()],
                source_ports: vec!["*".into()],
                destination_prefixes: vec!["*".into()],
                destination_ports: vec!["*".into()],
            }],
        }
    }

    fn found(
        network: Option<&SubnetNetwork>,
        other_nsgs: &[NetworkSecurityGroup],
    ) -> Vec<(&'static str, &'static str)> {
        let destinations: Vec<Ipv4Net> = vec!["10.0.1.4/32".parse().unwrap()];
        attached_machine_findings(
            &workspace(),
            &AttachedMachine {
                description: "virtual machine 'dev'",
                attribute: "virtual_machine_id",
                network,
                other_nsgs,
                destinations: &destinations,
                ssh_port: 22,
                stores: None,
                planned: &PlannedChanges::default(),
                profile: Profile::Seed,
            },
        )
        .iter()
        .map(|f| (f.rule.id, f.attribute))
        .collect()
    }

    #[test]
    fn attached_machine_rules_point_at_the_machine() {
        let sound = network("westeurope", None);
        let far = network("eastus", None);
        let closed = network("westeurope", Some(deny_all("subnet-nsg")));
        let at = "virtual_machine_id";
        let cases: Vec<(Option<&SubnetNetwork>, Vec<NetworkSecurityGroup>, Vec<_>)> = vec![
            (Some(&sound), vec![], vec![]),
            (None, vec![], vec![("AMLS321", at)]),
            (Some(&far), vec![], vec![("AMLS323", at)]),
            (Some(&closed), vec![], vec![("AMLS301", at)]),
            (
                Some(&sound),
                vec![deny_all("nic-nsg")],
                vec![("AMLS301", at)],
            ),
            // The NIC's group is the subnet's: counted once.
            (
                Some(&closed),
                vec![deny_all("subnet-nsg")],
                vec![("AMLS301", at)],
            ),
            (
                Some(&closed),
                vec![deny_all("nic-nsg")],
                vec![("AMLS301", at), ("AMLS301", at)],
            ),
        ];
        for (network, other_nsgs, expected) in cases {
            assert_eq!(
                found(network, &other_nsgs),
                expected,
                "{network:?} {other_nsgs:?}"
            );
        }
    }
}
