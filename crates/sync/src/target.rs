//! The central lists a kiosk can send to, each a single HTTP request per
//! signup whose answer [`classify`](crate::classify) reads.
//!
//! - **Mailman 3**: `POST {url}members` with the list id and the address, as
//!   the REST admin. Double opt-in unless `pre_confirmed`: Mailman mails the
//!   visitor a confirmation; "already a member" and "already pending" are 409,
//!   which counts as delivered.
//! - **Webhook**: `POST {url}` with the signup as JSON, the signup id as
//!   `Idempotency-Key` and `X-Kiosk-Signature: t=<unix seconds>,v1=<hex
//!   HMAC-SHA256 of "<t>.<body>">` — the timestamp is signed too, so a
//!   captured request cannot be replayed after the receiver's tolerance
//!   (contract in docs/operations.md, "Webhook contract").
//!
//! Redirects are never followed (see [`classify`](crate::classify)): the
//! process's shared client ([`kiosk_http::Shared`]) has redirects off, and a
//! 3xx stops the round. Each request carries the config's `timeout_secs` as
//! its own deadline (the shared client has none of its own).

use std::path::Path;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use kiosk_config::{SyncConfig, SyncTarget};
use kiosk_http::Shared;
use kiosk_signups::store::Signup;
use sha2::Sha256;

use crate::classify::{Answer, Delivery, Protocol, classify, transport_failure};

/// The most of an answer's body that is read: it is only ever shown, shortened, to staff.
const MAX_BODY: usize = 64 * 1024;

/// Why a target could not be set up from the config.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The credentials file is missing or unreadable.
    #[error("cannot read the credentials file {path}: {source}")]
    Credentials {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Anyone but the kiosk's user may read the credentials.
    #[error("the credentials file {0} can be read by other users; run `chmod 600 {0}`")]
    Exposed(String),
    /// The list's URL does not parse (the config's check lets none through).
    #[error("the sync url {url} is not a URL: {why}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        why: String,
    },
    /// The file's content is not what the target needs.
    #[error("the credentials file {path} {what}")]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong.
        what: &'static str,
    },
}

/// The HTTP client and each request's deadline.
#[derive(Debug, Clone)]
pub struct Http {
    /// The process's client, built on its first request (on the sync worker's
    /// thread): building one loads the TLS roots, which must not hold up the
    /// kiosk's start-up.
    client: Shared,
    /// Overall deadline of one request (connect, headers and body).
    timeout: Duration,
}

/// Where signups go.
#[derive(Debug, Clone)]
pub enum Target {
    /// GNU Mailman 3 REST.
    Mailman {
        /// HTTP client and the request timeout.
        client: Http,
        /// The REST root, its path ending in `/`.
        root: url::Url,
        /// List id.
        list_id: String,
        /// REST user.
        user: String,
        /// REST password.
        password: String,
        /// Skip the confirmation mail.
        pre_confirmed: bool,
    },
    /// Signed JSON webhook.
    Webhook {
        /// HTTP client and the request timeout.
        client: Http,
        /// Endpoint.
        url: String,
        /// Shared secret for the HMAC.
        secret: Vec<u8>,
    },
}

/// Reads a secret file, refusing one that others can read.
fn read_secret(path: &Path) -> Result<String, SetupError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| SetupError::Credentials { path: shown.clone(), source })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(SetupError::Exposed(shown));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(|source| SetupError::Credentials { path: shown, source })?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

impl Target {
    /// Builds the target the config names, reading its credentials file; it
    /// sends with `http`, the process's client.
    pub fn from_config(c: &SyncConfig, http: Shared) -> Result<Target, SetupError> {
        let client = Http { client: http, timeout: Duration::from_secs(c.timeout_secs.into()) };
        let secret = read_secret(&c.credentials_file)?;
        let shown = c.credentials_file.display().to_string();
        Ok(match c.target {
            SyncTarget::Mailman => {
                let (user, password) = secret
                    .split_once(':')
                    .ok_or(SetupError::Malformed { path: shown, what: "must hold one line `user:password`" })?;
                let mut root =
                    url::Url::parse(&c.url).map_err(|e| SetupError::Url { url: c.url.clone(), why: e.to_string() })?;
                if !root.path().ends_with('/') {
                    root.set_path(&format!("{}/", root.path()));
                }
                Target::Mailman {
                    client,
                    root,
                    list_id: c.list_id.clone().unwrap_or_default(),
                    user: user.to_string(),
                    password: password.to_string(),
                    pre_confirmed: c.pre_confirmed,
                }
            }
            SyncTarget::Webhook => {
                if secret.len() < 16 {
                    return Err(SetupError::Malformed {
                        path: shown,
                        what: "must hold a secret of 16 characters or more",
                    });
                }
                Target::Webhook { client, url: c.url.clone(), secret: secret.into_bytes() }
            }
        })
    }

    fn http(&self) -> &Http {
        match self {
            Target::Mailman { client, .. } | Target::Webhook { client, .. } => client,
        }
    }

