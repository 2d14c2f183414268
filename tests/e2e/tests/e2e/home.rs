//! The home screen and the events view: the seed content as a visitor first
//! meets it, dates written the way the visitor's language writes them.

use super::*;

const OVERVIEW_FIRST_SENTENCE: &str = "The Constitution of the Republic of Kazakhstan approved through a national referendum in August 1995 and ratified the following month replaces an earlier “soviet-style” constitution adopted in the wake of independence from the Soviet Union.";

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

#[tokio::test]
async fn home_shows_the_seed_sections_and_overview_opens_with_its_text() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "home-landscape".into(), ..Options::default() }).await;

    k.wait_testid("home").await;
    assert_eq!(section_titles(&k).await, TITLES, "the home screen lists the seed's three sections in order");
    k.screenshot("home-landscape").await;
    assert_events_panel_fits(&k, "en landscape").await;
    assert_excerpts_whole(&k, "en landscape").await;
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
      if (!item || document.documentElement.lang !== locale) {
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
