//! `beian import …`: reference data loaded into the database from files.
//!
//! `beian import registrar FILE.csv --database URL` loads domain registration records (the
//! built-in registrars' library read by the DOMAIN_* rules) from a CSV file whose header names
//! the columns `domain,registrar,registrar_approved,expires,real_name_verified,real_name_date,
//! registrant_name,registrant_credential_type,registrant_credential_number`. Every row is
//! checked first and all are written in one transaction, or none: a bad row is reported with
//! its line and column, in Chinese and English, and the command exits 1 with nothing written.

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use time::OffsetDateTime;

/// Import registrar records from `file` (`-` for standard input) into `database`.
pub async fn registrar_csv(database: &str, file: &Path) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    }
    let store = beian_store::Store::connect(database)
        .await
        .with_context(|| format!("connecting to {}", crate::redact(database)))?;
    store.migrate().await.context("migrating the schema")?;
    let actor = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    );
    let result = store
        .registrar_import_csv(&bytes[..], &actor, OffsetDateTime::now_utc())
        .await;
    store.close().await;
    let summary = result.with_context(|| {
        format!(
            "{} 未导入，数据库未改动 / {} not imported, nothing written",
            file.display(),
            file.display()
        )
    })?;
    println!(
        "已导入 {} 行域名注册信息（新增 {}，更新 {}）/ imported {} registrar records ({} new, {} updated)",
        summary.rows,
        summary.created,
        summary.updated,
        summary.rows,
        summary.created,
        summary.updated
    );
    Ok(())
}
