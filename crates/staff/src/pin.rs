//! The staff PIN: stored only as an Argon2 hash in the config; wrong tries
//! lock the panel for longer and longer, and the count survives a restart
//! (so pulling the plug does not buy a visitor five more guesses).

use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

/// Wrong tries allowed before the first lockout.
pub const FREE_TRIES: u32 = 5;
/// The first lockout; each further wrong try doubles it, up to [`MAX_LOCKOUT_SECS`].
pub const FIRST_LOCKOUT_SECS: u64 = 30;
/// The longest lockout.
pub const MAX_LOCKOUT_SECS: u64 = 3600;

/// Why a PIN was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The config has no `[staff] pin_hash`: staff mode is off.
    #[error("staff mode is not set up on this kiosk (no [staff] pin_hash in the config)")]
    NotConfigured,
    /// Not a PIN at all.
    #[error("a PIN is 4 to 12 digits")]
    Malformed,
    /// Wrong; `tries_left` before a lockout.
    #[error("wrong PIN; {tries_left} tries left before the panel locks")]
    Wrong {
        /// Tries left before the lockout.
        tries_left: u32,
    },
    /// Too many wrong tries: no PIN is looked at for `secs` more seconds.
    #[error("too many wrong PINs; try again in {secs} s")]
    LockedOut {
        /// Seconds until the next try is looked at.
        secs: u64,
    },
    /// The hash in the config is not an Argon2 PHC string.
    #[error("the config's staff.pin_hash is not a valid Argon2 hash (make one with `kioskctl staff hash-pin`)")]
    BadHash,
}

impl PinError {
    /// A stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            PinError::NotConfigured => "staff_not_configured",
            PinError::Malformed => "staff_pin_malformed",
            PinError::Wrong { .. } => "staff_pin_wrong",
            PinError::LockedOut { .. } => "staff_locked_out",
            PinError::BadHash => "staff_bad_hash",
        }
    }
}

