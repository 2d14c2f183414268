//! One mailbox, however it is spelt: the key the store dedups on and the
//! resend window remembers, so `a+1@x.org`, `a+2@x.org` and `A@X.org` count as
//! one signup and cannot each trigger a confirmation mail to the same inbox.
//!
//! Only for counting: the list still gets the address as the visitor typed it.
//! To add a provider's own rules (as for Gmail below), add a case to
//! [`normalise`] and a row to its test table.

/// Domains that deliver to the same mailbox whatever dots the local part holds.
const DOTLESS: [&str; 2] = ["gmail.com", "googlemail.com"];

/// The mailbox `ascii` (a validated address, domain already ASCII lower case)
/// delivers to: local part lower-cased and cut at the first `+` (sub-addressing),
/// and for Gmail also without dots and with `googlemail.com` as `gmail.com`.
///
/// A local part that *begins* with `+` keeps it: there is nothing before the tag.
pub fn normalise(ascii: &str) -> String {
    let (local, domain) = ascii.rsplit_once('@').unwrap_or((ascii, ""));
    let domain = domain.to_ascii_lowercase();
    let mut local = local.to_ascii_lowercase();
    if let Some(plus) = local.find('+').filter(|&i| i > 0) {
        local.truncate(plus);
    }
    if DOTLESS.contains(&domain.as_str()) {
        local.retain(|c| c != '.');
        return format!("{local}@gmail.com");
    }
    format!("{local}@{domain}")
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn variants_of_one_mailbox_normalise_alike() {
        let cases = [
            ("a@x.org", "a@x.org"),
            ("a+1@x.org", "a@x.org"),
            ("a+news+more@x.org", "a@x.org"),
            ("A+2@X.ORG", "a@x.org"),
            ("first.last@x.org", "first.last@x.org"),
            ("First.Last+kiosk@gmail.com", "firstlast@gmail.com"),
            ("f.i.r.s.t.l.a.s.t@googlemail.com", "firstlast@gmail.com"),
            ("+tag@x.org", "+tag@x.org"),
            ("-dash@x.org", "-dash@x.org"),
            ("aigerim@xn--80a1acny.xn--80ao21a", "aigerim@xn--80a1acny.xn--80ao21a"),
        ];
        for (typed, mailbox) in cases {
            assert_eq!(normalise(typed), mailbox, "the mailbox of {typed}");
        }
        assert_ne!(normalise("a.b@x.org"), normalise("ab@x.org"), "dots matter outside Gmail");
        assert_ne!(normalise("a@x.org"), normalise("a@y.org"), "another domain is another mailbox");
    }
}
