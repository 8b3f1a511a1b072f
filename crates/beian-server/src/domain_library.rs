//! Domain registration records (域名注册信息): the registrars' library that the DOMAIN_* rules of
//! SPEC §7 read through `context.domains`, behind the [`RegistrarLibrary`] port. The built-in
//! implementation, [`BuiltInRegistrar`], reads the store's `registrar_records` table, which
//! supervisors edit over HTTP and import from CSV (`beian import registrar FILE.csv` does the
//! same from the command line).
//!
//! Routes (to be added to `router` in `lib.rs`, with `pub mod registrar;` and
//! `use axum::routing::put;`):
//!
//! ```text
//! .route("/api/v1/registrar-records", get(registrar::list))
//! .route("/api/v1/registrar-records/import", post(registrar::import))
//! .route(
//!     "/api/v1/registrar-records/{domain}",
//!     put(registrar::put).delete(registrar::delete),
//! )
//! ```
//!
//! - `GET /api/v1/registrar-records[?domain=D][&limit=N&offset=M]` (reviewers and supervisors):
//!   `{"total", "records": [...]}` in domain order, registrant credential numbers masked; with
//!   `domain`, the record of that domain's registrable domain (none or one).
//! - `PUT /api/v1/registrar-records/{domain}` (supervisors): a JSON object with the fields of
//!   the CSV columns except `domain`; 201 when the domain had no record, 200 when it is replaced.
//! - `DELETE /api/v1/registrar-records/{domain}` (supervisors): 204, or 404.
//! - `POST /api/v1/registrar-records/import` (supervisors): the CSV text as the body with
//!   `content-type: text/csv`; answers `{"rows", "created", "updated"}`, or 422 with the line
//!   and column at fault and nothing written.
//!
//! Applicants (and the administration role) get 403 on all of them.
//!
//! Their OpenAPI entries come from [`openapi_paths`]; in `OPENAPI`, bind the `json!` document to
//! `let mut doc = …;` and before `.to_string()` add:
//!
//! ```text
//! if let (Some(paths), Some(more)) = (
//!     doc["paths"].as_object_mut(),
//!     registrar::openapi_paths(&problem).as_object(),
//! ) {
//!     paths.extend(more.clone());
//! }
//! doc.to_string()
//! ```

// A handler's early exit is an axum `Response`; boxing it would only add an allocation per error.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::workflow::Role;
use beian_rules::input::DomainRecord;
use beian_store::{
    ImportError, RegistrarEntry, RegistrarError, RegistrarFields, RegistrarRecord, Store,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::orders::role_of;
use crate::{ApiJson, AppState, Problem};

/// A boxed future, so that the port can be held as `Arc<dyn RegistrarLibrary>` and a real
/// registrar-library client swapped in for the built-in table.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why the registrars' library gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("the registrars' library is unavailable: {0}")]
    Unavailable(String),
}

/// The port: domain registration records for `context.domains`.
pub trait RegistrarLibrary: Send + Sync {
    /// The records of the registrable domains of `domains` (any form: IDN, upper case,
    /// subdomains); a domain without a record is absent from the answer, which the rules report
    /// as `DOMAIN_NO_RECORD`.
    fn records_for<'a>(
        &'a self,
        domains: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<DomainRecord>, LibraryError>>;
}

/// The built-in registrars' library: the store's `registrar_records` table.
#[derive(Debug, Clone)]
pub struct BuiltInRegistrar {
    pub store: Store,
}

impl RegistrarLibrary for BuiltInRegistrar {
    fn records_for<'a>(
        &'a self,
        domains: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<DomainRecord>, LibraryError>> {
        Box::pin(async move {
            let records = self
                .store
                .registrar_for(domains)
                .await
                .map_err(|e| LibraryError::Unavailable(e.to_string()))?;
            Ok(records
                .iter()
                .map(RegistrarRecord::to_domain_record)
                .collect())
        })
    }
}

const KIND: &str = "https://beian.invalid/problems/registrar-records";

fn problem(
    status: u16,
    title: &'static str,
    detail: impl Into<String>,
    path: Option<&str>,
) -> Response {
    Problem {
        kind: KIND,
        title,
        status,
        detail: detail.into(),
        path: path.map(str::to_owned),
    }
    .into_response()
}

fn internal(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "registrar records failed");
    problem(
        500,
        "内部错误 / Internal error",
        "the server could not complete the request",
        None,
    )
}

