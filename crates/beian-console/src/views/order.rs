//! The applicant's orders after the application: the list, the status page (state, timeline,
//! expected completion, the actions the workflow offers now, documents with upload and preview,
//! notifications), withdrawal and deletion with a confirmation page, the SMS verification page.
//! Every decision is the service's: the buttons are `OrderDetail::actions`, the slots
//! `service::documents::status_of`, whose order it is `service::filing`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use beian_core::workflow::{Action, Command, OrderState, Role};
use beian_server::AppState;
use beian_server::service::documents::{self as docs, DocumentsError, SlotStatus};
use beian_server::service::filing::{self, HistoryEntry, OrderDetail};
use beian_server::service::verification::{self, SmsAnswer, SmsError};
use beian_store::{EventRow, OrderRow};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::PageResult;
use crate::error::{Failure, redirect};
use crate::i18n::{Lang, Tr};
use crate::page::{Chrome, render};
use crate::session::{Signed, Viewer};

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/orders", get(list))
        .route("/orders/{id}", get(show))
        .route("/orders/{id}/submit", post(submit))
        .route(
            "/orders/{id}/withdraw",
            get(withdraw_confirm).post(withdraw),
        )
        .route("/orders/{id}/delete", get(delete_confirm).post(delete))
        .route(
            "/orders/{id}/documents",
            // One document plus the form's framing, like the API's upload route.
            post(upload).layer(DefaultBodyLimit::max(
                beian_server::routes::documents::UPLOAD_BODY_BYTES,
            )),
        )
        .route("/orders/{id}/documents/{doc}", get(document))
        .route("/orders/{id}/sms", get(sms_form).post(sms_answer))
        .route("/orders/{id}/updates", get(updates))
}

/// An order id from the path; anything else is a page that does not exist.
fn order_id(raw: &str) -> Result<i64, Failure> {
    raw.parse::<i64>().map_err(|_| Failure::not_found())
}

/// The China Standard Time (UTC+8) of `at`: `2026-05-01 14:03`, and its RFC 3339 form.
pub fn china_time(at: OffsetDateTime) -> (String, String) {
    let local = at.to_offset(beian_core::sla::CHINA);
    let shown = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    );
    let iso = local
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    (shown, iso)
}

/// The page language's name of a state.
pub fn state_name(tr: &Tr, state: &str) -> String {
    tr.t(&format!("order-state-{state}"))
}

/// The page language's name of a filing type.
pub fn type_name(tr: &Tr, filing_type: &str) -> String {
    tr.t(&format!("order-type-{filing_type}"))
}

/// An action's name as the API spells it (`withdraw`, `submit`).
fn action_slug(a: Action) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The action a history entry records (`ProviderPass` → `Action::ProviderPass`).
fn recorded_action(name: &str) -> Option<Action> {
    Action::ALL.into_iter().find(|a| format!("{a:?}") == name)
}

// ---------------------------------------------------------------------------------------------
// The list

pub struct OrderLine {
    pub id: i64,
    pub state: String,
    pub state_name: String,
    pub type_name: String,
}

#[derive(Template)]
#[template(path = "order_list.html")]
pub struct OrderListPage {
    pub c: Chrome,
    pub orders: Vec<OrderLine>,
}

/// `GET /orders`: the caller's orders.
async fn list(State(state): State<Arc<AppState>>, s: Signed) -> PageResult {
    let c = Chrome::new(&s.viewer, "order-list-title");
    let orders = filing::list(&state, &s.caller)
        .await?
        .into_iter()
        .rev()
        .map(|o| OrderLine {
            id: o.id,
            state: o.state.as_str().to_owned(),
            state_name: state_name(&c.tr, o.state.as_str()),
            type_name: type_name(&c.tr, &o.filing_type),
        })
        .collect();
    Ok(render(&OrderListPage { c, orders }))
}

// ---------------------------------------------------------------------------------------------
// The status page

/// A rejection reason in words, from the catalogue (`GET /api/v1/rejection-reasons`).
pub struct ReasonWords {
    pub code: String,
    pub title: String,
    pub solution: String,
}

