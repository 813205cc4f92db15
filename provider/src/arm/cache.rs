//! Per-process read cache with request coalescing. Hand-written: it must know ARM's parent and
//! child IDs to invalidate what a write changed, which no general cache does.
//!
//! One Terraform plan is one provider process, so reads are kept for the process lifetime;
//! writes through the client invalidate the written id, its children, and the parent whose
//! body embeds it (a VNet GET embeds its subnets). Other parents stay: writing a compute does
//! not change its workspace, which every cluster of an apply reads.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::ArmError;
use super::resource_id::normalize;

type Entry = Result<Arc<serde_json::Value>, ArmError>;

#[derive(Default)]
pub(crate) struct ReadCache {
    /// Key: normalised id, `?`, api-version.
    entries: Mutex<HashMap<String, Arc<OnceCell<Entry>>>>,
}

impl ReadCache {
    /// The cached value of `id` at `api_version`, fetched once however many callers ask at
    /// the same time. Successes and not-found answers are kept; other errors are returned to
    /// the caller that fetched and the next caller fetches again.
    pub(crate) async fn get_or_fetch<F, Fut>(
        &self,
        id: &str,
        api_version: &str,
        fetch: F,
    ) -> Result<Arc<serde_json::Value>, ArmError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<serde_json::Value>, ArmError>>,
    {
        let key = format!("{}?{}", normalize(id), api_version.to_ascii_lowercase());
        let cell = {
            let mut entries = self.entries.lock().expect("read cache lock");
            entries.entry(key).or_default().clone()
        };
        let entry = cell
            .get_or_try_init(|| async {
                match fetch().await {
                    Ok(value) => Ok(Ok(value)),
                    Err(e) if e.is_not_found() => Ok(Err(e)),
                    Err(e) => Err(e),
                }
            })
            .await?;
        entry.clone()
    }

    /// Forgets `id`, every id under it, and the parent whose body embeds it.
    pub(crate) fn invalidate(&self, id: &str) {
        let id = normalize(id);
        let embedding_parent = embedding_parent(&id);
        let mut entries = self.entries.lock().expect("read cache lock");
        entries.retain(|key, _| {
            let cached = key.split('?').next().unwrap_or(key);
            let related = cached == id
                || cached
                    .strip_prefix(id.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
                || embedding_parent == Some(cached);
            !related
        });
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().expect("read cache lock").len()
    }
}

/// Child resource types whose parent's GET lists them in its body (REFERENCE §7): writing
/// one changes what the parent reads as.
const EMBEDDED_CHILD_TYPES: &[&str] = &[
    "subnets",
    "securityrules",
    "routes",
    "virtualnetworkpeerings",
];

/// The parent of a normalised `id` when `id` is an embedded child (`.../subnets/a` → the VNet).
fn embedding_parent(id: &str) -> Option<&str> {
    let (parent_and_type, _name) = id.rsplit_once('/')?;
    let (parent, child_type) = parent_and_type.rsplit_once('/')?;
    EMBEDDED_CHILD_TYPES
        .contains(&child_type)
        .then_some(parent)
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    const VNET: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";

    async fn fill(cache: &ReadCache, id: &str, calls: &AtomicUsize) {
        cache
            .get_or_fetch(id, "2024-01-01", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(Arc::new(serde_json::json!({"id": id})))
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn coalesces_and_ignores_case() {
        let cache = Arc::new(ReadCache::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let cache = cache.clone();
                let calls = calls.clone();
                tokio::spawn(async move {
                    let id = if i % 2 == 0 {
                        VNET.to_owned()
                    } else {
                        VNET.to_uppercase()
                    };
                    cache
                        .get_or_fetch(&id, "2024-01-01", || async {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok(Arc::new(serde_json::json!({"n": 1})))
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap()["n"], 1);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidation_covers_children_and_the_embedding_parent_only() {
        let cache = ReadCache::default();
        let calls = AtomicUsize::new(0);
        let subnet = format!("{VNET}/subnets/a");
        let other =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v2";
        fill(&cache, VNET, &calls).await;
        fill(&cache, &subnet, &calls).await;
        fill(&cache, other, &calls).await;
        assert_eq!(cache.len(), 3);
        cache.invalidate(&subnet.to_uppercase());
        assert_eq!(cache.len(), 1, "subnet and its VNet are gone, v2 stays");
        fill(&cache, VNET, &calls).await;
        cache.invalidate(VNET);
        assert_eq!(cache.len(), 1);
        fill(&cache, other, &calls).await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn writing_a_compute_keeps_its_workspace() {
        let cache = ReadCache::default();
        let calls = AtomicUsize::new(0);
        let workspace = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
        let compute = format!("{workspace}/computes/c");
        fill(&cache, workspace, &calls).await;
        fill(&cache, &compute, &calls).await;
        cache.invalidate(&compute);
        assert_eq!(cache.len(), 1, "the workspace stays cached");
    }

    #[test]
    fn embedded_children_name_their_parent() {
        assert_eq!(
            embedding_parent("/s/rg/p/microsoft.network/networksecuritygroups/n/securityrules/r"),
            Some("/s/rg/p/microsoft.network/networksecuritygroups/n")
        );
        assert_eq!(embedding_parent("/s/rg/p/m/workspaces/ws/computes/c"), None);
        assert_eq!(embedding_parent("/subnets/a"), None);
    }
}