/// Whether `pin` has the shape of a PIN: 4 to 12 ASCII digits.
pub fn is_pin(pin: &str) -> bool {
    (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// The Argon2id PHC string for `pin`, with a fresh random salt (for the config).
pub fn hash_pin(pin: &str) -> Result<String, PinError> {
    if !is_pin(pin) {
        return Err(PinError::Malformed);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(pin.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| PinError::BadHash)
}

/// Checks that a configured hash can be used (at start-up, so a typo is caught before staff need it).
pub fn check_hash(hash: &str) -> Result<(), PinError> {
    PasswordHash::new(hash).map(|_| ()).map_err(|_| PinError::BadHash)
}

/// How long the panel stays locked after `failures` consecutive wrong tries.
pub fn lockout_secs(failures: u32) -> u64 {
    if failures < FREE_TRIES {
        return 0;
    }
    let doublings = (failures - FREE_TRIES).min(20);
    FIRST_LOCKOUT_SECS.saturating_mul(1 << doublings).min(MAX_LOCKOUT_SECS)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Tries {
    failures: u32,
    /// Unix seconds until which no PIN is looked at.
    locked_until: i64,
}

/// The gate in front of the staff panel.
pub struct PinGate {
    hash: Option<String>,
    file: PathBuf,
    tries: Tries,
}

impl PinGate {
    /// A gate for `hash` (none: staff mode off) that keeps its count of wrong
    /// tries in `<data_dir>/staff-tries.json`.
    pub fn new(hash: Option<String>, data_dir: &Path) -> PinGate {
        let file = data_dir.join("staff-tries.json");
        let tries = std::fs::read(&file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        PinGate { hash, file, tries }
    }

    /// Whether a PIN is set at all.
    pub fn configured(&self) -> bool {
        self.hash.is_some()
    }

    /// Tries `pin` at `now` (Unix seconds). While locked out the PIN is not even looked at.
    pub fn try_pin(&mut self, pin: &str, now: i64) -> Result<(), PinError> {
        let hash = self.hash.as_deref().ok_or(PinError::NotConfigured)?;
        if now < self.tries.locked_until {
            return Err(PinError::LockedOut { secs: (self.tries.locked_until - now) as u64 });
        }
        let parsed = PasswordHash::new(hash).map_err(|_| PinError::BadHash)?;
        if is_pin(pin) && Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok() {
            self.save(Tries::default());
            return Ok(());
        }
        let failures = self.tries.failures.saturating_add(1);
        let lock = lockout_secs(failures);
        self.save(Tries { failures, locked_until: if lock > 0 { now + lock as i64 } else { 0 } });
        if lock > 0 {
            Err(PinError::LockedOut { secs: lock })
        } else {
            Err(PinError::Wrong { tries_left: FREE_TRIES - failures })
        }
    }

    fn save(&mut self, tries: Tries) {
        self.tries = tries;
        // Best effort: a kiosk whose data disk fails still checks PINs (and counts in memory).
        let tmp = self.file.with_extension("json.tmp");
        let bytes = serde_json::to_vec(&tries).expect("tries serialise");
        if std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, &self.file);
        }
    }
}

/// The open staff session: it ends on its own after `idle_secs` without a staff action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    idle_ms: i64,
    open_until_ms: Option<i64>,
}

impl Session {
    /// A closed session that, once opened, lasts `idle_secs` past the last action.
    pub fn new(idle_secs: u32) -> Session {
        Session { idle_ms: i64::from(idle_secs) * 1000, open_until_ms: None }
    }

    /// Opens it (after a right PIN).
    pub fn open(&mut self, now_ms: i64) {
        self.open_until_ms = Some(now_ms + self.idle_ms);
    }

    /// Closes it (staff closed the panel, or attract mode reset the screen).
    pub fn close(&mut self) {
        self.open_until_ms = None;
    }

    /// Whether it is open at `now_ms`; if so, the action keeps it open longer.
    pub fn act(&mut self, now_ms: i64) -> bool {
        match self.open_until_ms {
            Some(until) if now_ms < until => {
                self.open_until_ms = Some(now_ms + self.idle_ms);
                true
            }
            _ => {
                self.open_until_ms = None;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_start_after_five_wrong_tries_and_double_up_to_an_hour() {
        let cases = [(0, 0), (4, 0), (5, 30), (6, 60), (7, 120), (11, 1920), (12, 3600), (40, 3600), (u32::MAX, 3600)];
        for (failures, secs) in cases {
            assert_eq!(lockout_secs(failures), secs, "after {failures} wrong tries");
        }
    }

    #[test]
    fn pins_are_four_to_twelve_digits() {
        for (pin, ok) in [
            ("1234", true),
            ("123456789012", true),
            ("123", false),
            ("1234567890123", false),
            ("12a4", false),
            ("", false),
            ("١٢٣٤", false),
        ] {
            assert_eq!(is_pin(pin), ok, "{pin:?}");
        }
        assert_eq!(hash_pin("12"), Err(PinError::Malformed));
    }

    #[test]
    fn the_right_pin_opens_wrong_ones_lock_out_and_the_count_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let hash = hash_pin("4827").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        check_hash(&hash).unwrap();
        let mut gate = PinGate::new(Some(hash.clone()), dir.path());
        assert_eq!(gate.try_pin("4827", 1000), Ok(()));
        for (i, left) in [4, 3, 2, 1].into_iter().enumerate() {
            assert_eq!(gate.try_pin("0000", 1000 + i as i64), Err(PinError::Wrong { tries_left: left }));
        }
        assert_eq!(gate.try_pin("0000", 1010), Err(PinError::LockedOut { secs: 30 }));
        // Locked: even the right PIN is not looked at.
        assert_eq!(gate.try_pin("4827", 1020), Err(PinError::LockedOut { secs: 20 }));
        // A restart keeps the count: the next wrong try locks for longer.
        let mut gate = PinGate::new(Some(hash.clone()), dir.path());
        assert_eq!(gate.try_pin("4827", 1030), Err(PinError::LockedOut { secs: 10 }));
        assert_eq!(gate.try_pin("1111", 1040), Err(PinError::LockedOut { secs: 60 }));
        assert_eq!(gate.try_pin("4827", 1100), Ok(()), "after the lockout the right PIN opens");
        assert_eq!(gate.try_pin("1111", 1101), Err(PinError::Wrong { tries_left: 4 }), "and the count starts again");
    }

    #[test]
    fn without_a_hash_staff_mode_is_off_and_a_bad_hash_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(PinGate::new(None, dir.path()).try_pin("1234", 0), Err(PinError::NotConfigured));
        assert_eq!(PinGate::new(Some("1234".into()), dir.path()).try_pin("1234", 0), Err(PinError::BadHash));
        assert_eq!(check_hash("plain"), Err(PinError::BadHash));
    }

    #[test]
    fn a_session_closes_itself_after_the_idle_time_and_each_action_extends_it() {
        let mut s = Session::new(60);
        assert!(!s.act(0), "closed until a PIN opens it");
        s.open(0);
        assert!(s.act(59_000));
        assert!(s.act(118_000), "the action at 59 s kept it open");
        assert!(!s.act(178_001), "60 s without an action closes it");
        assert!(!s.act(178_002), "and it stays closed");
        s.open(200_000);
        s.close();
        assert!(!s.act(200_001));
    }
}
