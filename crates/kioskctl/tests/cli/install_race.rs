//! Issue #15 item 8: one install at a time, across the app and `kioskctl`.
//! Real processes race real installs and rollbacks against one store, with
//! the app's two in-process installers (inbox watcher, staff USB import)
//! running beside them; after each round the store must be exactly what its
//! `state.json` says.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kiosk_content::Bundle;
use kiosk_updates::accept::{Policy, sha256_file};
use kiosk_updates::sign::{generate_keypair, parse_public_key, sign, signature_path, trusted_comment};
use kiosk_updates::store::{BundleStore, Outcome, State};

use super::{build_demo, fastrand_seed, text};

/// `template` re-stamped as `version` (its meta table) and signed.
fn stamped(template: &Path, dir: &Path, version: u64, secret: &str) -> PathBuf {
    let out = dir.join(format!("b{version}.kbundle"));
    std::fs::copy(template, &out).unwrap();
    let conn = rusqlite::Connection::open(&out).unwrap();
    conn.execute("UPDATE meta SET value = ?1 WHERE key = 'bundle_version'", [version.to_string()]).unwrap();
    drop(conn);
    let sig = sign(secret, None, std::fs::File::open(&out).unwrap(), &trusted_comment(version, "stable")).unwrap();
    std::fs::write(signature_path(&out), sig).unwrap();
    out
}

/// Every file in the store is one `state.json` names (or the store's own
/// bookkeeping), and what it names is there, whole, and what it says it is.
fn assert_store_matches_state(store_dir: &Path, round: usize) -> State {
    let state: State = serde_json::from_slice(&std::fs::read(store_dir.join("state.json")).unwrap())
        .unwrap_or_else(|e| panic!("round {round}: state.json must stay readable: {e}"));
    let mut expected: BTreeSet<String> =
        ["state.json", "install.lock", "rejections.jsonl"].into_iter().map(String::from).collect();
    for i in [&state.current, &state.previous].into_iter().flatten() {
        expected.insert(i.file.clone());
        expected.insert(format!("{}.minisig", i.file));
        let path = store_dir.join(&i.file);
        assert!(path.exists(), "round {round}: state.json names {} and it must exist", i.file);
        assert_eq!(
            sha256_file(&path).unwrap(),
            i.sha256,
            "round {round}: {} is the bundle state.json recorded",
            i.file
        );
        let b = Bundle::open(&path).unwrap_or_else(|e| panic!("round {round}: {} opens: {e}", i.file));
        assert_eq!(b.meta().bundle_version, i.version, "round {round}: {} is version {}", i.file, i.version);
        b.verify().unwrap_or_else(|e| panic!("round {round}: {} verifies: {e}", i.file));
    }
    let present: BTreeSet<String> = std::fs::read_dir(store_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "downloads")
        .collect();
    let orphans: Vec<&String> = present.difference(&expected).collect();
    assert!(orphans.is_empty(), "round {round}: files state.json does not account for (orphans): {orphans:?}");
    state
}

#[test]
fn installs_and_rollbacks_racing_in_many_processes_leave_the_store_as_state_json_says() {
    let tmp = tempfile::tempdir().unwrap();
    let (public, secret) = generate_keypair(None).unwrap();
    std::fs::write(tmp.path().join("k.pub"), &public).unwrap();
    let config = super::kiosk_with_updates(tmp.path(), &tmp.path().join("k.pub"));
    let cfg = config.to_str().unwrap().to_string();
    let data_dir = tmp.path().join("data");
    let policy =
        Policy { trusted: vec![parse_public_key(&public).unwrap()], channel: "stable".into(), max_bytes: 64 << 20 };
    let template = tmp.path().join("template.kbundle");
    let o = build_demo(&template, 101);
    assert!(o.status.success(), "{}", text(&o.stderr));

    const ROUNDS: usize = 12;
    const PER_ROUND: u64 = 5; // 2 in-process installers + 3 `kioskctl bundle install`
    let offers = tmp.path().join("offers");
    std::fs::create_dir_all(&offers).unwrap();
    let mut rng = fastrand_seed(1515);
    let mut max_offered = 100;
    let mut installs = 0;
    for round in 0..ROUNDS {
        let mut bundles: Vec<(u64, PathBuf)> = (0..PER_ROUND)
            .map(|i| {
                let v = 101 + round as u64 * PER_ROUND + i;
                (v, stamped(&template, &offers, v, &secret))
            })
            .collect();
        max_offered = max_offered.max(bundles.iter().map(|b| b.0).max().unwrap());
        // Who installs which version changes every round.
        for i in (1..bundles.len()).rev() {
            bundles.swap(i, (rng() % (i as u64 + 1)) as usize);
        }
        let mut children = Vec::new();
        for (v, b) in &bundles[2..] {
            let child = Command::new(env!("CARGO_BIN_EXE_kioskctl"))
                .args(["bundle", "install", b.to_str().unwrap(), "--config", &cfg])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            children.push((format!("kioskctl bundle install v{v}"), child));
        }
        for _ in 0..2 {
            let child = Command::new(env!("CARGO_BIN_EXE_kioskctl"))
                .args(["bundle", "rollback", "--config", &cfg])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            children.push(("kioskctl bundle rollback".into(), child));
        }
        // The app: its inbox watcher and a staff USB import, each with its own handle on the store.
        let in_process: Vec<_> = bundles[..2]
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, (v, b))| {
                let (data_dir, policy) = (data_dir.clone(), policy.clone());
                std::thread::spawn(move || {
                    let store = BundleStore::open(&data_dir).unwrap();
                    let source = if i == 0 { "inbox" } else { "usb" };
                    (v, store.install_with_progress(&b, &policy, 100, source, &mut |_, _| {}))
                })
            })
            .collect();
        for (what, child) in children {
            let o = child.wait_with_output().unwrap();
            let (out, err) = (text(&o.stdout), text(&o.stderr));
            if o.status.success() {
                installs += usize::from(out.contains("installed version"));
                continue;
            }
            // The only failures allowed: a version another racer overtook, or nothing left to roll back to.
            let fine =
                if what.contains("install") { err.contains("[not_newer]") } else { err.contains("no previous bundle") };
            assert!(fine, "round {round}: `{what}` failed for a reason a race must not cause: {err}");
        }
        for t in in_process {
            let (v, r) = t.join().unwrap();
            match r {
                Ok(Outcome::Installed(_)) => installs += 1,
                Ok(Outcome::Rejected(r)) => {
                    assert_eq!(r.code(), "not_newer", "round {round}: the app's install of v{v} refused: {r}")
                }
                Err(e) => panic!("round {round}: the app's install of v{v} failed: {e}"),
            }
        }
        let state = assert_store_matches_state(&data_dir.join("bundles"), round);
        assert_eq!(
            state.highest_version, max_offered,
            "round {round}: the highest version is the highest installed (no lost update of state.json)"
        );
        let store = BundleStore::open(&data_dir).unwrap();
        let wrong: Vec<_> = store.rejections(usize::MAX).into_iter().filter(|r| r.code != "not_newer").collect();
        assert!(wrong.is_empty(), "round {round}: good bundles refused for what a race caused: {wrong:?}");
    }
    assert!(installs >= ROUNDS, "the race must really install (at least the newest each round): {installs}");
}
