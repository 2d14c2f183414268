//! Reading a bundle: the kiosk opens it read-only and asks for what a screen shows.
//!
//! Every text is returned in the requested language, falling back item by item
//! (and for events and tracks, field by field) to the bundle's default language.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::BundleError;
use crate::model::{Settings, Theme};
use crate::schema::{APPLICATION_ID, SCHEMA_VERSION};
use crate::source::hex;
use crate::words::{self, Direction, UiLanguage};

/// An open, read-only content bundle.
pub struct Bundle {
    conn: Connection,
    path: PathBuf,
    meta: Meta,
    settings: Settings,
    tz: TimeZone,
}

/// The bundle's identity, from its `meta` table.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Meta {
    /// Layout version.
    pub schema_version: u32,
    /// Monotonic content version.
    pub bundle_version: u64,
    /// Release channel.
    pub channel: String,
    /// When it was built (RFC 3339).
    pub build_time: String,
    /// Hash of the content inputs.
    pub content_hash: String,
}

/// Everything the home screen needs, in one IPC round trip.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Home {
    /// The bundle's identity.
    pub bundle: Meta,
    /// The language the texts are in (after fallback, per item).
    pub lang: String,
    /// The bundle's default language.
    pub default_language: String,
    /// Languages offered, each with its own name for the language switch.
    pub languages: Vec<LanguageChoice>,
    /// The interface's words in `lang`, complete (the bundle's, else the shipped ones).
    pub words: BTreeMap<String, String>,
    /// BCP 47 tag of `lang` for dates, numbers and plural rules.
    pub locale: String,
    /// Which way `lang` is written: `rtl` mirrors the screen.
    pub direction: Direction,
    /// The on-screen keyboard for names in `lang` (see [`crate::words::KEYBOARDS`]).
    pub keyboard: String,
    /// The embassy's emblem as a `data:` URL; none: the header shows only the name.
    pub emblem: Option<String>,
    /// The band under the header as a `data:` URL; none: a plain band.
    pub ornament: Option<String>,
    /// Whole-ending keys of the email keyboard.
    pub email_endings: Vec<String>,
    /// The embassy's time zone.
    pub timezone: String,
    /// Seconds of no touch before attract mode.
    pub idle_timeout_secs: u32,
    /// Seconds per attract slide.
    pub attract_slide_secs: u32,
    /// Theme colours.
    pub theme: Theme,
    /// Sections in order.
    pub sections: Vec<SectionSummary>,
    /// How many music tracks the bundle has: with none, the home screen has no music tile.
    pub tracks: u32,
}

/// A language on the language switch.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LanguageChoice {
    /// ISO 639 code (`lang-<code>` is its button's test id).
    pub code: String,
    /// Its own name ("Қазақша", "العربية").
    pub name: String,
    /// Which way it is written (its button's text direction).
    pub direction: Direction,
    /// BCP 47 tag for its dates and numbers.
    pub locale: String,
    /// Its "Touch to explore", for attract mode's invitation in every language.
    pub invite: String,
}

/// A section on the home screen.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SectionSummary {
    /// Stable id.
    pub id: String,
    /// Title in the chosen language (or the default's).
    pub title: String,
    /// Plain-text excerpt.
    pub excerpt: String,
    /// Language of this item's text.
    pub lang: String,
}

/// One section, ready to show.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SectionView {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Sanitised HTML body.
    pub html: String,
    /// Language of the text shown.
    pub lang: String,
}

/// One event, with times in the embassy's time zone.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EventView {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Location, if given.
    pub location: Option<String>,
    /// Sanitised HTML description, if given.
    pub description_html: Option<String>,
    /// Start, RFC 3339 with the embassy's UTC offset.
    pub start: String,
    /// End, RFC 3339 with the embassy's UTC offset.
    pub end: String,
    /// `YYYY-MM` of the start in the embassy's time zone, for grouping by month.
    pub month: String,
    /// The embassy's IANA time zone.
    pub timezone: String,
}

/// A music track's description (audio fetched separately).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrackInfo {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Credit line.
    pub credit: String,
    /// Decoded length in milliseconds.
    pub duration_ms: u64,
    /// MIME type.
    pub mime: String,
}

