//! The sync worker: drains the outbox (the store's pending signups) into the
//! central list, in batches, and decides when to try again.
//!
//! A round takes up to `batch` pending signups, sends them (`parallel` at a
//! time), and writes what it learned in one transaction — then the next batch,
//! until the outbox is empty or something fails. After a failed round it waits
//! an exponential backoff with full jitter (at least what a `Retry-After`
//! asked); after a clean one, `interval`. A new signup nudges it (ignored while
//! backing off, so a busy lobby does not hammer a struggling server); "Sync
//! now" from staff starts a round at once.
//!
//! Exactly once: a signup is deleted only after the list acknowledged it, and
//! re-sending one the list already has is acknowledged as such (see
//! [`classify`](crate::classify)). A kill between "the list has it" and "the
//! kiosk wrote that down" means one more request, never a second member.

use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use kiosk_signups::store::{RoundOutcome, SignupStore, StoreError};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::backoff::Backoff;
use crate::classify::Delivery;
use crate::target::Target;

/// How the worker paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Signups per batch (one store transaction each).
    pub batch: usize,
    /// Requests in flight at once.
    pub parallel: usize,
    /// Wait after a clean round.
    pub interval: Duration,
    /// Waits after failed rounds.
    pub backoff: Backoff,
    /// How soon the worker tries again to wipe delivered addresses a reader
    /// kept on disk — a purge on its own, no delivery.
    pub purge_retry: Duration,
}

impl Options {
    /// From the `[sync]` config.
    pub fn from_config(c: &kiosk_config::SyncConfig) -> Options {
        Options {
            batch: c.batch as usize,
            parallel: c.parallel as usize,
            interval: Duration::from_secs(c.interval_secs.into()),
            backoff: Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(c.max_backoff_secs.into()) },
            purge_retry: PURGE_RETRY,
        }
    }
}

/// What one round did, for staff and logs (never an address).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Everything that was tried went through (or there was nothing to send).
    pub ok: bool,
    /// Acknowledged by the list this round.
    pub delivered: u64,
    /// Refused for good this round (now in review).
    pub rejected: u64,
    /// For staff.
    pub message: String,
    /// The server asked us to wait this long before the next try.
    #[serde(skip)]
    pub retry_after: Option<Duration>,
    /// Delivered addresses may still be on disk (in the WAL) because another
    /// connection held a read open: the next round must purge them.
    #[serde(skip)]
    pub purge_pending: bool,
}

/// How soon the worker comes back (to purge only) to wipe delivered addresses a reader kept on disk.
pub const PURGE_RETRY: Duration = Duration::from_secs(10);

/// What a batch's answers mean for the store and for the round: a pure
/// function of the answers, tested table-driven.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// What to write.
    pub outcome: RoundOutcome,
    /// Why the round must stop here (a retryable failure or a halt), if it must.
    pub stop: Option<String>,
    /// The longest `Retry-After` among the answers.
    pub retry_after: Option<Duration>,
}

/// Plans a batch from each signup's answer.
pub fn plan(answers: Vec<(String, Delivery)>) -> Plan {
    let mut p = Plan::default();
    let mut halt = None;
    for (id, delivery) in answers {
        match delivery {
            Delivery::Delivered => p.outcome.delivered.push(id),
            Delivery::Rejected { reason } => p.outcome.rejected.push((id, reason)),
            Delivery::Retry { reason, after, .. } => {
                p.retry_after = p.retry_after.max(after);
                p.stop.get_or_insert_with(|| reason.clone());
                p.outcome.retry.push((id, reason));
            }
            Delivery::Halt { reason } => {
                halt.get_or_insert_with(|| reason.clone());
                p.outcome.retry.push((id, reason));
            }
        }
    }
    // A halt (the kiosk's credentials or config) matters more to staff than a busy server.
    if halt.is_some() {
        p.stop = halt;
    }
    p.outcome.delivered.sort();
    p
}

