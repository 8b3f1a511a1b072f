//! `beian serve` end to end: the real binary on a free port, on SQLite and on PostgreSQL, spoken to
//! over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

mod common;

use common::{Server, spawn_server as spawn};

fn spawn_server(database: &str) -> Server {
    spawn(database, &[])
}

/// An instance (owned by `account`, or stock when `None`) with the given service numbers.
async fn seed_instance(
    store: &beian_store::Store,
    instance: &str,
    account: Option<String>,
    numbers: &[&str],
) {
    store
        .put_product(&beian_store::ProductRow {
            instance_id: instance.into(),
            account,
            kind: "ecs".into(),
            mainland: true,
            subscription: true,
            public_bandwidth: true,
            expires: time::macros::date!(2099 - 01 - 01),
            quota: 5,
            issued: 0,
            consumed: 0,
        })
        .await
        .unwrap();
    for n in numbers {
        store
            .put_service_number(n, instance, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
    }
}

fn example(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/check")
            .join(name),
    )
    .unwrap()
}

async fn exercise(server: &Server) {
    let client = reqwest::Client::new();
    let base = &server.base;

    let health: serde_json::Value = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");

    let openapi: serde_json::Value = client
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(openapi["openapi"], "3.1.0");
    assert!(openapi["paths"]["/api/v1/check"]["post"].is_object());
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{id}",
        "/api/v1/orders/{id}/submit",
        "/api/v1/orders/{id}/approve",
        "/api/v1/review/queue",
        "/api/v1/blacklist",
        "/api/v1/sessions",
    ] {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(
        openapi["components"]["schemas"]["CheckInput"]["properties"]["application"].is_object()
    );

    // A valid application: 200, no errors, the detected type.
    let r = client
        .post(format!("{base}/api/v1/check"))
        .header("content-type", "application/json")
        .body(example("valid-enterprise-zhejiang.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["filing_type"], "initial");

    // An invalid one: 200 with the findings (the request itself was fine).
    let r = client
        .post(format!("{base}/api/v1/check"))
        .header("content-type", "application/json")
        .body(example("invalid-individual-guangdong.json"))
        .send()
        .await
        .unwrap();
    let report: serde_json::Value = r.json().await.unwrap();
    assert!(report["summary"]["errors"].as_u64().unwrap() > 5);

    // Unusable input: 422 problem+json naming the path.
    let r = client
        .post(format!("{base}/api/v1/check"))
        .header("content-type", "application/json")
        .body(r#"{"application": {"subject": {"nature": "company"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["path"], "application.subject.nature");
    assert!(
        problem["title"]
            .as_str()
            .unwrap()
            .contains("Unusable input")
    );

    // A body over the limit is refused before it is read whole.
    let big = format!(
        "{{\"application\": {{\"x\": \"{}\"}}}}",
        "a".repeat(1024 * 1024 + 10)
    );
    // A client of its own: the server closes a connection whose body it refused, and a pooled
    // connection reused after that would fail the next request.
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/check"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // Filing-type detection with its refusals.
    let mut doc: serde_json::Value =
        serde_json::from_str(&example("valid-enterprise-zhejiang.json")).unwrap();
    doc["context"]["blacklist"]["credentials"] = serde_json::json!(["91330106MA2B3C4D5D"]);
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/filing-type"))
        .header("content-type", "application/json")
        .body(doc.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["filing_type"], "initial");
    assert_eq!(r["refusals"], serde_json::json!(["credential_blacklisted"]));

    // Accounts: register, log in, who am I; refusals name the field.
    let r = client
        .post(format!("{base}/api/v1/accounts"))
        .json(&serde_json::json!({"login": "zhangwei", "password": "correct horse battery", "display_name": "张伟"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(format!("{base}/api/v1/accounts"))
        .json(&serde_json::json!({"login": "zhangwei", "password": "another password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = client
        .post(format!("{base}/api/v1/accounts"))
        .header("content-type", "application/json")
        .body(r#"{"login": 7}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["path"], "login");
    let r = client
        .post(format!("{base}/api/v1/accounts"))
        .json(&serde_json::json!({"login": "lisi", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["path"], "password");
    assert!(p["detail"].as_str().unwrap().contains("至少 10 个字符"));
    let r = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({"login": "zhangwei", "password": "wrong password!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({"login": "nobody", "password": "whatever12345"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let session: serde_json::Value = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({"login": "zhangwei", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap();
    let me: serde_json::Value = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["login"].as_str(), me["role"].as_str()),
        (Some("zhangwei"), Some("applicant"))
    );
    let r = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth("bn_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Metrics count the checks.
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("beian_checks_total"), "{metrics}");
}

async fn register_and_login(client: &reqwest::Client, base: &str, login: &str) -> String {
    let r = client
        .post(format!("{base}/api/v1/accounts"))
        .json(&serde_json::json!({"login": login, "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let s: serde_json::Value = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({"login": login, "password": "a long enough password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    s["token"].as_str().unwrap().to_owned()
}

/// An applicant files, edits, submits and withdraws; another applicant and an anonymous caller
/// can reach none of it.
async fn exercise_orders(server: &Server, database: &str) {
    let store = beian_store::Store::connect(database).await.unwrap();
    seed_instance(&store, "i-zj", None, &["SN0001", "SN0002"]).await;
    let client = reqwest::Client::new();
    let base = &server.base;
    let alice = register_and_login(&client, base, "alice").await;
    let bob = register_and_login(&client, base, "bob").await;
    let mut doc: serde_json::Value =
        serde_json::from_str(&example("valid-enterprise-zhejiang.json")).unwrap();
    // One service number per website.
    doc["application"]["websites"][1]["service_number"] = serde_json::json!("SN0002");
    let application = serde_json::json!({"application": doc["application"].take()});

    let r = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body(application.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let order: serde_json::Value = r.json().await.unwrap();
    let id = order["id"].as_i64().unwrap();
    assert_eq!(order["state"], "draft");
    assert_eq!(
        order["report"]["summary"]["errors"], 0,
        "{:#}",
        order["report"]
    );
    assert_eq!(
        order["actions"],
        serde_json::json!(["edit", "delete", "submit"])
    );

    // Another applicant and an anonymous caller see nothing.
    for (token, status) in [(Some(&bob), 404), (None, 401)] {
        let mut get = client.get(format!("{base}/api/v1/orders/{id}"));
        let mut submit = client.post(format!("{base}/api/v1/orders/{id}/submit"));
        let mut put = client
            .put(format!("{base}/api/v1/orders/{id}"))
            .header("content-type", "application/json")
            .body(application.to_string());
        if let Some(t) = token {
            get = get.bearer_auth(t);
            submit = submit.bearer_auth(t);
            put = put.bearer_auth(t);
        }
        assert_eq!(get.send().await.unwrap().status(), status);
        assert_eq!(submit.send().await.unwrap().status(), status);
        assert_eq!(put.send().await.unwrap().status(), status);
    }
    let bobs: serde_json::Value = client
        .get(format!("{base}/api/v1/orders"))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bobs, serde_json::json!([]));

    // An edit that breaks a rule is saved and reported; submit is then refused.
    let mut broken = application.clone();
    broken["application"]["websites"][0]["name"] = serde_json::json!("中国云帆官网");
    let r: serde_json::Value = client
        .put(format!("{base}/api/v1/orders/{id}"))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body(broken.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["report"]["summary"]["errors"], 1);
    assert_eq!(
        r["report"]["findings"][0]["rule"],
        "WEBSITE_NAME_RESTRICTED_PREFIX"
    );
    let r = client
        .post(format!("{base}/api/v1/orders/{id}/submit"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // Fixed and submitted: in provider review, history recorded, only withdrawal left.
    client
        .put(format!("{base}/api/v1/orders/{id}"))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body(application.to_string())
        .send()
        .await
        .unwrap();
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/orders/{id}/submit"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "provider_review");
    assert_eq!(r["actions"], serde_json::json!(["withdraw"]));
    assert_eq!(r["history"].as_array().unwrap().len(), 3);
    // A second order for the same credential cannot be submitted while the first is in progress.
    let second: serde_json::Value = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body(application.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        second["report"]["findings"][0]["rule"],
        "CREDENTIAL_ORDER_IN_PROGRESS"
    );
    let r = client
        .post(format!("{base}/api/v1/orders/{}/submit", second["id"]))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // Withdrawn, the credential is free again.
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/orders/{id}/withdraw"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "withdrawn");
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/orders/{}/submit", second["id"]))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "provider_review");
    let mine: serde_json::Value = client
        .get(format!("{base}/api/v1/orders"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 2);

    // Staff review: a reviewer rejects with catalogued reasons, then passes the resubmission
    // through verification to the administration (Zhejiang verifies by SMS).
    let carol = register_and_login(&client, base, "carol").await;
    store
        .execute_raw("UPDATE accounts SET role = 'reviewer' WHERE login = 'carol'")
        .await
        .unwrap();
    let second_id = second["id"].as_i64().unwrap();
    let post = |path: &str, token: &str| {
        client
            .post(format!("{base}/api/v1/orders/{second_id}/{path}"))
            .bearer_auth(token.to_owned())
    };
    assert_eq!(post("pass", &alice).send().await.unwrap().status(), 403);
    let r = post("reject", &carol)
        .json(&serde_json::json!({"reasons": ["R99"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["path"],
        "reasons[0]"
    );
    let q: serde_json::Value = client
        .get(format!("{base}/api/v1/review/queue"))
        .bearer_auth(&carol)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = q
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == second_id)
        .unwrap()
        .clone();
    assert_eq!(
        (item["state"].as_str(), item["overdue"].as_bool()),
        (Some("provider_review"), Some(false))
    );
    let r = client
        .get(format!("{base}/api/v1/review/queue"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r: serde_json::Value = post("reject", &carol)
        .json(&serde_json::json!({"reasons": ["R02", "P03"], "note": "网站名称与内容不符", "paths": ["websites[0].name"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "draft");
    let last = r["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["reasons"].as_str(), last["note"].as_str()),
        (Some("R02,P03"), Some("网站名称与内容不符"))
    );
    assert_eq!(post("submit", &alice).send().await.unwrap().status(), 200);
    let r: serde_json::Value = post("pass", &carol)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "verification");
    // Nothing uploaded yet: verification cannot complete, and the refusal says what is missing.
    let r = post("complete-verification", &carol).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let detail = r.json::<serde_json::Value>().await.unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("face photo"), "{detail}");
    let api = common::Api {
        client: client.clone(),
        base: base.to_owned(),
    };
    let r = api.verify_all(second_id, &alice, &carol).await;
    assert_eq!(r["state"], "ready_for_administration");
    let r: serde_json::Value = post("submit-to-administration", &carol)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "sms_verification");
    // It has left the provider's queue; the gauges see it.
    let q: serde_json::Value = client
        .get(format!("{base}/api/v1/review/queue"))
        .bearer_auth(&carol)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(q.as_array().unwrap().iter().all(|i| i["id"] != second_id));
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("beian_orders{state=\"sms_verification\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("beian_sla_breaches"), "{metrics}");
    // Nothing can be withdrawn once the administration has it.
    assert_eq!(post("withdraw", &alice).send().await.unwrap().status(), 409);

    // The built-in administration: the SMS goes to the subject administrator's mobile; the
    // applicant answers with code, mobile and the credential's last six characters; the
    // administration approves and the numbers are issued.
    let eve = register_and_login(&client, base, "eve").await;
    store
        .execute_raw("UPDATE accounts SET role = 'administration' WHERE login = 'eve'")
        .await
        .unwrap();
    assert_eq!(
        client
            .get(format!("{base}/api/v1/registry/sms-outbox"))
            .bearer_auth(&carol)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let outbox: serde_json::Value = client
        .get(format!("{base}/api/v1/registry/sms-outbox"))
        .bearer_auth(&eve)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["order_id"] == second_id)
        .unwrap()
        .clone();
    assert_eq!(message["mobile"], "13906710000");
    let text = message["text"].as_str().unwrap();
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "{text}");
    let wrong = post("sms", &alice).json(&serde_json::json!({"code": "000000", "mobile": "13906710000", "credential_tail": "3C4D5D"})).send().await.unwrap();
    if code != "000000" {
        assert_eq!(wrong.status(), 422);
        assert!(
            wrong.json::<serde_json::Value>().await.unwrap()["detail"]
                .as_str()
                .unwrap()
                .contains("2 tries left")
        );
    }
    let r: serde_json::Value = post("sms", &alice)
        .json(&serde_json::json!({"code": code, "mobile": "13906710000", "credential_tail": "3c4d5d"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "administration_review", "{r:#}");
    assert_eq!(post("approve", &carol).send().await.unwrap().status(), 403);
    let approved: serde_json::Value = post("approve", &eve)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subject = approved["subject_number"].as_str().unwrap().to_owned();
    assert!(
        subject.starts_with("浙ICP备") && subject.ends_with("000001号"),
        "{approved:#}"
    );
    assert_eq!(
        approved["website_numbers"],
        serde_json::json!([format!("{subject}-1"), format!("{subject}-2")])
    );
    assert_eq!(store.product("i-zj").await.unwrap().unwrap().consumed, 2);
    let r: serde_json::Value = client
        .get(format!("{base}/api/v1/orders/{second_id}"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "approved");
    assert_eq!(post("approve", &eve).send().await.unwrap().status(), 409);

    // The blacklist: only supervisors add; the rules see it at once; staff see numbers masked.
    let dave = register_and_login(&client, base, "dave").await;
    store
        .execute_raw("UPDATE accounts SET role = 'supervisor' WHERE login = 'dave'")
        .await
        .unwrap();
    let entry = serde_json::json!({"kind": "website_name", "value": "云帆技术文档中心", "reason": "违规内容"});
    assert_eq!(
        client
            .post(format!("{base}/api/v1/blacklist"))
            .bearer_auth(&carol)
            .json(&entry)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        client
            .post(format!("{base}/api/v1/blacklist"))
            .bearer_auth(&dave)
            .json(&entry)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let cred = serde_json::json!({"kind": "credential", "value": "110105198503120012", "reason": "虚假材料"});
    assert_eq!(
        client
            .post(format!("{base}/api/v1/blacklist"))
            .bearer_auth(&dave)
            .json(&cred)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let bad = serde_json::json!({"kind": "person", "value": "x", "reason": "y"});
    let r = client
        .post(format!("{base}/api/v1/blacklist"))
        .bearer_auth(&dave)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["path"], "kind");
    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/blacklist"))
        .bearer_auth(&carol)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|e| e["value"] == "1101**********0012")
    );
    assert_eq!(
        client
            .get(format!("{base}/api/v1/blacklist"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let r: serde_json::Value = client
        .get(format!("{base}/api/v1/orders/{id}"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rules: Vec<&str> = r["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"WEBSITE_NAME_BLACKLISTED"), "{rules:?}");

    // Idempotency: a retried create makes one order; a retried submit gets the first answer; a
    // key reused for another request is refused; another caller's same key is its own.
    let bobs_before = client
        .get(format!("{base}/api/v1/orders"))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let create = || {
        client
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(&bob)
            .header("idempotency-key", "create-1")
            .header("content-type", "application/json")
            .body(serde_json::json!({"application": {"region": {"province": "11"}}}).to_string())
    };
    let a = create().send().await.unwrap();
    assert_eq!(a.status(), 201);
    let a: serde_json::Value = a.json().await.unwrap();
    let b = create().send().await.unwrap();
    assert_eq!(b.status(), 201);
    assert_eq!(b.headers()["idempotent-replayed"], "true");
    let b: serde_json::Value = b.json().await.unwrap();
    assert_eq!(a["id"], b["id"]);
    let bobs_after = client
        .get(format!("{base}/api/v1/orders"))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(
        bobs_after.as_array().unwrap().len(),
        bobs_before.as_array().unwrap().len() + 1
    );
    let r = client
        .put(format!("{base}/api/v1/orders/{}", a["id"]))
        .bearer_auth(&bob)
        .header("idempotency-key", "create-1")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&alice)
        .header("idempotency-key", "create-1")
        .header("content-type", "application/json")
        .body(serde_json::json!({"application": {"region": {"province": "33"}}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(r.headers().get("idempotent-replayed").is_none());
    store.close().await;
}

#[tokio::test]
async fn serves_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("beian-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("beian.db").display());
    let server = spawn_server(&url);
    exercise(&server).await;
    exercise_orders(&server, &url).await;
    drop(server);
    assert!(dir.join("beian.db").exists(), "the SQLite file is created");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serves_on_postgres() {
    if common::skip_postgres() {
        return;
    }
    let (store, admin) = common::postgres_admin_store().await;
    let db = format!("beian_serve_{}", std::process::id());
    store
        .execute_raw(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base}/{db}");
    let server = spawn_server(&url);
    exercise(&server).await;
    exercise_orders(&server, &url).await;
    drop(server);
    store
        .execute_raw(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .await
        .unwrap();
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        // Uploaded documents of these servers go to the temporary directory, not the crate.
        .env(
            "BEIAN_DOCUMENTS_DIR",
            std::env::temp_dir().join("beian-test-documents"),
        )
        .args(["migrate", "--database", "mysql://nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite://PATH or postgres://"));
}

#[tokio::test]
async fn demo_serves_seeded_data_and_prints_logins() {
    let dir = std::env::temp_dir().join(format!("beian-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let (server, printed) = common::spawn_demo(&url, &common::temp_dir("documents"), &[]);
    let text = printed;
    assert!(
        text.contains("reviewer") && text.contains("demo-reviewer-pass"),
        "{text}"
    );
    let client = reqwest::Client::new();
    let login = |base: &str, login: &str, password: &str| {
        client
            .post(format!("{base}/api/v1/sessions"))
            .json(&serde_json::json!({"login": login, "password": password}))
    };
    let token = |v: serde_json::Value| v["token"].as_str().unwrap().to_owned();
    let reviewer = token(
        login(&server.base, "reviewer", "demo-reviewer-pass")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    let q: serde_json::Value = client
        .get(format!("{}/api/v1/review/queue", server.base))
        .bearer_auth(&reviewer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let states: Vec<&str> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.len(), 2, "{q:#}");
    assert!(states.contains(&"provider_review") && states.contains(&"verification"));
    let liming = token(
        login(&server.base, "liming", "demo-applicant-pass")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    let mine: serde_json::Value = client
        .get(format!("{}/api/v1/orders", server.base))
        .bearer_auth(&liming)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["state"], "draft");
    drop(server);
    // A second start reuses the data instead of seeding it twice.
    let (server, _) = common::spawn_demo(&url, &common::temp_dir("documents"), &[]);
    let reviewer = token(
        login(&server.base, "reviewer", "demo-reviewer-pass")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    let q: serde_json::Value = client
        .get(format!("{}/api/v1/review/queue", server.base))
        .bearer_auth(&reviewer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q.as_array().unwrap().len(), 2);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn login_is_rate_limited_per_client() {
    let dir = std::env::temp_dir().join(format!("beian-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_beian"))
        // Uploaded documents of these servers go to the temporary directory, not the crate.
        .env(
            "BEIAN_DOCUMENTS_DIR",
            std::env::temp_dir().join("beian-test-documents"),
        )
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--login-burst",
            "2",
            "--database",
        ])
        .arg(format!("sqlite://{}", dir.join("limit.db").display()))
        .env("BEIAN_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        base: String::new(),
    };
    let mut line = String::new();
    BufReader::new(server.child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    server.base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = client
            .post(format!("{}/api/v1/sessions", server.base))
            .json(&serde_json::json!({"login": "nobody", "password": "guessing-passwords"}))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 429, 429]);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_configuration_file_is_read_and_checked() {
    let dir = std::env::temp_dir().join(format!("beian-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // An unknown key is refused with its name, before anything starts.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "listen = \"127.0.0.1:0\"\nlogin_brust = 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        // Uploaded documents of these servers go to the temporary directory, not the crate.
        .env(
            "BEIAN_DOCUMENTS_DIR",
            std::env::temp_dir().join("beian-test-documents"),
        )
        .args(["serve", "--config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("login_brust") && err.contains("bad.toml"),
        "{err}"
    );
    // A good file is used: its database is created, its listen address taken.
    let good = dir.join("beian.toml");
    let db = dir.join("from-config.db");
    std::fs::write(
        &good,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\nlogin_burst = 5\n",
            db.display()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_beian"))
        // Uploaded documents of these servers go to the temporary directory, not the crate.
        .env(
            "BEIAN_DOCUMENTS_DIR",
            std::env::temp_dir().join("beian-test-documents"),
        )
        .args(["serve", "--config", good.to_str().unwrap()])
        .env("BEIAN_LOG", "warn")
        .env_remove("BEIAN_DATABASE")
        .env_remove("BEIAN_LISTEN")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        base: String::new(),
    };
    let mut line = String::new();
    BufReader::new(server.child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    assert!(db.exists());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
