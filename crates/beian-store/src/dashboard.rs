//! What the supervisors' dashboard reads: counts by province and state, the entry times of the
//! orders in given states, and the orders' history since a time. Aggregation is the service's.

use beian_core::workflow::OrderState;
use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

/// One step an order went through, from the history: when it left `from` for `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub id: i64,
    /// The order (`order:7` → 7).
    pub order: i64,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub at: OffsetDateTime,
}

/// An order in a queue: what a queue shows and sorts by, without the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: i64,
    pub state: OrderState,
    pub version: i32,
    pub filing_type: String,
    pub province: i16,
    /// When it entered its state.
    pub entered_at: OffsetDateTime,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<OffsetDateTime>,
}

impl Store {
    /// The orders in one of `states`, without their applications (queues and counts).
    pub async fn queue_rows(&self, states: &[OrderState]) -> Result<Vec<QueueRow>, StoreError> {
        let list = states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, state, version, filing_type, province, updated_at, claimed_by, claimed_at \
             FROM orders WHERE state IN ({list})"
        );
        on_pool!(self, pool => {
            sqlx::query(&sql)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let s: String = r.try_get("state")?;
                    Ok(QueueRow {
                        id: r.try_get("id")?,
                        state: OrderState::parse(&s).ok_or_else(|| {
                            sqlx::Error::Decode(format!("unknown order state {s:?}").into())
                        })?,
                        version: r.try_get("version")?,
                        filing_type: r.try_get("filing_type")?,
                        province: r.try_get("province")?,
                        entered_at: r.try_get("updated_at")?,
                        claimed_by: r.try_get("claimed_by")?,
                        claimed_at: r.try_get("claimed_at")?,
                    })
                })
                .collect()
        })
    }

    /// Orders counted by province and state.
    pub async fn count_by_province_state(&self) -> Result<Vec<(i16, String, i64)>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query("SELECT province, state, COUNT(*) AS n FROM orders GROUP BY province, state ORDER BY province, state")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("province")?, r.try_get("state")?, r.try_get("n")?)))
                .collect()
        })
    }

    /// For every order in one of `states`: its state and when it entered it.
    pub async fn step_entries(
        &self,
        states: &[OrderState],
    ) -> Result<Vec<(OrderState, OffsetDateTime)>, StoreError> {
        let list = states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT state, updated_at FROM orders WHERE state IN ({list})");
        on_pool!(self, pool => {
            sqlx::query(&sql)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let s: String = r.try_get("state")?;
                    let state = OrderState::parse(&s)
                        .ok_or_else(|| sqlx::Error::Decode(format!("unknown order state {s:?}").into()))?;
                    Ok((state, r.try_get("updated_at")?))
                })
                .collect()
        })
    }

    /// The orders' history entries at or after `since`, by order and in order.
    pub async fn order_steps_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<StepRow>, StoreError> {
        on_pool!(self, pool => {
            // By the `at` index; grouped by order in Rust (an ORDER BY subject would make the
            // planner walk the whole subject index instead).
            sqlx::query("SELECT id, subject, action, from_state, to_state, at FROM history WHERE at >= $1")
            .bind(since)
            .fetch_all(pool)
            .await?
            .iter()
            .filter_map(|r| {
                let subject: String = match r.try_get("subject") {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e.into())),
                };
                let order = subject.strip_prefix("order:")?.parse().ok()?;
                Some((|| {
                    Ok(StepRow {
                        id: r.try_get("id")?,
                        order,
                        action: r.try_get("action")?,
                        from_state: r.try_get("from_state")?,
                        to_state: r.try_get("to_state")?,
                        at: r.try_get("at")?,
                    })
                })())
            })
            .collect::<Result<Vec<StepRow>, StoreError>>()
            .map(|mut rows| {
                rows.sort_unstable_by_key(|r| (r.order, r.id));
                rows
            })
        })
    }
}
