//! Taking a signup at the kiosk, with every check in the core (the UI's own
//! checks are a courtesy): a valid address, consent ticked, the consent
//! statement the visitor saw still the kiosk's, the per-kiosk throttle, the
//! store's cap; then the store, which dedups by mailbox.
//!
//! Every accepted submission gets the same answer — a new address, one already
//! waiting and one delivered recently alike ([`Taken`]) — so the kiosk never
//! tells a visitor whether an address is on the list.

use std::time::Instant;

use jiff::Timestamp;

use crate::consent::{Shown, Statement};
use crate::email::{self, EmailError};
use crate::store::{Added, NewSignup, SignupStore, StoreError};
use crate::throttle::{Throttle, Throttled};

/// The longest name taken, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// The store and the throttle in front of it: one per kiosk.
pub struct Intake {
    store: SignupStore,
    throttle: Throttle,
}

/// The form as the visitor submitted it.
#[derive(Debug, Clone, Copy)]
pub struct Form<'a> {
    /// The address as typed.
    pub email: &'a str,
    /// The optional name as typed.
    pub name: &'a str,
    /// Whether the consent box was ticked.
    pub consent: bool,
    /// The consent statement that was on screen at the tap.
    pub shown: Shown<'a>,
    /// This kiosk.
    pub kiosk_id: &'a str,
}

/// Why a submission was refused: a stable code the UI translates, and the field it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The address is not valid.
    #[error("{0}")]
    Email(EmailError),
    /// The box was not ticked.
    #[error("consent_required")]
    ConsentRequired,
    /// The name is longer than [`MAX_NAME_CHARS`].
    #[error("name_too_long")]
    NameTooLong,
    /// The statement on screen is no longer the kiosk's (a new bundle came):
    /// show the current one and ask again.
    #[error("consent_changed")]
    ConsentChanged,
    /// Too many signups at this kiosk in the last minute.
    #[error("too_many: try again in {} s", .0.retry_after.as_secs())]
    TooMany(Throttled),
    /// The store is full: staff see it on the panel.
    #[error("store_full: {0}")]
    StoreFull(StoreError),
    /// The store failed (disk…).
    #[error("store_failed: {0}")]
    Store(StoreError),
}

impl Refusal {
    /// The code the UI translates.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Email(e) => e.code(),
            Refusal::ConsentRequired => "consent_required",
            Refusal::NameTooLong => "name_too_long",
            Refusal::ConsentChanged => "consent_changed",
            Refusal::TooMany(_) => "too_many",
            Refusal::StoreFull(_) => "store_full",
            Refusal::Store(_) => "store_failed",
        }
    }

    /// The form field it concerns: `email`, `name`, `consent` or `form`.
    pub fn field(&self) -> &'static str {
        match self {
            Refusal::Email(_) => "email",
            Refusal::NameTooLong => "name",
            Refusal::ConsentRequired | Refusal::ConsentChanged => "consent",
            Refusal::TooMany(_) | Refusal::StoreFull(_) | Refusal::Store(_) => "form",
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Full { .. } => Refusal::StoreFull(e),
            e => Refusal::Store(e),
        }
    }
}

/// A signup taken. What the visitor is told does not depend on which it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// What the store did: only the sync worker cares (a new one is worth a nudge).
    pub added: Added,
}

impl Intake {
    /// `store` behind a throttle of `per_minute` signups.
    pub fn new(store: SignupStore, per_minute: u32) -> Self {
        Intake { store, throttle: Throttle::new(per_minute) }
    }

    /// The store (counts and views for staff, sync bookkeeping).
    pub fn store(&self) -> &SignupStore {
        &self.store
    }

    /// The store, to write.
    pub fn store_mut(&mut self) -> &mut SignupStore {
        &mut self.store
    }

