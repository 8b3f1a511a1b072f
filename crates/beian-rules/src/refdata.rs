//! Reference data (参考数据): provinces, natures, credential types, province rules, name words,
//! division codes, cities with area codes, mobile segments and rejection reasons.
//!
//! Everything lives in the workspace's `data/` folder with its source noted in each file. The files
//! are embedded in the binary (so `beian check` runs anywhere) and parsed and validated once at
//! start-up; `ReferenceData::from_sources` takes the texts, so a caller may load an edited copy from
//! disk instead (the engine itself does no I/O). A malformed file is an error naming the file and
//! line, never a panic.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use serde::Deserialize;

use crate::model::{CredentialType, Nature, PreapprovalCategory, ReasonCode, SubjectKind};

/// The texts of the data files, by file name.
#[derive(Debug, Clone, Copy)]
pub struct DataSources<'a> {
    pub provinces: &'a str,
    pub natures: &'a str,
    pub credential_types: &'a str,
    pub province_rules: &'a str,
    pub name_words: &'a str,
    pub divisions: &'a str,
    pub cities: &'a str,
    pub mobile_segments: &'a str,
    pub rejection_reasons: &'a str,
}

impl DataSources<'static> {
    /// The data files embedded at build time from the workspace's `data/` folder.
    pub const EMBEDDED: DataSources<'static> = DataSources {
        provinces: include_str!("../../../data/provinces.tsv"),
        natures: include_str!("../../../data/natures.tsv"),
        credential_types: include_str!("../../../data/credential-types.tsv"),
        province_rules: include_str!("../../../data/province-rules.toml"),
        name_words: include_str!("../../../data/name-words.toml"),
        divisions: include_str!("../../../data/divisions.tsv"),
        cities: include_str!("../../../data/cities.tsv"),
        mobile_segments: include_str!("../../../data/mobile-segments.tsv"),
        rejection_reasons: include_str!("../../../data/rejection-reasons.toml"),
    };

    /// The file names, in the order of the fields (for loading an edited copy from a directory).
    pub const FILE_NAMES: [&'static str; 9] = [
        "provinces.tsv",
        "natures.tsv",
        "credential-types.tsv",
        "province-rules.toml",
        "name-words.toml",
        "divisions.tsv",
        "cities.tsv",
        "mobile-segments.tsv",
        "rejection-reasons.toml",
    ];
}

/// A problem in a data file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct DataError {
    pub file: &'static str,
    pub line: Option<usize>,
    pub message: String,
}

fn err(file: &'static str, line: Option<usize>, message: impl Into<String>) -> DataError {
    DataError {
        file,
        line,
        message: message.into(),
    }
}

/// A set of provinces as a bitmask indexed by GB/T 2260 code (11..=65).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProvinceSet(u128);

impl ProvinceSet {
    pub fn contains(self, code: u8) -> bool {
        code < 128 && self.0 & (1u128 << code) != 0
    }
    fn insert(&mut self, code: u8) {
        self.0 |= 1u128 << code;
    }
}

/// A filing region (备案省份), SPEC §6.2.
#[derive(Debug, Clone)]
pub struct Province {
    pub code: u8,
    pub name: String,
    pub short: String,
    pub abbr: String,
    pub name_en: String,
}

/// A subject nature's facts.
#[derive(Debug, Clone)]
pub struct NatureInfo {
    pub name_zh: String,
    pub name_en: String,
    pub kind: SubjectKind,
    pub state_organisation: bool,
    pub credentials: Vec<CredentialType>,
}

/// A credential type's facts.
#[derive(Debug, Clone)]
pub struct CredentialInfo {
    pub name_zh: String,
    pub name_en: String,
    pub admin_allowed: bool,
}

/// A prefecture-level city (or a municipality, or a county-level unit under a province directly).
#[derive(Debug, Clone)]
pub struct City {
    pub province: u8,
    pub name: String,
    pub short: String,
    pub area_codes: Vec<String>,
}

