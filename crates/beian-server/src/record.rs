//! The filing record over HTTP: products and their service numbers, the public query, the access
//! gate's snapshot and change feed, rectification notices, the built-in administration's record
//! of other providers' filings and revocations, and the time-driven jobs.

// A handler's early exit is an axum `Response`; boxing it would only add an allocation per error.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::product::{Ineligible, ProductInstance};
use beian_core::workflow::{Command, OrderState, Role};
use beian_rules::detect::normalise_credential_number;
use beian_store::{ApprovalPlan, PlannedSubject, PlannedWebsite, ProductRow, QueryBy, StoreError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::{Caller, token_digest};
use crate::orders::{internal, problem, role_of, step};

fn staff_only(caller: &Caller) -> Option<Response> {
    (role_of(caller) == Role::Applicant).then(|| {
        problem(
            403,
            "仅限工作人员 / Staff only",
            "this is for reviewers and supervisors",
            None,
        )
    })
}

pub(crate) fn supervisor_only(caller: &Caller) -> Option<Response> {
    (role_of(caller) != Role::Supervisor).then(|| {
        problem(
            403,
            "仅限主管 / Supervisors only",
            "only a supervisor may do this",
            None,
        )
    })
}

fn administration_only(caller: &Caller) -> Option<Response> {
    (role_of(caller) != Role::Administration).then(|| {
        problem(
            403,
            "仅限管局 / Administration only",
            "only the administration may do this",
            None,
        )
    })
}

fn field_problem(path: &str, detail: impl Into<String>) -> Response {
    problem(
        422,
        "字段无效 / Invalid field",
        detail,
        Some(path.to_owned()),
    )
}

// ---------------------------------------------------------------------------------------------
// Products and service numbers (产品与备案服务号)

/// Why an instance cannot take a filing, in both languages (what the console shows).
fn ineligible_text(i: Ineligible) -> (&'static str, &'static str) {
    match i {
        Ineligible::NotAServer => (
            "该产品不是服务器，不能用于备案",
            "this product is not a server and cannot carry a filing",
        ),
        Ineligible::Expired => (
            "实例已到期，其备案服务号已失效",
            "the instance has expired; its service numbers are invalid",
        ),
        Ineligible::OutsideMainland => {
            ("实例不在中国内地", "the instance is outside mainland China")
        }
        Ineligible::PayAsYouGo => (
            "按量付费实例不能备案，请改为包年包月",
            "pay-as-you-go instances cannot file: switch to a subscription",
        ),
        Ineligible::NoPublicBandwidth => {
            ("实例没有公网带宽", "the instance has no public bandwidth")
        }
        Ineligible::LessThanThreeMonthsLeft => (
            "实例剩余有效期不足 3 个月，请续费",
            "less than three months left on the instance: renew it",
        ),
        Ineligible::QuotaExhausted => (
            "该实例的备案服务号已达上限，请更换产品",
            "this instance has reached its limit of service numbers: switch to another product",
        ),
    }
}

#[derive(Serialize)]
struct IneligibleView {
    reason: Ineligible,
    message_zh: &'static str,
    message_en: &'static str,
}

#[derive(Serialize)]
struct ServiceNumberView {
    number: String,
    /// `unbound`, `bound` (named by a draft), `filing` (an order in progress), `filed`, `invalid`.
    state: &'static str,
    website_number: Option<String>,
}

#[derive(Serialize)]
struct ProductView {
    instance_id: String,
    kind: String,
    region: &'static str,
    billing: &'static str,
    expires: String,
    public_bandwidth: bool,
    quota: i32,
    issued: i32,
    consumed: i32,
    /// May this instance be given another service number now?
    eligible: bool,
    ineligible: Vec<IneligibleView>,
    service_numbers: Vec<ServiceNumberView>,
}

/// The instance as the core judges it: applying for a number counts numbers issued, not only
/// consumed, against the quota.
fn instance_of(p: &ProductRow) -> ProductInstance {
    ProductInstance {
        kind: p.kind.clone(),
        mainland: p.mainland,
        subscription: p.subscription,
        public_bandwidth: p.public_bandwidth,
        expires: p.expires,
        quota: u32::try_from(p.quota).unwrap_or(0),
        consumed: u32::try_from(p.issued.max(p.consumed)).unwrap_or(0),
    }
}

fn ineligibility(p: &ProductRow) -> Vec<IneligibleView> {
    instance_of(p)
        .ineligibility(beian_rules::today_in_china())
        .into_iter()
        .map(|reason| {
            let (zh, en) = ineligible_text(reason);
            IneligibleView {
                reason,
                message_zh: zh,
                message_en: en,
            }
        })
        .collect()
}

/// Service numbers named by the account's orders: (drafts, orders in progress).
async fn named_service_numbers(
    state: &AppState,
    account: Option<&str>,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let orders = match account {
        Some(a) => state.store.orders_of(a).await?,
        None => Vec::new(),
    };
    let (mut drafts, mut filing) = (Vec::new(), Vec::new());
    for o in orders {
        if o.state.is_terminal() {
            continue;
        }
        let Ok(app) = serde_json::from_str::<beian_rules::Application>(&o.application) else {
            continue;
        };
        let target = if o.in_progress {
            &mut filing
        } else {
            &mut drafts
        };
        target.extend(
            app.websites
                .iter()
                .flatten()
                .filter_map(|w| w.service_number.as_deref())
                .map(|s| s.trim().to_owned()),
        );
    }
    Ok((drafts, filing))
}

async fn product_view(
    state: &AppState,
    p: ProductRow,
    named: &(Vec<String>, Vec<String>),
) -> Result<ProductView, StoreError> {
    let expired = p.expires < beian_rules::today_in_china();
    let numbers = state.store.service_numbers_of(&p.instance_id).await?;
    Ok(ProductView {
        ineligible: ineligibility(&p),
        eligible: ineligibility(&p).is_empty(),
        service_numbers: numbers
            .into_iter()
            .map(|n| ServiceNumberView {
                state: if n.website_number.is_some() {
                    "filed"
                } else if expired {
                    "invalid"
                } else if named.1.contains(&n.number) {
                    "filing"
                } else if named.0.contains(&n.number) {
                    "bound"
                } else {
                    "unbound"
                },
                number: n.number,
                website_number: n.website_number,
            })
            .collect(),
        instance_id: p.instance_id,
        kind: p.kind,
        region: if p.mainland { "mainland" } else { "outside" },
        billing: if p.subscription {
            "subscription"
        } else {
            "pay_as_you_go"
        },
        expires: beian_rules::input::format_date(p.expires),
        public_bandwidth: p.public_bandwidth,
        quota: p.quota,
        issued: p.issued,
        consumed: p.consumed,
    })
}

/// `GET /api/v1/products`: the caller's instances (staff: every instance) with quota, service
/// numbers and their states, and the exact reasons an instance is ineligible.
pub async fn products(State(state): State<Arc<AppState>>, caller: Caller) -> Response {
    let account = caller.account.id.to_string();
    let mine = (role_of(&caller) == Role::Applicant).then_some(account.as_str());
    let rows = match state.store.products_of(mine).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let named = match named_service_numbers(&state, mine).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        match product_view(&state, p, &named).await {
            Ok(v) => out.push(v),
            Err(e) => return internal(e),
        }
    }
    Json(out).into_response()
}

