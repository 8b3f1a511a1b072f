//! The public query (公开查询): anyone may ask whether a domain, an ICP number, a subject name or a
//! credential number is on record; the answer is `filed` with the records, `not_filed`, or
//! `unknown` when the record cannot be read now. No credential numbers, phones or addresses.

use beian_rules::detect::normalise_credential_number;
use beian_store::QueryBy;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;

#[derive(Deserialize, schemars::JsonSchema)]
pub struct PublicQuery {
    pub domain: Option<String>,
    pub number: Option<String>,
    pub subject: Option<String>,
    pub credential: Option<String>,
}

/// The three outcomes of a public query.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Filed,
    NotFiled,
    /// The record cannot be read now (answered with 503).
    Unknown,
}

/// A public query's answer: no credential numbers, phones or addresses.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PublicAnswer {
    pub outcome: Outcome,
    pub records: Vec<PublicRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PublicRecord {
    pub subject_name: String,
    pub nature: String,
    pub subject_number: String,
    pub website_number: String,
    pub website_name: String,
    pub domains: Vec<String>,
    pub approval_date: String,
    pub province: String,
}

/// Ask the record: exactly one of the query's conditions must be given.
pub async fn query(state: &AppState, q: &PublicQuery) -> Result<PublicAnswer, ApiError> {
    let given: Vec<(QueryBy, &str, String)> = [
        (QueryBy::Domain, "domain", q.domain.as_deref()),
        (QueryBy::Number, "number", q.number.as_deref()),
        (QueryBy::SubjectName, "subject", q.subject.as_deref()),
        (QueryBy::Credential, "credential", q.credential.as_deref()),
    ]
    .into_iter()
    .filter_map(|(by, name, v)| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| (by, name, v.to_owned()))
    })
    .collect();
    let [(by, name, value)] = given.as_slice() else {
        return Err(ApiError::invalid(
            "",
            "查询条件无效 / Invalid query",
            "请给出且只给出一个条件：domain、number、subject 或 credential / give exactly one of domain, number, subject, credential",
        ));
    };
    let value = match by {
        QueryBy::Domain => match beian_rules::detect::registrable_ascii(value) {
            Some(d) => d,
            None => {
                return Err(ApiError::invalid(
                    *name,
                    "查询条件无效 / Invalid query",
                    "不是有效的域名 / not a valid domain name",
                ));
            }
        },
        QueryBy::Credential => normalise_credential_number(value),
        _ => value.clone(),
    };
    // Refused at the edge on both databases alike (PostgreSQL refuses NUL in text).
    if value.contains('\0') {
        return Err(ApiError::invalid(
            *name,
            "查询条件无效 / Invalid query",
            "不能包含 NUL 字符 / must not contain NUL characters",
        ));
    }
    Ok(match state.administration.query(*by, &value).await {
        Ok(records) if records.is_empty() => PublicAnswer {
            outcome: Outcome::NotFiled,
            records: Vec::new(),
            detail: None,
        },
        Ok(records) => PublicAnswer {
            outcome: Outcome::Filed,
            records: records
                .into_iter()
                .map(|w| PublicRecord {
                    province: state
                        .engine
                        .data()
                        .province_by_code(u8::try_from(w.province).unwrap_or(0))
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    subject_name: w.subject_name,
                    nature: w.nature,
                    subject_number: w.subject_number,
                    website_number: w.website_number,
                    website_name: w.website_name,
                    domains: w
                        .domains
                        .iter()
                        .map(|d| beian_domain::to_unicode(d))
                        .collect(),
                    approval_date: beian_rules::input::format_date(
                        w.approved_at.to_offset(beian_core::sla::CHINA).date(),
                    ),
                })
                .collect(),
            detail: None,
        },
        Err(e) => {
            tracing::warn!(error = %e, "public query: the record did not answer");
            PublicAnswer {
                outcome: Outcome::Unknown,
                records: Vec::new(),
                detail: Some(
                    "备案库暂时无法查询，请稍后再试 / the record cannot be read now: try again later"
                        .into(),
                ),
            }
        }
    })
}