/// A rejection reason's texts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonText {
    pub title_zh: String,
    pub title_en: String,
    pub explanation_zh: String,
    pub explanation_en: String,
    pub solution_zh: String,
    pub solution_en: String,
    #[serde(default)]
    pub free_text_required: bool,
}

/// Province rules of SPEC §6.3.
#[derive(Debug, Clone)]
pub struct ProvinceRules {
    pub sms_pilot: ProvinceSet,
    domains_default: u32,
    domains_by_province: HashMap<u8, u32>,
    pub required_everywhere: Vec<PreapprovalCategory>,
    required_in: HashMap<PreapprovalCategory, ProvinceSet>,
    pub organisation_service_content: Vec<String>,
    pub individual_service_content: Vec<String>,
    individual_service_content_extra: HashMap<u8, Vec<String>>,
    required_forms: HashMap<u8, Vec<(String, String)>>,
    remark_required: ProvinceSet,
    prohibited: HashMap<u8, (Vec<String>, AhoCorasick)>,
    pub fingerprint_individuals: ProvinceSet,
    pub declaration_individuals: ProvinceSet,
    pub domain_certificate: ProvinceSet,
    pub authorisation_letter: ProvinceSet,
    /// Provinces whose orders always need the three mailed originals of the authenticity
    /// statement (a reviewer may also ask for them on any order).
    pub mailed_statement: ProvinceSet,
    /// Provinces whose administration verifies website administrators in its own app instead
    /// of the provider's face photo.
    pub app_verification: ProvinceSet,
}

impl ProvinceRules {
    /// Domains allowed per website in a province.
    pub fn domains_per_website(&self, province: u8) -> u32 {
        self.domains_by_province
            .get(&province)
            .copied()
            .unwrap_or(self.domains_default)
    }
    /// Does this category need a preapproval in the province? (Otherwise it is abolished there.)
    pub fn preapproval_required(&self, category: PreapprovalCategory, province: u8) -> bool {
        self.required_everywhere.contains(&category)
            || self
                .required_in
                .get(&category)
                .is_some_and(|set| set.contains(province))
    }
    /// Is `content` a valid service content option for this kind of subject in the province?
    pub fn service_content_allowed(&self, kind: SubjectKind, province: u8, content: &str) -> bool {
        match kind {
            SubjectKind::Organisation => self
                .organisation_service_content
                .iter()
                .any(|c| c == content),
            SubjectKind::Individual => {
                self.individual_service_content.iter().any(|c| c == content)
                    || self
                        .individual_service_content_extra
                        .get(&province)
                        .is_some_and(|extra| extra.iter().any(|c| c == content))
            }
        }
    }
    /// The service content options for this kind of subject in the province.
    pub fn service_content_options(&self, kind: SubjectKind, province: u8) -> Vec<&str> {
        match kind {
            SubjectKind::Organisation => self
                .organisation_service_content
                .iter()
                .map(String::as_str)
                .collect(),
            SubjectKind::Individual => self
                .individual_service_content
                .iter()
                .chain(
                    self.individual_service_content_extra
                        .get(&province)
                        .into_iter()
                        .flatten(),
                )
                .map(String::as_str)
                .collect(),
        }
    }
    /// Mandated personal-name forms `(prefix, suffix)` of `{}` templates, e.g. ("", "的博客").
    pub fn required_forms(&self, province: u8) -> &[(String, String)] {
        self.required_forms
            .get(&province)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    pub fn remark_required(&self, province: u8) -> bool {
        self.remark_required.contains(province)
    }
    /// The first term prohibited in personal names of the province that `name` contains.
    pub fn prohibited_term<'s>(&'s self, province: u8, name: &str) -> Option<&'s str> {
        let (terms, automaton) = self.prohibited.get(&province)?;
        automaton
            .find(name)
            .and_then(|m| terms.get(m.pattern().as_usize()))
            .map(String::as_str)
    }
}

/// Word lists of the name and address rules.
#[derive(Debug, Clone)]
pub struct Words {
    pub restricted_prefixes: Vec<String>,
    pub personal_suffixes: Vec<String>,
    preapproval_words: (Vec<String>, AhoCorasick),
    sensitive_words: (Vec<String>, AhoCorasick),
    address_units: AhoCorasick,
    pub virtual_mobile_prefixes: Vec<String>,
}

