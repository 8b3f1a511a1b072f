//! The store contract, run on SQLite and on PostgreSQL: every test body is one async function
//! taking a fresh, migrated store. PostgreSQL tests create and drop their own database on the
//! server at `BEIAN_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use beian_store::{HistoryEntry, ProductRow, Store, StoreError};
use time::OffsetDateTime;
use time::macros::{date, datetime};

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 +8);
static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

async fn on_sqlite<F, Fut>(test: F)
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

async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let admin_url = std::env::var("BEIAN_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = Store::connect(&admin_url)
        .await
        .expect("PostgreSQL must run for the store tests (BEIAN_TEST_PG)");
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

/// Declare a contract test that runs on both backends.
macro_rules! contract {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                on_sqlite($body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                on_postgres($body).await
            }
        }
    };
}

fn product(sn: &str, quota: i32, consumed: i32) -> ProductRow {
    ProductRow {
        service_number: sn.into(),
        kind: "ecs".into(),
        mainland: true,
        subscription: true,
        public_bandwidth: true,
        expires: date!(2027 - 06 - 01),
        quota,
        consumed,
    }
}

contract!(migrations_are_idempotent, |store: Store| async move {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
});

contract!(
    subject_numbers_increase_per_province_and_across_years,
    |store: Store| async move {
        let a = store
            .issue_subject_number(33, '浙', 2026, NOW)
            .await
            .unwrap();
        let b = store
            .issue_subject_number(33, '浙', 2026, NOW)
            .await
            .unwrap();
        let c = store
            .issue_subject_number(11, '京', 2026, NOW)
            .await
            .unwrap();
        let d = store
            .issue_subject_number(33, '浙', 2027, NOW)
            .await
            .unwrap();
        assert_eq!(a.to_string(), "浙ICP备2026000001号");
        assert_eq!(b.to_string(), "浙ICP备2026000002号");
        assert_eq!(c.to_string(), "京ICP备2026000001号");
        assert_eq!(d.to_string(), "浙ICP备2027000001号");
        // A clock set back never reuses a serial.
        let e = store
            .issue_subject_number(33, '浙', 2026, NOW)
            .await
            .unwrap();
        assert_eq!(e.to_string(), "浙ICP备2027000002号");
        let w1 = store.issue_website_number(&a, NOW).await.unwrap();
        let w2 = store.issue_website_number(&a, NOW).await.unwrap();
        assert_eq!(
            (w1.to_string(), w2.to_string()),
            (
                "浙ICP备2026000001号-1".into(),
                "浙ICP备2026000001号-2".into()
            )
        );
        let unknown = beian_core::numbers::SubjectNumber {
            abbr: '浙',
            serial: 1,
        };
        assert!(matches!(
            store.issue_website_number(&unknown, NOW).await,
            Err(StoreError::UnknownSubjectNumber(_))
        ));
    }
);

contract!(
    a_thousand_parallel_issues_across_provinces_are_distinct,
    |store: Store| async move {
        let provinces: [(u8, char); 4] = [(11, '京'), (33, '浙'), (44, '粤'), (51, '蜀')];
        let mut tasks = Vec::new();
        for i in 0..1000usize {
            let store = store.clone();
            let (p, abbr) = provinces[i % provinces.len()];
            tasks.push(tokio::spawn(async move {
                store
                    .issue_subject_number(p, abbr, 2026, NOW)
                    .await
                    .unwrap()
            }));
        }
        let mut seen = HashSet::new();
        for t in tasks {
            assert!(seen.insert(t.await.unwrap().to_string()));
        }
        assert_eq!(seen.len(), 1000);
        // Each province got exactly 1..=250, no gaps.
        for (_, abbr) in provinces {
            for serial in 1..=250u64 {
                assert!(seen.contains(&format!("{abbr}ICP备{}号", 2_026_000_000 + serial)));
            }
        }
    }
);

contract!(
    fifty_parallel_approvals_for_the_last_service_number,
    |store: Store| async move {
        store.put_product(&product("SN-LAST", 5, 4)).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.consume_service_number("SN-LAST").await
            }));
        }
        let mut won = 0;
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(left) => {
                    assert_eq!(left, 0);
                    won += 1;
                }
                Err(StoreError::QuotaExhausted(sn)) => {
                    assert_eq!(sn, "SN-LAST");
                    refused += 1;
                }
                Err(e) => panic!("unexpected error {e}"),
            }
        }
        assert_eq!((won, refused), (1, 49));
        assert_eq!(store.product("SN-LAST").await.unwrap().unwrap().consumed, 5);
        assert!(matches!(
            store.consume_service_number("SN-NONE").await,
            Err(StoreError::UnknownProduct(_))
        ));
    }
);

contract!(
    consumed_service_numbers_are_never_restored,
    |store: Store| async move {
        store.put_product(&product("SN-1", 5, 0)).await.unwrap();
        store.consume_service_number("SN-1").await.unwrap();
        assert!(
            store
                .execute_raw("UPDATE products SET consumed = 0 WHERE service_number = 'SN-1'")
                .await
                .is_err()
        );
        assert!(
            store
                .execute_raw("UPDATE products SET consumed = 9 WHERE service_number = 'SN-1'")
                .await
                .is_err()
        );
        // Updating the product's facts keeps its consumption.
        let mut p = product("SN-1", 5, 0);
        p.public_bandwidth = false;
        store.put_product(&p).await.unwrap();
        let stored = store.product("SN-1").await.unwrap().unwrap();
        assert_eq!((stored.consumed, stored.public_bandwidth), (1, false));
    }
);

contract!(history_is_append_only, |store: Store| async move {
    let entry = HistoryEntry {
        subject: "order:1".into(),
        actor: "reviewer:wang".into(),
        action: "provider_reject".into(),
        from_state: Some("provider_review".into()),
        to_state: Some("draft".into()),
        reasons: "R02,P03".into(),
        note: "网站名称与内容不符".into(),
        at: NOW,
    };
    store.append_history(&entry).await.unwrap();
    store
        .append_history(&HistoryEntry {
            action: "submit".into(),
            ..entry.clone()
        })
        .await
        .unwrap();
    let h = store.history("order:1").await.unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0], entry);
    assert!(
        store
            .execute_raw("UPDATE history SET note = 'x'")
            .await
            .is_err()
    );
    assert!(store.execute_raw("DELETE FROM history").await.is_err());
    assert_eq!(store.history("order:1").await.unwrap().len(), 2);
});

#[tokio::test]
async fn unsupported_urls_are_refused() {
    assert!(matches!(
        Store::connect("mysql://x").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
}
