//! What the soak measures every 10 s, over every process of the app and its
//! data directory, and the CSV it writes (and reads back for `--reanalyse`).

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiosk_e2e::procs::{
    anon_kib, comm, cpu_between, cpu_secs, fd_count, named_with_env, others_mapping, pss_mib, thread_count, tree,
};

pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);

/// One row of `soak.csv`.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub t_s: f64,
    pub procs: usize,
    pub pss: f64,
    pub pss_shell: f64,
    pub pss_web: f64,
    pub pss_net: f64,
    pub fds: usize,
    pub threads: usize,
    pub cpu_pct: f64,
    pub signups_db_kib: f64,
    pub signups_wal_kib: f64,
    pub stats_db_kib: f64,
    pub stats_wal_kib: f64,
    pub data_kib: f64,
    pub logs_kib: f64,
    pub stderr_log_kib: f64,
    pub heartbeat_age_s: Option<f64>,
    pub bundle_version: u64,
    pub sync_pending: u64,
    pub rounds: u64,
    pub failures: u64,
    /// Other processes mapping WebKit's library at the time: PSS reads low then.
    pub others_webkit: usize,
    /// Anonymous memory (heaps, not libraries) of the web process and the
    /// shell, MiB: what a leak grows, and what no other app's sharing skews.
    pub anon_web: f64,
    pub anon_shell: f64,
    /// Web processes renewed so far (the heartbeat's `web_renewals`).
    pub web_renewals: u64,
    /// Web processes that ended on their own (the heartbeat's `web_crashes`).
    pub web_crashes: u64,
}

const CSV_HEADER: &str = "t_s,procs,pss_mib,pss_shell_mib,pss_web_mib,pss_net_mib,fds,threads,cpu_pct,\
signups_db_kib,signups_wal_kib,stats_db_kib,stats_wal_kib,data_kib,logs_kib,stderr_log_kib,\
heartbeat_age_s,bundle_version,sync_pending,rounds,failures,others_webkit,anon_web_mib,anon_shell_mib,web_renewals,web_crashes";

impl Sample {
    fn csv(&self) -> String {
        let age = self.heartbeat_age_s.map_or("NaN".to_string(), |a| format!("{a:.1}"));
        format!(
            "{:.0},{},{:.1},{:.1},{:.1},{:.1},{},{},{:.1},{:.0},{:.0},{:.0},{:.0},{:.0},{:.0},{:.0},{age},{},{},{},{},{},{:.1},{:.1},{},{}",
            self.t_s,
            self.procs,
            self.pss,
            self.pss_shell,
            self.pss_web,
            self.pss_net,
            self.fds,
            self.threads,
            self.cpu_pct,
            self.signups_db_kib,
            self.signups_wal_kib,
            self.stats_db_kib,
            self.stats_wal_kib,
            self.data_kib,
            self.logs_kib,
            self.stderr_log_kib,
            self.bundle_version,
            self.sync_pending,
            self.rounds,
            self.failures,
            self.others_webkit,
            self.anon_web,
            self.anon_shell,
            self.web_renewals,
            self.web_crashes
        )
    }

    /// A row of a CSV this program wrote, by the header's column names.
    fn from_row(header: &[&str], row: &str) -> Option<Sample> {
        let cells: HashMap<&str, &str> = header.iter().copied().zip(row.split(',')).collect();
        let f = |name: &str| cells.get(name).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
        let n = |name: &str| cells.get(name).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        Some(Sample {
            t_s: cells.get("t_s")?.parse().ok()?,
            procs: n("procs") as usize,
            pss: f("pss_mib"),
            pss_shell: f("pss_shell_mib"),
            pss_web: f("pss_web_mib"),
            pss_net: f("pss_net_mib"),
            fds: n("fds") as usize,
            threads: n("threads") as usize,
            cpu_pct: f("cpu_pct"),
            signups_db_kib: f("signups_db_kib"),
            signups_wal_kib: f("signups_wal_kib"),
            stats_db_kib: f("stats_db_kib"),
            stats_wal_kib: f("stats_wal_kib"),
            data_kib: f("data_kib"),
            logs_kib: f("logs_kib"),
            stderr_log_kib: f("stderr_log_kib"),
            heartbeat_age_s: Some(f("heartbeat_age_s")).filter(|a| a.is_finite()),
            bundle_version: n("bundle_version"),
            sync_pending: n("sync_pending"),
            rounds: n("rounds"),
            failures: n("failures"),
            others_webkit: n("others_webkit") as usize,
            anon_web: f("anon_web_mib"),
            anon_shell: f("anon_shell_mib"),
            web_renewals: n("web_renewals"),
            web_crashes: n("web_crashes"),
        })
    }
}

/// The samples of a `soak.csv`.
pub fn read_csv(path: &Path) -> Result<Vec<Sample>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("an empty file")?.split(',').collect();
    let samples: Vec<Sample> = lines.filter_map(|l| Sample::from_row(&header, l)).collect();
    if samples.len() < 3 {
        return Err(format!("{}: {} samples, too few to say anything", path.display(), samples.len()));
    }
    Ok(samples)
}

/// What the visitor loop and the sampler share.
#[derive(Default)]
pub struct Shared {
    pub rounds: AtomicU64,
    pub failures: AtomicU64,
    pub stop: AtomicBool,
    pub samples: Mutex<Vec<Sample>>,
}

