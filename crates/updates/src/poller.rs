//! The HTTPS poller on a thread of its own. A server that is slow or hostile
//! can hold this thread until its deadlines cut it off, and nothing else: the
//! inbox watcher, the live switch, `kioskctl bundle install|rollback` and the
//! staff panel's rollback never wait for it. It downloads without the install
//! lock and takes it only for the install's short switch (see [`crate::store`]).
//!
//! Polls are spread ([`Jitter`]): a fleet that polls on the minute would hit
//! the server together — after a power cut that restarts every kiosk at
//! once, or when a new bundle is published and all of them download it in
//! the same second. The first poll comes at a random point of the first
//! interval or minute, whichever is shorter, drawn afresh at every start, and each interval is stretched or shrunk by up to
//! [`Jitter::SPREAD`]; the random stream is seeded from the kiosk's id, so a
//! test can replay it without sleeping.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::accept::{Policy, Rejection};
use crate::remote::{Poll, Remote, RemoteError};
use crate::store::{BundleStore, Installed, Outcome};

/// What one poll came to, for the log.
#[derive(Debug)]
pub enum PollReport {
    /// Nothing new (304, or nothing newer than what is installed).
    Nothing,
    /// A newer version in a staged rollout this kiosk is not part of yet.
    Held {
        /// The version held back.
        version: u64,
        /// The manifest's `rollout_percent`.
        percent: u8,
    },
    /// A newer bundle was downloaded and installed.
    Installed(Installed),
    /// A downloaded bundle was refused by the usual checks; the current one stays.
    Rejected(Rejection),
    /// The server could not be reached or cut off: tried again at the next poll.
    Retry(String),
    /// The manifest or the download is not acceptable.
    Refused(String),
    /// The store itself failed (disk, permissions).
    StoreFailed(String),
}

/// Polls one manifest URL every `every` and installs what it finds.
pub struct Poller {
    /// The manifest.
    pub remote: Remote,
    /// Its URL, for the install's `source`.
    pub url: String,
    /// Time between polls.
    pub every: Duration,
    /// Where bundles are installed.
    pub store: BundleStore,
    /// The checks every bundle passes.
    pub policy: Policy,
    /// The config's bundle version: nothing at or below it is installed.
    pub floor: u64,
    /// How [`Poller::spawn`] spreads the polls ([`Jitter::none`]: not at all).
    pub jitter: Jitter,
}

/// When the next poll comes: the first at a random point of the first
/// interval, then every interval ± [`Jitter::SPREAD`].
pub struct Jitter {
    rng: fastrand::Rng,
    spread: f64,
}

impl Jitter {
    /// How much each interval is stretched or shrunk at most: ±15 %.
    pub const SPREAD: f64 = 0.15;

    /// The stream of a kiosk, seeded from its id (a random seed without one).
    pub fn for_kiosk(kiosk_id: Option<&str>) -> Jitter {
        use sha2::Digest;
        let rng = match kiosk_id {
            Some(id) => {
                let digest = sha2::Sha256::digest(id.as_bytes());
                let mut seed = [0u8; 8];
                seed.copy_from_slice(&digest[..8]);
                fastrand::Rng::with_seed(u64::from_le_bytes(seed))
            }
            None => fastrand::Rng::new(),
        };
        Jitter { rng, spread: Jitter::SPREAD }
    }

    /// No spreading at all: the first poll at once, then exactly every interval.
    pub fn none() -> Jitter {
        Jitter { rng: fastrand::Rng::with_seed(0), spread: 0.0 }
    }

    /// The longest wait before the first poll: a kiosk just started (a new
    /// install, a restart after a crash) must not wait a whole interval for content.
    pub const FIRST_AT_MOST: Duration = Duration::from_secs(60);

    /// The wait before the first poll: in `[0, min(every, FIRST_AT_MOST))`
    /// (none without jitter), drawn afresh at every start — a kiosk that
    /// restarts in a loop must not draw the same long wait each time and never poll.
    pub fn first(&mut self, every: Duration) -> Duration {
        if self.spread == 0.0 { Duration::ZERO } else { every.min(Self::FIRST_AT_MOST).mul_f64(fastrand::f64()) }
    }

    /// The wait between two polls: `every` ± [`Jitter::SPREAD`].
    pub fn next(&mut self, every: Duration) -> Duration {
        every.mul_f64(1.0 + self.spread * (2.0 * self.rng.f64() - 1.0))
    }
}

/// Stops a spawned [`Poller`] at its next turn (a request in flight ends at its deadline).
#[derive(Clone, Default)]
pub struct StopPoller(Arc<AtomicBool>);

impl StopPoller {
    /// Asks the poller to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Poller {
    /// One poll, on `runtime`: fetch the manifest, download what is newer, install it.
    pub fn poll_once(&mut self, runtime: &tokio::runtime::Runtime) -> PollReport {
        match runtime.block_on(self.fetch()) {
            Ok(file) => self.install(&file),
            Err(report) => report,
        }
    }

