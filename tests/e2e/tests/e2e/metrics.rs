//! Monitoring through Prometheus: a real Prometheus (Debian's `prometheus`)
//! scrapes the real kiosk's `/metrics` on loopback, with the shipped alert
//! rules loaded, and answers queries about it — the chain from the UI's
//! report through the heartbeat to a fleet's monitoring, with nothing mocked.
//! The same kiosk's node_exporter textfile passes `promtool check metrics`,
//! and every query of the shipped Grafana dashboard runs on that Prometheus.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// A program from Debian's `prometheus` package, or `None` (the test says SKIPPED) outside CI.
fn prometheus_tool(name: &str) -> Option<PathBuf> {
    let found =
        std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()));
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{name} is missing (Debian: apt-get install prometheus); CI must run the monitoring test"
        );
        eprintln!("SKIPPED: {name} not found (Debian: apt-get install prometheus)");
    }
    found
}

/// Percent-encodes a query parameter.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET path` on loopback `port`: the status line and the body ("" when nobody answers).
fn get(port: u16, path: &str) -> (String, String) {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return (String::new(), String::new()) };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.lines().next().unwrap_or_default().to_string(), body.to_string())
}

/// An instant query's result vector (`None` while Prometheus is not answering yet).
fn query(port: u16, promql: &str) -> Option<Vec<serde_json::Value>> {
    let (_, body) = get(port, &format!("/api/v1/query?query={}", encode(promql)));
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    assert_eq!(json["status"], "success", "Prometheus refused {promql}: {json}");
    json["data"]["result"].as_array().cloned()
}

/// The single sample of `promql` as a number, if there is one.
fn value(port: u16, promql: &str) -> Option<f64> {
    let result = query(port, promql)?;
    result.first()?["value"][1].as_str()?.parse().ok()
}

/// Prometheus stopped when the test ends, passing or not.
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        kiosk_e2e::terminate(&mut self.0);
    }
}

fn start_prometheus(binary: &Path, dir: &Path, port: u16, kiosk_port: u16) -> Prometheus {
    let rules = kiosk_e2e::repo_root().join("packaging/prometheus/embassy-kiosk.rules.yml");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {rules:?}\nscrape_configs:\n  - job_name: embassy-kiosk\n    static_configs:\n      - targets: [\"127.0.0.1:{kiosk_port}\"]\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(kiosk_e2e::artifacts_dir().join("metrics-prometheus.log")).unwrap();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    Prometheus(child)
}

#[tokio::test]
async fn a_real_prometheus_scrapes_the_kiosk_and_sees_it_up_with_its_content() {
    let (Some(prometheus), Some(promtool)) = (prometheus_tool("prometheus"), prometheus_tool("promtool")) else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let kiosk_port = kiosk_testsupport::free_port();
    let textfiles = tempfile::tempdir().unwrap();
    let k = Kiosk::start(Options {
        name: "metrics".into(),
        extra_config: format!(
            "heartbeat_secs = 1\n[metrics]\nlisten = \"127.0.0.1:{kiosk_port}\"\nsite = \"e2e \\\"lobby\\\"\"\ntextfile_dir = {:?}\n",
            textfiles.path()
        ),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    let version = kiosk_content::Bundle::open(&k.dir.path().join("content.kbundle")).unwrap().meta().bundle_version;

    let prom_dir = tempfile::tempdir().unwrap();
    let prom_port = kiosk_testsupport::free_port();
    let _prometheus = start_prometheus(&prometheus, prom_dir.path(), prom_port, kiosk_port);

    // Until Prometheus has scraped a kiosk that renders: up, labelled, with the bundle on screen.
    let up = r#"embassy_kiosk_up{job="embassy-kiosk",kiosk_id="e2e",site="e2e \"lobby\""}"#;
    let deadline = Instant::now() + Duration::from_secs(30);
    while value(prom_port, up) != Some(1.0) {
        assert!(
            Instant::now() < deadline,
            "Prometheus never saw {up} == 1 (see artifacts/metrics-prometheus.log); the kiosk's page: {:?}",
            get(kiosk_port, "/metrics")
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        value(prom_port, r#"embassy_kiosk_content_version{kiosk_id="e2e"}"#),
        Some(version as f64),
        "Prometheus has the content version on screen"
    );
    let age = value(prom_port, r#"time() - embassy_kiosk_heartbeat_timestamp_seconds{kiosk_id="e2e"}"#).unwrap();
    assert!((-2.0..10.0).contains(&age), "a fresh heartbeat, by Prometheus's clock: {age} s");
    assert_eq!(value(prom_port, r#"embassy_kiosk_signups_pending{kiosk_id="e2e"}"#), Some(0.0));
    // The shipped rules load and evaluate against the real series: no published-version
    // metric here, so the newest version any kiosk runs is this one's.
    let deadline = Instant::now() + Duration::from_secs(10);
    while value(prom_port, "embassy_kiosk:published_version:max") != Some(version as f64) {
        assert!(Instant::now() < deadline, "the recording rule of embassy-kiosk.rules.yml never evaluated");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Every query of the shipped dashboard runs on a real Prometheus, and the fleet table finds this kiosk.
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(kiosk_e2e::repo_root().join("packaging/prometheus/embassy-kiosk.grafana.json"))
            .unwrap(),
    )
    .unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap().replace("$site", ".*");
            let result = query(prom_port, &expr).unwrap_or_else(|| panic!("no answer to {expr}"));
            // (No [sync] here: the kiosk never tried, so it has no sync times.)
            if panel["title"] == "Fleet" && !expr.contains("last_sync") {
                assert!(
                    result.iter().any(|s| s["metric"]["kiosk_id"] == "e2e"),
                    "the fleet table's {expr} has a row for the kiosk: {result:?}"
                );
            }
        }
    }

    // What node_exporter would read: the textfile the kiosk wrote, in Prometheus's own lint.
    let textfile = textfiles.path().join("embassy_kiosk.prom");
    let o = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&textfile).expect("the kiosk writes the textfile"))
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success() && said.trim().is_empty(), "promtool check metrics on the kiosk's textfile: {said}");
    assert!(std::fs::read_to_string(&textfile).unwrap().contains(&format!(
        "embassy_kiosk_content_version{{kiosk_id=\"e2e\",site=\"e2e \\\"lobby\\\"\"}} {version}\n"
    )));

    // Nothing else on the port.
    assert!(get(kiosk_port, "/").0.contains(" 404 "), "only /metrics is served");
    eprintln!("metrics e2e: {:.1} s", started.elapsed().as_secs_f64());
    k.stop().await;
}
