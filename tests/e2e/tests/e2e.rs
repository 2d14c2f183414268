//! End-to-end: the real kiosk app in a real window under Xvfb, driven by WebDriver.
//!
//! Runs one kiosk at a time: two WebKit processes at once on a 2-core
//! machine only make each test slower and flakier.

use fantoccini::Locator;
use kiosk_e2e::{Audio, Kiosk, Options};

#[path = "e2e/never_dark.rs"]
mod never_dark;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[path = "e2e/visitor.rs"]
mod visitor;

const TITLES: [&str; 3] = ["Overview", "Political Reform", "Interreligious and Interethnic Consent"];
const OVERVIEW_FIRST_SENTENCE: &str = "The Constitution of the Republic of Kazakhstan approved through a national referendum in August 1995 and ratified the following month replaces an earlier “soviet-style” constitution adopted in the wake of independence from the Soviet Union.";

/// The home screen's section titles, read in one script call: a content update
/// may re-render the list at any moment, and element handles would go stale.
async fn section_titles(k: &Kiosk) -> Vec<String> {
    let titles = k
        .client
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=\"section-link\"]')).map(e => e.innerText.trim());",
            vec![],
        )
        .await
        .expect("read the section titles");
    serde_json::from_value(titles).expect("a list of strings")
}

/// The first line of the log at `path` containing `needle` (waits up to 20 s).
async fn wait_for_line(path: &std::path::Path, needle: &str) -> String {
    for _ in 0..200 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(needle)) {
            return line.to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no \"{needle}\" in {} within 20 s", path.display());
}

/// The home screen's events panel shows only the events that fit whole, and its
/// buttons stay inside it and on the screen, whatever the language and screen.
async fn assert_events_panel_fits(k: &Kiosk, when: &str) {
    let spilled = k
        .client
        .execute(
            r#"const panel = document.querySelector("aside.events");
               const p = panel.getBoundingClientRect();
               const out = [...panel.children]
                 .filter((el) => el.getBoundingClientRect().bottom > Math.min(p.bottom, innerHeight) + 0.5)
                 .map((el) => el.textContent.trim());
               const list = panel.querySelector("ul");
               if (list) {
                 const l = list.getBoundingClientRect();
                 for (const li of list.children) {
                   const r = li.getBoundingClientRect();
                   const shown = r.right <= l.right + 0.5;
                   if (shown && r.bottom > l.bottom + 0.5) out.push("cut: " + li.textContent.trim());
                 }
                 if (![...list.children].some((li) => li.getBoundingClientRect().right <= l.right + 0.5))
                   out.push("no event shown");
               }
               return out;"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(spilled, serde_json::json!([]), "the events panel spills over ({when})");
}

/// Taps the language switch's `code` and waits for the header to read `embassy`.
async fn switch_language(k: &Kiosk, code: &str, embassy: &str) {
    k.wait_testid(&format!("lang-{code}")).await.click().await.unwrap();
    k.client
        .wait()
        .at_most(std::time::Duration::from_secs(5))
        .for_element(Locator::XPath(&format!("//header//*[contains(text(), '{embassy}')]")))
        .await
        .unwrap_or_else(|_| panic!("the language switch to {code} changes the UI strings"));
}

/// Puts a finger down on `element` and keeps it there, until `lift`.
async fn hold(k: &Kiosk, element: fantoccini::elements::Element) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let press = MouseActions::new("finger".into())
        .then(PointerAction::MoveToElement { element, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT });
    k.client.perform_actions(press).await.expect("touch");
}

async fn lift(k: &Kiosk) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let up = MouseActions::new("finger".into()).then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    k.client.perform_actions(up).await.expect("lift the finger");
}

#[tokio::test]
async fn home_shows_the_seed_sections_and_overview_opens_with_its_text() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "home-landscape".into(), ..Options::default() }).await;

    k.wait_testid("home").await;
    assert_eq!(section_titles(&k).await, TITLES, "the home screen lists the seed's three sections in order");
    k.screenshot("home-landscape").await;
    assert_events_panel_fits(&k, "en landscape").await;
    // The first screen is drawn from what the shell put in the page, not over
    // IPC (which would cost the launch a round trip): the UI marks `ipc_start`
    // only when it had to fetch the first screen itself.
    let painted = wait_for_line(&k.app_log, "first content painted").await;
    assert!(
        painted.contains(" script=") && !painted.contains("ipc_start="),
        "first screen fetched over IPC: {painted}"
    );
    // The shell draws without GL (src-tauri/src/engine.rs): no GL driver, and
    // with it Mesa's LLVM (~20 MiB of PSS here), is loaded into it. The web process has its own.
    let shell = k.app_pids();
    assert!(!shell.is_empty(), "the app's process is found");
    for pid in shell {
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("the shell's maps");
        let mut gl: Vec<&str> = maps
            .lines()
            .filter_map(|l| l.split_whitespace().nth(5))
            .filter(|p| p.contains("libLLVM") || p.ends_with("_dri.so") || p.contains("_mesa.so"))
            .collect();
        gl.dedup();
        assert!(gl.is_empty(), "the shell loaded a GL driver: {gl:?}");
    }
    // The web process, where the page's scripts run, inherits the shell's
    // settings: JavaScriptCore without its JIT (engine.rs; ~6-10 MiB less).
    let web: Vec<u32> = k
        .app_pids()
        .into_iter()
        .flat_map(kiosk_e2e::procs::tree)
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "WebKitWebProces"))
        .collect();
    assert!(!web.is_empty(), "WebKit's web process is found");
    for pid in web {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("the web process's environment");
        assert!(environ.split(|&b| b == 0).any(|var| var == b"JSC_useJIT=0"), "the web process runs with the JIT on");
    }

    // Every touch shows it was touched: held down, the card is veiled (its
    // background only; see app.css), and the lift opens the section.
    let overview = k.all_testid("section-link").await.into_iter().next().expect("a first section");
    let card_look = "const c = getComputedStyle(document.querySelector('.card')); return [c.backgroundImage, c.transform, c.opacity];";
    let idle = k.client.execute(card_look, vec![]).await.unwrap();
    hold(&k, overview).await;
    let pressed = k.client.execute(card_look, vec![]).await.unwrap();
    k.screenshot("home-pressed").await;
    assert_eq!(idle[0], "none", "an untouched card is not veiled");
    assert!(pressed[0].as_str().unwrap().contains("gradient"), "a touched card is veiled: {pressed}");
    assert_eq!((&pressed[1], &pressed[2]), (&idle[1], &idle[2]), "the press changes no transform or opacity");
    lift(&k).await;
    let view = k.wait_testid("section-view").await;
    let text = view.text().await.expect("section text");
    assert!(
        text.contains(OVERVIEW_FIRST_SENTENCE),
        "the Overview shows the page's first sentence verbatim; got: {}",
        &text[..text.len().min(400)]
    );
    k.screenshot("section-landscape").await;

    k.wait_testid("back").await.click().await.expect("tap back");
    k.wait_testid("home").await;
    assert_eq!(section_titles(&k).await.len(), 3, "back returns to the home screen");
    k.stop().await;
}

