//! beian-store: the filing service's storage, one schema on SQLite (the embedded default: a single
//! file in WAL mode) and PostgreSQL, each with its own migrations (`migrations/sqlite`,
//! `migrations/postgres`) and the same contract tests.
//!
//! The invariants live in the database, not in isolation levels alone: number assignment is a
//! conditional `UPDATE … RETURNING` on a per-province counter row plus unique constraints on every
//! issued number; service-number consumption is `UPDATE … WHERE consumed < quota` with a check
//! constraint and a trigger that forbids decreasing it; the history table refuses `UPDATE` and
//! `DELETE` by trigger.

use std::str::FromStr;
use std::time::Duration;

use beian_core::numbers::{SubjectNumber, WebsiteNumber};
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::OffsetDateTime;

/// Storage errors, by what the caller can do about them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("no product with service number {0}")]
    UnknownProduct(String),
    #[error("service number quota exhausted for {0}")]
    QuotaExhausted(String),
    #[error("no subject number {0}")]
    UnknownSubjectNumber(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("this login is taken")]
    LoginTaken,
    #[error("order {0} not found")]
    OrderNotFound(i64),
    #[error("order {0} changed since it was read: reload and try again")]
    Conflict(i64),
    #[error("there is an order in progress for this credential")]
    OrderInProgress,
    #[error("approval goes through Store::approve_order")]
    ApprovalNeedsPlan,
    #[error("the transition given to approve_order does not approve")]
    TransitionNotApproval,
    #[error("order {0} is not in administration review")]
    NotInAdministrationReview(i64),
    #[error("domain {0} is on record already")]
    DomainOnRecord(String),
    #[error("{0} is not on record")]
    NotOnRecord(String),
    #[error("a source behind a port did not answer: {0}")]
    Unavailable(String),
    #[error("order {0} is not in verification")]
    NotInVerification(i64),
    #[error("document {0} is not awaiting review")]
    DocumentNotPending(i64),
    #[error("the backdrop for order {0} has been posted already")]
    BackdropShipped(i64),
    #[error("could not encode {0}")]
    Encode(String),
    #[error("a stored record does not read back: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite has one writer at a time: writes go through a pool of one connection, where they queue
