//! The speaker with the real espeak-ng and no sound card: rodio's queue
//! output stands in for the device, and the samples pulled from it are what
//! a visitor would hear. Needs espeak-ng (Debian: `apt-get install espeak-ng`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_player::QueueOutput;
use kiosk_player::envelope::FADE_OUT;
use kiosk_speech::{DEFAULT_VOLUME, FALLBACK_LANG, Speaker, SpeechError, TONE, Voices};
use rodio::Source;
use rodio::queue::SourcesQueueOutput;

/// espeak-ng's output rate.
const RATE: usize = 22_050;

const LONG_EN: &str = "The embassy welcomes you. Consular services are open from Monday to Friday, \
    from nine in the morning until one in the afternoon. To apply for a visa, bring your passport, \
    two photographs and the completed form. Fees are paid by card only. Appointments for notarial \
    acts are made by telephone. Please keep your ticket visible while you wait. Documents in a \
    language other than English must come with a certified translation. Children under fourteen \
    travel on a parent's passport or their own. If your passport was lost or stolen, report it to \
    the police first and bring their report with you. The reception desk can answer any other \
    question you may have. Thank you for your visit.";

fn voices() -> Voices {
    Voices::detect().expect("espeak-ng is installed (apt-get install espeak-ng)")
}

fn speaker() -> Speaker {
    Speaker::new(voices())
}

fn pull(q: &mut SourcesQueueOutput, n: usize) -> Vec<f32> {
    (0..n).map(|_| q.next().unwrap_or(0.0)).collect()
}

/// Everything the current utterance plays: once its synthesis is done (a
/// device pulls at real time; a test pulls faster than espeak-ng
/// synthesises), until it is over.
fn hear(speaker: &Speaker, q: &mut SourcesQueueOutput) -> Vec<f32> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while speaker.synthesizing() {
        assert!(Instant::now() < deadline, "synthesis finishes");
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut out = Vec::new();
    while speaker.speaking() {
        out.extend(pull(q, 1024));
        assert!(out.len() < 300 * RATE, "the utterance ends");
    }
    out
}

fn rms(xs: &[f32]) -> f32 {
    (xs.iter().map(|x| x * x).sum::<f32>() / xs.len().max(1) as f32).sqrt()
}

/// From the first to the last audible sample, in seconds.
fn audible_secs(xs: &[f32], rate: usize) -> f64 {
    let loud = |x: &&f32| x.abs() > 0.01;
    match (xs.iter().position(|x| loud(&x)), xs.iter().rposition(|x| loud(&x))) {
        (Some(a), Some(b)) => (b + 1 - a) as f64 / rate as f64,
        _ => 0.0,
    }
}

/// Seconds of 10 ms windows loud enough to be voice rather than a pause.
fn voiced_secs(xs: &[f32]) -> f64 {
    xs.chunks(RATE / 100).filter(|w| rms(w) > 0.02).count() as f64 / 100.0
}

