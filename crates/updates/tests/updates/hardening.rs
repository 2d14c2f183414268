//! Issue #15 items 8–11, second round: a malformed `.minisig` is refused
//! before minisign reads it, and the store (a folder the kiosk's user can
//! write, written by root's `kioskctl` too) never follows a planted symlink
//! and leaves files the kiosk's user can read whatever root's umask.

use kiosk_updates::sign::signature_path;

use super::{assert_refused, build, installed_v10, key, policy, sign_as};

/// `sig` with its line `n` (0-based) replaced by `new`.
pub(super) fn with_line(sig: &str, n: usize, new: &str) -> String {
    let mut lines: Vec<&str> = sig.lines().collect();
    lines[n] = new;
    lines.join("\n") + "\n"
}

fn base64(bytes: &[u8]) -> String {
    use ct_codecs::{Base64, Encoder};
    Base64::encode_to_string(bytes).unwrap()
}

/// Genuine signatures with their second line (the signature) or fourth line
/// (the trusted comment's signature) damaged: (case, line, replacement).
pub(super) fn damaged_lines() -> Vec<(&'static str, usize, String)> {
    vec![
        ("comment signature empty", 3, String::new()),
        ("comment signature short base64", 3, "AAAA".into()),
        ("comment signature 63 bytes", 3, base64(&[7; 63])),
        ("comment signature not base64", 3, "!!not base64!!".into()),
        ("comment signature overlong", 3, base64(&[7; 96])),
        ("signature short", 1, base64(&[7; 40])),
        ("signature long", 1, base64(&[7; 80])),
        ("signature empty", 1, String::new()),
    ]
}

/// Issue #15 item 8 (review): minisign 0.9 slices the trusted comment's
/// signature without checking its length; a `.minisig` with that line cut
/// short panicked inside it, and the release build aborts on a panic — the
/// kiosk died, and again at every restart while the file sat in the inbox.
/// Each damaged file is refused as malformed and the old content stays.
#[test]
fn a_signature_file_with_a_damaged_line_is_refused_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let genuine = std::fs::read_to_string(signature_path(&b)).unwrap();
    for (case, line, new) in damaged_lines() {
        std::fs::write(signature_path(&b), with_line(&genuine, line, &new)).unwrap();
        let r = assert_refused(&store, &b, &policy(&k), "malformed_signature");
        assert!(r.to_string().contains("line"), "{case}: says which line: {r}");
        // The check itself, as the inbox and a staged copy run it.
        let r = kiosk_updates::accept::check(&b, &policy(&k), 10).unwrap_err();
        assert_eq!(r.code(), "malformed_signature", "{case}: {r}");
    }
    // The genuine file still installs: the check refuses only what is damaged.
    std::fs::write(signature_path(&b), &genuine).unwrap();
    assert!(matches!(store.install(&b, &policy(&k), 0, "test").unwrap(), kiosk_updates::store::Outcome::Installed(_)));
}
