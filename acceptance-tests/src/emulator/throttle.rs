//! Per-subscription token buckets for reads and writes (ARM's 2024 throttling model).

use std::collections::HashMap;
use std::time::Instant;

/// Capacity and refill rate of one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketSize {
    pub capacity: f64,
    pub refill_per_sec: f64,
}

/// REFERENCE §4: reads 250 tokens refilling 25/s, writes 200 refilling 10/s.
pub const DEFAULT_READS: BucketSize = BucketSize {
    capacity: 250.0,
    refill_per_sec: 25.0,
};
pub const DEFAULT_WRITES: BucketSize = BucketSize {
    capacity: 200.0,
    refill_per_sec: 10.0,
};

#[derive(Debug, Clone)]
struct Bucket {
    size: BucketSize,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(size: BucketSize) -> Bucket {
        Bucket {
            size,
            tokens: size.capacity,
            last: Instant::now(),
        }
    }

    /// Takes a token: `Ok(remaining)` or `Err(retry_after_seconds)`.
    fn take(&mut self) -> Result<u64, u64> {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.size.refill_per_sec).min(self.size.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(self.tokens.floor() as u64)
        } else if self.size.refill_per_sec <= 0.0 {
            Err(60)
        } else {
            let wait = (1.0 - self.tokens) / self.size.refill_per_sec;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Read,
    Write,
}

#[derive(Debug)]
pub struct Throttle {
    pub reads: BucketSize,
    pub writes: BucketSize,
    buckets: HashMap<(String, Kind), Bucket>,
}

impl Throttle {
    pub fn new(reads: BucketSize, writes: BucketSize) -> Throttle {
        Throttle {
            reads,
            writes,
            buckets: HashMap::new(),
        }
    }

    /// Sets new sizes and refills every bucket.
    pub fn configure(&mut self, reads: BucketSize, writes: BucketSize) {
        self.reads = reads;
        self.writes = writes;
        self.buckets.clear();
    }

    /// Tokens left, without taking one.
    pub fn remaining(&mut self, subscription: &str, kind: Kind) -> u64 {
        let size = match kind {
            Kind::Read => self.reads,
            Kind::Write => self.writes,
        };
        let bucket = self
            .buckets
            .entry((subscription.to_ascii_lowercase(), kind))
            .or_insert_with(|| Bucket::new(size));
        let elapsed = bucket.last.elapsed().as_secs_f64();
        (bucket.tokens + elapsed * size.refill_per_sec)
            .min(size.capacity)
            .floor() as u64
    }

    pub fn take(&mut self, subscription: &str, kind: Kind) -> Result<u64, u64> {
        let size = match kind {
            Kind::Read => self.reads,
            Kind::Write => self.writes,
        };
        self.buckets
            .entry((subscription.to_ascii_lowercase(), kind))
            .or_insert_with(|| Bucket::new(size))
            .take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bucket_asks_to_retry_later() {
        let mut t = Throttle::new(
            BucketSize {
                capacity: 2.0,
                refill_per_sec: 0.5,
            },
            DEFAULT_WRITES,
        );
        assert_eq!(t.take("s", Kind::Read), Ok(1));
        assert_eq!(t.take("s", Kind::Read), Ok(0));
        let retry = t.take("s", Kind::Read).unwrap_err();
        assert!((1..=2).contains(&retry), "{retry}");
        assert!(t.take("s", Kind::Write).is_ok());
        assert!(t.take("other", Kind::Read).is_ok());
    }
}
