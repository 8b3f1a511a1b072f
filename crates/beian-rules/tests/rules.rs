//! One test per rule of SPEC §7: a change that makes it fire (at the right path) and a near miss
//! that keeps it quiet. Each starts from a valid worked example of `examples/check/` and edits it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use beian_rules::engine::{Engine, document_findings};
use beian_rules::{FilingType, Report, RuleId, Severity, parse_document};
use serde_json::{Value, json};

fn example(name: &str) -> Value {
    let path = format!(
        "{}/../../examples/check/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Organisation, Zhejiang, two websites.
fn org() -> Value {
    example("valid-enterprise-zhejiang")
}

/// Individual, Beijing.
fn person() -> Value {
    example("valid-individual-beijing")
}

/// Individual, Jiangsu.
fn jiangsu() -> Value {
    example("valid-individual-jiangsu")
}

fn run(v: &Value) -> Report {
    let doc = parse_document(&v.to_string()).unwrap();
    let engine = Engine::embedded().unwrap();
    let today = time::macros::date!(2026 - 11 - 22);
    engine.check(&doc.application, &doc.context, today)
}

/// Set the value at a JSON pointer (creating object keys as needed).
fn set(v: &mut Value, pointer: &str, new: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        &mut *v
    } else {
        v.pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent}"))
    };
    match target {
        Value::Object(m) => {
            m.insert(key.to_owned(), new);
        }
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = new,
        _ => panic!("{parent} is not a container"),
    }
}

fn remove(v: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key);
}

#[track_caller]
fn fires(v: &Value, rule: RuleId, path: &str) -> Report {
    let r = run(v);
    assert!(
        r.findings.iter().any(|f| f.rule == rule && f.path == path),
        "{rule} did not fire at {path:?}; findings: {:#?}",
        r.findings
            .iter()
            .map(|f| format!("{} {}", f.rule, f.path))
            .collect::<Vec<_>>()
    );
    r
}

#[track_caller]
fn quiet(v: &Value, rule: RuleId) {
    let r = run(v);
    let hits: Vec<_> = r.of(rule).map(|f| f.path.clone()).collect();
    assert!(
        hits.is_empty(),
        "{rule} fired at {hits:?}: {:#?}",
        r.of(rule).collect::<Vec<_>>()
    );
}

#[track_caller]
fn severity_of(r: &Report, rule: RuleId) -> Severity {
    r.of(rule).next().unwrap().severity
}

fn rid(body17: &str) -> String {
    let c = beian_rules::validate::mod11_2_check(body17.as_bytes()).unwrap();
    format!("{body17}{}", c as char)
}

fn uscc(body17: &str) -> String {
    let c = beian_rules::validate::uscc_check(body17.as_bytes()).unwrap();
    format!("{body17}{}", c as char)
}

// ---------------------------------------------------------------------------------------------
// The worked examples themselves.

#[test]
fn worked_examples_pass_with_only_documents_required() {
    for v in [org(), person(), jiangsu()] {
        let r = run(&v);
        let rules: Vec<_> = r
            .findings
            .iter()
            .map(|f| format!("{} {}", f.rule, f.path))
            .collect();
        assert_eq!(r.summary.errors, 0, "{rules:#?}");
        assert_eq!(r.summary.warnings, 0, "{rules:#?}");
        assert_eq!(r.of(RuleId::DocumentsRequired).count(), 1);
        assert_eq!(r.filing_type, FilingType::Initial);
    }
}

// ---------------------------------------------------------------------------------------------
// INPUT_MISSING_FIELD and REGION_UNKNOWN_PROVINCE

#[test]
fn input_missing_field() {
    let mut v = org();
    set(&mut v, "/application/subject/admin/mobile", json!("  "));
    remove(&mut v, "/application/region/city");
    set(&mut v, "/application/websites/1/domains", json!([]));
    let r = fires(&v, RuleId::InputMissingField, "subject.admin.mobile");
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == RuleId::InputMissingField && f.path == "region.city")
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == RuleId::InputMissingField && f.path == "websites[1].domains")
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.path == "subject.admin.mobile")
        .unwrap();
    assert!(
        f.message_zh.contains("主体负责人手机号码"),
        "{}",
        f.message_zh
    );
    assert!(
        f.message_en
            .contains("subject administrator's mobile number"),
        "{}",
        f.message_en
    );
    // An absent object is one finding at the object's path.
    let mut v = org();
    remove(&mut v, "/application/subject/admin");
    let r = fires(&v, RuleId::InputMissingField, "subject.admin");
    assert!(
        !r.findings
            .iter()
            .any(|f| f.path.starts_with("subject.admin."))
    );
    // Near miss: optional fields may be blank.
    let mut v = org();
    set(&mut v, "/application/region/district", json!(""));
    remove(&mut v, "/application/websites/0/homepage");
    quiet(&v, RuleId::InputMissingField);
}

#[test]
fn legal_representative_required_for_organisations_only() {
    let mut v = org();
    remove(&mut v, "/application/subject/legal_representative");
    fires(
        &v,
        RuleId::InputMissingField,
        "subject.legal_representative",
    );
    quiet(&person(), RuleId::InputMissingField);
}

#[test]
fn region_unknown_province() {
    for bad in ["81", "99", "浙江", "330000", "3"] {
        let mut v = org();
        set(&mut v, "/application/region/province", json!(bad));
        fires(&v, RuleId::RegionUnknownProvince, "region.province");
    }
    quiet(&org(), RuleId::RegionUnknownProvince);
}

// ---------------------------------------------------------------------------------------------
// Credentials

#[test]
fn subject_nature_credential_mismatch() {
    let mut v = org();
    set(
        &mut v,
        "/application/subject/credential",
        json!({"type": "resident_id", "number": "330106198503120036"}),
    );
    fires(
        &v,
        RuleId::SubjectNatureCredentialMismatch,
        "subject.credential.type",
    );
    let mut v = org();
    set(
        &mut v,
        "/application/subject/credential",
        json!({"type": "military_code", "number": "JD12345"}),
    );
    fires(
        &v,
        RuleId::SubjectNatureCredentialMismatch,
        "subject.credential.type",
    );
    let mut v = person();
    set(
        &mut v,
        "/application/subject/credential",
        json!({"type": "uscc", "number": uscc("91110108MA0K1L2M3")}),
    );
    fires(
        &v,
        RuleId::SubjectNatureCredentialMismatch,
        "subject.credential.type",
    );
    // Near miss: the military may use a military code.
    let mut v = org();
    set(&mut v, "/application/subject/nature", json!("military"));
    set(
        &mut v,
        "/application/subject/credential",
        json!({"type": "military_code", "number": "JD12345"}),
    );
    quiet(&v, RuleId::SubjectNatureCredentialMismatch);
    quiet(&org(), RuleId::SubjectNatureCredentialMismatch);
}

