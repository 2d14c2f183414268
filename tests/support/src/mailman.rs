//! A real GNU Mailman 3 core on loopback, one per test, with its own ports,
//! var directory and an `aiosmtpd` that catches the mail it sends.
//!
//! Mailman comes from PyPI into a virtualenv that `./dev deps` makes
//! (`$KIOSK_MAILMAN_VENV`, default `~/.cache/embassy-kiosk/mailman-venv`).
//! A missing Mailman fails the test with that instruction: a sync test that
//! quietly skips would prove nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// REST credentials of the test server.
pub const REST_USER: &str = "restadmin";
/// REST password of the test server.
pub const REST_PASS: &str = "restpass-for-tests";
/// The domain lists are created in.
pub const DOMAIN: &str = "embassy.example";

/// Where `./dev deps` installs Mailman.
pub fn venv() -> PathBuf {
    if let Some(v) = std::env::var_os("KIOSK_MAILMAN_VENV") {
        return PathBuf::from(v);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"));
    cache.join("embassy-kiosk/mailman-venv")
}

/// A running Mailman; stopped (and every runner reaped) on drop.
pub struct Mailman {
    dir: tempfile::TempDir,
    cfg: PathBuf,
    rest_port: u16,
    smtpd: Child,
    http: reqwest::Client,
}

impl Mailman {
    /// Installs nothing; starts Mailman and its mail catcher, waits for the REST API.
    pub async fn start() -> Mailman {
        let bin = venv().join("bin");
        assert!(
            bin.join("mailman").exists(),
            "GNU Mailman 3 is not installed at {}: run `./dev deps` (or set KIOSK_MAILMAN_VENV)",
            bin.display()
        );
        let dir = tempfile::Builder::new().prefix("kiosk-mailman-").tempdir().expect("temp dir");
        let (rest_port, lmtp_port, smtp_port) = (free_port(), free_port(), free_port());
        let var = dir.path().join("var");
        let cfg = dir.path().join("mailman.cfg");
        std::fs::write(
            &cfg,
            format!(
                "[mailman]\nsite_owner: postmaster@{DOMAIN}\nlayout: here\n\
                 [paths.here]\nvar_dir: {var}\n\
                 [mta]\nincoming: mailman.mta.null.NullMTA\nsmtp_host: 127.0.0.1\nsmtp_port: {smtp_port}\n\
                 lmtp_host: 127.0.0.1\nlmtp_port: {lmtp_port}\n\
                 [webservice]\nhostname: 127.0.0.1\nport: {rest_port}\nadmin_user: {REST_USER}\nadmin_pass: {REST_PASS}\n",
                var = var.display()
            ),
        )
        .expect("write mailman.cfg");
        let mailbox = dir.path().join("mail");
        let smtpd = Command::new(bin.join("python"))
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{smtp_port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&mailbox)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client");
        let m = Mailman { dir, cfg, rest_port, smtpd, http };
        m.start_runners().await;
        m.post("domains", &[("mail_host", DOMAIN)]).await;
        m
    }

    /// Runs `mailman <args>`. Its output goes to a file, not a pipe: the
    /// master it starts would hold a pipe open for ever.
    fn mailman(&self, args: &[&str]) -> std::process::ExitStatus {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("mailman-cli.log"))
            .expect("mailman-cli.log");
        Command::new(venv().join("bin/mailman"))
            .arg("-C")
            .arg(&self.cfg)
            .arg("--run-as-root")
            .args(args)
            // gunicorn keeps a control socket under $HOME: one per server.
            .env("HOME", self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .status()
            .expect("run mailman")
    }

    async fn start_runners(&self) {
        let status = self.mailman(&["start"]);
        assert!(status.success(), "mailman start failed; see {}", self.dir.path().join("mailman-cli.log").display());
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let up = self.http.get(self.url("system/versions")).basic_auth(REST_USER, Some(REST_PASS)).send().await;
            if up.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(Instant::now() < deadline, "Mailman's REST API did not come up in 90 s; see {}", self.log_dir());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops Mailman (the REST API goes away) and waits until every runner is gone.
    pub fn stop(&self) {
        let pid = std::fs::read_to_string(self.dir.path().join("var/master.pid")).ok();
        let _ = self.mailman(&["stop"]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Some(pid) = pid.as_deref().map(str::trim) {
            if !Path::new(&format!("/proc/{pid}")).exists() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Whatever is left (a runner that ignored SIGTERM) carries our config path.
        let _ = Command::new("pkill").arg("-9").arg("-f").arg(self.cfg.as_os_str()).status();
    }

    /// Starts it again after [`Mailman::stop`], same data.
    pub async fn restart(&self) {
        self.start_runners().await;
    }

    /// The REST API root, e.g. `http://127.0.0.1:PORT/3.1/`.
    pub fn rest_root(&self) -> String {
        format!("http://127.0.0.1:{}/3.1/", self.rest_port)
    }

    /// Writes the kiosk's credentials file for this server (`user:password`,
    /// mode 0600 as the kiosk demands) as `dir/mailman.secret`.
    pub fn write_credentials(&self, dir: &Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("mailman.secret");
        std::fs::write(&path, format!("{REST_USER}:{REST_PASS}\n")).expect("write the credentials");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
        path
    }

    /// The REST port (for a proxy in front).
    pub fn rest_port(&self) -> u16 {
        self.rest_port
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.rest_root())
    }

    fn log_dir(&self) -> String {
        self.dir.path().join("var/logs").display().to_string()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) {
        let r = self
            .http
            .post(self.url(path))
            .basic_auth(REST_USER, Some(REST_PASS))
            .form(form)
            .send()
            .await
            .expect("Mailman REST");
        assert!(r.status().is_success(), "POST {path}: {} {}", r.status(), r.text().await.unwrap_or_default());
    }

    async fn get(&self, path: &str) -> serde_json::Value {
        let r = self.http.get(self.url(path)).basic_auth(REST_USER, Some(REST_PASS)).send().await.expect("REST");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("JSON")
    }

    /// Creates a list `<name>@embassy.example` and returns its list id.
    pub async fn create_list(&self, name: &str) -> String {
        self.post("lists", &[("fqdn_listname", &format!("{name}@{DOMAIN}"))]).await;
        format!("{name}.{DOMAIN}")
    }

    async fn all(&self, path: &str, field: &str) -> Vec<String> {
        let mut out = Vec::new();
        for page in 1.. {
            let v = self.get(&format!("{path}?count=500&page={page}")).await;
            let entries = v["entries"].as_array().cloned().unwrap_or_default();
            out.extend(entries.iter().filter_map(|e| e[field].as_str().map(str::to_string)));
            if out.len() as u64 >= v["total_size"].as_u64().unwrap_or(0) || entries.is_empty() {
                break;
            }
        }
        out
    }

    /// Every member's address on the list (the roster), as Mailman stores them.
    pub async fn members(&self, list_id: &str) -> Vec<String> {
        self.all(&format!("lists/{list_id}/roster/member"), "email").await
    }

    /// Addresses with a subscription waiting for the subscriber's confirmation.
    pub async fn pending_confirmations(&self, list_id: &str) -> Vec<String> {
        self.all(&format!("lists/{list_id}/requests"), "email").await
    }

    /// The recipients of every mail Mailman has sent so far.
    pub fn mail_recipients(&self) -> Vec<String> {
        let mut out = Vec::new();
        let new = self.dir.path().join("mail/new");
        for entry in std::fs::read_dir(new).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            out.extend(text.lines().find_map(|l| l.strip_prefix("X-RcptTo: ").map(|r| r.trim().to_string())));
        }
        out
    }

    /// The confirmation mails ("Your confirmation is needed…") caught so far, by recipient.
    pub fn confirmation_requests(&self) -> Vec<String> {
        let mut out = Vec::new();
        let new = self.dir.path().join("mail/new");
        for entry in std::fs::read_dir(new).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.contains("Subject: Your confirmation is needed") {
                out.extend(text.lines().find_map(|l| l.strip_prefix("X-RcptTo: ").map(|r| r.trim().to_string())));
            }
        }
        out
    }
}

impl Drop for Mailman {
    fn drop(&mut self) {
        self.stop();
        let _ = self.smtpd.kill();
        let _ = self.smtpd.wait();
    }
}
