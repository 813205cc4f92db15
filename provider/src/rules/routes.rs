//! Forced tunnelling: the compute subnet's route table must send Azure Batch's management
//! addresses straight to the Internet (REFERENCE §10 rule 12, §7.4; seed section "User-defined
//! routes for forced tunneling"), and under today's guidance Azure Machine Learning's too, those
//! of the compute's region and of its paired region.
//!
//! Routes are chosen the way Azure chooses them: the longest prefix containing the destination
//! wins; a route whose address prefix is a service tag counts with the length of the tag's own
//! prefixes, behind an explicit route of the same prefix, and a regional tag ahead of the global
//! one; without a matching user route, Azure's system route sends public addresses to the
//! Internet. Not modelled: routes learnt over BGP from a gateway (a default route advertised
//! by ExpressRoute or VPN tunnels traffic without any route table entry), and service tags other
//! than the one checked as route prefixes, whose ranges are unknown offline.

use std::fmt;

use crate::rules::addresses::Ipv4Net;

use super::compute::same_location;
use super::seed_section;
use super::{Applies, Finding, Rule, Severity, capitalise, join_and, sources};

/// REFERENCE §10 rule 12; the seed: "define the route for each related Batch IP address prefix
/// and set Next hop type to Internet".
pub static BATCH_NOT_ROUTED_TO_INTERNET: Rule = Rule {
    id: "AMLS121",
    title: "Route table sends Azure Batch management addresses somewhere other than the Internet",
    seed_section: seed_section::FORCED_TUNNELING,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// [`BATCH_NOT_ROUTED_TO_INTERNET`] when Batch's prefixes could not be read and the route
/// table tunnels the default route without a `BatchNodeManagement` route.
pub static BATCH_ROUTES_UNKNOWN: Rule = Rule {
    id: "AMLS122",
    title: "Route table forces tunnelling and has no BatchNodeManagement route to the Internet",
    seed_section: seed_section::FORCED_TUNNELING,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// The routes of `amlsecure_forced_tunneling_routes` only matter when Internet-bound traffic
/// is tunnelled (the seed: "If you're using forced tunneling ... add user-defined routes").
pub static TUNNEL_ROUTES_UNNEEDED: Rule = Rule {
    id: "AMLS123",
    title: "Route table does not force tunnelling, so Internet routes for Azure Batch are unnecessary",
    seed_section: seed_section::FORCED_TUNNELING,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// REFERENCE §10 rule 12, today's guidance: behind forced tunnelling a cluster with public IP
/// addresses needs a route with next hop Internet for each prefix of
/// `AzureMachineLearning.<region>`, and of the paired region where Azure pairs one.
pub static AZURE_ML_NOT_ROUTED_TO_INTERNET: Rule = Rule {
    id: "AMLS127",
    title: "Route table sends Azure Machine Learning addresses somewhere other than the Internet",
    seed_section: seed_section::FORCED_TUNNELING,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// [`AZURE_ML_NOT_ROUTED_TO_INTERNET`] when the prefixes could not be read and the route table
/// tunnels the default route without an `AzureMachineLearning` route.
pub static AZURE_ML_ROUTES_UNKNOWN: Rule = Rule {
    id: "AMLS128",
    title: "Route table forces tunnelling and has no AzureMachineLearning route to the Internet",
    seed_section: seed_section::FORCED_TUNNELING,
    applies: Applies::Current(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// A route this resource would write has the name of a route it does not manage.
pub static TUNNEL_ROUTE_NAME_TAKEN: Rule = Rule {
    id: "AMLS124",
    title: "A route of the same name already exists and is not managed by the forced-tunnelling routes",
    seed_section: seed_section::FORCED_TUNNELING,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// Azure allows one route per address prefix in a route table.
pub static TUNNEL_ROUTE_PREFIX_TAKEN: Rule = Rule {
    id: "AMLS125",
    title: "Another route already has the address prefix of a forced-tunnelling route",
    seed_section: seed_section::FORCED_TUNNELING,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// Azure's limit of routes per route table (Azure subscription and service limits,
/// networking: "Routes per route table: 400").
pub static ROUTE_LIMIT: Rule = Rule {
    id: "AMLS126",
    title: "Route table would hold more routes than Azure allows",
    seed_section: seed_section::FORCED_TUNNELING,
    applies: Applies::Both(&sources::SERVICE_LIMITS),
    severity: Severity::Error,
};

/// Most routes Azure keeps in one route table.
pub const MAX_ROUTES_PER_TABLE: usize = 400;

/// A route's `nextHopType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHop {
    Internet,
    VirtualAppliance,
    VirtualNetworkGateway,
    VnetLocal,
    None,
}

impl NextHop {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internet => "Internet",
            Self::VirtualAppliance => "VirtualAppliance",
            Self::VirtualNetworkGateway => "VirtualNetworkGateway",
            Self::VnetLocal => "VnetLocal",
            Self::None => "None",
        }
    }
}

/// One user-defined route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub name: String,
    /// A CIDR, or a service tag such as `BatchNodeManagement.WestEurope`.
    pub address_prefix: String,
    pub next_hop: NextHop,
    /// `nextHopIpAddress`, set for `VirtualAppliance`.
    pub next_hop_ip: Option<String>,
}

/// `route 'to-firewall' (0.0.0.0/0 to VirtualAppliance 10.0.0.4)`.
impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "route '{}' ({} to {}",
            self.name,
            self.address_prefix,
            self.next_hop.as_str()
        )?;
        if let Some(ip) = &self.next_hop_ip {
            write!(f, " {ip}")?;
        }
        f.write_str(")")
    }
}

/// The route table on the compute subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub name: String,
    pub routes: Vec<Route>,
}

pub const BATCH_TAG: &str = "BatchNodeManagement";
pub const AZURE_ML_TAG: &str = "AzureMachineLearning";

/// A service whose addresses must reach the compute nodes past the tunnel, and how its rules
/// report it.
struct Tunnelled {
    tag: &'static str,
    /// The service's short name in messages.
    name: &'static str,
    blocked: &'static Rule,
    unknown: &'static Rule,
    /// Who cannot reach the nodes, and what follows.
    consequence: &'static str,
}

const BATCH: Tunnelled = Tunnelled {
    tag: BATCH_TAG,
    name: "Batch",
    blocked: &BATCH_NOT_ROUTED_TO_INTERNET,
    unknown: &BATCH_ROUTES_UNKNOWN,
    consequence: "Azure Batch then cannot reach the compute nodes, which become unusable",
};

