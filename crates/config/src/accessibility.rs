//! The `[accessibility]` section: the screen's physical size and mounting,
//! and how much longer an assisted visitor may take.
//!
//! The kiosk cannot measure its own glass: a window is pixels, but large text
//! (an uppercase letter at least 3/16 in = 4.8 mm tall, as ADA 2010 §707.7.2
//! asks of self-service screens) needs millimetres, and reach mode (every control
//! between 15 and 48 inches above the floor, ADA §308) needs to know where
//! the screen hangs. The admin states both here once per kiosk; the defaults
//! fit a common 32-inch lobby screen whose bottom edge is 30 inches up.
//!
//! Lengths are inches because that is how screens are sold and how the
//! standards word the reach range.

use serde::Deserialize;
use toml::Spanned;

use crate::ConfigError;
use crate::check::Check;

/// The lowest point a seated (wheelchair) visitor reaches, inches above the floor (ADA 2010 §308.2).
pub const REACH_LOW_IN: f32 = 15.0;
/// The highest point a seated (wheelchair) visitor reaches, inches above the floor (ADA 2010 §308.2).
pub const REACH_HIGH_IN: f32 = 48.0;

const MM_PER_IN: f32 = 25.4;

/// The `[accessibility]` section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccessibilityConfig {
    /// The visible diagonal of the screen, inches (7 to 120).
    pub screen_diagonal_in: f32,
    /// The screen's bottom edge above the floor, inches (0 to 72).
    pub mount_height_in: f32,
    /// The idle timeout's multiplier while speech or keypad mode is on (1 to 20).
    pub timeout_factor: u32,
    /// Whether speech is offered at all (`false` hides it, e.g. where espeak-ng
    /// has no voice for the content's languages).
    pub speech: bool,
    /// How often attract mode says how to get speech, seconds (0: never; at most 3600).
    /// A visitor who cannot see the screen cannot find a switch they are not told of.
    pub attract_hint_secs: u32,
}

impl Default for AccessibilityConfig {
    fn default() -> Self {
        AccessibilityConfig {
            screen_diagonal_in: 32.0,
            mount_height_in: 30.0,
            timeout_factor: 4,
            speech: true,
            attract_hint_secs: 120,
        }
    }
}

impl AccessibilityConfig {
    /// The screen's physical (width, height) in inches, for a window of
    /// `width_px` × `height_px`: the window is taken to fill the screen, with
    /// square pixels, so its aspect is the screen's. A zero size counts as 1 px.
    pub fn screen_size_in(&self, width_px: u32, height_px: u32) -> (f32, f32) {
        let (w, h) = (width_px.max(1) as f32, height_px.max(1) as f32);
        let diagonal_px = w.hypot(h);
        (self.screen_diagonal_in * w / diagonal_px, self.screen_diagonal_in * h / diagonal_px)
    }

    /// Pixels per millimetre on the glass, for a full-screen window of this
    /// size (CSS or device pixels alike: whichever `width_px` counts). Large
    /// text needs a capital letter of at least 4.8 mm: `4.8 * px_per_mm` px.
    pub fn px_per_mm(&self, width_px: u32, height_px: u32) -> f32 {
        let (_, height_in) = self.screen_size_in(width_px, height_px);
        height_px.max(1) as f32 / (height_in * MM_PER_IN)
    }

