//! Errors. Staff meet [`ContentError`]: each names the file, the line where
//! known, what is wrong and what to do about it.

use std::fmt;
use std::path::PathBuf;

/// One problem in the content folder, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// The file at fault (as given, relative to the working directory).
    pub file: PathBuf,
    /// 1-based line number, when the problem sits on a line.
    pub line: Option<usize>,
    /// What is wrong and what to do.
    pub message: String,
}

impl ContentError {
    /// A problem at a given line of a file.
    pub fn at(file: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        Self { file: file.into(), line: Some(line), message: message.into() }
    }

    /// A problem with a whole file (missing, unreadable, undecodable).
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self { file: file.into(), line: None, message: message.into() }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ContentError {}

/// Why building a bundle failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The content has errors; every one found is listed.
    #[error("{} error(s) in the content:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Content(Vec<ContentError>),
    /// Writing the output failed.
    #[error("cannot write the bundle to {path}: {source}")]
    Io {
        /// Where we tried to write.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// SQLite refused the bundle being written.
    #[error("cannot write the bundle: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Why a bundle could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The file is not there or cannot be read.
    #[error("cannot open the bundle {path}: {source}")]
    Io {
        /// The bundle path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Not a SQLite file, or SQLite failed while reading it.
    #[error("the bundle is not a readable SQLite file: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A SQLite file, but not one of ours or not a version we read.
    #[error("unsupported bundle: {0}")]
    Unsupported(String),
    /// The bundle's stored data contradicts itself.
    #[error("corrupt bundle: {0}")]
    Corrupt(String),
    /// Something asked for does not exist in this bundle.
    #[error("not found: {0}")]
    NotFound(String),
    /// What it would render is not what the kiosk's own build makes: HTML its
    /// sanitiser would change, or a theme value that is not a colour.
    #[error("unsafe content: {0}")]
    Unsafe(String),
}

impl BundleError {
    /// A stable code for the UI, so it never has to match on messages.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Io { .. } => "bundle_io",
            BundleError::Sqlite(_) => "bundle_sqlite",
            BundleError::Unsupported(_) => "bundle_unsupported",
            BundleError::Corrupt(_) => "bundle_corrupt",
            BundleError::Unsafe(_) => "bundle_unsafe",
            BundleError::NotFound(_) => "not_found",
        }
    }
}
