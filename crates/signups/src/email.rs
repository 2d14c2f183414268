//! Email address validation: the WHATWG "valid e-mail address" syntax, with
//! internationalised domains (UTS-46 to Punycode), RFC 5321 lengths, and none
//! of the exotic forms (quoted local parts, IP literals) a list server refuses.
//!
//! The input is trimmed and NFC-normalised first, so the same address typed on
//! different keyboards compares equal.

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// A valid address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidEmail {
    /// As typed, trimmed and NFC-normalised (Unicode domain kept).
    pub as_typed: String,
    /// The form the list server gets: local part as typed, domain lower-case
    /// ASCII (Punycode for international domains).
    pub ascii: String,
}

/// Why an address is not valid. The UI maps each code to a message in the
/// visitor's language; never show the address itself in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum EmailError {
    /// Nothing was typed.
    #[error("empty")]
    Empty,
    /// No `@`.
    #[error("missing_at")]
    MissingAt,
    /// Nothing before the `@`.
    #[error("local_empty")]
    LocalEmpty,
    /// More than 64 octets before the `@`.
    #[error("local_too_long")]
    LocalTooLong,
    /// A character not allowed before the `@` (spaces, a second `@`, non-Latin letters…).
    #[error("local_invalid_char")]
    LocalInvalidChar,
    /// A dot at the start or end of the part before `@`, or two dots in a row.
    #[error("local_dots")]
    LocalDots,
    /// A quoted local part (`"john doe"@…`), which list servers refuse.
    #[error("quoted_local")]
    QuotedLocal,
    /// Nothing after the `@`.
    #[error("domain_empty")]
    DomainEmpty,
    /// An IP address instead of a domain (`user@[192.0.2.1]`).
    #[error("domain_ip_literal")]
    DomainIpLiteral,
    /// Only one label (`user@localhost`): a public address needs a dot.
    #[error("domain_single_label")]
    DomainSingleLabel,
    /// The domain is not a valid (internationalised) domain name.
    #[error("domain_invalid")]
    DomainInvalid,
    /// The whole address is longer than 254 octets.
    #[error("too_long")]
    TooLong,
}

impl EmailError {
    /// The stable code the UI translates.
    pub fn code(self) -> &'static str {
        match self {
            EmailError::Empty => "empty",
            EmailError::MissingAt => "missing_at",
            EmailError::LocalEmpty => "local_empty",
            EmailError::LocalTooLong => "local_too_long",
            EmailError::LocalInvalidChar => "local_invalid_char",
            EmailError::LocalDots => "local_dots",
            EmailError::QuotedLocal => "quoted_local",
            EmailError::DomainEmpty => "domain_empty",
            EmailError::DomainIpLiteral => "domain_ip_literal",
            EmailError::DomainSingleLabel => "domain_single_label",
            EmailError::DomainInvalid => "domain_invalid",
            EmailError::TooLong => "too_long",
        }
    }
}

/// Characters WHATWG allows in the local part (besides ASCII letters and digits).
const LOCAL_SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";

/// Validates and normalises an address.
pub fn validate(input: &str) -> Result<ValidEmail, EmailError> {
    let typed: String = input.trim().nfc().collect();
    if typed.is_empty() {
        return Err(EmailError::Empty);
    }
    let Some(at) = typed.rfind('@') else { return Err(EmailError::MissingAt) };
    let (local, domain) = (&typed[..at], &typed[at + 1..]);
    if local.starts_with('"') {
        return Err(EmailError::QuotedLocal);
    }
    if local.is_empty() {
        return Err(EmailError::LocalEmpty);
    }
    if !local.chars().all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c)) {
        return Err(EmailError::LocalInvalidChar);
    }
    if local.len() > 64 {
        return Err(EmailError::LocalTooLong);
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::LocalDots);
    }
    if domain.is_empty() {
        return Err(EmailError::DomainEmpty);
    }
    if domain.starts_with('[') {
        return Err(EmailError::DomainIpLiteral);
    }
    let ascii_domain = idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::URL)
        .map_err(|_| EmailError::DomainInvalid)?
        .into_owned();
    let labels: Vec<&str> = ascii_domain.split('.').collect();
    if !labels.iter().all(|l| valid_label(l)) {
        return Err(EmailError::DomainInvalid);
    }
    if labels.len() < 2 {
        return Err(EmailError::DomainSingleLabel);
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        // `user@192.168.0.1` without brackets is an IP address too.
        return Err(EmailError::DomainIpLiteral);
    }
    let ascii = format!("{local}@{ascii_domain}");
    if ascii.len() > 254 {
        return Err(EmailError::TooLong);
    }
    Ok(ValidEmail { as_typed: typed, ascii })
}

