//! The kiosk's configuration: a small TOML file the IT admin writes once per kiosk.
//!
//! ```toml
//! bundle = "/var/lib/embassy-kiosk/current.kbundle"   # the content bundle to show
//! data_dir = "/var/lib/embassy-kiosk"                 # signups, state, logs
//! kiosk_id = "lobby-1"                                # names this kiosk in reports
//! window = "fullscreen"                               # or "windowed" (with window_size)
//! # idle_timeout_secs = 90                            # overrides the bundle's idle timeout
//! # attract_slide_secs = 8                            # overrides the bundle's attract slide time
//! # volume_ceiling = 0.8                                # loudest the music may go (0–1)
//! # quiet = true                                        # mute all music
//! # heartbeat_secs = 10                                 # <data_dir>/heartbeat.json and systemd's watchdog
//! # heartbeat_url = "https://monitor.embassy.example/kiosk"   # also POST each heartbeat there
//! # web_recycle_mib = 64                                # renew the page's web process, in attract mode, once it has grown this much (0: never)
//! # web_recycle_quiet_secs = 60                         # … after attract mode has been on this long, untouched
//!
//! [sync]                      # where signups go; without this section they stay on the kiosk
//! target = "mailman"          # or "webhook"
//! url = "https://lists.embassy.example/3.1/"
//! list_id = "visitors.embassy.example"                   # mailman only
//! credentials_file = "/etc/embassy-kiosk/list.secret"    # mailman: `user:password`; webhook: the shared secret
//! # pre_confirmed = false     # mailman: skip the confirmation mail (only if addresses are confirmed elsewhere)
//! # interval_secs = 300       # how often to look for the list when all is sent
//! # batch = 50
//! # parallel = 4
//! # timeout_secs = 20
//! # max_backoff_secs = 900
//!
//! [updates]                   # new content bundles; without this section the kiosk shows `bundle` only
//! trusted_keys = ["RWQ…"]     # minisign public keys (the base64 line, or a path to a .pub file)
//! # channel = "stable"
//! # inbox = ["/media/kiosk-usb", "/var/lib/embassy-kiosk/inbox"]   # folders watched for *.kbundle + .minisig
//! # url = "https://www.embassy.example/kiosk/manifest.json"   # a signed manifest (kioskctl bundle publish)
//! # max_bundle_mb = 512
//! # poll_secs = 2
//! # url_poll_secs = 300
//!
//! [signups]                   # limits on signups at this kiosk (all optional)
//! # max_per_minute = 6        # signups taken in any minute; more wait, with a friendly word
//! # max_pending = 10000       # signups that may wait on the kiosk; then new ones are refused and staff told
//! # resend_window_hours = 24  # a mailbox the list took this recently is not sent again
//!
//! [staff]                     # the staff panel (five taps in the top-left corner); without a PIN it stays shut
//! pin_hash = "$argon2id$v=19$…"   # `kioskctl staff hash-pin`; the PIN itself is never stored
//! # idle_close_secs = 120     # the panel closes itself after this long untouched
//! # usb_roots = ["/media", "/run/media", "/mnt"]   # where inserted USB sticks are mounted
//!
//! [metrics]                   # the heartbeat as Prometheus metrics; without this section none are exported
//! # textfile_dir = "/var/lib/embassy-kiosk-metrics"   # embassy_kiosk.prom written there at every heartbeat (node_exporter)
//! # listen = "127.0.0.1:9899"  # serve GET /metrics there (a port alone means loopback)
//! # site = "vienna"           # the `site` label; default: the kiosk_id
//!
//! [accessibility]             # the screen's physical size and mounting, for large text and reach mode
//! # screen_diagonal_in = 32     # the visible diagonal, inches (large text: capital letters ≥ 4.8 mm)
//! # mount_height_in = 30        # the screen's bottom edge above the floor, inches (reach mode: 15–48 in)
//! # timeout_factor = 4          # idle timeout × this while speech or keypad mode is on
//! # attract_hint_secs = 120     # attract mode says how to get speech this often (0: never)
//! # speech = true               # offer speech (espeak-ng); false hides it
//! ```
//!
//! Relative paths are relative to the config file. A bad config stops the
//! kiosk at start with a message that names the file, line and key.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Deserialize;

mod accessibility;
mod check;
mod metrics;
mod signups;
mod staff;
mod sync;
mod updates;

