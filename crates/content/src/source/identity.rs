//! What makes the kiosk the embassy's own: `settings.toml`'s `[identity]`
//! (name, headings, intro line, emblem, ornament) and `[keyboard]`, and the
//! interface's words from `ui/<lang>.toml`, resolved with the shipped ones
//! into one complete table per language ([`crate::words::resolve`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Loader, RawLocalized};
use crate::error::ContentError;
use crate::image::Image;
use crate::model::{DEFAULT_EMAIL_ENDINGS, Identity, Localized, MAX_EMAIL_ENDINGS, is_email_ending};
use crate::words::{self, KEYBOARDS, UiLanguage, WordsFile};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    name: Spanned<RawLocalized>,
    #[serde(default)]
    about: Option<Spanned<RawLocalized>>,
    #[serde(default)]
    music: Option<Spanned<RawLocalized>>,
    #[serde(default)]
    intro: Option<Spanned<RawLocalized>>,
    #[serde(default)]
    emblem: Option<Spanned<String>>,
    #[serde(default)]
    ornament: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKeyboard {
    email_endings: Spanned<Vec<String>>,
}

impl Loader<'_> {
    /// `[identity]` and `[keyboard]`, and the words of every language
    /// (`langs`: default first). Problems go to the loader's errors; what the
    /// build fell back on goes to its notes.
    pub(super) fn identity(
        &mut self,
        file: &Path,
        text: &str,
        raw: Option<&Spanned<RawIdentity>>,
        keyboard: Option<&RawKeyboard>,
        langs: &[String],
    ) -> (Identity, BTreeMap<String, UiLanguage>) {
        let mut identity = Identity::default();
        let mut texts: BTreeMap<&str, Localized> = BTreeMap::new();
        match raw {
            None => self.errors.push(ContentError::file(
                file,
                format!(
                    "there is no [identity] table: add one with at least the embassy's name, e.g.\n    [identity.name]\n    {} = \"Embassy of …\"",
                    langs.first().map_or("en", String::as_str)
                ),
            )),
            Some(raw) => {
                let raw = raw.get_ref();
                let fields = [("name", Some(&raw.name)), ("about", raw.about.as_ref()), ("music", raw.music.as_ref()), ("intro", raw.intro.as_ref())];
                for (field, value) in fields {
                    let Some(value) = value else { continue };
                    let localized = self.localized(file, text, value, langs, &format!("identity.{field}"));
                    if field == "name" {
                        self.check_name(file, text, value.span(), &localized);
                    }
                    if field == "name" && !langs.first().is_some_and(|d| localized.contains_key(d)) {
                        self.error_at(
                            file,
                            text,
                            value.span(),
                            format!("identity.name needs the default language `{}`", langs.first().map_or("", |s| s)),
                        );
                    }
                    texts.insert(field, localized);
                }
                identity.emblem = raw.emblem.as_ref().and_then(|f| self.image(file, text, f, "emblem"));
                identity.ornament = raw.ornament.as_ref().and_then(|f| self.image(file, text, f, "ornament"));
            }
        }
        if let Some(k) = keyboard {
            identity.email_endings = self.email_endings(file, text, &k.email_endings);
        } else {
            identity.email_endings = DEFAULT_EMAIL_ENDINGS.iter().map(|s| s.to_string()).collect();
        }
        let overrides = self.ui_files(langs);
        for lang in langs {
            if words::shipped(lang).is_none() && !self.dir.join(format!("ui/{lang}.toml")).exists() {
                self.errors.push(ContentError::file(
                    file,
                    format!(
                        "`{lang}` is in `languages` but the kiosk has no interface words for it: add ui/{lang}.toml with at least\n    [language]\n    name = \"…\"   # the language's own name, on its button"
                    ),
                ));
            }
        }
        let (ui, missing) = words::resolve(langs, &overrides, &texts);
        let default = langs.first().map_or(words::FALLBACK_LANGUAGE, String::as_str);
        let default_has_words = words::shipped(default).is_some() || overrides.contains_key(default);
        for (lang, keys) in missing {
            let from = if default_has_words { default } else { words::FALLBACK_LANGUAGE };
            self.notes.push(ContentError::file(
                self.dir.join("ui").join(format!("{lang}.toml")),
                format!("{} word(s) not translated, shown in `{from}` instead: {}", keys.len(), keys.join(", ")),
            ));
        }
        (identity, ui)
    }

    /// An emblem or ornament file named in `[identity]`, relative to the content folder.
    fn image(&mut self, file: &Path, text: &str, name: &Spanned<String>, what: &str) -> Option<Image> {
        let rel = name.get_ref().trim();
        if rel.is_empty() || rel.starts_with('/') || rel.split(['/', '\\']).any(|p| p == "..") {
            self.error_at(
                file,
                text,
                name.span(),
                format!("identity.{what}: `{rel}` must be a file inside the content folder"),
            );
            return None;
        }
        let path = self.dir.join(rel);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                self.error_at(file, text, name.span(), format!("identity.{what}: cannot read `{rel}`: {e}"));
                return None;
            }
        };
        self.hashed.insert(rel.to_string(), bytes.clone());
        match Image::from_file(rel, &bytes) {
            Ok(image) => Some(image),
            Err(problem) => {
                let line = problem.offset.map(|o| kiosk_config::line_of(&String::from_utf8_lossy(&bytes), o));
                self.errors.push(ContentError { file: path, line, message: problem.message });
                None
            }
        }
    }

    fn email_endings(&mut self, file: &Path, text: &str, endings: &Spanned<Vec<String>>) -> Vec<String> {
        let list: Vec<String> = endings.get_ref().iter().map(|e| e.trim().to_string()).collect();
        if list.len() > MAX_EMAIL_ENDINGS {
            self.error_at(
                file,
                text,
                endings.span(),
                format!("keyboard.email_endings: at most {MAX_EMAIL_ENDINGS} endings fit on the keyboard"),
            );
        }
        for e in list.iter().filter(|e| !is_email_ending(e)) {
            self.error_at(
                file,
                text,
                endings.span(),
                format!(
                    "keyboard.email_endings: `{e}` is not an email ending; write \".org\", \".қаз\" or \"@gmail.com\""
                ),
            );
        }
        list
    }

    /// Every `ui/<lang>.toml` of the content folder, by language. A file for
    /// a language the kiosk does not offer, an unknown key, or a bad
    /// direction or keyboard is an error with its line.
    fn ui_files(&mut self, langs: &[String]) -> BTreeMap<String, WordsFile> {
        let dir = self.dir.join("ui");
        let mut out = BTreeMap::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return out;
        };
        let mut names: Vec<String> =
            entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        let keys = words::keys();
        for name in names {
            let Some(lang) = name.strip_suffix(".toml") else { continue };
            let rel = format!("ui/{name}");
            let file = self.dir.join(&rel);
            if !langs.iter().any(|l| l == lang) {
                self.errors.push(ContentError::file(
                    &file,
                    format!("`{lang}` is not among the kiosk's languages {langs:?}; add it to `languages` in settings.toml or remove this file"),
                ));
                continue;
            }
            let Some(text) = self.read_text(&rel) else { continue };
            let Some(parsed) = self.parse::<WordsFile>(&file, &text, 1) else { continue };
            for (key, value) in &parsed.words {
                if !keys.contains(key) && !words::is_plural_form(key) {
                    self.error_at(
                        &file,
                        &text,
                        value.span(),
                        format!("`{key}` is not a word of the interface; see the keys in docs/staff.md"),
                    );
                } else if value.get_ref().trim().is_empty() {
                    self.error_at(
                        &file,
                        &text,
                        value.span(),
                        format!("`{key}` is empty; delete the line to use the default language's word"),
                    );
                }
            }
            if let Some(d) = &parsed.language.direction
                && words::parse_direction(d.get_ref()).is_none()
            {
                self.error_at(&file, &text, d.span(), format!("direction `{}`: write \"ltr\" or \"rtl\"", d.get_ref()));
            }
            if let Some(k) = &parsed.language.keyboard
                && !KEYBOARDS.contains(&k.get_ref().as_str())
            {
                self.error_at(
                    &file,
                    &text,
                    k.span(),
                    format!("keyboard `{}`: the kiosk has {KEYBOARDS:?}", k.get_ref()),
                );
            }
            if words::shipped(lang).is_none() && parsed.language.name.is_none() {
                self.errors.push(ContentError::at(
                    &file,
                    1,
                    format!("a new language needs its own name on its button: add [language] name = \"…\" (e.g. \"中文\") to ui/{lang}.toml"),
                ));
            }
            if let Some(name) = &parsed.language.name
                && !(1..=40).contains(&name.get_ref().trim().chars().count())
            {
                self.error_at(&file, &text, name.span(), "the language's name must be 1 to 40 characters");
            }
            if let Some(locale) = &parsed.language.locale
                && !words::is_locale(locale.get_ref())
            {
                self.error_at(
                    &file,
                    &text,
                    locale.span(),
                    format!(
                        "locale `{}` is not a language tag; write it as \"fr-FR\", \"zh-Hant-TW\" or just \"fr\" (a hyphen, no spaces)",
                        locale.get_ref()
                    ),
                );
            }
            out.insert(lang.to_string(), parsed);
        }
        out
    }
}
