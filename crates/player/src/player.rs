//! The player's logic: one track at a time, with state the UI can show.

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rodio::source::SineWave;
use rodio::{Decoder, Player, Source};
use serde::Serialize;

use crate::envelope::{Control, Envelope};
use crate::output::{AudioError, AudioOutput};

/// What the player is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum PlayState {
    /// Sound is coming out.
    Playing,
    /// A track is loaded but held.
    Paused,
    /// Nothing is loaded (or the track ended).
    Stopped,
}

/// The player's state, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Status {
    /// Playing, paused or stopped.
    pub state: PlayState,
    /// The loaded track's id.
    pub track: Option<String>,
    /// Position in the track, ms.
    pub position_ms: u64,
    /// The track's length, ms.
    pub duration_ms: u64,
    /// The visitor's volume, 0–1 (of the ceiling).
    pub volume: f32,
    /// Quiet mode: all music muted.
    pub quiet: bool,
    /// Whether a sound device is usable.
    pub audio_available: bool,
}

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlayerError {
    /// No device; the rest of the kiosk works on.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// This track cannot be decoded; other tracks still play.
    #[error("track `{track}` cannot be decoded: {reason}")]
    Undecodable {
        /// The track's id.
        track: String,
        /// The decoder's reason.
        reason: String,
    },
    /// Quiet mode is on: music is muted everywhere.
    #[error("quiet mode is on")]
    Quiet,
}

impl PlayerError {
    /// A stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            PlayerError::Audio(_) => "audio_unavailable",
            PlayerError::Undecodable { .. } => "track_undecodable",
            PlayerError::Quiet => "quiet_mode",
        }
    }
}

/// A sound's first audible sample reached the device: when, after its command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstSound {
    /// The track (or [`TEST_TONE_ID`]).
    pub track: String,
    /// Command → first audible sample handed to the device.
    pub latency: Duration,
    /// When the command arrived, µs since 1970 (to line up with a recording made elsewhere).
    pub commanded_unix_us: u64,
}

/// The track id the test tone plays under.
pub const TEST_TONE_ID: &str = "test-tone";
const TEST_TONE_MS: u64 = 1000;

/// The visitor's volume until they change it (and again after every idle reset).
pub const DEFAULT_VOLUME: f32 = 0.7;

struct Loaded {
    id: String,
    /// The encoded track, kept to pick it up again on a reopened device
    /// (`None`: the test tone, which is not picked up).
    audio: Option<Arc<[u8]>>,
    duration_ms: u64,
    player: Player,
    /// Its envelope: fades it out on stop, holds it on pause, counts its
    /// position, marks its first sound.
    envelope: Arc<Control>,
    /// When the command to play it arrived.
    commanded: Instant,
    /// The same, by the wall clock (µs since 1970), which other processes share.
    commanded_unix_us: u64,
    /// Whether its command → first sound time was taken already.
    measured: bool,
}

/// Where and how a sound starts.
struct Begin {
    /// Its position (the source is already there).
    at: Duration,
    /// Paused.
    held: bool,
    volume: f32,
    /// When the command to play it arrived.
    commanded: Instant,
}

/// Plays one track at a time through an [`AudioOutput`].
pub struct MusicPlayer<O: AudioOutput> {
    output: O,
    loaded: Option<Loaded>,
    volume: f32,
    ceiling: f32,
    quiet: bool,
}

impl<O: AudioOutput> MusicPlayer<O> {
    /// A stopped player; `ceiling` (0–1) caps every volume, as staff set it.
    pub fn new(output: O, ceiling: f32) -> Self {
        MusicPlayer { output, loaded: None, volume: DEFAULT_VOLUME, ceiling: ceiling.clamp(0.0, 1.0), quiet: false }
    }

    /// The output (tests read its samples).
    pub fn output(&self) -> &O {
        &self.output
    }

    /// The output, to open it (the app does so off its start-up path).
    pub fn output_mut(&mut self) -> &mut O {
        &mut self.output
    }

