//! The public pages: the filing-type check (before filing), the public query and the block page
//! the gate shows for an unfiled domain (the same page `beian gate` serves).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use beian_rules::model::{CredentialType, Nature};
use beian_server::AppState;
use beian_server::service::filing::{TypeCheck, type_check};
use beian_server::service::public_query::{Outcome, PublicAnswer, PublicQuery};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::PageResult;
use crate::page::{Chrome, encode_component, render};
use crate::session::Viewer;
use crate::views::application::split_domains;

pub fn routes(r: Router<Arc<AppState>>, state: &AppState) -> Router<Arc<AppState>> {
    // The same budget per address as the API's public query: the page asks the same record.
    let limit = Arc::new(
        tower_governor::governor::GovernorConfigBuilder::default()
            .period(beian_server::QUERY_REPLENISH)
            .burst_size(state.query_burst.max(1))
            .finish()
            .unwrap_or_default(),
    );
    let limited = tower_governor::GovernorLayer::new(limit).error_handler(|_| {
        crate::error::Failure::new(StatusCode::TOO_MANY_REQUESTS, "error-too-many").into_response()
    });
    r.route("/check", get(check))
        .route("/query", get(query).layer(limited))
        .route("/blocked", get(blocked))
}

/// A choice in a select: value, label, selected.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The provinces, natures and credential types of the reference data, as choices.
pub fn province_choices(state: &AppState, v: &Viewer, selected: &str) -> Vec<Choice> {
    state
        .engine
        .data()
        .provinces()
        .iter()
        .map(|p| {
            let value = format!("{:02}", p.code);
            Choice {
                selected: value == selected,
                label: v.lang.pick(&p.name, &p.name_en).to_owned(),
                value,
            }
        })
        .collect()
}

pub fn nature_choices(state: &AppState, v: &Viewer, selected: &str) -> Vec<Choice> {
    Nature::ALL
        .iter()
        .filter_map(|n| {
            let info = state.engine.data().nature(*n)?;
            Some(Choice {
                value: n.as_str().to_owned(),
                label: v.lang.pick(&info.name_zh, &info.name_en).to_owned(),
                selected: n.as_str() == selected,
            })
        })
        .collect()
}

