//! The end-to-end harness shared by the HTTP tests: the real `beian` binary on a free port, a
//! fresh database per test (SQLite file or PostgreSQL database, dropped afterwards), accounts of
//! every role, and small request helpers.
//!
//! PostgreSQL is decided once per process by `beian_store::testing` (required with
//! `BEIAN_TEST_PG`; else used when 127.0.0.1:5432 answers): a PostgreSQL test starts with
//! `if common::skip_postgres() { return; }`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

#[allow(unused_imports)] // not every test binary has a PostgreSQL half
pub use beian_store::testing::{postgres_admin, skip_postgres};

/// A connection to the PostgreSQL admin database (for creating and dropping test databases);
/// panics, naming `BEIAN_TEST_PG`, when the server cannot be reached. Returns the store and the
/// admin URL.
pub async fn postgres_admin_store() -> (beian_store::Store, &'static str) {
    let url = postgres_admin()
        .expect("a PostgreSQL test must begin with `if common::skip_postgres() { return; }`");
    let store = beian_store::Store::connect(url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} is required for this test (BEIAN_TEST_PG): {e}")
    });
    (store, url)
}

/// A running server, killed and reaped when dropped (even when an assertion fails first).
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(what: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "beian-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Start `beian serve` on `database` with extra flags; returns once it listens. Documents go to
/// a fresh temporary directory unless `--documents-dir` is given.
pub fn spawn_server(database: &str, extra: &[&str]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_beian"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .args(extra);
    if !extra.contains(&"--documents-dir") {
        command.arg("--documents-dir").arg(temp_dir("documents"));
    }
    let child = command
        .env("BEIAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        base: String::new(),
    };
    let stdout = server.child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    server.base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    server
}

/// Start `beian demo` on `database` (documents under `documents`, extra flags); returns once it
/// listens, with what it printed before (the logins).
pub fn spawn_demo(database: &str, documents: &std::path::Path, extra: &[&str]) -> (Server, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["demo", "--listen", "127.0.0.1:0", "--database", database])
        .arg("--documents-dir")
        .arg(documents)
        .args(extra)
        .env("BEIAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        base: String::new(),
    };
    let mut reader = BufReader::new(server.child.stdout.take().unwrap());
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "demo exited: {printed}"
        );
        if let Some(base) = line.trim().strip_prefix("listening on ") {
            server.base = base.to_owned();
            return (server, printed);
        }
        printed.push_str(&line);
    }
}

/// A fresh database: `sqlite` or `postgres`. Dropped (PostgreSQL) or removed (SQLite) by
/// [`Database::drop_it`].
pub struct Database {
    pub url: String,
    admin: Option<(beian_store::Store, String)>,
    dir: Option<std::path::PathBuf>,
}

impl Database {
    pub async fn new(kind: &str, name: &str) -> Database {
        let tag = format!("{name}_{}", std::process::id());
        if kind == "postgres" {
            let (store, admin) = postgres_admin_store().await;
            let _ = store
                .execute_raw(&format!("DROP DATABASE IF EXISTS {tag} WITH (FORCE)"))
                .await;
            store
                .execute_raw(&format!("CREATE DATABASE {tag}"))
                .await
                .unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            Database {
                url: format!("{base}/{tag}"),
                admin: Some((store, tag)),
                dir: None,
            }
        } else {
            let dir = std::env::temp_dir().join(format!("beian-{tag}"));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Database {
                url: format!("sqlite://{}", dir.join("test.db").display()),
                admin: None,
                dir: Some(dir),
            }
        }
    }

    pub async fn drop_it(self) {
        if let Some((store, tag)) = &self.admin {
            store
                .execute_raw(&format!("DROP DATABASE {tag} WITH (FORCE)"))
                .await
                .unwrap();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub fn example(name: &str) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/check")
                .join(name),
        )
        .unwrap(),
    )
    .unwrap()
}

