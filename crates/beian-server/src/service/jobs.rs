//! The time-driven transitions (expiry at 45 days, SMS timeout at 24 hours), rectification
//! deadlines and SLA breach flags, as a function of `now` so that tests control the clock. Each
//! order transition is decided by the workflow (as the system) like any other step.

use std::time::Duration;

use beian_core::workflow::{Command, OrderState, Role};
use beian_store::StoreError;
use serde::Serialize;
use time::OffsetDateTime;

use super::filing::{self, FilingError};
use crate::AppState;

/// What one run of the due jobs did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct JobReport {
    pub expired: Vec<i64>,
    pub sms_timeouts: Vec<i64>,
    pub rectifications_overdue: Vec<i64>,
    /// Orders flagged now as past the provider's SLA in their current step.
    pub sla_breaches: Vec<i64>,
}

/// Apply every time-driven transition due at `now`: orders 45 days past their first submission
/// expire, SMS windows older than 24 hours time out (back to `ready_for_administration`), and
/// rectification notices past their deadline cancel access. A function of `now`, so that tests
/// control the clock; safe to run concurrently (every step is a conditional update).
pub async fn run_due(state: &AppState, now: OffsetDateTime) -> Result<JobReport, StoreError> {
    let mut report = JobReport::default();
    let open = [
        OrderState::Draft,
        OrderState::ProviderReview,
        OrderState::Verification,
        OrderState::ReadyForAdministration,
        OrderState::SmsVerification,
    ];
    let orders = state.store.orders_in_states(&open).await?;
    for (o, _) in orders {
        let due_expiry = o
            .first_submitted_at
            .is_some_and(|t| now >= t + beian_core::workflow::ORDER_LIFETIME);
        let due_sms = o.state == OrderState::SmsVerification
            && o.sms_started_at
                .is_none_or(|t| now >= t + beian_core::workflow::SMS_WINDOW);
        let command = if due_expiry {
            Command::Expire
        } else if due_sms {
            Command::SmsTimeout
        } else {
            continue;
        };
        // A refusal here means another instance got there first: nothing to do.
        match filing::step(state, &o, command.clone(), Role::System, "system", now).await {
            Ok(_) => match command {
                Command::Expire => report.expired.push(o.id),
                _ => report.sms_timeouts.push(o.id),
            },
            // Refused or lost to a concurrent writer: another instance got there first.
            Err(FilingError::Refused(_) | FilingError::Store(StoreError::Conflict(_))) => {}
            Err(FilingError::Store(e)) => return Err(e),
            Err(e) => tracing::warn!(order = o.id, error = %e, "a due transition failed"),
        }
    }
    report.rectifications_overdue = state
        .store
        .rectification_deadlines(&state.provider, now)
        .await?;
    // SLA breaches: flagged once per stay in a provider step (staff hear of it as an event).
    for item in filing::queue(state, now).await? {
        // In verification the provider's clock runs only while an upload awaits review (photo
        // review within one working day); the rest of the time is the applicant's.
        let (overdue, due) = if item.state == OrderState::Verification {
            let documents = state.store.documents(item.id).await?;
            match documents
                .iter()
                .filter(|d| d.status == "pending")
                .map(|d| d.uploaded_at)
                .min()
            {
                None => (false, item.due),
                Some(oldest) => {
                    let d = beian_core::sla::deadline(
                        &state.calendar,
                        oldest,
                        beian_core::workflow::PROVIDER_STEP_WORKING_DAYS,
                    );
                    (beian_core::sla::breached(&d, now), d.due)
                }
            }
        } else {
            (item.overdue, item.due)
        };
        if overdue
            && state
                .store
                .flag_sla_breach(item.id, item.state.as_str(), item.version, due, now)
                .await?
        {
            report.sla_breaches.push(item.id);
        }
    }
    Ok(report)
}

/// Run the due jobs every `interval` in the background (`beian serve --jobs-interval`). Several
/// server instances may do so on one database: each transition is a conditional update, so it is
/// applied by exactly one of them.
pub fn spawn_jobs(state: AppState, interval: Duration) {
    if interval.is_zero() {
        return;
    }
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match run_due(&state, OffsetDateTime::now_utc()).await {
                    Ok(r) if r != JobReport::default() => tracing::info!(
                        expired = r.expired.len(),
                        sms_timeouts = r.sms_timeouts.len(),
                        rectifications_overdue = r.rectifications_overdue.len(),
                        "jobs ran"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "jobs failed; retried at the next tick"),
                }
            }
        });
    }
}
