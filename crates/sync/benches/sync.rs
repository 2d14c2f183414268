//! Signup figures, printed side by side with their targets:
//!
//! - durable signup commit (WAL, synchronous=FULL, fsync on this disk), p50/p99;
//! - draining a backlog into the webhook receiver and into a real Mailman 3,
//!   signups/s, with the server's own time beside the kiosk's CPU time — the
//!   kiosk should not be the bottleneck.
//!
//! `KIOSK_BENCH_BACKLOG` sets the backlog (default 10000).

use std::path::Path;
use std::time::{Duration, Instant};

use kiosk_config::{SyncConfig, SyncTarget};
use kiosk_signups::email::validate;
use kiosk_signups::store::{NewSignup, SignupStore};
use kiosk_sync::backoff::Backoff;
use kiosk_sync::target::Target;
use kiosk_sync::worker::{Options, drain};
use kiosk_testsupport::mailman::{self, Mailman};
use kiosk_testsupport::webhook::WebhookReceiver;

fn new_signup<'a>(email: &'a kiosk_signups::email::ValidEmail) -> NewSignup<'a> {
    NewSignup {
        email,
        name: Some("Visitor"),
        lang: "en",
        consent_version: 1,
        consent_text: "I agree to receive the embassy's newsletter.",
        kiosk_id: "bench",
        at: jiff::Timestamp::now(),
    }
}

fn fill(path: &Path, n: usize) {
    let mut store = SignupStore::open(path).unwrap();
    for i in 0..n {
        let email = validate(&format!("bench{i:06}@example.org")).unwrap();
        store.add(&new_signup(&email)).unwrap();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// CPU seconds (user + system) used so far by process `pid` and, if asked, its children that have not exited.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
    ticks / 100.0 // USER_HZ is 100 on Linux
}

/// The Mailman REST workers: processes listening-side of gunicorn, found by their command line.
fn mailman_rest_pids() -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd);
        if cmd.contains("kiosk-mailman-") && cmd.contains("--runner=rest") {
            pids.push(pid);
        }
    }
    pids
}

fn config(target: SyncTarget, url: String, list_id: Option<String>, file: &Path) -> SyncConfig {
    SyncConfig {
        target,
        url,
        list_id,
        credentials_file: file.to_path_buf(),
        pre_confirmed: true,
        interval_secs: 3600,
        batch: 100,
        parallel: 8,
        timeout_secs: 30,
        max_backoff_secs: 5,
    }
}

fn secret(dir: &Path, text: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("secret");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

async fn drain_all(path: &Path, target: &Target) -> Duration {
    let opts = Options {
        batch: 100,
        parallel: 8,
        interval: Duration::from_secs(3600),
        backoff: Backoff { base: Duration::from_millis(50), cap: Duration::from_secs(1) },
        purge_retry: kiosk_sync::worker::PURGE_RETRY,
    };
    let mut store = SignupStore::open(path).unwrap();
    let start = Instant::now();
    loop {
        let report = drain(&mut store, target, &opts).await.unwrap();
        if report.ok && store.counts().unwrap().pending == 0 {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test` builds benches too; only `cargo bench` runs them
    }
    let backlog: usize = std::env::var("KIOSK_BENCH_BACKLOG").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir =
        tempfile::tempdir_in(std::env::var_os("KIOSK_BENCH_DIR").unwrap_or_else(|| env!("CARGO_TARGET_TMPDIR").into()))
            .unwrap();

    // 1. Durable commit.
    let path = dir.path().join("commit.sqlite");
    let mut store = SignupStore::open(&path).unwrap();
    let mut ms = Vec::new();
    for i in 0..500 {
        let email = validate(&format!("commit{i:05}@example.org")).unwrap();
        let t = Instant::now();
        store.add(&new_signup(&email)).unwrap();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "signup commit (WAL, synchronous=FULL, 500 commits on {}): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms   target p99 <= 20 ms",
        dir.path().display(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms[ms.len() - 1]
    );
    drop(store);

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let me = std::process::id();

    // 2. Webhook.
    let path = dir.path().join("webhook.sqlite");
    fill(&path, backlog);
    let key = "bench secret, long enough to be real";
    let (elapsed, kiosk_cpu, server_busy) = runtime.block_on(async {
        let receiver = WebhookReceiver::start(key.as_bytes(), 0.0, 1).await;
        let target = Target::from_config(
            &config(SyncTarget::Webhook, receiver.url(), None, &secret(dir.path(), key)),
            kiosk_http::Shared::new(),
        )
        .unwrap();
        let cpu0 = cpu_secs(me);
        let elapsed = drain_all(&path, &target).await;
        let busy = receiver.received.lock().unwrap().busy_us;
        (elapsed, cpu_secs(me) - cpu0, busy)
    });
    println!(
        "drain {backlog} into the webhook receiver (8 in flight): {:.1} s, {:.0} signups/s; kiosk + receiver CPU {:.1} s (one process), receiver handling {:.2} s",
        elapsed.as_secs_f64(),
        backlog as f64 / elapsed.as_secs_f64(),
        kiosk_cpu,
        server_busy as f64 / 1e6
    );

    // 3. Mailman.
    let path = dir.path().join("mailman.sqlite");
    fill(&path, backlog);
    runtime.block_on(async {
        let server = Mailman::start().await;
        let list = server.create_list("bench").await;
        let creds = secret(dir.path(), &format!("{}:{}", mailman::REST_USER, mailman::REST_PASS));
        let target =
            Target::from_config(&config(SyncTarget::Mailman, server.rest_root(), Some(list.clone()), &creds), kiosk_http::Shared::new()).unwrap();
        let rest = mailman_rest_pids();
        let server_cpu = || rest.iter().map(|&p| cpu_secs(p)).sum::<f64>();
        let (cpu0, scpu0) = (cpu_secs(me), server_cpu());
        let elapsed = drain_all(&path, &target).await;
        let (kiosk_cpu, mailman_cpu) = (cpu_secs(me) - cpu0, server_cpu() - scpu0);
        let members = server.members(&list).await.len();
        println!(
            "drain {backlog} into Mailman 3 REST (8 in flight, {} REST workers): {:.1} s, {:.0} signups/s; kiosk CPU {:.1} s vs Mailman REST CPU {:.1} s; roster {members}",
            rest.len(),
            elapsed.as_secs_f64(),
            backlog as f64 / elapsed.as_secs_f64(),
            kiosk_cpu,
            mailman_cpu
        );
    });
}
