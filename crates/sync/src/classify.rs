//! What an answer from the central list means for one signup — a pure
//! function of the HTTP status, headers and body, tested table-driven.
//!
//! The rule that keeps delivery exactly-once: anything that *might* have
//! reached the list is retried, and the list's "already there" answers
//! (Mailman's 409, a webhook's 409 or repeated 2xx) count as delivered, so a
//! signup sent twice after a crash lands once.
//!
//! The rule that keeps a signup from being lost: only the target's own "I have
//! it" deletes it. A redirect is never followed (a client that follows one
//! re-sends the POST as a GET with no body, and whatever answers 200 there —
//! a login page, the list's front page — would count as delivered); it stops
//! the round as a setup problem. A 2xx that the target never sends (Mailman
//! answers a subscription with 201 or 202, never 200) came from something in
//! front of it, and stops the round too; so does a success or "already there"
//! answer whose body is an HTML page (a login page or a captive portal) — the
//! body decides, not the `Content-Type`: small receivers (Flask's `return "ok"`,
//! Express's `res.send("ok")`, PHP's `echo`) answer `text/html` with a word.

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
        /// The answer is about the list as a whole, not this one signup: it
        /// is down or busy (429, 502, 503, 504, any `Retry-After`) or cannot
        /// be reached at all. The rest of the round is then not sent.
        list_down: bool,
    },
    /// The list refused this signup for good (e.g. a banned or malformed address): staff review it.
    Rejected {
        /// For staff, never an address.
        reason: String,
    },
    /// The list refused the kiosk itself (credentials, wrong list or URL, a
    /// redirect, something else answering in its place): nothing about the
    /// signup is wrong, so it stays pending while staff fix the config.
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

/// Which protocol answered: the two differ in what their 2xx and 4xx mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// GNU Mailman 3 REST API (`POST /3.1/members`).
    Mailman,
    /// The signed JSON webhook (contract in docs/operations.md, "Webhook contract").
    Webhook,
}

/// The 2xx answers the webhook contract allows (docs/operations.md, "Webhook contract").
pub const WEBHOOK_OK: &[u16] = &[200, 201, 202, 204];

/// Mailman's answers to `POST /members`: 201 subscribed, 202 waiting for the
/// subscriber's confirmation (or a moderator) — its REST documentation.
pub const MAILMAN_OK: &[u16] = &[201, 202];

/// One HTTP answer, as the kiosk received it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Answer<'a> {
    /// The status code.
    pub status: u16,
    /// The raw `Retry-After` header.
    pub retry_after: Option<&'a str>,
    /// The `Location` header, resolved against the request's URL.
    pub location: Option<&'a str>,
    /// The `Content-Type` header (not what decides: the body does, see [`looks_like_html_page`]).
    pub content_type: Option<&'a str>,
    /// The body (the server's explanation), possibly cut short.
    pub body: &'a str,
    /// The signup's own address (as sent and as typed) and the visitor's name:
    /// kept out of the reason if the server echoes them (see [`scrub`]).
    pub private: &'a [&'a str],
}

