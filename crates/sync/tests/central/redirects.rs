//! Regression (issue #15): the central list's URL answering a redirect, or
//! something in front of it answering 2xx in its place, must never count as
//! delivered. Before, the client followed redirects — a 301/302/303 became a
//! GET without the signup, a login page answered 200, and the kiosk deleted
//! signups the list never got.
//!
//! Every case ends with each signup still pending (lost: 0; none reached a
//! list, so duplicated: 0), and staff told where the list went.

use super::*;
use kiosk_testsupport::scripted::{RedirectingFront, Reply, ScriptedServer};

const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];

#[derive(Clone, Copy, Debug)]
enum Kind {
    Mailman,
    Webhook,
}

fn target(kind: Kind, dir: &Path, url: String) -> Target {
    match kind {
        Kind::Mailman => mailman_target(dir, url, "visitors.embassy.example", true),
        Kind::Webhook => webhook_target(dir, url, "a shared secret of some length"),
    }
}

/// One round against `url`; asserts that nothing was counted delivered and
/// every signup is still pending; returns the staff message.
async fn one_round_keeps_everything(kind: Kind, url: String, n: usize, what: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = store_with(dir.path(), n, "example.org");
    let target = target(kind, dir.path(), url);
    let mut store = SignupStore::open(&path).unwrap();
    let report = worker::drain(&mut store, &target, &quick()).await.unwrap();
    let counts = store.counts().unwrap();
    assert_eq!(
        counts,
        Counts { pending: n as u64, review: 0, delivered: 0 },
        "{kind:?}, {what}: no signup may be counted delivered or dropped (report: {report:?})"
    );
    assert!(!report.ok, "{kind:?}, {what}: the round must stop as a setup problem: {report:?}");
    let last = store.last_sync().unwrap().expect("the round is recorded for staff");
    assert_eq!(last.message, report.message, "staff see the same message in the panel");
    assert!(!last.message.contains('@'), "no address in a staff message: {}", last.message);
    report.message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_or_a_stand_in_answering_2xx_keeps_every_signup_pending() {
    // What a followed redirect would reach: a login page answering 200 to anything.
    let login = ScriptedServer::start(Reply::login_page(200)).await;
    let location = login.url("/sso/login?next=%2Fsignups&email=visitor00000%40example.org");
    let shown = format!("{}?…", login.url("/sso/login"));
    let (mut cases, mut signups) = (0, 0);
    for kind in [Kind::Mailman, Kind::Webhook] {
        for status in REDIRECTS {
            let moved = ScriptedServer::start(Reply::redirect(status, &location)).await;
            let url = match kind {
                Kind::Mailman => moved.url("/3.1/"),
                Kind::Webhook => moved.url("/signups"),
            };
            let message = one_round_keeps_everything(kind, url, 3, &format!("HTTP {status}")).await;
            assert!(
                message.contains(&format!("the central list moved to {shown}; update url")),
                "{kind:?} {status}: staff are told where the list went: {message}"
            );
            let seen = moved.seen();
            assert!(!seen.is_empty() && seen.iter().all(|r| r.method() == "POST"), "{kind:?} {status}: {seen:?}");
            cases += 1;
            signups += 3;
        }
    }
    assert!(login.seen().is_empty(), "no redirect may be followed: {:?}", login.seen());

    // 2xx from something that is not the target.
    let stand_ins = [
        (Kind::Mailman, Reply::login_page(200), "login page"),
        (Kind::Mailman, Reply::json(200, r#"{"entries": []}"#), "proxy or a login page"),
        (Kind::Mailman, Reply::json(204, ""), "HTTP 204"),
        (Kind::Webhook, Reply::login_page(200), "login page or portal"),
        (Kind::Webhook, Reply::json(203, "{}"), "HTTP 203"),
        // A login page is no "already there" and no Mailman success either.
        (Kind::Webhook, Reply::login_page(409), "web page"),
        (Kind::Mailman, Reply::login_page(409), "web page"),
        (Kind::Mailman, Reply::login_page(201), "web page"),
        (Kind::Mailman, Reply::login_page(202), "web page"),
    ];
    for (kind, reply, words) in stand_ins {
        let what = format!("HTTP {} {}", reply.status, reply.content_type);
        let server = ScriptedServer::start(reply).await;
        let message = one_round_keeps_everything(kind, server.url("/3.1/"), 3, &what).await;
        assert!(message.contains(words), "{kind:?} {what}: staff are told why: {message}");
        cases += 1;
        signups += 3;
    }
    eprintln!("redirect and stand-in matrix: {cases} cases, {signups} signups tried, lost 0, duplicated 0");
}

/// The same-origin case, in front of a real Mailman: the REST root moved on
/// the same web server. A client that follows keeps its credentials, and a
/// followed 301/302/303 is `GET /3.1/members` — which Mailman answers 200 with
/// its roster. Nothing may reach Mailman until staff fix the URL; then every
/// signup arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_mailman_gets_nothing_by_get_and_every_signup_arrives_once_the_url_is_fixed() {
    let server = Mailman::start().await;
    let list = server.create_list("moved").await;
    let dir = tempfile::tempdir().unwrap();
    let (path, confirmed) = store_with(dir.path(), 5, "example.org");
    for status in REDIRECTS {
        let front = RedirectingFront::start(server.rest_port(), "/old", status).await;
        let target = mailman_target(dir.path(), front.url("/old/3.1/"), &list, true);
        let mut store = SignupStore::open(&path).unwrap();
        let report = worker::drain(&mut store, &target, &quick()).await.unwrap();
        assert_eq!(
            store.counts().unwrap(),
            Counts { pending: 5, review: 0, delivered: 0 },
            "HTTP {status}: every signup stays pending ({report:?})"
        );
        assert!(
            report.message.contains(&format!("the central list moved to {}", front.url("/3.1/members"))),
            "HTTP {status}: staff see the new place: {}",
            report.message
        );
        assert!(front.forwarded().is_empty(), "HTTP {status}: nothing may reach Mailman: {:?}", front.forwarded());
    }
    assert!(server.members(&list).await.is_empty(), "no redirect subscribed anyone");
    assert!(server.pending_confirmations(&list).await.is_empty());

    // Staff update the URL: the kept signups arrive, each once.
    let front = RedirectingFront::start(server.rest_port(), "/old", 301).await;
    let target = mailman_target(dir.path(), front.url("/3.1/"), &list, true);
    let counts = drain_fully(&path, target, quick(), Duration::from_secs(60)).await;
    assert_eq!(counts, Counts { pending: 0, review: 0, delivered: 5 });
    let members: BTreeSet<String> = server.members(&list).await.into_iter().collect();
    assert_eq!(members, confirmed, "the roster is exactly the signups that waited");
    assert!(front.forwarded().iter().all(|r| r.method() == "POST"), "the kiosk only ever POSTs");
    eprintln!("redirects in front of Mailman: 5 cases, 25 signup attempts, lost 0, duplicated 0");
}

/// Regression (issue #15 review): a receiver answering a word as `text/html`
/// — Flask's `return "ok"`, Express's `res.send("ok")`, PHP's `echo "ok"` —
/// is the receiver: every signup is delivered, none halts the round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_ok_as_text_html_gets_every_signup() {
    for (status, body) in [(200, "ok"), (201, "Created"), (200, "OK\n")] {
        let reply =
            Reply { status, content_type: "text/html; charset=utf-8".into(), headers: vec![], body: body.into() };
        let server = ScriptedServer::start(reply).await;
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = store_with(dir.path(), 4, "example.org");
        let target = webhook_target(dir.path(), server.url("/signups"), "a shared secret of some length");
        let mut store = SignupStore::open(&path).unwrap();
        let report = worker::drain(&mut store, &target, &quick()).await.unwrap();
        assert!(report.ok, "HTTP {status} text/html {body:?}: {report:?}");
        assert_eq!(store.counts().unwrap(), Counts { pending: 0, review: 0, delivered: 4 }, "HTTP {status} {body:?}");
        assert_eq!(server.seen().len(), 4, "one request per signup");
    }
}
