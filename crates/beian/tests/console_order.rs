//! The console's order pages over HTTP against `beian demo`: the list, the status page (state,
//! exactly the service's actions, timeline), withdrawal behind a confirmation and the CSRF field,
//! uploads through the page (stored, shown in the slot, previewed; refusals beside the slot),
//! the SMS verification page with the code from the administration's outbox, the approved order's
//! numbers, `/filed` with the footer snippet, and another applicant's 404s.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Api, image, spawn_demo, temp_dir};
use reqwest::redirect::Policy;
use serde_json::json;

/// A browser-like session: the cookies of `POST /login` sent back by hand (they are `Secure`,
/// which a cookie jar would not send over plain HTTP), and the CSRF value the forms repeat.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Browser {
    async fn login(base: &str, login: &str) -> Browser {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        let r = client
            .post(format!("{base}/login"))
            .form(&[("login", login), ("password", "demo-applicant-pass")])
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
        assert!(!csrf.is_empty(), "no CSRF cookie");
        Browser {
            client,
            base: base.to_owned(),
            cookie: pairs.join("; "),
            csrf,
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A form post; returns status, `Location` and body.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (r.status().as_u16(), location, r.text().await.unwrap())
    }

    /// The page's upload form for a slot, as a browser sends it.
    async fn upload(
        &self,
        order: i64,
        csrf: Option<&str>,
        kind: &str,
        website: &str,
        bytes: Vec<u8>,
    ) -> (u16, String, String) {
        let mut form = reqwest::multipart::Form::new();
        if let Some(c) = csrf {
            form = form.text("csrf", c.to_owned());
        }
        form = form
            .text("kind", kind.to_owned())
            .text("website", website.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("scan.png"),
            );
        let r = self
            .client
            .post(format!("{}/orders/{order}/documents", self.base))
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (r.status().as_u16(), location, r.text().await.unwrap())
    }
}

