//! The input document of `beian check` and of the API: `{ "application": {...}, "context": {...} }`
//! (SPEC §7.1).
//!
//! Parsing is strict about *types* (a field of the wrong JSON type, an unknown enumeration value or
//! a malformed date is unusable input, reported with its path) and lenient about *presence*: every
//! field of the application is optional here, because a missing or blank field is a finding
//! (`INPUT_MISSING_FIELD`), not a parse error. Unknown keys are ignored for forward compatibility.

use serde::de::{Deserializer, Error as _, IntoDeserializer};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::model::{Billing, CredentialType, FilingType, Nature, PreapprovalCategory, Provider};

/// Why an input document is unusable (exit code 2 of `beian check`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("at {path}: ") })]
pub struct InputError {
    /// Where in the document (`application.websites[0].domains`); empty for the whole document.
    pub path: String,
    pub message: String,
    /// 1-based line and column in the JSON text, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// The whole input document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Document {
    #[serde(deserialize_with = "obj")]
    pub application: Application,
    #[serde(default, deserialize_with = "obj")]
    pub context: Context,
}

/// Parse an input document from JSON text, naming the path of any problem.
pub fn parse_document(json: &str) -> Result<Document, InputError> {
    // Fast path: most documents parse; only a failure pays for path tracking.
    if let Ok(doc) = serde_json::from_str::<MapOnly<Document>>(json) {
        return Ok(doc.0);
    }
    parse_document_tracked(json)
}

/// The slow path: parse again while tracking the path, to name where the problem is.
fn parse_document_tracked(json: &str) -> Result<Document, InputError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let result: Result<MapOnly<Document>, _> = serde_path_to_error::deserialize(&mut de);
    let doc = result.map(|m| m.0).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (line, column) = if inner.line() > 0 {
            (Some(inner.line()), Some(inner.column()))
        } else {
            (None, None)
        };
        let message = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("invalid JSON: {inner}")
            }
            serde_json::error::Category::Io => format!("cannot read input: {inner}"),
            serde_json::error::Category::Data => strip_position(&inner.to_string()),
        };
        let path = if path == "." { String::new() } else { path };
        InputError {
            path,
            message,
            line,
            column,
        }
    })?;
    de.end().map_err(|e| InputError {
        path: String::new(),
        message: format!("invalid JSON: {e}"),
        line: Some(e.line()),
        column: Some(e.column()),
    })?;
    Ok(doc)
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Accepts only a JSON object for a struct: serde's derive also takes an array (fields by
/// position), which would let `"application": []` through.
struct MapOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData)).map(MapOnly)
    }
}

fn obj<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    MapOnly::<T>::deserialize(d).map(|m| m.0)
}

fn opt_obj<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Ok(Option::<MapOnly<T>>::deserialize(d)?.map(|m| m.0))
}

fn opt_objs<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(Option::<Vec<MapOnly<T>>>::deserialize(d)?.map(|v| v.into_iter().map(|m| m.0).collect()))
}

/// A string field where blank means absent.
fn blank_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<String> = Option::deserialize(d)?;
    Ok(v.filter(|s| !s.trim().is_empty()))
}

/// An enumeration given as a string: blank means absent, an unknown value is an error.
fn enum_or_blank<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let v: Option<String> = Option::deserialize(d)?;
    match v {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => {
            let de: serde::de::value::StringDeserializer<serde::de::value::Error> =
                s.trim().to_owned().into_deserializer();
            T::deserialize(de).map(Some).map_err(D::Error::custom)
        }
    }
}

fn date_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    let v: Option<String> = Option::deserialize(d)?;
    match v {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_date(s.trim()).map(Some).map_err(D::Error::custom),
    }
}

fn date_req<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let s = String::deserialize(d)?;
    parse_date(s.trim()).map_err(D::Error::custom)
}

/// Parse `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let bad = || format!("{s:?} is not a date of the form YYYY-MM-DD");
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(bad());
    };
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let year = i32::try_from(y).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, u8::try_from(d).map_err(|_| bad())?).map_err(|_| bad())
}

fn ser_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&format_date(*d)),
        None => s.serialize_none(),
    }
}

fn ser_date_req<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

