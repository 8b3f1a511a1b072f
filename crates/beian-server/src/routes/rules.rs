//! The rules engine over HTTP: check an application, detect its filing type, and the
//! rejection-reason catalogue. Public: nothing here reads or writes the store.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use beian_rules::{Report, parse_document};
use serde::Serialize;

use super::Routes;
use crate::AppState;
use crate::error::{ApiError, Utf8Body};

pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/check", check)
        .post("/api/v1/filing-type", filing_type)
        .get("/api/v1/rejection-reasons", rejection_reasons)
}

/// `POST /api/v1/check`: every rule on `{"application", "context"}`.
pub async fn check(
    State(state): State<Arc<AppState>>,
    Utf8Body(body): Utf8Body,
) -> Result<Json<Report>, ApiError> {
    let doc = parse_document(&body)?;
    let report = state.engine.check(
        &doc.application,
        &doc.context,
        crate::clock::today_in_china(),
    );
    metrics::counter!("beian_checks_total", "outcome" => if report.passes() { "pass" } else { "errors" }).increment(1);
    Ok(Json(report))
}

/// The filing type an application is, and why it cannot be filed if it cannot.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Detection {
    pub filing_type: beian_rules::FilingType,
    pub refusals: Vec<beian_rules::Refusal>,
}

/// `POST /api/v1/filing-type`.
pub async fn filing_type(Utf8Body(body): Utf8Body) -> Result<Json<Detection>, ApiError> {
    let doc = parse_document(&body)?;
    let (filing_type, refusals) = beian_rules::detect(&doc.application, &doc.context);
    Ok(Json(Detection {
        filing_type,
        refusals,
    }))
}

/// A catalogued rejection reason (驳回原因) with its explanation and solution.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RejectionReason {
    pub code: beian_rules::ReasonCode,
    /// `administration` (R codes) or `provider` (P codes).
    pub side: &'static str,
    pub title_zh: String,
    pub title_en: String,
    pub explanation_zh: String,
    pub explanation_en: String,
    pub solution_zh: String,
    pub solution_en: String,
    /// A rejection with this reason must carry a note.
    pub free_text_required: bool,
}

/// `GET /api/v1/rejection-reasons`: the catalogue reviewers and the administration reject with
/// (from `data/rejection-reasons.toml`).
pub async fn rejection_reasons(State(state): State<Arc<AppState>>) -> Json<Vec<RejectionReason>> {
    let data = state.engine.data();
    Json(
        beian_rules::ReasonCode::ALL
            .iter()
            .filter_map(|&code| {
                data.reason(code).map(|t| RejectionReason {
                    code,
                    side: if code.as_str().starts_with('R') {
                        "administration"
                    } else {
                        "provider"
                    },
                    title_zh: t.title_zh.clone(),
                    title_en: t.title_en.clone(),
                    explanation_zh: t.explanation_zh.clone(),
                    explanation_en: t.explanation_en.clone(),
                    solution_zh: t.solution_zh.clone(),
                    solution_en: t.solution_en.clone(),
                    free_text_required: t.free_text_required,
                })
            })
            .collect(),
    )
}
