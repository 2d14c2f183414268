//! Regression (issue #15): the webhook signature covers a timestamp, so a
//! request captured on the wire cannot be replayed once the receiver's
//! tolerance (five minutes) has passed. Before, the signature covered only the
//! body, and a captured request verified for ever.

use super::*;
use kiosk_testsupport::scripted::{Reply, ScriptedServer, Seen};
use kiosk_testsupport::webhook::{self, Refusal, TOLERANCE_SECS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "a shared secret of some length";

/// Sends a captured request, byte for byte (head and body), to `port`; returns the status and body.
async fn replay(seen: &Seen, port: u16, change: impl Fn(&str) -> String) -> (u16, String) {
    let mut raw = String::new();
    for (i, line) in seen.head.lines().enumerate() {
        let name = line.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
        if i > 0 && (name == "connection" || name == "host") {
            continue;
        }
        raw += &change(line);
        raw += "\r\n";
    }
    raw += &format!("Host: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    stream.write_all(&seen.body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer.split("\r\n\r\n").nth(1).unwrap_or_default().to_string())
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().split('/').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_webhook_request_replayed_later_is_refused() {
    // Capture what the kiosk sends (the capturing end answers 503, so the signup stays).
    let wire = ScriptedServer::start(Reply::json(503, r#"{"error": "busy"}"#)).await;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = store_with(dir.path(), 1, "example.org");
    let target = webhook_target(dir.path(), wire.url("/signups"), SECRET);
    let report = worker::drain(&mut SignupStore::open(&path).unwrap(), &target, &quick()).await.unwrap();
    assert!(!report.ok, "the capture must not deliver: {report:?}");
    let captured = wire.seen().pop().expect("the kiosk sent one request");
    let header = captured.head.lines().find_map(|l| l.strip_prefix("x-kiosk-signature: ")).unwrap_or_default();
    assert!(header.starts_with("t=") && header.contains(",v1="), "Stripe-style t=…,v1=…: {header}");

    // Replayed at once, it is the kiosk's genuine request: the receiver accepts it.
    let now = WebhookReceiver::start(SECRET.as_bytes(), 0.0, 1).await;
    let (status, body) = replay(&captured, port_of(&now.url()), str::to_string).await;
    assert_eq!(status, 200, "a fresh request verifies: {body}");

    // Replayed six minutes later (a receiver whose clock is that far on), it is refused.
    let later = WebhookReceiver::start_with_clock(SECRET.as_bytes(), 0.0, 1, 6 * 60).await;
    let (status, body) = replay(&captured, port_of(&later.url()), str::to_string).await;
    assert_eq!(status, 401, "a replay after the tolerance is refused: {body}");
    assert!(body.contains("outside 5 minutes"), "{body}");
    // Moving `t` up to now does not help whoever cannot sign: `t` is under the signature.
    let t_now = format!("t={}", jiff::Timestamp::now().as_second() + 6 * 60);
    let forged = |l: &str| match l.strip_prefix("x-kiosk-signature: t=") {
        Some(rest) => format!("x-kiosk-signature: {t_now}{}", &rest[rest.find(',').unwrap()..]),
        None => l.to_string(),
    };
    let (status, body) = replay(&captured, port_of(&later.url()), forged).await;
    assert_eq!(status, 401, "a re-dated replay fails the signature: {body}");
    let got = later.received.lock().unwrap();
    assert!(got.accepted.is_empty(), "nothing replayed was taken");
    assert_eq!((got.stale, got.bad_signatures), (1, 1));
    drop(got);

    // The receiver's check at its edges.
    let t: i64 = header[2..header.find(',').unwrap()].parse().unwrap();
    let body = &captured.body;
    assert_eq!(webhook::verify(SECRET.as_bytes(), header, body, t + TOLERANCE_SECS), Ok(()));
    assert_eq!(webhook::verify(SECRET.as_bytes(), header, body, t - TOLERANCE_SECS), Ok(()));
    assert_eq!(webhook::verify(SECRET.as_bytes(), header, body, t + TOLERANCE_SECS + 1), Err(Refusal::Stale));
    assert_eq!(webhook::verify(b"another secret entirely", header, body, t), Err(Refusal::BadSignature));
    let mut changed = body.clone();
    changed[10] ^= 1;
    assert_eq!(webhook::verify(SECRET.as_bytes(), header, &changed, t), Err(Refusal::BadSignature));
    assert_eq!(webhook::verify(SECRET.as_bytes(), "sha256=00", body, t), Err(Refusal::Malformed));
}

/// A retry is a new request, signed now: two attempts at the same signup
/// carry the same body and `Idempotency-Key` but each its own `t`, and each
/// verifies at its own time — a retry after the tolerance is not refused as
/// stale, and the first attempt's signature cannot stand in for a later one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_retry_is_signed_with_a_fresh_timestamp() {
    let wire = ScriptedServer::start(Reply::json(503, r#"{"error": "busy"}"#)).await;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = store_with(dir.path(), 1, "example.org");
    let target = webhook_target(dir.path(), wire.url("/signups"), SECRET);
    let mut store = SignupStore::open(&path).unwrap();
    let signed = |seen: &Seen| -> (String, i64, String) {
        let line =
            |name: &str| seen.head.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_default().trim().to_string();
        let header = line("x-kiosk-signature:");
        let t = header.strip_prefix("t=").and_then(|r| r.split(',').next()).unwrap().parse().unwrap();
        (header, t, line("idempotency-key:"))
    };

    assert!(!worker::drain(&mut store, &target, &quick()).await.unwrap().ok);
    let first = wire.seen().pop().unwrap();
    let (header1, t1, key1) = signed(&first);
    // The retry comes at least one second (the unit of `t`) later.
    while jiff::Timestamp::now().as_second() <= t1 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!worker::drain(&mut store, &target, &quick()).await.unwrap().ok);
    let seen = wire.seen();
    assert_eq!(seen.len(), 2, "two attempts of one signup");
    let second = &seen[1];
    let (header2, t2, key2) = signed(second);

    assert_eq!(second.body, first.body, "the same signup, byte for byte");
    assert!(!key1.is_empty() && key1 == key2, "the same Idempotency-Key, so the receiver keeps one: {key1} {key2}");
    assert!(t2 > t1, "the retry carries a fresh t: {header1} then {header2}");
    assert_ne!(header1, header2);
    let secret = SECRET.as_bytes();
    assert_eq!(webhook::verify(secret, &header1, &first.body, t1), Ok(()), "the first attempt verifies");
    assert_eq!(webhook::verify(secret, &header2, &second.body, t2), Ok(()), "so does the retry");
    // When the first attempt has gone stale, the retry still verifies.
    let later = t1 + TOLERANCE_SECS + 1;
    assert_eq!(webhook::verify(secret, &header1, &first.body, later), Err(Refusal::Stale));
    assert_eq!(webhook::verify(secret, &header2, &second.body, later), Ok(()));
}
