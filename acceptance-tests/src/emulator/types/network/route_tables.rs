//! Route tables and their routes.

use super::*;

fn check_route(name: &str, route: &Value) -> ArmResult<()> {
    const HOPS: [&str; 5] = [
        "VirtualNetworkGateway",
        "VnetLocal",
        "Internet",
        "VirtualAppliance",
        "None",
    ];
    if str_at(route, "/properties/addressPrefix").is_none() {
        return Err(ArmError::bad_request(
            "InvalidRequestFormat",
            format!("Route {name} is missing the required property addressPrefix."),
        ));
    }
    match str_at(route, "/properties/nextHopType") {
        Some(hop) if HOPS.iter().any(|h| h.eq_ignore_ascii_case(hop)) => {
            let ip = str_at(route, "/properties/nextHopIpAddress").filter(|s| !s.is_empty());
            let appliance = hop.eq_ignore_ascii_case("VirtualAppliance");
            if appliance && ip.is_none() {
                return Err(ArmError::bad_request(
                    "InvalidNextHopIpAddress",
                    format!(
                        "Route {name}: nextHopIpAddress is required when nextHopType is VirtualAppliance."
                    ),
                ));
            }
            if !appliance && ip.is_some() {
                return Err(ArmError::bad_request(
                    "InvalidNextHopIpAddress",
                    format!(
                        "Route {name}: nextHopIpAddress is only allowed when nextHopType is VirtualAppliance."
                    ),
                ));
            }
            Ok(())
        }
        _ => Err(ArmError::bad_request(
            "InvalidRequestFormat",
            format!(
                "Route {name}: nextHopType must be one of {}.",
                HOPS.join(", ")
            ),
        )),
    }
}

pub struct RouteTables;

impl Kind for RouteTables {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/routeTables"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }
    fn embedded(&self) -> &'static [Embedded] {
        &[Embedded {
            property: "routes",
            child_type: "routes",
        }]
    }

    fn validate(&self, _: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        for route in body
            .pointer("/properties/routes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = route.get("name").and_then(Value::as_str).ok_or_else(|| {
                ArmError::bad_request("InvalidRequestFormat", "Every route needs a name.")
            })?;
            check_route(name, route)?;
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(&mut body, "/properties", &["subnets"]);
        let guid = resource_guid(existing);
        let p = props(&mut body);
        p.insert("resourceGuid".into(), guid);
        p.entry("disableBgpRoutePropagation")
            .or_insert(json!(false));
        body
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let subnets = subnets_referencing(st, "/properties/routeTable/id", &entry.id);
        if !subnets.is_empty() {
            props(out).insert("subnets".into(), Value::Array(subnets));
        }
    }

    fn check_delete(&self, st: &State, entry: &Entry) -> ArmResult<()> {
        let users = subnets_referencing(st, "/properties/routeTable/id", &entry.id);
        if users.is_empty() {
            return Ok(());
        }
        Err(ArmError::bad_request(
            "InUseRouteTableCannotBeDeleted",
            format!(
                "Route table {} is in use and cannot be deleted. In order to delete the route table, remove the association with the subnet(s): {}.",
                entry.id,
                users
                    .iter()
                    .filter_map(|u| u["id"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

pub struct Routes;

impl Kind for Routes {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/routeTables/routes"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(&self, _: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        check_route(id.name(), body)
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, _: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(&mut body, "/properties", &["provisioningState"]);
        props(&mut body).insert("hasBgpOverride".into(), json!(false));
        body
    }

    fn patch(&self, _: &State, _: &Entry, _: &Value) -> ArmResult<Value> {
        Err(ArmError::new(
            405,
            "HttpMethodNotAllowed",
            "Routes do not support PATCH; PUT the whole route.",
        ))
    }
}
