//! The speaker: one utterance at a time, interrupted by the next.
//!
//! An utterance is played by one rodio [`Player`] from the output: its
//! first piece starts at once, later pieces are appended to the same
//! player's queue by a background thread as espeak-ng finishes them. Each
//! piece is wrapped in a [`kiosk_player::envelope::Envelope`]; stopping
//! fades every piece of the utterance out (the one playing ends within
//! [`kiosk_player::envelope::FADE_OUT`], the queued ones end before a
//! sample), and the generation counter keeps the thread from appending more.
//! The thread appends under the same lock that stopping takes, after
//! checking the generation again, so a piece is either appended before the
//! fade (and fades with the others) or never.
//!
//! Differences from the shape first sketched, and why: [`Utterance`] also
//! says whether the language fell back (`fallback`) and how long its first
//! piece plays (`first_chunk`), which is what a visitor hears before any
//! background synthesis matters; [`Speaker::synthesizing`],
//! [`Speaker::paused`] and [`Speaker::take_error`] let the app (and tests)
//! see the background work; [`Speaker::synthesize`] renders a whole text in
//! one run, without playing it, to compare or measure against.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use kiosk_player::AudioOutput;
use kiosk_player::envelope::{Control, Envelope};
use rodio::{Player, Source};

use crate::espeak::{self, Reading};
use crate::voices::{FALLBACK_LANG, Voices};
use crate::wav::Pcm;
use crate::{SpeechError, chunks};

/// espeak-ng's own default rate, words per minute: clear to a first-time listener.
pub const DEFAULT_RATE: u32 = 175;
/// The slowest rate espeak-ng takes.
pub const MIN_RATE: u32 = 80;
/// The fastest rate espeak-ng keeps intelligible (screen-reader users often
/// listen at 300–450).
pub const MAX_RATE: u32 = 450;
/// The speech volume until a visitor changes it, and again for the next
/// visitor. Below 1 so a visitor can also turn it up; espeak-ng's own
/// amplitude is left at its default and peaks near full scale.
pub const DEFAULT_VOLUME: f32 = 0.8;
/// How long the neutral tone lasts.
pub const TONE: Duration = Duration::from_millis(80);
const TONE_HZ: f32 = 880.0;
const TONE_SAMPLE_RATE: u32 = 48_000;
/// The tone's rise and fall: long enough that neither end clicks.
const TONE_FADE: Duration = Duration::from_millis(15);
/// About as loud as speech at the same volume (speech peaks near 1 but mostly sits far lower).
const TONE_LEVEL: f32 = 0.3;

/// What was said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    /// The text.
    pub text: String,
    /// The language it is said in: the one asked for, or [`FALLBACK_LANG`]
    /// when that has no voice.
    pub lang: String,
    /// Whether the language asked for had no voice, so [`FALLBACK_LANG`]'s was used.
    pub fallback: bool,
    /// The espeak-ng voice (see [`Voices::voice_for`]).
    pub voice: String,
    /// How many pieces it is synthesised in (0 for empty text).
    pub chunks: usize,
    /// How long the first piece, started at once, plays.
    pub first_chunk: Duration,
}

/// What one utterance shares with the thread synthesising its later pieces.
struct Live {
    /// Taken out when the utterance is stopped.
    player: Option<Player>,
    /// The envelope of every piece appended, to fade or hold them all.
    controls: Vec<Arc<Control>>,
    /// Paused: every piece held (see `kiosk_player::envelope`), those still
    /// to be appended too.
    held: bool,
    /// Whether later pieces are still being synthesised.
    synthesizing: bool,
    /// Why a later piece could not be synthesised (it and those after it are not said).
    error: Option<SpeechError>,
}

struct Current {
    live: Arc<Mutex<Live>>,
    /// The first piece's envelope: it marks the first sound.
    first: Arc<Control>,
    commanded: Instant,
    measured: bool,
}

fn lock(live: &Mutex<Live>) -> MutexGuard<'_, Live> {
    live.lock().unwrap_or_else(|p| p.into_inner())
}

