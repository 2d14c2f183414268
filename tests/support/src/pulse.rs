//! A sound device that plays at real time, for the music tests and benches:
//! a PulseAudio daemon of the test's own (its own socket, nothing shared with
//! a desktop session) with one null sink at 48 kHz, reached from ALSA through
//! the `pulse` plugin (libasound2-plugins), exactly as the kiosk's cpal output
//! reaches any ALSA device. The null sink is paced by a timer, so a stream's
//! period and buffer behave as on a card; what it "plays" is recorded from
//! its monitor with `parec`, each chunk stamped with the instant it arrived.
//!
//! [`Pulse::stop`] and [`Pulse::restart`] take the device away mid-play and
//! bring it back on the same socket: a USB speaker unplugged and plugged in.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The null sink's rate and channels (the recording's too).
pub const RATE: u32 = 48_000;
/// Channels of the sink and the recording.
pub const CHANNELS: usize = 2;

/// A private PulseAudio daemon with a null sink named `kiosk`.
pub struct Pulse {
    dir: PathBuf,
    daemon: Option<Child>,
}

impl Pulse {
    /// Starts a daemon under `dir` (its socket, config and log live there).
    /// `Err` says plainly why not (PulseAudio missing, or it would not start),
    /// so a test can say what it skipped.
    pub fn start(dir: &Path) -> Result<Pulse, String> {
        for tool in ["pulseaudio", "parec"] {
            if Command::new(tool).arg("--version").output().is_err() {
                return Err(format!("`{tool}` is not installed (apt-get install pulseaudio pulseaudio-utils)"));
            }
        }
        if !Path::new("/usr/share/alsa/alsa.conf.d/50-pulseaudio.conf").exists()
            && !Path::new("/etc/alsa/conf.d/50-pulseaudio.conf").exists()
        {
            return Err("ALSA's pulse plugin is not installed (apt-get install libasound2-plugins)".into());
        }
        for sub in ["home", "run"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let script = format!(
            "load-module module-native-protocol-unix socket={} auth-anonymous=1\n\
             load-module module-null-sink sink_name=kiosk rate={RATE} channels={CHANNELS} format=float32le\n\
             set-default-sink kiosk\n",
            dir.join("native").display()
        );
        std::fs::write(dir.join("default.pa"), script).map_err(|e| e.to_string())?;
        let mut pulse = Pulse { dir: dir.to_path_buf(), daemon: None };
        pulse.restart()?;
        Ok(pulse)
    }

    /// The daemon's socket, as `PULSE_SERVER` and ALSA's `server` want it.
    pub fn server(&self) -> String {
        format!("unix:{}", self.dir.join("native").display())
    }

    /// An `~/.asoundrc` that makes this daemon ALSA's default device.
    pub fn asoundrc(&self) -> String {
        let s = self.server();
        format!("pcm.!default {{ type pulse server \"{s}\" }}\nctl.!default {{ type pulse server \"{s}\" }}\n")
    }

    /// Writes [`Pulse::asoundrc`] to `home/.asoundrc`.
    pub fn write_asoundrc(&self, home: &Path) {
        std::fs::write(home.join(".asoundrc"), self.asoundrc()).expect("write .asoundrc");
    }

    /// Stops the daemon: the device is gone for everyone using it.
    pub fn stop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            let _ = d.kill();
            let _ = d.wait();
        }
        let _ = std::fs::remove_file(self.dir.join("native"));
    }

    /// (Re)starts the daemon on the same socket and waits until it answers.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        let log = std::fs::File::create(self.dir.join("pulseaudio.log")).map_err(|e| e.to_string())?;
        let child = Command::new("pulseaudio")
            .args(["-n", "--daemonize=no", "--use-pid-file=no", "--exit-idle-time=-1", "--disallow-exit"])
            .args(["--disallow-module-loading", "--log-target=stderr", "-F"])
            .arg(self.dir.join("default.pa"))
            .env("HOME", self.dir.join("home"))
            .env("XDG_RUNTIME_DIR", self.dir.join("run"))
            .env_remove("PULSE_SERVER")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("pulseaudio would not start: {e}"))?;
        self.daemon = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let up = Command::new("pactl")
                .args(["--server", &self.server(), "info"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if up {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.daemon.as_mut().map(|d| d.try_wait()) {
                let log = std::fs::read_to_string(self.dir.join("pulseaudio.log")).unwrap_or_default();
                return Err(format!("pulseaudio exited ({status}): {}", log.trim()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("pulseaudio did not answer within 15 s".into())
    }

    /// Starts recording what the sink plays (its monitor), from now on.
    pub fn record(&self) -> Recording {
        let mut child = Command::new("parec")
            .args(["--server", &self.server(), "-d", "kiosk.monitor", "--format=float32le"])
            .arg(format!("--rate={RATE}"))
            .arg(format!("--channels={CHANNELS}"))
            // Small fragments, so each chunk's arrival time is close to when it played.
            .args(["--latency-msec=2", "--raw"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("parec starts");
        let shared = Arc::new(Mutex::new(Samples::default()));
        let mut out = child.stdout.take().expect("parec's stdout");
        let sink = shared.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096 * 4 * CHANNELS];
            let mut carry = Vec::new();
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let at = Instant::now();
                carry.extend_from_slice(&buf[..n]);
                let whole = carry.len() / (4 * CHANNELS) * (4 * CHANNELS);
                let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                for frame in carry[..whole].chunks_exact(4 * CHANNELS) {
                    let mut f = [0.0f32; CHANNELS];
                    for (c, b) in f.iter_mut().zip(frame.chunks_exact(4)) {
                        *c = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    }
                    s.frames.push(f);
                }
                let end = s.frames.len();
                s.chunks.push((end, at));
                carry.drain(..whole);
            }
        });
        // Let parec connect before the caller acts.
        let started = Instant::now();
        while shared.lock().unwrap_or_else(|p| p.into_inner()).chunks.is_empty()
            && started.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        Recording { child, samples: shared }
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Default)]
struct Samples {
    /// Every frame, its channels in order.
    frames: Vec<Frame>,
    /// (frames recorded so far, instant that chunk arrived).
    chunks: Vec<(usize, Instant)>,
}

/// One frame: a sample per channel.
pub type Frame = [f32; CHANNELS];

/// What the sink played since [`Pulse::record`].
pub struct Recording {
    child: Child,
    samples: Arc<Mutex<Samples>>,
}

impl Recording {
    /// The instant the first frame louder than `threshold` (0–1 of full scale)
    /// played, looking only at frames that played at or after `since`. A
    /// frame's instant is its chunk's arrival less the frames after it in that
    /// chunk, at the sink's rate.
    pub fn first_sound_after(&self, since: Instant, threshold: f32) -> Option<Instant> {
        let s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let mut start = 0;
        for &(end, at) in &s.chunks {
            for i in start..end {
                let t = frame_time(i, end, at);
                if t >= since && peak(&s.frames[i..=i]) > threshold {
                    return Some(t);
                }
            }
            start = end;
        }
        None
    }

    /// Waits up to `timeout` for [`Recording::first_sound_after`].
    pub fn wait_sound_after(&self, since: Instant, threshold: f32, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = self.first_sound_after(since, threshold) {
                return Some(t);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The frames that played between `from` and `to`.
    pub fn between(&self, from: Instant, to: Instant) -> Vec<Frame> {
        let s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        let mut start = 0;
        for &(end, at) in &s.chunks {
            for i in start..end {
                let t = frame_time(i, end, at);
                if t >= from && t <= to {
                    out.push(s.frames[i]);
                }
            }
            start = end;
        }
        out
    }

    /// Every frame so far.
    pub fn all(&self) -> Vec<Frame> {
        self.samples.lock().unwrap_or_else(|p| p.into_inner()).frames.clone()
    }
}

fn frame_time(i: usize, chunk_end: usize, arrived: Instant) -> Instant {
    let after = (chunk_end - 1 - i) as f64 / RATE as f64;
    arrived.checked_sub(Duration::from_secs_f64(after)).unwrap_or(arrived)
}

impl Drop for Recording {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The largest jump between neighbouring frames: a click is a jump far larger
/// than the music's own (a sine of amplitude `a` at `f` Hz moves at most
/// 2π·f·a/rate a frame).
pub fn largest_step(frames: &[Frame]) -> f32 {
    frames.windows(2).flat_map(|w| (0..CHANNELS).map(move |c| (w[1][c] - w[0][c]).abs())).fold(0.0, f32::max)
}

/// The largest magnitude in any channel of `frames`.
pub fn peak(frames: &[Frame]) -> f32 {
    frames.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()))
}

/// How a pause sounds, in `frames` that hold one: the pause is the first
/// stretch of exact zeros at least [`PAUSE_MIN`] long (the player gives exact
/// zeros when paused and the sink records float32; a dithering output would
/// need a threshold). A shorter gap is not the pause: a busy machine can
/// starve the device for a few milliseconds, and taking that gap for the
/// pause judged a resume by the sound coming back after the gap.
///
/// For each side of the pause, the peak of the half millisecond touching
/// the silence beside the peak of the 20 ms there: a sound cut dead meets
/// silence at its full level (a click), one faded meets it near zero.
/// `None` without such a stretch with 20 ms of sound on either side.
pub fn pause_edges(frames: &[Frame]) -> Option<PauseEdges> {
    let (half_ms, around) = (RATE as usize / 2000, RATE as usize / 50);
    let min_run = (PAUSE_MIN.as_secs_f64() * f64::from(RATE)) as usize;
    let silent = |f: &Frame| f.iter().all(|x| *x == 0.0);
    let mut i = 0;
    while i < frames.len() {
        if !silent(&frames[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < frames.len() && silent(&frames[i]) {
            i += 1;
        }
        if i - start < min_run {
            continue;
        }
        if start < around || frames.len() - i < around {
            return None;
        }
        return Some(PauseEdges {
            into: (peak(&frames[start - half_ms..start]), peak(&frames[start - around..start])),
            out_of: (peak(&frames[i..i + half_ms]), peak(&frames[i..i + around])),
            silent: Duration::from_secs_f64((i - start) as f64 / f64::from(RATE)),
        });
    }
    None
}

/// The shortest silence taken for a pause (a visitor's pause lasts far longer).
pub const PAUSE_MIN: Duration = Duration::from_millis(100);

/// What [`pause_edges`] found: (edge, level) going into the silence and coming out of it.
#[derive(Debug, Clone, Copy)]
pub struct PauseEdges {
    /// The last half millisecond before the silence, and the 20 ms before it.
    pub into: (f32, f32),
    /// The first half millisecond after the silence, and the 20 ms after it.
    pub out_of: (f32, f32),
    /// How long the silence lasted.
    pub silent: Duration,
}

/// Stretches of exact zeros at least `min` long between sounds in `frames`
/// (not at either end): gaps a visitor hears as the music stuttering.
pub fn gaps(frames: &[Frame], min: Duration) -> Vec<Duration> {
    let min_run = (min.as_secs_f64() * f64::from(RATE)) as usize;
    let silent = |f: &Frame| f.iter().all(|x| *x == 0.0);
    let mut out = Vec::new();
    let (mut run, mut sound_seen) = (0usize, false);
    for f in frames {
        if silent(f) {
            run += 1;
        } else {
            if sound_seen && run >= min_run {
                out.push(Duration::from_secs_f64(run as f64 / f64::from(RATE)));
            }
            run = 0;
            sound_seen = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ms` milliseconds of a 440 Hz sine at 0.5, faded in or out over 5 ms at the ends asked.
    fn tone(ms: usize, fade_in: bool, fade_out: bool) -> Vec<Frame> {
        let n = ms * RATE as usize / 1000;
        let fade = RATE as usize / 200;
        (0..n)
            .map(|i| {
                let mut g = 1.0f32;
                if fade_in && i < fade {
                    g = i as f32 / fade as f32;
                }
                if fade_out && n - i <= fade {
                    g = g.min((n - i - 1) as f32 / fade as f32);
                }
                let x = 0.5 * g * (i as f32 * 440.0 * std::f32::consts::TAU / RATE as f32 + 0.3).sin();
                [x; CHANNELS]
            })
            .collect()
    }

    fn silence(ms: usize) -> Vec<Frame> {
        vec![[0.0; CHANNELS]; ms * RATE as usize / 1000]
    }

    #[test]
    fn a_faded_pause_is_found_past_a_short_gap_and_the_gap_is_counted() {
        // Sound, a 6 ms dropout where the sound comes back at full level, more
        // sound, a faded pause of 300 ms, a faded resume, and another dropout.
        let frames: Vec<Frame> = [
            tone(50, false, false),
            silence(6),
            tone(60, false, true),
            silence(300),
            tone(60, true, false),
            silence(6),
            tone(60, false, false),
        ]
        .concat();
        let e = pause_edges(&frames).expect("the pause is found");
        assert!(e.silent >= Duration::from_millis(299) && e.silent <= Duration::from_millis(301), "{e:?}");
        assert!(e.into.0 <= 0.25 * e.into.1 && e.out_of.0 <= 0.25 * e.out_of.1, "faded on both sides: {e:?}");
        assert_eq!(gaps(&frames, Duration::from_millis(2)).len(), 3, "the dropouts and the pause");
        assert_eq!(gaps(&frames, PAUSE_MIN).len(), 1, "only the pause is that long");
    }

    #[test]
    fn a_pause_cut_dead_meets_silence_at_its_level() {
        let frames: Vec<Frame> = [tone(50, false, false), silence(200), tone(50, false, false)].concat();
        let e = pause_edges(&frames).expect("the pause is found");
        assert!(e.into.0 > 0.5 * e.into.1 && e.out_of.0 > 0.25 * e.out_of.1, "cut on both sides: {e:?}");
        assert!(pause_edges(&[tone(50, false, false), silence(50), tone(50, false, false)].concat()).is_none());
    }
}
