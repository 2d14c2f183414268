//! Attract mode and the idle reset: the kiosk cycles its content when no one
//! is there, and forgets the last visitor when they leave.

use super::*;

const ATTRACT_CONFIG: &str = "idle_timeout_secs = 3\nattract_slide_secs = 2";

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
    assert_excerpts_whole(&k, "ru landscape").await;
    switch_language(&k, "kk", "Қазақстан Елшілігі").await;
    k.screenshot("home-landscape-kk").await;
    assert_events_panel_fits(&k, "kk landscape").await;
    assert_excerpts_whole(&k, "kk landscape").await;
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
