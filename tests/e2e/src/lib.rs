//! A harness that runs the real kiosk app the way a lobby screen does: its own
//! Xvfb display, the app in a real WebKitGTK window, driven over WebDriver by
//! `tauri-driver` and `WebKitWebDriver`. Each [`Kiosk`] gets its own display,
//! ports, config, bundle and data directory, so runs never share state.
//!
//! Needs: `Xvfb`, `WebKitWebDriver` (Debian `webkit2gtk-driver`), `tauri-driver`
//! (`cargo install tauri-driver --locked`) and the app built (`cargo build -p
//! embassy-kiosk`); `./dev test` sets all of that up.

pub mod bench;
pub mod procs;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use kiosk_content::build::{BuildOptions, build_bundle};
use kiosk_content::source::NoProgress;

/// The fixed "now" the tests run at, so upcoming events do not age with the calendar.
pub const TEST_NOW: &str = "2026-11-28T12:00:00Z";

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root exists")
}

/// Where screenshots and logs of a run go (kept after the run, for people to look at).
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("KIOSK_ARTIFACTS").map(PathBuf::from).unwrap_or_else(|| repo_root().join("artifacts"));
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

/// The app binary under test: `EMBASSY_KIOSK_BIN`, else the debug build in the target dir.
pub fn app_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("EMBASSY_KIOSK_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"));
    let bin = target.join("debug/embassy-kiosk");
    assert!(bin.exists(), "{} is missing: build it first with `cargo build -p embassy-kiosk`", bin.display());
    bin
}

/// How to start a kiosk.
#[derive(Debug, Clone)]
pub struct Options {
    /// Screen (and window) size in pixels.
    pub size: (u32, u32),
    /// Extra lines for the kiosk's config file.
    pub extra_config: String,
    /// Name used for log files.
    pub name: String,
    /// The app binary; default [`app_binary`].
    pub app: Option<PathBuf>,
    /// Whether the app gets a sound device.
    pub audio: Audio,
    /// A bundle to start on; default: one built from the demo content (`content/`).
    pub bundle: Option<PathBuf>,
}

/// The sound device the app sees, through its own ALSA config (`$HOME/.asoundrc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audio {
    /// A device that consumes sound at real time (ALSA's file plugin paced by `pv`).
    Paced,
    /// No usable device at all.
    Missing,
    /// This ALSA config, e.g. a PulseAudio device that records what it played
    /// (`kiosk_testsupport::pulse`).
    Asoundrc(String),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            size: (1920, 1080),
            extra_config: String::new(),
            name: "kiosk".into(),
            app: None,
            audio: Audio::Paced,
            bundle: None,
        }
    }
}

/// A child process killed when dropped, so a test that panics half-way
/// (even inside [`Kiosk::start`]) leaves no Xvfb or driver behind.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        terminate(&mut self.0);
    }
}

/// A running kiosk with its display and driver. Stop it with [`Kiosk::stop`];
/// dropping it also kills the processes.
pub struct Kiosk {
    /// The WebDriver session.
    pub client: Client,
    // Field order is drop order: an app of its own, the driver (and an app
    // under it), then their bus, then the display, and only then the folder
    // the app was writing into.
    attached: Option<Attached>,
    _driver: Reaped,
    _bus: Reaped,
    _xvfb: Reaped,
    /// The run's scratch folder (bundle, config, data).
    pub dir: tempfile::TempDir,
    /// The X display number.
    pub display: u32,
    /// The kiosk's config file (it names the app process, see [`Kiosk::kill_app`]).
    pub config: PathBuf,
    /// The app's stderr log (kept in the artifacts after the run).
    pub app_log: PathBuf,
    port: u16,
    caps: serde_json::Map<String, serde_json::Value>,
}

/// A kiosk app started on its own (see [`Kiosk::start_attached`]), and how to start it again.
struct Attached {
    app: Reaped,
    launch: Launch,
    /// The loopback port of the app's inspector server, which WebKitWebDriver connects to.
    inspector: u16,
}

impl Attached {
    /// Starts the app again, and waits until WebKitWebDriver can reach it.
    fn respawn(&mut self) {
        // The old app (if any is left) holds the inspector port and the data: gone first.
        terminate(&mut self.app.0);
        self.app = self.launch.spawn();
        self.wait_for_inspector();
    }

    fn wait_for_inspector(&self) {
        let inspector = self.inspector;
        wait_until("the app's inspector server", Duration::from_secs(60), || {
            std::net::TcpStream::connect(("127.0.0.1", inspector)).is_ok()
        });
    }
}

