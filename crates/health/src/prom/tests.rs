//! The rendering, the textfile, and the shipped Prometheus files
//! (packaging/prometheus/) checked by Debian's `promtool`: the textfile the
//! real code writes (`check metrics`), the alert rules (`check rules`, and
//! `test rules` on synthetic series). Without promtool those checks say
//! SKIPPED and pass, except under `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::*;
use crate::datafile::tests::{mkfifo, promptly};
use crate::tests::beat;

const AT: &str = "2026-11-28T12:00:30Z"; // 1795867230 in Unix time

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A heartbeat with every field set to something distinct.
fn full_beat() -> Heartbeat {
    let mut b = beat(AT);
    b.ui.at_utc = ts("2026-11-28T12:00:29.5Z");
    b.audio = "playing".into();
    b.sync_review = 1;
    b.last_sync_attempt_utc = Some(ts("2026-11-28T12:00:00Z"));
    b.last_sync_success_utc = Some(ts("2026-11-28T11:00:00.25Z"));
    b.problems = vec!["signups.sqlite was damaged".into()];
    b.web_memory_bytes = Some(70 << 20);
    b.web_renewals = 2;
    b.web_crashes = 1;
    b.audio_underruns = 3;
    b
}

/// The sample lines of a page (no comments).
fn samples(page: &str) -> Vec<&str> {
    page.lines().filter(|l| !l.starts_with('#')).collect()
}

#[test]
fn every_metric_has_help_type_both_labels_and_the_heartbeats_value() {
    let page = render(Some(&full_beat()), "lobby-1", "vienna", ts("2026-11-28T12:00:40Z"), Duration::from_secs(16));
    let l = r#"{kiosk_id="lobby-1",site="vienna"}"#;
    let want = [
        format!("embassy_kiosk_up{l} 1"),
        format!("embassy_kiosk_heartbeat_timestamp_seconds{l} 1795867230.000"),
        format!("embassy_kiosk_ui_rendered_timestamp_seconds{l} 1795867229.500"),
        format!("embassy_kiosk_ui_rendered_age_seconds{l} 10.500"),
        format!("embassy_kiosk_content_version{l} 42"),
        format!("embassy_kiosk_signups_pending{l} 2"),
        format!("embassy_kiosk_signups_review{l} 1"),
        format!("embassy_kiosk_last_sync_attempt_timestamp_seconds{l} 1795867200.000"),
        format!("embassy_kiosk_last_sync_success_timestamp_seconds{l} 1795863600.250"),
        format!("embassy_kiosk_audio_available{l} 1"),
        format!("embassy_kiosk_audio_playing{l} 1"),
        format!("embassy_kiosk_audio_underruns_total{l} 3"),
        format!("embassy_kiosk_problems{l} 1"),
        format!("embassy_kiosk_web_memory_bytes{l} 73400320"),
        format!("embassy_kiosk_web_renewals_total{l} 2"),
        format!("embassy_kiosk_web_crashes_total{l} 1"),
    ];
    assert_eq!(samples(&page), want, "the stable names, in order, with the heartbeat's values:\n{page}");
    for (name, help) in METRICS {
        assert!(!help.is_empty(), "{name} has a HELP text");
        // Counts since the start are counters, as Prometheus's naming wants them: `…_total`.
        let kind =
            if ["renewals", "crashes", "underruns"].iter().any(|c| name.contains(c)) { "counter" } else { "gauge" };
        let block = format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{");
        assert_eq!(page.matches(&block).count(), 1, "{name}: HELP, TYPE, then its one sample:\n{page}");
    }
}

#[test]
fn label_values_are_escaped() {
    let page = render(None, "lobby \"1\" \\ east\nwing", "säo paulo", ts(AT), Duration::from_secs(16));
    assert_eq!(
        samples(&page),
        [r#"embassy_kiosk_up{kiosk_id="lobby \"1\" \\ east\nwing",site="säo paulo"} 0"#],
        "quotes, backslashes and newlines escaped; other characters as they are"
    );
}

#[test]
fn up_and_the_ui_age_are_judged_at_the_scrape_and_the_textfile_at_the_beat() {
    let dir = tempfile::tempdir().unwrap();
    let exporter = Exporter::new("lobby-1", "vienna", Some(dir.path().to_path_buf()), Duration::from_secs(16));
    let before = exporter.page(ts(AT));
    assert_eq!(samples(&before), [r#"embassy_kiosk_up{kiosk_id="lobby-1",site="vienna"} 0"#], "no heartbeat yet");
    assert!(!dir.path().join(TEXTFILE).exists(), "no textfile before the first heartbeat");

    let b = full_beat();
    exporter.beat(&b).unwrap();
    let value = |page: &str, name: &str| -> String {
        let line = samples(page).into_iter().find(|l| l.starts_with(&format!("{name}{{"))).unwrap().to_string();
        line.rsplit(' ').next().unwrap().to_string()
    };
    let soon = exporter.page(ts("2026-11-28T12:00:35Z"));
    assert_eq!((value(&soon, UP).as_str(), value(&soon, UI_AGE).as_str()), ("1", "5.500"));
    let frozen = exporter.page(ts("2026-11-28T12:01:30Z"));
    assert_eq!(
        (value(&frozen, UP).as_str(), value(&frozen, UI_AGE).as_str()),
        ("0", "60.500"),
        "no heartbeat for a minute: the page says down, and the UI's age keeps growing"
    );
    let file = std::fs::read_to_string(dir.path().join(TEXTFILE)).unwrap();
    assert_eq!(file, render(Some(&b), "lobby-1", "vienna", b.at_utc, Duration::from_secs(16)), "as of the beat");
    assert_eq!(value(&file, UI_AGE), "0.500");
}

#[test]
fn sync_times_are_absent_until_tried_and_zero_until_a_success() {
    let mut b = beat(AT);
    let page = render(Some(&b), "k", "s", ts(AT), Duration::from_secs(16));
    assert!(!page.contains("last_sync"), "never tried (no [sync]): no sync times at all\n{page}");
    b.last_sync_attempt_utc = Some(ts(AT));
    let page = render(Some(&b), "k", "s", ts(AT), Duration::from_secs(16));
    assert!(
        page.contains("embassy_kiosk_last_sync_success_timestamp_seconds{kiosk_id=\"k\",site=\"s\"} 0\n"),
        "tried, never succeeded: 0, which every rule reads as long ago\n{page}"
    );
    b.audio = "unavailable".into();
    let page = render(Some(&b), "k", "s", ts(AT), Duration::from_secs(16));
    assert!(page.contains("embassy_kiosk_audio_available{kiosk_id=\"k\",site=\"s\"} 0\n"), "{page}");
}

#[test]
fn the_textfile_is_replaced_whole_readable_by_node_exporter_and_never_through_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    // The unit's UMask=0077 would make a plain write 0600: unreadable to node_exporter's user.
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let written = write_textfile(dir.path(), "a 1\n");
    rustix::process::umask(old);
    written.unwrap();
    let path = dir.path().join(TEXTFILE);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "node_exporter runs as another user");
    mkfifo(&dir.path().join(format!("{TEXTFILE}.tmp")));
    let d = dir.path().to_path_buf();
    promptly("the textfile", move || write_textfile(&d, "b 2\n")).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "b 2\n");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, [TEXTFILE], "no temporary file is left for the collector to find");
}

