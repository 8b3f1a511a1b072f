//! The application form (申请表): subject, websites, domains, responsible persons, service
//! content, preapprovals. A new form is prefilled from the filing-type check's link and from the
//! caller's filed subject; saving creates or replaces a draft (`service::filing::create` /
//! `update`), submitting asks the workflow (`service::filing::advance`). The rules' findings are
//! shown beside the fields they name, after a save and, with htmx, as the applicant leaves a field
//! (`service::filing::check_document`). Everything works without JavaScript: adding and removing
//! a website, copying the subject's administrator and refreshing the address pickers are buttons
//! the server answers.
//!
//! Field names are the application's JSON paths (`websites[0].admin.mobile`); element ids are the
//! path with `.`, `[` and `]` turned into `-` (`websites-0-admin-mobile`).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use beian_core::workflow::{Command, OrderState, Role};
use beian_rules::Finding;
use beian_rules::model::{CredentialType, FilingType, Nature, PreapprovalCategory, SubjectKind};
use beian_server::AppState;
use beian_server::service::filing::{self, FilingError, RejectionView};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::PageResult;
use crate::error::{Failure, redirect};
use crate::i18n::{Lang, Tr};
use crate::page::{Chrome, render};
use crate::session::{Signed, Viewer};

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/orders/new", get(new_form).post(create))
        .route("/orders/check-field", post(check_new))
        .route("/orders/{id}/edit", get(edit_form).post(save))
        .route("/orders/{id}/check-field", post(check_order))
        .route("/divisions", get(divisions))
}

/// The most websites and preapprovals a form may name (an index beyond is ignored, so that a
/// forged `websites[99999999]` cannot make a huge array).
const MAX_INDEX: usize = 20;

// ---------------------------------------------------------------------------------------------
// The form body → the application (pure)

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `websites[0].admin.name` → `websites`, `0`, `admin`, `name`; `None` for anything that is not a
/// path of lower-case keys and small indexes.
fn parse_path(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
        {
            return None;
        }
        out.push(Seg::Key(name.to_owned()));
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index: usize = rest.get(1..close)?.parse().ok()?;
            if index >= MAX_INDEX {
                return None;
            }
            out.push(Seg::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(out)
}

/// Put `leaf` at `segs` under `root`, creating objects and arrays on the way (a path that
/// contradicts what is already there is ignored).
fn put(root: &mut Value, segs: &[Seg], leaf: Value) {
    let Some((first, rest)) = segs.split_first() else {
        *root = leaf;
        return;
    };
    match first {
        Seg::Key(k) => {
            if root.is_null() {
                *root = Value::Object(Map::new());
            }
            if let Value::Object(m) = root {
                put(m.entry(k.clone()).or_insert(Value::Null), rest, leaf);
            }
        }
        Seg::Index(i) => {
            if root.is_null() {
                *root = Value::Array(Vec::new());
            }
            if let Value::Array(a) = root {
                while a.len() <= *i {
                    a.push(Value::Null);
                }
                put(&mut a[*i], rest, leaf);
            }
        }
    }
}

/// The domains of a text box: one a line (commas, full-width commas and spaces also separate).
pub fn split_domains(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.iter().all(is_blank),
        Value::Object(m) => m.values().all(is_blank),
        _ => false,
    }
}

/// The application a form body describes: every field named by its JSON path (`region.city`,
/// `websites[1].domains`), arrays by index, the domains box split into a list, blank fields kept
/// (the rules then say what is required). Other fields (`csrf`, `action`) are not part of it.
/// A website's `admin_same` box copies the subject's administrator into the website's; blank
/// preapproval rows and missing websites are dropped.
pub fn form_to_application(pairs: &[(String, String)]) -> Value {
    let mut app = Value::Object(Map::new());
    for (name, value) in pairs {
        let Some(segs) = parse_path(name) else {
            continue;
        };
        let root_ok = matches!(segs.first(), Some(Seg::Key(k)) if matches!(k.as_str(), "region" | "subject" | "websites" | "filing_type"));
        if !root_ok {
            continue;
        }
        let is_domains = segs.len() == 3
            && matches!(&segs[0], Seg::Key(k) if k == "websites")
            && matches!(&segs[2], Seg::Key(k) if k == "domains");
        let leaf = if is_domains {
            Value::Array(
                split_domains(value)
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            )
        } else {
            Value::String(value.clone())
        };
        put(&mut app, &segs, leaf);
    }
    let subject_admin = app
        .get("subject")
        .and_then(|s| s.get("admin"))
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    if let Some(Value::Array(websites)) = app.get_mut("websites") {
        websites.retain(|w| !w.is_null());
        for w in websites.iter_mut() {
            let Value::Object(m) = w else { continue };
            let same = m
                .remove("admin_same")
                .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()));
            if same {
                m.insert("admin".into(), subject_admin.clone());
            }
            if let Some(Value::Array(p)) = m.get_mut("preapprovals") {
                p.retain(|row| !is_blank(row));
            }
        }
    }
    app
}

/// The value at `path` for a form control: a string as is, a list of strings one a line.
fn value_at(app: &Value, path: &str) -> String {
    let Some(segs) = parse_path(path) else {
        return String::new();
    };
    let mut v = app;
    for s in &segs {
        let next = match s {
            Seg::Key(k) => v.get(k.as_str()),
            Seg::Index(i) => v.get(*i),
        };
        match next {
            Some(n) => v = n,
            None => return String::new(),
        }
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The element id of a field: the path with `.`, `[` and `]` turned into `-`, repeats collapsed,
/// no trailing `-`.
pub fn id_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        let c = if matches!(c, '.' | '[' | ']') { '-' } else { c };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out.trim_end_matches('-').to_owned()
}

// ---------------------------------------------------------------------------------------------
// Divisions: provinces (reference data), cities (reference data), counties (divisions.tsv)

/// The current county-level divisions by six-digit code, with their names.
static DIVISIONS: LazyLock<BTreeMap<u32, String>> = LazyLock::new(|| {
    include_str!("../../../../data/divisions.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let code: u32 = cols.next()?.trim().parse().ok()?;
            let name = cols.next()?.trim();
            (cols.next()?.trim() == "current").then(|| (code, name.to_owned()))
        })
        .collect()
});

