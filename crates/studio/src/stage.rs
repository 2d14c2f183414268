//! Checks a set of file changes the way `kioskctl bundle build` would, on a
//! copy of the folder, so nothing is written to `content/` unless the whole
//! content loads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use kiosk_content::ContentError;
use kiosk_content::model::Content;
use kiosk_content::source::{Durations, LoadOptions, NoProgress, load_with};

use crate::write::FileChange;

/// A copy of the content folder with changes applied.
pub struct Staged {
    dir: tempfile::TempDir,
}

impl Staged {
    /// Copies `dir` (hard links where the file system allows; `.git` and
    /// hidden files left out) and applies `changes`.
    pub fn new(dir: &Path, changes: &[FileChange]) -> std::io::Result<Staged> {
        let tmp = tempfile::Builder::new().prefix("kiosk-studio-").tempdir()?;
        copy_tree(dir, tmp.path())?;
        for c in changes {
            let Some(path) = c.path_in(tmp.path()) else {
                return Err(std::io::Error::other(format!("{} is not a file in the content folder", c.rel)));
            };
            let _ = std::fs::remove_file(&path);
            if let Some(bytes) = &c.bytes {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, bytes)?;
            }
        }
        Ok(Staged { dir: tmp })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Loads the staged folder; errors name files relative to it.
    pub fn load(&self, now: Timestamp, durations: &Arc<Durations>) -> Result<Content, Vec<ContentError>> {
        let options = LoadOptions {
            now,
            events_feed: None,
            calendar: Some(Arc::new(kiosk_calendar::Ics)),
            durations: Some(durations.clone()),
        };
        load_with(self.path(), &options, &mut NoProgress).map_err(|errors| {
            errors.into_iter().map(|e| ContentError { file: relative(self.path(), &e.file), ..e }).collect()
        })
    }
}

/// `file` relative to `root` if it lies under it.
pub fn relative(root: &Path, file: &Path) -> PathBuf {
    file.strip_prefix(root).map(Path::to_path_buf).unwrap_or_else(|_| file.to_path_buf())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::create_dir_all(&dst)?;
            copy_tree(&src, &dst)?;
        } else if kind.is_file() && std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}
