//! Another embassy, from content alone: the second demo folder
//! (`examples/second-embassy`, a made-up republic with Arabic, Chinese and
//! French) built by kioskctl and run through the visitor's flows: its own
//! name, emblem and colours, every language of the bundle on the switch,
//! Arabic laid out right to left, Chinese drawn in its own font, a signup
//! thanked in the visitor's language. Screenshots in both orientations.

use super::*;

const NAME_EN: &str = "Embassy of the Republic of Solmara";

/// The second embassy's content, built as staff would.
fn solmara() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("solmara");
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("examples/second-embassy"), &content);
    let bundle = build(&content);
    (tmp, bundle)
}

async fn js(k: &Kiosk, script: &str) -> serde_json::Value {
    k.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// The page's language and direction, and where the brand and the language
/// switch sit (left edges): in a right-to-left language the brand is on the right.
async fn layout(k: &Kiosk) -> (String, String, f64, f64) {
    let v = js(
        k,
        "const x = (s) => document.querySelector(s).getBoundingClientRect().left;\
         return [document.documentElement.lang, document.documentElement.dir, x('header .brand'), x('[data-testid=lang-switch]')];",
    )
    .await;
    (v[0].as_str().unwrap().into(), v[1].as_str().unwrap().into(), v[2].as_f64().unwrap(), v[3].as_f64().unwrap())
}

/// Everything on screen that runs past its edges (nothing may), leaving out
/// what a box clips on purpose (the events that do not fit the panel wrap
/// into a hidden column: to the left of it in a right-to-left page).
async fn overflow(k: &Kiosk) -> serde_json::Value {
    js(
        k,
        "const hidden = (e) => { const r = e.getBoundingClientRect();\
           for (let a = e.parentElement; a; a = a.parentElement) {\
             if (getComputedStyle(a).overflowX === 'visible') continue;\
             const p = a.getBoundingClientRect(); if (r.right <= p.left + 1 || r.left >= p.right - 1) return true; }\
           return false; };\
         return Array.from(document.querySelectorAll('main *, header *')).filter(e => {\
           const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < -1 || r.right > innerWidth + 1) && !hidden(e);\
         }).slice(0, 5).map(e => e.outerHTML.slice(0, 80));",
    )
    .await
}

#[tokio::test]
async fn another_embassy_speaks_arabic_right_to_left_and_chinese_and_signs_up_in_them() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_tmp, bundle) = solmara();
    let k = Kiosk::start(Options { name: "second-embassy".into(), bundle: Some(bundle), ..Options::default() }).await;
    k.wait_testid("home").await;
    switch_language(&k, "en", NAME_EN).await;
    let body = js(&k, "return document.body.innerText;").await;
    let body = body.as_str().unwrap();
    for word in ["Kazakh", "Қазақ", "Казах"] {
        assert!(!body.contains(word), "nothing of the first embassy shows on another's kiosk ({word}): {body}");
    }
    let emblem =
        js(&k, "const i = document.querySelector('header img.emblem'); return i && i.complete && i.naturalWidth > 0;")
            .await;
    assert_eq!(emblem, serde_json::json!(true), "the bundle's emblem is drawn");
    let names = js(&k, "return Array.from(document.querySelectorAll('[data-testid^=lang-]')).filter(b => b.tagName === 'BUTTON').map(b => [b.dataset.testid, b.innerText.trim()]);").await;
    assert_eq!(
        names,
        serde_json::json!([
            ["lang-en", "English"],
            ["lang-ar", "العربية"],
            ["lang-zh", "中文"],
            ["lang-fr", "Français"]
        ]),
        "every language of the bundle, each in its own name"
    );
    let (lang, dir, brand, switch) = layout(&k).await;
    assert_eq!((lang.as_str(), dir.as_str()), ("en-GB", "ltr"), "the page speaks the bundle's locale");
    assert!(brand < switch, "left to right: the name on the left");
    k.screenshot("second-home-en").await;

    // Arabic: the whole screen mirrors; the page says so to the browser.
    switch_language(&k, "ar", "سفارة").await;
    let (lang, dir, brand, switch) = layout(&k).await;
    assert_eq!((lang.as_str(), dir.as_str()), ("ar", "rtl"), "Arabic lays out right to left");
    assert!(brand > switch, "right to left: the name on the right ({brand} vs {switch})");
    k.screenshot("second-home-ar").await;
    assert_eq!(overflow(&k).await, serde_json::json!([]), "nothing runs off the mirrored screen");
    assert_events_panel_fits(&k, "ar landscape").await;
    let titles = section_titles(&k).await;
    assert!(
        titles.iter().all(|t| t.chars().any(|c| ('\u{600}'..='\u{6ff}').contains(&c))),
        "Arabic topics: {titles:?}"
    );
    k.screenshot("second-home-ar").await;
    k.all_testid("section-link").await.into_iter().nth(3).expect("the consular topic").click().await.unwrap();
    k.wait_testid("section-view").await;
    k.screenshot("second-section-ar").await;
    k.wait_testid("back").await.click().await.unwrap();
    k.wait_testid("events-link").await.click().await.unwrap();
    k.wait_testid("events-view").await;
    k.screenshot("second-events-ar").await;
    k.wait_testid("back").await.click().await.unwrap();
    k.wait_testid("music-link").await.click().await.unwrap();
    k.wait_testid("music-view").await;
    let intro = js(&k, "return document.querySelector('[data-testid=music-view] .intro').innerText;").await;
    assert!(!intro.as_str().unwrap().is_empty() && !intro.as_str().unwrap().contains("{n}"), "{intro}");
    k.screenshot("second-music-ar").await;
    k.wait_testid("back").await.click().await.unwrap();

    // An Arabic name on the Arabic keyboard; the address stays Latin, left to right.
    k.wait_testid("signup-link").await.click().await.unwrap();
    k.wait_testid("signup-name").await.click().await.unwrap();
    let layout = k.wait_testid("osk").await.attr("data-layout").await.unwrap();
    assert_eq!(layout.as_deref(), Some("arabic"), "the name keyboard follows the language's script");
    let label = k.wait_testid("osk").await.attr("aria-label").await.unwrap();
    assert_eq!(
        label.as_deref(),
        Some("لوحة المفاتيح"),
        "controls are named for screen readers in the visitor's language"
    );
    for letter in ["س", "ا", "ر", "ة"] {
        tap_key(&k, letter).await;
    }
    let name = k.wait_testid("signup-name").await.prop("value").await.unwrap();
    assert_eq!(name.as_deref(), Some("سارة"));
    let email_dir =
        js(&k, "return getComputedStyle(document.querySelector('[data-testid=signup-email]')).direction;").await;
    assert_eq!(email_dir, serde_json::json!("ltr"), "a Latin address is typed left to right on a mirrored screen");
    type_into(&k, "signup-email", "sara@example.com").await;
    k.screenshot("second-signup-ar").await;
    k.wait_testid("signup-consent").await.click().await.unwrap();
    k.wait_testid("signup-submit").await.click().await.unwrap();
    let thanks = k.wait_testid("signup-thanks").await.text().await.unwrap();
    assert!(thanks.chars().any(|c| ('\u{600}'..='\u{6ff}').contains(&c)), "thanked in Arabic: {thanks}");
    k.wait_testid("signup-again").await.click().await.unwrap();

    // Chinese: its words, its font, and a signup thanked in Chinese.
    k.wait_testid("back").await.click().await.unwrap();
    switch_language(&k, "zh", "大使馆").await;
    k.screenshot("second-home-zh").await;
    let font =
        js(&k, "return getComputedStyle(document.querySelector('[data-testid=section-link]')).fontFamily;").await;
    assert!(font.as_str().unwrap().contains("CJK"), "Chinese reaches a CJK font in the stack: {font}");
    k.wait_testid("signup-link").await.click().await.unwrap();
    k.wait_testid("osk").await;
    k.screenshot("second-signup-zh").await;
    type_into(&k, "signup-email", "li.wei@example.cn").await;
    k.wait_testid("signup-consent").await.click().await.unwrap();
    k.wait_testid("signup-submit").await.click().await.unwrap();
    let thanks = k.wait_testid("signup-thanks").await.text().await.unwrap();
    assert!(thanks.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "thanked in Chinese: {thanks}");
    let store = k.dir.path().join("data/signups.sqlite");
    let conn = rusqlite::Connection::open(&store).unwrap();
    let mut langs: Vec<String> = conn
        .prepare("SELECT lang FROM signups ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    langs.sort();
    assert_eq!(langs, ["ar", "zh"], "each signup records its visitor's language");
    k.stop().await;
}

