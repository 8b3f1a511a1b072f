//! The registrars' domain library over HTTP (`crate::domain_library` is the port the rules read
//! through): staff read the domain registration records, supervisors edit them and import them
//! from CSV.
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
//! Who may call them is in `crate::authz`: applicants and the administration role get 403.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_store::{ImportError, RegistrarEntry, RegistrarError, RegistrarFields, RegistrarRecord};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, Problem};

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/registrar-records", list)
        .post("/api/v1/registrar-records/import", import)
        .put("/api/v1/registrar-records/{domain}", put)
        .delete("/api/v1/registrar-records/{domain}", delete)
}

/// A record as staff see it: the CSV columns, the credential number masked.
#[derive(Debug, Serialize, schemars::JsonSchema)]
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
    #[schemars(with = "String")]
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

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListQuery {
    pub domain: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListView {
    total: i64,
    records: Vec<RecordView>,
}

/// The most records one page holds.
pub const MAX_PAGE: i64 = 1000;

/// `GET /api/v1/registrar-records` (reviewers and supervisors).
pub async fn list(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListView>, ApiError> {
    if let Some(domain) = q.domain.as_deref() {
        let found = state.store.registrar_get(domain).await?;
        let records: Vec<RecordView> = found.into_iter().map(RecordView::from).collect();
        return Ok(Json(ListView {
            total: i64::try_from(records.len()).unwrap_or(0),
            records,
        }));
    }
    let limit = q.limit.unwrap_or(100).clamp(0, MAX_PAGE);
    let offset = q.offset.unwrap_or(0).max(0);
    let total = state.store.registrar_count().await?;
    let entries = state.store.registrar_list(limit, offset).await?;
    Ok(Json(ListView {
        total,
        records: entries.into_iter().map(RecordView::from).collect(),
    }))
}

/// The body of `PUT /api/v1/registrar-records/{domain}`: the CSV columns but `domain`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
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

fn invalid(field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::invalid(
        field,
        "域名注册信息有误 / Invalid registrar record",
        format!("{field}：{zh} / {field}: {en}"),
    )
}

fn bool_text(field: &str, v: Option<bool>) -> Result<&'static str, ApiError> {
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
) -> Result<(StatusCode, Json<RecordView>), ApiError> {
    let registrar_approved = bool_text("registrar_approved", body.registrar_approved)?;
    let real_name_verified = bool_text("real_name_verified", body.real_name_verified)?;
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
    let record =
        RegistrarRecord::from_fields(&fields).map_err(|p| invalid(p.field, &p.zh, &p.en))?;
    let created = state
        .store
        .registrar_put(&record, &caller.actor(), OffsetDateTime::now_utc())
        .await
        .map_err(|e| match e {
            RegistrarError::Invalid(p) => invalid(p.field, &p.zh, &p.en),
            RegistrarError::Store(e) => e.into(),
        })?;
    let entry = state
        .store
        .registrar_get(&record.domain)
        .await?
        .ok_or_else(|| ApiError::internal("a record just written is missing"))?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(RecordView::from(entry))))
}

/// `DELETE /api/v1/registrar-records/{domain}` (supervisors).
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(domain): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.registrar_delete(&domain).await? {
        return Err(ApiError::not_found(
            "registrar-record-not-found",
            "无此记录 / No such record",
            format!("{domain} 没有域名注册信息 / there is no registrar record for {domain}"),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A refused import: problem+json with the line and column at fault as extension members.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ImportProblem {
    #[serde(flatten)]
    problem: Problem,
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<&'static str>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ImportView {
    rows: usize,
    created: usize,
    updated: usize,
}

/// `POST /api/v1/registrar-records/import` (supervisors): the body is the CSV text. A refused
/// row is answered 422 with `line` and `column` beside the problem's members (which an
/// [`ApiError`] cannot carry), so the answer is a [`Response`].
pub async fn import(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"));
    if !is_csv {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "请上传 CSV / Send CSV",
            "请以 content-type: text/csv 发送 CSV 文本（UTF-8，首行为表头）/ send the CSV text \
             with content-type: text/csv (UTF-8, a header line first)",
        )
        .at("Content-Type"));
    }
    match state
        .store
        .registrar_import_csv(&body[..], &caller.actor(), OffsetDateTime::now_utc())
        .await
    {
        Ok(s) => Ok(Json(ImportView {
            rows: s.rows,
            created: s.created,
            updated: s.updated,
        })
        .into_response()),
        Err(e) => {
            let ImportError::Line { line, column, .. } = &e else {
                return Err(ApiError::internal(e));
            };
            let refusal = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "registrar-import-refused",
                "导入未执行，未写入任何记录 / Import refused, nothing written",
                e.to_string(),
            );
            let mut r = (
                refusal.status,
                Json(ImportProblem {
                    problem: refusal.problem(),
                    line: *line,
                    column: *column,
                }),
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            );
            Ok(r)
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
    use crate::domain_library::{BuiltInRegistrar, RegistrarLibrary};
    use beian_store::Store;
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