/// A product instance as the provider's billing system reports it (supervisors register them).
#[derive(Deserialize)]
pub struct NewProduct {
    pub instance_id: String,
    /// The owner's login.
    pub owner: Option<String>,
    pub kind: String,
    pub region: String,
    pub billing: String,
    pub expires: String,
    pub public_bandwidth: bool,
    pub quota: Option<i32>,
}

/// `POST /api/v1/products` (supervisors): register or update an instance.
pub async fn put_product(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = supervisor_only(&caller) {
        return r;
    }
    let p: NewProduct = match crate::parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let instance_id = p.instance_id.trim().to_owned();
    if instance_id.is_empty() || instance_id.len() > 64 {
        return field_problem(
            "instance_id",
            "实例 ID 应为 1–64 个字符 / instance_id is 1–64 characters",
        );
    }
    let Ok(expires) = beian_rules::input::parse_date(p.expires.trim()) else {
        return field_problem("expires", "日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD");
    };
    let subscription = match p.billing.as_str() {
        "subscription" => true,
        "pay_as_you_go" => false,
        _ => {
            return field_problem(
                "billing",
                "应为 subscription 或 pay_as_you_go / billing is subscription or pay_as_you_go",
            );
        }
    };
    let quota = p.quota.unwrap_or(beian_core::product::DEFAULT_QUOTA as i32);
    if !(0..=beian_core::product::DEFAULT_QUOTA as i32).contains(&quota) {
        return field_problem(
            "quota",
            "每个实例最多 5 个备案服务号 / at most 5 service numbers per instance",
        );
    }
    let account = match p.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        None => None,
        Some(login) => match state.store.account_by_login(login).await {
            Ok(Some((a, _))) if a.role == "applicant" => Some(a.id.to_string()),
            Ok(_) => {
                return field_problem(
                    "owner",
                    "没有这个申请人账号 / no applicant account with this login",
                );
            }
            Err(e) => return internal(e),
        },
    };
    let row = ProductRow {
        instance_id,
        account,
        kind: p.kind.trim().to_owned(),
        mainland: p.region.trim() == "mainland",
        subscription,
        public_bandwidth: p.public_bandwidth,
        expires,
        quota,
        issued: 0,
        consumed: 0,
    };
    match state.store.put_product(&row).await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(serde_json::json!({"instance_id": row.instance_id})),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

