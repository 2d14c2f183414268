//! `kioskctl signups …`: what staff and IT admins do with the kiosk's signups
//! from a shell — see how many wait, sync now, export them where the network
//! never goes out, put refused ones back in the queue.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use kiosk_config::Config;
use kiosk_signups::store::{Signup, SignupStore};

/// The `signups` subcommands.
#[derive(Subcommand)]
pub enum SignupsCmd {
    /// Pending, in review and delivered counts, and the last sync result.
    Status {
        /// The kiosk's config file (default: $EMBASSY_KIOSK_CONFIG or /etc/embassy-kiosk/kiosk.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every signup still on the kiosk (pending and in review) as CSV.
    Export {
        /// CSV (the only format).
        #[arg(long, required = true)]
        csv: bool,
        /// The file to write (created readable by you only); default standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// After the file is safely written, delete the exported signups from the
        /// kiosk (counted as delivered): for lists fed by hand from the export.
        #[arg(long, requires = "output")]
        delete_exported: bool,
        /// The kiosk's config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Send pending signups to the central list now, once, and report.
    Sync {
        /// The kiosk's config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Put the signups the central list refused back in the queue (after fixing the cause).
    Requeue {
        /// The kiosk's config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn load_config(config: Option<PathBuf>) -> anyhow::Result<(PathBuf, Config)> {
    let path = config
        .or_else(|| std::env::var_os("EMBASSY_KIOSK_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/etc/embassy-kiosk/kiosk.toml"));
    let config = Config::load(&path)?;
    Ok((path, config))
}

fn open_store(config_path: &Path, config: &Config) -> anyhow::Result<SignupStore> {
    let path = config.data_dir.join("signups.sqlite");
    if !path.exists() {
        bail!(
            "no signup store at {} — no signups taken yet, or `data_dir` in {} points elsewhere",
            path.display(),
            config_path.display()
        );
    }
    SignupStore::open(&path).with_context(|| format!("cannot open the signup store {}", path.display()))
}

/// Runs one `signups` subcommand.
pub fn run(cmd: SignupsCmd) -> anyhow::Result<()> {
    match cmd {
        SignupsCmd::Status { config, json } => {
            let (config_path, config) = load_config(config)?;
            let store = open_store(&config_path, &config)?;
            let counts = store.counts()?;
            let last = store.last_sync()?;
            let target = config.sync.as_ref().map(|s| match s.target {
                kiosk_config::SyncTarget::Mailman => {
                    format!("Mailman at {}, list {}", s.url, s.list_id.as_deref().unwrap_or("?"))
                }
                kiosk_config::SyncTarget::Webhook => format!("webhook {}", s.url),
            });
            if json {
                let v = serde_json::json!({ "counts": counts, "last_sync": last, "central_list": target });
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            println!("pending     {}", counts.pending);
            println!(
                "in review   {}{}",
                counts.review,
                if counts.review > 0 {
                    "   (refused by the list: `kioskctl signups export --csv` shows why)"
                } else {
                    ""
                }
            );
            println!("delivered   {}", counts.delivered);
            println!("central list  {}", target.as_deref().unwrap_or("none configured: signups stay on this kiosk"));
            match last {
                Some(l) => {
                    println!("last sync   {} — {}: {}", l.attempt_utc, if l.ok { "ok" } else { "failed" }, l.message);
                    println!("last good   {}", l.last_ok_utc.as_deref().unwrap_or("never"));
                }
                None => println!("last sync   never"),
            }
            Ok(())
        }
        SignupsCmd::Export { csv: _, output, delete_exported, config } => {
            let (config_path, config) = load_config(config)?;
            let mut store = open_store(&config_path, &config)?;
            let rows = store.undelivered()?;
            let reasons: std::collections::HashMap<String, String> =
                store.in_review()?.into_iter().map(|r| (r.signup.id, r.reason)).collect();
            let mut text = String::from(
                "id,state,email,email_as_typed,name,language,consent_version,consent_sha256,kiosk_id,signed_up_at,review_reason\n",
            );
            for (s, state) in &rows {
                text += &csv_line(s, state, reasons.get(&s.id).map(String::as_str).unwrap_or(""));
            }
            match &output {
                Some(path) => {
                    write_private(path, text.as_bytes())?;
                    eprintln!("wrote {} signup(s) to {}", rows.len(), path.display());
                }
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
            if delete_exported {
                let ids: Vec<String> = rows.into_iter().map(|(s, _)| s.id).collect();
                store.mark_delivered(&ids)?;
                store.purge_deleted()?;
                eprintln!("deleted {} exported signup(s) from the kiosk", ids.len());
            }
            Ok(())
        }
        SignupsCmd::Sync { config } => {
            let (config_path, config) = load_config(config)?;
            let Some(sync) = &config.sync else {
                bail!("{} has no [sync] section: there is no central list to send to", config_path.display());
            };
            let target = kiosk_sync::target::Target::from_config(sync)?;
            let opts = kiosk_sync::worker::Options::from_config(sync);
            let mut store = open_store(&config_path, &config)?;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let report = runtime.block_on(kiosk_sync::worker::drain(&mut store, &target, &opts))?;
            println!("{}", report.message);
            if !report.ok {
                bail!("the sync did not finish; the kiosk will keep retrying on its own");
            }
            Ok(())
        }
        SignupsCmd::Requeue { config } => {
            let (config_path, config) = load_config(config)?;
            let n = open_store(&config_path, &config)?.requeue_review()?;
            println!("{n} signup(s) back in the queue");
            Ok(())
        }
    }
}

fn csv_field(v: &str) -> String {
    // Quote when needed; a leading =,+,-,@ is prefixed with ' so a spreadsheet
    // does not run a visitor's "name" as a formula.
    let v = if v.starts_with(['=', '+', '-', '@']) { format!("'{v}") } else { v.to_string() };
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}

fn csv_line(s: &Signup, state: &str, reason: &str) -> String {
    let fields = [
        s.id.as_str(),
        state,
        &s.email_ascii,
        &s.email_typed,
        s.name.as_deref().unwrap_or(""),
        &s.lang,
        &s.consent_version.to_string(),
        &s.consent_sha256,
        &s.kiosk_id,
        &s.created_utc,
        reason,
    ];
    fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",") + "\n"
}

/// Writes personal data: mode 0600, fsynced before anything is deleted.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all().with_context(|| format!("cannot flush {} to disk", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        let cases = [
            ("plain", "plain"),
            ("Doe, Jane", "\"Doe, Jane\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("Айгерим", "Айгерим"),
        ];
        for (input, want) in cases {
            assert_eq!(csv_field(input), want, "{input}");
        }
    }
}
