//! Attract mode: what the lobby screen does when nobody touches it.
//!
//! After `idle_timeout` without a touch the kiosk enters attract mode: it
//! clears every trace of the last visitor and loops through the slides
//! (every section, then every upcoming event), one per `slide_duration`. The
//! first touch leaves attract mode to the home screen.
//!
//! A visitor who is still there but reading (or listening) must not lose
//! their place, so the reset is never silent: [`Action::AskMoreTime`] comes
//! first ("Do you need more time?"), [`warning_ms`] before the reset, and any
//! touch answers it ([`Action::MoreTime`], a full new timeout). The warning
//! lasts 20 s — the least WCAG 2.2.1 (Timing Adjustable) allows — but at most
//! a third of the timeout, so a short timeout (a 3 s test, a 30 s lobby)
//! still leaves the visitor two thirds of it before they are asked. It is
//! always shown for its full length, counted from when it appeared: a late
//! wake-up delays the reset, it never skips the question.
//!
//! A visitor using speech or the keypad ([`Input::Assist`]) moves more
//! slowly, so while that mode is on the timeout is `assist_factor` times
//! longer (default ×4, the config's `accessibility.timeout_factor`). The
//! reset turns it off again: the next visitor starts with the normal timeout.
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

/// The timeout multiplier while speech or keypad mode is on, unless set
/// otherwise ([`Attract::with_assist_factor`]).
pub const DEFAULT_ASSIST_FACTOR: u32 = 4;

/// The longest "Do you need more time?" warning, ms: WCAG 2.2.1 gives the
/// visitor at least 20 s to ask for more time.
pub const MAX_WARNING_MS: u64 = 20_000;

/// How long the "Do you need more time?" prompt stays before the reset, for
/// an (effective) idle timeout of `timeout` ms: a third of the timeout in
/// whole seconds, at least 1 s and at most [`MAX_WARNING_MS`]. Timeouts under
/// 2 s (tests only; the config's minimum is 1 s) get half of the timeout, so
/// the prompt still comes after the visitor's last touch, not with it.
///
/// | timeout | warning |
/// |---------|---------|
/// | 1 s     | 0.5 s   |
/// | 3 s     | 1 s     |
/// | 30 s    | 10 s    |
/// | 90 s    | 20 s    |
/// | 360 s   | 20 s    |
pub fn warning_ms(timeout: u64) -> u64 {
    if timeout >= 2_000 { (timeout / 3 / 1_000 * 1_000).clamp(1_000, MAX_WARNING_MS) } else { timeout / 2 }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Time passed (the driver wakes at [`Attract::deadline`]).
    Tick,
    /// A visitor touched the screen (or pressed a key).
    Touch,
    /// The content changed: these are the new slides, in order.
    ContentChanged(Vec<Slide>),
    /// A visitor turned speech or keypad mode on (`true`) or off (`false`).
    /// While on, the idle timeout is `assist_factor` times longer.
    ///
    /// It is a visitor's action, so while a visitor may be using the kiosk
    /// it also restarts the idle timer (and answers a "more time" prompt
    /// on screen). Turning it on in attract mode means a visitor has arrived
    /// (speech is started without sight, e.g. by a keypad key): the kiosk
    /// leaves attract mode as for a touch. Turning it off in attract mode
    /// only records it — the UI's own reset turns speech off, and that echo
    /// must not wake the kiosk.
    Assist(bool),
    /// The page was loaded afresh (its web process was replaced) and shows
    /// its home screen: in attract mode the slide on show is sent again.
    PageLoaded,
}

/// What the kiosk must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Forget the last visitor: form, keyboard, language, scroll, screens,
    /// music, speech and keypad mode, large text; hide the "more time" prompt.
    ResetVisitor,
    /// Show attract mode with this slide (`None`: no slides, just the invitation).
    ShowSlide {
        /// The slide, if there is any.
        slide: Option<Slide>,
    },
    /// Leave attract mode to the home screen.
    ShowHome,
    /// Show (and speak) "Do you need more time?" with a large button: the
    /// visitor is reset in `seconds` unless they touch the screen.
    AskMoreTime {
        /// How long the visitor has to answer, whole seconds (rounded up).
        seconds: u32,
    },
    /// The visitor answered the prompt: hide it, the idle timeout starts over.
    MoreTime,
}

/// Where the kiosk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A visitor may be using the kiosk; `last_touch` is when they last touched it.
    Active {
        /// Time of the last touch (or of start-up).
        last_touch: u64,
        /// When the "more time" prompt appeared, if it is on screen; the
        /// reset comes [`warning_ms`] after it.
        asked_at: Option<u64>,
    },
    /// Attract mode, showing slide `index` since `shown_at`.
    Attract {
        /// Index into the slides.
        index: usize,
        /// When that slide appeared.
        shown_at: u64,
    },
}

impl Mode {
    fn touched(now: u64) -> Self {
        Mode::Active { last_touch: now, asked_at: None }
    }
}

