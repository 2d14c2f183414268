//! The player's logic with no sound card: rodio's queue output stands in for
//! the device, and the samples pulled from it are what a visitor would hear.

use std::io::Cursor;
use std::path::Path;

use kiosk_player::envelope::FADE_IN;
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
    // After the few milliseconds it takes to fade in (no click at the start).
    let rise = (RATE as f32 * FADE_IN.as_secs_f32()) as usize + 1;
    assert!(
        max_error(&out[rise..], &reference[rise..RATE], 0.5) < 1e-3,
        "the samples are the track's, at volume × ceiling = 0.5"
    );
    assert!(
        out[..rise].iter().zip(&reference).all(|(o, r)| o.abs() <= (r * 0.5).abs() + 1e-6),
        "fading in, never louder"
    );
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
    // A seek waits for the audio thread to apply it: play that thread's part,
    // pulling samples until the seek has returned (and a little after). The
    // thread counts what it pulled, so the check does not depend on how
    // promptly either thread was scheduled.
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let done = Arc::new(AtomicBool::new(false));
    let pulled = Arc::new(AtomicUsize::new(0));
    let (flag, count) = (done.clone(), pulled.clone());
    let audio_thread = std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            pull(&mut q, 64);
            count.fetch_add(64, Ordering::SeqCst);
        }
        let last = pull(&mut q, RATE / 20);
        count.fetch_add(RATE / 20, Ordering::SeqCst);
        last
    });
    let before_seek = pulled.load(Ordering::SeqCst);
    p.seek(10_000);
    done.store(true, Ordering::SeqCst);
    let last = audio_thread.join().unwrap();
    // An ignored seek would read as what was pulled: kept far below 10 s, it cannot pass for one.
    let total = pulled.load(Ordering::SeqCst) + 1024;
    assert!(total < 5 * RATE, "the audio thread ran on for {total} samples: too long to tell a seek from playing on");
    // The position is 10 s plus what was played since the seek took effect:
    // at least the last 50 ms, at most all that was pulled since it was asked.
    let played_ms = |samples: usize| (samples * 1000 / RATE) as u64;
    let most = 10_000 + played_ms(pulled.load(Ordering::SeqCst) - before_seek) + 5;
    let pos = p.status().position_ms;
    assert!(
        (10_000 + played_ms(RATE / 20)..=most).contains(&pos),
        "after seeking to 10 s the position is there: {pos} (at most {most})"
    );
    // And what came out last is the track's own samples ending there.
    let reference = decoded(&track("evening-song.ogg"));
    let end = pos as usize * RATE / 1000;
    let (at, c) = best_fit(&last, &reference, end - last.len(), RATE / 100);
    assert!(c > 0.99, "the samples after the seek are the track's at {pos} ms (best fit {c:.3} at {at})");
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

/// A light low-pass (6-sample moving average): the device path may resample,
/// which blurs the top octave but leaves the music itself alone.
fn smooth(x: &[f32]) -> Vec<f32> {
    x.windows(6).map(|w| w.iter().sum::<f32>() / 6.0).collect()
}

/// Normalised correlation of two equal-length windows.
fn correlation(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-9)
}

/// The offset in `reference` (searched around `guess`) where `window` fits best.
fn best_fit(window: &[f32], reference: &[f32], guess: usize, radius: usize) -> (usize, f32) {
    let lo = guess.saturating_sub(radius);
    let hi = (guess + radius).min(reference.len() - window.len());
    (lo..=hi)
        .step_by(1)
        .map(|o| (o, correlation(window, &reference[o..o + window.len()])))
        .fold((0, -1.0), |b, c| if c.1 > b.1 { c } else { b })
}

