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

use crate::problems::Problems;

/// What the window needs to start.
pub struct Prepared {
    pub config: Config,
    pub bundle: Bundle,
    pub clock: Arc<dyn Clock>,
    /// Watches for new content, when the config has an `[updates]` section.
    pub updates: Option<crate::updates::Watcher>,
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
        Some(u) => with_updates(&config, u, factory, &problems, &http)?,
        None => (factory, None),
    };
    let clock: Arc<dyn Clock> = match config.fixed_now {
        Some(t) => Arc::new(FixedClock(t)),
        None => Arc::new(SystemClock),
    };
    Ok(Prepared { config, bundle, clock, updates, problems, http })
}

/// Opens the signup store in `data_dir`. A damaged store (garbage, truncated,
/// a folder, unreadable) is set aside with its WAL — never deleted: it may
/// hold signups a visitor was thanked for — and a fresh one started; staff
/// hear of it through `problems`. Fails when not even a fresh store can be
/// made, and when a store SQLite finds sound will not open (held by another
/// process, a full disk, a newer schema): that one still holds signups to
/// send, so it is never moved.
pub fn open_signups(
    data_dir: &Path,
    sync: Option<&kiosk_config::SyncConfig>,
    limits: &kiosk_config::SignupLimits,
    problems: &Problems,
    http: &kiosk_http::Shared,
) -> Result<crate::signup::Signups, String> {
    use kiosk_signups::recover;
    let path = data_dir.join("signups.sqlite");
    match recover::set_aside_if_damaged(&path, jiff::Timestamp::now()) {
        Ok(Some(moved)) => problems.add(moved.to_string()),
        Ok(None) => {}
        Err(e) => tracing::warn!("cannot set the damaged signup store {} aside: {e}", path.display()),
    }
    match crate::signup::Signups::open(data_dir, sync, limits, http) {
        Ok(s) => Ok(s),
        // Set aside only what SQLite itself finds damaged (damage can show only
        // when the store is opened for writing). A sound store that will not
        // open — held by another process, a full disk, files left root's by
        // `sudo kioskctl`, a schema from a newer version — holds signups that
        // must still be sent: it is never moved, and the start fails as it
        // says, for systemd to try again.
        Err(e) => match recover::check(&path) {
            Err(recover::Finding::Damaged(why)) => {
                let moved = recover::set_aside(&path, &why, jiff::Timestamp::now())
                    .map_err(|m| format!("{e}; and it cannot be set aside: {m}"))?;
                problems.add(moved.to_string());
                crate::signup::Signups::open(data_dir, sync, limits, http)
            }
            Ok(()) | Err(recover::Finding::Busy(_)) => Err(e),
        },
    }
}

/// The bundle to show — the store's current one when an update was installed,
/// else the config's — and the watcher for further updates. A store bundle
/// that cannot be opened, or a store whose state is damaged, falls back to
/// the config's bundle: never nothing. Only a bad `[updates]` config stops the start.
fn with_updates(
    config: &Config,
    u: &kiosk_config::UpdatesConfig,
    factory: Bundle,
    problems: &Problems,
    http: &kiosk_http::Shared,
) -> Result<(Bundle, Option<crate::updates::Watcher>), String> {
    let policy = kiosk_updates::accept::Policy::from_config(u)?;
    let store = match kiosk_updates::store::BundleStore::open(&config.data_dir) {
        Ok(store) => store,
        Err(e) => {
            problems.add(format!("{e} (until it is fixed, updates are off and the config's bundle is shown)"));
            return Ok((factory, None));
        }
    };
    let floor = factory.meta().bundle_version;
    let current = match store.state() {
        Ok(state) => state.current,
        Err(e) => {
            problems.add_about(&e.to_string(), format!("{e} (until then the config's bundle is shown)"));
            None
        }
    };
    let (bundle, shown) = match current {
        Some(c) => match Bundle::open(&store.dir().join(&c.file)) {
            Ok(b) => (b, Some(c.file)),
            Err(e) => {
                problems.add(format!("the installed bundle {} cannot be opened ({e}); the config's is shown", c.file));
                (factory, None)
            }
        },
        None => (factory, None),
    };
    let remote = match &u.url {
        Some(url) => match kiosk_updates::remote::Remote::new(url, &store.dir().join("downloads"), http.clone()) {
            Ok(remote) => Some((remote, url.clone(), std::time::Duration::from_secs(u.url_poll_secs.into()))),
            Err(e) => {
                problems.add(format!("updates from {url} are off: {e}"));
                None
            }
        },
        None => None,
    };
    let watcher = crate::updates::Watcher {
        remote,
        remote_due: std::time::Instant::now(),
        store,
        policy,
        inbox: kiosk_updates::inbox::Inbox::new(u.inbox.clone()),
        floor,
        factory: config.bundle.clone(),
        poll: std::time::Duration::from_secs(u.poll_secs.into()),
        shown,
        problems: problems.clone(),
    };
    Ok((bundle, Some(watcher)))
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
        sync: None,
        updates: None,
        // The demo's staff PIN is 1234 (five taps in the top-left corner open the keypad).
        staff: kiosk_config::StaffConfig { pin_hash: Some(DEMO_PIN_HASH.into()), ..Default::default() },
        signups: Default::default(),
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

/// Idle timeout and slide duration in seconds: the bundle's, unless the config overrides them.
pub fn attract_timings(k: &Prepared) -> (u64, u64) {
    let s = k.bundle.settings();
    (
        u64::from(k.config.idle_timeout_secs.unwrap_or(s.idle_timeout_secs)),
        u64::from(k.config.attract_slide_secs.unwrap_or(s.attract_slide_secs)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sound_store_that_will_not_open_is_never_set_aside() {
        // A newer version's schema (after a downgrade): SQLite finds the store
        // sound, the migrations refuse it. Its signups must stay where the sync finds them.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signups.sqlite");
        kiosk_signups::store::SignupStore::open(&path).unwrap();
        rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 999;").unwrap();
        let problems = Problems::default();
        let opened = open_signups(
            dir.path(),
            None,
            &kiosk_config::SignupLimits::default(),
            &problems,
            &kiosk_http::Shared::new(),
        );
        assert!(opened.is_err(), "a store from a newer version does not open");
        assert!(path.exists(), "a sound store is never moved aside: {:?}", problems.list());
        let moved: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
            .collect();
        assert!(moved.is_empty(), "nothing set aside: {moved:?}");
    }
}
