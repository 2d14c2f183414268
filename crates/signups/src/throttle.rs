//! The per-kiosk signup throttle: at most `per_minute` accepted signups in any
//! sliding minute, whatever the addresses — a flood from the touchscreen, a
//! USB keyboard or an HID injector is slowed to a trickle the list can bear.
//!
//! Time is passed in (a monotonic [`Instant`]), never read here, so the tests
//! drive it with a fake clock and a wall-clock jump cannot open the gate.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

/// The throttle: remembers when the last accepted signups came.
#[derive(Debug, Clone)]
pub struct Throttle {
    per_minute: u32,
    recent: VecDeque<Instant>,
}

/// Too many signups in the last minute: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Until the oldest counted signup leaves the window.
    pub retry_after: Duration,
}

impl Throttle {
    /// A throttle allowing `per_minute` signups in any 60 s (at least one).
    pub fn new(per_minute: u32) -> Self {
        Throttle { per_minute: per_minute.max(1), recent: VecDeque::new() }
    }

    /// Whether one more signup may be taken at `now` (does not count it).
    pub fn check(&mut self, now: Instant) -> Result<(), Throttled> {
        while self.recent.front().is_some_and(|&t| now.saturating_duration_since(t) >= WINDOW) {
            self.recent.pop_front();
        }
        match self.recent.front() {
            Some(&oldest) if self.recent.len() >= self.per_minute as usize => {
                Err(Throttled { retry_after: WINDOW.saturating_sub(now.saturating_duration_since(oldest)) })
            }
            _ => Ok(()),
        }
    }

    /// Counts a signup taken at `now`.
    pub fn record(&mut self, now: Instant) {
        self.recent.push_back(now);
        while self.recent.len() > self.per_minute as usize {
            self.recent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_n_in_any_sliding_minute() {
        let t0 = Instant::now();
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        let mut throttle = Throttle::new(3);
        for s in [0, 10, 20] {
            throttle.check(at(s)).expect("the first three in a minute pass");
            throttle.record(at(s));
        }
        assert_eq!(
            throttle.check(at(30)),
            Err(Throttled { retry_after: Duration::from_secs(30) }),
            "the fourth within a minute waits until the first leaves the window"
        );
        assert!(throttle.check(at(59)).is_err(), "still inside the first signup's minute");
        throttle.check(at(60)).expect("a minute after the first, one more may come");
        throttle.record(at(60));
        assert!(throttle.check(at(61)).is_err(), "and the window is full again");
        throttle.check(at(200)).expect("after a quiet spell the gate is open");
    }

    #[test]
    fn a_refused_attempt_is_not_counted() {
        let t0 = Instant::now();
        let mut throttle = Throttle::new(1);
        throttle.record(t0);
        for s in 1..60 {
            assert!(throttle.check(t0 + Duration::from_secs(s)).is_err());
        }
        throttle.check(t0 + Duration::from_secs(60)).expect("hammering the button does not extend the wait");
    }
}
