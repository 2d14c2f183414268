//! `kiosk-fleet`: N simulated kiosks on the real update code against a real
//! nginx, once with every kiosk polling on the beat and once with jitter,
//! printed side by side; and (`--mode drain`) the same fleet draining a
//! signup backlog into a rate-limited list, with and without backoff jitter.
//! See the library's docs for how time is compressed.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use kiosk_fleet::drain::{DrainOptions, DrainReport, ListKind};
use kiosk_fleet::{Bundles, Options, Report, Rollout, demo_content, run};
use kiosk_sync::backoff::Backoff;

/// Which part of the fleet to measure.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// The content rollout from nginx.
    Rollout,
    /// The signup backlog drain after the list's outage.
    Drain,
    /// Both, one after the other.
    Both,
}

/// A fleet of simulated kiosks: rollout cost and speed, with and without jitter.
#[derive(Parser)]
struct Args {
    /// How many kiosks (up to a thousand or so: each has its own data folder and HTTP client).
    #[arg(long, default_value_t = 50)]
    kiosks: usize,
    /// The polling interval in real milliseconds (it stands for `--interval-minutes`).
    #[arg(long, default_value_t = 1000)]
    every_ms: u64,
    /// What one interval stands for in the field, for the printed minutes.
    #[arg(long, default_value_t = 10.0)]
    interval_minutes: f64,
    /// Intervals measured with nothing published.
    #[arg(long, default_value_t = 5)]
    idle_intervals: u32,
    /// The staged rollout's first stage, in percent.
    #[arg(long, default_value_t = 10)]
    stage_percent: u8,
    /// Intervals the first stage runs before it is widened.
    #[arg(long, default_value_t = 3)]
    stage_intervals: u32,
    /// Give up on a rollout after this many intervals.
    #[arg(long, default_value_t = 60)]
    timeout_intervals: u32,
    /// Pad the bundles to this many MiB (0: the demo content as it is, under 1 MiB).
    /// Each kiosk's installed copy is then shared on disk with the published file
    /// after its install (see the library docs): a hundred kiosks' copies fit.
    #[arg(long, default_value_t = 0)]
    bundle_mb: u64,
    /// Where the kiosks' data folders go (default: a temporary folder, removed after).
    #[arg(long)]
    work: Option<std::path::PathBuf>,
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Mode::Rollout)]
    mode: Mode,
    /// Drain: the central list — the test suite's webhook receiver, or a real Mailman 3 behind a
    /// rate-limiting nginx (needs `./dev deps`; meant for tens of kiosks, not a thousand).
    #[arg(long, value_enum, default_value_t = ListKind::Webhook)]
    list: ListKind,
    /// Drain: signups each kiosk holds when the list comes back.
    #[arg(long, default_value_t = 20)]
    signups: usize,
    /// Drain: requests a (real) second the list lets through; beyond it, 429 + `Retry-After: 1`.
    #[arg(long, default_value_t = 50)]
    cap: u32,
    /// Drain: the worker's backoff after its first failure, in real ms (the field's is 2 s).
    #[arg(long, default_value_t = 20)]
    backoff_base_ms: u64,
    /// Drain: the worker's longest backoff, in real ms (the field's `max_backoff_secs` is 900 s).
    #[arg(long, default_value_t = 9000)]
    backoff_cap_ms: u64,
    /// Drain: the list's outage while the workers start, in real ms (long enough to reach the cap).
    #[arg(long, default_value_t = 20_000)]
    outage_ms: u64,
    /// Drain: give up after this many real seconds from the list's return.
    #[arg(long, default_value_t = 600)]
    drain_timeout_secs: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let scratch = tempfile::Builder::new()
        .prefix("kiosk-fleet-")
        .tempdir_in(args.work.clone().unwrap_or_else(std::env::temp_dir))?;
    if args.mode != Mode::Rollout {
        let mut reports = Vec::new();
        for jitter in [false, true] {
            let opts = DrainOptions {
                list: args.list,
                kiosks: args.kiosks,
                signups: args.signups,
                cap_per_sec: args.cap,
                jitter,
                backoff: Backoff {
                    base: Duration::from_millis(args.backoff_base_ms),
                    cap: Duration::from_millis(args.backoff_cap_ms),
                },
                interval: Duration::from_millis(args.every_ms),
                batch: 50,
                parallel: 4,
                outage: Duration::from_millis(args.outage_ms),
                timeout: Duration::from_secs(args.drain_timeout_secs),
            };
            let work = scratch.path().join(if jitter { "drain-jitter" } else { "drain-beat" });
            let report = kiosk_fleet::drain::run(&opts, &work)?;
            eprintln!("{report:#?}");
            std::fs::remove_dir_all(&work)?;
            reports.push(report);
        }
        println!(
            "kiosk-fleet drain: {} kiosks x {} signups into {} capped at {}/s; worker backoff {}..{} ms \
             (field: 2..900 s), batch 50, 4 in flight",
            args.kiosks,
            args.signups,
            match args.list {
                ListKind::Webhook => "the webhook receiver",
                ListKind::Mailman => "GNU Mailman 3 behind nginx limit_req (burst = cap)",
            },
            args.cap,
            args.backoff_base_ms,
            args.backoff_cap_ms
        );
        print_drain(&reports, args.cap);
        if args.mode == Mode::Drain {
            return Ok(());
        }
    }
    let bundles = Bundles::build(&demo_content(), scratch.path(), args.bundle_mb)?;
    println!(
        "kiosk-fleet: {} kiosks, bundle {:.1} MiB, one interval = {} ms real (stands for {} min){}",
        args.kiosks,
        bundles.size() as f64 / 1048576.0,
        args.every_ms,
        args.interval_minutes,
        if args.bundle_mb > 0 { "; installed copies shared on disk" } else { "" }
    );
    let mut reports = Vec::new();
    for jitter in [false, true] {
        let work = scratch.path().join(if jitter { "jitter" } else { "beat" });
        let opts = Options {
            kiosks: args.kiosks,
            every: Duration::from_millis(args.every_ms),
            jitter,
            idle_intervals: args.idle_intervals,
            stage_percent: args.stage_percent,
            stage_intervals: args.stage_intervals,
            timeout_intervals: args.timeout_intervals,
            link_installed: args.bundle_mb > 0,
        };
        let report = run(&opts, &bundles, &work)?;
        eprintln!("{report:#?}");
        // Each run's kiosks hold two bundles each: free the disk before the next.
        // (The process keeps the first run's heap: compare the first run's PSS.)
        std::fs::remove_dir_all(work.join("kiosks"))?;
        reports.push(report);
    }
    print(&reports, args.interval_minutes);
    Ok(())
}

