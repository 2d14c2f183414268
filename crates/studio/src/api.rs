//! The studio's routes. Handlers are thin: they read the request, call
//! `read`/`write`/`stage`/`preview`/`publish`, and answer JSON, errors as
//! `{code, message}`. Loading and building run off the async threads.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::assets::{Site, content_type};
use crate::docs::{CalendarInfo, ContentDoc, Drafts, EventDoc, Page, Problem, PublishRequest};
use crate::stage::Staged;
use crate::write::FileChange;
use crate::{Studio, files, locate, lock, preview, publish, read, write};

type S = State<Arc<Studio>>;

/// An error answer: status and `{code, message, …}`.
pub struct Fail(StatusCode, Value);

impl Fail {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Fail {
        Fail(status, json!({ "code": code, "message": message.into() }))
    }
    fn internal(message: impl Into<String>) -> Fail {
        Fail::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.1)).into_response()
    }
}

type Answer<T> = Result<axum::Json<T>, Fail>;

pub fn router(studio: Arc<Studio>) -> Router {
    Router::new()
        .route("/", get(studio_page))
        .route("/studio-assets/{*rel}", get(studio_asset))
        .route("/assets/{*rel}", get(kiosk_asset))
        .route("/preview", get(preview_page))
        .route("/preview/ipc", post(preview_ipc))
        .route("/preview/audio/{id}", get(preview_audio))
        .route("/api/content", get(content))
        .route("/api/revs", get(revs))
        .route("/api/check", post(check))
        .route("/api/save", put(save))
        .route("/api/preview", post(build_preview))
        .route("/api/events/import", post(import))
        .route("/api/music/upload", post(upload))
        .route("/api/music/file/{file}", get(music_file))
        .route("/api/publish/key", get(publish_key))
        .route("/api/publish", post(publish))
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(studio.clone(), crate::guard::check))
        .with_state(studio)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Fail> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Fail::internal(e.to_string()))
}

fn file(site: Site, studio: &Studio, rel: &str) -> Response {
    match studio.assets.get(site, rel) {
        Some(bytes) => ([(header::CONTENT_TYPE, content_type(rel))], bytes.into_owned()).into_response(),
        None => Fail::new(
            StatusCode::NOT_FOUND,
            "not_built",
            format!("{rel} is not there: build the web pages first (`npm run build` in ui/)"),
        )
        .into_response(),
    }
}

const STUDIO_CSP: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; frame-src 'self'; \
    style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
/// The kiosk's own CSP (tauri.conf.json), with the studio's server in place of Tauri's IPC.
const PREVIEW_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; media-src 'self'; object-src 'none'; \
    frame-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

async fn studio_page(State(s): S) -> Response {
    let mut resp = file(Site::Studio, &s, "studio.html");
    resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(STUDIO_CSP));
    resp
}

async fn studio_asset(State(s): S, UrlPath(rel): UrlPath<String>) -> Response {
    file(Site::Studio, &s, &format!("studio-assets/{rel}"))
}

async fn kiosk_asset(State(s): S, UrlPath(rel): UrlPath<String>) -> Response {
    file(Site::Kiosk, &s, &format!("assets/{rel}"))
}

async fn preview_page(State(s): S) -> Response {
    match s.assets.get(Site::Kiosk, "index.html") {
        Some(index) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, PREVIEW_CSP)],
            preview::page(&index),
        )
            .into_response(),
        None => file(Site::Kiosk, &s, "index.html"),
    }
}

/// The language names the studio can offer: shipped ones and the folder's `ui/<lang>.toml`.
fn language_names(dir: &Path) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for lang in kiosk_content::words::shipped_languages() {
        let name = kiosk_content::words::shipped(lang).and_then(|w| w.language.name).map(|n| n.into_inner());
        names.insert(lang.to_string(), name.unwrap_or_else(|| lang.to_string()));
    }
    for entry in std::fs::read_dir(dir.join("ui")).into_iter().flatten().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(lang) = file.strip_suffix(".toml") else { continue };
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let name = toml::from_str::<kiosk_content::words::WordsFile>(&text)
            .ok()
            .and_then(|w| w.language.name)
            .map(|n| n.into_inner());
        let known = names.get(lang).cloned();
        names.insert(lang.to_string(), name.or(known).unwrap_or_else(|| lang.to_string()));
    }
    names
}