/// HTML text with the entities askama writes turned back into characters.
fn unescape(html: &str) -> String {
    html.replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The `data-state` of the page's `#order-state` badge.
fn page_state(html: &str) -> String {
    let i = html.find("id=\"order-state\"").expect("no #order-state");
    let rest = &html[i..];
    let j = rest.find("data-state=\"").unwrap() + "data-state=\"".len();
    rest[j..j + rest[j..].find('"').unwrap()].to_owned()
}

/// The `action-…` ids on a page, in order.
fn page_actions(html: &str) -> Vec<String> {
    html.match_indices("id=\"action-")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .filter(|a| a != "sms")
        .collect()
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

/// The id of `login`'s (only) demo order.
async fn demo_order(api: &Api, applicant: &str) -> i64 {
    let (status, list) = api.get("/api/v1/orders", Some(applicant)).await;
    assert_eq!(status, 200, "{list:#}");
    list[0]["id"].as_i64().unwrap()
}

/// The actions of the order as the API gives them to its applicant.
async fn api_actions(api: &Api, applicant: &str, id: i64) -> (String, Vec<String>) {
    let (status, o) = api
        .get(&format!("/api/v1/orders/{id}"), Some(applicant))
        .await;
    assert_eq!(status, 200, "{o:#}");
    let actions = o["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    (o["state"].as_str().unwrap().to_owned(), actions)
}

#[tokio::test]
async fn the_order_pages_follow_an_order_from_verification_to_its_numbers() {
    let dir = temp_dir("console-order");
    let database = format!("sqlite://{}", dir.join("demo.db").display());
    let (server, _) = spawn_demo(&database, &dir.join("documents"), &[]);
    let api = Api::new(&server);
    let yunfan = token(&api, "yunfan", "demo-applicant-pass").await;
    let liming = token(&api, "liming", "demo-applicant-pass").await;
    let wangfang = token(&api, "wangfang", "demo-applicant-pass").await;
    let reviewer = token(&api, "reviewer", "demo-reviewer-pass").await;
    let guanju = token(&api, "guanju", "demo-administration-pass").await;

    let page = Browser::login(&server.base, "wangfang").await;
    let other = Browser::login(&server.base, "liming").await;

    // The list links the caller's orders and a new filing.
    let w_id = demo_order(&api, &wangfang).await;
    let (status, html) = page.get("/orders").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("class=\"order-link\" href=\"/orders/{w_id}\"")),
        "{html}"
    );
    assert!(html.contains("href=\"/check\""));

    // The status page: the state and exactly the service's actions.
    let (status, html) = page.get(&format!("/orders/{w_id}")).await;
    assert_eq!(status, 200);
    let (state, actions) = api_actions(&api, &wangfang, w_id).await;
    assert_eq!(page_state(&html), state);
    assert_eq!(page_actions(&html), actions);
    assert!(html.contains("<ol class=\"timeline\">"));
    assert!(html.contains("<section id=\"documents\""));
    assert!(html.contains("hx-get=\"/orders/"));
    assert!(!html.contains("account:"), "no account ids on the page");

    // Uploading through the page: the CSRF field first, the content judged by the service.
    let png = image("png", 16, 12);
    let (status, _, _) = page
        .upload(w_id, None, "subject_credential", "", png.clone())
        .await;
    assert_eq!(status, 403, "an upload without the CSRF field");
    let (status, _, html) = page
        .upload(
            w_id,
            Some(&page.csrf),
            "subject_credential",
            "",
            b"<html>not an image</html>".to_vec(),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"error-subject_credential--1\""),
        "the refusal is shown beside its slot: {html}"
    );
    let (_, v) = api
        .get(&format!("/api/v1/orders/{w_id}/documents"), Some(&wangfang))
        .await;
    assert!(v["documents"].as_array().unwrap().is_empty(), "{v:#}");
    let (status, location, _) = page
        .upload(
            w_id,
            Some(&page.csrf),
            "subject_credential",
            "",
            png.clone(),
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/orders/{w_id}#documents"));
    let (_, v) = api
        .get(&format!("/api/v1/orders/{w_id}/documents"), Some(&wangfang))
        .await;
    let doc = v["documents"][0]["id"].as_i64().unwrap();
    let slot = v["required"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "subject_credential")
        .unwrap();
    assert_eq!(slot["status"], "pending");
    let (_, html) = page.get(&format!("/orders/{w_id}")).await;
    assert!(html.contains("id=\"status-subject_credential--1\""));
    assert!(html.contains("data-status=\"pending\""));
    assert!(html.contains(&format!(
        "class=\"preview\" src=\"/orders/{w_id}/documents/{doc}\""
    )));
    let r = page
        .client
        .get(format!("{}/orders/{w_id}/documents/{doc}", page.base))
        .header("cookie", &page.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    // A rejected document shows its reason and what to do.
    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{w_id}/documents/{doc}/review"),
            Some(&reviewer),
            Some(json!({"decision": "reject", "reason": "P02", "note": "too dark"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, html) = page.get(&format!("/orders/{w_id}")).await;
    assert!(
        html.contains("id=\"reason-subject_credential--1\""),
        "{html}"
    );
    assert!(html.contains("too dark"));

    // Another applicant: 404 on the order, its document and its SMS page.
    for path in [
        format!("/orders/{w_id}"),
        format!("/orders/{w_id}/documents/{doc}"),
        format!("/orders/{w_id}/sms"),
    ] {
        let (status, _) = other.get(&path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _, _) = other
        .upload(
            w_id,
            Some(&other.csrf),
            "subject_credential",
            "",
            png.clone(),
        )
        .await;
    assert_eq!(status, 404);

    // Submit and withdraw through the pages (liming's draft).
    let l_id = demo_order(&api, &liming).await;
    let (_, html) = other.get(&format!("/orders/{l_id}")).await;
    let (_, actions) = api_actions(&api, &liming, l_id).await;
    assert_eq!(page_actions(&html), actions);
    assert!(actions.contains(&"submit".to_owned()), "{actions:?}");
    assert!(html.contains(&format!("href=\"/orders/{l_id}/edit\"")));
    let (status, location, _) = other
        .post(
            &format!("/orders/{l_id}/submit"),
            &[("csrf", other.csrf.as_str())],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/orders/{l_id}").as_str())
    );
    let (_, html) = other.get(&format!("/orders/{l_id}")).await;
    assert_eq!(page_state(&html), "provider_review");
    assert_eq!(page_actions(&html), ["withdraw"]);
    let (status, _, _) = other
        .post(&format!("/orders/{l_id}/withdraw"), &[("confirm", "yes")])
        .await;
    assert_eq!(status, 403, "withdrawal needs the CSRF field");
    let (status, _, html) = other
        .post(
            &format!("/orders/{l_id}/withdraw"),
            &[("csrf", other.csrf.as_str())],
        )
        .await;
    assert_eq!(status, 200, "the button leads to the confirmation page");
    assert!(html.contains("id=\"confirm-withdraw\""));
    let (status, html) = other.get(&format!("/orders/{l_id}/withdraw")).await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"confirm\" value=\"yes\""));
    let (status, _, _) = other
        .post(
            &format!("/orders/{l_id}/withdraw"),
            &[("csrf", other.csrf.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 303);
    let (state, _) = api_actions(&api, &liming, l_id).await;
    assert_eq!(state, "withdrawn");

    // yunfan's Zhejiang order through review, verification, SMS and approval.
    let yun = Browser::login(&server.base, "yunfan").await;
    let y_id = demo_order(&api, &yunfan).await;
    let (status, o) = api
        .post(
            &format!("/api/v1/orders/{y_id}/pass"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(status, 200, "{o:#}");
    let o = api.verify_all(y_id, &yunfan, &reviewer).await;
    assert_eq!(o["state"], "ready_for_administration", "{o:#}");
    let (status, o) = api
        .post(
            &format!("/api/v1/orders/{y_id}/submit-to-administration"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(
        (status, o["state"].as_str()),
        (200, Some("sms_verification"))
    );
    let (_, html) = yun.get(&format!("/orders/{y_id}")).await;
    assert!(html.contains(&format!("id=\"action-sms\" href=\"/orders/{y_id}/sms\"")));
    let (status, html) = yun.get(&format!("/orders/{y_id}/sms")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"sms-code\""));
    assert!(html.contains("139****0000"), "the mobile, masked: {html}");
    assert!(!html.contains("13906710000"));
    let (status, outbox) = api.get("/api/v1/registry/sms-outbox", Some(&guanju)).await;
    assert_eq!(status, 200);
    let text = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["order_id"] == y_id)
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let code: String = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, _, html) = yun
        .post(
            &format!("/orders/{y_id}/sms"),
            &[("csrf", yun.csrf.as_str()), ("code", wrong)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"sms-error\""), "{html}");
    let (status, location, _) = yun
        .post(
            &format!("/orders/{y_id}/sms"),
            &[("csrf", yun.csrf.as_str()), ("code", code.as_str())],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/orders/{y_id}").as_str())
    );
    let (_, html) = yun.get(&format!("/orders/{y_id}")).await;
    assert_eq!(page_state(&html), "administration_review");
    assert!(page_actions(&html).is_empty());

    // Notifications: the poll answers 204 until an event about the order commits.
    let after = {
        let i = html.find("/updates?after=").unwrap() + "/updates?after=".len();
        html[i..i + html[i..].find('"').unwrap()].to_owned()
    };
    let (status, _) = yun
        .get(&format!("/orders/{y_id}/updates?after={after}"))
        .await;
    assert_eq!(status, 204);

    let (status, approved) = api
        .post(
            &format!("/api/v1/orders/{y_id}/approve"),
            Some(&guanju),
            None,
        )
        .await;
    assert_eq!(status, 200, "{approved:#}");
    let (status, html) = yun
        .get(&format!("/orders/{y_id}/updates?after={after}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"notifications\""));
    assert!(html.contains("aria-live=\"polite\""));

    let subject_number = approved["subject_number"].as_str().unwrap();
    let (_, html) = yun.get(&format!("/orders/{y_id}")).await;
    assert_eq!(page_state(&html), "approved");
    assert!(html.contains(&format!(
        "<span id=\"subject-number\" translate=\"no\">{subject_number}</span>"
    )));
    for n in approved["website_numbers"].as_array().unwrap() {
        let n = n.as_str().unwrap();
        assert!(
            html.contains(&format!(
                "<span class=\"website-number\" translate=\"no\">{n}</span>"
            )),
            "{n}: {html}"
        );
    }

    // /filed: the numbers, the footer snippet (escaped), the changes started from the website.
    let (status, html) = yun.get("/filed").await;
    assert_eq!(status, 200);
    let first = approved["website_numbers"][0].as_str().unwrap();
    // The snippet is text in the page (escaped), the link once copied.
    assert!(
        !html.contains(
            "<a href=\"https://beian.miit.gov.cn/\" target=\"_blank\" rel=\"noopener\">浙"
        )
    );
    let snippet = {
        let i = html
            .find("<pre class=\"snippet\" id=\"snippet-1\"")
            .unwrap();
        let rest = &html[i..];
        let start = rest.find('>').unwrap() + 1;
        unescape(&rest[start..rest.find("</pre>").unwrap()])
    };
    assert_eq!(
        snippet,
        format!(
            "<a href=\"https://beian.miit.gov.cn/\" target=\"_blank\" rel=\"noopener\">{first}</a>"
        )
    );
    assert!(html.contains("data-copy=\"snippet-1\""));
    let text = unescape(&html);
    assert!(text.contains("/orders/new?type=change_website&website="));
    assert!(text.contains("/orders/new?type=cancel_website&website="));
    // Another applicant sees none of it.
    let (_, html) = other.get("/filed").await;
    assert!(!html.contains(first));

    // A rectification notice shows with its deadline.
    let supervisor = token(&api, "supervisor", "demo-supervisor-pass").await;
    let (status, n) = api
        .post(
            "/api/v1/rectifications",
            Some(&supervisor),
            Some(json!({"subject_number": subject_number, "reason": "更新联系方式", "deadline": "2099-01-31"})),
        )
        .await;
    assert_eq!(status, 201, "{n:#}");
    let (_, html) = yun.get("/filed").await;
    assert!(
        html.contains(&format!("id=\"notice-{}\"", n["id"])),
        "{html}"
    );
    assert!(html.contains("2099-01-31 23:59"), "{html}");
}

/// `/products`: the applicant's instances with the quota used, each number's state, the exact
/// reasons an instance cannot carry a filing; applying for a number behind the CSRF field; a
/// refusal on the ineligible instance; another applicant's instance is not found.
#[tokio::test]
async fn the_products_page_shows_instances_and_issues_service_numbers() {
    let dir = temp_dir("console-products");
    let database = format!("sqlite://{}", dir.join("demo.db").display());
    let (server, _) = spawn_demo(&database, &dir.join("documents"), &[]);
    let yunfan = Browser::login(&server.base, "yunfan").await;
    let liming = Browser::login(&server.base, "liming").await;

    let (status, html) = yunfan.get("/products").await;
    assert_eq!(status, 200);
    // The subscription instance is eligible, its numbers are named by the demo order (in review).
    assert!(html.contains("id=\"instance-i-yunfan-01\""), "{html}");
    let first = &html[html.find("id=\"instance-i-yunfan-01\"").unwrap()..];
    let first = &first[..first.find("</section>").unwrap()];
    assert!(first.contains("data-eligible=\"true\""));
    assert!(first.contains("data-state=\"filing\""), "{first}");
    assert!(first.contains("已用 2 / 共 5"), "{first}");
    // The pay-as-you-go one says why it cannot file, and offers no form.
    let second = &html[html.find("id=\"instance-i-yunfan-02\"").unwrap()..];
    let second = &second[..second.find("</section>").unwrap()];
    assert!(second.contains("data-eligible=\"false\""));
    assert!(second.contains("按量付费实例不能备案"), "{second}");
    assert!(!second.contains("form method=\"post\""));
    // liming sees only its own.
    let (_, other) = liming.get("/products").await;
    assert!(other.contains("i-liming-01") && !other.contains("i-yunfan"));

    // Applying needs the form's CSRF value.
    let (status, _, _) = yunfan.post("/products/i-yunfan-01/numbers", &[]).await;
    assert_eq!(status, 403);
    let (status, location, _) = yunfan
        .post("/products/i-yunfan-01/numbers", &[("csrf", &yunfan.csrf)])
        .await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/products?issued="), "{location}");
    let (_, html) = yunfan.get(&location).await;
    assert!(html.contains("id=\"products-issued\""));
    assert!(html.contains("已用 3 / 共 5"), "{html}");
    assert!(html.contains("class=\"fresh\""));
    assert!(html.contains("data-state=\"unbound\""));

    // The ineligible instance refuses, with the reason, in English when asked.
    let r = yunfan
        .client
        .post(format!("{}/products/i-yunfan-02/numbers", server.base))
        .header("cookie", format!("{}; beian_lang=en", yunfan.cookie))
        .form(&[("csrf", yunfan.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("pay-as-you-go instances cannot file"),
        "{body}"
    );
    // Another applicant's instance does not exist for liming.
    let (status, _, _) = liming
        .post("/products/i-yunfan-01/numbers", &[("csrf", &liming.csrf)])
        .await;
    assert_eq!(status, 404);
}
