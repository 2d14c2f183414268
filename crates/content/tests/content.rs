//! Building the demo content into a bundle and reading it back, and one test
//! per class of bad input staff can make: each must name the file and line,
//! and must leave nothing half-written at the output path.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use kiosk_content::build::{BuildOptions, build_bundle};
use kiosk_content::bundle::Bundle;
use kiosk_content::error::{BuildError, BundleError, ContentError};
use kiosk_content::source::NoProgress;

#[path = "content/alternatives.rs"]
mod alternatives;
#[path = "content/identity.rs"]
mod identity;

fn demo_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

/// A scratch copy of the demo content that a test may break.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("content");
    kiosk_testsupport::copy_dir(&demo_content(), &dir);
    (tmp, dir)
}

fn opts() -> BuildOptions {
    BuildOptions {
        bundle_version: Some(7),
        channel: "stable".into(),
        build_time: "2026-11-28T12:00:00Z".parse().unwrap(),
        events_feed: None,
        calendar: None,
    }
}

fn build_ok(dir: &Path, out: &Path) -> Bundle {
    build_bundle(dir, out, &opts(), &mut NoProgress).unwrap_or_else(|e| panic!("demo content must build: {e}"));
    Bundle::open(out).unwrap()
}

/// Builds `dir`, expecting content errors; checks nothing was written to the output.
fn build_errors(dir: &Path) -> Vec<ContentError> {
    let out = dir.parent().unwrap().join("out.kbundle");
    let err = build_bundle(dir, &out, &opts(), &mut NoProgress).expect_err("broken content must not build");
    assert!(!out.exists(), "a failed build must not leave a bundle at the output path");
    let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "a failed build must not leave temporary files behind");
    match err {
        BuildError::Content(errors) => errors,
        other => panic!("expected content errors, got {other}"),
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

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "fixture text {from:?} not found in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn demo_content_builds_and_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let b = build_ok(&demo_content(), &tmp.path().join("demo.kbundle"));
    assert_eq!(b.meta().bundle_version, 7);
    assert_eq!(b.meta().channel, "stable");

    let home = b.home(Some("en")).unwrap();
    let titles: Vec<_> = home.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Overview", "Political Reform", "Interreligious and Interethnic Consent"],
        "the seed's three sections, in order"
    );
    let codes: Vec<_> = home.languages.iter().map(|l| l.code.as_str()).collect();
    assert_eq!(codes, ["en", "kk", "ru"]);

    let overview = b.section("overview", Some("en")).unwrap();
    assert!(
        overview.html.starts_with(
            "<p>The Constitution of the Republic of Kazakhstan approved through a national referendum in August 1995"
        ),
        "the Overview keeps the page's text verbatim: {}",
        &overview.html[..120]
    );
    assert!(overview.html.contains("<li>from 39 to 47 members in Senate."), "bullets become a list");

    // Item-by-item fallback: Russian where there is Russian, English elsewhere.
    let ru = b.home(Some("ru")).unwrap();
    assert_eq!(ru.sections[0].title, "Overview");
    assert_eq!(ru.sections[0].lang, "en");
    assert_eq!(ru.sections[2].title, "Межрелигиозное и межэтническое согласие");
    assert_eq!(b.section("interethnic-consent", Some("kk")).unwrap().lang, "kk");
    assert_eq!(b.home(Some("de")).unwrap().lang, "en", "an unknown language falls back to the default");

    let tracks = b.tracks(Some("kk")).unwrap();
    assert_eq!(tracks.len(), 3);
    assert_eq!(tracks[0].title, "Дала таңы");
    for t in &tracks {
        assert!((20_000..=40_000).contains(&t.duration_ms), "samples are 20–40 s: {} is {} ms", t.id, t.duration_ms);
        assert!(b.track_audio(&t.id).unwrap().len() < 1_000_000, "each sample is under 1 MB");
    }
    let (lang, text, version) = b.consent(Some("kk"));
    assert_eq!((lang.as_str(), version), ("kk", 1));
    assert!(text.starts_with("Елшіліктің"), "the consent statement in Kazakh: {text}");
    assert!(b.consent(Some("de")).1.starts_with("I agree"), "an unoffered language falls back to the default");
    let report = b.verify().unwrap();
    assert_eq!(report.counts, (3, 8, 3));
}

