//! The notify relay for real: a fake systemd (a datagram socket with
//! SO_PASSCRED, as systemd's own) names itself in NOTIFY_SOCKET, the relay
//! binary runs a session — this test binary again, in the `session` role —
//! and the fake checks what arrives, and from which process.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use kiosk_health::relay::recv_with_pid;

const SCRIPT: &str = "KIOSK_RELAY_TEST_SESSION";

/// The session's role (does nothing in a normal test run): runs the steps in
/// `$KIOSK_RELAY_TEST_SESSION`, separated by `|`: `exit:N`, `wait` (until a
/// signal ends it, or 120 s), `env` (a STATUS= with what it sees),
/// `relay-exit:N` (runs `kiosk-notify-relay --report-exit sh -c 'exit N'`, as
/// code that broke out of the web view could), `kill-parent` (SIGKILL to its
/// parent), or a notification to send (`\n` for a new line).
#[test]
fn session() {
    let Ok(script) = std::env::var(SCRIPT) else { return };
    for step in script.split('|') {
        if let Some(code) = step.strip_prefix("exit:") {
            std::process::exit(code.parse().unwrap());
        } else if let Some(code) = step.strip_prefix("relay-exit:") {
            let status = Command::new(env!("CARGO_BIN_EXE_kiosk-notify-relay"))
                .args(["--report-exit", "sh", "-c", &format!("exit {code}")])
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(code.parse().unwrap()));
        } else if step == "kill-parent" {
            let parent = rustix::process::Pid::from_raw(std::os::unix::process::parent_id() as i32).unwrap();
            rustix::process::kill_process(parent, rustix::process::Signal::KILL).unwrap();
        } else if step == "wait" {
            // Ended by a signal; if none comes, a status no test expects (not a hung test).
            std::thread::sleep(Duration::from_secs(120));
            std::process::exit(99);
        } else if step == "env" {
            let var = |k| std::env::var(k).unwrap_or_else(|_| "-".into());
            let socket = std::env::var("NOTIFY_SOCKET").unwrap();
            let meta = std::fs::metadata(&socket).unwrap();
            assert!(meta.file_type().is_socket());
            let status = format!(
                "STATUS=pid={} watchdog_usec={} watchdog_pid={} mode={:o} socket={socket}",
                std::process::id(),
                var("WATCHDOG_USEC"),
                var("WATCHDOG_PID"),
                meta.permissions().mode() & 0o777
            );
            assert!(kiosk_health::notify(&status).unwrap());
        } else {
            assert!(kiosk_health::notify(&step.replace("\\n", "\n")).unwrap(), "no NOTIFY_SOCKET in the session");
        }
    }
}

struct FakeSystemd {
    dir: tempfile::TempDir,
    socket: UnixDatagram,
}

impl FakeSystemd {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        let socket = UnixDatagram::bind(dir.path().join("notify")).unwrap();
        rustix::net::sockopt::set_socket_passcred(&socket, true).unwrap();
        // A hang would be a failure: far longer than any step takes.
        socket.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        FakeSystemd { dir, socket }
    }

    /// Starts the relay as systemd would: NOTIFY_SOCKET, RUNTIME_DIRECTORY, the watchdog's variables.
    fn start(&self, script: &str, watchdog_pid: Option<&str>) -> Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiosk-notify-relay"));
        cmd.arg("--")
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", "session", "--nocapture", "--test-threads=1"])
            .env(SCRIPT, script)
            .env("NOTIFY_SOCKET", self.dir.path().join("notify"))
            .env("RUNTIME_DIRECTORY", self.run_dir())
            .env("WATCHDOG_USEC", "20000000")
            .env_remove("WATCHDOG_PID");
        if let Some(pid) = watchdog_pid {
            cmd.env("WATCHDOG_PID", pid);
        }
        cmd.spawn().unwrap()
    }

    fn run_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("run")
    }

    /// The next notification and the PID the kernel says sent it.
    fn next(&self) -> (String, u32) {
        let mut buf = [0u8; 4096];
        let (n, pid) = recv_with_pid(&self.socket, &mut buf).expect("a notification");
        (String::from_utf8(buf[..n].to_vec()).unwrap(), pid.expect("the sender's credentials"))
    }

    fn assert_no_more(&self) {
        self.socket.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4096];
        match self.socket.recv(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("nothing more expected, got {other:?}"),
        }
    }
}

fn field<'a>(status: &'a str, key: &str) -> &'a str {
    status.split(' ').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')).unwrap()
}

#[test]
fn systemd_hears_the_session_from_the_relay_s_pid_and_gets_its_exit_status() {
    let systemd = FakeSystemd::new();
    let mut relay = systemd.start("env|MAINPID=1\\nREADY=1\\nFDSTORE=1|MAINPID=1|WATCHDOG=1|STOPPING=1|exit:64", None);
    let relay_pid = relay.id();

    let (status, from) = systemd.next();
    assert_eq!(from, relay_pid, "sent on by the relay (the unit's main PID), not by the session");
    let session_pid: u32 = field(&status, "STATUS=pid").parse().unwrap();
    assert_ne!(session_pid, relay_pid);
    assert_eq!(field(&status, "watchdog_usec"), "20000000", "the session learns the watchdog's period");
    assert_eq!(field(&status, "watchdog_pid"), "-", "and no WATCHDOG_PID that is not its own");
    assert_eq!(field(&status, "mode"), "600", "the relay's socket is its user's alone");
    let socket = field(&status, "socket");
    assert!(Path::new(socket).starts_with(systemd.run_dir()), "{socket} is in the unit's RuntimeDirectory");

    assert_eq!(systemd.next(), ("READY=1".to_string(), relay_pid), "MAINPID= and FDSTORE= are not passed on");
    assert_eq!(systemd.next(), ("WATCHDOG=1".to_string(), relay_pid), "a datagram of MAINPID= alone sends nothing");
    assert_eq!(systemd.next(), ("STOPPING=1".to_string(), relay_pid));

    let exit = relay.wait().unwrap();
    assert_eq!(exit.code(), Some(64), "\"Exit kiosk\" (64) reaches systemd's RestartPreventExitStatus");
    systemd.assert_no_more();
    assert!(!Path::new(socket).exists(), "the relay removes its socket");
}

