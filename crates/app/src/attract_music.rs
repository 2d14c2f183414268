//! When attract mode plays music, and when it hands the player back.
//!
//! With the bundle's `music.attract` on, the first slide after the idle
//! timeout starts the first track at the bundle's attract volume; the
//! visitor's touch (back to the home screen) stops it and restores the
//! visitor's default volume. A screen reset — the idle timeout itself — also
//! leaves no trace of the last visitor: their music, their volume and an open
//! staff panel all go.

use kiosk_attract::Action;

/// What the player (and staff mode) must do after an attract action.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cue {
    /// Nothing changes.
    Nothing,
    /// The screen was reset for the next visitor: stop, default volume, close the staff panel.
    ResetVisitor,
    /// Attract mode began showing slides: play the first track at this volume.
    StartAttractMusic {
        /// The bundle's attract volume (0–1 of the ceiling).
        volume: f32,
    },
    /// A visitor is back: stop attract mode's music, default volume.
    HandBack,
}

/// The policy's state: whether attract mode's music is playing.
#[derive(Debug, Clone)]
pub struct AttractMusic {
    enabled: bool,
    volume: f32,
    playing: bool,
}

impl AttractMusic {
    /// The policy for a bundle's `music.attract` and `music.attract_volume`.
    pub fn new(enabled: bool, volume: f32) -> Self {
        AttractMusic { enabled, volume, playing: false }
    }

    /// What `action` means for the player.
    pub fn on(&mut self, action: &Action) -> Cue {
        match action {
            Action::ResetVisitor => Cue::ResetVisitor,
            Action::ShowSlide { .. } if self.enabled && !self.playing => {
                self.playing = true;
                Cue::StartAttractMusic { volume: self.volume }
            }
            Action::ShowHome if self.playing => {
                self.playing = false;
                Cue::HandBack
            }
            _ => Cue::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use kiosk_attract::{Action, Slide};

    use super::{AttractMusic, Cue};

    fn slide() -> Action {
        Action::ShowSlide { slide: Some(Slide::section("about")) }
    }

    #[test]
    fn the_first_slide_starts_the_music_once_and_later_slides_leave_it_playing() {
        let mut policy = AttractMusic::new(true, 0.4);
        assert_eq!(policy.on(&slide()), Cue::StartAttractMusic { volume: 0.4 });
        assert_eq!(policy.on(&slide()), Cue::Nothing);
        assert_eq!(policy.on(&slide()), Cue::Nothing);
    }

    #[test]
    fn a_visitor_back_at_home_stops_attract_music_and_the_next_attract_starts_it_again() {
        let mut policy = AttractMusic::new(true, 0.4);
        policy.on(&slide());
        assert_eq!(policy.on(&Action::ShowHome), Cue::HandBack);
        assert_eq!(policy.on(&Action::ShowHome), Cue::Nothing, "the visitor's own music is theirs");
        assert_eq!(policy.on(&slide()), Cue::StartAttractMusic { volume: 0.4 });
    }

    #[test]
    fn without_attract_music_slides_and_home_leave_the_player_alone() {
        let mut policy = AttractMusic::new(false, 0.4);
        assert_eq!(policy.on(&slide()), Cue::Nothing);
        assert_eq!(policy.on(&Action::ShowHome), Cue::Nothing);
    }

    #[test]
    fn every_screen_reset_clears_the_last_visitor() {
        let mut policy = AttractMusic::new(false, 0.4);
        assert_eq!(policy.on(&Action::ResetVisitor), Cue::ResetVisitor);
        let mut policy = AttractMusic::new(true, 0.4);
        policy.on(&slide());
        assert_eq!(policy.on(&Action::ResetVisitor), Cue::ResetVisitor);
    }
}
