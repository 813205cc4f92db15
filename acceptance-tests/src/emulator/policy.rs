//! Azure Policy, Microsoft.Authorization 2023-04-01 (`policyAssignments.json`,
//! `policyDefinitions.json`, `policySetDefinitions.json`): assignments at subscription and
//! resource-group scope; definitions and set definitions at subscription and management-group
//! scope; and, at tenant scope, a few built-in definitions (written for the emulator, with the
//! names and the behaviour of Azure's: allowed and not allowed resource types, allowed
//! locations, a required tag). Policies are listed, not enforced: writes they would deny
//! still succeed here.
//!
//! A list of assignments at a resource group shows those on the group and, inherited, on its
//! subscription; `$filter=atScope()` asks for exactly those, `atExactScope()` for the group's
//! own. Paths are matched without regard to case, as ARM does; bodies keep the client's casing.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::api_version::{POLICY_API_VERSION, check_pinned};
use super::http::{ArmError, ArmResult, Incoming, Reply};
use super::store::Store;

/// Everything policy, by lower-case ID.
#[derive(Debug, Clone)]
pub struct Policies {
    entries: BTreeMap<String, Value>,
}

/// The three types, as they appear in paths and in `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Assignment,
    Definition,
    SetDefinition,
}

impl Kind {
    fn segment(self) -> &'static str {
        match self {
            Kind::Assignment => "policyAssignments",
            Kind::Definition => "policyDefinitions",
            Kind::SetDefinition => "policySetDefinitions",
        }
    }

    fn type_name(self) -> String {
        format!("Microsoft.Authorization/{}", self.segment())
    }
}

/// Where a policy object lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Tenant,
    ManagementGroup(String),
    Subscription(String),
    ResourceGroup(String, String),
}

impl Scope {
    fn parse(prefix: &str) -> Option<Scope> {
        let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] => Some(Scope::Tenant),
            [subs, s] if subs.eq_ignore_ascii_case("subscriptions") => {
                Some(Scope::Subscription((*s).to_owned()))
            }
            [subs, s, groups, g]
                if subs.eq_ignore_ascii_case("subscriptions")
                    && groups.eq_ignore_ascii_case("resourceGroups") =>
            {
                Some(Scope::ResourceGroup((*s).to_owned(), (*g).to_owned()))
            }
            [providers, management, groups, m]
                if providers.eq_ignore_ascii_case("providers")
                    && management.eq_ignore_ascii_case("Microsoft.Management")
                    && groups.eq_ignore_ascii_case("managementGroups") =>
            {
                Some(Scope::ManagementGroup((*m).to_owned()))
            }
            _ => None,
        }
    }

    fn subscription(&self) -> Option<&str> {
        match self {
            Scope::Subscription(s) | Scope::ResourceGroup(s, _) => Some(s),
            _ => None,
        }
    }
}

/// A request path split at `/providers/Microsoft.Authorization/{kind}[/{name}]`.
struct PolicyPath {
    scope_text: String,
    scope: Scope,
    kind: Kind,
    name: Option<String>,
}

fn parse_path(path: &str) -> Option<PolicyPath> {
    let path = path.trim_end_matches('/');
    let lower = path.to_ascii_lowercase();
    let marker = "/providers/microsoft.authorization/";
    let at = lower.rfind(marker)?;
    let rest: Vec<&str> = path[at + marker.len()..].split('/').collect();
    let kind = match rest.first()?.to_ascii_lowercase().as_str() {
        "policyassignments" => Kind::Assignment,
        "policydefinitions" => Kind::Definition,
        "policysetdefinitions" => Kind::SetDefinition,
        _ => return None,
    };
    let name = match rest.as_slice() {
        [_] => None,
        [_, name] if !name.is_empty() => Some((*name).to_owned()),
        _ => return None,
    };
    let scope_text = path[..at].to_owned();
    Some(PolicyPath {
        scope: Scope::parse(&scope_text)?,
        scope_text,
        kind,
        name,
    })
}

