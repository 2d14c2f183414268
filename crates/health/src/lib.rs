//! Whether the kiosk is alive, as operations see it.
//!
//! - [`Heartbeat`]: a JSON status file written at a steady interval, only while
//!   the UI keeps reporting what it rendered — so a hung web view stops the
//!   heartbeats even though the process still runs. It carries the bundle
//!   version, the audio device's state and the signup backlog.
//! - [`notify`]: systemd's `sd_notify` (READY, WATCHDOG), fed from the same
//!   place, so `WatchdogSec` restarts a kiosk whose UI froze; [`watchdog`]
//!   paces those pings by systemd's `WATCHDOG_USEC`, apart from the heartbeat's
//!   own interval.
//! - [`check`]: what a monitor (cron, Nagios, the staff CLI) runs to alert when
//!   heartbeats stop.
//! - [`logfile::RotatingFile`]: the kiosk's log file, rotated by size.
//! - [`datafile`]: data files opened so a FIFO or link under their name cannot hang the kiosk.
//! - [`prom`]: the heartbeat as Prometheus metrics, in node_exporter's textfile
//!   and on [`endpoint`]'s `/metrics`, for a fleet watched by Prometheus.
//! - [`recycle`]: when the page's web process has grown enough to be renewed.
#![deny(missing_docs)]

pub mod datafile;
pub mod endpoint;
pub mod logfile;
pub mod prom;
pub mod recycle;
pub mod relay;
pub mod watchdog;

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What the UI last said it rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiReport {
    /// The screen shown (`home`, `section`, `attract`, …).
    pub screen: String,
    /// How many content items it shows (section cards, events, slides).
    pub items: u32,
    /// The UI language.
    pub lang: String,
    /// When the report arrived, UTC.
    pub at_utc: Timestamp,
}

/// The heartbeat file's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// When written, UTC.
    pub at_utc: Timestamp,
    /// This kiosk.
    pub kiosk_id: String,
    /// What the UI rendered last.
    pub ui: UiReport,
    /// The content bundle's version on screen.
    pub bundle_version: u64,
    /// Audio: `playing`, `paused`, `stopped` or `unavailable`.
    pub audio: String,
    /// Signups waiting to be sent.
    pub sync_pending: u64,
    /// Signups the list refused, waiting for staff.
    pub sync_review: u64,
    /// The last sync attempt's result, if any.
    pub last_sync: Option<String>,
    /// When the last sync was tried (none: the kiosk never tried, e.g. no `[sync]`).
    #[serde(default)]
    pub last_sync_attempt_utc: Option<Timestamp>,
    /// When a sync last reached the central list and sent all it tried (none: never).
    #[serde(default)]
    pub last_sync_success_utc: Option<Timestamp>,
    /// What staff must look at: files in the data directory the kiosk found
    /// damaged and worked around (empty when all is well).
    #[serde(default)]
    pub problems: Vec<String>,
    /// The page's web process: its private memory (bytes) at the last look,
    /// when the kiosk looks (`web_recycle_mib` not 0).
    #[serde(default)]
    pub web_memory_bytes: Option<u64>,
    /// Web processes renewed because they had grown, since the kiosk started.
    #[serde(default)]
    pub web_renewals: u64,
    /// Web processes that ended on their own (a crash, the OOM killer) and
    /// were replaced, since the kiosk started.
    #[serde(default)]
    pub web_crashes: u64,
    /// Times the sound device ran dry (the machine too busy to feed it: a
    /// gap a visitor may have heard), since the kiosk started.
    #[serde(default)]
    pub audio_underruns: u64,
}

/// Whether the UI's last report is recent enough to vouch for it.
pub fn ui_alive(report: Option<&UiReport>, now: Timestamp, stale_after: Duration) -> bool {
    report.is_some_and(|r| {
        let age = now.duration_since(r.at_utc);
        age.is_negative() || age.unsigned_abs() <= stale_after
    })
}

impl Heartbeat {
    /// Writes the file atomically (a temporary file renamed over it), so a
    /// monitor never reads half a heartbeat.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        datafile::replace(path, &path.with_extension("json.tmp"), &bytes, false)
    }
}

/// What [`check`] found.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A fresh heartbeat.
    Alive(Box<Heartbeat>),
    /// The last heartbeat is older than allowed.
    Stale {
        /// Its age.
        age_secs: u64,
    },
    /// No readable heartbeat file.
    Missing(String),
}