/// A whole bundle at a glance (for `kioskctl bundle inspect`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Summary {
    /// Identity.
    pub meta: Meta,
    /// Settings.
    pub settings: Settings,
    /// File size in bytes.
    pub size_bytes: u64,
    /// Sections: id, title (default language), languages present.
    pub sections: Vec<SummarySection>,
    /// All events, past ones included, in the default language.
    pub events: Vec<EventView>,
    /// Tracks.
    pub tracks: Vec<SummaryTrack>,
}

/// A section line of a [`Summary`].
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SummarySection {
    /// Stable id.
    pub id: String,
    /// Title in the default language.
    pub title: String,
    /// Languages the section has its own text in.
    pub languages: Vec<String>,
}

/// A track line of a [`Summary`].
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SummaryTrack {
    /// Stable id.
    pub id: String,
    /// Title in the default language.
    pub title: String,
    /// Decoded length.
    pub duration_ms: u64,
    /// Encoded size.
    pub bytes: u64,
}

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VerifyReport {
    /// Identity of the verified bundle.
    pub meta: Meta,
    /// Sections, events, tracks.
    pub counts: (usize, usize, usize),
}

impl Bundle {
    /// Opens a bundle read-only and checks it is one of ours, in a layout we read.
    pub fn open(path: &Path) -> Result<Self, BundleError> {
        std::fs::metadata(path).map_err(|source| BundleError::Io { path: path.to_path_buf(), source })?;
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.pragma_update(None, "query_only", true)?;
        let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        if app_id != APPLICATION_ID {
            return Err(BundleError::Unsupported(format!(
                "{} is a SQLite file but not a kiosk content bundle",
                path.display()
            )));
        }
        let user_version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if user_version != SCHEMA_VERSION {
            return Err(BundleError::Unsupported(format!(
                "schema version {user_version}; this kiosk reads version {SCHEMA_VERSION} — update the kiosk software or rebuild the bundle"
            )));
        }
        let meta = read_meta(&conn)?;
        let mut settings = read_settings(&conn)?;
        // A bundle built before bundles carried the interface's words (or
        // one missing a language) speaks with the shipped words.
        // ... and one built before a word was added: the shipped word for it.
        // A language listed twice (by another tool) is offered once.
        let mut seen = std::collections::BTreeSet::new();
        settings.languages.retain(|l| seen.insert(l.clone()));
        let mut langs = vec![settings.default_language.clone()];
        langs.extend(settings.languages.iter().filter(|l| **l != settings.default_language).cloned());
        for (lang, shipped) in words::resolve(&langs, &BTreeMap::new(), &BTreeMap::new()).0 {
            match settings.ui.get_mut(&lang) {
                None => {
                    settings.ui.insert(lang, shipped);
                }
                Some(ui) => {
                    for (key, word) in shipped.words {
                        ui.words.entry(key).or_insert(word);
                    }
                }
            }
        }
        let tz = TimeZone::get(&settings.timezone)
            .map_err(|e| BundleError::Corrupt(format!("time zone {}: {e}", settings.timezone)))?;
        Ok(Self { conn, path: path.to_path_buf(), meta, settings, tz })
    }

    /// The file this bundle was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bundle's identity.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The kiosk-wide settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// `lang` if offered, else the default language.
    pub fn resolve_lang(&self, lang: Option<&str>) -> String {
        match lang {
            Some(l) if self.settings.languages.iter().any(|x| x == l) => l.to_string(),
            _ => self.settings.default_language.clone(),
        }
    }

    /// The interface in `lang` (a language the bundle offers), else in the
    /// default language.
    pub fn ui(&self, lang: &str) -> &UiLanguage {
        let s = &self.settings;
        s.ui.get(lang).or_else(|| s.ui.get(&s.default_language)).expect("open gives every offered language its words")
    }

    /// The signup consent statement for `lang`: the language used (after
    /// fallback to the default), the text shown, and the statement's version.
    pub fn consent(&self, lang: Option<&str>) -> (String, String, u32) {
        let lang = self.resolve_lang(lang);
        let c = &self.settings.consent;
        let text = crate::model::pick(&c.text, &lang, &self.settings.default_language).unwrap_or_default().to_string();
        (lang, text, c.version)
    }

