//! ARM resource ids: parsed, compared case-insensitively, displayed as given.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A parsed ARM resource id:
/// `/subscriptions/{s}[/resourceGroups/{rg}][/providers/{Namespace}/{type}/{name}[/{childType}/{childName}]*]`,
/// with extension resources (`.../providers/Microsoft.Authorization/locks/{l}` after a
/// resource) as further provider sections.
///
/// Equality and hashing ignore ASCII case (ARM ids are case-insensitive and services echo
/// them in other casings); `Display` gives the id exactly as it was parsed, so what the user
/// wrote is what goes back into state.
#[derive(Clone)]
pub struct ResourceId {
    raw: String,
    subscription_id: String,
    resource_group: Option<String>,
    providers: Vec<ProviderSection>,
}

#[derive(Debug, Clone)]
struct ProviderSection {
    namespace: String,
    /// `(type, name)` pairs, outermost first.
    types: Vec<(String, String)>,
}

/// Why a string is not an ARM resource id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceIdError {
    pub input: String,
    pub reason: String,
}

impl fmt::Display for ResourceIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an Azure resource id ({}); expected /subscriptions/{{subscription}}/resourceGroups/{{group}}/providers/{{Namespace}}/{{type}}/{{name}}",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ResourceIdError {}

impl ResourceId {
    /// Parses an id. A missing leading `/` (seen in a published example) and a trailing `/`
    /// are tolerated; the raw text is kept as given.
    pub fn parse(input: &str) -> Result<Self, ResourceIdError> {
        let fail = |reason: &str| ResourceIdError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = input.trim();
        let path = trimmed.trim_start_matches('/').trim_end_matches('/');
        if path.is_empty() {
            return Err(fail("empty"));
        }
        let segments: Vec<&str> = path.split('/').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(fail("empty path segment"));
        }
        if !segments[0].eq_ignore_ascii_case("subscriptions") || segments.len() < 2 {
            return Err(fail("must start with /subscriptions/{id}"));
        }
        let subscription_id = segments[1].to_owned();
        let mut rest = &segments[2..];
        let mut resource_group = None;
        if rest
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case("resourceGroups"))
        {
            let Some(name) = rest.get(1) else {
                return Err(fail("resourceGroups without a name"));
            };
            resource_group = Some((*name).to_owned());
            rest = &rest[2..];
        }
        let mut providers = Vec::new();
        while !rest.is_empty() {
            if !rest[0].eq_ignore_ascii_case("providers") {
                return Err(fail(&format!("unexpected segment {:?}", rest[0])));
            }
            let Some(namespace) = rest.get(1) else {
                return Err(fail("providers without a namespace"));
            };
            rest = &rest[2..];
            let mut types = Vec::new();
            while rest.len() >= 2 && !rest[0].eq_ignore_ascii_case("providers") {
                types.push((rest[0].to_owned(), rest[1].to_owned()));
                rest = &rest[2..];
            }
            if types.is_empty() {
                return Err(fail("provider namespace without a resource type and name"));
            }
            if rest.len() == 1 {
                return Err(fail(&format!("resource type {:?} without a name", rest[0])));
            }
            providers.push(ProviderSection {
                namespace: (*namespace).to_owned(),
                types,
            });
        }
        Ok(Self {
            raw: trimmed.to_owned(),
            subscription_id,
            resource_group,
            providers,
        })
    }

    /// Builds `/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}`.
    pub fn new_resource(
        subscription_id: &str,
        resource_group: &str,
        namespace: &str,
        resource_type: &str,
        name: &str,
    ) -> Self {
        let raw = format!(
            "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{namespace}/{resource_type}/{name}"
        );
        Self {
            raw,
            subscription_id: subscription_id.to_owned(),
            resource_group: Some(resource_group.to_owned()),
            providers: vec![ProviderSection {
                namespace: namespace.to_owned(),
                types: vec![(resource_type.to_owned(), name.to_owned())],
            }],
        }
    }

    /// Builds `/subscriptions/{s}/resourceGroups/{rg}`.
    pub fn resource_group_id(subscription_id: &str, resource_group: &str) -> Self {
        Self {
            raw: format!("/subscriptions/{subscription_id}/resourceGroups/{resource_group}"),
            subscription_id: subscription_id.to_owned(),
            resource_group: Some(resource_group.to_owned()),
            providers: Vec::new(),
        }
    }

    /// The id of a child resource, e.g. `vnet.child("subnets", "compute")`.
    pub fn child(&self, child_type: &str, name: &str) -> Self {
        let mut id = self.clone();
        id.raw = format!("{}/{child_type}/{name}", self.raw.trim_end_matches('/'));
        match id.providers.last_mut() {
            Some(section) => section.types.push((child_type.to_owned(), name.to_owned())),
            None => {
                // A child of a resource group or subscription is only valid under providers;
                // keep the text and record it as a provider-less type.
                id.providers.push(ProviderSection {
                    namespace: String::new(),
                    types: vec![(child_type.to_owned(), name.to_owned())],
                });
            }
        }
        id
    }

    /// An extension resource on this one, e.g. a lock:
    /// `id.extension("Microsoft.Authorization", "locks", "no-delete")`.
    pub fn extension(&self, namespace: &str, resource_type: &str, name: &str) -> Self {
        let mut id = self.clone();
        id.raw = format!(
            "{}/providers/{namespace}/{resource_type}/{name}",
            self.raw.trim_end_matches('/')
        );
        id.providers.push(ProviderSection {
            namespace: namespace.to_owned(),
            types: vec![(resource_type.to_owned(), name.to_owned())],
        });
        id
    }

    /// The parent resource (one `type/name` pair less), or the resource group for a
    /// top-level resource; `None` for a resource group or subscription id.
    pub fn parent(&self) -> Option<Self> {
        let mut id = self.clone();
        let section = id.providers.last_mut()?;
        let (child_type, child_name) = section.types.pop()?;
        let suffix_len = child_type.len() + child_name.len() + 2;
        let raw = self.raw.trim_end_matches('/');
        let mut cut = raw.len().saturating_sub(suffix_len);
        if section.types.is_empty() {
            let namespace_len = section.namespace.len() + "/providers/".len();
            cut = cut.saturating_sub(namespace_len);
            id.providers.pop();
        }
        id.raw = raw[..cut].to_owned();
        Some(id)
    }

    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    pub fn resource_group(&self) -> Option<&str> {
        self.resource_group.as_deref()
    }

    /// The provider namespace of the resource itself (the last provider section), e.g.
    /// `Microsoft.Network`.
    pub fn namespace(&self) -> Option<&str> {
        self.providers
            .last()
            .map(|s| s.namespace.as_str())
            .filter(|n| !n.is_empty())
    }

    /// The full type, e.g. `Microsoft.Network/virtualNetworks/subnets`.
    pub fn resource_type(&self) -> Option<String> {
        let section = self.providers.last()?;
        let mut out = section.namespace.clone();
        for (t, _) in &section.types {
            out.push('/');
            out.push_str(t);
        }
        Some(out)
    }

    /// The resource's own name (last segment); the resource group name for a group id.
    pub fn name(&self) -> &str {
        match self.providers.last().and_then(|s| s.types.last()) {
            Some((_, name)) => name,
            None => self
                .resource_group
                .as_deref()
                .unwrap_or(&self.subscription_id),
        }
    }

    /// `(type, name)` pairs of the resource's own provider section, outermost first, e.g.
    /// `[("virtualNetworks", "v"), ("subnets", "s")]`.
    pub fn types(&self) -> impl Iterator<Item = (&str, &str)> {
        self.providers
            .last()
            .into_iter()
            .flat_map(|s| s.types.iter().map(|(t, n)| (t.as_str(), n.as_str())))
    }

    /// Whether the resource's type is `namespace/type[/child...]`, ignoring case, e.g.
    /// `id.is_type("Microsoft.Network/virtualNetworks/subnets")`.
    pub fn is_type(&self, full_type: &str) -> bool {
        self.resource_type()
            .is_some_and(|t| t.eq_ignore_ascii_case(full_type))
    }

    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The canonical comparison key: lower case, one leading `/`, no trailing `/`.
    pub fn normalized(&self) -> String {
        normalize(&self.raw)
    }
}

