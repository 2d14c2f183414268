//! Whether a bundle may be installed: signed by a key the kiosk trusts, not
//! changed since, newer than anything it ever installed, for its channel, of
//! a schema it reads, and sound, and showing only what the kiosk's own build
//! would make. Checks run cheapest first: the size cap and the signer (from
//! the `.minisig` alone) before a byte of the bundle is read.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use kiosk_content::{Bundle, BundleError};
use sha2::{Digest, Sha256};

use crate::sign::{PublicKey, Signature, Verifier, check_signature_layout, key_id, parse_comment, signature_path};

/// What the kiosk accepts.
#[derive(Clone)]
pub struct Policy {
    /// Keys whose signatures count.
    pub trusted: Vec<PublicKey>,
    /// The kiosk's channel (`stable`, `pilot`…).
    pub channel: String,
    /// The largest bundle it will look at, in bytes.
    pub max_bytes: u64,
}

impl Policy {
    /// From the `[updates]` config: each trusted key is the base64 line or a `.pub` file.
    pub fn from_config(c: &kiosk_config::UpdatesConfig) -> Result<Policy, String> {
        let mut trusted = Vec::new();
        for k in &c.trusted_keys {
            let text = if kiosk_config::is_key_path(k) {
                std::fs::read_to_string(k).map_err(|e| format!("cannot read the trusted key file {k}: {e}"))?
            } else {
                k.clone()
            };
            let key = crate::sign::parse_public_key(&text).ok_or_else(|| {
                format!("`{k}` in updates.trusted_keys is not a minisign public key (the RW… line of a .pub file)")
            })?;
            trusted.push(key);
        }
        Ok(Policy { trusted, channel: c.channel.clone(), max_bytes: u64::from(c.max_bundle_mb) << 20 })
    }
}

/// Why a bundle was refused. Each has a stable [`Rejection::code`] for
/// status output and tests, and a message for staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Larger than the configured cap (checked before reading it).
    #[error("{size} bytes is over the kiosk's limit of {cap} bytes (max_bundle_mb in the config)")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The cap.
        cap: u64,
    },
    /// No `.minisig` beside it.
    #[error("no signature: put the bundle's .minisig file beside it (kioskctl bundle sign)")]
    Unsigned,
    /// The `.minisig` is not a minisign signature.
    #[error("the signature file is not a minisign signature: {0}")]
    MalformedSignature(String),
    /// Signed, but by a key this kiosk does not trust.
    #[error("signed by key {0}, which this kiosk does not trust (trusted_keys in the config)")]
    UntrustedKey(String),
    /// The signature does not match the bytes: changed or truncated after signing.
    #[error("the signature does not match the file: it was changed or cut short after signing")]
    BadSignature,
    /// The trusted comment does not name a version and channel.
    #[error("the signature's trusted comment does not say `embassy-kiosk-bundle version=<n> channel=<name>`")]
    NoVersionInSignature,
    /// For another channel.
    #[error("made for channel `{got}`; this kiosk is on `{want}`")]
    WrongChannel {
        /// The bundle's.
        got: String,
        /// The kiosk's.
        want: String,
    },
    /// Not newer than the newest ever installed (replay or rollback attack).
    #[error("version {version} is not newer than version {installed}, the newest this kiosk has installed")]
    NotNewer {
        /// The bundle's.
        version: u64,
        /// The highest installed.
        installed: u64,
    },
    /// Not a SQLite file at all.
    #[error("not a content bundle (not a SQLite file)")]
    NotSqlite,
    /// A bundle of a layout this kiosk cannot read.
    #[error("{0}")]
    UnsupportedSchema(String),
    /// SQLite's integrity check or the audio hashes failed.
    #[error("the bundle is damaged: {0}")]
    Corrupt(String),
    /// The bundle's meta table says otherwise than its signature.
    #[error(
        "the bundle says version {meta_version} on `{meta_channel}` but its signature says version {signed_version} on `{signed_channel}`"
    )]
    Mismatch {
        /// Meta table.
        meta_version: u64,
        /// Meta table.
        meta_channel: String,
        /// Signature.
        signed_version: u64,
        /// Signature.
        signed_channel: String,
    },
    /// What it would show is not what the kiosk's own build makes: HTML the
    /// kiosk's sanitiser would change (a `<style>`, a form, an image), or a
    /// theme value that is not a colour. Made or edited by another tool.
    #[error("it would show what the kiosk does not render: {0}")]
    UnsafeContent(String),
    /// The file could not be read.
    #[error("cannot read it: {0}")]
    Io(String),
}

impl Rejection {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "too_large",
            Rejection::Unsigned => "unsigned",
            Rejection::MalformedSignature(_) => "malformed_signature",
            Rejection::UntrustedKey(_) => "untrusted_key",
            Rejection::BadSignature => "bad_signature",
            Rejection::NoVersionInSignature => "no_version_in_signature",
            Rejection::WrongChannel { .. } => "wrong_channel",
            Rejection::NotNewer { .. } => "not_newer",
            Rejection::NotSqlite => "not_sqlite",
            Rejection::UnsupportedSchema(_) => "unsupported_schema",
            Rejection::Corrupt(_) => "corrupt",
            Rejection::Mismatch { .. } => "mismatch",
            Rejection::UnsafeContent(_) => "unsafe_content",
            Rejection::Io(_) => "io",
        }
    }
}

