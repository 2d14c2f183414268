//! The two central lists a drain can run against, and how each one's own
//! records are read back into the report's figures: the webhook receiver's
//! bookkeeping, or a real Mailman's roster plus the access log of the nginx
//! that limits it (see the parent module for what counts as lost or duplicated).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kiosk_config::SyncTarget;
use kiosk_testsupport::mailman::Mailman;
use kiosk_testsupport::webhook::WebhookReceiver;

use super::{DrainOptions, ListKind};
use crate::nginx::{Hit, Nginx};

const SECRET: &str = "fleet-webhook-secret-0123456789";

/// The central list of one run, started in its outage.
pub(super) enum List {
    Webhook { receiver: WebhookReceiver, secret: PathBuf },
    // The proxy is declared first so that it stops before Mailman does.
    Mailman { proxy: Nginx, server: Mailman, list_id: String, credentials: PathBuf },
}

/// What the list saw, from its own records.
pub(super) struct Tally {
    pub(super) drain_secs: Option<f64>,
    pub(super) accepted: usize,
    /// Requests offered in each second after the list came back (index 0: the first second).
    pub(super) per_second: Vec<u32>,
    /// Of those, the ones let through to the list.
    pub(super) admitted_per_second: Vec<u32>,
    pub(super) throttled: u32,
    pub(super) requests: u64,
    pub(super) during_outage: u32,
    pub(super) list_errors: u32,
    pub(super) lost: usize,
    pub(super) duplicated: usize,
    pub(super) changed_bodies: u32,
}

/// Mailman's answers that mean it has the address: subscribed (201), waiting
/// for a confirmation (202), or already there (409).
fn mailman_has_it(status: u16) -> bool {
    matches!(status, 201 | 202 | 409)
}

impl List {
    pub(super) async fn start(opts: &DrainOptions, work: &Path) -> anyhow::Result<List> {
        use std::os::unix::fs::PermissionsExt;
        Ok(match opts.list {
            ListKind::Webhook => {
                let secret = work.join("webhook.secret");
                std::fs::write(&secret, SECRET)?;
                std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600))?;
                let receiver = WebhookReceiver::start_capped(SECRET.as_bytes(), opts.cap_per_sec).await;
                receiver.outage.store(true, Ordering::SeqCst);
                List::Webhook { receiver, secret }
            }
            ListKind::Mailman => {
                let server = Mailman::start().await;
                let list_id = server.create_list("fleet").await;
                let credentials = server.write_credentials(work);
                // A burst of one second's worth: see `rate_limited_proxy` for why.
                let proxy = Nginx::rate_limited_proxy(
                    server.rest_port(),
                    opts.cap_per_sec,
                    opts.cap_per_sec,
                    &work.join("nginx"),
                )?;
                List::Mailman { proxy, server, list_id, credentials }
            }
        })
    }

    /// The `[sync]` config's target, URL, list id and credentials file for this list.
    pub(super) fn target(&self) -> (SyncTarget, String, Option<String>, PathBuf) {
        match self {
            List::Webhook { receiver, secret } => (SyncTarget::Webhook, receiver.url(), None, secret.clone()),
            List::Mailman { proxy, list_id, credentials, .. } => {
                (SyncTarget::Mailman, proxy.url("/3.1/"), Some(list_id.clone()), credentials.clone())
            }
        }
    }

    pub(super) fn set_outage(&self, on: bool) -> anyhow::Result<()> {
        match self {
            List::Webhook { receiver, .. } => receiver.outage.store(on, Ordering::SeqCst),
            List::Mailman { proxy, .. } => proxy.set_outage(on)?,
        }
        Ok(())
    }

    /// How often the run looks whether the list has everything (the proxy's log is read whole each time).
    pub(super) fn poll_every(&self) -> Duration {
        match self {
            List::Webhook { .. } => Duration::from_millis(20),
            List::Mailman { .. } => Duration::from_millis(250),
        }
    }

    /// Whether the list has every held signup: the receiver's record, or
    /// Mailman's answers to each address in the proxy's log.
    pub(super) fn has_all(&self, held: &HashMap<String, String>) -> anyhow::Result<bool> {
        Ok(match self {
            List::Webhook { receiver, .. } => receiver.received.lock().expect("lock").accepted.len() >= held.len(),
            List::Mailman { proxy, .. } => {
                let hits = proxy.hits()?;
                let has: HashSet<String> = hits
                    .iter()
                    .filter(|h| h.upstream_status.is_some_and(mailman_has_it))
                    .filter_map(|h| form_field(&h.body, "subscriber"))
                    .collect();
                held.values().all(|a| has.contains(a))
            }
        })
    }

    /// Counts what the list saw. `drained_at` is the poll's view, refined
    /// from nginx's log for Mailman (the moment of the last first "has it").
    pub(super) async fn tally(
        &self,
        held: &HashMap<String, String>,
        back: Instant,
        back_ms: f64,
        drained_at: Option<f64>,
    ) -> anyhow::Result<Tally> {
        match self {
            List::Webhook { receiver, .. } => {
                let rec = receiver.received.lock().expect("lock");
                let back_second = back.duration_since(receiver.started).as_secs() as usize;
                let mut by_email: HashMap<&str, usize> = HashMap::new();
                for body in rec.accepted.values() {
                    *by_email.entry(body["email"].as_str().unwrap_or("")).or_default() += 1;
                }
                let accepted_held = held.keys().filter(|id| rec.accepted.contains_key(*id)).count();
                Ok(Tally {
                    drain_secs: drained_at,
                    accepted: rec.accepted.len(),
                    per_second: rec.per_second.get(back_second..).unwrap_or(&[]).to_vec(),
                    admitted_per_second: rec.admitted_per_second.get(back_second..).unwrap_or(&[]).to_vec(),
                    throttled: rec.throttled,
                    requests: rec.per_second.iter().map(|&n| u64::from(n)).sum(),
                    during_outage: rec.unavailable,
                    list_errors: rec.bad_signatures + rec.stale,
                    lost: held.len() - accepted_held,
                    duplicated: (rec.accepted.len() - accepted_held) + by_email.values().map(|n| n - 1).sum::<usize>(),
                    changed_bodies: rec.changed_bodies,
                })
            }
            List::Mailman { proxy, server, list_id, .. } => {
                let hits = proxy.hits()?;
                let roster = server.members(list_id).await;
                Ok(mailman_tally(&hits, &roster, held, back_ms))
            }
        }
    }
}

