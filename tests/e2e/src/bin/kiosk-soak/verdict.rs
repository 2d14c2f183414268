//! From the samples to a verdict against the issue's targets, and the plot.
//!
//! Growth is a least-squares slope, not "last minus first": PSS saw-tooths
//! with WebKit's garbage collector, and two single samples can say anything.
//! A slope counts as an upward trend only when it is both above
//! [`NOISE_PCT_PER_H`] and more than twice its standard error. A count (FDs,
//! threads) is flat when its floor in the last half (the lowest value there)
//! is no higher than the highest it reached between the warm-up and half-way:
//! a track playing or a sync round in flight lifts it for a moment and lets
//! go, a leak lifts the floor.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::sampling::{SAMPLE_EVERY, Sample};
use crate::visitor::Tally;

/// Below this, a slope of PSS (% per hour) is not told apart from WebKit's
/// garbage-collection sawtooth over a half-hour.
const NOISE_PCT_PER_H: f64 = 1.0;
/// SQLite checkpoints a WAL on its own at 1000 pages (4 KiB each, plus a frame
/// header): up to this size a WAL is where SQLite keeps it, not a leak.
const WAL_CHECKPOINT_KIB: f64 = 4200.0;

/// How the run was set up.
pub struct Run {
    pub minutes: u64,
    /// Samples before this are the warm-up: caches filling, not growth.
    pub warmup_s: f64,
}

impl Run {
    /// The issue's warm-up is 10 minutes of an hour; a short (smoke) run takes a quarter.
    pub fn new(minutes: u64) -> Run {
        Run { minutes, warmup_s: if minutes >= 30 { 600.0 } else { minutes as f64 * 15.0 } }
    }
}

/// What Mailman holds of the run's signups.
pub struct Delivery {
    /// Thanked addresses listed once, with at most one confirmation mail.
    pub once: usize,
    /// Thanked and not there.
    pub missing: Vec<String>,
    /// Thanked and there more than once (or mailed more than once).
    pub repeated: Vec<String>,
    /// There, but never thanked on screen (a failed step's attempt may be).
    pub unthanked: Vec<String>,
    pub mails: usize,
}

/// What only the live run knows, beside its samples.
pub struct Live<'a> {
    pub tally: &'a Tally,
    pub delivery: &'a Delivery,
    /// Dropped versions the kiosk's heartbeat showed in use.
    pub installed: Vec<u64>,
    pub swap_every_min: u64,
    pub idle_secs: u64,
    pub sync_interval_secs: u64,
}

/// Least squares `y = a + b·x`: (b, its standard error).
fn slope(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 3 {
        return None;
    }
    let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let a = my - b * mx;
    let sse: f64 = points.iter().map(|p| (p.1 - a - b * p.0).powi(2)).sum();
    Some((b, (sse / (n - 2.0) / sxx).sqrt()))
}

/// The slope of `f` over samples from `from_s` on, per hour, with its standard error.
fn hourly(samples: &[&Sample], from_s: f64, f: impl Fn(&Sample) -> f64) -> (f64, f64) {
    let points: Vec<(f64, f64)> = samples.iter().filter(|s| s.t_s >= from_s).map(|s| (s.t_s / 3600.0, f(s))).collect();
    slope(&points).unwrap_or((0.0, 0.0))
}

fn nearest<'a>(samples: &[&'a Sample], t_s: f64) -> &'a Sample {
    samples.iter().copied().min_by(|a, b| (a.t_s - t_s).abs().total_cmp(&(b.t_s - t_s).abs())).expect("samples")
}

fn max_of(samples: &[&Sample], from: f64, to: f64, f: impl Fn(&Sample) -> f64) -> f64 {
    samples.iter().filter(|s| s.t_s >= from && s.t_s <= to).map(|s| f(s)).fold(f64::NAN, f64::max)
}

fn min_of(samples: &[&Sample], from: f64, to: f64, f: impl Fn(&Sample) -> f64) -> f64 {
    samples.iter().filter(|s| s.t_s >= from && s.t_s <= to).map(|s| f(s)).fold(f64::NAN, f64::min)
}