fn print(reports: &[Report], minutes: f64) {
    let row = |name: &str, f: &dyn Fn(&Report) -> String| {
        print!("{name:<52}");
        for r in reports {
            print!("{:>20}", f(r));
        }
        println!();
    };
    let t = |x: Option<f64>| x.map_or("not reached".into(), |i| format!("{i:.2} ({:.0} min)", i * minutes));
    row("", &|r| if r.jitter { "jitter ±15 %".into() } else { "on the beat".into() });
    row("setup: real s (stores, an HTTP client each)", &|r| format!("{:.1}", r.setup_secs));
    row("start: real s until every kiosk polled once", &|r| format!("{:.1}", r.start_secs));
    row("idle: manifest requests / kiosk / interval", &|r| format!("{:.3}", r.idle_requests_per_kiosk_interval));
    row("idle: most requests in a tenth of an interval", &|r| {
        format!("{} (even: {})", r.idle_peak_tenth, r.kiosks.div_ceil(10))
    });
    row("idle: share of requests answered 304", &|r| format!("{:.1} %", r.idle_share_304 * 100.0));
    row("idle: CPU ms / kiosk / interval (whole process)", &|r| format!("{:.3}", r.idle_cpu_ms_per_kiosk_interval));
    let rollout = |label: &str, get: &dyn Fn(&Report) -> &Rollout| {
        row(&format!("{label}: intervals to 50 %"), &|r| t(get(r).reach[0]));
        row(&format!("{label}: intervals to 95 %"), &|r| t(get(r).reach[1]));
        row(&format!("{label}: intervals to 100 %"), &|r| t(get(r).reach[2]));
        row(&format!("{label}: peak concurrent downloads"), &|r| get(r).peak_downloads.to_string());
        row(&format!("{label}: bundle downloads / requests"), &|r| {
            format!("{} / {}", get(r).downloads, get(r).requests)
        });
        row(&format!("{label}: MiB served"), &|r| format!("{:.1}", get(r).bytes as f64 / 1048576.0));
    };
    rollout("v11 to 100 %", &|r| &r.full);
    row("v12 at stage %: kiosks on it / chosen by hash", &|r| format!("{} / {}", r.stage_installed, r.stage_expected));
    row("v12 at stage %: exactly the chosen kiosks", &|r| r.stage_exact.to_string());
    rollout("v12 stage", &|r| &r.stage);
    rollout("v12 widened to 100 %", &|r| &r.widened);
    row("kiosks on v12 at the end", &|r| r.final_on_second.to_string());
    row("held polls / retries / refusals", &|r| format!("{} / {} / {}", r.held, r.retries, r.refusals));
    if reports.iter().any(|r| r.linked + r.link_failures > 0) {
        row("installed copies shared on disk / failed to", &|r| format!("{} / {}", r.linked, r.link_failures));
    }
    row("PSS of the process / kiosk (KiB)", &|r| format!("{:.0}", r.pss_per_kiosk_kib));
    row("PSS the fleet added / kiosk (KiB)", &|r| format!("{:.0}", r.added_pss_per_kiosk_kib));
}

