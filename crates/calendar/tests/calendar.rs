//! Calendar exports as Google Calendar, Outlook/Microsoft 365 and Apple
//! Calendar write them (folded at 75 octets, CRLF, escaped text), read into
//! events with the instants a visitor must see.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use jiff::Timestamp;
use kiosk_calendar::{Ics, parse};
use kiosk_content::build::{BuildOptions, build_bundle};
use kiosk_content::bundle::Bundle;
use kiosk_content::error::{BuildError, ContentError};
use kiosk_content::model::Event;
use kiosk_content::source::{IcsContext, NoProgress};

/// A scratch copy of the demo content that a test may change.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("content");
    kiosk_testsupport::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content"), &dir);
    (tmp, dir)
}

fn opts() -> BuildOptions {
    BuildOptions { build_time: build_time(), calendar: Some(Arc::new(Ics)), ..BuildOptions::default() }
}

fn build_ok(dir: &Path, out: &Path) -> Bundle {
    build_bundle(dir, out, &opts(), &mut NoProgress).unwrap_or_else(|e| panic!("content must build: {e}"));
    Bundle::open(out).unwrap()
}

fn build_errors(dir: &Path) -> Vec<ContentError> {
    let out = dir.parent().unwrap().join("out.kbundle");
    match build_bundle(dir, &out, &opts(), &mut NoProgress) {
        Err(BuildError::Content(errors)) => {
            assert!(!out.exists(), "a failed build must not leave a bundle at the output path");
            errors
        }
        other => panic!("expected content errors, got {other:?}"),
    }
}

fn assert_error(errors: &[ContentError], file_suffix: &str, line: Option<usize>, words: &str) {
    let found = errors.iter().any(|e| {
        e.file.to_string_lossy().ends_with(file_suffix)
            && (line.is_none() || e.line == line)
            && e.message.contains(words)
    });
    assert!(found, "expected an error in {file_suffix} at line {line:?} mentioning {words:?}; got:\n{errors:#?}");
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ics").join(name)
}

/// The build time of every test here.
fn build_time() -> Timestamp {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

fn read(text: &str, file: &Path) -> Vec<Event> {
    let languages = ["en", "kk", "ru"].map(String::from);
    let (from, until) = IcsContext::window(build_time());
    let cx = IcsContext { languages: &languages, default_timezone: "America/New_York", from, until };
    let mut errors = Vec::new();
    let events = parse(file, text.as_bytes(), &cx, &mut errors);
    assert!(errors.is_empty(), "{} must read without errors: {errors:#?}", file.display());
    events
}

fn read_fixture(name: &str) -> Vec<Event> {
    let file = fixture(name);
    read(&std::fs::read_to_string(&file).unwrap(), &file)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn titled<'a>(events: &'a [Event], title: &str) -> Vec<&'a Event> {
    events.iter().filter(|e| e.title.get("en").map(String::as_str) == Some(title)).collect()
}

