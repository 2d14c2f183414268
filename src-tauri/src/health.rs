//! The heartbeat's thread (its work is kiosk_app::heartbeat): the shell
//! gives it systemd's socket and watchdog period, read at start (see
//! crate::systemd), the managed kiosk, and its async runtime for the POSTs.

use std::time::Duration;

use kiosk_app::heartbeat::{self, Beats};
use kiosk_config::Config;
use kiosk_health::watchdog;

use crate::managed::Managed;

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
    let beats = Beats {
        every,
        watchdog,
        socket: crate::systemd::get().socket.clone(),
        path: config.data_dir.join("heartbeat.json"),
        post_to: config.heartbeat_url.clone().map(|url| (url, http)),
        metrics: config.metrics.as_ref().map(|m| heartbeat::start_metrics(m, &config.kiosk_id, every)),
    };
    let spawned = std::thread::Builder::new().name("heartbeat".into()).spawn(move || {
        heartbeat::run(beats, &app.kiosk(), |post| drop(tauri::async_runtime::spawn(post)));
    });
    if let Err(e) = spawned {
        tracing::warn!("no heartbeat: {e}");
    }
}
