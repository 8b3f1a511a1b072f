//! Orders (备案订单): the rules' context and report for an application, drafts, the workflow
//! steps, the administration's decisions and the provider's queue. Every state change is decided
//! by `beian_core::workflow::transition` and applied by the store with what the transition says;
//! nothing here names a pair of states itself.
//!
//! An applicant sees only its own orders: another account's order is [`FilingError::NotFound`],
//! as if absent. Whether a role may ask for an operation at all is decided before any of this, by
//! [`crate::authz`].

use beian_core::workflow::{
    Action, Command, OrderFacts, OrderState, Refusal, Rejection, Role, available_actions,
    transition,
};
use beian_rules::input::{Context, FilingRecord, ProductRecord};
use beian_rules::model::{Billing, FilingType, Provider};
use beian_rules::{Application, InputError, Report, parse_document};
use beian_store::{ApprovalPlan, NewOrder, OrderRow, PlannedSubject, PlannedWebsite, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::Caller;

/// Why a filing operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    /// No such order, or not the caller's.
    #[error("no such order")]
    NotFound,
    /// The application cannot be read (a JSON type or enumeration value is wrong).
    #[error("unusable application: {0}")]
    Unusable(InputError),
    /// Only drafts are edited.
    #[error("only drafts can be edited; the order is {0:?}")]
    NotDraft(OrderState),
    /// The workflow refuses the command in the order's state.
    #[error("{0}")]
    Refused(Refusal),
    /// Verification is not complete: the bilingual list of what is missing.
    #[error("{0}")]
    VerificationIncomplete(String),
    /// A rejection names a reason that is not in the catalogue.
    #[error("{value:?} is not a catalogued rejection reason")]
    UnknownReason { index: usize, value: String },
    /// A rejection names a field or a document slot wrongly: the field of the request and
    /// bilingual words.
    #[error("{detail}")]
    InvalidRejection { field: String, detail: String },
    /// A draft after a field-level rejection changed fields the rejection did not open.
    #[error("fields not opened by the rejection: {}", .0.join(", "))]
    NotOpened(Vec<String>),
    /// Another reviewer has claimed the order (its actor).
    #[error("order claimed by {0}")]
    ClaimedBy(String),
    /// Only orders in the provider's steps are claimed.
    #[error("not in a provider step: {0:?}")]
    NotClaimable(OrderState),
    /// The order has no filing province (so no number can be issued).
    #[error("the order has no filing province")]
    NoProvince,
    /// An approval found the product's service numbers used up.
    #[error("service numbers of {0} are used up")]
    QuotaExhausted(String),
    /// An approval found a domain on record under another website.
    #[error("{0} is on record under another website")]
    DomainOnRecord(String),
    /// A change, transfer or cancellation names something not on record.
    #[error("{0} is not on record")]
    NotOnRecord(String),
    /// A website names a service number that does not exist.
    #[error("{0} is not a service number")]
    UnknownProduct(String),
    /// The administration did not take the submission.
    #[error("the administration is unavailable: {0}")]
    Administration(String),
    /// Storage failed, or another writer changed the order first.
    #[error(transparent)]
    Store(StoreError),
    /// The stored application could not be read back (a bug, never the caller's fault).
    #[error("stored application unreadable: {0}")]
    Corrupt(String),
}

impl From<StoreError> for FilingError {
    fn from(e: StoreError) -> FilingError {
        match e {
            StoreError::OrderNotFound(_) => FilingError::NotFound,
            StoreError::QuotaExhausted(sn) => FilingError::QuotaExhausted(sn),
            StoreError::DomainOnRecord(d) => FilingError::DomainOnRecord(d),
            StoreError::NotOnRecord(w) => FilingError::NotOnRecord(w),
            StoreError::UnknownProduct(sn) => FilingError::UnknownProduct(sn),
            // Decided by the workflow first; the store finding it moved is a lost race.
            StoreError::NotInAdministrationReview(id) => {
                FilingError::Store(StoreError::Conflict(id))
            }
            other => FilingError::Store(other),
        }
    }
}

/// The order if the caller may see it: its owner, the provider's staff, or the administration.
pub async fn visible(state: &AppState, caller: &Caller, id: i64) -> Result<OrderRow, FilingError> {
    match state.store.order(id).await? {
        Some(o) if o.account == caller.account_id() || caller.role != Role::Applicant => Ok(o),
        _ => Err(FilingError::NotFound),
    }
}

/// The order if the caller owns it (others: not found).
pub async fn owned(state: &AppState, caller: &Caller, id: i64) -> Result<OrderRow, FilingError> {
    match state.store.order(id).await? {
        Some(o) if o.account == caller.account_id() => Ok(o),
        _ => Err(FilingError::NotFound),
    }
}

