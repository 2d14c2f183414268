//! `settings.toml`: languages, time zone, timings, theme, consent statement,
//! music, and the embassy's identity (in [`super::identity`]). Every check runs, so staff see all of the file's mistakes at
//! once; the settings are returned only when none was found.

use std::path::Path;

use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::Spanned;

use super::identity::{RawIdentity, RawKeyboard};
use super::{Loader, RawLocalized};
use crate::model::{Consent, Localized, MusicSettings, Settings, Theme, is_hex_colour, theme_contrast};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    default_language: Spanned<String>,
    languages: Spanned<Vec<String>>,
    timezone: Spanned<String>,
    idle_timeout_secs: Spanned<u32>,
    attract_slide_secs: Spanned<u32>,
    theme: RawTheme,
    consent: RawConsent,
    #[serde(default)]
    music: Option<Spanned<MusicSettings>>,
    #[serde(default)]
    identity: Option<Spanned<RawIdentity>>,
    #[serde(default)]
    keyboard: Option<RawKeyboard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    primary: Spanned<String>,
    accent: Spanned<String>,
    background: Spanned<String>,
    text: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsent {
    version: u32,
    text: Spanned<RawLocalized>,
}

/// Two or three lower-case letters, as ISO 639 writes them.
pub(super) fn is_language_code(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
}

impl Loader<'_> {
    pub(super) fn settings(&mut self) -> Option<Settings> {
        let rel = "settings.toml";
        let file = self.dir.join(rel);
        let text = self.read_text(rel)?;
        let raw: RawSettings = self.parse(&file, &text, 1)?;
        let before = self.errors.len();
        let (languages, default_language) = self.languages(&file, &text, &raw);
        self.zone_and_timings(&file, &text, &raw);
        self.theme(&file, &text, &raw.theme);
        let consent = self.consent(&file, &text, &raw.consent, &languages, &default_language);
        let music = self.music(&file, &text, raw.music.as_ref());
        let mut langs = vec![default_language.clone()];
        langs.extend(languages.iter().filter(|l| **l != default_language).cloned());
        let (identity, ui) = self.identity(&file, &text, raw.identity.as_ref(), raw.keyboard.as_ref(), &langs);
        if self.errors.len() > before {
            return None;
        }
        Some(Settings {
            default_language,
            languages,
            timezone: raw.timezone.into_inner(),
            idle_timeout_secs: raw.idle_timeout_secs.into_inner(),
            attract_slide_secs: raw.attract_slide_secs.into_inner(),
            theme: Theme {
                primary: raw.theme.primary.into_inner(),
                accent: raw.theme.accent.into_inner(),
                background: raw.theme.background.into_inner(),
                text: raw.theme.text.into_inner(),
            },
            consent: Consent { version: raw.consent.version, text: consent },
            music,
            identity,
            ui,
        })
    }

    /// The languages offered and the default one, which must be among them.
    fn languages(&mut self, file: &Path, text: &str, raw: &RawSettings) -> (Vec<String>, String) {
        let languages: Vec<String> = raw.languages.get_ref().iter().map(|l| l.trim().to_string()).collect();
        if languages.is_empty() {
            self.error_at(file, text, raw.languages.span(), "`languages` is empty; list at least the default language");
        }
        for (i, lang) in languages.iter().enumerate() {
            if languages[..i].contains(lang) {
                self.error_at(file, text, raw.languages.span(), format!("`{lang}` is listed twice in `languages`"));
            }
            if !is_language_code(lang) {
                self.error_at(
                    file,
                    text,
                    raw.languages.span(),
                    format!("`{lang}` is not a language code; use two or three lower-case letters such as \"en\", \"kk\", \"ru\""),
                );
            }
        }
        let default_language = raw.default_language.get_ref().trim().to_string();
        if !languages.contains(&default_language) {
            self.error_at(
                file,
                text,
                raw.default_language.span(),
                format!("default_language `{default_language}` is not in `languages` {languages:?}; add it there"),
            );
        }
        (languages, default_language)
    }

    fn zone_and_timings(&mut self, file: &Path, text: &str, raw: &RawSettings) {
        if TimeZone::get(raw.timezone.get_ref()).is_err() {
            self.error_at(
                file,
                text,
                raw.timezone.span(),
                format!("unknown time zone `{}`; use an IANA name such as \"Europe/London\"", raw.timezone.get_ref()),
            );
        }
        for (name, value) in
            [("idle_timeout_secs", &raw.idle_timeout_secs), ("attract_slide_secs", &raw.attract_slide_secs)]
        {
            if !(1..=86_400).contains(value.get_ref()) {
                self.error_at(file, text, value.span(), format!("`{name}` must be between 1 and 86400 seconds"));
            }
        }
    }

    fn theme(&mut self, file: &Path, text: &str, theme: &RawTheme) {
        for (name, colour) in [
            ("primary", &theme.primary),
            ("accent", &theme.accent),
            ("background", &theme.background),
            ("text", &theme.text),
        ] {
            if !is_hex_colour(colour.get_ref()) {
                self.error_at(
                    file,
                    text,
                    colour.span(),
                    format!("theme.{name} `{}` is not a colour; write it as \"#RRGGBB\"", colour.get_ref()),
                );
            }
        }
        let colours = [&theme.primary, &theme.accent, &theme.background, &theme.text];
        if !colours.iter().all(|c| is_hex_colour(c.get_ref())) {
            return;
        }
        let values = Theme {
            primary: theme.primary.get_ref().clone(),
            accent: theme.accent.get_ref().clone(),
            background: theme.background.get_ref().clone(),
            text: theme.text.get_ref().clone(),
        };
        for (key, ratio, needed, what) in theme_contrast(&values) {
            if ratio + 1e-9 < needed {
                let span = match key {
                    "text" => theme.text.span(),
                    "accent" => theme.accent.span(),
                    _ => theme.primary.span(),
                };
                self.error_at(
                    file,
                    text,
                    span,
                    format!(
                        "theme.{key}: {what} has a contrast of {ratio:.1}:1, below the {needed}:1 that WCAG AA needs; \
                         visitors with low vision could not read it. Choose a darker or lighter colour"
                    ),
                );
            }
        }
    }

    /// The consent statement, which must at least be in the default language.
    fn consent(
        &mut self,
        file: &Path,
        text: &str,
        consent: &RawConsent,
        languages: &[String],
        default_language: &str,
    ) -> Localized {
        let mut ordered = vec![default_language.to_string()];
        ordered.extend(languages.iter().filter(|l| *l != default_language).cloned());
        let localized = self.localized(file, text, &consent.text, &ordered, "consent.text");
        if !localized.contains_key(default_language) {
            self.error_at(
                file,
                text,
                consent.text.span(),
                format!("the consent statement needs a text in the default language `{default_language}`"),
            );
        }
        localized
    }

    fn music(&mut self, file: &Path, text: &str, raw: Option<&Spanned<MusicSettings>>) -> MusicSettings {
        let music = raw.map(|m| m.get_ref().clone()).unwrap_or_default();
        if !(0.0..=1.0).contains(&music.attract_volume) {
            let span = raw.map_or(0..0, |m| m.span());
            self.error_at(file, text, span, "music.attract_volume must be between 0.0 and 1.0");
        }
        music
    }
}
