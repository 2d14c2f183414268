//! Lobby screens of every shape: portrait as well as landscape, and 4K laid
//! out at twice the size rather than scaled up.

use super::*;

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
    assert_excerpts_whole(&k, "en portrait").await;
    switch_language(&k, "ru", "Посольство Казахстана").await;
    k.screenshot("home-portrait-ru").await;
    assert_events_panel_fits(&k, "ru portrait").await;
    assert_excerpts_whole(&k, "ru portrait").await;
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
    assert_excerpts_whole(&k, "en 4K").await;
    k.wait_testid("music-link").await.click().await.unwrap();
    k.wait_testid("music-view").await;
    k.screenshot("music-4k").await;
    k.stop().await;
}
