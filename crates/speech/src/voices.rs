//! Which espeak-ng voice speaks a language, from what is installed.
//!
//! Read once from `espeak-ng --voices`, so any voice the machine has (an
//! embassy adding Georgian content needs no code change) is used, by the
//! same language tags the content uses. Each listed voice names its own
//! language and, in brackets, other languages it serves with a priority
//! (`en-gb … (en 2)`, `cmn … (zh 5)`); a tag is looked up as it is, then
//! with its last subtag dropped until only the primary one is left
//! (`pt-BR-x` → `pt-br` → `pt`), taking the best-priority voice at the first
//! level that has one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::SpeechError;

/// The language said when a text's own has no voice.
pub const FALLBACK_LANG: &str = "en";

/// The installed espeak-ng voices, by language.
#[derive(Debug, Clone)]
pub struct Voices {
    program: PathBuf,
    /// Lower-case language tag → (priority, listing order, voice); the best is kept.
    by_lang: HashMap<String, (u32, usize, String)>,
}

impl Voices {
    /// Asks the `espeak-ng` on the `PATH` for its voices. Fails with
    /// [`SpeechError::Unavailable`] when it is missing or lists no voice.
    pub fn detect() -> Result<Voices, SpeechError> {
        Self::detect_with("espeak-ng")
    }

    /// As [`detect`](Self::detect), with the program at `program`.
    pub fn detect_with(program: impl AsRef<Path>) -> Result<Voices, SpeechError> {
        let program = program.as_ref();
        let out = Command::new(program)
            .arg("--voices")
            .output()
            .map_err(|e| SpeechError::Unavailable(format!("cannot run {}: {e}", program.display())))?;
        if !out.status.success() {
            return Err(SpeechError::Unavailable(format!("{} --voices: {}", program.display(), out.status)));
        }
        let voices = Self::from_listing(program, &String::from_utf8_lossy(&out.stdout));
        if voices.by_lang.is_empty() {
            return Err(SpeechError::Unavailable(format!("{} lists no voices", program.display())));
        }
        Ok(voices)
    }

    /// Reads a `espeak-ng --voices` listing: one voice a line after the
    /// header, as `Pty Language Age/Gender VoiceName File (lang prio)…`.
    pub fn from_listing(program: impl Into<PathBuf>, listing: &str) -> Voices {
        let mut by_lang: HashMap<String, (u32, usize, String)> = HashMap::new();
        let mut offer = |lang: &str, priority: u32, order: usize, voice: &str| {
            let entry = (priority, order, voice.to_string());
            by_lang
                .entry(lang.to_ascii_lowercase())
                .and_modify(|best| {
                    if (priority, order) < (best.0, best.1) {
                        *best = entry.clone();
                    }
                })
                .or_insert(entry);
        };
        for (order, line) in listing.lines().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [priority, lang, _age_gender, _name, file, others @ ..] = fields.as_slice() else {
                continue;
            };
            let Ok(priority) = priority.parse::<u32>() else {
                continue; // the header
            };
            offer(lang, priority, order, file);
            // "(zh-cmn 5)(zh 5)", which whitespace splitting cuts as "(zh-cmn", "5)(zh", "5)".
            for group in others.join(" ").split(')') {
                let mut parts = group.trim().trim_start_matches('(').split_whitespace();
                if let (Some(other), Some(Ok(p))) = (parts.next(), parts.next().map(str::parse::<u32>)) {
                    offer(other, p, order, file);
                }
            }
        }
        Voices { program: program.into(), by_lang }
    }

    /// The voice for a language tag (`en`, `kk`, `pt-BR`, `zh`, `zh_TW`),
    /// as espeak-ng's `-v` takes it: the voice's file under
    /// espeak-ng-data/voices (`gmw/en`, `sit/cmn`), which, unlike a language
    /// name, is unambiguous where two voices share a language (`yue`).
    pub fn voice_for(&self, lang: &str) -> Option<&str> {
        let mut tag = lang.trim().replace('_', "-").to_ascii_lowercase();
        loop {
            if let Some((_, _, voice)) = self.by_lang.get(&tag) {
                return Some(voice);
            }
            tag.truncate(tag.rfind('-')?);
        }
    }

    /// The espeak-ng program these voices belong to.
    pub fn program(&self) -> &Path {
        &self.program
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines from espeak-ng 1.51's own listing.
    const LISTING: &str = "\
Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  ar              --/M      Arabic             sem/ar
 5  cmn             --/M      Chinese_(Mandarin,_latin_as_English) sit/cmn              (zh-cmn 5)(zh 5)
 5  cmn-latn-pinyin --/M      Chinese_(Mandarin,_latin_as_Pinyin) sit/cmn-Latn-pinyin  (zh-cmn 5)(zh 5)
 5  en-029          --/M      English_(Caribbean) gmw/en-029           (en 10)
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  es              --/M      Spanish_(Spain)    roa/es
 5  es-419          --/M      Spanish_(Latin_America) roa/es-419           (es-mx 6)(es 6)
 5  kk              --/M      Kazakh             trk/kk
 5  nb              --/M      Norwegian_Bokmål  gmq/nb               (no 5)
 5  pt              --/M      Portuguese_(Portugal) roa/pt               (pt-pt 5)
 5  pt-br           --/M      Portuguese_(Brazil) roa/pt-BR            (pt 6)
 5  ru              --/M      Russian            zle/ru
 5  yue             --/M      Chinese_(Cantonese) sit/yue              (zh-yue 5)(zh 8)
";

    #[test]
    fn tags_map_to_the_best_voice_then_fall_back_to_their_primary_subtag() {
        let v = Voices::from_listing("espeak-ng", LISTING);
        for (lang, voice) in [
            ("en", Some("gmw/en")), // en-gb's priority 2 beats en-us's 3
            ("en-US", Some("gmw/en-US")),
            ("en-AU", Some("gmw/en")),
            ("kk", Some("trk/kk")),
            ("ru-RU", Some("zle/ru")),
            ("zh", Some("sit/cmn")), // Mandarin (5) before Cantonese (8); ties keep listing order
            ("zh-Hans-CN", Some("sit/cmn")),
            ("zh-yue", Some("sit/yue")),
            ("cmn", Some("sit/cmn")),
            ("pt", Some("roa/pt")),
            ("pt-BR", Some("roa/pt-BR")),
            ("pt_br", Some("roa/pt-BR")),
            ("es-MX", Some("roa/es-419")),
            ("no", Some("gmq/nb")),
            (" AR ", Some("sem/ar")),
            ("xx", None),
            ("", None),
            ("-", None),
        ] {
            assert_eq!(v.voice_for(lang), voice, "the voice for `{lang}`");
        }
    }

    #[test]
    fn a_listing_with_no_voices_gives_none() {
        let v = Voices::from_listing("espeak-ng", "Pty Language Age/Gender VoiceName File Other Languages\n");
        assert_eq!(v.voice_for("en"), None);
    }
}
