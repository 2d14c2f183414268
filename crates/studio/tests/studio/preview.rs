//! The preview answers the kiosk UI's commands from the bundle the drafts
//! would make, before anything is saved.

use axum::http::StatusCode;
use serde_json::json;

use super::fixture::Fixture;

#[test]
fn the_preview_shows_unsaved_drafts_through_the_kiosks_own_commands() {
    let f = Fixture::new();
    let page = String::from_utf8(f.get("/preview?lang=kk").body).unwrap();
    let shim = page.find("/studio-assets/preview-shim.js").expect("the shim is in the page");
    assert!(shim < page.find("/assets/index.js").unwrap(), "the shim runs before the kiosk's script");
    // Before any draft: the saved content.
    let home = f.call("POST", "/preview/ipc", &json!({ "cmd": "home", "args": { "lang": "kk" } }));
    assert_eq!(home.status, StatusCode::OK, "{}", String::from_utf8_lossy(&home.body));
    assert_eq!(home.json()["lang"], "kk");
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["events"].as_array_mut().unwrap().push(json!({
        "id": "draft-event", "start": "2026-12-05T18:00", "end": "2026-12-05T20:00", "timezone": null,
        "title": { "en": "Draft reception" }, "location": {}, "description": {}
    }));
    let built = f.call("POST", "/api/preview", &json!({ "drafts": drafts })).json();
    assert!(built["version"].as_u64().unwrap() >= 1);
    assert_eq!(built["problems"], json!([]));
    let events = f.call("POST", "/preview/ipc", &json!({ "cmd": "upcoming_events", "args": { "lang": null } })).json();
    assert!(events.as_array().unwrap().iter().any(|e| e["title"] == "Draft reception"), "{events}");
    assert!(!f.read("events.toml").contains("Draft reception"), "the preview saves nothing");
    // A draft with a problem leaves the last good preview in place.
    drafts["events"][0]["end"] = json!("2000-01-01T00:00");
    let failed = f.call("POST", "/api/preview", &json!({ "drafts": drafts })).json();
    assert_eq!(failed["version"], built["version"]);
    assert_eq!(failed["problems"][0]["field"], "event-end");
    // The consent statement is the kiosk's, with its hash.
    let consent = f.call("POST", "/preview/ipc", &json!({ "cmd": "signup_consent", "args": { "lang": "ru" } })).json();
    let expected = kiosk_signups::consent::Statement::new("ru", 1, consent["text"].as_str().unwrap());
    assert_eq!(consent["sha256"], expected.sha256);
    // Track audio comes from the preview bundle; staff commands are not there.
    let audio = f.get("/preview/audio/steppe-morning");
    assert_eq!(audio.status, StatusCode::OK);
    assert!(audio.body.starts_with(b"OggS"));
    let staff = f.call("POST", "/preview/ipc", &json!({ "cmd": "staff_unlock", "args": { "pin": "1234" } }));
    assert_eq!(staff.status, StatusCode::NOT_FOUND);
    assert_eq!(staff.json()["code"], "unknown_command");
}