/// The counties (区县) of `city` in `province`, in code order: the divisions under the city's
/// code; for a municipality (the city named as the province), every county of the province.
pub fn districts_of(state: &AppState, province: u8, city: &str) -> Vec<String> {
    let data = state.engine.data();
    let Some(p) = data.province_by_code(province) else {
        return Vec::new();
    };
    let city = match data.city(province, city) {
        Some(c) => c.name.clone(),
        None => return Vec::new(),
    };
    let low = u32::from(province) * 10_000;
    let in_province = DIVISIONS.range(low..low + 10_000);
    if city == p.name {
        return in_province
            .filter(|(code, _)| **code % 100 != 0)
            .map(|(_, n)| n.clone())
            .collect();
    }
    let Some((&code, _)) = DIVISIONS
        .range(low + 1..low + 10_000)
        .find(|(_, n)| **n == city)
    else {
        return Vec::new();
    };
    if code % 100 != 0 {
        // A county-level city under the province directly: no counties below it.
        return Vec::new();
    }
    DIVISIONS
        .range(code + 1..code + 100)
        .map(|(_, n)| n.clone())
        .collect()
}

/// An option of a select.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// The label is Chinese reference data (marked `lang="zh-CN"` on English pages).
    pub zh: bool,
}

/// A group of options (`label` empty: no `<optgroup>`).
#[derive(Debug, Clone, Default)]
pub struct OptGroup {
    pub label: String,
    /// The label is a Chinese place name.
    pub zh: bool,
    pub options: Vec<Opt>,
}

/// The `<option>`s of a select: a first empty choice, then the groups (escaped HTML).
pub fn options_html(groups: &[OptGroup], choose: &str) -> String {
    let mut out = format!("<option value=\"\">{}</option>", escape(choose));
    for g in groups {
        if !g.label.is_empty() {
            out.push_str(&format!(
                "<optgroup label=\"{}\"{}>",
                escape(&g.label),
                if g.zh { " lang=\"zh-CN\"" } else { "" }
            ));
        }
        for o in &g.options {
            out.push_str(&format!(
                "<option value=\"{}\"{}{}>{}</option>",
                escape(&o.value),
                if o.selected { " selected" } else { "" },
                if o.zh {
                    " lang=\"zh-CN\" translate=\"no\""
                } else {
                    ""
                },
                escape(&o.label)
            ));
        }
        if !g.label.is_empty() {
            out.push_str("</optgroup>");
        }
    }
    out
}

fn escape(s: &str) -> String {
    html_text(s, Lang::Zh)
}

fn opt(value: &str, label: &str, selected: &str, zh: bool) -> Opt {
    Opt {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: value == selected,
        zh,
    }
}

/// Keep a saved value that is not among the choices (data from before a change of the lists).
fn keep_value(groups: &mut Vec<OptGroup>, value: &str, zh: bool) {
    if value.is_empty() || groups.iter().any(|g| g.options.iter().any(|o| o.selected)) {
        return;
    }
    groups.push(OptGroup {
        options: vec![opt(value, value, value, zh)],
        ..OptGroup::default()
    });
}

fn province_groups(state: &AppState, lang: Lang, selected: &str) -> Vec<OptGroup> {
    let options = state
        .engine
        .data()
        .provinces()
        .iter()
        .map(|p| {
            opt(
                &format!("{:02}", p.code),
                lang.pick(&p.name, &p.name_en),
                selected,
                false,
            )
        })
        .collect();
    let mut g = vec![OptGroup {
        options,
        ..OptGroup::default()
    }];
    keep_value(&mut g, selected, false);
    g
}

/// The cities of the province; none until a province is chosen.
fn city_groups(state: &AppState, province: &str, selected: &str) -> Vec<OptGroup> {
    let data = state.engine.data();
    let mut groups = match data.province(province) {
        Some(p) => vec![OptGroup {
            options: data
                .cities_of(p.code)
                .map(|c| opt(&c.name, &c.name, selected, true))
                .collect(),
            ..OptGroup::default()
        }],
        // The cities follow the province (htmx, or the refresh button without JavaScript):
        // listing every city of the country would weigh more than the rest of the form.
        None => Vec::new(),
    };
    keep_value(&mut groups, selected, true);
    groups
}

/// The counties of the city; with a province but no city, every county of the province grouped
/// by city.
fn district_groups(state: &AppState, province: &str, city: &str, selected: &str) -> Vec<OptGroup> {
    let data = state.engine.data();
    let mut groups = match data.province(province) {
        Some(p) if data.city(p.code, city).is_some() => vec![OptGroup {
            options: districts_of(state, p.code, city)
                .iter()
                .map(|d| opt(d, d, selected, true))
                .collect(),
            ..OptGroup::default()
        }],
        Some(p) => data
            .cities_of(p.code)
            .map(|c| OptGroup {
                label: c.name.clone(),
                zh: true,
                options: districts_of(state, p.code, &c.name)
                    .iter()
                    .map(|d| opt(d, d, selected, true))
                    .collect(),
            })
            .filter(|g| !g.options.is_empty())
            .collect(),
        None => Vec::new(),
    };
    keep_value(&mut groups, selected, true);
    groups
}

fn nature_groups(state: &AppState, lang: Lang, selected: &str) -> Vec<OptGroup> {
    let options = Nature::ALL
        .iter()
        .filter_map(|n| {
            let info = state.engine.data().nature(*n)?;
            Some(opt(
                n.as_str(),
                lang.pick(&info.name_zh, &info.name_en),
                selected,
                false,
            ))
        })
        .collect();
    vec![OptGroup {
        options,
        ..OptGroup::default()
    }]
}

fn credential_groups(state: &AppState, lang: Lang, selected: &str, admin: bool) -> Vec<OptGroup> {
    let options = CredentialType::ALL
        .iter()
        .filter_map(|t| {
            let info = state.engine.data().credential_type(*t)?;
            (!admin || info.admin_allowed || t.as_str() == selected).then(|| {
                opt(
                    t.as_str(),
                    lang.pick(&info.name_zh, &info.name_en),
                    selected,
                    false,
                )
            })
        })
        .collect();
    vec![OptGroup {
        options,
        ..OptGroup::default()
    }]
}

fn preapproval_groups(lang: Lang, selected: &str) -> Vec<OptGroup> {
    vec![OptGroup {
        options: PreapprovalCategory::ALL
            .iter()
            .map(|c| {
                opt(
                    c.as_str(),
                    lang.pick(c.name_zh(), c.name_en()),
                    selected,
                    false,
                )
            })
            .collect(),
        ..OptGroup::default()
    }]
}

