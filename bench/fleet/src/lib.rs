//! A fleet of simulated kiosks on the real update code: how fast a published
//! bundle reaches every kiosk, and what that costs the web server, with and
//! without poll jitter and with a staged rollout. The backlog drain after an
//! outage of the central list, on the real sync code, is in [`drain`].
//!
//! Each simulated kiosk is the kiosk's own [`Poller`] — its [`Remote`] with
//! its own HTTP client (its own connections, as a kiosk process has), its own
//! [`BundleStore`] in a data folder of its own, its own `kiosk_id`, and its
//! [`Jitter`] — run as a task on one tokio runtime: the download on the
//! runtime, the install (blocking disk work) beside it with `block_in_place`.
//! A real nginx ([`nginx`]) serves the manifest and bundles, made by the real
//! signing code (`write_staged_web_folder`, what `kioskctl bundle publish`
//! writes).
//!
//! Time is compressed, not simulated: a kiosk's polling interval (`every`,
//! 300 s by default in the field) is given here as a short real duration —
//! `--every-ms 2000` — and the figures are reported in intervals, so those
//! 2 s stand for whatever the field's interval is (10 min in
//! docs/performance.md). The clock is injected by that one number: the
//! [`Jitter`] scales with it, and tokio's timer does the waiting. What is not compressed is the work itself
//! — a download over loopback, an install — so where those take a sizeable
//! part of an interval (a thousand installs on two cores) the time to reach
//! every kiosk is an upper bound, said so in the report.
//!
//! A big bundle (`--bundle-mb 100`, the demo content padded with random bytes,
//! as a lot of audio weighs) is downloaded, verified, copied, fsynced and
//! installed by each kiosk as in the field. One disk cannot hold a hundred
//! kiosks' copies of it, though, so with [`Options::link_installed`] each
//! kiosk's installed copy, once its install is done, is swapped for a hard
//! link to the published file — the same bytes, so the store's state still
//! holds; only the disk space is shared.

pub mod drain;
pub mod nginx;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use kiosk_content::build::{BuildOptions, build_bundle};
use kiosk_content::source::NoProgress;
use kiosk_updates::accept::Policy;
use kiosk_updates::poller::{Jitter, PollReport, Poller};
use kiosk_updates::remote::{Remote, in_rollout};
use kiosk_updates::sign::{
    UnlockedKey, generate_keypair, parse_public_key, sign_with, signature_path, trusted_comment, unlock,
    write_staged_web_folder,
};
use kiosk_updates::store::BundleStore;

/// The versions: every kiosk starts on `BASE` (its config's bundle), then
/// `FIRST` goes out to everyone, then `SECOND` in a staged rollout.
pub const BASE: u64 = 10;
/// The first rollout.
pub const FIRST: u64 = 11;
/// The staged rollout.
pub const SECOND: u64 = 12;
const CHANNEL: &str = "stable";

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many kiosks.
    pub kiosks: usize,
    /// The polling interval, compressed (see the module docs).
    pub every: Duration,
    /// Whether kiosks spread their polls ([`Jitter::for_kiosk`]) or all poll on the beat ([`Jitter::none`]).
    pub jitter: bool,
    /// Intervals measured while nothing changes.
    pub idle_intervals: u32,
    /// The first stage of the staged rollout, in percent.
    pub stage_percent: u8,
    /// Intervals the first stage runs before it is widened to 100 %.
    pub stage_intervals: u32,
    /// Give up waiting for a rollout after this many intervals.
    pub timeout_intervals: u32,
    /// After each install, replace the kiosk's installed copy with a hard link
    /// to the published file (see the module docs): for big bundles.
    pub link_installed: bool,
}

/// The signed bundles and the key, made once and published as each phase needs.
pub struct Bundles {
    key: UnlockedKey,
    public: String,
    files: Vec<(u64, PathBuf)>,
}

