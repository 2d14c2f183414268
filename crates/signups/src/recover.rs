//! A signup store found damaged at start: set aside, never deleted.
//!
//! The kiosk must start and take signups even when its store file is garbage,
//! truncated, a folder, or unreadable — but that file may still hold signups a
//! visitor was thanked for. So it is not repaired in place or removed: it is
//! renamed, with its `-wal`, `-shm` and `-journal` companions (a committed
//! signup may live only in the WAL), to `<name>.damaged-<UTC time>`, where an
//! admin can recover it with the `sqlite3` tool; the kiosk starts a fresh
//! store and staff are told. A store that is merely busy (another process
//! holds its lock) is not damaged and is left alone.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

/// The suffixes SQLite gives a database's companion files.
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// A damaged store, moved out of the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Where the store was.
    pub path: PathBuf,
    /// Where it is now (its companions beside it, with their suffixes).
    pub moved_to: PathBuf,
    /// What was wrong with it.
    pub why: String,
}

impl fmt::Display for SetAside {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the signup store {} was damaged ({}); it was moved to {} — it may hold signups not yet sent: recover them with sqlite3 — and a fresh store was started",
            self.path.display(),
            self.why,
            self.moved_to.display()
        )
    }
}

/// What [`check`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The store is damaged: it cannot be used as it is.
    Damaged(String),
    /// It could not be checked now (another process holds its lock): not damage.
    Busy(String),
}

/// Checks the store at `path` without changing it: `Ok` when there is none
/// yet or SQLite's `quick_check` finds it sound.
pub fn check(path: &Path) -> Result<(), Finding> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(path).is_err() => {
            return Ok(());
        }
        Err(e) => return Err(Finding::Damaged(format!("cannot be read: {e}"))),
        Ok(m) if !m.is_file() => return Err(Finding::Damaged("not a file".into())),
        Ok(_) => {}
    }
    let sql = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Finding::Busy(e.to_string()),
        _ => Finding::Damaged(e.to_string()),
    };
    // With a WAL that holds frames, read-only with SQLite's own locks and the
    // WAL: until a checkpoint ends — and a power cut can end it half way —
    // only the main file *with* its WAL is the database, so the main file
    // alone is not what to judge. A read-only connection never checkpoints or
    // deletes the WAL (and is told not to on close), and a store another
    // process holds is seen as busy, not damaged. With no WAL (or an empty
    // one) the main file is the whole database: it is judged alone and
    // `immutable`, so the check creates no `-wal` or `-shm` beside a damaged
    // file. Opened read-write, SQLite would replay the WAL into a damaged file
    // and delete the WAL on close — the very signups this module exists to keep.
    let wal_has_frames = std::fs::metadata(with_suffix(path, "-wal")).is_ok_and(|m| m.len() > 0);
    let mode = if wal_has_frames { "mode=ro" } else { "immutable=1" };
    let uri = format!("file:{}?{mode}", uri_path(path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri, flags).map_err(sql)?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true).map_err(sql)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
    let verdict: Vec<String> = conn
        .prepare("PRAGMA quick_check(5)")
        .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect())
        .map_err(sql)?;
    if verdict == ["ok"] { Ok(()) } else { Err(Finding::Damaged(verdict.join("; "))) }
}

/// Moves the store at `path` and its companions aside, to
/// `<name>.damaged-<UTC time>` (never over an earlier one), and fsyncs the folder.
pub fn set_aside(path: &Path, why: &str, now: jiff::Timestamp) -> std::io::Result<SetAside> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let moved_to = (0..)
        .map(|n| {
            dir.join(if n == 0 { format!("{name}.damaged-{stamp}") } else { format!("{name}.damaged-{stamp}-{n}") })
        })
        .find(|p| {
            std::fs::symlink_metadata(p).is_err()
                && COMPANIONS.iter().all(|c| std::fs::symlink_metadata(with_suffix(p, c)).is_err())
        })
        .expect("an unused name");
    // Companions first: a store renamed without its WAL would lose what only the WAL holds.
    for c in COMPANIONS {
        let from = with_suffix(path, c);
        if std::fs::symlink_metadata(&from).is_ok() {
            std::fs::rename(&from, with_suffix(&moved_to, c))?;
        }
    }
    std::fs::rename(path, &moved_to)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(SetAside { path: path.to_path_buf(), moved_to, why: why.to_string() })
}

/// [`check`], then [`set_aside`] if the store is damaged. `Ok(None)`: the store
/// is sound, absent, or only busy (then it is left for the open to wait on).
pub fn set_aside_if_damaged(path: &Path, now: jiff::Timestamp) -> std::io::Result<Option<SetAside>> {
    match check(path) {
        Ok(()) | Err(Finding::Busy(_)) => Ok(None),
        Err(Finding::Damaged(why)) => set_aside(path, &why, now).map(Some),
    }
}

