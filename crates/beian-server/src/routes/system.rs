//! The service's own routes: health, Prometheus metrics, the OpenAPI document.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::Routes;
use crate::AppState;
use crate::error::ApiError;

pub fn routes(r: Routes) -> Routes {
    r.get("/healthz", healthz)
        .get("/metrics", prometheus)
        .get("/api/openapi.json", openapi)
        .get("/api/docs", api_docs)
        .get("/api/docs/{file}", api_docs_asset)
}

/// The vendored Swagger UI (`assets/swagger-ui`, see its README): the page and its files.
const DOCS_ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/index.html"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/init.js"),
    ),
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    ),
];

fn asset(name: &str) -> Result<Response, ApiError> {
    let (_, content_type, bytes) =
        DOCS_ASSETS
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| {
                ApiError::not_found(
                    "no-such-route",
                    "路径不存在 / Not found",
                    "no such file under /api/docs",
                )
            })?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
}

/// `GET /api/docs`: the API's interactive documentation (Swagger UI, vendored: no CDN).
pub async fn api_docs() -> Result<Response, ApiError> {
    asset("index.html")
}

/// `GET /api/docs/{file}`: the documentation page's scripts and styles.
pub async fn api_docs_asset(
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    asset(&file)
}

/// The health answer.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// `GET /healthz`: 200 while the database answers, 503 otherwise.
pub async fn healthz(State(state): State<Arc<AppState>>) -> Result<Json<Health>, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(Health { status: "ok" })),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            Err(ApiError::unavailable("the database does not answer"))
        }
    }
}

/// `GET /metrics`: Prometheus text; gauges that mirror the store are refreshed at scrape time.
pub async fn prometheus(State(state): State<Arc<AppState>>) -> Response {
    match state.store.count_by_state().await {
        Ok(counts) => {
            for (order_state, n) in counts {
                metrics::gauge!("beian_orders", "state" => order_state).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: counting orders failed"),
    }
    match crate::service::filing::overdue_count(&state).await {
        Ok(n) => metrics::gauge!("beian_sla_breaches").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "metrics: SLA breaches failed"),
    }
    let mut response = state.metrics_text().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> Response {
    let mut response = crate::openapi::document().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