fn reason_words(state: &AppState, lang: Lang, code: &str) -> Option<ReasonWords> {
    let parsed = beian_rules::ReasonCode::parse(code.trim())?;
    let t = state.engine.data().reason(parsed)?;
    Some(ReasonWords {
        code: parsed.as_str().to_owned(),
        title: lang.pick(&t.title_zh, &t.title_en).to_owned(),
        solution: lang.pick(&t.solution_zh, &t.solution_en).to_owned(),
    })
}

pub struct TimelineItem {
    pub shown: String,
    pub iso: String,
    pub actor: String,
    pub what: String,
    pub from: String,
    pub to: String,
    pub reasons: Vec<ReasonWords>,
    pub note: String,
}

/// Who took a step, in words: never another account's id.
fn actor_words(tr: &Tr, h: &HistoryEntry, me: &str, owner_view: bool) -> String {
    if h.actor == me {
        return tr.t("order-actor-you");
    }
    if h.actor == "system" {
        return tr.t("order-actor-system");
    }
    let role = recorded_action(&h.action).and_then(|a| a.roles().first().copied());
    match role {
        Some(Role::Applicant) if owner_view => tr.t("order-actor-you"),
        Some(Role::Applicant) => tr.t("order-actor-applicant"),
        Some(Role::Reviewer | Role::Supervisor) => tr.t("order-actor-provider"),
        Some(Role::Administration) => tr.t("order-actor-administration"),
        Some(Role::System) => tr.t("order-actor-system"),
        None => tr.t("order-actor-provider"),
    }
}

fn timeline(
    state: &AppState,
    tr: &Tr,
    history: &[HistoryEntry],
    me: &str,
    owner_view: bool,
) -> Vec<TimelineItem> {
    history
        .iter()
        .map(|h| {
            let (shown, iso) = china_time(h.at);
            TimelineItem {
                shown,
                iso,
                actor: actor_words(tr, h, me, owner_view),
                what: match recorded_action(&h.action) {
                    Some(a) => tr.t(&format!("order-did-{}", action_slug(a))),
                    None => tr.t("order-did-other"),
                },
                from: h
                    .from
                    .as_deref()
                    .map(|s| state_name(tr, s))
                    .unwrap_or_default(),
                to: h
                    .to
                    .as_deref()
                    .map(|s| state_name(tr, s))
                    .unwrap_or_default(),
                reasons: h
                    .reasons
                    .split(',')
                    .filter(|r| !r.trim().is_empty())
                    .filter_map(|r| reason_words(state, tr.lang, r))
                    .collect(),
                note: h.note.clone(),
            }
        })
        .collect()
}

/// The timeline as the staff read it: each staff step with its login, the applicant's as such.
pub fn staff_timeline(
    state: &AppState,
    tr: &Tr,
    history: &[HistoryEntry],
    logins: &std::collections::BTreeMap<String, String>,
) -> Vec<TimelineItem> {
    let mut items = timeline(state, tr, history, "", false);
    for (item, h) in items.iter_mut().zip(history) {
        if let Some(login) = logins.get(&h.actor) {
            item.actor = login.clone();
        }
    }
    items
}

/// A button (or, for `edit`, a link) for an action the workflow offers the applicant now.
pub struct ActionButton {
    pub slug: String,
    pub label: String,
    pub link: bool,
    pub danger: bool,
}

fn applicant_actions(tr: &Tr, detail: &OrderDetail) -> Vec<ActionButton> {
    detail
        .actions
        .iter()
        .filter(|a| a.roles().contains(&Role::Applicant))
        .map(|a| {
            let slug = action_slug(*a);
            ActionButton {
                label: tr.t(&format!("order-action-{slug}")),
                link: *a == Action::Edit,
                danger: matches!(a, Action::Withdraw | Action::Delete),
                slug,
            }
        })
        .collect()
}

/// One required document on the page.
pub struct SlotView {
    /// `{kind}-{website}` (and `-{category}` for preapproval documents): the ids' suffix.
    pub key: String,
    pub kind: String,
    /// The form's `website` value: the index, or empty for a document of the subject.
    pub website: String,
    pub category: String,
    pub name: String,
    pub status: String,
    pub status_name: String,
    pub document: Option<i64>,
    pub reason: Option<ReasonWords>,
    pub note: String,
    /// What went wrong with the last upload to this slot, in words.
    pub error: Option<String>,
}

