//! The one authorization table: every route, the operation it is, which roles may call it, and
//! the body it takes. [`authorize`] enforces it before a handler runs, so a caller whose role may
//! not do something is refused (403) before anything about the target (an order's state, whether
//! it exists) is looked at. Whose data a caller may see (an applicant sees only its own orders)
//! is the service layer's business, after this check.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beian_core::workflow::Role;

use crate::AppState;
use crate::auth::token_digest;
use crate::error::ApiError;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without logging in.
    Public,
    /// Any logged-in account, whatever its role (each sees its own data).
    Account,
    /// Logged-in accounts of these roles only.
    Roles(&'static [Role]),
    /// An access gate presenting the configured gate token, or a supervisor.
    GateOrSupervisor,
}

/// What a route's request body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body is read.
    None,
    /// `application/json` only; anything else sent is refused with 415.
    Json,
    /// `multipart/form-data` (document uploads).
    Multipart,
    /// `text/csv` (the registrars' library import).
    Csv,
}

/// One route of the API.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    pub method: Method,
    /// The route as registered with the router (`/api/v1/orders/{id}`).
    pub path: &'static str,
    /// The operation's stable id (OpenAPI `operationId`).
    pub operation: &'static str,
    pub access: Access,
    pub body: BodyKind,
}

const APPLICANT: &[Role] = &[Role::Applicant];
const STAFF: &[Role] = &Role::STAFF;
const SUPERVISOR: &[Role] = &[Role::Supervisor];
const ADMINISTRATION: &[Role] = &[Role::Administration];

macro_rules! routes {
    ($($method:ident $path:literal $op:literal $access:expr, $body:ident;)*) => {
        &[$(RouteEntry {
            method: Method::$method,
            path: $path,
            operation: $op,
            access: $access,
            body: BodyKind::$body,
        }),*]
    };
}

use Access::{Account, GateOrSupervisor, Public, Roles};

