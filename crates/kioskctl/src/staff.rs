//! `kioskctl staff hash-pin`: turns a staff PIN into the Argon2 hash the
//! kiosk's config holds (`[staff] pin_hash`), so the PIN itself is never
//! written anywhere.

use std::io::BufRead as _;

use anyhow::bail;
use clap::Subcommand;

/// `kioskctl staff …`
#[derive(Subcommand)]
pub enum StaffCmd {
    /// Reads a PIN (4 to 12 digits) from standard input and prints its hash for `[staff] pin_hash`.
    HashPin,
}

/// Runs a `staff` subcommand.
pub fn run(cmd: StaffCmd) -> anyhow::Result<()> {
    let StaffCmd::HashPin = cmd;
    eprintln!("Type the staff PIN (4 to 12 digits), then Enter:");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pin = line.trim();
    if !kiosk_staff::pin::is_pin(pin) {
        bail!("a staff PIN is 4 to 12 digits (0–9), nothing else; nothing was printed");
    }
    let hash = kiosk_staff::pin::hash_pin(pin)?;
    println!("{hash}");
    eprintln!("Put it in the kiosk's config:\n\n[staff]\npin_hash = \"{hash}\"");
    Ok(())
}