impl Bundles {
    /// Builds `content` as versions [`BASE`], [`FIRST`] and [`SECOND`] into
    /// `dir`, each padded to `pad_mb` MiB if that is more than it weighs,
    /// signed with a new key.
    pub fn build(content: &Path, dir: &Path, pad_mb: u64) -> anyhow::Result<Bundles> {
        let (public, secret) = generate_keypair(None)?;
        let key = unlock(&secret, None)?;
        let mut files = Vec::new();
        for version in [BASE, FIRST, SECOND] {
            let out = dir.join(format!("v{version}.kbundle"));
            let options =
                BuildOptions { bundle_version: Some(version), channel: CHANNEL.into(), ..BuildOptions::default() };
            build_bundle(content, &out, &options, &mut NoProgress)
                .map_err(|e| anyhow::anyhow!("building {}: {e:?}", content.display()))?;
            if pad_mb > 0 {
                kiosk_testsupport::pad_bundle(&out, pad_mb, version);
            }
            let sig = sign_with(&key, std::fs::File::open(&out)?, &trusted_comment(version, CHANNEL))?;
            std::fs::write(signature_path(&out), sig)?;
            files.push((version, out));
        }
        Ok(Bundles { key, public, files })
    }

    /// The size of one bundle file.
    pub fn size(&self) -> u64 {
        std::fs::metadata(&self.files[0].1).map(|m| m.len()).unwrap_or(0)
    }

    /// The published file of `version`.
    fn file(&self, version: u64) -> Option<&Path> {
        self.files.iter().find(|(v, _)| *v == version).map(|(_, f)| f.as_path())
    }

    fn policy(&self) -> Policy {
        let trusted = vec![parse_public_key(&self.public).expect("own key")];
        Policy { trusted, channel: CHANNEL.into(), max_bytes: 512 << 20 }
    }

    /// What `kioskctl bundle publish --rollout-percent` writes, into `www`.
    fn publish(&self, www: &Path, version: u64, percent: u8) -> anyhow::Result<()> {
        let file = self.file(version).context("no such version")?;
        write_staged_web_folder(file, version, CHANNEL, &self.key, www, percent)?;
        Ok(())
    }
}

/// The fleet's shared record: each kiosk's current version and when each install happened.
#[derive(Default)]
struct Record {
    version: Vec<AtomicU64>,
    installs: Mutex<Vec<(Instant, usize, u64)>>,
    held: AtomicUsize,
    retries: AtomicUsize,
    refusals: AtomicUsize,
    /// Installed copies swapped for a link to the published file, and failures to.
    linked: AtomicUsize,
    link_failures: AtomicUsize,
    /// Kiosks that have made their first poll.
    started: AtomicUsize,
    stop: AtomicBool,
}

/// A rollout's figures.
#[derive(Debug, Clone, Default)]
pub struct Rollout {
    /// Intervals from publishing until 50 %, 95 % and 100 % of the kiosks (that are to install it) run it.
    pub reach: [Option<f64>; 3],
    /// The most bundle downloads nginx had in progress at once.
    pub peak_downloads: usize,
    /// Bytes nginx sent (bodies), and how many requests, in the phase.
    pub bytes: u64,
    /// Requests nginx answered in the phase.
    pub requests: usize,
    /// Of which bundle downloads.
    pub downloads: usize,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Kiosks.
    pub kiosks: usize,
    /// Jitter on or off.
    pub jitter: bool,
    /// Seconds (real) to set the kiosks up (their stores, and each one's HTTP client).
    pub setup_secs: f64,
    /// Seconds (real) until every kiosk had made its first poll.
    pub start_secs: f64,
    /// Manifest requests per kiosk per interval while nothing changed.
    pub idle_requests_per_kiosk_interval: f64,
    /// Of all requests while nothing changed, the share answered 304.
    pub idle_share_304: f64,
    /// The most requests nginx answered in any tenth of an interval while
    /// nothing changed (spread evenly: a tenth of the kiosks).
    pub idle_peak_tenth: usize,
    /// Requests while nothing changed that were not 304s.
    pub idle_not_304: usize,
    /// The rollout of [`FIRST`] to 100 %.
    pub full: Rollout,
    /// How many kiosks run [`SECOND`] at the end of its first stage, and how
    /// many the stable hash put in that stage.
    pub stage_installed: usize,
    /// See `stage_installed`.
    pub stage_expected: usize,
    /// Whether exactly the kiosks the hash chose installed it in the first stage.
    pub stage_exact: bool,
    /// The first stage of [`SECOND`] (reach is of the kiosks in the stage).
    pub stage: Rollout,
    /// The rest of [`SECOND`] once widened to 100 % (reach is of all kiosks, from widening).
    pub widened: Rollout,
    /// Kiosks on [`SECOND`] at the end.
    pub final_on_second: usize,
    /// Polls held back by a staged rollout, retries, refusals (over the run).
    pub held: usize,
    /// See `held`.
    pub retries: usize,
    /// See `held`.
    pub refusals: usize,
    /// Installs whose copy was then shared with the published file ([`Options::link_installed`]), and failures to.
    pub linked: usize,
    /// See `linked`.
    pub link_failures: usize,
    /// The process's PSS with the fleet running, per kiosk, in KiB.
    pub pss_per_kiosk_kib: f64,
    /// What the fleet added to the process's PSS, per kiosk, in KiB.
    pub added_pss_per_kiosk_kib: f64,
    /// CPU time of the process per kiosk per interval while idle, in ms.
    pub idle_cpu_ms_per_kiosk_interval: f64,
}

