//! Documents and the rest of the verification step (核验): uploads recorded against an order in
//! `verification`, their review by staff, backdrop requests, the mailed authenticity statements.
//! The files themselves live outside the database (beian-documents' `FileStore`); a row names one
//! by its server-generated name.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

/// An upload to record.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub order_id: i64,
    /// The document kind (`subject_credential`, `face_photo`, …).
    pub kind: String,
    /// The website index for per-website kinds, else -1.
    pub website: i32,
    /// The preapproval category for preapproval documents, else ''.
    pub category: String,
    pub file_name: String,
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub sha256: String,
    pub uploaded_by: String,
}

/// A document as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub id: i64,
    pub order_id: i64,
    pub kind: String,
    pub website: i32,
    pub category: String,
    pub file_name: String,
    pub format: String,
    pub width: i32,
    pub height: i32,
    pub size: i64,
    pub sha256: String,
    /// `pending`, `accepted`, `rejected` or `superseded`.
    pub status: String,
    pub reason: String,
    pub note: String,
    pub uploaded_by: String,
    pub uploaded_at: OffsetDateTime,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<OffsetDateTime>,
}

const DOCUMENT_COLUMNS: &str = "id, order_id, kind, website, category, file_name, format, width, height, size, sha256, \
     status, reason, note, uploaded_by, uploaded_at, reviewed_by, reviewed_at";

fn document_from_row<R: Row>(r: &R) -> Result<DocumentRow, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> i64: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> i32: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> Option<String>: sqlx::Decode<'v, R::Database>,
    for<'v> Option<OffsetDateTime>: sqlx::Decode<'v, R::Database>,
    for<'v> OffsetDateTime: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok(DocumentRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        kind: r.try_get("kind")?,
        website: r.try_get("website")?,
        category: r.try_get("category")?,
        file_name: r.try_get("file_name")?,
        format: r.try_get("format")?,
        width: r.try_get("width")?,
        height: r.try_get("height")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        note: r.try_get("note")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: r.try_get("uploaded_at")?,
        reviewed_by: r.try_get("reviewed_by")?,
        reviewed_at: r.try_get("reviewed_at")?,
    })
}

/// A backdrop (幕布) request: where to post it. Personal data: shown masked except to staff
/// who ship it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackdropRequest {
    pub order_id: i64,
    pub recipient: String,
    pub mobile: String,
    pub province: i16,
    pub address: String,
    pub requested_by: String,
    pub requested_at: OffsetDateTime,
    pub shipped_at: Option<OffsetDateTime>,
    pub tracking: String,
}

/// A staff decision on a document.
#[derive(Debug, Clone)]
pub struct DocumentReview<'a> {
    pub accept: bool,
    /// The catalogued reason code when rejected (P01, P02, …).
    pub reason: &'a str,
    pub note: &'a str,
    pub reviewer: &'a str,
}