pub use accessibility::{AccessibilityConfig, REACH_HIGH_IN, REACH_LOW_IN};
use check::Check;
pub use check::line_of;
pub use metrics::MetricsConfig;
pub use signups::SignupLimits;
pub use staff::StaffConfig;
pub use sync::{SyncConfig, SyncTarget};
pub use updates::UpdatesConfig;

/// The loudest the music goes unless the config says otherwise (of full scale).
pub const DEFAULT_VOLUME_CEILING: f32 = 0.8;

/// How much the page's web process may grow before it is renewed, MiB: about
/// as much again as it holds when it has settled (its heaps are ~65 MiB).
pub const DEFAULT_WEB_RECYCLE_MIB: u32 = 64;

/// How the kiosk window is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowMode {
    /// Full screen, no decorations: the lobby.
    Fullscreen,
    /// A normal window of `window_size`: development and tests.
    Windowed,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The content bundle to open.
    pub bundle: PathBuf,
    /// Where the kiosk keeps its own files.
    pub data_dir: PathBuf,
    /// This kiosk's name in reports and signups.
    pub kiosk_id: String,
    /// Window mode.
    pub window: WindowMode,
    /// Window size in logical pixels when windowed.
    pub window_size: (u32, u32),
    /// When set, the kiosk's clock stands still at this instant (demos and tests
    /// of dated content); otherwise the system clock is used.
    pub fixed_now: Option<Timestamp>,
    /// Overrides the bundle's idle timeout (tests use a few seconds).
    pub idle_timeout_secs: Option<u32>,
    /// Overrides the bundle's attract slide duration.
    pub attract_slide_secs: Option<u32>,
    /// The loudest a visitor can make the music, 0–1 of full scale.
    pub volume_ceiling: f32,
    /// Quiet mode: all music muted (e.g. a day of mourning).
    pub quiet: bool,
    /// Seconds between heartbeats (`<data_dir>/heartbeat.json`, the monitor's POST).
    /// systemd's watchdog is pinged on its own, faster schedule when it needs
    /// it (see [`Config::warnings`]).
    pub heartbeat_secs: u32,
    /// A monitoring URL each heartbeat is also POSTed to.
    pub heartbeat_url: Option<String>,
    /// The page's web process is renewed once it has grown this many MiB
    /// since it settled (0: never); see kiosk_health::recycle.
    pub web_recycle_mib: u32,
    /// … at a moment when attract mode has been on this long, untouched.
    pub web_recycle_quiet_secs: u32,
    /// Where signups are sent; `None`: they stay on the kiosk until exported.
    pub sync: Option<SyncConfig>,
    /// Which new bundles are accepted; `None`: the kiosk shows `bundle` and takes no updates.
    pub updates: Option<UpdatesConfig>,
    /// The staff panel.
    pub staff: StaffConfig,
    /// Limits on signups (the `[signups]` section).
    pub signups: SignupLimits,
    /// The heartbeat as Prometheus metrics; `None`: none are exported.
    pub metrics: Option<MetricsConfig>,
    /// The screen's size and mounting, and the assisted timeout (the
    /// `[accessibility]` section; its defaults without it).
    pub accessibility: AccessibilityConfig,
}

/// Why a URL the kiosk would send to is refused: `https://` anywhere, plain
/// `http://` only to this machine's loopback, and never with a user name or
/// password in it. Decided on the parsed URL, not on its text:
/// `http://localhost:x@evil.example/` goes to `evil.example`, and
/// `http://127.0.0.1.evil.example/` is a domain, not an address.
fn url_refusal(url: &str) -> Option<&'static str> {
    let Ok(parsed) = url::Url::parse(url.trim()) else {
        return Some("is not a valid URL (e.g. https://lists.embassy.example/3.1/)");
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Some("must not carry a user name or password before the host; credentials go in their own file");
    }
    if parsed.host().is_none() {
        return Some("must name a host (e.g. https://lists.embassy.example/3.1/)");
    }
    if secure_or_loopback(&parsed) {
        None
    } else {
        Some("must be an https:// address (plain http only on this machine's loopback)")
    }
}

/// The kiosk's one rule for where it may talk plain text: `https://`
/// anywhere, `http://` only to this machine's loopback (`127.0.0.0/8`,
/// `[::1]`, `localhost`), judged on the parsed host. The config's URLs, the
/// update poller's redirects and `kioskctl`'s calendar fetch all use it.
pub fn secure_or_loopback(url: &url::Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    }
}