#[test]
fn upcoming_events_hide_past_ones_and_use_the_embassy_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let b = build_ok(&demo_content(), &tmp.path().join("demo.kbundle"));
    let now: Timestamp = "2026-11-28T12:00:00Z".parse().unwrap();
    let events = b.upcoming_events(now, Some("ru")).unwrap();
    let ids: Vec<_> = events.iter().map(|e| e.id.as_str()).collect();
    assert!(
        !ids.contains(&"republic-day-2026") && !ids.contains(&"language-class-2026-11"),
        "past events are never shown"
    );
    assert_eq!(ids.first(), Some(&"independence-day-2026"), "soonest first");
    assert_eq!(events.len(), 6);
    let first = &events[0];
    assert_eq!(first.start, "2026-12-16T18:00:00-05:00", "times are in the embassy's zone (New York, winter)");
    assert_eq!(first.month, "2026-12");
    assert_eq!(first.title, "Приём по случаю Дня независимости");
    let poetry = events.iter().find(|e| e.id == "poetry-evening-2027-04").unwrap();
    assert_eq!(poetry.title, "Evening of Kazakh Poetry", "a missing translation falls back to the default language");
    assert_eq!(poetry.start, "2027-04-15T18:30:00-04:00", "summer time applies in April");
    // An event still running counts as upcoming.
    let during = "2026-12-16T23:30:00Z".parse().unwrap();
    assert_eq!(b.upcoming_events(during, None).unwrap()[0].id, "independence-day-2026");
    let later = "2028-01-01T00:00:00Z".parse().unwrap();
    assert!(b.upcoming_events(later, None).unwrap().is_empty());
}

#[test]
fn a_failed_build_keeps_the_previous_bundle_at_the_output() {
    let (tmp, dir) = scratch();
    let out = tmp.path().join("live.kbundle");
    build_ok(&dir, &out);
    let before = std::fs::read(&out).unwrap();
    edit(&dir.join("events.toml"), "start = \"2026-12-16T18:00\"", "start = \"tomorrow\"");
    assert!(build_bundle(&dir, &out, &opts(), &mut NoProgress).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), before, "a failed build must leave the existing bundle untouched");
}

#[test]
fn unclosed_front_matter_names_the_file() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("sections/overview.md"), "title = \"Overview\"\n+++", "title = \"Overview\"\n");
    assert_error(&build_errors(&dir), "sections/overview.md", Some(1), "front matter is not closed");
}

#[test]
fn missing_front_matter_names_the_file() {
    let (_tmp, dir) = scratch();
    std::fs::write(dir.join("sections/extra.md"), "Just text\n").unwrap();
    assert_error(&build_errors(&dir), "sections/extra.md", Some(1), "must start with front matter");
}

#[test]
fn unknown_front_matter_field_names_the_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("sections/political-reform.md"), "order = 2", "order = 2\ntitel = \"x\"");
    assert_error(&build_errors(&dir), "sections/political-reform.md", Some(4), "unknown field `titel`");
}

#[test]
fn bad_front_matter_value_names_the_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("sections/political-reform.md"), "order = 2", "order = \"second\"");
    assert_error(&build_errors(&dir), "sections/political-reform.md", Some(3), "invalid type");
}

#[test]
fn duplicate_section_id_is_refused() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("sections/political-reform.md"), "id = \"political-reform\"", "id = \"overview\"");
    assert_error(&build_errors(&dir), "political-reform.md", Some(2), "duplicate section id `overview`");
}

