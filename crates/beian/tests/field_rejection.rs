//! Field-level rejection through the real server, on SQLite and PostgreSQL: a reviewer rejects
//! two fields and one document; the order shows exactly those; the applicant may change only
//! them (a change elsewhere is refused, naming the field); the named document alone is uploaded
//! again (the accepted ones stay); the reviewer sees the diff since the rejection; the
//! administration rejects with R codes on fields (P codes, unknown fields and unknown slots are
//! refused) and may open the whole application.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Api, Database, beijing_individual, image, spawn_server};
use reqwest::Method;
use serde_json::{Value, json};

async fn field_level_rejection(kind: &str) {
    let db = Database::new(kind, "field_rejection").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000"]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let applicant = api.account(&store, "lihua", "applicant").await;
    let reviewer = api.account(&store, "rev", "reviewer").await;
    let supervisor = api.account(&store, "sup", "supervisor").await;
    let administration = api.account(&store, "guanju", "administration").await;

    let sn = api
        .service_number(&supervisor, "lihua", &applicant, "i-fr")
        .await;
    let app = beijing_individual(&sn);
    let (status, o) = api
        .post(
            "/api/v1/orders",
            Some(&applicant),
            Some(json!({"application": app})),
        )
        .await;
    assert_eq!(status, 201, "{o:#}");
    let id = o["id"].as_i64().unwrap();
    assert!(o.get("rejection").is_none(), "no rejection yet: {o:#}");
    let step = |action: &'static str, token: String| {
        let api = api.clone();
        async move {
            let (status, body) = api
                .post(&format!("/api/v1/orders/{id}/{action}"), Some(&token), None)
                .await;
            assert_eq!(status, 200, "{action}: {body:#}");
            body
        }
    };
    step("submit", applicant.clone()).await;
    step("pass", reviewer.clone()).await;
    // Every document uploaded and accepted but the authenticity statement: still in verification.
    let png = image("png", 16, 12);
    for kind in [
        "subject_credential",
        "website_admin_credential",
        "face_photo",
    ] {
        let (status, d) = api
            .upload(id, &applicant, kind, None, None, "scan.png", png.clone())
            .await;
        assert_eq!(status, 201, "{d:#}");
        let (status, r) = api
            .post(
                &format!("/api/v1/orders/{id}/documents/{}/review", d["id"]),
                Some(&reviewer),
                Some(json!({"decision": "accept"})),
            )
            .await;
        assert_eq!(status, 200, "{r:#}");
    }

    // Refusals: an unknown field, a document the order does not need, an unknown code.
    let reject = |body: Value| {
        let (api, reviewer) = (api.clone(), reviewer.clone());
        async move {
            api.post(
                &format!("/api/v1/orders/{id}/reject"),
                Some(&reviewer),
                Some(body),
            )
            .await
        }
    };
    let (status, e) =
        reject(json!({"fields": [{"path": "websites[3].name", "reason": "R02"}]})).await;
    assert_eq!(
        (status, e["path"].as_str()),
        (422, Some("fields[0].path")),
        "{e:#}"
    );
    let (status, e) =
        reject(json!({"fields": [{"path": "websites[0]/name", "reason": "R02"}]})).await;
    assert_eq!(
        (status, e["path"].as_str()),
        (422, Some("fields[0].path")),
        "{e:#}"
    );
    let (status, e) =
        reject(json!({"documents": [{"kind": "preapproval", "reason": "P02"}]})).await;
    assert_eq!(
        (status, e["path"].as_str()),
        (422, Some("documents[0]")),
        "{e:#}"
    );
    let (status, e) =
        reject(json!({"fields": [{"path": "websites[0].name", "reason": "X9"}]})).await;
    assert_eq!(
        (status, e["path"].as_str()),
        (422, Some("fields[0].reason")),
        "{e:#}"
    );
    let (status, e) =
        reject(json!({"fields": [{"path": "websites[0].name", "reason": "P04"}]})).await;
    assert_eq!(status, 422, "P04 without a note: {e:#}");
    // Nothing of that changed the order.
    let (_, o) = api
        .get(&format!("/api/v1/orders/{id}"), Some(&applicant))
        .await;
    assert_eq!(o["state"], "verification");

    // The rejection: two fields and one document.
    let (status, o) = reject(json!({
        "note": "请按标注修改",
        "fields": [
            {"path": "websites[0].name", "reason": "R02", "note": "名称须体现网站内容"},
            {"path": "subject.admin.mobile", "reason": "P04", "note": "号码无法接通"}
        ],
        "documents": [{"kind": "face_photo", "reason": "P01", "note": "背景不是幕布"}]
    }))
    .await;
    assert_eq!((status, o["state"].as_str()), (200, Some("draft")), "{o:#}");
    let r = &o["rejection"];
    assert_eq!(r["reasons"], json!(["R02", "P04", "P01"]), "{r:#}");
    assert_eq!(
        r["open_fields"],
        json!(["websites[0].name", "subject.admin.mobile"])
    );
    assert_eq!(r["documents"][0]["kind"], "face_photo");
    assert_eq!(r["changes"], json!([]));
    let history = o["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["reasons"], "R02,P04,P01");

    // The applicant sees the same, and its documents: the face photo rejected with its reason,
    // the others still accepted.
    let (_, mine) = api
        .get(&format!("/api/v1/orders/{id}"), Some(&applicant))
        .await;
    assert_eq!(mine["rejection"]["fields"], o["rejection"]["fields"]);
    let (_, docs) = api
        .get(&format!("/api/v1/orders/{id}/documents"), Some(&applicant))
        .await;
    let status_of = |docs: &Value, kind: &str| -> (String, String) {
        let d = docs["documents"]
            .as_array()
            .unwrap()
            .iter()
            .rfind(|d| d["kind"] == kind && d["status"] != "superseded")
            .unwrap_or_else(|| panic!("no {kind} in {docs:#}"));
        (
            d["status"].as_str().unwrap().to_owned(),
            d["reason"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(
        status_of(&docs, "face_photo"),
        ("rejected".into(), "P01".into())
    );
    assert_eq!(status_of(&docs, "subject_credential").0, "accepted");

    // A change outside the named fields is refused, naming it; nothing is saved.
    let mut wrong = mine["application"].clone();
    wrong["websites"][0]["name"] = json!("李明的城市摄影笔记");
    wrong["subject"]["contact_address"] = json!("北京市海淀区中关村大街1号");
    let (status, e) = api
        .call(
            Method::PUT,
            &format!("/api/v1/orders/{id}"),
            Some(&applicant),
            Some(json!({"application": wrong})),
        )
        .await;
    assert_eq!(
        (status, e["path"].as_str()),
        (422, Some("application.subject.contact_address")),
        "{e:#}"
    );
    assert!(
        e["detail"]
            .as_str()
            .unwrap()
            .contains("subject.contact_address")
    );
    // The named fields change.
    let mut fixed = mine["application"].clone();
    fixed["websites"][0]["name"] = json!("李明的城市摄影笔记");
    fixed["subject"]["admin"]["mobile"] = json!("13801009876");
    let (status, o) = api
        .call(
            Method::PUT,
            &format!("/api/v1/orders/{id}"),
            Some(&applicant),
            Some(json!({"application": fixed})),
        )
        .await;
    assert_eq!(status, 200, "{o:#}");
    step("submit", applicant.clone()).await;

    // The reviewer sees what changed since the rejection, and nothing else.
    let (_, seen) = api
        .get(&format!("/api/v1/orders/{id}"), Some(&reviewer))
        .await;
    let changes = seen["rejection"]["changes"].as_array().unwrap();
    let paths: Vec<&str> = changes
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["subject.admin.mobile", "websites[0].name"]);
    assert_eq!(changes[1]["before"], "李明的摄影笔记");
    assert_eq!(changes[1]["after"], "李明的城市摄影笔记");
    step("pass", reviewer.clone()).await;

    // Only the rejected slot is asked for again; accepting it completes verification.
    let (_, docs) = api
        .get(&format!("/api/v1/orders/{id}/documents"), Some(&applicant))
        .await;
    let open: Vec<&str> = docs["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] != "accepted")
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(open, ["face_photo", "authenticity_statement"], "{docs:#}");
    let o = api.verify_all(id, &applicant, &reviewer).await;
    assert_eq!(o["state"], "ready_for_administration", "{o:#}");
    let o = step("submit-to-administration", reviewer.clone()).await;
    assert_eq!(o["state"], "administration_review");

    // The administration names fields with R codes only, and may open the whole application.
    let admin_reject = |body: Value| {
        let (api, token) = (api.clone(), administration.clone());
        async move {
            api.post(
                &format!("/api/v1/orders/{id}/administration-reject"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (status, e) =
        admin_reject(json!({"fields": [{"path": "websites[0].name", "reason": "P02"}]})).await;
    assert_eq!(status, 422, "{e:#}");
    let (status, o) = admin_reject(json!({
        "fields": [{"path": "websites[0].domains", "reason": "R01"}],
        "open_all": true
    }))
    .await;
    assert_eq!((status, o["state"].as_str()), (200, Some("draft")), "{o:#}");
    assert!(o["rejection"].get("open_fields").is_none(), "{o:#}");
    // No document named: every upload is superseded, as before field-level rejection.
    let (_, docs) = api
        .get(&format!("/api/v1/orders/{id}/documents"), Some(&applicant))
        .await;
    assert!(
        docs["required"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "missing"),
        "{docs:#}"
    );
    let mut anything = o["application"].clone();
    anything["subject"]["contact_address"] = json!("北京市海淀区中关村大街1号");
    let (status, o) = api
        .call(
            Method::PUT,
            &format!("/api/v1/orders/{id}"),
            Some(&applicant),
            Some(json!({"application": anything})),
        )
        .await;
    assert_eq!(status, 200, "{o:#}");

    // The supervisors' dashboard aggregates this history on both databases.
    let (status, d) = api.get("/api/v1/dashboard", Some(&supervisor)).await;
    assert_eq!(status, 200, "{d:#}");
    let review = &d["durations"][0];
    assert_eq!(review["step"], "provider_review");
    assert_eq!(review["count"], 2, "two reviews: {d:#}");
    let days = d["per_day"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["submitted"], 2, "{:#}", days[29]);

    store.close().await;
    drop(server);
    db.drop_it().await;
}

#[tokio::test]
async fn field_level_rejection_sqlite() {
    field_level_rejection("sqlite").await;
}

#[tokio::test]
async fn field_level_rejection_postgres() {
    if common::skip_postgres() {
        return;
    }
    field_level_rejection("postgres").await;
}
