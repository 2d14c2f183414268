//! Updates over HTTPS: the kiosk polls a small signed manifest and, when it
//! names a newer bundle, downloads it — resuming a cut-off download, never
//! past the size cap — then installs it through the same checks as a bundle
//! from the inbox.
//!
//! What the server holds (made by `kioskctl bundle publish`):
//!
//! ```text
//! manifest.json           {"version": 1795970229, "channel": "stable", "size": 104857600,
//!                          "sha256": "…", "bundle": "embassy-1795970229.kbundle"}
//! manifest.json.minisig   signed; trusted comment `embassy-kiosk-manifest version=<n> channel=<c>`
//! embassy-….kbundle       the bundle, and its .minisig beside it
//! ```
//!
//! The manifest is fetched with `If-None-Match` / `If-Modified-Since`, so an
//! idle poll costs a 304.
//!
//! A slow or hostile server cannot hold the kiosk: every request has an
//! overall deadline (connect, headers and body together — a server trickling
//! a byte a second is cut off at it, not just one that goes silent), and the
//! manifest and signatures are read chunk by chunk up to their cap and dropped
//! the moment they pass it, never read whole first. The poll runs on a thread
//! of its own ([`crate::poller`]), apart from the inbox and the live switch.
//!
//! It uses the process's shared client ([`kiosk_http::Shared`]), which follows
//! no redirect: the poller follows them itself ([`kiosk_http::send_following`])
//! under its own rule ([`redirect_refusal`]), and the shared client's lack of a
//! client-wide read timeout is made up here ([`READ_STALL`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kiosk_http::{FollowError, Shared};
use reqwest::Url;

use serde::{Deserialize, Serialize};

use crate::accept::{Policy, sha256_file};
use crate::sign::{Signature, check_signature_layout, key_id};

/// The first word of a manifest signature's trusted comment.
pub const MANIFEST_TAG: &str = "embassy-kiosk-manifest";

/// The manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Bundle version.
    pub version: u64,
    /// Channel.
    pub channel: String,
    /// Bundle size in bytes.
    pub size: u64,
    /// Bundle SHA-256, hex.
    pub sha256: String,
    /// The bundle's file name, relative to the manifest's URL.
    pub bundle: String,
}

/// What a poll found.
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    /// The manifest has not changed since the last poll (304).
    Unchanged,
    /// Nothing newer than what is installed.
    UpToDate(u64),
    /// A newer bundle, downloaded and complete, at this path (its `.minisig` beside it).
    Downloaded(PathBuf),
}

/// Why a poll failed: a network trouble to retry at the next poll, or a refusal to log.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// Could not fetch (offline, server error…): try again at the next poll.
    #[error("update server: {0}")]
    Fetch(String),
    /// The manifest or the download is not acceptable.
    #[error("{0}")]
    Refused(String),
    /// Local disk trouble.
    #[error("update download: {0}")]
    Io(#[from] std::io::Error),
}

/// The most a manifest or a `.minisig` may weigh.
pub const SMALL_CAP: usize = 64 * 1024;

/// The slowest link a bundle download is given time for, in bytes a second:
/// each request's deadline grows with the bundle's size at this rate.
pub const SLOWEST_LINK: u64 = 64 * 1024;

/// The overall deadline of one bundle download request: `base` plus the time
/// the whole bundle takes at [`SLOWEST_LINK`]. A server that ignores `Range`
/// makes each poll start again from byte 0, so a fixed deadline shorter than
/// the whole download would never let a big bundle through on a slow link.
pub fn bundle_deadline(base: Duration, size: u64) -> Duration {
    base.saturating_add(Duration::from_secs(size.div_ceil(SLOWEST_LINK)))
}

/// Polls one manifest URL; remembers validators between polls.
pub struct Remote {
    /// Overall deadline of each request for the manifest or a signature.
    small_deadline: Duration,
    /// Overall deadline of one bundle download request before the time for its
    /// size is added ([`bundle_deadline`]); a cut one resumes at the next poll.
    bundle_deadline: Duration,
    /// The process's client, built on its first request (it loads the TLS roots): not on the kiosk's start-up path.
    http: Shared,
    manifest_url: Url,
    etag: Option<String>,
    last_modified: Option<String>,
    downloads: PathBuf,
}