const AZURE_ML: Tunnelled = Tunnelled {
    tag: AZURE_ML_TAG,
    name: "Azure Machine Learning",
    blocked: &AZURE_ML_NOT_ROUTED_TO_INTERNET,
    unknown: &AZURE_ML_ROUTES_UNKNOWN,
    consequence: "Azure Machine Learning then cannot reach the compute nodes through their public IP addresses",
};

/// How one Batch prefix is routed when it does not go to the Internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misroute<'a> {
    /// The route chosen for the whole prefix.
    Whole(&'a Route),
    /// A more specific route inside the prefix.
    Part(&'a Route),
}

/// The routes that keep `prefix` (one of `<tag>.<region>`'s, like
/// `BatchNodeManagement.WestEurope`) from going to the Internet: the route Azure picks for it,
/// unless that one goes to the Internet, and every more specific route inside it that does
/// not. Empty when the whole prefix goes to the Internet.
pub fn misroutes<'a>(
    routes: &'a [Route],
    tag: &str,
    region: &str,
    prefix: Ipv4Net,
) -> Vec<Misroute<'a>> {
    let prefix = prefix.trunc();
    // (prefix length, kind) ranks candidates; kind: explicit CIDR 3, regional tag 2, global
    // tag 1. The system route (length 0, Internet) is the fallback.
    let mut best: Option<((u8, u8), &Route)> = None;
    let mut findings = Vec::new();
    for route in routes {
        let rank = match target(route, tag, region) {
            Target::Net(net) if net.contains(&prefix) => (net.prefix_len(), 3),
            Target::Net(net) if prefix.contains(&net) => {
                if route.next_hop != NextHop::Internet {
                    findings.push(Misroute::Part(route));
                }
                continue;
            }
            Target::Tag { regional } => (prefix.prefix_len(), if regional { 2 } else { 1 }),
            Target::Net(_) | Target::Other => continue,
        };
        if best.is_none_or(|(b, _)| rank > b) {
            best = Some((rank, route));
        }
    }
    if let Some((_, route)) = best.filter(|(_, r)| r.next_hop != NextHop::Internet) {
        findings.insert(0, Misroute::Whole(route));
    }
    findings
}

enum Target {
    Net(Ipv4Net),
    /// The tag checked, like `BatchNodeManagement`, or `BatchNodeManagement.<region>` for the
    /// compute's region.
    Tag {
        regional: bool,
    },
    /// IPv6, another tag, or the tag for another region.
    Other,
}

fn target(route: &Route, tag: &str, region: &str) -> Target {
    let text = route.address_prefix.as_str();
    if let Ok(net) = text.parse::<Ipv4Net>() {
        return Target::Net(net.trunc());
    }
    let (name, tag_region) = match text.split_once('.') {
        Some((name, r)) => (name, Some(r)),
        None => (text, None),
    };
    if !name.eq_ignore_ascii_case(tag) {
        return Target::Other;
    }
    match tag_region {
        None => Target::Tag { regional: false },
        Some(r) if same_location(r, region) => Target::Tag { regional: true },
        Some(_) => Target::Other,
    }
}

/// A route that tunnels Internet-bound traffic: `0.0.0.0/0`, or one of the halves
/// `0.0.0.0/1` and `128.0.0.0/1` that some appliances use instead, to anything but Internet.
fn tunnels(route: &Route) -> bool {
    route.next_hop != NextHop::Internet
        && route
            .address_prefix
            .parse::<Ipv4Net>()
            .is_ok_and(|n| n.prefix_len() <= 1)
}

/// [`BATCH_NOT_ROUTED_TO_INTERNET`] and [`BATCH_ROUTES_UNKNOWN`] for the route table on the
/// compute subnet in `region`. `batch_prefixes` are `BatchNodeManagement.<region>`'s IPv4
/// prefixes when known (`None`, or an empty list, when not). No route table, or no route
/// diverting Batch traffic, no finding.
pub fn check_batch_routes(
    table: Option<&RouteTable>,
    region: &str,
    batch_prefixes: Option<&[Ipv4Net]>,
) -> Vec<Finding> {
    let Some(table) = table else {
        return Vec::new();
    };
    check_tag_routes(&BATCH, table, region, batch_prefixes)
}

/// [`AZURE_ML_NOT_ROUTED_TO_INTERNET`] and [`AZURE_ML_ROUTES_UNKNOWN`] for the route table on
/// the compute subnet: for each region (the compute's, and its pair where Azure pairs one), the
/// prefixes of `AzureMachineLearning.<region>` when known. No route table, or no route
/// diverting the traffic, no finding.
pub fn check_azure_ml_routes(
    table: Option<&RouteTable>,
    regions: &[(String, Option<Vec<Ipv4Net>>)],
) -> Vec<Finding> {
    let Some(table) = table else {
        return Vec::new();
    };
    regions
        .iter()
        .flat_map(|(region, prefixes)| {
            check_tag_routes(&AZURE_ML, table, region, prefixes.as_deref())
        })
        .collect()
}

fn check_tag_routes(
    service: &Tunnelled,
    table: &RouteTable,
    region: &str,
    prefixes: Option<&[Ipv4Net]>,
) -> Vec<Finding> {
    let regional_tag = super::regions::regional_tag(service.tag, region);
    match prefixes.filter(|p| !p.is_empty()) {
        Some(prefixes) => check_known(service, table, region, prefixes, &regional_tag),
        None => check_unknown(service, table, region, &regional_tag),
    }
}

