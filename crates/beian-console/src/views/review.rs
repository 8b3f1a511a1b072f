//! The reviewers' and the administration's console: the queue by SLA deadline with filters and
//! counts, claiming, and the review page (the application field by field with the rules'
//! findings, the documents side by side with accept and reject, what changed since the last
//! rejection, the history, and exactly the actions the workflow offers the role now), where a
//! rejection names fields and documents. Every decision is the service's: `service::filing`
//! (queue, claims, steps, rejections), `service::documents` (slots and reviews).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use beian_core::workflow::{Action, Command, OrderState, Role};
use beian_rules::ReasonCode;
use beian_server::AppState;
use beian_server::service::documents as docs;
use beian_server::service::filing::{self, FilingError, OrderDetail, QueueItem, RejectionInput};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::PageResult;
use crate::error::{Failure, redirect};
use crate::i18n::{Lang, Tr};
use crate::page::{Chrome, render};
use crate::session::Signed;
use crate::views::order::{china_time, state_name, type_name};

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/review", get(queue))
        .route("/administration", get(administration_queue))
        .route("/administration/sms", get(sms_outbox))
        .route("/review/orders/{id}", get(order))
        .route("/review/orders/{id}/claim", post(claim))
        .route("/review/orders/{id}/release", post(release))
        .route("/review/orders/{id}/step/{action}", post(step))
        .route("/review/orders/{id}/reject", post(reject))
        .route("/review/orders/{id}/documents/{doc}", post(review_document))
}

/// The provider's staff (reviewers and supervisors); others get the 403 page.
fn staff(s: &Signed) -> Result<(), Failure> {
    match s.caller.role {
        Role::Reviewer | Role::Supervisor => Ok(()),
        _ => Err(Failure::new(StatusCode::FORBIDDEN, "error-forbidden")),
    }
}

/// The provider's staff or the administration: who may open a review page.
fn deciders(s: &Signed) -> Result<(), Failure> {
    match s.caller.role {
        Role::Reviewer | Role::Supervisor | Role::Administration => Ok(()),
        _ => Err(Failure::new(StatusCode::FORBIDDEN, "error-forbidden")),
    }
}

fn order_id(raw: &str) -> Result<i64, Failure> {
    raw.parse::<i64>().map_err(|_| Failure::not_found())
}

/// Staff logins by actor (`account:ID` → `reviewer`).
async fn logins(state: &AppState) -> Result<BTreeMap<String, String>, Failure> {
    Ok(state
        .store
        .staff_logins()
        .await
        .map_err(|e| Failure::from(beian_server::ApiError::from(e)))?
        .into_iter()
        .collect())
}

fn province_name(state: &AppState, lang: Lang, code: i16) -> String {
    state
        .engine
        .data()
        .provinces()
        .iter()
        .find(|p| i16::from(p.code) == code)
        .map(|p| lang.pick(&p.name, &p.name_en).to_owned())
        .unwrap_or_else(|| code.to_string())
}

// ---------------------------------------------------------------------------------------------
// The queue

pub struct QueueRow {
    pub id: i64,
    pub type_name: String,
    pub province: String,
    pub state: String,
    pub state_name: String,
    pub entered: String,
    pub due: String,
    pub due_iso: String,
    pub overdue: bool,
    pub estimated: bool,
    /// Who works on it (a login), if anyone.
    pub claimed: String,
    pub mine: bool,
}

/// A choice of a filter's select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Deserialize, Default, Clone)]
pub struct QueueFilter {
    #[serde(default)]
    pub province: String,
    #[serde(default, rename = "type")]
    pub filing_type: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub breached: String,
    #[serde(default)]
    pub mine: String,
    /// The page of the list (100 rows each), from 0.
    #[serde(default)]
    pub page: String,
}

/// Rows per queue page.
const QUEUE_PAGE: usize = 100;

impl QueueFilter {
    /// This filter's link to page `page` of `base`.
    fn href(&self, base: &str, page: usize) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("province", &self.province),
            ("type", &self.filing_type),
            ("state", &self.state),
            ("breached", &self.breached),
            ("mine", &self.mine),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", crate::page::encode_component(v)));
            }
        }
        if page > 0 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }
}

