//! The backlog drain: a fleet's central list comes back after an outage, and
//! every kiosk has signups waiting. Does the fleet drain them without a retry
//! storm that keeps the list down, and without losing or repeating one?
//!
//! Each simulated kiosk is the real thing minus the window: its own signup
//! store (`kiosk-signups`, a SQLite file in a folder of its own) holding K
//! signups, and the real sync worker (`kiosk-sync`'s [`spawn_with_unit`], on
//! a thread of its own as in the app) with its own HTTP client. The central
//! list is one of two ([`ListKind`]):
//!
//! - **the webhook receiver** of the test suite, signed webhooks, capped at C
//!   requests in each whole second: beyond that it answers 429 with
//!   `Retry-After: 1`, as a list behind a rate limiter would. Its own record
//!   counts what it accepted.
//! - **a real GNU Mailman 3** (`kiosk_testsupport::mailman`, its REST API on
//!   loopback) behind a real nginx that limits it to C requests a second
//!   ([`crate::nginx::Nginx::rate_limited_proxy`]): Mailman has no rate limit of its own, so
//!   this is how a ministry's IT would give it one. What Mailman holds at the
//!   end (its roster) says what was lost; nginx's access log says what was
//!   offered, throttled and answered when, and what Mailman answered to each
//!   address.
//!
//! The outage is real too: the list answers 503 while the workers start
//! (the receiver's switch, or the proxy's flag file), so each worker fails
//! round after round and backs off to its cap, as after a day without the
//! list; then the list comes back and the clock starts.
//!
//! Time is compressed where the kiosk decides it: the worker's interval and
//! backoff are given in milliseconds instead of seconds (`--backoff-base-ms`, `--backoff-cap-ms`).
//! What is not compressed is the list's side: C is requests per real second
//! and `Retry-After: 1` is a real second, which the worker honours as a floor.
//!
//! "Without jitter" is the same worker with its backoff's random unit fixed
//! at 1 (every kiosk waits the full exponential bound); with jitter it is the
//! field's `fastrand::f64`.
//!
//! What counts as lost or duplicated, for each list:
//! - webhook: a held signup whose `Idempotency-Key` the receiver never
//!   accepted is lost; an accepted key the kiosks never held, or a second
//!   accepted key for one address, is a duplicate.
//! - Mailman: a held address not on the list's roster at the end is lost. A
//!   duplicate is Mailman acting twice for one address: the address on the
//!   roster twice (two membership rows, which its check-then-insert allows
//!   when two requests race), or two subscriptions it answered 201/202 for
//!   (each one sends a welcome), whichever is more. A re-sent signup that
//!   Mailman answers 409 "already a member" is not one: it changes nothing,
//!   and it is how the kiosk learns a lost answer's outcome.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use kiosk_config::SyncConfig;
use kiosk_signups::email::validate;
use kiosk_signups::store::{NewSignup, SignupStore};
use kiosk_sync::backoff::Backoff;
use kiosk_sync::target::Target;
use kiosk_sync::worker::{Options as SyncOptions, PURGE_RETRY, spawn_with_unit};

use crate::{kiosk_id, pss_kib};

mod list;
use list::List;

/// Which central list the fleet drains into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ListKind {
    /// The test suite's signed-webhook receiver, capped inside (C in each whole second).
    #[default]
    Webhook,
    /// A real GNU Mailman 3 behind a real nginx that limits it to C a second (burst of C).
    Mailman,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct DrainOptions {
    /// The central list.
    pub list: ListKind,
    /// How many kiosks.
    pub kiosks: usize,
    /// Signups each kiosk holds when the list comes back (K).
    pub signups: usize,
    /// Requests a second the list lets through (C).
    pub cap_per_sec: u32,
    /// Whether the workers' backoff is jittered (the field's behaviour) or every kiosk waits the full bound.
    pub jitter: bool,
    /// The worker's backoff, compressed (the field's is 2 s base, `max_backoff_secs` cap).
    pub backoff: Backoff,
    /// The worker's wait after a clean round, compressed.
    pub interval: Duration,
    /// Signups per batch and requests in flight per kiosk (the field's defaults are 50 and 4).
    pub batch: usize,
    /// Requests in flight per kiosk.
    pub parallel: usize,
    /// How long the list stays down after the workers start (long enough for every worker to reach its cap).
    pub outage: Duration,
    /// Give up waiting for the drain after this long.
    pub timeout: Duration,
}

/// What one drain did.
#[derive(Debug, Clone, Default)]
pub struct DrainReport {
    /// The central list.
    pub list: ListKind,
    /// With jitter or without.
    pub jitter: bool,
    /// Kiosks × signups.
    pub held: usize,
    /// Real seconds to fill the stores and start the workers (the list's own start not counted).
    pub setup_secs: f64,
    /// Real seconds from the list's return until it had accepted every signup (`None`: not within the timeout).
    pub drain_secs: Option<f64>,
    /// Distinct signups the list accepted by the end (Mailman: distinct addresses on its roster).
    pub accepted: usize,
    /// Most requests offered to the list in one second after it came back (throttled ones included).
    pub peak_rate: u32,
    /// Most requests let through to the list in one second (the limit's 429s not included): what
    /// the list itself had to handle at its busiest.
    pub peak_admitted: u32,
    /// Requests after the list came back, per second, on average until drained.
    pub mean_rate: f64,
    /// 429 answers.
    pub throttled: u32,
    /// Requests after the list came back (all answers).
    pub requests: u64,
    /// 503 answers during the outage.
    pub during_outage: u32,
    /// Answers where the list itself failed or refused (not the limit's 429, not the outage, not
    /// "already there"): Mailman's 400s and 5xx, the receiver's signature refusals.
    pub list_errors: u32,
    /// Signups the kiosks held that the list never accepted.
    pub lost: usize,
    /// Accepted signups beyond one per held signup (see the module docs for each list).
    pub duplicated: usize,
    /// Requests whose body differed from an earlier one for the same signup (must be 0).
    pub changed_bodies: u32,
    /// Signups still pending in the kiosks' stores at the end (0 once their workers wrote down the answers).
    pub left_pending: u64,
    /// Signups in review (refused for good) at the end.
    pub in_review: u64,
    /// Proportional set size of the whole process per kiosk while draining, KiB (the list's
    /// processes, Mailman and nginx, not included).
    pub pss_per_kiosk_kib: f64,
}

