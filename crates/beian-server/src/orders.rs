//! Orders over HTTP (the applicant's side so far): create a draft from an application, read it
//! with its report, history and available actions, edit it, submit, withdraw. The rules engine
//! runs on every save and submit with the context the store knows (products, orders in progress).
//! An applicant sees only its own orders: another account's order is answered 404, as if absent.

// A handler's early exit is an axum `Response`; boxing it would only add an allocation per error.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use beian_core::workflow::{
    Action, Command, OrderFacts, OrderState, Role, available_actions, transition,
};
use beian_rules::input::{Context, FilingRecord, ProductRecord};
use beian_rules::model::{Billing, FilingType, Provider};
use beian_rules::{Application, Report, parse_document};
use beian_store::{NewOrder, OrderRow, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::{AppState, Problem};

pub(crate) fn problem(
    status: u16,
    title: &'static str,
    detail: impl Into<String>,
    path: Option<String>,
) -> Response {
    Problem {
        kind: "https://beian.invalid/problems/order",
        title,
        status,
        detail: detail.into(),
        path,
    }
    .into_response()
}

fn not_found() -> Response {
    problem(
        404,
        "订单不存在 / Order not found",
        "no such order in this account",
        None,
    )
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "internal error");
    problem(
        500,
        "内部错误 / Internal error",
        "the server could not complete the request",
        None,
    )
}

pub(crate) fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::Conflict(_) => problem(
            409,
            "订单已变化 / Order changed",
            "reload the order and try again",
            None,
        ),
        StoreError::OrderInProgress => problem(
            409,
            "该证件已有进行中的订单 / Order in progress",
            "There is an order in progress for this credential: wait for it or withdraw it",
            Some("application.subject.credential.number".into()),
        ),
        StoreError::OrderNotFound(_) => not_found(),
        other => internal(other),
    }
}

pub(crate) fn role_of(caller: &Caller) -> Role {
    match caller.account.role.as_str() {
        "reviewer" => Role::Reviewer,
        "supervisor" => Role::Supervisor,
        "administration" => Role::Administration,
        _ => Role::Applicant,
    }
}