/// The Mailman run's figures from nginx's log (`hits`) and Mailman's roster at the end.
fn mailman_tally(hits: &[Hit], roster: &[String], held: &HashMap<String, String>, back_ms: f64) -> Tally {
    // nginx answered the outage itself: a 503 that never reached Mailman.
    let outage = |h: &Hit| h.status == 503 && h.upstream_status.is_none();
    let (mut per_second, mut admitted_per_second): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    let (mut requests, mut throttled, mut list_errors) = (0u64, 0u32, 0u32);
    // Per address: subscriptions Mailman made, its first "has it" (ms after the return), the first body.
    let mut created: HashMap<String, usize> = HashMap::new();
    let mut first_has: HashMap<String, f64> = HashMap::new();
    let mut bodies: HashMap<String, &str> = HashMap::new();
    let mut changed_bodies = 0;
    for h in hits.iter().filter(|h| !outage(h)) {
        requests += 1;
        // Offered when it started: nginx logs the end and the duration.
        let since = h.end_ms - h.time_ms - back_ms;
        if since >= 0.0 {
            let second = (since / 1000.0) as usize;
            if per_second.len() <= second {
                per_second.resize(second + 1, 0);
                admitted_per_second.resize(second + 1, 0);
            }
            per_second[second] += 1;
            admitted_per_second[second] += u32::from(h.upstream_status.is_some());
        }
        match h.upstream_status {
            None if h.status == 429 => throttled += 1,
            None => {}
            Some(status) => {
                let address = form_field(&h.body, "subscriber").unwrap_or_default();
                if let Some(first) = bodies.get(&address) {
                    changed_bodies += u32::from(*first != h.body);
                } else {
                    bodies.insert(address.clone(), &h.body);
                }
                if matches!(status, 201 | 202) {
                    *created.entry(address.clone()).or_default() += 1;
                }
                if mailman_has_it(status) {
                    let at = h.end_ms - back_ms;
                    first_has.entry(address).and_modify(|t| *t = t.min(at)).or_insert(at);
                } else {
                    list_errors += 1;
                }
            }
        }
    }
    let mut rows: HashMap<&str, usize> = HashMap::new();
    for address in roster {
        *rows.entry(address.as_str()).or_default() += 1;
    }
    let held_addresses: HashSet<&str> = held.values().map(String::as_str).collect();
    let lost = held_addresses.iter().filter(|a| !rows.contains_key(*a)).count();
    let mut duplicated = 0;
    let everyone: HashSet<&str> = rows.keys().copied().chain(created.keys().map(String::as_str)).collect();
    for address in everyone {
        let acted = rows.get(address).copied().unwrap_or(0).max(created.get(address).copied().unwrap_or(0));
        // An address the kiosks never held should not be there at all.
        duplicated += if held_addresses.contains(address) { acted.saturating_sub(1) } else { acted };
    }
    let drain_secs = held_addresses
        .iter()
        .map(|a| first_has.get(*a).copied())
        .try_fold(0.0f64, |latest, t| t.map(|t| latest.max(t)))
        .map(|ms| ms / 1000.0);
    Tally {
        drain_secs,
        accepted: rows.len(),
        per_second,
        admitted_per_second,
        throttled,
        requests,
        during_outage: hits.iter().filter(|h| outage(h)).count() as u32,
        list_errors,
        lost,
        duplicated,
        changed_bodies,
    }
}

