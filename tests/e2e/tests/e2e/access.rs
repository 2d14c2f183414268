//! Accessibility, as a visitor meets it: the whole visit (read a section,
//! play a track, sign up) with the arrow keys and Enter alone, speech on,
//! each step's words checked and the speech heard on a sound device that
//! plays at real time and records (a private PulseAudio null sink); large
//! text, high contrast and reach mode laid out in both orientations with
//! nothing cut off and every control in the reach band; the "more time"
//! prompt before the reset, and a next visitor who starts plain.
//!
//! The keypad's reach (controls reached ÷ controls on screen) is asserted
//! and printed; the timed measurement, key → speech heard, is the bench
//! (`kiosk-speech-bench`).

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use kiosk_testsupport::pulse::{Pulse, Recording};

use super::*;

/// The sink's rate (see `kiosk_testsupport::pulse`).
const RATE: f64 = 48_000.0;
/// Louder than this is sound (espeak-ng speaks at about 0.3–0.6 of full scale).
const SOUND: f32 = 0.01;

/// What the speech status says now: the last utterance and how many there were.
async fn speaking(k: &Kiosk) -> (String, u64) {
    let v = k
        .client
        .execute(
            "const s = document.querySelector('[data-testid=speech-status]');
             return [s.getAttribute('data-speaking') || '', Number(s.getAttribute('data-count') || 0)];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_str().unwrap_or_default().to_string(), v[1].as_u64().unwrap_or(0))
}

