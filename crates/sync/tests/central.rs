//! The sync worker against real peers: a GNU Mailman 3 started on loopback
//! for each test (with a fault proxy in front where the test says so), and a
//! webhook receiver that checks the signature contract.
//!
//! Each test ends by comparing the central list with the set of confirmed
//! signups, exactly: nothing lost, nothing twice, and nothing left on the kiosk.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiosk_config::{SyncConfig, SyncTarget};
use kiosk_signups::email::validate;
use kiosk_signups::store::{Counts, NewSignup, SignupStore};
use kiosk_sync::backoff::Backoff;
use kiosk_sync::target::Target;
use kiosk_sync::worker::{self, Options, Trigger};
use kiosk_testsupport::mailman::{self, Mailman};
use kiosk_testsupport::proxy::{FaultProxy, Faults};
use kiosk_testsupport::webhook::WebhookReceiver;

#[path = "central/echo.rs"]
mod echo;
#[path = "central/purge.rs"]
mod purge;
#[path = "central/redirects.rs"]
mod redirects;
#[path = "central/replay.rs"]
mod replay;
#[path = "central/shared_client.rs"]
mod shared_client;

/// Fills a fresh store with `n` confirmed signups; returns its path and the ASCII addresses.
fn store_with(dir: &Path, n: usize, domain: &str) -> (PathBuf, BTreeSet<String>) {
    let path = dir.join("signups.sqlite");
    let mut store = SignupStore::open(&path).unwrap();
    let mut set = BTreeSet::new();
    for i in 0..n {
        let email = validate(&format!("visitor{i:05}@{domain}")).unwrap();
        store
            .add(&NewSignup {
                email: &email,
                name: Some(if i % 3 == 0 { "Айгерим" } else { "" }),
                lang: "kk",
                consent_version: 1,
                consent_text: "I agree to receive the embassy's newsletter.",
                kiosk_id: "lobby-1",
                at: jiff::Timestamp::now(),
            })
            .unwrap();
        set.insert(email.ascii);
    }
    (path, set)
}

