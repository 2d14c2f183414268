//! Email-list signups taken at the kiosk.
//!
//! [`email`] validates what a visitor typed, in the core rather than only in
//! JavaScript, and returns an error *code* the UI shows in the visitor's language.
//! [`store`] keeps each confirmed signup durably on the kiosk until the central
//! list has it. [`intake`] puts the kiosk's checks in front of the store: the
//! consent statement shown ([`consent`]), the per-kiosk [`throttle`], one entry
//! per [`mailbox`], the store's cap — and one answer for every accepted address.
//! [`recover`] sets a damaged store aside at start, so the kiosk starts on a
//! fresh one without losing what the old one holds.
#![deny(missing_docs)]

pub mod consent;
pub mod email;
pub mod intake;
pub mod mailbox;
pub mod recover;
pub mod store;
pub mod throttle;
