//! The signup form end to end: validated in the visitor's language, stored
//! durably (even across a SIGKILL), delivered to a real Mailman and then gone.

use super::*;

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
    // At least 8 kills, and on until at least 8 signups were thanked between
    // them: on a slow or busy machine the random kills come before many
    // thank-yous, which would prove little (at most 24 kills).
    let (min_kills, max_kills) = (8, 24);
    let mut cycles = 0;
    while cycles < min_kills || (confirmed.len() < min_kills && cycles < max_kills) {
        let cycle = cycles;
        cycles += 1;
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
    assert!(confirmed.len() >= min_kills, "the test must confirm signups between kills to mean anything");
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

#[tokio::test]
async fn a_kazakh_domain_is_typed_in_cyrillic_after_the_at_and_stored_as_punycode() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "signup-idn".into(), ..Options::default() }).await;
    k.wait_testid("home").await;
    switch_language(&k, "kk", "Қазақстан Елшілігі").await;
    k.wait_testid("signup-link").await.click().await.unwrap();
    k.wait_testid("signup-email").await.click().await.unwrap();
    assert!(
        k.client.find(Locator::Css("[data-testid=osk-script]")).await.is_err(),
        "before the @ the address keyboard is ASCII only"
    );
    for key in ["a", "i", "@"] {
        tap_key(&k, key).await;
    }
    k.wait_testid("osk-script").await.click().await.unwrap();
    for key in ["п", "о", "ч", "т", "а"] {
        tap_key(&k, key).await;
    }
    tap_key(&k, ".қаз").await; // the bundle's own ending key
    let typed = k.wait_testid("signup-email").await.prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some("ai@почта.қаз"));
    k.screenshot("signup-idn-kk").await;
    k.wait_testid("signup-consent").await.click().await.unwrap();
    k.wait_testid("signup-submit").await.click().await.unwrap();
    k.wait_testid("signup-thanks").await;
    let conn = rusqlite::Connection::open(k.dir.path().join("data/signups.sqlite")).unwrap();
    let email: String = conn.query_row("SELECT email_ascii FROM signups", [], |r| r.get(0)).unwrap();
    assert_eq!(email, "ai@xn--80a1acny.xn--80ao21a", "the domain is stored as the list server needs it");
    k.stop().await;
}
