//! The registrars' domain library (域名注册信息库): the built-in registration records that the
//! DOMAIN_* rules read through `context.domains`. One record per registrable domain, kept in
//! its lower-case IDNA ASCII form; credential numbers trimmed and upper-cased.
//!
//! Supervisors edit records one by one ([`Store::registrar_put`], [`Store::registrar_delete`]) or
//! import a CSV file ([`Store::registrar_import_csv`]): every row is checked first and then all
//! rows are written in one transaction, or none. Decisions:
//! - the header names the nine columns of [`CSV_COLUMNS`], in any order; a missing or unknown
//!   column is an error (a typo must not pass silently); a UTF-8 byte-order mark is skipped;
//! - blank lines are skipped; quoted fields may hold commas, doubled quotes and line breaks;
//! - the same domain twice in one file (after normalisation: `例子.中国` and its punycode are
//!   the same) is an error naming both lines: which row should win is not ours to guess;
//! - a subdomain (`www.example.com`) is refused: records are per registrable domain;
//! - a domain already stored is updated; records absent from the file are left alone.

use std::collections::HashMap;
use std::fmt;

use beian_rules::beian_domain;
use beian_rules::detect::{normalise_credential_number, registrable_ascii};
use beian_rules::input::{Credential, DomainRecord, Registrant, parse_date};
use beian_rules::model::CredentialType;
use sqlx::Row;
use time::{Date, OffsetDateTime};

use super::{Pool, Store, StoreError};

/// The columns of an import file, in the order of the template.
pub const CSV_COLUMNS: [&str; 9] = [
    "domain",
    "registrar",
    "registrar_approved",
    "expires",
    "real_name_verified",
    "real_name_date",
    "registrant_name",
    "registrant_credential_type",
    "registrant_credential_number",
];

/// One domain's registration: what the registrar's library says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarRecord {
    /// The registrable domain, lower-case IDNA ASCII once normalised.
    pub domain: String,
    pub registrar: String,
    /// Whether the registrar is approved by MIIT.
    pub registrar_approved: bool,
    pub expires: Date,
    pub real_name_verified: bool,
    /// When real-name verification finished.
    pub real_name_date: Option<Date>,
    pub registrant_name: String,
    pub registrant_credential_type: CredentialType,
    /// Trimmed and upper-cased once normalised.
    pub registrant_credential_number: String,
}

/// A stored record with who changed it last, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarEntry {
    pub record: RegistrarRecord,
    pub updated_by: String,
    pub updated_at: OffsetDateTime,
}

/// What is wrong with one field of a record, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field (and CSV column) name, as in [`CSV_COLUMNS`].
    pub field: &'static str,
    pub zh: String,
    pub en: String,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}：{} / {}: {}",
            self.field, self.zh, self.field, self.en
        )
    }
}

/// Why a record could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum RegistrarError {
    #[error("{0}")]
    Invalid(FieldProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A row, or the file's shape, is wrong at `line` (1-based; the header is line 1).
    #[error("{}", line_message(*.line, .column, .zh, .en))]
    Line {
        line: usize,
        /// The column at fault, when one is.
        column: Option<&'static str>,
        zh: String,
        en: String,
    },
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn line_message(line: usize, column: &Option<&'static str>, zh: &str, en: &str) -> String {
    match column {
        Some(c) => format!("第 {line} 行 {c}：{zh} / line {line}, {c}: {en}"),
        None => format!("第 {line} 行：{zh} / line {line}: {en}"),
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// Data rows read (blank lines not counted).
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
}

fn problem(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field,
        zh: zh.into(),
        en: en.into(),
    }
}

/// The stored form of a domain: its registrable domain in lower-case IDNA ASCII. A subdomain
/// (`www.example.com`) or anything that is not a registrable domain is refused.
pub fn normalise_domain(raw: &str) -> Result<String, FieldProblem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(problem("domain", "不能为空", "must not be blank"));
    }
    let ascii = beian_domain::to_ascii(raw).map_err(|e| {
        problem(
            "domain",
            format!("{raw:?} 不是有效的域名"),
            format!("{raw:?} is not a valid domain name ({e})"),
        )
    })?;
    match registrable_ascii(&ascii) {
        Some(r) if r == ascii => Ok(r),
        Some(r) => Err(problem(
            "domain",
            format!("{raw:?} 是子域名，应填写可注册域名 {r}"),
            format!("{raw:?} is a subdomain: give the registrable domain {r}"),
        )),
        None => Err(problem(
            "domain",
            format!("{raw:?} 不是可注册域名（公共后缀或无效后缀）"),
            format!("{raw:?} is not a registrable domain (a public suffix or an unknown one)"),
        )),
    }
}

