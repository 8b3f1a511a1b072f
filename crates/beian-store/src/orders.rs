//! Orders: state transitions decided by `beian_core::workflow::transition` and applied here in one
//! transaction with their history entry, under an optimistic version. The approval, which
//! applies a filing to the record, is in `record.rs`.
//!
//! Every transaction starts with its write (a conditional `UPDATE … WHERE version = $n`), so that
//! on SQLite concurrent writers queue on the busy timeout instead of failing to upgrade a read lock,
//! and on both databases the loser of a race sees zero rows and gets `Conflict`.

use beian_core::workflow::{Effect, OrderState, Transition};
use beian_rules::model::FilingType;
use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

/// A new draft order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub account: String,
    pub filing_type: FilingType,
    pub province: u8,
    /// The subject's normalised credential number (one order in progress per credential).
    pub credential: String,
    /// The application document (JSON).
    pub application: String,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub id: i64,
    pub account: String,
    pub filing_type: String,
    pub province: i16,
    pub credential: String,
    pub state: OrderState,
    pub in_progress: bool,
    pub version: i32,
    pub application: String,
    pub first_submitted_at: Option<OffsetDateTime>,
    pub sms_started_at: Option<OffsetDateTime>,
    pub uploads_started: bool,
    pub verification_complete: bool,
    pub subject_number: Option<String>,
    /// When the order last changed (entered its state, for every state but `draft`).
    pub updated_at: OffsetDateTime,
    /// The reviewer working on it (in the provider's steps), and since when.
    pub claimed_by: Option<String>,
    pub claimed_at: Option<OffsetDateTime>,
}

const ORDER_COLUMNS: &str = "id, account, filing_type, province, credential, state, in_progress, version, application, \
     first_submitted_at, sms_started_at, uploads_started, verification_complete, subject_number, updated_at, \
     claimed_by, claimed_at";

fn order_from_row<R: Row>(r: &R) -> Result<OrderRow, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> i64: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> i32: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> i16: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> bool: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> Option<String>: sqlx::Decode<'v, R::Database>,
    for<'v> Option<OffsetDateTime>: sqlx::Decode<'v, R::Database>,
    for<'v> OffsetDateTime: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    let state: String = r.try_get("state")?;
    Ok(OrderRow {
        id: r.try_get("id")?,
        account: r.try_get("account")?,
        filing_type: r.try_get("filing_type")?,
        province: r.try_get("province")?,
        credential: r.try_get("credential")?,
        state: OrderState::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown order state {state:?}").into()))?,
        in_progress: r.try_get("in_progress")?,
        version: r.try_get("version")?,
        application: r.try_get("application")?,
        first_submitted_at: r.try_get("first_submitted_at")?,
        sms_started_at: r.try_get("sms_started_at")?,
        uploads_started: r.try_get("uploads_started")?,
        verification_complete: r.try_get("verification_complete")?,
        subject_number: r.try_get("subject_number")?,
        updated_at: r.try_get("updated_at")?,
        claimed_by: r.try_get("claimed_by")?,
        claimed_at: r.try_get("claimed_at")?,
    })
}

/// A unique-index violation on the in-progress index means another order holds the credential.
fn in_progress_violation(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::OrderInProgress,
        _ => StoreError::Database(e),
    }
}

impl Store {
    /// Create a draft order.
    pub async fn create_order(
        &self,
        o: &NewOrder,
        now: OffsetDateTime,
    ) -> Result<OrderRow, StoreError> {
        let sql = format!(
            "INSERT INTO orders (account, filing_type, province, credential, state, application, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $6) RETURNING {ORDER_COLUMNS}"
        );
        on_write!(self, pool => {
            let row = sqlx::query(&sql)
                .bind(&o.account)
                .bind(o.filing_type.as_str())
                .bind(i16::from(o.province))
                .bind(&o.credential)
                .bind(&o.application)
                .bind(now)
                .fetch_one(pool)
                .await?;
            order_from_row(&row)
        })
    }

