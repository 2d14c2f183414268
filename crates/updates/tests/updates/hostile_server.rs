//! Issue #15 item 9: the HTTPS poller against update servers that trickle,
//! never end, or hold a download — real loopback servers, counting what they sent.

use std::path::Path;

use kiosk_updates::sign::sign;
use kiosk_updates::store::Outcome;

use super::{Key, build, installed_v10, key, policy, sign_as};

/// How a [`HostileServer`] answers a path.
#[derive(Clone)]
enum Answer {
    /// A file's bytes, whole.
    Whole(Vec<u8>),
    /// `Content-Length: n`, then one byte every 50 ms.
    Trickle(u64),
    /// A body with no length that never ends (stopped at 256 MiB).
    Endless,
    /// `302 Found` to this location.
    Redirect(&'static str),
}

/// A loopback HTTP server that answers each path as told and counts what it sent.
struct HostileServer {
    port: u16,
    /// Body bytes written, all connections.
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Paths asked for, in order.
    asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Connections that wrote their whole body (the client waited for all of it).
    finished: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Connections still being served.
    serving: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl HostileServer {
    fn start(runtime: &tokio::runtime::Runtime, routes: Vec<(&'static str, Answer)>) -> HostileServer {
        use std::sync::atomic::Ordering::SeqCst;
        use tokio::io::AsyncWriteExt;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HostileServer {
            port,
            sent: Default::default(),
            asked: Default::default(),
            finished: Default::default(),
            serving: Default::default(),
        };
        let (sent, asked, finished, serving) =
            (server.sent.clone(), server.asked.clone(), server.finished.clone(), server.serving.clone());
        runtime.spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let (sent, asked, finished, serving, routes) =
                    (sent.clone(), asked.clone(), finished.clone(), serving.clone(), routes.clone());
                tokio::spawn(async move {
                    let Some(req) = kiosk_testsupport::http::read_request(&mut stream).await else { return };
                    let path = req.line().split(' ').nth(1).unwrap_or_default().to_string();
                    asked.lock().unwrap().push(path.clone());
                    let Some((_, answer)) = routes.iter().find(|(p, _)| *p == path) else {
                        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").await;
                        return;
                    };
                    serving.fetch_add(1, SeqCst);
                    let done = match answer {
                        Answer::Whole(bytes) => {
                            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", bytes.len());
                            let ok = stream.write_all(head.as_bytes()).await.is_ok()
                                && stream.write_all(bytes).await.is_ok();
                            sent.fetch_add(bytes.len() as u64, SeqCst);
                            ok
                        }
                        Answer::Trickle(n) => {
                            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n");
                            let mut ok = stream.write_all(head.as_bytes()).await.is_ok();
                            for _ in 0..*n {
                                if !ok {
                                    break;
                                }
                                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                                ok = stream.write_all(b" ").await.is_ok() && stream.flush().await.is_ok();
                                if ok {
                                    sent.fetch_add(1, SeqCst);
                                }
                            }
                            ok
                        }
                        Answer::Redirect(to) => {
                            let head = format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n");
                            stream.write_all(head.as_bytes()).await.is_ok()
                        }
                        Answer::Endless => {
                            let mut ok =
                                stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").await.is_ok();
                            let chunk = vec![b' '; 64 * 1024];
                            let mut n = 0u64;
                            while ok && n < 256 << 20 {
                                ok = stream.write_all(&chunk).await.is_ok();
                                if ok {
                                    n += chunk.len() as u64;
                                    sent.fetch_add(chunk.len() as u64, SeqCst);
                                }
                            }
                            ok
                        }
                    };
                    if done {
                        finished.fetch_add(1, SeqCst);
                    }
                    serving.fetch_sub(1, SeqCst);
                });
            }
        });
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Waits (for an event, not a time) until `cond` holds; gives up after a minute.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !cond() {
        assert!(std::time::Instant::now() < end, "waited a minute for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A signed manifest for `bundle` as `version`: (manifest, its .minisig, the bundle's .minisig).
fn signed_manifest(key: &Key, bundle: &Path, version: u64, name: &str) -> (Vec<u8>, Vec<u8>) {
    use kiosk_updates::remote::{Manifest, manifest_comment};
    let manifest = Manifest {
        version,
        channel: "stable".into(),
        size: std::fs::metadata(bundle).unwrap().len(),
        sha256: kiosk_updates::accept::sha256_file(bundle).unwrap(),
        bundle: name.into(),
        rollout_percent: 100,
    };
    let body = serde_json::to_vec(&manifest).unwrap();
    let sig = sign(&key.secret, None, &body[..], &manifest_comment(version, "stable")).unwrap();
    (body, sig.into_bytes())
}

/// Issue #15 item 9: each request has an overall deadline, so a server
/// trickling a byte at a time (never silent long enough for a read timeout)
/// is cut off at it.
#[test]
fn a_trickling_update_server_is_cut_off_at_the_deadline() {
    use kiosk_updates::remote::{Remote, RemoteError};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    // 600 bytes at one per 50 ms: 30 s for the whole manifest.
    let server = HostileServer::start(&runtime, vec![("/manifest.json", Answer::Trickle(600))]);
    let mut remote =
        Remote::new(&server.url("/manifest.json"), &dir.path().join("downloads"), kiosk_http::Shared::new())
            .unwrap()
            .with_deadlines(std::time::Duration::from_secs(1), std::time::Duration::from_secs(1));
    let err = runtime.block_on(remote.poll(&policy(&k), 0)).unwrap_err();
    assert!(
        matches!(err, RemoteError::Fetch(_)) && err.to_string().contains("timed out"),
        "cut at the deadline: {err}"
    );
    wait_for("the server to notice the client left", || server.serving.load(std::sync::atomic::Ordering::SeqCst) == 0);
    assert_eq!(server.finished.load(std::sync::atomic::Ordering::SeqCst), 0, "the kiosk hung up before the end");
    assert!(server.sent() < 600, "only part of the trickle was read: {} bytes", server.sent());
}

/// Issue #15 item 9: the manifest and its signature are read at most up to
/// their cap, chunk by chunk; an endless body is dropped at the cap, not read
/// whole first.
#[test]
fn an_endless_manifest_or_signature_is_cut_at_the_cap() {
    use kiosk_updates::remote::{Remote, RemoteError};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    let (manifest, _) = signed_manifest(&k, &b, 11, "b11.kbundle");
    let server = HostileServer::start(
        &runtime,
        vec![
            ("/endless/manifest.json", Answer::Endless),
            ("/sig/manifest.json", Answer::Whole(manifest)),
            ("/sig/manifest.json.minisig", Answer::Endless),
        ],
    );
    for (case, path) in [("the manifest", "/endless/manifest.json"), ("its signature", "/sig/manifest.json")] {
        let before = server.sent();
        let mut remote =
            Remote::new(&server.url(path), &dir.path().join("downloads"), kiosk_http::Shared::new()).unwrap();
        let err = runtime.block_on(remote.poll(&policy(&k), 10)).unwrap_err();
        assert!(matches!(err, RemoteError::Refused(_)) && err.to_string().contains("larger than"), "{case}: {err}");
        wait_for("the server to stop sending", || server.serving.load(std::sync::atomic::Ordering::SeqCst) == 0);
        // What the server got out before its writes failed: the cap plus what the
        // sockets' buffers held — far from the 256 MiB it would have sent.
        let sent = server.sent() - before;
        assert!(sent < 16 << 20, "{case}: the kiosk stopped reading at the cap, the server sent only {sent} bytes");
    }
    assert_eq!(server.finished.load(std::sync::atomic::Ordering::SeqCst), 1, "only the good manifest was read whole");
}

/// Issue #15 item 9: the HTTPS poller runs on a thread of its own and holds
/// no lock while it downloads: stuck on a server that trickles the bundle, it
/// holds up neither an inbox bundle's install nor a rollback.
#[test]
fn an_inbox_bundle_installs_and_a_rollback_runs_while_the_https_poller_is_stuck() {
    use kiosk_updates::inbox::Inbox;
    use kiosk_updates::poller::{PollReport, Poller};
    use kiosk_updates::remote::Remote;
    use std::sync::atomic::Ordering::SeqCst;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let remote_bundle = build(dir.path(), "b12.kbundle", 12, "stable");
    sign_as(&k, &remote_bundle, 12, "stable");
    let (manifest, manifest_sig) = signed_manifest(&k, &remote_bundle, 12, "b12.kbundle");
    let server = HostileServer::start(
        &runtime,
        vec![
            ("/manifest.json", Answer::Whole(manifest)),
            ("/manifest.json.minisig", Answer::Whole(manifest_sig)),
            // The bundle's size, a byte every 50 ms: hours.
            ("/b12.kbundle", Answer::Trickle(std::fs::metadata(&remote_bundle).unwrap().len())),
        ],
    );
    let reports = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = reports.clone();
    let poller = Poller {
        remote: Remote::new(&server.url("/manifest.json"), &store.dir().join("downloads"), kiosk_http::Shared::new())
            .unwrap(),
        url: server.url("/manifest.json"),
        every: std::time::Duration::from_secs(3600),
        store: store.clone(),
        policy: policy(&k),
        floor: 0,
        jitter: kiosk_updates::poller::Jitter::none(),
    };
    let (thread, stop) = poller
        .spawn(std::time::Instant::now(), move |r: &PollReport| heard.lock().unwrap().push(format!("{r:?}")))
        .unwrap();
    wait_for("the poller to start downloading the bundle", || {
        server.asked.lock().unwrap().iter().any(|p| p == "/b12.kbundle") && server.sent() > 0
    });

    // Meanwhile a bundle arrives in the inbox: it is installed, now. (On a
    // thread, so that an install waiting on the poller fails this test rather than hanging it.)
    let inbox_dir = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox_dir).unwrap();
    let b = build(&inbox_dir, "v11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let staff = {
        let (store, policy, done) = (store.clone(), policy(&k), done.clone());
        std::thread::spawn(move || {
            let mut inbox = Inbox::new(vec![inbox_dir]);
            assert!(inbox.poll().is_empty(), "first sight");
            let ready = inbox.poll();
            assert_eq!(ready, vec![b]);
            let Outcome::Installed(i) = store.install(&ready[0], &policy, 0, "inbox").unwrap() else {
                panic!("the inbox bundle must install while the poller is stuck")
            };
            assert_eq!(i.version, 11);
            // And staff can roll back.
            assert_eq!(store.rollback().unwrap().map(|i| i.version), Some(10), "a rollback while the poller is stuck");
            done.store(true, SeqCst);
        })
    };
    wait_for("the inbox install and the rollback, while the poller is stuck", || {
        done.load(SeqCst) || staff.is_finished()
    });
    staff.join().unwrap();
    assert!(reports.lock().unwrap().is_empty(), "the poller is still stuck in its download: {:?}", reports.lock());
    assert_eq!(server.serving.load(SeqCst), 1, "the trickling download is still running");

    stop.stop();
    drop(runtime); // the server goes away; the download fails and the poller sees the stop
    thread.join().unwrap();
    let reports = reports.lock().unwrap();
    assert!(reports.len() == 1 && reports[0].starts_with("Retry"), "the cut download is retried later: {reports:?}");
}

/// Issue #15 item 8 (review): a manifest whose `.minisig` has a damaged line
/// — served by a real server — is refused as malformed, not a panic inside
/// minisign (which the release build turns into the kiosk's death).
#[test]
fn a_manifest_signature_with_a_damaged_line_is_refused_not_a_crash() {
    use super::hardening::{damaged_lines, with_line};
    use kiosk_updates::remote::{Remote, RemoteError};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    let (manifest, sig) = signed_manifest(&k, &b, 11, "b11.kbundle");
    let genuine = String::from_utf8(sig).unwrap();
    let cases = damaged_lines();
    let paths: Vec<(String, String)> =
        (0..cases.len()).map(|i| (format!("/{i}/manifest.json"), format!("/{i}/manifest.json.minisig"))).collect();
    let mut routes: Vec<(&'static str, Answer)> = Vec::new();
    for (i, (_, line, new)) in cases.iter().enumerate() {
        let (m, s) = (paths[i].0.clone().leak() as &'static str, paths[i].1.clone().leak() as &'static str);
        routes.push((m, Answer::Whole(manifest.clone())));
        routes.push((s, Answer::Whole(with_line(&genuine, *line, new).into_bytes())));
    }
    routes.push(("/good/manifest.json", Answer::Whole(manifest.clone())));
    routes.push(("/good/manifest.json.minisig", Answer::Whole(genuine.clone().into_bytes())));
    let server = HostileServer::start(&runtime, routes);
    for (i, (case, _, _)) in cases.iter().enumerate() {
        let mut remote =
            Remote::new(&server.url(&paths[i].0), &dir.path().join("downloads"), kiosk_http::Shared::new()).unwrap();
        let err = runtime.block_on(remote.poll(&policy(&k), 11)).unwrap_err();
        assert!(
            matches!(err, RemoteError::Refused(_)) && err.to_string().contains("malformed signature"),
            "{case}: {err}"
        );
    }
    // The genuine signature passes (nothing newer than 11 to fetch).
    let mut remote =
        Remote::new(&server.url("/good/manifest.json"), &dir.path().join("downloads"), kiosk_http::Shared::new())
            .unwrap();
    assert_eq!(runtime.block_on(remote.poll(&policy(&k), 11)).unwrap(), kiosk_updates::remote::Poll::UpToDate(11));
}

/// Issue #15 item 9 (review): the update client follows a redirect only to
/// https (or plain http on this machine's loopback, as the config allows): a
/// redirect that downgrades to plain http on another host is refused, with a
/// message saying so.
#[test]
fn a_redirect_to_plain_http_on_another_host_is_refused() {
    use kiosk_updates::remote::{Poll, Remote, RemoteError};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    let (manifest, sig) = signed_manifest(&k, &b, 11, "b11.kbundle");
    let server = HostileServer::start(
        &runtime,
        vec![
            ("/away/manifest.json", Answer::Redirect("http://updates.example.invalid/manifest.json")),
            ("/here/manifest.json", Answer::Redirect("/good/manifest.json")),
            ("/good/manifest.json", Answer::Whole(manifest)),
            // Signatures are fetched beside the configured URL.
            ("/here/manifest.json.minisig", Answer::Whole(sig)),
        ],
    );
    let mut remote =
        Remote::new(&server.url("/away/manifest.json"), &dir.path().join("downloads"), kiosk_http::Shared::new())
            .unwrap();
    let err = runtime.block_on(remote.poll(&policy(&k), 11)).unwrap_err();
    assert!(matches!(err, RemoteError::Refused(_)), "refused, not retried as a network trouble: {err}");
    let text = err.to_string();
    assert!(text.contains("redirect refused") && text.contains("updates.example.invalid"), "says why: {text}");
    // A redirect on the loopback server itself (plain http allowed there) is followed.
    let mut remote =
        Remote::new(&server.url("/here/manifest.json"), &dir.path().join("downloads"), kiosk_http::Shared::new())
            .unwrap();
    assert_eq!(runtime.block_on(remote.poll(&policy(&k), 11)).unwrap(), Poll::UpToDate(11));
}

/// Issue #16 item 4: the poller sends every request with the client it was
/// given — the process's one — not a client of its own (each costs tens of
/// milliseconds of TLS set-up and a connection pool): a distinctive default
/// header on the given client reaches the server, on a redirect's second hop too.
#[test]
fn the_poller_sends_with_the_client_it_was_given() {
    use kiosk_testsupport::http::{read_request, respond};
    use kiosk_updates::remote::Remote;
    use std::sync::{Arc, Mutex};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>; // (path, X-Kiosk-Client)
    let seen = Seen::default();
    let log = seen.clone();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let Some(req) = read_request(&mut stream).await else { continue };
            let path = req.line().split(' ').nth(1).unwrap_or_default().to_string();
            log.lock().unwrap().push((path.clone(), req.header("x-kiosk-client").map(str::to_string)));
            match path.as_str() {
                "/moved/manifest.json" => respond(&mut stream, 302, &[("Location", "/manifest.json")], "").await,
                _ => respond(&mut stream, 404, &[], "").await,
            }
        }
    });
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-kiosk-client", "the-shared-one".parse().unwrap());
    let given = reqwest::Client::builder().default_headers(headers).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = kiosk_updates::accept::Policy { trusted: vec![], channel: "stable".into(), max_bytes: 1 << 20 };
    let url = format!("{base}/moved/manifest.json");
    let mut remote = Remote::new(&url, &dir.path().join("downloads"), kiosk_http::Shared::with(given)).unwrap();
    let err = runtime.block_on(remote.poll(&policy, 0)).unwrap_err();
    assert!(err.to_string().contains("HTTP 404"), "{err}");
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(
        seen,
        [
            ("/moved/manifest.json".into(), Some("the-shared-one".into())),
            ("/manifest.json".into(), Some("the-shared-one".into()))
        ],
        "both hops went out on the given client"
    );
}
