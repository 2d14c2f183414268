//! When to renew the page's web process. WebKit's web process keeps part of
//! what each visit allocates — in its caches and its allocators — and a page
//! reload in the same process gives little of it back (docs/performance.md,
//! the soak): over weeks in a lobby that adds up. A new process starts from
//! nothing. So once the process has grown by more than a set amount since it
//! settled, the shell ends it at a quiet moment — attract mode on, untouched
//! for a while — and the page is loaded again in a new one, which takes a
//! second or two. [`Recycler`] decides; [`web_process`] reads the memory.

use std::path::Path;
use std::time::{Duration, Instant};

/// Decides, one look at a time, whether the web process is due to be renewed.
#[derive(Debug)]
pub struct Recycler {
    growth: u64,
    quiet: Duration,
    pid: Option<u32>,
    /// The process's memory when it was first seen quiet: what it grows from.
    baseline: Option<u64>,
    attract_since: Option<Instant>,
    /// When a renewal was last found due, until a new process shows it was done.
    due_at: Option<Instant>,
    /// When the last renewal was found due that was done (a new process
    /// followed): the next waits [`Recycler::MIN_BETWEEN`]. One the shell
    /// declined at the last moment (a touch) does not count.
    last_renewal: Option<Instant>,
}

impl Recycler {
    /// Renews a process that has grown by `growth` bytes, after attract mode
    /// has been on for `quiet` (`growth` 0: never).
    pub fn new(growth: u64, quiet: Duration) -> Recycler {
        Recycler { growth, quiet, pid: None, baseline: None, attract_since: None, due_at: None, last_renewal: None }
    }

    /// The least time between two renewals, whatever the growth: a small
    /// `web_recycle_mib` must not blank a quiet lobby's screen every few minutes.
    pub const MIN_BETWEEN: Duration = Duration::from_secs(600);

    /// One look, `now`: the web process (its pid and private memory, bytes),
    /// whether attract mode is on and how long since the screen was last
    /// touched (`None`: never). Returns how much it has grown when it is due
    /// now; the next process (a new pid) is measured afresh, once it too has
    /// been quiet that long.
    pub fn look(
        &mut self,
        now: Instant,
        web: Option<(u32, u64)>,
        attract: bool,
        untouched: Option<Duration>,
    ) -> Option<u64> {
        let (pid, memory) = web?;
        if self.pid != Some(pid) {
            self.pid = Some(pid);
            if let Some(due) = self.due_at.take() {
                self.last_renewal = Some(due);
            }
            self.baseline = None;
            self.attract_since = None;
        }
        if !attract {
            self.attract_since = None;
            return None;
        }
        let since = *self.attract_since.get_or_insert(now);
        // A visit that fell between two looks: attract mode counts from now.
        if untouched.is_some_and(|t| t < now.duration_since(since)) {
            self.attract_since = Some(now);
            return None;
        }
        // Both: attract mode seen on that long, and no touch meanwhile (a
        // whole visit may fall between two looks).
        if now.duration_since(since) < self.quiet || untouched.is_some_and(|t| t < self.quiet) {
            return None;
        }
        let baseline = *self.baseline.get_or_insert(memory);
        let grown = memory.saturating_sub(baseline);
        if self.growth == 0 || grown < self.growth {
            return None;
        }
        if self.last_renewal.is_some_and(|t| now.duration_since(t) < Self::MIN_BETWEEN) {
            return None;
        }
        self.due_at = Some(now);
        Some(grown)
    }

    /// What the current process grew from, once known.
    pub fn baseline(&self) -> Option<u64> {
        self.baseline
    }
}

/// The WebKit web process among `root`'s descendants (the newest, if a
/// replacement is starting) and its private memory in bytes: the
/// "Anonymous" total of `/proc/<pid>/smaps_rollup` — its heaps, not the
/// libraries it shares. `None` when there is none (or no /proc).
pub fn web_process(proc: &Path, root: u32) -> Option<(u32, u64)> {
    let pid = descendants(proc, root)
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(proc.join(format!("{p}/comm"))).is_ok_and(|c| c.starts_with("WebKitWebProc"))
        })
        .max_by_key(|&p| (started(proc, p), p))?;
    let rollup = std::fs::read_to_string(proc.join(format!("{pid}/smaps_rollup"))).ok()?;
    Some((pid, anonymous(&rollup)?))
}

/// The "Anonymous:" line of an smaps_rollup, in bytes.
fn anonymous(rollup: &str) -> Option<u64> {
    let line = rollup.lines().find_map(|l| l.strip_prefix("Anonymous:"))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// `root`'s descendants, by each process's parent in `/proc/<pid>/stat`.
fn descendants(proc: &Path, root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(proc) else { return Vec::new() };
    let parents: Vec<(u32, u32)> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parent(&std::fs::read_to_string(proc.join(format!("{pid}/stat"))).ok()?)?)))
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parents.iter().filter(|&&(_, pp)| pp == p).map(|&(c, _)| c));
        i += 1;
    }
    found.remove(0);
    found
}

