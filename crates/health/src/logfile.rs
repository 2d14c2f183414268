//! The kiosk's log file, rotated by size: `kiosk.log` grows to a limit, then
//! becomes `kiosk.log.1` (the older ones move up, the oldest is dropped), so
//! years of running never fill the disk.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A log file that rotates itself once it would pass `max_bytes`.
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: Option<File>,
    size: u64,
}

impl RotatingFile {
    /// Appends to `dir/name` (creating `dir`), keeping `keep` older files beside it.
    pub fn open(dir: &Path, name: &str, max_bytes: u64, keep: usize) -> io::Result<RotatingFile> {
        fs::create_dir_all(dir)?;
        let path = dir.join(name);
        let file = crate::datafile::open_append(&path)?;
        let size = file.metadata()?.len();
        Ok(RotatingFile { path, max_bytes: max_bytes.max(1), keep, file: Some(file), size })
    }

    fn numbered(&self, n: usize) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        p.into()
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        if self.keep == 0 {
            fs::remove_file(&self.path)?;
        } else {
            let _ = fs::remove_file(self.numbered(self.keep));
            for n in (1..self.keep).rev() {
                let from = self.numbered(n);
                if from.exists() {
                    fs::rename(&from, self.numbered(n + 1))?;
                }
            }
            fs::rename(&self.path, self.numbered(1))?;
        }
        self.file = Some(crate::datafile::open_append(&self.path)?);
        self.size = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    /// Writes `buf` whole into one file: a log line is never split across two.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(crate::datafile::open_append(&self.path)?),
        };
        file.write_all(buf)?;
        self.size += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(p: &Path) -> String {
        fs::read_to_string(p).unwrap_or_default()
    }

    #[test]
    fn the_log_rotates_by_size_keeps_n_files_and_never_splits_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = RotatingFile::open(dir.path(), "kiosk.log", 30, 2).unwrap();
        for i in 0..7 {
            log.write_all(format!("line {i} ..........\n").as_bytes()).unwrap(); // 19 bytes
        }
        // 30 bytes hold one 19-byte line: every line after the first starts a new file.
        assert_eq!(read(&dir.path().join("kiosk.log")), "line 6 ..........\n");
        assert_eq!(read(&dir.path().join("kiosk.log.1")), "line 5 ..........\n");
        assert_eq!(read(&dir.path().join("kiosk.log.2")), "line 4 ..........\n");
        assert!(!dir.path().join("kiosk.log.3").exists(), "only `keep` old files are kept");
    }

    #[test]
    fn a_fifo_for_the_log_is_refused_at_once() {
        use crate::datafile::tests::{mkfifo, promptly};
        let dir = tempfile::tempdir().unwrap();
        mkfifo(&dir.path().join("kiosk.log"));
        let d = dir.path().to_path_buf();
        let opened = promptly("opening the log", move || RotatingFile::open(&d, "kiosk.log", 100, 1).map(|_| ()));
        // ENXIO (a FIFO nobody reads cannot be opened for writing without blocking), or refused once open.
        assert!(opened.is_err(), "a FIFO is no log file");
    }

    #[test]
    fn reopening_appends_and_counts_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        RotatingFile::open(dir.path(), "k.log", 100, 1).unwrap().write_all(&[b'a'; 90]).unwrap();
        let mut log = RotatingFile::open(dir.path(), "k.log", 100, 1).unwrap();
        log.write_all(b"bbbbbbbbbbbbbbbbbbbb").unwrap();
        assert_eq!(read(&dir.path().join("k.log")), "bbbbbbbbbbbbbbbbbbbb", "90 + 20 > 100: rotated first");
        assert_eq!(read(&dir.path().join("k.log.1")).len(), 90);
    }
}