#[test]
fn credential_format_invalid() {
    let cases = [
        ("uscc", "91330106MA2B3C4D5"),
        ("uscc", "91330106MA2B3C4DIO"),
        ("org_code", "1234567"),
        ("hk_macao_permit", "X12345678"),
        ("taiwan_permit", "1234567"),
    ];
    for (t, n) in cases {
        let mut v = org();
        set(
            &mut v,
            "/application/subject/credential",
            json!({"type": t, "number": n}),
        );
        fires(
            &v,
            RuleId::CredentialFormatInvalid,
            "subject.credential.number",
        );
    }
    let mut v = org();
    set(
        &mut v,
        "/application/subject/admin/credential/number",
        json!("33010619850312003"),
    );
    fires(
        &v,
        RuleId::CredentialFormatInvalid,
        "subject.admin.credential.number",
    );
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/admin/credential",
        json!({"type": "hk_macao_residence", "number": rid("33010619850312003")}),
    );
    fires(
        &v,
        RuleId::CredentialFormatInvalid,
        "websites[1].admin.credential.number",
    );
    // Near miss: lower-case x and surrounding spaces are normalised.
    let mut v = org();
    let id = rid("11010519491231002");
    assert!(id.ends_with('X'));
    set(
        &mut v,
        "/application/subject/admin/credential/number",
        json!(format!(" {} ", id.to_lowercase())),
    );
    quiet(&v, RuleId::CredentialFormatInvalid);
    quiet(&v, RuleId::CredentialChecksumInvalid);
}

#[test]
fn credential_checksum_invalid() {
    let mut v = org();
    set(
        &mut v,
        "/application/subject/credential/number",
        json!("91330106MA2B3C4D5E"),
    );
    fires(
        &v,
        RuleId::CredentialChecksumInvalid,
        "subject.credential.number",
    );
    let mut v = org();
    set(
        &mut v,
        "/application/websites/0/admin/credential/number",
        json!("330106198503120037"),
    );
    fires(
        &v,
        RuleId::CredentialChecksumInvalid,
        "websites[0].admin.credential.number",
    );
    let mut v = org();
    set(
        &mut v,
        "/application/subject/credential",
        json!({"type": "org_code", "number": "D2143569-1"}),
    );
    fires(
        &v,
        RuleId::CredentialChecksumInvalid,
        "subject.credential.number",
    );
    let mut v = org();
    set(
        &mut v,
        "/application/subject/credential",
        json!({"type": "org_code", "number": "D2143569-X"}),
    );
    quiet(&v, RuleId::CredentialChecksumInvalid);
}

#[test]
fn credential_region_invalid() {
    let mut v = person();
    let bad = rid("99010519850312001");
    set(
        &mut v,
        "/application/subject/admin/credential/number",
        json!(bad),
    );
    fires(
        &v,
        RuleId::CredentialRegionInvalid,
        "subject.admin.credential.number",
    );
    // Near miss: an abolished (historical) division is still a valid prefix.
    let mut v = person();
    let old = rid("11010219850312001"); // 110102 西城区 (current) — near miss on a known code
    set(
        &mut v,
        "/application/subject/admin/credential/number",
        json!(old),
    );
    quiet(&v, RuleId::CredentialRegionInvalid);
}

#[test]
fn credential_birthdate_invalid() {
    for body in [
        "11010518991231001",
        "11010520261123001",
        "11010519990230001",
    ] {
        let mut v = person();
        set(
            &mut v,
            "/application/subject/admin/credential/number",
            json!(rid(body)),
        );
        fires(
            &v,
            RuleId::CredentialBirthdateInvalid,
            "subject.admin.credential.number",
        );
    }
    let mut v = person();
    set(
        &mut v,
        "/application/subject/admin/credential/number",
        json!(rid("11010520261122001")),
    );
    quiet(&v, RuleId::CredentialBirthdateInvalid);
}

#[test]
fn subject_foreign_document() {
    let mut v = org();
    set(
        &mut v,
        "/application/subject/credential",
        json!({"type": "overseas_document", "number": "HK-12345678"}),
    );
    let r = fires(
        &v,
        RuleId::SubjectForeignDocument,
        "subject.credential.type",
    );
    assert_eq!(r.of(RuleId::SubjectNatureCredentialMismatch).count(), 0);
    quiet(&org(), RuleId::SubjectForeignDocument);
}

#[test]
fn subject_cross_province() {
    let mut v = org();
    set(
        &mut v,
        "/application/subject/credential/number",
        json!(uscc("91110108MA0K1L2M3")),
    );
    let r = fires(
        &v,
        RuleId::SubjectCrossProvince,
        "subject.credential.number",
    );
    assert_eq!(
        severity_of(&r, RuleId::SubjectCrossProvince),
        Severity::Error
    );
    let mut v = person();
    set(
        &mut v,
        "/application/subject/credential/number",
        json!(rid("33010619850312003")),
    );
    let r = fires(
        &v,
        RuleId::SubjectCrossProvince,
        "subject.credential.number",
    );
    assert_eq!(
        severity_of(&r, RuleId::SubjectCrossProvince),
        Severity::Warning
    );
    // Near miss: a central registration (`10`) is not a province and is skipped.
    let mut v = org();
    set(
        &mut v,
        "/application/subject/credential/number",
        json!(uscc("11100000MA0K1L2M3")),
    );
    quiet(&v, RuleId::SubjectCrossProvince);
}

#[test]
fn subject_admin_not_self() {
    let mut v = person();
    set(&mut v, "/application/subject/admin/name", json!("李华"));
    fires(&v, RuleId::SubjectAdminNotSelf, "subject.admin");
    let mut v = person();
    set(&mut v, "/application/subject/admin/name", json!(" 李明 "));
    quiet(&v, RuleId::SubjectAdminNotSelf);
}

