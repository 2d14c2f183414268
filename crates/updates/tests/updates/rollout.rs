//! Issue #20: a staged rollout and its halt, on real pollers — each with its
//! own store on disk and its own kiosk id — against a real file server.

use super::{build, key, policy, publish_staged, sign_as};
use kiosk_testsupport::files::FileServer;
use kiosk_updates::poller::{Jitter, PollReport, Poller};
use kiosk_updates::remote::{Remote, in_rollout};
use kiosk_updates::store::{BundleStore, Outcome};
use std::sync::atomic::Ordering::Relaxed;

/// One poll of a kiosk: the download on the runtime, the install off it.
async fn poll(kiosk: &mut Poller) -> PollReport {
    match kiosk.fetch().await {
        Ok(file) => tokio::task::block_in_place(|| kiosk.install(&file)),
        Err(report) => report,
    }
}

fn version(kiosk: &Poller) -> (Option<u64>, Option<u64>) {
    let s = kiosk.store.state().unwrap();
    (s.current.map(|c| c.version), s.previous.map(|p| p.version))
}

/// Version 11 goes out to 30 % of twenty kiosks: exactly those whose hash
/// says so install it, the others download nothing and poll on with 304s.
/// Then the rollout is halted by publishing version 10's content again as
/// version 12 at 100 %: the kiosks that never took 11 go straight from 10 to
/// 12 — 11 never touches them — and the ones on 11 move on to 12.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_rollout_reaches_only_its_share_and_a_halt_keeps_the_rest_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (v10, v11, v12) = (
        build(dir.path(), "good10.kbundle", 10, "stable"),
        build(dir.path(), "bad11.kbundle", 11, "stable"),
        build(dir.path(), "good12.kbundle", 12, "stable"),
    );
    for (b, v) in [(&v10, 10), (&v11, 11), (&v12, 12)] {
        sign_as(&k, b, v, "stable");
    }
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    publish_staged(&www, &v11, &k, 11, 30);
    let server = FileServer::start(www.clone(), None).await;

    let mut kiosks: Vec<Poller> = (0..20)
        .map(|i| {
            let id = format!("consulate-{i}");
            let home = dir.path().join(&id);
            let store = BundleStore::open(&home.join("data")).unwrap();
            assert!(matches!(store.install(&v10, &policy(&k), 0, "factory").unwrap(), Outcome::Installed(_)));
            let url = server.url("manifest.json");
            let remote = Remote::new(&url, &home.join("downloads"), kiosk_http::Shared::new()).unwrap().for_kiosk(&id);
            Poller {
                remote,
                url,
                every: std::time::Duration::from_secs(1),
                store,
                policy: policy(&k),
                floor: 0,
                jitter: Jitter::none(),
            }
        })
        .collect();
    let chosen: Vec<bool> = kiosks.iter().map(|p| in_rollout(p.remote.kiosk_id().unwrap(), 11, 30)).collect();
    let n_chosen = chosen.iter().filter(|c| **c).count();
    assert!((2..=10).contains(&n_chosen), "about 30 % of 20 kiosks are in the first stage, not {n_chosen}");

    for (kiosk, &chosen) in kiosks.iter_mut().zip(&chosen) {
        match poll(kiosk).await {
            PollReport::Installed(i) => assert!(chosen && i.version == 11, "installed {} outside the stage", i.version),
            PollReport::Held { version: 11, percent: 30 } => assert!(!chosen, "a kiosk of the stage held back"),
            other => panic!("{other:?}"),
        }
    }
    let size = std::fs::metadata(&v11).unwrap().len();
    assert_eq!(server.served.large_bytes.load(Relaxed), n_chosen as u64 * size, "only the stage downloads");
    // Nothing changed: every kiosk, held or not, asks with its validators and gets a 304.
    let before = server.served.not_modified.load(Relaxed);
    for kiosk in &mut kiosks {
        assert!(matches!(poll(kiosk).await, PollReport::Nothing));
    }
    assert_eq!(server.served.not_modified.load(Relaxed) - before, 20, "idle polls are 304s");

    // Halt: the previous content as a higher version, to everyone.
    publish_staged(&www, &v12, &k, 12, 100);
    for (kiosk, &chosen) in kiosks.iter_mut().zip(&chosen) {
        match poll(kiosk).await {
            PollReport::Installed(i) => assert_eq!(i.version, 12),
            other => panic!("{other:?}"),
        }
        let expected_previous = if chosen { 11 } else { 10 };
        assert_eq!(version(kiosk), (Some(12), Some(expected_previous)), "chosen: {chosen}");
    }
    // Re-publishing 11 now changes nothing: rollback stays forward-only.
    publish_staged(&www, &v11, &k, 11, 100);
    for kiosk in &mut kiosks {
        assert!(matches!(poll(kiosk).await, PollReport::Nothing));
        assert_eq!(version(kiosk).0, Some(12));
    }
}
