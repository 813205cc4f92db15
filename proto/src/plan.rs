//! The plan a resource gets before its own [`ModifyPlan`](crate::resource::ModifyPlan), if
//! any: Terraform's proposal with what the protocol leaves to the provider settled.

use crate::diagnostics::AttributePath;
use crate::resource::Plan;
use crate::schema::{Block, Nesting};
use crate::value::Value;

/// - computed attributes the configuration leaves unset become unknown on create (the
///   provider will fill them); on update they keep their prior value, and a resource that
///   knows better says so in its `ModifyPlan`;
/// - write-only attributes are null: they never reach plan or state;
/// - a change to an attribute marked `requires_replace` replaces the resource (settled again
///   by [`settle_replacements`] once the resource has modified the plan).
pub(crate) fn default_plan(block: &Block, prior: &Value, proposed: &Value, config: &Value) -> Plan {
    let creating = prior.is_null();
    let mut planned = proposed.clone();
    if !proposed.is_null() {
        settle_block(block, creating, &mut planned, config);
    }
    let mut plan = Plan {
        planned,
        private: Vec::new(),
        requires_replace: Vec::new(),
    };
    settle_replacements(block, prior, &mut plan);
    plan
}

/// Makes the plan replace the resource for exactly those `requires_replace` attributes whose
/// planned value is not the same as the prior one ([`Attribute::same_value`](crate::schema::Attribute::same_value):
/// a change of letter case of an `ignore_case` attribute is an update in place). Runs on the
/// final plan, so a value the resource planned itself (a default put back, a drifted value
/// corrected) replaces the resource as a configured change would. Replacements the resource
/// asked for on other attributes stay.
pub(crate) fn settle_replacements(block: &Block, prior: &Value, plan: &mut Plan) {
    if prior.is_null() || plan.planned.is_null() {
        plan.requires_replace.clear();
        return;
    }
    let flagged = |path: &AttributePath| {
        block
            .attributes
            .iter()
            .any(|a| a.requires_replace && *path == AttributePath::attribute(a.name.clone()))
    };
    plan.requires_replace.retain(|path| !flagged(path));
    let field = |value: &Value, name: &str| value.attr(name).cloned().unwrap_or(Value::Null);
    for attribute in block.attributes.iter().filter(|a| a.requires_replace) {
        if !attribute.same_value(
            &field(prior, &attribute.name),
            &field(&plan.planned, &attribute.name),
        ) {
            plan.requires_replace
                .push(AttributePath::attribute(attribute.name.clone()));
        }
    }
    let mut seen = Vec::new();
    plan.requires_replace.retain(|path| {
        let first = !seen.contains(path);
        seen.push(path.clone());
        first
    });
}