impl Default for Policies {
    /// The built-in definitions.
    fn default() -> Policies {
        let mut policies = Policies {
            entries: BTreeMap::new(),
        };
        for (name, display, parameters, rule) in built_ins() {
            let id = format!("/providers/Microsoft.Authorization/policyDefinitions/{name}");
            policies.entries.insert(
                id.to_ascii_lowercase(),
                json!({"id": id, "type": Kind::Definition.type_name(), "name": name,
                    "properties": {"displayName": display, "policyType": "BuiltIn",
                        "mode": "Indexed", "metadata": {"category": "General", "version": "1.0.0"},
                        "parameters": parameters, "policyRule": rule}}),
            );
        }
        policies
    }
}

/// (name, display name, parameters, rule) of the built-in definitions.
fn built_ins() -> Vec<(&'static str, &'static str, Value, Value)> {
    let list = |name: &str, description: &str| json!({name: {"type": "Array", "metadata": {"displayName": name, "description": description}}});
    vec![
        (
            "a08ec900-254a-4555-9bf5-e42af04b5c5c",
            "Allowed resource types",
            list(
                "listOfResourceTypesAllowed",
                "Resource types that may be deployed.",
            ),
            json!({"if": {"not": {"field": "type", "in": "[parameters('listOfResourceTypesAllowed')]"}},
                "then": {"effect": "deny"}}),
        ),
        (
            "6c112d4e-5bc7-47ae-a041-ea2d9dccd749",
            "Not allowed resource types",
            {
                let mut parameters = list(
                    "listOfResourceTypesNotAllowed",
                    "Resource types that may not be deployed.",
                );
                parameters["effect"] = json!({"type": "String",
                    "allowedValues": ["Audit", "Deny", "Disabled"], "defaultValue": "Deny",
                    "metadata": {"displayName": "Effect", "description": "What happens to a matching resource."}});
                parameters
            },
            json!({"if": {"field": "type", "in": "[parameters('listOfResourceTypesNotAllowed')]"},
                "then": {"effect": "[parameters('effect')]"}}),
        ),
        (
            "e56962a6-4747-49cd-b67b-bf8b01975c4c",
            "Allowed locations",
            list(
                "listOfAllowedLocations",
                "Regions resources may be deployed to.",
            ),
            json!({"if": {"allOf": [
                    {"field": "location", "notIn": "[parameters('listOfAllowedLocations')]"},
                    {"field": "location", "notEquals": "global"}]},
                "then": {"effect": "deny"}}),
        ),
        (
            "871b6d14-10aa-478d-b590-94f262ecfa99",
            "Require a tag on resources",
            json!({"tagName": {"type": "String",
                "metadata": {"displayName": "Tag name", "description": "The tag every resource needs."}}}),
            json!({"if": {"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"},
                "then": {"effect": "deny"}}),
        ),
    ]
}

/// The subscription the emulator serves and the resources it holds, against which a policy
/// request's scope is checked.
pub struct Scopes<'a> {
    pub subscription_id: &'a str,
    pub store: &'a Store,
}

/// Handles a policy request; `None` for any other path.
pub fn route(
    policies: &mut Policies,
    scopes: Scopes<'_>,
    req: &Incoming,
) -> Option<ArmResult<Reply>> {
    let path = parse_path(&req.path)?;
    Some(handle(policies, scopes, req, &path))
}

