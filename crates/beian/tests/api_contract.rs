//! The API's contract with its clients, through the real binary: the authorization table covers
//! exactly the routes the router serves; the OpenAPI document describes exactly those routes, each
//! with its own operation id and no reference that does not resolve; every role on every route
//! gets what the table says (403 before anything about the target is looked at); and every
//! refusal, the framework's own included, is problem+json.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use beian_core::workflow::Role;
use beian_server::authz::{self, Access};
use common::{Api, Database, spawn_server};

fn sqlite_state_routes() -> BTreeSet<(String, String)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = common::temp_dir("routes");
        let store =
            beian_store::Store::connect(&format!("sqlite://{}", dir.join("r.db").display()))
                .await
                .unwrap();
        store.migrate().await.unwrap();
        let state = beian_server::AppState::new(store).unwrap();
        beian_server::registered_routes(&state)
            .into_iter()
            .map(|(m, p)| (m.to_string(), p.to_owned()))
            .collect()
    })
}

fn table_routes() -> BTreeSet<(String, String)> {
    authz::ROUTES
        .iter()
        .map(|e| (e.method.to_string(), e.path.to_owned()))
        .collect()
}

#[test]
fn the_authorization_table_covers_exactly_the_routes_served() {
    let served = sqlite_state_routes();
    let table = table_routes();
    let unlisted: Vec<_> = served.difference(&table).collect();
    let unserved: Vec<_> = table.difference(&served).collect();
    assert!(
        unlisted.is_empty(),
        "routes without an authorization entry: {unlisted:?}"
    );
    assert!(
        unserved.is_empty(),
        "authorization entries for routes not served: {unserved:?}"
    );
}

/// Every `$ref` in `v` that points into the document resolves.
fn dangling_refs(doc: &serde_json::Value, v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                if k == "$ref"
                    && let Some(r) = val.as_str()
                {
                    let ok = r
                        .strip_prefix('#')
                        .is_some_and(|ptr| doc.pointer(ptr).is_some());
                    if !ok {
                        out.push(r.to_owned());
                    }
                } else {
                    dangling_refs(doc, val, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| dangling_refs(doc, i, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_routes_served() {
    let db = Database::new("sqlite", "openapi_contract").await;
    let server = spawn_server(&db.url, &[]);
    let api = Api::new(&server);
    let (status, doc) = api.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    let mut documented = BTreeSet::new();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(!path.contains("{action}"), "a generic action path: {path}");
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            documented.insert((method.to_ascii_uppercase(), path.clone()));
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(
                operation_ids.insert(id.to_owned()),
                "operationId {id} twice"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} lists no responses"
            );
        }
    }
    assert_eq!(documented, table_routes());
    // Every JSON body has a schema, and so has every JSON answer.
    let mut untyped = Vec::new();
    for e in authz::ROUTES {
        let op = &doc["paths"][e.path][e.method.as_str().to_ascii_lowercase()];
        if e.body == authz::BodyKind::Json
            && !op["requestBody"]["content"]["application/json"]["schema"].is_object()
        {
            untyped.push(format!("{} {}: no request schema", e.method, e.path));
        }
        if !beian_server::openapi::NOT_JSON.contains(&e.operation) {
            let typed = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .any(|(status, r)| {
                    status.starts_with('2')
                        && r["content"]["application/json"]["schema"].is_object()
                });
            if !typed {
                untyped.push(format!("{} {}: no answer schema", e.method, e.path));
            }
        }
    }
    assert!(untyped.is_empty(), "{untyped:#?}");
    let mut dangling = Vec::new();
    dangling_refs(&doc, &doc, &mut dangling);
    assert!(
        dangling.is_empty(),
        "references that do not resolve: {dangling:?}"
    );
    drop(server);
    db.drop_it().await;
}

/// A concrete path for a route template (ids that exist nowhere).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{id}" | "{seq}" | "{doc}" => "999999".to_owned(),
            "{instance}" => "i-nowhere".to_owned(),
            "{domain}" => "nowhere.cn".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn assert_problem(status: u16, body: &serde_json::Value, what: &str) {
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://beian.invalid/problems/")),
        "{what}: {status} without a problem type: {body}"
    );
    assert_eq!(
        body["status"].as_u64(),
        Some(u64::from(status)),
        "{what}: {body}"
    );
    let title = body["title"].as_str().unwrap_or("");
    assert!(
        title.contains(" / ") && !title.is_ascii(),
        "{what}: the title is not bilingual: {title:?}"
    );
}

