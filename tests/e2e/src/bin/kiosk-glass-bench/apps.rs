//! The apps on the glass and the taps each gets: our release kiosk (its
//! JavaScript engine without its JIT, as it ships, and with it), the same
//! engine's own browser (WebKitGTK's MiniBrowser) and Chromium `--kiosk` on
//! a trivial two-screen page (`bench/glass-page/`), and MiniBrowser on a
//! still copy of our own home and topic screens (what WebKitGTK itself needs
//! to draw our content, with none of our app around it).
//!
//! Where to tap on our kiosk is learnt once per screen size, before anything
//! is measured, from a separate instance under WebDriver (the e2e harness:
//! the same release app, bundle, clock and window size): each target's box,
//! its centre tapped. The measured instances are started directly, with no
//! driver; if a target were wrong, the calibration's taps would not change
//! the screen and the run stops there.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::Locator;
use fantoccini::elements::Element;
use kiosk_e2e::bench::{Screen, chromium_command, config_for, kiosk_app, kiosk_command};
use kiosk_e2e::procs::{cmdline, comm, kill_all, tree};
use kiosk_e2e::{Audio, Kiosk, Options, TEST_NOW, repo_root};

use crate::glass::{Glass, Signature};

/// WebKitGTK's own browser, from Debian's WebKitGTK.
pub const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/// Our kiosk's idle timeout here: long enough for a tap's calibration
/// (about 3 s between taps) to stay clear of the "more time?" prompt (a
/// third of it before the reset), short enough that the kiosk is in attract
/// mode again by the time its next block of taps comes round.
pub const IDLE_SECS: u32 = 10;

/// Which app.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Our release kiosk; `jit`: with `JSC_useJIT=1` (it ships without).
    Ours { jit: bool },
    /// WebKitGTK's MiniBrowser, full screen, on the two-screen page.
    MiniBrowser,
    /// Chromium `--kiosk` on the two-screen page.
    Chromium,
    /// WebKitGTK's MiniBrowser on our own screens, copied from our kiosk
    /// (its home screen and first topic, their markup, style sheets and
    /// theme) into a page that swaps one for the other on a tap: the same
    /// DOM to build, style, lay out and paint as ours, with no Tauri, no
    /// Svelte, no IPC and no timers. Ours less this is what our app adds.
    OurScreens,
}

impl Kind {
    /// The four, in the order their blocks of taps alternate (each of ours
    /// has another app's block between it and its next one: time to fall
    /// back into attract mode).
    pub const ALL: [Kind; 5] =
        [Kind::Ours { jit: false }, Kind::MiniBrowser, Kind::Ours { jit: true }, Kind::Chromium, Kind::OurScreens];

    /// Its name in tables and the CSV.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours { jit: false } => "ours",
            Kind::Ours { jit: true } => "ours JIT",
            Kind::MiniBrowser => "MiniBrowser",
            Kind::Chromium => "Chromium",
            Kind::OurScreens => "MiniBrowser, our screens",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Kind::Ours { jit: false } => "ours",
            Kind::Ours { jit: true } => "ours-jit",
            Kind::MiniBrowser => "minibrowser",
            Kind::Chromium => "chromium",
            Kind::OurScreens => "minibrowser-ours",
        }
    }
}

/// A screen change: where to tap and what to wait for.
pub struct Step {
    /// "home → topic", …
    pub label: &'static str,
    /// Where the finger lands (screen pixels).
    pub at: (i16, i16),
    /// The new screen (calibrated).
    pub to: Signature,
}

/// One app running on its own glass, its taps calibrated.
pub struct App {
    /// Which.
    pub kind: Kind,
    /// Its screen.
    pub glass: Glass,
    child: Child,
    /// Its screen changes, in the order a block runs them (a cycle).
    pub steps: Vec<Step>,
    /// Ours: its attract mode, which the first step (the wake) leaves.
    pub attract: Option<Signature>,
    /// The step the next block starts at (the floors' blocks go on where the last one stopped).
    pub next: usize,
}

