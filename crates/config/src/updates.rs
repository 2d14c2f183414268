//! The `[updates]` section: which new content bundles the kiosk accepts and
//! where it looks for them. Without it the kiosk shows its `bundle` only.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::check::Check;
use crate::{ConfigError, is_key_path};

/// The `[updates]` section: which bundles the kiosk accepts and where it looks for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatesConfig {
    /// minisign public keys: the base64 line, or a path to a `.pub` file (relative to the config).
    pub trusted_keys: Vec<String>,
    /// The kiosk's channel.
    pub channel: String,
    /// Folders watched for new bundles (a USB stick's mount point, a drop folder).
    pub inbox: Vec<PathBuf>,
    /// The largest bundle looked at, in MiB.
    pub max_bundle_mb: u32,
    /// Seconds between looks at the inbox folders.
    pub poll_secs: u32,
    /// A signed manifest to poll over HTTPS (`https://…/manifest.json`).
    pub url: Option<String>,
    /// Seconds between polls of `url`.
    pub url_poll_secs: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpdates {
    trusted_keys: Spanned<Vec<String>>,
    channel: Option<String>,
    #[serde(default)]
    inbox: Vec<PathBuf>,
    max_bundle_mb: Option<Spanned<u32>>,
    poll_secs: Option<Spanned<u32>>,
    url: Option<Spanned<String>>,
    url_poll_secs: Option<Spanned<u32>>,
}

/// Validates `[updates]`: at least one trusted key, sane limits, a URL the
/// kiosk may fetch from.
pub(crate) fn parse(u: RawUpdates, check: &Check<'_>) -> Result<UpdatesConfig, ConfigError> {
    if u.trusted_keys.get_ref().is_empty() {
        return Err(check.invalid(
            u.trusted_keys.span().start,
            "`updates.trusted_keys` must list at least one public key (kioskctl key generate)".into(),
        ));
    }
    let max_bundle_mb = check.number("updates.max_bundle_mb", u.max_bundle_mb.as_ref(), 1..=16_384)?.unwrap_or(512);
    let poll_secs = check.number("updates.poll_secs", u.poll_secs.as_ref(), 1..=3600)?.unwrap_or(2);
    let url_poll_secs = check.number("updates.url_poll_secs", u.url_poll_secs.as_ref(), 1..=86_400)?.unwrap_or(300);
    let trusted_keys = u
        .trusted_keys
        .into_inner()
        .into_iter()
        .map(|k| if is_key_path(&k) { check.base.join(k).display().to_string() } else { k })
        .collect();
    Ok(UpdatesConfig {
        url: u.url.map(|url| check.url("updates.url", url)).transpose()?,
        url_poll_secs,
        trusted_keys,
        channel: u.channel.unwrap_or_else(|| "stable".into()),
        inbox: u.inbox.into_iter().map(|d| check.base.join(d)).collect(),
        max_bundle_mb,
        poll_secs,
    })
}
