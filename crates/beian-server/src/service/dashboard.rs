//! The supervisors' dashboard (运营看板): orders by state and by province, SLA breaches now, how
//! long each review step took over the last 30 days, and the filings submitted and approved per
//! day. The store counts and reads; [`summarise`] (pure) turns the history into durations and
//! daily counts.

use std::collections::BTreeMap;

use beian_core::workflow::{OrderState, PROVIDER_STEPS};
use beian_store::{StepRow, StoreError};
use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};

use crate::AppState;

/// How far back durations and throughput look.
pub const WINDOW_DAYS: i64 = 30;

/// The steps whose durations are shown.
pub const TIMED_STEPS: [OrderState; 4] = [
    OrderState::ProviderReview,
    OrderState::Verification,
    OrderState::ReadyForAdministration,
    OrderState::AdministrationReview,
];

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StateCount {
    pub state: OrderState,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ProvinceCount {
    pub province: i16,
    /// Orders not yet in an end state.
    pub in_progress: i64,
    pub approved: i64,
    pub total: i64,
}

/// How long orders spent in a step, among those that left it in the window.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StepDuration {
    pub step: OrderState,
    pub count: usize,
    /// Median and 90th percentile, in hours (calendar time).
    pub median_hours: f64,
    pub p90_hours: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DayCount {
    /// China date, `2026-12-04`.
    pub day: String,
    pub submitted: usize,
    pub approved: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Dashboard {
    pub total: i64,
    pub by_state: Vec<StateCount>,
    pub by_province: Vec<ProvinceCount>,
    /// Orders past their deadline now: in the provider's steps, in the administration's review.
    pub breached_provider: usize,
    pub breached_administration: usize,
    pub durations: Vec<StepDuration>,
    pub per_day: Vec<DayCount>,
}

/// The nearest-rank percentile of sorted values (0 for none).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

fn china_day(at: OffsetDateTime) -> Date {
    at.to_offset(beian_core::sla::CHINA).date()
}

/// Durations per step and counts per day from the history `rows` (grouped by order, each order's
/// entries in order), for the `days` China dates ending today (`now`). A step whose entry lies
/// before the first row of its order is not timed (it began before the window).
pub fn summarise(
    rows: &[StepRow],
    now: OffsetDateTime,
    days: i64,
) -> (Vec<StepDuration>, Vec<DayCount>) {
    let mut spent: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let today = china_day(now);
    let first = today - Duration::days(days - 1);
    let mut per_day: BTreeMap<Date, (usize, usize)> = (0..days)
        .map(|i| (first + Duration::days(i), (0, 0)))
        .collect();
    let mut previous: Option<&StepRow> = None;
    for r in rows {
        if let Some(p) = previous.filter(|p| p.order == r.order)
            && let Some(from) = r.from_state.as_deref()
            && r.to_state.as_deref() != Some(from)
            && p.to_state.as_deref() == Some(from)
        {
            let hours = (r.at - p.at).as_seconds_f64() / 3600.0;
            spent.entry(from).or_default().push(hours.max(0.0));
        }
        if let Some(day) = per_day.get_mut(&china_day(r.at)) {
            match r.action.as_str() {
                "Submit" => day.0 += 1,
                "AdministrationApprove" => day.1 += 1,
                _ => {}
            }
        }
        previous = Some(r);
    }
    let durations = TIMED_STEPS
        .iter()
        .map(|step| {
            let mut v = spent.remove(step.as_str()).unwrap_or_default();
            v.sort_by(f64::total_cmp);
            StepDuration {
                step: *step,
                count: v.len(),
                median_hours: percentile(&v, 0.5),
                p90_hours: percentile(&v, 0.9),
            }
        })
        .collect();
    let per_day = per_day
        .into_iter()
        .map(|(day, (submitted, approved))| DayCount {
            day: day.to_string(),
            submitted,
            approved,
        })
        .collect();
    (durations, per_day)
}

/// The dashboard now.
pub async fn overview(state: &AppState, now: OffsetDateTime) -> Result<Dashboard, StoreError> {
    let counts = state.store.count_by_province_state().await?;
    let mut by_state: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_province: BTreeMap<i16, ProvinceCount> = BTreeMap::new();
    let mut total = 0;
    for (province, s, n) in counts {
        total += n;
        *by_state.entry(s.clone()).or_default() += n;
        let p = by_province.entry(province).or_insert(ProvinceCount {
            province,
            in_progress: 0,
            approved: 0,
            total: 0,
        });
        p.total += n;
        match OrderState::parse(&s) {
            Some(OrderState::Approved) => p.approved += n,
            Some(st) if !st.is_terminal() && st != OrderState::Draft => p.in_progress += n,
            _ => {}
        }
    }
    let mut by_province: Vec<ProvinceCount> = by_province.into_values().collect();
    by_province.sort_by_key(|p| (std::cmp::Reverse(p.total), p.province));
    let mut steps = PROVIDER_STEPS.to_vec();
    steps.push(OrderState::AdministrationReview);
    let (mut breached_provider, mut breached_administration) = (0, 0);
    let mut deadlines = super::filing::Deadlines::new(&state.calendar);
    for (s, entered) in state.store.step_entries(&steps).await? {
        let days = if s == OrderState::AdministrationReview {
            super::filing::ADMINISTRATION_REVIEW_DAYS
        } else {
            beian_core::workflow::PROVIDER_STEP_WORKING_DAYS
        };
        let d = deadlines.of(entered, days);
        if beian_core::sla::breached(&d, now) {
            if s == OrderState::AdministrationReview {
                breached_administration += 1;
            } else {
                breached_provider += 1;
            }
        }
    }
    let since = now - Duration::days(WINDOW_DAYS + 1);
    let rows = state.store.order_steps_since(since).await?;
    let (durations, per_day) = summarise(&rows, now, WINDOW_DAYS);
    Ok(Dashboard {
        total,
        by_state: OrderState::ALL
            .iter()
            .map(|s| StateCount {
                state: *s,
                count: by_state.get(s.as_str()).copied().unwrap_or(0),
            })
            .collect(),
        by_province,
        breached_provider,
        breached_administration,
        durations,
        per_day,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::datetime;

    fn row(order: i64, action: &str, from: &str, to: &str, at: OffsetDateTime) -> StepRow {
        StepRow {
            id: at.unix_timestamp(),
            order,
            action: action.into(),
            from_state: Some(from.into()),
            to_state: Some(to.into()),
            at,
        }
    }

    #[test]
    fn durations_and_days_from_history() {
        let now = datetime!(2026-12-04 12:00 +8);
        let rows = vec![
            row(
                1,
                "Submit",
                "draft",
                "provider_review",
                datetime!(2026-12-03 09:00 +8),
            ),
            row(
                1,
                "ProviderPass",
                "provider_review",
                "verification",
                datetime!(2026-12-03 11:00 +8),
            ),
            row(
                1,
                "CompleteVerification",
                "verification",
                "ready_for_administration",
                datetime!(2026-12-03 17:00 +8),
            ),
            // Order 2 entered review before the window: its first step is not timed.
            row(
                2,
                "ProviderPass",
                "provider_review",
                "verification",
                datetime!(2026-12-04 10:00 +8),
            ),
            row(
                2,
                "ProviderReject",
                "verification",
                "draft",
                datetime!(2026-12-04 11:00 +8),
            ),
            row(
                3,
                "Submit",
                "draft",
                "provider_review",
                datetime!(2026-12-04 08:00 +8),
            ),
            row(
                3,
                "ProviderPass",
                "provider_review",
                "verification",
                datetime!(2026-12-04 12:00 +8),
            ),
            row(
                4,
                "AdministrationApprove",
                "administration_review",
                "approved",
                datetime!(2026-12-04 09:00 +8),
            ),
        ];
        let (durations, days) = summarise(&rows, now, 3);
        let review = &durations[0];
        assert_eq!(review.step, OrderState::ProviderReview);
        assert_eq!(review.count, 2);
        assert_eq!(review.median_hours, 2.0);
        assert_eq!(review.p90_hours, 4.0);
        let verification = &durations[1];
        assert_eq!(verification.count, 2, "order 1 (6 h) and order 2 (1 h)");
        assert_eq!(verification.p90_hours, 6.0);
        assert_eq!(durations[3].count, 0, "order 4 entered before the window");
        let days: Vec<(String, usize, usize)> = days
            .into_iter()
            .map(|d| (d.day, d.submitted, d.approved))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-12-02".to_owned(), 0, 0),
                ("2026-12-03".to_owned(), 1, 0),
                ("2026-12-04".to_owned(), 1, 1)
            ]
        );
    }
}