fn unix_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The process's proportional set size, in KiB.
pub fn pss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/smaps_rollup")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// CPU time of this process (user + system), in clock ticks of 10 ms.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0) + f.get(12).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Where a kiosk's store keeps `version` (`<data>/bundles/v<version>.kbundle`).
fn installed_path(data: &Path, version: u64) -> PathBuf {
    data.join("bundles").join(format!("v{version}.kbundle"))
}

/// Swaps a kiosk's installed copy of a bundle for a hard link to the
/// published file with the same bytes (see the module docs).
fn link_installed(installed: &Path, published: &Path) -> std::io::Result<()> {
    let linked = installed.with_extension("linking");
    std::fs::hard_link(published, &linked)?;
    std::fs::rename(&linked, installed)
}

/// One simulated kiosk: its poller, its spread, and (for big bundles) where
/// its store lives and the published files its installs may share.
struct Kiosk {
    poller: Poller,
    jitter: Jitter,
    data: PathBuf,
    published: Option<Arc<Vec<(u64, PathBuf)>>>,
}

/// Runs one kiosk until told to stop.
async fn kiosk(k: Kiosk, i: usize, every: Duration, record: Arc<Record>) {
    let Kiosk { mut poller, mut jitter, data, published } = k;
    tokio::time::sleep(jitter.first(every)).await;
    let mut first = true;
    while !record.stop.load(Ordering::Relaxed) {
        let report = match poller.fetch().await {
            Ok(file) => tokio::task::block_in_place(|| poller.install(&file)),
            Err(report) => report,
        };
        match report {
            PollReport::Installed(installed) => {
                let shared = published.as_ref().and_then(|p| p.iter().find(|(v, _)| *v == installed.version));
                if let Some((_, file)) = shared
                    && let Err(e) = link_installed(&installed_path(&data, installed.version), file)
                {
                    record.link_failures.fetch_add(1, Ordering::Relaxed);
                    eprintln!("kiosk {i}: linking its installed copy: {e}");
                } else if shared.is_some() {
                    record.linked.fetch_add(1, Ordering::Relaxed);
                }
                record.version[i].store(installed.version, Ordering::SeqCst);
                record.installs.lock().expect("record").push((Instant::now(), i, installed.version));
            }
            PollReport::Held { .. } => _ = record.held.fetch_add(1, Ordering::Relaxed),
            PollReport::Retry(e) => {
                if record.retries.fetch_add(1, Ordering::Relaxed) < 3 {
                    eprintln!("kiosk {i}: will retry: {e}");
                }
            }
            PollReport::Refused(e) => {
                // A poll between the signature's write and the manifest's: seen again next time.
                if record.refusals.fetch_add(1, Ordering::Relaxed) < 3 {
                    eprintln!("kiosk {i}: refused: {e}");
                }
            }
            PollReport::Rejected(r) => eprintln!("kiosk {i}: rejected: {r}"),
            PollReport::StoreFailed(e) => eprintln!("kiosk {i}: store: {e}"),
            PollReport::Nothing => {}
        }
        if std::mem::take(&mut first) {
            record.started.fetch_add(1, Ordering::SeqCst);
        }
        tokio::time::sleep(jitter.next(every)).await;
    }
}

/// The kiosk id of kiosk `i`.
pub fn kiosk_id(i: usize) -> String {
    format!("lobby-{i:04}")
}

/// How many kiosks run `version`.
fn on(record: &Record, version: u64) -> usize {
    record.version.iter().filter(|v| v.load(Ordering::SeqCst) >= version).count()
}

