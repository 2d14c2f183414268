//! The soak: weeks in a lobby compressed into an hour, to see whether memory,
//! open files, threads, the databases, the logs or the heartbeat drift.
//!
//! The release app runs under Xvfb with a sound device paced at real time
//! (see [`kiosk_e2e::Audio::Paced`]) and a real GNU Mailman 3 as its central
//! list. Time is compressed: attract slides change every second, and a visitor
//! comes every few seconds through WebDriver ([`visitor`]) and walks away, so
//! the idle reset brings attract mode back. Every few minutes the sync worker
//! looks at the list on its own (besides the nudge each signup gives it), and
//! every ten minutes a newer signed bundle lands in the drop folder and is
//! switched in live.
//!
//! Every 10 s it samples PSS, FDs, threads and CPU of all the app's processes,
//! the SQLite files, WALs and logs in its data directory and the heartbeat's
//! age ([`sampling`]), into `artifacts/soak/soak.csv`; at the end it plots them
//! (`soak.png`, gnuplot) and prints a verdict against the targets
//! ([`verdict`]; also `artifacts/soak/verdict.txt`), including whether every
//! signup thanked on screen reached Mailman exactly once.
//!
//! A figure, not a test: `bench/soak [--minutes N]` (default 60; a shorter run
//! scales the warm-up and the bundle swaps down). To find what grows,
//! `--without visitors` leaves attract mode (and the swaps) alone, and
//! `--without swaps` keeps one bundle all along. The web process is renewed
//! at 16 MiB of growth, so an hour shows renewals; `--recycle-mib M` sets M
//! (0: never, the raw growth). The app runs attached to WebKitWebDriver, not
//! under tauri-driver: a renewal ends the WebDriver session, and the next
//! visitor opens a new one on the same app. `kiosk-soak --reanalyse
//! [CSV]` prints the sample figures of a finished run again and redraws its plot.
//! `--repeat STEPS N` repeats one kind of visitor step at a time N times and
//! tells how much the page's memory grew per step ([`repeat`]).

mod repeat;
mod sampling;
mod verdict;
mod visitor;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kiosk_e2e::bench::release_dir;
use kiosk_e2e::{Kiosk, Options, artifacts_dir, repo_root};

use sampling::{Shared, Watch, heartbeat};
use verdict::{Delivery, Live, Run};
use visitor::{Tally, Visitor, css_testid, js, wait_css};

/// Short, so each visit ends in an idle reset within seconds.
const IDLE_SECS: u64 = 6;
const HEARTBEAT_SECS: u64 = 10;
/// The sync worker's own look at the list when nothing is waiting.
const SYNC_INTERVAL_SECS: u64 = 120;
/// A visitor every ~10 s signs up: the lobby's default limit (6 a minute) would
/// refuse some, which is the throttle working, not what the soak is about.
const SIGNUPS_PER_MINUTE: u32 = 30;

/// The kiosk under soak and what it talks to.
struct Setup {
    k: Kiosk,
    mailman: kiosk_testsupport::mailman::Mailman,
    list: String,
    /// Holds the inbox, the credentials and the bundles being built.
    work: tempfile::TempDir,
    inbox: PathBuf,
    secret: String,
    /// The kiosk's languages, its default first.
    langs: Vec<String>,
}

impl Setup {
    fn data(&self) -> PathBuf {
        self.k.dir.path().join("data")
    }
}

/// `web_recycle_mib` for the soak: lower than a lobby's 64, so that an hour
/// shows renewals (the visitors grow the web process by some 30 MiB an hour);
/// `--recycle-mib 0` shows the growth they bound.
const RECYCLE_MIB: u32 = 16;

/// A lobby has lulls: every [`LULL_EVERY`] nobody comes for [`LULL`], in
/// attract mode (in every run, renewals or not, so runs compare). Renewals
/// wait for such a moment: attract mode seen untouched at two of the app's
/// looks 10 s apart, and `web_recycle_quiet_secs` (2 s here) long.
const LULL_EVERY: Duration = Duration::from_secs(300);
const LULL: Duration = Duration::from_secs(35);

