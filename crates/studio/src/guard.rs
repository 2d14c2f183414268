//! Keeps the studio to the staff member who started it. The server listens
//! on 127.0.0.1 only, but any web page in any browser on this computer can
//! make requests to it, and so can other local users:
//! - the `Host` header must name 127.0.0.1 or localhost at our port, which
//!   defeats DNS rebinding (a rebound page sends its own host name);
//! - a request another site started (`Sec-Fetch-Site: cross-site`) or any
//!   writing request whose `Origin` is not ours is refused (CSRF);
//! - every request needs the session cookie, which is set only in exchange
//!   for the one-use token in the URL `kioskctl studio` printed and opened;
//! - the API also needs the page's key, handed over once in that exchange's
//!   redirect (`/#key=…`: a fragment, never sent back as a cookie). Browsers
//!   send a host's cookies to every port of it, so a server another local
//!   user runs on 127.0.0.1 could collect the cookie; it never sees the key,
//!   which the page keeps in this origin's sessionStorage. Media the page
//!   plays through `<audio src>` (read-only, nothing secret) needs only the
//!   cookie, as an audio element cannot send a header.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::lock;

/// How long the printed link works, if it has not been used.
const LOGIN_VALID: Duration = Duration::from_secs(10 * 60);
/// The header carrying the page's key (`ui/studio/session.ts`).
const KEY_HEADER: &str = "x-studio-key";

pub struct Guard {
    port: u16,
    /// The cookie's name carries the port: two studios in one browser keep their own.
    cookie: String,
    session: String,
    page_key: String,
    login: Mutex<Option<(String, Instant)>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random source works");
    kiosk_content::source::hex(&bytes)
}

/// Compares without stopping at the first difference.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Guard {
    pub fn new(port: u16) -> Guard {
        Guard {
            port,
            cookie: format!("kiosk_studio_{port}"),
            session: random_hex(),
            page_key: random_hex(),
            login: Mutex::new(None),
        }
    }

    /// A fresh one-use login token (replacing any unused one).
    pub fn login_token(&self) -> String {
        let token = random_hex();
        *lock(&self.login) = Some((token.clone(), Instant::now()));
        token
    }

    fn host_ok(&self, headers: &HeaderMap) -> bool {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        host == format!("127.0.0.1:{}", self.port) || host == format!("localhost:{}", self.port)
    }

    fn origin_ok(&self, headers: &HeaderMap) -> bool {
        let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok()).unwrap_or("");
        origin == format!("http://127.0.0.1:{}", self.port) || origin == format!("http://localhost:{}", self.port)
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(self.cookie.as_str()).and_then(|r| r.strip_prefix('=')))
            .any(|v| same_secret(v.as_bytes(), self.session.as_bytes()))
    }

    fn has_key(&self, headers: &HeaderMap) -> bool {
        headers
            .get(KEY_HEADER)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|k| same_secret(k.as_bytes(), self.page_key.as_bytes()))
    }

    /// Takes the login token if it is the one issued, unused and fresh.
    fn take_login(&self, token: &str) -> bool {
        let mut login = lock(&self.login);
        match login.as_ref() {
            Some((t, at)) if same_secret(t.as_bytes(), token.as_bytes()) && at.elapsed() < LOGIN_VALID => {
                *login = None;
                true
            }
            _ => false,
        }
    }
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "code": code, "message": message }))).into_response()
}

/// The middleware in front of every route.
pub async fn check(State(studio): State<std::sync::Arc<crate::Studio>>, req: Request, next: Next) -> Response {
    let g = &studio.guard;
    let headers = req.headers();
    if !g.host_ok(headers) {
        return refuse(StatusCode::FORBIDDEN, "bad_host", "this studio answers only at 127.0.0.1 or localhost");
    }
    let site = headers.get("sec-fetch-site").and_then(|h| h.to_str().ok()).unwrap_or("");
    if site == "cross-site" || site == "same-site" {
        return refuse(StatusCode::FORBIDDEN, "cross_site", "requests from other web sites are refused");
    }
    let reading = req.method() == Method::GET || req.method() == Method::HEAD;
    if !reading && !g.origin_ok(headers) {
        return refuse(StatusCode::FORBIDDEN, "bad_origin", "changes are accepted only from the studio's own page");
    }
    if reading && req.uri().path() == "/" {
        let query = req.uri().query().unwrap_or("");
        if let Some(token) = query.split('&').find_map(|p| p.strip_prefix("token=")) {
            if !g.take_login(token) {
                return login_page(StatusCode::UNAUTHORIZED);
            }
            let cookie = format!("{}={}; HttpOnly; SameSite=Strict; Path=/", g.cookie, g.session);
            let to = format!("/#key={}", g.page_key);
            let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            return resp;
        }
    }
    if !g.has_session(req.headers()) {
        return if req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/preview/") {
            refuse(StatusCode::UNAUTHORIZED, "no_session", "open the link `kioskctl studio` printed")
        } else {
            login_page(StatusCode::UNAUTHORIZED)
        };
    }
    if needs_key(req.method(), req.uri().path()) && !g.has_key(req.headers()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "no_key",
            "this page has no key for the studio: open the link `kioskctl studio` printed",
        );
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

/// The API (and the preview's commands) need the page's key; pages, their
/// files and the media an `<audio>` element plays need only the cookie.
fn needs_key(method: &Method, path: &str) -> bool {
    let media = *method == Method::GET && (path.starts_with("/api/music/file/") || path.starts_with("/preview/audio/"));
    (path.starts_with("/api/") || path.starts_with("/preview/")) && !media
}

fn login_page(status: StatusCode) -> Response {
    let html = "<!doctype html><meta charset=utf-8><title>Content studio</title>\
        <p style=\"font:18px system-ui;margin:3em\">This link has been used or has expired. \
        Open the link <code>kioskctl studio</code> printed when it started, \
        or start it again.</p>";
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}
