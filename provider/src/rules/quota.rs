//! Room for the network resources Azure ML creates per compute cluster, and locks that stop it
//! managing them (REFERENCE §10 rule 10; seed section "Use a Machine Learning Compute
//! instance": "For each compute cluster, the service allocates ... One network security group,
//! One public IP address, One load balancer" in the resource group of the virtual network, and
//! "Check to see whether your security policies or locks on the virtual network's subscription
//! or resource group restrict permissions"). Azure Policy assignments are not modelled.

use super::seed_section;
use super::{Applies, Finding, Rule, Severity, join_and, sources};

/// A warning: quota is the subscription's to raise, and the seed says only that an increase
/// "might" be needed; creation fails only when the clusters are actually created.
pub static NETWORK_QUOTA: Rule = Rule {
    id: "AMLS141",
    title: "Network quota leaves no room for the security group, public IP address and load balancer of each planned compute cluster",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// A warning: a lock breaks cluster creation (`ReadOnly`) or deletion and scale-in
/// (`CanNotDelete`) later, but whether it does depends on what it is meant to protect.
pub static RESOURCE_LOCKS: Rule = Rule {
    id: "AMLS142",
    title: "A lock on the virtual network's resource group or subscription stops Azure ML managing its clusters' network resources",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// One entry of the location's network usages (`GET .../locations/{l}/usages`): `name` is
/// the usage's `name.value`, e.g. `NetworkSecurityGroups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub name: String,
    pub current: u64,
    pub limit: u64,
}

/// The usages one cluster takes one of, with their names for messages.
pub const PER_CLUSTER_USAGES: [(&str, &str); 3] = [
    ("NetworkSecurityGroups", "network security groups"),
    ("PublicIPAddresses", "public IP addresses"),
    ("LoadBalancers", "load balancers"),
];

/// [`NETWORK_QUOTA`]: each of `clusters` new compute clusters in the virtual network takes one
/// of each [`PER_CLUSTER_USAGES`] in `location`. Usages missing from `usages` are not checked;
/// names compare case-insensitively.
pub fn check_network_quota(usages: &[Usage], location: &str, clusters: u64) -> Vec<Finding> {
    let short: Vec<(&Usage, &str)> = (PER_CLUSTER_USAGES.iter())
        .filter_map(|&(name, label)| {
            let usage = usages.iter().find(|u| u.name.eq_ignore_ascii_case(name))?;
            (usage.limit.saturating_sub(usage.current) < clusters).then_some((usage, label))
        })
        .collect();
    if short.is_empty() {
        return Vec::new();
    }
    let in_use: Vec<String> = (short.iter())
        .map(|(u, label)| format!("{} of {} {label}", u.current, u.limit))
        .collect();
    let raise: Vec<String> = (short.iter())
        .map(|(u, label)| format!("{label} to at least {}", u.current.saturating_add(clusters)))
        .collect();
    let room = (short.iter())
        .map(|(u, _)| u.limit.saturating_sub(u.current))
        .min()
        .unwrap_or(0);
    let fewer = match room {
        0 => String::new(),
        1 => ", or plan only 1 cluster".to_owned(),
        n => format!(", or plan at most {n} clusters"),
    };
    let plural = if clusters == 1 { "" } else { "s" };
    vec![Finding::new(
        &NETWORK_QUOTA,
        "subnet_id",
        format!(
            "in {location} the subscription uses {}, and {clusters} new compute cluster{plural} \
             need{} one of each in the virtual network's resource group",
            join_and(&in_use),
            if clusters == 1 { "s" } else { "" }
        ),
        format!(
            "Request a quota increase in {location} for {}{fewer}",
            join_and(&raise)
        ),
    )]
}

/// A management lock's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockLevel {
    CanNotDelete,
    ReadOnly,
}

/// Where a lock applies: the virtual network's resource group or its subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockScope {
    ResourceGroup,
    Subscription,
}

/// A management lock on the virtual network's resource group or subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub name: String,
    pub level: LockLevel,
    pub scope: LockScope,
}

/// What a lock would stop Azure ML managing: it differs by the compute it creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockedCompute {
    ComputeClusters,
    AksCluster,
}

impl LockedCompute {
    fn network_resources(self) -> &'static str {
        match self {
            LockedCompute::ComputeClusters => {
                "the network security group, public IP address and load balancer of each compute \
                 cluster"
            }
            LockedCompute::AksCluster => {
                "the network resources of the AKS cluster it creates (the subnet's route table and \
                 network security group, the cluster's joins to the subnet)"
            }
        }
    }
}

/// [`RESOURCE_LOCKS`] when the locks cannot be read (custom roles often lack
/// `Microsoft.Authorization/locks/read`): a warning, as the rule is, not a failed plan.
pub fn locks_unreadable(resource_group: &str, reason: &str) -> Finding {
    Finding::new(
        &RESOURCE_LOCKS,
        "subnet_id",
        format!(
            "the management locks on resource group '{resource_group}' and its subscription \
             could not be read ({reason}), so whether they stop Azure Machine Learning managing \
             network resources there is unknown"
        ),
        "Grant the provider's identity Microsoft.Authorization/locks/read on the resource \
         group, or check for ReadOnly and CanNotDelete locks there by hand",
    )
}

