//! Publishing writes a bundle and signature a kiosk accepts, asks for the
//! key's password once, and says what changed since the last bundle.

use axum::http::StatusCode;
use kiosk_content::Bundle;
use kiosk_updates::sign::{Signature, generate_keypair, parse_comment, parse_public_key, verify};
use serde_json::{Value, json};

use super::fixture::Fixture;

fn publish(
    f: &Fixture,
    key: &std::path::Path,
    password: Option<&str>,
    folder: &std::path::Path,
    web: bool,
) -> super::fixture::Answer {
    f.call("POST", "/api/publish", &json!({ "key_path": key, "password": password, "folder": folder, "web": web }))
}

#[test]
fn a_published_bundle_is_signed_versioned_and_its_changes_are_listed() {
    let f = Fixture::new();
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = generate_keypair(Some("correct horse".into())).unwrap();
    let key = keys.path().join("embassy.key");
    std::fs::write(&key, secret).unwrap();
    let out = tempfile::tempdir().unwrap();
    let wrong = publish(&f, &key, Some("wrong"), out.path(), false);
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["code"], "bad_password");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");
    let missing = publish(&f, &key, Some("correct horse"), &out.path().join("no-stick"), false);
    assert_eq!(missing.json()["code"], "folder");

    let a = publish(&f, &key, Some("correct horse"), out.path(), false);
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    let first = a.json();
    let version = first["version"].as_u64().unwrap();
    assert_eq!(first["changes"], Value::Null, "the first bundle in this folder");
    let bundle = out.path().join(format!("embassy-{version}.kbundle"));
    let sig = std::fs::read_to_string(out.path().join(format!("embassy-{version}.kbundle.minisig"))).unwrap();
    let sig = Signature::decode(&sig).unwrap();
    verify(&parse_public_key(&public).unwrap(), &sig, &std::fs::read(&bundle).unwrap())
        .expect("the signature verifies");
    assert_eq!(parse_comment(sig.trusted_comment()).map(|(v, _)| v), Some(version));
    assert_eq!(Bundle::open(&bundle).unwrap().meta().bundle_version, version);
    assert_eq!(f.get("/api/publish/key").json()["unlocked"], true);

    // Add an event, change a track's title, remove a section; publish again without the password.
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    drafts["events"].as_array_mut().unwrap().push(json!({
        "id": "book-fair", "start": "2026-12-12T10:00", "end": "2026-12-12T16:00", "timezone": null,
        "title": { "en": "Book fair" }, "location": {}, "description": {}
    }));
    drafts["tracks"][1]["title"]["en"] = json!("Caravan Road (live)");
    drafts["sections"].as_array_mut().unwrap().retain(|s| s["id"] != "political-reform");
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
    let second = publish(&f, &key, None, out.path(), true).json();
    assert!(second["version"].as_u64().unwrap() > version, "{second}");
    let changes = &second["changes"];
    assert_eq!(changes["events"]["added"], json!(["book-fair"]));
    assert_eq!(changes["tracks"]["changed"], json!(["caravan-road"]));
    assert_eq!(changes["sections"]["removed"], json!(["political-reform"]));
    assert_eq!(changes["sections"]["added"], json!([]));
    // Another folder within the same second (the test's clock stands still): a higher version still.
    let other = tempfile::tempdir().unwrap();
    let third = publish(&f, &key, None, other.path(), false).json();
    assert!(third["version"].as_u64() > second["version"].as_u64(), "{third}");
    // The web folder's manifest names the new bundle and is signed.
    let manifest: Value = serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["version"], second["version"]);
    let msig = Signature::decode(&std::fs::read_to_string(out.path().join("manifest.json.minisig")).unwrap()).unwrap();
    verify(&parse_public_key(&public).unwrap(), &msig, &std::fs::read(out.path().join("manifest.json")).unwrap())
        .unwrap();
}
