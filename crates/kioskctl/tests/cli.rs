//! `kioskctl` as staff run it: real processes, real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "cli/content_check.rs"]
mod content_check;
#[path = "cli/events_url.rs"]
mod events_url;
#[path = "cli/export_purge.rs"]
mod export_purge;
#[path = "cli/install_race.rs"]
mod install_race;
#[path = "cli/studio.rs"]
mod studio;
#[path = "cli/updates_hardening.rs"]
mod updates_hardening;

fn kioskctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kioskctl")).args(args).output().expect("kioskctl runs")
}

fn content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `kioskctl bundle build` of the demo content as `version`.
fn build_demo(out: &Path, version: u64) -> Output {
    let v = version.to_string();
    kioskctl(&["bundle", "build", content().to_str().unwrap(), "-o", out.to_str().unwrap(), "--bundle-version", &v])
}

#[test]
fn build_inspect_verify_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo.kbundle");
    let o = build_demo(&out, 42);
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
    kiosk_testsupport::copy_dir(&content(), &dir);
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

/// A kiosk's config and data folder with `n` signups in its store; returns the config path and the addresses.
fn kiosk_with_signups(dir: &Path, n: usize, sync: &str) -> (PathBuf, Vec<String>) {
    let data = dir.join("data");
    let mut store = kiosk_signups::store::SignupStore::open(&{
        std::fs::create_dir_all(&data).unwrap();
        data.join("signups.sqlite")
    })
    .unwrap();
    let mut addresses = Vec::new();
    for i in 0..n {
        let email = kiosk_signups::email::validate(&format!("guest{i:04}@example.org")).unwrap();
        store
            .add(&kiosk_signups::store::NewSignup {
                email: &email,
                name: Some(if i == 0 { "=cmd, \"Jane\"" } else { "Асель" }),
                lang: "ru",
                consent_version: 2,
                consent_text: "Я согласен.",
                kiosk_id: "lobby-2",
                at: jiff::Timestamp::now(),
            })
            .unwrap();
        addresses.push(email.ascii);
    }
    let config = dir.join("kiosk.toml");
    std::fs::write(&config, format!("bundle = \"x.kbundle\"\ndata_dir = \"data\"\nkiosk_id = \"lobby-2\"\n{sync}"))
        .unwrap();
    (config, addresses)
}