/// Reviewers and supervisors may read; the caller's problem otherwise.
fn require_staff(caller: &Caller) -> Result<(), Response> {
    match role_of(caller) {
        Role::Reviewer | Role::Supervisor => Ok(()),
        _ => Err(problem(
            403,
            "仅限审核人员 / Staff only",
            "域名注册信息仅供审核人员查看 / registrar records are for reviewers and supervisors",
            None,
        )),
    }
}

fn require_supervisor(caller: &Caller) -> Result<(), Response> {
    match role_of(caller) {
        Role::Supervisor => Ok(()),
        _ => Err(problem(
            403,
            "仅限主管 / Supervisors only",
            "只有主管可以修改域名注册信息 / only a supervisor may change registrar records",
            None,
        )),
    }
}

fn actor(caller: &Caller) -> String {
    format!("account:{}", caller.account.id)
}

/// A record as staff see it: the CSV columns, the credential number masked.
#[derive(Debug, Serialize)]
pub struct RecordView {
    pub domain: String,
    pub registrar: String,
    pub registrar_approved: bool,
    pub expires: String,
    pub real_name_verified: bool,
    pub real_name_date: Option<String>,
    pub registrant_name: String,
    pub registrant_credential_type: String,
    pub registrant_credential_number: String,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

fn ymd(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

impl From<RegistrarEntry> for RecordView {
    fn from(e: RegistrarEntry) -> RecordView {
        let r = e.record;
        RecordView {
            registrant_credential_number: beian_core::mask::credential_number(
                &r.registrant_credential_number,
            ),
            domain: r.domain,
            registrar: r.registrar,
            registrar_approved: r.registrar_approved,
            expires: ymd(r.expires),
            real_name_verified: r.real_name_verified,
            real_name_date: r.real_name_date.map(ymd),
            registrant_name: r.registrant_name,
            registrant_credential_type: r.registrant_credential_type.as_str().to_owned(),
            updated_by: e.updated_by,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub domain: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize)]
struct ListView {
    total: i64,
    records: Vec<RecordView>,
}

/// The most records one page holds.
pub const MAX_PAGE: i64 = 1000;

/// `GET /api/v1/registrar-records` (reviewers and supervisors).
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(r) = require_staff(&caller) {
        return r;
    }
    if let Some(domain) = q.domain.as_deref() {
        return match state.store.registrar_get(domain).await {
            Ok(found) => {
                let records: Vec<RecordView> = found.into_iter().map(RecordView::from).collect();
                Json(ListView {
                    total: i64::try_from(records.len()).unwrap_or(0),
                    records,
                })
                .into_response()
            }
            Err(e) => internal(e),
        };
    }
    let limit = q.limit.unwrap_or(100).clamp(0, MAX_PAGE);
    let offset = q.offset.unwrap_or(0).max(0);
    let total = match state.store.registrar_count().await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    match state.store.registrar_list(limit, offset).await {
        Ok(entries) => Json(ListView {
            total,
            records: entries.into_iter().map(RecordView::from).collect(),
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

/// The body of `PUT /api/v1/registrar-records/{domain}`: the CSV columns but `domain`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    pub registrar: Option<String>,
    pub registrar_approved: Option<bool>,
    pub expires: Option<String>,
    pub real_name_verified: Option<bool>,
    pub real_name_date: Option<String>,
    pub registrant_name: Option<String>,
    pub registrant_credential_type: Option<String>,
    pub registrant_credential_number: Option<String>,
}

fn invalid(field: &str, zh: &str, en: &str) -> Response {
    problem(
        422,
        "域名注册信息有误 / Invalid registrar record",
        format!("{field}：{zh} / {field}: {en}"),
        Some(field),
    )
}

fn bool_text(field: &str, v: Option<bool>) -> Result<&'static str, Response> {
    match v {
        Some(true) => Ok("true"),
        Some(false) => Ok("false"),
        None => Err(invalid(
            field,
            "缺少此项（true 或 false）",
            "missing (true or false)",
        )),
    }
}

/// `PUT /api/v1/registrar-records/{domain}` (supervisors).
pub async fn put(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(domain): Path<String>,
    ApiJson(body): ApiJson<RecordBody>,
) -> Response {
    if let Err(r) = require_supervisor(&caller) {
        return r;
    }
    let registrar_approved = match bool_text("registrar_approved", body.registrar_approved) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let real_name_verified = match bool_text("real_name_verified", body.real_name_verified) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let fields = RegistrarFields {
        domain: &domain,
        registrar: body.registrar.as_deref().unwrap_or(""),
        registrar_approved,
        expires: body.expires.as_deref().unwrap_or(""),
        real_name_verified,
        real_name_date: body.real_name_date.as_deref().unwrap_or(""),
        registrant_name: body.registrant_name.as_deref().unwrap_or(""),
        registrant_credential_type: body.registrant_credential_type.as_deref().unwrap_or(""),
        registrant_credential_number: body.registrant_credential_number.as_deref().unwrap_or(""),
    };
    let record = match RegistrarRecord::from_fields(&fields) {
        Ok(r) => r,
        Err(p) => return invalid(p.field, &p.zh, &p.en),
    };
    let created = match state
        .store
        .registrar_put(&record, &actor(&caller), OffsetDateTime::now_utc())
        .await
    {
        Ok(c) => c,
        Err(RegistrarError::Invalid(p)) => return invalid(p.field, &p.zh, &p.en),
        Err(RegistrarError::Store(e)) => return internal(e),
    };
    match state.store.registrar_get(&record.domain).await {
        Ok(Some(entry)) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(RecordView::from(entry))).into_response()
        }
        Ok(None) => internal("a record just written is missing"),
        Err(e) => internal(e),
    }
}

/// `DELETE /api/v1/registrar-records/{domain}` (supervisors).
pub async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(domain): Path<String>,
) -> Response {
    if let Err(r) = require_supervisor(&caller) {
        return r;
    }
    match state.store.registrar_delete(&domain).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => problem(
            404,
            "无此记录 / No such record",
            format!("{domain} 没有域名注册信息 / there is no registrar record for {domain}"),
            None,
        ),
        Err(e) => internal(e),
    }
}

