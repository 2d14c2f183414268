//! Our release kiosk beside Chromium `--kiosk` showing a static copy of the
//! seed page (`bench/seed-page/`), in one run on this machine, same Xvfb
//! screen (1920×1080):
//!
//! (a) launch → first content painted (two animation frames after the first
//!     render, by each page's own clock), p50 of 11 starts, ours and
//!     Chromium's alternating (with 5 the median moved by tens of ms run to run);
//! (b) memory: PSS summed over every process of each, 65 s after launch (ours
//!     both on its home screen and in attract mode);
//! (c) CPU over 60 s: ours in attract mode, Chromium idling on its static page;
//! (d) ours: a touch (a real pointer event through WebDriver) → the new screen
//!     painted with its content, p50/p99 over 200 navigations (with 40, the
//!     "p99" was simply the slowest one).
//!
//! `--cold` measures instead how each starts after a cold boot, when nothing is
//! in the page cache: the cache is dropped (as root) before every cold launch,
//! launch → first content is measured as in (a), p50 of 5 beside 5 warm
//! launches, and so are the bytes each reads from disk up to its first content,
//! counted over every process (WebKit's network and web processes, Chromium's
//! zygotes, helpers that exit) by a blkio cgroup per launch. Bytes read are the
//! figure that carries over to a kiosk's own disk; the milliseconds depend on
//! how fast this machine's disk is (a virtual one here). `--cold-files` lists
//! what our kiosk reads at a cold start, file by file, biggest first.
//!
//! `--attract-cpu` splits attract mode's CPU into the invitation's pulse and
//! each slide, beside the kiosk idle on its home screen.
//!
//! Figures, not tests. Run via `./dev bench` (which installs Debian's chromium).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Duration;

use kiosk_e2e::bench::{
    Screen, chromium_command, config_for, kiosk_app, kiosk_command, quantile as p, running_as_root, sorted,
};
use kiosk_e2e::procs::{
    ReadCounter, comm, cpu_between, cpu_secs, io_read_bytes, kill_all, others_mapping, pss_mib, tree,
};
use kiosk_e2e::{Kiosk, Options, repo_root};

const RUNS: usize = 11;
/// Launches of each kind in `--cold` (each cold one waits on the disk: slow).
const COLD_RUNS: usize = 5;
const SETTLE: Duration = Duration::from_secs(5);
const WINDOW: Duration = Duration::from_secs(60);
/// Taps for (d): home → topic and back, half each.
const TAPS: usize = 200;

/// Serves the seed page on loopback; each `/painted?unix_ms=…` beacon arrives on the channel.
fn serve_seed_page() -> (u16, mpsc::Receiver<i64>) {
    let page = std::fs::read(repo_root().join("bench/seed-page/index.html")).expect("bench/seed-page/index.html");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            if let Some(ms) = path.strip_prefix("/painted?unix_ms=") {
                let _ = tx.send(ms.parse().unwrap_or(0));
                let _ = conn.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            } else if path == "/" {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    page.len()
                );
                let _ = conn.write_all(head.as_bytes()).and_then(|_| conn.write_all(&page));
            } else {
                let _ = conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        }
    });
    (port, rx)
}

fn chromium(screen: &Screen, port: u16, profile: &Path) -> Child {
    chromium_command(screen, &format!("http://127.0.0.1:{port}/"), profile)
        .spawn()
        .expect("chromium (apt-get install chromium)")
}

/// Writes a kiosk config for the release app; `idle_secs` brings attract mode on early.
fn kiosk_config(dir: &Path, idle_secs: u32) -> PathBuf {
    config_for(dir, idle_secs, &repo_root().join("content"), "content", "")
}