/// The application stored with an order.
pub fn application_of(o: &OrderRow) -> Result<Application, FilingError> {
    parse_document(&format!("{{\"application\": {}}}", o.application))
        .map(|d| d.application)
        .map_err(|e| FilingError::Corrupt(e.to_string()))
}

/// The registrable ASCII domains of an application, each once.
pub fn application_domains(app: &Application) -> Vec<String> {
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
pub async fn context_for(
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
    // check whose data is absent is skipped, never guessed.
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

/// The rules' report on `application` in the context the store knows today.
pub async fn report_for(
    state: &AppState,
    application: &Application,
    order: Option<i64>,
    account: &str,
) -> Result<Report, StoreError> {
    let ctx = context_for(state, application, order, account).await?;
    Ok(state
        .engine
        .check(application, &ctx, crate::clock::today_in_china()))
}

/// An order as its owner or a member of staff sees it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OrderDetail {
    pub id: i64,
    pub state: OrderState,
    pub state_zh: &'static str,
    pub filing_type: String,
    pub version: i32,
    pub application: serde_json::Value,
    pub report: Report,
    /// What the caller may do now (derived from the workflow, so the buttons never disagree).
    pub actions: Vec<Action>,
    /// When the administration's decision is expected, each remaining step at its SLA in working
    /// days (`estimated` when it counts a year whose holidays are not published yet).
    pub expected_completion: Option<ExpectedCompletion>,
    /// The subject's ICP number once approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_number: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// The latest rejection, with the fields and documents it names and what changed since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<RejectionView>,
    /// The reviewer working on it (`account:ID`), while the claim is live (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
}

/// The latest rejection of an order as its pages show it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RejectionView {
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
    /// Every reason it gives (the order's, the fields', the documents').
    pub reasons: Vec<beian_rules::ReasonCode>,
    pub note: String,
    /// The fields it names, each with its reason and note.
    pub fields: Vec<beian_core::rejection::RejectedField>,
    /// The document slots it rejected.
    pub documents: Vec<beian_core::rejection::RejectedDocument>,
    /// The fields the applicant may change while the order is a draft (absent: every field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_fields: Option<Vec<String>>,
    /// Every leaf of the application changed since the rejection.
    pub changes: Vec<beian_core::rejection::Change>,
}

/// The order's latest rejection, if its history has one.
pub async fn rejection_view(
    state: &AppState,
    o: &OrderRow,
) -> Result<Option<RejectionView>, FilingError> {
    let Some(row) = state.store.last_rejection(o.id).await? else {
        return Ok(None);
    };
    let before: serde_json::Value =
        serde_json::from_str(&row.application).map_err(|e| FilingError::Corrupt(e.to_string()))?;
    let now: serde_json::Value =
        serde_json::from_str(&o.application).map_err(|e| FilingError::Corrupt(e.to_string()))?;
    let r = row.rejection;
    Ok(Some(RejectionView {
        actor: row.actor,
        at: row.at,
        reasons: r.all_reasons(),
        open_fields: r.open_fields(),
        fields: r.named_fields(),
        note: r.note,
        documents: r.documents,
        changes: beian_core::rejection::diff(&before, &now),
    }))
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExpectedCompletion {
    pub date: String,
    pub estimated: bool,
}

/// One entry of an order's history: who did what, when, and why.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HistoryEntry {
    pub actor: String,
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reasons: String,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
}

/// An order in a list.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OrderSummary {
    pub id: i64,
    pub state: OrderState,
    pub filing_type: String,
    pub version: i32,
}

/// The facts the workflow decides on.
pub fn facts(state: &AppState, o: &OrderRow, report: &Report) -> OrderFacts {
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
        administration_review_days: ADMINISTRATION_REVIEW_DAYS,
    }
}

