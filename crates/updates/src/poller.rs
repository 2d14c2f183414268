//! The HTTPS poller on a thread of its own. A server that is slow or hostile
//! can hold this thread until its deadlines cut it off, and nothing else: the
//! inbox watcher, the live switch, `kioskctl bundle install|rollback` and the
//! staff panel's rollback never wait for it. It downloads without the install
//! lock and takes it only for the install's short switch (see [`crate::store`]).

use std::path::PathBuf;
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
        let highest = match self.store.state() {
            Ok(s) => s.highest_version.max(self.floor),
            Err(e) => return PollReport::StoreFailed(e.to_string()),
        };
        let file: PathBuf = match runtime.block_on(self.remote.poll(&self.policy, highest)) {
            Ok(Poll::Downloaded(file)) => file,
            Ok(Poll::Unchanged | Poll::UpToDate(_)) => return PollReport::Nothing,
            Err(RemoteError::Fetch(e)) => return PollReport::Retry(e),
            Err(e) => return PollReport::Refused(e.to_string()),
        };
        let report = match self.store.install(&file, &self.policy, self.floor, &format!("https {}", self.url)) {
            Ok(Outcome::Installed(i)) => PollReport::Installed(i),
            Ok(Outcome::Rejected(r)) => PollReport::Rejected(r),
            Err(e) => PollReport::StoreFailed(e.to_string()),
        };
        let _ = std::fs::remove_file(crate::sign::signature_path(&file));
        let _ = std::fs::remove_file(&file);
        report
    }

    /// Runs on a thread of its own: first at `first`, then every `every`,
    /// telling `report` what each poll came to. Returns the thread and its stop switch.
    pub fn spawn(
        mut self,
        first: Instant,
        mut report: impl FnMut(&PollReport) + Send + 'static,
    ) -> std::io::Result<(JoinHandle<()>, StopPoller)> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let stop = StopPoller::default();
        let stopped = stop.clone();
        let thread = std::thread::Builder::new().name("content-https".into()).spawn(move || {
            let mut due = first;
            while !stopped.0.load(Ordering::SeqCst) {
                let now = Instant::now();
                if now < due {
                    // Short naps, so a stop is heard within a second.
                    std::thread::sleep((due - now).min(Duration::from_secs(1)));
                    continue;
                }
                due = now + self.every;
                report(&self.poll_once(&runtime));
            }
        })?;
        Ok((thread, stop))
    }
}
