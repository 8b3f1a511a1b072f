//! The harness the store's test binaries share: every test body is one async function taking a
//! fresh, migrated store, run once on a new SQLite file and once on a new PostgreSQL database
//! (created and dropped on the server at `BEIAN_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! PostgreSQL is decided once per process ([`postgres_admin`]): with `BEIAN_TEST_PG` set it is
//! required (a connection failure fails the test); without it the default server is used when
//! 127.0.0.1:5432 accepts a connection within a second, and the PostgreSQL half of each test is
//! skipped (one line on stderr) when it does not.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use beian_store::Store;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A name no other test of this process uses.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = std::env::temp_dir().join(unique("beian-store"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("beian.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    test(store.clone()).await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The server PostgreSQL tests run on when `BEIAN_TEST_PG` is not set.
pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_PG_ADDR: ([u8; 4], u16) = ([127, 0, 0, 1], 5432);

/// The admin URL of the PostgreSQL server to test on, or `None` to skip PostgreSQL: decided once
/// per process. `BEIAN_TEST_PG` (non-empty) makes it required; otherwise the default server is
/// used if 127.0.0.1:5432 accepts a TCP connection within a second.
pub fn postgres_admin() -> Option<&'static str> {
    static DECISION: OnceLock<Option<String>> = OnceLock::new();
    DECISION
        .get_or_init(|| {
            decide(std::env::var("BEIAN_TEST_PG").ok(), || {
                let addr = std::net::SocketAddr::from(DEFAULT_PG_ADDR);
                std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1))
                    .is_ok()
            })
        })
        .as_deref()
}

/// The decision itself: the required URL, the default when `reachable`, or nothing.
pub fn decide(required: Option<String>, reachable: impl FnOnce() -> bool) -> Option<String> {
    match required.filter(|u| !u.trim().is_empty()) {
        Some(url) => Some(url),
        None => reachable().then(|| DEFAULT_PG.to_owned()),
    }
}

/// True (after one line on stderr, past the test harness's capture) when the PostgreSQL half of
/// the current test is to be skipped.
pub fn skip_postgres() -> bool {
    if postgres_admin().is_some() {
        return false;
    }
    use std::io::Write as _;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(
        std::io::stderr(),
        "{test}: skipped on PostgreSQL: not reachable at 127.0.0.1:5432 (set BEIAN_TEST_PG to require it)"
    );
    true
}

pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    if skip_postgres() {
        return;
    }
    let admin_url = postgres_admin().unwrap_or(DEFAULT_PG);
    let admin = Store::connect(admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin_url} is required for this test (BEIAN_TEST_PG): {e}")
    });
    let db = unique("beian_test");
    admin
        .execute_raw(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let store = Store::connect(&format!("{base}/{db}")).await.unwrap();
    store.migrate().await.unwrap();
    test(store.clone()).await;
    store.close().await;
    admin
        .execute_raw(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .await
        .unwrap();
    admin.close().await;
}

/// Declare a test that runs on both backends.
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                common::on_sqlite($body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                common::on_postgres($body).await
            }
        }
    };
}

/// The PostgreSQL decision, without a network: required when `BEIAN_TEST_PG` is set (the probe is
/// not even made), the default when reachable, skipped otherwise.
#[test]
fn postgres_decision() {
    let never = || -> bool { panic!("no probe when BEIAN_TEST_PG is set") };
    assert_eq!(
        decide(Some("postgres://ci@db:5432/postgres".into()), never).as_deref(),
        Some("postgres://ci@db:5432/postgres")
    );
    assert_eq!(decide(None, || true).as_deref(), Some(DEFAULT_PG));
    assert_eq!(decide(None, || false), None);
    assert_eq!(decide(Some(" ".into()), || false), None);
}
