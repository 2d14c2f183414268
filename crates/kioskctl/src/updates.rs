//! `kioskctl key generate`, `kioskctl bundle sign|install|status|rollback`:
//! signing content and managing the bundles a kiosk has installed.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use kiosk_content::Bundle;
use kiosk_updates::accept::Policy;
use kiosk_updates::sign::{generate_keypair, sign, signature_path, trusted_comment};
use kiosk_updates::store::{BundleStore, Outcome};

/// `kioskctl key …`
#[derive(Subcommand)]
pub enum KeyCmd {
    /// Make a signing key pair: NAME.pub (goes into each kiosk's config) and NAME.key (keep it offline).
    Generate {
        /// Folder to write the two files into.
        #[arg(short, long, default_value = ".")]
        output_dir: PathBuf,
        /// File name stem.
        #[arg(long, default_value = "embassy-content")]
        name: String,
        /// Read the key's password from this file instead of asking (first line).
        #[arg(long, conflicts_with = "no_password")]
        password_file: Option<PathBuf>,
        /// Leave the secret key unencrypted (automation only).
        #[arg(long)]
        no_password: bool,
    },
}

fn read_password(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    file.map(|f| {
        let text = std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        Ok(text.lines().next().unwrap_or_default().to_string())
    })
    .transpose()
}

/// Runs `key generate`.
pub fn key(cmd: KeyCmd) -> anyhow::Result<()> {
    let KeyCmd::Generate { output_dir, name, password_file, no_password } = cmd;
    let public = output_dir.join(format!("{name}.pub"));
    let secret = output_dir.join(format!("{name}.key"));
    for p in [&public, &secret] {
        if p.exists() {
            bail!("{} exists already; refusing to overwrite a key", p.display());
        }
    }
    let password = match (read_password(password_file.as_deref())?, no_password) {
        (Some(p), _) => Some(p),
        (None, true) => None,
        (None, false) => Some(prompt_new_password()?),
    };
    let (pub_text, sec_text) = generate_keypair(password)?;
    std::fs::create_dir_all(&output_dir)?;
    write_new(&secret, sec_text.as_bytes(), 0o600)?;
    write_new(&public, pub_text.as_bytes(), 0o644)?;
    let line = pub_text.lines().nth(1).unwrap_or_default();
    println!("wrote {} (keep it offline) and {}", secret.display(), public.display());
    println!("put this in each kiosk's config:\n[updates]\ntrusted_keys = [\"{line}\"]");
    Ok(())
}

