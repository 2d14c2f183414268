//! Signatures in minisign's format (Ed25519 over a BLAKE2b prehash), so staff
//! can use `kioskctl bundle sign` or the standard `minisign` tool alike.
//!
//! The kiosk only verifies, with the small `minisign-verify` crate; making
//! keys and signing ([`generate_keypair`], [`sign`]) need the full `minisign`
//! crate (with scrypt for encrypted keys and a password prompt) and are behind
//! the `sign` feature, which only `kioskctl` and the tests turn on: the kiosk
//! binary carries no key generation. Both live in this one module so the
//! format's rules (the comment, the file layout, the key id) have one home.
//!
//! The signature's *trusted comment* — signed too — names what the bundle
//! claims to be: `embassy-kiosk-bundle version=<n> channel=<name>`. The kiosk
//! reads version and channel from there, and checks the bundle's own meta
//! table says the same.

use std::path::{Path, PathBuf};

use ct_codecs::{Base64, Decoder};

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

/// Checks a `.minisig`'s layout before it is decoded: four lines, the
/// signature and the trusted comment's signature each the exact size minisign
/// writes. minisign 0.9, which the kiosk verified with before
/// `minisign-verify`, sliced the fourth line at fixed offsets without
/// checking its length, so a signature file cut short there panicked inside
/// it — and the kiosk is built with `panic = "abort"`, so that ended the app,
/// again at every restart while the file stayed in the inbox. The check stays
/// in front of whatever decodes the file: a damaged signature is refused with
/// a reason staff can read, whatever the decoder would do with it.
pub fn check_signature_layout(text: &str) -> Result<(), String> {
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

/// The length of a public key's base64 line (42 bytes: algorithm, key id, Ed25519 key).
const PUBLIC_KEY_B64_LEN: usize = 56;

/// A trusted public key: what `minisign-verify` checks signatures with, and
/// its key id, to find it among the trusted ones by a signature's key id.
#[derive(Clone, Debug)]
pub struct PublicKey {
    key: minisign_verify::PublicKey,
    keynum: [u8; 8],
}

impl PublicKey {
    /// The key id (8 bytes, as stored; [`key_id`] prints it).
    pub fn keynum(&self) -> &[u8] {
        &self.keynum
    }

    /// One base64 line of [`PUBLIC_KEY_B64_LEN`] characters, as both this
    /// module's decoder and `minisign-verify` read it.
    fn from_line(line: &str) -> Option<PublicKey> {
        if line.len() != PUBLIC_KEY_B64_LEN {
            return None;
        }
        let bytes = Base64::decode_to_vec(line.trim().as_bytes(), None).ok()?;
        let keynum = bytes.get(2..10)?.try_into().ok()?;
        let key = minisign_verify::PublicKey::from_base64(line).ok()?;
        Some(PublicKey { key, keynum })
    }
}

/// A public key from a `.pub` file's text or its one-line base64 form.
pub fn parse_public_key(text: &str) -> Option<PublicKey> {
    let text = text.trim();
    PublicKey::from_line(text).or_else(|| {
        let mut lines = text.lines();
        lines.next()?; // the untrusted comment
        PublicKey::from_line(lines.next()?)
    })
}

/// A decoded `.minisig`: its key id and kind, read from the signature line,
/// and what `minisign-verify` checks.
#[derive(Clone)]
pub struct Signature {
    inner: minisign_verify::Signature,
    keynum: [u8; 8],
    prehashed: bool,
}

impl Signature {
    /// Decodes a `.minisig` whose layout [`check_signature_layout`] passed.
    ///
    /// The lines are read as minisign 0.9 (which the kiosk used before) read
    /// them: the base64 lines and the trusted comment without surrounding
    /// white space — the comment signature covers the trimmed comment — so a
    /// file accepted before is accepted now, and nothing more.
    pub fn decode(text: &str) -> Result<Signature, String> {
        check_signature_layout(text)?;
        let mut lines = text.lines();
        let mut line = || lines.next().ok_or_else(|| "it has fewer than four lines".to_string());
        let (untrusted, signature, trusted, global) = (line()?, line()?, line()?, line()?);
        let comment = trusted.strip_prefix(TRUSTED_PREFIX).ok_or("no trusted comment")?.trim();
        let normal = format!("{untrusted}\n{}\n{TRUSTED_PREFIX}{comment}\n{}\n", signature.trim(), global.trim());
        let inner = minisign_verify::Signature::decode(&normal).map_err(|e| e.to_string())?;
        let head = Base64::decode_to_vec(signature.trim().as_bytes(), None).map_err(|e| e.to_string())?;
        let keynum = head.get(2..10).and_then(|k| k.try_into().ok()).ok_or("no key id")?;
        // minisign's algorithm tags: "ED" signs a BLAKE2b-512 prehash, "Ed" (legacy) the data itself.
        let prehashed = head.get(..2) == Some(b"ED".as_slice());
        Ok(Signature { inner, keynum, prehashed })
    }

    /// The id of the key that made it.
    pub fn keynum(&self) -> &[u8] {
        &self.keynum
    }

    /// Whether it signs a BLAKE2b prehash (minisign's default since 0.8), not the data itself (legacy).
    pub fn is_prehashed(&self) -> bool {
        self.prehashed
    }

    /// The trusted comment (covered by the signature once [`verify`] or [`Verifier::finish`] passed).
    pub fn trusted_comment(&self) -> &str {
        self.inner.trusted_comment()
    }
}

/// The third line's prefix.
const TRUSTED_PREFIX: &str = "trusted comment: ";

/// Why a signature does not verify: made by another key, a legacy
/// (non-prehashed) signature, or not a signature of these bytes and this comment.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct VerifyError(String);

/// Checks `sig` (prehashed only; legacy signatures are refused) over `data`
/// and over its trusted comment, with `key`.
pub fn verify(key: &PublicKey, sig: &Signature, data: &[u8]) -> Result<(), VerifyError> {
    key.key.verify(data, &sig.inner, false).map_err(|e| VerifyError(e.to_string()))
}

/// Checks a signature over data read in pieces (a bundle is not read into memory whole).
pub struct Verifier<'a>(minisign_verify::StreamVerifier<'a>);