    pub async fn order(&self, id: i64) -> Result<Option<OrderRow>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1");
        on_pool!(self, pool => {
            match sqlx::query(&sql).bind(id).fetch_optional(pool).await? {
                Some(r) => Ok(Some(order_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// Orders of one account, newest first.
    pub async fn orders_of(&self, account: &str) -> Result<Vec<OrderRow>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE account = $1 ORDER BY id DESC");
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(account).fetch_all(pool).await?;
            rows.iter().map(order_from_row).collect()
        })
    }

    /// Orders in any of `states`, oldest change first, with the time they entered that state.
    pub async fn orders_in_states(
        &self,
        states: &[OrderState],
    ) -> Result<Vec<(OrderRow, OffsetDateTime)>, StoreError> {
        let list = states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {ORDER_COLUMNS}, updated_at FROM orders WHERE state IN ({list}) ORDER BY updated_at, id"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).fetch_all(pool).await?;
            rows.iter().map(|r| Ok((order_from_row(r)?, r.try_get("updated_at")?))).collect()
        })
    }

    /// How many orders are in each state.
    pub async fn count_by_state(&self) -> Result<Vec<(String, i64)>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM orders GROUP BY state ORDER BY state").fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
        })
    }

    /// Credentials with an order in progress, other than order `except`.
    pub async fn credentials_in_progress(
        &self,
        except: Option<i64>,
    ) -> Result<Vec<String>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT credential FROM orders WHERE in_progress = TRUE AND id <> $1")
                .bind(except.unwrap_or(-1))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("credential")?)).collect()
        })
    }

    /// Replace a draft's application (and what is derived from it), under its version, with a
    /// history entry.
    pub async fn update_draft(
        &self,
        id: i64,
        expected_version: i32,
        o: &NewOrder,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<OrderRow, StoreError> {
        // One statement: the history entry is appended by the `orders_history` trigger.
        let sql = format!(
            "UPDATE orders SET application = $1, filing_type = $2, province = $3, credential = $4, \
             version = version + 1, updated_at = $5, history_pending = TRUE, last_actor = $8, last_action = 'Edit', \
             last_reasons = '', last_note = '' WHERE id = $6 AND version = $7 AND state = 'draft' RETURNING {ORDER_COLUMNS}"
        );
        on_write!(self, pool => {
            let row = sqlx::query(&sql)
                .bind(&o.application)
                .bind(o.filing_type.as_str())
                .bind(i16::from(o.province))
                .bind(&o.credential)
                .bind(now)
                .bind(id)
                .bind(expected_version)
                .bind(actor)
                .fetch_optional(pool)
                .await
                .map_err(in_progress_violation)?;
            match row {
                Some(row) => order_from_row(&row),
                None => Err(self.conflict_or_missing(id).await?),
            }
        })
    }

    /// Why a conditional update of order `id` matched nothing.
    async fn conflict_or_missing(&self, id: i64) -> Result<StoreError, StoreError> {
        Ok(if self.order(id).await?.is_some() {
            StoreError::Conflict(id)
        } else {
            StoreError::OrderNotFound(id)
        })
    }

    /// Apply a transition decided by the workflow to order `id` read at `expected_version`, with its
    /// history entry, in one transaction. Approval goes through [`Store::approve_order`].
    pub async fn apply_transition(
        &self,
        id: i64,
        expected_version: i32,
        t: &Transition,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<OrderRow, StoreError> {
        if t.effects.contains(&Effect::Approve) {
            return Err(StoreError::ApprovalNeedsPlan);
        }
        let mark_first = t.effects.contains(&Effect::MarkFirstSubmission);
        let open_sms = t
            .effects
            .iter()
            .any(|e| matches!(e, Effect::OpenSmsWindow { .. }));
        let reset = t.effects.contains(&Effect::ResetVerification);
        let delete = t.effects.contains(&Effect::DeleteDraft);
        let rejection = t.effects.iter().find_map(|e| match e {
            Effect::RecordRejection(r) => Some(r),
            _ => None,
        });
        let (reasons, note) = rejection
            .map(|r| {
                (
                    r.all_reasons()
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    r.note.clone(),
                )
            })
            .unwrap_or_default();
        let rejection_json = match rejection {
            Some(r) => {
                Some(serde_json::to_string(r).map_err(|e| StoreError::Encode(e.to_string()))?)
            }
            None => None,
        };
        let sql = format!(
            "UPDATE orders SET state = $1, version = version + 1, updated_at = $2, \
             first_submitted_at = CASE WHEN $3 THEN COALESCE(first_submitted_at, $2) ELSE first_submitted_at END, \
             sms_started_at = CASE WHEN $4 THEN $2 ELSE sms_started_at END, \
             uploads_started = CASE WHEN $5 THEN FALSE ELSE uploads_started END, \
             verification_complete = CASE WHEN $5 THEN FALSE ELSE verification_complete END, \
             statements_received_at = CASE WHEN $5 THEN NULL ELSE statements_received_at END, \
             statements_required = CASE WHEN $5 THEN FALSE ELSE statements_required END, \
             sla_breached_at = NULL, \
             in_progress = CASE WHEN $6 THEN FALSE WHEN $1 = 'draft' THEN (COALESCE(first_submitted_at, CASE WHEN $3 THEN $2 END) IS NOT NULL) ELSE TRUE END, \
             history_pending = TRUE, last_actor = $9, last_action = $10, last_reasons = $11, last_note = $12, \
             claimed_by = CASE WHEN $1 IN ('provider_review', 'verification', 'ready_for_administration') THEN claimed_by END, \
             claimed_at = CASE WHEN $1 IN ('provider_review', 'verification', 'ready_for_administration') THEN claimed_at END \
             WHERE id = $7 AND version = $8 RETURNING {ORDER_COLUMNS}"
        );
        let action = format!("{:?}", t.action);
        on_write!(self, pool => {
            // One statement (its history entry is appended by the `orders_history` trigger, its
            // event by `orders_events`), unless the draft is deleted or uploads are reset with it.
            let row = if delete || reset || rejection.is_some() {
                let mut tx = pool.begin().await?;
                let row = sqlx::query(&sql)
                    .bind(t.to.as_str()).bind(now).bind(mark_first).bind(open_sms).bind(reset)
                    .bind(t.to.is_terminal()).bind(id).bind(expected_version)
                    .bind(actor).bind(&action).bind(&reasons).bind(&note)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(in_progress_violation)?;
                if row.is_some() {
                    if let (Some(r), Some(json)) = (rejection, &rejection_json) {
                        // The rejection with the application as it stood: the applicant's form
                        // marks its fields, the reviewer later sees what changed since.
                        sqlx::query("INSERT INTO rejections (order_id, actor, rejection, application, at) \
                                     SELECT id, $2, $3, application, $4 FROM orders WHERE id = $1")
                            .bind(id).bind(actor).bind(json).bind(now)
                            .execute(&mut *tx).await?;
                        // Named documents are rejected with their reasons; the others stay.
                        for d in &r.documents {
                            sqlx::query("UPDATE documents SET status = 'rejected', reason = $5, note = $6, \
                                         reviewed_by = $7, reviewed_at = $8 \
                                         WHERE order_id = $1 AND kind = $2 AND website = $3 AND category = $4 \
                                         AND status <> 'superseded'")
                                .bind(id).bind(&d.kind).bind(d.website).bind(&d.category)
                                .bind(d.reason.as_str()).bind(&d.note).bind(actor).bind(now)
                                .execute(&mut *tx).await?;
                        }
                    }
                    let keep_documents = rejection.is_some_and(|r| !r.documents.is_empty());
                    if reset && !keep_documents {
                        // A rejected order uploads again: what was uploaded stays for the record.
                        sqlx::query("UPDATE documents SET status = 'superseded' WHERE order_id = $1 AND status <> 'superseded'")
                            .bind(id).execute(&mut *tx).await?;
                    }
                    if delete {
                        sqlx::query("DELETE FROM orders WHERE id = $1").bind(id).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                }
                row
            } else {
                sqlx::query(&sql)
                    .bind(t.to.as_str()).bind(now).bind(mark_first).bind(open_sms).bind(reset)
                    .bind(t.to.is_terminal()).bind(id).bind(expected_version)
                    .bind(actor).bind(&action).bind(&reasons).bind(&note)
                    .fetch_optional(pool)
                    .await
                    .map_err(in_progress_violation)?
            };
            match row {
                Some(row) => order_from_row(&row),
                None => Err(self.conflict_or_missing(id).await?),
            }
        })
    }

    /// The order's latest rejection with the application as it stood then, if it has one.
    pub async fn last_rejection(&self, order: i64) -> Result<Option<RejectionRow>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, actor, rejection, application, at FROM rejections \
                 WHERE order_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(order)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let json: String = row.try_get("rejection")?;
                    Ok(Some(RejectionRow {
                        id: row.try_get("id")?,
                        actor: row.try_get("actor")?,
                        rejection: serde_json::from_str(&json)
                            .map_err(|e| StoreError::Corrupt(format!("rejection of order {order}: {e}")))?,
                        application: row.try_get("application")?,
                        at: row.try_get("at")?,
                    }))
                }
            }
        })
    }
}

