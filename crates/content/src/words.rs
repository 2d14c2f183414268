//! The interface's own words ("Back", "Sign up", the error messages), per
//! language.
//!
//! English, Kazakh and Russian ship with the software (`words/<lang>.toml`
//! beside this crate); a content folder's `ui/<lang>.toml` adds a language or
//! overrides words one by one, and `settings.toml`'s `[identity]` gives the
//! embassy's own four (its name, the heading over the topics, the music
//! title, the intro line). The build resolves all of it into one complete
//! table per language of the bundle ([`resolve`]), so the kiosk shows exactly
//! what was built and previewed, whatever software version it runs; a word
//! still missing falls back to the default language's, and the build lists it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which way a language is written.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Left to right.
    #[default]
    Ltr,
    /// Right to left (Arabic, Persian, Hebrew, Urdu, …): the screen mirrors.
    Rtl,
}

/// One language of the interface, resolved: everything the kiosk needs to
/// speak it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UiLanguage {
    /// The language's own name, on its button ("Қазақша", "العربية").
    pub name: String,
    /// BCP 47 tag for dates, numbers and plural rules ("en-GB", "ar").
    pub locale: String,
    /// Which way it is written.
    pub direction: Direction,
    /// The on-screen keyboard for names: `latin`, `cyrillic`, `arabic`,
    /// `hebrew` or `hangul` (see [`KEYBOARDS`]).
    pub keyboard: String,
    /// Every interface word, by key.
    pub words: BTreeMap<String, String>,
}

/// The name keyboards the kiosk has. Chinese and Japanese names are typed
/// in Latin letters (as in the passport): a kiosk has no input method.
pub const KEYBOARDS: &[&str] = &["latin", "cyrillic", "arabic", "hebrew", "hangul"];

/// The four words that are the embassy's own, from `[identity]`, with the
/// name they have there.
pub const IDENTITY_WORDS: &[(&str, &str)] =
    &[("name", "embassy"), ("about", "about"), ("music", "music"), ("intro", "touchToRead")];

/// The words the software ships, by language, as written in `words/`.
const SHIPPED: &[(&str, &str)] = &[
    ("en", include_str!("../words/en.toml")),
    ("kk", include_str!("../words/kk.toml")),
    ("ru", include_str!("../words/ru.toml")),
];

/// The language whose shipped words are the last fallback.
pub const FALLBACK_LANGUAGE: &str = "en";

/// A `ui/<lang>.toml` (or a shipped words file) as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordsFile {
    /// `[language]`: how the language is named, written and typed.
    #[serde(default)]
    pub language: LanguageFields,
    /// `[words]`: key = text.
    #[serde(default)]
    pub words: BTreeMap<String, toml::Spanned<String>>,
}

/// The `[language]` table; every field optional in a content file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageFields {
    /// The language's own name.
    pub name: Option<String>,
    /// BCP 47 tag.
    pub locale: Option<String>,
    /// `ltr` or `rtl`.
    pub direction: Option<toml::Spanned<String>>,
    /// A name keyboard from [`KEYBOARDS`].
    pub keyboard: Option<toml::Spanned<String>>,
}

/// The shipped words of `lang`, if the software ships that language.
pub fn shipped(lang: &str) -> Option<WordsFile> {
    SHIPPED
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, text)| toml::from_str(text).expect("the shipped words files parse (tested)"))
}

/// The languages whose words ship with the software.
pub fn shipped_languages() -> impl Iterator<Item = &'static str> {
    SHIPPED.iter().map(|(l, _)| *l)
}

/// Every key of the interface: those of the fallback language's shipped file.
pub fn keys() -> &'static [String] {
    static KEYS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        shipped(FALLBACK_LANGUAGE).expect("the fallback language ships").words.into_keys().collect()
    });
    &KEYS
}

