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
        /// The file to write (readable by its owner only: you, or, run as root, the
        /// owner of the file it replaces or of its folder); default standard output.
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
    /// Wipe from disk what was delivered or exported but is still in the
    /// store's write-ahead log (every `signups` command does this too).
    Purge {
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
    let store = SignupStore::open(&path).with_context(|| format!("cannot open the signup store {}", path.display()))?;
    // Signups deleted earlier (an export, a sync round) while a reader held
    // the store may still be in its write-ahead log: every command wipes them.
    match store.purge_if_needed() {
        Ok(true) => {}
        Ok(false) => eprintln!("note: {BUSY}"),
        Err(e) => eprintln!("warning: cannot wipe deleted signups from disk: {e}"),
    }
    Ok(store)
}

/// What staff read when a reader keeps deleted signups in the write-ahead log.
const BUSY: &str = "the signup store is busy (another program is reading it), so deleted addresses may still be \
                    in its write-ahead log; they are wiped by the running kiosk (at its next sync round, or within \
                    a minute without a central list) and by any `kioskctl signups` command run once the reader \
                    is done — `kioskctl signups purge`";

/// Runs one `signups` subcommand.
pub fn run(cmd: SignupsCmd) -> anyhow::Result<()> {
    match cmd {
        SignupsCmd::Status { config, json } => status(config, json),
        SignupsCmd::Export { csv: _, output, delete_exported, config } => export(output, delete_exported, config),
        SignupsCmd::Sync { config } => sync(config),
        SignupsCmd::Purge { config } => purge(config),
        SignupsCmd::Requeue { config } => requeue(config),
    }
}

/// `kioskctl signups status`: the counts, the central list, the last sync.
fn status(config: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
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
        if counts.review > 0 { "   (refused by the list: `kioskctl signups export --csv` shows why)" } else { "" }
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

/// `kioskctl signups export --csv`: every signup still on the kiosk, optionally
/// deleted once the file is safely written.
fn export(output: Option<PathBuf>, delete_exported: bool, config: Option<PathBuf>) -> anyhow::Result<()> {
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
        eprintln!("deleted {} exported signup(s) from the kiosk", ids.len());
        if !store.purge_deleted()? {
            eprintln!("warning: {BUSY}");
        }
    }
    Ok(())
}

/// `kioskctl signups sync`: one round of sending, now.
fn sync(config: Option<PathBuf>) -> anyhow::Result<()> {
    let (config_path, config) = load_config(config)?;
    let Some(sync) = &config.sync else {
        bail!("{} has no [sync] section: there is no central list to send to", config_path.display());
    };
    let target = kiosk_sync::target::Target::from_config(sync, kiosk_http::Shared::new())?;
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

/// `kioskctl signups purge`: wipe delivered addresses left in the write-ahead log.
fn purge(config: Option<PathBuf>) -> anyhow::Result<()> {
    let (_, config) = load_config(config)?;
    let path = config.data_dir.join("signups.sqlite");
    if !path.exists() {
        println!("no signup store at {}: nothing to wipe", path.display());
        return Ok(());
    }
    let store = SignupStore::open(&path).with_context(|| format!("cannot open the signup store {}", path.display()))?;
    if !store.purge_if_needed()? {
        bail!("{BUSY}");
    }
    println!("nothing deleted is left on disk");
    Ok(())
}

/// `kioskctl signups requeue`: refused signups back in the queue.
fn requeue(config: Option<PathBuf>) -> anyhow::Result<()> {
    let (config_path, config) = load_config(config)?;
    let n = open_store(&config_path, &config)?.requeue_review()?;
    println!("{n} signup(s) back in the queue");
    Ok(())
}

/// One CSV field, quoted when needed (RFC 4180).
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v.to_string() }
}

/// A free-text field (the visitor's name, a server's reason): a leading `=`,
/// `+`, `-`, `@`, tab or carriage return gets a `'` in front, so a spreadsheet
/// shows the text instead of running it as a formula (`=HYPERLINK(…)`).
fn csv_text(v: &str) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { csv_field(&format!("'{v}")) } else { csv_field(v) }
}

/// An address field: written exactly as validated, never prefixed — an
/// address may begin with `+`, `-` or `=` (`-info@example.org`), and the
/// export is what staff feed to the list by hand, so a changed byte is a
/// wrong address. It cannot smuggle a working formula: a valid address has no
/// spaces, parentheses, double quotes, commas, semicolons, colons or brackets
/// (crates/signups' validator), so no function call can be written in one.
/// The one parenthesis-free active form, an Excel DDE link
/// `=app|'topic'!item`, fits in a local part (`=cmd|'/Ccalc'!A0@x.org` is
/// valid) but is always followed by `@domain`, which no DDE item or cell
/// reference can hold: the formula does not parse. Quoting the field instead
/// would change nothing: spreadsheets drop CSV quotes before reading a value.
fn csv_address(v: &str) -> String {
    csv_field(v)
}

fn csv_line(s: &Signup, state: &str, reason: &str) -> String {
    let fields = [
        csv_field(&s.id),
        csv_field(state),
        csv_address(&s.email_ascii),
        csv_address(&s.email_typed),
        csv_text(s.name.as_deref().unwrap_or("")),
        csv_field(&s.lang),
        csv_field(&s.consent_version.to_string()),
        csv_field(&s.consent_sha256),
        csv_text(&s.kiosk_id),
        csv_field(&s.created_utc),
        csv_text(reason),
    ];
    fields.join(",") + "\n"
}

