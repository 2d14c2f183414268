//! The one HTTP client a kiosk process builds, shared by the sync worker, the
//! update poller and the heartbeat.
//!
//! Building a client loads the system's TLS roots — tens of milliseconds each
//! time (`cargo test -p kiosk-http --test http -- --ignored --nocapture`
//! prints the figure) — and each client keeps its own connection pool. So
//! the process makes one [`Shared`] handle, clones it to every user, and the
//! client is built on the first request, off the window's start-up path.
//!
//! Its settings must hold every user's promise at once:
//! - **No redirect is followed by the client.** The sync must never follow one
//!   (a followed 301/302/303 turns the signup's POST into a GET, and a 200
//!   there would count as delivered: SECURITY.md). A user that does follow
//!   redirects — the update poller, to https or loopback only — does so
//!   itself with [`send_following`], under its own rule.
//! - **No client-wide deadline.** Each request sets its own
//!   (`RequestBuilder::timeout`): a signup's `timeout_secs`, a manifest's
//!   30 s, a bundle's time for its size. Only the connect timeout is shared.
#![deny(missing_docs)]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, COOKIE, HeaderValue, PROXY_AUTHORIZATION, REFERER, WWW_AUTHENTICATE};
use reqwest::{Client, Request, Response, Url};

/// The longest a connection may take to set up, for every request.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the kiosk says it is.
pub const USER_AGENT: &str = concat!("embassy-kiosk/", env!("CARGO_PKG_VERSION"));

/// Builds a client with the settings every user relies on: redirects off,
/// the connect timeout, `user_agent`. Build one per process (see [`Shared`]).
pub fn client(user_agent: &str) -> Result<Client, reqwest::Error> {
    Client::builder()
        // Never follow a redirect (see the module docs); whoever follows one does it itself.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(user_agent)
        .build()
}

/// The process's client, built on first use and shared by cheap clones.
#[derive(Clone, Default)]
pub struct Shared {
    built: Arc<OnceLock<Result<Client, String>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("built", &self.built.get().map(|r| r.is_ok())).finish()
    }
}

impl Shared {
    /// A handle whose client ([`client`] with [`USER_AGENT`]) is built on the first [`Shared::get`].
    pub fn new() -> Shared {
        Shared::default()
    }

    /// A handle on a client built elsewhere (tests, or a program with its own settings).
    pub fn with(client: Client) -> Shared {
        Shared { built: Arc::new(OnceLock::from(Ok(client))) }
    }

    /// The client, or why HTTPS cannot be set up on this machine.
    pub fn get(&self) -> Result<&Client, String> {
        self.built.get_or_init(|| client(USER_AGENT).map_err(|e| e.to_string())).as_ref().map_err(Clone::clone)
    }
}

/// Why [`send_following`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The request itself failed (connect, timeout, a cut connection).
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// A redirect the caller's rule refuses (or not to http/https).
    #[error("to {to}: {why}")]
    Refused {
        /// Where it pointed.
        to: Url,
        /// The caller's reason.
        why: &'static str,
    },
    /// One redirect more than the caller allows.
    #[error("more than {0} redirects")]
    TooMany(usize),
    /// A request that cannot be sent twice (it has a streaming body), redirected.
    #[error("a request with a body cannot follow a redirect")]
    NotRepeatable,
    /// No answer within the deadline (all hops together), or the server went quiet for `stall`.
    #[error("timed out")]
    TimedOut,
}

