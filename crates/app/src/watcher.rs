//! Content updates in the running kiosk: a thread that looks at the inbox
//! folders and the bundle store every few seconds, installs what is signed
//! and newer, and hands the store's current bundle to the shell to put on
//! screen — also when `kioskctl bundle install|rollback` changed it. The
//! HTTPS manifest is polled on a thread of its own (`kiosk_updates::poller`),
//! so a slow server never holds up the inbox or the switch.

use std::time::{Duration, Instant};

use kiosk_config::{Config, UpdatesConfig};
use kiosk_content::Bundle;
use kiosk_updates::accept::Policy;
use kiosk_updates::inbox::Inbox;
use kiosk_updates::poller::{Jitter, PollReport, Poller};
use kiosk_updates::remote::Remote;
use kiosk_updates::store::{BundleStore, Outcome};

use crate::problems::Problems;

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
    pub problems: Problems,
}

impl Watcher {
    /// Runs for ever on its own thread; the HTTPS poller, if any, on another.
    /// `show` gets each bundle that becomes current, to put it on screen.
    pub fn spawn(mut self, mut show: impl FnMut(Bundle) + Send + 'static) {
        if let Some((remote, url, every)) = self.remote.take() {
            let poller = Poller {
                // Spread over the interval, so a fleet restarted together does not poll together.
                jitter: Jitter::for_kiosk(remote.kiosk_id()),
                remote,
                url: url.clone(),
                every,
                store: self.store.clone(),
                policy: self.policy.clone(),
                floor: self.floor,
            };
            let logged = url.clone();
            let mut held = HeldLog::default();
            if let Err(e) = poller.spawn(self.remote_due, move |report| log_poll(&logged, report, &mut held)) {
                tracing::warn!("content updates from {url} not polled: {e}");
            }
        }
        let spawned = std::thread::Builder::new().name("content-updates".into()).spawn(move || {
            loop {
                std::thread::sleep(self.poll);
                self.step(&mut show);
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("content updates not watched: {e}");
        }
    }

    fn step(&mut self, show: &mut impl FnMut(Bundle)) {
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
                show(bundle);
            }
            Err(e) => tracing::warn!("cannot open the bundle {}: {e}", path.display()),
        }
    }
}

/// What a kiosk held back by a staged rollout last said, so an admin reading
/// its log sees each stage once (at every change of version or percent), not
/// one line per poll.
#[derive(Default)]
struct HeldLog(Option<(u64, u8)>);

impl HeldLog {
    /// The line to log for this poll's hold, if it is news.
    fn news(&mut self, version: u64, percent: u8) -> Option<String> {
        (self.0.replace((version, percent)) != Some((version, percent))).then(|| {
            format!(
                "content version {version} is rolling out to {percent} % of kiosks, not yet to this one \
                 (chosen by its kiosk_id); it stays on its current content until the rollout is widened"
            )
        })
    }
}

fn log_poll(url: &str, report: &PollReport, held: &mut HeldLog) {
    match report {
        PollReport::Nothing => {}
        PollReport::Held { version, percent } => {
            if let Some(line) = held.news(*version, *percent) {
                tracing::info!("{line}");
            }
        }
        PollReport::Installed(i) => {
            held.0 = None;
            tracing::info!("installed content version {} from {url}", i.version)
        }
        PollReport::Rejected(r) => tracing::warn!("refused the bundle from {url} [{}]: {r}", r.code()),
        PollReport::Retry(e) => tracing::warn!("update server: {e}; will try again"),
        PollReport::Refused(e) => tracing::warn!("update from {url} refused: {e}; the current content stays"),
        PollReport::StoreFailed(e) => tracing::warn!("content update failed: {e}"),
    }
}

/// The bundle to show — the store's current one when an update was installed,
/// else the config's — and the watcher for further updates. A store bundle
/// that cannot be opened, or a store whose state is damaged, falls back to
/// the config's bundle: never nothing. Only a bad `[updates]` config stops the start.
pub fn open(
    config: &Config,
    u: &UpdatesConfig,
    factory: Bundle,
    problems: &Problems,
    http: &kiosk_http::Shared,
) -> Result<(Bundle, Option<Watcher>), String> {
    let policy = kiosk_updates::accept::Policy::from_config(u)?;
    let store = match kiosk_updates::store::BundleStore::open(&config.data_dir) {
        Ok(store) => store,
        Err(e) => {
            problems.add(format!("{e} (until it is fixed, updates are off and the config's bundle is shown)"));
            return Ok((factory, None));
        }
    };
    let floor = factory.meta().bundle_version;
    let current = match store.state() {
        Ok(state) => state.current,
        Err(e) => {
            problems.add_about(&e.to_string(), format!("{e} (until then the config's bundle is shown)"));
            None
        }
    };
    let (bundle, shown) = match current {
        Some(c) => match Bundle::open(&store.dir().join(&c.file)) {
            Ok(b) => (b, Some(c.file)),
            Err(e) => {
                problems.add(format!("the installed bundle {} cannot be opened ({e}); the config's is shown", c.file));
                (factory, None)
            }
        },
        None => (factory, None),
    };
    let remote = match &u.url {
        Some(url) => match kiosk_updates::remote::Remote::new(url, &store.dir().join("downloads"), http.clone())
            .map(|r| r.for_kiosk(&config.kiosk_id))
        {
            Ok(remote) => Some((remote, url.clone(), std::time::Duration::from_secs(u.url_poll_secs.into()))),
            Err(e) => {
                problems.add(format!("updates from {url} are off: {e}"));
                None
            }
        },
        None => None,
    };
    let watcher = Watcher {
        remote,
        remote_due: std::time::Instant::now(),
        store,
        policy,
        inbox: kiosk_updates::inbox::Inbox::new(u.inbox.clone()),
        floor,
        factory: config.bundle.clone(),
        poll: std::time::Duration::from_secs(u.poll_secs.into()),
        shown,
        problems: problems.clone(),
    };
    Ok((bundle, Some(watcher)))
}

#[cfg(test)]
mod tests {
    use super::HeldLog;

    /// A kiosk held back by a staged rollout logs it once per stage (at info,
    /// so an admin sees why this kiosk is not on the new content), not once
    /// per poll.
    #[test]
    fn a_hold_is_logged_once_per_stage() {
        let mut held = HeldLog::default();
        let first = held.news(12, 10).expect("the first hold is logged");
        assert!(first.contains("version 12") && first.contains("10 %"), "{first}");
        assert_eq!(held.news(12, 10), None, "the same stage again is not");
        assert!(held.news(12, 50).is_some(), "a widened stage is");
        assert!(held.news(13, 50).is_some(), "a new version is");
    }
}
