//! Reads a `content/` folder into the studio's documents, tolerantly: a
//! folder with mistakes in it still opens (the mistakes are listed as
//! problems), because the studio is where staff come to fix them.

use std::collections::BTreeMap;
use std::path::Path;

use toml_edit::{DocumentMut, Item, Value};

use crate::docs::{ConsentDoc, Drafts, EventDoc, Localized, MusicDoc, SectionDoc, SettingsDoc, ThemeDoc, TrackDoc};
use crate::files;

pub const SETTINGS: &str = "settings.toml";
pub const EVENTS: &str = "events.toml";
pub const TRACKS: &str = "music/tracks.toml";
pub const SECTIONS: &str = "sections";

/// A TOML file parsed for editing; an absent file is an empty document.
pub fn toml_doc(dir: &Path, rel: &str) -> Result<DocumentMut, String> {
    let text = files::read_text(&dir.join(rel))?.unwrap_or_default();
    text.parse::<DocumentMut>().map_err(|e| format!("{rel}: {}", e.message()))
}

/// The folder as documents.
pub fn drafts(dir: &Path) -> Result<Drafts, String> {
    let settings = settings(&toml_doc(dir, SETTINGS)?);
    let default = settings.default_language.clone();
    Ok(Drafts {
        sections: sections(dir, &default)?,
        events: events(&toml_doc(dir, EVENTS)?, &default),
        tracks: tracks(&toml_doc(dir, TRACKS)?, &default),
        settings,
    })
}

/// The embassy's name in the default language, or "" when not set.
pub fn embassy(dir: &Path) -> String {
    let Ok(doc) = toml_doc(dir, SETTINGS) else { return String::new() };
    let default = doc.get("default_language").and_then(Item::as_str).unwrap_or("en").to_string();
    let name = doc.get("identity").and_then(|i| i.get("name"));
    localized(name, &default).remove(&default).unwrap_or_default()
}

pub fn str_of(item: Option<&Item>) -> String {
    item.and_then(Item::as_value).map(value_text).unwrap_or_default()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.value().clone(),
        Value::Datetime(d) => {
            let t = d.value().to_string();
            // `2026-10-23T18:00:00` written as a TOML date-time: the pickers want minutes.
            if t.len() == 19 && t.ends_with(":00") { t[..16].to_string() } else { t }
        }
        other => other.to_string().trim().to_string(),
    }
}

fn int_of(item: Option<&Item>, or: i64) -> i64 {
    item.and_then(Item::as_integer).unwrap_or(or)
}

/// A localized value: a plain string is the default language's.
pub fn localized(item: Option<&Item>, default: &str) -> Localized {
    match item {
        Some(Item::Value(Value::InlineTable(t))) => t.iter().map(|(k, v)| (k.to_string(), value_text(v))).collect(),
        Some(Item::Table(t)) => t.iter().map(|(k, v)| (k.to_string(), str_of(Some(v)))).collect(),
        Some(item @ Item::Value(_)) => BTreeMap::from([(default.to_string(), str_of(Some(item)))]),
        _ => Localized::new(),
    }
}

fn settings(doc: &DocumentMut) -> SettingsDoc {
    let default = doc.get("default_language").and_then(Item::as_str).unwrap_or("en").to_string();
    let languages = doc
        .get("languages")
        .and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_else(|| vec![default.clone()]);
    let theme = |k: &str| str_of(doc.get("theme").and_then(|t| t.get(k)));
    let music = doc.get("music");
    let consent = doc.get("consent");
    SettingsDoc {
        languages,
        timezone: str_of(doc.get("timezone")),
        idle_timeout_secs: int_of(doc.get("idle_timeout_secs"), 90),
        attract_slide_secs: int_of(doc.get("attract_slide_secs"), 8),
        theme: ThemeDoc {
            primary: theme("primary"),
            accent: theme("accent"),
            background: theme("background"),
            text: theme("text"),
        },
        music: MusicDoc {
            continuous: music.and_then(|m| m.get("continuous")).and_then(Item::as_bool).unwrap_or(false),
            attract: music.and_then(|m| m.get("attract")).and_then(Item::as_bool).unwrap_or(false),
            attract_volume: music.and_then(|m| m.get("attract_volume")).and_then(Item::as_float).unwrap_or(0.3),
        },
        consent: ConsentDoc {
            version: int_of(consent.and_then(|c| c.get("version")), 1),
            text: localized(consent.and_then(|c| c.get("text")), &default),
        },
        default_language: default,
    }
}

