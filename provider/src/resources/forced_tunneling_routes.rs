//! `amlsecure_forced_tunneling_routes`: on an existing route table, one route with next hop
//! Internet for each IPv4 prefix of `BatchNodeManagement.<region>` (and optionally
//! `AzureMachineLearning.<region>`), as Azure's Service Tags API lists them now. Each route is
//! its own ARM child resource, written and removed one by one, so routes this resource does
//! not own are never touched.
//!
//! Azure changes a tag's prefixes from time to time: every plan reads the tag list again, so
//! a changed list shows as an update of `routes`, and apply adds the new prefixes before it
//! removes the stale ones. Which routes, and what is in their way, is decided by the pure
//! [`crate::rules::routes::plan_tunnel_routes`].
//!
//! The resource is a [`PrefixOwned`] set; this file holds what is particular to the routes:
//! the service tags they follow, their conversions, and how an import reads them back.

use async_trait::async_trait;
use tfplugin::resource::Identity;
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::prefix_owned::{
    Adoption, ChildSet, Collection, Inputs, OwnedChild, PrefixOwned, WantedFrom, live_named,
};
use crate::arm::models::network::{Route as ArmRoute, RouteProperties, RouteTable};
use crate::arm::{ArmClient, CallContext, api_version};
use crate::checks::facts;
use crate::checks::planned::{PlannedChanges, PlannedRoutes};
use crate::checks::service_tags::{self, ServiceTag};
use crate::rules::addresses::Ipv4Net;
use crate::rules::routes::{self, AZURE_ML_TAG, BATCH_TAG, NextHop, Route};
use crate::rules::{Profile, regions};
use crate::session::{arm_diagnostic, parse_id};

pub const TYPE_NAME: &str = "amlsecure_forced_tunneling_routes";

const ROUTE_TABLE_TYPE: &str = "Microsoft.Network/routeTables";
/// Longest `name_prefix`: Azure's 80 characters for a route name less the longest suffix
/// (`-255-255-255-255-32`).
const MAX_PREFIX_LEN: usize = 61;

pub type ForcedTunnelingRoutes = PrefixOwned<TunnelRouteSet>;

/// The Internet routes of Batch's (and Azure Machine Learning's) prefixes in a route table.
pub struct TunnelRouteSet;

/// The setting beside table, prefix and region.
pub struct TunnelSettings {
    include_azure_ml: bool,
}

fn route_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("address_prefix", Type::String),
        ("next_hop_type", Type::String),
    ])
}

/// The region of the service tags: as configured, else the table's.
fn region(inputs: &Inputs<TunnelSettings>, table: &RouteTable) -> String {
    service_tags::normalise_region(
        inputs
            .region
            .as_deref()
            .or(table.location.as_deref())
            .unwrap_or_default(),
    )
}

// ---------------------------------------------------------------------------------------------
// Conversions

fn parse_next_hop(text: &str) -> NextHop {
    [
        NextHop::Internet,
        NextHop::VirtualAppliance,
        NextHop::VirtualNetworkGateway,
        NextHop::VnetLocal,
    ]
    .into_iter()
    .find(|hop| hop.as_str().eq_ignore_ascii_case(text))
    .unwrap_or(NextHop::None)
}

impl OwnedChild for Route {
    type Arm = ArmRoute;

    fn name(&self) -> &str {
        &self.name
    }

    fn to_value(&self) -> Value {
        Value::object([
            ("name", self.name.as_str().into()),
            ("address_prefix", self.address_prefix.as_str().into()),
            ("next_hop_type", self.next_hop.as_str().into()),
        ])
    }

    fn from_value(value: &Value) -> Option<Route> {
        Some(Route {
            name: value.str_field("name").known()?,
            address_prefix: value.str_field("address_prefix").known()?,
            next_hop: parse_next_hop(&value.str_field("next_hop_type").known()?),
            next_hop_ip: None,
        })
    }

