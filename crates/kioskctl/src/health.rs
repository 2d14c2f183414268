//! `kioskctl health check`: what a monitor runs (cron, Nagios, a shell over
//! SSH). Exit 0 while heartbeats are fresh, 1 when they stopped or are missing.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::Subcommand;
use kiosk_health::{Verdict, check};

/// `kioskctl health …`
#[derive(Subcommand)]
pub enum HealthCmd {
    /// Is the kiosk alive? Reads <data_dir>/heartbeat.json; fails if it is older than --max-age.
    Check {
        /// The kiosk's config file (default: $EMBASSY_KIOSK_CONFIG or /etc/embassy-kiosk/kiosk.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The oldest heartbeat that still counts, in seconds.
        #[arg(long, default_value_t = 60)]
        max_age: u64,
    },
}

/// Runs a `health` subcommand.
pub fn run(cmd: HealthCmd) -> anyhow::Result<()> {
    let HealthCmd::Check { config, max_age } = cmd;
    let path = config
        .or_else(|| std::env::var_os("EMBASSY_KIOSK_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/etc/embassy-kiosk/kiosk.toml"));
    let config = kiosk_config::Config::load(&path)?;
    let file = config.data_dir.join("heartbeat.json");
    match check(&file, jiff::Timestamp::now(), Duration::from_secs(max_age)) {
        Verdict::Alive(b) => {
            println!(
                "ok: {} alive at {} — showing {} ({} items, {}), content version {}, audio {}, {} signup(s) waiting, {} in review",
                b.kiosk_id,
                b.at_utc,
                b.ui.screen,
                b.ui.items,
                b.ui.lang,
                b.bundle_version,
                b.audio,
                b.sync_pending,
                b.sync_review
            );
            Ok(())
        }
        Verdict::Stale { age_secs } => {
            bail!(
                "DEAD: the last heartbeat in {} is {age_secs} s old (limit {max_age} s): the UI or the app has stopped",
                file.display()
            )
        }
        Verdict::Missing(why) => bail!("DEAD: no heartbeat ({why})"),
    }
}
