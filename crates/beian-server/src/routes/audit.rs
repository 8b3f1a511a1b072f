//! The audit trail over HTTP (supervisors): `GET /api/v1/audit?login=&action=&order=&before=&limit=`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};

use super::Routes;
use crate::AppState;
use crate::error::ApiError;
use crate::service::audit::{self, AuditQuery, AuditView};

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/audit", list)
}

/// `GET /api/v1/audit`: staff actions and reads, newest first, filtered.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    Ok(Json(audit::list(&state, &q).await?))
}
