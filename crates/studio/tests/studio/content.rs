//! Editing: what a save writes (only what changed, comments kept), what it
//! refuses (and then writes nothing), and edits made behind its back.

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use kiosk_content::source::{LoadOptions, NoProgress, load_with};
use serde_json::{Value, json};

use super::fixture::{Fixture, fields, repo};

fn load(dir: &Path) -> kiosk_content::model::Content {
    let options = LoadOptions {
        now: "2026-11-30T12:00:00Z".parse().unwrap(),
        events_feed: None,
        calendar: Some(Arc::new(kiosk_calendar::Ics)),
        durations: None,
    };
    load_with(dir, &options, &mut NoProgress).unwrap_or_else(|e| panic!("{e:?}"))
}

fn new_event() -> Value {
    json!({
        "id": "book-fair-2026-12",
        "start": "2026-12-12T10:00",
        "end": "2026-12-12T16:00",
        "timezone": null,
        "title": { "en": "Book fair", "kk": "Кітап жәрмеңкесі" },
        "location": { "en": "Embassy library" },
        "description": {},
    })
}

#[test]
fn an_unchanged_save_writes_nothing_and_an_added_event_keeps_every_comment() {
    let f = Fixture::new();
    let before = f.read("events.toml");
    let c = f.content();
    let a = f.save(&c, &c["drafts"]);
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(f.read("events.toml"), before, "a save without edits changes no byte");
    let mut drafts = c["drafts"].clone();
    drafts["events"].as_array_mut().unwrap().push(new_event());
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    let after = f.read("events.toml");
    assert!(after.starts_with(&before), "the new event is appended; everything before stays byte for byte");
    assert!(after.contains("title = { en = \"Book fair\", kk = \"Кітап жәрмеңкесі\" }"), "{after}");
    let content = load(f.dir.path());
    let e = content.events.iter().find(|e| e.id == "book-fair-2026-12").expect("the bundle build reads it");
    assert_eq!(e.title["kk"], "Кітап жәрмеңкесі");
    // The answer is the new state: a second save from it works.
    let fresh = a.json();
    assert_eq!(f.save(&fresh, &fresh["drafts"]).status, StatusCode::OK);
}

#[test]
fn an_impossible_date_or_an_end_before_the_start_is_shown_at_its_field_and_nothing_is_written() {
    let f = Fixture::new();
    let c = f.content();
    let before = f.read("events.toml");
    for (field, value, expected) in [
        ("end", "2026-12-12T09:00", "event-end"),
        ("start", "2027-02-30T10:00", "event-start"),
        ("start", "", "event-start"),
    ] {
        let mut drafts = c["drafts"].clone();
        let mut e = new_event();
        e[field] = json!(value);
        drafts["events"].as_array_mut().unwrap().push(e);
        let check = f.call("POST", "/api/check", &json!({ "drafts": drafts }));
        assert_eq!(fields(&check.json()["problems"]), vec![(expected.to_string(), Some("book-fair-2026-12".into()))]);
        let a = f.save(&c, &drafts);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(a.json()["code"], "problems");
        assert_eq!(fields(&a.json()["problems"])[0].0, expected);
        assert_eq!(f.read("events.toml"), before, "nothing written for {field} = {value:?}");
    }
}

#[test]
fn a_file_changed_on_disk_behind_the_studio_is_not_overwritten() {
    let f = Fixture::new();
    let c = f.content();
    let by_hand = f.read("events.toml").replace("Republic Day Reception", "Republic Day Reception (edited by hand)");
    std::fs::write(f.path("events.toml"), &by_hand).unwrap();
    let mut drafts = c["drafts"].clone();
    drafts["settings"]["idle_timeout_secs"] = json!(120);
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.json()["code"], "changed_on_disk");
    assert_eq!(a.json()["files"], json!(["events.toml"]));
    assert_eq!(f.read("events.toml"), by_hand);
    assert!(f.read("settings.toml").contains("idle_timeout_secs = 90"), "nothing at all was written");
    // The same from a second tab: two saves from one base, the second refused.
    let c = f.content();
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
    drafts["settings"]["idle_timeout_secs"] = json!(150);
    assert_eq!(f.save(&c, &drafts).status, StatusCode::CONFLICT);
    assert!(f.read("settings.toml").contains("idle_timeout_secs = 120"));
}

