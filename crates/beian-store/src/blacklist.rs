//! The blacklist: credential numbers (normalised) and website names (as given, compared by the
//! rules after NFKC) that can never file again.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

/// What a blacklist entry bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlacklistKind {
    Credential,
    WebsiteName,
}

impl BlacklistKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlacklistKind::Credential => "credential",
            BlacklistKind::WebsiteName => "website_name",
        }
    }
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlacklistEntry {
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub actor: String,
    pub at: OffsetDateTime,
}

impl Store {
    /// Add an entry (adding it again keeps the first).
    pub async fn blacklist_add(
        &self,
        kind: BlacklistKind,
        value: &str,
        reason: &str,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query(
                "INSERT INTO blacklist (kind, value, reason, actor, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (kind, value) DO NOTHING",
            )
            .bind(kind.as_str())
            .bind(value)
            .bind(reason)
            .bind(actor)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Every entry, oldest first.
    pub async fn blacklist(&self) -> Result<Vec<BlacklistEntry>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT kind, value, reason, actor, at FROM blacklist ORDER BY at, kind, value")
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(BlacklistEntry {
                        kind: r.try_get("kind")?,
                        value: r.try_get("value")?,
                        reason: r.try_get("reason")?,
                        actor: r.try_get("actor")?,
                        at: r.try_get("at")?,
                    })
                })
                .collect()
        })
    }
}
