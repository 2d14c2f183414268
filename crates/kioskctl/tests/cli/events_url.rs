//! `kioskctl bundle build --events-url`: the calendar is fetched at build time
//! from a real server on loopback, and refused when it is not https, too big,
//! or redirected off https.

use kiosk_testsupport::files::FileServer;
use kiosk_testsupport::scripted::{Reply, ScriptedServer};

use super::{content, kioskctl, text};

/// A weekly event that started in the past and never ends: whenever the test
/// runs, the year after it holds 52 or 53 occurrences.
const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-TIMEZONE:America/New_York\r\n\
BEGIN:VEVENT\r\nUID:weekly-open-day@embassy.example\r\nDTSTART;TZID=America/New_York:20260105T100000\r\n\
DTEND;TZID=America/New_York:20260105T120000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:Open day\\, all welcome\r\n\
X-KIOSK-TITLE-RU:День открытых дверей\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

fn build_with(url: &str, out: &std::path::Path) -> std::process::Output {
    kioskctl(&[
        "bundle",
        "build",
        content().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--bundle-version",
        "5",
        "--events-url",
        url,
    ])
}

#[test]
fn events_url_adds_the_calendar_to_the_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    std::fs::create_dir(&served).unwrap();
    std::fs::write(served.join("embassy.ics"), FEED).unwrap();
    let rt = runtime();
    let server = rt.block_on(FileServer::start(served, None));
    let out = tmp.path().join("b.kbundle");
    let o = build_with(&server.url("embassy.ics"), &out);
    assert!(o.status.success(), "the build must fetch the feed: {}", text(&o.stderr));
    let stdout = text(&o.stdout);
    // The demo's 8 events.toml events, plus the calendar's.
    let events: usize = stdout
        .split(", ")
        .find_map(|p| p.strip_suffix(" events"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("build prints its counts: {stdout}"));
    assert!((8 + 52..=8 + 53).contains(&events), "8 + a year of weekly events, got {events}: {stdout}");

    let o = kioskctl(&["bundle", "inspect", "--json", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("Open day, all welcome"), "the feed's title is in the bundle");
}

#[test]
fn events_url_refuses_plain_http_off_this_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.kbundle");
    // 192.0.2.1 is a documentation address: refused before any connection.
    let o = build_with("http://192.0.2.1/embassy.ics", &out);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("only https://"), "{}", text(&o.stderr));
    assert!(!out.exists(), "nothing is written when the feed is refused");
}

#[test]
fn events_url_refuses_a_redirect_off_https_and_an_error_status() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.kbundle");
    let rt = runtime();
    let redirect = rt.block_on(ScriptedServer::start(Reply::redirect(302, "http://192.0.2.1/embassy.ics")));
    let o = build_with(&redirect.url("/embassy.ics"), &out);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("redirect to http://192.0.2.1/embassy.ics refused"), "{}", text(&o.stderr));

    let missing = rt.block_on(ScriptedServer::start(Reply::json(404, "{}")));
    let o = build_with(&missing.url("/embassy.ics"), &out);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("HTTP 404"), "{}", text(&o.stderr));
    assert!(!out.exists());
}

#[test]
fn events_url_refuses_a_calendar_over_the_size_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let mut big = FEED.replace("END:VCALENDAR\r\n", "");
    let filler = format!("X-FILLER:{}\r\n", "x".repeat(70));
    while big.len() <= 8 * 1024 * 1024 {
        big.push_str(&filler);
    }
    big.push_str("END:VCALENDAR\r\n");
    std::fs::write(served.join("big.ics"), big).unwrap();
    let rt = runtime();
    let server = rt.block_on(FileServer::start(served, None));
    let out = tmp.path().join("b.kbundle");
    let o = build_with(&server.url("big.ics"), &out);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("larger than 8 MiB"), "{}", text(&o.stderr));
    assert!(!out.exists());
}