/// Why a claim was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimRefused {
    /// Another reviewer holds a live claim.
    ClaimedBy(String),
    /// The order is not in one of the provider's steps.
    NotInProviderStep(OrderState),
}

impl Store {
    /// Claim order `id` for `actor` (or renew its claim) unless another live claim holds it (one
    /// taken after `live_after`); `force` takes it over regardless (a supervisor). Only orders in
    /// the provider's steps are claimed.
    pub async fn claim_order(
        &self,
        id: i64,
        actor: &str,
        now: OffsetDateTime,
        live_after: OffsetDateTime,
        force: bool,
    ) -> Result<Result<OrderRow, ClaimRefused>, StoreError> {
        let sql = format!(
            "UPDATE orders SET claimed_by = $2, claimed_at = $3 \
             WHERE id = $1 AND state IN ('provider_review', 'verification', 'ready_for_administration') \
             AND ($5 OR claimed_by IS NULL OR claimed_by = $2 OR claimed_at IS NULL OR claimed_at <= $4) \
             RETURNING {ORDER_COLUMNS}"
        );
        let row = on_write!(self, pool => {
            sqlx::query(&sql).bind(id).bind(actor).bind(now).bind(live_after).bind(force)
                .fetch_optional(pool).await?
                .map(|r| order_from_row(&r)).transpose()?
        });
        if let Some(o) = row {
            return Ok(Ok(o));
        }
        match self.order(id).await? {
            None => Err(StoreError::OrderNotFound(id)),
            Some(o) => match o.claimed_by {
                Some(by) if beian_core::workflow::PROVIDER_STEPS.contains(&o.state) => {
                    Ok(Err(ClaimRefused::ClaimedBy(by)))
                }
                _ => Ok(Err(ClaimRefused::NotInProviderStep(o.state))),
            },
        }
    }

    /// Give up `actor`'s claim on order `id` (`force`: whoever holds it). True if one was released.
    pub async fn release_claim(
        &self,
        id: i64,
        actor: &str,
        force: bool,
    ) -> Result<bool, StoreError> {
        let done = on_write!(self, pool => {
            sqlx::query("UPDATE orders SET claimed_by = NULL, claimed_at = NULL \
                         WHERE id = $1 AND claimed_by IS NOT NULL AND ($3 OR claimed_by = $2)")
                .bind(id).bind(actor).bind(force).execute(pool).await?.rows_affected()
        });
        Ok(done > 0)
    }
}

/// A rejection as recorded: who, when, what it names, and the application it judged.
#[derive(Debug, Clone)]
pub struct RejectionRow {
    pub id: i64,
    pub actor: String,
    pub rejection: beian_core::workflow::Rejection,
    /// The application (JSON) as it stood when rejected.
    pub application: String,
    pub at: OffsetDateTime,
}
