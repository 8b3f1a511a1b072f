//! The national filing record (全国备案信息库) and what an approval does to it, for every filing type; the
//! access gate's state per domain and its ordered change feed; revocation and rectification.
//!
//! The built-in administration shares this database with the provider, so an approval issues the
//! numbers, writes the national record, consumes the service numbers, updates the gate and sets
//! the order approved in one transaction: a result is never lost and never applied twice (the
//! order's claim `WHERE version = $n AND state = <the transition's from>` admits exactly one).

use beian_core::numbers::{SubjectNumber, WebsiteNumber};
use beian_core::workflow::{Effect, Transition};
use beian_rules::model::FilingType;
use sqlx::Row;
use time::OffsetDateTime;

use super::documents::emit_event_in;
use super::{
    COUNTER_NEXT, HISTORY_INSERT, INSTANCE_CONSUME, Pool, SN_CONSUME, SN_EXISTS,
    SUBJECT_NUMBER_INSERT, Store, StoreError, WEBSITE_NEXT, WEBSITE_NUMBER_INSERT,
};

/// The subject as the approval records it.
#[derive(Debug, Clone, Default)]
pub struct PlannedSubject {
    pub nature: String,
    pub name: String,
    pub credential_type: String,
    /// Normalised (trimmed, upper-case).
    pub credential: String,
    pub mobiles: Vec<String>,
}

/// One website of an approval.
#[derive(Debug, Clone, Default)]
pub struct PlannedWebsite {
    pub name: String,
    /// Registrable domains, lower-case IDNA ASCII.
    pub domains: Vec<String>,
    /// The service number it consumes (`None`: another provider's record, nothing consumed).
    pub service_number: Option<String>,
}

/// What an approval applies: for new websites the subject number (kept when the subject is on
/// record) and one website number and one service number per website; for transfers, changes and
/// cancellations the change to the record the filing type means.
#[derive(Debug, Clone)]
pub struct ApprovalPlan {
    pub filing_type: FilingType,
    pub province: u8,
    pub abbr: char,
    pub year: i32,
    /// The provider whose access the approval opens or closes.
    pub provider: String,
    /// The applicant account (`None` for another provider's record).
    pub account: Option<String>,
    pub subject: PlannedSubject,
    pub websites: Vec<PlannedWebsite>,
}

/// The numbers an approval issued or touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub subject: SubjectNumber,
    pub websites: Vec<WebsiteNumber>,
}

/// A website on record, as the rules and the public query see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedWebsite {
    pub subject_number: String,
    pub subject_name: String,
    pub nature: String,
    pub province: i16,
    pub credential_type: String,
    pub credential: String,
    pub mobiles: Vec<String>,
    pub website_number: String,
    pub website_name: String,
    pub service_number: Option<String>,
    pub domains: Vec<String>,
    pub approved_at: OffsetDateTime,
    /// Access by `provider` is active.
    pub accessed_here: bool,
    pub status: String,
}

/// A change of the gate feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateChange {
    pub seq: i64,
    pub domain: String,
    /// `allow`, `filed_elsewhere`, `access_cancelled`, `revoked` or `not_filed`.
    pub state: String,
}

/// A rectification notice (信息核查).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rectification {
    pub id: i64,
    pub subject_number: String,
    pub reason: String,
    pub deadline: OffsetDateTime,
    pub state: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

/// How the public query looks a filing up (SPEC §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryBy {
    Domain,
    /// A subject or website ICP number.
    Number,
    SubjectName,
    Credential,
}

/// The gate state of a domain whose website has `status` and this provider's `access`.
fn gate_state(status: &str, access: Option<&str>) -> Option<&'static str> {
    match (status, access) {
        ("revoked", _) => Some("revoked"),
        ("filed", Some("active")) => Some("allow"),
        ("filed", Some(_)) => Some("access_cancelled"),
        ("filed", None) => Some("filed_elsewhere"),
        _ => None,
    }
}

/// A domain's website status and this provider's access on record, and its gate state now: one
/// row, whatever is absent.
const GATE_STATE: &str = "SELECT \
     (SELECT w.status FROM record_domains d JOIN record_websites w ON w.website_number = d.website_number \
      WHERE d.domain = $1) AS status, \
     (SELECT a.state FROM record_domains d JOIN record_access a ON a.website_number = d.website_number \
      AND a.provider = $2 WHERE d.domain = $1) AS access, \
     (SELECT g.state FROM gate_domains g WHERE g.domain = $1) AS old";

