//! The kiosk's configuration: a small TOML file the IT admin writes once per kiosk.
//!
//! ```toml
//! bundle = "/var/lib/embassy-kiosk/current.kbundle"   # the content bundle to show
//! data_dir = "/var/lib/embassy-kiosk"                 # signups, state, logs
//! kiosk_id = "lobby-1"                                # names this kiosk in reports
//! window = "fullscreen"                               # or "windowed" (with window_size)
//! # idle_timeout_secs = 90, attract_slide_secs = 8      # override the bundle's timings
//! # volume_ceiling = 0.8                                # loudest the music may go (0–1)
//! # quiet = true                                        # mute all music
//! ```
//!
//! Relative paths are relative to the config file. A bad config stops the
//! kiosk at start with a message that names the file, line and key.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Deserialize;

/// The loudest the music goes unless the config says otherwise (of full scale).
pub const DEFAULT_VOLUME_CEILING: f32 = 0.8;

/// How the kiosk window is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowMode {
    /// Full screen, no decorations: the lobby.
    Fullscreen,
    /// A normal window of `window_size`: development and tests.
    Windowed,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The content bundle to open.
    pub bundle: PathBuf,
    /// Where the kiosk keeps its own files.
    pub data_dir: PathBuf,
    /// This kiosk's name in reports and signups.
    pub kiosk_id: String,
    /// Window mode.
    pub window: WindowMode,
    /// Window size in logical pixels when windowed.
    pub window_size: (u32, u32),
    /// When set, the kiosk's clock stands still at this instant (demos and tests
    /// of dated content); otherwise the system clock is used.
    pub fixed_now: Option<Timestamp>,
    /// Overrides the bundle's idle timeout (tests use a few seconds).
    pub idle_timeout_secs: Option<u32>,
    /// Overrides the bundle's attract slide duration.
    pub attract_slide_secs: Option<u32>,
    /// The loudest a visitor can make the music, 0–1 of full scale.
    pub volume_ceiling: f32,
    /// Quiet mode: all music muted (e.g. a day of mourning).
    pub quiet: bool,
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the config file {path}: {source}")]
    Io {
        /// The config file.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A key is missing, unknown or has a bad value.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong, naming the key.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    bundle: toml::Spanned<PathBuf>,
    data_dir: toml::Spanned<PathBuf>,
    kiosk_id: toml::Spanned<String>,
    #[serde(default = "default_window")]
    window: WindowMode,
    window_size: Option<toml::Spanned<(u32, u32)>>,
    fixed_now: Option<toml::Spanned<String>>,
    idle_timeout_secs: Option<toml::Spanned<u32>>,
    attract_slide_secs: Option<toml::Spanned<u32>>,
    volume_ceiling: Option<toml::Spanned<f32>>,
    #[serde(default)]
    quiet: bool,
}

fn default_window() -> WindowMode {
    WindowMode::Fullscreen
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` locates errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let invalid = |offset: usize, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: line_at(offset),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            invalid(
                e.span().map_or(0, |s| s.start),
                format!("{} (see the example config in the README)", e.message().trim()),
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let kiosk_id = raw.kiosk_id.get_ref().trim().to_string();
        if kiosk_id.is_empty() || kiosk_id.len() > 64 {
            return Err(invalid(raw.kiosk_id.span().start, "`kiosk_id` must be 1 to 64 characters".into()));
        }
        let window_size = match &raw.window_size {
            Some(s) => {
                let (w, h) = *s.get_ref();
                if !(320..=8192).contains(&w) || !(320..=8192).contains(&h) {
                    return Err(invalid(
                        s.span().start,
                        "`window_size` must be [width, height], each 320 to 8192".into(),
                    ));
                }
                (w, h)
            }
            None => (1920, 1080),
        };
        let fixed_now = match &raw.fixed_now {
            Some(s) => Some(s.get_ref().parse::<Timestamp>().map_err(|_| {
                invalid(s.span().start, "`fixed_now` must be an RFC 3339 time such as \"2026-12-01T10:00:00Z\"".into())
            })?),
            None => None,
        };
        for (key, value) in
            [("idle_timeout_secs", &raw.idle_timeout_secs), ("attract_slide_secs", &raw.attract_slide_secs)]
        {
            if let Some(t) = value
                && !(1..=86_400).contains(t.get_ref())
            {
                return Err(invalid(t.span().start, format!("`{key}` must be 1 to 86400")));
            }
        }
        let volume_ceiling = match &raw.volume_ceiling {
            Some(v) if !(0.0..=1.0).contains(v.get_ref()) => {
                return Err(invalid(v.span().start, "`volume_ceiling` must be between 0.0 and 1.0".into()));
            }
            Some(v) => *v.get_ref(),
            None => DEFAULT_VOLUME_CEILING,
        };
        Ok(Config {
            bundle: base.join(raw.bundle.get_ref()),
            data_dir: base.join(raw.data_dir.get_ref()),
            kiosk_id,
            window: raw.window,
            window_size,
            fixed_now,
            idle_timeout_secs: raw.idle_timeout_secs.map(|t| t.into_inner()),
            attract_slide_secs: raw.attract_slide_secs.map(|t| t.into_inner()),
            volume_ceiling,
            quiet: raw.quiet,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/embassy-kiosk/kiosk.toml"))
    }

    const GOOD: &str = "bundle = \"current.kbundle\"\ndata_dir = \"/var/lib/embassy-kiosk\"\nkiosk_id = \"lobby-1\"\n";

    #[test]
    fn a_minimal_config_gets_defaults_and_resolves_paths() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.bundle, Path::new("/etc/embassy-kiosk/current.kbundle"));
        assert_eq!(c.data_dir, Path::new("/var/lib/embassy-kiosk"));
        assert_eq!(c.window, WindowMode::Fullscreen, "the lobby default is fullscreen");
        assert_eq!(c.fixed_now, None);
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let cases = [
            (format!("{GOOD}windw = \"windowed\"\n"), 4, "windw"),
            (format!("{GOOD}window = \"maximised\"\n"), 4, "maximised"),
            (format!("{GOOD}fixed_now = \"yesterday\"\n"), 4, "fixed_now"),
            (format!("{GOOD}window_size = [10, 10]\n"), 4, "window_size"),
            (format!("{GOOD}idle_timeout_secs = 0\n"), 4, "idle_timeout_secs"),
            (format!("{GOOD}volume_ceiling = 1.5\n"), 4, "volume_ceiling"),
            (format!("{GOOD}quiet = \"yes\"\n"), 4, "invalid type"),
            ("bundle = \"x\"\ndata_dir = \"y\"\n".to_string(), 1, "kiosk_id"),
            (GOOD.replace("lobby-1", ""), 3, "kiosk_id"),
        ];
        for (text, line, word) in cases {
            match parse(&text) {
                Err(ConfigError::Invalid { line: l, message, .. }) => {
                    assert_eq!(l, line, "line for {word}: {message}");
                    assert!(message.contains(word), "the message must name `{word}`: {message}");
                }
                other => panic!("config with bad `{word}` must be refused, got {other:?}"),
            }
        }
    }
}
