//! `beian demo`: the server with a demo data set, so that a newcomer sees the system at work:
//! staff accounts, applicants with orders at several stages, products with service numbers.
//! Seeding is skipped when the database already holds the demo accounts.

use anyhow::{Context as _, Result};
use beian_core::workflow::{Command, OrderFacts, Role, transition};
use beian_rules::model::FilingType;
use beian_store::{NewOrder, OrderRow, ProductRow, Store};
use time::OffsetDateTime;

/// A demo login: (login, password, role, display name).
pub const LOGINS: [(&str, &str, &str, &str); 5] = [
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

/// Seed the demo data set unless it is there already.
pub async fn seed(store: &Store) -> Result<()> {
    if store.account_by_login("reviewer").await?.is_some() {
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let mut ids = Vec::new();
    for (login, password, role, name) in LOGINS {
        let password = password.to_owned();
        let hash =
            tokio::task::spawn_blocking(move || beian_server::auth::hash_password(&password))
                .await?
                .map_err(|e| anyhow::anyhow!("hashing a demo password: {e}"))?;
        let account = store.create_account(login, &hash, role, name, now).await?;
        ids.push((login, account.id));
    }
    for (sn, quota, consumed) in [("SN0001", 5, 0), ("SN0100", 5, 2), ("SN0200", 5, 4)] {
        store
            .put_product(&ProductRow {
                service_number: sn.into(),
                kind: "ecs".into(),
                mainland: true,
                subscription: true,
                public_bandwidth: true,
                expires: (now + time::Duration::days(400)).date(),
                quota,
                consumed,
            })
            .await?;
    }
    for (login, example) in EXAMPLES {
        let account = ids
            .iter()
            .find(|(l, _)| *l == login)
            .map(|(_, id)| *id)
            .context("demo account")?;
        let doc: serde_json::Value = serde_json::from_str(example)?;
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
    Ok(())
}
