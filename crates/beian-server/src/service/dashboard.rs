//! The supervisors' dashboard (运营看板): orders by state and by province, SLA breaches now, how
//! long each review step took over the last 30 days, and the filings submitted and approved per
//! day. The store aggregates (the history of 100,000 orders stays in the database); [`durations`]
//! and [`per_day`] (pure) turn its histograms into percentiles and a calendar.

use std::collections::BTreeMap;

use beian_core::workflow::{OrderState, PROVIDER_STEPS};
use beian_store::StoreError;
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

fn china_day(at: OffsetDateTime) -> Date {
    at.to_offset(beian_core::sla::CHINA).date()
}

/// Durations per step from the store's histogram of (step, hours to a tenth, how many).
pub fn durations(histogram: &[(String, f64, i64)]) -> Vec<StepDuration> {
    TIMED_STEPS
        .iter()
        .map(|step| {
            let mut bins: Vec<(f64, usize)> = histogram
                .iter()
                .filter(|(s, _, _)| s == step.as_str())
                .map(|(_, h, n)| (h.max(0.0), usize::try_from(*n).unwrap_or(0)))
                .collect();
            bins.sort_by(|a, b| a.0.total_cmp(&b.0));
            let count: usize = bins.iter().map(|(_, n)| n).sum();
            // The nearest-rank percentile of the histogram.
            let at = |p: f64| {
                let rank = ((count as f64 * p).ceil() as usize).max(1);
                let mut seen = 0;
                for (h, n) in &bins {
                    seen += n;
                    if seen >= rank {
                        return *h;
                    }
                }
                0.0
            };
            StepDuration {
                step: *step,
                count,
                median_hours: if count == 0 { 0.0 } else { at(0.5) },
                p90_hours: if count == 0 { 0.0 } else { at(0.9) },
            }
        })
        .collect()
}

/// The `days` China dates ending today (`now`), each with its submissions and approvals from the
/// store's (day, action, how many).
pub fn per_day(counts: &[(String, String, i64)], now: OffsetDateTime, days: i64) -> Vec<DayCount> {
    let today = china_day(now);
    (0..days)
        .rev()
        .map(|back| {
            let day = (today - Duration::days(back)).to_string();
            let of = |action: &str| {
                counts
                    .iter()
                    .filter(|(d, a, _)| *d == day && a == action)
                    .map(|(_, _, n)| usize::try_from(*n).unwrap_or(0))
                    .sum()
            };
            DayCount {
                submitted: of("Submit"),
                approved: of("AdministrationApprove"),
                day,
            }
        })
        .collect()
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
    for row in state.store.queue_rows(&steps).await? {
        let (s, entered) = (row.state, row.entered_at);
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
    let since = now - Duration::days(WINDOW_DAYS);
    let durations = durations(&state.store.step_hours_since(since).await?);
    let per_day = per_day(
        &state.store.daily_steps_since(since).await?,
        now,
        WINDOW_DAYS,
    );
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

    #[test]
    fn percentiles_from_the_histogram() {
        let h = vec![
            ("provider_review".to_owned(), 2.0, 1),
            ("provider_review".to_owned(), 4.0, 1),
            ("verification".to_owned(), 6.0, 1),
            ("verification".to_owned(), 1.0, 9),
            ("draft".to_owned(), 9.0, 5),
        ];
        let d = durations(&h);
        assert_eq!(d[0].step, OrderState::ProviderReview);
        assert_eq!(
            (d[0].count, d[0].median_hours, d[0].p90_hours),
            (2, 2.0, 4.0)
        );
        assert_eq!(
            (d[1].count, d[1].median_hours, d[1].p90_hours),
            (10, 1.0, 1.0)
        );
        assert_eq!(d[3].count, 0);
        assert_eq!(d[3].median_hours, 0.0);
    }

    #[test]
    fn a_calendar_of_days_ending_today() {
        let now = datetime!(2026-12-04 01:00 +8);
        let counts = vec![
            ("2026-12-03".to_owned(), "Submit".to_owned(), 3),
            (
                "2026-12-04".to_owned(),
                "AdministrationApprove".to_owned(),
                2,
            ),
            ("2026-11-01".to_owned(), "Submit".to_owned(), 9),
        ];
        let days: Vec<(String, usize, usize)> = per_day(&counts, now, 3)
            .into_iter()
            .map(|d| (d.day, d.submitted, d.approved))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-12-02".to_owned(), 0, 0),
                ("2026-12-03".to_owned(), 3, 0),
                ("2026-12-04".to_owned(), 0, 2)
            ]
        );
    }
}