/// Parse a credential type by its stable name (`uscc`, `resident_id`…).
pub fn parse_credential_type(raw: &str) -> Result<CredentialType, FieldProblem> {
    let t = raw.trim().to_ascii_lowercase();
    CredentialType::parse(&t).ok_or_else(|| {
        let names: Vec<&str> = CredentialType::ALL.iter().map(|c| c.as_str()).collect();
        problem(
            "registrant_credential_type",
            format!(
                "{:?} 不是证件类型，应为 {} 之一",
                raw.trim(),
                names.join("、")
            ),
            format!(
                "{:?} is not a credential type; use one of {}",
                raw.trim(),
                names.join(", ")
            ),
        )
    })
}

fn parse_bool(field: &'static str, raw: &str) -> Result<bool, FieldProblem> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "是" => Ok(true),
        "false" | "0" | "no" | "n" | "否" => Ok(false),
        other => Err(problem(
            field,
            format!("{other:?} 不是布尔值，应为 true 或 false（也可写 1/0、是/否）"),
            format!("{other:?} is not a boolean: write true or false (or 1/0, yes/no)"),
        )),
    }
}

fn parse_day(field: &'static str, raw: &str) -> Result<Date, FieldProblem> {
    parse_date(raw.trim()).map_err(|_| {
        problem(
            field,
            format!("日期格式应为 YYYY-MM-DD（收到 {:?}）", raw.trim()),
            format!("dates are YYYY-MM-DD (got {:?})", raw.trim()),
        )
    })
}

fn required(field: &'static str, raw: &str) -> Result<String, FieldProblem> {
    let v = raw.trim();
    if v.is_empty() {
        Err(problem(field, "不能为空", "must not be blank"))
    } else {
        Ok(v.to_owned())
    }
}

impl RegistrarRecord {
    /// The record in its stored form: domain normalised (IDN → ASCII, registrable domain only),
    /// names trimmed, credential number trimmed and upper-cased; blank fields refused.
    pub fn normalised(&self) -> Result<RegistrarRecord, FieldProblem> {
        let number = normalise_credential_number(&self.registrant_credential_number);
        if number.is_empty() {
            return Err(problem(
                "registrant_credential_number",
                "不能为空",
                "must not be blank",
            ));
        }
        Ok(RegistrarRecord {
            domain: normalise_domain(&self.domain)?,
            registrar: required("registrar", &self.registrar)?,
            registrar_approved: self.registrar_approved,
            expires: self.expires,
            real_name_verified: self.real_name_verified,
            real_name_date: self.real_name_date,
            registrant_name: required("registrant_name", &self.registrant_name)?,
            registrant_credential_type: self.registrant_credential_type,
            registrant_credential_number: number,
        })
    }

    /// The record as the rules engine reads it in `context.domains`.
    pub fn to_domain_record(&self) -> DomainRecord {
        DomainRecord {
            domain: self.domain.clone(),
            registrar: Some(self.registrar.clone()),
            registrar_approved: Some(self.registrar_approved),
            expires: Some(self.expires),
            real_name_verified: Some(self.real_name_verified),
            real_name_date: self.real_name_date,
            registrant: Some(Registrant {
                name: Some(self.registrant_name.clone()),
                credential: Some(Credential {
                    kind: Some(self.registrant_credential_type),
                    number: Some(self.registrant_credential_number.clone()),
                }),
            }),
        }
    }