#[test]
fn subject_admin_not_legal_rep() {
    let mut v = org();
    set(&mut v, "/application/subject/admin/name", json!("王强"));
    let r = fires(&v, RuleId::SubjectAdminNotLegalRep, "subject.admin.name");
    assert_eq!(
        severity_of(&r, RuleId::SubjectAdminNotLegalRep),
        Severity::Warning
    );
    quiet(&org(), RuleId::SubjectAdminNotLegalRep);
}

#[test]
fn investor_missing() {
    let mut v = org();
    remove(&mut v, "/application/subject/investor");
    let r = fires(&v, RuleId::InvestorMissing, "subject.investor");
    assert_eq!(severity_of(&r, RuleId::InvestorMissing), Severity::Error);
    let mut v = person();
    set(&mut v, "/application/subject/investor", json!("李华"));
    let r = fires(&v, RuleId::InvestorMissing, "subject.investor");
    assert_eq!(severity_of(&r, RuleId::InvestorMissing), Severity::Warning);
    quiet(&person(), RuleId::InvestorMissing);
}

#[test]
fn address_not_detailed() {
    let mut v = org();
    set(
        &mut v,
        "/application/subject/contact_address",
        json!("浙江省杭州市西湖区文三路100号"),
    );
    fires(&v, RuleId::AddressNotDetailed, "subject.contact_address");
    set(
        &mut v,
        "/application/subject/address_remark",
        json!("此地址已详细到最小单位"),
    );
    quiet(&v, RuleId::AddressNotDetailed);
}

#[test]
fn address_region_mismatch() {
    let mut v = org();
    set(
        &mut v,
        "/application/subject/contact_address",
        json!("上海市浦东新区世纪大道100号1层"),
    );
    fires(&v, RuleId::AddressRegionMismatch, "subject.contact_address");
    let mut v = org();
    set(
        &mut v,
        "/application/subject/contact_address",
        json!("杭州西湖区文三路100号5幢301室"),
    );
    quiet(&v, RuleId::AddressRegionMismatch);
}

// ---------------------------------------------------------------------------------------------
// Phones, mobiles, e-mail

#[test]
fn phone_format_invalid() {
    for bad in [
        "0571-88888888",
        "086-0571-8888888888",
        "086-0571-88888888-12",
        "+86 571 88888888",
    ] {
        let mut v = org();
        set(
            &mut v,
            "/application/websites/0/admin/office_phone",
            json!(bad),
        );
        fires(
            &v,
            RuleId::PhoneFormatInvalid,
            "websites[0].admin.office_phone",
        );
    }
    let mut v = org();
    set(
        &mut v,
        "/application/websites/0/admin/office_phone",
        json!("086-0571-8888888"),
    );
    quiet(&v, RuleId::PhoneFormatInvalid);
}

#[test]
fn phone_area_mismatch() {
    let mut v = org();
    set(
        &mut v,
        "/application/subject/admin/office_phone",
        json!("086-0574-88888888"),
    );
    fires(&v, RuleId::PhoneAreaMismatch, "subject.admin.office_phone");
    // A city unknown to the data falls back to the province's codes.
    let mut v = org();
    set(&mut v, "/application/region/city", json!("某新区"));
    set(
        &mut v,
        "/application/subject/admin/office_phone",
        json!("086-0574-88888888"),
    );
    quiet(&v, RuleId::PhoneAreaMismatch);
    set(
        &mut v,
        "/application/subject/admin/office_phone",
        json!("086-010-88888888"),
    );
    fires(&v, RuleId::PhoneAreaMismatch, "subject.admin.office_phone");
}

#[test]
fn mobile_format_invalid() {
    for bad in ["1380000000", "12800000000", "138-0000-0000", "23800000000"] {
        let mut v = org();
        set(&mut v, "/application/subject/admin/mobile", json!(bad));
        fires(&v, RuleId::MobileFormatInvalid, "subject.admin.mobile");
    }
    let mut v = org();
    set(
        &mut v,
        "/application/subject/admin/mobile",
        json!("19906710000"),
    );
    quiet(&v, RuleId::MobileFormatInvalid);
}

#[test]
fn mobile_out_of_region() {
    // A Beijing number in a Zhejiang filing.
    let mut v = org();
    set(
        &mut v,
        "/application/subject/admin/mobile",
        json!("13801001234"),
    );
    let r = fires(&v, RuleId::MobileOutOfRegion, "subject.admin.mobile");
    assert_eq!(r.summary.errors, 0);
    quiet(&org(), RuleId::MobileOutOfRegion);
}

#[test]
fn mobile_virtual_operator() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/admin/mobile",
        json!("17012345678"),
    );
    fires(
        &v,
        RuleId::MobileVirtualOperator,
        "websites[1].admin.mobile",
    );
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/admin/mobile",
        json!("17312345678"),
    );
    quiet(&v, RuleId::MobileVirtualOperator);
}

#[test]
fn mobile_used_by_other_subject() {
    let mut v = org();
    set(
        &mut v,
        "/context/filings",
        json!([{"subject_name": "别家公司", "credential": {"type": "uscc", "number": uscc("91330106MA2B3C4D6")},
                "mobiles": ["13906710000"], "domains": ["other.cn"], "provider": "other"}]),
    );
    fires(&v, RuleId::MobileUsedByOtherSubject, "subject.admin.mobile");
    // Near miss: the same subject's own filing.
    set(
        &mut v,
        "/context/filings/0/credential/number",
        json!("91330106ma2b3c4d5d"),
    );
    quiet(&v, RuleId::MobileUsedByOtherSubject);
}

#[test]
fn email_invalid() {
    for bad in [
        "zw.yunfan.cn",
        "zw@@yunfan.cn",
        "zw@yunfan",
        "z w@yunfan.cn",
        "zw@-yunfan.cn",
    ] {
        let mut v = org();
        set(&mut v, "/application/subject/admin/email", json!(bad));
        fires(&v, RuleId::EmailInvalid, "subject.admin.email");
    }
    let mut v = org();
    set(
        &mut v,
        "/application/subject/admin/email",
        json!("zhang.wei+icp@云帆科技.中国"),
    );
    quiet(&v, RuleId::EmailInvalid);
}

