//! The built-in administration's national record (全国备案库) over HTTP: other providers'
//! filings recorded (so that transfers and "filed elsewhere" are real on one machine) and
//! revocations (撤销备案). Route paths keep their historical `/registry/` segment.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use beian_rules::detect::normalise_credential_number;
use beian_store::{ApprovalPlan, PlannedSubject, PlannedWebsite, StoreError};
use serde::Deserialize;
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};

pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/registry/filings", record_foreign_filing)
        .post("/api/v1/registry/revocations", revoke)
}

fn field_problem(path: &str, detail: &str) -> ApiError {
    ApiError::invalid(path, "字段无效 / Invalid field", detail)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ForeignSubject {
    pub nature: String,
    pub name: String,
    pub credential_type: String,
    pub credential: String,
    #[serde(default)]
    pub mobiles: Vec<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ForeignWebsite {
    pub name: String,
    pub domains: Vec<String>,
}

/// A filing made through another provider, as the national record holds it.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct ForeignFiling {
    pub provider: String,
    pub province: String,
    pub subject: ForeignSubject,
    pub websites: Vec<ForeignWebsite>,
}

/// `POST /api/v1/registry/filings` (the administration): record another provider's filing, so
/// that transfers and "filed elsewhere" are real on one machine.
pub async fn record_foreign_filing(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(f): ApiJson<ForeignFiling>,
) -> Result<(StatusCode, Json<RecordedFiling>), ApiError> {
    let provider = f.provider.trim().to_owned();
    if provider.is_empty() || provider == state.provider {
        return Err(field_problem(
            "provider",
            "应为另一家接入商 / the provider must be another provider",
        ));
    }
    let code = f.province.trim().parse::<u8>().unwrap_or(0);
    let Some(abbr) = state
        .engine
        .data()
        .province_by_code(code)
        .and_then(|p| p.abbr.chars().next())
    else {
        return Err(field_problem(
            "province",
            "省份代码无效 / unknown province code",
        ));
    };
    if beian_rules::model::Nature::parse(f.subject.nature.trim()).is_none() {
        return Err(field_problem(
            "subject.nature",
            "主体性质无效 / unknown nature",
        ));
    }
    if beian_rules::model::CredentialType::parse(f.subject.credential_type.trim()).is_none() {
        return Err(field_problem(
            "subject.credential_type",
            "证件类型无效 / unknown credential type",
        ));
    }
    if f.websites.is_empty() {
        return Err(field_problem(
            "websites",
            "至少一个网站 / at least one website",
        ));
    }
    let mut websites = Vec::with_capacity(f.websites.len());
    for (i, w) in f.websites.iter().enumerate() {
        let mut domains = Vec::new();
        for (j, d) in w.domains.iter().enumerate() {
            match beian_rules::detect::registrable_ascii(d) {
                Some(r) => domains.push(r),
                None => {
                    return Err(field_problem(
                        &format!("websites[{i}].domains[{j}]"),
                        "不是有效的域名 / not a valid domain name",
                    ));
                }
            }
        }
        websites.push(PlannedWebsite {
            name: w.name.trim().to_owned(),
            domains,
            service_number: None,
        });
    }
    let now = OffsetDateTime::now_utc();
    let plan = ApprovalPlan {
        filing_type: beian_rules::FilingType::Initial,
        province: code,
        abbr,
        year: now.to_offset(beian_core::sla::CHINA).year(),
        provider,
        account: None,
        subject: PlannedSubject {
            nature: f.subject.nature.trim().to_owned(),
            name: f.subject.name.trim().to_owned(),
            credential_type: f.subject.credential_type.trim().to_owned(),
            credential: normalise_credential_number(&f.subject.credential),
            mobiles: f.subject.mobiles,
        },
        websites,
    };
    match state
        .store
        .record_filing(&plan, &state.provider, &caller.actor(), now)
        .await
    {
        Ok(a) => Ok((
            StatusCode::CREATED,
            Json(RecordedFiling {
                subject_number: a.subject.to_string(),
                website_numbers: a.websites.iter().map(ToString::to_string).collect(),
            }),
        )),
        Err(StoreError::DomainOnRecord(d)) => Err(ApiError::conflict(
            "domain-on-record",
            "域名已备案 / Domain on record",
            format!("{d} 已备案 / {d} is on record already"),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Revocation {
    /// A subject number (all its websites) or a website number.
    pub number: String,
    pub reason: String,
}

/// `POST /api/v1/registry/revocations` (the administration): revoke a filing (撤销备案).
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(r): ApiJson<Revocation>,
) -> Result<Json<Revoked>, ApiError> {
    if r.reason.trim().is_empty() {
        return Err(field_problem("reason", "请说明撤销原因 / give the reason"));
    }
    match state
        .store
        .revoke(
            r.number.trim(),
            &state.provider,
            &caller.actor(),
            r.reason.trim(),
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(revoked) => Ok(Json(Revoked { revoked })),
        Err(StoreError::NotOnRecord(_)) => Err(field_problem(
            "number",
            "没有这个已备案的号码 / no filed subject or website with this number",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The OpenAPI entries of these routes.
pub fn openapi_paths(problem: &serde_json::Value) -> serde_json::Value {
    let bearer = serde_json::json!([{"bearer": []}]);
    serde_json::json!({
        "/api/v1/products": {
            "get": {"summary": "Product instances with quota, service numbers (unbound, bound, filing, filed, invalid) and the exact reasons an instance is ineligible (applicants: their own; staff: all)", "security": bearer, "responses": {"200": {"description": "instances"}, "401": problem}},
            "post": {"summary": "Register or update an instance (supervisors): instance_id, owner, kind, region, billing, expires, public_bandwidth, quota (≤ 5)", "security": bearer, "responses": {"201": {"description": "registered"}, "403": problem, "422": problem}}
        },
        "/api/v1/products/{instance}/service-numbers": {"post": {"summary": "Apply for a service number on an instance (its owner)", "security": bearer,
            "parameters": [{"name": "instance", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"201": {"description": "service_number"}, "404": problem, "409": problem}}},
        "/api/v1/public/query": {"get": {"summary": "Public query by exactly one of domain, number, subject, credential (rate limited); outcome filed, not_filed or unknown; no credential numbers, phones or addresses",
            "parameters": [{"name": "domain", "in": "query", "schema": {"type": "string"}}, {"name": "number", "in": "query", "schema": {"type": "string"}}, {"name": "subject", "in": "query", "schema": {"type": "string"}}, {"name": "credential", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "outcome and records"}, "422": problem, "429": problem, "503": {"description": "outcome unknown"}}}},
        "/api/v1/gate/snapshot": {"get": {"summary": "Every domain's gate state as the gate's compact snapshot (gate token or supervisor); X-Beian-Snapshot-Seq", "security": bearer, "responses": {"200": {"description": "application/octet-stream"}, "401": problem, "403": problem}}},
        "/api/v1/gate/in-progress": {"get": {"summary": "Registrable domains of this provider's filings in progress and not yet allowed, for gates that let ACME HTTP-01 challenges through (gate token or supervisor)", "security": bearer,
            "responses": {"200": {"description": "domains"}, "401": problem, "403": problem}}},
        "/api/v1/gate/changes": {"get": {"summary": "Gate feed: changes after a sequence number, long-polled (gate token or supervisor)", "security": bearer,
            "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}}, {"name": "limit", "in": "query", "schema": {"type": "integer"}}, {"name": "wait", "in": "query", "schema": {"type": "integer", "maximum": 30}}],
            "responses": {"200": {"description": "last_seq, snapshot_required, changes [{seq, domain, state}]"}, "401": problem, "403": problem}}},
        "/api/v1/rectifications": {
            "post": {"summary": "Notify a filed subject to rectify by a deadline (supervisors): subject_number, reason, deadline (YYYY-MM-DD) or working_days", "security": bearer, "responses": {"201": {"description": "the notice"}, "403": problem, "422": problem}},
            "get": {"summary": "Rectification notices (staff: all; applicants: their subject's)", "security": bearer, "responses": {"200": {"description": "notices"}}}
        },
        "/api/v1/rectifications/{id}/resolve": {"post": {"summary": "Close a notice as rectified (staff)", "security": bearer,
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "rectified"}, "403": problem, "409": problem}}},
        "/api/v1/registry/filings": {"post": {"summary": "Record another provider's filing in the national record (administration)", "security": bearer, "responses": {"201": {"description": "subject_number, website_numbers"}, "403": problem, "409": problem, "422": problem}}},
        "/api/v1/registry/revocations": {"post": {"summary": "Revoke a subject or website number (administration)", "security": bearer, "responses": {"200": {"description": "revoked website numbers"}, "403": problem, "422": problem}}},
        "/api/v1/jobs/run": {"post": {"summary": "Run the due time-driven transitions now: expiry, SMS timeouts, rectification deadlines (supervisors)", "security": bearer, "responses": {"200": {"description": "what was done"}, "403": problem}}}
    })
}

/// The numbers another provider's filing holds in the national record.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct RecordedFiling {
    pub subject_number: String,
    pub website_numbers: Vec<String>,
}

/// The website numbers a revocation took off the record.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Revoked {
    pub revoked: Vec<String>,
}
