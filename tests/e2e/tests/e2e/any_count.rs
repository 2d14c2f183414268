//! Any embassy's counts: the home screen and attract mode for a small
//! embassy (1 topic, no upcoming events, no music) and a busy one (12 topics,
//! 40 events, 10 tracks), on landscape and portrait screens. The content is
//! the demo's, reshaped in the content format and built with kioskctl.

use std::path::{Path, PathBuf};

use super::*;

/// Short idle time so attract mode comes quickly; one-second slides so a dozen pass soon.
const CONFIG: &str = "idle_timeout_secs = 6\nattract_slide_secs = 1";

const SCREENS: [((u32, u32), &str); 2] = [((1920, 1080), "landscape"), ((1080, 1920), "portrait")];

/// Topics a busy embassy adds to the demo's three (ids, titles of every length, and a first paragraph).
const MORE_TOPICS: [(&str, &str, &str); 9] = [
    (
        "visas",
        "Visas and Consular Services",
        "Citizens of many countries may visit without a visa for up to 30 days; the consular section answers questions about longer stays, work and study.",
    ),
    (
        "economy",
        "Economy and Investment",
        "The largest economy in Central Asia, with energy, mining, agriculture and a fast-growing technology sector open to foreign partners.",
    ),
    (
        "culture",
        "Culture",
        "From the dombra to contemporary film, a culture shaped by the steppe, the Silk Road and many peoples.",
    ),
    (
        "education",
        "Education and Scholarships",
        "Universities teach in Kazakh, Russian and English; government scholarships are open to international students every spring.",
    ),
    (
        "tourism",
        "Tourism",
        "Mountains, deserts, lakes and the steppe: national parks and historic cities welcome visitors all year.",
    ),
    (
        "history",
        "History of the Great Steppe",
        "Nomadic empires, Silk Road cities and the path to independence in 1991, told through the sites that remain.",
    ),
    (
        "trade",
        "Trade Relations",
        "Trade with the host country grows every year: machinery, food and services, supported by the embassy's trade office.",
    ),
    (
        "science",
        "Science, Space and Innovation",
        "Home to Baikonur, the world's first spaceport, and to research centres in energy, medicine and information technology.",
    ),
    (
        "sport",
        "Sport",
        "Boxing, wrestling, cycling and winter sports: athletes who have carried the flag to the Olympic podium.",
    ),
];

/// The demo content copied into `dir/name` and reshaped: `sections` topics (the demo's
/// first ones, then [`MORE_TOPICS`]), `upcoming` events from 2026-12-01 on (plus the demo's
/// past ones, which the kiosk must not show), and `tracks` music tracks (reusing the demo's audio).
fn content(dir: &Path, name: &str, sections: usize, upcoming: usize, tracks: usize) -> PathBuf {
    let content = dir.join(name);
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("content"), &content);
    let dir = content.join("sections");
    // The demo's topics in order; a topic's translations go with it.
    let demo = ["overview", "political-reform", "interethnic-consent"];
    for id in demo.iter().skip(sections) {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_name().to_string_lossy().starts_with(&format!("{id}.")) {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
    }
    for (i, (id, title, text)) in MORE_TOPICS.iter().take(sections.saturating_sub(demo.len())).enumerate() {
        let order = demo.len() + i + 1;
        std::fs::write(
            dir.join(format!("{id}.md")),
            format!("+++\nid = \"{id}\"\norder = {order}\ntitle = \"{title}\"\n+++\n\n{text}\n\nMore about it at the front desk.\n"),
        )
        .unwrap();
    }

    let mut events = String::from(
        "# Generated for the any-count test.\n\n\
         [[event]]\nid = \"republic-day-2026\"\nstart = \"2026-10-23T18:00\"\nend = \"2026-10-23T21:00\"\n\
         title = \"Republic Day Reception\"\nlocation = \"Embassy reception hall\"\n",
    );
    let kinds = [
        ("Film Evening", "Embassy cinema room"),
        ("Consular Services Open Morning", "Consular section"),
        ("Introduction to the Kazakh Language", "Embassy library"),
        ("Dombra Concert", "Embassy reception hall"),
        ("Business Roundtable on Trade and Investment", "Conference room"),
    ];
    let first = jiff::civil::date(2026, 12, 1);
    for i in 0..upcoming {
        let day = first.checked_add(jiff::Span::new().days(3 * i as i64)).unwrap();
        let (title, place) = kinds[i % kinds.len()];
        events += &format!(
            "\n[[event]]\nid = \"event-{n:02}\"\nstart = \"{day}T18:00\"\nend = \"{day}T20:00\"\n\
             title = \"{title} {n}\"\nlocation = \"{place}\"\ndescription = \"Free entry; all are welcome.\"\n",
            n = i + 1
        );
    }
    std::fs::write(content.join("events.toml"), events).unwrap();

    let music = content.join("music");
    let audio = ["steppe-morning.ogg", "caravan-road.ogg", "evening-song.ogg"];
    let mut list = String::from("# Generated for the any-count test.\n");
    for i in 0..tracks {
        list += &format!(
            "\n[[track]]\nid = \"track-{n:02}\"\nfile = \"{file}\"\ntitle = \"Steppe Study No. {n}\"\ncredit = \"Synthesised for this kiosk\"\n",
            n = i + 1,
            file = audio[i % audio.len()]
        );
    }
    std::fs::write(music.join("tracks.toml"), list).unwrap();
    if tracks == 0 {
        for file in audio {
            std::fs::remove_file(music.join(file)).unwrap();
        }
    }
    content
}

