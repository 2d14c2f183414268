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
//! - The **lexical layer** (unfolding, `NAME;PARAM=…:value`, escapes) is the
//!   ~80 lines below rather than `icalendar`/`ical`: those parsers drop line
//!   numbers, and every content error names its file and line.
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

mod windows_zones;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan};
use sha2::{Digest, Sha256};

use kiosk_content::error::ContentError;
use kiosk_content::model::{Event, Localized};
use kiosk_content::source::{CalendarReader, HORIZON_DAYS, IcsContext};

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

/// One unfolded content line.
#[derive(Debug, Clone)]
struct Line {
    /// 1-based line number where it starts.
    no: usize,
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Line {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Unfolds lines (a line starting with a space or tab continues the previous
/// one) and splits each into name, parameters and value. Unfolding works on
/// bytes, before UTF-8 decoding: writers may fold inside a multi-byte
/// character, and RFC 5545 (3.1) asks readers to restore it.
fn content_lines(file: &Path, bytes: &[u8], errors: &mut Vec<ContentError>) -> Option<Vec<Line>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut logical: Vec<(usize, Vec<u8>)> = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix(b" ").or_else(|| raw.strip_prefix(b"\t"))
            && let Some(last) = logical.last_mut()
        {
            last.1.extend_from_slice(rest);
            continue;
        }
        if !raw.trim_ascii().is_empty() {
            logical.push((i + 1, raw.to_vec()));
        }
    }
    let mut out = Vec::with_capacity(logical.len());
    for (no, raw) in logical {
        match String::from_utf8(raw) {
            Ok(s) => out.push(split_line(no, &s)),
            Err(_) => {
                errors.push(ContentError::at(file, no, "the line is not UTF-8 text; export the calendar as UTF-8"));
                return None;
            }
        }
    }
    Some(out)
}

fn split_line(no: usize, s: &str) -> Line {
    // The value starts at the first ':' outside a quoted parameter value.
    let mut in_quotes = false;
    let mut colon = s.len();
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                colon = i;
                break;
            }
            _ => {}
        }
    }
    let head = &s[..colon];
    let value = s.get(colon + 1..).unwrap_or("").to_string();
    let mut parts = Vec::new();
    let (mut cur, mut in_quotes) = (String::new(), false);
    for c in head.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    let name = parts.remove(0).trim().to_ascii_uppercase();
    let params = parts
        .into_iter()
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.trim().to_ascii_uppercase(), v.to_string())))
        .collect();
    Line { no, name, params, value }
}

/// Undoes TEXT escaping: `\\`, `\;`, `\,`, `\n`/`\N`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out.trim().to_string()
}

/// A component: its `BEGIN` line, its own properties and its sub-components.
#[derive(Debug, Default)]
struct Component {
    name: String,
    begin: usize,
    props: Vec<Line>,
    children: Vec<Component>,
}

impl Component {
    fn prop(&self, name: &str) -> Option<&Line> {
        self.props.iter().find(|l| l.name == name)
    }
    fn props<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Line> + 's {
        self.props.iter().filter(move |l| l.name == name)
    }
}

fn components(file: &Path, lines: Vec<Line>, errors: &mut Vec<ContentError>) -> Option<Component> {
    let mut stack: Vec<Component> = vec![Component { name: String::new(), ..Default::default() }];
    for line in lines {
        match line.name.as_str() {
            "BEGIN" => stack.push(Component {
                name: line.value.trim().to_ascii_uppercase(),
                begin: line.no,
                ..Default::default()
            }),
            "END" => {
                let name = line.value.trim().to_ascii_uppercase();
                if stack.len() < 2 || stack.last().is_some_and(|c| c.name != name) {
                    errors.push(ContentError::at(
                        file,
                        line.no,
                        format!("END:{name} does not close the open component; the export is damaged"),
                    ));
                    return None;
                }
                let done = stack.pop().expect("checked above");
                stack.last_mut().expect("root stays").children.push(done);
            }
            _ => stack.last_mut().expect("root stays").props.push(line),
        }
    }
    if stack.len() != 1 {
        let open = stack.last().expect("non-empty");
        errors.push(ContentError::at(
            file,
            open.begin,
            format!("BEGIN:{} is never closed; the export is cut short", open.name),
        ));
        return None;
    }
    let root = stack.pop().expect("root");
    let cal = root.children.into_iter().find(|c| c.name == "VCALENDAR");
    if cal.is_none() {
        errors.push(ContentError::file(file, "not an iCalendar file: no BEGIN:VCALENDAR"));
    }
    cal
}