/// The longest the server may stay silent — before its answer's headers, or
/// between two pieces of a body — before the request is given up (a download
/// resumes at the next poll). Each request's overall deadline still applies.
pub const READ_STALL: Duration = Duration::from_secs(30);

/// The most redirects one request is sent through: the fifth is refused.
const MAX_REDIRECTS: usize = 5;

fn followed(e: FollowError) -> RemoteError {
    match e {
        FollowError::Http(e) => fetch(e),
        e @ (FollowError::Refused { .. } | FollowError::TooMany(_) | FollowError::NotRepeatable) => {
            RemoteError::Refused(format!("update server redirect refused: {e}"))
        }
        FollowError::TimedOut => RemoteError::Fetch("timed out".into()),
    }
}

fn fetch(e: reqwest::Error) -> RemoteError {
    RemoteError::Fetch(if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        e.to_string()
    })
}

impl Remote {
    /// A poller for `manifest_url`, downloading into `downloads`, sending its
    /// requests with the process's client `http`.
    pub fn new(manifest_url: &str, downloads: &Path, http: Shared) -> Result<Remote, RemoteError> {
        let manifest_url = Url::parse(manifest_url)
            .map_err(|e| RemoteError::Refused(format!("the update URL {manifest_url} is not a URL: {e}")))?;
        std::fs::create_dir_all(downloads)?;
        Ok(Remote {
            small_deadline: Duration::from_secs(30),
            bundle_deadline: Duration::from_secs(15 * 60),
            http,
            manifest_url,
            etag: None,
            last_modified: None,
            downloads: downloads.to_path_buf(),
        })
    }

    /// Sets the overall deadlines: of each request for the manifest or a
    /// signature (default 30 s), and of one bundle download request (default
    /// 15 min, plus a second per 64 KiB of the bundle; a download cut at it
    /// resumes at the next poll).
    pub fn with_deadlines(mut self, small: Duration, bundle: Duration) -> Remote {
        (self.small_deadline, self.bundle_deadline) = (small, bundle);
        self
    }

    fn client(&self) -> Result<&reqwest::Client, RemoteError> {
        self.http.get().map_err(RemoteError::Fetch)
    }

