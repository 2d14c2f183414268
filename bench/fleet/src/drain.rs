//! The backlog drain: a fleet's central list comes back after an outage, and
//! every kiosk has signups waiting. Does the fleet drain them without a retry
//! storm that keeps the list down, and without losing or repeating one?
//!
//! Each simulated kiosk is the real thing minus the window: its own signup
//! store (`kiosk-signups`, a SQLite file in a folder of its own) holding K
//! signups, and the real sync worker (`kiosk-sync`'s [`spawn_with_unit`], on
//! a thread of its own as in the app) with its own HTTP client, sending to a
//! signed webhook. The central list is the test suite's webhook receiver
//! capped at C requests a second: beyond that it answers 429 with
//! `Retry-After: 1`, as a list behind a rate limiter would.
//!
//! The outage is real too: the receiver answers 503 while the workers start,
//! so each one fails round after round and backs off to its cap, as after a
//! day without the list; then the receiver comes back and the clock starts.
//!
//! Time is compressed where the kiosk decides it: the worker's interval and
//! backoff are given in milliseconds instead of seconds (`--backoff-base-ms`, `--backoff-cap-ms`).
//! What is not compressed is the list's side: C is requests per real second
//! and `Retry-After: 1` is a real second, which the worker honours as a floor.
//!
//! "Without jitter" is the same worker with its backoff's random unit fixed
//! at 1 (every kiosk waits the full exponential bound); with jitter it is the
//! field's `fastrand::f64`. Lost and duplicated signups are counted from the
//! receiver's record of distinct accepted signups against what the kiosks held.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use kiosk_config::{SyncConfig, SyncTarget};
use kiosk_signups::email::validate;
use kiosk_signups::store::{NewSignup, SignupStore};
use kiosk_sync::backoff::Backoff;
use kiosk_sync::target::Target;
use kiosk_sync::worker::{Options as SyncOptions, PURGE_RETRY, spawn_with_unit};
use kiosk_testsupport::webhook::WebhookReceiver;

use crate::{kiosk_id, pss_kib};

const SECRET: &str = "fleet-webhook-secret-0123456789";

/// What to run.
#[derive(Debug, Clone)]
pub struct DrainOptions {
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
    /// With jitter or without.
    pub jitter: bool,
    /// Kiosks × signups.
    pub held: usize,
    /// Real seconds to fill the stores and start the workers.
    pub setup_secs: f64,
    /// Real seconds from the list's return until it had accepted every signup (`None`: not within the timeout).
    pub drain_secs: Option<f64>,
    /// Distinct signups the list accepted by the end.
    pub accepted: usize,
    /// Most requests offered to the list in one second after it came back (throttled ones included).
    pub peak_rate: u32,
    /// Requests after the list came back, per second, on average until drained.
    pub mean_rate: f64,
    /// 429 answers.
    pub throttled: u32,
    /// Requests after the list came back (all answers).
    pub requests: u64,
    /// 503 answers during the outage.
    pub during_outage: u32,
    /// Signups the kiosks held that the list never accepted.
    pub lost: usize,
    /// Accepted signups beyond one per held signup: an address accepted twice, or a key the kiosks never held.
    pub duplicated: usize,
    /// Requests whose body differed from an earlier one with the same key (must be 0).
    pub changed_bodies: u32,
    /// Signups still pending in the kiosks' stores at the end (0 once their workers wrote down the answers).
    pub left_pending: u64,
    /// Signups in review (refused for good) at the end.
    pub in_review: u64,
    /// Proportional set size of the whole process per kiosk while draining, KiB.
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

/// Runs one drain in `work` (a folder of its own) and reports it.
pub fn run(opts: &DrainOptions, work: &Path) -> anyhow::Result<DrainReport> {
    use std::os::unix::fs::PermissionsExt;
    let setup_at = Instant::now();
    std::fs::create_dir_all(work)?;
    let secret_file = work.join("webhook.secret");
    std::fs::write(&secret_file, SECRET)?;
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600))?;

    // What the kiosks hold: signup id → address.
    let mut held: HashMap<String, String> = HashMap::new();
    for i in 0..opts.kiosks {
        let path = store_path(work, i);
        std::fs::create_dir_all(path.parent().expect("a folder"))?;
        let mut store = SignupStore::open(&path).with_context(|| format!("open {}", path.display()))?;
        let id = kiosk_id(i);
        for j in 0..opts.signups {
            let email = validate(&format!("visitor{j:03}.{id}@example.org")).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            store.add(&signup(&email, &id))?;
        }
        for s in store.pending(opts.signups + 1)? {
            held.insert(s.id, s.email_ascii);
        }
    }
    anyhow::ensure!(held.len() == opts.kiosks * opts.signups, "every signup is stored");

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut report = runtime.block_on(async {
        let receiver = WebhookReceiver::start_capped(SECRET.as_bytes(), opts.cap_per_sec).await;
        receiver.outage.store(true, Ordering::SeqCst);
        let config = SyncConfig {
            target: SyncTarget::Webhook,
            url: receiver.url(),
            list_id: None,
            credentials_file: secret_file.clone(),
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
        receiver.outage.store(false, Ordering::SeqCst);
        let back = Instant::now();
        let back_second = back.duration_since(receiver.started).as_secs() as usize;
        let total = held.len();
        let mut drain_secs = None;
        let mut pss = 0;
        while back.elapsed() < opts.timeout {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if pss == 0 && back.elapsed() > Duration::from_millis(500) {
                pss = pss_kib();
            }
            if receiver.received.lock().expect("lock").accepted.len() >= total {
                drain_secs = Some(back.elapsed().as_secs_f64());
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
            if left == 0 || drain_secs.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        drop(handles); // the workers stop
        let rec = receiver.received.lock().expect("lock");
        let after: &[u32] = rec.per_second.get(back_second..).unwrap_or(&[]);
        let mut by_email: HashMap<&str, usize> = HashMap::new();
        for body in rec.accepted.values() {
            *by_email.entry(body["email"].as_str().unwrap_or("")).or_default() += 1;
        }
        let accepted_held = held.keys().filter(|id| rec.accepted.contains_key(*id)).count();
        let requests: u64 = rec.per_second.iter().map(|&n| u64::from(n)).sum();
        let mut in_review = 0;
        for i in 0..opts.kiosks {
            in_review += SignupStore::open(&store_path(work, i))?.counts()?.review;
        }
        anyhow::Ok(DrainReport {
            jitter: opts.jitter,
            held: total,
            setup_secs,
            drain_secs,
            accepted: rec.accepted.len(),
            peak_rate: after.iter().copied().max().unwrap_or(0),
            mean_rate: requests as f64 / drain_secs.unwrap_or(back.elapsed().as_secs_f64()).max(0.001),
            throttled: rec.throttled,
            requests,
            during_outage: rec.unavailable,
            lost: total - accepted_held,
            duplicated: (rec.accepted.len() - accepted_held) + by_email.values().map(|n| n - 1).sum::<usize>(),
            changed_bodies: rec.changed_bodies,
            left_pending: left,
            in_review,
            pss_per_kiosk_kib: pss as f64 / opts.kiosks.max(1) as f64,
        })
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    report.held = opts.kiosks * opts.signups;
    Ok(report)
}