/// The kiosk under soak, its web process renewed at `recycle_mib` of growth (0: never).
async fn start(recycle_mib: u32) -> Setup {
    let app = release_dir().join("embassy-kiosk");
    assert!(app.exists(), "{} is missing: build it (bench/soak does)", app.display());
    let mailman = kiosk_testsupport::mailman::Mailman::start().await;
    let list = mailman.create_list("lobby-visitors").await;
    let work = tempfile::Builder::new().prefix("kiosk-soak-").tempdir().expect("work dir");
    let credentials = mailman.write_credentials(work.path());
    let (public, secret) = kiosk_updates::sign::generate_keypair(None).expect("a signing key");
    let key_line = public.lines().nth(1).expect("the public key line");
    let inbox = work.path().join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let extra_config = format!(
        "idle_timeout_secs = {IDLE_SECS}\nattract_slide_secs = 1\nheartbeat_secs = {HEARTBEAT_SECS}\n\
         web_recycle_mib = {recycle_mib}\nweb_recycle_quiet_secs = 2\n\
         [sync]\ntarget = \"mailman\"\nurl = \"{}\"\nlist_id = \"{list}\"\ncredentials_file = {credentials:?}\n\
         interval_secs = {SYNC_INTERVAL_SECS}\n\
         [updates]\ntrusted_keys = [\"{key_line}\"]\ninbox = [{inbox:?}]\npoll_secs = 2\n\
         [signups]\nmax_per_minute = {SIGNUPS_PER_MINUTE}\n",
        mailman.rest_root()
    );
    // Attached, not under tauri-driver: a renewal ends WebDriver's session with
    // the old web process, and the next visitor needs a new session on the same app.
    let k = Kiosk::start_attached(Options { name: "soak".into(), app: Some(app), extra_config, ..Options::default() })
        .await;
    k.wait_testid("home").await;
    let codes = "return Array.from(document.querySelectorAll('[data-testid=lang-switch] [data-testid^=lang-]'))\
                 .map(b => [b.dataset.testid.slice(5), b.getAttribute('aria-pressed') === 'true']);";
    let mut langs: Vec<(String, bool)> =
        serde_json::from_value(js(&k, codes).await.expect("read the languages")).expect("language codes");
    // The default language first: the one a fresh visit starts in.
    langs.sort_by_key(|(_, pressed)| !pressed);
    let langs = langs.into_iter().map(|(code, _)| code).collect();
    Setup { k, mailman, list, work, inbox, secret, langs }
}

/// The demo content built as `version` and signed: a real newer bundle, same content.
fn signed_bundle(work: &Path, version: u64, secret: &str) -> PathBuf {
    use kiosk_content::build::{BuildOptions, build_bundle};
    let content = work.join("content");
    if !content.exists() {
        kiosk_testsupport::copy_dir(&repo_root().join("content"), &content);
    }
    let out = work.join(format!("v{version}.kbundle"));
    let options = BuildOptions { bundle_version: Some(version), ..BuildOptions::default() };
    build_bundle(&content, &out, &options, &mut kiosk_content::source::NoProgress).expect("the demo content builds");
    let comment = kiosk_updates::sign::trusted_comment(version, "stable");
    let sig = kiosk_updates::sign::sign(secret, None, std::fs::File::open(&out).expect("bundle"), &comment)
        .expect("sign the bundle");
    std::fs::write(kiosk_updates::sign::signature_path(&out), sig).expect("write the signature");
    out
}

/// Builds a newer signed bundle and drops it, signature first, into the
/// inbox as a copy to a USB stick lands; returns its version.
async fn swap_bundle(s: &Setup, after: u64) -> u64 {
    let version = (jiff::Timestamp::now().as_second() as u64).max(after + 1);
    let work = s.work.path().join("build");
    let secret = s.secret.clone();
    let built = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&work).expect("build dir");
        signed_bundle(&work, version, &secret)
    })
    .await
    .expect("bundle build");
    let sig = kiosk_updates::sign::signature_path(&built);
    std::fs::copy(&sig, s.inbox.join(sig.file_name().expect("name"))).expect("copy the signature");
    std::fs::copy(&built, s.inbox.join(built.file_name().expect("name"))).expect("copy the bundle");
    let _ = std::fs::remove_file(&sig);
    let _ = std::fs::remove_file(&built);
    version
}

fn stamp(start: Instant) -> String {
    let t = start.elapsed().as_secs();
    format!("[{:02}:{:02}]", t / 60, t % 60)
}

/// What a run leaves out, to tell which part of a lobby day makes something grow.
#[derive(Clone, Copy, Default)]
struct Without {
    visitors: bool,
    swaps: bool,
}

