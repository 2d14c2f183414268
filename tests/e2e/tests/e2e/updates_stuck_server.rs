//! Issue #15 item 9, in the real app: the kiosk's HTTPS poller is stuck on an
//! update server that trickles its manifest a byte at a time (never silent
//! long enough for a read timeout), and a bundle dropped into the inbox is
//! still shown within seconds — the poller runs apart from the inbox watcher
//! and the live switch.

use tokio::io::AsyncWriteExt;

use super::{ONE_AT_A_TIME, TITLES, VISIT_CONFIG, drop_into, fresh_visit, new_content_bundle, section_titles};
use kiosk_e2e::{Kiosk, Options};

/// A server that answers every request with a long manifest, one byte every
/// 200 ms; counts the requests it got.
async fn trickling_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/manifest.json", listener.local_addr().unwrap().port());
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let counter = counter.clone();
            tokio::spawn(async move {
                if kiosk_testsupport::http::read_request(&mut stream).await.is_none() {
                    return;
                }
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    if stream.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, asked)
}

#[tokio::test]
async fn an_inbox_bundle_is_shown_while_the_update_server_trickles() {
    let _one = ONE_AT_A_TIME.lock().await;
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let inbox = keys.path().join("usb");
    std::fs::create_dir_all(&inbox).unwrap();
    let key_line = public.lines().nth(1).unwrap();
    let (url, asked) = trickling_server().await;
    let extra = format!(
        "{VISIT_CONFIG}\n[updates]\ntrusted_keys = [\"{key_line}\"]\ninbox = [{inbox:?}]\npoll_secs = 1\nurl = \"{url}\"\nurl_poll_secs = 1\n"
    );
    let k = Kiosk::start(Options { name: "update-stuck".into(), extra_config: extra, ..Options::default() }).await;
    fresh_visit(&k).await;
    // The poller has asked the server and is now stuck reading its trickle.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while asked.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(std::time::Instant::now() < deadline, "the kiosk never polled the update server");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let newer = jiff::Timestamp::now().as_second() as u64 + 100_000;
    drop_into(&inbox, &new_content_bundle(keys.path(), "usb", newer, &secret));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
    loop {
        let titles = section_titles(&k).await;
        if titles.iter().any(|t| t == "Visas and Consular Services") {
            assert_eq!(titles[..3], TITLES, "the old sections are still there");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the inbox bundle must be shown while the update server trickles (the poller must not hold up the inbox): {titles:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    k.stop().await;
}
