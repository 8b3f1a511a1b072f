//! The access gate's feed over HTTP: the snapshot of every domain's state, the long-polled change
//! feed, and the domains of filings in progress (for the ACME exception). Gates present the
//! configured gate token; a supervisor may read them too (`crate::authz`).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use beian_core::workflow::OrderState;
use serde::Deserialize;

use super::Routes;
use crate::AppState;
use crate::error::ApiError;

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/gate/snapshot", gate_snapshot)
        .get("/api/v1/gate/changes", gate_changes)
        .get("/api/v1/gate/in-progress", gate_in_progress)
}

/// `GET /api/v1/gate/in-progress`: the registrable domains of this provider's filings in
/// progress (submitted, not yet decided; cancellations excluded), for gates that let ACME
/// HTTP-01 challenges through for them (`beian gate … --acme-from-feed`), so that HTTPS is ready
/// the moment a filing is approved. Domains already allowed are left out.
pub async fn gate_in_progress(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let open = [
        OrderState::ProviderReview,
        OrderState::Verification,
        OrderState::ReadyForAdministration,
        OrderState::SmsVerification,
        OrderState::AdministrationReview,
    ];
    let orders = state.store.orders_in_states(&open).await?;
    let mut domains = std::collections::BTreeSet::new();
    for (o, _) in orders {
        if beian_rules::FilingType::parse(&o.filing_type).is_none_or(|t| t.is_cancellation()) {
            continue;
        }
        let Ok(doc) =
            beian_rules::parse_document(&format!("{{\"application\": {}}}", o.application))
        else {
            continue;
        };
        domains.extend(crate::service::filing::application_domains(
            &doc.application,
        ));
    }
    // Leave out what the gate already allows.
    let domains: Vec<String> = domains.into_iter().collect();
    let allowed = state.store.gate_allowed_among(&domains).await?;
    let out: Vec<&String> = domains.iter().filter(|d| !allowed.contains(*d)).collect();
    Ok(Json(InProgress {
        domains: out.into_iter().cloned().collect(),
    })
    .into_response())
}

/// `GET /api/v1/gate/snapshot`: every domain's state, as the gate's compact snapshot, with the
/// feed sequence number it is current to in `X-Beian-Snapshot-Seq`.
pub async fn gate_snapshot(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let (seq, entries) = state.store.gate_snapshot().await?;
    let version = u64::try_from(seq).unwrap_or(0);
    let body = beian_gate::snapshot::encode(
        version,
        entries
            .iter()
            .filter_map(|(d, s)| beian_gate::DomainState::parse(s).map(|s| (d.as_str(), s))),
    );
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&seq.to_string()) {
        r.headers_mut().insert("x-beian-snapshot-seq", v);
    }
    Ok(r)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ChangesQuery {
    #[serde(default)]
    pub after: i64,
    pub limit: Option<i64>,
    pub wait: Option<u64>,
}

/// The longest a feed request is held open.
pub const GATE_MAX_WAIT: Duration = Duration::from_secs(30);

/// `GET /api/v1/gate/changes?after=SEQ&limit=N&wait=SECS`: changes after `after`, oldest first;
/// with none it waits up to `wait` seconds (at most 30) and answers as soon as one arrives.
/// `snapshot_required` when the gate is ahead of this server (a restored database): reload.
pub async fn gate_changes(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ChangesQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(10_000).clamp(1, 100_000);
    let wait = Duration::from_secs(q.wait.unwrap_or(0)).min(GATE_MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    let mut head = state.gate_head.clone();
    loop {
        let last_seq = state.store.gate_last_seq().await?;
        if q.after > last_seq {
            return Ok(Json(GateChanges {
                last_seq,
                snapshot_required: true,
                changes: Vec::new(),
            })
            .into_response());
        }
        let changes = if q.after < last_seq {
            state.store.gate_changes_after(q.after, limit).await?
        } else {
            Vec::new()
        };
        if !changes.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(Json(GateChanges {
                last_seq,
                snapshot_required: false,
                changes: changes
                    .into_iter()
                    .map(|c| GateChange {
                        seq: c.seq,
                        domain: c.domain,
                        state: c.state,
                    })
                    .collect(),
            })
            .into_response());
        }
        // Woken by the head watcher (or at the deadline).
        let _ = tokio::time::timeout_at(deadline, head.changed()).await;
    }
}

/// The registrable domains of filings in progress not yet allowed (for the ACME exception).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct InProgress {
    pub domains: Vec<String>,
}

/// Changes of the gate's state after a sequence number, oldest first.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct GateChanges {
    pub last_seq: i64,
    /// The gate is ahead of this server (a restored database): load the snapshot again.
    pub snapshot_required: bool,
    pub changes: Vec<GateChange>,
}

/// One domain's new state.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct GateChange {
    pub seq: i64,
    pub domain: String,
    /// `allow`, `filed_elsewhere`, `access_cancelled`, `revoked` or `not_filed`.
    pub state: String,
}
