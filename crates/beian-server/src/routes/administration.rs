//! The built-in administration (管局) over HTTP: the applicant's SMS answer, the administration's
//! approval and rejection, and its simulated SMS gateway.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use beian_core::workflow::Command;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::service::filing::{self, Approved, OrderDetail};
use crate::service::verification::{self, SmsAnswer};

pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/orders/{id}/sms", answer_sms)
        .post("/api/v1/orders/{id}/approve", approve)
        .post("/api/v1/orders/{id}/administration-reject", reject)
        .get("/api/v1/registry/sms-outbox", outbox)
}

/// `POST /api/v1/orders/{id}/sms` (the applicant): answer the SMS challenge.
pub async fn answer_sms(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<OrderDetail>, ApiError> {
    // Whose order it is is decided before the body is read.
    filing::owned(&state, &caller, id).await?;
    let a: SmsAnswer = crate::error::parse_body(&body)?;
    Ok(Json(verification::answer(&state, &caller, id, &a).await?))
}

/// `POST /api/v1/orders/{id}/approve`: assign the numbers.
pub async fn approve(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Approved>, ApiError> {
    Ok(Json(filing::approve(&state, &caller, id).await?))
}

/// `POST /api/v1/orders/{id}/administration-reject`: back to draft with R codes.
pub async fn reject(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<filing::RejectionInput>,
) -> Result<Json<OrderDetail>, ApiError> {
    let rejection = filing::rejection(body)?;
    Ok(Json(
        filing::advance(
            &state,
            &caller,
            id,
            Command::AdministrationReject(rejection),
        )
        .await?,
    ))
}

/// `GET /api/v1/registry/sms-outbox`: the simulated SMS gateway.
pub async fn outbox(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<verification::OutboxMessage>>, ApiError> {
    Ok(Json(verification::outbox(&state.store, 100).await?))
}
