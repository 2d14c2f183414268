//! A process tree's memory and CPU, read from `/proc`: what the comparison
//! bench sums over every process of each browser (WebKit's and Chromium's
//! helpers included).

use std::collections::HashMap;

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
}
