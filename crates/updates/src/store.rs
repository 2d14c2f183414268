//! The kiosk's bundle store: `<data_dir>/bundles/`, holding the current
//! bundle, the previous one, and `state.json` — the pointer to the current
//! bundle and the highest version ever installed, kept where no bundle can
//! overwrite it.
//!
//! An install first refuses what it can without reading the bundle: its size
//! (a `stat`) and its signer (from the few hundred bytes of its `.minisig`), so
//! a stranger's 4 GB file on a stick costs nothing. It then copies the
//! candidate in under a staging name of its own and checks *the copy* (so a
//! USB stick pulled or a file changed mid-way cannot slip past the check),
//! fsyncs it, renames it to `v<version>.kbundle`, and then switches by writing
//! a new `state.json` and renaming it over the old one. That rename is the one
//! atomic step: killed before it, the kiosk restarts on the old bundle; after
//! it, on the new one; never a mixture.
//!
//! One install at a time, across processes: the app's inbox watcher, its
//! staff USB import and `kioskctl` all take `install.lock` (an advisory
//! `flock`, released by the kernel when its holder dies — there is no stale
//! lock to clear) around every read-modify-write of `state.json`. The slow
//! parts — copying and checking the candidate — run outside the lock in a
//! staging file of their own, so a rollback never waits for a USB copy; the
//! version is checked again under the lock against the state as it is then.
//! Each staging file is itself locked by its install while it lives, so a
//! staging file nobody holds is known to be a dead install's leftover.
//!
//! The folder is the kiosk user's, and root's `kioskctl` writes in it too, so
//! whoever can run code as the kiosk's user must not steer root's writes: every
//! file the store makes is made new (`O_EXCL`, which never follows a symbolic
//! link), files it opens again are opened with `O_NOFOLLOW` and must be plain
//! files, and what it makes is `0644` (set after creation, so root's umask does
//! not lock the kiosk out) and handed to the folder's owner.

use std::fs::{self, File};
use std::io::{BufRead, Read as _, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::accept::{Accepted, Policy, Rejection, check, read_signature, trusted_signer};
use crate::sign::signature_path;

/// The environment variable that makes an install abort at a named step
/// (`staged`, `renamed`, `switched`) — the kill-at-each-step tests use it.
pub const FAILPOINT_ENV: &str = "EMBASSY_KIOSK_FAILPOINT";

fn failpoint(step: &str) {
    if std::env::var(FAILPOINT_ENV).is_ok_and(|v| v == step) {
        eprintln!("failpoint {step}: aborting as asked");
        std::process::abort();
    }
}

/// One installed bundle, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// Version.
    pub version: u64,
    /// Channel.
    pub channel: String,
    /// File name in the store.
    pub file: String,
    /// SHA-256, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The key that signed it.
    pub key_id: String,
    /// Where it came from (`inbox /media/usb`, `https://…`, `kioskctl`).
    pub source: String,
    /// When it was installed, UTC.
    pub installed_utc: String,
}

/// `state.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The bundle shown.
    pub current: Option<Installed>,
    /// The one before, kept for rollback.
    pub previous: Option<Installed>,
    /// The highest version ever installed: nothing at or below it is accepted again.
    pub highest_version: u64,
}

/// A refused bundle, logged for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionRecord {
    /// When, UTC.
    pub at_utc: String,
    /// Where it came from.
    pub source: String,
    /// The file.
    pub file: String,
    /// Stable code.
    pub code: String,
    /// For staff.
    pub reason: String,
}

/// Why the store itself failed (disk, permissions) — not a verdict on a bundle.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// File system trouble.
    #[error("bundle store {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `state.json` is unreadable.
    #[error("bundle store state {0} is damaged; restore it or remove it to start again from the config's bundle")]
    State(PathBuf),
    /// There is no previous bundle to roll back to.
    #[error("there is no previous bundle to roll back to")]
    NoPrevious,
}

/// What an install did.
#[derive(Debug)]
pub enum Outcome {
    /// Installed and now current.
    Installed(Installed),
    /// Refused; the current bundle stays.
    Rejected(Rejection),
}