fn check_known(
    service: &Tunnelled,
    table: &RouteTable,
    region: &str,
    prefixes: &[Ipv4Net],
    regional_tag: &str,
) -> Vec<Finding> {
    // Uncovered prefixes grouped by the route responsible, in order of first appearance.
    let mut groups: Vec<(Misroute<'_>, Vec<Ipv4Net>)> = Vec::new();
    for &prefix in prefixes {
        for misroute in misroutes(&table.routes, service.tag, region, prefix) {
            match groups.iter_mut().find(|(m, _)| *m == misroute) {
                Some((_, list)) => {
                    if !list.contains(&prefix) {
                        list.push(prefix);
                    }
                }
                None => groups.push((misroute, vec![prefix])),
            }
        }
    }
    if groups.is_empty() {
        return Vec::new();
    }
    let parts: Vec<String> = (groups.iter())
        .map(|(misroute, list)| match misroute {
            Misroute::Whole(route) => {
                format!("{} {} {route}", join_and(list), verb(list, "follow"))
            }
            Misroute::Part(route) => format!(
                "part of {} {} {route}",
                join_and(list),
                verb(list, "follow")
            ),
        })
        .collect();
    let mut uncovered: Vec<Ipv4Net> = Vec::new();
    let mut change: Vec<String> = Vec::new();
    for (misroute, list) in &groups {
        match misroute {
            // A tag route, or an explicit route for exactly a Batch prefix: fix it in place.
            Misroute::Whole(route) if is_exact(route, list) => {
                push_unique(&mut change, format!("'{}'", route.name));
            }
            Misroute::Whole(_) => list.iter().for_each(|p| push_unique(&mut uncovered, *p)),
            Misroute::Part(route) => push_unique(&mut change, format!("'{}'", route.name)),
        }
    }
    let mut fixes = Vec::new();
    if !uncovered.is_empty() {
        let each = if uncovered.len() == 1 {
            format!("an Internet route for {}", uncovered[0])
        } else {
            format!("one Internet route for each of {}", join_and(&uncovered))
        };
        fixes.push(format!(
            "add a route with address prefix {regional_tag} and next hop Internet (or {each})"
        ));
    }
    if !change.is_empty() {
        fixes.push(format!(
            "set next hop Internet on {} {}, or remove {}",
            if change.len() == 1 { "route" } else { "routes" },
            join_and(&change),
            if change.len() == 1 { "it" } else { "them" }
        ));
    }
    vec![Finding::new(
        service.blocked,
        "subnet_id",
        format!(
            "in route table '{}', {regional_tag} prefixes do not go to the Internet: {}; {}",
            table.name,
            parts.join("; "),
            service.consequence
        ),
        capitalise(&fixes.join(", and ")),
    )]
}

/// Whether `route` matches the Batch prefixes exactly: a Batch tag route, or a CIDR equal to
/// the (single) prefix.
fn is_exact(route: &Route, prefixes: &[Ipv4Net]) -> bool {
    match route.address_prefix.parse::<Ipv4Net>() {
        Ok(net) => prefixes.iter().all(|p| p.trunc() == net.trunc()),
        Err(_) => true,
    }
}

fn check_unknown(
    service: &Tunnelled,
    table: &RouteTable,
    region: &str,
    regional_tag: &str,
) -> Vec<Finding> {
    let tag = service.tag;
    let mut tag_routes: Vec<(bool, &Route)> = Vec::new();
    let mut other_regions: Vec<String> = Vec::new();
    for route in &table.routes {
        match target(route, tag, region) {
            Target::Tag { regional } => tag_routes.push((regional, route)),
            Target::Other
                if route
                    .address_prefix
                    .split_once('.')
                    .is_some_and(|(name, _)| name.eq_ignore_ascii_case(tag)) =>
            {
                other_regions.push(route.to_string());
            }
            Target::Net(_) | Target::Other => {}
        }
    }
    // A regional tag route wins over the global one.
    tag_routes.sort_by_key(|(regional, _)| !regional);
    if let Some((_, route)) = tag_routes.first() {
        if route.next_hop == NextHop::Internet {
            return Vec::new();
        }
        return vec![Finding::new(
            service.blocked,
            "subnet_id",
            format!(
                "in route table '{}', {route} sends {regional_tag}'s addresses to {} instead of \
                 the Internet; {}",
                table.name,
                route.next_hop.as_str(),
                service.consequence
            ),
            format!("Set next hop Internet on route '{}'", route.name),
        )];
    }
    let tunnel: Vec<String> = (table.routes.iter())
        .filter(|r| tunnels(r))
        .map(ToString::to_string)
        .collect();
    if tunnel.is_empty() {
        return Vec::new();
    }
    let elsewhere = if other_regions.is_empty() {
        String::new()
    } else {
        format!(
            " ({} {} for another region)",
            join_and(&other_regions),
            if other_regions.len() == 1 {
                "is"
            } else {
                "are"
            }
        )
    };
    vec![Finding::new(
        service.unknown,
        "subnet_id",
        format!(
            "route table '{}' forces tunnelling with {} and has no route for {tag} or \
             {regional_tag} with next hop Internet{elsewhere}; {}'s address prefixes are not \
             known (Azure's service tag list could not be read, or has no {regional_tag}), so \
             whether other routes send them to the Internet cannot be checked",
            table.name,
            join_and(&tunnel),
            service.name
        ),
        format!("Add a route with address prefix {regional_tag} and next hop Internet"),
    )]
}

/// Whether Internet-bound traffic follows a route of `table` to somewhere other than the
/// Internet (`0.0.0.0/0`, or one of its `/1` halves).
pub fn forces_tunnelling(table: &RouteTable) -> bool {
    table.routes.iter().any(tunnels)
}

/// The name `amlsecure_forced_tunneling_routes` gives the route for `prefix`:
/// `<name_prefix>-198-51-100-0-24`.
pub fn tunnel_route_name(name_prefix: &str, prefix: Ipv4Net) -> String {
    let prefix = prefix.trunc();
    format!(
        "{name_prefix}-{}-{}",
        prefix.network().to_string().replace('.', "-"),
        prefix.prefix_len()
    )
}

/// The routes `amlsecure_forced_tunneling_routes` wants in `table`, and what stands in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelRoutes {
    /// One Internet route per prefix, sorted by address.
    pub routes: Vec<Route>,
    pub findings: Vec<Finding>,
}

