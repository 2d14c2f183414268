//! The heartbeat: every `heartbeat_secs`, while the UI keeps reporting what it
//! rendered, write `<data_dir>/heartbeat.json` and (if configured) POST the
//! same JSON to a monitor; and, on its own faster schedule when systemd set a
//! watchdog, tell the watchdog — also only while the UI reports. When the UI
//! goes quiet — a hung web view — both stop, and systemd restarts the kiosk.
//! A long `heartbeat_secs` does not starve the watchdog (see
//! kiosk_health::watchdog).
//!
//! What a heartbeat says: the UI's last report, the bundle on screen, the
//! audio, the signups waiting and the problems staff must look at — counts
//! and states only, never an address.
//!
//! With a `[metrics]` section each beat also goes to the Prometheus exporter
//! ([`start_metrics`]): node_exporter's textfile, and the page a `/metrics`
//! endpoint serves from its own thread.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_config::MetricsConfig;
use kiosk_health::prom::Exporter;
use kiosk_health::watchdog::{self, Pacer};
use kiosk_health::{Heartbeat, UiReport, ui_alive};
use kiosk_player::Status;

use crate::Kiosk;

/// The UI reports every 2 s; three missed reports and it no longer counts as rendering.
const UI_STALE_AFTER: Duration = Duration::from_secs(6);

/// How long a monitor may take to take a beat.
const POST_DEADLINE: Duration = Duration::from_secs(10);

/// Where the beats go and how often.
pub struct Beats {
    /// `heartbeat_secs`.
    pub every: Duration,
    /// systemd's watchdog period, when it set one.
    pub watchdog: Option<Duration>,
    /// systemd's notification socket.
    pub socket: Option<String>,
    /// `<data_dir>/heartbeat.json`.
    pub path: PathBuf,
    /// `heartbeat_url`, and the process's client to POST with.
    pub post_to: Option<(String, kiosk_http::Shared)>,
    /// The `[metrics]` exporter ([`start_metrics`]).
    pub metrics: Option<Arc<Exporter>>,
}

/// A POST to send without waiting for it (the shell runs it on its async runtime).
pub type Post = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Beats for ever on the calling thread; `spawn` sends a POST off this thread.
pub fn run(beats: Beats, kiosk: &Kiosk, spawn: impl Fn(Post) + Send + Sync) {
    let Beats { every, watchdog, socket, path, post_to, metrics } = beats;
    // The process's client: built on its first request (here, if first), not on the
    // window's start-up path (it loads the TLS roots), and only when used.
    let post_to = post_to.and_then(|(url, http)| http.get().ok().cloned().map(|client| (url, client)));
    let mut quiet_logged = false;
    let mut write_failed = false;
    let mut metrics_failed = false;
    let alive = || {
        let report = kiosk.ui_report();
        let alive = ui_alive(report.as_ref(), jiff::Timestamp::now(), UI_STALE_AFTER);
        if !alive && !quiet_logged && report.is_some() {
            tracing::warn!("the UI has stopped reporting; heartbeats paused");
            quiet_logged = true;
        }
        quiet_logged &= !alive;
        alive
    };
    let beat = || {
        let Some(report) = kiosk.ui_report() else { return };
        let beat = kiosk.heartbeat(report, jiff::Timestamp::now());
        match beat.write(&path) {
            Ok(()) => write_failed = false,
            Err(e) if !write_failed => {
                tracing::warn!("cannot write {}: {e}", path.display());
                write_failed = true;
            }
            Err(_) => {}
        }
        if let Some(m) = &metrics {
            match m.beat(&beat) {
                Ok(()) => metrics_failed = false,
                Err(e) if !metrics_failed => {
                    let file = m.textfile().unwrap_or_default();
                    tracing::warn!("cannot write the metrics textfile {}: {e}", file.display());
                    metrics_failed = true;
                }
                Err(_) => {}
            }
        }
        if let Some((url, client)) = &post_to {
            let request = client.post(url).timeout(POST_DEADLINE).json(&beat);
            spawn(Box::pin(async move {
                let _ = request.send().await; // the monitor alerts on missing beats, not on our errors
            }));
        }
    };
    watchdog::run(Pacer::new(every, watchdog, Instant::now()), socket.as_deref(), alive, beat, || true);
}

