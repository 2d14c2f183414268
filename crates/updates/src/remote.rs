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
//! A staged rollout: the manifest may carry `"rollout_percent": N` (signed
//! with the rest of it; absent means 100, so older manifests stay valid and
//! byte for byte the same). A kiosk installs the version only if a stable hash
//! of its `kiosk_id` and the version falls in the first N % ([`in_rollout`]);
//! the others keep polling — their idle polls are 304s — until the manifest is
//! re-published with a higher percent. The hash includes the version, so a
//! different tenth of the fleet goes first at each release, and raising the
//! percent only adds kiosks (a kiosk in at 10 % is in at 50 %). A rollout is
//! halted by publishing the previous content as a higher version at 100 %:
//! forward-only, like every install. (Kiosks from before this field ignore
//! it and install at once.)
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
    /// The share of the fleet, 0 to 100, that installs this version now
    /// ([`in_rollout`]); left out of the file when 100.
    #[serde(default = "all_kiosks", skip_serializing_if = "is_all_kiosks")]
    pub rollout_percent: u8,
}

fn all_kiosks() -> u8 {
    100
}

fn is_all_kiosks(p: &u8) -> bool {
    *p >= 100
}

/// Whether the kiosk `kiosk_id` is among the first `percent` % of the fleet
/// to install `version`: a stable hash (SHA-256) of the two, taken modulo 100,
/// is below `percent`. The same kiosk gets the same answer at every poll and
/// restart; a higher percent keeps every kiosk a lower one let in.
pub fn in_rollout(kiosk_id: &str, version: u64, percent: u8) -> bool {
    use sha2::Digest;
    if percent >= 100 {
        return true;
    }
    let digest = sha2::Sha256::new()
        .chain_update(kiosk_id.as_bytes())
        .chain_update([0])
        .chain_update(version.to_be_bytes())
        .finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head) % 100 < u64::from(percent)
}

/// What a poll found.
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    /// The manifest has not changed since the last poll (304).
    Unchanged,
    /// Nothing newer than what is installed.
    UpToDate(u64),
    /// A newer version in a staged rollout that this kiosk is not yet part of:
    /// nothing downloaded; the manifest is polled on (304s) until re-published.
    Held {
        /// The version held back.
        version: u64,
        /// The manifest's `rollout_percent`.
        percent: u8,
    },
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
    /// The kiosk's `kiosk_id`, for staged rollouts; without one, a version is
    /// installed only once its rollout reaches 100 %.
    kiosk_id: Option<String>,
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
            kiosk_id: None,
        })
    }

    /// Names the kiosk, so it takes its place in staged rollouts ([`in_rollout`]).
    pub fn for_kiosk(mut self, kiosk_id: &str) -> Remote {
        self.kiosk_id = Some(kiosk_id.to_string());
        self
    }

    /// The kiosk's id, if named ([`Remote::for_kiosk`]).
    pub fn kiosk_id(&self) -> Option<&str> {
        self.kiosk_id.as_deref()
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
        let percent = manifest.rollout_percent;
        if percent < 100 && !self.kiosk_id.as_deref().is_some_and(|id| in_rollout(id, manifest.version, percent)) {
            return Ok(Poll::Held { version: manifest.version, percent });
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

    /// Issue #20: the staged rollout's share is close to the percent, stable,
    /// only grows with the percent, and differs from one version to the next.
    #[test]
    fn a_staged_rollout_takes_about_its_percent_of_the_fleet_and_only_grows() {
        let ids: Vec<String> = (0..2000).map(|i| format!("lobby-{i}")).collect();
        let chosen = |version, percent| -> Vec<&str> {
            ids.iter().map(String::as_str).filter(|id| in_rollout(id, version, percent)).collect()
        };
        assert!(chosen(7, 0).is_empty(), "0 % installs nowhere");
        assert_eq!(chosen(7, 100).len(), ids.len(), "100 % installs everywhere");
        for percent in [1u8, 10, 25, 50, 90] {
            let n = chosen(7, percent).len() as f64;
            let want = ids.len() as f64 * f64::from(percent) / 100.0;
            assert!((n - want).abs() <= 3.0 * want.sqrt().max(3.0), "{percent} %: {n} kiosks, expected about {want}");
        }
        let (ten, fifty) = (chosen(7, 10), chosen(7, 50));
        assert!(ten.iter().all(|id| fifty.contains(id)), "raising the percent keeps every kiosk already in");
        assert_eq!(ten, chosen(7, 10), "the same kiosks at every poll");
        let next = chosen(8, 10);
        let shared = ten.iter().filter(|id| next.contains(id)).count();
        assert!(shared < ten.len() / 3, "another version starts on other kiosks ({shared} of {} shared)", ten.len());
    }

    /// Manifests from before `rollout_percent` read as 100 %, and a 100 %
    /// manifest is written without the field, as before.
    #[test]
    fn old_manifests_are_full_rollouts_and_full_rollouts_keep_the_old_layout() {
        let old = br#"{"version":3,"channel":"stable","size":1,"sha256":"00","bundle":"b.kbundle"}"#;
        let m: Manifest = serde_json::from_slice(old).unwrap();
        assert_eq!(m.rollout_percent, 100);
        assert_eq!(serde_json::to_vec(&m).unwrap(), old.to_vec());
        let staged = Manifest { rollout_percent: 10, ..m };
        let text = serde_json::to_string(&staged).unwrap();
        assert!(text.contains(r#""rollout_percent":10"#), "{text}");
    }
}
