//! What a visitor's screen asks for: content, music, the email signup, and
//! the UI's own reports (first paint, touches, what it shows).

use std::collections::BTreeMap;

use kiosk_app::signups::{SignupError, SignupOutcome};
use kiosk_content::bundle::{EventView, Home, SectionView, TrackInfo};
use kiosk_player::Status;
use kiosk_signups::consent::{Shown, Statement};
use tauri::State;

use crate::error::UiError;
use crate::state::Kiosk;

#[tauri::command]
#[specta::specta]
pub fn home(k: State<'_, Kiosk>, lang: Option<String>) -> Result<Home, UiError> {
    Ok(k.home(lang.as_deref())?)
}

#[tauri::command]
#[specta::specta]
pub fn section(k: State<'_, Kiosk>, id: String, lang: Option<String>) -> Result<SectionView, UiError> {
    Ok(k.section(&id, lang.as_deref())?)
}

#[tauri::command]
#[specta::specta]
pub fn upcoming_events(k: State<'_, Kiosk>, lang: Option<String>) -> Result<Vec<EventView>, UiError> {
    Ok(k.upcoming_events(lang.as_deref())?)
}

/// The UI calls this once its first content is on screen, with its own
/// start-up marks (Unix ms); all go to the log so start-up can be measured
/// from outside (see bench/).
#[tauri::command]
#[specta::specta]
pub fn content_painted(k: State<'_, Kiosk>, marks: BTreeMap<String, f64>) {
    k.marks.painted(|shell| {
        // Tell systemd (Type=notify) the kiosk is up: content is on screen.
        let _ = crate::systemd::notify("READY=1");
        let unix_ms = jiff::Timestamp::now().as_millisecond();
        let marks: Vec<String> = marks.iter().map(|(name, t)| format!("{name}={t:.0}")).collect();
        tracing::info!("first content painted unix_ms={unix_ms} {shell} {}", marks.join(" "));
    });
}

/// The page was loaded again in a new web process (crate::window): attract
/// mode, if on, shows its slide again.
#[tauri::command]
#[specta::specta]
pub fn page_relaunched(k: State<'_, Kiosk>) {
    k.page_relaunched();
}

/// The UI says what it shows, every few seconds: proof that it still renders.
#[tauri::command]
#[specta::specta]
pub fn ui_rendered(k: State<'_, Kiosk>, screen: String, items: u32, lang: String) {
    k.ui_rendered(screen, items, lang);
}

/// Any touch on the screen: restarts the idle countdown, or leaves attract mode.
#[tauri::command]
#[specta::specta]
pub fn touch(k: State<'_, Kiosk>) {
    k.touch();
}

#[tauri::command]
#[specta::specta]
pub fn music_tracks(k: State<'_, Kiosk>, lang: Option<String>) -> Result<Vec<TrackInfo>, UiError> {
    Ok(k.tracks(lang.as_deref())?)
}

/// Play/pause for one track (see [`kiosk_app::Kiosk::music_toggle`]).
#[tauri::command]
#[specta::specta]
pub fn music_toggle(k: State<'_, Kiosk>, id: String) -> Result<Status, UiError> {
    Ok(k.music_toggle(&id)?)
}

#[tauri::command]
#[specta::specta]
pub fn music_status(k: State<'_, Kiosk>) -> Status {
    k.music.lock().status()
}

#[tauri::command]
#[specta::specta]
pub fn music_stop(k: State<'_, Kiosk>) -> Status {
    let mut player = k.music.lock();
    player.stop();
    player.status()
}

/// The visitor's volume, 0–1 of the staff's ceiling.
#[tauri::command]
#[specta::specta]
pub fn music_volume(k: State<'_, Kiosk>, volume: f32) -> Status {
    let mut player = k.music.lock();
    player.set_volume(volume);
    player.status()
}

/// Plays the next (`step` = 1) or previous (`step` = -1) track in the bundle's order.
#[tauri::command]
#[specta::specta]
pub fn music_skip(k: State<'_, Kiosk>, step: i32) -> Result<Status, UiError> {
    Ok(k.music_skip(step)?)
}

/// The signup consent statement in `lang` (see [`kiosk_app::Kiosk::consent`]).
#[tauri::command]
#[specta::specta]
pub fn signup_consent(k: State<'_, Kiosk>, lang: Option<String>) -> Statement {
    k.consent(lang.as_deref())
}

/// Validates and durably stores a signup; "Thank you" only after this returns Ok.
/// `consent_*` name the statement the UI had on screen at the tap.
#[tauri::command]
#[specta::specta]
pub fn signup_submit(
    k: State<'_, Kiosk>,
    email: String,
    name: String,
    consent: bool,
    consent_lang: String,
    consent_version: u32,
    consent_sha256: String,
) -> Result<SignupOutcome, SignupError> {
    let shown = Shown { lang: &consent_lang, version: consent_version, sha256: &consent_sha256 };
    k.submit_signup(&email, &name, consent, shown)
}

/// A visitor opened a section (counted per day for the staff panel's chart).
#[tauri::command]
#[specta::specta]
pub fn section_viewed(k: State<'_, Kiosk>, id: String) {
    k.staff.section_viewed(&id);
}
