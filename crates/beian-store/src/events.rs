//! The event outbox (事件发件箱): every order state change appends an event in the transaction that
//! makes it (the `orders_events` trigger), other changes through `emit_event_in!`; the
//! `events_fanout` trigger adds one delivery per active webhook and one to the notification sink.
//! A dispatcher claims due deliveries with a lease, so several server instances may run one each:
//! a delivery is attempted by one at a time, and retried after a crash once its lease ends
//! (at-least-once; the receiver recognises repeats by the event's idempotency key).

use sqlx::Row;
use time::OffsetDateTime;

use super::documents::emit_event_in;
use super::{Pool, Store, StoreError};

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Commit-ordered sequence number; also the idempotency key's basis.
    pub seq: i64,
    /// `order.state_changed`, `order.sla_breached`, `document.reviewed`, `backdrop.shipped`.
    pub kind: String,
    /// The applicant account it concerns ('' for staff-only events).
    pub account: String,
    pub order_id: Option<i64>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub action: String,
    pub reasons: String,
    pub note: String,
    /// Kind-specific details (JSON object).
    pub data: String,
    pub at: OffsetDateTime,
}

const EVENT_COLUMNS: &str =
    "seq, kind, account, order_id, from_state, to_state, action, reasons, note, data, at";

fn event_from_row<R: Row>(r: &R) -> Result<EventRow, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> i64: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> Option<i64>: sqlx::Decode<'v, R::Database>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> Option<String>: sqlx::Decode<'v, R::Database>,
    for<'v> OffsetDateTime: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok(EventRow {
        seq: r.try_get("seq")?,
        kind: r.try_get("kind")?,
        account: r.try_get("account")?,
        order_id: r.try_get("order_id")?,
        from_state: r.try_get("from_state")?,
        to_state: r.try_get("to_state")?,
        action: r.try_get("action")?,
        reasons: r.try_get("reasons")?,
        note: r.try_get("note")?,
        data: r.try_get("data")?,
        at: r.try_get("at")?,
    })
}

/// A delivery claimed for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    pub id: i64,
    pub event_seq: i64,
    /// `webhook` or `notify`.
    pub target: String,
    pub webhook_id: i64,
    /// Attempts including this one.
    pub attempts: i32,
}

/// A delivery's state, for operators and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_seq: i64,
    pub target: String,
    pub webhook_id: i64,
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
    pub failed_at: Option<OffsetDateTime>,
    pub last_error: String,
}

/// A configured webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