#[test]
fn duplicate_event_id_names_the_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("events.toml"), "id = \"nauryz-2027\"", "id = \"film-evening-2027-01\"");
    let errors = build_errors(&dir);
    let line = std::fs::read_to_string(dir.join("events.toml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("Nauryz: Spring"))
        .unwrap()
        - 3
        + 1;
    assert_error(&errors, "events.toml", Some(line), "duplicate event id");
}

#[test]
fn missing_audio_names_the_line_in_tracks_toml() {
    let (_tmp, dir) = scratch();
    std::fs::remove_file(dir.join("music/caravan-road.ogg")).unwrap();
    assert_error(&build_errors(&dir), "music/tracks.toml", Some(12), "is missing");
}

#[test]
fn undecodable_audio_names_the_audio_file() {
    let (_tmp, dir) = scratch();
    std::fs::write(dir.join("music/evening-song.ogg"), b"OggS this is not really vorbis at all").unwrap();
    assert_error(&build_errors(&dir), "music/evening-song.ogg", None, "cannot decode the audio");
}

#[test]
fn unsupported_audio_format_is_refused() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("music/tracks.toml"), "file = \"steppe-morning.ogg\"", "file = \"steppe-morning.mp3\"");
    assert_error(&build_errors(&dir), "music/tracks.toml", Some(6), "use Ogg Vorbis");
}

#[test]
fn bad_date_names_the_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("events.toml"), "end = \"2027-02-18T12:00\"", "end = \"2027-02-30T12:00\"");
    let errors = build_errors(&dir);
    let line = std::fs::read_to_string(dir.join("events.toml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("2027-02-30"))
        .unwrap()
        + 1;
    assert_error(&errors, "events.toml", Some(line), "is not a date and time");
}

#[test]
fn event_ending_before_it_starts_is_refused() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("events.toml"), "end = \"2027-02-18T12:00\"", "end = \"2027-02-18T09:00\"");
    assert_error(&build_errors(&dir), "events.toml", None, "ends before it starts");
}

#[test]
fn bad_timezone_names_the_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("settings.toml"), "timezone = \"America/New_York\"", "timezone = \"Mars/Olympus_Mons\"");
    assert_error(&build_errors(&dir), "settings.toml", Some(9), "unknown time zone `Mars/Olympus_Mons`");
}

#[test]
fn unknown_language_in_a_file_name_is_refused() {
    let (_tmp, dir) = scratch();
    std::fs::copy(dir.join("sections/interethnic-consent.ru.md"), dir.join("sections/interethnic-consent.de.md"))
        .unwrap();
    assert_error(&build_errors(&dir), "interethnic-consent.de.md", Some(1), "unknown language `de`");
}

#[test]
fn unknown_language_in_a_text_names_the_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("events.toml"), "ru = \"Вечер казахского кино\"", "fr = \"Soirée du cinéma kazakh\"");
    let errors = build_errors(&dir);
    let line =
        std::fs::read_to_string(dir.join("events.toml")).unwrap().lines().position(|l| l.contains("Soirée")).unwrap()
            + 1;
    assert_error(&errors, "events.toml", Some(line), "unknown language `fr`");
}

#[test]
fn unknown_settings_key_names_the_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("settings.toml"), "attract_slide_secs = 8", "attract_slide_secs = 8\nidle_timout = 5");
    assert_error(&build_errors(&dir), "settings.toml", Some(14), "unknown field `idle_timout`");
}

#[test]
fn all_errors_are_reported_at_once() {
    let (_tmp, dir) = scratch();
    std::fs::remove_file(dir.join("music/caravan-road.ogg")).unwrap();
    edit(&dir.join("events.toml"), "start = \"2026-12-16T18:00\"", "start = \"soon\"");
    let errors = build_errors(&dir);
    assert!(errors.len() >= 2, "staff fix everything in one go: {errors:#?}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("junk.kbundle");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Bundle::open(&path).err().expect("junk must not open");
    assert!(matches!(err, BundleError::Sqlite(_)), "got {err}");
}

#[test]
fn a_sqlite_file_that_is_not_a_bundle_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("other.sqlite");
    rusqlite::Connection::open(&path).unwrap().execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
    let err = Bundle::open(&path).err().expect("a foreign database must not open");
    assert!(matches!(err, BundleError::Unsupported(_)), "got {err}");
}

#[test]
fn a_truncated_bundle_fails_verification() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("demo.kbundle");
    build_ok(&demo_content(), &path);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let result = Bundle::open(&path).and_then(|b| b.verify());
    assert!(result.is_err(), "half a bundle must not verify");
}

#[test]
fn missing_bundle_says_so() {
    let err = Bundle::open(Path::new("/nonexistent/demo.kbundle")).err().unwrap();
    assert_eq!(err.code(), "bundle_io");
}