/// Whether a key is one form of a counted sentence (`musicIntro_few`: its
/// `_other` form is a key): only `_other` is required, the others fall back
/// to it. (`err_too_many` ends like a form but is a word of its own.)
pub fn is_plural_form(key: &str) -> bool {
    ["_zero", "_one", "_two", "_few", "_many"]
        .iter()
        .any(|form| key.strip_suffix(form).is_some_and(|base| keys().contains(&format!("{base}_other"))))
}

/// Languages written right to left, by ISO 639 code.
pub fn direction_of(lang: &str) -> Direction {
    match lang {
        "ar" | "fa" | "he" | "ur" | "ps" | "yi" | "dv" | "ckb" | "sd" | "ug" | "syr" | "iw" | "prs" => Direction::Rtl,
        _ => Direction::Ltr,
    }
}

/// The name keyboard a language's visitors expect, by ISO 639 code.
pub fn keyboard_of(lang: &str) -> &'static str {
    match lang {
        "ru" | "kk" | "uk" | "be" | "bg" | "sr" | "mk" | "ky" | "tg" | "mn" | "tt" | "ba" => "cyrillic",
        "ar" | "fa" | "ur" | "ps" | "ckb" | "sd" | "ug" | "prs" => "arabic",
        "he" | "yi" | "iw" => "hebrew",
        "ko" => "hangul",
        _ => "latin",
    }
}

/// What [`resolve`] found missing: per language, the keys that took the
/// default language's words.
pub type Missing = BTreeMap<String, Vec<String>>;