/// Says text, spells it, or beeps, through an [`AudioOutput`], one thing at a time.
pub struct Speaker {
    voices: Voices,
    rate: u32,
    volume: f32,
    generation: Arc<AtomicU64>,
    current: Option<Current>,
}

impl Speaker {
    /// A silent speaker at [`DEFAULT_RATE`] and [`DEFAULT_VOLUME`].
    pub fn new(voices: Voices) -> Self {
        Self::with_rate(voices, DEFAULT_RATE)
    }

    /// A silent speaker at `words_per_minute`, kept within [`MIN_RATE`]..=[`MAX_RATE`].
    pub fn with_rate(voices: Voices, words_per_minute: u32) -> Self {
        Speaker {
            voices,
            rate: words_per_minute.clamp(MIN_RATE, MAX_RATE),
            volume: DEFAULT_VOLUME,
            generation: Arc::new(AtomicU64::new(0)),
            current: None,
        }
    }

    /// The rate, words per minute.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The voices it speaks with.
    pub fn voices(&self) -> &Voices {
        &self.voices
    }

    /// Interrupts whatever is being said and says `text` in `lang` (in
    /// [`FALLBACK_LANG`] when `lang` has no voice; the [`Utterance`] says
    /// so). The first sentence (or clause) is synthesised alone and started
    /// before this returns; the rest is synthesised on a background thread
    /// and follows it without a gap. Empty text stops and says nothing.
    pub fn say(&mut self, out: &mut impl AudioOutput, text: &str, lang: &str) -> Result<Utterance, SpeechError> {
        self.speak(out, text, lang, Reading::Words)
    }

    /// As [`say`](Self::say), but character by character with espeak-ng's
    /// names for them in the language ("j o h n at sign e x a m p l e dot c
    /// o m"), for reading back what a visitor typed. Spaces are pauses.
    pub fn spell(&mut self, out: &mut impl AudioOutput, text: &str, lang: &str) -> Result<Utterance, SpeechError> {
        self.speak(out, text, lang, Reading::Characters)
    }

    /// Interrupts whatever is being said and plays a short neutral beep
    /// ([`TONE`] long, faded in and out): said instead of each digit of the
    /// staff PIN, which is never spoken.
    pub fn tone(&mut self, out: &mut impl AudioOutput) -> Result<(), SpeechError> {
        let commanded = Instant::now();
        self.stop();
        self.start(out, tone(), commanded, false)?;
        Ok(())
    }

    /// `text` synthesised whole, in one espeak-ng run, and not played (to
    /// compare with or measure against what [`say`](Self::say) plays).
    pub fn synthesize(&self, text: &str, lang: &str) -> Result<Pcm, SpeechError> {
        let (voice, _, _) = self.resolve(lang)?;
        espeak::synthesize(self.voices.program(), &voice, self.rate, text, Reading::Words)
    }

    /// The voice for `lang`, the language actually said, and whether it fell back.
    fn resolve(&self, lang: &str) -> Result<(String, String, bool), SpeechError> {
        if let Some(voice) = self.voices.voice_for(lang) {
            return Ok((voice.to_string(), lang.to_string(), false));
        }
        match self.voices.voice_for(FALLBACK_LANG) {
            Some(voice) => Ok((voice.to_string(), FALLBACK_LANG.to_string(), true)),
            None => {
                Err(SpeechError::Unavailable(format!("no espeak-ng voice for `{lang}`, nor for `{FALLBACK_LANG}`")))
            }
        }
    }

