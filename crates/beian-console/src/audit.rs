//! The console's part of the audit trail: every change a staff member makes through a page, and
//! every page of an application or a document a staff member opens, recorded with
//! `service::audit` (the API records its own requests).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use beian_server::AppState;
use beian_server::auth::{SESSION_COOKIE, caller_for_token, cookie_in};

/// `/review/orders/7/reject` → `/review/orders/{id}/reject`: what kind of request it was.
pub fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Is this console request one the trail keeps (for a staff caller)? Every change; of the reads,
/// the pages that show an application or a document.
fn kept(method: &Method, path: &str) -> bool {
    if *method != Method::GET && *method != Method::HEAD {
        return true;
    }
    matches!(
        shape(path).as_str(),
        "/review/orders/{id}" | "/orders/{id}" | "/orders/{id}/documents/{id}"
    )
}

/// Middleware: record the staff's kept requests with how they ended.
pub async fn staff_requests(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if !kept(request.method(), &path) {
        return next.run(request).await;
    }
    let caller = match cookie_in(request.headers(), SESSION_COOKIE) {
        Some(token) => caller_for_token(&state, token).await.ok().flatten(),
        None => None,
    };
    let Some(caller) = caller.filter(|c| beian_server::service::audit::audited(c.role)) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let caller = caller.from_request(&parts);
    let action = format!("console {} {}", parts.method, shape(&path));
    let response = next.run(Request::from_parts(parts, body)).await;
    beian_server::service::audit::record(
        &state,
        &caller,
        &action,
        &path,
        response.status().as_u16(),
    )
    .await;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_what_is_kept() {
        assert_eq!(
            shape("/review/orders/12/documents/3"),
            "/review/orders/{id}/documents/{id}"
        );
        assert_eq!(shape("/review"), "/review");
        assert!(kept(&Method::POST, "/login"));
        assert!(kept(&Method::GET, "/review/orders/5"));
        assert!(kept(&Method::GET, "/orders/5/documents/9"));
        assert!(!kept(&Method::GET, "/review"));
        assert!(!kept(&Method::GET, "/assets/console.css"));
    }
}