fn pass(ok: bool, what: &str, failed: &mut Vec<String>) -> &'static str {
    if ok {
        "PASS"
    } else {
        failed.push(what.to_string());
        "FAIL"
    }
}

/// PSS after the warm-up, fitted over the samples no other WebKit app shared.
fn pss_lines(run: &Run, samples: &[Sample], failed: &mut Vec<String>) -> String {
    let mut v = String::new();
    let clean: Vec<&Sample> = samples.iter().filter(|s| s.others_webkit == 0).collect();
    let (fit, note) = if clean.len() >= 3 {
        (clean, String::new())
    } else {
        (samples.iter().collect(), " (all samples: too few without another WebKit app)".to_string())
    };
    let left_out = samples.len() - fit.len();
    let (end, half) = (fit[fit.len() - 1], samples[samples.len() - 1].t_s / 2.0);
    let at_w = nearest(&fit, run.warmup_s);
    let (b, se) = hourly(&fit, run.warmup_s, |s| s.pss);
    let growth = 100.0 * b / at_w.pss;
    let (lb, lse) = hourly(&fit, half, |s| s.pss);
    let last_pct = 100.0 * lb / at_w.pss;
    let upward = last_pct > NOISE_PCT_PER_H && lb > 2.0 * lse;
    let _ = writeln!(
        v,
        "PSS (all processes): {:.1} MiB at {:.0} min, {:.1} MiB at the end; growth after warm-up {growth:+.2} %/h (±{:.2}) \
         — target ≤ 5 %/h: {}{note}",
        at_w.pss,
        at_w.t_s / 60.0,
        end.pss,
        100.0 * se / at_w.pss,
        pass(growth <= 5.0, "PSS growth", failed)
    );
    let _ = writeln!(
        v,
        "PSS, last half: {last_pct:+.2} %/h (±{:.2}) — {} (upward = above {NOISE_PCT_PER_H} %/h and twice its error): {}",
        100.0 * lse / at_w.pss,
        if upward { "trends upward" } else { "no upward trend" },
        pass(!upward, "PSS last-half trend", failed)
    );
    let _ = writeln!(
        v,
        "  by process, at warm-up → end: shell {:.1} → {:.1}, web {:.1} → {:.1}, network {:.1} → {:.1} MiB; {} → {} processes",
        at_w.pss_shell, end.pss_shell, at_w.pss_web, end.pss_web, at_w.pss_net, end.pss_net, at_w.procs, end.procs
    );
    if left_out > 0 {
        let _ = writeln!(
            v,
            "  left out of the PSS figures: {left_out} of {} samples taken while another WebKit app ran (others_webkit \
             in the CSV), when shared pages made ours read low",
            samples.len()
        );
    }
    v
}

/// The heaps (anonymous memory) of the web process and the shell: where a
/// leak shows, read alike whether or not another WebKit app runs. Figures,
/// not a target: the slope after the warm-up, and per quarter of what
/// follows, so that levelling off shows as slopes falling towards zero.
fn anon_lines(run: &Run, samples: &[Sample]) -> String {
    let mut v = String::new();
    let all: Vec<&Sample> = samples.iter().filter(|s| s.anon_web.is_finite() && s.anon_web > 0.0).collect();
    if all.len() < 3 {
        return v;
    }
    let end = all[all.len() - 1];
    let at_w = nearest(&all, run.warmup_s);
    type Of = fn(&Sample) -> f64;
    for (name, f) in [("web process", (|s: &Sample| s.anon_web) as Of), ("shell", |s: &Sample| s.anon_shell)] {
        let (b, se) = hourly(&all, run.warmup_s, f);
        let span = (end.t_s - run.warmup_s) / 4.0;
        let quarters: Vec<String> = (0..4)
            .map(|q| {
                let from = run.warmup_s + q as f64 * span;
                let part: Vec<&Sample> =
                    all.iter().copied().filter(|s| s.t_s >= from && s.t_s <= from + span).collect();
                let (qb, qse) = hourly(&part, from, f);
                format!("{qb:+.1} (±{qse:.1})")
            })
            .collect();
        let _ = writeln!(
            v,
            "Anonymous memory, {name}: {:.1} MiB at {:.0} min, {:.1} MiB at the end; {b:+.1} MiB/h (±{se:.1}) after warm-up; by quarter after it: {} MiB/h",
            f(at_w),
            at_w.t_s / 60.0,
            f(end),
            quarters.join(", ")
        );
    }
    let renewals = end.web_renewals;
    if renewals > 0 {
        let _ = writeln!(
            v,
            "The web process was renewed {renewals} times (web_recycle_mib): its memory above is a saw-tooth, bounded; `--recycle-mib 0` shows the growth it bounds"
        );
    }
    v
}