    /// The part of the screen a seated visitor can reach (15 to 48 inches
    /// above the floor), as `(top, bottom)` fractions of the screen's height
    /// **measured from its top edge**: 0 is the top edge, 1 the bottom edge.
    /// `top` is where the band starts (the 48-inch line, or the top edge if
    /// the whole screen is lower), `bottom` where it ends (the 15-inch line,
    /// or the bottom edge if the screen starts higher). Both are clamped to
    /// 0..=1, and `top <= bottom`; a screen entirely out of reach gives an
    /// empty band at the nearer edge (`(1, 1)` above the reach, `(0, 0)` below).
    ///
    /// In CSS: the band is `top * 100vh` to `bottom * 100vh` from the top.
    pub fn reach_band(&self, width_px: u32, height_px: u32) -> (f32, f32) {
        let (_, height_in) = self.screen_size_in(width_px, height_px);
        let top_edge_in = self.mount_height_in + height_in;
        // Height above the floor → fraction from the top edge.
        let from_top = |above_floor: f32| ((top_edge_in - above_floor) / height_in).clamp(0.0, 1.0);
        (from_top(REACH_HIGH_IN), from_top(REACH_LOW_IN))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccessibility {
    screen_diagonal_in: Option<Spanned<f32>>,
    mount_height_in: Option<Spanned<f32>>,
    timeout_factor: Option<Spanned<u32>>,
    speech: Option<bool>,
    attract_hint_secs: Option<Spanned<u32>>,
}

/// Validates `[accessibility]`; a key left out keeps its default.
pub(crate) fn parse(r: RawAccessibility, check: &Check<'_>) -> Result<AccessibilityConfig, ConfigError> {
    let defaults = AccessibilityConfig::default();
    Ok(AccessibilityConfig {
        screen_diagonal_in: check
            .number("accessibility.screen_diagonal_in", r.screen_diagonal_in.as_ref(), 7.0..=120.0)?
            .unwrap_or(defaults.screen_diagonal_in),
        mount_height_in: check
            .number("accessibility.mount_height_in", r.mount_height_in.as_ref(), 0.0..=72.0)?
            .unwrap_or(defaults.mount_height_in),
        timeout_factor: check
            .number("accessibility.timeout_factor", r.timeout_factor.as_ref(), 1..=20)?
            .unwrap_or(defaults.timeout_factor),
        speech: r.speech.unwrap_or(defaults.speech),
        attract_hint_secs: check
            .number("accessibility.attract_hint_secs", r.attract_hint_secs.as_ref(), 0..=3600)?
            .unwrap_or(defaults.attract_hint_secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 0.005
    }

    #[test]
    fn a_32_inch_portrait_screen_at_30_inches_is_reachable_from_a_third_down() {
        let a = AccessibilityConfig::default();
        let (w, h) = a.screen_size_in(1080, 1920);
        assert!(close(h, 27.891) && close(w, 15.689), "32\" 16:9 portrait is 15.7 × 27.9 in: {w} × {h}");
        // Top edge at 30 + 27.9 = 57.9 in; the 48-inch line is 9.9 in below it.
        let (top, bottom) = a.reach_band(1080, 1920);
        assert!(close(top, (57.891 - 48.0) / 27.891), "the band starts 0.355 from the top: {top}");
        assert!(close(top, 0.355), "{top}");
        assert_eq!(bottom, 1.0, "the bottom edge (30 in) is above 15 in: reachable to the bottom");
    }

    #[test]
    fn the_band_is_clamped_to_the_screen_and_never_inverted() {
        // (diagonal, mount height, width, height) → (top, bottom)
        let cases = [
            // A landscape 32" at 30 in: 15.7 in tall, top edge at 45.7 in — all reachable.
            ((32.0, 30.0), (1920, 1080), (0.0, 1.0)),
            // A 55" portrait from the floor: 47.9 in tall; reach 15–48 in is the top 0 % to the 68.7 %.
            ((55.0, 0.0), (1080, 1920), (0.0, (47.936 - 15.0) / 47.936)),
            // Mounted high: bottom at 50 in, nothing reachable: empty band at the bottom edge.
            ((32.0, 50.0), (1080, 1920), (1.0, 1.0)),
            // Mounted low and small: 10" landscape at 0 in, top edge 4.9 in: out of reach below.
            ((10.0, 0.0), (1920, 1080), (0.0, 0.0)),
        ];
        for ((diagonal, mount), (w, h), (top, bottom)) in cases {
            let a = AccessibilityConfig { screen_diagonal_in: diagonal, mount_height_in: mount, ..Default::default() };
            let (t, b) = a.reach_band(w, h);
            assert!(close(t, top) && close(b, bottom), "{diagonal}\" at {mount} in, {w}×{h}: ({t}, {b})");
            assert!(t <= b && (0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&b));
        }
        let zero = AccessibilityConfig::default().reach_band(0, 0);
        assert!(zero.0.is_finite() && zero.1.is_finite(), "a zero-sized window does not divide by zero: {zero:?}");
    }

    #[test]
    fn px_per_mm_follows_the_diagonal_and_not_the_orientation() {
        let a = AccessibilityConfig::default();
        // A 32" 16:9 screen is 398.5 × 708.4 mm; portrait: 1920 px over 708.4 mm.
        let portrait = a.px_per_mm(1080, 1920);
        assert!(close(portrait, 1920.0 / (27.891 * 25.4)), "{portrait}");
        assert!(close(a.px_per_mm(1920, 1080), portrait), "rotating the screen keeps its pixel pitch");
        assert!(close(a.px_per_mm(3840, 2160), 2.0 * portrait), "4K on the same glass: twice the pixels per mm");
        // A 4.8 mm capital at 1080p, 32": about 13 px (a cap height, not a font size).
        assert!((13.0..14.0).contains(&(4.8 * portrait)), "{}", 4.8 * portrait);
    }
}
