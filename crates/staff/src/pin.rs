//! The staff PIN: stored only as an Argon2 hash in the config; wrong tries
//! lock the panel for longer and longer, and the count survives a restart
//! (so pulling the plug does not buy a visitor five more guesses).
//!
//! The count fails closed: a tries file that cannot be read (damaged,
//! truncated, not a file) counts as a lockout, never as zero tries, and it is
//! written atomically and fsynced, so a power cut leaves the old count or the
//! new one.

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
    damaged: Option<String>,
}

impl PinGate {
    /// A gate for `hash` (none: staff mode off) that keeps its count of wrong
    /// tries in `<data_dir>/staff-tries.json`. `now` (Unix seconds) is when the
    /// kiosk starts: a tries file that exists but cannot be read locks the gate
    /// from then for [`FIRST_LOCKOUT_SECS`], as [`FREE_TRIES`] wrong tries would
    /// (see [`PinGate::damaged`]).
    pub fn new(hash: Option<String>, data_dir: &Path, now: i64) -> PinGate {
        let file = data_dir.join(TRIES_FILE);
        let read = match kiosk_health::datafile::read(&file) {
            Ok(bytes) => serde_json::from_slice::<Tries>(&bytes).map_err(|e| format!("not a count of tries ({e})")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Tries::default()),
            Err(e) => Err(e.to_string()),
        };
        let mut gate = PinGate { hash, file, tries: Tries::default(), damaged: None };
        match read {
            Ok(tries) => gate.tries = tries,
            Err(why) => {
                // Fail closed: the count is unknown, so assume the worst that
                // does not yet escalate — a full set of wrong tries just now.
                gate.damaged = Some(format!("{}: {why}", gate.file.display()));
                let locked = Tries { failures: FREE_TRIES, locked_until: now + lockout_secs(FREE_TRIES) as i64 };
                gate.save(locked);
            }
        }
        gate
    }

    /// Whether a PIN is set at all.
    pub fn configured(&self) -> bool {
        self.hash.is_some()
    }

    /// Why the tries file cannot be trusted — it could not be read at start
    /// (the gate then started locked), or a count could not be written since —
    /// for the log and the staff panel.
    pub fn damaged(&self) -> Option<&str> {
        self.damaged.as_deref()
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
        if let Err(e) = write_synced(&self.file, &serde_json::to_vec(&tries).expect("tries serialise")) {
            self.damaged.get_or_insert_with(|| format!("{}: cannot be written ({e})", self.file.display()));
        }
    }
}

/// The tries file's name in the data directory.
pub const TRIES_FILE: &str = "staff-tries.json";

/// Writes `bytes` to `path` atomically and durably: a temporary file, fsynced,
/// renamed over `path`, and the folder fsynced so the rename itself survives a
/// power cut. A FIFO or link at either name is replaced, never written through.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    kiosk_health::datafile::replace(path, &path.with_extension("json.tmp"), bytes, true)
}

/// What a request from the staff panel is, as the session sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A staff touch or a staff action (a button): it keeps the session open.
    Action,
    /// The panel's own periodic refresh: answered while the session is open,
    /// but it does not keep it open — a panel left alone closes on time even
    /// though it polls.
    Refresh,
}

/// The staff session is not open (never opened, closed, or idle too long).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the staff panel closed; enter the PIN again")]
pub struct SessionClosed;

