//! Every filing type from draft to its end state, through the real server over HTTP, on SQLite and
//! on PostgreSQL: initial (with a rejection and resubmission, an SMS timeout and a retry),
//! add_website, change_website, cancel_website (its siblings untouched), cancel_access,
//! transfer of a website filed with another provider, add_website_elsewhere (one website only),
//! cancel_subject, the refusals of SPEC §4, revocation, rectification and expiry; and what each
//! does to the access gate's feed and the public query. Time-driven transitions run through
//! `run_due` with a clock the test sets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Api, Database, example, spawn_server};
use serde_json::{Value, json};
use time::OffsetDateTime;

const GATE_TOKEN: &str = "gate-secret-for-tests";

struct World {
    api: Api,
    store: beian_store::Store,
    state: beian_server::AppState,
    reviewer: String,
    supervisor: String,
    administration: String,
}

impl World {
    /// Create an order and return its id, asserting the detected type.
    async fn create(&self, token: &str, app: &Value, expect_type: &str) -> i64 {
        let (status, order) = self
            .api
            .post(
                "/api/v1/orders",
                Some(token),
                Some(json!({"application": app})),
            )
            .await;
        assert_eq!(status, 201, "{order:#}");
        assert_eq!(order["filing_type"], expect_type, "{order:#}");
        assert_eq!(
            errors_of(&order),
            Vec::<String>::new(),
            "{:#}",
            order["report"]
        );
        order["id"].as_i64().unwrap()
    }

    async fn step(&self, id: i64, action: &str, token: &str) -> Value {
        let (status, body) = self
            .api
            .post(&format!("/api/v1/orders/{id}/{action}"), Some(token), None)
            .await;
        assert_eq!(status, 200, "{action} on {id}: {body:#}");
        body
    }

    async fn order(&self, id: i64, token: &str) -> Value {
        let (status, body) = self
            .api
            .get(&format!("/api/v1/orders/{id}"), Some(token))
            .await;
        assert_eq!(status, 200, "{body:#}");
        body
    }

    /// Answer the administration's SMS as the applicant would.
    async fn answer_sms(&self, id: i64, applicant: &str, credential: &str) -> Value {
        let (_, outbox) = self
            .api
            .get("/api/v1/registry/sms-outbox", Some(&self.administration))
            .await;
        let message = outbox
            .as_array()
            .unwrap()
            .iter()
            // Newest first: the code of the latest challenge.
            .find(|m| m["order_id"] == id)
            .unwrap()
            .clone();
        let code: String = message["text"]
            .as_str()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .take(6)
            .collect();
        let tail = &credential[credential.len() - 6..];
        let (status, body) = self
            .api
            .post(
                &format!("/api/v1/orders/{id}/sms"),
                Some(applicant),
                Some(json!({"code": code, "mobile": message["mobile"], "credential_tail": tail})),
            )
            .await;
        assert_eq!(status, 200, "{body:#}");
        body
    }

    /// Submit and carry an order through review to the administration's approval.
    async fn file(&self, id: i64, applicant: &str, credential: &str) -> Value {
        if self.order(id, applicant).await["state"] == "draft" {
            let o = self.step(id, "submit", applicant).await;
            assert_eq!(o["state"], "provider_review", "{o:#}");
        }
        let mut o = self.step(id, "pass", &self.reviewer).await;
        if o["state"] == "verification" {
            o = self.api.verify_all(id, applicant, &self.reviewer).await;
        }
        assert_eq!(o["state"], "ready_for_administration", "{o:#}");
        let o = self
            .step(id, "submit-to-administration", &self.reviewer)
            .await;
        if o["state"] == "sms_verification" {
            let o = self.answer_sms(id, applicant, credential).await;
            assert_eq!(o["state"], "administration_review");
        }
        let (status, approved) = self
            .api
            .post(
                &format!("/api/v1/orders/{id}/approve"),
                Some(&self.administration),
                None,
            )
            .await;
        assert_eq!(status, 200, "{approved:#}");
        approved
    }

