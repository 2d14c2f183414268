//! The kiosk's logs: one line per event to standard error (the journal, under
//! systemd) and, as JSON with time, level and source, to `<data_dir>/logs/kiosk.log`,
//! rotated at 5 MB with four older files kept (25 MB at most, for years).
//!
//! No personal data goes in: signups are logged as counts, never addresses or
//! names (the sync redacts addresses from server replies), and the staff PIN
//! is never logged — the e2e tests search the logs for both.

use std::sync::Mutex;

use kiosk_health::logfile::RotatingFile;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

const MAX_BYTES: u64 = 5 * 1024 * 1024;
const KEEP: usize = 4;

/// Starts logging; `RUST_LOG` may change the level (default `info`). A log
/// folder that cannot be written leaves the journal as the only log, and is
/// returned as a problem for staff.
pub fn init(data_dir: &std::path::Path) -> Option<String> {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false).without_time().with_filter(filter());
    let dir = data_dir.join("logs");
    let (file, failed) = match RotatingFile::open(&dir, "kiosk.log", MAX_BYTES, KEEP) {
        Ok(f) => (Some(fmt::layer().json().with_writer(Mutex::new(f)).with_filter(filter())), None),
        Err(e) => (None, Some(e)),
    };
    let _ = tracing_subscriber::registry().with(stderr).with(file).try_init();
    failed.map(|e| format!("no log file in {}: {e}; logging to the journal only", dir.display()))
}
