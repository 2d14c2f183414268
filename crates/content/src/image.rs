//! The embassy's emblem and ornament: SVG or PNG files from the content
//! folder, checked before they go into a bundle and again when a kiosk
//! accepts one (a bundle made by another tool and signed must not slip
//! anything past the build's checks).
//!
//! The kiosk shows them as `<img>` / CSS images, where a browser runs no
//! script and loads nothing else; the checks still refuse what an SVG should
//! never carry (scripts, event handlers, links to other files, embedded
//! documents), so the file is safe wherever else it ends up (the studio, a
//! staff member's browser) and staff learn at build time, with the line, why
//! a file exported by some tool is not fit.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

/// Largest emblem or ornament file: they are drawn at a few hundred pixels.
pub const MAX_IMAGE_BYTES: usize = 256 * 1024;

/// Largest PNG side in pixels.
pub const MAX_PNG_SIDE: u32 = 4096;

/// An image carried in the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Image {
    /// `image/svg+xml` or `image/png`.
    pub mime: String,
    /// The file, base64.
    pub base64: String,
}

/// What is wrong with an image, and where (a byte offset into an SVG's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageProblem {
    /// Byte offset in the file where the problem starts, if it has one.
    pub offset: Option<usize>,
    /// What is wrong and what to do.
    pub message: String,
}

impl ImageProblem {
    fn at(offset: usize, message: impl Into<String>) -> Self {
        Self { offset: Some(offset), message: message.into() }
    }
    fn whole(message: impl Into<String>) -> Self {
        Self { offset: None, message: message.into() }
    }
}

impl Image {
    /// Checks a file's bytes (the type from its name's extension) and makes
    /// an [`Image`] of it.
    pub fn from_file(name: &str, bytes: &[u8]) -> Result<Image, ImageProblem> {
        let lower = name.to_ascii_lowercase();
        let mime = if lower.ends_with(".svg") {
            "image/svg+xml"
        } else if lower.ends_with(".png") {
            "image/png"
        } else {
            return Err(ImageProblem::whole("an emblem or ornament must be an SVG or PNG file (.svg, .png)"));
        };
        check(mime, bytes)?;
        Ok(Image { mime: mime.to_string(), base64: STANDARD.encode(bytes) })
    }

    /// The image as a `data:` URL for `<img src>` / CSS.
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.mime, self.base64)
    }

    /// Checks the image again, as a kiosk does when it accepts a bundle.
    pub fn recheck(&self) -> Result<(), ImageProblem> {
        let bytes = STANDARD.decode(&self.base64).map_err(|e| ImageProblem::whole(format!("not base64: {e}")))?;
        check(&self.mime, &bytes)
    }
}

fn check(mime: &str, bytes: &[u8]) -> Result<(), ImageProblem> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageProblem::whole(format!(
            "the file is {} KiB; an emblem or ornament may be at most {} KiB (save the SVG without embedded pictures, or the PNG smaller)",
            bytes.len() / 1024,
            MAX_IMAGE_BYTES / 1024
        )));
    }
    match mime {
        "image/svg+xml" => check_svg(bytes),
        "image/png" => check_png(bytes),
        other => Err(ImageProblem::whole(format!("`{other}` is not an image type the kiosk shows"))),
    }
}

/// A PNG by its signature and header: a sane size, nothing else inside is
/// interpreted by us.
fn check_png(bytes: &[u8]) -> Result<(), ImageProblem> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) || bytes.len() < 33 || &bytes[12..16] != b"IHDR" {
        return Err(ImageProblem::whole("the file is not a PNG image (its first bytes say otherwise)"));
    }
    let side = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (w, h) = (side(16), side(20));
    if w == 0 || h == 0 || w > MAX_PNG_SIDE || h > MAX_PNG_SIDE {
        return Err(ImageProblem::whole(format!(
            "the PNG is {w}×{h} pixels; keep each side between 1 and {MAX_PNG_SIDE}"
        )));
    }
    Ok(())
}

/// Attributes that load something in other vocabularies (HTML inside SVG).
const REFUSED_ATTRIBUTES: &[&str] = &["src", "data", "action", "formaction", "srcset", "background"];

/// Elements that run code or pull in whole documents.
const REFUSED_ELEMENTS: &[&str] =
    &["script", "foreignobject", "iframe", "object", "embed", "handler", "listener", "audio", "video", "animation"];

