//! Never a dark lobby, tried from outside: the real kiosk started with each
//! file of its data directory damaged; its web process killed; systemd's
//! watchdog heard through a real `NOTIFY_SOCKET`; and the staff session
//! closing on the server while the panel polls.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiosk_e2e::{Kiosk, Options};

use super::{
    ONE_AT_A_TIME, STAFF_PIN, TITLES, corner_taps, drop_into, enter_pin, new_content_bundle, section_titles,
    staff_config, try_signup,
};

/// Calls `command` with `args` from the page, as a script in the web view could;
/// returns "ok" or the error's code.
async fn invoke(k: &Kiosk, command: &str, args: serde_json::Value) -> String {
    let script = "const [cmd, args, done] = arguments; \
                  window.__TAURI_INTERNALS__.invoke(cmd, args).then(() => done('ok'), e => done(e.code || String(e)));";
    let got = k.client.execute_async(script, vec![command.into(), args]).await.unwrap();
    got.as_str().unwrap_or_default().to_string()
}

/// The ways a file is found damaged.
const DAMAGES: [&str; 5] = ["truncated", "garbage", "a folder", "unreadable", "a fifo"];

/// The files the kiosk reads from its data directory at start.
const FILES: [&str; 4] = ["bundles/state.json", "staff-settings.json", "staff-tries.json", "signups.sqlite"];

/// Puts `file` in `data`, damaged `how`; returns the bytes written, if any.
/// `store` is a sound signup store (its header is what "garbage" spoils).
/// "unreadable" is a symlink loop: mode 000 does not stop root, which runs these tests;
/// "a fifo" is a named pipe (an open for reading blocks until a writer appears).
fn damage(data: &Path, file: &str, how: &str, store: &[u8]) -> Option<Vec<u8>> {
    let path = data.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let sound: Vec<u8> = match file {
        "bundles/state.json" => br#"{"current":{"version":9,"channel":"stable","file":"v9.kbundle","sha256":"00","size":1,"key_id":"k","source":"inbox /media/usb","installed_utc":"2026-11-28T12:00:00Z"},"previous":null,"highest_version":9}"#.to_vec(),
        "staff-settings.json" => br#"{"volume_ceiling":0.5,"quiet":true}"#.to_vec(),
        "staff-tries.json" => br#"{"failures":3,"locked_until":0}"#.to_vec(),
        _ => store.to_vec(),
    };
    let bytes = match how {
        "sound" => sound,
        "truncated" => sound[..sound.len() / 2].to_vec(),
        "garbage" if file.ends_with(".sqlite") => {
            let mut b = sound;
            b[..16].copy_from_slice(b"\xff\xfegarbage\x00\x13\x37head");
            b
        }
        "garbage" => b"\xff\xfe\x00garbage\x13\x37{".to_vec(),
        "a folder" => {
            std::fs::create_dir(&path).unwrap();
            return None;
        }
        "unreadable" => {
            std::os::unix::fs::symlink(&path, &path).unwrap();
            return None;
        }
        // A named pipe: opening it for reading waits for a writer that never comes.
        "a fifo" => {
            assert!(std::process::Command::new("mkfifo").arg(&path).status().unwrap().success());
            return None;
        }
        other => unreachable!("{other}"),
    };
    std::fs::write(&path, &bytes).unwrap();
    Some(bytes)
}

/// Waits until the heartbeat file names a problem containing `needle`; the problems it lists.
async fn heartbeat_problem(data: &Path, needle: &str) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = serde_json::Value::Null;
    while Instant::now() < deadline {
        if let Ok(beat) = std::fs::read(data.join("heartbeat.json"))
            && let Ok(beat) = serde_json::from_slice::<serde_json::Value>(&beat)
        {
            let problems: Vec<String> = serde_json::from_value(beat["problems"].clone()).unwrap_or_default();
            if problems.iter().any(|p| p.contains(needle)) {
                return Ok(problems);
            }
            last = beat;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!("no heartbeat named a problem with {needle} within 15 s (last heartbeat: {last})"))
}

