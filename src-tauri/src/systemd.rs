//! systemd's notification socket and watchdog, taken out of the environment
//! at start.
//!
//! systemd (or the unit's `kiosk-notify-relay`) names the socket in
//! `NOTIFY_SOCKET` and the watchdog in `WATCHDOG_USEC`/`WATCHDOG_PID`. Left in
//! the environment, every process the app starts would inherit them — the
//! web process first, so a page that broke out of the web view would know
//! where to send `STATUS=`, `READY=1`, or (before the relay checked its
//! senders) a forged "Exit kiosk". The app reads them once, first thing in
//! `main`, and removes them; the heartbeat and the READY notice use what was
//! read ([`get`], [`notify`]).

use std::ffi::OsString;
use std::sync::OnceLock;
use std::time::Duration;

use kiosk_health::watchdog;

/// The variables of systemd's notification protocol that no child should see.
pub const KEYS: [&str; 3] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/// What systemd told the app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Systemd {
    /// Where notifications go (`NOTIFY_SOCKET`), when the app runs under systemd.
    pub socket: Option<String>,
    /// systemd's watchdog, when it is this process's to feed (see `watchdog::interval`).
    pub watchdog: Option<Duration>,
}

/// Reads [`Systemd`] from the environment `current`, for the process `me`
/// with the given ancestors.
pub fn read(current: impl Fn(&str) -> Option<OsString>, me: u32, ancestors: &[u32]) -> Systemd {
    Systemd {
        socket: current("NOTIFY_SOCKET").filter(|s| !s.is_empty()).map(|s| s.to_string_lossy().into_owned()),
        watchdog: watchdog::interval(
            current("WATCHDOG_USEC").as_deref(),
            current("WATCHDOG_PID").as_deref(),
            me,
            ancestors,
        ),
    }
}

static SYSTEMD: OnceLock<Systemd> = OnceLock::new();

/// Reads systemd's variables, removes them from this process's environment
/// (so that no child inherits them) and keeps what was read for [`get`].
///
/// # Safety
/// No other thread may exist yet: nothing may read the environment while it
/// changes (call it first thing in `main`, next to `engine::apply`).
#[allow(unsafe_code)]
pub unsafe fn take() -> &'static Systemd {
    let found = read(|k| std::env::var_os(k), std::process::id(), &watchdog::ancestors());
    for key in KEYS {
        // SAFETY: the caller guarantees this process has a single thread.
        unsafe { std::env::remove_var(key) };
    }
    SYSTEMD.get_or_init(|| found)
}

/// What [`take`] read (nothing, if it never ran).
pub fn get() -> &'static Systemd {
    SYSTEMD.get_or_init(Systemd::default)
}

/// Sends `message` to systemd's notification socket, if the app has one.
pub fn notify(message: &str) -> std::io::Result<bool> {
    match &get().socket {
        Some(socket) => kiosk_health::notify_to(socket, message).map(|()| true),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::process::Command;

    const ROLE: &str = "KIOSK_SYSTEMD_TEST_CHILD";

    #[test]
    fn reads_the_socket_and_the_watchdog_as_sd_watchdog_enabled_does() {
        let env = |pairs: &[(&str, &str)]| -> HashMap<String, OsString> {
            pairs.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect()
        };
        let all = env(&[("NOTIFY_SOCKET", "/run/x.sock"), ("WATCHDOG_USEC", "6000000"), ("WATCHDOG_PID", "7")]);
        let got = read(|k| all.get(k).cloned(), 100, &[7]);
        assert_eq!(
            got,
            Systemd { socket: Some("/run/x.sock".into()), watchdog: Some(Duration::from_secs(6)) },
            "WATCHDOG_PID names an ancestor: ours"
        );
        assert_eq!(read(|k| all.get(k).cloned(), 100, &[]).watchdog, None, "another process's watchdog");
        let empty = env(&[("NOTIFY_SOCKET", "")]);
        assert_eq!(read(|k| empty.get(k).cloned(), 100, &[]), Systemd::default());
    }

    /// Run as a child of the test below (does nothing in a normal test run):
    /// takes the variables as `main` does, then starts a process as WebKit
    /// starts its web process, and prints what that child saw.
    #[test]
    fn child_role() {
        if std::env::var_os(ROLE).is_none() {
            return;
        }
        // SAFETY: this process runs this one test; libtest's main thread only
        // waits for it, and nothing else reads the environment.
        #[allow(unsafe_code)]
        let found = unsafe { take() }.clone();
        let out = Command::new("sh")
            .args(["-c", "echo \"${NOTIFY_SOCKET-unset} ${WATCHDOG_USEC-unset} ${WATCHDOG_PID-unset}\""])
            .output()
            .unwrap();
        println!("CHILD-SAW {}", String::from_utf8_lossy(&out.stdout).trim());
        println!("APP-KEPT {:?} {:?}", found.socket, get().watchdog.map(|w| w.as_micros()));
    }

    #[test]
    fn children_do_not_inherit_the_notification_socket() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "systemd::tests::child_role", "--nocapture", "--test-threads=1"])
            .env(ROLE, "1")
            .env("NOTIFY_SOCKET", "/run/embassy-kiosk/notify-relay-1.sock")
            .env("WATCHDOG_USEC", "60000000")
            .env_remove("WATCHDOG_PID")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            stdout.contains("CHILD-SAW unset unset unset"),
            "a child of the app saw systemd's variables:\n{stdout}"
        );
        assert!(
            stdout.contains("APP-KEPT Some(\"/run/embassy-kiosk/notify-relay-1.sock\") Some(60000000)"),
            "the app itself still knows them:\n{stdout}"
        );
    }
}
