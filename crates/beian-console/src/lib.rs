//! The web console: server-rendered pages for applicants and the public, in Simplified Chinese and
//! English, from the same binary and port as the JSON API.
//!
//! Layering: each page module in [`views`] parses a request, calls the same service functions the
//! API calls (`beian_server::service`, `beian_server::auth`) and renders a template; it never
//! decides a rule, a permission or a transition itself. Templates (`templates/`) are checked at
//! compile time (askama); strings come from one Fluent catalogue (`locales/`); the only scripts
//! are the vendored htmx and a few lines of our own (`assets/`), and every core task works
//! without them.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header;
use axum::response::Response;
use beian_server::AppState;
use tower::ServiceExt as _;

pub mod audit;
pub mod error;
pub mod i18n;
pub mod page;
pub mod session;
pub mod views;

/// The console's pages merged with the JSON API: the pages answer their paths; everything else
/// goes to the API router (which answers unknown `/api/…` paths with problem+json). An unknown
/// path a browser asks for gets the console's not-found page.
pub fn app(state: AppState) -> Router {
    let api = beian_server::router(state.clone());
    let state = Arc::new(state);
    let console = views::routes(Router::new(), &state)
        .route("/assets/{name}", axum::routing::get(page::asset))
        .layer(axum::middleware::from_fn(error::render_failures))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::staff_requests,
        ))
        .layer(DefaultBodyLimit::max(beian_server::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(page::same_origin))
        .layer(axum::middleware::from_fn(page::security_headers))
        // Pages and assets go gzip-compressed to browsers that ask (all do): the form and htmx
        // shrink to a fraction. Images are left as they are (already compressed).
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
        .with_state(state);
    console.fallback(move |request: Request| {
        let api = api.clone();
        async move { not_found_or_api(api, request).await }
    })
}

async fn not_found_or_api(api: Router, request: Request) -> Response {
    let path = request.uri().path();
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !path.starts_with("/api/") {
        let lang = session::lang_of(request.headers());
        let here = request
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let mut r = error::failure_page(&error::Failure::not_found(), lang, &here);
        if let Ok(v) = axum::http::HeaderValue::from_str(
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ) {
            r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
        return r;
    }
    match api.oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// Serve the console and the API until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// What a page handler returns.
pub type PageResult = Result<Response, error::Failure>;