    /// The network half of a poll: the manifest and, if it names a newer
    /// bundle this kiosk is to install, the download. `Ok` is the downloaded
    /// file for [`Poller::install`]; `Err` is what the poll came to without one.
    pub async fn fetch(&mut self) -> Result<PathBuf, PollReport> {
        let highest = match self.store.state() {
            Ok(s) => s.highest_version.max(self.floor),
            Err(e) => return Err(PollReport::StoreFailed(e.to_string())),
        };
        match self.remote.poll(&self.policy, highest).await {
            Ok(Poll::Downloaded(file)) => Ok(file),
            Ok(Poll::Unchanged | Poll::UpToDate(_)) => Err(PollReport::Nothing),
            Ok(Poll::Held { version, percent }) => Err(PollReport::Held { version, percent }),
            Err(RemoteError::Fetch(e)) => Err(PollReport::Retry(e)),
            Err(e) => Err(PollReport::Refused(e.to_string())),
        }
    }

    /// The disk half of a poll (blocking): installs a file [`Poller::fetch`]
    /// downloaded, through the usual checks, and removes the download.
    pub fn install(&self, file: &Path) -> PollReport {
        let report = match self.store.install(file, &self.policy, self.floor, &format!("https {}", self.url)) {
            Ok(Outcome::Installed(i)) => PollReport::Installed(i),
            Ok(Outcome::Rejected(r)) => PollReport::Rejected(r),
            Err(e) => PollReport::StoreFailed(e.to_string()),
        };
        let _ = std::fs::remove_file(crate::sign::signature_path(file));
        let _ = std::fs::remove_file(file);
        report
    }

    /// Runs on a thread of its own: first at `first` plus a random part of
    /// `every` (a minute at most), then every `every` ± [`Jitter::SPREAD`] (as its [`Jitter`]
    /// says), telling `report` what each poll came to. Returns the thread and
    /// its stop switch.
    pub fn spawn(
        mut self,
        first: Instant,
        mut report: impl FnMut(&PollReport) + Send + 'static,
    ) -> std::io::Result<(JoinHandle<()>, StopPoller)> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let stop = StopPoller::default();
        let stopped = stop.clone();
        let thread = std::thread::Builder::new().name("content-https".into()).spawn(move || {
            let mut due = first + self.jitter.first(self.every);
            while !stopped.0.load(Ordering::SeqCst) {
                let now = Instant::now();
                if now < due {
                    // Short naps, so a stop is heard within a second.
                    std::thread::sleep((due - now).min(Duration::from_secs(1)));
                    continue;
                }
                due = now + self.jitter.next(self.every);
                report(&self.poll_once(&runtime));
            }
        })?;
        Ok((thread, stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #20: the first polls of a fleet cover the first minute (a restart
    /// draws again), the later ones stay within ±15 % of the interval, and a
    /// kiosk's interval stream is seeded from its id but differs between kiosks.
    #[test]
    fn polls_are_spread_over_the_interval_and_stable_per_kiosk() {
        let every = Duration::from_secs(600);
        let firsts: Vec<Duration> =
            (0..500).map(|i| Jitter::for_kiosk(Some(&format!("lobby-{i}"))).first(every)).collect();
        assert!(firsts.iter().all(|d| *d < Jitter::FIRST_AT_MOST), "a first poll waits a minute at most");
        // Ten bins of six seconds each: every bin gets some kiosks, none gets most.
        let mut bins = [0usize; 10];
        for d in &firsts {
            bins[(d.as_secs() / 6) as usize] += 1;
        }
        assert!(bins.iter().all(|&n| (20..=80).contains(&n)), "first polls bunched: {bins:?}");
        // A restart draws again: the same kiosk does not get the same first wait every time.
        let restarts: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| Jitter::for_kiosk(Some("lobby-1")).first(every)).collect();
        assert!(restarts.len() > 10, "a restarting kiosk draws the same first wait: {restarts:?}");

        let mut j = Jitter::for_kiosk(Some("lobby-1"));
        let gaps: Vec<Duration> = (0..1000).map(|_| j.next(every)).collect();
        let (lo, hi) = (every.mul_f64(1.0 - Jitter::SPREAD), every.mul_f64(1.0 + Jitter::SPREAD));
        assert!(gaps.iter().all(|g| (lo..=hi).contains(g)), "an interval outside ±15 %");
        let shortest = gaps.iter().min().unwrap();
        let longest = gaps.iter().max().unwrap();
        assert!(
            *shortest < every.mul_f64(0.9) && *longest > every.mul_f64(1.1),
            "intervals not spread: {shortest:?}..{longest:?}"
        );
        let mean = gaps.iter().sum::<Duration>() / gaps.len() as u32;
        assert!(mean.abs_diff(every) < every / 50, "the mean interval drifts: {mean:?}");

        let again: Vec<Duration> = {
            let mut j = Jitter::for_kiosk(Some("lobby-1"));
            (0..1000).map(|_| j.next(every)).collect()
        };
        assert_eq!(gaps, again, "the same kiosk, the same stream");
        let mut other = Jitter::for_kiosk(Some("lobby-2"));
        assert_ne!(gaps[..10], (0..10).map(|_| other.next(every)).collect::<Vec<_>>()[..]);

        let mut none = Jitter::none();
        assert_eq!((none.first(every), none.next(every)), (Duration::ZERO, every));
    }
}
