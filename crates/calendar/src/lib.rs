//! Events from an iCalendar export (`content/events.ics`, or a feed that
//! `kioskctl bundle build --events-url` fetched), expanded into the kiosk's
//! [`Event`]s over the bundle's horizon ([`HORIZON_DAYS`]).
//!
//! A crate of its own, plugged into the content loader through
//! [`CalendarReader`] by `kioskctl`: the kiosk binary also builds bundles (its
//! demo mode), and linking this crate there cost 3.2 MB of binary, 1 MB of
//! it relocated data (dirty pages in every kiosk process) — chrono-tz's
//! database and regex, which `rrule` brings. The kiosk never needs them.
//!
//! Crates, and why:
//! - **`rrule`** expands `RRULE`s (with `EXDATE`/`RDATE`): recurrence is the
//!   part of RFC 5545 where hand-written code goes wrong (`BYDAY=-1SU`,
//!   `BYSETPOS`, month ends, `COUNT` with exceptions), and `rrule` is the
//!   maintained Rust port of python-dateutil's well-tested algorithm. It works on
//!   chrono times; we hand it *wall-clock* times in a zone-less frame and turn
//!   each occurrence into an instant with jiff afterwards, so recurrences keep
//!   their local time across daylight-saving changes as RFC 5545 says, and jiff
//!   (whose time zone database the rest of the content loader already uses) is
//!   the only authority on time zones.
//! - The **lexical layer** (unfolding, `NAME;PARAM=…:value`, escapes) is
//!   written here (`lexical.rs`) rather than taken from `icalendar`/`ical`:
//!   those parsers drop line numbers, and every content error names its file
//!   and line.
//!
//! What is read: `VEVENT`s with `UID`, `DTSTART`, `DTEND` or `DURATION`,
//! `SUMMARY`, `LOCATION`, `DESCRIPTION`, `STATUS:CANCELLED` (left out),
//! `RRULE`, `EXDATE`, `RDATE` (date-times, dates; of a period, its start), `RECURRENCE-ID`
//! (a changed or cancelled single occurrence); translations as
//! `X-KIOSK-TITLE-<LANG>`, `X-KIOSK-LOCATION-<LANG>`,
//! `X-KIOSK-DESCRIPTION-<LANG>` (e.g. `X-KIOSK-TITLE-RU`); `SUMMARY`,
//! `LOCATION` and `DESCRIPTION` are the default language's.
//!
//! Time zones, in this order: `Z` times are UTC; a `TZID` that is an IANA name;
//! a prefixed IANA name (`/mozilla.org/…/Europe/London`); the feed's own
//! `VTIMEZONE` of that `TZID`: its `X-LIC-LOCATION` if IANA, else its latest
//! `STANDARD`/`DAYLIGHT` rules turned into a POSIX rule (this is how Outlook's
//! Windows names and "Customized Time Zone" resolve when the export carries
//! their definition, as it does); else a Windows name as Outlook/Microsoft 365
//! write it, through CLDR's table (`windows_zones`). Floating times (no
//! `TZID`, no `Z`) and all-day dates are in the calendar's `X-WR-TIMEZONE`,
//! else the content's `settings.toml` time zone.
//!
//! All-day events: the bundle has no all-day notion; such an event runs from
//! 00:00 of its first day to 00:00 after its last day in that zone.

#![deny(missing_docs)]

mod event;
mod lexical;
mod windows_zones;
mod zones;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use sha2::{Digest, Sha256};

use kiosk_content::error::ContentError;
use kiosk_content::model::Event;
use kiosk_content::source::{CalendarReader, HORIZON_DAYS, IcsContext};

use event::{EventReader, Parsed};
use lexical::{Component, components, content_lines};
pub use zones::windows_to_iana;
use zones::{When, Zone, Zones, iana, instant, parse_when};

/// Most occurrences one recurring event may produce within the horizon (a
/// daily event for a year is 365); more means a runaway rule such as
/// `FREQ=MINUTELY`.
pub const MAX_OCCURRENCES: u16 = 1000;

/// The reader `kioskctl` hands the content loader (see
/// [`kiosk_content::source::CalendarReader`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ics;

impl CalendarReader for Ics {
    fn read(&self, file: &Path, ics: &[u8], cx: &IcsContext<'_>, errors: &mut Vec<ContentError>) -> Vec<Event> {
        parse(file, ics, cx, errors)
    }
}
/// A wall-clock time in the zone-less frame `rrule` computes in.
fn to_frame(dt: DateTime) -> Option<chrono::DateTime<rrule::Tz>> {
    use chrono::TimeZone as _;
    rrule::Tz::UTC
        .with_ymd_and_hms(
            i32::from(dt.year()),
            u32::try_from(dt.month()).ok()?,
            u32::try_from(dt.day()).ok()?,
            u32::try_from(dt.hour()).ok()?,
            u32::try_from(dt.minute()).ok()?,
            u32::try_from(dt.second()).ok()?,
        )
        .single()
}

