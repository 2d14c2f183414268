//! systemd's watchdog, kept fed on its own schedule.
//!
//! A unit with `WatchdogSec=` restarts the kiosk unless it hears `WATCHDOG=1`
//! at least that often. systemd tells the process how often in
//! `WATCHDOG_USEC`; sd_notify(3) asks for a ping every half of it. The
//! heartbeat file has its own, admin-chosen interval (`heartbeat_secs`, up to
//! an hour), so the two are paced apart: [`Pacer`] says when a watchdog ping
//! and when a heartbeat is due, and [`run`] sends the pings — only while the
//! caller says the UI is alive, so a hung web view still gets restarted.

use std::ffi::OsStr;
use std::time::{Duration, Instant};

/// How often systemd wants to hear from this process, read as
/// `sd_watchdog_enabled(3)` reads it: `WATCHDOG_USEC` (microseconds, more than
/// zero), for the process `WATCHDOG_PID` names when it names one.
///
/// One difference, on purpose: systemd names the unit's main process, and the
/// kiosk may run under wrappers that never ping themselves (cage,
/// `dbus-run-session`, the session script). The shipped unit's main process is
/// `kiosk-notify-relay`, which passes the app's pings on and hands the session
/// no `WATCHDOG_PID` at all; a unit without it may still name a wrapper. So a
/// `WATCHDOG_PID` naming this process *or one of its ancestors* counts; one
/// naming any other process does not (the variables were inherited from
/// elsewhere, and the pings are someone else's to send).
pub fn interval(usec: Option<&OsStr>, pid: Option<&OsStr>, me: u32, ancestors: &[u32]) -> Option<Duration> {
    let usec: u64 = usec?.to_str()?.trim().parse().ok().filter(|&u| u > 0)?;
    if let Some(pid) = pid {
        let pid: u32 = pid.to_str()?.trim().parse().ok()?;
        if pid != me && !ancestors.contains(&pid) {
            return None;
        }
    }
    Some(Duration::from_micros(usec))
}

/// [`interval`] for this process, from its environment and `/proc`.
pub fn from_env() -> Option<Duration> {
    interval(
        std::env::var_os("WATCHDOG_USEC").as_deref(),
        std::env::var_os("WATCHDOG_PID").as_deref(),
        std::process::id(),
        &ancestors(),
    )
}

/// This process's parent, grandparent, … up to init (at most 32 of them).
pub fn ancestors() -> Vec<u32> {
    let mut out = Vec::new();
    let mut pid = std::os::unix::process::parent_id();
    while pid > 1 && out.len() < 32 && !out.contains(&pid) {
        out.push(pid);
        match parent_of(pid) {
            Some(p) => pid = p,
            None => break,
        }
    }
    out
}

/// The parent of `pid`, from `/proc/<pid>/stat` (the field after the command name).
pub(crate) fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(1)?.parse().ok()
}

/// How often to ping a watchdog of `watchdog`: a third of it — within the half
/// sd_notify(3) asks for, with room for a late wake-up on a busy machine.
pub fn ping_every(watchdog: Duration) -> Duration {
    (watchdog / 3).max(Duration::from_millis(10))
}

/// What is due at a tick of the heartbeat loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Due {
    /// Tell systemd's watchdog the kiosk is alive.
    pub ping: bool,
    /// Write (and send) a heartbeat.
    pub beat: bool,
}

/// The heartbeat loop's schedule: a heartbeat every `heartbeat`, and with a
/// watchdog a ping every [`ping_every`] of it — also with every heartbeat —
/// however long `heartbeat` is.
#[derive(Debug, Clone)]
pub struct Pacer {
    beat_every: Duration,
    ping_every: Option<Duration>,
    next_beat: Instant,
    next_ping: Option<Instant>,
}

impl Pacer {
    /// The schedule from `start`: the first beat after one `heartbeat`, the first ping after one ping interval.
    pub fn new(heartbeat: Duration, watchdog: Option<Duration>, start: Instant) -> Pacer {
        let ping_every = watchdog.map(ping_every);
        Pacer {
            beat_every: heartbeat,
            ping_every,
            next_beat: start + heartbeat,
            next_ping: ping_every.map(|p| start + p),
        }
    }

    /// When the loop should next wake.
    pub fn next(&self) -> Instant {
        self.next_ping.map_or(self.next_beat, |p| p.min(self.next_beat))
    }

    /// What is due at `now`, moving the schedule past it. A loop that woke
    /// late does what is due once, not once per missed interval.
    pub fn due(&mut self, now: Instant) -> Due {
        let mut due = Due::default();
        if now >= self.next_beat {
            due.beat = true;
            self.next_beat = later(self.next_beat, self.beat_every, now);
        }
        if let (Some(next), Some(every)) = (self.next_ping, self.ping_every)
            && (now >= next || due.beat)
        {
            due.ping = true;
            self.next_ping = Some(now + every);
        }
        due
    }
}

