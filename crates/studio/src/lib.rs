//! The content studio: `kioskctl studio` serves a small web app on
//! 127.0.0.1 where staff edit the same `content/` folder `kioskctl bundle
//! build` reads, see it in the kiosk's own UI, and publish a signed bundle.
//!
//! - [`read`] and [`write`] translate between the files and the documents
//!   the page edits, keeping comments and layout (toml_edit);
//! - [`stage`] checks every change on a copy of the folder with the bundle
//!   build's own loader, and [`locate`] puts each error next to its field;
//! - [`preview`] builds the bundle the drafts would make and answers the
//!   kiosk UI's commands from it; [`publish`] signs and writes bundles;
//! - [`guard`] keeps other web pages and other local users out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kiosk_content::Clock;

pub mod api;
pub mod assets;
pub mod audio;
pub mod docs;
pub mod files;
pub mod guard;
pub mod ics;
pub mod locate;
pub mod preview;
pub mod publish;
pub mod read;
pub mod stage;
pub mod write;

pub use assets::Assets;

/// Largest request body: an audio upload (4 MiB of audio) with room to spare.
pub const MAX_BODY_BYTES: usize = 9 * 1024 * 1024;

/// The studio's state, shared by every request.
pub struct Studio {
    pub(crate) dir: PathBuf,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) assets: Assets,
    pub(crate) guard: guard::Guard,
    /// Saves one at a time (two tabs, or a save and a publish).
    pub(crate) write: tokio::sync::Mutex<()>,
    /// Uploaded audio waiting for a save, by file name.
    pub(crate) uploads: Mutex<BTreeMap<String, Vec<u8>>>,
    pub(crate) preview: Mutex<Option<preview::Preview>>,
    pub(crate) preview_counter: std::sync::atomic::AtomicU64,
    /// The signing key and its password, in memory for this session only.
    pub(crate) signer: Mutex<Option<publish::Signer>>,
    /// The highest version this studio published: the next one is above it.
    pub(crate) published: std::sync::atomic::AtomicU64,
    /// Audio decoded once per session, not at every check and preview.
    pub(crate) durations: Arc<kiosk_content::source::Durations>,
}

impl Studio {
    /// A studio over the content folder `dir`, served on `port`.
    pub fn new(dir: &Path, port: u16, assets: Assets, clock: Arc<dyn Clock>) -> Arc<Studio> {
        Arc::new(Studio {
            dir: dir.to_path_buf(),
            clock,
            assets,
            guard: guard::Guard::new(port),
            write: tokio::sync::Mutex::new(()),
            uploads: Mutex::new(BTreeMap::new()),
            preview: Mutex::new(None),
            preview_counter: std::sync::atomic::AtomicU64::new(0),
            signer: Mutex::new(None),
            published: std::sync::atomic::AtomicU64::new(0),
            durations: Arc::default(),
        })
    }

    /// The one-use login token for the URL `kioskctl studio` opens.
    pub fn login_token(&self) -> String {
        self.guard.login_token()
    }
}

/// Serves the studio on an already bound listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, studio: Arc<Studio>) -> std::io::Result<()> {
    axum::serve(listener, api::router(studio)).await
}

/// Locks a mutex, going on with its data if a panicking request poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