fn from_frame(dt: &chrono::DateTime<rrule::Tz>) -> Option<DateTime> {
    use chrono::{Datelike, Timelike};
    DateTime::new(
        i16::try_from(dt.year()).ok()?,
        i8::try_from(dt.month()).ok()?,
        i8::try_from(dt.day()).ok()?,
        i8::try_from(dt.hour()).ok()?,
        i8::try_from(dt.minute()).ok()?,
        i8::try_from(dt.second()).ok()?,
        0,
    )
    .ok()
}

/// A stable, id-safe name for an event: from its `UID`, plus the
/// occurrence's original start for a recurring one.
fn event_id(uid: &str, occurrence: Option<Timestamp>) -> String {
    let base = uid_id(uid);
    match occurrence {
        None => base,
        Some(t) => format!("{base}-{}", t.strftime("%Y%m%dt%H%M%S")),
    }
}

/// The id an event with this `UID` gets (its occurrences add `-<start>`):
/// how an import recognises events it brought in before.
pub fn uid_id(uid: &str) -> String {
    let hash = Sha256::digest(uid.as_bytes());
    let short: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("ics-{short}")
}

/// Reads the calendar in `ics` (from `file`, for error messages).
pub fn parse(file: &Path, ics: &[u8], cx: &IcsContext<'_>, errors: &mut Vec<ContentError>) -> Vec<Event> {
    let before = errors.len();
    let Some(lines) = content_lines(file, ics, errors) else {
        return Vec::new();
    };
    let Some(cal) = components(file, lines, errors) else {
        return Vec::new();
    };
    let Some(default_zone) = calendar_zone(file, &cal, cx, errors) else {
        return Vec::new();
    };
    let zones = Zones {
        vtimezones: cal
            .children
            .iter()
            .filter(|c| c.name == "VTIMEZONE")
            .filter_map(|c| c.prop("TZID").map(|l| (l.value.trim().to_string(), c)))
            .collect(),
        calendar: default_zone,
    };
    let parsed: Vec<Parsed> = cal
        .children
        .iter()
        .filter(|c| c.name == "VEVENT")
        .filter_map(|ev| EventReader { file, zones: &zones }.read(ev, cx, errors))
        .collect();
    if errors.len() > before {
        return Vec::new();
    }
    expand(file, &parsed, cx, errors)
}

/// The zone of floating times and all-day dates: the calendar's
/// `X-WR-TIMEZONE`, else the content's (`settings.toml`), else UTC.
fn calendar_zone(file: &Path, cal: &Component, cx: &IcsContext<'_>, errors: &mut Vec<ContentError>) -> Option<Zone> {
    match cal.prop("X-WR-TIMEZONE") {
        Some(l) => match iana(&l.value).or_else(|| windows_to_iana(&l.value).and_then(iana)) {
            Some(z) => Some(z),
            None => {
                errors.push(ContentError::at(
                    file,
                    l.no,
                    format!("X-WR-TIMEZONE `{}` is not a time zone name", l.value.trim()),
                ));
                None
            }
        },
        None => Some(iana(cx.default_timezone).unwrap_or(Zone { label: "UTC".into(), tz: TimeZone::UTC })),
    }
}

/// The events of the window: every series expanded, with its changed
/// occurrences (`RECURRENCE-ID`) in place of the ones they change and its
/// cancelled ones left out.
fn expand(file: &Path, parsed: &[Parsed], cx: &IcsContext<'_>, errors: &mut Vec<ContentError>) -> Vec<Event> {
    // Overrides by UID and original start; a cancelled one removes it.
    let mut overrides: BTreeMap<(String, Timestamp), &Parsed> = BTreeMap::new();
    for p in parsed.iter() {
        if let Some(rid) = p.recurrence_id {
            overrides.insert((p.uid.clone(), rid), p);
        }
    }
    // A cancelled series takes its changed occurrences with it.
    let cancelled: BTreeSet<&str> =
        parsed.iter().filter(|p| p.recurrence_id.is_none() && p.cancelled).map(|p| p.uid.as_str()).collect();
    overrides.retain(|(uid, _), _| !cancelled.contains(uid.as_str()));
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for p in parsed.iter().filter(|p| p.recurrence_id.is_none() && !p.cancelled) {
        let starts = match occurrences(file, p, cx, errors) {
            Some(s) => s,
            None => continue,
        };
        let recurring = p.rrule.is_some() || !p.rdates.is_empty();
        for start in starts {
            let Some(first) = instant(&p.zone, start) else { continue };
            let id = event_id(&p.uid, recurring.then_some(first));
            let (source, start) = match overrides.get(&(p.uid.clone(), first)) {
                Some(o) if o.cancelled => continue,
                Some(o) => (*o, o.start.wall()),
                None => (p, start),
            };
            if let Some(e) = make_event(source, id, start, cx)
                && seen.insert(e.id.clone())
            {
                out.push(e);
            }
        }
    }
    // An override whose original occurrence is not generated (moved into the
    // window from outside it, or its master is missing) still shows.
    for ((uid, rid), o) in &overrides {
        let id = event_id(uid, Some(*rid));
        if !o.cancelled
            && !seen.contains(&id)
            && let Some(e) = make_event(o, id, o.start.wall(), cx)
        {
            seen.insert(e.id.clone());
            out.push(e);
        }
    }
    out
}