#[test]
fn sections_are_translated_reordered_added_and_removed_as_files() {
    let f = Fixture::new();
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    let sections = drafts["sections"].as_array_mut().unwrap();
    assert_eq!(sections[0]["id"], "overview");
    sections[0]["title"]["kk"] = json!("Шолу");
    sections[0]["body"]["kk"] = json!("Қазақстан Конституциясы **1995** жылы қабылданды.");
    sections[2]["title"]["ru"] = json!("Согласие");
    sections.swap(0, 1);
    sections.push(json!({ "file": null, "id": "visas", "title": { "en": "Visas" }, "body": { "en": "Ask at the *consular* desk." } }));
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(
        f.read("sections/overview.kk.md"),
        "+++\ntitle = \"Шолу\"\n+++\n\nҚазақстан Конституциясы **1995** жылы қабылданды.\n"
    );
    assert!(f.read("sections/interethnic-consent.ru.md").starts_with("+++\ntitle = \"Согласие\"\n+++\n\nВ Казахстане"));
    assert!(f.read("sections/visas.md").contains("id = \"visas\""));
    let content = load(f.dir.path());
    let order: Vec<&str> = content.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(order, ["political-reform", "overview", "interethnic-consent", "visas"]);
    assert_eq!(content.sections[1].texts["kk"].title, "Шолу");
    // Removing a section removes its translations too.
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["sections"].as_array_mut().unwrap().retain(|s| s["id"] != "interethnic-consent");
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
    for lang in ["", ".kk", ".ru"] {
        assert!(!f.path(&format!("sections/interethnic-consent{lang}.md")).exists());
    }
    // A character no kiosk font draws is refused in the body it is in.
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["sections"][0]["body"]["en"] = json!("Party time \u{1F389}");
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&a.json()["problems"])[0], ("section-body-en".to_string(), Some("political-reform".into())));
}

#[test]
fn colours_below_aa_are_refused_and_a_changed_consent_statement_asks_for_its_meaning() {
    let f = Fixture::new();
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["settings"]["theme"]["text"] = json!("#A0A0A0");
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = a.json()["problems"].clone();
    assert_eq!(fields(&problems), vec![("theme-text".to_string(), None)]);
    assert!(problems[0]["message"].as_str().unwrap().contains("4.5"), "{problems}");
    // A passing colour keeps the comment beside it.
    drafts["settings"]["theme"]["text"] = json!("#101820");
    drafts["settings"]["theme"]["primary"] = json!("#005A70");
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
    let settings = f.read("settings.toml");
    assert!(settings.contains("primary = \"#005A70\"     # deep steppe blue"), "{settings}");
    // The consent statement: the meaning decides the version.
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["settings"]["consent"]["text"]["en"] =
        json!("I agree that the Embassy may keep my email address to send me its newsletter.");
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.json()["code"], "consent_meaning");
    assert!(f.read("settings.toml").contains("version = 1"));
    let a = f.call("PUT", "/api/save", &json!({ "base_revs": c["revs"], "drafts": drafts, "consent": "new_version" }));
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["drafts"]["settings"]["consent"]["version"], 2);
    assert!(f.read("settings.toml").contains("version = 2"));
}

