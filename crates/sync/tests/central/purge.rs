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

/// Regression (issue #15 review): a purge a reader keeps from finishing is
/// retried on its own, without moving the delivery schedule. Before, the
/// pending purge pulled the next *round* forward to ten seconds, overriding
/// the backoff and the interval: with an open `sqlite3` shell or a backup on
/// the store, a kiosk halted on a 401 or a redirect sent the central list a
/// full round every ten seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_purge_is_retried_alone_and_leaves_a_halted_lists_backoff_alone() {
    for reply in [Reply::json(401, r#"{"error": "bad signature"}"#), Reply::redirect(301, "https://elsewhere.example/")]
    {
        let status = reply.status;
        let server = ScriptedServer::start(reply).await;
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = store_with(dir.path(), 2, "example.org");
        // A reader in the middle of a read for the whole test: the purge cannot finish.
        let reader = rusqlite::Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let seen: i64 = reader.query_row("SELECT count(*) FROM signups", [], |r| r.get(0)).unwrap();
        assert_eq!(seen, 2);

        // Rounds far apart whatever the jitter draws (30 days), purges 200 ms apart.
        let month = Duration::from_secs(30 * 24 * 3600);
        let opts = Options { interval: month, backoff: Backoff { base: month, cap: month }, ..quick() };
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let log = lines.clone();
        let target = webhook_target(dir.path(), server.url("/signups"), "a shared secret of some length");
        let handle =
            worker::spawn(path.clone(), target, opts, move |l| log.lock().unwrap().push(l.to_string())).unwrap();
        let busy = || lines.lock().unwrap().iter().filter(|l| l.contains("the store was busy")).count();
        let deadline = Instant::now() + Duration::from_secs(90);
        while busy() < 4 {
            assert!(Instant::now() < deadline, "HTTP {status}: the purge is not retried: {:?}", lines.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            server.seen().len(),
            2,
            "HTTP {status}: one round (one request per signup) while the purge was tried again and again; log: {:#?}",
            lines.lock().unwrap()
        );

        // The reader leaves: the next purge-only try wipes, and still nothing is sent.
        drop(reader);
        let deadline = Instant::now() + Duration::from_secs(90);
        while !lines.lock().unwrap().iter().any(|l| l.ends_with("delivered addresses wiped from disk")) {
            assert!(Instant::now() < deadline, "HTTP {status}: never purged: {:?}", lines.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let wal = std::fs::metadata(dir.path().join("signups.sqlite-wal")).map_or(0, |m| m.len());
        assert_eq!(wal, 0, "HTTP {status}: the WAL is truncated");
        assert_eq!(server.seen().len(), 2, "HTTP {status}: purging sends nothing");
        let counts = SignupStore::open(&path).unwrap().counts().unwrap();
        assert_eq!(counts, Counts { pending: 2, review: 0, delivered: 0 }, "HTTP {status}: both still wait");
        eprintln!("HTTP {status}: {} busy purge tries, {} requests", busy(), server.seen().len());
        drop(handle);
    }
}
