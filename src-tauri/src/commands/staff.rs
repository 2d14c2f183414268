//! The staff panel's commands. Each checks the staff session first (in
//! `kiosk-app`): the web view alone cannot reach what they do.

use kiosk_app::staff::{ImportProgress, Overview, STAFF_EXIT_STATUS};
use kiosk_staff::settings::AudioSettings;
use kiosk_staff::usb::Found;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::error::{ErrorCode, UiError};
use crate::events::StaffImport;
use crate::state::Kiosk;

/// Opens the staff session with the PIN; returns after how many idle seconds the panel closes.
/// Async: the Argon2 check (tens of ms) runs off the window's thread.
#[tauri::command]
#[specta::specta]
pub async fn staff_unlock(k: State<'_, Kiosk>, pin: String) -> Result<u32, UiError> {
    Ok(k.staff.unlock(&pin)?)
}

/// Everything the staff panel shows; its periodic refresh does not keep the session open.
#[tauri::command]
#[specta::specta]
pub fn staff_overview(k: State<'_, Kiosk>) -> Result<Overview, UiError> {
    Ok(k.staff_overview()?)
}

/// "Sync now": a sync round at once, whatever the backoff.
#[tauri::command]
#[specta::specta]
pub fn staff_sync_now(k: State<'_, Kiosk>) -> Result<(), UiError> {
    Ok(k.staff_sync_now()?)
}

/// Bundles on inserted USB sticks.
#[tauri::command]
#[specta::specta]
pub fn staff_usb_scan(k: State<'_, Kiosk>) -> Result<Vec<Found>, UiError> {
    Ok(k.staff.usb_scan()?)
}

/// Imports a bundle found by [`staff_usb_scan`] through the same checks as
/// every update, its progress sent as `staff-import` events; the content
/// watcher then puts it on screen. Returns its version.
#[tauri::command]
#[specta::specta]
pub async fn staff_usb_import(app: AppHandle, k: State<'_, Kiosk>, path: String) -> Result<u64, UiError> {
    let import = k.staff.import(&path)?;
    let progress = move |p: ImportProgress| {
        let _ = StaffImport(p).emit(&app);
    };
    tauri::async_runtime::spawn_blocking(move || import.run(progress).map_err(UiError::from))
        .await
        .unwrap_or_else(|e| Err(UiError::task_failed(ErrorCode::ImportFailed, e)))
}

/// Goes back to the previous bundle; the content watcher shows it. Returns its version.
///
/// Async, and the store's work on a blocking thread: a rollback waits for the
/// install lock (another install's switch, a `kioskctl` run) and fsyncs, and a
/// plain command would wait on the main thread — the whole UI frozen meanwhile.
#[tauri::command]
#[specta::specta]
pub async fn staff_rollback(k: State<'_, Kiosk>) -> Result<u64, UiError> {
    let rollback = k.staff.rollback()?;
    tauri::async_runtime::spawn_blocking(move || rollback.run().map_err(UiError::from))
        .await
        .unwrap_or_else(|e| Err(UiError::task_failed(ErrorCode::RollbackFailed, e)))
}

/// Sets the music's ceiling and quiet mode, now and after restarts.
#[tauri::command]
#[specta::specta]
pub fn staff_set_audio(k: State<'_, Kiosk>, volume_ceiling: f32, quiet: bool) -> Result<AudioSettings, UiError> {
    Ok(k.staff_set_audio(volume_ceiling, quiet)?)
}

/// A one-second tone at the ceiling.
#[tauri::command]
#[specta::specta]
pub fn staff_test_sound(k: State<'_, Kiosk>) -> Result<(), UiError> {
    Ok(k.staff_test_sound()?)
}

/// Staff closed the panel.
#[tauri::command]
#[specta::specta]
pub fn staff_close(k: State<'_, Kiosk>) {
    k.staff.close();
}

/// "Exit kiosk": the app ends with [`STAFF_EXIT_STATUS`], which the service does not restart.
#[tauri::command]
#[specta::specta]
pub fn staff_exit(app: AppHandle, k: State<'_, Kiosk>) -> Result<(), UiError> {
    k.staff_exit()?;
    app.exit(STAFF_EXIT_STATUS);
    Ok(())
}