#[test]
fn admin_credential_type_invalid() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/0/admin/credential",
        json!({"type": "uscc", "number": "91330106MA2B3C4D5D"}),
    );
    fires(
        &v,
        RuleId::AdminCredentialTypeInvalid,
        "websites[0].admin.credential.type",
    );
    let mut v = org();
    set(
        &mut v,
        "/application/websites/0/admin/credential",
        json!({"type": "passport", "number": "E12345678"}),
    );
    quiet(&v, RuleId::AdminCredentialTypeInvalid);
}

#[test]
fn website_admin_not_legal_rep() {
    let mut v = org();
    set(&mut v, "/application/websites/1/admin/name", json!("陈静"));
    let r = fires(
        &v,
        RuleId::WebsiteAdminNotLegalRep,
        "websites[1].admin.name",
    );
    assert_eq!(
        severity_of(&r, RuleId::WebsiteAdminNotLegalRep),
        Severity::Info
    );
    assert!(
        r.of(RuleId::DocumentsRequired)
            .next()
            .unwrap()
            .message_zh
            .contains("授权书")
    );
    quiet(&org(), RuleId::WebsiteAdminNotLegalRep);
}

// ---------------------------------------------------------------------------------------------
// Website names

fn with_org_name(name: &str) -> Value {
    let mut v = org();
    set(&mut v, "/application/websites/0/name", json!(name));
    v
}

fn with_person_name(name: &str) -> Value {
    let mut v = person();
    set(&mut v, "/application/websites/0/name", json!(name));
    v
}

fn with_jiangsu_name(name: &str) -> Value {
    let mut v = jiangsu();
    set(&mut v, "/application/websites/0/name", json!(name));
    v
}

#[test]
fn website_name_too_few_hanzi() {
    fires(
        &with_org_name("云帆Cloud"),
        RuleId::WebsiteNameTooFewHanzi,
        "websites[0].name",
    );
    quiet(
        &with_org_name("云帆网Cloud"),
        RuleId::WebsiteNameTooFewHanzi,
    );
    // Extension A counts as Chinese.
    quiet(
        &with_org_name("云帆\u{3400}"),
        RuleId::WebsiteNameTooFewHanzi,
    );
}

#[test]
fn website_name_only_alnum() {
    fires(
        &with_org_name("Yunfan2026"),
        RuleId::WebsiteNameOnlyAlnum,
        "websites[0].name",
    );
    quiet(&with_org_name("云帆科技2026"), RuleId::WebsiteNameOnlyAlnum);
}

#[test]
fn website_name_special_char() {
    for bad in [
        "云帆 科技官网",
        "云帆科技-官网",
        "云帆科技官网！",
        "云帆科技Ｃｌｏｕｄ",
    ] {
        fires(
            &with_org_name(bad),
            RuleId::WebsiteNameSpecialChar,
            "websites[0].name",
        );
    }
    quiet(
        &with_org_name("云帆科技Cloud官网"),
        RuleId::WebsiteNameSpecialChar,
    );
}

#[test]
fn website_name_restricted_prefix() {
    fires(
        &with_org_name("中国云帆官网"),
        RuleId::WebsiteNameRestrictedPrefix,
        "websites[0].name",
    );
    let mut v = with_org_name("中国云帆官网");
    set(&mut v, "/application/subject/nature", json!("government"));
    quiet(&v, RuleId::WebsiteNameRestrictedPrefix);
    quiet(
        &with_org_name("云帆中国官网"),
        RuleId::WebsiteNameRestrictedPrefix,
    );
}

#[test]
fn website_name_is_domain() {
    fires(
        &with_org_name("yunfan.cn"),
        RuleId::WebsiteNameIsDomain,
        "websites[0].name",
    );
    fires(
        &with_org_name("YunFan"),
        RuleId::WebsiteNameIsDomain,
        "websites[0].name",
    );
    // The IDN's first label in Unicode form.
    fires(
        &with_org_name("云帆科技"),
        RuleId::WebsiteNameIsDomain,
        "websites[0].name",
    );
    quiet(&with_org_name("云帆科技网"), RuleId::WebsiteNameIsDomain);
}

#[test]
fn website_name_sensitive_word() {
    fires(
        &with_org_name("云帆廉政之窗"),
        RuleId::WebsiteNameSensitiveWord,
        "websites[0].name",
    );
    quiet(
        &with_org_name("云帆廉洁之窗"),
        RuleId::WebsiteNameSensitiveWord,
    );
}

#[test]
fn website_name_personal_suffix() {
    fires(
        &with_person_name("李明摄影工作室"),
        RuleId::WebsiteNamePersonalSuffix,
        "websites[0].name",
    );
    fires(
        &with_person_name("李明的摄影平台"),
        RuleId::WebsiteNamePersonalSuffix,
        "websites[0].name",
    );
    // Organisations may use these endings.
    quiet(
        &with_org_name("云帆设计工作室"),
        RuleId::WebsiteNamePersonalSuffix,
    );
    // Jiangsu's mandated 的个人主页 ends with 主页 but is the required form.
    quiet(&jiangsu(), RuleId::WebsiteNamePersonalSuffix);
}

#[test]
fn website_name_needs_preapproval() {
    let mut v = with_person_name("李明的在线笔记");
    set(&mut v, "/application/region/province", json!("33"));
    set(&mut v, "/application/region/city", json!("杭州市"));
    fires(&v, RuleId::WebsiteNameNeedsPreapproval, "websites[0].name");
    // Jiangsu's mandated 的博客 form does not trigger it...
    quiet(
        &with_jiangsu_name("王芳的博客"),
        RuleId::WebsiteNameNeedsPreapproval,
    );
    // ...but a preapproval word inside XX still does.
    fires(
        &with_jiangsu_name("王芳交流的博客"),
        RuleId::WebsiteNameNeedsPreapproval,
        "websites[0].name",
    );
    quiet(
        &with_org_name("云帆在线学习"),
        RuleId::WebsiteNameNeedsPreapproval,
    );
}