/// A refused import: problem+json with the line and column at fault as extension members.
#[derive(Debug, Serialize)]
struct ImportProblem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct ImportView {
    rows: usize,
    created: usize,
    updated: usize,
}

/// `POST /api/v1/registrar-records/import` (supervisors): the body is the CSV text.
pub async fn import(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = require_supervisor(&caller) {
        return r;
    }
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"));
    if !is_csv {
        return problem(
            415,
            "请上传 CSV / Send CSV",
            "请以 content-type: text/csv 发送 CSV 文本（UTF-8，首行为表头）/ send the CSV text \
             with content-type: text/csv (UTF-8, a header line first)",
            None,
        );
    }
    match state
        .store
        .registrar_import_csv(&body[..], &actor(&caller), OffsetDateTime::now_utc())
        .await
    {
        Ok(s) => Json(ImportView {
            rows: s.rows,
            created: s.created,
            updated: s.updated,
        })
        .into_response(),
        Err(e) => {
            let ImportError::Line { line, column, .. } = &e else {
                return internal(e);
            };
            let mut r = (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ImportProblem {
                    kind: KIND,
                    title: "导入未执行，未写入任何记录 / Import refused, nothing written",
                    status: 422,
                    detail: e.to_string(),
                    line: *line,
                    column: *column,
                }),
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            );
            r
        }
    }
}

