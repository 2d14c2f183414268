//! Speech's place in the kiosk: one speaker on the music's sound device (so
//! speech is heard wherever the music is, and a device that comes back
//! serves both), the screen's physical layout for large text and reach
//! mode, and the visitor's speech reset with the rest of the visit.

use std::sync::{Arc, Mutex, MutexGuard};

use kiosk_config::AccessibilityConfig;
use kiosk_player::{AudioError, AudioOutput};
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
    /// How often attract mode says how to get speech, seconds (0: never).
    pub hint_secs: u32,
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
        hint_secs: if speech { config.attract_hint_secs } else { 0 },
    }
}

/// The music's device as speech's output: the music player's lock is taken
/// only to connect a new rodio player to its mixer, never while espeak-ng
/// synthesises (which would hold up the music's status and every music command).
struct MusicDevice(Music);

impl AudioOutput for MusicDevice {
    fn connect(&mut self) -> Result<rodio::Player, AudioError> {
        let mut music = self.0.lock();
        if !music.output().available() && !music.reopen_output() {
            // Reopened through the music player, which picks its track up on
            // the new stream (else its status would say it plays on the gone one).
            return Err(AudioError::Unavailable("no sound device".into()));
        }
        music.output_mut().connect()
    }

    fn available(&self) -> bool {
        self.0.lock().output().available()
    }
}

/// The visitor's speech volume until they change it (of the staff's ceiling).
pub const DEFAULT_SPEECH_VOLUME: f32 = 0.8;

/// The shared speaker; `None` inside when speech is off in the config or espeak-ng is missing.
#[derive(Clone)]
pub struct Speech {
    speaker: Arc<Mutex<Option<Speaker>>>,
    music: Music,
    /// The visitor's speech volume, 0.1–1; what is played is this times the staff's ceiling.
    visitor_volume: Arc<Mutex<f32>>,
    /// When the last utterance was asked for, µs since 1970 (for the log line the bench reads).
    asked_unix_us: Arc<Mutex<u64>>,
    /// The newest request's number: requests are served on several threads,
    /// and one that reaches the speaker after a newer one is dropped.
    newest: Arc<Mutex<Option<u32>>>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
        Speech {
            speaker: Arc::new(Mutex::new(speaker)),
            music,
            visitor_volume: Arc::new(Mutex::new(DEFAULT_SPEECH_VOLUME)),
            asked_unix_us: Arc::default(),
            newest: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Speaker>> {
        locked(&self.speaker)
    }

    /// Whether speech can be offered.
    pub fn available(&self) -> bool {
        self.lock().is_some()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Speaker) -> Result<T, SpeechError>) -> Result<T, SpeechError> {
        let mut speaker = self.lock();
        let speaker = speaker.as_mut().ok_or_else(|| SpeechError::Unavailable("speech is off on this kiosk".into()))?;
        self.log_first_sound(speaker);
        f(speaker)
    }

    /// Logs how long the last utterance took from its command to its first
    /// sample at the device (the app's share of key → speech; the bench reads
    /// it). Logged at the next command rather than by a thread that wakes to
    /// look: an idle kiosk wakes for nothing.
    fn log_first_sound(&self, speaker: &mut Speaker) {
        if let Some(latency) = speaker.take_first_sound_latency() {
            tracing::info!(
                "speech: first sound handed to the device {:.2} ms after the command (unix_us={})",
                latency.as_secs_f64() * 1000.0,
                *locked(&self.asked_unix_us)
            );
        }
    }

    /// Whether request `seq` is still the newest. The window numbers its
    /// requests by its clock in ms (wrapping at 2³², so a reloaded window goes
    /// on counting up); one behind the newest is stale.
    fn current(&self, seq: u32) -> bool {
        let mut newest = locked(&self.newest);
        let stale = newest.is_some_and(|n| {
            let behind = n.wrapping_sub(seq);
            behind != 0 && behind < u32::MAX / 2
        });
        if !stale {
            *newest = Some(seq);
        }
        !stale
    }

    /// A new utterance: noted for the log, and at the visitor's volume under
    /// the staff's ceiling (which staff may have changed since the last).
    fn utterance(&self, speaker: &mut Speaker) -> MusicDevice {
        *locked(&self.asked_unix_us) = jiff::Timestamp::now().as_microsecond().max(0) as u64;
        let ceiling = self.music.lock().ceiling();
        speaker.set_volume(*locked(&self.visitor_volume) * ceiling);
        MusicDevice(self.music.clone())
    }