#[test]
fn website_name_province_prohibited() {
    // 评论 is prohibited in Beijing, allowed in Jiangsu's list (which has none).
    fires(
        &with_person_name("李明的影评评论"),
        RuleId::WebsiteNameProvinceProhibited,
        "websites[0].name",
    );
    quiet(
        &with_jiangsu_name("王芳评论的博客"),
        RuleId::WebsiteNameProvinceProhibited,
    );
    quiet(
        &with_person_name("李明的摄影笔记"),
        RuleId::WebsiteNameProvinceProhibited,
    );
}

#[test]
fn website_name_jiangsu_format() {
    fires(
        &with_jiangsu_name("王芳的读书笔记"),
        RuleId::WebsiteNameJiangsuFormat,
        "websites[0].name",
    );
    fires(
        &with_jiangsu_name("的博客"),
        RuleId::WebsiteNameJiangsuFormat,
        "websites[0].name",
    );
    quiet(
        &with_jiangsu_name("王芳的博客"),
        RuleId::WebsiteNameJiangsuFormat,
    );
    // Outside Jiangsu the form is not required.
    quiet(
        &with_person_name("李明的读书笔记"),
        RuleId::WebsiteNameJiangsuFormat,
    );
}

#[test]
fn website_name_place_name() {
    for place in ["杭州市", "杭州", "浙江省", "内蒙古自治区", "北京"] {
        fires(
            &with_person_name(place),
            RuleId::WebsiteNamePlaceName,
            "websites[0].name",
        );
    }
    quiet(
        &with_person_name("杭州旅行笔记"),
        RuleId::WebsiteNamePlaceName,
    );
}

#[test]
fn website_name_blacklisted() {
    let mut v = org();
    set(
        &mut v,
        "/context/blacklist",
        json!({"credentials": [], "website_names": ["云帆科技官网"]}),
    );
    fires(&v, RuleId::WebsiteNameBlacklisted, "websites[0].name");
    set(
        &mut v,
        "/context/blacklist/website_names/0",
        json!("云帆科技"),
    );
    quiet(&v, RuleId::WebsiteNameBlacklisted);
}

#[test]
fn website_remark_required() {
    let mut v = jiangsu();
    remove(&mut v, "/application/websites/0/remark");
    fires(&v, RuleId::WebsiteRemarkRequired, "websites[0].remark");
    quiet(&person(), RuleId::WebsiteRemarkRequired);
}

// ---------------------------------------------------------------------------------------------
// Domains

#[test]
fn domain_count_exceeded() {
    let mut v = org();
    let many: Vec<String> = (0..11).map(|i| format!("yunfan{i}.cn")).collect();
    set(&mut v, "/application/websites/1/domains", json!(many));
    fires(&v, RuleId::DomainCountExceeded, "websites[1].domains");
    // Guangxi and Chongqing allow one.
    let mut v = org();
    set(&mut v, "/application/region/province", json!("45"));
    fires(&v, RuleId::DomainCountExceeded, "websites[0].domains");
    quiet(&org(), RuleId::DomainCountExceeded);
}

#[test]
fn domain_invalid() {
    for bad in [
        "yun_fan.cn",
        "-yunfan.cn",
        "yunfan",
        "com.cn",
        "yunfan..cn",
        "政务.cn",
    ] {
        let mut v = org();
        set(&mut v, "/application/websites/1/domains/0", json!(bad));
        fires(&v, RuleId::DomainInvalid, "websites[1].domains[0]");
    }
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/domains/0",
        json!("YunFan-Docs.COM."),
    );
    quiet(&v, RuleId::DomainInvalid);
}

#[test]
fn domain_is_ip() {
    for ip in ["121.40.1.1", "[2001:db8::1]", "2001:db8::1"] {
        let mut v = org();
        set(&mut v, "/application/websites/1/domains/0", json!(ip));
        fires(&v, RuleId::DomainIsIp, "websites[1].domains[0]");
    }
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/domains/0",
        json!("121-40-1-1.cn"),
    );
    quiet(&v, RuleId::DomainIsIp);
}

#[test]
fn domain_not_registrable() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/domains/0",
        json!("www.yunfan-docs.com"),
    );
    let r = fires(&v, RuleId::DomainNotRegistrable, "websites[1].domains[0]");
    assert!(
        r.of(RuleId::DomainNotRegistrable)
            .next()
            .unwrap()
            .fix_en
            .contains("yunfan-docs.com")
    );
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/domains/0",
        json!("yunfan.gov.cn"),
    );
    quiet(&v, RuleId::DomainNotRegistrable);
}

#[test]
fn domain_tld_not_approved() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/domains/0",
        json!("yunfan.io"),
    );
    fires(&v, RuleId::DomainTldNotApproved, "websites[1].domains[0]");
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/domains/0",
        json!("云帆.公司"),
    );
    quiet(&v, RuleId::DomainTldNotApproved);
}

#[test]
fn domain_duplicate() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/domains/0",
        json!("YUNFAN.cn"),
    );
    fires(&v, RuleId::DomainDuplicate, "websites[1].domains[0]");
    let mut v = org();
    set(
        &mut v,
        "/application/websites/0/domains/1",
        json!("xn--sjq7ql73ae9f.xn--fiqs8s"),
    );
    let domain = beian_rules::beian_domain::to_ascii("云帆科技.中国").unwrap();
    if domain == "xn--sjq7ql73ae9f.xn--fiqs8s" {
        quiet(&v, RuleId::DomainDuplicate);
    }
    quiet(&org(), RuleId::DomainDuplicate);
}

#[test]
fn domain_no_record() {
    let mut v = org();
    set(&mut v, "/context/domains/2/domain", json!("elsewhere.cn"));
    fires(&v, RuleId::DomainNoRecord, "websites[1].domains[0]");
    // Context absent: the check is skipped, never guessed.
    let mut v = org();
    remove(&mut v, "/context/domains");
    quiet(&v, RuleId::DomainNoRecord);
}

#[test]
fn domain_registrar_not_approved() {
    let mut v = org();
    set(
        &mut v,
        "/context/domains/0/registrar_approved",
        json!(false),
    );
    fires(
        &v,
        RuleId::DomainRegistrarNotApproved,
        "websites[0].domains[0]",
    );
    quiet(&org(), RuleId::DomainRegistrarNotApproved);
}

#[test]
fn domain_expired() {
    let mut v = org();
    set(&mut v, "/context/domains/0/expires", json!("2026-11-21"));
    fires(&v, RuleId::DomainExpired, "websites[0].domains[0]");
    set(&mut v, "/context/domains/0/expires", json!("2026-11-22"));
    quiet(&v, RuleId::DomainExpired);
}