/// Compares each shown event's day, month and time with Intl's for `arguments[0]`
/// (a locale); lists the differences.
const DATES_AS_INTL: &str = r#"
  const [locale, done] = arguments;
  window.__TAURI_INTERNALS__.invoke("upcoming_events", { lang: null }).then((events) => {
    const bad = [];
    for (const e of events) {
      const item = document.querySelector(`[data-testid=event-item][data-id="${e.id}"]`);
      if (!item || document.documentElement.lang !== locale.slice(0, 2)) {
        bad.push(`${e.id}: not shown in ${locale}`);
        continue;
      }
      const f = (o) => new Intl.DateTimeFormat(locale, { timeZone: e.timezone, ...o }).format(new Date(e.start));
      const want = [f({ day: "numeric" }), f({ month: "short" }).replace(".", ""), f({ hour: "2-digit", minute: "2-digit" })];
      const got = [item.querySelector(".day").textContent, item.querySelector(".mon").textContent];
      if (got[0] !== want[0] || got[1] !== want[1] || !item.textContent.includes(want[2])) {
        bad.push(`${e.id}: shows ${got.join(" ")}, Intl says ${want.join(" ")}`);
      }
    }
    done(bad);
  }, (e) => done([String(e)]));
"#;

#[tokio::test]
async fn events_view_lists_only_upcoming_events_soonest_first() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "events".into(), ..Options::default() }).await;
    k.wait_testid("home").await;
    k.wait_testid("events-link").await.click().await.expect("tap all events");
    k.wait_testid("events-view").await;
    let mut ids = Vec::new();
    for item in k.all_testid("event-item").await {
        ids.push(item.attr("data-id").await.expect("attr").expect("event-item has data-id"));
    }
    assert_eq!(
        ids,
        [
            "independence-day-2026",
            "film-evening-2027-01",
            "consular-info-2027-02",
            "nauryz-2027",
            "poetry-evening-2027-04",
            "dombra-day-2027"
        ],
        "at the test's fixed now (2026-11-28) past events are hidden and the rest come soonest first"
    );
    let first = k.client.find(Locator::Css("[data-testid=\"event-item\"]")).await.unwrap().text().await.unwrap();
    assert!(first.contains("18:00"), "times are shown in the embassy's zone (18:00 in New York): {first}");
    k.screenshot("events-landscape").await;
    // Day, month and time are read from each event's own wall-clock digits (no
    // ICU on the launch path): in every language they must say what WebKit's
    // Intl says for that instant in the embassy's zone.
    for (lang, locale) in [("en", "en-GB"), ("ru", "ru-RU"), ("kk", "kk-KZ")] {
        k.wait_testid(&format!("lang-{lang}")).await.click().await.expect("switch language");
        let mut bad = serde_json::Value::Null;
        for _ in 0..50 {
            bad = k.client.execute_async(DATES_AS_INTL, vec![serde_json::json!(locale)]).await.expect("compare dates");
            if bad.as_array().is_some_and(|a| a.is_empty()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(bad, serde_json::json!([]), "{lang}: event dates differ from Intl's");
    }
    k.stop().await;
}

#[tokio::test]
async fn portrait_screens_render() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options {
        name: "portrait".into(),
        size: (1080, 1920),
        extra_config: VISIT_CONFIG.into(),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    assert_eq!(section_titles(&k).await, TITLES);
    k.screenshot("home-portrait").await;
    assert_events_panel_fits(&k, "en portrait").await;
    switch_language(&k, "ru", "Посольство Казахстана").await;
    k.screenshot("home-portrait-ru").await;
    assert_events_panel_fits(&k, "ru portrait").await;
    switch_language(&k, "en", "Embassy of Kazakhstan").await;
    k.all_testid("section-link").await.into_iter().nth(2).expect("third section").click().await.unwrap();
    k.wait_testid("section-view").await;
    k.screenshot("section-portrait").await;
    k.wait_testid("back").await.click().await.unwrap();
    k.wait_testid("events-link").await.click().await.unwrap();
    k.wait_testid("events-view").await;
    k.screenshot("events-portrait").await;
    k.wait_testid("back").await.click().await.unwrap();
    k.wait_testid("music-link").await.click().await.unwrap();
    k.wait_testid("music-view").await;
    k.screenshot("music-portrait").await;
    k.wait_testid("back").await.click().await.unwrap();
    k.wait_testid("signup-link").await.click().await.unwrap();
    k.wait_testid("osk").await;
    k.screenshot("signup-portrait").await;
    // Left alone, it goes to attract mode: each slide must fit the tall screen too.
    wait_for_attract(&k).await;
    k.wait_testid("attract-slide").await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await; // past the fly-in
    let fits = k
        .client
        .execute(
            "const r = document.querySelector('[data-testid=attract-slide]').getBoundingClientRect();\
             return [r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight, r.bottom];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits[0], serde_json::json!(true), "the attract slide overflows the portrait screen: {fits}");
    k.screenshot("attract-portrait").await;
    k.stop().await;
}

#[tokio::test]
async fn at_4k_the_ui_is_laid_out_at_twice_the_size_not_scaled_up() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "4k".into(), size: (3840, 2160), ..Options::default() }).await;
    k.wait_testid("home").await;
    // The root size follows the screen's short side: 40 px at 2160, so text is
    // drawn at 4K resolution rather than a 1080p picture stretched.
    let root = k
        .client
        .execute("return parseFloat(getComputedStyle(document.documentElement).fontSize);", vec![])
        .await
        .unwrap();
    let root = root.as_f64().unwrap();
    assert!((root - 40.0).abs() < 0.1, "root font size {root} px at 4K (20 px at 1080p)");
    k.screenshot("home-4k").await;
    assert_events_panel_fits(&k, "en 4K").await;
    k.wait_testid("music-link").await.click().await.unwrap();
    k.wait_testid("music-view").await;
    k.screenshot("music-4k").await;
    k.stop().await;
}

const ATTRACT_CONFIG: &str = "idle_timeout_secs = 3\nattract_slide_secs = 2";
/// For tests that act as a visitor before going idle: each action is a touch,
/// so the only limit is a few seconds between actions.
const VISIT_CONFIG: &str = "idle_timeout_secs = 6\nattract_slide_secs = 2";

/// Waits for attract mode and touches it: a fresh visit with a full idle countdown,
/// whatever the app's start-up took.
async fn fresh_visit(k: &Kiosk) {
    wait_for_attract(k).await;
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
}