#[test]
fn signups_status_and_export_show_what_waits_and_export_can_hand_it_over() {
    let tmp = tempfile::tempdir().unwrap();
    let (config, addresses) = kiosk_with_signups(tmp.path(), 3, "");
    let cfg = config.to_str().unwrap();

    let o = kioskctl(&["signups", "status", "--config", cfg]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let status = text(&o.stdout);
    for line in ["pending     3", "in review   0", "delivered   0", "none configured", "last sync   never"] {
        assert!(status.contains(line), "status shows {line:?}:\n{status}");
    }
    let o = kioskctl(&["signups", "status", "--json", "--config", cfg]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["counts"]["pending"], 3);

    let csv = tmp.path().join("export.csv");
    let o = kioskctl(&["signups", "export", "--csv", "-o", csv.to_str().unwrap(), "--config", cfg]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let exported = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 4, "a header and one line per signup:\n{exported}");
    assert!(lines[0].starts_with("id,state,email,"));
    assert!(lines[1].contains(",pending,guest0000@example.org,") && lines[1].contains("\"'=cmd, \"\"Jane\"\"\""));
    assert!(addresses.iter().all(|a| exported.contains(a.as_str())));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777, 0o600, "personal data: owner only");
    assert_eq!(text(&kioskctl(&["signups", "status", "--config", cfg]).stdout).lines().next(), Some("pending     3"));

    let o =
        kioskctl(&["signups", "export", "--csv", "-o", csv.to_str().unwrap(), "--delete-exported", "--config", cfg]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let status = text(&kioskctl(&["signups", "status", "--config", cfg]).stdout);
    assert!(status.contains("pending     0") && status.contains("delivered   3"), "{status}");

    let o = kioskctl(&["signups", "sync", "--config", cfg]);
    assert!(!o.status.success() && text(&o.stderr).contains("no [sync] section"), "{}", text(&o.stderr));
    let o = kioskctl(&["signups", "status", "--config", tmp.path().join("none.toml").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o.stderr).contains("none.toml"), "{}", text(&o.stderr));
}

/// Regression (issue #15): the export is the visitors' addresses in a file.
/// It must be readable by its owner only even when the file existed before
/// with a wider mode, must never be written through a symbolic link planted
/// at the output path, and must carry each address exactly — an address may
/// begin with `-`, `+` or `=`, and formula defusing once prefixed those with `'`.
#[test]
fn signups_export_is_private_refuses_symlinks_and_keeps_addresses_exact() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let (config, mut addresses) = kiosk_with_signups(tmp.path(), 1, "");
    let cfg = config.to_str().unwrap();
    let mut store = kiosk_signups::store::SignupStore::open(&tmp.path().join("data/signups.sqlite")).unwrap();
    for typed in ["-foo@example.org", "+tag@example.org", "=x@example.org"] {
        let email = kiosk_signups::email::validate(typed).expect("a valid address");
        store
            .add(&kiosk_signups::store::NewSignup {
                email: &email,
                name: Some("-Dana"),
                lang: "en",
                consent_version: 2,
                consent_text: "I agree.",
                kiosk_id: "lobby-2",
                at: jiff::Timestamp::now(),
            })
            .unwrap();
        addresses.push(email.ascii);
    }
    drop(store);

    // A file that was there before, readable by everyone.
    let csv = tmp.path().join("export.csv");
    std::fs::write(&csv, "an older export\n").unwrap();
    std::fs::set_permissions(&csv, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = kioskctl(&["signups", "export", "--csv", "-o", csv.to_str().unwrap(), "--config", cfg]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777,
        0o600,
        "an export over an existing file is owner-only too"
    );
    let exported = std::fs::read_to_string(&csv).unwrap();
    let emails: Vec<&str> = exported.lines().skip(1).map(|l| l.split(',').nth(2).unwrap()).collect();
    assert_eq!(emails, addresses, "each address is exported exactly as validated:\n{exported}");
    assert!(exported.contains(",'-Dana,"), "free text (a name) is still defused:\n{exported}");

    // A symbolic link at the output path, to a file and to where a file would be created.
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "not yours\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let elsewhere = tmp.path().join("public/created.csv");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    for (link, to) in [("link.csv", &victim), ("dangling.csv", &elsewhere)] {
        let link = tmp.path().join(link);
        std::os::unix::fs::symlink(to, &link).unwrap();
        let o = kioskctl(&["signups", "export", "--csv", "-o", link.to_str().unwrap(), "--config", cfg]);
        assert!(!o.status.success(), "an export through a symbolic link must be refused");
        assert!(text(&o.stderr).contains("symbolic link"), "staff are told why: {}", text(&o.stderr));
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is left as it was");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not yours\n", "nothing was written through the link");
    assert!(!elsewhere.exists(), "nothing was created where the dangling link points");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind: {leftovers:?}");
}