#[test]
fn domain_not_real_name() {
    let mut v = org();
    set(
        &mut v,
        "/context/domains/1/real_name_verified",
        json!(false),
    );
    fires(&v, RuleId::DomainNotRealName, "websites[0].domains[1]");
    quiet(&org(), RuleId::DomainNotRealName);
}

#[test]
fn domain_real_name_pending() {
    for date in ["2026-11-18", "2026-11-22", "2026-12-01"] {
        let mut v = org();
        set(&mut v, "/context/domains/0/real_name_date", json!(date));
        fires(&v, RuleId::DomainRealNamePending, "websites[0].domains[0]");
    }
    let mut v = org();
    set(
        &mut v,
        "/context/domains/0/real_name_date",
        json!("2026-11-17"),
    );
    quiet(&v, RuleId::DomainRealNamePending);
}

#[test]
fn domain_owner_mismatch() {
    let mut v = org();
    set(
        &mut v,
        "/context/domains/0/registrant",
        json!({"name": "别人", "credential": {"type": "resident_id", "number": "330106199001010026"}}),
    );
    fires(&v, RuleId::DomainOwnerMismatch, "websites[0].domains[0]");
    // An individual's domain must be the person's own; the organisation's administrator is fine.
    let v = org(); // yunfan-docs.com is held by the administrator 张伟
    quiet(&v, RuleId::DomainOwnerMismatch);
    let mut v = person();
    set(
        &mut v,
        "/context/domains/0/registrant/credential/number",
        json!("330106199001010026"),
    );
    fires(&v, RuleId::DomainOwnerMismatch, "websites[0].domains[0]");
}

#[test]
fn domain_already_filed_by_other() {
    let mut v = org();
    set(
        &mut v,
        "/context/filings",
        json!([{"subject_name": "别家公司", "credential": {"type": "uscc", "number": uscc("91330106MA2B3C4D6")},
                "mobiles": [], "domains": ["YunFan.cn"], "provider": "this"}]),
    );
    fires(
        &v,
        RuleId::DomainAlreadyFiledByOther,
        "websites[0].domains[0]",
    );
    set(&mut v, "/context/filings/0/domains/0", json!("yunfan.com"));
    quiet(&v, RuleId::DomainAlreadyFiledByOther);
}

#[test]
fn homepage_not_under_domains() {
    for bad in [
        "www.example.com",
        "https://yunfan.cn.evil.com/",
        "notyunfan.cn",
    ] {
        let mut v = org();
        set(&mut v, "/application/websites/0/homepage", json!(bad));
        fires(&v, RuleId::HomepageNotUnderDomains, "websites[0].homepage");
    }
    for good in [
        "yunfan.cn",
        "HTTPS://WWW.YUNFAN.CN:443/index.html",
        "http://www.云帆科技.中国/",
    ] {
        let mut v = org();
        set(&mut v, "/application/websites/0/homepage", json!(good));
        quiet(&v, RuleId::HomepageNotUnderDomains);
    }
}

// ---------------------------------------------------------------------------------------------
// Content and preapprovals

#[test]
fn service_content_invalid() {
    let mut v = person();
    set(
        &mut v,
        "/application/websites/0/service_content",
        json!("单位门户网站"),
    );
    fires(
        &v,
        RuleId::ServiceContentInvalid,
        "websites[0].service_content",
    );
    let mut v = person();
    set(
        &mut v,
        "/application/websites/0/service_content",
        json!("博客/个人空间"),
    );
    fires(
        &v,
        RuleId::ServiceContentInvalid,
        "websites[0].service_content",
    );
    // Chongqing individuals may choose 博客/个人空间.
    set(&mut v, "/application/region/province", json!("50"));
    quiet(&v, RuleId::ServiceContentInvalid);
}

#[test]
fn preapproval_required() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/0/preapprovals",
        json!([{"category": "news", "number": "", "document": "news.png"}]),
    );
    fires(
        &v,
        RuleId::PreapprovalRequired,
        "websites[0].preapprovals[0]",
    );
    // Education is required in Zhejiang.
    set(
        &mut v,
        "/application/websites/0/preapprovals",
        json!([{"category": "education"}]),
    );
    fires(
        &v,
        RuleId::PreapprovalRequired,
        "websites[0].preapprovals[0]",
    );
    set(
        &mut v,
        "/application/websites/0/preapprovals",
        json!([{"category": "news", "number": "浙新审2026001", "document": "news.png"}]),
    );
    quiet(&v, RuleId::PreapprovalRequired);
}

#[test]
fn preapproval_not_required() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/0/preapprovals",
        json!([{"category": "healthcare", "number": "x", "document": "y"}]),
    );
    let r = fires(
        &v,
        RuleId::PreapprovalNotRequired,
        "websites[0].preapprovals[0]",
    );
    assert_eq!(
        severity_of(&r, RuleId::PreapprovalNotRequired),
        Severity::Warning
    );
    set(
        &mut v,
        "/application/websites/0/preapprovals",
        json!([{"category": "bbs"}]),
    );
    fires(
        &v,
        RuleId::PreapprovalNotRequired,
        "websites[0].preapprovals[0]",
    );
    // Healthcare is required in Hebei.
    set(&mut v, "/application/region/province", json!("13"));
    set(
        &mut v,
        "/application/websites/0/preapprovals",
        json!([{"category": "healthcare", "number": "x", "document": "y"}]),
    );
    quiet(&v, RuleId::PreapprovalNotRequired);
}

#[test]
fn personal_prohibited_content() {
    let mut v = person();
    set(
        &mut v,
        "/application/websites/0/preapprovals",
        json!([{"category": "bbs"}]),
    );
    let r = fires(
        &v,
        RuleId::PersonalProhibitedContent,
        "websites[0].preapprovals[0]",
    );
    assert_eq!(r.of(RuleId::PreapprovalNotRequired).count(), 0);
    let mut v = person();
    set(
        &mut v,
        "/application/websites/0/service_content",
        json!("网络论坛"),
    );
    fires(
        &v,
        RuleId::PersonalProhibitedContent,
        "websites[0].service_content",
    );
    quiet(&person(), RuleId::PersonalProhibitedContent);
}