/// Places one route with next hop Internet for each of `prefixes` (duplicates and host bits
/// dropped) in `table`. `owned` are the names (any casing) of the routes the resource already
/// manages; every other route of the table is someone else's and is never changed: a wanted
/// name or address prefix that one of them holds is [`TUNNEL_ROUTE_NAME_TAKEN`] or
/// [`TUNNEL_ROUTE_PREFIX_TAKEN`], naming it, and more than [`MAX_ROUTES_PER_TABLE`] routes in
/// all is [`ROUTE_LIMIT`]. Findings point at `route_table_id`.
pub fn plan_tunnel_routes(
    table: &RouteTable,
    owned: &[String],
    name_prefix: &str,
    region: &str,
    prefixes: &[Ipv4Net],
) -> TunnelRoutes {
    // A route exactly as this resource writes it is its own even when state lost it (Azure
    // took the PUT, then the wait for it failed): rewriting it changes nothing.
    let is_owned = |route: &Route| {
        owned.iter().any(|o| o.eq_ignore_ascii_case(&route.name))
            || (route.next_hop == NextHop::Internet
                && (route.address_prefix.parse::<Ipv4Net>()).is_ok_and(|net| {
                    net == net.trunc()
                        && route
                            .name
                            .eq_ignore_ascii_case(&tunnel_route_name(name_prefix, net))
                }))
    };
    let foreign: Vec<&Route> = table.routes.iter().filter(|r| !is_owned(r)).collect();
    let mut wanted: Vec<Ipv4Net> = Vec::new();
    for prefix in prefixes {
        push_unique(&mut wanted, prefix.trunc());
    }
    // By address, so the list does not depend on the order Azure lists the tags in.
    wanted.sort();
    let routes: Vec<Route> = (wanted.iter())
        .map(|&prefix| Route {
            name: tunnel_route_name(name_prefix, prefix),
            address_prefix: prefix.to_string(),
            next_hop: NextHop::Internet,
            next_hop_ip: None,
        })
        .collect();
    let mut findings = Vec::new();
    let mut name_clashes: Vec<String> = Vec::new();
    let mut prefix_clashes: Vec<String> = Vec::new();
    for (route, prefix) in routes.iter().zip(&wanted) {
        if let Some(other) = foreign
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(&route.name))
        {
            name_clashes.push(format!("{other}"));
        } else if let Some(other) = foreign
            .iter()
            .find(|r| (r.address_prefix.parse::<Ipv4Net>()).is_ok_and(|n| n.trunc() == *prefix))
        {
            prefix_clashes.push(other.to_string());
        }
    }
    if !name_clashes.is_empty() {
        findings.push(Finding::new(
            &TUNNEL_ROUTE_NAME_TAKEN,
            "route_table_id",
            format!(
                "route table '{}' already has {}, which this resource does not manage and \
                 would have to overwrite",
                table.name,
                join_and(&name_clashes)
            ),
            format!(
                "Choose another name_prefix than '{name_prefix}', or remove or rename the \
                 existing {}",
                if name_clashes.len() == 1 {
                    "route"
                } else {
                    "routes"
                }
            ),
        ));
    }
    if !prefix_clashes.is_empty() {
        findings.push(Finding::new(
            &TUNNEL_ROUTE_PREFIX_TAKEN,
            "route_table_id",
            format!(
                "in route table '{}', {} already {} the address prefix of a forced-tunnelling \
                 route; Azure allows one route per address prefix, and this resource does not \
                 manage {}",
                table.name,
                join_and(&prefix_clashes),
                if prefix_clashes.len() == 1 {
                    "has"
                } else {
                    "have"
                },
                if prefix_clashes.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
            format!(
                "Remove the existing {}; this resource then routes {} to the Internet itself",
                if prefix_clashes.len() == 1 {
                    "route"
                } else {
                    "routes"
                },
                if prefix_clashes.len() == 1 {
                    "the prefix"
                } else {
                    "the prefixes"
                }
            ),
        ));
    }
    let total = foreign.len() + routes.len();
    if total > MAX_ROUTES_PER_TABLE {
        let excess = total - MAX_ROUTES_PER_TABLE;
        findings.push(Finding::new(
            &ROUTE_LIMIT,
            "route_table_id",
            format!(
                "route table '{}' has {} other routes and the {} service tag prefixes of \
                 {region} need {} more, {total} in all; Azure allows at most \
                 {MAX_ROUTES_PER_TABLE} routes per route table",
                table.name,
                foreign.len(),
                wanted.len(),
                routes.len()
            ),
            format!(
                "Remove at least {excess} {} from the table, or instead of this resource add \
                 one route with address prefix {} and next hop Internet",
                if excess == 1 { "route" } else { "routes" },
                super::regions::regional_tag(BATCH_TAG, region)
            ),
        ));
    }
    TunnelRoutes { routes, findings }
}

/// [`TUNNEL_ROUTES_UNNEEDED`]: the Internet routes are pointless on a table that no subnet
/// uses, or that does not tunnel the default route (all its subnets share its routes).
/// `bgp_propagation`: routes learnt from a gateway reach the subnets, and one of them may be a
/// default route this check cannot see.
pub fn check_tunnel_needed(
    table: &RouteTable,
    subnets: usize,
    bgp_propagation: bool,
) -> Vec<Finding> {
    let unseen = if bgp_propagation {
        " (unless a VPN or ExpressRoute gateway advertises a default route over BGP, which \
         only the subnets' effective routes show)"
    } else {
        ""
    };
    let message = if subnets == 0 {
        format!(
            "no subnet uses route table '{}', so its Internet routes for Azure Batch change \
             nothing",
            table.name
        )
    } else if !forces_tunnelling(table) {
        format!(
            "route table '{}' sends no default route (0.0.0.0/0) to an appliance or gateway, \
             so its {} {} Internet-bound traffic to the Internet already{unseen} and the \
             routes for Azure Batch are unnecessary",
            table.name,
            subnets,
            if subnets == 1 {
                "subnet sends"
            } else {
                "subnets send"
            }
        )
    } else {
        return Vec::new();
    };
    vec![Finding::new(
        &TUNNEL_ROUTES_UNNEEDED,
        "route_table_id",
        message,
        "Associate the route table with the compute subnet that forces tunnelling, or remove \
         this resource",
    )]
}

