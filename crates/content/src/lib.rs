//! The kiosk's content, from the files staff edit to the bundle the kiosk reads.
//!
//! Data flows one way: [`source::load`] reads and validates a `content/` folder
//! (Markdown sections with TOML front matter, `events.toml` and/or an
//! iCalendar `events.ics`, read by a plugged-in [`source::CalendarReader`]), `music/tracks.toml`
//! with audio files, `settings.toml`); [`build::build_bundle`] renders and
//! sanitises it into one SQLite file; [`bundle::Bundle`] opens such a file
//! read-only and answers the questions the kiosk's screens ask.
//!
//! To change the bundle's layout, edit [`schema`] and bump
//! [`schema::SCHEMA_VERSION`]: readers refuse versions they do not know.
#![deny(missing_docs)]

pub mod build;
pub mod bundle;
pub mod clock;
pub mod error;
pub mod fonts;
pub mod image;
pub mod model;
pub mod render;
pub mod schema;
pub mod source;
pub mod words;

pub use build::{BuildOptions, BuildReport, build_bundle};
pub use bundle::Bundle;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{BuildError, BundleError, ContentError};