/// `--embassies`: the demo embassy's bundle beside the second one's (Arabic
/// and Chinese: bigger fonts), launch alternating, then PSS at home of each.
fn embassies(screen: &Screen, dir: &Path, home: &Path) {
    let configs = [
        ("Kazakhstan (en/kk/ru)", config_for(dir, 600, &repo_root().join("content"), "kz", "")),
        ("Solmara (en/ar/zh/fr)", config_for(dir, 600, &repo_root().join("examples/second-embassy"), "solmara", "")),
    ];
    let mut launches = [Vec::new(), Vec::new()];
    for _ in 0..RUNS {
        for (i, (_, config)) in configs.iter().enumerate() {
            let t0 = jiff::Timestamp::now().as_millisecond();
            let mut app = kiosk(screen, config, home);
            launches[i].push((kiosk_painted_ms(&mut app) - t0) as f64);
            stop(app);
        }
    }
    println!("Two embassies' bundles, one run, same machine and screen (the home screen in English; the");
    println!("language switch draws each language's own name, so the Arabic and CJK fonts are in use)\n");
    println!("{:<24} {:>22} {:>22}", "bundle", "launch p50 (min–max)", "PSS at home, 65 s");
    for (i, (name, config)) in configs.iter().enumerate() {
        let mut app = kiosk(screen, config, home);
        kiosk_painted_ms(&mut app);
        let (pss, _) = steady(app.id());
        stop(app);
        let l = sorted(launches[i].clone());
        println!("{name:<24} {:>8.0} ms ({:.0}–{:.0}) {:>17.1} MiB", p(&l, 0.5), l[0], l[l.len() - 1], pss);
    }
}

/// Launches of one kind in `--cold`: ms to first content, bytes read by then.
#[derive(Default)]
struct Launches {
    ms: Vec<f64>,
    read: Vec<u64>,
}

impl Launches {
    /// "p50 (min–max)" of the times, in ms.
    fn ms(&self) -> String {
        let ms = sorted(self.ms.clone());
        format!("{:.0} ms ({:.0}–{:.0})", p(&ms, 0.5), ms[0], ms[ms.len() - 1])
    }

    /// "p50 (min–max)" of the bytes read, in MiB.
    fn read(&self) -> String {
        let mib = sorted(self.read.iter().map(|&b| b as f64 / 1048576.0).collect());
        format!("{:.1} MiB ({:.1}–{:.1})", p(&mib, 0.5), mib[0], mib[mib.len() - 1])
    }

    /// Every launch in order, "ms/MiB".
    fn each(&self) -> String {
        let each: Vec<_> =
            self.ms.iter().zip(&self.read).map(|(ms, b)| format!("{ms:.0}/{:.1}", *b as f64 / 1048576.0)).collect();
        each.join(" ")
    }
}

/// Writes dirty pages out and empties the page cache (and the dentry and inode
/// caches): the next launch finds nothing of itself in memory, as after a boot.
fn drop_page_cache() -> std::io::Result<()> {
    Command::new("sync").status()?;
    std::fs::write("/proc/sys/vm/drop_caches", "3")
}

/// Another WebKit or Chromium running now, as `(pid, command)`. Dropping the
/// page cache keeps what a running process has mapped, so with one running
/// their libraries stay in memory and a cold launch reads far less (with the
/// soak's kiosk running, ours read 100 MiB instead of 275).
fn others_running() -> Vec<(u32, String)> {
    let libs = ["libwebkit2gtk-4.1.so", "libjavascriptcoregtk-4.1.so", "/usr/lib/chromium/chromium"];
    others_mapping(&libs, &[])
}

/// One launch of `cmd`, cold (the page cache dropped first) or warm: ms from
/// launch to the first content `painted` returns (the page's own Unix ms
/// mark), and the bytes read from disk by then, by its blkio group if `group`
/// names one, else by its processes still alive then.
fn launch(mut cmd: Command, cold: bool, group: Option<String>, painted: impl FnOnce(&mut Child) -> i64) -> (f64, u64) {
    if cold {
        drop_page_cache().expect("drop the page cache");
    }
    let counter = group.map(|name| ReadCounter::new(&name).expect("a blkio group for the launch"));
    let t0 = jiff::Timestamp::now().as_millisecond();
    let mut child = match &counter {
        Some(c) => c.spawn(&mut cmd),
        None => cmd.spawn(),
    }
    .unwrap_or_else(|e| panic!("start {:?}: {e}", cmd.get_program()));
    let ms = (painted(&mut child) - t0) as f64;
    let read = match &counter {
        Some(c) => c.read_bytes(),
        None => io_read_bytes(&tree(child.id())),
    };
    if std::env::var_os("KIOSK_BENCH_DEBUG").is_some() {
        // Which of the live processes read how much (helpers that exited are not here).
        let each: Vec<_> =
            tree(child.id()).iter().map(|&p| format!("{} {}", comm(p), io_read_bytes(&[p]) >> 10)).collect();
        eprintln!("  KiB read by each process alive at first content: {}", each.join(", "));
    }
    stop(child);
    // Anything that left the tree (a daemonised helper) still belongs to the group.
    if let Some(c) = &counter {
        kill_all(&c.pids());
    }
    (ms, read)
}

