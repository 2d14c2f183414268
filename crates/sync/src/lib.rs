//! Sends the kiosk's pending signups to the central list, exactly once.
//!
//! - [`classify`]: what an HTTP answer means for a signup (delivered, retry,
//!   refused for good, or the kiosk's own config is wrong) — pure, table-tested.
//! - [`backoff`]: when to try again — exponential with full jitter.
//! - [`target`]: GNU Mailman 3 REST or a signed JSON webhook.
//! - [`worker`]: the tokio worker that drains the outbox in batches.
//!
//! To add a target: a variant in [`target::Target`], its request in
//! `deliver`, and its 4xx meanings in [`classify::classify`].
#![deny(missing_docs)]

pub mod backoff;
pub mod classify;
pub mod target;
pub mod worker;
