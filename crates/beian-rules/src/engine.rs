//! The rules engine (规则引擎): every rule of SPEC §7 as one explicit, ordered pipeline over the
//! application, in document order. Every finding is returned (never first-error-wins). No I/O:
//! the check date comes from the context or from the caller.

use std::collections::HashMap;

use beian_domain::{DomainError, SuffixList};
use serde::Serialize;
use time::Date;
use unicode_normalization::UnicodeNormalization;

use crate::catalogue::{RuleId, fill};
use crate::detect::{SubjectIdentity, detect_with, normalise_credential_number, registrable_ascii};
use crate::input::{Application, Context, Credential, DomainRecord, Person, Website, format_date};
use crate::model::{
    CredentialType, FilingType, Nature, PreapprovalCategory, ReasonCode, Severity, SubjectKind,
};
use crate::refdata::{DataError, Province, ReferenceData};
use crate::validate as v;

/// One finding: a rule that fired, where, why and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// JSON path relative to `application` (`websites[1].domains[0]`; `""` is the whole application).
    pub path: String,
    pub message_zh: String,
    pub message_en: String,
    pub fix_zh: String,
    pub fix_en: String,
    pub rejection_reason: Option<ReasonCode>,
}

/// Counts of blocking and likely-rejection findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
}

/// The result of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The detected filing type.
    pub filing_type: FilingType,
    pub summary: Summary,
}

impl Report {
    /// True when nothing blocks submission.
    pub fn passes(&self) -> bool {
        self.summary.errors == 0
    }

    /// Findings of one rule.
    pub fn of(&self, rule: RuleId) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}

/// A document the application will need (SPEC `DOCUMENTS_REQUIRED`), for the server's upload list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequiredDocument {
    /// The subject's credential (business licence, resident ID…).
    SubjectCredential,
    /// The subject administrator's credential (organisations).
    SubjectAdminCredential,
    /// A website administrator's credential.
    WebsiteAdminCredential { website: usize },
    /// A website administrator's face photo against the provider's backdrop (幕布照).
    FacePhoto { website: usize },
    /// Where the administration verifies in its own app instead (Shanghai): the screenshot of
    /// the website administrator's completed verification there (管局APP核验).
    AppVerification { website: usize },
    /// The authenticity statement (核验单), one per order.
    AuthenticityStatement { variant: StatementVariant },
    /// A letter of authorisation from the legal representative.
    AuthorisationLetter { website: usize },
    /// A domain certificate (域名证书).
    DomainCertificate { website: usize },
    /// A preapproval document (前置审批文件).
    PreapprovalDocument {
        website: usize,
        category: PreapprovalCategory,
    },
}

impl RequiredDocument {
    /// The stable kind name (as serialised): `subject_credential`, `face_photo`, ….
    pub fn kind(&self) -> &'static str {
        match self {
            RequiredDocument::SubjectCredential => "subject_credential",
            RequiredDocument::SubjectAdminCredential => "subject_admin_credential",
            RequiredDocument::WebsiteAdminCredential { .. } => "website_admin_credential",
            RequiredDocument::FacePhoto { .. } => "face_photo",
            RequiredDocument::AppVerification { .. } => "app_verification",
            RequiredDocument::AuthenticityStatement { .. } => "authenticity_statement",
            RequiredDocument::AuthorisationLetter { .. } => "authorisation_letter",
            RequiredDocument::DomainCertificate { .. } => "domain_certificate",
            RequiredDocument::PreapprovalDocument { .. } => "preapproval_document",
        }
    }

    /// The website it belongs to, for per-website documents.
    pub fn website(&self) -> Option<usize> {
        match self {
            RequiredDocument::WebsiteAdminCredential { website }
            | RequiredDocument::FacePhoto { website }
            | RequiredDocument::AppVerification { website }
            | RequiredDocument::AuthorisationLetter { website }
            | RequiredDocument::DomainCertificate { website }
            | RequiredDocument::PreapprovalDocument { website, .. } => Some(*website),
            _ => None,
        }
    }

    /// The preapproval category, for preapproval documents.
    pub fn category(&self) -> Option<PreapprovalCategory> {
        match self {
            RequiredDocument::PreapprovalDocument { category, .. } => Some(*category),
            _ => None,
        }
    }

    /// Its name for the applicant, in Chinese and English (the subject credential's name
    /// depends on the credential type the application gives).
    pub fn names(&self, app: &Application) -> (String, String) {
        document_names(self, app)
    }
}

/// How the authenticity statement is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementVariant {
    /// Organisations: the official seal.
    Seal,
    /// Individuals in Jiangxi and Xinjiang: signature and fingerprint.
    Fingerprint,
    /// Guangdong individuals: the hand-written declaration.
    Declaration,
    /// Other individuals: signature.
    Signature,
}

/// The rules engine over one set of reference data.
#[derive(Debug, Clone, Copy)]
pub struct Engine<'d> {
    data: &'d ReferenceData,
    suffixes: &'d SuffixList,
}

impl Engine<'static> {
    /// An engine over the embedded reference data.
    pub fn embedded() -> Result<Engine<'static>, DataError> {
        Ok(Engine {
            data: ReferenceData::embedded()?,
            suffixes: SuffixList::miit(),
        })
    }
}

impl<'d> Engine<'d> {
    pub fn new(data: &'d ReferenceData, suffixes: &'d SuffixList) -> Engine<'d> {
        Engine { data, suffixes }
    }

    pub fn data(&self) -> &'d ReferenceData {
        self.data
    }

    /// Check an application. The check date is `context.today`, else `fallback_today`
    /// (callers pass the current date in UTC+8).
    pub fn check(&self, app: &Application, ctx: &Context, fallback_today: Date) -> Report {
        let today = ctx.today.unwrap_or(fallback_today);
        Run::new(self, app, ctx, today).run()
    }

    /// The documents an application will need.
    pub fn documents_required(&self, app: &Application) -> Vec<RequiredDocument> {
        let province = app
            .region
            .as_ref()
            .and_then(|r| r.province.as_deref())
            .and_then(|p| self.data.province(p));
        let kind = app
            .subject
            .as_ref()
            .and_then(|s| s.nature)
            .and_then(|n| self.data.nature(n))
            .map(|n| n.kind);
        required_documents(self.data, app, province.map(|p| p.code), kind)
    }
}

/// The date in China (UTC+8) at `now`. The rules never read the clock: the shell passes `now`.
pub fn date_in_china(now: time::OffsetDateTime) -> Date {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    now.to_offset(offset).date()
}

/// Check with the embedded reference data; the date is `context.today`, else `today`.
pub fn check(app: &Application, ctx: &Context, today: Date) -> Result<Report, DataError> {
    Ok(Engine::embedded()?.check(app, ctx, today))
}

/// Findings for a document file judged by its content (SPEC `DOCUMENT_*`): `index` is its place
/// in `documents`, `size` its length in bytes, `head` at least its first 8 bytes.
pub fn document_findings(index: usize, file_name: &str, size: u64, head: &[u8]) -> Vec<Finding> {
    let mut out = Vec::new();
    let path = format!("documents[{index}].file");
    if !is_supported_image(head) {
        out.push(finding(
            RuleId::DocumentFormatUnsupported,
            None,
            path.clone(),
            &[file_name],
        ));
    }
    if size > MAX_DOCUMENT_BYTES {
        out.push(finding(
            RuleId::DocumentTooLarge,
            None,
            path,
            &[file_name, &size.to_string()],
        ));
    }
    out
}

/// 4 MB, as 4 × 1024 × 1024 bytes.
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// JPEG, PNG or GIF by magic bytes.
pub fn is_supported_image(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xD8, 0xFF])
        || head.starts_with(b"\x89PNG\r\n\x1a\n")
        || head.starts_with(b"GIF87a")
        || head.starts_with(b"GIF89a")
}

fn finding(rule: RuleId, severity: Option<Severity>, path: String, args: &[&str]) -> Finding {
    let [mz, me, fz, fe] = rule.templates();
    Finding {
        rule,
        severity: severity.unwrap_or_else(|| rule.default_severity()),
        path,
        message_zh: fill(mz, args),
        message_en: fill(me, args),
        fix_zh: fill(fz, args),
        fix_en: fill(fe, args),
        rejection_reason: rule.rejection_reason(),
    }
}

