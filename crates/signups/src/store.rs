//! The signup store: its own SQLite file in the kiosk's data directory (never
//! the content bundle), written so that a signup the UI confirmed survives a
//! crash or a power cut, and kept only until the central list has it.
//!
//! Durability: WAL with `synchronous = FULL` — each commit is fsynced before
//! [`SignupStore::add`] returns, so "Thank you" is shown only for what is on
//! disk. `secure_delete` overwrites delivered rows instead of leaving them in
//! free pages: the kiosk keeps no personal data it no longer needs.
//!
//! Abuse limits (see [`Limits`]): at most `max_pending` signups wait on the
//! kiosk, one pending entry per mailbox ([`crate::mailbox`]), and a mailbox
//! the list took within `resend_window` is not sent again. For that window the
//! store keeps only a keyed hash (HMAC-SHA-256 with a random per-store secret)
//! of each delivered mailbox, never the address.

use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use serde::Serialize;
use sha2::Sha256;

use crate::email::ValidEmail;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, file unreadable…).
    #[error("signup store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The store's schema could not be brought up to date.
    #[error("signup store migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// `max_pending` signups are already waiting: no new one is taken until the list has some.
    #[error("the signup store is full: {cap} signups are waiting to be sent")]
    Full {
        /// The configured cap.
        cap: u64,
    },
}

/// How much the store takes, and how long it remembers a delivered mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Signups that may wait on the kiosk (pending and in review) before new ones are refused.
    pub max_pending: u64,
    /// A mailbox the list took this recently is answered as delivered, not sent again.
    pub resend_window: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_pending: 10_000, resend_window: std::time::Duration::from_secs(24 * 3600) }
    }
}

/// A signup as the visitor confirmed it.
#[derive(Debug, Clone)]
pub struct NewSignup<'a> {
    /// The validated address.
    pub email: &'a ValidEmail,
    /// Optional name, trimmed.
    pub name: Option<&'a str>,
    /// The visitor's language.
    pub lang: &'a str,
    /// Version of the consent statement shown.
    pub consent_version: u32,
    /// The consent statement's text as shown (its hash is stored).
    pub consent_text: &'a str,
    /// This kiosk.
    pub kiosk_id: &'a str,
    /// When it was confirmed.
    pub at: Timestamp,
}

/// A stored signup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Signup {
    /// UUIDv7: unique, and sorts by time (also the idempotency key for the central list).
    pub id: String,
    /// The address as typed (normalised).
    pub email_typed: String,
    /// The address as sent to the list.
    pub email_ascii: String,
    /// Name, if given.
    pub name: Option<String>,
    /// Language.
    pub lang: String,
    /// Consent version.
    pub consent_version: u32,
    /// SHA-256 of the consent text, hex.
    pub consent_sha256: String,
    /// Kiosk id.
    pub kiosk_id: String,
    /// When, UTC, RFC 3339.
    pub created_utc: String,
}

/// What [`SignupStore::add`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Stored, durably, with this id.
    New(String),
    /// The same mailbox is already waiting to be sent: nothing new was stored.
    AlreadyPending,
    /// The list took the same mailbox within the resend window: nothing is sent again.
    RecentlyDelivered,
}

/// Counts for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Counts {
    /// Waiting to be sent.
    pub pending: u64,
    /// Refused by the central list; staff must look at them.
    pub review: u64,
    /// Acknowledged by the central list (and deleted here).
    pub delivered: u64,
}

/// The last sync attempt, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LastSync {
    /// When it was tried, UTC, RFC 3339.
    pub attempt_utc: String,
    /// Whether it reached the central list and sent everything it tried.
    pub ok: bool,
    /// What happened, in words for staff (never an address).
    pub message: String,
    /// The last fully successful attempt, if any.
    pub last_ok_utc: Option<String>,
}

/// One signup the central list refused for good, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReviewEntry {
    /// The signup.
    pub signup: Signup,
    /// Why it was refused (never the address).
    pub reason: String,
}