/// Classifies an HTTP answer; `now` is when it arrived (to read an HTTP-date `Retry-After`).
pub fn classify(protocol: Protocol, answer: &Answer<'_>, now: Timestamp) -> Delivery {
    let status = answer.status;
    // Decisions read what the server said; staff see it without personal data.
    let said = server_said(answer.body);
    let with_said = |said: &str| with(&scrub(said, answer.private));
    let page = looks_like_html_page(answer.body);
    match status {
        200..=299 | 409 if page => Delivery::Halt {
            reason: format!(
                "the central list's URL answered with a web page (HTTP {status}): a login page or portal in front \
                 of the list answered, not the list; check url in the [sync] config"
            ),
        },
        200..=299 => match protocol {
            Protocol::Mailman if MAILMAN_OK.contains(&status) => Delivery::Delivered,
            Protocol::Mailman => Delivery::Halt {
                reason: format!(
                    "the central list's URL answered HTTP {status}, which Mailman never answers to a subscription \
                     (201 or 202): something in front of it (a proxy or a login page) answered instead; \
                     check url in the [sync] config"
                ),
            },
            Protocol::Webhook if WEBHOOK_OK.contains(&status) => Delivery::Delivered,
            Protocol::Webhook => Delivery::Halt {
                reason: format!(
                    "the webhook answered HTTP {status}, which its contract does not allow (200, 201, 202 or 204); \
                     check url in the [sync] config"
                ),
            },
        },
        300..=399 => Delivery::Halt {
            reason: match answer.location {
                Some(to) => format!(
                    "the central list moved to {}; update url in the [sync] config (HTTP {status})",
                    scrub(&location_for_staff(to), answer.private)
                ),
                None => format!(
                    "the central list answered a redirect (HTTP {status}) without saying where; check url in the [sync] config"
                ),
            },
        },
        // Mailman: "Member already subscribed" / "Subscription request already pending".
        // Webhook: the contract's answer to a repeated Idempotency-Key.
        409 => Delivery::Delivered,
        401 | 403 => Delivery::Halt {
            reason: format!(
                "the central list refused the kiosk's credentials (HTTP {status}{}); check credentials_file",
                with_said(&said)
            ),
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
                reason: format!("the central list failed on its side (HTTP 400{})", with_said(&said)),
                after: None,
                list_down: false,
            }
        }
        408 | 425 | 429 | 500..=599 => {
            let after = answer.retry_after.and_then(|h| parse_retry_after(h, now));
            Delivery::Retry {
                reason: format!("the central list is unavailable (HTTP {status}{})", with_said(&said)),
                list_down: after.is_some() || matches!(status, 429 | 502 | 503 | 504),
                after,
            }
        }
        400..=499 => {
            Delivery::Rejected { reason: format!("refused by the central list (HTTP {status}{})", with_said(&said)) }
        }
        _ => Delivery::Halt { reason: format!("unexpected answer from the central list (HTTP {status})") },
    }
}

/// How much of a body is looked at for the marks of a web page.
const PAGE_SCAN: usize = 4096;

/// Whether a body is (the start of) an HTML page rather than a receiver's
/// short answer: one of `<html`, `<!doctype html`, `<head`, `<body` or
/// `<form`, in any case, in its first few KiB. A receiver's "ok" or JSON has
/// none of them, whatever its `Content-Type` says.
pub fn looks_like_html_page(body: &str) -> bool {
    let end = body.char_indices().map(|(i, _)| i).find(|&i| i >= PAGE_SCAN).unwrap_or(body.len());
    let head = body[..end].to_ascii_lowercase();
    ["<html", "<!doctype html", "<head", "<body", "<form"].iter().any(|m| head.contains(m))
}

/// Where a redirect pointed, for staff: scheme, host, port and path, without
/// a user name or password, and with the query and fragment left out (a login
/// page's `?next=…&email=…` is where an address would ride), then redacted.
fn location_for_staff(location: &str) -> String {
    match url::Url::parse(location) {
        Ok(u) => {
            let mut shown = format!("{}://{}", u.scheme(), u.host_str().unwrap_or(""));
            if let Some(port) = u.port() {
                shown += &format!(":{port}");
            }
            shown += u.path();
            if u.query().is_some() {
                shown += "?…";
            }
            redact(&shown)
        }
        Err(_) => redact(location.split(['?', '#']).next().unwrap_or("")),
    }
}