    fn speak(
        &mut self,
        out: &mut impl AudioOutput,
        text: &str,
        lang: &str,
        reading: Reading,
    ) -> Result<Utterance, SpeechError> {
        let commanded = Instant::now();
        let (voice, said_lang, fallback) = self.resolve(lang)?;
        self.stop();
        let mut pieces = match reading {
            Reading::Words => chunks::split(text),
            Reading::Characters if text.trim().is_empty() => Vec::new(),
            // An address or a code is short: spelt in one piece.
            Reading::Characters => vec![text.to_string()],
        };
        let mut utterance = Utterance {
            text: text.to_string(),
            lang: said_lang,
            fallback,
            voice,
            chunks: pieces.len(),
            first_chunk: Duration::ZERO,
        };
        if pieces.is_empty() {
            return Ok(utterance);
        }
        let rest = pieces.split_off(1);
        let first = espeak::synthesize(self.voices.program(), &utterance.voice, self.rate, &pieces[0], reading)?;
        utterance.first_chunk = first.duration();
        let live = self.start(out, first.into_source(), commanded, !rest.is_empty())?;
        if !rest.is_empty() {
            let job = Job {
                program: self.voices.program().to_path_buf(),
                voice: utterance.voice.clone(),
                rate: self.rate,
                generation: self.generation.clone(),
                mine: self.generation.load(Ordering::SeqCst),
                live,
            };
            std::thread::Builder::new()
                .name("kiosk-speech".into())
                .spawn(move || job.run(rest))
                .map_err(|e| SpeechError::Synthesis(format!("cannot start the synthesis thread: {e}")))?;
        }
        Ok(utterance)
    }

    /// Starts `source` on a new player from `out`, as the current utterance.
    fn start(
        &mut self,
        out: &mut impl AudioOutput,
        source: impl Source + Send + 'static,
        commanded: Instant,
        synthesizing: bool,
    ) -> Result<Arc<Mutex<Live>>, SpeechError> {
        let player = out.connect()?;
        let first = Arc::new(Control::default());
        player.set_volume(self.volume);
        player.append(Envelope::new(source, first.clone()));
        player.play();
        let live = Arc::new(Mutex::new(Live {
            player: Some(player),
            controls: vec![first.clone()],
            held: false,
            synthesizing,
            error: None,
        }));
        self.current = Some(Current { live: live.clone(), first, commanded, measured: false });
        Ok(live)
    }

    /// Stops what is being said (fading it out over a few ms, never cut: a
    /// cut clicks) and cancels the synthesis of its later pieces.
    pub fn stop(&mut self) {
        // Moved on before taking the lock: see the module docs.
        self.generation.fetch_add(1, Ordering::SeqCst);
        let Some(current) = self.current.take() else {
            return;
        };
        let mut live = lock(&current.live);
        live.synthesizing = false;
        if let Some(player) = live.player.take() {
            if player.empty() {
                // Nothing left to hear.
                player.stop();
            } else {
                for control in &live.controls {
                    control.fade_out();
                }
                // The mixer keeps it until the fade ends it.
                player.detach();
            }
        }
    }

    /// Pauses what is being said, or continues it if paused. Returns whether
    /// it is paused now (`false` when nothing is being said).
    pub fn pause_toggle(&mut self) -> bool {
        if !self.speaking() {
            return false;
        }
        let Some(current) = &self.current else {
            return false;
        };
        let mut live = lock(&current.live);
        if live.player.is_none() {
            return false;
        }
        // Held in the envelopes, not the mixer's pause: that cut the voice
        // dead mid-word, a click; this falls silent over a few ms and rises
        // again where it stopped.
        live.held = !live.held;
        for control in &live.controls {
            if live.held { control.hold() } else { control.release() }
        }
        live.held
    }

    /// Whether what is being said is paused.
    pub fn paused(&self) -> bool {
        self.current.as_ref().is_some_and(|c| {
            let live = lock(&c.live);
            live.player.is_some() && live.held
        })
    }

    /// Sets the volume (0–1; the output's own level comes after it), for
    /// what is being said now (within a few ms) and what is said later.
    pub fn set_volume(&mut self, volume: f32) {
        self.volume = if volume.is_nan() { DEFAULT_VOLUME } else { volume.clamp(0.0, 1.0) };
        if let Some(current) = &self.current
            && let Some(player) = &lock(&current.live).player
        {
            player.set_volume(self.volume);
        }
    }

    /// The volume, 0–1.
    pub fn volume(&self) -> f32 {
        self.volume
    }

    /// For the next visitor: stops, and puts the volume back to [`DEFAULT_VOLUME`].
    pub fn reset(&mut self) {
        self.stop();
        self.volume = DEFAULT_VOLUME;
    }

