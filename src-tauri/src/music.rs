//! The music player's place in the app: one player on the sound device,
//! reopened in the background when the device is missing, and its status
//! pushed to the UI as `music` events while it plays.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kiosk_player::{AudioOutput, DeviceOutput, MusicPlayer, PlayState, Status};
use tauri::Emitter;

use crate::commands::Kiosk;
use crate::managed::Managed;

/// Frames per device buffer: small, so a tap is heard at once.
const DEVICE_BUFFER_FRAMES: u32 = 1024;

/// The shared player.
#[derive(Clone)]
pub struct Music(Arc<Mutex<MusicPlayer<DeviceOutput>>>);

impl Music {
    /// The player, its device not opened yet: [`Music::watch`] opens it off
    /// the start-up path (and keeps trying while there is none). `ceiling`
    /// and `quiet` come from the config.
    pub fn new(ceiling: f32, quiet: bool) -> Self {
        let output = DeviceOutput::new(DEVICE_BUFFER_FRAMES);
        let mut player = MusicPlayer::new(output, ceiling);
        player.set_quiet(quiet);
        Music(Arc::new(Mutex::new(player)))
    }

    /// The player, locked.
    pub fn lock(&self) -> MutexGuard<'_, MusicPlayer<DeviceOutput>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Plays track `id` from the bundle (for the app's own use: attract mode,
    /// continuous play); failures are logged, not shown.
    pub fn play_from_bundle(&self, kiosk: &Kiosk, id: &str) {
        match kiosk.track(id) {
            Ok((audio, duration_ms)) => {
                if let Err(e) = self.lock().play(id, audio, duration_ms) {
                    tracing::warn!("cannot play {id}: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot load {id}: {e}"),
        }
    }

    /// Sends the status to the UI four times a second while playing (and once
    /// after any change), retries a missing device every few seconds, and with
    /// `continuous` moves on to the next track when one ends.
    pub fn watch(&self, app: Managed, continuous: bool) {
        let music = self.clone();
        std::thread::Builder::new()
            .name("music-status".into())
            .spawn(move || {
                {
                    let mut player = music.lock();
                    match player.output_mut().open() {
                        Ok(()) => tracing::info!("audio device: {}", player.output().describe().unwrap_or_default()),
                        Err(e) => tracing::warn!("{e}; music will play when a device appears"),
                    }
                }
                let mut last: Option<Status> = None;
                let mut ticks = 0u32;
                loop {
                    std::thread::sleep(Duration::from_millis(250));
                    ticks = ticks.wrapping_add(1);
                    let status = {
                        let mut player = music.lock();
                        if !player.output().available() && ticks.is_multiple_of(20) {
                            player.reopen_output();
                        }
                        player.status()
                    };
                    // Played to its end (an explicit stop unloads the track instead).
                    let ended = status.state == PlayState::Stopped && status.track.is_some();
                    if continuous && ended && last.as_ref().is_some_and(|l| l.state == PlayState::Playing) {
                        let kiosk = app.kiosk();
                        if let Some(next) = kiosk.track_after(status.track.as_deref()) {
                            music.play_from_bundle(&kiosk, &next);
                        }
                    }
                    if status.state == PlayState::Playing || last.as_ref() != Some(&status) {
                        let _ = app.app().emit("music", &status);
                        last = Some(status);
                    }
                }
            })
            .expect("spawn the music status thread");
    }
}