/// Where the sampler looks.
pub struct Watch {
    /// `EMBASSY_KIOSK_CONFIG=<config>`: in the app's environment, and only in this run's app.
    pub env_entry: String,
    pub data: PathBuf,
    pub stderr_log: PathBuf,
    pub csv: PathBuf,
}

fn kib(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1024.0)
}

fn dir_kib(dir: &Path) -> f64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_kib(&e.path()),
            _ => e.metadata().map_or(0.0, |m| m.len() as f64 / 1024.0),
        })
        .sum()
}

/// What the heartbeat file says.
pub struct Beat {
    /// Seconds since it was written, by its own `at_utc`.
    pub age_s: f64,
    pub bundle_version: u64,
    /// Signups waiting to be sent.
    pub pending: u64,
    /// Web processes renewed so far.
    pub renewals: u64,
    /// Web processes that ended on their own so far.
    pub crashes: u64,
}

pub fn heartbeat(data: &Path) -> Option<Beat> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(data.join("heartbeat.json")).ok()?).ok()?;
    let at: jiff::Timestamp = json["at_utc"].as_str()?.parse().ok()?;
    Some(Beat {
        age_s: jiff::Timestamp::now().duration_since(at).as_secs_f64(),
        bundle_version: json["bundle_version"].as_u64()?,
        pending: json["sync_pending"].as_u64().unwrap_or(0),
        renewals: json["web_renewals"].as_u64().unwrap_or(0),
        crashes: json["web_crashes"].as_u64().unwrap_or(0),
    })
}

fn sample(watch: &Watch, shared: &Shared, t_s: f64, cpu_before: &mut (Instant, HashMap<u32, f64>)) -> Sample {
    let pids: Vec<u32> = named_with_env("embassy-kiosk", &watch.env_entry)
        .into_iter()
        .flat_map(tree)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut s = Sample { t_s, procs: pids.len(), pss: pss_mib(&pids), ..Sample::default() };
    for &p in &pids {
        let name = comm(p);
        let (share, anon) = if name == "embassy-kiosk" {
            (&mut s.pss_shell, Some(&mut s.anon_shell))
        } else if name.starts_with("WebKitWeb") {
            (&mut s.pss_web, Some(&mut s.anon_web))
        } else if name.starts_with("WebKitNet") {
            (&mut s.pss_net, None)
        } else {
            continue;
        };
        *share += pss_mib(&[p]);
        if let Some(anon) = anon {
            *anon += anon_kib(p).unwrap_or(0) as f64 / 1024.0;
        }
    }
    s.fds = fd_count(&pids);
    s.threads = thread_count(&pids);
    let cpu_now = cpu_secs(&pids);
    let secs = cpu_before.0.elapsed().as_secs_f64();
    // The first sample has nothing to compare with: CPU since the app started is not "now".
    s.cpu_pct =
        if cpu_before.1.is_empty() { f64::NAN } else { 100.0 * cpu_between(&cpu_before.1, &cpu_now) / secs.max(0.001) };
    *cpu_before = (Instant::now(), cpu_now);
    let d = &watch.data;
    s.signups_db_kib = kib(&d.join("signups.sqlite"));
    s.signups_wal_kib = kib(&d.join("signups.sqlite-wal"));
    s.stats_db_kib = kib(&d.join("stats.sqlite"));
    s.stats_wal_kib = kib(&d.join("stats.sqlite-wal"));
    s.data_kib = dir_kib(d);
    s.logs_kib = dir_kib(&d.join("logs"));
    s.stderr_log_kib = kib(&watch.stderr_log);
    if let Some(beat) = heartbeat(d) {
        (s.heartbeat_age_s, s.bundle_version, s.sync_pending) = (Some(beat.age_s), beat.bundle_version, beat.pending);
        (s.web_renewals, s.web_crashes) = (beat.renewals, beat.crashes);
    }
    s.rounds = shared.rounds.load(Ordering::Relaxed);
    s.failures = shared.failures.load(Ordering::Relaxed);
    // PSS shares a library's pages among every process mapping it: another
    // WebKit app running meanwhile makes ours read low. Counted, not refused:
    // the machine is shared; the verdict leaves those samples out of the PSS fit.
    s.others_webkit = others_mapping(&["libwebkit2gtk-4.1.so"], &pids).len();
    s
}

/// Samples every [`SAMPLE_EVERY`] until told to stop (and once more then),
/// appending each row to the CSV as it is taken, so a run cut short keeps its data.
pub fn sampler(watch: Watch, shared: Arc<Shared>, start: Instant) {
    let mut csv = std::fs::File::create(&watch.csv).expect("create soak.csv");
    writeln!(csv, "{CSV_HEADER}").expect("write soak.csv");
    let mut cpu = (Instant::now(), HashMap::new());
    let mut next = start;
    loop {
        let last = shared.stop.load(Ordering::Relaxed);
        let s = sample(&watch, &shared, start.elapsed().as_secs_f64(), &mut cpu);
        let _ = writeln!(csv, "{}", s.csv()).and_then(|_| csv.flush());
        shared.samples.lock().expect("samples").push(s);
        if last {
            return;
        }
        next += SAMPLE_EVERY;
        while Instant::now() < next && !shared.stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
