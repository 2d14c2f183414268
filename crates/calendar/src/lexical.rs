//! The lexical layer of RFC 5545: unfolding, `NAME;PARAM=…:value` lines,
//! TEXT escapes, and `BEGIN`/`END` components. Written here rather than taken
//! from `icalendar`/`ical` because those drop line numbers, and every content
//! error names its file and line.

use std::path::Path;

use kiosk_content::error::ContentError;

/// One unfolded content line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// 1-based line number where it starts.
    pub(crate) no: usize,
    pub(crate) name: String,
    params: Vec<(String, String)>,
    pub(crate) value: String,
}

impl Line {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Unfolds lines (a line starting with a space or tab continues the previous
/// one) and splits each into name, parameters and value. Unfolding works on
/// bytes, before UTF-8 decoding: writers may fold inside a multi-byte
/// character, and RFC 5545 (3.1) asks readers to restore it.
pub(crate) fn content_lines(file: &Path, bytes: &[u8], errors: &mut Vec<ContentError>) -> Option<Vec<Line>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut logical: Vec<(usize, Vec<u8>)> = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix(b" ").or_else(|| raw.strip_prefix(b"\t"))
            && let Some(last) = logical.last_mut()
        {
            last.1.extend_from_slice(rest);
            continue;
        }
        if !raw.trim_ascii().is_empty() {
            logical.push((i + 1, raw.to_vec()));
        }
    }
    let mut out = Vec::with_capacity(logical.len());
    for (no, raw) in logical {
        match String::from_utf8(raw) {
            Ok(s) => out.push(split_line(no, &s)),
            Err(_) => {
                errors.push(ContentError::at(file, no, "the line is not UTF-8 text; export the calendar as UTF-8"));
                return None;
            }
        }
    }
    Some(out)
}

fn split_line(no: usize, s: &str) -> Line {
    // The value starts at the first ':' outside a quoted parameter value.
    let mut in_quotes = false;
    let mut colon = s.len();
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                colon = i;
                break;
            }
            _ => {}
        }
    }
    let head = &s[..colon];
    let value = s.get(colon + 1..).unwrap_or("").to_string();
    let mut parts = Vec::new();
    let (mut cur, mut in_quotes) = (String::new(), false);
    for c in head.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    let name = parts.remove(0).trim().to_ascii_uppercase();
    let params = parts
        .into_iter()
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.trim().to_ascii_uppercase(), v.to_string())))
        .collect();
    Line { no, name, params, value }
}

/// Undoes TEXT escaping: `\\`, `\;`, `\,`, `\n`/`\N`.
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out.trim().to_string()
}

/// A component: its `BEGIN` line, its own properties and its sub-components.
#[derive(Debug, Default)]
pub(crate) struct Component {
    pub(crate) name: String,
    pub(crate) begin: usize,
    pub(crate) props: Vec<Line>,
    pub(crate) children: Vec<Component>,
}

impl Component {
    pub(crate) fn prop(&self, name: &str) -> Option<&Line> {
        self.props.iter().find(|l| l.name == name)
    }
    pub(crate) fn props<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Line> + 's {
        self.props.iter().filter(move |l| l.name == name)
    }
}

pub(crate) fn components(file: &Path, lines: Vec<Line>, errors: &mut Vec<ContentError>) -> Option<Component> {
    let mut stack: Vec<Component> = vec![Component { name: String::new(), ..Default::default() }];
    for line in lines {
        match line.name.as_str() {
            "BEGIN" => stack.push(Component {
                name: line.value.trim().to_ascii_uppercase(),
                begin: line.no,
                ..Default::default()
            }),
            "END" => {
                let name = line.value.trim().to_ascii_uppercase();
                if stack.len() < 2 || stack.last().is_some_and(|c| c.name != name) {
                    errors.push(ContentError::at(
                        file,
                        line.no,
                        format!("END:{name} does not close the open component; the export is damaged"),
                    ));
                    return None;
                }
                let done = stack.pop().expect("checked above");
                stack.last_mut().expect("root stays").children.push(done);
            }
            _ => stack.last_mut().expect("root stays").props.push(line),
        }
    }
    if stack.len() != 1 {
        let open = stack.last().expect("non-empty");
        errors.push(ContentError::at(
            file,
            open.begin,
            format!("BEGIN:{} is never closed; the export is cut short", open.name),
        ));
        return None;
    }
    let root = stack.pop().expect("root");
    let cal = root.children.into_iter().find(|c| c.name == "VCALENDAR");
    if cal.is_none() {
        errors.push(ContentError::file(file, "not an iCalendar file: no BEGIN:VCALENDAR"));
    }
    cal
}