const ATTRACT_ORDER: [(&str, &str); 9] = [
    ("section", "overview"),
    ("section", "political-reform"),
    ("section", "interethnic-consent"),
    ("event", "independence-day-2026"),
    ("event", "film-evening-2027-01"),
    ("event", "consular-info-2027-02"),
    ("event", "nauryz-2027"),
    ("event", "poetry-evening-2027-04"),
    ("event", "dombra-day-2027"),
];

/// The attract slide on screen as (kind, id), or None outside attract mode.
async fn current_slide(k: &Kiosk) -> Option<(String, String)> {
    let v = k
        .client
        .execute(
            "const s = document.querySelector('[data-testid=attract-slide]'); return s ? [s.dataset.kind, s.dataset.id] : null;",
            vec![],
        )
        .await
        .expect("read the attract slide");
    let a = v.as_array()?;
    Some((a[0].as_str()?.to_string(), a[1].as_str()?.to_string()))
}

async fn present(k: &Kiosk, testid: &str) -> bool {
    !k.all_testid(testid).await.is_empty()
}

async fn wait_for_attract(k: &Kiosk) {
    k.client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("[data-testid=\"attract\"]"))
        .await
        .expect("attract mode starts after the idle timeout");
}

#[tokio::test]
async fn attract_mode_cycles_every_section_and_upcoming_event_and_a_touch_returns_home() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "attract".into(), extra_config: ATTRACT_CONFIG.into(), ..Options::default() })
        .await;
    k.wait_testid("home").await;
    assert!(!present(&k, "attract").await, "no attract mode while the visitor may still be there");
    wait_for_attract(&k).await;

    // Record slides in the order they appear until the loop wraps around.
    let mut seen: Vec<(String, String)> = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    while std::time::Instant::now() < deadline {
        if let Some(slide) = current_slide(&k).await
            && seen.last() != Some(&slide)
        {
            if seen.len() == ATTRACT_ORDER.len() {
                assert_eq!(slide, seen[0], "after the last slide the loop starts again at the first");
                break;
            }
            seen.push(slide);
        }
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
        if seen.len() == 2 {
            k.screenshot("attract-landscape-section").await;
        }
        if seen.len() == 5 && seen[4].0 == "event" {
            k.screenshot("attract-landscape-event").await;
        }
    }
    let expected: Vec<(String, String)> = ATTRACT_ORDER.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(seen, expected, "every section, then every upcoming event, in order");

    k.wait_testid("attract").await.click().await.expect("touch the attract screen");
    for _ in 0..50 {
        if !present(&k, "attract").await {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!present(&k, "attract").await, "a touch leaves attract mode");
    k.wait_testid("home").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!present(&k, "section-view").await, "the waking touch must not also open what lay under it");
    k.stop().await;
}

#[tokio::test]
async fn idle_reset_forgets_the_visitor_language_and_screen() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k =
        Kiosk::start(Options { name: "idle-reset".into(), extra_config: VISIT_CONFIG.into(), ..Options::default() })
            .await;
    fresh_visit(&k).await;
    switch_language(&k, "ru", "Посольство Казахстана").await;
    let titles = section_titles(&k).await;
    assert_eq!(titles[2], "Межрелигиозное и межэтническое согласие", "content follows the language");
    assert_eq!(titles[0], "Overview", "untranslated content falls back to the default language");
    k.screenshot("home-landscape-ru").await;
    // "Межрелигиозное" is wider than a card at the title's full size: no title may run past its card.
    let overflowing = k
        .client
        .execute(
            r#"return [...document.querySelectorAll("[data-testid=section-link]")].filter((b) => {
                 const text = document.createRange();
                 text.selectNodeContents(b);
                 return text.getBoundingClientRect().right > b.parentElement.getBoundingClientRect().right;
               }).map((b) => b.textContent);"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflowing, serde_json::json!([]), "titles run past their cards");
    // Russian and Kazakh words are longer: fewer events fit the panel.
    assert_events_panel_fits(&k, "ru landscape").await;
    switch_language(&k, "kk", "Қазақстан Елшілігі").await;
    k.screenshot("home-landscape-kk").await;
    assert_events_panel_fits(&k, "kk landscape").await;
    k.all_testid("section-link").await.into_iter().nth(2).unwrap().click().await.unwrap();
    k.wait_testid("section-view").await;

    wait_for_attract(&k).await;
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
    assert!(!present(&k, "section-view").await, "the open section is closed by the idle reset");
    let header = k.client.find(Locator::Css("header")).await.unwrap().text().await.unwrap();
    assert!(header.contains("Embassy of Kazakhstan"), "the language is back to the default: {header}");
    k.stop().await;
}

#[tokio::test]
async fn nothing_escapes_the_kiosk() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "lockdown".into(), ..Options::default() }).await;
    k.wait_testid("home").await;
    let start_url = k.client.current_url().await.unwrap();

    let r = k
        .client
        .execute(
            r#"
            const ev = new MouseEvent("contextmenu", { bubbles: true, cancelable: true, button: 2 });
            document.querySelector("[data-testid=home]").dispatchEvent(ev);
            const menuBlocked = ev.defaultPrevented;
            const opened = window.open("https://example.org/", "_blank");
            const zoom = new WheelEvent("wheel", { bubbles: true, cancelable: true, ctrlKey: true, deltaY: -100 });
            window.dispatchEvent(zoom);
            const reload = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, key: "r", ctrlKey: true });
            window.dispatchEvent(reload);
            const a = document.createElement("a");
            a.href = "https://example.org/";
            a.textContent = "outside";
            document.querySelector("[data-testid=home]").appendChild(a);
            a.click();
            return [menuBlocked, opened === null, zoom.defaultPrevented, reload.defaultPrevented];
            "#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        r,
        serde_json::json!([true, true, true, true]),
        "[context menu, window.open, ctrl+wheel zoom, ctrl+R] are all blocked"
    );
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(k.client.current_url().await.unwrap(), start_url, "a link to the outside does not navigate");
    assert_eq!(k.client.windows().await.unwrap().len(), 1, "no new window opened");

    // Navigation forced from script is refused by the shell itself.
    let _ = k.client.execute("window.location.href = 'https://example.org/'; return 1;", vec![]).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(k.client.current_url().await.unwrap(), start_url, "the shell refuses navigation away from the app");
    k.wait_testid("home").await;

    let selected = k
        .client
        .execute(
            r#"const t = document.querySelector("[data-testid=section-link]"); return getComputedStyle(t).webkitUserSelect || getComputedStyle(t).userSelect;"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(selected, serde_json::json!("none"), "no text selection outside inputs");
    k.stop().await;
}

