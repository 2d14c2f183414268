//! The `[metrics]` section: the heartbeat as Prometheus metrics, for a
//! ministry that watches a fleet of kiosks with the Prometheus it already
//! runs. Without it the kiosk exports no metrics (heartbeat.json and
//! `heartbeat_url` are unchanged either way).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::ConfigError;
use crate::check::Check;

/// The `[metrics]` section: where the kiosk's metrics go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// A folder node_exporter's textfile collector reads: `embassy_kiosk.prom`
    /// is written there (atomically) at every heartbeat.
    pub textfile_dir: Option<PathBuf>,
    /// Where the kiosk serves `GET /metrics` itself (plain HTTP).
    pub listen: Option<SocketAddr>,
    /// The `site` label on every metric (the embassy or consulate); the `kiosk_id` when not given.
    pub site: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMetrics {
    textfile_dir: Option<PathBuf>,
    listen: Option<Spanned<String>>,
    site: Option<Spanned<String>>,
}

/// Validates `[metrics]`; `kiosk_id` is the `site` when the section names none.
pub(crate) fn parse(r: RawMetrics, check: &Check<'_>, kiosk_id: &str) -> Result<MetricsConfig, ConfigError> {
    let listen = match r.listen {
        Some(l) => Some(listen_address(l.get_ref()).ok_or_else(|| {
            check.invalid(
                l.span().start,
                "`metrics.listen` must be an address and port such as \"127.0.0.1:9899\" (or a port alone, \
                 which means this machine's loopback), port 1 to 65535"
                    .into(),
            )
        })?),
        None => None,
    };
    let site = match r.site {
        Some(s) => {
            let site = s.get_ref().trim();
            if site.is_empty() || site.chars().count() > 64 || site.chars().any(char::is_control) {
                return Err(check.invalid(
                    s.span().start,
                    "`metrics.site` must be 1 to 64 characters, without control characters".into(),
                ));
            }
            site.to_string()
        }
        None => kiosk_id.to_string(),
    };
    Ok(MetricsConfig { textfile_dir: r.textfile_dir.map(|d| check.base.join(d)), listen, site })
}

/// `host:port`, `[v6]:port`, or a port alone (loopback); never port 0 (a port nobody could scrape).
fn listen_address(text: &str) -> Option<SocketAddr> {
    let text = text.trim();
    let addr = match text.parse::<u16>() {
        Ok(port) => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        Err(_) => text.parse::<SocketAddr>().ok()?,
    };
    (addr.port() != 0).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_takes_an_address_or_a_port_on_loopback_and_never_port_zero() {
        let cases = [
            ("127.0.0.1:9899", Some("127.0.0.1:9899")),
            ("9899", Some("127.0.0.1:9899")),
            (" 0.0.0.0:9100 ", Some("0.0.0.0:9100")),
            ("[::1]:9899", Some("[::1]:9899")),
            ("127.0.0.1:0", None),
            ("0", None),
            ("localhost:9899", None),
            ("127.0.0.1", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(listen_address(text).map(|a| a.to_string()).as_deref(), want, "{text:?}");
        }
    }
}
