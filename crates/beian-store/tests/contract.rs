//! The store contract, run on SQLite and on PostgreSQL: every test body is one async function
//! taking a fresh, migrated store. PostgreSQL tests create and drop their own database on the
//! server at `BEIAN_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use std::collections::HashSet;

use beian_store::{HistoryEntry, ProductRow, Store, StoreError};
use time::OffsetDateTime;
use time::macros::{date, datetime};

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 +8);

fn product(instance: &str, quota: i32) -> ProductRow {
    ProductRow {
        instance_id: instance.into(),
        account: None,
        kind: "ecs".into(),
        mainland: true,
        subscription: true,
        public_bandwidth: true,
        expires: date!(2027 - 06 - 01),
        quota,
        issued: 0,
        consumed: 0,
    }
}

/// An instance with the given service numbers.
async fn instance_with(store: &Store, instance: &str, quota: i32, numbers: &[&str]) {
    store.put_product(&product(instance, quota)).await.unwrap();
    for n in numbers {
        store.put_service_number(n, instance, NOW).await.unwrap();
    }
}

on_both!(migrations_are_idempotent, |store: Store| async move {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
});

on_both!(
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

on_both!(
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

on_both!(
    fifty_parallel_consumptions_of_the_last_service_number,
    |store: Store| async move {
        instance_with(&store, "INS-LAST", 1, &["SN-LAST"]).await;
        let mut tasks = Vec::new();
        for i in 0..50 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .consume_service_number("SN-LAST", &format!("W{i}"), NOW)
                    .await
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
        assert_eq!(
            store.product("INS-LAST").await.unwrap().unwrap().consumed,
            1
        );
        assert!(matches!(
            store.consume_service_number("SN-NONE", "W", NOW).await,
            Err(StoreError::UnknownProduct(_))
        ));
    }
);

on_both!(
    an_instance_is_given_at_most_its_quota_of_service_numbers,
    |store: Store| async move {
        store.put_product(&product("INS-Q", 5)).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.issue_service_number("INS-Q", NOW).await
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(n) => numbers.push(n),
                Err(StoreError::QuotaExhausted(_)) => {}
                Err(e) => panic!("unexpected error {e}"),
            }
        }
        numbers.sort();
        assert_eq!(
            numbers,
            vec!["INS-Q-1", "INS-Q-2", "INS-Q-3", "INS-Q-4", "INS-Q-5"]
        );
        assert_eq!(store.product("INS-Q").await.unwrap().unwrap().issued, 5);
        assert_eq!(store.service_numbers_of("INS-Q").await.unwrap().len(), 5);
        assert!(matches!(
            store.issue_service_number("INS-NONE", NOW).await,
            Err(StoreError::UnknownProduct(_))
        ));
    }
);

on_both!(
    consumed_service_numbers_are_never_restored,
    |store: Store| async move {
        instance_with(&store, "INS-1", 5, &["SN-1"]).await;
        store
            .consume_service_number("SN-1", "W1", NOW)
            .await
            .unwrap();
        assert!(matches!(
            store.consume_service_number("SN-1", "W2", NOW).await,
            Err(StoreError::QuotaExhausted(_))
        ));
        for sql in [
            "UPDATE products SET consumed = 0 WHERE instance_id = 'INS-1'",
            "UPDATE products SET consumed = 9 WHERE instance_id = 'INS-1'",
            "UPDATE service_numbers SET website_number = NULL WHERE number = 'SN-1'",
            "UPDATE service_numbers SET website_number = 'W9' WHERE number = 'SN-1'",
        ] {
            assert!(store.execute_raw(sql).await.is_err(), "{sql} was allowed");
        }
        // Updating the instance's facts keeps its consumption.
        let mut p = product("INS-1", 5);
        p.public_bandwidth = false;
        store.put_product(&p).await.unwrap();
        let stored = store.product("INS-1").await.unwrap().unwrap();
        assert_eq!(
            (stored.consumed, stored.issued, stored.public_bandwidth),
            (1, 1, false)
        );
        let (n, _) = store.service_number("SN-1").await.unwrap().unwrap();
        assert_eq!(n.website_number.as_deref(), Some("W1"));
    }
);