/// The order as `caller` sees it; `report` when the caller has just computed it for the same
/// application and context (a workflow step), so that it is not computed twice.
pub async fn detail(
    state: &AppState,
    caller: &Caller,
    o: OrderRow,
    report: Option<Report>,
) -> Result<OrderDetail, FilingError> {
    let report = match report {
        Some(r) => r,
        None => report_for(state, &application_of(&o)?, Some(o.id), &o.account).await?,
    };
    let history = state.store.history(&format!("order:{}", o.id)).await?;
    let rejection = if history.iter().any(|h| h.action.ends_with("Reject")) {
        rejection_view(state, &o).await?
    } else {
        None
    };
    let order_facts = facts(state, &o, &report);
    let actions = available_actions(
        o.state,
        &order_facts,
        caller.role,
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
    Ok(OrderDetail {
        id: o.id,
        state: o.state,
        state_zh: o.state.name_zh(),
        filing_type: o.filing_type.clone(),
        version: o.version,
        application: serde_json::from_str(&o.application).unwrap_or(serde_json::Value::Null),
        report,
        actions,
        expected_completion,
        subject_number: o.subject_number.clone().filter(|s| !s.is_empty()),
        history: history
            .into_iter()
            .map(|h| HistoryEntry {
                actor: h.actor,
                action: h.action,
                from: h.from_state,
                to: h.to_state,
                reasons: h.reasons,
                note: h.note,
                at: h.at,
            })
            .collect(),
        rejection,
        claimed_by: if caller.role.is_staff() {
            live_claim(&o, OffsetDateTime::now_utc())
        } else {
            None
        },
    })
}

/// Read a document `{"application": …}` into the order fields.
fn new_order(caller: &Caller, document: &str) -> Result<(NewOrder, Application), FilingError> {
    let app = parse_document(document)
        .map_err(FilingError::Unusable)?
        .application;
    let credential = app.subject_credential_number().unwrap_or_default();
    let province = app.province_code().unwrap_or(0);
    let application =
        serde_json::to_string(&app).map_err(|e| FilingError::Corrupt(e.to_string()))?;
    let filing_type = app.filing_type.unwrap_or(FilingType::Initial);
    Ok((
        NewOrder {
            account: caller.account_id(),
            filing_type,
            province,
            credential,
            application,
        },
        app,
    ))
}

/// Create a draft from a document `{"application": …}`; the rules run at once.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    document: &str,
) -> Result<OrderDetail, FilingError> {
    let (mut order, app) = new_order(caller, document)?;
    let ctx = context_for(state, &app, None, &caller.account_id()).await?;
    order.filing_type = beian_rules::detect_filing_type(&app, &ctx);
    let o = state
        .store
        .create_order(&order, OffsetDateTime::now_utc())
        .await?;
    // The report of the new draft is the one just computed on this context.
    let report = state
        .engine
        .check(&app, &ctx, crate::clock::today_in_china());
    detail(state, caller, o, Some(report)).await
}

/// The caller's orders.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<OrderSummary>, FilingError> {
    Ok(state
        .store
        .orders_of(&caller.account_id())
        .await?
        .into_iter()
        .map(|o| OrderSummary {
            id: o.id,
            state: o.state,
            filing_type: o.filing_type,
            version: o.version,
        })
        .collect())
}

/// One order, if the caller may see it.
pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<OrderDetail, FilingError> {
    let o = visible(state, caller, id).await?;
    detail(state, caller, o, None).await
}

