//! The kiosk put together as the shell does it — a real bundle built from the
//! demo content, a real signup store and staff files in a temporary data
//! directory — and asked what the screens and the staff panel ask.

use std::path::Path;
use std::sync::Arc;

use kiosk_app::signups::{SignupCode, SignupOutcome};
use kiosk_app::staff::{Staff, StaffError};
use kiosk_app::{Kiosk, Parts, Problems};
use kiosk_config::{Config, StaffConfig, WindowMode};
use kiosk_content::build::{BuildOptions, build_bundle};
use kiosk_content::source::NoProgress;
use kiosk_content::{Bundle, FixedClock};
use kiosk_signups::consent::Shown;

/// `kioskctl staff hash-pin` of 1234, as the demo uses.
const PIN_1234: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$nRe0JwOzhRS2BgA667QDsw$mvKS45XtOjzYuJ+Z3CVNNXzBFJP3iY3X6rlWRN35iGc";

fn kiosk(dir: &Path) -> Kiosk {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let bundle_path = dir.join("demo.kbundle");
    build_bundle(&content, &bundle_path, &BuildOptions::default(), &mut NoProgress).unwrap();
    let config = Config {
        bundle: bundle_path.clone(),
        data_dir: dir.join("data"),
        kiosk_id: "lobby-1".into(),
        window: WindowMode::Windowed,
        window_size: (1920, 1080),
        fixed_now: None,
        idle_timeout_secs: None,
        attract_slide_secs: None,
        volume_ceiling: 0.8,
        quiet: false,
        heartbeat_secs: 10,
        heartbeat_url: None,
        web_recycle_mib: 0,
        web_recycle_quiet_secs: 60,
        sync: None,
        updates: None,
        staff: StaffConfig { pin_hash: Some(PIN_1234.into()), ..Default::default() },
        signups: Default::default(),
        metrics: None,
        accessibility: Default::default(),
    };
    let problems = Problems::default();
    let signups = kiosk_app::signups::open_or_recover(
        &config.data_dir,
        None,
        &config.signups,
        &problems,
        &kiosk_http::Shared::new(),
    )
    .unwrap();
    let staff = Staff::new(&config, None, problems);
    let bundle = Bundle::open(&bundle_path).unwrap();
    let (attract, _task) = kiosk_attract::driver::driver(Vec::new(), 60_000, 8_000, |_| {});
    let music = kiosk_app::music::Music::new(0.8, false);
    Kiosk::new(Parts {
        bundle,
        clock: Arc::new(FixedClock(jiff::Timestamp::now())),
        idle_timeout_override: None,
        attract,
        music: music.clone(),
        speech: kiosk_app::speech::Speech::new(music, false),
        access: config.accessibility,
        signups,
        kiosk_id: config.kiosk_id,
        staff,
    })
}

fn sign_up(k: &Kiosk, email: &str) -> Result<SignupOutcome, kiosk_app::signups::SignupError> {
    let statement = k.consent(None);
    let shown = Shown { lang: &statement.lang, version: statement.version, sha256: &statement.sha256 };
    k.submit_signup(email, "", true, shown)
}

#[test]
fn attract_mode_counts_as_untouched_only_when_the_ui_said_so_after_the_last_touch() {
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(dir.path());
    assert!(!k.attract_untouched(), "nothing said yet");
    assert_eq!(k.untouched_for(), None, "never touched");
    k.ui_rendered("home".into(), 3, "en".into());
    assert!(!k.attract_untouched(), "a visitor's screen");
    k.ui_rendered("attract".into(), 1, "en".into());
    assert!(k.attract_untouched());
    // A touch leaves attract mode before the UI's next report says so.
    std::thread::sleep(std::time::Duration::from_millis(2));
    k.touch();
    assert!(!k.attract_untouched(), "touched since the UI said attract");
    std::thread::sleep(std::time::Duration::from_millis(2));
    k.ui_rendered("attract".into(), 1, "en".into());
    assert!(k.attract_untouched(), "attract mode again, said after the touch");
    assert!(k.untouched_for().is_some_and(|d| d < std::time::Duration::from_secs(60)));
}