    /// Build a normalised record from its fields as text (the columns of an import row, or an
    /// API body), with the same bilingual problems.
    pub fn from_fields(f: &RegistrarFields<'_>) -> Result<RegistrarRecord, FieldProblem> {
        let real_name_date = match f.real_name_date.trim() {
            "" => None,
            d => Some(parse_day("real_name_date", d)?),
        };
        RegistrarRecord {
            domain: f.domain.to_owned(),
            registrar: f.registrar.to_owned(),
            registrar_approved: parse_bool("registrar_approved", f.registrar_approved)?,
            expires: parse_day("expires", f.expires)?,
            real_name_verified: parse_bool("real_name_verified", f.real_name_verified)?,
            real_name_date,
            registrant_name: f.registrant_name.to_owned(),
            registrant_credential_type: parse_credential_type(f.registrant_credential_type)?,
            registrant_credential_number: f.registrant_credential_number.to_owned(),
        }
        .normalised()
    }
}

/// A record's fields as text, named as the columns of [`CSV_COLUMNS`]: booleans are
/// `true`/`false` (or `1`/`0`, `yes`/`no`, `是`/`否`), dates `YYYY-MM-DD`, a blank
/// `real_name_date` is none.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistrarFields<'a> {
    pub domain: &'a str,
    pub registrar: &'a str,
    pub registrar_approved: &'a str,
    pub expires: &'a str,
    pub real_name_verified: &'a str,
    pub real_name_date: &'a str,
    pub registrant_name: &'a str,
    pub registrant_credential_type: &'a str,
    pub registrant_credential_number: &'a str,
}

/// One CSV record and the line it starts on.
struct CsvRecord {
    line: usize,
    fields: Vec<String>,
}

fn format_error(line: usize, zh: impl Into<String>, en: impl Into<String>) -> ImportError {
    ImportError::Line {
        line,
        column: None,
        zh: zh.into(),
        en: en.into(),
    }
}

/// RFC 4180 CSV: comma-separated, fields optionally in double quotes (which may hold commas,
/// line breaks and doubled quotes), LF or CRLF line ends. Blank lines are dropped.
fn parse_csv(text: &str) -> Result<Vec<CsvRecord>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut start_line = 1usize;
    let mut in_quotes = false;
    // Whether the current field was quoted (then text after the closing quote is an error).
    let mut quoted = false;
    let mut after_quote = false;
    let mut chars = text.chars().peekable();
    let finish_record = |fields: &mut Vec<String>,
                         field: &mut String,
                         records: &mut Vec<CsvRecord>,
                         start_line: usize| {
        fields.push(std::mem::take(field));
        let record = std::mem::take(fields);
        let blank = record.len() == 1 && record[0].trim().is_empty();
        if !blank {
            records.push(CsvRecord {
                line: start_line,
                fields: record,
            });
        }
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    after_quote = true;
                }
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
                after_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                finish_record(&mut fields, &mut field, &mut records, start_line);
                quoted = false;
                after_quote = false;
                line += 1;
                start_line = line;
            }
            '"' if !quoted && field.trim().is_empty() => {
                field.clear();
                in_quotes = true;
                quoted = true;
            }
            _ if after_quote => {
                if !c.is_whitespace() {
                    return Err(format_error(
                        line,
                        "引号外不应再有字符：字段中的引号请写作两个双引号 \"\"",
                        "text after a closing quote: write a quote inside a quoted field as \"\"",
                    ));
                }
            }
            '"' => {
                return Err(format_error(
                    line,
                    "未加引号的字段中出现引号：请把整个字段放在双引号中，并把其中的引号写作 \"\"",
                    "a quote inside an unquoted field: quote the whole field and double the quote",
                ));
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(format_error(
            start_line,
            "引号未闭合",
            "a quoted field is never closed",
        ));
    }
    if !(fields.is_empty() && field.is_empty()) {
        finish_record(&mut fields, &mut field, &mut records, start_line);
    }
    Ok(records)
}

