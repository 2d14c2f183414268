//! Reads a `content/` folder and validates it, collecting every error with its
//! file and line so staff can fix them all in one go.
//!
//! Layout (see `content/README.md` for the staff-facing version):
//! - `settings.toml` — languages, time zone, timings, theme, consent statement;
//! - `sections/<name>.md` — one section in the default language, TOML front
//!   matter between `+++` lines (`id`, `order`, `title`); `sections/<name>.<lang>.md`
//!   — its translation (front matter: `title`);
//! - `events.toml` — `[[event]]` tables;
//! - `music/tracks.toml` — `[[track]]` tables naming audio files beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::error::ContentError;
use crate::model::{
    Consent, Content, Event, Localized, MusicSettings, Section, SectionText, Settings, Theme, Track, is_hex_colour,
};

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
}

/// Loads and validates the content folder at `dir`, as of now.
pub fn load(dir: &Path, progress: &mut dyn Progress) -> Result<Content, Vec<ContentError>> {
    load_with(dir, &LoadOptions { now: Timestamp::now(), events_feed: None, calendar: None }, progress)
}

/// Loads and validates the content folder at `dir`.
pub fn load_with(dir: &Path, options: &LoadOptions, progress: &mut dyn Progress) -> Result<Content, Vec<ContentError>> {
    let mut cx = Loader { dir, options, errors: Vec::new(), hashed: BTreeMap::new() };
    let settings = cx.settings();
    let Some(settings) = settings else {
        return Err(cx.errors);
    };
    let sections = cx.sections(&settings);
    let events = cx.events(&settings);
    let tracks = cx.tracks(&settings, progress);
    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    let mut hasher = Sha256::new();
    for (path, bytes) in &cx.hashed {
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    Ok(Content { settings, sections, events, tracks, content_hash: hex(&hasher.finalize()) })
}

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Loader<'a> {
    dir: &'a Path,
    options: &'a LoadOptions,
    errors: Vec<ContentError>,
    /// Every input file by relative path, for the content hash.
    hashed: BTreeMap<String, Vec<u8>>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
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
            Ok(text) => Some(text),
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

    fn parse<T: DeserializeOwned>(&mut self, file: &Path, text: &str, first_line: usize) -> Option<T> {
        match toml::from_str(text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(toml_error(file, text, first_line, &e));
                None
            }
        }
    }

    fn settings(&mut self) -> Option<Settings> {
        let rel = "settings.toml";
        let file = self.dir.join(rel);
        let text = self.read_text(rel)?;
        let raw: RawSettings = self.parse(&file, &text, 1)?;
        let at = |span: std::ops::Range<usize>| line_of(&text, span.start);
        let before = self.errors.len();

        let languages: Vec<String> = raw.languages.get_ref().iter().map(|l| l.trim().to_string()).collect();
        if languages.is_empty() {
            self.errors.push(ContentError::at(
                &file,
                at(raw.languages.span()),
                "`languages` is empty; list at least the default language",
            ));
        }
        for lang in &languages {
            if !is_language_code(lang) {
                self.errors.push(ContentError::at(
                    &file,
                    at(raw.languages.span()),
                    format!("`{lang}` is not a language code; use two or three lower-case letters such as \"en\", \"kk\", \"ru\""),
                ));
            }
        }
        let default_language = raw.default_language.get_ref().trim().to_string();
        if !languages.contains(&default_language) {
            self.errors.push(ContentError::at(
                &file,
                at(raw.default_language.span()),
                format!("default_language `{default_language}` is not in `languages` {languages:?}; add it there"),
            ));
        }
        if TimeZone::get(raw.timezone.get_ref()).is_err() {
            self.errors.push(ContentError::at(
                &file,
                at(raw.timezone.span()),
                format!("unknown time zone `{}`; use an IANA name such as \"Europe/London\"", raw.timezone.get_ref()),
            ));
        }
        for (name, value) in
            [("idle_timeout_secs", &raw.idle_timeout_secs), ("attract_slide_secs", &raw.attract_slide_secs)]
        {
            if !(1..=86_400).contains(value.get_ref()) {
                self.errors.push(ContentError::at(
                    &file,
                    at(value.span()),
                    format!("`{name}` must be between 1 and 86400 seconds"),
                ));
            }
        }
        for (name, colour) in [
            ("primary", &raw.theme.primary),
            ("accent", &raw.theme.accent),
            ("background", &raw.theme.background),
            ("text", &raw.theme.text),
        ] {
            if !is_hex_colour(colour.get_ref()) {
                self.errors.push(ContentError::at(
                    &file,
                    at(colour.span()),
                    format!("theme.{name} `{}` is not a colour; write it as \"#RRGGBB\"", colour.get_ref()),
                ));
            }
        }
        let mut ordered = vec![default_language.clone()];
        ordered.extend(languages.iter().filter(|l| **l != default_language).cloned());
        let consent = self.localized(&file, &text, &raw.consent.text, &ordered, "consent.text");
        if !consent.contains_key(&default_language) {
            self.errors.push(ContentError::at(
                &file,
                at(raw.consent.text.span()),
                format!("the consent statement needs a text in the default language `{default_language}`"),
            ));
        }
        let music = raw.music.as_ref().map(|m| m.get_ref().clone()).unwrap_or_default();
        if !(0.0..=1.0).contains(&music.attract_volume) {
            let span = raw.music.as_ref().map_or(0..0, |m| m.span());
            self.errors.push(ContentError::at(&file, at(span), "music.attract_volume must be between 0.0 and 1.0"));
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Settings {
            default_language,
            languages,
            timezone: raw.timezone.into_inner(),
            idle_timeout_secs: raw.idle_timeout_secs.into_inner(),
            attract_slide_secs: raw.attract_slide_secs.into_inner(),
            theme: Theme {
                primary: raw.theme.primary.into_inner(),
                accent: raw.theme.accent.into_inner(),
                background: raw.theme.background.into_inner(),
                text: raw.theme.text.into_inner(),
            },
            consent: Consent { version: raw.consent.version, text: consent },
            music,
        })
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

    fn sections(&mut self, settings: &Settings) -> Vec<Section> {
        let dir = self.dir.join("sections");
        let mut names: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".md"))
                .collect(),
            Err(e) => {
                self.errors.push(ContentError::file(&dir, format!("cannot read the sections folder: {e}")));
                return Vec::new();
            }
        };
        names.sort();
        let mut sections: BTreeMap<String, (Section, PathBuf)> = BTreeMap::new();
        let mut translations = Vec::new();
        for name in names {
            let stem = name.trim_end_matches(".md");
            match stem.rsplit_once('.') {
                Some((base, lang)) => translations.push((name.clone(), base.to_string(), lang.to_string())),
                None => {
                    if let Some(section) = self.section_file(&name, settings) {
                        let file = dir.join(&name);
                        if let Some((_, first)) = sections.iter().find(|(_, (s, _))| s.id == section.id) {
                            self.errors.push(ContentError::at(
                                &file,
                                2,
                                format!(
                                    "duplicate section id `{}`: {} already uses it; give each section its own id",
                                    section.id,
                                    first.1.display()
                                ),
                            ));
                        } else {
                            sections.insert(stem.to_string(), (section, file));
                        }
                    }
                }
            }
        }
        for (name, base, lang) in translations {
            let file = dir.join(&name);
            if !settings.languages.contains(&lang) {
                self.errors.push(ContentError::at(
                    &file,
                    1,
                    format!(
                        "unknown language `{lang}` in the file name; the kiosk offers {:?} (settings.toml)",
                        settings.languages
                    ),
                ));
                continue;
            }
            if lang == settings.default_language {
                self.errors.push(ContentError::at(
                    &file,
                    1,
                    format!("`{base}.md` is already the `{lang}` text; remove this file or merge it"),
                ));
                continue;
            }
            let Some(text) = self.translation_file(&name) else {
                continue;
            };
            match sections.get_mut(&base) {
                Some((section, _)) => {
                    section.texts.insert(lang, text);
                }
                None => self.errors.push(ContentError::at(
                    &file,
                    1,
                    format!("translation of `{base}.md`, which does not exist; create it or rename this file"),
                )),
            }
        }
        if sections.is_empty() && self.errors.is_empty() {
            self.errors.push(ContentError::file(&dir, "no sections: add at least one Markdown file"));
        }
        let mut out: Vec<Section> = sections.into_values().map(|(s, _)| s).collect();
        out.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// Splits `+++` front matter from the body. Returns (front matter, first line of it, body).
    fn front_matter<'t>(&mut self, file: &Path, text: &'t str) -> Option<(&'t str, &'t str)> {
        let rest = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(rest) = rest.strip_prefix("+++\n").or_else(|| rest.strip_prefix("+++\r\n")) else {
            self.errors.push(ContentError::at(
                file,
                1,
                "the file must start with front matter: a line `+++`, then `id`, `order` and `title`, then `+++`",
            ));
            return None;
        };
        let end = rest.find("\n+++").filter(|&i| {
            let after = &rest[i + 4..];
            after.is_empty() || after.starts_with('\n') || after.starts_with("\r\n")
        });
        let Some(end) = end else {
            self.errors.push(ContentError::at(file, 1, "the front matter is not closed: add a line `+++` after it"));
            return None;
        };
        let body = rest[end + 4..].trim_start_matches(['\r', '\n']);
        Some((&rest[..end + 1], body))
    }

    fn section_file(&mut self, name: &str, settings: &Settings) -> Option<Section> {
        let rel = format!("sections/{name}");
        let file = self.dir.join(&rel);
        let text = self.read_text(&rel)?;
        let (fm, body) = self.front_matter(&file, &text)?;
        let raw: RawSectionFront = self.parse(&file, fm, 2)?;
        let id = raw.id.get_ref().trim().to_string();
        if !is_id(&id) {
            self.errors.push(ContentError::at(
                &file,
                1 + line_of(fm, raw.id.span().start),
                format!("id `{id}` may only use lower-case letters, digits and `-`"),
            ));
            return None;
        }
        if raw.title.trim().is_empty() {
            self.errors.push(ContentError::at(&file, 2, "the title is empty"));
            return None;
        }
        if body.trim().is_empty() {
            self.errors.push(ContentError::file(&file, "the section has no text below its front matter"));
            return None;
        }
        Some(Section {
            id,
            order: raw.order,
            texts: BTreeMap::from([(
                settings.default_language.clone(),
                SectionText { title: raw.title.trim().to_string(), markdown: body.to_string() },
            )]),
        })
    }

    fn translation_file(&mut self, name: &str) -> Option<SectionText> {
        let rel = format!("sections/{name}");
        let file = self.dir.join(&rel);
        let text = self.read_text(&rel)?;
        let (fm, body) = self.front_matter(&file, &text)?;
        let raw: RawTranslationFront = self.parse(&file, fm, 2)?;
        if body.trim().is_empty() || raw.title.trim().is_empty() {
            self.errors.push(ContentError::file(&file, "the translation needs a title and a text"));
            return None;
        }
        Some(SectionText { title: raw.title.trim().to_string(), markdown: body.to_string() })
    }

    /// Languages with the default first, so a plain string means the default language.
    fn langs(settings: &Settings) -> Vec<String> {
        let mut langs = vec![settings.default_language.clone()];
        langs.extend(settings.languages.iter().filter(|l| **l != settings.default_language).cloned());
        langs
    }

    /// `events.toml`, `events.ics` (or a fetched feed), or both.
    fn events(&mut self, settings: &Settings) -> Vec<Event> {
        let feed = self.options.events_feed.clone();
        let has_ics = feed.is_some() || self.dir.join("events.ics").exists();
        let mut events =
            if self.dir.join("events.toml").exists() || !has_ics { self.toml_events(settings) } else { Vec::new() };
        if has_ics {
            let (file, bytes) = match feed {
                Some(feed) => {
                    self.hashed.insert("events.ics".into(), feed.bytes.clone());
                    (PathBuf::from(&feed.name), Some(feed.bytes))
                }
                None => (self.dir.join("events.ics"), self.read("events.ics")),
            };
            let reader = self.options.calendar.clone();
            if bytes.is_some() && reader.is_none() {
                self.errors.push(ContentError::file(
                    &file,
                    "this program does not read calendars; build the bundle with `kioskctl bundle build`",
                ));
            }
            if let (Some(bytes), Some(reader)) = (bytes, reader) {
                let langs = Self::langs(settings);
                let (from, until) = IcsContext::window(self.options.now);
                let cx = IcsContext { languages: &langs, default_timezone: &settings.timezone, from, until };
                let ids: BTreeSet<String> = events.iter().map(|e| e.id.clone()).collect();
                for e in reader.read(&file, &bytes, &cx, &mut self.errors) {
                    if ids.contains(&e.id) {
                        self.errors.push(ContentError::file(
                            self.dir.join("events.toml"),
                            format!("event id `{}` is also a calendar event's id; rename it", e.id),
                        ));
                    } else {
                        events.push(e);
                    }
                }
            }
        }
        events.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        events
    }

    fn toml_events(&mut self, settings: &Settings) -> Vec<Event> {
        let rel = "events.toml";
        let file = self.dir.join(rel);
        let Some(text) = self.read_text(rel) else {
            return Vec::new();
        };
        let Some(raw) = self.parse::<RawEvents>(&file, &text, 1) else {
            return Vec::new();
        };
        let langs = Self::langs(settings);
        let mut seen = BTreeSet::new();
        let mut events = Vec::new();
        for ev in raw.event {
            let line = |s: &std::ops::Range<usize>| line_of(&text, s.start);
            let id = ev.id.get_ref().trim().to_string();
            if !is_id(&id) {
                self.errors.push(ContentError::at(
                    &file,
                    line(&ev.id.span()),
                    format!("event id `{id}` may only use lower-case letters, digits and `-`"),
                ));
                continue;
            }
            if !seen.insert(id.clone()) {
                self.errors.push(ContentError::at(
                    &file,
                    line(&ev.id.span()),
                    format!("duplicate event id `{id}`; give each event its own id"),
                ));
                continue;
            }
            let tz_name = ev.timezone.as_ref().map_or(settings.timezone.clone(), |t| t.get_ref().clone());
            let tz = match TimeZone::get(&tz_name) {
                Ok(tz) => tz,
                Err(_) => {
                    let at = ev.timezone.as_ref().map_or(line(&ev.id.span()), |t| line(&t.span()));
                    self.errors.push(ContentError::at(
                        &file,
                        at,
                        format!("unknown time zone `{tz_name}`; use an IANA name such as \"Asia/Almaty\""),
                    ));
                    continue;
                }
            };
            let mut when = |w: &Spanned<RawWhen>, field: &str| -> Option<jiff::Timestamp> {
                let s = w.get_ref().text();
                let parsed = s.parse::<DateTime>().ok().or_else(|| {
                    s.parse::<jiff::civil::Date>().ok().map(|d| d.to_datetime(jiff::civil::Time::midnight()))
                });
                match parsed.and_then(|dt| tz.to_ambiguous_zoned_datetime(dt).compatible().ok()) {
                    Some(z) => Some(z.timestamp()),
                    None => {
                        self.errors.push(ContentError::at(
                            &file,
                            line(&w.span()),
                            format!("{field} `{s}` is not a date and time; write it as \"2027-03-21T18:30\" (local time in {tz_name})"),
                        ));
                        None
                    }
                }
            };
            let (Some(start), Some(end)) = (when(&ev.start, "start"), when(&ev.end, "end")) else {
                continue;
            };
            if end <= start {
                self.errors.push(ContentError::at(
                    &file,
                    line(&ev.end.span()),
                    "the event ends before it starts; check `end`",
                ));
                continue;
            }
            let title = self.localized(&file, &text, &ev.title, &langs, "title");
            let location = match &ev.location {
                Some(l) => self.localized(&file, &text, l, &langs, "location"),
                None => Localized::new(),
            };
            let description = match &ev.description {
                Some(d) => self.localized(&file, &text, d, &langs, "description"),
                None => Localized::new(),
            };
            events.push(Event { id, start, end, timezone: tz_name, title, location, description });
        }
        events.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        events
    }

    fn tracks(&mut self, settings: &Settings, progress: &mut dyn Progress) -> Vec<Track> {
        let rel = "music/tracks.toml";
        let file = self.dir.join(rel);
        let Some(text) = self.read_text(rel) else {
            return Vec::new();
        };
        let Some(raw) = self.parse::<RawTracks>(&file, &text, 1) else {
            return Vec::new();
        };
        let langs = Self::langs(settings);
        let total = raw.track.len() as u64;
        let mut seen = BTreeSet::new();
        let mut tracks = Vec::new();
        for (i, t) in raw.track.into_iter().enumerate() {
            let line = |s: &std::ops::Range<usize>| line_of(&text, s.start);
            let id = t.id.get_ref().trim().to_string();
            progress.step(&format!("decoding {}", t.file.get_ref()), i as u64, total);
            if !is_id(&id) || !seen.insert(id.clone()) {
                self.errors.push(ContentError::at(
                    &file,
                    line(&t.id.span()),
                    format!("track id `{id}` is not valid or used twice; use lower-case letters, digits and `-`"),
                ));
                continue;
            }
            let name = t.file.get_ref();
            let mime =
                match Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
                    Some("ogg" | "oga") => "audio/ogg",
                    Some("flac") => "audio/flac",
                    _ => {
                        self.errors.push(ContentError::at(
                            &file,
                            line(&t.file.span()),
                            format!("`{name}`: use Ogg Vorbis (.ogg) or FLAC (.flac) audio"),
                        ));
                        continue;
                    }
                };
            let audio_rel = format!("music/{name}");
            let audio_path = self.dir.join(&audio_rel);
            match std::fs::metadata(&audio_path) {
                Err(_) => {
                    self.errors.push(ContentError::at(
                        &file,
                        line(&t.file.span()),
                        format!(
                            "audio file `{}` is missing; put it in the music folder or fix the name",
                            audio_path.display()
                        ),
                    ));
                    continue;
                }
                Ok(m) if m.len() > MAX_AUDIO_BYTES => {
                    self.errors.push(ContentError::at(
                        &file,
                        line(&t.file.span()),
                        format!(
                            "`{name}` is {} KiB; samples must be under {} KiB",
                            m.len() / 1024,
                            MAX_AUDIO_BYTES / 1024
                        ),
                    ));
                    continue;
                }
                Ok(_) => {}
            }
            let Some(audio) = self.read(&audio_rel) else {
                continue;
            };
            let duration_ms = match decoded_duration_ms(&audio) {
                Ok(ms) => ms,
                Err(why) => {
                    self.errors.push(ContentError::file(
                        &audio_path,
                        format!("cannot decode the audio ({why}); export it again as Ogg Vorbis or FLAC"),
                    ));
                    continue;
                }
            };
            let title = self.localized(&file, &text, &t.title, &langs, "title");
            let credit = self.localized(&file, &text, &t.credit, &langs, "credit");
            tracks.push(Track { id, title, credit, mime: mime.to_string(), audio, duration_ms });
        }
        progress.step("audio decoded", total, total);
        tracks
    }
}

