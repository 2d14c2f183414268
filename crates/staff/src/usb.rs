//! Finding content bundles on an inserted USB stick: signed `*.kbundle` files
//! near the top of each mounted volume under the usual mount roots.

use std::path::{Path, PathBuf};

/// How deep below a mount root to look (`/media/<user>/<stick>/<folder>/x.kbundle` is 3).
const MAX_DEPTH: usize = 3;

/// A bundle found on removable media.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Found {
    /// Its full path.
    pub path: PathBuf,
    /// Its file name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether its `.minisig` is beside it (unsigned files are listed, and refused if chosen).
    pub signed: bool,
}

/// Every `*.kbundle` under `roots` (default mount roots: `/media`, `/run/media`, `/mnt`), sorted by path.
pub fn find_bundles(roots: &[PathBuf]) -> Vec<Found> {
    let mut found = Vec::new();
    for root in roots {
        walk(root, 0, &mut found);
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<Found>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(&path, depth + 1, found);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "kbundle") {
            let size = entry.metadata().map_or(0, |m| m.len());
            let mut sig = path.clone().into_os_string();
            sig.push(".minisig");
            found.push(Found {
                name: entry.file_name().to_string_lossy().into_owned(),
                signed: Path::new(&sig).is_file(),
                path,
                size,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_are_found_a_few_levels_down_with_their_signature_state() {
        let root = tempfile::tempdir().unwrap();
        let stick = root.path().join("staff/KIOSK-USB");
        std::fs::create_dir_all(stick.join("content/old")).unwrap();
        std::fs::write(stick.join("v12.kbundle"), b"twelve").unwrap();
        std::fs::write(stick.join("v12.kbundle.minisig"), b"sig").unwrap();
        std::fs::write(stick.join("content/draft.kbundle"), b"d").unwrap();
        std::fs::write(stick.join("content/old/too-deep.kbundle"), b"x").unwrap();
        std::fs::write(stick.join("notes.txt"), b"n").unwrap();
        let found = find_bundles(&[root.path().to_path_buf(), root.path().join("absent")]);
        let names: Vec<(&str, u64, bool)> = found.iter().map(|f| (f.name.as_str(), f.size, f.signed)).collect();
        assert_eq!(names, vec![("draft.kbundle", 1, false), ("v12.kbundle", 6, true)]);
    }
}