async fn every_role_on_every_route(kind: &str) {
    let db = Database::new(kind, "every_role").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000", "--query-burst", "1000"]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    for role in Role::ACCOUNTS {
        let token = api
            .account(&store, &format!("who-{}", role.as_str()), role.as_str())
            .await;
        callers.push((Some(role), Some(token)));
    }
    for e in authz::ROUTES {
        // Logging out would end the caller's session for the routes after it.
        if e.operation == "logout" {
            continue;
        }
        let path = concrete(e.path);
        let method = reqwest::Method::from_bytes(e.method.as_str().as_bytes()).unwrap();
        for (role, token) in &callers {
            let body = (e.body == authz::BodyKind::Json).then(|| serde_json::json!({}));
            let (status, answer) = api
                .call(method.clone(), &path, token.as_deref(), body)
                .await;
            let what = format!("{} {} as {role:?}", e.method, e.path);
            let allowed = match e.access {
                Access::GateOrSupervisor => role == &Some(Role::Supervisor),
                access => authz::allows(access, *role),
            };
            if allowed {
                assert!(
                    status != 401 && status != 403 && status != 405,
                    "{what}: allowed by the table, answered {status}: {answer}"
                );
            } else if role.is_none() {
                assert_eq!(status, 401, "{what}: {answer}");
                assert_problem(status, &answer, &what);
            } else {
                assert_eq!(status, 403, "{what}: {answer}");
                assert_problem(status, &answer, &what);
            }
            if status >= 400 && status != 503 {
                assert_problem(status, &answer, &what);
            }
        }
    }
    drop(server);
    store.close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn every_role_on_every_route_sqlite() {
    every_role_on_every_route("sqlite").await;
}

#[tokio::test]
async fn every_role_on_every_route_postgres() {
    if common::skip_postgres() {
        return;
    }
    every_role_on_every_route("postgres").await;
}