impl<'a> Verifier<'a> {
    /// Starts checking `sig` with `key`; refuses a legacy signature or another key's.
    pub fn new(key: &'a PublicKey, sig: &'a Signature) -> Result<Verifier<'a>, VerifyError> {
        key.key.verify_stream(&sig.inner).map(Verifier).map_err(|e| VerifyError(e.to_string()))
    }

    /// The next piece of the data.
    pub fn update(&mut self, piece: &[u8]) {
        self.0.update(piece);
    }

    /// Whether the signature covers all the data given and the trusted comment.
    pub fn finish(mut self) -> Result<(), VerifyError> {
        self.0.finalize().map_err(|e| VerifyError(e.to_string()))
    }
}

/// A key's id as minisign prints it (16 hex digits).
pub fn key_id(keynum: &[u8]) -> String {
    keynum.iter().rev().map(|b| format!("{b:02X}")).collect()
}

/// Why signing failed.
#[cfg(feature = "sign")]
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

#[cfg(feature = "sign")]
fn ms(e: minisign::PError) -> SignError {
    SignError::Minisign(e.to_string())
}

/// A new key pair: (public key file text, secret key file text), both in
/// minisign's formats. The secret key is encrypted with `password` when given.
#[cfg(feature = "sign")]
pub fn generate_keypair(password: Option<String>) -> Result<(String, String), SignError> {
    use minisign::KeyPair;
    let pair = match &password {
        Some(_) => KeyPair::generate_encrypted_keypair(password).map_err(ms)?,
        None => KeyPair::generate_unencrypted_keypair().map_err(ms)?,
    };
    let public = pair.pk.to_box().map_err(ms)?.to_string();
    let secret = pair.sk.to_box(Some("embassy kiosk content signing key")).map_err(ms)?.to_string();
    Ok((public, secret))
}

/// A secret key opened with its password, ready to sign many times (a
/// password-protected key costs seconds of scrypt to open).
#[cfg(feature = "sign")]
pub struct UnlockedKey(minisign::SecretKey);

