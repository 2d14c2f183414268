//! One `VEVENT` read into a `Parsed` event: its zone, start, length,
//! exceptions and texts, each step recording its own errors with their line.

use std::path::Path;

use jiff::civil::DateTime;
use jiff::{Span, Timestamp, ToSpan};

use kiosk_content::error::ContentError;
use kiosk_content::model::Localized;
use kiosk_content::source::IcsContext;

use crate::lexical::{Component, Line, unescape};
use crate::zones::{When, Zone, Zones, instant, parse_when};

/// One `VEVENT` after its properties were read.
pub(crate) struct Parsed {
    pub(crate) uid: String,
    pub(crate) zone: Zone,
    pub(crate) start: When,
    /// Length of each occurrence.
    pub(crate) length: Span,
    pub(crate) cancelled: bool,
    pub(crate) recurrence_id: Option<Timestamp>,
    pub(crate) title: Localized,
    pub(crate) location: Localized,
    pub(crate) description: Localized,
    pub(crate) rrule: Option<Line>,
    pub(crate) exdates: Vec<DateTime>,
    pub(crate) rdates: Vec<DateTime>,
}

/// Whether a date property says `VALUE=DATE` (an all-day date).
fn is_date(l: &Line) -> bool {
    l.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
}

/// What reading one `VEVENT` needs besides the event: the file its errors
/// name, and the zones its `TZID`s may refer to.
pub(crate) struct EventReader<'a> {
    pub(crate) file: &'a Path,
    pub(crate) zones: &'a Zones<'a>,
}

impl EventReader<'_> {
    /// Records an error at `line`; `None`, for the caller to return.
    fn error<T>(&self, errors: &mut Vec<ContentError>, line: usize, msg: String) -> Option<T> {
        errors.push(ContentError::at(self.file, line, msg));
        None
    }

    /// One `VEVENT`, or `None` with its errors recorded.
    pub(crate) fn read(&self, ev: &Component, cx: &IcsContext<'_>, errors: &mut Vec<ContentError>) -> Option<Parsed> {
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
