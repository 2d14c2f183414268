//! Speech's place in the kiosk: one speaker on the music's sound device (so
//! speech is heard wherever the music is, and a device that comes back
//! serves both), the screen's physical layout for large text and reach
//! mode, and the visitor's speech reset with the rest of the visit.

use std::sync::{Arc, Mutex, MutexGuard};

use kiosk_config::AccessibilityConfig;
use kiosk_speech::{Speaker, SpeechError, Utterance, Voices};
use serde::Serialize;

use crate::music::Music;

/// The height of a capital letter in the kiosk's text face, Noto Sans, as a
/// share of the font size (its cap height is 714 of 1000 units).
const CAP_HEIGHT_EM: f32 = 0.714;

/// The smallest body text on the kiosk's screens, in rem (app.css sizes all
/// text in rem; 0.95 rem is the smallest size a screen uses for text).
const SMALLEST_TEXT_REM: f32 = 0.95;

/// The capital letter body text must have in large-text mode, mm (ADA 703.5.5, EN 301 549 §5.1.4).
pub const LARGE_CAP_MM: f32 = 4.8;

/// What the UI needs to draw the accessibility modes on this screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AccessLayout {
    /// Whether speech is offered (the config allows it and espeak-ng is installed).
    pub speech: bool,
    /// The band a seated visitor reaches, as fractions of the screen's height
    /// from its top edge: top of the band.
    pub band_top: f32,
    /// Bottom of the band (1: the screen's bottom edge).
    pub band_bottom: f32,
    /// Device-independent pixels per millimetre on this screen, as the
    /// config's diagonal gives it (assuming the window fills the screen).
    pub px_per_mm: f32,
    /// The root font size, px, at which the smallest body text's capitals are [`LARGE_CAP_MM`] tall.
    pub large_min_px: f32,
    /// The screen's diagonal the figures assume, inches (from the config).
    pub diagonal_in: f32,
}

/// The layout for a window of `width` × `height` px on the screen `config` describes.
pub fn access_layout(config: &AccessibilityConfig, speech: bool, width: u32, height: u32) -> AccessLayout {
    let (band_top, band_bottom) = config.reach_band(width, height);
    let px_per_mm = config.px_per_mm(width, height);
    AccessLayout {
        speech,
        band_top,
        band_bottom,
        px_per_mm,
        large_min_px: LARGE_CAP_MM * px_per_mm / CAP_HEIGHT_EM / SMALLEST_TEXT_REM,
        diagonal_in: config.screen_diagonal_in,
    }
}

/// The shared speaker; `None` inside when speech is off in the config or espeak-ng is missing.
#[derive(Clone)]
pub struct Speech {
    speaker: Arc<Mutex<Option<Speaker>>>,
    music: Music,
}

impl Speech {
    /// A speaker on `music`'s device, if `enabled` and espeak-ng can be found
    /// (otherwise the kiosk runs on without speech, and says why in the log).
    pub fn new(music: Music, enabled: bool) -> Self {
        let speaker = if enabled {
            match Voices::detect() {
                Ok(voices) => Some(Speaker::new(voices)),
                Err(e) => {
                    tracing::warn!("speech is off: {e}");
                    None
                }
            }
        } else {
            None
        };
        Speech { speaker: Arc::new(Mutex::new(speaker)), music }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Speaker>> {
        self.speaker.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether speech can be offered.
    pub fn available(&self) -> bool {
        self.lock().is_some()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Speaker, &Music) -> Result<T, SpeechError>) -> Result<T, SpeechError> {
        let mut speaker = self.lock();
        let speaker = speaker.as_mut().ok_or_else(|| SpeechError::Unavailable("speech is off on this kiosk".into()))?;
        f(speaker, &self.music)
    }

    /// Says `text` in `lang`, interrupting whatever was being said.
    pub fn say(&self, text: &str, lang: &str) -> Result<Utterance, SpeechError> {
        self.with(|s, m| s.say(m.lock().output_mut(), text, lang))
    }

    /// Says `text` character by character (an email address read back).
    pub fn spell(&self, text: &str, lang: &str) -> Result<Utterance, SpeechError> {
        self.with(|s, m| s.spell(m.lock().output_mut(), text, lang))
    }

    /// A short tone instead of words (a staff PIN key).
    pub fn tone(&self) -> Result<(), SpeechError> {
        self.with(|s, m| s.tone(m.lock().output_mut()))
    }

    /// Pauses speech, or resumes it; whether it is paused now.
    pub fn pause_toggle(&self) -> Result<bool, SpeechError> {
        self.with(|s, _| Ok(s.pause_toggle()))
    }

    /// Changes the speech volume by `delta` (clamped to 0.1–1); the new volume.
    pub fn nudge_volume(&self, delta: f32) -> Result<f32, SpeechError> {
        self.with(|s, _| {
            let v = (s.volume() + delta).clamp(0.1, 1.0);
            s.set_volume(v);
            Ok(v)
        })
    }

    /// The next visitor: silence, default volume.
    pub fn reset(&self) {
        if let Some(s) = self.lock().as_mut() {
            s.reset();
        }
    }

    /// The last utterance's command → first sample handed to the device, for the log and the bench.
    pub fn take_first_sound_latency(&self) -> Option<std::time::Duration> {
        self.lock().as_mut().and_then(|s| s.take_first_sound_latency())
    }
}