struct Case {
    file: &'static str,
    /// Events in the year after the build time.
    count: usize,
    /// (English title, start, end) that must be there.
    present: &'static [(&'static str, &'static str, &'static str)],
    /// Starts (UTC) that must not be there: excluded, cancelled, moved, past.
    absent: &'static [&'static str],
    /// Titles that must not be there at all.
    absent_titles: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "google.ics",
        count: 15 + 1 + 1,
        present: &[
            // Weekly on Thursdays at 18:00 New York time, before and after the
            // change to daylight saving time on 14 March 2027.
            ("Kazakh language class", "2026-12-03T23:00:00Z", "2026-12-04T00:30:00Z"),
            ("Kazakh language class", "2027-03-11T23:00:00Z", "2027-03-12T00:30:00Z"),
            ("Kazakh language class", "2027-03-18T22:00:00Z", "2027-03-18T23:30:00Z"),
            // UNTIL=20270325T235959Z includes the last Thursday.
            ("Kazakh language class", "2027-03-25T22:00:00Z", "2027-03-25T23:30:00Z"),
            // UTC times as Google writes single events.
            ("Film evening: \"The Road to Mother\"", "2026-12-10T23:00:00Z", "2026-12-11T01:00:00Z"),
            // All-day: the whole day in X-WR-TIMEZONE.
            (
                "Independence Day of the Republic of Kazakhstan – consular section closed",
                "2026-12-16T05:00:00Z",
                "2026-12-17T05:00:00Z",
            ),
        ],
        // The two EXDATEs (Christmas Eve, New Year's Eve), and nothing after UNTIL.
        absent: &["2026-12-24T23:00:00Z", "2026-12-31T23:00:00Z", "2027-04-01T22:00:00Z"],
        absent_titles: &["Consular outreach day", "Past reception"],
    },
    Case {
        file: "outlook.ics",
        count: 13 + 1 + 1 + 1,
        present: &[
            // Windows zone "Eastern Standard Time" with Outlook's VTIMEZONE.
            ("Consular office hours", "2026-11-30T14:00:00Z", "2026-11-30T17:00:00Z"),
            ("Consular office hours", "2026-12-07T14:00:00Z", "2026-12-07T17:00:00Z"),
            // The RECURRENCE-ID override replaces the 09:00 occurrence.
            ("Consular office hours (afternoon this week)", "2026-12-14T19:00:00Z", "2026-12-14T22:00:00Z"),
            ("Consular office hours", "2027-03-01T14:00:00Z", "2027-03-01T17:00:00Z"),
            // Two-day all-day event, in the content's zone (no X-WR-TIMEZONE).
            ("Independence Day holiday - Embassy closed", "2026-12-16T05:00:00Z", "2026-12-18T05:00:00Z"),
            // "Central Asia Standard Time": UTC+6 as its VTIMEZONE says.
            ("Q&A with Astana: studying in Kazakhstan", "2026-12-09T14:00:00Z", "2026-12-09T15:30:00Z"),
            // "Customized Time Zone": central European rules from its VTIMEZONE, in summer time.
            ("Trade mission to Frankfurt (briefing)", "2027-04-01T08:00:00Z", "2027-04-01T09:00:00Z"),
        ],
        // The moved occurrence's old time, and the cancelled one.
        absent: &["2026-12-14T14:00:00Z", "2026-12-28T14:00:00Z", "2027-03-08T14:00:00Z"],
        absent_titles: &["Canceled: Consular office hours"],
    },
    Case {
        file: "apple.ics",
        count: 12 + 1 + 1,
        present: &[
            // Monthly on the first Saturday, 14:00 New York time, no end.
            ("Dombra music afternoon", "2026-12-05T19:00:00Z", "2026-12-05T21:00:00Z"),
            ("Dombra music afternoon", "2027-01-02T19:00:00Z", "2027-01-02T21:00:00Z"),
            ("Dombra music afternoon", "2027-06-05T18:00:00Z", "2027-06-05T20:00:00Z"),
            ("Dombra music afternoon", "2027-11-06T18:00:00Z", "2027-11-06T20:00:00Z"),
            // IANA TZID: Almaty has been UTC+5 since March 2024.
            ("Nauryz concert live from Almaty", "2027-03-21T14:00:00Z", "2027-03-21T16:00:00Z"),
            ("Nauryz", "2027-03-21T04:00:00Z", "2027-03-23T04:00:00Z"),
        ],
        // December 2027 is past the one-year horizon.
        absent: &["2027-12-04T19:00:00Z"],
        absent_titles: &[],
    },
];

#[test]
fn real_world_exports_read_into_the_expected_events() {
    for case in CASES {
        let events = read_fixture(case.file);
        let listing: Vec<String> =
            events.iter().map(|e| format!("{} {} {:?}", e.start, e.end, e.title.get("en"))).collect();
        for (title, start, end) in case.present {
            assert!(
                events.iter().any(|e| e.title.get("en").map(String::as_str) == Some(*title)
                    && e.start == ts(start)
                    && e.end == ts(end)),
                "{}: expected {title:?} from {start} to {end}; got:\n{}",
                case.file,
                listing.join("\n")
            );
        }
        for start in case.absent {
            assert!(
                !events.iter().any(|e| e.start == ts(start)),
                "{}: nothing may start at {start}; got:\n{}",
                case.file,
                listing.join("\n")
            );
        }
        for title in case.absent_titles {
            assert!(titled(&events, title).is_empty(), "{}: {title:?} must be left out", case.file);
        }
        assert_eq!(events.len(), case.count, "{}: event count; got:\n{}", case.file, listing.join("\n"));
        let mut ids: Vec<_> = events.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), events.len(), "{}: every occurrence needs its own id", case.file);
    }
}

