//! The resource store: normalized (lower-case) id → stored JSON and metadata.

use serde_json::Value;
use std::collections::BTreeMap;

/// Where a resource is in its lifecycle; rendered as `properties.provisioningState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvState {
    Creating,
    Updating,
    Deleting,
    Succeeded,
    Failed,
}

impl ProvState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProvState::Creating => "Creating",
            ProvState::Updating => "Updating",
            ProvState::Deleting => "Deleting",
            ProvState::Succeeded => "Succeeded",
            ProvState::Failed => "Failed",
        }
    }

    pub fn parse(text: &str) -> Option<ProvState> {
        [
            ProvState::Creating,
            ProvState::Updating,
            ProvState::Deleting,
            ProvState::Succeeded,
            ProvState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str().eq_ignore_ascii_case(text))
    }
}

/// One stored resource. `body` holds `id`, `name`, `type` and everything the type keeps
/// (embedded children such as subnets live in their own entries).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The id as its creator spelled it.
    pub id: String,
    /// Lower-case `namespace/type[/childType]`.
    pub type_key: String,
    pub body: Value,
    pub etag: Option<String>,
    pub state: ProvState,
}

#[derive(Debug, Default)]
pub struct Store {
    entries: BTreeMap<String, Entry>,
    /// Subnet key → ids of IP configurations using the subnet (NICs of AML nodes, ...).
    ip_configurations: BTreeMap<String, Vec<String>>,
}

impl Store {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.entries.get_mut(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    pub fn insert(&mut self, key: String, entry: Entry) {
        self.entries.insert(key, entry);
    }

    /// Removes one entry (not its descendants).
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        self.ip_configurations.remove(key);
        self.entries.remove(key)
    }

    /// Keys of `key` and everything below it, deepest first.
    pub fn tree_keys(&self, key: &str) -> Vec<String> {
        let prefix = format!("{key}/");
        let mut keys: Vec<String> = self
            .entries
            .range(key.to_owned()..format!("{key}0"))
            .filter(|(k, _)| k.as_str() == key || k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.matches('/').count()));
        keys
    }

    /// Direct children of `parent_key` with type `type_key`, in name order.
    pub fn children<'a>(&'a self, parent_key: &str, type_key: &'a str) -> Vec<&'a Entry> {
        let prefix = format!("{parent_key}/");
        self.entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, e)| e.type_key == type_key)
            .map(|(_, e)| e)
            .collect()
    }

    /// All entries of a type whose key starts with `scope` (a subscription or group key).
    pub fn of_type<'a>(&'a self, scope: &str, type_key: &'a str) -> Vec<&'a Entry> {
        let prefix = format!("{scope}/");
        self.entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, e)| e.type_key == type_key)
            .map(|(_, e)| e)
            .collect()
    }

    pub fn all(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries.iter()
    }

    pub fn ip_configurations(&self, subnet_key: &str) -> &[String] {
        self.ip_configurations
            .get(subnet_key)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn add_ip_configuration(&mut self, subnet_key: &str, id: String) {
        let list = self
            .ip_configurations
            .entry(subnet_key.to_owned())
            .or_default();
        if !list.iter().any(|x| x.eq_ignore_ascii_case(&id)) {
            list.push(id);
        }
    }

    /// Removes the IP configurations whose id starts with `prefix` (case-insensitive) from
    /// every subnet.
    pub fn remove_ip_configurations(&mut self, prefix: &str) {
        let prefix = prefix.to_ascii_lowercase();
        for list in self.ip_configurations.values_mut() {
            list.retain(|id| !id.to_ascii_lowercase().starts_with(&prefix));
        }
    }

    /// Keeps only the IP configurations for which `keep(id)` holds, in every subnet.
    pub fn retain_ip_configurations(&mut self, mut keep: impl FnMut(&str) -> bool) {
        for list in self.ip_configurations.values_mut() {
            list.retain(|id| keep(id));
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.ip_configurations.clear();
    }
}
