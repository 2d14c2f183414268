//! Running espeak-ng: text in on stdin, a WAV out on stdout.
//!
//! What keeps a visitor's or an editor's text literal:
//! - It goes in on stdin with `--stdin` (read whole, to the end), never as an
//!   argument: text starting with `-` cannot become an option, and without
//!   `--stdin` espeak-ng would read line by line in 1000-byte pieces, cutting
//!   long lines (and UTF-8 characters) apart.
//! - `-b 1`: the input is UTF-8, whatever the locale.
//! - Plain text is read without `-m`, so `<speak>` or `<b>` are words, not
//!   SSML. espeak-ng's command-line program always reads `[[...]]` as
//!   phoneme codes and has no switch for it, so a space is put between two
//!   `[` (brackets are not spoken either way). Control characters, which
//!   espeak-ng reads as embedded commands (and a NUL, which would end the
//!   text), become spaces.
//! - Spelling is the one place SSML is used (`-m`), to get espeak-ng's own
//!   reading of single characters (`say-as characters`): each character by
//!   name in the voice's language ("@" is "at sign" in English, "собака" in
//!   Russian). The text is escaped, so it cannot close the markup.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::SpeechError;
use crate::wav::{self, Pcm};

/// How the text is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// As words and sentences.
    Words,
    /// Character by character.
    Characters,
}

/// The text as espeak-ng is given it (see the module docs for why).
pub fn prepare(text: &str, reading: Reading) -> String {
    let mut plain = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            plain.push(' ');
        } else {
            if c == '[' && plain.ends_with('[') {
                plain.push(' ');
            }
            plain.push(c);
        }
    }
    match reading {
        Reading::Words => plain,
        Reading::Characters => {
            let mut escaped = String::with_capacity(plain.len() + 64);
            escaped.push_str("<speak><say-as interpret-as=\"characters\">");
            for c in plain.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&apos;"),
                    '\n' | '\t' => escaped.push(' '),
                    c => escaped.push(c),
                }
            }
            escaped.push_str("</say-as></speak>");
            escaped
        }
    }
}

/// Longer than any text takes (a 680-character paragraph: ~45 ms; a
/// 50-character address spelt: ~20 ms): only an espeak-ng that hangs reaches it, and is killed.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Synthesises `text` with `voice` (as `-v` takes it) at `rate` words per
/// minute, and decodes the WAV. A missing program is
/// [`SpeechError::Unavailable`]; anything else that goes wrong (a run
/// longer than [`TIMEOUT`] included), [`SpeechError::Synthesis`].
pub fn synthesize(program: &Path, voice: &str, rate: u32, text: &str, reading: Reading) -> Result<Pcm, SpeechError> {
    synthesize_within(program, voice, rate, text, reading, TIMEOUT)
}

fn synthesize_within(
    program: &Path,
    voice: &str,
    rate: u32,
    text: &str,
    reading: Reading,
    timeout: Duration,
) -> Result<Pcm, SpeechError> {
    let input = prepare(text, reading);
    let mut cmd = Command::new(program);
    cmd.args(["-b", "1", "--stdin", "--stdout", "-v", voice, "-s", &rate.to_string()]);
    if reading == Reading::Characters {
        cmd.arg("-m");
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| SpeechError::Unavailable(format!("cannot run {}: {e}", program.display())))?;
    let (mut stdin, mut stdout) = (child.stdin.take().expect("piped"), child.stdout.take().expect("piped"));
    // The text is written and the WAV read on threads of their own, so
    // neither side can wait on a full pipe, and a hung run can be killed.
    let (wav, written, status) = std::thread::scope(|s| {
        let writer = s.spawn(move || stdin.write_all(input.as_bytes()));
        let (tx, rx) = mpsc::channel();
        s.spawn(move || {
            let mut wav = Vec::new();
            let _ = tx.send(stdout.read_to_end(&mut wav).map(|_| wav));
        });
        let wav = match rx.recv_timeout(timeout) {
            Ok(read) => read.map_err(|e| format!("reading its output: {e}")),
            Err(_) => {
                let _ = child.kill();
                Err(format!("no output within {timeout:?}: killed"))
            }
        };
        (wav, writer.join(), child.wait())
    });
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let failed = |what: String| SpeechError::Synthesis(format!("espeak-ng -v {voice}: {what}"));
    let wav = wav.map_err(failed)?;
    let status = status.map_err(|e| failed(e.to_string()))?;
    if !status.success() {
        return Err(failed(format!("{status}: {}", stderr.trim())));
    }
    if let Ok(Err(e)) = written {
        return Err(failed(format!("writing the text: {e}")));
    }
    wav::decode(&wav).map_err(|e| failed(format!("its output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phoneme_brackets_are_broken_up_and_control_characters_blanked() {
        assert_eq!(prepare("[[h@loU]] x", Reading::Words), "[ [h@loU]] x");
        assert_eq!(prepare("[[[", Reading::Words), "[ [ [");
        assert_eq!(prepare("a\u{1}b\0c\nd", Reading::Words), "a b c\nd");
        assert_eq!(prepare("-v <b>", Reading::Words), "-v <b>", "plain text is not escaped: it is not read as markup");
    }

    /// A stand-in for espeak-ng: a shell script (run again if another
    /// thread's fork still held it open for writing: "text file busy").
    fn fake(script: &str, timeout: Duration) -> Result<Pcm, SpeechError> {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("espeak-ng");
        std::fs::write(&program, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        for _ in 0..20 {
            match synthesize_within(&program, "en", 175, "Hello.", Reading::Words, timeout) {
                Err(SpeechError::Unavailable(e)) if e.contains("busy") => std::thread::sleep(Duration::from_millis(20)),
                other => return other,
            }
        }
        panic!("the script never ran");
    }

    #[test]
    fn a_failing_hung_or_garbled_run_is_a_synthesis_error_that_says_why() {
        let err = fake("echo 'Error: no such voice' >&2; exit 3", TIMEOUT).unwrap_err();
        assert_eq!(err.code(), "speech_failed");
        assert!(err.to_string().contains("no such voice"), "espeak-ng's own words: {err}");

        let started = std::time::Instant::now();
        let err = fake("cat > /dev/null; exec sleep 30", Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "a hung run is killed, not waited for");
        assert!(err.to_string().contains("killed"), "{err}");

        let err = fake("cat > /dev/null; echo not a wav", TIMEOUT).unwrap_err();
        assert!(err.to_string().contains("RIFF"), "{err}");

        // It reads the text to the end before writing (as espeak-ng does with --stdin) and gives a WAV.
        let pcm = fake("cat > /dev/null; printf 'RIFF\\377\\377\\377\\177WAVEfmt \\20\\0\\0\\0\\1\\0\\1\\0\\42\\126\\0\\0\\104\\254\\0\\0\\2\\0\\20\\0data\\377\\377\\377\\177\\0\\100'", TIMEOUT).unwrap();
        assert_eq!((pcm.sample_rate, pcm.samples.as_slice()), (22_050, [0.5].as_slice()));
    }

    #[test]
    fn spelling_escapes_the_text_inside_the_markup() {
        assert_eq!(
            prepare("a<&>\"'\nb@c.d", Reading::Characters),
            "<speak><say-as interpret-as=\"characters\">a&lt;&amp;&gt;&quot;&apos; b@c.d</say-as></speak>"
        );
        assert_eq!(
            prepare("</say-as>-v", Reading::Characters),
            "<speak><say-as interpret-as=\"characters\">&lt;/say-as&gt;-v</say-as></speak>"
        );
    }
}
