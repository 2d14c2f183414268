//! A studio over a copy of `content/`, with a fixed clock and fake pages.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kiosk_content::FixedClock;
use kiosk_studio::{Assets, Studio};
use serde_json::Value;
use tower::ServiceExt;

pub const PORT: u16 = 4321;
pub const ORIGIN: &str = "http://127.0.0.1:4321";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub studio: Arc<Studio>,
    pub cookie: String,
    /// The page's key from the login redirect (`/#key=…`).
    pub key: String,
    _pages: tempfile::TempDir,
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::of(&repo().join("content"))
    }

    pub fn of(content: &Path) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        kiosk_testsupport::copy_dir(content, dir.path());
        let pages = tempfile::tempdir().unwrap();
        let kiosk = pages.path().join("kiosk");
        let studio_pages = pages.path().join("studio");
        std::fs::create_dir_all(kiosk.join("assets")).unwrap();
        std::fs::create_dir_all(&studio_pages).unwrap();
        std::fs::write(kiosk.join("index.html"), "<!doctype html><html><head><script type=\"module\" src=\"/assets/index.js\"></script></head><body></body></html>").unwrap();
        std::fs::write(studio_pages.join("studio.html"), "<!doctype html><title>studio</title>").unwrap();
        let clock = Arc::new(FixedClock("2026-11-30T12:00:00Z".parse().unwrap()));
        let studio = Studio::new(dir.path(), PORT, Assets::Folders { kiosk, studio: studio_pages }, clock);
        let mut f = Fixture { dir, studio, cookie: String::new(), key: String::new(), _pages: pages };
        let token = f.studio.login_token();
        let a = f.send(Request::get(format!("/?token={token}")).body(Body::empty()).unwrap());
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let set = a.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        f.cookie = set.split(';').next().unwrap().to_string();
        let to = a.headers.get(header::LOCATION).unwrap().to_str().unwrap();
        f.key = to.strip_prefix("/#key=").unwrap_or_default().to_string();
        f
    }

    pub fn router(&self) -> Router {
        kiosk_studio::api::router(self.studio.clone())
    }

    /// Sends a request as the studio's page would (Host set; cookie and Origin added by callers).
    pub fn send(&self, mut req: Request<Body>) -> Answer {
        if !req.headers().contains_key(header::HOST) {
            req.headers_mut().insert(header::HOST, format!("127.0.0.1:{PORT}").parse().unwrap());
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let resp = self.router().oneshot(req).await.unwrap();
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
            Answer { status, headers, body }
        })
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send(
            Request::get(path)
                .header(header::COOKIE, &self.cookie)
                .header("x-studio-key", &self.key)
                .body(Body::empty())
                .unwrap(),
        )
    }

    pub fn call(&self, method: &str, path: &str, body: &Value) -> Answer {
        self.send(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::COOKIE, &self.cookie)
                .header("x-studio-key", &self.key)
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(body).unwrap()))
                .unwrap(),
        )
    }

    pub fn upload(&self, name: &str, bytes: Vec<u8>) -> Answer {
        self.send(
            Request::post(format!("/api/music/upload?name={name}"))
                .header(header::COOKIE, &self.cookie)
                .header("x-studio-key", &self.key)
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(Body::from(bytes))
                .unwrap(),
        )
    }

    pub fn content(&self) -> Value {
        let a = self.get("/api/content");
        assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
        a.json()
    }

    /// Saves `drafts` against the revisions in `base`.
    pub fn save(&self, base: &Value, drafts: &Value) -> Answer {
        self.call("PUT", "/api/save", &serde_json::json!({ "base_revs": base["revs"], "drafts": drafts }))
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

/// The fields of the problems in an answer: `(field, key)`.
pub fn fields(problems: &Value) -> Vec<(String, Option<String>)> {
    problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["field"].as_str().unwrap().to_string(), p["key"].as_str().map(str::to_string)))
        .collect()
}
