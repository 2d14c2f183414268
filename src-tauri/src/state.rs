//! The state Tauri manages: the kiosk (composed in `kiosk-app`, free of
//! Tauri) and the shell's own start-up marks. A leaf: it names no other
//! module of the shell, so every module may use it and none forms a cycle.

use std::sync::Once;
use std::sync::atomic::{AtomicI64, Ordering};

/// The managed state: every command gets it as `State<'_, Kiosk>`.
pub struct Kiosk {
    kiosk: kiosk_app::Kiosk,
    /// When the window, the set-up and the first content happened.
    pub marks: StartMarks,
}

impl Kiosk {
    pub fn new(kiosk: kiosk_app::Kiosk, marks: StartMarks) -> Kiosk {
        Kiosk { kiosk, marks }
    }
}

impl std::ops::Deref for Kiosk {
    type Target = kiosk_app::Kiosk;

    fn deref(&self) -> &kiosk_app::Kiosk {
        &self.kiosk
    }
}

/// Unix ms of the start-up's steps, logged once the first content is on
/// screen so start-up can be measured from outside (see bench/).
pub struct StartMarks {
    /// When `main` started.
    pub main_ms: i64,
    /// When the window was created.
    pub window_ms: i64,
    /// When the shell's set-up ended: the page's requests wait for it.
    setup_ms: AtomicI64,
    painted: Once,
}

impl StartMarks {
    pub fn new(main_ms: i64, window_ms: i64) -> StartMarks {
        StartMarks { main_ms, window_ms, setup_ms: AtomicI64::new(0), painted: Once::new() }
    }

    /// The set-up has ended.
    pub fn set_up(&self) {
        self.setup_ms.store(jiff::Timestamp::now().as_millisecond(), Ordering::Relaxed);
    }

    /// The first content is on screen: runs `then` with the shell's marks, once.
    pub fn painted(&self, then: impl FnOnce(String)) {
        self.painted.call_once(|| {
            let setup = self.setup_ms.load(Ordering::Relaxed);
            then(format!("main={} window={} setup={setup}", self.main_ms, self.window_ms));
        });
    }
}
