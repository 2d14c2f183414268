//! The app's state, reachable from background threads only once it exists.
//!
//! `AppHandle::state::<Kiosk>()` panics when the state is not managed yet, and
//! a panic is an abort in release: a thread started during set-up that looked
//! at the state a moment too early would take the lobby screen down. So the
//! threads (heartbeat, music, content updates) do not get an `AppHandle`; they
//! get a [`Managed`], and the only way to make one is [`Managed::manage`],
//! which puts the state in first. The order is enforced by the types, not by
//! the order of lines in `main`. Commands get the state from Tauri, which runs
//! none before set-up has finished.

use tauri::{AppHandle, Manager, State};

use crate::state::Kiosk;

/// An app handle whose [`Kiosk`] state is known to be managed.
#[derive(Clone)]
pub struct Managed(AppHandle);

impl Managed {
    /// Puts `kiosk` in the app's state and returns the proof that it is there.
    pub fn manage(app: &AppHandle, kiosk: Kiosk) -> Managed {
        app.manage(kiosk);
        Managed(app.clone())
    }

    /// The app's state (cannot panic: [`Managed::manage`] put it there).
    pub fn kiosk(&self) -> State<'_, Kiosk> {
        self.0.state::<Kiosk>()
    }

    /// The app handle, for events and the async runtime.
    pub fn app(&self) -> &AppHandle {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    /// The rule this module enforces, checked on the sources: outside this
    /// file, the state is only looked up with `try_state` (which cannot panic).
    #[test]
    fn only_managed_looks_up_the_kiosk_state_unchecked() {
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut offenders = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.file_name().is_some_and(|n| n == "managed.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, line) in text.lines().enumerate() {
                    if line.contains(".state::<") {
                        offenders.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "`state::<Kiosk>()` panics before the state is managed (an abort in release); \
             use Managed::kiosk, a command's State, or try_state:\n{}",
            offenders.join("\n")
        );
    }
}
