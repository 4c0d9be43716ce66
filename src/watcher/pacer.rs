//! Spaces requests out: at most `per_second` starts per second, across every task that
//! shares the pacer (the per-md5 mode's `BAKONG_MAX_RPS`).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A shared request pacer.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// At most `per_second` request starts per second (0 is read as 1).
    pub fn new(per_second: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot. Slots are handed out in call order.
    pub async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let (at, following) = slot(*next, Instant::now(), self.interval);
            *next = Some(following);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// The start time of the next caller and the slot after it.
fn slot(next: Option<Instant>, now: Instant, interval: Duration) -> (Instant, Instant) {
    let at = next.map_or(now, |n| n.max(now));
    (at, at + interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_spaced_by_the_interval_and_idle_time_is_not_banked() {
        let t0 = Instant::now();
        let i = Duration::from_millis(250);
        let (a, n) = slot(None, t0, i);
        assert_eq!((a, n), (t0, t0 + i));
        // A caller arriving at once waits for the next slot.
        let (b, n) = slot(Some(n), t0, i);
        assert_eq!((b, n), (t0 + i, t0 + 2 * i));
        // After a long idle time the next caller goes at once, and no burst is allowed.
        let late = t0 + Duration::from_secs(10);
        let (c, n) = slot(Some(n), late, i);
        assert_eq!((c, n), (late, late + i));
        assert_eq!(Pacer::new(0).interval, Duration::from_secs(1));
        assert_eq!(Pacer::new(4).interval, i);
    }
}
