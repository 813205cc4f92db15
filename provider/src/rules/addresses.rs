//! Pure IPv4 address arithmetic for the rules: strict CIDR parsing, Azure subnet sizes, overlaps.
//!
//! Everything here works on [`Ipv4Net`] values and knows nothing of Terraform or ARM. Errors are
//! [`NetError`], whose `Display` text is written for the person editing the configuration.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

pub use ipnet::Ipv4Net;

/// Addresses Azure keeps in every subnet: network, gateway, two for DNS, broadcast (REFERENCE §10 rule 1).
pub const AZURE_RESERVED_ADDRESSES: u64 = 5;
/// Shortest prefix (largest subnet) Azure accepts (REFERENCE §10 rule 1).
pub const LARGEST_SUBNET_PREFIX_LEN: u8 = 2;
/// Longest prefix (smallest subnet) Azure accepts (REFERENCE §10 rule 1).
pub const SMALLEST_SUBNET_PREFIX_LEN: u8 = 29;

/// The RFC 1918 private ranges, in the order suggestions are searched.
pub const PRIVATE_RANGES: [Ipv4Net; 3] = [
    Ipv4Net::new_assert(Ipv4Addr::new(10, 0, 0, 0), 8),
    Ipv4Net::new_assert(Ipv4Addr::new(172, 16, 0, 0), 12),
    Ipv4Net::new_assert(Ipv4Addr::new(192, 168, 0, 0), 16),
];

/// Why a value is not a usable IPv4 address or range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// Not an IPv4 CIDR range at all.
    InvalidCidr { input: String },
    /// Not an IPv4 address at all.
    InvalidAddress { input: String },
    /// An IPv6 address or range where IPv4 is required.
    Ipv6 { input: String },
    /// A bare address where a range (`address/prefix`) is required.
    MissingPrefix { input: String },
    /// Bits set below the prefix, e.g. `10.0.0.5/24`; `network` is the range that was probably meant.
    HostBitsSet { input: String, network: Ipv4Net },
    /// Longer prefix than /29, Azure's smallest subnet (REFERENCE §10 rule 1).
    SubnetTooSmall { net: Ipv4Net },
    /// Shorter prefix than /2, Azure's largest subnet (REFERENCE §10 rule 1).
    SubnetTooLarge { net: Ipv4Net },
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCidr { input } => write!(
                f,
                "{input:?} is not an IPv4 CIDR range; write it as address/prefix, for example 10.0.0.0/16"
            ),
            Self::InvalidAddress { input } => write!(
                f,
                "{input:?} is not an IPv4 address; write it as four dotted numbers, for example 10.0.0.10"
            ),
            Self::Ipv6 { input } => write!(
                f,
                "{input:?} is an IPv6 value, but only IPv4 is supported here"
            ),
            Self::MissingPrefix { input } => {
                let example = input
                    .parse::<Ipv4Addr>()
                    .ok()
                    .and_then(|addr| Ipv4Net::new(addr, 24).ok())
                    .map_or_else(|| "10.0.0.0/24".to_owned(), |net| net.trunc().to_string());
                write!(
                    f,
                    "{input:?} is a single address, not a CIDR range; add the prefix length, for example {example}"
                )
            }
            Self::HostBitsSet { input, network } => write!(
                f,
                "{input} is not a network address because bits are set below the /{} prefix; use {network}",
                network.prefix_len()
            ),
            Self::SubnetTooSmall { net } => write!(
                f,
                "{net} is smaller than Azure's smallest subnet, a /{SMALLEST_SUBNET_PREFIX_LEN} (8 addresses)"
            ),
            Self::SubnetTooLarge { net } => write!(
                f,
                "{net} is larger than Azure's largest subnet, a /{LARGEST_SUBNET_PREFIX_LEN}"
            ),
        }
    }
}

impl std::error::Error for NetError {}

/// Parses a subnet or address range strictly: IPv4, with a prefix, and no bits set below it.
///
/// Host bits are rejected because Azure rejects them for address prefixes, and because they
/// usually mean a typo (`10.0.0.5/24` for `10.0.0.0/24`).
pub fn parse_cidr(input: &str) -> Result<Ipv4Net, NetError> {
    let net = parse_host_cidr(input)?;
    if net.addr() == net.network() {
        Ok(net)
    } else {
        Err(NetError::HostBitsSet {
            input: input.to_owned(),
            network: net.trunc(),
        })
    }
}

