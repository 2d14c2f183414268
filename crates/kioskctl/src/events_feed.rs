//! `kioskctl bundle build --events-url`: fetches the embassy's calendar feed
//! at build time, so the bundle carries its events. Only the staff machine
//! fetches it; the kiosk never does (the bundle is what it trusts).
//!
//! The feed is plain data read by the content loader, but it comes off the
//! network: `https://` only (plain `http://` only to this machine's loopback,
//! for tests and a local export), redirects held to the same rule, an overall
//! deadline and a size cap checked while reading. The client and the
//! redirect following are the kiosk's own (`kiosk-http`): no redirect is
//! followed but by [`kiosk_http::send_following`], under the rule above.

use std::time::Duration;

use anyhow::{Context, bail};
use kiosk_content::source::IcsFeed;
use kiosk_http::FollowError;

/// Largest calendar accepted. A busy embassy calendar with years of history
/// is well under 1 MiB.
pub const MAX_FEED_BYTES: usize = 8 * 1024 * 1024;

/// Connect, headers and body together.
pub const FEED_DEADLINE: Duration = Duration::from_secs(30);

const MAX_REDIRECTS: usize = 5;

fn refusal(url: &reqwest::Url) -> Option<&'static str> {
    if kiosk_config::secure_or_loopback(url) {
        None
    } else {
        Some("only https:// is fetched (plain http:// only from this machine's loopback)")
    }
}

/// Fetches the calendar at `url` (`webcal://` is read as `https://`, as
/// calendar apps do).
pub fn fetch(url: &str) -> anyhow::Result<IcsFeed> {
    let url = match url.strip_prefix("webcal://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_string(),
    };
    let parsed = reqwest::Url::parse(&url).with_context(|| format!("--events-url `{url}` is not a URL"))?;
    if let Some(why) = refusal(&parsed) {
        bail!("--events-url {url}: {why}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let bytes = runtime.block_on(async {
        let client = kiosk_http::client(concat!("embassy-kiosk-kioskctl/", env!("CARGO_PKG_VERSION")))?;
        let request = client.get(parsed).build()?;
        let sent = kiosk_http::send_following(&client, request, FEED_DEADLINE, FEED_DEADLINE, MAX_REDIRECTS, refusal);
        let mut resp = sent.await.map_err(|e| match e {
            FollowError::Http(e) => describe(e),
            FollowError::Refused { to, why } => anyhow::anyhow!("redirect to {to} refused: {why}"),
            FollowError::TimedOut => anyhow::anyhow!("no complete answer within {} s", FEED_DEADLINE.as_secs()),
            other => anyhow::anyhow!(other),
        })?;
        if !resp.status().is_success() {
            bail!("the server answered HTTP {}", resp.status().as_u16());
        }
        if resp.content_length().is_some_and(|n| n > MAX_FEED_BYTES as u64) {
            bail!("the calendar is larger than {} MiB", MAX_FEED_BYTES / 1024 / 1024);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > MAX_FEED_BYTES {
                bail!("the calendar is larger than {} MiB", MAX_FEED_BYTES / 1024 / 1024);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    });
    let bytes = bytes.with_context(|| format!("cannot fetch the calendar {url}"))?;
    Ok(IcsFeed { name: url, bytes })
}

fn describe(e: reqwest::Error) -> anyhow::Error {
    if e.is_timeout() {
        return anyhow::anyhow!("no complete answer within {} s", FEED_DEADLINE.as_secs());
    }
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    anyhow::anyhow!(msg)
}
