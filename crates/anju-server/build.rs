//! Embeds the web app's production build (`web/dist`) into the binary.
//!
//! Writes `$OUT_DIR/web_assets.rs`: a table of every file under `web/dist` as
//! `(path, bytes)` through `include_bytes!`, so debug and release builds serve the same
//! bytes and the binary needs no files beside it. Without `web/dist` (before
//! `npm run build`) the table is empty and the server answers with a page saying how to
//! build the app, so `cargo test` works on a fresh clone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = std::env::var("ANJU_WEB_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("../../web/dist"));
    println!("cargo:rerun-if-env-changed=ANJU_WEB_DIST");
    println!("cargo:rerun-if-changed={}", dist.display());

    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();

    let mut out = String::from("pub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        let _ = writeln!(out, "    ({rel:?}, include_bytes!({abs:?})),");
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out_dir.join("web_assets.rs"), out) {
        panic!("cannot write the web asset table: {e}");
    }
}

/// Every regular file under `dir`, as (path relative to `root` with `/`, absolute path).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // `.vite/manifest.json` is for the bundle-size script, not for browsers.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.is_file() {
            let rel = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let abs = path
                .canonicalize()
                .unwrap_or(path.clone())
                .to_string_lossy()
                .into_owned();
            out.push((rel, abs));
        }
    }
}