/// Waits until the home screen shows the demo content's sections.
async fn content_shown(k: &Kiosk) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut titles = Vec::new();
    while Instant::now() < deadline {
        titles = section_titles(k).await;
        if titles == TITLES {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!("the home screen never showed the content (sections: {titles:?})"))
}

#[tokio::test]
async fn damaged_files_in_the_data_directory_never_stop_the_start() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (public, _secret) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let extra = format!(
        "heartbeat_secs = 1\n[updates]\ntrusted_keys = [\"{}\"]\ninbox = []\n{}",
        public.lines().nth(1).unwrap(),
        staff_config()
    );
    let mut k = Kiosk::start(Options { name: "never-dark".into(), extra_config: extra, ..Options::default() }).await;
    let data = k.dir.path().join("data");
    // A sound store with a confirmed signup in it: what the damaged ones are made of.
    k.wait_testid("signup-link").await.click().await.unwrap();
    assert!(try_signup(&k, "kept@example.org").await.unwrap());
    k.kill_app();
    let store = {
        let conn = rusqlite::Connection::open(data.join("signups.sqlite")).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM signups", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "the sound store holds the confirmed signup");
        drop(conn);
        std::fs::read(data.join("signups.sqlite")).unwrap()
    };

    let mut failures = Vec::new();
    let mut tried = 0;
    for file in FILES {
        for how in DAMAGES {
            tried += 1;
            let case = format!("{file} {how}");
            k.kill_app();
            std::fs::remove_dir_all(&data).unwrap();
            std::fs::create_dir_all(&data).unwrap();
            let written = damage(&data, file, how, &store);
            if tokio::time::timeout(Duration::from_secs(40), k.relaunch()).await.is_err() {
                failures.push(format!(
                    "{case}: the kiosk did not start (no window within 40 s; see {})",
                    k.app_log.display()
                ));
                continue;
            }
            if let Err(e) = content_shown(&k).await {
                failures.push(format!("{case}: {e}"));
                continue;
            }
            let name = Path::new(file).file_name().unwrap().to_str().unwrap();
            if let Err(e) = heartbeat_problem(&data, name).await {
                failures.push(format!("{case}: staff are not told: {e}"));
            }
            match file {
                "staff-tries.json" => {
                    let got = invoke(&k, "staff_unlock", serde_json::json!({ "pin": STAFF_PIN })).await;
                    if got != "staff_locked_out" {
                        failures.push(format!(
                            "{case}: the right PIN got {got:?}; a damaged count of tries must lock the panel"
                        ));
                    }
                }
                "signups.sqlite" => {
                    let aside: Vec<PathBuf> = std::fs::read_dir(&data)
                        .unwrap()
                        .map(|e| e.unwrap().path())
                        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("signups.sqlite.damaged-"))
                        .collect();
                    match (aside.as_slice(), &written) {
                        ([one], Some(bytes)) if std::fs::read(one).ok().as_ref() != Some(bytes) => {
                            failures.push(format!("{case}: the damaged store was changed when set aside"))
                        }
                        ([_], _) => {}
                        _ => failures.push(format!("{case}: the damaged store was not kept aside: {aside:?}")),
                    }
                    k.wait_testid("signup-link").await.click().await.unwrap();
                    if !try_signup(&k, &format!("after.{tried}@example.org")).await.unwrap_or(false) {
                        failures.push(format!("{case}: no signup is taken after the start"));
                    }
                }
                "bundles/state.json" if how == "garbage" => {
                    // Staff see it in the panel too.
                    corner_taps(&k, 5).await;
                    enter_pin(&k, STAFF_PIN).await;
                    let problem = k.wait_testid("staff-problem").await.text().await.unwrap();
                    if !problem.contains("state.json") {
                        failures.push(format!("{case}: the staff panel says {problem:?}"));
                    }
                    k.screenshot("staff-problems-landscape").await;
                }
                _ => {}
            }
        }
    }
    // The store's state is sound, but the bundle it names is garbage.
    tried += 1;
    k.kill_app();
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::create_dir_all(data.join("bundles")).unwrap();
    let state = damage(&data, "bundles/state.json", "sound", &store);
    assert!(state.is_some());
    std::fs::write(data.join("bundles/v9.kbundle"), vec![0x5a; 8192]).unwrap();
    if tokio::time::timeout(Duration::from_secs(40), k.relaunch()).await.is_err() {
        failures.push("a damaged installed bundle: the kiosk did not start".into());
    } else if let Err(e) = content_shown(&k).await {
        failures.push(format!("a damaged installed bundle: {e}"));
    } else if let Err(e) = heartbeat_problem(&data, "v9.kbundle").await {
        failures.push(format!("a damaged installed bundle: staff are not told: {e}"));
    }

    // All of them at once.
    k.kill_app();
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    for file in FILES {
        damage(&data, file, "garbage", &store);
    }
    if tokio::time::timeout(Duration::from_secs(40), k.relaunch()).await.is_err() {
        failures.push("everything damaged at once: the kiosk did not start".into());
    } else if let Err(e) = content_shown(&k).await {
        failures.push(format!("everything damaged at once: {e}"));
    } else {
        k.screenshot("never-dark-all-damaged").await;
        for file in FILES {
            let name = Path::new(file).file_name().unwrap().to_str().unwrap();
            if let Err(e) = heartbeat_problem(&data, name).await {
                failures.push(format!("everything damaged at once: {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "a damaged file in the data directory must never stop the start, and staff must be told ({} failures in {} cases):\n{}",
        failures.len(),
        tried + 1,
        failures.join("\n")
    );
    k.stop().await;
}

/// The app's WebKit web processes (normally one).
fn web_processes(app: u32) -> Vec<u32> {
    kiosk_e2e::procs::tree(app)
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim().starts_with("WebKitWebProc"))
        })
        .collect()
}