    /// Tries to open the output again (after the device vanished or was never
    /// there). If it opens at once, the track goes on from where it was,
    /// playing or paused as it was: a stream the system failed for a moment
    /// (a busy machine) costs the visitor a gap, not their music. If not,
    /// the track is let go: its device is gone.
    pub fn reopen_output(&mut self) -> bool {
        if self.output.available() {
            return true;
        }
        let was = self.loaded.take();
        if self.output.connect().is_err() {
            return false;
        }
        if let Some(l) = was
            && let Some(audio) = l.audio
            && !l.player.empty()
        {
            let at = l.envelope.position();
            let held = l.envelope.is_held();
            drop(l.player);
            // Decoded before, it decodes again; should it not, the track just ends here.
            if let Ok(mut decoder) = Decoder::new(Cursor::new(audio.clone()))
                && decoder.try_seek(at).is_ok()
            {
                let begin = Begin { at, held, volume: self.effective_volume(), commanded: l.commanded };
                let _ = self.start(&l.id, Some(audio), decoder, begin, l.duration_ms);
                if let Some(now) = &mut self.loaded {
                    // Its first sound was measured when it first played.
                    now.measured = true;
                    now.commanded_unix_us = l.commanded_unix_us;
                }
            }
        }
        true
    }

    /// Decodes `audio` in memory and plays it from the start, replacing any track.
    pub fn play(&mut self, id: &str, audio: Vec<u8>, duration_ms: u64) -> Result<(), PlayerError> {
        if self.quiet {
            return Err(PlayerError::Quiet);
        }
        let commanded = Instant::now();
        let audio: Arc<[u8]> = audio.into();
        let decoder = Decoder::new(Cursor::new(audio.clone()))
            .map_err(|e| PlayerError::Undecodable { track: id.to_string(), reason: e.to_string() })?;
        let begin = Begin { at: Duration::ZERO, held: false, volume: self.effective_volume(), commanded };
        self.start(id, Some(audio), decoder, begin, duration_ms)
    }