impl SlotView {
    fn of(state: &AppState, tr: &Tr, s: &SlotStatus) -> SlotView {
        let slot = &s.slot;
        let mut key = format!("{}-{}", slot.kind, slot.website);
        if !slot.category.is_empty() {
            key.push('-');
            key.push_str(&slot.category);
        }
        SlotView {
            key,
            kind: slot.kind.to_owned(),
            website: if slot.website >= 0 {
                slot.website.to_string()
            } else {
                String::new()
            },
            category: slot.category.clone(),
            name: tr.pick(&slot.name_zh, &slot.name_en).to_owned(),
            status: s.status.to_owned(),
            status_name: tr.t(&format!("order-doc-{}", s.status)),
            document: s.document,
            reason: (!s.reason.is_empty())
                .then(|| reason_words(state, tr.lang, &s.reason))
                .flatten(),
            note: s.note.clone(),
            error: None,
        }
    }
}

pub struct DocumentsView {
    pub slots: Vec<SlotView>,
    /// Uploads are taken now (the order is in verification and is the caller's).
    pub uploads: bool,
    pub statements_required: bool,
    pub statements_received: bool,
    /// Upload problems that name no slot.
    pub error: Option<String>,
    /// What a file must be (formats, size).
    pub hint: String,
}

/// One notification: an event about this order, in words.
pub struct Note {
    pub shown: String,
    pub iso: String,
    pub text: String,
    pub state_changed: bool,
}

/// The latest notifications about an order and the last event seen.
pub struct Notifications {
    pub order: i64,
    pub after: i64,
    pub items: Vec<Note>,
    /// A state change arrived after the page was drawn: reload to see it.
    pub stale: bool,
}

/// A website of the application as the status page lists it.
pub struct WebsiteLine {
    pub name: String,
    pub domains: String,
    /// Its ICP number once approved.
    pub number: Option<String>,
}

#[derive(Template)]
#[template(path = "order.html")]
pub struct OrderPage {
    pub c: Chrome,
    pub id: i64,
    pub state: String,
    pub state_name: String,
    /// What is happening now and whose turn it is.
    pub state_help: String,
    pub type_name: String,
    pub expected: Option<String>,
    pub subject_name: String,
    pub credential: String,
    pub subject_number: Option<String>,
    pub websites: Vec<WebsiteLine>,
    /// A draft the rules find errors in: how many, in words.
    pub report_note: Option<String>,
    pub actions: Vec<ActionButton>,
    pub sms: bool,
    pub timeline: Vec<TimelineItem>,
    pub documents: Option<DocumentsView>,
    pub notes: Notifications,
    pub staff_view: bool,
    /// A draft back from a field-level rejection: the fields it names, linking to the form.
    pub rejected: Vec<crate::views::application::RejectedMark>,
}

/// Where an upload's problem is shown: beside its slot, or above the documents.
struct UploadProblem {
    kind: String,
    website: String,
    category: String,
    message: String,
}

/// The events about order `id` the caller may follow, after `after` (at most `limit` scanned).
async fn order_events(
    state: &AppState,
    s: &Signed,
    id: i64,
    after: i64,
) -> Result<Vec<EventRow>, Failure> {
    let mut out = Vec::new();
    let mut cursor = after;
    // The caller's feed, a page at a time, filtered to this order.
    loop {
        let page =
            beian_server::service::events::visible_after(state, &s.caller, cursor, 500).await?;
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        let full = page.len() == 500;
        out.extend(page.into_iter().filter(|e| e.order_id == Some(id)));
        if !full {
            break;
        }
    }
    Ok(out)
}

fn note_of(tr: &Tr, e: &EventRow) -> Note {
    let (shown, iso) = china_time(e.at);
    let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
    let (text, state_changed) = match e.kind.as_str() {
        "order.state_changed" => (
            tr.args(
                "order-event-state",
                &[
                    (
                        "from",
                        &e.from_state
                            .as_deref()
                            .map(|s| state_name(tr, s))
                            .unwrap_or_default(),
                    ),
                    (
                        "to",
                        &e.to_state
                            .as_deref()
                            .map(|s| state_name(tr, s))
                            .unwrap_or_default(),
                    ),
                ],
            ),
            true,
        ),
        "document.reviewed" if data["status"] == "accepted" => {
            (tr.t("order-event-document-accepted"), false)
        }
        "document.reviewed" => (tr.t("order-event-document-rejected"), false),
        "backdrop.shipped" => (tr.t("order-event-backdrop"), false),
        "order.sla_breached" => (tr.t("order-event-sla"), false),
        _ => (tr.t("order-event-other"), false),
    };
    Note {
        shown,
        iso,
        text,
        state_changed,
    }
}

