//! What staff must look at: damaged files in the data directory that the
//! kiosk worked around to keep the lobby lit (a store set aside, a state file
//! ignored, a lockout assumed). Each one is logged once when found, and shown
//! in the staff panel and in every heartbeat until the kiosk restarts.

use std::sync::{Arc, Mutex};

/// The list, shared by start-up, staff mode, the content watcher and the heartbeat.
#[derive(Clone, Default)]
pub struct Problems(Arc<Mutex<Vec<(String, String)>>>);

impl Problems {
    /// Records `problem` (once) and logs it as a warning.
    pub fn add(&self, problem: impl Into<String>) {
        let problem = problem.into();
        self.add_about(&problem.clone(), problem);
    }

    /// Records `problem` unless one about `cause` is recorded already (the
    /// start and the content watcher meet the same damaged file).
    pub fn add_about(&self, cause: &str, problem: impl Into<String>) {
        let mut list = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !list.iter().any(|(c, _)| c == cause) {
            let problem = problem.into();
            tracing::warn!("{problem}");
            list.push((cause.to_string(), problem));
        }
    }

    /// All recorded so far, oldest first.
    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(_, p)| p.clone()).collect()
    }
}