/// The heartbeat file of the kiosk under test, if written.
fn heartbeat(k: &Kiosk) -> Option<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(k.dir.path().join("data/heartbeat.json")).ok()?).ok()
}

/// Waits (up to `secs`) for a heartbeat whose UI report came after `since`
/// and says `screen`; returns it. This is how the page is seen once its web
/// process is gone: WebKit's WebDriver ends its session with the process
/// ("session deleted because of page crash or hang"), and the page's own
/// reports are what the watchdog and a monitor go by.
async fn reported_after(k: &Kiosk, since: jiff::Timestamp, screen: &str, secs: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let beat = heartbeat(k);
        let at = beat.as_ref().and_then(|b| b["ui"]["at_utc"].as_str()?.parse::<jiff::Timestamp>().ok());
        if let (Some(beat), Some(at)) = (&beat, at)
            && at > since
            && beat["ui"]["screen"] == screen
        {
            return beat.clone();
        }
        assert!(Instant::now() < deadline, "no report of the {screen} screen from the page within {secs} s: {beat:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Waits (up to `secs`) for a web process other than `old` and returns it.
async fn new_web_process(app: u32, old: &[u32], secs: u64, what: &str) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let now = web_processes(app);
        if !now.is_empty() && now != old {
            return now;
        }
        assert!(Instant::now() < deadline, "no new web process within {secs} s: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The page's web process dies (a crash, the kernel's OOM killer): the page
/// comes back at once in a new one, with the content installed now — not the
/// first screen the shell put in the page at launch, which is older by then —
/// and the app itself goes on (no restart, no dark screen until the watchdog).
#[tokio::test]
async fn a_web_process_that_dies_is_replaced_and_shows_the_content_installed_now() {
    let _one = ONE_AT_A_TIME.lock().await;
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let inbox = keys.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let key_line = public.lines().nth(1).unwrap();
    let extra = format!(
        "idle_timeout_secs = 600\nheartbeat_secs = 1\n[updates]\ntrusted_keys = [\"{key_line}\"]\ninbox = [{inbox:?}]\npoll_secs = 1\n"
    );
    let k = Kiosk::start(Options { name: "web-process-dies".into(), extra_config: extra, ..Options::default() }).await;
    k.wait_testid("home").await;
    let app = k.app_pids();
    let newer = jiff::Timestamp::now().as_second() as u64 + 100_000;
    drop_into(&inbox, &new_content_bundle(keys.path(), "embassy", newer, &secret));
    let visas = |titles: &[String]| titles.iter().any(|t| t == "Visas and Consular Services");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !visas(&section_titles(&k).await) {
        assert!(Instant::now() < deadline, "the new bundle was never shown");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // What the page says it shows with the new content: the home screen and its items (a fourth topic).
    let shown = reported_after(&k, jiff::Timestamp::now(), "home", 10).await;
    let (items, launch_items) = (shown["ui"]["items"].clone(), shown["ui"]["items"].as_u64().unwrap() - 1);

    let before = web_processes(app[0]);
    assert_eq!(before.len(), 1, "one web process: {before:?}");
    let killed = jiff::Timestamp::now();
    Command::new("kill").args(["-KILL", &before[0].to_string()]).status().unwrap();
    new_web_process(app[0], &before, 20, "the old one was killed and the lobby is dark").await;
    // The new page renders and reports again, the same screen with the same
    // items: the content installed now, not the launch-time first screen
    // (one topic fewer: {launch_items} items).
    let back = reported_after(&k, killed + jiff::SignedDuration::from_millis(500), "home", 30).await;
    assert_eq!(
        back["ui"]["items"], items,
        "the page came back with other content than before (launch-time: {launch_items} items): {back}"
    );
    assert_eq!(back["bundle_version"], newer, "{back}");
    assert_eq!((back["web_crashes"].as_u64(), back["web_renewals"].as_u64()), (Some(1), Some(0)), "{back}");
    assert_eq!(k.app_pids()[0], app[0], "the app went on: no restart");
    let log = std::fs::read_to_string(&k.app_log).unwrap();
    assert!(log.contains("web process ended (Crashed): loading the page again"), "the loss is logged: {log}");
    k.stop().await;
}

/// The web process grows over weeks of visitors (WebKit keeps part of what
/// each visit allocates): once it has grown by `web_recycle_mib` it is renewed
/// while attract mode is quiet, never under a visitor, and the page comes
/// back to attract mode.
#[tokio::test]
async fn a_grown_web_process_is_renewed_while_attract_mode_is_quiet() {
    let _one = ONE_AT_A_TIME.lock().await;
    // Slides that stay: only the renewal's own replay brings attract mode back to the new page.
    let extra = "idle_timeout_secs = 6\nattract_slide_secs = 900\nheartbeat_secs = 1\nweb_recycle_mib = 1\nweb_recycle_quiet_secs = 3\n";
    let k =
        Kiosk::start(Options { name: "web-process-renewed".into(), extra_config: extra.into(), ..Options::default() })
            .await;
    let app = k.app_pids()[0];
    // Attract mode until the process's baseline is taken (the app logs it).
    super::wait_for_attract(&k).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&k.app_log).unwrap_or_default().contains("web process settled at") {
        assert!(Instant::now() < deadline, "the web process's memory was never taken in quiet attract mode");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let first = web_processes(app);
    assert_eq!(first.len(), 1, "one web process: {first:?}");
    // A visitor opens every screen: the process grows by more than a MiB, but
    // nothing is renewed while a visitor is there.
    k.wait_testid("attract").await.click().await.unwrap();
    for screen in ["events-link", "music-link", "signup-link"] {
        k.wait_testid("home").await;
        k.wait_testid(screen).await.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        k.wait_testid("back").await.click().await.unwrap();
    }
    for i in 0..3 {
        k.wait_testid("home").await;
        k.all_testid("section-link").await.into_iter().nth(i).expect("a section").click().await.unwrap();
        k.wait_testid("section-view").await;
        k.wait_testid("back").await.click().await.unwrap();
    }
    k.wait_testid("home").await;
    assert_eq!(web_processes(app), first, "renewed under a visitor");
    // The visitor leaves: attract mode, quiet, then a new process, and the
    // page is back in attract mode (WebDriver's session ends with the old
    // process; the page's reports say what it shows).
    let left = jiff::Timestamp::now();
    new_web_process(app, &first, 60, "the grown web process was never renewed").await;
    let renewed = jiff::Timestamp::now();
    let back = reported_after(&k, renewed + jiff::SignedDuration::from_millis(500), "attract", 30).await;
    assert_eq!((back["web_renewals"].as_u64(), back["web_crashes"].as_u64()), (Some(1), Some(0)), "{back}");
    assert!(back["ui"]["items"].as_u64() >= Some(1), "a slide on show: {back}");
    assert_eq!(k.app_pids()[0], app, "the app went on: no restart");
    let log = std::fs::read_to_string(&k.app_log).unwrap();
    assert!(log.contains("renewing it while attract mode is quiet"), "the renewal is logged: {log}");
    assert!(
        // Attract mode (6 s after the last touch, a moment before `left`), then 3 s of it quiet.
        renewed.duration_since(left) >= jiff::SignedDuration::from_secs(8),
        "renewed {} after the visitor left: sooner than the idle timeout and the quiet",
        renewed.duration_since(left)
    );
    k.stop().await;
}

/// The app started straight (no WebDriver), killed when dropped.
struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        kiosk_e2e::terminate(&mut self.0);
    }
}

/// Sends SIGSTOP or SIGCONT to the app's WebKit web processes: a hung web view.
fn signal_web_processes(app: u32, signal: &str) -> usize {
    let web = web_processes(app);
    for p in &web {
        Command::new("kill").args([signal, &p.to_string()]).status().unwrap();
    }
    web.len()
}

#[tokio::test]
async fn the_watchdog_hears_a_kiosk_with_a_long_heartbeat_and_stops_hearing_a_hung_ui() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("content.kbundle");
    kiosk_content::build::build_bundle(
        &kiosk_e2e::repo_root().join("content"),
        &bundle,
        &Default::default(),
        &mut kiosk_content::source::NoProgress,
    )
    .unwrap();
    let config = dir.path().join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "bundle = {bundle:?}\ndata_dir = {:?}\nkiosk_id = \"watchdog\"\nwindow = \"windowed\"\nwindow_size = [1280, 800]\nfixed_now = \"{}\"\nheartbeat_secs = 120\n",
            dir.path().join("data"),
            kiosk_e2e::TEST_NOW
        ),
    )
    .unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".asoundrc"), "pcm.!default { type hw card 97 }\nctl.!default { type hw card 97 }\n")
        .unwrap();

    // systemd's side: a datagram socket, and what it heard, when.
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let heard: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let listener = {
        let (heard, done) = (heard.clone(), done.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(n) = socket.recv(&mut buf) {
                    heard.lock().unwrap().push((Instant::now(), String::from_utf8_lossy(&buf[..n]).into_owned()));
                }
            }
        })
    };
    let pings = |from: Instant, to: Instant| {
        heard.lock().unwrap().iter().filter(|(t, m)| *t >= from && *t < to && m == "WATCHDOG=1").count()
    };

    let screen = kiosk_e2e::bench::Screen::start(700);
    let began = Instant::now();
    let log = kiosk_e2e::artifacts_dir().join("logs/watchdog-app.log");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let app = App(screen
        .apply(&mut Command::new(kiosk_e2e::app_binary()))
        .env("EMBASSY_KIOSK_CONFIG", &config)
        .env("HOME", &home)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("NO_AT_BRIDGE", "1")
        .env("GTK_A11Y", "none")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "2000000")
        // The test process is the app's parent, as cage is under systemd: the watchdog is the app's to feed.
        .env("WATCHDOG_PID", std::process::id().to_string())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("the app starts"));

    // The UI comes up and reports; the first ping follows.
    let deadline = Instant::now() + Duration::from_secs(60);
    while pings(began, Instant::now()) == 0 {
        assert!(
            Instant::now() < deadline,
            "no WATCHDOG=1 within 60 s with heartbeat_secs = 120 and WATCHDOG_USEC = 2 s: systemd would restart a healthy kiosk (heard: {:?}; log {})",
            heard.lock().unwrap().iter().map(|(_, m)| m.clone()).collect::<Vec<_>>(),
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The app keeps systemd's socket to itself: no process it started (the web
    // process first, where a page that broke out would run) inherited it.
    let children: Vec<u32> = kiosk_e2e::procs::tree(app.0.id()).into_iter().skip(1).collect();
    let web = children.iter().filter(|p| {
        std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim().starts_with("WebKitWebProc"))
    });
    assert!(web.count() > 0, "the app has a web process: {children:?}");
    for p in &children {
        let environ = std::fs::read(format!("/proc/{p}/environ")).unwrap_or_default();
        let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
        for key in ["NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID="] {
            assert!(
                !environ.split(|&b| b == 0).any(|var| var.starts_with(key.as_bytes())),
                "the app's child {p} ({}) inherited {key}",
                comm.trim()
            );
        }
    }

    let from = Instant::now();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let alive = pings(from, Instant::now());
    // One every 2/3 s is 9 in 6 s; at least every second is 6. Generous, for a busy machine.
    assert!(alive >= 5, "a 2 s watchdog must hear at least every second: {alive} pings in 6 s");

    // The web view hangs: its reports stop, and so must the pings (after the 6 s the UI is given).
    assert!(signal_web_processes(app.0.id(), "-STOP") > 0, "the app has a web process to stop");
    tokio::time::sleep(Duration::from_secs(8)).await;
    let from = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let hung = pings(from, Instant::now());
    signal_web_processes(app.0.id(), "-CONT");
    assert_eq!(hung, 0, "a hung UI must get no watchdog pings, so that systemd restarts it");

    // It recovers: the pings come back.
    let from = Instant::now();
    let deadline = from + Duration::from_secs(20);
    while pings(from, Instant::now()) == 0 {
        assert!(Instant::now() < deadline, "the pings never came back after the UI recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(app);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    listener.join().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("heartbeats paused"), "the pause is logged: {text}");
}

#[tokio::test]
async fn the_panels_polling_does_not_keep_the_staff_session_open_on_the_server() {
    let _one = ONE_AT_A_TIME.lock().await;
    // Attract mode (which also closes the panel) far away; the panel's idle close at 10 s.
    let extra = format!("idle_timeout_secs = 3600\n{}idle_close_secs = 10\n", staff_config());
    let k = Kiosk::start(Options { name: "staff-idle".into(), extra_config: extra, ..Options::default() }).await;
    k.wait_testid("home").await;
    let unlock = || invoke(&k, "staff_unlock", serde_json::json!({ "pin": STAFF_PIN }));

    // The panel's refresh, every second for 14 s, and no staff touch.
    assert_eq!(unlock().await, "ok");
    let start = Instant::now();
    let mut answers = Vec::new();
    while start.elapsed() < Duration::from_secs(14) {
        answers.push((start.elapsed().as_secs(), invoke(&k, "staff_overview", serde_json::json!({})).await));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(answers.first().map(|a| a.1.as_str()), Some("ok"), "{answers:?}");
    assert_eq!(
        invoke(&k, "staff_sync_now", serde_json::json!({})).await,
        "staff_session_closed",
        "polling for longer than idle_close_secs must not keep the staff session open: {answers:?}"
    );
    assert!(
        answers.iter().filter(|(s, _)| *s >= 11).all(|(_, a)| a == "staff_session_closed"),
        "the refreshes after the idle time are refused too: {answers:?}"
    );

    // A staff touch (any touch while the panel is open) keeps it open however long the panel polls.
    assert_eq!(unlock().await, "ok");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(14) {
        assert_eq!(invoke(&k, "touch", serde_json::json!({})).await, "ok");
        let got = invoke(&k, "staff_overview", serde_json::json!({})).await;
        assert_eq!(got, "ok", "touched every 2 s, the session stays open ({:?})", start.elapsed());
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    k.stop().await;
}

#[tokio::test]
async fn a_staff_rollback_waiting_for_the_install_lock_does_not_freeze_the_screen() {
    let _one = ONE_AT_A_TIME.lock().await;
    let extra = format!("idle_timeout_secs = 3600\n{}", staff_config());
    let k =
        Kiosk::start(Options { name: "staff-rollback-lock".into(), extra_config: extra, ..Options::default() }).await;
    k.wait_testid("home").await;
    assert_eq!(invoke(&k, "staff_unlock", serde_json::json!({ "pin": STAFF_PIN })).await, "ok");

    // Another install holds the store's lock (as `kioskctl bundle install` would, mid-switch).
    let bundles = k.dir.path().join("data/bundles");
    std::fs::create_dir_all(&bundles).unwrap();
    // `flock(1)` holds it for 15 s, then lets go.
    let lock_path = bundles.join("install.lock");
    std::fs::write(&lock_path, b"").unwrap();
    let mut holder = Command::new("flock").arg(&lock_path).args(["sleep", "15"]).spawn().unwrap();
    let held = |pid: u32, waiting: bool| {
        std::fs::read_to_string("/proc/locks").unwrap_or_default().lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().filter(|w| *w != "->").collect();
            l.contains("->") == waiting && f.get(1) == Some(&"FLOCK") && f.get(4) == Some(&pid.to_string().as_str())
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !held(holder.id(), false) {
        assert!(Instant::now() < deadline, "flock(1) never took the install lock");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Staff press "Roll back": it waits for the lock. Meanwhile the screen must still answer —
    // a command run on the main thread would hold every answer until the lock is let go.
    let froze = |what: &str, holder: &mut std::process::Child| {
        assert!(
            holder.try_wait().unwrap().is_none(),
            "the screen must answer while a rollback waits for the install lock: {what} came only after the lock was let go"
        );
    };
    k.client
        .execute(
            "window.__rollback = window.__TAURI_INTERNALS__.invoke('staff_rollback', {}) \
               .then(() => 'ok', e => (e.code || '') + ': ' + (e.message || String(e))); return true;",
            vec![],
        )
        .await
        .unwrap();
    froze("the tap's own answer", &mut holder);
    // Once the kernel lists the app as waiting for the lock (`->` in /proc/locks), ask the screen again.
    let app = k.app_pids();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !app.iter().any(|&pid| held(pid, true)) {
        froze("the rollback's wait", &mut holder);
        assert!(Instant::now() < deadline, "the rollback never waited for the install lock: {app:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answered = k.client.execute("return document.querySelector('[data-testid=\"home\"]') !== null;", vec![]).await;
    froze("a question to the page", &mut holder);
    assert_eq!(answered.unwrap(), serde_json::json!(true));

    // Once the lock is free the rollback finishes with its own answer (nothing to roll back to here).
    holder.wait().unwrap();
    let outcome =
        k.client.execute_async("const done = arguments[0]; window.__rollback.then(done);", vec![]).await.unwrap();
    assert!(
        outcome.as_str().is_some_and(|o| o.starts_with("rollback_failed")),
        "with no update installed there is nothing to go back to: {outcome}"
    );
    k.stop().await;
}
