//! End-to-end: the real kiosk app in a real window under Xvfb, driven by WebDriver.
//!
//! Runs one kiosk at a time: two WebKit processes at once on a 2-core
//! machine only make each test slower and flakier.

use fantoccini::Locator;
use kiosk_e2e::{Kiosk, Options};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const TITLES: [&str; 3] = ["Overview", "Political Reform", "Interreligious and Interethnic Consent"];
const OVERVIEW_FIRST_SENTENCE: &str = "The Constitution of the Republic of Kazakhstan approved through a national referendum in August 1995 and ratified the following month replaces an earlier “soviet-style” constitution adopted in the wake of independence from the Soviet Union.";

async fn section_titles(k: &Kiosk) -> Vec<String> {
    let mut titles = Vec::new();
    for link in k.all_testid("section-link").await {
        titles.push(link.text().await.expect("link text"));
    }
    titles
}

#[tokio::test]
async fn home_shows_the_seed_sections_and_overview_opens_with_its_text() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "home-landscape".into(), ..Options::default() }).await;

    k.wait_testid("home").await;
    assert_eq!(section_titles(&k).await, TITLES, "the home screen lists the seed's three sections in order");
    k.screenshot("home-landscape").await;

    let overview = k.all_testid("section-link").await.into_iter().next().expect("a first section");
    overview.click().await.expect("tap Overview");
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
    k.stop().await;
}

#[tokio::test]
async fn portrait_screens_render() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "portrait".into(), size: (1080, 1920), ..Options::default() }).await;
    k.wait_testid("home").await;
    assert_eq!(section_titles(&k).await, TITLES);
    k.screenshot("home-portrait").await;
    k.all_testid("section-link").await.into_iter().nth(2).expect("third section").click().await.unwrap();
    k.wait_testid("section-view").await;
    k.screenshot("section-portrait").await;
    k.wait_testid("back").await.click().await.unwrap();
    k.wait_testid("events-link").await.click().await.unwrap();
    k.wait_testid("events-view").await;
    k.screenshot("events-portrait").await;
    k.stop().await;
}