impl Words {
    pub fn preapproval_word(&self, text: &str) -> Option<&str> {
        find_word(&self.preapproval_words, text)
    }
    pub fn sensitive_word(&self, text: &str) -> Option<&str> {
        find_word(&self.sensitive_words, text)
    }
    pub fn has_address_unit(&self, address: &str) -> bool {
        self.address_units.is_match(address)
    }
    pub fn address_units(&self) -> &'static str {
        "室 房 户 单元 栋 幢 座 层 楼"
    }
}

fn find_word<'a>(words: &'a (Vec<String>, AhoCorasick), text: &str) -> Option<&'a str> {
    words
        .1
        .find(text)
        .and_then(|m| words.0.get(m.pattern().as_usize()))
        .map(String::as_str)
}

/// All reference data, validated.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    provinces: Vec<Province>,
    province_index: [Option<u8>; 100],
    natures: HashMap<Nature, NatureInfo>,
    credential_types: HashMap<CredentialType, CredentialInfo>,
    pub province_rules: ProvinceRules,
    pub words: Words,
    /// Sorted, for binary search.
    divisions: Vec<u32>,
    cities: Vec<City>,
    mobile_segments: Vec<(u32, u32, u8)>,
    reasons: HashMap<ReasonCode, ReasonText>,
    place_names: HashSet<String>,
}

impl ReferenceData {
    /// The embedded data, parsed and validated on first use.
    ///
    /// # Errors
    /// When an embedded file is malformed (a build that ships such a file fails its own tests).
    pub fn embedded() -> Result<&'static ReferenceData, DataError> {
        static DATA: OnceLock<Result<ReferenceData, DataError>> = OnceLock::new();
        DATA.get_or_init(|| ReferenceData::from_sources(&DataSources::EMBEDDED))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parse and validate data from the given texts.
    pub fn from_sources(src: &DataSources<'_>) -> Result<ReferenceData, DataError> {
        let provinces = parse_provinces(src.provinces)?;
        let mut province_index = [None; 100];
        for (i, p) in provinces.iter().enumerate() {
            province_index[usize::from(p.code)] = u8::try_from(i).ok();
        }
        let province_codes: HashSet<u8> = provinces.iter().map(|p| p.code).collect();
        let credential_types = parse_credential_types(src.credential_types)?;
        let natures = parse_natures(src.natures)?;
        let province_rules = parse_province_rules(src.province_rules, &province_codes)?;
        let words = parse_words(src.name_words)?;
        let divisions = parse_divisions(src.divisions)?;
        let cities = parse_cities(src.cities, &province_codes)?;
        let mobile_segments = parse_mobile_segments(src.mobile_segments, &province_codes)?;
        let reasons = parse_reasons(src.rejection_reasons)?;
        let place_names = place_names(&provinces, &cities);
        Ok(ReferenceData {
            provinces,
            province_index,
            natures,
            credential_types,
            province_rules,
            words,
            divisions,
            cities,
            mobile_segments,
            reasons,
            place_names,
        })
    }

    /// Is `name` a province or prefecture-level city, by full name or by short name alone or
    /// followed by 省, 市 or 自治区 (SPEC §7.3)?
    pub fn is_place_name(&self, name: &str) -> bool {
        self.place_names.contains(name)
    }

    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    /// The province with this two-digit code string (`"33"`), if it is a filing region.
    pub fn province(&self, code: &str) -> Option<&Province> {
        let b = code.as_bytes();
        if b.len() != 2 || !b[0].is_ascii_digit() || !b[1].is_ascii_digit() {
            return None;
        }
        self.province_by_code((b[0] - b'0') * 10 + (b[1] - b'0'))
    }

    pub fn province_by_code(&self, code: u8) -> Option<&Province> {
        let i = (*self.province_index.get(usize::from(code))?)?;
        self.provinces.get(usize::from(i))
    }

    pub fn nature(&self, nature: Nature) -> Option<&NatureInfo> {
        self.natures.get(&nature)
    }

