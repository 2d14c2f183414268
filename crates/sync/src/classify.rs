//! What an answer from the central list means for one signup — a pure
//! function of the HTTP status, headers and body, tested table-driven.
//!
//! The rule that keeps delivery exactly-once: anything that *might* have
//! reached the list is retried, and the list's "already there" answers
//! (Mailman's 409, a webhook's 409 or repeated 2xx) count as delivered, so a
//! signup sent twice after a crash lands once.

use std::time::Duration;

use jiff::Timestamp;

/// The longest a `Retry-After` is honoured: a bad header must not park the outbox for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Mailman's 400 answers that are about the signup itself (`rest/members.py`).
const MAILMAN_REFUSALS: &[&str] = &[
    "Membership is banned",
    "Invalid Parameter",
    "List posting address cannot subscribe",
    "User has no preferred address",
    "Missing parameters",
    "Unexpected parameters",
];

/// What the central list made of one signup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The list has it (or already had it): delete the local copy.
    Delivered,
    /// Not now (timeout, connection lost, 5xx, 429): keep it and try again later.
    Retry {
        /// For staff, never an address.
        reason: String,
        /// The server asked us to wait this long.
        after: Option<Duration>,
    },
    /// The list refused this signup for good (e.g. a banned or malformed address): staff review it.
    Rejected {
        /// For staff, never an address.
        reason: String,
    },
    /// The list refused the kiosk itself (credentials, wrong list or URL): nothing
    /// about the signup is wrong, so it stays pending while staff fix the config.
    Halt {
        /// For staff, never an address.
        reason: String,
    },
}

impl Delivery {
    /// Whether the failure is the signup's own and final (it goes to review).
    pub fn is_permanent(&self) -> bool {
        matches!(self, Delivery::Rejected { .. })
    }
}

/// Which protocol answered: the two differ only in what their 4xx mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// GNU Mailman 3 REST API (`POST /3.1/members`).
    Mailman,
    /// The signed JSON webhook (contract in the README).
    Webhook,
}

/// Classifies an HTTP answer. `body` is the response body (the server's
/// explanation); `retry_after` the raw `Retry-After` header; `now` is when it
/// arrived (to read an HTTP-date `Retry-After`).
pub fn classify(protocol: Protocol, status: u16, retry_after: Option<&str>, body: &str, now: Timestamp) -> Delivery {
    let said = server_said(body);
    match status {
        200..=299 => Delivery::Delivered,
        // Mailman: "Member already subscribed" / "Subscription request already pending".
        // Webhook: the contract's answer to a repeated Idempotency-Key.
        409 => Delivery::Delivered,
        401 | 403 => Delivery::Halt {
            reason: format!("the central list refused the kiosk's credentials (HTTP {status}); check credentials_file"),
        },
        404 | 405 => Delivery::Halt {
            reason: format!("the central list's URL is wrong (HTTP {status}); check url in the [sync] config"),
        },
        400 if protocol == Protocol::Mailman && said.contains("No such list") => Delivery::Halt {
            reason: "the central list says there is no such list; check list_id in the [sync] config".into(),
        },
        // Mailman answers 400 for *any* exception while subscribing, including
        // its own database races (the same address arriving twice at once, as
        // when a killed kiosk's request is still running when it retries). Only
        // the refusals it names are about the signup; the rest are retried.
        400 if protocol == Protocol::Mailman && !MAILMAN_REFUSALS.iter().any(|r| said.starts_with(r)) => {
            Delivery::Retry {
                reason: format!("the central list failed on its side (HTTP 400{})", with(&said)),
                after: None,
            }
        }
        408 | 425 | 429 | 500..=599 => Delivery::Retry {
            reason: format!("the central list is unavailable (HTTP {status}{})", with(&said)),
            after: retry_after.and_then(|h| parse_retry_after(h, now)),
        },
        400..=499 => {
            Delivery::Rejected { reason: format!("refused by the central list (HTTP {status}{})", with(&said)) }
        }
        _ => Delivery::Halt { reason: format!("unexpected answer from the central list (HTTP {status})") },
    }
}

/// A failure before any answer (connection refused or dropped, timeout).
pub fn transport_failure(what: &str) -> Delivery {
    Delivery::Retry { reason: format!("the central list could not be reached ({what})"), after: None }
}

fn with(said: &str) -> String {
    if said.is_empty() { String::new() } else { format!(": {said}") }
}

/// The server's explanation, short and without addresses: Mailman answers
/// `{"title", "description"}`, the webhook `{"error"}`; anything else is used as text.
fn server_said(body: &str) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => ["description", "error", "title"]
            .iter()
            .find_map(|k| v.get(k).and_then(|d| d.as_str()).map(str::to_string))
            .unwrap_or_default(),
        Err(_) => body.to_string(),
    };
    redact(&text)
}

