//! The notify relay: makes systemd hear a kiosk that runs below a compositor.
//!
//! The unit (`Type=notify`, `WatchdogSec=`, `PAMName=login`) starts the
//! session; pam_systemd moves the session's processes into a logind scope, out
//! of the service's cgroup, and systemd then only takes notifications (READY,
//! WATCHDOG) from the service's main process. Under cage the app is cage's
//! child, never the main process, so the unit never became ready and systemd
//! restarted the kiosk every `TimeoutStartSec`.
//!
//! [`run`] is that main process: it binds its own notification socket (in the
//! unit's runtime directory, mode 0600), starts the session with
//! `NOTIFY_SOCKET` pointing there, and sends on, from its own PID, what
//! systemd should hear from the kiosk ([`forwardable`]: READY, WATCHDOG,
//! STATUS, STOPPING and the start/stop timeout — never `MAINPID=`, never
//! `WATCHDOG_USEC=`, never file descriptors). It hands SIGTERM, SIGINT, SIGHUP and the watchdog's SIGABRT
//! to the session and exits with its status (a signal's death as 128 + n), so
//! `RestartPreventExitStatus=64` ("Exit kiosk") still holds — with the app's
//! own status when [`report_exit`] runs it inside the compositor (cage 0.1.4
//! exits 0 whatever its client's status was) — and only then: the status is
//! taken from that inner relay alone ([`is_inner_relay`]), never from the app
//! or anything it started.

use std::ffi::{OsStr, OsString};
use std::io::{self, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
use rustix::process::{Pid, Signal};

/// The signals handed on to the session. SIGABRT is systemd's `WatchdogSignal`:
/// the session, not the relay, is what hung.
const FORWARDED_SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGABRT,
];

/// The largest notification accepted (systemd's own limit is a page).
const MAX_MESSAGE: usize = 4096;

/// The part of a notification the relay passes on, or `None` when nothing in
/// it may be: one `KEY=value` a line; known keys only. `MAINPID=` would let
/// the session make systemd watch (and kill) another process; `FDSTORE=` would
/// park file descriptors with systemd; `WATCHDOG_USEC=` would let it stretch
/// (or shrink) the watchdog's period — the app never sends it, and a web page
/// that broke out should not switch the watchdog off; anything unknown stays
/// with the relay.
pub fn forwardable(message: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(message).ok()?;
    let usec = |line: &str, key: &str| {
        line.strip_prefix(key).is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    };
    let kept: Vec<&str> = text
        .split('\n')
        .filter(|line| {
            matches!(*line, "READY=1" | "WATCHDOG=1" | "STOPPING=1")
                || line.starts_with("STATUS=")
                || usec(line, "EXTEND_TIMEOUT_USEC=")
        })
        .collect();
    if kept.is_empty() { None } else { Some(kept.join("\n")) }
}

/// The app's exit status, as [`report_exit`] sends it from inside the
/// compositor: the relay ends with it rather than with the compositor's.
pub const EXIT_STATUS_KEY: &str = "X_KIOSK_EXIT_STATUS=";

/// What [`report_exit`] sends first, before it starts the app: "I am the
/// relay inside the compositor". The outer relay checks the sender (see
/// [`is_inner_relay`]) and from then on takes [`EXIT_STATUS_KEY`] from that
/// process alone.
pub const INNER_RELAY_HELLO: &str = "X_KIOSK_INNER_RELAY=1";

/// The exit status a notification reports (see [`EXIT_STATUS_KEY`]), if any.
fn reported_exit(message: &[u8]) -> Option<i32> {
    let text = std::str::from_utf8(message).ok()?;
    text.split('\n').rev().find_map(|line| line.strip_prefix(EXIT_STATUS_KEY)?.parse().ok())
}

