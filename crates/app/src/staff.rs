//! Staff mode in the kiosk: the PIN gate and session (kiosk-staff), and what
//! the staff panel's buttons do. Every panel action first checks that a right
//! PIN opened the session and that it has not closed on idle — the web view
//! alone cannot reach them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use kiosk_content::bundle::SectionSummary;
use kiosk_player::PlayerError;
use kiosk_staff::pin::{PinError, PinGate, Request, Session, SessionClosed};
use kiosk_staff::settings::{AudioSettings, SettingsFile};
use kiosk_staff::stats::{DayCount, ViewStats, first_day, last_days};
use kiosk_staff::usb::{Found, find_bundles};
use kiosk_updates::accept::{Policy, Rejection};
use kiosk_updates::store::{BundleStore, Outcome};
use serde::Serialize;

use crate::Kiosk;
use crate::problems::Problems;
use crate::signups::StaffSignups;

/// The exit status of "Exit kiosk": the service unit does not restart on it.
pub const STAFF_EXIT_STATUS: i32 = 64;

/// Days in the panel's charts.
const CHART_DAYS: u16 = 30;

/// Why a staff action was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error(transparent)]
    Pin(#[from] PinError),
    #[error(transparent)]
    SessionClosed(#[from] SessionClosed),
    #[error("no central list is set up in the config ([sync])")]
    SyncNotConfigured,
    #[error("this kiosk takes no new bundles: the config has no [updates] trusted_keys")]
    UpdatesNotConfigured,
    #[error("{0} is no longer there")]
    UsbBundleGone(String),
    #[error("an import is already running")]
    ImportRunning,
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("{0}")]
    StoreFailed(String),
    #[error("{0}")]
    ImportFailed(String),
    #[error("{0}")]
    RollbackFailed(String),
    #[error("{0}")]
    SettingsNotSaved(String),
    #[error(transparent)]
    Player(#[from] PlayerError),
}

/// Staff mode's state.
pub struct Staff {
    gate: Mutex<PinGate>,
    session: Mutex<Session>,
    stats: Option<Mutex<ViewStats>>,
    settings: SettingsFile,
    usb_roots: Vec<PathBuf>,
    data_dir: PathBuf,
    /// The config's own bundle (shown until an update is installed) and its version.
    factory_bundle: PathBuf,
    factory_version: Option<u64>,
    idle_close_secs: u32,
    /// What USB imports must pass, and the version floor; `None` without `[updates]`.
    updates: Option<(Policy, u64)>,
    importing: Arc<AtomicBool>,
    /// Damaged files the kiosk worked around, for the panel and the heartbeat.
    pub problems: Problems,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Staff {
    /// Staff mode for `config`; `updates` comes from the content watcher when
    /// there is one. A damaged tries file or stats store goes in `problems`.
    pub fn new(config: &kiosk_config::Config, updates: Option<(Policy, u64)>, problems: Problems) -> Staff {
        let staff = &config.staff;
        if let Some(hash) = &staff.pin_hash
            && let Err(e) = kiosk_staff::pin::check_hash(hash)
        {
            tracing::warn!("{e}; the staff panel will not open");
        }
        let stats = ViewStats::open(&config.data_dir)
            .map_err(|e| {
                problems.add(format!(
                    "section views are not counted: {}: {e}",
                    config.data_dir.join("stats.sqlite").display()
                ))
            })
            .ok()
            .map(Mutex::new);
        let gate = PinGate::new(staff.pin_hash.clone(), &config.data_dir, jiff::Timestamp::now().as_second());
        if let Some(why) = gate.damaged() {
            problems.add(format!(
                "the staff PIN's count of wrong tries cannot be read ({why}); the panel stays locked for {} s, as after {} wrong PINs",
                kiosk_staff::pin::lockout_secs(kiosk_staff::pin::FREE_TRIES),
                kiosk_staff::pin::FREE_TRIES
            ));
        }
        Staff {
            gate: Mutex::new(gate),
            session: Mutex::new(Session::new(staff.idle_close_secs)),
            stats,
            settings: SettingsFile::new(&config.data_dir),
            usb_roots: staff.usb_roots.clone(),
            data_dir: config.data_dir.clone(),
            factory_bundle: config.bundle.clone(),
            factory_version: kiosk_content::Bundle::open(&config.bundle).ok().map(|b| b.meta().bundle_version),
            idle_close_secs: staff.idle_close_secs,
            updates,
            importing: Arc::new(AtomicBool::new(false)),
            problems,
        }
    }

    /// The audio settings to start with: staff's last choice, else the
    /// config's (also when staff's file is damaged: then `problems` hears of it).
    pub fn audio_settings(data_dir: &Path, config: AudioSettings, problems: &Problems) -> AudioSettings {
        match SettingsFile::new(data_dir).load() {
            Ok(saved) => saved.unwrap_or(config),
            Err(why) => {
                problems.add(format!("staff's audio settings cannot be read ({why}); the config's are used"));
                config
            }
        }
    }

    /// Opens the session with the PIN; returns after how many idle seconds the panel closes.
    pub fn unlock(&self, pin: &str) -> Result<u32, StaffError> {
        let now = jiff::Timestamp::now();
        let tried = lock(&self.gate).try_pin(pin, now.as_second());
        match tried {
            Ok(()) => {
                lock(&self.session).open(now.as_millisecond());
                tracing::info!("staff panel opened");
                Ok(self.idle_close_secs)
            }
            Err(e) => {
                tracing::warn!("staff PIN refused: {e}");
                Err(e.into())
            }
        }
    }

    /// Closes the session (the panel was closed, or attract mode reset the screen).
    pub fn close(&self) {
        lock(&self.session).close();
    }

    /// Counts one visitor's look at a section (anonymous, per local day).
    pub fn section_viewed(&self, id: &str) {
        if let Some(stats) = &self.stats
            && let Err(e) = lock(stats).record(&today().to_string(), id)
        {
            tracing::warn!("a section view was not counted: {e}");
        }
    }

    /// A touch on the screen: while the panel is open, a staff touch that keeps it open.
    pub fn touched(&self) {
        lock(&self.session).touched(now_ms());
    }

    /// Errors unless a right PIN opened the session and it is still open; a
    /// staff action extends it.
    pub fn check(&self) -> Result<(), StaffError> {
        self.allow(Request::Action)
    }

    /// Errors unless the session is open; the panel's own refresh does not
    /// extend it, so a panel left alone closes on the kiosk too.
    pub fn check_refresh(&self) -> Result<(), StaffError> {
        self.allow(Request::Refresh)
    }

    fn allow(&self, request: Request) -> Result<(), StaffError> {
        Ok(lock(&self.session).allow(request, now_ms())?)
    }

    /// Bundles on inserted USB sticks.
    pub fn usb_scan(&self) -> Result<Vec<Found>, StaffError> {
        self.check()?;
        Ok(find_bundles(&self.usb_roots))
    }

    /// Everything an import of `path` needs, once the session, the config and
    /// the stick allow it; [`Import::run`] then does the slow part off the UI's thread.
    pub fn import(&self, path: &str) -> Result<Import, StaffError> {
        self.check()?;
        let (policy, floor) = self.updates.clone().ok_or(StaffError::UpdatesNotConfigured)?;
        let path = PathBuf::from(path);
        // Only what the scan offers: a bundle on a stick, not any file the web view names.
        if !find_bundles(&self.usb_roots).iter().any(|f| f.path == path) {
            return Err(StaffError::UsbBundleGone(path.display().to_string()));
        }
        if self.importing.swap(true, Ordering::SeqCst) {
            return Err(StaffError::ImportRunning);
        }
        Ok(Import { path, policy, floor, data_dir: self.data_dir.clone(), running: self.importing.clone() })
    }

    /// Going back to the previous bundle, once the session allows it; [`Rollback::run`] does it.
    pub fn rollback(&self) -> Result<Rollback, StaffError> {
        self.check()?;
        Ok(Rollback { data_dir: self.data_dir.clone(), factory_version: self.factory_version })
    }

    /// Saves the music's ceiling and quiet mode for after restarts; returns what was saved (clamped).
    pub fn save_audio(&self, volume_ceiling: f32, quiet: bool) -> Result<AudioSettings, StaffError> {
        self.check()?;
        self.settings
            .save(AudioSettings { volume_ceiling, quiet })
            .map_err(|e| StaffError::SettingsNotSaved(e.to_string()))
    }
}

/// Today in the system's time zone: the days the staff panel counts (as the signup store does).
fn today() -> jiff::civil::Date {
    jiff::tz::TimeZone::system().to_datetime(jiff::Timestamp::now()).date()
}

/// How far an import has got.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportProgress {
    pub phase: ImportPhase,
    pub done: u64,
    pub total: u64,
}

/// An import's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ImportPhase {
    /// Being copied into the store.
    Copying,
    /// Copied and checked (installed or refused: the answer says which).
    Checked,
}

