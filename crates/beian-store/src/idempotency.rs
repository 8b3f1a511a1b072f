//! Idempotency keys (`Idempotency-Key` header): claim before running, remember after.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use of the key: run the request, then `remember` its response.
    Fresh,
    /// The key was used for this request and answered: replay this.
    Replay {
        status: u16,
        body: String,
    },
    /// The key is being used right now by the same request, or was used for a different one.
    Busy,
    Mismatch,
}

impl Store {
    /// Claim `key` for `account` and the request fingerprint `request` (method and path).
    pub async fn claim_idempotency_key(
        &self,
        account: &str,
        key: &str,
        request: &str,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        on_write!(self, pool => {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (account, key, request, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account, key) DO NOTHING",
            )
            .bind(account)
            .bind(key)
            .bind(request)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected();
            if inserted == 1 {
                return Ok(Claim::Fresh);
            }
            let row = sqlx::query("SELECT request, status, body FROM idempotency_keys WHERE account = $1 AND key = $2")
                .bind(account)
                .bind(key)
                .fetch_one(pool)
                .await?;
            let stored_request: String = row.try_get("request")?;
            let status: i32 = row.try_get("status")?;
            if stored_request != request {
                Ok(Claim::Mismatch)
            } else if status == 0 {
                Ok(Claim::Busy)
            } else {
                Ok(Claim::Replay { status: u16::try_from(status).unwrap_or(500), body: row.try_get("body")? })
            }
        })
    }

    /// Remember the response of a claimed key.
    pub async fn remember_idempotent_response(
        &self,
        account: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE account = $3 AND key = $4")
                .bind(i32::from(status))
                .bind(body)
                .bind(account)
                .bind(key)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Release a claim whose request failed on the server's side, so a retry can run.
    pub async fn release_idempotency_key(
        &self,
        account: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query("DELETE FROM idempotency_keys WHERE account = $1 AND key = $2 AND status = 0")
                .bind(account)
                .bind(key)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
