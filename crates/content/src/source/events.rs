//! Events: `events.toml` (`[[event]]` tables), `events.ics` or a fetched
//! calendar read by the plugged-in [`CalendarReader`](super::CalendarReader),
//! or both; an id may be used only once across them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::Spanned;

use super::{IcsContext, IcsFeed, Loader, RawLocalized, is_id};
use crate::error::ContentError;
use crate::model::{Event, Localized, Settings};

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

/// Where `events.toml` is and what it says, for errors that name its lines.
struct EventsFile<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Loader<'_> {
    /// `events.toml`, `events.ics` (or a fetched feed), or both.
    pub(super) fn events(&mut self, settings: &Settings) -> Vec<Event> {
        let feed = self.options.events_feed.clone();
        let has_ics = feed.is_some() || self.dir.join("events.ics").exists();
        let mut events =
            if self.dir.join("events.toml").exists() || !has_ics { self.toml_events(settings) } else { Vec::new() };
        if has_ics {
            self.calendar_events(settings, feed, &mut events);
        }
        events.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        events
    }

    /// Adds the calendar's events (the feed's, else `events.ics`) to `events`,
    /// refusing an id `events.toml` already uses.
    fn calendar_events(&mut self, settings: &Settings, feed: Option<IcsFeed>, events: &mut Vec<Event>) {
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
        let (Some(bytes), Some(reader)) = (bytes, reader) else {
            return;
        };
        let langs = Self::langs(settings);
        let (from, until) = IcsContext::window(self.options.now);
        let cx = IcsContext { languages: &langs, default_timezone: &settings.timezone, from, until };
        let ids: BTreeSet<String> = events.iter().map(|e| e.id.clone()).collect();
        let text = String::from_utf8_lossy(&bytes);
        for e in reader.read(&file, &bytes, &cx, &mut self.errors) {
            // Only what the kiosk shows is checked (a past event or another
            // property with an emoji does not stop the build); the line is
            // the first of the calendar with that character.
            let shown = [&e.title, &e.location, &e.description].into_iter().flat_map(|t| t.values());
            if let Some(c) = shown.filter_map(|t| crate::fonts::first_undrawable(t)).map(|(_, c)| c).next() {
                let line = text.lines().position(|l| l.contains(c)).map_or(1, |i| i + 1);
                let error = ContentError::at(&file, line, crate::fonts::message(c));
                if !self.errors.contains(&error) {
                    self.errors.push(error);
                }
                continue;
            }
            // A picture in a description is refused as in events.toml, at
            // the first line of the calendar that names its file.
            if let Some(p) = e.description.values().flat_map(|d| super::alternatives::pictures(d)).next() {
                let line = text.lines().position(|l| l.contains(&format!("]({}", p.file))).map_or(1, |i| i + 1);
                let message = format!("event `{}`: {}", e.id, super::alternatives::picture_message(&p));
                self.errors.push(ContentError::at(&file, line, message));
                continue;
            }
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

    fn toml_events(&mut self, settings: &Settings) -> Vec<Event> {
        let rel = "events.toml";
        let file = self.dir.join(rel);
        let Some(text) = self.read_text(rel) else {
            return Vec::new();
        };
        let Some(raw) = self.parse::<RawEvents>(&file, &text, 1) else {
            return Vec::new();
        };
        let at = EventsFile { file: &file, text: &text };
        let langs = Self::langs(settings);
        let mut seen = BTreeSet::new();
        let mut events = Vec::new();
        for ev in raw.event {
            if let Some(event) = self.toml_event(&at, ev, settings, &langs, &mut seen) {
                events.push(event);
            }
        }
        events.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        events
    }

    /// One `[[event]]`; `None` (with the errors recorded) if any part is wrong.
    fn toml_event(
        &mut self,
        at: &EventsFile<'_>,
        ev: RawEvent,
        settings: &Settings,
        langs: &[String],
        seen: &mut BTreeSet<String>,
    ) -> Option<Event> {
        let id = self.event_id(at, &ev.id, seen)?;
        let (tz_name, tz) = self.event_zone(at, &ev, settings)?;
        let start = self.event_time(at, &ev.start, "start", &tz, &tz_name);
        let end = self.event_time(at, &ev.end, "end", &tz, &tz_name);
        let (Some(start), Some(end)) = (start, end) else {
            return None;
        };
        if end <= start {
            self.error_at(at.file, at.text, ev.end.span(), "the event ends before it starts; check `end`");
            return None;
        }
        let mut localized = |value: Option<&Spanned<RawLocalized>>, field: &str| match value {
            Some(v) => self.localized(at.file, at.text, v, langs, field),
            None => Localized::new(),
        };
        let title = localized(Some(&ev.title), "title");
        let location = localized(ev.location.as_ref(), "location");
        let description = localized(ev.description.as_ref(), "description");
        if let Some(d) = &ev.description {
            let default = &settings.default_language;
            self.refuse_pictures_in_value(at.file, at.text, d.span(), &description, default, "description");
        }
        Some(Event { id, start, end, timezone: tz_name, title, location, description })
    }

    /// The event's id, if well formed and not used by an earlier event.
    fn event_id(&mut self, at: &EventsFile<'_>, id: &Spanned<String>, seen: &mut BTreeSet<String>) -> Option<String> {
        let value = id.get_ref().trim().to_string();
        if !is_id(&value) {
            self.error_at(
                at.file,
                at.text,
                id.span(),
                format!("event id `{value}` may only use lower-case letters, digits and `-`"),
            );
            return None;
        }
        if !seen.insert(value.clone()) {
            self.error_at(
                at.file,
                at.text,
                id.span(),
                format!("duplicate event id `{value}`; give each event its own id"),
            );
            return None;
        }
        Some(value)
    }

    /// The event's own time zone, else the content's.
    fn event_zone(&mut self, at: &EventsFile<'_>, ev: &RawEvent, settings: &Settings) -> Option<(String, TimeZone)> {
        let tz_name = ev.timezone.as_ref().map_or(settings.timezone.clone(), |t| t.get_ref().clone());
        match TimeZone::get(&tz_name) {
            Ok(tz) => Some((tz_name, tz)),
            Err(_) => {
                let span = ev.timezone.as_ref().map_or(ev.id.span(), |t| t.span());
                self.error_at(
                    at.file,
                    at.text,
                    span,
                    format!("unknown time zone `{tz_name}`; use an IANA name such as \"Asia/Almaty\""),
                );
                None
            }
        }
    }

    /// A local date-time (or a date, meaning its midnight) in `tz`.
    fn event_time(
        &mut self,
        at: &EventsFile<'_>,
        when: &Spanned<RawWhen>,
        field: &str,
        tz: &TimeZone,
        tz_name: &str,
    ) -> Option<Timestamp> {
        let s = when.get_ref().text();
        let parsed =
            s.parse::<DateTime>().ok().or_else(|| s.parse::<Date>().ok().map(|d| d.to_datetime(Time::midnight())));
        match parsed.and_then(|dt| tz.to_ambiguous_zoned_datetime(dt).compatible().ok()) {
            Some(z) => Some(z.timestamp()),
            None => {
                self.error_at(
                    at.file,
                    at.text,
                    when.span(),
                    format!("{field} `{s}` is not a date and time; write it as \"2027-03-21T18:30\" (local time in {tz_name})"),
                );
                None
            }
        }
    }
}
