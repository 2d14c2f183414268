//! A process tree's memory, CPU, open files and threads, read from `/proc`:
//! what the comparison bench sums over every process of each browser
//! (WebKit's and Chromium's helpers included), and what the soak follows over
//! an hour to see whether any of it grows; and the bytes a process tree reads
//! from disk (a blkio cgroup), for the cold-start comparison.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command};

/// `pid` and all its descendants that are alive now.
pub fn tree(root: u32) -> Vec<u32> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1).and_then(|p| p.parse().ok())) {
            parent.insert(pid, ppid);
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent.iter().filter(|&(_, &pp)| pp == p).map(|(&c, _)| c));
        i += 1;
    }
    out
}

/// The fields of `/proc/<pid>/stat` after the command name: state, ppid, … (field 3 on).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Proportional set size, summed over `pids`, in MiB: each shared page counted
/// once across them all, so the sum is what the whole tree really costs.
pub fn pss_mib(pids: &[u32]) -> f64 {
    let kib: u64 = pids
        .iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
        .filter_map(|s| s.lines().find(|l| l.starts_with("Pss:"))?.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    kib as f64 / 1024.0
}

/// Anonymous memory of `pid` in KiB (`/proc/<pid>/smaps_rollup`): its heaps,
/// not the libraries it maps, so no other process's sharing moves it.
pub fn anon_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup.lines().find(|l| l.starts_with("Anonymous:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system) used so far by each of `pids`, in seconds.
pub fn cpu_secs(pids: &[u32]) -> HashMap<u32, f64> {
    let hz = clock_ticks();
    pids.iter()
        .filter_map(|&p| {
            let f = stat_fields(p)?;
            // utime and stime are stat fields 14 and 15: indexes 11 and 12 here.
            let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some((p, ticks as f64 / hz))
        })
        .collect()
}

/// CPU time `pid` has used so far, in ns, summed over its threads alive now
/// (`/proc/<pid>/task/*/schedstat`: precise, where `stat` counts 10 ms ticks).
pub fn cpu_ns(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// The command line of `pid`, its arguments joined by spaces (empty if it is gone).
pub fn cmdline(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|&b| b == 0).map(String::from_utf8_lossy).collect::<Vec<_>>().join(" ")
}

/// CPU used between two [`cpu_secs`] readings, by the processes alive at the
/// first (a process that started later counts from zero).
pub fn cpu_between(before: &HashMap<u32, f64>, after: &HashMap<u32, f64>) -> f64 {
    after.iter().map(|(p, t)| t - before.get(p).copied().unwrap_or(0.0)).sum()
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// The command name of `pid` (`/proc/<pid>/comm`, at most 15 bytes), or empty if it is gone.
pub fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|c| c.trim().to_string()).unwrap_or_default()
}

/// Open file descriptors, summed over `pids` (sockets, pipes and memfds included).
pub fn fd_count(pids: &[u32]) -> usize {
    pids.iter().filter_map(|p| std::fs::read_dir(format!("/proc/{p}/fd")).ok()).map(|d| d.count()).sum()
}

/// Threads, summed over `pids`.
pub fn thread_count(pids: &[u32]) -> usize {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|s| s.lines().find(|l| l.starts_with("Threads:"))?.split_whitespace().nth(1)?.parse::<usize>().ok())
        .sum()
}

/// Processes named `comm` whose environment holds `entry` (`NAME=value`):
/// how a run finds its own app among others started the same way.
pub fn named_with_env(comm_name: &str, entry: &str) -> Vec<u32> {
    with_env(entry).into_iter().filter(|&pid| comm(pid) == comm_name).collect()
}

/// Every process whose environment holds `entry` (`NAME=value`): e.g. what a
/// session bus started on demand (they get its address), which outlives it.
pub fn with_env(entry: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for dir in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = dir.file_name().to_string_lossy().parse::<u32>() else { continue };
        let environ = std::fs::read(dir.path().join("environ")).unwrap_or_default();
        if environ.split(|&b| b == 0).any(|var| var == entry.as_bytes()) {
            pids.push(pid);
        }
    }
    pids
}

/// SIGKILLs `pids`.
pub fn kill_all(pids: &[u32]) {
    for p in pids {
        let _ = std::process::Command::new("kill").args(["-KILL", &p.to_string()]).status();
    }
}

/// Processes outside `ours` that map any of `libs` (file names, e.g.
/// `libwebkit2gtk-4.1.so`), as `(pid, command)`. PSS divides a shared page
/// among every process mapping it, so another WebKit app running during a
/// measurement would make ours look smaller than it is.
pub fn others_mapping(libs: &[&str], ours: &[u32]) -> Vec<(u32, String)> {
    let me = std::process::id();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if pid == me || ours.contains(&pid) {
            continue;
        }
        let Ok(maps) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else { continue };
        if libs.iter().any(|lib| maps.contains(lib)) {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            out.push((pid, comm.trim().to_string()));
        }
    }
    out
}

/// Where cgroup v1's blkio hierarchy is mounted.
const BLKIO: &str = "/sys/fs/cgroup/blkio";

/// Bytes read from disk by every process started in it, helpers that have
/// exited included: a cgroup v1 `blkio` group. Summing `/proc/<pid>/io` over a
/// tree misses the processes that are gone (Chromium's short-lived helpers),
/// and a cgroup's counter keeps them. The kernel counts a group's I/O only once
/// throttling is switched on for a disk, so the group gets a read limit far
/// above any disk's speed (1 PB/s) on each disk: it never slows anything.
/// Removed when dropped (after its processes have been stopped).
pub struct ReadCounter {
    dir: PathBuf,
}