/// Each disk's readahead ("vda 8192 KiB"): a fault on a mapped file reads
/// that much around it, so it multiplies what a start reads from disk.
fn readahead() -> String {
    let mut disks: Vec<String> = std::fs::read_dir("/sys/block")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|d| ["loop", "ram", "zram"].iter().all(|v| !d.file_name().to_string_lossy().starts_with(v)))
        .filter_map(|d| {
            let kib = std::fs::read_to_string(d.path().join("queue/read_ahead_kb")).ok()?;
            Some(format!("{} {} KiB", d.file_name().to_string_lossy(), kib.trim()))
        })
        .collect();
    disks.sort();
    format!("(readahead: {}; a fault on a mapped file reads that much around it)", disks.join(", "))
}

/// `--cold`: ours and Chromium, cold and warm, alternating, [`COLD_RUNS`] of each.
fn cold(screen: &Screen, dir: &Path, home: &Path) {
    // Whether a blkio group can count each launch's reads here (helpers that exit included).
    let group = format!("kiosk-compare-{}", std::process::id());
    let by_group = ReadCounter::new(&group).map(drop);
    let (port, beacons) = serve_seed_page();
    let config = kiosk_config(dir, 600);
    // A first start makes the kiosk's data directory (its databases, WebKit's
    // storage), as on every boot but the very first one; not counted.
    launch(kiosk_command(screen, &config, home), false, None, kiosk_painted_ms);
    // Ours cold, ours warm, Chromium cold, Chromium warm: each warm launch
    // right after its cold one, before the next drop empties the cache again.
    let mut runs: [Launches; 4] = Default::default();
    // Cold launches with another WebKit or Chromium running (started after the check in `main`).
    let mut disturbed = 0;
    for run in 0..COLD_RUNS {
        for (i, launches) in runs.iter_mut().enumerate() {
            let cold = i % 2 == 0;
            disturbed += usize::from(cold && !others_running().is_empty());
            let group = by_group.is_ok().then(|| format!("{group}-{run}-{i}"));
            let (ms, read) = if i < 2 {
                launch(kiosk_command(screen, &config, home), cold, group, kiosk_painted_ms)
            } else {
                let profile = dir.join(format!("chromium-{run}-{i}"));
                launch(chromium_command(screen, &format!("http://127.0.0.1:{port}/"), &profile), cold, group, |_| {
                    beacons.recv_timeout(Duration::from_secs(120)).expect("Chromium painted the seed page")
                })
            };
            if std::env::var_os("KIOSK_BENCH_DEBUG").is_some() {
                eprintln!("{} {}: {ms:.0} ms, {read} bytes read", ["ours", "Chromium"][i / 2], ["cold", "warm"][i % 2]);
            }
            launches.ms.push(ms);
            launches.read.push(read);
        }
    }
    let [ours, ours_warm, theirs, theirs_warm] = &runs;
    println!("Cold start beside Chromium --kiosk (static copy of the seed page), one run, same machine and screen:");
    println!("the page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before each cold launch; ours and");
    println!("Chromium alternating, each cold launch followed by a warm one");
    println!("{}", readahead());
    match &by_group {
        Ok(()) => println!(
            "(bytes read from disk: every process of each, helpers that exited included; a blkio cgroup each)\n"
        ),
        Err(why) => println!(
            "(bytes read from disk: /proc/<pid>/io of the processes alive at first content, helpers that had \
             exited are missed: no blkio cgroup here: {why})\n"
        ),
    }
    println!("{:<48} {:>24} {:>24}", "figure", "our kiosk", "Chromium");
    let row = |name: String, ours: String, theirs: String| println!("{name:<48} {ours:>24} {theirs:>24}");
    row(format!("launch → first content painted, cold, p50 of {COLD_RUNS}"), ours.ms(), theirs.ms());
    row(format!("    … warm (page cache kept), p50 of {COLD_RUNS}"), ours_warm.ms(), theirs_warm.ms());
    row("read from disk up to first content, cold, p50".into(), ours.read(), theirs.read());
    row("    … warm".into(), ours_warm.read(), theirs_warm.read());
    println!("\neach launch in order, ms/MiB read:");
    for (name, launches) in ["ours cold", "ours warm", "Chromium cold", "Chromium warm"].iter().zip(&runs) {
        println!("  {name:<14} {}", launches.each());
    }
    if disturbed > 0 {
        println!("\nNOT COLD: another WebKit or Chromium ran during {disturbed} cold launches; it kept its libraries");
        println!("in memory, so those launches read less than a cold start does. Run again with nothing else open.");
    }
}

