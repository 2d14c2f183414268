//! The player's logic with no sound card: rodio's queue output stands in for
//! the device, and the samples pulled from it are what a visitor would hear.

use std::io::Cursor;
use std::path::Path;

use kiosk_player::{MusicPlayer, PlayState, PlayerError, QueueOutput};
use rodio::Source;

const RATE: usize = 44_100;

fn track(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/music").join(name)).unwrap()
}

/// The whole track decoded, as the reference for what must come out.
fn decoded(audio: &[u8]) -> Vec<f32> {
    let d = rodio::Decoder::new(Cursor::new(audio.to_vec())).unwrap();
    assert_eq!(d.channels().get(), 1, "the demo samples are mono");
    assert_eq!(d.sample_rate().get() as usize, RATE);
    d.collect()
}

fn pull(q: &mut impl Iterator<Item = f32>, n: usize) -> Vec<f32> {
    (0..n).map(|_| q.next().unwrap_or(0.0)).collect()
}

fn rms(xs: &[f32]) -> f32 {
    (xs.iter().map(|x| x * x).sum::<f32>() / xs.len().max(1) as f32).sqrt()
}

/// Largest difference between what came out and the reference scaled by `gain`.
fn max_error(out: &[f32], reference: &[f32], gain: f32) -> f32 {
    out.iter().zip(reference).map(|(o, r)| (o - r * gain).abs()).fold(0.0, f32::max)
}

fn player(ceiling: f32) -> MusicPlayer<QueueOutput> {
    MusicPlayer::new(QueueOutput::new(), ceiling)
}

#[test]
fn plays_the_decoded_track_at_the_visitor_volume_under_the_ceiling() {
    let audio = track("steppe-morning.ogg");
    let reference = decoded(&audio);
    let mut p = player(0.5);
    p.set_volume(1.0);
    p.play("steppe-morning", audio, 31_000).unwrap();
    let mut q = p.output().take().expect("the player connected to the output");
    let out = pull(&mut q, RATE);
    assert!(rms(&out) > 0.01, "sound comes out");
    assert!(max_error(&out, &reference[..RATE], 0.5) < 1e-3, "the samples are the track's, at volume × ceiling = 0.5");
    let s = p.status();
    assert_eq!(s.state, PlayState::Playing);
    assert_eq!(s.track.as_deref(), Some("steppe-morning"));
    assert!((900..=1_100).contains(&s.position_ms), "position follows the samples played: {}", s.position_ms);
}

#[test]
fn pause_really_stops_the_output_and_resume_continues() {
    let audio = track("caravan-road.ogg");
    let mut p = player(1.0);
    p.play("caravan-road", audio, 29_000).unwrap();
    let mut q = p.output().take().unwrap();
    pull(&mut q, RATE / 2);
    p.pause();
    pull(&mut q, 512); // the pause takes effect within a few ms of samples
    let held = pull(&mut q, RATE / 2);
    assert_eq!(rms(&held), 0.0, "paused: silence comes out");
    let pos = p.status().position_ms;
    assert_eq!(p.status().state, PlayState::Paused);
    pull(&mut q, RATE / 2);
    assert!(p.status().position_ms.abs_diff(pos) <= 20, "paused: the position holds");
    p.resume().unwrap();
    pull(&mut q, 512);
    assert!(rms(&pull(&mut q, RATE / 4)) > 0.01, "resumed: sound again");
}

#[test]
fn seek_jumps_within_the_track() {
    let audio = track("evening-song.ogg");
    let mut p = player(1.0);
    p.play("evening-song", audio, 33_000).unwrap();
    let mut q = p.output().take().unwrap();
    pull(&mut q, 1024);
    // A seek waits for the audio thread to apply it: play that thread's part.
    let audio_thread = std::thread::spawn(move || {
        pull(&mut q, RATE / 5);
    });
    p.seek(10_000);
    audio_thread.join().unwrap();
    let pos = p.status().position_ms;
    assert!((10_000..=10_300).contains(&pos), "after seeking to 10 s the position is there: {pos}");
}

#[test]
fn a_track_played_to_its_end_reads_as_stopped() {
    let audio = track("steppe-morning.ogg");
    let n = decoded(&audio).len();
    let mut p = player(1.0);
    p.play("steppe-morning", audio, 31_000).unwrap();
    let mut q = p.output().take().unwrap();
    pull(&mut q, n + RATE / 10);
    assert_eq!(p.status().state, PlayState::Stopped, "the end of the track stops the player");
}

#[test]
fn a_new_track_replaces_the_old_one() {
    let mut p = player(1.0);
    p.play("steppe-morning", track("steppe-morning.ogg"), 31_000).unwrap();
    p.play("caravan-road", track("caravan-road.ogg"), 29_000).unwrap();
    assert_eq!(p.status().track.as_deref(), Some("caravan-road"), "one track at a time");
}

#[test]
fn quiet_mode_mutes_everything() {
    let mut p = player(1.0);
    p.play("steppe-morning", track("steppe-morning.ogg"), 31_000).unwrap();
    p.set_quiet(true);
    assert_eq!(p.status().state, PlayState::Stopped, "quiet mode stops what plays");
    assert_eq!(p.play("caravan-road", track("caravan-road.ogg"), 29_000), Err(PlayerError::Quiet));
    assert_eq!(p.effective_volume(), 0.0);
    p.set_quiet(false);
    assert!(p.play("caravan-road", track("caravan-road.ogg"), 29_000).is_ok());
}

#[test]
fn an_undecodable_track_fails_alone_and_the_music_plays_on() {
    let mut p = player(1.0);
    p.play("steppe-morning", track("steppe-morning.ogg"), 31_000).unwrap();
    let err = p.play("broken", b"OggS not really".to_vec(), 1_000).unwrap_err();
    assert_eq!(err.code(), "track_undecodable");
    assert_eq!(p.status().track.as_deref(), Some("steppe-morning"), "the playing track is not interrupted");
    assert_eq!(p.status().state, PlayState::Playing);
}

#[test]
fn volume_is_capped_by_the_ceiling() {
    let mut p = player(0.3);
    p.set_volume(1.0);
    assert!((p.effective_volume() - 0.3).abs() < 1e-6);
    p.set_volume(5.0);
    assert!((p.effective_volume() - 0.3).abs() < 1e-6, "no visitor volume goes above the ceiling");
    p.set_ceiling(0.0);
    assert_eq!(p.effective_volume(), 0.0);
}
