//! The README's walk-through against `beian demo`, each request and answer checked against the
//! OpenAPI document the server serves: every answer must validate against the schema the
//! document gives for its operation and status (problem+json for refusals). The routes the
//! README's walk-through calls are read from the README itself, so the two cannot drift apart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

/// The route template a concrete path matches (`/api/v1/orders/1/pass` → `/api/v1/orders/{id}/pass`).
fn template(path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.split('/').collect();
    beian_server::authz::ROUTES
        .iter()
        .map(|e| e.path)
        .find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segs.len()
                && ts
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')))
        })
}

/// The (method, route) pairs of the README's demo walk-through.
fn readme_walk() -> BTreeSet<(String, String)> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let start = readme
        .find("With `beian demo` running")
        .expect("the README's walk-through");
    let block = &readme[start..];
    let block = &block[block.find("```sh").unwrap()..];
    let block = &block[5..block[5..].find("```").unwrap() + 5];
    let mut out = BTreeSet::new();
    // Continuation lines belong to the command before them.
    for command in block.replace("\\\n", " ").lines() {
        let Some(at) = command.find("localhost:8080/") else {
            continue;
        };
        let path: String = command[at + "localhost:8080".len()..]
            .chars()
            .take_while(|c| !matches!(c, ' ' | '\'' | '"' | '?'))
            .collect();
        let method = if command.contains("-X POST") || command.contains(" -F ") {
            "POST"
        } else {
            "GET"
        };
        let path = path.replace("$D", "1");
        let t = template(&path).unwrap_or_else(|| panic!("README calls {path}: no such route"));
        out.insert((method.to_owned(), t.to_owned()));
    }
    out
}

struct Checked {
    client: reqwest::Client,
    base: String,
    doc: Value,
    seen: BTreeSet<(String, String)>,
}

impl Checked {
    /// The schema the document gives for `method route` answering `status`.
    fn schema_for(&self, method: &str, route: &str, status: u16) -> Option<Value> {
        let op = &self.doc["paths"][route][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {route} is not in the document");
        let response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {route} answered {status}, which the document does not list"
        );
        response["content"]
            .as_object()
            .and_then(|c| c.values().next())
            .map(|m| m["schema"].clone())
            .filter(|s| !s.is_null())
    }

    fn validate(&self, what: &str, schema: Value, body: &Value) {
        let root = json!({"components": self.doc["components"].clone(), "allOf": [schema]});
        let validator = jsonschema::validator_for(&root).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:?}\n{body:#}");
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let route = template(path.split('?').next().unwrap()).unwrap();
        let mut rb = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        self.answer(method, route, r).await
    }

    async fn answer(&mut self, method: &str, route: &str, r: reqwest::Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        let what = format!("{method} {route} → {status}");
        if let Some(schema) = self.schema_for(method, route, status) {
            self.validate(&what, schema, &body);
        }
        self.seen.insert((method.to_owned(), route.to_owned()));
        (status, body)
    }
}