/// Sends batches until the outbox is empty or a batch fails; records each.
pub async fn drain(store: &mut SignupStore, target: &Target, opts: &Options) -> Result<Report, StoreError> {
    use futures_util::StreamExt;
    let mut report = Report { ok: true, ..Default::default() };
    let mut tried = false;
    loop {
        let batch = store.pending(opts.batch)?;
        if batch.is_empty() {
            break;
        }
        tried = true;
        // Once the list says to wait (a Retry-After) or is down (a 429, 502, 503
        // or 504, no connection at all) for two signups, or our credentials or
        // config are wrong (a halt), the rest of the batch is not sent: what is
        // in flight finishes, the others stay pending. A fleet draining a day's
        // backlog would otherwise keep a rate-limited or stopped list flooded
        // with requests it can only refuse. Two, not one: a receiver that
        // crashes on one payload (a 502 from its gateway, every time) must not
        // hold back every signup behind it round after round.
        let told_to_wait = std::sync::atomic::AtomicBool::new(false);
        let told_to_wait = &told_to_wait;
        let down_answers = std::sync::atomic::AtomicUsize::new(0);
        let down_answers = &down_answers;
        let answers: Vec<(String, Delivery)> = futures_util::stream::iter(batch.iter())
            .map(|s| async move {
                if told_to_wait.load(std::sync::atomic::Ordering::SeqCst) {
                    return None;
                }
                let delivery = target.deliver(s).await;
                // Only the list's own "wait" or "down", or a halt, stops the round: a failure
                // of one signup (a timeout, a 500, one odd answer) must not hold back the rest.
                let stop = match &delivery {
                    Delivery::Retry { after: Some(_), .. } | Delivery::Halt { .. } => true,
                    Delivery::Retry { list_down: true, .. } => {
                        down_answers.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 >= 2
                    }
                    _ => false,
                };
                if stop {
                    told_to_wait.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                Some((s.id.clone(), delivery))
            })
            .buffer_unordered(opts.parallel.max(1))
            .filter_map(|answer| async move { answer })
            .collect()
            .await;
        let p = plan(answers);
        report.delivered += p.outcome.delivered.len() as u64;
        report.rejected += p.outcome.rejected.len() as u64;
        report.retry_after = p.retry_after;
        let message = summary(target, &report, p.stop.as_deref());
        store.record_round(&p.outcome, Some((p.stop.is_none(), &message)), Timestamp::now())?;
        report.message = message;
        if p.stop.is_some() {
            report.ok = false;
            purge(store, &mut report)?;
            return Ok(report);
        }
    }
    if !tried {
        report.message = "nothing to send".into();
    }
    purge(store, &mut report)?;
    Ok(report)
}

/// Wipes what this round (or an earlier one, in this process or another —
/// `kioskctl signups export --delete-exported`) deleted but left in the WAL.
fn purge(store: &SignupStore, report: &mut Report) -> Result<(), StoreError> {
    if !store.wal_is_empty() && !store.purge_deleted()? {
        report.purge_pending = true;
        report.message += "; delivered addresses are wiped from disk in a moment (the store was busy)";
    }
    Ok(())
}

fn summary(target: &Target, r: &Report, stop: Option<&str>) -> String {
    let mut m = format!("{} signup(s) sent to {}", r.delivered, target.describe());
    if r.rejected > 0 {
        m += &format!(", {} refused (in review)", r.rejected);
    }
    if let Some(why) = stop {
        m += &format!("; stopped: {why}; will retry");
    }
    m
}

/// Tells the worker to look at the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A signup arrived: sync soon, unless backing off.
    Nudge,
    /// Staff asked: sync now, whatever the backoff.
    Now,
}

/// The app's handle on the running worker.
#[derive(Clone)]
pub struct SyncHandle {
    tx: mpsc::UnboundedSender<Trigger>,
    last: watch::Receiver<Option<Report>>,
}

