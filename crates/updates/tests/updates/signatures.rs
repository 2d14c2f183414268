//! Issue #16 item 5: the kiosk verifies with `minisign-verify`, not the full
//! `minisign` crate; the rules the kiosk applied with minisign 0.9 stay, and
//! nothing it refused is accepted now.

use ct_codecs::{Base64, Decoder, Encoder};
use kiosk_updates::remote::{Manifest, manifest_comment, verify_manifest};
use kiosk_updates::sign::{sign, signature_path, trusted_comment};
use kiosk_updates::store::Outcome;

use super::hardening::with_line;
use super::{Key, assert_refused, build, installed_v10, key, policy, sign_as};

/// `sig` with the algorithm tag of its signature line set to `tag`.
fn with_tag(sig: &str, tag: &[u8; 2]) -> String {
    let line = sig.lines().nth(1).unwrap();
    let mut bytes = Base64::decode_to_vec(line, None).unwrap();
    bytes[..2].copy_from_slice(tag);
    with_line(sig, 1, &Base64::encode_to_string(&bytes).unwrap())
}

/// A signed manifest: (body, signature text).
fn signed_manifest(k: &Key) -> (Vec<u8>, String) {
    let manifest = Manifest {
        version: 11,
        channel: "stable".into(),
        size: 1,
        sha256: "00".into(),
        bundle: "b.kbundle".into(),
        rollout_percent: 100,
    };
    let body = serde_json::to_vec(&manifest).unwrap();
    let sig = sign(&k.secret, None, &body[..], &manifest_comment(11, "stable")).unwrap();
    (body, sig)
}

/// minisign's legacy signatures (tag `Ed`: Ed25519 over the whole file, not
/// its BLAKE2b prehash) were refused, for bundles before a byte of the file is
/// read; they still are, for bundles and manifests alike.
#[test]
fn a_legacy_signature_is_refused_for_a_bundle_and_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let genuine = std::fs::read_to_string(signature_path(&b)).unwrap();
    std::fs::write(signature_path(&b), with_tag(&genuine, b"Ed")).unwrap();
    let r = assert_refused(&store, &b, &policy(&k), "malformed_signature");
    assert!(r.to_string().contains("legacy"), "staff read why: {r}");

    let (body, sig) = signed_manifest(&k);
    assert!(verify_manifest(&body, sig.as_bytes(), &policy(&k)).is_ok(), "the genuine manifest verifies");
    let err = verify_manifest(&body, with_tag(&sig, b"Ed").as_bytes(), &policy(&k)).unwrap_err();
    assert!(err.to_string().contains("does not match"), "a legacy manifest signature is refused: {err}");
    let err = verify_manifest(&body, with_tag(&sig, b"XX").as_bytes(), &policy(&k)).unwrap_err();
    assert!(err.to_string().contains("not a minisign signature"), "an unknown algorithm is refused: {err}");
}

/// minisign 0.9 read the base64 lines and the trusted comment without the
/// white space around them (and the comment signature covers the trimmed
/// comment): a `.minisig` saved with trailing spaces or CRLF line ends
/// installed before, and still does.
#[test]
fn a_signature_with_white_space_around_its_lines_is_read_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let genuine = std::fs::read_to_string(signature_path(&b)).unwrap();
    let padded: String = genuine.lines().map(|l| format!("{l}  \r\n")).collect();
    std::fs::write(signature_path(&b), &padded).unwrap();
    match store.install(&b, &policy(&k), 0, "test").unwrap() {
        Outcome::Installed(i) => assert_eq!(i.version, 11),
        Outcome::Rejected(r) => panic!("a genuine signature with padded lines installed before: {r}"),
    }
    let (body, sig) = signed_manifest(&k);
    let padded: String = sig.lines().map(|l| format!("{l} \t\r\n")).collect();
    assert!(verify_manifest(&body, padded.as_bytes(), &policy(&k)).is_ok(), "the same for a manifest");
}

/// The trusted comment (version and channel) is covered by the signature: a
/// comment edited after signing is refused as a bad signature, not read.
#[test]
fn a_trusted_comment_edited_after_signing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let genuine = std::fs::read_to_string(signature_path(&b)).unwrap();
    let edited = format!("trusted comment: {}", trusted_comment(12, "stable"));
    std::fs::write(signature_path(&b), with_line(&genuine, 2, &edited)).unwrap();
    assert_refused(&store, &b, &policy(&k), "bad_signature");

    let (body, sig) = signed_manifest(&k);
    let edited = with_line(&sig, 2, &format!("trusted comment: {}", manifest_comment(12, "stable")));
    let err = verify_manifest(&body, edited.as_bytes(), &policy(&k)).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}
