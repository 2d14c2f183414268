//! Music uploads: what the kiosk can play (Ogg Vorbis, FLAC) is accepted
//! after decoding it in full; anything else is refused with what to do.

use kiosk_content::source::{MAX_AUDIO_BYTES, decoded_duration_ms};

/// An accepted upload.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Upload {
    pub file: String,
    pub mime: String,
    pub duration_ms: u64,
}

const CONVERT: &str = "Convert it to Ogg Vorbis (.ogg) or FLAC (.flac) first, for example in Audacity: \
    File → Export → Export as OGG.";

/// What the bytes are, by their first bytes (the name can lie).
fn kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"OggS") {
        Some("ogg")
    } else if bytes.starts_with(b"fLaC") {
        Some("flac")
    } else if bytes.starts_with(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some("mp3")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        Some("wav")
    } else {
        None
    }
}

/// A file name safe in `music/` and in TOML: lower-case letters, digits,
/// `-` and `_`, with the extension the content says it has.
pub fn safe_name(name: &str, ext: &str) -> String {
    let stem = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let mut out = String::new();
    for c in stem.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    let out = if out.is_empty() { "track" } else { out };
    format!("{}.{ext}", &out[..out.len().min(60)])
}

/// Checks an upload; the error is for the staff member, in plain words.
pub fn check(name: &str, bytes: &[u8]) -> Result<(String, &'static str, u64), String> {
    if bytes.len() as u64 > MAX_AUDIO_BYTES {
        return Err(format!(
            "The file is {:.1} MB; a music sample may be at most {} MB. Shorten it, or export it at a lower quality.",
            bytes.len() as f64 / 1_048_576.0,
            MAX_AUDIO_BYTES / 1_048_576
        ));
    }
    let (ext, mime) = match kind(bytes) {
        Some("ogg") => ("ogg", "audio/ogg"),
        Some("flac") => ("flac", "audio/flac"),
        Some("mp3") => return Err(format!("This is an MP3 file, which the kiosk does not play. {CONVERT}")),
        Some(_) => return Err(format!("This is a WAV file, which is too large for the kiosk's bundle. {CONVERT}")),
        None => return Err(format!("“{name}” is not an audio file the kiosk can play. {CONVERT}")),
    };
    let ms = decoded_duration_ms(bytes)
        .map_err(|e| format!("The file looks like {ext} but cannot be played ({e}). Export it again. {CONVERT}"))?;
    Ok((safe_name(name, ext), mime, ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe_and_mp3_and_wav_are_refused_with_a_reason() {
        assert_eq!(safe_name("My Song (live).OGG", "ogg"), "my-song-live.ogg");
        assert_eq!(safe_name("../../etc/passwd", "ogg"), "passwd.ogg");
        assert_eq!(safe_name("Дала.ogg", "ogg"), "track.ogg");
        let mp3 = check("a.mp3", b"ID3\x04\0\0\0\0\0\0").unwrap_err();
        assert!(mp3.contains("MP3") && mp3.contains("Ogg"), "{mp3}");
        let wav = check("a.wav", b"RIFF\0\0\0\0WAVEfmt ").unwrap_err();
        assert!(wav.contains("WAV"), "{wav}");
        assert!(check("a.ogg", b"hello").unwrap_err().contains("not an audio file"));
        assert!(check("a.ogg", b"OggS\0\0broken").unwrap_err().contains("cannot be played"));
    }
}
