//! The `[signups]` section: limits on the signups one kiosk takes, so a flood
//! or a long outage cannot fill its disk.

use serde::Deserialize;
use toml::Spanned;

use crate::ConfigError;
use crate::check::Check;

/// The `[signups]` section: how many signups the kiosk takes, and how often one mailbox is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignupLimits {
    /// Signups taken in any sliding minute (a flood waits).
    pub max_per_minute: u32,
    /// Signups that may wait on the kiosk before new ones are refused.
    pub max_pending: u32,
    /// Hours a delivered mailbox is remembered (as a keyed hash) and not sent again.
    pub resend_window_hours: u32,
}

impl Default for SignupLimits {
    fn default() -> Self {
        SignupLimits { max_per_minute: 6, max_pending: 10_000, resend_window_hours: 24 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSignups {
    max_per_minute: Option<Spanned<u32>>,
    max_pending: Option<Spanned<u32>>,
    resend_window_hours: Option<Spanned<u32>>,
}

/// Validates `[signups]`; a key left out keeps its default.
pub(crate) fn parse(r: RawSignups, check: &Check<'_>) -> Result<SignupLimits, ConfigError> {
    let defaults = SignupLimits::default();
    Ok(SignupLimits {
        max_per_minute: check
            .number("signups.max_per_minute", r.max_per_minute.as_ref(), 1..=600)?
            .unwrap_or(defaults.max_per_minute),
        max_pending: check
            .number("signups.max_pending", r.max_pending.as_ref(), 1..=1_000_000)?
            .unwrap_or(defaults.max_pending),
        resend_window_hours: check
            .number("signups.resend_window_hours", r.resend_window_hours.as_ref(), 0..=720)?
            .unwrap_or(defaults.resend_window_hours),
    })
}