/// The latest notifications (newest first) from the events about the order.
fn notifications(tr: &Tr, id: i64, events: &[EventRow], since: i64) -> Notifications {
    let after = events.last().map_or(since, |e| e.seq);
    Notifications {
        order: id,
        after,
        items: events
            .iter()
            .rev()
            .take(5)
            .map(|e| note_of(tr, e))
            .collect(),
        stale: false,
    }
}

/// Render the status page of order `id` for `s`, with an upload's problem if any.
async fn order_page(
    state: &AppState,
    s: &Signed,
    id: i64,
    problem: Option<UploadProblem>,
) -> Result<OrderPage, Failure> {
    let o: OrderRow = filing::visible(state, &s.caller, id).await?;
    let detail = filing::detail(state, &s.caller, o.clone(), None).await?;
    let mut c = Chrome::new(&s.viewer, "order-title");
    c.title = c.tr.t1("order-title", "id", &id.to_string());
    let tr = c.tr;
    let owner_view = o.account == s.caller.account_id();
    let state_str = detail.state.as_str();

    let app = filing::application_of(&o)?;
    let subject = app.subject.as_ref();
    let numbers = if detail.state == OrderState::Approved {
        beian_server::service::filed::website_numbers(state, &o).await?
    } else {
        Vec::new()
    };
    let websites = app
        .websites
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, w)| WebsiteLine {
            name: w.name.clone().unwrap_or_default(),
            domains: w.domains.clone().unwrap_or_default().join(", "),
            number: numbers.get(i).cloned().flatten(),
        })
        .collect();

    let history = timeline(state, &tr, &detail.history, &s.caller.actor(), owner_view);

    let documents = if detail.state.is_terminal() {
        None
    } else {
        let status = docs::status_of(state, &o).await?;
        let mut slots: Vec<SlotView> = status
            .slots
            .iter()
            .map(|x| SlotView::of(state, &tr, x))
            .collect();
        let mut error = None;
        if let Some(p) = problem {
            match slots
                .iter_mut()
                .find(|x| x.kind == p.kind && x.website == p.website && x.category == p.category)
            {
                Some(slot) => slot.error = Some(p.message),
                None => error = Some(p.message),
            }
        }
        Some(DocumentsView {
            slots,
            uploads: detail.state == OrderState::Verification && owner_view,
            statements_required: status.statements_required,
            statements_received: status.statements_received,
            error,
            hint: tr.t1(
                "order-doc-hint",
                "mb",
                &(state.document_limits.max_bytes / (1024 * 1024)).to_string(),
            ),
        })
    };

    let events = if owner_view {
        order_events(state, s, id, 0).await?
    } else {
        Vec::new()
    };

    Ok(OrderPage {
        id,
        state: state_str.to_owned(),
        state_name: state_name(&tr, state_str),
        state_help: tr.t(&format!("order-help-{state_str}")),
        type_name: type_name(&tr, &detail.filing_type),
        expected: detail.expected_completion.as_ref().map(|e| {
            if e.estimated {
                tr.t1("order-expected-estimated", "date", &e.date)
            } else {
                e.date.clone()
            }
        }),
        subject_name: subject.and_then(|x| x.name.clone()).unwrap_or_default(),
        credential: beian_core::mask::credential_number(&o.credential),
        subject_number: detail.subject_number.clone(),
        websites,
        report_note: (detail.state == OrderState::Draft && detail.report.summary.errors > 0).then(
            || {
                tr.t1(
                    "order-report-errors",
                    "count",
                    &detail.report.summary.errors.to_string(),
                )
            },
        ),
        actions: if owner_view {
            applicant_actions(&tr, &detail)
        } else {
            Vec::new()
        },
        sms: owner_view && detail.state == OrderState::SmsVerification,
        timeline: history,
        documents,
        notes: notifications(&tr, id, &events, 0),
        staff_view: !owner_view,
        rejected: match &detail.rejection {
            Some(r) if detail.state == OrderState::Draft => {
                crate::views::application::rejected_marks(
                    state,
                    tr.lang,
                    r,
                    &format!("/orders/{id}/edit"),
                )
            }
            _ => Vec::new(),
        },
        c,
    })
}