/// A field of an `application/x-www-form-urlencoded` body, decoded
/// (`+` is a space, `%XX` a byte); `None` if it is not there.
fn form_field(body: &str, name: &str) -> Option<String> {
    let raw = body.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let mut bytes = Vec::with_capacity(raw.len());
    let mut it = raw.bytes();
    while let Some(b) = it.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex: Vec<u8> = it.by_ref().take(2).collect();
                if hex.len() < 2 {
                    return None;
                }
                let byte = std::str::from_utf8(&hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok())?;
                bytes.push(byte);
            }
            b => bytes.push(b),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_field_is_decoded_and_only_that_field_is() {
        let body = "list_id=fleet.embassy.example&subscriber=visitor001.lobby-0002%40example.org&display_name=A+B";
        assert_eq!(form_field(body, "subscriber").as_deref(), Some("visitor001.lobby-0002@example.org"));
        assert_eq!(form_field(body, "display_name").as_deref(), Some("A B"));
        assert_eq!(form_field(body, "list"), None, "a prefix of another field's name is not that field");
        assert_eq!(form_field("subscriber=%4", "subscriber"), None, "a cut-off escape is no address");
    }

    fn hit(end_ms: f64, status: u16, upstream: Option<u16>, address: &str) -> Hit {
        Hit {
            end_ms,
            status,
            bytes: 0,
            time_ms: 1.0,
            uri: "/3.1/members".into(),
            upstream_status: upstream,
            body: if address.is_empty() {
                String::new()
            } else {
                format!("list_id=l&subscriber={}&pre_confirmed=true", address.replace('@', "%40"))
            },
        }
    }

    #[test]
    fn mailman_acting_twice_for_one_address_is_a_duplicate_and_a_409_is_not() {
        let held: HashMap<String, String> =
            [("1", "a@x.org"), ("2", "b@x.org"), ("3", "c@x.org")].map(|(k, v)| (k.into(), v.into())).into();
        let hits = [
            hit(500.0, 503, None, ""),               // the outage
            hit(1_100.0, 201, Some(201), "a@x.org"), // a subscribed
            hit(1_200.0, 429, None, ""),             // throttled
            hit(1_300.0, 409, Some(409), "a@x.org"), // a re-sent: no duplicate
            hit(2_100.0, 201, Some(201), "b@x.org"),
            hit(2_200.0, 201, Some(201), "b@x.org"), // b subscribed twice: a duplicate
            hit(2_300.0, 500, Some(500), "c@x.org"), // Mailman failed: c never made it
        ];
        let roster = ["a@x.org", "b@x.org"].map(String::from);
        let t = mailman_tally(&hits, &roster, &held, 1_000.0);
        assert_eq!((t.lost, t.duplicated), (1, 1), "c is lost, b is there twice over");
        assert_eq!((t.throttled, t.during_outage, t.list_errors), (1, 1, 1));
        assert_eq!(t.requests, 6, "the outage's 503 is not a request to the list");
        assert_eq!(t.per_second, vec![3, 3], "offered per second after the return");
        assert_eq!(t.admitted_per_second, vec![2, 3], "let through to Mailman per second");
        assert_eq!(t.drain_secs, None, "not drained while c is missing");

        let roster = ["a@x.org", "b@x.org", "b@x.org", "c@x.org"].map(String::from);
        let mut hits = hits.to_vec();
        hits.push(hit(3_500.0, 201, Some(201), "c@x.org"));
        let t = mailman_tally(&hits, &roster, &held, 1_000.0);
        assert_eq!((t.lost, t.duplicated), (0, 1), "two rows and two 201s for b are one duplicate, not two");
        assert_eq!(t.drain_secs, Some(2.5), "drained when c got its first 201");
    }
}