#[tokio::test]
async fn another_embassy_in_portrait() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_tmp, bundle) = solmara();
    let k = Kiosk::start(Options {
        name: "second-embassy-portrait".into(),
        size: (1080, 1920),
        bundle: Some(bundle),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    for (code, name) in [("en", NAME_EN), ("ar", "سفارة"), ("zh", "大使馆"), ("fr", "Ambassade")] {
        switch_language(&k, code, name).await;
        assert_eq!(overflow(&k).await, serde_json::json!([]), "{code}: nothing runs off the portrait screen");
        assert_events_panel_fits(&k, &format!("{code} portrait")).await;
        assert_excerpts_whole(&k, &format!("{code} portrait")).await;
        k.screenshot(&format!("second-home-portrait-{code}")).await;
    }
    switch_language(&k, "ar", "سفارة").await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    k.wait_testid("osk").await;
    k.screenshot("second-signup-portrait-ar").await;
    k.stop().await;
}

/// The second embassy with `extra` languages added by content alone (a
/// `ui/<code>.toml` naming each), built.
fn with_languages(extra: &[(&str, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("content");
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("examples/second-embassy"), &content);
    let settings = std::fs::read_to_string(content.join("settings.toml")).unwrap();
    let codes: Vec<String> = extra.iter().map(|(code, _)| format!(", \"{code}\"")).collect();
    let settings = settings.replacen("\"fr\"]", &format!("\"fr\"{}]", codes.concat()), 1);
    std::fs::write(content.join("settings.toml"), settings).unwrap();
    for (code, name) in extra {
        if !["kk", "ru"].contains(code) {
            std::fs::write(content.join(format!("ui/{code}.toml")), format!("[language]\nname = \"{name}\"\n"))
                .unwrap();
        }
    }
    let bundle = build(&content);
    (tmp, bundle)
}

/// Waits until the page is in `lang` (its root's `lang`, set from the bundle's locale).
async fn wait_page_lang(k: &Kiosk, lang: &str) {
    for _ in 0..50 {
        if js(k, "return document.documentElement.lang;").await == serde_json::json!(lang) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page never switched to {lang}: {}", js(k, "return document.documentElement.lang;").await);
}

/// The language buttons' boxes: all inside the header and the screen, none over the embassy's name.
async fn buttons_fit(k: &Kiosk) -> serde_json::Value {
    js(
        k,
        "const h = document.querySelector('header').getBoundingClientRect();\
         const name = document.querySelector('header .brand').getBoundingClientRect();\
         return Array.from(document.querySelectorAll('header [data-testid^=lang-]')).filter(b => b.tagName === 'BUTTON').filter(b => {\
           const r = b.getBoundingClientRect();\
           const over = r.left < name.right && r.right > name.left && r.top < name.bottom && r.bottom > name.top;\
           return r.left < 0 || r.right > innerWidth || r.top < h.top || r.bottom > h.bottom || over || r.height < 60;\
         }).map(b => b.dataset.testid);",
    )
    .await
}

#[tokio::test]
async fn eight_languages_fit_on_the_header_in_both_orientations_and_more_open_a_chooser() {
    let _one = ONE_AT_A_TIME.lock().await;
    let eight = [("kk", ""), ("ru", ""), ("es", "Español"), ("de", "Deutsch")];
    let (_tmp, bundle) = with_languages(&eight);
    for (size, shape) in [((1920, 1080), "landscape"), ((1080, 1920), "portrait")] {
        let k = Kiosk::start(Options {
            name: format!("eight-languages-{shape}"),
            size,
            bundle: Some(bundle.clone()),
            ..Options::default()
        })
        .await;
        k.wait_testid("home").await;
        for code in ["en", "ar", "zh", "fr", "kk", "ru", "es", "de"] {
            k.wait_testid(&format!("lang-{code}")).await;
        }
        assert_eq!(buttons_fit(&k).await, serde_json::json!([]), "eight language buttons fit, {shape}");
        k.wait_testid("lang-de").await.click().await.unwrap();
        wait_page_lang(&k, "de").await; // no German words: the default language's, all but the button
        switch_language(&k, "ar", "سفارة").await;
        assert_eq!(buttons_fit(&k).await, serde_json::json!([]), "eight language buttons fit, {shape}, mirrored");
        k.screenshot(&format!("eight-languages-{shape}")).await;
        k.stop().await;
    }

    let nine = [("kk", ""), ("ru", ""), ("es", "Español"), ("de", "Deutsch"), ("tr", "Türkçe")];
    let (_tmp, bundle) = with_languages(&nine);
    let k = Kiosk::start(Options {
        name: "nine-languages".into(),
        size: (1080, 1920),
        bundle: Some(bundle),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    assert!(k.client.find(Locator::Css("[data-testid=lang-tr]")).await.is_err(), "nine do not stand on the header");
    k.wait_testid("lang-chooser").await.click().await.unwrap();
    k.wait_testid("lang-choices").await;
    k.screenshot("nine-languages-chooser").await;
    k.wait_testid("lang-tr").await.click().await.unwrap();
    wait_page_lang(&k, "tr").await;
    assert!(k.client.find(Locator::Css("[data-testid=lang-choices]")).await.is_err(), "the chooser closes");
    let label = k.wait_testid("lang-chooser").await.text().await.unwrap();
    assert!(label.contains("Türkçe"), "the chooser names the language on screen: {label}");
    k.stop().await;
}
