//! A webhook receiver that holds the kiosk to the webhook contract (docs/operations.md, "Webhook contract"): it
//! checks the signature (`X-Kiosk-Signature: t=<unix secs>,v1=<hex
//! HMAC-SHA256 of "<t>.<raw body>">`) and that `t` is within five minutes of
//! its own clock, refuses a bad or stale one with 401, keeps one entry per
//! `Idempotency-Key`, and can fail at random — before accepting (503) or after
//! accepting (dropping its answer) — so the tests see retries carry the same key.
//!
//! [`verify`] is the check docs/operations.md documents for real receivers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::net::TcpListener;

use crate::http::{read_request, respond};

/// How far a request's signed time may be from the receiver's clock.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a request's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `t=` and `v1=` in the header.
    Malformed,
    /// `t` is more than [`TOLERANCE_SECS`] from now: an old (replayed) request, or a kiosk clock that is off.
    Stale,
    /// No `v1` matches the HMAC over `"<t>.<body>"`.
    BadSignature,
}

/// The receiver's check: `header` is `X-Kiosk-Signature`, `body` the raw
/// bytes received, `now` the receiver's clock in Unix seconds.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> Result<(), Refusal> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else { return Err(Refusal::Malformed) };
    if signatures.is_empty() {
        return Err(Refusal::Malformed);
    }
    if (now - t).abs() > TOLERANCE_SECS {
        return Err(Refusal::Stale);
    }
    let ok = signatures.iter().any(|hex| {
        let Some(bytes) = unhex(hex) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&bytes).is_ok() // constant-time
    });
    if ok { Ok(()) } else { Err(Refusal::BadSignature) }
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Everything the receiver saw.
#[derive(Debug, Default)]
pub struct Received {
    /// Accepted signups by idempotency key: the body as JSON.
    pub accepted: HashMap<String, serde_json::Value>,
    /// Requests per idempotency key, including failed and repeated ones.
    pub attempts: HashMap<String, u32>,
    /// Requests whose signature did not verify.
    pub bad_signatures: u32,
    /// Requests signed at a time outside the tolerance (replays).
    pub stale: u32,
    /// Requests with the same key whose bodies differed (must stay 0).
    pub changed_bodies: u32,
    /// Time spent handling accepted requests, in microseconds (the server's own time).
    pub busy_us: u64,
}

/// A running receiver.
pub struct WebhookReceiver {
    port: u16,
    /// What it saw.
    pub received: Arc<Mutex<Received>>,
}

impl WebhookReceiver {
    /// Starts on a free loopback port. `flaky` is the share of requests that fail
    /// (half with a 503 before accepting, half accepted with the answer dropped).
    /// Addresses at `rejected.example` are refused for good with 422.
    pub async fn start(secret: &[u8], flaky: f64, seed: u64) -> WebhookReceiver {
        Self::start_with_clock(secret, flaky, seed, 0).await
    }

    /// As [`WebhookReceiver::start`], with the receiver's clock `skew_secs`
    /// ahead of the machine's: a request captured now and replayed that much later.
    pub async fn start_with_clock(secret: &[u8], flaky: f64, seed: u64, skew_secs: i64) -> WebhookReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Received::default()));
        let (r, secret) = (received.clone(), secret.to_vec());
        tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(seed);
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let (roll, received, secret) = (rng.f64(), r.clone(), secret.clone());
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut stream).await else { return };
                    let started = std::time::Instant::now();
                    let key = req.header("idempotency-key").unwrap_or_default().to_string();
                    let signature = req.header("x-kiosk-signature").unwrap_or_default().to_string();
                    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                    let answer = {
                        let mut rec = received.lock().expect("lock");
                        *rec.attempts.entry(key.clone()).or_default() += 1;
                        let check = verify(&secret, &signature, &req.body, unix_now() + skew_secs);
                        if check == Err(Refusal::Stale) {
                            rec.stale += 1;
                            (
                                401,
                                r#"{"error": "signature timestamp outside 5 minutes: a replay, or check the kiosk's clock"}"#,
                                false,
                            )
                        } else if check.is_err() {
                            rec.bad_signatures += 1;
                            (401, r#"{"error": "bad signature"}"#, false)
                        } else if let Some(before) = rec.accepted.get(&key) {
                            if *before != body {
                                rec.changed_bodies += 1;
                            }
                            (200, r#"{"status": "duplicate"}"#, false)
                        } else if body["email"].as_str().is_some_and(|e| e.ends_with("@rejected.example")) {
                            (422, r#"{"error": "this domain does not take list mail"}"#, false)
                        } else if roll < flaky / 2.0 {
                            (503, r#"{"error": "busy"}"#, false)
                        } else {
                            rec.accepted.insert(key, body);
                            rec.busy_us += started.elapsed().as_micros() as u64;
                            (200, r#"{"status": "accepted"}"#, roll < flaky)
                        }
                    };
                    let (status, text, drop_answer) = answer;
                    if !drop_answer {
                        respond(&mut stream, status, &[], text).await;
                    }
                });
            }
        });
        WebhookReceiver { port, received }
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/signups", self.port)
    }
}