// ---------------------------------------------------------------------------------------------
// Products

#[test]
fn product_invalid() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/service_number",
        json!("SN9999"),
    );
    fires(&v, RuleId::ProductInvalid, "websites[1].service_number");
    let mut v = org();
    set(&mut v, "/context/products/0/kind", json!("oss"));
    fires(&v, RuleId::ProductInvalid, "websites[0].service_number");
    let mut v = org();
    remove(&mut v, "/context/products");
    quiet(&v, RuleId::ProductInvalid);
}

#[test]
fn product_quota_exhausted() {
    // Two websites of one application on one number count together.
    let mut v = org();
    set(&mut v, "/context/products/0/websites_filed", json!(4));
    let r = fires(
        &v,
        RuleId::ProductQuotaExhausted,
        "websites[1].service_number",
    );
    assert_eq!(r.of(RuleId::ProductQuotaExhausted).count(), 1);
    set(&mut v, "/context/products/0/websites_filed", json!(3));
    quiet(&v, RuleId::ProductQuotaExhausted);
}

#[test]
fn product_expired() {
    let mut v = org();
    set(&mut v, "/context/products/0/expires", json!("2026-11-01"));
    let r = fires(&v, RuleId::ProductExpired, "websites[0].service_number");
    assert_eq!(
        r.of(RuleId::ProductNotEligible).count(),
        0,
        "an expired product gets PRODUCT_EXPIRED only"
    );
    quiet(&org(), RuleId::ProductExpired);
}

#[test]
fn product_not_eligible() {
    for (key, value) in [
        ("billing", json!("pay_as_you_go")),
        ("region", json!("hongkong")),
        ("public_bandwidth", json!(false)),
        ("expires", json!("2027-02-21")),
    ] {
        let mut v = org();
        set(&mut v, &format!("/context/products/0/{key}"), value);
        fires(&v, RuleId::ProductNotEligible, "websites[0].service_number");
    }
    // Exactly three months left is enough.
    let mut v = org();
    set(&mut v, "/context/products/0/expires", json!("2027-02-22"));
    quiet(&v, RuleId::ProductNotEligible);
}

// ---------------------------------------------------------------------------------------------
// Orders, blacklist, filing type

#[test]
fn credential_order_in_progress() {
    let mut v = org();
    set(
        &mut v,
        "/context/orders_in_progress",
        json!(["91330106ma2b3c4d5d"]),
    );
    fires(
        &v,
        RuleId::CredentialOrderInProgress,
        "subject.credential.number",
    );
    set(
        &mut v,
        "/context/orders_in_progress",
        json!(["330106198503120036"]),
    );
    quiet(&v, RuleId::CredentialOrderInProgress);
}

#[test]
fn credential_blacklisted() {
    let mut v = org();
    set(
        &mut v,
        "/context/blacklist/credentials",
        json!(["91330106MA2B3C4D5D"]),
    );
    fires(
        &v,
        RuleId::CredentialBlacklisted,
        "subject.credential.number",
    );
    quiet(&org(), RuleId::CredentialBlacklisted);
}

fn own_filing(provider: &str, domains: &[&str]) -> Value {
    json!({"subject_name": "杭州云帆科技有限公司", "credential": {"type": "uscc", "number": "91330106MA2B3C4D5D"},
           "mobiles": ["13906710000"], "domains": domains, "provider": provider})
}

#[test]
fn filing_type_detection_and_mismatch() {
    // Subject filed here: add_website.
    let mut v = org();
    set(
        &mut v,
        "/context/filings",
        json!([own_filing("this", &["yunfan-old.cn"])]),
    );
    let r = fires(&v, RuleId::FilingTypeMismatch, "filing_type");
    assert_eq!(r.filing_type, FilingType::AddWebsite);
    remove(&mut v, "/application/filing_type");
    quiet(&v, RuleId::FilingTypeMismatch);
    // Filed elsewhere only: add_website_elsewhere.
    set(
        &mut v,
        "/context/filings",
        json!([own_filing("other", &["yunfan-old.cn"])]),
    );
    assert_eq!(run(&v).filing_type, FilingType::AddWebsiteElsewhere);
    // A domain of the application on record elsewhere under the same subject: transfer.
    set(
        &mut v,
        "/context/filings",
        json!([own_filing("other", &["yunfan.cn"])]),
    );
    assert_eq!(run(&v).filing_type, FilingType::Transfer);
    set(
        &mut v,
        "/context/filings",
        json!([
            own_filing("other", &["yunfan.cn"]),
            own_filing("this", &["yunfan.cn"])
        ]),
    );
    assert_eq!(run(&v).filing_type, FilingType::AddWebsite);
    // Another subject's filing does not change the type.
    let mut other = own_filing("this", &["unrelated.cn"]);
    other["credential"]["number"] = json!(uscc("91330106MA2B3C4D6"));
    set(&mut v, "/context/filings", json!([other]));
    assert_eq!(run(&v).filing_type, FilingType::Initial);
    // Changes and cancellations are taken when the subject is filed here.
    let mut v = org();
    set(&mut v, "/application/filing_type", json!("cancel_website"));
    set(
        &mut v,
        "/context/filings",
        json!([own_filing("this", &["yunfan.cn"])]),
    );
    assert_eq!(run(&v).filing_type, FilingType::CancelWebsite);
    quiet(&v, RuleId::FilingTypeMismatch);
    set(&mut v, "/context/filings", json!([]));
    fires(&v, RuleId::FilingTypeMismatch, "filing_type");
}

#[test]
fn multiple_websites_not_allowed() {
    let mut v = org();
    remove(&mut v, "/application/filing_type");
    set(
        &mut v,
        "/context/filings",
        json!([own_filing("other", &["yunfan-old.cn"])]),
    );
    fires(&v, RuleId::MultipleWebsitesNotAllowed, "websites");
    let arr = v
        .pointer_mut("/application/websites")
        .unwrap()
        .as_array_mut()
        .unwrap();
    arr.pop();
    quiet(&v, RuleId::MultipleWebsitesNotAllowed);
}

// ---------------------------------------------------------------------------------------------
// Documents