/// Where the drafts' changes stand against the bundle build's rules.
struct Evaluated {
    changes: Vec<FileChange>,
    outcome: Result<kiosk_content::model::Content, Vec<Problem>>,
    notes: Vec<Problem>,
}

fn stems(drafts: &Drafts) -> BTreeMap<String, String> {
    drafts.sections.iter().map(|s| (s.file.clone().unwrap_or_else(|| s.id.clone()), s.id.clone())).collect()
}

/// Problems the studio finds before the loader: the drafts' own shape. A
/// section's file name comes from the page, so it must name a section file
/// that exists, or be a new id that is a safe file name.
fn shape_problems(dir: &Path, d: &Drafts) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let existing = read::section_files(dir);
    let problem = |s: &crate::docs::SectionDoc, message: &str| Problem {
        page: Page::Sections,
        field: format!("section-title-{}", d.settings.default_language),
        key: Some(s.id.clone()),
        message: message.into(),
        at: None,
    };
    for s in &d.sections {
        let stem = s.file.clone().unwrap_or_else(|| s.id.clone());
        let known = s.file.as_ref().is_some_and(|f| {
            let name = format!("{f}.md");
            existing.contains(&name) && read::translation_name(&name).is_none()
        });
        if !known && !write::is_safe_stem(&stem) {
            out.push(problem(
                s,
                "A section's id may use only small letters a–z, digits and hyphens (like `visa-services`).",
            ));
        } else if !seen.insert(stem) {
            out.push(problem(s, "Two sections have the same name; rename one."));
        }
    }
    out
}

fn evaluate(s: &Studio, drafts: &Drafts) -> Result<Evaluated, Fail> {
    let shape = shape_problems(&s.dir, drafts);
    if !shape.is_empty() {
        return Ok(Evaluated { changes: Vec::new(), outcome: Err(shape), notes: Vec::new() });
    }
    let uploads = lock(&s.uploads).clone();
    let changes =
        write::plan(&s.dir, drafts, &uploads).map_err(|e| Fail::new(StatusCode::CONFLICT, "unreadable", e))?;
    let staged = Staged::new(&s.dir, &changes).map_err(|e| Fail::internal(e.to_string()))?;
    let default = &drafts.settings.default_language;
    let outcome = staged
        .load(s.clock.now(), &s.durations)
        .map_err(|errors| locate::problems(staged.path(), &errors, &stems(drafts), default));
    let notes = match &outcome {
        Ok(c) => locate::problems(staged.path(), &c.notes, &stems(drafts), default),
        Err(_) => Vec::new(),
    };
    Ok(Evaluated { changes, outcome, notes })
}

fn content_doc(s: &Studio) -> Result<ContentDoc, Fail> {
    let revs = files::revs(&s.dir);
    let drafts = read::drafts(&s.dir).map_err(|e| Fail::new(StatusCode::UNPROCESSABLE_ENTITY, "unreadable", e))?;
    let default = drafts.settings.default_language.clone();
    let staged = Staged::new(&s.dir, &[]).map_err(|e| Fail::internal(e.to_string()))?;
    let (problems, notes, calendar) = match staged.load(s.clock.now(), &s.durations) {
        Ok(c) => {
            let n = c.events.iter().filter(|e| e.id.starts_with("ics-")).count();
            let cal = s.dir.join("events.ics").exists().then(|| CalendarInfo { file: "events.ics".into(), events: n });
            (Vec::new(), locate::problems(staged.path(), &c.notes, &stems(&drafts), &default), cal)
        }
        Err(errors) => (locate::problems(staged.path(), &errors, &stems(&drafts), &default), Vec::new(), None),
    };
    let now_local = crate::ics::local(s.clock.now(), &drafts.settings.timezone);
    Ok(ContentDoc {
        revs,
        embassy: read::embassy(&s.dir),
        language_names: language_names(&s.dir),
        now_local,
        calendar,
        problems,
        notes,
        drafts,
    })
}