/// `GET /orders/{id}`: the status page.
async fn show(State(state): State<Arc<AppState>>, s: Signed, Path(id): Path<String>) -> PageResult {
    let id = order_id(&id)?;
    Ok(render(&order_page(&state, &s, id, None).await?))
}

// ---------------------------------------------------------------------------------------------
// Steps: submit, withdraw, delete

#[derive(Deserialize, Default)]
struct StepForm {
    #[serde(default)]
    csrf: String,
    /// Set by the confirmation page's button.
    #[serde(default)]
    confirm: String,
}

/// `POST /orders/{id}/submit`.
async fn submit(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    let id = order_id(&id)?;
    filing::advance(&state, &s.caller, id, Command::Submit).await?;
    Ok(redirect(&format!("/orders/{id}")))
}

#[derive(Template)]
#[template(path = "order_confirm.html")]
pub struct ConfirmPage {
    pub c: Chrome,
    pub id: i64,
    /// `withdraw` or `delete`.
    pub action: &'static str,
    pub question: String,
    pub consequence: String,
    pub button: String,
}

async fn confirm_page(
    state: &AppState,
    s: &Signed,
    id: i64,
    action: Action,
) -> Result<Response, Failure> {
    // Whose order it is, and whether the workflow offers the step now.
    let detail = filing::get(state, &s.caller, id).await?;
    let o = filing::owned(state, &s.caller, id).await?;
    if !detail.actions.contains(&action) {
        return Ok(redirect(&format!("/orders/{}", o.id)));
    }
    let (slug, title) = match action {
        Action::Delete => ("delete", "order-delete-title"),
        _ => ("withdraw", "order-withdraw-title"),
    };
    let c = Chrome::new(&s.viewer, title);
    Ok(render(&ConfirmPage {
        question: c
            .tr
            .t1(&format!("order-{slug}-question"), "id", &id.to_string()),
        consequence: c.tr.t(&format!("order-{slug}-consequence")),
        button: c.tr.t(&format!("order-{slug}-confirm")),
        c,
        id,
        action: slug,
    }))
}

/// `GET /orders/{id}/withdraw`: are you sure?
async fn withdraw_confirm(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
) -> PageResult {
    confirm_page(&state, &s, order_id(&id)?, Action::Withdraw).await
}

/// `POST /orders/{id}/withdraw`: from the status page, the confirmation page; from the
/// confirmation page (`confirm=yes`), the withdrawal.
async fn withdraw(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    let id = order_id(&id)?;
    if f.confirm != "yes" {
        return confirm_page(&state, &s, id, Action::Withdraw).await;
    }
    filing::advance(&state, &s.caller, id, Command::Withdraw).await?;
    Ok(redirect(&format!("/orders/{id}")))
}

/// `GET /orders/{id}/delete`: are you sure?
async fn delete_confirm(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
) -> PageResult {
    confirm_page(&state, &s, order_id(&id)?, Action::Delete).await
}

/// `POST /orders/{id}/delete`: as withdraw, for a draft never submitted.
async fn delete(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    let id = order_id(&id)?;
    if f.confirm != "yes" {
        return confirm_page(&state, &s, id, Action::Delete).await;
    }
    filing::advance(&state, &s.caller, id, Command::Delete).await?;
    Ok(redirect("/orders"))
}

// ---------------------------------------------------------------------------------------------
// Documents

