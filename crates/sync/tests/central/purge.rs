//! Regression (issue #15): after delivery the address is really gone from the
//! disk — the database file, its free pages and the write-ahead log — even
//! when another connection was in the middle of a read while the sync deleted
//! it. Before, `wal_checkpoint(TRUNCATE)`'s "busy" answer was ignored and
//! nothing tried again, so the delivered addresses stayed in the file.

use super::*;
use kiosk_testsupport::scripted::{Reply, ScriptedServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_addresses_leave_the_disk_even_when_a_reader_held_the_store_during_delivery() {
    // The list's side is not the point here: a receiver that takes everything.
    let receiver = ScriptedServer::start(Reply::json(200, r#"{"status": "accepted"}"#)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signups.sqlite");
    let mut private = Vec::new();
    {
        let mut store = SignupStore::open(&path).unwrap();
        for i in 0..300 {
            let email = validate(&format!("purge.visitor{i:05}@example.org")).unwrap();
            let name = format!("Zhanargul Purgetestova {i:05}");
            store
                .add(&NewSignup {
                    email: &email,
                    name: Some(&name),
                    lang: "kk",
                    consent_version: 1,
                    consent_text: "I agree.",
                    kiosk_id: "lobby-1",
                    at: jiff::Timestamp::now(),
                })
                .unwrap();
            private.push(email.ascii);
            private.push(name);
        }
        // The rows now live in the database file itself, not only in the WAL.
        assert!(store.purge_deleted().unwrap(), "with no reader, the checkpoint completes");
    }
    let on_disk = |private: &[String]| -> Vec<String> {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(dir.path().join("signups.sqlite-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        private.iter().filter(|p| text.contains(p.as_str())).cloned().collect()
    };
    assert_eq!(on_disk(&private).len(), private.len(), "the test must start with every signup on disk");

    // A second real connection in the middle of a read transaction (a staff
    // status query, a backup tool), open while the sync delivers and deletes.
    let reader = rusqlite::Connection::open(&path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let seen: i64 = reader.query_row("SELECT count(*) FROM signups", [], |r| r.get(0)).unwrap();
    assert_eq!(seen, 300);
    let target = webhook_target(dir.path(), receiver.url("/signups"), "a shared secret of some length");
    let mut store = SignupStore::open(&path).unwrap();
    let report = worker::drain(&mut store, &target, &quick()).await.unwrap();
    assert_eq!(report.delivered, 300, "{report:?}");
    assert!(report.purge_pending, "the reader must keep the purge from finishing, or this test proves nothing");
    assert!(!on_disk(&private).is_empty(), "while the reader holds its snapshot the old pages are still needed");
    drop(reader);

    // The next round has nothing to send, but still owes the purge.
    let report = worker::drain(&mut store, &target, &quick()).await.unwrap();
    assert!(report.ok && !report.purge_pending, "{report:?}");
    let left = on_disk(&private);
    assert!(left.is_empty(), "{} delivered addresses or names are still on disk, e.g. {:?}", left.len(), &left[..2]);
    let wal = std::fs::metadata(dir.path().join("signups.sqlite-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the WAL is truncated");
    let free: i64 = store_conn(&path).query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap();
    assert!(free > 0, "the deleted rows' pages are on the freelist, and (as checked above) hold no trace of them");
    assert_eq!(store.counts().unwrap(), Counts { pending: 0, review: 0, delivered: 300 });
}

fn store_conn(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
