//! The Azure Policy assignments in force at a virtual network's resource group, with their
//! definitions, read from Azure for AMLS143: ARM models in, rule inputs out.
//!
//! The assignments are one list (`$filter=atScope()`: those on the group and those it
//! inherits from its subscription and management groups), read with what the configuration
//! names. Then every definition and set definition they name is read at once, and, only for
//! set definitions (initiatives), their member definitions at once: a plan under an assigned
//! initiative waits one round trip more. Everything goes through the read cache, so
//! definitions shared by many assignments or plans are read once per process.

use std::collections::BTreeMap;

use futures_util::future::join_all;

use crate::arm::models::ListResult;
use crate::arm::models::authorization::{
    ParameterDefinition, ParameterValue, PolicyAssignment, PolicyDefinition, PolicySelector,
    PolicySetDefinition,
};
use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, api_version};
use crate::rules::policy::{
    AssignedPolicy, Assignment, EffectOverride, Selector, member_parameters, resolve_parameters,
};

/// The assignments in force at a resource group, or why they could not be read.
pub type PolicyFacts = Result<Vec<Assignment>, String>;

/// Reads the assignments in force at the resource group `group_id` and what they assign.
pub async fn assignments_at(
    arm: &ArmClient,
    ctx: &CallContext,
    group_id: &ResourceId,
) -> PolicyFacts {
    let assignments = list_assignments(arm, ctx, group_id)
        .await
        .map_err(|e| reason(&e))?;
    let mut definition_ids: Vec<&str> = assignments
        .iter()
        .map(|a| a.properties.policy_definition_id.as_str())
        .collect();
    definition_ids.sort_unstable_by_key(|id| id.to_ascii_lowercase());
    definition_ids.dedup_by_key(|id| id.to_ascii_lowercase());
    let definitions: Vec<(String, Result<Definition, String>)> = join_all(
        definition_ids
            .into_iter()
            .map(|id| async move { (id.to_ascii_lowercase(), definition(arm, ctx, id).await) }),
    )
    .await;
    let definitions: BTreeMap<String, Result<Definition, String>> =
        definitions.into_iter().collect();
    Ok(assignments
        .iter()
        .map(|a| {
            assignment(
                a,
                definitions.get(&a.properties.policy_definition_id.to_ascii_lowercase()),
            )
        })
        .collect())
}

/// `PolicyAssignments_ListForResourceGroup` with `$filter=atScope()`.
async fn list_assignments(
    arm: &ArmClient,
    ctx: &CallContext,
    group_id: &ResourceId,
) -> Result<Vec<PolicyAssignment>, ArmError> {
    let path = format!(
        "{}/providers/Microsoft.Authorization/policyAssignments?$filter=atScope()",
        group_id.as_str()
    );
    let first: ListResult<PolicyAssignment> =
        arm.get_cached(ctx, &path, api_version::POLICY).await?;
    match first.next_link {
        None => Ok(first.value),
        // More than a page of assignments: rare enough to read all pages uncached.
        Some(_) => arm.list(ctx, &path, api_version::POLICY).await,
    }
}

/// What an assignment names: a policy, or an initiative and its policies.
enum Definition {
    Policy(PolicyDefinition),
    Initiative {
        set: PolicySetDefinition,
        /// The member definitions, in the set's order; `Err` when one could not be read.
        members: Result<Vec<PolicyDefinition>, String>,
    },
}

async fn definition(arm: &ArmClient, ctx: &CallContext, id: &str) -> Result<Definition, String> {
    if !id.to_ascii_lowercase().contains("/policysetdefinitions/") {
        let policy: PolicyDefinition = arm
            .get_cached(ctx, id, api_version::POLICY)
            .await
            .map_err(|e| reason(&e))?;
        return Ok(Definition::Policy(policy));
    }
    let set: PolicySetDefinition = arm
        .get_cached(ctx, id, api_version::POLICY)
        .await
        .map_err(|e| reason(&e))?;
    let members = join_all(set.properties.policy_definitions.iter().map(|member| {
        arm.get_cached::<PolicyDefinition>(ctx, &member.policy_definition_id, api_version::POLICY)
    }))
    .await;
    let members = members
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| reason(&e));
    Ok(Definition::Initiative { set, members })
}

fn assignment(
    found: &PolicyAssignment,
    definition: Option<&Result<Definition, String>>,
) -> Assignment {
    let p = &found.properties;
    let given = values(&p.parameters);
    let (initiative, policies) = match definition {
        None => (None, Err("its definition was not read".to_owned())),
        Some(Err(reason)) => (None, Err(reason.clone())),
        Some(Ok(Definition::Policy(policy))) => (None, Ok(vec![assigned(policy, None, &given)])),
        Some(Ok(Definition::Initiative { set, members })) => {
            let set_values = resolve_parameters(&defaults(&set.properties.parameters), &given);
            let policies = members.clone().map(|members| {
                set.properties
                    .policy_definitions
                    .iter()
                    .zip(&members)
                    .map(|(reference, member)| {
                        let passed = member_parameters(&values(&reference.parameters), &set_values);
                        assigned(
                            member,
                            reference.policy_definition_reference_id.clone(),
                            &passed,
                        )
                    })
                    .collect()
            });
            (
                Some(display_name(&set.properties.display_name, &set.name)),
                policies,
            )
        }
    };
    Assignment {
        name: display_name(&p.display_name, &found.name),
        id: found.id.clone().unwrap_or_default(),
        scope: p.scope.clone().unwrap_or_default(),
        not_scopes: p.not_scopes.clone(),
        enforced: !p
            .enforcement_mode
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("DoNotEnforce")),
        resource_selectors: p
            .resource_selectors
            .iter()
            .map(|r| r.selectors.iter().map(selector).collect())
            .collect(),
        overrides: p
            .overrides
            .iter()
            .filter(|o| o.kind.eq_ignore_ascii_case("policyEffect"))
            .filter_map(|o| {
                Some(EffectOverride {
                    effect: o.value.clone()?,
                    selectors: o.selectors.iter().map(selector).collect(),
                })
            })
            .collect(),
        initiative,
        policies,
    }
}