    pub fn credential_type(&self, t: CredentialType) -> Option<&CredentialInfo> {
        self.credential_types.get(&t)
    }

    /// Is this 6-digit code a GB/T 2260 division of any edition?
    pub fn is_division(&self, code: u32) -> bool {
        self.divisions.binary_search(&code).is_ok()
    }

    pub fn cities(&self) -> &[City] {
        &self.cities
    }

    /// The cities of a province.
    pub fn cities_of(&self, province: u8) -> impl Iterator<Item = &City> {
        // `cities` is sorted by province (checked at load): slice it.
        let start = self.cities.partition_point(|c| c.province < province);
        let end = self.cities.partition_point(|c| c.province <= province);
        self.cities[start..end].iter()
    }

    /// A city of the province by full or short name (`杭州市`, `杭州`).
    pub fn city(&self, province: u8, name: &str) -> Option<&City> {
        let name = name.trim();
        self.cities_of(province)
            .find(|c| c.name == name || c.short == name)
    }

    /// The province a mobile number's seven-digit segment is registered in, if known.
    pub fn mobile_province(&self, mobile: &str) -> Option<u8> {
        let prefix: u32 = mobile.get(..7)?.parse().ok()?;
        let i = self
            .mobile_segments
            .partition_point(|&(start, _, _)| start <= prefix);
        let &(start, end, province) = self.mobile_segments.get(i.checked_sub(1)?)?;
        (start <= prefix && prefix <= end).then_some(province)
    }

    pub fn reason(&self, code: ReasonCode) -> Option<&ReasonText> {
        self.reasons.get(&code)
    }
}

fn place_names(provinces: &[Province], cities: &[City]) -> HashSet<String> {
    let mut out = HashSet::new();
    let names = provinces
        .iter()
        .map(|p| (&p.name, &p.short))
        .chain(cities.iter().map(|c| (&c.name, &c.short)));
    for (full, short) in names {
        out.insert(full.clone());
        out.insert(short.clone());
        for suffix in ["省", "市", "自治区"] {
            out.insert(format!("{short}{suffix}"));
        }
    }
    out
}

/// Data rows of a TSV file: `(line number, fields)`, comments and blank lines skipped.
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split('\t').map(str::trim).collect()))
}

fn fields<'a, const N: usize>(
    file: &'static str,
    line: usize,
    f: &[&'a str],
) -> Result<[&'a str; N], DataError> {
    if f.len() != N || f.iter().any(|s| s.is_empty()) {
        return Err(err(
            file,
            Some(line),
            format!(
                "expected {N} non-empty tab-separated fields, found {}",
                f.len()
            ),
        ));
    }
    let mut out = [""; N];
    out.copy_from_slice(f);
    Ok(out)
}

fn province_code(
    file: &'static str,
    line: usize,
    s: &str,
    known: &HashSet<u8>,
) -> Result<u8, DataError> {
    match s.parse::<u8>() {
        Ok(c) if s.len() == 2 && known.contains(&c) => Ok(c),
        _ => Err(err(
            file,
            Some(line),
            format!("{s:?} is not a province code of provinces.tsv"),
        )),
    }
}

fn parse_provinces(text: &str) -> Result<Vec<Province>, DataError> {
    const F: &str = "provinces.tsv";
    let mut out: Vec<Province> = Vec::new();
    for (line, f) in rows(text) {
        let [code, name, short, abbr, name_en] = fields::<5>(F, line, &f)?;
        let code = match code.parse::<u8>() {
            Ok(c) if code.len() == 2 && (11..=99).contains(&c) => c,
            _ => return Err(err(F, Some(line), format!("bad code {code:?}"))),
        };
        if out.iter().any(|p| p.code == code) {
            return Err(err(F, Some(line), format!("duplicate code {code}")));
        }
        if abbr.chars().count() != 1 {
            return Err(err(
                F,
                Some(line),
                "the ICP abbreviation must be one character",
            ));
        }
        out.push(Province {
            code,
            name: name.into(),
            short: short.into(),
            abbr: abbr.into(),
            name_en: name_en.into(),
        });
    }
    if out.len() != 31 {
        return Err(err(
            F,
            None,
            format!("expected the 31 mainland provinces, found {}", out.len()),
        ));
    }
    Ok(out)
}