    /// Whether an utterance (or tone) is under way: sound left to play,
    /// paused or not, or pieces still being synthesised.
    pub fn speaking(&self) -> bool {
        self.current.as_ref().is_some_and(|c| {
            let live = lock(&c.live);
            live.synthesizing || live.player.as_ref().is_some_and(|p| !p.empty())
        })
    }

    /// Whether later pieces of the current utterance are still being synthesised.
    pub fn synthesizing(&self) -> bool {
        self.current.as_ref().is_some_and(|c| lock(&c.live).synthesizing)
    }

    /// Why a later piece of the current utterance could not be synthesised
    /// (it and those after it were not said), once.
    pub fn take_error(&mut self) -> Option<SpeechError> {
        lock(&self.current.as_ref()?.live).error.take()
    }

    /// How long after its command the current utterance's (or tone's)
    /// first audible sample was handed to the output: synthesis of the first
    /// piece plus the output's pull, as [`kiosk_player::FirstSound`] measures
    /// music. `None` until then, and after it was taken once.
    pub fn take_first_sound_latency(&mut self) -> Option<Duration> {
        let current = self.current.as_mut().filter(|c| !c.measured)?;
        let at = current.first.first_sound()?;
        current.measured = true;
        Some(at.saturating_duration_since(current.commanded))
    }
}

impl Drop for Speaker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The synthesis of an utterance's later pieces, off the caller's thread.
struct Job {
    program: PathBuf,
    voice: String,
    rate: u32,
    generation: Arc<AtomicU64>,
    /// The generation this utterance was started in.
    mine: u64,
    live: Arc<Mutex<Live>>,
}

impl Job {
    fn current(&self) -> bool {
        self.generation.load(Ordering::SeqCst) == self.mine
    }

    fn run(self, pieces: Vec<String>) {
        for piece in pieces {
            if !self.current() {
                return; // a newer command: not even synthesised
            }
            let result = espeak::synthesize(&self.program, &self.voice, self.rate, &piece, Reading::Words);
            let mut live = lock(&self.live);
            if !self.current() {
                return; // stopped while it was synthesised: see the module docs
            }
            let Live { player: Some(player), controls, error, held, .. } = &mut *live else {
                return;
            };
            match result {
                Ok(pcm) if pcm.samples.is_empty() => {}
                Ok(pcm) => {
                    let control = Arc::new(Control::default());
                    if *held {
                        control.hold();
                    }
                    player.append(Envelope::new(pcm.into_source(), control.clone()));
                    controls.push(control);
                }
                Err(e) => {
                    *error = Some(e);
                    break;
                }
            }
        }
        lock(&self.live).synthesizing = false;
    }
}

/// The neutral beep: an 880 Hz sine with raised-cosine ends.
fn tone() -> rodio::buffer::SamplesBuffer {
    let rate = TONE_SAMPLE_RATE as f32;
    let n = (rate * TONE.as_secs_f32()) as usize;
    let fade = (rate * TONE_FADE.as_secs_f32()) as usize;
    let samples: Vec<f32> = (0..n)
        .map(|i| {
            let edge = i.min(n - 1 - i);
            let gain =
                if edge < fade { 0.5 - 0.5 * (std::f32::consts::PI * edge as f32 / fade as f32).cos() } else { 1.0 };
            TONE_LEVEL * gain * (std::f32::consts::TAU * TONE_HZ * i as f32 / rate).sin()
        })
        .collect();
    Pcm { sample_rate: TONE_SAMPLE_RATE, channels: 1, samples }.into_source()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_speaker_can_be_shared_with_the_app_s_command_threads() {
        fn send<T: Send>() {}
        send::<Speaker>();
    }

    #[test]
    fn the_tone_starts_and_ends_at_silence_and_rises_in_between() {
        let samples: Vec<f32> = tone().collect();
        assert_eq!(samples.len(), 3_840, "80 ms at 48 kHz");
        assert!(samples[0].abs() < 1e-6 && samples[samples.len() - 1].abs() < 1e-3, "both ends at zero");
        let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak - TONE_LEVEL).abs() < 0.01, "full level in the middle: {peak}");
    }
}
