//! Email-list signups taken at the kiosk.
//!
//! [`email`] validates what a visitor typed, in the core rather than only in
//! JavaScript, and returns an error *code* the UI shows in the visitor's language.
//! [`store`] keeps each confirmed signup durably on the kiosk until the central
//! list has it.
#![deny(missing_docs)]

pub mod email;
pub mod store;
