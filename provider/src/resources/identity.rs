//! Resource identity (Terraform 1.12+): every resource is named by the parts of an ARM ID
//! (subscription, resource group, the names down to the object), plus the name prefix for
//! the resources that own some children of a parent. Terraform stores it beside the state,
//! accepts it in `import { identity = { ... } }`, and list resources report it.

use tfplugin::Value;
use tfplugin::resource::{Identity, IdentityAttribute, IdentitySchema};
use tfplugin::value::Type;

use super::prefix_owned::name_prefix;
use crate::arm::ResourceId;

/// An identity spelled from the ARM ID held in one state attribute.
pub struct ArmIdentity {
    /// The state attribute holding the ARM ID (`id`, `workspace_id`, ...).
    pub id_attribute: &'static str,
    /// Its provider namespace, e.g. `Microsoft.MachineLearningServices`.
    pub namespace: &'static str,
    /// Its type segments, outermost first, each with the identity attribute naming it:
    /// `[("workspaces", "workspace_name"), ("computes", "name")]`.
    pub segments: &'static [(&'static str, &'static str)],
    /// Whether `name_prefix` completes the identity (rule sets and routes owned by prefix).
    pub name_prefix: bool,
}

/// The identity of an ML compute: `.../workspaces/{workspace_name}/computes/{name}`.
pub const COMPUTE: ArmIdentity = ArmIdentity {
    id_attribute: "id",
    namespace: "Microsoft.MachineLearningServices",
    segments: &[("workspaces", "workspace_name"), ("computes", "name")],
    name_prefix: false,
};

/// The identity of a workspace's firewall resources: the workspace they lock down for.
pub const WORKSPACE: ArmIdentity = ArmIdentity {
    id_attribute: "workspace_id",
    namespace: "Microsoft.MachineLearningServices",
    segments: &[("workspaces", "workspace_name")],
    name_prefix: false,
};

/// The identity of an NSG rule set: the network security group and the rules' name prefix.
pub const NSG_RULE_SET: ArmIdentity = ArmIdentity {
    id_attribute: "network_security_group_id",
    namespace: "Microsoft.Network",
    segments: &[("networkSecurityGroups", "network_security_group_name")],
    name_prefix: true,
};

/// The identity of the tunnelling routes: the route table and the routes' name prefix.
pub const ROUTES: ArmIdentity = ArmIdentity {
    id_attribute: "route_table_id",
    namespace: "Microsoft.Network",
    segments: &[("routeTables", "route_table_name")],
    name_prefix: true,
};

fn describe(name: &str) -> String {
    match name {
        "subscription_id" => "Subscription ID.".to_owned(),
        "resource_group_name" => "Resource group name.".to_owned(),
        "workspace_name" => "Azure Machine Learning workspace name.".to_owned(),
        "name" => "Name of the compute in the workspace.".to_owned(),
        "network_security_group_name" => "Network security group name.".to_owned(),
        "route_table_name" => "Route table name.".to_owned(),
        "name_prefix" => format!(
            "Name prefix of the children this resource owns (default `{}`).",
            name_prefix::DEFAULT
        ),
        other => format!("{other}."),
    }
}

impl ArmIdentity {
    fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        ["subscription_id", "resource_group_name"]
            .into_iter()
            .chain(self.segments.iter().map(|(_, name)| *name))
            .chain(self.name_prefix.then_some("name_prefix"))
    }
}

impl Identity for ArmIdentity {
    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema {
            version: 0,
            attributes: self
                .names()
                .map(|name| IdentityAttribute {
                    name: name.to_owned(),
                    ty: Type::String,
                    description: describe(name),
                    required_for_import: name != "name_prefix",
                })
                .collect(),
        }
    }

    fn identity_of(&self, state: &Value) -> Value {
        let id = state
            .str_field(self.id_attribute)
            .known()
            .and_then(|id| ResourceId::parse(&id).ok());
        let mut parts: Vec<(&str, Value)> = Vec::new();
        parts.push((
            "subscription_id",
            id.as_ref().map(|id| id.subscription_id().to_owned()).into(),
        ));
        parts.push((
            "resource_group_name",
            id.as_ref()
                .and_then(|id| id.resource_group().map(str::to_owned))
                .into(),
        ));
        let names: Vec<String> = id
            .as_ref()
            .map(|id| id.types().map(|(_, name)| name.to_owned()).collect())
            .unwrap_or_default();
        for (index, (_, attribute)) in self.segments.iter().enumerate() {
            parts.push((attribute, names.get(index).cloned().into()));
        }
        if self.name_prefix {
            parts.push(("name_prefix", state.str_field("name_prefix").known().into()));
        }
        Value::object(parts)
    }

    fn import_id(&self, identity: &Value) -> Option<String> {
        let part = |name: &str| {
            identity
                .str_field(name)
                .known()
                .filter(|v| !v.trim().is_empty() && !v.contains('/'))
        };
        let mut id = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{}",
            part("subscription_id")?,
            part("resource_group_name")?,
            self.namespace
        );
        for (segment, attribute) in self.segments {
            id.push_str(&format!("/{segment}/{}", part(attribute)?));
        }
        if self.name_prefix
            && let Some(prefix) = part("name_prefix")
        {
            id.push_str(&format!("|{prefix}"));
        }
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPUTE_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/gpu";
    const NSG_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg";

    #[test]
    fn identity_and_import_id_are_two_spellings_of_one_arm_id() {
        let state = Value::object([("id", COMPUTE_ID.into())]);
        let identity = COMPUTE.identity_of(&state);
        assert_eq!(
            identity,
            Value::object([
                (
                    "subscription_id",
                    "00000000-0000-0000-0000-000000000001".into()
                ),
                ("resource_group_name", "rg".into()),
                ("workspace_name", "ws".into()),
                ("name", "gpu".into()),
            ])
        );
        assert_eq!(COMPUTE.import_id(&identity).unwrap(), COMPUTE_ID);
    }

    #[test]
    fn rule_sets_add_their_prefix_which_may_be_left_out() {
        let state = Value::object([
            ("network_security_group_id", NSG_ID.into()),
            ("name_prefix", "aml".into()),
        ]);
        let identity = NSG_RULE_SET.identity_of(&state);
        assert_eq!(
            NSG_RULE_SET.import_id(&identity).unwrap(),
            format!("{NSG_ID}|aml")
        );
        let mut without = identity.clone();
        without.set_attr("name_prefix", Value::Null);
        assert_eq!(NSG_RULE_SET.import_id(&without).unwrap(), NSG_ID);
        let schema = NSG_RULE_SET.identity_schema();
        let optional: Vec<_> = schema
            .attributes
            .iter()
            .filter(|a| !a.required_for_import)
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(optional, ["name_prefix"]);
    }

    #[test]
    fn incomplete_or_odd_identities_name_nothing() {
        let mut identity = COMPUTE.identity_of(&Value::object([("id", COMPUTE_ID.into())]));
        identity.set_attr("workspace_name", Value::Null);
        assert_eq!(COMPUTE.import_id(&identity), None);
        identity.set_attr("workspace_name", "ws/computes/other".into());
        assert_eq!(COMPUTE.import_id(&identity), None);
    }
}