fn handle(
    policies: &mut Policies,
    scopes: Scopes<'_>,
    req: &Incoming,
    path: &PolicyPath,
) -> ArmResult<Reply> {
    check_pinned(
        req,
        POLICY_API_VERSION,
        "Microsoft.Authorization (Azure Policy)",
    )?;
    if let Some(subscription) = path.scope.subscription()
        && !subscription.eq_ignore_ascii_case(scopes.subscription_id)
    {
        return Err(ArmError::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        ));
    }
    if let Scope::ResourceGroup(s, g) = &path.scope {
        let key = format!("/subscriptions/{s}/resourcegroups/{g}").to_ascii_lowercase();
        if !scopes.store.contains(&key) {
            return Err(ArmError::new(
                404,
                "ResourceGroupNotFound",
                format!("Resource group '{g}' could not be found."),
            ));
        }
    }
    let allowed = match path.kind {
        Kind::Assignment => matches!(
            path.scope,
            Scope::Subscription(_) | Scope::ResourceGroup(..)
        ),
        Kind::Definition | Kind::SetDefinition => !matches!(path.scope, Scope::ResourceGroup(..)),
    };
    if !allowed {
        return Err(ArmError::new(
            404,
            "NotFound",
            format!(
                "No HTTP resource was found that matches the request URI '{}'.",
                req.path
            ),
        ));
    }
    let id = |name: &str| {
        format!(
            "{}/providers/Microsoft.Authorization/{}/{name}",
            path.scope_text,
            path.kind.segment()
        )
    };
    match (req.method.as_str(), &path.name) {
        ("GET", None) => list(policies, req, path),
        ("GET", Some(name)) => policies
            .entries
            .get(&id(name).to_ascii_lowercase())
            .map(|body| Reply::json(200, body.clone()))
            .ok_or_else(|| not_found(path.kind, name)),
        ("PUT", Some(name)) if path.scope == Scope::Tenant => Err(ArmError::new(
            403,
            "AuthorizationFailed",
            format!("Built-in policy objects cannot be written; '{name}' is read only."),
        )),
        ("PUT", Some(name)) => put(policies, req, path, &id(name), name),
        ("DELETE", Some(name)) => {
            let removed = policies.entries.remove(&id(name).to_ascii_lowercase());
            Ok(Reply::json(
                if removed.is_some() { 200 } else { 204 },
                removed.unwrap_or(Value::Null),
            ))
        }
        (method, _) => Err(ArmError::new(
            405,
            "HttpMethodNotAllowed",
            format!(
                "The HTTP method '{method}' is not supported at '{}'.",
                req.path
            ),
        )),
    }
}

fn not_found(kind: Kind, name: &str) -> ArmError {
    let code = match kind {
        Kind::Assignment => "PolicyAssignmentNotFound",
        Kind::Definition => "PolicyDefinitionNotFound",
        Kind::SetDefinition => "PolicySetDefinitionNotFound",
    };
    ArmError::new(
        404,
        code,
        format!("The {} '{name}' could not be found.", kind.segment()),
    )
}

fn put(
    policies: &mut Policies,
    req: &Incoming,
    path: &PolicyPath,
    id: &str,
    name: &str,
) -> ArmResult<Reply> {
    let body = req.json()?.unwrap_or(Value::Null);
    let properties = body.get("properties").cloned().unwrap_or(json!({}));
    let mut properties = properties.as_object().cloned().ok_or_else(|| {
        ArmError::bad_request("InvalidRequestContent", "properties must be an object.")
    })?;
    let exists = |reference: &str| {
        policies
            .entries
            .contains_key(&reference.to_ascii_lowercase())
    };
    match path.kind {
        Kind::Assignment => {
            let definition = properties
                .get("policyDefinitionId")
                .and_then(Value::as_str)
                .ok_or_else(|| missing("properties.policyDefinitionId"))?;
            if !exists(definition) {
                return Err(ArmError::bad_request(
                    "PolicyDefinitionNotFound",
                    format!("The policy definition '{definition}' could not be found."),
                ));
            }
            properties.insert("scope".into(), json!(path.scope_text));
            properties
                .entry("enforcementMode")
                .or_insert(json!("Default"));
            properties.entry("notScopes").or_insert(json!([]));
            properties.entry("parameters").or_insert(json!({}));
        }
        Kind::Definition => {
            if !properties.get("policyRule").is_some_and(Value::is_object) {
                return Err(missing("properties.policyRule"));
            }
            properties.insert("policyType".into(), json!("Custom"));
            properties.entry("mode").or_insert(json!("Indexed"));
        }
        Kind::SetDefinition => {
            let members = properties
                .get("policyDefinitions")
                .and_then(Value::as_array)
                .ok_or_else(|| missing("properties.policyDefinitions"))?;
            for member in members {
                let reference = member
                    .get("policyDefinitionId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| missing("properties.policyDefinitions[].policyDefinitionId"))?;
                if !exists(reference) {
                    return Err(ArmError::bad_request(
                        "PolicyDefinitionNotFound",
                        format!("The policy definition '{reference}' could not be found."),
                    ));
                }
            }
            properties.insert("policyType".into(), json!("Custom"));
        }
    }
    let stored = json!({"id": id, "type": path.kind.type_name(), "name": name,
        "properties": properties});
    let previous = policies
        .entries
        .insert(id.to_ascii_lowercase(), stored.clone());
    let status = match (path.kind, previous) {
        (Kind::SetDefinition, Some(_)) => 200,
        _ => 201,
    };
    Ok(Reply::json(status, stored))
}

fn missing(what: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidRequestContent",
        format!("The request content is missing the required property '{what}'."),
    )
    .with_target(what.to_owned())
}