/// Files that `pids` have mapped or open now (regular files by path: libraries,
/// fonts, ICU's data, caches, the bundle), for `--cold-files`.
fn files_in_use(pids: &[u32]) -> BTreeSet<PathBuf> {
    let mut files = BTreeSet::new();
    for pid in pids {
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
        // "address perms offset dev inode path": the path is the sixth field, when there is one.
        files.extend(maps.lines().filter_map(|l| l.split_whitespace().nth(5)).map(PathBuf::from));
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).into_iter().flatten().flatten();
        files.extend(fds.filter_map(|fd| std::fs::read_link(fd.path()).ok()));
    }
    files.retain(|f| f.is_file() && !f.starts_with("/dev") && !f.starts_with("/proc"));
    files
}

/// How many bytes of each of `files` are in the page cache now (`fincore`).
fn resident(files: &BTreeSet<PathBuf>) -> BTreeMap<PathBuf, u64> {
    let mut out = BTreeMap::new();
    let files: Vec<_> = files.iter().collect();
    for chunk in files.chunks(200) {
        let o = Command::new("fincore")
            .args(["--bytes", "--noheadings", "--raw", "--output", "RES,FILE"])
            .args(chunk)
            .output()
            .expect("fincore (util-linux)");
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            if let Some((bytes, file)) = line.split_once(' ') {
                out.insert(PathBuf::from(file), bytes.parse().unwrap_or(0));
            }
        }
    }
    out
}

/// `--cold-files`: what our kiosk reads at a cold start, file by file. A first
/// cold launch finds the files its processes have mapped or open at first
/// content; a second, the page cache dropped again, is measured: each file's
/// bytes in the page cache at first content minus before the launch. Files
/// opened and closed again before first content are not listed; the line
/// "listed" against the blkio group's total says how much that leaves out.
fn cold_files(screen: &Screen, dir: &Path, home: &Path) {
    let config = kiosk_config(dir, 600);
    let first_content = |counter: Option<&ReadCounter>| {
        let mut cmd = kiosk_command(screen, &config, home);
        let mut child = match counter {
            Some(c) => c.spawn(&mut cmd),
            None => cmd.spawn(),
        }
        .expect("the release app");
        kiosk_painted_ms(&mut child);
        child
    };
    drop_page_cache().expect("drop the page cache");
    let child = first_content(None);
    let files = files_in_use(&tree(child.id()));
    stop(child);

    drop_page_cache().expect("drop the page cache");
    let before = resident(&files);
    let counter = ReadCounter::new(&format!("kiosk-compare-files-{}", std::process::id())).ok();
    let child = first_content(counter.as_ref());
    let after = resident(&files);
    let total = counter.as_ref().map(ReadCounter::read_bytes);
    stop(child);
    if let Some(c) = &counter {
        kill_all(&c.pids());
    }

    let mut read: Vec<(u64, &PathBuf)> =
        after.iter().map(|(f, &b)| (b.saturating_sub(before.get(f).copied().unwrap_or(0)), f)).collect();
    read.sort_by(|a, b| b.cmp(a));
    let listed: u64 = read.iter().map(|(b, _)| b).sum();
    let mib = |b: u64| b as f64 / 1048576.0;
    // All of them with KIOSK_BENCH_DEBUG.
    let shown = if std::env::var_os("KIOSK_BENCH_DEBUG").is_some() { read.len() } else { read.len().min(40) };
    println!("What our kiosk reads at a cold start, up to first content (page cache dropped; each file's bytes");
    println!("brought into the page cache during the launch; the biggest {shown} of {} files)", read.len());
    println!("{}\n", readahead());
    for (bytes, file) in read.iter().take(shown) {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        println!("{:>9.2} MiB  of {:>7.2} MiB  {}", mib(*bytes), mib(size), file.display());
    }
    match total {
        Some(t) => println!("\nlisted: {:.1} MiB of the {:.1} MiB the launch read (blkio group)", mib(listed), mib(t)),
        None => println!("\nlisted: {:.1} MiB", mib(listed)),
    }
}

