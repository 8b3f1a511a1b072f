//! The supervisors' dashboard: orders by state and by province, SLA breaches, how long each step
//! took and the filings per day, as server-rendered SVG charts (no script, no chart library).
//! The figures are `service::dashboard`'s.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use beian_core::workflow::Role;
use beian_server::AppState;
use beian_server::service::dashboard;
use time::OffsetDateTime;

use crate::PageResult;
use crate::error::Failure;
use crate::page::{Chrome, render};
use crate::session::Signed;
use crate::views::order::state_name;

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/dashboard", get(page))
}

/// A horizontal bar: its label, the value shown, its length in chart units (0–100).
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: usize,
    pub length: f64,
}

/// One day's column pair: submitted and approved, heights in chart units (0–100).
pub struct Column {
    pub day: String,
    pub x: usize,
    pub submitted: usize,
    pub approved: usize,
    pub submitted_h: f64,
    pub approved_h: f64,
}

pub struct DurationRow {
    pub step: String,
    pub count: usize,
    pub median: String,
    pub p90: String,
    pub y: usize,
    pub median_len: f64,
    pub p90_len: f64,
}

pub struct ProvinceRow {
    pub name: String,
    pub in_progress: i64,
    pub approved: i64,
    pub total: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub c: Chrome,
    pub total: i64,
    pub breached_provider: usize,
    pub breached_administration: usize,
    pub states: Vec<Bar>,
    pub states_height: usize,
    pub durations: Vec<DurationRow>,
    pub durations_height: usize,
    pub columns: Vec<Column>,
    pub days_max: usize,
    pub first_day: String,
    pub last_day: String,
    pub provinces: Vec<ProvinceRow>,
}

/// Each bar's row is this tall in the SVG's units.
const ROW: usize = 28;

/// Hours with one decimal; a step of minutes is not shown as nothing.
fn hours(h: f64) -> String {
    if h > 0.0 && h < 0.05 {
        "< 0.1".to_owned()
    } else {
        format!("{h:.1}")
    }
}

fn scale(v: f64, max: f64) -> f64 {
    if max <= 0.0 {
        0.0
    } else {
        (v / max * 100.0 * 10.0).round() / 10.0
    }
}

/// `GET /dashboard` (supervisors).
async fn page(State(state): State<Arc<AppState>>, s: Signed) -> PageResult {
    if s.caller.role != Role::Supervisor {
        return Err(Failure::new(StatusCode::FORBIDDEN, "error-forbidden"));
    }
    let d = dashboard::overview(&state, OffsetDateTime::now_utc())
        .await
        .map_err(|e| Failure::from(beian_server::ApiError::from(e)))?;
    let c = Chrome::new(&s.viewer, "dashboard-title");
    let tr = c.tr;
    let max_state = d.by_state.iter().map(|x| x.count).max().unwrap_or(0) as f64;
    let states: Vec<Bar> = d
        .by_state
        .iter()
        .enumerate()
        .map(|(i, x)| Bar {
            label: state_name(&tr, x.state.as_str()),
            value: x.count.to_string(),
            y: i * ROW,
            length: scale(x.count as f64, max_state),
        })
        .collect();
    let max_hours = d.durations.iter().map(|x| x.p90_hours).fold(0.0, f64::max);
    let durations: Vec<DurationRow> = d
        .durations
        .iter()
        .enumerate()
        .map(|(i, x)| DurationRow {
            step: state_name(&tr, x.step.as_str()),
            count: x.count,
            median: hours(x.median_hours),
            p90: hours(x.p90_hours),
            y: i * ROW,
            median_len: scale(x.median_hours, max_hours),
            p90_len: scale(x.p90_hours, max_hours),
        })
        .collect();
    let days_max = d
        .per_day
        .iter()
        .map(|x| x.submitted.max(x.approved))
        .max()
        .unwrap_or(0);
    let columns: Vec<Column> = d
        .per_day
        .iter()
        .enumerate()
        .map(|(i, x)| Column {
            day: x.day.clone(),
            x: i * 20,
            submitted: x.submitted,
            approved: x.approved,
            submitted_h: scale(x.submitted as f64, days_max as f64),
            approved_h: scale(x.approved as f64, days_max as f64),
        })
        .collect();
    let provinces = d
        .by_province
        .iter()
        .map(|p| ProvinceRow {
            name: state
                .engine
                .data()
                .provinces()
                .iter()
                .find(|x| i16::from(x.code) == p.province)
                .map(|x| tr.lang.pick(&x.name, &x.name_en).to_owned())
                .unwrap_or_else(|| p.province.to_string()),
            in_progress: p.in_progress,
            approved: p.approved,
            total: p.total,
        })
        .collect();
    Ok(render(&DashboardPage {
        total: d.total,
        breached_provider: d.breached_provider,
        breached_administration: d.breached_administration,
        states_height: states.len() * ROW,
        states,
        durations_height: durations.len() * ROW,
        durations,
        first_day: columns.first().map(|x| x.day.clone()).unwrap_or_default(),
        last_day: columns.last().map(|x| x.day.clone()).unwrap_or_default(),
        columns,
        days_max,
        provinces,
        c,
    }))
}