/// How the app is started: its binary and environment, its log.
struct Launch {
    binary: PathBuf,
    env: Vec<(&'static str, String)>,
    log: PathBuf,
}

impl Launch {
    fn spawn(&self) -> Reaped {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("the app's log");
        Reaped(
            Command::new(&self.binary)
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("{} starts: {e}", self.binary.display())),
        )
    }
}

/// A session bus of its own (`dbus-daemon --session`) and its address. The
/// kiosk's session has one (see packaging/kiosk-session); without it GLib
/// would start one through dbus-launch at every start of the app, and leave it.
pub fn session_bus() -> (Child, String) {
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon starts (apt-get install dbus)");
    let mut address = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(bus.stdout.take().expect("dbus-daemon's stdout")),
        &mut address,
    )
    .expect("dbus-daemon prints its address");
    (bus, address.trim().to_string())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

/// An X display number no running server holds, from `base` on (offset by
/// this process's id). A server that was killed without its clean-up leaves
/// its lock file and socket behind: the number counts as free again once the
/// lock's process is gone, and its leftovers are removed, so that waiting for
/// the new server's socket means waiting for the new server.
pub fn free_display(base: u32) -> u32 {
    let start = base + (std::process::id() % 400);
    (start..start + 400)
        .find(|n| {
            let (lock, socket) = (format!("/tmp/.X{n}-lock"), format!("/tmp/.X11-unix/X{n}"));
            match std::fs::read_to_string(&lock) {
                Ok(pid) if !pid.trim().parse::<u32>().is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists()) => {
                    let _ = std::fs::remove_file(&lock);
                    let _ = std::fs::remove_file(&socket);
                    true
                }
                Ok(_) => false,
                Err(_) => !Path::new(&socket).exists(),
            }
        })
        .expect("a free X display number")
}

/// Stops a child with SIGTERM, so it can clean up after itself (an X server
/// removes its lock and socket), and with SIGKILL if it is not gone in 3 s.
pub fn terminate(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes what one kiosk run reads into `dir`: the demo bundle (unless the
/// options name another), the config, and the app's own HOME with its ALSA
/// config. Returns the config's path and HOME.
fn write_files(dir: &Path, opts: &Options) -> (PathBuf, PathBuf) {
    let bundle = match &opts.bundle {
        Some(bundle) => bundle.clone(),
        None => {
            let bundle = dir.join("content.kbundle");
            build_bundle(&repo_root().join("content"), &bundle, &BuildOptions::default(), &mut NoProgress)
                .expect("the demo content builds");
            bundle
        }
    };
    let config = dir.join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "bundle = {:?}\ndata_dir = {:?}\nkiosk_id = \"e2e\"\nwindow = \"windowed\"\nwindow_size = [{}, {}]\nfixed_now = \"{TEST_NOW}\"\n{}\n",
            bundle,
            dir.join("data"),
            opts.size.0,
            opts.size.1,
            opts.extra_config
        ),
    )
    .expect("write config");

    // The app's own HOME: its ALSA config, and WebKit's caches kept apart from other runs.
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("home dir");
    let asoundrc = match &opts.audio {
        Audio::Asoundrc(text) => text.as_str(),
        Audio::Paced => {
            "pcm.!default { type plug slave { pcm \"kiosk_out\" format S16_LE rate 44100 channels 2 } }\n\
                         pcm.kiosk_out { type file slave.pcm \"null\" file \"|pv -q -L 176400 > /dev/null\" format \"raw\" }\n"
        }
        Audio::Missing => "pcm.!default { type hw card 97 }\nctl.!default { type hw card 97 }\n",
    };
    std::fs::write(home.join(".asoundrc"), asoundrc).expect("write .asoundrc");
    (config, home)
}