#[tokio::test]
async fn the_frameworks_refusals_are_problem_json() {
    let db = Database::new("sqlite", "framework_refusals").await;
    let server = spawn_server(&db.url, &[]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let applicant = api.account(&store, "refused", "applicant").await;
    let client = &api.client;
    let base = &api.base;

    async fn answer(r: reqwest::Response) -> (u16, String, serde_json::Value) {
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = r.json().await.unwrap_or(serde_json::Value::Null);
        (status, ct, body)
    }
    let check = |(status, ct, body): (u16, String, serde_json::Value), want: u16, what: &str| {
        assert_eq!(status, want, "{what}: {body}");
        assert!(ct.starts_with("application/problem+json"), "{what}: {ct}");
        assert_problem(status, &body, what);
    };

    // An unknown route, a wrong method.
    let r = client
        .get(format!("{base}/api/v1/nowhere"))
        .send()
        .await
        .unwrap();
    check(answer(r).await, 404, "unknown route");
    let r = client
        .delete(format!("{base}/api/v1/check"))
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("allow"), "405 keeps Allow");
    check(answer(r).await, 405, "wrong method");
    // A body over 1 MiB.
    let big = format!("{{\"application\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    // A client of its own: the server closes a connection whose body it refused, and a pooled
    // connection reused after that would fail the next request.
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/check"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    check(answer(r).await, 413, "body too large");
    // Wrong and missing content types on a JSON route.
    let r = client
        .post(format!("{base}/api/v1/check"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, ct, body) = answer(r).await;
    assert_eq!(body["path"], "Content-Type");
    check((status, ct, body), 415, "text/plain on a JSON route");
    let r = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&applicant)
        .body("{}")
        .send()
        .await
        .unwrap();
    check(answer(r).await, 415, "no content type on a JSON route");
    // A body that is not UTF-8.
    let r = client
        .post(format!("{base}/api/v1/check"))
        .header("content-type", "application/json")
        .body(vec![b'{', 0xff, 0xfe, b'}'])
        .send()
        .await
        .unwrap();
    check(answer(r).await, 400, "body not UTF-8");
    // JSON of the wrong shape names the field.
    let r = client
        .post(format!("{base}/api/v1/orders/1/reject"))
        .bearer_auth(&applicant)
        .json(&serde_json::json!({"reasons": "R01"}))
        .send()
        .await
        .unwrap();
    // An applicant asking for a reviewer's step: 403 before the order (or its absence) matters.
    check(answer(r).await, 403, "applicant rejecting");
    // No credentials; a bad token.
    let r = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    check(answer(r).await, 401, "anonymous");
    let r = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth("bn_nothing")
        .send()
        .await
        .unwrap();
    check(answer(r).await, 401, "unknown token");
    drop(server);
    store.close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn the_rejection_reason_catalogue_is_served() {
    let db = Database::new("sqlite", "reasons").await;
    let server = spawn_server(&db.url, &[]);
    let api = Api::new(&server);
    let (status, reasons) = api.get("/api/v1/rejection-reasons", None).await;
    assert_eq!(status, 200);
    let reasons = reasons.as_array().unwrap();
    assert_eq!(reasons.len(), beian_rules::ReasonCode::ALL.len());
    let r01 = reasons.iter().find(|r| r["code"] == "R01").unwrap();
    assert_eq!(r01["side"], "administration");
    assert!(!r01["solution_zh"].as_str().unwrap().is_empty());
    let p04 = reasons.iter().find(|r| r["code"] == "P04").unwrap();
    assert_eq!(p04["side"], "provider");
    assert_eq!(p04["free_text_required"], true);
    drop(server);
    db.drop_it().await;
}

#[tokio::test]
async fn supervisors_manage_staff_accounts() {
    let db = Database::new("sqlite", "staff_accounts").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000"]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let supervisor = api.account(&store, "chief", "supervisor").await;
    let login = |login: &'static str, password: &'static str| {
        let api = api.clone();
        async move {
            api.post(
                "/api/v1/sessions",
                None,
                Some(serde_json::json!({"login": login, "password": password})),
            )
            .await
        }
    };
    // A reviewer is created by the supervisor and can log in with its role.
    let (status, created) = api
        .post(
            "/api/v1/staff-accounts",
            Some(&supervisor),
            Some(serde_json::json!({"login": "wang.reviewer", "password": "a reviewer's password", "role": "reviewer", "display_name": "王审核"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["role"], "reviewer");
    let (status, session) = login("wang.reviewer", "a reviewer's password").await;
    assert_eq!(status, 200, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();
    let (_, me) = api.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["role"], "reviewer");
    // Bad roles and short passwords name the field.
    for (body, field) in [
        (
            serde_json::json!({"login": "x.applicant", "password": "long enough password", "role": "applicant"}),
            "role",
        ),
        (
            serde_json::json!({"login": "x.boss", "password": "long enough password", "role": "boss"}),
            "role",
        ),
        (
            serde_json::json!({"login": "x.short", "password": "short", "role": "reviewer"}),
            "password",
        ),
    ] {
        let (status, p) = api
            .post("/api/v1/staff-accounts", Some(&supervisor), Some(body))
            .await;
        assert_eq!((status, p["path"].as_str()), (422, Some(field)), "{p}");
    }
    let (status, p) = api
        .post(
            "/api/v1/staff-accounts",
            Some(&supervisor),
            Some(serde_json::json!({"login": "wang.reviewer", "password": "another password", "role": "supervisor"})),
        )
        .await;
    assert_eq!(status, 409, "{p}");
    // The list shows staff, not applicants.
    api.account(&store, "some-applicant", "applicant").await;
    let (status, list) = api.get("/api/v1/staff-accounts", Some(&supervisor)).await;
    assert_eq!(status, 200);
    let logins: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["chief", "wang.reviewer"]);
    // Disabled: the token stops working at once and the login is refused.
    let (status, a) = api
        .post(
            "/api/v1/staff-accounts/wang.reviewer/disable",
            Some(&supervisor),
            None,
        )
        .await;
    assert_eq!(
        (status, &a["disabled"]),
        (200, &serde_json::json!(true)),
        "{a}"
    );
    assert_eq!(api.get("/api/v1/me", Some(&token)).await.0, 401);
    assert_eq!(login("wang.reviewer", "a reviewer's password").await.0, 401);
    // Nobody disables themselves; an applicant is not a staff account.
    let (status, _) = api
        .post(
            "/api/v1/staff-accounts/chief/disable",
            Some(&supervisor),
            None,
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = api
        .post(
            "/api/v1/staff-accounts/some-applicant/disable",
            Some(&supervisor),
            None,
        )
        .await;
    assert_eq!(status, 404);
    drop(server);
    store.close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn the_api_documentation_page_is_served_without_a_cdn() {
    let db = Database::new("sqlite", "api_docs").await;
    let server = spawn_server(&db.url, &[]);
    let api = Api::new(&server);
    let r = api
        .client
        .get(format!("{}/api/docs", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    let page = r.text().await.unwrap();
    for src in [
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/init.js",
        "/api/docs/swagger-ui.css",
    ] {
        assert!(page.contains(src), "{src}");
        let r = api
            .client
            .get(format!("{}{src}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{src}");
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no outside address"
    );
    let (status, _) = api.get("/api/docs/../../etc/passwd", None).await;
    assert_eq!(status, 404);
    drop(server);
    db.drop_it().await;
}
