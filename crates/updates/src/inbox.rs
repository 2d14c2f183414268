//! Inbox folders — a USB stick's mount point, a drop folder — polled for new
//! bundles. A bundle is taken once its `.minisig` is there and its size and
//! time have held still for one poll (a copy still in progress is left
//! alone), and it is taken once: it is looked at again only if it changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::sign::signature_path;

/// Polls folders for `*.kbundle` files.
pub struct Inbox {
    dirs: Vec<PathBuf>,
    /// path → (size, modified, taken)
    seen: HashMap<PathBuf, (u64, Option<SystemTime>, bool)>,
}

impl Inbox {
    /// Watches `dirs` (missing ones — a stick not inserted — are fine).
    pub fn new(dirs: Vec<PathBuf>) -> Inbox {
        Inbox { dirs, seen: HashMap::new() }
    }

    /// Bundles ready to be looked at since the last poll, oldest version name first.
    pub fn poll(&mut self) -> Vec<PathBuf> {
        let mut ready = Vec::new();
        let mut present = Vec::new();
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "kbundle") || !signature_path(&path).exists() {
                    continue;
                }
                let Ok(meta) = entry.metadata() else { continue };
                let now = (meta.len(), meta.modified().ok());
                present.push(path.clone());
                match self.seen.get_mut(&path) {
                    Some(entry) if (entry.0, entry.1) == now => {
                        if !entry.2 {
                            entry.2 = true;
                            ready.push(path);
                        }
                    }
                    _ => {
                        self.seen.insert(path, (now.0, now.1, false));
                    }
                }
            }
        }
        // A stick pulled out and put back is looked at afresh.
        self.seen.retain(|p, _| present.contains(p));
        ready.sort();
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_is_taken_once_when_it_holds_still_and_again_if_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut inbox = Inbox::new(vec![dir.path().to_path_buf(), dir.path().join("no-stick")]);
        let b = dir.path().join("v2.kbundle");
        std::fs::write(&b, b"part").unwrap();
        assert!(inbox.poll().is_empty(), "no signature yet");
        std::fs::write(signature_path(&b), b"sig").unwrap();
        assert!(inbox.poll().is_empty(), "first sight: wait for it to hold still");
        assert_eq!(inbox.poll(), vec![b.clone()], "held still: take it");
        assert!(inbox.poll().is_empty(), "taken once");
        std::fs::write(&b, b"part and more").unwrap();
        assert!(inbox.poll().is_empty());
        assert_eq!(inbox.poll(), vec![b.clone()], "changed: looked at again");
    }
}