/// A resolved zone: a label for the bundle and the rules.
#[derive(Clone)]
struct Zone {
    label: String,
    tz: TimeZone,
}

fn iana(name: &str) -> Option<Zone> {
    let name = name.trim();
    TimeZone::get(name).ok().map(|tz| Zone { label: tz.iana_name().unwrap_or(name).to_string(), tz })
}

/// Windows name → IANA name, from CLDR.
pub fn windows_to_iana(name: &str) -> Option<&'static str> {
    let name = name.trim();
    windows_zones::WINDOWS_TO_IANA.iter().find(|(w, _)| w.eq_ignore_ascii_case(name)).map(|(_, i)| *i)
}

struct Zones<'c> {
    vtimezones: BTreeMap<String, &'c Component>,
    calendar: Zone,
}

impl Zones<'_> {
    /// Resolves a `TZID` as real feeds write them; see the module docs.
    fn resolve(&self, tzid: &str) -> Option<Zone> {
        let tzid = tzid.trim().trim_matches('"');
        if let Some(z) = iana(tzid) {
            return Some(z);
        }
        // "/mozilla.org/20050126_1/Europe/London", "/freeassociation.sourceforge.net/Tzfile/Asia/Almaty"
        let parts: Vec<&str> = tzid.split('/').filter(|p| !p.is_empty()).collect();
        for n in [3, 2] {
            if parts.len() > n
                && let Some(z) = iana(&parts[parts.len() - n..].join("/"))
            {
                return Some(z);
            }
        }
        // The feed's own definition comes before the Windows table: it is
        // what the sender's Outlook used, also when a country has changed its
        // clocks since the table was made (Kazakhstan, 2024).
        if let Some(vtz) = self.vtimezones.get(tzid) {
            if let Some(z) = vtz.prop("X-LIC-LOCATION").and_then(|l| iana(&l.value)) {
                return Some(z);
            }
            if let Some(tz) = vtimezone_rules(vtz) {
                return Some(Zone { label: windows_to_iana(tzid).unwrap_or(tzid).to_string(), tz });
            }
        }
        windows_to_iana(tzid).and_then(iana)
    }
}

