//! Everything the emulator remembers, behind one lock.

use super::auth::Auth;
use super::faults::Faults;
use super::log::TrafficLog;
use super::lro::Operations;
use super::store::Store;
use super::throttle::Throttle;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The running emulator: its state, its traffic log and what it told its starter.
pub struct Emulator {
    pub state: Mutex<State>,
    pub log: TrafficLog,
    /// `https://127.0.0.1:PORT`.
    pub base_url: String,
    /// The ready-line document.
    pub ready: Value,
}

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
    pub policies: super::policy::Policies,
    pub latency: Latency,
}

/// How long every ARM request takes to answer, as real ARM's do (50 to 150 ms is typical):
/// a fixed delay, or one drawn from a range for each request.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Latency {
    /// `N` (fixed) or `N-M` (a range), in milliseconds.
    pub fn parse(text: &str) -> Option<Latency> {
        let (min, max) = match text.split_once('-') {
            Some((min, max)) => (min.trim().parse().ok()?, max.trim().parse().ok()?),
            None => {
                let fixed = text.trim().parse().ok()?;
                (fixed, fixed)
            }
        };
        (min <= max).then_some(Latency {
            min_ms: min,
            max_ms: max,
        })
    }

    /// This request's delay.
    pub fn draw(&self) -> std::time::Duration {
        std::time::Duration::from_millis(fastrand::u64(self.min_ms..=self.max_ms))
    }

    pub fn to_json(self) -> Value {
        json!({"min_ms": self.min_ms, "max_ms": self.max_ms})
    }
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
    /// The requests of `by_path` refused with 429 for an empty bucket, by the same key.
    pub throttled_by_path: BTreeMap<String, u64>,
}

impl Counts {
    pub fn record(&mut self, method: &str, path: &str, lro_poll: bool) {
        self.total += 1;
        if lro_poll {
            self.lro_polls += 1;
        } else {
            *self.by_method.entry(method.to_owned()).or_default() += 1;
        }
        *self.by_path.entry(path_key(method, path)).or_default() += 1;
    }

    /// A request [`Counts::record`] counted was refused for an empty bucket.
    pub fn record_throttled(&mut self, method: &str, path: &str, read: bool) {
        if read {
            self.throttled_reads += 1;
        } else {
            self.throttled_writes += 1;
        }
        *self
            .throttled_by_path
            .entry(path_key(method, path))
            .or_default() += 1;
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
            "throttled_by_path": self.throttled_by_path,
        })
    }
}

fn path_key(method: &str, path: &str) -> String {
    format!(
        "{method} {}",
        path.trim_end_matches('/').to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn latency_is_fixed_or_a_range() {
        assert_eq!(
            Latency::parse("100"),
            Some(Latency {
                min_ms: 100,
                max_ms: 100
            })
        );
        let range = Latency::parse("50-150").unwrap();
        for _ in 0..100 {
            let drawn = range.draw();
            assert!(drawn >= Duration::from_millis(50) && drawn <= Duration::from_millis(150));
        }
        assert_eq!(Latency::parse("150-50"), None);
        assert_eq!(Latency::parse("fast"), None);
        assert_eq!(Latency::default().draw(), Duration::ZERO);
    }
}
