//! What the bench tools share: the release build's folder, percentiles, the
//! app's own sound marks in its log, an Xvfb screen (with a session bus) of
//! their own, and how the release kiosk and Chromium `--kiosk` are configured
//! and started on it, so that every bench compares the same two launches.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::repo_root;

/// `target/release` (or under `CARGO_TARGET_DIR`).
pub fn release_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("release")
}

/// The `q` quantile (0–1) of `sorted`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// `xs` sorted, for [`quantile`].
pub fn sorted(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs
}

/// The app's log lines for each sound of `what` (`"music"`, `"speech"`):
/// (ms from its command to its first audible sample handed to the device,
/// the command's time in µs since 1970), in order.
pub fn first_sound_marks(log: &Path, what: &str) -> Vec<(f64, u64)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&format!("{what}: ")))
        .filter_map(|l| {
            let rest = l.split("first sound handed to the device ").nth(1)?;
            let ms = rest.split(' ').next()?.parse().ok()?;
            let us = rest.split("unix_us=").nth(1)?.trim_end_matches(')').parse().ok()?;
            Some((ms, us))
        })
        .collect()
}

/// `at` by the wall clock, µs since 1970 (to line up with the app's marks).
pub fn unix_us(at: Instant) -> u64 {
    let now_wall = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_micros() as i128;
    let back = Instant::now().saturating_duration_since(at).as_micros() as i128;
    (now_wall - back) as u64
}

/// p50, p99 and max of `xs`.
pub fn summary(xs: Vec<f64>) -> (f64, f64, f64) {
    let xs = sorted(xs);
    (quantile(&xs, 0.5), quantile(&xs, 0.99), xs[xs.len() - 1])
}

/// An Xvfb screen (1920×1080 unless started with another size) with a
/// session bus, as the kiosk's session has (see packaging/kiosk-session);
/// both stopped when dropped.
pub struct Screen {
    xvfb: Child,
    bus: Child,
    /// Its display number (`DISPLAY=:n`).
    pub display: u32,
    /// The session bus (`DBUS_SESSION_BUS_ADDRESS`).
    pub bus_address: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

impl Screen {
    /// Starts a 1920×1080 one on a free display number from `base` on.
    pub fn start(base: u32) -> Screen {
        Screen::start_sized(base, (1920, 1080))
    }

    /// Starts one of `size` (width, height) on a free display number from `base` on.
    pub fn start_sized(base: u32, size: (u32, u32)) -> Screen {
        let display = crate::free_display(base);
        let xvfb = Command::new("Xvfb")
            .args([&format!(":{display}"), "-screen", "0", &format!("{}x{}x24", size.0, size.1), "-nolisten", "tcp"])
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (apt-get install xvfb)");
        while !Path::new(&format!("/tmp/.X11-unix/X{display}")).exists() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (bus, bus_address) = crate::session_bus();
        Screen { xvfb, bus, display, bus_address, size }
    }

    /// The X server's process id.
    pub fn xvfb_pid(&self) -> u32 {
        self.xvfb.id()
    }

    /// Points `cmd` at this screen and its bus.
    pub fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("DISPLAY", format!(":{}", self.display)).env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        // What the bus started on demand (the accessibility bus's launcher
        // and registry, for one) would outlive it.
        let started = crate::procs::with_env(&format!("DBUS_SESSION_BUS_ADDRESS={}", self.bus_address));
        let started: Vec<u32> = started.into_iter().filter(|&p| p != std::process::id()).collect();
        crate::procs::kill_all(&started.iter().flat_map(|&p| crate::procs::tree(p)).collect::<Vec<_>>());
        crate::terminate(&mut self.bus);
        crate::terminate(&mut self.xvfb);
    }
}

/// The kiosk the benches measure: the release build, or `KIOSK_BENCH_APP`.
pub fn kiosk_app() -> PathBuf {
    std::env::var_os("KIOSK_BENCH_APP").map(PathBuf::from).unwrap_or_else(|| release_dir().join("embassy-kiosk"))
}

/// Whether this process runs as root (Chromium then needs `--no-sandbox`).
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// A fullscreen kiosk config in `dir` on the bundle of `content` (built once,
/// by kioskctl as staff would: a calendar needs its reader), named `name`,
/// with `extra` config lines appended (e.g. `fixed_now = "…"`).
pub fn config_for(dir: &Path, idle_secs: u32, content: &Path, name: &str, extra: &str) -> PathBuf {
    let bundle = dir.join(format!("{name}.kbundle"));
    if !bundle.exists() {
        let o = Command::new(kiosk_app().with_file_name("kioskctl"))
            .args(["bundle", "build", content.to_str().unwrap(), "-o", bundle.to_str().unwrap()])
            .output()
            .expect("kioskctl is built beside the app");
        assert!(o.status.success(), "bundle build: {}", String::from_utf8_lossy(&o.stderr));
    }
    let config = dir.join(format!("{name}-{idle_secs}.toml"));
    std::fs::write(
        &config,
        format!(
            "bundle = {bundle:?}\ndata_dir = {:?}\nkiosk_id = \"bench\"\nwindow = \"fullscreen\"\nidle_timeout_secs = {idle_secs}\n{extra}",
            dir.join(format!("data-{name}"))
        ),
    )
    .expect("config");
    config
}

/// The release kiosk on `screen` as the service starts it, its own `home`
/// (WebKit's caches, an ALSA config); its log on a pipe (stderr).
pub fn kiosk_command(screen: &Screen, config: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(kiosk_app());
    screen
        .apply(&mut cmd)
        .arg("--config")
        .arg(config)
        .env("HOME", home)
        .env("NO_AT_BRIDGE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Chromium `--kiosk` on `screen` (its whole size) showing `url`, with its profile in `profile`.
pub fn chromium_command(screen: &Screen, url: &str, profile: &Path) -> Command {
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--kiosk",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-gpu",
        // Its crash handler would outlive the browser, run after run.
        "--disable-crash-reporter",
        "--disable-breakpad",
        "--noerrdialogs",
        "--password-store=basic",
        "--window-position=0,0",
    ])
    .arg(format!("--window-size={},{}", screen.size.0, screen.size.1))
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(url)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    screen.apply(&mut cmd);
    // Chromium refuses to run as root with its sandbox.
    if running_as_root() {
        cmd.arg("--no-sandbox");
    }
    cmd
}