/// Opens the secret key in `secret_key_text`. An unencrypted key opens as it
/// is; an encrypted one takes `password`, or prompts for it on the terminal
/// when `None`.
#[cfg(feature = "sign")]
pub fn unlock(secret_key_text: &str, password: Option<String>) -> Result<UnlockedKey, SignError> {
    let sk_box = || minisign::SecretKeyBox::from_string(secret_key_text).map_err(ms);
    match sk_box()?.into_unencrypted_secret_key() {
        Ok(sk) => Ok(UnlockedKey(sk)),
        Err(_) => Ok(UnlockedKey(sk_box()?.into_secret_key(password).map_err(ms)?)),
    }
}

/// Whether the key needs a password to open.
#[cfg(feature = "sign")]
pub fn is_encrypted(secret_key_text: &str) -> Result<bool, SignError> {
    let sk_box = minisign::SecretKeyBox::from_string(secret_key_text).map_err(ms)?;
    Ok(sk_box.into_unencrypted_secret_key().is_err())
}

/// Signs `data` with an opened key; returns the `.minisig` text.
#[cfg(feature = "sign")]
pub fn sign_with(key: &UnlockedKey, data: impl std::io::Read, comment: &str) -> Result<String, SignError> {
    let sig = minisign::sign(None, &key.0, data, Some(comment), Some("signed by kioskctl")).map_err(ms)?;
    Ok(sig.into_string())
}

/// Signs `data` with the secret key in `secret_key_text`; returns the `.minisig` text.
/// A password-protected key takes `password`, or prompts for it when `None`.
#[cfg(feature = "sign")]
pub fn sign(
    secret_key_text: &str,
    password: Option<String>,
    data: impl std::io::Read,
    comment: &str,
) -> Result<String, SignError> {
    sign_with(&unlock(secret_key_text, password)?, data, comment)
}

/// Writes what an HTTPS server needs into `out`: the bundle as
/// `embassy-<version>.kbundle` with its signature (copied unless `bundle`
/// already is that file), and `manifest.json` naming it, signed. The
/// manifest's signature is written first: a kiosk polling mid-copy sees
/// the old pair or a mismatch it retries.
#[cfg(feature = "sign")]
pub fn write_web_folder(
    bundle: &Path,
    version: u64,
    channel: &str,
    key: &UnlockedKey,
    out: &Path,
) -> Result<crate::remote::Manifest, SignError> {
    write_staged_web_folder(bundle, version, channel, key, out, 100)
}

/// [`write_web_folder`] for a staged rollout: the manifest lets the first
/// `rollout_percent` % of the fleet install the bundle (see [`crate::remote`]).
#[cfg(feature = "sign")]
pub fn write_staged_web_folder(
    bundle: &Path,
    version: u64,
    channel: &str,
    key: &UnlockedKey,
    out: &Path,
    rollout_percent: u8,
) -> Result<crate::remote::Manifest, SignError> {
    use crate::remote::{Manifest, manifest_comment};
    if rollout_percent > 100 {
        return Err(SignError::Minisign(format!("the rollout percent {rollout_percent} is over 100")));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SignError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let name = format!("embassy-{version}.kbundle");
    let target = out.join(&name);
    if std::fs::canonicalize(bundle).ok() != std::fs::canonicalize(&target).ok() {
        std::fs::copy(bundle, &target).map_err(io(&target))?;
        std::fs::copy(signature_path(bundle), signature_path(&target)).map_err(io(&target))?;
    }
    let manifest = Manifest {
        version,
        channel: channel.to_string(),
        size: std::fs::metadata(bundle).map_err(io(bundle))?.len(),
        sha256: crate::accept::sha256_file(bundle).map_err(io(bundle))?,
        bundle: name,
        rollout_percent,
    };
    let body = serde_json::to_vec_pretty(&manifest).map_err(|e| SignError::Minisign(e.to_string()))?;
    let sig = sign_with(key, &body[..], &manifest_comment(version, channel))?;
    let sig_path = out.join("manifest.json.minisig");
    std::fs::write(&sig_path, sig).map_err(io(&sig_path))?;
    let path = out.join("manifest.json");
    std::fs::write(&path, body).map_err(io(&path))?;
    Ok(manifest)
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