/// Lower case, exactly one leading `/`, no trailing `/`: the key ids are compared by.
pub fn normalize(id: &str) -> String {
    let trimmed = id.trim().trim_matches('/');
    let mut out = String::with_capacity(trimmed.len() + 1);
    out.push('/');
    out.push_str(&trimmed.to_ascii_lowercase());
    out
}

/// Compares two id strings the way ARM does (case-insensitive, tolerant of leading and
/// trailing slashes), without parsing them.
pub fn ids_equal(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}

impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceId({:?})", self.raw)
    }
}

impl FromStr for ResourceId {
    type Err = ResourceIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for ResourceId {
    fn as_ref(&self) -> &str {
        &self.raw
    }
}

impl Serialize for ResourceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for ResourceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBNET: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/Net-RG/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/compute";

    #[test]
    fn parses_a_child_resource() {
        let id = ResourceId::parse(SUBNET).unwrap();
        assert_eq!(id.subscription_id(), "00000000-0000-0000-0000-000000000001");
        assert_eq!(id.resource_group(), Some("Net-RG"));
        assert_eq!(id.namespace(), Some("Microsoft.Network"));
        assert_eq!(
            id.resource_type().as_deref(),
            Some("Microsoft.Network/virtualNetworks/subnets")
        );
        assert_eq!(id.name(), "compute");
        assert!(id.is_type("microsoft.network/VIRTUALNETWORKS/subnets"));
        assert_eq!(
            id.types().collect::<Vec<_>>(),
            vec![("virtualNetworks", "vnet1"), ("subnets", "compute")]
        );
        assert_eq!(id.to_string(), SUBNET);
    }