    /// The home screen's data in `lang`.
    pub fn home(&self, lang: Option<&str>) -> Result<Home, BundleError> {
        let lang = self.resolve_lang(lang);
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.id, t.title, t.excerpt, t.lang FROM sections s
             JOIN section_texts t ON t.section_id = s.id
              AND t.lang = CASE WHEN EXISTS (SELECT 1 FROM section_texts x WHERE x.section_id = s.id AND x.lang = ?1) THEN ?1 ELSE ?2 END
             ORDER BY s.ord, s.id",
        )?;
        let sections = stmt
            .query_map(params![lang, self.settings.default_language], |r| {
                Ok(SectionSummary { id: r.get(0)?, title: r.get(1)?, excerpt: r.get(2)?, lang: r.get(3)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let tracks: u32 = self.conn.query_row("SELECT count(*) FROM tracks", [], |r| r.get(0))?;
        let s = &self.settings;
        let ui = self.ui(&lang);
        Ok(Home {
            bundle: self.meta.clone(),
            languages: s
                .languages
                .iter()
                .map(|code| {
                    let l = self.ui(code);
                    LanguageChoice {
                        code: code.clone(),
                        name: l.name.clone(),
                        direction: l.direction,
                        locale: l.locale.clone(),
                        invite: l.words.get("touchToExplore").cloned().unwrap_or_default(),
                    }
                })
                .collect(),
            words: ui.words.clone(),
            locale: ui.locale.clone(),
            direction: ui.direction,
            keyboard: ui.keyboard.clone(),
            emblem: s.identity.emblem.as_ref().map(|i| i.data_url()),
            ornament: s.identity.ornament.as_ref().map(|i| i.data_url()),
            email_endings: s.identity.email_endings.clone(),
            lang,
            default_language: s.default_language.clone(),
            timezone: s.timezone.clone(),
            idle_timeout_secs: s.idle_timeout_secs,
            attract_slide_secs: s.attract_slide_secs,
            theme: s.theme.clone(),
            sections,
            tracks,
        })
    }

    /// One section in `lang` (falling back to the default language).
    pub fn section(&self, id: &str, lang: Option<&str>) -> Result<SectionView, BundleError> {
        let lang = self.resolve_lang(lang);
        let mut stmt = self.conn.prepare_cached(
            "SELECT title, html, lang FROM section_texts WHERE section_id = ?1 AND lang IN (?2, ?3)
             ORDER BY lang = ?2 DESC LIMIT 1",
        )?;
        stmt.query_row(params![id, lang, self.settings.default_language], |r| {
            Ok(SectionView { id: id.to_string(), title: r.get(0)?, html: r.get(1)?, lang: r.get(2)? })
        })
        .optional()?
        .ok_or_else(|| BundleError::NotFound(format!("section `{id}`")))
    }

    /// Events not yet over at `now`, soonest first, in `lang`.
    pub fn upcoming_events(&self, now: Timestamp, lang: Option<&str>) -> Result<Vec<EventView>, BundleError> {
        let lang = self.resolve_lang(lang);
        let default = &self.settings.default_language;
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.start_utc_ms, e.end_utc_ms,
                    COALESCE(l.title, d.title), COALESCE(l.location, d.location),
                    COALESCE(l.description_html, d.description_html)
             FROM events e
             LEFT JOIN event_texts l ON l.event_id = e.id AND l.lang = ?2
             LEFT JOIN event_texts d ON d.event_id = e.id AND d.lang = ?3
             WHERE e.end_utc_ms > ?1
             ORDER BY e.start_utc_ms, e.id",
        )?;
        let rows = stmt.query_map(params![now.as_millisecond(), lang, default], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, start, end, title, location, description_html) = row?;
            let zoned = |ms: i64| {
                Timestamp::from_millisecond(ms)
                    .map(|t| t.to_zoned_datetime(self.tz.clone()))
                    .map_err(|e| BundleError::Corrupt(format!("event `{id}` time: {e}")))
            };
            let (start, end) = (zoned(start)?, zoned(end)?);
            out.push(EventView {
                title: title.ok_or_else(|| BundleError::Corrupt(format!("event `{id}` has no title")))?,
                month: start.strftime("%Y-%m").to_string(),
                start: start.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                end: end.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                timezone: self.settings.timezone.clone(),
                id,
                location,
                description_html,
            });
        }
        Ok(out)
    }

    /// The music tracks in order, described in `lang`.
    pub fn tracks(&self, lang: Option<&str>) -> Result<Vec<TrackInfo>, BundleError> {
        let lang = self.resolve_lang(lang);
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.id, COALESCE(l.title, d.title, t.id), COALESCE(l.credit, d.credit, ''), t.duration_ms, t.mime
             FROM tracks t
             LEFT JOIN track_texts l ON l.track_id = t.id AND l.lang = ?1
             LEFT JOIN track_texts d ON d.track_id = t.id AND d.lang = ?2
             ORDER BY t.ord",
        )?;
        let rows = stmt.query_map(params![lang, self.settings.default_language], |r| {
            Ok(TrackInfo {
                id: r.get(0)?,
                title: r.get(1)?,
                credit: r.get(2)?,
                duration_ms: r.get::<_, i64>(3)? as u64,
                mime: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A track's encoded audio.
    pub fn track_audio(&self, id: &str) -> Result<Vec<u8>, BundleError> {
        self.conn
            .query_row("SELECT audio FROM tracks WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| BundleError::NotFound(format!("track `{id}`")))
    }

    /// Everything in the bundle, summarised in its default language.
    pub fn summary(&self) -> Result<Summary, BundleError> {
        let mut stmt = self.conn.prepare(
            "SELECT s.id, (SELECT title FROM section_texts WHERE section_id = s.id AND lang = ?1),
                    (SELECT group_concat(lang, ',') FROM (SELECT lang FROM section_texts WHERE section_id = s.id ORDER BY lang))
             FROM sections s ORDER BY s.ord, s.id",
        )?;
        let sections = stmt
            .query_map([&self.settings.default_language], |r| {
                Ok(SummarySection {
                    id: r.get(0)?,
                    title: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    languages: r.get::<_, String>(2)?.split(',').map(String::from).collect(),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = self.conn.prepare("SELECT id, length(audio) FROM tracks ORDER BY ord")?;
        let sizes = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let tracks = self
            .tracks(None)?
            .into_iter()
            .zip(sizes)
            .map(|(t, (_, bytes))| SummaryTrack {
                id: t.id,
                title: t.title,
                duration_ms: t.duration_ms,
                bytes: bytes as u64,
            })
            .collect();
        let size_bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        Ok(Summary {
            meta: self.meta.clone(),
            settings: self.settings.clone(),
            size_bytes,
            sections,
            events: self.upcoming_events(Timestamp::MIN, None)?,
            tracks,
        })
    }

    /// Checks what the kiosk would render as the kiosk itself would make it:
    /// every stored HTML fragment (section bodies, event descriptions) must be
    /// exactly what its sanitiser produces from it, and every theme value a
    /// colour. A bundle built by `kioskctl` always passes; one made or edited
    /// by another tool and then signed cannot slip in `<style>`, forms, images
    /// or CSS through the theme.
    pub fn check_rendered(&self) -> Result<(), BundleError> {
        let t = &self.settings.theme;
        for (name, value) in
            [("primary", &t.primary), ("accent", &t.accent), ("background", &t.background), ("text", &t.text)]
        {
            if !crate::model::is_hex_colour(value) {
                return Err(BundleError::Unsafe(format!(
                    "theme.{name} {value:?} is not a colour (\"#RRGGBB\"); rebuild the bundle with kioskctl bundle build"
                )));
            }
        }
        let identity = &self.settings.identity;
        for (name, image) in [("emblem", &identity.emblem), ("ornament", &identity.ornament)] {
            if let Some(Err(problem)) = image.as_ref().map(|i| i.recheck()) {
                return Err(BundleError::Unsafe(format!(
                    "the {name} is not an image the kiosk shows ({}); rebuild the bundle with kioskctl bundle build",
                    problem.message
                )));
            }
        }
        for lang in &self.settings.languages {
            words::check_language(lang, self.ui(lang)).map_err(BundleError::Unsafe)?;
        }
        crate::model::check_email_endings(&identity.email_endings).map_err(BundleError::Unsafe)?;
        let mut stmt = self.conn.prepare(
            "SELECT 'section', section_id, lang, html FROM section_texts
             UNION ALL
             SELECT 'event', event_id, lang, description_html FROM event_texts WHERE description_html IS NOT NULL
             ORDER BY 1, 2, 3",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (kind, id, lang, html): (String, String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let clean = crate::render::resanitise(&html);
            if clean != html {
                let at = html
                    .char_indices()
                    .zip(clean.chars())
                    .find(|((_, a), b)| a != b)
                    .map_or(clean.len().min(html.len()), |((i, _), _)| i);
                let near: String = html[at..].chars().take(40).collect();
                return Err(BundleError::Unsafe(format!(
                    "{kind} `{id}` ({lang}): its HTML is not what the kiosk's sanitiser makes of it (near {near:?}); \
                     rebuild the bundle with kioskctl bundle build"
                )));
            }
        }
        Ok(())
    }

    /// Full check: SQLite integrity, every audio blob against its hash, every
    /// section and event readable in the default language, and what it would
    /// render as the kiosk makes it ([`Bundle::check_rendered`]).
    pub fn verify(&self) -> Result<VerifyReport, BundleError> {
        let check: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(BundleError::Corrupt(format!("SQLite integrity check: {check}")));
        }
        self.check_rendered()?;
        let mut stmt = self.conn.prepare("SELECT id, sha256, audio FROM tracks")?;
        let mut tracks = 0;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, sha, audio): (String, String, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if hex(&Sha256::digest(&audio)) != sha {
                return Err(BundleError::Corrupt(format!("track `{id}`: audio does not match its hash")));
            }
            tracks += 1;
        }
        let home = self.home(None)?;
        let total_sections: i64 = self.conn.query_row("SELECT COUNT(*) FROM sections", [], |r| r.get(0))?;
        if home.sections.len() as i64 != total_sections {
            return Err(BundleError::Corrupt("a section has no text in the default language".into()));
        }
        for s in &home.sections {
            self.section(&s.id, None)?;
        }
        let events: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM events e WHERE EXISTS (SELECT 1 FROM event_texts t WHERE t.event_id = e.id AND t.lang = ?1 AND t.title IS NOT NULL)",
            [&self.settings.default_language],
            |r| r.get(0),
        )?;
        let total_events: i64 = self.conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
        if events != total_events {
            return Err(BundleError::Corrupt("an event has no title in the default language".into()));
        }
        Ok(VerifyReport { meta: self.meta.clone(), counts: (total_sections as usize, total_events as usize, tracks) })
    }
}

fn read_meta(conn: &Connection) -> Result<Meta, BundleError> {
    let get = |key: &str| -> Result<String, BundleError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?
            .ok_or_else(|| BundleError::Corrupt(format!("meta `{key}` is missing")))
    };
    let num = |key: &str| -> Result<u64, BundleError> {
        get(key)?.parse().map_err(|_| BundleError::Corrupt(format!("meta `{key}` is not a number")))
    };
    Ok(Meta {
        schema_version: num("schema_version")? as u32,
        bundle_version: num("bundle_version")?,
        channel: get("channel")?,
        build_time: get("build_time")?,
        content_hash: get("content_hash")?,
    })
}

fn read_settings(conn: &Connection) -> Result<Settings, BundleError> {
    let mut stmt = conn.prepare("SELECT key, value FROM settings")?;
    let mut map = serde_json::Map::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (k, v): (String, String) = (r.get(0)?, r.get(1)?);
        let v = serde_json::from_str(&v).map_err(|e| BundleError::Corrupt(format!("setting `{k}`: {e}")))?;
        map.insert(k, v);
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| BundleError::Corrupt(format!("settings: {e}")))
}
