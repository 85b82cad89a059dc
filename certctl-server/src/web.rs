//! The web dashboard, embedded at build time from `web/dist` (see `build.rs`) and served at `/`:
//! hashed assets under `/assets/` are cached for a year, every other path that is not the API
//! gets `index.html` (the dashboard routes in the browser).

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

mod files {
    include!(concat!(env!("OUT_DIR"), "/dashboard.rs"));
}

/// Whether this binary carries the dashboard (false when built before `npm run build`).
pub fn embedded() -> bool {
    files::FILES.iter().any(|(p, _)| *p == "index.html")
}

fn file(path: &str) -> Option<&'static [u8]> {
    files::FILES.binary_search_by(|(p, _)| (*p).cmp(path)).ok().map(|i| files::FILES[i].1)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>certctl</title>\
<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>certctl</h1>\
<p>This certctl-server was built without the web dashboard: <code>web/dist</code> did not exist when it was compiled.</p>\
<p>Build it with <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild the server \
(<code>cargo build --release -p certctl-server</code>). The REST API works without it: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p></body></html>";

/// Serves a dashboard file, or `index.html` for a browser route. `None` when the request is not
/// the dashboard's (not GET/HEAD, or under `/api/`), so the caller answers with its own 404.
pub fn serve(method: &Method, uri: &Uri) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return None;
    }
    if let Some(bytes) = file(path).filter(|_| !path.is_empty()) {
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return Some(
            ([(header::CONTENT_TYPE, content_type(path)), (header::CACHE_CONTROL, cache)], bytes)
                .into_response(),
        );
    }
    if path.starts_with("assets/") {
        return Some((StatusCode::NOT_FOUND, "no such asset").into_response());
    }
    let mut resp = match file("index.html") {
        Some(index) => {
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], index).into_response()
        }
        None => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], NOT_BUILT).into_response(),
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert(
        header::HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(CSP),
    );
    Some(resp)
}

/// The dashboard loads only its own scripts and styles and talks only to this origin.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_and_writes_are_not_the_dashboards() {
        assert!(serve(&Method::GET, &"/api/v1/nope".parse().unwrap()).is_none());
        assert!(serve(&Method::POST, &"/".parse().unwrap()).is_none());
        let r = serve(&Method::GET, &"/certificates/mc-1".parse().unwrap()).unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(
            serve(&Method::GET, &"/assets/missing.js".parse().unwrap()).unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn files_are_sorted_for_lookup() {
        assert!(files::FILES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(files::FILES.iter().all(|(p, _)| file(p).is_some()));
    }
}