/// Parse and check a whole import file: the records in file order, or the first problem.
pub fn parse_import(text: &str) -> Result<Vec<RegistrarRecord>, ImportError> {
    let records = parse_csv(text)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(format_error(
            1,
            format!("文件为空：第一行应为表头 {}", CSV_COLUMNS.join(",")),
            format!(
                "the file is empty: the first line is the header {}",
                CSV_COLUMNS.join(",")
            ),
        ));
    };
    // Column name → index in each row.
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, name) in header.fields.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        match CSV_COLUMNS.iter().find(|c| **c == name) {
            Some(c) => {
                if index.insert(c, i).is_some() {
                    return Err(format_error(
                        header.line,
                        format!("表头中 {c} 出现两次"),
                        format!("the header names {c} twice"),
                    ));
                }
            }
            None => {
                return Err(format_error(
                    header.line,
                    format!(
                        "表头中的 {name:?} 不是已知的列；列为 {}",
                        CSV_COLUMNS.join(",")
                    ),
                    format!(
                        "{name:?} in the header is not a known column; the columns are {}",
                        CSV_COLUMNS.join(",")
                    ),
                ));
            }
        }
    }
    if let Some(missing) = CSV_COLUMNS.iter().find(|c| !index.contains_key(*c)) {
        return Err(format_error(
            header.line,
            format!("表头缺少 {missing} 列"),
            format!("the header lacks the column {missing}"),
        ));
    }
    let width = header.fields.len();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if row.fields.len() != width {
            return Err(format_error(
                row.line,
                format!("有 {} 个字段，表头有 {width} 个", row.fields.len()),
                format!(
                    "{} fields where the header has {width} (quote fields that contain commas)",
                    row.fields.len()
                ),
            ));
        }
        let get = |c: &str| -> &str {
            index
                .get(c)
                .and_then(|&i| row.fields.get(i))
                .map_or("", String::as_str)
        };
        let fields = RegistrarFields {
            domain: get("domain"),
            registrar: get("registrar"),
            registrar_approved: get("registrar_approved"),
            expires: get("expires"),
            real_name_verified: get("real_name_verified"),
            real_name_date: get("real_name_date"),
            registrant_name: get("registrant_name"),
            registrant_credential_type: get("registrant_credential_type"),
            registrant_credential_number: get("registrant_credential_number"),
        };
        let record = RegistrarRecord::from_fields(&fields).map_err(|p| ImportError::Line {
            line: row.line,
            column: Some(p.field),
            zh: p.zh,
            en: p.en,
        })?;
        if let Some(first) = seen.insert(record.domain.clone(), row.line) {
            return Err(ImportError::Line {
                line: row.line,
                column: Some("domain"),
                zh: format!(
                    "{} 与第 {first} 行重复：每个域名只能出现一次",
                    record.domain
                ),
                en: format!(
                    "{} is already on line {first}: each domain may appear once",
                    record.domain
                ),
            });
        }
        out.push(record);
    }
    Ok(out)
}

/// Decode UTF-8, naming the line of the first bad byte.
fn decode(bytes: &[u8]) -> Result<&str, ImportError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = 1 + good.iter().filter(|b| **b == b'\n').count();
        format_error(
            line,
            "文件不是 UTF-8 编码：请以 UTF-8 另存为 CSV",
            "the file is not UTF-8: save it as CSV in UTF-8",
        )
    })
}

const SELECT: &str = "SELECT domain, registrar, registrar_approved, expires, real_name_verified, real_name_date, \
     registrant_name, registrant_credential_type, registrant_credential_number, updated_by, updated_at \
     FROM registrar_records";
const INSERT_NEW: &str = "INSERT INTO registrar_records (domain, registrar, registrar_approved, expires, \
     real_name_verified, real_name_date, registrant_name, registrant_credential_type, \
     registrant_credential_number, updated_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (domain) DO NOTHING RETURNING domain";
const UPDATE: &str = "UPDATE registrar_records SET registrar = $2, registrar_approved = $3, expires = $4, \
     real_name_verified = $5, real_name_date = $6, registrant_name = $7, \
     registrant_credential_type = $8, registrant_credential_number = $9, updated_by = $10, \
     updated_at = $11 WHERE domain = $1";