    /// The gate's state of every domain changed since `after`, as the feed reports it.
    async fn gate_after(&self, after: i64) -> (i64, Vec<(String, String)>) {
        let (status, feed) = self
            .api
            .get(
                &format!("/api/v1/gate/changes?after={after}"),
                Some(GATE_TOKEN),
            )
            .await;
        assert_eq!(status, 200, "{feed:#}");
        let changes = feed["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["domain"].as_str().unwrap().to_owned(),
                    c["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        (feed["last_seq"].as_i64().unwrap(), changes)
    }

    async fn gate_state(&self, domain: &str) -> Option<String> {
        let (_, changes) = self.gate_after(0).await;
        changes
            .into_iter()
            .rev()
            .find(|(d, _)| d == domain)
            .map(|(_, s)| s)
            .filter(|s| s != "not_filed")
    }

    async fn query(&self, by: &str, value: &str) -> Value {
        let (status, body) = self
            .api
            .get(
                &format!("/api/v1/public/query?{by}={}", urlencode(value)),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body:#}");
        body
    }

    async fn service_numbers(
        &self,
        instance: &str,
        owner: &str,
        token: &str,
        n: usize,
    ) -> Vec<String> {
        let (status, body) = self
            .api
            .post(
                "/api/v1/products",
                Some(&self.supervisor),
                Some(json!({"instance_id": instance, "owner": owner, "kind": "ecs", "region": "mainland",
                            "billing": "subscription", "expires": "2099-01-01", "public_bandwidth": true})),
            )
            .await;
        assert_eq!(status, 201, "{body:#}");
        let mut out = Vec::new();
        for _ in 0..n {
            let (status, body) = self
                .api
                .post(
                    &format!("/api/v1/products/{instance}/service-numbers"),
                    Some(token),
                    None,
                )
                .await;
            assert_eq!(status, 201, "{body:#}");
            out.push(body["service_number"].as_str().unwrap().to_owned());
        }
        out
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn errors_of(order: &Value) -> Vec<String> {
    order["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

async fn every_filing_type(kind: &str) {
    let db = Database::new(kind, "filing_types").await;
    let server = spawn_server(
        &db.url,
        &["--login-burst", "1000", "--gate-token", GATE_TOKEN],
    );
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let w = World {
        reviewer: api.account(&store, "rev", "reviewer").await,
        supervisor: api.account(&store, "sup", "supervisor").await,
        administration: api.account(&store, "guanju", "administration").await,
        state: beian_server::AppState::new(beian_store::Store::connect(&db.url).await.unwrap())
            .unwrap(),
        api: api.clone(),
        store,
    };
    let yunfan = api.account(&w.store, "yunfan", "applicant").await;
    let liming = api.account(&w.store, "liming", "applicant").await;
    let wangfang = api.account(&w.store, "wangfang", "applicant").await;

    // Products: a supervisor registers the instance; its owner applies for service numbers, at
    // most five; another applicant cannot.
    let sns = w.service_numbers("i-yunfan", "yunfan", &yunfan, 5).await;
    let (status, body) = api
        .post(
            "/api/v1/products/i-yunfan/service-numbers",
            Some(&yunfan),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body:#}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("switch to another product")
    );
    let (status, _) = api
        .post(
            "/api/v1/products/i-yunfan/service-numbers",
            Some(&liming),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = api
        .post(
            "/api/v1/products",
            Some(&w.supervisor),
            Some(json!({"instance_id": "i-payg", "owner": "liming", "kind": "ecs", "region": "mainland",
                        "billing": "pay_as_you_go", "expires": "2099-01-01", "public_bandwidth": false})),
        )
        .await;
    assert_eq!(status, 201, "{body:#}");
    let (status, body) = api
        .post(
            "/api/v1/products/i-payg/service-numbers",
            Some(&liming),
            None,
        )
        .await;
    assert_eq!(status, 409);
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("pay-as-you-go") && detail.contains("public bandwidth"),
        "{detail}"
    );
    let (_, products) = api.get("/api/v1/products", Some(&liming)).await;
    assert_eq!(products.as_array().unwrap().len(), 1, "{products:#}");
    assert_eq!(products[0]["eligible"], false);
    assert_eq!(
        products[0]["ineligible"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reason"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["pay_as_you_go", "no_public_bandwidth"]
    );

    // ---- initial: rejection and resubmission, SMS timeout and retry, approval -----------------
    let yunfan_credential = "91330106MA2B3C4D5D";
    // Types are detected, not chosen (the examples declare theirs: drop it).
    let application = |name: &str| {
        let mut a = example(name)["application"].take();
        a.as_object_mut().unwrap().remove("filing_type");
        a
    };
    let mut app = application("valid-enterprise-zhejiang.json");
    app["websites"][0]["service_number"] = json!(sns[0]);
    app["websites"][1]["service_number"] = json!(sns[1]);
    let site1 = app["websites"][0].clone();
    let id = w.create(&yunfan, &app, "initial").await;
    let (_, products) = api.get("/api/v1/products", Some(&yunfan)).await;
    let states: Vec<&str> = products[0]["service_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        vec!["bound", "bound", "unbound", "unbound", "unbound"]
    );
    assert!(w.order(id, &yunfan).await["expected_completion"].is_null());
    let submitted = w.step(id, "submit", &yunfan).await;
    // The applicant sees when to expect the decision, in working days from now.
    let expected = submitted["expected_completion"]["date"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = time::OffsetDateTime::now_utc()
        .to_offset(beian_core::sla::CHINA)
        .date()
        .to_string();
    assert!(expected > today.clone(), "{expected} after {today}");
    let (status, o) = api
        .post(
            &format!("/api/v1/orders/{id}/reject"),
            Some(&w.reviewer),
            Some(json!({"reasons": ["P02"], "note": "营业执照照片不清晰"})),
        )
        .await;
    assert_eq!((status, o["state"].as_str()), (200, Some("draft")));
    w.step(id, "submit", &yunfan).await;
    w.step(id, "pass", &w.reviewer).await;
    // The rejection superseded the first uploads: everything is uploaded and reviewed again.
    let o = w.api.verify_all(id, &yunfan, &w.reviewer).await;
    assert_eq!(o["state"], "ready_for_administration");
    let o = w.step(id, "submit-to-administration", &w.reviewer).await;
    assert_eq!(o["state"], "sms_verification");
    // Nobody answers for 24 hours: the window closes and the provider submits again.
    let now = OffsetDateTime::now_utc();
    let jobs = beian_server::service::jobs::run_due(&w.state, now + time::Duration::hours(23))
        .await
        .unwrap();
    assert!(jobs.sms_timeouts.is_empty());
    let jobs = beian_server::service::jobs::run_due(&w.state, now + time::Duration::hours(25))
        .await
        .unwrap();
    assert_eq!(jobs.sms_timeouts, vec![id]);
    assert_eq!(
        w.order(id, &yunfan).await["state"],
        "ready_for_administration"
    );
    let o = w.step(id, "submit-to-administration", &w.reviewer).await;
    assert_eq!(o["state"], "sms_verification");
    w.answer_sms(id, &yunfan, yunfan_credential).await;
    let (status, approved) = api
        .post(
            &format!("/api/v1/orders/{id}/approve"),
            Some(&w.administration),
            None,
        )
        .await;
    assert_eq!(status, 200, "{approved:#}");
    let subject = approved["subject_number"].as_str().unwrap().to_owned();
    assert!(w.order(id, &yunfan).await["expected_completion"].is_null());
    assert!(subject.starts_with("浙ICP备"), "{subject}");
    assert_eq!(
        approved["website_numbers"],
        json!([format!("{subject}-1"), format!("{subject}-2")])
    );
    let history = w.order(id, &yunfan).await["history"].clone();
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"ProviderReject") && actions.contains(&"SmsTimeout"),
        "{actions:?}"
    );
    // Review durations are observed per step as orders leave it.
    let (_, metrics) = api.get("/metrics", None).await;
    let metrics = metrics.as_str().unwrap().to_owned();
    for step in ["provider_review", "verification", "administration_review"] {
        assert!(
            metrics.contains(&format!(
                "beian_review_duration_seconds_count{{step=\"{step}\"}}"
            )),
            "{metrics}"
        );
    }
    let (_, products) = api.get("/api/v1/products", Some(&yunfan)).await;
    assert_eq!(products[0]["consumed"], 2);
    assert_eq!(products[0]["service_numbers"][0]["state"], "filed");

    // The gate sees the domains at once; only gates and supervisors read the feed.
    for d in [
        "yunfan.cn",
        "xn--9kqs09aildfw4a.xn--fiqs8s",
        "yunfan-docs.com",
    ] {
        assert_eq!(w.gate_state(d).await.as_deref(), Some("allow"), "{d}");
    }
    assert_eq!(api.get("/api/v1/gate/changes", None).await.0, 401);
    assert_eq!(api.get("/api/v1/gate/changes", Some(&yunfan)).await.0, 403);
    assert_eq!(
        api.get("/api/v1/gate/changes", Some(&w.supervisor)).await.0,
        200
    );
    let snapshot = api
        .client
        .get(format!("{}/api/v1/gate/snapshot", api.base))
        .bearer_auth(GATE_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(snapshot.status(), 200);
    assert!(snapshot.headers().contains_key("x-beian-snapshot-seq"));
    // The public query shows the filing, never the credential number or phones.
    let q = w.query("domain", "www.YUNFAN.cn").await;
    assert_eq!(q["outcome"], "filed", "{q:#}");
    assert_eq!(q["records"][0]["website_number"], format!("{subject}-1"));
    assert_eq!(q["records"][0]["subject_name"], "杭州云帆科技有限公司");
    let text = q.to_string();
    assert!(
        !text.contains(yunfan_credential) && !text.contains("13906710000"),
        "{text}"
    );
    assert_eq!(
        w.query("credential", yunfan_credential).await["records"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(w.query("number", &subject).await["outcome"], "filed");
    assert_eq!(
        w.query("domain", "never-filed.cn").await["outcome"],
        "not_filed"
    );
    assert_eq!(api.get("/api/v1/public/query?domain=", None).await.0, 422);
    // The same from a terminal: `beian query`, exit 0 filed, 1 not filed, 2 unusable.
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
            .arg("query")
            .args(args)
            .args(["--database", &db.url])
            .output()
            .unwrap()
    };
    let out = cli(&["--domain", "WWW.yunfan.cn"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("{subject}-1")) && !text.contains(yunfan_credential),
        "{text}"
    );
    let out = cli(&["--credential", yunfan_credential, "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["records"].as_array().unwrap().len(), 2, "{json:#}");
    assert_eq!(cli(&["--domain", "never-filed.cn"]).status.code(), Some(1));
    assert_eq!(cli(&["--domain", "not a domain"]).status.code(), Some(2));

    // ---- add_website: the subject keeps its number --------------------------------------------
    let mut blog = site1.clone();
    blog["name"] = json!("云帆博客");
    blog["domains"] = json!(["yunfan-blog.cn"]);
    blog["homepage"] = json!("www.yunfan-blog.cn");
    blog["service_number"] = json!(sns[2]);
    let mut add = app.clone();
    add["websites"] = json!([blog]);
    let id = w.create(&yunfan, &add, "add_website").await;
    let approved = w.file(id, &yunfan, yunfan_credential).await;
    assert_eq!(approved["website_numbers"], json!([format!("{subject}-3")]));

    // ---- change_website: a new name and a new domain -------------------------------------------
    let mut changed = site1.clone();
    changed["name"] = json!("云帆科技官方网站");
    changed["domains"] = json!(["yunfan.cn", "云帆科技.中国", "yunfan-cloud.cn"]);
    let mut change = app.clone();
    change["filing_type"] = json!("change_website");
    change["websites"] = json!([changed]);
    let id = w.create(&yunfan, &change, "change_website").await;
    w.step(id, "submit", &yunfan).await;
    // Gates that let ACME challenges through for filings in progress see the new domain, not
    // the two the gate allows already.
    let (status, list) = api.get("/api/v1/gate/in-progress", Some(GATE_TOKEN)).await;
    assert_eq!(status, 200, "{list:#}");
    let list: Vec<&str> = list["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(list.contains(&"yunfan-cloud.cn"), "{list:?}");
    for filed in ["yunfan.cn", "xn--9kqs09aildfw4a.xn--fiqs8s"] {
        assert!(!list.contains(&filed), "{list:?}");
    }
    w.file(id, &yunfan, yunfan_credential).await;
    let q = w.query("domain", "yunfan-cloud.cn").await;
    assert_eq!(q["records"][0]["website_name"], "云帆科技官方网站", "{q:#}");
    assert_eq!(q["records"][0]["website_number"], format!("{subject}-1"));
    assert_eq!(
        w.gate_state("yunfan-cloud.cn").await.as_deref(),
        Some("allow")
    );

    // ---- cancel_website: website 2 goes, its siblings stay ------------------------------------
    let mut cancel = app.clone();
    cancel["filing_type"] = json!("cancel_website");
    cancel["websites"] = json!([app["websites"][1].clone()]);
    let id = w.create(&yunfan, &cancel, "cancel_website").await;
    // A cancellation order cannot be deleted.
    assert!(
        !w.order(id, &yunfan).await["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("delete"))
    );
    w.file(id, &yunfan, yunfan_credential).await;
    assert_eq!(w.gate_state("yunfan-docs.com").await, None);
    assert_eq!(
        w.query("domain", "yunfan-docs.com").await["outcome"],
        "not_filed"
    );
    assert_eq!(w.gate_state("yunfan.cn").await.as_deref(), Some("allow"));
    assert_eq!(
        w.query("domain", "yunfan-blog.cn").await["outcome"],
        "filed"
    );
    // Service numbers are never restored.
    let (_, products) = api.get("/api/v1/products", Some(&yunfan)).await;
    assert_eq!(products[0]["consumed"], 3);

    // ---- cancel_access: this provider stops serving the blog; the number stays ---------------
    let mut stop = app.clone();
    stop["filing_type"] = json!("cancel_access");
    stop["websites"] = json!([add["websites"][0].clone()]);
    let id = w.create(&yunfan, &stop, "cancel_access").await;
    w.file(id, &yunfan, yunfan_credential).await;
    assert_eq!(
        w.gate_state("yunfan-blog.cn").await.as_deref(),
        Some("access_cancelled")
    );
    assert_eq!(
        w.query("domain", "yunfan-blog.cn").await["outcome"],
        "filed"
    );

    // ---- refusals (SPEC §4) --------------------------------------------------------------------
    // A domain on record under another subject.
    let mut wf = application("valid-individual-jiangsu.json");
    let mut taken = wf.clone();
    taken["websites"][0]["domains"] = json!(["yunfan.cn"]);
    let (_, o) = api
        .post(
            "/api/v1/orders",
            Some(&wangfang),
            Some(json!({"application": taken})),
        )
        .await;
    assert!(
        errors_of(&o).contains(&"DOMAIN_ALREADY_FILED_BY_OTHER".into()),
        "{o:#}"
    );
    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{}/submit", o["id"]),
            Some(&wangfang),
            None,
        )
        .await;
    assert_eq!(status, 409);
    // An IP address for a domain.
    let mut ip = wf.clone();
    ip["websites"][0]["domains"] = json!(["203.0.113.7"]);
    let (_, o) = api
        .post(
            "/api/v1/orders",
            Some(&wangfang),
            Some(json!({"application": ip})),
        )
        .await;
    assert!(errors_of(&o).contains(&"DOMAIN_IS_IP".into()), "{o:#}");
    // An order in progress for the credential (in any account).
    let mut first = site1.clone();
    first["name"] = json!("云帆商城");
    first["domains"] = json!(["yunfan-shop.cn"]);
    first["homepage"] = json!("www.yunfan-shop.cn");
    first["service_number"] = json!(sns[3]);
    let mut shop = app.clone();
    shop["websites"] = json!([first]);
    let a = w.create(&yunfan, &shop, "add_website").await;
    w.step(a, "submit", &yunfan).await;
    let (_, o) = api
        .post(
            "/api/v1/orders",
            Some(&yunfan),
            Some(json!({"application": shop})),
        )
        .await;
    assert!(
        errors_of(&o).contains(&"CREDENTIAL_ORDER_IN_PROGRESS".into()),
        "{o:#}"
    );
    // Expiry: 45 days after the first submission, an order not approved expires (not before).
    let jobs = beian_server::service::jobs::run_due(&w.state, now + time::Duration::days(44))
        .await
        .unwrap();
    assert!(!jobs.expired.contains(&a), "{jobs:?}");
    assert_eq!(w.order(a, &yunfan).await["state"], "provider_review");
    let jobs = beian_server::service::jobs::run_due(&w.state, now + time::Duration::days(46))
        .await
        .unwrap();
    assert!(jobs.expired.contains(&a), "{jobs:?}");
    assert_eq!(w.order(a, &yunfan).await["state"], "expired");
    // A blacklisted credential.
    let (status, _) = api
        .post(
            "/api/v1/blacklist",
            Some(&w.supervisor),
            Some(
                json!({"kind": "credential", "value": "320102199205050022", "reason": "虚假材料"}),
            ),
        )
        .await;
    assert_eq!(status, 201);

    // ---- transfer: a website filed with another provider comes here ----------------------------
    let liming_app = application("valid-individual-beijing.json");
    let liming_credential = "110105198503120012";
    let (status, foreign) = api
        .post(
            "/api/v1/registry/filings",
            Some(&w.administration),
            Some(json!({"provider": "another-cloud", "province": "11",
                        "subject": {"nature": "individual", "name": "李明", "credential_type": "resident_id",
                                    "credential": liming_credential, "mobiles": ["13801001234"]},
                        "websites": [{"name": "李明的摄影笔记", "domains": ["liming-photo.cn"]}]})),
        )
        .await;
    assert_eq!(status, 201, "{foreign:#}");
    let foreign_number = foreign["website_numbers"][0].as_str().unwrap().to_owned();
    assert_eq!(
        w.gate_state("liming-photo.cn").await.as_deref(),
        Some("filed_elsewhere")
    );
    assert_eq!(
        api.post("/api/v1/registry/filings", Some(&liming), Some(json!({})))
            .await
            .0,
        403
    );
    let liming_sns = w.service_numbers("i-liming", "liming", &liming, 1).await;
    let mut transfer = liming_app.clone();
    transfer["websites"][0]["service_number"] = json!(liming_sns[0]);
    let id = w.create(&liming, &transfer, "transfer").await;
    // A gate following the feed is woken by the approval (long poll).
    let (head, _) = w.gate_after(0).await;
    let waiting = {
        let api = api.clone();
        tokio::spawn(async move {
            api.get(
                &format!("/api/v1/gate/changes?after={head}&wait=20"),
                Some(GATE_TOKEN),
            )
            .await
        })
    };
    let approved = w.file(id, &liming, liming_credential).await;
    assert_eq!(approved["website_numbers"], json!([foreign_number]));
    let (status, feed) = tokio::time::timeout(std::time::Duration::from_secs(15), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(feed["changes"][0]["domain"], "liming-photo.cn", "{feed:#}");
    assert_eq!(feed["changes"][0]["state"], "allow");

    // ---- add_website_elsewhere: the subject is filed with another provider; one website only ---
    let wangfang_credential = "320102199205050022";
    let (status, body) = api
        .post(
            "/api/v1/registry/filings",
            Some(&w.administration),
            Some(json!({"provider": "another-cloud", "province": "32",
                        "subject": {"nature": "individual", "name": "王芳", "credential_type": "resident_id",
                                    "credential": wangfang_credential},
                        "websites": [{"name": "王芳的博客", "domains": ["wangfang-old.cn"]}]})),
        )
        .await;
    assert_eq!(status, 201, "{body:#}");
    let wangfang_sns = w
        .service_numbers("i-wangfang", "wangfang", &wangfang, 2)
        .await;
    wf["websites"][0]["service_number"] = json!(wangfang_sns[0]);
    let mut second = wf["websites"][0].clone();
    second["domains"] = json!(["wangfang-photos.cn"]);
    second["homepage"] = json!(null);
    second["service_number"] = json!(wangfang_sns[1]);
    let mut two = wf.clone();
    two["websites"] = json!([wf["websites"][0].clone(), second]);
    let (_, o) = api
        .post(
            "/api/v1/orders",
            Some(&wangfang),
            Some(json!({"application": two})),
        )
        .await;
    assert_eq!(o["filing_type"], "add_website_elsewhere");
    let errors = errors_of(&o);
    assert!(
        errors.contains(&"MULTIPLE_WEBSITES_NOT_ALLOWED".into()),
        "{errors:?}"
    );
    // …and the credential was blacklisted above: it can never file again.
    assert!(
        errors.contains(&"CREDENTIAL_BLACKLISTED".into()),
        "{errors:?}"
    );
    assert_eq!(
        api.post(
            &format!("/api/v1/orders/{}/submit", o["id"]),
            Some(&wangfang),
            None
        )
        .await
        .0,
        409
    );

    // ---- rectification: overdue notice cancels access here --------------------------------------
    let (status, notice) = api
        .post(
            "/api/v1/rectifications",
            Some(&w.supervisor),
            Some(json!({"subject_number": subject, "reason": "网站负责人手机号码已变更，请核实", "working_days": 3})),
        )
        .await;
    assert_eq!(status, 201, "{notice:#}");
    assert_eq!(
        api.post(
            "/api/v1/rectifications",
            Some(&yunfan),
            Some(json!({"subject_number": subject, "reason": "x", "working_days": 3}))
        )
        .await
        .0,
        403
    );
    let (_, mine) = api.get("/api/v1/rectifications", Some(&yunfan)).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine:#}");
    let (_, theirs) = api.get("/api/v1/rectifications", Some(&liming)).await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);
    let jobs = beian_server::service::jobs::run_due(&w.state, now + time::Duration::days(30))
        .await
        .unwrap();
    assert_eq!(
        jobs.rectifications_overdue,
        vec![notice["id"].as_i64().unwrap()]
    );
    assert_eq!(
        w.gate_state("yunfan.cn").await.as_deref(),
        Some("access_cancelled")
    );
    assert_eq!(w.query("domain", "yunfan.cn").await["outcome"], "filed");
    // The subject's applicant heard of the notice and of its consequence, with the deadline.
    let (_, feed) = api.get("/api/v1/events?limit=1000", Some(&yunfan)).await;
    let rectification: Vec<&Value> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"].as_str().unwrap().starts_with("rectification."))
        .collect();
    assert_eq!(
        rectification
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["rectification.notified", "rectification.overdue"],
        "{feed:#}"
    );
    assert!(rectification[0]["data"]["deadline"].is_string());
    let (_, feed) = api.get("/api/v1/events?limit=1000", Some(&liming)).await;
    assert!(
        feed["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["kind"].as_str().unwrap().starts_with("rectification.")),
        "{feed:#}"
    );

    // ---- revocation by the administration ------------------------------------------------------
    let (status, body) = api
        .post(
            "/api/v1/registry/revocations",
            Some(&w.administration),
            Some(json!({"number": format!("{subject}-1"), "reason": "虚假备案"})),
        )
        .await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(w.gate_state("yunfan.cn").await.as_deref(), Some("revoked"));
    assert_eq!(w.query("domain", "yunfan.cn").await["outcome"], "not_filed");

    // ---- cancel_subject: every website of the subject goes --------------------------------------
    let mut gone = liming_app.clone();
    gone["filing_type"] = json!("cancel_subject");
    let id = w.create(&liming, &gone, "cancel_subject").await;
    w.file(id, &liming, liming_credential).await;
    assert_eq!(w.gate_state("liming-photo.cn").await, None);
    assert_eq!(
        w.query("credential", liming_credential).await["outcome"],
        "not_filed"
    );
    // The feed never goes backwards and holds every change in order.
    let (last, all) = w.gate_after(0).await;
    assert_eq!(all.len() as i64, last);

    drop(server);
    w.store.close().await;
    w.state.store.close().await;
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filing_type_on_sqlite() {
    every_filing_type("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filing_type_on_postgres() {
    if common::skip_postgres() {
        return;
    }
    every_filing_type("postgres").await;
}

/// Two server instances running the jobs at once on one database: each transition is applied
/// once.
async fn jobs_on_two_instances(kind: &str) {
    let db = Database::new(kind, "two_instances").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000", "--jobs-interval", "0"]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let supervisor = api.account(&store, "sup", "supervisor").await;
    let applicant = api.account(&store, "liming", "applicant").await;
    let (status, _) = api
        .post(
            "/api/v1/products",
            Some(&supervisor),
            Some(json!({"instance_id": "i-l", "owner": "liming", "kind": "ecs", "region": "mainland",
                        "billing": "subscription", "expires": "2099-01-01", "public_bandwidth": true})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, sn) = api
        .post(
            "/api/v1/products/i-l/service-numbers",
            Some(&applicant),
            None,
        )
        .await;
    let mut app = example("valid-individual-beijing.json")["application"].take();
    app["websites"][0]["service_number"] = sn["service_number"].clone();
    let (status, o) = api
        .post(
            "/api/v1/orders",
            Some(&applicant),
            Some(json!({"application": app})),
        )
        .await;
    assert_eq!(status, 201, "{o:#}");
    let id = o["id"].as_i64().unwrap();
    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{id}/submit"),
            Some(&applicant),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let later = OffsetDateTime::now_utc() + time::Duration::days(46);
    let a =
        beian_server::AppState::new(beian_store::Store::connect(&db.url).await.unwrap()).unwrap();
    let b =
        beian_server::AppState::new(beian_store::Store::connect(&db.url).await.unwrap()).unwrap();
    let (ra, rb) = tokio::join!(
        beian_server::service::jobs::run_due(&a, later),
        beian_server::service::jobs::run_due(&b, later)
    );
    let expired: Vec<i64> = ra
        .unwrap()
        .expired
        .into_iter()
        .chain(rb.unwrap().expired)
        .collect();
    assert_eq!(expired, vec![id]);
    let (_, order) = api
        .get(&format!("/api/v1/orders/{id}"), Some(&applicant))
        .await;
    assert_eq!(order["state"], "expired");
    let expiries = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "Expire")
        .count();
    assert_eq!(expiries, 1);
    drop(server);
    a.store.close().await;
    b.store.close().await;
    store.close().await;
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_on_two_instances_on_sqlite() {
    jobs_on_two_instances("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_on_two_instances_on_postgres() {
    if common::skip_postgres() {
        return;
    }
    jobs_on_two_instances("postgres").await;
}