/// A client speaking to one server.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(server: &Server) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: server.base.clone(),
        }
    }

    /// Register `login` and log in; staff roles are set in the database (no API makes staff).
    pub async fn account(&self, store: &beian_store::Store, login: &str, role: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/v1/accounts", self.base))
            .json(&serde_json::json!({"login": login, "password": "a long enough password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        if role != "applicant" {
            store
                .execute_raw(&format!(
                    "UPDATE accounts SET role = '{role}' WHERE login = '{login}'"
                ))
                .await
                .unwrap();
        }
        let s: serde_json::Value = self
            .client
            .post(format!("{}/api/v1/sessions", self.base))
            .json(&serde_json::json!({"login": login, "password": "a long enough password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        s["token"].as_str().unwrap().to_owned()
    }

    /// Send a request; `token` None is anonymous. Returns status and JSON body (Null if none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::POST, path, token, body).await
    }
}

/// A small real image in `format` (`png`, `jpeg`, `gif`): the server decodes and re-encodes it.
pub fn image(format: &str, width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 5) as u8, 0x80])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    let f = match format {
        "jpeg" => image::ImageFormat::Jpeg,
        "gif" => image::ImageFormat::Gif,
        _ => image::ImageFormat::Png,
    };
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, f)
        .unwrap();
    out.into_inner()
}

/// A Beijing individual's application (no SMS step) naming `service_number`.
pub fn beijing_individual(service_number: &serde_json::Value) -> serde_json::Value {
    let mut app = example("valid-individual-beijing.json")["application"].take();
    app.as_object_mut().unwrap().remove("filing_type");
    app["websites"][0]["service_number"] = service_number.clone();
    app
}

impl Api {
    /// Register instance `instance` for `owner` (as a supervisor) and apply for one service
    /// number on it (as the owner); returns the number.
    /// The supervisor registers an eligible server instance for `owner`.
    pub async fn register_product(&self, supervisor: &str, owner: &str, instance: &str) {
        let (status, body) = self
            .post(
                "/api/v1/products",
                Some(supervisor),
                Some(serde_json::json!({"instance_id": instance, "owner": owner, "kind": "ecs", "region": "mainland",
                            "billing": "subscription", "expires": "2099-01-01", "public_bandwidth": true})),
            )
            .await;
        assert_eq!(status, 201, "{body:#}");
    }

    pub async fn service_number(
        &self,
        supervisor: &str,
        owner: &str,
        owner_token: &str,
        instance: &str,
    ) -> serde_json::Value {
        self.register_product(supervisor, owner, instance).await;
        let (status, sn) = self
            .post(
                &format!("/api/v1/products/{instance}/service-numbers"),
                Some(owner_token),
                None,
            )
            .await;
        assert_eq!(status, 201, "{sn:#}");
        sn["service_number"].clone()
    }

    /// Upload `bytes` as `file_name` for the slot (`kind`, `website`, `category`).
    #[allow(clippy::too_many_arguments)]
    pub async fn upload(
        &self,
        order: i64,
        token: &str,
        kind: &str,
        website: Option<i64>,
        category: Option<&str>,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let mut form = reqwest::multipart::Form::new().text("kind", kind.to_owned());
        if let Some(w) = website {
            form = form.text("website", w.to_string());
        }
        if let Some(c) = category {
            form = form.text("category", c.to_owned());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
        let r = self
            .client
            .post(format!("{}/api/v1/orders/{order}/documents", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// Upload every document an order in verification still needs and accept each, as its
    /// applicant and a reviewer would; returns the order afterwards (moved on by the last
    /// acceptance).
    pub async fn verify_all(
        &self,
        order: i64,
        applicant: &str,
        reviewer: &str,
    ) -> serde_json::Value {
        let (status, v) = self
            .get(
                &format!("/api/v1/orders/{order}/documents"),
                Some(applicant),
            )
            .await;
        assert_eq!(status, 200, "{v:#}");
        let png = image("png", 16, 12);
        for slot in v["required"].as_array().unwrap() {
            if slot["status"] == "accepted" {
                continue;
            }
            let website = slot["website"].as_i64().filter(|w| *w >= 0);
            let category = slot["category"].as_str().filter(|c| !c.is_empty());
            let (status, d) = self
                .upload(
                    order,
                    applicant,
                    slot["kind"].as_str().unwrap(),
                    website,
                    category,
                    "scan.png",
                    png.clone(),
                )
                .await;
            assert_eq!(status, 201, "{d:#}");
            let (status, r) = self
                .post(
                    &format!("/api/v1/orders/{order}/documents/{}/review", d["id"]),
                    Some(reviewer),
                    Some(serde_json::json!({"decision": "accept"})),
                )
                .await;
            assert_eq!(status, 200, "{r:#}");
        }
        let (status, o) = self
            .get(&format!("/api/v1/orders/{order}"), Some(applicant))
            .await;
        assert_eq!(status, 200, "{o:#}");
        o
    }
}
