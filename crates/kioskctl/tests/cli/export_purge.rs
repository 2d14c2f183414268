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