/// A USB import, allowed and under way (one at a time).
pub struct Import {
    path: PathBuf,
    policy: Policy,
    floor: u64,
    data_dir: PathBuf,
    running: Arc<AtomicBool>,
}

impl Import {
    /// Installs the bundle through the same checks as every update (blocking:
    /// copies and fsyncs); the content watcher then puts it on screen.
    /// Returns its version.
    pub fn run(self, mut progress: impl FnMut(ImportProgress)) -> Result<u64, StaffError> {
        let store = BundleStore::open(&self.data_dir).map_err(|e| StaffError::StoreFailed(e.to_string()))?;
        let path = &self.path;
        let source = format!("usb {}", path.parent().map(|p| p.display().to_string()).unwrap_or_default());
        let mut last = (0, 0);
        let outcome = store.install_with_progress(path, &self.policy, self.floor, &source, &mut |done, total| {
            last = (done, total);
            progress(ImportProgress { phase: ImportPhase::Copying, done, total });
        });
        progress(ImportProgress { phase: ImportPhase::Checked, done: last.0, total: last.1 });
        match outcome {
            Ok(Outcome::Installed(i)) => {
                tracing::info!("staff imported content version {} from {}", i.version, path.display());
                Ok(i.version)
            }
            Ok(Outcome::Rejected(r)) => {
                tracing::warn!("staff import of {} refused [{}]: {r}", path.display(), r.code());
                Err(r.into())
            }
            Err(e) => Err(StaffError::StoreFailed(e.to_string())),
        }
    }
}