/// Starts Xvfb on `display` at `size` and waits for its socket.
fn start_xvfb(display: u32, size: (u32, u32), stderr: Stdio) -> Reaped {
    let xvfb = Reaped(
        Command::new("Xvfb")
            .arg(format!(":{display}"))
            .args(["-screen", "0", &format!("{}x{}x24", size.0, size.1), "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("Xvfb starts (apt-get install xvfb)"),
    );
    wait_until("Xvfb", Duration::from_secs(15), || Path::new(&format!("/tmp/.X11-unix/X{display}")).exists());
    xvfb
}

impl Kiosk {
    /// Builds the demo bundle, starts Xvfb, tauri-driver and the app, and connects.
    pub async fn start(opts: Options) -> Kiosk {
        Kiosk::launch(opts, false).await
    }

    /// Like [`Kiosk::start`], but the app is started on its own, with its
    /// automation allowed and WebKit's inspector server on a loopback port,
    /// and WebKitWebDriver attaches to it (`--target`). Its sessions then
    /// outlive nothing of the app's: when the page's web process is replaced
    /// (a renewal, a crash) WebKit ends the session, and [`Kiosk::reconnect`]
    /// opens a new one on the same app, where under tauri-driver a new session
    /// would start a second app.
    pub async fn start_attached(opts: Options) -> Kiosk {
        Kiosk::launch(opts, true).await
    }

    async fn launch(opts: Options, attach: bool) -> Kiosk {
        let dir = tempfile::tempdir().expect("scratch dir");
        let (config, home) = write_files(dir.path(), &opts);
        let display = free_display(100);
        let logs = artifacts_dir().join("logs");
        std::fs::create_dir_all(&logs).expect("logs dir");
        let log = |suffix: &str| {
            std::fs::File::create(logs.join(format!("{}-{suffix}.log", opts.name))).map(Stdio::from).expect("log file")
        };
        let xvfb = start_xvfb(display, opts.size, log("xvfb"));

        let (bus, bus_address) = session_bus();
        let bus = Reaped(bus);
        let port = free_port();
        let app_log = logs.join(format!("{}-app.log", opts.name));
        let binary = opts.app.clone().unwrap_or_else(app_binary);
        let mut env = vec![
            ("DISPLAY", format!(":{display}")),
            ("DBUS_SESSION_BUS_ADDRESS", bus_address.clone()),
            ("EMBASSY_KIOSK_CONFIG", config.display().to_string()),
            ("HOME", home.display().to_string()),
            ("WEBKIT_DISABLE_COMPOSITING_MODE", "1".into()),
            ("NO_AT_BRIDGE", "1".into()),
            ("GTK_A11Y", "none".into()),
        ];
        let mut caps = serde_json::Map::new();
        let (driver, attached) = if attach {
            // What tauri-driver and WebKitWebDriver would set for an app they launch.
            let inspector = free_port();
            env.push(("TAURI_WEBVIEW_AUTOMATION", "true".into()));
            env.push(("WEBKIT_INSPECTOR_SERVER", format!("127.0.0.1:{inspector}")));
            // A fresh log for this run; a relaunch appends to it.
            std::fs::File::create(&app_log).expect("the app's log");
            let launch = Launch { binary, env, log: app_log.clone() };
            let attached = Attached { app: launch.spawn(), launch, inspector };
            attached.wait_for_inspector();
            let driver = Reaped(
                Command::new("/usr/bin/WebKitWebDriver")
                    .args([format!("--port={port}"), format!("--target=127.0.0.1:{inspector}")])
                    .stdout(log("driver"))
                    .stderr(log("driver-errors"))
                    .spawn()
                    .expect("WebKitWebDriver starts (apt-get install webkit2gtk-driver)"),
            );
            wait_until("WebKitWebDriver", Duration::from_secs(20), || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            });
            (driver, Some(attached))
        } else {
            let native_port = free_port();
            let driver = Reaped(
                Command::new(tauri_driver())
                    .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
                    .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
                    .envs(env.iter().map(|(k, v)| (k, v)))
                    .stdout(log("driver"))
                    .stderr(log("app"))
                    .spawn()
                    .expect("tauri-driver starts (cargo install tauri-driver --locked)"),
            );
            // tauri-driver listens at once but proxies to WebKitWebDriver, which
            // takes a moment longer: wait for both, or the first session races it.
            wait_until("tauri-driver and WebKitWebDriver", Duration::from_secs(20), || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && std::net::TcpStream::connect(("127.0.0.1", native_port)).is_ok()
            });
            caps.insert("tauri:options".into(), serde_json::json!({ "application": binary }));
            (driver, None)
        };

        // An app that exits at start (a config it refuses) leaves the session
        // waiting for ever: give up with a pointer to its log instead.
        let client = tokio::time::timeout(Duration::from_secs(90), session(port, &caps))
            .await
            .unwrap_or_else(|_| panic!("no WebDriver session within 90 s; see {}", app_log.display()));
        Kiosk { client, dir, attached, _driver: driver, _bus: bus, _xvfb: xvfb, display, config, app_log, port, caps }
    }

    /// SIGKILLs the app process (as a power cut or crash would end it) and
    /// waits until it is gone; returns how many processes were killed.
    pub fn kill_app(&self) -> usize {
        let pids = self.app_pids();
        for pid in &pids {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        wait_until("the killed app to vanish", Duration::from_secs(10), || self.app_pids().is_empty());
        pids.len()
    }

    /// The app's processes: found by the config path in their environment.
    pub fn app_pids(&self) -> Vec<u32> {
        let needle = format!("EMBASSY_KIOSK_CONFIG={}", self.config.display());
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
            if comm.trim() == "embassy-kiosk" && environ.split(|&b| b == 0).any(|var| var == needle.as_bytes()) {
                pids.push(pid);
            }
        }
        pids
    }

    /// Starts the app again (a new WebDriver session) after it died.
    pub async fn relaunch(&mut self) {
        let _ = self.client.clone().close().await;
        if let Some(attached) = &mut self.attached {
            attached.respawn();
        }
        self.client = session(self.port, &self.caps).await;
    }

    /// A new WebDriver session on the same app, for a kiosk started with
    /// [`Kiosk::start_attached`] whose session WebKit ended with the page's web process.
    pub async fn reconnect(&mut self) {
        assert!(self.attached.is_some(), "reconnect needs a kiosk from Kiosk::start_attached");
        let _ = self.client.clone().close().await;
        self.client = session(self.port, &self.caps).await;
    }

    /// Waits for an element by `data-testid`.
    pub async fn wait_testid(&self, id: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(&format!("[data-testid=\"{id}\"]")))
            .await
            .unwrap_or_else(|e| panic!("element [data-testid={id}] never appeared: {e}"))
    }

    /// Presses and releases one key, as a USB keypad does; returns when the press was sent.
    pub async fn press(&self, key: fantoccini::key::Key) -> std::time::Instant {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let c: char = key.into();
        let actions =
            KeyActions::new("keypad".into()).then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
        let at = std::time::Instant::now();
        self.client.perform_actions(actions).await.expect("a key press");
        at
    }

    /// All elements with a `data-testid`.
    pub async fn all_testid(&self, id: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(&format!("[data-testid=\"{id}\"]"))).await.expect("find_all")
    }

    /// Saves a screenshot of the whole X display (what a visitor would see) as
    /// `artifacts/screenshots/<name>.png`, checks it is not blank, and returns its path.
    ///
    /// Taken with ImageMagick's `import` from the X server rather than through
    /// WebDriver: it shows the real window's pixels, and WebKitWebDriver's own
    /// snapshot can stall on a freshly loaded page.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // Let transitions and fonts settle before the picture is taken.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let out = Command::new("import")
            .args(["-display", &format!(":{}", self.display), "-window", "root", "png:-"])
            .output()
            .expect("ImageMagick's import runs (apt-get install imagemagick)");
        assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
        let png = out.stdout;
        let dir = artifacts_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png).expect("write screenshot");
        assert_not_blank(&png, &path);
        path
    }

    /// Ends the session and stops the processes.
    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
    }
}

async fn session(port: u16, caps: &serde_json::Map<String, serde_json::Value>) -> Client {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(client) => return client,
            Err(e) if attempt < 3 => {
                eprintln!("WebDriver session attempt {attempt} failed ({e}); retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("no WebDriver session with the kiosk app after {attempt} attempts: {e}"),
        }
    }
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return p.into();
    }
    let home_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin/tauri-driver"));
    match home_bin {
        Some(p) if p.exists() => p,
        _ => "tauri-driver".into(),
    }
}

/// Fails unless the PNG shows a real screen: many colours (text is anti-aliased),
/// no single colour covering almost everything (a blank white window fails).
pub fn assert_not_blank(png_bytes: &[u8], path: &Path) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG screenshot");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let mut counts = std::collections::HashMap::new();
    for p in pixels.iter().step_by(7) {
        *counts.entry(&p[..3]).or_insert(0usize) += 1;
    }
    let sampled: usize = counts.values().sum();
    let top = counts.values().max().copied().unwrap_or(0);
    assert!(
        counts.len() > 30 && top * 100 / sampled.max(1) < 95,
        "screenshot {} looks blank: {} colours, the commonest covers {}%",
        path.display(),
        counts.len(),
        top * 100 / sampled.max(1)
    );
}