#[test]
fn the_staff_panel_stays_shut_without_the_pin_and_its_figures_come_from_the_bundle_and_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(dir.path());
    assert!(matches!(k.staff_overview(), Err(StaffError::SessionClosed(_))), "no PIN, no figures");
    assert!(matches!(k.staff_sync_now(), Err(StaffError::SessionClosed(_))));
    assert!(matches!(k.staff.unlock("9999"), Err(StaffError::Pin(_))));
    assert!(matches!(k.staff_overview(), Err(StaffError::SessionClosed(_))), "a wrong PIN opens nothing");

    assert!(matches!(sign_up(&k, "visitor@example.org"), Ok(SignupOutcome::Added)));
    k.staff.unlock("1234").unwrap();
    let o = k.staff_overview().unwrap();
    let home = k.home(None).unwrap();
    assert_eq!(o.kiosk_id, "lobby-1");
    assert_eq!(o.bundle.version, home.bundle.bundle_version);
    assert_eq!(o.bundle.sections as usize, home.sections.len());
    assert_eq!(o.bundle.tracks as usize, k.tracks(None).unwrap().len());
    assert_eq!(home.tracks, o.bundle.tracks, "the home screen knows whether there is music without asking");
    assert_eq!(o.bundle.upcoming_events as usize, k.upcoming_events(None).unwrap().len());
    assert_eq!((o.signups.pending, o.signups.signups_today), (1, 1), "the signup just taken");
    assert!(!o.signups.sync_configured && !o.bundle.updates_configured);
    assert_eq!(o.signups_daily.len(), 30, "a month of days, oldest first");
    assert_eq!(o.signups_daily.last().unwrap().count, 1);
    assert!(matches!(k.staff_sync_now(), Err(StaffError::SyncNotConfigured)), "open, but no list set up");

    k.staff.close();
    assert!(matches!(k.staff_overview(), Err(StaffError::SessionClosed(_))), "closed again");
}

#[test]
fn a_signup_against_a_statement_the_kiosk_no_longer_shows_is_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(dir.path());
    let statement = k.consent(None);
    let stale = Shown { lang: &statement.lang, version: statement.version, sha256: &"0".repeat(64) };
    let refused = k.submit_signup("visitor@example.org", "", true, stale).unwrap_err();
    assert_eq!(refused.code, SignupCode::ConsentChanged);
    let unticked = Shown { lang: &statement.lang, version: statement.version, sha256: &statement.sha256 };
    assert_eq!(
        k.submit_signup("visitor@example.org", "", false, unticked).unwrap_err().code,
        SignupCode::ConsentRequired
    );
    assert_eq!(sign_up(&k, "not-an-address").unwrap_err().code, SignupCode::MissingAt);
}

#[test]
fn skipping_walks_the_bundles_tracks_in_order_and_wraps_round() {
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(dir.path());
    let ids: Vec<String> = k.tracks(None).unwrap().into_iter().map(|t| t.id).collect();
    assert!(ids.len() >= 2, "the demo has several samples: {ids:?}");
    assert_eq!(k.track_step(None, 1).as_ref(), ids.first(), "nothing playing: the first");
    assert_eq!(k.track_step(Some(&ids[0]), 1).as_ref(), ids.get(1));
    assert_eq!(k.track_step(Some(&ids[0]), -1).as_ref(), ids.last(), "back from the first: the last");
    let (audio, duration_ms) = k.track(&ids[0]).unwrap();
    assert!(!audio.is_empty() && duration_ms > 0);
}

