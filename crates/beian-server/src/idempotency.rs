//! The `Idempotency-Key` header on every mutating call: a retried request (same caller, same key,
//! same method, path and body) is answered with the first response and applied once. The key is
//! claimed in the database before the handler runs, so two concurrent retries cannot both apply.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beian_store::Claim;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::Caller;
use crate::auth::token_digest;
use crate::error::ApiError;
use crate::routes::documents::UPLOAD_BODY_BYTES;

fn problem(status: StatusCode, kind: &'static str, title: &'static str, detail: &str) -> Response {
    ApiError::new(status, kind, title, detail)
        .at("Idempotency-Key")
        .into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The middleware.
pub async fn idempotency(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let mutating = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(key) = key.filter(|_| mutating) else {
        return next.run(request).await;
    };
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-idempotency-key",
            "幂等键无效 / Invalid idempotency key",
            "use 1 to 128 printable ASCII characters",
        );
    }
    // The caller: the token's account, or one shared scope for unauthenticated calls.
    // The caller the authorization middleware resolved; else the token's account, or one scope
    // for unauthenticated calls.
    let resolved = request
        .extensions()
        .get::<Caller>()
        .map(|c| format!("account:{}", c.account.id));
    let caller = match resolved {
        Some(c) => c,
        None => match crate::auth::presented_token(request.headers()) {
            Some(token) => match state
                .store
                .account_for_token(&token_digest(token.trim()), OffsetDateTime::now_utc())
                .await
            {
                Ok(Some(a)) => format!("account:{}", a.id),
                _ => return next.run(request).await, // the handler answers 401
            },
            None => "anonymous".to_owned(),
        },
    };
    let (parts, body) = request.into_parts();
    // The largest body any route takes (an upload); each route's own limit applies after.
    let Ok(bytes) = to_bytes(body, UPLOAD_BODY_BYTES).await else {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "请求体过大 / Body too large",
            "the body exceeds the limit",
        );
    };
    let fingerprint = format!(
        "{} {} {}",
        parts.method,
        parts.uri.path(),
        hex(&Sha256::digest(&bytes))
    );
    match state
        .store
        .claim_idempotency_key(&caller, &key, &fingerprint, OffsetDateTime::now_utc())
        .await
    {
        Ok(Claim::Fresh) => {}
        Ok(Claim::Replay { status, body }) => {
            let mut r =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            let content_type = if status >= 400 {
                "application/problem+json"
            } else {
                "application/json"
            };
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return r;
        }
        Ok(Claim::Busy) => {
            return problem(
                StatusCode::CONFLICT,
                "request-in-progress",
                "请求处理中 / Request in progress",
                "a request with this key is still running: retry shortly",
            );
        }
        Ok(Claim::Mismatch) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "幂等键已用于其他请求 / Key reused",
                "this key was used for a different request: use a new key",
            );
        }
        Err(e) => {
            return ApiError::internal(format!("idempotency claim failed: {e}")).into_response();
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, 16 * crate::MAX_BODY_BYTES).await else {
        let _ = state.store.release_idempotency_key(&caller, &key).await;
        return ApiError::internal("the response could not be recorded").into_response();
    };
    let outcome = if parts.status.is_server_error() {
        // A server failure applied nothing: let the retry run again.
        state.store.release_idempotency_key(&caller, &key).await
    } else {
        state
            .store
            .remember_idempotent_response(
                &caller,
                &key,
                parts.status.as_u16(),
                &String::from_utf8_lossy(&bytes),
            )
            .await
    };
    if let Err(e) = outcome {
        tracing::error!(error = %e, "idempotency record failed");
    }
    Response::from_parts(parts, Body::from(bytes))
}
