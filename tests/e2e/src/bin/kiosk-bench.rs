//! Prints the kiosk's performance figures, each beside its target, in one run:
//!
//! 1. `kioskctl bundle build` on the demo content (release), wall time;
//! 2. opening the bundle and serving the home screen's data: in-process, and
//!    over the real IPC of the running release app, p50/p99;
//! 3. launch to first content painted, release app under Xvfb.
//!
//! Figures, not tests: nothing here fails on a slow machine. Run via `./dev bench`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use kiosk_content::Bundle;
use kiosk_e2e::bench::{Screen, release_dir, summary};
use kiosk_e2e::{Kiosk, Options, repo_root};

fn bundle_build(tmp: &Path) -> Vec<f64> {
    let kioskctl = release_dir().join("kioskctl");
    (0..5)
        .map(|i| {
            let out = tmp.join(format!("bench-{i}.kbundle"));
            let t = Instant::now();
            let status = Command::new(&kioskctl)
                .args(["bundle", "build"])
                .arg(repo_root().join("content"))
                .arg("-o")
                .arg(&out)
                .stdout(Stdio::null())
                .status()
                .expect("run kioskctl");
            assert!(status.success(), "kioskctl bundle build failed");
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn home_in_process(bundle: &Path) -> (Vec<f64>, Vec<f64>) {
    let open: Vec<f64> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let b = Bundle::open(bundle).expect("open");
            let json = serde_json::to_string(&b.home(None).expect("home")).expect("json");
            std::hint::black_box(json);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let b = Bundle::open(bundle).expect("open");
    let warm: Vec<f64> = (0..2000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(serde_json::to_string(&b.home(None).expect("home")).expect("json"));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    (open, warm)
}

async fn home_over_ipc() -> (Vec<f64>, f64) {
    let k = Kiosk::start(Options {
        name: "bench-ipc".into(),
        app: Some(release_dir().join("embassy-kiosk")),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    let script = r#"
        const done = arguments[arguments.length - 1];
        (async () => {
          const invoke = window.__TAURI_INTERNALS__.invoke;
          const times = [];
          for (let i = 0; i < 20; i++) await invoke("home", { lang: null });
          for (let i = 0; i < 500; i++) {
            const t = performance.now();
            await invoke("home", { lang: null });
            times.push(performance.now() - t);
          }
          // WebKit clamps timers to 1 ms, so also time a whole batch for the mean.
          const t0 = performance.now();
          for (let i = 0; i < 500; i++) await invoke("home", { lang: null });
          done({ times, mean: (performance.now() - t0) / 500 });
        })();
    "#;
    let v = k.client.execute_async(script, vec![]).await.expect("IPC timing script");
    k.stop().await;
    let times = v["times"].as_array().expect("array of times").iter().filter_map(|x| x.as_f64()).collect();
    (times, v["mean"].as_f64().expect("mean"))
}

/// Launch to first paint, per run: total, and the phases the app logs
/// (main, window, script, rendered, painted), all from spawn.
fn launch_to_paint(tmp: &Path, bundle: &Path) -> Vec<std::collections::BTreeMap<String, f64>> {
    let app = release_dir().join("embassy-kiosk");
    let config = tmp.join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "bundle = {bundle:?}\ndata_dir = {:?}\nkiosk_id = \"bench\"\nwindow = \"windowed\"\nwindow_size = [1920, 1080]\n",
            tmp.join("data")
        ),
    )
    .expect("config");
    let screen = Screen::start(300);
    let mut out = Vec::new();
    for _ in 0..7 {
        let spawned_ms = jiff::Timestamp::now().as_millisecond();
        let mut child = screen
            .apply(&mut Command::new(&app))
            .arg("--config")
            .arg(&config)
            .env("NO_AT_BRIDGE", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the release app");
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        for line in stderr.lines() {
            let line = line.expect("read app log");
            if let Some(marks) = line.split("first content painted ").nth(1) {
                let phases = marks
                    .split_whitespace()
                    .filter_map(|kv| kv.split_once('='))
                    .filter_map(|(k, v)| Some((k.to_string(), v.parse::<f64>().ok()? - spawned_ms as f64)))
                    .collect();
                out.push(phases);
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    out
}

#[tokio::main]
async fn main() {
    let tmp = tempfile::tempdir().expect("tmp");
    println!("Embassy Kiosk figures ({} cores)\n", std::thread::available_parallelism().map_or(0, |n| n.get()));

    let (p50, _, max) = summary(bundle_build(tmp.path()));
    println!("{:<58} {:>9} {:>9} {:>9}   target", "figure", "p50", "p99", "max");
    println!(
        "{:<58} {:>7.0}ms {:>9} {:>7.0}ms   ≤ 1000 ms",
        "kioskctl bundle build, demo content (5 runs)", p50, "", max
    );

    let bundle = tmp.path().join("bench-0.kbundle");
    let (open, warm) = home_in_process(&bundle);
    let (p50, p99, max) = summary(open);
    println!(
        "{:<58} {:>7.3}ms {:>7.3}ms {:>7.3}ms",
        "open bundle + home data as JSON, in-process (cold, 50)", p50, p99, max
    );
    let (p50, p99, max) = summary(warm);
    println!(
        "{:<58} {:>7.3}ms {:>7.3}ms {:>7.3}ms",
        "home data as JSON, in-process (open bundle, 2000)", p50, p99, max
    );

    let (times, mean) = home_over_ipc().await;
    let (p50, p99, max) = summary(times);
    println!(
        "{:<58} {:>7.3}ms {:>7.3}ms {:>7.3}ms   p99 ≤ 2 ms",
        "home over real IPC, release app (500 calls, 1 ms clock)", p50, p99, max
    );
    println!("{:<58} {:>7.3}ms", "home over real IPC, mean of a 500-call batch", mean);

    let runs = launch_to_paint(tmp.path(), &bundle);
    let phase = |name: &str| summary(runs.iter().filter_map(|r| r.get(name).copied()).collect());
    let (p50, _, max) = phase("unix_ms");
    println!(
        "{:<58} {:>7.0}ms {:>9} {:>7.0}ms   ≤ 400 ms",
        "launch → first content painted, release, Xvfb (7 runs)", p50, "", max
    );
    for (name, what) in [
        ("main", "exec → main()"),
        ("window", "… window and webview created"),
        ("script", "… UI script starts"),
        ("rendered", "… DOM rendered (first screen's data in the page)"),
        ("painted", "… two animation frames later (painted)"),
    ] {
        println!("  {:<56} {:>7.0}ms", what, phase(name).0);
    }
}