/// Parses a CIDR that may carry a host address, such as the docker bridge `172.17.0.1/16`
/// (REFERENCE §10 rule 19). The address is kept as written; range arithmetic ignores the host bits.
pub fn parse_host_cidr(input: &str) -> Result<Ipv4Net, NetError> {
    let Some((addr, prefix)) = input.split_once('/') else {
        return Err(if input.parse::<Ipv4Addr>().is_ok() {
            NetError::MissingPrefix {
                input: input.to_owned(),
            }
        } else {
            not_ipv4(
                input,
                NetError::InvalidCidr {
                    input: input.to_owned(),
                },
            )
        });
    };
    let invalid = || NetError::InvalidCidr {
        input: input.to_owned(),
    };
    let addr = addr
        .parse::<Ipv4Addr>()
        .map_err(|_| not_ipv4(input, invalid()))?;
    let prefix_len = parse_prefix_len(prefix).ok_or_else(invalid)?;
    Ipv4Net::new(addr, prefix_len).map_err(|_| invalid())
}

/// Parses a single IPv4 address, such as a DNS service IP.
pub fn parse_ipv4(input: &str) -> Result<Ipv4Addr, NetError> {
    input.parse::<Ipv4Addr>().map_err(|_| {
        not_ipv4(
            input,
            NetError::InvalidAddress {
                input: input.to_owned(),
            },
        )
    })
}

/// `fallback`, unless `input` is IPv6, which deserves its own message.
fn not_ipv4(input: &str, fallback: NetError) -> NetError {
    let addr = input.split_once('/').map_or(input, |(addr, _)| addr);
    if addr.parse::<Ipv6Addr>().is_ok() {
        NetError::Ipv6 {
            input: input.to_owned(),
        }
    } else {
        fallback
    }
}

/// A prefix length in canonical decimal (`0`..=`32`, no sign, no leading zero).
fn parse_prefix_len(text: &str) -> Option<u8> {
    let canonical = !text.is_empty()
        && text.len() <= 2
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    let len: u8 = text.parse().ok().filter(|_| canonical)?;
    (len <= 32).then_some(len)
}

/// Number of addresses in the range, 2^(32 − prefix length).
pub fn address_count(net: Ipv4Net) -> u64 {
    1u64 << (32 - u32::from(net.prefix_len()))
}

/// Checks that `net` has a prefix length Azure accepts for a subnet, /2 to /29 (REFERENCE §10 rule 1).
pub fn check_subnet_size(net: Ipv4Net) -> Result<(), NetError> {
    match net.prefix_len() {
        len if len > SMALLEST_SUBNET_PREFIX_LEN => Err(NetError::SubnetTooSmall { net }),
        len if len < LARGEST_SUBNET_PREFIX_LEN => Err(NetError::SubnetTooLarge { net }),
        _ => Ok(()),
    }
}

/// Addresses a subnet offers to VMs and other consumers: 2^(32 − len) − 5, because Azure keeps
/// five per subnet (REFERENCE §10 rule 1). Errors for prefixes Azure does not accept for subnets.
pub fn usable_ips(net: Ipv4Net) -> Result<u64, NetError> {
    check_subnet_size(net)?;
    Ok(address_count(net) - AZURE_RESERVED_ADDRESSES)
}

/// Whether the two ranges share at least one address. Host bits are ignored.
pub fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.network() <= b.broadcast() && b.network() <= a.broadcast()
}

/// Every `(i, j)` such that `left[i]` overlaps `right[j]`, ordered by `i` then `j`.
pub fn overlapping_pairs(left: &[Ipv4Net], right: &[Ipv4Net]) -> Vec<(usize, usize)> {
    left.iter()
        .enumerate()
        .flat_map(|(i, &a)| {
            right
                .iter()
                .enumerate()
                .filter(move |&(_, &b)| overlaps(a, b))
                .map(move |(j, _)| (i, j))
        })
        .collect()
}