#[tokio::test]
async fn the_readme_walk_through_validates_against_the_openapi_document() {
    let dir = common::temp_dir("readme-walk");
    let database = format!("sqlite://{}", dir.join("demo.db").display());
    let (server, _) = common::spawn_demo(&database, &dir.join("documents"), &[]);
    let client = reqwest::Client::new();
    let doc: Value = client
        .get(format!("{}/api/openapi.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut w = Checked {
        client,
        base: server.base.clone(),
        doc,
        seen: BTreeSet::new(),
    };
    // The check itself can fail: an order without its fields is refused by the order's schema.
    let schema = w.schema_for("GET", "/api/v1/orders/{id}", 200).unwrap();
    let root = json!({"components": w.doc["components"].clone(), "allOf": [schema]});
    let validator = jsonschema::validator_for(&root).unwrap();
    assert!(!validator.is_valid(&json!({"id": 1, "state": "no_such_state"})));
    let login = async |w: &mut Checked, login: &str, password: &str| {
        let (status, s) = w
            .call(
                "POST",
                "/api/v1/sessions",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(status, 200, "{s}");
        s["token"].as_str().unwrap().to_owned()
    };
    let a = login(&mut w, "yunfan", "demo-applicant-pass").await;
    let r = login(&mut w, "reviewer", "demo-reviewer-pass").await;
    let (status, order) = w.call("GET", "/api/v1/orders/1", Some(&a), None).await;
    assert_eq!(
        (status, order["state"].as_str()),
        (200, Some("provider_review"))
    );
    assert_eq!(
        w.call("GET", "/api/v1/review/queue", Some(&r), None)
            .await
            .0,
        200
    );
    assert_eq!(
        w.call("POST", "/api/v1/orders/1/pass", Some(&r), None)
            .await
            .0,
        200
    );
    let (status, needed) = w
        .call("GET", "/api/v1/orders/1/documents", Some(&a), None)
        .await;
    assert_eq!(status, 200);
    let scan = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/documents/scan.png"),
    )
    .unwrap();
    for slot in needed["required"].as_array().unwrap().clone() {
        let mut form =
            reqwest::multipart::Form::new().text("kind", slot["kind"].as_str().unwrap().to_owned());
        if let Some(site) = slot["website"].as_i64().filter(|s| *s >= 0) {
            form = form.text("website", site.to_string());
        }
        if let Some(c) = slot["category"].as_str().filter(|c| !c.is_empty()) {
            form = form.text("category", c.to_owned());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(scan.clone()).file_name("scan.png"),
        );
        let response = w
            .client
            .post(format!("{}/api/v1/orders/1/documents", w.base))
            .bearer_auth(&a)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let (status, d) = w
            .answer("POST", "/api/v1/orders/{id}/documents", response)
            .await;
        assert_eq!(status, 201, "{d}");
        let (status, reviewed) = w
            .call(
                "POST",
                &format!("/api/v1/orders/1/documents/{}/review", d["id"]),
                Some(&r),
                Some(json!({"decision": "accept"})),
            )
            .await;
        assert_eq!(status, 200, "{reviewed}");
    }
    assert_eq!(
        w.call("GET", "/api/v1/events?after=0", Some(&a), None)
            .await
            .0,
        200
    );
    let (status, o) = w
        .call(
            "POST",
            "/api/v1/orders/1/submit-to-administration",
            Some(&r),
            None,
        )
        .await;
    assert_eq!(
        (status, o["state"].as_str()),
        (200, Some("sms_verification")),
        "{o}"
    );
    let g = login(&mut w, "guanju", "demo-administration-pass").await;
    let (status, outbox) = w
        .call("GET", "/api/v1/registry/sms-outbox", Some(&g), None)
        .await;
    assert_eq!(status, 200);
    let text = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["order_id"] == 1)
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let code: String = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| s.len() == 6)
        .unwrap()
        .to_owned();
    // A wrong answer is a refusal the document describes too.
    let (status, _) = w
        .call(
            "POST",
            "/api/v1/orders/1/sms",
            Some(&a),
            Some(json!({"code": "000000", "mobile": "13906710000", "credential_tail": "3C4D5D"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, o) = w
        .call(
            "POST",
            "/api/v1/orders/1/sms",
            Some(&a),
            Some(json!({"code": code, "mobile": "13906710000", "credential_tail": "3C4D5D"})),
        )
        .await;
    assert_eq!(
        (status, o["state"].as_str()),
        (200, Some("administration_review")),
        "{o}"
    );
    let (status, approved) = w
        .call("POST", "/api/v1/orders/1/approve", Some(&g), None)
        .await;
    assert_eq!(status, 200, "{approved}");
    assert!(
        approved["subject_number"]
            .as_str()
            .unwrap()
            .contains("ICP备")
    );
    assert_eq!(approved["order"]["state"], "approved");
    assert_eq!(
        approved["order"]["subject_number"],
        approved["subject_number"]
    );
    assert_eq!(
        w.call("GET", "/api/v1/public/query?domain=yunfan.cn", None, None)
            .await
            .0,
        200
    );
    let s = login(&mut w, "supervisor", "demo-supervisor-pass").await;
    assert_eq!(
        w.call("GET", "/api/v1/gate/changes?after=0", Some(&s), None)
            .await
            .0,
        200
    );
    assert_eq!(
        w.call("GET", "/api/v1/products", Some(&a), None).await.0,
        200
    );

    let walked = readme_walk();
    let missing: Vec<_> = walked.difference(&w.seen).collect();
    assert!(
        missing.is_empty(),
        "README calls routes this test does not: {missing:?}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