/// A WHATWG domain label: 1–63 letters, digits or hyphens, not starting or ending with a hyphen.
fn valid_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use EmailError::*;

    #[test]
    fn valid_addresses() {
        let cases = [
            ("visitor@example.org", "visitor@example.org", "visitor@example.org"),
            ("  Visitor.Name+news@Example.ORG \n", "Visitor.Name+news@Example.ORG", "Visitor.Name+news@example.org"),
            ("a@b.co", "a@b.co", "a@b.co"),
            ("o'brien@example.ie", "o'brien@example.ie", "o'brien@example.ie"),
            ("user@mail.example.co.uk", "user@mail.example.co.uk", "user@mail.example.co.uk"),
            ("aigerim@почта.қаз", "aigerim@почта.қаз", "aigerim@xn--80a1acny.xn--80ao21a"),
            ("ivan@пример.рф", "ivan@пример.рф", "ivan@xn--e1afmkfd.xn--p1ai"),
            ("hans@bücher.de", "hans@bücher.de", "hans@xn--bcher-kva.de"),
            // NFC: "u" + combining diaeresis becomes "ü".
            ("hans@bu\u{308}cher.de", "hans@bücher.de", "hans@xn--bcher-kva.de"),
            ("user@xn--bcher-kva.de", "user@xn--bcher-kva.de", "user@xn--bcher-kva.de"),
        ];
        for (input, typed, ascii) in cases {
            let v = validate(input).unwrap_or_else(|e| panic!("{input:?} must be valid, got {e:?}"));
            assert_eq!(v.as_typed, typed, "as typed, for {input:?}");
            assert_eq!(v.ascii, ascii, "ASCII form, for {input:?}");
        }
    }

    #[test]
    fn invalid_addresses_each_with_its_code() {
        let long_local = format!("{}@example.org", "a".repeat(65));
        let long_total = format!(
            "{}@{}.{}.{}.{}.org",
            "a".repeat(60),
            "b".repeat(60),
            "c".repeat(60),
            "d".repeat(60),
            "e".repeat(10)
        );
        let cases: Vec<(&str, EmailError)> = vec![
            ("", Empty),
            ("   ", Empty),
            ("visitor.example.org", MissingAt),
            ("@example.org", LocalEmpty),
            ("john doe@example.org", LocalInvalidChar),
            ("a@b@example.org", LocalInvalidChar),
            ("айгерим@example.org", LocalInvalidChar),
            (".visitor@example.org", LocalDots),
            ("visitor.@example.org", LocalDots),
            ("vis..itor@example.org", LocalDots),
            ("\"john doe\"@example.org", QuotedLocal),
            ("visitor@", DomainEmpty),
            ("visitor@[192.0.2.1]", DomainIpLiteral),
            ("visitor@192.0.2.1", DomainIpLiteral),
            ("visitor@localhost", DomainSingleLabel),
            ("visitor@example..org", DomainInvalid),
            ("visitor@-example.org", DomainInvalid),
            ("visitor@exa_mple.org", DomainInvalid),
            ("visitor@example.org.", DomainInvalid),
            ("visitor@exam ple.org", DomainInvalid),
            (&long_local, LocalTooLong),
            (&long_total, TooLong),
        ];
        for (input, expected) in cases {
            assert_eq!(validate(input), Err(expected), "{input:?} must be refused as {}", expected.code());
        }
    }
}
