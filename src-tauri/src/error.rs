//! Errors as the UI sees them: `{code, message}`, with `code` one of
//! [`ErrorCode`] — a closed list the UI's bindings turn into a TypeScript
//! union, so a screen branches on codes the shell can really send and
//! `i18n.ts` must have words for each (see ui/src/lib/i18n.ts).
//!
//! Each core error maps onto its codes by an exhaustive `match`: a new
//! variant in a core crate does not compile until it has a code here.

use kiosk_app::MusicError;
use kiosk_app::staff::StaffError;
use kiosk_content::BundleError;
use kiosk_player::PlayerError;
use kiosk_speech::SpeechError;
use kiosk_staff::pin::PinError;
use kiosk_updates::accept::Rejection;
use serde::Serialize;

/// Every code a command's error can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The content bundle.
    BundleIo,
    BundleSqlite,
    BundleUnsupported,
    BundleCorrupt,
    BundleUnsafe,
    NotFound,
    // The music player.
    AudioUnavailable,
    TrackUndecodable,
    QuietMode,
    // Speech.
    SpeechUnavailable,
    SpeechFailed,
    // Staff mode's PIN and session.
    StaffNotConfigured,
    StaffPinMalformed,
    StaffPinWrong,
    StaffLockedOut,
    StaffBadHash,
    StaffSessionClosed,
    // Staff mode's actions.
    SyncNotConfigured,
    UpdatesNotConfigured,
    UsbBundleGone,
    ImportRunning,
    ImportFailed,
    StoreFailed,
    RollbackFailed,
    SettingsNotSaved,
    // A bundle a staff import offered, refused.
    TooLarge,
    Unsigned,
    MalformedSignature,
    UntrustedKey,
    BadSignature,
    NoVersionInSignature,
    WrongChannel,
    NotNewer,
    NotSqlite,
    UnsupportedSchema,
    Corrupt,
    Mismatch,
    UnsafeContent,
    Io,
}

/// An error as the UI sees it.
#[derive(Debug, Serialize, specta::Type)]
pub struct UiError {
    pub code: ErrorCode,
    pub message: String,
}

impl UiError {
    fn new(code: ErrorCode, message: impl ToString) -> Self {
        UiError { code, message: message.to_string() }
    }

    /// A blocking task that did not finish (it panicked, or the runtime is going down).
    pub fn task_failed(code: ErrorCode, e: impl std::fmt::Display) -> Self {
        UiError::new(code, e)
    }
}

impl From<BundleError> for UiError {
    fn from(e: BundleError) -> Self {
        let code = match e {
            BundleError::Io { .. } => ErrorCode::BundleIo,
            BundleError::Sqlite(_) => ErrorCode::BundleSqlite,
            BundleError::Unsupported(_) => ErrorCode::BundleUnsupported,
            BundleError::Corrupt(_) => ErrorCode::BundleCorrupt,
            BundleError::Unsafe(_) => ErrorCode::BundleUnsafe,
            BundleError::NotFound(_) => ErrorCode::NotFound,
        };
        UiError::new(code, e)
    }
}

impl From<PlayerError> for UiError {
    fn from(e: PlayerError) -> Self {
        let code = match e {
            PlayerError::Audio(_) => ErrorCode::AudioUnavailable,
            PlayerError::Undecodable { .. } => ErrorCode::TrackUndecodable,
            PlayerError::Quiet => ErrorCode::QuietMode,
        };
        UiError::new(code, e)
    }
}

impl From<SpeechError> for UiError {
    fn from(e: SpeechError) -> Self {
        let code = match &e {
            SpeechError::Unavailable(_) => ErrorCode::SpeechUnavailable,
            SpeechError::Audio(_) => ErrorCode::AudioUnavailable,
            SpeechError::Synthesis(_) => ErrorCode::SpeechFailed,
        };
        UiError::new(code, e)
    }
}

impl From<MusicError> for UiError {
    fn from(e: MusicError) -> Self {
        match e {
            MusicError::Bundle(e) => e.into(),
            MusicError::Player(e) => e.into(),
        }
    }
}