fn check_svg(bytes: &[u8]) -> Result<(), ImageProblem> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ImageProblem::at(e.valid_up_to(), "the SVG is not UTF-8 text; save it as UTF-8"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut root_seen = false;
    // A <style> element's text, joined across text, CDATA and comments as
    // the browser joins it, checked whole at its end.
    let mut style: Option<(usize, String)> = None;
    loop {
        let at = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            ImageProblem::at(reader.error_position() as usize, format!("the SVG is not well-formed XML: {e}"))
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = local_name(e);
                if !root_seen {
                    if name != "svg" {
                        return Err(ImageProblem::at(
                            at,
                            format!("an SVG file starts with <svg>, this one with <{name}>"),
                        ));
                    }
                    root_seen = true;
                }
                if REFUSED_ELEMENTS.contains(&name.as_str()) {
                    return Err(ImageProblem::at(
                        at,
                        format!(
                            "<{name}> is not allowed in an emblem: it could run code or show another document; remove it"
                        ),
                    ));
                }
                check_attributes(e, &name, at)?;
                if name == "style" && matches!(event, Event::Start(_)) {
                    style = Some((at, String::new()));
                }
            }
            Event::End(_) => {
                if let Some((start, css)) = style.take() {
                    check_css(&css, start)?;
                }
            }
            Event::Text(ref t) => {
                if let Some((_, css)) = style.as_mut() {
                    css.push_str(t.as_ref());
                }
            }
            Event::CData(ref t) => {
                if let Some((_, css)) = style.as_mut() {
                    css.push_str(t.as_ref());
                }
            }
            Event::GeneralRef(_) if style.is_some() => {
                return Err(ImageProblem::at(
                    at,
                    "the SVG's style uses a character reference (&…;); write the character itself",
                ));
            }
            Event::DocType(ref d) => {
                let d = AsRef::<str>::as_ref(d).to_ascii_uppercase();
                if d.contains("ENTITY") || d.contains('[') {
                    return Err(ImageProblem::at(
                        at,
                        "the SVG declares entities in its DOCTYPE; export it without them",
                    ));
                }
            }
            Event::PI(_) => {
                return Err(ImageProblem::at(at, "the SVG has a processing instruction (<?…?>); remove it"));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(ImageProblem::whole("the file has no <svg> element"));
    }
    Ok(())
}

fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_ascii_lowercase()
}

fn check_attributes(e: &BytesStart<'_>, element: &str, at: usize) -> Result<(), ImageProblem> {
    for attr in e.attributes().with_checks(false) {
        let attr = attr.map_err(|err| ImageProblem::at(at, format!("<{element}> has a malformed attribute: {err}")))?;
        let key = attr.key.local_name().as_ref().to_ascii_lowercase();
        // Judged as the browser reads it, character references decoded
        // (`javascript&#58;` is `javascript:`).
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| {
                ImageProblem::at(at, format!("<{element}> `{key}` has a malformed character reference: {err}"))
            })?
            .into_owned();
        if REFUSED_ATTRIBUTES.contains(&key.as_str()) {
            return Err(ImageProblem::at(
                at,
                format!("<{element}> has a `{key}` attribute, which loads another file; remove it"),
            ));
        }
        if key.starts_with("on") {
            return Err(ImageProblem::at(at, format!("<{element}> has an event handler `{key}`; remove it")));
        }
        if key == "href" {
            let v = value.trim();
            let embedded_picture = element == "image"
                && ["data:image/png;", "data:image/jpeg;", "data:image/webp;"].iter().any(|p| v.starts_with(p));
            if !v.starts_with('#') && !embedded_picture {
                return Err(ImageProblem::at(
                    at,
                    format!("<{element}> links to `{}`; an emblem may only refer to its own parts (#id)", short(v)),
                ));
            }
        }
        if key == "attributename" && value.trim().to_ascii_lowercase().ends_with("href") {
            return Err(ImageProblem::at(at, format!("<{element}> changes a link (`{value}`); remove it")));
        }
        if value.to_ascii_lowercase().contains("javascript:") {
            return Err(ImageProblem::at(at, format!("<{element}> `{key}` holds a javascript: link; remove it")));
        }
        check_css(&value, at)?;
    }
    Ok(())
}