/// Lists at a subscription or resource group (assignments), or at any scope of definitions.
fn list(policies: &Policies, req: &Incoming, path: &PolicyPath) -> ArmResult<Reply> {
    let scope = path.scope_text.trim_end_matches('/').to_ascii_lowercase();
    let segment = path.kind.segment().to_ascii_lowercase();
    let filter = req
        .query_param("$filter")
        .map(|f| f.replace(' ', "").to_ascii_lowercase());
    let own = |id: &str, at: &str| {
        id.strip_prefix(at)
            .and_then(|rest| rest.strip_prefix("/providers/microsoft.authorization/"))
            .is_some_and(|rest| rest.starts_with(&format!("{segment}/")))
    };
    let values: Vec<Value> = match path.kind {
        Kind::Assignment => {
            // The scopes whose assignments apply here: this one and its subscription.
            let mut at = vec![scope.clone()];
            if let Scope::ResourceGroup(s, _) = &path.scope {
                at.push(format!("/subscriptions/{s}").to_ascii_lowercase());
            }
            let definition = filter
                .as_deref()
                .and_then(|f| f.strip_prefix("policydefinitionideq'"))
                .map(|d| d.trim_end_matches('\'').to_owned());
            let (at, below) = match filter.as_deref() {
                None => (at, true),
                Some("atscope()") => (at, false),
                Some("atexactscope()") => (vec![scope.clone()], false),
                Some(_) if definition.is_some() => (at, true),
                Some(_) => {
                    return Err(ArmError::bad_request(
                        "InvalidFilter",
                        "The filter is not supported. Use atScope(), atExactScope() or policyDefinitionId eq '{id}'.",
                    ));
                }
            };
            policies
                .entries
                .iter()
                .filter(|(id, _)| {
                    at.iter().any(|a| own(id, a))
                        || (below
                            && id.starts_with(&format!("{scope}/"))
                            && id.contains(&format!("/{segment}/")))
                })
                .map(|(_, body)| body)
                .filter(|body| {
                    definition.as_deref().is_none_or(|d| {
                        body.pointer("/properties/policyDefinitionId")
                            .and_then(Value::as_str)
                            .is_some_and(|p| p.eq_ignore_ascii_case(d))
                    })
                })
                .cloned()
                .collect()
        }
        Kind::Definition | Kind::SetDefinition => policies
            .entries
            .iter()
            .filter(|(id, _)| own(id, &scope))
            .map(|(_, body)| body.clone())
            .collect(),
    };
    Ok(Reply::json(200, json!({ "value": values })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_scope_kind_and_name() {
        let parsed = parse_path(
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Authorization/policyAssignments/a",
        )
        .unwrap();
        assert_eq!(parsed.scope, Scope::ResourceGroup("S".into(), "RG".into()));
        assert_eq!(
            (parsed.kind, parsed.name.as_deref()),
            (Kind::Assignment, Some("a"))
        );
        let built_in =
            parse_path("/providers/microsoft.authorization/policydefinitions/x").unwrap();
        assert_eq!(
            (built_in.scope, built_in.kind),
            (Scope::Tenant, Kind::Definition)
        );
        let group = parse_path(
            "/providers/Microsoft.Management/managementGroups/root/providers/Microsoft.Authorization/policySetDefinitions",
        )
        .unwrap();
        assert_eq!(group.scope, Scope::ManagementGroup("root".into()));
        assert!(group.name.is_none());
        assert!(parse_path("/subscriptions/s/providers/Microsoft.Authorization/locks/x").is_none());
        assert!(
            parse_path(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
            )
            .is_none()
        );
    }

    #[test]
    fn built_ins_are_definitions_with_rules() {
        let policies = Policies::default();
        assert_eq!(policies.entries.len(), 4);
        for body in policies.entries.values() {
            assert_eq!(body["type"], "Microsoft.Authorization/policyDefinitions");
            assert_eq!(body["properties"]["policyType"], "BuiltIn");
            assert!(body["properties"]["policyRule"]["if"].is_object());
        }
    }
}