/// Append an event inside the open transaction `$tx`: the sequence number from the one-row head
/// (commit order), deliveries fanned out by the `events_fanout` trigger.
macro_rules! emit_event_in {
    ($tx:expr, $kind:expr, $account:expr, $order:expr, $data:expr, $at:expr) => {{
        let seq: i64 =
            sqlx::query_scalar("UPDATE event_head SET seq = seq + 1 WHERE id = 1 RETURNING seq")
                .fetch_one(&mut *$tx)
                .await?;
        sqlx::query(
            "INSERT INTO events (seq, kind, account, order_id, data, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(seq)
        .bind($kind)
        .bind($account)
        .bind($order)
        .bind($data)
        .bind($at)
        .execute(&mut *$tx)
        .await?;
        seq
    }};
}
pub(crate) use emit_event_in;

impl Store {
    /// Record an upload in one transaction: the order must be in `verification` (else
    /// `NotInVerification`), the slot's earlier document is superseded, and the order notes that
    /// uploads have started (it can no longer be withdrawn).
    pub async fn add_document(
        &self,
        d: &NewDocument,
        now: OffsetDateTime,
    ) -> Result<DocumentRow, StoreError> {
        let insert = format!(
            "INSERT INTO documents (order_id, kind, website, category, file_name, format, width, height, size, sha256, \
             status, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12) \
             RETURNING {DOCUMENT_COLUMNS}"
        );
        let width = i32::try_from(d.width).unwrap_or(i32::MAX);
        let height = i32::try_from(d.height).unwrap_or(i32::MAX);
        let size = i64::try_from(d.size).unwrap_or(i64::MAX);
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            // The write comes first (see orders.rs): it also checks the state.
            let open = sqlx::query(
                "UPDATE orders SET uploads_started = TRUE WHERE id = $1 AND state = 'verification' RETURNING id",
            )
            .bind(d.order_id)
            .fetch_optional(&mut *tx)
            .await?;
            if open.is_none() {
                return Err(StoreError::NotInVerification(d.order_id));
            }
            sqlx::query(
                "UPDATE documents SET status = 'superseded' WHERE order_id = $1 AND kind = $2 AND website = $3 \
                 AND category = $4 AND status <> 'superseded'",
            )
            .bind(d.order_id)
            .bind(&d.kind)
            .bind(d.website)
            .bind(&d.category)
            .execute(&mut *tx)
            .await?;
            let row = sqlx::query(&insert)
                .bind(d.order_id)
                .bind(&d.kind)
                .bind(d.website)
                .bind(&d.category)
                .bind(&d.file_name)
                .bind(&d.format)
                .bind(width)
                .bind(height)
                .bind(size)
                .bind(&d.sha256)
                .bind(&d.uploaded_by)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            let doc = document_from_row(&row)?;
            tx.commit().await?;
            Ok(doc)
        })
    }

    /// An order's documents, oldest first (superseded ones included, for the record).
    pub async fn documents(&self, order_id: i64) -> Result<Vec<DocumentRow>, StoreError> {
        let sql =
            format!("SELECT {DOCUMENT_COLUMNS} FROM documents WHERE order_id = $1 ORDER BY id");
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(order_id).fetch_all(pool).await?;
            rows.iter().map(document_from_row).collect()
        })
    }

    pub async fn document(&self, id: i64) -> Result<Option<DocumentRow>, StoreError> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(document_from_row).transpose()
        })
    }

    /// Every stored file name (for the sweep of files no row names).
    pub async fn document_file_names(&self) -> Result<Vec<String>, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT file_name FROM documents").fetch_all(pool).await?)
        })
    }

    /// Accept or reject a pending document of an order in `verification`, and tell the applicant
    /// (event `document.reviewed`), in one transaction. `DocumentNotPending` when it was reviewed
    /// or superseded meanwhile, or the order left verification.
    pub async fn review_document(
        &self,
        order_id: i64,
        id: i64,
        review: &DocumentReview<'_>,
        now: OffsetDateTime,
    ) -> Result<DocumentRow, StoreError> {
        let sql = format!(
            "UPDATE documents SET status = $3, reason = $4, note = $5, reviewed_by = $6, reviewed_at = $7 \
             WHERE id = $1 AND order_id = $2 AND status = 'pending' \
             AND EXISTS (SELECT 1 FROM orders WHERE id = $2 AND state = 'verification') RETURNING {DOCUMENT_COLUMNS}"
        );
        let status = if review.accept {
            "accepted"
        } else {
            "rejected"
        };
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let row = sqlx::query(&sql)
                .bind(id)
                .bind(order_id)
                .bind(status)
                .bind(review.reason)
                .bind(review.note)
                .bind(review.reviewer)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(StoreError::DocumentNotPending(id));
            };
            let doc = document_from_row(&row)?;
            let account: String = sqlx::query_scalar("SELECT account FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await?;
            let data = serde_json::json!({
                "document": doc.id, "kind": doc.kind, "website": doc.website,
                "status": doc.status, "reason": doc.reason, "note": doc.note,
            })
            .to_string();
            emit_event_in!(tx, "document.reviewed", &account, Some(order_id), &data, now);
            tx.commit().await?;
            Ok(doc)
        })
    }

    /// Ask for a backdrop to be posted (or correct the address before it ships). The order must be
    /// in `verification`; `BackdropShipped` once it has been posted.
    pub async fn request_backdrop(
        &self,
        r: &BackdropRequest,
    ) -> Result<BackdropRequest, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let open = sqlx::query("UPDATE orders SET uploads_started = uploads_started WHERE id = $1 AND state = 'verification' RETURNING id")
                .bind(r.order_id)
                .fetch_optional(&mut *tx)
                .await?;
            if open.is_none() {
                return Err(StoreError::NotInVerification(r.order_id));
            }
            let done = sqlx::query(
                "INSERT INTO backdrop_requests (order_id, recipient, mobile, province, address, requested_by, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (order_id) DO UPDATE SET recipient = $2, mobile = $3, province = $4, address = $5, \
                 requested_by = $6, requested_at = $7 WHERE backdrop_requests.shipped_at IS NULL RETURNING order_id",
            )
            .bind(r.order_id)
            .bind(&r.recipient)
            .bind(&r.mobile)
            .bind(r.province)
            .bind(&r.address)
            .bind(&r.requested_by)
            .bind(r.requested_at)
            .fetch_optional(&mut *tx)
            .await?;
            if done.is_none() {
                return Err(StoreError::BackdropShipped(r.order_id));
            }
            tx.commit().await?;
            Ok(r.clone())
        })
    }

    pub async fn backdrop(&self, order_id: i64) -> Result<Option<BackdropRequest>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT order_id, recipient, mobile, province, address, requested_by, requested_at, shipped_at, tracking \
                 FROM backdrop_requests WHERE order_id = $1",
            )
            .bind(order_id)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some(BackdropRequest {
                    order_id: r.try_get("order_id")?,
                    recipient: r.try_get("recipient")?,
                    mobile: r.try_get("mobile")?,
                    province: r.try_get("province")?,
                    address: r.try_get("address")?,
                    requested_by: r.try_get("requested_by")?,
                    requested_at: r.try_get("requested_at")?,
                    shipped_at: r.try_get("shipped_at")?,
                    tracking: r.try_get("tracking")?,
                })),
            }
        })
    }

    /// Staff posted the backdrop (tracking number for the applicant); the applicant hears of it
    /// (event `backdrop.shipped`). False when there is no unshipped request.
    pub async fn ship_backdrop(
        &self,
        order_id: i64,
        tracking: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE backdrop_requests SET shipped_at = $2, shipped_by = $3, tracking = $4 \
                 WHERE order_id = $1 AND shipped_at IS NULL RETURNING order_id",
            )
            .bind(order_id)
            .bind(now)
            .bind(by)
            .bind(tracking)
            .fetch_optional(&mut *tx)
            .await?;
            if done.is_none() {
                return Ok(false);
            }
            let account: String = sqlx::query_scalar("SELECT account FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await?;
            let data = serde_json::json!({ "tracking": tracking }).to_string();
            emit_event_in!(tx, "backdrop.shipped", &account, Some(order_id), &data, now);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// A reviewer asks for the three mailed originals of the authenticity statement for this
    /// order (in `verification`). False when the order is not in verification.
    pub async fn require_statements(&self, order_id: i64) -> Result<bool, StoreError> {
        on_write!(self, pool => {
            let r = sqlx::query(
                "UPDATE orders SET statements_required = TRUE WHERE id = $1 AND state = 'verification'",
            )
            .bind(order_id)
            .execute(pool)
            .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Staff record that the mailed originals arrived. False when the order is not in
    /// verification.
    pub async fn statements_received(
        &self,
        order_id: i64,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        on_write!(self, pool => {
            let r = sqlx::query(
                "UPDATE orders SET statements_received_at = $2, statements_received_by = $3 \
                 WHERE id = $1 AND state = 'verification'",
            )
            .bind(order_id)
            .bind(now)
            .bind(by)
            .execute(pool)
            .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Whether the reviewer asked for mailed statements, and when they arrived.
    pub async fn statements(
        &self,
        order_id: i64,
    ) -> Result<(bool, Option<OffsetDateTime>), StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT statements_required, statements_received_at FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_optional(pool)
                .await?;
            match row {
                None => Err(StoreError::OrderNotFound(order_id)),
                Some(r) => Ok((r.try_get("statements_required")?, r.try_get("statements_received_at")?)),
            }
        })
    }
}