fn secret_file(dir: &Path, content: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("list.secret");
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn mailman_target(dir: &Path, url: String, list_id: &str, pre_confirmed: bool) -> Target {
    let credentials_file = secret_file(dir, &format!("{}:{}\n", mailman::REST_USER, mailman::REST_PASS));
    Target::from_config(
        &SyncConfig {
            target: SyncTarget::Mailman,
            url,
            list_id: Some(list_id.into()),
            credentials_file,
            pre_confirmed,
            interval_secs: 3600,
            batch: 50,
            parallel: 4,
            timeout_secs: 10,
            max_backoff_secs: 2,
        },
        kiosk_http::Shared::new(),
    )
    .unwrap()
}

fn webhook_target(dir: &Path, url: String, secret: &str) -> Target {
    Target::from_config(
        &SyncConfig {
            target: SyncTarget::Webhook,
            url,
            list_id: None,
            credentials_file: secret_file(dir, secret),
            pre_confirmed: false,
            interval_secs: 3600,
            batch: 50,
            parallel: 4,
            timeout_secs: 10,
            max_backoff_secs: 2,
        },
        kiosk_http::Shared::new(),
    )
    .unwrap()
}

/// Fast retries: the tests are about correctness, not patience.
fn quick() -> Options {
    Options {
        batch: 50,
        parallel: 4,
        interval: Duration::from_secs(3600),
        backoff: Backoff { base: Duration::from_millis(50), cap: Duration::from_millis(500) },
        purge_retry: Duration::from_millis(200),
    }
}

/// Runs the worker until the outbox is empty (or `limit` passes); returns the final counts.
async fn drain_fully(path: &Path, target: Target, opts: Options, limit: Duration) -> Counts {
    let mut handle = worker::spawn(path.to_path_buf(), target, opts, |line| eprintln!("{line}")).unwrap();
    let deadline = Instant::now() + limit;
    loop {
        let report = tokio::time::timeout(limit, handle.next_report()).await.expect("a round ends").unwrap();
        let counts = SignupStore::open(path).unwrap().counts().unwrap();
        if counts.pending == 0 {
            return counts;
        }
        assert!(Instant::now() < deadline, "outbox not drained in {limit:?}: {counts:?}, last round: {report:?}");
        if report.ok {
            handle.trigger(Trigger::Now);
        }
    }
}

/// The store files hold none of the delivered addresses any more.
fn assert_no_trace(path: &Path, addresses: &BTreeSet<String>) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend(std::fs::read(path.with_extension("sqlite-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&bytes);
    let left: Vec<_> = addresses.iter().filter(|a| text.contains(a.as_str())).take(3).collect();
    assert!(left.is_empty(), "delivered signups must leave no copy on the kiosk's disk, found {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_signups_become_exactly_a_thousand_members() {
    let server = Mailman::start().await;
    let list = server.create_list("visitors").await;
    let dir = tempfile::tempdir().unwrap();
    let (path, confirmed) = store_with(dir.path(), 1000, "example.org");
    let target = mailman_target(dir.path(), server.rest_root(), &list, true);

    let counts = drain_fully(&path, target, quick(), Duration::from_secs(600)).await;

    let members: BTreeSet<String> = server.members(&list).await.into_iter().collect();
    assert_eq!(members.len(), 1000, "the roster holds each confirmed signup once");
    assert_eq!(members, confirmed, "the roster is exactly the confirmed set");
    assert_eq!(counts, Counts { pending: 0, review: 0, delivered: 1000 });
    assert_no_trace(&path, &confirmed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_opt_in_mails_a_confirmation_and_a_banned_address_goes_to_review() {
    let server = Mailman::start().await;
    let list = server.create_list("newsletter").await;
    let dir = tempfile::tempdir().unwrap();
    let (path, mut confirmed) = store_with(dir.path(), 12, "example.net");
    // The list bans one address: that signup must reach review, not vanish.
    let banned = confirmed.pop_last().unwrap();
    let http = reqwest::Client::new();
    let ban = http
        .post(format!("{}lists/{list}/bans", server.rest_root()))
        .basic_auth(mailman::REST_USER, Some(mailman::REST_PASS))
        .form(&[("email", banned.as_str())])
        .send()
        .await
        .unwrap();
    assert!(ban.status().is_success(), "ban: {}", ban.status());
    let target = mailman_target(dir.path(), server.rest_root(), &list, false);

    let counts = drain_fully(&path, target, quick(), Duration::from_secs(120)).await;

    assert_eq!(counts, Counts { pending: 0, review: 1, delivered: 11 }, "refused for good is kept for staff");
    let store = SignupStore::open(&path).unwrap();
    let review = store.in_review().unwrap();
    assert_eq!(review[0].signup.email_ascii, banned);
    assert!(review[0].reason.contains("banned"), "staff see why: {}", review[0].reason);
    assert!(!store.last_sync().unwrap().unwrap().message.contains('@'), "no address in the staff message");

    assert!(server.members(&list).await.is_empty(), "double opt-in: nobody is a member before confirming");
    let waiting: BTreeSet<String> = server.pending_confirmations(&list).await.into_iter().collect();
    assert_eq!(waiting, confirmed, "each signup waits for its visitor's confirmation");
    // Mailman mails each visitor; aiosmtpd catches the mail.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mailed: BTreeSet<String> = server.confirmation_requests().into_iter().collect();
        if mailed == confirmed {
            break;
        }
        assert!(Instant::now() < deadline, "confirmation mails: {} of {}", mailed.len(), confirmed.len());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_network_and_a_mailman_restart_lose_nothing_and_duplicate_nothing() {
    let server = Mailman::start().await;
    let list = server.create_list("lobby").await;
    let faults = Faults { drop_request: 0.1, drop_response: 0.15, error_500: 0.05, error_503: 0.05 };
    let proxy = FaultProxy::start(server.rest_port(), faults, 7).await;
    let dir = tempfile::tempdir().unwrap();
    let (path, confirmed) = store_with(dir.path(), 300, "example.com");
    let url = format!("http://127.0.0.1:{}/3.1/", proxy.port());
    let target = mailman_target(dir.path(), url, &list, true);

    let drained = tokio::spawn({
        let path = path.clone();
        async move { drain_fully(&path, target, quick(), Duration::from_secs(600)).await }
    });
    // Mid-sync, Mailman goes away and comes back.
    let deadline = Instant::now() + Duration::from_secs(300);
    while SignupStore::open(&path).unwrap().counts().unwrap().delivered < 60 {
        assert!(Instant::now() < deadline, "sync made no progress");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop();
    let during = SignupStore::open(&path).unwrap().counts().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.restart().await;
    let counts = drained.await.unwrap();

    eprintln!("{}; stopped with {during:?}", proxy.summary());
    assert!(during.pending > 0, "Mailman must stop mid-sync for this test to mean anything");
    assert!(
        proxy.tally.dropped_responses.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "some answers must be lost after Mailman acted, or exactly-once was not tested"
    );
    let members = server.members(&list).await;
    let unique: BTreeSet<String> = members.iter().cloned().collect();
    assert_eq!(members.len(), unique.len(), "no address is on the roster twice");
    assert_eq!(unique, confirmed, "the roster ends exactly equal to the confirmed set");
    assert_eq!(counts, Counts { pending: 0, review: 0, delivered: 300 }, "every local copy is gone");
    assert_no_trace(&path, &confirmed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_gets_signed_requests_and_retries_carry_the_same_key() {
    let secret = "a shared secret of some length";
    let receiver = WebhookReceiver::start(secret.as_bytes(), 0.3, 11).await;
    let dir = tempfile::tempdir().unwrap();
    let (path, confirmed) = store_with(dir.path(), 200, "example.org");
    let refused = {
        let mut store = SignupStore::open(&path).unwrap();
        let email = validate("someone@rejected.example").unwrap();
        store
            .add(&NewSignup {
                email: &email,
                name: None,
                lang: "en",
                consent_version: 1,
                consent_text: "I agree.",
                kiosk_id: "lobby-1",
                at: jiff::Timestamp::now(),
            })
            .unwrap();
        email.ascii
    };
    let config = |file: PathBuf| SyncConfig {
        target: SyncTarget::Webhook,
        url: receiver.url(),
        list_id: None,
        credentials_file: file,
        pre_confirmed: false,
        interval_secs: 3600,
        batch: 25,
        parallel: 4,
        timeout_secs: 5,
        max_backoff_secs: 1,
    };

    // A wrong secret: the receiver answers 401, the kiosk stops and keeps everything.
    let wrong = Target::from_config(
        &config(secret_file(dir.path(), "not the secret the receiver has")),
        kiosk_http::Shared::new(),
    )
    .unwrap();
    let mut store = SignupStore::open(&path).unwrap();
    let report = worker::drain(&mut store, &wrong, &quick()).await.unwrap();
    assert!(!report.ok && report.message.contains("credentials"), "staff are told: {}", report.message);
    assert_eq!(store.counts().unwrap().pending, 201, "a credentials problem keeps every signup pending");
    drop(store);

    let right = Target::from_config(&config(secret_file(dir.path(), secret)), kiosk_http::Shared::new()).unwrap();
    let counts = drain_fully(&path, right, quick(), Duration::from_secs(120)).await;

    assert_eq!(counts, Counts { pending: 0, review: 1, delivered: 200 });
    let got = receiver.received.lock().unwrap();
    let emails: BTreeSet<String> = got.accepted.values().map(|b| b["email"].as_str().unwrap().to_string()).collect();
    assert_eq!(emails, confirmed, "the receiver accepted exactly the confirmed set");
    assert_eq!(got.accepted.len(), 200, "one entry per idempotency key");
    assert_eq!(got.changed_bodies, 0, "a retried request carries the same key and the same body");
    assert!(got.attempts.values().any(|&n| n > 1), "the flaky receiver must have caused retries");
    assert!(got.accepted.keys().all(|k| got.attempts[k] >= 1));
    assert!(!emails.contains(&refused));
    let sample = got.accepted.values().next().unwrap();
    for field in ["id", "email", "email_as_typed", "name", "language", "consent", "kiosk_id", "signed_up_at"] {
        assert!(sample.get(field).is_some(), "the payload carries `{field}` as docs/operations.md documents");
    }
}

/// Issue #20 (the fleet's backlog drain): a list that answers "too many
/// requests" gets no more of the round than was already in flight. Each of a
/// thousand kiosks sending its whole batch into the 429s kept the list
/// flooded (27–40 requests per signup in the fleet bench).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_list_gets_no_more_of_the_round_than_was_in_flight() {
    let secret = "a shared secret of some length";
    // A cap of 0 a second: every request is answered 429 with Retry-After.
    let receiver = WebhookReceiver::start_capped(secret.as_bytes(), 0).await;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = store_with(dir.path(), 50, "example.org");
    let target = webhook_target(dir.path(), receiver.url(), secret);
    let mut store = SignupStore::open(&path).unwrap();
    let opts = quick();
    let report = worker::drain(&mut store, &target, &opts).await.unwrap();
    assert!(!report.ok && report.retry_after.is_some(), "the round stops, told to wait: {report:?}");
    let sent: u32 = receiver.received.lock().unwrap().attempts.values().sum();
    assert!(
        sent as usize <= opts.parallel,
        "{sent} requests into a list answering 429 (at most {} were in flight)",
        opts.parallel
    );
    assert_eq!(store.counts().unwrap().pending, 50, "nothing is lost: all 50 still wait");
}

/// Issue #20 (review of the fleet's drain): a list that is down answers 503
/// without a `Retry-After` (as the webhook receiver's outage and nginx in
/// front of a stopped Mailman do). Each round sent it the whole batch — 10 000
/// refusals from 50 kiosks in the fleet bench's outage — where what was in
/// flight says enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_is_down_gets_no_more_of_the_round_than_was_in_flight() {
    let secret = "a shared secret of some length";
    let receiver = WebhookReceiver::start(secret.as_bytes(), 0.0, 1).await;
    receiver.outage.store(true, std::sync::atomic::Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = store_with(dir.path(), 50, "example.org");
    let target = webhook_target(dir.path(), receiver.url(), secret);
    let mut store = SignupStore::open(&path).unwrap();
    let opts = quick();
    let report = worker::drain(&mut store, &target, &opts).await.unwrap();
    assert!(!report.ok && report.retry_after.is_none(), "the round stops, the list down: {report:?}");
    let refused = receiver.received.lock().unwrap().unavailable;
    // The second "down" answer stops it; the first one's freed slot may have sent one more.
    assert!(
        refused as usize <= opts.parallel + 1,
        "{refused} requests into a list that is down (at most {} were in flight)",
        opts.parallel + 1
    );
    assert_eq!(store.counts().unwrap().pending, 50, "nothing is lost: all 50 still wait");
}

/// Review of the above: a receiver that fails on one payload every time (its
/// gateway answers 502 for the exception, as API gateways, PHP-FPM and uWSGI
/// do) is not a list that is down. That signup is the oldest, so it is in
/// every round's first requests: had one such answer ended the round, no
/// signup behind it would ever be sent at `parallel = 1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_payload_the_receiver_fails_on_does_not_hold_back_the_rest() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/signups", listener.local_addr().unwrap().port());
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                while let Some(req) = kiosk_testsupport::http::read_request(&mut stream).await {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let poison = String::from_utf8_lossy(&req.body).contains("visitor00000@");
                    let (status, body) = if poison { (502, "Bad Gateway") } else { (200, "ok") };
                    kiosk_testsupport::http::respond_as(&mut stream, status, "text/plain", &[], body).await;
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = store_with(dir.path(), 10, "example.org");
    let target = webhook_target(dir.path(), url, "a shared secret of some length");
    let mut store = SignupStore::open(&path).unwrap();
    let opts = Options { parallel: 1, ..quick() };
    let report = worker::drain(&mut store, &target, &opts).await.unwrap();
    assert_eq!(report.delivered, 9, "the nine behind the poisoned one go in the same round: {report:?}");
    assert_eq!(store.counts().unwrap().pending, 1, "the one the receiver fails on waits for the next round");
    assert_eq!(seen.load(Ordering::SeqCst), 10);
}
