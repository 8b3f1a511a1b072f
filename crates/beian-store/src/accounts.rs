//! Accounts and bearer tokens. Passwords arrive here already hashed (argon2, by the server);
//! tokens are looked up by their SHA-256 digest.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Pool, Store, StoreError};

/// An account as stored (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    pub login: String,
    pub role: String,
    pub display_name: String,
}

fn account_from_row<R: Row>(r: &R) -> Result<AccountRow, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> i64: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AccountRow {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        role: r.try_get("role")?,
        display_name: r.try_get("display_name")?,
    })
}

impl Store {
    /// Create an account; `LoginTaken` when the login exists.
    pub async fn create_account(
        &self,
        login: &str,
        password_hash: &str,
        role: &str,
        display_name: &str,
        email: &str,
        now: OffsetDateTime,
    ) -> Result<AccountRow, StoreError> {
        on_write!(self, pool => {
            let row = sqlx::query(
                "INSERT INTO accounts (login, password_hash, role, display_name, created_at, email) VALUES ($1, $2, $3, $4, $5, $6) \
                 RETURNING id, login, role, display_name",
            )
            .bind(login)
            .bind(password_hash)
            .bind(role)
            .bind(display_name)
            .bind(now)
            .bind(email)
            .fetch_one(pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::LoginTaken,
                _ => StoreError::Database(e),
            })?;
            account_from_row(&row)
        })
    }

    /// The account and its password hash, by login.
    /// The e-mail address notifications go to ('' when the account gave none).
    pub async fn account_email(&self, id: i64) -> Result<Option<String>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT email FROM accounts WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(match row {
                Some(r) => Some(r.try_get("email")?),
                None => None,
            })
        })
    }

    pub async fn account_by_login(
        &self,
        login: &str,
    ) -> Result<Option<(AccountRow, String)>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT id, login, role, display_name, password_hash FROM accounts WHERE login = $1")
                .bind(login)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(r) => Ok(Some((account_from_row(&r)?, r.try_get("password_hash")?))),
                None => Ok(None),
            }
        })
    }

    /// Store a token digest for an account.
    pub async fn create_token(
        &self,
        digest: &str,
        account_id: i64,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query("INSERT INTO tokens (digest, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(digest)
                .bind(account_id)
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The account a live token belongs to.
    pub async fn account_for_token(
        &self,
        digest: &str,
        now: OffsetDateTime,
    ) -> Result<Option<AccountRow>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT a.id, a.login, a.role, a.display_name FROM tokens t JOIN accounts a ON a.id = t.account_id \
                 WHERE t.digest = $1 AND t.expires_at > $2",
            )
            .bind(digest)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(account_from_row).transpose()
        })
    }

    /// Revoke a token (log out). Returns false when there was none.
    pub async fn delete_token(&self, digest: &str) -> Result<bool, StoreError> {
        on_write!(self, pool => {
            Ok(sqlx::query("DELETE FROM tokens WHERE digest = $1")
                .bind(digest)
                .execute(pool)
                .await?
                .rows_affected()
                > 0)
        })
    }
}