fn print_drain(reports: &[DrainReport], cap: u32) {
    let row = |name: &str, f: &dyn Fn(&DrainReport) -> String| {
        print!("{name:<52}");
        for r in reports {
            print!("{:>20}", f(r));
        }
        println!();
    };
    row("", &|r| if r.jitter { "full jitter".into() } else { "no jitter".into() });
    row("setup: real s (stores filled, workers started)", &|r| format!("{:.1}", r.setup_secs));
    row("503s during the outage", &|r| r.during_outage.to_string());
    row("time to drain after the list is back, s", &|r| {
        r.drain_secs.map_or(format!("not in time ({} %)", r.accepted * 100 / r.held.max(1)), |s| format!("{s:.1}"))
    });
    row(&format!("  (at the cap alone: {cap}/s)"), &|r| format!("{:.1}", r.held as f64 / f64::from(cap.max(1))));
    row("peak requests in one second at the list", &|r| r.peak_rate.to_string());
    row("most let through to the list itself in one second", &|r| r.peak_admitted.to_string());
    row("mean requests / s until drained", &|r| format!("{:.1}", r.mean_rate));
    row("requests / 429s", &|r| format!("{} / {}", r.requests, r.throttled));
    row("answers where the list itself failed or refused", &|r| r.list_errors.to_string());
    row("requests per signup", &|r| format!("{:.2}", r.requests as f64 / r.held.max(1) as f64));
    row("signups held / accepted by the list", &|r| format!("{} / {}", r.held, r.accepted));
    row("lost / duplicated / changed bodies", &|r| format!("{} / {} / {}", r.lost, r.duplicated, r.changed_bodies));
    row("left pending / in review in the stores", &|r| format!("{} / {}", r.left_pending, r.in_review));
    row("PSS of the process / kiosk (KiB)", &|r| format!("{:.0}", r.pss_per_kiosk_kib));
}