    /// Checks and stores `form`. `current` is the kiosk's consent statement now
    /// for the language the form says it showed; `now` drives the throttle, `at`
    /// is the signup's time. Returns once the signup is on disk.
    pub fn submit(
        &mut self,
        form: Form<'_>,
        current: &Statement,
        now: Instant,
        at: Timestamp,
    ) -> Result<Taken, Refusal> {
        let valid = email::validate(form.email).map_err(Refusal::Email)?;
        if !form.consent {
            return Err(Refusal::ConsentRequired);
        }
        let name = form.name.trim();
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(Refusal::NameTooLong);
        }
        if !current.is(&form.shown) {
            return Err(Refusal::ConsentChanged);
        }
        // Every valid submission counts, whatever the address: the throttle says nothing about who is listed.
        self.throttle.check(now).map_err(Refusal::TooMany)?;
        let added = self.store.add(&NewSignup {
            email: &valid,
            name: Some(name),
            lang: &current.lang,
            consent_version: current.version,
            consent_text: &current.text,
            kiosk_id: form.kiosk_id,
            at,
        })?;
        self.throttle.record(now);
        Ok(Taken { added })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::{Limits, RoundOutcome};

    const KK: &str = "Елшіліктен хат алуға келісемін.";

    struct Fixture {
        _dir: tempfile::TempDir,
        intake: Intake,
        t0: Instant,
        at0: Timestamp,
        statement: Statement,
    }

    impl Fixture {
        fn new(per_minute: u32, limits: Limits) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let store = SignupStore::open(&dir.path().join("s.sqlite")).unwrap().with_limits(limits);
            Fixture {
                _dir: dir,
                intake: Intake::new(store, per_minute),
                t0: Instant::now(),
                at0: "2026-11-28T12:00:00Z".parse().unwrap(),
                statement: Statement::new("kk", 3, KK),
            }
        }

        /// Submits `email` `secs` seconds into the test, as shown with `self.statement`.
        fn submit(&mut self, email: &str, secs: u64) -> Result<Taken, Refusal> {
            let current = self.statement.clone();
            self.submit_shown(email, secs, &current, &self.statement.clone())
        }

        fn submit_shown(
            &mut self,
            email: &str,
            secs: u64,
            shown: &Statement,
            current: &Statement,
        ) -> Result<Taken, Refusal> {
            let form = Form {
                email,
                name: "",
                consent: true,
                shown: Shown { lang: &shown.lang, version: shown.version, sha256: &shown.sha256 },
                kiosk_id: "lobby-1",
            };
            let at = self.at0 + jiff::SignedDuration::from_secs(secs as i64);
            self.intake.submit(form, current, self.t0 + Duration::from_secs(secs), at)
        }

        fn deliver_all(&mut self, secs: u64) {
            let ids = self.intake.store().pending(100).unwrap().into_iter().map(|s| s.id).collect();
            let at = self.at0 + jiff::SignedDuration::from_secs(secs as i64);
            self.intake
                .store_mut()
                .record_round(&RoundOutcome { delivered: ids, ..Default::default() }, None, at)
                .unwrap();
        }