/// Waits until `want` kiosks run `version`, or `limit` passes.
async fn wait_for(record: &Record, version: u64, want: usize, limit: Duration) {
    let until = Instant::now() + limit;
    while on(record, version) < want && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The reach of `version` among `among` kiosks since `since`, in intervals.
fn reach(record: &Record, version: u64, among: usize, since: Instant, every: Duration) -> [Option<f64>; 3] {
    let mut times: Vec<f64> = record
        .installs
        .lock()
        .expect("record")
        .iter()
        .filter(|(_, _, v)| *v == version)
        .map(|(t, _, _)| t.saturating_duration_since(since).as_secs_f64() / every.as_secs_f64())
        .collect();
    times.sort_by(f64::total_cmp);
    [0.5, 0.95, 1.0].map(|q| {
        let need = ((among as f64) * q).ceil().max(1.0) as usize;
        times.get(need - 1).copied()
    })
}

/// The most requests that ended within any `window_ms`.
fn busiest(hits: &[&nginx::Hit], window_ms: f64) -> usize {
    let mut ends: Vec<f64> = hits.iter().map(|h| h.end_ms).collect();
    ends.sort_by(f64::total_cmp);
    let mut first = 0;
    let mut most = 0;
    for (last, end) in ends.iter().enumerate() {
        while ends[first] <= end - window_ms {
            first += 1;
        }
        most = most.max(last + 1 - first);
    }
    most
}

fn phase(hits: &[nginx::Hit], from_ms: f64, to_ms: f64) -> (Vec<&nginx::Hit>, Rollout) {
    let in_phase: Vec<&nginx::Hit> = hits.iter().filter(|h| h.end_ms >= from_ms && h.end_ms < to_ms).collect();
    let r = Rollout {
        reach: [None; 3],
        peak_downloads: nginx::peak_concurrent(&in_phase, ".kbundle"),
        bytes: in_phase.iter().map(|h| h.bytes).sum(),
        requests: in_phase.len(),
        downloads: in_phase.iter().filter(|h| h.uri.ends_with(".kbundle") && h.bytes > 0).count(),
    };
    (in_phase, r)
}

/// Runs the whole scenario once: idle polling, a rollout to everyone, then a
/// staged rollout widened to everyone. `work` holds the web root, nginx's
/// files and every kiosk's data folder.
pub fn run(opts: &Options, bundles: &Bundles, work: &Path) -> anyhow::Result<Report> {
    let www = work.join("www");
    std::fs::create_dir_all(&www)?;
    bundles.publish(&www, BASE, 100)?;
    let mut server = nginx::Nginx::start(&www, &work.join("nginx"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let every = opts.every;
    let n = opts.kiosks;
    let record = Arc::new(Record { version: (0..n).map(|_| AtomicU64::new(BASE)).collect(), ..Record::default() });
    let url = server.url("/manifest.json");
    let pss_before = pss_kib();
    let policy = bundles.policy();
    let published = opts.link_installed.then(|| Arc::new(bundles.files.clone()));
    let mut report = Report { kiosks: n, jitter: opts.jitter, ..Report::default() };

    runtime.block_on(async {
        let mut started_at = Instant::now();
        let mut pollers = Vec::with_capacity(n);
        for i in 0..n {
            let id = kiosk_id(i);
            let home = work.join("kiosks").join(&id);
            // Each kiosk's own client, built now: on a kiosk that is its own
            // CPU's work at start, here it would hold up the others' polls.
            let http = kiosk_http::Shared::new();
            http.get().map_err(|e| anyhow::anyhow!("HTTP client: {e}"))?;
            let remote = Remote::new(&url, &home.join("downloads"), http)?.for_kiosk(&id);
            let data = home.join("data");
            let store = BundleStore::open(&data)?;
            let jitter = if opts.jitter { Jitter::for_kiosk(Some(&id)) } else { Jitter::none() };
            // The kiosk's own `BASE` is its config's bundle: the floor, as in the app.
            let poller = Poller {
                remote,
                url: url.clone(),
                every,
                store,
                policy: policy.clone(),
                floor: BASE,
                jitter: Jitter::none(),
            };
            pollers.push(Kiosk { poller, jitter, data, published: published.clone() });
        }
        report.setup_secs = started_at.elapsed().as_secs_f64();
        started_at = Instant::now();
        for (i, k) in pollers.into_iter().enumerate() {
            tokio::spawn(kiosk(k, i, every, record.clone()));
        }
        // Idle: every kiosk's first poll (a 200 and the signature; each
        // kiosk's HTTP client is built then, which takes a while for a
        // thousand), one more interval, then only 304s.
        let until = Instant::now() + every * opts.timeout_intervals;
        while record.started.load(Ordering::SeqCst) < n && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        report.start_secs = started_at.elapsed().as_secs_f64();
        tokio::time::sleep(every).await;
        let (idle_from, cpu0) = (unix_ms(), cpu_ticks());
        tokio::time::sleep(every * opts.idle_intervals).await;
        let (idle_to, cpu1) = (unix_ms(), cpu_ticks());
        let pss = pss_kib();
        report.pss_per_kiosk_kib = pss as f64 / n as f64;
        report.added_pss_per_kiosk_kib = pss.saturating_sub(pss_before) as f64 / n as f64;
        report.idle_cpu_ms_per_kiosk_interval =
            (cpu1 - cpu0) as f64 * 10.0 / (n as f64 * f64::from(opts.idle_intervals));

        let limit = every * opts.timeout_intervals;
        // Everyone gets FIRST.
        let (full_from, full_at) = (unix_ms(), Instant::now());
        bundles.publish(&www, FIRST, 100)?;
        wait_for(&record, FIRST, n, limit).await;
        // nginx's ETag is the file's mtime in seconds and its size: publish no
        // two manifests within one second.
        tokio::time::sleep(Duration::from_millis(1100).saturating_sub(full_at.elapsed())).await;
        let full_to = unix_ms();
        report.full.reach = reach(&record, FIRST, n, full_at, every);

        // SECOND to the first stage, then to everyone.
        let chosen: Vec<usize> = (0..n).filter(|&i| in_rollout(&kiosk_id(i), SECOND, opts.stage_percent)).collect();
        let (stage_from, stage_at) = (unix_ms(), Instant::now());
        bundles.publish(&www, SECOND, opts.stage_percent)?;
        tokio::time::sleep((every * opts.stage_intervals).max(Duration::from_millis(1100))).await;
        let stage_to = unix_ms();
        report.stage_installed = on(&record, SECOND);
        report.stage_expected = chosen.len();
        report.stage_exact =
            (0..n).all(|i| (record.version[i].load(Ordering::SeqCst) >= SECOND) == chosen.contains(&i));
        report.stage.reach = reach(&record, SECOND, chosen.len().max(1), stage_at, every);
        let (wide_from, wide_at) = (unix_ms(), Instant::now());
        let before_widening = record.installs.lock().expect("record").len();
        bundles.publish(&www, SECOND, 100)?;
        wait_for(&record, SECOND, n, limit).await;
        let wide_to = unix_ms() + 1.0;
        {
            // Reach of everyone from widening: the stage's kiosks count as there at once.
            let mut installs = record.installs.lock().expect("record");
            for entry in installs.iter_mut().take(before_widening) {
                if entry.2 == SECOND {
                    entry.0 = wide_at;
                }
            }
        }
        report.widened.reach = reach(&record, SECOND, n, wide_at, every);
        report.final_on_second = on(&record, SECOND);
        record.stop.store(true, Ordering::SeqCst);
        tokio::time::sleep(every.mul_f64(1.3)).await;

        server.stop();
        let hits = server.hits()?;
        let (idle, _) = phase(&hits, idle_from, idle_to);
        let manifests = idle.iter().filter(|h| h.uri == "/manifest.json").count();
        report.idle_requests_per_kiosk_interval = manifests as f64 / (n as f64 * f64::from(opts.idle_intervals));
        report.idle_not_304 = idle.iter().filter(|h| h.status != 304).count();
        report.idle_peak_tenth = busiest(&idle, every.as_secs_f64() * 100.0);

        report.idle_share_304 = idle.iter().filter(|h| h.status == 304).count() as f64 / idle.len().max(1) as f64;
        let keep = |r: &mut Rollout, (_, p): (Vec<&nginx::Hit>, Rollout)| {
            let reach = r.reach;
            *r = Rollout { reach, ..p };
        };
        keep(&mut report.full, phase(&hits, full_from, full_to));
        keep(&mut report.stage, phase(&hits, stage_from, stage_to));
        keep(&mut report.widened, phase(&hits, wide_from, wide_to));
        report.held = record.held.load(Ordering::Relaxed);
        report.retries = record.retries.load(Ordering::Relaxed);
        report.refusals = record.refusals.load(Ordering::Relaxed);
        report.linked = record.linked.load(Ordering::Relaxed);
        report.link_failures = record.link_failures.load(Ordering::Relaxed);
        anyhow::Ok(())
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(report)
}

/// The demo content the bundles are built from.
pub fn demo_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}
