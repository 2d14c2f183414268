//! Content updates in the running kiosk: a signed bundle dropped in the inbox
//! is shown live; an unsigned stranger is refused.

use super::*;

#[tokio::test]
async fn a_signed_bundle_dropped_in_the_inbox_is_shown_live_and_an_unsigned_stranger_is_not() {
    let _one = ONE_AT_A_TIME.lock().await;
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let (_, stranger) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let inbox = keys.path().join("usb");
    std::fs::create_dir_all(&inbox).unwrap();
    let key_line = public.lines().nth(1).unwrap();
    let www = keys.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    let server = kiosk_testsupport::files::FileServer::start(www.clone(), None).await;
    let extra = format!(
        "{VISIT_CONFIG}\n[updates]\ntrusted_keys = [\"{key_line}\"]\ninbox = [{inbox:?}]\npoll_secs = 1\nurl = \"{}\"\nurl_poll_secs = 1\n",
        server.url("manifest.json")
    );
    let k = Kiosk::start(Options { name: "update".into(), extra_config: extra, ..Options::default() }).await;
    fresh_visit(&k).await;
    let pids = k.app_pids();
    let newer = jiff::Timestamp::now().as_second() as u64 + 100_000;

    // Signed by a key the kiosk does not trust: refused, the content stays.
    drop_into(&inbox, &new_content_bundle(keys.path(), "stranger", newer, &stranger));
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(section_titles(&k).await, TITLES, "an untrusted bundle changes nothing on screen");
    let log = std::fs::read_to_string(&k.app_log).unwrap();
    assert!(log.contains("[untrusted_key]"), "the refusal and its reason are logged: {log}");

    // Signed by the embassy: shown without a restart.
    drop_into(&inbox, &new_content_bundle(keys.path(), "embassy", newer + 1, &secret));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let titles = section_titles(&k).await;
        if titles.iter().any(|t| t == "Visas and Consular Services") {
            assert_eq!(titles[..3], TITLES, "the old sections are still there");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the new section never appeared: {titles:?}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(k.app_pids(), pids, "the content changed without a restart");

    // And attract mode cycles the new content.
    wait_for_attract(&k).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    loop {
        // Read id and text in one call: the slide is replaced every two seconds.
        let slide = k
            .client
            .execute(
                "const s = document.querySelector('[data-testid=\"attract-slide\"]'); return s ? [s.dataset.id, s.innerText] : null;",
                vec![],
            )
            .await
            .unwrap();
        if slide[0] == "visas" {
            assert!(slide[1].as_str().unwrap().contains("Visas and Consular Services"), "{slide}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "attract mode never showed the new section");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
    k.screenshot("update-home-with-new-section").await;

    // The embassy's web server publishes a newer one (kioskctl bundle publish): polled over HTTP(S) and shown.
    let trade = "+++\nid = \"trade\"\norder = 5\ntitle = \"Trade and Investment\"\n+++\n\nKazakhstan is the largest economy in Central Asia.\n";
    let web = new_content_bundle_with(keys.path(), "web", newer + 2, &secret, &[("trade.md", trade)]);
    let kioskctl = kiosk_e2e::app_binary().with_file_name("kioskctl"); // ./dev test builds both
    let key_file = keys.path().join("embassy.key");
    std::fs::write(&key_file, &secret).unwrap();
    let o = std::process::Command::new(kioskctl)
        .args([
            "bundle",
            "publish",
            web.to_str().unwrap(),
            "--key",
            key_file.to_str().unwrap(),
            "-o",
            www.to_str().unwrap(),
        ])
        .output()
        .expect("kioskctl is built beside the app");
    assert!(o.status.success(), "publish: {}", String::from_utf8_lossy(&o.stderr));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !section_titles(&k).await.iter().any(|t| t == "Trade and Investment") {
        assert!(std::time::Instant::now() < deadline, "the bundle from the web server never appeared");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(k.app_pids(), pids, "still the same process");
    k.stop().await;
}
