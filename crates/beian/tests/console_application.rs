//! The application form over HTTP, against `beian demo`: a draft with a wrong field shows the
//! rule's finding beside that field, submitting is refused until it is fixed, then the order goes
//! to the provider's review; the field check answers its fragment; another applicant gets 404;
//! a form without its CSRF value is refused; the address pickers and the website buttons work
//! without JavaScript.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::{Api, spawn_demo, temp_dir};

/// A browser without JavaScript: form posts, no redirects followed, cookies kept by hand (the
/// session cookie is `Secure`, which a cookie store would not send to http://127.0.0.1).
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

struct Answer {
    status: u16,
    location: String,
    body: String,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> Answer {
        let r = rb
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Answer {
            status,
            location,
            body: r.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let rb = self.client.get(format!("{}{path}", self.base));
        self.send(rb).await
    }

    async fn post(&mut self, path: &str, form: &[(String, String)]) -> Answer {
        let rb = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(rb).await
    }

    fn csrf(&self) -> String {
        self.cookies.get("beian_csrf").cloned().unwrap_or_default()
    }

    async fn login(&mut self, login: &str, password: &str) {
        let a = self
            .post(
                "/login",
                &[
                    ("login".to_owned(), login.to_owned()),
                    ("password".to_owned(), password.to_owned()),
                ],
            )
            .await;
        assert_eq!(a.status, 303, "{}", a.body);
        assert!(!self.csrf().is_empty(), "no CSRF cookie after login");
    }
}

/// An 18-character resident ID number (Hangzhou, Xihu) with its check character.
fn resident_id(n: u32) -> String {
    let first17 = format!("33010619900101{:03}", n % 1000);
    let check = beian_rules::validate::mod11_2_check(first17.as_bytes()).unwrap();
    format!("{first17}{}", check as char)
}

/// The same number with a wrong check character.
fn wrong_check(id: &str) -> String {
    let (head, last) = id.split_at(17);
    let other = if last == "1" { "2" } else { "1" };
    format!("{head}{other}")
}

/// The form of a Zhejiang individual's application, as a browser would post it.
fn form(csrf: &str, action: &str, id: &str, domain: &str, sn: &str) -> Vec<(String, String)> {
    let mut f: Vec<(&str, String)> = vec![
        ("csrf", csrf.to_owned()),
        ("action", action.to_owned()),
        ("region.province", "33".into()),
        ("region.city", "杭州市".into()),
        ("region.district", "西湖区".into()),
        ("subject.nature", "individual".into()),
        ("subject.name", "赵磊".into()),
        ("subject.credential.type", "resident_id".into()),
        ("subject.credential.number", id.to_owned()),
        ("subject.credential_address", String::new()),
        (
            "subject.contact_address",
            "浙江省杭州市西湖区文三路200号1幢101室".into(),
        ),
        ("subject.address_remark", String::new()),
        ("subject.investor", "赵磊".into()),
        ("subject.legal_representative", String::new()),
        ("subject.admin.name", "赵磊".into()),
        ("subject.admin.credential.type", "resident_id".into()),
        ("subject.admin.credential.number", resident_id(301)),
        ("subject.admin.office_phone", "086-0571-88880000".into()),
        ("subject.admin.mobile", "13906710301".into()),
        ("subject.admin.email", "walker301@example.com".into()),
        ("websites[0].name", "赵磊的读书笔记".into()),
        ("websites[0].domains", format!("{domain}\n")),
        ("websites[0].homepage", format!("http://www.{domain}")),
        ("websites[0].service_content", "个人博客".into()),
        ("websites[0].service_number", sn.to_owned()),
        ("websites[0].remark", "记录读书心得，不含商业内容。".into()),
        ("websites[0].admin_same", "on".into()),
        ("websites[0].preapprovals[0].category", String::new()),
        ("websites[0].preapprovals[0].number", String::new()),
    ];
    // The subject's administrator is the subject here.
    for (k, v) in &mut f {
        if *k == "subject.admin.credential.number" {
            *v = id.to_owned();
        }
    }
    f.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn set(form: &mut [(String, String)], name: &str, value: &str) {
    for (k, v) in form.iter_mut() {
        if k == name {
            *v = value.to_owned();
        }
    }
}

/// The inner HTML of the findings box of field `id`.
fn findings_of<'a>(html: &'a str, id: &str) -> &'a str {
    let start = format!("id=\"{id}-findings\"");
    let i = html
        .find(&start)
        .unwrap_or_else(|| panic!("no findings box for {id}"));
    let rest = &html[i..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</div>").unwrap();
    &rest[open..close]
}

async fn token(api: &Api, login: &str, password: &str) -> String {
    let (status, s) = api
        .post(
            "/api/v1/sessions",
            None,
            Some(serde_json::json!({"login": login, "password": password})),
        )
        .await;
    assert_eq!(status, 200, "{s:#}");
    s["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_fills_saves_fixes_and_submits_the_form() {
    let dir = temp_dir("console-application");
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let (server, _) = spawn_demo(&url, &docs, &[]);
    let api = Api::new(&server);

    // A new applicant with a service number.
    let (status, body) = api
        .post(
            "/api/v1/accounts",
            None,
            Some(serde_json::json!({"login": "zhaolei", "password": "zhaolei password 1"})),
        )
        .await;
    assert_eq!(status, 201, "{body:#}");
    let owner = token(&api, "zhaolei", "zhaolei password 1").await;
    let supervisor = token(&api, "supervisor", "demo-supervisor-pass").await;
    let sn = api
        .service_number(&supervisor, "zhaolei", &owner, "i-form-test")
        .await;
    let sn = sn.as_str().unwrap().to_owned();

    let mut b = Browser::new(&server.base);
    b.login("zhaolei", "zhaolei password 1").await;
    let csrf = b.csrf();
    let id = resident_id(301);
    let domain = "zhaolei-form.cn";

    // The new form, prefilled from the filing-type check's link.
    let a = b
        .get(&format!(
            "/orders/new?domains={domain}&province=33&credential_type=resident_id&credential_number={id}"
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    for control in [
        "id=\"region-province\"",
        "id=\"subject-admin-mobile\"",
        "id=\"websites-0-domains\"",
        "id=\"websites-0-admin_same\"",
        "id=\"websites-0-preapprovals-0-category\"",
        "id=\"save-draft\"",
        "id=\"submit-order\"",
        "id=\"add-website\"",
        "id=\"form-findings\"",
        "for=\"subject-name\"",
        "hx-post=\"/orders/check-field?field=subject.name\"",
    ] {
        assert!(a.body.contains(control), "no {control} on the new form");
    }
    assert!(a.body.contains(&format!("value=\"{id}\"")));
    assert!(a.body.contains(&format!(">{domain}</textarea>")));
    assert!(a.body.contains("<option value=\"33\" selected>"));
    assert!(a.body.contains("value=\"杭州市\""), "the province's cities");

    // Saved with a wrong credential number: the finding is beside that field.
    let bad = wrong_check(&id);
    let mut f = form(&csrf, "save", &bad, domain, &sn);
    let a = b.post("/orders/new", &f).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let edit = a.location.split('?').next().unwrap().to_owned();
    assert!(
        edit.starts_with("/orders/") && edit.ends_with("/edit"),
        "{edit}"
    );
    let order: i64 = edit
        .trim_start_matches("/orders/")
        .trim_end_matches("/edit")
        .parse()
        .unwrap();
    let a = b.get(&a.location).await;
    assert_eq!(a.status, 200);
    let beside = findings_of(&a.body, "subject-credential-number");
    assert!(
        beside.contains("class=\"finding error\" data-rule=\"CREDENTIAL_CHECKSUM_INVALID\""),
        "{beside}"
    );
    assert!(a.body.contains("href=\"#subject-credential-number\""));
    assert!(findings_of(&a.body, "subject-name").is_empty());
    assert!(a.body.contains(&format!("value=\"{bad}\"")));
    assert!(a.body.contains("<option value=\"西湖区\" selected"));

    // The field check answers the fragment of one field, and the summary out of band.
    let mut g = f.clone();
    set(&mut g, "subject.admin.mobile", "1390671");
    let a = b
        .post(
            &format!("/orders/{order}/check-field?field=subject.admin.mobile"),
            &g,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.body
            .starts_with("<p class=\"finding error\" data-rule=\"MOBILE_FORMAT_INVALID\""),
        "{}",
        a.body
    );
    assert!(a.body.contains("id=\"form-findings\""));
    assert!(a.body.contains("hx-swap-oob=\"true\""));
    assert!(!a.body.contains("<html"));
    let a = b
        .post("/orders/check-field?field=subject.admin.mobile", &f)
        .await;
    assert_eq!(a.status, 200);
    assert!(!a.body.contains("data-rule=\"MOBILE_FORMAT_INVALID\""));

    // Submitting with the error is refused beside the field, with a summary.
    set(&mut f, "action", "submit");
    let a = b.post(&edit, &f).await;
    assert_eq!(a.status, 422, "{}", a.location);
    assert!(a.body.contains("id=\"form-alert\""));
    assert!(
        findings_of(&a.body, "subject-credential-number").contains("CREDENTIAL_CHECKSUM_INVALID")
    );
    let (_, o) = api
        .get(&format!("/api/v1/orders/{order}"), Some(&owner))
        .await;
    assert_eq!(o["state"], "draft");

    // Fixed and saved: the finding is gone.
    let mut f = form(&csrf, "save", &id, domain, &sn);
    let a = b.post(&edit, &f).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let a = b.get(&edit).await;
    assert!(findings_of(&a.body, "subject-credential-number").is_empty());
    assert!(!a.body.contains("class=\"finding error\""), "errors left");

    // Another applicant sees nothing of it.
    let mut other = Browser::new(&server.base);
    other.login("liming", "demo-applicant-pass").await;
    let a = other.get(&edit).await;
    assert_eq!(a.status, 404);
    assert!(!a.body.contains(&id) && !a.body.contains(domain));
    let mut h = f.clone();
    set(&mut h, "csrf", &other.csrf());
    let a = other
        .post(
            &format!("/orders/{order}/check-field?field=subject.name"),
            &h,
        )
        .await;
    assert_eq!(a.status, 404);
    let a = other.post(&edit, &h).await;
    assert_eq!(a.status, 404);

    // Without the CSRF value: refused.
    let mut no_csrf = f.clone();
    no_csrf.retain(|(k, _)| k != "csrf");
    assert_eq!(b.post("/orders/new", &no_csrf).await.status, 403);
    assert_eq!(b.post(&edit, &no_csrf).await.status, 403);
    assert_eq!(
        b.post("/orders/check-field?field=subject.name", &no_csrf)
            .await
            .status,
        403
    );

    // Submitted: the order's page, in the provider's review; the form is closed.
    set(&mut f, "action", "submit");
    let a = b.post(&edit, &f).await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location, format!("/orders/{order}"));
    let (_, o) = api
        .get(&format!("/api/v1/orders/{order}"), Some(&owner))
        .await;
    assert_eq!(o["state"], "provider_review", "{o:#}");
    assert_eq!(o["application"]["region"]["district"], "西湖区");
    assert_eq!(
        o["application"]["websites"][0]["admin"]["mobile"], "13906710301",
        "the website administrator copied from the subject's"
    );
    let a = b.get(&edit).await;
    assert_eq!(a.status, 303);
    assert_eq!(a.location, format!("/orders/{order}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websites_and_address_pickers_work_without_javascript() {
    let dir = temp_dir("console-application-nojs");
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let (server, _) = spawn_demo(&url, &docs, &[]);
    let mut b = Browser::new(&server.base);

    // Anonymous: the login form; staff: refused.
    let a = b.get("/orders/new").await;
    assert_eq!(a.status, 303);
    assert!(a.location.starts_with("/login?next="), "{}", a.location);
    b.login("reviewer", "demo-reviewer-pass").await;
    assert_eq!(b.get("/orders/new").await.status, 403);

    let mut b = Browser::new(&server.base);
    b.login("liming", "demo-applicant-pass").await;
    let csrf = b.csrf();

    // The county list follows the province and city (htmx), and the refresh button without it.
    let a = b.get("/divisions?province=33").await;
    assert!(a.body.contains("<option value=\"杭州市\""), "{}", a.body);
    assert!(a.body.contains("id=\"region-district\" hx-swap-oob"));
    let a = b
        .get("/divisions?part=districts&province=33&city=%E6%9D%AD%E5%B7%9E%E5%B8%82")
        .await;
    assert!(a.body.contains("<option value=\"西湖区\""), "{}", a.body);
    assert!(!a.body.contains("宁波"));
    let a = b
        .get("/divisions?part=districts&province=11&city=%E5%8C%97%E4%BA%AC%E5%B8%82")
        .await;
    assert!(a.body.contains("<option value=\"朝阳区\""), "{}", a.body);
    let refresh = |province: &str, city: &str| {
        vec![
            ("csrf".to_owned(), csrf.clone()),
            ("action".to_owned(), "refresh".to_owned()),
            ("region.province".to_owned(), province.to_owned()),
            ("region.city".to_owned(), city.to_owned()),
            ("subject.name".to_owned(), "李明".to_owned()),
        ]
    };
    let a = b.post("/orders/new", &refresh("44", "")).await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("<option value=\"深圳市\""));
    assert!(a.body.contains("value=\"李明\""), "the input is kept");
    let a = b.post("/orders/new", &refresh("44", "深圳市")).await;
    assert!(a.body.contains("<option value=\"南山区\""));
    assert!(!a.body.contains("<option value=\"天河区\""));

    // Add a website: saved, one more section; remove it again.
    let mut f = refresh("11", "北京市");
    f[1].1 = "add_website".into();
    f.push(("websites[0].name".into(), "李明的摄影笔记".into()));
    f.push((
        "websites[0].domains".into(),
        "a-photo.cn, b-photo.cn".into(),
    ));
    let a = b.post("/orders/new", &f).await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(a.location.ends_with("#website-1"), "{}", a.location);
    let edit = a.location.split('?').next().unwrap().to_owned();
    let a = b.get(&edit).await;
    assert!(a.body.contains("id=\"websites-1-name\""));
    assert!(a.body.contains(">a-photo.cn\nb-photo.cn</textarea>"));
    assert!(a.body.contains("id=\"remove-website-1\""));
    let f = vec![
        ("csrf".to_owned(), csrf.clone()),
        ("action".to_owned(), "remove_website:1".to_owned()),
        ("websites[0].name".to_owned(), "李明的摄影笔记".to_owned()),
        ("websites[1].name".to_owned(), String::new()),
    ];
    let a = b.post(&edit, &f).await;
    assert_eq!(a.status, 303);
    let a = b.get(&edit).await;
    assert!(!a.body.contains("id=\"websites-1-name\""));
    assert!(a.body.contains("value=\"李明的摄影笔记\""));

    // In English: the form's words, the user's Chinese marked as such.
    b.cookies.insert("beian_lang".into(), "en".into());
    let a = b.get(&edit).await;
    assert!(a.body.contains("Save draft") && a.body.contains("Website name"));
    assert!(a.body.contains("<html lang=\"en\">"));
}

/// A field-level rejection on the form: the order page lists the named fields with links into
/// the form; the form marks them with their reasons and locks the rest (no website added or
/// removed); a change elsewhere is refused with the typed values kept; the named fields change
/// (the website administrator who is the subject's follows it) and the reviewer sees the diff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_level_rejection_marks_and_locks_the_form() {
    let dir = temp_dir("console-rejection");
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let (server, _) = spawn_demo(&url, &docs, &[]);
    let api = Api::new(&server);
    let (status, body) = api
        .post(
            "/api/v1/accounts",
            None,
            Some(serde_json::json!({"login": "zhaolei", "password": "zhaolei password 1"})),
        )
        .await;
    assert_eq!(status, 201, "{body:#}");
    let owner = token(&api, "zhaolei", "zhaolei password 1").await;
    let supervisor = token(&api, "supervisor", "demo-supervisor-pass").await;
    let reviewer = token(&api, "reviewer", "demo-reviewer-pass").await;
    let sn = api
        .service_number(&supervisor, "zhaolei", &owner, "i-reject-test")
        .await;
    let sn = sn.as_str().unwrap().to_owned();
    let mut b = Browser::new(&server.base);
    b.login("zhaolei", "zhaolei password 1").await;
    let csrf = b.csrf();
    let id = resident_id(302);
    let domain = "zhaolei-reject.cn";
    let a = b
        .post("/orders/new", &form(&csrf, "submit", &id, domain, &sn))
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let order: i64 = a.location.trim_start_matches("/orders/").parse().unwrap();
    let (status, o) = api
        .post(
            &format!("/api/v1/orders/{order}/reject"),
            Some(&reviewer),
            Some(serde_json::json!({"fields": [
                {"path": "websites[0].name", "reason": "R02", "note": "名称须体现网站内容"},
                {"path": "subject.admin.mobile", "reason": "P04", "note": "号码无法接通"}
            ]})),
        )
        .await;
    assert_eq!((status, o["state"].as_str()), (200, Some("draft")), "{o:#}");

    // The order page lists them, linking into the form.
    let a = b.get(&format!("/orders/{order}")).await;
    assert!(a.body.contains("id=\"order-rejected\""), "{}", a.body);
    assert!(
        a.body
            .contains(&format!("href=\"/orders/{order}/edit#websites-0-name\""))
    );
    assert!(a.body.contains("号码无法接通"));

    // The form marks the named fields and locks the others.
    let edit = format!("/orders/{order}/edit");
    let a = b.get(&edit).await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("id=\"rejection\""));
    assert!(a.body.contains("id=\"websites-0-name-rejected\""));
    assert!(a.body.contains("id=\"subject-admin-mobile-rejected\""));
    let control = |id: &str| -> String {
        let i = a.body.find(&format!("id=\"{id}\"")).unwrap();
        let start = a.body[..i].rfind('<').unwrap();
        a.body[start..start + a.body[start..].find('>').unwrap()].to_owned()
    };
    assert!(
        control("subject-name").contains("readonly"),
        "{}",
        control("subject-name")
    );
    assert!(!control("websites-0-name").contains("readonly"));
    assert!(!control("subject-admin-mobile").contains("readonly"));
    // The website's administrator is the subject's: its mobile follows.
    assert!(!control("websites-0-admin-mobile").contains("readonly"));
    assert!(control("region-province").contains("disabled"));
    assert!(!a.body.contains("id=\"add-website\""));

    // A change elsewhere is refused; what was typed stays on the page.
    let mut f = form(&csrf, "save", &id, domain, &sn);
    set(&mut f, "websites[0].name", "赵磊的城市读书笔记");
    set(
        &mut f,
        "subject.contact_address",
        "浙江省杭州市西湖区文三路300号",
    );
    let a = b.post(&edit, &f).await;
    assert_eq!(a.status, 422, "{}", a.location);
    assert!(a.body.contains("id=\"form-alert\""));
    assert!(a.body.contains("未保存"), "{}", a.body);
    assert!(a.body.contains("赵磊的城市读书笔记"));
    // The named fields change.
    let mut f = form(&csrf, "submit", &id, domain, &sn);
    set(&mut f, "websites[0].name", "赵磊的城市读书笔记");
    set(&mut f, "subject.admin.mobile", "13906719876");
    let a = b.post(&edit, &f).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let (_, seen) = api
        .get(&format!("/api/v1/orders/{order}"), Some(&reviewer))
        .await;
    assert_eq!(seen["state"], "provider_review");
    let paths: Vec<&str> = seen["rejection"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "subject.admin.mobile",
            "websites[0].admin.mobile",
            "websites[0].name"
        ]
    );
}
