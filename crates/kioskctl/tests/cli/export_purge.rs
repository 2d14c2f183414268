//! `kioskctl signups export` on a kiosk without a central list: exported and
//! deleted signups must really leave the disk, and the export file must stay
//! readable by whoever owned it before.

use super::*;

/// How many of `addresses` are still in the store's files (database and WAL).
fn on_disk(data: &Path, addresses: &[String]) -> usize {
    let mut bytes = std::fs::read(data.join("signups.sqlite")).unwrap();
    bytes.extend(std::fs::read(data.join("signups.sqlite-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&bytes);
    addresses.iter().filter(|a| text.contains(a.as_str())).count()
}

/// Regression (issue #15 review): with no `[sync]` section no worker runs, so
/// nothing wiped what `export --delete-exported` deleted while a reader held
/// the store — and its warning promised "the kiosk's next sync round". Now
/// every `kioskctl signups` command purges, and the warning says so.
#[test]
fn exported_addresses_a_reader_kept_on_disk_are_wiped_by_the_next_command_without_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let (config, addresses) = kiosk_with_signups(tmp.path(), 120, "");
    let cfg = config.to_str().unwrap();
    let data = tmp.path().join("data");
    let db = data.join("signups.sqlite");
    assert_eq!(on_disk(&data, &addresses), addresses.len(), "the test starts with every address on disk");
    // The running kiosk's connection (open all the time), and a reader in the
    // middle of a read (an sqlite3 shell, a backup) while staff export.
    let kiosk = kiosk_signups::store::SignupStore::open(&db).unwrap();
    let reader = rusqlite::Connection::open(&db).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let seen: i64 = reader.query_row("SELECT count(*) FROM signups", [], |r| r.get(0)).unwrap();
    assert_eq!(seen, 120);

    let csv = tmp.path().join("export.csv");
    let o =
        kioskctl(&["signups", "export", "--csv", "-o", csv.to_str().unwrap(), "--delete-exported", "--config", cfg]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("busy") && err.contains("kioskctl signups purge"), "the warning says what wipes them: {err}");
    assert!(!err.contains("next sync round wipes"), "no promise a kiosk without [sync] cannot keep: {err}");
    assert!(on_disk(&data, &addresses) > 0, "the reader keeps the old pages, or this test proves nothing");
    drop(reader);

    let o = kioskctl(&["signups", "status", "--config", cfg]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("delivered   120"), "{}", text(&o.stdout));
    assert_eq!(on_disk(&data, &addresses), 0, "the next command wiped every exported address from the file and WAL");
    assert!(kiosk.wal_is_empty(), "the WAL is truncated");

    // `purge` on its own: nothing left, and it says so.
    let o = kioskctl(&["signups", "purge", "--config", cfg]);
    assert!(o.status.success() && text(&o.stdout).contains("nothing deleted is left"), "{}", text(&o.stderr));
}

/// Regression (issue #15 review): run as root, the export replaced a
/// staff-owned file with a root:root 0600 one that staff could no longer
/// read — and with `--delete-exported` the signups were gone from the kiosk.
/// The new file keeps the old file's owner (or takes its folder's), except in
/// a folder anyone may write to, where a planted file would hand the data over.
#[test]
fn an_export_run_as_root_stays_readable_by_the_owner_of_the_file_or_folder() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
    let tmp = tempfile::tempdir().unwrap();
    let (config, _) = kiosk_with_signups(tmp.path(), 2, "");
    let cfg = config.to_str().unwrap();
    if std::fs::metadata(&config).unwrap().uid() != 0 {
        eprintln!("skipped: only root can give a file to someone else (the tests run as root in CI)");
        return;
    }
    let staff = 65534;
    let export = |out: &Path| {
        let o = kioskctl(&["signups", "export", "--csv", "-o", out.to_str().unwrap(), "--config", cfg]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let meta = std::fs::metadata(out).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600, "{}: personal data, owner only", out.display());
        assert!(std::fs::read_to_string(out).unwrap().contains("guest0001@example.org"));
        (meta.uid(), meta.gid())
    };

    // A staff member's earlier export, in a folder root keeps.
    let own = tmp.path().join("signups.csv");
    std::fs::write(&own, "old export\n").unwrap();
    chown(&own, Some(staff), Some(staff)).unwrap();
    assert_eq!(export(&own), (staff, staff), "the replaced file's owner still owns (and can read) the export");

    // A new file in the staff member's own folder.
    let folder = tmp.path().join("staff-home");
    std::fs::create_dir(&folder).unwrap();
    chown(&folder, Some(staff), Some(staff)).unwrap();
    assert_eq!(export(&folder.join("new.csv")), (staff, staff), "a new file belongs to its folder's owner");

    // A file planted in a folder anyone may write to (like /tmp): stays root's.
    let public = tmp.path().join("public");
    std::fs::create_dir(&public).unwrap();
    std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let planted = public.join("signups.csv");
    std::fs::write(&planted, "").unwrap();
    chown(&planted, Some(staff), Some(staff)).unwrap();
    assert_eq!(export(&planted), (0, 0), "whoever planted a file in /tmp does not get the addresses");
}
