//! The kiosk's one window, locked down: fullscreen without decorations in
//! the lobby, no navigation away from the app, no new windows, no zoom, and
//! a window manager's close refused (staff leave through "Exit kiosk").
//! The page outlives its WebKit web process: when that process ends (a
//! crash, the kernel's OOM killer, or [`recycle`]), the page is loaded again
//! in a new one.

use kiosk_config::{Config, WindowMode};
use tauri::webview::NewWindowResponse;
use tauri::{App, Manager, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder, WindowEvent};

/// The query a page loaded again after its web process ended carries: the
/// launch-time first screen is left out then (the content may have changed
/// since), and the page asks for what is installed now.
const RELAUNCH_QUERY: &str = "relaunch";

/// Creates the window. WebKit starts its web and network processes, which
/// load the page in parallel with the rest of the set-up; `first_screen`
/// (JSON) is in the page before any of its scripts runs.
pub fn open(app: &App, config: &Config, first_screen: Option<String>) -> tauri::Result<()> {
    let (w, h) = config.window_size;
    let fullscreen = config.window == WindowMode::Fullscreen;
    let mut window = WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()));
    if let Some(json) = first_screen {
        window = window.initialization_script(format!(
            "if (location.search !== \"?{RELAUNCH_QUERY}\") window.__KIOSK_FIRST__ = {json};"
        ));
    }
    let window = window
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
    reload_when_its_process_ends(&window, app.handle().clone());
    Ok(())
}

/// Ends the page's web process, for a new one to load the page afresh (the
/// handler [`open`] set does): what the old process had grown goes with it.
/// `still` is asked on the window's thread just before, and can call it off.
pub fn recycle(app: &tauri::AppHandle, still: impl FnOnce() -> bool + Send + 'static) {
    let Some(window) = app.get_webview_window("main") else { return };
    #[cfg(target_os = "linux")]
    let _ = window.with_webview(move |webview| {
        use webkit2gtk::WebViewExt;
        if still() {
            webview.inner().terminate_web_process();
        }
    });
    #[cfg(not(target_os = "linux"))]
    let _ = (window, still);
}

#[cfg(target_os = "linux")]
fn reload_when_its_process_ends(window: &WebviewWindow, app: tauri::AppHandle) {
    let result = window.with_webview(move |webview| {
        use webkit2gtk::{WebProcessTerminationReason, WebViewExt};
        let reloads = std::cell::RefCell::new(kiosk_health::recycle::Reloads::default());
        webview.inner().connect_web_process_terminated(move |view, reason| {
            let renewed = reason == WebProcessTerminationReason::TerminatedByApi;
            if let Some(kiosk) = app.try_state::<crate::state::Kiosk>() {
                kiosk.web_process_ended(renewed);
            }
            if !renewed && !reloads.borrow_mut().allow(std::time::Instant::now()) {
                tracing::error!(
                    "the page's web process ended ({reason:?}), the {}th time within {} s: not loaded again; \
                     systemd's watchdog restarts the kiosk",
                    kiosk_health::recycle::Reloads::MAX + 1,
                    kiosk_health::recycle::Reloads::WINDOW.as_secs()
                );
                return;
            }
            let url = relaunch_url(view.uri().as_deref());
            tracing::warn!("the page's web process ended ({reason:?}): loading the page again in a new one");
            view.load_uri(&url);
        });
    });
    if let Err(e) = result {
        tracing::warn!("the page will not be reloaded if its web process ends: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn reload_when_its_process_ends(_window: &WebviewWindow, _app: tauri::AppHandle) {}

/// The page's address with [`RELAUNCH_QUERY`] (the app's start page if the
/// address is unknown or not the app's).
fn relaunch_url(current: Option<&str>) -> String {
    let mut url = current
        .and_then(|u| Url::parse(u).ok())
        .filter(is_app_url)
        .unwrap_or_else(|| Url::parse("tauri://localhost/index.html").expect("a valid URL"));
    url.set_query(Some(RELAUNCH_QUERY));
    url.set_fragment(None);
    url.to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_loaded_again_is_the_apps_own_and_says_so() {
        assert_eq!(relaunch_url(Some("tauri://localhost/index.html")), "tauri://localhost/index.html?relaunch");
        assert_eq!(relaunch_url(Some("tauri://localhost/")), "tauri://localhost/?relaunch");
        assert_eq!(
            relaunch_url(Some("tauri://localhost/index.html?relaunch#x")),
            "tauri://localhost/index.html?relaunch"
        );
        for other in [None, Some("about:blank"), Some("https://example.org/"), Some("not a url")] {
            assert_eq!(relaunch_url(other), "tauri://localhost/index.html?relaunch", "{other:?}");
        }
    }
}