async fn now_playing(k: &Kiosk) -> (String, String, u64) {
    let v = k
        .client
        .execute(
            "const n = document.querySelector('[data-testid=now-playing]'); return [n.dataset.state, n.dataset.track, Number(n.dataset.positionMs)];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_str().unwrap().into(), v[1].as_str().unwrap().into(), v[2].as_u64().unwrap())
}

#[tokio::test]
async fn tapping_a_track_plays_it_its_position_advances_and_pause_holds_it() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "music".into(), ..Options::default() }).await;
    k.wait_testid("home").await;
    k.wait_testid("music-link").await.click().await.unwrap();
    k.wait_testid("music-view").await;
    let items = k.all_testid("track-item").await;
    assert_eq!(items.len(), 3, "the three samples are listed");
    let play = items[1].find(Locator::Css("[data-testid=track-play]")).await.unwrap();
    play.click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let (state, track, first) = now_playing(&k).await;
    assert_eq!((state.as_str(), track.as_str()), ("playing", "caravan-road"), "tapping play starts that track");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, _, later) = now_playing(&k).await;
    assert!(later >= first + 700, "the position advances while playing ({first} → {later} ms)");
    k.screenshot("music-landscape").await;

    play.click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let (state, _, held) = now_playing(&k).await;
    assert_eq!(state, "paused", "tapping again pauses");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (_, _, still) = now_playing(&k).await;
    assert!(still.abs_diff(held) <= 100, "pause holds the position ({held} → {still} ms)");

    k.wait_testid("music-next").await.click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let (state, track, _) = now_playing(&k).await;
    assert_eq!((state.as_str(), track.as_str()), ("playing", "evening-song"), "next plays the following track");
    k.wait_testid("music-prev").await.click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(now_playing(&k).await.1, "caravan-road", "previous goes back");
    k.stop().await;
}

#[tokio::test]
async fn the_idle_reset_stops_the_visitors_music() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k =
        Kiosk::start(Options { name: "music-reset".into(), extra_config: VISIT_CONFIG.into(), ..Options::default() })
            .await;
    fresh_visit(&k).await;
    k.wait_testid("music-link").await.click().await.unwrap();
    k.wait_testid("music-view").await;
    let items = k.all_testid("track-item").await;
    items[0].find(Locator::Css("[data-testid=track-play]")).await.unwrap().click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(now_playing(&k).await.0, "playing");
    wait_for_attract(&k).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(now_playing(&k).await.0, "stopped", "entering attract mode stops the last visitor's music");
    k.stop().await;
}

#[tokio::test]
async fn with_no_sound_device_the_kiosk_says_so_and_works_on() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "no-audio".into(), audio: Audio::Missing, ..Options::default() }).await;
    k.wait_testid("home").await;
    assert_eq!(section_titles(&k).await, TITLES, "content shows without a sound card");
    k.wait_testid("music-link").await.click().await.unwrap();
    k.wait_testid("music-view").await;
    let items = k.all_testid("track-item").await;
    items[0].find(Locator::Css("[data-testid=track-play]")).await.unwrap().click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let text = k.wait_testid("music-view").await.text().await.unwrap();
    assert!(text.contains("Sound is not available"), "the visitor is told sound is unavailable: {text}");
    k.wait_testid("back").await.click().await.unwrap();
    k.wait_testid("events-link").await.click().await.unwrap();
    k.wait_testid("events-view").await;
    k.stop().await;
}

/// Types into a field the way WebDriver's keyboard does (the fields accept a
/// physical keyboard too; visitors use the on-screen one).
async fn type_into(k: &Kiosk, testid: &str, text: &str) {
    let field = k.wait_testid(testid).await;
    field.click().await.unwrap();
    field.send_keys(text).await.unwrap();
}

#[tokio::test]
async fn a_signup_is_validated_in_the_visitors_language_stored_and_thanked() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "signup".into(), ..Options::default() }).await;
    k.wait_testid("home").await;
    k.wait_testid("lang-ru").await.click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    k.wait_testid("signup-view").await;
    k.wait_testid("osk").await;

    // The on-screen keyboard types into the email field; a key held down shows it.
    for key in ["a", "i", "@"] {
        let button = k
            .client
            .find(Locator::XPath(&format!("//*[@data-testid='osk']//button[normalize-space(.)='{key}']")))
            .await
            .unwrap();
        if key != "@" {
            button.click().await.unwrap();
            continue;
        }
        hold(&k, button.clone()).await;
        let look = button.css_value("background-image").await.unwrap();
        k.screenshot("signup-key-pressed").await;
        lift(&k).await;
        assert!(look.contains("gradient"), "a held key is veiled: {look}");
    }
    let typed = k.wait_testid("signup-email").await.prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some("ai@"), "the on-screen keyboard types");
    k.screenshot("signup-landscape").await;
    k.wait_testid("signup-submit").await.click().await.unwrap();
    let error = k.wait_testid("signup-error").await;
    assert_eq!(error.attr("data-code").await.unwrap().as_deref(), Some("domain_empty"));
    assert!(error.text().await.unwrap().contains("После @"), "the error is in the visitor's language");

    type_into(&k, "signup-email", "example.kz").await;
    k.wait_testid("signup-submit").await.click().await.unwrap();
    let error = k.wait_testid("signup-error").await;
    assert_eq!(error.attr("data-code").await.unwrap().as_deref(), Some("consent_required"), "consent is required");

    k.wait_testid("signup-consent").await.click().await.unwrap();
    k.wait_testid("signup-submit").await.click().await.unwrap();
    let thanks = k.wait_testid("signup-thanks").await.text().await.unwrap();
    assert!(thanks.contains("Спасибо"), "thank you, in Russian: {thanks}");

    // The signup is on disk in the kiosk's own store.
    let store = k.dir.path().join("data/signups.sqlite");
    let conn = rusqlite::Connection::open(&store).unwrap();
    let (email, lang): (String, String) =
        conn.query_row("SELECT email_ascii, lang FROM signups", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((email.as_str(), lang.as_str()), ("ai@example.kz", "ru"));
    k.stop().await;
}

#[tokio::test]
async fn a_partly_typed_email_is_gone_after_the_idle_reset() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k =
        Kiosk::start(Options { name: "signup-reset".into(), extra_config: VISIT_CONFIG.into(), ..Options::default() })
            .await;
    fresh_visit(&k).await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    type_into(&k, "signup-email", "half.typed@exa").await;
    wait_for_attract(&k).await;
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    let value = k.wait_testid("signup-email").await.prop("value").await.unwrap();
    assert_eq!(value.as_deref(), Some(""), "no trace of the last visitor's typing");
    k.stop().await;
}

#[test]
fn a_bad_config_stops_the_start_and_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("kiosk.toml");
    std::fs::write(
        &config,
        "bundle = \"x.kbundle\"\ndata_dir = \"data\"\nkiosk_id = \"lobby\"\nwindow = \"maximised\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(kiosk_e2e::app_binary()).arg("--config").arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad config must stop the kiosk before any window opens");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kiosk.toml:4") && err.contains("maximised"), "the message names file, line and value: {err}");
}

