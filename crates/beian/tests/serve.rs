//! `beian serve` end to end: the real binary on a free port, on SQLite and on PostgreSQL, spoken to
//! over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_server(database: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .env("BEIAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server { child, base }
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
    assert!(
        openapi["components"]["schemas"]["CheckInput"]["properties"]["application"].is_object()
    );

    // A valid application: 200, no errors, the detected type.
    let r = client
        .post(format!("{base}/api/v1/check"))
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
        .body(example("invalid-individual-guangdong.json"))
        .send()
        .await
        .unwrap();
    let report: serde_json::Value = r.json().await.unwrap();
    assert!(report["summary"]["errors"].as_u64().unwrap() > 5);

    // Unusable input: 422 problem+json naming the path.
    let r = client
        .post(format!("{base}/api/v1/check"))
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
    let r = client
        .post(format!("{base}/api/v1/check"))
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

#[tokio::test]
async fn serves_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("beian-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = spawn_server(&format!("sqlite://{}", dir.join("beian.db").display()));
    exercise(&server).await;
    drop(server);
    assert!(dir.join("beian.db").exists(), "the SQLite file is created");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serves_on_postgres() {
    let admin = std::env::var("BEIAN_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = format!("beian_serve_{}", std::process::id());
    let store = beian_store::Store::connect(&admin).await.unwrap();
    store
        .execute_raw(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let server = spawn_server(&format!("{base}/{db}"));
    exercise(&server).await;
    drop(server);
    store
        .execute_raw(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .await
        .unwrap();
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["migrate", "--database", "mysql://nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite://PATH or postgres://"));
}