/// A bundle that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Its version.
    pub version: u64,
    /// Its channel.
    pub channel: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The key that signed it.
    pub key_id: String,
}

/// The most a `.minisig` may weigh: minisign's are a few hundred bytes.
pub const SIGNATURE_CAP: u64 = 64 * 1024;

/// Reads a `.minisig`, at most [`SIGNATURE_CAP`] bytes of it (never more, whatever the file's size).
pub fn read_signature(path: &Path) -> Result<String, Rejection> {
    // Only a plain file: opening a FIFO planted in a drop folder would block the installer.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(Rejection::MalformedSignature("not a regular file".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Rejection::Unsigned),
        _ => {}
    }
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Rejection::Unsigned),
        Err(e) => return Err(Rejection::Io(e.to_string())),
    };
    let mut bytes = Vec::new();
    file.take(SIGNATURE_CAP + 1).read_to_end(&mut bytes).map_err(|e| Rejection::Io(e.to_string()))?;
    if bytes.len() as u64 > SIGNATURE_CAP {
        return Err(Rejection::MalformedSignature(format!("over {SIGNATURE_CAP} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| Rejection::MalformedSignature("not text".into()))
}

/// Parses a `.minisig` and finds its key among the trusted ones — all from the
/// signature alone, so a stranger's bundle is refused before a byte of it is read.
pub fn trusted_signer<'p>(sig_text: &str, policy: &'p Policy) -> Result<(Signature, &'p PublicKey), Rejection> {
    // First, so a damaged file is refused with the reason staff read for it (see the function).
    check_signature_layout(sig_text).map_err(Rejection::MalformedSignature)?;
    let sig = Signature::decode(sig_text).map_err(Rejection::MalformedSignature)?;
    match policy.trusted.iter().find(|k| k.keynum() == sig.keynum()) {
        Some(key) => Ok((sig, key)),
        None => Err(Rejection::UntrustedKey(key_id(sig.keynum()))),
    }
}

/// Checks `bundle` (with its `.minisig` beside it) against `policy`, given the
/// highest version ever installed here.
pub fn check(bundle: &Path, policy: &Policy, highest_installed: u64) -> Result<Accepted, Rejection> {
    let io = |e: std::io::Error| Rejection::Io(e.to_string());
    let size = std::fs::metadata(bundle).map_err(io)?.len();
    if size > policy.max_bytes {
        return Err(Rejection::TooLarge { size, cap: policy.max_bytes });
    }
    let sig_text = read_signature(&signature_path(bundle))?;
    let (sig, key) = trusted_signer(&sig_text, policy)?;
    let signer = key_id(sig.keynum());
    if !sig.is_prehashed() {
        return Err(Rejection::MalformedSignature("legacy (non-prehashed) signatures are not accepted".into()));
    }
    // One pass over the file: the signature's BLAKE2b prehash and the SHA-256 recorded for the install.
    let mut verifier = Verifier::new(key, &sig).map_err(|_| Rejection::BadSignature)?;
    let mut sha = Sha256::new();
    let mut file = File::open(bundle).map_err(io)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        verifier.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    verifier.finish().map_err(|_| Rejection::BadSignature)?;
    let sha256 = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
    // The comment is covered by the signature (verify checked the global signature).
    let comment = sig.trusted_comment();
    let (version, channel) = parse_comment(comment).ok_or(Rejection::NoVersionInSignature)?;
    if channel != policy.channel {
        return Err(Rejection::WrongChannel { got: channel, want: policy.channel.clone() });
    }
    if version <= highest_installed {
        return Err(Rejection::NotNewer { version, installed: highest_installed });
    }
    let opened = Bundle::open(bundle).map_err(|e| match e {
        BundleError::Sqlite(_) => Rejection::NotSqlite,
        BundleError::Unsupported(m) => Rejection::UnsupportedSchema(m),
        BundleError::Io { source, .. } => Rejection::Io(source.to_string()),
        other => Rejection::Corrupt(other.to_string()),
    })?;
    let meta = opened.meta().clone();
    if meta.bundle_version != version || meta.channel != channel {
        return Err(Rejection::Mismatch {
            meta_version: meta.bundle_version,
            meta_channel: meta.channel,
            signed_version: version,
            signed_channel: channel,
        });
    }
    opened.verify().map_err(|e| match e {
        BundleError::Unsafe(m) => Rejection::UnsafeContent(m),
        other => Rejection::Corrupt(other.to_string()),
    })?;
    Ok(Accepted { version, channel, sha256, size, key_id: signer })
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
    }
    Ok(sha.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
