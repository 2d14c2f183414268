//! IPC commands: each one a few lines that call the core and translate errors
//! to `{code, message}`, so the UI never matches on message text.

use std::sync::{Arc, Mutex, Once};

use kiosk_attract::driver::AttractHandle;
use kiosk_content::bundle::{EventView, Home, SectionView, TrackInfo};
use kiosk_content::{Bundle, BundleError, Clock};
use kiosk_player::{PlayerError, Status};
use kiosk_signups::consent::{Shown, Statement};
use serde::Serialize;
use tauri::State;

/// The app's state, shared by all commands.
pub struct Kiosk {
    pub bundle: Mutex<Bundle>,
    pub clock: Arc<dyn Clock>,
    pub idle_timeout_override: Option<u32>,
    pub painted: Once,
    /// When `main` started and when the window was created (Unix ms), for start-up figures.
    pub started_ms: i64,
    pub window_ms: std::sync::atomic::AtomicI64,
    /// When the shell's set-up ended (Unix ms): the page's requests wait for it.
    pub setup_ms: std::sync::atomic::AtomicI64,
    pub attract: AttractHandle,
    pub music: crate::music::Music,
    pub signups: crate::signup::Signups,
    pub kiosk_id: String,
    /// What the UI last said it rendered: the heartbeat vouches for the UI only while these arrive.
    pub ui_report: Mutex<Option<kiosk_health::UiReport>>,
    /// Staff mode: PIN gate, session, counts.
    pub staff: crate::staff::Staff,
}

/// An error as the UI sees it.
#[derive(Debug, Serialize)]
pub struct UiError {
    code: &'static str,
    message: String,
}

impl UiError {
    pub fn new(code: &'static str, message: String) -> Self {
        UiError { code, message }
    }
}

impl From<PlayerError> for UiError {
    fn from(e: PlayerError) -> Self {
        UiError { code: e.code(), message: e.to_string() }
    }
}

impl From<BundleError> for UiError {
    fn from(e: BundleError) -> Self {
        UiError { code: e.code(), message: e.to_string() }
    }
}

fn bundle<'a>(k: &'a State<'_, Kiosk>) -> std::sync::MutexGuard<'a, Bundle> {
    k.bundle()
}

impl Kiosk {
    /// The open bundle.
    pub fn bundle(&self) -> std::sync::MutexGuard<'_, Bundle> {
        // A panic while holding the lock cannot leave a read-only bundle half-changed.
        self.bundle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A track's audio and length.
    pub fn track(&self, id: &str) -> Result<(Vec<u8>, u64), BundleError> {
        let b = self.bundle();
        let duration_ms = b.tracks(None)?.into_iter().find(|t| t.id == id).map_or(0, |t| t.duration_ms);
        Ok((b.track_audio(id)?, duration_ms))
    }

    /// The track after `id` in the bundle's order, wrapping round (`None`: the first).
    pub fn track_after(&self, id: Option<&str>) -> Option<String> {
        self.track_step(id, 1)
    }

    /// The track `step` places from `id` (negative: backwards), wrapping round.
    pub fn track_step(&self, id: Option<&str>, step: isize) -> Option<String> {
        let ids: Vec<String> = self.bundle().tracks(None).ok()?.into_iter().map(|t| t.id).collect();
        let n = ids.len() as isize;
        let next = match id.and_then(|id| ids.iter().position(|x| x == id)) {
            Some(i) => (i as isize + step).rem_euclid(n.max(1)),
            None => 0,
        };
        ids.get(next as usize).cloned()
    }
}

#[tauri::command]
pub fn home(k: State<'_, Kiosk>, lang: Option<String>) -> Result<Home, UiError> {
    Ok(home_view(&bundle(&k), lang.as_deref(), k.idle_timeout_override)?)
}

fn home_view(bundle: &Bundle, lang: Option<&str>, idle_timeout_override: Option<u32>) -> Result<Home, BundleError> {
    let mut home = bundle.home(lang)?;
    home.idle_timeout_secs = idle_timeout_override.unwrap_or(home.idle_timeout_secs);
    Ok(home)
}

/// What `home` and `upcoming_events` answer for the default language, as a
/// script the page runs before its own (`window.__KIOSK_FIRST__`): the first
/// screen renders without waiting for an IPC round trip. `None` when the
/// bundle cannot answer — the UI then asks over IPC and shows the error.
pub fn first_screen_script(
    bundle: &Bundle,
    now: jiff::Timestamp,
    idle_timeout_override: Option<u32>,
) -> Option<String> {
    let home = home_view(bundle, None, idle_timeout_override).ok()?;
    let events = bundle.upcoming_events(now, None).ok()?;
    let json = serde_json::to_string(&serde_json::json!({ "home": home, "events": events })).ok()?;
    Some(format!("window.__KIOSK_FIRST__ = {json};"))
}

#[tauri::command]
pub fn section(k: State<'_, Kiosk>, id: String, lang: Option<String>) -> Result<SectionView, UiError> {
    Ok(bundle(&k).section(&id, lang.as_deref())?)
}

