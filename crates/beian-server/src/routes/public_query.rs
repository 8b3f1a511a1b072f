//! `GET /api/v1/public/query`: the public query over [`crate::service::public_query`]. Rate
//! limited per client IP (the layer is added where the route is registered, in `lib.rs`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;
pub use crate::service::public_query::{Outcome, PublicAnswer, PublicQuery, PublicRecord};

/// `GET /api/v1/public/query?domain=…|number=…|subject=…|credential=…` (anyone; rate limited):
/// `filed` with the records, `not_filed`, or `unknown` (503) when the record cannot be read now.
/// Credential numbers, phones and addresses are never shown.
pub async fn public_query(
    State(state): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> Result<Response, ApiError> {
    let answer = crate::service::public_query::query(&state, &q).await?;
    let status = match answer.outcome {
        Outcome::Unknown => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    Ok((status, Json(answer)).into_response())
}