/// Visitors back to back until `minutes` are up, a bundle every `swap_every`.
async fn soak(
    s: &mut Setup,
    minutes: u64,
    swap_every: Duration,
    without: Without,
    shared: &Shared,
    start: Instant,
) -> Tally {
    let deadline = start + Duration::from_secs(minutes * 60);
    let run_id = jiff::Timestamp::now().as_second() as u64;
    let mut tally = Tally::default();
    let mut next_swap = start + swap_every;
    // The first lull at the start: a kiosk boots into an empty lobby.
    let mut next_lull = start;
    // The first visitor arrives at attract mode, like every later one.
    let _ = wait_css(&s.k, &css_testid("attract"), IDLE_SECS + 20).await;
    let mut n = 0;
    while Instant::now() < deadline {
        // No swap in the last minute: it could not be seen in use before the end.
        if !without.swaps && Instant::now() >= next_swap && next_swap + Duration::from_secs(60) < deadline {
            let version = swap_bundle(s, tally.dropped.last().copied().unwrap_or(0)).await;
            println!("{} dropped bundle v{version}", stamp(start));
            tally.dropped.push(version);
            next_swap += swap_every;
        }
        if s.k.app_pids().is_empty() {
            eprintln!("{} the app is gone: relaunching", stamp(start));
            tally.app_restarts += 1;
            s.k.relaunch().await;
            let _ = wait_css(&s.k, &css_testid("attract"), IDLE_SECS + 60).await;
        }
        if !without.visitors && Instant::now() >= next_lull {
            println!("{} a lull: nobody for {} s", stamp(start), LULL.as_secs());
            tokio::time::sleep(LULL).await;
            next_lull = Instant::now() + LULL_EVERY;
            // A renewal in the lull ended the session: a new one before the next visitor.
            // Bounded: a driver that never answers must not stall the soak.
            match tokio::time::timeout(Duration::from_secs(30), s.k.client.current_url()).await {
                Ok(Err(e)) => tally.session_lost |= visitor::session_ended(&e.to_string()),
                Ok(Ok(_)) => {}
                Err(_) => eprintln!("{} the WebDriver session did not answer within 30 s", stamp(start)),
            }
        }
        if tally.session_lost {
            eprintln!("{} the page's web process was replaced: a new WebDriver session", stamp(start));
            tally.sessions_ended += 1;
            tally.session_lost = false;
            s.k.reconnect().await;
            let _ = wait_css(&s.k, &css_testid("attract"), IDLE_SECS + 60).await;
        }
        if without.visitors {
            // Attract mode alone: look in on the app now and then, no input.
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        }
        let who = Visitor { n, langs: &s.langs, run_id, start };
        visitor::visit(&s.k, &who, &mut tally, shared).await;
        n += 1;
    }
    println!("{} {n} visitors; waiting for the outbox to drain", stamp(start));
    tally
}

/// Waits for the kiosk to finish what it was given: every signup sent, the last bundle in use.
async fn settle(data: &Path, last_dropped: Option<u64>) {
    let deadline = Instant::now() + Duration::from_secs(SYNC_INTERVAL_SECS + 120);
    while heartbeat(data).is_none_or(|b| b.pending > 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while last_dropped.is_some_and(|v| heartbeat(data).is_none_or(|b| b.bundle_version < v))
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// How the run's signups stand in Mailman: each thanked address pending or a
/// member exactly once, with at most one confirmation mail.
async fn delivery(mailman: &kiosk_testsupport::mailman::Mailman, list: &str, tally: &Tally) -> Delivery {
    let mut listed: BTreeMap<String, usize> = BTreeMap::new();
    for e in mailman.pending_confirmations(list).await.into_iter().chain(mailman.members(list).await) {
        *listed.entry(e.to_lowercase()).or_default() += 1;
    }
    let mails = mailman.confirmation_requests();
    let mut mailed: BTreeMap<String, usize> = BTreeMap::new();
    for e in &mails {
        *mailed.entry(e.to_lowercase()).or_default() += 1;
    }
    let mut d = Delivery { once: 0, missing: vec![], repeated: vec![], unthanked: vec![], mails: mails.len() };
    for e in &tally.thanked {
        match (listed.get(e).copied().unwrap_or(0), mailed.get(e).copied().unwrap_or(0)) {
            (0, _) => d.missing.push(e.clone()),
            (1, m) if m <= 1 => d.once += 1,
            _ => d.repeated.push(e.clone()),
        }
    }
    d.unthanked = listed.into_keys().filter(|e| !tally.thanked.contains(e)).collect();
    d
}

fn usage() -> ! {
    eprintln!(
        "usage: kiosk-soak [--minutes N] [--without visitors|swaps]... [--recycle-mib M]   (N ≥ 2, default 60; M default 16, 0: never)\n       \
         kiosk-soak --reanalyse [CSV]\n       \
         kiosk-soak --repeat STEP[,STEP...] N   (steps: {})",
        visitor::REPEATABLE.join(", ")
    );
    std::process::exit(2)
}

enum Mode {
    Soak { minutes: u64, without: Without, recycle_mib: u32 },
    Reanalyse { csv: PathBuf },
    Repeat { steps: Vec<String>, times: usize },
}

fn mode() -> Mode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--reanalyse"] => Mode::Reanalyse { csv: artifacts_dir().join("soak/soak.csv") },
        ["--reanalyse", csv] => Mode::Reanalyse { csv: csv.into() },
        ["--repeat", steps, times] => {
            let steps: Vec<String> = steps.split(',').map(str::to_string).collect();
            if steps.iter().any(|s| !visitor::REPEATABLE.contains(&s.as_str())) {
                usage()
            }
            Mode::Repeat { steps, times: times.parse().ok().filter(|&n| n > 0).unwrap_or_else(|| usage()) }
        }
        ref rest => {
            let (mut minutes, mut without, mut recycle_mib) = (60, Without::default(), RECYCLE_MIB);
            for pair in rest.chunks(2) {
                match pair {
                    ["--minutes", m] => minutes = m.parse().ok().filter(|&m| m >= 2).unwrap_or_else(|| usage()),
                    ["--recycle-mib", m] => recycle_mib = m.parse().unwrap_or_else(|_| usage()),
                    ["--without", "visitors"] => without.visitors = true,
                    ["--without", "swaps"] => without.swaps = true,
                    _ => usage(),
                }
            }
            Mode::Soak { minutes, without, recycle_mib }
        }
    }
}

