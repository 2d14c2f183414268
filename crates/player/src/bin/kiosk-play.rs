//! `kiosk-play`: plays an audio file through the default sound device the way
//! the kiosk does (same player, same output), for checking a kiosk's sound.
//!
//!     kiosk-play FILE [--volume V] [--until-ms T] [--pause-at-ms P --pause-for-ms D]
//!
//! Prints the player's status as JSON lines while it plays.

use std::time::{Duration, Instant};

use kiosk_player::{DEVICE_PERIOD_FRAMES, DeviceOutput, MusicPlayer, PlayState};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: kiosk-play FILE [--volume V] [--until-ms T] [--pause-at-ms P --pause-for-ms D]");
        std::process::exit(2);
    };
    let (mut volume, mut until, mut pause_at, mut pause_for) = (1.0f32, u64::MAX, u64::MAX, 0u64);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let n: f64 = value.parse().unwrap_or_else(|_| {
            eprintln!("{flag} needs a number");
            std::process::exit(2)
        });
        match flag.as_str() {
            "--volume" => volume = n as f32,
            "--until-ms" => until = n as u64,
            "--pause-at-ms" => pause_at = n as u64,
            "--pause-for-ms" => pause_for = n as u64,
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2)
            }
        }
    }
    let audio = std::fs::read(&file).unwrap_or_else(|e| {
        eprintln!("cannot read {file}: {e}");
        std::process::exit(1)
    });
    let duration_ms = kiosk_duration(&audio);
    let mut player = MusicPlayer::new(DeviceOutput::new(DEVICE_PERIOD_FRAMES), 1.0);
    player.set_volume(volume);
    if let Err(e) = player.play(&file, audio, duration_ms) {
        eprintln!("cannot play: {e}");
        std::process::exit(1);
    }
    let mut paused_since: Option<Instant> = None;
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let s = player.status();
        if let Some(since) = paused_since {
            if since.elapsed() >= Duration::from_millis(pause_for) {
                let _ = player.resume();
                paused_since = None;
                pause_at = u64::MAX;
                println!("{}", serde_json::json!({ "event": "resumed", "position_ms": s.position_ms }));
            }
            continue;
        }
        if s.position_ms >= pause_at {
            player.pause();
            paused_since = Some(Instant::now());
            println!("{}", serde_json::json!({ "event": "paused", "position_ms": player.status().position_ms }));
            continue;
        }
        if s.state == PlayState::Stopped || s.position_ms >= until {
            println!("{}", serde_json::json!({ "event": "done", "position_ms": s.position_ms }));
            player.stop();
            // Let the device drain what it was handed.
            std::thread::sleep(Duration::from_millis(300));
            return;
        }
    }
}

fn kiosk_duration(audio: &[u8]) -> u64 {
    use rodio::Source;
    let d = rodio::Decoder::new(std::io::Cursor::new(audio.to_vec())).expect("a decodable file");
    let (ch, rate) = (u64::from(d.channels().get()), u64::from(d.sample_rate().get()));
    d.count() as u64 * 1000 / (ch * rate)
}
