//! Text alternatives: what a visitor who cannot see the screen is given
//! instead of what is drawn, checked where staff write it.
//!
//! - **Pictures in a text** (`![…](map.png)` in a section or an event's
//!   description) are refused. The kiosk shows no pictures inside a text (its
//!   sanitiser keeps no `<img>`), so such a picture vanished for everyone,
//!   its description with it; the error says so, and how to keep what the
//!   picture told (its description, written as text). A picture with no
//!   description is worded as the accessibility problem it also is.
//! - **Track titles** are what speech reads on the music screen: each must
//!   have words in it (a letter, not only symbols or digits), must not be the
//!   audio file's name as a computer wrote it (`caravan-road`, `track_01`,
//!   `caravan-road.ogg`), and the default language must have one.
//! - **The embassy's name** is the emblem's text alternative: the header's
//!   button is labelled with it and the emblem beside it is decorative. It is
//!   required in the default language ([`super::identity`]); here each
//!   language's name must have words in it.
//!
//! The ornament band is decoration only (the kiosk hides it from assistive
//! technology), so it needs no text.

use std::ops::Range;
use std::path::Path;

use kiosk_config::line_of;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::Loader;
use crate::error::ContentError;
use crate::model::Localized;

/// A picture written in Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Picture {
    /// Where `![…](…)` stands in the Markdown, in bytes.
    pub at: Range<usize>,
    /// The file or address between the parentheses.
    pub file: String,
    /// The text between the brackets, trimmed (empty: none).
    pub description: String,
}