#[test]
fn music_uploads_accept_what_the_kiosk_plays_and_refuse_mp3_and_wav_with_the_reason() {
    let f = Fixture::new();
    let mp3 = f.upload("song.mp3", b"ID3\x04\0\0\0\0\0\0\xff\xfb\x90\x64".to_vec());
    assert_eq!(mp3.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(mp3.json()["message"].as_str().unwrap().contains("MP3"));
    let mut wav = b"RIFF\x24\0\0\0WAVEfmt ".to_vec();
    wav.extend([0u8; 64]);
    assert_eq!(f.upload("song.wav", wav).status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let ogg = std::fs::read(repo().join("content/music/evening-song.ogg")).unwrap();
    let a = f.upload("Dombra%20Night.ogg", ogg.clone());
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    let up = a.json();
    assert_eq!(up["file"], "dombra-night.ogg");
    assert!(up["duration_ms"].as_u64().unwrap() > 1000);
    assert!(!f.path("music/dombra-night.ogg").exists(), "an upload waits for Save");
    assert_eq!(f.get("/api/music/file/dombra-night.ogg").body, ogg, "it plays in the browser before Save");
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    let tracks = drafts["tracks"].as_array_mut().unwrap();
    tracks.insert(0, json!({ "id": "dombra-night", "file": "dombra-night.ogg", "title": { "en": "Dombra Night" }, "credit": { "en": "Recorded at the embassy" } }));
    tracks.swap(1, 2);
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(std::fs::read(f.path("music/dombra-night.ogg")).unwrap(), ogg);
    let order: Vec<String> = load(f.dir.path()).tracks.iter().map(|t| t.id.clone()).collect();
    assert_eq!(order, ["dombra-night", "caravan-road", "steppe-morning", "evening-song"]);
    assert!(
        f.read("music/tracks.toml").starts_with("# The \"Kazakhstan Music\" samples."),
        "the file's opening comment stays on top"
    );
    // A track without its audio is shown at the track.
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["tracks"][0]["file"] = json!("missing.ogg");
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&a.json()["problems"])[0], ("track-file".to_string(), Some("dombra-night".into())));
}

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:weekly-class@embassy\r\nDTSTART;TZID=Europe/Berlin:20261203T170000\r\nDTEND;TZID=Europe/Berlin:20261203T183000\r\n\
RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Language class\r\nLOCATION:Library\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:open-day@embassy\r\nDTSTART;VALUE=DATE:20261219\r\nDTEND;VALUE=DATE:20261220\r\nSUMMARY:Open day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:cancelled@embassy\r\nDTSTART:20261215T180000Z\r\nDTEND:20261215T200000Z\r\nSTATUS:CANCELLED\r\nSUMMARY:Called off\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

