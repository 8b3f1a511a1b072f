//! The operator's command line through the real binary: `beian accounts` (create, disable,
//! enable, reset-password, list) against a database a running `beian serve` uses, on SQLite and
//! on PostgreSQL; and `beian demo`'s gate token and `--reset`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{Api, Database, Server, spawn_server, temp_dir};

/// Run `beian accounts ARGS --database URL`, the password (if any) in `BEIAN_PASSWORD` or on
/// standard input.
fn accounts(database: &str, args: &[&str], password: Password) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_beian"));
    command
        .arg("accounts")
        .args(args)
        .args(["--database", database])
        .env_remove("BEIAN_PASSWORD")
        .env_remove("BEIAN_CONFIG")
        .env("BEIAN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Password::Env(p) = password {
        command.env("BEIAN_PASSWORD", p);
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Password::Stdin(p) = password {
        stdin.write_all(p.as_bytes()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[derive(Clone, Copy)]
enum Password<'a> {
    Env(&'a str),
    Stdin(&'a str),
    None,
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exit code `code`, and no password (nor argon2 hash) printed anywhere.
fn expect(out: &Output, code: i32, passwords: &[&str]) -> (String, String) {
    let (stdout, stderr) = text(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    for p in passwords {
        assert!(
            !stdout.contains(p) && !stderr.contains(p),
            "a password was printed: {stdout}{stderr}"
        );
    }
    assert!(!stdout.contains("$argon2") && !stderr.contains("$argon2"));
    (stdout, stderr)
}

/// `POST /api/v1/sessions`: the status and the token (if any).
async fn login(api: &Api, login: &str, password: &str) -> (u16, Option<String>) {
    let (status, body) = api
        .post(
            "/api/v1/sessions",
            None,
            Some(serde_json::json!({"login": login, "password": password})),
        )
        .await;
    (status, body["token"].as_str().map(str::to_owned))
}

const FIRST: &str = "first supervisor password";
const SECOND: &str = "second supervisor password";
const REVIEWER: &str = "a reviewer's password";

async fn accounts_cli(kind: &str) {
    let db = Database::new(kind, "accounts_cli").await;
    let url = db.url.clone();
    // Created before the server starts (the command migrates the database itself).
    let out = accounts(
        &url,
        &[
            "create",
            "--login",
            "ops.lee",
            "--role",
            "supervisor",
            "--display-name",
            "主管 李",
            "--email",
            "ops.lee@example.com",
        ],
        Password::Env(FIRST),
    );
    let (stdout, _) = expect(&out, 0, &[FIRST]);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("created supervisor account ops.lee (id "),
        "{stdout}"
    );

    let server: Server = spawn_server(&url, &["--login-burst", "1000"]);
    let api = Api::new(&server);
    let (status, token) = login(&api, "ops.lee", FIRST).await;
    assert_eq!(status, 200);
    let used = token.unwrap();
    let (status, me) = api.get("/api/v1/me", Some(&used)).await;
    assert_eq!(status, 200, "{me:#}");
    assert_eq!(me["role"], "supervisor");
    assert_eq!(me["login"], "ops.lee");
    assert_eq!(me["display_name"], "主管 李");

    // A reviewer, the password on standard input (the line ending is not part of it), while the
    // server runs.
    let out = accounts(
        &url,
        &["create", "--login", "rev-wang", "--role", "reviewer"],
        Password::Stdin(&format!("{REVIEWER}\r\n")),
    );
    let (stdout, _) = expect(&out, 0, &[REVIEWER]);
    assert!(stdout.starts_with("created reviewer account rev-wang"));
    let (status, token) = login(&api, "rev-wang", REVIEWER).await;
    assert_eq!(status, 200);
    let (_, me) = api.get("/api/v1/me", token.as_deref()).await;
    assert_eq!(me["role"], "reviewer");

    // Refusals: exit 2 for unusable input, 1 for a taken login; each names the field and the fix.
    let out = accounts(
        &url,
        &["create", "--login", "ops.lee", "--role", "supervisor"],
        Password::Env(SECOND),
    );
    let (_, stderr) = expect(&out, 1, &[SECOND]);
    assert!(
        stderr.contains("登录名已被使用 / login taken") && stderr.contains("choose another login"),
        "{stderr}"
    );
    let out = accounts(
        &url,
        &["create", "--login", "boss", "--role", "root"],
        Password::Env(SECOND),
    );
    let (_, stderr) = expect(&out, 2, &[SECOND]);
    assert!(
        stderr.contains("--role") && stderr.contains("角色无效 / invalid role"),
        "{stderr}"
    );
    assert!(
        stderr.contains("use applicant, reviewer, supervisor or administration"),
        "{stderr}"
    );
    let out = accounts(
        &url,
        &["create", "--login", "short.pw", "--role", "reviewer"],
        Password::Env("tooshort"),
    );
    let (_, stderr) = expect(&out, 2, &["tooshort"]);
    assert!(
        stderr.contains("密码太短 / password too short")
            && stderr.contains("at least 10 characters"),
        "{stderr}"
    );
    let out = accounts(
        &url,
        &["create", "--login", "no spaces!", "--role", "reviewer"],
        Password::Env(SECOND),
    );
    let (_, stderr) = expect(&out, 2, &[SECOND]);
    assert!(stderr.contains("登录名无效 / invalid login"), "{stderr}");
    let out = accounts(
        &url,
        &[
            "create",
            "--login",
            "mail.bad",
            "--role",
            "applicant",
            "--email",
            "x@",
        ],
        Password::Env(SECOND),
    );
    let (_, stderr) = expect(&out, 2, &[SECOND]);
    assert!(stderr.contains("invalid e-mail address"), "{stderr}");
    let out = accounts(
        &url,
        &["create", "--login", "no.password", "--role", "reviewer"],
        Password::None,
    );
    let (_, stderr) = expect(&out, 2, &[]);
    assert!(
        stderr.contains("no password") && stderr.contains("BEIAN_PASSWORD"),
        "{stderr}"
    );
    let out = accounts(&url, &["disable", "--login", "nobody"], Password::None);
    let (_, stderr) = expect(&out, 1, &[]);
    assert!(stderr.contains("no such account"), "{stderr}");

    // Disable: no login, and its tokens stop working: at once for one the server has not seen,
    // within the token cache's 5 s for one it has.
    let (_, unseen) = login(&api, "ops.lee", FIRST).await;
    let out = accounts(&url, &["disable", "--login", "ops.lee"], Password::None);
    let (stdout, _) = expect(&out, 0, &[]);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("disabled supervisor account ops.lee") && stdout.contains("2 tokens"),
        "{stdout}"
    );
    assert_eq!(login(&api, "ops.lee", FIRST).await.0, 401);
    let (status, _) = api.get("/api/v1/me", unseen.as_deref()).await;
    assert_eq!(status, 401, "a disabled account's token is refused");
    let start = Instant::now();
    loop {
        let (status, _) = api.get("/api/v1/me", Some(&used)).await;
        if status == 401 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "a revoked token still works after 8 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let out = accounts(&url, &["list"], Password::None);
    let (stdout, _) = expect(&out, 0, &[]);
    let row = |login: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{login} ")))
            .unwrap_or_else(|| panic!("{login} not listed: {stdout}"))
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("ops.lee"), "ops.lee supervisor disabled");
    assert_eq!(row("rev-wang"), "rev-wang reviewer active");

    // Enable: it logs in again.
    let out = accounts(&url, &["enable", "--login", "ops.lee"], Password::None);
    let (stdout, _) = expect(&out, 0, &[]);
    assert!(stdout.starts_with("enabled supervisor account ops.lee"));
    let (status, token) = login(&api, "ops.lee", FIRST).await;
    assert_eq!(status, 200);
    let before_reset = token.unwrap();

    // Reset the password: the old one is refused, the new one works, the old tokens are revoked.
    let out = accounts(
        &url,
        &["reset-password", "--login", "ops.lee"],
        Password::Stdin(&format!("{SECOND}\n")),
    );
    let (stdout, _) = expect(&out, 0, &[SECOND, FIRST]);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("set a new password for supervisor account ops.lee")
            && stdout.contains("1 token revoked"),
        "{stdout}"
    );
    assert_eq!(login(&api, "ops.lee", FIRST).await.0, 401);
    let (status, token) = login(&api, "ops.lee", SECOND).await;
    assert_eq!(status, 200);
    let (_, me) = api.get("/api/v1/me", token.as_deref()).await;
    assert_eq!(me["role"], "supervisor");
    let (status, _) = api.get("/api/v1/me", Some(&before_reset)).await;
    assert_eq!(status, 401, "a token from before the reset is revoked");
    let out = accounts(
        &url,
        &["reset-password", "--login", "ops.lee"],
        Password::Env("x1y2z3"),
    );
    let (_, stderr) = expect(&out, 2, &["x1y2z3"]);
    assert!(stderr.contains("password too short"), "{stderr}");

    drop(server);
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_on_sqlite() {
    accounts_cli("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_on_postgres() {
    if common::skip_postgres() {
        return;
    }
    accounts_cli("postgres").await;
}

/// The database comes from the configuration file's `database` key, as for `beian serve`.
#[test]
fn accounts_read_the_database_from_the_configuration_file() {
    let dir = temp_dir("accounts-config");
    let db = format!("sqlite://{}", dir.join("from-config.db").display());
    let config = dir.join("beian.toml");
    std::fs::write(
        &config,
        format!("database = {db:?}\nlisten = \"127.0.0.1:0\"\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args([
            "accounts",
            "create",
            "--login",
            "cfg.user",
            "--role",
            "administration",
        ])
        .arg("--config")
        .arg(&config)
        .env_remove("BEIAN_DATABASE")
        .env("BEIAN_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    let (stdout, _) = expect(&out, 0, &["a long enough password"]);
    assert!(stdout.starts_with("created administration account cfg.user"));
    assert!(dir.join("from-config.db").exists());
    let out = accounts(&db, &["list"], Password::None);
    let (stdout, _) = expect(&out, 0, &[]);
    assert!(stdout.contains("cfg.user"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The demo sets a gate token and prints it; a second run says how to start afresh, and
/// `--reset` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_gate_token_and_reset() {
    let dir = temp_dir("demo-reset");
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let documents = dir.join("documents");
    let (server, printed) = common::spawn_demo(&url, &documents, &[]);
    assert!(printed.contains("demo-gate-token"), "{printed}");
    assert!(!printed.contains("--reset"), "{printed}");
    let api = Api::new(&server);
    let (status, body) = api
        .get("/api/v1/gate/snapshot", Some("demo-gate-token"))
        .await;
    assert_eq!(
        status, 200,
        "the feed takes the demo's gate token: {body:#}"
    );
    let (status, _) = api.get("/api/v1/gate/snapshot", Some("wrong-token")).await;
    assert_eq!(status, 401);
    let (status, body) = api
        .post(
            "/api/v1/accounts",
            None,
            Some(serde_json::json!({"login": "newcomer", "password": "a long enough password"})),
        )
        .await;
    assert_eq!(status, 201, "{body:#}");
    drop(server);
    std::fs::create_dir_all(&documents).unwrap();
    std::fs::write(documents.join("marker"), b"x").unwrap();

    // A second run continues, and says so.
    let (server, printed) = common::spawn_demo(&url, &documents, &[]);
    assert!(printed.contains("beian demo --reset"), "{printed}");
    let api = Api::new(&server);
    assert_eq!(
        login(&api, "newcomer", "a long enough password").await.0,
        200
    );
    drop(server);

    // --reset: the database and the documents go, the seed is fresh.
    let (server, printed) = common::spawn_demo(&url, &documents, &["--reset"]);
    assert!(printed.contains("deleted"), "{printed}");
    assert!(!printed.contains("seeded by an earlier run"), "{printed}");
    assert!(!documents.join("marker").exists());
    let api = Api::new(&server);
    assert_eq!(
        login(&api, "newcomer", "a long enough password").await.0,
        401
    );
    assert_eq!(login(&api, "reviewer", "demo-reviewer-pass").await.0, 200);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