/// What one sync round learned, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundOutcome {
    /// The central list has these: delete them and count them.
    pub delivered: Vec<String>,
    /// Refused for good: move to review, with the reason.
    pub rejected: Vec<(String, String)>,
    /// Failed for now: stay pending, attempt counted, reason kept.
    pub retry: Vec<(String, String)>,
}

/// Anonymous counts for one day, in the kiosk's time zone (see [`SignupStore::open`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Day {
    /// `YYYY-MM-DD`, local to the kiosk.
    pub day: String,
    /// Signups taken.
    pub signups: u64,
    /// Signups the central list acknowledged.
    pub delivered: u64,
}

fn day_of(tz: &TimeZone, at: Timestamp) -> String {
    tz.to_datetime(at).date().to_string()
}

const SIGNUP_COLUMNS: &str =
    "id, email_typed, email_ascii, name, lang, consent_version, consent_sha256, kiosk_id, created_utc";

fn signup_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Signup> {
    Ok(Signup {
        id: r.get(0)?,
        email_typed: r.get(1)?,
        email_ascii: r.get(2)?,
        name: r.get(3)?,
        lang: r.get(4)?,
        consent_version: r.get(5)?,
        consent_sha256: r.get(6)?,
        kiosk_id: r.get(7)?,
        created_utc: r.get(8)?,
    })
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE signups (
            id              TEXT PRIMARY KEY,
            email_typed     TEXT NOT NULL,
            email_ascii     TEXT NOT NULL,
            name            TEXT,
            lang            TEXT NOT NULL,
            consent_version INTEGER NOT NULL,
            consent_sha256  TEXT NOT NULL,
            kiosk_id        TEXT NOT NULL,
            created_utc     TEXT NOT NULL,
            state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'review')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            last_error      TEXT
        ) STRICT;
        -- One pending entry per address (case-insensitive, as people type it).
        CREATE UNIQUE INDEX signups_pending_address ON signups (lower(email_ascii)) WHERE state = 'pending';
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
        INSERT INTO counters (name, value) VALUES ('delivered', 0);",
        ),
        // Sync bookkeeping and anonymous daily counts (no addresses) for the staff panel.
        M::up(
            "CREATE TABLE sync_state (
                id            INTEGER PRIMARY KEY CHECK (id = 1),
                attempt_utc   TEXT NOT NULL,
                ok            INTEGER NOT NULL,
                message       TEXT NOT NULL,
                last_ok_utc   TEXT
            ) STRICT;
            CREATE TABLE daily (
                day        TEXT PRIMARY KEY,
                signups    INTEGER NOT NULL DEFAULT 0,
                delivered  INTEGER NOT NULL DEFAULT 0
            ) STRICT;",
        ),
        // Abuse limits: the mailbox key (HMAC of the normalised mailbox) each
        // signup dedups on, the keyed hashes of recently delivered mailboxes
        // (never addresses), the per-store HMAC secret, and a tally of repeats.
        M::up(
            "ALTER TABLE signups ADD COLUMN mailbox TEXT;
            CREATE INDEX signups_pending_mailbox ON signups (mailbox) WHERE state = 'pending';
            CREATE TABLE delivered_recently (
                mailbox         TEXT PRIMARY KEY,
                delivered_unix  INTEGER NOT NULL
            ) STRICT;
            CREATE TABLE kiosk_secret (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL) STRICT;
            INSERT INTO kiosk_secret (id, key) VALUES (1, randomblob(32));
            INSERT INTO counters (name, value) VALUES ('repeats', 0);",
        ),
    ])
}

/// How long [`SignupStore::purge_deleted`] keeps trying while a reader holds
/// an old snapshot, and how long each try waits.
const PURGE_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);
const PURGE_STEP: std::time::Duration = std::time::Duration::from_millis(100);
/// Writers wait this long for each other (the UI's and the sync's connections).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The store.
pub struct SignupStore {
    conn: Connection,
    /// The write-ahead log next to the database file.
    wal: std::path::PathBuf,
    /// The zone whose days the daily counts follow.
    tz: TimeZone,
    /// The per-store secret the mailbox keys are HMACs under.
    secret: Vec<u8>,
    limits: Limits,
}

