//! Files in the kiosk's data directory, opened so that what is planted under
//! their names cannot hang the kiosk.
//!
//! Opening a FIFO (a named pipe) blocks until the other end opens it: a
//! `staff-tries.json` that is a FIFO held the start-up until systemd's
//! `TimeoutStartSec` killed it — again at every restart. Every file here is
//! opened with `O_NONBLOCK` (a FIFO opens at once, or fails) and `O_NOFOLLOW`
//! (a symbolic link is refused), and anything that is then not a regular file
//! is refused: the caller treats it as a damaged file. Writes go to a
//! temporary name, created afresh (`O_EXCL`) after whatever was there is
//! removed, and renamed over the file — a FIFO or link at either name is
//! replaced, never written through.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Opens an existing regular file for reading.
pub fn open_read(path: &Path) -> io::Result<File> {
    regular(path, OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path))
}

/// The whole of a regular file ([`std::fs::read`] that refuses FIFOs, links, devices and folders).
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_read(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens a regular file for appending, creating it when missing.
pub fn open_append(path: &Path) -> io::Result<File> {
    regular(
        path,
        OpenOptions::new().create(true).append(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path),
    )
}

/// Writes `bytes` to `path` through `<path>.tmp`-style `tmp` renamed over it,
/// so a reader sees the old file or the new one; with `durable`, the file and
/// then the folder are fsynced, so the rename survives a power cut.
pub fn replace(path: &Path, tmp: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    let mut file = create_fresh(tmp)?;
    file.write_all(bytes)?;
    if durable {
        file.sync_all()?;
    }
    drop(file);
    std::fs::rename(tmp, path)?;
    if durable && let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// A new, empty regular file at `path`: whatever was there (a stale
/// temporary file, a FIFO, a link) is removed first, and the file is created
/// with `O_EXCL`, which neither follows a link nor opens what is there.
pub fn create_fresh(path: &Path) -> io::Result<File> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    OpenOptions::new().write(true).create_new(true).open(path)
}

fn regular(path: &Path, opened: io::Result<File>) -> io::Result<File> {
    let file = opened.map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            io::Error::other(format!("{} is a symbolic link, which is never followed; remove it", path.display()))
        } else {
            e
        }
    })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(format!("{} is not a regular file; remove it", path.display())));
    }
    Ok(file)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    /// Runs `f` on a thread and fails the test if it is not done within 20 s (a FIFO hangs forever).
    pub(crate) fn promptly<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("{what} hangs on a FIFO"))
    }

    pub(crate) fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
        assert!(status.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn fifos_links_and_folders_are_refused_at_once_and_replaced_on_write() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.json");
        mkfifo(&fifo);
        let link = dir.path().join("link.json");
        std::fs::write(dir.path().join("target"), "secret").unwrap();
        std::os::unix::fs::symlink(dir.path().join("target"), &link).unwrap();
        for path in [fifo.clone(), link.clone(), dir.path().to_path_buf()] {
            let p = path.clone();
            let err = promptly("reading", move || read(&p)).unwrap_err();
            assert!(!err.to_string().is_empty(), "{}: {err}", path.display());
            let p = path.clone();
            assert!(promptly("appending", move || open_append(&p)).is_err(), "{}", path.display());
        }
        // A FIFO or link at the temporary name is replaced, and the target is never written through.
        let file = dir.path().join("beat.json");
        let tmp = dir.path().join("beat.json.tmp");
        mkfifo(&tmp);
        let (f, t) = (file.clone(), tmp.clone());
        promptly("writing", move || replace(&f, &t, b"new", true)).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        std::os::unix::fs::symlink(dir.path().join("target"), &tmp).unwrap();
        replace(&link, &tmp, b"over", false).unwrap();
        assert_eq!(std::fs::read(dir.path().join("target")).unwrap(), b"secret", "the link's target is untouched");
        assert_eq!(read(&link).unwrap(), b"over", "the link itself was replaced by a file");
    }
}
