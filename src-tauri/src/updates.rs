//! Content updates in the running kiosk: a thread that looks at the inbox
//! folders and the bundle store every few seconds, installs what is signed
//! and newer, and switches the UI and the attract loop to the store's current
//! bundle — also when `kioskctl bundle install|rollback` changed it. The
//! HTTPS manifest is polled on a thread of its own (`kiosk_updates::poller`),
//! so a slow server never holds up the inbox or the switch.

use std::time::{Duration, Instant};

use kiosk_content::Bundle;
use kiosk_updates::accept::Policy;
use kiosk_updates::inbox::Inbox;
use kiosk_updates::poller::{PollReport, Poller};
use kiosk_updates::remote::Remote;
use kiosk_updates::store::{BundleStore, Outcome};
use tauri::Emitter;

use crate::managed::Managed;

/// What the watcher needs.
pub struct Watcher {
    pub store: BundleStore,
    pub policy: Policy,
    pub inbox: Inbox,
    /// The config's bundle version: nothing at or below it is installed.
    pub floor: u64,
    /// The config's bundle: shown when the store has none current (never installed, or rolled back to it).
    pub factory: std::path::PathBuf,
    pub poll: Duration,
    /// The store's current bundle file the UI shows (None: the config's bundle).
    pub shown: Option<String>,
    /// The HTTPS manifest to poll, its interval, and when it is next due.
    pub remote: Option<(Remote, String, Duration)>,
    pub remote_due: Instant,
    /// Where a damaged store state is reported (once, not at every poll).
    pub problems: crate::problems::Problems,
}

impl Watcher {
    /// Runs for ever on its own thread; the HTTPS poller, if any, on another.
    pub fn spawn(mut self, app: Managed) {
        if let Some((remote, url, every)) = self.remote.take() {
            let poller = Poller {
                remote,
                url: url.clone(),
                every,
                store: self.store.clone(),
                policy: self.policy.clone(),
                floor: self.floor,
            };
            let logged = url.clone();
            if let Err(e) = poller.spawn(self.remote_due, move |report| log_poll(&logged, report)) {
                tracing::warn!("content updates from {url} not polled: {e}");
            }
        }
        let spawned = std::thread::Builder::new().name("content-updates".into()).spawn(move || {
            loop {
                std::thread::sleep(self.poll);
                self.step(&app);
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("content updates not watched: {e}");
        }
    }

    fn step(&mut self, app: &Managed) {
        for file in self.inbox.poll() {
            let dir = file.parent().map(|d| d.display().to_string()).unwrap_or_default();
            match self.store.install(&file, &self.policy, self.floor, &format!("inbox {dir}")) {
                Ok(Outcome::Installed(i)) => {
                    tracing::info!("installed content version {} from {}", i.version, file.display())
                }
                Ok(Outcome::Rejected(r)) => {
                    tracing::warn!("refused {} [{}]: {r}; the current content stays", file.display(), r.code())
                }
                Err(e) => tracing::warn!("content update failed: {e}"),
            }
        }
        let current = match self.store.state() {
            Ok(state) => state.current,
            Err(e) => {
                self.problems.add_about(&e.to_string(), format!("{e} (the content on screen stays)"));
                return;
            }
        };
        let file = current.map(|c| c.file);
        if self.shown == file {
            return;
        }
        let path = file.as_ref().map_or_else(|| self.factory.clone(), |f| self.store.dir().join(f));
        match Bundle::open(&path) {
            Ok(bundle) => {
                self.shown = file;
                switch_to(app, bundle);
            }
            Err(e) => tracing::warn!("cannot open the bundle {}: {e}", path.display()),
        }
    }
}

fn log_poll(url: &str, report: &PollReport) {
    match report {
        PollReport::Nothing => {}
        PollReport::Installed(i) => tracing::info!("installed content version {} from {url}", i.version),
        PollReport::Rejected(r) => tracing::warn!("refused the bundle from {url} [{}]: {r}", r.code()),
        PollReport::Retry(e) => tracing::warn!("update server: {e}; will try again"),
        PollReport::Refused(e) => tracing::warn!("update from {url} refused: {e}; the current content stays"),
        PollReport::StoreFailed(e) => tracing::warn!("content update failed: {e}"),
    }
}

/// Puts `bundle` in front of visitors: IPC reads it from now on, the attract
/// loop gets its slides, and the UI reloads in place.
fn switch_to(app: &Managed, bundle: Bundle) {
    let kiosk = app.kiosk();
    let version = bundle.meta().bundle_version;
    let slides = crate::attract_slides(&bundle, kiosk.clock.now());
    *kiosk.bundle.lock().unwrap_or_else(|p| p.into_inner()) = bundle;
    kiosk.attract.content_changed(slides);
    let _ = app.app().emit("content", version);
    tracing::info!("showing content version {version}");
}