/// The release kiosk as the service starts it (no sound device here: attract music stays off).
fn kiosk(screen: &Screen, config: &Path, home: &Path) -> Child {
    kiosk_command(screen, config, home).spawn().expect("the release app (cargo build --release -p embassy-kiosk)")
}

/// Waits for the kiosk's "first content painted unix_ms=… painted=…" log line
/// and returns the page's own `painted` mark (Unix ms): like Chromium's beacon,
/// the time the page saw, not when the message reached the shell.
fn kiosk_painted_ms(child: &mut Child) -> i64 {
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    for line in lines.by_ref().map_while(Result::ok) {
        if line.contains("first content painted unix_ms=") {
            if std::env::var_os("KIOSK_BENCH_DEBUG").is_some() {
                eprintln!("{line}");
            }
            let ms = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("painted="))
                .and_then(|v| v.parse().ok())
                .expect("the page's painted mark");
            // Keep draining the log so the app never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return ms;
        }
    }
    panic!("the kiosk exited before painting");
}

/// (b) and (c): PSS after [`SETTLE`] + [`WINDOW`], and CPU % of one core over the window.
fn steady(root: u32) -> (f64, f64) {
    std::thread::sleep(SETTLE);
    let before = cpu_secs(&tree(root));
    std::thread::sleep(WINDOW);
    let pids = tree(root);
    let cpu = cpu_between(&before, &cpu_secs(&pids));
    // PSS splits a shared page among all processes mapping it: with another
    // WebKit or Chromium running (a stray test app, say), ours would read low.
    let others = others_mapping(&["libwebkit2gtk-4.1.so", "/usr/lib/chromium/chromium"], &pids);
    assert!(others.is_empty(), "stop these first, they share the libraries being measured: {others:?}");
    (pss_mib(&pids), 100.0 * cpu / WINDOW.as_secs_f64())
}

/// `--attract-cpu`: where attract mode's CPU goes. Ours three times, a
/// minute each: idle on the home screen; in attract mode with one slide held
/// (only the invitation's pulse, every 2 s); and in attract mode as the
/// demo bundle has it (a new slide every 8 s). The differences
/// are the pulse's cost and each slide's.
fn attract_cpu(screen: &Screen, dir: &Path, home: &Path) {
    let slide_secs = 8; // the demo bundle's (content/settings.toml)
    let runs = [
        ("idle on the home screen", config_for(dir, 600, &repo_root().join("content"), "home", "")),
        (
            "attract mode, one slide held (the pulse only)",
            config_for(dir, 3, &repo_root().join("content"), "held", "attract_slide_secs = 3600\n"),
        ),
        (
            "attract mode, a slide every 8 s",
            config_for(dir, 3, &repo_root().join("content"), "slides", &format!("attract_slide_secs = {slide_secs}\n")),
        ),
    ];
    let mut cpu = Vec::new();
    for (what, config) in &runs {
        let mut app = kiosk(screen, config, home);
        kiosk_painted_ms(&mut app);
        let (pss, pct) = steady(app.id());
        stop(app);
        println!("{what:<48} {pct:>6.2} % of one core   PSS {pss:.0} MiB");
        cpu.push(pct);
    }
    let slides = WINDOW.as_secs_f64() / f64::from(slide_secs);
    println!(
        "the pulse: {:.2} % of one core; each slide: {:.1} ms of CPU ({:.1} slides a minute)",
        cpu[1] - cpu[0],
        (cpu[2] - cpu[1]) / 100.0 * WINDOW.as_secs_f64() * 1000.0 / slides,
        slides
    );
}

fn stop(mut child: Child) {
    kill_all(&tree(child.id()));
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(300));
}