/// Everything the samples alone say: PSS, FDs, threads, WALs, files, heartbeat, CPU.
pub fn figures(run: &Run, samples: &[Sample], failed: &mut Vec<String>) -> String {
    let mut v = String::new();
    let all: Vec<&Sample> = samples.iter().collect();
    let (first, end) = (&samples[0], &samples[samples.len() - 1]);
    let (w, half) = (run.warmup_s, end.t_s / 2.0);
    let _ = writeln!(
        v,
        "{} samples every {} s; warm-up: the first {:.0} min; the last half: from {:.0} min\n",
        samples.len(),
        SAMPLE_EVERY.as_secs(),
        w / 60.0,
        half / 60.0
    );
    v += &pss_lines(run, samples, failed);
    v += &anon_lines(run, samples);
    let at_w = nearest(&all, w);
    type Of = fn(&Sample) -> f64;
    for (name, f) in [("FDs", (|s: &Sample| s.fds as f64) as Of), ("Threads", |s: &Sample| s.threads as f64)] {
        let max = all.iter().map(|s| f(s)).fold(0.0, f64::max);
        let early = max_of(&all, w, half, f);
        let (floor, late) = (min_of(&all, half, f64::MAX, f), max_of(&all, half, f64::MAX, f));
        let (lb, lse) = hourly(&all, half, f);
        let _ = writeln!(
            v,
            "{name}: first {:.0}, at warm-up {:.0}, last {:.0}, max {max:.0}; warm-up…half up to {early:.0}, last half \
             {floor:.0}…{late:.0}; last-half slope {lb:+.1}/h (±{lse:.1}) — flat (the last half's floor no higher \
             than before): {}",
            f(first),
            f(at_w),
            f(end),
            pass(floor <= early, name, failed)
        );
    }
    for (name, f) in [("signups WAL", (|s: &Sample| s.signups_wal_kib) as Of), ("stats WAL", |s| s.stats_wal_kib)] {
        let (early, late) = (max_of(&all, 0.0, half, f), max_of(&all, half, f64::MAX, f));
        let _ = writeln!(
            v,
            "{name}: max {:.0} KiB (first half {early:.0}, last half {late:.0}), at the end {:.0} KiB — bounded \
             (the last half no higher than the first, or within SQLite's own checkpoint size): {}",
            early.max(late),
            f(end),
            pass(late <= early.max(WAL_CHECKPOINT_KIB), name, failed)
        );
    }
    let _ = writeln!(
        v,
        "Files: signups DB {:.0} → {:.0} KiB, stats DB {:.0} → {:.0} KiB, data dir {:.0} → {:.0} KiB, kiosk.log files \
         {:.0} → {:.0} KiB, app stderr {:.0} → {:.0} KiB",
        first.signups_db_kib,
        end.signups_db_kib,
        first.stats_db_kib,
        end.stats_db_kib,
        first.data_kib,
        end.data_kib,
        first.logs_kib,
        end.logs_kib,
        first.stderr_log_kib,
        end.stderr_log_kib
    );
    let ages: Vec<f64> = samples.iter().filter_map(|s| s.heartbeat_age_s).collect();
    let age_max = ages.iter().copied().fold(0.0, f64::max);
    let missing_beats = samples.len() - ages.len();
    let _ = writeln!(
        v,
        "Heartbeat age: max {age_max:.1} s ({missing_beats} samples without one; the first comes after start-up): {}",
        pass(age_max <= 2.0 * crate::HEARTBEAT_SECS as f64 + 5.0 && missing_beats <= 1, "heartbeat", failed)
    );
    let cpu: Vec<f64> = samples.iter().map(|s| s.cpu_pct).filter(|c| c.is_finite()).collect();
    let _ = writeln!(
        v,
        "CPU: mean {:.1} % of a core while visited (max over 10 s: {:.0} %)",
        cpu.iter().sum::<f64>() / cpu.len().max(1) as f64,
        cpu.iter().copied().fold(0.0, f64::max)
    );
    v
}