/// `POST /orders/{id}/documents`: one upload from the status page's form (multipart with
/// `csrf`, `kind`, `website`, `category`, `file`). The CSRF field is checked before anything is
/// stored; a refused file is shown beside its slot.
async fn upload(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    request: Request,
) -> PageResult {
    let id = order_id(&id)?;
    // Whose order it is is decided before the body is read.
    let o = filing::owned(&state, &s.caller, id).await?;
    let read = match Multipart::from_request(request, &state).await {
        Ok(m) => beian_server::routes::documents::read_upload(m, state.document_limits.max_bytes)
            .await
            .map_err(Some),
        Err(_) => Err(None),
    };
    let (fields, csrf) = match read {
        Ok(r) => r,
        Err(e) => {
            // Without a whole form there is no CSRF value to trust: refuse as the API would.
            return Err(match e {
                Some(api) => Failure::from(api),
                None => Failure::csrf(),
            });
        }
    };
    s.viewer.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let slot = (
        fields.kind.clone().unwrap_or_default(),
        fields.website.clone().unwrap_or_default(),
        fields.category.clone().unwrap_or_default(),
    );
    let stored = match docs::ready_for_upload(&state, &o) {
        Ok(files) => docs::store_upload(&state, &s.caller, &o, &files, fields).await,
        Err(e) => Err(e),
    };
    match stored {
        Ok(_) => Ok(redirect(&format!("/orders/{id}#documents"))),
        Err(DocumentsError::Filing(e)) => Err(e.into()),
        Err(e) => {
            // The service's bilingual words (the document checks' own for a refused file).
            let api = beian_server::ApiError::from(e);
            if api.status.is_server_error() {
                return Err(api.into());
            }
            let lang = s.viewer.lang;
            let message = format!("{} {}", lang.half(&api.title), lang.half(&api.detail));
            let page = order_page(
                &state,
                &s,
                id,
                Some(UploadProblem {
                    kind: slot.0.trim().to_owned(),
                    website: slot.1.trim().to_owned(),
                    category: slot.2.trim().to_owned(),
                    message,
                }),
            )
            .await?;
            let mut r = render(&page);
            *r.status_mut() = api.status;
            Ok(r)
        }
    }
}

/// `GET /orders/{id}/documents/{doc}`: the stored image (as the API's documentFile: the
/// order's applicant or staff).
async fn document(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path((id, doc)): Path<(String, String)>,
) -> PageResult {
    let id = order_id(&id)?;
    let doc = order_id(&doc)?;
    match docs::document_file(&state, &s.caller, id, doc).await {
        Ok((d, bytes)) => Ok(beian_server::routes::documents::image_response(&d, bytes)),
        Err(DocumentsError::DocumentNotFound) => Err(Failure::not_found()),
        Err(e) => Err(Failure::from(beian_server::ApiError::from(e))),
    }
}

// ---------------------------------------------------------------------------------------------
// SMS verification

#[derive(Template)]
#[template(path = "order_sms.html")]
pub struct SmsPage {
    pub c: Chrome,
    pub id: i64,
    pub mobile: String,
    pub pending: bool,
    pub error: Option<String>,
}

fn sms_page(v: &Viewer, o: &OrderRow, error: Option<String>) -> Result<SmsPage, Failure> {
    let app = filing::application_of(o)?;
    let mobile = app
        .subject
        .as_ref()
        .and_then(|x| x.admin.as_ref())
        .and_then(|a| a.mobile.as_deref())
        .map(beian_core::mask::mobile)
        .unwrap_or_default();
    Ok(SmsPage {
        c: Chrome::new(v, "order-sms-title"),
        id: o.id,
        mobile,
        pending: o.state == OrderState::SmsVerification,
        error,
    })
}

/// `GET /orders/{id}/sms` (the order's applicant).
async fn sms_form(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
) -> PageResult {
    let o = filing::owned(&state, &s.caller, order_id(&id)?).await?;
    Ok(render(&sms_page(&s.viewer, &o, None)?))
}

