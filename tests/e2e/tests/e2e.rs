//! End-to-end: the real kiosk app in a real window under Xvfb, driven by WebDriver.
//!
//! Runs one kiosk at a time: two WebKit processes at once on a 2-core
//! machine only make each test slower and flakier.
//!
//! One test binary (one link on a 2-core machine), one module per feature
//! under `e2e/`; what several features share stays here.

use fantoccini::Locator;
use kiosk_e2e::{Audio, Kiosk, Options};

#[path = "e2e/access.rs"]
mod access;

#[path = "e2e/any_count.rs"]
mod any_count;

#[path = "e2e/attract.rs"]
mod attract;

#[path = "e2e/heartbeat.rs"]
mod heartbeat;

#[path = "e2e/home.rs"]
mod home;

#[path = "e2e/lockdown.rs"]
mod lockdown;

#[path = "e2e/metrics.rs"]
mod metrics;

#[path = "e2e/music.rs"]
mod music;

#[path = "e2e/music_device.rs"]
mod music_device;

#[path = "e2e/never_dark.rs"]
mod never_dark;

#[path = "e2e/screens.rs"]
mod screens;

#[path = "e2e/second_embassy.rs"]
mod second_embassy;

#[path = "e2e/signup.rs"]
mod signup;

#[path = "e2e/staff.rs"]
mod staff;

#[path = "e2e/studio.rs"]
mod studio;

#[path = "e2e/startup.rs"]
mod startup;

#[path = "e2e/updates.rs"]
mod updates;

#[path = "e2e/updates_stuck_server.rs"]
mod updates_stuck_server;

#[path = "e2e/visitor.rs"]
mod visitor;

/// Taps the on-screen key that reads `label`.
async fn tap_key(k: &Kiosk, label: &str) {
    k.client
        .find(Locator::XPath(&format!("//*[@data-testid='osk']//button[normalize-space(.)='{label}']")))
        .await
        .unwrap_or_else(|_| panic!("the keyboard has a key {label:?}"))
        .click()
        .await
        .unwrap();
}

/// `content` built into a bundle by the staff tool, as staff would.
fn build(content: &std::path::Path) -> std::path::PathBuf {
    let bundle = content.with_extension("kbundle");
    let kioskctl = kiosk_e2e::app_binary().with_file_name("kioskctl"); // ./dev test builds both
    let o = std::process::Command::new(kioskctl)
        .args(["bundle", "build", content.to_str().unwrap(), "-o", bundle.to_str().unwrap()])
        .output()
        .expect("kioskctl is built beside the app");
    assert!(o.status.success(), "bundle build: {}", String::from_utf8_lossy(&o.stderr));
    bundle
}

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const TITLES: [&str; 3] = ["Overview", "Political Reform", "Interreligious and Interethnic Consent"];

/// The home screen's section titles, read in one script call: a content update
/// may re-render the list at any moment, and element handles would go stale.
async fn section_titles(k: &Kiosk) -> Vec<String> {
    let titles = k
        .client
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=\"section-link\"]')).map(e => e.innerText.trim());",
            vec![],
        )
        .await
        .expect("read the section titles");
    serde_json::from_value(titles).expect("a list of strings")
}

