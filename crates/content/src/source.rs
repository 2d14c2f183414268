//! Reads a `content/` folder and validates it, collecting every error with its
//! file and line so staff can fix them all in one go.
//!
//! Layout (see docs/staff.md for the staff-facing version):
//! - `settings.toml` — languages, time zone, timings, theme, consent statement;
//! - `sections/<name>.md` — one section in the default language, TOML front
//!   matter between `+++` lines (`id`, `order`, `title`); `sections/<name>.<lang>.md`
//!   — its translation (front matter: `title`);
//! - `events.toml` — `[[event]]` tables;
//! - `music/tracks.toml` — `[[track]]` tables naming audio files beside it;
//! - `ui/<lang>.toml` — the interface's words in a language (`[language]`, `[words]`);
//! - the emblem and ornament files `settings.toml`'s `[identity]` names.
//!
//! What a visitor who cannot see the screen gets instead of a picture, and
//! whether a track's title can be read aloud, is checked in `alternatives`.
//!
//! One submodule per kind of file, each with its raw (as-written) types and
//! the checks on them; this module holds what they share: reading a file into
//! the content hash, TOML errors with their line, and localized values.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use kiosk_config::line_of;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::error::ContentError;
use crate::model::{Content, Event, Localized, Settings};

mod alternatives;
mod events;
mod identity;
mod sections;
mod settings;
mod tracks;

pub use tracks::{Durations, decoded_duration_ms};

/// Hears about progress while content loads (audio decoding is the slow part).
pub trait Progress {
    /// `done` of `total` steps finished; `what` names the current one.
    fn step(&mut self, what: &str, done: u64, total: u64);
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn step(&mut self, _: &str, _: u64, _: u64) {}
}

/// Largest audio file accepted: samples are short, and the bundle travels on USB sticks.
pub const MAX_AUDIO_BYTES: u64 = 4 * 1024 * 1024;

/// How far ahead of the build time recurring events are expanded (and
/// single events kept). A bundle is rebuilt far more often than yearly.
pub const HORIZON_DAYS: i64 = 365;

/// What the calendar is read against.
pub struct IcsContext<'a> {
    /// Languages, default first.
    pub languages: &'a [String],
    /// The content's time zone (`settings.toml`), for floating times.
    pub default_timezone: &'a str,
    /// Occurrences ending at or before this are left out (the build time).
    pub from: Timestamp,
    /// Occurrences starting at or after this are left out.
    pub until: Timestamp,
}

impl IcsContext<'_> {
    /// The window `[now, now + HORIZON_DAYS)`.
    pub fn window(now: Timestamp) -> (Timestamp, Timestamp) {
        (now, now.checked_add(SignedDuration::from_hours(24 * HORIZON_DAYS)).unwrap_or(now))
    }
}

/// Reads an iCalendar file into events. `kiosk_calendar::Ics` implements it;
/// it is plugged in (by `kioskctl`) rather than called from here so that the
/// kiosk binary, which links this crate, does not carry recurrence and time
/// zone code it never uses.
pub trait CalendarReader: Send + Sync + std::fmt::Debug {
    /// The events of `ics` (read from `file`) within `cx`'s window; problems
    /// go to `errors` with `file` and line.
    fn read(&self, file: &Path, ics: &[u8], cx: &IcsContext<'_>, errors: &mut Vec<ContentError>) -> Vec<Event>;
}

/// A calendar fetched from elsewhere (`kioskctl bundle build --events-url`),
/// read in place of `content/events.ics`.
#[derive(Debug, Clone)]
pub struct IcsFeed {
    /// Where it came from, as errors should name it (the URL).
    pub name: String,
    /// The iCalendar text as fetched.
    pub bytes: Vec<u8>,
}

/// What a load depends on besides the folder.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The build time: calendar events are kept from here to
    /// [`HORIZON_DAYS`] ahead.
    pub now: Timestamp,
    /// A fetched calendar to use instead of `events.ics`.
    pub events_feed: Option<IcsFeed>,
    /// What reads `events.ics`; without one, a content folder with a
    /// calendar is refused.
    pub calendar: Option<Arc<dyn CalendarReader>>,
    /// Audio durations decoded by earlier loads in this process, if kept.
    pub durations: Option<Arc<Durations>>,
}