/// [`RESOURCE_LOCKS`]: locks on the virtual network's resource group `resource_group` or its
/// subscription stop Azure ML creating (`ReadOnly`) or deleting (both levels) the network
/// security group, public IP address and load balancer of each cluster. One finding for all.
pub fn check_locks(locks: &[Lock], resource_group: &str, compute: LockedCompute) -> Vec<Finding> {
    if locks.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = (locks.iter())
        .map(|lock| {
            let level = match lock.level {
                LockLevel::CanNotDelete => "CanNotDelete",
                LockLevel::ReadOnly => "ReadOnly",
            };
            let scope = match lock.scope {
                LockScope::ResourceGroup => format!("resource group '{resource_group}'"),
                LockScope::Subscription => "the subscription".to_owned(),
            };
            format!("lock '{}' ({level}) on {scope}", lock.name)
        })
        .collect();
    let read_only = locks.iter().any(|l| l.level == LockLevel::ReadOnly);
    let (blocked, when) = if read_only {
        (
            "creating or deleting",
            "so clusters can neither be created nor deleted",
        )
    } else {
        ("deleting", "so deleting a cluster fails")
    };
    vec![Finding::new(
        &RESOURCE_LOCKS,
        "subnet_id",
        format!(
            "{} {} Azure Machine Learning from {blocked} {} in resource group \
             '{resource_group}', {when}",
            join_and(&names),
            if locks.len() == 1 { "stops" } else { "stop" },
            compute.network_resources(),
        ),
        format!(
            "Remove {} {}, or use a virtual network in a resource group and subscription without \
             locks",
            if locks.len() == 1 { "lock" } else { "locks" },
            join_and(
                &locks
                    .iter()
                    .map(|l| format!("'{}'", l.name))
                    .collect::<Vec<_>>()
            )
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::CATALOGUE;

    fn usages(nsg: (u64, u64), pip: (u64, u64), lb: (u64, u64)) -> Vec<Usage> {
        [
            ("NetworkSecurityGroups", nsg),
            ("PublicIPAddresses", pip),
            ("LoadBalancers", lb),
        ]
        .into_iter()
        .map(|(name, (current, limit))| Usage {
            name: name.to_owned(),
            current,
            limit,
        })
        .collect()
    }

    fn lock(name: &str, level: LockLevel, scope: LockScope) -> Lock {
        Lock {
            name: name.to_owned(),
            level,
            scope,
        }
    }

    #[test]
    fn locks_name_what_azure_ml_manages_for_an_aks_cluster() {
        let locks = [Lock {
            name: "keep".into(),
            level: LockLevel::CanNotDelete,
            scope: LockScope::ResourceGroup,
        }];
        let findings = check_locks(&locks, "rg-net", LockedCompute::AksCluster);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule.id, "AMLS142");
        assert!(
            findings[0]
                .message
                .contains("network resources of the AKS cluster it creates")
                && !findings[0].message.contains("compute cluster"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn unreadable_locks_are_a_warning_naming_the_group_and_the_permission() {
        let f = locks_unreadable("net-rg", "AuthorizationFailed");
        assert_eq!(
            (f.rule.id, f.rule.severity, f.attribute),
            ("AMLS142", Severity::Warning, "subnet_id")
        );
        assert!(
            f.message.contains("resource group 'net-rg'")
                && f.message.contains("(AuthorizationFailed)")
        );
        assert!(f.fix.contains("Microsoft.Authorization/locks/read"));
    }

    #[test]
    fn rules_are_in_the_catalogue_as_warnings() {
        for (rule, id) in [(&NETWORK_QUOTA, "AMLS141"), (&RESOURCE_LOCKS, "AMLS142")] {
            assert_eq!(
                (rule.id, rule.severity, rule.seed_section),
                (id, Severity::Warning, seed_section::COMPUTE)
            );
            assert!(CATALOGUE.contains(&rule), "{id} missing from CATALOGUE");
        }
    }

    #[test]
    fn quota_with_room_passes() {
        for (nsg, pip, lb, clusters) in [
            ((0, 1000), (0, 1000), (0, 1000), 3),
            ((997, 1000), (997, 1000), (997, 1000), 3), // exactly enough
            ((1000, 1000), (1000, 1000), (1000, 1000), 0),
            ((2000, 1000), (0, 10), (0, 10), 0), // over the limit, but nothing planned
        ] {
            assert_eq!(
                check_network_quota(&usages(nsg, pip, lb), "westeurope", clusters),
                vec![],
                "{nsg:?} {pip:?} {lb:?} {clusters}"
            );
        }
        // Unknown usages are not checked; names compare case-insensitively.
        assert_eq!(check_network_quota(&[], "westeurope", 5), vec![]);
        let other = [Usage {
            name: "VirtualNetworks".into(),
            current: 50,
            limit: 50,
        }];
        assert_eq!(check_network_quota(&other, "westeurope", 5), vec![]);
        let lower = [Usage {
            name: "loadbalancers".into(),
            current: 50,
            limit: 50,
        }];
        assert_eq!(check_network_quota(&lower, "westeurope", 1).len(), 1);
    }

    #[test]
    fn quota_one_short_warns_with_numbers() {
        // (usages, clusters, message middle, fix)
        for (u, clusters, in_use, fix) in [
            (
                usages((998, 1000), (0, 1000), (0, 1000)),
                3,
                "998 of 1000 network security groups, and 3 new compute clusters need",
                "Request a quota increase in westeurope for network security groups to at least \
                 1001, or plan at most 2 clusters",
            ),
            (
                usages((1000, 1000), (1000, 1000), (9, 10)),
                1,
                "1000 of 1000 network security groups and 1000 of 1000 public IP addresses, and 1 \
                 new compute cluster needs",
                "Request a quota increase in westeurope for network security groups to at least \
                 1001 and public IP addresses to at least 1001",
            ),
            (
                usages((10, 20), (9, 10), (48, 50)),
                3,
                "9 of 10 public IP addresses and 48 of 50 load balancers, and 3 new compute \
                 clusters need",
                "Request a quota increase in westeurope for public IP addresses to at least 12 and \
                 load balancers to at least 51, or plan only 1 cluster",
            ),
            (
                usages((30, 20), (0, 10), (0, 10)), // already over the limit
                1,
                "30 of 20 network security groups, and 1 new compute cluster needs",
                "Request a quota increase in westeurope for network security groups to at least 31",
            ),
        ] {
            let findings = check_network_quota(&u, "westeurope", clusters);
            assert_eq!(findings.len(), 1);
            let f = &findings[0];
            assert_eq!((f.rule.id, f.attribute), ("AMLS141", "subnet_id"));
            assert_eq!(
                f.message,
                format!(
                    "in westeurope the subscription uses {in_use} one of each in the virtual \
                     network's resource group"
                )
            );
            assert_eq!(f.fix, fix);
        }
    }

    #[test]
    fn no_locks_no_finding() {
        assert_eq!(
            check_locks(&[], "rg-net", LockedCompute::ComputeClusters),
            vec![]
        );
    }

    #[test]
    fn locks_warn_with_what_they_block() {
        use LockLevel::{CanNotDelete, ReadOnly};
        use LockScope::{ResourceGroup, Subscription};
        for (locks, message, fix) in [
            (
                vec![lock("keep", CanNotDelete, ResourceGroup)],
                "lock 'keep' (CanNotDelete) on resource group 'rg-net' stops Azure Machine Learning \
                 from deleting the network security group, public IP address and load balancer of \
                 each compute cluster in resource group 'rg-net', so deleting a cluster fails",
                "Remove lock 'keep', or use a virtual network in a resource group and subscription \
                 without locks",
            ),
            (
                vec![
                    lock("keep", CanNotDelete, ResourceGroup),
                    lock("frozen", ReadOnly, Subscription),
                ],
                "lock 'keep' (CanNotDelete) on resource group 'rg-net' and lock 'frozen' (ReadOnly) \
                 on the subscription stop Azure Machine Learning from creating or deleting the \
                 network security group, public IP address and load balancer of each compute \
                 cluster in resource group 'rg-net', so clusters can neither be created nor deleted",
                "Remove locks 'keep' and 'frozen', or use a virtual network in a resource group and \
                 subscription without locks",
            ),
            (
                vec![lock("audit", CanNotDelete, Subscription)],
                "lock 'audit' (CanNotDelete) on the subscription stops Azure Machine Learning from \
                 deleting the network security group, public IP address and load balancer of each \
                 compute cluster in resource group 'rg-net', so deleting a cluster fails",
                "Remove lock 'audit', or use a virtual network in a resource group and subscription \
                 without locks",
            ),
            (
                vec![
                    lock("keep", CanNotDelete, ResourceGroup),
                    lock("audit", CanNotDelete, Subscription),
                ],
                "lock 'keep' (CanNotDelete) on resource group 'rg-net' and lock 'audit' \
                 (CanNotDelete) on the subscription stop Azure Machine Learning from deleting the \
                 network security group, public IP address and load balancer of each compute \
                 cluster in resource group 'rg-net', so deleting a cluster fails",
                "Remove locks 'keep' and 'audit', or use a virtual network in a resource group and \
                 subscription without locks",
            ),
            (
                vec![lock("frozen", ReadOnly, ResourceGroup)],
                "lock 'frozen' (ReadOnly) on resource group 'rg-net' stops Azure Machine Learning \
                 from creating or deleting the network security group, public IP address and load \
                 balancer of each compute cluster in resource group 'rg-net', so clusters can \
                 neither be created nor deleted",
                "Remove lock 'frozen', or use a virtual network in a resource group and \
                 subscription without locks",
            ),
        ] {
            let findings = check_locks(&locks, "rg-net", LockedCompute::ComputeClusters);
            assert_eq!(findings.len(), 1);
            let f = &findings[0];
            assert_eq!((f.rule.id, f.attribute), ("AMLS142", "subnet_id"));
            assert_eq!(f.message, message);
            assert_eq!(f.fix, fix);
        }
    }
}
