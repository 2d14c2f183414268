//! Files on disk: revisions (to notice an edit made behind the studio's back)
//! and atomic writes (a crash leaves the old file or the new one, never half).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::read::{EVENTS, SECTIONS, SETTINGS, TRACKS, section_files};

/// What a missing file's revision is.
pub const ABSENT: &str = "absent";

/// A file's text; `None` if it does not exist.
pub fn read_text(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("{} is not UTF-8 text; save it as UTF-8", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// sha256 of a file's bytes, or [`ABSENT`].
pub fn rev(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => kiosk_content::source::hex(&Sha256::digest(&bytes)),
        Err(_) => ABSENT.to_string(),
    }
}

/// The revisions of every file the studio edits.
pub fn revs(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for rel in [SETTINGS, EVENTS, TRACKS] {
        out.insert(rel.to_string(), rev(&dir.join(rel)));
    }
    for name in section_files(dir) {
        let rel = format!("{SECTIONS}/{name}");
        out.insert(rel.clone(), rev(&dir.join(&rel)));
    }
    out
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// synced and renamed into place, keeping an existing file's permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".studio-").suffix(".partial").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_the_whole_file_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"new text").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new text");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
        assert_ne!(rev(&path), rev(&dir.path().join("missing")));
        assert_eq!(rev(&dir.path().join("missing")), ABSENT);
    }
}