fn signup<'a>(email: &'a kiosk_signups::email::ValidEmail, kiosk: &'a str) -> NewSignup<'a> {
    NewSignup {
        email,
        name: Some("Visitor"),
        lang: "en",
        consent_version: 1,
        consent_text: "I agree to receive the embassy's newsletter.",
        kiosk_id: kiosk,
        at: jiff::Timestamp::now(),
    }
}

fn store_path(work: &Path, i: usize) -> PathBuf {
    work.join("kiosks").join(kiosk_id(i)).join("signups.sqlite")
}

fn unix_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Runs one drain in `work` (a folder of its own) and reports it.
pub fn run(opts: &DrainOptions, work: &Path) -> anyhow::Result<DrainReport> {
    std::fs::create_dir_all(work)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let report = runtime.block_on(async {
        // The list first (a Mailman takes seconds to start): down until the workers have met the outage.
        let list = List::start(opts, work).await?;
        let setup_at = Instant::now();

        // What the kiosks hold: signup id → address.
        let mut held: HashMap<String, String> = HashMap::new();
        for i in 0..opts.kiosks {
            let path = store_path(work, i);
            std::fs::create_dir_all(path.parent().expect("a folder"))?;
            let mut store = SignupStore::open(&path).with_context(|| format!("open {}", path.display()))?;
            let id = kiosk_id(i);
            for j in 0..opts.signups {
                let email =
                    validate(&format!("visitor{j:03}.{id}@example.org")).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                store.add(&signup(&email, &id))?;
            }
            for s in store.pending(opts.signups + 1)? {
                held.insert(s.id, s.email_ascii);
            }
        }
        anyhow::ensure!(held.len() == opts.kiosks * opts.signups, "every signup is stored");

        let (target, url, list_id, credentials_file) = list.target();
        let config = SyncConfig {
            target,
            url,
            list_id,
            credentials_file,
            pre_confirmed: true,
            interval_secs: 1,
            batch: opts.batch as u32,
            parallel: opts.parallel as u32,
            timeout_secs: 30,
            max_backoff_secs: 1,
        };
        let sync = SyncOptions {
            batch: opts.batch,
            parallel: opts.parallel,
            interval: opts.interval,
            backoff: opts.backoff,
            purge_retry: PURGE_RETRY,
        };
        let unit: fn() -> f64 = if opts.jitter { fastrand::f64 } else { || 1.0 };
        let mut handles = Vec::with_capacity(opts.kiosks);
        for i in 0..opts.kiosks {
            // Its own HTTP client, as each kiosk process has.
            let target = Target::from_config(&config, kiosk_http::Shared::new())?;
            handles.push(spawn_with_unit(store_path(work, i), target, sync, unit, |_| {})?);
        }
        let setup_secs = setup_at.elapsed().as_secs_f64();

        // The outage: every worker fails, round after round, up to its backoff's cap.
        tokio::time::sleep(opts.outage).await;
        list.set_outage(false)?;
        let back = Instant::now();
        let back_ms = unix_ms();
        let total = held.len();
        let mut drained_at = None;
        let mut pss = 0;
        while back.elapsed() < opts.timeout {
            tokio::time::sleep(list.poll_every()).await;
            if pss == 0 && back.elapsed() > Duration::from_millis(500) {
                pss = pss_kib();
            }
            if list.has_all(&held)? {
                drained_at = Some(back.elapsed().as_secs_f64());
                break;
            }
        }
        if pss == 0 {
            pss = pss_kib();
        }
        // Let the workers write down the last answers before the stores are read.
        let settle = Instant::now();
        let mut left = u64::MAX;
        while settle.elapsed() < Duration::from_secs(10) {
            left = 0;
            for i in 0..opts.kiosks {
                left += SignupStore::open(&store_path(work, i))?.counts()?.pending;
            }
            if left == 0 || drained_at.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        drop(handles); // the workers stop
        let mut in_review = 0;
        for i in 0..opts.kiosks {
            in_review += SignupStore::open(&store_path(work, i))?.counts()?.review;
        }
        let tally = list.tally(&held, back, back_ms, drained_at).await?;
        let until = tally.drain_secs.unwrap_or(back.elapsed().as_secs_f64()).max(0.001);
        anyhow::Ok(DrainReport {
            list: opts.list,
            jitter: opts.jitter,
            held: total,
            setup_secs,
            drain_secs: tally.drain_secs,
            accepted: tally.accepted,
            peak_rate: tally.per_second.iter().copied().max().unwrap_or(0),
            peak_admitted: tally.admitted_per_second.iter().copied().max().unwrap_or(0),
            mean_rate: tally.requests as f64 / until,
            throttled: tally.throttled,
            requests: tally.requests,
            during_outage: tally.during_outage,
            list_errors: tally.list_errors,
            lost: tally.lost,
            duplicated: tally.duplicated,
            changed_bodies: tally.changed_bodies,
            left_pending: left,
            in_review,
            pss_per_kiosk_kib: pss as f64 / opts.kiosks.max(1) as f64,
        })
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(report)
}