/// What a home screen shows, measured: every card's box, and what runs past the screen.
async fn home_facts(k: &Kiosk) -> serde_json::Value {
    k.client
        .execute(
            r#"const home = document.querySelector("[data-testid=home]");
               const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
               const spills = [];
               for (const el of home.querySelectorAll("*")) {
                 // The card list and the events list may scroll or clip inside their own box.
                 if (el.parentElement.closest(".cards, ul")) continue;
                 const r = el.getBoundingClientRect();
                 if (r.width === 0 && r.height === 0) continue;
                 if (r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)
                   spills.push(`${el.tagName}.${el.className}`);
               }
               return {
                 cards: [...home.querySelectorAll(".card")].map(box),
                 spills,
                 headings: [...home.querySelectorAll("h1, h2")].map((h) => h.textContent.trim()),
                 events: !!home.querySelector("aside, [data-testid=events-link]"),
                 music: !!document.querySelector("[data-testid=music-link]"),
                 signup: !!document.querySelector("[data-testid=signup-link]"),
                 screen: [innerWidth, innerHeight],
               };"#,
            vec![],
        )
        .await
        .expect("measure the home screen")
}

/// Waits for attract mode and collects the slides shown over `secs` seconds (in
/// order, each once, until one of `until_kind`), checking that each has a title
/// and fits the screen; the first slide (or the one of `until_kind`) is saved as `shot`.
async fn attract_slides(k: &Kiosk, secs: u64, until_kind: Option<&str>, shot: &str) -> Vec<(String, String)> {
    wait_for_attract(k).await;
    let mut seen: Vec<(String, String)> = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        let v = k
            .client
            .execute(
                r#"const s = document.querySelector("[data-testid=attract-slide]");
                   return s ? [s.dataset.kind, s.dataset.id, s.querySelector("h1")?.textContent.trim() ?? ""] : null;"#,
                vec![],
            )
            .await
            .expect("read the attract slide");
        if let Some(a) = v.as_array() {
            let slide = (a[0].as_str().unwrap().to_string(), a[1].as_str().unwrap().to_string());
            assert!(!a[2].as_str().unwrap().is_empty(), "attract slide {slide:?} has no title");
            if seen.last() != Some(&slide) {
                let done = until_kind.is_some_and(|kind| slide.0 == kind);
                if done || (until_kind.is_none() && seen.is_empty()) {
                    k.screenshot(shot).await;
                }
                // Past the fly-in, the slide must be on the screen whole.
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                let fits = k
                    .client
                    .execute(
                        r#"const s = document.querySelector("[data-testid=attract-slide]");
                           if (!s) return true;
                           const r = s.getBoundingClientRect();
                           return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;"#,
                        vec![],
                    )
                    .await
                    .unwrap();
                assert_eq!(fits, serde_json::json!(true), "attract slide {slide:?} runs past the screen");
                seen.push(slide);
                if done {
                    break;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    seen
}

#[tokio::test]
async fn a_small_embassy_one_topic_no_events_no_music() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = build(&content(dir.path(), "small", 1, 0, 0));
    for (size, orientation) in SCREENS {
        let k = Kiosk::start(Options {
            name: format!("any-count-small-{orientation}"),
            size,
            extra_config: CONFIG.into(),
            bundle: Some(bundle.clone()),
            ..Options::default()
        })
        .await;
        fresh_visit(&k).await;
        // The home view carries the track count: the music tile is never there, not even at first.
        let home = home_facts(&k).await;
        k.screenshot(&format!("any-count-small-home-{orientation}")).await;
        assert_eq!(home["cards"].as_array().unwrap().len(), 1, "exactly one topic card ({orientation}): {home}");
        assert_eq!(home["events"], false, "no upcoming events: no events panel or link ({orientation}): {home}");
        assert_eq!(home["headings"], serde_json::json!(["About Kazakhstan"]), "no events heading ({orientation})");
        assert_eq!(home["music"], false, "no tracks: no music tile ({orientation}): {home}");
        assert_eq!(home["signup"], true, "the email list is still offered ({orientation})");
        assert_eq!(home["spills"], serde_json::json!([]), "nothing runs past the screen ({orientation})");
        // One topic is featured, not a small card in a big empty screen.
        let card = &home["cards"][0];
        let screen = &home["screen"];
        let share = card[2].as_f64().unwrap() * card[3].as_f64().unwrap()
            / (screen[0].as_f64().unwrap() * screen[1].as_f64().unwrap());
        assert!(share > 0.35, "the one topic card covers {:.0}% of the screen ({orientation})", share * 100.0);

        let slides = attract_slides(&k, 4, None, &format!("any-count-small-attract-{orientation}")).await;
        assert_eq!(slides, [("section".to_string(), "overview".to_string())], "one slide, shown on and on");
        k.wait_testid("attract").await.click().await.unwrap();
        k.wait_testid("home").await;
        k.all_testid("section-link").await.into_iter().next().unwrap().click().await.unwrap();
        k.wait_testid("section-view").await;
        k.stop().await;
    }
}

#[tokio::test]
async fn a_busy_embassy_twelve_topics_forty_events_ten_tracks() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = build(&content(dir.path(), "busy", 12, 40, 10));
    for (size, orientation) in SCREENS {
        let k = Kiosk::start(Options {
            name: format!("any-count-busy-{orientation}"),
            size,
            extra_config: CONFIG.into(),
            bundle: Some(bundle.clone()),
            ..Options::default()
        })
        .await;
        fresh_visit(&k).await;
        let home = home_facts(&k).await;
        k.screenshot(&format!("any-count-busy-home-{orientation}")).await;
        let cards = home["cards"].as_array().unwrap();
        assert_eq!(cards.len(), 12, "twelve topic cards ({orientation})");
        for card in cards {
            let (w, h) = (card[2].as_f64().unwrap(), card[3].as_f64().unwrap());
            assert!(w >= 200.0 && h >= 100.0, "a card of {w}×{h} px is too small a touch target ({orientation})");
        }
        assert_eq!(home["spills"], serde_json::json!([]), "nothing runs past the screen ({orientation})");
        assert_eq!((&home["events"], &home["music"]), (&serde_json::json!(true), &serde_json::json!(true)));
        assert_events_panel_fits(&k, &format!("40 events, {orientation}")).await;

        // The last topic: brought into view (the list may scroll) and touched, it opens.
        let last = k.all_testid("section-link").await.pop().unwrap();
        k.client
            .execute("arguments[0].scrollIntoView({ block: 'nearest' });", vec![serde_json::to_value(&last).unwrap()])
            .await
            .unwrap();
        last.click().await.unwrap();
        let view = k.wait_testid("section-view").await;
        assert!(view.text().await.unwrap().contains("Olympic podium"), "the twelfth topic opens ({orientation})");
        k.wait_testid("back").await.click().await.unwrap();

        k.wait_testid("events-link").await.click().await.unwrap();
        k.wait_testid("events-view").await;
        let items = k.all_testid("event-item").await;
        assert_eq!(items.len(), 40, "the events screen lists every upcoming event, and no past one ({orientation})");
        let last = items.last().unwrap();
        let seen = k
            .client
            .execute(
                "arguments[0].scrollIntoView({ block: 'nearest' }); const r = arguments[0].getBoundingClientRect(); \
                 return r.top >= 0 && r.bottom <= innerHeight;",
                vec![serde_json::to_value(last).unwrap()],
            )
            .await
            .unwrap();
        assert_eq!(seen, serde_json::json!(true), "the fortieth event can be scrolled to ({orientation})");
        k.wait_testid("back").await.click().await.unwrap();

        k.wait_testid("music-link").await.click().await.unwrap();
        k.wait_testid("music-view").await;
        let mut tracks = 0;
        for _ in 0..50 {
            tracks = k.all_testid("track-item").await.len();
            if tracks == 10 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(tracks, 10, "the music screen lists every track ({orientation})");
        k.wait_testid("back").await.click().await.unwrap();
        k.wait_testid("home").await;

        // 52 slides: the twelve topics in order, then the events.
        let slides = attract_slides(&k, 25, Some("event"), &format!("any-count-busy-attract-{orientation}")).await;
        let mut want: Vec<(String, String)> = ["overview", "political-reform", "interethnic-consent"]
            .into_iter()
            .chain(MORE_TOPICS.iter().map(|t| t.0))
            .map(|id| ("section".to_string(), id.to_string()))
            .collect();
        want.push(("event".to_string(), "event-01".to_string()));
        // In order, from the first topic to the first event (a late tick on a busy machine may skip one).
        let at: Vec<usize> = slides
            .iter()
            .map(|s| want.iter().position(|w| w == s).unwrap_or_else(|| panic!("slide {s:?} is not ours")))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "slides out of order ({orientation}): {slides:?}");
        assert_eq!((at.first(), at.last()), (Some(&0), Some(&12)), "topics first, then events ({orientation})");
        assert!(at.len() >= 10, "most slides were seen ({orientation}): {slides:?}");
        k.stop().await;
    }
}