/// The attract schedule and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attract {
    /// Current mode.
    pub mode: Mode,
    /// Slides in order.
    pub slides: Vec<Slide>,
    /// Idle time before attract mode, ms (the "more time" prompt included).
    pub idle_timeout: u64,
    /// Time each slide stays, ms.
    pub slide_duration: u64,
    /// Whether the visitor has speech or keypad mode on.
    pub assist: bool,
    /// The idle timeout's multiplier while `assist` is on (at least 1).
    pub assist_factor: u32,
}

impl Attract {
    /// A kiosk that has just started at `now` (counts as a touch: a restart
    /// does not jump straight into attract mode). Assist mode is off and its
    /// factor is [`DEFAULT_ASSIST_FACTOR`].
    pub fn new(slides: Vec<Slide>, idle_timeout: u64, slide_duration: u64, now: u64) -> Self {
        Attract {
            mode: Mode::touched(now),
            slides,
            idle_timeout,
            slide_duration: slide_duration.max(1),
            assist: false,
            assist_factor: DEFAULT_ASSIST_FACTOR,
        }
    }

    /// Sets the idle timeout's multiplier in speech or keypad mode (0 counts as 1).
    pub fn with_assist_factor(mut self, factor: u32) -> Self {
        self.assist_factor = factor.max(1);
        self
    }

    /// The idle timeout that applies now, ms: longer in assist mode.
    pub fn effective_timeout(&self) -> u64 {
        let factor = if self.assist { u64::from(self.assist_factor.max(1)) } else { 1 };
        self.idle_timeout.saturating_mul(factor)
    }

    /// How long the "more time" prompt stays for the timeout that applies now, ms.
    pub fn warning(&self) -> u64 {
        warning_ms(self.effective_timeout())
    }

    /// When the next [`Input::Tick`] is due; the driver sleeps until then
    /// (or until a touch), so an idle kiosk wakes once per slide, not per
    /// frame. While a visitor may be there: the "more time" prompt, then
    /// (once it is shown) the reset.
    pub fn deadline(&self) -> u64 {
        match self.mode {
            Mode::Active { last_touch, asked_at: None } => {
                last_touch.saturating_add(self.effective_timeout() - self.warning())
            }
            Mode::Active { asked_at: Some(asked), .. } => asked.saturating_add(self.warning()),
            Mode::Attract { shown_at, .. } => shown_at.saturating_add(self.slide_duration),
        }
    }

    /// Whether the kiosk is in attract mode.
    pub fn in_attract(&self) -> bool {
        matches!(self.mode, Mode::Attract { .. })
    }

    /// Whether the "more time" prompt is on screen.
    pub fn asking(&self) -> bool {
        matches!(self.mode, Mode::Active { asked_at: Some(_), .. })
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
            (Mode::Active { asked_at, .. }, Input::Touch) => {
                self.mode = Mode::touched(now);
                if asked_at.is_some() {
                    actions.push(Action::MoreTime);
                }
            }
            (Mode::Attract { .. }, Input::Touch) => {
                self.mode = Mode::touched(now);
                actions.push(Action::ShowHome);
            }
            (Mode::Active { asked_at, .. }, Input::Assist(on)) => {
                self.assist = on;
                self.mode = Mode::touched(now);
                if asked_at.is_some() {
                    actions.push(Action::MoreTime);
                }
            }
            (Mode::Attract { .. }, Input::Assist(on)) => {
                self.assist = on;
                if on {
                    self.mode = Mode::touched(now);
                    actions.push(Action::ShowHome);
                }
            }
            (Mode::Active { last_touch, asked_at: None }, Input::Tick) => {
                let warning = self.warning();
                if now >= last_touch.saturating_add(self.effective_timeout() - warning) {
                    if warning == 0 {
                        // A timeout of a millisecond or less has no room for a question.
                        self.reset(now, &mut actions);
                    } else {
                        // Shown for its full length from now, even after a late wake-up.
                        self.mode = Mode::Active { last_touch, asked_at: Some(now) };
                        actions.push(Action::AskMoreTime { seconds: warning.div_ceil(1_000) as u32 });
                    }
                }
            }
            (Mode::Active { asked_at: Some(asked), .. }, Input::Tick) => {
                if now >= asked.saturating_add(self.warning()) {
                    self.reset(now, &mut actions);
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
            (Mode::Attract { index, .. }, Input::PageLoaded) => {
                actions.push(Action::ShowSlide { slide: self.slides.get(index).cloned() });
            }
            // A visitor's page came back on home: the idle countdown goes on.
            (Mode::Active { .. }, Input::PageLoaded) => {}
            // The prompt, if shown, stays: new content is no answer to it.
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

    /// The idle reset: forget the visitor (assist mode included: the next
    /// one gets the normal timeout) and start the slides.
    fn reset(&mut self, now: u64, actions: &mut Vec<Action>) {
        self.assist = false;
        self.mode = Mode::Attract { index: 0, shown_at: now };
        actions.push(Action::ResetVisitor);
        actions.push(Action::ShowSlide { slide: self.slides.first().cloned() });
    }
}

#[cfg(test)]
mod tests;