#[test]
fn a_sync_killed_at_random_moments_loses_nothing_and_duplicates_nothing() {
    use kiosk_testsupport::mailman::Mailman;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = runtime.block_on(Mailman::start());
    let list = runtime.block_on(server.create_list("killtest"));
    let tmp = tempfile::tempdir().unwrap();
    server.write_credentials(tmp.path());
    let sync = format!(
        "[sync]\ntarget = \"mailman\"\nurl = \"{}\"\nlist_id = \"{list}\"\ncredentials_file = \"mailman.secret\"\npre_confirmed = true\nbatch = 10\n",
        server.rest_root()
    );
    let (config, addresses) = kiosk_with_signups(tmp.path(), 150, &sync);
    let store = tmp.path().join("data/signups.sqlite");
    let pending = || {
        let conn = rusqlite::Connection::open(&store).unwrap();
        conn.query_row("SELECT count(*) FROM signups", [], |r| r.get::<_, i64>(0)).unwrap()
    };

    // SIGKILL `kioskctl signups sync` at random moments until little is left.
    let mut rng = fastrand_seed(42);
    let mut kills = 0;
    while pending() > 20 && kills < 40 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kioskctl"))
            .args(["signups", "sync", "--config", config.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100 + rng() % 900));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    assert!(kills >= 3, "the sync must be killed several times mid-way ({kills})");
    // The last killed process's request may still be running inside Mailman;
    // the same address arriving at once makes Mailman answer 400 with its own
    // database error, which the sync treats as "try again" — as the kiosk's
    // worker would, the test runs the sync again rather than failing.
    let mut tries = 0;
    loop {
        tries += 1;
        let o = kioskctl(&["signups", "sync", "--config", config.to_str().unwrap()]);
        if o.status.success() {
            break;
        }
        let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
        assert!(said.contains("will retry") && tries < 5, "the last sync finishes (try {tries}): {said}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let left: Vec<(String, Option<String>)> = {
        let conn = rusqlite::Connection::open(&store).unwrap();
        let mut stmt = conn.prepare("SELECT state, last_error FROM signups").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    assert!(left.is_empty(), "no local copy is left once the list has them all: {left:?}");

    let members = runtime.block_on(server.members(&list));
    let unique: std::collections::BTreeSet<String> = members.iter().cloned().collect();
    assert_eq!(members.len(), unique.len(), "after {kills} kills, no address is on the roster twice");
    assert_eq!(unique, addresses.into_iter().collect(), "after {kills} kills, the roster is exactly the signups");
    let status = text(&kioskctl(&["signups", "status", "--config", config.to_str().unwrap()]).stdout);
    assert!(status.contains("delivered   150"), "each signup is counted once: {status}");
}

/// A tiny deterministic generator (xorshift), so a failing run can be replayed.
fn fastrand_seed(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// A kiosk config with `[updates]` trusting `pubkey`, showing the demo content built as version 100.
fn kiosk_with_updates(dir: &Path, pubkey: &Path) -> PathBuf {
    let factory = dir.join("factory.kbundle");
    let o = build_demo(&factory, 100);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let config = dir.join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "bundle = \"factory.kbundle\"\ndata_dir = \"data\"\nkiosk_id = \"lobby\"\n[updates]\ntrusted_keys = [{:?}]\n",
            pubkey
        ),
    )
    .unwrap();
    config
}

fn built_and_signed(dir: &Path, version: u64, key: &Path) -> PathBuf {
    let out = dir.join(format!("new-{version}.kbundle"));
    let o = build_demo(&out, version);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = kioskctl(&["bundle", "sign", out.to_str().unwrap(), "--key", key.to_str().unwrap()]);
    assert!(o.status.success(), "sign: {}", text(&o.stderr));
    assert!(text(&o.stdout).contains(&format!("version={version} channel=stable")), "{}", text(&o.stdout));
    out
}

/// Issue #20: `bundle publish --rollout-percent` puts the share into the
/// signed manifest (a kiosk verifies it as part of the manifest), leaves it
/// out at 100 % as before, and refuses a share over 100.
#[test]
fn publish_with_a_rollout_percent_signs_the_share_into_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    assert!(kioskctl(&["key", "generate", "-o", keys.to_str().unwrap(), "--no-password"]).status.success());
    let (public, secret) = (keys.join("embassy-content.pub"), keys.join("embassy-content.key"));
    let bundle = built_and_signed(tmp.path(), 101, &secret);
    let www = tmp.path().join("www");
    let publish = |percent: &str| {
        kioskctl(&[
            "bundle",
            "publish",
            bundle.to_str().unwrap(),
            "--key",
            secret.to_str().unwrap(),
            "--output-dir",
            www.to_str().unwrap(),
            "--rollout-percent",
            percent,
        ])
    };
    let manifest = || {
        let policy = kiosk_updates::accept::Policy {
            trusted: vec![kiosk_updates::sign::parse_public_key(&std::fs::read_to_string(&public).unwrap()).unwrap()],
            channel: "stable".into(),
            max_bytes: 64 << 20,
        };
        let body = std::fs::read(www.join("manifest.json")).unwrap();
        let sig = std::fs::read(www.join("manifest.json.minisig")).unwrap();
        (kiosk_updates::remote::verify_manifest(&body, &sig, &policy).unwrap(), text(&body))
    };
    let o = publish("10");
    assert!(o.status.success() && text(&o.stdout).contains("staged rollout to 10 %"), "{}", text(&o.stderr));
    let (m, body) = manifest();
    assert_eq!((m.version, m.rollout_percent), (101, 10), "{body}");
    let o = publish("100");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (m, body) = manifest();
    assert_eq!(m.rollout_percent, 100);
    assert!(!body.contains("rollout_percent"), "a full rollout keeps the old manifest layout: {body}");
    let o = publish("101");
    assert!(!o.status.success() && text(&o.stderr).contains("101"), "{}", text(&o.stderr));
    assert_eq!(manifest().0.rollout_percent, 100, "a refused publish leaves the folder as it was");
}

