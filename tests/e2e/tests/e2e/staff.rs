//! The staff panel: opened by the corner gesture and the PIN, locked after
//! wrong PINs, and its actions (sync now, import from USB, roll back) in the real app.

use super::*;

/// Waits until the panel's `testid` figure reads `want` (it refreshes every 2 s).
async fn wait_figure(k: &Kiosk, testid: &str, want: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let got = text_of(k, testid).await;
        if got == want {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "[{testid}] reads {got:?}, never {want:?}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Calls a staff command straight from the page, as a script in the web view could.
async fn invoke_from_page(k: &Kiosk, command: &str) -> String {
    let script = format!(
        "const done = arguments[0]; window.__TAURI_INTERNALS__.invoke('{command}').then(() => done('ok'), e => done(e.code || String(e)));"
    );
    k.client.execute_async(&script, vec![]).await.unwrap().as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_corner_gesture_and_pin_open_the_staff_panel_whose_counts_match_the_store_and_bundle() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "staff".into(), extra_config: staff_config(), ..Options::default() }).await;
    k.wait_testid("home").await;
    // A visitor reads two sections and signs up twice (no list configured: both wait on the kiosk).
    for i in 0..2 {
        k.all_testid("section-link").await[i].click().await.unwrap();
        k.wait_testid("section-view").await;
        k.wait_testid("back").await.click().await.unwrap();
        k.wait_testid("home").await;
    }
    k.wait_testid("signup-link").await.click().await.unwrap();
    assert!(try_signup(&k, "aru@example.kz").await.unwrap());
    assert!(try_signup(&k, "bolat@example.kz").await.unwrap());

    // Without the PIN, the staff commands are refused whatever the page does.
    assert_eq!(invoke_from_page(&k, "staff_overview").await, "staff_session_closed");

    // Four taps are not the gesture; nor are five spread over more than three seconds.
    corner_taps(&k, 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    corner_taps(&k, 1).await;
    assert!(!present(&k, "staff-pin").await, "the gesture needs five taps within three seconds");
    corner_taps(&k, 5).await;
    k.wait_testid("staff-pin").await;
    k.screenshot("staff-pin-landscape").await;
    enter_pin(&k, STAFF_PIN).await;
    k.wait_testid("staff-panel").await;

    // The panel's figures are the bundle's and the store's.
    let bundle = kiosk_content::Bundle::open(&k.dir.path().join("content.kbundle")).unwrap();
    assert_eq!(text_of(&k, "staff-bundle-version").await, bundle.meta().bundle_version.to_string());
    let items = k.wait_testid("staff-bundle-items").await;
    let sections = bundle.home(None).unwrap().sections.len().to_string();
    assert_eq!(items.attr("data-sections").await.unwrap(), Some(sections));
    assert_eq!(items.attr("data-tracks").await.unwrap().as_deref(), Some("3"));
    let conn = rusqlite::Connection::open(k.dir.path().join("data/signups.sqlite")).unwrap();
    let pending: i64 =
        conn.query_row("SELECT count(*) FROM signups WHERE state = 'pending'", [], |r| r.get(0)).unwrap();
    assert_eq!(pending, 2);
    assert_eq!(text_of(&k, "staff-pending").await, pending.to_string());
    assert_eq!(text_of(&k, "staff-review").await, "0");
    assert_eq!(text_of(&k, "staff-signups-today").await, "2");
    assert_eq!(text_of(&k, "staff-delivered-today").await, "0");
    for chart in ["staff-chart-signups", "staff-chart-views"] {
        let total = k.wait_testid(chart).await.attr("data-total").await.unwrap();
        assert_eq!(total.as_deref(), Some("2"), "two signups and two section views today in the charts");
    }
    assert!(text_of(&k, "staff-bundle-source").await.contains("content.kbundle"), "the bundle's origin is shown");
    k.screenshot("staff-panel-landscape").await;

    // Quiet mode from the panel mutes the music and outlives a restart (it is saved).
    k.wait_testid("staff-quiet").await.click().await.unwrap();
    wait_figure(&k, "staff-quiet", "Quiet mode: on").await;
    let saved = std::fs::read_to_string(k.dir.path().join("data/staff-settings.json")).unwrap();
    assert!(saved.contains("\"quiet\":true"), "{saved}");

    // Closed, the panel's commands are refused again.
    k.wait_testid("staff-close").await.click().await.unwrap();
    assert!(!present(&k, "staff-panel").await);
    assert_eq!(invoke_from_page(&k, "staff_overview").await, "staff_session_closed");

    // "Exit kiosk" ends the app.
    corner_taps(&k, 5).await;
    enter_pin(&k, STAFF_PIN).await;
    k.wait_testid("staff-exit").await.click().await.unwrap();
    // The app may be gone before WebDriver hears the click back.
    let _ = k.wait_testid("staff-exit-confirm").await.click().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !k.app_pids().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the app did not exit");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let k_data = k.dir.path().join("data");
    let log = std::fs::read_to_string(&k.app_log).unwrap();
    assert!(log.contains("staff exited the kiosk"), "{log}");
    // The kiosk's own log file: JSON lines, rotated by size, with no PIN and no visitor in it.
    let file_log = std::fs::read_to_string(k_data.join("logs/kiosk.log")).unwrap();
    let events: Vec<serde_json::Value> = file_log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(
        events.iter().any(|e| e["level"] == "INFO" && e["fields"]["message"] == "staff exited the kiosk"),
        "{file_log}"
    );
    for secret in [STAFF_PIN, "aru@", "bolat@", "example.kz"] {
        assert!(!log.contains(secret) && !file_log.contains(secret), "{secret} must never be logged");
    }
    k.stop().await;
}

#[tokio::test]
async fn five_wrong_pins_lock_the_staff_panel_even_against_the_right_pin() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options {
        name: "staff-lockout".into(),
        size: (1080, 1920),
        extra_config: staff_config(),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    corner_taps(&k, 5).await;
    for left in (1..=4).rev() {
        enter_pin(&k, "0000").await;
        wait_figure(&k, "staff-error", &format!("Wrong PIN. {left} tries left.")).await;
    }
    enter_pin(&k, "0000").await;
    wait_figure(&k, "staff-error", "Too many wrong PINs. Try again in 30 s.").await;
    k.screenshot("staff-pin-locked-portrait").await;
    enter_pin(&k, STAFF_PIN).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let error = text_of(&k, "staff-error").await;
    assert!(error.starts_with("Too many wrong PINs. Try again in"), "locked even for the right PIN: {error}");
    assert!(!present(&k, "staff-panel").await, "the panel stays shut");
    let tries = std::fs::read_to_string(k.dir.path().join("data/staff-tries.json")).unwrap();
    assert!(tries.contains("\"failures\":5"), "the count is kept on disk, so a restart does not reset it: {tries}");
    k.stop().await;
}

#[tokio::test]
async fn sync_now_in_the_staff_panel_sends_a_waiting_signup_to_mailman_at_once() {
    use kiosk_testsupport::proxy::{FaultProxy, Faults};
    let _one = ONE_AT_A_TIME.lock().await;
    let mailman = MailmanList::start().await;
    let (server, list) = (&mailman.server, &mailman.list);
    // The list is "down for maintenance" at first: 503 with Retry-After: 3600.
    let proxy = FaultProxy::start(server.rest_port(), Faults::NONE, 1).await;
    proxy.set_maintenance(true);
    let config =
        format!("{}{}", staff_config(), mailman.sync_section(&format!("http://127.0.0.1:{}/3.1/", proxy.port())));
    let k = Kiosk::start(Options {
        name: "staff-sync".into(),
        size: (1080, 1920),
        extra_config: config,
        ..Options::default()
    })
    .await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    assert!(try_signup(&k, "sync.now@example.org").await.unwrap());

    // The signup's own round meets the maintenance answer: the worker now waits an hour.
    let conn = rusqlite::Connection::open(k.dir.path().join("data/signups.sqlite")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let failed: Option<i64> = conn.query_row("SELECT ok FROM sync_state WHERE id = 1", [], |r| r.get(0)).ok();
        if failed == Some(0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the first sync round never met the 503");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    proxy.set_maintenance(false);

    corner_taps(&k, 5).await;
    enter_pin(&k, STAFF_PIN).await;
    k.wait_testid("staff-panel").await;
    wait_figure(&k, "staff-pending", "1").await;
    assert_eq!(k.wait_testid("staff-last-sync").await.attr("data-ok").await.unwrap().as_deref(), Some("false"));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(text_of(&k, "staff-pending").await, "1", "left alone, the kiosk would wait out the hour");
    k.screenshot("staff-panel-portrait").await;

    k.wait_testid("staff-sync-now").await.click().await.unwrap();
    wait_figure(&k, "staff-pending", "0").await;
    wait_figure(&k, "staff-delivered-today", "1").await;
    assert_eq!(k.wait_testid("staff-last-sync").await.attr("data-ok").await.unwrap().as_deref(), Some("true"));
    assert_eq!(server.pending_confirmations(list).await, vec!["sync.now@example.org".to_string()]);
    k.stop().await;
}

#[tokio::test]
async fn staff_import_a_signed_bundle_from_a_usb_stick_with_progress_and_roll_it_back() {
    let _one = ONE_AT_A_TIME.lock().await;
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let media = keys.path().join("media");
    let stick = media.join("staff/KIOSK");
    std::fs::create_dir_all(&stick).unwrap();
    let extra = format!(
        "[updates]\ntrusted_keys = [\"{}\"]\npoll_secs = 1\n{}usb_roots = [{media:?}]\n",
        public.lines().nth(1).unwrap(),
        staff_config()
    );
    let k = Kiosk::start(Options { name: "staff-usb".into(), extra_config: extra, ..Options::default() }).await;
    k.wait_testid("home").await;
    let newer = jiff::Timestamp::now().as_second() as u64 + 100_000;
    let bundle = new_content_bundle(keys.path(), "usb", newer, &secret);
    std::fs::copy(&bundle, stick.join("embassy-content.kbundle")).unwrap();
    std::fs::copy(kiosk_updates::sign::signature_path(&bundle), stick.join("embassy-content.kbundle.minisig")).unwrap();

    corner_taps(&k, 5).await;
    enter_pin(&k, STAFF_PIN).await;
    let old_version = text_of(&k, "staff-bundle-version").await;
    k.wait_testid("staff-usb-scan").await.click().await.unwrap();
    let item = k.wait_testid("staff-usb-item").await;
    assert_eq!(
        item.attr("data-path").await.unwrap(),
        Some(stick.join("embassy-content.kbundle").display().to_string())
    );
    k.wait_testid("staff-usb-import").await.click().await.unwrap();
    let progress = k.wait_testid("staff-import-progress").await;
    wait_figure(&k, "staff-bundle-version", &newer.to_string()).await;
    assert_eq!(progress.attr("data-phase").await.unwrap().as_deref(), Some("checked"), "the copy's progress was shown");
    assert!(text_of(&k, "staff-bundle-source").await.starts_with("usb "), "the panel says it came from USB");
    k.screenshot("staff-usb-import-landscape").await;

    // Rolled back from the panel, the old content is on screen again.
    k.wait_testid("staff-rollback").await.click().await.unwrap();
    wait_figure(&k, "staff-bundle-version", &old_version).await;
    k.wait_testid("staff-close").await.click().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while section_titles(&k).await != TITLES {
        assert!(std::time::Instant::now() < deadline, "the previous content never came back on screen");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    k.stop().await;
}