/// The order if the caller may see it: its owner, or staff.
pub(crate) async fn visible(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<OrderRow, Response> {
    match state.store.order(id).await {
        Ok(Some(o))
            if o.account == caller.account.id.to_string() || role_of(caller) != Role::Applicant =>
        {
            Ok(o)
        }
        Ok(_) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

/// The registrable ASCII domains of an application, each once.
pub(crate) fn application_domains(app: &Application) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in app
        .websites
        .iter()
        .flatten()
        .flat_map(|w| w.domains.iter().flatten())
    {
        if let Some(r) = beian_rules::detect::registrable_ascii(d)
            && !out.contains(&r)
        {
            out.push(r);
        }
    }
    out
}

/// What the store knows that the rules need: the filings on record for the subject and the
/// domains, the service numbers named (as products: one website each), orders in progress and
/// the blacklist. A service number of an instance that belongs to another account is unknown to
/// this applicant; one already consumed by a website of this subject stays usable for changes.
pub(crate) async fn context_for(
    state: &AppState,
    app: &Application,
    order: Option<i64>,
    account: &str,
) -> Result<Context, StoreError> {
    let credential = app.subject_credential_number().unwrap_or_default();
    let recorded = state
        .administration
        .filings(&credential, &application_domains(app))
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let own_websites: Vec<&str> = recorded
        .iter()
        .filter(|w| w.credential == credential)
        .map(|w| w.website_number.as_str())
        .collect();
    let mut products = Vec::new();
    for sn in app
        .websites
        .iter()
        .flatten()
        .filter_map(|w| w.service_number.as_deref())
        .map(str::trim)
    {
        if products
            .iter()
            .any(|p: &ProductRecord| p.service_number == sn)
        {
            continue;
        }
        let Some((number, p)) = state.store.service_number(sn).await? else {
            continue;
        };
        if p.account.as_deref().is_some_and(|owner| owner != account) {
            continue;
        }
        // A change names the service number its website already holds; anything else needs one
        // not yet consumed.
        let is_change = app.filing_type.is_some_and(FilingType::is_change);
        let consumed_elsewhere = number
            .website_number
            .as_deref()
            .is_some_and(|w| !(is_change && own_websites.contains(&w)));
        products.push(ProductRecord {
            service_number: number.number,
            kind: p.kind,
            region: if p.mainland {
                "mainland".into()
            } else {
                "outside".into()
            },
            billing: if p.subscription {
                Billing::Subscription
            } else {
                Billing::PayAsYouGo
            },
            expires: p.expires,
            public_bandwidth: p.public_bandwidth,
            website_quota: 1,
            websites_filed: u32::from(consumed_elsewhere),
        });
    }
    let filings = recorded
        .into_iter()
        .map(|w| FilingRecord {
            subject_name: Some(w.subject_name),
            credential: Some(beian_rules::input::Credential {
                kind: beian_rules::model::CredentialType::parse(&w.credential_type),
                number: Some(w.credential),
            }),
            mobiles: w.mobiles,
            domains: w.domains,
            provider: if w.accessed_here {
                Provider::This
            } else {
                Provider::Other
            },
            filed: Some(w.approved_at.to_offset(beian_core::sla::CHINA).date()),
        })
        .collect();
    let mut blacklist = beian_rules::input::Blacklist::default();
    for e in state.store.blacklist().await? {
        match e.kind.as_str() {
            "credential" => blacklist.credentials.push(e.value),
            _ => blacklist.website_names.push(e.value),
        }
    }
    // The registrars' library: a library with no records at all is not configured yet, and a
    // check whose data is absent is skipped, never guessed (SPEC §7.1).
    let domains = if state.registrar_configured().await? {
        Some(
            state
                .registrar
                .records_for(&application_domains(app))
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?,
        )
    } else {
        None
    };
    Ok(Context {
        domains,
        products: Some(products),
        filings: Some(filings),
        orders_in_progress: Some(state.store.credentials_in_progress(order).await?),
        blacklist: Some(blacklist),
        ..Context::default()
    })
}

async fn report_for(
    state: &AppState,
    application: &Application,
    order: Option<i64>,
    account: &str,
) -> Result<Report, StoreError> {
    let ctx = context_for(state, application, order, account).await?;
    Ok(state
        .engine
        .check(application, &ctx, beian_rules::today_in_china()))
}

#[derive(Serialize)]
struct OrderView {
    id: i64,
    state: OrderState,
    state_zh: &'static str,
    filing_type: String,
    version: i32,
    application: serde_json::Value,
    report: Report,
    actions: Vec<Action>,
    /// When the administration's decision is expected, each remaining step at its SLA in working
    /// days (`estimated` when it counts a year whose holidays are not published yet).
    expected_completion: Option<ExpectedCompletion>,
    history: Vec<HistoryView>,
}

#[derive(Serialize)]
struct ExpectedCompletion {
    date: String,
    estimated: bool,
}

#[derive(Serialize)]
struct HistoryView {
    actor: String,
    action: String,
    from: Option<String>,
    to: Option<String>,
    reasons: String,
    note: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
}

fn facts(state: &AppState, o: &OrderRow, report: &Report) -> OrderFacts {
    let province = u8::try_from(o.province).unwrap_or(0);
    OrderFacts {
        filing_type: FilingType::parse(&o.filing_type).unwrap_or(FilingType::Initial),
        sms_pilot: state
            .engine
            .data()
            .province_rules
            .sms_pilot
            .contains(province),
        first_submitted_at: o.first_submitted_at,
        sms_started_at: o.sms_started_at,
        uploads_started: o.uploads_started,
        verification_complete: o.verification_complete,
        check_errors: report.summary.errors,
        administration_review_days: 20,
    }
}

pub(crate) async fn view(state: &AppState, caller: &Caller, o: OrderRow) -> Response {
    view_with(state, caller, o, None).await
}

/// The order's view; `report` when the caller has just computed it for the same application
/// and context (a workflow step), so that it is not computed twice.
async fn view_with(
    state: &AppState,
    caller: &Caller,
    o: OrderRow,
    report: Option<Report>,
) -> Response {
    let report = match report {
        Some(r) => r,
        None => {
            let doc = match parse_document(&format!("{{\"application\": {}}}", o.application)) {
                Ok(d) => d,
                Err(e) => return internal(format!("stored application unreadable: {e}")),
            };
            match report_for(state, &doc.application, Some(o.id), &o.account).await {
                Ok(r) => r,
                Err(e) => return internal(e),
            }
        }
    };
    let history = match state.store.history(&format!("order:{}", o.id)).await {
        Ok(h) => h,
        Err(e) => return internal(e),
    };
    let order_facts = facts(state, &o, &report);
    let actions = available_actions(
        o.state,
        &order_facts,
        role_of(caller),
        OffsetDateTime::now_utc(),
    );
    let expected_completion = beian_core::workflow::working_days_to_decision(o.state, &order_facts)
        .map(|days| {
            let d = beian_core::sla::deadline(&state.calendar, o.updated_at, days);
            ExpectedCompletion {
                date: beian_rules::input::format_date(d.due_date),
                estimated: d.estimated,
            }
        });
    Json(OrderView {
        id: o.id,
        state: o.state,
        state_zh: o.state.name_zh(),
        filing_type: o.filing_type.clone(),
        version: o.version,
        application: serde_json::from_str(&o.application).unwrap_or(serde_json::Value::Null),
        report,
        actions,
        expected_completion,
        history: history
            .into_iter()
            .map(|h| HistoryView {
                actor: h.actor,
                action: h.action,
                from: h.from_state,
                to: h.to_state,
                reasons: h.reasons,
                note: h.note,
                at: h.at,
            })
            .collect(),
    })
    .into_response()
}

/// Parse a request body `{"application": …}` into the order fields.
fn new_order(caller: &Caller, body: &str) -> Result<(NewOrder, Application), Response> {
    let doc = parse_document(body).map_err(|e| {
        problem(
            422,
            "输入无法使用 / Unusable input",
            e.message,
            (!e.path.is_empty()).then_some(e.path),
        )
    })?;
    let app = doc.application;
    let credential = app.subject_credential_number().unwrap_or_default();
    let province = app.province_code().unwrap_or(0);
    let application = serde_json::to_string(&app).map_err(internal)?;
    let filing_type = app.filing_type.unwrap_or(FilingType::Initial);
    Ok((
        NewOrder {
            account: caller.account.id.to_string(),
            filing_type,
            province,
            credential,
            application,
        },
        app,
    ))
}

/// `POST /api/v1/orders`: a new draft (applicants only).
pub async fn create(State(state): State<Arc<AppState>>, caller: Caller, body: String) -> Response {
    if role_of(&caller) != Role::Applicant {
        return problem(
            403,
            "仅申请人可创建订单 / Applicants only",
            "staff do not file orders",
            None,
        );
    }
    let (mut order, app) = match new_order(&caller, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ctx = match context_for(&state, &app, None, &caller.account.id.to_string()).await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    order.filing_type = beian_rules::detect_filing_type(&app, &ctx);
    match state
        .store
        .create_order(&order, OffsetDateTime::now_utc())
        .await
    {
        Ok(o) => {
            // The report of the new draft is the one just computed on this context.
            let report = state
                .engine
                .check(&app, &ctx, beian_rules::today_in_china());
            let mut r = view_with(&state, &caller, o, Some(report)).await;
            if r.status() == StatusCode::OK {
                *r.status_mut() = StatusCode::CREATED;
            }
            r
        }
        Err(e) => store_error(e),
    }
}

/// `GET /api/v1/orders`: the caller's orders.
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller) -> Response {
    match state.store.orders_of(&caller.account.id.to_string()).await {
        Ok(orders) => Json(
            orders
                .into_iter()
                .map(|o| serde_json::json!({"id": o.id, "state": o.state, "filing_type": o.filing_type, "version": o.version}))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /api/v1/orders/{id}`.
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    match visible(&state, &caller, id).await {
        Ok(o) => view(&state, &caller, o).await,
        Err(r) => r,
    }
}

/// `PUT /api/v1/orders/{id}`: replace a draft's application (owner only).
pub async fn update(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    body: String,
) -> Response {
    let current = match visible(&state, &caller, id).await {
        Ok(o) if o.account == caller.account.id.to_string() => o,
        Ok(_) | Err(_) => return not_found(),
    };
    if current.state != OrderState::Draft {
        return problem(
            409,
            "只能修改草稿 / Only drafts can be edited",
            format!("the order is {}", current.state.as_str()),
            None,
        );
    }
    let (mut order, app) = match new_order(&caller, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ctx = match context_for(&state, &app, Some(id), &caller.account.id.to_string()).await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    order.filing_type = beian_rules::detect_filing_type(&app, &ctx);
    let actor = format!("account:{}", caller.account.id);
    match state
        .store
        .update_draft(
            id,
            current.version,
            &order,
            &actor,
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(o) => view(&state, &caller, o).await,
        Err(e) => store_error(e),
    }
}

async fn act(state: &AppState, caller: &Caller, id: i64, command: Command) -> Response {
    let o = match visible(state, caller, id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let actor = format!("account:{}", caller.account.id);
    match step_reporting(
        state,
        &o,
        command,
        role_of(caller),
        &actor,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok((o, report)) => view_with(state, caller, o, Some(report)).await,
        Err(r) => r,
    }
}

/// Decide a command on `o` with the workflow and apply it with the store; entering SMS
/// verification opens the built-in administration's challenge.
pub(crate) async fn step(
    state: &AppState,
    o: &OrderRow,
    command: Command,
    role: Role,
    actor: &str,
    now: OffsetDateTime,
) -> Result<OrderRow, Response> {
    step_reporting(state, o, command, role, actor, now)
        .await
        .map(|(o, _)| o)
}

/// [`step`], also returning the rules' report the decision was taken on (the application does
/// not change in a step, so it is the report of the order after it too).
async fn step_reporting(
    state: &AppState,
    o: &OrderRow,
    command: Command,
    role: Role,
    actor: &str,
    now: OffsetDateTime,
) -> Result<(OrderRow, Report), Response> {
    let doc =
        parse_document(&format!("{{\"application\": {}}}", o.application)).map_err(internal)?;
    let report = report_for(state, &doc.application, Some(o.id), &o.account)
        .await
        .map_err(internal)?;
    let mut facts = facts(state, o, &report);
    if command == Command::CompleteVerification && o.state == OrderState::Verification {
        // Documents, face photos and mailed statements, as reviewed in the service.
        let status = crate::documents::status_of(state, o).await?;
        if !status.complete {
            return Err(problem(
                409,
                "核验未完成 / Verification not complete",
                crate::documents::missing_detail(&status),
                None,
            ));
        }
        facts.verification_complete = true;
    }
    let t = transition(o.state, &facts, role, &command, now).map_err(|refusal| {
        let status = if matches!(refusal, beian_core::workflow::Refusal::Forbidden { .. }) {
            403
        } else {
            409
        };
        problem(
            status,
            "操作不可用 / Action not available",
            refusal.to_string(),
            None,
        )
    })?;
    let updated = state
        .store
        .apply_transition(o.id, o.version, &t, actor, now)
        .await
        .map_err(store_error)?;
    record_review_duration(o, now);
    if t.action == Action::SubmitToAdministration {
        state
            .administration
            .receive(crate::administration::Submission {
                order: &updated,
                application: &doc.application,
                at: now,
            })
            .await
            .map_err(internal)?;
    }
    Ok((updated, report))
}

/// How long an order spent in a review step, observed as it leaves the step
/// (`beian_review_duration_seconds{step}`).
pub(crate) fn record_review_duration(o: &OrderRow, now: OffsetDateTime) {
    if matches!(
        o.state,
        OrderState::ProviderReview
            | OrderState::Verification
            | OrderState::ReadyForAdministration
            | OrderState::AdministrationReview
    ) {
        let seconds = (now - o.updated_at).as_seconds_f64().max(0.0);
        metrics::histogram!("beian_review_duration_seconds", "step" => o.state.as_str())
            .record(seconds);
    }
}

/// `POST /api/v1/orders/{id}/submit`.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    act(&state, &caller, id, Command::Submit).await
}

/// A reviewer's rejection: catalogued reasons (SPEC §8), a note, the fields pointed at.
#[derive(serde::Deserialize)]
pub struct RejectBody {
    pub reasons: Vec<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub paths: Vec<String>,
}

/// `POST /api/v1/orders/{id}/pass` (reviewer): preliminary review passed.
pub async fn pass(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    act(&state, &caller, id, Command::ProviderPass).await
}

/// `POST /api/v1/orders/{id}/reject` (reviewer): back to draft with reasons.
pub async fn reject(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    // Who may see the order is decided before the body is read.
    if let Err(r) = visible(&state, &caller, id).await {
        return r;
    }
    let body: RejectBody = match crate::parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut reasons = Vec::new();
    for (i, r) in body.reasons.iter().enumerate() {
        match beian_rules::ReasonCode::parse(r.trim()) {
            Some(code) => reasons.push(code),
            None => {
                return problem(
                    422,
                    "驳回原因无效 / Unknown rejection reason",
                    format!("{r:?} is not one of R01–R10, P01–P04"),
                    Some(format!("reasons[{i}]")),
                );
            }
        }
    }
    let rejection = beian_core::workflow::Rejection {
        reasons,
        note: body.note,
        paths: body.paths,
    };
    act(&state, &caller, id, Command::ProviderReject(rejection)).await
}

/// `POST /api/v1/orders/{id}/complete-verification` (reviewer): photo and documents accepted.
pub async fn complete_verification(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    act(&state, &caller, id, Command::CompleteVerification).await
}

/// `POST /api/v1/orders/{id}/submit-to-administration` (reviewer).
pub async fn submit_to_administration(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    act(&state, &caller, id, Command::SubmitToAdministration).await
}

/// `POST /api/v1/orders/{id}/withdraw`.
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    act(&state, &caller, id, Command::Withdraw).await
}

/// The provider's steps, each with one working day (SPEC §5).
const PROVIDER_STEPS: [OrderState; 3] = [
    OrderState::ProviderReview,
    OrderState::Verification,
    OrderState::ReadyForAdministration,
];

#[derive(Serialize)]
pub(crate) struct QueueItem {
    pub(crate) id: i64,
    pub(crate) state: OrderState,
    #[serde(skip)]
    pub(crate) version: i32,
    filing_type: String,
    province: i16,
    #[serde(with = "time::serde::rfc3339")]
    entered_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) due: OffsetDateTime,
    pub(crate) overdue: bool,
    /// The deadline counts a year whose holidays are not published yet.
    estimated: bool,
}

/// The provider's open steps with their deadlines at `now`.
pub(crate) async fn queue_items(
    state: &AppState,
    now: OffsetDateTime,
) -> Result<Vec<QueueItem>, StoreError> {
    let mut items: Vec<QueueItem> = state
        .store
        .orders_in_states(&PROVIDER_STEPS)
        .await?
        .into_iter()
        .map(|(o, entered_at)| {
            let d = beian_core::sla::deadline(
                &state.calendar,
                entered_at,
                beian_core::workflow::PROVIDER_STEP_WORKING_DAYS,
            );
            QueueItem {
                id: o.id,
                state: o.state,
                version: o.version,
                filing_type: o.filing_type,
                province: o.province,
                entered_at,
                due: d.due,
                overdue: beian_core::sla::breached(&d, now),
                estimated: d.estimated,
            }
        })
        .collect();
    items.sort_by_key(|i| (i.due, i.id));
    Ok(items)
}

/// Orders past their provider SLA now.
pub async fn overdue_count(state: &AppState) -> Result<usize, StoreError> {
    Ok(queue_items(state, OffsetDateTime::now_utc())
        .await?
        .iter()
        .filter(|i| i.overdue)
        .count())
}

/// `GET /api/v1/review/queue` (staff): the provider's work, most urgent deadline first.
pub async fn queue(State(state): State<Arc<AppState>>, caller: Caller) -> Response {
    if role_of(&caller) == Role::Applicant {
        return problem(
            403,
            "仅限审核人员 / Staff only",
            "the review queue is for reviewers and supervisors",
            None,
        );
    }
    match queue_items(&state, OffsetDateTime::now_utc()).await {
        Ok(items) => Json(items).into_response(),
        Err(e) => internal(e),
    }
}