async fn content(State(s): S) -> Answer<ContentDoc> {
    blocking(move || content_doc(&s)).await?.map(axum::Json)
}

async fn revs(State(s): S) -> Answer<Value> {
    Ok(axum::Json(json!({ "revs": files::revs(&s.dir) })))
}

#[derive(Deserialize)]
struct DraftsBody {
    drafts: Drafts,
}

async fn check(State(s): S, axum::Json(body): axum::Json<DraftsBody>) -> Answer<Value> {
    let e = blocking(move || evaluate(&s, &body.drafts)).await??;
    let problems = e.outcome.err().unwrap_or_default();
    Ok(axum::Json(json!({ "problems": problems, "notes": e.notes })))
}

#[derive(Deserialize)]
struct SaveBody {
    base_revs: BTreeMap<String, String>,
    drafts: Drafts,
    consent: Option<String>,
}

async fn save(State(s): S, axum::Json(body): axum::Json<SaveBody>) -> Answer<ContentDoc> {
    let studio = s.clone();
    let guard = s.write.lock().await;
    let answer = blocking(move || save_now(&studio, body)).await?;
    drop(guard);
    answer.map(axum::Json)
}

fn save_now(s: &Studio, mut body: SaveBody) -> Result<ContentDoc, Fail> {
    let now = files::revs(&s.dir);
    let keys: std::collections::BTreeSet<&String> = now.keys().chain(body.base_revs.keys()).collect();
    let absent = files::ABSENT.to_string();
    let changed: Vec<String> = keys
        .into_iter()
        .filter(|k| now.get(*k).unwrap_or(&absent) != body.base_revs.get(*k).unwrap_or(&absent))
        .cloned()
        .collect();
    if !changed.is_empty() {
        return Err(Fail(
            StatusCode::CONFLICT,
            json!({
                "code": "changed_on_disk",
                "files": changed,
                "message": format!("{} changed outside the studio since you opened it; nothing was saved, so that change is kept. Reload to see it.", changed.join(", ")),
            }),
        ));
    }
    consent_version(s, &mut body)?;
    let e = evaluate(s, &body.drafts)?;
    if let Err(problems) = e.outcome {
        return Err(Fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "code": "problems", "message": "Nothing was saved: fix the problems shown first.", "problems": problems }),
        ));
    }
    // Checked again now that the staged copy loaded: an editor's save during the check is kept too.
    if files::revs(&s.dir) != now {
        return Err(Fail::new(
            StatusCode::CONFLICT,
            "changed_on_disk",
            "a file changed outside the studio while saving; nothing was saved. Reload to see it.",
        ));
    }
    for c in &e.changes {
        let path = c.path_in(&s.dir).ok_or_else(|| Fail::internal(format!("{} is outside the folder", c.rel)))?;
        let done = match &c.bytes {
            Some(bytes) => files::write_atomic(&path, bytes),
            None => std::fs::remove_file(&path),
        };
        done.map_err(|err| Fail::internal(format!("cannot write {}: {err}", c.rel)))?;
    }
    let used: Vec<String> = body.drafts.tracks.iter().map(|t| t.file.clone()).collect();
    lock(&s.uploads).retain(|name, _| !used.contains(name));
    content_doc(s)
}