#[test]
fn text_is_unescaped_and_translations_come_from_x_kiosk_properties() {
    let google = read_fixture("google.ics");
    let class = titled(&google, "Kazakh language class")[0];
    assert_eq!(class.title.get("ru").map(String::as_str), Some("Курс казахского языка"));
    assert_eq!(class.title.get("kk").map(String::as_str), Some("Қазақ тілі курсы"));
    assert_eq!(
        class.location.get("en").map(String::as_str),
        Some("Embassy of Kazakhstan, 1401 16th St NW, Washington, DC 20036, USA"),
        "\\, in a folded line must come out as a comma"
    );
    assert_eq!(
        class.description.get("en").map(String::as_str),
        Some(
            "Weekly Kazakh language class for beginners, all welcome. Bring a notebook; books are provided.\nRegister at the front desk."
        )
    );
    let outlook = read_fixture("outlook.ics");
    let hours = titled(&outlook, "Consular office hours")[0];
    assert_eq!(hours.location.get("ru").map(String::as_str), Some("Консульский отдел, первый этаж"));
    assert_eq!(hours.timezone, "America/New_York", "a Windows name is labelled with its IANA zone");
}

#[test]
fn ids_are_stable_and_an_override_keeps_the_id_of_the_occurrence_it_replaces() {
    let a = read_fixture("outlook.ics");
    let b = read_fixture("outlook.ics");
    let ids = |v: &[Event]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    let moved = titled(&a, "Consular office hours (afternoon this week)")[0];
    assert!(moved.id.ends_with("-20261214t140000"), "the id names the original start: {}", moved.id);
    let film = titled(&read_fixture("google.ics"), "Film evening: \"The Road to Mother\"")[0].id.clone();
    assert!(film.starts_with("ics-") && !film.contains('@'), "ids are id-safe: {film}");
}

/// A small calendar in code, for the zone rules no fixture above covers.
fn calendar(header: &str, events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{header}{events}END:VCALENDAR\r\n")
}

fn event(uid: &str, lines: &str) -> String {
    format!("BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{uid}\r\n{lines}END:VEVENT\r\n")
}