impl Drop for Import {
    /// Done, failed or abandoned: the next import may start.
    fn drop(&mut self) {
        self.running.store(false, Ordering::SeqCst);
    }
}

/// A rollback, allowed.
pub struct Rollback {
    data_dir: PathBuf,
    factory_version: Option<u64>,
}

impl Rollback {
    /// Goes back to the previous bundle (blocking: it waits for the install
    /// lock and fsyncs); the content watcher shows it. Returns its version.
    pub fn run(self) -> Result<u64, StaffError> {
        let store = BundleStore::open(&self.data_dir).map_err(|e| StaffError::StoreFailed(e.to_string()))?;
        let back = store.rollback().map_err(|e| StaffError::RollbackFailed(e.to_string()))?;
        let version = match back {
            Some(installed) => installed.version,
            None => self.factory_version.unwrap_or_default(),
        };
        tracing::info!("staff rolled back to content version {version}");
        Ok(version)
    }
}

/// The bundle on screen, and where and when it came from.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BundleInfo {
    pub version: u64,
    pub channel: String,
    pub build_time: String,
    /// "inbox /media/…", "https …", "usb …", or the config's own bundle.
    pub source: String,
    pub installed_utc: Option<String>,
    /// The version a rollback would go back to.
    pub previous_version: Option<u64>,
    pub sections: u32,
    pub upcoming_events: u32,
    pub tracks: u32,
    /// Whether signed bundles can be imported (the config has `[updates]`).
    pub updates_configured: bool,
    /// The last bundles refused, newest last (code and reason).
    pub rejections: Vec<String>,
}

/// Everything the staff panel shows.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Overview {
    pub kiosk_id: String,
    pub bundle: BundleInfo,
    pub signups: StaffSignups,
    pub audio: AudioInfo,
    /// Signups and section views per local day, the last 30 days, oldest first.
    pub signups_daily: Vec<DayCount>,
    pub views_daily: Vec<DayCount>,
    /// The most viewed sections over those days: title, views.
    pub top_sections: Vec<(String, u64)>,
    pub idle_close_secs: u32,
    /// Damaged files the kiosk worked around since it started: staff must look.
    pub problems: Vec<String>,
}

