//! Token buckets, one per key (a user, a chat), in a map whose size is bounded.
//!
//! A bucket holds up to `burst` tokens and gains one every `every`; an update takes one or
//! is dropped. Times are the app clock's unix milliseconds: a clock that steps back (NTP, a
//! test's `set_clock`) only restarts the refill from there, it never makes tokens.
//!
//! Memory: a bucket that has been idle long enough to be full again is the same as no
//! bucket at all, so such entries are swept out whenever the map has doubled since the last
//! sweep, and the map never holds more than its cap. When a flood of fresh keys (many
//! distinct user ids) fills it with busy buckets, the quarter idle the longest is forgotten:
//! those keys start again with a full budget, which costs little (they were the quietest),
//! and the map stays bounded.

use std::collections::HashMap;
use std::hash::Hash;

use crate::config::Budget;

/// Tokens are counted in milliseconds of refill: one token is `every` ms worth, so refilling
/// is `elapsed ms` added, with integers only.
#[derive(Debug, Clone, Copy)]
pub struct TokenBucket {
    /// Saved refill time, in ms (`burst × every` when full).
    level: u64,
    /// When `level` was last brought up to date (app clock, unix ms).
    at_ms: i64,
}

fn token(budget: Budget) -> u64 {
    u64::try_from(budget.every.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

fn capacity(budget: Budget) -> u64 {
    token(budget).saturating_mul(u64::from(budget.burst.max(1)))
}

impl TokenBucket {
    /// A bucket with its whole burst available.
    pub fn full(budget: Budget, now_ms: i64) -> Self {
        Self {
            level: capacity(budget),
            at_ms: now_ms,
        }
    }

    fn refill(&mut self, budget: Budget, now_ms: i64) {
        let elapsed = u64::try_from(now_ms.saturating_sub(self.at_ms)).unwrap_or(0);
        self.level = self.level.saturating_add(elapsed).min(capacity(budget));
        self.at_ms = now_ms;
    }

    /// Takes a token if there is one.
    pub fn try_take(&mut self, budget: Budget, now_ms: i64) -> bool {
        self.refill(budget, now_ms);
        match self.level.checked_sub(token(budget)) {
            Some(left) => {
                self.level = left;
                true
            }
            None => false,
        }
    }

    /// Whether the bucket would be full at `now_ms` (then it can be forgotten).
    fn is_full_at(&self, budget: Budget, now_ms: i64) -> bool {
        let elapsed = u64::try_from(now_ms.saturating_sub(self.at_ms)).unwrap_or(0);
        self.level.saturating_add(elapsed) >= capacity(budget)
    }
}

/// One [`TokenBucket`] per key, all with the same [`Budget`], at most `cap` of them.
#[derive(Debug)]
pub struct Buckets<K> {
    budget: Budget,
    cap: usize,
    map: HashMap<K, TokenBucket>,
    /// The map's size that triggers the next sweep of idle buckets.
    next_sweep: usize,
}

/// The smallest size at which a sweep happens.
const FIRST_SWEEP: usize = 1024;

impl<K: Hash + Eq + Clone> Buckets<K> {
    pub fn new(budget: Budget, cap: usize) -> Self {
        Self {
            budget,
            cap: cap.max(1),
            map: HashMap::new(),
            next_sweep: FIRST_SWEEP.min(cap.max(1)),
        }
    }

    /// Takes a token from `key`'s bucket (a new key starts full).
    pub fn try_take(&mut self, key: &K, now_ms: i64) -> bool {
        let budget = self.budget;
        if let Some(bucket) = self.map.get_mut(key) {
            return bucket.try_take(budget, now_ms);
        }
        if self.map.len() >= self.next_sweep {
            self.sweep(now_ms);
        }
        let mut bucket = TokenBucket::full(budget, now_ms);
        let taken = bucket.try_take(budget, now_ms);
        self.map.insert(key.clone(), bucket);
        taken
    }

    /// Forgets every bucket that is full again; if the map is still at its cap, also the
    /// quarter idle the longest. Sets the size of the next sweep to twice what is left.
    fn sweep(&mut self, now_ms: i64) {
        let budget = self.budget;
        self.map.retain(|_, b| !b.is_full_at(budget, now_ms));
        if self.map.len() >= self.cap {
            let mut ages: Vec<i64> = self.map.values().map(|b| b.at_ms).collect();
            let quarter = (self.cap / 4).clamp(1, ages.len());
            // The quarter-th smallest time: at least `quarter` buckets are that old or older.
            let (_, threshold, _) = ages.select_nth_unstable(quarter - 1);
            let threshold = *threshold;
            let mut dropped = 0;
            self.map.retain(|_, b| {
                let drop = b.at_ms <= threshold && dropped < quarter;
                dropped += usize::from(drop);
                !drop
            });
            tracing::warn!(
                kept = self.map.len(),
                "flood of new senders: forgot the budgets idle the longest"
            );
        }
        if self.map.capacity() > 4 * self.map.len().max(FIRST_SWEEP) {
            self.map.shrink_to_fit();
        }
        self.next_sweep = (2 * self.map.len()).clamp(FIRST_SWEEP.min(self.cap), self.cap);
    }

    /// How many keys are tracked.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SECOND: i64 = 1000;

    #[test]
    fn a_bucket_gives_its_burst_then_one_token_per_interval() {
        let budget = Budget::per_minute(3, 30); // one every 2 s
        let mut bucket = TokenBucket::full(budget, 0);
        let taken: Vec<bool> = (0..5).map(|_| bucket.try_take(budget, 0)).collect();
        assert_eq!(taken, [true, true, true, false, false]);
        assert!(!bucket.try_take(budget, 2 * SECOND - 1));
        assert!(bucket.try_take(budget, 2 * SECOND));
        assert!(!bucket.try_take(budget, 2 * SECOND));
        // A long pause refills to the burst, never beyond.
        let taken = (0..5)
            .filter(|_| bucket.try_take(budget, 3600 * SECOND))
            .count();
        assert_eq!(taken, 3);
    }

    #[test]
    fn a_clock_stepping_back_makes_no_tokens() {
        let budget = Budget::per_minute(1, 60);
        let mut bucket = TokenBucket::full(budget, 100 * SECOND);
        assert!(bucket.try_take(budget, 100 * SECOND));
        assert!(!bucket.try_take(budget, 50 * SECOND), "back in time");
        assert!(!bucket.try_take(budget, 50 * SECOND + 999));
        assert!(
            bucket.try_take(budget, 51 * SECOND),
            "refills from there on"
        );
    }

    #[test]
    fn once_every_is_one_at_a_time() {
        let budget = Budget::once_every(Duration::from_secs(60));
        let mut bucket = TokenBucket::full(budget, 0);
        assert!(bucket.try_take(budget, 0));
        assert!(!bucket.try_take(budget, 59 * SECOND));
        assert!(bucket.try_take(budget, 60 * SECOND));
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let mut buckets = Buckets::new(Budget::per_minute(2, 1), 100);
        assert!(buckets.try_take(&1u64, 0));
        assert!(buckets.try_take(&1u64, 0));
        assert!(!buckets.try_take(&1u64, 0));
        assert!(buckets.try_take(&2u64, 0), "another key is not held up");
    }

    #[test]
    fn idle_buckets_are_forgotten_and_the_map_stays_under_its_cap() {
        let cap = 4096;
        let budget = Budget::per_minute(2, 60); // full again 2 s after its last use
        let mut buckets = Buckets::new(budget, cap);
        // A flood of fresh ids, 100 a millisecond: each is busy when the next ones come.
        for id in 0..100_000u64 {
            let now = i64::try_from(id / 100).unwrap();
            buckets.try_take(&id, now);
            assert!(buckets.len() <= cap, "{} keys at id {id}", buckets.len());
        }
        // The flood passed: the next new key sweeps out everything idle.
        let later = 1000 + 10 * SECOND;
        let mut fresh = 1_000_000u64;
        while buckets.len() >= FIRST_SWEEP {
            buckets.try_take(&fresh, later);
            fresh += 1;
        }
        assert!(buckets.len() < FIRST_SWEEP, "{}", buckets.len());
    }

    #[test]
    fn a_busy_key_keeps_its_budget_through_a_flood_of_new_keys() {
        let cap = 1024;
        let mut buckets = Buckets::new(Budget::per_minute(1, 1), cap);
        assert!(buckets.try_take(&u64::MAX, 0));
        for id in 0..10_000u64 {
            // The busy key keeps trying: it stays recently used, so it is never forgotten.
            let now = i64::try_from(id).unwrap();
            assert!(!buckets.try_take(&u64::MAX, now), "at {id}");
            buckets.try_take(&id, now);
        }
    }
}
