//! Speech for kiosk visitors who cannot see the screen: what the screen
//! shows, said aloud in the language it is shown in, with no network.
//!
//! Why this shape:
//! - **espeak-ng, run as a program.** It is in Debian, speaks English,
//!   Kazakh, Russian, Arabic, Mandarin and a hundred more languages offline,
//!   and synthesises hundreds of times faster than real time (measured
//!   process start to WAV: a label in ~6 ms, a 680-character paragraph,
//!   38 s of speech, in ~43 ms). Running the
//!   `espeak-ng` binary rather than linking libespeak-ng keeps its global,
//!   non-reentrant state out of the kiosk process (a crash or hang in it
//!   costs one utterance, not the kiosk) and needs no C build. Text goes in
//!   on stdin, never as an argument, so text such as `-v xx` is words, not
//!   options; see [`espeak`] for the rest of what is done to keep text literal.
//! - **Played through the kiosk's own rodio path** ([`kiosk_player::AudioOutput`]),
//!   so speech and music share one device, the same click-free
//!   [`kiosk_player::envelope`], and tests read the samples from a
//!   [`kiosk_player::QueueOutput`] with no sound card.
//! - **First sound fast, whatever the length.** [`Speaker::say`] synthesises
//!   the first sentence alone and starts it, then synthesises the rest on a
//!   background thread while it plays. A newer command cancels the older
//!   utterance's pending synthesis (a generation counter), so a visitor
//!   moving quickly through items hears only the item they are on.
//! - **Voices discovered, not listed here** ([`Voices`]): whatever espeak-ng
//!   has installed can be used, by BCP 47-style language tags.
//! - **No speech is not an outage.** Without espeak-ng, [`Voices::detect`]
//!   fails with [`SpeechError::Unavailable`]; the kiosk runs on without speech.
//!
//! To change how text is cut into chunks see `chunks.rs`; how espeak-ng is
//! run, `espeak.rs`; what is played and how it is stopped, `speaker.rs`.
#![deny(missing_docs)]

mod chunks;
pub mod espeak;
mod speaker;
mod voices;
pub mod wav;

pub use speaker::{DEFAULT_RATE, DEFAULT_VOLUME, MAX_RATE, MIN_RATE, Speaker, TONE, Utterance};
pub use voices::{FALLBACK_LANG, Voices};
pub use wav::Pcm;

use kiosk_player::AudioError;

/// Why something could not be said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeechError {
    /// espeak-ng is missing, or has no voice at all: speech is off, the kiosk runs on.
    #[error("speech unavailable: {0}")]
    Unavailable(String),
    /// No sound device to speak through.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// espeak-ng ran but gave no usable audio for this text.
    #[error("speech synthesis failed: {0}")]
    Synthesis(String),
}

impl SpeechError {
    /// A stable code for the UI (which never matches on message text).
    pub fn code(&self) -> &'static str {
        match self {
            SpeechError::Unavailable(_) => "speech_unavailable",
            SpeechError::Audio(_) => "audio_unavailable",
            SpeechError::Synthesis(_) => "speech_failed",
        }
    }
}
