//! The validated content, as [`crate::source::load`] hands it to the builder.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::image::Image;
use crate::words::UiLanguage;

/// Text per language code (`"en"`, `"kk"`, `"ru"`, …).
pub type Localized = BTreeMap<String, String>;

/// Everything in one content folder.
#[derive(Debug, Clone)]
pub struct Content {
    /// Kiosk-wide settings.
    pub settings: Settings,
    /// Sections in display order.
    pub sections: Vec<Section>,
    /// Events sorted by start time.
    pub events: Vec<Event>,
    /// Music tracks in display order.
    pub tracks: Vec<Track>,
    /// SHA-256 over every input file (names and bytes), hex.
    pub content_hash: String,
    /// What the build fell back on (e.g. words not translated): for staff
    /// to read, not errors.
    pub notes: Vec<crate::error::ContentError>,
}

/// `settings.toml`, validated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Settings {
    /// The language content falls back to.
    pub default_language: String,
    /// Languages the kiosk offers, default first or not.
    pub languages: Vec<String>,
    /// The embassy's IANA time zone, e.g. `America/New_York`.
    pub timezone: String,
    /// Seconds without a touch before attract mode.
    pub idle_timeout_secs: u32,
    /// Seconds each attract slide stays on screen.
    pub attract_slide_secs: u32,
    /// Colours for the UI.
    pub theme: Theme,
    /// The signup consent statement.
    pub consent: Consent,
    /// How the music samples play.
    #[serde(default)]
    pub music: MusicSettings,
    /// The embassy's emblem, ornament and email keyboard (`[identity]`, `[keyboard]`).
    #[serde(default)]
    pub identity: Identity,
    /// The interface in each language, complete (see [`crate::words`]). A
    /// bundle built before words were carried has none: its reader fills in
    /// the shipped ones.
    #[serde(default)]
    pub ui: BTreeMap<String, UiLanguage>,
}

/// What makes the kiosk the embassy's own, besides its words.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct Identity {
    /// The emblem beside the embassy's name in the header.
    pub emblem: Option<Image>,
    /// A band repeated under the header (a national ornament); none: a plain band.
    pub ornament: Option<Image>,
    /// Endings offered as whole keys on the email keyboard (`@gmail.com`, `.kz`).
    pub email_endings: Vec<String>,
}

/// Most ending keys the email keyboard shows.
pub const MAX_EMAIL_ENDINGS: usize = 8;

/// Whether `e` is an ending key the email keyboard may offer: `.org`,
/// `.қаз`, `@gmail.com` (letters, digits, dots, hyphens; one `@` at the start).
pub fn is_email_ending(e: &str) -> bool {
    (e.starts_with('.') || e.starts_with('@'))
        && (2..=40).contains(&e.chars().count())
        && e.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '@'))
        && !e[1..].contains('@')
}

/// The email keyboard's endings as a kiosk accepts them.
pub fn check_email_endings(endings: &[String]) -> Result<(), String> {
    if endings.len() > MAX_EMAIL_ENDINGS {
        return Err(format!("{} email endings; the keyboard has room for {MAX_EMAIL_ENDINGS}", endings.len()));
    }
    match endings.iter().find(|e| !is_email_ending(e)) {
        Some(e) => Err(format!("email ending {e:?} is not an ending such as \".org\" or \"@gmail.com\"")),
        None => Ok(()),
    }
}

/// The email keyboard's ending keys when the content names none.
pub const DEFAULT_EMAIL_ENDINGS: &[&str] = &["@gmail.com", ".com", ".org", ".net"];