/// The music's state for staff.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AudioInfo {
    pub volume_ceiling: f32,
    pub quiet: bool,
    pub device_available: bool,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Kiosk {
    /// The staff panel's figures: the bundle and where it came from, signups
    /// and views per day, audio. Reads the store, the stats and the player,
    /// which live in different crates; only counts, never an address. The
    /// panel polls this: a refresh, not a staff touch.
    pub fn staff_overview(&self) -> Result<Overview, StaffError> {
        let staff = &self.staff;
        staff.check_refresh()?;
        let today = today();
        let since = first_day(today, CHART_DAYS);
        let signups =
            self.signups.staff_view(&since, &today.to_string()).map_err(|e| StaffError::StoreFailed(e.to_string()))?;
        let (views, by_section) = match &staff.stats {
            Some(stats) => {
                let stats = lock(stats);
                (stats.daily(&since).unwrap_or_default(), stats.by_section(&since).unwrap_or_default())
            }
            None => Default::default(),
        };
        let (bundle, sections) = self.bundle_info();
        let top_sections = by_section
            .into_iter()
            .take(8)
            .map(|(id, n)| (sections.iter().find(|s| s.id == id).map_or(id, |s| s.title.clone()), n))
            .collect();
        let audio = {
            let player = self.music.lock();
            let status = player.status();
            AudioInfo {
                volume_ceiling: player.ceiling(),
                quiet: status.quiet,
                device_available: status.audio_available,
            }
        };
        Ok(Overview {
            kiosk_id: self.kiosk_id.clone(),
            bundle,
            signups_daily: last_days(today, CHART_DAYS, &signups.daily),
            views_daily: last_days(today, CHART_DAYS, &views),
            signups,
            top_sections,
            audio,
            idle_close_secs: staff.idle_close_secs,
            problems: staff.problems.list(),
        })
    }

    /// The bundle on screen and where it came from (the store's state says,
    /// when it installed this version), and its sections for the chart's titles.
    fn bundle_info(&self) -> (BundleInfo, Vec<SectionSummary>) {
        let staff = &self.staff;
        let (meta, sections, upcoming_events, tracks) = {
            let b = self.bundle();
            let sections = b.home(None).map(|h| h.sections).unwrap_or_default();
            let events = b.upcoming_events(self.clock.now(), None).map(|e| e.len()).unwrap_or(0);
            let tracks = b.tracks(None).map(|t| t.len()).unwrap_or(0);
            (b.meta().clone(), sections, events, tracks)
        };
        let store = BundleStore::open(&staff.data_dir).ok();
        let state = store.as_ref().and_then(|s| s.state().ok()).unwrap_or_default();
        let (source, installed_utc) = match &state.current {
            Some(c) if c.version == meta.bundle_version => (c.source.clone(), Some(c.installed_utc.clone())),
            _ => (format!("the kiosk's own bundle, {}", staff.factory_bundle.display()), None),
        };
        let rejections = store
            .map(|s| {
                s.rejections(3)
                    .into_iter()
                    .map(|r| format!("{} {} [{}]: {}", r.at_utc, r.file, r.code, r.reason))
                    .collect()
            })
            .unwrap_or_default();
        let info = BundleInfo {
            version: meta.bundle_version,
            channel: meta.channel,
            build_time: meta.build_time,
            source,
            installed_utc,
            previous_version: match (&state.current, state.previous) {
                (_, Some(p)) => Some(p.version),
                (Some(_), None) => staff.factory_version,
                (None, None) => None,
            },
            sections: count(sections.len()),
            upcoming_events: count(upcoming_events),
            tracks: count(tracks),
            updates_configured: staff.updates.is_some(),
            rejections,
        };
        (info, sections)
    }

    /// "Sync now": a sync round at once, whatever the backoff.
    pub fn staff_sync_now(&self) -> Result<(), StaffError> {
        self.staff.check()?;
        if self.signups.sync_now() {
            tracing::info!("staff asked for a sync now");
            Ok(())
        } else {
            Err(StaffError::SyncNotConfigured)
        }
    }

    /// Sets the music's ceiling and quiet mode, now and after restarts.
    pub fn staff_set_audio(&self, volume_ceiling: f32, quiet: bool) -> Result<AudioSettings, StaffError> {
        let saved = self.staff.save_audio(volume_ceiling, quiet)?;
        let mut player = self.music.lock();
        player.set_ceiling(saved.volume_ceiling);
        player.set_quiet(saved.quiet);
        tracing::info!("staff set the volume ceiling to {:.2}, quiet mode {}", saved.volume_ceiling, saved.quiet);
        Ok(saved)
    }

    /// A one-second tone at the ceiling.
    pub fn staff_test_sound(&self) -> Result<(), StaffError> {
        self.staff.check()?;
        Ok(self.music.lock().play_test_tone()?)
    }

    /// "Exit kiosk" is allowed: the shell then ends with [`STAFF_EXIT_STATUS`].
    pub fn staff_exit(&self) -> Result<(), StaffError> {
        self.staff.check()?;
        tracing::info!("staff exited the kiosk");
        Ok(())
    }
}
