//! The heartbeat as Prometheus metrics, so a ministry with kiosks in a hundred
//! lobbies watches them with the Prometheus it already runs, not a server of ours.
//!
//! One text (the exposition format, version 0.0.4), two ways out:
//! - a node_exporter textfile, `<dir>/embassy_kiosk.prom`, rewritten at every
//!   heartbeat through a temporary file renamed over it, so node_exporter never
//!   reads half of one; made readable by others (0644) whatever the unit's
//!   `UMask=0077`, because node_exporter runs as another user;
//! - `GET /metrics` on a local port ([`crate::endpoint`]), rendered at each
//!   scrape from the last heartbeat ([`Exporter::page`]).
//!
//! The names in [`METRICS`] are a contract: the shipped alert rules and the
//! Grafana dashboard (`packaging/prometheus/`) use them, and a test checks that
//! they use no other. Every series carries `kiosk_id` and `site`. Values are
//! what the heartbeat knows — counts, versions and times, never an address.
//!
//! Freshness differs between the two ways, and the rules allow for both. A
//! textfile outlives its kiosk: after a crash node_exporter still serves the
//! last one, `up` 1 and all, so staleness is read from
//! `embassy_kiosk_heartbeat_timestamp_seconds`. The endpoint renders at scrape
//! time: while the process runs but the UI has stopped reporting (no
//! heartbeats), `embassy_kiosk_up` falls to 0 and the ages grow; when the
//! process is gone, the scrape fails and Prometheus's own `up` says so.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;

use crate::{Heartbeat, datafile};

/// The textfile's name in node_exporter's textfile folder (the collector reads `*.prom`).
pub const TEXTFILE: &str = "embassy_kiosk.prom";

/// Every metric this module writes, with its HELP text: gauges, but for the
/// counts since the kiosk started, counters named `…_total`.
pub const METRICS: [(&str, &str); 16] = [
    (UP, "1 while the kiosk's UI reports what it renders (heartbeats are fresh), 0 otherwise"),
    (HEARTBEAT, "When the last heartbeat was written (Unix time)"),
    (UI_AT, "When the UI last reported what it renders (Unix time)"),
    (UI_AGE, "Seconds since the UI last reported what it renders"),
    (CONTENT_VERSION, "The content bundle version on screen"),
    (PENDING, "Signups waiting on the kiosk to be sent to the central list"),
    (REVIEW, "Signups the central list refused, waiting for staff"),
    (SYNC_ATTEMPT, "When a sync with the central list was last tried (Unix time); absent if never"),
    (SYNC_SUCCESS, "When a sync last reached the central list and sent all it tried (Unix time); 0 if never"),
    (AUDIO, "1 when a sound device is open, 0 when sound is unavailable"),
    (AUDIO_PLAYING, "1 while music plays"),
    (
        AUDIO_UNDERRUNS,
        "Times the sound device ran dry (a gap in the sound; the machine too busy), since the kiosk started",
    ),
    (PROBLEMS, "Damaged files in the data directory the kiosk worked around (staff must look)"),
    (WEB_MEMORY, "The page's web process: its private memory in bytes; absent if the kiosk does not look"),
    (WEB_RENEWALS, "Web processes renewed in attract mode because they had grown, since the kiosk started"),
    (WEB_CRASHES, "Web processes that ended on their own (a crash), since the kiosk started"),
];

const UP: &str = "embassy_kiosk_up";
const HEARTBEAT: &str = "embassy_kiosk_heartbeat_timestamp_seconds";
const UI_AT: &str = "embassy_kiosk_ui_rendered_timestamp_seconds";
const UI_AGE: &str = "embassy_kiosk_ui_rendered_age_seconds";
const CONTENT_VERSION: &str = "embassy_kiosk_content_version";
const PENDING: &str = "embassy_kiosk_signups_pending";
const REVIEW: &str = "embassy_kiosk_signups_review";
const SYNC_ATTEMPT: &str = "embassy_kiosk_last_sync_attempt_timestamp_seconds";
const SYNC_SUCCESS: &str = "embassy_kiosk_last_sync_success_timestamp_seconds";
const AUDIO: &str = "embassy_kiosk_audio_available";
const AUDIO_PLAYING: &str = "embassy_kiosk_audio_playing";
const AUDIO_UNDERRUNS: &str = "embassy_kiosk_audio_underruns_total";
const PROBLEMS: &str = "embassy_kiosk_problems";
const WEB_MEMORY: &str = "embassy_kiosk_web_memory_bytes";
const WEB_RENEWALS: &str = "embassy_kiosk_web_renewals_total";
const WEB_CRASHES: &str = "embassy_kiosk_web_crashes_total";

