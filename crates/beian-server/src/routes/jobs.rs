//! The due jobs, run on demand.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::error::ApiError;
use crate::service::jobs::{JobReport, run_due};

pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/jobs/run", run_jobs)
}

/// `POST /api/v1/jobs/run` (supervisors): run the due jobs now.
pub async fn run_jobs(State(state): State<Arc<AppState>>) -> Result<Json<JobReport>, ApiError> {
    Ok(Json(run_due(&state, OffsetDateTime::now_utc()).await?))
}