fn make_event(p: &Parsed, id: String, wall_start: DateTime, cx: &IcsContext<'_>) -> Option<Event> {
    let start = instant(&p.zone, wall_start)?;
    let end = instant(&p.zone, wall_start.checked_add(p.length).ok()?)?;
    (end > cx.from && start < cx.until).then(|| Event {
        id,
        start,
        end,
        timezone: p.zone.label.clone(),
        title: p.title.clone(),
        location: p.location.clone(),
        description: p.description.clone(),
    })
}

/// The wall-clock starts of every occurrence that may fall in the window.
fn occurrences(file: &Path, p: &Parsed, cx: &IcsContext<'_>, errors: &mut Vec<ContentError>) -> Option<Vec<DateTime>> {
    let start = p.start.wall();
    let Some(line) = &p.rrule else {
        let mut all = vec![start];
        all.extend(p.rdates.iter().copied());
        all.retain(|d| !p.exdates.contains(d));
        return Some(all);
    };
    let fail = |errors: &mut Vec<ContentError>, why: String| {
        errors.push(ContentError::at(file, line.no, format!("RRULE `{}`: {why}", line.value.trim())));
        None
    };
    // UNTIL is taken out and put back in the wall-clock frame (it may be UTC).
    let mut until = None;
    let mut rest = Vec::new();
    for part in line.value.trim().split(';').filter(|s| !s.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("UNTIL") => match parse_when(v, false, &p.zone) {
                Some(w) => until = Some(w),
                None => return fail(errors, format!("UNTIL `{v}` is not a date or date-time")),
            },
            _ => rest.push(part),
        }
    }
    let rule: rrule::RRule<rrule::Unvalidated> = match rest.join(";").parse() {
        Ok(r) => r,
        Err(e) => return fail(errors, e.to_string()),
    };
    let frame_start = to_frame(start)?;
    let rule = match until {
        // A last day means "through that day" for all-day and timed starts alike.
        Some(When::Date(d)) => rule.until(to_frame(d.to_datetime(Time::MAX))?),
        Some(When::Local(dt)) => rule.until(to_frame(dt)?),
        None => rule,
    };
    if rule.get_until().is_some_and(|u| *u < frame_start) {
        // Ends before it starts: RFC 5545 leaves just DTSTART.
        return Some(vec![start].into_iter().filter(|d| !p.exdates.contains(d)).collect());
    }
    let rule = match rule.validate(frame_start) {
        Ok(r) => r,
        Err(e) => return fail(errors, e.to_string()),
    };
    // Occurrences that end after `from` can start up to one length before it.
    let from_wall = p.zone.tz.to_datetime(cx.from).checked_sub(p.length).ok()?.checked_sub(1.day()).ok()?;
    let until_wall = p.zone.tz.to_datetime(cx.until).checked_add(1.day()).ok()?;
    let mut set = rrule::RRuleSet::new(frame_start)
        .rrule(rule)
        .after(to_frame(from_wall.max(start))?)
        .before(to_frame(until_wall)?);
    for d in &p.exdates {
        set = set.exdate(to_frame(*d)?);
    }
    for d in &p.rdates {
        set = set.rdate(to_frame(*d)?);
    }
    let result = set.all(MAX_OCCURRENCES);
    if result.limited && result.dates.len() >= usize::from(MAX_OCCURRENCES) {
        return fail(errors, format!("more than {MAX_OCCURRENCES} occurrences within {HORIZON_DAYS} days"));
    }
    Some(result.dates.iter().filter_map(from_frame).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexical::unescape;
    use crate::zones::offset_secs;

    #[test]
    fn every_windows_zone_maps_to_a_zone_jiff_knows() {
        for (win, iana_name) in windows_zones::WINDOWS_TO_IANA {
            assert!(TimeZone::get(iana_name).is_ok(), "{win} → {iana_name} must be a known IANA zone");
        }
        assert_eq!(windows_to_iana("central asia standard time"), Some("Asia/Bishkek"));
    }

    #[test]
    fn unfolding_keeps_the_first_line_number_and_splits_quoted_params() {
        let text = "BEGIN:X\r\nDTSTART;TZID=\"A:B\";VALUE=DATE-TIME:2027\r\n 0101T000000\r\nEND:X\r\n";
        let lines = content_lines(Path::new("x.ics"), text.as_bytes(), &mut Vec::new()).unwrap();
        assert_eq!(lines[1].no, 2);
        assert_eq!(lines[1].param("TZID"), Some("A:B"));
        assert_eq!(lines[1].value, "20270101T000000");
        assert_eq!(unescape(r"a\, b\; c\nd\\e"), "a, b; c\nd\\e");
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(offset_secs("+0600"), Some(21600));
        assert_eq!(offset_secs("-0430"), Some(-16200));
    }
}
