//! Reads outside the resource grammar: an NSG's default rules, the service tags and the
//! location's network usages.

use super::*;

pub fn special_get(st: &State, req: &Incoming, id: &ResId) -> Option<ArmResult<Reply>> {
    if id.type_key() != "microsoft.network/networksecuritygroups/defaultsecurityrules"
        || req.method != "GET"
    {
        return None;
    }
    // Both the collection and an item hang under the NSG.
    let nsg_id = id.parent()?;
    let Some(nsg) = st.store.get(&nsg_id.key()) else {
        return Some(Err(not_found(&nsg_id)));
    };
    let rules = Value::Array(default_rules(
        &nsg.id,
        nsg.etag.as_deref().unwrap_or_default(),
    ));
    if id.is_collection() {
        return Some(Ok(Reply::json(200, json!({ "value": rules }))));
    }
    let found = rules
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| {
            r["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(id.name()))
        })
        .cloned();
    Some(
        found
            .map(|r| Reply::json(200, r))
            .ok_or_else(|| not_found(id)),
    )
}

/// A read of `GET /subscriptions/{s}/providers/Microsoft.Network/locations/{location}/{collection}`:
/// `None` for any other path, else the subscription and location once the api-version, the
/// method and the subscription are checked.
fn regional_read<'p>(
    st: &State,
    req: &'p Incoming,
    collection: &str,
    what: &str,
) -> Option<ArmResult<(&'p str, &'p str)>> {
    let segs: Vec<&str> = req.path.trim_end_matches('/').split('/').collect();
    let ["", subs, sub, providers, ns, locations, location, last] = segs.as_slice() else {
        return None;
    };
    if !(subs.eq_ignore_ascii_case("subscriptions")
        && providers.eq_ignore_ascii_case("providers")
        && ns.eq_ignore_ascii_case("Microsoft.Network")
        && locations.eq_ignore_ascii_case("locations")
        && last.eq_ignore_ascii_case(collection))
    {
        return None;
    }
    Some((|| {
        check_api_version(req, ns)?;
        if req.method != "GET" {
            return Err(ArmError::new(
                405,
                "HttpMethodNotAllowed",
                format!("{what} are read-only."),
            ));
        }
        if !sub.eq_ignore_ascii_case(&st.subscription_id) {
            return Err(ArmError::new(
                404,
                "SubscriptionNotFound",
                format!("The subscription '{sub}' could not be found."),
            ));
        }
        Ok((*sub, *location))
    })())
}

/// `GET /subscriptions/{s}/providers/Microsoft.Network/locations/{location}/serviceTags`;
/// `None` for any other path.
pub fn service_tags_route(st: &State, req: &Incoming) -> Option<ArmResult<Reply>> {
    let (sub, location) = match regional_read(st, req, "serviceTags", "Service tags")? {
        Ok(found) => found,
        Err(error) => return Some(Err(error)),
    };
    if !service_tags::serves_location(location) {
        return Some(Err(ArmError::bad_request(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{location}' is not available for resource type 'Microsoft.Network/locations/serviceTags'. List of available regions for the resource type is '{}'.",
                service_tags::locations().join(",")
            ),
        )));
    }
    Some(Ok(Reply::json(200, st.service_tags.list_json(sub))))
}

const USAGES: &[(&str, &str, &str, u64)] = &[
    ("VirtualNetworks", "Virtual Networks", VNET, 1000),
    (
        "NetworkSecurityGroups",
        "Network Security Groups",
        NSG,
        5000,
    ),
    ("RouteTables", "Route Tables", ROUTE_TABLE, 200),
    (
        "PublicIPAddresses",
        "Public IP Addresses",
        "microsoft.network/publicipaddresses",
        1000,
    ),
    (
        "StaticPublicIPAddresses",
        "Static Public IP Addresses",
        "microsoft.network/publicipaddresses",
        1000,
    ),
    (
        "LoadBalancers",
        "Load Balancers",
        "microsoft.network/loadbalancers",
        1000,
    ),
    (
        "NetworkInterfaces",
        "Network Interfaces",
        "microsoft.network/networkinterfaces",
        65536,
    ),
    (
        "NetworkWatchers",
        "Network Watchers",
        "microsoft.network/networkwatchers",
        1,
    ),
];

/// `GET /subscriptions/{s}/providers/Microsoft.Network/locations/{location}/usages`.
pub fn subscription_route(st: &State, req: &Incoming) -> Option<ArmResult<Reply>> {
    let (sub, location) = match regional_read(st, req, "usages", "Usages")? {
        Ok(found) => found,
        Err(error) => return Some(Err(error)),
    };
    let wanted = normalize_location(location);
    let scope = format!("/subscriptions/{}", sub.to_ascii_lowercase());
    let value: Vec<Value> = USAGES
        .iter()
        .map(|(name, localized, type_key, default_limit)| {
            let stored = st
                .store
                .of_type(&scope, type_key)
                .into_iter()
                .filter(|e| {
                    e.body
                        .get("location")
                        .and_then(Value::as_str)
                        .is_some_and(|l| normalize_location(l) == wanted)
                })
                .count() as u64;
            let stored = if *name == "NetworkInterfaces" {
                stored + count_nics(st)
            } else {
                stored
            };
            let current = stored + st.usages.extra.get(*name).copied().unwrap_or(0);
            let limit = st.usages.limits.get(*name).copied().unwrap_or(*default_limit);
            json!({
                "id": format!("/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/usages/{name}"),
                "name": {"value": name, "localizedValue": localized},
                "currentValue": current,
                "limit": limit,
                "unit": "Count",
            })
        })
        .collect();
    Some(Ok(Reply::json(200, json!({ "value": value }))))
}

/// NICs the emulator implies (one per AML node).
fn count_nics(st: &State) -> u64 {
    st.store
        .all()
        .filter(|(_, e)| e.type_key == SUBNET)
        .map(|(k, _)| st.store.ip_configurations(k).len() as u64)
        .sum()
}
