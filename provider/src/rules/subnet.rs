//! Subnet capacity for compute clusters: one IP address per node (REFERENCE §10 rules 1, 4, 5;
//! seed section "Use a Machine Learning Compute instance").

use crate::network::{self, Ipv4Net, NetError};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnetCapacity {
    pub prefix: Ipv4Net,
    /// All addresses in the prefix, 2^(32 − len).
    pub size: u64,
    /// Kept by Azure in every subnet (REFERENCE §10 rule 1).
    pub reserved: u64,
    /// IP configurations already in the subnet (NICs, private endpoints, ...).
    pub in_use: u64,
    pub free: u64,
}

/// Breaks down a subnet's addresses. `ip_configurations_in_use` is the length of the subnet's
/// `properties.ipConfigurations`, which ignores some consumers, so `free` is an estimate
/// (REFERENCE §10 rule 4). Errors when `prefix` is not a valid Azure subnet size (/2 to /29).
pub fn subnet_capacity(
    prefix: Ipv4Net,
    ip_configurations_in_use: u64,
) -> Result<SubnetCapacity, NetError> {
    let usable = network::usable_ips(prefix)?;
    Ok(SubnetCapacity {
        prefix,
        size: network::address_count(prefix),
        reserved: network::AZURE_RESERVED_ADDRESSES,
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
        prefix,
        size,
        reserved,
        in_use,
        free,
    } = *capacity;
    let message = format!(
        "subnet {prefix} has {size} addresses: {reserved} reserved by Azure, {in_use} in use and \
         {free} free, fewer than max_nodes {max_nodes}, so the cluster will be partially allocated"
    );
    let larger = match fitting_prefix_len(in_use, max_nodes) {
        Some(len) => {
            let free_then = (1u64 << (32 - u32::from(len))) - reserved - in_use;
            format!("Use a /{len} or larger subnet ({free_then} free with {in_use} in use)")
        }
        None => "Spread the nodes over several clusters and subnets".to_owned(),
    };
    let lower = if free > 0 {
        format!("lower max_nodes to {free}")
    } else {
        "free addresses in the subnet".to_owned()
    };
    vec![Finding::new(
        &SUBNET_CAPACITY,
        "max_nodes",
        message,
        format!("{larger}, or {lower}"),
    )]
}

/// The longest prefix length (smallest subnet) with room for `max_nodes` besides the reserved
/// and in-use addresses; `None` if even Azure's largest subnet, a /2, is too small.
fn fitting_prefix_len(in_use: u64, max_nodes: u64) -> Option<u8> {
    let needed = network::AZURE_RESERVED_ADDRESSES
        .checked_add(in_use)?
        .checked_add(max_nodes)?;
    let host_bits = needed.checked_next_power_of_two()?.trailing_zeros();
    let len = 32u32.checked_sub(host_bits)?;
    // At least 5 addresses are needed, so `len` is never above /29, Azure's smallest subnet.
    let len = u8::try_from(len).ok()?;
    (len >= network::LARGEST_SUBNET_PREFIX_LEN).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacity(prefix: &str, in_use: u64) -> SubnetCapacity {
        subnet_capacity(prefix.parse().unwrap(), in_use).unwrap()
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
            let err = subnet_capacity(prefix.parse().unwrap(), 0).unwrap_err();
            assert!(
                format!("{err:?}").starts_with(expected),
                "{prefix}: {err:?}"
            );
        }
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
}