/// Debian's promtool (package `prometheus`), or `None` (SKIPPED) outside CI.
fn promtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("promtool")).find(|p| p.is_file()));
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "promtool is missing (Debian: apt-get install prometheus); CI must run the Prometheus checks"
        );
        eprintln!(
            "SKIPPED: promtool not found (Debian: apt-get install prometheus); the Prometheus files are unchecked"
        );
    }
    found
}

fn packaging() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/prometheus")
}

fn run(cmd: &mut Command) -> (bool, String) {
    let o = cmd.output().expect("run promtool");
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn promtool_accepts_the_textfile_the_exporter_writes() {
    let Some(promtool) = promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let exporter = Exporter::new("lobby \"1\"", "vienna", Some(dir.path().to_path_buf()), Duration::from_secs(16));
    exporter.beat(&full_beat()).unwrap();
    let file = std::fs::File::open(exporter.textfile().unwrap()).unwrap();
    let (ok, out) = run(Command::new(promtool).args(["check", "metrics"]).stdin(Stdio::from(file)));
    assert!(ok && out.trim().is_empty(), "promtool check metrics finds fault with the textfile: {out}");
}

#[test]
fn promtool_checks_the_alert_rules_and_their_unit_tests_pass() {
    let Some(promtool) = promtool() else { return };
    let dir = packaging();
    let (ok, out) = run(Command::new(&promtool).args(["check", "rules", "embassy-kiosk.rules.yml"]).current_dir(&dir));
    assert!(ok, "promtool check rules: {out}");
    let (ok, out) =
        run(Command::new(&promtool).args(["test", "rules", "embassy-kiosk.rules.test.yml"]).current_dir(&dir));
    assert!(ok && out.contains("SUCCESS"), "each alert fires when it should and not otherwise: {out}");
}

/// The `embassy_kiosk_…` names in `text` (recording rules' `embassy_kiosk:…` are not metric names).
fn names_in(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("embassy_kiosk_") {
        let tail = &rest[at..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        names.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_rules_and_the_dashboard_use_only_metrics_the_kiosk_exports() {
    // Published by the web host, not the kiosk (see the rules file).
    let known = |n: &str| n == "embassy_kiosk_published_version" || METRICS.iter().any(|(m, _)| *m == n);
    for file in ["embassy-kiosk.rules.yml", "embassy-kiosk.rules.test.yml", "embassy-kiosk.grafana.json"] {
        let text = std::fs::read_to_string(packaging().join(file)).unwrap();
        let names = names_in(&text);
        assert!(names.len() >= 5, "{file} uses the kiosk's metrics: {names:?}");
        let unknown: Vec<_> = names.iter().filter(|n| !known(n)).collect();
        assert!(unknown.is_empty(), "{file} uses metrics the kiosk does not export: {unknown:?}");
    }
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(packaging().join("embassy-kiosk.grafana.json")).unwrap())
            .expect("the dashboard is JSON");
    let titles: Vec<&str> =
        dashboard["panels"].as_array().unwrap().iter().filter_map(|p| p["title"].as_str()).collect();
    for panel in ["Fleet", "Dark kiosks", "Signups waiting", "Content versions", "Page memory per kiosk"] {
        assert!(titles.contains(&panel), "the dashboard has a {panel:?} panel: {titles:?}");
    }
}
