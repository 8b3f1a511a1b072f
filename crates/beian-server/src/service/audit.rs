//! The audit trail (审计日志): every staff action and every staff read of an application or a
//! document, with who, what, when, from where and how it ended; supervisors read it, filtered.
//! Each face records its own requests (the API in its authorization middleware, the console in
//! its own), so that every staff request is written once.

use beian_core::workflow::Role;
use beian_store::{AuditEntry, AuditFilter};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::Caller;

/// Is the caller's every request recorded? (Applicants' are not: they see only their own.)
pub fn audited(role: Role) -> bool {
    matches!(
        role,
        Role::Reviewer | Role::Supervisor | Role::Administration
    )
}

/// The API's reads that show an application or a document (other staff reads are lists).
pub const AUDITED_READS: &[&str] = &["getOrder", "listDocuments", "documentFile"];

/// Record one request of `caller` (nothing for an applicant). A failure to write is logged, not
/// raised: the request it describes has already happened.
pub async fn record(state: &AppState, caller: &Caller, action: &str, target: &str, status: u16) {
    if !audited(caller.role) {
        return;
    }
    let entry = AuditEntry {
        id: 0,
        at: OffsetDateTime::now_utc(),
        actor: caller.actor(),
        role: caller.role.as_str().to_owned(),
        action: action.chars().take(200).collect(),
        target: target.chars().take(500).collect(),
        ip: caller.from.map(|ip| ip.to_string()).unwrap_or_default(),
        status: i32::from(status),
    };
    if let Err(e) = state.store.record_audit(&entry).await {
        tracing::error!(error = %e, action, "the audit trail could not be written");
    }
}

/// What a supervisor asks of the trail.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct AuditQuery {
    /// A staff login: only that account's entries.
    #[serde(default)]
    pub login: Option<String>,
    /// Part of the action (`reject`, `documentFile`).
    #[serde(default)]
    pub action: Option<String>,
    /// An order: only the entries about it.
    #[serde(default)]
    pub order: Option<i64>,
    /// Entries older than this id (the next page).
    #[serde(default)]
    pub before: Option<i64>,
    /// At most this many (1–500, default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One entry as supervisors see it, with the staff login.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct AuditView {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
    pub login: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub status: i32,
}

/// The entries matching `q`, newest first. An unknown login matches nothing.
pub async fn list(
    state: &AppState,
    q: &AuditQuery,
) -> Result<Vec<AuditView>, beian_store::StoreError> {
    let logins: std::collections::BTreeMap<String, String> =
        state.store.staff_logins().await?.into_iter().collect();
    let actor = match q.login.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(login) => match logins.iter().find(|(_, l)| l.as_str() == login) {
            Some((actor, _)) => Some(actor.clone()),
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let filter = AuditFilter {
        actor,
        action: q.action.clone().filter(|a| !a.trim().is_empty()),
        // Both faces' paths name an order as `/orders/{id}`, followed by `/` or nothing.
        target: q.order.map(|o| format!("/orders/{o}")),
        before_id: q.before,
        limit: q.limit.unwrap_or(100),
    };
    Ok(state
        .store
        .audit(&filter)
        .await?
        .into_iter()
        // `/orders/7` must not find `/orders/70`.
        .filter(|e| match q.order {
            Some(o) => {
                let needle = format!("/orders/{o}");
                e.target.match_indices(&needle).any(|(i, _)| {
                    matches!(
                        e.target.as_bytes().get(i + needle.len()),
                        None | Some(b'/') | Some(b'?')
                    )
                })
            }
            None => true,
        })
        .map(|e| AuditView {
            login: logins
                .get(&e.actor)
                .cloned()
                .unwrap_or_else(|| e.actor.clone()),
            id: e.id,
            at: e.at,
            role: e.role,
            action: e.action,
            target: e.target,
            ip: e.ip,
            status: e.status,
        })
        .collect())
}