/// The store. Cheap to clone: it is a folder's path; every operation goes to the disk.
#[derive(Debug, Clone)]
pub struct BundleStore {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// What the store's files and folder are made readable as, whatever the umask.
const FILE_MODE: u32 = 0o644;
const DIR_MODE: u32 = 0o755;

/// Opens an existing file of the store for reading, never through a symbolic
/// link (`ELOOP` then) and never blocking on a FIFO planted under its name.
fn open_existing(path: &Path, write_append: bool) -> std::io::Result<File> {
    let file = fs::OpenOptions::new()
        .read(!write_append)
        .append(write_append)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| refuse_link(path, e))?;
    let meta = file.metadata()?;
    // A hard link to another file (where the kernel allows one) would have root append to it.
    if !meta.is_file() || (write_append && meta.nlink() > 1) {
        return Err(std::io::Error::other(format!(
            "{} is not a plain file of the bundle store; remove it",
            path.display()
        )));
    }
    Ok(file)
}

/// Makes an `ELOOP` from `O_NOFOLLOW` say what it means.
fn refuse_link(path: &Path, e: std::io::Error) -> std::io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        std::io::Error::other(format!(
            "{} is a symbolic link, which the bundle store never follows; remove it",
            path.display()
        ))
    } else {
        e
    }
}

/// Gives what the store just made (`file`, or the folder itself) the mode
/// `mode` and, when made by root in a folder another user owns, to `owner`'s
/// owner: the kiosk's user must read every file and take the lock whoever made
/// them, whatever root's umask was. Only ever applied to what the store itself
/// just created — never to a file found there, which could be a link to another.
fn hand_over(file: &File, mode: u32, owner: &Path) -> std::io::Result<()> {
    file.set_permissions(fs::Permissions::from_mode(mode))?; // fchmod: not masked by the umask
    let (want, have) = (fs::metadata(owner)?, file.metadata()?);
    if (want.uid(), want.gid()) != (have.uid(), have.gid()) {
        match std::os::unix::fs::fchown(file, Some(want.uid()), Some(want.gid())) {
            // Not root: the file stays its maker's, as any file that user makes.
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
            other => other?,
        }
    }
    Ok(())
}

