//! The JSON documents the studio's page and server exchange (mirrored by hand
//! in `ui/studio/types.ts`). They describe content the way staff think of it
//! (an event with a title per language), not the way the files store it; the
//! `read` and `write` modules translate between the two.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Text per language code; a missing or empty entry is "not translated".
pub type Localized = BTreeMap<String, String>;

/// `settings.toml`'s editable part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsDoc {
    pub default_language: String,
    pub languages: Vec<String>,
    pub timezone: String,
    pub idle_timeout_secs: i64,
    pub attract_slide_secs: i64,
    pub theme: ThemeDoc,
    pub music: MusicDoc,
    pub consent: ConsentDoc,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeDoc {
    pub primary: String,
    pub accent: String,
    pub background: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MusicDoc {
    pub continuous: bool,
    pub attract: bool,
    pub attract_volume: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentDoc {
    pub version: i64,
    pub text: Localized,
}

/// One section: `sections/<file>.md` and its translations `<file>.<lang>.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionDoc {
    /// The file stem; `None` for a section not saved yet (it gets its id).
    pub file: Option<String>,
    pub id: String,
    pub title: Localized,
    pub body: Localized,
}

/// One `[[event]]` of `events.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDoc {
    pub id: String,
    /// Local wall time, `YYYY-MM-DDTHH:MM`.
    pub start: String,
    pub end: String,
    pub timezone: Option<String>,
    pub title: Localized,
    #[serde(default)]
    pub location: Localized,
    #[serde(default)]
    pub description: Localized,
}

/// One `[[track]]` of `music/tracks.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackDoc {
    pub id: String,
    pub file: String,
    pub title: Localized,
    #[serde(default)]
    pub credit: Localized,
}

/// Everything the studio edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drafts {
    pub settings: SettingsDoc,
    pub sections: Vec<SectionDoc>,
    pub events: Vec<EventDoc>,
    pub tracks: Vec<TrackDoc>,
}

/// The studio's pages, for problems that must be shown somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Page {
    Sections,
    Events,
    Music,
    Settings,
    Publish,
}

/// One thing the bundle build would refuse, placed next to its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub page: Page,
    /// The field's test id without the key: `event-end`, `section-body-kk`, `theme-text`.
    pub field: String,
    /// The event, section or track it concerns.
    pub key: Option<String>,
    pub message: String,
    /// `events.toml:37`, for whoever also edits the files.
    pub at: Option<String>,
}

/// What `GET /api/content` and a good save answer.
#[derive(Debug, Clone, Serialize)]
pub struct ContentDoc {
    pub revs: BTreeMap<String, String>,
    /// The embassy's name in the default language (settings.toml `[identity.name]`), for the studio's header.
    pub embassy: String,
    pub drafts: Drafts,
    pub language_names: BTreeMap<String, String>,
    pub now_local: String,
    pub calendar: Option<CalendarInfo>,
    pub problems: Vec<Problem>,
    pub notes: Vec<Problem>,
}

/// A calendar file the content reads besides `events.toml`.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarInfo {
    pub file: String,
    pub events: usize,
}

/// What a staff member asked to publish.
#[derive(Debug, Clone, Deserialize)]
pub struct PublishRequest {
    pub key_path: String,
    pub password: Option<String>,
    pub folder: String,
    #[serde(default)]
    pub web: bool,
}

/// Ids added, changed and removed since the last published bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub sections: Change,
    pub events: Change,
    pub tracks: Change,
}

/// What a publish wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub version: u64,
    pub folder: String,
    pub files: Vec<String>,
    pub changes: Option<Changes>,
}
