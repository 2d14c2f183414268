//! `embassy-kiosk`: the lobby kiosk's desktop shell.
//!
//! It reads the config, opens the content bundle, creates the locked-down
//! window and routes IPC to the kiosk (`kiosk-app`, which composes the core
//! crates). Logic lives in `crates/`; the commands here only translate
//! between IPC and core calls. The modules, leaves first: `state`, `error`,
//! `managed`, `events`; the commands and the IPC contract (`ipc`); the threads that
//! talk to the UI (`music`, `health`, `updates`, `recycle`); start-up (`engine`,
//! `systemd`, `logging`, `startup`, `window`, `setup`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod engine;
mod error;
mod events;
mod health;
mod ipc;
mod logging;
mod managed;
mod music;
mod recycle;
mod setup;
mod startup;
mod state;
mod systemd;
mod updates;
mod window;

fn main() {
    let main_ms = jiff::Timestamp::now().as_millisecond();
    // SAFETY: no other thread exists yet (logging, Tokio and GTK start later).
    #[allow(unsafe_code)]
    let engine = unsafe { engine::apply() };
    // systemd's socket and watchdog, read and then removed: no child (the web
    // process first) inherits them. SAFETY: as above, still a single thread.
    #[allow(unsafe_code)]
    unsafe {
        systemd::take();
    }
    let prepared = startup::prepare(std::env::args().skip(1)).unwrap_or_else(|message| {
        eprintln!("embassy-kiosk: {message}");
        std::process::exit(2);
    });
    for (key, value) in &engine {
        tracing::info!("WebKit setting: {key}={}", value.to_string_lossy());
    }
    let locked = prepared.config.window == kiosk_config::WindowMode::Fullscreen;
    let contract = ipc::contract();
    tauri::Builder::default()
        .on_window_event(move |_, event| window::refuse_close(event, locked))
        .invoke_handler(contract.invoke_handler())
        .setup(move |app| setup::run(app, prepared, &contract, main_ms))
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!("the window system failed: {e}");
            std::process::exit(1);
        });
}