#[test]
fn through_a_real_alsa_device_the_track_comes_out_and_pause_silences_it() {
    // ALSA's `file` plugin writes what the device was given; piping it through
    // `pv -L` paces it at real time, as a sound card would.
    assert!(std::process::Command::new("pv").arg("--version").output().is_ok(), "pv is needed (apt-get install pv)");
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("out.raw");
    std::fs::write(
        tmp.path().join(".asoundrc"),
        format!(
            "pcm.!default {{ type plug slave {{ pcm \"kiosk_capture\" format S16_LE rate 44100 channels 1 }} }}\n\
             pcm.kiosk_capture {{ type file slave.pcm \"null\" file \"|pv -q -L 88200 > {}\" format \"raw\" }}\n",
            raw.display()
        ),
    )
    .unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/music/steppe-morning.ogg");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiosk-play"))
        .arg(&file)
        .args(["--until-ms", "2600", "--pause-at-ms", "1000", "--pause-for-ms", "1500"])
        .env("HOME", tmp.path())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "kiosk-play failed: {}{log}", String::from_utf8_lossy(&out.stderr));
    let paused_at: u64 = log
        .lines()
        .find(|l| l.contains("\"paused\""))
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v["position_ms"].as_u64())
        .expect("the helper paused");

    let bytes = std::fs::read(&raw).unwrap();
    let written: Vec<f32> = bytes.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0).collect();
    let reference = smooth(&decoded(&std::fs::read(&file).unwrap()));
    let start = written.iter().position(|x| x.abs() > 1e-3).expect("sound was written to the device");

    // The pause: a long run of silence in the middle of the output.
    let (mut best, mut run_start, mut cur) = ((0, 0), 0, 0);
    for (i, x) in written.iter().enumerate().skip(start) {
        if x.abs() < 1e-4 {
            if cur == 0 {
                run_start = i;
            }
            cur += 1;
            if cur > best.1 {
                best = (run_start, cur);
            }
        } else {
            cur = 0;
        }
    }
    let (silence_at, silence_len) = best;
    assert!(
        silence_len > RATE,
        "pausing for 1.5 s must silence the device for over a second; longest silence {silence_len} samples"
    );

    // Before the pause: the track from its beginning.
    let written = smooth(&written);
    let w = 4096;
    let (offset, c) = best_fit(&written[start..start + w], &reference, 0, 2048);
    // The device path resamples (the mixer runs at the device's rate), so the
    // match is close, not exact; another part of the same track scores far lower.
    let elsewhere = correlation(&written[start..start + w], &reference[offset + 3 * RATE..offset + 3 * RATE + w]);
    assert!(elsewhere < 0.5, "the check tells the right samples from others (elsewhere {elsewhere:.3})");
    assert!(c > 0.85, "the device got the track's own samples (correlation {c:.3} at offset {offset})");
    // After the pause: the track again, from where it was paused.
    let after = silence_at + silence_len;
    // The two rate conversions on the way (the mixer's and ALSA's `plug`) now
    // and then slip a sample, which spoils one window's fit; so five windows
    // in a row are fitted, each within 100 ms of where the track was paused
    // (a restart or a skip over the pause lands seconds away), and most must fit.
    let guess = paused_at as usize * RATE / 1000;
    let windows = 5;
    assert!(
        guess >= RATE / 10 && guess + windows * w + RATE / 10 < reference.len(),
        "paused mid-track: {paused_at} ms"
    );
    assert!(written.len() > after + windows * w, "playback went on after resuming");
    let fits: Vec<(usize, f32)> = (0..windows)
        .map(|k| {
            let at = after + k * w;
            let (offset, c) = best_fit(&written[at..at + w], &reference, guess + k * w, RATE / 10);
            (offset - k * w, c)
        })
        .collect();
    let mut sorted = fits.clone();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (offset, c) = sorted[windows / 2];
    assert!(
        c > 0.95,
        "after resuming, the track continues where it paused (median correlation {c:.3} at {offset}, \
         paused at {paused_at} ms; fits {fits:?})"
    );
    // Every window, the first ones just after the resume included, sits where the median one says.
    assert!(
        fits.iter().all(|&(o, _)| o.abs_diff(offset) <= RATE / 50),
        "the first moments after resuming are the track's too (fits {fits:?})"
    );
}

/// An output whose device can be unplugged and plugged back in, or whose
/// stream the system can fail (`failed`: unusable until connected again).
#[derive(Clone, Default)]
struct Pluggable {
    present: std::sync::Arc<std::sync::atomic::AtomicBool>,
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    inner: QueueOutput,
}