/// Format a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A filing application (备案申请): the subject and its websites.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Application {
    #[serde(
        default,
        deserialize_with = "enum_or_blank",
        skip_serializing_if = "Option::is_none"
    )]
    pub filing_type: Option<FilingType>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub region: Option<Region>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub subject: Option<Subject>,
    #[serde(default, deserialize_with = "opt_objs")]
    pub websites: Option<Vec<Website>>,
    /// Document files to check by content (`beian check` only); paths relative to the input file.
    #[serde(
        default,
        deserialize_with = "opt_objs",
        skip_serializing_if = "Option::is_none"
    )]
    pub documents: Option<Vec<DocumentRef>>,
}

impl Application {
    /// The subject's credential number, normalised (trimmed, upper case), if given.
    pub fn subject_credential_number(&self) -> Option<String> {
        let n = self
            .subject
            .as_ref()?
            .credential
            .as_ref()?
            .number
            .as_deref()?;
        Some(crate::detect::normalise_credential_number(n))
    }

    /// The filing province's two-digit code as a number, if it is two digits.
    pub fn province_code(&self) -> Option<u8> {
        let p = self.region.as_ref()?.province.as_deref()?.trim();
        if p.len() == 2 { p.parse().ok() } else { None }
    }
}

/// Filing region (备案地区).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Region {
    #[serde(default, deserialize_with = "blank_as_none")]
    pub province: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub district: Option<String>,
}

/// A credential (证件): type and number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    #[serde(rename = "type", default, deserialize_with = "enum_or_blank")]
    pub kind: Option<CredentialType>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub number: Option<String>,
}

/// A responsible person (负责人): the subject administrator or a website administrator.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Person {
    #[serde(default, deserialize_with = "blank_as_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub credential: Option<Credential>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub office_phone: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub mobile: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub email: Option<String>,
}

/// The filing subject (主体).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Subject {
    #[serde(default, deserialize_with = "enum_or_blank")]
    pub nature: Option<Nature>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub credential: Option<Credential>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub credential_address: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub contact_address: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub address_remark: Option<String>,
    /// Investor or superior (投资人或主管单位).
    #[serde(default, deserialize_with = "blank_as_none")]
    pub investor: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub legal_representative: Option<String>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub admin: Option<Person>,
}

/// A website (网站).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Website {
    #[serde(default, deserialize_with = "blank_as_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub domains: Option<Vec<String>>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub homepage: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub service_content: Option<String>,
    #[serde(default, deserialize_with = "opt_objs")]
    pub preapprovals: Option<Vec<Preapproval>>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub admin: Option<Person>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub remark: Option<String>,
    /// The product's filing service number (备案服务号).
    #[serde(default, deserialize_with = "blank_as_none")]
    pub service_number: Option<String>,
}

/// A preapproval entry (前置审批).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Preapproval {
    #[serde(default, deserialize_with = "enum_or_blank")]
    pub category: Option<PreapprovalCategory>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub number: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub document: Option<String>,
}

/// A document file named in the input (`beian check` reads and sniffs it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DocumentRef {
    #[serde(default, deserialize_with = "blank_as_none")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub file: Option<String>,
}

/// What a live system would look up (SPEC §7.1). An absent key skips the checks that need it;
/// an empty array is present and means "none".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Context {
    #[serde(
        default,
        deserialize_with = "date_opt",
        serialize_with = "ser_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub today: Option<Date>,
    #[serde(
        default,
        deserialize_with = "opt_objs",
        skip_serializing_if = "Option::is_none"
    )]
    pub domains: Option<Vec<DomainRecord>>,
    #[serde(
        default,
        deserialize_with = "opt_objs",
        skip_serializing_if = "Option::is_none"
    )]
    pub filings: Option<Vec<FilingRecord>>,
    #[serde(
        default,
        deserialize_with = "opt_objs",
        skip_serializing_if = "Option::is_none"
    )]
    pub products: Option<Vec<ProductRecord>>,
    #[serde(
        default,
        deserialize_with = "opt_obj",
        skip_serializing_if = "Option::is_none"
    )]
    pub blacklist: Option<Blacklist>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_in_progress: Option<Vec<String>>,
}

/// A domain registration record (the registrar's library).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DomainRecord {
    pub domain: String,
    #[serde(default)]
    pub registrar: Option<String>,
    #[serde(default)]
    pub registrar_approved: Option<bool>,
    #[serde(default, deserialize_with = "date_opt", serialize_with = "ser_date")]
    pub expires: Option<Date>,
    #[serde(default)]
    pub real_name_verified: Option<bool>,
    #[serde(default, deserialize_with = "date_opt", serialize_with = "ser_date")]
    pub real_name_date: Option<Date>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub registrant: Option<Registrant>,
}

