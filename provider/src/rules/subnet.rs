//! Subnet capacity for compute clusters: one IP address per node (REFERENCE §10 rules 1, 4, 5;
//! seed section "Use a Machine Learning Compute instance").

use crate::rules::addresses::{self, Ipv4Net, NetError};

use super::{Finding, Rule, Severity};

/// Too few free addresses for `max_nodes`. An error: the seed says the subnet "must have enough
/// unassigned IP addresses", and a cluster short of them is only partially allocated
/// (REFERENCE §10 rule 5); `rule_severity` can make it a warning.
pub static SUBNET_CAPACITY: Rule = Rule {
    id: "AMLS101",
    title: "Subnet has fewer free IP addresses than the compute cluster's maximum node count",
    seed_section: "Use a Machine Learning Compute instance",
    severity: Severity::Error,
};

/// How a subnet's addresses are spent. `size = reserved + in_use + free`, unless more addresses
/// are reported in use than exist, in which case `free` is 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetCapacity {
    /// The subnet's IPv4 prefixes (`addressPrefix`, or each of `addressPrefixes`).
    pub prefixes: Vec<Ipv4Net>,
    /// All addresses in the prefixes, 2^(32 − len) each.
    pub size: u64,
    /// Kept by Azure in every prefix of a subnet, five each (REFERENCE §10 rule 1).
    pub reserved: u64,
    /// IP configurations already in the subnet (NICs, private endpoints, ...).
    pub in_use: u64,
    pub free: u64,
}

/// Breaks down a subnet's addresses over all its prefixes. `ip_configurations_in_use` is the
/// length of the subnet's `properties.ipConfigurations`, which ignores some consumers, so
/// `free` is an estimate (REFERENCE §10 rule 4). Errors when a prefix is not a valid Azure
/// subnet size (/2 to /29).
pub fn subnet_capacity(
    prefixes: &[Ipv4Net],
    ip_configurations_in_use: u64,
) -> Result<SubnetCapacity, NetError> {
    let mut usable = 0u64;
    for &prefix in prefixes {
        usable += addresses::usable_ips(prefix)?;
    }
    Ok(SubnetCapacity {
        prefixes: prefixes.to_vec(),
        size: prefixes.iter().map(|&p| addresses::address_count(p)).sum(),
        reserved: addresses::AZURE_RESERVED_ADDRESSES * prefixes.len() as u64,
        in_use: ip_configurations_in_use,
        free: usable.saturating_sub(ip_configurations_in_use),
    })
}

/// [`SUBNET_CAPACITY`]: every node of a compute cluster takes one address from its subnet, so
/// `max_nodes` must not exceed the free addresses (REFERENCE §10 rule 5).
pub fn check_subnet_capacity(capacity: &SubnetCapacity, max_nodes: u64) -> Vec<Finding> {
    if capacity.free >= max_nodes {
        return Vec::new();
    }
    let SubnetCapacity {
        ref prefixes,
        size,
        reserved,
        in_use,
        free,
    } = *capacity;
    let message = format!(
        "subnet {} has {size} addresses: {reserved} reserved by Azure, {in_use} in use and \
         {free} free, fewer than max_nodes {max_nodes}, so the cluster will be partially allocated",
        super::join_and(prefixes)
    );
    let larger = if prefixes.len() > 1 {
        // Another prefix brings its own five reserved addresses.
        match fitting_prefix_len(0, max_nodes - free) {
            Some(len) => format!("Add a /{len} or larger prefix to the subnet"),
            None => "Spread the nodes over several clusters and subnets".to_owned(),
        }
    } else {
        match fitting_prefix_len(in_use, max_nodes) {
            Some(len) => {
                let free_then = (1u64 << (32 - u32::from(len))) - reserved - in_use;
                format!("Use a /{len} or larger subnet ({free_then} free with {in_use} in use)")
            }
            None => "Spread the nodes over several clusters and subnets".to_owned(),
        }
    };
    let lower = if free > 0 {
        format!("lower max_nodes to {free}")
    } else {
        "free addresses in the subnet".to_owned()
    };
    let finding = Finding::new(
        &SUBNET_CAPACITY,
        "max_nodes",
        message,
        format!("{larger}, or {lower}"),
    );
    vec![if free > 0 {
        finding.suggesting("max_nodes", free)
    } else {
        finding
    }]
}

