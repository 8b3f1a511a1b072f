//! SMS challenges of the built-in administration and the outbox that stands in for the gateway.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

/// A challenge as stored (the code only as its digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsChallenge {
    pub order_id: i64,
    pub code_digest: String,
    pub mobile: String,
    pub credential_tail: String,
    pub attempts: i32,
    pub sent_at: OffsetDateTime,
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub order_id: i64,
    pub mobile: String,
    pub text: String,
    pub sent_at: OffsetDateTime,
}

impl Store {
    /// Open (or replace) the challenge of an order and put its message in the outbox, together.
    pub async fn open_sms_challenge(&self, c: &SmsChallenge, text: &str) -> Result<(), StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO sms_challenges (order_id, code_digest, mobile, credential_tail, attempts, sent_at) \
                 VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (order_id) DO UPDATE SET code_digest = excluded.code_digest, \
                 mobile = excluded.mobile, credential_tail = excluded.credential_tail, attempts = 0, sent_at = excluded.sent_at",
            )
            .bind(c.order_id)
            .bind(&c.code_digest)
            .bind(&c.mobile)
            .bind(&c.credential_tail)
            .bind(c.sent_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO sms_outbox (order_id, mobile, text, sent_at) VALUES ($1, $2, $3, $4)")
                .bind(c.order_id)
                .bind(&c.mobile)
                .bind(text)
                .bind(c.sent_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn sms_challenge(&self, order_id: i64) -> Result<Option<SmsChallenge>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT order_id, code_digest, mobile, credential_tail, attempts, sent_at FROM sms_challenges WHERE order_id = $1",
            )
            .bind(order_id)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some(SmsChallenge {
                    order_id: r.try_get("order_id")?,
                    code_digest: r.try_get("code_digest")?,
                    mobile: r.try_get("mobile")?,
                    credential_tail: r.try_get("credential_tail")?,
                    attempts: r.try_get("attempts")?,
                    sent_at: r.try_get("sent_at")?,
                })),
            }
        })
    }

    /// Count a failed attempt; returns the attempts so far.
    pub async fn sms_failed_attempt(&self, order_id: i64) -> Result<i32, StoreError> {
        on_write!(self, pool => {
            let row = sqlx::query("UPDATE sms_challenges SET attempts = attempts + 1 WHERE order_id = $1 RETURNING attempts")
                .bind(order_id)
                .fetch_one(pool)
                .await?;
            Ok(row.try_get("attempts")?)
        })
    }

    /// The newest outbox messages first.
    pub async fn sms_outbox(&self, limit: i64) -> Result<Vec<SmsMessage>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT order_id, mobile, text, sent_at FROM sms_outbox ORDER BY id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(SmsMessage {
                        order_id: r.try_get("order_id")?,
                        mobile: r.try_get("mobile")?,
                        text: r.try_get("text")?,
                        sent_at: r.try_get("sent_at")?,
                    })
                })
                .collect()
        })
    }

    /// The subject number already issued to a credential's subject, if any.
    pub async fn subject_number_for_credential(
        &self,
        credential: &str,
    ) -> Result<Option<String>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT subject_number FROM orders WHERE credential = $1 AND subject_number IS NOT NULL ORDER BY id LIMIT 1",
            )
            .bind(credential)
            .fetch_optional(pool)
            .await?;
            match row {
                Some(r) => Ok(r.try_get("subject_number")?),
                None => Ok(None),
            }
        })
    }
}
