//! A real nginx from Debian, started on loopback with a config written here:
//! its own prefix, pid file, error log and temp folders in a temporary folder,
//! `daemon off;` so it is this process's child, ETags on (nginx's default,
//! stated), and an access log the bench reads back to count what the fleet
//! cost the server: requests, 304s, bytes, and how many downloads overlapped.
//!
//! This is what a ministry would put in front of its kiosks (or what a CDN
//! does): a static file server, no code of ours.
//!
//! The same nginx also stands in front of a list server
//! ([`Nginx::rate_limited_proxy`]): a ministry's Mailman has no rate limit of
//! its own, so its IT puts one in the reverse proxy — `limit_req` (a core
//! http module, in nginx-light too) with `limit_req_status 429` and a
//! `Retry-After: 1` on those answers. A flag file switches the proxy to 503
//! for everything (the list's outage) without a reload: nginx checks it on
//! each request, before the limit counts it.

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

/// A running nginx serving one folder, or proxying to a list server; stopped (gracefully) when dropped.
pub struct Nginx {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    /// The proxy's outage switch: while this file exists, every request is answered 503.
    outage: Option<PathBuf>,
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
    /// The proxy's `$upstream_status`: the list server's answer; `None` when
    /// nginx answered itself (a file, the outage's 503, the limit's 429).
    pub upstream_status: Option<u16>,
    /// The proxy's `$request_body` as nginx logs it (escaped; empty when there was none, and for files).
    pub body: String,
}

/// nginx's whole config for a server of the bench's: its own pid file, error
/// log and temp folders under `dir`, `daemon off;` (this process's child),
/// one worker, and the `http` block's own lines (`http`, which must define
/// the access log's format, `fleet`: the log is named after them).
fn config(dir: &Path, http: &str) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir.join("tmp"))?;
    let d = dir.display();
    // Workers of a root master switch to `nobody` unless told: keep them able to read a 0700 temp folder.
    let user = if is_root() { "user root;" } else { "" };
    Ok(format!(
        "{user}
daemon off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    keepalive_timeout 75s;
{http}    access_log {d}/access.log fleet;
}}
"
    ))
}

impl Nginx {
    /// Starts nginx serving `root` on a free loopback port, its own files in `dir`.
    pub fn start(root: &Path, dir: &Path) -> anyhow::Result<Nginx> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let http = format!(
            "    types {{ application/json json; application/octet-stream kbundle minisig; }}
    default_type application/octet-stream;
    log_format fleet '$msec $status $body_bytes_sent $request_time $uri';
    sendfile on;
    etag on;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
",
            root = root.display()
        );
        let conf = config(dir, &http)?;
        Nginx::launch(dir, port, &conf, None)
    }

    /// Starts nginx on a free loopback port as a reverse proxy to the list
    /// server on `127.0.0.1:upstream_port`, letting at most `per_second`
    /// requests a second through: a burst of up to `burst` more is let
    /// through at once (`nodelay`), beyond that nginx answers 429 with
    /// `Retry-After: 1` itself and the list never sees the request.
    ///
    /// nginx's limit is a leaky bucket kept in milliseconds: without a burst,
    /// two requests less than `1000 / per_second` ms apart are one too many,
    /// even in a second that is far below the rate. A burst of one second's
    /// worth is what a list that "takes C a second" means in practice.
    ///
    /// The proxy starts in its outage (everything 503, no `Retry-After`, not
    /// counted by the limit); [`Nginx::set_outage`] switches it. Its access
    /// log has each request's upstream status and body (the subscription's
    /// form), so a bench can tell what the list itself answered to which address.
    pub fn rate_limited_proxy(upstream_port: u16, per_second: u32, burst: u32, dir: &Path) -> anyhow::Result<Nginx> {
        anyhow::ensure!(per_second > 0, "a rate limit of 0 requests a second lets nothing through");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let outage = dir.join("outage");
        let http = format!(
            "    log_format fleet '$msec $status $body_bytes_sent $request_time $uri \"$upstream_status\" $request_body';
    # One bucket for the whole list: it is the list's capacity that is limited, not each client's.
    limit_req_zone $server_name zone=list:1m rate={per_second}r/s;
    limit_req_status 429;
    limit_req_log_level warn;
    map $status $retry_after {{ 429 1; default \"\"; }}
    upstream list {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        server_name list;
        add_header Retry-After $retry_after always;
        # The outage: checked on every request, before the limit counts it.
        if (-f {outage}) {{ return 503; }}
        location / {{
            limit_req zone=list burst={burst} nodelay;
            proxy_pass http://list;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $host;
            proxy_read_timeout 120s;
        }}
    }}
",
            outage = outage.display()
        );
        let conf = config(dir, &http)?;
        std::fs::write(&outage, "")?;
        Nginx::launch(dir, port, &conf, Some(outage))
    }

    /// Switches a [`Nginx::rate_limited_proxy`]'s outage on (every request
    /// answered 503) or off. nginx reads the flag on each request: no reload.
    pub fn set_outage(&self, on: bool) -> anyhow::Result<()> {
        let flag = self.outage.as_ref().context("only the rate-limited proxy has an outage switch")?;
        match (on, flag.exists()) {
            (true, false) => std::fs::write(flag, "")?,
            (false, true) => std::fs::remove_file(flag)?,
            _ => {}
        }
        Ok(())
    }

    fn launch(dir: &Path, port: u16, conf: &str, outage: Option<PathBuf>) -> anyhow::Result<Nginx> {
        let bin = binary().context("nginx is not installed (apt-get install nginx-light)")?;
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
        let mut nginx = Nginx { child: Some(child), dir: dir.to_path_buf(), port, outage };
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
            // The proxy's lines go on with `"$upstream_status" $request_body`: a quoted status
            // ("-" when nginx answered itself, "502, 201" when it tried twice) and the body, last.
            let (head, proxied) = match line.split_once(" \"") {
                Some((head, rest)) => (head, rest.split_once("\" ")),
                None => (line.as_str(), None),
            };
            let f: Vec<&str> = head.split_whitespace().collect();
            if f.len() != 5 {
                continue;
            }
            let (upstream, body) = proxied.unwrap_or(("-", "-"));
            hits.push(Hit {
                end_ms: f[0].parse::<f64>()? * 1000.0,
                status: f[1].parse()?,
                bytes: f[2].parse()?,
                time_ms: f[3].parse::<f64>()? * 1000.0,
                uri: f[4].to_string(),
                // The last server tried is the one that answered.
                upstream_status: upstream.rsplit(' ').next().and_then(|u| u.parse().ok()),
                body: if body == "-" { String::new() } else { body.to_string() },
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
