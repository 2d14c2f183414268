//! The signup store: its own SQLite file in the kiosk's data directory (never
//! the content bundle), written so that a signup the UI confirmed survives a
//! crash or a power cut, and kept only until the central list has it.
//!
//! Durability: WAL with `synchronous = FULL` — each commit is fsynced before
//! [`SignupStore::add`] returns, so "Thank you" is shown only for what is on
//! disk. `secure_delete` overwrites delivered rows instead of leaving them in
//! free pages: the kiosk keeps no personal data it no longer needs.

use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use serde::Serialize;
use sha2::{Digest, Sha256};

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
    /// The same address is already waiting to be sent: nothing new was stored.
    AlreadyPending,
}

/// Counts for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Counts {
    /// Waiting to be sent.
    pub pending: u64,
    /// Refused by the central list; staff must look at them.
    pub review: u64,
    /// Acknowledged by the central list (and deleted here).
    pub delivered: u64,
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(
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
    )])
}

/// The store.
pub struct SignupStore {
    conn: Connection,
}

impl SignupStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;",
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        Ok(SignupStore { conn })
    }

    /// Stores a confirmed signup; returns once it is on disk.
    pub fn add(&mut self, s: &NewSignup<'_>) -> Result<Added, StoreError> {
        let tx = self.conn.transaction()?;
        let pending: bool = tx
            .query_row(
                "SELECT 1 FROM signups WHERE state = 'pending' AND lower(email_ascii) = lower(?1)",
                [&s.email.ascii],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if pending {
            return Ok(Added::AlreadyPending);
        }
        let id = uuid::Uuid::now_v7().to_string();
        let consent_sha256: String =
            Sha256::digest(s.consent_text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        tx.execute(
            "INSERT INTO signups (id, email_typed, email_ascii, name, lang, consent_version, consent_sha256, kiosk_id, created_utc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                s.email.as_typed,
                s.email.ascii,
                s.name.map(str::trim).filter(|n| !n.is_empty()),
                s.lang,
                s.consent_version,
                consent_sha256,
                s.kiosk_id,
                s.at.to_string(),
            ],
        )?;
        tx.commit()?;
        Ok(Added::New(id))
    }

    /// Up to `limit` pending signups, oldest first.
    pub fn pending(&self, limit: usize) -> Result<Vec<Signup>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, email_typed, email_ascii, name, lang, consent_version, consent_sha256, kiosk_id, created_utc
             FROM signups WHERE state = 'pending' ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
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
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The central list has these: delete the local copies, keep only the count.
    pub fn mark_delivered(&mut self, ids: &[String]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let mut deleted = 0;
        for id in ids {
            deleted += tx.execute("DELETE FROM signups WHERE id = ?1", [id])?;
        }
        tx.execute("UPDATE counters SET value = value + ?1 WHERE name = 'delivered'", [deleted as i64])?;
        tx.commit()?;
        Ok(())
    }

    /// The central list refused this one for good: keep it for staff to review.
    /// `reason` must not contain the address.
    pub fn mark_review(&mut self, id: &str, reason: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE signups SET state = 'review', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![id, reason],
        )?;
        Ok(())
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

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
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
        // Once delivered, the same address can sign up again (e.g. after unsubscribing).
        assert!(matches!(store.add(&new(&a)).unwrap(), Added::New(_)));
    }
}
