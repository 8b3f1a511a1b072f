//! `beian demo`: the server with a demo data set, so that a newcomer sees the system at work:
//! staff accounts, applicants with orders at several stages, products with service numbers, and
//! another provider's filing on the national record (for transfers).
//! Seeding is skipped when the database already holds the demo accounts; `beian demo --reset`
//! deletes the demo database first.

use anyhow::{Context as _, Result};
use beian_core::workflow::{Command, OrderFacts, Role, transition};
use beian_rules::model::FilingType;
use beian_store::{
    ApprovalPlan, NewOrder, OrderRow, PlannedSubject, PlannedWebsite, ProductRow, Store,
};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// A demo login: (login, password, role, display name).
pub const LOGINS: [(&str, &str, &str, &str); 6] = [
    ("reviewer", "demo-reviewer-pass", "reviewer", "审核员 王静"),
    (
        "supervisor",
        "demo-supervisor-pass",
        "supervisor",
        "主管 赵强",
    ),
    (
        "yunfan",
        "demo-applicant-pass",
        "applicant",
        "杭州云帆科技有限公司",
    ),
    ("liming", "demo-applicant-pass", "applicant", "李明"),
    (
        "guanju",
        "demo-administration-pass",
        "administration",
        "内置管局 审核员",
    ),
    ("wangfang", "demo-applicant-pass", "applicant", "王芳"),
];

const EXAMPLES: [(&str, &str); 3] = [
    (
        "yunfan",
        include_str!("../../../examples/check/valid-enterprise-zhejiang.json"),
    ),
    (
        "liming",
        include_str!("../../../examples/check/valid-individual-beijing.json"),
    ),
    (
        "wangfang",
        include_str!("../../../examples/check/valid-individual-jiangsu.json"),
    ),
];

/// The demo's gate token: access gates present it to read the feed (`/api/v1/gate/*`). Fixed
/// and printed, as the demo's passwords are: never use it outside the demo.
pub const GATE_TOKEN: &str = "demo-gate-token";

/// Delete the demo database (a SQLite file and its `-wal` and `-shm` companions) and the demo's
/// documents directory, so that the next start seeds afresh. Only a SQLite database is deleted:
/// a PostgreSQL database is not the demo's to drop.
pub fn reset(database: &str, documents_dir: &Path) -> Result<()> {
    let Some(path) = sqlite_path(database) else {
        anyhow::bail!(
            "--reset deletes a SQLite demo database (sqlite://PATH), not {}: drop that database yourself",
            crate::redact(database)
        );
    };
    let mut removed = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = PathBuf::from(file);
        match std::fs::remove_file(&file) {
            Ok(()) => removed.push(file.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("deleting {}", file.display())),
        }
    }
    match std::fs::remove_dir_all(documents_dir) {
        Ok(()) => removed.push(format!("{}/", documents_dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("deleting {}", documents_dir.display()));
        }
    }
    if removed.is_empty() {
        println!("beian demo --reset: nothing to delete");
    } else {
        println!("beian demo --reset: deleted {}", removed.join(", "));
    }
    Ok(())
}

