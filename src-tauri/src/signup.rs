//! Signups at the kiosk: validate in the core, store durably, answer the UI.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use kiosk_config::SyncConfig;
use kiosk_signups::email;
use kiosk_signups::store::{Added, NewSignup, SignupStore, StoreError};
use kiosk_staff::stats::DayCount;
use kiosk_sync::target::Target;
use kiosk_sync::worker::{self, Options, SyncHandle, Trigger};
use serde::Serialize;

/// The kiosk's signup store, in its data directory, and the worker that
/// sends it to the central list (when the config names one).
pub struct Signups {
    store: Mutex<SignupStore>,
    sync: Option<SyncHandle>,
}

impl Signups {
    /// Opens `<data_dir>/signups.sqlite`, creating the directory if needed, and
    /// starts the sync worker. A sync that cannot start (say, unreadable
    /// credentials) is logged and left in the store's status for staff; the
    /// kiosk still takes signups — offline is its normal state.
    pub fn open(data_dir: &Path, sync: Option<&SyncConfig>) -> Result<Self, String> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| format!("cannot create the data directory {}: {e}", data_dir.display()))?;
        let path = data_dir.join("signups.sqlite");
        let mut store = SignupStore::open(&path).map_err(|e| e.to_string())?;
        let sync = sync.and_then(|config| {
            let started = Target::from_config(config).map_err(|e| e.to_string()).and_then(|target| {
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
        Ok(Signups { store: Mutex::new(store), sync })
    }

    /// Counts and the last sync's result, for the heartbeat (no addresses).
    pub fn status(&self) -> (kiosk_signups::store::Counts, Option<String>) {
        let store = self.lock();
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
        let store = self.lock();
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
        })
    }

    /// Staff pressed "Sync now": a round at once, whatever the backoff. False when no list is configured.
    pub fn sync_now(&self) -> bool {
        self.sync.as_ref().map(|s| s.trigger(Trigger::Now)).is_some()
    }

    fn lock(&self) -> MutexGuard<'_, SignupStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
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
}

/// What the UI shows after a submit.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupOutcome {
    /// Stored durably: say thank you.
    Added,
    /// Already waiting to be sent: say so, kindly.
    AlreadyPending,
}

/// Why a submit was refused: a code the UI translates, and which field it concerns.
#[derive(Debug, Serialize)]
pub struct SignupError {
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

impl From<StoreError> for SignupError {
    fn from(e: StoreError) -> Self {
        // Never the address: the store's errors are about the disk.
        SignupError { code: "store_failed", field: "form", message: e.to_string() }
    }
}

/// The form as submitted.
pub struct Form<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub consent: bool,
    pub lang: &'a str,
    pub consent_version: u32,
    pub consent_text: &'a str,
    pub kiosk_id: &'a str,
}

/// Validates and stores; returns only once the signup is on disk.
pub fn submit(signups: &Signups, form: Form<'_>) -> Result<SignupOutcome, SignupError> {
    let valid = email::validate(form.email).map_err(|e| SignupError {
        code: e.code(),
        field: "email",
        message: e.code().into(),
    })?;
    if !form.consent {
        return Err(SignupError { code: "consent_required", field: "consent", message: "consent_required".into() });
    }
    let name = form.name.trim();
    if name.chars().count() > 100 {
        return Err(SignupError { code: "name_too_long", field: "name", message: "name_too_long".into() });
    }
    let added = signups.lock().add(&NewSignup {
        email: &valid,
        name: Some(name),
        lang: form.lang,
        consent_version: form.consent_version,
        consent_text: form.consent_text,
        kiosk_id: form.kiosk_id,
        at: jiff::Timestamp::now(),
    })?;
    Ok(match added {
        Added::New(_) => {
            if let Some(sync) = &signups.sync {
                sync.trigger(Trigger::Nudge);
            }
            SignupOutcome::Added
        }
        Added::AlreadyPending => SignupOutcome::AlreadyPending,
    })
}
