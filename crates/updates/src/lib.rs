//! Content updates for the kiosk: bundles signed in minisign's format
//! ([`sign`]), checked against the kiosk's policy ([`accept`]), installed
//! atomically with the previous one kept for rollback ([`store`]), found in
//! inbox folders such as a USB stick ([`inbox`]) or behind a signed manifest
//! on an HTTPS server ([`remote`]), polled on a thread of its own
//! ([`poller`]) so a slow server never holds up the rest.
//!
//! Every refusal has a reason staff can read and a stable code; the current
//! bundle is never touched by a refused one.
#![deny(missing_docs)]

pub mod accept;
pub mod inbox;
pub mod poller;
pub mod remote;
pub mod sign;
pub mod store;