pub struct Counts {
    pub shown: usize,
    pub total: usize,
    pub breached: usize,
    pub mine: usize,
    pub unclaimed: usize,
}

#[derive(Template)]
#[template(path = "review_queue.html")]
pub struct QueuePage {
    pub c: Chrome,
    pub rows: Vec<QueueRow>,
    pub counts: Counts,
    pub provinces: Vec<Choice>,
    pub types: Vec<Choice>,
    pub states: Vec<Choice>,
    pub breached: bool,
    pub mine: bool,
    /// The administration's queue (no claims, no state filter).
    pub administration: bool,
    pub action: &'static str,
    /// The previous and next pages' links, when there are such pages.
    pub prev: Option<String>,
    pub next: Option<String>,
}

fn choices(values: Vec<(String, String)>, selected: &str) -> Vec<Choice> {
    values
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

async fn queue_page(
    state: &AppState,
    s: &Signed,
    items: Vec<QueueItem>,
    f: &QueueFilter,
    administration: bool,
) -> PageResult {
    let title = if administration {
        "review-admin-queue-title"
    } else {
        "review-queue-title"
    };
    let c = Chrome::new(&s.viewer, title);
    let tr = c.tr;
    let names = logins(state).await?;
    let me = s.caller.actor();
    let all = items.len();
    let breached = items.iter().filter(|i| i.overdue).count();
    let mine = items
        .iter()
        .filter(|i| i.claimed_by.as_deref() == Some(me.as_str()))
        .count();
    let unclaimed = items.iter().filter(|i| i.claimed_by.is_none()).count();
    let mut provinces: Vec<i16> = items.iter().map(|i| i.province).collect();
    provinces.sort_unstable();
    provinces.dedup();
    let mut types: Vec<String> = items.iter().map(|i| i.filing_type.clone()).collect();
    types.sort();
    types.dedup();
    let page: usize = f.page.trim().parse().unwrap_or(0);
    let mut matching = 0usize;
    let rows: Vec<QueueRow> = items
        .into_iter()
        // Breached orders first (the list is already by deadline, so they lead it anyway).
        .filter(|i| f.province.is_empty() || format!("{:02}", i.province) == f.province)
        .filter(|i| f.filing_type.is_empty() || i.filing_type == f.filing_type)
        .filter(|i| f.state.is_empty() || i.state.as_str() == f.state)
        .filter(|i| f.breached.is_empty() || i.overdue)
        .filter(|i| f.mine.is_empty() || i.claimed_by.as_deref() == Some(me.as_str()))
        .inspect(|_| matching += 1)
        .skip(page.saturating_mul(QUEUE_PAGE))
        .take(QUEUE_PAGE)
        .map(|i| {
            let (due, due_iso) = china_time(i.due);
            let (entered, _) = china_time(i.entered_at);
            QueueRow {
                id: i.id,
                type_name: type_name(&tr, &i.filing_type),
                province: province_name(state, tr.lang, i.province),
                state: i.state.as_str().to_owned(),
                state_name: state_name(&tr, i.state.as_str()),
                entered,
                due,
                due_iso,
                overdue: i.overdue,
                estimated: i.estimated,
                mine: i.claimed_by.as_deref() == Some(me.as_str()),
                claimed: i
                    .claimed_by
                    .as_ref()
                    .map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone()))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let base = if administration {
        "/administration"
    } else {
        "/review"
    };
    let prev = (page > 0).then(|| f.href(base, page - 1));
    let next = ((page + 1) * QUEUE_PAGE < matching).then(|| f.href(base, page + 1));
    let counts = Counts {
        shown: matching,
        total: all,
        breached,
        mine,
        unclaimed,
    };
    let page = QueuePage {
        provinces: choices(
            provinces
                .iter()
                .map(|p| (format!("{p:02}"), province_name(state, tr.lang, *p)))
                .collect(),
            &f.province,
        ),
        types: choices(
            types
                .iter()
                .map(|t| (t.clone(), type_name(&tr, t)))
                .collect(),
            &f.filing_type,
        ),
        states: choices(
            beian_core::workflow::PROVIDER_STEPS
                .iter()
                .map(|s| (s.as_str().to_owned(), state_name(&tr, s.as_str())))
                .collect(),
            &f.state,
        ),
        breached: !f.breached.is_empty(),
        mine: !f.mine.is_empty(),
        administration,
        action: if administration {
            "/administration"
        } else {
            "/review"
        },
        prev,
        next,
        rows,
        counts,
        c,
    };
    Ok(render(&page))
}

/// `GET /review`: the provider's open steps, most urgent first, filtered.
async fn queue(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Query(f): Query<QueueFilter>,
) -> PageResult {
    staff(&s)?;
    let items = filing::queue(&state, OffsetDateTime::now_utc())
        .await
        .map_err(|e| Failure::from(beian_server::ApiError::from(e)))?;
    queue_page(&state, &s, items, &f, false).await
}

/// `GET /administration`: the administration's review queue.
async fn administration_queue(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Query(f): Query<QueueFilter>,
) -> PageResult {
    if s.caller.role != Role::Administration {
        return Err(Failure::new(StatusCode::FORBIDDEN, "error-forbidden"));
    }
    let items = filing::administration_queue(&state, OffsetDateTime::now_utc())
        .await
        .map_err(|e| Failure::from(beian_server::ApiError::from(e)))?;
    queue_page(&state, &s, items, &f, true).await
}

// ---------------------------------------------------------------------------------------------
// The review page

/// A reason the role may give, for the selects.
pub struct ReasonChoice {
    pub code: String,
    pub title: String,
}

/// One field of the application, as the reviewer reads it.
pub struct FieldRow {
    pub path: String,
    /// The form key (`websites[0].name` is fine in a name attribute; ids use this).
    pub key: String,
    pub label: String,
    pub value: String,
    pub findings: Vec<(String, String, String)>,
    /// Named by the latest rejection (its reason code), and changed since.
    pub was_rejected: String,
    pub changed: bool,
}

pub struct Section {
    pub title: String,
    pub fields: Vec<FieldRow>,
}

pub struct DocumentCard {
    pub key: String,
    /// `kind|website|category`: what a rejection names.
    pub slot: String,
    pub name: String,
    pub status: String,
    pub status_name: String,
    pub document: Option<i64>,
    pub reason: String,
    pub note: String,
    /// Awaiting this reviewer's decision.
    pub reviewable: bool,
    pub face: bool,
}

pub struct ChangeRow {
    pub label: String,
    pub path: String,
    pub before: String,
    pub after: String,
}

pub struct ActionForm {
    pub slug: &'static str,
    pub label: String,
    pub key: &'static str,
}

#[derive(Template)]
#[template(path = "review_order.html")]
pub struct ReviewPage {
    pub c: Chrome,
    pub id: i64,
    pub state: String,
    pub state_name: String,
    pub type_name: String,
    pub province: String,
    pub expected: String,
    pub claimed: String,
    pub claimed_by_me: bool,
    pub can_claim: bool,
    pub actions: Vec<ActionForm>,
    pub can_reject: bool,
    pub reasons: Vec<ReasonChoice>,
    pub document_reasons: Vec<ReasonChoice>,
    pub sections: Vec<Section>,
    pub documents: Vec<DocumentCard>,
    pub changes: Vec<ChangeRow>,
    pub rejected_at: String,
    pub timeline: Vec<crate::views::order::TimelineItem>,
    pub errors: usize,
    pub warnings: usize,
    /// Findings about no single field shown (the whole application, an object): with their path.
    pub general: Vec<(String, String, String, String)>,
    pub alert: Option<(&'static str, String)>,
    pub back: &'static str,
    pub script: String,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The application's leaves with their paths: objects and lists of objects are walked, a list of
/// plain values (domains) is one field.
fn leaves(path: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(&p, x, out);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            for (i, x) in a.iter().enumerate() {
                leaves(&format!("{path}[{i}]"), x, out);
            }
        }
        Value::Null => {}
        other => out.push((path.to_owned(), other.clone())),
    }
}

/// A coded value in words (a province code, a nature, a credential type); anything else as is.
fn value_words(state: &AppState, lang: Lang, path: &str, v: &Value) -> String {
    let code = text_of(v);
    let data = state.engine.data();
    let named = if path == "region.province" {
        data.province(&code)
            .map(|p| lang.pick(&p.name, &p.name_en).to_owned())
    } else if path.ends_with("credential.type") {
        beian_rules::model::CredentialType::parse(&code)
            .and_then(|t| data.credential_type(t))
            .map(|i| lang.pick(&i.name_zh, &i.name_en).to_owned())
    } else if path == "subject.nature" {
        beian_rules::model::Nature::parse(&code)
            .and_then(|n| data.nature(n))
            .map(|i| lang.pick(&i.name_zh, &i.name_en).to_owned())
    } else {
        None
    };
    named.unwrap_or(code)
}

fn label_of(lang: Lang, path: &str) -> String {
    let (zh, en) = beian_rules::engine::field_label(path);
    match lang {
        Lang::Zh => zh,
        Lang::En => {
            let mut c = en.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// The reasons `role` may reject with: the administration R01–R10, the provider every code.
fn reason_choices(state: &AppState, lang: Lang, role: Role, documents: bool) -> Vec<ReasonChoice> {
    ReasonCode::ALL
        .iter()
        .filter(|c| role != Role::Administration || c.as_str().starts_with('R'))
        // Documents: the provider's own reasons first (face photo, unclear, …).
        .filter(|c| !documents || role == Role::Administration || c.as_str().starts_with('P'))
        .filter_map(|c| {
            let t = state.engine.data().reason(*c)?;
            Some(ReasonChoice {
                code: c.as_str().to_owned(),
                title: lang.pick(&t.title_zh, &t.title_en).to_owned(),
            })
        })
        .collect()
}

/// The workflow's actions for the role now, as buttons (rejection has its own form).
fn action_forms(tr: &Tr, detail: &OrderDetail) -> Vec<ActionForm> {
    detail
        .actions
        .iter()
        .filter_map(|a| {
            let (slug, key) = match a {
                Action::ProviderPass => ("pass", "p"),
                Action::CompleteVerification => ("complete-verification", "v"),
                Action::SubmitToAdministration => ("submit-to-administration", "s"),
                Action::AdministrationApprove => ("approve", "a"),
                _ => return None,
            };
            Some(ActionForm {
                slug,
                label: tr.t(&format!("review-action-{slug}")),
                key,
            })
        })
        .collect()
}

async fn review_page(
    state: &AppState,
    s: &Signed,
    id: i64,
    alert: Option<(&'static str, String)>,
) -> Result<ReviewPage, Failure> {
    deciders(s)?;
    let o = filing::visible(state, &s.caller, id).await?;
    let detail = filing::detail(state, &s.caller, o.clone(), None).await?;
    let mut c = Chrome::new(&s.viewer, "review-order-title");
    c.title = c.tr.t1("review-order-title", "id", &id.to_string());
    let tr = c.tr;
    let lang = tr.lang;
    let names = logins(state).await?;
    let me = s.caller.actor();

    // The application, section by section, each field with its findings and its rejection.
    let mut all = Vec::new();
    leaves("", &detail.application, &mut all);
    let rejected: BTreeMap<String, String> = detail
        .rejection
        .as_ref()
        .map(|r| {
            r.fields
                .iter()
                .map(|f| (f.path.clone(), f.reason.as_str().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let changed: Vec<String> = detail
        .rejection
        .as_ref()
        .map(|r| r.changes.iter().map(|c| c.path.clone()).collect())
        .unwrap_or_default();
    let general = detail
        .report
        .findings
        .iter()
        .filter(|f| {
            !all.iter()
                .any(|(p, _)| beian_core::rejection::within(&f.path, p))
        })
        .map(|f| {
            (
                f.severity.as_str().to_owned(),
                f.rule.as_str().to_owned(),
                lang.pick(&f.message_zh, &f.message_en).to_owned(),
                f.path.clone(),
            )
        })
        .collect();
    let mut sections: Vec<Section> = Vec::new();
    for (path, value) in all {
        if path == "filing_type" {
            continue;
        }
        let section = match path.split('.').next().unwrap_or("") {
            s if s.starts_with("websites[") => {
                let n = s
                    .trim_start_matches("websites[")
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .unwrap_or(0);
                tr.t1("review-section-website", "n", &(n + 1).to_string())
            }
            "subject" if path.starts_with("subject.admin") => tr.t("review-section-subject-admin"),
            "subject" => tr.t("review-section-subject"),
            "region" => tr.t("review-section-region"),
            _ => tr.t("review-section-other"),
        };
        let findings = detail
            .report
            .findings
            .iter()
            .filter(|f| beian_core::rejection::within(&f.path, &path))
            .map(|f| {
                (
                    f.severity.as_str().to_owned(),
                    f.rule.as_str().to_owned(),
                    lang.pick(&f.message_zh, &f.message_en).to_owned(),
                )
            })
            .collect();
        let row = FieldRow {
            key: crate::views::application::id_of(&path),
            label: label_of(lang, &path),
            value: value_words(state, lang, &path, &value),
            findings,
            was_rejected: rejected
                .iter()
                .find(|(p, _)| beian_core::rejection::within(&path, p))
                .map(|(_, r)| r.clone())
                .unwrap_or_default(),
            changed: changed
                .iter()
                .any(|c| beian_core::rejection::within(c, &path)),
            path,
        };
        match sections.iter_mut().find(|x| x.title == section) {
            Some(x) => x.fields.push(row),
            None => sections.push(Section {
                title: section,
                fields: vec![row],
            }),
        }
    }

    // Documents, side by side.
    let in_verification = detail.state == OrderState::Verification;
    let documents = if detail.state.is_terminal() {
        Vec::new()
    } else {
        docs::status_of(state, &o)
            .await?
            .slots
            .into_iter()
            .map(|x| {
                let site = if x.slot.website >= 0 {
                    tr.t1("review-doc-website", "n", &(x.slot.website + 1).to_string())
                } else {
                    String::new()
                };
                DocumentCard {
                    key: format!(
                        "{}-{}{}",
                        x.slot.kind,
                        x.slot.website,
                        if x.slot.category.is_empty() {
                            String::new()
                        } else {
                            format!("-{}", x.slot.category)
                        }
                    ),
                    slot: format!("{}|{}|{}", x.slot.kind, x.slot.website, x.slot.category),
                    name: format!("{}{site}", lang.pick(&x.slot.name_zh, &x.slot.name_en)),
                    status: x.status.to_owned(),
                    status_name: tr.t(&format!("order-doc-{}", x.status)),
                    document: x.document,
                    reason: x.reason.clone(),
                    note: x.note.clone(),
                    reviewable: in_verification
                        && x.status == "pending"
                        && s.caller.role != Role::Administration,
                    face: x.slot.kind == "face_photo",
                }
            })
            .collect()
    };

    let (changes, rejected_at) = match &detail.rejection {
        Some(r) => (
            r.changes
                .iter()
                .map(|c| ChangeRow {
                    label: label_of(lang, &c.path),
                    path: c.path.clone(),
                    before: text_of(&c.before),
                    after: text_of(&c.after),
                })
                .collect(),
            china_time(r.at).0,
        ),
        None => (Vec::new(), String::new()),
    };
    let claimed = detail
        .claimed_by
        .as_ref()
        .map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone()))
        .unwrap_or_default();
    let claimable = beian_core::workflow::PROVIDER_STEPS.contains(&detail.state)
        && s.caller.role != Role::Administration;
    let can_reject = detail
        .actions
        .iter()
        .any(|a| matches!(a, Action::ProviderReject | Action::AdministrationReject));
    let timeline = crate::views::order::staff_timeline(state, &tr, &detail.history, &names);
    Ok(ReviewPage {
        id,
        state: detail.state.as_str().to_owned(),
        state_name: state_name(&tr, detail.state.as_str()),
        type_name: type_name(&tr, &detail.filing_type),
        province: province_name(state, lang, o.province),
        expected: detail
            .expected_completion
            .as_ref()
            .map(|e| e.date.clone())
            .unwrap_or_default(),
        claimed_by_me: detail.claimed_by.as_deref() == Some(me.as_str()),
        can_claim: claimable,
        claimed,
        actions: action_forms(&tr, &detail),
        can_reject,
        reasons: reason_choices(state, lang, s.caller.role, false),
        document_reasons: reason_choices(state, lang, s.caller.role, true),
        errors: detail.report.summary.errors,
        warnings: detail.report.summary.warnings,
        general,
        sections,
        documents,
        changes,
        rejected_at,
        timeline,
        alert,
        back: if s.caller.role == Role::Administration {
            "/administration"
        } else {
            "/review"
        },
        script: crate::page::asset_url("review.js"),
        c,
    })
}

/// `GET /review/orders/{id}`.
async fn order(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
) -> PageResult {
    let id = order_id(&id)?;
    Ok(render(&review_page(&state, &s, id, None).await?))
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The page again with a refusal in words (the service's, in the page's language).
async fn refused(state: &AppState, s: &Signed, id: i64, e: FilingError) -> PageResult {
    let failure = Failure::from(e);
    if failure.status.is_server_error() || failure.status == StatusCode::NOT_FOUND {
        return Err(failure);
    }
    let lang = s.viewer.lang;
    let text = match failure.key {
        Some(k) if failure.detail.is_empty() => s.viewer.tr().t(k),
        _ => format!(
            "{} {}",
            lang.half(&failure.title),
            lang.half(&failure.detail)
        )
        .trim()
        .to_owned(),
    };
    let page = review_page(state, s, id, Some(("error", text))).await?;
    let mut r = render(&page);
    *r.status_mut() = failure.status;
    Ok(r)
}

/// `POST /review/orders/{id}/claim`.
async fn claim(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    staff(&s)?;
    let id = order_id(&id)?;
    match filing::claim(&state, &s.caller, id).await {
        Ok(_) => Ok(redirect(&format!("/review/orders/{id}"))),
        Err(e) => refused(&state, &s, id, e).await,
    }
}

/// `POST /review/orders/{id}/release`.
async fn release(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    staff(&s)?;
    let id = order_id(&id)?;
    filing::release(&state, &s.caller, id).await?;
    Ok(redirect("/review"))
}

/// `POST /review/orders/{id}/step/{action}`: pass, complete verification, submit to the
/// administration, approve — whichever the workflow offers the role now.
async fn step(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    deciders(&s)?;
    let id = order_id(&id)?;
    let result = match action.as_str() {
        "pass" => filing::advance(&state, &s.caller, id, Command::ProviderPass)
            .await
            .map(|_| ()),
        "complete-verification" => {
            filing::advance(&state, &s.caller, id, Command::CompleteVerification)
                .await
                .map(|_| ())
        }
        "submit-to-administration" => {
            filing::advance(&state, &s.caller, id, Command::SubmitToAdministration)
                .await
                .map(|_| ())
        }
        "approve" => filing::approve(&state, &s.caller, id).await.map(|_| ()),
        _ => return Err(Failure::not_found()),
    };
    match result {
        Ok(()) => Ok(redirect(&format!("/review/orders/{id}"))),
        Err(e) => refused(&state, &s, id, e).await,
    }
}

/// The rejection form's fields: `field` (a path, repeated), `reason:{path}`, `note:{path}`;
/// `document` (`kind|website|category`, repeated), `dreason:{slot}`, `dnote:{slot}`; `reasons`
/// (repeated), `note`, `open_all`.
fn rejection_input(pairs: &[(String, String)]) -> RejectionInput {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut input = RejectionInput {
        note: get("note"),
        open_all: get("open_all") == "on",
        ..RejectionInput::default()
    };
    for (k, v) in pairs {
        match k.as_str() {
            "reasons" if !v.trim().is_empty() => input.reasons.push(v.clone()),
            "field" => input.fields.push(filing::RejectedFieldInput {
                path: v.clone(),
                reason: get(&format!("reason:{v}")),
                note: get(&format!("note:{v}")),
            }),
            "document" => {
                let mut parts = v.splitn(3, '|');
                let kind = parts.next().unwrap_or("").to_owned();
                let website = parts.next().and_then(|w| w.parse().ok()).unwrap_or(-1);
                let category = parts.next().unwrap_or("").to_owned();
                input.documents.push(filing::RejectedDocumentInput {
                    kind,
                    website,
                    category,
                    reason: get(&format!("dreason:{v}")),
                    note: get(&format!("dnote:{v}")),
                });
            }
            _ => {}
        }
    }
    input
}

/// `POST /review/orders/{id}/reject`: a rejection naming fields and documents (the provider's or
/// the administration's, by role).
async fn reject(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    s.viewer.check_csrf(csrf)?;
    deciders(&s)?;
    let id = order_id(&id)?;
    let input = rejection_input(&pairs);
    if input.reasons.is_empty() && input.fields.is_empty() && input.documents.is_empty() {
        let text = s.viewer.tr().t("review-reject-empty");
        let mut r = render(&review_page(&state, &s, id, Some(("error", text))).await?);
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let rejection = match filing::rejection(input) {
        Ok(r) => r,
        Err(e) => return refused(&state, &s, id, e).await,
    };
    let command = if s.caller.role == Role::Administration {
        Command::AdministrationReject(rejection)
    } else {
        Command::ProviderReject(rejection)
    };
    match filing::advance(&state, &s.caller, id, command).await {
        Ok(_) => Ok(redirect(&format!("/review/orders/{id}"))),
        Err(e) => refused(&state, &s, id, e).await,
    }
}

#[derive(Deserialize)]
struct DocumentDecision {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

/// `POST /review/orders/{id}/documents/{doc}`: accept or reject one document.
async fn review_document(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path((id, doc)): Path<(String, String)>,
    Form(f): Form<DocumentDecision>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    staff(&s)?;
    let id = order_id(&id)?;
    let doc = order_id(&doc)?;
    let accept = f.decision == "accept";
    let reason = Some(f.reason.as_str()).filter(|r| !r.is_empty());
    match docs::review(&state, &s.caller, id, doc, accept, reason, &f.note).await {
        Ok(_) => Ok(redirect(&format!("/review/orders/{id}#documents"))),
        Err(docs::ReviewError::Filing(e)) => refused(&state, &s, id, e).await,
        Err(docs::ReviewError::Invalid { .. }) => {
            let text = s.viewer.tr().t("review-doc-reason-needed");
            let mut r = render(&review_page(&state, &s, id, Some(("error", text))).await?);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(docs::ReviewError::Store(e)) => {
            let e = beian_server::ApiError::from(e);
            let lang = s.viewer.lang;
            let text = format!("{} {}", lang.half(&e.title), lang.half(&e.detail));
            let mut r = render(&review_page(&state, &s, id, Some(("error", text))).await?);
            *r.status_mut() = e.status;
            Ok(r)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The administration's SMS outbox

pub struct SmsRow {
    pub order: i64,
    pub mobile: String,
    pub text: String,
    pub shown: String,
    pub iso: String,
}

#[derive(Template)]
#[template(path = "administration_sms.html")]
pub struct SmsOutboxPage {
    pub c: Chrome,
    pub rows: Vec<SmsRow>,
}

/// `GET /administration/sms`: the simulated SMS gateway's latest texts (mobiles masked).
async fn sms_outbox(State(state): State<Arc<AppState>>, s: Signed) -> PageResult {
    if s.caller.role != Role::Administration {
        return Err(Failure::new(StatusCode::FORBIDDEN, "error-forbidden"));
    }
    let rows = beian_server::service::verification::outbox(&state.store, 100)
        .await
        .map_err(|e| Failure::from(beian_server::ApiError::from(e)))?
        .into_iter()
        .map(|m| {
            let (shown, iso) = china_time(m.sent_at);
            SmsRow {
                order: m.order_id,
                mobile: beian_core::mask::mobile(&m.mobile),
                text: m.text,
                shown,
                iso,
            }
        })
        .collect();
    Ok(render(&SmsOutboxPage {
        c: Chrome::new(&s.viewer, "sms-outbox-title"),
        rows,
    }))
}