impl Store {
    /// Events after `after` in commit order, at most `limit`; only `account`'s when given.
    pub async fn events_after(
        &self,
        account: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        let sql = match account {
            Some(_) => format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE account = $3 AND seq > $1 ORDER BY seq LIMIT $2"
            ),
            None => {
                format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            }
        };
        on_pool!(self, pool => {
            let mut q = sqlx::query(&sql).bind(after).bind(limit);
            if let Some(a) = account {
                q = q.bind(a);
            }
            let rows = q.fetch_all(pool).await?;
            rows.iter().map(event_from_row).collect()
        })
    }

    /// The sequence number of the last committed event (0 when none).
    pub async fn event_head(&self) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT seq FROM event_head WHERE id = 1").fetch_one(pool).await?)
        })
    }

    pub async fn event(&self, seq: i64) -> Result<Option<EventRow>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(seq).fetch_optional(pool).await?;
            row.as_ref().map(event_from_row).transpose()
        })
    }

    /// Claim up to `limit` due deliveries until `lease_until`, counting the attempt. A delivery
    /// claimed by another instance whose lease has not ended is skipped (the outer conditions are
    /// re-checked on PostgreSQL after waiting for a concurrent claimer's row lock).
    pub async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        const DUE: &str = "delivered_at IS NULL AND failed_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $1)";
        let sql = format!(
            "UPDATE deliveries SET claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM deliveries WHERE {DUE} AND next_attempt_at <= $1 ORDER BY id LIMIT $3) \
             AND {DUE} RETURNING id, event_seq, target, webhook_id, attempts"
        );
        on_write!(self, pool => {
            let rows = sqlx::query(&sql)
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let mut out = rows
                .iter()
                .map(|r| {
                    Ok(DueDelivery {
                        id: r.try_get("id")?,
                        event_seq: r.try_get("event_seq")?,
                        target: r.try_get("target")?,
                        webhook_id: r.try_get("webhook_id")?,
                        attempts: r.try_get("attempts")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.sort_by_key(|d| d.id);
            Ok(out)
        })
    }

    /// These deliveries arrived (one statement for a dispatcher round).
    pub async fn deliveries_succeeded(
        &self,
        ids: &[i64],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let list = (0..ids.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE deliveries SET delivered_at = $1, claimed_until = NULL, last_error = '' WHERE id IN ({list})"
        );
        on_write!(self, pool => {
            let mut q = sqlx::query(&sql).bind(now);
            for id in ids {
                q = q.bind(*id);
            }
            q.execute(pool).await?;
            Ok(())
        })
    }

    /// The attempt failed: try again at `retry_at`, or give up (`None`).
    pub async fn delivery_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query(
                "UPDATE deliveries SET claimed_until = NULL, last_error = $2, \
                 next_attempt_at = COALESCE($3, next_attempt_at), \
                 failed_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(retry_at)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The deliveries of an event.
    pub async fn deliveries(&self, event_seq: i64) -> Result<Vec<DeliveryRow>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, event_seq, target, webhook_id, attempts, next_attempt_at, delivered_at, failed_at, last_error \
                 FROM deliveries WHERE event_seq = $1 ORDER BY id",
            )
            .bind(event_seq)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(DeliveryRow {
                        id: r.try_get("id")?,
                        event_seq: r.try_get("event_seq")?,
                        target: r.try_get("target")?,
                        webhook_id: r.try_get("webhook_id")?,
                        attempts: r.try_get("attempts")?,
                        next_attempt_at: r.try_get("next_attempt_at")?,
                        delivered_at: r.try_get("delivered_at")?,
                        failed_at: r.try_get("failed_at")?,
                        last_error: r.try_get("last_error")?,
                    })
                })
                .collect()
        })
    }

    /// Deliveries not yet delivered nor given up (the dispatcher's backlog, a metric).
    pub async fn deliveries_pending(&self) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM deliveries WHERE delivered_at IS NULL AND failed_at IS NULL",
            )
            .fetch_one(pool)
            .await?)
        })
    }

    pub async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<WebhookRow, StoreError> {
        on_write!(self, pool => {
            let row = sqlx::query(
                "INSERT INTO webhooks (url, secret, created_by, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id, url, secret, active, created_by, created_at",
            )
            .bind(url)
            .bind(secret)
            .bind(by)
            .bind(now)
            .fetch_one(pool)
            .await?;
            webhook_from_row(&row)
        })
    }

    /// Configured webhooks, active or not.
    pub async fn webhooks(&self) -> Result<Vec<WebhookRow>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, url, secret, active, created_by, created_at FROM webhooks ORDER BY id",
            )
            .fetch_all(pool)
            .await?;
            rows.iter().map(webhook_from_row).collect()
        })
    }

    pub async fn webhook(&self, id: i64) -> Result<Option<WebhookRow>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, url, secret, active, created_by, created_at FROM webhooks WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(webhook_from_row).transpose()
        })
    }

    /// Stop delivering to a webhook: new events skip it, pending deliveries are given up.
    pub async fn deactivate_webhook(
        &self,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let r = sqlx::query("UPDATE webhooks SET active = FALSE WHERE id = $1 AND active")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE deliveries SET failed_at = $2, last_error = 'webhook removed' \
                 WHERE target = 'webhook' AND webhook_id = $1 AND delivered_at IS NULL AND failed_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Send a text message about an event to the applicant's mobile (the simulated provider
    /// gateway). Once per event: a retried delivery does not send it again.
    pub async fn send_notification_sms(
        &self,
        event_seq: i64,
        order_id: Option<i64>,
        mobile: &str,
        text: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query(
                "INSERT INTO notification_sms (event_seq, order_id, mobile, text, sent_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (event_seq) DO NOTHING",
            )
            .bind(event_seq)
            .bind(order_id)
            .bind(mobile)
            .bind(text)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The latest text messages sent to applicants, newest first: (order, mobile, text, sent).
    pub async fn notification_sms(
        &self,
        limit: i64,
    ) -> Result<Vec<(Option<i64>, String, String, OffsetDateTime)>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT order_id, mobile, text, sent_at FROM notification_sms ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("order_id")?, r.try_get("mobile")?, r.try_get("text")?, r.try_get("sent_at")?)))
                .collect()
        })
    }

    /// Flag an order whose provider step ran past its deadline, once per stay in the state: only
    /// if it is still in `state` at `version` and not flagged. Emits `order.sla_breached`
    /// (staff only) in the same transaction. Several instances may try: one succeeds.
    pub async fn flag_sla_breach(
        &self,
        order_id: i64,
        state: &str,
        version: i32,
        due: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let r = sqlx::query(
                "UPDATE orders SET sla_breached_at = $4 WHERE id = $1 AND state = $2 AND version = $3 \
                 AND sla_breached_at IS NULL",
            )
            .bind(order_id)
            .bind(state)
            .bind(version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                return Ok(false);
            }
            let data = serde_json::json!({
                "state": state,
                "due": due.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            })
            .to_string();
            emit_event_in!(tx, "order.sla_breached", "", Some(order_id), &data, now);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// When the order's current step was flagged as past its deadline.
    pub async fn sla_breached_at(
        &self,
        order_id: i64,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT sla_breached_at FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_optional(pool)
                .await?
                .flatten())
        })
    }
}

fn webhook_from_row<R: Row>(r: &R) -> Result<WebhookRow, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> i64: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> bool: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> OffsetDateTime: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok(WebhookRow {
        id: r.try_get("id")?,
        url: r.try_get("url")?,
        secret: r.try_get("secret")?,
        active: r.try_get("active")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}
