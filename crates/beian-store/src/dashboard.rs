//! What the supervisors' dashboard reads: counts by province and state, the entry times of the
//! orders in given states, and the orders' history since a time. Aggregation is the service's.

use beian_core::workflow::OrderState;
use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

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

    /// Time spent in each step by the orders that left it at or after `since`: (step, hours
    /// rounded to a tenth, how many). Only steps whose entry is in the window count. Aggregated
    /// in the database: tens of thousands of transitions come back as a few hundred rows.
    pub async fn step_hours_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<(String, f64, i64)>, StoreError> {
        let hours = match self.backend() {
            super::Backend::Sqlite => {
                "(julianday(substr(at, 1, 19)) - julianday(substr(prev_at, 1, 19))) * 24.0"
            }
            super::Backend::Postgres => "EXTRACT(EPOCH FROM (at - prev_at)) / 3600.0",
        };
        let sql = format!(
            // The window's rows first, by the `at` index (materialized: otherwise SQLite walks the
            // whole subject index for the window's order).
            "WITH recent AS MATERIALIZED ( \
               SELECT id, subject, from_state, to_state, at FROM history WHERE at >= $1 \
             ) \
             SELECT from_state, CAST(ROUND(CAST({hours} AS NUMERIC), 1) AS DOUBLE PRECISION) AS h, COUNT(*) AS n FROM ( \
               SELECT from_state, to_state, at, \
                      LAG(at) OVER (PARTITION BY subject ORDER BY id) AS prev_at, \
                      LAG(to_state) OVER (PARTITION BY subject ORDER BY id) AS prev_to \
               FROM recent WHERE subject LIKE 'order:%' \
             ) t WHERE prev_to = from_state AND to_state <> from_state \
             GROUP BY from_state, h"
        );
        on_pool!(self, pool => {
            sqlx::query(&sql)
                .bind(since)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("from_state")?, r.try_get("h")?, r.try_get("n")?)))
                .collect()
        })
    }

    /// Submissions and approvals per China day at or after `since`: (day, action, how many).
    pub async fn daily_steps_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let day = match self.backend() {
            super::Backend::Sqlite => "substr(datetime(substr(at, 1, 19), '+8 hours'), 1, 10)",
            super::Backend::Postgres => {
                "to_char(at AT TIME ZONE 'UTC' + INTERVAL '8 hours', 'YYYY-MM-DD')"
            }
        };
        let sql = format!(
            "SELECT {day} AS day, action, COUNT(*) AS n FROM history \
             WHERE at >= $1 AND action IN ('Submit', 'AdministrationApprove') GROUP BY day, action"
        );
        on_pool!(self, pool => {
            sqlx::query(&sql)
                .bind(since)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("day")?, r.try_get("action")?, r.try_get("n")?)))
                .collect()
        })
    }
}
