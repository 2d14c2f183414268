//! The figures: per app and screen change side by side, the ratios the
//! targets use, the measurement's own error, and every tap as CSV.

use std::io::Write;
use std::path::Path;

use kiosk_e2e::bench::{quantile, sorted};

use crate::Tap;
use crate::apps::{Kind, Part};

/// p50, p90, p99, max of `xs` (sorted inside).
fn quantiles(xs: Vec<f64>) -> Option<[f64; 4]> {
    if xs.is_empty() {
        return None;
    }
    let xs = sorted(xs);
    Some([quantile(&xs, 0.5), quantile(&xs, 0.9), quantile(&xs, 0.99), xs[xs.len() - 1]])
}

/// The times of `app`'s taps in `orientation` that `keep` lets through (lost taps left out).
fn times(taps: &[Tap], orientation: &str, app: Kind, keep: impl Fn(&Tap) -> bool) -> Vec<f64> {
    taps.iter().filter(|t| t.orientation == orientation && t.app == app && keep(t)).filter_map(|t| t.ms).collect()
}

fn cell(xs: Vec<f64>) -> String {
    let n = xs.len();
    match quantiles(xs) {
        Some([p50, p90, p99, max]) => format!("{p50:.1} / {p90:.1} / {p99:.1} / {max:.0} ({n})"),
        None => String::new(),
    }
}

