//! Signing in minisign's format (Ed25519 over a BLAKE2b prehash), so staff
//! can use `kioskctl bundle sign` or the standard `minisign` tool alike.
//!
//! The signature's *trusted comment* — signed too — names what the bundle
//! claims to be: `embassy-kiosk-bundle version=<n> channel=<name>`. The kiosk
//! reads version and channel from there, and checks the bundle's own meta
//! table says the same.

use std::io::Read;
use std::path::{Path, PathBuf};

use minisign::{KeyPair, PublicKey, SecretKey, SignatureBox};

/// The first word of a bundle signature's trusted comment.
pub const COMMENT_TAG: &str = "embassy-kiosk-bundle";

/// The `.minisig` file beside a bundle.
pub fn signature_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(".minisig");
    PathBuf::from(name)
}

/// The trusted comment for a bundle of `version` on `channel`.
pub fn trusted_comment(version: u64, channel: &str) -> String {
    format!("{COMMENT_TAG} version={version} channel={channel}")
}

/// Reads `version=` and `channel=` from a trusted comment.
pub fn parse_comment(comment: &str) -> Option<(u64, String)> {
    let mut words = comment.split_whitespace();
    if words.next()? != COMMENT_TAG {
        return None;
    }
    let (mut version, mut channel) = (None, None);
    for w in words {
        match w.split_once('=') {
            Some(("version", v)) => version = v.parse().ok(),
            Some(("channel", c)) if !c.is_empty() => channel = Some(c.to_string()),
            _ => {}
        }
    }
    Some((version?, channel?))
}

/// Decoded size of a `.minisig`'s second line: 2 bytes of algorithm, 8 of key id, 64 of Ed25519 signature.
const SIGNATURE_LINE_BYTES: usize = 74;
/// Decoded size of its fourth line, the Ed25519 signature over the trusted comment.
const COMMENT_SIGNATURE_BYTES: usize = 64;

/// Checks a `.minisig`'s layout before minisign reads it: four lines, the
/// signature and the trusted comment's signature each the exact size minisign
/// writes. minisign 0.9 slices the fourth line at fixed offsets without
/// checking its length (and asserts on the second's in debug builds), so a
/// signature file cut short there would panic inside it — and the kiosk is
/// built with `panic = "abort"`, so that would end the app, again at every
/// restart while the file stays in the inbox. Catching the panic is no
/// defence under `abort`; refusing the file first is.
pub fn check_signature_layout(text: &str) -> Result<(), String> {
    use ct_codecs::{Base64, Decoder};
    let mut lines = text.lines();
    let mut line = |what: &str| lines.next().ok_or_else(|| format!("it has no {what} line"));
    let untrusted = line("untrusted comment")?;
    let signature = line("signature")?;
    let trusted = line("trusted comment")?;
    let comment_signature = line("trusted comment signature")?;
    let decoded = |s: &str| Base64::decode_to_vec(s.trim().as_bytes(), None).ok().map(|v| v.len());
    if !untrusted.starts_with("untrusted comment: ") {
        return Err("its first line is not `untrusted comment: …`".into());
    }
    if decoded(signature) != Some(SIGNATURE_LINE_BYTES) {
        return Err(format!("its second line is not {SIGNATURE_LINE_BYTES} bytes of base64 (a minisign signature)"));
    }
    if !trusted.starts_with("trusted comment: ") {
        return Err("its third line is not `trusted comment: …`".into());
    }
    if decoded(comment_signature) != Some(COMMENT_SIGNATURE_BYTES) {
        return Err(format!(
            "its fourth line is not {COMMENT_SIGNATURE_BYTES} bytes of base64 (the trusted comment's signature)"
        ));
    }
    Ok(())
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// minisign refused (wrong password, malformed key…).
    #[error("{0}")]
    Minisign(String),
}

fn ms(e: minisign::PError) -> SignError {
    SignError::Minisign(e.to_string())
}

/// A new key pair: (public key file text, secret key file text), both in
/// minisign's formats. The secret key is encrypted with `password` when given.
pub fn generate_keypair(password: Option<String>) -> Result<(String, String), SignError> {
    let pair = match &password {
        Some(_) => KeyPair::generate_encrypted_keypair(password).map_err(ms)?,
        None => KeyPair::generate_unencrypted_keypair().map_err(ms)?,
    };
    let public = pair.pk.to_box().map_err(ms)?.to_string();
    let secret = pair.sk.to_box(Some("embassy kiosk content signing key")).map_err(ms)?.to_string();
    Ok((public, secret))
}

/// Signs `data` with the secret key in `secret_key_text`; returns the `.minisig` text.
/// A password-protected key takes `password`, or prompts for it when `None`.
pub fn sign(
    secret_key_text: &str,
    password: Option<String>,
    data: impl Read,
    comment: &str,
) -> Result<String, SignError> {
    let sk_box = || minisign::SecretKeyBox::from_string(secret_key_text).map_err(ms);
    // Unencrypted keys open as they are; for an encrypted key with no password
    // given, minisign asks for it on the terminal.
    let sk: SecretKey = match sk_box()?.into_unencrypted_secret_key() {
        Ok(sk) => sk,
        Err(_) => sk_box()?.into_secret_key(password).map_err(ms)?,
    };
    let sig: SignatureBox = minisign::sign(None, &sk, data, Some(comment), Some("signed by kioskctl")).map_err(ms)?;
    Ok(sig.into_string())
}

/// A public key from a `.pub` file's text or its one-line base64 form.
pub fn parse_public_key(text: &str) -> Option<PublicKey> {
    let text = text.trim();
    if let Ok(pk) = PublicKey::from_base64(text) {
        return Some(pk);
    }
    minisign::PublicKeyBox::from_string(text).ok()?.into_public_key().ok()
}

/// A key's id as minisign prints it (16 hex digits).
pub fn key_id(keynum: &[u8]) -> String {
    keynum.iter().rev().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_comments_round_trip_and_junk_is_refused() {
        assert_eq!(parse_comment(&trusted_comment(42, "stable")), Some((42, "stable".into())));
        let cases = [
            "timestamp:1700000000",
            "embassy-kiosk-bundle version=x channel=stable",
            "embassy-kiosk-bundle channel=stable",
            "embassy-kiosk-bundle version=3",
            "other-tag version=3 channel=stable",
        ];
        for c in cases {
            assert_eq!(parse_comment(c), None, "{c}");
        }
    }
}
