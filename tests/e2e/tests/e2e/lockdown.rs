//! No way out of the kiosk: menus, selection, zoom, navigation and new
//! windows are all refused in the real web view.

use super::*;

#[tokio::test]
async fn nothing_escapes_the_kiosk() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Kiosk::start(Options { name: "lockdown".into(), ..Options::default() }).await;
    k.wait_testid("home").await;
    let start_url = k.client.current_url().await.unwrap();

    let r = k
        .client
        .execute(
            r#"
            const ev = new MouseEvent("contextmenu", { bubbles: true, cancelable: true, button: 2 });
            document.querySelector("[data-testid=home]").dispatchEvent(ev);
            const menuBlocked = ev.defaultPrevented;
            const opened = window.open("https://example.org/", "_blank");
            const zoom = new WheelEvent("wheel", { bubbles: true, cancelable: true, ctrlKey: true, deltaY: -100 });
            window.dispatchEvent(zoom);
            const reload = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, key: "r", ctrlKey: true });
            window.dispatchEvent(reload);
            const a = document.createElement("a");
            a.href = "https://example.org/";
            a.textContent = "outside";
            document.querySelector("[data-testid=home]").appendChild(a);
            a.click();
            return [menuBlocked, opened === null, zoom.defaultPrevented, reload.defaultPrevented];
            "#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        r,
        serde_json::json!([true, true, true, true]),
        "[context menu, window.open, ctrl+wheel zoom, ctrl+R] are all blocked"
    );
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(k.client.current_url().await.unwrap(), start_url, "a link to the outside does not navigate");
    assert_eq!(k.client.windows().await.unwrap().len(), 1, "no new window opened");

    // Navigation forced from script is refused by the shell itself.
    let _ = k.client.execute("window.location.href = 'https://example.org/'; return 1;", vec![]).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(k.client.current_url().await.unwrap(), start_url, "the shell refuses navigation away from the app");
    k.wait_testid("home").await;

    let selected = k
        .client
        .execute(
            r#"const t = document.querySelector("[data-testid=section-link]"); return getComputedStyle(t).webkitUserSelect || getComputedStyle(t).userSelect;"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(selected, serde_json::json!("none"), "no text selection outside inputs");
    k.stop().await;
}