    /// Stops what plays (fading it out) and starts `source` in its place,
    /// `source` being `audio` (if given) decoded and already at `begin.at`.
    fn start(
        &mut self,
        id: &str,
        audio: Option<Arc<[u8]>>,
        source: impl Source + Send + 'static,
        begin: Begin,
        duration_ms: u64,
    ) -> Result<(), PlayerError> {
        let Begin { at, held, volume, commanded } = begin;
        self.stop();
        let player = self.output.connect()?;
        let envelope = Arc::new(Control::default());
        envelope.set_position(at, source.sample_rate().get());
        if held {
            // Silent from its first sample, waiting for the visitor's resume.
            envelope.hold();
        }
        player.set_volume(volume);
        player.append(Envelope::new(source, envelope.clone()));
        player.play();
        let commanded_unix_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64)
            .saturating_sub(commanded.elapsed().as_micros() as u64);
        self.loaded = Some(Loaded {
            id: id.to_string(),
            audio,
            duration_ms,
            player,
            envelope,
            commanded,
            commanded_unix_us,
            measured: false,
        });
        Ok(())
    }

    /// How long after its command the current sound's first audible sample
    /// was handed to the device: the app's share of tap → sound (the
    /// device's buffer comes after it). `None` until it was, and after it
    /// was taken once.
    pub fn take_first_sound_latency(&mut self) -> Option<FirstSound> {
        let l = self.loaded.as_mut().filter(|l| !l.measured)?;
        let at = l.envelope.first_sound()?;
        l.measured = true;
        Some(FirstSound {
            track: l.id.clone(),
            latency: at.saturating_duration_since(l.commanded),
            commanded_unix_us: l.commanded_unix_us,
        })
    }

    /// Plays a one-second 440 Hz tone at the staff's ceiling (whatever the
    /// visitor's volume), so staff can hear how loud the music may get.
    /// Quiet mode silences it too: on a day of mourning nothing sounds.
    pub fn play_test_tone(&mut self) -> Result<(), PlayerError> {
        if self.quiet {
            return Err(PlayerError::Quiet);
        }
        let tone = SineWave::new(440.0)
            .take_duration(Duration::from_millis(TEST_TONE_MS))
            .amplify(0.5)
            .fade_in(Duration::from_millis(20));
        let begin = Begin { at: Duration::ZERO, held: false, volume: self.ceiling, commanded: Instant::now() };
        self.start(TEST_TONE_ID, None, tone, begin, TEST_TONE_MS)
    }

    /// Play/pause for one track's button: pauses `id` if it is playing,
    /// resumes it if paused, and returns `false` when `id` is not loaded (or
    /// has ended) so the caller loads and [`play`](Self::play)s it.
    pub fn toggle_if_loaded(&mut self, id: &str) -> Result<bool, PlayerError> {
        let status = self.status();
        if status.track.as_deref() != Some(id) {
            return Ok(false);
        }
        match status.state {
            PlayState::Playing => self.pause(),
            PlayState::Paused => self.resume()?,
            PlayState::Stopped => return Ok(false),
        }
        Ok(true)
    }

    /// Holds the current track: it falls silent over a few milliseconds
    /// and waits where it was (see [`crate::envelope`]).
    pub fn pause(&mut self) {
        if let Some(l) = &self.loaded {
            l.envelope.hold();
        }
    }

    /// Continues the current track.
    pub fn resume(&mut self) -> Result<(), PlayerError> {
        if self.quiet {
            return Err(PlayerError::Quiet);
        }
        if let Some(l) = &self.loaded {
            l.envelope.release();
        }
        Ok(())
    }

    /// Stops and unloads the current track. A playing track fades out over
    /// a few milliseconds (see [`crate::envelope`]) rather than being cut.
    pub fn stop(&mut self) {
        if let Some(l) = self.loaded.take() {
            if l.player.empty() || !self.output.available() {
                // Nothing left to hear, or no device to pull the fade.
                l.player.stop();
            } else {
                l.envelope.fade_out();
                // The mixer keeps it until the fade ends it.
                l.player.detach();
            }
        }
    }

    /// Jumps to `position_ms` in the current track. Waits (a few ms) for the
    /// audio thread to apply it, so it does nothing while no device is usable.
    pub fn seek(&mut self, position_ms: u64) {
        if !self.output.available() {
            return;
        }
        if let Some(l) = &self.loaded {
            let _ = l.player.try_seek(Duration::from_millis(position_ms.min(l.duration_ms)));
        }
    }

    /// Sets the visitor's volume (0–1, of the staff's ceiling).
    pub fn set_volume(&mut self, volume: f32) {
        self.volume = volume.clamp(0.0, 1.0);
        self.apply_volume();
    }

    /// Sets the staff's ceiling (0–1).
    pub fn set_ceiling(&mut self, ceiling: f32) {
        self.ceiling = ceiling.clamp(0.0, 1.0);
        self.apply_volume();
    }

    /// The staff's ceiling.
    pub fn ceiling(&self) -> f32 {
        self.ceiling
    }

    /// Quiet mode mutes all music, now and until it is turned off.
    pub fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
        if quiet {
            self.stop();
        }
    }

    /// The volume actually applied: the visitor's share of the ceiling, zero when quiet.
    pub fn effective_volume(&self) -> f32 {
        if self.quiet { 0.0 } else { self.volume * self.ceiling }
    }

    fn apply_volume(&self) {
        if let Some(l) = &self.loaded {
            l.player.set_volume(self.effective_volume());
        }
    }

    /// What the player is doing now. A track that played to its end reads as stopped.
    pub fn status(&self) -> Status {
        let (state, track, position_ms, duration_ms) = match &self.loaded {
            // Paused in the last milliseconds, the fall can reach the track's
            // end: it still reads as paused (not as played to the end, which
            // would start the next track in continuous play).
            Some(l) if l.player.empty() && l.envelope.is_held() => {
                (PlayState::Paused, Some(l.id.clone()), l.duration_ms, l.duration_ms)
            }
            Some(l) if l.player.empty() => (PlayState::Stopped, Some(l.id.clone()), l.duration_ms, l.duration_ms),
            Some(l) => (
                if l.envelope.is_held() { PlayState::Paused } else { PlayState::Playing },
                Some(l.id.clone()),
                (l.envelope.position().as_millis() as u64).min(l.duration_ms),
                l.duration_ms,
            ),
            None => (PlayState::Stopped, None, 0, 0),
        };
        Status {
            state,
            track,
            position_ms,
            duration_ms,
            volume: self.volume,
            quiet: self.quiet,
            audio_available: self.output.available(),
        }
    }
}