/// The metrics of `beat` (none yet: only `embassy_kiosk_up 0`) as seen at
/// `now`; `up` is 1 while the heartbeat is at most `fresh_for` old.
pub fn render(beat: Option<&Heartbeat>, kiosk_id: &str, site: &str, now: Timestamp, fresh_for: Duration) -> String {
    let labels = format!("kiosk_id=\"{}\",site=\"{}\"", escape(kiosk_id), escape(site));
    let mut out = String::with_capacity(2048);
    let mut put = |name: &str, value: &str| {
        let help = METRICS.iter().find(|(n, _)| *n == name).map_or("", |(_, h)| h);
        let kind = if name.ends_with("_total") { "counter" } else { "gauge" };
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{{labels}}} {value}\n");
    };
    let fresh = beat.is_some_and(|b| age_secs(now, b.at_utc) <= fresh_for.as_secs_f64());
    put(UP, flag(fresh));
    let Some(b) = beat else { return out };
    put(HEARTBEAT, &unix(b.at_utc));
    put(UI_AT, &unix(b.ui.at_utc));
    put(UI_AGE, &format!("{:.3}", age_secs(now, b.ui.at_utc)));
    put(CONTENT_VERSION, &b.bundle_version.to_string());
    put(PENDING, &b.sync_pending.to_string());
    put(REVIEW, &b.sync_review.to_string());
    if let Some(attempt) = b.last_sync_attempt_utc {
        // Tried but never succeeded is 0 (the epoch): "too long ago" to any rule.
        put(SYNC_ATTEMPT, &unix(attempt));
        put(SYNC_SUCCESS, &b.last_sync_success_utc.map_or_else(|| "0".to_string(), unix));
    }
    put(AUDIO, flag(b.audio != "unavailable"));
    put(AUDIO_PLAYING, flag(b.audio == "playing"));
    put(AUDIO_UNDERRUNS, &b.audio_underruns.to_string());
    put(PROBLEMS, &b.problems.len().to_string());
    if let Some(bytes) = b.web_memory_bytes {
        put(WEB_MEMORY, &bytes.to_string());
    }
    put(WEB_RENEWALS, &b.web_renewals.to_string());
    put(WEB_CRASHES, &b.web_crashes.to_string());
    out
}

/// A label value as the exposition format wants it: `\`, `"` and newlines escaped.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn flag(on: bool) -> &'static str {
    if on { "1" } else { "0" }
}

/// Unix seconds with milliseconds, exactly (no float rounding of a 10-digit number).
fn unix(t: Timestamp) -> String {
    let ms = t.as_millisecond();
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// Seconds from `then` to `now`; 0 when `then` is in the future (a clock set back).
fn age_secs(now: Timestamp, then: Timestamp) -> f64 {
    now.duration_since(then).as_secs_f64().max(0.0)
}

/// Writes `text` as `<dir>/embassy_kiosk.prom`: through `embassy_kiosk.prom.tmp`
/// (a name the collector ignores) renamed over it, mode 0644.
pub fn write_textfile(dir: &Path, text: &str) -> io::Result<()> {
    let path = dir.join(TEXTFILE);
    let tmp = dir.join(format!("{TEXTFILE}.tmp"));
    let mut file = datafile::create_fresh(&tmp)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    file.write_all(text.as_bytes())?;
    drop(file);
    std::fs::rename(&tmp, &path)
}

/// The kiosk's metrics: fed each heartbeat ([`Exporter::beat`]), written to the
/// textfile if configured, and kept for the endpoint's page ([`Exporter::page`]).
pub struct Exporter {
    kiosk_id: String,
    site: String,
    textfile_dir: Option<PathBuf>,
    fresh_for: Duration,
    last: Mutex<Option<Heartbeat>>,
}

impl Exporter {
    /// Metrics labelled `kiosk_id` and `site`, written to `textfile_dir` when
    /// given; `up` holds for `fresh_for` after each heartbeat (the heartbeat
    /// interval plus the time the UI may stay silent before beats stop).
    pub fn new(kiosk_id: &str, site: &str, textfile_dir: Option<PathBuf>, fresh_for: Duration) -> Exporter {
        Exporter {
            kiosk_id: kiosk_id.to_string(),
            site: site.to_string(),
            textfile_dir,
            fresh_for,
            last: Mutex::new(None),
        }
    }

    /// The textfile's path, if one is written.
    pub fn textfile(&self) -> Option<PathBuf> {
        self.textfile_dir.as_ref().map(|d| d.join(TEXTFILE))
    }

    /// Takes a heartbeat: kept for the page, and written to the textfile (as of the beat's time).
    pub fn beat(&self, beat: &Heartbeat) -> io::Result<()> {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(beat.clone());
        match &self.textfile_dir {
            Some(dir) => {
                write_textfile(dir, &render(Some(beat), &self.kiosk_id, &self.site, beat.at_utc, self.fresh_for))
            }
            None => Ok(()),
        }
    }

    /// The metrics page as of `now`, from the last heartbeat taken.
    pub fn page(&self, now: Timestamp) -> String {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        render(last.as_ref(), &self.kiosk_id, &self.site, now, self.fresh_for)
    }
}

#[cfg(test)]
mod tests;
