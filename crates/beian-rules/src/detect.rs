//! Filing-type detection (验证备案类型), SPEC §4 and §7.3: the type is decided from the subject's
//! credential and the application's domains against the filings on record, never chosen.

use crate::input::{Application, Context, Credential, FilingRecord};
use crate::model::{CredentialType, FilingType, Provider};

/// Credential numbers are trimmed and upper-cased before any comparison (a final `x` is `X`).
pub fn normalise_credential_number(raw: &str) -> String {
    raw.trim().to_uppercase()
}

/// Who a subject is: a filing belongs to the applicant's subject when its credential type and
/// number equal the subject's; names are not compared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubjectIdentity {
    pub kind: CredentialType,
    pub number: String,
}

impl SubjectIdentity {
    pub fn of(c: &Credential) -> Option<SubjectIdentity> {
        Some(SubjectIdentity {
            kind: c.kind?,
            number: normalise_credential_number(c.number.as_deref()?),
        })
    }

    /// Does this filing on record belong to this subject?
    pub fn owns(&self, filing: &FilingRecord) -> bool {
        filing
            .credential
            .as_ref()
            .and_then(SubjectIdentity::of)
            .is_some_and(|id| id == *self)
    }
}

/// Why a new filing cannot even start (SPEC §4 "Refusals at detection").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    CredentialBlacklisted,
    OrderInProgress,
    DomainIsIp,
    TldNotApproved,
    DomainFiledByOtherSubject,
}

/// Detect the filing type (§7.3 "Detection precedence"):
/// `transfer` if an application domain is on record under the same subject with provider `other`
/// and none of them with `this`; else `add_website` if any of the subject's filings is with this
/// provider; else `add_website_elsewhere` if any is with another; else `initial`. A declared
/// `change_*` or `cancel_*` type is taken as detected when the subject has a filing here.
/// Absent `context.filings` is an empty registry.
pub fn detect_filing_type(app: &Application, ctx: &Context) -> FilingType {
    let identity = app
        .subject
        .as_ref()
        .and_then(|s| s.credential.as_ref())
        .and_then(SubjectIdentity::of);
    let app_domains: Vec<String> = app
        .websites
        .iter()
        .flatten()
        .flat_map(|w| w.domains.iter().flatten())
        .filter_map(|d| registrable_ascii(d))
        .collect();
    detect_with(app.filing_type, ctx, identity.as_ref(), &app_domains)
}

/// Detection over already-normalised inputs: `app_domains` are the registrable ASCII domains of
/// the application (context look-ups use the registrable domain, SPEC §7.3).
pub(crate) fn detect_with(
    declared: Option<FilingType>,
    ctx: &Context,
    identity: Option<&SubjectIdentity>,
    app_domains: &[String],
) -> FilingType {
    let empty = Vec::new();
    let filings = ctx.filings.as_ref().unwrap_or(&empty);
    let own: Vec<&FilingRecord> = match identity {
        Some(id) => filings.iter().filter(|f| id.owns(f)).collect(),
        None => Vec::new(),
    };
    let here = own.iter().any(|f| f.provider == Provider::This);
    if let Some(declared) = declared
        && (declared.is_change() || declared.is_cancellation())
        && here
    {
        return declared;
    }
    let on_record_with = |provider: Provider| {
        own.iter().filter(|f| f.provider == provider).any(|f| {
            f.domains
                .iter()
                .filter_map(|d| registrable_ascii(d))
                .any(|d| app_domains.contains(&d))
        })
    };
    if on_record_with(Provider::Other) && !on_record_with(Provider::This) {
        FilingType::Transfer
    } else if here {
        FilingType::AddWebsite
    } else if own.iter().any(|f| f.provider == Provider::Other) {
        FilingType::AddWebsiteElsewhere
    } else {
        FilingType::Initial
    }
}

/// The registrable domain of `raw` in ASCII form, when it is a valid domain.
pub fn registrable_ascii(raw: &str) -> Option<String> {
    let ascii = beian_domain::to_ascii(raw).ok()?;
    beian_domain::SuffixList::miit()
        .registrable(&ascii)
        .ok()
        .map(str::to_owned)
}

/// Detection with its refusals: what the server runs before it opens an order.
pub fn detect(app: &Application, ctx: &Context) -> (FilingType, Vec<Refusal>) {
    let filing_type = detect_filing_type(app, ctx);
    let mut refusals = Vec::new();
    let identity = app
        .subject
        .as_ref()
        .and_then(|s| s.credential.as_ref())
        .and_then(SubjectIdentity::of);
    if let Some(id) = &identity {
        if ctx.blacklist.as_ref().is_some_and(|b| {
            b.credentials
                .iter()
                .any(|c| normalise_credential_number(c) == id.number)
        }) {
            refusals.push(Refusal::CredentialBlacklisted);
        }
        if ctx.orders_in_progress.as_ref().is_some_and(|o| {
            o.iter()
                .any(|c| normalise_credential_number(c) == id.number)
        }) {
            refusals.push(Refusal::OrderInProgress);
        }
    }
    let suffixes = beian_domain::SuffixList::miit();
    for d in app
        .websites
        .iter()
        .flatten()
        .flat_map(|w| w.domains.iter().flatten())
    {
        match beian_domain::to_ascii(d) {
            Err(beian_domain::DomainError::IpAddress) => {
                push_once(&mut refusals, Refusal::DomainIsIp)
            }
            Ok(a) => {
                if !suffixes.is_approved_tld(beian_domain::tld(&a)) {
                    push_once(&mut refusals, Refusal::TldNotApproved);
                }
                let registrable = suffixes.registrable(&a).map(str::to_owned).unwrap_or(a);
                let by_other = ctx.filings.iter().flatten().any(|f| {
                    identity.as_ref().is_some_and(|id| !id.owns(f))
                        && f.domains
                            .iter()
                            .any(|x| registrable_ascii(x).is_some_and(|x| x == registrable))
                });
                if by_other {
                    push_once(&mut refusals, Refusal::DomainFiledByOtherSubject);
                }
            }
            Err(_) => {}
        }
    }
    (filing_type, refusals)
}

fn push_once(v: &mut Vec<Refusal>, r: Refusal) {
    if !v.contains(&r) {
        v.push(r);
    }
}
