//! Plays the kiosk's music samples in Rust with rodio, not in the web view,
//! so playback is controlled, volume-limited and keeps going whatever the UI does.
//!
//! [`MusicPlayer`] holds the logic (one track at a time, pause, seek, volume
//! under a ceiling, quiet mode); an [`AudioOutput`] gives it somewhere to play:
//! [`DeviceOutput`] a real sound device, kept open between tracks (HDMI sinks
//! drop the first second when reopened), [`QueueOutput`] a queue a test reads
//! samples from. Every sound passes through an [`envelope`]: faded in and
//! out, never cut (a cut is a click), and marked when it is first heard.
#![deny(missing_docs)]

pub mod envelope;
mod output;
mod player;

pub use output::{AudioError, AudioOutput, DEVICE_PERIOD_FRAMES, DeviceOutput, QueueOutput};
pub use player::{DEFAULT_VOLUME, FirstSound, MusicPlayer, PlayState, PlayerError, Status, TEST_TONE_ID};