/// The heartbeat's loop on its own thread, as the shell runs it: beats go to
/// `<data_dir>/heartbeat.json`, to the monitor and to the Prometheus metrics while the UI reports, and a
/// monitor that answers with a redirect is not followed (the POST would come
/// back a GET without its body, and the beat would land where nobody asked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beats_go_to_the_file_and_the_monitor_while_the_ui_reports_and_a_redirect_is_not_followed() {
    use kiosk_testsupport::scripted::{Reply, ScriptedServer};
    let elsewhere = ScriptedServer::start(Reply::json(200, "{}")).await;
    let monitor = ScriptedServer::start(Reply::redirect(308, &elsewhere.url("/beats"))).await;
    let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
    let k: &'static Kiosk = Box::leak(Box::new(kiosk(dir.path())));
    let path = dir.path().join("data/heartbeat.json");
    let metrics_port = kiosk_testsupport::free_port();
    let metrics = kiosk_config::MetricsConfig {
        textfile_dir: Some(dir.path().to_path_buf()),
        listen: Some(([127, 0, 0, 1], metrics_port).into()),
        site: "vienna".into(),
    };
    let beats = kiosk_app::heartbeat::Beats {
        every: std::time::Duration::from_secs(1),
        watchdog: None,
        socket: None,
        path: path.clone(),
        post_to: Some((monitor.url("/kiosk"), kiosk_http::Shared::new())),
        metrics: Some(kiosk_app::heartbeat::start_metrics(&metrics, "lobby-1", std::time::Duration::from_secs(1))),
    };
    let runtime = tokio::runtime::Handle::current();
    std::thread::spawn(move || {
        kiosk_app::heartbeat::run(beats, k, move |post| drop(runtime.spawn(post)));
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while monitor.seen().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no beats reached the monitor");
        // The UI says what it shows every 2 s; the beats go on only while it does.
        k.ui_rendered("home".into(), 3, "en".into());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let beat = &monitor.seen()[0];
    assert_eq!(beat.method(), "POST");
    let json: serde_json::Value = serde_json::from_slice(&beat.body).unwrap();
    assert_eq!((json["kiosk_id"].as_str(), json["ui"]["screen"].as_str()), (Some("lobby-1"), Some("home")));
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written["kiosk_id"], "lobby-1");
    let followed: Vec<String> = elsewhere.seen().into_iter().map(|s| s.line).collect();
    assert!(followed.is_empty(), "the redirect was followed: {followed:?}");
    // The same beats as Prometheus metrics: node_exporter's textfile, and the /metrics endpoint.
    let version = k.bundle().meta().bundle_version;
    let sample = format!("embassy_kiosk_content_version{{kiosk_id=\"lobby-1\",site=\"vienna\"}} {version}\n");
    let textfile = std::fs::read_to_string(dir.path().join("embassy_kiosk.prom")).expect("the textfile is written");
    assert!(textfile.contains(&sample) && textfile.contains("embassy_kiosk_up{"), "{textfile}");
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", metrics_port)).expect("/metrics is served");
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: k\r\n\r\n").unwrap();
    let mut page = String::new();
    conn.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK") && page.contains(&sample), "{page}");
}

/// The heartbeat carries when a sync was last tried and last succeeded as
/// times, not only in the words staff read: the Prometheus metrics and the
/// "sync failing" alert are built on them.
#[test]
fn the_heartbeat_carries_when_a_sync_was_last_tried_and_last_succeeded() {
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(dir.path());
    let now: jiff::Timestamp = "2026-11-28T12:00:00Z".parse().unwrap();
    let ui = kiosk_health::UiReport { screen: "home".into(), items: 3, lang: "en".into(), at_utc: now };
    let beat = k.heartbeat(ui.clone(), now);
    assert_eq!((beat.last_sync_attempt_utc, beat.last_sync_success_utc), (None, None), "never tried: no times");
    // A sync round as the sync worker records it, through a second connection to the kiosk's store.
    let (ok_at, failed_at) = ("2026-11-28T10:00:00Z".parse().unwrap(), "2026-11-28T11:30:00Z".parse().unwrap());
    let mut store = kiosk_signups::store::SignupStore::open(&dir.path().join("data/signups.sqlite")).unwrap();
    store.record_round(&Default::default(), Some((true, "all sent")), ok_at).unwrap();
    store.record_round(&Default::default(), Some((false, "the list is down")), failed_at).unwrap();
    let beat = k.heartbeat(ui, now);
    assert_eq!(beat.last_sync_attempt_utc, Some(failed_at), "the last attempt, failed or not");
    assert_eq!(beat.last_sync_success_utc, Some(ok_at), "a failed round must not move the last success");
    assert!(beat.last_sync.is_some_and(|l| l.contains("failed: the list is down")), "the words stay for staff");
}
