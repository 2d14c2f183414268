//! `embassy-kiosk`: the lobby kiosk's desktop shell.
//!
//! It reads the config, opens the content bundle, creates the locked-down
//! window, runs the attract schedule and routes IPC to the core crates. Logic
//! lives in `crates/`; the commands here only translate between IPC and core calls.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod engine;
mod health;
mod logging;
mod managed;
mod music;
mod problems;
mod signup;
mod staff;
mod startup;
mod systemd;
mod updates;

use std::sync::Mutex;

use kiosk_attract::{Action, Slide, driver::driver};
use tauri::webview::NewWindowResponse;
use tauri::{Emitter, Manager, Url, WebviewUrl, WebviewWindowBuilder};

fn main() {
    let started_ms = jiff::Timestamp::now().as_millisecond();
    // SAFETY: no other thread exists yet (logging, Tokio and GTK start later).
    #[allow(unsafe_code)]
    let engine = unsafe { engine::apply() };
    // systemd's socket and watchdog, read and then removed: no child (the web
    // process first) inherits them. SAFETY: as above, still a single thread.
    #[allow(unsafe_code)]
    unsafe {
        systemd::take();
    }
    let kiosk = match startup::prepare(std::env::args().skip(1)) {
        Ok(k) => k,
        Err(message) => {
            eprintln!("embassy-kiosk: {message}");
            std::process::exit(2);
        }
    };
    for (key, value) in &engine {
        tracing::info!("WebKit setting: {key}={}", value.to_string_lossy());
    }
    let (idle_secs, slide_secs) = startup::attract_timings(&kiosk);
    let locked = kiosk.config.window == kiosk_config::WindowMode::Fullscreen;
    tauri::Builder::default()
        // Lockdown: in the lobby, a window manager's close (Alt+F4, a close
        // button) does nothing; staff leave through the staff panel's "Exit kiosk".
        .on_window_event(move |_, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event
                && locked
            {
                api.prevent_close();
                tracing::info!("a request to close the kiosk window was refused (staff use \"Exit kiosk\")");
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::home,
            commands::section,
            commands::upcoming_events,
            commands::content_painted,
            commands::touch,
            commands::music_tracks,
            commands::music_toggle,
            commands::music_status,
            commands::music_stop,
            commands::music_volume,
            commands::music_skip,
            commands::signup_consent,
            commands::signup_submit,
            commands::ui_rendered,
            staff::staff_unlock,
            staff::staff_overview,
            staff::staff_sync_now,
            staff::staff_usb_scan,
            staff::staff_usb_import,
            staff::staff_rollback,
            staff::staff_set_audio,
            staff::staff_test_sound,
            staff::staff_close,
            staff::staff_exit,
            staff::section_viewed,
        ])
        .setup(move |app| {
            // The window first: WebKit starts its web and network processes,
            // which load the page in parallel with the rest of the set-up
            // below. Nothing reaches a command before this closure returns
            // (the page's requests are served by this thread's main loop).
            let (mode, (w, h)) = (kiosk.config.window, kiosk.config.window_size);
            let fullscreen = mode == kiosk_config::WindowMode::Fullscreen;
            let mut window = WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()));
            if let Some(script) =
                commands::first_screen_script(&kiosk.bundle, kiosk.clock.now(), kiosk.config.idle_timeout_secs)
            {
                window = window.initialization_script(script);
            }
            window
                .title("Embassy Kiosk")
                .inner_size(f64::from(w), f64::from(h))
                .fullscreen(fullscreen)
                .decorations(!fullscreen)
                .resizable(!fullscreen)
                .focused(true)
                // Lockdown: nothing navigates away from the app, opens a
                // window or zooms; the UI blocks the rest (see ui/src/lib/lockdown.ts).
                .on_navigation(is_app_url)
                .on_new_window(|_, _| NewWindowResponse::Deny)
                .zoom_hotkeys_enabled(false)
                .build()?;
            let window_ms = jiff::Timestamp::now().as_millisecond();
            let music_settings = kiosk.bundle.settings().music.clone();
            // Staff's last choice at the panel, else the config's.
            let audio = staff::Staff::audio_settings(
                &kiosk.config.data_dir,
                kiosk_staff::settings::AudioSettings {
                    volume_ceiling: kiosk.config.volume_ceiling,
                    quiet: kiosk.config.quiet,
                },
                &kiosk.problems,
            );
            let music = music::Music::new(audio.volume_ceiling, audio.quiet);
            let (watched, continuous) = (music.clone(), music_settings.continuous);
            let emitter = app.handle().clone();
            let player = music.clone();
            let mut attract_music = false;
            let slides = attract_slides(&kiosk.bundle, kiosk.clock.now());
            let (attract, task) = driver(slides, idle_secs * 1000, slide_secs * 1000, move |action| {
                match &action {
                    Action::ResetVisitor => {
                        // The screen is reset: a staff panel left open closes too.
                        if let Some(kiosk) = emitter.try_state::<commands::Kiosk>() {
                            kiosk.staff.close();
                        }
                        // No trace of the last visitor: their music and volume go too.
                        let mut p = player.lock();
                        p.stop();
                        p.set_volume(kiosk_player::DEFAULT_VOLUME);
                    }
                    Action::ShowSlide { .. } if music_settings.attract && !attract_music => {
                        attract_music = true;
                        player.lock().set_volume(music_settings.attract_volume);
                        // The state is managed before set-up ends, long before a
                        // slide is due; but a panic here would be an abort.
                        if let Some(kiosk) = emitter.try_state::<commands::Kiosk>()
                            && let Some(first) = kiosk.track_after(None)
                        {
                            player.play_from_bundle(&kiosk, &first);
                        }
                    }
                    Action::ShowHome if attract_music => {
                        // The visitor's touch hands the player back to them.
                        attract_music = false;
                        let mut p = player.lock();
                        p.stop();
                        p.set_volume(kiosk_player::DEFAULT_VOLUME);
                    }
                    _ => {}
                }
                let _ = emitter.emit("attract", action);
            });
            tauri::async_runtime::spawn(task);

            let signups = startup::open_signups(
                &kiosk.config.data_dir,
                kiosk.config.sync.as_ref(),
                &kiosk.config.signups,
                &kiosk.problems,
                &kiosk.http,
            )?;
            let staff = staff::Staff::new(
                &kiosk.config,
                kiosk.updates.as_ref().map(|w| (w.policy.clone(), w.floor)),
                kiosk.problems.clone(),
            );
            let state = commands::Kiosk {
                bundle: Mutex::new(kiosk.bundle),
                clock: kiosk.clock,
                idle_timeout_override: kiosk.config.idle_timeout_secs,
                painted: std::sync::Once::new(),
                started_ms,
                window_ms: window_ms.into(),
                setup_ms: 0.into(),
                attract,
                music,
                signups,
                kiosk_id: kiosk.config.kiosk_id.clone(),
                ui_report: Mutex::new(None),
                staff,
            };
            let managed = managed::Managed::manage(app.handle(), state);
            // Threads that read the state start only now, with the proof that it is there.
            watched.watch(managed.clone(), continuous);
            health::spawn(managed.clone(), &kiosk.config, kiosk.http.clone());
            if let Some(watcher) = kiosk.updates {
                watcher.spawn(managed.clone());
            }
            let setup_ms = jiff::Timestamp::now().as_millisecond();
            managed.kiosk().setup_ms.store(setup_ms, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!("the window system failed: {e}");
            std::process::exit(1);
        });
}

/// Attract mode shows every section, then every upcoming event, in order.
pub(crate) fn attract_slides(bundle: &kiosk_content::Bundle, now: jiff::Timestamp) -> Vec<Slide> {
    let sections = bundle.home(None).map(|h| h.sections).unwrap_or_default();
    let events = bundle.upcoming_events(now, None).unwrap_or_default();
    sections.iter().map(|s| Slide::section(&s.id)).chain(events.iter().map(|e| Slide::event(&e.id))).collect()
}

/// The app's own pages: `tauri://localhost` on Linux (`http(s)://tauri.localhost` elsewhere).
fn is_app_url(url: &Url) -> bool {
    url.scheme() == "tauri" || url.host_str() == Some("tauri.localhost")
}