/// (d): touch → new screen painted, in the release app under WebDriver.
async fn touch_to_paint() -> (Vec<f64>, Vec<f64>) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let k = Kiosk::start(Options { name: "bench-touch".into(), app: Some(kiosk_app()), ..Options::default() }).await;
    k.wait_testid("home").await;
    // A visitor walks up to a kiosk that has been running: let its start-up
    // finish (the sections' texts are fetched in the background) before the taps.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    // Arms a one-shot probe: from the next pointerdown's timestamp until `selector`
    // is on screen with its content, plus two animation frames (painted).
    let arm = r#"
        const selector = arguments[0];
        window.__lat = new Promise((resolve) => {
          let start = null;
          let up = null;
          let upSeen = null;
          let click = null;
          window.addEventListener("pointerdown", (e) => { start = e.timeStamp; }, { capture: true, once: true });
          window.addEventListener("pointerup", (e) => { up = e.timeStamp; upSeen = performance.now(); }, { capture: true, once: true });
          window.addEventListener("click", () => { click = performance.now(); }, { capture: true, once: true });
          const check = () => {
            if (start !== null && document.querySelector(selector)) {
              observer.disconnect();
              const dom = performance.now() - start;
              requestAnimationFrame(() => requestAnimationFrame(() => resolve([dom, performance.now() - start, up - start, upSeen - start, click - start])));
            }
          };
          const observer = new MutationObserver(check);
          observer.observe(document.body, { childList: true, subtree: true });
        });
    "#;
    let mut out = Vec::new();
    let mut dom = Vec::new();
    for i in 0..TAPS {
        let (tap, wait_for) = if i % 2 == 0 {
            ("section-link", "[data-testid=section-view] article")
        } else {
            ("back", "[data-testid=home]")
        };
        k.client.execute(arm, vec![serde_json::json!(wait_for)]).await.expect("arm the probe");
        let target = k.all_testid(tap).await.into_iter().next().expect("a tap target");
        let taps = MouseActions::new("finger".into())
            .then(PointerAction::MoveToElement { element: target, duration: None, x: 0.0, y: 0.0 })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        k.client.perform_actions(taps).await.expect("tap");
        let ms = k
            .client
            .execute_async("const done = arguments[0]; window.__lat.then(done);", vec![])
            .await
            .expect("latency");
        dom.push(ms[0].as_f64().expect("ms"));
        if std::env::var_os("KIOSK_BENCH_DEBUG").is_some() {
            // ms after the touch: [in the DOM, painted, lift sent, lift seen by the page, click]
            eprintln!("{tap}: {ms}");
        }
        out.push(ms[1].as_f64().expect("ms"));
    }
    k.stop().await;
    (out, dom)
}