/// The exit code a shell would give for `status`: the child's own code, or
/// 128 + the signal that ended it.
pub fn exit_code(status: ExitStatus) -> i32 {
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Receives one datagram into `buf`, with the sending process's PID (the
/// kernel's word, `SCM_CREDENTIALS`; the socket needs `SO_PASSCRED`). Returns
/// the datagram's full length: more than `buf.len()` when it was cut short.
/// File descriptors sent along are not taken (the kernel closes them).
pub fn recv_with_pid(socket: &UnixDatagram, buf: &mut [u8]) -> io::Result<(usize, Option<u32>)> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmCredentials(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let msg = rustix::net::recvmsg(socket, &mut [IoSliceMut::new(buf)], &mut control, RecvFlags::TRUNC)?;
    let mut pid = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmCredentials(cred) = message {
            pid = u32::try_from(cred.pid.as_raw_pid()).ok();
        }
    }
    Ok((msg.bytes, pid))
}

/// Where the relay's socket goes: the unit's `RuntimeDirectory=` (private to
/// the service), else the user's runtime directory.
fn socket_path() -> io::Result<PathBuf> {
    let dir = std::env::var_os("RUNTIME_DIRECTORY")
        .and_then(|dirs| dirs.to_string_lossy().split(':').next().map(PathBuf::from))
        .filter(|d| !d.as_os_str().is_empty())
        .or_else(|| std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()).map(PathBuf::from))
        .ok_or_else(|| {
            io::Error::other(
                "neither RUNTIME_DIRECTORY nor XDG_RUNTIME_DIR is set: nowhere to put the notification socket",
            )
        })?;
    Ok(dir.join(format!("notify-relay-{}.sock", std::process::id())))
}

/// The relay's own socket, bound at `path`, readable and writable by its user alone.
fn bind(path: &PathBuf) -> io::Result<UnixDatagram> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let socket = UnixDatagram::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    rustix::net::sockopt::set_socket_passcred(&socket, true)?;
    Ok(socket)
}

/// Sends on what the session tells systemd until the relay itself says stop
/// (a datagram from its own PID, sent once the session has ended: everything
/// the session sent before is in the queue ahead of it).
fn forward(socket: &UnixDatagram, upstream: &str) -> Option<i32> {
    let me = std::process::id();
    let mut buf = vec![0u8; MAX_MESSAGE];
    let mut reported = None;
    // The relay inside the compositor, once it has said hello and checked out.
    let mut inner = None;
    loop {
        let (len, pid) = match recv_with_pid(socket, &mut buf) {
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("kiosk-notify-relay: cannot receive notifications: {e}");
                return reported;
            }
        };
        if pid == Some(me) {
            return reported;
        }
        if len > buf.len() {
            continue; // cut short: not a notification systemd would take either
        }
        // Anyone the session runs can reach this socket (the app, the web
        // process, whatever broke out of it): only the inner relay's word on
        // the exit status counts, and only its first.
        if inner.is_none()
            && buf[..len].split(|&b| b == b'\n').any(|l| l == INNER_RELAY_HELLO.as_bytes())
            && let Some(pid) = pid
        {
            if is_inner_relay(pid, me) {
                inner = Some(pid);
            } else {
                eprintln!("kiosk-notify-relay: ignored a hello from process {pid}, not the relay inside the session");
            }
        }
        if let Some(code) = reported_exit(&buf[..len]) {
            if reported.is_none() && pid.is_some() && pid == inner {
                reported = Some(code);
            } else if pid != inner {
                eprintln!(
                    "kiosk-notify-relay: ignored an exit status from process {pid:?}, not the relay inside the session"
                );
            }
        }
        if let Some(message) = forwardable(&buf[..len])
            && let Err(e) = crate::notify_to(upstream, &message)
        {
            eprintln!("kiosk-notify-relay: cannot notify systemd: {e}");
        }
    }
}

/// The device and inode of the program `pid` runs (`/proc/<pid>/exe`).
fn program_of(pid: u32) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(format!("/proc/{pid}/exe")).ok()?;
    Some((meta.dev(), meta.ino()))
}

