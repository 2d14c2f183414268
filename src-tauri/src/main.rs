//! `embassy-kiosk`: the lobby kiosk's desktop shell.
//!
//! It reads the config, opens the content bundle, creates the locked-down
//! window and routes IPC to the core crates. Logic lives in `crates/`; the
//! commands here only translate between IPC and core calls.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod startup;

use std::sync::Mutex;

use tauri::{WebviewUrl, WebviewWindowBuilder};

fn main() {
    let kiosk = match startup::prepare(std::env::args().skip(1)) {
        Ok(k) => k,
        Err(message) => {
            eprintln!("embassy-kiosk: {message}");
            std::process::exit(2);
        }
    };
    let window = (kiosk.config.window, kiosk.config.window_size);
    tauri::Builder::default()
        .manage(commands::Kiosk {
            bundle: Mutex::new(kiosk.bundle),
            clock: kiosk.clock,
            idle_timeout_override: kiosk.config.idle_timeout_secs,
            painted: std::sync::Once::new(),
        })
        .invoke_handler(tauri::generate_handler![
            commands::home,
            commands::section,
            commands::upcoming_events,
            commands::content_painted,
        ])
        .setup(move |app| {
            let (mode, (w, h)) = window;
            let fullscreen = mode == kiosk_config::WindowMode::Fullscreen;
            WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
                .title("Embassy Kiosk")
                .inner_size(f64::from(w), f64::from(h))
                .fullscreen(fullscreen)
                .decorations(!fullscreen)
                .resizable(!fullscreen)
                .focused(true)
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("embassy-kiosk: the window system failed: {e}");
            std::process::exit(1);
        });
}