/// The complete word tables for `languages` (default first), from the
/// shipped words, then the content's `ui/<lang>.toml` files (`overrides`),
/// then the identity texts (key of [`IDENTITY_WORDS`] → text per language).
pub fn resolve(
    languages: &[String],
    overrides: &BTreeMap<String, WordsFile>,
    identity: &BTreeMap<&str, BTreeMap<String, String>>,
) -> (BTreeMap<String, UiLanguage>, Missing) {
    let keys = keys();
    let fallback = shipped(FALLBACK_LANGUAGE).expect("the fallback language ships");
    let mut own: BTreeMap<String, (LanguageFields, BTreeMap<String, String>)> = BTreeMap::new();
    for lang in languages {
        let shipped = shipped(lang).unwrap_or_default();
        let mut words: BTreeMap<String, String> = shipped.words.into_iter().map(|(k, v)| (k, v.into_inner())).collect();
        let mut fields = shipped.language;
        if let Some(file) = overrides.get(lang) {
            words.extend(file.words.iter().map(|(k, v)| (k.clone(), v.get_ref().clone())));
            let l = &file.language;
            fields.name = l.name.clone().or(fields.name);
            fields.locale = l.locale.clone().or(fields.locale);
            fields.direction = l.direction.clone().or(fields.direction);
            fields.keyboard = l.keyboard.clone().or(fields.keyboard);
        }
        for (field, key) in IDENTITY_WORDS {
            if let Some(text) = identity.get(field).and_then(|t| t.get(lang)) {
                words.insert((*key).to_string(), text.clone());
            }
        }
        own.insert(lang.clone(), (fields, words));
    }
    let default = languages.first().and_then(|l| own.get(l)).map(|(_, w)| w.clone()).unwrap_or_default();
    let mut missing = Missing::new();
    let mut out = BTreeMap::new();
    for lang in languages {
        let (fields, mut words) = own.remove(lang).unwrap_or_default();
        let mut gaps = Vec::new();
        for key in keys {
            if words.contains_key(key) || is_plural_form(key) {
                continue;
            }
            let text = default.get(key).or_else(|| fallback.words.get(key).map(|s| s.get_ref()));
            if let Some(text) = text {
                words.insert(key.clone(), text.clone());
                gaps.push(key.clone());
            }
            // A counted sentence the language does not have at all comes
            // with the default language's other forms, which fit its text.
            if let Some(base) = key.strip_suffix("_other") {
                for (k, v) in &default {
                    if k.strip_prefix(base).is_some_and(|rest| rest.starts_with('_')) && is_plural_form(k) {
                        words.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        if !gaps.is_empty() {
            missing.insert(lang.clone(), gaps);
        }
        out.insert(
            lang.clone(),
            UiLanguage {
                name: fields.name.unwrap_or_else(|| lang.clone()),
                locale: fields.locale.unwrap_or_else(|| lang.clone()),
                direction: fields
                    .direction
                    .and_then(|d| parse_direction(d.get_ref()))
                    .unwrap_or_else(|| direction_of(lang)),
                keyboard: fields.keyboard.map(|k| k.into_inner()).unwrap_or_else(|| keyboard_of(lang).to_string()),
                words,
            },
        );
    }
    (out, missing)
}

/// `ltr` / `rtl` as written in `[language] direction`.
pub fn parse_direction(s: &str) -> Option<Direction> {
    match s {
        "ltr" => Some(Direction::Ltr),
        "rtl" => Some(Direction::Rtl),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_language_has_every_word() {
        assert!(
            is_plural_form("musicIntro_few") && !is_plural_form("err_too_many"),
            "a word ending like a form is a word"
        );
        let keys = keys();
        for lang in shipped_languages() {
            let file = shipped(lang).unwrap();
            let have: Vec<&String> = file.words.keys().collect();
            for key in keys {
                if is_plural_form(key) {
                    continue;
                }
                assert!(have.contains(&key), "shipped words of `{lang}` lack `{key}`: every key needs every language");
            }
            for key in file.words.keys() {
                assert!(
                    keys.contains(key) || is_plural_form(key),
                    "`{lang}` has `{key}`, which English (the list of keys) does not: a typo or a stale word"
                );
            }
            let l = &file.language;
            assert!(l.name.is_some() && l.locale.is_some(), "`{lang}` names itself and its locale");
            assert!(KEYBOARDS.contains(&l.keyboard.as_ref().unwrap().get_ref().as_str()));
        }
    }

    #[test]
    fn a_missing_word_falls_back_to_the_default_language_and_is_listed() {
        let mut zh = WordsFile::default();
        zh.words.insert("back".into(), toml::Spanned::new(0..0, "返回".into()));
        zh.language.name = Some("中文".into());
        let overrides = BTreeMap::from([("zh".to_string(), zh)]);
        let identity = BTreeMap::from([("name", BTreeMap::from([("ru".to_string(), "Посольство Н".to_string())]))]);
        let langs = ["ru".to_string(), "zh".to_string()];
        let (tables, missing) = resolve(&langs, &overrides, &identity);
        let zh = &tables["zh"];
        assert_eq!(zh.words["back"], "返回", "the content's own word wins");
        assert_eq!(zh.words["submit"], "Подписаться", "a missing word takes the default language's (ru), not English");
        assert_eq!(zh.words["embassy"], "Посольство Н", "identity falls back like any word");
        assert_eq!(zh.name, "中文");
        assert!(missing["zh"].contains(&"submit".to_string()) && !missing["zh"].contains(&"back".to_string()));
        assert!(!missing.contains_key("ru"), "Russian ships complete: nothing listed");
        assert_eq!(tables["ru"].words["embassy"], "Посольство Н");
    }

    #[test]
    fn direction_and_keyboard_follow_the_language_unless_written() {
        let (t, _) = resolve(&["ar".into(), "ko".into(), "fr".into()], &BTreeMap::new(), &BTreeMap::new());
        assert_eq!((t["ar"].direction, t["ar"].keyboard.as_str()), (Direction::Rtl, "arabic"));
        assert_eq!((t["ko"].direction, t["ko"].keyboard.as_str()), (Direction::Ltr, "hangul"));
        assert_eq!(
            (t["fr"].direction, t["fr"].keyboard.as_str(), t["fr"].name.as_str()),
            (Direction::Ltr, "latin", "fr")
        );
        assert_eq!(
            t["ar"].words["back"], "Back",
            "no Arabic words and an Arabic default: English is the last fallback"
        );
    }
}
