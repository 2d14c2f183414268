//! The player's status to the UI: `music` events from the player's watch
//! thread (kiosk-app), and with the bundle's `continuous` the next track when
//! one ends.

use tauri_specta::Event;

use crate::events::Music;
use crate::managed::Managed;

/// Starts watching the player of the managed kiosk.
pub fn watch(app: Managed, continuous: bool) {
    let (sender, player) = (app.clone(), app.kiosk().music.clone());
    let watched = player.watch(
        move |status| {
            let _ = Music(status.clone()).emit(sender.app());
        },
        move |ended| {
            if continuous {
                app.kiosk().play_after(ended);
            }
        },
    );
    if let Err(e) = watched {
        tracing::warn!("the music's status is not watched: {e}");
    }
}