impl SyncHandle {
    /// Asks the worker to look at the outbox.
    pub fn trigger(&self, t: Trigger) {
        let _ = self.tx.send(t);
    }

    /// Waits for the next round to finish (tests, "Sync now" in the staff panel).
    pub async fn next_report(&mut self) -> Option<Report> {
        self.last.changed().await.ok()?;
        self.last.borrow_and_update().clone()
    }
}

/// Starts the worker on its own thread (its store connection and SQLite
/// commits stay off the UI's threads). `log` receives one line per round.
pub fn spawn(
    store_path: PathBuf,
    target: Target,
    opts: Options,
    log: impl Fn(&str) + Send + 'static,
) -> std::io::Result<SyncHandle> {
    spawn_with_unit(store_path, target, opts, fastrand::f64, log)
}

/// As [`spawn`], with the source of the backoff's random unit (uniform in
/// [0, 1) in the field, [`fastrand::f64`]) given: a fleet simulation passes
/// `|| 1.0` to see what kiosks that all wait the full bound do — no jitter.
pub fn spawn_with_unit(
    store_path: PathBuf,
    target: Target,
    opts: Options,
    unit: fn() -> f64,
    log: impl Fn(&str) + Send + 'static,
) -> std::io::Result<SyncHandle> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (last_tx, last) = watch::channel(None);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("signup-sync".into()).spawn(move || {
        runtime.block_on(run(store_path, target, opts, unit, rx, last_tx, log));
    })?;
    Ok(SyncHandle { tx, last })
}

async fn run(
    store_path: PathBuf,
    target: Target,
    opts: Options,
    unit: fn() -> f64,
    mut rx: mpsc::UnboundedReceiver<Trigger>,
    last: watch::Sender<Option<Report>>,
    log: impl Fn(&str),
) {
    let mut store: Option<SignupStore> = None;
    let mut failures: u32 = 0;
    let mut wake = tokio::time::Instant::now(); // a round at start: the backlog of the offline weeks
    // A purge a busy reader kept from finishing: retried on its own schedule,
    // which never moves the next delivery round (backoff, interval, Retry-After).
    let mut purge_at: Option<tokio::time::Instant> = None;
    loop {
        let next = purge_at.map_or(wake, |p| p.min(wake));
        let timer = tokio::select! {
            _ = tokio::time::sleep_until(next) => true,
            t = rx.recv() => match t {
                None => return, // the app is shutting down
                Some(Trigger::Nudge) if failures > 0 => continue,
                Some(_) => false,
            },
        };
        if timer && tokio::time::Instant::now() < wake {
            // Only the purge is due: wipe, send nothing.
            let purged: Result<bool, StoreError> =
                store.as_ref().map_or(Ok(false), |s| Ok(s.wal_is_empty() || s.purge_deleted()?));
            purge_at = match purged {
                Ok(true) => {
                    log("signup sync: delivered addresses wiped from disk");
                    None
                }
                Ok(false) => {
                    log(&format!(
                        "signup sync: delivered addresses still on disk (the store was busy); trying again in {}s",
                        opts.purge_retry.as_secs()
                    ));
                    Some(tokio::time::Instant::now() + opts.purge_retry)
                }
                Err(e) => {
                    log(&format!("signup sync: wiping delivered addresses failed: {e}"));
                    Some(tokio::time::Instant::now() + opts.purge_retry)
                }
            };
            continue;
        }
        if store.is_none() {
            store = SignupStore::open(&store_path).map_err(|e| log(&format!("signup sync: {e}"))).ok();
        }
        let report = match store.as_mut() {
            Some(s) => drain(s, &target, &opts).await.unwrap_or_else(|e| Report {
                ok: false,
                message: format!("the signup store failed: {e}"),
                ..Default::default()
            }),
            None => Report { ok: false, message: "the signup store cannot be opened".into(), ..Default::default() },
        };
        if report.delivered > 0 || report.rejected > 0 || !report.ok || report.purge_pending {
            log(&format!("signup sync: {}", report.message));
        }
        let now = tokio::time::Instant::now();
        failures = failures_after(failures, &report);
        wake = match failures {
            0 => now + opts.interval,
            n => now + opts.backoff.delay(n, unit(), report.retry_after),
        };
        purge_at = report.purge_pending.then(|| now + opts.purge_retry);
        let _ = last.send(Some(report));
    }
}

