//! `kioskctl studio`: starts the content studio on this computer and opens
//! the staff member's browser on it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use kiosk_studio::{Assets, Studio};

/// `kioskctl studio [CONTENT_DIR] [--port N] [--no-open]`
#[derive(Args)]
pub struct StudioArgs {
    /// The content folder to edit.
    #[arg(default_value = "content")]
    content_dir: PathBuf,
    /// Port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Print the link instead of opening a browser.
    #[arg(long)]
    no_open: bool,
}

/// Runs the studio until interrupted.
pub fn run(args: StudioArgs) -> anyhow::Result<()> {
    let dir = args.content_dir;
    if !dir.join("settings.toml").is_file() {
        anyhow::bail!("{} is not a content folder (it has no settings.toml)", dir.display());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        let port = listener.local_addr()?.port();
        let studio = Studio::new(&dir, port, Assets::Embedded, Arc::new(kiosk_content::SystemClock));
        let url = format!("http://127.0.0.1:{port}/?token={}", studio.login_token());
        // Printing may fail (a launcher that closed our output): the studio serves on regardless.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "studio: {url}");
        let _ = writeln!(out, "editing {}; stop with Ctrl+C (save first)", dir.display());
        let _ = out.flush();
        if !args.no_open {
            // A failure to open a browser is not fatal: the link is printed.
            let _ = open_browser(&url);
        }
        kiosk_studio::serve(listener, studio).await.context("the studio stopped")
    })
}

/// Opens the browser on `url` through a private file that redirects to it:
/// a command line is visible to every user of the computer (`ps`), and the
/// link's one-use token must not be. The file is readable by its owner only.
fn open_browser(url: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let mut file = tempfile::Builder::new().prefix("kiosk-studio-").suffix(".html").tempfile_in(dir)?;
    write!(
        file,
        "<!doctype html><meta charset=utf-8><meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <title>Content studio</title><a href=\"{url}\">Open the content studio</a>"
    )?;
    file.flush()?;
    // Left in place: the browser reads it a moment later, and a studio stopped
    // with Ctrl+C cannot tidy up. The token in it works once, for ten minutes.
    let (_, path) = file.keep().map_err(|e| e.error)?;
    std::process::Command::new("xdg-open")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    Ok(())
}