pub fn credential_choices(state: &AppState, v: &Viewer, selected: &str) -> Vec<Choice> {
    CredentialType::ALL
        .iter()
        .filter_map(|t| {
            let info = state.engine.data().credential_type(*t)?;
            Some(Choice {
                value: t.as_str().to_owned(),
                label: v.lang.pick(&info.name_zh, &info.name_en).to_owned(),
                selected: t.as_str() == selected,
            })
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct CheckQuery {
    #[serde(default)]
    domains: String,
    #[serde(default)]
    nature: String,
    #[serde(default)]
    credential_type: String,
    #[serde(default)]
    credential_number: String,
    #[serde(default)]
    province: String,
}

/// The check's answer, ready for the page.
pub struct CheckResult {
    pub type_name: String,
    /// What the type means (the initial and added-website types have a sentence).
    pub type_text: String,
    pub type_value: String,
    pub refusals: Vec<String>,
    pub documents: Vec<String>,
    pub province: Vec<String>,
    pub start_href: String,
}

#[derive(Template)]
#[template(path = "check.html")]
pub struct CheckPage {
    pub c: Chrome,
    pub domains: String,
    pub credential_number: String,
    pub provinces: Vec<Choice>,
    pub natures: Vec<Choice>,
    pub credentials: Vec<Choice>,
    pub result: Option<CheckResult>,
    pub problem: Option<String>,
}

/// `GET /check`: the form; with `domains` given, the answer too.
async fn check(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Query(q): Query<CheckQuery>,
) -> PageResult {
    let tr = v.tr();
    let domains = split_domains(&q.domains);
    let mut problem = None;
    let result = if domains.is_empty() {
        if q.domains.trim().is_empty() && v.here.contains('?') {
            problem = Some(tr.t("check-need-domain"));
        }
        None
    } else {
        let app: beian_rules::Application = serde_json::from_value(serde_json::json!({
            "region": {"province": q.province.trim()},
            "subject": {
                "nature": q.nature.trim(),
                "credential": {"type": q.credential_type.trim(), "number": q.credential_number.trim()},
            },
            "websites": [{"domains": domains}],
        }))
        .unwrap_or_default();
        let account = v
            .caller
            .as_ref()
            .map(|c| c.account_id())
            .unwrap_or_default();
        let checked = type_check(&state, &app, &account).await?;
        Some(describe(&v, &checked, &q))
    };
    Ok(render(&CheckPage {
        c: Chrome::new(&v, "check-title"),
        provinces: province_choices(&state, &v, q.province.trim()),
        natures: nature_choices(&state, &v, q.nature.trim()),
        credentials: credential_choices(&state, &v, q.credential_type.trim()),
        domains: q.domains,
        credential_number: q.credential_number,
        result,
        problem,
    }))
}

fn describe(v: &Viewer, checked: &TypeCheck, q: &CheckQuery) -> CheckResult {
    let tr = v.tr();
    let ft = checked.filing_type.as_str();
    let mut province = Vec::new();
    if let Some(p) = &checked.province {
        let name = v.lang.pick(&p.name, &p.name_en);
        if p.sms_pilot {
            province.push(tr.t1("check-province-sms", "province", name));
        }
        province.push(tr.args(
            "check-province-domains",
            &[
                ("province", name),
                ("count", &p.domains_per_website.to_string()),
            ],
        ));
        if !p.preapprovals.is_empty() {
            let list: Vec<&str> = p
                .preapprovals
                .iter()
                .map(|c| v.lang.pick(c.name_zh(), c.name_en()))
                .collect();
            province.push(tr.t1(
                "check-province-preapprovals",
                "list",
                &list.join(v.lang.pick("、", ", ")),
            ));
        }
        if p.mailed_statement {
            province.push(tr.t1("check-province-mailed", "province", name));
        }
        if p.app_verification {
            province.push(tr.t1("check-province-app", "province", name));
        }
        if p.domain_certificate {
            province.push(tr.t1("check-province-domain-certificate", "province", name));
        }
        if !p.personal_name_forms.is_empty() {
            province.push(tr.t1(
                "check-province-personal-names",
                "forms",
                &p.personal_name_forms.join(" / "),
            ));
        }
    }
    let start = format!(
        "/orders/new?domains={}&nature={}&credential_type={}&credential_number={}&province={}",
        encode_component(&q.domains),
        encode_component(q.nature.trim()),
        encode_component(q.credential_type.trim()),
        encode_component(q.credential_number.trim()),
        encode_component(q.province.trim()),
    );
    CheckResult {
        type_name: tr.t(&format!("type-{ft}")),
        type_text: {
            let key = format!("type-{ft}-text");
            let text = tr.t(&key);
            if text == key { String::new() } else { text }
        },
        type_value: ft.to_owned(),
        refusals: checked
            .refusals
            .iter()
            .map(|r| {
                let name = serde_json::to_value(r)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                tr.t(&format!("check-refusal-{name}"))
            })
            .collect(),
        documents: checked
            .documents
            .iter()
            .map(|d| v.lang.pick(&d.name_zh, &d.name_en).to_owned())
            .collect(),
        province,
        start_href: start,
    }
}

#[derive(Deserialize, Default)]
struct QueryForm {
    #[serde(default)]
    by: String,
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "query.html")]
pub struct QueryPage {
    pub c: Chrome,
    pub by: String,
    pub q: String,
    pub answer: Option<PublicAnswer>,
    pub problem: Option<String>,
}

impl QueryPage {
    pub fn outcome(&self) -> &'static str {
        match self.answer.as_ref().map(|a| &a.outcome) {
            Some(Outcome::Filed) => "filed",
            Some(Outcome::NotFiled) => "not_filed",
            Some(Outcome::Unknown) => "unknown",
            None => "",
        }
    }
}

/// `GET /query?by=domain|number|subject&q=…`: the public query, without personal data.
async fn query(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Query(f): Query<QueryForm>,
) -> PageResult {
    let by = match f.by.as_str() {
        "number" | "subject" => f.by.clone(),
        _ => "domain".to_owned(),
    };
    let mut page = QueryPage {
        c: Chrome::new(&v, "query-title"),
        by: by.clone(),
        q: f.q.clone(),
        answer: None,
        problem: None,
    };
    let q = f.q.trim();
    if !q.is_empty() {
        let mut ask = PublicQuery {
            domain: None,
            number: None,
            subject: None,
            credential: None,
        };
        match by.as_str() {
            "number" => ask.number = Some(q.to_owned()),
            "subject" => ask.subject = Some(q.to_owned()),
            _ => ask.domain = Some(q.to_owned()),
        }
        match beian_server::service::public_query::query(&state, &ask).await {
            Ok(answer) => page.answer = Some(answer),
            Err(e) if e.status.is_client_error() => {
                page.problem = Some(format!(
                    "{} {}",
                    v.lang.half(&e.title),
                    v.lang.half(&e.detail)
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let status = match page.answer.as_ref().map(|a| &a.outcome) {
        Some(Outcome::Unknown) => StatusCode::SERVICE_UNAVAILABLE,
        _ if page.problem.is_some() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let mut r = render(&page);
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Deserialize, Default)]
struct BlockedQuery {
    #[serde(default)]
    host: String,
    #[serde(default)]
    reason: String,
}

/// `GET /blocked?host=…&reason=not_filed`: the page the gate shows for a host it may not serve
/// (the gate's own renderer; its inline style is allowed by hash).
async fn blocked(State(state): State<Arc<AppState>>, Query(q): Query<BlockedQuery>) -> Response {
    let reason = beian_gate::Reason::ALL
        .into_iter()
        .find(|r| r.as_str() == q.reason)
        .unwrap_or(beian_gate::Reason::NotFiled);
    let host = beian_gate::host::normalize(q.host.trim()).ok();
    let contact = format!(
        "{} · 请联系您的服务商 / please contact your hosting provider",
        state.provider
    );
    let html = beian_gate::page::render(reason, host.as_ref().map(|h| h.as_str()), &contact);
    let mut r = (StatusCode::OK, axum::response::Html(html.clone())).into_response();
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(s, _)| s)
        .unwrap_or_default();
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style.as_bytes()));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "default-src 'self'; style-src 'sha256-{hash}'; frame-ancestors 'none'; base-uri 'none'"
    )) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}
