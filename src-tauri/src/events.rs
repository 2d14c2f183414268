//! The events the shell sends the window, each a type with a fixed name:
//! the generated bindings listen by these names, so a rename cannot split
//! the two sides. Listed in the contract ([`crate::ipc`]).

use kiosk_app::staff::ImportProgress;
use kiosk_attract::Action;
use kiosk_player::Status;
use serde::Serialize;

/// The player's status: four times a second while playing, and after any change.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Music(pub Status);

/// What the attract schedule tells the UI to do.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Attract(pub Action);

/// A new content bundle is on screen (its version): reload what is shown.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Content(pub u64);

/// How far a staff USB import has got.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StaffImport(pub ImportProgress);

impl tauri_specta::Event for Music {
    const NAME: &'static str = "music";
}
impl tauri_specta::Event for Attract {
    const NAME: &'static str = "attract";
}
impl tauri_specta::Event for Content {
    const NAME: &'static str = "content";
}
impl tauri_specta::Event for StaffImport {
    const NAME: &'static str = "staff-import";
}