/// A failure before any answer (connection refused or dropped, timeout);
/// `list_down` when no connection could be made at all.
pub fn transport_failure(what: &str, list_down: bool) -> Delivery {
    Delivery::Retry { reason: format!("the central list could not be reached ({what})"), after: None, list_down }
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

/// How much of a server's text is looked at: more is never shown.
const SCAN_LIMIT: usize = 4096;

/// Removes anything that looks like an address and control characters, and
/// keeps it short: staff messages and logs never carry personal data,
/// whatever a server put in its error. An address is any run around an `@`,
/// also percent-encoded once or twice (`%40`, `%2540`) or as an HTML entity,
/// up to the characters that delimit it in text and URLs; the rest of the
/// word stays (`email=[address]`).
pub fn redact(text: &str) -> String {
    let mut out = String::new();
    for w in text.chars().take(SCAN_LIMIT).collect::<String>().split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        let w: String = w.chars().filter(|c| !c.is_control()).collect();
        out.push_str(&redact_word(&w));
        if out.chars().count() > 160 {
            out = out.chars().take(160).collect::<String>() + "…";
            break;
        }
    }
    out
}

/// What marks an address inside a word, plain or encoded (compared in lower case).
const ADDRESS_MARKS: &[&str] = &["@", "%40", "%2540", "\\u0040"];