/// The file of a `sqlite:` URL (`sqlite://PATH`, `sqlite:PATH`, options after `?` ignored);
/// `None` for another database or an in-memory one.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Seed the demo data set unless it is there already; true when it was seeded now.
pub async fn seed(store: &Store) -> Result<bool> {
    if store.account_status("reviewer").await?.is_some() {
        return Ok(false);
    }
    let now = OffsetDateTime::now_utc();
    let mut ids = Vec::new();
    for (login, password, role, name) in LOGINS {
        let password = password.to_owned();
        let hash =
            tokio::task::spawn_blocking(move || beian_server::auth::hash_password(&password))
                .await?
                .map_err(|e| anyhow::anyhow!("hashing a demo password: {e}"))?;
        // Reserved example domain (RFC 2606): mail to it goes nowhere real.
        let email = format!("{login}@example.com");
        let account = store
            .create_account(login, &hash, role, name, &email, now)
            .await?;
        ids.push((login, account.id));
    }
    for (login, example) in EXAMPLES {
        let account = ids
            .iter()
            .find(|(l, _)| *l == login)
            .map(|(_, id)| *id)
            .context("demo account")?;
        let mut doc: serde_json::Value = serde_json::from_str(example)?;
        // Each applicant owns an instance; each website names a service number of its own.
        let instance = format!("i-{login}-01");
        store
            .put_product(&ProductRow {
                instance_id: instance.clone(),
                account: Some(account.to_string()),
                kind: "ecs".into(),
                mainland: true,
                subscription: true,
                public_bandwidth: true,
                expires: (now + time::Duration::days(400)).date(),
                quota: beian_core::product::DEFAULT_QUOTA as i32,
                issued: 0,
                consumed: 0,
            })
            .await?;
        // And a pay-as-you-go instance, which cannot carry a filing: the products page shows why.
        store
            .put_product(&ProductRow {
                instance_id: format!("i-{login}-02"),
                account: Some(account.to_string()),
                kind: "ecs".into(),
                mainland: true,
                subscription: false,
                public_bandwidth: true,
                expires: (now + time::Duration::days(30)).date(),
                quota: beian_core::product::DEFAULT_QUOTA as i32,
                issued: 0,
                consumed: 0,
            })
            .await?;
        if let Some(websites) = doc["application"]["websites"].as_array_mut() {
            for w in websites.iter_mut() {
                let number = store.issue_service_number(&instance, now).await?;
                w["service_number"] = serde_json::json!(number);
            }
        }
        let app: beian_rules::Application = serde_json::from_value(doc["application"].clone())?;
        let credential = app.subject_credential_number().unwrap_or_default();
        let province = app.province_code().unwrap_or(0);
        let order = store
            .create_order(
                &NewOrder {
                    account: account.to_string(),
                    filing_type: FilingType::Initial,
                    province,
                    credential,
                    application: serde_json::to_string(&app)?,
                },
                now,
            )
            .await?;
        // Three stages: in provider review, in verification, still a draft.
        let steps: &[(Role, Command)] = match login {
            "yunfan" => &[(Role::Applicant, Command::Submit)],
            "wangfang" => &[
                (Role::Applicant, Command::Submit),
                (Role::Reviewer, Command::ProviderPass),
            ],
            _ => &[],
        };
        let mut o: OrderRow = order;
        for (role, command) in steps {
            let facts = OrderFacts {
                filing_type: FilingType::Initial,
                sms_pilot: false,
                first_submitted_at: o.first_submitted_at,
                sms_started_at: o.sms_started_at,
                uploads_started: o.uploads_started,
                verification_complete: o.verification_complete,
                check_errors: 0,
                administration_review_days: 20,
            };
            let t = transition(o.state, &facts, *role, command, now)?;
            let actor = if *role == Role::Applicant {
                format!("account:{account}")
            } else {
                "demo:reviewer".into()
            };
            o = store
                .apply_transition(o.id, o.version, &t, &actor, now)
                .await?;
        }
    }
    // Another provider's filing on the national record: its subject may transfer the website
    // here (接入) or add a website filed elsewhere.
    store
        .record_filing(
            &ApprovalPlan {
                filing_type: FilingType::Initial,
                province: 33,
                abbr: '浙',
                year: now.to_offset(beian_core::sla::CHINA).year(),
                provider: "another-cloud".into(),
                account: None,
                subject: PlannedSubject {
                    nature: "enterprise".into(),
                    name: "杭州远山网络有限公司".into(),
                    credential_type: "uscc".into(),
                    credential: OTHER_PROVIDER_SUBJECT.into(),
                    mobiles: vec!["13906712345".into()],
                },
                websites: vec![PlannedWebsite {
                    name: "远山网络".into(),
                    domains: vec!["yuanshan-net.cn".into()],
                    service_number: None,
                }],
            },
            beian_server::DEFAULT_PROVIDER,
            "demo",
            now,
        )
        .await?;
    Ok(true)
}

/// The credential number (USCC) of the demo subject filed with another provider.
pub const OTHER_PROVIDER_SUBJECT: &str = "91330106MA27XXXX0K";

#[cfg(test)]
mod tests {
    use super::sqlite_path;
    use std::path::PathBuf;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://beian-demo.db"),
            Some(PathBuf::from("beian-demo.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/d.db?mode=rwc"),
            Some(PathBuf::from("/tmp/d.db"))
        );
        assert_eq!(sqlite_path("sqlite:d.db"), Some(PathBuf::from("d.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