on_both!(history_is_append_only, |store: Store| async move {
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

// ---------------------------------------------------------------------------------------------
// Orders: transitions from the workflow applied with history, one order in progress per
// credential, approvals all or nothing.

use beian_core::workflow::{Command, OrderFacts, OrderState, Rejection, Role, transition};
use beian_rules::model::{FilingType, ReasonCode};
use beian_store::{ApprovalPlan, NewOrder, OrderRow, PlannedSubject, PlannedWebsite};

fn new_order(credential: &str) -> NewOrder {
    NewOrder {
        account: "acct-1".into(),
        filing_type: FilingType::Initial,
        province: 33,
        credential: credential.into(),
        application: "{}".into(),
    }
}

fn facts_of(o: &OrderRow) -> OrderFacts {
    OrderFacts {
        filing_type: FilingType::Initial,
        sms_pilot: false,
        first_submitted_at: o.first_submitted_at,
        sms_started_at: o.sms_started_at,
        uploads_started: o.uploads_started,
        verification_complete: true,
        check_errors: 0,
        administration_review_days: 20,
    }
}

/// Decide with the workflow, apply with the store.
async fn step(
    store: &Store,
    o: &OrderRow,
    role: Role,
    command: Command,
) -> Result<OrderRow, StoreError> {
    let t = transition(o.state, &facts_of(o), role, &command, NOW).unwrap();
    store
        .apply_transition(o.id, o.version, &t, &format!("{role:?}"), NOW)
        .await
}

async fn to_review(store: &Store, credential: &str) -> OrderRow {
    let o = store
        .create_order(&new_order(credential), NOW)
        .await
        .unwrap();
    let o = step(store, &o, Role::Applicant, Command::Submit)
        .await
        .unwrap();
    let o = step(store, &o, Role::Reviewer, Command::ProviderPass)
        .await
        .unwrap();
    let o = step(store, &o, Role::Reviewer, Command::CompleteVerification)
        .await
        .unwrap();
    step(store, &o, Role::Reviewer, Command::SubmitToAdministration)
        .await
        .unwrap()
}

/// An initial filing of subject `credential` with one website per service number, each with a
/// domain of its own.
fn plan(credential: &str, service_numbers: &[&str]) -> ApprovalPlan {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    ApprovalPlan {
        filing_type: FilingType::Initial,
        province: 33,
        abbr: '浙',
        year: 2026,
        provider: "this".into(),
        account: Some("acct-1".into()),
        subject: PlannedSubject {
            nature: "enterprise".into(),
            name: format!("主体{credential}"),
            credential_type: "uscc".into(),
            credential: credential.into(),
            mobiles: vec![],
        },
        websites: service_numbers
            .iter()
            .map(|sn| PlannedWebsite {
                name: "网站".into(),
                domains: vec![format!(
                    "site{}.cn",
                    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                )],
                service_number: Some((*sn).to_owned()),
            })
            .collect(),
    }
}

on_both!(
    transitions_are_recorded_and_versioned,
    |store: Store| async move {
        let o = store
            .create_order(&new_order("91330106MA2B3C4D5D"), NOW)
            .await
            .unwrap();
        assert_eq!(
            (o.state, o.in_progress, o.version),
            (OrderState::Draft, false, 0)
        );
        let submitted = step(&store, &o, Role::Applicant, Command::Submit)
            .await
            .unwrap();
        assert_eq!(
            (submitted.state, submitted.in_progress, submitted.version),
            (OrderState::ProviderReview, true, 1)
        );
        assert_eq!(submitted.first_submitted_at, Some(NOW));
        // The same command on the stale version is refused, and nothing changes.
        assert!(matches!(
            step(&store, &o, Role::Applicant, Command::Submit).await,
            Err(StoreError::Conflict(_))
        ));
        let rejection = Rejection {
            reasons: vec![ReasonCode::R02],
            note: "名称".into(),
            paths: vec!["websites[0].name".into()],
            ..Rejection::default()
        };
        let back = step(
            &store,
            &submitted,
            Role::Reviewer,
            Command::ProviderReject(rejection),
        )
        .await
        .unwrap();
        // A rejected order returns to draft and stays in progress (it was submitted).
        assert_eq!((back.state, back.in_progress), (OrderState::Draft, true));
        let h = store.history(&format!("order:{}", o.id)).await.unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(
            (h[1].reasons.as_str(), h[1].to_state.as_deref()),
            ("R02", Some("draft"))
        );
        let withdrawn = step(&store, &back, Role::Applicant, Command::Submit)
            .await
            .unwrap();
        let withdrawn = step(&store, &withdrawn, Role::Applicant, Command::Withdraw)
            .await
            .unwrap();
        assert_eq!(
            (withdrawn.state, withdrawn.in_progress),
            (OrderState::Withdrawn, false)
        );
        assert!(matches!(
            store
                .apply_transition(
                    999_999,
                    0,
                    &transition(
                        OrderState::Draft,
                        &facts_of(&o),
                        Role::Applicant,
                        &Command::Edit,
                        NOW
                    )
                    .unwrap(),
                    "x",
                    NOW
                )
                .await,
            Err(StoreError::OrderNotFound(_))
        ));
    }
);

on_both!(
    one_order_in_progress_per_credential,
    |store: Store| async move {
        let a = store
            .create_order(&new_order("330106198503120036"), NOW)
            .await
            .unwrap();
        let b = store
            .create_order(&new_order("330106198503120036"), NOW)
            .await
            .unwrap();
        let a = step(&store, &a, Role::Applicant, Command::Submit)
            .await
            .unwrap();
        assert!(matches!(
            step(&store, &b, Role::Applicant, Command::Submit).await,
            Err(StoreError::OrderInProgress)
        ));
        assert_eq!(
            store.order(b.id).await.unwrap().unwrap().state,
            OrderState::Draft
        );
        step(&store, &a, Role::Applicant, Command::Withdraw)
            .await
            .unwrap();
        step(&store, &b, Role::Applicant, Command::Submit)
            .await
            .unwrap();
    }
);

on_both!(
    approval_issues_numbers_and_consumes_service_numbers,
    |store: Store| async move {
        instance_with(&store, "INS-A", 5, &["SN-A1", "SN-A2", "SN-A3"]).await;
        let o = to_review(&store, "91330106MA2B3C4D5D").await;
        assert_eq!(o.state, OrderState::AdministrationReview);
        let approval = store
            .approve_order(
                o.id,
                o.version,
                &approve_transition(),
                &plan("91330106MA2B3C4D5D", &["SN-A1", "SN-A2"]),
                "administration",
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(approval.subject.to_string(), "浙ICP备2026000001号");
        assert_eq!(
            approval
                .websites
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec!["浙ICP备2026000001号-1", "浙ICP备2026000001号-2"]
        );
        let row = store.order(o.id).await.unwrap().unwrap();
        assert_eq!(
            (row.state, row.in_progress, row.subject_number.as_deref()),
            (OrderState::Approved, false, Some("浙ICP备2026000001号"))
        );
        assert_eq!(store.product("INS-A").await.unwrap().unwrap().consumed, 2);
        // Approving again is refused.
        assert!(matches!(
            store
                .approve_order(
                    o.id,
                    row.version,
                    &approve_transition(),
                    &plan("91330106MA2B3C4D5D", &["SN-A3"]),
                    "administration",
                    NOW
                )
                .await,
            Err(StoreError::NotInAdministrationReview(_))
        ));
        // A new website for the same subject keeps the subject number.
        let o2 = to_review(&store, "91330106MA2B3C4D5D").await;
        let mut p = plan("91330106MA2B3C4D5D", &["SN-A3"]);
        p.filing_type = FilingType::AddWebsite;
        let second = store
            .approve_order(
                o2.id,
                o2.version,
                &approve_transition(),
                &p,
                "administration",
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(second.websites[0].to_string(), "浙ICP备2026000001号-3");
    }
);

on_both!(
    two_administrators_approving_one_order_at_once,
    |store: Store| async move {
        instance_with(&store, "INS-B", 5, &["SN-B"]).await;
        let o = to_review(&store, "91330106MA2B3C4D5D").await;
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let store = store.clone();
            let (id, version) = (o.id, o.version);
            tasks.push(tokio::spawn(async move {
                store
                    .approve_order(
                        id,
                        version,
                        &approve_transition(),
                        &plan("91330106MA2B3C4D5D", &["SN-B"]),
                        "administration",
                        NOW,
                    )
                    .await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict(_)) | Err(StoreError::NotInAdministrationReview(_)) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(store.product("INS-B").await.unwrap().unwrap().consumed, 1);
        assert_eq!(
            store
                .issue_subject_number(33, '浙', 2026, NOW)
                .await
                .unwrap()
                .to_string(),
            "浙ICP备2026000002号"
        );
    }
);

on_both!(
    orders_racing_for_the_last_service_number,
    |store: Store| async move {
        instance_with(&store, "INS-LAST", 5, &["SN-LAST"]).await;
        let mut orders = Vec::new();
        for i in 0..50 {
            orders.push(to_review(&store, &format!("CRED{i:04}")).await);
        }
        let mut tasks = Vec::new();
        for o in &orders {
            let store = store.clone();
            let (id, version, credential) = (o.id, o.version, o.credential.clone());
            tasks.push(tokio::spawn(async move {
                store
                    .approve_order(
                        id,
                        version,
                        &approve_transition(),
                        &plan(&credential, &["SN-LAST"]),
                        "administration",
                        NOW,
                    )
                    .await
            }));
        }
        let mut won = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(a) => won.push(a),
                Err(StoreError::QuotaExhausted(_)) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(won.len(), 1);
        assert_eq!(
            store.product("INS-LAST").await.unwrap().unwrap().consumed,
            1
        );
        let mut approved = 0;
        for o in &orders {
            let row = store.order(o.id).await.unwrap().unwrap();
            match row.state {
                OrderState::Approved => approved += 1,
                // The losers stay in review with nothing issued and their version unchanged.
                OrderState::AdministrationReview => {
                    assert_eq!((row.version, row.subject_number), (o.version, None))
                }
                s => panic!("unexpected state {s:?}"),
            }
        }
        assert_eq!(approved, 1);
        // Only the winner's subject number was issued: the next one is 2.
        assert_eq!(
            store
                .issue_subject_number(33, '浙', 2026, NOW)
                .await
                .unwrap()
                .to_string(),
            "浙ICP备2026000002号"
        );
    }
);

on_both!(blacklist_entries_are_permanent, |store: Store| async move {
    use beian_store::BlacklistKind;
    store
        .blacklist_add(
            BlacklistKind::Credential,
            "110105198503120012",
            "虚假材料",
            "supervisor:1",
            NOW,
        )
        .await
        .unwrap();
    // Adding again keeps the first entry.
    store
        .blacklist_add(
            BlacklistKind::Credential,
            "110105198503120012",
            "again",
            "supervisor:2",
            NOW,
        )
        .await
        .unwrap();
    let list = store.blacklist().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].reason, "虚假材料");
    assert!(store.execute_raw("DELETE FROM blacklist").await.is_err());
    assert_eq!(store.blacklist().await.unwrap().len(), 1);
});

on_both!(
    a_thousand_approvals_across_provinces_issue_distinct_numbers,
    |store: Store| async move {
        const PROVINCES: [(u8, char); 6] = [
            (11, '京'),
            (31, '沪'),
            (33, '浙'),
            (44, '粤'),
            (51, '蜀'),
            (65, '新'),
        ];
        store
            .put_product(&product("INS-MANY", i32::MAX))
            .await
            .unwrap();
        let mut orders = Vec::new();
        for i in 0..1000 {
            let sn = format!("SN-MANY-{i}");
            store
                .put_service_number(&sn, "INS-MANY", NOW)
                .await
                .unwrap();
            let mut o = new_order(&format!("CRED-MANY-{i:04}"));
            o.province = PROVINCES[i % PROVINCES.len()].0;
            let row = store.create_order(&o, NOW).await.unwrap();
            orders.push((row.id, i, sn));
        }
        store
            .execute_raw(
                "UPDATE orders SET state = 'administration_review', in_progress = TRUE, version = 7",
            )
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for (id, i, sn) in orders {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let (province, abbr) = PROVINCES[i % PROVINCES.len()];
                let mut p = plan(&format!("CRED-MANY-{i:04}"), &[sn.as_str()]);
                p.province = province;
                p.abbr = abbr;
                store
                    .approve_order(id, 7, &approve_transition(), &p, "administration", NOW)
                    .await
            }));
        }
        let mut numbers = std::collections::HashSet::new();
        for t in tasks {
            let a = t.await.unwrap().unwrap();
            assert!(numbers.insert(a.subject.to_string()));
            assert!(numbers.insert(a.websites[0].to_string()));
        }
        assert_eq!(numbers.len(), 2000);
        assert_eq!(
            store.product("INS-MANY").await.unwrap().unwrap().consumed,
            1000
        );
        // Per province, serials run 1..=n without a gap.
        for (_, abbr) in PROVINCES {
            let n = numbers
                .iter()
                .filter(|x| x.starts_with(abbr) && !x.contains('-'))
                .count();
            for serial in 1..=n {
                assert!(numbers.contains(&format!("{abbr}ICP备2026{serial:06}号")));
            }
        }
    }
);

/// The transition the workflow decides for an approval (administration review → approved).
fn approve_transition() -> beian_core::workflow::Transition {
    use beian_core::workflow::{Action, Effect, OrderState, Transition};
    Transition {
        from: OrderState::AdministrationReview,
        to: OrderState::Approved,
        action: Action::AdministrationApprove,
        effects: vec![Effect::Approve],
    }
}