fn redact_word(word: &str) -> String {
    // Entities hold delimiters (`&`, `#`, `;`): make them a plain `@` first.
    let mut word = word.to_string();
    for entity in ["&#64;", "&#x40;", "&#X40;", "&commat;"] {
        word = word.replace(entity, "@");
    }
    let word = word.as_str();
    let lower = word.to_lowercase();
    if !ADDRESS_MARKS.iter().any(|m| lower.contains(m)) {
        return word.to_string();
    }
    // Delimiters around an address in text and URLs (none may be in a valid
    // address's domain; `/?&=#` may in its local part, which a server
    // quoting an address in a URL would have percent-encoded).
    let delimiters = ['/', '?', '&', '=', '#', '<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '{', '}'];
    let mut out = String::new();
    let mut segment = String::new();
    let flush = |segment: &mut String, out: &mut String| {
        let l = segment.to_lowercase();
        if ADDRESS_MARKS.iter().any(|m| l.contains(m)) {
            out.push_str("[address]");
        } else {
            out.push_str(segment);
        }
        segment.clear();
    };
    for c in word.chars() {
        if delimiters.contains(&c) {
            flush(&mut segment, &mut out);
            out.push(c);
        } else {
            segment.push(c);
        }
    }
    flush(&mut segment, &mut out);
    out
}

/// Removes the signup's own personal data from a staff message: each of
/// `private` (its address as sent and as typed, the address's local part, the
/// visitor's name and each word of it), found case-insensitively as a whole
/// word, as is or percent-encoded — a server that echoes the display name or
/// the address back must not put them in a log. Strings shorter than two
/// characters are not looked for (they would blank out ordinary words).
pub fn scrub(text: &str, private: &[&str]) -> String {
    let mut needles: Vec<String> = Vec::new();
    for p in private {
        let p = p.trim();
        if p.chars().count() < 2 {
            continue;
        }
        let form: String = url::form_urlencoded::byte_serialize(p.as_bytes()).collect();
        let percent = form.replace('+', "%20");
        for n in [p.to_string(), form, percent] {
            if !needles.contains(&n) {
                needles.push(n);
            }
        }
    }
    // Longest first, so a full name goes before its words.
    needles.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    let mut out = text.to_string();
    for n in &needles {
        out = replace_word_ci(&out, n, "[private]");
    }
    out
}

/// Replaces each case-insensitive, whole-word occurrence of `needle` in `hay`.
fn replace_word_ci(hay: &str, needle: &str, with: &str) -> String {
    let needle: Vec<char> = needle.chars().flat_map(char::to_lowercase).collect();
    let chars: Vec<char> = hay.chars().collect();
    let lower: Vec<Vec<char>> = chars.iter().map(|c| c.to_lowercase().collect()).collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        let mut j = i;
        let mut k = 0;
        while starts_word && k < needle.len() && j < chars.len() {
            let l = &lower[j];
            if needle[k..].starts_with(l) {
                k += l.len();
                j += 1;
            } else {
                break;
            }
        }
        let ends_word = j == chars.len() || !chars[j].is_alphanumeric();
        if starts_word && k == needle.len() && j > i && ends_word {
            out.push_str(with);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
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
            (Webhook, 302, None, "", "halt", "without saying where"),
        ];
        for &(protocol, status, retry_after, body, kind, words) in cases {
            let answer =
                Answer { status, retry_after, body, content_type: Some("application/json"), ..Answer::default() };
            let got = classify(protocol, &answer, now());
            let (got_kind, reason) = kind_of(&got);
            assert_eq!(got_kind, kind, "{protocol:?} {status} {body}: {got:?}");
            assert!(reason.contains(words), "{protocol:?} {status}: the reason `{reason}` must mention `{words}`");
            assert!(!reason.contains('@'), "no address may reach a staff message: {reason}");
        }
    }

    fn kind_of(d: &Delivery) -> (&'static str, &str) {
        match d {
            Delivery::Delivered => ("delivered", ""),
            Delivery::Retry { reason, .. } => ("retry", reason.as_str()),
            Delivery::Rejected { reason } => ("rejected", reason.as_str()),
            Delivery::Halt { reason } => ("halt", reason.as_str()),
        }
    }

    /// Regression (issue #15): a 3xx or a 2xx the target never sends must not
    /// count as delivered — the signup would be deleted while the list never got it.
    #[test]
    fn only_the_targets_own_success_counts_and_a_redirect_is_a_setup_problem() {
        // (protocol, status, content type, location, expected kind, words the reason must contain)
        type Case<'a> = (Protocol, u16, Option<&'a str>, Option<&'a str>, &'a str, &'a str);
        let moved = Some("https://lists.example/3.1/members/");
        let cases: &[Case] = &[
            (Mailman, 201, None, None, "delivered", ""),
            (Mailman, 202, Some("application/json"), None, "delivered", ""),
            (Mailman, 200, Some("text/html; charset=utf-8"), None, "halt", "login page"),
            (Mailman, 200, Some("application/json"), None, "halt", "proxy or a login page"),
            (Mailman, 204, None, None, "halt", "HTTP 204"),
            (Webhook, 200, Some("application/json"), None, "delivered", ""),
            (Webhook, 201, None, None, "delivered", ""),
            (Webhook, 202, Some("application/json"), None, "delivered", ""),
            (Webhook, 204, None, None, "delivered", ""),
            (Webhook, 200, Some("text/html; charset=UTF-8"), None, "halt", "login page or portal"),
            (Mailman, 201, Some("text/html"), None, "halt", "web page"),
            (Webhook, 200, Some("TEXT/HTML"), None, "halt", "web page"),
            (Webhook, 203, Some("application/json"), None, "halt", "HTTP 203"),
            (Webhook, 206, None, None, "halt", "contract"),
            (Mailman, 301, None, moved, "halt", "moved to https://lists.example/3.1/members/; update url"),
            (Mailman, 302, None, moved, "halt", "moved to https://lists.example/3.1/members/"),
            (Mailman, 303, None, moved, "halt", "moved to"),
            (Mailman, 307, None, moved, "halt", "moved to"),
            (Mailman, 308, None, moved, "halt", "moved to"),
            (Webhook, 301, None, moved, "halt", "moved to"),
            (Webhook, 308, Some("text/html"), moved, "halt", "moved to https://lists.example"),
            (Webhook, 307, None, None, "halt", "without saying where"),
            (
                Webhook,
                302,
                Some("text/html"),
                Some("https://sso.example:8443/login?next=%2Fhook&email=visitor%40example.org#top"),
                "halt",
                "moved to https://sso.example:8443/login?…;",
            ),
            (
                Webhook,
                302,
                None,
                Some("https://user:pw@sso.example/u/visitor@example.org/"),
                "halt",
                "sso.example/u/[address]/",
            ),
        ];
        for &(protocol, status, content_type, location, kind, words) in cases {
            // What is labelled a page here is one; the target's own answers are not.
            let page = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html"));
            let body = if page { "<html>Sign in</html>" } else { "" };
            let answer = Answer { status, content_type, location, body, ..Answer::default() };
            let got = classify(protocol, &answer, now());
            let (got_kind, reason) = kind_of(&got);
            assert_eq!(got_kind, kind, "{protocol:?} {status} {content_type:?}: {got:?}");
            assert!(reason.contains(words), "{protocol:?} {status}: the reason `{reason}` must mention `{words}`");
            assert!(!reason.contains('@') && !reason.contains("pw"), "no address or password for staff: {reason}");
        }
    }

    /// Regression (issue #15 review): what decides "a page answered, not the
    /// receiver" is the body, not `text/html` — Flask's `return "ok"`,
    /// Express's `res.send("ok")` and PHP's `echo` answer `text/html`, and
    /// such receivers never got a signup. And a login page answering 409 (or
    /// Mailman's 201/202) is no "already there".
    #[test]
    fn a_web_page_is_known_by_its_body_whatever_the_content_type() {
        let page = "<!DOCTYPE html>\n<HTML><head><title>Sign in</title></head><body>…</body></HTML>";
        let portal = "  <form method=post action=/portal/accept>Accept the terms</form>";
        let long_page = format!("{}<body>", " ".repeat(2000));
        // (protocol, status, content type, body, expected kind)
        type Case<'a> = (Protocol, u16, &'a str, &'a str, &'a str);
        let cases: &[Case] = &[
            (Webhook, 200, "text/html; charset=utf-8", "ok", "delivered"),
            (Webhook, 200, "text/html", "OK\n", "delivered"),
            (Webhook, 201, "text/html; charset=UTF-8", "Created", "delivered"),
            (Webhook, 202, "text/html", "accepted <b>thanks</b>", "delivered"),
            (Webhook, 204, "text/html", "", "delivered"),
            (Webhook, 409, "text/html", "duplicate", "delivered"),
            (Webhook, 200, "application/json", r#"{"status": "accepted"}"#, "delivered"),
            (Mailman, 201, "text/html", "", "delivered"),
            (Mailman, 409, "application/json", r#"{"description": "Member already subscribed"}"#, "delivered"),
            (Webhook, 200, "text/html", page, "halt"),
            (Webhook, 200, "text/plain", page, "halt"),
            (Webhook, 200, "application/json", portal, "halt"),
            (Webhook, 200, "", &long_page, "halt"),
            (Webhook, 204, "text/html", "<html></html>", "halt"),
            (Webhook, 409, "text/html", page, "halt"),
            (Mailman, 201, "text/html", page, "halt"),
            (Mailman, 202, "text/html", portal, "halt"),
            (Mailman, 409, "text/html; charset=utf-8", page, "halt"),
        ];
        for &(protocol, status, content_type, body, kind) in cases {
            let answer = Answer { status, content_type: Some(content_type), body, ..Answer::default() };
            let got = classify(protocol, &answer, now());
            let (got_kind, reason) = kind_of(&got);
            assert_eq!(got_kind, kind, "{protocol:?} {status} {content_type} {body:?}: {got:?}");
            if kind == "halt" {
                assert!(reason.contains("web page") && reason.contains("check url"), "{reason}");
            }
        }
        // A page's mark beyond the first few KiB does not count (the scan is bounded).
        let late = format!("{}<html>", "x".repeat(PAGE_SCAN + 10));
        assert!(!looks_like_html_page(&late));
    }

    /// Regression (issue #15): percent-encoded addresses and the visitor's own
    /// name and address, echoed back by a server, never reach a staff message.
    #[test]
    fn a_server_echoing_the_visitor_back_is_scrubbed() {
        let private =
            ["aigerim.b@example.org", "Aigerim.B@example.org", "aigerim.b", "Aigerim Bekova", "Aigerim", "Bekova"];
        let cases = [
            (r#"{"error": "Aigerim Bekova is not allowed"}"#, "HTTP 422: [private] is not allowed"),
            (r#"{"error": "user Aigerim%20Bekova refused"}"#, "HTTP 422: user [private] refused"),
            (r#"{"error": "dear aigerim, no"}"#, "HTTP 422: dear [private], no"),
            (r#"{"error": "Bekova is banned"}"#, "HTTP 422: [private] is banned"),
            (r#"{"error": "AIGERIM.B is banned"}"#, "HTTP 422: [private] is banned"),
            (r#"{"error": "Aigerimova stays: not a whole word"}"#, "HTTP 422: Aigerimova stays: not a whole word"),
        ];
        for (body, want) in cases {
            let answer = Answer { status: 422, body, private: &private, ..Answer::default() };
            let Delivery::Rejected { reason } = classify(Webhook, &answer, now()) else { panic!("{body}") };
            assert!(reason.ends_with(&format!("{want})")), "{body}: got `{reason}`, want it to end with `{want})`");
        }
        let answer = Answer {
            status: 302,
            location: Some("https://portal.example/welcome/Aigerim%20Bekova"),
            private: &private,
            ..Answer::default()
        };
        let got = classify(Webhook, &answer, now());
        let (_, reason) = kind_of(&got);
        assert!(!reason.contains("Aigerim"), "the name is gone from a Location too: {reason}");
    }

    /// Issue #20 (review of the fleet's drain): an answer about the whole
    /// list — down, busy, gateway, unreachable — ends the round; one about a
    /// single request (a 500, a timeout) does not hold back the rest.
    #[test]
    fn answers_about_the_whole_list_are_told_apart_from_one_failed_request() {
        let down = |status: u16, retry_after: Option<&str>| {
            let answer = Answer { status, retry_after, ..Answer::default() };
            match classify(Webhook, &answer, now()) {
                Delivery::Retry { list_down, .. } => list_down,
                other => panic!("{status}: {other:?}"),
            }
        };
        for status in [429, 502, 503, 504] {
            assert!(down(status, None), "{status} without Retry-After is about the list");
        }
        assert!(down(500, Some("30")), "any Retry-After is the list's own wait");
        for status in [408, 425, 500, 501] {
            assert!(!down(status, None), "{status} is one request's failure");
        }
        let transport = |list_down| match transport_failure("x", list_down) {
            Delivery::Retry { list_down, .. } => list_down,
            other => panic!("{other:?}"),
        };
        assert!(transport(true) && !transport(false));
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
        let answer = Answer { status: 429, retry_after: Some("120"), ..Answer::default() };
        let Delivery::Retry { after, .. } = classify(Webhook, &answer, now()) else { panic!() };
        assert_eq!(after, Some(Duration::from_secs(120)), "a 429 carries its Retry-After to the scheduler");
    }

    #[test]
    fn redact_removes_addresses_and_bounds_length() {
        assert_eq!(redact("user a.b@example.org is banned"), "user [address] is banned");
        // Percent-encoded once or twice, as an HTML entity, or inside a URL.
        let cases = [
            ("user a%40b.org is banned", "user [address] is banned"),
            ("user a%2540b is banned", "user [address] is banned"),
            ("user A%40B.ORG", "user [address]"),
            ("x a&#64;b.org y", "x [address] y"),
            ("see https://h.example/p?email=a%40b.org&x=1", "see https://h.example/p?email=[address]&x=1"),
            ("<p>mailto:a@b.org</p>", "<p>mailto:[address]</p>"),
            ("quoted \"a@b.org\".", "quoted \"[address]\"."),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "{text}");
        }
        assert_eq!(redact("line\u{7}one\n two"), "lineone two");
        assert!(redact(&"x ".repeat(500)).chars().count() <= 161);
    }
}
