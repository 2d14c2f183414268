//! The state the shell manages: the bundle on screen and the parts every
//! command and background thread shares, with the answers the UI asks for.

use std::sync::{Arc, Mutex, MutexGuard};

use kiosk_attract::Slide;
use kiosk_attract::driver::AttractHandle;
use kiosk_content::bundle::{EventView, Home, SectionView, TrackInfo};
use kiosk_content::{Bundle, BundleError, Clock};
use kiosk_health::UiReport;
use kiosk_player::{PlayerError, Status};
use kiosk_signups::consent::{Shown, Statement};
use kiosk_signups::intake::Form;

use crate::attract_music::Cue;
use crate::music::Music;
use crate::signups::{SignupError, SignupOutcome, Signups};
use crate::speech::Speech;
use crate::staff::Staff;

/// The kiosk: what is on screen and everything the commands share.
pub struct Kiosk {
    /// The bundle on screen; the content watcher swaps it ([`Kiosk::switch_to`]).
    bundle: Mutex<Bundle>,
    pub clock: Arc<dyn Clock>,
    /// The config's idle timeout, over the bundle's.
    pub idle_timeout_override: Option<u32>,
    pub attract: AttractHandle,
    pub music: Music,
    /// Speech for visitors who cannot see the screen, on the music's device.
    pub speech: Speech,
    /// The screen's size and mounting, for large text and reach mode.
    pub access: kiosk_config::AccessibilityConfig,
    pub signups: Signups,
    pub kiosk_id: String,
    /// What the UI last said it rendered: the heartbeat vouches for the UI only while these arrive.
    ui_report: Mutex<Option<(UiReport, std::time::Instant)>>,
    /// When the screen was last touched: on the wall clock (to compare with
    /// the UI's reports) and on the monotonic one (to time quiet).
    last_touch: Mutex<Option<std::time::Instant>>,
    /// The page's web process, as the shell sees it.
    web: Mutex<WebProcess>,
    /// Staff mode: PIN gate, session, counts.
    pub staff: Staff,
}

/// A track could not be played: the bundle could not give it, or the player could not play it.
#[derive(Debug, thiserror::Error)]
pub enum MusicError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Player(#[from] PlayerError),
}

/// The page's web process, for the heartbeat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebProcess {
    /// Its private memory at the last look, bytes.
    pub memory: Option<u64>,
    /// Renewed because it had grown, since start.
    pub renewals: u64,
    /// Ended on its own and replaced, since start.
    pub crashes: u64,
}

/// The parts a [`Kiosk`] is made of.
pub struct Parts {
    pub bundle: Bundle,
    pub clock: Arc<dyn Clock>,
    pub idle_timeout_override: Option<u32>,
    pub attract: AttractHandle,
    pub music: Music,
    pub speech: Speech,
    pub access: kiosk_config::AccessibilityConfig,
    pub signups: Signups,
    pub kiosk_id: String,
    pub staff: Staff,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves nothing half-changed here: each
    // guarded value is replaced whole (a bundle, a report) or read.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Kiosk {
    pub fn new(p: Parts) -> Kiosk {
        Kiosk {
            bundle: Mutex::new(p.bundle),
            clock: p.clock,
            idle_timeout_override: p.idle_timeout_override,
            attract: p.attract,
            music: p.music,
            speech: p.speech,
            access: p.access,
            signups: p.signups,
            kiosk_id: p.kiosk_id,
            ui_report: Mutex::new(None),
            last_touch: Mutex::new(None),
            web: Mutex::new(WebProcess::default()),
            staff: p.staff,
        }
    }

