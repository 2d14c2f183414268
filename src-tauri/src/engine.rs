//! How WebKit runs: settings that must be in the environment before GTK
//! starts. The web process inherits them.
//!
//! **Drawing.** The kiosk runs WebKit without its DMA-BUF renderer: the web
//! process paints into shared memory and the shell copies that to the window
//! (the DMA-BUF renderer, even with shared memory, costs the web process
//! ~250 MiB more). In that mode the shell itself never draws with OpenGL, yet
//! by default two things load the system's GL driver into it: GTK probes GLX
//! when it opens the display, and WebKit sets up an EGL display to learn which
//! DRM render node to hand the web process. Without a GPU that driver is
//! Mesa's llvmpipe, which brings LLVM: measured here, the shell's memory
//! (PSS) went from 98 to 70 MiB, the kiosk's total down by ~20. So the shell turns GTK's GL off and names the render node
//! itself, the way WebKit would find it without EGL (the first
//! `/dev/dri/renderD*`). The web process still sets up its own GL.
//!
//! **JavaScript.** The UI is a small page whose scripts run for a few
//! milliseconds per touch; JavaScriptCore's JIT compilers and the code they
//! generate cost the web process ~12 MiB after a minute of attract mode, and
//! the interpreter alone keeps every figure of the visitor experience within
//! its target (docs/performance.md). It also leaves the lobby
//! screen with no writable-executable memory.
//!
//! Anything the admin has set (in the service's environment, for instance)
//! is left as it is; with `WEBKIT_DISABLE_DMABUF_RENDERER=0` the shell needs
//! GL, so no drawing setting is added.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The variables to set, given the current environment and the machine's DRM
/// render nodes (looked for only when needed).
pub fn environment(
    current: impl Fn(&str) -> Option<OsString>,
    render_nodes: impl FnOnce() -> Vec<PathBuf>,
) -> Vec<(&'static str, OsString)> {
    let mut set = Vec::new();
    if current("JSC_useJIT").is_none() {
        set.push(("JSC_useJIT", OsString::from("0")));
    }
    match current("WEBKIT_DISABLE_DMABUF_RENDERER") {
        None => set.push(("WEBKIT_DISABLE_DMABUF_RENDERER", OsString::from("1"))),
        // WebKit's reading: set to anything but "0" turns the renderer off.
        Some(v) if v == OsStr::new("0") => return set,
        Some(_) => {}
    }
    if current("GDK_GL").is_none() {
        set.push(("GDK_GL", OsString::from("disable")));
    }
    if current("WEBKIT_WEB_RENDER_DEVICE_FILE").is_none_or(|v| v.is_empty()) {
        // WebKit uses the node only for GBM buffers, which come with the
        // DMA-BUF renderer; a name that matches no device leaves the web
        // process without one, as on a machine with no GPU.
        let node = render_nodes().into_iter().min().map(PathBuf::into_os_string);
        set.push(("WEBKIT_WEB_RENDER_DEVICE_FILE", node.unwrap_or_else(|| OsString::from("none"))));
    }
    set
}

/// `/dev/dri/renderD*` on this machine.
pub fn render_nodes(dri: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dri) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        .map(|e| e.path())
        .collect()
}

/// Puts the settings into this process's environment, where GTK and WebKit
/// (and the web process, which inherits it) read them. Returns what was set.
///
/// # Safety
/// No other thread may exist yet: nothing may read the environment while it
/// changes (call it first thing in `main`).
#[allow(unsafe_code)]
pub unsafe fn apply() -> Vec<(&'static str, OsString)> {
    let set = environment(|k| std::env::var_os(k), || render_nodes(Path::new("/dev/dri")));
    for (key, value) in &set {
        // SAFETY: the caller guarantees this process has a single thread.
        unsafe { std::env::set_var(key, value) };
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(env: &[(&str, &str)], nodes: &[&str]) -> Vec<(&'static str, String)> {
        let env: HashMap<String, OsString> = env.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        environment(|k| env.get(k).cloned(), || nodes.iter().map(PathBuf::from).collect())
            .into_iter()
            .map(|(k, v)| (k, v.to_string_lossy().into_owned()))
            .collect()
    }

    #[test]
    fn nothing_set_gives_the_kiosk_defaults() {
        assert_eq!(
            run(&[], &[]),
            [
                ("JSC_useJIT", "0".to_string()),
                ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".to_string()),
                ("GDK_GL", "disable".to_string()),
                ("WEBKIT_WEB_RENDER_DEVICE_FILE", "none".to_string()),
            ]
        );
    }

    #[test]
    fn the_first_render_node_is_named() {
        let set = run(&[], &["/dev/dri/renderD129", "/dev/dri/renderD128"]);
        assert_eq!(set[3], ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/renderD128".to_string()));
    }

    #[test]
    fn what_the_admin_set_is_kept() {
        let set = run(
            &[
                ("JSC_useJIT", "1"),
                ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
                ("GDK_GL", "always"),
                ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/renderD130"),
            ],
            &["/dev/dri/renderD128"],
        );
        assert!(set.is_empty(), "{set:?}");
    }

    #[test]
    fn with_the_dma_buf_renderer_on_gl_stays_on() {
        let set = run(&[("WEBKIT_DISABLE_DMABUF_RENDERER", "0")], &["/dev/dri/renderD128"]);
        assert_eq!(set, [("JSC_useJIT", "0".to_string())]);
    }

    #[test]
    fn render_nodes_lists_only_render_nodes() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["card0", "renderD128", "by-path"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(render_nodes(dir.path()), [dir.path().join("renderD128")]);
        assert!(render_nodes(&dir.path().join("missing")).is_empty());
    }
}
