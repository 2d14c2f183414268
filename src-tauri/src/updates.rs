//! Content updates in the running kiosk: the watcher (kiosk-app) installs
//! what is signed and newer; each bundle it makes current goes on screen
//! here — IPC reads it from now on, the attract loop gets its slides, and
//! the UI reloads in place on the `content` event.

use kiosk_app::watcher::Watcher;
use tauri_specta::Event;

use crate::events::Content;
use crate::managed::Managed;

pub fn spawn(watcher: Watcher, app: Managed) {
    watcher.spawn(move |bundle| {
        let version = app.kiosk().switch_to(bundle);
        let _ = Content(version).emit(app.app());
        tracing::info!("showing content version {version}");
    });
}
