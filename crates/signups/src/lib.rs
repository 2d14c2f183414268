//! Email-list signups taken at the kiosk.
//!
//! [`email`] validates what a visitor typed, in the core rather than only in
//! JavaScript, and returns an error *code* the UI shows in the visitor's language.
#![deny(missing_docs)]

pub mod email;
