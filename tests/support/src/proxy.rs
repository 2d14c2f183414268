//! A fault-injecting HTTP proxy: between the kiosk and the central list it
//! drops connections and answers 500/503 at random — and, the hard case for
//! exactly-once, forwards a request and then drops the answer, so the server
//! has the signup but the kiosk never hears so.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::http::{read_request, respond};

/// How often each fault happens, as a share of requests (the rest pass).
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Close the connection before the request reaches the server.
    pub drop_request: f64,
    /// Forward the request, then close without passing the answer on.
    pub drop_response: f64,
    /// Answer 500 without forwarding.
    pub error_500: f64,
    /// Answer 503 with `Retry-After: 1` without forwarding.
    pub error_503: f64,
}

impl Faults {
    /// No faults: every request passes.
    pub const NONE: Faults = Faults { drop_request: 0.0, drop_response: 0.0, error_500: 0.0, error_503: 0.0 };
}

/// What the proxy did, for the test's own report.
#[derive(Debug, Default)]
pub struct Tally {
    /// Requests passed through and answered.
    pub passed: AtomicU64,
    /// Requests dropped before reaching the server.
    pub dropped_requests: AtomicU64,
    /// Requests the server handled whose answer was dropped.
    pub dropped_responses: AtomicU64,
    /// 500s and 503s made up.
    pub errors: AtomicU64,
}

/// A running proxy; it stops with the test's runtime.
pub struct FaultProxy {
    port: u16,
    /// What it did.
    pub tally: Arc<Tally>,
    maintenance: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:upstream_port`.
    pub async fn start(upstream_port: u16, faults: Faults, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let tally = Arc::new(Tally::default());
        let maintenance = Arc::new(AtomicBool::new(false));
        let (t, m) = (tally.clone(), maintenance.clone());
        tokio::spawn(async move {
            let rng = Arc::new(std::sync::Mutex::new(fastrand::Rng::with_seed(seed)));
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let roll = rng.lock().expect("rng").f64();
                let down = m.load(Ordering::SeqCst);
                tokio::spawn(handle(client, upstream_port, faults, roll, down, t.clone()));
            }
        });
        FaultProxy { port, tally, maintenance }
    }

    /// While on, every request is answered `503 Retry-After: 3600` — the list
    /// down for maintenance, telling clients to come back in an hour.
    pub fn set_maintenance(&self, on: bool) {
        self.maintenance.store(on, Ordering::SeqCst);
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// One line for the test log.
    pub fn summary(&self) -> String {
        let t = &self.tally;
        format!(
            "proxy: {} passed, {} requests dropped, {} answers dropped after the server acted, {} 500/503",
            t.passed.load(Ordering::Relaxed),
            t.dropped_requests.load(Ordering::Relaxed),
            t.dropped_responses.load(Ordering::Relaxed),
            t.errors.load(Ordering::Relaxed)
        )
    }
}

async fn handle(mut client: TcpStream, upstream_port: u16, f: Faults, roll: f64, down: bool, tally: Arc<Tally>) {
    let Some(req) = read_request(&mut client).await else { return };
    if down {
        tally.errors.fetch_add(1, Ordering::Relaxed);
        let body = r#"{"title": "503 Service Unavailable", "description": "down for maintenance"}"#;
        return respond(&mut client, 503, &[("Retry-After", "3600")], body).await;
    }
    let mut edge = f.drop_request;
    if roll < edge {
        tally.dropped_requests.fetch_add(1, Ordering::Relaxed);
        return; // dropped: the client sees the connection close with no answer
    }
    edge += f.error_500;
    if roll < edge {
        tally.errors.fetch_add(1, Ordering::Relaxed);
        return respond(&mut client, 500, &[], r#"{"title": "500 Internal Server Error"}"#).await;
    }
    edge += f.error_503;
    if roll < edge {
        tally.errors.fetch_add(1, Ordering::Relaxed);
        return respond(&mut client, 503, &[("Retry-After", "1")], r#"{"title": "503 Service Unavailable"}"#).await;
    }
    let drop_answer = roll < edge + f.drop_response;
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
        return; // the server is down: the client sees a dropped connection
    };
    if upstream.write_all(&req.to_upstream()).await.is_err() {
        return;
    }
    let mut answer = Vec::new();
    if upstream.read_to_end(&mut answer).await.is_err() {
        return;
    }
    if drop_answer {
        tally.dropped_responses.fetch_add(1, Ordering::Relaxed);
        return;
    }
    tally.passed.fetch_add(1, Ordering::Relaxed);
    let _ = client.write_all(&answer).await;
    let _ = client.shutdown().await;
}
