//! Killing the server (SIGKILL) in the middle of a load run loses no acknowledged order and leaves
//! no half-applied transition: every order the server answered 2xx for is there afterwards, in at
//! least the state it was acknowledged in, and every order's version equals its history length.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

fn start(database: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_beian"))
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
            "1000",
            "--database",
            database,
        ])
        .env("BEIAN_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (child, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_no_acknowledged_order() {
    let dir = std::env::temp_dir().join(format!("beian-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("crash.db").display());
    let (mut child, base) = start(&database);
    let client = reqwest::Client::new();
    let application: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/check/valid-individual-beijing.json"),
        )
        .unwrap(),
    )
    .unwrap();

    // The product the applications name.
    let seed = beian_store::Store::connect(&database).await.unwrap();
    seed.put_product(&beian_store::ProductRow {
        instance_id: "i-crash".into(),
        account: None,
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
    seed.put_service_number("SN0100", "i-crash", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    seed.close().await;
    // Eight applicants, each filing, submitting and withdrawing orders in a loop.
    let mut tokens = Vec::new();
    for i in 0..8 {
        let login = format!("applicant{i}");
        client
            .post(format!("{base}/api/v1/accounts"))
            .json(&serde_json::json!({"login": login, "password": "a long enough password"}))
            .send()
            .await
            .unwrap();
        let s: serde_json::Value = client
            .post(format!("{base}/api/v1/sessions"))
            .json(&serde_json::json!({"login": login, "password": "a long enough password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(s["token"].as_str().unwrap().to_owned());
    }
    // (order id, state acknowledged)
    let acknowledged: Arc<Mutex<Vec<(i64, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let (client, base, token, acknowledged) = (
            client.clone(),
            base.clone(),
            token.clone(),
            acknowledged.clone(),
        );
        let mut app = application["application"].clone();
        // Distinct valid resident IDs so that submits do not block each other.
        let body = format!("11010519850312{i:03}");
        let check = beian_rules::validate::mod11_2_check(body.as_bytes()).unwrap() as char;
        let id = format!("{body}{check}");
        for path in [
            "/subject/credential/number",
            "/subject/admin/credential/number",
            "/websites/0/admin/credential/number",
        ] {
            *app.pointer_mut(path).unwrap() = serde_json::json!(id);
        }
        workers.push(tokio::spawn(async move {
            for _ in 0..1000 {
                let Ok(r) = client
                    .post(format!("{base}/api/v1/orders"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(serde_json::json!({"application": app}).to_string())
                    .send()
                    .await
                else {
                    return;
                };
                if !r.status().is_success() {
                    return;
                }
                let Ok(o) = r.json::<serde_json::Value>().await else {
                    return;
                };
                let id = o["id"].as_i64().unwrap();
                acknowledged.lock().unwrap().push((id, "draft".into()));
                for (step, state) in [("submit", "provider_review"), ("withdraw", "withdrawn")] {
                    let Ok(r) = client
                        .post(format!("{base}/api/v1/orders/{id}/{step}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                    else {
                        return;
                    };
                    if !r.status().is_success() {
                        return;
                    }
                    acknowledged.lock().unwrap().push((id, state.into()));
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    child.kill().unwrap(); // SIGKILL: no graceful shutdown
    child.wait().unwrap();
    for w in workers {
        let _ = w.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "the load ran: {} steps acknowledged",
        acknowledged.len()
    );
    eprintln!("{} steps acknowledged before SIGKILL", acknowledged.len());

    // Reopen the database the killed server left behind.
    let store = beian_store::Store::connect(&database).await.unwrap();
    store.migrate().await.unwrap();
    // The stored state is the last acknowledged one, or one step later (applied, answer lost).
    let order = ["draft", "provider_review", "withdrawn"];
    let rank = |s: &str| order.iter().position(|x| *x == s).unwrap();
    let mut last: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for (id, state) in &acknowledged {
        let r = last.entry(*id).or_insert(0);
        *r = (*r).max(rank(state));
    }
    for (id, acked) in &last {
        let o = store
            .order(*id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged order {id} lost"));
        let stored = rank(o.state.as_str());
        assert!(
            stored == *acked || stored == acked + 1,
            "order {id}: acknowledged {}, stored {}",
            order[*acked],
            o.state.as_str()
        );
    }
    // No half-applied transition anywhere: version = number of history entries.
    for i in 0..8 {
        for o in store.orders_of(&format!("{}", i + 1)).await.unwrap() {
            let history = store.history(&format!("order:{}", o.id)).await.unwrap();
            assert_eq!(o.version as usize, history.len(), "order {}", o.id);
        }
    }
    store.close().await;
    let (mut child, base) = start(&database);
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
