//! Markdown to HTML, sanitised at build time so the kiosk never renders
//! anything it did not vet: no scripts, frames, styles, event handlers or
//! external URLs. Links keep their text but lose their target, so nothing in
//! the content can navigate the kiosk away from itself.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let tags: HashSet<&str> = [
            "p",
            "h2",
            "h3",
            "h4",
            "ul",
            "ol",
            "li",
            "strong",
            "em",
            "b",
            "i",
            "blockquote",
            "br",
            "hr",
            "a",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "sup",
            "sub",
            "del",
        ]
        .into_iter()
        .collect();
        let mut b = ammonia::Builder::empty();
        b.tags(tags)
            // No URL survives: external ones would leave the kiosk, and the
            // kiosk has no pages to link to. `<a>` keeps its text only.
            .url_schemes(HashSet::new())
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(None)
            .strip_comments(true);
        b
    })
}

/// Renders Markdown to sanitised HTML. Headings are shifted down one level
/// (`#` becomes `<h2>`) because the section title is the page's `<h1>`.
pub fn markdown_to_html(markdown: &str) -> String {
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                Event::Start(Tag::Heading { level: shift(level), id, classes, attrs })
            }
            Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(shift(level))),
            // Raw HTML in Markdown is shown as text, never interpreted.
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            other => other,
        });
    let mut raw = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut raw, parser);
    sanitizer().clean(&raw).to_string()
}

/// What the kiosk's sanitiser makes of HTML already rendered — the same
/// settings as [`markdown_to_html`] uses at build time. A fragment built by
/// the kiosk's own tools comes back unchanged (sanitising is idempotent);
/// one that does not was made or edited by something else.
pub fn resanitise(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

fn shift(level: pulldown_cmark::HeadingLevel) -> pulldown_cmark::HeadingLevel {
    use pulldown_cmark::HeadingLevel::*;
    match level {
        H1 => H2,
        H2 => H3,
        _ => H4,
    }
}

/// Plain text of the first paragraph, cut at a word boundary to at most
/// `max_chars` characters (with an ellipsis when cut). Used by attract mode.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let mut text = String::new();
    let mut in_para = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Paragraph) => in_para = true,
            Event::End(TagEnd::Paragraph) if !text.trim().is_empty() => break,
            Event::End(TagEnd::Paragraph) => in_para = false,
            Event::Text(t) | Event::Code(t) if in_para => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_para => text.push(' '),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max_chars {
        return text;
    }
    let mut cut: String = text.chars().take(max_chars).collect();
    if let Some(space) = cut.rfind(' ') {
        cut.truncate(space);
    }
    cut.trim_end_matches([',', ';', ':', '.', ' ']).to_string() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_styles_frames_and_handlers_never_survive() {
        let md = "Hello <script>alert(1)</script> <iframe src=x></iframe>\n\n\
                  <p onclick=\"x()\" style=\"color:red\">hi</p>\n\n<img src=x onerror=alert(1)>";
        let html = markdown_to_html(md);
        // Every real tag in the output (text is escaped, so `<` only opens tags).
        let tags: Vec<&str> = html.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")).collect();
        for tag in &tags {
            assert!(["p", "/p"].contains(tag), "only plain paragraphs may survive, found <{tag}> in {html}");
        }
        assert!(html.contains("&lt;script&gt;"), "raw HTML is shown as text, never run: {html}");
    }

    #[test]
    fn rendered_html_is_a_fixed_point_of_the_sanitiser() {
        let md = "# T\n\n*a* **b** ~~c~~ [l](https://x.example) <b>raw</b>\n\n| a | b |\n|---|---|\n| 1 & 2 | <3 |\n\n> q\n\n1. x\n2. y\n\n---\n\nline  \nbreak `code` &nbsp; \u{a0} é";
        let html = markdown_to_html(md);
        assert_eq!(resanitise(&html), html, "what the build makes, the kiosk's re-check accepts");
        for injected in
            ["<style>p{}</style>", "<form><input></form>", "<img src=\"x\">", "<p style=\"color:red\">x</p>"]
        {
            let edited = format!("{html}{injected}");
            assert_ne!(resanitise(&edited), edited, "{injected} must not survive the re-check");
        }
    }

    #[test]
    fn links_keep_their_text_but_lose_their_target() {
        let html = markdown_to_html("See [the site](https://example.org) and [home](/x).");
        assert!(!html.contains("href"), "no link may lead anywhere: {html}");
        assert!(html.contains("the site"), "link text stays: {html}");
    }

    #[test]
    fn lists_and_emphasis_render() {
        let html = markdown_to_html("# Title\n\n* one\n* **two**\n");
        assert!(html.contains("<h2>Title</h2>"), "{html}");
        assert!(html.contains("<li><strong>two</strong></li>"), "{html}");
    }

    #[test]
    fn excerpt_takes_first_paragraph_and_cuts_at_a_word() {
        let md = "First words of a long paragraph here.\n\nSecond paragraph.";
        assert_eq!(excerpt(md, 100), "First words of a long paragraph here.");
        assert_eq!(excerpt(md, 20), "First words of a…");
    }
}