/// Waits for an utterance after the `count`th, and returns it.
async fn next_utterance(k: &Kiosk, count: u64) -> (String, u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = speaking(k).await;
        if now.1 > count {
            return now;
        }
        assert!(Instant::now() < deadline, "nothing was said after utterance {count}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until an utterance after the `count`th satisfies `want` (a press
/// may first re-say the item, then what it caused), and returns it.
async fn said_soon(k: &Kiosk, count: u64, want: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let (said, now) = speaking(k).await;
        if now > count && want(&said) {
            return said;
        }
        assert!(Instant::now() < deadline, "never said what was expected; last: {said:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The keypad's ringed item: its test id (or tag), its spoken label as the page gives it, and its text.
async fn focused(k: &Kiosk) -> serde_json::Value {
    k.client
        .execute(
            "const el = document.querySelector('[data-focused=true]');
             if (!el) return null;
             return { id: el.getAttribute('data-testid') || el.tagName.toLowerCase(),
                      text: (el.getAttribute('aria-label') || el.innerText || el.value || '').replace(/\\s+/g, ' ').trim() };",
            vec![],
        )
        .await
        .unwrap()
}

/// Presses ↓ until the ringed item matches `want` (CSS); each stop says the item.
async fn move_to(k: &Kiosk, want: &str) -> (String, u64) {
    for _ in 0..120 {
        let (_, count) = speaking(k).await;
        k.press(Key::Down).await;
        let said = next_utterance(k, count).await;
        let hit = k
            .client
            .execute(
                "return !!document.querySelector('[data-focused=true]')?.matches(arguments[0]);",
                vec![want.into()],
            )
            .await
            .unwrap();
        if hit == serde_json::Value::Bool(true) {
            return said;
        }
    }
    panic!("the keypad never reached {want}");
}

/// The span of sound in `rec` between `from` and `to`: its length.
fn sound_length(rec: &Recording, from: Instant, to: Instant) -> Duration {
    let frames = rec.between(from, to);
    let loud = |f: &[f32; 2]| f.iter().any(|x| x.abs() > SOUND);
    let first = frames.iter().position(loud);
    let last = frames.iter().rposition(loud);
    match (first, last) {
        (Some(a), Some(b)) => Duration::from_secs_f64((b - a) as f64 / RATE),
        _ => Duration::ZERO,
    }
}

/// Waits until `rec` has been quiet for half a second (speech done), at most `most`.
async fn until_quiet(rec: &Recording, most: Duration) -> Instant {
    let start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let now = Instant::now();
        let recent = rec.between(now - Duration::from_millis(650), now - Duration::from_millis(150));
        if !recent.is_empty() && recent.iter().all(|f| f.iter().all(|x| x.abs() <= SOUND)) {
            return now;
        }
        if now - start > most {
            return now;
        }
    }
}

/// Every visible control on screen (top layer) vs those the keypad reaches.
async fn keypad_reach(k: &Kiosk) -> (u64, u64) {
    // Walk the whole ring once and count the distinct controls it stopped on.
    let total = k
        .client
        .execute(
            "const sel = 'button, a[href], input, select, textarea';
             const dialogs = [...document.querySelectorAll(\"[role='dialog']\")].filter(d => d.getClientRects().length);
             const layer = dialogs.at(-1) || document.body;
             return [...layer.querySelectorAll(sel)].filter(el => el.getClientRects().length
               && !el.closest('[inert], [aria-hidden=true]') && getComputedStyle(el).visibility !== 'hidden'
               && el.tabIndex >= 0).length;",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut first = None;
    for _ in 0..400 {
        k.press(Key::Down).await;
        let path = k
            .client
            .execute(
                "const el = document.querySelector('[data-focused=true]'); if (!el) return '';
                 const p = []; for (let e = el; e && e !== document.body; e = e.parentElement)
                   p.push(e.tagName + ':' + [...e.parentElement.children].indexOf(e));
                 return (el.matches('button, a[href], input, select, textarea') ? 'C ' : 'T ') + p.join('/');",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string();
        if first.as_deref() == Some(path.as_str()) {
            break;
        }
        if first.is_none() {
            first = Some(path.clone());
        }
        if path.starts_with("C ") {
            seen.insert(path);
        }
    }
    (seen.len() as u64, total)
}

#[tokio::test]
async fn a_visitor_who_cannot_see_reads_plays_and_signs_up_with_arrows_and_enter_alone() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let pulse = match Pulse::start(dir.path()) {
        Ok(p) => p,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED the speech test: {why}");
            return;
        }
        Err(why) => panic!("./dev installs PulseAudio for this test, yet: {why}"),
    };
    let k = Kiosk::start(Options {
        name: "access-speech".into(),
        audio: Audio::Asoundrc(pulse.asoundrc()),
        // Long enough for the whole visit by keys: the keypad multiplies it anyway.
        extra_config: "idle_timeout_secs = 120\n".into(),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    let rec = pulse.record();

    // The first key switches speech on and says where the visitor is and how to go on.
    let (_, count) = speaking(&k).await;
    let at = k.press(Key::Down).await;
    let (said, _) = next_utterance(&k, count).await;
    assert!(said.contains("Speech is on."), "the first key says speech is on: {said:?}");
    assert!(said.contains("arrows"), "and how to use the keypad: {said:?}");
    rec.wait_sound_after(at, SOUND, Duration::from_secs(5)).expect("the welcome is heard");
    let end = until_quiet(&rec, Duration::from_secs(20)).await;
    let length = sound_length(&rec, at, end);
    // About 14 characters a second at espeak-ng's 175 words a minute: half to twice that.
    let plausible = Duration::from_secs_f64(said.chars().count() as f64 / 30.0)
        ..Duration::from_secs_f64(said.chars().count() as f64 / 6.0);
    assert!(plausible.contains(&length), "{} characters were heard for {length:?}, not {plausible:?}", said.len());

    // Read a section: reach its tile, Enter, then its first paragraph.
    let said = move_to(&k, "[data-testid=section-link]").await.0;
    let tile = focused(&k).await;
    assert_eq!(said, tile["text"].as_str().unwrap(), "a tile is said as it reads");
    let (_, count) = speaking(&k).await;
    let at = k.press(Key::Enter).await;
    k.wait_testid("section-view").await;
    let (said, count) = next_utterance(&k, count).await;
    assert_eq!(said, format!("{}.", tile["text"].as_str().unwrap()), "the new screen says its title");
    rec.wait_sound_after(at, SOUND, Duration::from_secs(5)).expect("the title is heard");
    let _ = count;
    let said = move_to(&k, "article p").await.0;
    let paragraph = focused(&k).await;
    assert_eq!(said, paragraph["text"].as_str().unwrap(), "a paragraph is read as written");
    assert!(said.len() > 40, "a paragraph of the section was read: {said:?}");
    // Back, by the keypad's Back key.
    let (_, count) = speaking(&k).await;
    k.press(Key::Backspace).await;
    k.wait_testid("home").await;
    next_utterance(&k, count).await;

    // Play a track.
    move_to(&k, "[data-testid=music-link]").await;
    k.press(Key::Enter).await;
    k.wait_testid("music-view").await;
    let mut reach = vec![("music", keypad_reach(&k).await)];
    let said = move_to(&k, "[data-testid=track-play]").await.0;
    assert!(said.starts_with("Play: "), "a play button says what it plays: {said:?}");
    let (_, count) = speaking(&k).await;
    k.press(Key::Enter).await;
    said_soon(&k, count, |s| s.starts_with("Pause: ")).await;
    let state = k.wait_testid("now-playing").await.attr("data-state").await.unwrap();
    assert_eq!(state.as_deref(), Some("playing"), "Enter played the track");
    let (_, count) = speaking(&k).await;
    k.press(Key::Enter).await;
    said_soon(&k, count, |s| s.starts_with("Play: ")).await;
    let state = k.wait_testid("now-playing").await.attr("data-state").await.unwrap();
    assert_eq!(state.as_deref(), Some("paused"), "Enter again paused it: what is heard next is speech alone");
    k.press(Key::Backspace).await;
    k.wait_testid("home").await;

    // Sign up: type the address on the on-screen keyboard by keys, hear it read back,
    // hear the error for the missing tick, tick, send, hear the thanks.
    move_to(&k, "[data-testid=signup-link]").await;
    k.press(Key::Enter).await;
    k.wait_testid("signup-view").await;
    reach.push(("signup", keypad_reach(&k).await));
    for ch in ["a", "@", "b", ".", "k", "z"] {
        // Move to the key whose face is `ch`.
        let mut found = false;
        for _ in 0..120 {
            let (_, count) = speaking(&k).await;
            k.press(Key::Down).await;
            next_utterance(&k, count).await;
            let f = focused(&k).await;
            if f["text"].as_str() == Some(ch) && f["id"] == "button" {
                found = true;
                break;
            }
        }
        assert!(found, "the keypad reaches the on-screen key {ch}");
        k.press(Key::Enter).await;
    }
    let email = k.wait_testid("signup-email").await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(email, "a@b.kz", "typed with the keypad on the on-screen keyboard");
    move_to(&k, "[data-testid=signup-email]").await;
    let (_, count) = speaking(&k).await;
    k.press(Key::Enter).await;
    let (said, _) = next_utterance(&k, count).await;
    assert_eq!(said, "a@b.kz", "Enter on the field reads back what was typed");
    move_to(&k, "[data-testid=signup-submit]").await;
    let (_, count) = speaking(&k).await;
    k.press(Key::Enter).await;
    said_soon(&k, count, |s| s.contains("tick the box")).await;
    move_to(&k, "[data-testid=signup-consent]").await;
    let (_, count) = speaking(&k).await;
    k.press(Key::Enter).await;
    let (said, _) = next_utterance(&k, count).await;
    assert!(said.ends_with(". on"), "the box says it is ticked: {said:?}");
    move_to(&k, "[data-testid=signup-submit]").await;
    let (_, count) = speaking(&k).await;
    let at = k.press(Key::Enter).await;
    k.wait_testid("signup-thanks").await;
    said_soon(&k, count, |s| s.starts_with("Thank you")).await;
    rec.wait_sound_after(at, SOUND, Duration::from_secs(5)).expect("the thanks is heard");

    // Every control on the home screen is reached by the keypad.
    k.press(Key::Backspace).await;
    k.wait_testid("home").await;
    reach.push(("home", keypad_reach(&k).await));
    for (screen, (reached, total)) in reach {
        println!("keypad reaches {reached} of {total} controls on the {screen} screen");
        assert_eq!(reached, total, "every control of the {screen} screen is reachable by keypad");
    }
    k.stop().await;
}

/// Opens the accessibility options and presses each of `switches` (test ids).
async fn switch_on(k: &Kiosk, switches: &[&str]) {
    k.wait_testid("a11y-toggle").await.click().await.unwrap();
    for s in switches {
        let b = k.wait_testid(s).await;
        b.click().await.unwrap();
        let pressed = b.attr("aria-pressed").await.unwrap();
        assert_eq!(pressed.as_deref(), Some("true"), "{s} is on");
    }
    k.wait_testid("a11y-close").await.click().await.unwrap();
}

/// Text that is cut off (by its own box or a clipping parent that does not
/// scroll), body text whose capitals are under 4.8 mm on this screen, and in
/// high contrast, text under 7:1 against what is behind it (WCAG AAA).
async fn layout_faults(k: &Kiosk, large: bool) -> Vec<String> {
    let v = k
        .client
        .execute(
            r#"const out = [];
               const pxPerMm = Number(document.documentElement.dataset.pxPerMm || 0);
               const large = arguments[0];
               const contrast = document.documentElement.classList.contains('a11y-contrast');
               for (const el of document.querySelectorAll('.kiosk *, [role=dialog] *')) {
                 if (!el.getClientRects().length) continue;
                 const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
                 if (!own) continue;
                 const s = getComputedStyle(el);
                 if (s.visibility === 'hidden' || el.closest('[aria-hidden=true]')) continue;
                 const name = el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '"';
                 // A deliberate ellipsis (an excerpt whose whole text is a tap away) is no fault.
                 const clamped = s.webkitLineClamp !== 'none' && s.webkitLineClamp !== '' || s.textOverflow === 'ellipsis';
                 if (!clamped && s.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) out.push('cut across: ' + name);
                 const r = el.getBoundingClientRect();
                 if (r.right > innerWidth + 1 || r.left < -1) out.push('off the screen\'s side: ' + name);
                 for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                   const ps = getComputedStyle(p);
                   if (ps.overflowY === 'auto' || ps.overflowY === 'scroll') break;
                   if (ps.overflowX === 'visible' && ps.overflowY === 'visible') continue;
                   if (clamped || p.closest('[data-clamp]')) break;
                   const pr = p.getBoundingClientRect();
                   // Hidden whole (an event that did not fit) is left out, not cut; partly shown is cut.
                   const inside = r.right > pr.left && r.left < pr.right && r.bottom > pr.top && r.top < pr.bottom;
                   if (inside && (r.right > pr.right + 1 || r.left < pr.left - 1 || r.bottom > pr.bottom + 1))
                     out.push('clipped: ' + name);
                   break;
                 }
                 if (contrast) {
                   // rgb()/rgba() in 0–255, or color(srgb …) in 0–1 (what color-mix() computes to).
                   const rgba = (c) => {
                     const n = (c.match(/[\d.]+/g) || []).map(Number);
                     return c.startsWith('color(') ? [n[0] * 255, n[1] * 255, n[2] * 255, n[3] ?? 1] : n;
                   };
                   const [fr, fg, fb, fa = 1] = rgba(s.color);
                   let bg = [255, 255, 255];
                   const layers = [];
                   for (let p = el; p; p = p.parentElement) {
                     const [r, g, b, a = 1] = rgba(getComputedStyle(p).backgroundColor);
                     if (a > 0) layers.push([r, g, b, a]);
                     if (a >= 1) break;
                   }
                   for (const [r, g, b, a] of layers.reverse()) bg = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)];
                   const fgc = [fr * fa + bg[0] * (1 - fa), fg * fa + bg[1] * (1 - fa), fb * fa + bg[2] * (1 - fa)];
                   const lum = (c) => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
                   const [hi, lo] = [lum(fgc), lum(bg)].sort((a, b) => b - a);
                   const ratio = (hi + 0.05) / (lo + 0.05);
                   if (ratio < 7) out.push('contrast ' + ratio.toFixed(1) + ':1: ' + name);
                 }
                 if (large && el.closest('main') && pxPerMm > 0) {
                   const capMm = parseFloat(s.fontSize) * 0.714 / pxPerMm;
                   if (capMm < 4.8 - 0.05) out.push('capitals ' + capMm.toFixed(2) + ' mm: ' + name);
                 }
               }
               return out;"#,
            vec![large.into()],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// Controls outside the reach band (fractions of the screen's height from the top).
async fn out_of_reach(k: &Kiosk) -> Vec<String> {
    let v = k
        .client
        .execute(
            r#"const root = document.documentElement;
               const h = innerHeight;
               const top = parseFloat(getComputedStyle(root).getPropertyValue('--reach-top')) / 100 * h;
               const height = parseFloat(getComputedStyle(root).getPropertyValue('--reach-height')) / 100 * h;
               const out = [];
               for (const el of document.querySelectorAll('button, input, a[href]')) {
                 if (!el.getClientRects().length || el.closest('[aria-hidden=true], [inert]')) continue;
                 if (getComputedStyle(el).visibility === 'hidden') continue;
                 // What shows of it: a scrolling box shows only its own part (scrolled, the rest comes into the band).
                 const b = el.getBoundingClientRect();
                 const r = { top: b.top, bottom: b.bottom };
                 for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                   const ps = getComputedStyle(p);
                   if (ps.overflowY === 'visible') continue;
                   const pr = p.getBoundingClientRect();
                   r.top = Math.max(r.top, pr.top);
                   r.bottom = Math.min(r.bottom, pr.bottom);
                 }
                 if (r.bottom <= Math.max(r.top, 0) || r.top >= h) continue;
                 if (r.top < top - 1 || r.bottom > top + height + 1)
                   out.push((el.getAttribute('data-testid') || el.textContent.trim().slice(0, 20)) + ' at ' + Math.round(r.top) + '–' + Math.round(r.bottom) + ' px, band ' + Math.round(top) + '–' + Math.round(top + height));
               }
               return out;"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn large_text_high_contrast_and_reach_mode_fit_both_orientations() {
    let _one = ONE_AT_A_TIME.lock().await;
    for (orientation, size) in [("landscape", (1920, 1080)), ("portrait", (1080, 1920))] {
        let k = Kiosk::start(Options {
            name: format!("access-{orientation}"),
            size,
            // A 32-inch screen whose bottom edge is 30 in above the floor.
            extra_config: "idle_timeout_secs = 300\n[accessibility]\nscreen_diagonal_in = 32\nmount_height_in = 30\n"
                .into(),
            audio: Audio::Missing,
            ..Options::default()
        })
        .await;
        k.wait_testid("home").await;
        switch_on(&k, &["a11y-large", "a11y-contrast"]).await;
        let classes = k.client.execute("return document.documentElement.className;", vec![]).await.unwrap();
        assert!(classes.as_str().unwrap().contains("a11y-large"), "large text is on: {classes}");
        for screen in ["home", "section", "signup", "music"] {
            match screen {
                "home" => {}
                "section" => k.all_testid("section-link").await[0].click().await.unwrap(),
                "signup" => k.wait_testid("signup-link").await.click().await.unwrap(),
                _ => k.wait_testid("music-link").await.click().await.unwrap(),
            }
            k.wait_testid(&format!("{screen}{}", if screen == "home" { "" } else { "-view" })).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            k.screenshot(&format!("access-large-contrast-{screen}-{orientation}")).await;
            let faults = layout_faults(&k, true).await;
            assert!(faults.is_empty(), "large text on the {screen} screen ({orientation}): {faults:#?}");
            if screen != "home" {
                k.wait_testid("back").await.click().await.unwrap();
                k.wait_testid("home").await;
            }
        }
        if orientation == "portrait" {
            // 32 in portrait at 30 in: the top 35 % of the screen is above 48 in.
            k.wait_testid("a11y-toggle").await.click().await.unwrap();
            k.wait_testid("a11y-reach").await.click().await.unwrap();
            k.screenshot("access-reach-options-portrait").await;
            let faults = out_of_reach(&k).await;
            assert!(faults.is_empty(), "the options are within reach: {faults:#?}");
            k.wait_testid("a11y-close").await.click().await.unwrap();
            for screen in ["home", "signup"] {
                if screen == "signup" {
                    k.wait_testid("signup-link").await.click().await.unwrap();
                    k.wait_testid("signup-view").await;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                k.screenshot(&format!("access-reach-{screen}-portrait")).await;
                let faults = out_of_reach(&k).await;
                assert!(faults.is_empty(), "every control of {screen} in the reach band: {faults:#?}");
                let faults = layout_faults(&k, true).await;
                assert!(faults.is_empty(), "reach mode, {screen}: {faults:#?}");
            }
        }
        k.stop().await;
    }
}

/// A figure the speech status carries (`data-count`, `data-hints`).
async fn status_number(k: &Kiosk, attr: &str) -> u64 {
    let v = k.wait_testid("speech-status").await.attr(attr).await.unwrap();
    v.and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn more_time_is_asked_before_the_reset_and_the_next_visitor_starts_plain() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options {
        name: "access-more-time".into(),
        // Assisted visitors get three times the 6 s; attract mode says how to get speech every 3 s.
        extra_config: format!("{VISIT_CONFIG}\n[accessibility]\ntimeout_factor = 3\nattract_hint_secs = 3\n"),
        ..Options::default()
    })
    .await;
    // Attract mode's hint is said while the slides change (every 2 s): a new
    // slide must not start its wait again.
    wait_for_attract(&k).await;
    let deadline = Instant::now() + Duration::from_secs(12);
    while status_number(&k, "data-hints").await < 2 {
        assert!(Instant::now() < deadline, "attract mode never said how to get speech");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
    switch_on(&k, &["a11y-large"]).await;
    k.all_testid("section-link").await[0].click().await.unwrap();
    k.wait_testid("section-view").await;

    // Asked before the reset; answering gives the visit its time again.
    let prompt = k.wait_testid("more-time").await;
    let text = prompt.text().await.unwrap();
    assert!(text.contains("Do you need more time?"), "the prompt asks: {text}");
    k.screenshot("access-more-time").await;
    k.wait_testid("more-time-yes").await.click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!present(&k, "more-time").await, "answered, the prompt goes");
    assert!(present(&k, "section-view").await, "and the visitor is where they were");
    assert!(!present(&k, "attract").await);

    // Speech on (a touch on the options): the visit is assisted, and the next one must not be.
    switch_on(&k, &["a11y-speech"]).await;
    k.wait_testid("a11y-speech-off").await;
    k.screenshot("access-speech-on").await;
    // Not answered: the reset comes, and the next visitor starts plain.
    k.client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-testid=more-time]"))
        .await
        .expect("the assisted visitor is asked too");
    wait_for_attract(&k).await;
    assert!(!present(&k, "more-time").await, "the reset takes the prompt away");
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
    let plain = k
        .client
        .execute(
            "return [document.documentElement.className,
                     document.querySelector('[data-testid=speech-status]').getAttribute('data-on')];",
            vec![],
        )
        .await
        .unwrap();
    assert!(!plain[0].as_str().unwrap().contains("a11y-"), "no mode survives the visit: {plain}");
    assert_eq!(plain[1], "false", "speech is off for the next visitor");
    assert!(!present(&k, "a11y-speech-off").await, "and nothing says it is on");

    // With the keypad in use, the timeout is three times as long: 9 s pass with no prompt
    // (unassisted, it comes at 4 s; assisted, at 12 s).
    k.press(Key::Down).await;
    let on = k.wait_testid("speech-status").await.attr("data-on").await.unwrap();
    assert_eq!(on.as_deref(), Some("true"), "a keypad key switches speech on");
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert!(!present(&k, "more-time").await, "the keypad's visitor has more than 6 s");
    // And speech goes off with one touch on the way out, however it was switched on.
    k.wait_testid("a11y-speech-off").await.click().await.unwrap();
    let on = k.wait_testid("speech-status").await.attr("data-on").await.unwrap();
    assert_eq!(on.as_deref(), Some("false"), "one touch turns speech off");
    assert!(!present(&k, "attract").await, "and is not reset after 6 s");
    k.stop().await;
}

#[tokio::test]
async fn the_options_fit_in_every_shipped_language_left_to_right_and_right_to_left() {
    let _one = ONE_AT_A_TIME.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("solmara");
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("examples/second-embassy"), &content);
    let solmara = build(&content);
    // The demo's languages on a narrow portrait screen (Kazakh's long words), the
    // second embassy's in landscape (Arabic mirrors the screen, Chinese has no spaces).
    let runs = [
        ("demo", None, (1080, 1920), ["en", "kk", "ru"]),
        ("solmara", Some(solmara), (1920, 1080), ["ar", "zh", "fr"]),
    ];
    for (name, bundle, size, langs) in runs {
        let k = Kiosk::start(Options {
            name: format!("access-languages-{name}"),
            bundle,
            size,
            audio: Audio::Missing,
            extra_config: "idle_timeout_secs = 300\n".into(),
            ..Options::default()
        })
        .await;
        k.wait_testid("home").await;
        for lang in langs {
            k.wait_testid(&format!("lang-{lang}")).await.click().await.unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
            k.wait_testid("a11y-toggle").await.click().await.unwrap();
            k.wait_testid("a11y-panel").await;
            k.wait_testid("a11y-large").await.click().await.unwrap();
            k.screenshot(&format!("access-options-{lang}")).await;
            let faults = layout_faults(&k, true).await;
            assert!(faults.is_empty(), "the options with large text in {lang}: {faults:#?}");
            k.wait_testid("a11y-large").await.click().await.unwrap();
            k.wait_testid("a11y-close").await.click().await.unwrap();
        }
        k.stop().await;
    }
}