/// CSS inside an SVG (a `style` attribute or element): no `@import`, and
/// `url(…)` only to the SVG's own parts.
fn check_css(css: &str, at: usize) -> Result<(), ImageProblem> {
    let lower = css.to_ascii_lowercase();
    if lower.contains("@import") {
        return Err(ImageProblem::at(at, "the SVG's style imports another file (@import); remove it"));
    }
    // CSS escapes (`\75 rl(`) and comments (`url/**/(`) could spell a
    // `url(` the check below does not see; a drawing program writes neither.
    if css.contains('\\') || lower.contains("/*") {
        return Err(ImageProblem::at(at, "the SVG's style has a CSS escape (\\) or comment; remove it"));
    }
    for loader in ["image-set(", "image(", "src(", "cross-fade(", "element("] {
        if lower.contains(loader) {
            return Err(ImageProblem::at(
                at,
                format!("the SVG's style uses `{loader}…)`, which loads an image; remove it"),
            ));
        }
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("url(") {
        let arg = rest[i + 4..].trim_start().trim_start_matches(['"', '\'']);
        if !arg.starts_with('#') {
            return Err(ImageProblem::at(
                at,
                format!("the SVG refers to `url({}`; an emblem may only use url(#id) of its own parts", short(arg)),
            ));
        }
        rest = &rest[i + 4..];
    }
    Ok(())
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
  <style>.a { fill: url(#g); }</style>
  <circle class="a" cx="5" cy="5" r="4" style="stroke: url('#g')"/>
  <use xlink:href="#g"/>
</svg>"##;

    #[test]
    fn a_plain_svg_passes_and_round_trips() {
        let image = Image::from_file("emblem.SVG", PLAIN.as_bytes()).expect("a plain SVG is fine");
        assert_eq!(image.mime, "image/svg+xml");
        assert!(image.data_url().starts_with("data:image/svg+xml;base64,"));
        image.recheck().expect("what passed the build passes the kiosk");
    }

    #[test]
    fn what_an_emblem_may_not_carry_is_refused_with_where() {
        let cases: &[(&str, &str)] = &[
            ("<script>alert(1)</script>", "<script>"),
            ("<circle onload=\"alert(1)\"/>", "event handler `onload`"),
            ("<a href=\"https://example.com\"><circle/></a>", "links to `https://example.com`"),
            ("<use xlink:href=\"other.svg#x\"/>", "links to `other.svg#x`"),
            ("<image href=\"http://tracker.example/p.png\"/>", "links to"),
            ("<circle style=\"fill: url(https://x.example/a)\"/>", "url(https://x.example/a)"),
            ("<style>@import 'x.css';</style>", "@import"),
            ("<style><![CDATA[ a { background: url( \"//x\" ) } ]]></style>", "url(//x"),
            ("<foreignObject><div/></foreignObject>", "<foreignobject>"),
            ("<a href=\" javascript:alert(1)\"/>", "javascript"),
            ("<set attributeName=\"href\" to=\"javascript:alert(1)\"/>", "changes a link"),
            ("<rect fill=\"url(&#104;ttps://x.example/p)\"/>", "url(https://x.example/p)"),
            ("<circle style=\"a: javascript&#58;x\"/>", "javascript"),
            ("<style>a{fill:url&#40;https://x)}</style>", "character reference"),
            ("<style>a{fill:url<!---->(https://x)}</style>", "url(https://x)"),
            ("<style>a{fill:url<![CDATA[(https://x)]]>}</style>", "url(https://x)"),
            ("<circle style=\"fill:\\75 rl(https://x)\"/>", "CSS escape"),
            ("<style>a{fill:url/**/(https://x)}</style>", "comment"),
            ("<style>a{background:image-set(\"https://x\" 1x)}</style>", "image-set("),
            ("<h:img xmlns:h=\"http://www.w3.org/1999/xhtml\" src=\"https://x\"/>", "`src` attribute"),
            ("<animate attributeName=\"xlink:href\" values=\"https://x\"/>", "changes a link"),
        ];
        for (inner, expected) in cases {
            let svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\">\n  {inner}\n</svg>");
            let err = Image::from_file("e.svg", svg.as_bytes()).expect_err(inner);
            assert!(err.message.contains(expected), "{inner}: {}", err.message);
            let line = svg[..err.offset.unwrap()].lines().count();
            assert!(
                err.offset.unwrap() >= svg.find('\n').unwrap(),
                "{inner}: the problem is placed on line 2, got {line}"
            );
        }
    }

    #[test]
    fn not_an_svg_or_png_is_refused() {
        assert!(Image::from_file("e.svg", b"<html><body/></html>").unwrap_err().message.contains("starts with <svg>"));
        assert!(Image::from_file("e.svg", b"<svg><g></svg>").unwrap_err().message.contains("well-formed"));
        let entity = "<!DOCTYPE svg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><svg>&x;</svg>";
        assert!(Image::from_file("e.svg", entity.as_bytes()).unwrap_err().message.contains("entities"));
        assert!(Image::from_file("e.gif", b"GIF89a").unwrap_err().message.contains("SVG or PNG"));
        assert!(Image::from_file("e.png", b"\x89PNG\r\n\x1a\nnot really").unwrap_err().message.contains("not a PNG"));
        let big = format!("<svg>{}</svg>", " ".repeat(MAX_IMAGE_BYTES));
        assert!(Image::from_file("e.svg", big.as_bytes()).unwrap_err().message.contains("at most 256 KiB"));
    }

    #[test]
    fn a_png_is_checked_by_its_header() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend(64u32.to_be_bytes());
        png.extend(48u32.to_be_bytes());
        png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(Image::from_file("e.png", &png).unwrap().mime, "image/png");
        png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(Image::from_file("e.png", &png).unwrap_err().message.contains("100000×48"));
    }
}
