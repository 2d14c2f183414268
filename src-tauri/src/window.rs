//! The kiosk's one window, locked down: fullscreen without decorations in
//! the lobby, no navigation away from the app, no new windows, no zoom, and
//! a window manager's close refused (staff leave through "Exit kiosk").

use kiosk_config::{Config, WindowMode};
use tauri::webview::NewWindowResponse;
use tauri::{App, Url, WebviewUrl, WebviewWindowBuilder, WindowEvent};

/// Creates the window. WebKit starts its web and network processes, which
/// load the page in parallel with the rest of the set-up; `first_screen`
/// (JSON) is in the page before any of its scripts runs.
pub fn open(app: &App, config: &Config, first_screen: Option<String>) -> tauri::Result<()> {
    let (w, h) = config.window_size;
    let fullscreen = config.window == WindowMode::Fullscreen;
    let mut window = WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()));
    if let Some(json) = first_screen {
        window = window.initialization_script(format!("window.__KIOSK_FIRST__ = {json};"));
    }
    window
        .title("Embassy Kiosk")
        .inner_size(f64::from(w), f64::from(h))
        .fullscreen(fullscreen)
        .decorations(!fullscreen)
        .resizable(!fullscreen)
        .focused(true)
        // Nothing navigates away from the app, opens a window or zooms; the
        // UI blocks the rest (see ui/src/lib/lockdown.ts).
        .on_navigation(is_app_url)
        .on_new_window(|_, _| NewWindowResponse::Deny)
        .zoom_hotkeys_enabled(false)
        .build()?;
    Ok(())
}

/// In the lobby (`locked`), a window manager's close (Alt+F4, a close
/// button) does nothing.
pub fn refuse_close(event: &WindowEvent, locked: bool) {
    if let WindowEvent::CloseRequested { api, .. } = event
        && locked
    {
        api.prevent_close();
        tracing::info!("a request to close the kiosk window was refused (staff use \"Exit kiosk\")");
    }
}

/// The app's own pages: `tauri://localhost` on Linux (`http(s)://tauri.localhost` elsewhere).
fn is_app_url(url: &Url) -> bool {
    url.scheme() == "tauri" || url.host_str() == Some("tauri.localhost")
}