/// The whole verdict: the figures, the visitors' tally, Mailman's list and the swaps. `true` if all passed.
pub fn verdict(run: &Run, samples: &[Sample], live: &Live<'_>, plot: &str) -> (String, bool) {
    let (tally, d) = (live.tally, live.delivery);
    let mut failed = Vec::new();
    let mut v = format!(
        "Soak of the release app, {} min compressed (attract slide 1 s, idle reset {} s, a bundle every {} min, sync \
         look every {} s); ",
        run.minutes, live.idle_secs, live.swap_every_min, live.sync_interval_secs
    );
    v += &figures(run, samples, &mut failed);
    let fails: u64 = tally.failed.values().map(|f| f.0).sum();
    let recovered: u64 = tally.recovered.values().sum();
    let rounds = samples.last().map_or(0, |s| s.rounds);
    let _ = writeln!(
        v,
        "\nVisitor rounds: {rounds}; steps failed after a retry: {fails}; hiccups a retry got past: {recovered}; app \
         restarts: {}; WebDriver sessions WebKit ended with a replaced web process (a new one followed each): {}",
        tally.app_restarts, tally.sessions_ended
    );
    // A web process that ended on its own left whoever stood there looking
    // at a page that went blank and started over. (The largest count seen:
    // the last sample may have missed the heartbeat.) A session that ended
    // after the wake is listed too: a renewal comes only in attract mode,
    // which a step stalled past the idle timeout also brings back.
    let crashes = samples.iter().map(|s| s.web_crashes).max().unwrap_or(0);
    let _ = writeln!(
        v,
        "Web process crashes (the heartbeat's web_crashes): {crashes}: {}; sessions that ended after a visitor's \
         wake: {} {:?}",
        pass(crashes == 0, "no web process crash", &mut failed),
        tally.ended_mid_visit.len(),
        tally.ended_mid_visit,
    );
    for (step, (n, e)) in &tally.failed {
        let _ = writeln!(v, "  failed {n}× {step}: last: {e}");
    }
    for (step, n) in &tally.recovered {
        let _ = writeln!(v, "  retried and recovered {n}× {step}");
    }
    let delivered = d.missing.is_empty() && d.repeated.is_empty() && !tally.thanked.is_empty();
    let _ = writeln!(
        v,
        "Signups thanked on screen: {}; in Mailman exactly once: {} of {} ({} confirmation mails; missing {:?}; more \
         than once {:?}; there but not thanked (a failed step's attempt): {:?}): {}",
        tally.thanked.len(),
        d.once,
        tally.thanked.len(),
        d.mails,
        d.missing,
        d.repeated,
        d.unthanked,
        pass(delivered, "signups delivered", &mut failed)
    );
    let _ = writeln!(
        v,
        "Bundle swaps: {} dropped, {} installed and shown (versions {:?}): {}",
        tally.dropped.len(),
        live.installed.len(),
        live.installed,
        pass(tally.dropped.iter().all(|x| live.installed.contains(x)), "bundle swaps", &mut failed)
    );
    let _ = writeln!(v, "Plot: {plot}");
    if fails > 0 {
        failed.push(format!("{fails} failed steps"));
    }
    if tally.app_restarts > 0 {
        failed.push(format!("{} app restarts", tally.app_restarts));
    }
    let ok = failed.is_empty();
    let _ = writeln!(
        v,
        "\nVERDICT: {}",
        if ok {
            "PASS — all targets met, no step failed".to_string()
        } else {
            format!("FAIL — {}", failed.join(", "))
        }
    );
    (v, ok)
}

