//! Microsoft.Authorization: management locks (2020-05-01, `locks.json`) and Azure Policy
//! assignments, definitions and set definitions (2023-04-01, `policyAssignments.json`,
//! `policyDefinitions.json`, `policySetDefinitions.json`), read only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{ProxyResource, null_as_default};

/// `ManagementLockObject`: a lock on a subscription, resource group or resource.
pub type ManagementLock = ProxyResource<ManagementLockProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ManagementLockProperties {
    /// `NotSpecified`, `CanNotDelete` or `ReadOnly`.
    pub level: String,
    pub notes: Option<String>,
}

impl ManagementLock {
    /// The scope the lock is on, normalised (lower case): its id without
    /// `/providers/Microsoft.Authorization/locks/{name}`; `None` for an id of another shape.
    pub fn scope(&self) -> Option<String> {
        let id = super::super::resource_id::normalize(self.id.as_deref()?);
        let (scope, name) = id.rsplit_once("/providers/microsoft.authorization/locks/")?;
        (!name.is_empty() && !name.contains('/')).then(|| scope.to_owned())
    }
}

/// A parameter's value in an assignment or a set definition's reference: `{"value": ...}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ParameterValue {
    pub value: serde_json::Value,
}

/// `PolicyAssignment`: a policy or initiative applied to a scope.
pub type PolicyAssignment = ProxyResource<PolicyAssignmentProperties>;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyAssignmentProperties {
    pub display_name: Option<String>,
    /// A policy definition's or a policy set definition's ID.
    pub policy_definition_id: String,
    pub scope: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub not_scopes: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub parameters: BTreeMap<String, ParameterValue>,
    /// `Default` or `DoNotEnforce`.
    pub enforcement_mode: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub resource_selectors: Vec<ResourceSelector>,
    #[serde(deserialize_with = "null_as_default")]
    pub overrides: Vec<PolicyOverride>,
}

/// Which resources an assignment applies to.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResourceSelector {
    pub name: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub selectors: Vec<PolicySelector>,
}

/// `Selector`: `kind` (`resourceLocation`, `resourceType`, `resourceWithoutLocation`,
/// `policyDefinitionReferenceId`) and the values it takes or leaves out.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicySelector {
    pub kind: String,
    #[serde(rename = "in")]
    pub is_in: Option<Vec<String>>,
    pub not_in: Option<Vec<String>>,
}

/// `Override`: an assignment changing a policy's effect (`kind` `policyEffect`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PolicyOverride {
    pub kind: String,
    pub value: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub selectors: Vec<PolicySelector>,
}

/// A parameter a definition or set definition declares.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ParameterDefinition {
    pub default_value: Option<serde_json::Value>,
}

/// `PolicyDefinition`: a policy rule and its parameters.
pub type PolicyDefinition = ProxyResource<PolicyDefinitionProperties>;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyDefinitionProperties {
    pub display_name: Option<String>,
    /// `All` or `Indexed` (or a resource provider mode).
    pub mode: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub parameters: BTreeMap<String, ParameterDefinition>,
    pub policy_rule: Option<serde_json::Value>,
}

/// `PolicySetDefinition`: an initiative, grouping policy definitions.
pub type PolicySetDefinition = ProxyResource<PolicySetDefinitionProperties>;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicySetDefinitionProperties {
    pub display_name: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub parameters: BTreeMap<String, ParameterDefinition>,
    #[serde(deserialize_with = "null_as_default")]
    pub policy_definitions: Vec<PolicyDefinitionReference>,
}

/// One policy of an initiative, with the parameter values the initiative passes it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyDefinitionReference {
    pub policy_definition_id: String,
    pub policy_definition_reference_id: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub parameters: BTreeMap<String, ParameterValue>,
}
