//! What a screen change costs the page, phase by phase: where
//! `kiosk-glass-bench`'s "CPU: page" goes. The release kiosk under Xvfb on
//! the demo content; each screen change a visitor makes (a topic and back,
//! the events and back, a language switch there and back) is started from a
//! fresh task in the page, as a tap's click is, and timed by the page's clock:
//!
//! - **script**: the click's handlers, the UI's update of the DOM (Svelte
//!   flushes inside the click) and the microtasks after it;
//! - **style + layout**: forced right after (`offsetHeight`);
//! - **rendering update**: from the next animation frame's callback to the
//!   first task after it: painting the damaged area into a fresh shared-memory
//!   buffer and handing it over;
//! - **page CPU**: the web process's CPU time over the whole change (its
//!   schedstat before and 250 ms after), the figure to compare with the glass.
//!
//! The page's clock ticks in whole milliseconds, so the phases are medians of
//! many rounds (`N`, default 20, after 3 unmeasured). Variants `NAME=CSS`
//! each start a fresh kiosk with that style sheet added to the page: an A/B
//! of what a rule costs, in one run (`base` is the page as it ships):
//!
//! `kiosk-screen-cost [N] [NAME=CSS]...`, e.g.
//! `kiosk-screen-cost 20 base 'noshadow=*{box-shadow:none!important}' base2`
//!
//! Figures, not a test; the page's own timing of a screen change (the glass
//! bench times it from outside, with everything else a tap costs).

use std::time::Duration;

use kiosk_e2e::bench::release_dir;
use kiosk_e2e::procs::{comm, cpu_ns, tree};
use kiosk_e2e::{Kiosk, Options};

/// One screen change, run in the page: `[selector to click, selector of the
/// new screen, CSS to add]`; answers the phases in ms.
const STEP: &str = r#"
const [sel, want, css] = arguments;
const done = arguments[arguments.length - 1];
if (css && !document.getElementById("cost-css")) {
  const s = document.createElement("style");
  s.id = "cost-css";
  s.textContent = css;
  document.head.append(s);
}
const el = document.querySelector(sel);
if (!el) return done({ err: "nothing matches " + sel });
setTimeout(async () => {
  const t0 = performance.now();
  el.click();
  for (let i = 0; i < 4; i++) await Promise.resolve();
  const t1 = performance.now();
  void document.body.offsetHeight;
  const t2 = performance.now();
  const shown = !!document.querySelector(want);
  requestAnimationFrame(() => {
    const t3 = performance.now();
    setTimeout(() => {
      const t4 = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() =>
        done({ script: t1 - t0, layout: t2 - t1, render: t4 - t3, shown })));
    }, 0);
  });
}, 50);
"#;

/// The screen changes: label, what to click, what shows the new screen.
const STEPS: [(&str, &str, &str); 6] = [
    ("home → topic", ".card", "[data-testid=section-view]"),
    ("topic → home", "[data-testid=back]", "[data-testid=home]"),
    ("home → events", "[data-testid=events-link]", "[data-testid=events-view]"),
    ("events → home", "[data-testid=back]", "[data-testid=home]"),
    ("language en → kk", "[data-testid=lang-kk]", "[data-testid=lang-kk][aria-pressed=true]"),
    ("language kk → en", "[data-testid=lang-en]", "[data-testid=lang-en][aria-pressed=true]"),
];

const WARMUP_ROUNDS: usize = 3;

fn median(mut x: Vec<f64>) -> f64 {
    x.sort_by(f64::total_cmp);
    x.get(x.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The phases of one variant: per step, (script, style + layout, rendering update, page CPU) samples.
async fn variant(css: &str, rounds: usize) -> Vec<[Vec<f64>; 4]> {
    let k = Kiosk::start(Options {
        name: "screen-cost".into(),
        app: Some(release_dir().join("embassy-kiosk")),
        // No attract mode while measuring.
        extra_config: "idle_timeout_secs = 3600\n".into(),
        ..Options::default()
    })
    .await;
    k.wait_testid("home").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let shell = *k.app_pids().first().expect("the app's process");
    let web = tree(shell).into_iter().find(|&p| comm(p).starts_with("WebKitWeb")).expect("WebKit's web process");
    let mut out: Vec<[Vec<f64>; 4]> = STEPS.iter().map(|_| Default::default()).collect();
    for round in 0..WARMUP_ROUNDS + rounds {
        for (i, (label, click, want)) in STEPS.iter().enumerate() {
            let before = cpu_ns(web);
            let v = k
                .client
                .execute_async(STEP, vec![(*click).into(), (*want).into(), css.into()])
                .await
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            tokio::time::sleep(Duration::from_millis(250)).await;
            let cpu_ms = (cpu_ns(web) - before) as f64 / 1e6;
            assert!(v["shown"] == true, "{label}: the new screen did not show ({v})");
            if round >= WARMUP_ROUNDS {
                let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
                for (j, x) in [f("script"), f("layout"), f("render"), cpu_ms].into_iter().enumerate() {
                    out[i][j].push(x);
                }
            }
        }
    }
    k.stop().await;
    out
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let rounds = args.peek().and_then(|a| a.parse::<usize>().ok()).filter(|&n| n > 0);
    if rounds.is_some() {
        args.next();
    }
    let rounds = rounds.unwrap_or(20);
    let mut variants: Vec<(String, String)> = args
        .map(|a| match a.split_once('=') {
            Some((name, css)) => (name.to_string(), css.to_string()),
            None => (a, String::new()),
        })
        .collect();
    if variants.is_empty() {
        variants.push(("base".into(), String::new()));
    }
    println!("kiosk-screen-cost: {rounds} rounds per variant, p50 in ms (the page's clock ticks in whole ms)");
    for (name, css) in variants {
        let phases = variant(&css, rounds).await;
        println!("\n{name}{}", if css.is_empty() { String::new() } else { format!(" (adds: {css})") });
        println!(
            "{:18} {:>7} {:>15} {:>17} {:>9}",
            "screen change", "script", "style + layout", "rendering update", "page CPU"
        );
        for ((label, _, _), [script, layout, render, cpu]) in STEPS.iter().zip(phases) {
            println!(
                "{label:18} {:>7.0} {:>15.0} {:>17.0} {:>9.1}",
                median(script),
                median(layout),
                median(render),
                median(cpu)
            );
        }
    }
}
