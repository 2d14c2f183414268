//! Every sound's start and end, shaped. A sound cut off anywhere but at a
//! zero crossing jumps to silence in one sample, and the speaker answers
//! with a click: a visitor skipping from one track to the next heard one.
//! So each sound fades in over [`FADE_IN`] and, when stopped or replaced,
//! fades out over [`FADE_OUT`] instead of being cut, with the next sound
//! already starting beside it in the mixer. A pause is the same fall, after
//! which the envelope holds its place in the sound and gives silence until it
//! is released and rises again: the mixer's own pause cut the sound dead, a
//! click each time a visitor paused or resumed. So the envelope also counts
//! the frames it took, which is the track's position, held while paused.
//!
//! The envelope is also where the app's share of tap → sound is measured:
//! it marks the instant the device's callback pulled the first audible
//! sample, to compare with the instant the command arrived.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rodio::source::SeekError;
use rodio::{ChannelCount, SampleRate, Source};

/// How long a sound takes to rise to full volume (too short to hear as a fade).
pub const FADE_IN: Duration = Duration::from_millis(5);
/// How long a stopped sound takes to fall silent.
pub const FADE_OUT: Duration = Duration::from_millis(10);

/// The player's handle on one sound's envelope.
#[derive(Debug, Default)]
pub struct Control {
    fading: AtomicBool,
    held: AtomicBool,
    /// Frames of the sound taken so far (moved by a seek), and its rate.
    frames: AtomicU64,
    rate: AtomicU32,
    first_sound: Mutex<Option<Instant>>,
}

impl Control {
    /// Fades the sound out; it ends by itself [`FADE_OUT`] later.
    pub fn fade_out(&self) {
        self.fading.store(true, Ordering::SeqCst);
    }

    /// Pauses: the sound falls over [`FADE_OUT`], then silence while it keeps its place.
    pub fn hold(&self) {
        self.held.store(true, Ordering::SeqCst);
    }

    /// Sets where the sound is: it was started at `at`, at `rate` frames a second.
    pub fn set_position(&self, at: Duration, rate: u32) {
        self.rate.store(rate, Ordering::Relaxed);
        self.frames.store((at.as_micros() * u128::from(rate) / 1_000_000) as u64, Ordering::Relaxed);
    }

    /// Resumes where it was held, rising over [`FADE_IN`].
    pub fn release(&self) {
        self.held.store(false, Ordering::SeqCst);
    }

    /// Whether it is paused (or falling silent to pause).
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Where the sound is: what was taken of it so far (a seek moves it).
    pub fn position(&self) -> Duration {
        let rate = self.rate.load(Ordering::Relaxed).max(1);
        let frames = self.frames.load(Ordering::Relaxed);
        Duration::from_micros(frames.saturating_mul(1_000_000) / u64::from(rate))
    }