/// Reads the heartbeat at `path` and judges it against `max_age`.
pub fn check(path: &Path, now: Timestamp, max_age: Duration) -> Verdict {
    let beat: Heartbeat = match datafile::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("{}: not a heartbeat: {e}", path.display())))
    {
        Ok(b) => b,
        Err(e) => return Verdict::Missing(e),
    };
    let age = now.duration_since(beat.at_utc).unsigned_abs();
    if age > max_age { Verdict::Stale { age_secs: age.as_secs() } } else { Verdict::Alive(Box::new(beat)) }
}

/// systemd's notification protocol: a datagram to `$NOTIFY_SOCKET` (a path, or
/// an abstract name starting with `@`). Does nothing when not run by systemd.
pub fn notify(message: &str) -> std::io::Result<bool> {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else { return Ok(false) };
    notify_to(&socket.to_string_lossy(), message).map(|()| true)
}

/// Sends `message` to the notification socket `socket`.
pub fn notify_to(socket: &str, message: &str) -> std::io::Result<()> {
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    if let Some(name) = socket.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        sock.send_to_addr(message.as_bytes(), &addr)?;
    } else {
        sock.send_to(message.as_bytes(), socket)?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn beat(at: &str) -> Heartbeat {
        Heartbeat {
            at_utc: at.parse().unwrap(),
            kiosk_id: "lobby-1".into(),
            ui: UiReport { screen: "home".into(), items: 3, lang: "en".into(), at_utc: at.parse().unwrap() },
            bundle_version: 42,
            audio: "stopped".into(),
            sync_pending: 2,
            sync_review: 0,
            last_sync: None,
            last_sync_attempt_utc: None,
            last_sync_success_utc: None,
            problems: Vec::new(),
            web_memory_bytes: None,
            web_renewals: 0,
            web_crashes: 0,
            audio_underruns: 0,
        }
    }

    #[test]
    fn a_monitor_tells_fresh_from_stale_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("heartbeat.json");
        let now: Timestamp = "2026-11-28T12:01:00Z".parse().unwrap();
        assert!(matches!(check(&path, now, Duration::from_secs(60)), Verdict::Missing(_)));
        beat("2026-11-28T12:00:30Z").write(&path).unwrap();
        assert!(matches!(check(&path, now, Duration::from_secs(60)), Verdict::Alive(b) if b.bundle_version == 42));
        assert_eq!(check(&path, now, Duration::from_secs(10)), Verdict::Stale { age_secs: 30 });
    }

    #[test]
    fn a_fifo_for_the_heartbeat_neither_hangs_the_beat_nor_the_monitor() {
        use crate::datafile::tests::{mkfifo, promptly};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("heartbeat.json");
        mkfifo(&path);
        let p = path.clone();
        let now: Timestamp = "2026-11-28T12:01:00Z".parse().unwrap();
        let verdict = promptly("the monitor's check", move || check(&p, now, Duration::from_secs(60)));
        assert!(matches!(&verdict, Verdict::Missing(why) if why.contains("not a regular file")), "{verdict:?}");
        mkfifo(&path.with_extension("json.tmp"));
        let p = path.clone();
        promptly("the heartbeat", move || beat("2026-11-28T12:00:30Z").write(&p)).unwrap();
        assert!(matches!(check(&path, now, Duration::from_secs(60)), Verdict::Alive(_)), "both FIFOs replaced");
    }

    #[test]
    fn the_ui_vouches_only_while_it_reports() {
        let now: Timestamp = "2026-11-28T12:01:00Z".parse().unwrap();
        let report = beat("2026-11-28T12:00:50Z").ui;
        assert!(ui_alive(Some(&report), now, Duration::from_secs(15)));
        assert!(!ui_alive(Some(&report), now, Duration::from_secs(5)), "a UI silent for 10 s is not alive");
        assert!(!ui_alive(None, now, Duration::from_secs(15)), "no report yet: not alive");
    }

    #[test]
    fn notify_sends_a_datagram_to_the_socket_systemd_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let listener = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        notify_to(path.to_str().unwrap(), "WATCHDOG=1").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
        let name = format!("kiosk-test-{}", std::process::id());
        let abstract_listener = {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
            std::os::unix::net::UnixDatagram::bind_addr(&addr).unwrap()
        };
        notify_to(&format!("@{name}"), "READY=1").unwrap();
        let n = abstract_listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1", "abstract socket names (systemd's usual) work too");
    }
}