/// The home screen's events panel shows only the events that fit whole, and its
/// buttons stay inside it and on the screen, whatever the language and screen.
async fn assert_events_panel_fits(k: &Kiosk, when: &str) {
    let spilled = k
        .client
        .execute(
            r#"const panel = document.querySelector("aside.events");
               const p = panel.getBoundingClientRect();
               const out = [...panel.children]
                 .filter((el) => el.getBoundingClientRect().bottom > Math.min(p.bottom, innerHeight) + 0.5)
                 .map((el) => el.textContent.trim());
               const list = panel.querySelector("ul");
               if (list) {
                 const l = list.getBoundingClientRect();
                 for (const li of list.children) {
                   const r = li.getBoundingClientRect();
                   // A hidden column wraps beside the list: right of it, or left in a right-to-left page.
                   const shown = r.right <= l.right + 0.5 && r.left >= l.left - 0.5;
                   if (shown && r.bottom > l.bottom + 0.5) out.push("cut: " + li.textContent.trim());
                 }
                 if (![...list.children].some((li) => { const r = li.getBoundingClientRect(); return r.right <= l.right + 0.5 && r.left >= l.left - 0.5; }))
                   out.push("no event shown");
               }
               return out;"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(spilled, serde_json::json!([]), "the events panel spills over ({when})");
}

/// Every topic card's excerpt shows whole lines, inside its card: the cards
/// of a row share its height, and an excerpt with less room than its lines
/// must lose lines, never be cut through one (the clamp's ellipsis is fine).
async fn assert_excerpts_whole(k: &Kiosk, when: &str) {
    let cut = k
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               // Measured after the fit (a ResizeObserver, at the next rendering update) has settled.
               requestAnimationFrame(() => requestAnimationFrame(() => {
               const out = [];
               for (const p of document.querySelectorAll('[data-testid=home] .card .excerpt')) {
                 if (!p.getClientRects().length) continue;
                 const box = p.getBoundingClientRect();
                 const card = p.closest('.card');
                 const cs = getComputedStyle(card);
                 const floor = card.getBoundingClientRect().bottom - parseFloat(cs.paddingBottom) - parseFloat(cs.borderBottomWidth);
                 const what = `${p.textContent.trim().slice(0, 30)} (${box.height.toFixed(1)} px, fit ${p.style.getPropertyValue('--fit') || 'none'})`;
                 // Each line's glyphs (the text's rects, a line each) are shown whole or hidden whole.
                 const range = document.createRange();
                 range.selectNodeContents(p);
                 const cut = [...range.getClientRects()].find((r) => r.top < box.bottom - 1 && r.bottom > box.bottom + 1);
                 if (cut) out.push(`cut through a line ${cut.top.toFixed(1)}–${cut.bottom.toFixed(1)} at ${box.bottom.toFixed(1)}: ${what}`);
                 if (box.bottom > floor + 1) out.push('past its card: ' + what);
               }
               done(out);
               }));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(cut, serde_json::json!([]), "a topic's excerpt is cut ({when})");
}

/// Taps the language switch's `code` and waits for the header to read `embassy`.
async fn switch_language(k: &Kiosk, code: &str, embassy: &str) {
    k.wait_testid(&format!("lang-{code}")).await.click().await.unwrap();
    k.client
        .wait()
        .at_most(std::time::Duration::from_secs(5))
        .for_element(Locator::XPath(&format!("//header//*[contains(text(), '{embassy}')]")))
        .await
        .unwrap_or_else(|_| panic!("the language switch to {code} changes the UI strings"));
}

/// Puts a finger down on `element` and keeps it there, until `lift`.
async fn hold(k: &Kiosk, element: fantoccini::elements::Element) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let press = MouseActions::new("finger".into())
        .then(PointerAction::MoveToElement { element, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT });
    k.client.perform_actions(press).await.expect("touch");
}

async fn lift(k: &Kiosk) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let up = MouseActions::new("finger".into()).then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    k.client.perform_actions(up).await.expect("lift the finger");
}

/// For tests that act as a visitor before going idle: each action is a touch,
/// so the only limit is a few seconds between actions.
const VISIT_CONFIG: &str = "idle_timeout_secs = 6\nattract_slide_secs = 2";

/// Waits for attract mode and touches it: a fresh visit with a full idle countdown,
/// whatever the app's start-up took.
async fn fresh_visit(k: &Kiosk) {
    wait_for_attract(k).await;
    k.wait_testid("attract").await.click().await.unwrap();
    k.wait_testid("home").await;
}

async fn present(k: &Kiosk, testid: &str) -> bool {
    !k.all_testid(testid).await.is_empty()
}

async fn wait_for_attract(k: &Kiosk) {
    k.client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("[data-testid=\"attract\"]"))
        .await
        .expect("attract mode starts after the idle timeout");
}