/// The table. `tests` holds it equal to the routes the router registers.
pub static ROUTES: &[RouteEntry] = routes! {
    // Public: health, metrics, the API's description, the rules engine, accounts, the public query.
    GET "/healthz" "health" Public, None;
    GET "/metrics" "metrics" Public, None;
    GET "/api/openapi.json" "openapi" Public, None;
    GET "/api/docs" "apiDocs" Public, None;
    GET "/api/docs/{file}" "apiDocsAsset" Public, None;
    POST "/api/v1/check" "check" Public, Json;
    POST "/api/v1/filing-type" "filingType" Public, Json;
    GET "/api/v1/rejection-reasons" "rejectionReasons" Public, None;
    POST "/api/v1/accounts" "register" Public, Json;
    POST "/api/v1/sessions" "login" Public, Json;
    GET "/api/v1/public/query" "publicQuery" Public, None;
    // Any account: itself, its session, its orders and events (each sees its own).
    DELETE "/api/v1/sessions" "logout" Account, None;
    GET "/api/v1/me" "me" Account, None;
    GET "/api/v1/orders" "listOrders" Account, None;
    GET "/api/v1/orders/{id}" "getOrder" Account, None;
    GET "/api/v1/orders/{id}/documents" "listDocuments" Account, None;
    GET "/api/v1/orders/{id}/documents/{doc}/file" "documentFile" Account, None;
    GET "/api/v1/products" "listProducts" Account, None;
    GET "/api/v1/rectifications" "listRectifications" Account, None;
    GET "/api/v1/events" "listEvents" Account, None;
    // The applicant's steps.
    POST "/api/v1/orders" "createOrder" Roles(APPLICANT), Json;
    PUT "/api/v1/orders/{id}" "updateOrder" Roles(APPLICANT), Json;
    POST "/api/v1/orders/{id}/submit" "submit" Roles(APPLICANT), None;
    POST "/api/v1/orders/{id}/withdraw" "withdraw" Roles(APPLICANT), None;
    POST "/api/v1/orders/{id}/sms" "sms" Roles(APPLICANT), Json;
    POST "/api/v1/orders/{id}/documents" "uploadDocument" Roles(APPLICANT), Multipart;
    POST "/api/v1/orders/{id}/backdrop" "requestBackdrop" Roles(APPLICANT), Json;
    POST "/api/v1/products/{instance}/service-numbers" "applyServiceNumber" Roles(APPLICANT), None;
    // The provider's staff (reviewers and supervisors).
    POST "/api/v1/orders/{id}/pass" "pass" Roles(STAFF), None;
    POST "/api/v1/orders/{id}/reject" "reject" Roles(STAFF), Json;
    POST "/api/v1/orders/{id}/complete-verification" "completeVerification" Roles(STAFF), None;
    POST "/api/v1/orders/{id}/submit-to-administration" "submitToAdministration" Roles(STAFF), None;
    POST "/api/v1/orders/{id}/documents/{doc}/review" "reviewDocument" Roles(STAFF), Json;
    POST "/api/v1/orders/{id}/backdrop/shipped" "backdropShipped" Roles(STAFF), Json;
    POST "/api/v1/orders/{id}/statements/require" "requireStatements" Roles(STAFF), None;
    POST "/api/v1/orders/{id}/statements/received" "statementsReceived" Roles(STAFF), None;
    GET "/api/v1/review/queue" "reviewQueue" Roles(STAFF), None;
    POST "/api/v1/orders/{id}/claim" "claimOrder" Roles(STAFF), None;
    DELETE "/api/v1/orders/{id}/claim" "releaseOrder" Roles(STAFF), None;
    GET "/api/v1/blacklist" "listBlacklist" Roles(STAFF), None;
    GET "/api/v1/registrar-records" "listRegistrarRecords" Roles(STAFF), None;
    POST "/api/v1/rectifications/{id}/resolve" "resolveRectification" Roles(STAFF), None;
    // Supervisors.
    POST "/api/v1/blacklist" "addToBlacklist" Roles(SUPERVISOR), Json;
    GET "/api/v1/audit" "listAudit" Roles(SUPERVISOR), None;
    GET "/api/v1/dashboard" "dashboard" Roles(SUPERVISOR), None;
    POST "/api/v1/products" "putProduct" Roles(SUPERVISOR), Json;
    POST "/api/v1/rectifications" "openRectification" Roles(SUPERVISOR), Json;
    POST "/api/v1/jobs/run" "runJobs" Roles(SUPERVISOR), None;
    GET "/api/v1/events/{seq}/deliveries" "listDeliveries" Roles(SUPERVISOR), None;
    GET "/api/v1/webhooks" "listWebhooks" Roles(SUPERVISOR), None;
    POST "/api/v1/webhooks" "createWebhook" Roles(SUPERVISOR), Json;
    DELETE "/api/v1/webhooks/{id}" "deleteWebhook" Roles(SUPERVISOR), None;
    GET "/api/v1/notifications/sms" "notificationSms" Roles(SUPERVISOR), None;
    POST "/api/v1/registrar-records/import" "importRegistrarRecords" Roles(SUPERVISOR), Csv;
    PUT "/api/v1/registrar-records/{domain}" "putRegistrarRecord" Roles(SUPERVISOR), Json;
    DELETE "/api/v1/registrar-records/{domain}" "deleteRegistrarRecord" Roles(SUPERVISOR), None;
    GET "/api/v1/staff-accounts" "listStaffAccounts" Roles(SUPERVISOR), None;
    POST "/api/v1/staff-accounts" "createStaffAccount" Roles(SUPERVISOR), Json;
    POST "/api/v1/staff-accounts/{login}/disable" "disableStaffAccount" Roles(SUPERVISOR), None;
    POST "/api/v1/staff-accounts/{login}/enable" "enableStaffAccount" Roles(SUPERVISOR), None;
    // The built-in administration (管局).
    POST "/api/v1/orders/{id}/approve" "approve" Roles(ADMINISTRATION), None;
    POST "/api/v1/orders/{id}/administration-reject" "administrationReject" Roles(ADMINISTRATION), Json;
    GET "/api/v1/registry/sms-outbox" "administrationSmsOutbox" Roles(ADMINISTRATION), None;
    POST "/api/v1/registry/filings" "recordForeignFiling" Roles(ADMINISTRATION), Json;
    POST "/api/v1/registry/revocations" "revoke" Roles(ADMINISTRATION), Json;
    // Access gates (or a supervisor).
    GET "/api/v1/gate/snapshot" "gateSnapshot" GateOrSupervisor, None;
    GET "/api/v1/gate/changes" "gateChanges" GateOrSupervisor, None;
    GET "/api/v1/gate/in-progress" "gateInProgress" GateOrSupervisor, None;
};

/// The table's entry for a request (`HEAD` is answered as `GET`).
pub fn entry(method: &Method, path: &str) -> Option<&'static RouteEntry> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    ROUTES.iter().find(|r| r.method == method && r.path == path)
}

/// May `role` call a route of `access` (gate tokens aside)?
pub fn allows(access: Access, role: Option<Role>) -> bool {
    match (access, role) {
        (Access::Public, _) => true,
        (_, None) => false,
        (Access::Account, Some(_)) => true,
        (Access::Roles(roles), Some(r)) => roles.contains(&r),
        (Access::GateOrSupervisor, Some(r)) => r == Role::Supervisor,
    }
}

