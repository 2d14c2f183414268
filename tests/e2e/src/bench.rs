//! What the bench tools share: the release build's folder, percentiles, and
//! an Xvfb screen (with a session bus) of their own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