/// The longest prefix length (smallest subnet) with room for `max_nodes` besides the reserved
/// and in-use addresses; `None` if even Azure's largest subnet, a /2, is too small.
fn fitting_prefix_len(in_use: u64, max_nodes: u64) -> Option<u8> {
    let needed = addresses::AZURE_RESERVED_ADDRESSES
        .checked_add(in_use)?
        .checked_add(max_nodes)?;
    let host_bits = needed.checked_next_power_of_two()?.trailing_zeros();
    let len = 32u32.checked_sub(host_bits)?;
    // At least 5 addresses are needed, so `len` is never above /29, Azure's smallest subnet.
    let len = u8::try_from(len).ok()?;
    (len >= addresses::LARGEST_SUBNET_PREFIX_LEN).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacity(prefix: &str, in_use: u64) -> SubnetCapacity {
        subnet_capacity(&[prefix.parse().unwrap()], in_use).unwrap()
    }

    fn capacity_of(prefixes: &[&str], in_use: u64) -> SubnetCapacity {
        let prefixes: Vec<Ipv4Net> = prefixes.iter().map(|p| p.parse().unwrap()).collect();
        subnet_capacity(&prefixes, in_use).unwrap()
    }

    #[test]
    fn capacity_breakdown_table() {
        for (prefix, in_use, size, free) in [
            ("10.0.0.0/29", 0, 8, 3),
            ("10.0.0.0/29", 3, 8, 0),
            ("10.0.0.0/29", 7, 8, 0), // more reported than exist: saturates
            ("10.0.1.0/28", 3, 16, 8),
            ("10.0.1.0/24", 0, 256, 251),
            ("10.0.0.0/24", 251, 256, 0),
            ("10.0.0.0/16", 1000, 65_536, 64_531),
            ("0.0.0.0/2", 0, 1 << 30, (1 << 30) - 5),
        ] {
            let c = capacity(prefix, in_use);
            assert_eq!(
                (c.size, c.reserved, c.in_use, c.free),
                (size, 5, in_use, free),
                "{prefix}"
            );
        }
    }

    #[test]
    fn capacity_rejects_invalid_subnet_sizes() {
        for (prefix, expected) in [
            ("10.0.0.0/30", "SubnetTooSmall"),
            ("10.0.0.0/32", "SubnetTooSmall"),
            ("0.0.0.0/1", "SubnetTooLarge"),
        ] {
            let err = subnet_capacity(&[prefix.parse().unwrap()], 0).unwrap_err();
            assert!(
                format!("{err:?}").starts_with(expected),
                "{prefix}: {err:?}"
            );
        }
    }

    #[test]
    fn every_prefix_of_a_subnet_counts_with_its_own_five_reserved() {
        // Two /28s: 32 addresses, 10 reserved, 22 usable.
        let c = capacity_of(&["10.0.1.0/28", "10.0.2.0/28"], 0);
        assert_eq!((c.size, c.reserved, c.in_use, c.free), (32, 10, 0, 22));
        let c = capacity_of(&["10.0.1.0/28", "10.0.2.0/28", "10.0.3.0/27"], 4);
        assert_eq!((c.size, c.reserved, c.in_use, c.free), (64, 15, 4, 45));
        assert!(
            check_subnet_capacity(&capacity_of(&["10.0.1.0/28", "10.0.2.0/28"], 0), 22).is_empty()
        );
        let short = check_subnet_capacity(&capacity_of(&["10.0.1.0/28", "10.0.2.0/28"], 0), 30);
        assert_eq!(
            short[0].message,
            "subnet 10.0.1.0/28 and 10.0.2.0/28 has 32 addresses: 10 reserved by Azure, 0 in use \
             and 22 free, fewer than max_nodes 30, so the cluster will be partially allocated"
        );
        // 8 more nodes need a /28 (16, 5 of them reserved).
        assert_eq!(
            short[0].fix,
            "Add a /28 or larger prefix to the subnet, or lower max_nodes to 22"
        );
        let empty = subnet_capacity(&[], 0).unwrap();
        assert_eq!((empty.size, empty.free), (0, 0));
    }

    #[test]
    fn passes_when_free_covers_max_nodes() {
        for (prefix, in_use, max_nodes) in [
            ("10.0.1.0/28", 3, 8), // exactly enough
            ("10.0.1.0/28", 0, 11),
            ("10.0.0.0/29", 0, 3),
            ("10.0.0.0/24", 0, 0),
            ("10.0.0.0/29", 3, 0),
            ("10.0.0.0/16", 1000, 4),
        ] {
            assert_eq!(
                check_subnet_capacity(&capacity(prefix, in_use), max_nodes),
                vec![],
                "{prefix} {in_use} {max_nodes}"
            );
        }
    }

    #[test]
    fn fails_one_past_the_boundary_with_numbers_and_fixes() {
        // (prefix, in use, max_nodes, size, free, suggested prefix, free in suggestion)
        for (prefix, in_use, max_nodes, size, free, fit, free_then) in [
            ("10.0.1.0/28", 3, 9, 16, 8, 27, 24),
            ("10.0.1.0/28", 0, 12, 16, 11, 27, 27),
            ("10.0.0.0/29", 0, 4, 8, 3, 28, 11),
            ("10.0.0.0/24", 200, 52, 256, 51, 23, 307),
            ("10.0.0.0/24", 0, 252, 256, 251, 23, 507),
            ("10.0.0.0/24", 0, 507, 256, 251, 23, 507), // exactly fills a /23
            ("10.0.0.0/24", 0, 508, 256, 251, 22, 1019),
        ] {
            let findings = check_subnet_capacity(&capacity(prefix, in_use), max_nodes);
            assert_eq!(findings.len(), 1, "{prefix} {max_nodes}");
            let f = &findings[0];
            assert_eq!((f.rule.id, f.attribute), ("AMLS101", "max_nodes"));
            assert_eq!(
                f.message,
                format!(
                    "subnet {prefix} has {size} addresses: 5 reserved by Azure, {in_use} in use and \
                     {free} free, fewer than max_nodes {max_nodes}, so the cluster will be partially allocated"
                )
            );
            assert_eq!(
                f.fix,
                format!(
                    "Use a /{fit} or larger subnet ({free_then} free with {in_use} in use), \
                     or lower max_nodes to {free}"
                )
            );
        }
    }

    #[test]
    fn full_subnet_asks_to_free_addresses() {
        let findings = check_subnet_capacity(&capacity("10.0.0.0/29", 3), 1);
        assert_eq!(
            findings[0].fix,
            "Use a /28 or larger subnet (8 free with 3 in use), or free addresses in the subnet"
        );
        assert!(
            findings[0]
                .to_string()
                .starts_with("AMLS101: subnet 10.0.0.0/29 has 8 addresses")
        );
    }

    #[test]
    fn no_subnet_is_large_enough() {
        let findings = check_subnet_capacity(&capacity("10.0.0.0/24", 0), 1 << 30);
        assert_eq!(
            findings[0].fix,
            "Spread the nodes over several clusters and subnets, or lower max_nodes to 251"
        );
        assert_eq!(fitting_prefix_len(0, (1 << 30) - 5), Some(2));
        assert_eq!(fitting_prefix_len(0, (1 << 30) - 4), None);
        assert_eq!(fitting_prefix_len(u64::MAX, 1), None);
        assert_eq!(fitting_prefix_len(0, 0), Some(29));
    }

    proptest::proptest! {
        /// The max_nodes a finding proposes fits the same subnet.
        #[test]
        fn the_proposed_node_count_fits(
            len in 16u8..=29,
            in_use in 0u64..300,
            max_nodes in 1u64..5000,
        ) {
            let prefix = Ipv4Net::new(std::net::Ipv4Addr::new(10, 0, 0, 0), len).unwrap();
            let capacity = subnet_capacity(&[prefix], in_use).unwrap();
            for finding in check_subnet_capacity(&capacity, max_nodes) {
                for suggestion in &finding.suggestions {
                    let proposed: u64 = suggestion.value.parse().unwrap();
                    proptest::prop_assert!(check_subnet_capacity(&capacity, proposed).is_empty());
                    proptest::prop_assert!(proposed >= 1);
                }
            }
        }
    }
}