/// The registrant (域名持有者) of a domain.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Registrant {
    #[serde(default, deserialize_with = "blank_as_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub credential: Option<Credential>,
}

/// A filing on record (in this provider's store or the administration's registry).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilingRecord {
    #[serde(default)]
    pub subject_name: Option<String>,
    #[serde(default, deserialize_with = "opt_obj")]
    pub credential: Option<Credential>,
    #[serde(default)]
    pub mobiles: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(deserialize_with = "provider")]
    pub provider: Provider,
    /// When the filing was approved; decides the 2018-01-01 domain-verification cut-off for changes.
    #[serde(
        default,
        deserialize_with = "date_opt",
        serialize_with = "ser_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub filed: Option<Date>,
}

fn provider<'de, D: Deserializer<'de>>(d: D) -> Result<Provider, D::Error> {
    enum_or_blank(d)?.ok_or_else(|| D::Error::custom("provider must be \"this\" or \"other\""))
}

/// A product instance (e.g. a cloud server) that can carry filings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductRecord {
    pub service_number: String,
    /// `ecs` for a server; any other kind cannot carry a filing.
    pub kind: String,
    /// `mainland`, or a region outside it.
    pub region: String,
    #[serde(deserialize_with = "billing")]
    pub billing: Billing,
    #[serde(deserialize_with = "date_req", serialize_with = "ser_date_req")]
    pub expires: Date,
    pub public_bandwidth: bool,
    pub website_quota: u32,
    pub websites_filed: u32,
}

fn billing<'de, D: Deserializer<'de>>(d: D) -> Result<Billing, D::Error> {
    enum_or_blank(d)?
        .ok_or_else(|| D::Error::custom("billing must be \"subscription\" or \"pay_as_you_go\""))
}

/// Blacklisted credentials and website names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Blacklist {
    #[serde(default)]
    pub credentials: Vec<String>,
    #[serde(default)]
    pub website_names: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_type_names_its_path() {
        let e = parse_document(r#"{"application":{"subject":{"admin":{"mobile":13800000000}}}}"#)
            .unwrap_err();
        assert_eq!(e.path, "application.subject.admin.mobile");
        assert!(e.message.contains("expected a string"), "{}", e.message);
    }

    #[test]
    fn unknown_enum_names_its_path() {
        let e = parse_document(
            r#"{"application":{"websites":[{"preapprovals":[{"category":"gaming"}]}]}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "application.websites[0].preapprovals[0].category");
        assert!(e.message.contains("gaming"));
    }

    #[test]
    fn blank_enum_is_missing_not_unusable() {
        let d = parse_document(r#"{"application":{"subject":{"nature":"  "}}}"#).unwrap();
        assert!(d.application.subject.unwrap().nature.is_none());
    }

    #[test]
    fn missing_application_and_bad_json() {
        let e = parse_document(r#"{"context":{}}"#).unwrap_err();
        assert!(e.message.contains("application"), "{}", e.message);
        let e = parse_document(r#"{"application": {"#).unwrap_err();
        assert!(e.message.starts_with("invalid JSON"));
        assert!(e.line.is_some());
        assert!(parse_document(r#"[1]"#).is_err());
        assert!(parse_document(r#"{"application": []}"#).is_err());
        assert!(parse_document(r#"{"application": {}} trailing"#).is_err());
        assert!(parse_document(r#"[{}, {}]"#).is_err());
        let e = parse_document(r#"{"application": {"subject": ["x"]}}"#).unwrap_err();
        assert_eq!(e.path, "application.subject");
        let e = parse_document(r#"{"application": {"websites": [[]]}}"#).unwrap_err();
        assert_eq!(e.path, "application.websites[0]");
    }

    #[test]
    fn dates_are_checked() {
        let e =
            parse_document(r#"{"application":{},"context":{"today":"2026-13-01"}}"#).unwrap_err();
        assert_eq!(e.path, "context.today");
        for bad in [
            "2026-02-30",
            "2026-1-01",
            "20261122",
            "2026-11-2x",
            "+026-11-22",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert!(parse_date("2024-02-29").is_ok());
        let d = parse_document(r#"{"application":{},"context":{"today":"2026-11-22"}}"#).unwrap();
        assert_eq!(
            d.context.today.map(format_date).as_deref(),
            Some("2026-11-22")
        );
    }
}
