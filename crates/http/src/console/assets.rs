//! The console's scripts and styles, compiled into the binary (air-gapped intranets load
//! nothing from elsewhere). URLs carry a content hash, so files are cached for good.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

macro_rules! asset {
    ($path:literal) => {
        ($path, include_bytes!(concat!("../../console/", $path)) as &[u8])
    };
}

const FILES: &[(&str, &[u8])] = &[
    asset!("console.css"),
    asset!("favicon.svg"),
    asset!("app.js"),
    asset!("photos.js"),
    asset!("pages/home.js"),
    asset!("pages/workbench.js"),
    asset!("pages/case.js"),
    asset!("pages/cases.js"),
    asset!("pages/caselist.js"),
    asset!("pages/inbox.js"),
    asset!("pages/phone.js"),
    asset!("pages/report.js"),
    asset!("pages/dashboard.js"),
    asset!("pages/admin.js"),
];

struct Asset {
    path: &'static str,
    bytes: &'static [u8],
    etag: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(path, bytes)| Asset { path, bytes, etag: hex::encode(&Sha256::digest(bytes)[..8]) })
        .collect()
});

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// `/static/PATH?v=HASH` for a file, so a new build's files are fetched and old ones cached.
pub fn url(path: &str) -> String {
    let asset = find(path).unwrap_or_else(|| panic!("console asset {path} is not compiled in"));
    format!("/static/{}?v={}", asset.path, asset.etag)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve_file(&path, &headers)
}

/// Browsers ask for `/favicon.ico` whatever the page says.
pub async fn favicon(headers: HeaderMap) -> Response {
    serve_file("favicon.svg", &headers)
}

/// `<link>` tags every HTML page of the console carries: the style sheet and the icon.
pub fn head_links() -> String {
    format!("<link rel=\"stylesheet\" href=\"{}\"><link rel=\"icon\" type=\"image/svg+xml\" href=\"{}\">", url("console.css"), url("favicon.svg"))
}

fn serve_file(path: &str, headers: &HeaderMap) -> Response {
    let Some(asset) = find(path) else { return ApiError::not_found("文件").into_response() };
    if let Some(response) = from_dev_dir(asset) {
        return response;
    }
    let etag = format!("\"{}\"", asset.etag);
    let cache = [(header::CACHE_CONTROL, "public, max-age=31536000, immutable"), (header::ETAG, etag.as_str())];
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (cache, [(header::CONTENT_TYPE, content_type(asset.path))], asset.bytes).into_response()
}

/// Debug builds only: with `CHENGYUN_CONSOLE_DEV_DIR=crates/http/console` the files are read
/// from disk on every request, so editing a script needs no rebuild. Only compiled-in names are
/// served, so the variable cannot expose other files.
fn from_dev_dir(asset: &Asset) -> Option<Response> {
    if !cfg!(debug_assertions) {
        return None;
    }
    let dir = std::env::var_os("CHENGYUN_CONSOLE_DEV_DIR")?;
    let bytes = std::fs::read(std::path::Path::new(&dir).join(asset.path)).ok()?;
    Some(([(header::CACHE_CONTROL, "no-store")], [(header::CONTENT_TYPE, content_type(asset.path))], bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_found_by_its_url() {
        for (path, _) in FILES {
            assert!(url(path).starts_with(&format!("/static/{path}?v=")));
            assert!(find(path).is_some_and(|a| !a.bytes.is_empty()));
        }
        assert!(find("../Cargo.toml").is_none());
    }
}
