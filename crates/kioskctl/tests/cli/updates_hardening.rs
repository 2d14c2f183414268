//! Issue #15 items 8 and 10 (review): `kioskctl bundle install` refuses a
//! damaged `.minisig` instead of crashing, and run by root under a strict
//! umask does not lock the kiosk's user out of its own bundle store.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;

use super::{built_and_signed, kiosk_with_updates, kioskctl, text};

/// The kiosk's user in this test: `nobody`. The tests run as root, standing in for `sudo`.
const KIOSK_UID: u32 = 65534;

/// Root's `kioskctl bundle install` under `umask 077`, into a store folder the
/// kiosk's user owns: everything it makes is `0644`, the folder owner's, and
/// the kiosk's user — a real process under its uid — can read the state and
/// the bundle and take the install lock.
#[test]
fn a_root_install_under_umask_077_leaves_the_store_usable_by_the_kiosk_user() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    assert!(kioskctl(&["key", "generate", "-o", keys.to_str().unwrap(), "--no-password"]).status.success());
    let (public, secret) = (keys.join("embassy-content.pub"), keys.join("embassy-content.key"));
    let config = kiosk_with_updates(tmp.path(), &public);
    let bundle = built_and_signed(tmp.path(), 101, &secret);
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for dir in [tmp.path(), &data] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    if std::os::unix::fs::chown(&data, Some(KIOSK_UID), Some(KIOSK_UID)).is_err() {
        eprintln!("not root: a root install cannot be played here; skipped");
        return;
    }
    let o = Command::new("sh")
        .args(["-c", "umask 077; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_kioskctl"))
        .args(["bundle", "install", bundle.to_str().unwrap(), "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "installed under umask 077: {}", text(&o.stderr));

    let store = data.join("bundles");
    // As the kiosk's user: read the state and the bundle, take the lock.
    let as_kiosk = |cmd: &str| {
        Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "sh", "-c", cmd])
            .current_dir(&store)
            .output()
            .expect("setpriv runs")
    };
    for cmd in ["cat state.json >/dev/null", "cat v101.kbundle >/dev/null", "flock -n install.lock true"] {
        let o = as_kiosk(cmd);
        assert!(o.status.success(), "the kiosk's user can `{cmd}`: {}", text(&o.stderr));
    }
    for name in ["", "install.lock", "state.json", "v101.kbundle", "v101.kbundle.minisig"] {
        let m = std::fs::metadata(store.join(name)).unwrap();
        let mode = if name.is_empty() { 0o755 } else { 0o644 };
        assert_eq!(format!("{:o}", m.mode() & 0o777), format!("{mode:o}"), "bundles/{name}");
        assert_eq!((m.uid(), m.gid()), (KIOSK_UID, KIOSK_UID), "bundles/{name} is the kiosk user's");
    }
}

/// `kioskctl bundle install` of a bundle whose `.minisig` has its trusted
/// comment's signature (line 4) cut short: minisign 0.9 panicked on it, and the
/// release build aborts — now a refusal with its reason, the store unchanged.
#[test]
fn a_damaged_signature_file_is_refused_by_kioskctl_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    assert!(kioskctl(&["key", "generate", "-o", keys.to_str().unwrap(), "--no-password"]).status.success());
    let (public, secret) = (keys.join("embassy-content.pub"), keys.join("embassy-content.key"));
    let config = kiosk_with_updates(tmp.path(), &public);
    let bundle = built_and_signed(tmp.path(), 101, &secret);
    let sig_path = kiosk_updates::sign::signature_path(&bundle);
    let genuine = std::fs::read_to_string(&sig_path).unwrap();
    let mut lines: Vec<&str> = genuine.lines().collect();
    lines[3] = "AAAA";
    std::fs::write(&sig_path, lines.join("\n") + "\n").unwrap();
    let o = kioskctl(&["bundle", "install", bundle.to_str().unwrap(), "--config", config.to_str().unwrap()]);
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(!all.contains("panicked"), "no crash: {all}");
    assert!(!o.status.success() && all.contains("[malformed_signature]"), "refused, saying why: {all}");
    assert!(!tmp.path().join("data/bundles/state.json").exists(), "nothing was installed");
}