    /// Says `text` in `lang`, interrupting whatever was being said, unless a
    /// newer request than `seq` came first (then nothing: `None`).
    pub fn say(&self, text: &str, lang: &str, seq: u32) -> Result<Option<Utterance>, SpeechError> {
        self.with(|s| {
            if !self.current(seq) {
                return Ok(None);
            }
            let mut device = self.utterance(s);
            s.say(&mut device, text, lang).map(Some)
        })
    }

    /// Says `text` character by character (an email address read back); as [`Speech::say`].
    pub fn spell(&self, text: &str, lang: &str, seq: u32) -> Result<Option<Utterance>, SpeechError> {
        self.with(|s| {
            if !self.current(seq) {
                return Ok(None);
            }
            let mut device = self.utterance(s);
            s.spell(&mut device, text, lang).map(Some)
        })
    }

    /// A short tone instead of words (a staff PIN key); as [`Speech::say`].
    pub fn tone(&self, seq: u32) -> Result<(), SpeechError> {
        self.with(|s| {
            if !self.current(seq) {
                return Ok(());
            }
            let mut device = self.utterance(s);
            s.tone(&mut device)
        })
    }

    /// Pauses speech, or resumes it; whether it is paused now.
    pub fn pause_toggle(&self) -> Result<bool, SpeechError> {
        self.with(|s| Ok(s.pause_toggle()))
    }

    /// Changes the visitor's speech volume by `delta` (kept within 0.1–1); the new volume.
    pub fn nudge_volume(&self, delta: f32) -> Result<f32, SpeechError> {
        self.with(|s| {
            let mut volume = locked(&self.visitor_volume);
            *volume = (*volume + delta).clamp(0.1, 1.0);
            s.set_volume(*volume * self.music.lock().ceiling());
            Ok(*volume)
        })
    }

    /// The next visitor: silence, default volume.
    pub fn reset(&self) {
        if let Some(s) = self.lock().as_mut() {
            s.reset();
        }
        *locked(&self.visitor_volume) = DEFAULT_SPEECH_VOLUME;
    }

    /// The visitor's speech volume (of the staff's ceiling).
    pub fn visitor_volume(&self) -> f32 {
        *locked(&self.visitor_volume)
    }
}

#[cfg(test)]
mod tests {
    use kiosk_config::AccessibilityConfig;

    use super::{LARGE_CAP_MM, Speech, access_layout};
    use crate::music::Music;

    #[test]
    fn a_request_that_arrives_after_a_newer_one_is_dropped_even_across_the_wrap() {
        let speech = Speech::new(Music::new(0.8, false), false);
        assert!(speech.current(1_000));
        assert!(speech.current(1_005));
        assert!(!speech.current(1_002), "older than the newest");
        assert!(speech.current(1_005), "the same request again is not stale");
        // The first request is never stale, whatever the clock says (here: past half the range).
        let speech = Speech::new(Music::new(0.8, false), false);
        assert!(speech.current(u32::MAX - 10));
        assert!(speech.current(u32::MAX - 3));
        assert!(speech.current(2), "after the wrap the count goes on");
        assert!(!speech.current(u32::MAX - 1), "and one from before the wrap is stale");
    }

    #[test]
    fn large_text_is_sized_for_capitals_of_4_8_mm_on_the_configured_screen() {
        // A 32-inch 1080p screen: 2203 px over 812.8 mm, 2.71 px a mm; a capital
        // is 0.714 of the font; the smallest text is 0.95 of the root.
        let layout = access_layout(&AccessibilityConfig::default(), true, 1920, 1080);
        let cap_mm = layout.large_min_px * 0.95 * 0.714 / layout.px_per_mm;
        assert!((cap_mm - LARGE_CAP_MM).abs() < 0.01, "{cap_mm} mm");
        assert!((layout.px_per_mm - 2.71).abs() < 0.01, "{}", layout.px_per_mm);
        assert_eq!(
            (layout.band_top, layout.band_bottom),
            (0.0, 1.0),
            "a 32-inch landscape screen at 30 in is all within reach"
        );
    }
}
