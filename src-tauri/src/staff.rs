//! Staff mode in the app: the PIN gate and session (kiosk-staff), and the
//! staff panel's commands. Every panel command first checks that a right PIN
//! opened the session and that it has not closed on idle — the web view alone
//! cannot reach them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use kiosk_staff::pin::{PinGate, Request, Session};
use kiosk_staff::settings::{AudioSettings, SettingsFile};
use kiosk_staff::stats::{DayCount, ViewStats, first_day, last_days};
use kiosk_staff::usb::{Found, find_bundles};
use kiosk_updates::accept::Policy;
use kiosk_updates::store::{BundleStore, Outcome};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::commands::{Kiosk, UiError};

/// The exit status of "Exit kiosk": the service unit does not restart on it.
pub const STAFF_EXIT_STATUS: i32 = 64;

/// Days in the panel's charts.
const CHART_DAYS: u16 = 30;

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
    importing: AtomicBool,
    /// Damaged files the kiosk worked around, for the panel and the heartbeat.
    pub problems: crate::problems::Problems,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Staff {
    /// Staff mode for `config`; `updates` comes from the content watcher when
    /// there is one. A damaged tries file or stats store goes in `problems`.
    pub fn new(
        config: &kiosk_config::Config,
        updates: Option<(Policy, u64)>,
        problems: crate::problems::Problems,
    ) -> Staff {
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
            importing: AtomicBool::new(false),
            problems,
        }
    }

    /// The audio settings to start with: staff's last choice, else the
    /// config's (also when staff's file is damaged: then `problems` hears of it).
    pub fn audio_settings(
        data_dir: &Path,
        config: AudioSettings,
        problems: &crate::problems::Problems,
    ) -> AudioSettings {
        match SettingsFile::new(data_dir).load() {
            Ok(saved) => saved.unwrap_or(config),
            Err(why) => {
                problems.add(format!("staff's audio settings cannot be read ({why}); the config's are used"));
                config
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
        lock(&self.session).touched(jiff::Timestamp::now().as_millisecond());
    }

    /// Errors unless a right PIN opened the session and it is still open; a
    /// staff action extends it.
    fn check(&self) -> Result<(), UiError> {
        self.allow(Request::Action)
    }

    /// Errors unless the session is open; the panel's own refresh does not
    /// extend it, so a panel left alone closes on the server too.
    fn allow(&self, request: Request) -> Result<(), UiError> {
        lock(&self.session)
            .allow(request, jiff::Timestamp::now().as_millisecond())
            .map_err(|e| UiError::new(e.code(), e.to_string()))
    }
}

/// Today in the system's time zone: the days the staff panel counts (as the signup store does).
fn today() -> jiff::civil::Date {
    jiff::tz::TimeZone::system().to_datetime(jiff::Timestamp::now()).date()
}

/// Opens the staff session with the PIN; returns after how many idle seconds the panel closes.
/// Async: the Argon2 check (tens of ms) runs off the window's thread.
#[tauri::command]
pub async fn staff_unlock(k: State<'_, Kiosk>, pin: String) -> Result<u32, UiError> {
    let now = jiff::Timestamp::now();
    let tried = lock(&k.staff.gate).try_pin(&pin, now.as_second());
    match tried {
        Ok(()) => {
            lock(&k.staff.session).open(now.as_millisecond());
            tracing::info!("staff panel opened");
            Ok(k.staff.idle_close_secs)
        }
        Err(e) => {
            tracing::warn!("staff PIN refused: {e}");
            Err(UiError::new(e.code(), e.to_string()))
        }
    }
}

/// The bundle on screen, and where and when it came from.
#[derive(Debug, Serialize)]
pub struct BundleInfo {
    version: u64,
    channel: String,
    build_time: String,
    /// "inbox /media/…", "https …", "usb …", or the config's own bundle.
    source: String,
    installed_utc: Option<String>,
    /// The version a rollback would go back to.
    previous_version: Option<u64>,
    sections: usize,
    upcoming_events: usize,
    tracks: usize,
    /// Whether signed bundles can be imported (the config has `[updates]`).
    updates_configured: bool,
    /// The last bundles refused, newest last (code and reason).
    rejections: Vec<String>,
}

/// Everything the staff panel shows.
#[derive(Debug, Serialize)]
pub struct Overview {
    kiosk_id: String,
    bundle: BundleInfo,
    signups: crate::signup::StaffSignups,
    audio: AudioInfo,
    /// Signups and section views per local day, the last 30 days, oldest first.
    signups_daily: Vec<DayCount>,
    views_daily: Vec<DayCount>,
    /// The most viewed sections over those days: title, views.
    top_sections: Vec<(String, u64)>,
    idle_close_secs: u32,
    /// Damaged files the kiosk worked around since it started: staff must look.
    problems: Vec<String>,
}

/// The music's state for staff.
#[derive(Debug, Serialize)]
pub struct AudioInfo {
    volume_ceiling: f32,
    quiet: bool,
    device_available: bool,
}

#[tauri::command]
pub fn staff_overview(k: State<'_, Kiosk>) -> Result<Overview, UiError> {
    // The panel polls this every 2 s: a refresh, not a staff touch.
    k.staff.allow(Request::Refresh)?;
    k.staff_overview()
}

impl Kiosk {
    /// The staff panel's figures: the bundle and where it came from, signups
    /// and views per day, audio. Reads the store, the stats and the player,
    /// which live in different crates; only counts, never an address.
    fn staff_overview(&self) -> Result<Overview, UiError> {
        let staff = &self.staff;
        let today = today();
        let since = first_day(today, CHART_DAYS);
        let signups = self
            .signups
            .staff_view(&since, &today.to_string())
            .map_err(|e| UiError::new("store_failed", e.to_string()))?;
        let (views, by_section) = match &staff.stats {
            Some(stats) => {
                let stats = lock(stats);
                (stats.daily(&since).unwrap_or_default(), stats.by_section(&since).unwrap_or_default())
            }
            None => Default::default(),
        };
        let (meta, sections, upcoming_events, tracks) = {
            let b = self.bundle();
            let sections = b.home(None).map(|h| h.sections).unwrap_or_default();
            let events = b.upcoming_events(self.clock.now(), None).map(|e| e.len()).unwrap_or(0);
            let tracks = b.tracks(None).map(|t| t.len()).unwrap_or(0);
            (b.meta().clone(), sections, events, tracks)
        };
        let top_sections = by_section
            .into_iter()
            .take(8)
            .map(|(id, n)| (sections.iter().find(|s| s.id == id).map_or(id, |s| s.title.clone()), n))
            .collect();
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
        let (status, volume_ceiling) = {
            let player = self.music.lock();
            (player.status(), player.ceiling())
        };
        Ok(Overview {
            kiosk_id: self.kiosk_id.clone(),
            bundle: BundleInfo {
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
                sections: sections.len(),
                upcoming_events,
                tracks,
                updates_configured: staff.updates.is_some(),
                rejections,
            },
            signups_daily: last_days(today, CHART_DAYS, &signups.daily),
            views_daily: last_days(today, CHART_DAYS, &views),
            signups,
            top_sections,
            audio: AudioInfo { volume_ceiling, quiet: status.quiet, device_available: status.audio_available },
            idle_close_secs: staff.idle_close_secs,
            problems: staff.problems.list(),
        })
    }
}

/// "Sync now": a sync round at once, whatever the backoff.
#[tauri::command]
pub fn staff_sync_now(k: State<'_, Kiosk>) -> Result<(), UiError> {
    k.staff.check()?;
    if k.signups.sync_now() {
        tracing::info!("staff asked for a sync now");
        Ok(())
    } else {
        Err(UiError::new("sync_not_configured", "no central list is set up in the config ([sync])".into()))
    }
}

/// Bundles on inserted USB sticks.
#[tauri::command]
pub fn staff_usb_scan(k: State<'_, Kiosk>) -> Result<Vec<Found>, UiError> {
    k.staff.check()?;
    Ok(find_bundles(&k.staff.usb_roots))
}

/// How far an import has got, sent as `staff-import` events.
#[derive(Debug, Clone, Serialize)]
struct ImportProgress {
    phase: &'static str,
    done: u64,
    total: u64,
}

/// Imports a bundle found by [`staff_usb_scan`] through the same checks as
/// every update; the content watcher then puts it on screen. Returns its version.
#[tauri::command]
pub async fn staff_usb_import(app: AppHandle, k: State<'_, Kiosk>, path: String) -> Result<u64, UiError> {
    k.staff.check()?;
    let Some((policy, floor)) = k.staff.updates.clone() else {
        return Err(UiError::new(
            "updates_not_configured",
            "this kiosk takes no new bundles: the config has no [updates] trusted_keys".into(),
        ));
    };
    let path = PathBuf::from(path);
    // Only what the scan offers: a bundle on a stick, not any file the web view names.
    if !find_bundles(&k.staff.usb_roots).iter().any(|f| f.path == path) {
        return Err(UiError::new("usb_bundle_gone", format!("{} is no longer there", path.display())));
    }
    if k.staff.importing.swap(true, Ordering::SeqCst) {
        return Err(UiError::new("import_running", "an import is already running".into()));
    }
    let data_dir = k.staff.data_dir.clone();
    let emitter = app.clone();
    let result = tauri::async_runtime::spawn_blocking(move || {
        let store = BundleStore::open(&data_dir).map_err(|e| UiError::new("store_failed", e.to_string()))?;
        let source = format!("usb {}", path.parent().map(|p| p.display().to_string()).unwrap_or_default());
        let mut last = (0, 0);
        let outcome = store.install_with_progress(&path, &policy, floor, &source, &mut |done, total| {
            last = (done, total);
            let _ = emitter.emit("staff-import", ImportProgress { phase: "copying", done, total });
        });
        let _ = emitter.emit("staff-import", ImportProgress { phase: "checked", done: last.0, total: last.1 });
        match outcome {
            Ok(Outcome::Installed(i)) => {
                tracing::info!("staff imported content version {} from {}", i.version, path.display());
                Ok(i.version)
            }
            Ok(Outcome::Rejected(r)) => {
                tracing::warn!("staff import of {} refused [{}]: {r}", path.display(), r.code());
                Err(UiError::new(r.code(), r.to_string()))
            }
            Err(e) => Err(UiError::new("store_failed", e.to_string())),
        }
    })
    .await
    .unwrap_or_else(|e| Err(UiError::new("import_failed", e.to_string())));
    k.staff.importing.store(false, Ordering::SeqCst);
    result
}

/// Goes back to the previous bundle; the content watcher shows it. Returns its version.
///
/// Async, and the store's work on a blocking thread: a rollback waits for the
/// install lock (another install's switch, a `kioskctl` run) and fsyncs, and a
/// plain command would wait on the main thread — the whole UI frozen meanwhile.
#[tauri::command]
pub async fn staff_rollback(k: State<'_, Kiosk>) -> Result<u64, UiError> {
    k.staff.check()?;
    let data_dir = k.staff.data_dir.clone();
    let back = tauri::async_runtime::spawn_blocking(move || {
        let store = BundleStore::open(&data_dir).map_err(|e| UiError::new("store_failed", e.to_string()))?;
        store.rollback().map_err(|e| UiError::new("rollback_failed", e.to_string()))
    })
    .await
    .unwrap_or_else(|e| Err(UiError::new("rollback_failed", e.to_string())))?;
    let version = match back {
        Some(installed) => installed.version,
        None => k.staff.factory_version.unwrap_or_default(),
    };
    tracing::info!("staff rolled back to content version {version}");
    Ok(version)
}

/// Sets the music's ceiling and quiet mode, now and after restarts.
#[tauri::command]
pub fn staff_set_audio(k: State<'_, Kiosk>, volume_ceiling: f32, quiet: bool) -> Result<AudioSettings, UiError> {
    k.staff.check()?;
    let saved = k
        .staff
        .settings
        .save(AudioSettings { volume_ceiling, quiet })
        .map_err(|e| UiError::new("settings_not_saved", e.to_string()))?;
    let mut player = k.music.lock();
    player.set_ceiling(saved.volume_ceiling);
    player.set_quiet(saved.quiet);
    tracing::info!("staff set the volume ceiling to {:.2}, quiet mode {}", saved.volume_ceiling, saved.quiet);
    Ok(saved)
}

/// A one-second tone at the ceiling.
#[tauri::command]
pub fn staff_test_sound(k: State<'_, Kiosk>) -> Result<(), UiError> {
    k.staff.check()?;
    Ok(k.music.lock().play_test_tone()?)
}

/// Staff closed the panel.
#[tauri::command]
pub fn staff_close(k: State<'_, Kiosk>) {
    k.staff.close();
}

/// "Exit kiosk": the app ends with [`STAFF_EXIT_STATUS`], which the service does not restart.
#[tauri::command]
pub fn staff_exit(app: AppHandle, k: State<'_, Kiosk>) -> Result<(), UiError> {
    k.staff.check()?;
    tracing::info!("staff exited the kiosk");
    app.exit(STAFF_EXIT_STATUS);
    Ok(())
}

/// A visitor opened a section (counted per day for the staff panel's chart).
#[tauri::command]
pub fn section_viewed(k: State<'_, Kiosk>, id: String) {
    k.staff.section_viewed(&id);
}
