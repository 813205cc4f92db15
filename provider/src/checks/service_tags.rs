//! Service tags from Azure's Service Tags API: the list, read through the ARM client's read
//! cache (so a plan reads it once per subscription and location however many resources ask),
//! and lookups in it by tag name and region.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::arm::models::service_tags::{ServiceTagInformation, ServiceTagsListResult};
use crate::arm::{ArmClient, ArmError, CallContext, api_version};

/// One service tag, its prefixes sorted into IPv4 and IPv6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTag {
    /// As Azure spells it, like `BatchNodeManagement.WestEurope`.
    pub name: String,
    /// Lower-case region, empty for a global tag.
    pub region: String,
    pub system_service: String,
    pub change_number: String,
    /// Every prefix as Azure lists it.
    pub address_prefixes: Vec<String>,
    pub ipv4_prefixes: Vec<Ipv4Net>,
    pub ipv6_prefixes: Vec<Ipv6Net>,
}

impl ServiceTag {
    fn from_arm(tag: &ServiceTagInformation) -> ServiceTag {
        let p = &tag.properties;
        let mut ipv4_prefixes = Vec::new();
        let mut ipv6_prefixes = Vec::new();
        for prefix in &p.address_prefixes {
            match prefix.parse::<IpNet>() {
                Ok(IpNet::V4(net)) => ipv4_prefixes.push(net),
                Ok(IpNet::V6(net)) => ipv6_prefixes.push(net),
                // Azure lists CIDRs only; anything else cannot be routed and is skipped.
                Err(_) => {}
            }
        }
        ServiceTag {
            name: tag
                .name
                .clone()
                .or_else(|| tag.id.clone())
                .unwrap_or_default(),
            region: p.region.clone().unwrap_or_default().to_ascii_lowercase(),
            system_service: p.system_service.clone().unwrap_or_default(),
            change_number: p.change_number.clone().unwrap_or_default(),
            address_prefixes: p.address_prefixes.clone(),
            ipv4_prefixes,
            ipv6_prefixes,
        }
    }
}

/// The cloud's service tags, as Azure lists them for `location` of `subscription`.
pub async fn list(
    arm: &ArmClient,
    ctx: &CallContext,
    subscription: &str,
    location: &str,
) -> Result<Vec<ServiceTag>, ArmError> {
    let path = format!(
        "/subscriptions/{subscription}/providers/Microsoft.Network/locations/{location}/serviceTags"
    );
    let list: ServiceTagsListResult = arm.get_cached(ctx, &path, api_version::NETWORK).await?;
    if list.is_partial() {
        // Acting on part of the list could drop routes Batch needs: refuse instead.
        return Err(ArmError::Decode {
            operation: format!("GET {path}"),
            message: "the service tag list continues on another page (nextLink), which this \
                      provider does not read; refusing to act on part of it"
                .to_owned(),
            correlation_id: None,
        });
    }
    Ok(from_list(&list))
}

/// The tags of a `ServiceTags_List` answer.
pub fn from_list(list: &ServiceTagsListResult) -> Vec<ServiceTag> {
    list.values.iter().map(ServiceTag::from_arm).collect()
}

/// `westeurope` for `West Europe` or `WestEurope`.
pub fn normalise_region(region: &str) -> String {
    region.replace(' ', "").to_ascii_lowercase()
}

/// The tag `name` (like `BatchNodeManagement`, any casing) in `region`, or the global tag when
/// `region` is `None`. A `name` with a region in it (`BatchNodeManagement.WestEurope`) is
/// looked up as it is.
pub fn find<'a>(
    tags: &'a [ServiceTag],
    name: &str,
    region: Option<&str>,
) -> Option<&'a ServiceTag> {
    match region {
        Some(region) => {
            let region = normalise_region(region);
            tags.iter().find(|t| {
                t.region == region
                    && t.name
                        .split_once('.')
                        .is_some_and(|(base, _)| base.eq_ignore_ascii_case(name))
            })
        }
        None => tags.iter().find(|t| t.name.eq_ignore_ascii_case(name)),
    }
}

/// Whether Azure's list has regional tags for `region` (any spelling: `West Europe`,
/// `westeurope`); when not, up to five regions it has that are close to it.
pub fn check_region(tags: &[ServiceTag], region: &str) -> Result<(), Vec<String>> {
    let wanted = normalise_region(region);
    let mut regions: Vec<&str> = tags
        .iter()
        .map(|t| t.region.as_str())
        .filter(|r| !r.is_empty())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    if regions.contains(&wanted.as_str()) {
        Ok(())
    } else {
        Err(close_regions(&regions, &wanted))
    }
}

