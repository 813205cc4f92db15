//! `amlsecure_service_tag`: the address prefixes Azure publishes for one service tag, from
//! the Service Tags API of the provider's subscription.
//!
//! The tag is `name` alone (the global tag, or a regional one spelt out like
//! `BatchNodeManagement.WestEurope`), or `name` with `region` for the regional tag: both
//! forms name the same tag, and the second suits configurations that carry a region variable.

use async_trait::async_trait;
use tfplugin::resource::{Context, DataSource, Outcome};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::READ_TIMEOUT;
use crate::checks::service_tags::{self, ServiceTag};
use crate::session::SessionSlot;
use crate::session::{arm_diagnostic, call_context, require_arm};

pub const TYPE_NAME: &str = "amlsecure_service_tag";

pub fn schema() -> Schema {
    Schema::new(
        "The address prefixes Azure publishes for a service tag, like `BatchNodeManagement.WestEurope`, read from the Service Tags API (`Microsoft.Network/locations/{location}/serviceTags`) of the provider's subscription. Azure changes them from time to time; `change_number` goes up when it does.",
        vec![
            Attribute::required("location", Type::String).description(
                "Azure region to ask, like `westeurope`. Azure answers with every tag of the cloud, whatever the region; it only picks the version of the list.",
            ),
            Attribute::required("name", Type::String).description(
                "The service tag, in any casing: a global tag like `BatchNodeManagement`, or a regional one like `BatchNodeManagement.WestEurope`. With `region`, the regional tag of that service.",
            ),
            Attribute::optional_computed("region", Type::String).description(
                "Region of the regional tag wanted, like `westeurope` (with `name` = `BatchNodeManagement`, the same as `BatchNodeManagement.WestEurope`). When not set: the tag's region as Azure reports it, empty for a global tag.",
            ),
            Attribute::computed("id", Type::String)
                .description("The tag's name as Azure spells it, like `BatchNodeManagement.WestEurope`."),
            Attribute::computed("address_prefixes", Type::list(Type::String))
                .description("Every address prefix of the tag, IPv4 and IPv6, as Azure lists them."),
            Attribute::computed("ipv4_address_prefixes", Type::list(Type::String))
                .description("The IPv4 prefixes, like `20.50.1.0/24`: those a route table can route."),
            Attribute::computed("ipv6_address_prefixes", Type::list(Type::String))
                .description("The IPv6 prefixes."),
            Attribute::computed("change_number", Type::String)
                .description("Azure's version of the tag's prefix list; it goes up with every change."),
            Attribute::computed("system_service", Type::String)
                .description("The Azure service behind the tag, like `BatchNodeManagement`."),
        ],
    )
}

fn at(attribute: &str) -> AttributePath {
    AttributePath::attribute(attribute)
}

/// Checks that need no Azure.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let plain = |text: &str, extra: &[char]| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    };
    if let Field::Known(location) = config.str_field("location")
        && !plain(&location, &[' '])
    {
        diagnostics.push(
            Diagnostic::error(
                "Invalid location",
                format!("{location:?} is not an Azure region name, like westeurope."),
            )
            .at(at("location")),
        );
    }
    let name = config.str_field("name");
    if let Field::Known(name) = &name
        && !plain(name, &['.', '-', '_'])
    {
        diagnostics.push(
            Diagnostic::error(
                "Invalid service tag",
                format!(
                    "{name:?} is not a service tag name: letters, digits, '.', '-' and '_', like BatchNodeManagement or BatchNodeManagement.WestEurope."
                ),
            )
            .at(at("name")),
        );
    }
    if let Field::Known(region) = config.str_field("region") {
        if !plain(&region, &[' ']) {
            diagnostics.push(
                Diagnostic::error(
                    "Invalid region",
                    format!("{region:?} is not an Azure region name, like westeurope."),
                )
                .at(at("region")),
            );
        } else if let Field::Known(name) = &name
            && let Some((service, tag_region)) = name.split_once('.')
        {
            diagnostics.push(
                Diagnostic::error(
                    "Region given twice",
                    format!(
                        "name {name:?} already names region {tag_region:?}, and region is {region:?}. Use name = {service:?} with region, or the regional name alone."
                    ),
                )
                .at(at("region")),
            );
        }
    }
    diagnostics
}

