//! `beian query`: the public query from a terminal, against the filing database: by
//! domain, ICP number, subject name or credential number. It prints what the public sees (never
//! a credential number, phone or address) and exits 0 when filed, 1 when not filed, 2 when the
//! record cannot be read (the "unknown" outcome).

use std::process::ExitCode;

use beian_store::{QueryBy, Store};

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct QueryArgs {
    /// A domain (any form: IDN, upper case, a subdomain of the filed domain).
    #[arg(long)]
    domain: Option<String>,
    /// A subject or website ICP number (浙ICP备2026000001号, 浙ICP备2026000001号-1).
    #[arg(long)]
    number: Option<String>,
    /// The subject's name, exactly.
    #[arg(long)]
    subject: Option<String>,
    /// The subject's credential number.
    #[arg(long)]
    credential: Option<String>,
}

#[derive(clap::Args)]
pub struct QueryCommand {
    #[command(flatten)]
    what: QueryArgs,
    /// `sqlite://PATH` or `postgres://…`.
    #[arg(long, env = "BEIAN_DATABASE", default_value = "sqlite://beian.db")]
    database: String,
    /// This provider's name in the national record.
    #[arg(long, env = "BEIAN_PROVIDER", default_value = beian_server::DEFAULT_PROVIDER)]
    provider: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: QueryCommand) -> ExitCode {
    let (by, value) = match (
        &args.what.domain,
        &args.what.number,
        &args.what.subject,
        &args.what.credential,
    ) {
        (Some(d), ..) => match beian_rules::detect::registrable_ascii(d) {
            Some(r) => (QueryBy::Domain, r),
            None => {
                eprintln!("beian query: {d:?} 不是有效的域名 / is not a valid domain name");
                return ExitCode::from(2);
            }
        },
        (_, Some(n), ..) => (QueryBy::Number, n.trim().to_owned()),
        (_, _, Some(s), _) => (QueryBy::SubjectName, s.trim().to_owned()),
        (_, _, _, Some(c)) => (
            QueryBy::Credential,
            beian_rules::detect::normalise_credential_number(c),
        ),
        _ => return ExitCode::from(2),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("beian query: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        let store = Store::connect(&args.database).await?;
        let records = store.public_query(by, &value, &args.provider).await;
        store.close().await;
        records
    });
    let records = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("beian query: 备案库暂时无法查询 / the record cannot be read: {e}");
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"outcome": "unknown", "records": []})
                );
            }
            return ExitCode::from(2);
        }
    };
    let outcome = if records.is_empty() {
        "not_filed"
    } else {
        "filed"
    };
    if args.json {
        let list: Vec<serde_json::Value> = records
            .iter()
            .map(|w| {
                serde_json::json!({
                    "subject_name": w.subject_name, "nature": w.nature, "subject_number": w.subject_number,
                    "website_number": w.website_number, "website_name": w.website_name,
                    "domains": w.domains.iter().map(|d| beian_rules::beian_domain::to_unicode(d)).collect::<Vec<_>>(),
                    "approval_date": beian_rules::input::format_date(w.approved_at.to_offset(beian_core::sla::CHINA).date()),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"outcome": outcome, "records": list})
        );
    } else if records.is_empty() {
        println!("未备案 / not filed");
    } else {
        for w in &records {
            println!(
                "{}  {}  {}（{}）  {}  {}",
                w.website_number,
                w.website_name,
                w.subject_name,
                w.nature,
                w.domains
                    .iter()
                    .map(|d| beian_rules::beian_domain::to_unicode(d))
                    .collect::<Vec<_>>()
                    .join(", "),
                beian_rules::input::format_date(
                    w.approved_at.to_offset(beian_core::sla::CHINA).date()
                ),
            );
        }
    }
    if records.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
