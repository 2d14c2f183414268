//! A visitor's signup at the edges: a second visitor typing the first one's
//! address learns nothing, the consent recorded is the statement on screen at
//! the tap, and a flood is throttled with a friendly word in the visitor's language.

use super::*;

/// The thank-you screen as markup, read in one call.
async fn thanks_markup(k: &Kiosk) -> String {
    k.wait_testid("signup-thanks").await;
    let html = k
        .client
        .execute("return document.querySelector('[data-testid=\"signup-thanks\"]').outerHTML;", vec![])
        .await
        .expect("read the thank-you screen");
    html.as_str().expect("markup").to_string()
}

/// Fills the open form with `email`, ticks consent and taps "Sign up".
async fn fill_and_submit(k: &Kiosk, email: &str) {
    type_into(k, "signup-email", email).await;
    k.wait_testid("signup-consent").await.click().await.unwrap();
    k.wait_testid("signup-submit").await.click().await.unwrap();
}

/// Submits straight over IPC, as a script in the web view (or a tampered UI)
/// could, with the statement the kiosk shows in `lang`; returns the raw answer
/// (or error) as JSON text, byte for byte what the UI receives.
async fn submit_over_ipc(k: &Kiosk, email: &str, lang: &str) -> String {
    let script = r#"
        const [email, lang, done] = arguments;
        const ipc = window.__TAURI_INTERNALS__;
        ipc.invoke('signup_consent', { lang }).then((s) =>
          ipc.invoke('signup_submit', {
            email, name: '', consent: true,
            consentLang: s.lang, consentVersion: s.version, consentSha256: s.sha256,
          }))
          .then((ok) => done('ok:' + JSON.stringify(ok)), (e) => done('err:' + JSON.stringify(e)));"#;
    let answer = k.client.execute_async(script, vec![email.into(), lang.into()]).await.expect("invoke");
    answer.as_str().expect("a string").to_string()
}

fn store(k: &Kiosk) -> rusqlite::Connection {
    rusqlite::Connection::open(k.dir.path().join("data/signups.sqlite")).unwrap()
}

fn rows(k: &Kiosk) -> Vec<(String, String, u32, String)> {
    let conn = store(k);
    let mut stmt =
        conn.prepare("SELECT email_ascii, lang, consent_version, consent_sha256 FROM signups ORDER BY id").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

#[tokio::test]
async fn a_repeat_address_gets_byte_for_byte_the_answer_a_new_one_gets() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k =
        Kiosk::start(Options { name: "signup-oracle".into(), extra_config: VISIT_CONFIG.into(), ..Options::default() })
            .await;
    // The first visitor signs up.
    fresh_visit(&k).await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    fill_and_submit(&k, "first.visitor@example.org").await;
    let new_screen = thanks_markup(&k).await;
    let new_answer = submit_over_ipc(&k, "someone.new@example.org", "en").await;
    assert_eq!(new_answer, "ok:\"added\"", "a new address is taken");

    // The idle reset: a later visitor types the first one's address.
    wait_for_attract(&k).await;
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    fill_and_submit(&k, "first.visitor@example.org").await;
    let repeat_screen = thanks_markup(&k).await;
    k.screenshot("signup-thanks-repeat").await;
    assert_eq!(repeat_screen, new_screen, "the thank-you screen must not tell that the address is already listed");
    for again in ["first.visitor@example.org", "First.Visitor+news@Example.org"] {
        let answer = submit_over_ipc(&k, again, "en").await;
        assert_eq!(answer, new_answer, "the IPC answer for {again} must be the one a new address gets");
    }

    // The store still keeps one entry per mailbox.
    let emails: Vec<String> = rows(&k).into_iter().map(|r| r.0).collect();
    assert_eq!(emails, ["first.visitor@example.org", "someone.new@example.org"], "no second pending row");
    k.stop().await;
}

