//! Orders over HTTP: drafts, the applicant's and the reviewers' workflow steps, the review queue.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use beian_core::workflow::Command;
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, Utf8Body};
use crate::service::filing::{self, OrderDetail, OrderSummary, QueueItem};

pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/orders", create)
        .get("/api/v1/orders", list)
        .get("/api/v1/orders/{id}", get_one)
        .put("/api/v1/orders/{id}", update)
        .post("/api/v1/orders/{id}/submit", submit)
        .post("/api/v1/orders/{id}/withdraw", withdraw)
        .post("/api/v1/orders/{id}/pass", pass)
        .post("/api/v1/orders/{id}/reject", reject)
        .post(
            "/api/v1/orders/{id}/complete-verification",
            complete_verification,
        )
        .post(
            "/api/v1/orders/{id}/submit-to-administration",
            submit_to_administration,
        )
        .get("/api/v1/review/queue", queue)
        .post("/api/v1/orders/{id}/claim", claim)
        .delete("/api/v1/orders/{id}/claim", release)
}

type Answer<T> = Result<Json<T>, ApiError>;

/// `POST /api/v1/orders`: a new draft from `{"application": …}`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Utf8Body(body): Utf8Body,
) -> Result<(StatusCode, Json<OrderDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(filing::create(&state, &caller, &body).await?),
    ))
}

/// `GET /api/v1/orders`: the caller's orders.
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller) -> Answer<Vec<OrderSummary>> {
    Ok(Json(filing::list(&state, &caller).await?))
}

/// `GET /api/v1/orders/{id}`.
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Answer<OrderDetail> {
    Ok(Json(filing::get(&state, &caller, id).await?))
}

/// `PUT /api/v1/orders/{id}`: replace a draft's application.
pub async fn update(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    Utf8Body(body): Utf8Body,
) -> Answer<OrderDetail> {
    Ok(Json(filing::update(&state, &caller, id, &body).await?))
}

async fn advance(
    state: &AppState,
    caller: &Caller,
    id: i64,
    command: Command,
) -> Answer<OrderDetail> {
    Ok(Json(filing::advance(state, caller, id, command).await?))
}

/// `POST /api/v1/orders/{id}/submit`.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Answer<OrderDetail> {
    advance(&state, &caller, id, Command::Submit).await
}

/// `POST /api/v1/orders/{id}/withdraw`.
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Answer<OrderDetail> {
    advance(&state, &caller, id, Command::Withdraw).await
}

/// `POST /api/v1/orders/{id}/pass`: preliminary review passed.
pub async fn pass(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Answer<OrderDetail> {
    advance(&state, &caller, id, Command::ProviderPass).await
}

/// `POST /api/v1/orders/{id}/reject`: back to draft with reasons.
pub async fn reject(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<filing::RejectionInput>,
) -> Answer<OrderDetail> {
    let rejection = filing::rejection(body)?;
    advance(&state, &caller, id, Command::ProviderReject(rejection)).await
}

/// `POST /api/v1/orders/{id}/complete-verification`: photo and documents accepted.
pub async fn complete_verification(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Answer<OrderDetail> {
    advance(&state, &caller, id, Command::CompleteVerification).await
}

/// `POST /api/v1/orders/{id}/submit-to-administration`.
pub async fn submit_to_administration(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Answer<OrderDetail> {
    advance(&state, &caller, id, Command::SubmitToAdministration).await
}

/// `GET /api/v1/review/queue`: the provider's work, most urgent deadline first.
pub async fn queue(State(state): State<Arc<AppState>>) -> Answer<Vec<QueueItem>> {
    Ok(Json(
        filing::queue(&state, OffsetDateTime::now_utc()).await?,
    ))
}

/// `POST /api/v1/orders/{id}/claim`: the calling reviewer works on this order (renews its own
/// claim; a supervisor takes one over). 409 while another reviewer's claim is live.
pub async fn claim(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Answer<OrderDetail> {
    Ok(Json(filing::claim(&state, &caller, id).await?))
}

/// `DELETE /api/v1/orders/{id}/claim`: give the claim up.
pub async fn release(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Answer<OrderDetail> {
    Ok(Json(filing::release(&state, &caller, id).await?))
}
