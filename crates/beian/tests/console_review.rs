//! The staff consoles over HTTP against `beian demo`: the review queue by SLA deadline with a
//! breached order first and marked (its step entered ten days ago), filters and counts, claims;
//! the review page's actions and rejection form naming two fields; the diff after the applicant's
//! fix; a document accepted from the page; the administration's queue and approval; and every
//! staff page refused to the roles it is not for (the 403 page, nothing of the order in it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Api, image, spawn_demo, temp_dir};
use reqwest::Method;
use serde_json::json;

/// A browser without JavaScript: form posts with the CSRF value, cookies sent back by hand.
struct Session {
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

struct Answer {
    status: u16,
    location: String,
    body: String,
}

impl Session {
    async fn login(base: &str, login: &str, password: &str) -> Session {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = client
            .post(format!("{base}/login"))
            .form(&[("login", login), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "login as {login}");
        let mut pairs = Vec::new();
        let mut csrf = String::new();
        for v in r.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_owned();
            if let Some(value) = pair.strip_prefix("beian_csrf=") {
                csrf = value.to_owned();
            }
            pairs.push(pair);
        }
        Session {
            client,
            base: base.to_owned(),
            cookie: pairs.join("; "),
            csrf,
        }
    }

    async fn answer(r: reqwest::Response) -> Answer {
        Answer {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default(),
            body: r.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        Session::answer(r).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&fields)
            .send()
            .await
            .unwrap();
        Session::answer(r).await
    }
}

async fn token(api: &Api, login: &str, password: &str) -> String {
    let (status, s) = api
        .post(
            "/api/v1/sessions",
            None,
            Some(json!({"login": login, "password": password})),
        )
        .await;
    assert_eq!(status, 200, "{s:#}");
    s["token"].as_str().unwrap().to_owned()
}

/// The `id="queue-N"` rows of a queue page, in order.
fn queue_ids(html: &str) -> Vec<i64> {
    html.match_indices("<tr id=\"queue-")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_work_the_queue_and_reject_by_field() {
    let dir = temp_dir("console-review");
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let (server, _) = spawn_demo(&url, &docs, &[]);
    let api = Api::new(&server);
    let yunfan_token = token(&api, "yunfan", "demo-applicant-pass").await;
    let (yunfan, liming, wangfang) = (1, 2, 3);

    // A controlled clock: wangfang's order entered verification ten days ago.
    let store = beian_store::Store::connect(&url).await.unwrap();
    let long_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(10))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    store
        .execute_raw(&format!(
            "UPDATE orders SET updated_at = '{long_ago}' WHERE id = {wangfang}"
        ))
        .await
        .unwrap();
    store.close().await;

    let reviewer = Session::login(&server.base, "reviewer", "demo-reviewer-pass").await;
    let applicant = Session::login(&server.base, "yunfan", "demo-applicant-pass").await;
    let administration = Session::login(&server.base, "guanju", "demo-administration-pass").await;

    // The queue: the breached order first and marked; the draft is not in it.
    let q = reviewer.get("/review").await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(queue_ids(&q.body), [wangfang, yunfan]);
    assert!(
        q.body
            .contains(&format!("<tr id=\"queue-{wangfang}\" class=\"overdue\""))
    );
    assert!(q.body.contains("id=\"count-breached\">1<"));
    assert!(!q.body.contains(&format!("queue-{liming}\"")));
    let q = reviewer.get("/review?breached=1").await;
    assert_eq!(queue_ids(&q.body), [wangfang]);
    let q = reviewer.get("/review?state=provider_review").await;
    assert_eq!(queue_ids(&q.body), [yunfan]);

    // Claimed, the order is "mine".
    let a = reviewer
        .post(&format!("/review/orders/{yunfan}/claim"), &[])
        .await;
    assert_eq!(
        (a.status, a.location.as_str()),
        (303, "/review/orders/1"),
        "{}",
        a.body
    );
    let q = reviewer.get("/review?mine=1").await;
    assert_eq!(queue_ids(&q.body), [yunfan]);
    // Without the form's CSRF value nothing happens.
    let r = reviewer
        .client
        .post(format!("{}/review/orders/{yunfan}/step/pass", server.base))
        .header("cookie", &reviewer.cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The review page: the workflow's actions, the fields with their marks, the reject form.
    let p = reviewer.get(&format!("/review/orders/{yunfan}")).await;
    assert_eq!(p.status, 200);
    for needle in [
        "id=\"action-pass\"",
        "id=\"action-release\"",
        "id=\"reject-form\"",
        "name=\"field\" value=\"websites[0].name\"",
        "name=\"field\" value=\"subject.admin.mobile\"",
    ] {
        assert!(p.body.contains(needle), "no {needle}");
    }
    assert!(!p.body.contains("id=\"action-approve\""));

    // An empty rejection is refused on the page; one naming two fields sends it back.
    let a = reviewer
        .post(&format!("/review/orders/{yunfan}/reject"), &[])
        .await;
    assert_eq!(a.status, 422);
    assert!(a.body.contains("id=\"review-alert\""));
    let a = reviewer
        .post(
            &format!("/review/orders/{yunfan}/reject"),
            &[
                ("field", "websites[0].name"),
                ("reason:websites[0].name", "R02"),
                ("note:websites[0].name", "名称须体现网站内容"),
                ("field", "subject.admin.mobile"),
                ("reason:subject.admin.mobile", "P04"),
                ("note:subject.admin.mobile", "号码无法接通"),
            ],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let (_, o) = api
        .get(&format!("/api/v1/orders/{yunfan}"), Some(&yunfan_token))
        .await;
    assert_eq!(o["state"], "draft");
    assert_eq!(
        o["rejection"]["open_fields"],
        json!(["websites[0].name", "subject.admin.mobile"])
    );

    // The applicant fixes the name and resubmits; the reviewer sees exactly that change.
    let mut app = o["application"].clone();
    app["websites"][0]["name"] = json!("云帆科技产品介绍");
    let (status, body) = api
        .call(
            Method::PUT,
            &format!("/api/v1/orders/{yunfan}"),
            Some(&yunfan_token),
            Some(json!({"application": app})),
        )
        .await;
    assert_eq!(status, 200, "{body:#}");
    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{yunfan}/submit"),
            Some(&yunfan_token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let p = reviewer.get(&format!("/review/orders/{yunfan}")).await;
    assert!(p.body.contains("id=\"changes\""));
    assert!(p.body.contains("data-path=\"websites[0].name\""));
    assert!(p.body.contains("云帆科技产品介绍"));

    // Passed; the applicant uploads; the reviewer accepts a document from the page.
    let a = reviewer
        .post(&format!("/review/orders/{yunfan}/step/pass"), &[])
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let (status, d) = api
        .upload(
            yunfan,
            &yunfan_token,
            "subject_credential",
            None,
            None,
            "licence.png",
            image("png", 32, 24),
        )
        .await;
    assert_eq!(status, 201, "{d:#}");
    let p = reviewer.get(&format!("/review/orders/{yunfan}")).await;
    assert!(
        p.body
            .contains(&format!("src=\"/orders/{yunfan}/documents/{}\"", d["id"]))
    );
    // A rejection of a document needs its reason.
    let a = reviewer
        .post(
            &format!("/review/orders/{yunfan}/documents/{}", d["id"]),
            &[("decision", "reject")],
        )
        .await;
    assert_eq!(a.status, 422);
    let a = reviewer
        .post(
            &format!("/review/orders/{yunfan}/documents/{}", d["id"]),
            &[("decision", "accept")],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let (_, v) = api
        .get(
            &format!("/api/v1/orders/{yunfan}/documents"),
            Some(&yunfan_token),
        )
        .await;
    assert!(
        v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == d["id"] && x["status"] == "accepted"),
        "{v:#}"
    );

    // Each staff page refuses the roles it is not for, with nothing of the orders in the page.
    for (who, path) in [
        (&applicant, "/review".to_owned()),
        (&applicant, format!("/review/orders/{wangfang}")),
        (&applicant, "/administration".to_owned()),
        (&administration, "/review".to_owned()),
        (&reviewer, "/administration".to_owned()),
    ] {
        let a = who.get(&path).await;
        assert_eq!(a.status, 403, "{path}");
        assert!(
            !a.body.contains("queue-") && !a.body.contains("王芳"),
            "{path}"
        );
    }
    let a = applicant
        .post(&format!("/review/orders/{wangfang}/claim"), &[])
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(administration.get("/administration/sms").await.status, 200);
    assert_eq!(reviewer.get("/administration/sms").await.status, 403);
    let a = administration.get("/administration").await;
    assert_eq!(a.status, 200);
    assert!(
        a.body.contains("id=\"queue-empty\""),
        "nothing in its review yet"
    );

    // The audit trail: the reviewer's reads and actions on the order, from where, with how they
    // ended; supervisors only.
    let supervisor_token = token(&api, "supervisor", "demo-supervisor-pass").await;
    let reviewer_token = token(&api, "reviewer", "demo-reviewer-pass").await;
    let (status, trail) = api
        .get(
            &format!("/api/v1/audit?login=reviewer&order={yunfan}"),
            Some(&supervisor_token),
        )
        .await;
    assert_eq!(status, 200, "{trail:#}");
    let actions: Vec<(String, i64)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["login"], "reviewer");
            assert_eq!(e["ip"], "127.0.0.1");
            (
                e["action"].as_str().unwrap().to_owned(),
                e["status"].as_i64().unwrap(),
            )
        })
        .collect();
    for (action, status) in [
        ("console POST /review/orders/{id}/claim", 303),
        ("console POST /review/orders/{id}/reject", 422),
        ("console POST /review/orders/{id}/reject", 303),
        ("console POST /review/orders/{id}/step/pass", 303),
        ("console POST /review/orders/{id}/documents/{id}", 303),
        ("console GET /review/orders/{id}", 200),
    ] {
        assert!(
            actions.contains(&(action.to_owned(), status)),
            "no {action} {status} in {actions:?}"
        );
    }
    // The applicant's own requests are not kept.
    let (_, none) = api
        .get("/api/v1/audit?login=yunfan", Some(&supervisor_token))
        .await;
    assert_eq!(none, json!([]));
    let (status, _) = api.get("/api/v1/audit", Some(&reviewer_token)).await;
    assert_eq!(status, 403);
    // API reads of an application are kept too.
    let (status, _) = api
        .get(&format!("/api/v1/orders/{liming}"), Some(&reviewer_token))
        .await;
    assert_eq!(status, 200);
    let (_, trail) = api
        .get(
            &format!("/api/v1/audit?order={liming}"),
            Some(&supervisor_token),
        )
        .await;
    assert_eq!(trail[0]["action"], "getOrder", "{trail:#}");
    let supervisor = Session::login(&server.base, "supervisor", "demo-supervisor-pass").await;
    let a = supervisor
        .get(&format!("/audit?login=reviewer&order={yunfan}"))
        .await;
    assert_eq!(a.status, 200);
    assert!(
        a.body.matches("class=\"audit-row\"").count() >= 6,
        "{}",
        a.body
    );
    assert_eq!(reviewer.get("/audit").await.status, 403);

    // The dashboard: the breached order counted, the steps timed, supervisors only.
    let (status, d) = api.get("/api/v1/dashboard", Some(&supervisor_token)).await;
    assert_eq!(status, 200, "{d:#}");
    assert_eq!(d["breached_provider"], 1, "{d:#}");
    let count = |state: &str| {
        d["by_state"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["state"] == state)
            .unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count("verification"), 2, "wangfang's and yunfan's");
    assert_eq!(count("draft"), 1, "liming's");
    let review = &d["durations"][0];
    assert_eq!(review["step"], "provider_review");
    assert!(review["count"].as_i64().unwrap() >= 2, "{review:#}");
    assert_eq!(d["per_day"].as_array().unwrap().len(), 30);
    let a = supervisor.get("/dashboard").await;
    assert_eq!(a.status, 200);
    for id in [
        "chart-states",
        "chart-durations",
        "chart-days",
        "dash-breached-provider\">1<",
    ] {
        assert!(a.body.contains(id), "no {id}");
    }
    assert_eq!(reviewer.get("/dashboard").await.status, 403);
    let (status, _) = api.get("/api/v1/dashboard", Some(&reviewer_token)).await;
    assert_eq!(status, 403);

    // Staff accounts: a supervisor creates a reviewer (a short password is refused on the form,
    // naming the field, with what was typed kept), disables it (its login is refused) and enables it.
    let a = supervisor
        .post(
            "/staff",
            &[
                ("login", "zhouqi"),
                ("password", "short"),
                ("role", "reviewer"),
                ("display_name", "周琪"),
            ],
        )
        .await;
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("id=\"staff-alert\"") && a.body.contains("value=\"zhouqi\""));
    let a = supervisor
        .post(
            "/staff",
            &[
                ("login", "zhouqi"),
                ("password", "zhouqi-initial-pass"),
                ("role", "reviewer"),
                ("display_name", "周琪"),
            ],
        )
        .await;
    assert_eq!(
        (a.status, a.location.as_str()),
        (303, "/staff?done=zhouqi"),
        "{}",
        a.body
    );
    let zhouqi = Session::login(&server.base, "zhouqi", "zhouqi-initial-pass").await;
    assert_eq!(zhouqi.get("/review").await.status, 200);
    let a = supervisor.post("/staff/zhouqi/disable", &[]).await;
    assert_eq!(a.status, 303);
    assert_eq!(zhouqi.get("/review").await.status, 303, "the session ended");
    let a = supervisor.get("/staff").await;
    assert!(a.body.contains("id=\"enable-zhouqi\""));
    assert!(
        !a.body.contains("id=\"disable-supervisor\""),
        "no button to disable oneself"
    );
    let a = supervisor.post("/staff/supervisor/disable", &[]).await;
    assert_eq!(a.status, 409);
    let a = supervisor.post("/staff/zhouqi/enable", &[]).await;
    assert_eq!(a.status, 303);
    assert_eq!(reviewer.get("/staff").await.status, 403);
    assert_eq!(
        reviewer.post("/staff/zhouqi/disable", &[]).await.status,
        403
    );
}
