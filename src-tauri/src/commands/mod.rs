//! IPC commands: each one a few lines that call the kiosk (`kiosk-app`) and
//! turn its errors into `{code, message}` ([`crate::error::UiError`]), so the
//! UI never matches on message text. The list of them is in [`crate::ipc`].

pub mod access;
pub mod staff;
pub mod visitor;
