//! Staff accounts over HTTP (supervisors): reviewers, supervisors and the administration's
//! accounts are created, listed, disabled and enabled here (`service::staff`); the first
//! supervisor comes from the command line (`beian accounts create --role supervisor`). Applicants
//! register themselves.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::Routes;
use crate::AppState;
use crate::auth::{AccountView, Caller};
use crate::error::{ApiError, ApiJson};
use crate::service::staff::{self, NewStaffAccount, StaffAccount};

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/staff-accounts", list)
        .post("/api/v1/staff-accounts", create)
        .post("/api/v1/staff-accounts/{login}/disable", disable)
        .post("/api/v1/staff-accounts/{login}/enable", enable)
}

/// `GET /api/v1/staff-accounts`: every account that is not an applicant's.
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Vec<StaffAccount>>, ApiError> {
    Ok(Json(staff::list(&state).await?))
}

/// `POST /api/v1/staff-accounts`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    ApiJson(n): ApiJson<NewStaffAccount>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    Ok((StatusCode::CREATED, Json(staff::create(&state, n).await?)))
}

/// `POST /api/v1/staff-accounts/{login}/disable`: the account can no longer log in and its
/// tokens stop working (here at once; other instances within the token cache's five seconds).
pub async fn disable(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Json<StaffAccount>, ApiError> {
    Ok(Json(
        staff::set_disabled(&state, &caller, &login, true).await?,
    ))
}

/// `POST /api/v1/staff-accounts/{login}/enable`: a disabled account may log in again.
pub async fn enable(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Json<StaffAccount>, ApiError> {
    Ok(Json(
        staff::set_disabled(&state, &caller, &login, false).await?,
    ))
}
