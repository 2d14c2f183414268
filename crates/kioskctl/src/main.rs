//! `kioskctl`, the staff command line for the embassy kiosk.
//!
//! A thin dispatcher: every command parses its arguments, calls the core
//! crates, and prints. Errors are for staff, not developers: they say what is
//! wrong, where, and what to do.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bundle;
mod events_feed;
mod health;
mod signups;
mod staff;
mod studio;
mod updates;

#[derive(Parser)]
#[command(name = "kioskctl", version, about = "Staff tools for the embassy kiosk")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Content bundles: build, inspect, verify, sign; install, status and rollback on a kiosk.
    #[command(subcommand)]
    Bundle(bundle::BundleCmd),
    /// Is the kiosk alive (for monitors)?
    #[command(subcommand)]
    Health(health::HealthCmd),
    /// Content signing keys.
    #[command(subcommand)]
    Key(updates::KeyCmd),
    /// Email-list signups on this kiosk: status, sync now, export, requeue.
    #[command(subcommand)]
    Signups(signups::SignupsCmd),
    /// The staff panel's PIN.
    #[command(subcommand)]
    Staff(staff::StaffCmd),
    /// Edit, preview and publish content in a browser (a local web app on 127.0.0.1).
    Studio(studio::StudioArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Bundle(cmd) => bundle::run(cmd),
        Command::Health(cmd) => health::run(cmd),
        Command::Key(cmd) => updates::key(cmd),
        Command::Signups(cmd) => signups::run(cmd),
        Command::Staff(cmd) => staff::run(cmd),
        Command::Studio(args) => studio::run(args),
    }
}
