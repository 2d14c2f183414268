//! Speech figures on a sound device that plays at real time: the release
//! kiosk under Xvfb, its ALSA output on a private PulseAudio null sink
//! (`kiosk_testsupport::pulse`), the sink's monitor recorded here.
//!
//! - keypad key → speech heard: a WebDriver key press (↓, the next item on
//!   the music screen) until the first audible frame recorded, p50/p99 over
//!   [`KEYS`] keys, each from silence; split into the app's part (the IPC
//!   command → the first sample of speech handed to the device, which the app
//!   logs: espeak-ng's synthesis of the first sentence is in it) and the rest
//!   (command → recorded: the device's buffer and PulseAudio's own; and before
//!   the command, WebDriver's and the web view's way to it).
//!
//! Figures, not a test: run by `./dev bench` (bench/run).

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use kiosk_e2e::bench::{first_sound_marks, quantile as p, release_dir, sorted, unix_us};
use kiosk_e2e::{Audio, Kiosk, Options};
use kiosk_testsupport::pulse::{Pulse, Recording};

const KEYS: usize = 40;
const SOUND: f32 = 0.01;

/// Waits until nothing has been heard for 400 ms.
async fn quiet(rec: &Recording) {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = Instant::now();
        let recent = rec.between(now - Duration::from_millis(500), now - Duration::from_millis(100));
        if (!recent.is_empty() && recent.iter().all(|f| f.iter().all(|x| x.abs() <= SOUND))) || now > give_up {
            return;
        }
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut pulse = Pulse::start(dir.path()).unwrap_or_else(|why| {
        eprintln!("no paced device: {why}");
        std::process::exit(1)
    });
    let k = Kiosk::start(Options {
        name: "bench-speech".into(),
        app: Some(release_dir().join("embassy-kiosk")),
        audio: Audio::Asoundrc(pulse.asoundrc()),
        extra_config: "idle_timeout_secs = 600\n".into(),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    k.wait_testid("music-link").await.click().await.expect("music");
    k.wait_testid("music-view").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rec = pulse.record();
    // The first key switches speech on (and says how to use the keypad).
    k.press(Key::Down).await;
    quiet(&rec).await;

    let mut keys = Vec::new();
    for _ in 0..KEYS {
        let at = k.press(Key::Down).await;
        let heard = rec.wait_sound_after(at, SOUND, Duration::from_secs(5)).expect("the key's item was said");
        keys.push((at, heard));
        quiet(&rec).await;
    }
    // One more command, so the app logs the last key's figure.
    k.press(Key::Up).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    pulse.stop();

    // Each key's app mark: the first logged command at or after the key.
    let marks = first_sound_marks(&k.app_log, "speech");
    let mut app_ms = Vec::new();
    let mut command_ms = Vec::new();
    let mut to_command = Vec::new();
    for (at, heard) in &keys {
        let key_us = unix_us(*at);
        if let Some((ms, us)) = marks.iter().find(|(_, us)| *us + 2_000 >= key_us) {
            app_ms.push(*ms);
            command_ms.push((unix_us(*heard) as f64 - *us as f64) / 1e3);
            to_command.push((*us as f64 - key_us as f64) / 1e3);
        }
    }
    let key_ms: Vec<f64> = keys.iter().map(|(a, h)| h.duration_since(*a).as_secs_f64() * 1e3).collect();
    let row = |name: &str, xs: &[f64], target: &str| {
        let s = sorted(xs.to_vec());
        println!("{name:<60} {:>8.1} {:>8.1}   {target}", p(&s, 0.5), p(&s, 0.99));
    };
    println!(
        "Speech on a paced device (PulseAudio null sink, 48 kHz, through ALSA's pulse plugin), release kiosk, espeak-ng"
    );
    println!("{} of {KEYS} keys matched to the app's log\n", app_ms.len());
    println!("{:<60} {:>8} {:>8}   target", "figure (ms)", "p50", "p99");
    row(&format!("keypad key (WebDriver) → speech recorded, {KEYS} keys"), &key_ms, "≤ 150 ms p99");
    row("  IPC command → speech recorded", &command_ms, "—");
    row("  of which the app: command → first sample to the device", &app_ms, "—");
    row("  before it: key → IPC command arrives", &to_command, "—");
    k.stop().await;
}