/// Names are compared after NFKC and trimming (SPEC §7.3). Most names are already in NFKC
/// (ASCII and CJK ideographs are), so the common case borrows.
fn norm_name(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim();
    // ASCII and CJK (Extension A and Unified) ideographs are NFKC-stable: no table look-ups.
    if t.chars().all(|c| c.is_ascii() || is_hanzi(c))
        || unicode_normalization::is_nfkc_quick(t.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        std::borrow::Cow::Borrowed(t)
    } else {
        std::borrow::Cow::Owned(t.nfkc().collect())
    }
}

fn is_hanzi(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// A field path built only when a finding needs it: `At("subject.admin", "mobile")`.
#[derive(Debug, Clone, Copy)]
struct At<'p>(&'p str, &'p str);

impl At<'_> {
    fn string(self) -> String {
        format!("{}.{}", self.0, self.1)
    }
}

/// A website field path built only when a finding needs it: `Field(1, "name")`.
#[derive(Debug, Clone, Copy)]
struct Field(usize, &'static str);

impl Field {
    fn string(self) -> String {
        format!("websites[{}].{}", self.0, self.1)
    }
}

/// A domain of the application after normalisation.
struct AppDomain {
    website: usize,
    index: usize,
    /// Lower-case ASCII form, when the domain is valid.
    ascii: Option<String>,
    /// Its registrable domain (ASCII), when it has one.
    registrable: Option<String>,
}

/// The subject's identity facts, normalised once per check.
struct Owner {
    subject_name: Option<String>,
    admin_name: Option<String>,
    admin: Option<SubjectIdentity>,
}

struct Run<'e, 'a> {
    data: &'e ReferenceData,
    suffixes: &'e SuffixList,
    app: &'a Application,
    ctx: &'a Context,
    today: Date,
    findings: Vec<Finding>,
    province: Option<&'e Province>,
    kind: Option<SubjectKind>,
    nature: Option<Nature>,
    identity: Option<SubjectIdentity>,
    filing_type: FilingType,
    domains: Vec<AppDomain>,
    /// `context.domains` by registrable ASCII domain.
    records: Vec<(String, &'a DomainRecord)>,
    /// The registrable ASCII domains of each `context.filings` entry.
    filing_domains: Vec<Vec<String>>,
    owner: Owner,
}

impl<'e, 'a> Run<'e, 'a> {
    fn new(
        engine: &Engine<'e>,
        app: &'a Application,
        ctx: &'a Context,
        today: Date,
    ) -> Run<'e, 'a> {
        let data = engine.data;
        let province = app
            .region
            .as_ref()
            .and_then(|r| r.province.as_deref())
            .and_then(|p| data.province(p));
        let subject = app.subject.as_ref();
        let nature = subject.and_then(|s| s.nature);
        let kind = nature.and_then(|n| data.nature(n)).map(|n| n.kind);
        let identity = subject
            .and_then(|s| s.credential.as_ref())
            .and_then(SubjectIdentity::of);
        let mut domains = Vec::new();
        for (i, w) in app.websites.iter().flatten().enumerate() {
            for (j, d) in w.domains.iter().flatten().enumerate() {
                let ascii = beian_domain::to_ascii(d).ok();
                let registrable = ascii
                    .as_deref()
                    .and_then(|a| engine.suffixes.registrable(a).ok())
                    .map(str::to_owned);
                domains.push(AppDomain {
                    website: i,
                    index: j,
                    ascii,
                    registrable,
                });
            }
        }
        let registrables: Vec<String> = domains
            .iter()
            .filter_map(|d| d.registrable.clone())
            .collect();
        let filing_type = detect_with(app.filing_type, ctx, identity.as_ref(), &registrables);
        // Context records usually name the application's own domains as typed: reuse those
        // conversions rather than running IDNA again.
        let raw_registrable: HashMap<&str, &str> = app
            .websites
            .iter()
            .flatten()
            .flat_map(|w| w.domains.iter().flatten())
            .map(|d| d.trim())
            .zip(&domains)
            .filter_map(|(raw, d)| Some((raw, d.registrable.as_deref()?)))
            .collect();
        let convert = |raw: &str| -> Option<String> {
            match raw_registrable.get(raw.trim()) {
                Some(r) => Some((*r).to_owned()),
                None => registrable_ascii(raw),
            }
        };
        let records = ctx
            .domains
            .iter()
            .flatten()
            .filter_map(|r| convert(&r.domain).map(|d| (d, r)))
            .collect();
        let filing_domains = ctx
            .filings
            .iter()
            .flatten()
            .map(|f| f.domains.iter().filter_map(|d| convert(d)).collect())
            .collect();
        let admin = subject.and_then(|s| s.admin.as_ref());
        let owner = Owner {
            subject_name: subject
                .and_then(|s| s.name.as_deref())
                .map(|n| norm_name(n).into_owned()),
            admin_name: admin
                .and_then(|a| a.name.as_deref())
                .map(|n| norm_name(n).into_owned()),
            admin: admin
                .and_then(|a| a.credential.as_ref())
                .and_then(SubjectIdentity::of),
        };
        Run {
            data,
            suffixes: engine.suffixes,
            app,
            ctx,
            today,
            findings: Vec::new(),
            province,
            kind,
            nature,
            identity,
            filing_type,
            domains,
            records,
            filing_domains,
            owner,
        }
    }

    fn emit(&mut self, rule: RuleId, path: String, args: &[&str]) {
        self.findings.push(finding(rule, None, path, args));
    }

    fn emit_with(&mut self, rule: RuleId, severity: Severity, path: String, args: &[&str]) {
        self.findings
            .push(finding(rule, Some(severity), path, args));
    }

    fn missing(&mut self, path: String) {
        let (zh, en) = field_label(&path);
        self.emit(RuleId::InputMissingField, path, &[&zh, &en]);
    }

    /// The pipeline, in document order. Each step is independent; the order is the report's order.
    fn run(mut self) -> Report {
        self.check_filing_type();
        self.check_region();
        self.check_subject();
        self.check_websites();
        self.check_documents_required();
        let mut summary = Summary::default();
        for f in &self.findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => {}
            }
        }
        Report {
            findings: self.findings,
            filing_type: self.filing_type,
            summary,
        }
    }

    fn check_filing_type(&mut self) {
        if let Some(declared) = self.app.filing_type
            && declared != self.filing_type
        {
            let detected = self.filing_type;
            self.emit(
                RuleId::FilingTypeMismatch,
                "filing_type".into(),
                &[
                    detected.name_zh(),
                    declared.name_zh(),
                    detected.as_str(),
                    declared.as_str(),
                ],
            );
        }
        let count = self.app.websites.as_ref().map_or(0, Vec::len);
        if self.filing_type == FilingType::AddWebsiteElsewhere && count > 1 {
            self.emit(
                RuleId::MultipleWebsitesNotAllowed,
                "websites".into(),
                &[&count.to_string()],
            );
        }
    }

    fn check_region(&mut self) {
        let Some(region) = &self.app.region else {
            self.missing("region".into());
            return;
        };
        match region.province.as_deref() {
            None => self.missing("region.province".into()),
            Some(p) if self.province.is_none() => self.emit(
                RuleId::RegionUnknownProvince,
                "region.province".into(),
                &[p],
            ),
            Some(_) => {}
        }
        if region.city.is_none() {
            self.missing("region.city".into());
        }
    }

    fn check_subject(&mut self) {
        let Some(subject) = &self.app.subject else {
            self.missing("subject".into());
            return;
        };
        if subject.nature.is_none() {
            self.missing("subject.nature".into());
        }
        if subject.name.is_none() {
            self.missing("subject.name".into());
        }
        match &subject.credential {
            None => self.missing("subject.credential".into()),
            Some(c) => self.check_subject_credential(c),
        }
        self.check_addresses();
        self.check_investor();
        let organisation = self.kind == Some(SubjectKind::Organisation);
        if organisation && subject.legal_representative.is_none() {
            self.missing("subject.legal_representative".into());
        }
        match &subject.admin {
            None => self.missing("subject.admin".into()),
            Some(admin) => {
                self.check_person("subject.admin", admin);
                self.check_subject_admin_identity(admin);
            }
        }
    }

    fn check_subject_credential(&mut self, c: &Credential) {
        let path = "subject.credential";
        if c.kind.is_none() {
            self.missing(format!("{path}.type"));
        }
        if c.number.is_none() {
            self.missing(format!("{path}.number"));
        }
        let Some(kind) = c.kind else { return };
        if kind == CredentialType::OverseasDocument {
            self.emit(RuleId::SubjectForeignDocument, format!("{path}.type"), &[]);
        } else if let Some(nature) = self.nature
            && let Some(info) = self.data.nature(nature)
            && !info.credentials.contains(&kind)
        {
            let allowed_zh = names_of(self.data, &info.credentials, true);
            let allowed_en = info
                .credentials
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let kind_zh = self
                .data
                .credential_type(kind)
                .map_or(kind.as_str(), |i| i.name_zh.as_str());
            self.emit(
                RuleId::SubjectNatureCredentialMismatch,
                format!("{path}.type"),
                &[
                    &info.name_zh,
                    kind_zh,
                    nature.as_str(),
                    kind.as_str(),
                    &allowed_zh,
                    &allowed_en,
                ],
            );
        }
        let Some(raw) = c.number.as_deref() else {
            return;
        };
        let number = normalise_credential_number(raw);
        let number_path = format!("{path}.number");
        let format_ok =
            self.check_credential_number(At("subject.credential", "number"), kind, &number);
        if format_ok {
            self.check_cross_province(&number_path, kind, &number);
        }
        if let Some(bl) = &self.ctx.blacklist
            && bl
                .credentials
                .iter()
                .any(|b| normalise_credential_number(b) == number)
        {
            self.emit(RuleId::CredentialBlacklisted, number_path.clone(), &[]);
        }
        if let Some(orders) = &self.ctx.orders_in_progress
            && orders
                .iter()
                .any(|o| normalise_credential_number(o) == number)
        {
            self.emit(RuleId::CredentialOrderInProgress, number_path, &[]);
        }
    }

    /// Format, check character, region and birth date of a credential number. Returns whether the
    /// format is valid (later checks that read parts of the number need it).
    fn check_credential_number(
        &mut self,
        path: At<'_>,
        kind: CredentialType,
        number: &str,
    ) -> bool {
        use CredentialType as T;
        let (name_zh, name_en) = self
            .data
            .credential_type(kind)
            .map_or((kind.as_str(), kind.as_str()), |i| {
                (i.name_zh.as_str(), i.name_en.as_str())
            });
        let bad_format = |run: &mut Self, zh: &str, en: &str| {
            run.emit(
                RuleId::CredentialFormatInvalid,
                path.string(),
                &[name_zh, zh, name_en, en],
            );
            false
        };
        match kind {
            T::ResidentId | T::HkMacaoResidence | T::TaiwanResidence => {
                if !v::resident_id_format(number) {
                    return bad_format(
                        self,
                        "应为 17 位数字加 1 位数字或 X",
                        "expected 17 digits and a digit or X",
                    );
                }
                let prefix_ok = match kind {
                    T::HkMacaoResidence => {
                        number.starts_with("810000") || number.starts_with("820000")
                    }
                    T::TaiwanResidence => number.starts_with("830000"),
                    _ => true,
                };
                if !prefix_ok {
                    let (zh, en) = if kind == T::TaiwanResidence {
                        (
                            "台湾居民居住证号码以 830000 开头",
                            "a Taiwan residence permit number starts with 830000",
                        )
                    } else {
                        (
                            "港澳居民居住证号码以 810000 或 820000 开头",
                            "a Hong Kong/Macao residence permit number starts with 810000 or 820000",
                        )
                    };
                    return bad_format(self, zh, en);
                }
                if !v::resident_id_checksum_ok(number) {
                    self.emit(
                        RuleId::CredentialChecksumInvalid,
                        path.string(),
                        &[name_zh, name_en],
                    );
                }
                if kind == T::ResidentId
                    && let Some(region) = v::resident_id_region(number)
                    && !self.data.is_division(region)
                {
                    self.emit(
                        RuleId::CredentialRegionInvalid,
                        path.string(),
                        &[&number[..6]],
                    );
                }
                if !v::birth_date_possible(number, self.today) {
                    self.emit(
                        RuleId::CredentialBirthdateInvalid,
                        path.string(),
                        &[&number[6..14]],
                    );
                }
                true
            }
            T::Uscc => {
                if !v::uscc_format(number) {
                    return bad_format(
                        self,
                        "应为 18 位数字或大写字母（不含 I、O、S、V、Z）",
                        "expected 18 digits or capital letters other than I, O, S, V, Z",
                    );
                }
                if !v::uscc_checksum_ok(number) {
                    self.emit(
                        RuleId::CredentialChecksumInvalid,
                        path.string(),
                        &[name_zh, name_en],
                    );
                }
                true
            }
            T::OrgCode => {
                if !v::org_code_format(number) {
                    return bad_format(
                        self,
                        "应为 8 位数字或大写字母加 1 位校验码",
                        "expected 8 digits or capital letters and a check character",
                    );
                }
                if !v::org_code_checksum_ok(number) {
                    self.emit(
                        RuleId::CredentialChecksumInvalid,
                        path.string(),
                        &[name_zh, name_en],
                    );
                }
                true
            }
            T::HkMacaoPermit => {
                v::hk_macao_permit_format(number)
                    || bad_format(
                        self,
                        "应为 H 或 M 加 8 位或 10 位数字",
                        "expected H or M and 8 or 10 digits",
                    )
            }
            T::TaiwanPermit => {
                v::taiwan_permit_format(number)
                    || bad_format(self, "应为 8 位数字", "expected 8 digits")
            }
            T::Passport | T::ForeignPermanentResidence | T::MilitaryId | T::MilitaryCode => {
                v::generic_document_format(number)
                    || bad_format(
                        self,
                        "应为 5–20 个可打印字符",
                        "expected 5 to 20 printable characters",
                    )
            }
            T::OverseasDocument => true,
        }
    }

    fn check_cross_province(&mut self, path: &str, kind: CredentialType, number: &str) {
        let Some(province) = self.province else {
            return;
        };
        let issued = match kind {
            CredentialType::ResidentId => number.get(..2).and_then(|s| s.parse::<u8>().ok()),
            CredentialType::Uscc => v::uscc_province(number),
            _ => None,
        };
        let Some(issued) = issued.and_then(|c| self.data.province_by_code(c)) else {
            return;
        };
        if issued.code == province.code {
            return;
        }
        let (severity, fix_zh, fix_en) = if self.kind == Some(SubjectKind::Individual) {
            (
                Severity::Warning,
                "个人跨省备案需提供备案省份的居住证，请先确认当地管局的要求，或改在证件签发省备案。",
                "An individual filing outside the ID's province needs a local residence permit: check the administration's rules, or file in the province that issued the ID.",
            )
        } else {
            (
                Severity::Error,
                "单位不能跨省备案：将备案地区改为单位注册地。",
                "Organisations cannot file across provinces: change the filing region to where the organisation is registered.",
            )
        };
        let args = [
            issued.name.as_str(),
            province.name.as_str(),
            issued.name_en.as_str(),
            province.name_en.as_str(),
            fix_zh,
            fix_en,
        ];
        self.emit_with(
            RuleId::SubjectCrossProvince,
            severity,
            path.to_owned(),
            &args,
        );
    }

    fn check_addresses(&mut self) {
        let Some(subject) = &self.app.subject else {
            return;
        };
        let Some(address) = subject.contact_address.as_deref() else {
            self.missing("subject.contact_address".into());
            return;
        };
        if !self.data.words.has_address_unit(address) && subject.address_remark.is_none() {
            self.emit(
                RuleId::AddressNotDetailed,
                "subject.contact_address".into(),
                &[],
            );
        }
        let Some(province) = self.province else {
            return;
        };
        let city = self.app.region.as_ref().and_then(|r| r.city.as_deref());
        let city_short = city.map(|c| match self.data.city(province.code, c) {
            Some(known) => known.short.clone(),
            None => c.trim().trim_end_matches('市').to_owned(),
        });
        let address = norm_name(address);
        let names_province = address.contains(province.short.as_str());
        let names_city = city_short
            .as_deref()
            .is_some_and(|c| !c.is_empty() && address.contains(c));
        if !names_province && !names_city {
            let city_display = city_short.unwrap_or_default();
            self.emit(
                RuleId::AddressRegionMismatch,
                "subject.contact_address".into(),
                &[&province.short, &city_display],
            );
        }
    }

    fn check_investor(&mut self) {
        let Some(subject) = &self.app.subject else {
            return;
        };
        match subject.investor.as_deref() {
            None => {
                let (zh, en, fz, fe) = if self.kind == Some(SubjectKind::Individual) {
                    (
                        "缺少投资人或主管单位：个人备案请填写本人姓名。",
                        "Investor or superior missing: an individual gives their own name.",
                        "填写本人姓名。",
                        "Enter your own name.",
                    )
                } else {
                    (
                        "缺少投资人或主管单位。",
                        "Investor or superior (投资人或主管单位) missing.",
                        "填写投资人或主管单位的名称，企业通常为单位本身或其股东。",
                        "Enter the investor or superior; for an enterprise usually itself or its shareholder.",
                    )
                };
                self.emit(
                    RuleId::InvestorMissing,
                    "subject.investor".into(),
                    &[zh, en, fz, fe],
                );
            }
            Some(investor) => {
                if self.kind == Some(SubjectKind::Individual)
                    && let Some(name) = subject.name.as_deref()
                    && norm_name(investor) != norm_name(name)
                {
                    self.emit_with(
                        RuleId::InvestorMissing,
                        Severity::Warning,
                        "subject.investor".into(),
                        &[
                            &format!("个人备案的投资人应为本人姓名“{}”，而不是“{investor}”。", name.trim()),
                            &format!("For an individual the investor is the person's own name {:?}, not {investor:?}.", name.trim()),
                            "将投资人改为本人姓名。",
                            "Enter your own name as investor.",
                        ],
                    );
                }
            }
        }
    }

    fn check_subject_admin_identity(&mut self, admin: &Person) {
        let Some(subject) = &self.app.subject else {
            return;
        };
        match self.kind {
            Some(SubjectKind::Individual) => {
                let name_differs = match (admin.name.as_deref(), subject.name.as_deref()) {
                    (Some(a), Some(s)) => norm_name(a) != norm_name(s),
                    _ => false,
                };
                let credential_differs = match (
                    admin.credential.as_ref().and_then(SubjectIdentity::of),
                    subject.credential.as_ref().and_then(SubjectIdentity::of),
                ) {
                    (Some(a), Some(s)) => a != s,
                    _ => false,
                };
                if name_differs || credential_differs {
                    self.emit(RuleId::SubjectAdminNotSelf, "subject.admin".into(), &[]);
                }
            }
            Some(SubjectKind::Organisation) => {
                if let (Some(a), Some(rep)) = (
                    admin.name.as_deref(),
                    subject.legal_representative.as_deref(),
                ) && norm_name(a) != norm_name(rep)
                {
                    self.emit(
                        RuleId::SubjectAdminNotLegalRep,
                        "subject.admin.name".into(),
                        &[a.trim(), rep.trim()],
                    );
                }
            }
            None => {}
        }
    }

    /// The fields every administrator (subject or website) gives, and their format rules.
    fn check_person(&mut self, prefix: &str, person: &Person) {
        if person.name.is_none() {
            self.missing(format!("{prefix}.name"));
        }
        match &person.credential {
            None => self.missing(format!("{prefix}.credential")),
            Some(c) => {
                if c.kind.is_none() {
                    self.missing(format!("{prefix}.credential.type"));
                }
                if c.number.is_none() {
                    self.missing(format!("{prefix}.credential.number"));
                }
                if let Some(kind) = c.kind {
                    let allowed = self
                        .data
                        .credential_type(kind)
                        .is_some_and(|i| i.admin_allowed);
                    if !allowed {
                        let zh = self
                            .data
                            .credential_type(kind)
                            .map_or(kind.as_str(), |i| i.name_zh.as_str());
                        self.emit(
                            RuleId::AdminCredentialTypeInvalid,
                            format!("{prefix}.credential.type"),
                            &[zh, kind.as_str()],
                        );
                    } else if let Some(raw) = c.number.as_deref() {
                        let number = normalise_credential_number(raw);
                        let at = format!("{prefix}.credential");
                        self.check_credential_number(At(&at, "number"), kind, &number);
                    }
                }
            }
        }
        match person.office_phone.as_deref() {
            None => self.missing(format!("{prefix}.office_phone")),
            Some(phone) => self.check_office_phone(At(prefix, "office_phone"), phone.trim()),
        }
        match person.mobile.as_deref() {
            None => self.missing(format!("{prefix}.mobile")),
            Some(m) => self.check_mobile(At(prefix, "mobile"), m.trim()),
        }
        match person.email.as_deref() {
            None => self.missing(format!("{prefix}.email")),
            Some(e) if !v::email_valid(e.trim()) => {
                self.emit(RuleId::EmailInvalid, format!("{prefix}.email"), &[e.trim()])
            }
            Some(_) => {}
        }
    }

    fn check_office_phone(&mut self, path: At<'_>, phone: &str) {
        let Some(area) = v::office_phone_area(phone) else {
            self.emit(RuleId::PhoneFormatInvalid, path.string(), &[phone]);
            return;
        };
        let Some(province) = self.province else {
            return;
        };
        let city = self
            .app
            .region
            .as_ref()
            .and_then(|r| r.city.as_deref())
            .and_then(|c| self.data.city(province.code, c));
        let (place, codes): (String, Vec<&str>) = match city {
            Some(c) => (
                c.name.clone(),
                c.area_codes.iter().map(String::as_str).collect(),
            ),
            None => (
                province.name.clone(),
                self.data
                    .cities_of(province.code)
                    .flat_map(|c| c.area_codes.iter().map(String::as_str))
                    .collect(),
            ),
        };
        if !codes.contains(&area) {
            let mut list = codes.clone();
            list.sort_unstable();
            list.dedup();
            self.emit(
                RuleId::PhoneAreaMismatch,
                path.string(),
                &[area, &place, &list.join("/")],
            );
        }
    }

    fn check_mobile(&mut self, path: At<'_>, mobile: &str) {
        if !v::mobile_format(mobile) {
            self.emit(RuleId::MobileFormatInvalid, path.string(), &[mobile]);
            return;
        }
        if let Some(province) = self.province
            && let Some(registered) = self.data.mobile_province(mobile)
            && registered != province.code
            && let Some(reg) = self.data.province_by_code(registered)
        {
            let args = [
                reg.name.as_str(),
                province.name.as_str(),
                reg.name_en.as_str(),
                province.name_en.as_str(),
            ];
            self.emit(RuleId::MobileOutOfRegion, path.string(), &args);
        }
        if let Some(prefix) = self
            .data
            .words
            .virtual_mobile_prefixes
            .iter()
            .find(|p| mobile.starts_with(p.as_str()))
        {
            let prefix = prefix.clone();
            self.emit(RuleId::MobileVirtualOperator, path.string(), &[&prefix]);
        }
        if let (Some(filings), Some(identity)) = (&self.ctx.filings, &self.identity)
            && filings
                .iter()
                .any(|f| !identity.owns(f) && f.mobiles.iter().any(|m| m.trim() == mobile))
        {
            self.emit(RuleId::MobileUsedByOtherSubject, path.string(), &[mobile]);
        }
    }

    fn check_websites(&mut self) {
        let websites = match &self.app.websites {
            Some(w) if !w.is_empty() => w,
            _ => {
                self.missing("websites".into());
                return;
            }
        };
        self.check_domain_duplicates();
        let mut quota_use: HashMap<String, u32> = HashMap::new();
        for (i, w) in websites.iter().enumerate() {
            self.check_website_name(i, w);
            self.check_domains(i, w);
            self.check_homepage(i, w);
            self.check_service_content(i, w);
            self.check_preapprovals(i, w);
            match &w.admin {
                None => self.missing(format!("websites[{i}].admin")),
                Some(admin) => {
                    self.check_person(&format!("websites[{i}].admin"), admin);
                    self.check_website_admin_is_legal_rep(i, admin);
                }
            }
            self.check_remark(i, w);
            self.check_product(i, w, &mut quota_use);
        }
    }

    fn check_website_name(&mut self, i: usize, w: &Website) {
        let path = Field(i, "name");
        let Some(raw) = w.name.as_deref() else {
            self.missing(path.string());
            return;
        };
        let name = raw.trim();
        // Character classes are judged on the name as typed: full-width letters stay special.
        let hanzi = name.chars().filter(|&c| is_hanzi(c)).count();
        if hanzi < 3 {
            self.emit(
                RuleId::WebsiteNameTooFewHanzi,
                path.string(),
                &[name, &hanzi.to_string()],
            );
        }
        if name.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.emit(RuleId::WebsiteNameOnlyAlnum, path.string(), &[name]);
        }
        if let Some(special) = name
            .chars()
            .find(|&c| !is_hanzi(c) && !c.is_ascii_alphanumeric())
        {
            self.emit(
                RuleId::WebsiteNameSpecialChar,
                path.string(),
                &[&special.to_string()],
            );
        }
        let normalised = norm_name(name);
        let state = self
            .nature
            .and_then(|n| self.data.nature(n))
            .map(|n| n.state_organisation);
        if state == Some(false)
            && let Some(prefix) = self
                .data
                .words
                .restricted_prefixes
                .iter()
                .find(|p| normalised.starts_with(p.as_str()))
        {
            let prefix = prefix.clone();
            self.emit(
                RuleId::WebsiteNameRestrictedPrefix,
                path.string(),
                &[&prefix],
            );
        }
        let lower = normalised.to_lowercase();
        let is_domain = self
            .domains
            .iter()
            .filter(|d| d.website == i)
            .find_map(|d| {
                let ascii = d.ascii.as_deref()?;
                // A name with a dot can only equal a whole domain; one without, only a first label.
                if lower.contains('.') {
                    let unicode = beian_domain::to_unicode(ascii);
                    return (lower == unicode).then_some(unicode);
                }
                let registrable = d.registrable.as_deref().unwrap_or(ascii);
                let label = registrable.split('.').next().unwrap_or("");
                // Compare in Unicode form; only punycode labels need decoding.
                let same = if label.starts_with("xn--") {
                    !lower.is_ascii() && beian_domain::to_unicode(label) == lower
                } else {
                    label == lower
                };
                same.then(|| beian_domain::to_unicode(ascii))
            });
        if let Some(domain) = is_domain {
            self.emit(RuleId::WebsiteNameIsDomain, path.string(), &[&domain]);
        }
        if let Some(word) = self.data.words.sensitive_word(&normalised) {
            let word = word.to_owned();
            self.emit(RuleId::WebsiteNameSensitiveWord, path.string(), &[&word]);
        }
        if self.kind == Some(SubjectKind::Individual) {
            self.check_personal_name(path, &normalised);
        }
        if let Some(bl) = &self.ctx.blacklist
            && bl.website_names.iter().any(|b| norm_name(b) == normalised)
        {
            self.emit(RuleId::WebsiteNameBlacklisted, path.string(), &[name]);
        }
    }

    /// The personal-name rules, with Jiangsu's mandated forms taking precedence over the suffix and
    /// preapproval-word rules for the form's own fixed text (SPEC §7.3).
    fn check_personal_name(&mut self, path: Field, name: &str) {
        let province = self.province.map(|p| p.code);
        let rules = &self.data.province_rules;
        let forms = province.map(|p| rules.required_forms(p)).unwrap_or(&[]);
        let matched = forms.iter().find(|(prefix, suffix)| {
            name.len() > prefix.len() + suffix.len()
                && name.starts_with(prefix.as_str())
                && name.ends_with(suffix.as_str())
        });
        if !forms.is_empty() && matched.is_none() {
            let example: String = name.chars().filter(|&c| is_hanzi(c)).take(4).collect();
            let example = if example.is_empty() {
                "张三".to_owned()
            } else {
                example
            };
            self.emit(RuleId::WebsiteNameJiangsuFormat, path.string(), &[&example]);
        }
        // The part of the name the applicant chose: the whole name, or XX of a mandated form.
        let core = match matched {
            Some((prefix, suffix)) => &name[prefix.len()..name.len() - suffix.len()],
            None => name,
        };
        if matched.is_none()
            && let Some(suffix) = self
                .data
                .words
                .personal_suffixes
                .iter()
                .find(|s| name.ends_with(s.as_str()))
        {
            let suffix = suffix.clone();
            self.emit(RuleId::WebsiteNamePersonalSuffix, path.string(), &[&suffix]);
        }
        if let Some(word) = self.data.words.preapproval_word(core) {
            let word = word.to_owned();
            self.emit(RuleId::WebsiteNameNeedsPreapproval, path.string(), &[&word]);
        }
        if let Some(p) = self.province
            && let Some(term) = rules.prohibited_term(p.code, name)
        {
            let term = term.to_owned();
            self.emit(
                RuleId::WebsiteNameProvinceProhibited,
                path.string(),
                &[&p.name, &term, &p.name_en],
            );
        }
        if self.data.is_place_name(name) {
            self.emit(RuleId::WebsiteNamePlaceName, path.string(), &[name]);
        }
    }

    /// Valid ASCII domains of website `i`.
    fn domains_of(&self, i: usize) -> impl Iterator<Item = String> + '_ {
        self.domains
            .iter()
            .filter(move |d| d.website == i)
            .filter_map(|d| d.ascii.clone())
    }

    fn check_domain_duplicates(&mut self) {
        let mut first: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut dups = Vec::new();
        for d in &self.domains {
            if let Some(a) = d.ascii.as_deref() {
                match first.get(a) {
                    Some(&(w, j)) => dups.push((d.website, d.index, a.to_owned(), w, j)),
                    None => {
                        first.insert(a, (d.website, d.index));
                    }
                }
            }
        }
        for (w, j, domain, fw, fj) in dups {
            let display = beian_domain::to_unicode(&domain);
            self.emit(
                RuleId::DomainDuplicate,
                format!("websites[{w}].domains[{j}]"),
                &[&display, &format!("websites[{fw}].domains[{fj}]")],
            );
        }
    }

    fn check_domains(&mut self, i: usize, w: &Website) {
        let list = match &w.domains {
            Some(l) if !l.is_empty() => l,
            _ => {
                self.missing(format!("websites[{i}].domains"));
                return;
            }
        };
        if let Some(p) = self.province {
            let max = self.data.province_rules.domains_per_website(p.code);
            if list.len() > max as usize {
                self.emit(
                    RuleId::DomainCountExceeded,
                    format!("websites[{i}].domains"),
                    &[
                        &list.len().to_string(),
                        &p.name,
                        &max.to_string(),
                        &p.name_en,
                    ],
                );
            }
        }
        let verify = self.domain_verification_applies();
        for (j, raw) in list.iter().enumerate() {
            let path = format!("websites[{i}].domains[{j}]");
            let raw = raw.trim();
            if raw.is_empty() {
                self.missing(path);
                continue;
            }
            let known = self
                .domains
                .iter()
                .find(|d| d.website == i && d.index == j)
                .and_then(|d| Some((d.ascii.clone()?, d.registrable.clone()?)));
            if let Some((ascii, registrable)) = known {
                self.check_valid_domain(&path, raw, &ascii, &registrable, verify);
                continue;
            }
            // Invalid: find out why (rare, so computed again here).
            let ascii = match beian_domain::to_ascii(raw) {
                Ok(a) => a,
                Err(DomainError::IpAddress) => {
                    self.emit(RuleId::DomainIsIp, path, &[raw]);
                    continue;
                }
                Err(e) => {
                    let (zh, en) = domain_error_text(&e);
                    self.emit(RuleId::DomainInvalid, path, &[raw, zh, en]);
                    continue;
                }
            };
            if let Err(e) = self.suffixes.registrable(&ascii) {
                let (zh, en) = domain_error_text(&e);
                self.emit(RuleId::DomainInvalid, path, &[raw, zh, en]);
            }
        }
    }

    /// The rules for a syntactically valid domain that has a registrable domain.
    fn check_valid_domain(
        &mut self,
        path: &str,
        raw: &str,
        ascii: &str,
        registrable: &str,
        verify: bool,
    ) {
        let path = path.to_owned();
        {
            if registrable != ascii {
                self.emit(
                    RuleId::DomainNotRegistrable,
                    path.clone(),
                    &[raw, &beian_domain::to_unicode(registrable)],
                );
            }
            let tld = beian_domain::tld(ascii);
            if !self.suffixes.is_approved_tld(tld) {
                self.emit(
                    RuleId::DomainTldNotApproved,
                    path.clone(),
                    &[&beian_domain::to_unicode(tld)],
                );
            }
            if verify {
                self.check_domain_record(&path, registrable);
            }
            self.check_domain_filed_by_other(&path, registrable);
        }
    }

    /// Domain verification applies to new websites and to changes of websites filed on or after
    /// 2018-01-01 (unknown filing dates count as after); never to cancellations (SPEC §4).
    fn domain_verification_applies(&self) -> bool {
        let t = self.filing_type;
        if t.files_websites() {
            return true;
        }
        if !t.is_change() {
            return false;
        }
        let cutoff = Date::from_calendar_date(2018, time::Month::January, 1).ok();
        let own_dates: Vec<Option<Date>> = match (&self.ctx.filings, &self.identity) {
            (Some(f), Some(id)) => f.iter().filter(|f| id.owns(f)).map(|f| f.filed).collect(),
            _ => Vec::new(),
        };
        own_dates.is_empty() || own_dates.iter().any(|d| d.is_none() || *d >= cutoff)
    }

    fn check_domain_record(&mut self, path: &str, registrable: &str) {
        if self.ctx.domains.is_none() {
            return;
        }
        // The display form is computed only for a finding (punycode decoding is not free).
        let display = || beian_domain::to_unicode(registrable);
        let record = self
            .records
            .iter()
            .find(|(d, _)| d == registrable)
            .map(|(_, r)| *r);
        let Some(record) = record else {
            self.emit(RuleId::DomainNoRecord, path.to_owned(), &[&display()]);
            return;
        };
        if record.registrar_approved == Some(false) {
            let registrar = record.registrar.clone().unwrap_or_default();
            self.emit(
                RuleId::DomainRegistrarNotApproved,
                path.to_owned(),
                &[&display(), &registrar],
            );
        }
        if let Some(expires) = record.expires
            && expires < self.today
        {
            self.emit(
                RuleId::DomainExpired,
                path.to_owned(),
                &[&display(), &format_date(expires)],
            );
        }
        if record.real_name_verified == Some(false) {
            self.emit(RuleId::DomainNotRealName, path.to_owned(), &[&display()]);
        } else if let Some(date) = record.real_name_date {
            let days = (self.today - date).whole_days();
            if days < 5 {
                self.emit(
                    RuleId::DomainRealNamePending,
                    path.to_owned(),
                    &[&display(), &format_date(date)],
                );
            }
        }
        if let Some(registrant) = &record.registrant {
            self.check_domain_owner(path, registrable, registrant);
        }
    }

    fn check_domain_owner(
        &mut self,
        path: &str,
        registrable: &str,
        registrant: &crate::input::Registrant,
    ) {
        if self.app.subject.is_none() {
            return;
        }
        let holder_name = registrant.name.as_deref().map(norm_name);
        let holder_id = registrant.credential.as_ref().and_then(SubjectIdentity::of);
        let matches = |name: Option<&str>, credential: Option<&SubjectIdentity>| -> bool {
            let name_ok = match (holder_name.as_deref(), name) {
                (Some(r), Some(n)) => r == n,
                _ => false,
            };
            let cred_ok = match &holder_id {
                None => true,
                Some(r) => credential.is_some_and(|c| c == r),
            };
            name_ok && cred_ok
        };
        let owner_is_subject = matches(self.owner.subject_name.as_deref(), self.identity.as_ref());
        let organisation = self.kind == Some(SubjectKind::Organisation);
        let owner_is_admin =
            organisation && matches(self.owner.admin_name.as_deref(), self.owner.admin.as_ref());
        if !owner_is_subject && !owner_is_admin {
            let holder = registrant.name.clone().unwrap_or_default();
            let (whom_zh, whom_en) = if organisation {
                ("备案主体或主体负责人", "the subject or its administrator")
            } else {
                ("备案主体（本人）", "the subject (the person themself)")
            };
            self.emit(
                RuleId::DomainOwnerMismatch,
                path.to_owned(),
                &[
                    &beian_domain::to_unicode(registrable),
                    &holder,
                    whom_zh,
                    whom_en,
                ],
            );
        }
    }

    fn check_domain_filed_by_other(&mut self, path: &str, registrable: &str) {
        let (Some(filings), Some(identity)) = (&self.ctx.filings, &self.identity) else {
            return;
        };
        let other = filings
            .iter()
            .zip(&self.filing_domains)
            .find(|(f, domains)| !identity.owns(f) && domains.iter().any(|d| d == registrable));
        let other = other.map(|(f, _)| f);
        if let Some(f) = other {
            let who = f.subject_name.clone().unwrap_or_else(|| "—".into());
            self.emit(
                RuleId::DomainAlreadyFiledByOther,
                path.to_owned(),
                &[&beian_domain::to_unicode(registrable), &who],
            );
        }
    }

    fn check_homepage(&mut self, i: usize, w: &Website) {
        let Some(raw) = w.homepage.as_deref() else {
            return;
        };
        let domains: Vec<String> = self.domains_of(i).collect();
        if domains.is_empty() {
            return;
        }
        let host = homepage_host(raw.trim());
        let under = host
            .and_then(|h| beian_domain::to_ascii(&h).ok())
            .is_some_and(|h| {
                domains.iter().any(|d| {
                    h == *d
                        || (h.len() > d.len()
                            && h.ends_with(d.as_str())
                            && h.as_bytes()[h.len() - d.len() - 1] == b'.')
                })
            });
        if !under {
            let example = homepage_example(&beian_domain::to_unicode(&domains[0]));
            self.emit(
                RuleId::HomepageNotUnderDomains,
                format!("websites[{i}].homepage"),
                &[raw.trim(), &example],
            );
        }
    }

    fn check_service_content(&mut self, i: usize, w: &Website) {
        let path = Field(i, "service_content");
        let Some(content) = w.service_content.as_deref() else {
            self.missing(path.string());
            return;
        };
        let content = content.trim();
        let Some(kind) = self.kind else { return };
        let province = self.province.map_or(0, |p| p.code);
        if kind == SubjectKind::Individual && content == "网络论坛" {
            self.emit(
                RuleId::PersonalProhibitedContent,
                path.string(),
                &[content, "forum (网络论坛)"],
            );
            return;
        }
        let rules = &self.data.province_rules;
        if !rules.service_content_allowed(kind, province, content) {
            let options = rules.service_content_options(kind, province).join("、");
            self.emit(
                RuleId::ServiceContentInvalid,
                path.string(),
                &[content, &options],
            );
        }
    }

    fn check_preapprovals(&mut self, i: usize, w: &Website) {
        for (k, entry) in w.preapprovals.iter().flatten().enumerate() {
            let path = format!("websites[{i}].preapprovals[{k}]");
            let Some(category) = entry.category else {
                self.missing(format!("{path}.category"));
                continue;
            };
            match self.kind {
                Some(SubjectKind::Individual) => {
                    self.emit(
                        RuleId::PersonalProhibitedContent,
                        path,
                        &[category.name_zh(), category.name_en()],
                    );
                }
                Some(SubjectKind::Organisation) => {
                    let Some(p) = self.province else { continue };
                    let args = [
                        category.name_zh(),
                        p.name.as_str(),
                        category.name_en(),
                        p.name_en.as_str(),
                    ];
                    if self
                        .data
                        .province_rules
                        .preapproval_required(category, p.code)
                    {
                        if entry.number.is_none() || entry.document.is_none() {
                            self.emit(RuleId::PreapprovalRequired, path, &args);
                        }
                    } else {
                        self.emit(RuleId::PreapprovalNotRequired, path, &args);
                    }
                }
                None => {}
            }
        }
    }

    fn check_website_admin_is_legal_rep(&mut self, i: usize, admin: &Person) {
        if self.kind != Some(SubjectKind::Organisation) {
            return;
        }
        let rep = self
            .app
            .subject
            .as_ref()
            .and_then(|s| s.legal_representative.as_deref());
        if let (Some(a), Some(rep)) = (admin.name.as_deref(), rep)
            && norm_name(a) != norm_name(rep)
        {
            self.emit(
                RuleId::WebsiteAdminNotLegalRep,
                format!("websites[{i}].admin.name"),
                &[a.trim(), rep.trim()],
            );
        }
    }

    fn check_remark(&mut self, i: usize, w: &Website) {
        if self.kind != Some(SubjectKind::Individual) {
            return;
        }
        if let Some(p) = self.province
            && self.data.province_rules.remark_required(p.code)
            && w.remark.is_none()
        {
            self.emit(
                RuleId::WebsiteRemarkRequired,
                format!("websites[{i}].remark"),
                &[&p.name, &p.name_en],
            );
        }
    }

    fn check_product(&mut self, i: usize, w: &Website, quota_use: &mut HashMap<String, u32>) {
        if self.filing_type.is_cancellation() {
            return;
        }
        let path = Field(i, "service_number");
        let Some(sn) = w.service_number.as_deref().map(str::trim) else {
            self.missing(path.string());
            return;
        };
        let Some(products) = &self.ctx.products else {
            return;
        };
        let Some(product) = products.iter().find(|p| p.service_number.trim() == sn) else {
            self.emit(
                RuleId::ProductInvalid,
                path.string(),
                &["备案服务号不存在", "unknown service number"],
            );
            return;
        };
        if product.kind != "ecs" {
            let zh = format!("产品类型“{}”不能用于备案", product.kind);
            let en = format!("a product of kind {:?} cannot carry a filing", product.kind);
            self.emit(RuleId::ProductInvalid, path.string(), &[&zh, &en]);
            return;
        }
        if product.expires < self.today {
            self.emit(
                RuleId::ProductExpired,
                path.string(),
                &[&format_date(product.expires)],
            );
            return;
        }
        let mut reasons_zh = Vec::new();
        let mut reasons_en = Vec::new();
        if product.billing != crate::model::Billing::Subscription {
            reasons_zh.push("按量付费实例不能备案");
            reasons_en.push("pay-as-you-go instances cannot carry a filing");
        }
        if product.region != "mainland" {
            reasons_zh.push("实例不在中国大陆地域");
            reasons_en.push("the instance is outside mainland China");
        }
        if !product.public_bandwidth {
            reasons_zh.push("实例没有公网带宽");
            reasons_en.push("the instance has no public bandwidth");
        }
        if product.expires < add_months(self.today, 3) {
            reasons_zh.push("剩余时长不足 3 个月");
            reasons_en.push("less than three months are left");
        }
        if !reasons_zh.is_empty() {
            self.emit(
                RuleId::ProductNotEligible,
                path.string(),
                &[&reasons_zh.join("；"), &reasons_en.join("; ")],
            );
            return;
        }
        let used = quota_use.entry(sn.to_owned()).or_insert(0);
        *used += 1;
        if product.websites_filed.saturating_add(*used) > product.website_quota {
            let args = [
                product.website_quota.to_string(),
                product.websites_filed.to_string(),
            ];
            self.emit(
                RuleId::ProductQuotaExhausted,
                path.string(),
                &[&args[0], &args[1]],
            );
        }
    }

    fn check_documents_required(&mut self) {
        let docs = required_documents(
            self.data,
            self.app,
            self.province.map(|p| p.code),
            self.kind,
        );
        let mut zh: Vec<String> = Vec::new();
        let mut en: Vec<String> = Vec::new();
        for d in &docs {
            let (z, e) = document_names(d, self.app);
            if !zh.contains(&z) {
                zh.push(z);
                en.push(e);
            }
        }
        if zh.is_empty() {
            zh.push("核验单".into());
            en.push("the authenticity statement".into());
        }
        self.emit(
            RuleId::DocumentsRequired,
            String::new(),
            &[&zh.join("、"), &en.join("; ")],
        );
    }
}

