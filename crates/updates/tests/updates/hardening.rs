//! Issue #15 items 8–11, second round: a malformed `.minisig` is refused
//! before minisign reads it, and the store (a folder the kiosk's user can
//! write, written by root's `kioskctl` too) never follows a planted symlink
//! and leaves files the kiosk's user can read whatever root's umask.

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

use kiosk_updates::sign::signature_path;
use kiosk_updates::store::{BundleStore, Outcome};

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

/// Issue #15 item 10 (review): the store is the kiosk user's folder and root's
/// `kioskctl` writes in it, so whoever runs code as the kiosk's user could
/// plant symbolic links there to have root overwrite or create a file
/// anywhere (`/etc/shadow`, `/etc/nologin`). Links at the state's temp name,
/// the rejection log and the lock file are refused, never followed.
#[test]
fn a_symbolic_link_planted_in_the_store_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let untouched = |step: &str| assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "{step}");
    let plant = |name: &str, target: &Path| {
        let at = store.dir().join(name);
        let _ = std::fs::remove_file(&at);
        symlink(target, at).unwrap();
    };

    // The state's old fixed temp name: an install and a rollback go on safely.
    plant(".state.json.tmp", &victim);
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    assert!(matches!(store.install(&b, &policy(&k), 0, "test").unwrap(), Outcome::Installed(_)));
    untouched("an install never writes through .state.json.tmp");
    plant(".state.json.tmp", &victim);
    assert_eq!(store.rollback().unwrap().map(|i| i.version), Some(10));
    untouched("a rollback never writes through .state.json.tmp");

    // The rejection log: a refusal is not appended through it.
    plant("rejections.jsonl", &victim);
    let unsigned = build(dir.path(), "u12.kbundle", 12, "stable");
    let err = store.install(&unsigned, &policy(&k), 0, "test").unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "a clear refusal: {err}");
    untouched("a refusal is never logged through rejections.jsonl");
    std::fs::remove_file(store.dir().join("rejections.jsonl")).unwrap();

    // The lock: neither a dangling link (root would create its target) nor one to a file.
    let b12 = build(dir.path(), "b12.kbundle", 12, "stable");
    sign_as(&k, &b12, 12, "stable");
    let created = dir.path().join("created-by-root");
    for target in [&created, &victim] {
        plant("install.lock", target);
        let err = store.install(&b12, &policy(&k), 0, "test").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "a clear refusal: {err}");
        let err = store.rollback().unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "a clear refusal: {err}");
        assert!(!created.exists(), "no file is created through a dangling install.lock");
        untouched("install.lock is never opened through a link");
    }
    assert_eq!(store.state().unwrap().current.map(|c| c.version), Some(10), "the state is as it was");
}

const UMASK_CHILD: &str = "KIOSK_UPDATES_UMASK_CHILD";

/// Not a test on its own: the half of [`files_root_makes_under_umask_077_stay_readable_and_the_folder_owners`]
/// that runs in a child process under `umask 077` (it returns at once otherwise).
#[test]
fn umask_child() {
    let Ok(dir) = std::env::var(UMASK_CHILD) else { return };
    let dir = Path::new(&dir);
    let public = std::fs::read_to_string(dir.join("key.pub")).unwrap();
    let policy = kiosk_updates::accept::Policy {
        trusted: vec![kiosk_updates::sign::parse_public_key(&public).unwrap()],
        channel: "stable".into(),
        max_bytes: 64 << 20,
    };
    let store = BundleStore::open(&dir.join("data")).unwrap();
    assert!(matches!(store.install(&dir.join("b11.kbundle"), &policy, 0, "umask").unwrap(), Outcome::Installed(_)));
    let refused = store.install(&dir.join("unsigned.kbundle"), &policy, 0, "umask").unwrap();
    assert!(matches!(refused, Outcome::Rejected(_)));
}

/// Issue #15 item 10 (review): `kioskctl` run by root under a strict umask
/// (077) made `install.lock`, `state.json` and the bundles `0600` root's, and
/// the kiosk's user could then neither take the lock nor read its content:
/// every install, poll and staff import failed. What the store makes is
/// `0644` whatever the umask and, made by root in a folder another user owns,
/// handed to that user (here 65534: the tests run as root; as another user
/// the ownership half cannot be checked and is skipped, the modes still are).
#[test]
fn files_root_makes_under_umask_077_stay_readable_and_the_folder_owners() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    std::fs::write(dir.path().join("key.pub"), &k.public).unwrap();
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    build(dir.path(), "unsigned.kbundle", 12, "stable");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_root = std::os::unix::fs::chown(&data, Some(65534), Some(65534)).is_ok();
    let me = std::env::current_exe().unwrap();
    let status = std::process::Command::new("sh")
        .args(["-c", "umask 077; exec \"$0\" \"$@\""])
        .arg(&me)
        .args(["--exact", "hardening::umask_child", "--nocapture", "--test-threads=1"])
        .env(UMASK_CHILD, dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "the install under umask 077 ran");
    let store = data.join("bundles");
    let check = |path: &Path, mode: u32| {
        let m = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(format!("{:o}", m.mode() & 0o777), format!("{mode:o}"), "{} whatever the umask", path.display());
        if as_root {
            assert_eq!((m.uid(), m.gid()), (65534, 65534), "{} is the folder owner's", path.display());
        }
    };
    check(&store, 0o755);
    for name in ["install.lock", "state.json", "v11.kbundle", "v11.kbundle.minisig", "rejections.jsonl"] {
        check(&store.join(name), 0o644);
    }
}

/// Issue #15 item 10 (review): the store folder itself replaced by a link
/// (to `/etc`, say) would have root make, rename and clear files there; the
/// store refuses to open through it.
#[test]
fn a_store_folder_replaced_by_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    symlink(&elsewhere, data.join("bundles")).unwrap();
    let err = BundleStore::open(&data).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "a clear refusal: {err}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing is made through the link");
}
