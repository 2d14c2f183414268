//! Verify and install a 100 MB signed bundle, with hashing throughput beside
//! `sha256sum` on the same file in the same run.
//!
//! The bundle is the demo content padded to 100 MB with an extra table of
//! random bytes (what a bundle with a lot of audio weighs).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kiosk_content::build::{BuildOptions, build_bundle};
use kiosk_content::source::NoProgress;
use kiosk_updates::accept::{Policy, check, sha256_file};
use kiosk_updates::sign::{generate_keypair, parse_public_key, sign, signature_path, trusted_comment};
use kiosk_updates::store::{BundleStore, Outcome};

const MB: u64 = 1 << 20;

fn padded_bundle(dir: &Path, version: u64, size_mb: u64) -> std::path::PathBuf {
    let out = dir.join(format!("big-{version}.kbundle"));
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let options = BuildOptions { bundle_version: Some(version), ..BuildOptions::default() };
    build_bundle(&content, &out, &options, &mut NoProgress).unwrap();
    kiosk_testsupport::pad_bundle(&out, size_mb, version);
    out
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (public, secret) = generate_keypair(None).unwrap();
    let policy =
        Policy { trusted: vec![parse_public_key(&public).unwrap()], channel: "stable".into(), max_bytes: 512 * MB };
    let bundle = padded_bundle(dir.path(), 2, 100);
    let size = std::fs::metadata(&bundle).unwrap().len();
    let t = Instant::now();
    let sig = sign(&secret, None, std::fs::File::open(&bundle).unwrap(), &trusted_comment(2, "stable")).unwrap();
    let sign_s = t.elapsed().as_secs_f64();
    std::fs::write(signature_path(&bundle), sig).unwrap();
    let mb = size as f64 / MB as f64;

    // Warm the page cache once so every figure below reads from the same place.
    let _ = sha256_file(&bundle);
    let t = Instant::now();
    let out = Command::new("sha256sum").arg(&bundle).output().expect("sha256sum (coreutils)");
    let sha256sum_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let ours = sha256_file(&bundle).unwrap();
    let ours_s = t.elapsed().as_secs_f64();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&ours), "the same hash as sha256sum");
    let t = Instant::now();
    let accepted = check(&bundle, &policy, 1).expect("the bundle is accepted");
    let check_s = t.elapsed().as_secs_f64();
    let store = BundleStore::open(&dir.path().join("data")).unwrap();
    let t = Instant::now();
    let Outcome::Installed(i) = store.install(&bundle, &policy, 1, "bench").unwrap() else { panic!("install") };
    let install_s = t.elapsed().as_secs_f64();
    assert_eq!((i.version, accepted.sha256), (2, i.sha256));

    println!("content update, a {mb:.0} MB signed bundle (page cache warm):");
    println!("  sha256sum                      {sha256sum_s:.2} s  {:.0} MB/s", mb / sha256sum_s);
    println!("  SHA-256 in the kiosk (sha2)    {ours_s:.2} s  {:.0} MB/s", mb / ours_s);
    println!(
        "  verify (signature BLAKE2b + SHA-256 in one pass, integrity_check, audio hashes)  {check_s:.2} s  {:.0} MB/s",
        mb / check_s
    );
    println!("  install (copy + fsync + verify the copy + rename + switch)                        {install_s:.2} s");
    println!("  (signing it with kioskctl: {sign_s:.2} s)");
}
