//! The bundle's SQLite layout. Readers check [`SCHEMA_VERSION`] and refuse
//! others, so change the layout only together with the version.

/// Version of the layout below; stored as `PRAGMA user_version` and in `meta`.
pub const SCHEMA_VERSION: u32 = 1;

/// `PRAGMA application_id` of every bundle ("EKB1"), so a stray SQLite file is
/// told apart from a bundle before any table is read.
pub const APPLICATION_ID: i32 = 0x454B_4231;

/// Tables of a bundle. Texts live per language in `*_texts` tables; a missing
/// language falls back to the bundle's default language when read.
pub const SCHEMA_SQL: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Kiosk-wide settings, one JSON value per key (see model::Settings).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE sections (
    id  TEXT PRIMARY KEY,
    ord INTEGER NOT NULL
) STRICT;

CREATE TABLE section_texts (
    section_id TEXT NOT NULL REFERENCES sections(id),
    lang       TEXT NOT NULL,
    title      TEXT NOT NULL,
    html       TEXT NOT NULL,   -- rendered from Markdown and sanitised at build time
    excerpt    TEXT NOT NULL,   -- plain text for attract mode
    PRIMARY KEY (section_id, lang)
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    start_utc_ms INTEGER NOT NULL,
    end_utc_ms   INTEGER NOT NULL,
    timezone     TEXT NOT NULL   -- the zone the staff wrote the times in
) STRICT;
CREATE INDEX events_by_end ON events(end_utc_ms, start_utc_ms);

CREATE TABLE event_texts (
    event_id         TEXT NOT NULL REFERENCES events(id),
    lang             TEXT NOT NULL,
    title            TEXT,
    location         TEXT,
    description_html TEXT,
    PRIMARY KEY (event_id, lang)
) STRICT, WITHOUT ROWID;

CREATE TABLE tracks (
    id          TEXT PRIMARY KEY,
    ord         INTEGER NOT NULL,
    mime        TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    audio       BLOB NOT NULL
) STRICT;

CREATE TABLE track_texts (
    track_id TEXT NOT NULL REFERENCES tracks(id),
    lang     TEXT NOT NULL,
    title    TEXT,
    credit   TEXT,
    PRIMARY KEY (track_id, lang)
) STRICT, WITHOUT ROWID;
"#;