/// Types into a field the way WebDriver's keyboard does (the fields accept a
/// physical keyboard too; visitors use the on-screen one).
async fn type_into(k: &Kiosk, testid: &str, text: &str) {
    let field = k.wait_testid(testid).await;
    field.click().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// One signup through the form; `Ok(true)` once "Thank you" is on screen.
async fn try_signup(k: &Kiosk, email: &str) -> Result<bool, fantoccini::error::CmdError> {
    let by = |id: &str| Locator::Css(Box::leak(format!("[data-testid=\"{id}\"]").into_boxed_str()));
    let field = k.client.wait().at_most(std::time::Duration::from_secs(10)).for_element(by("signup-email")).await?;
    field.click().await?;
    field.send_keys(email).await?;
    k.client.find(by("signup-consent")).await?.click().await?;
    k.client.find(by("signup-submit")).await?.click().await?;
    k.client.wait().at_most(std::time::Duration::from_secs(10)).for_element(by("signup-thanks")).await?;
    k.client.find(by("signup-again")).await?.click().await?;
    Ok(true)
}

/// The demo content plus a fourth section, built as `version` and signed with `secret`.
fn new_content_bundle(dir: &std::path::Path, name: &str, version: u64, secret: &str) -> std::path::PathBuf {
    new_content_bundle_with(dir, name, version, secret, &[])
}

/// The demo content plus a fourth section and `more` (file name, Markdown), built and signed.
fn new_content_bundle_with(
    dir: &std::path::Path,
    name: &str,
    version: u64,
    secret: &str,
    more: &[(&str, &str)],
) -> std::path::PathBuf {
    use kiosk_content::build::{BuildOptions, build_bundle};
    let content = dir.join(format!("{name}-content"));
    kiosk_testsupport::copy_dir(&kiosk_e2e::repo_root().join("content"), &content);
    std::fs::write(
        content.join("sections/visas.md"),
        "+++\nid = \"visas\"\norder = 4\ntitle = \"Visas and Consular Services\"\n+++\n\nCitizens of many countries may visit Kazakhstan without a visa for up to 30 days.\n",
    )
    .unwrap();
    for (file, text) in more {
        std::fs::write(content.join("sections").join(file), text).unwrap();
    }
    let staging = dir.join(format!("{name}.kbundle"));
    let options = BuildOptions { bundle_version: Some(version), ..BuildOptions::default() };
    build_bundle(&content, &staging, &options, &mut kiosk_content::source::NoProgress).unwrap();
    let comment = kiosk_updates::sign::trusted_comment(version, "stable");
    let sig = kiosk_updates::sign::sign(secret, None, std::fs::File::open(&staging).unwrap(), &comment).unwrap();
    std::fs::write(kiosk_updates::sign::signature_path(&staging), sig).unwrap();
    staging
}

/// Drops a bundle and its signature into the inbox the way a copy to a USB stick lands.
fn drop_into(inbox: &std::path::Path, bundle: &std::path::Path) {
    let name = bundle.file_name().unwrap();
    let sig = kiosk_updates::sign::signature_path(bundle);
    std::fs::copy(&sig, inbox.join(sig.file_name().unwrap())).unwrap();
    std::fs::copy(bundle, inbox.join(name)).unwrap();
}

const STAFF_PIN: &str = "48273915"; // long enough not to turn up by chance in a logged timestamp

/// A `[staff]` section whose PIN is [`STAFF_PIN`].
fn staff_config() -> String {
    format!("[staff]\npin_hash = \"{}\"\n", kiosk_staff::pin::hash_pin(STAFF_PIN).unwrap())
}

/// `n` real pointer taps in the screen's top-left corner (the staff gesture's place).
async fn corner_taps(k: &Kiosk, n: usize) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let mut taps = MouseActions::new("staff-finger".into());
    for _ in 0..n {
        taps = taps
            .then(PointerAction::MoveTo { duration: None, x: 24.0, y: 24.0 })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::Pause { duration: std::time::Duration::from_millis(120) });
    }
    k.client.perform_actions(taps).await.unwrap();
}

/// Types `pin` on the staff keypad and presses OK.
async fn enter_pin(k: &Kiosk, pin: &str) {
    k.wait_testid("staff-pin").await;
    for d in pin.chars() {
        k.wait_testid(&format!("staff-key-{d}")).await.click().await.unwrap();
    }
    k.wait_testid("staff-key-ok").await.click().await.unwrap();
}

/// The text of a `data-testid` element, trimmed.
async fn text_of(k: &Kiosk, testid: &str) -> String {
    k.wait_testid(testid).await.text().await.unwrap().trim().to_string()
}

/// A real Mailman 3 on loopback with the kiosk's list and its REST credentials in a file.
struct MailmanList {
    server: kiosk_testsupport::mailman::Mailman,
    list: String,
    secret: std::path::PathBuf,
    _secrets: tempfile::TempDir,
}

impl MailmanList {
    async fn start() -> Self {
        let server = kiosk_testsupport::mailman::Mailman::start().await;
        let list = server.create_list("lobby-visitors").await;
        let secrets = tempfile::tempdir().unwrap();
        let secret = server.write_credentials(secrets.path());
        MailmanList { server, list, secret, _secrets: secrets }
    }

    /// The kiosk config's `[sync]` section sending to this list at `url` (Mailman's REST root, or a proxy's).
    fn sync_section(&self, url: &str) -> String {
        format!(
            "[sync]\ntarget = \"mailman\"\nurl = \"{url}\"\nlist_id = \"{}\"\ncredentials_file = {:?}\n",
            self.list, self.secret
        )
    }
}