impl ReadCounter {
    /// A new group named `name`, or why there cannot be one here (needs root
    /// and blkio mounted at `/sys/fs/cgroup/blkio`).
    pub fn new(name: &str) -> Result<ReadCounter, String> {
        if !std::path::Path::new(BLKIO).join("cgroup.procs").exists() {
            return Err(format!("no cgroup v1 blkio hierarchy at {BLKIO}"));
        }
        let dir = PathBuf::from(BLKIO).join(name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let counter = ReadCounter { dir };
        let mut disks = 0;
        for disk in std::fs::read_dir("/sys/block").into_iter().flatten().flatten() {
            // A loop device's reads are its backing file's reads: counted on the disk below it.
            if disk.file_name().to_string_lossy().starts_with("loop") {
                continue;
            }
            let Ok(dev) = std::fs::read_to_string(disk.path().join("dev")) else { continue };
            let limit = format!("{} 1000000000000000", dev.trim());
            if std::fs::write(counter.dir.join("blkio.throttle.read_bps_device"), limit).is_ok() {
                disks += 1;
            }
        }
        if disks == 0 {
            return Err("could not switch on blkio accounting for any disk in /sys/block".into());
        }
        Ok(counter)
    }

    /// Starts `cmd` inside the group: this process joins it for the fork and
    /// leaves right after, so everything the child and its descendants read
    /// is counted, and nothing of this process's own.
    pub fn spawn(&self, cmd: &mut Command) -> std::io::Result<Child> {
        let home = own_blkio_group();
        std::fs::write(self.dir.join("cgroup.procs"), std::process::id().to_string())?;
        let child = cmd.spawn();
        std::fs::write(home.join("cgroup.procs"), std::process::id().to_string())?;
        child
    }

    /// The processes in the group now.
    pub fn pids(&self) -> Vec<u32> {
        let procs = std::fs::read_to_string(self.dir.join("cgroup.procs")).unwrap_or_default();
        procs.lines().filter_map(|l| l.trim().parse().ok()).collect()
    }

    /// Bytes read from disk so far by the group's processes, all disks.
    pub fn read_bytes(&self) -> u64 {
        let stats = std::fs::read_to_string(self.dir.join("blkio.throttle.io_service_bytes")).unwrap_or_default();
        // Lines are "MAJ:MIN Read|Write|Sync|Async|Discard|Total N", and a last "Total N".
        stats
            .lines()
            .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
                [_, "Read", n] => n.parse::<u64>().ok(),
                _ => None,
            })
            .sum()
    }
}

impl Drop for ReadCounter {
    fn drop(&mut self) {
        // A killed process leaves its group a moment after the signal.
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// This process's own blkio group (to return to after [`ReadCounter::spawn`]).
fn own_blkio_group() -> PathBuf {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let path = cgroups
        .lines()
        .find_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
            controllers.split(',').any(|c| c == "blkio").then_some(path)
        })
        .unwrap_or("/");
    PathBuf::from(BLKIO).join(path.trim_start_matches('/'))
}

/// Bytes read from disk by `pids` (`/proc/<pid>/io`'s `read_bytes`): only
/// processes alive now, so a fallback where there is no [`ReadCounter`].
pub fn io_read_bytes(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/io")).ok())
        .filter_map(|s| {
            s.lines().find(|l| l.starts_with("read_bytes:"))?.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_in_its_parents_tree_and_costs_memory_and_cpu() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 5"])
            .spawn()
            .unwrap();
        let me = std::process::id();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let t = tree(me);
        assert!(t.contains(&me) && t.contains(&child.id()), "{t:?}");
        assert!(pss_mib(&[me]) > 1.0, "this test process has some memory");
        let before = cpu_secs(&[child.id()]);
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let used = cpu_between(&before, &cpu_secs(&[child.id()]));
        assert!(used > 0.05, "the busy loop used CPU: {used} s");
        kill_all(&[child.id()]);
        let _ = child.wait();
    }

    #[test]
    fn open_files_and_threads_are_counted() {
        let me = [std::process::id()];
        let (fds, threads) = (fd_count(&me), thread_count(&me));
        // Many of each, so another test opening a pipe meanwhile cannot hide them.
        let files: Vec<_> = (0..32).map(|_| std::fs::File::open("/proc/self/status").unwrap()).collect();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || rx.lock().is_ok_and(|r| r.recv().is_err()))
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(fd_count(&me) >= fds + 28, "32 open files are counted");
        assert!(thread_count(&me) >= threads + 6, "8 threads are counted");
        assert!(!comm(me[0]).is_empty(), "this process has a name");
        drop((files, tx));
        for w in workers {
            let _ = w.join();
        }
    }

    #[test]
    fn a_read_counter_counts_what_its_child_reads_from_disk() {
        let counter = match ReadCounter::new(&format!("kiosk-e2e-test-{}", std::process::id())) {
            Ok(c) => c,
            Err(why) => {
                eprintln!("skipped: no disk read counter here ({why})");
                return;
            }
        };
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), vec![7u8; 4 << 20]).unwrap();
        // Direct I/O goes to the disk whatever the page cache holds, so the
        // test needs no cache dropping (which would slow everything else down).
        let mut dd = std::process::Command::new("dd");
        dd.arg(format!("if={}", file.path().display())).args(["of=/dev/null", "bs=1M", "iflag=direct", "status=none"]);
        let status = counter.spawn(&mut dd).unwrap().wait().unwrap();
        if !status.success() {
            eprintln!("skipped: the temporary directory takes no direct I/O (tmpfs?)");
            return;
        }
        let read = counter.read_bytes();
        assert!(read >= 4 << 20, "all 4 MiB the child read from disk are counted: {read}");
        assert!(read < 64 << 20, "only the child's reads are counted: {read}");
    }
}