    /// Sends a GET built by `request`, following redirects under [`redirect_refusal`],
    /// within `deadline` for every hop and the answer's body together.
    async fn get(
        &self,
        url: &Url,
        deadline: Duration,
        request: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, RemoteError> {
        let client = self.client()?;
        let built = request(client.get(url.clone())).build().map_err(fetch)?;
        kiosk_http::send_following(client, built, deadline, READ_STALL, MAX_REDIRECTS, redirect_refusal)
            .await
            .map_err(followed)
    }

    /// The file `name` beside the manifest (on the server the config names, not where a redirect went).
    fn sibling(&self, name: &str) -> Result<Url, RemoteError> {
        kiosk_http::sibling(&self.manifest_url, name)
            .ok_or_else(|| RemoteError::Refused(format!("`{name}` is not a file name beside the manifest")))
    }

    /// The manifest's signature: its URL's path with `.minisig` added.
    fn manifest_signature(&self) -> Url {
        let mut url = self.manifest_url.clone();
        url.set_path(&format!("{}.minisig", self.manifest_url.path()));
        url
    }

    async fn get_small(&self, url: &Url) -> Result<Vec<u8>, RemoteError> {
        let r = self.get(url, self.small_deadline, |r| r).await?;
        if !r.status().is_success() {
            return Err(RemoteError::Fetch(format!("{url}: HTTP {}", r.status().as_u16())));
        }
        read_capped(r, SMALL_CAP, url.as_str()).await
    }

    /// Checks the manifest and, if it names a bundle newer than `highest`,
    /// downloads it (resuming a partial download) and returns its path.
    pub async fn poll(&mut self, policy: &Policy, highest: u64) -> Result<Poll, RemoteError> {
        let (etag, last_modified) = (self.etag.clone(), self.last_modified.clone());
        let validators = |mut req: reqwest::RequestBuilder| {
            if let Some(etag) = etag {
                req = req.header("if-none-match", etag);
            }
            if let Some(lm) = last_modified {
                req = req.header("if-modified-since", lm);
            }
            req
        };
        let r = self.get(&self.manifest_url, self.small_deadline, validators).await?;
        if r.status().as_u16() == 304 {
            return Ok(Poll::Unchanged);
        }
        if !r.status().is_success() {
            return Err(RemoteError::Fetch(format!("manifest: HTTP {}", r.status().as_u16())));
        }
        let header = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (etag, last_modified) = (header("etag"), header("last-modified"));
        let body = read_capped(r, SMALL_CAP, "the manifest").await?;
        let result = self.fetch_bundle(&body, policy, highest).await;
        // Remember the validators once this manifest is dealt with (downloaded or
        // up to date), so idle polls are 304s. After a failure or a refusal it is
        // fetched whole again: the download resumes, a fixed signature is seen.
        if result.is_ok() {
            (self.etag, self.last_modified) = (etag, last_modified);
        }
        result
    }

    async fn fetch_bundle(&self, body: &[u8], policy: &Policy, highest: u64) -> Result<Poll, RemoteError> {
        let sig = self.get_small(&self.manifest_signature()).await?;
        let manifest = verify_manifest(body, &sig, policy)?;
        if manifest.version <= highest {
            return Ok(Poll::UpToDate(manifest.version));
        }
        if manifest.size > policy.max_bytes {
            return Err(RemoteError::Refused(format!(
                "the manifest's bundle is {} bytes, over the kiosk's limit of {} bytes",
                manifest.size, policy.max_bytes
            )));
        }
        if manifest.bundle.contains(['/', '\\'])
            || manifest.bundle.starts_with('.')
            || manifest.bundle.chars().any(char::is_control)
        {
            return Err(RemoteError::Refused("the manifest's bundle name must be a plain file name".into()));
        }
        let path = self.downloads.join(format!("{}.kbundle", manifest.version));
        self.download(&self.sibling(&manifest.bundle)?, &path, manifest.size).await?;
        if sha256_file(&path)? != manifest.sha256 {
            let _ = std::fs::remove_file(&path);
            return Err(RemoteError::Refused("the downloaded bundle's SHA-256 differs from the manifest's".into()));
        }
        let sig = self.get_small(&self.sibling(&format!("{}.minisig", manifest.bundle))?).await?;
        std::fs::write(crate::sign::signature_path(&path), sig)?;
        Ok(Poll::Downloaded(path))
    }

    /// Downloads `url` to `path` (a `.part` beside it while in progress),
    /// resuming with a `Range` request, never beyond `size` bytes.
    async fn download(&self, url: &Url, path: &Path, size: u64) -> Result<(), RemoteError> {
        let part = path.with_extension("part");
        let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if have > size {
            std::fs::remove_file(&part)?;
        }
        let have = have.min(size);
        let ranged = have > 0 && have < size;
        let range =
            |req: reqwest::RequestBuilder| if ranged { req.header("range", format!("bytes={have}-")) } else { req };
        let deadline = bundle_deadline(self.bundle_deadline, size);
        let mut r = if have == size { None } else { Some(self.get(url, deadline, range).await?) };
        if let Some(resp) = &r
            && !resp.status().is_success()
        {
            return Err(RemoteError::Fetch(format!("bundle: HTTP {}", resp.status().as_u16())));
        }
        let resumed = r.as_ref().is_some_and(|resp| resp.status().as_u16() == 206);
        if ranged && !resumed {
            eprintln!(
                "update download: {url} ignored the Range request (answered {}): starting again from byte 0 of {size} \
                 instead of resuming at {have}; a server that supports Range saves this",
                r.as_ref().map_or(0, |resp| resp.status().as_u16())
            );
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(resumed).write(true).open(&part)?;
        if !resumed && r.is_some() {
            file.set_len(0)?; // the server sent it whole: start again
        }
        let mut written = if resumed {
            have
        } else if r.is_some() {
            0
        } else {
            have
        };
        if let Some(resp) = r.as_mut() {
            loop {
                // A connection lost mid-way keeps what arrived: the next poll resumes from there.
                let chunk = match tokio::time::timeout(READ_STALL, resp.chunk()).await {
                    Ok(Ok(Some(chunk))) => chunk,
                    Ok(Ok(None)) => break,
                    Ok(Err(_)) | Err(_) => {
                        file.sync_all()?;
                        return Err(RemoteError::Fetch(format!(
                            "download cut off at {written} of {size} bytes; will resume"
                        )));
                    }
                };
                written += chunk.len() as u64;
                if written > size {
                    drop(file);
                    let _ = std::fs::remove_file(&part);
                    return Err(RemoteError::Refused("the bundle is larger than its manifest says".into()));
                }
                file.write_all(&chunk)?;
            }
        }
        file.sync_all()?;
        if written < size {
            return Err(RemoteError::Fetch(format!("download cut off at {written} of {size} bytes; will resume")));
        }
        std::fs::rename(&part, path)?;
        Ok(())
    }
}

/// Why a redirect is not followed: the same rule as the config's `updates.url`
/// — `https://` anywhere, plain `http://` only to this machine's loopback — so
/// a redirect cannot downgrade the connection to plain http across the network.
/// Everything fetched is signed; this is defence in depth.
fn redirect_refusal(url: &reqwest::Url) -> Option<&'static str> {
    if kiosk_config::secure_or_loopback(url) {
        None
    } else {
        Some("only https:// (or plain http to this machine's loopback) is followed")
    }
}

/// Reads a response body chunk by chunk, giving up — and dropping the
/// connection — as soon as it passes `cap` bytes (or says it will).
async fn read_capped(mut r: reqwest::Response, cap: usize, what: &str) -> Result<Vec<u8>, RemoteError> {
    let over = || RemoteError::Refused(format!("{what} is larger than {cap} bytes"));
    if r.content_length().is_some_and(|n| n > cap as u64) {
        return Err(over());
    }
    let mut body = Vec::new();
    let stalled = || RemoteError::Fetch("timed out".into());
    while let Some(chunk) = tokio::time::timeout(READ_STALL, r.chunk()).await.map_err(|_| stalled())?.map_err(fetch)? {
        if body.len() + chunk.len() > cap {
            return Err(over());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Checks a manifest's signature against the trusted keys and its comment against its content.
pub fn verify_manifest(body: &[u8], sig: &[u8], policy: &Policy) -> Result<Manifest, RemoteError> {
    let refused = |m: &str| RemoteError::Refused(format!("manifest refused: {m}"));
    let sig = std::str::from_utf8(sig).map_err(|_| refused("signature is not text"))?;
    // First, so a damaged file is refused with its reason (see the function).
    check_signature_layout(sig).map_err(|m| refused(&format!("malformed signature: {m}")))?;
    let sig = Signature::decode(sig).map_err(|_| refused("not a minisign signature"))?;
    let key =
        policy.trusted.iter().find(|k| k.keynum() == sig.keynum()).ok_or_else(|| {
            refused(&format!("signed by key {}, which this kiosk does not trust", key_id(sig.keynum())))
        })?;
    // Legacy (non-prehashed) signatures are refused here too.
    crate::sign::verify(key, &sig, body).map_err(|_| refused("the signature does not match"))?;
    let comment = sig.trusted_comment();
    let manifest: Manifest = serde_json::from_slice(body).map_err(|_| refused("not a manifest"))?;
    if comment != manifest_comment(manifest.version, &manifest.channel) {
        return Err(refused("the signed comment and the manifest disagree"));
    }
    if manifest.channel != policy.channel {
        return Err(refused(&format!("for channel `{}`; this kiosk is on `{}`", manifest.channel, policy.channel)));
    }
    Ok(manifest)
}

/// The trusted comment of a manifest's signature.
pub fn manifest_comment(version: u64, channel: &str) -> String {
    format!("{MANIFEST_TAG} version={version} channel={channel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #15 item 9 (review): the download deadline grows with the
    /// announced size, so a bundle a server sends whole (ignoring `Range`) at
    /// 64 KiB/s still completes within one request.
    #[test]
    fn the_download_deadline_grows_with_the_bundle_size() {
        let base = Duration::from_secs(15 * 60);
        assert_eq!(bundle_deadline(base, 0), base);
        assert_eq!(bundle_deadline(base, 1), base + Duration::from_secs(1));
        assert_eq!(bundle_deadline(base, 64 * 1024), base + Duration::from_secs(1));
        // 512 MiB at 64 KiB/s: 8192 s on top of the 15 minutes.
        assert_eq!(bundle_deadline(base, 512 << 20), base + Duration::from_secs(8192));
        // The time the whole bundle takes at the slowest link always fits.
        for size in [1u64 << 20, 100 << 20, 4 << 30] {
            assert!(bundle_deadline(base, size) >= Duration::from_secs(size / SLOWEST_LINK), "{size}");
        }
        assert_eq!(bundle_deadline(Duration::MAX, u64::MAX), Duration::MAX, "no overflow");
    }
}
