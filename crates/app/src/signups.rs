//! Signups at the kiosk: validate in the core, store durably, answer the UI.
//!
//! A damaged store never stops the kiosk taking signups: it is set aside
//! (never deleted: it may hold signups a visitor was thanked for) and a fresh
//! one started; staff hear of it through [`Problems`].

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

use crate::problems::Problems;

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
    pub fn status(&self) -> (kiosk_signups::store::Counts, Option<kiosk_signups::store::LastSync>) {
        let intake = self.lock();
        let store = intake.store();
        (store.counts().unwrap_or_default(), store.last_sync().ok().flatten())
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

    /// Checks and stores (see [`kiosk_signups::intake`]) against `current`, the
    /// bundle's consent statement now for the language shown; returns only once
    /// the signup is on disk.
    pub fn submit(&self, form: intake::Form<'_>, current: &Statement) -> Result<SignupOutcome, SignupError> {
        let taken = self.lock().submit(form, current, std::time::Instant::now(), jiff::Timestamp::now())?;
        if matches!(taken.added, Added::New(_))
            && let Some(sync) = &self.sync
        {
            sync.trigger(Trigger::Nudge);
        }
        Ok(SignupOutcome::Added)
    }

    fn lock(&self) -> MutexGuard<'_, Intake> {
        self.intake.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The signups part of the staff panel.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SignupOutcome {
    /// Taken: say thank you.
    Added,
}

/// Why a submit was refused: a code the UI translates, and which field it concerns.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SignupError {
    pub code: SignupCode,
    pub field: Field,
    pub message: String,
}

/// Every reason a signup can be refused; the UI has words for each, in every
/// language it ships (`i18n.ts` does not compile without them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SignupCode {
    Empty,
    MissingAt,
    LocalEmpty,
    LocalTooLong,
    LocalInvalidChar,
    LocalDots,
    QuotedLocal,
    DomainEmpty,
    DomainIpLiteral,
    DomainSingleLabel,
    DomainInvalid,
    TooLong,
    ConsentRequired,
    NameTooLong,
    ConsentChanged,
    TooMany,
    StoreFull,
    StoreFailed,
}

/// The part of the form a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Email,
    Name,
    Consent,
    Form,
}

impl SignupCode {
    fn of(r: &Refusal) -> SignupCode {
        use kiosk_signups::email::EmailError as E;
        match r {
            Refusal::Email(e) => match e {
                E::Empty => SignupCode::Empty,
                E::MissingAt => SignupCode::MissingAt,
                E::LocalEmpty => SignupCode::LocalEmpty,
                E::LocalTooLong => SignupCode::LocalTooLong,
                E::LocalInvalidChar => SignupCode::LocalInvalidChar,
                E::LocalDots => SignupCode::LocalDots,
                E::QuotedLocal => SignupCode::QuotedLocal,
                E::DomainEmpty => SignupCode::DomainEmpty,
                E::DomainIpLiteral => SignupCode::DomainIpLiteral,
                E::DomainSingleLabel => SignupCode::DomainSingleLabel,
                E::DomainInvalid => SignupCode::DomainInvalid,
                E::TooLong => SignupCode::TooLong,
            },
            Refusal::ConsentRequired => SignupCode::ConsentRequired,
            Refusal::NameTooLong => SignupCode::NameTooLong,
            Refusal::ConsentChanged => SignupCode::ConsentChanged,
            Refusal::TooMany(_) => SignupCode::TooMany,
            Refusal::StoreFull(_) => SignupCode::StoreFull,
            Refusal::Store(_) => SignupCode::StoreFailed,
        }
    }
}

impl Field {
    fn of(r: &Refusal) -> Field {
        match r {
            Refusal::Email(_) => Field::Email,
            Refusal::NameTooLong => Field::Name,
            Refusal::ConsentRequired | Refusal::ConsentChanged => Field::Consent,
            Refusal::TooMany(_) | Refusal::StoreFull(_) | Refusal::Store(_) => Field::Form,
        }
    }
}

