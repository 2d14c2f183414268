//! Places a build error next to the field it concerns. The studio wrote the
//! staged files itself, so the line an error names maps back to one key of
//! one event, track, section or setting.

use std::collections::BTreeMap;
use std::ops::Range;

use kiosk_content::ContentError;
use toml_edit::{Document, Item, Table};

use crate::docs::{Page, Problem};
use crate::read::{self, EVENTS, SETTINGS, TRACKS};

/// Locates errors in the staged folder at `root`. `stems` maps a section's
/// file stem to its id; `default` is the default language.
pub fn problems(
    root: &std::path::Path,
    errors: &[ContentError],
    stems: &BTreeMap<String, String>,
    default: &str,
) -> Vec<Problem> {
    errors.iter().map(|e| place(root, e, stems, default)).collect()
}

fn place(root: &std::path::Path, e: &ContentError, stems: &BTreeMap<String, String>, default: &str) -> Problem {
    let rel = e.file.to_string_lossy().replace('\\', "/");
    let at = Some(match e.line {
        Some(l) => format!("{rel}:{l}"),
        None => rel.clone(),
    });
    let text = std::fs::read_to_string(root.join(&e.file)).unwrap_or_default();
    let (page, field, key) = if rel == EVENTS {
        in_tables(&text, "event", e, default)
            .map_or((Page::Events, "content".into(), None), |(f, k)| (Page::Events, f, k))
    } else if rel == TRACKS || rel.starts_with("music/") {
        in_tables(&text, "track", e, default)
            .map_or((Page::Music, "content".into(), None), |(f, k)| (Page::Music, f, k))
    } else if rel == SETTINGS {
        (Page::Settings, e.line.map_or("content".into(), |l| setting_field(&text, l, default)), None)
    } else if let Some(name) = rel.strip_prefix("sections/") {
        let (stem, lang) = read::translation_name(name).unwrap_or((name.trim_end_matches(".md"), default));
        let front = e.line.is_some_and(|l| in_front_matter(&text, l));
        let field = if front { format!("section-title-{lang}") } else { format!("section-body-{lang}") };
        (Page::Sections, field, stems.get(stem).cloned())
    } else if rel == "sections" {
        (Page::Sections, "content".into(), None)
    } else {
        (Page::Settings, "content".into(), None)
    };
    Problem { page, field, key, message: plain(&e.message), at }
}

/// Rewords what the TOML parser says for someone who never saw TOML.
fn plain(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("{} is required", rest.trim_matches('`'));
    }
    message.to_string()
}

fn lines(text: &str, span: Option<Range<usize>>) -> Option<Range<usize>> {
    let span = span?;
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    Some(line(span.start)..line(span.end.saturating_sub(1).max(span.start)) + 1)
}

/// `(field, id)` of the `[[name]]` table key an error's line falls on.
fn in_tables(text: &str, name: &str, e: &ContentError, default: &str) -> Option<(String, Option<String>)> {
    let line = e.line?;
    let doc = Document::parse(text).ok()?;
    let list = doc.get(name).and_then(Item::as_array_of_tables)?;
    let tables: Vec<&Table> = list.iter().collect();
    for (i, t) in tables.iter().enumerate() {
        let start = lines(text, t.span()).map_or(usize::MAX, |r| r.start);
        let next = tables.get(i + 1).and_then(|n| lines(text, n.span())).map_or(usize::MAX, |r| r.start);
        if line < start || line >= next {
            continue;
        }
        let id = t.get("id").and_then(Item::as_str).map(str::to_string);
        for (k, item) in t.iter() {
            let key_line = t.key(k).and_then(|key| lines(text, key.span()));
            let value = lines(text, item.span());
            let covers = |r: &Option<Range<usize>>| r.as_ref().is_some_and(|r| r.contains(&line));
            if covers(&key_line) || covers(&value) {
                let field = match k {
                    "title" | "location" | "description" | "credit" => {
                        format!("{name}-{k}-{}", lang_in(&e.message, item).unwrap_or(default))
                    }
                    _ => format!("{name}-{k}"),
                };
                return Some((field, id));
            }
        }
        let missing = e.message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
        let field = match missing {
            Some(k @ ("title" | "location" | "description" | "credit")) => format!("{name}-{k}-{default}"),
            Some(k) => format!("{name}-{k}"),
            None => name.to_string(),
        };
        return Some((field, id));
    }
    None
}

/// The language an error about a localized value names (`the \`kk\` text`).
fn lang_in<'a>(message: &str, item: &'a Item) -> Option<&'a str> {
    let table = item.as_inline_table()?;
    table.iter().map(|(k, _)| k).find(|k| message.contains(&format!("`{k}`")))
}

fn setting_field(text: &str, line: usize, default: &str) -> String {
    let Ok(doc) = Document::parse(text) else { return "content".into() };
    let mut best: Option<(Vec<String>, usize)> = None;
    walk(text, doc.as_table(), &mut Vec::new(), line, &mut best);
    let Some((path, _)) = best else { return "content".into() };
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["theme", k, ..] => format!("theme-{k}"),
        ["consent", "text", lang, ..] => format!("consent-text-{lang}"),
        ["consent", "text"] => format!("consent-text-{default}"),
        ["consent", ..] => "consent-version".into(),
        ["idle_timeout_secs"] => "settings-idle".into(),
        ["attract_slide_secs"] => "settings-slide".into(),
        [k] => format!("settings-{k}"),
        [k, ..] => format!("settings-{k}"),
        [] => "content".into(),
    }
}

/// The deepest key whose key or value covers `line`.
fn walk(text: &str, t: &Table, path: &mut Vec<String>, line: usize, best: &mut Option<(Vec<String>, usize)>) {
    for (k, item) in t.iter() {
        path.push(k.to_string());
        let key_line = t.key(k).and_then(|key| lines(text, key.span()));
        let covered = [key_line, lines(text, item.span())].into_iter().flatten().any(|r| r.contains(&line));
        if covered && best.as_ref().is_none_or(|(p, _)| path.len() >= p.len()) {
            *best = Some((path.clone(), path.len()));
        }
        match item {
            Item::Table(sub) => walk(text, sub, path, line, best),
            Item::Value(toml_edit::Value::InlineTable(sub)) => {
                for (lk, v) in sub.iter() {
                    if lines(text, v.span()).is_some_and(|r| r.contains(&line)) {
                        path.push(lk.to_string());
                        *best = Some((path.clone(), path.len()));
                        path.pop();
                    }
                }
            }
            _ => {}
        }
        path.pop();
    }
}

fn in_front_matter(text: &str, line: usize) -> bool {
    let mut fences = 0;
    for (i, l) in text.lines().enumerate() {
        if l.trim() == "+++" {
            fences += 1;
        }
        if i + 1 == line {
            return fences == 1 || (fences == 2 && l.trim() == "+++");
        }
    }
    false
}
