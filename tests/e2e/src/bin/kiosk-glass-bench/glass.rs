//! The glass: an Xvfb screen under a window manager, a finger that taps it
//! through XTest, and the pixels read back from the X server.
//!
//! A screen is recognised by a few full-width rows of pixels (a
//! [`Signature`]), calibrated once per app from full-screen captures: rows
//! that stay the same on the new screen while it is shown and differ from the
//! old one. Reading 8 rows (8 × 7.5 KiB at 1920 wide) takes one round trip,
//! so the screen can be polled hundreds of times a second; a whole 8 MiB
//! screen would take milliseconds per read.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_e2e::bench::Screen;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, BUTTON_PRESS_EVENT, BUTTON_RELEASE_EVENT, ConnectionExt as _, ImageFormat, MOTION_NOTIFY_EVENT, Window,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

/// How many rows identify a screen.
pub const ROWS: usize = 8;

/// An Xvfb screen with Debian's matchbox window manager (no title bars, no
/// cursor of its own), as a kiosk's display has one window manager or
/// compositor; and a connection to it for input and readback. Stopped when
/// dropped.
pub struct Glass {
    wm: Child,
    /// The X screen (and its session bus).
    pub screen: Screen,
    x: RustConnection,
    root: Window,
}

impl Glass {
    /// A screen of `size` (width, height) with its window manager running.
    pub fn start(base: u32, size: (u32, u32)) -> Glass {
        let screen = Screen::start_sized(base, size);
        let mut cmd = Command::new("matchbox-window-manager");
        cmd.args(["-use_titlebar", "no", "-use_cursor", "no"]).stdout(Stdio::null()).stderr(Stdio::null());
        let wm = screen
            .apply(&mut cmd)
            .spawn()
            .expect("matchbox-window-manager (apt-get install --no-install-recommends matchbox-window-manager)");
        let (x, n) = x11rb::connect(Some(&format!(":{}", screen.display))).expect("connect to Xvfb");
        let root = x.setup().roots[n].root;
        let glass = Glass { wm, screen, x, root };
        glass.wait_for_window_manager();
        glass
    }

    /// Width and height.
    pub fn size(&self) -> (u32, u32) {
        self.screen.size
    }

    /// Waits until the window manager has announced itself on the root
    /// window (`_NET_SUPPORTING_WM_CHECK`), so the app's window is managed
    /// from its start.
    fn wait_for_window_manager(&self) {
        let atom = self.x.intern_atom(false, b"_NET_SUPPORTING_WM_CHECK").expect("intern").reply().expect("atom").atom;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let prop = self.x.get_property(false, self.root, atom, AtomEnum::WINDOW, 0, 1).expect("get_property");
            if prop.reply().is_ok_and(|p| p.value_len > 0) {
                return;
            }
            assert!(Instant::now() < deadline, "matchbox-window-manager did not start on :{}", self.screen.display);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Moves the pointer to `at` (a real motion event) and waits until the server has it.
    pub fn point(&self, at: (i16, i16)) {
        self.x.xtest_fake_input(MOTION_NOTIFY_EVENT, 0, x11rb::CURRENT_TIME, self.root, at.0, at.1, 0).expect("motion");
        self.x.sync().expect("sync");
    }

    /// Queues a press of the first button where the pointer is (see [`Glass::send`]).
    pub fn press(&self) {
        self.x.xtest_fake_input(BUTTON_PRESS_EVENT, 1, x11rb::CURRENT_TIME, self.root, 0, 0, 0).expect("press");
    }

    /// Queues its release.
    pub fn release(&self) {
        self.x.xtest_fake_input(BUTTON_RELEASE_EVENT, 1, x11rb::CURRENT_TIME, self.root, 0, 0, 0).expect("release");
    }

    /// Writes what is queued to the X server in one write. Returns the
    /// instant taken right before that write, and how long after it the
    /// server had processed it (a round trip: XSync).
    pub fn send(&self) -> (Instant, Duration) {
        let t0 = Instant::now();
        self.x.flush().expect("flush");
        self.x.sync().expect("sync");
        (t0, t0.elapsed())
    }

    /// The whole screen, 4 bytes a pixel (Xvfb's 24-bit depth in 32-bit pixels).
    pub fn capture(&self) -> Vec<u8> {
        let (w, h) = self.size();
        self.x
            .get_image(ImageFormat::Z_PIXMAP, self.root, 0, 0, w as u16, h as u16, !0)
            .expect("get_image")
            .reply()
            .expect("the screen's pixels")
            .data
    }

    /// `n` captures, `gap` apart.
    pub fn captures(&self, n: usize, gap: Duration) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                if i > 0 {
                    std::thread::sleep(gap);
                }
                self.capture()
            })
            .collect()
    }

    /// The full-width rows `ys`, all requested before the first reply is
    /// awaited (one round trip for them all).
    pub fn rows(&self, ys: &[u16]) -> Vec<Vec<u8>> {
        let w = self.size().0 as u16;
        let cookies: Vec<_> = ys
            .iter()
            .map(|&y| self.x.get_image(ImageFormat::Z_PIXMAP, self.root, 0, y as i16, w, 1, !0).expect("get_image"))
            .collect();
        cookies.into_iter().map(|c| c.reply().expect("a row of pixels").data).collect()
    }
}

impl Drop for Glass {
    fn drop(&mut self) {
        kiosk_e2e::terminate(&mut self.wm);
    }
}

