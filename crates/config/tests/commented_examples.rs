//! The commented example lines an admin is invited to uncomment must be a
//! valid config once uncommented: in the shipped `packaging/kiosk.toml` and in
//! the ```toml examples of `docs/operations.md`.
//!
//! Each commented line that reads as TOML — `# key = value` or `# [section]` —
//! is uncommented where it stands (so it lands in its own section), and the
//! whole text goes through the real parser, [`Config::parse`]. Prose comments
//! stay comments. A line such as `# a = 1, b = 2` is not TOML, and fails.
//!
//! Alternatives that cannot be uncommented together (Mailman or a webhook as
//! the central list) are separate ```toml blocks in the docs, each starting
//! with the section header it stands for; each is tested in place of that
//! section of the full example.

use std::path::{Path, PathBuf};

use kiosk_config::Config;

fn repo_file(relative: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    (path, text)
}

/// A comment's text reads as a TOML key line or table header.
fn reads_as_toml(text: &str) -> bool {
    let ident =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']').is_some_and(|(name, _)| ident(name.trim()));
    }
    text.split_once('=').is_some_and(|(key, _)| ident(key.trim()) && !key.trim().contains(' '))
}

/// The text with every commented TOML line uncommented, and how many there were.
fn uncomment(text: &str) -> (String, usize) {
    let mut count = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let body = line.trim_start().strip_prefix('#').map(|rest| rest.strip_prefix(' ').unwrap_or(rest));
            match body {
                Some(body) if reads_as_toml(body) => {
                    count += 1;
                    body.to_string()
                }
                _ => line.to_string(),
            }
        })
        .collect();
    (lines.join("\n") + "\n", count)
}

/// The ```toml blocks of a Markdown file, with the line each starts on.
fn toml_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (number, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match &mut open {
            None if fence && line.trim() == "```toml" => open = Some((number + 2, String::new())),
            Some(_) if fence => blocks.push(open.take().expect("a block is open")),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    assert!(open.is_none(), "a ```toml block in the docs is never closed");
    blocks
}

/// The section headers (`[sync]`) a text defines, commented or not.
fn sections(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start().trim_start_matches('#').trim_start();
            let name = l.strip_prefix('[')?.split_once(']')?.0;
            reads_as_toml(l).then(|| name.trim().to_string())
        })
        .collect()
}

/// `full` with the sections `fragment` defines replaced by `fragment`.
fn with_fragment(full: &str, fragment: &str) -> String {
    let replaced = sections(fragment);
    let mut out = String::new();
    let mut skipping = false;
    for line in full.lines() {
        if let Some(name) = sections(line).first() {
            skipping = replaced.contains(name);
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out + fragment
}

/// Uncomments `text` and parses it; returns the config and the count.
fn parse_uncommented(text: &str, path: &Path, what: &str) -> (Config, usize) {
    let (uncommented, count) = uncomment(text);
    let config = Config::parse(&uncommented, path).unwrap_or_else(|e| {
        panic!("{what}: with its commented example lines uncommented, the config must still parse, but: {e}\n---\n{uncommented}---")
    });
    (config, count)
}

#[test]
fn the_shipped_config_parses_with_every_commented_key_uncommented() {
    let (path, text) = repo_file("packaging/kiosk.toml");
    Config::parse(&text, &path).expect("the shipped config must parse as shipped");
    let (config, count) = parse_uncommented(&text, &path, "packaging/kiosk.toml");
    assert!(count >= 10, "packaging/kiosk.toml must offer its optional keys as commented lines (found {count})");
    for name in sections(&text) {
        let present = match name.as_str() {
            "sync" => config.sync.is_some(),
            "updates" => config.updates.is_some(),
            "staff" => config.staff.pin_hash.is_some(),
            "signups" => true,
            // Its example shows the defaults, so uncommented it changes nothing to see.
            "accessibility" => true,
            "metrics" => config.metrics.as_ref().is_some_and(|m| m.listen.is_some() && m.textfile_dir.is_some()),
            other => panic!("packaging/kiosk.toml has a section this test does not know: [{other}]"),
        };
        assert!(present, "the uncommented [{name}] section of packaging/kiosk.toml must take effect");
    }
}

#[test]
fn every_toml_example_in_the_operations_guide_parses_uncommented() {
    let (path, text) = repo_file("docs/operations.md");
    let blocks = toml_blocks(&text);
    let is_full = |b: &str| b.lines().any(|l| l.starts_with("bundle ="));
    let full: Vec<_> = blocks.iter().filter(|(_, b)| is_full(b)).collect();
    assert_eq!(full.len(), 1, "docs/operations.md must have one full example config (a block with `bundle =`)");
    let (full_line, full_text) = full[0];
    Config::parse(full_text, &path).expect("the full example in docs/operations.md must parse as written");
    parse_uncommented(full_text, &path, &format!("docs/operations.md:{full_line}"));

    let fragments: Vec<_> = blocks.iter().filter(|(_, b)| !is_full(b)).collect();
    assert!(!fragments.is_empty(), "docs/operations.md must show the [sync] section's examples");
    for (line, fragment) in fragments {
        assert!(
            fragment.trim_start().starts_with('['),
            "docs/operations.md:{line}: a partial example must start with the section it stands for"
        );
        let merged = with_fragment(full_text, fragment);
        Config::parse(&merged, &path)
            .unwrap_or_else(|e| panic!("docs/operations.md:{line}: the example must parse as written: {e}"));
        parse_uncommented(&merged, &path, &format!("docs/operations.md:{line}"));
    }
}

#[test]
fn a_commented_line_with_two_keys_is_caught() {
    // The check itself must be able to fail: today's mistake, in a minimal config.
    let text = "bundle = \"b.kbundle\"\ndata_dir = \"d\"\nkiosk_id = \"k\"\n[updates]\ntrusted_keys = [\"RW\"]\n# max_bundle_mb = 512, poll_secs = 2\n";
    let (uncommented, count) = uncomment(text);
    assert_eq!(count, 1, "a commented key line must be uncommented");
    assert!(Config::parse(&uncommented, Path::new("kiosk.toml")).is_err(), "two keys on one line are not TOML");
    let (_, prose) = uncomment("# Without pin_hash the panel never opens.\n# (kioskctl signups export --csv)\n");
    assert_eq!(prose, 0, "prose comments must stay comments");
}