/// The `[metrics]` exporter for `kiosk_id`, beating every `every`; when
/// `listen` is set, `/metrics` is served there on a thread of its own. A
/// port that cannot be bound is logged and the kiosk runs on without it
/// (never dark for want of a metrics port); the textfile is still written.
pub fn start_metrics(config: &MetricsConfig, kiosk_id: &str, every: Duration) -> Arc<Exporter> {
    // `up` holds while the next beat is due: one interval, plus the time the UI
    // may stay silent before the beats stop.
    let exporter = Arc::new(Exporter::new(kiosk_id, &config.site, config.textfile_dir.clone(), every + UI_STALE_AFTER));
    if let Some(addr) = config.listen {
        let page = exporter.clone();
        let served = std::net::TcpListener::bind(addr)
            .and_then(|listener| kiosk_health::endpoint::spawn(listener, move || page.page(jiff::Timestamp::now())));
        match served {
            Ok(_) => tracing::info!("metrics served on http://{addr}/metrics"),
            Err(e) => tracing::warn!("metrics not served on {addr} (`metrics.listen`): {e}"),
        }
    }
    exporter
}

impl Kiosk {
    /// The heartbeat for `ui`, the UI's last report, at `now`.
    pub fn heartbeat(&self, ui: UiReport, now: jiff::Timestamp) -> Heartbeat {
        let bundle_version = self.bundle().meta().bundle_version;
        let (audio, audio_underruns) = {
            let music = self.music.lock();
            (audio_word(&music.status()), music.output().underruns())
        };
        let (counts, last_sync) = self.signups.status();
        let time = |t: &str| t.parse::<jiff::Timestamp>().ok();
        let web = self.web_process();
        Heartbeat {
            at_utc: now,
            kiosk_id: self.kiosk_id.clone(),
            ui,
            bundle_version,
            audio,
            sync_pending: counts.pending,
            sync_review: counts.review,
            last_sync_attempt_utc: last_sync.as_ref().and_then(|l| time(&l.attempt_utc)),
            last_sync_success_utc: last_sync.as_ref().and_then(|l| l.last_ok_utc.as_deref().and_then(time)),
            last_sync: last_sync
                .map(|l| format!("{} {}: {}", l.attempt_utc, if l.ok { "ok" } else { "failed" }, l.message)),
            problems: self.staff.problems.list(),
            web_memory_bytes: web.memory,
            web_renewals: web.renewals,
            web_crashes: web.crashes,
            audio_underruns,
        }
    }
}

/// `playing`, `paused`, `stopped`, or `unavailable` without a sound device.
fn audio_word(status: &Status) -> String {
    if !status.audio_available {
        return "unavailable".to_string();
    }
    serde_json::to_value(status.state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use kiosk_player::{PlayState, Status};

    use super::audio_word;

    fn status(state: PlayState, audio_available: bool) -> Status {
        Status { state, track: None, position_ms: 0, duration_ms: 0, volume: 0.5, quiet: false, audio_available }
    }

    #[test]
    fn the_monitor_reads_the_player_state_in_one_word() {
        assert_eq!(audio_word(&status(PlayState::Playing, true)), "playing");
        assert_eq!(audio_word(&status(PlayState::Paused, true)), "paused");
        assert_eq!(audio_word(&status(PlayState::Stopped, true)), "stopped");
    }

    #[test]
    fn no_sound_device_is_said_whatever_the_player_thinks() {
        assert_eq!(audio_word(&status(PlayState::Playing, false)), "unavailable");
    }
}
