//! `amlsecure_subnet_capacity`: how a subnet's addresses are spent, and how many compute
//! cluster nodes still fit (one address each), from live Azure.

use async_trait::async_trait;
use tfplugin::resource::{Context, DataSource, Outcome};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::{READ_TIMEOUT, SUBNET_TYPE, id_problem, max_nodes_problem};
use crate::checks::facts;
use crate::rules::join_and;
use crate::rules::subnet::{self, SubnetCapacity as Capacity};
use crate::session::SessionSlot;
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

pub const TYPE_NAME: &str = "amlsecure_subnet_capacity";

pub fn schema() -> Schema {
    Schema::new(
        "How a subnet's addresses are spent (Azure's reserved five, those in use, the free ones) and how many compute cluster nodes still fit, one address each. The numbers behind rule AMLS101.",
        vec![
            Attribute::required("subnet_id", Type::String)
                .description("ARM ID of the subnet."),
            Attribute::optional("max_nodes", Type::Number)
                .whole_numbers(0..=i32::MAX as i64)
                .description("Nodes you plan to add to the subnet; `nodes_that_fit` is then at most this."),
            Attribute::computed("address_prefix", Type::String)
                .description("The subnet's first IPv4 range, like `10.0.1.0/24`."),
            Attribute::computed("address_prefixes", Type::list(Type::String))
                .description("Every IPv4 range of the subnet (`addressPrefix`, or each of `addressPrefixes`); the other numbers count them all."),
            Attribute::computed("size", Type::Number)
                .description("Addresses in the ranges: 2 to the power of (32 minus the prefix length), for each."),
            Attribute::computed("reserved", Type::Number)
                .description("Addresses Azure keeps in every range of a subnet, five each: the network address, the first three hosts and the broadcast address."),
            Attribute::computed("in_use", Type::Number)
                .description("Addresses already taken: the subnet's IP configurations (network interfaces, compute nodes, private endpoints, load balancers). Azure does not list every consumer there, so this is a lower bound."),
            Attribute::computed("free", Type::Number)
                .description("`size` minus `reserved` and `in_use`, never below 0."),
            Attribute::computed("nodes_that_fit", Type::Number)
                .description("Compute cluster nodes the subnet has room for: `free`, or `max_nodes` when that is smaller."),
        ],
    )
}

