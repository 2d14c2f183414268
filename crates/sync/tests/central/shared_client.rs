//! Issue #16 item 4: the sync sends with the client it is given — the
//! process's one, shared with the update poller and the heartbeat — not a
//! client of its own (each costs tens of milliseconds of TLS set-up and a
//! connection pool of its own).

use std::sync::{Arc, Mutex};

use super::*;
use kiosk_testsupport::http::{read_request, respond};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_sends_with_the_client_it_was_given() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let Some(req) = read_request(&mut stream).await else { continue };
            log.lock().unwrap().push(req.header("x-kiosk-client").map(str::to_string));
            respond(&mut stream, 200, &[], "{}").await;
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = store_with(dir.path(), 3, "example.org");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-kiosk-client", "the-shared-one".parse().unwrap());
    let given = reqwest::Client::builder().default_headers(headers).build().unwrap();
    let config = SyncConfig {
        target: SyncTarget::Webhook,
        url,
        list_id: None,
        credentials_file: secret_file(dir.path(), "a shared secret of some length"),
        pre_confirmed: false,
        interval_secs: 3600,
        batch: 50,
        parallel: 4,
        timeout_secs: 10,
        max_backoff_secs: 2,
    };
    let target = Target::from_config(&config, kiosk_http::Shared::with(given)).unwrap();
    let mut store = SignupStore::open(&path).unwrap();
    worker::drain(&mut store, &target, &quick()).await.unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(seen.len(), 3, "one request a signup: {seen:?}");
    assert!(seen.iter().all(|h| h.as_deref() == Some("the-shared-one")), "every request on the given client: {seen:?}");
}
