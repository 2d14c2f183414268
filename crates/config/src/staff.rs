//! The `[staff]` section: who may open the staff panel, and for how long.
//! Without a PIN hash the panel never opens.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::ConfigError;
use crate::check::Check;

/// The `[staff]` section: who may open the staff panel, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffConfig {
    /// The PIN's Argon2 hash (PHC string); `None`: the panel never opens.
    pub pin_hash: Option<String>,
    /// Seconds without a touch after which the panel closes itself.
    pub idle_close_secs: u32,
    /// Where USB sticks are mounted (searched for bundles to import).
    pub usb_roots: Vec<PathBuf>,
}

impl Default for StaffConfig {
    fn default() -> Self {
        StaffConfig {
            pin_hash: None,
            idle_close_secs: 120,
            usb_roots: ["/media", "/run/media", "/mnt"].into_iter().map(PathBuf::from).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStaff {
    pin_hash: Option<Spanned<String>>,
    idle_close_secs: Option<Spanned<u32>>,
    usb_roots: Option<Vec<PathBuf>>,
}

/// Validates `[staff]`: a PIN is only ever stored as its Argon2 hash.
pub(crate) fn parse(st: RawStaff, check: &Check<'_>) -> Result<StaffConfig, ConfigError> {
    let defaults = StaffConfig::default();
    if let Some(h) = &st.pin_hash
        && !h.get_ref().starts_with("$argon2")
    {
        return Err(check.invalid(
            h.span().start,
            "`staff.pin_hash` must be an Argon2 hash made by `kioskctl staff hash-pin`, never the PIN itself".into(),
        ));
    }
    let idle_close_secs = check
        .number("staff.idle_close_secs", st.idle_close_secs.as_ref(), 10..=3600)?
        .unwrap_or(defaults.idle_close_secs);
    Ok(StaffConfig {
        pin_hash: st.pin_hash.map(|h| h.into_inner()),
        idle_close_secs,
        usb_roots: st.usb_roots.map_or(defaults.usb_roots, |r| r.into_iter().map(|d| check.base.join(d)).collect()),
    })
}