#[test]
fn an_ics_import_adds_updates_and_removes_events_by_uid() {
    let f = Fixture::new();
    let c = f.content();
    let events = c["drafts"]["events"].clone();
    let n = events.as_array().unwrap().len();
    let a = f.call("POST", "/api/events/import", &json!({ "ics": ICS, "events": events }));
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    let r = a.json();
    assert_eq!((r["added"].as_u64(), r["updated"].as_u64(), r["removed"].as_u64()), (Some(4), Some(0), Some(0)));
    let imported: Vec<&Value> = r["events"].as_array().unwrap()[n..].iter().collect();
    let classes: Vec<(&str, &str, &Value)> = imported
        .iter()
        .filter(|e| e["title"]["en"] == "Language class")
        .map(|e| (e["start"].as_str().unwrap(), e["end"].as_str().unwrap(), &e["timezone"]))
        .collect();
    assert_eq!(
        classes,
        vec![
            ("2026-12-03T17:00", "2026-12-03T18:30", &json!("Europe/Berlin")),
            ("2026-12-10T17:00", "2026-12-10T18:30", &json!("Europe/Berlin")),
            ("2026-12-17T17:00", "2026-12-17T18:30", &json!("Europe/Berlin")),
        ],
        "a weekly event becomes its three occurrences, in the calendar's own time zone"
    );
    let open_day = imported.iter().find(|e| e["title"]["en"] == "Open day").unwrap();
    assert_eq!(
        (open_day["start"].as_str(), open_day["end"].as_str()),
        (Some("2026-12-19T00:00"), Some("2026-12-20T00:00"))
    );
    assert!(imported.iter().all(|e| e["title"]["en"] != "Called off"), "a cancelled event is left out");
    // Saved, the bundle build reads them; importing the same file again changes nothing.
    let mut drafts = c["drafts"].clone();
    drafts["events"] = r["events"].clone();
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
    assert_eq!(load(f.dir.path()).events.len(), n + 4);
    let again = f.call("POST", "/api/events/import", &json!({ "ics": ICS, "events": r["events"] })).json();
    assert_eq!(
        (again["added"].as_u64(), again["updated"].as_u64(), again["removed"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    // The organiser moves the open day and cancels the class: the import follows.
    let changed = ICS
        .replace("20261219\r\nDTEND;VALUE=DATE:20261220", "20261220\r\nDTEND;VALUE=DATE:20261221")
        .replace("RRULE:FREQ=WEEKLY;COUNT=3\r\n", "RRULE:FREQ=WEEKLY;COUNT=3\r\nSTATUS:CANCELLED\r\n");
    let r = f.call("POST", "/api/events/import", &json!({ "ics": changed, "events": r["events"] })).json();
    assert_eq!((r["added"].as_u64(), r["updated"].as_u64(), r["removed"].as_u64()), (Some(0), Some(1), Some(3)), "{r}");
    assert_eq!(r["events"].as_array().unwrap().len(), n + 1);
    // An export in which the class series cannot be read any more keeps the classes imported before.
    let mut drafts = c["drafts"].clone();
    drafts["events"] =
        f.call("POST", "/api/events/import", &json!({ "ics": ICS, "events": c["drafts"]["events"] })).json()["events"]
            .clone();
    let broken =
        ICS.replace("DTSTART;TZID=Europe/Berlin:20261203T170000", "DTSTART;TZID=Europe/Berlin:2026-12-03 at five");
    let r = f.call("POST", "/api/events/import", &json!({ "ics": broken, "events": drafts["events"] })).json();
    assert_eq!(r["removed"].as_u64(), Some(0), "{r}");
    assert_eq!(r["events"].as_array().unwrap().len(), n + 4);
    assert!(!r["skipped"].as_array().unwrap().is_empty(), "the unreadable series is reported");
    // Not a calendar at all.
    let bad = f.call("POST", "/api/events/import", &json!({ "ics": "hello", "events": [] }));
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[test]
fn names_from_the_page_never_reach_outside_the_content_folder() {
    let f = Fixture::new();
    let outside = f.dir.path().parent().unwrap().to_path_buf();
    let attempts = [
        json!({ "file": "../../escaped", "id": "escaped", "title": { "en": "x" }, "body": { "en": "x" } }),
        json!({ "file": null, "id": "../escaped", "title": { "en": "x" }, "body": { "en": "x" } }),
        json!({ "file": null, "id": "escaped", "title": { "en": "x", "/../../escaped": "y" }, "body": { "en": "x" } }),
    ];
    for (i, a) in attempts.iter().enumerate() {
        let c = f.content();
        let mut drafts = c["drafts"].clone();
        drafts["sections"].as_array_mut().unwrap().push(a.clone());
        f.call("POST", "/api/check", &json!({ "drafts": drafts }));
        let saved = f.save(&c, &drafts);
        // A bad file name is refused; a text in no language of the kiosk is simply not written.
        assert_eq!(saved.status == StatusCode::OK, i == 2, "{a}: {}", String::from_utf8_lossy(&saved.body));
        for name in ["escaped.md", "escaped..md", "sections/escaped.md"] {
            assert!(
                !outside.join(name).exists() && !f.dir.path().parent().unwrap().parent().unwrap().join(name).exists(),
                "{a} wrote {name}"
            );
        }
        let stray: Vec<_> = std::fs::read_dir(&outside)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("escaped"))
            .collect();
        assert!(stray.is_empty(), "{a}: {stray:?}");
        assert!(!f.path("escaped.md").exists(), "{a} wrote into the folder's root");
    }
    // A plain new id is fine.
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["sections"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "file": null, "id": "visa-help", "title": { "en": "Visa help" }, "body": { "en": "Ask us." } }));
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
    assert!(f.path("sections/visa-help.md").exists());
}

#[test]
fn an_unticked_language_leaves_with_its_texts_and_titles_stay_one_line() {
    let f = Fixture::new();
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["settings"]["languages"] = json!(["en", "ru"]);
    drafts["sections"][0]["title"]["en"] = json!("Overview\n+++\nid = \"hijack\"");
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    assert!(!f.path("sections/interethnic-consent.kk.md").exists());
    assert!(f.path("sections/interethnic-consent.ru.md").exists());
    assert!(!f.read("events.toml").contains("kk = \"Тәуелсіздік"), "the Kazakh event texts are gone");
    assert!(!f.read("settings.toml").contains("\nkk = \"Елшілік"), "and the Kazakh consent statement");
    let content = load(f.dir.path());
    assert_eq!(content.sections[0].id, "overview");
    assert_eq!(content.sections[0].texts["en"].title, "Overview +++ id = \"hijack\"");
}

#[test]
fn the_consent_version_never_goes_down_and_a_track_file_stays_in_the_music_folder() {
    let f = Fixture::new();
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["settings"]["consent"]["version"] = json!(0);
    drafts["settings"]["consent"]["text"]["en"] = json!("Something else entirely.");
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["code"], "consent_version");
    // Only spaces around it changed: the same statement, no question asked.
    let mut drafts = c["drafts"].clone();
    let en = drafts["settings"]["consent"]["text"]["en"].as_str().unwrap().to_string();
    drafts["settings"]["consent"]["text"]["en"] = json!(format!("{en}  "));
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["tracks"][0]["file"] = json!("../settings.ogg");
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&a.json()["problems"])[0], ("track-file".to_string(), Some("steppe-morning".into())));
}
