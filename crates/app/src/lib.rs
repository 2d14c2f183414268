//! The kiosk composed from the core crates, with no Tauri in it.
//!
//! The shell (`src-tauri`) owns the window, IPC and events. Everything it
//! decides that is not about Tauri lives here, where unit tests reach it: the
//! state it manages ([`Kiosk`]), which track plays next, when attract mode
//! plays music, speech and the accessibility layout, a signup at the screen, the staff panel's figures, a
//! heartbeat's contents and the content watcher. The shell hears back through
//! callbacks (a player status to send, a bundle to put on screen), so nothing
//! here knows how the UI is reached.

pub mod attract_music;
pub mod heartbeat;
mod kiosk;
pub mod music;
pub mod problems;
pub mod signups;
pub mod speech;
pub mod staff;
pub mod tracks;
pub mod watcher;

pub use kiosk::{Kiosk, MusicError, Parts, WebProcess, attract_slides, first_screen_json};
pub use problems::Problems;
