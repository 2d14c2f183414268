//! `kiosk-soak --repeat STEPS N`: which part of a visit makes the page grow.
//! The soak's kiosk (release app, real Mailman, paced sound device), and for
//! each step kind in turn: a warm-up of a tenth of N, the web process's
//! anonymous memory (its heaps: JavaScript, WebKit's, malloc's; not the
//! libraries) after it has settled and the page has made garbage enough for
//! a collection, N of that step back to back, and the memory again after
//! the same settling. What grows per step is printed;
//! "idle" (half a second of nothing, N times) is the baseline drift.

use std::time::{Duration, Instant};

use kiosk_e2e::Kiosk;
use kiosk_e2e::procs::{anon_kib, comm, pss_mib, tree};

use crate::visitor::{self, css_testid, wait_css};

/// Long enough for the engine's timers (garbage collection, caches) to run.
const SETTLE: Duration = Duration::from_secs(15);

/// The web process's anonymous memory and PSS, KiB.
fn web_memory(k: &Kiosk) -> Option<(u64, u64)> {
    let shell = *k.app_pids().first()?;
    let web = tree(shell).into_iter().find(|&p| comm(p).starts_with("WebKitWeb"))?;
    Some((anon_kib(web)?, (pss_mib(&[web]) * 1024.0) as u64))
}

/// Back to a visitor's home screen, from attract mode if it came meanwhile.
async fn at_home(k: &Kiosk) {
    if let Ok(attract) = wait_css(k, &css_testid("attract"), 1).await {
        let _ = attract.click().await;
    }
    let _ = wait_css(k, &css_testid("home"), 10).await;
}

/// Garbage the page makes in a moment (~120 MB of arrays, none kept), so
/// that JavaScriptCore collects before the reading (whether it collects
/// everything is its own choice: no forced full collection in this build).
/// Without it, a step's figure is mostly how much garbage happened to wait
/// for the next collection.
const PRESSURE: &str =
    "let n = 0; for (let i = 0; i < 300; i++) { const a = new Array(50000); a[i] = i; n += a.length; } return n;";

/// The memory after [`SETTLE`], the garbage collected twice.
async fn settled(k: &Kiosk) -> (u64, u64) {
    tokio::time::sleep(SETTLE).await;
    for _ in 0..2 {
        let _ = visitor::js(k, PRESSURE).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    web_memory(k).expect("the web process's memory")
}

pub async fn run(steps: &[String], times: usize) {
    // Never renewed: what a step leaves in the process is the figure.
    let s = crate::start(0).await;
    let k = &s.k;
    println!("kiosk-soak --repeat: {times} of each of {steps:?}; languages {:?}", s.langs);
    println!(
        "{:<12} {:>6} {:>12} {:>12} {:>10} {:>10} {:>8}",
        "step", "done", "anon before", "anon after", "KiB/step", "PSS KiB/step", "s/step"
    );
    for step in steps {
        at_home(k).await;
        for i in 0..times.div_ceil(10) {
            let _ = visitor::repeat_step(k, step, i, &s.langs).await;
        }
        let before = settled(k).await;
        at_home(k).await;
        let (mut done, mut failed) = (0usize, Vec::new());
        let t0 = Instant::now();
        for i in 0..times {
            match visitor::repeat_step(k, step, i, &s.langs).await {
                Ok(()) => done += 1,
                Err(e) => {
                    failed.push(e);
                    at_home(k).await;
                }
            }
        }
        let secs = t0.elapsed().as_secs_f64() / times as f64;
        let after = settled(k).await;
        let per = |a: u64, b: u64| (b as f64 - a as f64) / times as f64;
        println!(
            "{:<12} {:>6} {:>9} KiB {:>9} KiB {:>10.2} {:>10.2} {:>8.2}",
            step,
            done,
            before.0,
            after.0,
            per(before.0, after.0),
            per(before.1, after.1),
            secs
        );
        if let Some(e) = failed.first() {
            println!("  {} failed, the first: {e}", failed.len());
        }
    }
    s.k.stop().await;
}