/// Where to tap on our kiosk at one screen size, and its home and topic screens as a page.
#[derive(Clone)]
pub struct Targets {
    steps: Vec<(&'static str, (i16, i16))>,
    /// [`Kind::OurScreens`]'s page: our home screen, swapped with the first topic on a tap.
    pub screens_page: String,
}

/// What a page needs to show one of our screens as it is: the root's and the
/// body's attributes (language, theme colours, modes), the style sheets'
/// paths, any style elements, and the app's markup.
const SNAPSHOT: &str = r#"
const attrs = e => Array.from(e.attributes)
  .map(a => `${a.name}="${a.value.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`).join(" ");
return [
  attrs(document.documentElement),
  attrs(document.body),
  Array.from(document.querySelectorAll("link[rel=stylesheet]")).map(l => new URL(l.href).pathname),
  Array.from(document.querySelectorAll("style")).map(s => s.textContent).join("\n"),
  document.getElementById("app").innerHTML,
];
"#;

/// One screen of our kiosk, as [`SNAPSHOT`] read it.
struct Snapshot {
    root: String,
    body: String,
    sheets: Vec<String>,
    styles: String,
    app: String,
}

async fn snapshot(k: &Kiosk) -> Snapshot {
    let v = k.client.execute(SNAPSHOT, vec![]).await.expect("read the screen's markup");
    let text = |i: usize| v[i].as_str().expect("a string").to_string();
    let sheets = v[2].as_array().expect("sheets").iter().map(|s| s.as_str().expect("a path").to_string()).collect();
    Snapshot { root: text(0), body: text(1), sheets, styles: text(3), app: text(4) }
}

/// The page for [`Kind::OurScreens`]: `home` shown, a tap anywhere puts
/// `topic` in its place (a fresh copy of its nodes, as a screen change
/// builds them), the next tap `home` again. Style sheets from the UI build
/// the kiosk serves (`ui/dist`).
fn screens_page(home: &Snapshot, topic: &Snapshot) -> String {
    let dist = repo_root().join("ui/dist");
    let links: String = home
        .sheets
        .iter()
        .map(|path| {
            let file = dist.join(path.trim_start_matches('/'));
            assert!(file.exists(), "{} (the kiosk's style sheet) is not in ui/dist: rebuild the UI", file.display());
            format!("<link rel=\"stylesheet\" href=\"file://{}\">\n", file.display())
        })
        .collect();
    format!(
        "<!doctype html>\n<html {}>\n<head>\n<meta charset=\"utf-8\">\n{links}<style>{}</style>\n</head>\n\
         <body {}>\n<div id=\"app\">{}</div>\n<template id=\"s0\">{}</template>\n<template id=\"s1\">{}</template>\n\
         <script>\nlet shown = 0;\ndocument.addEventListener(\"click\", () => {{\n  shown ^= 1;\n  \
         document.getElementById(\"app\").replaceChildren(document.getElementById(\"s\" + shown).content.cloneNode(true));\n\
         }});\n</script>\n</body>\n</html>\n",
        home.root, home.styles, home.body, home.app, home.app, topic.app
    )
}

/// Learns where our kiosk's targets are at `size`, under WebDriver.
pub async fn targets(size: (u32, u32)) -> Targets {
    let k = Kiosk::start(Options {
        size,
        name: format!("glass-targets-{}x{}", size.0, size.1),
        app: Some(kiosk_app()),
        audio: Audio::Missing,
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    let home = snapshot(&k).await;
    let mut topic = None;
    let section = centre(&k.all_testid("section-link").await[0]).await;
    let mut steps = vec![("attract → home", ((size.0 / 2) as i16, (size.1 / 2) as i16)), ("home → topic", section)];
    // Each inner screen's Back button, found on that screen.
    for (link, view, there, back) in [
        ("section-link", "section-view", "", "topic → home"),
        ("events-link", "events-view", "home → events", "events → home"),
        ("music-link", "music-view", "home → music", "music → home"),
        ("signup-link", "signup-view", "home → signup", "signup → home"),
    ] {
        let link = k.all_testid(link).await.into_iter().next().expect("a link on the home screen");
        if !there.is_empty() {
            steps.push((there, centre(&link).await));
        }
        link.click().await.expect("open the screen");
        k.wait_testid(view).await;
        if view == "section-view" {
            // Its entrance settled, as the glass sees it.
            tokio::time::sleep(Duration::from_secs(1)).await;
            topic = Some(snapshot(&k).await);
        }
        let back_button = k.wait_testid("back").await;
        steps.push((back, centre(&back_button).await));
        back_button.click().await.expect("back");
        k.wait_testid("home").await;
    }
    let kk = k.wait_testid("lang-kk").await;
    steps.push(("language en → kk", centre(&kk).await));
    kk.click().await.expect("Kazakh");
    k.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=\"lang-kk\"][aria-pressed=\"true\"]"))
        .await
        .expect("the page in Kazakh");
    steps.push(("language kk → en", centre(&k.wait_testid("lang-en").await).await));
    k.stop().await;
    Targets { steps, screens_page: screens_page(&home, &topic.expect("the topic was shown")) }
}

async fn centre(e: &Element) -> (i16, i16) {
    let (x, y, w, h) = e.rectangle().await.expect("the element's box");
    ((x + w / 2.0).round() as i16, (y + h / 2.0).round() as i16)
}

/// The two-screen page, as a URL.
fn floor_url() -> String {
    format!("file://{}", repo_root().join("bench/glass-page/index.html").display())
}

/// Starts `kind` on a glass of `size`; `dir` holds its files, `logs` its log.
pub fn start(kind: Kind, size: (u32, u32), targets: &Targets, dir: &Path, logs: &Path) -> App {
    let glass = Glass::start(700, size);
    let home = dir.join(format!("home-{}", kind.slug()));
    std::fs::create_dir_all(&home).expect("home");
    // No sound card here: ALSA gets a device that does not exist.
    std::fs::write(home.join(".asoundrc"), "pcm.!default { type hw card 97 }\nctl.!default { type hw card 97 }\n")
        .expect(".asoundrc");
    let log = logs.join(format!("{}-{}x{}.log", kind.slug(), size.0, size.1));
    let log = std::fs::File::create(&log).map(Stdio::from).expect("log file");
    let mut cmd = match kind {
        Kind::Ours { jit } => ours(&glass.screen, dir, &home, jit),
        Kind::MiniBrowser | Kind::OurScreens => {
            let url = if kind == Kind::OurScreens {
                let page = dir.join(format!("our-screens-{}x{}.html", size.0, size.1));
                std::fs::write(&page, &targets.screens_page).expect("our screens' page");
                format!("file://{}", page.display())
            } else {
                floor_url()
            };
            let mut cmd = Command::new(MINIBROWSER);
            // Drawing as ours draws (shared memory, no GL in the UI process:
            // src-tauri/src/engine.rs); the JIT as WebKitGTK ships it (on).
            glass
                .screen
                .apply(&mut cmd)
                .args(["--full-screen", &url])
                .env("HOME", &home)
                .env("NO_AT_BRIDGE", "1")
                .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
                .env("GDK_GL", "disable")
                .env_remove("JSC_useJIT")
                .stdout(Stdio::null());
            cmd
        }
        Kind::Chromium => {
            chromium_command(&glass.screen, &floor_url(), &dir.join(format!("chromium-{}x{}", size.0, size.1)))
        }
    };
    let child = cmd.stderr(log).spawn().unwrap_or_else(|e| panic!("start {}: {e}", kind.name()));
    App { kind, glass, child, steps: Vec::new(), attract: None, next: 0 }
}

/// Our release kiosk: demo content at the e2e tests' fixed time (so the
/// upcoming events, and with them the layout, are those the targets were
/// learnt on), attract mode after [`IDLE_SECS`] with one slide held for an
/// hour (an idle kiosk between its blocks draws nothing new while another
/// app is measured), the JIT as asked.
fn ours(screen: &Screen, dir: &Path, home: &Path, jit: bool) -> Command {
    let extra = format!("fixed_now = \"{TEST_NOW}\"\nattract_slide_secs = 3600\n");
    let name = format!("content-{}", if jit { "jit" } else { "nojit" });
    let config: PathBuf = config_for(dir, IDLE_SECS, &repo_root().join("content"), &name, &extra);
    let mut cmd = kiosk_command(screen, &config, home);
    if jit {
        cmd.env("JSC_useJIT", "1");
    } else {
        // Whatever this shell has: the app's own default (JIT off, src-tauri/src/engine.rs).
        cmd.env_remove("JSC_useJIT");
    }
    cmd
}

/// Where CPU time goes during a tap.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The process started: our shell (Tauri and GTK), MiniBrowser's UI
    /// process, Chromium's browser process; where input arrives and frames
    /// are handed to X.
    Shell,
    /// The page's own process: WebKit's web process, Chromium's renderer
    /// (script, style, layout, paint).
    Page,
    /// Every other helper (WebKit's network process, Chromium's GPU process, …).
    Helpers,
    /// The app's X server.
    X,
}