impl SessionClosed {
    /// A stable code for the UI.
    pub fn code(&self) -> &'static str {
        "staff_session_closed"
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
        self.allow(Request::Action, now_ms).is_ok()
    }

    /// Lets `request` through at `now_ms` if the session is open. Only an
    /// [`Request::Action`] extends it; an expired session closes for good.
    pub fn allow(&mut self, request: Request, now_ms: i64) -> Result<(), SessionClosed> {
        match self.open_until_ms {
            Some(until) if now_ms < until => {
                if request == Request::Action {
                    self.open_until_ms = Some(now_ms + self.idle_ms);
                }
                Ok(())
            }
            _ => {
                self.open_until_ms = None;
                Err(SessionClosed)
            }
        }
    }

    /// A touch on the screen at `now_ms`: while the session is open (the panel
    /// covers the screen), it is a staff touch and keeps the session open;
    /// otherwise it is a visitor's and does nothing here.
    pub fn touched(&mut self, now_ms: i64) {
        if self.open_until_ms.is_some() {
            let _ = self.allow(Request::Action, now_ms);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
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
        let mut gate = PinGate::new(Some(hash.clone()), dir.path(), 1000);
        assert_eq!(gate.try_pin("4827", 1000), Ok(()));
        for (i, left) in [4, 3, 2, 1].into_iter().enumerate() {
            assert_eq!(gate.try_pin("0000", 1000 + i as i64), Err(PinError::Wrong { tries_left: left }));
        }
        assert_eq!(gate.try_pin("0000", 1010), Err(PinError::LockedOut { secs: 30 }));
        // Locked: even the right PIN is not looked at.
        assert_eq!(gate.try_pin("4827", 1020), Err(PinError::LockedOut { secs: 20 }));
        // A restart keeps the count: the next wrong try locks for longer.
        let mut gate = PinGate::new(Some(hash.clone()), dir.path(), 1000);
        assert_eq!(gate.try_pin("4827", 1030), Err(PinError::LockedOut { secs: 10 }));
        assert_eq!(gate.try_pin("1111", 1040), Err(PinError::LockedOut { secs: 60 }));
        assert_eq!(gate.try_pin("4827", 1100), Ok(()), "after the lockout the right PIN opens");
        assert_eq!(gate.try_pin("1111", 1101), Err(PinError::Wrong { tries_left: 4 }), "and the count starts again");
    }

    #[test]
    fn without_a_hash_staff_mode_is_off_and_a_bad_hash_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(PinGate::new(None, dir.path(), 0).try_pin("1234", 0), Err(PinError::NotConfigured));
        assert_eq!(PinGate::new(Some("1234".into()), dir.path(), 0).try_pin("1234", 0), Err(PinError::BadHash));
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

    /// The ways a tries file is found damaged: truncated, garbage, a folder
    /// where the file should be, unreadable (a symlink loop: mode 000 does
    /// not stop root, and kiosks are tested as root too).
    fn damage(path: &Path, how: &str) {
        match how {
            "empty" => std::fs::write(path, "").unwrap(),
            "truncated" => std::fs::write(path, br#"{"failures":11,"locked_"#).unwrap(),
            "garbage" => std::fs::write(path, [0xff, 0x00, 0x13, 0x37, b'{']).unwrap(),
            "wrong types" => std::fs::write(path, r#"{"failures":"five","locked_until":null}"#).unwrap(),
            "a folder" => std::fs::create_dir(path).unwrap(),
            "unreadable" => std::os::unix::fs::symlink(path, path).unwrap(),
            other => unreachable!("{other}"),
        }
    }

    #[test]
    fn a_damaged_tries_file_counts_as_a_lockout_not_as_zero_tries() {
        let hash = hash_pin("4827").unwrap();
        for how in ["empty", "truncated", "garbage", "wrong types", "a folder", "unreadable"] {
            let dir = tempfile::tempdir().unwrap();
            damage(&dir.path().join(TRIES_FILE), how);
            let mut gate = PinGate::new(Some(hash.clone()), dir.path(), 1000);
            assert_eq!(
                gate.try_pin("4827", 1000),
                Err(PinError::LockedOut { secs: FIRST_LOCKOUT_SECS }),
                "a tries file that is {how} must lock the gate, even against the right PIN"
            );
            assert!(gate.damaged().is_some_and(|d| d.contains(TRIES_FILE)), "{how}: staff are told which file");
            assert_eq!(
                gate.try_pin("0000", 1000 + FIRST_LOCKOUT_SECS as i64),
                Err(PinError::LockedOut { secs: 2 * FIRST_LOCKOUT_SECS }),
                "{how}: after the lockout a wrong PIN escalates as the sixth would"
            );
            assert_eq!(gate.try_pin("4827", 2000), Ok(()), "{how}: after the lockouts the right PIN opens");
        }
    }

    /// Runs `f` on a thread and fails the test if it is not done within 20 s (a FIFO hangs forever).
    pub(crate) fn promptly<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap_or_else(|_| panic!("{what} hangs on a FIFO"))
    }

    pub(crate) fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
        assert!(status.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn a_fifo_for_the_tries_file_locks_the_gate_at_once_instead_of_hanging_the_start() {
        let hash = hash_pin("4827").unwrap();
        let dir = tempfile::tempdir().unwrap();
        mkfifo(&dir.path().join(TRIES_FILE));
        mkfifo(&dir.path().join(TRIES_FILE).with_extension("json.tmp"));
        let (h, d) = (hash.clone(), dir.path().to_path_buf());
        let mut gate = promptly("the PIN gate's set-up", move || PinGate::new(Some(h), &d, 1000));
        assert!(gate.damaged().is_some_and(|d| d.contains(TRIES_FILE)), "staff are told: {:?}", gate.damaged());
        assert_eq!(gate.try_pin("4827", 1000), Err(PinError::LockedOut { secs: FIRST_LOCKOUT_SECS }), "fails closed");
        let again = PinGate::new(Some(hash), dir.path(), 1010);
        assert_eq!(again.damaged(), None, "the lockout was written over the FIFO");
    }

    #[test]
    fn a_damaged_tries_file_is_replaced_by_the_lockout_so_a_restart_does_not_lift_it() {
        let hash = hash_pin("4827").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(TRIES_FILE);
        damage(&file, "garbage");
        let _ = PinGate::new(Some(hash.clone()), dir.path(), 1000);
        let mut again = PinGate::new(Some(hash), dir.path(), 1010);
        assert_eq!(again.damaged(), None, "the lockout was written over the damaged file");
        assert_eq!(again.try_pin("4827", 1010), Err(PinError::LockedOut { secs: 20 }), "restarting does not lift it");
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, [TRIES_FILE], "no temporary file is left behind");
    }

    #[test]
    fn the_panels_own_polling_does_not_keep_the_session_open() {
        let mut s = Session::new(60);
        s.open(0);
        // The panel refreshes every 2 s, for twice the idle time, and nobody touches it.
        let answered = (0..=60).map(|i| i * 2000).filter(|&t| s.allow(Request::Refresh, t).is_ok()).count();
        assert_eq!(answered, 30, "refreshes are answered while the session is open (0 to 58 s), not after");
        assert_eq!(
            s.allow(Request::Action, 120_001),
            Err(SessionClosed),
            "polling for longer than the idle time must not keep the staff session open"
        );
        assert_eq!(SessionClosed.code(), "staff_session_closed", "the UI closes the panel on this code");

        // A staff touch (or action) keeps it open, however the panel polls in between.
        s.open(200_000);
        for t in (200_000..=300_000).step_by(2000) {
            if t == 250_000 {
                s.touched(t);
            }
            let _ = s.allow(Request::Refresh, t);
        }
        assert_eq!(s.allow(Request::Refresh, 309_999), Ok(()), "the touch at 250 s keeps it open until 310 s");
        assert_eq!(s.allow(Request::Action, 310_000), Err(SessionClosed));
        s.touched(310_001);
        assert_eq!(s.allow(Request::Refresh, 310_002), Err(SessionClosed), "a touch does not reopen a closed session");
    }
}
