//! Importing an iCalendar file (an Outlook or Google Calendar export) into
//! `events.toml`, keyed by each event's `UID`: importing the same file again
//! changes nothing, an updated export updates its events, and a `UID`
//! marked `STATUS:CANCELLED` removes the event. Recurring events become one
//! event per occurrence within the next year (as the bundle build expands
//! `events.ics`); all-day events run from midnight to midnight.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use kiosk_content::model::Event;
use kiosk_content::source::IcsContext;

use crate::docs::{EventDoc, SettingsDoc};
use crate::write::languages;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportResult {
    pub events: Vec<EventDoc>,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub skipped: Vec<String>,
}

/// The `UID`s of the file's `VEVENT`s (unfolded) marked `STATUS:CANCELLED`.
fn cancelled_uids(ics: &str) -> BTreeSet<String> {
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "").replace("\n\t", "");
    let mut out = BTreeSet::new();
    let (mut uid, mut cancelled) = (None, false);
    for line in unfolded.lines() {
        let line = line.trim_end_matches('\r');
        if line.eq_ignore_ascii_case("BEGIN:VEVENT") {
            (uid, cancelled) = (None, false);
        } else if line.eq_ignore_ascii_case("END:VEVENT") {
            if let (Some(u), true) = (uid.take(), cancelled) {
                out.insert(u);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            let name = name.split(';').next().unwrap_or(name);
            if name.eq_ignore_ascii_case("UID") {
                uid = Some(value.trim().to_string());
            } else if name.eq_ignore_ascii_case("STATUS") {
                cancelled = value.trim().eq_ignore_ascii_case("CANCELLED");
            }
        }
    }
    out
}

/// The id an imported event's `UID` gave it: `ics-<12 hex>`, before any `-<occurrence>`.
fn uid_part(id: &str) -> &str {
    id.get(..16).filter(|p| p.starts_with("ics-")).unwrap_or(id)
}

/// Wall time in `tz` as the pickers show it.
pub fn local(t: Timestamp, tz: &str) -> String {
    let zone = TimeZone::get(tz).unwrap_or(TimeZone::UTC);
    t.to_zoned_datetime(zone).strftime("%Y-%m-%dT%H:%M").to_string()
}

fn doc(e: &Event, settings: &SettingsDoc) -> EventDoc {
    EventDoc {
        id: e.id.clone(),
        start: local(e.start, &e.timezone),
        end: local(e.end, &e.timezone),
        timezone: (e.timezone != settings.timezone).then(|| e.timezone.clone()),
        title: e.title.clone(),
        location: e.location.clone(),
        description: e.description.clone(),
    }
}

fn imported_by(id: &str, prefixes: &BTreeSet<String>) -> bool {
    prefixes.iter().any(|p| id == p || id.strip_prefix(p.as_str()).is_some_and(|r| r.starts_with('-')))
}

/// Merges the events of `ics` into `events` (the drafts'), as of `now`.
pub fn import(ics: &str, events: &[EventDoc], settings: &SettingsDoc, now: Timestamp) -> Result<ImportResult, String> {
    let langs = languages(settings);
    let (from, until) = IcsContext::window(now);
    let cx = IcsContext { languages: &langs, default_timezone: &settings.timezone, from, until };
    let mut errors = Vec::new();
    let parsed = kiosk_calendar::parse(Path::new("the calendar file"), ics.as_bytes(), &cx, &mut errors);
    // Only what the file says for sure replaces earlier imports: events that were read, and
    // cancellations. A series that failed to read keeps its earlier events.
    let mut prefixes: BTreeSet<String> = cancelled_uids(ics).iter().map(|u| kiosk_calendar::uid_id(u)).collect();
    prefixes.extend(parsed.iter().map(|e| uid_part(&e.id).to_string()));
    if prefixes.is_empty() {
        let why = errors.first().map_or("it has no events (no VEVENT with a UID)".to_string(), |e| e.message.clone());
        return Err(format!("This calendar file cannot be imported: {why}"));
    }
    let new_ids: BTreeSet<&str> = parsed.iter().map(|e| e.id.as_str()).collect();
    let old_ids: BTreeSet<&str> =
        events.iter().map(|e| e.id.as_str()).filter(|id| imported_by(id, &prefixes)).collect();
    let mut out: Vec<EventDoc> = Vec::new();
    let (mut added, mut updated) = (0, 0);
    let mut pending: Vec<EventDoc> = parsed.iter().map(|e| doc(e, settings)).collect();
    for e in events {
        if !imported_by(&e.id, &prefixes) {
            out.push(e.clone());
        } else if let Some(i) = pending.iter().position(|p| p.id == e.id) {
            let fresh = pending.remove(i);
            if fresh != *e {
                updated += 1;
            }
            out.push(fresh);
        }
    }
    for p in pending {
        added += 1;
        out.push(p);
    }
    let removed = old_ids.iter().filter(|id| !new_ids.contains(*id)).count();
    let skipped = errors.iter().map(|e| e.to_string()).collect();
    Ok(ImportResult { events: out, added, updated, removed, skipped })
}
