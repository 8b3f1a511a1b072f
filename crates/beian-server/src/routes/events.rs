//! Events over HTTP. Applicants follow their own events by long-polling `GET /api/v1/events`
//! (staff see all); supervisors configure webhooks, see where an event's deliveries stand, and
//! read the text messages sent to applicants. The delivery itself is
//! [`crate::service::events`].

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::service::events::EventView;

/// How long a long-polling client may wait for an event.
pub const EVENTS_MAX_WAIT: Duration = Duration::from_secs(30);

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/events", list)
        .get("/api/v1/events/{seq}/deliveries", deliveries)
        .get("/api/v1/webhooks", list_webhooks)
        .post("/api/v1/webhooks", create_webhook)
        .delete("/api/v1/webhooks/{id}", delete_webhook)
        .get("/api/v1/notifications/sms", sms_outbox)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct EventsQuery {
    #[serde(default)]
    pub after: i64,
    /// Seconds to wait for an event when there is none yet (long poll), at most 30.
    #[serde(default)]
    pub wait: Option<u64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /api/v1/events?after=SEQ&wait=S`: the caller's events after `after` (staff: all), in
/// commit order; with `wait`, answered as soon as one commits.
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<EventsQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let wait = Duration::from_secs(q.wait.unwrap_or(0)).min(EVENTS_MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    let mut head = state.event_head.clone();
    loop {
        // Mark the head seen before reading, so that a commit in between wakes us.
        head.borrow_and_update();
        let events = crate::service::events::visible_after(&state, &caller, q.after, limit).await?;
        if !events.is_empty() || tokio::time::Instant::now() >= deadline {
            let last = events.last().map_or(q.after, |e| e.seq);
            return Ok(Json(EventsPage {
                last_seq: last,
                events: events.iter().map(EventView::from).collect(),
            }));
        }
        let _ = tokio::time::timeout_at(deadline, head.changed()).await;
    }
}

/// A webhook as supervisors see it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct WebhookView {
    id: i64,
    url: String,
    active: bool,
    /// Shown once, when the webhook is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    created_at: OffsetDateTime,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct NewWebhook {
    pub url: String,
}

/// `POST /api/v1/webhooks` (supervisors): deliver every event from now on to `url`. The
/// response holds the signing secret, once.
pub async fn create_webhook(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let url = body.url.trim();
    let ok = url.len() <= 2048
        && (url.starts_with("http://") || url.starts_with("https://"))
        && reqwest::Url::parse(url).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()));
    if !ok {
        return Err(ApiError::invalid(
            "url",
            "Webhook 地址无效 / Invalid webhook URL",
            "请填写 http:// 或 https:// 开头的完整地址 / give a full http:// or https:// URL",
        ));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(ApiError::internal)?;
    let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let w = state
        .store
        .create_webhook(url, &secret, &caller.actor(), OffsetDateTime::now_utc())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookView {
            id: w.id,
            url: w.url,
            active: w.active,
            secret: Some(w.secret),
            created_at: w.created_at,
        }),
    ))
}

/// `GET /api/v1/webhooks` (supervisors).
pub async fn list_webhooks(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let ws = state.store.webhooks().await?;
    Ok(Json(
        ws.into_iter()
            .map(|w| WebhookView {
                id: w.id,
                url: w.url,
                active: w.active,
                secret: None,
                created_at: w.created_at,
            })
            .collect(),
    ))
}

/// `DELETE /api/v1/webhooks/{id}` (supervisors): stop delivering to it.
pub async fn delete_webhook(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let removed = state
        .store
        .deactivate_webhook(id, OffsetDateTime::now_utc())
        .await?;
    if !removed {
        return Err(ApiError::not_found(
            "webhook-not-found",
            "Webhook 不存在 / Webhook not found",
            "no active webhook with this id",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Events after a sequence number, and the last one seen (ask again with `after=last_seq`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EventsPage {
    pub last_seq: i64,
    pub events: Vec<EventView>,
}

/// One delivery of an event: to a webhook or the notification sink.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub target: String,
    pub webhook: Option<i64>,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub delivered_at: Option<String>,
    pub failed_at: Option<String>,
    pub last_error: String,
}

/// A text message sent to an applicant, the mobile masked.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SentSms {
    pub order: Option<i64>,
    pub mobile: String,
    pub text: String,
    pub sent_at: String,
}

/// `GET /api/v1/events/{seq}/deliveries` (supervisors): where an event's deliveries stand.
pub async fn deliveries(
    State(state): State<Arc<AppState>>,
    Path(seq): Path<i64>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    let ds = state.store.deliveries(seq).await?;
    Ok(Json(
        ds.into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                target: d.target,
                webhook: (d.webhook_id != 0).then_some(d.webhook_id),
                attempts: d.attempts,
                next_attempt_at: rfc3339(d.next_attempt_at),
                delivered_at: d.delivered_at.map(rfc3339),
                failed_at: d.failed_at.map(rfc3339),
                last_error: d.last_error,
            })
            .collect(),
    ))
}

/// `GET /api/v1/notifications/sms` (supervisors): the latest text messages sent to applicants,
/// mobiles masked.
pub async fn sms_outbox(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<SentSms>>, ApiError> {
    let rows = state.store.notification_sms(200).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(order, mobile, text, at)| SentSms {
                order,
                mobile: beian_core::mask::mobile(&mobile),
                text,
                sent_at: rfc3339(at),
            })
            .collect(),
    ))
}

/// The OpenAPI entries of the event routes.
pub fn openapi_paths(problem: &serde_json::Value) -> serde_json::Value {
    let bearer = serde_json::json!([{"bearer": []}]);
    serde_json::json!({
        "/api/v1/events": {"get": {"summary": "Events in commit order after `after` (applicants: their own; staff: all); `wait` (≤ 30 s) long-polls until one commits", "security": bearer,
            "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}}, {"name": "wait", "in": "query", "schema": {"type": "integer"}}, {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "last_seq and events"}, "401": problem}}},
        "/api/v1/events/{seq}/deliveries": {"get": {"summary": "Where an event's deliveries stand (supervisors)", "security": bearer,
            "parameters": [{"name": "seq", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "deliveries"}, "401": problem, "403": problem}}},
        "/api/v1/webhooks": {
            "get": {"summary": "Configured webhooks (supervisors)", "security": bearer, "responses": {"200": {"description": "webhooks"}, "401": problem, "403": problem}},
            "post": {"summary": "Deliver every event from now on to url (supervisors); the response holds the signing secret, once. Deliveries are POSTs of the event JSON with X-Beian-Signature (t=…,v1=HMAC-SHA256(secret, t.body)), Idempotency-Key, X-Beian-Event-Id, X-Beian-Event; retried with backoff until a 2xx", "security": bearer,
                "responses": {"201": {"description": "the webhook with its secret"}, "401": problem, "403": problem, "422": problem}}
        },
        "/api/v1/notifications/sms": {"get": {"summary": "The latest text messages sent to applicants about their orders, mobiles masked (supervisors)", "security": bearer,
            "responses": {"200": {"description": "messages"}, "401": problem, "403": problem}}},
        "/api/v1/webhooks/{id}": {"delete": {"summary": "Stop delivering to a webhook (supervisors)", "security": bearer,
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "removed"}, "401": problem, "403": problem, "404": problem}}}
    })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
