//! The audit trail for supervisors: staff actions and reads, newest first, filtered by login,
//! action and order (`service::audit`).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use beian_core::workflow::Role;
use beian_server::AppState;
use beian_server::service::audit::{self, AuditQuery};
use serde::Deserialize;

use crate::PageResult;
use crate::error::Failure;
use crate::page::{Chrome, render};
use crate::session::Signed;
use crate::views::order::china_time;

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/audit", get(page))
}

pub struct Row {
    pub shown: String,
    pub iso: String,
    pub login: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub status: i32,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub c: Chrome,
    pub rows: Vec<Row>,
    pub login: String,
    pub action: String,
    pub order: String,
    /// The next page's link, when this one is full.
    pub older: Option<String>,
}

#[derive(Deserialize, Default)]
struct Filter {
    #[serde(default)]
    login: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    before: String,
}

const PAGE: i64 = 100;

/// `GET /audit` (supervisors).
async fn page(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Query(f): Query<Filter>,
) -> PageResult {
    if s.caller.role != Role::Supervisor {
        return Err(Failure::new(StatusCode::FORBIDDEN, "error-forbidden"));
    }
    let q = AuditQuery {
        login: Some(f.login.trim().to_owned()).filter(|l| !l.is_empty()),
        action: Some(f.action.trim().to_owned()).filter(|a| !a.is_empty()),
        order: f.order.trim().parse().ok(),
        before: f.before.trim().parse().ok(),
        limit: Some(PAGE),
    };
    let entries = audit::list(&state, &q)
        .await
        .map_err(|e| Failure::from(beian_server::ApiError::from(e)))?;
    let c = Chrome::new(&s.viewer, "audit-title");
    let tr = c.tr;
    let older = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten()
        .map(|id| {
            format!(
                "/audit?login={}&action={}&order={}&before={id}",
                crate::page::encode_component(&f.login),
                crate::page::encode_component(&f.action),
                crate::page::encode_component(&f.order)
            )
        });
    let rows = entries
        .into_iter()
        .map(|e| {
            let (shown, iso) = china_time(e.at);
            Row {
                shown,
                iso,
                login: e.login,
                role: tr.t(&format!("audit-role-{}", e.role)),
                action: e.action,
                target: e.target,
                ip: e.ip,
                status: e.status,
            }
        })
        .collect();
    Ok(render(&AuditPage {
        c,
        rows,
        login: f.login,
        action: f.action,
        order: f.order,
        older,
    }))
}
