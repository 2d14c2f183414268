//! `kioskctl staff hash-pin`: turns a staff PIN into the Argon2 hash the
//! kiosk's config holds (`[staff] pin_hash`), so the PIN itself is never
//! written anywhere.
//!
//! The PIN never comes from the command line (argv is in the shell's history
//! and in `ps` for every user). At a terminal it is typed at a prompt that
//! does not echo it, so it is not left on the screen or in a terminal log;
//! from a script it is read from standard input (`< pin-file`).

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::bail;
use clap::Subcommand;

/// `kioskctl staff …`
#[derive(Subcommand)]
pub enum StaffCmd {
    /// Asks for a PIN (4 to 12 digits; typed without echo, or one line on standard input) and prints its hash for `[staff] pin_hash`.
    HashPin,
}

/// Runs a `staff` subcommand.
pub fn run(cmd: StaffCmd) -> anyhow::Result<()> {
    let StaffCmd::HashPin = cmd;
    let line = if std::io::stdin().is_terminal() {
        // On the controlling terminal, with echo off while it is typed.
        rpassword::prompt_password("Staff PIN (4 to 12 digits, not shown): ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    };
    let pin = line.trim();
    if !kiosk_staff::pin::is_pin(pin) {
        bail!("a staff PIN is 4 to 12 digits (0–9), nothing else; nothing was printed");
    }
    let hash = kiosk_staff::pin::hash_pin(pin)?;
    println!("{hash}");
    eprintln!("Put it in the kiosk's config:\n\n[staff]\npin_hash = \"{hash}\"");
    Ok(())
}