/// without contention (no busy-wait backoff), and reads through a pool of several, which WAL lets
/// run beside the writer.
#[derive(Debug, Clone)]
enum Pool {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Run the same body against whichever pool the store holds (for reads): the SQL is shared
/// (`$N` placeholders work on both), the types are checked per backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite { read: $pool, .. } => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// [`on_write!`] for anything that writes: SQLite's single writer connection.
macro_rules! on_write {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite { write: $pool, .. } => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

// The statements shared by the single operations and the approval transaction.
/// The next subject serial of a province, in one statement: the row is created on first use and
/// locked by the upsert, so concurrent approvals serialise on it.
const COUNTER_NEXT: &str = "INSERT INTO province_counters (province, last_serial) VALUES ($1, $2 + 1) \
     ON CONFLICT (province) DO UPDATE SET last_serial = CASE WHEN province_counters.last_serial >= $2 \
     THEN province_counters.last_serial + 1 ELSE $2 + 1 END RETURNING last_serial";
const SUBJECT_NUMBER_INSERT: &str =
    "INSERT INTO subject_numbers (province, serial, number, issued_at) VALUES ($1, $2, $3, $4)";
const WEBSITE_NEXT: &str =
    "UPDATE subject_numbers SET last_site = last_site + 1 WHERE number = $1 RETURNING last_site";
const WEBSITE_NUMBER_INSERT: &str =
    "INSERT INTO website_numbers (subject_number, n, number, issued_at) VALUES ($1, $2, $3, $4)";
/// Consume a service number for good: it is named by exactly one approved website.
const SN_CONSUME: &str = "UPDATE service_numbers SET website_number = $2, consumed_at = $3 \
     WHERE number = $1 AND website_number IS NULL RETURNING instance_id";
/// Count the consumption on the instance, never past its quota.
const INSTANCE_CONSUME: &str = "UPDATE products SET consumed = consumed + 1 WHERE instance_id = $1 AND consumed < quota \
     RETURNING quota - consumed AS remaining";
const SN_EXISTS: &str = "SELECT 1 FROM service_numbers WHERE number = $1";
const HISTORY_INSERT: &str = "INSERT INTO history (subject, actor, action, from_state, to_state, reasons, note, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Issue the next subject number of a province inside the open transaction `$tx` (shared by
/// `Store::issue_subject_number` and the approval).
macro_rules! issue_subject_in {
    ($tx:expr, $province:expr, $base:expr, $abbr:expr, $now:expr) => {{
        let row = sqlx::query(COUNTER_NEXT)
            .bind($province)
            .bind($base)
            .fetch_one(&mut *$tx)
            .await?;
        let serial: i64 = row.try_get("last_serial")?;
        let number = SubjectNumber {
            abbr: $abbr,
            serial: u64::try_from(serial).unwrap_or(0),
        };
        sqlx::query(SUBJECT_NUMBER_INSERT)
            .bind($province)
            .bind(serial)
            .bind(number.to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        number
    }};
}

/// Issue the next website number under `$subject` inside the open transaction `$tx`.
macro_rules! issue_website_in {
    ($tx:expr, $subject:expr, $now:expr) => {{
        let subject_text = $subject.to_string();
        let row = sqlx::query(WEBSITE_NEXT)
            .bind(&subject_text)
            .fetch_optional(&mut *$tx)
            .await?
            .ok_or_else(|| StoreError::UnknownSubjectNumber(subject_text.clone()))?;
        let n: i32 = row.try_get("last_site")?;
        let number = WebsiteNumber {
            subject: $subject.clone(),
            n: u32::try_from(n).unwrap_or(0),
        };
        sqlx::query(WEBSITE_NUMBER_INSERT)
            .bind(&subject_text)
            .bind(n)
            .bind(number.to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        number
    }};
}

/// Consume service number `$sn` for website `$website` inside the open transaction `$tx`:
/// exactly one of any number of concurrent callers takes it. Evaluates to the instance's
/// remaining count; returns `QuotaExhausted` (already consumed, or the instance is full) or
/// `UnknownProduct` from the enclosing function otherwise.
macro_rules! consume_in {
    ($tx:expr, $sn:expr, $website:expr, $now:expr) => {{
        let taken = sqlx::query(SN_CONSUME)
            .bind($sn)
            .bind($website)
            .bind($now)
            .fetch_optional(&mut *$tx)
            .await?;
        let Some(taken) = taken else {
            let exists = sqlx::query(SN_EXISTS)
                .bind($sn)
                .fetch_optional(&mut *$tx)
                .await?
                .is_some();
            return Err(if exists {
                StoreError::QuotaExhausted($sn.to_owned())
            } else {
                StoreError::UnknownProduct($sn.to_owned())
            });
        };
        let instance: String = taken.try_get("instance_id")?;
        let remaining: i32 = sqlx::query(INSTANCE_CONSUME)
            .bind(&instance)
            .fetch_optional(&mut *$tx)
            .await?
            .ok_or_else(|| StoreError::QuotaExhausted($sn.to_owned()))?
            .try_get("remaining")?;
        remaining
    }};
}

/// A product instance as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    /// The instance (实例) ID.
    pub instance_id: String,
    /// The owner's account ID (`None`: not assigned to an applicant).
    pub account: Option<String>,
    pub kind: String,
    pub mainland: bool,
    pub subscription: bool,
    pub public_bandwidth: bool,
    pub expires: time::Date,
    /// Service numbers this instance may be given.
    pub quota: i32,
    /// Service numbers given so far (≤ quota).
    pub issued: i32,
    /// Service numbers consumed by approved websites (never decreases).
    pub consumed: i32,
}

/// A service number (备案服务号) as stored; its state is derived (see `beian-server`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNumberRow {
    pub number: String,
    pub instance_id: String,
    /// The website that consumed it, for good.
    pub website_number: Option<String>,
    pub issued_at: OffsetDateTime,
}

const PRODUCT_COLUMNS: &str = "products.instance_id, products.account, products.kind, products.mainland, products.subscription, \
     products.public_bandwidth, products.expires, products.quota, products.issued, products.consumed";

fn product_from_row<R: Row>(r: &R) -> Result<ProductRow, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> i32: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> bool: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> Option<String>: sqlx::Decode<'v, R::Database>,
    for<'v> time::Date: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ProductRow {
        instance_id: r.try_get("instance_id")?,
        account: r.try_get("account")?,
        kind: r.try_get("kind")?,
        mainland: r.try_get("mainland")?,
        subscription: r.try_get("subscription")?,
        public_bandwidth: r.try_get("public_bandwidth")?,
        expires: r.try_get("expires")?,
        quota: r.try_get("quota")?,
        issued: r.try_get("issued")?,
        consumed: r.try_get("consumed")?,
    })
}

fn service_number_from_row<R: Row>(r: &R) -> Result<ServiceNumberRow, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> Option<String>: sqlx::Decode<'v, R::Database>,
    for<'v> OffsetDateTime: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ServiceNumberRow {
        number: r.try_get("number")?,
        instance_id: r.try_get("instance_id")?,
        website_number: r.try_get("website_number")?,
        issued_at: r.try_get("issued_at")?,
    })
}

/// One entry of the audit history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// What the entry is about (`order:42`, `product:SN0001`).
    pub subject: String,
    pub actor: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reasons: String,
    pub note: String,
    pub at: OffsetDateTime,
}