fn prompt_new_password() -> anyhow::Result<String> {
    use std::io::Write;
    eprint!("Password for the new key: ");
    std::io::stderr().flush()?;
    let mut first = String::new();
    std::io::stdin().read_line(&mut first)?;
    eprint!("Again: ");
    std::io::stderr().flush()?;
    let mut second = String::new();
    std::io::stdin().read_line(&mut second)?;
    if first.trim_end() != second.trim_end() || first.trim_end().is_empty() {
        bail!("the passwords differ or are empty; nothing was written");
    }
    Ok(first.trim_end().to_string())
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// `kioskctl bundle sign`: writes `<bundle>.minisig` with the bundle's version and channel in the trusted comment.
pub fn sign_bundle(bundle: &Path, key: &Path, password_file: Option<&Path>) -> anyhow::Result<()> {
    let meta =
        Bundle::open(bundle).with_context(|| format!("{} is not a usable bundle", bundle.display()))?.meta().clone();
    let secret = std::fs::read_to_string(key).with_context(|| format!("cannot read the key {}", key.display()))?;
    let comment = trusted_comment(meta.bundle_version, &meta.channel);
    let file = std::fs::File::open(bundle)?;
    let sig = sign(&secret, read_password(password_file)?, file, &comment)?;
    let out = signature_path(bundle);
    std::fs::write(&out, sig).with_context(|| format!("cannot write {}", out.display()))?;
    println!("signed {} → {} ({comment})", bundle.display(), out.display());
    Ok(())
}

fn kiosk(config: Option<PathBuf>) -> anyhow::Result<(kiosk_config::Config, BundleStore)> {
    let path = config
        .or_else(|| std::env::var_os("EMBASSY_KIOSK_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/etc/embassy-kiosk/kiosk.toml"));
    let config = kiosk_config::Config::load(&path)?;
    let store = BundleStore::open(&config.data_dir)?;
    Ok((config, store))
}

/// The version the kiosk shows when nothing was installed: its config's bundle.
fn floor(config: &kiosk_config::Config) -> u64 {
    Bundle::open(&config.bundle).map(|b| b.meta().bundle_version).unwrap_or(0)
}

/// `kioskctl bundle install`.
pub fn install(file: &Path, config: Option<PathBuf>) -> anyhow::Result<()> {
    let (config, store) = kiosk(config)?;
    let Some(updates) = &config.updates else { bail!("the kiosk's config has no [updates] section: no trusted keys") };
    let policy = Policy::from_config(updates).map_err(anyhow::Error::msg)?;
    match store.install(file, &policy, floor(&config), "kioskctl bundle install")? {
        Outcome::Installed(i) => {
            println!("installed version {} ({}); the kiosk switches to it within seconds", i.version, i.file);
            Ok(())
        }
        Outcome::Rejected(r) => {
            bail!("refused {} [{}]: {r}; the kiosk keeps its current content", file.display(), r.code())
        }
    }
}

/// `kioskctl bundle status`.
pub fn status(config: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let (config, store) = kiosk(config)?;
    let state = store.state()?;
    let rejections = store.rejections(10);
    if json {
        let v = serde_json::json!({ "state": state, "rejections": rejections, "config_bundle": config.bundle });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let show = |i: &kiosk_updates::store::Installed| {
        format!("version {} ({}), from {}, installed {}", i.version, i.channel, i.source, i.installed_utc)
    };
    match &state.current {
        Some(c) => println!("current     {}", show(c)),
        None => println!("current     {} (the config's own bundle)", config.bundle.display()),
    }
    println!("previous    {}", state.previous.as_ref().map(show).unwrap_or_else(|| "none".into()));
    println!("highest     {} (only newer versions are accepted)", state.highest_version.max(floor(&config)));
    if rejections.is_empty() {
        println!("refused     none");
    }
    for r in rejections {
        println!("refused     {}  {}  [{}] {}", r.at_utc, r.file, r.code, r.reason);
    }
    Ok(())
}

/// `kioskctl bundle rollback`.
pub fn rollback(config: Option<PathBuf>) -> anyhow::Result<()> {
    let (_, store) = kiosk(config)?;
    match store.rollback()? {
        Some(back) => println!("rolled back to version {}; the kiosk switches to it within seconds", back.version),
        None => {
            println!("rolled back to the kiosk's own bundle (its config's `bundle`); the kiosk switches within seconds")
        }
    }
    Ok(())
}

/// `kioskctl bundle publish`: what an HTTPS server needs — the bundle, its
/// signature, and a signed manifest naming it — for `rollout_percent` % of the kiosks.
pub fn publish(
    bundle: &Path,
    key: &Path,
    out: &Path,
    password_file: Option<&Path>,
    rollout_percent: u8,
) -> anyhow::Result<()> {
    let meta =
        Bundle::open(bundle).with_context(|| format!("{} is not a usable bundle", bundle.display()))?.meta().clone();
    if !signature_path(bundle).exists() {
        bail!("{} is not signed yet: run `kioskctl bundle sign` first", bundle.display());
    }
    let secret = std::fs::read_to_string(key).with_context(|| format!("cannot read the key {}", key.display()))?;
    let manifest = kiosk_updates::sign::write_staged_web_folder(
        bundle,
        meta.bundle_version,
        &meta.channel,
        &kiosk_updates::sign::unlock(&secret, read_password(password_file)?)?,
        out,
        rollout_percent,
    )?;
    println!(
        "published version {} to {}: manifest.json (+ .minisig), {} (+ .minisig){}",
        manifest.version,
        out.display(),
        manifest.bundle,
        if rollout_percent < 100 {
            format!(
                "; a staged rollout to {rollout_percent} % of the kiosks — publish again with a higher \
                 --rollout-percent to widen it, or publish the previous bundle as a higher version to halt it"
            )
        } else {
            String::new()
        }
    );
    Ok(())
}
