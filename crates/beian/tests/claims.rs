//! Claims through the real server: a reviewer who claims an order keeps other reviewers from
//! its steps and its documents (409 naming the claim) until it releases it; the queue shows who
//! works on what; a supervisor takes a claim over; a claim ends when the order leaves the
//! provider's hands; only orders in the provider's steps are claimed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Api, Database, beijing_individual, image, spawn_server};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_claim_keeps_two_reviewers_apart() {
    let db = Database::new("sqlite", "claims").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000"]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let applicant = api.account(&store, "lihua", "applicant").await;
    let anna = api.account(&store, "anna", "reviewer").await;
    let bo = api.account(&store, "bobo", "reviewer").await;
    let supervisor = api.account(&store, "sup", "supervisor").await;
    let sn = api
        .service_number(&supervisor, "lihua", &applicant, "i-claim")
        .await;
    let (status, o) = api
        .post(
            "/api/v1/orders",
            Some(&applicant),
            Some(json!({"application": beijing_individual(&sn)})),
        )
        .await;
    assert_eq!(status, 201, "{o:#}");
    let id = o["id"].as_i64().unwrap();
    let path = |what: &str| format!("/api/v1/orders/{id}/{what}");

    // A draft is not claimed.
    let (status, e) = api.post(&path("claim"), Some(&anna), None).await;
    assert_eq!(
        (
            status,
            e["type"].as_str().unwrap().ends_with("not-claimable")
        ),
        (409, true)
    );
    api.post(&path("submit"), Some(&applicant), None).await;

    let (status, o) = api.post(&path("claim"), Some(&anna), None).await;
    assert_eq!(status, 200, "{o:#}");
    let anna_actor = o["claimed_by"].as_str().unwrap().to_owned();
    // The applicant never sees who.
    let (_, mine) = api
        .get(&format!("/api/v1/orders/{id}"), Some(&applicant))
        .await;
    assert!(mine.get("claimed_by").is_none());
    // Bo can neither claim nor act.
    let (status, e) = api.post(&path("claim"), Some(&bo), None).await;
    assert_eq!(status, 409, "{e:#}");
    assert!(e["detail"].as_str().unwrap().contains(&anna_actor), "{e:#}");
    let (status, _) = api.post(&path("pass"), Some(&bo), None).await;
    assert_eq!(status, 409);
    let (_, queue) = api.get("/api/v1/review/queue", Some(&bo)).await;
    let item = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap();
    assert_eq!(item["claimed_by"], anna_actor.as_str());

    // Anna passes; her claim holds through verification, so Bo cannot review its documents.
    let (status, o) = api.post(&path("pass"), Some(&anna), None).await;
    assert_eq!((status, o["state"].as_str()), (200, Some("verification")));
    let (status, d) = api
        .upload(
            id,
            &applicant,
            "subject_credential",
            None,
            None,
            "id.png",
            image("png", 16, 12),
        )
        .await;
    assert_eq!(status, 201, "{d:#}");
    let review = path(&format!("documents/{}/review", d["id"]));
    let (status, _) = api
        .post(&review, Some(&bo), Some(json!({"decision": "accept"})))
        .await;
    assert_eq!(status, 409);

    // She releases it; Bo claims and reviews. A supervisor takes Bo's claim over.
    let (status, o) = api
        .call(Method::DELETE, &path("claim"), Some(&anna), None)
        .await;
    assert_eq!(status, 200, "{o:#}");
    assert!(o.get("claimed_by").is_none());
    let (status, _) = api.post(&path("claim"), Some(&bo), None).await;
    assert_eq!(status, 200);
    let (status, r) = api
        .post(&review, Some(&bo), Some(json!({"decision": "accept"})))
        .await;
    assert_eq!(status, 200, "{r:#}");
    let (status, o) = api.post(&path("claim"), Some(&supervisor), None).await;
    assert_eq!(status, 200, "{o:#}");
    assert_ne!(o["claimed_by"], anna_actor.as_str());
    let (status, _) = api.post(&path("claim"), Some(&bo), None).await;
    assert_eq!(status, 409, "the supervisor holds it now");

    // Leaving the provider's hands ends the claim.
    let o = api.verify_all(id, &applicant, &supervisor).await;
    assert_eq!(o["state"], "ready_for_administration");
    let (_, o) = api
        .post(&path("submit-to-administration"), Some(&supervisor), None)
        .await;
    assert_eq!(o["state"], "administration_review");
    assert!(o.get("claimed_by").is_none(), "{o:#}");

    store.close().await;
    drop(server);
    db.drop_it().await;
}
