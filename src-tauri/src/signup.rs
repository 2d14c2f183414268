//! Signups at the kiosk: validate in the core, store durably, answer the UI.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use kiosk_config::{SignupLimits, SyncConfig};
use kiosk_signups::consent::Statement;
use kiosk_signups::intake::{self, Intake, Refusal};
use kiosk_signups::store::{Added, Limits, PURGE_EVERY, Purger, SignupStore, StoreError};
use kiosk_staff::stats::DayCount;
use kiosk_sync::target::Target;
use kiosk_sync::worker::{self, Options, SyncHandle, Trigger};
use serde::Serialize;

/// The kiosk's signup store, in its data directory, and the worker that
/// sends it to the central list (when the config names one).
pub struct Signups {
    /// The store behind the throttle: one lock, so two taps at once cannot both slip past it.
    intake: Mutex<Intake>,
    sync: Option<SyncHandle>,
    /// Without a sync worker (whose rounds end with a purge), what
    /// `kioskctl signups export --delete-exported` deleted while a reader held
    /// the store would stay on disk: this wipes it every minute.
    _purger: Option<Purger>,
}

impl Signups {
    /// Opens `<data_dir>/signups.sqlite`, creating the directory if needed, and
    /// starts the sync worker. A sync that cannot start (say, unreadable
    /// credentials) is logged and left in the store's status for staff; the
    /// kiosk still takes signups — offline is its normal state.
    pub fn open(
        data_dir: &Path,
        sync: Option<&SyncConfig>,
        limits: &SignupLimits,
        http: &kiosk_http::Shared,
    ) -> Result<Self, String> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| format!("cannot create the data directory {}: {e}", data_dir.display()))?;
        let path = data_dir.join("signups.sqlite");
        let mut store = SignupStore::open(&path).map_err(|e| e.to_string())?.with_limits(Limits {
            max_pending: u64::from(limits.max_pending),
            resend_window: std::time::Duration::from_secs(u64::from(limits.resend_window_hours) * 3600),
        });
        let sync = sync.and_then(|config| {
            let started = Target::from_config(config, http.clone()).map_err(|e| e.to_string()).and_then(|target| {
                worker::spawn(path.clone(), target, Options::from_config(config), |line| tracing::info!("{line}"))
                    .map_err(|e| e.to_string())
            });
            match started {
                Ok(handle) => Some(handle),
                Err(e) => {
                    let message = format!("signup sync not started: {e}");
                    tracing::warn!("{message}");
                    let _ = store.record_round(&Default::default(), Some((false, &message)), jiff::Timestamp::now());
                    None
                }
            }
        });
        let purger = match sync {
            Some(_) => None,
            None => Purger::spawn(&path, PURGE_EVERY, |line| tracing::warn!("{line}"))
                .map_err(|e| tracing::warn!("signup purge not started: {e}"))
                .ok(),
        };
        Ok(Signups { intake: Mutex::new(Intake::new(store, limits.max_per_minute)), sync, _purger: purger })
    }

    /// Counts and the last sync's result, for the heartbeat (no addresses).
    pub fn status(&self) -> (kiosk_signups::store::Counts, Option<String>) {
        let intake = self.lock();
        let store = intake.store();
        let counts = store.counts().unwrap_or_default();
        let last = store
            .last_sync()
            .ok()
            .flatten()
            .map(|l| format!("{} {}: {}", l.attempt_utc, if l.ok { "ok" } else { "failed" }, l.message));
        (counts, last)
    }

    /// What the staff panel shows: counts, today's figures, per-day signups
    /// from `since` (a local day), the last sync. Anonymous, like the store's counters.
    pub fn staff_view(&self, since: &str, today: &str) -> Result<StaffSignups, StoreError> {
        let intake = self.lock();
        let store = intake.store();
        let counts = store.counts()?;
        let daily = store.daily(since)?;
        let (signups_today, delivered_today) =
            daily.iter().find(|d| d.day == today).map_or((0, 0), |d| (d.signups, d.delivered));
        Ok(StaffSignups {
            pending: counts.pending,
            review: counts.review,
            delivered_total: counts.delivered,
            signups_today,
            delivered_today,
            daily: daily.into_iter().map(|d| DayCount { day: d.day, count: d.signups }).collect(),
            last_sync: store.last_sync()?,
            sync_configured: self.sync.is_some(),
            capacity: store.limits().max_pending,
            full: store.is_full()?,
        })
    }

    /// Staff pressed "Sync now": a round at once, whatever the backoff. False when no list is configured.
    pub fn sync_now(&self) -> bool {
        self.sync.as_ref().map(|s| s.trigger(Trigger::Now)).is_some()
    }

    fn lock(&self) -> MutexGuard<'_, Intake> {
        self.intake.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The signups part of the staff panel.
#[derive(Debug, Serialize)]
pub struct StaffSignups {
    pub pending: u64,
    pub review: u64,
    pub delivered_total: u64,
    pub signups_today: u64,
    pub delivered_today: u64,
    /// Signups per local day (days without any are absent).
    pub daily: Vec<DayCount>,
    pub last_sync: Option<kiosk_signups::store::LastSync>,
    pub sync_configured: bool,
    /// How many may wait on the kiosk (`[signups] max_pending`).
    pub capacity: u64,
    /// The cap is reached: visitors' signups are refused until the list takes some.
    pub full: bool,
}

/// What the UI shows after a submit. One answer for every address taken —
/// new, already waiting or delivered recently — so the kiosk is no oracle of
/// who is on the list (the store still keeps one entry per mailbox).
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupOutcome {
    /// Taken: say thank you.
    Added,
}

/// Why a submit was refused: a code the UI translates, and which field it concerns.
#[derive(Debug, Serialize)]
pub struct SignupError {
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

impl From<Refusal> for SignupError {
    fn from(r: Refusal) -> Self {
        if let Refusal::StoreFull(e) = &r {
            tracing::warn!("signup refused: {e}");
        }
        // Never the address: the message is the code, or the store's words about the disk.
        SignupError { code: r.code(), field: r.field(), message: r.to_string() }
    }
}

impl From<StoreError> for SignupError {
    fn from(e: StoreError) -> Self {
        Refusal::from(e).into()
    }
}

/// Checks and stores (see [`kiosk_signups::intake`]) against `current`, the
/// bundle's consent statement now for the language shown; returns only once
/// the signup is on disk.
pub fn submit(signups: &Signups, form: intake::Form<'_>, current: &Statement) -> Result<SignupOutcome, SignupError> {
    let taken = signups.lock().submit(form, current, std::time::Instant::now(), jiff::Timestamp::now())?;
    if matches!(taken.added, Added::New(_))
        && let Some(sync) = &signups.sync
    {
        sync.trigger(Trigger::Nudge);
    }
    Ok(SignupOutcome::Added)
}