/// `date` plus `months` calendar months, clamped to the month's last day.
pub fn add_months(date: Date, months: u8) -> Date {
    let total = i32::from(u8::from(date.month())) - 1 + i32::from(months);
    let year = date.year() + total / 12;
    let month = time::Month::try_from(u8::try_from(total % 12 + 1).unwrap_or(1))
        .unwrap_or(time::Month::January);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

/// The homepage a fix suggests for a website whose first domain is `domain`: `www.` before it,
/// unless it starts with `www.` already.
fn homepage_example(domain: &str) -> String {
    if domain
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("www."))
    {
        domain.to_owned()
    } else {
        format!("www.{domain}")
    }
}

fn homepage_host(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|s| lower.strip_prefix(s).map(|_| &raw[s.len()..]))
        .unwrap_or(raw);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    (!host.is_empty()).then(|| host.to_owned())
}

fn domain_error_text(e: &DomainError) -> (&'static str, &'static str) {
    match e {
        DomainError::Empty => ("为空", "it is empty"),
        DomainError::IpAddress => ("是 IP 地址", "it is an IP address"),
        DomainError::PublicSuffix => (
            "这是公共后缀，不是可注册的域名",
            "it is a public suffix, not a registrable domain",
        ),
        DomainError::Syntax(why) => ("语法错误（只能含字母、数字、连字符，各段用点分隔）", why),
    }
}