/// The demo content with another consent statement (`version`, Russian text
/// `ru`), built as bundle `bundle_version` and signed with `secret`.
fn bundle_with_consent(
    dir: &std::path::Path,
    bundle_version: u64,
    secret: &str,
    version: u32,
    ru: &str,
) -> std::path::PathBuf {
    use kiosk_content::build::{BuildOptions, build_bundle};
    let content = dir.join("consent-content");
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("content"), &content);
    let settings = std::fs::read_to_string(content.join("settings.toml")).unwrap();
    let (head, tail) = settings.split_once("[consent]").expect("the demo settings have a [consent] section");
    let tail: String = tail
        .lines()
        .map(|l| {
            if l.starts_with("version = ") {
                format!("version = {version}")
            } else if l.starts_with("ru = ") {
                format!("ru = {ru:?}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(content.join("settings.toml"), format!("{head}[consent]{tail}\n")).unwrap();
    let staging = dir.join("consent.kbundle");
    let options = BuildOptions { bundle_version: Some(bundle_version), ..BuildOptions::default() };
    build_bundle(&content, &staging, &options, &mut kiosk_content::source::NoProgress).unwrap();
    let comment = kiosk_updates::sign::trusted_comment(bundle_version, "stable");
    let sig = kiosk_updates::sign::sign(secret, None, std::fs::File::open(&staging).unwrap(), &comment).unwrap();
    std::fs::write(kiosk_updates::sign::signature_path(&staging), sig).unwrap();
    staging
}

/// The consent statement on screen, as the visitor reads it.
async fn consent_on_screen(k: &Kiosk) -> String {
    let text = k
        .client
        .execute(
            "const s = document.querySelector('label.consent span'); return s ? s.textContent.trim() : '';",
            vec![],
        )
        .await
        .unwrap();
    text.as_str().unwrap_or_default().to_string()
}

/// Waits up to 5 s for the statement on screen to differ from `old`; returns what is shown then.
async fn consent_after(k: &Kiosk, old: &str) -> String {
    for _ in 0..50 {
        let now = consent_on_screen(k).await;
        if !now.is_empty() && now != old {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    consent_on_screen(k).await
}

#[tokio::test]
async fn after_a_language_switch_the_consent_recorded_is_the_statement_then_on_screen() {
    use kiosk_signups::consent::sha256_hex;
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "signup-consent-lang".into(), ..Options::default() }).await;
    let demo = kiosk_content::Bundle::open(&k.dir.path().join("content.kbundle")).unwrap();
    let (_, ru_text, _) = demo.consent(Some("ru"));

    k.wait_testid("home").await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    k.wait_testid("signup-view").await;
    let english = consent_after(&k, "").await;
    assert!(english.starts_with("I agree"), "the form opens with the English statement: {english}");
    switch_language(&k, "ru", "Посольство").await;
    let shown = consent_after(&k, &english).await;
    fill_and_submit(&k, "lang.switch@example.org").await;
    k.wait_testid("signup-thanks").await;
    let recorded = rows(&k);
    assert_eq!(
        recorded[0].3,
        sha256_hex(&shown),
        "the consent recorded must be the text on screen at the tap ({shown:?}), not another language's"
    );
    assert_eq!((recorded[0].1.as_str(), recorded[0].3.as_str()), ("ru", sha256_hex(&ru_text).as_str()));
    k.stop().await;
}

#[tokio::test]
async fn a_bundle_that_changes_the_consent_under_the_visitor_asks_again_and_records_only_what_was_seen() {
    use kiosk_signups::consent::sha256_hex;
    let _one = ONE_AT_A_TIME.lock().await;
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = kiosk_updates::sign::generate_keypair(None).unwrap();
    let inbox = keys.path().join("usb");
    std::fs::create_dir_all(&inbox).unwrap();
    let key_line = public.lines().nth(1).unwrap();
    let extra = format!("[updates]\ntrusted_keys = [\"{key_line}\"]\ninbox = [{inbox:?}]\npoll_secs = 1\n");
    let k =
        Kiosk::start(Options { name: "signup-consent-swap".into(), extra_config: extra, ..Options::default() }).await;
    let demo = kiosk_content::Bundle::open(&k.dir.path().join("content.kbundle")).unwrap();
    let (_, ru_text, _) = demo.consent(Some("ru"));
    k.wait_testid("home").await;
    switch_language(&k, "ru", "Посольство").await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    k.wait_testid("signup-view").await;
    consent_after(&k, "").await;

    // A new bundle with a changed statement lands while the visitor fills the form.
    type_into(&k, "signup-email", "bundle.swap@example.org").await;
    k.wait_testid("signup-consent").await.click().await.unwrap();
    let before = consent_on_screen(&k).await;
    assert_eq!(before, ru_text, "the visitor reads the statement of the bundle in use");
    let new_ru = "Я согласен(на) получать письма Посольства и его партнёров. Отписаться можно в любое время.";
    let newer = jiff::Timestamp::now().as_second() as u64 + 100_000;
    drop_into(&inbox, &bundle_with_consent(keys.path(), newer, &secret, 2, new_ru));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let version = k
            .client
            .execute_async(
                "const done = arguments[0]; window.__TAURI_INTERNALS__.invoke('home', { lang: 'ru' }).then((h) => done(h.bundle.bundle_version), () => done(0));",
                vec![],
            )
            .await
            .unwrap();
        if version.as_u64() == Some(newer) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the new bundle was never switched in");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(consent_on_screen(&k).await, ru_text, "the statement is not swapped under the visitor's finger");

    // The tap: the kiosk must not record the new text the visitor never saw.
    k.wait_testid("signup-submit").await.click().await.unwrap();
    k.client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("[data-testid=\"signup-error\"], [data-testid=\"signup-thanks\"]"))
        .await
        .expect("the tap is answered");
    let recorded = rows(&k);
    assert!(recorded.is_empty(), "nothing may be recorded under a statement the visitor did not see: {recorded:?}");
    let error = k.wait_testid("signup-error").await;
    assert_eq!(error.attr("data-code").await.unwrap().as_deref(), Some("consent_changed"));
    assert!(error.text().await.unwrap().contains("обновился"), "the visitor is told, in Russian");
    assert_eq!(consent_after(&k, &ru_text).await, new_ru, "the new statement is shown");
    let ticked = k.wait_testid("signup-consent").await.prop("checked").await.unwrap();
    assert_eq!(ticked.as_deref(), Some("false"), "and must be agreed to afresh");
    k.screenshot("signup-consent-changed").await;

    // Read and ticked: recorded with exactly that statement.
    k.wait_testid("signup-consent").await.click().await.unwrap();
    k.wait_testid("signup-submit").await.click().await.unwrap();
    k.wait_testid("signup-thanks").await;
    let last = rows(&k).pop().unwrap();
    assert_eq!(last, ("bundle.swap@example.org".into(), "ru".into(), 2, sha256_hex(new_ru)));
    k.stop().await;
}

#[tokio::test]
async fn a_signup_flood_is_throttled_with_a_friendly_word_in_the_visitors_language() {
    let _one = ONE_AT_A_TIME.lock().await;
    // Portrait: the form with its message must fit a portrait lobby screen too.
    let k = Kiosk::start(Options { name: "signup-flood".into(), size: (1080, 1920), ..Options::default() }).await;
    k.wait_testid("home").await;
    switch_language(&k, "kk", "Елшілігі").await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    // The default: six a minute. Sub-addresses of one mailbox, as an injector would vary them.
    let started = std::time::Instant::now();
    for i in 1..=6 {
        fill_and_submit(&k, &format!("flood+{i}@example.org")).await;
        k.wait_testid("signup-thanks").await;
        k.wait_testid("signup-again").await.click().await.unwrap();
    }
    fill_and_submit(&k, "flood+7@example.org").await;
    let error = k.wait_testid("signup-error").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(55),
        "the seven signups took {:?}: too slow for this test to say anything about a per-minute limit",
        started.elapsed()
    );
    assert_eq!(error.attr("data-code").await.unwrap().as_deref(), Some("too_many"), "the seventh in a minute waits");
    let text = error.text().await.unwrap();
    assert!(text.contains("Біраз күтіп"), "a friendly word, in Kazakh: {text}");
    k.screenshot("signup-too-many-kk-portrait").await;
    // The core enforces it, not only the UI: straight over IPC, another mailbox, the same answer.
    let answer = submit_over_ipc(&k, "another.mailbox@example.org", "kk").await;
    assert!(answer.starts_with("err:") && answer.contains("\"code\":\"too_many\""), "{answer}");
    let emails: Vec<String> = rows(&k).into_iter().map(|r| r.0).collect();
    assert_eq!(emails, ["flood+1@example.org"], "sub-addresses of one mailbox are one signup, one confirmation mail");
    k.stop().await;
}

#[tokio::test]
async fn staff_see_when_the_signup_store_is_full_and_visitors_are_told_kindly() {
    let _one = ONE_AT_A_TIME.lock().await;
    let extra = format!("{}[signups]\nmax_pending = 2\n", staff_config());
    let k = Kiosk::start(Options { name: "signup-full".into(), extra_config: extra, ..Options::default() }).await;
    k.wait_testid("home").await;
    switch_language(&k, "ru", "Посольство").await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    for email in ["one@example.org", "two@example.org"] {
        fill_and_submit(&k, email).await;
        k.wait_testid("signup-thanks").await;
        k.wait_testid("signup-again").await.click().await.unwrap();
    }
    fill_and_submit(&k, "three@example.org").await;
    let error = k.wait_testid("signup-error").await;
    assert_eq!(error.attr("data-code").await.unwrap().as_deref(), Some("store_full"));
    assert!(error.text().await.unwrap().contains("стойку регистрации"), "kindly, in Russian");
    assert_eq!(
        submit_over_ipc(&k, "one@example.org", "ru").await,
        submit_over_ipc(&k, "four@example.org", "ru").await,
        "a full store refuses a listed address and a new one alike"
    );
    corner_taps(&k, 5).await;
    enter_pin(&k, STAFF_PIN).await;
    let warning = text_of(&k, "staff-signups-full").await;
    assert!(
        warning.contains("2 signups") && warning.contains("max_pending"),
        "staff see the cap and what to do: {warning}"
    );
    k.screenshot("staff-signups-full").await;
    k.stop().await;
}
