//! Registrar records (the built-in registrars' library), run on SQLite and on PostgreSQL: every
//! test body is one async function taking a fresh, migrated store. PostgreSQL tests create and
//! drop their own database on the server at `BEIAN_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use beian_rules::RuleId;
use beian_rules::model::CredentialType;
use beian_store::{ImportError, ImportSummary, RegistrarError, RegistrarRecord, Store};
use time::OffsetDateTime;
use time::macros::{date, datetime};

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 +8);
const LATER: OffsetDateTime = datetime!(2026-11-23 09:00 +8);

fn record(domain: &str) -> RegistrarRecord {
    RegistrarRecord {
        domain: domain.into(),
        registrar: "阿里云计算有限公司（万网）".into(),
        registrar_approved: true,
        expires: date!(2027 - 10 - 01),
        real_name_verified: true,
        real_name_date: Some(date!(2025 - 01 - 01)),
        registrant_name: "杭州云帆科技有限公司".into(),
        registrant_credential_type: CredentialType::Uscc,
        registrant_credential_number: "91330106MA2B3C4D5D".into(),
    }
}

const HEADER: &str = "domain,registrar,registrar_approved,expires,real_name_verified,real_name_date,registrant_name,registrant_credential_type,registrant_credential_number\n";

fn csv(rows: &[&str]) -> String {
    let mut s = HEADER.to_owned();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

on_both!(put_and_get_round_trip, |store: Store| async move {
    let mut r = record("yunfan.cn");
    r.registrant_credential_number = "  91330106ma2b3c4d5d ".into();
    r.registrant_name = " 杭州云帆科技有限公司 ".into();
    assert!(store.registrar_put(&r, "account:1", NOW).await.unwrap());
    let got = store.registrar_get("YunFan.CN.").await.unwrap().unwrap();
    assert_eq!(got.record, record("yunfan.cn"));
    assert_eq!(got.updated_by, "account:1");
    assert_eq!(got.updated_at, NOW);
    // A second put replaces the record and says it was not new.
    let mut changed = record("yunfan.cn");
    changed.real_name_date = None;
    changed.real_name_verified = false;
    assert!(
        !store
            .registrar_put(&changed, "account:2", LATER)
            .await
            .unwrap()
    );
    let got = store.registrar_get("yunfan.cn").await.unwrap().unwrap();
    assert_eq!(got.record, changed);
    assert_eq!(
        (got.updated_by.as_str(), got.updated_at),
        ("account:2", LATER)
    );
    assert_eq!(store.registrar_count().await.unwrap(), 1);
    assert!(store.registrar_get("other.cn").await.unwrap().is_none());
    // A subdomain finds its registrable domain's record, but deletes nothing.
    assert!(
        store
            .registrar_get("www.yunfan.cn")
            .await
            .unwrap()
            .is_some()
    );
    assert!(!store.registrar_delete("www.yunfan.cn").await.unwrap());
    // Delete, then it is gone; deleting again says there was nothing.
    assert!(store.registrar_delete("YUNFAN.cn").await.unwrap());
    assert!(!store.registrar_delete("yunfan.cn").await.unwrap());
    assert!(store.registrar_get("yunfan.cn").await.unwrap().is_none());
});

on_both!(idn_domains_are_stored_in_ascii, |store: Store| async move {
    store
        .registrar_put(&record("云帆科技.中国"), "account:1", NOW)
        .await
        .unwrap();
    let ascii = beian_rules::beian_domain::to_ascii("云帆科技.中国").unwrap();
    assert!(ascii.starts_with("xn--"));
    let got = store.registrar_get(&ascii).await.unwrap().unwrap();
    assert_eq!(got.record.domain, ascii);
    // Looked up by its Unicode form, and by a subdomain for the rules.
    assert!(
        store
            .registrar_get("云帆科技.中国")
            .await
            .unwrap()
            .is_some()
    );
    let for_rules = store
        .registrar_for(&[
            "www.云帆科技.中国".into(),
            ascii.clone(),
            "unknown.cn".into(),
            "not a domain".into(),
        ])
        .await
        .unwrap();
    assert_eq!(for_rules.len(), 1);
    assert_eq!(for_rules[0].domain, ascii);
    assert!(store.registrar_for(&[]).await.unwrap().is_empty());
});

on_both!(put_refuses_bad_records, |store: Store| async move {
    let cases = [
        (record("www.yunfan.cn"), "domain"),
        (record("com.cn"), "domain"),
        (record("1.2.3.4"), "domain"),
        (
            RegistrarRecord {
                registrar: "  ".into(),
                ..record("yunfan.cn")
            },
            "registrar",
        ),
        (
            RegistrarRecord {
                registrant_credential_number: " ".into(),
                ..record("yunfan.cn")
            },
            "registrant_credential_number",
        ),
    ];
    for (r, field) in cases {
        match store.registrar_put(&r, "account:1", NOW).await {
            Err(RegistrarError::Invalid(p)) => assert_eq!(p.field, field, "{r:?}"),
            other => panic!("{r:?} gave {other:?}"),
        }
    }
    assert_eq!(store.registrar_count().await.unwrap(), 0);
});

on_both!(csv_import_happy_path, |store: Store| async move {
    let file = csv(&[
        "yunfan.cn,\"Alibaba Cloud Computing Co., Ltd.\",true,2027-10-01,true,2025-01-01,杭州云帆科技有限公司,uscc,91330106ma2b3c4d5d",
        "",
        "云帆科技.中国,阿里云计算有限公司（万网）,1,2028-03-01,是,,\"Zhang, Wei \"\"Ziv\"\"\",resident_id, 330106198503120036 ",
        "\"YUNFAN-DOCS.COM.\",西部数码,false,2027-05-01,no,,张伟,RESIDENT_ID,33010619850312003x",
    ]);
    let summary = store
        .registrar_import_csv(file.as_bytes(), "account:9", NOW)
        .await
        .unwrap();
    assert_eq!(
        summary,
        ImportSummary {
            rows: 3,
            created: 3,
            updated: 0
        }
    );
    let a = store.registrar_get("yunfan.cn").await.unwrap().unwrap();
    assert_eq!(a.record.registrar, "Alibaba Cloud Computing Co., Ltd.");
    assert_eq!(a.record.registrant_credential_number, "91330106MA2B3C4D5D");
    assert_eq!(a.updated_by, "account:9");
    let b = store.registrar_get("云帆科技.中国").await.unwrap().unwrap();
    assert_eq!(b.record.registrant_name, "Zhang, Wei \"Ziv\"");
    assert_eq!(b.record.real_name_date, None);
    assert!(b.record.registrar_approved && b.record.real_name_verified);
    assert_eq!(
        b.record.registrant_credential_type,
        CredentialType::ResidentId
    );
    assert_eq!(b.record.registrant_credential_number, "330106198503120036");
    let c = store
        .registrar_get("yunfan-docs.com")
        .await
        .unwrap()
        .unwrap();
    assert!(!c.record.registrar_approved && !c.record.real_name_verified);
    assert_eq!(c.record.registrant_credential_number, "33010619850312003X");
    let page = store.registrar_list(2, 0).await.unwrap();
    let rest = store.registrar_list(2, 2).await.unwrap();
    assert_eq!((page.len(), rest.len()), (2, 1));
    assert!(page[0].record.domain < page[1].record.domain);
    // Columns in another order, a BOM and CRLF line ends are fine too.
    let reordered = "\u{feff}registrant_credential_number,domain,registrar,registrar_approved,expires,real_name_verified,real_name_date,registrant_name,registrant_credential_type\r\n\
        91110000000000000A,example.cn,新网,true,2029-01-01,true,2024-01-01,北京示例有限公司,uscc\r\n";
    let s = store
        .registrar_import_csv(reordered.as_bytes(), "account:9", NOW)
        .await
        .unwrap();
    assert_eq!(s.rows, 1);
    assert_eq!(
        store
            .registrar_get("example.cn")
            .await
            .unwrap()
            .unwrap()
            .record
            .registrant_credential_number,
        "91110000000000000A"
    );
});

/// Import `file` expecting an error; returns it after checking that nothing was written.
async fn refused(store: &Store, file: &str) -> ImportError {
    let before = store.registrar_count().await.unwrap();
    let snapshot = store.registrar_list(1000, 0).await.unwrap();
    let err = store
        .registrar_import_csv(file.as_bytes(), "account:9", LATER)
        .await
        .expect_err("the import should be refused");
    assert_eq!(store.registrar_count().await.unwrap(), before);
    assert_eq!(store.registrar_list(1000, 0).await.unwrap(), snapshot);
    err
}

fn line_and_column(e: &ImportError) -> (usize, Option<&'static str>) {
    match e {
        ImportError::Line { line, column, .. } => (*line, *column),
        other => panic!("not a line error: {other:?}"),
    }
}

on_both!(
    bad_date_on_line_3_names_line_and_column_and_writes_nothing,
    |store: Store| async move {
        store
            .registrar_put(&record("existing.cn"), "account:1", NOW)
            .await
            .unwrap();
        let file = csv(&[
            "existing.cn,新网,true,2030-01-01,true,2025-01-01,杭州云帆科技有限公司,uscc,91330106MA2B3C4D5D",
            "yunfan.cn,新网,true,2027/10/01,true,2025-01-01,杭州云帆科技有限公司,uscc,91330106MA2B3C4D5D",
            "fine.cn,新网,true,2027-10-01,true,2025-01-01,杭州云帆科技有限公司,uscc,91330106MA2B3C4D5D",
        ]);
        let err = refused(&store, &file).await;
        assert_eq!(line_and_column(&err), (3, Some("expires")));
        let text = err.to_string();
        assert!(text.contains("第 3 行 expires"), "{text}");
        assert!(text.contains("line 3, expires"), "{text}");
        assert!(text.contains("YYYY-MM-DD"), "{text}");
        // The first row's update did not happen either.
        let kept = store.registrar_get("existing.cn").await.unwrap().unwrap();
        assert_eq!(kept.record.expires, date!(2027 - 10 - 01));
        assert!(store.registrar_get("fine.cn").await.unwrap().is_none());
    }
);

on_both!(bad_rows_are_refused_by_column, |store: Store| async move {
    let good = "ok.cn,新网,true,2027-10-01,true,2025-01-01,某某公司,uscc,91330106MA2B3C4D5D";
    let cases: [(&str, (usize, Option<&str>)); 9] = [
        (
            "bad.cn,新网,true,2027-10-01,true,2025-01-01,某某公司,driving_licence,123",
            (3, Some("registrant_credential_type")),
        ),
        (
            "bad.cn,新网,maybe,2027-10-01,true,2025-01-01,某某公司,uscc,123",
            (3, Some("registrar_approved")),
        ),
        (
            "bad.cn,新网,true,2027-10-01,true,2025-02-30,某某公司,uscc,123",
            (3, Some("real_name_date")),
        ),
        (
            "www.bad.cn,新网,true,2027-10-01,true,,某某公司,uscc,123",
            (3, Some("domain")),
        ),
        (
            "bad.cn,,true,2027-10-01,true,,某某公司,uscc,123",
            (3, Some("registrar")),
        ),
        (
            "bad.cn,新网,true,2027-10-01,true,,,uscc,123",
            (3, Some("registrant_name")),
        ),
        (
            "bad.cn,新网,true,2027-10-01,true,,某某公司,uscc,",
            (3, Some("registrant_credential_number")),
        ),
        // An unquoted comma gives one field too many.
        (
            "bad.cn,Alibaba, Inc.,true,2027-10-01,true,,某某公司,uscc,1",
            (3, None),
        ),
        ("\"bad.cn,新网", (3, None)),
    ];
    for (row, expected) in cases {
        let err = refused(&store, &csv(&[good, row])).await;
        assert_eq!(line_and_column(&err), expected, "{row}: {err}");
    }
    let err = refused(&store, &csv(&[good, cases[0].0])).await;
    let text = err.to_string();
    assert!(
        text.contains("第 3 行 registrant_credential_type"),
        "{text}"
    );
    assert!(
        text.contains("uscc"),
        "the accepted types are listed: {text}"
    );
    // The header: an unknown or a missing column, and an empty file.
    let err = refused(&store, "domain,registrar,oops\nx.cn,a,b\n").await;
    assert_eq!(line_and_column(&err), (1, None));
    assert!(err.to_string().contains("oops"));
    let err = refused(
        &store,
        &HEADER
            .replace(",real_name_date", "")
            .replace("\n", ",extra\n"),
    )
    .await;
    assert_eq!(line_and_column(&err), (1, None));
    let err = refused(&store, "").await;
    assert_eq!(line_and_column(&err), (1, None));
    // Not UTF-8 (a GBK export): refused with its line.
    let mut gbk = csv(&[good]).into_bytes();
    gbk.extend_from_slice(b"bad.cn,\xd0\xc2\xcd\xf8,true,2027-10-01,true,,x,uscc,1\n");
    let before = store.registrar_count().await.unwrap();
    let err = store
        .registrar_import_csv(&gbk[..], "account:9", NOW)
        .await
        .unwrap_err();
    assert_eq!(line_and_column(&err), (3, None));
    assert_eq!(store.registrar_count().await.unwrap(), before);
    assert_eq!(before, 0);
});

// Decision: the same domain twice in one file is an error naming both lines (after
// normalisation, so an IDN and its punycode are the same domain), and nothing is written.
on_both!(
    duplicate_domain_in_one_file_is_refused,
    |store: Store| async move {
        let ascii = beian_rules::beian_domain::to_ascii("云帆科技.中国").unwrap();
        let file = csv(&[
            "云帆科技.中国,新网,true,2027-10-01,true,,某某公司,uscc,1",
            "other.cn,新网,true,2027-10-01,true,,某某公司,uscc,1",
            &format!(
                "{},新网,true,2028-10-01,true,,某某公司,uscc,1",
                ascii.to_uppercase()
            ),
        ]);
        let err = refused(&store, &file).await;
        assert_eq!(line_and_column(&err), (4, Some("domain")));
        let text = err.to_string();
        assert!(
            text.contains("第 2 行") && text.contains("line 2"),
            "{text}"
        );
    }
);

on_both!(
    reimport_updates_and_keeps_the_rest,
    |store: Store| async move {
        let first = csv(&[
            "a.cn,新网,true,2027-10-01,false,,某某公司,uscc,1",
            "b.cn,新网,true,2027-10-01,true,2025-01-01,某某公司,uscc,2",
        ]);
        let s = store
            .registrar_import_csv(first.as_bytes(), "account:1", NOW)
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.updated), (2, 2, 0));
        let second = csv(&[
            "a.cn,新网,true,2028-10-01,true,2026-11-20,某某公司,uscc,1",
            "c.cn,新网,true,2027-10-01,true,2025-01-01,某某公司,uscc,3",
        ]);
        let s = store
            .registrar_import_csv(second.as_bytes(), "account:2", LATER)
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.updated), (2, 1, 1));
        let a = store.registrar_get("a.cn").await.unwrap().unwrap();
        assert_eq!(a.record.expires, date!(2028 - 10 - 01));
        assert!(a.record.real_name_verified);
        assert_eq!(a.record.real_name_date, Some(date!(2026 - 11 - 20)));
        assert_eq!((a.updated_by.as_str(), a.updated_at), ("account:2", LATER));
        // Records absent from the second file stay as they were.
        let b = store.registrar_get("b.cn").await.unwrap().unwrap();
        assert_eq!((b.updated_by.as_str(), b.updated_at), ("account:1", NOW));
        assert_eq!(store.registrar_count().await.unwrap(), 3);
        // A file with only a header imports nothing and succeeds.
        let s = store
            .registrar_import_csv(HEADER.as_bytes(), "account:2", LATER)
            .await
            .unwrap();
        assert_eq!(s, ImportSummary::default());
    }
);