fn assigned(
    policy: &PolicyDefinition,
    reference_id: Option<String>,
    given: &BTreeMap<String, serde_json::Value>,
) -> AssignedPolicy {
    let p = &policy.properties;
    AssignedPolicy {
        name: display_name(&p.display_name, &policy.name),
        reference_id,
        mode: p.mode.clone().unwrap_or_default(),
        rule: p.policy_rule.clone().unwrap_or_default(),
        parameters: resolve_parameters(&defaults(&p.parameters), given),
    }
}

fn selector(s: &PolicySelector) -> Selector {
    Selector {
        kind: s.kind.clone(),
        is_in: s.is_in.clone(),
        not_in: s.not_in.clone(),
    }
}

fn values(parameters: &BTreeMap<String, ParameterValue>) -> BTreeMap<String, serde_json::Value> {
    parameters
        .iter()
        .map(|(name, v)| (name.clone(), v.value.clone()))
        .collect()
}

fn defaults(
    parameters: &BTreeMap<String, ParameterDefinition>,
) -> BTreeMap<String, Option<serde_json::Value>> {
    parameters
        .iter()
        .map(|(name, p)| (name.clone(), p.default_value.clone()))
        .collect()
}

fn display_name(display: &Option<String>, name: &Option<String>) -> String {
    display
        .clone()
        .filter(|d| !d.trim().is_empty())
        .or_else(|| name.clone())
        .unwrap_or_default()
}

/// An ARM error code for messages, like `AuthorizationFailed`.
fn reason(error: &ArmError) -> String {
    if error.is_not_found() {
        return "it does not exist".to_owned();
    }
    error.code().unwrap_or("no answer").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::models::authorization::{
        PolicyAssignmentProperties, PolicyDefinitionProperties, PolicyDefinitionReference,
        PolicySetDefinitionProperties,
    };
    use serde_json::json;

    fn definition(name: &str, defaults: &[(&str, serde_json::Value)]) -> PolicyDefinition {
        PolicyDefinition {
            id: Some(format!(
                "/providers/Microsoft.Authorization/policyDefinitions/{name}"
            )),
            name: Some(name.into()),
            properties: PolicyDefinitionProperties {
                display_name: Some(format!("{name} display")),
                mode: Some("Indexed".into()),
                parameters: defaults
                    .iter()
                    .map(|(k, v)| {
                        (
                            (*k).to_owned(),
                            ParameterDefinition {
                                default_value: Some(v.clone()),
                            },
                        )
                    })
                    .collect(),
                policy_rule: Some(
                    json!({"if": {"field": "type", "equals": "x"}, "then": {"effect": "deny"}}),
                ),
            },
            ..PolicyDefinition::default()
        }
    }

    fn given(pairs: &[(&str, serde_json::Value)]) -> BTreeMap<String, ParameterValue> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), ParameterValue { value: v.clone() }))
            .collect()
    }

    #[test]
    fn an_initiative_passes_its_parameters_to_its_policies() {
        let found = PolicyAssignment {
            id: Some(
                "/subscriptions/s/providers/Microsoft.Authorization/policyAssignments/a".into(),
            ),
            name: Some("a".into()),
            properties: PolicyAssignmentProperties {
                display_name: None,
                policy_definition_id:
                    "/subscriptions/s/providers/Microsoft.Authorization/policySetDefinitions/set"
                        .into(),
                scope: Some("/subscriptions/s".into()),
                enforcement_mode: Some("doNotEnforce".into()),
                parameters: given(&[("blocked", json!(["t"]))]),
                ..PolicyAssignmentProperties::default()
            },
            ..PolicyAssignment::default()
        };
        let set = PolicySetDefinition {
            name: Some("set".into()),
            properties: PolicySetDefinitionProperties {
                display_name: Some("Baseline".into()),
                parameters: BTreeMap::new(),
                policy_definitions: vec![PolicyDefinitionReference {
                    policy_definition_id: "/providers/Microsoft.Authorization/policyDefinitions/p"
                        .into(),
                    policy_definition_reference_id: Some("ref-p".into()),
                    parameters: given(&[("types", json!("[parameters('blocked')]"))]),
                }],
            },
            ..PolicySetDefinition::default()
        };
        let member = definition("p", &[("effect", json!("Deny"))]);
        let resolved = assignment(
            &found,
            Some(&Ok(Definition::Initiative {
                set,
                members: Ok(vec![member]),
            })),
        );
        assert_eq!(resolved.name, "a");
        assert!(!resolved.enforced);
        assert_eq!(resolved.initiative.as_deref(), Some("Baseline"));
        let policies = resolved.policies.unwrap();
        assert_eq!(policies[0].name, "p display");
        assert_eq!(policies[0].reference_id.as_deref(), Some("ref-p"));
        assert_eq!(
            policies[0].parameters,
            [
                ("effect".to_owned(), json!("Deny")),
                ("types".to_owned(), json!(["t"]))
            ]
            .into()
        );
        let unread = assignment(&found, Some(&Err("AuthorizationFailed".into())));
        assert_eq!(unread.policies, Err("AuthorizationFailed".into()));
    }
}
