//! Events and their delivery through the real server: webhooks against a real local HTTP
//! receiver (signature verifiable, retries with growing delays after failures, nothing lost
//! across a server killed mid-way and restarted, repeats recognisable by their idempotency key,
//! each event delivered once by two instances sharing a PostgreSQL database), e-mail against a
//! real local SMTP receiver, the applicant's long-polled feed, and the SLA breach job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use beian_notify::testing::{SmtpReceiver, WebhookReceiver};
use common::{Api, Database, beijing_individual, spawn_server};
use serde_json::{Value, json};

/// An applicant with an order in `provider_review` (a Beijing individual), and the staff.
struct Desk {
    api: Api,
    store: beian_store::Store,
    applicant: String,
    reviewer: String,
    supervisor: String,
}

impl Desk {
    async fn new(api: Api, db: &Database, applicant_email: &str) -> Desk {
        let store = beian_store::Store::connect(&db.url).await.unwrap();
        let (status, body) = api
            .post(
                "/api/v1/accounts",
                None,
                Some(json!({"login": "lihua", "password": "a long enough password", "email": applicant_email})),
            )
            .await;
        assert_eq!(status, 201, "{body:#}");
        let (_, session) = api
            .post(
                "/api/v1/sessions",
                None,
                Some(json!({"login": "lihua", "password": "a long enough password"})),
            )
            .await;
        Desk {
            applicant: session["token"].as_str().unwrap().to_owned(),
            reviewer: api.account(&store, "rev", "reviewer").await,
            supervisor: api.account(&store, "sup", "supervisor").await,
            api,
            store,
        }
    }

    /// A submitted order (one `order.state_changed` event: draft → provider_review).
    async fn submitted_order(&self, instance: &str, credential_seed: u32) -> i64 {
        let api = &self.api;
        let sn = api
            .service_number(&self.supervisor, "lihua", &self.applicant, instance)
            .await;
        let mut app = beijing_individual(&sn);
        if credential_seed > 0 {
            let id = resident_id(credential_seed);
            for p in [
                "/subject/credential/number",
                "/subject/admin/credential/number",
                "/websites/0/admin/credential/number",
            ] {
                *app.pointer_mut(p).unwrap() = json!(id);
            }
            app["websites"][0]["domains"] = json!([format!("site{credential_seed}.cn")]);
            app["websites"][0]["homepage"] = json!(format!("http://www.site{credential_seed}.cn"));
        }
        let (status, order) = api
            .post(
                "/api/v1/orders",
                Some(&self.applicant),
                Some(json!({"application": app})),
            )
            .await;
        assert_eq!(status, 201, "{order:#}");
        assert_eq!(
            order["report"]["summary"]["errors"], 0,
            "{:#}",
            order["report"]
        );
        let id = order["id"].as_i64().unwrap();
        let (status, o) = api
            .post(
                &format!("/api/v1/orders/{id}/submit"),
                Some(&self.applicant),
                None,
            )
            .await;
        assert_eq!(
            (status, o["state"].as_str()),
            (200, Some("provider_review")),
            "{o:#}"
        );
        id
    }

    async fn webhook(&self, url: &str) -> String {
        let (status, w) = self
            .api
            .post(
                "/api/v1/webhooks",
                Some(&self.supervisor),
                Some(json!({"url": url})),
            )
            .await;
        assert_eq!(status, 201, "{w:#}");
        w["secret"].as_str().unwrap().to_owned()
    }
}

/// A valid resident ID number (Beijing Dongcheng, born 1990) distinct per `seed`.
fn resident_id(seed: u32) -> String {
    let body = format!("110101199001{:02}{:03}", 1 + seed % 28, seed % 1000);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(weights)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    format!("{body}{check}")
}