/// Whether `sender` is the relay inside the session, as seen by the relay
/// `me`: it runs the same program as `me`, `me` is one of its ancestors, and
/// no process between the two runs that program. The kiosk's session is
/// `me → [dbus-run-session →] cage → inner relay → app → web process`, so a
/// relay started by the app, or by anything that broke out of the web view,
/// has the inner relay among its ancestors and does not pass; an orphan
/// (whose parent died) no longer has `me` among them. The PIDs come from the
/// kernel (`SCM_CREDENTIALS`), which no sender can forge; the check must run
/// while `sender` lives (it does: it says hello before it starts the app).
/// Anything `/proc` does not answer counts against the sender.
pub fn is_inner_relay(sender: u32, me: u32) -> bool {
    let Some(program) = program_of(me) else { return false };
    if sender == me || program_of(sender) != Some(program) {
        return false;
    }
    let mut pid = sender;
    for _ in 0..32 {
        match crate::watchdog::parent_of(pid) {
            Some(parent) if parent == me => return true,
            Some(parent) if parent > 1 && program_of(parent).is_some_and(|p| p != program) => pid = parent,
            _ => return false,
        }
    }
    false
}

/// Runs `command` as described in the module docs and returns the exit code
/// the relay should end with. Without `NOTIFY_SOCKET` (not started by systemd)
/// it only runs the command and hands signals on.
pub fn run(command: &[OsString]) -> io::Result<i32> {
    let (program, args) = command.split_first().ok_or_else(|| io::Error::other("no command to run"))?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    // The watchdog is the relay's when systemd named no PID or named the relay's.
    // The session's PID is not known before it starts: it gets the period
    // (WATCHDOG_USEC) and no WATCHDOG_PID, which sd_watchdog_enabled reads as "yours".
    let watchdog_ours = match std::env::var("WATCHDOG_PID") {
        Ok(pid) => pid.trim().parse::<u32>().ok() == Some(std::process::id()),
        Err(_) => true,
    };
    cmd.env_remove("WATCHDOG_PID");
    if !watchdog_ours {
        cmd.env_remove("WATCHDOG_USEC");
    }
    let upstream = std::env::var_os("NOTIFY_SOCKET").filter(|s| !s.is_empty());
    let relay = match &upstream {
        Some(upstream) => {
            let path = socket_path()?;
            let socket = bind(&path)?;
            cmd.env("NOTIFY_SOCKET", &path);
            Some((socket, path, upstream.to_string_lossy().into_owned()))
        }
        None => None,
    };
    let result = supervise(cmd, relay.as_ref().map(|(s, _, u)| (s, u.as_str()))).map(|(code, reported)| {
        // cage 0.1.4 (Debian 12) exits 0 whatever its client did: the app's own
        // status, when reported from inside, is the one that counts.
        reported.unwrap_or(code)
    });
    if let Some((_, path, _)) = &relay {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Runs `command` inside the session (as cage's client: `cage --
/// kiosk-notify-relay --report-exit /usr/bin/embassy-kiosk`), hands signals
/// on, and when it ends tells the relay above its exit status (through
/// `NOTIFY_SOCKET`, see [`EXIT_STATUS_KEY`]) before exiting with it, so a
/// compositor that drops its client's status cannot turn "Exit kiosk" (64)
/// into a restart. Notifications pass straight through.
pub fn report_exit(command: &[OsString]) -> io::Result<i32> {
    let (program, args) = command.split_first().ok_or_else(|| io::Error::other("no command to run"))?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    let socket = std::env::var_os("NOTIFY_SOCKET").filter(|s| !s.is_empty());
    // Before the app runs (nothing the app starts can have said it first):
    // the outer relay looks at who this is while this process surely lives.
    if let Some(socket) = &socket
        && let Err(e) = crate::notify_to(&socket.to_string_lossy(), INNER_RELAY_HELLO)
    {
        eprintln!("kiosk-notify-relay: cannot reach the relay outside the compositor: {e}");
    }
    let (code, _) = supervise(cmd, None)?;
    if let Some(socket) = &socket
        && let Err(e) = crate::notify_to(&socket.to_string_lossy(), &format!("{EXIT_STATUS_KEY}{code}"))
    {
        eprintln!("kiosk-notify-relay: cannot report the exit status {code}: {e}");
    }
    Ok(code)
}

/// Runs the session; returns its exit code and the one reported from inside, if any.
fn supervise(mut cmd: Command, relay: Option<(&UnixDatagram, &str)>) -> io::Result<(i32, Option<i32>)> {
    // Taken over before the session starts, so no signal finds the relay unprepared.
    let mut signals = signal_hook::iterator::Signals::new(FORWARDED_SIGNALS)?;
    let forwarder = match relay {
        Some((socket, upstream)) => {
            let (socket, upstream) = (socket.try_clone()?, upstream.to_string());
            Some(std::thread::spawn(move || forward(&socket, &upstream)))
        }
        None => None,
    };
    let spawned = cmd.spawn().map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", show(cmd.get_program()))));
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let _ = stop_forwarder(relay, forwarder);
            return Err(e);
        }
    };
    let pid = Pid::from_child(&child);
    let handle = signals.handle();
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if let Some(sig) = Signal::from_named_raw(sig) {
                let _ = rustix::process::kill_process(pid, sig);
            }
        }
    });
    let status = child.wait();
    handle.close();
    let reported = stop_forwarder(relay, forwarder);
    status.map(|s| (exit_code(s), reported))
}