impl SignupStore {
    /// Opens (creating if needed) the store at `path`. Daily counts follow the
    /// days of the system's time zone (`/etc/localtime`): staff read "today"
    /// as the kiosk's clock shows it, not UTC's.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;",
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        migrations().to_latest(&mut conn)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let secret: Vec<u8> = conn.query_row("SELECT key FROM kiosk_secret WHERE id = 1", [], |r| r.get(0))?;
        let store = SignupStore { conn, wal: wal.into(), tz: TimeZone::system(), secret, limits: Limits::default() };
        store.key_unkeyed_rows()?;
        Ok(store)
    }

    /// Uses `limits` instead of the defaults.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The key a mailbox is deduplicated and remembered under: HMAC-SHA-256 of
    /// its normalised form ([`crate::mailbox::normalise`]) with this store's secret, hex.
    fn mailbox_key(&self, ascii: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(crate::mailbox::normalise(ascii).as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Signups stored before mailbox keys existed get theirs.
    fn key_unkeyed_rows(&self) -> Result<(), StoreError> {
        let rows: Vec<(String, String)> = self
            .conn
            .prepare("SELECT id, email_ascii FROM signups WHERE mailbox IS NULL")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, ascii) in rows {
            self.conn
                .execute("UPDATE signups SET mailbox = ?2 WHERE id = ?1", params![id, self.mailbox_key(&ascii)])?;
        }
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn conn_for_tests(&self) -> &Connection {
        &self.conn
    }

    /// Signups waiting on the kiosk (pending and in review), against `max_pending`.
    pub fn waiting(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM signups", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Whether the store holds `max_pending` signups and refuses new ones: staff must look.
    pub fn is_full(&self) -> Result<bool, StoreError> {
        Ok(self.waiting()? >= self.limits.max_pending)
    }

    /// Counts days in `tz` instead of the system's time zone.
    pub fn in_time_zone(mut self, tz: TimeZone) -> Self {
        self.tz = tz;
        self
    }

    /// Stores a confirmed signup; returns once it is on disk.
    ///
    /// A mailbox already pending, or delivered within the resend window, is
    /// not stored again ([`Added::AlreadyPending`], [`Added::RecentlyDelivered`]);
    /// those answers still commit a write (a tally), so they take as long as a new one.
    /// A full store refuses every address alike ([`StoreError::Full`]).
    pub fn add(&mut self, s: &NewSignup<'_>) -> Result<Added, StoreError> {
        let cap = self.limits.max_pending;
        if self.waiting()? >= cap {
            return Err(StoreError::Full { cap });
        }
        let mailbox = self.mailbox_key(&s.email.ascii);
        let now = s.at.as_second();
        let window = i64::try_from(self.limits.resend_window.as_secs()).unwrap_or(i64::MAX);
        let tx = self.conn.transaction()?;
        // Forget delivered mailboxes once their window has passed.
        tx.execute("DELETE FROM delivered_recently WHERE delivered_unix <= ?1", [now.saturating_sub(window)])?;
        let pending: bool = tx
            .query_row(
                "SELECT 1 FROM signups WHERE state = 'pending' AND (mailbox = ?1 OR lower(email_ascii) = lower(?2))",
                params![mailbox, s.email.ascii],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        let repeat = if pending {
            Some(Added::AlreadyPending)
        } else {
            tx.query_row("SELECT 1 FROM delivered_recently WHERE mailbox = ?1", [&mailbox], |_| Ok(()))
                .optional()?
                .map(|()| Added::RecentlyDelivered)
        };
        if let Some(repeat) = repeat {
            tx.execute("UPDATE counters SET value = value + 1 WHERE name = 'repeats'", [])?;
            tx.commit()?;
            return Ok(repeat);
        }
        let id = uuid::Uuid::now_v7().to_string();
        tx.execute(
            "INSERT INTO signups (id, email_typed, email_ascii, name, lang, consent_version, consent_sha256, kiosk_id, created_utc, mailbox)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                s.email.as_typed,
                s.email.ascii,
                s.name.map(str::trim).filter(|n| !n.is_empty()),
                s.lang,
                s.consent_version,
                crate::consent::sha256_hex(s.consent_text),
                s.kiosk_id,
                s.at.to_string(),
                mailbox,
            ],
        )?;
        tx.execute(
            "INSERT INTO daily (day, signups) VALUES (?1, 1) ON CONFLICT (day) DO UPDATE SET signups = signups + 1",
            [day_of(&self.tz, s.at)],
        )?;
        tx.commit()?;
        Ok(Added::New(id))
    }

    /// Up to `limit` pending signups, oldest first.
    pub fn pending(&self, limit: usize) -> Result<Vec<Signup>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SIGNUP_COLUMNS} FROM signups WHERE state = 'pending' ORDER BY id LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], signup_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Signups the central list refused, oldest first, with the reason.
    pub fn in_review(&self) -> Result<Vec<ReviewEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SIGNUP_COLUMNS}, coalesce(last_error, '') FROM signups WHERE state = 'review' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], |r| Ok(ReviewEntry { signup: signup_row(r)?, reason: r.get(9)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every signup still on the kiosk (pending and in review), oldest first,
    /// with its state: what `kioskctl signups export` writes.
    pub fn undelivered(&self) -> Result<Vec<(Signup, &'static str)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {SIGNUP_COLUMNS}, state FROM signups ORDER BY id"))?;
        let rows = stmt.query_map([], |r| {
            let state: String = r.get(9)?;
            Ok((signup_row(r)?, if state == "review" { "review" } else { "pending" }))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The central list has these: delete the local copies, keep only the count.
    pub fn mark_delivered(&mut self, ids: &[String]) -> Result<(), StoreError> {
        self.record_round(&RoundOutcome { delivered: ids.to_vec(), ..Default::default() }, None, Timestamp::now())
    }

    /// The central list refused this one for good: keep it for staff to review.
    /// `reason` must not contain the address.
    pub fn mark_review(&mut self, id: &str, reason: &str) -> Result<(), StoreError> {
        let outcome = RoundOutcome { rejected: vec![(id.to_string(), reason.to_string())], ..Default::default() };
        self.record_round(&outcome, None, Timestamp::now())
    }

    /// Writes what a sync round learned — deliveries, rejections, retries and,
    /// when given, the round's result for staff — in one durable transaction,
    /// so a crash leaves either all of it or none of it (and a signup sent again
    /// after a crash is answered "already there" by the central list).
    pub fn record_round(
        &mut self,
        outcome: &RoundOutcome,
        result: Option<(bool, &str)>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let mut delivered = 0;
        {
            let mut delete = tx.prepare_cached("DELETE FROM signups WHERE id = ?1")?;
            for id in &outcome.delivered {
                remember_delivered(&tx, id, at)?;
                delivered += delete.execute([id])?;
            }
            let mut review = tx.prepare_cached(
                "UPDATE signups SET state = 'review', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            )?;
            for (id, reason) in &outcome.rejected {
                review.execute(params![id, reason])?;
            }
            let mut retry =
                tx.prepare_cached("UPDATE signups SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1")?;
            for (id, reason) in &outcome.retry {
                retry.execute(params![id, reason])?;
            }
        }
        if delivered > 0 {
            tx.execute("UPDATE counters SET value = value + ?1 WHERE name = 'delivered'", [delivered as i64])?;
            tx.execute(
                "INSERT INTO daily (day, delivered) VALUES (?1, ?2)
                 ON CONFLICT (day) DO UPDATE SET delivered = delivered + excluded.delivered",
                params![day_of(&self.tz, at), delivered as i64],
            )?;
        }
        if let Some((ok, message)) = result {
            tx.execute(
                "INSERT INTO sync_state (id, attempt_utc, ok, message, last_ok_utc) VALUES (1, ?1, ?2, ?3, CASE WHEN ?2 THEN ?1 END)
                 ON CONFLICT (id) DO UPDATE SET attempt_utc = excluded.attempt_utc, ok = excluded.ok,
                   message = excluded.message, last_ok_utc = coalesce(excluded.last_ok_utc, last_ok_utc)",
                params![at.to_string(), ok, message],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Moves the write-ahead log into the database file and empties it, so the
    /// old page images of delivered (deleted) signups leave the disk too:
    /// `secure_delete` zeroes them in the database file (free pages included),
    /// and this drops the copies the WAL still holds. Call after a round that
    /// delivered something, and again while it returns `false`.
    ///
    /// Returns whether the WAL is now empty. A reader in the middle of a read
    /// transaction (another connection's long query) pins an old snapshot, and
    /// the checkpoint cannot truncate the WAL under it: SQLite then reports
    /// "busy" in the pragma's first column rather than failing. That is tried
    /// again for up to two seconds; if the reader is still there, the answer is
    /// `false` and the caller tries again later (the sync does at its next round).
    pub fn purge_deleted(&self) -> Result<bool, StoreError> {
        self.conn.busy_timeout(PURGE_STEP)?;
        let deadline = std::time::Instant::now() + PURGE_BUDGET;
        let purged = loop {
            // Columns: busy (1 if it could not finish), log frames, frames checkpointed.
            let busy = match self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0)) {
                Ok(busy) => busy != 0,
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => true,
                Err(e) => {
                    self.conn.busy_timeout(BUSY_TIMEOUT)?;
                    return Err(e.into());
                }
            };
            if !busy {
                break true;
            }
            if std::time::Instant::now() >= deadline {
                break false;
            }
            std::thread::sleep(PURGE_STEP);
        };
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(purged)
    }

    /// Whether the write-ahead log holds nothing (so there is nothing to purge).
    pub fn wal_is_empty(&self) -> bool {
        std::fs::metadata(&self.wal).map_or(true, |m| m.len() == 0)
    }

    /// [`purge_deleted`](Self::purge_deleted) when the write-ahead log holds
    /// anything: what every program that opens the store does, so signups
    /// deleted by another (an export, a sync round) while a reader held the
    /// store do not stay on disk. Returns whether the WAL is now empty.
    pub fn purge_if_needed(&self) -> Result<bool, StoreError> {
        Ok(self.wal_is_empty() || self.purge_deleted()?)
    }

    /// Puts every signup in review back in the queue (after staff fixed the cause).
    /// Returns how many; one that is already pending again under the same address stays merged.
    pub fn requeue_review(&mut self) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        // An address that signed up again meanwhile is already pending: drop the reviewed duplicate.
        tx.execute(
            "DELETE FROM signups WHERE state = 'review' AND lower(email_ascii) IN
               (SELECT lower(email_ascii) FROM signups WHERE state = 'pending')",
            [],
        )?;
        // Of several reviewed entries for one address, keep the newest.
        tx.execute(
            "DELETE FROM signups WHERE state = 'review' AND id NOT IN
               (SELECT max(id) FROM signups WHERE state = 'review' GROUP BY lower(email_ascii))",
            [],
        )?;
        let n = tx.execute("UPDATE signups SET state = 'pending', last_error = NULL WHERE state = 'review'", [])?;
        tx.commit()?;
        Ok(n)
    }

    /// The last sync attempt, if there was one.
    pub fn last_sync(&self) -> Result<Option<LastSync>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT attempt_utc, ok, message, last_ok_utc FROM sync_state WHERE id = 1", [], |r| {
                Ok(LastSync { attempt_utc: r.get(0)?, ok: r.get(1)?, message: r.get(2)?, last_ok_utc: r.get(3)? })
            })
            .optional()?)
    }

    /// Anonymous per-day counts from `since` (a `YYYY-MM-DD` local day) on, oldest first.
    pub fn daily(&self, since: &str) -> Result<Vec<Day>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT day, signups, delivered FROM daily WHERE day >= ?1 ORDER BY day")?;
        let rows = stmt.query_map([since], |r| {
            Ok(Day { day: r.get(0)?, signups: r.get::<_, i64>(1)? as u64, delivered: r.get::<_, i64>(2)? as u64 })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Pending, in review, delivered.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let count = |state: &str| -> Result<u64, StoreError> {
            Ok(self.conn.query_row("SELECT COUNT(*) FROM signups WHERE state = ?1", [state], |r| r.get::<_, i64>(0))?
                as u64)
        };
        let delivered: i64 =
            self.conn.query_row("SELECT value FROM counters WHERE name = 'delivered'", [], |r| r.get(0))?;
        Ok(Counts { pending: count("pending")?, review: count("review")?, delivered: delivered as u64 })
    }
}

/// Keeps the keyed hash of a delivered signup's mailbox for the resend window
/// (see [`SignupStore::add`]): the address itself is deleted with the row.
/// How often a kiosk that runs no sync worker (no `[sync]` section, or one
/// that could not start) wipes what was deleted but left on disk.
pub const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// A thread that calls [`SignupStore::purge_if_needed`] on its own connection
/// every so often; stops (and is waited for) when dropped. A kiosk with a
/// sync worker does not need one: every round ends with a purge.
pub struct Purger {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Purger {
    /// Starts purging the store at `path` every `every`; `log` gets a line
    /// when a purge fails or a reader keeps it from finishing (never an address).
    pub fn spawn(
        path: &Path,
        every: std::time::Duration,
        log: impl Fn(&str) + Send + 'static,
    ) -> std::io::Result<Purger> {
        let (stop, rx) = std::sync::mpsc::channel::<()>();
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new().name("signup-purge".into()).spawn(move || {
            let mut store = None;
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(every) {
                if store.is_none() {
                    store = SignupStore::open(&path).map_err(|e| log(&format!("signup purge: {e}"))).ok();
                }
                match store.as_ref().map(SignupStore::purge_if_needed) {
                    Some(Ok(false)) => log("signup purge: the store is busy (a reader): trying again later"),
                    Some(Err(e)) => log(&format!("signup purge: {e}")),
                    _ => {}
                }
            }
        })?;
        Ok(Purger { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Purger {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn remember_delivered(tx: &rusqlite::Transaction<'_>, id: &str, at: Timestamp) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO delivered_recently (mailbox, delivered_unix)
           SELECT mailbox, ?2 FROM signups WHERE id = ?1 AND mailbox IS NOT NULL
         ON CONFLICT (mailbox) DO UPDATE SET delivered_unix = excluded.delivered_unix",
    )?
    .execute(params![id, at.as_second()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::validate;

    fn new<'a>(email: &'a ValidEmail) -> NewSignup<'a> {
        NewSignup {
            email,
            name: Some(" Aigerim "),
            lang: "kk",
            consent_version: 1,
            consent_text: "I agree.",
            kiosk_id: "lobby-1",
            at: "2026-11-28T12:00:00Z".parse().unwrap(),
        }
    }

    /// Regression (issue #15 review): on a kiosk without a sync worker,
    /// signups deleted by another program (`kioskctl signups export
    /// --delete-exported`) while a reader held the store stayed on disk for
    /// good — nothing ever purged. The kiosk's purger wipes them once the reader is gone.
    #[test]
    fn the_purger_wipes_what_another_program_deleted_while_a_reader_held_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signups.sqlite");
        let addresses: Vec<String> = (0..200).map(|i| format!("purger.visitor{i:04}@example.org")).collect();
        {
            let mut store = SignupStore::open(&path).unwrap();
            for a in &addresses {
                store.add(&new(&validate(a).unwrap())).unwrap();
            }
        }
        let on_disk = || {
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(dir.path().join("signups.sqlite-wal")).unwrap_or_default());
            let text = String::from_utf8_lossy(&bytes).into_owned();
            addresses.iter().filter(|a| text.contains(a.as_str())).count()
        };
        assert_eq!(on_disk(), addresses.len(), "the test starts with every address in the file");
        // The running kiosk's own connection, open throughout (as the app's is).
        let kiosk = SignupStore::open(&path).unwrap();
        let reader = Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader.query_row("SELECT count(*) FROM signups", [], |r| r.get(0)).unwrap();
        // Another program exports and deletes everything, and cannot purge.
        let mut export = SignupStore::open(&path).unwrap();
        let ids: Vec<String> = export.undelivered().unwrap().into_iter().map(|(s, _)| s.id).collect();
        export.mark_delivered(&ids).unwrap();
        assert!(!export.purge_deleted().unwrap(), "the reader must keep the purge from finishing");
        drop(export);
        drop(reader);
        assert!(on_disk() > 0, "with the reader gone, nothing else wipes them: this is what the purger is for");

        let _purger = Purger::spawn(&path, std::time::Duration::from_millis(100), |_| {}).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while on_disk() > 0 || !kiosk.wal_is_empty() {
            assert!(std::time::Instant::now() < deadline, "{} addresses still on disk", on_disk());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(kiosk.counts().unwrap().delivered, 200);
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn a_store_from_before_mailbox_keys_gets_them_and_dedups_its_old_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let mut old = Connection::open(&path).unwrap();
        migrations().to_version(&mut old, 2).unwrap();
        old.execute(
            "INSERT INTO signups (id, email_typed, email_ascii, lang, consent_version, consent_sha256, kiosk_id, created_utc)
             VALUES ('0190', 'a+old@x.org', 'a+old@x.org', 'en', 1, '00', 'k', '2026-11-28T12:00:00Z')",
            [],
        )
        .unwrap();
        drop(old);
        let mut store = SignupStore::open(&path).unwrap();
        let key: Option<String> = store.conn.query_row("SELECT mailbox FROM signups", [], |r| r.get(0)).unwrap();
        assert_eq!(key.map(|k| k.len()), Some(64), "an old row gets its mailbox key at open");
        let again = validate("a+new@x.org").unwrap();
        assert_eq!(store.add(&new(&again)).unwrap(), Added::AlreadyPending, "and counts as that mailbox");
    }

    #[test]
    fn a_signup_is_on_disk_when_add_returns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signups.sqlite");
        let email = validate("aigerim@почта.қаз").unwrap();
        let Added::New(id) = SignupStore::open(&path).unwrap().add(&new(&email)).unwrap() else { panic!("new") };
        // A second connection (as after a crash) sees it: the commit is durable, not cached.
        let reopened = SignupStore::open(&path).unwrap();
        let rows = reopened.pending(10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, id);
        assert_eq!(rows[0].email_ascii, "aigerim@xn--80a1acny.xn--80ao21a");
        assert_eq!(rows[0].name.as_deref(), Some("Aigerim"));
        assert_eq!(rows[0].consent_version, 1);
        assert_eq!(rows[0].consent_sha256.len(), 64);
        let mode: String = reopened.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn the_same_address_while_pending_is_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SignupStore::open(&dir.path().join("s.sqlite")).unwrap();
        let a = validate("Visitor@Example.org").unwrap();
        let b = validate("visitor@example.ORG").unwrap();
        assert!(matches!(store.add(&new(&a)).unwrap(), Added::New(_)));
        assert_eq!(store.add(&new(&b)).unwrap(), Added::AlreadyPending, "already on the list");
        assert_eq!(store.counts().unwrap().pending, 1);
    }

    #[test]
    fn delivered_signups_are_deleted_and_only_counted() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SignupStore::open(&dir.path().join("s.sqlite")).unwrap();
        let a = validate("one@example.org").unwrap();
        let b = validate("two@example.org").unwrap();
        let c = validate("three@example.org").unwrap();
        for e in [&a, &b, &c] {
            store.add(&new(e)).unwrap();
        }
        let ids: Vec<String> = store.pending(10).unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "UUIDv7 ids sort oldest first");
        store.mark_delivered(&ids[..2]).unwrap();
        store.mark_review(&ids[2], "address rejected by the list").unwrap();
        assert_eq!(store.counts().unwrap(), Counts { pending: 0, review: 1, delivered: 2 });
        assert!(store.pending(10).unwrap().is_empty());
        // Once delivered, the same address within the resend window is not sent again…
        assert_eq!(store.add(&new(&a)).unwrap(), Added::RecentlyDelivered);
        // …but after it, it can sign up again (e.g. after unsubscribing).
        let later = NewSignup { at: Timestamp::now() + jiff::SignedDuration::from_hours(25), ..new(&a) };
        assert!(matches!(store.add(&later).unwrap(), Added::New(_)));
    }

    #[test]
    fn daily_counts_follow_the_kiosks_days_not_utcs() {
        let dir = tempfile::tempdir().unwrap();
        // An embassy in Washington: 21:00 on the 27th there is already the 28th in UTC.
        let tz = TimeZone::get("America/New_York").unwrap();
        let mut store = SignupStore::open(&dir.path().join("s.sqlite")).unwrap().in_time_zone(tz);
        let email = validate("evening@example.org").unwrap();
        let late = NewSignup { at: "2026-11-28T02:00:00Z".parse().unwrap(), ..new(&email) };
        let Added::New(id) = store.add(&late).unwrap() else { panic!("new") };
        let outcome = RoundOutcome { delivered: vec![id], ..Default::default() };
        store.record_round(&outcome, None, "2026-11-28T13:00:00Z".parse().unwrap()).unwrap();
        assert_eq!(
            store.daily("2026-11-01").unwrap(),
            vec![
                Day { day: "2026-11-27".into(), signups: 1, delivered: 0 },
                Day { day: "2026-11-28".into(), signups: 0, delivered: 1 },
            ]
        );
    }

    #[test]
    fn a_round_is_recorded_in_one_go_and_review_can_be_requeued() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SignupStore::open(&dir.path().join("s.sqlite")).unwrap().in_time_zone(TimeZone::UTC);
        let emails: Vec<_> = ["a@example.org", "b@example.org", "c@example.org"].map(|e| validate(e).unwrap()).into();
        for e in &emails {
            store.add(&new(e)).unwrap();
        }
        let ids: Vec<String> = store.pending(10).unwrap().into_iter().map(|s| s.id).collect();
        let at: Timestamp = "2026-11-28T13:00:00Z".parse().unwrap();
        let outcome = RoundOutcome {
            delivered: vec![ids[0].clone()],
            rejected: vec![(ids[1].clone(), "the list refused the address".into())],
            retry: vec![(ids[2].clone(), "server busy (503)".into())],
        };
        store.record_round(&outcome, Some((false, "1 of 3 sent; the list is busy")), at).unwrap();
        assert_eq!(store.counts().unwrap(), Counts { pending: 1, review: 1, delivered: 1 });
        let last = store.last_sync().unwrap().expect("a round leaves its result for staff");
        assert!(!last.ok);
        assert_eq!(last.last_ok_utc, None, "no round has fully succeeded yet");
        assert_eq!(store.in_review().unwrap()[0].reason, "the list refused the address");
        assert_eq!(
            store.daily("2026-11-01").unwrap(),
            vec![Day { day: "2026-11-28".into(), signups: 3, delivered: 1 }],
            "daily counts are anonymous tallies of signups taken and delivered"
        );

        let later: Timestamp = "2026-11-28T14:00:00Z".parse().unwrap();
        store.record_round(&RoundOutcome::default(), Some((true, "nothing to send")), later).unwrap();
        let last = store.last_sync().unwrap().unwrap();
        assert_eq!(last.last_ok_utc.as_deref(), Some("2026-11-28T14:00:00Z"));

        // The same address signed up again while its first entry sat in review: requeueing keeps one.
        store.add(&new(&emails[1])).unwrap();
        assert_eq!(store.requeue_review().unwrap(), 0, "the reviewed duplicate is merged into the new entry");
        assert_eq!(store.counts().unwrap(), Counts { pending: 2, review: 0, delivered: 1 });
        assert_eq!(store.undelivered().unwrap().len(), 2);
    }
}
