//! The content studio in a real browser (Debian's Chromium through
//! chromedriver, headless): staff add an event with the pickers, edit a
//! section in two languages, upload a track, are stopped by mistakes, and
//! publish; then the real kiosk installs that bundle from its inbox and
//! shows the new event and text.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use super::*;

/// A child process stopped when dropped (a failing test leaves nothing behind).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        kiosk_e2e::terminate(&mut self.0);
    }
}

/// `kioskctl studio DIR --port 0 --no-open`, and the link it prints.
fn start_studio(content: &Path) -> (Running, String) {
    let kioskctl = kiosk_e2e::app_binary().with_file_name("kioskctl");
    let mut child = Command::new(kioskctl)
        .args(["studio", content.to_str().unwrap(), "--port", "0", "--no-open"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("kioskctl is built beside the app");
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Keep reading what it prints, as a terminal would.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = line.trim().strip_prefix("studio: ").unwrap_or_else(|| panic!("the studio prints its link: {line:?}"));
    (Running(child), url.to_string())
}

/// chromedriver with headless Chromium, and a session in it.
async fn start_browser(profile: &Path) -> (Running, Client) {
    let port = kiosk_testsupport::free_port();
    let log = kiosk_e2e::artifacts_dir().join("logs");
    std::fs::create_dir_all(&log).unwrap();
    let driver = Running(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::fs::File::create(log.join("studio-chromedriver.log")).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium-driver)"),
    );
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--lang=en-US", "--window-size=1600,1000", format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return (driver, c),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("no session with chromedriver: {e}"),
        }
    }
}

async fn testid(c: &Client, id: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("[data-testid=\"{id}\"]")))
        .await
        .unwrap_or_else(|_| panic!("the studio shows [data-testid={id}]"))
}

async fn click(c: &Client, id: &str) {
    testid(c, id).await.click().await.unwrap_or_else(|e| panic!("click {id}: {e}"));
}