/// The `VTIMEZONE`'s latest `STANDARD` (and `DAYLIGHT`, if any) as a POSIX
/// time zone. Outlook writes exactly these: one of each, yearly rules.
fn vtimezone_rules(vtz: &Component) -> Option<TimeZone> {
    let latest = |kind: &str| {
        vtz.children
            .iter()
            .filter(|c| c.name == kind)
            .max_by_key(|c| c.prop("DTSTART").map(|l| l.value.clone()).unwrap_or_default())
    };
    let std = latest("STANDARD")?;
    let std_off = offset_secs(&std.prop("TZOFFSETTO")?.value)?;
    let fixed = || jiff::tz::Offset::from_seconds(std_off).ok().map(TimeZone::fixed);
    // Outlook writes a DAYLIGHT with the same offset and no rule for zones
    // without daylight saving.
    let Some(dst) = latest("DAYLIGHT").filter(|d| d.prop("RRULE").is_some()) else {
        return fixed();
    };
    let dst_off = offset_secs(&dst.prop("TZOFFSETTO")?.value)?;
    if dst_off == std_off {
        return fixed();
    }
    let rule = |c: &Component| -> Option<String> {
        let rrule = &c.prop("RRULE")?.value;
        let get = |k: &str| {
            rrule.split(';').find_map(|p| p.split_once('=').filter(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v))
        };
        let month: u8 = get("BYMONTH")?.parse().ok()?;
        let byday = get("BYDAY")?;
        let (n, day) = byday.split_at(byday.len().checked_sub(2)?);
        let n: i8 = if n.is_empty() { 1 } else { n.trim_start_matches('+').parse().ok()? };
        let week = if n < 0 { 5 } else { n.clamp(1, 5) };
        let wd = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"].iter().position(|d| d.eq_ignore_ascii_case(day))?;
        let start = &c.prop("DTSTART")?.value;
        let time = start.split_once('T').map_or("000000", |(_, t)| t);
        let (h, m, s) = (time.get(0..2)?, time.get(2..4)?, time.get(4..6)?);
        Some(format!("M{month}.{week}.{wd}/{h}:{m}:{s}"))
    };
    let posix_off = |secs: i32| {
        let o = -secs;
        let sign = if o < 0 { "-" } else { "" };
        let o = o.abs();
        format!("{sign}{:02}:{:02}:{:02}", o / 3600, o / 60 % 60, o % 60)
    };
    let posix = format!("STD{}DST{},{},{}", posix_off(std_off), posix_off(dst_off), rule(dst)?, rule(std)?);
    TimeZone::posix(&posix).ok()
}

/// `+0600`, `-0500`, `+053000` → seconds east of UTC.
fn offset_secs(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|d| d.parse::<i32>().ok());
    let secs = num(0..2)? * 3600 + num(2..4)? * 60 + if digits.len() >= 6 { num(4..6)? } else { 0 };
    Some(sign * secs)
}

/// A `DTSTART`-like value.
#[derive(Clone, Debug)]
enum When {
    /// A calendar date (all-day).
    Date(Date),
    /// A wall-clock time in a zone (or UTC).
    Local(DateTime),
}

/// Parses a date or date-time value; returns the wall-clock time in `zone`.
fn parse_when(value: &str, all_day_hint: bool, zone: &Zone) -> Option<When> {
    let v = value.trim();
    if all_day_hint || (v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit())) {
        return Date::strptime("%Y%m%d", v).ok().map(When::Date);
    }
    if let Some(utc) = v.strip_suffix(['Z', 'z']) {
        let dt = DateTime::strptime("%Y%m%dT%H%M%S", utc).ok()?;
        let ts = TimeZone::UTC.to_ambiguous_timestamp(dt).compatible().ok()?;
        return Some(When::Local(zone.tz.to_datetime(ts)));
    }
    DateTime::strptime("%Y%m%dT%H%M%S", v).ok().map(When::Local)
}

impl When {
    fn wall(&self) -> DateTime {
        match self {
            When::Date(d) => d.to_datetime(Time::midnight()),
            When::Local(dt) => *dt,
        }
    }
}

fn instant(zone: &Zone, wall: DateTime) -> Option<Timestamp> {
    zone.tz.to_ambiguous_zoned_datetime(wall).compatible().ok().map(|z| z.timestamp())
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
    let hash = Sha256::digest(uid.as_bytes());
    let short: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    match occurrence {
        None => format!("ics-{short}"),
        Some(t) => format!("ics-{short}-{}", t.strftime("%Y%m%dt%H%M%S")),
    }
}

/// One `VEVENT` after its properties were read.
struct Parsed {
    uid: String,
    zone: Zone,
    start: When,
    /// Length of each occurrence.
    length: Span,
    cancelled: bool,
    recurrence_id: Option<Timestamp>,
    title: Localized,
    location: Localized,
    description: Localized,
    rrule: Option<Line>,
    exdates: Vec<DateTime>,
    rdates: Vec<DateTime>,
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

/// Whether a date property says `VALUE=DATE` (an all-day date).
fn is_date(l: &Line) -> bool {
    l.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
}

/// What reading one `VEVENT` needs besides the event: the file its errors
/// name, and the zones its `TZID`s may refer to.
struct EventReader<'a> {
    file: &'a Path,
    zones: &'a Zones<'a>,
}