impl Part {
    /// All of them, in table order.
    pub const ALL: [Part; 4] = [Part::Shell, Part::Page, Part::Helpers, Part::X];

    /// Its name in tables and the CSV.
    pub fn name(self) -> &'static str {
        match self {
            Part::Shell => "shell",
            Part::Page => "page",
            Part::Helpers => "helpers",
            Part::X => "X server",
        }
    }
}

impl App {
    /// The pids of the app's processes (WebKit's or Chromium's helpers included).
    pub fn pids(&self) -> Vec<u32> {
        tree(self.child.id())
    }

    /// Its processes and its X server, each with the part it plays.
    pub fn parts(&self) -> Vec<(Part, u32)> {
        let root = self.child.id();
        let mut out: Vec<(Part, u32)> = self
            .pids()
            .into_iter()
            .map(|p| {
                let part = if p == root {
                    Part::Shell
                } else if comm(p) == "WebKitWebProces" || cmdline(p).contains("--type=renderer") {
                    Part::Page
                } else {
                    Part::Helpers
                };
                (part, p)
            })
            .collect();
        out.push((Part::X, self.glass.screen.xvfb_pid()));
        out
    }

    /// Learns its screens: every step tapped once, slowly, the screen
    /// captured before and after; ours first waits for attract mode.
    /// Each new screen is saved as a PNG in `shots`.
    pub fn calibrate(&mut self, targets: Option<&Targets>, shots: &Path) {
        // Start-up, fonts and the first paint.
        std::thread::sleep(Duration::from_secs(4));
        let tag = format!("{}-{}x{}", self.kind.slug(), self.glass.size().0, self.glass.size().1);
        let plan: Vec<(&'static str, (i16, i16))> = match (self.kind, targets) {
            (Kind::Ours { .. }, Some(t)) => {
                let before = self.glass.captures(3, Duration::from_millis(200));
                std::thread::sleep(Duration::from_secs(u64::from(IDLE_SECS) + 2));
                // Over more than 2 s: the invitation pulses every 2 s.
                let attract = self.glass.captures(6, Duration::from_millis(500));
                save_png(&shots.join(format!("{tag}-attract.png")), &attract[0], self.glass.size());
                self.attract = Some(
                    Signature::between(&before, &attract, self.glass.size().0)
                        .unwrap_or_else(|e| panic!("{tag}: attract mode never came: {e}")),
                );
                t.steps.clone()
            }
            (Kind::Ours { .. }, None) => panic!("our kiosk needs its targets"),
            (Kind::OurScreens, _) => {
                let centre = ((self.glass.size().0 / 2) as i16, (self.glass.size().1 / 2) as i16);
                vec![("home → topic", centre), ("topic → home", centre)]
            }
            _ => {
                let centre = ((self.glass.size().0 / 2) as i16, (self.glass.size().1 / 2) as i16);
                vec![("screen one → two", centre), ("screen two → one", centre)]
            }
        };
        for (i, (label, at)) in plan.into_iter().enumerate() {
            self.glass.point(at);
            std::thread::sleep(Duration::from_millis(300));
            let a = self.glass.captures(3, Duration::from_millis(150));
            self.glass.press();
            self.glass.release();
            self.glass.send();
            std::thread::sleep(Duration::from_millis(1000));
            let b = self.glass.captures(5, Duration::from_millis(200));
            save_png(&shots.join(format!("{tag}-{i:02}.png")), &b[0], self.glass.size());
            let to = Signature::between(&a, &b, self.glass.size().0).unwrap_or_else(|e| {
                panic!(
                    "{tag}: the tap at {at:?} for \"{label}\" did not bring a new screen ({e}); see {}",
                    shots.display()
                )
            });
            self.steps.push(Step { label, at, to });
        }
    }