/// Replaces a text field's value by typing, as a person would.
async fn type_into(c: &Client, id: &str, text: &str) {
    let field = testid(c, id).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Sets a date-time picker (`<input type=datetime-local>`): Chromium's
/// segmented picker takes typing in the locale's order, so the value is set
/// the way the picker itself sets it, with the input event it sends.
async fn pick(c: &Client, id: &str, value: &str) {
    let el = testid(c, id).await;
    c.execute(
        "const [el, v] = arguments; el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); \
         el.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![serde_json::to_value(&el).unwrap(), value.into()],
    )
    .await
    .unwrap();
}

async fn problems(c: &Client, field: &str) -> usize {
    c.find_all(Locator::Css(&format!("[data-testid=\"studio-problem\"][data-field=\"{field}\"]"))).await.unwrap().len()
}

async fn wait_problem(c: &Client, field: &str, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while (problems(c, field).await > 0) != present {
        assert!(Instant::now() < deadline, "a problem at {field} should be {}", if present { "shown" } else { "gone" });
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn shot(c: &Client, name: &str) -> PathBuf {
    tokio::time::sleep(Duration::from_millis(400)).await;
    let png = c.screenshot().await.unwrap();
    let dir = kiosk_e2e::artifacts_dir().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, &png).unwrap();
    kiosk_e2e::assert_not_blank(&png, &path);
    path
}

/// Ten edits of the open event's title, each timed from the keystroke to the
/// kiosk in the preview frame having drawn it (the pane's own figure). Sorted.
async fn preview_refresh_ms(c: &Client) -> Vec<u64> {
    click(c, "studio-nav-events").await;
    let version = |c: Client| async move {
        c.execute(
            "const e = document.querySelector('[data-testid=preview-updated]'); \
             return e ? [Number(e.dataset.version), Number(e.dataset.ms)] : [0, 0];",
            vec![],
        )
        .await
        .unwrap()
    };
    let mut out = Vec::new();
    for i in 0..10 {
        let before = version(c.clone()).await[0].as_u64().unwrap_or(0);
        if c.find_all(Locator::Css("[data-testid=\"event-title-en\"]")).await.unwrap().is_empty() {
            let row =
                format!("//*[@data-testid='event-row'][contains(., '{EVENT}')]//button[contains(@class, 'pick')]");
            c.find(Locator::XPath(&row)).await.expect("the new event is listed").click().await.unwrap();
        }
        testid(c, "event-title-en").await.send_keys(if i % 2 == 0 { "!" } else { "\u{E003}" }).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = version(c.clone()).await;
            if v[0].as_u64().unwrap_or(0) > before {
                out.push(v[1].as_u64().unwrap());
                break;
            }
            assert!(Instant::now() < deadline, "the preview never refreshed after edit {i}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    out.sort();
    out
}

/// Waits until the page (or the frame the session is in) shows `needle`.
async fn wait_text(c: &Client, needle: &str, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    loop {
        let text = c.execute("return document.body ? document.body.innerText : ''", vec![]).await.unwrap();
        let text = text.as_str().unwrap_or("");
        if text.contains(needle) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {needle:?} not in {text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const EVENT: &str = "Embassy Book Fair";
const KK_TITLE: &str = "Шолу";
const KK_BODY: &str = "Қазақстан Республикасының Конституциясы 1995 жылы қабылданды.";

#[tokio::test]
async fn staff_publish_from_the_studio_and_the_kiosk_shows_it() {
    let _one = ONE_AT_A_TIME.lock().await;
    let scratch = tempfile::tempdir().unwrap();
    let content = scratch.path().join("content");
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("content"), &content);
    let (public, secret) = kiosk_updates::sign::generate_keypair(Some("lobby-key-pw".into())).unwrap();
    let key = scratch.path().join("embassy.key");
    std::fs::write(&key, &secret).unwrap();
    let usb = scratch.path().join("usb");
    std::fs::create_dir_all(&usb).unwrap();

    // The kiosk in the lobby, trusting the embassy's key and reading the stick. Started first:
    // its driver picks free ports, which a busy browser's own connections could take meanwhile.
    let key_line = public.lines().nth(1).unwrap();
    let extra = format!("[updates]\ntrusted_keys = [\"{key_line}\"]\ninbox = [{usb:?}]\npoll_secs = 1\n");
    let k = Kiosk::start(Options { name: "studio-kiosk".into(), extra_config: extra, ..Options::default() }).await;
    k.wait_testid("home").await;

    let (_studio, url) = start_studio(&content);
    let (_driver, c) = start_browser(&scratch.path().join("chromium")).await;
    c.goto(&url).await.unwrap();
    let mut clicks = 0;
    let mut typed = 0;

    // An event, with the pickers.
    click(&c, "studio-nav-events").await;
    click(&c, "event-add").await;
    clicks += 2;
    type_into(&c, "event-title-en", EVENT).await;
    type_into(&c, "event-location-en", "Embassy library").await;
    pick(&c, "event-start", "2026-12-20T11:00").await;
    typed += 3;
    // The end before the start: shown at the end, and nothing can be saved.
    pick(&c, "event-end", "2026-12-20T10:00").await;
    wait_problem(&c, "event-end", true).await;
    let events_before = std::fs::read_to_string(content.join("events.toml")).unwrap();
    click(&c, "studio-save").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(std::fs::read_to_string(content.join("events.toml")).unwrap(), events_before, "nothing written");
    pick(&c, "event-end", "2026-12-20T16:00").await;
    typed += 1;
    wait_problem(&c, "event-end", false).await;
    shot(&c, "studio-events").await;

    // A section in two languages, side by side.
    click(&c, "studio-nav-sections").await;
    testid(&c, "section-row").await.click().await.unwrap();
    type_into(&c, "section-title-kk", KK_TITLE).await;
    type_into(&c, "section-body-kk", KK_BODY).await;
    shot(&c, "studio-sections").await;

    // A track: an MP3 is refused with its reason, an Ogg file is taken.
    click(&c, "studio-nav-music").await;
    let mp3 = scratch.path().join("song.mp3");
    std::fs::write(&mp3, b"ID3\x04\0\0\0\0\0\0\xff\xfb\x90\x64").unwrap();
    testid(&c, "track-upload").await.send_keys(mp3.to_str().unwrap()).await.unwrap();
    wait_problem(&c, "track-upload", true).await;
    let ogg = scratch.path().join("Dombra Night.ogg");
    std::fs::copy(kiosk_e2e::repo_root().join("content/music/evening-song.ogg"), &ogg).unwrap();
    let rows = c.find_all(Locator::Css("[data-testid=\"track-row\"]")).await.unwrap().len();
    testid(&c, "track-upload").await.send_keys(ogg.to_str().unwrap()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.find_all(Locator::Css("[data-testid=\"track-row\"]")).await.unwrap().len() == rows {
        assert!(Instant::now() < deadline, "the uploaded track is listed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!content.join("music/dombra-night.ogg").exists(), "uploads wait for Save");
    // A track needs its credit: the problem shows at the new track's field until it is given.
    wait_problem(&c, "track-credit-en", true).await;
    let credit = c
        .find(Locator::Css("[data-testid=\"track-row\"][data-key=\"dombra-night\"] [data-testid=\"track-credit-en\"]"))
        .await
        .expect("the new track has a credit field");
    credit.send_keys("Recorded at the embassy, 2026").await.unwrap();
    wait_problem(&c, "track-credit-en", false).await;

    // A colour below AA is refused at the colour.
    click(&c, "studio-nav-settings").await;
    pick(&c, "theme-text", "#b0b0b0").await;
    wait_problem(&c, "theme-text", true).await;
    pick(&c, "theme-text", "#1b2430").await;
    wait_problem(&c, "theme-text", false).await;

    // Save: everything on disk, through the bundle build's rules.
    click(&c, "studio-save").await;
    clicks += 1;
    testid(&c, "studio-saved").await;
    let events = std::fs::read_to_string(content.join("events.toml")).unwrap();
    assert!(events.starts_with(&events_before) && events.contains(EVENT), "{events}");
    assert!(std::fs::read_to_string(content.join("sections/overview.kk.md")).unwrap().contains(KK_BODY));
    assert!(content.join("music/dombra-night.ogg").exists());

    // The preview is the kiosk's own UI, fed the bundle the studio would build.
    let frame = testid(&c, "studio-preview").await;
    frame.clone().enter_frame().await.unwrap();
    wait_text(&c, EVENT, Duration::from_secs(20), "the preview shows the new event").await;
    c.enter_parent_frame().await.unwrap();
    shot(&c, "studio-preview").await;
    click(&c, "preview-portrait").await;
    click(&c, "preview-lang-kk").await;
    let frame = testid(&c, "studio-preview").await;
    frame.enter_frame().await.unwrap();
    wait_text(&c, KK_TITLE, Duration::from_secs(20), "the portrait preview in Kazakh").await;
    c.enter_parent_frame().await.unwrap();
    shot(&c, "studio-preview-portrait-kk").await;
    click(&c, "preview-landscape").await;
    click(&c, "preview-lang-en").await;
    click(&c, "studio-nav-music").await;
    shot(&c, "studio-music").await;
    let refresh = preview_refresh_ms(&c).await;

    // Publish to the stick.
    click(&c, "studio-nav-publish").await;
    type_into(&c, "publish-key", key.to_str().unwrap()).await;
    type_into(&c, "publish-password", "lobby-key-pw").await;
    type_into(&c, "publish-folder", usb.to_str().unwrap()).await;
    click(&c, "publish-go").await;
    clicks += 2;
    typed += 3;
    let result = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=\"publish-result\"][data-version]"))
        .await
        .expect("publishing reports the version it made");
    let version: u64 = result.attr("data-version").await.unwrap().unwrap().parse().unwrap();
    shot(&c, "studio-published").await;

    // A colleague edits events.toml in a text editor meanwhile: the studio says so, and its next
    // save leaves the colleague's file alone.
    let by_hand =
        std::fs::read_to_string(content.join("events.toml")).unwrap().replace(EVENT, "Embassy Book Fair (by hand)");
    std::fs::write(content.join("events.toml"), &by_hand).unwrap();
    testid(&c, "studio-conflict").await;
    click(&c, "studio-nav-settings").await;
    type_into(&c, "settings-idle", "120").await;
    click(&c, "studio-save").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(std::fs::read_to_string(content.join("events.toml")).unwrap(), by_hand, "not overwritten");
    assert!(std::fs::read_to_string(content.join("settings.toml")).unwrap().contains("idle_timeout_secs = 90"));
    shot(&c, "studio-conflict").await;
    let bundle = usb.join(format!("embassy-{version}.kbundle"));
    let sig = kiosk_updates::sign::Signature::decode(
        &std::fs::read_to_string(kiosk_updates::sign::signature_path(&bundle)).unwrap(),
    )
    .unwrap();
    kiosk_updates::sign::verify(
        &kiosk_updates::sign::parse_public_key(&public).unwrap(),
        &sig,
        &std::fs::read(&bundle).unwrap(),
    )
    .expect("the published bundle's signature verifies");

    // The kiosk installs it and shows the new event and the Kazakh text.
    wait_text(&k.client, EVENT, Duration::from_secs(40), "the kiosk shows the published event").await;
    switch_language(&k, "kk", "Қазақстан Елшілігі").await;
    k.wait_testid("section-link").await;
    let titles = section_titles(&k).await;
    assert!(titles.iter().any(|t| t == KK_TITLE), "{titles:?}");
    k.screenshot("studio-published-on-kiosk").await;
    k.stop().await;

    let figures = format!(
        "studio: preview refresh after an edit (edit to the kiosk in the frame drawn), 10 edits: p50 {} ms, max {} ms \
         ({} build)\n\
         studio: from opening to a published bundle with one new event: {clicks} clicks and {typed} typed fields \
         (Events, Add event, Save, Publish page, Publish; title, location, start, end; key path, password and \
         folder, asked once a session)\n",
        refresh[refresh.len() / 2],
        refresh[refresh.len() - 1],
        if kiosk_e2e::app_binary().to_string_lossy().contains("/release/") { "release" } else { "debug" },
    );
    std::fs::write(kiosk_e2e::artifacts_dir().join("studio-figures.txt"), figures).unwrap();
    let _ = c.close().await;
}

/// The text of the first problem shown at `field`.
async fn problem_text(c: &Client, field: &str) -> String {
    let css = format!("[data-testid=\"studio-problem\"][data-field=\"{field}\"]");
    c.find(Locator::Css(&css)).await.unwrap_or_else(|_| panic!("a problem at {field}")).text().await.unwrap()
}

#[tokio::test]
async fn a_picture_and_a_track_title_speech_cannot_read_are_shown_where_staff_fix_them() {
    let _one = ONE_AT_A_TIME.lock().await;
    let scratch = tempfile::tempdir().unwrap();
    let content = scratch.path().join("content");
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("content"), &content);
    let (_studio, url) = start_studio(&content);
    let (_driver, c) = start_browser(&scratch.path().join("chromium")).await;
    c.goto(&url).await.unwrap();

    // A picture with no description, typed into a section's text: shown under that text.
    click(&c, "studio-nav-sections").await;
    testid(&c, "section-row").await.click().await.unwrap();
    let before = std::fs::read_to_string(content.join("sections/overview.md")).unwrap();
    type_into(&c, "section-body-en", "![](map.png)\n\nThe Constitution was adopted in 1995.").await;
    wait_problem(&c, "section-body-en", true).await;
    let said = problem_text(&c, "section-body-en").await;
    assert!(said.contains("the picture `map.png` has no description for visitors who cannot see it"), "{said}");
    assert!(said.contains("sections/overview.md:7"), "file and line in small print: {said}");
    shot(&c, "studio-picture-problem").await;
    click(&c, "studio-save").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let unchanged = std::fs::read_to_string(content.join("sections/overview.md")).unwrap();
    assert_eq!(unchanged, before, "nothing is saved while the picture stands");
    // Fixed as the problem says, in words: it goes away, and the save goes through.
    type_into(&c, "section-body-en", "The map shows the regions.\n\nThe Constitution was adopted in 1995.").await;
    wait_problem(&c, "section-body-en", false).await;

    // A track whose title is its file's name: shown under the title until it is written in words.
    click(&c, "studio-nav-music").await;
    type_into(&c, "track-title-en", "steppe-morning").await;
    wait_problem(&c, "track-title-en", true).await;
    let said = problem_text(&c, "track-title-en").await;
    assert!(said.contains("is the audio file's name"), "{said}");
    shot(&c, "studio-track-title-problem").await;
    type_into(&c, "track-title-en", "Steppe Morning").await;
    wait_problem(&c, "track-title-en", false).await;

    click(&c, "studio-save").await;
    testid(&c, "studio-saved").await;
    let saved = std::fs::read_to_string(content.join("sections/overview.md")).unwrap();
    assert!(saved.contains("The map shows the regions.") && !saved.contains("!["), "{saved}");
    let _ = c.close().await;
}