/// When `pid` started (clock ticks since boot: `/proc/<pid>/stat`'s 22nd field).
fn started(proc: &Path, pid: u32) -> u64 {
    std::fs::read_to_string(proc.join(format!("{pid}/stat")))
        .ok()
        .and_then(|stat| stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok())
        .unwrap_or(0)
}

/// The parent pid in a `/proc/<pid>/stat` line (after the command, which may hold spaces and parentheses).
fn parent(stat: &str) -> Option<u32> {
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// Whether a page whose web process ended on its own is loaded again: yes,
/// unless it has ended [`Reloads::MAX`] times within [`Reloads::WINDOW`] —
/// a page that crashes its process as it loads would reload in a tight
/// loop; then it is left dark and the watchdog restarts the whole kiosk.
#[derive(Debug, Default)]
pub struct Reloads {
    ends: std::collections::VecDeque<Instant>,
}

impl Reloads {
    /// Ends on its own allowed within [`Reloads::WINDOW`].
    pub const MAX: usize = 3;
    /// See [`Reloads::MAX`].
    pub const WINDOW: Duration = Duration::from_secs(60);

    /// The process ended on its own at `now`: reload?
    pub fn allow(&mut self, now: Instant) -> bool {
        while self.ends.front().is_some_and(|&t| now.duration_since(t) >= Self::WINDOW) {
            self.ends.pop_front();
        }
        self.ends.push_back(now);
        self.ends.len() <= Self::MAX
    }
}

/// How often the shell looks.
pub const LOOK_EVERY: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn renews_a_grown_process_only_after_attract_mode_has_been_quiet_long_enough() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut r = Recycler::new(64 * MIB, Duration::from_secs(60));
        let long = Some(Duration::from_secs(3600));
        // A visitor: never, whatever the memory.
        assert_eq!(r.look(at(0), Some((7, 500 * MIB)), false, Some(Duration::ZERO)), None);
        // Attract mode comes; the first quiet look sets the baseline.
        assert_eq!(r.look(at(10), Some((7, 100 * MIB)), true, long), None);
        assert_eq!(r.baseline(), None, "not quiet long enough yet");
        assert_eq!(r.look(at(70), Some((7, 100 * MIB)), true, long), None);
        assert_eq!(r.baseline(), Some(100 * MIB));
        assert_eq!(r.look(at(80), Some((7, 163 * MIB)), true, long), None, "grown 63 MiB: not yet");
        // Visitors come and go; the growth counts from the same baseline.
        assert_eq!(r.look(at(90), Some((7, 200 * MIB)), false, Some(Duration::ZERO)), None);
        assert_eq!(r.look(at(100), Some((7, 200 * MIB)), true, long), None, "attract mode again, not yet quiet");
        assert_eq!(r.look(at(160), Some((7, 170 * MIB)), true, long), Some(70 * MIB));
    }

    #[test]
    fn a_touch_since_the_last_look_holds_it_back_even_if_every_look_saw_attract_mode() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut r = Recycler::new(10 * MIB, Duration::from_secs(60));
        assert_eq!(r.look(at(0), Some((7, 100 * MIB)), true, None), None);
        assert_eq!(r.look(at(60), Some((7, 100 * MIB)), true, None), None, "never touched: the baseline");
        // A whole visit between two looks (or a report of attract mode sent
        // just after a touch): the touch is what counts.
        assert_eq!(r.look(at(70), Some((7, 200 * MIB)), true, Some(Duration::from_secs(1))), None);
        assert_eq!(r.look(at(120), Some((7, 200 * MIB)), true, Some(Duration::from_secs(51))), None);
        assert_eq!(r.look(at(130), Some((7, 200 * MIB)), true, Some(Duration::from_secs(61))), Some(100 * MIB));
    }

    #[test]
    fn attract_mode_seen_before_a_visit_between_two_looks_does_not_count() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut r = Recycler::new(10 * MIB, Duration::from_secs(3));
        assert_eq!(r.look(at(0), Some((7, 100 * MIB)), true, None), None);
        assert_eq!(r.look(at(10), Some((7, 100 * MIB)), true, None), None, "the baseline");
        // Touched 4 s before the next look, attract mode back by then: quiet counts from this look.
        assert_eq!(r.look(at(20), Some((7, 200 * MIB)), true, Some(Duration::from_secs(4))), None);
        assert_eq!(r.look(at(30), Some((7, 200 * MIB)), true, Some(Duration::from_secs(14))), Some(100 * MIB));
    }

    #[test]
    fn a_new_process_is_measured_afresh_and_zero_means_never() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut r = Recycler::new(10 * MIB, Duration::from_secs(5));
        assert_eq!(r.look(at(0), Some((7, 100 * MIB)), true, None), None);
        assert_eq!(r.look(at(5), Some((7, 100 * MIB)), true, None), None);
        assert_eq!(r.look(at(6), Some((7, 120 * MIB)), true, None), Some(20 * MIB));
        // Renewed: the new process is quiet for its own while before its
        // baseline is taken (what the page builds as it loads is no growth).
        assert_eq!(r.look(at(7), Some((8, 150 * MIB)), true, None), None);
        assert_eq!(r.baseline(), None);
        assert_eq!(r.look(at(12), Some((8, 170 * MIB)), true, None), None);
        assert_eq!(r.baseline(), Some(170 * MIB));
        assert_eq!(r.look(at(13), Some((8, 175 * MIB)), true, None), None);
        assert_eq!(r.look(at(14), None, true, None), None, "no web process: nothing to do");
        let mut never = Recycler::new(0, Duration::ZERO);
        assert_eq!(never.look(at(0), Some((7, MIB)), true, None), None);
        assert_eq!(never.look(at(1), Some((7, 900 * MIB)), true, None), None);
    }

    #[test]
    fn renewals_are_at_least_min_between_apart_however_small_the_growth() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut r = Recycler::new(MIB, Duration::from_secs(5));
        assert_eq!(r.look(at(0), Some((7, 100 * MIB)), true, None), None);
        assert_eq!(r.look(at(5), Some((7, 100 * MIB)), true, None), None);
        assert_eq!(r.look(at(10), Some((7, 102 * MIB)), true, None), Some(2 * MIB));
        // Declined at the last moment (a touch): the same process, due again at the next look.
        assert_eq!(r.look(at(20), Some((7, 102 * MIB)), true, None), Some(2 * MIB), "a declined renewal is no renewal");
        // The new process grows past 1 MiB at once (a quiet lobby, a tiny setting): it waits.
        assert_eq!(r.look(at(20), Some((8, 100 * MIB)), true, None), None);
        assert_eq!(r.look(at(25), Some((8, 100 * MIB)), true, None), None);
        assert_eq!(r.look(at(30), Some((8, 110 * MIB)), true, None), None, "10 s after the last renewal");
        let due = 20 + Recycler::MIN_BETWEEN.as_secs();
        assert_eq!(r.look(at(due - 1), Some((8, 110 * MIB)), true, None), None);
        assert_eq!(r.look(at(due), Some((8, 110 * MIB)), true, None), Some(10 * MIB));
    }

    #[test]
    fn a_page_that_keeps_crashing_its_process_is_not_reloaded_in_a_loop() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut r = Reloads::default();
        assert!(r.allow(at(0)) && r.allow(at(10)) && r.allow(at(20)), "three in a minute are reloaded");
        assert!(!r.allow(at(30)), "the fourth within a minute is not");
        // A crash now and then, days apart or a minute apart, always is.
        let mut r = Reloads::default();
        assert!((0..10).all(|i| r.allow(at(i * 61))));
    }

    #[test]
    fn finds_the_web_process_under_the_app_and_reads_its_private_memory() {
        let proc = tempfile::tempdir().unwrap();
        let p = proc.path();
        let process = |pid: u32, parent: u32, comm: &str, rollup: Option<&str>, start: u64| {
            std::fs::create_dir_all(p.join(pid.to_string())).unwrap();
            // State, parent, then fields 5 to 21, then the start time (22nd): the pid here.
            let rest = "0 ".repeat(17);
            std::fs::write(p.join(format!("{pid}/stat")), format!("{pid} ({comm}) S {parent} {rest}{start}")).unwrap();
            std::fs::write(p.join(format!("{pid}/comm")), format!("{comm}\n")).unwrap();
            if let Some(r) = rollup {
                std::fs::write(p.join(format!("{pid}/smaps_rollup")), r).unwrap();
            }
        };
        process(100, 1, "embassy-kiosk", None, 10);
        process(101, 100, "WebKitNetworkPr", None, 11);
        process(102, 100, "bwrap (sandbox)", None, 12);
        process(103, 102, "WebKitWebProces", Some("Rss: 90000 kB\nPss: 70000 kB\nAnonymous:         65536 kB\n"), 13);
        process(200, 1, "WebKitWebProces", Some("Anonymous: 1 kB\n"), 14);
        std::fs::create_dir_all(p.join("self")).unwrap();
        assert_eq!(web_process(p, 100), Some((103, 64 * MIB)));
        // A replacement starting beside the old one (pids wrapped: a lower pid, started later) is the one.
        process(50, 100, "WebKitWebProces", Some("Anonymous: 2048 kB\n"), 99);
        assert_eq!(web_process(p, 100), Some((50, 2 * MIB)));
        assert_eq!(web_process(p, 200), None, "no web process of its own");
        assert_eq!(web_process(&p.join("missing"), 100), None);
    }
}