/// Loads and validates the content folder at `dir`, as of now.
pub fn load(dir: &Path, progress: &mut dyn Progress) -> Result<Content, Vec<ContentError>> {
    load_with(dir, &LoadOptions { now: Timestamp::now(), events_feed: None, calendar: None, durations: None }, progress)
}

/// Loads and validates the content folder at `dir`.
pub fn load_with(dir: &Path, options: &LoadOptions, progress: &mut dyn Progress) -> Result<Content, Vec<ContentError>> {
    let mut cx = Loader { dir, options, errors: Vec::new(), notes: Vec::new(), hashed: BTreeMap::new() };
    let settings = cx.settings();
    let Some(settings) = settings else {
        return Err(cx.errors);
    };
    let sections = cx.sections(&settings);
    let events = cx.events(&settings);
    let tracks = cx.tracks(&settings, progress);
    cx.check_values(&settings, &sections, &events, &tracks);
    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    let mut hasher = Sha256::new();
    for (path, bytes) in &cx.hashed {
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    Ok(Content { settings, sections, events, tracks, content_hash: hex(&hasher.finalize()), notes: cx.notes })
}

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Loader<'a> {
    dir: &'a Path,
    options: &'a LoadOptions,
    errors: Vec<ContentError>,
    /// What the build fell back on (untranslated words): listed, not refused.
    notes: Vec<ContentError>,
    /// Every input file by relative path, for the content hash.
    hashed: BTreeMap<String, Vec<u8>>,
}

fn toml_error(file: &Path, text: &str, first_line: usize, err: &toml::de::Error) -> ContentError {
    let line = err.span().map_or(first_line, |s| first_line + line_of(text, s.start) - 1);
    ContentError::at(file, line, err.message().trim().to_string())
}