impl EventReader<'_> {
    /// Records an error at `line`; `None`, for the caller to return.
    fn error<T>(&self, errors: &mut Vec<ContentError>, line: usize, msg: String) -> Option<T> {
        errors.push(ContentError::at(self.file, line, msg));
        None
    }

    /// One `VEVENT`, or `None` with its errors recorded.
    fn read(&self, ev: &Component, cx: &IcsContext<'_>, errors: &mut Vec<ContentError>) -> Option<Parsed> {
        let cancelled = ev.prop("STATUS").is_some_and(|l| l.value.trim().eq_ignore_ascii_case("CANCELLED"));
        let Some(uid) = ev.prop("UID").map(|l| l.value.trim().to_string()).filter(|u| !u.is_empty()) else {
            return self.error(errors, ev.begin, "the event has no UID; export the calendar again".into());
        };
        let Some(dtstart) = ev.prop("DTSTART") else {
            return self.error(errors, ev.begin, format!("the event `{uid}` has no DTSTART (start time)"));
        };
        let zone = self.zone_of(errors, dtstart)?;
        let start = self.when(errors, dtstart, &zone)?;
        let recurrence_id = match ev.prop("RECURRENCE-ID") {
            Some(l) => {
                let z = self.zone_of(errors, l)?;
                let w = self.when(errors, l, &z)?;
                Some(instant(&z, w.wall())?)
            }
            None => None,
        };
        let length = self.length(errors, ev, &uid, &zone, &start)?;
        let exdates = self.dates(errors, ev, "EXDATE", &zone, &start)?;
        let rdates = self.dates(errors, ev, "RDATE", &zone, &start)?;
        let default_lang = cx.languages.first().cloned().unwrap_or_default();
        let [title, location, description] = self.texts(errors, ev, cx.languages, &default_lang);
        if !cancelled && !title.contains_key(&default_lang) {
            return self.error(errors, ev.begin, format!("the event `{uid}` has no SUMMARY (title)"));
        }
        Some(Parsed {
            uid,
            zone,
            start,
            length,
            cancelled,
            recurrence_id,
            title,
            location,
            description,
            rrule: ev.prop("RRULE").cloned(),
            exdates,
            rdates,
        })
    }

    /// The zone of a date property: its `TZID`, else the calendar's.
    fn zone_of(&self, errors: &mut Vec<ContentError>, l: &Line) -> Option<Zone> {
        match l.param("TZID") {
            None => Some(self.zones.calendar.clone()),
            Some(tzid) => match self.zones.resolve(tzid) {
                Some(z) => Some(z),
                None => {
                    errors.push(ContentError::at(
                        self.file,
                        l.no,
                        format!(
                            "unknown time zone TZID `{tzid}`, and the file has no VTIMEZONE for it; \
                             use an IANA name such as \"Asia/Almaty\" or export with time zones"
                        ),
                    ));
                    None
                }
            },
        }
    }

    /// A date property's value read in `zone`.
    fn when(&self, errors: &mut Vec<ContentError>, l: &Line, zone: &Zone) -> Option<When> {
        let w = parse_when(&l.value, is_date(l), zone);
        if w.is_none() {
            errors.push(ContentError::at(
                self.file,
                l.no,
                format!("{} `{}` is not a date (20270321) or date-time (20270321T183000)", l.name, l.value.trim()),
            ));
        }
        w
    }

    /// How long each occurrence lasts: to `DTEND`, for `DURATION`, else a
    /// whole day for a date and no time for a date-time (RFC 5545 3.6.1).
    fn length(
        &self,
        errors: &mut Vec<ContentError>,
        ev: &Component,
        uid: &str,
        zone: &Zone,
        start: &When,
    ) -> Option<Span> {
        if let Some(l) = ev.prop("DTEND") {
            let z = self.zone_of(errors, l)?;
            let end = self.when(errors, l, &z)?;
            let (s, e) = (instant(zone, start.wall())?, instant(&z, end.wall())?);
            if e < s || (e == s && matches!(start, When::Date(_))) {
                return self.error(errors, l.no, format!("the event `{uid}` ends before it starts; check DTEND"));
            }
            match (start, &end) {
                // Whole days stay whole days across daylight-saving changes.
                (When::Date(a), When::Date(b)) => a.until(*b).ok(),
                _ => s.duration_until(e).try_into().ok(),
            }
        } else if let Some(l) = ev.prop("DURATION") {
            match l.value.trim().parse::<Span>() {
                Ok(d) if !d.is_negative() => Some(d),
                _ => {
                    self.error(errors, l.no, format!("DURATION `{}` is not a duration such as PT1H30M", l.value.trim()))
                }
            }
        } else if matches!(start, When::Date(_)) {
            Some(1.day())
        } else {
            Some(Span::new())
        }
    }

    /// Every `EXDATE` or `RDATE` (`name`) as a wall-clock time in the event's
    /// own `zone`, the frame its occurrences are expanded in.
    fn dates(
        &self,
        errors: &mut Vec<ContentError>,
        ev: &Component,
        name: &str,
        zone: &Zone,
        start: &When,
    ) -> Option<Vec<DateTime>> {
        let mut out = Vec::new();
        for l in ev.props(name) {
            let z = self.zone_of(errors, l)?;
            for v in l.value.split(',').filter(|v| !v.trim().is_empty()) {
                // RDATE;VALUE=PERIOD:start/end-or-duration: the start is what recurs.
                let v = v.split('/').next().unwrap_or(v);
                let Some(w) = parse_when(v, is_date(l), &z) else {
                    errors.push(ContentError::at(self.file, l.no, format!("{name} `{v}` is not a date or date-time")));
                    return None;
                };
                // To the event's own zone: EXDATE may be written in UTC.
                let wall = match (start, w) {
                    (When::Date(_), w) => w.wall(),
                    (_, When::Date(d)) => d.to_datetime(start.wall().time()),
                    (_, When::Local(dt)) => zone.tz.to_datetime(instant(&z, dt)?),
                };
                out.push(wall);
            }
        }
        Some(out)
    }

    /// Title, location and description: `SUMMARY`, `LOCATION` and
    /// `DESCRIPTION` in the default language, `X-KIOSK-<FIELD>-<LANG>` in the others.
    fn texts(
        &self,
        errors: &mut Vec<ContentError>,
        ev: &Component,
        languages: &[String],
        default_lang: &str,
    ) -> [Localized; 3] {
        let mut texts: [Localized; 3] = Default::default();
        for (i, name) in ["SUMMARY", "LOCATION", "DESCRIPTION"].iter().enumerate() {
            if let Some(l) = ev.prop(name) {
                let v = unescape(&l.value);
                if !v.is_empty() {
                    texts[i].insert(default_lang.to_string(), v);
                }
            }
        }
        for l in &ev.props {
            let Some(rest) = l.name.strip_prefix("X-KIOSK-") else { continue };
            let (i, lang) = match rest.split_once('-') {
                Some(("TITLE", lang)) => (0, lang),
                Some(("LOCATION", lang)) => (1, lang),
                Some(("DESCRIPTION", lang)) => (2, lang),
                _ => {
                    errors.push(ContentError::at(
                        self.file,
                        l.no,
                        format!("unknown property {}; use X-KIOSK-TITLE-<LANG>, X-KIOSK-LOCATION-<LANG> or X-KIOSK-DESCRIPTION-<LANG>", l.name),
                    ));
                    continue;
                }
            };
            let lang = lang.to_ascii_lowercase();
            if !languages.contains(&lang) {
                errors.push(ContentError::at(
                    self.file,
                    l.no,
                    format!("{}: unknown language `{lang}`; the kiosk offers {languages:?} (settings.toml)", l.name),
                ));
                continue;
            }
            let v = unescape(&l.value);
            if !v.is_empty() {
                texts[i].insert(lang, v);
            }
        }
        texts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
