//! Tap → new screen, measured on the glass from outside the app: a real X
//! pointer event injected with XTest (press and release at the target's
//! centre), the screen read back from the X server until the new screen is
//! there. No WebDriver on the measured path and no help from the page, so
//! everything between the finger and the pixels counts: X, the toolkit, the
//! engine, the page's script, layout, paint, and the frame handed back to X.
//!
//! Five apps, each on its own 1920×1080 (then 1080×1920) Xvfb screen under
//! a window manager (matchbox), run at once, their blocks of taps
//! alternating so that the machine's noise spreads over all of them:
//! - our release kiosk on the demo content, every screen change a visitor
//!   makes (a topic, the events, the music, the signup and back, a language
//!   switch there and back, attract mode → home), without JavaScriptCore's
//!   JIT as it ships and with it (`JSC_useJIT=1`);
//! - the floor: WebKitGTK's own MiniBrowser on a trivial two-screen page
//!   (`bench/glass-page/`), what any WebKitGTK app pays for a tap;
//! - Chromium `--kiosk` on the same page;
//! - MiniBrowser on a still copy of our home and topic screens, swapped on a
//!   tap: what WebKitGTK itself needs to draw our content.
//!
//! The time of a tap is the first readback showing the new screen minus
//! the instant right before the press and release were written to the X
//! server. Each readback is a few full-width rows of pixels that identify
//! the new screen (see `glass.rs`), polled every `--poll-us` µs; a readback
//! shows the screen as it was somewhere between its request and its reply,
//! so the true moment lies between the previous request and this reply:
//! that window is recorded per tap, as is the XSync after the tap. With
//! each tap goes the CPU time each part of the app used meanwhile (its
//! shell, its page's process, its other helpers, its X server), read from
//! `/proc/<pid>/task/*/schedstat`: where a slow tap's time went.
//!
//! Prints p50/p90/p99/max per app and screen change, side by side, with the
//! ratios the targets use (our p99 ÷ the floor's, our p50 − the floor's);
//! writes every tap to `artifacts/glass/taps.csv`, each calibrated screen
//! to `artifacts/glass/screens/`, the screen after a lost tap to `lost/`,
//! the apps' logs to `logs/` and their processes (to find them in a trace)
//! to `processes.csv`. Figures, not a test: the machine's
//! load shows in them (the 1-minute load average is in the CSV).
//!
//! `kiosk-glass-bench [--taps N] [--poll-us N] [--hold-ms N] [--landscape | --portrait] [--apps A,B]`:
//! N taps per app and orientation (default 300), in blocks of 11; a pause
//! of N µs between readbacks (default 500); press and release sent in one
//! write (default), or the release N ms after the press, timed from the
//! release, as a finger lifts after resting on the glass; only the apps
//! named (ours, ours-jit, minibrowser, chromium, minibrowser-ours; default all five).

mod apps;
mod glass;
mod report;

use std::path::Path;
use std::time::{Duration, Instant};

use apps::{App, Kind, Part, Step};
use glass::Glass;
use kiosk_e2e::procs::cpu_ns;

/// Taps per block: one cycle of our kiosk's screen changes.
const BLOCK: usize = 11;
/// A tap that brings no new screen within this is counted as lost.
const TIMEOUT: Duration = Duration::from_secs(5);

/// One tap, as measured.
pub struct Tap {
    /// "landscape" or "portrait".
    pub orientation: &'static str,
    /// Which app.
    pub app: Kind,
    /// The block's round.
    pub round: usize,
    /// The screen change.
    pub label: &'static str,
    /// Tap → first readback showing the new screen, ms; `None`: lost.
    pub ms: Option<f64>,
    /// Tap → first readback in which any of the rows changed, ms.
    pub first_ms: Option<f64>,
    /// The readback's own uncertainty: from the previous readback's request
    /// (or the tap) to this one's reply, ms.
    pub window_ms: f64,
    /// The round trip of the readback that showed the new screen, ms: long
    /// when it waited in the X server behind the app's drawing of that
    /// screen (the screen was then there just before the reply).
    pub last_read_ms: f64,
    /// Tap → the X server had processed it (XSync), ms.
    pub sync_ms: f64,
    /// Timed from the press (press and release sent together, or the
    /// screen changed on the press), else from the release (`--hold-ms`).
    pub from_press: bool,
    /// Readbacks taken while waiting.
    pub polls: u32,
    /// CPU time used from just before the tap to the new screen, ms, by
    /// each [`Part`] of the app (in [`Part::ALL`]'s order).
    pub cpu_ms: [f64; 4],
    /// CPU time this bench's thread used while waiting, ms (it shares the
    /// machine's two cores with the app).
    pub poll_cpu_ms: f64,
    /// The old screen had not settled within 2.5 s of pointing at the target.
    pub unsettled: bool,
    /// When the tap was written to the X server, µs since 1970 (to line
    /// up with a system-wide trace, e.g. `perf record -k monotonic` shifted
    /// by the wall clock's offset from the monotonic one).
    pub unix_us: u64,
    /// The 1-minute load average then.
    pub load1: f64,
}

