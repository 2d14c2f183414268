//! A webhook receiver that holds the kiosk to the README's contract: it
//! checks the HMAC-SHA256 signature over the raw body, refuses a bad one
//! with 401, keeps one entry per `Idempotency-Key`, and can fail at random —
//! before accepting (503) or after accepting (dropping its answer) — so the
//! tests see retries carry the same key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::net::TcpListener;

use crate::http::{read_request, respond};

/// Everything the receiver saw.
#[derive(Debug, Default)]
pub struct Received {
    /// Accepted signups by idempotency key: the body as JSON.
    pub accepted: HashMap<String, serde_json::Value>,
    /// Requests per idempotency key, including failed and repeated ones.
    pub attempts: HashMap<String, u32>,
    /// Requests whose signature did not verify.
    pub bad_signatures: u32,
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
                    let mut mac = Hmac::<Sha256>::new_from_slice(&secret).expect("any key length");
                    mac.update(&req.body);
                    let want: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
                    let key = req.header("idempotency-key").unwrap_or_default().to_string();
                    let signature = req.header("x-kiosk-signature").unwrap_or_default().to_string();
                    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                    let answer = {
                        let mut rec = received.lock().expect("lock");
                        *rec.attempts.entry(key.clone()).or_default() += 1;
                        if signature != format!("sha256={want}") {
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