/// `POST /api/v1/products/{instance}/service-numbers` (the owner): apply for a service number.
pub async fn apply_service_number(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(instance): Path<String>,
) -> Response {
    let account = caller.account.id.to_string();
    let p = match state.store.product(&instance).await {
        Ok(Some(p)) if p.account.as_deref() == Some(account.as_str()) => p,
        Ok(_) => {
            return problem(
                404,
                "实例不存在 / Instance not found",
                "no such instance in this account",
                None,
            );
        }
        Err(e) => return internal(e),
    };
    let reasons = ineligibility(&p);
    if !reasons.is_empty() {
        let detail = reasons
            .iter()
            .map(|r| format!("{} / {}", r.message_zh, r.message_en))
            .collect::<Vec<_>>()
            .join("; ");
        return problem(
            409,
            "实例不符合备案条件 / Instance not eligible",
            detail,
            None,
        );
    }
    match state
        .store
        .issue_service_number(&instance, OffsetDateTime::now_utc())
        .await
    {
        Ok(number) => (
            StatusCode::CREATED,
            Json(serde_json::json!({"service_number": number, "state": "unbound"})),
        )
            .into_response(),
        Err(StoreError::QuotaExhausted(_)) => {
            let (zh, en) = ineligible_text(Ineligible::QuotaExhausted);
            problem(
                409,
                "实例不符合备案条件 / Instance not eligible",
                format!("{zh} / {en}"),
                None,
            )
        }
        Err(e) => internal(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The public query (公开查询), SPEC §10

#[derive(Deserialize)]
pub struct PublicQuery {
    pub domain: Option<String>,
    pub number: Option<String>,
    pub subject: Option<String>,
    pub credential: Option<String>,
}

#[derive(Serialize)]
struct PublicRecord {
    subject_name: String,
    nature: String,
    subject_number: String,
    website_number: String,
    website_name: String,
    domains: Vec<String>,
    approval_date: String,
    province: String,
}

/// `GET /api/v1/public/query?domain=…|number=…|subject=…|credential=…` (anyone; rate limited):
/// `filed` with the records, `not_filed`, or `unknown` when the record cannot be read now.
/// Credential numbers, phones and addresses are never shown.
pub async fn public_query(
    State(state): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> Response {
    let given: Vec<(QueryBy, &str, String)> = [
        (QueryBy::Domain, "domain", q.domain.as_deref()),
        (QueryBy::Number, "number", q.number.as_deref()),
        (QueryBy::SubjectName, "subject", q.subject.as_deref()),
        (QueryBy::Credential, "credential", q.credential.as_deref()),
    ]
    .into_iter()
    .filter_map(|(by, name, v)| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| (by, name, v.to_owned()))
    })
    .collect();
    let [(by, name, value)] = given.as_slice() else {
        return problem(
            422,
            "查询条件无效 / Invalid query",
            "请给出且只给出一个条件：domain、number、subject 或 credential / give exactly one of domain, number, subject, credential",
            None,
        );
    };
    let value = match by {
        QueryBy::Domain => match beian_rules::detect::registrable_ascii(value) {
            Some(d) => d,
            None => {
                return field_problem(name, "不是有效的域名 / not a valid domain name");
            }
        },
        QueryBy::Credential => normalise_credential_number(value),
        _ => value.clone(),
    };
    match state.administration.query(*by, &value).await {
        Ok(records) if records.is_empty() => {
            Json(serde_json::json!({"outcome": "not_filed", "records": []})).into_response()
        }
        Ok(records) => Json(serde_json::json!({
            "outcome": "filed",
            "records": records.into_iter().map(|w| PublicRecord {
                province: state
                    .engine
                    .data()
                    .province_by_code(u8::try_from(w.province).unwrap_or(0))
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                subject_name: w.subject_name,
                nature: w.nature,
                subject_number: w.subject_number,
                website_number: w.website_number,
                website_name: w.website_name,
                domains: w.domains.iter().map(|d| beian_domain::to_unicode(d)).collect(),
                approval_date: beian_rules::input::format_date(w.approved_at.to_offset(beian_core::sla::CHINA).date()),
            }).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "public query: the record did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"outcome": "unknown", "records": [], "detail": "备案库暂时无法查询，请稍后再试 / the record cannot be read now: try again later"})),
            )
                .into_response()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The access gate's feed (SPEC §9)

/// An access gate: the configured shared secret, or a supervisor's token.
pub struct GateCaller;

impl FromRequestParts<Arc<AppState>> for GateCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<GateCaller, Response> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let (Some(p), Some(secret)) = (presented, state.gate_token.as_deref())
            && token_digest(p) == token_digest(secret)
        {
            return Ok(GateCaller);
        }
        let caller = Caller::from_request_parts(parts, state).await?;
        match supervisor_only(&caller) {
            None => Ok(GateCaller),
            Some(r) => Err(r),
        }
    }
}

/// `GET /api/v1/gate/in-progress`: the registrable domains of this provider's filings in
/// progress (submitted, not yet decided; cancellations excluded), for gates that let ACME
/// HTTP-01 challenges through for them (`beian gate … --acme-from-feed`), so that HTTPS is ready
/// the moment a filing is approved. Domains already allowed are left out.
pub async fn gate_in_progress(State(state): State<Arc<AppState>>, _gate: GateCaller) -> Response {
    let open = [
        OrderState::ProviderReview,
        OrderState::Verification,
        OrderState::ReadyForAdministration,
        OrderState::SmsVerification,
        OrderState::AdministrationReview,
    ];
    let orders = match state.store.orders_in_states(&open).await {
        Ok(o) => o,
        Err(e) => return internal(e),
    };
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
        domains.extend(crate::orders::application_domains(&doc.application));
    }
    // Leave out what the gate already allows.
    let domains: Vec<String> = domains.into_iter().collect();
    let allowed = match state.store.gate_allowed_among(&domains).await {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    let out: Vec<&String> = domains.iter().filter(|d| !allowed.contains(*d)).collect();
    Json(serde_json::json!({"domains": out})).into_response()
}

/// `GET /api/v1/gate/snapshot`: every domain's state, as the gate's compact snapshot, with the
/// feed sequence number it is current to in `X-Beian-Snapshot-Seq`.
pub async fn gate_snapshot(State(state): State<Arc<AppState>>, _gate: GateCaller) -> Response {
    let (seq, entries) = match state.store.gate_snapshot().await {
        Ok(x) => x,
        Err(e) => return internal(e),
    };
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
    r
}

#[derive(Deserialize)]
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
    _gate: GateCaller,
    Query(q): Query<ChangesQuery>,
) -> Response {
    let limit = q.limit.unwrap_or(10_000).clamp(1, 100_000);
    let wait = Duration::from_secs(q.wait.unwrap_or(0)).min(GATE_MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    let mut head = state.gate_head.clone();
    loop {
        let last_seq = match state.store.gate_last_seq().await {
            Ok(s) => s,
            Err(e) => return internal(e),
        };
        if q.after > last_seq {
            return Json(
                serde_json::json!({"last_seq": last_seq, "snapshot_required": true, "changes": []}),
            )
            .into_response();
        }
        let changes = if q.after < last_seq {
            match state.store.gate_changes_after(q.after, limit).await {
                Ok(c) => c,
                Err(e) => return internal(e),
            }
        } else {
            Vec::new()
        };
        if !changes.is_empty() || tokio::time::Instant::now() >= deadline {
            return Json(serde_json::json!({
                "last_seq": last_seq,
                "snapshot_required": false,
                "changes": changes.into_iter().map(|c| serde_json::json!({"seq": c.seq, "domain": c.domain, "state": c.state})).collect::<Vec<_>>(),
            }))
            .into_response();
        }
        // Woken by the head watcher (or at the deadline).
        let _ = tokio::time::timeout_at(deadline, head.changed()).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Rectification notices (信息核查)

#[derive(Deserialize)]
pub struct NewRectification {
    pub subject_number: String,
    pub reason: String,
    /// The last day to rectify (YYYY-MM-DD, China time; the notice falls due at its end) …
    pub deadline: Option<String>,
    /// … or a number of working days from now.
    pub working_days: Option<u32>,
}

#[derive(Serialize)]
struct RectificationView {
    id: i64,
    subject_number: String,
    reason: String,
    #[serde(with = "time::serde::rfc3339")]
    deadline: OffsetDateTime,
    state: String,
}

/// `POST /api/v1/rectifications` (supervisors): notify a filed subject with a deadline.
pub async fn open_rectification(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = supervisor_only(&caller) {
        return r;
    }
    let n: NewRectification = match crate::parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if n.reason.trim().is_empty() {
        return field_problem(
            "reason",
            "请说明需要整改的内容 / say what must be rectified",
        );
    }
    let now = OffsetDateTime::now_utc();
    let deadline = match (n.deadline.as_deref(), n.working_days) {
        (Some(d), None) => match beian_rules::input::parse_date(d.trim()) {
            Ok(date) => date
                .next_day()
                .unwrap_or(date)
                .midnight()
                .assume_offset(beian_core::sla::CHINA),
            Err(_) => {
                return field_problem("deadline", "日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD");
            }
        },
        (None, Some(days)) if (1..=60).contains(&days) => {
            beian_core::sla::deadline(&state.calendar, now, days).due
        }
        _ => {
            return field_problem(
                "deadline",
                "给出 deadline（YYYY-MM-DD）或 working_days（1–60）之一 / give deadline (YYYY-MM-DD) or working_days (1–60)",
            );
        }
    };
    if deadline <= now {
        return field_problem("deadline", "截止日期已过 / the deadline is in the past");
    }
    match state
        .store
        .rectification_open(
            n.subject_number.trim(),
            n.reason.trim(),
            deadline,
            &format!("account:{}", caller.account.id),
            now,
        )
        .await
    {
        Ok(r) => (
            StatusCode::CREATED,
            Json(RectificationView {
                id: r.id,
                subject_number: r.subject_number,
                reason: r.reason,
                deadline: r.deadline,
                state: r.state,
            }),
        )
            .into_response(),
        Err(StoreError::NotOnRecord(_)) => field_problem(
            "subject_number",
            "没有这个已备案的主体 / no filed subject with this number",
        ),
        Err(e) => internal(e),
    }
}

/// The subject number of an applicant's filed subject (one account ↔ one subject).
async fn own_subject(state: &AppState, caller: &Caller) -> Result<Option<String>, StoreError> {
    for o in state
        .store
        .orders_of(&caller.account.id.to_string())
        .await?
    {
        if let Some(s) = state.store.subject_on_record(&o.credential).await? {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// `GET /api/v1/rectifications`: staff see every notice; an applicant its own subject's.
pub async fn rectifications(State(state): State<Arc<AppState>>, caller: Caller) -> Response {
    let subject = if role_of(&caller) == Role::Applicant {
        match own_subject(&state, &caller).await {
            Ok(Some(s)) => Some(s),
            Ok(None) => return Json(Vec::<RectificationView>::new()).into_response(),
            Err(e) => return internal(e),
        }
    } else {
        None
    };
    match state.store.rectifications(subject.as_deref()).await {
        Ok(list) => Json(
            list.into_iter()
                .map(|r| RectificationView {
                    id: r.id,
                    subject_number: r.subject_number,
                    reason: r.reason,
                    deadline: r.deadline,
                    state: r.state,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}

/// `POST /api/v1/rectifications/{id}/resolve` (staff): the subject has rectified.
pub async fn resolve_rectification(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    if let Some(r) = staff_only(&caller) {
        return r;
    }
    match state
        .store
        .rectification_resolve(
            id,
            &format!("account:{}", caller.account.id),
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(true) => Json(serde_json::json!({"id": id, "state": "rectified"})).into_response(),
        Ok(false) => problem(
            409,
            "通知不在整改中 / Notice not open",
            "no open rectification notice with this id",
            None,
        ),
        Err(e) => internal(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The built-in administration's national record

#[derive(Deserialize)]
pub struct ForeignSubject {
    pub nature: String,
    pub name: String,
    pub credential_type: String,
    pub credential: String,
    #[serde(default)]
    pub mobiles: Vec<String>,
}

#[derive(Deserialize)]
pub struct ForeignWebsite {
    pub name: String,
    pub domains: Vec<String>,
}

/// A filing made through another provider, as the national record holds it.
#[derive(Deserialize)]
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
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = administration_only(&caller) {
        return r;
    }
    let f: ForeignFiling = match crate::parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let provider = f.provider.trim().to_owned();
    if provider.is_empty() || provider == state.provider {
        return field_problem(
            "provider",
            "应为另一家接入商 / the provider must be another provider",
        );
    }
    let code = f.province.trim().parse::<u8>().unwrap_or(0);
    let Some(abbr) = state
        .engine
        .data()
        .province_by_code(code)
        .and_then(|p| p.abbr.chars().next())
    else {
        return field_problem("province", "省份代码无效 / unknown province code");
    };
    if beian_rules::model::Nature::parse(f.subject.nature.trim()).is_none() {
        return field_problem("subject.nature", "主体性质无效 / unknown nature");
    }
    if beian_rules::model::CredentialType::parse(f.subject.credential_type.trim()).is_none() {
        return field_problem(
            "subject.credential_type",
            "证件类型无效 / unknown credential type",
        );
    }
    if f.websites.is_empty() {
        return field_problem("websites", "至少一个网站 / at least one website");
    }
    let mut websites = Vec::with_capacity(f.websites.len());
    for (i, w) in f.websites.iter().enumerate() {
        let mut domains = Vec::new();
        for (j, d) in w.domains.iter().enumerate() {
            match beian_rules::detect::registrable_ascii(d) {
                Some(r) => domains.push(r),
                None => {
                    return field_problem(
                        &format!("websites[{i}].domains[{j}]"),
                        "不是有效的域名 / not a valid domain name",
                    );
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
        .record_filing(
            &plan,
            &state.provider,
            &format!("account:{}", caller.account.id),
            now,
        )
        .await
    {
        Ok(a) => (
            StatusCode::CREATED,
            Json(serde_json::json!({
                "subject_number": a.subject.to_string(),
                "website_numbers": a.websites.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })),
        )
            .into_response(),
        Err(StoreError::DomainOnRecord(d)) => problem(
            409,
            "域名已备案 / Domain on record",
            format!("{d} is on record already"),
            None,
        ),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct Revocation {
    /// A subject number (all its websites) or a website number.
    pub number: String,
    pub reason: String,
}

/// `POST /api/v1/registry/revocations` (the administration): revoke a filing (撤销备案).
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Response {
    if let Some(resp) = administration_only(&caller) {
        return resp;
    }
    let r: Revocation = match crate::parse_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    if r.reason.trim().is_empty() {
        return field_problem("reason", "请说明撤销原因 / give the reason");
    }
    match state
        .store
        .revoke(
            r.number.trim(),
            &state.provider,
            &format!("account:{}", caller.account.id),
            r.reason.trim(),
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(websites) => Json(serde_json::json!({"revoked": websites})).into_response(),
        Err(StoreError::NotOnRecord(_)) => field_problem(
            "number",
            "没有这个已备案的号码 / no filed subject or website with this number",
        ),
        Err(e) => internal(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Time-driven transitions

/// What one run of the due jobs did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct JobReport {
    pub expired: Vec<i64>,
    pub sms_timeouts: Vec<i64>,
    pub rectifications_overdue: Vec<i64>,
    /// Orders flagged now as past the provider's SLA in their current step.
    pub sla_breaches: Vec<i64>,
}

/// Apply every time-driven transition due at `now`: orders 45 days past their first submission
/// expire, SMS windows older than 24 hours time out (back to `ready_for_administration`), and
/// rectification notices past their deadline cancel access. A function of `now`, so that tests
/// control the clock; safe to run concurrently (every step is a conditional update).
pub async fn run_due(state: &AppState, now: OffsetDateTime) -> Result<JobReport, String> {
    let mut report = JobReport::default();
    let open = [
        OrderState::Draft,
        OrderState::ProviderReview,
        OrderState::Verification,
        OrderState::ReadyForAdministration,
        OrderState::SmsVerification,
    ];
    let orders = state
        .store
        .orders_in_states(&open)
        .await
        .map_err(|e| e.to_string())?;
    for (o, _) in orders {
        let due_expiry = o
            .first_submitted_at
            .is_some_and(|t| now >= t + beian_core::workflow::ORDER_LIFETIME);
        let due_sms = o.state == OrderState::SmsVerification
            && o.sms_started_at
                .is_none_or(|t| now >= t + beian_core::workflow::SMS_WINDOW);
        let command = if due_expiry {
            Command::Expire
        } else if due_sms {
            Command::SmsTimeout
        } else {
            continue;
        };
        // A refusal here means another instance got there first: nothing to do.
        if step(state, &o, command.clone(), Role::System, "system", now)
            .await
            .is_ok()
        {
            match command {
                Command::Expire => report.expired.push(o.id),
                _ => report.sms_timeouts.push(o.id),
            }
        }
    }
    report.rectifications_overdue = state
        .store
        .rectification_deadlines(&state.provider, now)
        .await
        .map_err(|e| e.to_string())?;
    // SLA breaches: flagged once per stay in a provider step (staff hear of it as an event).
    for item in crate::orders::queue_items(state, now)
        .await
        .map_err(|e| e.to_string())?
    {
        // In verification the provider's clock runs only while an upload awaits review (photo
        // review within one working day); the rest of the time is the applicant's.
        let (overdue, due) = if item.state == OrderState::Verification {
            let documents = state
                .store
                .documents(item.id)
                .await
                .map_err(|e| e.to_string())?;
            match documents
                .iter()
                .filter(|d| d.status == "pending")
                .map(|d| d.uploaded_at)
                .min()
            {
                None => (false, item.due),
                Some(oldest) => {
                    let d = beian_core::sla::deadline(
                        &state.calendar,
                        oldest,
                        beian_core::workflow::PROVIDER_STEP_WORKING_DAYS,
                    );
                    (beian_core::sla::breached(&d, now), d.due)
                }
            }
        } else {
            (item.overdue, item.due)
        };
        if overdue
            && state
                .store
                .flag_sla_breach(item.id, item.state.as_str(), item.version, due, now)
                .await
                .map_err(|e| e.to_string())?
        {
            report.sla_breaches.push(item.id);
        }
    }
    Ok(report)
}

/// Run the due jobs every `interval` in the background (`beian serve --jobs-interval`). Several
/// server instances may do so on one database: each transition is a conditional update, so it is
/// applied by exactly one of them.
pub fn spawn_jobs(state: AppState, interval: Duration) {
    if interval.is_zero() {
        return;
    }
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match run_due(&state, OffsetDateTime::now_utc()).await {
                    Ok(r) if r != JobReport::default() => tracing::info!(
                        expired = r.expired.len(),
                        sms_timeouts = r.sms_timeouts.len(),
                        rectifications_overdue = r.rectifications_overdue.len(),
                        "jobs ran"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "jobs failed; retried at the next tick"),
                }
            }
        });
    }
}

/// `POST /api/v1/jobs/run` (supervisors): run the due jobs now.
pub async fn run_jobs(State(state): State<Arc<AppState>>, caller: Caller) -> Response {
    if let Some(r) = supervisor_only(&caller) {
        return r;
    }
    match run_due(&state, OffsetDateTime::now_utc()).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => internal(e),
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
