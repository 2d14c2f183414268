//! The consent statement a signup records: the one the visitor had on screen.
//!
//! The UI shows a [`Statement`] (language, version, text and the text's
//! SHA-256) and sends back what it showed ([`Shown`]) with the tap. The core
//! records the signup only if that is still the kiosk's statement for that
//! language; if a new bundle changed it meanwhile, the visitor is asked again
//! (see [`crate::intake`]) — a text the visitor never saw is never recorded.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// SHA-256 of `text`, lower-case hex: what the store keeps as `consent_sha256`.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A consent statement as the current bundle has it for one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Statement {
    /// The language it is shown in (after falling back to the bundle's default).
    pub lang: String,
    /// The bundle's consent version.
    pub version: u32,
    /// The text as shown.
    pub text: String,
    /// SHA-256 of `text`, hex: the UI sends it back with the tap.
    pub sha256: String,
}

impl Statement {
    /// A statement, its hash computed.
    pub fn new(lang: impl Into<String>, version: u32, text: impl Into<String>) -> Self {
        let text = text.into();
        Statement { lang: lang.into(), version, sha256: sha256_hex(&text), text }
    }

    /// Whether this is the statement the UI says it showed.
    pub fn is(&self, shown: &Shown<'_>) -> bool {
        self.lang == shown.lang && self.version == shown.version && self.sha256.eq_ignore_ascii_case(shown.sha256)
    }
}

/// What the UI says was on screen when the visitor tapped "Sign up".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown<'a> {
    /// Language of the statement shown.
    pub lang: &'a str,
    /// Its version.
    pub version: u32,
    /// SHA-256 of its text, hex.
    pub sha256: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_matches_only_what_was_shown() {
        let current = Statement::new("ru", 2, "Я согласен получать письма.");
        assert_eq!(current.sha256, sha256_hex("Я согласен получать письма."));
        let shown = Shown { lang: "ru", version: 2, sha256: &current.sha256 };
        assert!(current.is(&shown));
        let upper = current.sha256.to_uppercase();
        assert!(current.is(&Shown { sha256: &upper, ..shown }), "hex case does not matter");
        let other_text = sha256_hex("Я согласен.");
        for (what, s) in [
            ("another language", Shown { lang: "kk", ..shown }),
            ("another version", Shown { version: 1, ..shown }),
            ("another text", Shown { sha256: &other_text, ..shown }),
            ("no hash", Shown { sha256: "", ..shown }),
        ] {
            assert!(!current.is(&s), "{what} is not the statement on screen");
        }
    }
}