/// Whether a `trusted_keys` entry names a `.pub` file rather than being the key
/// itself (a base64 key may contain `/`, but never starts with `/` or `.`).
pub fn is_key_path(entry: &str) -> bool {
    entry.ends_with(".pub") || entry.starts_with('/') || entry.starts_with('.')
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the config file {path}: {source}")]
    Io {
        /// The config file.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A key is missing, unknown or has a bad value.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong, naming the key.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    bundle: toml::Spanned<PathBuf>,
    data_dir: toml::Spanned<PathBuf>,
    kiosk_id: toml::Spanned<String>,
    #[serde(default = "default_window")]
    window: WindowMode,
    window_size: Option<toml::Spanned<(u32, u32)>>,
    fixed_now: Option<toml::Spanned<String>>,
    idle_timeout_secs: Option<toml::Spanned<u32>>,
    attract_slide_secs: Option<toml::Spanned<u32>>,
    volume_ceiling: Option<toml::Spanned<f32>>,
    #[serde(default)]
    quiet: bool,
    heartbeat_secs: Option<toml::Spanned<u32>>,
    heartbeat_url: Option<toml::Spanned<String>>,
    web_recycle_mib: Option<toml::Spanned<u32>>,
    web_recycle_quiet_secs: Option<toml::Spanned<u32>>,
    sync: Option<toml::Spanned<sync::RawSync>>,
    updates: Option<updates::RawUpdates>,
    staff: Option<staff::RawStaff>,
    signups: Option<signups::RawSignups>,
    metrics: Option<metrics::RawMetrics>,
    accessibility: Option<accessibility::RawAccessibility>,
}

fn default_window() -> WindowMode {
    WindowMode::Fullscreen
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` locates errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let check = Check::new(text, path);
        let raw: Raw = toml::from_str(text).map_err(|e| {
            check.invalid(
                e.span().map_or(0, |s| s.start),
                format!(
                    "{} (see the example config: packaging/kiosk.toml, and docs/operations.md)",
                    e.message().trim()
                ),
            )
        })?;
        let mut config = top_level(&raw, &check)?;
        config.sync = raw.sync.map(|r| sync::parse(r, &check)).transpose()?;
        config.updates = raw.updates.map(|r| updates::parse(r, &check)).transpose()?;
        config.staff = raw.staff.map(|r| staff::parse(r, &check)).transpose()?.unwrap_or_default();
        config.signups = raw.signups.map(|r| signups::parse(r, &check)).transpose()?.unwrap_or_default();
        config.metrics = raw.metrics.map(|r| metrics::parse(r, &check, &config.kiosk_id)).transpose()?;
        config.accessibility =
            raw.accessibility.map(|r| accessibility::parse(r, &check)).transpose()?.unwrap_or_default();
        Ok(config)
    }
}

/// The keys before the first section, validated in the order the file
/// documents them; the sections are left at their defaults for the caller.
fn top_level(raw: &Raw, check: &Check<'_>) -> Result<Config, ConfigError> {
    let kiosk_id = raw.kiosk_id.get_ref().trim().to_string();
    if kiosk_id.is_empty() || kiosk_id.len() > 64 {
        return Err(check.invalid(raw.kiosk_id.span().start, "`kiosk_id` must be 1 to 64 characters".into()));
    }
    let window_size = match &raw.window_size {
        Some(s) => {
            let (w, h) = *s.get_ref();
            if !(320..=8192).contains(&w) || !(320..=8192).contains(&h) {
                return Err(
                    check.invalid(s.span().start, "`window_size` must be [width, height], each 320 to 8192".into())
                );
            }
            (w, h)
        }
        None => (1920, 1080),
    };
    let fixed_now = match &raw.fixed_now {
        Some(s) => Some(s.get_ref().parse::<Timestamp>().map_err(|_| {
            check
                .invalid(s.span().start, "`fixed_now` must be an RFC 3339 time such as \"2026-12-01T10:00:00Z\"".into())
        })?),
        None => None,
    };
    Ok(Config {
        bundle: check.base.join(raw.bundle.get_ref()),
        data_dir: check.base.join(raw.data_dir.get_ref()),
        kiosk_id,
        window: raw.window,
        window_size,
        fixed_now,
        idle_timeout_secs: check.number("idle_timeout_secs", raw.idle_timeout_secs.as_ref(), 1..=86_400)?,
        attract_slide_secs: check.number("attract_slide_secs", raw.attract_slide_secs.as_ref(), 1..=86_400)?,
        volume_ceiling: check
            .number("volume_ceiling", raw.volume_ceiling.as_ref(), 0.0..=1.0)?
            .unwrap_or(DEFAULT_VOLUME_CEILING),
        quiet: raw.quiet,
        heartbeat_secs: check.number("heartbeat_secs", raw.heartbeat_secs.as_ref(), 1..=3600)?.unwrap_or(10),
        heartbeat_url: raw.heartbeat_url.clone().map(|u| check.url("heartbeat_url", u)).transpose()?,
        web_recycle_mib: check
            .number("web_recycle_mib", raw.web_recycle_mib.as_ref(), 0..=65_536)?
            .unwrap_or(DEFAULT_WEB_RECYCLE_MIB),
        web_recycle_quiet_secs: check
            .number("web_recycle_quiet_secs", raw.web_recycle_quiet_secs.as_ref(), 0..=86_400)?
            .unwrap_or(60),
        sync: None,
        updates: None,
        staff: StaffConfig::default(),
        signups: SignupLimits::default(),
        metrics: None,
        accessibility: AccessibilityConfig::default(),
    })
}

/// The shipped unit's `WatchdogSec` (packaging/embassy-kiosk.service), assumed
/// by [`Config::warnings`] when the kiosk does not run under systemd.
pub const SHIPPED_WATCHDOG_SECS: u64 = 60;

impl Config {
    /// What is allowed but probably not meant, for the log at start. Today:
    /// a heartbeat slower than systemd's watchdog — `watchdog` is
    /// `WATCHDOG_USEC` when systemd gave one, else the shipped unit's
    /// [`SHIPPED_WATCHDOG_SECS`]. The kiosk pings the watchdog on its own
    /// schedule regardless, but the heartbeat file and monitor then hear of it
    /// less often than systemd does, which is rarely what an admin means.
    pub fn warnings(&self, watchdog: Option<std::time::Duration>) -> Vec<String> {
        let (watchdog, whose) = match watchdog {
            Some(w) => (w, "systemd's watchdog (WATCHDOG_USEC)"),
            None => (std::time::Duration::from_secs(SHIPPED_WATCHDOG_SECS), "the shipped unit's WatchdogSec"),
        };
        let mut out = Vec::new();
        if u128::from(self.heartbeat_secs) * 1000 > watchdog.as_millis() {
            out.push(format!(
                "`heartbeat_secs` = {} is longer than {whose} of {} s: the watchdog is pinged every {} ms on its own, but heartbeat.json and the monitor hear from the kiosk only every {} s (at most {} s keeps them in step)",
                self.heartbeat_secs,
                watchdog.as_secs_f64(),
                (watchdog / 3).as_millis(),
                self.heartbeat_secs,
                (watchdog / 2).as_secs().max(1),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/embassy-kiosk/kiosk.toml"))
    }

    const GOOD: &str = "bundle = \"current.kbundle\"\ndata_dir = \"/var/lib/embassy-kiosk\"\nkiosk_id = \"lobby-1\"\n";

    #[test]
    fn a_minimal_config_gets_defaults_and_resolves_paths() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.bundle, Path::new("/etc/embassy-kiosk/current.kbundle"));
        assert_eq!(c.data_dir, Path::new("/var/lib/embassy-kiosk"));
        assert_eq!(c.window, WindowMode::Fullscreen, "the lobby default is fullscreen");
        assert_eq!(c.fixed_now, None);
        assert_eq!(c.sync, None, "no [sync] section: signups stay on the kiosk");
        assert_eq!(c.updates, None, "no [updates] section: no updates taken");
        assert_eq!(c.staff.pin_hash, None, "no PIN: the staff panel stays shut");
        assert_eq!((c.web_recycle_mib, c.web_recycle_quiet_secs), (64, 60), "the web process is renewed when grown");
        let never = parse(&format!("{GOOD}web_recycle_mib = 0\n")).unwrap();
        assert_eq!(never.web_recycle_mib, 0);
    }

    #[test]
    fn the_staff_section_takes_a_hash_and_resolves_usb_roots() {
        let text = format!(
            "{GOOD}[staff]\npin_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"\nidle_close_secs = 60\nusb_roots = [\"usb\"]\n"
        );
        let c = parse(&text).unwrap();
        assert!(c.staff.pin_hash.unwrap().starts_with("$argon2id$"));
        assert_eq!(c.staff.idle_close_secs, 60);
        assert_eq!(c.staff.usb_roots, vec![PathBuf::from("/etc/embassy-kiosk/usb")]);
        assert_eq!(parse(GOOD).unwrap().staff.usb_roots[0], PathBuf::from("/media"));
    }

    #[test]
    fn trusted_keys_are_keys_or_pub_files() {
        let text = format!("{GOOD}[updates]\ntrusted_keys = [\"RWSFjOf/6eW+x\", \"keys/embassy.pub\"]\n");
        let u = parse(&text).unwrap().updates.unwrap();
        assert_eq!(u.trusted_keys[0], "RWSFjOf/6eW+x", "a base64 key with a slash is still a key");
        assert_eq!(u.trusted_keys[1], "/etc/embassy-kiosk/keys/embassy.pub", "a .pub file is relative to the config");
        assert_eq!((u.channel.as_str(), u.max_bundle_mb, u.poll_secs), ("stable", 512, 2));
    }

    #[test]
    fn a_sync_section_gets_defaults_and_a_path_relative_to_the_config() {
        let text = format!(
            "{GOOD}[sync]\ntarget = \"mailman\"\nurl = \"http://127.0.0.1:8001/3.1/\"\nlist_id = \"visitors.embassy.example\"\ncredentials_file = \"mailman.secret\"\n"
        );
        let sync = parse(&text).unwrap().sync.unwrap();
        assert_eq!(sync.target, SyncTarget::Mailman);
        assert_eq!(sync.credentials_file, Path::new("/etc/embassy-kiosk/mailman.secret"));
        assert!(!sync.pre_confirmed, "double opt-in unless the config says otherwise");
        assert_eq!((sync.interval_secs, sync.batch, sync.parallel), (300, 50, 4));
    }

    #[test]
    fn plain_http_is_allowed_only_to_a_parsed_loopback_host_and_never_with_userinfo() {
        // (url, accepted): decided on the host the URL really names, not on how its text starts.
        let cases = [
            ("https://lists.embassy.example/3.1/", true),
            ("http://127.0.0.1:8001/3.1/", true),
            ("http://127.0.0.1/", true),
            ("http://127.8.9.10/", true),
            ("http://[::1]/", true),
            ("http://[::1]:8080/hook", true),
            ("http://localhost/", true),
            ("http://LOCALHOST:9/x", true),
            // The host is evil.example; "localhost:x" is a user name and password.
            ("http://localhost:x@evil.example/", false),
            ("http://127.0.0.1@evil.example/", false),
            ("http://[::1]@evil.example/", false),
            // A domain that merely starts like an address or like localhost.
            ("http://127.0.0.1.evil.example/", false),
            ("http://localhost.evil.example/", false),
            ("http://localhost-evil.example/", false),
            ("http://evil.example/", false),
            // Credentials never ride in the URL, not even over https or to loopback.
            ("https://user:pass@lists.embassy.example/3.1/", false),
            ("https://lists.embassy.example@evil.example/", false),
            ("http://user@127.0.0.1/", false),
            ("ftp://127.0.0.1/", false),
            ("lists.embassy.example/3.1/", false),
        ];
        for (url, accepted) in cases {
            let text = format!(
                "{GOOD}heartbeat_url = \"{url}\"\n[sync]\ntarget = \"webhook\"\nurl = \"{url}\"\ncredentials_file = \"c\"\n[updates]\ntrusted_keys = [\"RWQ\"]\nurl = \"{url}\"\n"
            );
            assert_eq!(url_refusal(url).is_none(), accepted, "{url}: {:?}", url_refusal(url));
            match parse(&text) {
                Ok(c) => assert!(accepted, "{url} must be refused, got {:?}", c.sync),
                Err(e) => assert!(!accepted, "{url} must be accepted: {e}"),
            }
        }
        let e = parse(&format!(
            "{GOOD}[sync]\ntarget = \"webhook\"\nurl = \"http://localhost:x@evil.example/\"\ncredentials_file = \"c\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("sync.url") && e.contains("user name or password"), "staff are told what is wrong: {e}");
    }

    #[test]
    fn signup_limits_have_sane_defaults_and_bounds() {
        let base = "bundle = \"b.kbundle\"\ndata_dir = \"d\"\nkiosk_id = \"k\"\n";
        assert_eq!(parse(base).unwrap().signups, SignupLimits::default());
        let c = parse(&format!("{base}[signups]\nmax_per_minute = 3\nmax_pending = 50\n")).unwrap();
        assert_eq!(c.signups, SignupLimits { max_per_minute: 3, max_pending: 50, resend_window_hours: 24 });
        let e = parse(&format!("{base}[signups]\nmax_per_minute = 0\n")).unwrap_err().to_string();
        assert!(e.contains(":5:") && e.contains("`signups.max_per_minute` must be 1 to 600"), "{e}");
    }

    #[test]
    fn the_metrics_section_defaults_its_site_to_the_kiosk_id_and_resolves_its_folder() {
        assert_eq!(parse(GOOD).unwrap().metrics, None, "no [metrics] section: no metrics");
        let m = parse(&format!("{GOOD}[metrics]\ntextfile_dir = \"metrics\"\nlisten = \"9899\"\n"))
            .unwrap()
            .metrics
            .unwrap();
        assert_eq!(m.textfile_dir.as_deref(), Some(Path::new("/etc/embassy-kiosk/metrics")));
        assert_eq!(m.listen, Some("127.0.0.1:9899".parse().unwrap()), "a port alone listens on loopback only");
        assert_eq!(m.site, "lobby-1", "the site label defaults to the kiosk_id");
        let m = parse(&format!("{GOOD}[metrics]\nsite = \" Vienna \"\n")).unwrap().metrics.unwrap();
        assert_eq!((m.site.as_str(), m.listen, m.textfile_dir), ("Vienna", None, None));
    }

    #[test]
    fn the_accessibility_section_has_defaults_and_takes_each_key() {
        assert_eq!(parse(GOOD).unwrap().accessibility, AccessibilityConfig::default(), "no section: the defaults");
        let d = AccessibilityConfig::default();
        assert_eq!((d.screen_diagonal_in, d.mount_height_in, d.timeout_factor, d.speech), (32.0, 30.0, 4, true));
        let a = parse(&format!(
            "{GOOD}[accessibility]\nscreen_diagonal_in = 55\nmount_height_in = 0.5\ntimeout_factor = 20\nspeech = false\nattract_hint_secs = 0\n"
        ))
        .unwrap()
        .accessibility;
        assert_eq!(
            a,
            AccessibilityConfig {
                screen_diagonal_in: 55.0,
                mount_height_in: 0.5,
                timeout_factor: 20,
                speech: false,
                attract_hint_secs: 0
            }
        );
        let a = parse(&format!("{GOOD}[accessibility]\nmount_height_in = 72\n")).unwrap().accessibility;
        assert_eq!((a.mount_height_in, a.screen_diagonal_in), (72.0, 32.0), "the range is inclusive; the rest default");
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let cases = [
            (format!("{GOOD}windw = \"windowed\"\n"), 4, "windw"),
            (format!("{GOOD}window = \"maximised\"\n"), 4, "maximised"),
            (format!("{GOOD}fixed_now = \"yesterday\"\n"), 4, "fixed_now"),
            (format!("{GOOD}window_size = [10, 10]\n"), 4, "window_size"),
            (format!("{GOOD}idle_timeout_secs = 0\n"), 4, "idle_timeout_secs"),
            (format!("{GOOD}volume_ceiling = 1.5\n"), 4, "volume_ceiling"),
            (format!("{GOOD}web_recycle_mib = 70000\n"), 4, "web_recycle_mib"),
            (format!("{GOOD}web_recycle_quiet_secs = 90000\n"), 4, "web_recycle_quiet_secs"),
            (format!("{GOOD}quiet = \"yes\"\n"), 4, "invalid type"),
            (format!("{GOOD}[staff]\npin_hash = \"1234\"\n"), 5, "never the PIN itself"),
            (format!("{GOOD}[staff]\nidle_close_secs = 5\n"), 5, "idle_close_secs"),
            ("bundle = \"x\"\ndata_dir = \"y\"\n".to_string(), 1, "kiosk_id"),
            (GOOD.replace("lobby-1", ""), 3, "kiosk_id"),
            (
                format!(
                    "{GOOD}[sync]\ntarget = \"webhook\"\nurl = \"http://example.org/hook\"\ncredentials_file = \"s\"\n"
                ),
                6,
                "https",
            ),
            (
                format!(
                    "{GOOD}[sync]\ntarget = \"mailman\"\nurl = \"https://l.example/3.1/\"\ncredentials_file = \"c\"\n"
                ),
                4,
                "list_id",
            ),
            (format!("{GOOD}[sync]\ntarget = \"smtp\"\n"), 5, "smtp"),
            (format!("{GOOD}[updates]\ntrusted_keys = []\n"), 5, "trusted_keys"),
            (format!("{GOOD}[updates]\ntrusted_keys = [\"RWQ\"]\nurl = \"http://example.org/m.json\"\n"), 6, "https"),
            (format!("{GOOD}[updates]\ntrusted_keys = [\"RWQ\"]\nmax_bundle_mb = 0\n"), 6, "max_bundle_mb"),
            (format!("{GOOD}[metrics]\nlisten = \"localhost:9899\"\n"), 5, "metrics.listen"),
            (format!("{GOOD}[metrics]\nlisten = \"127.0.0.1:0\"\n"), 5, "metrics.listen"),
            (format!("{GOOD}[metrics]\nsite = \"\"\n"), 5, "metrics.site"),
            (format!("{GOOD}[metrics]\nport = 9899\n"), 5, "port"),
            (format!("{GOOD}[accessibility]\nscreen_diagonal_in = 6.5\n"), 5, "accessibility.screen_diagonal_in"),
            (format!("{GOOD}[accessibility]\nscreen_diagonal_in = 121\n"), 5, "between 7.0 and 120.0"),
            (
                format!("{GOOD}[accessibility]\nspeech = true\nmount_height_in = -1\n"),
                6,
                "accessibility.mount_height_in",
            ),
            (format!("{GOOD}[accessibility]\nmount_height_in = 80\n"), 5, "accessibility.mount_height_in"),
            (
                format!("{GOOD}[accessibility]\ntimeout_factor = 0\n"),
                5,
                "`accessibility.timeout_factor` must be 1 to 20",
            ),
            (format!("{GOOD}[accessibility]\ntimeout_factor = 21\n"), 5, "accessibility.timeout_factor"),
            (format!("{GOOD}[accessibility]\nattract_hint_secs = 3601\n"), 5, "accessibility.attract_hint_secs"),
            (format!("{GOOD}[accessibility]\nspeech = \"on\"\n"), 5, "invalid type"),
            (format!("{GOOD}[accessibility]\nscreen_inches = 32\n"), 5, "screen_inches"),
            (
                format!(
                    "{GOOD}[sync]\ntarget = \"webhook\"\nurl = \"https://h.example/\"\ncredentials_file = \"c\"\nbatch = 0\n"
                ),
                8,
                "sync.batch",
            ),
        ];
        for (text, line, word) in cases {
            match parse(&text) {
                Err(ConfigError::Invalid { line: l, message, .. }) => {
                    assert_eq!(l, line, "line for {word}: {message}");
                    assert!(message.contains(word), "the message must name `{word}`: {message}");
                }
                other => panic!("config with bad `{word}` must be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_heartbeat_slower_than_the_watchdog_is_warned_about() {
        let slow = parse(&format!("{GOOD}heartbeat_secs = 120\n")).unwrap();
        let shipped = slow.warnings(None);
        assert_eq!(shipped.len(), 1, "120 s is longer than the shipped unit's WatchdogSec=60: {shipped:?}");
        assert!(shipped[0].contains("heartbeat_secs") && shipped[0].contains("60 s"), "{shipped:?}");
        let two = slow.warnings(Some(std::time::Duration::from_secs(2)));
        assert!(two[0].contains("WATCHDOG_USEC") && two[0].contains("666 ms"), "names the real watchdog: {two:?}");
        assert!(parse(GOOD).unwrap().warnings(None).is_empty(), "the default 10 s is fine");
        assert!(
            !parse(GOOD).unwrap().warnings(Some(std::time::Duration::from_secs(5))).is_empty(),
            "10 s is longer than a 5 s watchdog"
        );
    }

    #[test]
    fn the_shipped_watchdog_is_the_units() {
        let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/embassy-kiosk.service");
        let unit = std::fs::read_to_string(&unit).unwrap();
        let secs = unit.lines().find_map(|l| l.trim().strip_prefix("WatchdogSec=")).expect("the unit has a watchdog");
        assert_eq!(secs.trim(), SHIPPED_WATCHDOG_SECS.to_string(), "SHIPPED_WATCHDOG_SECS follows the unit");
    }
}