fn events(doc: &DocumentMut, default: &str) -> Vec<EventDoc> {
    let Some(list) = doc.get("event").and_then(Item::as_array_of_tables) else { return Vec::new() };
    list.iter()
        .map(|t| EventDoc {
            id: str_of(t.get("id")),
            start: str_of(t.get("start")),
            end: str_of(t.get("end")),
            timezone: t.get("timezone").map(|v| str_of(Some(v))),
            title: localized(t.get("title"), default),
            location: localized(t.get("location"), default),
            description: localized(t.get("description"), default),
        })
        .collect()
}

fn tracks(doc: &DocumentMut, default: &str) -> Vec<TrackDoc> {
    let Some(list) = doc.get("track").and_then(Item::as_array_of_tables) else { return Vec::new() };
    list.iter()
        .map(|t| TrackDoc {
            id: str_of(t.get("id")),
            file: str_of(t.get("file")),
            title: localized(t.get("title"), default),
            credit: localized(t.get("credit"), default),
        })
        .collect()
}

/// A Markdown file split into its front matter (between the first two `+++`
/// lines) and its body.
pub struct Markdown<'a> {
    pub front: &'a str,
    pub body: &'a str,
}

pub fn split_markdown(text: &str) -> Option<Markdown<'_>> {
    let rest = text.strip_prefix("+++\n").or_else(|| text.strip_prefix("+++\r\n"))?;
    let end = rest.find("\n+++")?;
    let front = &rest[..end + 1];
    let after = &rest[end + 4..];
    let body = after.strip_prefix("\r\n").or_else(|| after.strip_prefix('\n')).unwrap_or(after);
    Some(Markdown { front, body: body.strip_prefix('\n').unwrap_or(body) })
}

/// `<stem>.<lang>.md` → (stem, lang) when `lang` looks like a language code.
pub fn translation_name(name: &str) -> Option<(&str, &str)> {
    let stem = name.strip_suffix(".md")?;
    let (base, lang) = stem.rsplit_once('.')?;
    crate::write::is_language_code(lang).then_some((base, lang))
}

/// The `.md` files under `sections/`, sorted.
pub fn section_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(SECTIONS))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn sections(dir: &Path, default: &str) -> Result<Vec<SectionDoc>, String> {
    let names = section_files(dir);
    let mut found: Vec<(i64, SectionDoc)> = Vec::new();
    for name in names.iter().filter(|n| translation_name(n).is_none()) {
        let stem = name.trim_end_matches(".md").to_string();
        let text = files::read_text(&dir.join(SECTIONS).join(name))?.unwrap_or_default();
        let (front, body) = match split_markdown(&text) {
            Some(m) => (m.front.parse::<DocumentMut>().unwrap_or_default(), m.body.to_string()),
            None => (DocumentMut::new(), text.clone()),
        };
        let id = front.get("id").and_then(Item::as_str).unwrap_or(&stem).to_string();
        let mut doc = SectionDoc {
            file: Some(stem.clone()),
            id,
            title: BTreeMap::from([(default.to_string(), str_of(front.get("title")))]),
            body: BTreeMap::from([(default.to_string(), body.trim_end().to_string())]),
        };
        for t in names.iter().filter(|n| translation_name(n).is_some_and(|(b, _)| b == stem)) {
            let (_, lang) = translation_name(t).unwrap_or_default();
            let text = files::read_text(&dir.join(SECTIONS).join(t))?.unwrap_or_default();
            if let Some(m) = split_markdown(&text) {
                let front = m.front.parse::<DocumentMut>().unwrap_or_default();
                doc.title.insert(lang.to_string(), str_of(front.get("title")));
                doc.body.insert(lang.to_string(), m.body.trim_end().to_string());
            }
        }
        found.push((int_of(front.get("order"), i64::MAX), doc));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    Ok(found.into_iter().map(|(_, d)| d).collect())
}