impl kiosk_player::AudioOutput for Pluggable {
    fn connect(&mut self) -> Result<rodio::Player, kiosk_player::AudioError> {
        if self.present.load(std::sync::atomic::Ordering::SeqCst) {
            self.failed.store(false, std::sync::atomic::Ordering::SeqCst);
            self.inner.connect()
        } else {
            Err(kiosk_player::AudioError::Unavailable("no device".into()))
        }
    }
    fn available(&self) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        self.present.load(SeqCst) && !self.failed.load(SeqCst)
    }
}

#[test]
fn a_stream_failed_for_a_moment_picks_the_track_up_where_it_was_playing_or_paused() {
    use std::sync::atomic::Ordering;
    let output = Pluggable::default();
    output.present.store(true, Ordering::SeqCst);
    let mut p = MusicPlayer::new(output.clone(), 1.0);
    let audio = track("steppe-morning.ogg");
    let reference = decoded(&audio);
    p.play("steppe-morning", audio, 31_000).unwrap();
    let mut q = output.inner.take().unwrap();
    pull(&mut q, 2 * RATE);
    let before = p.status();

    // The stream fails (a busy moment, the sound server's hiccup); the device opens again at once.
    output.failed.store(true, Ordering::SeqCst);
    assert!(!p.status().audio_available);
    assert!(p.reopen_output(), "the device opens again");
    let after = p.status();
    assert_eq!((after.state, after.track.as_deref()), (PlayState::Playing, Some("steppe-morning")), "{after:?}");
    assert!(after.position_ms.abs_diff(before.position_ms) <= 30, "picked up at {after:?}, was {before:?}");
    // What comes out on the new stream is the track from there on. The
    // decoder's seek is not sample-exact (in this track it lands 14 ms late
    // and its first packets differ a little from a decode from the start), so
    // one window, 50 ms in, must fit near there.
    let mut q = output.inner.take().expect("a player on the reopened device");
    let out = pull(&mut q, RATE / 2);
    let window = &out[RATE / 20..RATE / 20 + 2048];
    let (at, c) = best_fit(window, &reference, 2 * RATE + RATE / 20, RATE / 50);
    assert!(c > 0.95, "the samples go on from 2.05 s (best fit {c:.3} at {at}, {} ms)", at * 1000 / RATE);

    // Paused, it stays paused, in its place, and silent.
    p.pause();
    pull(&mut q, RATE / 10);
    let paused = p.status();
    output.failed.store(true, Ordering::SeqCst);
    assert!(p.reopen_output());
    let after = p.status();
    assert_eq!(after.state, PlayState::Paused, "{after:?}");
    assert!(after.position_ms.abs_diff(paused.position_ms) <= 30, "kept its place: {after:?}, was {paused:?}");
    let mut q = output.inner.take().unwrap();
    assert_eq!(rms(&pull(&mut q, RATE / 10)), 0.0, "silent until resumed");
    p.resume().unwrap();
    assert!(rms(&pull(&mut q, RATE / 10)) > 0.01, "and it plays on when resumed");
}

#[test]
fn without_a_device_play_says_unavailable_and_works_once_one_appears() {
    use std::sync::atomic::Ordering;
    let output = Pluggable::default();
    let plug = output.present.clone();
    let mut p = MusicPlayer::new(output, 1.0);
    let err = p.play("steppe-morning", track("steppe-morning.ogg"), 31_000).unwrap_err();
    assert_eq!(err.code(), "audio_unavailable");
    assert!(!p.status().audio_available, "the UI is told audio is unavailable");
    assert_eq!(p.status().state, PlayState::Stopped);

    plug.store(true, Ordering::SeqCst);
    assert!(p.reopen_output(), "the background retry finds the new device");
    p.play("steppe-morning", track("steppe-morning.ogg"), 31_000).unwrap();
    assert_eq!(p.status().state, PlayState::Playing, "playback returns when a device appears");

    // The device vanishes mid-play: the track is dropped, the player stays usable.
    plug.store(false, Ordering::SeqCst);
    assert!(!p.reopen_output());
    assert_eq!(p.status().state, PlayState::Stopped);
    assert!(!p.status().audio_available);
}