#[test]
fn zones_resolve_as_feeds_write_them() {
    let file = Path::new("inline.ics");
    let text = calendar(
        "X-WR-TIMEZONE:Asia/Almaty\r\n",
        &[
            // Floating time: in X-WR-TIMEZONE (UTC+5).
            event("floating", "DTSTART:20270110T100000\r\nDTEND:20270110T110000\r\n"),
            // A Windows name with no VTIMEZONE block: CLDR's table.
            event("windows", "DTSTART;TZID=W. Europe Standard Time:20270110T100000\r\nDURATION:PT1H\r\n"),
            // A Mozilla-style prefixed IANA name.
            event(
                "prefixed",
                "DTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20270710T100000\r\nDURATION:PT30M\r\n",
            ),
            // Quoted TZID parameter.
            event("quoted", "DTSTART;TZID=\"Asia/Tokyo\":20270110T100000\r\nDURATION:PT1H\r\n"),
        ]
        .concat(),
    );
    let events = read(&text, file);
    let start = |uid: &str| titled(&events, uid).first().map(|e| e.start).unwrap_or_else(|| panic!("{uid} missing"));
    assert_eq!(start("floating"), ts("2027-01-10T05:00:00Z"));
    assert_eq!(start("windows"), ts("2027-01-10T09:00:00Z"));
    assert_eq!(start("prefixed"), ts("2027-07-10T09:00:00Z"));
    assert_eq!(start("quoted"), ts("2027-01-10T01:00:00Z"));

    // RDATE adds dates (a period's start too); COUNT counts from DTSTART,
    // also the occurrences before the build time.
    let text = calendar(
        "",
        &[
            event(
                "rdate",
                "DTSTART;TZID=Europe/Paris:20270110T100000\r\nDURATION:PT1H\r\n\
                 RDATE;TZID=Europe/Paris:20270210T100000,20270310T100000\r\n\
                 RDATE;VALUE=PERIOD:20270410T080000Z/PT1H\r\n",
            ),
            event("count", "DTSTART:20261120T150000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=10\r\n"),
        ]
        .concat(),
    );
    let events = read(&text, file);
    let starts = |uid: &str| titled(&events, uid).iter().map(|e| e.start).collect::<Vec<_>>();
    assert_eq!(
        starts("rdate"),
        [
            ts("2027-01-10T09:00:00Z"),
            ts("2027-02-10T09:00:00Z"),
            ts("2027-03-10T09:00:00Z"),
            ts("2027-04-10T08:00:00Z")
        ]
    );
    // 20 Nov + 10 days = the last on 29 Nov; 28 Nov and 29 Nov end after the build time.
    assert_eq!(starts("count"), [ts("2026-11-28T15:00:00Z"), ts("2026-11-29T15:00:00Z")]);

    // Without X-WR-TIMEZONE, floating times are in settings.toml's zone.
    let text = calendar("", &event("floating", "DTSTART:20270110T100000\r\nDTEND:20270110T110000\r\n"));
    assert_eq!(read(&text, file)[0].start, ts("2027-01-10T15:00:00Z"));
}

#[test]
fn a_calendar_replaces_events_toml_in_a_built_bundle() {
    let (tmp, dir) = scratch();
    std::fs::remove_file(dir.join("events.toml")).unwrap();
    std::fs::copy(fixture("google.ics"), dir.join("events.ics")).unwrap();
    let bundle = build_ok(&dir, &tmp.path().join("b.kbundle"));
    let events = bundle.upcoming_events(build_time(), Some("ru")).unwrap();
    assert_eq!(events.len(), 17);
    assert_eq!(events[0].title, "Курс казахского языка", "Russian title from X-KIOSK-TITLE-RU");
    assert_eq!(events[0].start, "2026-12-03T18:00:00-05:00");
}

fn broken(events: &str) -> Vec<ContentError> {
    let (_tmp, dir) = scratch();
    std::fs::write(dir.join("events.ics"), calendar("", events)).unwrap();
    let errors = build_errors(&dir);
    drop(_tmp);
    errors
}

#[test]
fn an_event_without_a_start_names_its_line() {
    // Line 4 is BEGIN:VEVENT (after BEGIN:VCALENDAR, VERSION, PRODID).
    let errors = broken(&event("no-start", "DTEND:20270110T110000Z\r\n"));
    assert_error(&errors, "events.ics", Some(4), "no DTSTART");
}

#[test]
fn an_unknown_tzid_without_a_vtimezone_names_its_line() {
    let errors = broken(&event("mars", "DTSTART;TZID=Mars Standard Time:20270110T100000\r\nDURATION:PT1H\r\n"));
    assert_error(&errors, "events.ics", Some(7), "unknown time zone TZID `Mars Standard Time`");
}

#[test]
fn an_event_ending_before_it_starts_names_the_dtend_line() {
    let errors = broken(&event("backwards", "DTSTART:20270110T100000Z\r\nDTEND:20270110T090000Z\r\n"));
    assert_error(&errors, "events.ics", Some(8), "ends before it starts");
}

#[test]
fn an_unknown_translation_language_names_its_line() {
    let errors = broken(&event("fr", "DTSTART:20270110T100000Z\r\nX-KIOSK-TITLE-FR:Cours\r\n"));
    assert_error(&errors, "events.ics", Some(8), "unknown language `fr`");
}

