//! The heartbeat: every `heartbeat_secs`, while the UI keeps reporting what it
//! rendered, write `<data_dir>/heartbeat.json` and (if configured) POST the
//! same JSON to a monitor; and, on its own faster schedule when systemd set a
//! watchdog (`WATCHDOG_USEC`, read at start: see crate::systemd), tell the watchdog — also only while the UI
//! reports. When the UI goes quiet — a hung web view — both stop, and systemd
//! restarts the kiosk. A long `heartbeat_secs` no longer starves the watchdog
//! (see kiosk_health::watchdog).

use std::time::{Duration, Instant};

use kiosk_config::Config;
use kiosk_health::ui_alive;
use kiosk_health::watchdog::{self, Pacer};

use crate::managed::Managed;

/// The UI reports every 2 s; three missed reports and it no longer counts as rendering.
const UI_STALE_AFTER: Duration = Duration::from_secs(6);

pub fn spawn(app: Managed, config: &Config, http: kiosk_http::Shared) {
    let every = Duration::from_secs(config.heartbeat_secs.into());
    let watchdog = crate::systemd::get().watchdog;
    for warning in config.warnings(watchdog) {
        tracing::warn!("{warning}");
    }
    if let Some(w) = watchdog {
        tracing::info!(
            "systemd's watchdog is {} ms: pinged every {} ms",
            w.as_millis(),
            watchdog::ping_every(w).as_millis()
        );
    }
    let socket = crate::systemd::get().socket.clone();
    let path = config.data_dir.join("heartbeat.json");
    let post_to = config.heartbeat_url.clone();
    let spawned = std::thread::Builder::new().name("heartbeat".into()).spawn(move || {
        // The process's client: built on its first request (here, if first), not on the
        // window's start-up path (it loads the TLS roots), and only when used.
        let client = post_to.as_ref().and_then(|_| http.get().ok().cloned());
        let mut quiet_logged = false;
        let mut write_failed = false;
        let alive = || {
            let report = app.kiosk().ui_report();
            let alive = ui_alive(report.as_ref(), jiff::Timestamp::now(), UI_STALE_AFTER);
            if !alive && !quiet_logged && report.is_some() {
                tracing::warn!("the UI has stopped reporting; heartbeats paused");
                quiet_logged = true;
            }
            quiet_logged &= !alive;
            alive
        };
        let beat = || {
            let kiosk = app.kiosk();
            let now = jiff::Timestamp::now();
            let Some(report) = kiosk.ui_report() else { return };
            let beat = kiosk.heartbeat(report, now);
            match beat.write(&path) {
                Ok(()) => write_failed = false,
                Err(e) if !write_failed => {
                    tracing::warn!("cannot write {}: {e}", path.display());
                    write_failed = true;
                }
                Err(_) => {}
            }
            if let (Some(url), Some(client)) = (&post_to, &client) {
                let request = client.post(url).timeout(Duration::from_secs(10)).json(&beat);
                tauri::async_runtime::spawn(async move {
                    let _ = request.send().await; // the monitor alerts on missing beats, not on our errors
                });
            }
        };
        watchdog::run(Pacer::new(every, watchdog, Instant::now()), socket.as_deref(), alive, beat, || true);
    });
    if let Err(e) = spawned {
        tracing::warn!("no heartbeat: {e}");
    }
}
