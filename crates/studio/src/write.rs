//! Turns the studio's documents back into the files of `content/`, changing
//! only what changed: comments, key order and untouched values stay as staff
//! or a developer wrote them (toml_edit), so the folder stays friendly to
//! version control and to editing by hand.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use crate::docs::{Drafts, EventDoc, Localized, SectionDoc, SettingsDoc, TrackDoc};
use crate::files;
use crate::read::{self, EVENTS, SECTIONS, SETTINGS, TRACKS};

/// One file to write (`Some`) or remove (`None`), relative to the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub rel: String,
    pub bytes: Option<Vec<u8>>,
}

impl FileChange {
    /// Where the change lands under `dir`: `None` unless `rel` is a plain
    /// relative path (no `..`, no root), so nothing is written outside.
    pub fn path_in(&self, dir: &Path) -> Option<std::path::PathBuf> {
        let plain = Path::new(&self.rel).components().all(|c| matches!(c, std::path::Component::Normal(_)));
        (plain && !self.rel.is_empty()).then(|| dir.join(&self.rel))
    }
}

/// The files that differ between the folder and the drafts. Uploaded audio
/// the drafts name (`uploads`: file name → bytes) is added to `music/`.
pub fn plan(dir: &Path, drafts: &Drafts, uploads: &BTreeMap<String, Vec<u8>>) -> Result<Vec<FileChange>, String> {
    let langs = languages(&drafts.settings);
    let mut out = Vec::new();
    let mut put = |rel: String, bytes: Option<Vec<u8>>| -> Result<(), String> {
        let now = std::fs::read(dir.join(&rel)).ok();
        if now != bytes {
            out.push(FileChange { rel, bytes });
        }
        Ok(())
    };
    for t in &drafts.tracks {
        if let Some(bytes) = uploads.get(&t.file)
            && !dir.join("music").join(&t.file).exists()
        {
            put(format!("music/{}", t.file), Some(bytes.clone()))?;
        }
    }
    for c in sections(dir, &drafts.sections, &langs)? {
        put(c.rel, c.bytes)?;
    }
    let mut doc = read::toml_doc(dir, SETTINGS)?;
    settings(&mut doc, &drafts.settings, &langs);
    put(SETTINGS.into(), Some(doc.to_string().into_bytes()))?;
    let mut doc = read::toml_doc(dir, EVENTS)?;
    tables(&mut doc, "event", drafts.events.iter().map(|e| (e.id.as_str(), event_fields(e))), &langs);
    put(EVENTS.into(), Some(doc.to_string().into_bytes()))?;
    if !drafts.tracks.is_empty() || dir.join(TRACKS).exists() {
        let mut doc = read::toml_doc(dir, TRACKS)?;
        tables(&mut doc, "track", drafts.tracks.iter().map(|t| (t.id.as_str(), track_fields(t))), &langs);
        put(TRACKS.into(), Some(doc.to_string().into_bytes()))?;
    }
    // Removals last, so a crash half-way leaves more files, never fewer.
    out.sort_by_key(|c| c.bytes.is_none());
    Ok(out)
}