on_both!(records_feed_the_domain_rules, |store: Store| async move {
    let example = include_str!("../../../examples/check/valid-enterprise-zhejiang.json");
    let engine = beian_rules::Engine::embedded().unwrap();
    let mut doc = beian_rules::parse_document(example).unwrap();
    let domains: Vec<String> = doc
        .application
        .websites
        .iter()
        .flatten()
        .flat_map(|w| w.domains.iter().flatten().cloned())
        .collect();
    assert_eq!(domains.len(), 3, "{domains:?}");
    let check = |doc: &beian_rules::Document| {
        let report = engine.check(&doc.application, &doc.context, date!(2026 - 11 - 22));
        let mut rules: Vec<(RuleId, String)> = report
            .findings
            .iter()
            .filter(|f| f.rule.as_str().starts_with("DOMAIN_"))
            .map(|f| (f.rule, f.path.clone()))
            .collect();
        rules.sort_by(|a, b| a.1.cmp(&b.1));
        rules
    };

    // The example's records, imported from CSV: no DOMAIN_* finding (the near miss).
    let file = csv(&[
        "yunfan.cn,阿里云计算有限公司（万网）,true,2027-10-01,true,2025-01-01,杭州云帆科技有限公司,uscc,91330106MA2B3C4D5D",
        "云帆科技.中国,阿里云计算有限公司（万网）,true,2028-03-01,true,2025-01-01,杭州云帆科技有限公司,uscc,91330106MA2B3C4D5D",
        "yunfan-docs.com,阿里云计算有限公司（万网）,true,2027-05-01,true,2025-06-01,张伟,resident_id,330106198503120036",
    ]);
    store
        .registrar_import_csv(file.as_bytes(), "account:1", NOW)
        .await
        .unwrap();
    let records = store.registrar_for(&domains).await.unwrap();
    assert_eq!(records.len(), 3);
    doc.context.domains = Some(records.iter().map(|r| r.to_domain_record()).collect());
    assert_eq!(check(&doc), vec![]);

    // yunfan.cn expired yesterday; yunfan-docs.com is registered to someone else.
    let mut expired = record("yunfan.cn");
    expired.expires = date!(2026 - 11 - 21);
    store
        .registrar_put(&expired, "account:1", LATER)
        .await
        .unwrap();
    let mut other = record("yunfan-docs.com");
    other.registrant_name = "李四".into();
    other.registrant_credential_type = CredentialType::ResidentId;
    other.registrant_credential_number = "110101199003070038".into();
    store
        .registrar_put(&other, "account:1", LATER)
        .await
        .unwrap();
    let records = store.registrar_for(&domains).await.unwrap();
    doc.context.domains = Some(records.iter().map(|r| r.to_domain_record()).collect());
    let found = check(&doc);
    assert!(
        found.contains(&(RuleId::DomainExpired, "websites[0].domains[0]".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(RuleId::DomainOwnerMismatch, "websites[1].domains[0]".into())),
        "{found:?}"
    );

    // A deleted record is "not in the registrar's library".
    store.registrar_delete("yunfan-docs.com").await.unwrap();
    let records = store.registrar_for(&domains).await.unwrap();
    doc.context.domains = Some(records.iter().map(|r| r.to_domain_record()).collect());
    assert!(
        check(&doc).contains(&(RuleId::DomainNoRecord, "websites[1].domains[0]".into())),
        "{:?}",
        check(&doc)
    );
});

// The rows are written in one transaction: a database failure on the last row leaves the
// earlier rows (new and updated) unwritten.
on_both!(
    a_failure_mid_write_rolls_back_every_row,
    |store: Store| async move {
        store
            .registrar_put(&record("a.cn"), "account:1", NOW)
            .await
            .unwrap();
        match store.backend() {
        beian_store::Backend::Sqlite => store
            .execute_raw(
                "CREATE TRIGGER boom BEFORE INSERT ON registrar_records WHEN NEW.domain = 'boom.cn' \
                 BEGIN SELECT RAISE(ABORT, 'boom'); END",
            )
            .await
            .unwrap(),
        beian_store::Backend::Postgres => store
            .execute_raw(
                "ALTER TABLE registrar_records ADD CONSTRAINT boom CHECK (domain <> 'boom.cn')",
            )
            .await
            .unwrap(),
    };
        let file = csv(&[
            "a.cn,新网,true,2030-01-01,true,,某某公司,uscc,1",
            "b.cn,新网,true,2030-01-01,true,,某某公司,uscc,2",
            "boom.cn,新网,true,2030-01-01,true,,某某公司,uscc,3",
        ]);
        let err = store
            .registrar_import_csv(file.as_bytes(), "account:2", LATER)
            .await
            .unwrap_err();
        assert!(matches!(err, ImportError::Store(_)), "{err:?}");
        assert_eq!(store.registrar_count().await.unwrap(), 1);
        let a = store.registrar_get("a.cn").await.unwrap().unwrap();
        assert_eq!(a.record.expires, date!(2027 - 10 - 01));
        assert_eq!(a.updated_by, "account:1");
    }
);
