//! Staff mode's core, free of any GUI: the PIN gate in front of the staff
//! panel, the session that closes on idle, the settings staff change at the
//! screen, the anonymous section-view counts behind the panel's charts, and
//! the search for bundles on an inserted USB stick.
#![deny(missing_docs)]

pub mod pin;
pub mod settings;
pub mod stats;
pub mod usb;
