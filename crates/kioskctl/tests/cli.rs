//! `kioskctl` as staff run it: real processes, real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kioskctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kioskctl")).args(args).output().expect("kioskctl runs")
}

fn content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn build_inspect_verify_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo.kbundle");
    let o = kioskctl(&[
        "bundle",
        "build",
        content().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--bundle-version",
        "42",
    ]);
    assert!(o.status.success(), "build must succeed: {}", text(&o.stderr));
    assert!(text(&o.stdout).contains("version 42, 3 sections, 8 events, 3 tracks"), "{}", text(&o.stdout));

    let o = kioskctl(&["bundle", "inspect", out.to_str().unwrap()]);
    assert!(o.status.success());
    let summary = text(&o.stdout);
    for expected in
        ["version     42", "Overview", "Political Reform", "interethnic-consent", "steppe-morning", "[en, kk, ru]"]
    {
        assert!(summary.contains(expected), "inspect shows {expected:?}:\n{summary}");
    }

    let o = kioskctl(&["bundle", "inspect", "--json", out.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("inspect --json prints JSON");
    assert_eq!(json["meta"]["bundle_version"], 42);
    assert_eq!(json["sections"].as_array().unwrap().len(), 3);
    assert_eq!(json["tracks"][0]["id"], "steppe-morning");

    let o = kioskctl(&["bundle", "verify", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("ok:"));
}

#[test]
fn a_broken_content_folder_fails_with_file_and_line_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("content");
    copy_dir(&content(), &dir);
    let events = dir.join("events.toml");
    let t = std::fs::read_to_string(&events).unwrap().replacen(
        "end = \"2027-02-18T12:00\"",
        "end = \"2027-02-30T12:00\"",
        1,
    );
    std::fs::write(&events, t).unwrap();
    let out = tmp.path().join("out.kbundle");
    let o = kioskctl(&["bundle", "build", dir.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!o.status.success(), "a broken build must exit non-zero");
    let err = text(&o.stderr);
    assert!(err.contains("events.toml:") && err.contains("2027-02-30"), "the error names file, line and value: {err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!out.exists(), "no bundle is written");
}

#[test]
fn verifying_junk_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.kbundle");
    std::fs::write(&junk, b"definitely not sqlite").unwrap();
    let o = kioskctl(&["bundle", "verify", junk.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("not a usable bundle"), "{}", text(&o.stderr));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