    fn to_arm(&self) -> ArmRoute {
        ArmRoute {
            properties: RouteProperties {
                address_prefix: Some(self.address_prefix.clone()),
                next_hop_type: Some(self.next_hop.as_str().into()),
                ..RouteProperties::default()
            },
            ..ArmRoute::default()
        }
    }

    fn from_answer(answer: &ArmRoute, written: &Route) -> Route {
        let p = &answer.properties;
        Route {
            name: answer.name.clone().unwrap_or_else(|| written.name.clone()),
            address_prefix: p
                .address_prefix
                .clone()
                .unwrap_or_else(|| written.address_prefix.clone()),
            next_hop: parse_next_hop(p.next_hop_type.as_deref().unwrap_or("")),
            next_hop_ip: None,
        }
    }

    /// Same destination and next hop; names compare without regard to case.
    fn is_as(&self, wanted: &Route) -> bool {
        self.next_hop == wanted.next_hop
            && match (
                self.address_prefix.parse::<Ipv4Net>(),
                wanted.address_prefix.parse::<Ipv4Net>(),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => self.address_prefix == wanted.address_prefix,
            }
    }
}

fn names(routes: &[Route]) -> Vec<String> {
    routes.iter().map(|r| r.name.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// Planning

/// The service tags of `region`, read through the subscription of the table.
async fn read_tags(
    arm: &ArmClient,
    call: &CallContext,
    table_id: &str,
    region: &str,
) -> Result<Vec<ServiceTag>, Diagnostic> {
    let subscription = parse_id(table_id, ROUTE_TABLE_TYPE)
        .map(|id| id.subscription_id().to_owned())
        .map_err(|m| {
            Diagnostic::error("Invalid route table ID", m)
                .at(AttributePath::attribute("route_table_id"))
        })?;
    service_tags::list(arm, call, &subscription, region)
        .await
        .map_err(|error| arm_diagnostic("Reading the service tags failed", &error))
}

/// The IPv4 prefixes to route: Batch's, then Azure ML's when included, under today's guidance
/// also those of the region's pair (where Azure pairs it, and lists the pair's tag).
fn wanted_prefixes(
    tags: &[ServiceTag],
    region: &str,
    include_azure_ml: bool,
    profile: Profile,
) -> Result<Vec<Ipv4Net>, Diagnostic> {
    let mut wanted = vec![BATCH_TAG];
    if include_azure_ml {
        wanted.push(AZURE_ML_TAG);
    }
    let mut prefixes = Vec::new();
    if include_azure_ml
        && profile == Profile::Current
        && let Some(pair) = regions::paired_region(region)
        && let Some(tag) = service_tags::find(tags, AZURE_ML_TAG, Some(pair))
    {
        prefixes.extend(tag.ipv4_prefixes.iter().copied());
    }
    for name in wanted {
        let Some(tag) = service_tags::find(tags, name, Some(region)) else {
            return Err(Diagnostic::error(
                "Service tag not found",
                format!(
                    "Azure's service tag list has no {name} tag for region {region:?}, so there are no prefixes to route. Set region to the region of the compute, like westeurope."
                ),
            )
            .at(AttributePath::attribute("region")));
        };
        prefixes.extend(tag.ipv4_prefixes.iter().copied());
    }
    Ok(prefixes)
}

/// The routes of `live` named as this resource names them with `prefix`: exactly
/// `<prefix>-<address>-<length>` for their own address prefix; sorted by address, as plans
/// list them.
fn adopted_routes(live: &[Route], prefix: &str) -> Vec<Route> {
    let mut adopted: Vec<(Ipv4Net, Route)> = (live.iter())
        .filter_map(|r| {
            let net = r.address_prefix.parse::<Ipv4Net>().ok()?;
            routes::tunnel_route_name(prefix, net)
                .eq_ignore_ascii_case(&r.name)
                .then(|| (net.trunc(), r.clone()))
        })
        .collect();
    adopted.sort_by_key(|(net, _)| *net);
    adopted.into_iter().map(|(_, r)| r).collect()
}

/// Whether some of `adopted` route `AzureMachineLearning.<region>` prefixes that are not
/// Batch's: an imported resource then includes Azure Machine Learning.
fn routes_azure_ml(tags: &[ServiceTag], region: &str, adopted: &[Route]) -> bool {
    let of = |name: &str| {
        service_tags::find(tags, name, Some(region))
            .map(|t| t.ipv4_prefixes.clone())
            .unwrap_or_default()
    };
    let (batch, azure_ml) = (of(BATCH_TAG), of(AZURE_ML_TAG));
    adopted.iter().any(|r| {
        r.address_prefix
            .parse::<Ipv4Net>()
            .is_ok_and(|net| azure_ml.contains(&net) && !batch.contains(&net))
    })
}

#[async_trait]
impl ChildSet for TunnelRouteSet {
    type Parent = RouteTable;
    type Child = Route;
    type Settings = TunnelSettings;

    const TYPE_NAME: &'static str = TYPE_NAME;
    const IDENTITY: &'static dyn Identity = &super::identity::ROUTES;
    const CHECKED_RULES: &'static [std::ops::RangeInclusive<u16>] = &[123..=126];
    const COLLECTION: Collection = Collection {
        parent_type: ROUTE_TABLE_TYPE,
        parent_attribute: "route_table_id",
        parent: "route table",
        segment: "routes",
        api_version: api_version::NETWORK,
        list_attribute: "routes",
        child: "route",
        child_short: "route",
        what: "the forced-tunnelling routes",
        listed: "forced-tunnelling route sets",
        max_prefix_len: MAX_PREFIX_LEN,
        import_usage: "Import by the route table's ARM ID, for name_prefix amlsecure, or by `<route table ARM ID>|<name_prefix>`.",
    };

    fn schema() -> Schema {
        Schema::new(
            "The user-defined routes Azure Machine Learning compute needs behind forced tunnelling: on an existing route table, one route with next hop `Internet` for each IPv4 prefix of service tag `BatchNodeManagement.<region>` (and of `AzureMachineLearning.<region>` and its paired region's, as the provider's `guidance = \"current\"` asks), as Azure's Service Tags API publishes them. When Azure publishes new prefixes, `terraform plan` shows the change and apply adds and removes routes to match. Routes it does not own are never changed; a name or address prefix taken by one of them fails the plan, naming it.",
            vec![
                Attribute::computed("id", Type::String).ignore_case().description(
                    "`<route_table_id>|<name_prefix>`: the table, and the names of the routes this resource manages.",
                ),
                Attribute::required("route_table_id", Type::String)
                    .requires_replace()
                    .ignore_case()
                    .description("ARM ID of the existing route table the routes are written to (any letter case: a change of case alone changes nothing in Azure)."),
                Attribute::optional_computed("name_prefix", Type::String)
                    .requires_replace()
                    .description("Start of the names of the routes this resource writes (default `amlsecure`); each route is named `<name_prefix>-<address>-<length>`, like `amlsecure-20-50-1-0-24`. Letters, digits, `.`, `_` and `-`, at most 61."),
                Attribute::optional_computed("region", Type::String).description(
                    "Region of the service tags, like `westeurope`; defaults to the route table's location.",
                ),
                Attribute::optional_computed("include_azure_machine_learning", Type::Bool).description(
                    "Also route the IPv4 prefixes of `AzureMachineLearning.<region>` to the Internet: `false` by default under the provider's `guidance = \"2019\"`, `true` under `\"current\"`, whose guidance asks for them, and for those of the region's pair (its secondary region, where Azure pairs one: `AzureMachineLearning.NorthEurope` for westeurope).",
                ),
                Attribute::computed("routes", Type::list(route_type())).description(
                    "The routes this resource manages, as they are in Azure: `name`, `address_prefix` and `next_hop_type`.",
                ),
            ],
        )
    }

    fn validate(config: &Value, diagnostics: &mut Diagnostics) {
        if let Field::Known(region) = config.str_field("region")
            && (region.trim().is_empty()
                || !region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' '))
        {
            diagnostics.push(
                Diagnostic::error(
                    "Invalid region",
                    format!(
                        "{region:?} is not an Azure region name, like westeurope or West Europe."
                    ),
                )
                .at(AttributePath::attribute("region")),
            );
        }
    }

    /// Today's guidance routes Azure Machine Learning's prefixes too.
    fn defaults(profile: Profile) -> Vec<(&'static str, Value)> {
        vec![(
            "include_azure_machine_learning",
            (profile == Profile::Current).into(),
        )]
    }

    fn settings(planned: &Value, _profile: Profile) -> Option<TunnelSettings> {
        Some(TunnelSettings {
            include_azure_ml: planned
                .bool_field("include_azure_machine_learning")
                .known()?,
        })
    }

    fn children_of(table: &RouteTable) -> Vec<Route> {
        facts::route_table_facts(table).routes
    }

    fn parent_name(table: &RouteTable) -> &str {
        table.name.as_deref().unwrap_or_default()
    }

    fn parent_region(table: &RouteTable) -> Option<String> {
        Some(service_tags::normalise_region(
            table.location.as_deref().unwrap_or_default(),
        ))
    }

    /// The routes of the tags' prefixes as they are now: at plan, at apply (where Azure may
    /// have published others meanwhile) and in a listing alike.
    async fn wanted(from: WantedFrom<'_, Self>) -> Result<(Vec<Route>, Diagnostics), Diagnostics> {
        let WantedFrom {
            session,
            arm,
            call,
            inputs,
            parent: table,
            owned,
            ..
        } = from;
        let region = region(inputs, table);
        // Any region reads the same list; the table's own is one Azure surely knows.
        let list_location = table
            .location
            .as_deref()
            .map(service_tags::normalise_region)
            .unwrap_or_else(|| region.clone());
        let tags = read_tags(arm, call, &inputs.parent_id, &list_location).await?;
        let prefixes = wanted_prefixes(
            &tags,
            &region,
            inputs.settings.include_azure_ml,
            session.severities.profile(),
        )?;
        let facts = facts::route_table_facts(table);
        let placed = routes::plan_tunnel_routes(
            &facts,
            &names(owned),
            &inputs.name_prefix,
            &region,
            &prefixes,
        );
        let mut findings = placed.findings;
        let bgp_propagation = !table
            .properties
            .disable_bgp_route_propagation
            .unwrap_or(false);
        findings.extend(routes::check_tunnel_needed(
            &facts,
            table.properties.subnets.len(),
            bgp_propagation,
        ));
        Ok((placed.routes, session.severities.diagnose(findings)))
    }

    fn changed_since_plan(planned: &[Route], now: &[Route]) -> Diagnostic {
        let describe = |routes: &[Route]| {
            let list: Vec<&str> = routes.iter().map(|r| r.address_prefix.as_str()).collect();
            list.join(", ")
        };
        Diagnostic::error(
            "Route table or service tags changed since plan",
            format!(
                "The plan routes {}, but the route table and service tags as they are now give {}: Azure published new prefixes, or another change took a route name or prefix in between. Nothing was written; run terraform plan again.",
                describe(planned),
                describe(now)
            ),
        )
    }

    /// The owned routes as they are in the table, in name order: stale ones are removed in
    /// that order, after the new ones are in place.
    fn existing(owned: &[Route], table: &RouteTable) -> Vec<Route> {
        let mut existing = live_named(&Self::children_of(table), owned);
        existing.sort_by_key(|r| r.name.to_ascii_lowercase());
        existing
    }

    fn note_planned(
        planned: &PlannedChanges,
        table_id: &str,
        route_set_id: &str,
        written: Vec<Route>,
        removed: Vec<String>,
    ) {
        planned.note_routes(table_id, route_set_id, PlannedRoutes { written, removed });
    }

    /// The routes are those named as this resource names them; whether they include Azure
    /// Machine Learning's is read back from the tags they route.
    async fn adopt(from: Adoption<'_, Self>, state: &mut Value) -> Vec<Route> {
        let adopted = adopted_routes(from.live, from.name_prefix);
        if state
            .attr("include_azure_machine_learning")
            .is_none_or(Value::is_null)
        {
            let region = service_tags::normalise_region(
                state
                    .str_field("region")
                    .known()
                    .as_deref()
                    .or(from.parent.location.as_deref())
                    .unwrap_or_default(),
            );
            let include = match read_tags(from.arm, from.call, from.parent_id, &region).await {
                Ok(tags) => routes_azure_ml(&tags, &region, &adopted),
                Err(_) => false,
            };
            state.set_attr("include_azure_machine_learning", include.into());
        }
        adopted
    }

    /// Internet routes named `<prefix>-<address>-<length>` for their own address.
    fn owner_suffixes(route: &Route) -> Vec<String> {
        (route.next_hop == NextHop::Internet)
            .then(|| route.address_prefix.parse::<Ipv4Net>().ok())
            .flatten()
            .map(|net| routes::tunnel_route_name("", net))
            .into_iter()
            .collect()
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::prefix_owned::{self, name_prefix};

    const TABLE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt";

    fn config(overrides: &[(&str, Value)]) -> Value {
        let mut config = prefix_owned::schema::<TunnelRouteSet>().null_value();
        config.set_attr("route_table_id", TABLE.into());
        for (name, value) in overrides {
            config.set_attr(name, value.clone());
        }
        config
    }

    fn route(name: &str, prefix: &str, next_hop: NextHop) -> Route {
        Route {
            name: name.into(),
            address_prefix: prefix.into(),
            next_hop,
            next_hop_ip: None,
        }
    }

    fn tag(name: &str, region: &str, prefixes: &[&str]) -> ServiceTag {
        ServiceTag {
            name: format!("{name}.{}", regions::tag_spelling(region)),
            region: region.into(),
            system_service: String::new(),
            change_number: "1".into(),
            address_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            ipv4_prefixes: prefixes.iter().map(|p| p.parse().unwrap()).collect(),
            ipv6_prefixes: Vec::new(),
        }
    }

    #[test]
    fn todays_guidance_routes_azure_ml_of_the_region_and_its_pair() {
        let tags = [
            tag("BatchNodeManagement", "westeurope", &["40.1.0.0/24"]),
            tag("AzureMachineLearning", "westeurope", &["20.50.0.0/24"]),
            tag("AzureMachineLearning", "northeurope", &["52.60.0.0/24"]),
            tag("AzureMachineLearning", "polandcentral", &["20.60.0.0/24"]),
            tag("BatchNodeManagement", "polandcentral", &["40.9.0.0/24"]),
        ];
        let wanted = |region: &str, include: bool, profile: Profile| -> Vec<String> {
            wanted_prefixes(&tags, region, include, profile)
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            wanted("westeurope", false, Profile::Current),
            ["40.1.0.0/24"]
        );
        assert_eq!(
            wanted("westeurope", true, Profile::Seed),
            ["40.1.0.0/24", "20.50.0.0/24"]
        );
        assert_eq!(
            wanted("westeurope", true, Profile::Current),
            ["52.60.0.0/24", "40.1.0.0/24", "20.50.0.0/24"]
        );
        // No documented pair: the region's own.
        assert_eq!(
            wanted("polandcentral", true, Profile::Current),
            ["40.9.0.0/24", "20.60.0.0/24"]
        );
        let missing = wanted_prefixes(&tags, "eastus", true, Profile::Current).unwrap_err();
        assert_eq!(missing.summary, "Service tag not found");
    }

    #[test]
    fn each_bad_value_points_at_its_attribute() {
        assert!(prefix_owned::validate::<TunnelRouteSet>(&config(&[])).is_empty());
        assert!(
            prefix_owned::validate::<TunnelRouteSet>(&config(&[(
                "route_table_id",
                Value::unknown()
            )]))
            .is_empty()
        );
        // Written as the portal shows it, as the service tag data source accepts it.
        assert!(
            prefix_owned::validate::<TunnelRouteSet>(&config(&[("region", "West Europe".into())]))
                .is_empty()
        );
        let nsg = TABLE.replace("routeTables", "networkSecurityGroups");
        for (attribute, value) in [
            ("route_table_id", Value::from("rt")),
            ("route_table_id", Value::from(nsg.as_str())),
            ("name_prefix", "-x".into()),
            ("name_prefix", "a b".into()),
            ("name_prefix", "x".repeat(62).as_str().into()),
            ("region", "west-europe".into()),
            ("region", " ".into()),
        ] {
            let found: Vec<String> =
                prefix_owned::validate::<TunnelRouteSet>(&config(&[(attribute, value.clone())]))
                    .iter()
                    .map(|d| d.attribute.as_ref().unwrap().to_string())
                    .collect();
            assert_eq!(found, [attribute], "{attribute} = {value:?}");
        }
    }

    #[test]
    fn longest_prefix_makes_an_80_character_name() {
        let name = routes::tunnel_route_name(
            &"x".repeat(MAX_PREFIX_LEN),
            "255.255.255.255/32".parse().unwrap(),
        );
        assert_eq!(name.len(), 80);
    }

    #[test]
    fn routes_round_trip_through_state_and_arm() {
        let r = route(
            "amlsecure-198-18-32-0-25",
            "198.18.32.0/25",
            NextHop::Internet,
        );
        assert_eq!(Route::from_value(&r.to_value()), Some(r.clone()));
        let body = serde_json::to_value(r.to_arm()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"properties": {"addressPrefix": "198.18.32.0/25", "nextHopType": "Internet"}})
        );
        assert!(
            route("a", "198.18.32.0/25", NextHop::Internet).is_as(&route(
                "A",
                "198.18.32.0/25",
                NextHop::Internet
            ))
        );
        assert!(!route("a", "198.18.32.0/25", NextHop::VirtualAppliance).is_as(&r));
    }

    #[test]
    fn import_adopts_only_routes_named_for_their_prefix() {
        let table = routes::RouteTable {
            name: "rt".into(),
            routes: vec![
                route(
                    "amlsecure-198-18-32-0-25",
                    "198.18.32.0/25",
                    NextHop::Internet,
                ),
                route(
                    "amlsecure-198-18-32-0-25x",
                    "198.18.32.0/25",
                    NextHop::Internet,
                ),
                route("amlsecure-10-0-0-0-8", "198.18.0.0/8", NextHop::Internet),
                route(
                    "other-198-18-32-192-27",
                    "198.18.32.192/27",
                    NextHop::Internet,
                ),
            ],
        };
        assert_eq!(
            names(&adopted_routes(&table.routes, "amlsecure")),
            ["amlsecure-198-18-32-0-25"]
        );
        assert_eq!(
            names(&adopted_routes(&table.routes, "other")),
            ["other-198-18-32-192-27"]
        );
    }

    #[test]
    fn import_ids_name_the_table_and_prefix() {
        let plain = prefix_owned::imported_state::<TunnelRouteSet>(TABLE).unwrap();
        assert_eq!(
            plain.str_field("name_prefix"),
            Field::Known(name_prefix::DEFAULT.into())
        );
        assert_eq!(
            plain.str_field("id"),
            Field::Known(format!("{TABLE}|{}", name_prefix::DEFAULT))
        );
        assert!(plain.attr("routes").unwrap().is_null());
        let named =
            prefix_owned::imported_state::<TunnelRouteSet>(&format!("{TABLE}|corp")).unwrap();
        assert_eq!(named.str_field("name_prefix"), Field::Known("corp".into()));
        assert!(prefix_owned::imported_state::<TunnelRouteSet>("rt").is_err());
        assert!(prefix_owned::imported_state::<TunnelRouteSet>(&format!("{TABLE}|-x")).is_err());
    }
}