/// Removes anything that looks like an address (any word with an `@`) and
/// control characters, and keeps it short: staff messages and logs never carry
/// personal data, whatever a server put in its error.
pub fn redact(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        if w.contains('@') {
            out.push_str("[address]");
        } else {
            out.extend(w.chars().filter(|c| !c.is_control()));
        }
        if out.chars().count() > 160 {
            out = out.chars().take(160).collect::<String>() + "…";
            break;
        }
    }
    out
}

/// `Retry-After`: delay-seconds or an HTTP-date; capped at [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
        Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Protocol::{Mailman, Webhook};

    fn now() -> Timestamp {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn answers_are_classified_as_the_contract_says() {
        // (protocol, status, retry-after, body, expected kind, words the reason must contain)
        type Case<'a> = (Protocol, u16, Option<&'a str>, &'a str, &'a str, &'a str);
        let cases: &[Case] = &[
            (Mailman, 201, None, "", "delivered", ""),
            (Mailman, 202, None, r#"{"token": "abc", "token_owner": "subscriber"}"#, "delivered", ""),
            (
                Mailman,
                409,
                None,
                r#"{"title": "409 Conflict", "description": "Member already subscribed"}"#,
                "delivered",
                "",
            ),
            (Mailman, 409, None, r#"{"description": "Subscription request already pending"}"#, "delivered", ""),
            (Mailman, 400, None, r#"{"description": "Membership is banned"}"#, "rejected", "banned"),
            (Mailman, 400, None, r#"{"description": "Invalid Parameter \"subscriber\": x@y."}"#, "rejected", "Invalid"),
            (Mailman, 400, None, r#"{"description": "No such list"}"#, "halt", "list_id"),
            (
                Mailman,
                400,
                None,
                r#"{"description": "(raised as a result of Query-invoked autoflush) (sqlite3.IntegrityError) UNIQUE constraint failed: address.email"}"#,
                "retry",
                "on its side",
            ),
            (Mailman, 401, None, "", "halt", "credentials"),
            (Mailman, 404, None, "", "halt", "url"),
            (Mailman, 500, None, "Internal Server Error", "retry", "500"),
            (Mailman, 503, Some("7"), "", "retry", "503"),
            (Webhook, 200, None, "{}", "delivered", ""),
            (Webhook, 204, None, "", "delivered", ""),
            (Webhook, 409, None, r#"{"error": "duplicate"}"#, "delivered", ""),
            (Webhook, 422, None, r#"{"error": "domain does not accept mail"}"#, "rejected", "does not accept"),
            (Webhook, 400, None, r#"{"error": "No such list"}"#, "rejected", "No such list"),
            (Webhook, 403, None, r#"{"error": "bad signature"}"#, "halt", "credentials"),
            (Webhook, 429, Some("120"), "", "retry", "429"),
            (Webhook, 408, None, "", "retry", "408"),
            (Webhook, 302, None, "", "halt", "unexpected"),
        ];
        for &(protocol, status, retry_after, body, kind, words) in cases {
            let got = classify(protocol, status, retry_after, body, now());
            let (got_kind, reason) = match &got {
                Delivery::Delivered => ("delivered", ""),
                Delivery::Retry { reason, .. } => ("retry", reason.as_str()),
                Delivery::Rejected { reason } => ("rejected", reason.as_str()),
                Delivery::Halt { reason } => ("halt", reason.as_str()),
            };
            assert_eq!(got_kind, kind, "{protocol:?} {status} {body}: {got:?}");
            assert!(reason.contains(words), "{protocol:?} {status}: the reason `{reason}` must mention `{words}`");
            assert!(!reason.contains('@'), "no address may reach a staff message: {reason}");
        }
    }

    #[test]
    fn retry_after_is_honoured_in_both_forms_and_capped() {
        let cases = [
            ("7", Some(7)),
            (" 120 ", Some(120)),
            ("Sat, 28 Nov 2026 12:00:30 GMT", Some(30)),
            ("Sat, 28 Nov 2026 11:00:00 GMT", Some(0)),
            ("999999", Some(3600)),
            ("soon", None),
        ];
        for (header, secs) in cases {
            assert_eq!(parse_retry_after(header, now()), secs.map(Duration::from_secs), "Retry-After: {header}");
        }
        let Delivery::Retry { after, .. } = classify(Webhook, 429, Some("120"), "", now()) else { panic!() };
        assert_eq!(after, Some(Duration::from_secs(120)), "a 429 carries its Retry-After to the scheduler");
    }

    #[test]
    fn redact_removes_addresses_and_bounds_length() {
        assert_eq!(redact("user a.b@example.org is banned"), "user [address] is banned");
        assert_eq!(redact("line\u{7}one\n two"), "lineone two");
        assert!(redact(&"x ".repeat(500)).chars().count() <= 161);
    }
}