/// Replace a draft's application (its owner).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    document: &str,
) -> Result<OrderDetail, FilingError> {
    let current = owned(state, caller, id).await?;
    if current.state != OrderState::Draft {
        return Err(FilingError::NotDraft(current.state));
    }
    let (mut order, app) = new_order(caller, document)?;
    refuse_unopened(state, &current, &order.application).await?;
    let ctx = context_for(state, &app, Some(id), &caller.account_id()).await?;
    order.filing_type = beian_rules::detect_filing_type(&app, &ctx);
    let o = state
        .store
        .update_draft(
            id,
            current.version,
            &order,
            &caller.actor(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    detail(state, caller, o, None).await
}

/// After a rejection that names fields, a draft changes only those (unless it opens all): the
/// paths changed outside them refuse the update.
async fn refuse_unopened(
    state: &AppState,
    current: &OrderRow,
    new_application: &str,
) -> Result<(), FilingError> {
    let Some(row) = state.store.last_rejection(current.id).await? else {
        return Ok(());
    };
    let Some(open) = row.rejection.open_fields() else {
        return Ok(());
    };
    let parse = |s: &str| {
        serde_json::from_str::<serde_json::Value>(s)
            .map_err(|e| FilingError::Corrupt(e.to_string()))
    };
    let before = parse(&current.application)?;
    let changes = beian_core::rejection::diff(&before, &parse(new_application)?);
    let open = with_same_person(&before, open);
    let open: Vec<&str> = open.iter().map(String::as_str).collect();
    let outside: Vec<String> = beian_core::rejection::outside(&changes, &open)
        .into_iter()
        .map(|c| c.path.clone())
        .collect();
    if outside.is_empty() {
        Ok(())
    } else {
        Err(FilingError::NotOpened(outside))
    }
}

/// A website whose administrator is the subject's (the same person, as the form's "same as the
/// subject's" box makes it) follows the subject's administrator: opening `subject.admin.mobile`
/// opens `websites[i].admin.mobile` of each such website too.
pub fn with_same_person(app: &serde_json::Value, mut open: Vec<String>) -> Vec<String> {
    let subject_admin = app.pointer("/subject/admin");
    let same: Vec<usize> = app
        .get("websites")
        .and_then(serde_json::Value::as_array)
        .map(|ws| {
            ws.iter()
                .enumerate()
                .filter(|(_, w)| subject_admin.is_some() && w.get("admin") == subject_admin)
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default();
    let extra: Vec<String> = open
        .iter()
        .filter_map(|p| p.strip_prefix("subject.admin"))
        .filter(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        .flat_map(|rest| {
            same.iter()
                .map(move |i| format!("websites[{i}].admin{rest}"))
        })
        .collect();
    open.extend(extra);
    open
}

/// A rejection as a client sends it: reasons for the whole order, a note, and (field-level
/// rejection) the fields and document slots concerned, each with its reason and note.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct RejectionInput {
    /// Catalogued reasons for the whole order (R01…R10; the provider also P01…P04). May be empty
    /// when `fields` or `documents` carry reasons.
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub note: String,
    /// Field paths pointed at without a reason of their own (they take the first reason).
    #[serde(default)]
    pub paths: Vec<String>,
    /// The fields concerned: `{"path": "websites[0].name", "reason": "R02", "note": "…"}`.
    #[serde(default)]
    pub fields: Vec<RejectedFieldInput>,
    /// The document slots concerned: `{"kind": "face_photo", "website": -1, "reason": "P01"}`.
    #[serde(default)]
    pub documents: Vec<RejectedDocumentInput>,
    /// Let the applicant change the whole application, not only the named fields.
    #[serde(default)]
    pub open_all: bool,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct RejectedFieldInput {
    pub path: String,
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct RejectedDocumentInput {
    pub kind: String,
    #[serde(default = "minus_one")]
    pub website: i32,
    #[serde(default)]
    pub category: String,
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

fn minus_one() -> i32 {
    -1
}

/// Notes and lists are bounded: a rejection is read by a person.
const MAX_NOTE_CHARS: usize = 500;
const MAX_NAMED: usize = 100;

fn reason_code(field: String, value: &str) -> Result<beian_rules::ReasonCode, FilingError> {
    beian_rules::ReasonCode::parse(value.trim()).ok_or_else(|| FilingError::InvalidRejection {
        field,
        detail: format!(
            "{value:?} 不在驳回原因目录中，见 GET /api/v1/rejection-reasons / {value:?} is not in the catalogue: see GET /api/v1/rejection-reasons"
        ),
    })
}

fn bounded_note(field: String, note: String) -> Result<String, FilingError> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(FilingError::InvalidRejection {
            field,
            detail: format!(
                "说明最多 {MAX_NOTE_CHARS} 字 / a note has at most {MAX_NOTE_CHARS} characters"
            ),
        });
    }
    Ok(note.trim().to_owned())
}

/// A rejection from its input: reason codes read, notes bounded. Whether the fields and slots
/// exist in the order is checked against it ([`rejection_targets`]); the workflow judges the rest.
pub fn rejection(input: RejectionInput) -> Result<Rejection, FilingError> {
    let mut codes = Vec::new();
    for (index, r) in input.reasons.iter().enumerate() {
        match beian_rules::ReasonCode::parse(r.trim()) {
            Some(code) => codes.push(code),
            None => {
                return Err(FilingError::UnknownReason {
                    index,
                    value: r.clone(),
                });
            }
        }
    }
    if input.fields.len() + input.paths.len() > MAX_NAMED || input.documents.len() > MAX_NAMED {
        return Err(FilingError::InvalidRejection {
            field: "fields".into(),
            detail: format!(
                "一次驳回最多指出 {MAX_NAMED} 项 / a rejection names at most {MAX_NAMED} fields and {MAX_NAMED} documents"
            ),
        });
    }
    let mut fields = Vec::new();
    for (i, f) in input.fields.into_iter().enumerate() {
        fields.push(beian_core::rejection::RejectedField {
            reason: reason_code(format!("fields[{i}].reason"), &f.reason)?,
            note: bounded_note(format!("fields[{i}].note"), f.note)?,
            path: f.path.trim().to_owned(),
        });
    }
    let mut documents = Vec::new();
    for (i, d) in input.documents.into_iter().enumerate() {
        documents.push(beian_core::rejection::RejectedDocument {
            reason: reason_code(format!("documents[{i}].reason"), &d.reason)?,
            note: bounded_note(format!("documents[{i}].note"), d.note)?,
            kind: d.kind.trim().to_owned(),
            website: d.website,
            category: d.category.trim().to_owned(),
        });
    }
    Ok(Rejection {
        reasons: codes,
        note: bounded_note("note".into(), input.note)?,
        paths: input
            .paths
            .into_iter()
            .map(|p| p.trim().to_owned())
            .collect(),
        fields,
        documents,
        open_all: input.open_all,
    })
}

/// Does every field a rejection names exist in the order's application (the field itself, or
/// the object or list it would be in, for a field left empty), and every document slot among
/// those the order needs? A slot named by its kind alone is completed with its website.
pub async fn rejection_targets(
    state: &AppState,
    o: &OrderRow,
    r: &mut Rejection,
) -> Result<(), FilingError> {
    let app: serde_json::Value =
        serde_json::from_str(&o.application).map_err(|e| FilingError::Corrupt(e.to_string()))?;
    let named = r
        .fields
        .iter()
        .map(|f| f.path.as_str())
        .chain(r.paths.iter().map(String::as_str));
    for (i, path) in named.enumerate() {
        let parent = path.rfind(['.', '[']).map(|cut| &path[..cut]).unwrap_or("");
        let exists = beian_core::rejection::valid_path(path)
            && (beian_core::rejection::lookup(&app, path).is_some()
                || (!parent.is_empty() && beian_core::rejection::lookup(&app, parent).is_some())
                || (parent.is_empty() && app.is_object()));
        if !exists {
            return Err(FilingError::InvalidRejection {
                field: if i < r.fields.len() {
                    format!("fields[{i}].path")
                } else {
                    format!("paths[{}]", i - r.fields.len())
                },
                detail: format!(
                    "申请中没有字段 {path:?}：字段以 JSON 路径指出，如 websites[0].name / the application has no field {path:?}: name fields by their JSON path, e.g. websites[0].name"
                ),
            });
        }
    }
    if !r.documents.is_empty() {
        let slots = crate::service::documents::required_slots(state, o)?;
        for (i, d) in r.documents.iter_mut().enumerate() {
            // A slot named by its kind alone is that slot, when the order has only one of it
            // (as an upload names it).
            let of_kind: Vec<_> = slots.iter().filter(|s| s.kind == d.kind).collect();
            if let [only] = of_kind.as_slice()
                && d.website == -1
                && d.category.is_empty()
            {
                d.website = only.website;
                d.category = only.category.clone();
            }
            let known = of_kind
                .iter()
                .any(|s| s.website == d.website && s.category == d.category);
            if !known {
                return Err(FilingError::InvalidRejection {
                    field: format!("documents[{i}]"),
                    detail: format!(
                        "此订单不需要资料 {}（网站 {}）/ this order needs no document {} for website {}: name a slot from GET /api/v1/orders/{}/documents",
                        d.kind, d.website, d.kind, d.website, o.id
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A workflow step on order `id` by the caller, answered with the order after it.
pub async fn advance(
    state: &AppState,
    caller: &Caller,
    id: i64,
    command: Command,
) -> Result<OrderDetail, FilingError> {
    let o = visible(state, caller, id).await?;
    let mut command = command;
    if let Command::ProviderReject(r) | Command::AdministrationReject(r) = &mut command {
        rejection_targets(state, &o, r).await?;
    }
    let (o, report) = step(
        state,
        &o,
        command,
        caller.role,
        &caller.actor(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    detail(state, caller, o, Some(report)).await
}

/// Decide a command on `o` with the workflow and apply it with the store, returning the order
/// after it and the rules' report the decision was taken on (a step does not change the
/// application, so it is the report of the order after it too). Entering the administration's
/// hands is announced to it in the same call.
pub async fn step(
    state: &AppState,
    o: &OrderRow,
    command: Command,
    role: Role,
    actor: &str,
    now: OffsetDateTime,
) -> Result<(OrderRow, Report), FilingError> {
    if let Some(by) = beian_core::workflow::blocking_claim(
        o.claimed_by.as_deref(),
        o.claimed_at,
        actor,
        role,
        now,
    ) {
        return Err(FilingError::ClaimedBy(by.to_owned()));
    }
    let application = application_of(o)?;
    let report = report_for(state, &application, Some(o.id), &o.account).await?;
    let mut facts = facts(state, o, &report);
    if command == Command::CompleteVerification && o.state == OrderState::Verification {
        // Documents, face photos and mailed statements, as reviewed in the service.
        let status = crate::service::documents::status_of(state, o).await?;
        if !status.complete {
            return Err(FilingError::VerificationIncomplete(
                crate::service::documents::missing_detail(&status),
            ));
        }
        facts.verification_complete = true;
    }
    let t = transition(o.state, &facts, role, &command, now).map_err(FilingError::Refused)?;
    let updated = state
        .store
        .apply_transition(o.id, o.version, &t, actor, now)
        .await?;
    record_review_duration(o, now);
    if t.action == Action::SubmitToAdministration {
        state
            .administration
            .receive(crate::administration::Submission {
                order: &updated,
                application: &application,
                at: now,
            })
            .await
            .map_err(|e| FilingError::Administration(e.to_string()))?;
    }
    Ok((updated, report))
}

/// How long an order spent in a review step, observed as it leaves the step
/// (`beian_review_duration_seconds{step}`).
pub fn record_review_duration(o: &OrderRow, now: OffsetDateTime) {
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

/// The numbers an approval issued.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Approved {
    /// The subject's ICP number (`京ICP备2026000001号`).
    pub subject_number: String,
    /// Each website's number, in the application's order (`京ICP备2026000001号-1`).
    pub website_numbers: Vec<String>,
    /// The order after approval.
    pub order: OrderDetail,
}

/// The administration approves order `id`: the workflow decides, then the store issues the
/// numbers and applies the filing type to the record in the transaction that approves it.
pub async fn approve(state: &AppState, caller: &Caller, id: i64) -> Result<Approved, FilingError> {
    let o = visible(state, caller, id).await?;
    let app = application_of(&o)?;
    let now = OffsetDateTime::now_utc();
    let report = report_for(state, &app, Some(o.id), &o.account).await?;
    let t = transition(
        o.state,
        &facts(state, &o, &report),
        caller.role,
        &Command::AdministrationApprove,
        now,
    )
    .map_err(FilingError::Refused)?;
    let province = u8::try_from(o.province).unwrap_or(0);
    let abbr = state
        .engine
        .data()
        .province_by_code(province)
        .and_then(|p| p.abbr.chars().next())
        .ok_or(FilingError::NoProvince)?;
    let plan = approval_plan(state, &o, &app, province, abbr, now);
    let approval = state
        .store
        .approve_order(id, o.version, &t, &plan, &caller.actor(), now)
        .await?;
    record_review_duration(&o, now);
    let after = state.store.order(id).await?.ok_or(FilingError::NotFound)?;
    Ok(Approved {
        subject_number: approval.subject.to_string(),
        website_numbers: approval.websites.iter().map(ToString::to_string).collect(),
        order: detail(state, caller, after, Some(report)).await?,
    })
}

/// What approving order `o` applies to the record, from its application.
pub fn approval_plan(
    state: &AppState,
    o: &OrderRow,
    app: &Application,
    province: u8,
    abbr: char,
    now: OffsetDateTime,
) -> ApprovalPlan {
    let subject = app.subject.as_ref();
    let admin_mobile = subject
        .and_then(|s| s.admin.as_ref())
        .and_then(|a| a.mobile.as_deref())
        .map(|m| m.trim().to_owned());
    ApprovalPlan {
        filing_type: FilingType::parse(&o.filing_type).unwrap_or(FilingType::Initial),
        province,
        abbr,
        year: now.to_offset(beian_core::sla::CHINA).year(),
        provider: state.provider.clone(),
        account: Some(o.account.clone()),
        subject: PlannedSubject {
            nature: subject
                .and_then(|s| s.nature)
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            name: subject
                .and_then(|s| s.name.as_deref())
                .unwrap_or("")
                .trim()
                .to_owned(),
            credential_type: subject
                .and_then(|s| s.credential.as_ref())
                .and_then(|c| c.kind)
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            credential: o.credential.clone(),
            mobiles: admin_mobile.into_iter().collect(),
        },
        websites: app
            .websites
            .iter()
            .flatten()
            .map(|w| {
                let mut domains: Vec<String> = Vec::new();
                for d in w.domains.iter().flatten() {
                    if let Some(r) = beian_rules::detect::registrable_ascii(d)
                        && !domains.contains(&r)
                    {
                        domains.push(r);
                    }
                }
                PlannedWebsite {
                    name: w.name.as_deref().unwrap_or("").trim().to_owned(),
                    domains,
                    service_number: w
                        .service_number
                        .as_deref()
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty()),
                }
            })
            .collect(),
    }
}

/// The provider's steps, each with one working day.
use beian_core::workflow::PROVIDER_STEPS;

/// The built-in administration's review SLA, in working days (as the order facts have used).
pub const ADMINISTRATION_REVIEW_DAYS: u32 = 20;

/// An order in the provider's queue with its step's deadline.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct QueueItem {
    pub id: i64,
    pub state: OrderState,
    #[serde(skip)]
    pub version: i32,
    pub filing_type: String,
    pub province: i16,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub entered_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub due: OffsetDateTime,
    pub overdue: bool,
    /// The deadline counts a year whose holidays are not published yet.
    pub estimated: bool,
    /// The reviewer working on it (`account:ID`), while the claim is live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
}

/// Claim order `id` for the calling reviewer (or renew its claim), so that no other reviewer
/// works on it for [`beian_core::workflow::CLAIM_LEASE`]; a supervisor takes a claim over.
pub async fn claim(state: &AppState, caller: &Caller, id: i64) -> Result<OrderDetail, FilingError> {
    let now = OffsetDateTime::now_utc();
    let force = caller.role == Role::Supervisor;
    match state
        .store
        .claim_order(
            id,
            &caller.actor(),
            now,
            now - beian_core::workflow::CLAIM_LEASE,
            force,
        )
        .await?
    {
        Ok(o) => detail(state, caller, o, None).await,
        Err(beian_store::ClaimRefused::ClaimedBy(by)) => Err(FilingError::ClaimedBy(by)),
        Err(beian_store::ClaimRefused::NotInProviderStep(s)) => Err(FilingError::NotClaimable(s)),
    }
}

/// Give up the caller's claim on order `id` (a supervisor: whoever's it is).
pub async fn release(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<OrderDetail, FilingError> {
    let o = visible(state, caller, id).await?;
    state
        .store
        .release_claim(id, &caller.actor(), caller.role == Role::Supervisor)
        .await?;
    let o = state
        .store
        .order(o.id)
        .await?
        .ok_or(FilingError::NotFound)?;
    detail(state, caller, o, None).await
}

/// The live claim on `o`, if any (claims lapse after the lease).
pub fn live_claim(o: &OrderRow, now: OffsetDateTime) -> Option<String> {
    match (&o.claimed_by, o.claimed_at) {
        (Some(by), Some(at)) if now < at + beian_core::workflow::CLAIM_LEASE => Some(by.clone()),
        _ => None,
    }
}

/// Deadlines of steps of `days` working days, computed once per China start date (a queue of
/// thousands of orders has a few hundred distinct dates).
pub struct Deadlines<'a> {
    calendar: &'a beian_core::calendar::WorkCalendar,
    known: std::collections::HashMap<(time::Date, u32), beian_core::sla::Deadline>,
}

impl<'a> Deadlines<'a> {
    pub fn new(calendar: &'a beian_core::calendar::WorkCalendar) -> Deadlines<'a> {
        Deadlines {
            calendar,
            known: std::collections::HashMap::new(),
        }
    }

    pub fn of(&mut self, start: OffsetDateTime, days: u32) -> beian_core::sla::Deadline {
        let date = start.to_offset(beian_core::sla::CHINA).date();
        *self
            .known
            .entry((date, days))
            .or_insert_with(|| beian_core::sla::deadline(self.calendar, start, days))
    }
}

/// The orders in `states` with their step's deadline (`days` working days) at `now`, most urgent
/// first.
async fn queue_of(
    state: &AppState,
    states: &[OrderState],
    days: u32,
    now: OffsetDateTime,
) -> Result<Vec<QueueItem>, StoreError> {
    let mut deadlines = Deadlines::new(&state.calendar);
    let mut items: Vec<QueueItem> = state
        .store
        .queue_rows(states)
        .await?
        .into_iter()
        .map(|o| {
            let d = deadlines.of(o.entered_at, days);
            let claimed_by = match (&o.claimed_by, o.claimed_at) {
                (Some(by), Some(at)) if now < at + beian_core::workflow::CLAIM_LEASE => {
                    Some(by.clone())
                }
                _ => None,
            };
            QueueItem {
                id: o.id,
                state: o.state,
                version: o.version,
                province: o.province,
                entered_at: o.entered_at,
                due: d.due,
                overdue: beian_core::sla::breached(&d, now),
                estimated: d.estimated,
                claimed_by,
                filing_type: o.filing_type,
            }
        })
        .collect();
    items.sort_by_key(|i| (i.due, i.id));
    Ok(items)
}

/// The provider's open steps with their deadlines at `now`, most urgent first.
pub async fn queue(state: &AppState, now: OffsetDateTime) -> Result<Vec<QueueItem>, StoreError> {
    queue_of(
        state,
        &PROVIDER_STEPS,
        beian_core::workflow::PROVIDER_STEP_WORKING_DAYS,
        now,
    )
    .await
}

/// The administration's queue: orders in its review with their deadlines at `now` (its SLA in
/// working days), most urgent first.
pub async fn administration_queue(
    state: &AppState,
    now: OffsetDateTime,
) -> Result<Vec<QueueItem>, StoreError> {
    queue_of(
        state,
        &[OrderState::AdministrationReview],
        ADMINISTRATION_REVIEW_DAYS,
        now,
    )
    .await
}

/// Orders past their provider SLA now.
pub async fn overdue_count(state: &AppState) -> Result<usize, StoreError> {
    Ok(queue(state, OffsetDateTime::now_utc())
        .await?
        .iter()
        .filter(|i| i.overdue)
        .count())
}

/// What the filing-type check tells an applicant before filing: the type the rules detect on the
/// record as it stands (the caller's own products and orders included), why a filing cannot
/// start, the documents that will be needed and the province's special rules.
#[derive(Debug, Clone)]
pub struct TypeCheck {
    pub filing_type: FilingType,
    pub refusals: Vec<beian_rules::Refusal>,
    pub documents: Vec<crate::service::documents::RequiredSlot>,
    /// The province's facts, when one is given.
    pub province: Option<ProvinceFacts>,
}

/// A province's special rules, as the type check lists them.
#[derive(Debug, Clone)]
pub struct ProvinceFacts {
    pub name: String,
    pub name_en: String,
    pub sms_pilot: bool,
    pub domains_per_website: u32,
    /// Preapproval categories required there.
    pub preapprovals: Vec<beian_rules::model::PreapprovalCategory>,
    pub mailed_statement: bool,
    pub app_verification: bool,
    pub domain_certificate: bool,
    /// Required forms of personal website names (`{}的博客`), if any.
    pub personal_name_forms: Vec<String>,
}

/// The filing-type check of `app` (domains, subject credential, province) for `account` (or a
/// visitor: `""`).
pub async fn type_check(
    state: &AppState,
    app: &Application,
    account: &str,
) -> Result<TypeCheck, FilingError> {
    let ctx = context_for(state, app, None, account).await?;
    let (filing_type, refusals) = beian_rules::detect(app, &ctx);
    let mut typed = app.clone();
    typed.filing_type = Some(filing_type);
    let documents = state
        .engine
        .documents_required(&typed)
        .iter()
        .map(|d| crate::service::documents::RequiredSlot::of(d, &typed))
        .collect();
    let data = state.engine.data();
    let province = app.province_code().and_then(|code| {
        let p = data.province_by_code(code)?;
        let rules = &data.province_rules;
        Some(ProvinceFacts {
            name: p.name.clone(),
            name_en: p.name_en.clone(),
            sms_pilot: rules.sms_pilot.contains(code),
            domains_per_website: rules.domains_per_website(code),
            preapprovals: beian_rules::model::PreapprovalCategory::ALL
                .iter()
                .copied()
                .filter(|c| rules.preapproval_required(*c, code))
                .collect(),
            mailed_statement: rules.mailed_statement.contains(code),
            app_verification: rules.app_verification.contains(code),
            domain_certificate: rules.domain_certificate.contains(code),
            personal_name_forms: rules
                .required_forms(code)
                .iter()
                .map(|(full, _)| full.clone())
                .collect(),
        })
    });
    Ok(TypeCheck {
        filing_type,
        refusals,
        documents,
        province,
    })
}

// ---- the application form's helpers (the console's form; any face may call them) ----------

/// The rules' report on a document `{"application": …}` in the context the store knows today,
/// as it would be for the caller's draft `order` (or a new one): the same context as
/// [`create`] and [`update`] use, so a field checked while typing shows what saving would.
/// Another account's order is [`FilingError::NotFound`].
pub async fn check_document(
    state: &AppState,
    caller: &Caller,
    order: Option<i64>,
    document: &str,
) -> Result<Report, FilingError> {
    if let Some(id) = order {
        owned(state, caller, id).await?;
    }
    let app = parse_document(document)
        .map_err(FilingError::Unusable)?
        .application;
    Ok(report_for(state, &app, order, &caller.account_id()).await?)
}

/// The caller's filed subject as its newest approved order filed it: the region and the subject
/// (and, when `website` names one of its filed websites, that website), to start an added
/// website, a change or a transfer from. `None` when the caller has no subject on record.
pub async fn filed_subject(
    state: &AppState,
    caller: &Caller,
    website: Option<&str>,
) -> Result<Option<Application>, FilingError> {
    let mut orders = state.store.orders_of(&caller.account_id()).await?;
    orders.retain(|o| o.state == OrderState::Approved);
    orders.sort_by_key(|o| std::cmp::Reverse(o.id));
    let mut found: Option<Application> = None;
    for o in &orders {
        if state
            .store
            .subject_on_record(&o.credential)
            .await?
            .is_none()
        {
            continue;
        }
        let app = application_of(o)?;
        if found.is_none() {
            found = Some(Application {
                filing_type: None,
                region: app.region.clone(),
                subject: app.subject.clone(),
                websites: None,
                documents: None,
            });
        }
        let Some(number) = website else { break };
        let numbers = crate::service::filed::website_numbers(state, o).await?;
        if let Some(i) = numbers.iter().position(|n| n.as_deref() == Some(number))
            && let Some(w) = app.websites.as_ref().and_then(|ws| ws.get(i))
            && let Some(f) = found.as_mut()
        {
            f.websites = Some(vec![w.clone()]);
            break;
        }
    }
    Ok(found)
}