#[test]
fn a_shown_character_no_font_draws_names_its_line_and_a_past_one_does_not_stop_the_build() {
    let past =
        "BEGIN:VEVENT\r\nUID:past\r\nSUMMARY:Party 🎉\r\nDTSTART:20200110T100000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n";
    let emoji = event("future", "DTSTART:20270110T100000Z\r\nDURATION:PT1H\r\nLOCATION:Hall \u{e000}\r\n");
    let errors = broken(&format!("{past}{emoji}"));
    assert_error(&errors, "events.ics", Some(15), "(U+E000) is drawn by none of the kiosk's fonts");
    assert_eq!(errors.len(), 1, "only the event the kiosk would show is refused: {errors:#?}");
}

#[test]
fn a_fold_inside_a_multibyte_character_is_joined_back() {
    // RFC 5545 §3.1: simple writers fold at 75 octets even inside a UTF-8
    // sequence, and readers must restore it. "Д" is 0xD0 0x94; fold between.
    let (tmp, dir) = scratch();
    let mut bytes = calendar("", &event("split", "DTSTART:20270110T100000Z\r\nDURATION:PT1H\r\n")).into_bytes();
    let at = bytes.windows(6).position(|w| w == b"END:VE").unwrap();
    let line = "X-KIOSK-TITLE-RU:День открытых дверей\r\n".as_bytes();
    let cut = line.iter().position(|&b| b == 0xD0).unwrap() + 1;
    let folded: Vec<u8> = [&line[..cut], b"\r\n ", &line[cut..]].concat();
    bytes.splice(at..at, folded);
    std::fs::remove_file(dir.join("events.toml")).unwrap();
    std::fs::write(dir.join("events.ics"), &bytes).unwrap();
    let bundle = build_ok(&dir, &tmp.path().join("b.kbundle"));
    let events = bundle.upcoming_events(build_time(), Some("ru")).unwrap();
    assert_eq!(events[0].title, "День открытых дверей");
}

#[test]
fn without_a_calendar_reader_a_calendar_is_refused_not_ignored() {
    // The kiosk's own demo build has no reader: events.ics must not vanish silently.
    let (_tmp, dir) = scratch();
    std::fs::copy(fixture("google.ics"), dir.join("events.ics")).unwrap();
    let out = dir.parent().unwrap().join("out.kbundle");
    let options = BuildOptions { build_time: build_time(), ..BuildOptions::default() };
    match build_bundle(&dir, &out, &options, &mut NoProgress) {
        Err(BuildError::Content(errors)) => assert_error(&errors, "events.ics", None, "does not read calendars"),
        other => panic!("expected a content error, got {other:?}"),
    }
}

#[test]
fn the_second_demo_embassy_builds_complete_in_four_languages() {
    // Another embassy, from content alone: its identity, Arabic (right to
    // left) and Chinese interface words, a Google-style calendar.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/second-embassy");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("second.kbundle");
    let report = build_bundle(&dir, &out, &opts(), &mut NoProgress).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.notes.is_empty(), "every word is translated: {:?}", report.notes);
    let b = Bundle::open(&out).unwrap();
    b.verify().unwrap();
    let ar = b.home(Some("ar")).unwrap();
    assert_eq!(ar.direction, kiosk_content::words::Direction::Rtl);
    assert!(!ar.words["embassy"].is_ascii() && ar.sections.iter().all(|s| s.lang == "ar"));
    assert!(ar.emblem.is_some());
    let zh = b.home(Some("zh")).unwrap();
    let codes: Vec<_> = zh.languages.iter().map(|l| l.code.as_str()).collect();
    assert_eq!(codes, ["en", "ar", "zh", "fr"]);
    assert!(zh.words["back"].chars().all(|c| !c.is_ascii_alphabetic()), "Chinese words: {}", zh.words["back"]);
    let events = b.upcoming_events(build_time(), Some("fr")).unwrap();
    assert!(events.len() >= 10, "the calendar's occurrences: {}", events.len());
    assert!(
        !events.iter().any(|e| e.title.contains("film") || e.title.contains("Film")),
        "the cancelled film evening is left out"
    );
}
