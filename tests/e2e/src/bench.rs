//! What the bench tools share: the release build's folder, percentiles, the
//! app's own sound marks in its log, and an Xvfb screen (with a session bus)
//! of their own.

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

/// A 1920×1080 Xvfb screen with a session bus, as the kiosk's session has
/// (see packaging/kiosk-session); both stopped when dropped.
pub struct Screen {
    xvfb: Child,
    bus: Child,
    /// Its display number (`DISPLAY=:n`).
    pub display: u32,
    /// The session bus (`DBUS_SESSION_BUS_ADDRESS`).
    pub bus_address: String,
}

impl Screen {
    /// Starts one on a free display number from `base` on.
    pub fn start(base: u32) -> Screen {
        let display = crate::free_display(base);
        let xvfb = Command::new("Xvfb")
            .args([&format!(":{display}"), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (apt-get install xvfb)");
        while !Path::new(&format!("/tmp/.X11-unix/X{display}")).exists() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (bus, bus_address) = crate::session_bus();
        Screen { xvfb, bus, display, bus_address }
    }

    /// Points `cmd` at this screen and its bus.
    pub fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("DISPLAY", format!(":{}", self.display)).env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        crate::terminate(&mut self.bus);
        crate::terminate(&mut self.xvfb);
    }
}