/// The OpenAPI `paths` entries of these routes, to merge into the document's `paths`;
/// `problem` is the document's problem+json response object.
pub fn openapi_paths(problem: &serde_json::Value) -> serde_json::Value {
    let record = serde_json::json!({"type": "object", "properties": {
        "registrar": {"type": "string"}, "registrar_approved": {"type": "boolean"},
        "expires": {"type": "string", "format": "date"}, "real_name_verified": {"type": "boolean"},
        "real_name_date": {"type": ["string", "null"], "format": "date"},
        "registrant_name": {"type": "string"},
        "registrant_credential_type": {"type": "string", "description": "uscc, resident_id, passport… (SPEC §6.1)"},
        "registrant_credential_number": {"type": "string"}}});
    let import_problem = serde_json::json!({"description": "problem+json with `line` and `column`: nothing was written", "content": {"application/problem+json": {"schema": {"allOf": [{"$ref": "#/components/schemas/Problem"}, {"type": "object", "properties": {"line": {"type": "integer"}, "column": {"type": "string"}}}]}}}});
    serde_json::json!({
        "/api/v1/registrar-records": {"get": {
            "summary": "Domain registration records (the registrars' library), credential numbers masked (reviewers, supervisors)",
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "domain", "in": "query", "required": false, "schema": {"type": "string"}, "description": "only this domain's registrable domain"},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "maximum": MAX_PAGE, "default": 100}},
                {"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "default": 0}}
            ],
            "responses": {"200": {"description": "{total, records: [{domain, …, updated_by, updated_at}]}"}, "401": problem, "403": problem}
        }},
        "/api/v1/registrar-records/import": {"post": {
            "summary": "Import a CSV file of records, all rows or none (supervisors); header: domain,registrar,registrar_approved,expires,real_name_verified,real_name_date,registrant_name,registrant_credential_type,registrant_credential_number",
            "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}},
            "responses": {"200": {"description": "{rows, created, updated}"}, "401": problem, "403": problem, "415": problem, "422": import_problem}
        }},
        "/api/v1/registrar-records/{domain}": {
            "parameters": [{"name": "domain", "in": "path", "required": true, "schema": {"type": "string"}}],
            "put": {"summary": "Create or replace a domain's record (supervisors)", "security": [{"bearer": []}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": record}}},
                    "responses": {"200": {"description": "replaced"}, "201": {"description": "created"}, "401": problem, "403": problem, "422": problem}},
            "delete": {"summary": "Remove a domain's record (supervisors)", "security": [{"bearer": []}],
                       "responses": {"204": {"description": "removed"}, "401": problem, "403": problem, "404": problem}}
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use serde_json::{Value, json};

    fn header() -> String {
        format!("{}\n", beian_store::CSV_COLUMNS.join(","))
    }

    async fn store() -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "beian-server-registrar-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("beian.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        (store, dir)
    }

    /// The real router (idempotency middleware, body limit and all), on a free port.
    async fn serve(store: Store) -> String {
        let app = crate::router(AppState::new(store).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/api/v1/registrar-records")
    }

    async fn token(store: &Store, role: &str) -> String {
        let now = OffsetDateTime::now_utc();
        let account = store
            .create_account(&format!("{role}@test"), "-", role, role, "", now)
            .await
            .unwrap();
        let token = format!("token-of-{role}");
        store
            .create_token(
                &crate::auth::token_digest(&token),
                account.id,
                now,
                now + time::Duration::days(1),
            )
            .await
            .unwrap();
        token
    }

    fn body() -> Value {
        json!({
            "registrar": "阿里云计算有限公司（万网）", "registrar_approved": true,
            "expires": "2027-10-01", "real_name_verified": true, "real_name_date": "2025-01-01",
            "registrant_name": "张伟", "registrant_credential_type": "resident_id",
            "registrant_credential_number": "330106198503120036"
        })
    }

    #[test]
    fn every_route_is_in_the_openapi_paths() {
        let paths = openapi_paths(&json!({"description": "problem"}));
        for (path, method) in [
            ("/api/v1/registrar-records", "get"),
            ("/api/v1/registrar-records/import", "post"),
            ("/api/v1/registrar-records/{domain}", "put"),
            ("/api/v1/registrar-records/{domain}", "delete"),
        ] {
            assert!(paths[path][method].is_object(), "{method} {path}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn staff_edit_import_and_read_applicants_are_refused() {
        let (store, dir) = store().await;
        let supervisor = token(&store, "supervisor").await;
        let reviewer = token(&store, "reviewer").await;
        let applicant = token(&store, "applicant").await;
        let base = serve(store.clone()).await;
        let http = reqwest::Client::new();

        // Applicants: 403 everywhere; anonymous: 401.
        let csv = format!(
            "{}yunfan.cn,\"Alibaba Cloud Computing Co., Ltd.\",true,2027-10-01,true,2025-01-01,杭州云帆科技有限公司,uscc,91330106MA2B3C4D5D\n",
            header()
        );
        for t in [&applicant] {
            let r = http.get(&base).bearer_auth(t).send().await.unwrap();
            assert_eq!(r.status(), 403);
            let r = http
                .put(format!("{base}/yunfan.cn"))
                .bearer_auth(t)
                .json(&body())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403);
            let r = http
                .delete(format!("{base}/yunfan.cn"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403);
            let r = http
                .post(format!("{base}/import"))
                .bearer_auth(t)
                .header("content-type", "text/csv")
                .body(csv.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403);
        }
        assert_eq!(http.get(&base).send().await.unwrap().status(), 401);
        // Reviewers read but do not write.
        let r = http
            .put(format!("{base}/yunfan.cn"))
            .bearer_auth(&reviewer)
            .json(&body())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(store.registrar_count().await.unwrap(), 0);

        // Import: not CSV → 415; CSV → the summary.
        let r = http
            .post(format!("{base}/import"))
            .bearer_auth(&supervisor)
            .body(csv.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);
        let r = http
            .post(format!("{base}/import"))
            .bearer_auth(&supervisor)
            .header("content-type", "text/csv; charset=utf-8")
            .body(csv.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v, json!({"rows": 1, "created": 1, "updated": 0}));
        // A retried import with the same Idempotency-Key is applied once and replayed.
        for replayed in [false, true] {
            let r = http
                .post(format!("{base}/import"))
                .bearer_auth(&supervisor)
                .header("content-type", "text/csv")
                .header("idempotency-key", "import-1")
                .body(csv.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers().contains_key("idempotent-replayed"), replayed);
            let v: Value = r.json().await.unwrap();
            assert_eq!(v, json!({"rows": 1, "created": 0, "updated": 1}));
        }
        // A bad date on line 3: 422 naming line and column, nothing written.
        let bad =
            format!("{csv}other.cn,新网,true,2027-13-01,true,,某某公司,uscc,91330106MA2B3C4D5D\n");
        let r = http
            .post(format!("{base}/import"))
            .bearer_auth(&supervisor)
            .header("content-type", "text/csv")
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            (v["line"].clone(), v["column"].clone()),
            (json!(3), json!("expires"))
        );
        let detail = v["detail"].as_str().unwrap();
        assert!(
            detail.contains("第 3 行 expires") && detail.contains("line 3, expires"),
            "{detail}"
        );
        assert_eq!(store.registrar_count().await.unwrap(), 1);

        // PUT: 201 new, 200 replaced; bad input names the field.
        let r = http
            .put(format!("{base}/YUNFAN-DOCS.com"))
            .bearer_auth(&supervisor)
            .json(&body())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["domain"], "yunfan-docs.com");
        assert_eq!(v["registrant_credential_number"], "3301**********0036");
        let r = http
            .put(format!("{base}/yunfan-docs.com"))
            .bearer_auth(&supervisor)
            .json(&body())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let mut wrong = body();
        wrong["registrant_credential_type"] = json!("licence");
        let mut no_bool = body();
        no_bool
            .as_object_mut()
            .unwrap()
            .remove("real_name_verified");
        let mut bad_date = body();
        bad_date["expires"] = json!("2027/10/01");
        let mut unknown = body();
        unknown["registrar_aproved"] = json!(true);
        for (domain, b, path) in [
            ("x.cn", wrong, "registrant_credential_type"),
            ("x.cn", no_bool, "real_name_verified"),
            ("x.cn", bad_date, "expires"),
            ("www.x.cn", body(), "domain"),
        ] {
            let r = http
                .put(format!("{base}/{domain}"))
                .bearer_auth(&supervisor)
                .json(&b)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422, "{path}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["path"], path, "{v}");
            let detail = v["detail"].as_str().unwrap();
            assert!(
                detail.contains(&format!("{path}：")) && detail.contains(&format!("{path}: ")),
                "{detail}"
            );
        }
        let r = http
            .put(format!("{base}/x.cn"))
            .bearer_auth(&supervisor)
            .json(&unknown)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);

        // GET: the list, and one domain by any form; credential numbers masked.
        let v: Value = http
            .get(&base)
            .bearer_auth(&reviewer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 2);
        assert_eq!(v["records"][0]["domain"], "yunfan-docs.com");
        assert_eq!(
            v["records"][1]["registrar"],
            "Alibaba Cloud Computing Co., Ltd."
        );
        assert_eq!(
            v["records"][1]["registrant_credential_number"],
            "9133**********4D5D"
        );
        let v: Value = http
            .get(format!("{base}?domain=WWW.YunFan.cn"))
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 1);
        assert_eq!(v["records"][0]["expires"], "2027-10-01");

        // The port answers the rules' form.
        let port: Arc<dyn RegistrarLibrary> = Arc::new(BuiltInRegistrar {
            store: store.clone(),
        });
        let records = port
            .records_for(&["www.yunfan.cn".into(), "nothing.cn".into()])
            .await
            .unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].domain, "yunfan.cn");
        assert_eq!(
            records[0].expires,
            Some(time::macros::date!(2027 - 10 - 01))
        );

        // DELETE: 204, then 404.
        let r = http
            .delete(format!("{base}/yunfan.cn"))
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let r = http
            .delete(format!("{base}/yunfan.cn"))
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
