//! `music/tracks.toml`: `[[track]]` tables naming Ogg Vorbis or FLAC files
//! beside it. Each file is decoded in full here, so a bundle never carries
//! audio the kiosk cannot play.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Loader, MAX_AUDIO_BYTES, Progress, RawLocalized, is_id};
use crate::error::ContentError;
use crate::model::{Settings, Track};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTracks {
    #[serde(default)]
    track: Vec<RawTrack>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrack {
    id: Spanned<String>,
    file: Spanned<String>,
    title: Spanned<RawLocalized>,
    credit: Spanned<RawLocalized>,
}

/// Decodes the whole file (proving it decodes) and returns its length in ms.
pub fn decoded_duration_ms(audio: &[u8]) -> Result<u64, String> {
    use rodio::Source;
    let decoder = rodio::Decoder::new(Cursor::new(audio.to_vec())).map_err(|e| e.to_string())?;
    let channels = u64::from(decoder.channels().get());
    let rate = u64::from(decoder.sample_rate().get());
    let samples = decoder.count() as u64;
    if samples == 0 {
        return Err("no audio samples in the file".into());
    }
    Ok(samples * 1000 / (channels * rate))
}

/// Durations of audio already decoded, by the file's SHA-256: a process that
/// loads the same content again and again (the content studio's preview)
/// decodes each file once. Only files that decoded are remembered.
#[derive(Debug, Default)]
pub struct Durations(std::sync::Mutex<std::collections::HashMap<[u8; 32], u64>>);

impl Durations {
    /// [`decoded_duration_ms`], remembered.
    pub fn duration_ms(&self, audio: &[u8]) -> Result<u64, String> {
        use sha2::{Digest, Sha256};
        let key: [u8; 32] = Sha256::digest(audio).into();
        let known = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).copied();
        if let Some(ms) = known {
            return Ok(ms);
        }
        let ms = decoded_duration_ms(audio)?;
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, ms);
        Ok(ms)
    }
}

/// The MIME type of an audio file the kiosk plays, by its extension.
fn audio_mime(name: &str) -> Option<&'static str> {
    match Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("ogg" | "oga") => Some("audio/ogg"),
        Some("flac") => Some("audio/flac"),
        _ => None,
    }
}

impl Loader<'_> {
    pub(super) fn tracks(&mut self, settings: &Settings, progress: &mut dyn Progress) -> Vec<Track> {
        let rel = "music/tracks.toml";
        let file = self.dir.join(rel);
        let Some(text) = self.read_text(rel) else {
            return Vec::new();
        };
        let Some(raw) = self.parse::<RawTracks>(&file, &text, 1) else {
            return Vec::new();
        };
        let langs = Self::langs(settings);
        let total = raw.track.len() as u64;
        let mut seen = BTreeSet::new();
        let mut tracks = Vec::new();
        for (i, t) in raw.track.into_iter().enumerate() {
            progress.step(&format!("decoding {}", t.file.get_ref()), i as u64, total);
            if let Some(track) = self.track(&file, &text, t, &langs, &mut seen) {
                tracks.push(track);
            }
        }
        progress.step("audio decoded", total, total);
        tracks
    }

    /// One `[[track]]`; `None` (with the errors recorded) if any part is wrong.
    fn track(
        &mut self,
        file: &Path,
        text: &str,
        t: RawTrack,
        langs: &[String],
        seen: &mut BTreeSet<String>,
    ) -> Option<Track> {
        let id = t.id.get_ref().trim().to_string();
        if !is_id(&id) || !seen.insert(id.clone()) {
            self.error_at(
                file,
                text,
                t.id.span(),
                format!("track id `{id}` is not valid or used twice; use lower-case letters, digits and `-`"),
            );
            return None;
        }
        let name = t.file.get_ref();
        if name.contains(['/', '\\']) || name.starts_with('.') {
            let message = format!("`{name}`: give the name of a file in the music folder (no folders, no `..`)");
            self.error_at(file, text, t.file.span(), message);
            return None;
        }
        let Some(mime) = audio_mime(name) else {
            self.error_at(file, text, t.file.span(), format!("`{name}`: use Ogg Vorbis (.ogg) or FLAC (.flac) audio"));
            return None;
        };
        let title = self.localized(file, text, &t.title, langs, "title");
        let default = langs.first().map_or("", String::as_str);
        self.check_track_title(file, text, t.title.span(), &title, default, name);
        let credit = self.localized(file, text, &t.credit, langs, "credit");
        let (audio, duration_ms) = self.audio(file, text, &t.file)?;
        Some(Track { id, title, credit, mime: mime.to_string(), audio, duration_ms })
    }

    /// The audio file `name` names in the music folder, if it is there, small
    /// enough, and decodes; with its length in ms.
    fn audio(&mut self, file: &Path, text: &str, name: &Spanned<String>) -> Option<(Vec<u8>, u64)> {
        let audio_rel = format!("music/{}", name.get_ref());
        let audio_path = self.dir.join(&audio_rel);
        match std::fs::metadata(&audio_path) {
            Err(_) => {
                self.error_at(
                    file,
                    text,
                    name.span(),
                    format!(
                        "audio file `{}` is missing; put it in the music folder or fix the name",
                        audio_path.display()
                    ),
                );
                return None;
            }
            Ok(m) if m.len() > MAX_AUDIO_BYTES => {
                self.error_at(
                    file,
                    text,
                    name.span(),
                    format!(
                        "`{}` is {} KiB; samples must be under {} KiB",
                        name.get_ref(),
                        m.len() / 1024,
                        MAX_AUDIO_BYTES / 1024
                    ),
                );
                return None;
            }
            Ok(_) => {}
        }
        let audio = self.read(&audio_rel)?;
        let cache = self.options.durations.as_deref();
        match cache.map_or_else(|| decoded_duration_ms(&audio), |c| c.duration_ms(&audio)) {
            Ok(ms) => Some((audio, ms)),
            Err(why) => {
                self.errors.push(ContentError::file(
                    &audio_path,
                    format!("cannot decode the audio ({why}); export it again as Ogg Vorbis or FLAC"),
                ));
                None
            }
        }
    }
}
