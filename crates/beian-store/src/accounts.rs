//! Accounts and bearer tokens. Passwords arrive here already hashed (argon2, by the server);
//! tokens are looked up by their SHA-256 digest. A disabled account can neither log in (its
//! login is not found) nor use a token; disabling it or changing its password revokes its tokens.
//!
//! The rules for a login and a password live here too ([`validate_login`], [`validate_password`]),
//! so that every way of creating an account applies the same ones.

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

/// An account with its status, for operators (`beian accounts list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    pub account: AccountRow,
    pub email: String,
    pub disabled: bool,
}

/// The roles an account can have.
pub const ROLES: [&str; 4] = ["applicant", "reviewer", "supervisor", "administration"];

/// Why a login, a password, an e-mail address or a role is refused: each message names the field
/// and the fix, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "登录名无效 / invalid login: 登录名为 3–64 个字母、数字或 . _ @ - / a login is 3 to 64 letters, digits or . _ @ -"
    )]
    Login,
    #[error("密码太短 / password too short: 密码至少 10 个字符 / use at least 10 characters")]
    PasswordTooShort,
    #[error(
        "邮箱地址无效 / invalid e-mail address: 请填写形如 name@example.com 的邮箱地址，或留空 / give an address like name@example.com, or leave it out"
    )]
    Email,
    #[error(
        "角色无效 / invalid role: 角色为 applicant、reviewer、supervisor 或 administration / use applicant, reviewer, supervisor or administration"
    )]
    Role,
}

/// A login is 3 to 64 ASCII letters, digits or `. _ @ -` (after trimming surrounding spaces).
pub fn validate_login(login: &str) -> Result<(), CredentialError> {
    let login = login.trim();
    let ok = (3..=64).contains(&login.chars().count())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(CredentialError::Login)
    }
}

/// A password has at least 10 characters (not bytes).
pub fn validate_password(password: &str) -> Result<(), CredentialError> {
    if password.chars().count() >= 10 {
        Ok(())
    } else {
        Err(CredentialError::PasswordTooShort)
    }
}

/// An e-mail address is empty (none) or a well-formed address.
pub fn validate_email(email: &str) -> Result<(), CredentialError> {
    let email = email.trim();
    if email.is_empty() || beian_rules::validate::email_valid(email) {
        Ok(())
    } else {
        Err(CredentialError::Email)
    }
}

/// A role is one of [`ROLES`].
pub fn validate_role(role: &str) -> Result<(), CredentialError> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(CredentialError::Role)
    }
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

    /// The account and its password hash, by login: the login lookup. A disabled account is not
    /// found (it cannot log in, nor be named as a product's owner).
    pub async fn account_by_login(
        &self,
        login: &str,
    ) -> Result<Option<(AccountRow, String)>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, login, role, display_name, password_hash FROM accounts WHERE login = $1 AND NOT disabled",
            )
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

    /// The account a live token belongs to (none for a disabled account).
    pub async fn account_for_token(
        &self,
        digest: &str,
        now: OffsetDateTime,
    ) -> Result<Option<AccountRow>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT a.id, a.login, a.role, a.display_name FROM tokens t JOIN accounts a ON a.id = t.account_id \
                 WHERE t.digest = $1 AND t.expires_at > $2 AND NOT a.disabled",
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

    /// An account and its status by login, disabled or not.
    pub async fn account_status(&self, login: &str) -> Result<Option<AccountStatus>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, login, role, display_name, email, disabled FROM accounts WHERE login = $1",
            )
            .bind(login)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(status_from_row).transpose()
        })
    }

    /// Every account with its status, by login.
    /// The staff's logins by actor (`account:ID`), for showing who holds a claim or took a step.
    pub async fn staff_logins(&self) -> Result<Vec<(String, String)>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query("SELECT id, login FROM accounts WHERE role <> 'applicant' ORDER BY id")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let id: i64 = r.try_get("id")?;
                    Ok((format!("account:{id}"), r.try_get("login")?))
                })
                .collect()
        })
    }

    pub async fn list_accounts(&self) -> Result<Vec<AccountStatus>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "SELECT id, login, role, display_name, email, disabled FROM accounts ORDER BY login",
            )
            .fetch_all(pool)
            .await?
            .iter()
            .map(status_from_row)
            .collect()
        })
    }

    /// Disable (`true`) or enable an account by login; disabling revokes its tokens in the same
    /// transaction. Returns the account and the number of tokens revoked, `None` when no account
    /// has this login.
    pub async fn set_account_disabled(
        &self,
        login: &str,
        disabled: bool,
    ) -> Result<Option<(AccountRow, u64)>, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let row = sqlx::query(
                "UPDATE accounts SET disabled = $2 WHERE login = $1 RETURNING id, login, role, display_name",
            )
            .bind(login)
            .bind(disabled)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let account = account_from_row(&row)?;
            let revoked = if disabled {
                sqlx::query("DELETE FROM tokens WHERE account_id = $1")
                    .bind(account.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            } else {
                0
            };
            tx.commit().await?;
            Ok(Some((account, revoked)))
        })
    }

    /// Replace an account's password hash by login and revoke its tokens, in one transaction.
    /// Returns the account and the number of tokens revoked, `None` when no account has this
    /// login. A disabled account stays disabled.
    pub async fn set_password_hash(
        &self,
        login: &str,
        password_hash: &str,
    ) -> Result<Option<(AccountRow, u64)>, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let row = sqlx::query(
                "UPDATE accounts SET password_hash = $2 WHERE login = $1 RETURNING id, login, role, display_name",
            )
            .bind(login)
            .bind(password_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let account = account_from_row(&row)?;
            let revoked = sqlx::query("DELETE FROM tokens WHERE account_id = $1")
                .bind(account.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(Some((account, revoked)))
        })
    }
}

fn status_from_row<R: Row>(r: &R) -> Result<AccountStatus, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> i64: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> bool: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AccountStatus {
        account: account_from_row(r)?,
        email: r.try_get("email")?,
        disabled: r.try_get("disabled")?,
    })
}