/// The data source's state: the configuration with the tag's values filled in.
pub fn state(config: &Value, tag: &ServiceTag) -> Value {
    let strings = |items: Vec<String>| Value::List(items.into_iter().map(Value::from).collect());
    let mut state = config.clone();
    state.set_attr("id", tag.name.as_str().into());
    state.set_attr("region", tag.region.as_str().into());
    state.set_attr("address_prefixes", strings(tag.address_prefixes.clone()));
    state.set_attr(
        "ipv4_address_prefixes",
        strings(tag.ipv4_prefixes.iter().map(ToString::to_string).collect()),
    );
    state.set_attr(
        "ipv6_address_prefixes",
        strings(tag.ipv6_prefixes.iter().map(ToString::to_string).collect()),
    );
    state.set_attr("change_number", tag.change_number.as_str().into());
    state.set_attr("system_service", tag.system_service.as_str().into());
    state
}

/// The diagnostic for a tag the list does not have, naming close ones. A service Azure lists
/// in other regions is a wrong `region`, and the diagnostic points there.
fn not_found(tags: &[ServiceTag], name: &str, region: Option<&str>) -> Diagnostic {
    if let Some(region) = region {
        let regions: Vec<&str> = tags
            .iter()
            .filter(|t| {
                !t.region.is_empty()
                    && t.name
                        .split_once('.')
                        .is_some_and(|(base, _)| base.eq_ignore_ascii_case(name))
            })
            .map(|t| t.region.as_str())
            .collect();
        if !regions.is_empty() {
            let close = service_tags::close_regions(&regions, region);
            let hint = if close.is_empty() {
                format!("It has {} in {} regions.", name, regions.len())
            } else {
                format!("Close regions it has: {}.", close.join(", "))
            };
            return Diagnostic::error(
                "Region not found",
                format!("Azure's service tag list has no {name} tag for region {region:?}. {hint}"),
            )
            .at(at("region"));
        }
    }
    let wanted = match region {
        Some(region) => format!("{name}.{region}"),
        None => name.to_owned(),
    };
    let close = service_tags::close_names(tags, &wanted);
    let hint = if close.is_empty() {
        "Check the spelling against Azure's list of service tags.".to_owned()
    } else {
        format!(
            "Close names: {}.",
            close
                .iter()
                .map(|n| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Diagnostic::error(
        "Service tag not found",
        format!(
            "Azure's service tag list ({} tags) has no tag '{wanted}'. {hint}",
            tags.len()
        ),
    )
    .at(at("name"))
}

pub struct ServiceTagSource {
    session: SessionSlot,
}

impl ServiceTagSource {
    pub fn new(session: SessionSlot) -> ServiceTagSource {
        ServiceTagSource { session }
    }
}

#[async_trait]
impl DataSource for ServiceTagSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn read(&self, ctx: &Context, config: Value) -> Outcome<Value> {
        let (Field::Known(location), Field::Known(name)) =
            (config.str_field("location"), config.str_field("name"))
        else {
            return Outcome::failed(Diagnostic::error(
                "Service tag not known",
                "location and name must be known to read a service tag.",
            ));
        };
        let region = match config.str_field("region") {
            Field::Known(region) => Some(region),
            Field::Unknown => {
                return Outcome::failed(
                    Diagnostic::error("Region not known", "region is still unknown.")
                        .at(at("region")),
                );
            }
            Field::Null => None,
        };
        let (session, arm) = match require_arm(&self.session) {
            Ok(pair) => pair,
            Err(d) => return Outcome::failed(d),
        };
        let Some(subscription) = session.subscription_id.as_deref() else {
            return Outcome::failed(Diagnostic::error(
                "No subscription",
                "Service tags are read through a subscription: set subscription_id in the amlsecure provider block, or ARM_SUBSCRIPTION_ID.",
            ));
        };
        let call = call_context(ctx, READ_TIMEOUT);
        let location = service_tags::normalise_region(&location);
        let tags = match service_tags::list(&arm, &call, subscription, &location).await {
            Ok(tags) => tags,
            Err(error) => {
                return Outcome::failed(
                    arm_diagnostic("Reading the service tags failed", &error).at(at("location")),
                );
            }
        };
        match service_tags::find(&tags, &name, region.as_deref()) {
            Some(tag) => Outcome::ok(state(&config, tag)),
            None => Outcome::failed(not_found(&tags, &name, region.as_deref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::models::service_tags::ServiceTagsListResult;

    fn config(items: &[(&str, Value)]) -> Value {
        let mut config = schema().null_value();
        config.set_attr("location", "westeurope".into());
        config.set_attr("name", "BatchNodeManagement".into());
        for (name, value) in items {
            config.set_attr(name, value.clone());
        }
        config
    }

    fn tags() -> Vec<ServiceTag> {
        let list: ServiceTagsListResult = serde_json::from_value(serde_json::json!({
            "values": [{
                "name": "BatchNodeManagement.WestEurope", "id": "BatchNodeManagement.WestEurope",
                "properties": {"changeNumber": "7", "region": "westeurope",
                    "systemService": "BatchNodeManagement",
                    "addressPrefixes": ["198.18.32.0/25", "2001:db8:400::/64"]}
            }, {
                "name": "Storage", "id": "Storage",
                "properties": {"changeNumber": "2", "region": "", "systemService": "AzureStorage",
                    "addressPrefixes": []}
            }]
        }))
        .unwrap();
        service_tags::from_list(&list)
    }

    #[test]
    fn state_splits_the_prefixes_and_matches_the_schema() {
        let tags = tags();
        let value = state(&config(&[]), &tags[0]);
        assert_eq!(
            value.str_field("id").known().unwrap(),
            "BatchNodeManagement.WestEurope"
        );
        assert_eq!(value.str_field("region").known().unwrap(), "westeurope");
        assert_eq!(value.str_field("change_number").known().unwrap(), "7");
        assert_eq!(
            value
                .strings_field("ipv4_address_prefixes")
                .known()
                .unwrap(),
            ["198.18.32.0/25"]
        );
        assert_eq!(
            value
                .strings_field("ipv6_address_prefixes")
                .known()
                .unwrap(),
            ["2001:db8:400::/64"]
        );
        tfplugin::value::encode_msgpack(&value, &schema().value_type()).expect("encodes");
    }

    #[test]
    fn a_region_without_the_tag_is_the_region_at_fault() {
        let d = not_found(&tags(), "BatchNodeManagement", Some("westeurpe"));
        assert_eq!(d.attribute, Some(at("region")));
        assert!(d.detail.contains("westeurope"), "{}", d.detail);
        let d = not_found(&tags(), "BatchNodeManagement", Some("mars"));
        assert_eq!(d.attribute, Some(at("region")));
    }

    #[test]
    fn unknown_tags_name_close_ones() {
        let d = not_found(&tags(), "BatchNodeManagment", Some("westeurope"));
        assert_eq!(d.attribute, Some(at("name")));
        assert!(
            d.detail
                .contains("has no tag 'BatchNodeManagment.westeurope'. Close names: 'BatchNodeManagement.WestEurope'."),
            "{}",
            d.detail
        );
    }

    #[test]
    fn bad_inputs_point_at_their_attributes() {
        for (items, attribute) in [
            (vec![("location", Value::from("west/europe"))], "location"),
            (vec![("name", Value::from("Batch Node"))], "name"),
            (vec![("region", Value::from("west_europe"))], "region"),
            (
                vec![
                    ("name", Value::from("BatchNodeManagement.WestEurope")),
                    ("region", Value::from("westeurope")),
                ],
                "region",
            ),
        ] {
            let found: Vec<String> = validate(&config(&items))
                .iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect();
            assert_eq!(found, [attribute], "{items:?}");
        }
        assert!(validate(&config(&[("region", "West Europe".into())])).is_empty());
        assert!(validate(&config(&[("name", Value::unknown())])).is_empty());
    }
}