/// Decodes the whole file (proving it decodes) and returns its length in ms.
pub fn decoded_duration_ms(audio: &[u8]) -> Result<u64, String> {
    use rodio::Source;
    let decoder = rodio::Decoder::new(Cursor::new(audio.to_vec())).map_err(|e| e.to_string())?;
    let channels = u64::from(decoder.channels().get());
    let rate = u64::from(decoder.sample_rate().get());
    let samples = decoder.count() as u64;
    if samples == 0 {
        return Err("no audio samples in the file".into());
    }
    Ok(samples * 1000 / (channels * rate))
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_language_code(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    default_language: Spanned<String>,
    languages: Spanned<Vec<String>>,
    timezone: Spanned<String>,
    idle_timeout_secs: Spanned<u32>,
    attract_slide_secs: Spanned<u32>,
    theme: RawTheme,
    consent: RawConsent,
    #[serde(default)]
    music: Option<Spanned<MusicSettings>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    primary: Spanned<String>,
    accent: Spanned<String>,
    background: Spanned<String>,
    text: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsent {
    version: u32,
    text: Spanned<RawLocalized>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawLocalized {
    Plain(String),
    PerLanguage(BTreeMap<String, String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSectionFront {
    id: Spanned<String>,
    order: i64,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTranslationFront {
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvents {
    #[serde(default)]
    event: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    id: Spanned<String>,
    start: Spanned<RawWhen>,
    end: Spanned<RawWhen>,
    timezone: Option<Spanned<String>>,
    title: Spanned<RawLocalized>,
    location: Option<Spanned<RawLocalized>>,
    description: Option<Spanned<RawLocalized>>,
}

/// A date-time written either as a string or as a TOML local date-time.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawWhen {
    Text(String),
    Toml(toml::value::Datetime),
}

impl RawWhen {
    fn text(&self) -> String {
        match self {
            RawWhen::Text(s) => s.trim().to_string(),
            RawWhen::Toml(d) => d.to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTracks {
    #[serde(default)]
    track: Vec<RawTrack>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrack {
    id: Spanned<String>,
    file: Spanned<String>,
    title: Spanned<RawLocalized>,
    credit: Spanned<RawLocalized>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_counts_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }

    #[test]
    fn ids_languages_and_colours() {
        assert!(is_id("political-reform"));
        assert!(!is_id("Political Reform"));
        assert!(is_language_code("kk") && !is_language_code("EN") && !is_language_code("english"));
        assert!(is_hex_colour("#00AFCA") && !is_hex_colour("blue"));
    }
}
