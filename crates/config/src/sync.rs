//! The `[sync]` section: where signups are sent. Without it they stay on the
//! kiosk until staff export them.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::ConfigError;
use crate::check::Check;

/// Which kind of central list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncTarget {
    /// GNU Mailman 3 over its REST API.
    Mailman,
    /// A JSON webhook signed with HMAC-SHA256.
    Webhook,
}

/// The `[sync]` section: where and how signups are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// Mailman or webhook.
    pub target: SyncTarget,
    /// Mailman: the REST API root (ending in `/3.1/`); webhook: the endpoint.
    pub url: String,
    /// Mailman: the list id (`visitors.embassy.example`).
    pub list_id: Option<String>,
    /// A file only the kiosk's user can read: `user:password` (Mailman) or the shared secret (webhook).
    pub credentials_file: PathBuf,
    /// Mailman: subscribe without the confirmation mail.
    pub pre_confirmed: bool,
    /// Seconds between looks at the list when everything is sent.
    pub interval_secs: u32,
    /// Signups taken from the outbox per round trip to the store.
    pub batch: u32,
    /// Requests in flight at once.
    pub parallel: u32,
    /// Seconds before a request is given up (and retried later).
    pub timeout_secs: u32,
    /// The longest wait between failed rounds, in seconds.
    pub max_backoff_secs: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSync {
    target: SyncTarget,
    url: Spanned<String>,
    list_id: Option<String>,
    credentials_file: PathBuf,
    #[serde(default)]
    pre_confirmed: bool,
    interval_secs: Option<Spanned<u32>>,
    batch: Option<Spanned<u32>>,
    parallel: Option<Spanned<u32>>,
    timeout_secs: Option<Spanned<u32>>,
    max_backoff_secs: Option<Spanned<u32>>,
}

/// Validates `[sync]`; `raw` spans the whole section (a missing `list_id` is
/// reported at its header).
pub(crate) fn parse(raw: Spanned<RawSync>, check: &Check<'_>) -> Result<SyncConfig, ConfigError> {
    let at = raw.span().start;
    let r = raw.into_inner();
    let url = check.url("sync.url", r.url)?.trim().to_string();
    if r.target == SyncTarget::Mailman && r.list_id.as_deref().is_none_or(|l| !l.contains('.')) {
        return Err(check.invalid(at, "`sync.list_id` is needed for Mailman, e.g. \"visitors.embassy.example\"".into()));
    }
    Ok(SyncConfig {
        target: r.target,
        url,
        list_id: r.list_id,
        credentials_file: check.base.join(r.credentials_file),
        pre_confirmed: r.pre_confirmed,
        interval_secs: check.number("sync.interval_secs", r.interval_secs.as_ref(), 1..=86_400)?.unwrap_or(300),
        batch: check.number("sync.batch", r.batch.as_ref(), 1..=1000)?.unwrap_or(50),
        parallel: check.number("sync.parallel", r.parallel.as_ref(), 1..=32)?.unwrap_or(4),
        timeout_secs: check.number("sync.timeout_secs", r.timeout_secs.as_ref(), 1..=600)?.unwrap_or(20),
        max_backoff_secs: check
            .number("sync.max_backoff_secs", r.max_backoff_secs.as_ref(), 1..=86_400)?
            .unwrap_or(900),
    })
}