pub fn validate(config: &Value) -> Diagnostics {
    [
        id_problem(config, "subnet_id", SUBNET_TYPE),
        max_nodes_problem(config),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The data source's state: the configuration with the capacity's numbers filled in.
pub fn state(config: &Value, capacity: &Capacity) -> Value {
    let fits = match config.i64_field("max_nodes") {
        Field::Known(max) => capacity.free.min(max.max(0) as u64),
        _ => capacity.free,
    };
    let number = |n: u64| Value::from(i64::try_from(n).unwrap_or(i64::MAX));
    let mut state = config.clone();
    for (name, value) in [
        (
            "address_prefix",
            Value::from(capacity.prefixes.first().map(ToString::to_string)),
        ),
        (
            "address_prefixes",
            Value::List(
                (capacity.prefixes.iter())
                    .map(|p| Value::from(p.to_string()))
                    .collect(),
            ),
        ),
        ("size", number(capacity.size)),
        ("reserved", number(capacity.reserved)),
        ("in_use", number(capacity.in_use)),
        ("free", number(capacity.free)),
        ("nodes_that_fit", number(fits)),
    ] {
        state.set_attr(name, value);
    }
    state
}

pub struct SubnetCapacity {
    session: SessionSlot,
}

impl SubnetCapacity {
    pub fn new(session: SessionSlot) -> SubnetCapacity {
        SubnetCapacity { session }
    }

    async fn capacity(&self, ctx: &Context, subnet_id: &str) -> Result<Capacity, Diagnostic> {
        let at = || AttributePath::attribute("subnet_id");
        let id = parse_id(subnet_id, SUBNET_TYPE)
            .map_err(|m| Diagnostic::error("Invalid subnet ID", m).at(at()))?;
        let (_, arm) = require_arm(&self.session)?;
        let call = call_context(ctx, READ_TIMEOUT);
        let network = facts::subnet_network(&arm, &call, &id)
            .await
            .map_err(|e| arm_diagnostic("Cannot read the subnet", &e).at(at()))?
            .ok_or_else(|| {
                Diagnostic::error(
                    "Virtual network not found",
                    format!(
                        "The virtual network of subnet {id} does not exist. Create it first, or fix subnet_id."
                    ),
                )
                .at(at())
            })?;
        if network.vnet.subnet(&network.subnet_name).is_none() {
            let names: Vec<String> = (network.vnet.subnets.iter())
                .map(|s| format!("'{}'", s.name))
                .collect();
            let existing = if names.is_empty() {
                "it has no subnets".to_owned()
            } else {
                format!("its subnets are {}", join_and(&names))
            };
            return Err(Diagnostic::error(
                "Subnet not found",
                format!(
                    "Virtual network '{}' has no subnet '{}'; {existing}. Create the subnet, or fix subnet_id.",
                    network.vnet.name, network.subnet_name
                ),
            )
            .at(at()));
        }
        if network.subnet_prefixes.is_empty() {
            return Err(Diagnostic::error(
                "Subnet has no IPv4 range",
                format!(
                    "Subnet '{}' has no IPv4 address prefix, and compute nodes take IPv4 addresses. Give it an IPv4 range, or use another subnet.",
                    network.subnet_name
                ),
            )
            .at(at()));
        }
        subnet::subnet_capacity(&network.subnet_prefixes, network.ip_configurations_in_use).map_err(
            |e| {
                Diagnostic::error(
                    "Subnet size not supported",
                    format!("Subnet '{}': {e}", network.subnet_name),
                )
                .at(at())
            },
        )
    }
}

#[async_trait]
impl DataSource for SubnetCapacity {
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
        let Field::Known(subnet_id) = config.str_field("subnet_id") else {
            return Outcome::failed(
                Diagnostic::error("Subnet ID not known", "subnet_id is still unknown.")
                    .at(AttributePath::attribute("subnet_id")),
            );
        };
        match self.capacity(ctx, &subnet_id).await {
            Ok(capacity) => Outcome::ok(state(&config, &capacity)),
            Err(diagnostic) => Outcome::failed(diagnostic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBNET: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/training";

    fn config(max_nodes: Value) -> Value {
        let mut config = schema().null_value();
        config.set_attr("subnet_id", SUBNET.into());
        config.set_attr("max_nodes", max_nodes);
        config
    }

    fn numbers(state: &Value) -> Vec<i64> {
        ["size", "reserved", "in_use", "free", "nodes_that_fit"]
            .iter()
            .map(|n| state.i64_field(n).known().unwrap())
            .collect()
    }

    #[test]
    fn state_has_the_numbers_and_nodes_capped_by_max_nodes() {
        let capacity = subnet::subnet_capacity(&["10.0.1.0/28".parse().unwrap()], 3).unwrap();
        let open = state(&config(Value::Null), &capacity);
        assert_eq!(numbers(&open), [16, 5, 3, 8, 8]);
        assert_eq!(
            open.str_field("address_prefix").known().unwrap(),
            "10.0.1.0/28"
        );
        assert_eq!(open.str_field("subnet_id").known().unwrap(), SUBNET);
        assert_eq!(numbers(&state(&config(4.into()), &capacity))[4], 4);
        assert_eq!(numbers(&state(&config(20.into()), &capacity))[4], 8);
        let full = subnet::subnet_capacity(&["10.0.0.0/29".parse().unwrap()], 5).unwrap();
        assert_eq!(numbers(&state(&config(2.into()), &full)), [8, 5, 5, 0, 0]);
    }

    #[test]
    fn state_matches_the_schema() {
        let capacity = subnet::subnet_capacity(&["10.0.0.0/24".parse().unwrap()], 0).unwrap();
        let value = state(&config(Value::Null), &capacity);
        tfplugin::value::encode_msgpack(&value, &schema().value_type()).expect("encodes");
    }

    #[test]
    fn bad_inputs_point_at_their_attributes() {
        let mut bad_id = config(Value::Null);
        bad_id.set_attr("subnet_id", "subnet1".into());
        let mut wrong_type = config(Value::Null);
        wrong_type.set_attr(
            "subnet_id",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
                .into(),
        );
        for (config, attribute) in [
            (bad_id, "subnet_id"),
            (wrong_type, "subnet_id"),
            (config(0.into()), "max_nodes"),
        ] {
            let diagnostics = validate(&config);
            let at: Vec<String> = diagnostics
                .iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect();
            assert_eq!(at, [attribute]);
        }
        assert!(validate(&config(4.into())).is_empty());
        assert!(validate(&config(Value::unknown())).is_empty());
    }
}