#[test]
fn staff_generate_a_key_sign_install_see_the_status_and_roll_back() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let o = kioskctl(&["key", "generate", "-o", keys.to_str().unwrap(), "--no-password"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("trusted_keys = [\"RW"),
        "tells staff what to put in the config: {}",
        text(&o.stdout)
    );
    let (public, secret) = (keys.join("embassy-content.pub"), keys.join("embassy-content.key"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777, 0o600, "the secret key is private");
    let o = kioskctl(&["key", "generate", "-o", keys.to_str().unwrap(), "--no-password"]);
    assert!(!o.status.success() && text(&o.stderr).contains("refusing to overwrite"), "{}", text(&o.stderr));

    let config = kiosk_with_updates(tmp.path(), &public);
    let cfg = config.to_str().unwrap();
    let status = text(&kioskctl(&["bundle", "status", "--config", cfg]).stdout);
    assert!(status.contains("the config's own bundle") && status.contains("highest     100"), "{status}");

    let old = built_and_signed(tmp.path(), 99, &secret);
    let o = kioskctl(&["bundle", "install", old.to_str().unwrap(), "--config", cfg]);
    assert!(!o.status.success(), "older than what the kiosk shows");
    assert!(
        text(&o.stderr).contains("[not_newer]") && text(&o.stderr).contains("keeps its current content"),
        "{}",
        text(&o.stderr)
    );

    for v in [101, 102] {
        let b = built_and_signed(tmp.path(), v, &secret);
        let o = kioskctl(&["bundle", "install", b.to_str().unwrap(), "--config", cfg]);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let status = text(&kioskctl(&["bundle", "status", "--config", cfg]).stdout);
    assert!(status.contains("current     version 102") && status.contains("previous    version 101"), "{status}");
    assert!(status.contains("[not_newer]"), "refusals are listed for staff: {status}");

    let o = kioskctl(&["bundle", "rollback", "--config", cfg]);
    assert!(o.status.success() && text(&o.stdout).contains("version 101"), "{}", text(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&kioskctl(&["bundle", "status", "--json", "--config", cfg]).stdout).unwrap();
    assert_eq!(json["state"]["current"]["version"], 101);
    assert_eq!(json["state"]["highest_version"], 102);
    // One step further back is the kiosk's own bundle from its config; then nothing.
    let o = kioskctl(&["bundle", "rollback", "--config", cfg]);
    assert!(o.status.success() && text(&o.stdout).contains("the kiosk's own bundle"), "{}", text(&o.stderr));
    let o = kioskctl(&["bundle", "rollback", "--config", cfg]);
    assert!(!o.status.success() && text(&o.stderr).contains("no previous bundle"), "{}", text(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&kioskctl(&["bundle", "status", "--json", "--config", cfg]).stdout).unwrap();
    assert_eq!(json["state"]["current"], serde_json::Value::Null);
    assert_eq!(json["state"]["highest_version"], 102, "a rollback never lowers the bar");
}

#[test]
fn an_install_killed_at_each_step_leaves_the_old_or_the_new_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    assert!(kioskctl(&["key", "generate", "-o", keys.to_str().unwrap(), "--no-password"]).status.success());
    let (public, secret) = (keys.join("embassy-content.pub"), keys.join("embassy-content.key"));
    let config = kiosk_with_updates(tmp.path(), &public);
    let first = built_and_signed(tmp.path(), 101, &secret);
    assert!(
        kioskctl(&["bundle", "install", first.to_str().unwrap(), "--config", config.to_str().unwrap()])
            .status
            .success()
    );

    let steps = [("staged", false), ("renamed", false), ("switched", true)];
    for (version, (step, lands)) in (101..).zip(steps) {
        let next = built_and_signed(tmp.path(), version + 1, &secret);
        let o = Command::new(env!("CARGO_BIN_EXE_kioskctl"))
            .args(["bundle", "install", next.to_str().unwrap(), "--config", config.to_str().unwrap()])
            .env("EMBASSY_KIOSK_FAILPOINT", step)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{step}: the process must die at the failpoint");
        assert!(text(&o.stderr).contains(&format!("failpoint {step}")), "{step}: {}", text(&o.stderr));
        // What a restarted kiosk would show: the store's current bundle, which must open and be whole.
        let json: serde_json::Value = serde_json::from_slice(
            &kioskctl(&["bundle", "status", "--json", "--config", config.to_str().unwrap()]).stdout,
        )
        .unwrap();
        let current = &json["state"]["current"];
        let expected = if lands { version + 1 } else { version };
        assert_eq!(current["version"], expected, "killed after `{step}`: the kiosk is on the old or the new bundle");
        let file = tmp.path().join("data/bundles").join(current["file"].as_str().unwrap());
        let o = kioskctl(&["bundle", "verify", file.to_str().unwrap()]);
        assert!(o.status.success(), "killed after `{step}`: the current bundle is whole: {}", text(&o.stderr));
        if !lands {
            // The interrupted install can simply be run again.
            let o = kioskctl(&["bundle", "install", next.to_str().unwrap(), "--config", config.to_str().unwrap()]);
            assert!(o.status.success(), "after `{step}`, installing again works: {}", text(&o.stderr));
        }
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("data/bundles"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".incoming"))
            .collect();
        assert!(leftovers.is_empty(), "{step}: the interrupted copy is cleared away: {leftovers:?}");
    }
}

#[test]
fn hash_pin_prints_an_argon2_hash_the_config_accepts_and_refuses_a_non_pin() {
    use std::io::Write as _;
    let run = |input: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kioskctl"))
            .args(["staff", "hash-pin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run("482719\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hash = text(&out.stdout).trim().to_string();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("482719"), "the PIN itself is not in the hash");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kiosk.toml");
    std::fs::write(
        &config,
        format!("bundle = \"b\"\ndata_dir = \"d\"\nkiosk_id = \"k\"\n[staff]\npin_hash = \"{hash}\"\n"),
    )
    .unwrap();
    assert_eq!(kiosk_config::Config::load(&config).unwrap().staff.pin_hash.as_deref(), Some(hash.as_str()));

    let out = run("12ab\n");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing printed for a bad PIN");
    assert!(text(&out.stderr).contains("4 to 12 digits"), "{}", text(&out.stderr));
}

/// Regression: at a terminal the PIN was read with the terminal's echo on, so
/// it stood on the screen (and in any terminal log) next to its hash. Run in
/// a real pseudo-terminal, the way staff type it.
#[test]
#[allow(unsafe_code)] // openpty, and making the terminal the child's controlling one
fn hash_pin_at_a_terminal_asks_without_echoing_the_pin() {
    use std::io::{Read as _, Write as _};
    use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
    use std::os::unix::process::CommandExt as _;

    let (mut master_fd, mut slave_fd) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the given places; the name,
    // termios and window size are optional and not asked for.
    let rc = unsafe {
        libc::openpty(&mut master_fd, &mut slave_fd, std::ptr::null_mut(), std::ptr::null(), std::ptr::null())
    };
    assert_eq!(rc, 0, "a pseudo-terminal: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and belong to nothing else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master_fd), OwnedFd::from_raw_fd(slave_fd)) };
    // The child must not hold the master (it would never see the terminal
    // close), and reading it back must not block once the child is gone.
    // SAFETY: fcntl on a descriptor this test owns.
    unsafe {
        assert_ne!(libc::fcntl(master_fd, libc::F_SETFD, libc::FD_CLOEXEC), -1);
        assert_ne!(libc::fcntl(master_fd, libc::F_SETFL, libc::O_NONBLOCK), -1);
    }

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kioskctl"));
    cmd.args(["staff", "hash-pin"])
        .stdin(slave.try_clone().unwrap())
        .stderr(slave.try_clone().unwrap())
        .stdout(std::process::Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("kioskctl starts");
    drop(cmd); // its copies of the terminal

    // Type only once the terminal no longer echoes: a condition on the
    // terminal's own state, not a guess at how long the prompt takes.
    let started = std::time::Instant::now();
    loop {
        // SAFETY: termios is plain data that tcgetattr fills in.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: slave is an open terminal descriptor.
        assert_eq!(unsafe { libc::tcgetattr(slave.as_raw_fd(), &mut t) }, 0);
        if t.c_lflag & libc::ECHO == 0 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("kioskctl ended ({status}) without asking for the PIN with echo off");
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("a PIN typed at a terminal must not be echoed: kioskctl never turned the terminal's echo off");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut typing = std::fs::File::from(master.try_clone().unwrap());
    typing.write_all(b"482719\n").unwrap();
    let out = child.wait_with_output().unwrap();
    drop(slave);
    // Everything the terminal showed: kioskctl has exited, so all it wrote is
    // waiting in the terminal; read until there is no more (EAGAIN or EIO).
    let mut screen = Vec::new();
    let mut reader = std::fs::File::from(master);
    let mut buf = [0u8; 4096];
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        screen.extend_from_slice(&buf[..n]);
    }
    let screen = text(&screen);
    assert!(out.status.success(), "hash-pin at a terminal succeeds; the terminal showed:\n{screen}");
    assert!(screen.contains("Staff PIN"), "the prompt is on the terminal:\n{screen}");
    assert!(!screen.contains("482719"), "the typed PIN must not appear on the terminal:\n{screen}");
    let hash = text(&out.stdout).trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut gate = kiosk_staff::pin::PinGate::new(Some(hash.clone()), dir.path(), 0);
    assert!(gate.try_pin("482719", 0).is_ok(), "the printed hash is the typed PIN's: {hash}");
}