    /// Stops it and its helpers.
    pub fn stop(mut self) {
        kill_all(&self.pids());
        let _ = self.child.wait();
    }
}

/// Appends `app`'s processes to `csv` (time, orientation, app, part, pid,
/// command): to find them again in a system-wide trace (`perf`).
pub fn note_processes(csv: &Path, app: &App, orientation: &str, parts: &[(Part, u32)]) {
    use std::io::Write;
    let new = !csv.exists();
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(csv).expect("processes.csv");
    if new {
        writeln!(f, "unix_us,orientation,app,part,pid,comm").expect("write");
    }
    let now = kiosk_e2e::bench::unix_us(std::time::Instant::now());
    for &(part, pid) in parts {
        writeln!(f, "{now},{orientation},{},{},{pid},{}", app.kind.name(), part.name(), comm(pid)).expect("write");
    }
}

/// Writes a capture (4 bytes a pixel, blue first) as an RGB PNG.
pub fn save_png(path: &Path, pixels: &[u8], size: (u32, u32)) {
    let rgb: Vec<u8> = pixels.chunks_exact(4).flat_map(|p| [p[2], p[1], p[0]]).collect();
    let file = std::io::BufWriter::new(std::fs::File::create(path).expect("png file"));
    let mut encoder = png::Encoder::new(file, size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header().and_then(|mut w| w.write_image_data(&rgb)).expect("write png");
}
