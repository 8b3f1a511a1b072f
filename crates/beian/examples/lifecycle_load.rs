//! Full filing lifecycles per second against a running `beian serve`, and submit latency.
//!
//! ```sh
//! beian serve --listen 127.0.0.1:8090 --database sqlite:///tmp/load.db --login-burst 100000 &
//! cargo run --release -p beian --example lifecycle_load -- http://127.0.0.1:8090 sqlite:///tmp/load.db 16 20
//! ```
//!
//! Arguments: base URL, the server's database URL (to create the staff accounts and the product),
//! concurrent clients, seconds. Each lifecycle is an individual filing in Beijing (no SMS step):
//! create, submit, pass, four documents uploaded (a 64 × 48 PNG each, decoded and re-encoded by
//! the server) and accepted, submit to the administration, approve — fourteen requests, each
//! running the rules where the workflow needs them. The figures are whole
//! lifecycles completed per second and the submit request's latency percentiles.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const APPLICATION: &str = include_str!("../../../examples/check/valid-individual-beijing.json");
/// The documents a Beijing individual's order needs.
const KINDS: [&str; 4] = [
    "subject_credential",
    "website_admin_credential",
    "face_photo",
    "authenticity_statement",
];

/// A 64 × 48 PNG, as a scanner's small output would be.
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 0x80]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn token(client: &reqwest::Client, base: &str, login: &str) -> String {
    let _ = client
        .post(format!("{base}/api/v1/accounts"))
        .json(&serde_json::json!({"login": login, "password": "load-test-password"}))
        .send()
        .await;
    let s: serde_json::Value = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({"login": login, "password": "load-test-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    s["token"].as_str().expect("login").to_owned()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:8090".into());
    let database = args.get(2).cloned().expect("the server's database URL");
    let clients: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(16);
    let seconds: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(20);
    let client = reqwest::Client::new();

    let store = beian_store::Store::connect(&database).await.unwrap();
    let reviewer = token(&client, &base, "load-reviewer").await;
    let administration = token(&client, &base, "load-administration").await;
    store
        .execute_raw("UPDATE accounts SET role = 'reviewer' WHERE login = 'load-reviewer'")
        .await
        .unwrap();
    store
        .execute_raw(
            "UPDATE accounts SET role = 'administration' WHERE login = 'load-administration'",
        )
        .await
        .unwrap();
    // Each load applicant owns one instance with room for every lifecycle it will run.
    for c in 0..clients {
        let login = format!("load-applicant-{c}");
        token(&client, &base, &login).await;
        let (account, _) = store.account_by_login(&login).await.unwrap().unwrap();
        store
            .put_product(&beian_store::ProductRow {
                instance_id: format!("i-load-{c}"),
                account: Some(account.id.to_string()),
                kind: "ecs".into(),
                mainland: true,
                subscription: true,
                public_bandwidth: true,
                expires: time::macros::date!(2099 - 01 - 01),
                quota: i32::MAX,
                issued: 0,
                consumed: 0,
            })
            .await
            .unwrap();
    }
    store.close().await;

    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let submit_latencies = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let serial = Arc::new(AtomicU64::new(0));
    let png: Arc<[u8]> = png().into();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, base, reviewer, administration) = (
            client.clone(),
            base.clone(),
            reviewer.clone(),
            administration.clone(),
        );
        let (done, failed, stop, lat, serial) = (
            done.clone(),
            failed.clone(),
            stop.clone(),
            submit_latencies.clone(),
            serial.clone(),
        );
        let png = png.clone();
        tasks.push(tokio::spawn(async move {
            let applicant = token(&client, &base, &format!("load-applicant-{c}")).await;
            let doc: serde_json::Value = serde_json::from_str(APPLICATION).unwrap();
            while !stop.load(Ordering::Relaxed) {
                // A fresh, valid resident ID per lifecycle: one order in progress per credential.
                let n = serial.fetch_add(1, Ordering::Relaxed);
                let birth =
                    time::macros::date!(1950 - 01 - 01) + time::Duration::days((n / 1000) as i64);
                let body17 = format!(
                    "110105{:04}{:02}{:02}{:03}",
                    birth.year(),
                    u8::from(birth.month()),
                    birth.day(),
                    n % 1000
                );
                let check =
                    beian_rules::validate::mod11_2_check(body17.as_bytes()).unwrap() as char;
                let id = format!("{body17}{check}");
                let mut app = doc["application"].clone();
                // A domain of its own per lifecycle, and a service number applied for.
                *app.pointer_mut("/websites/0/domains").unwrap() =
                    serde_json::json!([format!("load{n}.cn")]);
                *app.pointer_mut("/websites/0/homepage").unwrap() =
                    serde_json::json!(format!("www.load{n}.cn"));
                let sn: Option<String> = async {
                    let r: serde_json::Value = client
                        .post(format!("{base}/api/v1/products/i-load-{c}/service-numbers"))
                        .bearer_auth(&applicant)
                        .send()
                        .await
                        .ok()?
                        .json()
                        .await
                        .ok()?;
                    Some(r["service_number"].as_str()?.to_owned())
                }
                .await;
                let Some(sn) = sn else {
                    failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                *app.pointer_mut("/websites/0/service_number").unwrap() = serde_json::json!(sn);
                for p in [
                    "/subject/credential/number",
                    "/subject/admin/credential/number",
                    "/websites/0/admin/credential/number",
                ] {
                    *app.pointer_mut(p).unwrap() = serde_json::json!(id);
                }
                let ok = async {
                    let r = client
                        .post(format!("{base}/api/v1/orders"))
                        .bearer_auth(&applicant)
                        .header("content-type", "application/json")
                        .body(serde_json::json!({"application": app}).to_string())
                        .send()
                        .await
                        .ok()?;
                    let order: serde_json::Value = r.json().await.ok()?;
                    let oid = order["id"].as_i64()?;
                    let t0 = Instant::now();
                    let r = client
                        .post(format!("{base}/api/v1/orders/{oid}/submit"))
                        .bearer_auth(&applicant)
                        .send()
                        .await
                        .ok()?;
                    lat.lock().unwrap().push(t0.elapsed());
                    if !r.status().is_success() {
                        return None;
                    }
                    let r = client
                        .post(format!("{base}/api/v1/orders/{oid}/pass"))
                        .bearer_auth(&reviewer)
                        .send()
                        .await
                        .ok()?;
                    if !r.status().is_success() {
                        return None;
                    }
                    // Verification: each document uploaded and accepted; the last acceptance
                    // moves the order on.
                    for kind in KINDS {
                        let form = reqwest::multipart::Form::new().text("kind", kind).part(
                            "file",
                            reqwest::multipart::Part::bytes(png.to_vec()).file_name("scan.png"),
                        );
                        let r = client
                            .post(format!("{base}/api/v1/orders/{oid}/documents"))
                            .bearer_auth(&applicant)
                            .multipart(form)
                            .send()
                            .await
                            .ok()?;
                        if !r.status().is_success() {
                            return None;
                        }
                        let d: serde_json::Value = r.json().await.ok()?;
                        let r = client
                            .post(format!(
                                "{base}/api/v1/orders/{oid}/documents/{}/review",
                                d["id"]
                            ))
                            .bearer_auth(&reviewer)
                            .header("content-type", "application/json")
                            .body(r#"{"decision":"accept"}"#)
                            .send()
                            .await
                            .ok()?;
                        if !r.status().is_success() {
                            return None;
                        }
                    }
                    for (step, token) in [
                        ("submit-to-administration", &reviewer),
                        ("approve", &administration),
                    ] {
                        let r = client
                            .post(format!("{base}/api/v1/orders/{oid}/{step}"))
                            .bearer_auth(token)
                            .send()
                            .await
                            .ok()?;
                        if !r.status().is_success() {
                            return None;
                        }
                    }
                    Some(())
                }
                .await;
                match ok {
                    Some(()) => done.fetch_add(1, Ordering::Relaxed),
                    None => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat = submit_latencies.lock().unwrap().clone();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "clients {clients}, {elapsed:.1} s: {} lifecycles ({:.0}/s), {} failed; submit p50 {:.1} ms, p99 {:.1} ms",
        done.load(Ordering::Relaxed),
        done.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
}
