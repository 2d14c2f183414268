//! A real nginx from Debian, started on loopback with a config written here:
//! its own prefix, pid file, error log and temp folders in a temporary folder,
//! `daemon off;` so it is this process's child, ETags on (nginx's default,
//! stated), and an access log the bench reads back to count what the fleet
//! cost the server: requests, 304s, bytes, and how many downloads overlapped.
//!
//! This is what a ministry would put in front of its kiosks (or what a CDN
//! does): a static file server, no code of ours.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The nginx binary: `$NGINX`, else Debian's.
pub fn binary() -> Option<PathBuf> {
    let candidates = [std::env::var_os("NGINX").map(PathBuf::from), Some("/usr/sbin/nginx".into())];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// A running nginx serving one folder; stopped (gracefully) when dropped.
pub struct Nginx {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
}

/// One line of the access log.
#[derive(Debug, Clone)]
pub struct Hit {
    /// When the request ended, Unix milliseconds (`$msec`).
    pub end_ms: f64,
    /// `$status`.
    pub status: u16,
    /// `$body_bytes_sent`.
    pub bytes: u64,
    /// `$request_time`, in milliseconds.
    pub time_ms: f64,
    /// `$uri`.
    pub uri: String,
}

impl Nginx {
    /// Starts nginx serving `root` on a free loopback port, its own files in `dir`.
    pub fn start(root: &Path, dir: &Path) -> anyhow::Result<Nginx> {
        let bin = binary().context("nginx is not installed (apt-get install nginx-light)")?;
        std::fs::create_dir_all(dir.join("tmp"))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let d = dir.display();
        // Workers of a root master switch to `nobody` unless told: keep them able to read a 0700 temp folder.
        let user = if is_root() { "user root;" } else { "" };
        let conf = format!(
            "{user}
daemon off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    types {{ application/json json; application/octet-stream kbundle minisig; }}
    default_type application/octet-stream;
    log_format fleet '$msec $status $body_bytes_sent $request_time $uri';
    access_log {d}/access.log fleet;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    sendfile on;
    etag on;
    keepalive_timeout 75s;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
",
            root = root.display()
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let child = Command::new(&bin)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut nginx = Nginx { child: Some(child), dir: dir.to_path_buf(), port };
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = nginx.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                bail!("nginx exited ({status}): {log}");
            }
            if Instant::now() > until {
                bail!("nginx did not listen on {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(nginx)
    }

    /// The URL of `path` (starting with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request logged so far.
    pub fn hits(&self) -> anyhow::Result<Vec<Hit>> {
        let file = std::fs::File::open(self.dir.join("access.log"))?;
        let mut hits = Vec::new();
        for line in std::io::BufReader::new(file).lines() {
            let line = line?;
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() != 5 {
                continue;
            }
            hits.push(Hit {
                end_ms: f[0].parse::<f64>()? * 1000.0,
                status: f[1].parse()?,
                bytes: f[2].parse()?,
                time_ms: f[3].parse::<f64>()? * 1000.0,
                uri: f[4].to_string(),
            });
        }
        Ok(hits)
    }

    /// Stops nginx gracefully (SIGQUIT to the master, which waits for its worker).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-QUIT").arg(child.id().to_string()).status();
            let until = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// The most downloads of files ending in `suffix` in progress at once, from
/// each request's end time and duration.
pub fn peak_concurrent(hits: &[&Hit], suffix: &str) -> usize {
    let mut edges: Vec<(f64, i32)> = Vec::new();
    for h in hits.iter().filter(|h| h.uri.ends_with(suffix) && h.bytes > 0) {
        // A request that took under nginx's millisecond resolution still lasted a moment.
        edges.push((h.end_ms - h.time_ms.max(0.5), 1));
        edges.push((h.end_ms, -1));
    }
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        peak = peak.max(now);
    }
    peak as usize
}
