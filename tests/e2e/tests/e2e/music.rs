//! Music samples played by the core, heard through the real app: play, pause,
//! the idle reset silencing them, and a kiosk with no sound device.

use super::*;

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