/// The sample figures of a finished run, again (e.g. after a change to how they are judged).
fn reanalyse(csv: &Path) {
    let samples = sampling::read_csv(csv).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let end = samples[samples.len() - 1].t_s;
    let run = Run::new((end / 60.0).round() as u64);
    let mut failed = Vec::new();
    println!("{}: {:.0} min", csv.display(), end / 60.0);
    print!("{}", verdict::figures(&run, &samples, &mut failed));
    match verdict::plot(csv) {
        Ok(png) => println!("Plot: {}", png.display()),
        Err(e) => println!("Plot not drawn: {e}"),
    }
    println!("Failed: {failed:?} (signups, swaps and steps: see the run's own verdict.txt)");
}

#[tokio::main]
async fn main() {
    let (minutes, without, recycle_mib) = match mode() {
        Mode::Reanalyse { csv } => return reanalyse(&csv),
        Mode::Repeat { steps, times } => return repeat::run(&steps, times).await,
        Mode::Soak { minutes, without, recycle_mib } => (minutes, without, recycle_mib),
    };
    let run = Run::new(minutes);
    // The bundle every 10 minutes is for an hour; a short run swaps every third of it.
    let swap_every = Duration::from_secs(if minutes >= 30 { 600 } else { minutes * 20 });
    let out_dir = artifacts_dir().join("soak");
    std::fs::create_dir_all(&out_dir).expect("artifacts/soak");
    let mut s = start(recycle_mib).await;
    let data = s.data();
    println!(
        "soak: {minutes} min{}{}, languages {:?}, data in {}, output in {}; ends about {}",
        if without.visitors { ", no visitors (attract mode alone)" } else { "" },
        if without.swaps { ", no bundle swaps" } else { "" },
        s.langs,
        data.display(),
        out_dir.display(),
        jiff::Timestamp::now() + jiff::SignedDuration::from_secs(minutes as i64 * 60 + 180)
    );

    let start = Instant::now();
    let shared = Arc::new(Shared::default());
    let csv = out_dir.join("soak.csv");
    let watch = Watch {
        env_entry: format!("EMBASSY_KIOSK_CONFIG={}", s.k.config.display()),
        data: data.clone(),
        stderr_log: s.k.app_log.clone(),
        csv: csv.clone(),
    };
    let sampler = std::thread::spawn({
        let shared = shared.clone();
        move || sampling::sampler(watch, shared, start)
    });
    let tally = soak(&mut s, minutes, swap_every, without, &shared, start).await;
    settle(&data, tally.dropped.last().copied()).await;
    shared.stop.store(true, Ordering::Relaxed);
    sampler.join().expect("the sampler");

    let samples = shared.samples.lock().expect("samples").clone();
    let delivery = delivery(&s.mailman, &s.list, &tally).await;
    let plotted = verdict::plot(&csv).map_or_else(|e| format!("not drawn: {e}"), |p| p.display().to_string());
    let live = Live {
        tally: &tally,
        delivery: &delivery,
        installed: verdict::installed(&samples, &tally.dropped),
        swap_every_min: swap_every.as_secs() / 60,
        idle_secs: IDLE_SECS,
        sync_interval_secs: SYNC_INTERVAL_SECS,
    };
    let (text, ok) = verdict::verdict(&run, &samples, &live, &plotted);
    println!("\n{text}");
    std::fs::write(out_dir.join("verdict.txt"), &text).expect("write verdict.txt");
    println!("CSV: {}", csv.display());
    let shot = s.k.screenshot("soak-end").await;
    println!("Screen at the end: {}", shot.display());
    s.k.stop().await;
    // `exit` runs no destructors: stop Mailman and remove the scratch folders first.
    drop((s.mailman, s.work));
    std::process::exit(if ok { 0 } else { 1 });
}
