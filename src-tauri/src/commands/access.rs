//! What the accessibility modes ask for: speech (synthesised and played in
//! Rust, see `kiosk-speech`), the screen's physical layout for large text and
//! reach mode, and the longer timeout while speech or a keypad is in use.
//!
//! The commands that synthesise run off the main thread (`async`): espeak-ng
//! takes milliseconds for a label but more for a long first sentence, and the
//! main thread serves every other command and the window.

use kiosk_app::speech::{self, AccessLayout};
use tauri::State;

use crate::error::UiError;
use crate::state::Kiosk;

/// Says `text` in `lang` (a language code or BCP 47 tag), interrupting what
/// was being said; `seq` counts the window's requests, so an older one that
/// reaches the speaker late is dropped.
#[tauri::command(async)]
#[specta::specta]
pub fn speech_say(k: State<'_, Kiosk>, text: String, lang: String, seq: u32) -> Result<(), UiError> {
    k.speech.say(&text, &lang, seq)?;
    Ok(())
}

/// Says `text` character by character (what was typed, read back).
#[tauri::command(async)]
#[specta::specta]
pub fn speech_spell(k: State<'_, Kiosk>, text: String, lang: String, seq: u32) -> Result<(), UiError> {
    k.speech.spell(&text, &lang, seq)?;
    Ok(())
}

/// A tone in place of words: a staff PIN key is never said.
#[tauri::command(async)]
#[specta::specta]
pub fn speech_tone(k: State<'_, Kiosk>, seq: u32) -> Result<(), UiError> {
    Ok(k.speech.tone(seq)?)
}

/// Pauses or resumes speech; whether it is paused now.
#[tauri::command]
#[specta::specta]
pub fn speech_pause(k: State<'_, Kiosk>) -> Result<bool, UiError> {
    Ok(k.speech.pause_toggle()?)
}

/// Speech louder or softer by `delta`; the new volume (0.1–1).
#[tauri::command]
#[specta::specta]
pub fn speech_volume(k: State<'_, Kiosk>, delta: f32) -> Result<f32, UiError> {
    Ok(k.speech.nudge_volume(delta)?)
}

/// Speech or keypad mode went on (or off): the idle timeout is multiplied while on.
#[tauri::command]
#[specta::specta]
pub fn access_assist(k: State<'_, Kiosk>, on: bool) {
    k.attract.assist(on);
}

/// The band reach mode uses and the size large text needs, for a window of `width` × `height` px.
#[tauri::command]
#[specta::specta]
pub fn access_layout(k: State<'_, Kiosk>, width: u32, height: u32) -> AccessLayout {
    speech::access_layout(&k.access, k.speech.available(), width.max(1), height.max(1))
}