fn event_of(r: &beian_notify::testing::RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_survive_a_restart() {
    let db = Database::new("sqlite", "webhooks").await;
    // Two failures, then success.
    let receiver = WebhookReceiver::start(vec![500, 503]).await;
    let flags = [
        "--login-burst",
        "1000",
        "--retry-base-ms",
        "300",
        "--dispatch-interval-ms",
        "100",
    ];
    let server = spawn_server(&db.url, &flags);
    let desk = Desk::new(Api::new(&server), &db, "").await;
    let secret = desk.webhook(&receiver.url()).await;
    let id = desk.submitted_order("i-wh", 0).await;

    let requests = receiver.wait_for(3, Duration::from_secs(30)).await;
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![500, 503, 200]
    );
    // The same event each time, with the same idempotency key, each signature verifiable.
    let keys: BTreeSet<&str> = requests
        .iter()
        .map(|r| r.header("idempotency-key").unwrap())
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    for r in &requests {
        let now = r
            .received_wall
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        beian_notify::verify(
            secret.as_bytes(),
            r.header("x-beian-signature").unwrap(),
            &r.body,
            now,
            300,
        )
        .unwrap();
        // A tampered body does not verify.
        let mut tampered = r.body.clone();
        tampered[0] ^= 1;
        assert!(
            beian_notify::verify(
                secret.as_bytes(),
                r.header("x-beian-signature").unwrap(),
                &tampered,
                now,
                300
            )
            .is_err()
        );
    }
    let event = event_of(&requests[2]);
    assert_eq!(
        (
            event["kind"].as_str(),
            event["order"].as_i64(),
            event["from"].as_str(),
            event["to"].as_str()
        ),
        (
            Some("order.state_changed"),
            Some(id),
            Some("draft"),
            Some("provider_review")
        ),
        "{event:#}"
    );
    assert_eq!(requests[0].header("idempotency-key"), event["id"].as_str());
    // Backoff: the second retry waited about twice as long as the first (base 300 ms).
    let first = requests[1].received_at - requests[0].received_at;
    let second = requests[2].received_at - requests[1].received_at;
    assert!(first >= Duration::from_millis(300), "{first:?}");
    assert!(second >= Duration::from_millis(600), "{second:?}");
    assert!(second > first, "{first:?} then {second:?}");
    let seq = event["seq"].as_i64().unwrap();
    // The receiver sees the third attempt before the server records its answer: wait for that.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let hook = loop {
        let (status, deliveries) = desk
            .api
            .get(
                &format!("/api/v1/events/{seq}/deliveries"),
                Some(&desk.supervisor),
            )
            .await;
        assert_eq!(status, 200, "{deliveries:#}");
        let hook = deliveries
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"] == "webhook")
            .unwrap()
            .clone();
        if hook["delivered_at"].is_string() || std::time::Instant::now() >= deadline {
            break hook;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(hook["attempts"], 3, "{hook:#}");
    assert!(hook["delivered_at"].is_string(), "{hook:#}");
    // Applicants cannot see deliveries or manage webhooks.
    let (status, _) = desk
        .api
        .get(
            &format!("/api/v1/events/{seq}/deliveries"),
            Some(&desk.applicant),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = desk
        .api
        .post(
            "/api/v1/webhooks",
            Some(&desk.applicant),
            Some(json!({"url": "http://127.0.0.1:9/x"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = desk
        .api
        .post(
            "/api/v1/webhooks",
            Some(&desk.supervisor),
            Some(json!({"url": "ftp://example.com/"})),
        )
        .await;
    assert_eq!((status, body["path"].as_str()), (422, Some("url")));

    // The receiver goes down; the reviewer passes the order (a second event); the server is
    // killed before it can deliver, and comes back.
    receiver.stop().await;
    let (status, o) = desk
        .api
        .post(
            &format!("/api/v1/orders/{id}/pass"),
            Some(&desk.reviewer),
            None,
        )
        .await;
    assert_eq!((status, o["state"].as_str()), (200, Some("verification")));
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(server); // SIGKILL: no graceful shutdown
    receiver.set_script(vec![]);
    receiver.restart().await.unwrap();
    let _server = spawn_server(&db.url, &flags);
    let requests = receiver.wait_for(4, Duration::from_secs(30)).await;
    let last = event_of(requests.last().unwrap());
    assert_eq!(
        (last["to"].as_str(), last["order"].as_i64()),
        (Some("verification"), Some(id)),
        "{last:#}"
    );
    // Every event arrived; repeats, if any, share their key and body.
    let mut by_key: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for r in receiver.requests().iter().filter(|r| r.status == 200) {
        by_key
            .entry(r.header("idempotency-key").unwrap().to_owned())
            .or_default()
            .push(r.body.clone());
    }
    assert_eq!(by_key.len(), 2, "{:?}", by_key.keys());
    for bodies in by_key.values() {
        assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    }
    desk.store.close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn applicants_are_emailed_and_follow_their_own_events() {
    let db = Database::new("sqlite", "email").await;
    let smtp = SmtpReceiver::start().await;
    let server = spawn_server(
        &db.url,
        &[
            "--login-burst",
            "1000",
            "--smtp-url",
            &smtp.url(),
            "--mail-from",
            "备案中心 <beian@provider.example>",
        ],
    );
    let desk = Desk::new(Api::new(&server), &db, "lihua@example.com").await;
    // An invalid address is refused, naming the field.
    let (status, body) = desk
        .api
        .post(
            "/api/v1/accounts",
            None,
            Some(json!({"login": "nomail", "password": "a long enough password", "email": "not an address"})),
        )
        .await;
    assert_eq!((status, body["path"].as_str()), (422, Some("email")));
    let other = desk.api.account(&desk.store, "other", "applicant").await;
    let (_, feed) = desk.api.get("/api/v1/events", Some(&desk.applicant)).await;
    let start = feed["last_seq"].as_i64().unwrap();

    let id = desk.submitted_order("i-mail", 0).await;
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["lihua@example.com".to_owned()]);
    let subject = mails[0].subject().unwrap();
    assert!(
        subject.contains(&format!("#{id}"))
            && subject.contains("接入商初审")
            && subject.contains("provider review"),
        "{subject}"
    );
    let text = mails[0].text().unwrap();
    assert!(text.contains(&format!("您的备案订单 #{id}")), "{text}");

    // A long poll is answered when the reviewer acts, not at the end of its wait.
    let api = desk.api.clone();
    let applicant = desk.applicant.clone();
    let after = start + 1;
    let waiting = tokio::spawn(async move {
        let t0 = std::time::Instant::now();
        let (status, feed) = api
            .get(
                &format!("/api/v1/events?after={after}&wait=25"),
                Some(&applicant),
            )
            .await;
        (status, feed, t0.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = desk
        .api
        .post(
            &format!("/api/v1/orders/{id}/reject"),
            Some(&desk.reviewer),
            Some(json!({"reasons": ["P02"], "note": "身份证照片不清晰"})),
        )
        .await;
    assert_eq!(status, 200, "{body:#}");
    let (status, feed, waited) = waiting.await.unwrap();
    assert_eq!(status, 200);
    assert!(
        waited < Duration::from_secs(20),
        "answered at the commit: {waited:?}"
    );
    let e = &feed["events"][0];
    assert_eq!(
        (
            e["to"].as_str(),
            e["reasons"][0].as_str(),
            e["note"].as_str()
        ),
        (Some("draft"), Some("P02"), Some("身份证照片不清晰")),
        "{feed:#}"
    );
    let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
    let text = mails[1].text().unwrap();
    assert!(
        text.contains("P02") && text.contains("身份证照片不清晰"),
        "{text}"
    );
    // And texted at the subject administrator's mobile (the provider's SMS gateway, simulated):
    // one message per event, the mobile masked for the supervisors who read the outbox.
    let mut texts = json!([]);
    for _ in 0..100 {
        texts = desk
            .api
            .get("/api/v1/notifications/sms", Some(&desk.supervisor))
            .await
            .1;
        if texts.as_array().is_some_and(|t| t.len() >= 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let texts = texts.as_array().unwrap();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts
            .iter()
            .all(|t| t["order"] == id && t["mobile"] == "138****1234"),
        "{texts:?}"
    );
    assert!(
        texts[0]["text"].as_str().unwrap().contains("草稿"),
        "{texts:?}"
    );
    assert!(
        texts[1]["text"].as_str().unwrap().contains("接入商初审"),
        "{texts:?}"
    );
    assert_eq!(
        desk.api
            .get("/api/v1/notifications/sms", Some(&desk.applicant))
            .await
            .0,
        403
    );
    // Another applicant's feed holds none of it.
    let (_, feed) = desk
        .api
        .get(&format!("/api/v1/events?after={start}"), Some(&other))
        .await;
    assert_eq!(feed["events"], json!([]), "{feed:#}");
    // Staff see every event.
    let (_, feed) = desk
        .api
        .get(
            &format!("/api/v1/events?after={start}"),
            Some(&desk.reviewer),
        )
        .await;
    assert_eq!(feed["events"].as_array().unwrap().len(), 2, "{feed:#}");
    drop(server);
    desk.store.close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn two_instances_deliver_each_event_once() {
    if common::skip_postgres() {
        return;
    }
    let db = Database::new("postgres", "dispatch_two").await;
    let receiver = WebhookReceiver::start(vec![]).await;
    let flags = ["--login-burst", "1000", "--dispatch-interval-ms", "50"];
    let a = spawn_server(&db.url, &flags);
    let b = spawn_server(&db.url, &flags);
    let desk = Desk::new(Api::new(&a), &db, "").await;
    desk.webhook(&receiver.url()).await;
    let mut ids = Vec::new();
    for n in 1..=6 {
        ids.push(desk.submitted_order(&format!("i-two-{n}"), n).await);
    }
    for id in &ids {
        // Half the steps through the other instance.
        let api_b = Api::new(&b);
        let (status, body) = api_b
            .post(
                &format!("/api/v1/orders/{id}/pass"),
                Some(&desk.reviewer),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body:#}");
    }
    let requests = receiver.wait_for(12, Duration::from_secs(30)).await;
    assert_eq!(requests.len(), 12);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let keys: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect();
    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(keys.len(), 12, "no event delivered twice: {keys:?}");
    assert_eq!(distinct.len(), 12);
    drop((a, b));
    desk.store.close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn sla_breaches_are_flagged_once_with_a_controlled_clock() {
    let db = Database::new("sqlite", "sla_breach").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000", "--jobs-interval", "0"]);
    let desk = Desk::new(Api::new(&server), &db, "").await;
    let id = desk.submitted_order("i-sla", 0).await;
    let state =
        beian_server::AppState::new(beian_store::Store::connect(&db.url).await.unwrap()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    // Within the working day nothing is flagged; ten calendar days on, the step is overdue.
    let jobs = beian_server::service::jobs::run_due(&state, now)
        .await
        .unwrap();
    assert!(jobs.sla_breaches.is_empty());
    let later = now + time::Duration::days(10);
    let jobs = beian_server::service::jobs::run_due(&state, later)
        .await
        .unwrap();
    assert_eq!(jobs.sla_breaches, vec![id]);
    let jobs = beian_server::service::jobs::run_due(&state, later + time::Duration::hours(1))
        .await
        .unwrap();
    assert!(jobs.sla_breaches.is_empty(), "flagged once per step");
    let (_, feed) = desk.api.get("/api/v1/events", Some(&desk.reviewer)).await;
    let breach = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "order.sla_breached")
        .unwrap()
        .clone();
    assert_eq!(
        (breach["order"].as_i64(), breach["data"]["state"].as_str()),
        (Some(id), Some("provider_review"))
    );
    // Staff only: the applicant's feed does not carry it.
    let (_, feed) = desk.api.get("/api/v1/events", Some(&desk.applicant)).await;
    assert!(
        feed["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] != "order.sla_breached")
    );
    // In verification the provider's clock runs only while an upload awaits review.
    let (status, _) = desk
        .api
        .post(
            &format!("/api/v1/orders/{id}/pass"),
            Some(&desk.reviewer),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let jobs = beian_server::service::jobs::run_due(&state, later)
        .await
        .unwrap();
    assert!(jobs.sla_breaches.is_empty(), "waiting on the applicant");
    let (status, _) = desk
        .api
        .upload(
            id,
            &desk.applicant,
            "face_photo",
            Some(0),
            None,
            "f.png",
            common::image("png", 8, 8),
        )
        .await;
    assert_eq!(status, 201);
    let jobs = beian_server::service::jobs::run_due(&state, later)
        .await
        .unwrap();
    assert_eq!(jobs.sla_breaches, vec![id], "the photo waits for review");
    drop(server);
    desk.store.close().await;
    db.drop_it().await;
}
