//! The preview: the bundle the drafts would make, built into a temporary
//! folder and read by the same `Bundle` code the kiosk uses, answering the
//! kiosk UI's read-only commands. What staff see is what the lobby shows.

use jiff::Timestamp;
use kiosk_content::Bundle;
use kiosk_content::build::{BuildOptions, write_bundle};
use kiosk_content::model::Content;
use kiosk_signups::consent::Statement;
use serde_json::Value;

/// A built preview bundle and the folder it lives in.
pub struct Preview {
    pub bundle: Bundle,
    pub version: u64,
    _dir: tempfile::TempDir,
}

impl Preview {
    /// Builds `content` into a fresh bundle stamped `version`.
    pub fn build(content: &Content, version: u64, now: Timestamp) -> Result<Preview, String> {
        let dir = tempfile::Builder::new().prefix("kiosk-studio-preview-").tempdir().map_err(|e| e.to_string())?;
        let out = dir.path().join("preview.kbundle");
        let options = BuildOptions { bundle_version: Some(version), build_time: now, ..BuildOptions::default() };
        write_bundle(content, &out, &options).map_err(|e| e.to_string())?;
        let bundle = Bundle::open(&out).map_err(|e| e.to_string())?;
        Ok(Preview { bundle, version, _dir: dir })
    }

    /// Answers one of the kiosk UI's commands (`home`, `section`, …) from
    /// the bundle, with the kiosk's own JSON.
    pub fn ipc(&self, cmd: &str, args: &Value, now: Timestamp) -> Result<Value, (u16, String, String)> {
        let lang = args.get("lang").and_then(Value::as_str);
        let b = &self.bundle;
        let fail = |e: kiosk_content::BundleError| (500, "content".to_string(), e.to_string());
        let json = |v: Result<Value, serde_json::Error>| v.map_err(|e| (500, "content".to_string(), e.to_string()));
        match cmd {
            "home" => json(serde_json::to_value(b.home(lang).map_err(fail)?)),
            "section" => {
                let id = args.get("id").and_then(Value::as_str).unwrap_or("");
                json(serde_json::to_value(b.section(id, lang).map_err(fail)?))
            }
            "upcoming_events" => json(serde_json::to_value(b.upcoming_events(now, lang).map_err(fail)?)),
            "music_tracks" => json(serde_json::to_value(b.tracks(lang).map_err(fail)?)),
            "signup_consent" => {
                let (lang, text, version) = b.consent(lang);
                json(serde_json::to_value(Statement::new(lang, version, text)))
            }
            // What the kiosk's attract loop shows (kiosk_app::attract_slides): sections, then upcoming events.
            "attract_slides" => {
                let sections = b.home(None).map_err(fail)?.sections.into_iter().map(|s| ("section", s.id));
                let events = b.upcoming_events(now, None).map_err(fail)?.into_iter().map(|e| ("event", e.id));
                let slides: Vec<Value> =
                    sections.chain(events).map(|(kind, id)| serde_json::json!({ "kind": kind, "id": id })).collect();
                Ok(Value::Array(slides))
            }
            other => Err((404, "unknown_command".into(), format!("the preview does not answer `{other}`"))),
        }
    }

    /// A track's audio and its MIME type.
    pub fn audio(&self, id: &str) -> Option<(Vec<u8>, String)> {
        let mime = self.bundle.tracks(None).ok()?.into_iter().find(|t| t.id == id)?.mime;
        Some((self.bundle.track_audio(id).ok()?, mime))
    }
}

/// The kiosk's `index.html` with the preview shim loaded before its own
/// script (module scripts run in document order).
pub fn page(index: &[u8]) -> Vec<u8> {
    let html = String::from_utf8_lossy(index);
    let shim = "<script type=\"module\" src=\"/studio-assets/preview-shim.js\"></script>";
    match html.find("<head>") {
        Some(at) => format!("{}{shim}{}", &html[..at + 6], &html[at + 6..]).into_bytes(),
        None => format!("{shim}{html}").into_bytes(),
    }
}