fn max_step(xs: &[f32]) -> f32 {
    xs.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

#[test]
fn a_sentence_in_english_russian_and_kazakh_is_heard_at_a_plausible_length() {
    for (lang, text) in [
        ("en", "The embassy is open from nine in the morning until one in the afternoon."),
        ("ru", "Посольство открыто с девяти часов утра до часу дня."),
        ("kk", "Елшілік таңғы сағат тоғыздан түскі сағат бірге дейін жұмыс істейді."),
    ] {
        let mut out = QueueOutput::new();
        let mut s = speaker();
        let u = s.say(&mut out, text, lang).unwrap();
        assert_eq!((u.lang.as_str(), u.fallback, u.chunks), (lang, false, 1), "{lang}: its own voice, one piece");
        assert_eq!(Some(u.voice.as_str()), s.voices().voice_for(lang));
        let mut q = out.take().expect("the speaker connected to the output");
        let heard = hear(&s, &mut q);
        let secs = audible_secs(&heard, RATE);
        let per_char = secs / text.chars().count() as f64;
        eprintln!("{lang}: {} chars, {secs:.2} s audible, {per_char:.3} s/char", text.chars().count());
        assert!(rms(&heard) > 0.03, "{lang}: speech is heard: rms {}", rms(&heard));
        // Measured at 175 wpm: en 0.047, ru 0.053, kk 0.063 s per character.
        assert!((0.035..=0.12).contains(&per_char), "{lang}: {per_char:.3} s per character");
        assert!(!s.speaking(), "over once heard");
        assert!(s.take_first_sound_latency().is_some(), "the first sound was marked");
    }
}

#[test]
fn a_long_text_starts_with_its_first_sentence_alone_and_then_says_all_of_it() {
    let mut out = QueueOutput::new();
    let mut s = speaker();
    let first_sentence = s.synthesize("The embassy welcomes you.", "en").unwrap();
    let whole = s.synthesize(LONG_EN, "en").unwrap();
    assert_eq!(whole.sample_rate as usize, RATE);

    let u = s.say(&mut out, LONG_EN, "en").unwrap();
    assert!(u.chunks >= 3, "a long text is synthesised in pieces: {}", u.chunks);
    assert_eq!(u.first_chunk, first_sentence.duration(), "the first piece is the first sentence, synthesised alone");
    assert!(u.first_chunk < whole.duration() / 5, "{:?} of {:?}", u.first_chunk, whole.duration());

    let mut q = out.take().unwrap();
    let heard = hear(&s, &mut q);
    // What is heard first is exactly that sentence, at the speaker's volume
    // (after the envelope's few-ms rise).
    let n = first_sentence.samples.len();
    let err = heard[200..n]
        .iter()
        .zip(&first_sentence.samples[200..])
        .map(|(h, r)| (h - r * DEFAULT_VOLUME).abs())
        .fold(0.0, f32::max);
    assert!(err < 1e-3, "the first sentence's samples come first: error {err}");
    // And all of it follows: as long as the text synthesised in one run.
    let (heard_s, whole_s) = (audible_secs(&heard, RATE), audible_secs(&whole.samples, RATE));
    eprintln!("long text: {} pieces, heard {heard_s:.2} s, one run {whole_s:.2} s", u.chunks);
    assert!((heard_s - whole_s).abs() < whole_s * 0.08, "heard {heard_s:.2} s vs {whole_s:.2} s in one run");
    let whole_at_volume: Vec<f32> = whole.samples.iter().map(|x| x * DEFAULT_VOLUME).collect();
    let voiced = (voiced_secs(&heard), voiced_secs(&whole_at_volume));
    assert!((voiced.0 - voiced.1).abs() < voiced.1 * 0.05, "the same speech, voiced {voiced:?} s");
}

/// A speaker whose espeak-ng is a shell script in `dir` that runs the real
/// one (`exec espeak-ng "$@"`) as `script` decides; `$ONCE` is a file
/// created by `touch "$ONCE"`, so a script can tell its first run from later ones.
fn wrapped_speaker(dir: &std::path::Path, script: &str) -> Speaker {
    let program = dir.join("espeak-ng");
    let once = dir.join("once");
    std::fs::write(&program, format!("#!/bin/sh\nONCE='{}'\n{script}\n", once.display())).unwrap();
    std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let listing = Command::new("espeak-ng").arg("--voices").output().unwrap().stdout;
    Speaker::new(Voices::from_listing(&program, &String::from_utf8_lossy(&listing)))
}

/// `say`, again while the just-written script is "busy" (another test
/// thread's fork may still hold it open for writing).
fn say_retrying(s: &mut Speaker, out: &mut QueueOutput, text: &str) -> Result<kiosk_speech::Utterance, SpeechError> {
    for _ in 0..50 {
        match s.say(out, text, "en") {
            Err(SpeechError::Unavailable(e)) if e.contains("busy") => std::thread::sleep(Duration::from_millis(20)),
            other => return other,
        }
    }
    panic!("the script never ran");
}

/// Counts audible samples left in an interrupted utterance's queue, pulling
/// well past where its later pieces would have been appended.
fn left_after_interruption(q: &mut SourcesQueueOutput) -> (usize, usize) {
    let fade = pull(q, RATE / 10);
    std::thread::sleep(Duration::from_millis(300));
    let after: Vec<f32> = pull(q, RATE * 40);
    (fade.iter().filter(|x| **x != 0.0).count(), after.iter().filter(|x| **x != 0.0).count())
}

#[test]
fn a_new_utterance_interrupts_the_old_one_and_its_pending_pieces_never_play() {
    let fade_samples = (RATE as f64 * FADE_OUT.as_secs_f64()) as usize + 2;
    // Interrupted while playing, after its later pieces were appended.
    let mut out = QueueOutput::new();
    let mut s = speaker();
    s.say(&mut out, LONG_EN, "en").unwrap();
    let mut old = out.take().unwrap();
    assert!(rms(&pull(&mut old, RATE / 2)) > 0.02, "the first text is being said");
    while s.synthesizing() {
        std::thread::sleep(Duration::from_millis(2));
    }
    s.say(&mut out, "Next item.", "en").unwrap();
    let mut new = out.take().unwrap();
    let (fading, after) = left_after_interruption(&mut old);
    assert!(fading <= fade_samples, "the old speech fades out at once: {fading} samples");
    assert_eq!(after, 0, "nothing more of the old speech plays");
    assert!(rms(&hear(&s, &mut new)) > 0.03, "the new one is heard");

    // Interrupted before a sample was heard, while a later piece was being
    // synthesised (espeak-ng slowed down after its first run so that it is).
    let dir = tempfile::tempdir().unwrap();
    let mut slow = wrapped_speaker(dir.path(), "[ -e \"$ONCE\" ] && sleep 0.4\ntouch \"$ONCE\"\nexec espeak-ng \"$@\"");
    say_retrying(&mut slow, &mut out, LONG_EN).unwrap();
    let mut old = out.take().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(slow.synthesizing(), "a later piece is being synthesised");
    slow.say(&mut out, "Next item.", "en").unwrap();
    let mut new = out.take().unwrap();
    std::thread::sleep(Duration::from_millis(600)); // the old piece's synthesis ends meanwhile
    let (fading, after) = left_after_interruption(&mut old);
    assert_eq!(
        (fading, after),
        (0, 0),
        "none of the old speech plays, nor its piece synthesised after the interruption"
    );
    assert!(rms(&hear(&slow, &mut new)) > 0.03);

    // stop() alone, likewise.
    s.say(&mut out, LONG_EN, "en").unwrap();
    let mut old = out.take().unwrap();
    pull(&mut old, RATE / 4);
    s.stop();
    assert!(!s.speaking());
    let (fading, after) = left_after_interruption(&mut old);
    assert!(fading <= fade_samples && after == 0, "stopped: {fading} then {after} samples");
}

/// espeak-ng run directly, with `text` as it is (to show what it would do with it).
fn raw_espeak(text: &str) -> Vec<f32> {
    use std::io::Write;
    let mut child = Command::new("espeak-ng")
        .args(["-b", "1", "--stdin", "--stdout", "-v", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    kiosk_speech::wav::decode(&child.wait_with_output().unwrap().stdout).unwrap().samples
}

#[test]
fn text_that_looks_like_options_markup_or_phonemes_is_spoken_literally() {
    let mut out = QueueOutput::new();
    let mut s = speaker();
    let mut say = |text: &str| {
        let u = s.say(&mut out, text, "en").unwrap_or_else(|e| panic!("`{text}` is said: {e}"));
        assert_eq!(u.text, text);
        let heard = hear(&s, &mut out.take().unwrap());
        assert!(rms(&heard) > 0.02, "`{text}` is heard");
        audible_secs(&heard, RATE)
    };
    // As options, espeak-ng would fail (`-v xx`) or print its help instead of a WAV.
    say("-v xx --help");
    say("--stdout -w /tmp/x.wav");
    // As SSML, only "Hi" would be said; literally, the tags' words are too.
    let hi = say("Hi");
    let tagged = say("<speak>Hi</speak>");
    assert!(tagged > hi * 2.0, "the tags are read out: {tagged:.2} s vs {hi:.2} s");
    say("He said \"wait\" & left.\nLine two < line three > 'four'");
    // espeak-ng reads [[...]] as phoneme codes; the speaker reads the characters.
    let phonemes = audible_secs(&raw_espeak("[[h@loU]]"), RATE);
    let literal = say("[[h@loU]]");
    assert!(literal > phonemes * 1.5, "not read as phonemes: {literal:.2} s vs {phonemes:.2} s");
}

#[test]
fn spelling_an_email_says_each_character_and_names_the_at_sign() {
    let mut out = QueueOutput::new();
    let mut s = speaker();
    let mut heard = |s: &mut Speaker, spell: bool, text: &str, lang: &str| {
        if spell { s.spell(&mut out, text, lang) } else { s.say(&mut out, text, lang) }.unwrap();
        hear(s, &mut out.take().unwrap())
    };
    let said = voiced_secs(&heard(&mut s, false, "john@example.com", "en"));
    let spelt = voiced_secs(&heard(&mut s, true, "john@example.com", "en"));
    eprintln!("john@example.com: said {said:.2} s, spelt {spelt:.2} s voiced");
    assert!(spelt > said * 2.0, "spelt letter by letter: {spelt:.2} s vs {said:.2} s");
    for lang in ["en", "ru"] {
        // The "@" is a word ("at sign", "собака"), not a pause.
        let with = voiced_secs(&heard(&mut s, true, "a@b", lang));
        let without = voiced_secs(&heard(&mut s, true, "ab", lang));
        assert!(with - without > 0.15, "{lang}: '@' is named: {with:.2} s vs {without:.2} s voiced");
        let dot = voiced_secs(&heard(&mut s, true, "a.b", lang));
        eprintln!("{lang}: spelt ab {without:.2} s, a@b {with:.2} s, a.b {dot:.2} s voiced");
        assert!(dot - without > 0.07, "{lang}: '.' is named: {dot:.2} s vs {without:.2} s voiced");
    }
    // Markup in the text stays text.
    let u = s.spell(&mut out, "</say-as>x", "en").unwrap();
    assert!(voiced_secs(&hear(&s, &mut out.take().unwrap())) > 1.0, "{u:?}: each character named");
}

#[test]
fn the_tone_is_short_audible_and_faded_at_both_ends() {
    let mut out = QueueOutput::new();
    let mut s = speaker();
    s.tone(&mut out).unwrap();
    let mut q = out.take().unwrap();
    let first = q.next().unwrap();
    let rate = q.sample_rate().get() as usize;
    let mut heard = vec![first];
    heard.extend(pull(&mut q, rate / 5));
    let secs = audible_secs(&heard, rate);
    assert!(rms(&heard) > 0.01, "it is heard");
    assert!((secs - TONE.as_secs_f64()).abs() < 0.02, "it lasts about {:?}: {secs:.3} s audible", TONE);
    // From silence, through the tone, back to silence: no step larger than
    // the 880 Hz sine's own at its level (2π·880/48000 × 0.3 ≈ 0.035); a cut would step by up to 0.3.
    let step = max_step(&[&[0.0], heard.as_slice()].concat());
    assert!(step < 0.036, "no click: largest step {step}");
    assert!(heard[0].abs() < 1e-3 && heard[heard.len() - 1] == 0.0, "starts and ends at zero");
    assert!(s.take_first_sound_latency().is_some());
    assert!(!s.speaking(), "over");
}

#[test]
fn a_language_without_a_voice_falls_back_to_english() {
    let mut out = QueueOutput::new();
    let mut s = speaker();
    let u = s.say(&mut out, "Welcome.", "xx-YY").unwrap();
    assert!(u.fallback, "the utterance says it fell back");
    assert_eq!(u.lang, FALLBACK_LANG);
    assert_eq!(Some(u.voice.as_str()), s.voices().voice_for("en"));
    assert!(rms(&hear(&s, &mut out.take().unwrap())) > 0.03);
    // A regional tag falls back to its language, not to English.
    let u = s.say(&mut out, "Добро пожаловать.", "ru-KZ").unwrap();
    assert_eq!((u.fallback, Some(u.voice.as_str())), (false, s.voices().voice_for("ru")));
}

#[test]
fn volume_scales_the_samples_now_and_later_and_resets_for_the_next_visitor() {
    let text = "Volume check, one two three.";
    let mut out = QueueOutput::new();
    let mut s = speaker();
    s.set_volume(1.0);
    s.say(&mut out, text, "en").unwrap();
    let full = hear(&s, &mut out.take().unwrap());
    s.set_volume(0.25);
    assert_eq!(s.volume(), 0.25);
    s.say(&mut out, text, "en").unwrap();
    let quarter = hear(&s, &mut out.take().unwrap());
    let err = full[200..].iter().zip(&quarter[200..]).map(|(f, q)| (f * 0.25 - q).abs()).fold(0.0, f32::max);
    assert!(err < 1e-3, "the same speech at a quarter of the amplitude: error {err}");

    // Changed while speaking: applied within the player's few-ms update.
    s.set_volume(1.0);
    s.say(&mut out, LONG_EN, "en").unwrap();
    let mut q = out.take().unwrap();
    assert!(rms(&pull(&mut q, RATE / 2)) > 0.02);
    s.set_volume(0.0);
    pull(&mut q, RATE / 50);
    assert_eq!(rms(&pull(&mut q, RATE)), 0.0, "muted at once");

    s.set_volume(7.0);
    assert_eq!(s.volume(), 1.0, "kept within 0–1");
    s.reset();
    assert_eq!(s.volume(), DEFAULT_VOLUME, "the next visitor starts at the default volume");
    assert!(!s.speaking(), "and in silence");
}

#[test]
fn pause_holds_the_speech_and_resumes_it() {
    let mut out = QueueOutput::new();
    let mut s = speaker();
    assert!(!s.pause_toggle(), "nothing to pause");
    s.say(&mut out, LONG_EN, "en").unwrap();
    let mut q = out.take().unwrap();
    // Into a word (mono at 22 050 Hz), where a cut would be heard.
    let said = pull(&mut q, RATE * 3 / 4);
    assert!(s.pause_toggle(), "paused");
    assert!(s.paused() && s.speaking(), "paused speech is still under way");
    let falling = pull(&mut q, RATE / 50);
    assert_eq!(rms(&pull(&mut q, RATE / 2)), 0.0, "silence while paused");
    // No click: the voice meets silence near zero, not at its level (the
    // mixer's pause cut it dead at whatever sample it was on).
    let through = [&said[said.len() - RATE / 50..], &falling[..]].concat();
    let silent_from = through.iter().rposition(|x| *x != 0.0).map_or(0, |i| i + 1);
    let edge = through[silent_from.saturating_sub(RATE / 2000)..silent_from].iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let level = through[silent_from.saturating_sub(RATE / 50)..silent_from].iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(level > 0.01, "paused while speaking (level {level})");
    // A 10 ms fall ends its last half millisecond at ≤ 5 % gain; the cut here
    // (deterministic: the same words, pulled alike) met silence at 0.11.
    assert!(edge <= 0.08 * level, "the voice meets silence at {edge:.4}, its level {level:.4}: a click");
    assert!(!s.pause_toggle(), "resumed");
    pull(&mut q, RATE / 50);
    assert!(rms(&pull(&mut q, RATE)) > 0.02, "speech again");
    s.pause_toggle();
    s.stop();
    assert!(!s.speaking() && !s.paused(), "stopping a paused utterance ends it");
}

#[test]
fn without_espeak_ng_speech_is_unavailable_and_says_why() {
    let err = Voices::detect_with("/nonexistent/espeak-ng").unwrap_err();
    assert!(matches!(err, SpeechError::Unavailable(_)), "{err:?}");
    assert_eq!(err.code(), "speech_unavailable");
    // Voices from a listing whose program has since gone: each utterance fails, the caller goes on.
    let listing = " 5  en-gb  --/M  English gmw/en (en 2)\n";
    let mut s = Speaker::new(Voices::from_listing("/nonexistent/espeak-ng", listing));
    let err = s.say(&mut QueueOutput::new(), "Hello.", "en").unwrap_err();
    assert_eq!(err.code(), "speech_unavailable", "{err}");
    assert!(!s.speaking());
}

#[test]
fn empty_text_says_nothing_and_stops_what_was_said() {
    let mut out = QueueOutput::new();
    let mut s = speaker();
    s.say(&mut out, LONG_EN, "en").unwrap();
    let u = s.say(&mut out, "  \n ", "en").unwrap();
    assert_eq!(u.chunks, 0);
    assert!(!s.speaking());
}

/// Not a benchmark (nothing is compared): the figures the brief's log needs,
/// printed with `--nocapture`, with bounds far above them.
#[test]
fn synthesis_and_first_sound_times() {
    let s = speaker();
    let time = |text: &str| {
        let runs: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                s.synthesize(text, "en").unwrap();
                t.elapsed()
            })
            .collect();
        let mut sorted = runs.clone();
        sorted.sort();
        sorted[2]
    };
    let label = time("Music");
    let paragraph = time(LONG_EN);
    eprintln!(
        "espeak-ng start → WAV decoded, median of 5: label (5 chars) {label:?}, paragraph ({} chars) {paragraph:?}",
        LONG_EN.len()
    );
    assert!(label < Duration::from_secs(2) && paragraph < Duration::from_secs(5));

    let mut out = QueueOutput::new();
    let mut s = speaker();
    let mut first_sound = |text: &str| {
        s.say(&mut out, text, "en").unwrap();
        let mut q = out.take().unwrap();
        pull(&mut q, RATE / 10);
        s.take_first_sound_latency().expect("marked")
    };
    let short = first_sound("Music");
    let long = first_sound(LONG_EN);
    eprintln!("command → first audible sample pulled: label {short:?}, long text {long:?}");
}

#[test]
fn a_later_piece_that_cannot_be_synthesised_is_reported_and_the_rest_is_not_said() {
    // espeak-ng that works once, then fails: the first piece plays, the later ones cannot be made.
    let dir = tempfile::tempdir().unwrap();
    let mut s = wrapped_speaker(
        dir.path(),
        "if [ -e \"$ONCE\" ]; then cat > /dev/null; echo 'Error: out of memory' >&2; exit 1; fi\n\
         touch \"$ONCE\"\nexec espeak-ng \"$@\"",
    );
    let mut out = QueueOutput::new();
    let u = say_retrying(&mut s, &mut out, LONG_EN).unwrap();
    let heard = hear(&s, &mut out.take().unwrap());
    let err = s.take_error().expect("the failure is kept for the log");
    assert_eq!(err.code(), "speech_failed");
    assert!(err.to_string().contains("out of memory"), "{err}");
    let secs = heard.len() as f64 / RATE as f64;
    assert!(
        (secs - u.first_chunk.as_secs_f64()).abs() < 0.1,
        "only the first piece was said: {secs:.2} s heard, first piece {:?}",
        u.first_chunk
    );
    assert!(s.take_error().is_none(), "reported once");
}

/// An output with no device behind it.
struct NoDevice;

impl kiosk_player::AudioOutput for NoDevice {
    fn connect(&mut self) -> Result<rodio::Player, kiosk_player::AudioError> {
        Err(kiosk_player::AudioError::Unavailable("no device".into()))
    }
    fn available(&self) -> bool {
        false
    }
}

#[test]
fn without_a_sound_device_speech_says_audio_unavailable() {
    let mut s = speaker();
    for err in [s.say(&mut NoDevice, "Hello.", "en").unwrap_err(), s.tone(&mut NoDevice).unwrap_err()] {
        assert_eq!(err.code(), "audio_unavailable", "{err}");
    }
    assert!(!s.speaking());
    // The same speaker speaks once a device is there.
    let mut out = QueueOutput::new();
    s.say(&mut out, "Hello.", "en").unwrap();
    assert!(rms(&hear(&s, &mut out.take().unwrap())) > 0.03);
}