/// Stops the forwarder once it has sent on all the session said: a datagram
/// from the relay's own PID queues up behind the session's last.
fn stop_forwarder(
    relay: Option<(&UnixDatagram, &str)>,
    forwarder: Option<std::thread::JoinHandle<Option<i32>>>,
) -> Option<i32> {
    if let (Some((socket, _)), Some(forwarder)) = (relay, forwarder)
        && let Ok(addr) = socket.local_addr()
        && let Some(path) = addr.as_pathname()
        && UnixDatagram::unbound().and_then(|s| s.send_to(b"", path)).is_ok()
    {
        return forwarder.join().ok().flatten();
    }
    None
}

fn show(program: &OsStr) -> String {
    program.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_keys_are_passed_on() {
        assert_eq!(forwardable(b"READY=1").as_deref(), Some("READY=1"));
        assert_eq!(
            forwardable(b"READY=1\nSTATUS=showing home\nMAINPID=1\nFDSTORE=1\nWATCHDOG_USEC=5000000").as_deref(),
            Some("READY=1\nSTATUS=showing home")
        );
        assert_eq!(forwardable(b"MAINPID=1"), None, "a MAINPID alone sends nothing");
        assert_eq!(forwardable(b"FDSTORE=1\nFDNAME=x"), None);
        assert_eq!(forwardable(b"WATCHDOG=trigger"), None);
        assert_eq!(forwardable(b"EXTEND_TIMEOUT_USEC=1e9"), None, "timeouts are plain numbers");
        assert_eq!(forwardable(b"EXTEND_TIMEOUT_USEC=30000000").as_deref(), Some("EXTEND_TIMEOUT_USEC=30000000"));
        assert_eq!(forwardable(b"STOPPING=1\nREADY=0").as_deref(), Some("STOPPING=1"));
        assert_eq!(forwardable(&[0xff, b'\n', b'R']), None, "not UTF-8: dropped");
        assert_eq!(forwardable(b"X_KIOSK_EXIT_STATUS=64"), None, "the app's exit status is the relay's business");
        assert_eq!(forwardable(b"WATCHDOG_USEC=3600000000"), None, "the session cannot stretch the watchdog");
        assert_eq!(forwardable(INNER_RELAY_HELLO.as_bytes()), None);
        assert_eq!(reported_exit(b"X_KIOSK_EXIT_STATUS=64"), Some(64));
        assert_eq!(reported_exit(b"READY=1"), None);
    }

    #[test]
    fn exit_codes_read_like_a_shell_s() {
        assert_eq!(exit_code(ExitStatus::from_raw(64 << 8)), 64);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143, "killed by SIGTERM");
    }
}
