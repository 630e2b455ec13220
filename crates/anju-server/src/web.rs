//! The web app, embedded at build time (see `build.rs`) and served from the router's
//! fallback: the API routes stay the only documented paths, and any other path a browser
//! asks for is either a file of the build or the app's own route (SPA fallback to
//! `index.html`).

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

mod assets {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// Files under `assets/` carry a content hash in their names, so they never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else (index.html, the service worker, the manifest) is revalidated, so a
/// new build reaches browsers at once.
const REVALIDATE: &str = "no-cache";
/// The app loads nothing from elsewhere (it must work air-gapped); ECharts sets inline
/// styles, photos are previewed from blob: URLs.
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'";

fn find(path: &str) -> Option<&'static [u8]> {
    assets::ASSETS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, b)| *b)
}

/// True when the binary was built after `npm run build` (tests use it to skip).
pub fn embedded() -> bool {
    find("index.html").is_some()
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Serves a GET or HEAD for a path outside `/api/`.
pub fn serve(method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    if !embedded() {
        return (StatusCode::OK, Html(NOT_BUILT)).into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let (file, bytes) = match find(path).filter(|_| !path.is_empty()) {
        Some(b) => (path, b),
        // A file that looks like one of the build's but is missing is a real 404: an
        // HTML answer would be parsed as script and fail in confusing ways.
        None if path.starts_with("assets/") || path.ends_with(".js") => {
            return (StatusCode::NOT_FOUND, Html("<h1>404</h1>")).into_response();
        }
        None => match find("index.html") {
            Some(b) => ("index.html", b),
            None => return (StatusCode::NOT_FOUND, Html("<h1>404</h1>")).into_response(),
        },
    };
    let mut res_headers = HeaderMap::new();
    res_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(file)),
    );
    let cache = if file.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    res_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if file == "index.html" {
        res_headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    if file == "sw.js" {
        // The worker controls the whole origin, not just its folder.
        res_headers.insert("service-worker-allowed", HeaderValue::from_static("/"));
    }
    // The build writes a gzip twin of each text file; send it to browsers that take it.
    let gz = format!("{file}.gz");
    let body = match find(&gz).filter(|_| gzip_ok) {
        Some(z) => {
            res_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            z
        }
        None => bytes,
    };
    res_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if method == Method::HEAD {
        return (StatusCode::OK, res_headers).into_response();
    }
    (StatusCode::OK, res_headers, body).into_response()
}

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>安居 Anju</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>安居 Anju</h1>
<p>此程序构建时未包含网页应用。请先构建网页，再构建程序：</p>
<p>This binary was built without the web app. Build the app, then the binary:</p>
<pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build &amp;&amp; cd .. &amp;&amp; cargo build --release -p anju-cli</pre>
<p>(<code>make demo</code> does both.) The API is served all the same:
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>"#;