#[test]
fn a_missing_bundle_stops_the_start_and_says_which() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("kiosk.toml");
    std::fs::write(&config, "bundle = \"nowhere.kbundle\"\ndata_dir = \"data\"\nkiosk_id = \"lobby\"\n").unwrap();
    let out =
        std::process::Command::new(kiosk_e2e::app_binary()).env("EMBASSY_KIOSK_CONFIG", &config).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nowhere.kbundle") && err.contains("`bundle`"), "names the file and the key: {err}");
}

/// One signup through the form; `Ok(true)` once "Thank you" is on screen.
async fn try_signup(k: &Kiosk, email: &str) -> Result<bool, fantoccini::error::CmdError> {
    let by = |id: &str| Locator::Css(Box::leak(format!("[data-testid=\"{id}\"]").into_boxed_str()));
    let field = k.client.wait().at_most(std::time::Duration::from_secs(10)).for_element(by("signup-email")).await?;
    field.click().await?;
    field.send_keys(email).await?;
    k.client.find(by("signup-consent")).await?.click().await?;
    k.client.find(by("signup-submit")).await?.click().await?;
    k.client.wait().at_most(std::time::Duration::from_secs(10)).for_element(by("signup-thanks")).await?;
    k.client.find(by("signup-again")).await?.click().await?;
    Ok(true)
}

#[tokio::test]
async fn signups_confirmed_before_a_sigkill_are_all_there_exactly_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    // Signups as fast as WebDriver types: far above the lobby's throttle, which is not what this test is about.
    let extra_config = "[signups]\nmax_per_minute = 600".into();
    let mut k = Kiosk::start(Options { name: "durability".into(), extra_config, ..Options::default() }).await;
    let mut confirmed: Vec<String> = Vec::new();
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let cycles = 8;
    for cycle in 0..cycles {
        // The kill lands at a random moment: during start-up, typing, the commit, or the thank-you.
        let delay = std::time::Duration::from_millis(1500 + next() % 5000);
        let pids = k.app_pids();
        assert!(!pids.is_empty(), "cycle {cycle}: the app must be running");
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            for pid in pids {
                let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        });
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            if k.client.find(Locator::Css("[data-testid=\"signup-link\"]")).await.is_err() {
                let _ = k
                    .client
                    .wait()
                    .at_most(std::time::Duration::from_secs(10))
                    .for_element(Locator::Css("[data-testid=\"signup-link\"]"))
                    .await;
            }
            let Ok(link) = k.client.find(Locator::Css("[data-testid=\"signup-link\"]")).await else { return };
            if link.click().await.is_err() {
                return;
            }
            for n in 0.. {
                let email = format!("kill{cycle}-{n}@example.org");
                match try_signup(&k, &email).await {
                    Ok(true) => confirmed.push(email),
                    _ => return, // the app is gone
                }
            }
        })
        .await;
        killer.join().unwrap();
        k.kill_app(); // in case the loop ended first
        k.relaunch().await;
    }
    k.wait_testid("home").await;
    let conn = rusqlite::Connection::open(k.dir.path().join("data/signups.sqlite")).unwrap();
    for email in &confirmed {
        let n: i64 =
            conn.query_row("SELECT count(*) FROM signups WHERE email_ascii = ?1", [email], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "{email} was thanked before the kill, so it must be stored exactly once");
    }
    let total: i64 = conn.query_row("SELECT count(*) FROM signups", [], |r| r.get(0)).unwrap();
    eprintln!("{cycles} SIGKILLs: {} signups thanked, {total} stored", confirmed.len());
    assert!(confirmed.len() >= cycles, "the test must confirm signups between kills to mean anything");
    assert!(total as usize <= confirmed.len() + cycles, "at most one unthanked signup per kill can be stored");
    k.stop().await;
}

#[tokio::test]
async fn a_signup_at_the_kiosk_reaches_mailman_and_leaves_no_copy() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mailman = MailmanList::start().await;
    let (server, list) = (&mailman.server, &mailman.list);
    let sync = mailman.sync_section(&server.rest_root());
    let k = Kiosk::start(Options { name: "sync".into(), extra_config: sync, ..Options::default() }).await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    assert!(try_signup(&k, "dana.visitor@example.org").await.unwrap(), "thanked");

    // The new signup nudges the worker: it reaches Mailman, which mails the visitor for confirmation.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !server.pending_confirmations(list).await.contains(&"dana.visitor@example.org".to_string()) {
        assert!(std::time::Instant::now() < deadline, "the signup never reached Mailman");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let conn = rusqlite::Connection::open(k.dir.path().join("data/signups.sqlite")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left: i64 = conn.query_row("SELECT count(*) FROM signups", [], |r| r.get(0)).unwrap();
        let delivered: i64 =
            conn.query_row("SELECT value FROM counters WHERE name = 'delivered'", [], |r| r.get(0)).unwrap();
        if left == 0 && delivered == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "once Mailman has it, the kiosk keeps only the count");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let app_log = k.app_log.clone();
    k.stop().await;
    let log = std::fs::read_to_string(app_log).unwrap();
    assert!(log.contains("sent to Mailman"), "the sync is logged: {log}");
    assert!(!log.contains("dana.visitor"), "no address ever appears in the kiosk's log");
}

/// The demo content plus a fourth section, built as `version` and signed with `secret`.
fn new_content_bundle(dir: &std::path::Path, name: &str, version: u64, secret: &str) -> std::path::PathBuf {
    new_content_bundle_with(dir, name, version, secret, &[])
}

/// The demo content plus a fourth section and `more` (file name, Markdown), built and signed.
fn new_content_bundle_with(
    dir: &std::path::Path,
    name: &str,
    version: u64,
    secret: &str,
    more: &[(&str, &str)],
) -> std::path::PathBuf {
    use kiosk_content::build::{BuildOptions, build_bundle};
    let content = dir.join(format!("{name}-content"));
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("content"), &content);
    std::fs::write(
        content.join("sections/visas.md"),
        "+++\nid = \"visas\"\norder = 4\ntitle = \"Visas and Consular Services\"\n+++\n\nCitizens of many countries may visit Kazakhstan without a visa for up to 30 days.\n",
    )
    .unwrap();
    for (file, text) in more {
        std::fs::write(content.join("sections").join(file), text).unwrap();
    }
    let staging = dir.join(format!("{name}.kbundle"));
    let options = BuildOptions { bundle_version: Some(version), ..BuildOptions::default() };
    build_bundle(&content, &staging, &options, &mut kiosk_content::source::NoProgress).unwrap();
    let comment = kiosk_updates::sign::trusted_comment(version, "stable");
    let sig = kiosk_updates::sign::sign(secret, None, std::fs::File::open(&staging).unwrap(), &comment).unwrap();
    std::fs::write(kiosk_updates::sign::signature_path(&staging), sig).unwrap();
    staging
}

