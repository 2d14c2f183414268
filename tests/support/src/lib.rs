//! Fixtures for the kiosk's tests that need real peers: a GNU Mailman 3 on
//! loopback ([`mailman`]), a proxy that injects network faults ([`proxy`]),
//! a webhook receiver that checks the signature contract ([`webhook`]), a
//! static file server with ETag and Range for content updates ([`files`]),
//! a server that answers everything the same way — a redirect, a login page —
//! and remembers what it was sent ([`scripted`]), and a sound device that
//! plays at real time and records what it played ([`pulse`]).
//! Test-only: nothing here ships in the kiosk.
#![deny(missing_docs)]

pub mod files;
pub mod http;
pub mod mailman;
pub mod proxy;
pub mod pulse;
pub mod scripted;
pub mod webhook;

/// A free TCP port on loopback (bound and released; fine for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Pads a built bundle (a SQLite file) with a table of random bytes until it
/// is about `size_mb` MiB: what a bundle with a lot of audio weighs, for the
/// benches that install or serve a big one. `seed` makes the bytes differ
/// between versions, as real content would.
pub fn pad_bundle(path: &std::path::Path, size_mb: u64, seed: u64) {
    const MB: u64 = 1 << 20;
    let conn = rusqlite::Connection::open(path).expect("open the bundle");
    conn.execute_batch("CREATE TABLE padding (id INTEGER PRIMARY KEY, data BLOB NOT NULL)").expect("padding table");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut chunk = vec![0u8; MB as usize];
    let have = std::fs::metadata(path).expect("the bundle").len() / MB;
    let tx = conn.unchecked_transaction().expect("transaction");
    for _ in have..size_mb {
        rng.fill(&mut chunk);
        tx.execute("INSERT INTO padding (data) VALUES (?1)", [&chunk]).expect("padding");
    }
    tx.commit().expect("commit the padding");
}

/// Copies a folder tree (tests that edit a copy of the demo content).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create the copy's folder");
    for entry in std::fs::read_dir(from).expect("read the folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a file");
        }
    }
}