/// The versions among `dropped` that any sample saw the kiosk run.
pub fn installed(samples: &[Sample], dropped: &[u64]) -> Vec<u64> {
    let seen: BTreeSet<u64> = samples.iter().map(|s| s.bundle_version).collect();
    dropped.iter().copied().filter(|v| seen.contains(v)).collect()
}

/// Draws `csv` into `<csv>.png` beside it with gnuplot: PSS, FDs and threads, WALs and logs, heartbeat and CPU.
pub fn plot(csv: &Path) -> Result<PathBuf, String> {
    let png = csv.with_extension("png");
    let t = r#"(column("t_s")/60)"#;
    let col = |name: &str, style: &str, title: &str| format!(r#"{t}:(column("{name}")) with {style} title "{title}""#);
    let panels = [
        (
            "PSS, MiB",
            vec![
                col("pss_mib", "lines lw 2", "all processes"),
                col("pss_shell_mib", "lines", "shell"),
                col("pss_web_mib", "lines", "web process"),
                col("pss_net_mib", "lines", "network process"),
                col("anon_web_mib", "lines dt 2", "web process, anonymous"),
                col("anon_shell_mib", "lines dt 2", "shell, anonymous"),
            ],
        ),
        ("count", vec![col("fds", "lines lw 2", "open FDs"), col("threads", "lines lw 2", "threads")]),
        (
            "KiB",
            vec![
                col("signups_wal_kib", "lines lw 2", "signups WAL"),
                col("stats_wal_kib", "lines lw 2", "stats WAL"),
                col("signups_db_kib", "lines", "signups DB"),
                col("stats_db_kib", "lines", "stats DB"),
                col("logs_kib", "lines", "kiosk.log files"),
            ],
        ),
        (
            "seconds / % of a core",
            vec![
                col("heartbeat_age_s", "linespoints", "heartbeat age, s"),
                col("cpu_pct", "lines", "CPU, % of a core"),
            ],
        ),
    ];
    let mut script = format!(
        "set datafile separator \",\"\nset datafile columnheaders\n\
         set terminal pngcairo size 1400,1500 font \"DejaVu Sans,11\"\nset output \"{}\"\n\
         set multiplot layout 4,1 title \"Kiosk soak: the release app under a compressed lobby day\"\n\
         set grid\nset key outside right top\nset xlabel \"minutes\"\n",
        png.display()
    );
    for (ylabel, lines) in panels {
        let _ = writeln!(script, "set ylabel \"{ylabel}\"");
        let _ = writeln!(script, "plot \"{}\" using {}", csv.display(), lines.join(", \\\n  \"\" using "));
    }
    script += "unset multiplot\n";
    let gp = csv.with_extension("gp");
    std::fs::write(&gp, script).map_err(|e| e.to_string())?;
    let out = std::process::Command::new("gnuplot")
        .arg(&gp)
        .output()
        .map_err(|e| format!("gnuplot did not run ({e}); apt-get install gnuplot-nox"))?;
    if !out.status.success() {
        return Err(format!("gnuplot: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slope_and_its_error_come_from_least_squares() {
        let line: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 3.0 + 2.0 * i as f64)).collect();
        let (b, se) = slope(&line).unwrap();
        assert!((b - 2.0).abs() < 1e-9 && se < 1e-9, "a straight line: slope 2, no error ({b}, {se})");
        let noisy: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, if i % 2 == 0 { 1.0 } else { -1.0 })).collect();
        let (b, se) = slope(&noisy).unwrap();
        assert!(b.abs() < 2.0 * se, "a sawtooth without a trend is not significant ({b} ± {se})");
        assert!(slope(&line[..2]).is_none(), "two points say nothing about the error");
    }
}
