//! ARM resource ids: parsing request paths into scope, namespace, types and names.

/// A parsed ARM path under `/subscriptions/{s}`: a resource (as many names as types) or a
/// collection (one type more than names). Resource groups are resources of namespace
/// `Microsoft.Resources`, type `resourceGroups`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResId {
    pub subscription: String,
    pub resource_group: Option<String>,
    pub namespace: String,
    pub types: Vec<String>,
    pub names: Vec<String>,
    /// The path as written by the client, without a trailing slash.
    pub raw: String,
}

pub const RESOURCES_NAMESPACE: &str = "Microsoft.Resources";

/// Namespaces of extension resources that also live directly on a subscription
/// (`/subscriptions/{s}/providers/Microsoft.Authorization/locks/{name}`).
fn is_extension(namespace: &str) -> bool {
    namespace.eq_ignore_ascii_case("Microsoft.Authorization")
}

impl ResId {
    /// Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}/...`,
    /// `/subscriptions/{s}/resourcegroups[/{rg}]` and
    /// `/subscriptions/{s}/providers/{ns}/{type}` (subscription-wide lists).
    pub fn parse(path: &str) -> Option<ResId> {
        let raw = path.trim_end_matches('/').to_owned();
        let segs: Vec<&str> = raw.split('/').skip(1).collect();
        if segs.len() < 2 || !segs[0].eq_ignore_ascii_case("subscriptions") || segs[1].is_empty() {
            return None;
        }
        let subscription = segs[1].to_owned();
        let rest = &segs[2..];
        let (resource_group, after_rg) = match rest {
            [rg_kw, tail @ ..] if rg_kw.eq_ignore_ascii_case("resourcegroups") => match tail {
                [] => {
                    return Some(ResId {
                        subscription,
                        resource_group: None,
                        namespace: RESOURCES_NAMESPACE.into(),
                        types: vec!["resourceGroups".into()],
                        names: vec![],
                        raw,
                    });
                }
                [rg] => {
                    return Some(ResId {
                        subscription,
                        resource_group: Some(rg.to_string()),
                        namespace: RESOURCES_NAMESPACE.into(),
                        types: vec![rg_kw.to_string()],
                        names: vec![rg.to_string()],
                        raw,
                    });
                }
                [rg, tail @ ..] => (Some(rg.to_string()), tail),
            },
            _ => (None, rest),
        };
        let [providers, namespace, chain @ ..] = after_rg else {
            return None;
        };
        if !providers.eq_ignore_ascii_case("providers") || chain.is_empty() {
            return None;
        }
        if chain.iter().any(|s| s.is_empty()) {
            return None;
        }
        let types: Vec<String> = chain.iter().step_by(2).map(|s| s.to_string()).collect();
        let names: Vec<String> = chain
            .iter()
            .skip(1)
            .step_by(2)
            .map(|s| s.to_string())
            .collect();
        if resource_group.is_none() && !names.is_empty() && !is_extension(namespace) {
            // Subscription-scoped resources (locations, ...) are routed elsewhere.
            return None;
        }
        Some(ResId {
            subscription,
            resource_group,
            namespace: namespace.to_string(),
            types,
            names,
            raw,
        })
    }

    pub fn is_resource_group(&self) -> bool {
        self.namespace.eq_ignore_ascii_case(RESOURCES_NAMESPACE)
    }

    pub fn is_collection(&self) -> bool {
        self.names.len() < self.types.len()
    }

    /// `microsoft.network/virtualnetworks/subnets`.
    pub fn type_key(&self) -> String {
        let mut key = self.namespace.to_ascii_lowercase();
        for t in &self.types {
            key.push('/');
            key.push_str(&t.to_ascii_lowercase());
        }
        key
    }

    /// `Microsoft.Network/virtualNetworks/subnets/s1` style short name used in messages.
    pub fn type_and_names(&self) -> String {
        let mut out = self.namespace.clone();
        for (t, n) in self.types.iter().zip(&self.names) {
            out.push_str(&format!("/{t}/{n}"));
        }
        out
    }

    /// The store key: the id in lower case.
    pub fn key(&self) -> String {
        self.raw.to_ascii_lowercase()
    }

    pub fn name(&self) -> &str {
        self.names.last().map(String::as_str).unwrap_or("")
    }

    pub fn resource_group_key(&self) -> Option<String> {
        self.resource_group.as_ref().map(|rg| {
            format!("/subscriptions/{}/resourcegroups/{}", self.subscription, rg)
                .to_ascii_lowercase()
        })
    }

    /// The enclosing resource (for a child) or, for a collection, the resource that owns it.
    pub fn parent(&self) -> Option<ResId> {
        if self.is_resource_group() || self.names.is_empty() {
            return None;
        }
        let keep_names = if self.is_collection() {
            self.names.len()
        } else {
            self.names.len() - 1
        };
        if keep_names == 0 {
            return None;
        }
        let mut ancestor = self.clone();
        ancestor.types.truncate(keep_names);
        ancestor.names.truncate(keep_names);
        ancestor.raw = ancestor.rebuild_raw();
        Some(ancestor)
    }

    /// A child of this resource.
    pub fn child(&self, child_type: &str, name: &str) -> ResId {
        let mut child = self.clone();
        child.types.push(child_type.to_owned());
        child.names.push(name.to_owned());
        child.raw = format!("{}/{child_type}/{name}", self.raw);
        child
    }

    /// Rebuilds the raw path from the parts, keeping the client's segment spellings.
    fn rebuild_raw(&self) -> String {
        let segs: Vec<&str> = self.raw.split('/').collect();
        // The raw path's prefix up to the provider chain keeps its casing; count segments.
        let prefix_len = if self.resource_group.is_some() { 7 } else { 5 };
        let keep = prefix_len + self.types.len() + self.names.len();
        segs[..keep.min(segs.len())].join("/")
    }
}

/// The lower-case key of any id string, for comparing ids case-insensitively.
pub fn key_of(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

/// The key of a parent-ish prefix of an id: `/subscriptions/s/resourcegroups/rg/providers/ns/t/n`
/// for `id` and `depth` type/name pairs.
pub fn truncate_id(id: &str, pairs: usize) -> Option<String> {
    let parsed = ResId::parse(id)?;
    if parsed.is_collection() || parsed.names.len() < pairs {
        return None;
    }
    let mut p = parsed.clone();
    p.types.truncate(pairs);
    p.names.truncate(pairs);
    p.raw = p.rebuild_raw();
    Some(p.raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_children_and_collections() {
        let id = ResId::parse(
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v/subnets/a",
        )
        .unwrap();
        assert_eq!(id.type_key(), "microsoft.network/virtualnetworks/subnets");
        assert!(!id.is_collection());
        let parent = id.parent().unwrap();
        assert_eq!(
            parent.raw,
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v"
        );
        assert_eq!(parent.parent(), None);
        let list = ResId::parse(
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v/subnets",
        )
        .unwrap();
        assert!(list.is_collection());
        assert_eq!(list.parent().unwrap().raw, parent.raw);
        let rg = ResId::parse("/subscriptions/s/resourcegroups/rg").unwrap();
        assert!(rg.is_resource_group() && !rg.is_collection());
        let sub_list =
            ResId::parse("/subscriptions/s/providers/Microsoft.Network/virtualNetworks").unwrap();
        assert!(sub_list.is_collection() && sub_list.resource_group.is_none());
        assert_eq!(truncate_id(&id.raw, 1).unwrap(), parent.raw);
    }
}