struct Args {
    taps: usize,
    poll: Duration,
    hold: Duration,
    orientations: Vec<(&'static str, (u32, u32))>,
    apps: Vec<Kind>,
}

fn args() -> Args {
    let mut args = Args {
        taps: 300,
        poll: Duration::from_micros(500),
        hold: Duration::ZERO,
        orientations: vec![("landscape", (1920, 1080)), ("portrait", (1080, 1920))],
        apps: Kind::ALL.to_vec(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut number = |what: &str| -> u64 {
            it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{what} needs a number"))
        };
        match a.as_str() {
            "--taps" => args.taps = number("--taps") as usize,
            "--poll-us" => args.poll = Duration::from_micros(number("--poll-us")),
            "--hold-ms" => args.hold = Duration::from_millis(number("--hold-ms")),
            "--landscape" => args.orientations.truncate(1),
            "--portrait" => {
                args.orientations.remove(0);
            }
            "--apps" => {
                let names = it.next().expect("--apps needs a list, e.g. ours,minibrowser");
                args.apps = Kind::ALL.into_iter().filter(|k| names.split(',').any(|n| n == k.slug())).collect();
                assert!(
                    !args.apps.is_empty(),
                    "--apps {names:?}: none of ours, ours-jit, minibrowser, chromium, minibrowser-ours"
                );
            }
            other => panic!(
                "unknown argument {other:?}; see the module docs (--taps N, --poll-us N, --hold-ms N, --landscape, --portrait, --apps A,B)"
            ),
        }
    }
    args
}

fn main() {
    // Release builds abort on a panic, with no unwinding to stop the
    // screens and apps: the hook stops everything this process started.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        let me = std::process::id();
        let mine: Vec<u32> = kiosk_e2e::procs::tree(me).into_iter().filter(|&p| p != me).collect();
        kiosk_e2e::procs::kill_all(&mine);
    }));
    let args = args();
    let out = kiosk_e2e::artifacts_dir().join("glass");
    let (shots, logs, lost) = (out.join("screens"), out.join("logs"), out.join("lost"));
    // This run's alone.
    let _ = std::fs::remove_dir_all(&lost);
    let _ = std::fs::remove_file(out.join("processes.csv"));
    for d in [&shots, &logs, &lost] {
        std::fs::create_dir_all(d).expect("artifacts/glass");
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let rounds = args.taps.div_ceil(BLOCK);
    let csv = out.join("taps.csv");
    let mut csv_file = report::Csv::create(&csv);
    let mut taps: Vec<Tap> = Vec::new();
    let mut waiting = Duration::ZERO;
    let mut polls = 0u64;
    for &(orientation, size) in &args.orientations {
        eprintln!("{orientation}: learning where to tap (WebDriver, before anything is measured)");
        let targets = runtime.block_on(apps::targets(size));
        // Each calibrated right after its start: ours from its home screen.
        let mut running: Vec<App> = args
            .apps
            .iter()
            .map(|&k| {
                eprintln!("{orientation}: starting and calibrating {}", k.name());
                let mut app = apps::start(k, size, &targets, tmp.path(), &logs);
                app.calibrate(Some(&targets), &shots);
                app
            })
            .collect();
        eprintln!("{orientation}: {rounds} rounds of {BLOCK} taps per app");
        for round in 0..rounds {
            for app in &mut running {
                let block = run_block(app, &args, orientation, round, &out);
                for t in &block {
                    waiting += Duration::from_secs_f64(t.ms.unwrap_or(TIMEOUT.as_secs_f64() * 1000.0) / 1000.0);
                    polls += u64::from(t.polls);
                }
                csv_file.write(&block);
                taps.extend(block);
            }
            eprint!("\r  round {}/{rounds}", round + 1);
        }
        eprintln!();
        for app in running {
            app.stop();
        }
    }
    report::print(&taps, &args.orientations, args.hold.as_millis() as u64);
    let poll_cpu: f64 = taps.iter().map(|t| t.poll_cpu_ms).sum();
    println!(
        "\nThe measurement itself: {:.0} readbacks a second while waiting for a screen (a pause of {} µs between \
         readbacks of {} rows each); while waiting, the bench's thread was on a CPU {:.0} % of the time",
        polls as f64 / waiting.as_secs_f64().max(1e-9),
        args.poll.as_micros(),
        glass::ROWS,
        100.0 * poll_cpu / 1000.0 / waiting.as_secs_f64().max(1e-9)
    );
    report::print_error(&taps);
    println!("Every tap: {}", csv.display());
}

