//! Certificates before approval, end to end: `beian gate authz --feed … --acme-from-feed` lets
//! ACME HTTP-01 challenges through for the domains of the filing server's filings in progress —
//! from submission until the order is decided or withdrawn — and nothing else of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Api, Database, Server, beijing_individual, spawn_server};
use serde_json::json;

const TOKEN: &str = "gate-secret-for-acme";
const DOMAIN: &str = "liming-photo.cn";
const CHALLENGE: &str = "/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";

fn spawn_gate(feed: &str) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["gate", "authz", "--listen", "127.0.0.1:0", "--feed", feed])
        .args([
            "--token",
            TOKEN,
            "--acme-from-feed",
            "--acme-refresh-secs",
            "1",
        ])
        .env("BEIAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut gate = Server {
        child,
        base: String::new(),
    };
    let mut line = String::new();
    BufReader::new(gate.child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    gate.base = format!(
        "http://{}",
        line.trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
    );
    gate
}

/// The gate's answer for `path` on DOMAIN (Envoy's form: the original path on the check).
async fn ask(gate: &Server, path: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", gate.base))
        .header("host", DOMAIN)
        .send()
        .await
        .unwrap();
    let reason = r
        .headers()
        .get("x-beian-deny")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), reason)
}

/// Ask until the answer is `want` (the list is refreshed every second), at most 15 s.
async fn until(gate: &Server, path: &str, want: u16) -> (u16, String) {
    let mut last = (0, String::new());
    for _ in 0..150 {
        last = ask(gate, path).await;
        if last.0 == want {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test]
async fn challenges_pass_only_while_the_filing_is_in_progress() {
    let db = Database::new("sqlite", "acme").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000", "--gate-token", TOKEN]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let supervisor = api.account(&store, "sup", "supervisor").await;
    let applicant = api.account(&store, "lihua", "applicant").await;
    let sn = api
        .service_number(&supervisor, "lihua", &applicant, "i-acme")
        .await;
    let (status, order) = api
        .post(
            "/api/v1/orders",
            Some(&applicant),
            Some(json!({"application": beijing_individual(&sn)})),
        )
        .await;
    assert_eq!(status, 201, "{order:#}");
    let id = order["id"].as_i64().unwrap();
    let gate = spawn_gate(&server.base);
    // A draft is not a filing in progress.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(ask(&gate, CHALLENGE).await, (403, "not_filed".into()));

    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{id}/submit"),
            Some(&applicant),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, list) = api.get("/api/v1/gate/in-progress", Some(TOKEN)).await;
    assert_eq!(list["domains"], json!([DOMAIN]));
    assert_eq!(until(&gate, CHALLENGE, 204).await.0, 204);
    // Only the challenge: the site itself stays closed, and so does a path that merely starts
    // like one.
    assert_eq!(ask(&gate, "/index.html").await, (403, "not_filed".into()));
    assert_eq!(
        ask(&gate, "/.well-known/acme-challenge/../admin").await.0,
        403
    );

    // Withdrawn: no longer in progress, the challenge is closed again.
    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{id}/withdraw"),
            Some(&applicant),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        until(&gate, CHALLENGE, 403).await,
        (403, "not_filed".into())
    );
    let (_, list) = api.get("/api/v1/gate/in-progress", Some(TOKEN)).await;
    assert_eq!(list["domains"], json!([]));
    // The list is the gate's business: applicants cannot read it.
    assert_eq!(
        api.get("/api/v1/gate/in-progress", Some(&applicant))
            .await
            .0,
        403
    );
    drop(gate);
    drop(server);
    store.close().await;
    db.drop_it().await;
}