#[tokio::main]
async fn main() {
    // `--touch-only`: just (d), for working on it.
    if std::env::args().any(|a| a == "--touch-only") {
        let (touch, dom) = touch_to_paint().await;
        let (touch, dom) = (sorted(touch), sorted(dom));
        println!(
            "touch → painted p50/p99 {:.0}/{:.0} ms; → in the DOM {:.0}/{:.0} ms",
            p(&touch, 0.5),
            p(&touch, 0.99),
            p(&dom, 0.5),
            p(&dom, 0.99)
        );
        return;
    }
    let cold_start = std::env::args().any(|a| a == "--cold" || a == "--cold-files");
    if cold_start {
        if !running_as_root() {
            eprintln!("kiosk-compare --cold: dropping the page cache needs root; run it as root (sudo).");
            std::process::exit(1);
        }
        if let Err(e) = drop_page_cache() {
            eprintln!("kiosk-compare --cold: cannot drop the page cache here (/proc/sys/vm/drop_caches: {e}).");
            std::process::exit(1);
        }
        let others = others_running();
        if !others.is_empty() {
            eprintln!(
                "kiosk-compare --cold: stop these first, they keep the libraries being measured in memory: {others:?}"
            );
            std::process::exit(1);
        }
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    // No sound card on this machine: ALSA gets a device that does not exist.
    std::fs::write(home.join(".asoundrc"), "pcm.!default { type hw card 97 }\nctl.!default { type hw card 97 }\n")
        .expect(".asoundrc");
    let screen = Screen::start(600);
    if std::env::args().any(|a| a == "--embassies") {
        embassies(&screen, tmp.path(), &home);
        return;
    }
    if std::env::args().any(|a| a == "--cold-files") {
        cold_files(&screen, tmp.path(), &home);
        return;
    }
    if cold_start {
        cold(&screen, tmp.path(), &home);
        return;
    }
    if std::env::args().any(|a| a == "--attract-cpu") {
        attract_cpu(&screen, tmp.path(), &home);
        return;
    }
    let (port, painted) = serve_seed_page();

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let launch_config = kiosk_config(tmp.path(), 600);
    for run in 0..RUNS {
        let t0 = jiff::Timestamp::now().as_millisecond();
        let mut app = kiosk(&screen, &launch_config, &home);
        ours.push((kiosk_painted_ms(&mut app) - t0) as f64);
        stop(app);

        let profile = tmp.path().join(format!("chromium-{run}"));
        let t0 = jiff::Timestamp::now().as_millisecond();
        let browser = chromium(&screen, port, &profile);
        let ms = painted.recv_timeout(Duration::from_secs(60)).expect("Chromium painted the seed page");
        theirs.push((ms - t0) as f64);
        stop(browser);
    }
    let (ours, theirs) = (sorted(ours), sorted(theirs));
    // `--launch-only`: just (a), every start, for working on it.
    if std::env::args().any(|a| a == "--launch-only") {
        println!("launch → first content painted, ms, sorted\n  ours:     {ours:?}\n  Chromium: {theirs:?}");
        return;
    }

    // Ours twice: waiting on the home screen (no attract mode within the
    // minute), and in attract mode (which starts after 3 s here).
    let mut app = kiosk(&screen, &launch_config, &home);
    kiosk_painted_ms(&mut app);
    let (home_pss, home_cpu) = steady(app.id());
    stop(app);
    let mut app = kiosk(&screen, &kiosk_config(tmp.path(), 3), &home);
    kiosk_painted_ms(&mut app);
    let (our_pss, our_cpu) = steady(app.id());
    stop(app);
    let browser = chromium(&screen, port, &tmp.path().join("chromium-steady"));
    painted.recv_timeout(Duration::from_secs(60)).expect("Chromium painted");
    let (their_pss, their_cpu) = steady(browser.id());
    stop(browser);
    drop(screen);

    let (touch, dom) = touch_to_paint().await;
    let (touch, dom) = (sorted(touch), sorted(dom));

    println!("Our kiosk beside Chromium --kiosk (static copy of the seed page), one run, same machine and screen\n");
    println!("{:<52} {:>14} {:>16}   target", "figure", "our kiosk", "Chromium");
    println!(
        "{:<52} {:>11.0} ms {:>13.0} ms   below Chromium's",
        format!("(a) launch → first content painted, p50 of {RUNS}"),
        p(&ours, 0.5),
        p(&theirs, 0.5)
    );
    println!("{:<52} {:>11.0} ms {:>13.0} ms", "    (fastest … slowest)", ours[0], theirs[0]);
    println!("{:<52} {:>11.0} ms {:>13.0} ms", "", ours[ours.len() - 1], theirs[theirs.len() - 1]);
    println!(
        "{:<52} {:>10.0} MiB {:>12.0} MiB   ≤ 230 MB and below Chromium's",
        "(b) PSS of all processes, 65 s after launch: home", home_pss, their_pss
    );
    println!("{:<52} {:>10.0} MiB", "    … ours in attract mode", our_pss);
    println!(
        "{:<52} {:>12.2} % {:>14.2} %   ≤ 3 % of one core",
        "(c) CPU over 60 s: ours in attract mode; Chromium idle", our_cpu, their_cpu
    );
    println!("{:<52} {:>12.2} %", "    … ours idle on the home screen", home_cpu);
    println!(
        "{:<52} {:>5.0} / {:>3.0} ms {:>16}   p99 ≤ 50 ms",
        format!("(d) touch → new screen painted, p50 / p99 of {}", touch.len()),
        p(&touch, 0.5),
        p(&touch, 0.99),
        "—"
    );
    println!("{:<52} {:>5.0} / {:>3.0} ms", "    of which: touch → new screen in the DOM", p(&dom, 0.5), p(&dom, 0.99));
}
