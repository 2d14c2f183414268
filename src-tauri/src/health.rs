//! The heartbeat: every `heartbeat_secs`, while the UI keeps reporting what it
//! rendered, write `<data_dir>/heartbeat.json`, tell systemd's watchdog, and
//! (if configured) POST the same JSON to a monitor. When the UI goes quiet —
//! a hung web view — the heartbeats stop, and systemd restarts the kiosk.

use std::time::Duration;

use kiosk_config::Config;
use kiosk_health::{Heartbeat, ui_alive};
use tauri::{AppHandle, Manager};

use crate::commands::Kiosk;

/// The UI reports every 2 s; three missed reports and it no longer counts as rendering.
const UI_STALE_AFTER: Duration = Duration::from_secs(6);

pub fn spawn(app: AppHandle, config: &Config) {
    let every = Duration::from_secs(config.heartbeat_secs.into());
    let path = config.data_dir.join("heartbeat.json");
    let post_to = config.heartbeat_url.clone();
    let spawned = std::thread::Builder::new().name("heartbeat".into()).spawn(move || {
        // Built here, not on the window's start-up path (it loads the TLS roots), and only when used.
        let client =
            post_to.as_ref().and_then(|_| reqwest::Client::builder().timeout(Duration::from_secs(10)).build().ok());
        let mut quiet_logged = false;
        loop {
            std::thread::sleep(every);
            let kiosk = app.state::<Kiosk>();
            let now = jiff::Timestamp::now();
            let report = kiosk.ui_report.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if !ui_alive(report.as_ref(), now, UI_STALE_AFTER) {
                if !quiet_logged && report.is_some() {
                    tracing::warn!("the UI has stopped reporting; heartbeats paused");
                    quiet_logged = true;
                }
                continue;
            }
            quiet_logged = false;
            let beat = collect(&kiosk, report.expect("alive implies a report"), now);
            if let Err(e) = beat.write(&path) {
                tracing::warn!("cannot write {}: {e}", path.display());
            }
            let _ = kiosk_health::notify("WATCHDOG=1");
            if let (Some(url), Some(client)) = (&post_to, &client) {
                let request = client.post(url).json(&beat);
                tauri::async_runtime::spawn(async move {
                    let _ = request.send().await; // the monitor alerts on missing beats, not on our errors
                });
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("no heartbeat: {e}");
    }
}

fn collect(kiosk: &Kiosk, ui: kiosk_health::UiReport, now: jiff::Timestamp) -> Heartbeat {
    let bundle_version = kiosk.bundle.lock().unwrap_or_else(|p| p.into_inner()).meta().bundle_version;
    let status = kiosk.music.lock().status();
    let audio = if !status.audio_available {
        "unavailable".to_string()
    } else {
        serde_json::to_value(status.state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    };
    let (counts, last_sync) = kiosk.signups.status();
    Heartbeat {
        at_utc: now,
        kiosk_id: kiosk.kiosk_id.clone(),
        ui,
        bundle_version,
        audio,
        sync_pending: counts.pending,
        sync_review: counts.review,
        last_sync,
    }
}
