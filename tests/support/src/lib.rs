//! Fixtures for the kiosk's tests that need real peers: a GNU Mailman 3 on
//! loopback ([`mailman`]), a proxy that injects network faults ([`proxy`]),
//! a webhook receiver that checks the signature contract ([`webhook`]), and a
//! static file server with ETag and Range for content updates ([`files`]).
//! Test-only: nothing here ships in the kiosk.
#![deny(missing_docs)]

pub mod files;
pub mod http;
pub mod mailman;
pub mod proxy;
pub mod webhook;

/// A free TCP port on loopback (bound and released; fine for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
