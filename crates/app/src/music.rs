//! The music player's place in the kiosk: one player on the sound device,
//! reopened in the background when the device is missing, and its status
//! handed to the shell (which sends it to the UI) while it plays.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kiosk_player::{AudioOutput, DEVICE_PERIOD_FRAMES, DeviceOutput, MusicPlayer, PlayState, Status};

/// How often the status goes out while playing.
const TICK: Duration = Duration::from_millis(250);

/// A missing device is looked for again every this many ticks (5 s).
const REOPEN_EVERY_TICKS: u32 = 20;

/// A device that failed again after it was reopened is tried again after this many ticks (1 s).
const RETRY_AFTER_REOPEN_TICKS: u32 = 4;

/// The shared player.
#[derive(Clone)]
pub struct Music(Arc<Mutex<MusicPlayer<DeviceOutput>>>);

impl Music {
    /// The player, its device not opened yet: [`Music::watch`] opens it off
    /// the start-up path (and keeps trying while there is none). `ceiling`
    /// and `quiet` come from the config or staff's last choice.
    pub fn new(ceiling: f32, quiet: bool) -> Self {
        let output = DeviceOutput::new(DEVICE_PERIOD_FRAMES);
        let mut player = MusicPlayer::new(output, ceiling);
        player.set_quiet(quiet);
        Music(Arc::new(Mutex::new(player)))
    }

    /// The player, locked.
    pub fn lock(&self) -> MutexGuard<'_, MusicPlayer<DeviceOutput>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops the music and restores the visitor's default volume.
    pub fn reset(&self) {
        let mut player = self.lock();
        player.stop();
        player.set_volume(kiosk_player::DEFAULT_VOLUME);
    }

    /// On a thread of its own: opens the device, then every 250 ms hands
    /// `send` the status while playing (and once after any change), retries a
    /// missing device every few seconds, and calls `ended` with a track that
    /// played to its end (an explicit stop unloads the track instead).
    pub fn watch(
        &self,
        mut send: impl FnMut(&Status) + Send + 'static,
        ended: impl Fn(&str) + Send + 'static,
    ) -> std::io::Result<()> {
        let music = self.clone();
        std::thread::Builder::new().name("music-status".into()).spawn(move || {
            {
                let mut player = music.lock();
                // Opened, it says so in the log itself ("audio device: …").
                if let Err(e) = player.output_mut().open() {
                    tracing::warn!("{e}; music will play when a device appears");
                }
            }
            let mut last: Option<Status> = None;
            let mut ticks = 0u32;
            let mut underruns = 0u64;
            // When the device was last tried: long enough ago that a loss is tried at once.
            let mut last_try = 0u32.wrapping_sub(REOPEN_EVERY_TICKS);
            let mut last_try_opened = false;
            loop {
                std::thread::sleep(TICK);
                ticks = ticks.wrapping_add(1);
                let status = {
                    let mut player = music.lock();
                    // Lost: reopened at once (a moment's trouble costs the
                    // visitor a gap, not five seconds of "no sound", and the old
                    // stream, which reports its error over and over, is
                    // dropped), then every few seconds while still missing. A
                    // device that fails again right after it reopened is tried
                    // again a second later, not four times a second.
                    let wait = if last_try_opened { RETRY_AFTER_REOPEN_TICKS } else { REOPEN_EVERY_TICKS };
                    if !player.output().available() && ticks.wrapping_sub(last_try) >= wait {
                        last_try = ticks;
                        last_try_opened = player.reopen_output();
                        if last_try_opened {
                            tracing::info!("sound is back");
                        }
                    }
                    let now_underruns = player.output().underruns();
                    if now_underruns > underruns {
                        // A gap in the sound: the machine was too busy to feed the device in time.
                        tracing::warn!("audio underrun: {now_underruns} since start");
                        underruns = now_underruns;
                    }
                    if let Some(first) = player.take_first_sound_latency() {
                        // The app's share of tap → sound; the bench reads it from the log.
                        tracing::info!(
                            "music: {} first sound handed to the device {:.2} ms after the command (unix_us={})",
                            first.track,
                            first.latency.as_secs_f64() * 1000.0,
                            first.commanded_unix_us
                        );
                    }
                    player.status()
                };
                if let Some(track) = played_to_the_end(last.as_ref(), &status) {
                    ended(track);
                }
                if status.state == PlayState::Playing || last.as_ref() != Some(&status) {
                    send(&status);
                    last = Some(status);
                }
            }
        })?;
        Ok(())
    }
}

/// The track that has just played to its end: playing at the last look,
/// stopped now with the track still loaded.
fn played_to_the_end<'a>(last: Option<&Status>, now: &'a Status) -> Option<&'a str> {
    let was_playing = last.is_some_and(|l| l.state == PlayState::Playing);
    if was_playing && now.state == PlayState::Stopped { now.track.as_deref() } else { None }
}

#[cfg(test)]
mod tests {
    use kiosk_player::{PlayState, Status};

    use super::played_to_the_end;

    fn status(state: PlayState, track: Option<&str>) -> Status {
        Status {
            state,
            track: track.map(String::from),
            position_ms: 0,
            duration_ms: 30_000,
            volume: 0.5,
            quiet: false,
            audio_available: true,
        }
    }

    #[test]
    fn a_track_that_stops_by_itself_after_playing_has_ended() {
        let last = status(PlayState::Playing, Some("a"));
        assert_eq!(played_to_the_end(Some(&last), &status(PlayState::Stopped, Some("a"))), Some("a"));
    }

    #[test]
    fn a_stop_button_a_pause_or_a_quiet_start_is_no_end() {
        let playing = status(PlayState::Playing, Some("a"));
        assert_eq!(played_to_the_end(Some(&playing), &status(PlayState::Stopped, None)), None, "stop unloads");
        assert_eq!(played_to_the_end(Some(&playing), &status(PlayState::Paused, Some("a"))), None);
        assert_eq!(played_to_the_end(None, &status(PlayState::Stopped, Some("a"))), None);
        let paused = status(PlayState::Paused, Some("a"));
        assert_eq!(played_to_the_end(Some(&paused), &status(PlayState::Stopped, Some("a"))), None);
    }
}
