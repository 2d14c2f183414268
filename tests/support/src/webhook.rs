//! A webhook receiver that holds the kiosk to the webhook contract (docs/operations.md, "Webhook contract"): it
//! checks the signature (`X-Kiosk-Signature: t=<unix secs>,v1=<hex
//! HMAC-SHA256 of "<t>.<raw body>">`) and that `t` is within five minutes of
//! its own clock, refuses a bad or stale one with 401, keeps one entry per
//! `Idempotency-Key`, and can fail at random — before accepting (503) or after
//! accepting (dropping its answer) — so the tests see retries carry the same key.
//!
//! Like a central list behind a rate limiter, it can also be capped at C
//! requests a second ([`WebhookReceiver::start_capped`]): beyond C in one
//! second it answers 429 with `Retry-After: 1`, and it counts what was offered
//! each second, so a fleet's retry storm shows as a peak. An outage switch
//! ([`WebhookReceiver::outage`]) makes it answer 503 until switched off.
//!
//! [`verify`] is the check docs/operations.md documents for real receivers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

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
    /// Requests answered 429 because the second's cap was reached.
    pub throttled: u32,
    /// Requests answered 503 during an outage.
    pub unavailable: u32,
    /// Requests offered in each whole second since the receiver started (index = second), throttled ones
    /// included, outage ones not.
    pub per_second: Vec<u32>,
    /// Requests let through the cap in each second (index = second).
    pub admitted_per_second: Vec<u32>,
}

/// A running receiver.
pub struct WebhookReceiver {
    port: u16,
    /// What it saw.
    pub received: Arc<Mutex<Received>>,
    /// While true, every request is answered 503 (no `Retry-After`): the list is down.
    pub outage: Arc<AtomicBool>,
    /// When it started: second `i` of [`Received::per_second`] begins `i` seconds after this.
    pub started: Instant,
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
        Self::start_inner(secret, flaky, seed, skew_secs, None).await
    }

    /// A reliable receiver that lets at most `per_second` requests through in
    /// each whole second of its clock and answers the rest 429 with `Retry-After: 1`.
    pub async fn start_capped(secret: &[u8], per_second: u32) -> WebhookReceiver {
        Self::start_inner(secret, 0.0, 0, 0, Some(per_second)).await
    }

    async fn start_inner(secret: &[u8], flaky: f64, seed: u64, skew_secs: i64, cap: Option<u32>) -> WebhookReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Received::default()));
        let outage = Arc::new(AtomicBool::new(false));
        let since = Instant::now();
        let (r, secret, down) = (received.clone(), secret.to_vec(), outage.clone());
        tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(seed);
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let (roll, received, secret, down) = (rng.f64(), r.clone(), secret.clone(), down.clone());
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut stream).await else { return };
                    let started = std::time::Instant::now();
                    let key = req.header("idempotency-key").unwrap_or_default().to_string();
                    let signature = req.header("x-kiosk-signature").unwrap_or_default().to_string();
                    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                    let answer = {
                        let mut rec = received.lock().expect("lock");
                        *rec.attempts.entry(key.clone()).or_default() += 1;
                        let second = since.elapsed().as_secs() as usize;
                        if rec.per_second.len() <= second {
                            rec.per_second.resize(second + 1, 0);
                            rec.admitted_per_second.resize(second + 1, 0);
                        }
                        // The rate and the cap count what reaches the list: not an outage's refusals.
                        let up = !down.load(Ordering::SeqCst);
                        let over_cap = up && cap.is_some_and(|c| rec.admitted_per_second[second] >= c);
                        if up {
                            rec.per_second[second] += 1;
                            if !over_cap {
                                rec.admitted_per_second[second] += 1;
                            }
                        }
                        let check = verify(&secret, &signature, &req.body, unix_now() + skew_secs);
                        if !up {
                            rec.unavailable += 1;
                            (503, r#"{"error": "down for maintenance"}"#, false)
                        } else if over_cap {
                            rec.throttled += 1;
                            (429, r#"{"error": "rate limited"}"#, false)
                        } else if check == Err(Refusal::Stale) {
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
                    let headers: &[(&str, &str)] = if status == 429 { &[("Retry-After", "1")] } else { &[] };
                    if !drop_answer {
                        respond(&mut stream, status, headers, text).await;
                    }
                });
            }
        });
        WebhookReceiver { port, received, outage, started: since }
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/signups", self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &[u8], body: &[u8]) -> String {
        let t = unix_now();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        format!("t={t},v1={hex}")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_capped_receiver_answers_429_with_retry_after_beyond_its_rate() {
        let secret = b"a-secret-of-sixteen-bytes";
        let rx = WebhookReceiver::start_capped(secret, 3).await;
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        // Ten requests in well under a second: they fall in at most two of the receiver's seconds.
        for i in 0..10 {
            let body = format!(r#"{{"id": "s{i}", "email": "v{i}@example.org"}}"#);
            let answer = client
                .post(rx.url())
                .header("idempotency-key", format!("s{i}"))
                .header("x-kiosk-signature", signed(secret, body.as_bytes()))
                .body(body)
                .send()
                .await
                .expect("request");
            let retry_after = answer.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            statuses.push((answer.status().as_u16(), retry_after));
        }
        let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
        let throttled: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
        assert_eq!(ok + throttled.len(), 10, "every answer is 200 or 429: {statuses:?}");
        assert!((3..=6).contains(&ok), "at most 3 a second get through: {statuses:?}");
        assert!(throttled.iter().all(|(_, r)| r.as_deref() == Some("1")), "a 429 says when to come back");
        {
            let rec = rx.received.lock().unwrap();
            assert_eq!(rec.throttled as usize, throttled.len(), "the receiver counts its 429s");
            assert_eq!(rec.accepted.len(), ok, "only requests let through are accepted");
            assert!(rec.admitted_per_second.iter().all(|&n| n <= 3), "never more than the cap in a second");
            assert_eq!(rec.per_second.iter().sum::<u32>(), 10, "every offered request is counted");
        }

        rx.outage.store(true, Ordering::SeqCst);
        let answer = client.post(rx.url()).body("{}").send().await.expect("request");
        assert_eq!(answer.status().as_u16(), 503, "during an outage the list answers 503");
    }
}