#[test]
fn signals_reach_the_session_and_a_death_by_signal_is_128_plus_n() {
    for (signal, code) in [(rustix::process::Signal::TERM, 143), (rustix::process::Signal::HUP, 129)] {
        let systemd = FakeSystemd::new();
        let mut relay = systemd.start("READY=1|wait", None);
        // The session runs (it said so): the relay hands the signal on to it.
        assert_eq!(systemd.next().0, "READY=1");
        let pid = rustix::process::Pid::from_child(&relay);
        rustix::process::kill_process(pid, signal).unwrap();
        let exit = relay.wait().unwrap();
        assert_eq!(exit.code(), Some(code), "the relay exits as its session did ({signal:?}): {exit:?}");
    }
}

#[test]
fn a_watchdog_meant_for_another_process_is_not_passed_down() {
    let systemd = FakeSystemd::new();
    let mut relay = systemd.start("env|exit:0", Some("1"));
    let (status, _) = systemd.next();
    assert_eq!(field(&status, "watchdog_usec"), "-", "{status}");
    assert_eq!(field(&status, "watchdog_pid"), "-", "{status}");
    assert_eq!(relay.wait().unwrap().code(), Some(0));
}

#[test]
fn without_systemd_the_relay_only_runs_the_session() {
    let mut relay = Command::new(env!("CARGO_BIN_EXE_kiosk-notify-relay"))
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "session", "--nocapture", "--test-threads=1"])
        .env(SCRIPT, "exit:7")
        .env_remove("NOTIFY_SOCKET")
        .spawn()
        .unwrap();
    assert_eq!(relay.wait().unwrap().code(), Some(7));
}

/// The outer relay, the way the unit starts it under cage: `sh` stands for
/// the compositor (and exits 0 whatever its client did, as cage 0.1.4 does),
/// running the app (this binary's `session`) under `--report-exit`. With
/// `bus`, one more process stands between the relay and the compositor, as
/// `dbus-run-session` does when the kiosk user has no session bus.
fn start_in_compositor(systemd: &FakeSystemd, script: &str, bus: bool) -> Child {
    let relay = env!("CARGO_BIN_EXE_kiosk-notify-relay");
    let compositor = "\"$0\" --report-exit \"$1\" --exact session --nocapture --test-threads=1; exit 0";
    let mut cmd = Command::new(relay);
    cmd.arg("--");
    if bus {
        cmd.args(["sh", "-c", "\"$0\" \"$@\"; exit 0"]);
    }
    cmd.args(["sh", "-c", compositor])
        .arg(relay)
        .arg(std::env::current_exe().unwrap())
        .env(SCRIPT, script)
        .env("NOTIFY_SOCKET", systemd.dir.path().join("notify"))
        .env("RUNTIME_DIRECTORY", systemd.run_dir())
        .spawn()
        .unwrap()
}

#[test]
fn the_session_s_own_word_on_its_exit_status_is_not_taken() {
    // Anything the session runs reaches the relay's socket (NOTIFY_SOCKET is
    // in its environment): a forged "Exit kiosk" (64) from there would keep
    // the lobby dark past the staff PIN. The session sends one and exits 0.
    let systemd = FakeSystemd::new();
    let mut relay =
        systemd.start("X_KIOSK_EXIT_STATUS=64|X_KIOSK_INNER_RELAY=1\nX_KIOSK_EXIT_STATUS=64|READY=1|exit:0", None);
    assert_eq!(systemd.next().0, "READY=1");
    assert_eq!(relay.wait().unwrap().code(), Some(0), "the session's own word on its exit status is not taken");
}

#[test]
fn a_relay_started_inside_the_session_is_not_the_inner_relay() {
    // Under the compositor, the app runs a relay of its own (same program,
    // says hello, reports 64), then kills the real one and exits 0.
    let systemd = FakeSystemd::new();
    let mut relay = start_in_compositor(&systemd, "READY=1|relay-exit:64|kill-parent|exit:0", false);
    assert_eq!(systemd.next().0, "READY=1");
    assert_eq!(relay.wait().unwrap().code(), Some(0), "a relay started inside the session is not the inner relay");
}

#[test]
fn the_app_s_exit_status_beats_a_compositor_that_drops_it() {
    // As in cage 0.1.4: the compositor runs the app (through the relay's
    // --report-exit) and exits 0 whatever the app's status was.
    for bus in [false, true] {
        let systemd = FakeSystemd::new();
        let mut outer = start_in_compositor(&systemd, "READY=1|exit:64", bus);
        assert_eq!(systemd.next(), ("READY=1".to_string(), outer.id()));
        assert_eq!(outer.wait().unwrap().code(), Some(64), "\"Exit kiosk\" survives the compositor (bus: {bus})");
        systemd.assert_no_more();
    }
}
