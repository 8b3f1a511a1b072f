//! Rectification notices (信息核查) over HTTP: a supervisor notifies a filed subject with a
//! deadline, the applicant sees its own subject's notices, staff mark them rectified; an overdue
//! notice cancels access here (a job, `crate::service::jobs`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use beian_store::StoreError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};

pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/rectifications", open_rectification)
        .get("/api/v1/rectifications", rectifications)
        .post("/api/v1/rectifications/{id}/resolve", resolve_rectification)
}

fn field_problem(path: &str, detail: &str) -> ApiError {
    ApiError::invalid(path, "字段无效 / Invalid field", detail)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct NewRectification {
    pub subject_number: String,
    pub reason: String,
    /// The last day to rectify (YYYY-MM-DD, China time; the notice falls due at its end) …
    pub deadline: Option<String>,
    /// … or a number of working days from now.
    pub working_days: Option<u32>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct RectificationView {
    id: i64,
    subject_number: String,
    reason: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    deadline: OffsetDateTime,
    state: String,
}

/// `POST /api/v1/rectifications` (supervisors): notify a filed subject with a deadline.
pub async fn open_rectification(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(n): ApiJson<NewRectification>,
) -> Result<(StatusCode, Json<RectificationView>), ApiError> {
    if n.reason.trim().is_empty() {
        return Err(field_problem(
            "reason",
            "请说明需要整改的内容 / say what must be rectified",
        ));
    }
    let now = OffsetDateTime::now_utc();
    let deadline = match (n.deadline.as_deref(), n.working_days) {
        (Some(d), None) => match beian_rules::input::parse_date(d.trim()) {
            Ok(date) => date
                .next_day()
                .unwrap_or(date)
                .midnight()
                .assume_offset(beian_core::sla::CHINA),
            Err(_) => {
                return Err(field_problem(
                    "deadline",
                    "日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD",
                ));
            }
        },
        (None, Some(days)) if (1..=60).contains(&days) => {
            beian_core::sla::deadline(&state.calendar, now, days).due
        }
        _ => {
            return Err(field_problem(
                "deadline",
                "给出 deadline（YYYY-MM-DD）或 working_days（1–60）之一 / give deadline (YYYY-MM-DD) or working_days (1–60)",
            ));
        }
    };
    if deadline <= now {
        return Err(field_problem(
            "deadline",
            "截止日期已过 / the deadline is in the past",
        ));
    }
    match state
        .store
        .rectification_open(
            n.subject_number.trim(),
            n.reason.trim(),
            deadline,
            &caller.actor(),
            now,
        )
        .await
    {
        Ok(r) => Ok((
            StatusCode::CREATED,
            Json(RectificationView {
                id: r.id,
                subject_number: r.subject_number,
                reason: r.reason,
                deadline: r.deadline,
                state: r.state,
            }),
        )),
        Err(StoreError::NotOnRecord(_)) => Err(field_problem(
            "subject_number",
            "没有这个已备案的主体 / no filed subject with this number",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/rectifications`: staff see every notice; an applicant its own subject's.
pub async fn rectifications(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<RectificationView>>, ApiError> {
    Ok(Json(
        crate::service::filed::rectifications(&state, &caller)
            .await?
            .into_iter()
            .map(|r| RectificationView {
                id: r.id,
                subject_number: r.subject_number,
                reason: r.reason,
                deadline: r.deadline,
                state: r.state,
            })
            .collect(),
    ))
}

/// `POST /api/v1/rectifications/{id}/resolve` (staff): the subject has rectified.
pub async fn resolve_rectification(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Resolved>, ApiError> {
    match state
        .store
        .rectification_resolve(id, &caller.actor(), OffsetDateTime::now_utc())
        .await?
    {
        true => Ok(Json(Resolved {
            id,
            state: "rectified",
        })),
        false => Err(ApiError::conflict(
            "rectification-not-open",
            "通知不在整改中 / Notice not open",
            "no open rectification notice with this id",
        )),
    }
}

/// A notice closed as rectified.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Resolved {
    pub id: i64,
    pub state: &'static str,
}