#[derive(Deserialize)]
struct SmsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// `POST /orders/{id}/sms`: the code; the mobile and the credential number's last six characters
/// are the application's own (the challenge was opened with them), so the page shows them only
/// masked.
async fn sms_answer(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Form(f): Form<SmsForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    let o = filing::owned(&state, &s.caller, order_id(&id)?).await?;
    let app = filing::application_of(&o)?;
    let subject = app.subject.as_ref();
    let mobile = subject
        .and_then(|x| x.admin.as_ref())
        .and_then(|a| a.mobile.clone())
        .unwrap_or_default();
    let credential = beian_rules::detect::normalise_credential_number(
        subject
            .and_then(|x| x.credential.as_ref())
            .and_then(|c| c.number.as_deref())
            .unwrap_or(""),
    );
    let tail: String = {
        let chars: Vec<char> = credential.chars().collect();
        chars[chars.len().saturating_sub(6)..].iter().collect()
    };
    let answer = SmsAnswer {
        code: f.code,
        mobile,
        credential_tail: tail,
    };
    let tr = s.viewer.tr();
    let (status, message) = match verification::answer(&state, &s.caller, o.id, &answer).await {
        Ok(_) => return Ok(redirect(&format!("/orders/{}", o.id))),
        Err(SmsError::Wrong { left }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            tr.t1("order-sms-wrong", "left", &left.to_string()),
        ),
        Err(SmsError::Failed) => (StatusCode::UNPROCESSABLE_ENTITY, tr.t("order-sms-failed")),
        Err(SmsError::TimedOut) => (StatusCode::GONE, tr.t("order-sms-timed-out")),
        Err(SmsError::NotPending(_)) => (StatusCode::CONFLICT, tr.t("order-sms-not-pending")),
        Err(SmsError::Filing(e)) => return Err(e.into()),
    };
    let o = filing::owned(&state, &s.caller, o.id).await?;
    let mut r = render(&sms_page(&s.viewer, &o, Some(message))?);
    *r.status_mut() = status;
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// Notifications

#[derive(Template)]
#[template(path = "order_updates.html")]
pub struct UpdatesFragment {
    pub c: Chrome,
    pub notes: Notifications,
}

#[derive(Deserialize)]
struct UpdatesQuery {
    #[serde(default)]
    after: i64,
}

/// `GET /orders/{id}/updates?after=SEQ`: the notifications block again when an event about the
/// order committed after `SEQ` (htmx polls it), else 204 (nothing to swap).
async fn updates(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Query(q): Query<UpdatesQuery>,
) -> PageResult {
    let id = order_id(&id)?;
    // The owner's notifications (staff follow the feed elsewhere).
    filing::owned(&state, &s.caller, id).await?;
    let fresh = order_events(&state, &s, id, q.after).await?;
    if fresh.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let stale = fresh.iter().any(|e| e.kind == "order.state_changed");
    let all = order_events(&state, &s, id, 0).await?;
    let c = Chrome::new(&s.viewer, "order-notifications");
    let mut notes = notifications(&c.tr, id, &all, q.after);
    notes.stale = stale;
    Ok(render(&UpdatesFragment { c, notes }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// The keys built from names (states, types, actions, document statuses) exist in both
    /// languages: the catalogue test only sees literal keys.
    #[test]
    fn every_built_key_exists() {
        let mut keys = Vec::new();
        for s in OrderState::ALL {
            keys.push(format!("order-state-{}", s.as_str()));
            keys.push(format!("order-help-{}", s.as_str()));
        }
        for t in beian_rules::FilingType::ALL {
            keys.push(format!("order-type-{}", t.as_str()));
        }
        for a in Action::ALL {
            keys.push(format!("order-did-{}", action_slug(a)));
            if a.roles().contains(&Role::Applicant) {
                keys.push(format!("order-action-{}", action_slug(a)));
            }
        }
        for s in ["missing", "pending", "accepted", "rejected"] {
            keys.push(format!("order-doc-{s}"));
        }
        for t in [
            "change_website",
            "change_subject",
            "change_access",
            "cancel_website",
            "cancel_access",
            "cancel_subject",
        ] {
            keys.push(format!("filed-start-{t}"));
        }
        for s in ["open", "rectified", "overdue"] {
            keys.push(format!("filed-notice-{s}"));
        }
        for lang in [Lang::Zh, Lang::En] {
            let tr = Tr { lang };
            for k in &keys {
                assert_ne!(&tr.t(k), k, "{k} missing in {}", lang.tag());
            }
        }
    }

    #[test]
    fn history_actions_are_read_back() {
        assert_eq!(recorded_action("ProviderPass"), Some(Action::ProviderPass));
        assert_eq!(recorded_action("Nonsense"), None);
        assert_eq!(
            action_slug(Action::SubmitToAdministration),
            "submit_to_administration"
        );
    }

    #[test]
    fn times_are_shown_in_china() {
        let at = time::macros::datetime!(2026-05-01 23:30 UTC);
        assert_eq!(china_time(at).0, "2026-05-02 07:30");
    }
}
