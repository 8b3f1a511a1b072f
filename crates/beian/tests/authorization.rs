//! Authorization on every route: each path and method of the served OpenAPI document is tried
//! anonymously (401 unless the route is public) and as another applicant (never a success on
//! the first applicant's order or instance; lists show nothing of the first applicant's), on
//! SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Api, Database, example, spawn_server};
use serde_json::json;

/// Routes anyone may call.
const PUBLIC: [&str; 11] = [
    "/healthz",
    "/metrics",
    "/api/openapi.json",
    "/api/v1/check",
    "/api/v1/filing-type",
    "/api/v1/accounts",
    "/api/v1/sessions",
    "/api/v1/public/query",
    "/api/v1/rejection-reasons",
    "/api/docs",
    "/api/docs/{file}",
];

async fn every_route(kind: &str) {
    let db = Database::new(kind, "authorization").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000"]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let supervisor = api.account(&store, "sup", "supervisor").await;
    let owner = api.account(&store, "yunfan", "applicant").await;
    let other = api.account(&store, "intruder", "applicant").await;

    // The first applicant's data: an instance with a service number and an order.
    let (status, _) = api
        .post(
            "/api/v1/products",
            Some(&supervisor),
            Some(json!({"instance_id": "i-owner", "owner": "yunfan", "kind": "ecs", "region": "mainland",
                        "billing": "subscription", "expires": "2099-01-01", "public_bandwidth": true})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, sn) = api
        .post(
            "/api/v1/products/i-owner/service-numbers",
            Some(&owner),
            None,
        )
        .await;
    let sn = sn["service_number"].as_str().unwrap().to_owned();
    let mut app = example("valid-enterprise-zhejiang.json")["application"].take();
    app["websites"] = json!([app["websites"][0].clone()]);
    app["websites"][0]["service_number"] = json!(sn);
    let (status, order) = api
        .post(
            "/api/v1/orders",
            Some(&owner),
            Some(json!({"application": app})),
        )
        .await;
    assert_eq!(status, 201);
    let id = order["id"].as_i64().unwrap().to_string();
    let secrets = [
        "91330106MA2B3C4D5D",
        "13906710000",
        "i-owner",
        sn.as_str(),
        "yunfan.cn",
    ];

    // The console's session cookie: HttpOnly, Secure, SameSite=Lax; a change made with it needs
    // the CSRF token too.
    let r = api
        .client
        .post(format!("{}/api/v1/sessions", api.base))
        .json(&json!({"login": "yunfan", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("beian_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("Secure")
            && session.contains("SameSite=Lax"),
        "{session}"
    );
    let value = |c: &str| c.split(';').next().unwrap().to_owned();
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("beian_csrf="))
        .unwrap();
    let jar = format!("{}; {}", value(session), value(csrf));
    let csrf_token = value(csrf).trim_start_matches("beian_csrf=").to_owned();
    let me = api
        .client
        .get(format!("{}/api/v1/me", api.base))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let forged = api
        .client
        .post(format!("{}/api/v1/orders/{id}/submit", api.base))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        403,
        "a change by cookie without the CSRF token"
    );
    let wrong = api
        .client
        .post(format!("{}/api/v1/orders/{id}/withdraw", api.base))
        .header("cookie", &jar)
        .header("x-csrf-token", "guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let with_token = api
        .client
        .get(format!("{}/api/v1/orders/{id}", api.base))
        .header("cookie", &jar)
        .header("x-csrf-token", &csrf_token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 200);
    let created = api
        .client
        .post(format!("{}/api/v1/orders", api.base))
        .header("cookie", &jar)
        .header("x-csrf-token", &csrf_token)
        .header("content-type", "application/json")
        .body(json!({"application": app}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status(),
        201,
        "a change by cookie with the CSRF token"
    );

    let (_, doc) = api.get("/api/openapi.json", None).await;
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let actions: Vec<String> = item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "action")
            .and_then(|p| p["schema"]["enum"].as_array())
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_else(|| vec![String::new()]);
        for action in &actions {
            let concrete = path
                .replace("{id}", &id)
                .replace("{instance}", "i-owner")
                .replace("{domain}", "yunfan.cn")
                .replace("{doc}", "1")
                .replace("{seq}", "1")
                .replace("{action}", action);
            for (method, _) in item.as_object().unwrap() {
                let method = match method.as_str() {
                    "get" => reqwest::Method::GET,
                    "post" => reqwest::Method::POST,
                    "put" => reqwest::Method::PUT,
                    "delete" => reqwest::Method::DELETE,
                    _ => continue,
                };
                // Logging out would end the intruder's own session: tried last, below.
                if path == "/api/v1/sessions" && method == reqwest::Method::DELETE {
                    continue;
                }
                tried += 1;
                let body = (method != reqwest::Method::GET).then(|| json!({}));
                let (status, _) = api
                    .call(method.clone(), &concrete, None, body.clone())
                    .await;
                if PUBLIC.contains(&path.as_str()) {
                    assert_ne!(status, 500, "{method} {concrete} anonymously");
                } else {
                    assert_eq!(status, 401, "{method} {concrete} anonymously");
                }
                let (status, answer) = api
                    .call(method.clone(), &concrete, Some(&other), body)
                    .await;
                assert_ne!(status, 500, "{method} {concrete} as another applicant");
                let text = answer.to_string();
                for s in secrets {
                    assert!(
                        !text.contains(s),
                        "{method} {concrete} showed {s} to another applicant: {text}"
                    );
                }
                if concrete.contains(&format!("/orders/{id}")) || concrete.contains("i-owner") {
                    assert!(
                        [403, 404].contains(&status),
                        "{method} {concrete} as another applicant: {status} {text}"
                    );
                }
            }
        }
    }
    assert!(tried >= 40, "only {tried} routes tried");
    // Logging out revokes the token at once.
    let (status, _) = api
        .call(
            reqwest::Method::DELETE,
            "/api/v1/sessions",
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(api.get("/api/v1/me", Some(&other)).await.0, 401);
    // The owner's order is untouched by all of that.
    let (status, mine) = api.get(&format!("/api/v1/orders/{id}"), Some(&owner)).await;
    assert_eq!((status, mine["state"].as_str()), (200, Some("draft")));
    assert_eq!(mine["version"], 0);
    drop(server);
    store.close().await;
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_sqlite() {
    every_route("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_postgres() {
    if common::skip_postgres() {
        return;
    }
    every_route("postgres").await;
}