    /// When the device first pulled an audible sample of this sound.
    pub fn first_sound(&self) -> Option<Instant> {
        *self.first_sound.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A source with a fade-in, a fade-out on request, and a first-sound mark.
pub struct Envelope<S> {
    inner: S,
    control: Arc<Control>,
    channels: u16,
    /// Position inside the current frame: the gain changes only between frames.
    in_frame: u16,
    /// The current frame is silence in place of the sound (paused, fallen to zero).
    silent: bool,
    gain: f32,
    rise: f32,
    fall: f32,
    marked: bool,
}

impl<S: Source> Envelope<S> {
    /// Wraps `inner`; `control` fades it out and reads its mark.
    pub fn new(inner: S, control: Arc<Control>) -> Self {
        let rate = inner.sample_rate().get();
        let steps = |d: Duration| 1.0 / (rate as f32 * d.as_secs_f32()).max(1.0);
        control.rate.store(rate, Ordering::Relaxed);
        Envelope {
            channels: inner.channels().get(),
            inner,
            control,
            in_frame: 0,
            silent: false,
            gain: 0.0,
            rise: steps(FADE_IN),
            fall: steps(FADE_OUT),
            marked: false,
        }
    }
}

impl<S: Source> Iterator for Envelope<S> {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if self.in_frame == 0 {
            self.silent = false;
            if self.control.fading.load(Ordering::Relaxed) {
                self.gain -= self.fall;
                if self.gain <= 0.0 {
                    return None;
                }
            } else if self.control.held.load(Ordering::Relaxed) {
                self.gain = (self.gain - self.fall).max(0.0);
                self.silent = self.gain == 0.0;
            } else if self.gain < 1.0 {
                self.gain = (self.gain + self.rise).min(1.0);
            }
        }
        let channels = self.channels.max(1);
        if self.silent {
            // Whole frames of silence; the sound waits where it was.
            self.in_frame = (self.in_frame + 1) % channels;
            return Some(0.0);
        }
        let sample = self.inner.next()?;
        if self.in_frame == 0 {
            self.control.frames.fetch_add(1, Ordering::Relaxed);
        }
        self.in_frame = (self.in_frame + 1) % channels;
        if !self.marked && sample != 0.0 {
            self.marked = true;
            *self.control.first_sound.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
        Some(sample * self.gain)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<S: Source> Source for Envelope<S> {
    fn current_span_len(&self) -> Option<usize> {
        self.inner.current_span_len()
    }

    fn channels(&self) -> ChannelCount {
        self.inner.channels()
    }

    fn sample_rate(&self) -> SampleRate {
        self.inner.sample_rate()
    }

    fn total_duration(&self) -> Option<Duration> {
        self.inner.total_duration()
    }

    fn try_seek(&mut self, pos: Duration) -> Result<(), SeekError> {
        self.inner.try_seek(pos)?;
        let frames = pos.as_micros() * u128::from(self.inner.sample_rate().get()) / 1_000_000;
        self.control.frames.store(frames as u64, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZero;

    use rodio::source::SineWave;

    use super::*;

    fn rate() -> SampleRate {
        NonZero::new(48_000).unwrap()
    }

    #[test]
    fn a_sound_rises_over_the_fade_in_and_stops_within_the_fade_out_without_a_jump() {
        let control = Arc::new(Control::default());
        let mut env = Envelope::new(SineWave::new(1000.0), control.clone());
        assert_eq!(env.sample_rate(), rate());
        let start: Vec<f32> = env.by_ref().take(2400).collect();
        let rise = (48_000.0 * FADE_IN.as_secs_f32()) as usize;
        assert!(start[..rise / 2].iter().all(|x| x.abs() < 0.6), "half-way up the rise, at most about half volume");
        assert!(start[rise + 10..].iter().any(|x| x.abs() > 0.99), "full volume after the rise");
        assert!(control.first_sound().is_some(), "the first audible sample is marked");

        control.fade_out();
        let tail: Vec<f32> = env.by_ref().collect();
        let fall = (48_000.0 * FADE_OUT.as_secs_f32()) as usize;
        assert!(tail.len() <= fall + 1 && tail.len() >= fall - 1, "it ends after the fade: {} samples", tail.len());
        // A 1 kHz sine at full scale moves at most 2π·1000/48000 ≈ 0.131 a sample;
        // a cut would jump by up to 1.
        let jump = largest_step(&[&start[start.len() - 1..], &tail, &[0.0]].concat());
        assert!(jump < 0.14, "no step larger than the sine's own: {jump}");
    }

    /// The largest step between neighbouring samples.
    fn largest_step(samples: &[f32]) -> f32 {
        samples.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn a_pause_falls_silent_without_a_jump_holds_its_place_and_rises_again() {
        let control = Arc::new(Control::default());
        let mut env = Envelope::new(SineWave::new(1000.0), control.clone());
        let playing: Vec<f32> = env.by_ref().take(4800).collect();
        assert_eq!(control.position(), Duration::from_millis(100), "the position is what was taken");

        control.hold();
        let fall = (48_000.0 * FADE_OUT.as_secs_f32()) as usize;
        let pausing: Vec<f32> = env.by_ref().take(fall + 2).collect();
        let held: Vec<f32> = env.by_ref().take(48_000).collect();
        assert!(held.iter().all(|&x| x == 0.0), "paused: silence");
        let at = control.position();
        assert!(at <= Duration::from_millis(111), "the sound stopped where the fall ended: {at:?}");
        assert!(control.is_held());

        control.release();
        let resumed: Vec<f32> = env.by_ref().take(4800).collect();
        assert!(resumed[1000..].iter().any(|x| x.abs() > 0.99), "full volume again after the rise");
        assert_eq!(control.position(), at + Duration::from_millis(100), "it went on from where it was held");
        // A 1 kHz sine moves at most ≈ 0.131 a sample: a cut to silence or a
        // start at full volume would jump by up to 1.
        let through: Vec<f32> = [&playing[playing.len() - 1..], &pausing, &held[..10], &resumed].concat();
        let jump = largest_step(&through);
        assert!(jump < 0.14, "no step larger than the sine's own, pausing or resuming: {jump}");
    }

    #[test]
    fn a_seek_moves_the_position() {
        let control = Arc::new(Control::default());
        let mut env = Envelope::new(SineWave::new(1000.0), control.clone());
        env.by_ref().take(480).for_each(drop);
        env.try_seek(Duration::from_secs(3)).unwrap();
        assert_eq!(control.position(), Duration::from_secs(3));
    }
}