/// A changed consent statement needs a decision: a new meaning takes a new
/// version (each signup records the version its visitor agreed to).
fn consent_version(s: &Studio, body: &mut SaveBody) -> Result<(), Fail> {
    let saved = read::drafts(&s.dir).map_err(|e| Fail::new(StatusCode::CONFLICT, "unreadable", e))?.settings.consent;
    let draft = &mut body.drafts.settings.consent;
    let texts = |t: &crate::docs::Localized| -> Vec<(String, String)> {
        t.iter().map(|(k, v)| (k.clone(), v.trim().to_string())).filter(|(_, v)| !v.is_empty()).collect()
    };
    if draft.version < saved.version {
        return Err(Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "consent_version",
            "The consent statement's version can only go up: signups already record the current one.",
        ));
    }
    if texts(&saved.text) == texts(&draft.text) || draft.version > saved.version {
        return Ok(());
    }
    match body.consent.as_deref() {
        Some("new_version") => {
            draft.version = saved.version + 1;
            Ok(())
        }
        Some("same_meaning") => Ok(()),
        _ => Err(Fail::new(
            StatusCode::CONFLICT,
            "consent_meaning",
            "The consent statement's words changed. Does it now mean something different? Each signup records the version its visitor agreed to.",
        )),
    }
}

async fn build_preview(State(s): S, axum::Json(body): axum::Json<DraftsBody>) -> Answer<Value> {
    let started = Instant::now();
    blocking(move || {
        let e = evaluate(&s, &body.drafts)?;
        let current = lock(&s.preview).as_ref().map_or(0, |p| p.version);
        match e.outcome {
            Err(problems) => Ok(axum::Json(json!({ "version": current, "problems": problems }))),
            Ok(content) => {
                let version = s.preview_counter.fetch_add(1, Ordering::SeqCst) + 1;
                let p = preview::Preview::build(&content, version, s.clock.now()).map_err(Fail::internal)?;
                let mut slot = lock(&s.preview);
                // Builds can finish out of order: an older one never replaces a newer one.
                let shown = match slot.as_ref() {
                    Some(held) if held.version > version => held.version,
                    _ => {
                        *slot = Some(p);
                        version
                    }
                };
                let ms = started.elapsed().as_millis() as u64;
                Ok(axum::Json(json!({ "version": shown, "problems": [], "ms": ms })))
            }
        }
    })
    .await?
}

/// The preview's bundle, built from the saved folder on first use.
fn ensure_preview(s: &Studio) -> Result<(), Fail> {
    if lock(&s.preview).is_some() {
        return Ok(());
    }
    let drafts = read::drafts(&s.dir).map_err(|e| Fail::new(StatusCode::CONFLICT, "unreadable", e))?;
    let e = evaluate(s, &drafts)?;
    let content = e.outcome.map_err(|_| {
        Fail::new(StatusCode::CONFLICT, "content", "the content has problems; the preview shows it once they are fixed")
    })?;
    let version = s.preview_counter.fetch_add(1, Ordering::SeqCst) + 1;
    let p = preview::Preview::build(&content, version, s.clock.now()).map_err(Fail::internal)?;
    let mut slot = lock(&s.preview);
    if slot.is_none() {
        *slot = Some(p);
    }
    Ok(())
}

#[derive(Deserialize)]
struct IpcBody {
    cmd: String,
    #[serde(default)]
    args: Value,
}

async fn preview_ipc(State(s): S, axum::Json(body): axum::Json<IpcBody>) -> Answer<Value> {
    blocking(move || {
        ensure_preview(&s)?;
        let slot = lock(&s.preview);
        let p = slot.as_ref().ok_or_else(|| Fail::internal("no preview"))?;
        p.ipc(&body.cmd, &body.args, s.clock.now()).map(axum::Json).map_err(|(status, code, message)| {
            Fail::new(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &code, message)
        })
    })
    .await?
}

async fn preview_audio(State(s): S, UrlPath(id): UrlPath<String>) -> Response {
    let found = blocking(move || {
        ensure_preview(&s).ok();
        lock(&s.preview).as_ref().and_then(|p| p.audio(&id))
    })
    .await;
    match found {
        Ok(Some((bytes, mime))) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        _ => Fail::new(StatusCode::NOT_FOUND, "no_track", "no such track in the preview").into_response(),
    }
}

#[derive(Deserialize)]
struct ImportBody {
    ics: String,
    events: Vec<EventDoc>,
}