fn forbidden(e: &RouteEntry) -> ApiError {
    let who = match e.access {
        Access::Roles(roles) => roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        _ => "supervisor".to_owned(),
    };
    ApiError::forbidden(
        "无权执行此操作 / Not allowed for your role",
        format!("{} 仅限 {who} / {} is for: {who}", e.operation, e.operation),
    )
}

/// Does the request carry a body (declared length above zero, or chunked)?
fn has_body(request: &Request) -> bool {
    let headers = request.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}

fn content_type_is(request: &Request, wanted: &str) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(wanted))
}

/// The middleware: look the route up, check the body's media type, authenticate where the
/// route is not public, and refuse a role the table does not name. The caller it resolved is
/// handed to the handler (the `Caller` extractor takes it from the request's extensions).
pub async fn authorize(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        return next.run(request).await;
    };
    let Some(e) = entry(request.method(), &path) else {
        if ROUTES.iter().any(|r| r.path == path) {
            // A method the route does not take: the router answers 405 with `Allow`.
            return next.run(request).await;
        }
        // A route without an entry is never served (a test keeps this from happening).
        return ApiError::internal(format!("route {path} has no authorization entry"))
            .into_response();
    };
    if e.body == BodyKind::Json
        && has_body(&request)
        && !content_type_is(&request, "application/json")
    {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "内容类型不支持 / Unsupported media type",
            "请以 Content-Type: application/json 发送 JSON / send JSON with Content-Type: application/json",
        )
        .at("Content-Type")
        .into_response();
    }
    if e.access == Access::Public {
        return next.run(request).await;
    }
    if e.access == Access::GateOrSupervisor && presents_gate_token(&state, &request) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let caller = match crate::auth::resolve_caller(&parts, &state).await {
        Ok(c) => c,
        Err(err) => return err.into_response(),
    };
    if !allows(e.access, Some(caller.role)) {
        return forbidden(e).into_response();
    }
    // Staff actions, and staff reads of an application or a document, go to the audit trail.
    let audited = crate::service::audit::audited(caller.role)
        && (parts.method != Method::GET
            || crate::service::audit::AUDITED_READS.contains(&e.operation));
    let audit = audited.then(|| (caller.clone(), parts.uri.path().to_owned()));
    parts.extensions.insert(caller);
    request = Request::from_parts(parts, body);
    let response = next.run(request).await;
    if let Some((caller, target)) = audit {
        crate::service::audit::record(
            &state,
            &caller,
            e.operation,
            &target,
            response.status().as_u16(),
        )
        .await;
    }
    response
}

fn presents_gate_token(state: &AppState, request: &Request) -> bool {
    let presented = crate::auth::bearer_token(request.headers());
    // Compared as digests, so the comparison's time says nothing about the secret.
    matches!((presented, state.gate_token.as_deref()), (Some(p), Some(secret)) if token_digest(p) == token_digest(secret))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_entry_is_unique_and_named() {
        let mut seen = std::collections::HashSet::new();
        let mut ops = std::collections::HashSet::new();
        for e in ROUTES {
            assert!(
                seen.insert((e.method.clone(), e.path)),
                "{} {} twice",
                e.method,
                e.path
            );
            assert!(ops.insert(e.operation), "operation {} twice", e.operation);
            assert!(e.path.starts_with('/'));
        }
    }

    #[test]
    fn workflow_steps_name_the_roles_the_core_allows() {
        use beian_core::workflow::Action;
        // A route that carries a workflow action admits exactly the roles the core lets act.
        let pairs = [
            ("submit", Action::Submit),
            ("withdraw", Action::Withdraw),
            ("pass", Action::ProviderPass),
            ("reject", Action::ProviderReject),
            ("completeVerification", Action::CompleteVerification),
            ("submitToAdministration", Action::SubmitToAdministration),
            ("approve", Action::AdministrationApprove),
            ("administrationReject", Action::AdministrationReject),
        ];
        for (op, action) in pairs {
            let e = ROUTES.iter().find(|e| e.operation == op).unwrap();
            for role in Role::ACCOUNTS {
                assert_eq!(
                    allows(e.access, Some(role)),
                    action.roles().contains(&role),
                    "{op} for {role:?}"
                );
            }
        }
    }

    #[test]
    fn nobody_anonymous_reaches_a_non_public_route() {
        for e in ROUTES {
            if e.access != Access::Public {
                assert!(!allows(e.access, None), "{}", e.operation);
            }
        }
    }
}
