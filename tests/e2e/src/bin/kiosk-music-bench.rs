//! Music figures on a sound device that plays at real time: the release
//! kiosk under Xvfb, its ALSA output on a private PulseAudio null sink at
//! 48 kHz (`kiosk_testsupport::pulse`), the sink's monitor recorded here.
//!
//! - tap → sound: a WebDriver click on a track's ▶ (from silence) until the
//!   first audible frame recorded, p50/p99 over [`TAPS`] taps; split into the
//!   app's part (the IPC command → the first audible sample handed to the
//!   device's callback, which the app logs) and the rest (the device's buffer
//!   and PulseAudio's own, measured as command → recorded, by the wall clock
//!   both processes share; and WebDriver's and the web view's way to the command);
//! - switching tracks mid-play: the largest step between neighbouring frames
//!   around each switch, beside the music's own largest step (a click is a
//!   step far larger than the music makes);
//! - the staff's ceiling, in the recorded signal.
//!
//! Figures, not a test: run by `./dev bench` (bench/run).

use std::time::{Duration, Instant};

use fantoccini::Locator;
use kiosk_e2e::bench::{first_sound_marks, quantile as p, release_dir, sorted, unix_us};
use kiosk_e2e::{Audio, Kiosk, Options};
use kiosk_testsupport::pulse::{Pulse, largest_step, peak};

const TAPS: usize = 50;
const SWITCHES: usize = 20;
const CEILING: f32 = 0.3;

async fn tap_play(k: &Kiosk, track: usize) -> Instant {
    let items = k.all_testid("track-item").await;
    let play = items[track].find(Locator::Css("[data-testid=track-play]")).await.expect("a ▶ button");
    let at = Instant::now();
    play.click().await.expect("tap");
    at
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut pulse = Pulse::start(dir.path()).unwrap_or_else(|why| {
        eprintln!("no paced device: {why}");
        std::process::exit(1)
    });
    let k = Kiosk::start(Options {
        name: "bench-music".into(),
        app: Some(release_dir().join("embassy-kiosk")),
        audio: Audio::Asoundrc(pulse.asoundrc()),
        extra_config: format!("volume_ceiling = {CEILING}\n"),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    k.wait_testid("music-link").await.click().await.expect("music");
    k.wait_testid("music-view").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rec = pulse.record();

    // Taps from silence: ▶ on a track, heard, then ⏸ on it; never the track
    // just paused (that would resume it, not start it).
    let mut taps = Vec::new();
    let mut last = 2;
    for i in 0..TAPS {
        let track = (last + 1 + i % 2) % 3;
        let at = tap_play(&k, track).await;
        let heard = rec.wait_sound_after(at, 0.005, Duration::from_secs(3)).expect("the tap was heard");
        taps.push((at, heard));
        tokio::time::sleep(Duration::from_millis(400)).await;
        tap_play(&k, track).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        last = track;
    }
    // Switches mid-play: a track playing, another tapped.
    let mut switches = Vec::new();
    for i in 0..SWITCHES {
        let (a, b) = (i * 2 % 3, (i * 2 + 1) % 3);
        let at = tap_play(&k, a).await;
        let heard = rec.wait_sound_after(at, 0.005, Duration::from_secs(3)).expect("heard");
        tokio::time::sleep(Duration::from_millis(800)).await;
        let switched = tap_play(&k, b).await;
        tokio::time::sleep(Duration::from_millis(900)).await;
        tap_play(&k, b).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        switches.push((heard, switched));
    }
    let end = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let marks = first_sound_marks(&k.app_log, "music");
    let device = std::fs::read_to_string(&k.app_log)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.split("audio device: ").nth(1).map(str::to_string))
        .unwrap_or_default();
    // The first TAPS marks are the taps from silence, in order.
    assert!(marks.len() >= TAPS, "the app logged {} sounds of {TAPS}", marks.len());
    let tap_ms: Vec<f64> = taps.iter().map(|(a, h)| h.duration_since(*a).as_secs_f64() * 1e3).collect();
    let app_ms: Vec<f64> = marks[..TAPS].iter().map(|m| m.0).collect();
    let command_ms: Vec<f64> =
        taps.iter().zip(&marks[..TAPS]).map(|((_, h), (_, us))| (unix_us(*h) as f64 - *us as f64) / 1e3).collect();
    let to_command: Vec<f64> =
        taps.iter().zip(&marks[..TAPS]).map(|((a, _), (_, us))| (*us as f64 - unix_us(*a) as f64) / 1e3).collect();

    let ms = Duration::from_millis;
    let mut worst_ratio: f64 = 0.0;
    let mut clicks = 0;
    for (heard, switched) in &switches {
        let before = largest_step(&rec.between(*heard + ms(100), *switched));
        let after = largest_step(&rec.between(*switched + ms(450), *switched + ms(850)));
        let at = largest_step(&rec.between(*switched, *switched + ms(400)));
        let ratio = f64::from(at / before.max(after).max(1e-6));
        worst_ratio = worst_ratio.max(ratio);
        if ratio > 1.5 {
            clicks += 1;
        }
    }
    let loudest = peak(&rec.between(taps[0].1, end));
    pulse.stop();

    let row = |name: &str, xs: &[f64], target: &str| {
        let s = sorted(xs.to_vec());
        println!("{name:<60} {:>8.1} {:>8.1}   {target}", p(&s, 0.5), p(&s, 0.99));
    };
    println!("Music on a paced device (PulseAudio null sink, 48 kHz, through ALSA's pulse plugin), release kiosk");
    println!("device as the app opened it: {device}\n");
    println!("{:<60} {:>8} {:>8}   target", "figure (ms)", "p50", "p99");
    row(&format!("tap (WebDriver click) → first sound recorded, {TAPS} taps"), &tap_ms, "—");
    row("  IPC command → first sound recorded", &command_ms, "≤ 30 ms p99");
    row("  of which the app: command → first sample to the device", &app_ms, "≤ 10 ms p99");
    row("  before it: WebDriver click → IPC command arrives", &to_command, "—");
    println!(
        "{:<60} {:>8.2} {:>8}   ≤ 1.5 (no click)",
        format!("switch mid-play: largest step ÷ the music's own, worst of {SWITCHES}"),
        worst_ratio,
        ""
    );
    println!("{:<60} {:>8} {:>8}", "  switches with a step over 1.5× the music's", clicks, "");
    println!("{:<60} {:>8.3} {:>8}   ≤ {CEILING}", "peak of the recorded signal, ceiling 0.3", loudest, "");
    k.stop().await;
}