/// `path` for a `file:` URI: every byte but unreserved ones and `/` percent-encoded.
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email;
    use crate::store::{NewSignup, SignupStore};

    fn now() -> jiff::Timestamp {
        "2026-11-29T18:00:00Z".parse().unwrap()
    }

    /// A store holding one confirmed signup, all of it in the main file.
    fn store_with_a_signup(path: &Path) {
        let mut store = SignupStore::open(path).unwrap();
        let valid = email::validate("kept@example.org").unwrap();
        store
            .add(&NewSignup {
                email: &valid,
                name: None,
                lang: "en",
                consent_version: 1,
                consent_text: "I agree",
                kiosk_id: "lobby",
                at: now(),
            })
            .unwrap();
        drop(store);
        let c = Connection::open(path).unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    }

    fn damage(path: &Path, how: &str) {
        match how {
            "garbage header" => {
                let mut bytes = std::fs::read(path).unwrap();
                bytes[..16].copy_from_slice(b"not a database!!");
                std::fs::write(path, bytes).unwrap();
            }
            "truncated" => {
                let len = std::fs::metadata(path).unwrap().len();
                std::fs::OpenOptions::new().write(true).open(path).unwrap().set_len(len / 2).unwrap();
            }
            "garbage" => std::fs::write(path, vec![0x5a; 10_000]).unwrap(),
            "a folder" => {
                std::fs::remove_file(path).unwrap();
                std::fs::create_dir(path).unwrap();
            }
            "unreadable" => {
                std::fs::remove_file(path).unwrap();
                std::os::unix::fs::symlink(path, path).unwrap();
            }
            other => unreachable!("{other}"),
        }
    }

    #[test]
    fn a_damaged_store_is_set_aside_whole_and_a_fresh_one_takes_signups() {
        for how in ["garbage header", "truncated", "garbage", "a folder", "unreadable"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("signups.sqlite");
            store_with_a_signup(&path);
            damage(&path, how);
            let before = std::fs::symlink_metadata(&path).unwrap();
            let bytes = std::fs::read(&path).ok();
            let wal = with_suffix(&path, "-wal");
            std::fs::write(&wal, b"a WAL that may hold a signup").unwrap();

            let moved =
                set_aside_if_damaged(&path, now()).unwrap().unwrap_or_else(|| panic!("{how}: not found damaged"));
            assert_eq!(moved.moved_to, dir.path().join("signups.sqlite.damaged-20261129T180000Z"), "{how}");
            let after = std::fs::symlink_metadata(&moved.moved_to).unwrap();
            assert_eq!(after.file_type(), before.file_type(), "{how}: the very thing that was there was moved");
            assert_eq!(std::fs::read(&moved.moved_to).ok(), bytes, "{how}: never changed, never deleted");
            assert_eq!(
                std::fs::read(with_suffix(&moved.moved_to, "-wal"))
                    .expect("the WAL (which may hold confirmed signups) must go aside with the store, not vanish"),
                b"a WAL that may hold a signup",
                "{how}: the WAL goes with it"
            );
            assert!(!wal.exists(), "{how}: no old WAL is left for the fresh store to replay");
            assert!(moved.to_string().contains("signups.sqlite.damaged-"), "{how}: staff are told where: {moved}");

            let mut fresh = SignupStore::open(&path).unwrap_or_else(|e| panic!("{how}: a fresh store opens: {e}"));
            let valid = email::validate("new@example.org").unwrap();
            let added = fresh.add(&NewSignup {
                email: &valid,
                name: None,
                lang: "en",
                consent_version: 1,
                consent_text: "I agree",
                kiosk_id: "lobby",
                at: now(),
            });
            assert!(added.is_ok(), "{how}: the fresh store takes signups: {added:?}");
        }
    }

    #[test]
    fn checking_a_store_with_no_wal_creates_nothing_beside_it() {
        for how in ["truncated", "garbage header"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("signups.sqlite");
            store_with_a_signup(&path);
            for c in COMPANIONS {
                let _ = std::fs::remove_file(with_suffix(&path, c));
            }
            damage(&path, how);
            assert!(matches!(check(&path), Err(Finding::Damaged(_))), "{how}");
            let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
            assert_eq!(beside, ["signups.sqlite"], "{how}: the check writes nothing, not even a -wal or -shm");
        }
    }

    #[test]
    fn checking_a_store_never_touches_its_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd name?#%.sqlite");
        store_with_a_signup(&path);
        // A second signup that lives only in the WAL, as after a crash.
        let mut store = SignupStore::open(&path).unwrap();
        let valid = email::validate("in.the.wal@example.org").unwrap();
        let signup = NewSignup {
            email: &valid,
            name: None,
            lang: "en",
            consent_version: 1,
            consent_text: "I agree",
            kiosk_id: "lobby",
            at: now(),
        };
        store.add(&signup).unwrap();
        let wal = with_suffix(&path, "-wal");
        let copy = dir.path().join("copy");
        std::fs::create_dir(&copy).unwrap();
        for f in [&path, &wal] {
            std::fs::copy(f, copy.join(f.file_name().unwrap())).unwrap();
        }
        std::mem::forget(store); // killed: no checkpoint on close
        let (path, wal) = (copy.join(path.file_name().unwrap()), copy.join(wal.file_name().unwrap()));
        let wal_bytes = std::fs::read(&wal).unwrap();
        assert!(!wal_bytes.is_empty());

        assert_eq!(check(&path), Ok(()), "a sound main file with a WAL beside it");
        let after =
            std::fs::read(&wal).expect("checking a store must not delete its WAL (it holds a confirmed signup)");
        assert_eq!(after, wal_bytes, "the check leaves the WAL as it was");

        // Damaged main file: the WAL goes aside with it, byte for byte.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[..16].copy_from_slice(b"not a database!!");
        std::fs::write(&path, bytes).unwrap();
        let moved = set_aside_if_damaged(&path, now()).unwrap().expect("damaged");
        assert_eq!(std::fs::read(with_suffix(&moved.moved_to, "-wal")).unwrap(), wal_bytes);
    }

    /// Copies the first `pages` of `wal`'s pages into the main file `db` as a
    /// checkpoint does — each page's latest frame, in page order — and as a
    /// power cut can leave it: half done.
    fn checkpoint_partly(db: &Path, wal: &[u8], pages: usize) {
        use std::io::{Seek, SeekFrom, Write};
        let size = u32::from_be_bytes(wal[8..12].try_into().unwrap()) as usize;
        let latest: std::collections::BTreeMap<u64, &[u8]> = wal[32..]
            .chunks(24 + size)
            .map(|f| (u64::from(u32::from_be_bytes(f[..4].try_into().unwrap())), &f[24..]))
            .collect();
        let mut file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
        for (pgno, data) in latest.into_iter().take(pages) {
            file.seek(SeekFrom::Start((pgno - 1) * size as u64)).unwrap();
            file.write_all(data).unwrap();
        }
        file.sync_all().unwrap();
    }

    #[test]
    fn a_store_caught_mid_checkpoint_by_a_power_cut_is_sound_and_stays() {
        // A checkpoint copies the WAL's pages into the main file one by one; until
        // it ends, only the main file *with* its WAL is the database. Judged
        // alone, the half-copied main file looks broken — and a sound store
        // holding confirmed signups would be set aside, never synced.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signups.sqlite");
        store_with_a_signup(&path);
        let mut store = SignupStore::open(&path).unwrap();
        store.conn_for_tests().execute_batch("PRAGMA wal_autocheckpoint = 0;").unwrap();
        for n in 0..400 {
            let valid = email::validate(&format!("visitor{n:04}@example.org")).unwrap();
            store
                .add(&NewSignup {
                    email: &valid,
                    name: Some("A visitor with a name long enough to fill pages"),
                    lang: "en",
                    consent_version: 1,
                    consent_text: "I agree",
                    kiosk_id: "lobby",
                    at: now(),
                })
                .unwrap();
        }
        let wal = std::fs::read(with_suffix(&path, "-wal")).unwrap();
        let frames = (wal.len() - 32) / (24 + u32::from_be_bytes(wal[8..12].try_into().unwrap()) as usize);
        assert!(frames > 20, "the signups live in the WAL: {frames} frames");
        // The power cut: the main file half checkpointed, the WAL intact, no -shm.
        let cut = dir.path().join("cut");
        std::fs::create_dir(&cut).unwrap();
        let (db, cut_wal) = (cut.join("signups.sqlite"), cut.join("signups.sqlite-wal"));
        std::fs::copy(&path, &db).unwrap();
        std::fs::write(&cut_wal, &wal).unwrap();
        std::mem::forget(store);
        checkpoint_partly(&db, &wal, 3);

        assert_eq!(check(&db), Ok(()), "the store with its WAL is sound; only the main file alone is not");
        assert_eq!(set_aside_if_damaged(&db, now()).unwrap(), None, "a sound store is never set aside");
        assert_eq!(std::fs::read(&cut_wal).unwrap(), wal, "the check leaves the WAL as it was");
        let reopened = SignupStore::open(&db).unwrap();
        assert_eq!(reopened.pending(1000).unwrap().len(), 401, "every confirmed signup is there");
    }

    #[test]
    fn a_sound_or_missing_store_is_left_alone_and_nothing_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signups.sqlite");
        assert_eq!(set_aside_if_damaged(&path, now()).unwrap(), None, "no store yet");
        store_with_a_signup(&path);
        assert_eq!(set_aside_if_damaged(&path, now()).unwrap(), None, "a sound store stays");
        assert_eq!(SignupStore::open(&path).unwrap().pending(10).unwrap().len(), 1);

        // Two damaged stores in the same second keep both.
        std::fs::write(&path, b"junk one").unwrap();
        let first = set_aside_if_damaged(&path, now()).unwrap().unwrap();
        std::fs::write(&path, b"junk two").unwrap();
        let second = set_aside_if_damaged(&path, now()).unwrap().unwrap();
        assert_ne!(first.moved_to, second.moved_to);
        assert_eq!(std::fs::read(&first.moved_to).unwrap(), b"junk one");
        assert_eq!(std::fs::read(&second.moved_to).unwrap(), b"junk two");
    }
}
