//! Time zones as calendar exports write them (IANA names, prefixed names,
//! the feed's own `VTIMEZONE`s, Windows names; the order is in the crate
//! docs), and dates and date-times read in them. jiff is the only authority
//! on time zones.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

use crate::lexical::Component;
use crate::windows_zones;

/// A resolved zone: a label for the bundle and the rules.
#[derive(Clone)]
pub(crate) struct Zone {
    pub(crate) label: String,
    pub(crate) tz: TimeZone,
}

pub(crate) fn iana(name: &str) -> Option<Zone> {
    let name = name.trim();
    TimeZone::get(name).ok().map(|tz| Zone { label: tz.iana_name().unwrap_or(name).to_string(), tz })
}

/// Windows name → IANA name, from CLDR.
pub fn windows_to_iana(name: &str) -> Option<&'static str> {
    let name = name.trim();
    windows_zones::WINDOWS_TO_IANA.iter().find(|(w, _)| w.eq_ignore_ascii_case(name)).map(|(_, i)| *i)
}

pub(crate) struct Zones<'c> {
    pub(crate) vtimezones: BTreeMap<String, &'c Component>,
    pub(crate) calendar: Zone,
}

impl Zones<'_> {
    /// Resolves a `TZID` as real feeds write them; see the module docs.
    pub(crate) fn resolve(&self, tzid: &str) -> Option<Zone> {
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
pub(crate) fn offset_secs(s: &str) -> Option<i32> {
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
pub(crate) enum When {
    /// A calendar date (all-day).
    Date(Date),
    /// A wall-clock time in a zone (or UTC).
    Local(DateTime),
}

/// Parses a date or date-time value; returns the wall-clock time in `zone`.
pub(crate) fn parse_when(value: &str, all_day_hint: bool, zone: &Zone) -> Option<When> {
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
    pub(crate) fn wall(&self) -> DateTime {
        match self {
            When::Date(d) => d.to_datetime(Time::midnight()),
            When::Local(dt) => *dt,
        }
    }
}

pub(crate) fn instant(zone: &Zone, wall: DateTime) -> Option<Timestamp> {
    zone.tz.to_ambiguous_zoned_datetime(wall).compatible().ok().map(|z| z.timestamp())
}