fn verb(list: &[Ipv4Net], plural: &str) -> String {
    if list.len() == 1 {
        format!("{plural}s")
    } else {
        plural.to_owned()
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::CATALOGUE;

    const REGION: &str = "westeurope";

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    fn route(name: &str, prefix: &str, next_hop: NextHop) -> Route {
        Route {
            name: name.to_owned(),
            address_prefix: prefix.to_owned(),
            next_hop,
            next_hop_ip: (next_hop == NextHop::VirtualAppliance).then(|| "10.0.0.4".to_owned()),
        }
    }

    fn to_firewall() -> Route {
        route("to-fw", "0.0.0.0/0", NextHop::VirtualAppliance)
    }

    fn table(routes: Vec<Route>) -> RouteTable {
        RouteTable {
            name: "rt-compute".to_owned(),
            routes,
        }
    }

    fn batch_prefixes() -> Vec<Ipv4Net> {
        vec![net("40.1.2.0/24"), net("40.3.0.0/16")]
    }

    fn known(routes: Vec<Route>) -> Vec<Finding> {
        check_batch_routes(Some(&table(routes)), REGION, Some(&batch_prefixes()))
    }

    fn unknown(routes: Vec<Route>) -> Vec<Finding> {
        check_batch_routes(Some(&table(routes)), REGION, None)
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn rules_are_in_the_catalogue_with_expected_ids_and_severities() {
        for (rule, id, severity) in [
            (&BATCH_NOT_ROUTED_TO_INTERNET, "AMLS121", Severity::Error),
            (&BATCH_ROUTES_UNKNOWN, "AMLS122", Severity::Warning),
            (&AZURE_ML_NOT_ROUTED_TO_INTERNET, "AMLS127", Severity::Error),
            (&AZURE_ML_ROUTES_UNKNOWN, "AMLS128", Severity::Warning),
        ] {
            assert_eq!(
                (rule.id, rule.severity, rule.seed_section),
                (id, severity, seed_section::FORCED_TUNNELING)
            );
            assert!(CATALOGUE.contains(&rule), "{id} missing from CATALOGUE");
        }
    }

    /// `AzureMachineLearning` prefixes of westeurope and of its pair, northeurope.
    fn azure_ml(routes: Vec<Route>, known: bool) -> Vec<Finding> {
        let prefixes = |p: &[&str]| known.then(|| p.iter().map(|p| net(p)).collect());
        check_azure_ml_routes(
            Some(&table(routes)),
            &[
                (
                    "westeurope".into(),
                    prefixes(&["20.50.0.0/24", "20.51.0.0/24"]),
                ),
                ("northeurope".into(), prefixes(&["52.60.0.0/24"])),
            ],
        )
    }

    #[test]
    fn azure_machine_learning_prefixes_of_both_regions_must_reach_the_internet() {
        assert_eq!(
            check_azure_ml_routes(None, &[("westeurope".into(), None)]),
            vec![]
        );
        assert_eq!(azure_ml(vec![], true), vec![], "no tunnel");
        let internet = |name: &str, prefix: &str| route(name, prefix, NextHop::Internet);
        /// Routes besides the tunnel, known prefixes?, expected ids and the tags they name.
        type Case = (Vec<Route>, bool, Vec<(&'static str, &'static str)>);
        let cases: Vec<Case> = vec![
            (
                vec![],
                true,
                vec![
                    ("AMLS127", "AzureMachineLearning.WestEurope"),
                    ("AMLS127", "AzureMachineLearning.NorthEurope"),
                ],
            ),
            (
                vec![
                    internet("a", "20.50.0.0/24"),
                    internet("b", "20.51.0.0/24"),
                    internet("c", "52.60.0.0/24"),
                ],
                true,
                vec![],
            ),
            // The primary region's routes only: the pair's prefixes still tunnel.
            (
                vec![internet("ml", "AzureMachineLearning.WestEurope")],
                true,
                vec![("AMLS127", "AzureMachineLearning.NorthEurope")],
            ),
            // The global tag covers both regions.
            (vec![internet("ml", "AzureMachineLearning")], true, vec![]),
            // Batch's routes do not help Azure ML.
            (
                vec![internet("batch", "BatchNodeManagement")],
                true,
                vec![
                    ("AMLS127", "AzureMachineLearning.WestEurope"),
                    ("AMLS127", "AzureMachineLearning.NorthEurope"),
                ],
            ),
            // Prefixes unknown: a tag route for each region, or the global one, is needed.
            (
                vec![],
                false,
                vec![
                    ("AMLS128", "AzureMachineLearning.WestEurope"),
                    ("AMLS128", "AzureMachineLearning.NorthEurope"),
                ],
            ),
            (
                vec![
                    internet("we", "AzureMachineLearning.WestEurope"),
                    internet("ne", "AzureMachineLearning.northeurope"),
                ],
                false,
                vec![],
            ),
            (
                vec![route(
                    "ml",
                    "AzureMachineLearning",
                    NextHop::VirtualAppliance,
                )],
                false,
                vec![
                    ("AMLS127", "AzureMachineLearning.WestEurope"),
                    ("AMLS127", "AzureMachineLearning.NorthEurope"),
                ],
            ),
        ];
        for (extra, known, expected) in cases {
            let mut routes = vec![to_firewall()];
            routes.extend(extra.clone());
            let found = azure_ml(routes, known);
            let got: Vec<(&str, bool)> = found
                .iter()
                .zip(&expected)
                .map(|(f, (_, tag))| (f.rule.id, f.message.contains(tag)))
                .collect();
            let want: Vec<(&str, bool)> = expected.iter().map(|(id, _)| (*id, true)).collect();
            assert_eq!(got, want, "{extra:?} known {known}: {found:#?}");
            assert_eq!(found.len(), expected.len(), "{extra:?}");
        }
        let found = azure_ml(vec![to_firewall()], true);
        assert_eq!(
            found[0].message,
            "in route table 'rt-compute', AzureMachineLearning.WestEurope prefixes do not go to the Internet: 20.50.0.0/24 and 20.51.0.0/24 follow route 'to-fw' (0.0.0.0/0 to VirtualAppliance 10.0.0.4); Azure Machine Learning then cannot reach the compute nodes through their public IP addresses"
        );
        assert_eq!(
            found[0].fix,
            "Add a route with address prefix AzureMachineLearning.WestEurope and next hop Internet (or one Internet route for each of 20.50.0.0/24 and 20.51.0.0/24)"
        );
        let unknown = azure_ml(vec![to_firewall()], false);
        assert!(
            unknown[0]
                .message
                .contains("; Azure Machine Learning's address prefixes are not known"),
            "{}",
            unknown[0].message
        );
    }

    #[test]
    fn no_route_table_or_no_tunnel_no_finding() {
        assert_eq!(check_batch_routes(None, REGION, None), vec![]);
        assert_eq!(
            check_batch_routes(None, REGION, Some(&batch_prefixes())),
            vec![]
        );
        assert_eq!(known(vec![]), vec![]);
        assert_eq!(unknown(vec![]), vec![]);
        for routes in [
            vec![route("default", "0.0.0.0/0", NextHop::Internet)],
            vec![route(
                "onprem",
                "10.0.0.0/8",
                NextHop::VirtualNetworkGateway,
            )],
            vec![route("spoke", "192.168.0.0/16", NextHop::VirtualAppliance)],
            vec![route("v6", "::/0", NextHop::VirtualAppliance)],
        ] {
            assert_eq!(known(routes.clone()), vec![], "{routes:?}");
            assert_eq!(unknown(routes.clone()), vec![], "{routes:?}");
        }
    }

    #[test]
    fn tunnelling_without_known_prefixes_warns_unless_a_batch_tag_route_exists() {
        // (routes besides the tunnel, expected ids)
        for (extra, expected) in [
            (vec![], vec!["AMLS122"]),
            (
                vec![route("b", "BatchNodeManagement", NextHop::Internet)],
                vec![],
            ),
            (
                vec![route(
                    "b",
                    "BatchNodeManagement.WestEurope",
                    NextHop::Internet,
                )],
                vec![],
            ),
            (
                vec![route(
                    "b",
                    "batchnodemanagement.WestEurope",
                    NextHop::Internet,
                )],
                vec![],
            ),
            (
                vec![route("b", "BatchNodeManagement.EastUS", NextHop::Internet)],
                vec!["AMLS122"],
            ),
            (
                vec![route("b", "AzureCloud", NextHop::Internet)],
                vec!["AMLS122"],
            ),
            (
                vec![route("b", "40.1.2.0/24", NextHop::Internet)],
                vec!["AMLS122"],
            ),
            (
                vec![route("b", "BatchNodeManagement", NextHop::VirtualAppliance)],
                vec!["AMLS121"],
            ),
            (
                vec![
                    route(
                        "regional",
                        "BatchNodeManagement.WestEurope",
                        NextHop::Internet,
                    ),
                    route("global", "BatchNodeManagement", NextHop::VirtualAppliance),
                ],
                vec![],
            ),
            (
                vec![
                    route("global", "BatchNodeManagement", NextHop::Internet),
                    route("regional", "BatchNodeManagement.WestEurope", NextHop::None),
                ],
                vec!["AMLS121"],
            ),
        ] {
            let mut routes = vec![to_firewall()];
            routes.extend(extra.clone());
            assert_eq!(ids(&unknown(routes)), expected, "{extra:?}");
        }
        for tunnel in [
            route("t", "0.0.0.0/0", NextHop::VirtualNetworkGateway),
            route("t", "0.0.0.0/0", NextHop::None),
            route("t", "0.0.0.0/0", NextHop::VnetLocal),
            route("t", "0.0.0.0/1", NextHop::VirtualAppliance),
            route("t", "128.0.0.0/1", NextHop::VirtualAppliance),
        ] {
            assert_eq!(
                ids(&unknown(vec![tunnel.clone()])),
                ["AMLS122"],
                "{tunnel:?}"
            );
        }
        assert_eq!(
            ids(&unknown(vec![route(
                "t",
                "0.0.0.0/2",
                NextHop::VirtualAppliance
            )])),
            Vec::<&str>::new()
        );
        // An empty prefix list counts as unknown.
        let findings = check_batch_routes(Some(&table(vec![to_firewall()])), REGION, Some(&[]));
        assert_eq!(ids(&findings), ["AMLS122"]);
    }

    #[test]
    fn unknown_prefixes_message_and_fix() {
        let findings = unknown(vec![
            to_firewall(),
            route("batch-us", "BatchNodeManagement.EastUS", NextHop::Internet),
        ]);
        let f = &findings[0];
        assert_eq!((f.rule.id, f.attribute), ("AMLS122", "subnet_id"));
        assert_eq!(
            f.message,
            "route table 'rt-compute' forces tunnelling with route 'to-fw' (0.0.0.0/0 to \
             VirtualAppliance 10.0.0.4) and has no route for BatchNodeManagement or \
             BatchNodeManagement.WestEurope with next hop Internet (route 'batch-us' \
             (BatchNodeManagement.EastUS to Internet) is for another region); Batch's address \
             prefixes are not known (Azure's service tag list could not be read, or has no \
             BatchNodeManagement.WestEurope), so whether other routes send them to the Internet \
             cannot be checked"
        );
        assert_eq!(
            f.fix,
            "Add a route with address prefix BatchNodeManagement.WestEurope and next hop Internet"
        );
        let f = &unknown(vec![route(
            "b",
            "BatchNodeManagement",
            NextHop::VirtualNetworkGateway,
        )])[0];
        assert_eq!(
            f.message,
            "in route table 'rt-compute', route 'b' (BatchNodeManagement to VirtualNetworkGateway) \
             sends BatchNodeManagement.WestEurope's addresses to VirtualNetworkGateway instead of the \
             Internet; Azure Batch then cannot reach the compute nodes, which become unusable"
        );
        assert_eq!(f.fix, "Set next hop Internet on route 'b'");
    }

    #[test]
    fn known_prefixes_follow_the_longest_prefix_match() {
        use NextHop::{Internet, VirtualAppliance};
        // (routes, expected uncovered prefixes as they appear in the message, or none)
        for (routes, expected) in [
            (
                vec![to_firewall()],
                Some("40.1.2.0/24 and 40.3.0.0/16 follow route 'to-fw'"),
            ),
            (
                vec![to_firewall(), route("b", "BatchNodeManagement", Internet)],
                None,
            ),
            (
                vec![
                    to_firewall(),
                    route("b", "BatchNodeManagement.WestEurope", Internet),
                ],
                None,
            ),
            (
                vec![
                    to_firewall(),
                    route("b", "BatchNodeManagement.EastUS", Internet),
                ],
                Some("40.1.2.0/24 and 40.3.0.0/16 follow route 'to-fw'"),
            ),
            (
                vec![to_firewall(), route("one", "40.1.2.0/24", Internet)],
                Some("40.3.0.0/16 follows route 'to-fw'"),
            ),
            (
                vec![to_firewall(), route("wide", "40.0.0.0/8", Internet)],
                None,
            ),
            (
                vec![to_firewall(), route("host-bits", "40.1.2.5/8", Internet)],
                None,
            ),
            (
                // Half a prefix is not enough.
                vec![
                    to_firewall(),
                    route("wide", "40.0.0.0/8", Internet),
                    route("half", "40.1.2.0/25", Internet),
                ],
                None,
            ),
            (
                vec![
                    to_firewall(),
                    route("half", "40.1.2.0/25", Internet),
                    route("b", "40.3.0.0/16", Internet),
                ],
                Some("40.1.2.0/24 follows route 'to-fw'"),
            ),
            (
                vec![
                    route("b", "BatchNodeManagement", Internet),
                    route("hole", "40.1.2.128/25", VirtualAppliance),
                ],
                Some("part of 40.1.2.0/24 follows route 'hole'"),
            ),
            (
                // An explicit route beats a tag route of the same prefix.
                vec![
                    route("b", "BatchNodeManagement", Internet),
                    route("exact", "40.3.0.0/16", NextHop::None),
                ],
                Some("40.3.0.0/16 follows route 'exact'"),
            ),
            (
                // A tag route beats a wider explicit route.
                vec![
                    route("b", "BatchNodeManagement", Internet),
                    route("wide", "40.0.0.0/8", VirtualAppliance),
                ],
                None,
            ),
            (
                // No forced tunnelling, but a route diverting Batch's addresses all the same.
                vec![route("wide", "40.0.0.0/8", VirtualAppliance)],
                Some("40.1.2.0/24 and 40.3.0.0/16 follow route 'wide'"),
            ),
            (
                vec![
                    route(
                        "regional",
                        "BatchNodeManagement.WestEurope",
                        VirtualAppliance,
                    ),
                    route("global", "BatchNodeManagement", Internet),
                ],
                Some("40.1.2.0/24 and 40.3.0.0/16 follow route 'regional'"),
            ),
        ] {
            let findings = known(routes.clone());
            match expected {
                None => assert_eq!(findings, vec![], "{routes:?}"),
                Some(text) => {
                    assert_eq!(ids(&findings), ["AMLS121"], "{routes:?}");
                    assert!(
                        findings[0].message.contains(text),
                        "{routes:?}: {}",
                        findings[0].message
                    );
                }
            }
        }
    }

    #[test]
    fn known_prefixes_message_and_fixes() {
        let f = &known(vec![to_firewall()])[0];
        assert_eq!(
            f.message,
            "in route table 'rt-compute', BatchNodeManagement.WestEurope prefixes do not go to the \
             Internet: 40.1.2.0/24 and 40.3.0.0/16 follow route 'to-fw' (0.0.0.0/0 to \
             VirtualAppliance 10.0.0.4); Azure Batch then cannot reach the compute nodes, which \
             become unusable"
        );
        assert_eq!(
            f.fix,
            "Add a route with address prefix BatchNodeManagement.WestEurope and next hop Internet \
             (or one Internet route for each of 40.1.2.0/24 and 40.3.0.0/16)"
        );
        let f = &known(vec![
            to_firewall(),
            route("one", "40.1.2.0/24", NextHop::Internet),
            route("hole", "40.1.2.128/25", NextHop::VirtualAppliance),
            route("hole2", "40.3.3.0/24", NextHop::VirtualNetworkGateway),
        ])[0];
        assert_eq!(
            f.message,
            "in route table 'rt-compute', BatchNodeManagement.WestEurope prefixes do not go to the \
             Internet: part of 40.1.2.0/24 follows route 'hole' (40.1.2.128/25 to VirtualAppliance \
             10.0.0.4); 40.3.0.0/16 follows route 'to-fw' (0.0.0.0/0 to VirtualAppliance 10.0.0.4); \
             part of 40.3.0.0/16 follows route 'hole2' (40.3.3.0/24 to VirtualNetworkGateway); Azure \
             Batch then cannot reach the compute nodes, which become unusable"
        );
        assert_eq!(
            f.fix,
            "Add a route with address prefix BatchNodeManagement.WestEurope and next hop Internet \
             (or an Internet route for 40.3.0.0/16), and set next hop Internet on routes \
             'hole' and 'hole2', or remove them"
        );
        let f = &known(vec![route(
            "b",
            "BatchNodeManagement.WestEurope",
            NextHop::VirtualAppliance,
        )])[0];
        assert_eq!(f.fix, "Set next hop Internet on route 'b', or remove it");
    }

    #[test]
    fn misroutes_table() {
        let routes = [
            to_firewall(),
            route("b", "BatchNodeManagement", NextHop::Internet),
            route("hole", "40.1.2.128/25", NextHop::VirtualAppliance),
            route("ok", "40.1.2.0/26", NextHop::Internet),
        ];
        assert_eq!(
            misroutes(&routes, BATCH_TAG, REGION, net("40.1.2.0/24")),
            vec![Misroute::Part(&routes[2])]
        );
        assert_eq!(
            misroutes(&routes, BATCH_TAG, REGION, net("40.3.0.0/16")),
            vec![]
        );
        assert_eq!(
            misroutes(&routes, BATCH_TAG, REGION, net("40.1.2.128/25")),
            vec![Misroute::Whole(&routes[2])]
        );
        assert_eq!(
            misroutes(&routes[..1], BATCH_TAG, "eastus", net("40.1.2.0/24")),
            vec![Misroute::Whole(&routes[0])]
        );
    }

    #[test]
    fn new_rules_are_in_the_catalogue() {
        for (rule, id, severity) in [
            (&TUNNEL_ROUTES_UNNEEDED, "AMLS123", Severity::Warning),
            (&TUNNEL_ROUTE_NAME_TAKEN, "AMLS124", Severity::Error),
            (&TUNNEL_ROUTE_PREFIX_TAKEN, "AMLS125", Severity::Error),
            (&ROUTE_LIMIT, "AMLS126", Severity::Error),
        ] {
            assert_eq!(
                (rule.id, rule.severity, rule.seed_section),
                (id, severity, seed_section::FORCED_TUNNELING)
            );
            assert!(CATALOGUE.contains(&rule), "{id} missing from CATALOGUE");
        }
    }

    #[test]
    fn tunnel_route_names_follow_the_prefix() {
        assert_eq!(
            tunnel_route_name("amlsecure", net("198.51.100.7/24")),
            "amlsecure-198-51-100-0-24"
        );
        assert_eq!(tunnel_route_name("x", net("0.0.0.0/0")), "x-0-0-0-0-0");
    }

    fn planned(routes: Vec<Route>, owned: &[&str], prefixes: &[&str]) -> TunnelRoutes {
        let owned: Vec<String> = owned.iter().map(|s| (*s).to_owned()).collect();
        let prefixes: Vec<Ipv4Net> = prefixes.iter().map(|p| net(p)).collect();
        plan_tunnel_routes(&table(routes), &owned, "aml", REGION, &prefixes)
    }

    #[test]
    fn tunnel_routes_are_one_internet_route_per_prefix() {
        let plan = planned(
            vec![to_firewall()],
            &[],
            &["40.1.2.0/24", "40.3.0.5/16", "40.1.2.0/24"],
        );
        assert_eq!(plan.findings, vec![]);
        assert_eq!(
            plan.routes,
            vec![
                route("aml-40-1-2-0-24", "40.1.2.0/24", NextHop::Internet),
                route("aml-40-3-0-0-16", "40.3.0.0/16", NextHop::Internet),
            ]
        );
        // With them in place, the Batch check passes.
        let mut routes = vec![to_firewall()];
        routes.extend(plan.routes);
        assert_eq!(known(routes), vec![]);
    }

    #[test]
    fn tunnel_routes_clash_with_foreign_routes_only() {
        // (routes in the table, owned names, expected ids, text in the first message)
        for (routes, owned, expected, text) in [
            (
                vec![route("AML-40-1-2-0-24", "10.9.0.0/16", NextHop::VnetLocal)],
                vec![],
                vec!["AMLS124"],
                "already has route 'AML-40-1-2-0-24' (10.9.0.0/16 to VnetLocal)",
            ),
            (
                vec![route("aml-40-1-2-0-24", "40.1.2.0/24", NextHop::Internet)],
                vec!["aml-40-1-2-0-24"],
                vec![],
                "",
            ),
            (
                // Exactly the route this resource writes, lost from state: its own.
                vec![route("aml-40-1-2-0-24", "40.1.2.0/24", NextHop::Internet)],
                vec![],
                vec![],
                "",
            ),
            (
                vec![route(
                    "aml-40-1-2-0-24",
                    "40.1.2.0/24",
                    NextHop::VirtualAppliance,
                )],
                vec![],
                vec!["AMLS124"],
                "already has route 'aml-40-1-2-0-24' (40.1.2.0/24 to VirtualAppliance",
            ),
            (
                vec![route("batch", "40.1.2.0/24", NextHop::Internet)],
                vec![],
                vec!["AMLS125"],
                "route 'batch' (40.1.2.0/24 to Internet) already has the address prefix",
            ),
            (
                vec![route("host-bits", "40.3.1.1/16", NextHop::VirtualAppliance)],
                vec![],
                vec!["AMLS125"],
                "route 'host-bits' (40.3.1.1/16 to VirtualAppliance 10.0.0.4)",
            ),
            (
                // A wider or narrower foreign route is not a clash.
                vec![
                    route("wide", "40.0.0.0/8", NextHop::VirtualAppliance),
                    route("narrow", "40.1.2.0/25", NextHop::Internet),
                ],
                vec![],
                vec![],
                "",
            ),
            (
                vec![
                    route("aml-40-1-2-0-24", "1.0.0.0/8", NextHop::None),
                    route("b", "40.3.0.0/16", NextHop::None),
                ],
                vec![],
                vec!["AMLS124", "AMLS125"],
                "route table 'rt-compute' already has route 'aml-40-1-2-0-24'",
            ),
        ] {
            let plan = planned(routes.clone(), &owned, &["40.1.2.0/24", "40.3.0.0/16"]);
            assert_eq!(ids(&plan.findings), expected, "{routes:?}");
            if let Some(first) = plan.findings.first() {
                assert!(first.message.contains(text), "{}", first.message);
                assert_eq!(first.attribute, "route_table_id");
            }
        }
    }

    #[test]
    fn tunnel_routes_respect_the_route_limit() {
        let foreign = |n: usize| -> Vec<Route> {
            (0..n)
                .map(|i| {
                    route(
                        &format!("r{i}"),
                        &format!("10.{}.{}.0/24", i / 256, i % 256),
                        NextHop::VirtualAppliance,
                    )
                })
                .collect()
        };
        let prefixes = ["40.1.2.0/24", "40.3.0.0/16"];
        assert_eq!(planned(foreign(398), &[], &prefixes).findings, vec![]);
        // Owned routes do not count twice.
        let mut with_owned = foreign(398);
        with_owned.push(route("aml-40-1-2-0-24", "40.1.2.0/24", NextHop::Internet));
        assert_eq!(
            planned(with_owned, &["aml-40-1-2-0-24"], &prefixes).findings,
            vec![]
        );
        let plan = planned(foreign(399), &[], &prefixes);
        assert_eq!(ids(&plan.findings), ["AMLS126"]);
        assert_eq!(
            plan.findings[0].message,
            "route table 'rt-compute' has 399 other routes and the 2 service tag prefixes of \
             westeurope need 2 more, 401 in all; Azure allows at most 400 routes per route table"
        );
        assert_eq!(
            plan.findings[0].fix,
            "Remove at least 1 route from the table, or instead of this resource add one route \
             with address prefix BatchNodeManagement.WestEurope and next hop Internet"
        );
    }

    #[test]
    fn tunnel_routes_are_needed_only_behind_a_tunnel() {
        let tunnelled = table(vec![to_firewall()]);
        assert_eq!(check_tunnel_needed(&tunnelled, 1, true), vec![]);
        for tunnel in [
            route("t", "0.0.0.0/0", NextHop::VirtualNetworkGateway),
            route("t", "128.0.0.0/1", NextHop::VirtualAppliance),
        ] {
            assert_eq!(check_tunnel_needed(&table(vec![tunnel]), 2, false), vec![]);
        }
        let open = table(vec![route(
            "spoke",
            "10.0.0.0/8",
            NextHop::VirtualAppliance,
        )]);
        let f = &check_tunnel_needed(&open, 2, false)[0];
        assert_eq!((f.rule.id, f.attribute), ("AMLS123", "route_table_id"));
        assert_eq!(
            f.message,
            "route table 'rt-compute' sends no default route (0.0.0.0/0) to an appliance or \
             gateway, so its 2 subnets send Internet-bound traffic to the Internet already and \
             the routes for Azure Batch are unnecessary"
        );
        let f = &check_tunnel_needed(&open, 1, true)[0];
        assert!(
            f.message.contains("unless a VPN or ExpressRoute gateway"),
            "{}",
            f.message
        );
        let f = &check_tunnel_needed(&tunnelled, 0, false)[0];
        assert_eq!(
            f.message,
            "no subnet uses route table 'rt-compute', so its Internet routes for Azure Batch \
             change nothing"
        );
        let internet_default = table(vec![route("d", "0.0.0.0/0", NextHop::Internet)]);
        assert_eq!(
            ids(&check_tunnel_needed(&internet_default, 1, false)),
            ["AMLS123"]
        );
    }
}
