//! When to try again after a failed round: exponential backoff with full
//! jitter (a random wait between zero and the exponential bound), so a fleet
//! of kiosks that lost the list at the same moment does not return in step.

use std::time::Duration;

/// Backoff bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The bound after the first failure.
    pub base: Duration,
    /// The largest bound, however many failures.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(900) }
    }
}

impl Backoff {
    /// The exponential bound after `failures` consecutive failed rounds (≥ 1).
    pub fn bound(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.base.saturating_mul(1 << doublings).min(self.cap)
    }

    /// The wait after `failures` failed rounds, for a uniform random `unit` in [0, 1),
    /// never shorter than what the server asked for.
    pub fn delay(&self, failures: u32, unit: f64, server_asked: Option<Duration>) -> Duration {
        let jittered = self.bound(failures).mul_f64(unit.clamp(0.0, 1.0));
        jittered.max(server_asked.unwrap_or(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_doubles_up_to_the_cap_and_jitter_stays_under_it() {
        let b = Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(60) };
        let cases = [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (40, 60), (u32::MAX, 60)];
        for (failures, secs) in cases {
            assert_eq!(b.bound(failures), Duration::from_secs(secs), "bound after {failures} failures");
        }
        assert_eq!(b.delay(3, 0.0, None), Duration::ZERO, "full jitter may retry at once");
        assert_eq!(b.delay(3, 0.5, None), Duration::from_secs(4));
        assert!(b.delay(3, 0.999, None) < Duration::from_secs(8));
        assert_eq!(
            b.delay(1, 0.1, Some(Duration::from_secs(30))),
            Duration::from_secs(30),
            "a server's Retry-After is a floor"
        );
    }
}
