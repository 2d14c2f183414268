//! Only the staff member who started the studio gets in.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::fixture::{Fixture, ORIGIN};

#[test]
fn other_hosts_pages_and_users_are_refused() {
    let f = Fixture::new();
    // DNS rebinding: a page at evil.example resolved to 127.0.0.1 sends its own Host.
    let rebound = f.send(
        Request::get("/api/content")
            .header(header::HOST, "evil.example:4321")
            .header(header::COOKIE, &f.cookie)
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(rebound.status, StatusCode::FORBIDDEN);
    // No cookie (another local user, or a page that guessed the port).
    let anonymous = f.send(Request::get("/api/content").body(Body::empty()).unwrap());
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // A page elsewhere posting with the staff member's cookie (CSRF).
    let body = serde_json::json!({ "base_revs": {}, "drafts": f.content()["drafts"] }).to_string();
    for origin in [Some("http://evil.example"), None] {
        let mut req = Request::put("/api/save")
            .header(header::COOKIE, &f.cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        let a = f.send(req.body(Body::from(body.clone())).unwrap());
        assert_eq!(a.status, StatusCode::FORBIDDEN, "origin {origin:?}");
    }
    // The cookie alone (which browsers also send to other ports of 127.0.0.1) opens no API:
    // the page's key comes in the login redirect's fragment.
    assert_eq!(f.key.len(), 64, "the login hands the page its key");
    let cookie_only = |method: &str, path: &str| {
        f.send(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::COOKIE, &f.cookie)
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.clone()))
                .unwrap(),
        )
        .status
    };
    assert_eq!(cookie_only("GET", "/api/content"), StatusCode::UNAUTHORIZED);
    assert_eq!(cookie_only("PUT", "/api/save"), StatusCode::UNAUTHORIZED);
    assert_eq!(cookie_only("POST", "/api/publish"), StatusCode::UNAUTHORIZED);
    assert_eq!(cookie_only("POST", "/preview/ipc"), StatusCode::UNAUTHORIZED);
    // Media for <audio> elements, which cannot send a header, need only the cookie.
    let audio = f.send(
        Request::get("/api/music/file/evening-song.ogg").header(header::COOKIE, &f.cookie).body(Body::empty()).unwrap(),
    );
    assert_eq!(audio.status, StatusCode::OK);
    // Two studios in one browser keep their own cookie.
    assert!(f.cookie.starts_with("kiosk_studio_4321="), "{}", f.cookie);
    let cross = f.send(
        Request::get("/api/content")
            .header(header::COOKIE, &f.cookie)
            .header("sec-fetch-site", "cross-site")
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    // The login link works once.
    let token = f.studio.login_token();
    let first = f.send(Request::get(format!("/?token={token}")).body(Body::empty()).unwrap());
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let again = f.send(Request::get(format!("/?token={token}")).body(Body::empty()).unwrap());
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let wrong = f.send(Request::get("/?token=0000").body(Body::empty()).unwrap());
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // And the page itself, with the cookie, is served with its headers.
    let page = f.get("/");
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().contains("frame-ancestors 'none'")
    );
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
}