/// Failed rounds in a row after this `report`, for the backoff. A round that
/// delivered or settled something before it failed does not make the wait
/// grow (the list is there, and a backlog goes out a part at a time), nor
/// shrink it: a list that takes a few and then refuses (rate limiting
/// without Retry-After) must not be asked again every second or two.
fn failures_after(failures: u32, report: &Report) -> u32 {
    if report.ok {
        0
    } else if report.delivered > 0 || report.rejected > 0 {
        failures.max(1)
    } else {
        failures.saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_grows_only_over_rounds_that_got_nothing_through() {
        let round = |ok: bool, delivered: u64, rejected: u64| Report { ok, delivered, rejected, ..Default::default() };
        let mut failures = 0;
        for _ in 0..5 {
            failures = failures_after(failures, &round(false, 0, 0));
        }
        assert_eq!(failures, 5, "five rounds with nothing through");
        assert_eq!(failures_after(failures, &round(false, 3, 0)), 5, "some delivered, then the list failed: no growth");
        assert_eq!(failures_after(failures, &round(false, 0, 1)), 5, "one settled (refused for good), then a failure");
        assert_eq!(failures_after(0, &round(false, 3, 0)), 1, "a first failed round backs off all the same");
        assert_eq!(failures_after(failures, &round(true, 0, 0)), 0, "a round that went through");
        assert_eq!(failures_after(failures, &round(true, 7, 0)), 0);
    }

    fn retry(after: Option<u64>) -> Delivery {
        Delivery::Retry { reason: "busy (503)".into(), after: after.map(Duration::from_secs), list_down: true }
    }

    #[test]
    fn a_batch_plan_follows_each_answer() {
        let rejected = || Delivery::Rejected { reason: "banned".into() };
        let halt = || Delivery::Halt { reason: "credentials".into() };
        // (answers, delivered, rejected, retried, stop reason, retry-after)
        type Case = (Vec<Delivery>, usize, usize, usize, Option<&'static str>, Option<u64>);
        let cases: Vec<Case> = vec![
            (vec![], 0, 0, 0, None, None),
            (vec![Delivery::Delivered, Delivery::Delivered], 2, 0, 0, None, None),
            (vec![Delivery::Delivered, rejected()], 1, 1, 0, None, None),
            (vec![Delivery::Delivered, retry(None)], 1, 0, 1, Some("busy (503)"), None),
            (vec![retry(Some(3)), retry(Some(30)), retry(None)], 0, 0, 3, Some("busy (503)"), Some(30)),
            (vec![retry(None), halt(), Delivery::Delivered], 1, 0, 2, Some("credentials"), None),
        ];
        for (i, (answers, delivered, rejected, retried, stop, after)) in cases.into_iter().enumerate() {
            let answers = answers.into_iter().enumerate().map(|(n, d)| (format!("id{n}"), d)).collect();
            let p = plan(answers);
            assert_eq!(p.outcome.delivered.len(), delivered, "case {i}: acknowledged signups are deleted");
            assert_eq!(p.outcome.rejected.len(), rejected, "case {i}: permanent refusals go to review, never dropped");
            assert_eq!(p.outcome.retry.len(), retried, "case {i}: the rest stay pending");
            assert_eq!(p.stop.as_deref(), stop, "case {i}: a failure ends the round");
            assert_eq!(p.retry_after, after.map(Duration::from_secs), "case {i}: the longest Retry-After wins");
        }
    }
}
