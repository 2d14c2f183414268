//! `kioskctl bundle …`: making a content bundle, looking into one, and
//! handing it to kiosks. Building, inspecting and verifying are here; signing,
//! publishing and a kiosk's installs live in [`crate::updates`] beside the
//! key commands they share passwords and key files with.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use kiosk_content::build::{BuildOptions, BuildReport, build_bundle};
use kiosk_content::bundle::Bundle;
use kiosk_content::error::BuildError;
use kiosk_content::source::{LoadOptions, Progress, load_with};

use crate::{events_feed, updates};

/// `kioskctl bundle …`
#[derive(Subcommand)]
pub enum BundleCmd {
    /// Build a bundle from a content folder.
    Build {
        /// The content folder (settings.toml, sections/, events.toml, music/).
        content_dir: PathBuf,
        /// Where to write the bundle.
        #[arg(short, long)]
        output: PathBuf,
        /// Bundle version (a whole number above the one on the kiosks). Default: the build time.
        #[arg(long)]
        bundle_version: Option<u64>,
        /// Release channel the kiosks must be on to accept it.
        #[arg(long, default_value = "stable")]
        channel: String,
        /// Fetch the events from this iCalendar feed (https://, or webcal://)
        /// instead of content/events.ics. Fetched here, never by the kiosk.
        #[arg(long, value_name = "URL")]
        events_url: Option<String>,
    },
    /// Check a content folder as `build` would, writing nothing: every mistake
    /// with its file and line (pictures, track titles speech cannot read, …).
    Check {
        /// The content folder.
        content_dir: PathBuf,
        /// Check the events of this iCalendar feed instead of content/events.ics.
        #[arg(long, value_name = "URL")]
        events_url: Option<String>,
    },
    /// Show what a bundle contains.
    Inspect {
        /// The bundle file.
        bundle: PathBuf,
        /// Print JSON instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Check a bundle thoroughly (integrity, audio hashes, texts).
    Verify {
        /// The bundle file.
        bundle: PathBuf,
    },
    /// Sign a bundle: writes BUNDLE.minisig, naming its version and channel.
    Sign {
        /// The bundle file.
        bundle: PathBuf,
        /// The secret key (kioskctl key generate, or a minisign key).
        #[arg(short, long)]
        key: PathBuf,
        /// Read the key's password from this file instead of asking.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Lay out a signed bundle for a web server: the bundle, its signature, and a signed manifest.
    Publish {
        /// The signed bundle.
        bundle: PathBuf,
        /// The secret key, to sign the manifest.
        #[arg(short, long)]
        key: PathBuf,
        /// The folder the web server serves (the kiosks' `updates.url` points at its manifest.json).
        #[arg(short, long)]
        output_dir: PathBuf,
        /// Read the key's password from this file instead of asking.
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// A staged rollout: only this share of the kiosks (0-100, chosen by a stable hash of each
        /// `kiosk_id` and the version) installs it; publish again with a higher percent to widen it.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(0..=100))]
        rollout_percent: u8,
    },
    /// Check and install a signed bundle on this kiosk (as the inbox would).
    Install {
        /// The bundle file (its .minisig beside it).
        bundle: PathBuf,
        /// The kiosk's config file (default: $EMBASSY_KIOSK_CONFIG or /etc/embassy-kiosk/kiosk.toml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// What this kiosk shows, what it can roll back to, and what it refused and why.
    Status {
        /// The kiosk's config file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Go back to the previous bundle.
    Rollback {
        /// The kiosk's config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Runs one `bundle` subcommand.
pub fn run(cmd: BundleCmd) -> anyhow::Result<()> {
    match cmd {
        BundleCmd::Build { content_dir, output, bundle_version, channel, events_url } => {
            build(&content_dir, &output, bundle_version, channel, events_url.as_deref())
        }
        BundleCmd::Check { content_dir, events_url } => check(&content_dir, events_url.as_deref()),
        BundleCmd::Inspect { bundle, json } => inspect(&bundle, json),
        BundleCmd::Verify { bundle } => verify(&bundle),
        BundleCmd::Sign { bundle, key, password_file } => updates::sign_bundle(&bundle, &key, password_file.as_deref()),
        BundleCmd::Publish { bundle, key, output_dir, password_file, rollout_percent } => {
            updates::publish(&bundle, &key, &output_dir, password_file.as_deref(), rollout_percent)
        }
        BundleCmd::Install { bundle, config } => updates::install(&bundle, config),
        BundleCmd::Status { config, json } => updates::status(config, json),
        BundleCmd::Rollback { config } => updates::rollback(config),
    }
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn step(&mut self, what: &str, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
        self.0.set_message(what.to_string());
    }
}

/// `kioskctl bundle build`: the content folder (and the calendar feed, if
/// named) into one bundle file, or every content error and nothing written.
fn build(
    content_dir: &Path,
    output: &Path,
    bundle_version: Option<u64>,
    channel: String,
    events_url: Option<&str>,
) -> anyhow::Result<()> {
    let events_feed = events_url.map(events_feed::fetch).transpose()?;
    let bar = progress_bar();
    let options = BuildOptions {
        bundle_version,
        channel,
        events_feed,
        calendar: Some(std::sync::Arc::new(kiosk_calendar::Ics)),
        ..BuildOptions::default()
    };
    let result = build_bundle(content_dir, output, &options, &mut Bar(bar.clone()));
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            for note in &report.notes {
                eprintln!("note: {note}");
            }
            print_built(&report);
            Ok(())
        }
        Err(BuildError::Content(errors)) => {
            for e in &errors {
                eprintln!("{e}");
            }
            anyhow::bail!(
                "{} error(s) in {}; nothing was written to {}",
                errors.len(),
                content_dir.display(),
                output.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// `kioskctl bundle check`: the same load and checks as `bundle build`, with
/// no output file, so staff can check content without choosing where a
/// bundle would go.
fn check(content_dir: &Path, events_url: Option<&str>) -> anyhow::Result<()> {
    let events_feed = events_url.map(events_feed::fetch).transpose()?;
    let bar = progress_bar();
    let options = LoadOptions {
        now: jiff::Timestamp::now(),
        events_feed,
        calendar: Some(std::sync::Arc::new(kiosk_calendar::Ics)),
        durations: None,
    };
    let result = load_with(content_dir, &options, &mut Bar(bar.clone()));
    bar.finish_and_clear();
    match result {
        Ok(content) => {
            for note in &content.notes {
                eprintln!("note: {note}");
            }
            println!(
                "ok: {} builds — {} sections, {} events, {} tracks",
                content_dir.display(),
                content.sections.len(),
                content.events.len(),
                content.tracks.len()
            );
            Ok(())
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            anyhow::bail!("{} error(s) in {}", errors.len(), content_dir.display())
        }
    }
}

/// The bar `bundle build` shows while audio decodes.
fn progress_bar() -> ProgressBar {
    ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    )
}

fn print_built(r: &BuildReport) {
    println!(
        "built {} — version {}, {} sections, {} events, {} tracks, {} KiB",
        r.path.display(),
        r.bundle_version,
        r.counts.0,
        r.counts.1,
        r.counts.2,
        r.size / 1024
    );
}

/// `kioskctl bundle inspect`.
fn inspect(bundle: &Path, json: bool) -> anyhow::Result<()> {
    let b = Bundle::open(bundle)?;
    let s = b.summary()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!("bundle      {}", bundle.display());
    println!("version     {} (channel {}, schema {})", s.meta.bundle_version, s.meta.channel, s.meta.schema_version);
    println!("built       {}", s.meta.build_time);
    println!("content     sha256 {}", s.meta.content_hash);
    println!("size        {} KiB", s.size_bytes / 1024);
    println!(
        "languages   {} (default {}), time zone {}",
        s.settings.languages.join(", "),
        s.settings.default_language,
        s.settings.timezone
    );
    let ui = b.ui(&s.settings.default_language);
    let image = |i: &Option<kiosk_content::image::Image>| {
        i.as_ref().map_or("none".to_string(), |i| format!("{} ({} KiB)", i.mime, i.base64.len() * 3 / 4 / 1024))
    };
    let identity = &s.settings.identity;
    println!("identity    {}", ui.words.get("embassy").map_or("", |s| s));
    println!("  emblem {}, ornament {}", image(&identity.emblem), image(&identity.ornament));
    println!("  email keys {}", identity.email_endings.join(" "));
    for lang in &s.settings.languages {
        let l = b.ui(lang);
        let dir = match l.direction {
            kiosk_content::words::Direction::Ltr => "left to right",
            kiosk_content::words::Direction::Rtl => "right to left",
        };
        println!(
            "  {lang:<4} {} — {}, {dir}, {} keyboard, \"{}\"",
            l.name,
            l.locale,
            l.keyboard,
            l.words.get("about").map_or("", |s| s)
        );
    }
    println!("sections    {}", s.sections.len());
    for sec in &s.sections {
        println!("  {:<24} {}  [{}]", sec.id, sec.title, sec.languages.join(", "));
    }
    println!("events      {}", s.events.len());
    for e in &s.events {
        println!("  {}  {}", &e.start[..16], e.title);
    }
    println!("tracks      {}", s.tracks.len());
    for t in &s.tracks {
        println!("  {:<20} {:>5.1} s  {:>4} KiB  {}", t.id, t.duration_ms as f64 / 1000.0, t.bytes / 1024, t.title);
    }
    Ok(())
}

/// `kioskctl bundle verify`.
fn verify(bundle: &Path) -> anyhow::Result<()> {
    let b = Bundle::open(bundle).with_context(|| format!("{} is not a usable bundle", bundle.display()))?;
    let r = b.verify().with_context(|| format!("{} failed verification", bundle.display()))?;
    println!(
        "ok: {} is bundle version {} ({} sections, {} events, {} tracks)",
        bundle.display(),
        r.meta.bundle_version,
        r.counts.0,
        r.counts.1,
        r.counts.2
    );
    Ok(())
}