/// The tables, one per orientation.
pub fn print(taps: &[Tap], orientations: &[(&'static str, (u32, u32))], hold_ms: u64) {
    let tap = if hold_ms == 0 {
        "XTest press+release (one write)".to_string()
    } else {
        format!("XTest release after a {hold_ms} ms press (attract mode: the press)")
    };
    for &(orientation, size) in orientations {
        println!(
            "\nTap → new screen on the glass, {orientation} {}×{}: {tap} → first X readback showing it",
            size.0, size.1
        );
        println!("ms, p50 / p90 / p99 / max (taps); one run, the apps' blocks alternating; below, the CPU");
        println!("each part of the app used from just before the tap to the new screen\n");
        print!("{:<20}", "screen change");
        for k in Kind::ALL {
            print!(" {:>32}", k.name());
        }
        println!();
        let mut labels: Vec<&str> = Vec::new();
        for t in taps.iter().filter(|t| t.orientation == orientation) {
            if !labels.contains(&t.label) {
                labels.push(t.label);
            }
        }
        for label in &labels {
            print!("{label:<20}");
            for k in Kind::ALL {
                print!(" {:>32}", cell(times(taps, orientation, k, |t| t.label == *label)));
            }
            println!();
        }
        print!("{:<20}", "every tap");
        for k in Kind::ALL {
            print!(" {:>32}", cell(times(taps, orientation, k, |_| true)));
        }
        println!();
        print!("{:<20}", "first pixels moved");
        for k in Kind::ALL {
            let first: Vec<f64> =
                taps.iter().filter(|t| t.orientation == orientation && t.app == k).filter_map(|t| t.first_ms).collect();
            print!(" {:>32}", cell(first));
        }
        println!();
        print!("{:<20}", "lost / unsettled");
        for k in Kind::ALL {
            let mine: Vec<&Tap> = taps.iter().filter(|t| t.orientation == orientation && t.app == k).collect();
            let lost = mine.iter().filter(|t| t.ms.is_none()).count();
            let unsettled = mine.iter().filter(|t| t.unsettled).count();
            print!(" {:>32}", format!("{lost} / {unsettled}"));
        }
        println!();
        for (k, part) in Part::ALL.iter().enumerate() {
            print!("{:<20}", format!("CPU: {}", part.name()));
            for app in Kind::ALL {
                let used: Vec<f64> = taps
                    .iter()
                    .filter(|t| t.orientation == orientation && t.app == app && t.ms.is_some())
                    .map(|t| t.cpu_ms[k])
                    .collect();
                print!(" {:>32}", cell(used));
            }
            println!();
        }
        ratios(taps, orientation, &labels);
    }
}

/// Ours (both JIT settings) against the floor (MiniBrowser, every tap), per screen change.
fn ratios(taps: &[Tap], orientation: &str, labels: &[&str]) {
    let Some([floor50, _, floor99, _]) = quantiles(times(taps, orientation, Kind::MiniBrowser, |_| true)) else {
        return;
    };
    println!(
        "\nAgainst the floor (MiniBrowser, every tap: p50 {floor50:.1}, p99 {floor99:.1} ms); targets: p99 ≤ 1.1× the \
         floor's, p50 ≤ the floor's + 5 ms"
    );
    println!("{:<20} {:>24} {:>24}", "screen change", "ours: p99 ÷ / p50 −", "ours JIT: p99 ÷ / p50 −");
    let ours = [Kind::Ours { jit: false }, Kind::Ours { jit: true }];
    for label in labels.iter().filter(|l| !l.starts_with("screen ")).copied().chain(["every tap"]) {
        print!("{label:<20}");
        for k in ours {
            let xs = times(taps, orientation, k, |t| label == "every tap" || t.label == label);
            match quantiles(xs) {
                Some([p50, _, p99, _]) => {
                    print!(" {:>24}", format!("{:.2}× / {:+.1} ms", p99 / floor99, p50 - floor50))
                }
                None => print!(" {:>24}", ""),
            }
        }
        println!();
    }
    if let Some([c50, _, c99, _]) = quantiles(times(taps, orientation, Kind::Chromium, |_| true)) {
        println!("{:<20} {:>24}", "Chromium, every tap", format!("{:.2}× / {:+.1} ms", c99 / floor99, c50 - floor50));
    }
    // The same screens without our app: what is left between ours and this is ours.
    let mut header = false;
    for label in ["home → topic", "topic → home"] {
        let Some([s50, _, s99, _]) = quantiles(times(taps, orientation, Kind::OurScreens, |t| t.label == label)) else {
            continue;
        };
        if !header {
            println!("\nAgainst MiniBrowser on our own screens (the same screen change, p99 ÷ / p50 −):");
            header = true;
        }
        print!("{label:<20}");
        for k in ours {
            match quantiles(times(taps, orientation, k, |t| t.label == label)) {
                Some([p50, _, p99, _]) => print!(" {:>24}", format!("{:.2}× / {:+.1} ms", p99 / s99, p50 - s50)),
                None => print!(" {:>24}", ""),
            }
        }
        println!("   (MiniBrowser on our screens: p50 {s50:.1}, p99 {s99:.1} ms)");
    }
}

/// The readback's own uncertainty and the cost of getting the tap to the server.
pub fn print_error(taps: &[Tap]) {
    let shown: Vec<&Tap> = taps.iter().filter(|t| t.ms.is_some()).collect();
    let window = quantiles(shown.iter().map(|t| t.window_ms).collect());
    let last = quantiles(shown.iter().map(|t| t.last_read_ms).collect());
    let sync = quantiles(taps.iter().map(|t| t.sync_ms).collect());
    let f = |q: [f64; 4]| format!("{:.2} / {:.2} / {:.2} / {:.2} ms", q[0], q[1], q[2], q[3]);
    if let (Some(w), Some(l), Some(s)) = (window, last, sync) {
        println!("Each time is the reply to the first readback showing the new screen (p50 / p90 / p99 / max):");
        println!("- the screen changed after the previous readback's request: that window {}", f(w));
        println!("- of which the round trip of the readback that showed it {} (it waits in the X server", f(l));
        println!("  behind the app's drawing; the new screen was there just before its reply)");
        println!("- tap → processed by the X server (XSync after the write) {}", f(s));
    }
}

/// Every tap, one line each, written as the run goes (a run stopped half-way keeps its taps).
pub struct Csv(std::io::BufWriter<std::fs::File>);

impl Csv {
    /// A new file at `path`, with its header.
    pub fn create(path: &Path) -> Csv {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("taps.csv"));
        writeln!(
            f,
            "unix_us,orientation,app,round,screen_change,ms,first_change_ms,window_ms,last_read_ms,sync_ms,from_press,\
             polls,poll_cpu_ms,unsettled,load1,cpu_shell_ms,cpu_page_ms,cpu_helpers_ms,cpu_x_ms"
        )
        .expect("write");
        Csv(f)
    }

    /// Appends `taps` and flushes.
    pub fn write(&mut self, taps: &[Tap]) {
        let opt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
        for t in taps {
            writeln!(
                self.0,
                "{},{},{},{},{},{},{},{:.3},{:.3},{:.3},{},{},{:.3},{},{:.2},{:.3},{:.3},{:.3},{:.3}",
                t.unix_us,
                t.orientation,
                t.app.name(),
                t.round,
                t.label,
                opt(t.ms),
                opt(t.first_ms),
                t.window_ms,
                t.last_read_ms,
                t.sync_ms,
                t.from_press,
                t.polls,
                t.poll_cpu_ms,
                t.unsettled,
                t.load1,
                t.cpu_ms[0],
                t.cpu_ms[1],
                t.cpu_ms[2],
                t.cpu_ms[3]
            )
            .expect("write");
        }
        self.0.flush().expect("write");
    }
}