fn settle_block(block: &Block, creating: bool, planned: &mut Value, config: &Value) {
    let Value::Object(attributes) = planned else {
        return;
    };
    for attribute in &block.attributes {
        let Some(value) = attributes.get_mut(&attribute.name) else {
            continue;
        };
        let configured = config.attr(&attribute.name).is_some_and(|v| !v.is_null());
        if attribute.write_only {
            *value = Value::Null;
        } else if attribute.is_computed() && !configured && creating {
            *value = Value::unknown();
        }
    }
    for nested in &block.blocks {
        let (Some(value), Some(configured)) = (
            attributes.get_mut(&nested.type_name),
            config.attr(&nested.type_name),
        ) else {
            continue;
        };
        match (nested.nesting, value) {
            (Nesting::Single, value) => settle_block(&nested.block, creating, value, configured),
            (Nesting::List, Value::List(items)) => {
                let configured = configured.as_elements().unwrap_or_default();
                for (item, item_config) in items.iter_mut().zip(configured) {
                    settle_block(&nested.block, creating, item, item_config);
                }
            }
            // Set elements have no stable position to match configuration by, and map
            // blocks are rare; Terraform's proposal stands for them.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::schema::{Attribute, NestedBlock, Schema};
    use crate::value::Type;

    fn schema() -> Schema {
        let mut schema = Schema::new(
            "",
            vec![
                Attribute::required("name", Type::String).requires_replace(),
                Attribute::optional("max_nodes", Type::Number),
                Attribute::computed("id", Type::String),
                Attribute::optional_computed("location", Type::String),
                Attribute::optional("secret", Type::String).write_only(),
            ],
        );
        schema.block.blocks.push(NestedBlock {
            type_name: "timeouts".into(),
            nesting: Nesting::Single,
            block: Block {
                attributes: vec![Attribute::optional_computed("create", Type::String)],
                ..Block::default()
            },
            min_items: 0,
            max_items: 0,
        });
        schema
    }

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn config(name: &str, location: Value) -> Value {
        object(&[
            ("name", name.into()),
            ("max_nodes", 4.into()),
            ("id", Value::Null),
            ("location", location),
            ("secret", "hunter2".into()),
            ("timeouts", object(&[("create", Value::Null)])),
        ])
    }

    #[test]
    fn create_leaves_unset_computed_attributes_unknown_and_drops_write_only() {
        let config = config("c1", Value::Null);
        let plan = default_plan(&schema().block, &Value::Null, &config, &config);
        assert!(plan.planned.attr("id").unwrap().is_unknown());
        assert!(plan.planned.attr("location").unwrap().is_unknown());
        assert!(plan.planned.attr("secret").unwrap().is_null());
        assert!(
            plan.planned
                .attr("timeouts")
                .unwrap()
                .attr("create")
                .unwrap()
                .is_unknown()
        );
        assert_eq!(plan.planned.attr("max_nodes"), Some(&4.into()));
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn configured_computed_attributes_keep_their_value() {
        let config = config("c1", "westeurope".into());
        let plan = default_plan(&schema().block, &Value::Null, &config, &config);
        assert_eq!(plan.planned.attr("location"), Some(&"westeurope".into()));
    }

    #[test]
    fn update_keeps_prior_computed_values_and_flags_replacements() {
        let prior = object(&[
            ("name", "c1".into()),
            ("max_nodes", 4.into()),
            ("id", "/x/c1".into()),
            ("location", "westeurope".into()),
            ("secret", Value::Null),
            ("timeouts", object(&[("create", "30m".into())])),
        ]);
        let config = config("c2", Value::Null);
        // Terraform proposes prior values for computed attributes the config leaves unset.
        let mut proposed = config.clone();
        if let Value::Object(attributes) = &mut proposed {
            attributes.insert("id".into(), "/x/c1".into());
            attributes.insert("location".into(), "westeurope".into());
        }
        let plan = default_plan(&schema().block, &prior, &proposed, &config);
        assert_eq!(plan.planned.attr("id"), Some(&"/x/c1".into()));
        assert!(plan.planned.attr("secret").unwrap().is_null());
        assert_eq!(
            plan.requires_replace,
            vec![AttributePath::attribute("name")]
        );
    }

    #[test]
    fn a_change_of_case_in_an_ignore_case_attribute_is_an_update_in_place() {
        let block = Block {
            attributes: vec![
                Attribute::required("subnet_id", Type::String)
                    .requires_replace()
                    .ignore_case(),
                Attribute::required("name", Type::String).requires_replace(),
            ],
            ..Block::default()
        };
        let prior = object(&[
            ("subnet_id", "/S/RG/subnets/a".into()),
            ("name", "c1".into()),
        ]);
        let recased = object(&[
            ("subnet_id", "/s/rg/subnets/a".into()),
            ("name", "c1".into()),
        ]);
        let plan = default_plan(&block, &prior, &recased, &recased);
        assert!(plan.requires_replace.is_empty());
        assert_eq!(
            plan.planned.attr("subnet_id"),
            Some(&"/s/rg/subnets/a".into())
        );

        let other = object(&[
            ("subnet_id", "/s/rg/subnets/b".into()),
            ("name", "C1".into()),
        ]);
        let plan = default_plan(&block, &prior, &other, &other);
        assert_eq!(
            plan.requires_replace,
            vec![
                AttributePath::attribute("subnet_id"),
                AttributePath::attribute("name")
            ]
        );
    }

    #[test]
    fn replacements_follow_the_final_plan_and_keep_the_resources_own() {
        let block = schema().block;
        let prior = object(&[("name", "c1".into()), ("location", "westeurope".into())]);
        // The resource put the name back to what it was, and asked for a replacement of
        // its own on another attribute.
        let mut plan = Plan {
            planned: object(&[("name", "c1".into()), ("location", "westeurope".into())]),
            private: Vec::new(),
            requires_replace: vec![
                AttributePath::attribute("name"),
                AttributePath::attribute("location"),
            ],
        };
        settle_replacements(&block, &prior, &mut plan);
        assert_eq!(
            plan.requires_replace,
            vec![AttributePath::attribute("location")]
        );
        // A value the resource planned itself replaces as a configured change would.
        plan.planned = object(&[("name", "c2".into()), ("location", "westeurope".into())]);
        settle_replacements(&block, &prior, &mut plan);
        assert_eq!(
            plan.requires_replace,
            vec![
                AttributePath::attribute("location"),
                AttributePath::attribute("name")
            ]
        );
    }

    #[test]
    fn case_blind_equality_reaches_into_collections() {
        let set = |items: &[&str]| Value::Set(items.iter().map(|i| Value::from(*i)).collect());
        assert!(set(&["A", "b"]).eq_ignoring_case(&set(&["B", "a"])));
        assert!(!set(&["A", "b"]).eq_ignoring_case(&set(&["a", "c"])));
        assert!(!set(&["A"]).eq_ignoring_case(&set(&["a", "A"])));
        let map = |v: &str| Value::Map([("k".to_owned(), Value::from(v))].into());
        assert!(map("X").eq_ignoring_case(&map("x")));
        assert!(!Value::from("x").eq_ignoring_case(&Value::Null));
        assert!(Value::from(4).eq_ignoring_case(&Value::from(4)));
    }

    #[test]
    fn destroy_plans_null() {
        let prior = config("c1", Value::Null);
        let plan = default_plan(&schema().block, &prior, &Value::Null, &Value::Null);
        assert!(plan.planned.is_null());
        assert!(plan.requires_replace.is_empty());
    }
}