impl From<PinError> for UiError {
    fn from(e: PinError) -> Self {
        let code = match e {
            PinError::NotConfigured => ErrorCode::StaffNotConfigured,
            PinError::Malformed => ErrorCode::StaffPinMalformed,
            PinError::Wrong { .. } => ErrorCode::StaffPinWrong,
            PinError::LockedOut { .. } => ErrorCode::StaffLockedOut,
            PinError::BadHash => ErrorCode::StaffBadHash,
        };
        UiError::new(code, e)
    }
}

impl From<Rejection> for UiError {
    fn from(r: Rejection) -> Self {
        let code = match r {
            Rejection::TooLarge { .. } => ErrorCode::TooLarge,
            Rejection::Unsigned => ErrorCode::Unsigned,
            Rejection::MalformedSignature(_) => ErrorCode::MalformedSignature,
            Rejection::UntrustedKey(_) => ErrorCode::UntrustedKey,
            Rejection::BadSignature => ErrorCode::BadSignature,
            Rejection::NoVersionInSignature => ErrorCode::NoVersionInSignature,
            Rejection::WrongChannel { .. } => ErrorCode::WrongChannel,
            Rejection::NotNewer { .. } => ErrorCode::NotNewer,
            Rejection::NotSqlite => ErrorCode::NotSqlite,
            Rejection::UnsupportedSchema(_) => ErrorCode::UnsupportedSchema,
            Rejection::Corrupt(_) => ErrorCode::Corrupt,
            Rejection::Mismatch { .. } => ErrorCode::Mismatch,
            Rejection::UnsafeContent(_) => ErrorCode::UnsafeContent,
            Rejection::Io(_) => ErrorCode::Io,
        };
        UiError::new(code, r)
    }
}

impl From<StaffError> for UiError {
    fn from(e: StaffError) -> Self {
        let code = match e {
            StaffError::Pin(e) => return e.into(),
            StaffError::Rejected(r) => return r.into(),
            StaffError::Player(e) => return e.into(),
            StaffError::SessionClosed(_) => ErrorCode::StaffSessionClosed,
            StaffError::SyncNotConfigured => ErrorCode::SyncNotConfigured,
            StaffError::UpdatesNotConfigured => ErrorCode::UpdatesNotConfigured,
            StaffError::UsbBundleGone(_) => ErrorCode::UsbBundleGone,
            StaffError::ImportRunning => ErrorCode::ImportRunning,
            StaffError::StoreFailed(_) => ErrorCode::StoreFailed,
            StaffError::ImportFailed(_) => ErrorCode::ImportFailed,
            StaffError::RollbackFailed(_) => ErrorCode::RollbackFailed,
            StaffError::SettingsNotSaved(_) => ErrorCode::SettingsNotSaved,
        };
        UiError::new(code, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: impl Into<UiError>) -> String {
        serde_json::to_value(e.into().code).unwrap().as_str().unwrap().to_string()
    }

    /// The codes the core crates give their errors (logs, kioskctl, tests) are
    /// the codes the UI gets: one name for one failure everywhere.
    #[test]
    fn the_ui_gets_the_core_crates_own_codes() {
        let bundle = [
            BundleError::Unsupported("v9".into()),
            BundleError::Corrupt("x".into()),
            BundleError::Unsafe("x".into()),
            BundleError::NotFound("x".into()),
        ];
        for e in bundle {
            let expected = e.code();
            assert_eq!(code(e), expected);
        }
        let undecodable = PlayerError::Undecodable { track: "a".into(), reason: "x".into() };
        for e in [undecodable, PlayerError::Quiet] {
            let expected = e.code();
            assert_eq!(code(e), expected);
        }
        for e in [PinError::NotConfigured, PinError::Malformed, PinError::BadHash, PinError::LockedOut { secs: 5 }] {
            let expected = e.code();
            assert_eq!(code(e), expected);
        }
        let rejections = [
            Rejection::Unsigned,
            Rejection::BadSignature,
            Rejection::NoVersionInSignature,
            Rejection::NotSqlite,
            Rejection::Corrupt("x".into()),
            Rejection::UnsafeContent("x".into()),
        ];
        for r in rejections {
            let expected = r.code();
            assert_eq!(code(r), expected);
        }
        let closed = kiosk_staff::pin::SessionClosed;
        assert_eq!(code(StaffError::SessionClosed(closed)), closed.code());
    }
}
