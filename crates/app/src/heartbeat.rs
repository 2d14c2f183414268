//! What a heartbeat says: the UI's last report, the bundle on screen, the
//! audio, the signups waiting and the problems staff must look at — counts
//! and states only, never an address.

use kiosk_health::{Heartbeat, UiReport};
use kiosk_player::Status;

use crate::Kiosk;

impl Kiosk {
    /// The heartbeat for `ui`, the UI's last report, at `now`.
    pub fn heartbeat(&self, ui: UiReport, now: jiff::Timestamp) -> Heartbeat {
        let bundle_version = self.bundle().meta().bundle_version;
        let audio = audio_word(&self.music.lock().status());
        let (counts, last_sync) = self.signups.status();
        Heartbeat {
            at_utc: now,
            kiosk_id: self.kiosk_id.clone(),
            ui,
            bundle_version,
            audio,
            sync_pending: counts.pending,
            sync_review: counts.review,
            last_sync,
            problems: self.staff.problems.list(),
        }
    }
}

/// `playing`, `paused`, `stopped`, or `unavailable` without a sound device.
fn audio_word(status: &Status) -> String {
    if !status.audio_available {
        return "unavailable".to_string();
    }
    serde_json::to_value(status.state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use kiosk_player::{PlayState, Status};

    use super::audio_word;

    fn status(state: PlayState, audio_available: bool) -> Status {
        Status { state, track: None, position_ms: 0, duration_ms: 0, volume: 0.5, quiet: false, audio_available }
    }

    #[test]
    fn the_monitor_reads_the_player_state_in_one_word() {
        assert_eq!(audio_word(&status(PlayState::Playing, true)), "playing");
        assert_eq!(audio_word(&status(PlayState::Paused, true)), "paused");
        assert_eq!(audio_word(&status(PlayState::Stopped, true)), "stopped");
    }

    #[test]
    fn no_sound_device_is_said_whatever_the_player_thinks() {
        assert_eq!(audio_word(&status(PlayState::Playing, false)), "unavailable");
    }
}