/// Rows of pixels that tell one screen from another.
///
/// The same screen is not always drawn to the same bytes: WebKit repaints
/// what changed, and the anti-aliased edge of a rounded box can come out a
/// few levels different depending on the region it was painted with (seen:
/// a dozen pixels off by up to 18 of 255). So a pixel counts as different
/// only by more than [`LEVELS`] in some channel, and a row shows the new
/// screen when at most a tenth of the pixels that tell the two screens apart
/// in it are still off. A row half drawn is not the new screen.
#[derive(Clone)]
pub struct Signature {
    /// Which rows (y).
    pub ys: Vec<u16>,
    /// Their pixels on the screen to recognise.
    want: Vec<Vec<u8>>,
    /// Their pixels on the screen before it, for each row that did not
    /// change there while it was captured (`None`: it did).
    before: Vec<Option<Vec<u8>>>,
    /// For each row, how many pixels may be off and it still counts.
    slack: Vec<usize>,
}

/// How far a channel may be off (of 255) for a pixel still to count as the same.
const LEVELS: u8 = 32;
/// The fewest pixels of a row that must tell the two screens apart for it to be used.
const MIN_CHANGED: usize = 16;

/// Pixels (4 bytes each) of `a` and `b` that differ by more than [`LEVELS`] in some channel.
fn changed(a: &[u8], b: &[u8]) -> usize {
    a.chunks_exact(4)
        .zip(b.chunks_exact(4))
        .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > LEVELS))
        .count()
}

impl Signature {
    /// From captures of the screen before (`a`) and after (`b`) a change, at
    /// `width` pixels a row: up to [`ROWS`] rows, spread over all rows that
    /// hold still in every capture of `b` and differ from every capture of
    /// `a` in at least [`MIN_CHANGED`] pixels (so a caret blinking or a pulse
    /// on the new screen cannot make it look unfinished).
    pub fn between(a: &[Vec<u8>], b: &[Vec<u8>], width: u32) -> Result<Signature, String> {
        let stride = width as usize * 4;
        let row = |img: &Vec<u8>, y: usize| img[y * stride..(y + 1) * stride].to_vec();
        let height = b[0].len() / stride;
        let candidates: Vec<usize> = (0..height)
            .filter(|&y| b.iter().all(|img| changed(&row(img, y), &row(&b[0], y)) == 0))
            .filter(|&y| a.iter().all(|img| changed(&row(img, y), &row(&b[0], y)) >= MIN_CHANGED))
            .collect();
        if candidates.is_empty() {
            return Err("no row of the screen changed and then held still".into());
        }
        let n = candidates.len();
        let picks: Vec<usize> =
            if n <= ROWS { candidates } else { (0..ROWS).map(|i| candidates[i * (n - 1) / (ROWS - 1)]).collect() };
        let before = picks
            .iter()
            .map(|&y| a.iter().all(|img| changed(&row(img, y), &row(&a[0], y)) == 0).then(|| row(&a[0], y)))
            .collect();
        Ok(Signature {
            ys: picks.iter().map(|&y| y as u16).collect(),
            want: picks.iter().map(|&y| row(&b[0], y)).collect(),
            before,
            slack: picks.iter().map(|&y| changed(&row(&a[0], y), &row(&b[0], y)) / 10).collect(),
        })
    }

    /// Whether `rows` (read at [`Signature::ys`]) show the screen.
    pub fn shown(&self, rows: &[Vec<u8>]) -> bool {
        rows.iter().zip(&self.want).zip(&self.slack).all(|((r, w), &slack)| changed(r, w) <= slack)
    }

    /// Whether `rows` show the screen before, where it held still.
    pub fn before_shown(&self, rows: &[Vec<u8>]) -> bool {
        rows.iter()
            .zip(&self.before)
            .zip(&self.slack)
            .all(|((r, b), &slack)| b.as_ref().is_none_or(|b| changed(r, b) <= slack))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An image 40 pixels wide, row `y` filled with the grey `rows[y]`.
    fn image(rows: &[u8]) -> Vec<u8> {
        rows.iter().flat_map(|&v| [v; 160]).collect()
    }

    #[test]
    fn a_signature_takes_rows_that_changed_and_hold_still() {
        let a = [image(&[10, 10, 10, 10, 90]), image(&[10, 10, 10, 10, 80])];
        // Row 0 kept its pixels, row 2 blinks on the new screen: neither can tell it.
        let b = [image(&[10, 200, 150, 200, 200]), image(&[10, 200, 250, 200, 200])];
        let sig = Signature::between(&a, &b, 40).unwrap();
        assert_eq!(sig.ys, vec![1, 3, 4], "only rows that changed and hold still identify the new screen");
        let new = vec![200; 160];
        assert!(sig.shown(&[new.clone(), new.clone(), new.clone()]));
        let mut aliased = new.clone();
        aliased[..8].copy_from_slice(&[180, 180, 180, 0, 230, 230, 230, 0]);
        assert!(sig.shown(&[aliased.clone(), new.clone(), new.clone()]), "an edge a few levels off is the same screen");
        aliased[..16].fill(10);
        assert!(sig.shown(&[aliased.clone(), new.clone(), new.clone()]), "a tenth of a row may be off");
        let mut half = new.clone();
        half[..80].fill(10);
        assert!(!sig.shown(&[new.clone(), half, new.clone()]), "a half-drawn screen is not the new screen");
        assert!(
            sig.before_shown(&[vec![10; 160], vec![10; 160], vec![70; 160]]),
            "a row that moved before is not checked"
        );
        assert!(!sig.before_shown(&[vec![10; 160], new, vec![70; 160]]));
        assert!(Signature::between(&a, &a, 40).is_err(), "no change, no signature");
    }
}