async fn import(State(s): S, axum::Json(body): axum::Json<ImportBody>) -> Answer<crate::ics::ImportResult> {
    let settings = read::drafts(&s.dir).map_err(|e| Fail::new(StatusCode::CONFLICT, "unreadable", e))?.settings;
    let now = s.clock.now();
    blocking(move || crate::ics::import(&body.ics, &body.events, &settings, now))
        .await?
        .map(axum::Json)
        .map_err(|m| Fail::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_calendar", m))
}

#[derive(Deserialize)]
struct UploadQuery {
    name: String,
}

async fn upload(State(s): S, Query(q): Query<UploadQuery>, bytes: Bytes) -> Answer<crate::audio::Upload> {
    let checked = blocking(move || crate::audio::check(&q.name, &bytes).map(|ok| (ok, bytes))).await?;
    let ((name, mime, ms), bytes) =
        checked.map_err(|m| Fail::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_audio", m))?;
    let mut uploads = lock(&s.uploads);
    let music = s.dir.join("music");
    // A name already taken by other audio gets a number.
    let mut file = name.clone();
    for n in 2.. {
        let on_disk = std::fs::read(music.join(&file)).ok();
        let taken = on_disk.as_ref().is_some_and(|d| d[..] != bytes[..])
            || uploads.get(&file).is_some_and(|u| u[..] != bytes[..]);
        if !taken {
            break;
        }
        let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, "ogg"));
        file = format!("{stem}-{n}.{ext}");
    }
    uploads.insert(file.clone(), bytes.to_vec());
    Ok(axum::Json(crate::audio::Upload { file, mime: mime.into(), duration_ms: ms }))
}

async fn music_file(State(s): S, UrlPath(file): UrlPath<String>) -> Response {
    if file.contains('/') || file.contains("..") {
        return Fail::new(StatusCode::NOT_FOUND, "no_file", "no such file").into_response();
    }
    let bytes = lock(&s.uploads).get(&file).cloned().or_else(|| std::fs::read(s.dir.join("music").join(&file)).ok());
    let mime = if file.ends_with(".flac") { "audio/flac" } else { "audio/ogg" };
    match bytes {
        Some(b) => ([(header::CONTENT_TYPE, mime)], b).into_response(),
        None => Fail::new(StatusCode::NOT_FOUND, "no_file", "no such file").into_response(),
    }
}

async fn publish_key(State(s): S) -> Answer<Value> {
    let signer = lock(&s.signer);
    Ok(axum::Json(json!({
        "key_path": signer.as_ref().map(|k| k.key_path.clone()),
        "unlocked": signer.is_some(),
    })))
}

async fn publish(State(s): S, axum::Json(req): axum::Json<PublishRequest>) -> Answer<crate::docs::Published> {
    let studio = s.clone();
    let guard = s.write.lock().await;
    let answer = blocking(move || publish_now(&studio, req)).await?;
    drop(guard);
    answer.map(axum::Json)
}

fn publish_now(s: &Studio, req: PublishRequest) -> Result<crate::docs::Published, Fail> {
    let refusal = |r: publish::Refusal| Fail::new(StatusCode::UNPROCESSABLE_ENTITY, r.code, r.message);
    {
        let mut signer = lock(&s.signer);
        let same = signer.as_ref().is_some_and(|k| k.key_path == req.key_path) && req.password.is_none();
        if !same {
            *signer = Some(publish::Signer::unlock(&req.key_path, req.password.clone()).map_err(refusal)?);
        }
    }
    let staged = Staged::new(&s.dir, &[]).map_err(|e| Fail::internal(e.to_string()))?;
    let content = staged.load(s.clock.now(), &s.durations).map_err(|errors| {
        Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "problems",
            format!("The saved content has {} problem(s): fix them first.", errors.len()),
        )
    })?;
    let signer = lock(&s.signer);
    let signer = signer.as_ref().ok_or_else(|| Fail::internal("no key"))?;
    let at_least = s.published.load(Ordering::SeqCst) + 1;
    let done = publish::publish(&content, signer, &req.folder, req.web, s.clock.now(), at_least).map_err(refusal)?;
    s.published.fetch_max(done.version, Ordering::SeqCst);
    Ok(done)
}