/// Up to five of `regions` close to `wanted` (a few letters off, spaces and case aside),
/// closest first.
pub fn close_regions(regions: &[&str], wanted: &str) -> Vec<String> {
    let wanted = normalise_region(wanted);
    let mut scored: Vec<(usize, &str)> = regions
        .iter()
        .map(|r| (edit_distance(&wanted, r), *r))
        .filter(|(distance, _)| *distance <= (wanted.len() / 3).max(2))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(5)
        .map(|(_, r)| r.to_owned())
        .collect()
}

/// Up to five tag names close to `wanted` (containing it, or a few letters off), closest
/// first, for a diagnostic on a tag that does not exist.
pub fn close_names(tags: &[ServiceTag], wanted: &str) -> Vec<String> {
    let wanted = wanted.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = tags
        .iter()
        .filter_map(|t| {
            let name = t.name.to_ascii_lowercase();
            let base = name.split_once('.').map_or(name.as_str(), |(b, _)| b);
            let distance = edit_distance(&wanted, &name).min(edit_distance(&wanted, base));
            let close = distance <= (wanted.len() / 4).max(2)
                || (wanted.len() >= 4 && name.contains(&wanted));
            close.then_some((distance, t.name.as_str()))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, n)| n.to_owned())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::models::service_tags::ServiceTagProperties;

    #[test]
    fn a_list_with_a_next_link_is_partial() {
        for (answer, partial) in [
            (serde_json::json!({"values": []}), false),
            (serde_json::json!({"values": [], "nextLink": ""}), false),
            (
                serde_json::json!({"values": [], "nextLink": "https://management.azure.com/next"}),
                true,
            ),
        ] {
            let list: ServiceTagsListResult = serde_json::from_value(answer.clone()).unwrap();
            assert_eq!(list.is_partial(), partial, "{answer}");
        }
    }

    fn tag(name: &str, region: &str, prefixes: &[&str]) -> ServiceTag {
        ServiceTag::from_arm(&ServiceTagInformation {
            name: Some(name.into()),
            id: Some(name.into()),
            properties: ServiceTagProperties {
                change_number: Some("3".into()),
                region: Some(region.into()),
                system_service: Some("Batch".into()),
                address_prefixes: prefixes.iter().map(|p| (*p).to_owned()).collect(),
            },
        })
    }

    fn tags() -> Vec<ServiceTag> {
        vec![
            tag("BatchNodeManagement", "", &["198.18.0.0/24"]),
            tag(
                "BatchNodeManagement.WestEurope",
                "westeurope",
                &["198.18.0.0/25"],
            ),
            tag("BatchNodeManagement.EastUS", "eastus", &["198.18.0.128/25"]),
            tag("Storage", "", &[]),
            tag("Storage.WestEurope", "westeurope", &[]),
        ]
    }

    #[test]
    fn prefixes_are_sorted_by_family() {
        let t = tag(
            "X",
            "WestEurope",
            &["198.18.0.0/24", "2001:db8::/64", "bad"],
        );
        assert_eq!(
            t.ipv4_prefixes,
            ["198.18.0.0/24".parse::<Ipv4Net>().unwrap()]
        );
        assert_eq!(
            t.ipv6_prefixes,
            ["2001:db8::/64".parse::<Ipv6Net>().unwrap()]
        );
        assert_eq!(t.address_prefixes.len(), 3);
        assert_eq!(t.region, "westeurope");
    }

    #[test]
    fn lookups_by_name_and_region() {
        let tags = tags();
        let name = |t: Option<&ServiceTag>| t.map(|t| t.name.clone());
        for (wanted, region, expected) in [
            ("BatchNodeManagement", None, Some("BatchNodeManagement")),
            (
                "batchnodemanagement",
                Some("westeurope"),
                Some("BatchNodeManagement.WestEurope"),
            ),
            (
                "BatchNodeManagement",
                Some("West Europe"),
                Some("BatchNodeManagement.WestEurope"),
            ),
            (
                "BatchNodeManagement.eastus",
                None,
                Some("BatchNodeManagement.EastUS"),
            ),
            ("BatchNodeManagement", Some("northeurope"), None),
            ("Batch", None, None),
        ] {
            assert_eq!(
                name(find(&tags, wanted, region)),
                expected.map(str::to_owned),
                "{wanted} {region:?}"
            );
        }
    }

    #[test]
    fn close_names_for_typos_and_fragments() {
        let tags = tags();
        assert_eq!(
            close_names(&tags, "BatchNodeManagment"),
            [
                "BatchNodeManagement",
                "BatchNodeManagement.EastUS",
                "BatchNodeManagement.WestEurope"
            ]
        );
        assert_eq!(
            close_names(&tags, "storag"),
            ["Storage", "Storage.WestEurope"]
        );
        assert_eq!(close_names(&tags, "Cosmos"), Vec::<String>::new());
    }
}