/// Recompute the gate state of `$domains` for `$provider` inside `$tx`, appending a feed change
/// for each one that changed. The head row's update holds its lock until commit, so sequence
/// numbers are handed out in commit order.
macro_rules! gate_refresh {
    ($tx:expr, $provider:expr, $domains:expr, $now:expr) => {{
        let mut domains: Vec<String> = $domains;
        domains.sort();
        domains.dedup();
        for domain in &domains {
            let row = sqlx::query(GATE_STATE)
                .bind(domain)
                .bind($provider)
                .fetch_one(&mut *$tx)
                .await?;
            let status: Option<String> = row.try_get("status")?;
            let access: Option<String> = row.try_get("access")?;
            let old: Option<String> = row.try_get("old")?;
            let new = status.and_then(|s| gate_state(&s, access.as_deref()));
            if old.as_deref() == new {
                continue;
            }
            let seq: i64 = sqlx::query("UPDATE gate_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq")
                .fetch_one(&mut *$tx)
                .await?
                .try_get("last_seq")?;
            match new {
                Some(state) => {
                    sqlx::query(
                        "INSERT INTO gate_domains (domain, state, seq) VALUES ($1, $2, $3) \
                         ON CONFLICT (domain) DO UPDATE SET state = excluded.state, seq = excluded.seq",
                    )
                    .bind(domain)
                    .bind(state)
                    .bind(seq)
                    .execute(&mut *$tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM gate_domains WHERE domain = $1")
                        .bind(domain)
                        .execute(&mut *$tx)
                        .await?;
                }
            }
            sqlx::query("INSERT INTO gate_changes (seq, domain, state, at) VALUES ($1, $2, $3, $4)")
                .bind(seq)
                .bind(domain)
                .bind(new.unwrap_or("not_filed"))
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// The filed website of subject `$subject` (text) that holds one of `$domains`, inside `$tx`.
macro_rules! website_of {
    ($tx:expr, $subject:expr, $domains:expr) => {{
        let mut found: Option<String> = None;
        for d in $domains.iter() {
            let row = sqlx::query(
                "SELECT w.website_number FROM record_domains d JOIN record_websites w ON w.website_number = d.website_number \
                 WHERE d.domain = $1 AND w.subject_number = $2 AND w.status = 'filed'",
            )
            .bind(d)
            .bind($subject)
            .fetch_optional(&mut *$tx)
            .await?;
            if let Some(r) = row {
                found = Some(r.try_get::<String, _>("website_number")?);
                break;
            }
        }
        match found {
            Some(w) => w,
            None => {
                return Err(StoreError::NotOnRecord(
                    $domains.first().cloned().unwrap_or_default(),
                ))
            }
        }
    }};
}

/// The domains of website `$website` on record, inside `$tx`.
macro_rules! domains_of {
    ($tx:expr, $website:expr) => {{
        let rows = sqlx::query("SELECT domain FROM record_domains WHERE website_number = $1")
            .bind($website)
            .fetch_all(&mut *$tx)
            .await?;
        let mut v: Vec<String> = Vec::with_capacity(rows.len());
        for r in &rows {
            v.push(r.try_get("domain")?);
        }
        v
    }};
}

/// A unique violation on `record_domains` means the domain is on record already.
fn domain_violation(domain: &str, e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::DomainOnRecord(domain.to_owned())
        }
        _ => StoreError::Database(e),
    }
}

/// File new websites (initial and both add-website types, and another provider's record) inside
/// `$tx`: the subject's number (issued unless the subject is on record), a website number per
/// website, its service number consumed, its domains and the provider's access recorded.
macro_rules! file_new_websites {
    ($tx:expr, $plan:expr, $now:expr, $touched:expr) => {{
        let plan: &ApprovalPlan = $plan;
        let existing = sqlx::query(
            "SELECT subject_number FROM record_subjects WHERE credential = $1 AND status = 'filed'",
        )
        .bind(&plan.subject.credential)
        .fetch_optional(&mut *$tx)
        .await?;
        let subject = match existing {
            Some(r) => parse_subject(&r.try_get::<String, _>("subject_number")?)?,
            None => {
                let province = i16::from(plan.province);
                let base = i64::from(plan.year) * 1_000_000;
                let s = issue_subject_in!($tx, province, base, plan.abbr, $now);
                sqlx::query(
                    "INSERT INTO record_subjects (subject_number, province, nature, name, credential_type, credential, mobiles, account, status, approved_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'filed', $9, $9)",
                )
                .bind(s.to_string())
                .bind(province)
                .bind(&plan.subject.nature)
                .bind(&plan.subject.name)
                .bind(&plan.subject.credential_type)
                .bind(&plan.subject.credential)
                .bind(plan.subject.mobiles.join(","))
                .bind(&plan.account)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
                s
            }
        };
        let subject_text = subject.to_string();
        let mut websites = Vec::with_capacity(plan.websites.len());
        for w in &plan.websites {
            let number = issue_website_in!($tx, subject, $now);
            let number_text = number.to_string();
            if let Some(sn) = &w.service_number {
                let _remaining = consume_in!($tx, sn.as_str(), number_text.as_str(), $now);
            }
            sqlx::query(
                "INSERT INTO record_websites (website_number, subject_number, name, service_number, status, approved_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'filed', $5, $5)",
            )
            .bind(&number_text)
            .bind(&subject_text)
            .bind(&w.name)
            .bind(&w.service_number)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
            for d in &w.domains {
                sqlx::query("INSERT INTO record_domains (domain, website_number) VALUES ($1, $2)")
                    .bind(d)
                    .bind(&number_text)
                    .execute(&mut *$tx)
                    .await
                    .map_err(|e| domain_violation(d, e))?;
                $touched.push(d.clone());
            }
            sqlx::query("INSERT INTO record_access (website_number, provider, state, since) VALUES ($1, $2, 'active', $3)")
                .bind(&number_text)
                .bind(&plan.provider)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            websites.push(number);
        }
        (subject, websites)
    }};
}

/// Open (or reopen) `$provider`'s access to website `$website`.
const ACCESS_OPEN: &str = "INSERT INTO record_access (website_number, provider, state, since) VALUES ($1, $2, 'active', $3) \
     ON CONFLICT (website_number, provider) DO UPDATE SET state = 'active', since = excluded.since";

fn parse_subject(text: &str) -> Result<SubjectNumber, StoreError> {
    text.parse::<SubjectNumber>()
        .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.to_string().into())))
}

