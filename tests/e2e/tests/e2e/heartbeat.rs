//! The heartbeat file: it beats while the UI renders and stops when the UI
//! hangs, so a monitor hears a frozen screen.

use super::*;

fn heartbeat_time(path: &std::path::Path) -> Option<(String, serde_json::Value)> {
    let beat: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some((beat["at_utc"].as_str()?.to_string(), beat))
}

#[tokio::test]
async fn the_heartbeat_beats_while_the_ui_renders_and_stops_when_the_ui_hangs() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options {
        name: "heartbeat".into(),
        extra_config: "heartbeat_secs = 1".into(),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    let path = k.dir.path().join("data/heartbeat.json");
    let kioskctl = kiosk_e2e::app_binary().with_file_name("kioskctl");
    let health = |max_age: &str| {
        std::process::Command::new(&kioskctl)
            .args(["health", "check", "--max-age", max_age, "--config", k.config.to_str().unwrap()])
            .output()
            .expect("kioskctl is built beside the app")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while heartbeat_time(&path).is_none() {
        assert!(std::time::Instant::now() < deadline, "no heartbeat file appeared");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (t1, _) = heartbeat_time(&path).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (t2, beat) = heartbeat_time(&path).unwrap();
    assert!(t2 > t1, "the heartbeat advances while the UI renders ({t1} → {t2})");
    let version = kiosk_content::Bundle::open(&k.dir.path().join("content.kbundle")).unwrap().meta().bundle_version;
    assert_eq!(beat["bundle_version"], version, "it carries the bundle on screen");
    assert_eq!(beat["ui"]["screen"], "home", "it says what the UI rendered");
    assert!(beat["ui"]["items"].as_u64().unwrap() >= 3, "{beat}");
    assert!(["stopped", "unavailable"].contains(&beat["audio"].as_str().unwrap()), "{beat}");
    let o = health("5");
    assert!(o.status.success(), "a monitor sees it alive: {}", String::from_utf8_lossy(&o.stderr));

    // The web view hangs (a script that never yields): the UI's reports stop, and so do the heartbeats.
    // The script blocks the page's only thread; its WebDriver call is left to time out on its own.
    let client = k.client.clone();
    tokio::spawn(async move {
        let _ =
            client.execute("const end = Date.now() + 20000; while (Date.now() < end) {} return null;", vec![]).await;
    });
    tokio::time::sleep(std::time::Duration::from_secs(9)).await;
    let (t3, _) = heartbeat_time(&path).unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (t4, _) = heartbeat_time(&path).unwrap();
    assert_eq!(t3, t4, "a frozen UI gets no heartbeat (and no watchdog ping), though the process runs");
    let o = health("2");
    assert!(!o.status.success(), "the monitor alerts");
    assert!(String::from_utf8_lossy(&o.stderr).contains("DEAD"), "{}", String::from_utf8_lossy(&o.stderr));
    let log = std::fs::read_to_string(&k.app_log).unwrap();
    assert!(log.contains("heartbeats paused"), "the pause is logged: {log}");
    k.stop().await;
}