/// Every `(i, j)` with `i < j` such that `nets[i]` overlaps `nets[j]`, e.g. sibling subnets
/// (REFERENCE §10 rule 2). Ordered by `i` then `j`.
pub fn overlapping_pairs_within(nets: &[Ipv4Net]) -> Vec<(usize, usize)> {
    overlapping_pairs(nets, nets)
        .into_iter()
        .filter(|&(i, j)| i < j)
        .collect()
}

/// The lowest aligned `/prefix_len` block inside one of `pools` (searched in order) that overlaps
/// none of `avoid`; used to suggest a concrete replacement range in a fix.
pub fn first_free_block(prefix_len: u8, pools: &[Ipv4Net], avoid: &[Ipv4Net]) -> Option<Ipv4Net> {
    if prefix_len > 32 {
        return None;
    }
    let size = 1u64 << (32 - u32::from(prefix_len));
    pools
        .iter()
        .filter(|pool| pool.prefix_len() <= prefix_len)
        .find_map(|pool| {
            let end = u64::from(u32::from(pool.broadcast()));
            // Pool starts are aligned to `size` because the pool is at least as large as a block.
            let mut start = u64::from(u32::from(pool.network()));
            while start + size - 1 <= end {
                let candidate =
                    Ipv4Net::new(Ipv4Addr::from(u32::try_from(start).ok()?), prefix_len).ok()?;
                let blocked_until = avoid
                    .iter()
                    .filter(|&&a| overlaps(candidate, a))
                    .map(|a| u64::from(u32::from(a.broadcast())))
                    .max();
                match blocked_until {
                    None => return Some(candidate),
                    Some(last) => start = (last + 1).next_multiple_of(size),
                }
            }
            None
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn parse_cidr_accepts_networks() {
        for (input, len) in [
            ("10.0.0.0/24", 24),
            ("10.0.0.0/8", 8),
            ("0.0.0.0/0", 0),
            ("192.168.1.7/32", 32),
            ("172.16.0.0/12", 12),
        ] {
            let parsed = parse_cidr(input).unwrap();
            assert_eq!(parsed.prefix_len(), len, "{input}");
            assert_eq!(parsed.to_string(), input);
        }
    }

    #[test]
    fn parse_cidr_rejects_host_bits_and_names_the_network() {
        for (input, network) in [
            ("10.0.0.5/24", "10.0.0.0/24"),
            ("172.17.0.1/16", "172.17.0.0/16"),
            ("10.0.0.1/31", "10.0.0.0/31"),
            ("10.128.0.0/8", "10.0.0.0/8"),
        ] {
            let err = parse_cidr(input).unwrap_err();
            assert_eq!(
                err,
                NetError::HostBitsSet {
                    input: input.to_owned(),
                    network: net(network)
                }
            );
            let text = err.to_string();
            assert!(
                text.contains(input) && text.contains(&format!("use {network}")),
                "{text}"
            );
        }
    }

    #[test]
    fn parse_cidr_rejects_ipv6() {
        for input in ["fd00::/64", "::/0", "2001:db8::1/128", "::1"] {
            assert_eq!(
                parse_cidr(input),
                Err(NetError::Ipv6 {
                    input: input.to_owned()
                }),
                "{input}"
            );
        }
        assert!(
            parse_cidr("fd00::/64")
                .unwrap_err()
                .to_string()
                .contains("IPv6")
        );
    }

    #[test]
    fn parse_cidr_rejects_bare_address() {
        let err = parse_cidr("10.0.1.7").unwrap_err();
        assert_eq!(
            err,
            NetError::MissingPrefix {
                input: "10.0.1.7".to_owned()
            }
        );
        assert!(err.to_string().contains("10.0.1.0/24"), "{err}");
    }

    #[test]
    fn parse_cidr_rejects_garbage() {
        for input in [
            "",
            "/",
            "10.0.0.0/",
            "/24",
            "10.0.0.0/33",
            "10.0.0.0/024",
            "10.0.0.0/08",
            "10.0.0.0/00",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "10.0.0.0/8 ",
            " 10.0.0.0/8",
            "10.0.0/8",
            "10.0.0.256/32",
            "010.0.0.0/8",
            "10.0.0.0/8/8",
            "ten.0.0.0/8",
            "10.0.0.0/1e1",
            "10.0.0.0/٣",
        ] {
            assert_eq!(
                parse_cidr(input),
                Err(NetError::InvalidCidr {
                    input: input.to_owned()
                }),
                "{input:?}"
            );
        }
        let text = parse_cidr("abc").unwrap_err().to_string();
        assert!(
            text.contains("\"abc\"") && text.contains("10.0.0.0/16"),
            "{text}"
        );
    }

    #[test]
    fn parse_host_cidr_keeps_the_host_address() {
        let bridge = parse_host_cidr("172.17.0.1/16").unwrap();
        assert_eq!(bridge.to_string(), "172.17.0.1/16");
        assert_eq!(bridge.network(), Ipv4Addr::new(172, 17, 0, 0));
        assert_eq!(parse_host_cidr("10.0.0.0/8"), Ok(net("10.0.0.0/8")));
        assert!(matches!(
            parse_host_cidr("fd00::1/64"),
            Err(NetError::Ipv6 { .. })
        ));
        assert!(matches!(
            parse_host_cidr("172.17.0.1"),
            Err(NetError::MissingPrefix { .. })
        ));
        assert!(matches!(
            parse_host_cidr("172.17.0.1/40"),
            Err(NetError::InvalidCidr { .. })
        ));
    }

    #[test]
    fn parse_ipv4_accepts_addresses_only() {
        assert_eq!(parse_ipv4("10.0.0.10"), Ok(Ipv4Addr::new(10, 0, 0, 10)));
        assert!(matches!(parse_ipv4("fd00::10"), Err(NetError::Ipv6 { .. })));
        for input in ["10.0.0.10/32", "10.0.0", "", "010.0.0.10", "10.0.0.10 "] {
            assert_eq!(
                parse_ipv4(input),
                Err(NetError::InvalidAddress {
                    input: input.to_owned()
                }),
                "{input:?}"
            );
        }
        assert!(
            parse_ipv4("x")
                .unwrap_err()
                .to_string()
                .contains("10.0.0.10")
        );
    }

    #[test]
    fn usable_ips_table() {
        for (input, usable) in [
            ("10.0.0.0/29", 3),
            ("10.0.0.0/28", 11),
            ("10.0.0.0/24", 251),
            ("10.0.0.0/16", 65_531),
            ("0.0.0.0/2", (1 << 30) - 5),
        ] {
            assert_eq!(usable_ips(net(input)), Ok(usable), "{input}");
        }
        for input in ["10.0.0.0/30", "10.0.0.0/31", "10.0.0.1/32"] {
            let err = usable_ips(net(input)).unwrap_err();
            assert_eq!(err, NetError::SubnetTooSmall { net: net(input) });
            assert!(err.to_string().contains("/29"), "{err}");
        }
        for input in ["0.0.0.0/1", "0.0.0.0/0"] {
            let err = usable_ips(net(input)).unwrap_err();
            assert_eq!(err, NetError::SubnetTooLarge { net: net(input) });
            assert!(err.to_string().contains("/2"), "{err}");
        }
    }

    #[test]
    fn overlap_table() {
        for (a, b, expected) in [
            ("10.0.0.0/24", "10.0.0.0/24", true),     // identical
            ("10.0.0.0/8", "10.1.2.0/24", true),      // b inside a
            ("10.1.2.0/24", "10.0.0.0/8", true),      // a inside b
            ("10.0.0.0/24", "10.0.1.0/24", false),    // adjacent above
            ("10.0.1.0/24", "10.0.0.0/24", false),    // adjacent below
            ("10.0.0.0/25", "10.0.0.128/25", false),  // halves
            ("10.0.0.255/32", "10.0.1.0/24", false),  // last vs first
            ("10.0.0.255/32", "10.0.0.0/24", true),   // broadcast address
            ("172.17.0.1/16", "172.17.5.0/24", true), // host-form
            ("0.0.0.0/0", "192.0.2.0/24", true),
        ] {
            assert_eq!(overlaps(net(a), net(b)), expected, "{a} vs {b}");
        }
    }

    #[test]
    fn overlapping_pairs_lists_every_pair_in_order() {
        let left = [
            net("10.0.0.0/16"),
            net("192.168.0.0/24"),
            net("10.0.5.0/24"),
        ];
        let right = [net("10.0.5.0/24"), net("172.16.0.0/12"), net("10.0.0.0/8")];
        assert_eq!(
            overlapping_pairs(&left, &right),
            vec![(0, 0), (0, 2), (2, 0), (2, 2)]
        );
        assert!(overlapping_pairs(&left, &[]).is_empty());
        assert_eq!(overlapping_pairs_within(&left), vec![(0, 2)]);
        assert_eq!(
            overlapping_pairs_within(&[net("10.0.0.0/24"), net("10.0.1.0/24")]),
            vec![]
        );
    }

    #[test]
    fn first_free_block_passes_over_blocked_ranges() {
        let pools = PRIVATE_RANGES;
        assert_eq!(first_free_block(16, &pools, &[]), Some(net("10.0.0.0/16")));
        assert_eq!(
            first_free_block(16, &pools, &[net("10.0.0.0/16"), net("10.1.0.0/24")]),
            Some(net("10.2.0.0/16"))
        );
        assert_eq!(
            first_free_block(16, &pools, &[net("10.0.0.0/8"), net("172.16.0.0/13")]),
            Some(net("172.24.0.0/16"))
        );
        // A /11 fits only in 10/8.
        assert_eq!(first_free_block(11, &pools, &[net("10.0.0.0/8")]), None);
        assert_eq!(
            first_free_block(
                24,
                &pools,
                &[
                    net("10.0.0.0/8"),
                    net("172.16.0.0/12"),
                    net("192.168.0.0/16")
                ]
            ),
            None
        );
        assert_eq!(first_free_block(33, &pools, &[]), None);
    }

    fn any_net() -> impl Strategy<Value = Ipv4Net> {
        (any::<u32>(), 0u8..=32)
            .prop_map(|(addr, len)| Ipv4Net::new(Ipv4Addr::from(addr), len).unwrap())
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric(a in any_net(), b in any_net()) {
            prop_assert_eq!(overlaps(a, b), overlaps(b, a));
        }

        #[test]
        fn a_net_overlaps_itself_and_its_supernet(a in any_net()) {
            prop_assert!(overlaps(a, a));
            if let Some(sup) = a.supernet() {
                prop_assert!(overlaps(a, sup));
            }
        }

        #[test]
        fn overlap_matches_address_membership(a in any_net(), b in any_net()) {
            // Two CIDR ranges overlap exactly when one contains the other's first address.
            let expected = a.contains(&b.network()) || b.contains(&a.network());
            prop_assert_eq!(overlaps(a, b), expected);
        }

        #[test]
        fn usable_ips_is_size_minus_five(len in 2u8..=29, addr in any::<u32>()) {
            let n = Ipv4Net::new(Ipv4Addr::from(addr), len).unwrap().trunc();
            let usable = usable_ips(n).unwrap();
            let span = u64::from(u32::from(n.broadcast()) - u32::from(n.network())) + 1;
            prop_assert_eq!(usable + AZURE_RESERVED_ADDRESSES, span);
            // Each step to a shorter prefix doubles the size.
            if let Some(sup) = n.supernet().filter(|s| s.prefix_len() >= 2) {
                prop_assert_eq!(usable_ips(sup).unwrap() + 5, 2 * (usable + 5));
            }
        }

        #[test]
        fn strict_parse_round_trips_networks(n in any_net()) {
            let n = n.trunc();
            prop_assert_eq!(parse_cidr(&n.to_string()), Ok(n));
        }

        #[test]
        fn free_block_overlaps_nothing_avoided(len in 8u8..=29, avoid in proptest::collection::vec(any_net(), 0..6)) {
            if let Some(block) = first_free_block(len, &PRIVATE_RANGES, &avoid) {
                prop_assert_eq!(block.prefix_len(), len);
                prop_assert_eq!(block, block.trunc());
                prop_assert!(PRIVATE_RANGES.iter().any(|p| p.contains(&block)));
                prop_assert!(avoid.iter().all(|&a| !overlaps(block, a)));
            }
        }
    }
}