    /// The open bundle.
    pub fn bundle(&self) -> MutexGuard<'_, Bundle> {
        lock(&self.bundle)
    }

    /// The home screen in `lang` (the bundle's default when `None`).
    pub fn home(&self, lang: Option<&str>) -> Result<Home, BundleError> {
        home_view(&self.bundle(), lang, self.idle_timeout_override)
    }

    pub fn section(&self, id: &str, lang: Option<&str>) -> Result<SectionView, BundleError> {
        self.bundle().section(id, lang)
    }

    /// Events not yet over, by the kiosk's clock.
    pub fn upcoming_events(&self, lang: Option<&str>) -> Result<Vec<EventView>, BundleError> {
        self.bundle().upcoming_events(self.clock.now(), lang)
    }

    pub fn tracks(&self, lang: Option<&str>) -> Result<Vec<TrackInfo>, BundleError> {
        self.bundle().tracks(lang)
    }

    /// Puts `bundle` in front of visitors: every answer comes from it from
    /// now on and the attract loop gets its slides. Returns its version.
    pub fn switch_to(&self, bundle: Bundle) -> u64 {
        let version = bundle.meta().bundle_version;
        let slides = attract_slides(&bundle, self.clock.now());
        *self.bundle() = bundle;
        self.attract.content_changed(slides);
        version
    }

    /// Any touch on the screen: restarts the idle countdown, or leaves attract
    /// mode; with the staff panel open (it covers the screen) a staff touch.
    pub fn touch(&self) {
        *lock(&self.last_touch) = Some(std::time::Instant::now());
        self.attract.touch();
        self.staff.touched();
    }

    /// Whether attract mode is on as far as the UI has said, with no touch
    /// since it said so (a touch leaves attract mode before the UI's next report).
    /// Compared on the monotonic clock: a wall clock set back must not hold renewals back.
    pub fn attract_untouched(&self) -> bool {
        let touched = *lock(&self.last_touch);
        lock(&self.ui_report).as_ref().is_some_and(|(r, at)| r.screen == "attract" && touched.is_none_or(|t| t < *at))
    }

    /// How long since the screen was last touched (`None`: never).
    pub fn untouched_for(&self) -> Option<std::time::Duration> {
        lock(&self.last_touch).map(|at| at.elapsed())
    }

    /// The page's web process holds `bytes` of private memory now.
    pub fn web_memory(&self, bytes: Option<u64>) {
        lock(&self.web).memory = bytes;
    }

    /// The page's web process ended and a new one loads the page:
    /// `renewed` by the kiosk (it had grown), else on its own (a crash). A
    /// staff session closes with the page that showed its panel: the new page
    /// starts on the visitors' screens, whose touches must not keep it open.
    pub fn web_process_ended(&self, renewed: bool) {
        {
            let mut web = lock(&self.web);
            if renewed {
                web.renewals += 1;
            } else {
                web.crashes += 1;
            }
        }
        self.staff.close();
    }

    /// What the shell last said of the page's web process.
    pub fn web_process(&self) -> WebProcess {
        *lock(&self.web)
    }

    /// The page was loaded again in a new web process: attract mode, if on,
    /// sends its slide again (the page starts on its home screen).
    pub fn page_relaunched(&self) {
        self.attract.page_loaded();
    }

    /// The UI said what it shows.
    pub fn ui_rendered(&self, screen: String, items: u32, lang: String) {
        let report = UiReport { screen, items, lang, at_utc: jiff::Timestamp::now() };
        *lock(&self.ui_report) = Some((report, std::time::Instant::now()));
    }

    /// What the UI said last, if it said anything yet.
    pub fn ui_report(&self) -> Option<UiReport> {
        lock(&self.ui_report).as_ref().map(|(r, _)| r.clone())
    }

    /// A track's audio and length.
    pub fn track(&self, id: &str) -> Result<(Vec<u8>, u64), BundleError> {
        let b = self.bundle();
        let duration_ms = b.tracks(None)?.into_iter().find(|t| t.id == id).map_or(0, |t| t.duration_ms);
        Ok((b.track_audio(id)?, duration_ms))
    }

    /// The track `step` places from `id` in the bundle's order (see [`crate::tracks::step`]).
    pub fn track_step(&self, id: Option<&str>, step: isize) -> Option<String> {
        let ids: Vec<String> = self.bundle().tracks(None).ok()?.into_iter().map(|t| t.id).collect();
        crate::tracks::step(&ids, id, step)
    }

    /// Play/pause for one track: pauses it if playing, resumes it if paused,
    /// otherwise starts it from the beginning (stopping any other track).
    pub fn music_toggle(&self, id: &str) -> Result<Status, MusicError> {
        let mut player = self.music.lock();
        if !player.toggle_if_loaded(id)? {
            let (audio, duration_ms) = self.track(id)?;
            player.play(id, audio, duration_ms)?;
        }
        Ok(player.status())
    }

    /// Plays the next (`step` > 0) or previous (`step` < 0) track in the bundle's order.
    pub fn music_skip(&self, step: i32) -> Result<Status, MusicError> {
        let current = self.music.lock().status().track;
        if let Some(id) = self.track_step(current.as_deref(), step.signum() as isize) {
            let (audio, duration_ms) = self.track(&id)?;
            self.music.lock().play(&id, audio, duration_ms)?;
        }
        Ok(self.music.lock().status())
    }

    /// Plays track `id` for the kiosk's own reasons (attract mode, continuous
    /// play): failures are logged, not shown.
    pub fn play_track(&self, id: &str) {
        match self.track(id) {
            Ok((audio, duration_ms)) => {
                if let Err(e) = self.music.lock().play(id, audio, duration_ms) {
                    tracing::warn!("cannot play {id}: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot load {id}: {e}"),
        }
    }

    /// Continuous play: `track` played to its end, so the next one starts.
    pub fn play_after(&self, track: &str) {
        if let Some(next) = self.track_step(Some(track), 1) {
            self.play_track(&next);
        }
    }

    /// Does what attract mode's music policy asks (see [`crate::attract_music`]).
    pub fn follow(&self, cue: Cue) {
        match cue {
            Cue::Nothing => {}
            Cue::ResetVisitor => {
                self.staff.close();
                self.music.reset();
                self.speech.reset();
            }
            Cue::StartAttractMusic { volume } => {
                self.music.lock().set_volume(volume);
                if let Some(first) = self.track_step(None, 1) {
                    self.play_track(&first);
                }
            }
            Cue::HandBack => self.music.reset(),
        }
    }

    /// The signup consent statement in `lang` (falling back to the default
    /// language): its language, version, text and the text's SHA-256, which
    /// the UI sends back with the submit.
    pub fn consent(&self, lang: Option<&str>) -> Statement {
        let (lang, text, version) = self.bundle().consent(lang);
        Statement::new(lang, version, text)
    }

    /// Validates and durably stores a signup; `shown` names the statement the
    /// UI had on screen at the tap: if the bundle has another one for that
    /// language now, the answer is `consent_changed`.
    pub fn submit_signup(
        &self,
        email: &str,
        name: &str,
        consent: bool,
        shown: Shown<'_>,
    ) -> Result<SignupOutcome, SignupError> {
        let current = self.consent(Some(shown.lang));
        let form = Form { email, name, consent, shown, kiosk_id: &self.kiosk_id };
        self.signups.submit(form, &current)
    }
}

fn home_view(bundle: &Bundle, lang: Option<&str>, idle_timeout_override: Option<u32>) -> Result<Home, BundleError> {
    let mut home = bundle.home(lang)?;
    home.idle_timeout_secs = idle_timeout_override.unwrap_or(home.idle_timeout_secs);
    Ok(home)
}

/// What `home` and `upcoming_events` answer for the default language, as
/// JSON `{home, events}`: the shell puts it in the page before any script
/// runs, so the first screen renders without an IPC round trip. `None` when
/// the bundle cannot answer — the UI then asks over IPC and shows the error.
pub fn first_screen_json(bundle: &Bundle, now: jiff::Timestamp, idle_timeout_override: Option<u32>) -> Option<String> {
    let home = home_view(bundle, None, idle_timeout_override).ok()?;
    let events = bundle.upcoming_events(now, None).ok()?;
    serde_json::to_string(&serde_json::json!({ "home": home, "events": events })).ok()
}

/// Attract mode shows every section, then every upcoming event, in order.
pub fn attract_slides(bundle: &Bundle, now: jiff::Timestamp) -> Vec<Slide> {
    let sections = bundle.home(None).map(|h| h.sections).unwrap_or_default();
    let events = bundle.upcoming_events(now, None).unwrap_or_default();
    sections.iter().map(|s| Slide::section(&s.id)).chain(events.iter().map(|e| Slide::event(&e.id))).collect()
}
