//! Which characters the kiosk can draw: the union of every font the kiosk's
//! package depends on (Debian's `fonts-noto-core` and `fonts-noto-cjk`),
//! listed in `fonts/coverage.txt` by `fonts/make-coverage` (which `./dev test`
//! re-runs against the installed packages, so the list cannot drift from
//! them). The build refuses text with a character outside it, naming the
//! file and line: a visitor would otherwise see an empty box ("tofu").

use std::sync::LazyLock;

/// Code point ranges, inclusive, sorted and disjoint.
static RANGES: LazyLock<Vec<(u32, u32)>> = LazyLock::new(|| parse(include_str!("../fonts/coverage.txt")));

fn parse(text: &str) -> Vec<(u32, u32)> {
    let hex = |s: &str| u32::from_str_radix(s, 16).expect("coverage.txt holds hex code points (checked by a test)");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| match l.split_once('-') {
            Some((a, b)) => (hex(a), hex(b)),
            None => (hex(l), hex(l)),
        })
        .collect()
}

/// Characters no font draws and none needs to: line ends, tabs, and the
/// invisible marks that steer shaping and direction (joiners, bidi marks,
/// variation selectors).
fn invisible(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{e0100}'..='\u{e01ef}')
}

/// Whether one of the kiosk's fonts can draw `c`.
pub fn drawable(c: char) -> bool {
    if invisible(c) {
        return true;
    }
    let c = c as u32;
    let ranges = &*RANGES;
    let i = ranges.partition_point(|&(_, end)| end < c);
    ranges.get(i).is_some_and(|&(start, _)| start <= c)
}

/// The first character of `text` no font can draw, with its byte offset.
pub fn first_undrawable(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|&(_, c)| !drawable(c))
}

/// What staff read about a character no font draws.
pub fn message(c: char) -> String {
    format!(
        "`{c}` (U+{:04X}) is drawn by none of the kiosk's fonts and would show as an empty box; remove it or use another character (docs/staff.md, \"Languages and fonts\")",
        c as u32
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coverage_list_is_sorted_and_disjoint() {
        let ranges = &*RANGES;
        assert!(ranges.len() > 1000, "the list was read: {} ranges", ranges.len());
        for w in ranges.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0, "ranges out of order or overlapping: {w:?}");
        }
    }

    #[test]
    fn the_scripts_of_the_languages_we_know_are_drawn_and_emoji_are_not() {
        for text in [
            "Embassy",
            "Қазақстан Елшілігі әіңғүұқөһ",
            "Посольство",
            "سفارة جمهورية",
            "大使馆 欢迎",
            "한국어",
            "שגרירות",
            "Ελληνικά",
            "ภาษาไทย",
            "« déjà » — 9:30–12:30 №5 €",
        ] {
            assert_eq!(first_undrawable(text), None, "{text}");
        }
        assert_eq!(first_undrawable("Hello 😀"), Some((6, '😀')));
        assert_eq!(first_undrawable("a\u{e000}"), Some((1, '\u{e000}')), "a private-use character has no glyph");
        assert_eq!(
            first_undrawable("❤\u{fe0f} a\u{200d}b \u{200f}"),
            None,
            "variation selectors and joiners are invisible"
        );
    }

    #[test]
    fn every_shipped_word_is_drawn() {
        for lang in crate::words::shipped_languages() {
            for (key, text) in crate::words::shipped(lang).unwrap().words {
                assert_eq!(first_undrawable(text.get_ref()), None, "{lang}.{key}");
            }
        }
    }
}
