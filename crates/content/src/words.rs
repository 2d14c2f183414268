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
    pub name: Option<toml::Spanned<String>>,
    /// BCP 47 tag.
    pub locale: Option<toml::Spanned<String>>,
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
/// A word a language lacks takes the default language's (listed in
/// [`Missing`]); an identity text a language lacks takes the default
/// language's too, never the shipped generic word ("Embassy"), which shows
/// only where the embassy wrote none at all.
pub fn resolve(
    languages: &[String],
    overrides: &BTreeMap<String, WordsFile>,
    identity: &BTreeMap<&str, BTreeMap<String, String>>,
) -> (BTreeMap<String, UiLanguage>, Missing) {
    let keys = keys();
    let fallback = shipped(FALLBACK_LANGUAGE).expect("the fallback language ships");
    let default_lang = languages.first().map_or(FALLBACK_LANGUAGE, String::as_str);
    let mut missing = Missing::new();
    let mut own: BTreeMap<String, (LanguageFields, BTreeMap<String, String>)> = BTreeMap::new();
    for lang in languages {
        let shipped = shipped(lang).unwrap_or_default();
        let mut words: BTreeMap<String, String> = shipped.words.into_iter().map(|(k, v)| (k, v.into_inner())).collect();
        let mut fields = shipped.language;
        if let Some(file) = overrides.get(lang) {
            // A counted sentence the content writes replaces the shipped
            // one whole: its forms never mix with the shipped ones.
            for key in file.words.keys() {
                if let Some(base) = plural_base(key) {
                    words.retain(|k, _| plural_base(k) != Some(base));
                }
            }
            words.extend(file.words.iter().map(|(k, v)| (k.clone(), v.get_ref().clone())));
            let l = &file.language;
            fields.name = l.name.clone().or(fields.name);
            fields.locale = l.locale.clone().or(fields.locale);
            fields.direction = l.direction.clone().or(fields.direction);
            fields.keyboard = l.keyboard.clone().or(fields.keyboard);
        }
        for (field, key) in IDENTITY_WORDS {
            let Some(texts) = identity.get(field) else { continue };
            if let Some(text) = texts.get(lang).or_else(|| texts.get(default_lang)) {
                words.insert((*key).to_string(), text.clone());
                if !texts.contains_key(lang) {
                    missing.entry(lang.clone()).or_default().push((*key).to_string());
                }
            }
        }
        own.insert(lang.clone(), (fields, words));
    }
    let default = own.get(default_lang).map(|(_, w)| w.clone()).unwrap_or_default();
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
                    if plural_base(k) == Some(base) {
                        words.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        if !gaps.is_empty() {
            missing.entry(lang.clone()).or_default().extend(gaps);
        }
        out.insert(
            lang.clone(),
            UiLanguage {
                name: fields.name.map(|n| n.into_inner()).unwrap_or_else(|| lang.clone()),
                locale: fields.locale.map(|l| l.into_inner()).unwrap_or_else(|| lang.clone()),
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

/// The sentence a plural form belongs to (`musicIntro` of `musicIntro_few`
/// and of `musicIntro_other`), if `key` is one.
fn plural_base(key: &str) -> Option<&str> {
    key.strip_suffix("_other").filter(|base| keys().contains(&format!("{base}_other"))).or_else(|| {
        ["_zero", "_one", "_two", "_few", "_many"]
            .iter()
            .find_map(|f| key.strip_suffix(f))
            .filter(|base| keys().contains(&format!("{base}_other")))
    })
}

/// Whether `s` is a BCP 47 language tag as `Intl` takes it (`en-GB`,
/// `zh-Hant-TW`, `ar`, `sr-Latn`): a language, then script, region and
/// variant subtags. `fr_FR` (POSIX style) and empty tags are not: the
/// interface's date and number formatting would throw on them.
pub fn is_locale(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or("");
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let mut stage = 0; // 1 script, 2 region, 3 variants
    for p in parts {
        let alpha = p.bytes().all(|b| b.is_ascii_alphabetic());
        let alnum = p.bytes().all(|b| b.is_ascii_alphanumeric());
        stage = match (p.len(), stage) {
            (4, 0) if alpha => 1,
            (2, 0..=1) if alpha => 2,
            (3, 0..=1) if p.bytes().all(|b| b.is_ascii_digit()) => 2,
            (5..=8, _) if alnum => 3,
            (4, _) if alnum && p.as_bytes()[0].is_ascii_digit() => 3,
            _ => return false,
        };
    }
    true
}

/// Why a resolved language could not be shown safely (a bundle from another
/// tool; the build refuses each of these earlier with file and line).
pub fn check_language(code: &str, ui: &UiLanguage) -> Result<(), String> {
    if ui.name.trim().is_empty() || ui.name.chars().count() > 40 {
        return Err(format!("language `{code}`: its name must be 1 to 40 characters"));
    }
    if !is_locale(&ui.locale) {
        return Err(format!("language `{code}`: locale {:?} is not a language tag such as \"fr-FR\"", ui.locale));
    }
    if !KEYBOARDS.contains(&ui.keyboard.as_str()) {
        return Err(format!("language `{code}`: unknown keyboard {:?}", ui.keyboard));
    }
    if ui.words.len() > 4 * keys().len() || ui.words.values().any(|w| w.chars().count() > 1000) {
        return Err(format!("language `{code}`: too many or too long words"));
    }
    Ok(())
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
        zh.language.name = Some(toml::Spanned::new(0..0, "中文".into()));
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
        assert!(missing["zh"].contains(&"embassy".to_string()), "an identity text not translated is listed");
    }

    #[test]
    fn an_identity_text_falls_back_to_the_default_language_not_to_a_generic_word() {
        let identity =
            BTreeMap::from([("name", BTreeMap::from([("en".to_string(), "Embassy of Solmara".to_string())]))]);
        let (t, missing) = resolve(&["en".into(), "ru".into()], &BTreeMap::new(), &identity);
        assert_eq!(t["ru"].words["embassy"], "Embassy of Solmara", "not the shipped «Посольство»");
        assert_eq!(t["ru"].words["about"], "Узнайте больше", "no [identity.about] at all: the generic heading");
        assert_eq!(missing["ru"], ["embassy"]);
    }

    #[test]
    fn a_counted_sentence_the_content_writes_replaces_the_shipped_forms() {
        let mut ru = WordsFile::default();
        ru.words.insert("musicIntro_other".into(), toml::Spanned::new(0..0, "Треков: {n}.".into()));
        let (t, _) = resolve(&["ru".into()], &BTreeMap::from([("ru".to_string(), ru)]), &BTreeMap::new());
        let forms: Vec<&String> = t["ru"].words.keys().filter(|k| k.starts_with("musicIntro")).collect();
        assert_eq!(forms, ["musicIntro_other"], "no shipped `_few` beside the content's `_other`");
    }

    #[test]
    fn locales_are_checked_as_intl_takes_them() {
        for ok in ["en", "en-GB", "zh-Hant-TW", "sr-Latn", "es-419", "de-CH-1996", "kk-KZ"] {
            assert!(is_locale(ok), "{ok}");
        }
        for bad in ["", "fr_FR", "en-GB ", "english", "e", "en--GB", "en-GB-", "i-klingon"] {
            assert!(!is_locale(bad), "{bad:?}");
        }
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