/// Upsert `$r` (normalised) inside `$tx`; evaluates to `true` when the record is new. The insert
/// comes first, so a SQLite transaction begins with its write.
macro_rules! upsert_in {
    ($tx:expr, $r:expr, $actor:expr, $now:expr) => {{
        let r: &RegistrarRecord = $r;
        let created = sqlx::query(INSERT_NEW)
            .bind(&r.domain)
            .bind(&r.registrar)
            .bind(r.registrar_approved)
            .bind(r.expires)
            .bind(r.real_name_verified)
            .bind(r.real_name_date)
            .bind(&r.registrant_name)
            .bind(r.registrant_credential_type.as_str())
            .bind(&r.registrant_credential_number)
            .bind($actor)
            .bind($now)
            .fetch_optional(&mut *$tx)
            .await?
            .is_some();
        if !created {
            sqlx::query(UPDATE)
                .bind(&r.domain)
                .bind(&r.registrar)
                .bind(r.registrar_approved)
                .bind(r.expires)
                .bind(r.real_name_verified)
                .bind(r.real_name_date)
                .bind(&r.registrant_name)
                .bind(r.registrant_credential_type.as_str())
                .bind(&r.registrant_credential_number)
                .bind($actor)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
        created
    }};
}

/// Read one row of [`SELECT`].
macro_rules! entry_of {
    ($r:expr) => {{
        let r = $r;
        let kind: String = r.try_get("registrant_credential_type")?;
        let registrant_credential_type = CredentialType::parse(&kind).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(
                format!("unknown credential type {kind:?} in registrar_records").into(),
            ))
        })?;
        RegistrarEntry {
            record: RegistrarRecord {
                domain: r.try_get("domain")?,
                registrar: r.try_get("registrar")?,
                registrar_approved: r.try_get("registrar_approved")?,
                expires: r.try_get("expires")?,
                real_name_verified: r.try_get("real_name_verified")?,
                real_name_date: r.try_get("real_name_date")?,
                registrant_name: r.try_get("registrant_name")?,
                registrant_credential_type,
                registrant_credential_number: r.try_get("registrant_credential_number")?,
            },
            updated_by: r.try_get("updated_by")?,
            updated_at: r.try_get("updated_at")?,
        }
    }};
}

/// The stored key for a domain given by a caller: its normalised form, or the trimmed lower-case
/// text when it has none (which then matches nothing). A subdomain is its own key (and so
/// matches nothing) unless `registrable` asks for the registrable domain it belongs to.
fn lookup_key(raw: &str, registrable: bool) -> String {
    let fallback = || raw.trim().to_ascii_lowercase();
    if registrable {
        registrable_ascii(raw).unwrap_or_else(fallback)
    } else {
        normalise_domain(raw).unwrap_or_else(|_| fallback())
    }
}