/// The service content options for the subject's kind in the province (both kinds' while the
/// nature is not chosen).
fn service_contents(state: &AppState, app: &Value) -> Vec<String> {
    let data = state.engine.data();
    let province = value_at(app, "region.province");
    let code = data.province(&province).map_or(0, |p| p.code);
    let kinds: Vec<SubjectKind> =
        match Nature::parse(&value_at(app, "subject.nature")).and_then(|n| data.nature(n)) {
            Some(info) => vec![info.kind],
            None => vec![SubjectKind::Individual, SubjectKind::Organisation],
        };
    let mut out: Vec<String> = Vec::new();
    for k in kinds {
        for c in data.province_rules.service_content_options(k, code) {
            if !out.iter().any(|o| o == c) {
                out.push(c.to_owned());
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The page's model

/// A finding as a field shows it.
#[derive(Debug, Clone)]
pub struct FindingView {
    pub rule: String,
    pub severity: String,
    /// The severity in words (错误, warning…).
    pub severity_label: String,
    /// HTML (escaped; Chinese runs in an English message marked as such).
    pub message: String,
    pub fix: String,
}

/// One control of the form.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub path: String,
    pub id: String,
    pub label: String,
    pub hint: String,
    /// `text`, `email`, `tel`, `textarea`, `select`, `checkbox`.
    pub kind: &'static str,
    pub value: String,
    pub groups: Vec<OptGroup>,
    /// A `<datalist>` id for suggestions (service content).
    pub list: String,
    pub required: bool,
    pub autocomplete: &'static str,
    /// `inputmode` for phones and numbers.
    pub inputmode: &'static str,
    pub findings: Vec<FindingView>,
    /// Where the field's check goes (htmx).
    pub check_url: String,
    /// `cities` or `districts`: the select refreshes the next picker (htmx) instead of a check.
    pub refreshes: &'static str,
    /// The first, empty choice of a select.
    pub choose: String,
    /// The latest rejection names this field.
    pub rejected: Option<RejectedMark>,
    /// The latest rejection does not open this field: shown, sent back unchanged, not editable.
    pub locked: bool,
}

/// Why a rejection named a field (or a document), in the page's language.
#[derive(Debug, Clone)]
pub struct RejectedMark {
    pub href: String,
    /// The field's name (`网站名称`, `website 1 name`).
    pub label: String,
    pub code: String,
    pub title: String,
    pub note: String,
}

/// The rejection at the head of the form: what it names, and whether only that may change.
#[derive(Debug, Clone)]
pub struct RejectionBanner {
    pub items: Vec<RejectedMark>,
    pub limited: bool,
}

impl FieldView {
    pub fn has_error(&self) -> bool {
        self.findings.iter().any(|f| f.severity == "error")
    }

    pub fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if self.rejected.is_some() {
            ids.push(format!("{}-rejected", self.id));
        }
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.id));
        }
        ids.push(format!("{}-findings", self.id));
        ids.join(" ")
    }

    pub fn checked(&self) -> bool {
        !self.value.is_empty()
    }

    pub fn options(&self) -> String {
        options_html(&self.groups, &self.choose)
    }
}

/// A website's part of the form.
#[derive(Debug, Clone)]
pub struct WebsiteView {
    pub index: usize,
    pub n: usize,
    pub legend: String,
    pub fields: Vec<FieldView>,
    /// The "same as the subject's administrator" box (one).
    pub admin_same: Vec<FieldView>,
    pub admin: Vec<FieldView>,
    pub preapprovals: Vec<Vec<FieldView>>,
    pub removable: bool,
    pub remove_label: String,
}

/// A line of the summary: a finding with a link to its field.
#[derive(Debug, Clone)]
pub struct SummaryItem {
    pub href: String,
    pub field: String,
    pub finding: FindingView,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub items: Vec<SummaryItem>,
    pub errors: usize,
    pub warnings: usize,
    pub heading: String,
}

#[derive(Debug, Clone)]
pub struct DataList {
    pub id: String,
    pub options: Vec<String>,
}