impl Default for Identity {
    fn default() -> Self {
        Identity {
            emblem: None,
            ornament: None,
            email_endings: DEFAULT_EMAIL_ENDINGS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// How the music samples play (`[music]` in settings.toml; all optional).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default, deny_unknown_fields)]
pub struct MusicSettings {
    /// At the end of a track, go on to the next one (else stop).
    pub continuous: bool,
    /// Play the samples quietly in the background during attract mode.
    pub attract: bool,
    /// Volume of attract-mode music, 0–1 of the kiosk's ceiling.
    pub attract_volume: f32,
}

impl Default for MusicSettings {
    fn default() -> Self {
        MusicSettings { continuous: false, attract: false, attract_volume: 0.3 }
    }
}

/// Whether `s` is a theme colour as the build accepts it: `#RRGGBB`. The
/// kiosk checks a bundle's theme against this again before showing it, since
/// the values go into CSS.
pub fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// WCAG 2 contrast ratio of two `#RRGGBB` colours (1.0 to 21.0).
pub fn contrast_ratio(a: &str, b: &str) -> f64 {
    fn luminance(c: &str) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(c.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0)) / 255.0;
            if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The colour pairs the kiosk draws, each with the theme key to change and
/// the ratio WCAG AA needs: 4.5 for text, 3 for the accent's marks.
pub fn theme_contrast(t: &Theme) -> Vec<(&'static str, f64, f64, String)> {
    let pairs = [
        ("text", &t.text, &t.background, 4.5, "text on the background"),
        ("primary", &"#FFFFFF".to_string(), &t.primary, 4.5, "white text on the primary colour (header, buttons)"),
        ("primary", &t.primary, &t.background, 4.5, "primary-coloured text on the background"),
        ("accent", &t.accent, &t.primary, 3.0, "the accent on the primary colour (symbols, ornament)"),
    ];
    pairs
        .into_iter()
        .map(|(key, fg, bg, needed, what)| {
            let ratio = contrast_ratio(fg, bg);
            (key, ratio, needed, what.to_string())
        })
        .collect()
}

/// Theme colours as CSS hex strings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Theme {
    /// Main brand colour (headers, buttons).
    pub primary: String,
    /// Highlight colour.
    pub accent: String,
    /// Page background.
    pub background: String,
    /// Body text.
    pub text: String,
}

/// The signup consent statement, versioned so each signup records what it agreed to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Consent {
    /// Bumped by staff whenever the wording changes in substance.
    pub version: u32,
    /// The statement per language.
    pub text: Localized,
}

/// One section of text, with its translations.
#[derive(Debug, Clone)]
pub struct Section {
    /// Stable id (used in links, tests and statistics).
    pub id: String,
    /// Position on the home screen (ascending).
    pub order: i64,
    /// Per language: title and Markdown body.
    pub texts: BTreeMap<String, SectionText>,
}

/// A section in one language, before rendering.
#[derive(Debug, Clone)]
pub struct SectionText {
    /// Title shown on the home screen and the reader.
    pub title: String,
    /// Markdown source.
    pub markdown: String,
}

/// A dated event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Stable id.
    pub id: String,
    /// Start instant.
    pub start: Timestamp,
    /// End instant (after start).
    pub end: Timestamp,
    /// IANA zone the times were written in.
    pub timezone: String,
    /// Title per language.
    pub title: Localized,
    /// Location per language.
    pub location: Localized,
    /// Markdown description per language.
    pub description: Localized,
}

/// A music sample.
#[derive(Debug, Clone)]
pub struct Track {
    /// Stable id.
    pub id: String,
    /// Title per language.
    pub title: Localized,
    /// Credit line per language.
    pub credit: Localized,
    /// MIME type of the audio (`audio/ogg`, `audio/flac`).
    pub mime: String,
    /// The encoded audio file.
    pub audio: Vec<u8>,
    /// Decoded length in milliseconds.
    pub duration_ms: u64,
}

/// Picks `lang` from a localized text, else the default language, else any.
pub fn pick<'a>(text: &'a Localized, lang: &str, default_lang: &str) -> Option<&'a str> {
    text.get(lang).or_else(|| text.get(default_lang)).or_else(|| text.values().next()).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag_and_flags_the_pair_below_aa() {
        assert!((contrast_ratio("#000000", "#FFFFFF") - 21.0).abs() < 1e-9);
        assert!((contrast_ratio("#777777", "#FFFFFF") - 4.48).abs() < 0.01);
        assert!((contrast_ratio("#FFFFFF", "#777777") - contrast_ratio("#777777", "#FFFFFF")).abs() < 1e-12);
        let demo = Theme {
            primary: "#00677F".into(),
            accent: "#FEC50C".into(),
            background: "#F7F5EF".into(),
            text: "#1B2430".into(),
        };
        assert!(theme_contrast(&demo).iter().all(|(_, r, needed, _)| r >= needed));
        let grey = Theme { text: "#999999".into(), ..demo };
        let low: Vec<_> = theme_contrast(&grey).into_iter().filter(|(_, r, n, _)| r < n).collect();
        assert_eq!(low.len(), 1);
        assert_eq!(low[0].0, "text");
    }
}