impl Store {
    /// Create or replace the record of a domain (normalised first). Returns `true` when the
    /// domain had no record.
    pub async fn registrar_put(
        &self,
        record: &RegistrarRecord,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<bool, RegistrarError> {
        let r = record.normalised().map_err(RegistrarError::Invalid)?;
        let created = on_write!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::from)?;
            let created = (async {
                let created = upsert_in!(tx, &r, actor, now);
                Ok::<bool, StoreError>(created)
            })
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            created
        });
        Ok(created)
    }

    /// The record of a domain given in any form (IDN, upper case, trailing dot); a subdomain
    /// finds the record of its registrable domain, as the rules look it up.
    pub async fn registrar_get(&self, domain: &str) -> Result<Option<RegistrarEntry>, StoreError> {
        let key = lookup_key(domain, true);
        on_pool!(self, pool => {
            let row = sqlx::query(&format!("{SELECT} WHERE domain = $1"))
                .bind(&key)
                .fetch_optional(pool)
                .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some(entry_of!(&r))),
            }
        })
    }

    /// The records of the registrable domains of `domains` (any form; subdomains are looked up
    /// by their registrable domain, as the rules do), for `context.domains`. Domains without a
    /// record are simply absent.
    pub async fn registrar_for(
        &self,
        domains: &[String],
    ) -> Result<Vec<RegistrarRecord>, StoreError> {
        let mut keys: Vec<String> = domains
            .iter()
            .filter_map(|d| registrable_ascii(d))
            .collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "{SELECT} WHERE domain IN ({}) ORDER BY domain",
            placeholders.join(", ")
        );
        on_pool!(self, pool => {
            let mut q = sqlx::query(&sql);
            for k in &keys {
                q = q.bind(k);
            }
            let rows = q.fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok(entry_of!(r).record))
                .collect()
        })
    }

    /// A page of records in domain order.
    pub async fn registrar_list(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RegistrarEntry>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(&format!("{SELECT} ORDER BY domain LIMIT $1 OFFSET $2"))
                .bind(limit.max(0))
                .bind(offset.max(0))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(entry_of!(r))).collect()
        })
    }

    /// How many records there are.
    pub async fn registrar_count(&self) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM registrar_records")
                .fetch_one(pool)
                .await?;
            Ok(row.try_get("n")?)
        })
    }

    /// Does the library hold any record at all? (One index probe, whatever its size.)
    pub async fn registrar_has_records(&self) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query("SELECT 1 FROM registrar_records LIMIT 1")
                .fetch_optional(pool)
                .await?
                .is_some())
        })
    }

    /// Remove a domain's record; `true` when there was one. The domain is normalised but must be
    /// the registrable domain itself: `www.example.com` removes nothing.
    pub async fn registrar_delete(&self, domain: &str) -> Result<bool, StoreError> {
        let key = lookup_key(domain, false);
        on_write!(self, pool => {
            let done = sqlx::query("DELETE FROM registrar_records WHERE domain = $1")
                .bind(&key)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Import a CSV file (see the module documentation): every row is checked before anything is
    /// written, then all rows are written in one transaction. On any error nothing is written.
    pub async fn registrar_import_csv<R: std::io::Read>(
        &self,
        mut reader: R,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<ImportSummary, ImportError> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        let records = parse_import(decode(&bytes)?)?;
        let mut summary = ImportSummary {
            rows: records.len(),
            ..ImportSummary::default()
        };
        if records.is_empty() {
            return Ok(summary);
        }
        let created = on_write!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::from)?;
            let created = (async {
                let mut created = 0usize;
                for r in &records {
                    if upsert_in!(tx, r, actor, now) {
                        created += 1;
                    }
                }
                Ok::<usize, StoreError>(created)
            })
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            created
        });
        summary.created = created;
        summary.updated = summary.rows - created;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        let recs =
            parse_csv("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n1,2,3").unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].fields, vec!["x, y", "say \"hi\"", "two\nlines"]);
        assert_eq!(recs[1].line, 2);
        // The record after a two-line field and a blank line starts on line 5.
        assert_eq!(recs[2].line, 5);
        assert_eq!(recs[2].fields, vec!["1", "2", "3"]);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let Err(ImportError::Line { line, .. }) = parse_csv("a,b\n\"open,b\n") else {
            panic!("unterminated quote accepted")
        };
        assert_eq!(line, 2);
        let Err(ImportError::Line { line, .. }) = parse_csv("a,b\nx\"y,b\n") else {
            panic!("stray quote accepted")
        };
        assert_eq!(line, 2);
    }

    #[test]
    fn domains_normalise_and_subdomains_are_refused() {
        assert_eq!(normalise_domain(" Example.COM. ").unwrap(), "example.com");
        assert_eq!(
            normalise_domain("云帆科技.中国").unwrap(),
            beian_domain::to_ascii("云帆科技.中国").unwrap()
        );
        assert!(normalise_domain("www.example.com").is_err());
        assert!(normalise_domain("com.cn").is_err());
        assert!(normalise_domain("1.2.3.4").is_err());
    }

    #[test]
    fn bad_utf8_names_its_line() {
        let Err(ImportError::Line { line, .. }) = decode(b"a\nb\n\xff") else {
            panic!("bad UTF-8 accepted")
        };
        assert_eq!(line, 3);
    }
}
