//! Embeds the built web pages (the kiosk's `ui/dist` for the preview, the
//! studio's `ui/dist-studio`) so `kioskctl` is one file to install. A folder
//! not built yet embeds nothing; the studio then says how to build it.

use std::io::Write;
use std::path::{Path, PathBuf};

fn files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            files(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push((rel.to_string_lossy().replace('\\', "/"), path.clone()));
        }
    }
}

fn main() {
    // Read at run time: a build script compiled once may run for another checkout.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let ui = Path::new(&manifest).join("../../ui");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut code = std::fs::File::create(out_dir.join("embedded.rs")).expect("OUT_DIR is writable");
    for (name, folder) in [("KIOSK", "dist"), ("STUDIO", "dist-studio")] {
        let root = ui.join(folder);
        println!("cargo:rerun-if-changed={}", root.display());
        let mut list = Vec::new();
        files(&root, &root, &mut list);
        list.sort();
        writeln!(code, "pub static {name}: &[(&str, &[u8])] = &[").expect("write");
        for (rel, path) in list {
            println!("cargo:rerun-if-changed={}", path.display());
            let abs = path.canonicalize().expect("a listed file exists");
            writeln!(code, "    ({rel:?}, include_bytes!({:?})),", abs.to_string_lossy()).expect("write");
        }
        writeln!(code, "];").expect("write");
    }
}
