//! The harness the store's test binaries share: every test body is one async function taking a
//! fresh, migrated store, run once on a new SQLite file and once on a new PostgreSQL database
//! (created and dropped on the server at `BEIAN_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! PostgreSQL is decided once per process by `beian_store::testing` (required with
//! `BEIAN_TEST_PG`; else used when 127.0.0.1:5432 answers, skipped in one line when it does not).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
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

#[allow(unused_imports)] // not every test binary has a PostgreSQL half
pub use beian_store::testing::{DEFAULT_PG, postgres_admin, skip_postgres};

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