/// Every picture in `markdown`, in order.
pub(super) fn pictures(markdown: &str) -> Vec<Picture> {
    let mut out = Vec::new();
    let mut open: Option<Picture> = None;
    // Pictures nest only in their description (`![a ![b](c)](d)`): the
    // outer one is reported, with all the text inside as its description.
    let mut depth = 0usize;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                if depth == 0 {
                    open = Some(Picture { at: range, file: dest_url.to_string(), description: String::new() });
                }
                depth += 1;
            }
            Event::End(TagEnd::Image) => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(mut p) = open.take()
                {
                    p.description = p.description.split_whitespace().collect::<Vec<_>>().join(" ");
                    out.push(p);
                }
            }
            Event::Text(t) | Event::Code(t) if depth > 0 => {
                if let Some(p) = open.as_mut() {
                    p.description.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak if depth > 0 => {
                if let Some(p) = open.as_mut() {
                    p.description.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}

/// What to tell staff about a picture in a text.
pub(super) fn picture_message(p: &Picture) -> String {
    let name = if p.file.is_empty() { "(no file named)" } else { p.file.as_str() };
    if p.description.is_empty() || !has_letter(&p.description) {
        format!(
            "the picture `{name}` has no description for visitors who cannot see it, and the kiosk shows no \
             pictures inside a text, so no one would see it: remove it, and if what it shows matters, say it in \
             words (\"The map shows …\")"
        )
    } else {
        format!(
            "the picture `{name}` would not be shown: the kiosk shows no pictures inside a text (only the emblem \
             and the ornament that settings.toml names). Remove it; to keep what it tells visitors, write its \
             description as text instead: {}",
            p.description
        )
    }
}

/// Whether `text` has at least one letter (of any script).
pub(super) fn has_letter(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
}

/// Why `title` (of the track in the audio file `file`) cannot be read aloud
/// to a visitor as the track's name, if it cannot.
pub(super) fn unspoken_title(title: &str, file: &str) -> Option<String> {
    let title = title.trim();
    if title.is_empty() {
        return Some("is empty; write the track's name as visitors should see and hear it".into());
    }
    if !has_letter(title) {
        return Some(format!(
            "`{title}` has no words in it: speech cannot read it to a visitor who cannot see the screen; write the \
             track's name in words"
        ));
    }
    let stem = Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or(file);
    if title.eq_ignore_ascii_case(file) || (title == stem && written_like_a_file_name(stem)) {
        return Some(format!(
            "`{title}` is the audio file's name, not a title: visitors would see it, and hear it read aloud, as a \
             file name; write the track's name as they should hear it, e.g. \"{}\"",
            readable(stem)
        ));
    }
    None
}

/// A name as a computer writes a file's: words joined by `_`, or lower-case
/// words joined by `-` (`caravan-road`; `Sary-Arka` is a title).
fn written_like_a_file_name(stem: &str) -> bool {
    !stem.contains(char::is_whitespace)
        && (stem.contains('_') || (stem.contains('-') && !stem.chars().any(char::is_uppercase)))
}

/// `caravan-road` → `Caravan road`: a hint, not a title staff must take.
fn readable(stem: &str) -> String {
    let words = stem.split(['-', '_', '.']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// The line where `needle` first stands in a value starting at `span` (one
/// language of several, a picture in a long text), else the value's first
/// line. A `[table]`'s span is its header alone, so the search runs on from
/// the span's start.
fn line_in(text: &str, span: Range<usize>, needle: &str) -> usize {
    let from = text.get(span.start..).unwrap_or("");
    line_of(text, from.find(needle).map_or(span.start, |i| span.start + i))
}

impl Loader<'_> {
    /// Refuses the pictures in `markdown`, which starts at byte `start` of
    /// `text` (the file `file`); `what` prefixes each message (empty: none).
    pub(super) fn refuse_pictures(&mut self, file: &Path, text: &str, start: usize, markdown: &str, what: &str) {
        for p in pictures(markdown) {
            let message = format!("{what}{}", picture_message(&p));
            self.errors.push(ContentError::at(file, line_of(text, start + p.at.start), message));
        }
    }

    /// Refuses the pictures in a TOML text value (an event's description).
    /// The line is the picture's own where it can be found in the value's
    /// span, else the value's first; the language is named when it is not
    /// the default one (the studio places the error by it).
    pub(super) fn refuse_pictures_in_value(
        &mut self,
        file: &Path,
        text: &str,
        span: Range<usize>,
        value: &Localized,
        default: &str,
        field: &str,
    ) {
        for (lang, markdown) in value {
            for p in pictures(markdown) {
                let line = line_in(text, span.clone(), &format!("]({}", p.file));
                let what = if lang == default { format!("{field}: ") } else { format!("{field} (`{lang}`): ") };
                self.errors.push(ContentError::at(file, line, format!("{what}{}", picture_message(&p))));
            }
        }
    }

    /// Checks that a track's titles can be read aloud: one in the default
    /// language, each with words and none the file's name.
    pub(super) fn check_track_title(
        &mut self,
        file: &Path,
        text: &str,
        span: Range<usize>,
        title: &Localized,
        default: &str,
        audio: &str,
    ) {
        let line = line_of(text, span.start);
        if !title.contains_key(default) {
            self.errors.push(ContentError::at(
                file,
                line,
                format!(
                    "title: there is no `{default}` title; the kiosk shows and reads it aloud when a visitor's \
                     language has none: add {default} = \"…\""
                ),
            ));
        }
        for (lang, t) in title {
            if let Some(why) = unspoken_title(t, audio) {
                let what = if lang == default { "title".to_string() } else { format!("title (`{lang}`)") };
                let line = if t.trim().is_empty() { line } else { line_in(text, span.clone(), t.trim()) };
                self.errors.push(ContentError::at(file, line, format!("{what}: {why}")));
            }
        }
    }

    /// Checks that each language's embassy name, the emblem's text
    /// alternative, has words in it.
    pub(super) fn check_name(&mut self, file: &Path, text: &str, span: Range<usize>, name: &Localized) {
        for (lang, n) in name {
            if !n.trim().is_empty() && !has_letter(n) {
                self.errors.push(ContentError::at(
                    file,
                    line_in(text, span.clone(), n),
                    format!(
                        "identity.name (`{lang}`): `{n}` has no words in it; the name is what visitors who cannot \
                         see the emblem hear, so write the embassy's name in words"
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_found_with_their_place_file_and_description() {
        let md = "Intro.\n\n![A map of the *regions*](map.png) and ![](seal.svg \"Seal\")\n\n`![not](code.png)`";
        let found = pictures(md);
        assert_eq!(found.len(), 2, "code spans are not pictures: {found:?}");
        assert_eq!(found[0].file, "map.png");
        assert_eq!(found[0].description, "A map of the regions", "emphasis inside counts as description");
        assert_eq!(&md[found[0].at.clone()], "![A map of the *regions*](map.png)");
        assert_eq!((found[1].file.as_str(), found[1].description.as_str()), ("seal.svg", ""));
        assert!(
            pictures("No [link](x.png) here, nor <img src=x.png>.").is_empty(),
            "links and raw HTML are not pictures"
        );
        let refs = pictures("![Flag][f]\n\n[f]: flag.png\n");
        assert_eq!((refs[0].file.as_str(), refs[0].description.as_str()), ("flag.png", "Flag"));
    }

    #[test]
    fn the_message_says_why_and_keeps_the_description() {
        let none = picture_message(&pictures("![ ](map.png)")[0]);
        assert!(none.contains("`map.png` has no description for visitors who cannot see it"), "{none}");
        let some = picture_message(&pictures("![A map of the regions](map.png)")[0]);
        assert!(some.contains("would not be shown") && some.ends_with("instead: A map of the regions"), "{some}");
        let symbols = picture_message(&pictures("![★ ★](star.png)")[0]);
        assert!(symbols.contains("no description"), "symbols alone describe nothing: {symbols}");
    }

    #[test]
    fn a_title_speech_can_read() {
        for (title, file, ok) in [
            ("Steppe Morning", "steppe-morning.ogg", true),
            ("Дала таңы", "steppe-morning.ogg", true),
            ("黎明的潟湖", "lagoon.ogg", true),
            ("Sary-Arka", "Sary-Arka.ogg", true),
            ("Adai", "adai.flac", true),
            ("Dombra Night", "Dombra Night.ogg", true),
            ("Symphony No. 5", "symphony-5.ogg", true),
            ("caravan-road", "caravan-road.ogg", false),
            ("track_01", "track_01.ogg", false),
            ("Track_01", "Track_01.ogg", false),
            ("caravan-road.ogg", "caravan-road.ogg", false),
            ("Caravan-Road.OGG", "caravan-road.ogg", false),
            ("♪♪♪", "a.ogg", false),
            ("01", "01.ogg", false),
            ("  ", "a.ogg", false),
        ] {
            assert_eq!(unspoken_title(title, file).is_none(), ok, "{title:?} (file {file}) readable: {ok}");
        }
        let why = unspoken_title("caravan-road", "caravan-road.ogg").unwrap();
        assert!(why.contains("e.g. \"Caravan road\""), "a readable form is suggested: {why}");
    }
}
