//! Supervision over HTTP (supervisors): the audit trail, `GET /api/v1/audit?login=&action=&order=&before=&limit=`,
//! and the dashboard, `GET /api/v1/dashboard`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};

use super::Routes;
use crate::AppState;
use crate::error::ApiError;
use crate::service::audit::{self, AuditQuery, AuditView};

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/audit", list)
        .get("/api/v1/dashboard", dashboard)
}

/// `GET /api/v1/dashboard`: orders by state and province, SLA breaches, step durations and daily
/// throughput over the last 30 days.
pub async fn dashboard(
    State(state): State<Arc<AppState>>,
) -> Result<Json<crate::service::dashboard::Dashboard>, ApiError> {
    Ok(Json(
        crate::service::dashboard::overview(&state, time::OffsetDateTime::now_utc()).await?,
    ))
}

/// `GET /api/v1/audit`: staff actions and reads, newest first, filtered.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    Ok(Json(audit::list(&state, &q).await?))
}