/// One block of [`BLOCK`] taps on `app`. Ours starts from attract mode (its
/// idle timeout has passed while the other apps had their blocks) and runs
/// its cycle once; the floors go on where their last block stopped. After a
/// lost tap, ours ends its block (the next starts from attract mode again);
/// a floor finds which of its two screens is shown and goes on from there.
fn run_block(app: &mut App, how: &Args, orientation: &'static str, round: usize, out_dir: &Path) -> Vec<Tap> {
    let mut out = Vec::new();
    if let Some(attract) = &app.attract {
        let deadline = Instant::now() + Duration::from_secs(u64::from(apps::IDLE_SECS) + 15);
        while !attract.shown(&app.glass.rows(&attract.ys)) {
            if Instant::now() > deadline {
                eprintln!("\n{} never went back to attract mode: block skipped", app.kind.name());
                return out;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        app.next = 0;
    }
    // Chromium and WebKit start their helpers at launch: once a block is enough.
    let parts = app.parts();
    apps::note_processes(&out_dir.join("processes.csv"), app, orientation, &parts);
    for _ in 0..BLOCK {
        let i = app.next % app.steps.len();
        // Attract mode moves (its invitation pulses): only "not yet home" is checked before the wake.
        let check_before = !(app.attract.is_some() && i == 0);
        let tap = measure(app, i, &parts, how, check_before, orientation, round);
        let lost = tap.ms.is_none();
        if lost {
            // What the screen showed instead, beside the calibration's screens.
            let (w, h) = app.glass.size();
            let shot =
                out_dir.join("lost").join(format!("{}-{w}x{h}-{round}-{i:02}.png", app.kind.name().replace(' ', "-")));
            apps::save_png(&shot, &app.glass.capture(), (w, h));
            eprintln!(
                "\n{}: \"{}\" lost (no new screen in {TIMEOUT:?}); the screen then: {}",
                app.kind.name(),
                tap.label,
                shot.display()
            );
        }
        out.push(tap);
        app.next += 1;
        if lost {
            if app.attract.is_some() {
                break;
            }
            let shown = app.steps.iter().position(|s| s.to.shown(&app.glass.rows(&s.to.ys)));
            match shown {
                Some(k) => app.next = k + 1,
                None => break,
            }
        }
        if app.attract.is_some() && app.next == app.steps.len() {
            break;
        }
        // A visitor's pause, varied so that the taps fall at every phase of
        // the app's own timers.
        std::thread::sleep(Duration::from_millis(400 + u64::from(jitter() % 400)));
    }
    out
}

/// Taps step `i` of `app` and waits for its new screen. With `--hold-ms`,
/// the release follows the press after that pause, and the time runs from
/// the release, unless the screen changed on the press already (attract
/// mode wakes on it): then from the press.
fn measure(
    app: &App,
    i: usize,
    parts: &[(Part, u32)],
    how: &Args,
    check_before: bool,
    orientation: &'static str,
    round: usize,
) -> Tap {
    let (glass, step) = (&app.glass, &app.steps[i]);
    glass.point(step.at);
    std::thread::sleep(Duration::from_millis(30));
    let deadline = Instant::now() + Duration::from_millis(2500);
    let mut unsettled = false;
    let mut baseline = loop {
        let rows = glass.rows(&step.to.ys);
        if !step.to.shown(&rows) && (!check_before || step.to.before_shown(&rows)) {
            break rows;
        }
        if Instant::now() > deadline {
            unsettled = true;
            break rows;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let load1 = load1();
    let cpu_before: Vec<u64> = parts.iter().map(|&(_, p)| cpu_ns(p)).collect();
    glass.press();
    let mut from_press = how.hold.is_zero();
    let (t0, sync, waited) = if how.hold.is_zero() {
        glass.release();
        let (t0, sync) = glass.send();
        (t0, sync, wait(glass, step, t0, &baseline, TIMEOUT, how.poll))
    } else {
        let (pressed, sync) = glass.send();
        let held = wait(glass, step, pressed, &baseline, how.hold, how.poll);
        glass.release();
        if held.ms.is_some() {
            glass.send();
            from_press = true;
            (pressed, sync, held)
        } else {
            // Whatever the press drew (a pressed style) is not the new screen.
            baseline = held.rows;
            let (t0, sync) = glass.send();
            (t0, sync, wait(glass, step, t0, &baseline, TIMEOUT, how.poll))
        }
    };
    let mut cpu_ms = [0.0; 4];
    for (&(part, pid), before) in parts.iter().zip(cpu_before) {
        let k = Part::ALL.iter().position(|&p| p == part).expect("a part");
        cpu_ms[k] += cpu_ns(pid).saturating_sub(before) as f64 / 1e6;
    }
    Tap {
        orientation,
        app: app.kind,
        cpu_ms,
        round,
        label: step.label,
        ms: waited.ms,
        first_ms: waited.first_ms,
        window_ms: waited.window_ms,
        last_read_ms: waited.last_read_ms,
        sync_ms: sync.as_secs_f64() * 1000.0,
        from_press,
        polls: waited.polls,
        poll_cpu_ms: waited.cpu_ms,
        unsettled,
        unix_us: kiosk_e2e::bench::unix_us(t0),
        load1,
    }
}

/// What one wait for a new screen saw.
struct Waited {
    ms: Option<f64>,
    first_ms: Option<f64>,
    window_ms: f64,
    last_read_ms: f64,
    polls: u32,
    /// CPU time this thread used meanwhile.
    cpu_ms: f64,
    /// The last readback.
    rows: Vec<Vec<u8>>,
}

/// Reads `step`'s rows from `t0` on, a pause of `poll` between readbacks,
/// until they show its new screen or `limit` has passed; times from `t0`.
fn wait(glass: &Glass, step: &Step, t0: Instant, baseline: &[Vec<u8>], limit: Duration, poll: Duration) -> Waited {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let cpu0 = thread_cpu_ns();
    let mut w =
        Waited { ms: None, first_ms: None, window_ms: 0.0, last_read_ms: 0.0, polls: 0, cpu_ms: 0.0, rows: Vec::new() };
    let mut previous = t0;
    loop {
        let sent = Instant::now();
        w.rows = glass.rows(&step.to.ys);
        let got = Instant::now();
        w.polls += 1;
        if w.first_ms.is_none() && w.rows != baseline {
            w.first_ms = Some(ms(got - t0));
        }
        let shown = step.to.shown(&w.rows);
        if shown {
            w.ms = Some(ms(got - t0));
            w.window_ms = ms(got - previous);
            w.last_read_ms = ms(got - sent);
        }
        if shown || got - t0 > limit {
            w.cpu_ms = (thread_cpu_ns() - cpu0) as f64 / 1e6;
            return w;
        }
        previous = sent;
        std::thread::sleep(poll);
    }
}

/// CPU time of this thread so far, ns (`/proc/thread-self/schedstat`: on a
/// CPU, waiting for one, time slices).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The 1-minute load average.
fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// A few varying bits (the clock's nanoseconds, mixed): enough to spread pauses.
fn jitter() -> u32 {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    n.wrapping_mul(2_654_435_761) >> 8
}