fn parse_credential_types(
    text: &str,
) -> Result<HashMap<CredentialType, CredentialInfo>, DataError> {
    const F: &str = "credential-types.tsv";
    let mut out = HashMap::new();
    for (line, f) in rows(text) {
        let [t, name_zh, name_en, admin] = fields::<4>(F, line, &f)?;
        let t = CredentialType::parse(t)
            .ok_or_else(|| err(F, Some(line), format!("unknown type {t:?}")))?;
        let admin_allowed = yes_no(F, line, admin)?;
        out.insert(
            t,
            CredentialInfo {
                name_zh: name_zh.into(),
                name_en: name_en.into(),
                admin_allowed,
            },
        );
    }
    for t in CredentialType::ALL {
        if !out.contains_key(t) {
            return Err(err(F, None, format!("credential type {t} has no row")));
        }
    }
    Ok(out)
}

fn yes_no(file: &'static str, line: usize, s: &str) -> Result<bool, DataError> {
    match s {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(err(
            file,
            Some(line),
            format!("expected yes or no, found {s:?}"),
        )),
    }
}

fn parse_natures(text: &str) -> Result<HashMap<Nature, NatureInfo>, DataError> {
    const F: &str = "natures.tsv";
    let mut out = HashMap::new();
    for (line, f) in rows(text) {
        let [n, name_zh, name_en, kind, state, creds] = fields::<6>(F, line, &f)?;
        let nature =
            Nature::parse(n).ok_or_else(|| err(F, Some(line), format!("unknown nature {n:?}")))?;
        let kind = match kind {
            "organisation" => SubjectKind::Organisation,
            "individual" => SubjectKind::Individual,
            _ => {
                return Err(err(
                    F,
                    Some(line),
                    format!("kind must be organisation or individual, found {kind:?}"),
                ));
            }
        };
        if (kind == SubjectKind::Individual) != nature.is_individual() {
            return Err(err(
                F,
                Some(line),
                "only the nature `individual` is of kind individual",
            ));
        }
        let credentials = creds
            .split(',')
            .map(|c| {
                CredentialType::parse(c.trim())
                    .ok_or_else(|| err(F, Some(line), format!("unknown credential {c:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let state_organisation = yes_no(F, line, state)?;
        out.insert(
            nature,
            NatureInfo {
                name_zh: name_zh.into(),
                name_en: name_en.into(),
                kind,
                state_organisation,
                credentials,
            },
        );
    }
    for n in Nature::ALL {
        if !out.contains_key(n) {
            return Err(err(F, None, format!("nature {n} has no row")));
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvinceRules {
    sms_pilot: Vec<String>,
    domains_per_website: HashMap<String, u32>,
    preapproval: RawPreapproval,
    service_content: RawServiceContent,
    personal_names: RawPersonalNames,
    authenticity_statement: RawAuthenticity,
    documents: RawDocuments,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreapproval {
    required_everywhere: Vec<String>,
    required_in: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServiceContent {
    organisation: Vec<String>,
    individual: Vec<String>,
    individual_extra: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersonalNames {
    required_forms: HashMap<String, Vec<String>>,
    remark_required: HashMap<String, bool>,
    prohibited: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthenticity {
    fingerprint_individuals: Vec<String>,
    declaration_individuals: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocuments {
    domain_certificate: Vec<String>,
    authorisation_letter: Vec<String>,
    #[serde(default)]
    mailed_statement: Vec<String>,
    #[serde(default)]
    app_verification: Vec<String>,
}

fn parse_province_rules(text: &str, known: &HashSet<u8>) -> Result<ProvinceRules, DataError> {
    const F: &str = "province-rules.toml";
    let raw: RawProvinceRules = toml::from_str(text).map_err(|e| err(F, None, e.to_string()))?;
    let code = |s: &str| province_code(F, 0, s, known).map_err(|e| err(F, None, e.message));
    let set = |v: &[String]| -> Result<ProvinceSet, DataError> {
        let mut s = ProvinceSet::default();
        for c in v {
            s.insert(code(c)?);
        }
        Ok(s)
    };
    let category = |s: &str| {
        PreapprovalCategory::parse(s)
            .ok_or_else(|| err(F, None, format!("unknown preapproval category {s:?}")))
    };
    let mut domains_default = None;
    let mut domains_by_province = HashMap::new();
    for (k, v) in &raw.domains_per_website {
        if *v == 0 {
            return Err(err(
                F,
                None,
                format!("domains_per_website.{k} must be at least 1"),
            ));
        }
        if k == "default" {
            domains_default = Some(*v);
        } else {
            domains_by_province.insert(code(k)?, *v);
        }
    }
    let domains_default =
        domains_default.ok_or_else(|| err(F, None, "domains_per_website.default is missing"))?;
    let required_everywhere = raw
        .preapproval
        .required_everywhere
        .iter()
        .map(|s| category(s))
        .collect::<Result<Vec<_>, _>>()?;
    let mut required_in = HashMap::new();
    for (k, v) in &raw.preapproval.required_in {
        let c = category(k)?;
        if required_everywhere.contains(&c) {
            return Err(err(
                F,
                None,
                format!("{k} is both required everywhere and per province"),
            ));
        }
        required_in.insert(c, set(v)?);
    }
    for c in PreapprovalCategory::ALL {
        if !required_everywhere.contains(c) && !required_in.contains_key(c) {
            return Err(err(
                F,
                None,
                format!("preapproval category {c} is not described"),
            ));
        }
    }
    let mut individual_service_content_extra = HashMap::new();
    for (k, v) in &raw.service_content.individual_extra {
        individual_service_content_extra.insert(code(k)?, v.clone());
    }
    let mut required_forms = HashMap::new();
    for (k, forms) in &raw.personal_names.required_forms {
        let mut parsed = Vec::new();
        for form in forms {
            let (prefix, suffix) = form.split_once("{}").ok_or_else(|| {
                err(
                    F,
                    None,
                    format!("required form {form:?} has no {{}} placeholder"),
                )
            })?;
            parsed.push((prefix.to_owned(), suffix.to_owned()));
        }
        required_forms.insert(code(k)?, parsed);
    }
    let mut remark_required = ProvinceSet::default();
    for (k, v) in &raw.personal_names.remark_required {
        if *v {
            remark_required.insert(code(k)?);
        }
    }
    let mut prohibited = HashMap::new();
    for (k, terms) in &raw.personal_names.prohibited {
        let mut seen = HashSet::new();
        for t in terms {
            if t.trim().is_empty() || !seen.insert(t.as_str()) {
                return Err(err(
                    F,
                    None,
                    format!("prohibited terms of {k}: blank or duplicate term {t:?}"),
                ));
            }
        }
        let automaton = AhoCorasick::new(terms).map_err(|e| err(F, None, e.to_string()))?;
        prohibited.insert(code(k)?, (terms.clone(), automaton));
    }
    Ok(ProvinceRules {
        sms_pilot: set(&raw.sms_pilot)?,
        domains_default,
        domains_by_province,
        required_everywhere,
        required_in,
        organisation_service_content: raw.service_content.organisation,
        individual_service_content: raw.service_content.individual,
        individual_service_content_extra,
        required_forms,
        remark_required,
        prohibited,
        fingerprint_individuals: set(&raw.authenticity_statement.fingerprint_individuals)?,
        declaration_individuals: set(&raw.authenticity_statement.declaration_individuals)?,
        domain_certificate: set(&raw.documents.domain_certificate)?,
        authorisation_letter: set(&raw.documents.authorisation_letter)?,
        mailed_statement: set(&raw.documents.mailed_statement)?,
        app_verification: set(&raw.documents.app_verification)?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWords {
    restricted_prefixes: Vec<String>,
    personal_suffixes: Vec<String>,
    preapproval_words: Vec<String>,
    sensitive_words: Vec<String>,
    address_units: Vec<String>,
    virtual_mobile_prefixes: Vec<String>,
}

fn parse_words(text: &str) -> Result<Words, DataError> {
    const F: &str = "name-words.toml";
    let raw: RawWords = toml::from_str(text).map_err(|e| err(F, None, e.to_string()))?;
    let automaton = |name: &str, v: &[String]| -> Result<AhoCorasick, DataError> {
        if v.is_empty() || v.iter().any(|w| w.trim().is_empty()) {
            return Err(err(
                F,
                None,
                format!("{name} must be a non-empty list of non-blank words"),
            ));
        }
        AhoCorasick::new(v).map_err(|e| err(F, None, e.to_string()))
    };
    for p in &raw.virtual_mobile_prefixes {
        if p.is_empty()
            || p.len() > 7
            || !p.starts_with('1')
            || !p.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err(
                F,
                None,
                format!("virtual_mobile_prefixes: {p:?} is not a number prefix"),
            ));
        }
    }
    Ok(Words {
        preapproval_words: (
            raw.preapproval_words.clone(),
            automaton("preapproval_words", &raw.preapproval_words)?,
        ),
        sensitive_words: (
            raw.sensitive_words.clone(),
            automaton("sensitive_words", &raw.sensitive_words)?,
        ),
        address_units: automaton("address_units", &raw.address_units)?,
        restricted_prefixes: raw.restricted_prefixes,
        personal_suffixes: raw.personal_suffixes,
        virtual_mobile_prefixes: raw.virtual_mobile_prefixes,
    })
}

fn parse_divisions(text: &str) -> Result<Vec<u32>, DataError> {
    const F: &str = "divisions.tsv";
    let mut out = Vec::new();
    for (line, f) in rows(text) {
        let [code, _name, status] = fields::<3>(F, line, &f)?;
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                F,
                Some(line),
                format!("{code:?} is not a six-digit code"),
            ));
        }
        if status != "current" && status != "historical" {
            return Err(err(
                F,
                Some(line),
                format!("status must be current or historical, found {status:?}"),
            ));
        }
        let n: u32 = code.parse().map_err(|_| err(F, Some(line), "bad code"))?;
        out.push(n);
    }
    if out.len() < 1000 {
        return Err(err(
            F,
            None,
            format!(
                "only {} division codes: the file looks truncated",
                out.len()
            ),
        ));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn parse_cities(text: &str, known: &HashSet<u8>) -> Result<Vec<City>, DataError> {
    const F: &str = "cities.tsv";
    let mut out = Vec::new();
    for (line, f) in rows(text) {
        let [province, name, short, codes] = fields::<4>(F, line, &f)?;
        let province = province_code(F, line, province, known)?;
        let area_codes: Vec<String> = codes.split(',').map(|c| c.trim().to_owned()).collect();
        for c in &area_codes {
            if !(c.len() == 3 || c.len() == 4)
                || !c.starts_with('0')
                || !c.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(err(
                    F,
                    Some(line),
                    format!("{c:?} is not an area code like 0571"),
                ));
            }
        }
        out.push(City {
            province,
            name: name.into(),
            short: short.into(),
            area_codes,
        });
    }
    for p in known {
        if !out.iter().any(|c| c.province == *p) {
            return Err(err(F, None, format!("province {p} has no city")));
        }
    }
    if out.windows(2).any(|w| w[0].province > w[1].province) {
        return Err(err(F, None, "rows must be sorted by province"));
    }
    Ok(out)
}

fn parse_mobile_segments(
    text: &str,
    known: &HashSet<u8>,
) -> Result<Vec<(u32, u32, u8)>, DataError> {
    const F: &str = "mobile-segments.tsv";
    let mut out: Vec<(u32, u32, u8)> = Vec::new();
    for (line, f) in rows(text) {
        let [start, end, province] = fields::<3>(F, line, &f)?;
        let parse7 = |s: &str| -> Result<u32, DataError> {
            if s.len() != 7 || !s.starts_with('1') || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(
                    F,
                    Some(line),
                    format!("{s:?} is not a seven-digit prefix"),
                ));
            }
            s.parse().map_err(|_| err(F, Some(line), "bad prefix"))
        };
        let (start, end) = (parse7(start)?, parse7(end)?);
        let province = province_code(F, line, province, known)?;
        if end < start
            || out
                .last()
                .is_some_and(|&(_, prev_end, _)| start <= prev_end)
        {
            return Err(err(
                F,
                Some(line),
                "ranges must be sorted and must not overlap",
            ));
        }
        out.push((start, end, province));
    }
    Ok(out)
}

fn parse_reasons(text: &str) -> Result<HashMap<ReasonCode, ReasonText>, DataError> {
    const F: &str = "rejection-reasons.toml";
    let raw: HashMap<String, ReasonText> =
        toml::from_str(text).map_err(|e| err(F, None, e.to_string()))?;
    let mut out = HashMap::new();
    for (k, v) in raw {
        let code = ReasonCode::parse(&k)
            .ok_or_else(|| err(F, None, format!("unknown reason code {k:?}")))?;
        out.insert(code, v);
    }
    for c in ReasonCode::ALL {
        if !out.contains_key(c) {
            return Err(err(F, None, format!("reason {c} has no text")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> &'static ReferenceData {
        ReferenceData::embedded().unwrap()
    }

    #[test]
    fn embedded_data_loads() {
        let d = data();
        assert_eq!(d.provinces().len(), 31);
        assert_eq!(d.province("33").unwrap().abbr, "浙");
        assert!(d.province("81").is_none());
        assert!(d.province("3").is_none());
        assert!(d.is_division(330106));
        assert!(!d.is_division(999999));
        assert_eq!(d.city(33, "杭州市").unwrap().area_codes, vec!["0571"]);
        assert_eq!(d.province_rules.domains_per_website(45), 1);
        assert_eq!(d.province_rules.domains_per_website(33), 10);
        assert!(d.province_rules.sms_pilot.contains(33));
        assert!(!d.province_rules.sms_pilot.contains(11));
        assert!(
            d.province_rules
                .preapproval_required(PreapprovalCategory::Education, 33)
        );
        assert!(
            !d.province_rules
                .preapproval_required(PreapprovalCategory::Education, 11)
        );
        assert!(
            !d.province_rules
                .preapproval_required(PreapprovalCategory::Bbs, 33)
        );
        assert_eq!(
            d.province_rules.prohibited_term(11, "张三的评论集"),
            Some("评论")
        );
        assert_eq!(d.province_rules.prohibited_term(32, "张三的评论集"), None);
        assert!(d.reason(ReasonCode::P04).unwrap().free_text_required);
    }

    #[test]
    fn every_province_has_a_city_with_an_area_code() {
        let d = data();
        for p in d.provinces() {
            assert!(
                d.cities_of(p.code).any(|c| !c.area_codes.is_empty()),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn malformed_files_name_file_and_line() {
        let mut src = DataSources::EMBEDDED;
        src.provinces = "11\t北京市\t北京\t京\n";
        let e = ReferenceData::from_sources(&src).unwrap_err();
        assert_eq!(e.file, "provinces.tsv");
        assert_eq!(e.line, Some(1));

        let mut src = DataSources::EMBEDDED;
        let bad = format!(
            "{}\n1390000\t1380000\t11\n",
            DataSources::EMBEDDED.mobile_segments
        );
        src.mobile_segments = &bad;
        let e = ReferenceData::from_sources(&src).unwrap_err();
        assert_eq!(e.file, "mobile-segments.tsv");

        let mut src = DataSources::EMBEDDED;
        src.province_rules = "sms_pilot = [\"99\"]";
        assert_eq!(
            ReferenceData::from_sources(&src).unwrap_err().file,
            "province-rules.toml"
        );

        let mut src = DataSources::EMBEDDED;
        let natures = DataSources::EMBEDDED
            .natures
            .replace("military\t", "militar\t");
        src.natures = &natures;
        assert!(
            ReferenceData::from_sources(&src)
                .unwrap_err()
                .message
                .contains("militar")
        );
    }
}