impl Loader<'_> {
    fn read(&mut self, rel: &str) -> Option<Vec<u8>> {
        let path = self.dir.join(rel);
        match std::fs::read(&path) {
            Ok(bytes) => {
                self.hashed.insert(rel.to_string(), bytes.clone());
                Some(bytes)
            }
            Err(e) => {
                self.errors.push(ContentError::file(&path, format!("cannot read the file: {e}")));
                None
            }
        }
    }

    fn read_text(&mut self, rel: &str) -> Option<String> {
        let bytes = self.read(rel)?;
        match String::from_utf8(bytes) {
            Ok(text) => {
                self.check_drawable(rel, &text);
                Some(text)
            }
            Err(e) => {
                let line = line_of(&String::from_utf8_lossy(e.as_bytes()), e.utf8_error().valid_up_to());
                self.errors.push(ContentError::at(
                    self.dir.join(rel),
                    line,
                    "the file is not UTF-8 text; save it as UTF-8",
                ));
                None
            }
        }
    }

    /// Refuses characters no font of the kiosk draws, one error per line (a
    /// TOML comment, which no visitor sees, is not checked).
    fn check_drawable(&mut self, rel: &str, text: &str) {
        // TOML: the whole file; Markdown: its front matter (between the
        // first two `+++` lines) is TOML too.
        let mut toml = rel.ends_with(".toml");
        let mut fences = if rel.ends_with(".md") { 2 } else { 0 };
        for (i, line) in text.lines().enumerate() {
            if fences > 0 && line.trim() == "+++" {
                fences -= 1;
                toml = fences == 1;
                continue;
            }
            let line = if toml { toml_without_comment(line) } else { line };
            if let Some((_, c)) = crate::fonts::first_undrawable(line) {
                self.errors.push(ContentError::at(self.dir.join(rel), i + 1, crate::fonts::message(c)));
            }
        }
    }

    /// What the line-by-line check cannot see, checked on the values as
    /// the kiosk shows them: characters written as escapes (`"\U0001F600"`
    /// in TOML, `&#x1F600;` in Markdown). Named by file and item, as the
    /// character does not stand on any line.
    fn check_values(
        &mut self,
        settings: &Settings,
        sections: &[crate::model::Section],
        events: &[Event],
        tracks: &[crate::model::Track],
    ) {
        let mut found: Vec<(String, String, char)> = Vec::new();
        let mut look = |file: String, what: String, text: &str| {
            if let Some((_, c)) = crate::fonts::first_undrawable(text) {
                found.push((file, what, c));
            }
        };
        for (lang, ui) in &settings.ui {
            for (key, word) in &ui.words {
                let identity = crate::words::IDENTITY_WORDS.iter().any(|(_, k)| k == key);
                let file = if identity { "settings.toml".to_string() } else { format!("ui/{lang}.toml") };
                look(file, format!("the word `{key}` ({lang})"), word);
            }
            look(format!("ui/{lang}.toml"), "the language's name".into(), &ui.name);
        }
        for (lang, text) in &settings.consent.text {
            look("settings.toml".into(), format!("the consent statement ({lang})"), text);
        }
        for s in sections {
            for (lang, t) in &s.texts {
                let shown = crate::render::excerpt(&t.markdown, usize::MAX);
                look("sections".into(), format!("section `{}` ({lang})", s.id), &format!("{} {shown}", t.title));
            }
        }
        for e in events {
            for text in e.title.values().chain(e.location.values()).chain(e.description.values()) {
                look("events.toml".into(), format!("event `{}`", e.id), text);
            }
        }
        for t in tracks {
            for text in t.title.values().chain(t.credit.values()) {
                look("music/tracks.toml".into(), format!("track `{}`", t.id), text);
            }
        }
        for (file, what, c) in found {
            let path = self.dir.join(&file);
            // Already found on its line: once is enough.
            if !self.errors.iter().any(|e| e.message == crate::fonts::message(c)) {
                self.errors.push(ContentError::file(path, format!("{what}: {}", crate::fonts::message(c))));
            }
        }
    }

    /// Records an error in `file` at the line where `span` starts in `text`.
    fn error_at(&mut self, file: &Path, text: &str, span: Range<usize>, message: impl Into<String>) {
        self.errors.push(ContentError::at(file, line_of(text, span.start), message));
    }

    fn parse<T: DeserializeOwned>(&mut self, file: &Path, text: &str, first_line: usize) -> Option<T> {
        match toml::from_str(text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(toml_error(file, text, first_line, &e));
                None
            }
        }
    }

    /// Validates the languages of a localized value; a plain string is the default language's.
    fn localized(
        &mut self,
        file: &Path,
        text: &str,
        value: &Spanned<RawLocalized>,
        languages: &[String],
        field: &str,
    ) -> Localized {
        let line = line_of(text, value.span().start);
        match value.get_ref() {
            RawLocalized::Plain(s) => {
                // A plain string is in the default language, which callers put first.
                let lang = languages.first().cloned().unwrap_or_default();
                BTreeMap::from([(lang, s.trim().to_string())])
            }
            RawLocalized::PerLanguage(map) => {
                let mut out = BTreeMap::new();
                for (lang, s) in map {
                    if !languages.contains(lang) {
                        self.errors.push(ContentError::at(
                            file,
                            line,
                            format!(
                                "{field}: unknown language `{lang}`; the kiosk offers {languages:?} (settings.toml)"
                            ),
                        ));
                    } else if s.trim().is_empty() {
                        self.errors.push(ContentError::at(file, line, format!("{field}: the `{lang}` text is empty")));
                    } else {
                        out.insert(lang.clone(), s.trim().to_string());
                    }
                }
                out
            }
        }
    }

    /// Languages with the default first, so a plain string means the default language.
    fn langs(settings: &Settings) -> Vec<String> {
        let mut langs = vec![settings.default_language.clone()];
        langs.extend(settings.languages.iter().filter(|l| **l != settings.default_language).cloned());
        langs
    }
}

/// A TOML line without its comment: from a `#` after a space or tab, or a
/// whole comment line. (A `#` inside a string after a space cuts the check
/// short; the value check catches what it then misses.)
fn toml_without_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    let cut = line.char_indices().find(|&(i, c)| c == '#' && i > 0 && line[..i].ends_with([' ', '\t']));
    cut.map_or(line, |(i, _)| &line[..i])
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawLocalized {
    Plain(String),
    PerLanguage(BTreeMap<String, String>),
}

#[cfg(test)]
mod tests {
    use super::settings::is_language_code;
    use super::*;
    use crate::model::is_hex_colour;

    #[test]
    fn ids_languages_and_colours() {
        assert!(is_id("political-reform"));
        assert!(!is_id("Political Reform"));
        assert!(is_language_code("kk") && !is_language_code("EN") && !is_language_code("english"));
        assert!(is_hex_colour("#00AFCA") && !is_hex_colour("blue"));
    }
}