#[tauri::command]
pub fn upcoming_events(k: State<'_, Kiosk>, lang: Option<String>) -> Result<Vec<EventView>, UiError> {
    Ok(bundle(&k).upcoming_events(k.clock.now(), lang.as_deref())?)
}

/// The UI calls this once its first content is on screen, with its own
/// start-up marks (Unix ms); all go to the log so start-up can be measured
/// from outside (see bench/).
#[tauri::command]
pub fn content_painted(k: State<'_, Kiosk>, marks: std::collections::BTreeMap<String, f64>) {
    k.painted.call_once(|| {
        // Tell systemd (Type=notify) the kiosk is up: content is on screen.
        let _ = crate::systemd::notify("READY=1");
        let unix_ms = jiff::Timestamp::now().as_millisecond();
        let marks: Vec<String> = marks.iter().map(|(name, t)| format!("{name}={t:.0}")).collect();
        tracing::info!(
            "first content painted unix_ms={unix_ms} main={} window={} setup={} {}",
            k.started_ms,
            k.window_ms.load(std::sync::atomic::Ordering::Relaxed),
            k.setup_ms.load(std::sync::atomic::Ordering::Relaxed),
            marks.join(" ")
        );
    });
}

/// Any touch on the screen: restarts the idle countdown, or leaves attract mode.
/// The UI says what it shows, every few seconds: proof that it still renders.
#[tauri::command]
pub fn ui_rendered(k: State<'_, Kiosk>, screen: String, items: u32, lang: String) {
    let report = kiosk_health::UiReport { screen, items, lang, at_utc: jiff::Timestamp::now() };
    *k.ui_report.lock().unwrap_or_else(|p| p.into_inner()) = Some(report);
}

#[tauri::command]
pub fn touch(k: State<'_, Kiosk>) {
    k.attract.touch();
    // With the staff panel open it covers the screen: this is a staff touch.
    k.staff.touched();
}

#[tauri::command]
pub fn music_tracks(k: State<'_, Kiosk>, lang: Option<String>) -> Result<Vec<TrackInfo>, UiError> {
    Ok(bundle(&k).tracks(lang.as_deref())?)
}

/// Play/pause for one track: pauses it if playing, resumes it if paused,
/// otherwise starts it from the beginning (stopping any other track).
#[tauri::command]
pub fn music_toggle(k: State<'_, Kiosk>, id: String) -> Result<Status, UiError> {
    let mut player = k.music.lock();
    if !player.toggle_if_loaded(&id)? {
        let (audio, duration_ms) = k.track(&id)?;
        player.play(&id, audio, duration_ms)?;
    }
    Ok(player.status())
}

#[tauri::command]
pub fn music_status(k: State<'_, Kiosk>) -> Status {
    k.music.lock().status()
}

#[tauri::command]
pub fn music_stop(k: State<'_, Kiosk>) -> Status {
    let mut player = k.music.lock();
    player.stop();
    player.status()
}

/// The visitor's volume, 0–1 of the staff's ceiling.
#[tauri::command]
pub fn music_volume(k: State<'_, Kiosk>, volume: f32) -> Status {
    let mut player = k.music.lock();
    player.set_volume(volume);
    player.status()
}

/// The signup consent statement in `lang` (falling back to the default
/// language): its language, version, text and the text's SHA-256, which the
/// UI sends back with the submit.
#[tauri::command]
pub fn signup_consent(k: State<'_, Kiosk>, lang: Option<String>) -> Statement {
    let (lang, text, version) = bundle(&k).consent(lang.as_deref());
    Statement::new(lang, version, text)
}

/// Validates and durably stores a signup; "Thank you" only after this returns Ok.
/// `consent_*` name the statement the UI had on screen at the tap: if the
/// bundle has another one for that language now, the answer is `consent_changed`.
#[tauri::command]
pub fn signup_submit(
    k: State<'_, Kiosk>,
    email: String,
    name: String,
    consent: bool,
    consent_lang: String,
    consent_version: u32,
    consent_sha256: String,
) -> Result<crate::signup::SignupOutcome, crate::signup::SignupError> {
    let (lang, text, version) = bundle(&k).consent(Some(&consent_lang));
    let current = Statement::new(lang, version, text);
    let shown = Shown { lang: &consent_lang, version: consent_version, sha256: &consent_sha256 };
    crate::signup::submit(
        &k.signups,
        kiosk_signups::intake::Form { email: &email, name: &name, consent, shown, kiosk_id: &k.kiosk_id },
        &current,
    )
}

/// Plays the next (`step` = 1) or previous (`step` = -1) track in the bundle's order.
#[tauri::command]
pub fn music_skip(k: State<'_, Kiosk>, step: i32) -> Result<Status, UiError> {
    let current = k.music.lock().status().track;
    if let Some(id) = k.track_step(current.as_deref(), step.signum() as isize) {
        let (audio, duration_ms) = k.track(&id)?;
        k.music.lock().play(&id, audio, duration_ms)?;
    }
    Ok(k.music.lock().status())
}
