//! Plays the kiosk's music samples in Rust with rodio, not in the web view,
//! so playback is controlled, volume-limited and keeps going whatever the UI does.
//!
//! [`MusicPlayer`] holds the logic (one track at a time, pause, seek, volume
//! under a ceiling, quiet mode); an [`AudioOutput`] gives it somewhere to play:
//! [`DeviceOutput`] a real sound device, kept open between tracks (HDMI sinks
//! drop the first second when reopened), [`QueueOutput`] a queue a test reads
//! samples from.
#![deny(missing_docs)]

mod output;
mod player;

pub use output::{AudioError, AudioOutput, DeviceOutput, QueueOutput};
pub use player::{DEFAULT_VOLUME, MusicPlayer, PlayState, PlayerError, Status, TEST_TONE_ID};
