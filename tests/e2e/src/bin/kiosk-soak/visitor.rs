//! The scripted visitor, through WebDriver as the e2e tests drive the kiosk:
//! every language with a section in each, the events, music, a signup, and
//! then away, so the idle reset brings attract mode back.
//!
//! Each step starts from the home screen (finding its way back from wherever
//! a failed step left it), and is retried once: a WebDriver hiccup over an
//! hour must not end the run, but what still fails is counted and named.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::elements::Element;
use kiosk_e2e::Kiosk;

use crate::IDLE_SECS;
use crate::sampling::Shared;

/// A step that takes longer than this counts as failed (and is retried once).
const STEP_DEADLINE: Duration = Duration::from_secs(60);

/// What the visitors did, what went wrong, and what a retry saved.
#[derive(Default)]
pub struct Tally {
    /// Per step: (failed after the retry, last error).
    pub failed: BTreeMap<&'static str, (u64, String)>,
    /// Per step: hiccups the retry got past.
    pub recovered: BTreeMap<&'static str, u64>,
    /// Addresses the kiosk thanked on screen.
    pub thanked: Vec<String>,
    /// Every address typed, thanked or not.
    pub attempted: BTreeSet<String>,
    /// Bundle versions dropped into the inbox.
    pub dropped: Vec<u64>,
    pub app_restarts: u64,
    /// WebDriver sessions WebKit ended with the page's web process (a renewal
    /// or a crash), each followed by a new session on the same app.
    pub sessions_ended: u64,
    /// Of those, the sessions that ended after a visitor woke the kiosk (a
    /// crash, or a renewal once a stalled step let attract mode come back).
    pub ended_mid_visit: Vec<&'static str>,
    /// Set when a step finds its session ended; the visit stops there.
    pub session_lost: bool,
}

/// Whether a WebDriver error says WebKit ended the session with the page's
/// web process ("session deleted because of page crash or hang").
pub fn session_ended(error: &str) -> bool {
    error.contains("invalid session id") || error.contains("session deleted")
}

type StepResult = Result<(), String>;

/// The step that ends attract mode.
const WAKE: &str = "wake from attract";