fn parse_website(text: &str) -> Result<WebsiteNumber, StoreError> {
    text.parse::<WebsiteNumber>()
        .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.to_string().into())))
}

/// The applicant account of a filed subject (its latest approved order here; '' when it filed
/// through another provider), inside the open transaction `$tx`.
macro_rules! subject_account {
    ($tx:expr, $subject:expr) => {
        sqlx::query_scalar::<_, String>(
            "SELECT account FROM orders WHERE subject_number = $1 AND state = 'approved' ORDER BY id DESC LIMIT 1",
        )
        .bind($subject)
        .fetch_optional(&mut *$tx)
        .await?
        .unwrap_or_default()
    };
}

impl Store {
    /// Approve order `id` (read at `expected_version`, in administration review) and apply what
    /// its filing type means to the record, all or nothing. Of any number of concurrent approvals
    /// of one order exactly one succeeds (the others get `Conflict`); of orders racing for the
    /// last service number exactly one succeeds (the others get `QuotaExhausted` and stay in
    /// review, with nothing issued).
    pub async fn approve_order(
        &self,
        id: i64,
        expected_version: i32,
        t: &Transition,
        plan: &ApprovalPlan,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Approval, StoreError> {
        // The workflow decided the states; this applies the transition that carries the approval.
        if !t.effects.contains(&Effect::Approve) {
            return Err(StoreError::TransitionNotApproval);
        }
        let (from, to, action) = (t.from.as_str(), t.to.as_str(), format!("{:?}", t.action));
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            // Claim the order first: the write serialises concurrent approvals.
            let claimed = sqlx::query(
                "UPDATE orders SET version = version + 1 WHERE id = $1 AND version = $2 AND state = $3 \
                 RETURNING id",
            )
            .bind(id)
            .bind(expected_version)
            .bind(from)
            .fetch_optional(&mut *tx)
            .await?;
            if claimed.is_none() {
                let state: Option<String> =
                    sqlx::query("SELECT state FROM orders WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?.map(|r| r.try_get("state")).transpose()?;
                return Err(match state {
                    None => StoreError::OrderNotFound(id),
                    Some(s) if s != from => StoreError::NotInAdministrationReview(id),
                    Some(_) => StoreError::Conflict(id),
                });
            }
            let mut touched: Vec<String> = Vec::new();
            let approval = match plan.filing_type {
                FilingType::Initial | FilingType::AddWebsite | FilingType::AddWebsiteElsewhere => {
                    let (subject, websites) = file_new_websites!(tx, plan, now, touched);
                    Approval { subject, websites }
                }
                other => {
                    let row = sqlx::query(
                        "SELECT subject_number FROM record_subjects WHERE credential = $1 AND status = 'filed'",
                    )
                    .bind(&plan.subject.credential)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(row) = row else {
                        return Err(StoreError::NotOnRecord(plan.subject.credential.clone()));
                    };
                    let subject_text: String = row.try_get("subject_number")?;
                    let subject = parse_subject(&subject_text)?;
                    let mut websites = Vec::new();
                    match other {
                        FilingType::ChangeSubject => {
                            sqlx::query(
                                "UPDATE record_subjects SET name = $1, nature = $2, mobiles = $3, updated_at = $4 WHERE subject_number = $5",
                            )
                            .bind(&plan.subject.name)
                            .bind(&plan.subject.nature)
                            .bind(plan.subject.mobiles.join(","))
                            .bind(now)
                            .bind(&subject_text)
                            .execute(&mut *tx)
                            .await?;
                        }
                        FilingType::CancelSubject => {
                            let rows = sqlx::query("SELECT website_number FROM record_websites WHERE subject_number = $1 AND status = 'filed'")
                                .bind(&subject_text)
                                .fetch_all(&mut *tx)
                                .await?;
                            for r in &rows {
                                let wn: String = r.try_get("website_number")?;
                                touched.extend(domains_of!(tx, &wn));
                                sqlx::query("DELETE FROM record_domains WHERE website_number = $1").bind(&wn).execute(&mut *tx).await?;
                                sqlx::query("UPDATE record_websites SET status = 'cancelled', updated_at = $1 WHERE website_number = $2")
                                    .bind(now).bind(&wn).execute(&mut *tx).await?;
                                sqlx::query("UPDATE record_access SET state = 'cancelled', since = $1 WHERE website_number = $2")
                                    .bind(now).bind(&wn).execute(&mut *tx).await?;
                                websites.push(parse_website(&wn)?);
                            }
                            sqlx::query("UPDATE record_subjects SET status = 'cancelled', updated_at = $1 WHERE subject_number = $2")
                                .bind(now)
                                .bind(&subject_text)
                                .execute(&mut *tx)
                                .await?;
                            sqlx::query("UPDATE rectifications SET state = 'rectified', closed_at = $1 WHERE subject_number = $2 AND state = 'open'")
                                .bind(now)
                                .bind(&subject_text)
                                .execute(&mut *tx)
                                .await?;
                        }
                        _ => {
                            for w in &plan.websites {
                                let wn = website_of!(tx, &subject_text, w.domains);
                                match other {
                                    FilingType::Transfer => {
                                        if let Some(sn) = &w.service_number {
                                            let _remaining = consume_in!(tx, sn.as_str(), wn.as_str(), now);
                                        }
                                        sqlx::query("UPDATE record_websites SET service_number = $1, updated_at = $2 WHERE website_number = $3")
                                            .bind(&w.service_number).bind(now).bind(&wn).execute(&mut *tx).await?;
                                        sqlx::query(ACCESS_OPEN).bind(&wn).bind(&plan.provider).bind(now).execute(&mut *tx).await?;
                                        touched.extend(domains_of!(tx, &wn));
                                    }
                                    FilingType::ChangeWebsite => {
                                        let old = domains_of!(tx, &wn);
                                        sqlx::query("UPDATE record_websites SET name = $1, updated_at = $2 WHERE website_number = $3")
                                            .bind(&w.name).bind(now).bind(&wn).execute(&mut *tx).await?;
                                        for d in old.iter().filter(|d| !w.domains.contains(d)) {
                                            sqlx::query("DELETE FROM record_domains WHERE domain = $1").bind(d).execute(&mut *tx).await?;
                                        }
                                        for d in w.domains.iter().filter(|d| !old.contains(d)) {
                                            sqlx::query("INSERT INTO record_domains (domain, website_number) VALUES ($1, $2)")
                                                .bind(d).bind(&wn).execute(&mut *tx).await.map_err(|e| domain_violation(d, e))?;
                                        }
                                        touched.extend(old);
                                        touched.extend(w.domains.iter().cloned());
                                    }
                                    FilingType::ChangeAccess => {
                                        let current: Option<String> = sqlx::query("SELECT service_number FROM record_websites WHERE website_number = $1")
                                            .bind(&wn).fetch_one(&mut *tx).await?.try_get("service_number")?;
                                        if let Some(sn) = &w.service_number
                                            && current.as_deref() != Some(sn.as_str())
                                        {
                                            let _remaining = consume_in!(tx, sn.as_str(), wn.as_str(), now);
                                            sqlx::query("UPDATE record_websites SET service_number = $1, updated_at = $2 WHERE website_number = $3")
                                                .bind(sn).bind(now).bind(&wn).execute(&mut *tx).await?;
                                        }
                                        sqlx::query(ACCESS_OPEN).bind(&wn).bind(&plan.provider).bind(now).execute(&mut *tx).await?;
                                        touched.extend(domains_of!(tx, &wn));
                                    }
                                    FilingType::CancelWebsite => {
                                        touched.extend(domains_of!(tx, &wn));
                                        sqlx::query("DELETE FROM record_domains WHERE website_number = $1").bind(&wn).execute(&mut *tx).await?;
                                        sqlx::query("UPDATE record_websites SET status = 'cancelled', updated_at = $1 WHERE website_number = $2")
                                            .bind(now).bind(&wn).execute(&mut *tx).await?;
                                        sqlx::query("UPDATE record_access SET state = 'cancelled', since = $1 WHERE website_number = $2")
                                            .bind(now).bind(&wn).execute(&mut *tx).await?;
                                    }
                                    _ => {
                                        // CancelAccess: this provider stops serving; the number stays valid.
                                        sqlx::query("UPDATE record_access SET state = 'cancelled', since = $1 WHERE website_number = $2 AND provider = $3")
                                            .bind(now).bind(&wn).bind(&plan.provider).execute(&mut *tx).await?;
                                        touched.extend(domains_of!(tx, &wn));
                                    }
                                }
                                websites.push(parse_website(&wn)?);
                            }
                            if other.is_change() {
                                sqlx::query("UPDATE rectifications SET state = 'rectified', closed_at = $1 WHERE subject_number = $2 AND state = 'open'")
                                    .bind(now)
                                    .bind(&subject_text)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                        }
                    }
                    Approval { subject, websites }
                }
            };
            gate_refresh!(tx, &plan.provider, touched, now);
            let subject_text = approval.subject.to_string();
            let numbers = approval.websites.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            // The `orders_events` trigger reads the action and note from the row.
            sqlx::query(
                "UPDATE orders SET state = $6, in_progress = $7, subject_number = $1, updated_at = $2, \
                 sla_breached_at = NULL, last_actor = $4, last_action = $8, last_reasons = '', last_note = $5 \
                 WHERE id = $3",
            )
            .bind(&subject_text)
            .bind(now)
            .bind(id)
            .bind(actor)
            .bind(format!("{subject_text} {numbers}"))
            .bind(to)
            .bind(!t.to.is_terminal())
            .bind(&action)
            .execute(&mut *tx)
            .await?;
            sqlx::query(HISTORY_INSERT)
                .bind(format!("order:{id}"))
                .bind(actor)
                .bind(&action)
                .bind(Some(from))
                .bind(Some(to))
                .bind("")
                .bind(format!("{subject_text} {numbers}"))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(approval)
        })
    }

    /// Record a filing made through another provider (the built-in administration's national
    /// record; demo data and tests of transfers and "filed elsewhere"). Nothing is consumed here.
    pub async fn record_filing(
        &self,
        plan: &ApprovalPlan,
        this_provider: &str,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Approval, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut touched: Vec<String> = Vec::new();
            let (subject, websites) = file_new_websites!(tx, plan, now, touched);
            gate_refresh!(tx, this_provider, touched, now);
            let numbers = websites.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            sqlx::query(HISTORY_INSERT)
                .bind(format!("record:{subject}"))
                .bind(actor)
                .bind("RecordFiling")
                .bind(None::<String>)
                .bind(Some("filed"))
                .bind("")
                .bind(format!("{} {subject} {numbers}", plan.provider))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Approval { subject, websites })
        })
    }

    /// The administration revokes a subject number (all its websites) or a website number
    /// (撤销备案): the record says revoked and every gate denies the domains with `revoked`.
    pub async fn revoke(
        &self,
        number: &str,
        this_provider: &str,
        actor: &str,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let by_subject = sqlx::query("UPDATE record_subjects SET status = 'revoked', updated_at = $1 WHERE subject_number = $2 AND status = 'filed'")
                .bind(now)
                .bind(number)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let sql = if by_subject > 0 {
                "UPDATE record_websites SET status = 'revoked', updated_at = $1 WHERE subject_number = $2 AND status = 'filed' RETURNING website_number"
            } else {
                "UPDATE record_websites SET status = 'revoked', updated_at = $1 WHERE website_number = $2 AND status = 'filed' RETURNING website_number"
            };
            let rows = sqlx::query(sql).bind(now).bind(number).fetch_all(&mut *tx).await?;
            if rows.is_empty() && by_subject == 0 {
                return Err(StoreError::NotOnRecord(number.to_owned()));
            }
            let mut touched = Vec::new();
            let mut websites = Vec::new();
            for r in &rows {
                let wn: String = r.try_get("website_number")?;
                touched.extend(domains_of!(tx, &wn));
                websites.push(wn);
            }
            gate_refresh!(tx, this_provider, touched, now);
            sqlx::query(HISTORY_INSERT)
                .bind(format!("record:{number}"))
                .bind(actor)
                .bind("Revoke")
                .bind(Some("filed"))
                .bind(Some("revoked"))
                .bind("")
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(websites)
        })
    }

    /// Websites on record that the rules need for an application: every filed website of the
    /// subject with credential `credential`, and the filed websites holding any of `domains`
    /// (whoever's they are). `accessed_here` tells whether `provider` serves each.
    pub async fn filings_for(
        &self,
        credential: &str,
        domains: &[String],
        provider: &str,
    ) -> Result<Vec<RecordedWebsite>, StoreError> {
        let mut numbers: Vec<String> = Vec::new();
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT w.website_number FROM record_websites w JOIN record_subjects s ON s.subject_number = w.subject_number \
                 WHERE s.credential = $1 AND s.status = 'filed' AND w.status = 'filed'",
            )
            .bind(credential)
            .fetch_all(pool)
            .await?;
            for r in &rows {
                numbers.push(r.try_get("website_number")?);
            }
            for d in domains {
                let row = sqlx::query(
                    "SELECT d.website_number FROM record_domains d JOIN record_websites w ON w.website_number = d.website_number \
                     WHERE d.domain = $1 AND w.status = 'filed'",
                )
                .bind(d)
                .fetch_optional(pool)
                .await?;
                if let Some(r) = row {
                    numbers.push(r.try_get("website_number")?);
                }
            }
        });
        numbers.sort();
        numbers.dedup();
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            if let Some(w) = self.recorded_website(&n, provider).await? {
                out.push(w);
            }
        }
        Ok(out)
    }

    /// One website on record with its subject and domains.
    pub async fn recorded_website(
        &self,
        website_number: &str,
        provider: &str,
    ) -> Result<Option<RecordedWebsite>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT s.subject_number, s.name AS subject_name, s.nature, s.province, s.credential_type, s.credential, s.mobiles, \
                 w.website_number, w.name AS website_name, w.service_number, w.approved_at, w.status, \
                 (SELECT COUNT(*) FROM record_access a WHERE a.website_number = w.website_number AND a.provider = $2 AND a.state = 'active') AS here \
                 FROM record_websites w JOIN record_subjects s ON s.subject_number = w.subject_number WHERE w.website_number = $1",
            )
            .bind(website_number)
            .bind(provider)
            .fetch_optional(pool)
            .await?;
            let Some(r) = row else { return Ok(None) };
            let domains = sqlx::query("SELECT domain FROM record_domains WHERE website_number = $1 ORDER BY domain")
                .bind(website_number)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|d| d.try_get::<String, _>("domain"))
                .collect::<Result<Vec<_>, _>>()?;
            let mobiles: String = r.try_get("mobiles")?;
            let here: i64 = r.try_get("here")?;
            Ok(Some(RecordedWebsite {
                subject_number: r.try_get("subject_number")?,
                subject_name: r.try_get("subject_name")?,
                nature: r.try_get("nature")?,
                province: r.try_get("province")?,
                credential_type: r.try_get("credential_type")?,
                credential: r.try_get("credential")?,
                mobiles: mobiles.split(',').filter(|m| !m.is_empty()).map(str::to_owned).collect(),
                website_number: r.try_get("website_number")?,
                website_name: r.try_get("website_name")?,
                service_number: r.try_get("service_number")?,
                domains,
                approved_at: r.try_get("approved_at")?,
                accessed_here: here > 0,
                status: r.try_get("status")?,
            }))
        })
    }

    /// The public query (SPEC §10): filed websites by domain, ICP number, subject name or
    /// credential number (at most 50). The caller masks what the public must not see.
    pub async fn public_query(
        &self,
        by: QueryBy,
        value: &str,
        provider: &str,
    ) -> Result<Vec<RecordedWebsite>, StoreError> {
        let sql = match by {
            QueryBy::Domain => {
                "SELECT d.website_number FROM record_domains d JOIN record_websites w ON w.website_number = d.website_number \
                 WHERE d.domain = $1 AND w.status = 'filed'"
            }
            QueryBy::Number => {
                "SELECT w.website_number FROM record_websites w WHERE (w.website_number = $1 OR w.subject_number = $1) \
                 AND w.status = 'filed' ORDER BY w.website_number LIMIT 50"
            }
            QueryBy::SubjectName => {
                "SELECT w.website_number FROM record_websites w JOIN record_subjects s ON s.subject_number = w.subject_number \
                 WHERE s.name = $1 AND s.status = 'filed' AND w.status = 'filed' ORDER BY w.website_number LIMIT 50"
            }
            QueryBy::Credential => {
                "SELECT w.website_number FROM record_websites w JOIN record_subjects s ON s.subject_number = w.subject_number \
                 WHERE s.credential = $1 AND s.status = 'filed' AND w.status = 'filed' ORDER BY w.website_number LIMIT 50"
            }
        };
        let numbers: Vec<String> = on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(value)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("website_number"))
                .collect::<Result<Vec<_>, _>>()?
        });
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            if let Some(w) = self.recorded_website(&n, provider).await? {
                out.push(w);
            }
        }
        Ok(out)
    }

    /// The subject number on record for a credential (filed), if any.
    pub async fn subject_on_record(&self, credential: &str) -> Result<Option<String>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT subject_number FROM record_subjects WHERE credential = $1 AND status = 'filed'")
                .bind(credential)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| r.try_get("subject_number")).transpose()?)
        })
    }

    /// Which of `domains` the gate allows now (queried a thousand at a time).
    pub async fn gate_allowed_among(
        &self,
        domains: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for chunk in domains.chunks(1000) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT domain FROM gate_domains WHERE state = 'allow' AND domain IN ({list})"
            );
            let found: Vec<String> = on_pool!(self, pool => {
                let mut q = sqlx::query_scalar(&sql);
                for d in chunk {
                    q = q.bind(d);
                }
                q.fetch_all(pool).await?
            });
            out.extend(found);
        }
        Ok(out)
    }

    /// The gate feed's head: the last sequence number handed out.
    pub async fn gate_last_seq(&self) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query("SELECT last_seq FROM gate_head WHERE id = 1").fetch_one(pool).await?.try_get("last_seq")?)
        })
    }

    /// Every domain's gate state with the sequence number the set is current to, read in one
    /// transaction so that the two agree.
    pub async fn gate_snapshot(&self) -> Result<(i64, Vec<(String, String)>), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let seq: i64 = sqlx::query("SELECT last_seq FROM gate_head WHERE id = 1").fetch_one(&mut *tx).await?.try_get("last_seq")?;
            let rows = sqlx::query("SELECT domain, state FROM gate_domains").fetch_all(&mut *tx).await?;
            let mut entries = Vec::with_capacity(rows.len());
            for r in &rows {
                entries.push((r.try_get("domain")?, r.try_get("state")?));
            }
            tx.commit().await?;
            Ok((seq, entries))
        })
    }

    /// Feed changes after `after`, oldest first, at most `limit`.
    pub async fn gate_changes_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<GateChange>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT seq, domain, state FROM gate_changes WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok(GateChange { seq: r.try_get("seq")?, domain: r.try_get("domain")?, state: r.try_get("state")? }))
                .collect()
        })
    }

    /// Open a rectification notice for a filed subject.
    pub async fn rectification_open(
        &self,
        subject_number: &str,
        reason: &str,
        deadline: OffsetDateTime,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Rectification, StoreError> {
        on_write!(self, pool => {
            let filed = sqlx::query("SELECT 1 FROM record_subjects WHERE subject_number = $1 AND status = 'filed'")
                .bind(subject_number)
                .fetch_optional(pool)
                .await?
                .is_some();
            if !filed {
                return Err(StoreError::NotOnRecord(subject_number.to_owned()));
            }
            let mut tx = pool.begin().await?;
            let r = sqlx::query(
                "INSERT INTO rectifications (subject_number, reason, deadline, state, created_by, created_at) \
                 VALUES ($1, $2, $3, 'open', $4, $5) RETURNING id, subject_number, reason, deadline, state, created_by, created_at",
            )
            .bind(subject_number)
            .bind(reason)
            .bind(deadline)
            .bind(actor)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let notice = rectification_from_row(&r)?;
            let account = subject_account!(tx, subject_number);
            let data = serde_json::json!({
                "rectification": notice.id, "subject_number": subject_number, "reason": reason,
                "deadline": deadline.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            })
            .to_string();
            emit_event_in!(tx, "rectification.notified", &account, None::<i64>, &data, now);
            tx.commit().await?;
            Ok(notice)
        })
    }

    /// Rectification notices, newest first (`subject`: only that subject's).
    pub async fn rectifications(
        &self,
        subject: Option<&str>,
    ) -> Result<Vec<Rectification>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, subject_number, reason, deadline, state, created_by, created_at FROM rectifications \
                 WHERE $1 IS NULL OR subject_number = $1 ORDER BY id DESC",
            )
            .bind(subject)
            .fetch_all(pool)
            .await?;
            rows.iter().map(rectification_from_row).collect()
        })
    }

    /// Close an open notice as rectified. Returns false when it was not open.
    pub async fn rectification_resolve(
        &self,
        id: i64,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE rectifications SET state = 'rectified', closed_at = $1 WHERE id = $2 AND state = 'open'")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                sqlx::query(HISTORY_INSERT)
                    .bind(format!("rectification:{id}"))
                    .bind(actor)
                    .bind("Rectified")
                    .bind(Some("open"))
                    .bind(Some("rectified"))
                    .bind("")
                    .bind("")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    /// Notices past their deadline at `now`: each is closed as overdue and `provider`'s access
    /// to the subject's websites is cancelled (取消接入; the record stays at the administration).
    /// Returns the notices closed. Safe to run concurrently: a notice is claimed by its update.
    pub async fn rectification_deadlines(
        &self,
        provider: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<i64>, StoreError> {
        let due: Vec<(i64, String)> = on_write!(self, pool => {
            sqlx::query("SELECT id, subject_number FROM rectifications WHERE state = 'open' AND deadline <= $1 ORDER BY id")
                .bind(now)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("subject_number")?)))
                .collect::<Result<Vec<_>, _>>()?
        });
        let mut closed = Vec::new();
        for (id, subject) in due {
            let done: bool = on_write!(self, pool => {
                let mut tx = pool.begin().await?;
                let claimed = sqlx::query("UPDATE rectifications SET state = 'overdue', closed_at = $1 WHERE id = $2 AND state = 'open'")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if claimed == 0 {
                    false
                } else {
                    let rows = sqlx::query(
                        "UPDATE record_access SET state = 'cancelled', since = $1 WHERE provider = $2 AND state = 'active' \
                         AND website_number IN (SELECT website_number FROM record_websites WHERE subject_number = $3) RETURNING website_number",
                    )
                    .bind(now)
                    .bind(provider)
                    .bind(&subject)
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut touched = Vec::new();
                    for r in &rows {
                        let wn: String = r.try_get("website_number")?;
                        touched.extend(domains_of!(tx, &wn));
                    }
                    gate_refresh!(tx, provider, touched, now);
                    sqlx::query(HISTORY_INSERT)
                        .bind(format!("rectification:{id}"))
                        .bind("system")
                        .bind("RectificationOverdue")
                        .bind(Some("open"))
                        .bind(Some("overdue"))
                        .bind("")
                        .bind(format!("cancel_access {subject}"))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    let account = subject_account!(tx, &subject);
                    let data = serde_json::json!({
                        "rectification": id, "subject_number": subject, "access": "cancelled",
                    })
                    .to_string();
                    emit_event_in!(tx, "rectification.overdue", &account, None::<i64>, &data, now);
                    tx.commit().await?;
                    true
                }
            });
            if done {
                closed.push(id);
            }
        }
        Ok(closed)
    }
}

fn rectification_from_row<R: Row>(r: &R) -> Result<Rectification, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> i64: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> String: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
    for<'v> OffsetDateTime: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Rectification {
        id: r.try_get("id")?,
        subject_number: r.try_get("subject_number")?,
        reason: r.try_get("reason")?,
        deadline: r.try_get("deadline")?,
        state: r.try_get("state")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}