/// The first `from + k·every` after `now` (k ≥ 1).
fn later(from: Instant, every: Duration, now: Instant) -> Instant {
    let mut next = from + every;
    if next <= now {
        let behind = now.duration_since(next).as_nanos() / every.as_nanos().max(1) + 1;
        next += every * u32::try_from(behind).unwrap_or(u32::MAX);
    }
    next
}

/// Runs the heartbeat loop on the calling thread until `keep_going` says no:
/// sleeps until [`Pacer::next`], and then, only if `alive()` — the UI still
/// reports what it renders — pings the watchdog at `socket` (systemd's
/// `NOTIFY_SOCKET`) when a ping is due and has `beat()` called when a heartbeat is.
///
/// `beat()` runs on a thread of its own ("heartbeat-beat"), never on the one
/// that pings: a beat may block far longer than the watchdog allows — a
/// signup store locked by kioskctl, a slow or full disk, a heartbeat file that
/// is a FIFO — and a healthy kiosk must not be killed for it. Whether systemd
/// hears a ping depends only on `alive()`. A beat that falls due while the
/// last one still runs waits, at most one of them; the others are skipped.
/// Returns once the loop stopped and the beat in progress, if any, finished.
pub fn run(
    mut pacer: Pacer,
    socket: Option<&str>,
    mut alive: impl FnMut() -> bool,
    beat: impl FnMut() + Send,
    mut keep_going: impl FnMut() -> bool,
) {
    let beat = std::sync::Mutex::new(beat);
    let call_beat = &|| (beat.lock().unwrap_or_else(|p| p.into_inner()))();
    std::thread::scope(|scope| {
        let (due_tx, due_rx) = std::sync::mpsc::sync_channel::<()>(1);
        let spawned = std::thread::Builder::new().name("heartbeat-beat".into()).spawn_scoped(scope, move || {
            while due_rx.recv().is_ok() {
                call_beat();
            }
        });
        // Without a thread of its own (none to be had), the beat runs here, as it used to.
        let due_tx = spawned.ok().map(|_| due_tx);
        while keep_going() {
            let now = Instant::now();
            let next = pacer.next();
            if next > now {
                std::thread::sleep(next - now);
            }
            let due = pacer.due(Instant::now());
            if !alive() {
                continue;
            }
            if due.ping
                && let Some(socket) = socket
            {
                let _ = crate::notify_to(socket, "WATCHDOG=1");
            }
            if due.beat {
                match &due_tx {
                    // Full: one beat runs and one waits; this one is skipped.
                    Some(tx) => {
                        let _ = tx.try_send(());
                    }
                    None => call_beat(),
                }
            }
        }
        drop(due_tx); // the beat thread ends after the beat in progress
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn the_watchdog_interval_is_read_as_sd_watchdog_enabled_reads_it() {
        let os = |s: &'static str| Some(OsStr::new(s));
        type Case = (Option<&'static OsStr>, Option<&'static OsStr>, Option<u64>, &'static str);
        let cases: [Case; 9] = [
            (os("2000000"), None, Some(2_000_000), "no WATCHDOG_PID: for whoever reads it"),
            (os("2000000"), os("100"), Some(2_000_000), "WATCHDOG_PID names this process"),
            (os("60000000"), os("7"), Some(60_000_000), "it names an ancestor (cage, the session script)"),
            (os("2000000"), os("555"), None, "it names another process: not ours to ping"),
            (None, None, None, "no WATCHDOG_USEC: no watchdog"),
            (os("0"), None, None, "zero is no watchdog"),
            (os("soon"), None, None, "not a number"),
            (os("-5"), None, None, "negative"),
            (os("2000000"), os("x"), None, "an unreadable WATCHDOG_PID is not ours"),
        ];
        for (usec, pid, want, why) in cases {
            assert_eq!(interval(usec, pid, 100, &[42, 7]), want.map(Duration::from_micros), "{why}");
        }
    }

    #[test]
    fn this_process_sees_its_own_ancestors() {
        let ancestors = ancestors();
        assert_eq!(ancestors.first(), Some(&std::os::unix::process::parent_id()));
        assert!(!ancestors.contains(&std::process::id()));
    }

    /// Ping and beat times over `secs` seconds of a schedule, waking whenever it asks.
    fn simulate(heartbeat: u64, watchdog_ms: Option<u64>, secs: u64) -> (Vec<u64>, Vec<u64>) {
        let start = Instant::now();
        let mut pacer = Pacer::new(Duration::from_secs(heartbeat), watchdog_ms.map(Duration::from_millis), start);
        let (mut pings, mut beats) = (Vec::new(), Vec::new());
        loop {
            let at = pacer.next();
            let ms = at.duration_since(start).as_millis() as u64;
            if ms > secs * 1000 {
                return (pings, beats);
            }
            let due = pacer.due(at);
            if due.ping {
                pings.push(ms);
            }
            if due.beat {
                beats.push(ms);
            }
        }
    }

    #[test]
    fn a_long_heartbeat_does_not_starve_the_watchdog() {
        // heartbeat_secs = 120 under WatchdogSec=60: today's restart loop.
        let (pings, beats) = simulate(120, Some(60_000), 600);
        assert_eq!(beats, [120_000, 240_000, 360_000, 480_000, 600_000]);
        let mut last = 0;
        for p in &pings {
            assert!(p - last <= 30_000, "a ping at least every half of the watchdog: {last} → {p}");
            last = *p;
        }
        assert!(beats.iter().all(|b| pings.contains(b)), "every heartbeat pings too");

        let (pings, beats) = simulate(1, Some(60_000), 10);
        assert_eq!(beats.len(), 10, "a short heartbeat keeps its own pace");
        assert_eq!(pings, beats, "and pings with each beat");

        let (pings, beats) = simulate(10, None, 30);
        assert!(pings.is_empty(), "no watchdog, no pings");
        assert_eq!(beats, [10_000, 20_000, 30_000]);
    }

    #[test]
    fn a_late_wake_up_does_each_thing_once() {
        let start = Instant::now();
        let mut pacer = Pacer::new(Duration::from_secs(10), Some(Duration::from_secs(3)), start);
        let late = start + Duration::from_secs(35);
        assert_eq!(pacer.due(late), Due { ping: true, beat: true });
        assert_eq!(pacer.due(late), Due::default(), "nothing is owed twice");
        assert_eq!(pacer.next(), late + Duration::from_secs(1), "the next ping comes a third of the watchdog later");
    }

    #[test]
    fn a_slow_heartbeat_does_not_starve_the_watchdog() {
        // A beat that blocks for 5 s (a signup store held by kioskctl, a slow
        // disk, a heartbeat file that is a FIFO) under WATCHDOG_USEC = 1 s.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let listener = UnixDatagram::bind(&path).unwrap();
        listener.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (blocking_tx, blocking) = std::sync::mpsc::channel();
        let looping = {
            let (stop, socket) = (stop.clone(), path.to_str().unwrap().to_string());
            std::thread::spawn(move || {
                let pacer = Pacer::new(Duration::from_millis(100), Some(Duration::from_secs(1)), Instant::now());
                run(
                    pacer,
                    Some(&socket),
                    || true,
                    move || {
                        // Only the first beat blocks, so the test ends soon after it.
                        if blocking_tx.send(()).is_ok() {
                            std::thread::sleep(Duration::from_secs(5));
                        }
                    },
                    || !stop.load(Ordering::SeqCst),
                )
            })
        };
        blocking.recv_timeout(Duration::from_secs(20)).expect("the first heartbeat starts");
        drop(blocking);
        let end = Instant::now() + Duration::from_millis(4500);
        let mut pings = 0;
        let mut buf = [0u8; 64];
        while Instant::now() < end {
            if let Ok(len) = listener.recv(&mut buf) {
                assert_eq!(&buf[..len], b"WATCHDOG=1");
                pings += 1;
            }
        }
        // A ping every 1/3 s: about 13 in 4.5 s. Generous: a loaded machine may wake late.
        assert!(pings >= 3, "a 1 s watchdog must keep hearing while a heartbeat blocks, got {pings} in 4.5 s");
        stop.store(true, Ordering::SeqCst);
        looping.join().unwrap();
    }

    #[test]
    fn the_watchdog_hears_the_loop_through_a_real_notify_socket_only_while_the_ui_is_alive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let listener = UnixDatagram::bind(&path).unwrap();
        listener.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let alive = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let beats = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let looping = {
            let (alive, stop, beats, socket) =
                (alive.clone(), stop.clone(), beats.clone(), path.to_str().unwrap().to_string());
            std::thread::spawn(move || {
                // heartbeat_secs = 120, WATCHDOG_USEC = 2 s.
                let pacer = Pacer::new(Duration::from_secs(120), Some(Duration::from_secs(2)), Instant::now());
                run(
                    pacer,
                    Some(&socket),
                    || alive.load(Ordering::SeqCst),
                    || {
                        beats.fetch_add(1, Ordering::SeqCst);
                    },
                    || !stop.load(Ordering::SeqCst),
                )
            })
        };
        let count = |window: Duration| {
            let end = Instant::now() + window;
            let mut n = 0;
            let mut buf = [0u8; 64];
            while Instant::now() < end {
                if let Ok(len) = listener.recv(&mut buf) {
                    assert_eq!(&buf[..len], b"WATCHDOG=1");
                    n += 1;
                }
            }
            n
        };
        let alive_pings = count(Duration::from_secs(4));
        // Every 2/3 s: about 6 in 4 s. Generous: a loaded machine may wake late.
        assert!(alive_pings >= 3, "a 2 s watchdog must hear at least every second, got {alive_pings} in 4 s");
        alive.store(false, Ordering::SeqCst);
        let _ = count(Duration::from_millis(800)); // one already on its way
        let quiet_pings = count(Duration::from_secs(3));
        assert_eq!(quiet_pings, 0, "a UI that stopped reporting gets no pings: systemd must restart it");
        assert_eq!(beats.load(Ordering::SeqCst), 0, "no heartbeat is due within 120 s");
        stop.store(true, Ordering::SeqCst);
        looping.join().unwrap();
    }
}
