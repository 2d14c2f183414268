//! Publishing: the saved content built into a bundle, signed, and written
//! to a folder a kiosk takes it from (a USB stick, a drop folder), or to the
//! web folder kiosks poll (with the signed manifest). The key's password is
//! asked once per studio session and kept only in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use kiosk_content::Bundle;
use kiosk_content::build::{BuildOptions, write_bundle};
use kiosk_content::model::Content;
use kiosk_updates::sign::{
    UnlockedKey, is_encrypted, sign_with, signature_path, trusted_comment, unlock, write_web_folder,
};
use serde_json::Value;

use crate::docs::{Change, Changes, Published};
use crate::files::write_atomic;

/// The key that signs, unlocked for this session (only in memory).
pub struct Signer {
    pub key_path: String,
    key: UnlockedKey,
}

/// Why a publish did not happen; `code` is what the page shows it by.
#[derive(Debug)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { code, message: message.into() }
}

impl Signer {
    /// Reads the key file and opens it with the password.
    pub fn unlock(key_path: &str, password: Option<String>) -> Result<Signer, Refusal> {
        let path = Path::new(key_path);
        if !path.is_absolute() {
            return Err(refuse("no_key", "Give the key file's full path, starting with /."));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| refuse("no_key", format!("Cannot read the key file {key_path}: {e}.")))?;
        let not_a_key =
            || refuse("no_key", "This is not a signing key file (the .key file `kioskctl key generate` wrote).");
        let encrypted = is_encrypted(&text).map_err(|_| not_a_key())?;
        let password = match (encrypted, password) {
            (true, None) => return Err(refuse("bad_password", "This key is protected by a password: type it.")),
            (true, Some(p)) => Some(p),
            (false, _) => None,
        };
        let key = unlock(&text, password)
            .map_err(|_| refuse("bad_password", "The password does not open this key. Check it and try again."))?;
        Ok(Signer { key_path: key_path.to_string(), key })
    }

    fn sign(&self, data: impl std::io::Read, comment: &str) -> Result<String, Refusal> {
        sign_with(&self.key, data, comment).map_err(|e| refuse("sign", format!("Signing failed: {e}")))
    }
}

/// The bundles already in `folder`, newest version last.
fn bundles_in(folder: &Path) -> Vec<(u64, PathBuf)> {
    let mut out: Vec<(u64, PathBuf)> = std::fs::read_dir(folder)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "kbundle"))
                .filter_map(|p| Bundle::open(&p).ok().map(|b| (b.meta().bundle_version, p)))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Builds, signs and writes the saved `content` to `folder`, as a version
/// above `at_least` (the studio's last one: two folders published within one
/// second still get two versions, and a kiosk that took one takes the next).
pub fn publish(
    content: &Content,
    signer: &Signer,
    folder: &str,
    web: bool,
    now: Timestamp,
    at_least: u64,
) -> Result<Published, Refusal> {
    let dir = Path::new(folder);
    if !dir.is_absolute() {
        return Err(refuse("folder", "Give the folder's full path, starting with / (for a USB stick: /media/…)."));
    }
    if !dir.is_dir() {
        return Err(refuse("folder", format!("The folder {folder} does not exist. Is the USB stick plugged in?")));
    }
    let previous = bundles_in(dir).pop();
    let version = (now.as_second().max(1) as u64).max(previous.as_ref().map_or(0, |(v, _)| v + 1)).max(at_least);
    let out = dir.join(format!("embassy-{version}.kbundle"));
    let options = BuildOptions { bundle_version: Some(version), build_time: now, ..BuildOptions::default() };
    write_bundle(content, &out, &options).map_err(|e| refuse("folder", format!("Cannot write the bundle: {e}")))?;
    let bundle = Bundle::open(&out).map_err(|e| refuse("folder", format!("The written bundle does not open: {e}")))?;
    let channel = bundle.meta().channel.clone();
    let file = std::fs::File::open(&out).map_err(|e| refuse("folder", e.to_string()))?;
    let sig = signer.sign(file, &trusted_comment(version, &channel))?;
    // The signature last: a kiosk's inbox takes a bundle only once its signature is there.
    write_atomic(&signature_path(&out), sig.as_bytes()).map_err(|e| refuse("folder", e.to_string()))?;
    let mut files = vec![file_name(&out), file_name(&signature_path(&out))];
    if web {
        write_web_folder(&out, version, &channel, &signer.key, dir).map_err(|e| refuse("sign", e.to_string()))?;
        files.extend(["manifest.json".to_string(), "manifest.json.minisig".to_string()]);
    }
    let changes = previous.and_then(|(_, p)| Bundle::open(&p).ok()).map(|old| changes(&old, &bundle, now));
    Ok(Published { version, folder: folder.to_string(), files, changes })
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Each section, event and track by id, as every language shows it.
fn views(b: &Bundle, now: Timestamp) -> [BTreeMap<String, Value>; 3] {
    let langs = b.settings().languages.clone();
    let mut out: [BTreeMap<String, Value>; 3] = Default::default();
    for lang in &langs {
        let l = Some(lang.as_str());
        let home = b.home(l).ok();
        for s in home.map(|h| h.sections).unwrap_or_default() {
            let view = b.section(&s.id, l).ok().and_then(|v| serde_json::to_value(v).ok()).unwrap_or_default();
            push(&mut out[0], &s.id, view);
        }
        for e in b.upcoming_events(now, l).unwrap_or_default() {
            let id = e.id.clone();
            push(&mut out[1], &id, serde_json::to_value(e).unwrap_or_default());
        }
        for t in b.tracks(l).unwrap_or_default() {
            let size = b.track_audio(&t.id).map(|a| a.len()).unwrap_or(0);
            let id = t.id.clone();
            push(&mut out[2], &id, serde_json::json!([t, size]));
        }
    }
    out
}

fn push(map: &mut BTreeMap<String, Value>, id: &str, v: Value) {
    match map.entry(id.to_string()).or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(list) => list.push(v),
        other => *other = v,
    }
}

/// What changed from `old` to `new`: ids added, changed (any language's
/// text, a time, the audio) and removed.
pub fn changes(old: &Bundle, new: &Bundle, now: Timestamp) -> Changes {
    let [os, oe, ot] = views(old, now);
    let [ns, ne, nt] = views(new, now);
    Changes { sections: diff(&os, &ns), events: diff(&oe, &ne), tracks: diff(&ot, &nt) }
}

fn diff(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> Change {
    Change {
        added: new.keys().filter(|k| !old.contains_key(*k)).cloned().collect(),
        changed: new.iter().filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v)).map(|(k, _)| k.clone()).collect(),
        removed: old.keys().filter(|k| !new.contains_key(*k)).cloned().collect(),
    }
}
