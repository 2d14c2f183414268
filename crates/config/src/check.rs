//! The checks every section of the config shares: an error that names the
//! file, line and key; one rule for numbers in a range; one rule for URLs.
//! Kept in one place so that `[sync]`, `[updates]` and the rest word the same
//! mistake the same way.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::path::Path;

use toml::Spanned;

use crate::{ConfigError, url_refusal};

/// The 1-based line of a byte offset in `text` (an offset past the end counts
/// as the end). Every parser whose errors name a line uses this one: the
/// config here, and the content loader.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

/// A number a config key may hold, and how its allowed range is worded.
pub(crate) trait Number: Copy + PartialOrd + Display {
    /// The range as the error message says it, after "must be ".
    fn describe(range: &RangeInclusive<Self>) -> String {
        format!("{} to {}", range.start(), range.end())
    }
}

impl Number for u32 {}

impl Number for f32 {
    fn describe(range: &RangeInclusive<Self>) -> String {
        format!("between {:?} and {:?}", range.start(), range.end())
    }
}

/// The file being parsed: locates errors and anchors relative paths.
pub(crate) struct Check<'a> {
    text: &'a str,
    path: &'a Path,
    /// The config file's folder: relative paths are relative to it.
    pub(crate) base: &'a Path,
}

impl<'a> Check<'a> {
    pub(crate) fn new(text: &'a str, path: &'a Path) -> Self {
        Check { text, path, base: path.parent().unwrap_or(Path::new(".")) }
    }

    /// A refusal at byte `offset` of the file.
    pub(crate) fn invalid(&self, offset: usize, message: String) -> ConfigError {
        ConfigError::Invalid { path: self.path.to_path_buf(), line: line_of(self.text, offset), message }
    }

    /// The value of the numeric `key` (named as the file writes it, with
    /// its section: `sync.batch`), if given; refused outside `range`.
    pub(crate) fn number<T: Number>(
        &self,
        key: &str,
        value: Option<&Spanned<T>>,
        range: RangeInclusive<T>,
    ) -> Result<Option<T>, ConfigError> {
        match value {
            Some(v) if !range.contains(v.get_ref()) => {
                Err(self.invalid(v.span().start, format!("`{key}` must be {}", T::describe(&range))))
            }
            Some(v) => Ok(Some(*v.get_ref())),
            None => Ok(None),
        }
    }

    /// The URL the kiosk would send to under `key`; refused unless
    /// [`url_refusal`] lets it through.
    pub(crate) fn url(&self, key: &str, value: Spanned<String>) -> Result<String, ConfigError> {
        match url_refusal(value.get_ref()) {
            Some(why) => Err(self.invalid(value.span().start, format!("`{key}` {why}"))),
            None => Ok(value.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_counts_from_one_and_stops_at_the_end() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2, "the first byte after a newline is on the next line");
        assert_eq!(line_of("a\nb\nc", 1), 1, "the newline itself ends its own line");
        assert_eq!(line_of("a\nb\nc", 99), 3, "an offset past the end is the last line");
    }

    #[test]
    fn a_number_outside_its_range_is_refused_in_the_words_of_its_kind() {
        let text = "a = 1\nb = 0\n";
        let check = Check::new(text, Path::new("/etc/k/kiosk.toml"));
        let b = Spanned::new(6..11, 0u32);
        let e = check.number("s.b", Some(&b), 1..=9).unwrap_err().to_string();
        assert_eq!(e, "/etc/k/kiosk.toml:2: `s.b` must be 1 to 9");
        let f = Spanned::new(6..11, 2.0f32);
        let e = check.number("v", Some(&f), 0.0..=1.0).unwrap_err().to_string();
        assert_eq!(e, "/etc/k/kiosk.toml:2: `v` must be between 0.0 and 1.0");
        assert_eq!(check.number::<u32>("s.b", None, 1..=9).unwrap(), None, "absent: no value, no error");
        assert_eq!(
            check.number("s.b", Some(&Spanned::new(0..1, 9u32)), 1..=9).unwrap(),
            Some(9),
            "the range is inclusive"
        );
    }
}