fn names_of(data: &ReferenceData, types: &[CredentialType], zh: bool) -> String {
    types
        .iter()
        .map(|t| {
            data.credential_type(*t).map_or(t.as_str(), |i| {
                if zh {
                    i.name_zh.as_str()
                } else {
                    i.name_en.as_str()
                }
            })
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn required_documents(
    data: &ReferenceData,
    app: &Application,
    province: Option<u8>,
    kind: Option<SubjectKind>,
) -> Vec<RequiredDocument> {
    let rules = &data.province_rules;
    let mut out = vec![RequiredDocument::SubjectCredential];
    let organisation = kind == Some(SubjectKind::Organisation);
    if organisation {
        out.push(RequiredDocument::SubjectAdminCredential);
    }
    let rep = app
        .subject
        .as_ref()
        .and_then(|s| s.legal_representative.as_deref())
        .map(norm_name);
    for (i, w) in app.websites.iter().flatten().enumerate() {
        out.push(RequiredDocument::WebsiteAdminCredential { website: i });
        if province.is_some_and(|p| rules.app_verification.contains(p)) {
            out.push(RequiredDocument::AppVerification { website: i });
        } else {
            out.push(RequiredDocument::FacePhoto { website: i });
        }
        if organisation
            && let (Some(a), Some(rep)) = (
                w.admin.as_ref().and_then(|a| a.name.as_deref()),
                rep.as_deref(),
            )
            && norm_name(a) != rep
        {
            out.push(RequiredDocument::AuthorisationLetter { website: i });
        }
        if province.is_some_and(|p| rules.domain_certificate.contains(p)) {
            out.push(RequiredDocument::DomainCertificate { website: i });
        }
        if organisation {
            for entry in w.preapprovals.iter().flatten() {
                if let (Some(c), Some(p)) = (entry.category, province)
                    && rules.preapproval_required(c, p)
                {
                    out.push(RequiredDocument::PreapprovalDocument {
                        website: i,
                        category: c,
                    });
                }
            }
        }
    }
    let variant = match (kind, province) {
        (Some(SubjectKind::Organisation), _) => StatementVariant::Seal,
        (_, Some(p)) if rules.fingerprint_individuals.contains(p) => StatementVariant::Fingerprint,
        (_, Some(p)) if rules.declaration_individuals.contains(p) => StatementVariant::Declaration,
        _ => StatementVariant::Signature,
    };
    out.push(RequiredDocument::AuthenticityStatement { variant });
    out
}

fn document_names(d: &RequiredDocument, app: &Application) -> (String, String) {
    let credential_zh = app
        .subject
        .as_ref()
        .and_then(|s| s.credential.as_ref())
        .and_then(|c| c.kind)
        .map_or("主体证件", |k| match k {
            CredentialType::Uscc | CredentialType::OrgCode => "营业执照或组织机构证书",
            CredentialType::ResidentId => "身份证正反面",
            _ => "主体证件",
        });
    match d {
        RequiredDocument::SubjectCredential => (format!("{credential_zh}照片"), "a photo of the subject's credential".into()),
        RequiredDocument::SubjectAdminCredential => ("主体负责人证件照片".into(), "the subject administrator's credential".into()),
        RequiredDocument::WebsiteAdminCredential { .. } => ("网站负责人证件照片".into(), "each website administrator's credential".into()),
        RequiredDocument::FacePhoto { .. } => ("网站负责人幕布核验照片".into(), "each website administrator's face photo against the backdrop".into()),
        RequiredDocument::AppVerification { .. } => ("网站负责人在管局APP完成核验的截图".into(), "each website administrator's verification in the administration's app (a screenshot)".into()),
        RequiredDocument::AuthenticityStatement { variant } => match variant {
            StatementVariant::Seal => ("网站备案信息真实性核验单（加盖公章）".into(), "the authenticity statement, with the official seal".into()),
            StatementVariant::Fingerprint => ("真实性核验单（本人签字并按手印）".into(), "the authenticity statement, signed and fingerprinted".into()),
            StatementVariant::Declaration => ("真实性核验单（手写声明并签字）".into(), "the authenticity statement, with the hand-written declaration".into()),
            StatementVariant::Signature => ("真实性核验单（本人签字）".into(), "the authenticity statement, signed".into()),
        },
        RequiredDocument::AuthorisationLetter { .. } => (
            "法定代表人授权书（部分省份要求，与网站负责人证件放在同一张图片）".into(),
            "a letter of authorisation from the legal representative (some provinces), in the same image as the administrator's credential".into(),
        ),
        RequiredDocument::DomainCertificate { .. } => ("域名证书".into(), "the domain certificate".into()),
        RequiredDocument::PreapprovalDocument { category, .. } => {
            (format!("前置审批文件（{}）", category.name_zh()), format!("the preapproval document ({})", category.name_en()))
        }
    }
}

/// Human labels for a field path, for `INPUT_MISSING_FIELD`.
pub fn field_label(path: &str) -> (String, String) {
    let mut owner_zh = String::new();
    let mut owner_en = String::new();
    let mut rest = path;
    if let Some(r) = rest.strip_prefix("subject.admin") {
        owner_zh.push_str("主体负责人");
        owner_en.push_str("subject administrator's ");
        rest = r.trim_start_matches('.');
        if rest.is_empty() {
            return ("主体负责人信息".into(), "subject administrator".into());
        }
    } else if let Some(r) = rest.strip_prefix("websites[") {
        let (n, r) = r.split_once(']').unwrap_or(("0", r));
        let n = n.parse::<usize>().map_or(1, |n| n + 1);
        let r = r.trim_start_matches('.');
        if let Some(r2) = r.strip_prefix("admin") {
            owner_zh = format!("网站{n}负责人");
            owner_en = format!("website {n} administrator's ");
            rest = r2.trim_start_matches('.');
            if rest.is_empty() {
                return (
                    format!("网站{n}负责人信息"),
                    format!("website {n} administrator"),
                );
            }
        } else {
            owner_zh = format!("网站{n}");
            owner_en = format!("website {n} ");
            rest = r;
        }
    } else if let Some(r) = rest.strip_prefix("subject.") {
        owner_zh.push_str("主体");
        owner_en.push_str("subject ");
        rest = r;
    }
    let base = rest.split('[').next().unwrap_or(rest);
    let (zh, en) = match base {
        "region" => ("备案地区", "filing region"),
        "region.province" => ("备案省份", "filing province"),
        "region.city" => ("备案城市", "filing city"),
        "region.district" => ("备案区县", "filing county"),
        "subject" => ("主体信息", "subject"),
        "credential_address" => ("证件住所", "address on the credential"),
        "address_remark" => ("地址备注", "address remark"),
        "investor" => ("投资人或主管单位", "investor or supervising body"),
        "homepage" => ("首页地址", "homepage URL"),
        "nature" => ("性质", "nature"),
        "name" => ("名称", "name"),
        "credential" => ("证件", "credential"),
        "credential.type" => ("证件类型", "credential type"),
        "credential.number" => ("证件号码", "credential number"),
        "contact_address" => ("通信地址", "contact address"),
        "legal_representative" => ("法定代表人", "legal representative"),
        "office_phone" => ("办公电话", "office phone"),
        "mobile" => ("手机号码", "mobile number"),
        "email" => ("电子邮箱", "e-mail"),
        "websites" => ("网站信息（至少一个网站）", "websites (at least one)"),
        "domains" => ("域名", "domain"),
        "service_content" => ("服务内容", "service content"),
        "service_number" => ("备案服务号", "service number"),
        "preapprovals" => ("前置审批类别", "preapproval category"),
        "remark" => ("备注", "remark"),
        other => (other, other),
    };
    let zh = if owner_zh.is_empty() {
        zh.to_owned()
    } else if owner_zh.starts_with("网站") && !owner_zh.contains("负责人") && base == "name" {
        format!("{owner_zh}名称")
    } else {
        format!("{owner_zh}{zh}")
    };
    (zh, format!("{owner_en}{en}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(field_label("subject.admin.mobile").0, "主体负责人手机号码");
        assert_eq!(
            field_label("websites[1].admin.email").1,
            "website 2 administrator's e-mail"
        );
        assert_eq!(field_label("websites[0].name").0, "网站1名称");
        assert_eq!(field_label("region.city").0, "备案城市");
        assert_eq!(field_label("subject.name").0, "主体名称");
    }

    #[test]
    fn months() {
        let d = |y, m, day| {
            Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), day).unwrap()
        };
        assert_eq!(add_months(d(2026, 11, 30), 3), d(2027, 2, 28));
        assert_eq!(add_months(d(2026, 1, 15), 3), d(2026, 4, 15));
    }

    #[test]
    fn homepage_hosts() {
        assert_eq!(
            homepage_host("https://www.a.cn:8443/x?y").as_deref(),
            Some("www.a.cn")
        );
        assert_eq!(homepage_host("www.a.cn").as_deref(), Some("www.a.cn"));
        assert_eq!(homepage_host("HTTP://A.cn/").as_deref(), Some("A.cn"));
    }

    #[test]
    fn homepage_example_never_doubles_www() {
        assert_eq!(homepage_example("chenxiao.io"), "www.chenxiao.io");
        assert_eq!(homepage_example("www.chenxiao.io"), "www.chenxiao.io");
        assert_eq!(homepage_example("WWW.chenxiao.io"), "WWW.chenxiao.io");
        assert_eq!(homepage_example("blog.chenxiao.io"), "www.blog.chenxiao.io");
        assert_eq!(homepage_example("中文.cn"), "www.中文.cn");
        assert_eq!(homepage_example("wwwa.cn"), "www.wwwa.cn");
    }

    /// The worked example whose website lists www.chenxiao.io first: the fix suggests that
    /// domain itself, not www.www.chenxiao.io.
    #[test]
    fn homepage_fix_names_a_real_host() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/check/invalid-individual-guangdong.json"
        ))
        .unwrap();
        let doc = crate::parse_document(&text).unwrap();
        let engine = Engine::embedded().unwrap();
        let report = engine.check(
            &doc.application,
            &doc.context,
            time::macros::date!(2026 - 11 - 22),
        );
        let finding = report
            .findings
            .iter()
            .find(|f| f.rule == RuleId::HomepageNotUnderDomains)
            .expect("the example's homepage is not under its domains");
        assert!(
            finding.fix_en.ends_with("e.g. www.chenxiao.io."),
            "{}",
            finding.fix_en
        );
        assert!(
            finding.fix_zh.contains("例如 www.chenxiao.io。"),
            "{}",
            finding.fix_zh
        );
        assert!(!finding.fix_en.contains("www.www."));
    }
}
