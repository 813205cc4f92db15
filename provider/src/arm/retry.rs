//! How long the ARM client waits: between attempts of a failed request, and between polls of
//! a long-running operation.

use std::time::Duration;

/// When and how often a failed request is tried again.
///
/// Retried: 429 (any method: the request was not processed), 409/429 with a code in
/// [`RETRYABLE_CODES`](super::client::RETRYABLE_CODES) (any method), and — for idempotent methods only (GET, PUT, DELETE,
/// PATCH; the same body is resent) — 408, 500, 502, 503, 504 and connection errors. POST is
/// never retried after the server may have acted on it.
///
/// A throttled or busy request is retried until the caller's deadline (the resource's
/// Terraform timeout): waiting is all it needs. Server errors and dropped connections are
/// retried `max_attempts` times in all, since they may not go away. Without a deadline,
/// `max_attempts` bounds both.
///
/// The wait is the server's `Retry-After` (seconds or HTTP date; `retry-after-ms` too) plus up
/// to half of it again at random, so that parallel callers do not all come back at once; else
/// exponential backoff with jitter. Never past the caller's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first, for server errors and dropped connections.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub initial_backoff: Duration,
    /// Backoff cap. A server's `Retry-After` is honoured as given, bounded only by the
    /// caller's deadline.
    pub max_backoff: Duration,
    /// Pause before reading again a resource that read as not found (see
    /// [`ArmClient::get_existing`](super::ArmClient::get_existing)).
    pub not_found_recheck: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            not_found_recheck: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Quick retries for tests against an emulator.
    pub fn fast() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
            not_found_recheck: Duration::from_millis(10),
        }
    }

    /// Backoff before attempt `attempt + 1` (attempt counts from 1): "equal jitter", half
    /// fixed, half random.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// How long to wait between polls: the server's `Retry-After` (or `default` without one),
/// clamped to `[min, max]`. Defaults suit real Azure; [`PollPolicy::fast`] suits an emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    pub min: Duration,
    pub max: Duration,
    /// Wait when the server gives no `Retry-After`.
    pub default: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            // A server that asks for 1 s gets 1 s; one that asks for nothing gets `default`.
            min: Duration::from_secs(1),
            max: Duration::from_secs(60),
            default: Duration::from_secs(15),
        }
    }
}

impl PollPolicy {
    /// Polls every few milliseconds, whatever `Retry-After` says (tests, emulator).
    pub fn fast() -> Self {
        Self {
            min: Duration::ZERO,
            max: Duration::from_millis(20),
            default: Duration::from_millis(5),
        }
    }

    pub fn interval(&self, retry_after: Option<Duration>) -> Duration {
        retry_after
            .unwrap_or(self.default)
            .clamp(self.min, self.max.max(self.min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            not_found_recheck: Duration::ZERO,
        };
        for attempt in 1..12 {
            let wait = policy.backoff(attempt);
            let full = Duration::from_secs(1 << (attempt - 1).min(3));
            assert!(
                wait >= full / 2 && wait <= full,
                "attempt {attempt}: {wait:?}"
            );
        }
    }

    #[test]
    fn poll_interval_is_clamped() {
        let policy = PollPolicy::default();
        assert_eq!(policy.interval(None), Duration::from_secs(15));
        assert_eq!(
            policy.interval(Some(Duration::from_secs(600))),
            Duration::from_secs(60)
        );
        assert_eq!(
            policy.interval(Some(Duration::ZERO)),
            Duration::from_secs(1)
        );
        assert_eq!(
            policy.interval(Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            PollPolicy::fast().interval(Some(Duration::from_secs(10))),
            Duration::from_millis(20)
        );
    }
}
