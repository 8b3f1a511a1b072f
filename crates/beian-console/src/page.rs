//! What every page shares: the chrome (language, who is logged in, the CSRF value, the
//! navigation), rendering, the vendored assets and the security headers.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use beian_core::workflow::Role;
use sha2::{Digest, Sha256};

use crate::i18n::{Lang, Tr};
use crate::session::Viewer;

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub tr: Tr,
    pub lang: Lang,
    pub title: String,
    /// The logged-in account's login, if any.
    pub login: Option<String>,
    pub role: Option<Role>,
    pub csrf: String,
    /// This page's path and query (the language switch comes back here).
    pub here: String,
}

impl Chrome {
    pub fn new(v: &Viewer, title_key: &str) -> Chrome {
        let tr = v.tr();
        Chrome {
            title: tr.t(title_key),
            tr,
            lang: v.lang,
            login: v.caller.as_ref().map(|c| c.account.login.clone()),
            role: v.caller.as_ref().map(|c| c.role),
            csrf: v.csrf.clone(),
            here: v.here.clone(),
        }
    }

    /// A chrome without a session (error pages).
    pub fn bare(lang: Lang, here: &str, title: &str) -> Chrome {
        Chrome {
            tr: Tr { lang },
            lang,
            title: title.to_owned(),
            login: None,
            role: None,
            csrf: String::new(),
            here: here.to_owned(),
        }
    }

    pub fn is_applicant(&self) -> bool {
        self.role == Some(Role::Applicant)
    }

    /// The provider's staff (reviewers and supervisors): the review queue.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Some(Role::Reviewer | Role::Supervisor))
    }

    pub fn is_supervisor(&self) -> bool {
        self.role == Some(Role::Supervisor)
    }

    pub fn is_administration(&self) -> bool {
        self.role == Some(Role::Administration)
    }

    /// The language switch's link: to the other language, back to this page.
    pub fn switch_href(&self) -> String {
        format!(
            "/lang?to={}&back={}",
            self.lang.other().tag(),
            encode_component(&self.here)
        )
    }

    /// The URL of a vendored asset, with its content hash (cached for a year).
    pub fn asset(&self, name: &str) -> String {
        asset_url(name)
    }
}

/// Render a template as a page (a template error is a bug: 500, logged).
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Percent-encode a URL component (query values).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to come back to (`/…`, never `//host` or `http:`), else `/`.
pub fn local_path(s: &str) -> &str {
    if s.starts_with('/') && !s.starts_with("//") && !s.starts_with("/\\") {
        s
    } else {
        "/"
    }
}

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    hash: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        (
            "console.css",
            "text/css; charset=utf-8",
            include_bytes!("../assets/console.css").as_slice(),
        ),
        (
            "htmx.min.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/htmx.min.js").as_slice(),
        ),
        (
            "console.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/console.js").as_slice(),
        ),
        (
            "application.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/application.js").as_slice(),
        ),
        (
            "review.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/review.js").as_slice(),
        ),
    ]
    .into_iter()
    .map(|(name, content_type, bytes)| Asset {
        name,
        content_type,
        bytes,
        hash: Sha256::digest(bytes)
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect(),
    })
    .collect()
});

pub fn asset_url(name: &str) -> String {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => format!("/assets/{}?v={}", a.name, a.hash),
        None => format!("/assets/{name}"),
    }
}

/// `GET /assets/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        None => crate::error::Failure::not_found().into_response(),
    }
}

/// The console's security headers: a content security policy that allows only this origin
/// (no inline script or style), no framing, no sniffing, no referrer to other sites. A response
/// that set its own policy (the block page, with its inline style's hash) keeps it.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
        && !h.contains_key(header::CACHE_CONTROL)
    {
        // Pages hold personal data: never in a shared cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A change (anything but GET and HEAD) from a page of another origin is refused before any
/// handler runs; the CSRF field in each form is the second lock.
pub async fn same_origin(request: Request, next: Next) -> Response {
    use axum::http::Method;
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let headers = request.headers();
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .filter(|o| *o != "null");
        if let (Some(origin), Some(host)) = (origin, host) {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            if origin_host != host {
                return crate::error::Failure::csrf().into_response();
            }
        }
    }
    next.run(request).await
}
