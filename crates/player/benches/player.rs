//! Music figures, printed side by side with their targets (not a timed test):
//! decode speed of the demo samples (× real time), command → first sample
//! handed to the device (p50/p99, the kiosk's fixed period, `DEVICE_PERIOD_FRAMES`), and CPU used
//! while playing (% of one core).
//!
//! Run by `./dev bench`, which gives it a paced ALSA device through its own
//! `$HOME/.asoundrc`; any working default device will do.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_player::envelope::{Control, Envelope};
use kiosk_player::{AudioOutput, DeviceOutput};
use rodio::{Decoder, Source};

fn music_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/music")
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (100 Hz on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0) + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    println!("{:<52} {:>10} {:>10}   target", "figure", "p50", "p99");
    let tracks = ["steppe-morning.ogg", "caravan-road.ogg", "evening-song.ogg"];
    let audio: Vec<Vec<u8>> = tracks.iter().map(|t| std::fs::read(music_dir().join(t)).expect("demo track")).collect();

    for (name, bytes) in tracks.iter().zip(&audio) {
        let t = Instant::now();
        let d = Decoder::new(Cursor::new(bytes.clone())).unwrap();
        let (ch, rate) = (d.channels().get() as f64, d.sample_rate().get() as f64);
        let n = d.count() as f64;
        let speed = (n / ch / rate) / t.elapsed().as_secs_f64();
        println!("{:<52} {:>9.0}× {:>10}   ≥ 1× (real time)", format!("decode {name}"), speed, "");
    }

    let mut output = DeviceOutput::new(kiosk_player::DEVICE_PERIOD_FRAMES);
    if let Err(e) = output.open() {
        println!("no sound device ({e}): device figures skipped");
        return;
    }
    println!("device: {}", output.describe().unwrap_or_default());
    let mut latencies = Vec::new();
    for i in 0..40 {
        let player = output.connect().unwrap();
        // The player's own envelope marks when the device pulled the first audible sample.
        let control = Arc::new(Control::default());
        let source = Envelope::new(Decoder::new(Cursor::new(audio[i % 3].clone())).unwrap(), control.clone());
        let t = Instant::now();
        player.append(source);
        player.play();
        while control.first_sound().is_none() && t.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_micros(200));
        }
        let first = control.first_sound().expect("the device pulled a sample");
        latencies.push(first.duration_since(t).as_secs_f64() * 1000.0);
        player.stop();
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "{:<52} {:>8.2}ms {:>8.2}ms   ≤ 30 ms",
        "play command → first sample handed to the device",
        pct(&latencies, 0.5),
        pct(&latencies, 0.99)
    );

    let player = output.connect().unwrap();
    player.append(Decoder::new(Cursor::new(audio[0].clone())).unwrap());
    player.play();
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    std::thread::sleep(Duration::from_secs(10));
    let cpu = (cpu_seconds() - cpu0) / t0.elapsed().as_secs_f64() * 100.0;
    println!("{:<52} {:>9.1}% {:>10}   ≤ 5 % of one core", "CPU while playing (10 s, decode + mix + device)", cpu, "");
}