impl From<Refusal> for SignupError {
    fn from(r: Refusal) -> Self {
        if let Refusal::StoreFull(e) = &r {
            tracing::warn!("signup refused: {e}");
        }
        // Never the address: the message is the code, or the store's words about the disk.
        SignupError { code: SignupCode::of(&r), field: Field::of(&r), message: r.to_string() }
    }
}

impl From<StoreError> for SignupError {
    fn from(e: StoreError) -> Self {
        Refusal::from(e).into()
    }
}

/// Opens the signup store in `data_dir`. A damaged store (garbage, truncated,
/// a folder, unreadable) is set aside with its WAL — never deleted: it may
/// hold signups a visitor was thanked for — and a fresh one started; staff
/// hear of it through `problems`. Fails when not even a fresh store can be
/// made, and when a store SQLite finds sound will not open (held by another
/// process, a full disk, a newer schema): that one still holds signups to
/// send, so it is never moved.
pub fn open_or_recover(
    data_dir: &Path,
    sync: Option<&SyncConfig>,
    limits: &SignupLimits,
    problems: &Problems,
    http: &kiosk_http::Shared,
) -> Result<Signups, String> {
    use kiosk_signups::recover;
    let path = data_dir.join("signups.sqlite");
    match recover::set_aside_if_damaged(&path, jiff::Timestamp::now()) {
        Ok(Some(moved)) => problems.add(moved.to_string()),
        Ok(None) => {}
        Err(e) => tracing::warn!("cannot set the damaged signup store {} aside: {e}", path.display()),
    }
    match Signups::open(data_dir, sync, limits, http) {
        Ok(s) => Ok(s),
        // Set aside only what SQLite itself finds damaged (damage can show only
        // when the store is opened for writing). A sound store that will not
        // open — held by another process, a full disk, files left root's by
        // `sudo kioskctl`, a schema from a newer version — holds signups that
        // must still be sent: it is never moved, and the start fails as it
        // says, for systemd to try again.
        Err(e) => match recover::check(&path) {
            Err(recover::Finding::Damaged(why)) => {
                let moved = recover::set_aside(&path, &why, jiff::Timestamp::now())
                    .map_err(|m| format!("{e}; and it cannot be set aside: {m}"))?;
                problems.add(moved.to_string());
                Signups::open(data_dir, sync, limits, http)
            }
            Ok(()) | Err(recover::Finding::Busy(_)) => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI gets the intake's own codes and fields: one name for one refusal everywhere.
    #[test]
    fn a_refusal_keeps_the_intakes_code_and_field() {
        use kiosk_signups::email::EmailError as E;
        let emails = [
            E::Empty,
            E::MissingAt,
            E::LocalEmpty,
            E::LocalTooLong,
            E::LocalInvalidChar,
            E::LocalDots,
            E::QuotedLocal,
            E::DomainEmpty,
            E::DomainIpLiteral,
            E::DomainSingleLabel,
            E::DomainInvalid,
            E::TooLong,
        ];
        let refusals = emails.into_iter().map(Refusal::Email).chain([
            Refusal::ConsentRequired,
            Refusal::NameTooLong,
            Refusal::ConsentChanged,
        ]);
        for r in refusals {
            let (code, field) = (r.code(), r.field());
            let e = SignupError::from(r);
            assert_eq!(serde_json::to_value(e.code).unwrap(), code);
            assert_eq!(serde_json::to_value(e.field).unwrap(), field);
        }
    }

    #[test]
    fn a_sound_store_that_will_not_open_is_never_set_aside() {
        // A newer version's schema (after a downgrade): SQLite finds the store
        // sound, the migrations refuse it. Its signups must stay where the sync finds them.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signups.sqlite");
        kiosk_signups::store::SignupStore::open(&path).unwrap();
        rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 999;").unwrap();
        let problems = Problems::default();
        let opened = open_or_recover(
            dir.path(),
            None,
            &kiosk_config::SignupLimits::default(),
            &problems,
            &kiosk_http::Shared::new(),
        );
        assert!(opened.is_err(), "a store from a newer version does not open");
        assert!(path.exists(), "a sound store is never moved aside: {:?}", problems.list());
        let moved: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
            .collect();
        assert!(moved.is_empty(), "nothing set aside: {moved:?}");
    }
}