/// Runs `f` (under [`STEP_DEADLINE`]); on failure once more after a pause; a
/// second failure is counted. Returns whether the step got done.
async fn step<F, Fut>(tally: &mut Tally, shared: &Shared, start: Instant, name: &'static str, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StepResult>,
{
    for attempt in 1..=2 {
        let result = match tokio::time::timeout(STEP_DEADLINE, f()).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {STEP_DEADLINE:?}")),
        };
        match result {
            // Not the step's fault, and no retry can help: the visit ends here.
            Err(e) if session_ended(&e) => {
                let t = start.elapsed().as_secs();
                eprintln!(
                    "[{:02}:{:02}] {name}: the WebDriver session ended with the web process ({e})",
                    t / 60,
                    t % 60
                );
                tally.session_lost = true;
                // The wake is the visitor's first touch of attract mode, where a
                // renewal may just have begun; any later step is inside the visit.
                if name != WAKE {
                    tally.ended_mid_visit.push(name);
                }
                return false;
            }
            Ok(()) if attempt == 2 => {
                *tally.recovered.entry(name).or_default() += 1;
                return true;
            }
            Ok(()) => return true,
            Err(e) => {
                let t = start.elapsed().as_secs();
                eprintln!("[{:02}:{:02}] {name}: attempt {attempt} failed: {e}", t / 60, t % 60);
                if attempt == 2 {
                    let entry = tally.failed.entry(name).or_default();
                    entry.0 += 1;
                    entry.1 = e;
                    shared.failures.fetch_add(1, Ordering::Relaxed);
                } else {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
    false
}

pub fn css_testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

pub async fn wait_css(k: &Kiosk, css: &str, secs: u64) -> Result<Element, String> {
    k.client
        .wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("{css} never appeared: {e}"))
}

async fn present(k: &Kiosk, css: &str) -> bool {
    k.client.find_all(Locator::Css(css)).await.is_ok_and(|v| !v.is_empty())
}

async fn tap(k: &Kiosk, testid: &str) -> StepResult {
    wait_css(k, &css_testid(testid), 10).await?.click().await.map_err(|e| format!("tap {testid}: {e}"))
}

async fn tap_nth(k: &Kiosk, testid: &str, n: usize) -> StepResult {
    wait_css(k, &css_testid(testid), 10).await?;
    let all = k.client.find_all(Locator::Css(&css_testid(testid))).await.map_err(|e| e.to_string())?;
    let count = all.len();
    all.into_iter().nth(n % count.max(1)).ok_or("none")?.click().await.map_err(|e| format!("tap {testid}: {e}"))
}

pub async fn js(k: &Kiosk, script: &str) -> Result<serde_json::Value, String> {
    k.client.execute(script, vec![]).await.map_err(|e| format!("script: {e}"))
}

/// Back to the home screen from wherever a failed step left the visitor.
async fn go_home(k: &Kiosk) -> StepResult {
    if present(k, &css_testid("attract")).await {
        tap(k, "attract").await?;
    } else if !present(k, &css_testid("home")).await && present(k, &css_testid("back")).await {
        tap(k, "back").await?;
    }
    wait_css(k, &css_testid("home"), 10).await.map(drop)
}

async fn now_playing(k: &Kiosk) -> Result<(String, String), String> {
    let v = js(
        k,
        "const n = document.querySelector('[data-testid=now-playing]'); return n ? [n.dataset.state, n.dataset.track] : null;",
    )
    .await?;
    let get = |i: usize| v.get(i).and_then(|s| s.as_str()).unwrap_or_default().to_string();
    Ok((get(0), get(1)))
}

/// Polls until the music is in `state` (within 5 s); returns the track.
async fn until_music(k: &Kiosk, state: &str) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (now, track) = now_playing(k).await?;
        if now == state {
            return Ok(track);
        }
        if Instant::now() > deadline {
            return Err(format!("music is {now:?}, not {state:?}"));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn switch_language(k: &Kiosk, code: &str) -> StepResult {
    go_home(k).await?;
    tap(k, &format!("lang-{code}")).await?;
    wait_css(k, &format!("[data-testid=\"lang-{code}\"][aria-pressed=\"true\"]"), 5).await.map(drop)
}

async fn open_section(k: &Kiosk, n: usize) -> StepResult {
    go_home(k).await?;
    tap_nth(k, "section-link", n).await?;
    wait_css(k, "[data-testid=section-view] article", 10).await?;
    tap(k, "back").await?;
    wait_css(k, &css_testid("home"), 10).await.map(drop)
}

async fn open_events(k: &Kiosk) -> StepResult {
    go_home(k).await?;
    tap(k, "events-link").await?;
    wait_css(k, &css_testid("event-item"), 10).await?;
    tap(k, "back").await
}

/// Play a track, turn the volume down and up, pause, skip to the next.
async fn music(k: &Kiosk, n: usize) -> StepResult {
    go_home(k).await?;
    tap(k, "music-link").await?;
    wait_css(k, &css_testid("music-view"), 10).await?;
    let items = k.client.find_all(Locator::Css(&css_testid("track-item"))).await.map_err(|e| e.to_string())?;
    let item = items.get(n % items.len().max(1)).ok_or("no tracks listed")?;
    let play = item.find(Locator::Css("[data-testid=track-play]")).await.map_err(|e| e.to_string())?;
    play.click().await.map_err(|e| e.to_string())?;
    let first = until_music(k, "playing").await?;
    tap(k, "volume-down").await?;
    tap(k, "volume-up").await?;
    play.click().await.map_err(|e| e.to_string())?;
    until_music(k, "paused").await?;
    tap(k, "music-next").await?;
    let next = until_music(k, "playing").await?;
    if next == first {
        return Err(format!("next did not change the track ({first})"));
    }
    tap(k, "back").await
}

/// A signup through the form; `Ok` once "thank you" is on screen.
async fn signup(k: &Kiosk, email: &str) -> StepResult {
    go_home(k).await?;
    tap(k, "signup-link").await?;
    let field = wait_css(k, &css_testid("signup-email"), 10).await?;
    field.click().await.map_err(|e| e.to_string())?;
    field.clear().await.map_err(|e| e.to_string())?;
    field.send_keys(email).await.map_err(|e| e.to_string())?;
    tap(k, "signup-consent").await?;
    tap(k, "signup-submit").await?;
    let answer = wait_css(k, "[data-testid=\"signup-thanks\"], [data-testid=\"signup-error\"]", 15).await?;
    match answer.attr("data-testid").await.map_err(|e| e.to_string())?.as_deref() {
        Some("signup-thanks") => Ok(()),
        _ => Err(format!("refused: {:?}", answer.attr("data-code").await.ok().flatten())),
    }
}

/// The visitor walks away: attract mode comes back, its slides change, the music is silenced.
async fn walk_away(k: &Kiosk) -> StepResult {
    wait_css(k, &css_testid("attract-slide"), IDLE_SECS + 20).await?;
    let slide = "const s = document.querySelector('[data-testid=attract-slide]'); return s ? s.dataset.kind + '/' + s.dataset.id : '';";
    let first = js(k, slide).await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while js(k, slide).await? == first {
        if Instant::now() > deadline {
            return Err(format!("attract mode stayed on {first} for 5 s (slides every 1 s)"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    match now_playing(k).await?.0.as_str() {
        "playing" => Err("the last visitor's music still plays in attract mode".into()),
        _ => Ok(()),
    }
}

/// The next visitor touches attract mode: the home screen, in the default language.
async fn wake(k: &Kiosk, default_lang: &str) -> StepResult {
    tap(k, "attract").await?;
    wait_css(k, &css_testid("home"), 10).await?;
    wait_css(k, &format!("[data-testid=\"lang-{default_lang}\"][aria-pressed=\"true\"]"), 5)
        .await
        .map(drop)
        .map_err(|_| "the idle reset did not bring back the default language".to_string())
}

/// Who comes: visitor `n` of the run `run_id`, in a kiosk offering `langs` (the default first).
pub struct Visitor<'a> {
    pub n: usize,
    pub langs: &'a [String],
    pub run_id: u64,
    pub start: Instant,
}

/// One visitor: every language with a section in each, the events, music and a signup; then away.
pub async fn visit(k: &Kiosk, who: &Visitor<'_>, tally: &mut Tally, shared: &Shared) {
    let (n, start) = (who.n, who.start);
    let default_lang = who.langs.first().cloned().unwrap_or_else(|| "en".into());
    // A visit whose session ends (the web process was renewed between two
    // looks at attract mode, or crashed) stops at that step: the soak opens a
    // new session and the next visitor starts afresh.
    macro_rules! step {
        ($name:expr, $f:expr) => {{
            let done = step(tally, shared, start, $name, $f).await;
            if tally.session_lost {
                return;
            }
            done
        }};
    }
    step!(WAKE, || wake(k, &default_lang));
    // The default language last, so each language is switched into from another.
    for (i, lang) in who.langs.iter().enumerate().rev() {
        step!("switch language", || switch_language(k, lang));
        step!("open a section", || open_section(k, n + i));
    }
    step!("events", || open_events(k));
    step!("music", || music(k, n));
    let email = format!("soak.{}.{n}@example.org", who.run_id);
    tally.attempted.insert(email.clone());
    if step!("signup", || signup(k, &email)) {
        tally.thanked.push(email);
    }
    step!("walk away (idle reset)", || walk_away(k));
    shared.rounds.fetch_add(1, Ordering::Relaxed);
}

/// The steps `kiosk-soak --repeat` can repeat, one kind at a time.
pub const REPEATABLE: [&str; 11] = [
    "section",
    "section-js",
    "language",
    "events",
    "music",
    "signup-form",
    "signup-keys",
    "ipc",
    "reset",
    "idle",
    "reload",
];

/// Step `kind` of [`REPEATABLE`], for the `i`-th time, from the home screen
/// and back to it (`langs`: the kiosk's languages, the default first).
pub async fn repeat_step(k: &Kiosk, kind: &str, i: usize, langs: &[String]) -> StepResult {
    match kind {
        "section" => open_section(k, i).await,
        "section-js" => {
            // The same visit clicked by the page's own script: no WebDriver
            // element lookups, whose references WebDriver keeps for the
            // session (and with them every screen they were found on).
            let script = format!(
                "const done = arguments[arguments.length - 1];\
                 const wait = async (sel) => {{ for (let n = 0; n < 500; n++) {{ const e = document.querySelector(sel); \
                 if (e) return e; await new Promise((r) => setTimeout(r, 10)); }} throw new Error('no ' + sel); }};\
                 (async () => {{ await wait('[data-testid=home]'); const cards = document.querySelectorAll('.card'); \
                 cards[{i} % cards.length].click(); await wait('[data-testid=section-view]'); \
                 await new Promise((r) => setTimeout(r, 300)); (await wait('[data-testid=back]')).click(); \
                 await wait('[data-testid=home]'); }})().then(() => done('ok'), (e) => done(String(e)));"
            );
            let v = k.client.execute_async(&script, vec![]).await.map_err(|e| e.to_string())?;
            if v == "ok" { Ok(()) } else { Err(format!("section-js: {v}")) }
        }
        "reload" => {
            // The page loaded afresh in the same web process: what of the
            // growth is the page's, and given back with it.
            let _ = k.client.execute("setTimeout(() => location.reload(), 50); return 1;", vec![]).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            wait_css(k, &css_testid("home"), 20).await.map(drop)
        }
        "language" => {
            let other = &langs[1 + i % (langs.len() - 1).max(1)];
            switch_language(k, other).await?;
            switch_language(k, &langs[0]).await
        }
        "events" => open_events(k).await,
        "music" => music(k, i).await,
        "signup-form" => {
            // The form and its keyboard, typed into and left: no submit (the
            // lobby's signup limit would refuse most of a long run).
            go_home(k).await?;
            tap(k, "signup-link").await?;
            let field = wait_css(k, &css_testid("signup-email"), 10).await?;
            field.click().await.map_err(|e| e.to_string())?;
            field.send_keys(&format!("visitor{i}@example.org")).await.map_err(|e| e.to_string())?;
            tap(k, "back").await
        }
        "signup-keys" => {
            // The form typed into as a visitor does: on the screen's keyboard.
            go_home(k).await?;
            tap(k, "signup-link").await?;
            wait_css(k, &css_testid("osk"), 10).await?;
            let keys = k.client.find_all(Locator::Css("[data-testid=osk] .row:nth-child(2) button")).await;
            for key in keys.map_err(|e| e.to_string())?.iter().take(10) {
                key.click().await.map_err(|e| e.to_string())?;
            }
            tap(k, "back").await
        }
        "ipc" => {
            // The page's IPC alone: twenty round trips for the home screen's data.
            let script = "const done = arguments[arguments.length - 1];\
                (async () => { for (let n = 0; n < 20; n++) await window.__TAURI_INTERNALS__.invoke('home', { lang: null }); })()\
                .then(() => done('ok'), (e) => done(String(e)));";
            let v = k.client.execute_async(script, vec![]).await.map_err(|e| e.to_string())?;
            if v == "ok" { Ok(()) } else { Err(format!("ipc: {v}")) }
        }
        "reset" => {
            // The visitor walks away; the idle reset; the next one wakes the kiosk.
            wait_css(k, &css_testid("attract-slide"), IDLE_SECS + 20).await?;
            wake(k, &langs[0]).await
        }
        "idle" => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ok(())
        }
        other => Err(format!("no step {other:?}; one of {REPEATABLE:?}")),
    }
}
