//! Start-up: find the config, open the bundle, choose the clock.
//!
//! Only the config (and the bundle it names) can stop the start. Anything in
//! the data directory that is damaged — the bundle store's state, staff's
//! files, the signup store — is worked around so the lobby shows content: the
//! config's bundle instead of the store's, a fresh signup store beside the
//! damaged one (set aside, never deleted), and each such problem is logged and
//! shown to staff (the staff panel, the heartbeat) through [`Problems`].
//!
//! With no config (no `--config`, no `EMBASSY_KIOSK_CONFIG`) the kiosk runs on
//! the demo content in the source tree's `content/`, building its bundle first
//! when the content is newer than the last build.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use kiosk_config::{Config, WindowMode};
use kiosk_content::build::{BuildOptions, build_bundle};
use kiosk_content::source::NoProgress;
use kiosk_content::{Bundle, Clock, FixedClock, SystemClock};

use kiosk_app::Problems;

/// What the window needs to start.
pub struct Prepared {
    pub config: Config,
    pub bundle: Bundle,
    pub clock: Arc<dyn Clock>,
    /// Watches for new content, when the config has an `[updates]` section.
    pub updates: Option<kiosk_app::watcher::Watcher>,
    /// Damaged files found so far in the data directory.
    pub problems: Problems,
    /// The process's one HTTP client (update poller, sync, heartbeat), built on its first request.
    pub http: kiosk_http::Shared,
}

/// Reads arguments and environment, and opens everything. Errors are messages for the admin.
pub fn prepare(mut args: impl Iterator<Item = String>) -> Result<Prepared, String> {
    let mut config_path: Option<PathBuf> = std::env::var_os("EMBASSY_KIOSK_CONFIG").map(PathBuf::from);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" => config_path = Some(args.next().ok_or("--config needs a file path")?.into()),
            "--help" | "-h" => {
                println!(
                    "embassy-kiosk [--config FILE]\n\nRuns the lobby kiosk. The config may also be given as EMBASSY_KIOSK_CONFIG.\nWith no config it shows the demo content from the source tree's content/ folder."
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; try --help")),
        }
    }
    let config = match config_path {
        Some(path) => Config::load(&path).map_err(|e| e.to_string())?,
        None => demo_config()?,
    };
    let problems = Problems::default();
    if let Some(e) = crate::logging::init(&config.data_dir) {
        problems.add(e);
    }
    let factory = Bundle::open(&config.bundle).map_err(|e| format!("{e} (config key `bundle`)"))?;
    let http = kiosk_http::Shared::new();
    let (bundle, updates) = match &config.updates {
        Some(u) => kiosk_app::watcher::open(&config, u, factory, &problems, &http)?,
        None => (factory, None),
    };
    let clock: Arc<dyn Clock> = match config.fixed_now {
        Some(t) => Arc::new(FixedClock(t)),
        None => Arc::new(SystemClock),
    };
    Ok(Prepared { config, bundle, clock, updates, problems, http })
}

/// The source tree's root, where `content/` and `target/` live.
fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("src-tauri has a parent").to_path_buf()
}

/// `kioskctl staff hash-pin` of 1234: the demo only, never a real kiosk's.
const DEMO_PIN_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$nRe0JwOzhRS2BgA667QDsw$mvKS45XtOjzYuJ+Z3CVNNXzBFJP3iY3X6rlWRN35iGc";

fn demo_config() -> Result<Config, String> {
    let root = source_root();
    let content = root.join("content");
    let demo_dir = root.join("target/demo");
    let bundle = demo_dir.join("demo.kbundle");
    if needs_rebuild(&content, &bundle) {
        eprintln!("embassy-kiosk: building the demo bundle from {}", content.display());
        build_bundle(&content, &bundle, &BuildOptions::default(), &mut NoProgress).map_err(|e| e.to_string())?;
    }
    Ok(Config {
        bundle,
        data_dir: demo_dir.join("data"),
        kiosk_id: "demo".into(),
        window: WindowMode::Windowed,
        window_size: (1920, 1080),
        fixed_now: None,
        idle_timeout_secs: None,
        attract_slide_secs: None,
        volume_ceiling: kiosk_config::DEFAULT_VOLUME_CEILING,
        quiet: false,
        heartbeat_secs: 10,
        heartbeat_url: None,
        web_recycle_mib: kiosk_config::DEFAULT_WEB_RECYCLE_MIB,
        web_recycle_quiet_secs: 60,
        sync: None,
        updates: None,
        // The demo's staff PIN is 1234 (five taps in the top-left corner open the keypad).
        staff: kiosk_config::StaffConfig { pin_hash: Some(DEMO_PIN_HASH.into()), ..Default::default() },
        signups: Default::default(),
        metrics: None,
        accessibility: Default::default(),
    })
}

fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = std::fs::metadata(dir).ok()?.modified().ok();
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let t = if entry.file_type().ok()?.is_dir() {
            newest_mtime(&entry.path())
        } else {
            entry.metadata().ok()?.modified().ok()
        };
        newest = newest.max(t);
    }
    newest
}

fn needs_rebuild(content: &Path, bundle: &Path) -> bool {
    let built = std::fs::metadata(bundle).and_then(|m| m.modified()).ok();
    match (built, newest_mtime(content)) {
        (Some(b), Some(c)) => c > b,
        _ => true,
    }
}
