//! Writes validated content into a bundle file.
//!
//! The bundle is written to a temporary file beside the output, synced, and
//! renamed over the output only when complete: a failed or interrupted build
//! never leaves a half-written bundle where the kiosk or a USB stick expects one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::error::BuildError;
use crate::model::{Content, Localized};
use crate::render::{excerpt, markdown_to_html};
use crate::schema::{APPLICATION_ID, SCHEMA_SQL, SCHEMA_VERSION};
use crate::source::{self, Progress, hex};

/// Characters of plain text kept as a section's attract-mode excerpt.
pub const EXCERPT_CHARS: usize = 320;

/// How to stamp the bundle.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Monotonic bundle version; kiosks only accept versions above the one they run.
    /// `None` uses the build time in seconds since 1970, which always increases.
    pub bundle_version: Option<u64>,
    /// Release channel (kiosks accept only their own), e.g. `stable`.
    pub channel: String,
    /// Build time to record; calendar events are expanded from here.
    pub build_time: Timestamp,
    /// A calendar fetched elsewhere, used instead of `events.ics`.
    pub events_feed: Option<source::IcsFeed>,
    /// What reads `events.ics` (`kiosk_calendar::Ics`); none refuses a calendar.
    pub calendar: Option<std::sync::Arc<dyn source::CalendarReader>>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            bundle_version: None,
            channel: "stable".into(),
            build_time: Timestamp::now(),
            events_feed: None,
            calendar: None,
        }
    }
}

/// What a build wrote.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The output file.
    pub path: PathBuf,
    /// The version stamped into it.
    pub bundle_version: u64,
    /// Hash of the content inputs.
    pub content_hash: String,
    /// Number of sections, events and tracks.
    pub counts: (usize, usize, usize),
    /// File size in bytes.
    pub size: u64,
    /// What the build fell back on (untranslated words), for staff to read.
    pub notes: Vec<crate::error::ContentError>,
}

/// Loads `content_dir`, validates it, and writes the bundle to `out`.
pub fn build_bundle(
    content_dir: &Path,
    out: &Path,
    options: &BuildOptions,
    progress: &mut dyn Progress,
) -> Result<BuildReport, BuildError> {
    let load = source::LoadOptions {
        now: options.build_time,
        events_feed: options.events_feed.clone(),
        calendar: options.calendar.clone(),
        durations: None,
    };
    let content = source::load_with(content_dir, &load, progress).map_err(BuildError::Content)?;
    write_bundle(&content, out, options)
}

/// Writes already-loaded content to `out` (atomically, see the module docs).
pub fn write_bundle(content: &Content, out: &Path, options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let io = |source| BuildError::Io { path: out.to_path_buf(), source };
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let tmp = tempfile::Builder::new().prefix(".bundle-").suffix(".partial").tempfile_in(&dir).map_err(io)?;
    let bundle_version = options.bundle_version.unwrap_or_else(|| options.build_time.as_second().max(1) as u64);
    {
        let mut conn = Connection::open(tmp.path())?;
        // Nothing reads the file until it is renamed into place, so skip the
        // journal; durability comes from the fsync before the rename.
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA_SQL)?;
        insert_all(&tx, content, options, bundle_version)?;
        tx.commit()?;
        conn.close().map_err(|(_, e)| e)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    let file = tmp.persist(out).map_err(|e| io(e.error))?;
    drop(file);
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    let size = std::fs::metadata(out).map_err(io)?.len();
    Ok(BuildReport {
        path: out.to_path_buf(),
        bundle_version,
        content_hash: content.content_hash.clone(),
        counts: (content.sections.len(), content.events.len(), content.tracks.len()),
        size,
        notes: content.notes.clone(),
    })
}

fn insert_all(tx: &rusqlite::Transaction<'_>, c: &Content, o: &BuildOptions, version: u64) -> rusqlite::Result<()> {
    let s = &c.settings;
    let meta: [(&str, String); 8] = [
        ("format", "embassy-kiosk-bundle".into()),
        ("schema_version", SCHEMA_VERSION.to_string()),
        ("bundle_version", version.to_string()),
        ("channel", o.channel.clone()),
        ("build_time", o.build_time.to_string()),
        ("content_hash", c.content_hash.clone()),
        ("default_language", s.default_language.clone()),
        ("languages", serde_json::to_string(&s.languages).expect("strings serialise")),
    ];
    let mut stmt = tx.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    for (k, v) in meta {
        stmt.execute(params![k, v])?;
    }
    let settings = serde_json::to_value(s).expect("settings serialise");
    let mut stmt = tx.prepare("INSERT INTO settings (key, value) VALUES (?1, ?2)")?;
    for (k, v) in settings.as_object().expect("settings is an object") {
        stmt.execute(params![k, v.to_string()])?;
    }

    let mut sec = tx.prepare("INSERT INTO sections (id, ord) VALUES (?1, ?2)")?;
    let mut sec_text =
        tx.prepare("INSERT INTO section_texts (section_id, lang, title, html, excerpt) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for section in &c.sections {
        sec.execute(params![section.id, section.order])?;
        for (lang, t) in &section.texts {
            sec_text.execute(params![
                section.id,
                lang,
                t.title,
                markdown_to_html(&t.markdown),
                excerpt(&t.markdown, EXCERPT_CHARS)
            ])?;
        }
    }

    let mut ev = tx.prepare("INSERT INTO events (id, start_utc_ms, end_utc_ms, timezone) VALUES (?1, ?2, ?3, ?4)")?;
    let mut ev_text = tx.prepare(
        "INSERT INTO event_texts (event_id, lang, title, location, description_html) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for e in &c.events {
        ev.execute(params![e.id, e.start.as_millisecond(), e.end.as_millisecond(), e.timezone])?;
        for lang in langs_of(&[&e.title, &e.location, &e.description]) {
            ev_text.execute(params![
                e.id,
                lang,
                e.title.get(&lang),
                e.location.get(&lang),
                e.description.get(&lang).map(|d| markdown_to_html(d)),
            ])?;
        }
    }

    let mut tr =
        tx.prepare("INSERT INTO tracks (id, ord, mime, duration_ms, sha256, audio) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    let mut tr_text = tx.prepare("INSERT INTO track_texts (track_id, lang, title, credit) VALUES (?1, ?2, ?3, ?4)")?;
    for (i, t) in c.tracks.iter().enumerate() {
        let sha = hex(&Sha256::digest(&t.audio));
        tr.execute(params![t.id, i as i64, t.mime, t.duration_ms as i64, sha, t.audio])?;
        for lang in langs_of(&[&t.title, &t.credit]) {
            tr_text.execute(params![t.id, lang, t.title.get(&lang), t.credit.get(&lang)])?;
        }
    }
    Ok(())
}

fn langs_of(texts: &[&Localized]) -> BTreeSet<String> {
    texts.iter().flat_map(|t| t.keys().cloned()).collect()
}
