//! The audit trail (审计日志): staff actions and staff reads of applications and documents.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

/// One recorded staff request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: OffsetDateTime,
    /// `account:ID`.
    pub actor: String,
    pub role: String,
    /// What was done (`pass`, `getOrder`, `console POST /review/orders/{id}/reject`, …).
    pub action: String,
    /// The path it was done to (`/api/v1/orders/7/pass`).
    pub target: String,
    /// The client's address as the server saw it.
    pub ip: String,
    /// The HTTP status it ended with.
    pub status: i32,
}

/// Which entries to list: all filters optional; newest first, before `before_id`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// A substring of the action.
    pub action: Option<String>,
    /// A substring of the target (`/orders/7/` finds one order's entries).
    pub target: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// Append an entry.
    pub async fn record_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query("INSERT INTO audit (at, actor, role, action, target, ip, status) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(e.at).bind(&e.actor).bind(&e.role).bind(&e.action).bind(&e.target).bind(&e.ip).bind(e.status)
                .execute(pool).await?;
        });
        Ok(())
    }

    /// Entries matching `f`, newest first.
    pub async fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let like = |s: &Option<String>| {
            s.as_deref().map(|v| {
                format!(
                    "%{}%",
                    v.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                )
            })
        };
        on_pool!(self, pool => {
            sqlx::query(
                "SELECT id, at, actor, role, action, target, ip, status FROM audit \
                 WHERE ($1 IS NULL OR actor = $1) \
                 AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\') \
                 AND ($3 IS NULL OR target LIKE $3 ESCAPE '\\') \
                 AND ($4 IS NULL OR id < $4) \
                 ORDER BY id DESC LIMIT $5",
            )
            .bind(f.actor.as_deref())
            .bind(like(&f.action))
            .bind(like(&f.target))
            .bind(f.before_id)
            .bind(f.limit.clamp(1, 500))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    role: r.try_get("role")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    ip: r.try_get("ip")?,
                    status: r.try_get("status")?,
                })
            })
            .collect()
        })
    }
}