#[derive(Template)]
#[template(path = "application.html")]
pub struct ApplicationPage {
    pub c: Chrome,
    pub action: String,
    pub order: Option<i64>,
    /// The detected filing type's name, once the rules ran.
    pub filing_type: String,
    /// A declared change or cancellation (kept in a hidden field).
    pub declared_type: String,
    pub region: Vec<FieldView>,
    pub subject: Vec<FieldView>,
    pub subject_admin: Vec<FieldView>,
    pub websites: Vec<WebsiteView>,
    pub summary: Summary,
    pub alert: Option<(&'static str, String)>,
    pub datalists: Vec<DataList>,
    /// The key under which application.js keeps unsaved input (order and version).
    pub draft_key: String,
    pub script: String,
    /// The latest rejection, when the draft is back from one.
    pub rejection: Option<RejectionBanner>,
}

/// The answer to a field's check: its findings, and the summary out of band.
#[derive(Template)]
#[template(path = "application_findings.html")]
pub struct FindingsFragment {
    pub findings: Vec<FindingView>,
    pub summary: Summary,
}

/// The options of the city or county picker (htmx).
#[derive(Template)]
#[template(path = "application_divisions.html")]
pub struct DivisionsFragment {
    /// The city options (HTML), when the province changed.
    pub cities: Option<String>,
    pub districts: String,
}

/// Escape `s` for HTML; on English pages, mark runs of Chinese (names the applicant typed)
/// `translate="no" lang="zh-CN"`.
fn html_text(s: &str, lang: Lang) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut in_zh = false;
    for ch in s.chars() {
        let zh = lang == Lang::En && is_cjk(ch);
        if zh && !in_zh {
            out.push_str("<span translate=\"no\" lang=\"zh-CN\">");
        } else if !zh && in_zh {
            out.push_str("</span>");
        }
        in_zh = zh;
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if in_zh {
        out.push_str("</span>");
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

fn finding_view(f: &Finding, lang: Lang) -> FindingView {
    let tr = Tr { lang };
    FindingView {
        rule: f.rule.as_str().to_owned(),
        severity: f.severity.as_str().to_owned(),
        severity_label: match f.severity {
            beian_rules::Severity::Error => tr.t("app-sev-error"),
            beian_rules::Severity::Warning => tr.t("app-sev-warning"),
            beian_rules::Severity::Info => tr.t("app-sev-info"),
        },
        message: html_text(lang.pick(&f.message_zh, &f.message_en), lang),
        fix: html_text(lang.pick(&f.fix_zh, &f.fix_en), lang),
    }
}

/// The field a finding belongs beside: its path if it is a field, else the nearest field of it
/// (`websites[0].domains[1]` → the domains box, `subject.credential` → its number).
fn field_of(path: &str, fields: &HashSet<String>) -> Option<String> {
    let mut p = path.to_owned();
    loop {
        if p.is_empty() {
            return None;
        }
        if fields.contains(&p) {
            return Some(p);
        }
        for suffix in [
            ".number",
            ".province",
            ".name",
            ".type",
            "[0].category",
            ".category",
        ] {
            let q = format!("{p}{suffix}");
            if fields.contains(&q) {
                return Some(q);
            }
        }
        if p.ends_with(']') {
            let i = p.rfind('[')?;
            p.truncate(i);
        } else {
            let i = p.rfind('.')?;
            p.truncate(i);
        }
    }
}

/// What the form is built from.
struct FormInput<'a> {
    state: &'a AppState,
    lang: Lang,
    tr: Tr,
    app: &'a Value,
    check_url: String,
}

impl FormInput<'_> {
    #[allow(clippy::too_many_arguments)]
    fn field(
        &self,
        path: String,
        label_key: &str,
        hint_key: &str,
        kind: &'static str,
        required: bool,
        autocomplete: &'static str,
        inputmode: &'static str,
    ) -> FieldView {
        let value = value_at(self.app, &path);
        FieldView {
            id: id_of(&path),
            label: self.tr.t(label_key),
            hint: if hint_key.is_empty() {
                String::new()
            } else {
                self.tr.t(hint_key)
            },
            kind,
            value,
            groups: Vec::new(),
            list: String::new(),
            required,
            autocomplete,
            inputmode,
            findings: Vec::new(),
            check_url: format!(
                "{}?field={}",
                self.check_url,
                crate::page::encode_component(&path)
            ),
            refreshes: "",
            choose: self.tr.t("app-choose"),
            rejected: None,
            locked: false,
            path,
        }
    }

    fn select(
        &self,
        path: String,
        label_key: &str,
        hint_key: &str,
        required: bool,
        groups: impl FnOnce(&str) -> Vec<OptGroup>,
    ) -> FieldView {
        let mut f = self.field(path, label_key, hint_key, "select", required, "", "");
        f.groups = groups(&f.value);
        f
    }

    fn person(&self, prefix: &str) -> Vec<FieldView> {
        let p = |s: &str| format!("{prefix}.{s}");
        vec![
            self.field(p("name"), "app-f-person-name", "", "text", true, "name", ""),
            self.select(
                p("credential.type"),
                "app-f-person-credential-type",
                "",
                true,
                |v| credential_groups(self.state, self.lang, v, true),
            ),
            self.field(
                p("credential.number"),
                "app-f-person-credential-number",
                "app-h-person-credential-number",
                "text",
                true,
                "off",
                "",
            ),
            self.field(
                p("office_phone"),
                "app-f-person-office-phone",
                "app-h-person-office-phone",
                "tel",
                true,
                "tel",
                "tel",
            ),
            self.field(
                p("mobile"),
                "app-f-person-mobile",
                "app-h-person-mobile",
                "tel",
                true,
                "tel",
                "numeric",
            ),
            self.field(
                p("email"),
                "app-f-person-email",
                "",
                "email",
                true,
                "email",
                "email",
            ),
        ]
    }

    fn page(
        &self,
        c: Chrome,
        order: Option<i64>,
        findings: &[Finding],
        filing_type: Option<FilingType>,
    ) -> ApplicationPage {
        let tr = self.tr;
        let app = self.app;
        let province = value_at(app, "region.province");
        let city = value_at(app, "region.city");
        let mut region = vec![
            self.select(
                "region.province".into(),
                "app-f-region-province",
                "app-h-region-province",
                true,
                |v| province_groups(self.state, self.lang, v),
            ),
            self.select("region.city".into(), "app-f-region-city", "", true, |v| {
                city_groups(self.state, &province, v)
            }),
            self.select(
                "region.district".into(),
                "app-f-region-district",
                "app-h-region-district",
                false,
                |v| district_groups(self.state, &province, &city, v),
            ),
        ];
        region[0].refreshes = "cities";
        region[1].refreshes = "districts";
        let subject = vec![
            self.select(
                "subject.nature".into(),
                "app-f-subject-nature",
                "",
                true,
                |v| nature_groups(self.state, self.lang, v),
            ),
            self.field(
                "subject.name".into(),
                "app-f-subject-name",
                "app-h-subject-name",
                "text",
                true,
                "organization",
                "",
            ),
            self.select(
                "subject.credential.type".into(),
                "app-f-subject-credential-type",
                "",
                true,
                |v| credential_groups(self.state, self.lang, v, false),
            ),
            self.field(
                "subject.credential.number".into(),
                "app-f-subject-credential-number",
                "app-h-subject-credential-number",
                "text",
                true,
                "off",
                "",
            ),
            self.field(
                "subject.credential_address".into(),
                "app-f-subject-credential-address",
                "app-h-subject-credential-address",
                "text",
                false,
                "off",
                "",
            ),
            self.field(
                "subject.contact_address".into(),
                "app-f-subject-contact-address",
                "app-h-subject-contact-address",
                "text",
                true,
                "street-address",
                "",
            ),
            self.field(
                "subject.address_remark".into(),
                "app-f-subject-address-remark",
                "",
                "text",
                false,
                "off",
                "",
            ),
            self.field(
                "subject.investor".into(),
                "app-f-subject-investor",
                "app-h-subject-investor",
                "text",
                true,
                "off",
                "",
            ),
            self.field(
                "subject.legal_representative".into(),
                "app-f-subject-legal-representative",
                "app-h-subject-legal-representative",
                "text",
                false,
                "off",
                "",
            ),
        ];
        let subject_admin = self.person("subject.admin");
        let count = app
            .get("websites")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
            .clamp(1, MAX_INDEX);
        let mut websites = Vec::new();
        for i in 0..count {
            let p = |s: &str| format!("websites[{i}].{s}");
            let mut fields = vec![
                self.field(
                    p("name"),
                    "app-f-website-name",
                    "app-h-website-name",
                    "text",
                    true,
                    "off",
                    "",
                ),
                self.field(
                    p("domains"),
                    "app-f-website-domains",
                    "app-h-website-domains",
                    "textarea",
                    true,
                    "off",
                    "url",
                ),
                self.field(
                    p("homepage"),
                    "app-f-website-homepage",
                    "app-h-website-homepage",
                    "text",
                    true,
                    "url",
                    "url",
                ),
                self.field(
                    p("service_content"),
                    "app-f-website-service-content",
                    "app-h-website-service-content",
                    "text",
                    true,
                    "off",
                    "",
                ),
                self.field(
                    p("service_number"),
                    "app-f-website-service-number",
                    "app-h-website-service-number",
                    "text",
                    true,
                    "off",
                    "",
                ),
                self.field(
                    p("remark"),
                    "app-f-website-remark",
                    "app-h-website-remark",
                    "textarea",
                    false,
                    "off",
                    "",
                ),
            ];
            fields[3].list = "service-contents".into();
            let mut admin_same = self.field(
                p("admin_same"),
                "app-f-website-admin-same",
                "app-h-website-admin-same",
                "checkbox",
                false,
                "",
                "",
            );
            admin_same.value = String::new();
            let rows = app
                .get("websites")
                .and_then(|w| w.get(i))
                .and_then(|w| w.get("preapprovals"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
                .min(MAX_INDEX - 1);
            let preapprovals = (0..=rows)
                .map(|j| {
                    let q = |s: &str| format!("websites[{i}].preapprovals[{j}].{s}");
                    vec![
                        self.select(
                            q("category"),
                            "app-f-preapproval-category",
                            "",
                            false,
                            |v| preapproval_groups(self.lang, v),
                        ),
                        self.field(
                            q("number"),
                            "app-f-preapproval-number",
                            "",
                            "text",
                            false,
                            "off",
                            "",
                        ),
                    ]
                })
                .collect();
            let n = (i + 1).to_string();
            websites.push(WebsiteView {
                index: i,
                n: i + 1,
                legend: tr.t1("app-website-legend", "n", &n),
                fields,
                admin_same: vec![admin_same],
                admin: self.person(&format!("websites[{i}].admin")),
                preapprovals,
                removable: count > 1,
                remove_label: tr.t1("app-remove-website", "n", &n),
            });
        }
        let mut page = ApplicationPage {
            c,
            action: match order {
                Some(id) => format!("/orders/{id}/edit"),
                None => "/orders/new".into(),
            },
            order,
            filing_type: filing_type
                .map(|t| tr.t(&format!("type-{}", t.as_str())))
                .unwrap_or_default(),
            declared_type: app
                .get("filing_type")
                .and_then(Value::as_str)
                .and_then(FilingType::parse)
                .filter(|t| t.is_change() || t.is_cancellation())
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            region,
            subject,
            subject_admin,
            websites,
            summary: Summary {
                items: Vec::new(),
                errors: 0,
                warnings: 0,
                heading: String::new(),
            },
            alert: None,
            datalists: vec![DataList {
                id: "service-contents".into(),
                options: service_contents(self.state, app),
            }],
            draft_key: String::new(),
            script: crate::page::asset_url("application.js"),
            rejection: None,
        };
        page.attach(findings, self.lang, tr);
        page
    }
}

impl ApplicationPage {
    fn fields_mut(&mut self) -> impl Iterator<Item = &mut FieldView> {
        self.region
            .iter_mut()
            .chain(self.subject.iter_mut())
            .chain(self.subject_admin.iter_mut())
            .chain(self.websites.iter_mut().flat_map(|w| {
                w.fields
                    .iter_mut()
                    .chain(w.admin.iter_mut())
                    .chain(w.preapprovals.iter_mut().flatten())
            }))
    }

    /// Put each finding beside its field and in the summary.
    fn attach(&mut self, findings: &[Finding], lang: Lang, tr: Tr) {
        let paths: HashSet<String> = self.fields_mut().map(|f| f.path.clone()).collect();
        let mut items = Vec::new();
        for f in findings {
            let view = finding_view(f, lang);
            let target = field_of(&f.path, &paths);
            let mut label = tr.t("app-general");
            if let Some(t) = &target
                && let Some(field) = self.fields_mut().find(|x| &x.path == t)
            {
                field.findings.push(view.clone());
                // The engine's name of the field says whose it is (主体负责人手机号码).
                let (zh, en) = beian_rules::engine::field_label(t);
                label = match lang {
                    Lang::Zh => zh,
                    Lang::En => capitalised(&en),
                };
            }
            items.push(SummaryItem {
                href: target
                    .as_deref()
                    .map(|t| format!("#{}", id_of(t)))
                    .unwrap_or_default(),
                field: label,
                finding: view,
            });
        }
        self.summary = summary(items, findings, tr);
    }
}

/// The fields a rejection names, in words, each linking to its field on the form at `form`
/// (`""`: this page).
pub fn rejected_marks(
    state: &AppState,
    lang: Lang,
    r: &RejectionView,
    form: &str,
) -> Vec<RejectedMark> {
    r.fields
        .iter()
        .map(|f| {
            let words = state.engine.data().reason(f.reason);
            let (zh, en) = beian_rules::engine::field_label(&f.path);
            RejectedMark {
                href: format!("{form}#{}", id_of(&f.path)),
                label: match lang {
                    Lang::Zh => zh,
                    Lang::En => capitalised(&en),
                },
                code: f.reason.as_str().to_owned(),
                title: words
                    .map(|t| lang.pick(&t.title_zh, &t.title_en).to_owned())
                    .unwrap_or_default(),
                note: f.note.clone(),
            }
        })
        .collect()
}

impl ApplicationPage {
    /// A rejection that opens only some fields: no website is added or removed.
    pub fn rejection_limits(&self) -> bool {
        self.rejection.as_ref().is_some_and(|r| r.limited)
    }

    /// Mark the fields the latest rejection names, with its reasons, and lock those it does not
    /// open (a field-level rejection opens only what it names).
    fn mark_rejection(&mut self, state: &AppState, lang: Lang, app: &Value, r: &RejectionView) {
        let items = rejected_marks(state, lang, r, "");
        // A website administrator who is the subject's follows it (as the service allows).
        let open = r
            .open_fields
            .clone()
            .map(|open| filing::with_same_person(app, open));
        for (f, mark) in r.fields.iter().zip(&items) {
            for field in self.fields_mut() {
                if beian_core::rejection::within(&field.path, &f.path) {
                    field.rejected = Some(mark.clone());
                }
            }
        }
        if let Some(open) = &open {
            for field in self.fields_mut() {
                field.locked = !open
                    .iter()
                    .any(|o| beian_core::rejection::within(&field.path, o));
            }
        }
        self.rejection = Some(RejectionBanner {
            items,
            limited: open.is_some(),
        });
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn summary(items: Vec<SummaryItem>, findings: &[Finding], tr: Tr) -> Summary {
    let errors = findings
        .iter()
        .filter(|f| f.severity == beian_rules::Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == beian_rules::Severity::Warning)
        .count();
    Summary {
        heading: tr.args(
            "app-summary-heading",
            &[
                ("errors", &errors.to_string()),
                ("warnings", &warnings.to_string()),
            ],
        ),
        items,
        errors,
        warnings,
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Only applicants file (the API's authorization table says the same of `POST /api/v1/orders`).
fn applicant(s: &Signed) -> Result<(), Failure> {
    if s.caller.role == Role::Applicant {
        Ok(())
    } else {
        Err(Failure::new(StatusCode::FORBIDDEN, "error-forbidden"))
    }
}

fn order_id(raw: &str) -> Result<i64, Failure> {
    raw.parse::<i64>().map_err(|_| Failure::not_found())
}

fn build(
    state: &AppState,
    v: &Viewer,
    app: &Value,
    order: Option<i64>,
    findings: &[Finding],
    filing_type: Option<FilingType>,
) -> ApplicationPage {
    let tr = v.tr();
    let input = FormInput {
        state,
        lang: v.lang,
        tr,
        app,
        check_url: match order {
            Some(id) => format!("/orders/{id}/check-field"),
            None => "/orders/check-field".into(),
        },
    };
    let title = if order.is_some() {
        "app-edit-title"
    } else {
        "app-new-title"
    };
    input.page(Chrome::new(v, title), order, findings, filing_type)
}

#[derive(Deserialize, Default)]
struct NewQuery {
    #[serde(default)]
    domains: String,
    #[serde(default)]
    credential_type: String,
    #[serde(default)]
    credential_number: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    nature: String,
    /// A change or cancellation started from a filed website.
    #[serde(default, rename = "type")]
    filing_type: String,
    /// The filed website's number.
    #[serde(default)]
    website: String,
}

/// The new form's starting point: the filed subject (and website) if any, then the check's
/// answers over it.
async fn prefill(state: &AppState, s: &Signed, q: &NewQuery) -> Result<Value, Failure> {
    let website = Some(q.website.trim()).filter(|w| !w.is_empty());
    let filed = filing::filed_subject(state, &s.caller, website).await?;
    let mut app = match filed {
        Some(a) => serde_json::to_value(&a).unwrap_or_else(|_| json!({})),
        None => json!({}),
    };
    let mut set = |path: &str, value: Value| {
        if let Some(segs) = parse_path(path) {
            put(&mut app, &segs, value);
        }
    };
    let domains = split_domains(&q.domains);
    if !domains.is_empty() {
        set(
            "websites[0].domains",
            Value::Array(domains.into_iter().map(Value::String).collect()),
        );
    }
    for (path, value) in [
        ("region.province", &q.province),
        ("subject.nature", &q.nature),
        ("subject.credential.type", &q.credential_type),
        ("subject.credential.number", &q.credential_number),
    ] {
        if !value.trim().is_empty() {
            set(path, Value::String(value.trim().to_owned()));
        }
    }
    if let Some(t) = FilingType::parse(q.filing_type.trim())
        && (t.is_change() || t.is_cancellation())
    {
        set("filing_type", Value::String(t.as_str().to_owned()));
    }
    Ok(app)
}

/// `GET /orders/new`: an empty form, prefilled.
async fn new_form(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Query(q): Query<NewQuery>,
) -> PageResult {
    applicant(&s)?;
    let app = prefill(&state, &s, &q).await?;
    let mut page = build(&state, &s.viewer, &app, None, &[], None);
    page.draft_key = "new".into();
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
struct EditQuery {
    #[serde(default)]
    saved: String,
}

/// `GET /orders/{id}/edit`: the saved draft with its findings (another state: the order's page).
async fn edit_form(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> PageResult {
    applicant(&s)?;
    let id = order_id(&id)?;
    let detail = filing::get(&state, &s.caller, id).await?;
    if detail.state != OrderState::Draft {
        return Ok(redirect(&format!("/orders/{id}")));
    }
    let mut page = build(
        &state,
        &s.viewer,
        &detail.application,
        Some(id),
        &detail.report.findings,
        Some(detail.report.filing_type),
    );
    page.draft_key = format!("{id}-{}", detail.version);
    if let Some(r) = &detail.rejection {
        page.mark_rejection(&state, s.viewer.lang, &detail.application, r);
    }
    if !q.saved.is_empty() {
        page.alert = Some(("ok", s.viewer.tr().t("app-saved")));
    }
    Ok(render(&page))
}

/// What the form's button asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormAction {
    Save,
    Submit,
    AddWebsite,
    RemoveWebsite(usize),
    Refresh,
}

impl FormAction {
    fn parse(s: &str) -> FormAction {
        match s {
            "submit" => FormAction::Submit,
            "add_website" => FormAction::AddWebsite,
            "refresh" => FormAction::Refresh,
            other => match other
                .strip_prefix("remove_website:")
                .and_then(|n| n.parse().ok())
            {
                Some(n) => FormAction::RemoveWebsite(n),
                None => FormAction::Save,
            },
        }
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// `POST /orders/new`: create the draft.
async fn create(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    post_form(&state, &s, None, &pairs).await
}

/// `POST /orders/{id}/edit`: save, submit, add or remove a website.
async fn save(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = order_id(&id)?;
    post_form(&state, &s, Some(id), &pairs).await
}

fn with_status(mut r: Response, status: StatusCode) -> Response {
    *r.status_mut() = status;
    r
}

async fn post_form(
    state: &AppState,
    s: &Signed,
    order: Option<i64>,
    pairs: &[(String, String)],
) -> PageResult {
    s.viewer.check_csrf(field(pairs, "csrf"))?;
    applicant(s)?;
    let tr = s.viewer.tr();
    let action = FormAction::parse(field(pairs, "action"));
    let mut app = form_to_application(pairs);
    match action {
        FormAction::Refresh => {
            // The address pickers for the region chosen; nothing is saved.
            if let Some(id) = order {
                filing::owned(state, &s.caller, id).await?;
            }
            let mut page = build(state, &s.viewer, &app, order, &[], None);
            page.draft_key = order.map_or_else(|| "new".into(), |id| format!("{id}-refresh"));
            return Ok(render(&page));
        }
        FormAction::AddWebsite => {
            if let Value::Object(m) = &mut app {
                let list = m
                    .entry("websites")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = list {
                    if a.is_empty() {
                        a.push(json!({}));
                    }
                    if a.len() < MAX_INDEX {
                        a.push(json!({}));
                    }
                }
            }
        }
        FormAction::RemoveWebsite(i) => {
            if let Some(Value::Array(a)) = app.get_mut("websites")
                && a.len() > 1
                && i < a.len()
            {
                a.remove(i);
            }
        }
        FormAction::Save | FormAction::Submit => {}
    }
    let document = json!({ "application": app }).to_string();
    let saved = match order {
        None => filing::create(state, &s.caller, &document).await,
        Some(id) => filing::update(state, &s.caller, id, &document).await,
    };
    let detail = match saved {
        Ok(d) => d,
        Err(FilingError::NotDraft(_)) => {
            return Ok(redirect(&format!("/orders/{}", order.unwrap_or_default())));
        }
        Err(FilingError::Unusable(e)) => {
            let mut page = build(state, &s.viewer, &app, order, &[], None);
            let at = e.path.strip_prefix("application.").unwrap_or(&e.path);
            page.alert = Some(("error", tr.t1("app-unusable", "field", &id_of(at))));
            page.draft_key = "unusable".into();
            mark_latest_rejection(state, s, &mut page, order).await?;
            return Ok(with_status(render(&page), StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(FilingError::NotOpened(paths)) => {
            // What the applicant typed stays on the page; the alert names what may not change.
            let mut page = build(state, &s.viewer, &app, order, &[], None);
            let names: Vec<String> = paths
                .iter()
                .map(|p| {
                    let (zh, en) = beian_rules::engine::field_label(p);
                    s.viewer.lang.pick(&zh, &en).to_owned()
                })
                .collect();
            page.alert = Some((
                "error",
                tr.t1(
                    "app-not-opened",
                    "fields",
                    &names.join(tr.t("app-list-separator").as_str()),
                ),
            ));
            page.draft_key = "not-opened".into();
            mark_latest_rejection(state, s, &mut page, order).await?;
            return Ok(with_status(render(&page), StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(e) => return Err(e.into()),
    };
    let id = detail.id;
    match action {
        FormAction::Submit => match filing::advance(state, &s.caller, id, Command::Submit).await {
            Ok(_) => Ok(redirect(&format!("/orders/{id}"))),
            Err(FilingError::Refused(_)) => {
                let mut page = build(
                    state,
                    &s.viewer,
                    &detail.application,
                    Some(id),
                    &detail.report.findings,
                    Some(detail.report.filing_type),
                );
                page.alert = Some(("error", tr.t("app-submit-refused")));
                page.draft_key = format!("{id}-{}", detail.version);
                if let Some(r) = &detail.rejection {
                    page.mark_rejection(state, s.viewer.lang, &detail.application, r);
                }
                Ok(with_status(render(&page), StatusCode::UNPROCESSABLE_ENTITY))
            }
            Err(e) => Err(e.into()),
        },
        FormAction::AddWebsite => {
            let n = detail
                .application
                .get("websites")
                .and_then(Value::as_array)
                .map_or(1, Vec::len);
            Ok(redirect(&format!(
                "/orders/{id}/edit?saved=1#website-{}",
                n.saturating_sub(1)
            )))
        }
        _ => Ok(redirect(&format!("/orders/{id}/edit?saved=1"))),
    }
}

/// Mark a draft's latest rejection on a form rebuilt from what was posted.
async fn mark_latest_rejection(
    state: &AppState,
    s: &Signed,
    page: &mut ApplicationPage,
    order: Option<i64>,
) -> Result<(), Failure> {
    if let Some(id) = order {
        let detail = filing::get(state, &s.caller, id).await?;
        if let Some(r) = &detail.rejection {
            page.mark_rejection(state, s.viewer.lang, &detail.application, r);
        }
    }
    Ok(())
}

#[derive(Deserialize, Default)]
struct CheckQuery {
    #[serde(default)]
    field: String,
}

/// `POST /orders/check-field?field=…`: the findings of one field of a new form (htmx).
async fn check_new(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Query(q): Query<CheckQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    check_field(&state, &s, None, &q.field, &pairs).await
}

/// `POST /orders/{id}/check-field?field=…`: the same for a saved draft.
async fn check_order(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = order_id(&id)?;
    check_field(&state, &s, Some(id), &q.field, &pairs).await
}

async fn check_field(
    state: &AppState,
    s: &Signed,
    order: Option<i64>,
    field: &str,
    pairs: &[(String, String)],
) -> PageResult {
    s.viewer.check_csrf(self::field(pairs, "csrf"))?;
    applicant(s)?;
    let app = form_to_application(pairs);
    let document = json!({ "application": app }).to_string();
    let findings = match filing::check_document(state, &s.caller, order, &document).await {
        Ok(report) => report.findings,
        Err(FilingError::Unusable(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let page = build(state, &s.viewer, &app, order, &findings, None);
    let mut mine = Vec::new();
    let summary = page.summary;
    for item in &summary.items {
        if item.href == format!("#{}", id_of(field)) {
            mine.push(item.finding.clone());
        }
    }
    Ok(render(&FindingsFragment {
        findings: mine,
        summary,
    }))
}

#[derive(Deserialize, Default)]
struct DivisionsQuery {
    #[serde(default)]
    province: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    district: String,
    /// `cities` (the city options, and the counties out of band) or `districts`.
    #[serde(default)]
    part: String,
    #[serde(default, rename = "region.province")]
    form_province: String,
    #[serde(default, rename = "region.city")]
    form_city: String,
    #[serde(default, rename = "region.district")]
    form_district: String,
}

/// `GET /divisions?province=33[&city=杭州市]`: the options of the city and county pickers (the
/// form's fields may be sent under their own names too).
async fn divisions(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Query(q): Query<DivisionsQuery>,
) -> Response {
    let pick = |a: &str, b: &str| -> String {
        if a.trim().is_empty() {
            b.trim()
        } else {
            a.trim()
        }
        .to_owned()
    };
    let province = pick(&q.province, &q.form_province);
    let mut city = pick(&q.city, &q.form_city);
    let district = pick(&q.district, &q.form_district);
    let choose = v.tr().t("app-choose");
    let cities = if q.part == "districts" {
        None
    } else {
        let groups = city_groups(&state, &province, &city);
        if !groups.iter().any(|g| g.options.iter().any(|o| o.selected)) {
            city.clear();
        }
        Some(options_html(&groups, &choose))
    };
    let districts = district_groups(&state, &province, &city, &district);
    render(&DivisionsFragment {
        cities,
        districts: options_html(&districts, &choose),
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn paths_become_nested_json() {
        let app = form_to_application(&pairs(&[
            ("csrf", "x"),
            ("action", "save"),
            ("region.province", "33"),
            ("subject.credential.type", "resident_id"),
            ("subject.credential.number", ""),
            ("subject.admin.mobile", "13906710000"),
            ("websites[0].name", "读书笔记"),
            ("websites[0].domains", "a.cn\nb.cn, c.cn\r\n\n"),
            ("websites[1].name", "第二个"),
            ("websites[1].domains", ""),
        ]));
        assert_eq!(
            app,
            json!({
                "region": {"province": "33"},
                "subject": {"credential": {"type": "resident_id", "number": ""},
                            "admin": {"mobile": "13906710000"}},
                "websites": [
                    {"name": "读书笔记", "domains": ["a.cn", "b.cn", "c.cn"]},
                    {"name": "第二个", "domains": []}
                ]
            })
        );
    }

    #[test]
    fn strange_names_are_ignored() {
        let app = form_to_application(&pairs(&[
            ("websites[99999999].name", "x"),
            ("websites[a].name", "x"),
            ("subject..name", "x"),
            ("Subject.name", "x"),
            ("context.today", "2020-01-01"),
            ("websites[0]name", "x"),
            ("subject.name", "张三"),
            ("subject.name.first", "x"),
        ]));
        assert_eq!(app, json!({"subject": {"name": "张三"}}));
    }

    #[test]
    fn gaps_blank_preapprovals_and_admin_same() {
        let app = form_to_application(&pairs(&[
            ("subject.admin.name", "张伟"),
            ("subject.admin.email", "zw@example.cn"),
            ("websites[2].name", "gap before me"),
            ("websites[2].admin_same", "on"),
            ("websites[2].admin.name", "someone else"),
            ("websites[2].preapprovals[0].category", ""),
            ("websites[2].preapprovals[0].number", " "),
            ("websites[2].preapprovals[1].category", "news"),
            ("websites[2].preapprovals[1].number", "N-1"),
        ]));
        assert_eq!(
            app["websites"],
            json!([{
                "name": "gap before me",
                "admin": {"name": "张伟", "email": "zw@example.cn"},
                "preapprovals": [{"category": "news", "number": "N-1"}]
            }])
        );
    }

    #[test]
    fn ids_and_values() {
        assert_eq!(id_of("websites[0].domains"), "websites-0-domains");
        assert_eq!(id_of("subject.admin.mobile"), "subject-admin-mobile");
        assert_eq!(
            id_of("websites[1].preapprovals[0].category"),
            "websites-1-preapprovals-0-category"
        );
        assert_eq!(id_of("websites[0]"), "websites-0");
        let app = json!({"websites": [{"domains": ["a.cn", "b.cn"], "name": "x"}]});
        assert_eq!(value_at(&app, "websites[0].domains"), "a.cn\nb.cn");
        assert_eq!(value_at(&app, "websites[0].name"), "x");
        assert_eq!(value_at(&app, "websites[1].name"), "");
        assert_eq!(value_at(&app, "subject.name"), "");
    }

    #[test]
    fn findings_find_their_fields() {
        let fields: HashSet<String> = [
            "websites[0].domains",
            "subject.credential.number",
            "region.province",
            "websites[0].name",
            "websites[0].preapprovals[0].category",
            "subject.admin.mobile",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let at = |p: &str| field_of(p, &fields);
        assert_eq!(
            at("websites[0].domains[1]").as_deref(),
            Some("websites[0].domains")
        );
        assert_eq!(
            at("subject.credential").as_deref(),
            Some("subject.credential.number")
        );
        assert_eq!(at("region").as_deref(), Some("region.province"));
        assert_eq!(at("websites[0]").as_deref(), Some("websites[0].name"));
        assert_eq!(
            at("websites[0].preapprovals").as_deref(),
            Some("websites[0].preapprovals[0].category")
        );
        assert_eq!(
            at("subject.admin.mobile").as_deref(),
            Some("subject.admin.mobile")
        );
        assert_eq!(at(""), None);
        assert_eq!(at("websites"), None);
    }

    #[test]
    fn actions() {
        assert_eq!(FormAction::parse("submit"), FormAction::Submit);
        assert_eq!(FormAction::parse(""), FormAction::Save);
        assert_eq!(
            FormAction::parse("remove_website:2"),
            FormAction::RemoveWebsite(2)
        );
        assert_eq!(FormAction::parse("remove_website:x"), FormAction::Save);
    }

    #[test]
    fn chinese_in_english_text_is_marked() {
        assert_eq!(
            html_text("The name 张三 <b>", Lang::En),
            "The name <span translate=\"no\" lang=\"zh-CN\">张三</span> &lt;b&gt;"
        );
        assert_eq!(html_text("名称 <x>", Lang::Zh), "名称 &lt;x&gt;");
    }

    #[test]
    fn divisions_are_read() {
        assert!(DIVISIONS.get(&330106).is_some_and(|n| n == "西湖区"));
        assert!(DIVISIONS.len() > 3000);
    }
}
