//! Everything the emulator remembers, behind one lock.

use super::auth::Auth;
use super::faults::Faults;
use super::lro::Operations;
use super::store::Store;
use super::throttle::Throttle;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub struct State {
    pub subscription_id: String,
    /// `https://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub store: Store,
    pub ops: Operations,
    pub faults: Faults,
    pub throttle: Throttle,
    pub auth: Auth,
    pub counts: Counts,
    pub usages: UsageSettings,
    pub service_tags: super::service_tags::ServiceTags,
}

/// Network usage limits and extra counts (`name.value` → number), set by the admin API.
#[derive(Debug, Default)]
pub struct UsageSettings {
    pub limits: BTreeMap<String, u64>,
    pub extra: BTreeMap<String, u64>,
}

/// ARM request counts, for tests asserting "zero writes" or "one GET per object".
#[derive(Debug, Default)]
pub struct Counts {
    pub total: u64,
    pub lro_polls: u64,
    /// Requests refused with 429 because the read or the write bucket was empty.
    pub throttled_reads: u64,
    pub throttled_writes: u64,
    pub by_method: BTreeMap<String, u64>,
    /// `"GET /subscriptions/.../virtualnetworks/vnet1"` (lower-case path, no query).
    pub by_path: BTreeMap<String, u64>,
}

impl Counts {
    pub fn record(&mut self, method: &str, path: &str, lro_poll: bool) {
        self.total += 1;
        if lro_poll {
            self.lro_polls += 1;
        } else {
            *self.by_method.entry(method.to_owned()).or_default() += 1;
        }
        let key = format!(
            "{method} {}",
            path.trim_end_matches('/').to_ascii_lowercase()
        );
        *self.by_path.entry(key).or_default() += 1;
    }

    pub fn to_json(&self) -> Value {
        let count = |m: &str| self.by_method.get(m).copied().unwrap_or(0);
        json!({
            "total": self.total,
            "reads": count("GET") + count("HEAD"),
            "writes": count("PUT") + count("PATCH") + count("POST") + count("DELETE"),
            "lro_polls": self.lro_polls,
            "throttled": self.throttled_reads + self.throttled_writes,
            "throttled_reads": self.throttled_reads,
            "throttled_writes": self.throttled_writes,
            "by_method": self.by_method,
            "by_path": self.by_path,
        })
    }
}
