//! Paces requests to ARM's per-subscription limits, shared by every caller of one client.
//!
//! ARM meters reads and writes per subscription in token buckets and says how many requests
//! a bucket still holds in `x-ms-ratelimit-remaining-subscription-reads` / `-writes`. The
//! limiter keeps that count, spends it as requests go out, and once it is spent lets one
//! request through per [`PROBE_INTERVAL`] (its answer says how much the bucket refilled), so
//! parallel resources slow down before ARM has to answer 429. When ARM does answer 429, the
//! whole bucket waits the `Retry-After`, not only the request that got it, each waiter with its
//! own jitter so they do not all come back in the same instant.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use tokio::time::Instant;

/// While the bucket is believed empty, one request per interval goes out to learn its level.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(1000);

/// ARM's two buckets: reads (GET, HEAD) and writes (everything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Reads,
    Writes,
}

impl Bucket {
    pub fn of(method: &Method) -> Bucket {
        if matches!(*method, Method::GET | Method::HEAD) {
            Bucket::Reads
        } else {
            Bucket::Writes
        }
    }

    /// The response header reporting this bucket's level.
    pub fn remaining_header(self) -> &'static str {
        match self {
            Bucket::Reads => "x-ms-ratelimit-remaining-subscription-reads",
            Bucket::Writes => "x-ms-ratelimit-remaining-subscription-writes",
        }
    }
}

#[derive(Debug, Default)]
struct Gate {
    /// Requests ARM last said the bucket holds, minus those sent since; `None` while ARM
    /// has not said (or stopped saying).
    budget: Option<i64>,
    /// ARM answered 429 and asked to wait until then.
    throttled_until: Option<Instant>,
    /// The budget is spent and a probe went out: the next request waits until then, or
    /// until an answer reports a refilled bucket.
    probing_until: Option<Instant>,
}

/// One per [`ArmClient`](super::ArmClient), keyed by subscription and bucket.
#[derive(Debug, Default)]
pub struct Limiter {
    gates: Mutex<HashMap<(String, Bucket), Gate>>,
}

/// What to do before sending.
enum Admission {
    Go,
    WaitUntil(Instant),
}

impl Limiter {
    /// Waits until a request to `subscription`'s `bucket` may go out, and counts it.
    pub async fn admit(&self, subscription: &str, bucket: Bucket) {
        loop {
            match self.try_admit(subscription, bucket, Instant::now()) {
                Admission::Go => return,
                Admission::WaitUntil(when) => {
                    // Spread the waiters over a tenth of a second so that the one that goes
                    // first is not joined by all the others at once.
                    let jitter = Duration::from_millis(fastrand::u64(0..100));
                    tokio::time::sleep_until(when + jitter).await;
                }
            }
        }
    }

    fn try_admit(&self, subscription: &str, bucket: Bucket, now: Instant) -> Admission {
        let mut gates = self.gates.lock().expect("limiter lock");
        let gate = gates
            .entry((subscription.to_ascii_lowercase(), bucket))
            .or_default();
        let hold = gate.throttled_until.max(gate.probing_until);
        if let Some(until) = hold.filter(|t| *t > now) {
            return Admission::WaitUntil(until);
        }
        match &mut gate.budget {
            Some(budget) if *budget <= 0 => {
                // Spent: this request goes as the probe; the next waits an interval.
                gate.probing_until = Some(now + PROBE_INTERVAL);
            }
            Some(budget) => *budget -= 1,
            None => {}
        }
        Admission::Go
    }

    /// Learns from an answer: the level ARM reported, and for a 429 how long to hold back.
    pub fn observe(
        &self,
        subscription: &str,
        bucket: Bucket,
        remaining: Option<u64>,
        throttled_for: Option<Duration>,
    ) {
        let mut gates = self.gates.lock().expect("limiter lock");
        let gate = gates
            .entry((subscription.to_ascii_lowercase(), bucket))
            .or_default();
        if let Some(wait) = throttled_for {
            // ARM said exactly when to come back; that replaces any probing pace.
            let until = Instant::now() + wait;
            gate.budget = Some(0);
            gate.throttled_until = Some(gate.throttled_until.map_or(until, |t| t.max(until)));
            gate.probing_until = None;
            return;
        }
        gate.budget = remaining.map(|r| i64::try_from(r).unwrap_or(i64::MAX));
        if gate.budget != Some(0) {
            gate.probing_until = None;
        }
    }
}

/// The subscription a request path is billed to (`/subscriptions/{id}/...`), or `""`.
pub fn subscription_of(path: &str) -> &str {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    match (segments.next(), segments.next()) {
        (Some(first), Some(id)) if first.eq_ignore_ascii_case("subscriptions") => id,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(limiter: &Limiter, now: Instant) -> bool {
        matches!(limiter.try_admit("s", Bucket::Writes, now), Admission::Go)
    }

    #[test]
    fn requests_flow_until_arm_reports_a_level() {
        let limiter = Limiter::default();
        let now = Instant::now();
        for _ in 0..100 {
            assert!(admitted(&limiter, now));
        }
    }

    #[test]
    fn a_reported_level_is_spent_then_one_probe_per_interval() {
        let limiter = Limiter::default();
        let now = Instant::now();
        limiter.observe("S", Bucket::Writes, Some(2), None);
        assert!(admitted(&limiter, now));
        assert!(admitted(&limiter, now));
        // Spent: one probe goes, the next waits an interval.
        assert!(admitted(&limiter, now));
        assert!(!admitted(&limiter, now));
        assert!(!admitted(&limiter, now + PROBE_INTERVAL / 2));
        assert!(admitted(&limiter, now + PROBE_INTERVAL));
        // Reads are another bucket.
        assert!(matches!(
            limiter.try_admit("s", Bucket::Reads, now),
            Admission::Go
        ));
    }

    #[test]
    fn a_429_holds_the_whole_bucket_back() {
        let limiter = Limiter::default();
        let now = Instant::now();
        limiter.observe("s", Bucket::Writes, Some(50), Some(Duration::from_secs(3)));
        assert!(!admitted(&limiter, now + Duration::from_secs(2)));
        // After the wait, the first request probes; the others wait for its answer.
        assert!(admitted(&limiter, now + Duration::from_secs(4)));
        assert!(!admitted(&limiter, now + Duration::from_secs(4)));
        // The probe's answer reports a refilled bucket: requests flow again.
        limiter.observe("s", Bucket::Writes, Some(3), None);
        assert!(admitted(&limiter, now + Duration::from_secs(4)));
        // A later, shorter Retry-After does not shorten an earlier, longer one.
        limiter.observe("s", Bucket::Writes, None, Some(Duration::from_secs(10)));
        limiter.observe("s", Bucket::Writes, None, Some(Duration::from_secs(1)));
        assert!(!admitted(&limiter, now + Duration::from_secs(5)));
    }

    #[test]
    fn answers_without_a_level_stop_the_pacing() {
        let limiter = Limiter::default();
        let now = Instant::now();
        limiter.observe("s", Bucket::Writes, Some(0), None);
        assert!(admitted(&limiter, now));
        assert!(!admitted(&limiter, now));
        limiter.observe("s", Bucket::Writes, None, None);
        for _ in 0..10 {
            assert!(admitted(&limiter, now));
        }
    }

    #[test]
    fn subscriptions_are_read_from_paths() {
        assert_eq!(
            subscription_of("/subscriptions/abc/resourceGroups/rg"),
            "abc"
        );
        assert_eq!(subscription_of("/providers/Microsoft.Network"), "");
        assert_eq!(subscription_of("/SUBSCRIPTIONS/abc"), "abc");
    }
}
