//! Regression (issue #15): a server that echoes the visitor back — the name
//! it was sent, the address percent-encoded in a URL — must not put either in
//! a staff message or the review reason (they reach logs and the staff panel).

use super::*;
use kiosk_testsupport::scripted::{Reply, ScriptedServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_echoing_the_visitor_back_leaves_no_name_or_address_in_staff_text() {
    let dir = tempfile::tempdir().unwrap();
    let (path, addresses) = store_with(dir.path(), 1, "example.org");
    let address = addresses.first().unwrap().clone();
    let local = address.split('@').next().unwrap().to_string();
    let cases = [
        Reply::json(422, r#"{"error": "Айгерим: see https://list.example/u?e=visitor00000%40example.org"}"#),
        Reply::json(422, r#"{"error": "Dear АЙГЕРИМ, visitor00000%2540example.org is refused"}"#),
        Reply::json(503, r#"{"error": "busy with visitor00000&#64;example.org"}"#),
        Reply::redirect(302, "https://portal.example/welcome/%D0%90%D0%B9%D0%B3%D0%B5%D1%80%D0%B8%D0%BC"),
    ];
    for reply in cases {
        let server = ScriptedServer::start(reply.clone()).await;
        let target = webhook_target(dir.path(), server.url("/signups"), "a shared secret of some length");
        let mut store = SignupStore::open(&path).unwrap();
        store.requeue_review().unwrap();
        let report = worker::drain(&mut store, &target, &quick()).await.unwrap();
        let mut texts = vec![report.message.clone(), store.last_sync().unwrap().unwrap().message];
        texts.extend(store.in_review().unwrap().into_iter().map(|r| r.reason));
        for text in texts {
            for private in ["Айгерим", "АЙГЕРИМ", "%D0%90%D0%B9", local.as_str(), "example.org"] {
                assert!(!text.contains(private), "HTTP {}: `{private}` reached staff text: {text}", reply.status);
            }
        }
    }
}
