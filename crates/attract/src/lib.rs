//! Attract mode: what the lobby screen does when nobody touches it.
//!
//! After `idle_timeout` without a touch the kiosk enters attract mode: it
//! clears every trace of the last visitor and loops through the slides
//! (every section, then every upcoming event), one per `slide_duration`. The
//! first touch leaves attract mode to the home screen.
//!
//! [`Attract::next`] is a pure function of the state, the time and one input;
//! the app drives it with a real clock and renders the [`Action`]s, tests
//! drive it with made-up times. Times are milliseconds on any monotonic clock.
#![deny(missing_docs)]

use serde::Serialize;

pub mod driver;

/// What a slide shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum SlideKind {
    /// A section: title and excerpt.
    Section,
    /// An upcoming event.
    Event,
}

/// One attract slide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Slide {
    /// Section or event.
    pub kind: SlideKind,
    /// The section's or event's id.
    pub id: String,
}

impl Slide {
    /// A section slide.
    pub fn section(id: &str) -> Self {
        Slide { kind: SlideKind::Section, id: id.to_string() }
    }
    /// An event slide.
    pub fn event(id: &str) -> Self {
        Slide { kind: SlideKind::Event, id: id.to_string() }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Time passed (the driver wakes at [`Attract::deadline`]).
    Tick,
    /// A visitor touched the screen.
    Touch,
    /// The content changed: these are the new slides, in order.
    ContentChanged(Vec<Slide>),
}

/// What the kiosk must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Forget the last visitor: form, keyboard, language, scroll, screens, music.
    ResetVisitor,
    /// Show attract mode with this slide (`None`: no slides, just the invitation).
    ShowSlide {
        /// The slide, if there is any.
        slide: Option<Slide>,
    },
    /// Leave attract mode to the home screen.
    ShowHome,
}

/// Where the kiosk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A visitor may be using the kiosk; `last_touch` is when they last touched it.
    Active {
        /// Time of the last touch (or of start-up).
        last_touch: u64,
    },
    /// Attract mode, showing slide `index` since `shown_at`.
    Attract {
        /// Index into the slides.
        index: usize,
        /// When that slide appeared.
        shown_at: u64,
    },
}

/// The attract schedule and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attract {
    /// Current mode.
    pub mode: Mode,
    /// Slides in order.
    pub slides: Vec<Slide>,
    /// Idle time before attract mode, ms.
    pub idle_timeout: u64,
    /// Time each slide stays, ms.
    pub slide_duration: u64,
}

impl Attract {
    /// A kiosk that has just started at `now` (counts as a touch: a restart
    /// does not jump straight into attract mode).
    pub fn new(slides: Vec<Slide>, idle_timeout: u64, slide_duration: u64, now: u64) -> Self {
        Attract { mode: Mode::Active { last_touch: now }, slides, idle_timeout, slide_duration: slide_duration.max(1) }
    }

    /// When the next [`Input::Tick`] is due; the driver sleeps until then
    /// (or until a touch), so an idle kiosk wakes once per slide, not per frame.
    pub fn deadline(&self) -> u64 {
        match self.mode {
            Mode::Active { last_touch } => last_touch.saturating_add(self.idle_timeout),
            Mode::Attract { shown_at, .. } => shown_at.saturating_add(self.slide_duration),
        }
    }

    /// Whether the kiosk is in attract mode.
    pub fn in_attract(&self) -> bool {
        matches!(self.mode, Mode::Attract { .. })
    }

    /// The slide on screen, if in attract mode and there are slides.
    pub fn current(&self) -> Option<&Slide> {
        match self.mode {
            Mode::Attract { index, .. } => self.slides.get(index),
            Mode::Active { .. } => None,
        }
    }

    /// Applies one input at time `now` and returns what to do.
    pub fn next(mut self, now: u64, input: Input) -> (Self, Vec<Action>) {
        let mut actions = Vec::new();
        match (self.mode, input) {
            (Mode::Active { .. }, Input::Touch) => self.mode = Mode::Active { last_touch: now },
            (Mode::Attract { .. }, Input::Touch) => {
                self.mode = Mode::Active { last_touch: now };
                actions.push(Action::ShowHome);
            }
            (Mode::Active { last_touch }, Input::Tick) => {
                if now >= last_touch.saturating_add(self.idle_timeout) {
                    self.mode = Mode::Attract { index: 0, shown_at: now };
                    actions.push(Action::ResetVisitor);
                    actions.push(Action::ShowSlide { slide: self.slides.first().cloned() });
                }
            }
            (Mode::Attract { index, shown_at }, Input::Tick) => {
                let elapsed = now.saturating_sub(shown_at);
                if elapsed >= self.slide_duration && !self.slides.is_empty() {
                    // A late wake-up (a busy machine) skips ahead, but never
                    // by more than the slides it really missed.
                    let steps = (elapsed / self.slide_duration) as usize;
                    let next = (index + steps) % self.slides.len();
                    self.mode = Mode::Attract { index: next, shown_at: shown_at + steps as u64 * self.slide_duration };
                    if self.slides.len() > 1 {
                        actions.push(Action::ShowSlide { slide: self.slides.get(next).cloned() });
                    }
                } else if elapsed >= self.slide_duration {
                    self.mode = Mode::Attract { index, shown_at: now };
                }
            }
            (Mode::Active { .. }, Input::ContentChanged(slides)) => self.slides = slides,
            (Mode::Attract { index, shown_at }, Input::ContentChanged(slides)) => {
                // Keep showing the same slide if it is still there; otherwise
                // show the first of the new content now.
                let current = self.slides.get(index).cloned();
                self.slides = slides;
                match current.and_then(|c| self.slides.iter().position(|s| *s == c)) {
                    Some(i) => self.mode = Mode::Attract { index: i, shown_at },
                    None => {
                        self.mode = Mode::Attract { index: 0, shown_at: now };
                        actions.push(Action::ShowSlide { slide: self.slides.first().cloned() });
                    }
                }
            }
        }
        (self, actions)
    }
}

#[cfg(test)]
mod tests;