    /// A short name for staff messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Target::Mailman { .. } => "Mailman",
            Target::Webhook { .. } => "webhook",
        }
    }

    /// Sends one signup and says what became of it. Never fails: every
    /// outcome, including a network error, is a [`Delivery`].
    pub async fn deliver(&self, s: &Signup) -> Delivery {
        let Http { client, timeout } = self.http();
        let client = match client.get() {
            Ok(c) => c,
            Err(e) => return Delivery::Halt { reason: format!("cannot set up HTTPS on this kiosk: {e}") },
        };
        let (protocol, request) = match self {
            Target::Mailman { root, list_id, user, password, pre_confirmed, .. } => {
                let confirmed = if *pre_confirmed { "true" } else { "false" };
                let form = [
                    ("list_id", list_id.as_str()),
                    ("subscriber", s.email_ascii.as_str()),
                    ("display_name", s.name.as_deref().unwrap_or("")),
                    ("pre_verified", confirmed),
                    ("pre_confirmed", confirmed),
                ];
                let request = client.post(root.join("members").expect("a relative path joins"));
                (Protocol::Mailman, request.basic_auth(user, Some(password)).form(&form))
            }
            Target::Webhook { url, secret, .. } => {
                let body = webhook_body(s);
                let signature = signature_header(secret, Timestamp::now().as_second(), &body);
                let request = client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", &s.id)
                    .header("x-kiosk-id", &s.kiosk_id)
                    .header("x-kiosk-signature", signature)
                    .body(body);
                (Protocol::Webhook, request)
            }
        };
        match request.timeout(*timeout).send().await {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let header =
                    |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
                let retry_after = header("retry-after");
                let content_type = header("content-type");
                // A relative Location is relative to the URL that answered.
                let location = header("location").map(|l| response.url().join(&l).map(|u| u.to_string()).unwrap_or(l));
                // A body cut off mid-read after a 2xx still means the server has it.
                let mut body = Vec::new();
                while body.len() < MAX_BODY {
                    match response.chunk().await {
                        Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                body.truncate(MAX_BODY);
                let body = String::from_utf8_lossy(&body);
                let local = s.email_ascii.rsplit_once('@').map_or("", |(l, _)| l);
                let name = s.name.as_deref().unwrap_or("");
                let mut private = vec![s.email_ascii.as_str(), s.email_typed.as_str(), local, name];
                private.extend(name.split_whitespace());
                let answer = Answer {
                    status,
                    retry_after: retry_after.as_deref(),
                    location: location.as_deref(),
                    content_type: content_type.as_deref(),
                    body: &body,
                    private: &private,
                };
                classify(protocol, &answer, Timestamp::now())
            }
            // First: a connect that timed out (a firewall dropping packets, a VPN down) is no connection at all.
            Err(e) if e.is_connect() => transport_failure("connection refused, timed out or no route", true),
            Err(e) if e.is_timeout() => transport_failure("timed out", false),
            Err(_) => transport_failure("connection lost", false),
        }
    }
}

/// The webhook payload: the same bytes for every retry of a signup.
pub fn webhook_body(s: &Signup) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": s.id,
        "email": s.email_ascii,
        "email_as_typed": s.email_typed,
        "name": s.name,
        "language": s.lang,
        "consent": { "version": s.consent_version, "sha256": s.consent_sha256 },
        "kiosk_id": s.kiosk_id,
        "signed_up_at": s.created_utc,
    }))
    .expect("a JSON object always serialises")
}

/// Lower-case hex HMAC-SHA256 of `message` under `secret`.
pub fn sign(secret: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The `X-Kiosk-Signature` header for a webhook request sent at `t` (Unix
/// seconds): `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The receiver
/// recomputes it over the bytes it got and refuses a `t` more than its
/// tolerance (five minutes) from its own clock, so a captured request cannot be
/// replayed later; within the tolerance, the `Idempotency-Key` makes a replay
/// land once.
pub fn signature_header(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    format!("t={t},v1={}", sign(secret, &signed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_webhook_signature_covers_the_timestamp_and_body() {
        // Computed independently: Python's
        // hmac.new(b"a shared secret of some length", b'1764331200.{"id":"x"}', "sha256").hexdigest()
        assert_eq!(
            signature_header(b"a shared secret of some length", 1_764_331_200, br#"{"id":"x"}"#),
            "t=1764331200,v1=61411cc479c0f8620c424ada229ea692a061667d845b06830327aae590c54e69"
        );
        let a = signature_header(b"k", 1_764_331_200, b"{}");
        let b = signature_header(b"k", 1_764_331_201, b"{}");
        assert_ne!(a[a.find("v1=").unwrap()..], b[b.find("v1=").unwrap()..], "another time, another signature");
    }

    #[test]
    fn credentials_readable_by_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.secret");
        std::fs::write(&path, "restadmin:secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let config = SyncConfig {
            target: SyncTarget::Mailman,
            url: "https://lists.example/3.1".into(),
            list_id: Some("v.example".into()),
            credentials_file: path.clone(),
            pre_confirmed: false,
            interval_secs: 60,
            batch: 10,
            parallel: 2,
            timeout_secs: 5,
            max_backoff_secs: 60,
        };
        let err = Target::from_config(&config, Shared::new()).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "staff are told how to fix it: {err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let Target::Mailman { root, user, password, .. } = Target::from_config(&config, Shared::new()).unwrap() else {
            panic!()
        };
        assert_eq!(
            (root.as_str(), user.as_str(), password.as_str()),
            ("https://lists.example/3.1/", "restadmin", "secret")
        );
    }
}