/// The store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
}

/// How hard SQLite works to keep an acknowledged transaction (PostgreSQL keeps its own settings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteDurability {
    /// `synchronous = NORMAL` in WAL mode: a transaction survives a crash or kill of the process
    /// as soon as it is acknowledged; after a power cut or kernel crash the last transactions
    /// before it may be lost (never half-applied). One fsync per checkpoint, not per commit.
    #[default]
    Process,
    /// `synchronous = FULL`: a transaction survives a power cut too, at one fsync per commit.
    PowerLoss,
}

impl SqliteDurability {
    /// `normal` or `full`, as in the configuration.
    pub fn parse(s: &str) -> Option<SqliteDurability> {
        match s {
            "normal" => Some(SqliteDurability::Process),
            "full" => Some(SqliteDurability::PowerLoss),
            _ => None,
        }
    }
}

impl Store {
    /// Connect to `sqlite://PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_with(url, SqliteDurability::default()).await
    }

    /// Connect, choosing SQLite's durability.
    pub async fn connect_with(
        url: &str,
        durability: SqliteDurability,
    ) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(match durability {
                    SqliteDurability::Process => SqliteSynchronous::Normal,
                    SqliteDurability::PowerLoss => SqliteSynchronous::Full,
                })
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // No ping before each use: the database is a local file, and a ping is one more
            // round trip to the connection's thread per statement.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Ok(Store {
                pool: Pool::Sqlite { read, write },
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await?;
            Ok(Store {
                pool: Pool::Postgres(pool),
            })
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Apply the backend's migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Is the database reachable?
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, p => {
            sqlx::query("SELECT 1").execute(p).await?;
            Ok(())
        })
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Issue the next subject number of a province, atomically. The serial arithmetic is
    /// `beian_core::numbers::next_subject_serial` done by the database on the counter row.
    pub async fn issue_subject_number(
        &self,
        province: u8,
        abbr: char,
        year: i32,
        now: OffsetDateTime,
    ) -> Result<SubjectNumber, StoreError> {
        let base = i64::from(year) * 1_000_000;
        let province = i16::from(province);
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let number = issue_subject_in!(tx, province, base, abbr, now);
            tx.commit().await?;
            Ok(number)
        })
    }

    /// Issue the next website number under a subject number, atomically; never reused.
    pub async fn issue_website_number(
        &self,
        subject: &SubjectNumber,
        now: OffsetDateTime,
    ) -> Result<WebsiteNumber, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let number = issue_website_in!(tx, subject, now);
            tx.commit().await?;
            Ok(number)
        })
    }

    /// Create or update a product instance (quota, issue and consumption are never lowered here).
    pub async fn put_product(&self, p: &ProductRow) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query(
                "INSERT INTO products (instance_id, account, kind, mainland, subscription, public_bandwidth, expires, quota, issued, consumed) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (instance_id) DO UPDATE SET account = excluded.account, kind = excluded.kind, mainland = excluded.mainland, \
                 subscription = excluded.subscription, public_bandwidth = excluded.public_bandwidth, expires = excluded.expires",
            )
            .bind(&p.instance_id)
            .bind(&p.account)
            .bind(&p.kind)
            .bind(p.mainland)
            .bind(p.subscription)
            .bind(p.public_bandwidth)
            .bind(p.expires)
            .bind(p.quota)
            .bind(p.issued)
            .bind(p.consumed)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// One instance.
    pub async fn product(&self, instance_id: &str) -> Result<Option<ProductRow>, StoreError> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE instance_id = $1");
        on_pool!(self, pool => {
            match sqlx::query(&sql).bind(instance_id).fetch_optional(pool).await? {
                None => Ok(None),
                Some(r) => Ok(Some(product_from_row(&r)?)),
            }
        })
    }

    /// The instances of an account (`None`: every instance), by ID.
    pub async fn products_of(&self, account: Option<&str>) -> Result<Vec<ProductRow>, StoreError> {
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE $1 IS NULL OR account = $1 ORDER BY instance_id"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(account).fetch_all(pool).await?;
            rows.iter().map(product_from_row).collect()
        })
    }

    /// Give an instance its next service number (`{instance}-{n}`), never more than its quota:
    /// of concurrent requests for the last one exactly one succeeds.
    pub async fn issue_service_number(
        &self,
        instance_id: &str,
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let row = sqlx::query(
                "UPDATE products SET issued = issued + 1 WHERE instance_id = $1 AND issued < quota RETURNING issued",
            )
            .bind(instance_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                let exists = sqlx::query("SELECT 1 FROM products WHERE instance_id = $1")
                    .bind(instance_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                return Err(if exists {
                    StoreError::QuotaExhausted(instance_id.to_owned())
                } else {
                    StoreError::UnknownProduct(instance_id.to_owned())
                });
            };
            let n: i32 = row.try_get("issued")?;
            let number = format!("{instance_id}-{n}");
            sqlx::query("INSERT INTO service_numbers (number, instance_id, issued_at) VALUES ($1, $2, $3)")
                .bind(&number)
                .bind(instance_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(number)
        })
    }

    /// Record a service number with a given text (demo data and imports from a billing system);
    /// counts against the instance's quota like [`Store::issue_service_number`].
    pub async fn put_service_number(
        &self,
        number: &str,
        instance_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let raised = sqlx::query("UPDATE products SET issued = issued + 1 WHERE instance_id = $1 AND issued < quota")
                .bind(instance_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if raised == 0 {
                return Err(StoreError::QuotaExhausted(instance_id.to_owned()));
            }
            sqlx::query("INSERT INTO service_numbers (number, instance_id, issued_at) VALUES ($1, $2, $3)")
                .bind(number)
                .bind(instance_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// A service number with its instance.
    pub async fn service_number(
        &self,
        number: &str,
    ) -> Result<Option<(ServiceNumberRow, ProductRow)>, StoreError> {
        let sql = format!(
            "SELECT s.number, s.website_number, s.issued_at, {PRODUCT_COLUMNS} FROM service_numbers s \
             JOIN products ON products.instance_id = s.instance_id WHERE s.number = $1"
        );
        on_pool!(self, pool => {
            match sqlx::query(&sql).bind(number).fetch_optional(pool).await? {
                None => Ok(None),
                Some(r) => Ok(Some((service_number_from_row(&r)?, product_from_row(&r)?))),
            }
        })
    }

    /// The service numbers of an instance, in issue order.
    pub async fn service_numbers_of(
        &self,
        instance_id: &str,
    ) -> Result<Vec<ServiceNumberRow>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT number, instance_id, website_number, issued_at FROM service_numbers WHERE instance_id = $1 ORDER BY issued_at, number",
            )
            .bind(instance_id)
            .fetch_all(pool)
            .await?;
            rows.iter().map(service_number_from_row).collect()
        })
    }

    /// Consume a service number for a website, atomically. Returns the instance's service
    /// numbers left unconsumed.
    pub async fn consume_service_number(
        &self,
        service_number: &str,
        website_number: &str,
        now: OffsetDateTime,
    ) -> Result<i32, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let remaining = consume_in!(tx, service_number, website_number, now);
            tx.commit().await?;
            Ok(remaining)
        })
    }

    /// Append to the audit history.
    pub async fn append_history(&self, e: &HistoryEntry) -> Result<(), StoreError> {
        on_write!(self, pool => {
            sqlx::query(HISTORY_INSERT)
            .bind(&e.subject)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.from_state)
            .bind(&e.to_state)
            .bind(&e.reasons)
            .bind(&e.note)
            .bind(e.at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The history of one subject, oldest first.
    pub async fn history(&self, subject: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT subject, actor, action, from_state, to_state, reasons, note, at FROM history \
                 WHERE subject = $1 ORDER BY id",
            )
            .bind(subject)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(HistoryEntry {
                        subject: r.try_get("subject")?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        from_state: r.try_get("from_state")?,
                        to_state: r.try_get("to_state")?,
                        reasons: r.try_get("reasons")?,
                        note: r.try_get("note")?,
                        at: r.try_get("at")?,
                    })
                })
                .collect()
        })
    }

    /// Run a raw statement (tests use it to prove what the schema refuses).
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        on_write!(self, pool => Ok(sqlx::query(sql).execute(pool).await?.rows_affected()))
    }
}

mod accounts;
mod audit;
mod blacklist;
mod dashboard;
mod documents;
mod events;
mod idempotency;
mod national_record;
mod orders;
mod sms;
#[cfg(feature = "testing")]
pub mod testing;
pub use accounts::{
    AccountRow, AccountStatus, CredentialError, ROLES, validate_email, validate_login,
    validate_password, validate_role,
};
pub use audit::{AuditEntry, AuditFilter};
pub use blacklist::{BlacklistEntry, BlacklistKind};
pub use dashboard::QueueRow;
pub use documents::{BackdropRequest, DocumentReview, DocumentRow, NewDocument};
pub use events::{DeliveryRow, DueDelivery, EventRow, WebhookRow};
pub use idempotency::Claim;
pub use national_record::{
    Approval, ApprovalPlan, GateChange, PlannedSubject, PlannedWebsite, QueryBy, RecordedWebsite,
    Rectification,
};
pub use orders::{ClaimRefused, NewOrder, OrderRow, RejectionRow};
pub use sms::{SmsChallenge, SmsMessage};
mod domain_library;
pub use domain_library::{
    CSV_COLUMNS, FieldProblem, ImportError, ImportSummary, RegistrarEntry, RegistrarError,
    RegistrarFields, RegistrarRecord,
};