#[test]
fn a_tracks_button_pauses_resumes_or_asks_for_a_load() {
    let mut p = player(1.0);
    assert!(!p.toggle_if_loaded("caravan-road").unwrap(), "not loaded: the caller must load it");
    p.play("caravan-road", track("caravan-road.ogg"), 29_000).unwrap();
    assert!(p.toggle_if_loaded("caravan-road").unwrap());
    assert_eq!(p.status().state, PlayState::Paused, "playing → paused");
    assert!(p.toggle_if_loaded("caravan-road").unwrap());
    assert_eq!(p.status().state, PlayState::Playing, "paused → playing");
    assert!(!p.toggle_if_loaded("evening-song").unwrap(), "another track's button starts that track instead");
    assert_eq!(p.status().state, PlayState::Playing, "asking does not disturb what plays");
}

#[test]
fn the_test_tone_sounds_at_the_ceiling_whatever_the_visitor_volume_and_not_when_quiet() {
    let mut p = player(0.5);
    p.set_volume(0.1);
    p.play_test_tone().unwrap();
    let mut q = p.output().take().unwrap();
    pull(&mut q, RATE / 10); // past the fade-in
    let out = pull(&mut q, RATE / 2);
    // A sine of amplitude 0.5 × ceiling 0.5 has an RMS of 0.25 / √2.
    assert!((rms(&out) - 0.25 / 2f32.sqrt()).abs() < 0.01, "rms {}", rms(&out));
    assert_eq!(p.status().track.as_deref(), Some(kiosk_player::TEST_TONE_ID));
    pull(&mut q, RATE);
    assert_eq!(p.status().state, PlayState::Stopped, "it lasts one second");
    p.set_quiet(true);
    assert_eq!(p.play_test_tone(), Err(PlayerError::Quiet));
}

/// An output like the device's: every player mixed into one stream, pulled here.
struct MixerOutput(rodio::mixer::Mixer);

impl kiosk_player::AudioOutput for MixerOutput {
    fn connect(&mut self) -> Result<rodio::Player, kiosk_player::AudioError> {
        Ok(rodio::Player::connect_new(&self.0))
    }
    fn available(&self) -> bool {
        true
    }
}

#[test]
fn switching_sounds_mid_play_fades_the_old_one_out_instead_of_cutting_it() {
    let rate = std::num::NonZero::new(48_000).unwrap();
    let (mixer, mut mixed) = rodio::mixer::mixer(std::num::NonZero::new(1).unwrap(), rate);
    let mut p = MusicPlayer::new(MixerOutput(mixer), 1.0);
    // The staff's test tone: 440 Hz at 0.5, which moves at most 2π·440/48000·0.5
    // ≈ 0.029 from one sample to the next. Cut off mid-wave, it would jump by up to 0.5.
    p.play_test_tone().unwrap();
    let mut heard = pull(&mut mixed, 4_800);
    for i in 0..8 {
        // Each switch lands at another phase of the wave.
        heard.extend(pull(&mut mixed, 1_500 + 97 * i));
        p.play_test_tone().unwrap();
    }
    heard.extend(pull(&mut mixed, 4_800));
    let step = heard.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    assert!(step < 0.035, "a switch clicks: the signal jumps by {step:.3} in one sample");
    assert!(rms(&heard[4_000..4_800]) > 0.2, "the tone was heard");
}

#[test]
fn a_pause_in_a_tracks_last_milliseconds_reads_as_paused_not_as_played_to_the_end() {
    // The pause's fall takes 10 ms of the sound; started 4 ms before the end,
    // it reaches the end. Continuous play reads "stopped" as played to the
    // end and starts the next track: a paused visitor would hear one.
    let mut p = player(1.0);
    p.play_test_tone().unwrap();
    let mut q = p.output().take().unwrap();
    while p.status().position_ms < 996 {
        pull(&mut q, RATE / 1000);
    }
    p.pause();
    pull(&mut q, RATE / 10);
    assert_eq!(p.status().state, PlayState::Paused);
}