        fn rows(&self) -> Vec<crate::store::Signup> {
            self.intake.store().pending(100).unwrap()
        }
    }

    fn code(r: Result<Taken, Refusal>) -> &'static str {
        r.err().map_or("taken", |e| e.code())
    }

    #[test]
    fn the_same_mailbox_again_gets_the_same_answer_and_no_second_row() {
        let mut f = Fixture::new(100, Limits::default());
        assert_eq!(f.submit("visitor@example.org", 0).unwrap().added.clone(), Added::New(f.rows()[0].id.clone()));
        for (i, again) in ["visitor@example.org", "Visitor@EXAMPLE.org", "visitor+kiosk@example.org"].iter().enumerate()
        {
            let taken = f.submit(again, 10 + i as u64).expect("a repeat is taken like a new one");
            assert_eq!(taken.added, Added::AlreadyPending, "{again} is the same mailbox: nothing new is stored");
        }
        assert_eq!(f.rows().len(), 1, "one pending row per mailbox");

        // Delivered and deleted: within the resend window it is answered as delivered, not sent again.
        f.deliver_all(100);
        assert!(f.rows().is_empty());
        assert_eq!(f.submit("visitor+2@example.org", 200).unwrap().added, Added::RecentlyDelivered);
        assert!(f.rows().is_empty(), "no second confirmation mail to the same mailbox within the window");
        // After the window the mailbox may sign up again (say, after unsubscribing).
        let later = 100 + 24 * 3600 + 1;
        assert!(matches!(f.submit("visitor@example.org", later).unwrap().added, Added::New(_)));
    }

    #[test]
    fn the_store_keeps_no_plain_address_after_delivery() {
        let mut f = Fixture::new(100, Limits::default());
        f.submit("secret.visitor@example.org", 0).unwrap();
        f.deliver_all(5);
        let conn = &f.intake.store().conn_for_tests();
        let keys: Vec<String> = conn
            .prepare("SELECT mailbox FROM delivered_recently")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(keys.len(), 1, "the delivered mailbox is remembered for the window");
        assert_eq!(keys[0].len(), 64, "as a keyed hash");
        assert!(!keys[0].contains("secret") && !keys[0].contains('@'), "never as the address");
        // A keyed hash: not the plain SHA-256 of the mailbox, which anyone could recompute from a guess.
        assert_ne!(keys[0], crate::consent::sha256_hex("secret.visitor@example.org"));
    }

    #[test]
    fn a_flood_is_throttled_per_kiosk_whatever_the_addresses() {
        let mut f = Fixture::new(6, Limits::default());
        for i in 0..6 {
            f.submit(&format!("visitor{i}@example.org"), i).expect("six a minute pass");
        }
        assert_eq!(code(f.submit("seventh@example.org", 10)), "too_many", "the seventh within a minute waits");
        assert_eq!(code(f.submit("visitor0@example.org", 11)), "too_many", "a repeat is throttled alike");
        assert_eq!(f.rows().len(), 6);
        assert_eq!(code(f.submit("seventh@example.org", 60)), "taken", "a minute after the first, it is taken");
        // Refusals for a bad form do not use up the minute.
        let mut g = Fixture::new(1, Limits::default());
        for s in 0..5 {
            assert_eq!(code(g.submit("not-an-address", s)), "missing_at");
        }
        assert_eq!(code(g.submit("ok@example.org", 6)), "taken");
    }

    #[test]
    fn plus_and_gmail_dot_variants_count_as_one_mailbox() {
        let mut f = Fixture::new(100, Limits::default());
        for (i, e) in ["a+1@x.org", "a+2@x.org", "A@x.org", "first.last@gmail.com", "firstlast+k@googlemail.com"]
            .iter()
            .enumerate()
        {
            f.submit(e, i as u64).unwrap();
        }
        let typed: Vec<String> = f.rows().into_iter().map(|s| s.email_ascii).collect();
        assert_eq!(typed, ["a+1@x.org", "first.last@gmail.com"], "one row per mailbox, as first typed");
    }

    #[test]
    fn a_full_store_refuses_every_address_alike_and_says_so() {
        let mut f = Fixture::new(100, Limits { max_pending: 2, ..Limits::default() });
        f.submit("one@example.org", 0).unwrap();
        f.submit("two@example.org", 1).unwrap();
        assert!(f.intake.store().is_full().unwrap(), "staff see the cap is reached");
        assert_eq!(code(f.submit("three@example.org", 2)), "store_full");
        assert_eq!(code(f.submit("one@example.org", 3)), "store_full", "a listed address gets the same refusal");
        f.deliver_all(4);
        assert!(!f.intake.store().is_full().unwrap());
        assert_eq!(code(f.submit("three@example.org", 5)), "taken", "room again once the list took them");
    }

    #[test]
    fn the_consent_recorded_is_the_one_shown_and_a_changed_one_is_asked_again() {
        let mut f = Fixture::new(100, Limits::default());
        let shown = f.statement.clone();
        // A new bundle changed the statement while the form was open.
        let changed = Statement::new("kk", 4, "Елшіліктен және серіктестерінен хат алуға келісемін.");
        assert_eq!(code(f.submit_shown("v@example.org", 0, &shown, &changed)), "consent_changed");
        assert!(f.rows().is_empty(), "nothing is recorded under a text the visitor did not see");
        // The statement in another language than the one shown is not the one shown either.
        let ru = Statement::new("ru", 3, "Я согласен получать письма посольства.");
        assert_eq!(code(f.submit_shown("v@example.org", 1, &shown, &ru)), "consent_changed");
        // Shown the new one and ticked again: recorded with exactly that text.
        f.submit_shown("v@example.org", 2, &changed, &changed).unwrap();
        let row = &f.rows()[0];
        assert_eq!((row.lang.as_str(), row.consent_version), ("kk", 4));
        assert_eq!(row.consent_sha256, crate::consent::sha256_hex(&changed.text));
    }
}