    #[test]
    fn compares_case_insensitively_and_displays_as_given() {
        let lower = SUBNET.to_ascii_lowercase();
        let a = ResourceId::parse(SUBNET).unwrap();
        let b = ResourceId::parse(&format!("{lower}/")).unwrap();
        assert_eq!(a, b);
        assert_eq!(b.to_string(), format!("{lower}/"));
        assert!(ids_equal(SUBNET, &lower));
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
    }

    #[test]
    fn builds_children_parents_and_extensions() {
        let vnet = ResourceId::new_resource("s", "rg", "Microsoft.Network", "virtualNetworks", "v");
        let subnet = vnet.child("subnets", "a");
        assert_eq!(
            subnet.as_str(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a"
        );
        assert_eq!(subnet.parent().unwrap(), vnet);
        assert_eq!(
            vnet.parent().unwrap().as_str(),
            "/subscriptions/s/resourceGroups/rg"
        );
        assert_eq!(
            vnet.parent().unwrap(),
            ResourceId::resource_group_id("s", "rg")
        );
        let lock = subnet.extension("Microsoft.Authorization", "locks", "nodelete");
        let reparsed = ResourceId::parse(lock.as_str()).unwrap();
        assert_eq!(reparsed, lock);
        assert_eq!(reparsed.namespace(), Some("Microsoft.Authorization"));
        assert_eq!(reparsed.name(), "nodelete");
        assert_eq!(reparsed.parent().unwrap(), subnet);
    }

    #[test]
    fn tolerates_missing_leading_slash() {
        // As in the published BasicAKSCompute example.
        let id = ResourceId::parse("subscriptions/s/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/aks").unwrap();
        assert_eq!(id.resource_group(), Some("rg"));
        assert_eq!(id.name(), "aks");
    }

    #[test]
    fn rejects_non_ids() {
        for bad in [
            "",
            "test-subnet-resource-id",
            "/subscriptions",
            "/subscriptions/s/resourceGroups",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets",
            "/subscriptions/s//resourceGroups/rg",
        ] {
            let err = ResourceId::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains("not an Azure resource id"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn serde_round_trip() {
        let id: ResourceId = serde_json::from_str(&format!("{SUBNET:?}")).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("{SUBNET:?}"));
        assert!(serde_json::from_str::<ResourceId>("\"nope\"").is_err());
    }
}