/// Writes personal data so that only its owner can read it: a new file (mode
/// 0600) next to `path`, fsynced, then renamed over `path` and the folder
/// fsynced. Whatever was at `path` before — a file other users could read, a
/// hard link to another file — is replaced, never written through; a symbolic
/// link there is refused (whoever placed it wants the data elsewhere).
///
/// The owner: run as root (`sudo kioskctl …`), the new file gets the owner
/// and group of the file it replaces, or, for a new file, of the folder it
/// goes into — so the staff member who exports into their own folder can read
/// the result. Not in a folder anyone may write to (`/tmp`): there a file
/// someone else planted first would hand them the addresses, so it stays root's.
/// Run as anyone else, the file is simply theirs.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let before = std::fs::symlink_metadata(path).ok();
    if let Some(meta) = &before {
        if meta.file_type().is_symlink() {
            bail!(
                "{} is a symbolic link; refusing to write signups through it (remove it, or choose another file)",
                path.display()
            );
        }
        if !meta.is_file() {
            bail!("{} exists and is not a regular file; choose another output file", path.display());
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().with_context(|| format!("{} names no file", path.display()))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let mut options = std::fs::OpenOptions::new();
    // create_new: O_CREAT|O_EXCL, which never follows a symbolic link.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let _ = std::fs::remove_file(&temp); // a leftover of an interrupted export by this same pid
    let mut file = options.open(&temp).with_context(|| format!("cannot write {}", temp.display()))?;
    let written = (|| -> anyhow::Result<()> {
        #[cfg(unix)]
        if let Some((uid, gid)) = owner_for(&file, before.as_ref(), &dir)? {
            std::os::unix::fs::fchown(&file, Some(uid), Some(gid))
                .with_context(|| format!("cannot give {} to its owner", temp.display()))?;
        }
        // The umask cannot widen 0600, but say it outright.
        #[cfg(unix)]
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        file.write_all(bytes)?;
        file.sync_all().with_context(|| format!("cannot flush {} to disk", temp.display()))?;
        std::fs::rename(&temp, path).with_context(|| format!("cannot write {}", path.display()))?;
        std::fs::File::open(&dir)?.sync_all().with_context(|| format!("cannot flush {}", dir.display()))?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Whom the export goes to when run as root (see [`write_private`]): the
/// replaced file's owner, else the folder's; `None` to leave it as created.
#[cfg(unix)]
fn owner_for(
    created: &std::fs::File,
    before: Option<&std::fs::Metadata>,
    dir: &Path,
) -> anyhow::Result<Option<(u32, u32)>> {
    use std::os::unix::fs::MetadataExt;
    if created.metadata()?.uid() != 0 {
        return Ok(None); // not root: it is ours, and cannot be given away
    }
    let folder = std::fs::metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if folder.mode() & 0o002 != 0 {
        return Ok(None); // anyone may plant a file here: never hand the data to its owner
    }
    let from = before.unwrap_or(&folder);
    Ok(Some((from.uid(), from.gid())))
}

#[cfg(test)]
mod tests {
    use super::{csv_address, csv_field, csv_text};

    #[test]
    fn csv_fields_are_quoted_and_free_text_is_defused() {
        let cases = [
            ("plain", "plain"),
            ("Doe, Jane", "\"Doe, Jane\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("+1 555", "'+1 555"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("Айгерим", "Айгерим"),
        ];
        for (input, want) in cases {
            assert_eq!(csv_text(input), want, "{input}");
        }
        assert_eq!(csv_field("-1"), "-1", "plain fields (ids, counts) are not text a visitor typed");
    }

    /// What the address defence rests on (issue #15 review): a valid address
    /// can have a DDE-link shape, but never a function call, and is always
    /// followed by its `@domain`; it is exported exactly as validated.
    #[test]
    fn an_address_can_look_like_a_dde_link_but_never_holds_a_function_call() {
        let dde = "=cmd|'/Ccalc'!A0@x.org";
        let valid =
            kiosk_signups::email::validate(dde).expect("`|`, `'`, `!`, `/` and `=` are allowed in a local part");
        assert_eq!(csv_address(&valid.ascii), dde, "exported exactly");
        assert!(csv_address(&valid.ascii).ends_with("@x.org"), "the domain follows whatever the local part holds");
        for not_an_address in [
            r#"=HYPERLINK("http://x")@x.org"#,
            "=WEBSERVICE(A1)@x.org",
            "=cmd|' /C calc'!A0@x.org",
            "=1;2@x.org",
            "=SUM(1,2)@x.org",
            "=A1:A2@x.org",
            "=x@[127.0.0.1]",
        ] {
            assert!(kiosk_signups::email::validate(not_an_address).is_err(), "{not_an_address} must be refused");
        }
    }

    /// Regression (issue #15): defusing formulas must not change an address —
    /// one may begin with `+`, `-` or `=`, and the export feeds the list.
    #[test]
    fn addresses_are_exported_exactly_even_when_they_start_like_a_formula() {
        for address in
            ["-foo@example.org", "+tag@example.org", "=x@example.org", "plain@example.org", "a'b@example.org"]
        {
            let valid = kiosk_signups::email::validate(address).expect("a valid address");
            assert_eq!(csv_address(&valid.ascii), address, "the exported address is the address");
        }
    }
}