/// Drops a bundle and its signature into the inbox the way a copy to a USB stick lands.
fn drop_into(inbox: &std::path::Path, bundle: &std::path::Path) {
    let name = bundle.file_name().unwrap();
    let sig = kiosk_updates::sign::signature_path(bundle);
    std::fs::copy(&sig, inbox.join(sig.file_name().unwrap())).unwrap();
    std::fs::copy(bundle, inbox.join(name)).unwrap();
}

#[tokio::test]
async fn a_signed_bundle_dropped_in_the_inbox_is_shown_live_and_an_unsigned_stranger_is_not() {
    let _one = ONE_AT_A_TIME.lock().await;
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let (_, stranger) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let inbox = keys.path().join("usb");
    std::fs::create_dir_all(&inbox).unwrap();
    let key_line = public.lines().nth(1).unwrap();
    let www = keys.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    let server = kiosk_testsupport::files::FileServer::start(www.clone(), None).await;
    let extra = format!(
        "{VISIT_CONFIG}\n[updates]\ntrusted_keys = [\"{key_line}\"]\ninbox = [{inbox:?}]\npoll_secs = 1\nurl = \"{}\"\nurl_poll_secs = 1\n",
        server.url("manifest.json")
    );
    let k = Kiosk::start(Options { name: "update".into(), extra_config: extra, ..Options::default() }).await;
    fresh_visit(&k).await;
    let pids = k.app_pids();
    let newer = jiff::Timestamp::now().as_second() as u64 + 100_000;

    // Signed by a key the kiosk does not trust: refused, the content stays.
    drop_into(&inbox, &new_content_bundle(keys.path(), "stranger", newer, &stranger));
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(section_titles(&k).await, TITLES, "an untrusted bundle changes nothing on screen");
    let log = std::fs::read_to_string(&k.app_log).unwrap();
    assert!(log.contains("[untrusted_key]"), "the refusal and its reason are logged: {log}");

    // Signed by the embassy: shown without a restart.
    drop_into(&inbox, &new_content_bundle(keys.path(), "embassy", newer + 1, &secret));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let titles = section_titles(&k).await;
        if titles.iter().any(|t| t == "Visas and Consular Services") {
            assert_eq!(titles[..3], TITLES, "the old sections are still there");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the new section never appeared: {titles:?}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(k.app_pids(), pids, "the content changed without a restart");

    // And attract mode cycles the new content.
    wait_for_attract(&k).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    loop {
        // Read id and text in one call: the slide is replaced every two seconds.
        let slide = k
            .client
            .execute(
                "const s = document.querySelector('[data-testid=\"attract-slide\"]'); return s ? [s.dataset.id, s.innerText] : null;",
                vec![],
            )
            .await
            .unwrap();
        if slide[0] == "visas" {
            assert!(slide[1].as_str().unwrap().contains("Visas and Consular Services"), "{slide}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "attract mode never showed the new section");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
    k.screenshot("update-home-with-new-section").await;

    // The embassy's web server publishes a newer one (kioskctl bundle publish): polled over HTTP(S) and shown.
    let trade = "+++\nid = \"trade\"\norder = 5\ntitle = \"Trade and Investment\"\n+++\n\nKazakhstan is the largest economy in Central Asia.\n";
    let web = new_content_bundle_with(keys.path(), "web", newer + 2, &secret, &[("trade.md", trade)]);
    let kioskctl = kiosk_e2e::app_binary().with_file_name("kioskctl"); // ./dev test builds both
    let key_file = keys.path().join("embassy.key");
    std::fs::write(&key_file, &secret).unwrap();
    let o = std::process::Command::new(kioskctl)
        .args([
            "bundle",
            "publish",
            web.to_str().unwrap(),
            "--key",
            key_file.to_str().unwrap(),
            "-o",
            www.to_str().unwrap(),
        ])
        .output()
        .expect("kioskctl is built beside the app");
    assert!(o.status.success(), "publish: {}", String::from_utf8_lossy(&o.stderr));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !section_titles(&k).await.iter().any(|t| t == "Trade and Investment") {
        assert!(std::time::Instant::now() < deadline, "the bundle from the web server never appeared");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(k.app_pids(), pids, "still the same process");
    k.stop().await;
}

fn heartbeat_time(path: &std::path::Path) -> Option<(String, serde_json::Value)> {
    let beat: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some((beat["at_utc"].as_str()?.to_string(), beat))
}

#[tokio::test]
async fn the_heartbeat_beats_while_the_ui_renders_and_stops_when_the_ui_hangs() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options {
        name: "heartbeat".into(),
        extra_config: "heartbeat_secs = 1".into(),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    let path = k.dir.path().join("data/heartbeat.json");
    let kioskctl = kiosk_e2e::app_binary().with_file_name("kioskctl");
    let health = |max_age: &str| {
        std::process::Command::new(&kioskctl)
            .args(["health", "check", "--max-age", max_age, "--config", k.config.to_str().unwrap()])
            .output()
            .expect("kioskctl is built beside the app")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while heartbeat_time(&path).is_none() {
        assert!(std::time::Instant::now() < deadline, "no heartbeat file appeared");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (t1, _) = heartbeat_time(&path).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (t2, beat) = heartbeat_time(&path).unwrap();
    assert!(t2 > t1, "the heartbeat advances while the UI renders ({t1} → {t2})");
    let version = kiosk_content::Bundle::open(&k.dir.path().join("content.kbundle")).unwrap().meta().bundle_version;
    assert_eq!(beat["bundle_version"], version, "it carries the bundle on screen");
    assert_eq!(beat["ui"]["screen"], "home", "it says what the UI rendered");
    assert!(beat["ui"]["items"].as_u64().unwrap() >= 3, "{beat}");
    assert!(["stopped", "unavailable"].contains(&beat["audio"].as_str().unwrap()), "{beat}");
    let o = health("5");
    assert!(o.status.success(), "a monitor sees it alive: {}", String::from_utf8_lossy(&o.stderr));

    // The web view hangs (a script that never yields): the UI's reports stop, and so do the heartbeats.
    // The script blocks the page's only thread; its WebDriver call is left to time out on its own.
    let client = k.client.clone();
    tokio::spawn(async move {
        let _ =
            client.execute("const end = Date.now() + 20000; while (Date.now() < end) {} return null;", vec![]).await;
    });
    tokio::time::sleep(std::time::Duration::from_secs(9)).await;
    let (t3, _) = heartbeat_time(&path).unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (t4, _) = heartbeat_time(&path).unwrap();
    assert_eq!(t3, t4, "a frozen UI gets no heartbeat (and no watchdog ping), though the process runs");
    let o = health("2");
    assert!(!o.status.success(), "the monitor alerts");
    assert!(String::from_utf8_lossy(&o.stderr).contains("DEAD"), "{}", String::from_utf8_lossy(&o.stderr));
    let log = std::fs::read_to_string(&k.app_log).unwrap();
    assert!(log.contains("heartbeats paused"), "the pause is logged: {log}");
    k.stop().await;
}

const STAFF_PIN: &str = "48273915"; // long enough not to turn up by chance in a logged timestamp

/// A `[staff]` section whose PIN is [`STAFF_PIN`].
fn staff_config() -> String {
    format!("[staff]\npin_hash = \"{}\"\n", kiosk_staff::pin::hash_pin(STAFF_PIN).unwrap())
}

/// `n` real pointer taps in the screen's top-left corner (the staff gesture's place).
async fn corner_taps(k: &Kiosk, n: usize) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let mut taps = MouseActions::new("staff-finger".into());
    for _ in 0..n {
        taps = taps
            .then(PointerAction::MoveTo { duration: None, x: 24.0, y: 24.0 })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::Pause { duration: std::time::Duration::from_millis(120) });
    }
    k.client.perform_actions(taps).await.unwrap();
}

/// Types `pin` on the staff keypad and presses OK.
async fn enter_pin(k: &Kiosk, pin: &str) {
    k.wait_testid("staff-pin").await;
    for d in pin.chars() {
        k.wait_testid(&format!("staff-key-{d}")).await.click().await.unwrap();
    }
    k.wait_testid("staff-key-ok").await.click().await.unwrap();
}

/// The text of a `data-testid` element, trimmed.
async fn text_of(k: &Kiosk, testid: &str) -> String {
    k.wait_testid(testid).await.text().await.unwrap().trim().to_string()
}

/// Waits until the panel's `testid` figure reads `want` (it refreshes every 2 s).
async fn wait_figure(k: &Kiosk, testid: &str, want: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let got = text_of(k, testid).await;
        if got == want {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "[{testid}] reads {got:?}, never {want:?}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Calls a staff command straight from the page, as a script in the web view could.
async fn invoke_from_page(k: &Kiosk, command: &str) -> String {
    let script = format!(
        "const done = arguments[0]; window.__TAURI_INTERNALS__.invoke('{command}').then(() => done('ok'), e => done(e.code || String(e)));"
    );
    k.client.execute_async(&script, vec![]).await.unwrap().as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_corner_gesture_and_pin_open_the_staff_panel_whose_counts_match_the_store_and_bundle() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "staff".into(), extra_config: staff_config(), ..Options::default() }).await;
    k.wait_testid("home").await;
    // A visitor reads two sections and signs up twice (no list configured: both wait on the kiosk).
    for i in 0..2 {
        k.all_testid("section-link").await[i].click().await.unwrap();
        k.wait_testid("section-view").await;
        k.wait_testid("back").await.click().await.unwrap();
        k.wait_testid("home").await;
    }
    k.wait_testid("signup-link").await.click().await.unwrap();
    assert!(try_signup(&k, "aru@example.kz").await.unwrap());
    assert!(try_signup(&k, "bolat@example.kz").await.unwrap());

    // Without the PIN, the staff commands are refused whatever the page does.
    assert_eq!(invoke_from_page(&k, "staff_overview").await, "staff_session_closed");

    // Four taps are not the gesture; nor are five spread over more than three seconds.
    corner_taps(&k, 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    corner_taps(&k, 1).await;
    assert!(!present(&k, "staff-pin").await, "the gesture needs five taps within three seconds");
    corner_taps(&k, 5).await;
    k.wait_testid("staff-pin").await;
    k.screenshot("staff-pin-landscape").await;
    enter_pin(&k, STAFF_PIN).await;
    k.wait_testid("staff-panel").await;

    // The panel's figures are the bundle's and the store's.
    let bundle = kiosk_content::Bundle::open(&k.dir.path().join("content.kbundle")).unwrap();
    assert_eq!(text_of(&k, "staff-bundle-version").await, bundle.meta().bundle_version.to_string());
    let items = k.wait_testid("staff-bundle-items").await;
    let sections = bundle.home(None).unwrap().sections.len().to_string();
    assert_eq!(items.attr("data-sections").await.unwrap(), Some(sections));
    assert_eq!(items.attr("data-tracks").await.unwrap().as_deref(), Some("3"));
    let conn = rusqlite::Connection::open(k.dir.path().join("data/signups.sqlite")).unwrap();
    let pending: i64 =
        conn.query_row("SELECT count(*) FROM signups WHERE state = 'pending'", [], |r| r.get(0)).unwrap();
    assert_eq!(pending, 2);
    assert_eq!(text_of(&k, "staff-pending").await, pending.to_string());
    assert_eq!(text_of(&k, "staff-review").await, "0");
    assert_eq!(text_of(&k, "staff-signups-today").await, "2");
    assert_eq!(text_of(&k, "staff-delivered-today").await, "0");
    for chart in ["staff-chart-signups", "staff-chart-views"] {
        let total = k.wait_testid(chart).await.attr("data-total").await.unwrap();
        assert_eq!(total.as_deref(), Some("2"), "two signups and two section views today in the charts");
    }
    assert!(text_of(&k, "staff-bundle-source").await.contains("content.kbundle"), "the bundle's origin is shown");
    k.screenshot("staff-panel-landscape").await;

    // Quiet mode from the panel mutes the music and outlives a restart (it is saved).
    k.wait_testid("staff-quiet").await.click().await.unwrap();
    wait_figure(&k, "staff-quiet", "Quiet mode: on").await;
    let saved = std::fs::read_to_string(k.dir.path().join("data/staff-settings.json")).unwrap();
    assert!(saved.contains("\"quiet\":true"), "{saved}");

    // Closed, the panel's commands are refused again.
    k.wait_testid("staff-close").await.click().await.unwrap();
    assert!(!present(&k, "staff-panel").await);
    assert_eq!(invoke_from_page(&k, "staff_overview").await, "staff_session_closed");

    // "Exit kiosk" ends the app.
    corner_taps(&k, 5).await;
    enter_pin(&k, STAFF_PIN).await;
    k.wait_testid("staff-exit").await.click().await.unwrap();
    // The app may be gone before WebDriver hears the click back.
    let _ = k.wait_testid("staff-exit-confirm").await.click().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !k.app_pids().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the app did not exit");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let k_data = k.dir.path().join("data");
    let log = std::fs::read_to_string(&k.app_log).unwrap();
    assert!(log.contains("staff exited the kiosk"), "{log}");
    // The kiosk's own log file: JSON lines, rotated by size, with no PIN and no visitor in it.
    let file_log = std::fs::read_to_string(k_data.join("logs/kiosk.log")).unwrap();
    let events: Vec<serde_json::Value> = file_log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(
        events.iter().any(|e| e["level"] == "INFO" && e["fields"]["message"] == "staff exited the kiosk"),
        "{file_log}"
    );
    for secret in [STAFF_PIN, "aru@", "bolat@", "example.kz"] {
        assert!(!log.contains(secret) && !file_log.contains(secret), "{secret} must never be logged");
    }
    k.stop().await;
}

#[tokio::test]
async fn five_wrong_pins_lock_the_staff_panel_even_against_the_right_pin() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options {
        name: "staff-lockout".into(),
        size: (1080, 1920),
        extra_config: staff_config(),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    corner_taps(&k, 5).await;
    for left in (1..=4).rev() {
        enter_pin(&k, "0000").await;
        wait_figure(&k, "staff-error", &format!("Wrong PIN. {left} tries left.")).await;
    }
    enter_pin(&k, "0000").await;
    wait_figure(&k, "staff-error", "Too many wrong PINs. Try again in 30 s.").await;
    k.screenshot("staff-pin-locked-portrait").await;
    enter_pin(&k, STAFF_PIN).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let error = text_of(&k, "staff-error").await;
    assert!(error.starts_with("Too many wrong PINs. Try again in"), "locked even for the right PIN: {error}");
    assert!(!present(&k, "staff-panel").await, "the panel stays shut");
    let tries = std::fs::read_to_string(k.dir.path().join("data/staff-tries.json")).unwrap();
    assert!(tries.contains("\"failures\":5"), "the count is kept on disk, so a restart does not reset it: {tries}");
    k.stop().await;
}

#[tokio::test]
async fn sync_now_in_the_staff_panel_sends_a_waiting_signup_to_mailman_at_once() {
    use kiosk_testsupport::proxy::{FaultProxy, Faults};
    let _one = ONE_AT_A_TIME.lock().await;
    let mailman = MailmanList::start().await;
    let (server, list) = (&mailman.server, &mailman.list);
    // The list is "down for maintenance" at first: 503 with Retry-After: 3600.
    let proxy = FaultProxy::start(server.rest_port(), Faults::NONE, 1).await;
    proxy.set_maintenance(true);
    let config =
        format!("{}{}", staff_config(), mailman.sync_section(&format!("http://127.0.0.1:{}/3.1/", proxy.port())));
    let k = Kiosk::start(Options {
        name: "staff-sync".into(),
        size: (1080, 1920),
        extra_config: config,
        ..Options::default()
    })
    .await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    assert!(try_signup(&k, "sync.now@example.org").await.unwrap());

    // The signup's own round meets the maintenance answer: the worker now waits an hour.
    let conn = rusqlite::Connection::open(k.dir.path().join("data/signups.sqlite")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let failed: Option<i64> = conn.query_row("SELECT ok FROM sync_state WHERE id = 1", [], |r| r.get(0)).ok();
        if failed == Some(0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the first sync round never met the 503");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    proxy.set_maintenance(false);

    corner_taps(&k, 5).await;
    enter_pin(&k, STAFF_PIN).await;
    k.wait_testid("staff-panel").await;
    wait_figure(&k, "staff-pending", "1").await;
    assert_eq!(k.wait_testid("staff-last-sync").await.attr("data-ok").await.unwrap().as_deref(), Some("false"));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(text_of(&k, "staff-pending").await, "1", "left alone, the kiosk would wait out the hour");
    k.screenshot("staff-panel-portrait").await;

    k.wait_testid("staff-sync-now").await.click().await.unwrap();
    wait_figure(&k, "staff-pending", "0").await;
    wait_figure(&k, "staff-delivered-today", "1").await;
    assert_eq!(k.wait_testid("staff-last-sync").await.attr("data-ok").await.unwrap().as_deref(), Some("true"));
    assert_eq!(server.pending_confirmations(list).await, vec!["sync.now@example.org".to_string()]);
    k.stop().await;
}

#[tokio::test]
async fn staff_import_a_signed_bundle_from_a_usb_stick_with_progress_and_roll_it_back() {
    let _one = ONE_AT_A_TIME.lock().await;
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let media = keys.path().join("media");
    let stick = media.join("staff/KIOSK");
    std::fs::create_dir_all(&stick).unwrap();
    let extra = format!(
        "[updates]\ntrusted_keys = [\"{}\"]\npoll_secs = 1\n{}usb_roots = [{media:?}]\n",
        public.lines().nth(1).unwrap(),
        staff_config()
    );
    let k = Kiosk::start(Options { name: "staff-usb".into(), extra_config: extra, ..Options::default() }).await;
    k.wait_testid("home").await;
    let newer = jiff::Timestamp::now().as_second() as u64 + 100_000;
    let bundle = new_content_bundle(keys.path(), "usb", newer, &secret);
    std::fs::copy(&bundle, stick.join("embassy-content.kbundle")).unwrap();
    std::fs::copy(kiosk_updates::sign::signature_path(&bundle), stick.join("embassy-content.kbundle.minisig")).unwrap();

    corner_taps(&k, 5).await;
    enter_pin(&k, STAFF_PIN).await;
    let old_version = text_of(&k, "staff-bundle-version").await;
    k.wait_testid("staff-usb-scan").await.click().await.unwrap();
    let item = k.wait_testid("staff-usb-item").await;
    assert_eq!(
        item.attr("data-path").await.unwrap(),
        Some(stick.join("embassy-content.kbundle").display().to_string())
    );
    k.wait_testid("staff-usb-import").await.click().await.unwrap();
    let progress = k.wait_testid("staff-import-progress").await;
    wait_figure(&k, "staff-bundle-version", &newer.to_string()).await;
    assert_eq!(progress.attr("data-phase").await.unwrap().as_deref(), Some("checked"), "the copy's progress was shown");
    assert!(text_of(&k, "staff-bundle-source").await.starts_with("usb "), "the panel says it came from USB");
    k.screenshot("staff-usb-import-landscape").await;

    // Rolled back from the panel, the old content is on screen again.
    k.wait_testid("staff-rollback").await.click().await.unwrap();
    wait_figure(&k, "staff-bundle-version", &old_version).await;
    k.wait_testid("staff-close").await.click().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while section_titles(&k).await != TITLES {
        assert!(std::time::Instant::now() < deadline, "the previous content never came back on screen");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    k.stop().await;
}

/// A real Mailman 3 on loopback with the kiosk's list and its REST credentials in a file.
struct MailmanList {
    server: kiosk_testsupport::mailman::Mailman,
    list: String,
    secret: std::path::PathBuf,
    _secrets: tempfile::TempDir,
}

impl MailmanList {
    async fn start() -> Self {
        let server = kiosk_testsupport::mailman::Mailman::start().await;
        let list = server.create_list("lobby-visitors").await;
        let secrets = tempfile::tempdir().unwrap();
        let secret = server.write_credentials(secrets.path());
        MailmanList { server, list, secret, _secrets: secrets }
    }

    /// The kiosk config's `[sync]` section sending to this list at `url` (Mailman's REST root, or a proxy's).
    fn sync_section(&self, url: &str) -> String {
        format!(
            "[sync]\ntarget = \"mailman\"\nurl = \"{url}\"\nlist_id = \"{}\"\ncredentials_file = {:?}\n",
            self.list, self.secret
        )
    }
}

#[path = "e2e/updates_stuck_server.rs"]
mod updates_stuck_server;
