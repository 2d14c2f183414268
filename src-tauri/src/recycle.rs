//! The page's web process renewed when it has grown (kiosk_health::recycle
//! decides when): a thread looks every few seconds at the process's memory,
//! at what the UI says it shows and at the last touch, and when the process
//! is due, the window ends it — the page is loaded again in a new one
//! (crate::window) — unless a touch came in the meantime.

use std::path::Path;
use std::time::{Duration, Instant};

use kiosk_config::Config;
use kiosk_health::recycle::{LOOK_EVERY, Recycler, web_process};

use crate::managed::Managed;

const MIB: u64 = 1024 * 1024;

pub fn spawn(app: Managed, config: &Config) {
    if config.web_recycle_mib == 0 {
        return;
    }
    let growth = u64::from(config.web_recycle_mib) * MIB;
    let quiet = Duration::from_secs(config.web_recycle_quiet_secs.into());
    let mut recycler = Recycler::new(growth, quiet);
    let spawned = std::thread::Builder::new().name("recycle".into()).spawn(move || {
        loop {
            std::thread::sleep(LOOK_EVERY);
            let web = web_process(Path::new("/proc"), std::process::id());
            let kiosk = app.kiosk();
            kiosk.web_memory(web.map(|(_, bytes)| bytes));
            let settled = recycler.baseline();
            let due = recycler.look(Instant::now(), web, kiosk.attract_untouched(), kiosk.untouched_for());
            if let (None, Some(baseline)) = (settled, recycler.baseline()) {
                tracing::info!(
                    "the page's web process settled at {} MiB of private memory; renewed once it has grown by {} MiB",
                    baseline / MIB,
                    growth / MIB
                );
            }
            let Some(grown) = due else { continue };
            let still = app.clone();
            crate::window::recycle(app.app(), move || {
                // Asked again on the window's thread, just before: a visitor may have come.
                let k = still.kiosk();
                let quiet_now = k.attract_untouched() && k.untouched_for().is_none_or(|t| t >= quiet);
                if quiet_now {
                    tracing::info!(
                        "the page's web process has grown {} MiB since it settled: renewing it while attract mode is quiet",
                        grown / MIB
                    );
                }
                quiet_now
            });
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("the web process will not be renewed: {e}");
    }
}
