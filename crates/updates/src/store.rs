//! The kiosk's bundle store: `<data_dir>/bundles/`, holding the current
//! bundle, the previous one, and `state.json` — the pointer to the current
//! bundle and the highest version ever installed, kept where no bundle can
//! overwrite it.
//!
//! An install copies the candidate in under a temporary name first and
//! checks *the copy* (so a USB stick pulled or a file changed mid-way cannot
//! slip past the check), fsyncs it, renames it to `v<version>.kbundle`, and
//! then switches by writing a new `state.json` and renaming it over the old
//! one. That rename is the one atomic step: killed before it, the kiosk
//! restarts on the old bundle; after it, on the new one; never a mixture.

use std::fs::{self, File};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::accept::{Accepted, Policy, Rejection, check};
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

/// The store.
pub struct BundleStore {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

fn fsync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Copies `from` to `to` and fsyncs it; stops at `cap` bytes (+1, so an
/// over-cap file is caught). `progress` hears (bytes copied, total) per MiB.
fn copy_synced(from: &Path, to: &Path, cap: u64, progress: &mut dyn FnMut(u64, u64)) -> Result<u64, std::io::Error> {
    let src = File::open(from)?;
    let total = src.metadata()?.len().min(cap + 1);
    let mut src = src.take(cap + 1);
    let mut dst = File::create(to)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let got = src.read(&mut buf)?;
        if got == 0 {
            break;
        }
        dst.write_all(&buf[..got])?;
        n += got as u64;
        progress(n, total.max(n));
    }
    dst.sync_all()?;
    Ok(n)
}

use std::io::Read as _;

impl BundleStore {
    /// Opens (creating) the store under `data_dir`, clearing any half-copied
    /// leftovers of an install that was interrupted.
    pub fn open(data_dir: &Path) -> Result<BundleStore, StoreError> {
        let dir = data_dir.join("bundles");
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        for entry in fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // `.incoming-<pid>.kbundle[.minisig]`: leave the copy of an install still running elsewhere.
            let Some(pid) = name.strip_prefix(".incoming-").and_then(|r| r.split('.').next()) else { continue };
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(BundleStore { dir })
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current state (empty if nothing was ever installed).
    pub fn state(&self) -> Result<State, StoreError> {
        let path = self.dir.join("state.json");
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| StoreError::State(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// The current bundle's path, if one was installed.
    pub fn current_path(&self) -> Result<Option<PathBuf>, StoreError> {
        Ok(self.state()?.current.map(|c| self.dir.join(c.file)))
    }

    fn write_state(&self, state: &State) -> Result<(), StoreError> {
        let tmp = self.dir.join(".state.json.tmp");
        let bytes = serde_json::to_vec_pretty(state).expect("state serialises");
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
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
        let state = self.state()?;
        let highest = state.highest_version.max(floor);
        // Cheap refusals first, on the original: no copy of a 4 GB file to learn it is too big.
        let size = fs::metadata(candidate).map_err(io(candidate))?.len();
        if size > policy.max_bytes {
            return self.reject(candidate, source, Rejection::TooLarge { size, cap: policy.max_bytes });
        }
        if !signature_path(candidate).exists() {
            return self.reject(candidate, source, Rejection::Unsigned);
        }
        // Stage a private copy and check the copy.
        let stage = self.dir.join(format!(".incoming-{}.kbundle", std::process::id()));
        let staged = copy_synced(candidate, &stage, policy.max_bytes, progress)
            .and_then(|_| copy_synced(&signature_path(candidate), &signature_path(&stage), 64 * 1024, &mut |_, _| {}));
        if let Err(e) = staged {
            self.discard(&stage);
            return self.reject(candidate, source, Rejection::Io(e.to_string()));
        }
        failpoint("staged");
        let accepted: Accepted = match check(&stage, policy, highest) {
            Ok(a) => a,
            Err(r) => {
                self.discard(&stage);
                return self.reject(candidate, source, r);
            }
        };
        let file = format!("v{}.kbundle", accepted.version);
        let target = self.dir.join(&file);
        fs::rename(signature_path(&stage), signature_path(&target)).map_err(io(&target))?;
        fs::rename(&stage, &target).map_err(io(&target))?;
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
        self.write_state(&next)?; // the switch
        failpoint("switched");
        self.clean(&next);
        Ok(Outcome::Installed(installed))
    }

    /// Goes back to the previous bundle — or, after the first install, to the
    /// kiosk's own bundle from its config (`Ok(None)`). The highest version
    /// stays: a newer bundle must still be newer than the one rolled back from.
    pub fn rollback(&self) -> Result<Option<Installed>, StoreError> {
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
        self.write_state(&next)?;
        Ok(state.previous)
    }

    fn discard(&self, stage: &Path) {
        let _ = fs::remove_file(stage);
        let _ = fs::remove_file(signature_path(stage));
    }

    /// Removes bundles that are neither current nor previous.
    fn clean(&self, state: &State) {
        let keep: Vec<&str> =
            [&state.current, &state.previous].into_iter().flatten().map(|i| i.file.as_str()).collect();
        for entry in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let base = name.strip_suffix(".minisig").unwrap_or(&name);
            if base.starts_with('v') && base.ends_with(".kbundle") && !keep.contains(&base) {
                let _ = fs::remove_file(entry.path());
            }
        }
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
        let mut f = fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io(&path))?;
        f.write_all(&line).and_then(|_| f.sync_data()).map_err(io(&path))?;
        Ok(Outcome::Rejected(r))
    }

    /// The last `n` rejections, newest last.
    pub fn rejections(&self, n: usize) -> Vec<RejectionRecord> {
        let Ok(f) = File::open(self.dir.join("rejections.jsonl")) else { return Vec::new() };
        let all: Vec<RejectionRecord> = std::io::BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect();
        all[all.len().saturating_sub(n)..].to_vec()
    }
}