/// Whether a new section's file stem is a plain name in `sections/`: small
/// letters, digits and hyphens, as the bundle's ids are.
pub fn is_safe_stem(stem: &str) -> bool {
    !stem.is_empty()
        && stem.len() <= 64
        && !stem.starts_with('-')
        && stem.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A language code as a translation's file name carries it (`kk` in
/// `overview.kk.md`): two or three small letters.
pub fn is_language_code(lang: &str) -> bool {
    (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase())
}

/// Languages with the default first, as a plain string means the default's.
pub fn languages(s: &SettingsDoc) -> Vec<String> {
    let mut langs = vec![s.default_language.clone()];
    langs.extend(s.languages.iter().filter(|l| **l != s.default_language).cloned());
    langs
}

/// What a field of a `[[table]]` becomes.
enum Field<'a> {
    Text(&'a str),
    Optional(Option<&'a str>),
    Localized(&'a Localized),
}

fn event_fields(e: &EventDoc) -> Vec<(&'static str, Field<'_>)> {
    vec![
        ("id", Field::Text(&e.id)),
        ("start", Field::Text(&e.start)),
        ("end", Field::Text(&e.end)),
        ("timezone", Field::Optional(e.timezone.as_deref().filter(|t| !t.trim().is_empty()))),
        ("title", Field::Localized(&e.title)),
        ("location", Field::Localized(&e.location)),
        ("description", Field::Localized(&e.description)),
    ]
}

fn track_fields(t: &TrackDoc) -> Vec<(&'static str, Field<'_>)> {
    vec![
        ("id", Field::Text(&t.id)),
        ("file", Field::Text(&t.file)),
        ("title", Field::Localized(&t.title)),
        ("credit", Field::Localized(&t.credit)),
    ]
}

/// Rebuilds `[[name]]` in the drafts' order: each table kept (with its
/// comments) by id and patched, new ones appended, removed ones dropped. The
/// comment above the first table stays at the top of the file.
fn tables<'a>(
    doc: &mut DocumentMut,
    name: &str,
    items: impl Iterator<Item = (&'a str, Vec<(&'static str, Field<'a>)>)>,
    langs: &[String],
) {
    let old: Vec<Table> =
        doc.get(name).and_then(Item::as_array_of_tables).map(|a| a.iter().cloned().collect()).unwrap_or_default();
    let head = old.first().map(|t| t.decor().prefix().cloned());
    // Tables are printed in the order of their positions in the document:
    // number them in the drafts' order, from where the first one stood.
    let base = old.iter().filter_map(Table::position).min().unwrap_or(1);
    let mut new = ArrayOfTables::new();
    for (i, (id, fields)) in items.enumerate() {
        let found = old.iter().position(|t| t.get("id").and_then(Item::as_str) == Some(id));
        let mut table = found.map(|p| old[p].clone()).unwrap_or_else(|| {
            let mut t = Table::new();
            t.decor_mut().set_prefix("\n");
            t
        });
        match (i, found, &head) {
            (0, _, Some(Some(prefix))) => table.decor_mut().set_prefix(prefix.clone()),
            (_, Some(0), _) => table.decor_mut().set_prefix("\n"),
            _ => {}
        }
        for (key, field) in fields {
            match field {
                Field::Text(s) => set(&mut table, key, Some(Value::from(s))),
                Field::Optional(s) => set(&mut table, key, s.map(Value::from)),
                Field::Localized(l) => {
                    let v = localized(l, langs, table.get(key));
                    set(&mut table, key, v)
                }
            }
        }
        table.set_position(Some(base + i as isize));
        new.push(table);
    }
    if new.is_empty() && old.is_empty() {
        return;
    }
    doc.insert(name, Item::ArrayOfTables(new));
}

/// Sets (or, with `None`, removes) `key`, keeping the old value's decor (its
/// trailing comment) and leaving an equal value untouched.
fn set(table: &mut Table, key: &str, value: Option<Value>) {
    match (table.get_mut(key), value) {
        (Some(item), Some(mut v)) => {
            if let Some(old) = item.as_value() {
                if same(old, &v) {
                    return;
                }
                *v.decor_mut() = old.decor().clone();
            }
            *item = Item::Value(v);
        }
        (None, Some(v)) => {
            table.insert(key, Item::Value(v));
        }
        (Some(_), None) => {
            table.remove(key);
        }
        (None, None) => {}
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        (Value::Float(x), Value::Float(y)) => x.value() == y.value(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        (Value::Datetime(x), Value::String(y)) => {
            read::str_of(Some(&Item::Value(Value::Datetime(x.clone())))) == *y.value()
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q)),
        (Value::InlineTable(x), Value::InlineTable(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

/// A localized value as the file writes it: a plain string when only the
/// default language has text (and the file did not use a table), else an
/// inline table, default language first. `None` when there is no text.
fn localized(l: &Localized, langs: &[String], old: Option<&Item>) -> Option<Value> {
    let texts: Vec<(&str, &str)> = ordered(l, langs).filter(|(_, t)| !t.trim().is_empty()).collect();
    let was_table = matches!(old, Some(Item::Value(Value::InlineTable(_))));
    match texts.as_slice() {
        [] => None,
        [(lang, text)] if *lang == langs[0] && !was_table => Some(Value::from(text.trim())),
        _ => {
            let mut t = InlineTable::new();
            for (lang, text) in texts {
                t.insert(lang, Value::from(text.trim()));
            }
            t.fmt();
            Some(Value::InlineTable(t))
        }
    }
}

/// A localized value's entries in the kiosk's languages, in their order. A
/// language no longer offered loses its texts (the bundle build would refuse
/// them); undo before saving brings them back.
fn ordered<'a>(l: &'a Localized, langs: &'a [String]) -> impl Iterator<Item = (&'a str, &'a str)> {
    langs.iter().filter_map(|lang| l.get(lang).map(|t| (lang.as_str(), t.as_str())))
}

fn table_mut<'a>(doc: &'a mut Table, key: &str) -> &'a mut Table {
    if !doc.get(key).is_some_and(Item::is_table) {
        doc.insert(key, Item::Table(Table::new()));
    }
    doc.get_mut(key).and_then(Item::as_table_mut).expect("a table was just put there")
}

fn settings(doc: &mut DocumentMut, s: &SettingsDoc, langs: &[String]) {
    let root = doc.as_table_mut();
    set(root, "default_language", Some(Value::from(s.default_language.as_str())));
    let mut list = Array::new();
    for lang in &s.languages {
        list.push(lang.as_str());
    }
    set(root, "languages", Some(Value::Array(list)));
    set(root, "timezone", Some(Value::from(s.timezone.as_str())));
    set(root, "idle_timeout_secs", Some(Value::from(s.idle_timeout_secs)));
    set(root, "attract_slide_secs", Some(Value::from(s.attract_slide_secs)));
    let theme = table_mut(root, "theme");
    for (k, v) in [
        ("primary", &s.theme.primary),
        ("accent", &s.theme.accent),
        ("background", &s.theme.background),
        ("text", &s.theme.text),
    ] {
        set(theme, k, Some(Value::from(v.as_str())));
    }
    let music = table_mut(root, "music");
    set(music, "continuous", Some(Value::from(s.music.continuous)));
    set(music, "attract", Some(Value::from(s.music.attract)));
    set(music, "attract_volume", Some(Value::from(s.music.attract_volume)));
    // The identity texts (edited by hand) lose languages no longer offered, as every other text does.
    if let Some(Item::Table(identity)) = root.get_mut("identity") {
        for (_, item) in identity.iter_mut() {
            match item {
                Item::Table(t) => t.retain(|lang, _| langs.iter().any(|l| l == lang)),
                Item::Value(Value::InlineTable(t)) => t.retain(|lang, _| langs.iter().any(|l| l == lang)),
                _ => {}
            }
        }
    }
    let consent = table_mut(root, "consent");
    set(consent, "version", Some(Value::from(s.consent.version)));
    match consent.get_mut("text") {
        Some(Item::Table(text)) => {
            let keep: BTreeSet<&str> =
                ordered(&s.consent.text, langs).filter(|(_, t)| !t.trim().is_empty()).map(|(k, _)| k).collect();
            let gone: Vec<String> =
                text.iter().map(|(k, _)| k.to_string()).filter(|k| !keep.contains(k.as_str())).collect();
            for k in gone {
                text.remove(&k);
            }
            for (lang, t) in ordered(&s.consent.text, langs).filter(|(_, t)| !t.trim().is_empty()) {
                set(text, lang, Some(Value::from(t.trim())));
            }
        }
        other => {
            let v = localized(&s.consent.text, langs, other.as_deref());
            set(consent, "text", v);
        }
    }
}

/// The Markdown files of the sections: `<stem>.md` with `id`, `order` and
/// `title`, `<stem>.<lang>.md` with `title`; removed sections lose all theirs.
fn sections(dir: &Path, drafts: &[SectionDoc], langs: &[String]) -> Result<Vec<FileChange>, String> {
    let default = &langs[0];
    let existing = read::section_files(dir);
    let mut out = Vec::new();
    let mut kept: BTreeSet<String> = BTreeSet::new();
    let mut prev: Option<i64> = None;
    for s in drafts {
        let stem = s.file.clone().unwrap_or_else(|| s.id.clone());
        // Only a file that is there, or a plain new name: never a path out of the folder.
        if !existing.contains(&format!("{stem}.md")) && !is_safe_stem(&stem) {
            return Err(format!("`{stem}` is not a section's file name"));
        }
        let rel = format!("{SECTIONS}/{stem}.md");
        let old = files::read_text(&dir.join(&rel))?.unwrap_or_default();
        let (mut front, _) = split(&old);
        let order = match front.get("order").and_then(Item::as_integer) {
            Some(o) if prev.is_none_or(|p| o > p) => o,
            _ => prev.map_or(1, |p| p + 1),
        };
        prev = Some(order);
        set(front.as_table_mut(), "id", Some(Value::from(s.id.as_str())));
        set(front.as_table_mut(), "order", Some(Value::from(order)));
        set(
            front.as_table_mut(),
            "title",
            Some(Value::from(one_line(s.title.get(default).map_or("", String::as_str)))),
        );
        out.push(FileChange {
            rel: rel.clone(),
            bytes: Some(markdown(&front, s.body.get(default).map_or("", String::as_str))),
        });
        kept.insert(format!("{stem}.md"));
        for lang in langs.iter().skip(1).filter(|l| is_language_code(l)) {
            let rel = format!("{SECTIONS}/{stem}.{lang}.md");
            let title = one_line(s.title.get(lang).map_or("", String::as_str));
            let body = s.body.get(lang).map_or("", |t| t.trim());
            if title.is_empty() && body.is_empty() {
                continue;
            }
            let old = files::read_text(&dir.join(&rel))?.unwrap_or_default();
            let (mut front, _) = split(&old);
            set(front.as_table_mut(), "title", Some(Value::from(title.as_str())));
            out.push(FileChange { rel, bytes: Some(markdown(&front, body)) });
            kept.insert(format!("{stem}.{lang}.md"));
        }
    }
    for name in existing.iter().filter(|n| !kept.contains(*n)) {
        out.push(FileChange { rel: format!("{SECTIONS}/{name}"), bytes: None });
    }
    Ok(out)
}

/// A title is one line: a line break typed or pasted into it becomes a space.
fn one_line(text: &str) -> String {
    text.trim().replace("\r\n", " ").replace(['\n', '\r'], " ")
}

fn split(text: &str) -> (DocumentMut, String) {
    match read::split_markdown(text) {
        Some(m) => (m.front.parse().unwrap_or_default(), m.body.to_string()),
        None => (DocumentMut::new(), text.to_string()),
    }
}

fn markdown(front: &DocumentMut, body: &str) -> Vec<u8> {
    let front = front.to_string();
    let front = if front.ends_with('\n') || front.is_empty() { front } else { format!("{front}\n") };
    format!("+++\n{front}+++\n\n{}\n", body.trim_end().replace("\r\n", "\n")).into_bytes()
}
