//! The web pages the studio serves: its own (`ui/dist-studio`) and the
//! kiosk's (`ui/dist`, shown in the preview frame), embedded at build time
//! or read from folders (tests, development).

use std::borrow::Cow;
use std::path::PathBuf;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Which of the two pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    Kiosk,
    Studio,
}

pub enum Assets {
    Embedded,
    Folders { kiosk: PathBuf, studio: PathBuf },
}

impl Assets {
    /// A file of `site` by its path (`index.html`, `assets/x.js`).
    pub fn get(&self, site: Site, rel: &str) -> Option<Cow<'static, [u8]>> {
        if rel.split('/').any(|p| p == ".." || p.is_empty()) {
            return None;
        }
        match self {
            Assets::Embedded => {
                let list = match site {
                    Site::Kiosk => embedded::KIOSK,
                    Site::Studio => embedded::STUDIO,
                };
                list.iter().find(|(name, _)| *name == rel).map(|(_, bytes)| Cow::Borrowed(*bytes))
            }
            Assets::Folders { kiosk, studio } => {
                let root = if site == Site::Kiosk { kiosk } else { studio };
                std::fs::read(root.join(rel)).ok().map(Cow::Owned)
            }
        }
    }
}

/// The content type of a served file, by its extension.
pub fn content_type(rel: &str) -> &'static str {
    match rel.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}
