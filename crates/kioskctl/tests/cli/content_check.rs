//! `kioskctl bundle check` and `bundle build` on content with what a visitor
//! who cannot see the screen would miss: the same lines, file and line first.

use super::*;

#[test]
fn check_and_build_name_a_picture_and_an_unreadable_track_title_by_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("content");
    kiosk_testsupport::copy_dir(&content(), &dir);
    let o = kioskctl(&["bundle", "check", dir.to_str().unwrap()]);
    assert!(o.status.success(), "the demo content passes the check: {}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("ok: ") && text(&o.stdout).contains("3 tracks"), "{}", text(&o.stdout));

    let overview = dir.join("sections/overview.md");
    let t = std::fs::read_to_string(&overview).unwrap().replacen("+++\n\n", "+++\n\n![](map.png)\n\n", 1);
    std::fs::write(&overview, t).unwrap();
    let tracks = dir.join("music/tracks.toml");
    let t = std::fs::read_to_string(&tracks).unwrap().replacen("en = \"Steppe Morning\"", "en = \"steppe-morning\"", 1);
    std::fs::write(&tracks, t).unwrap();

    let o = kioskctl(&["bundle", "check", dir.to_str().unwrap()]);
    assert!(!o.status.success(), "a check with errors exits non-zero");
    let checked = text(&o.stderr);
    let picture =
        format!("{}:7: the picture `map.png` has no description for visitors who cannot see it", overview.display());
    let title = format!("{}:7: title: `steppe-morning` is the audio file's name", tracks.display());
    assert!(checked.contains(&picture), "the picture's file and line: {checked}");
    assert!(checked.contains(&title), "the title's file and line: {checked}");
    assert!(checked.contains("2 error(s) in"), "{checked}");

    let out = tmp.path().join("out.kbundle");
    let o = kioskctl(&["bundle", "build", dir.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!o.status.success());
    let built = text(&o.stderr);
    assert!(built.contains(&picture) && built.contains(&title), "build reports the same: {built}");
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_picture_in_a_calendar_events_description_names_the_calendar_and_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("content");
    kiosk_testsupport::copy_dir(&content(), &dir);
    // A month from now, inside the window the build keeps.
    let day = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(24 * 30)).unwrap();
    let day = day.strftime("%Y%m%d");
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:open-day@embassy\r\n\
         DTSTART:{day}T150000Z\r\nDTEND:{day}T180000Z\r\nSUMMARY:Open day\r\n\
         DESCRIPTION:Come in. ![The garden](garden.png)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    std::fs::write(dir.join("events.ics"), ics).unwrap();
    let o = kioskctl(&["bundle", "check", dir.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    let expected = format!("{}:9: event `", dir.join("events.ics").display());
    assert!(err.contains(&expected) && err.contains("the picture `garden.png` would not be shown"), "{err}");
}