fn fsync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Copies `from` into `to` and fsyncs it; stops at `cap` bytes (+1, so an
/// over-cap file is caught). `progress` hears (bytes copied, total) per MiB.
fn copy_synced(
    from: &Path,
    mut to: &File,
    cap: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, std::io::Error> {
    let src = File::open(from)?;
    let total = src.metadata()?.len().min(cap + 1);
    let mut src = src.take(cap + 1);
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let got = src.read(&mut buf)?;
        if got == 0 {
            break;
        }
        to.write_all(&buf[..got])?;
        n += got as u64;
        progress(n, total.max(n));
    }
    to.sync_all()?;
    Ok(n)
}

/// The install lock: held while it lives; the kernel drops it with the process.
struct InstallLock {
    _file: File,
}

/// A staging copy of a candidate: `.incoming-<unique>.kbundle` (and its
/// `.minisig`), locked while this lives and removed when it is dropped unless
/// it was renamed into place first.
struct Stage {
    path: PathBuf,
    file: File,
}

impl Drop for Stage {
    fn drop(&mut self) {
        // After the rename into place these names are gone and this does nothing.
        let _ = fs::remove_file(signature_path(&self.path));
        let _ = fs::remove_file(&self.path);
    }
}

const STAGE_PREFIX: &str = ".incoming-";
const LOCK_FILE: &str = "install.lock";

impl BundleStore {
    /// Opens (creating) the store under `data_dir`, clearing what interrupted
    /// installs left behind (when no install is running right now).
    pub fn open(data_dir: &Path) -> Result<BundleStore, StoreError> {
        let dir = data_dir.join("bundles");
        match fs::symlink_metadata(&dir) {
            Ok(m) if !m.is_dir() => {
                let e = std::io::Error::other("not a folder (a symbolic link is not followed); remove it");
                return Err(io(&dir)(e));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(data_dir).map_err(io(data_dir))?;
                match fs::create_dir(&dir) {
                    Ok(()) => File::open(&dir).and_then(|d| hand_over(&d, DIR_MODE, data_dir)).map_err(io(&dir))?,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io(&dir)(e)),
                }
            }
            Err(e) => return Err(io(&dir)(e)),
        }
        let store = BundleStore { dir };
        // A reader without write access (`kioskctl bundle status` as another user) skips the clearing.
        if let Ok(Some(_lock)) = store.try_lock() {
            store.clear_leftovers();
        }
        Ok(store)
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes a new file in the store: never over an existing name (`O_EXCL`,
    /// so a symbolic link planted there is refused, not followed), `0644`, owned
    /// by the folder's owner.
    fn create_new(&self, path: &Path) -> std::io::Result<File> {
        let file = fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path)?;
        hand_over(&file, FILE_MODE, &self.dir)?;
        Ok(file)
    }

    /// The lock file, opened read-only when it exists: `flock` needs no write
    /// access, so the kiosk's user and `kioskctl` run as root share one lock
    /// whoever created it. Never through a symbolic link: root would create
    /// or open its target.
    fn lock_file(&self) -> Result<File, StoreError> {
        let path = self.dir.join(LOCK_FILE);
        loop {
            match open_existing(&path, false) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => match self.create_new(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue, // made meanwhile
                    other => return other.map_err(io(&path)),
                },
                other => return other.map_err(io(&path)),
            }
        }
    }

    /// Waits for the install lock.
    fn lock(&self) -> Result<InstallLock, StoreError> {
        let file = self.lock_file()?;
        file.lock().map_err(io(&self.dir.join(LOCK_FILE)))?;
        Ok(InstallLock { _file: file })
    }

    /// The install lock if it is free now.
    fn try_lock(&self) -> Result<Option<InstallLock>, StoreError> {
        let file = self.lock_file()?;
        match file.try_lock() {
            Ok(()) => Ok(Some(InstallLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(io(&self.dir.join(LOCK_FILE))(e)),
        }
    }

    /// A new staging file, locked. Made under the install lock, so that
    /// [`BundleStore::clear_leftovers`] (also under it) never sees one between
    /// its creation and its lock.
    fn stage(&self) -> Result<Stage, StoreError> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let _lock = self.lock()?;
        loop {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            let name = format!("{STAGE_PREFIX}{}-{n}-{}.kbundle", std::process::id(), nanos.subsec_nanos());
            let path = self.dir.join(name);
            match self.create_new(&path) {
                Ok(file) => {
                    let stage = Stage { path, file };
                    stage.file.try_lock().map_err(|e| io(&stage.path)(std::io::Error::other(e.to_string())))?;
                    return Ok(stage);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io(&path)(e)),
            }
        }
    }

    /// Removes, under the install lock, what no install is using: staging
    /// files nobody holds (their install died), a half-written state, and
    /// bundles that are neither current nor previous.
    fn clear_leftovers(&self) {
        let state = self.state().ok();
        let keep: Vec<String> =
            state.iter().flat_map(|s| [&s.current, &s.previous]).flatten().map(|i| i.file.clone()).collect();
        for entry in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let base = name.strip_suffix(".minisig").unwrap_or(&name);
            let remove = if base.starts_with(STAGE_PREFIX) {
                if name.ends_with(".minisig") {
                    !self.dir.join(base).exists()
                } else {
                    // Locked: an install is copying into it. Free: its install is gone, and its signature with it.
                    let dead = open_existing(&entry.path(), false).is_ok_and(|f| f.try_lock().is_ok());
                    if dead {
                        let _ = fs::remove_file(signature_path(&entry.path()));
                    }
                    dead
                }
            } else if name.starts_with(".state.json.") && name.ends_with(".tmp") {
                true
            } else {
                // Without a readable state nothing can be told to be unused: keep everything.
                state.is_some()
                    && base.starts_with('v')
                    && base.ends_with(".kbundle")
                    && !keep.iter().any(|k| k == base)
            };
            if remove {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// The current state (empty if nothing was ever installed).
    pub fn state(&self) -> Result<State, StoreError> {
        let path = self.dir.join("state.json");
        let read = open_existing(&path, false).and_then(|mut f| {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).map(|_| bytes)
        });
        match read {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| StoreError::State(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// The current bundle's path, if one was installed.
    pub fn current_path(&self) -> Result<Option<PathBuf>, StoreError> {
        Ok(self.state()?.current.map(|c| self.dir.join(c.file)))
    }

    /// Writes `state.json` by renaming a synced copy over it. Callers hold the install lock.
    fn write_state(&self, state: &State, _lock: &InstallLock) -> Result<(), StoreError> {
        // A name of its own, made new: a link planted at a fixed temp name would have root write through it.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self.dir.join(format!(".state.json.{}-{n}.tmp", std::process::id()));
        let bytes = serde_json::to_vec_pretty(state).expect("state serialises");
        let mut f = self.create_new(&tmp).map_err(io(&tmp))?;
        f.write_all(&bytes).and_then(|_| f.sync_all()).map_err(io(&tmp))?;
        let path = self.dir.join("state.json");
        fs::rename(&tmp, &path).map_err(io(&path))?;
        fsync_dir(&self.dir)
    }

    /// Checks and installs `candidate` (its `.minisig` beside it). `floor` is
    /// the version the kiosk shows when nothing was installed yet (the
    /// config's bundle): nothing at or below it is accepted either.
    pub fn install(&self, candidate: &Path, policy: &Policy, floor: u64, source: &str) -> Result<Outcome, StoreError> {
        self.install_with_progress(candidate, policy, floor, source, &mut |_, _| {})
    }

    /// [`BundleStore::install`], telling `progress` (bytes copied, total) as
    /// the candidate is copied in — the slow part from a USB stick.
    pub fn install_with_progress(
        &self,
        candidate: &Path,
        policy: &Policy,
        floor: u64,
        source: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Outcome, StoreError> {
        // Cheap refusals first, before a byte of the candidate is read: its size
        // (a stat: no copy of a 4 GB file to learn it is too big), then who signed
        // it (its small .minisig: no copy of a stranger's file at all).
        let meta = fs::metadata(candidate).map_err(io(candidate))?;
        if meta.len() > policy.max_bytes {
            return self.reject(candidate, source, Rejection::TooLarge { size: meta.len(), cap: policy.max_bytes });
        }
        let signature = match read_signature(&signature_path(candidate)).and_then(|text| {
            trusted_signer(&text, policy)?;
            Ok(text)
        }) {
            Ok(text) => text,
            Err(r) => return self.reject(candidate, source, r),
        };
        if !meta.is_file() {
            return self.reject(candidate, source, Rejection::Io("not a regular file".into()));
        }
        let snapshot = self.state()?.highest_version.max(floor);
        // Stage a private copy and check the copy; other installs may run meanwhile.
        let stage = self.stage()?;
        let staged = copy_synced(candidate, &stage.file, policy.max_bytes, progress)
            .and_then(|_| self.write_stage_signature(&stage, &signature));
        if let Err(e) = staged {
            drop(stage);
            return self.reject(candidate, source, Rejection::Io(e.to_string()));
        }
        failpoint("staged");
        let accepted: Accepted = match check(&stage.path, policy, snapshot) {
            Ok(a) => a,
            Err(r) => {
                drop(stage);
                return self.reject(candidate, source, r);
            }
        };
        self.switch(stage, accepted, candidate, floor, source)
    }

    /// Moves a checked staging copy into place and makes it current, under the
    /// lock: judged against the state as it is now, not as it was before the
    /// copy (another install may have won meanwhile).
    fn switch(
        &self,
        stage: Stage,
        accepted: Accepted,
        candidate: &Path,
        floor: u64,
        source: &str,
    ) -> Result<Outcome, StoreError> {
        let lock = self.lock()?;
        let state = self.state()?;
        let highest = state.highest_version.max(floor);
        if accepted.version <= highest {
            drop(stage);
            drop(lock);
            return self.reject(
                candidate,
                source,
                Rejection::NotNewer { version: accepted.version, installed: highest },
            );
        }
        let file = format!("v{}.kbundle", accepted.version);
        let target = self.dir.join(&file);
        fs::rename(signature_path(&stage.path), signature_path(&target)).map_err(io(&target))?;
        fs::rename(&stage.path, &target).map_err(io(&target))?;
        fsync_dir(&self.dir)?;
        failpoint("renamed");
        let installed = Installed {
            version: accepted.version,
            channel: accepted.channel,
            file,
            sha256: accepted.sha256,
            size: accepted.size,
            key_id: accepted.key_id,
            source: source.to_string(),
            installed_utc: jiff::Timestamp::now().to_string(),
        };
        let next = State {
            previous: state.current.clone(),
            current: Some(installed.clone()),
            highest_version: accepted.version.max(state.highest_version),
        };
        self.write_state(&next, &lock)?; // the switch
        failpoint("switched");
        self.clear_leftovers();
        drop(lock);
        Ok(Outcome::Installed(installed))
    }

    /// Writes a staging copy's `.minisig`, as a new file.
    fn write_stage_signature(&self, stage: &Stage, signature: &str) -> std::io::Result<()> {
        let mut f = self.create_new(&signature_path(&stage.path))?;
        f.write_all(signature.as_bytes())?;
        f.sync_all()
    }

    /// Goes back to the previous bundle — or, after the first install, to the
    /// kiosk's own bundle from its config (`Ok(None)`). The highest version
    /// stays: a newer bundle must still be newer than the one rolled back from,
    /// so the bundle rolled back from is removed.
    pub fn rollback(&self) -> Result<Option<Installed>, StoreError> {
        let lock = self.lock()?;
        let state = self.state()?;
        if state.current.is_none() {
            return Err(StoreError::NoPrevious);
        }
        if let Some(previous) = &state.previous
            && !self.dir.join(&previous.file).exists()
        {
            return Err(StoreError::NoPrevious);
        }
        let next = State { current: state.previous.clone(), previous: None, highest_version: state.highest_version };
        self.write_state(&next, &lock)?;
        self.clear_leftovers();
        Ok(state.previous)
    }

    fn reject(&self, candidate: &Path, source: &str, r: Rejection) -> Result<Outcome, StoreError> {
        let record = RejectionRecord {
            at_utc: jiff::Timestamp::now().to_string(),
            source: source.to_string(),
            file: candidate.display().to_string(),
            code: r.code().to_string(),
            reason: r.to_string(),
        };
        let path = self.dir.join("rejections.jsonl");
        let mut line = serde_json::to_vec(&record).expect("record serialises");
        line.push(b'\n');
        let mut f = match self.create_new(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => open_existing(&path, true),
            other => other,
        }
        .map_err(io(&path))?;
        f.write_all(&line).and_then(|_| f.sync_data()).map_err(io(&path))?;
        Ok(Outcome::Rejected(r))
    }

    /// The last `n` rejections, newest last.
    pub fn rejections(&self, n: usize) -> Vec<RejectionRecord> {
        let Ok(f) = open_existing(&self.dir.join("rejections.jsonl"), false) else { return Vec::new() };
        let all: Vec<RejectionRecord> = std::io::BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect();
        all[all.len().saturating_sub(n)..].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A symbolic link planted at a staging copy's `.minisig` name (which an
    /// attacker could spray) is refused, not written through.
    #[test]
    fn a_link_at_the_staging_signature_name_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let store = BundleStore::open(dir.path()).unwrap();
        let stage = store.stage().unwrap();
        std::os::unix::fs::symlink(&victim, signature_path(&stage.path)).unwrap();
        let err = store.write_stage_signature(&stage, "untrusted comment: x\n").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious", "the link's target is untouched");
    }
}