#[test]
fn document_format_and_size() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let html = b"<!doctype html><html>";
    assert!(document_findings(0, "a.png", 1000, png).is_empty());
    let f = document_findings(0, "a.png", 1000, html);
    assert_eq!(f[0].rule, RuleId::DocumentFormatUnsupported);
    assert_eq!(f[0].path, "documents[0].file");
    let f = document_findings(2, "big.jpg", 4 * 1024 * 1024 + 1, b"\xFF\xD8\xFF\xE0");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, RuleId::DocumentTooLarge);
    assert!(document_findings(2, "edge.jpg", 4 * 1024 * 1024, b"\xFF\xD8\xFF\xE0").is_empty());
    assert!(document_findings(0, "a.gif", 10, b"GIF89a").is_empty());
}

#[test]
fn documents_required_once_and_by_subject() {
    let r = run(&org());
    let f: Vec<_> = r.of(RuleId::DocumentsRequired).collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].path, "");
    assert!(f[0].message_zh.contains("公章"), "{}", f[0].message_zh);
    // Jiangxi individuals: fingerprint.
    let mut v = person();
    set(&mut v, "/application/region/province", json!("36"));
    let r = run(&v);
    assert!(
        r.of(RuleId::DocumentsRequired)
            .next()
            .unwrap()
            .message_zh
            .contains("手印")
    );
    // An organisation's required preapproval needs its document.
    let mut v = org();
    set(
        &mut v,
        "/application/websites/0/preapprovals",
        json!([{"category": "news", "number": "x", "document": "y"}]),
    );
    assert!(
        run(&v)
            .of(RuleId::DocumentsRequired)
            .next()
            .unwrap()
            .message_zh
            .contains("前置审批文件（新闻）")
    );
    // Even an empty application gets it exactly once.
    let r = run(&json!({"application": {}}));
    assert_eq!(r.of(RuleId::DocumentsRequired).count(), 1);
    // Shanghai verifies the website administrator in its own app instead of the face photo.
    let face = |v: &Value| {
        let m = run(v)
            .of(RuleId::DocumentsRequired)
            .next()
            .unwrap()
            .message_zh
            .clone();
        (m.contains("幕布"), m.contains("管局APP"))
    };
    assert_eq!(face(&person()), (true, false));
    let mut v = person();
    set(&mut v, "/application/region/province", json!("31"));
    assert_eq!(face(&v), (false, true));
}

// ---------------------------------------------------------------------------------------------
// Whole-report properties

#[test]
fn every_rule_has_a_test_here() {
    let source = include_str!("rules.rs");
    let data = beian_rules::ReferenceData::embedded().unwrap();
    for rule in RuleId::ALL {
        let variant = format!("{rule:?}");
        assert!(
            source.contains(&format!("RuleId::{variant}")),
            "no test mentions {rule}"
        );
    }
    assert!(data.provinces().len() == 31);
}

#[test]
fn findings_carry_reasons_and_bilingual_texts() {
    let mut v = org();
    set(
        &mut v,
        "/application/websites/1/domains/0",
        json!("yunfan.io"),
    );
    remove(&mut v, "/context/domains");
    remove(&mut v, "/application/websites/1/homepage");
    let r = run(&v);
    let f = r.of(RuleId::DomainTldNotApproved).next().unwrap();
    assert_eq!(f.rejection_reason, Some(beian_rules::ReasonCode::R01));
    assert!(f.message_zh.contains(".io") && f.message_en.contains(".io"));
    assert!(!f.fix_zh.is_empty() && !f.fix_en.is_empty());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["filing_type"], "initial");
    assert_eq!(json["findings"][0]["rule"], "DOMAIN_TLD_NOT_APPROVED");
    assert_eq!(json["findings"][0]["rejection_reason"], "R01");
}

#[test]
fn empty_application_reports_missing_fields_not_panics() {
    let r = run(&json!({"application": {"subject": {}, "websites": [{}]}}));
    assert!(r.summary.errors > 5);
    assert!(r.findings.iter().all(|f| !f.message_zh.contains('{')));
}

#[test]
fn detection_refusals() {
    use beian_rules::Refusal;
    let doc = |v: &Value| parse_document(&v.to_string()).unwrap();
    let d = doc(&org());
    assert_eq!(
        beian_rules::detect(&d.application, &d.context),
        (FilingType::Initial, vec![])
    );
    let mut v = org();
    set(
        &mut v,
        "/context/blacklist/credentials",
        json!(["91330106MA2B3C4D5D"]),
    );
    set(
        &mut v,
        "/context/orders_in_progress",
        json!(["91330106MA2B3C4D5D"]),
    );
    set(
        &mut v,
        "/application/websites/1/domains",
        json!(["1.2.3.4", "yunfan.io"]),
    );
    let mut other = own_filing("this", &["yunfan.cn"]);
    other["credential"]["number"] = json!(uscc("91330106MA2B3C4D6"));
    set(&mut v, "/context/filings", json!([other]));
    let d = doc(&v);
    let (_, refusals) = beian_rules::detect(&d.application, &d.context);
    assert_eq!(
        refusals,
        vec![
            Refusal::CredentialBlacklisted,
            Refusal::OrderInProgress,
            Refusal::DomainFiledByOtherSubject,
            Refusal::DomainIsIp,
            Refusal::TldNotApproved
        ]
    );
}

/// The shipped JSON Schema names exactly the enumeration values the parser accepts.
#[test]
fn schema_enumerations_match_the_parser() {
    use beian_rules::model::{CredentialType, Nature, PreapprovalCategory};
    let path = format!(
        "{}/../../schema/check-input.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let enum_at = |pointer: &str| -> Vec<String> {
        let node = schema
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no {pointer}"));
        let values = node
            .get("enum")
            .or_else(|| node.pointer("/anyOf/0/enum"))
            .unwrap();
        values
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let names = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        enum_at("/properties/application/properties/subject/properties/nature"),
        names(&Nature::ALL.iter().map(|n| n.as_str()).collect::<Vec<_>>())
    );
    assert_eq!(
        enum_at("/$defs/credential/properties/type"),
        names(
            &CredentialType::ALL
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(
        enum_at(
            "/properties/application/properties/websites/items/properties/preapprovals/items/properties/category"
        ),
        names(
            &PreapprovalCategory::ALL
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(
        enum_at("/properties/application/properties/filing_type"),
        names(
            &FilingType::ALL
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
        )
    );
}
