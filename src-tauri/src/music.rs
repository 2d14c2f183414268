//! The music player's place in the app: one player on the sound device,
//! reopened in the background when the device is missing, and its status
//! pushed to the UI as `music` events while it plays.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kiosk_player::{AudioOutput, DeviceOutput, MusicPlayer, PlayState, Status};
use tauri::{AppHandle, Emitter};

/// Frames per device buffer: small, so a tap is heard at once.
const DEVICE_BUFFER_FRAMES: u32 = 1024;
/// The loudest a visitor can make the music (of full scale), until the staff panel sets it.
pub const DEFAULT_VOLUME_CEILING: f32 = 0.8;

/// The shared player.
#[derive(Clone)]
pub struct Music(Arc<Mutex<MusicPlayer<DeviceOutput>>>);

impl Music {
    /// Opens the default device if there is one; without one the kiosk runs on
    /// and [`Music::watch`] keeps trying.
    pub fn new() -> Self {
        let mut output = DeviceOutput::new(DEVICE_BUFFER_FRAMES);
        if let Err(e) = output.open() {
            eprintln!("embassy-kiosk: {e}; music will play when a device appears");
        }
        Music(Arc::new(Mutex::new(MusicPlayer::new(output, DEFAULT_VOLUME_CEILING))))
    }

    /// The player, locked.
    pub fn lock(&self) -> MutexGuard<'_, MusicPlayer<DeviceOutput>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends the status to the UI four times a second while playing (and once
    /// after any change), and retries a missing device every few seconds.
    pub fn watch(&self, app: AppHandle) {
        let music = self.clone();
        std::thread::Builder::new()
            .name("music-status".into())
            .spawn(move || {
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
                    if status.state == PlayState::Playing || last.as_ref() != Some(&status) {
                        let _ = app.emit("music", &status);
                        last = Some(status);
                    }
                }
            })
            .expect("spawn the music status thread");
    }
}