/// The redirect statuses followed, as reqwest's own policy follows them.
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Sends a GET (or another request without a body), following redirects
/// itself as reqwest's `Policy::custom` did for the update poller:
/// - at most `max - 1` redirects: the `max`-th is refused
///   ([`FollowError::TooMany`]), as a policy refusing at `previous().len() >= max` did;
/// - each target must pass `refuse` (`None` = follow), else [`FollowError::Refused`];
/// - headers go along, but credentials are dropped when the host, port or
///   scheme changes, and a `Referer` is added (not from https to http), as
///   reqwest does;
/// - `deadline` covers every hop and the final answer's body, as one
///   request's timeout did; `stall` is the longest wait for an answer's headers.
///
/// The answer that is not a redirect (or a redirect without a usable
/// `Location`) is returned as it is.
pub async fn send_following(
    client: &Client,
    mut request: Request,
    deadline: Duration,
    stall: Duration,
    max: usize,
    refuse: impl Fn(&Url) -> Option<&'static str>,
) -> Result<Response, FollowError> {
    // A POST's body must never be sent again to wherever a redirect points.
    if request.body().is_some() {
        return Err(FollowError::NotRepeatable);
    }
    let start = Instant::now();
    let mut previous: Vec<Url> = Vec::new();
    loop {
        let left = deadline.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(FollowError::TimedOut);
        }
        *request.timeout_mut() = Some(left);
        let again = request.try_clone().ok_or(FollowError::NotRepeatable)?;
        let response = match tokio::time::timeout(stall.min(left), client.execute(request)).await {
            Ok(answer) => answer?,
            Err(_) => return Err(FollowError::TimedOut),
        };
        let location = response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
        let next = match location {
            Some(l) if is_redirect(response.status().as_u16()) => response.url().join(l).ok(),
            _ => None,
        };
        let Some(next) = next else { return Ok(response) };
        previous.push(response.url().clone());
        if previous.len() >= max {
            return Err(FollowError::TooMany(max));
        }
        if let Some(why) = refuse(&next) {
            return Err(FollowError::Refused { to: next, why });
        }
        if !matches!(next.scheme(), "http" | "https") {
            return Err(FollowError::Refused { to: next, why: "only http and https are followed" });
        }
        if !next.username().is_empty() || next.password().is_some() {
            return Err(FollowError::Refused { to: next, why: "a redirect may not carry a user name or password" });
        }
        let from = response.url().clone();
        drop(response);
        request = again;
        let headers = request.headers_mut();
        let cross_host = next.host_str() != from.host_str()
            || next.port_or_known_default() != from.port_or_known_default()
            || next.scheme() != from.scheme();
        if cross_host {
            for h in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, WWW_AUTHENTICATE] {
                headers.remove(h);
            }
        }
        if !(next.scheme() == "http" && from.scheme() == "https") {
            let mut referer = from;
            let _ = referer.set_username("");
            let _ = referer.set_password(None);
            referer.set_fragment(None);
            if let Ok(v) = HeaderValue::from_str(referer.as_str()) {
                headers.insert(REFERER, v);
            }
        }
        *request.url_mut() = next;
    }
}

/// The file `name` beside the file `base` points at (a sibling path segment):
/// `https://h/a/manifest.json` and `b.kbundle` give `https://h/a/b.kbundle`.
/// `name` is one segment, percent-encoded as needed: it can never change the
/// host, the scheme or the folder, whatever it holds (`http:evil`, `a/b`,
/// `?q`); `""`, `.` and `..` name no file and give `None`, and so does a
/// name with a control character (the URL parser drops tabs and line breaks,
/// so `"\t.."` would otherwise come out as `..`: the folder above). The query
/// and fragment of `base` are dropped.
pub fn sibling(base: &Url, name: &str) -> Option<Url> {
    if matches!(name, "" | "." | "..") || name.chars().any(char::is_control) {
        return None;
    }
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut().ok()?.pop().push(name);
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sibling_is_one_segment_in_the_same_folder() {
        let base = Url::parse("https://updates.example/kiosk/manifest.json?x=1#f").unwrap();
        let cases = [
            ("embassy-7.kbundle", "https://updates.example/kiosk/embassy-7.kbundle"),
            ("manifest.json.minisig", "https://updates.example/kiosk/manifest.json.minisig"),
            ("http:evil.example", "https://updates.example/kiosk/http:evil.example"),
            ("a?b#c", "https://updates.example/kiosk/a%3Fb%23c"),
            ("a/b", "https://updates.example/kiosk/a%2Fb"),
        ];
        for (name, want) in cases {
            assert_eq!(sibling(&base, name).unwrap().as_str(), want, "{name}");
        }
        for name in ["", ".", "..", "\t..", ".\n.", "\r.", "a\tb"] {
            assert_eq!(sibling(&base, name), None, "{name:?} names no file");
        }
        let root = Url::parse("https://updates.example/manifest.json").unwrap();
        assert_eq!(sibling(&root, "b.kbundle").unwrap().as_str(), "https://updates.example/b.kbundle");
    }
}
