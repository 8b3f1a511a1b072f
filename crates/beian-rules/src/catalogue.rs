//! The rule catalogue (规则目录): every rule of SPEC §7 with its stable ID, default severity,
//! rejection reason and message templates in Chinese and English. Templates take positional
//! arguments `{0}`, `{1}`, `{2}` filled by the rule that fires. Rule IDs are stable API.

use serde::{Serialize, Serializer};

use crate::model::{ReasonCode, Severity};

macro_rules! catalogue {
    ($($variant:ident = $id:literal, $sev:ident, $reason:expr,
        $msg_zh:literal, $msg_en:literal, $fix_zh:literal, $fix_en:literal;)+) => {
        /// A rule's stable identifier.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId { $($variant),+ }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$variant => $id),+ }
            }

            pub fn parse(s: &str) -> Option<RuleId> {
                match s { $($id => Some(RuleId::$variant),)+ _ => None }
            }

            /// The severity in the catalogue (a rule may lower it for individuals; see the engine).
            pub fn default_severity(self) -> Severity {
                match self { $(RuleId::$variant => Severity::$sev),+ }
            }

            /// The rejection reason of SPEC §8 this rule anticipates.
            pub fn rejection_reason(self) -> Option<ReasonCode> {
                match self { $(RuleId::$variant => $reason),+ }
            }

            /// `(message_zh, message_en, fix_zh, fix_en)` templates.
            pub fn templates(self) -> [&'static str; 4] {
                match self { $(RuleId::$variant => [$msg_zh, $msg_en, $fix_zh, $fix_en]),+ }
            }
        }

        impl schemars::JsonSchema for RuleId {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "RuleId".into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "enum": [$($id),+]})
            }
        }
    };
}

use ReasonCode::*;

catalogue! {
    InputMissingField = "INPUT_MISSING_FIELD", Error, None,
        "缺少必填项：{0}。", "Required field missing: the {1}.",
        "请填写{0}。", "Fill in the {1}.";
    RegionUnknownProvince = "REGION_UNKNOWN_PROVINCE", Error, None,
        "备案省份“{0}”不是中国大陆 31 个省级行政区之一。", "Filing province {0:?} is not one of the 31 mainland provinces.",
        "填写省份的两位行政区划代码，例如浙江为 \"33\"（港澳台不能备案）。", "Give the province's two-digit division code, e.g. \"33\" for Zhejiang (Hong Kong, Macao and Taiwan cannot file).";
    SubjectNatureCredentialMismatch = "SUBJECT_NATURE_CREDENTIAL_MISMATCH", Error, Some(R10),
        "主体性质“{0}”不能使用证件类型“{1}”。", "A subject of nature {2} cannot file with a credential of type {3}.",
        "选择与主体性质相符的证件类型：{4}。", "Choose a credential type allowed for this nature: {5}.";
    CredentialFormatInvalid = "CREDENTIAL_FORMAT_INVALID", Error, Some(R10),
        "{0}号码格式不正确：{1}。", "The {2} number is malformed: {3}.",
        "按证件上印的号码重新填写。", "Re-enter the number exactly as printed on the credential.";
    CredentialChecksumInvalid = "CREDENTIAL_CHECKSUM_INVALID", Error, Some(R10),
        "{0}号码的校验位不正确，号码中有输入错误。", "The check character of the {1} number is wrong: the number contains a typo.",
        "逐位核对证件号码后重新填写。", "Check the number digit by digit against the credential and re-enter it.";
    CredentialRegionInvalid = "CREDENTIAL_REGION_INVALID", Error, Some(R10),
        "身份证号码前六位 {0} 不是有效的行政区划代码。", "The first six digits {0} of the ID number are not a known division code.",
        "核对身份证号码前六位。", "Check the first six digits of the ID number.";
    CredentialBirthdateInvalid = "CREDENTIAL_BIRTHDATE_INVALID", Error, Some(R10),
        "证件号码中的出生日期 {0} 不可能（不是日历日期、早于 1900 年或晚于今天）。", "The birth date {0} in the number is impossible (not a calendar date, before 1900 or after today).",
        "核对证件号码第 7–14 位（出生日期）。", "Check characters 7–14 (the birth date) of the number.";
    SubjectForeignDocument = "SUBJECT_FOREIGN_DOCUMENT", Error, Some(R05),
        "不接受中国大陆以外签发的证件。", "Documents issued outside mainland China are not accepted.",
        "使用中国大陆签发的证件（如营业执照的统一社会信用代码）备案。", "File with a credential issued in mainland China (e.g. the unified social credit code of a business licence).";
    SubjectCrossProvince = "SUBJECT_CROSS_PROVINCE", Error, Some(R03),
        "证件签发地（{0}）与备案省份（{1}）不一致，属于跨省备案。", "The credential was issued in {2}, not in the filing province {3}: a cross-province filing.",
        "{4}", "{5}";
    SubjectAdminNotSelf = "SUBJECT_ADMIN_NOT_SELF", Error, Some(R10),
        "个人备案的主体负责人必须是本人（姓名和证件与主体一致）。", "For an individual, the subject administrator must be the person themself (same name and credential).",
        "将主体负责人的姓名和证件改为与主体一致。", "Make the administrator's name and credential the subject's own.";
    SubjectAdminNotLegalRep = "SUBJECT_ADMIN_NOT_LEGAL_REP", Warning, Some(R06),
        "主体负责人“{0}”不是法定代表人“{1}”，部分管局会驳回。", "The subject administrator {0} is not the legal representative {1}; some administrations reject this.",
        "将法定代表人填为主体负责人，或准备法定代表人签署的授权书。", "Make the legal representative the subject administrator, or prepare an authorisation letter signed by them.";
    InvestorMissing = "INVESTOR_MISSING", Error, None,
        "{0}", "{1}",
        "{2}", "{3}";
    AddressNotDetailed = "ADDRESS_NOT_DETAILED", Warning, None,
        "通信地址没有详细到门牌号（未包含 室、房、户、单元、栋、幢、座、层、楼 等）。", "The contact address is not detailed to the room (it has none of 室 房 户 单元 栋 幢 座 层 楼).",
        "补充到最小单位（如“5幢301室”），或在地址备注中说明“此地址已详细到最小单位”。", "Add the smallest unit (e.g. 5幢301室), or explain in the address remark: 此地址已详细到最小单位 (this address is as detailed as possible).";
    AddressRegionMismatch = "ADDRESS_REGION_MISMATCH", Warning, Some(R03),
        "通信地址中没有备案省份“{0}”或城市“{1}”。", "The contact address names neither the filing province {0} nor the city {1}.",
        "填写备案地区内的完整通信地址（含省、市）。", "Give a full contact address in the filing region, with province and city.";
    PhoneFormatInvalid = "PHONE_FORMAT_INVALID", Error, Some(R07),
        "办公电话“{0}”格式不正确。", "Office phone {0:?} is malformed.",
        "按“086-区号-号码”填写，例如 086-0571-88888888，不带分机号。", "Use 086-<area code>-<number>, e.g. 086-0571-88888888, without an extension.";
    PhoneAreaMismatch = "PHONE_AREA_MISMATCH", Error, Some(R07),
        "办公电话区号 {0} 不属于备案地区（{1}，区号 {2}）。", "Area code {0} is not the filing region's ({1}, area code {2}).",
        "填写备案地区的固定电话（个人可填家庭电话）。", "Give a fixed-line number of the filing region (individuals may give a home number).";
    MobileFormatInvalid = "MOBILE_FORMAT_INVALID", Error, Some(R07),
        "手机号码“{0}”格式不正确。", "Mobile number {0:?} is malformed.",
        "填写以 13–19 开头的 11 位中国大陆手机号码。", "Give an 11-digit mainland mobile number starting 13–19.";
    MobileOutOfRegion = "MOBILE_OUT_OF_REGION", Warning, Some(R07),
        "手机号码归属地为{0}，不在备案省份{1}，部分管局会驳回。", "The mobile number is registered in {2}, not in the filing province {3}; some administrations reject this.",
        "尽量使用备案省份的手机号码。", "Prefer a mobile number registered in the filing province.";
    MobileVirtualOperator = "MOBILE_VIRTUAL_OPERATOR", Warning, Some(R07),
        "手机号码属于虚拟运营商号段（{0}），部分管局不接受。", "The mobile number is in a virtual-operator segment ({0}); some administrations do not accept it.",
        "使用三大运营商的手机号码。", "Use a number of one of the three main carriers.";
    MobileUsedByOtherSubject = "MOBILE_USED_BY_OTHER_SUBJECT", Error, Some(R09),
        "手机号码 {0} 已被其他备案主体使用。", "Mobile number {0} is already on record for another subject.",
        "更换一个未被其他主体使用的手机号码。", "Use a mobile number no other subject has filed with.";
    EmailInvalid = "EMAIL_INVALID", Error, None,
        "电子邮箱“{0}”不是有效地址。", "E-mail address {0:?} is not valid.",
        "填写可以正常收信的邮箱，例如 name@example.cn。", "Give a working address such as name@example.cn.";
    AdminCredentialTypeInvalid = "ADMIN_CREDENTIAL_TYPE_INVALID", Error, Some(R10),
        "负责人不能使用证件类型“{0}”。", "An administrator cannot use a credential of type {1}.",
        "负责人可用：身份证、台胞证、港澳通行证、居住证、护照、军官证。", "Administrators may use: resident ID, Taiwan or Hong Kong/Macao permit, residence permit, passport, military ID.";
    WebsiteAdminNotLegalRep = "WEBSITE_ADMIN_NOT_LEGAL_REP", Info, Some(R06),
        "网站负责人“{0}”不是法定代表人“{1}”：部分省份需要法定代表人授权书。", "Website administrator {0} is not the legal representative {1}: some provinces need an authorisation letter.",
        "准备法定代表人签署的授权书，与网站负责人证件放在同一张图片中上传。", "Prepare an authorisation letter signed by the legal representative and upload it in the same image as the administrator's credential.";
    WebsiteNameTooFewHanzi = "WEBSITE_NAME_TOO_FEW_HANZI", Error, Some(R02),
        "网站名称“{0}”只有 {1} 个汉字，至少需要 3 个。", "Website name {0:?} has {1} Chinese characters; at least 3 are needed.",
        "使用至少 3 个汉字、能反映网站内容的名称。", "Use a name of at least three Chinese characters that reflects the content.";
    WebsiteNameOnlyAlnum = "WEBSITE_NAME_ONLY_ALNUM", Error, Some(R02),
        "网站名称“{0}”只由字母和数字组成。", "Website name {0:?} consists only of letters and digits.",
        "使用中文网站名称。", "Use a Chinese website name.";
    WebsiteNameSpecialChar = "WEBSITE_NAME_SPECIAL_CHAR", Error, Some(R02),
        "网站名称含有特殊字符“{0}”（空格、标点和全角字符都算）。", "The website name contains the special character {0:?} (spaces, punctuation and full-width forms count).",
        "只使用汉字、英文字母和数字。", "Use only Chinese characters, ASCII letters and digits.";
    WebsiteNameRestrictedPrefix = "WEBSITE_NAME_RESTRICTED_PREFIX", Error, Some(R02),
        "非国家机关的网站名称不能以“{0}”开头。", "Only state organisations may start a website name with {0}.",
        "去掉名称开头的“{0}”。", "Remove {0} from the start of the name.";
    WebsiteNameIsDomain = "WEBSITE_NAME_IS_DOMAIN", Error, Some(R02),
        "网站名称不能是域名“{0}”。", "The website name cannot be the domain {0}.",
        "使用能反映网站内容的中文名称。", "Use a Chinese name that reflects the content.";
    WebsiteNameSensitiveWord = "WEBSITE_NAME_SENSITIVE_WORD", Error, Some(R02),
        "网站名称含有敏感词“{0}”。", "The website name contains the sensitive word {0}.",
        "去掉敏感词。", "Remove the sensitive word.";
    WebsiteNamePersonalSuffix = "WEBSITE_NAME_PERSONAL_SUFFIX", Error, Some(R02),
        "个人网站名称不能以“{0}”结尾。", "A personal website name cannot end with {0}.",
        "去掉结尾的“{0}”，使用反映个人内容的名称。", "Remove the ending {0} and use a name that reflects personal content.";
    WebsiteNameNeedsPreapproval = "WEBSITE_NAME_NEEDS_PREAPPROVAL", Error, Some(R04),
        "个人网站名称含有“{0}”，需要前置审批。", "A personal website name containing {0} needs a preapproval.",
        "去掉“{0}”，或以单位主体备案并提供前置审批。", "Remove {0}, or file as an organisation with the preapproval.";
    WebsiteNameProvinceProhibited = "WEBSITE_NAME_PROVINCE_PROHIBITED", Error, Some(R02),
        "{0}管局不允许个人网站名称含有“{1}”。", "The {2} administration does not allow {1} in personal website names.",
        "去掉“{1}”等行业、商业词汇。", "Remove {1} and other industry or commercial terms.";
    WebsiteNameJiangsuFormat = "WEBSITE_NAME_JIANGSU_FORMAT", Error, Some(R02),
        "江苏个人网站名称必须为“XX的博客”或“XX的个人主页”。", "In Jiangsu a personal website name must be “XX的博客” or “XX的个人主页”.",
        "例如“{0}的博客”。", "For example “{0}的博客”.";
    WebsiteNamePlaceName = "WEBSITE_NAME_PLACE_NAME", Warning, Some(R02),
        "个人网站名称不能是地名“{0}”。", "A personal website name cannot be the place name {0}.",
        "使用能反映个人网站内容的名称。", "Use a name that reflects the personal content.";
    WebsiteNameBlacklisted = "WEBSITE_NAME_BLACKLISTED", Error, None,
        "网站名称“{0}”已被列入黑名单，不能备案。", "Website name {0:?} is blacklisted and can never be filed.",
        "使用其他网站名称。", "Use another website name.";
    WebsiteRemarkRequired = "WEBSITE_REMARK_REQUIRED", Error, None,
        "{0}个人网站必须在备注中说明网站的主要内容。", "In {1} a personal website's remark must describe its main content.",
        "在网站备注中描述网站内容。", "Describe the website's content in the remark.";
    DomainCountExceeded = "DOMAIN_COUNT_EXCEEDED", Error, None,
        "该网站填写了 {0} 个域名，{1}每个网站最多 {2} 个。", "The website has {0} domains; {3} allows at most {2} per website.",
        "减少域名，或为其余域名另建网站。", "Remove domains, or file the others as separate websites.";
    DomainInvalid = "DOMAIN_INVALID", Error, None,
        "“{0}”不是有效的域名：{1}。", "{0:?} is not a valid domain name: {2}.",
        "填写已注册的主域名，例如 example.cn。", "Give the registered domain, e.g. example.cn.";
    DomainIsIp = "DOMAIN_IS_IP", Error, None,
        "“{0}”是 IP 地址，不支持 IP 备案。", "{0:?} is an IP address: IP filing is not supported.",
        "填写域名。", "Give a domain name.";
    DomainNotRegistrable = "DOMAIN_NOT_REGISTRABLE", Error, None,
        "“{0}”是子域名，备案只需填写主域名 {1}。", "{0:?} is a subdomain: file the registrable domain {1}; its subdomains need no filing.",
        "改为 {1}。", "Enter {1} instead.";
    DomainTldNotApproved = "DOMAIN_TLD_NOT_APPROVED", Error, Some(R01),
        "域名后缀 .{0} 未获工信部批准，不能备案。", "The TLD .{0} is not approved by MIIT and cannot be filed.",
        "使用工信部批准的后缀（如 .cn .com .中国）注册的域名。", "Use a domain under an MIIT-approved suffix (such as .cn, .com, .中国).";
    DomainDuplicate = "DOMAIN_DUPLICATE", Error, None,
        "域名 {0} 在本申请中重复出现（也见于 {1}）。", "Domain {0} appears twice in this application (also at {1}).",
        "删除重复的域名。", "Remove the duplicate.";
    DomainNoRecord = "DOMAIN_NO_RECORD", Error, Some(R01),
        "域名 {0} 在域名注册商库中不存在。", "Domain {0} does not exist in the registrar's library.",
        "确认域名已在工信部批准的注册商处注册并可查询。", "Make sure the domain is registered with an MIIT-approved registrar and can be looked up.";
    DomainRegistrarNotApproved = "DOMAIN_REGISTRAR_NOT_APPROVED", Error, Some(R01),
        "域名 {0} 的注册商“{1}”未获工信部批准。", "The registrar {1} of domain {0} is not MIIT-approved.",
        "将域名转入工信部批准的注册商。", "Transfer the domain to an MIIT-approved registrar.";
    DomainExpired = "DOMAIN_EXPIRED", Error, Some(R01),
        "域名 {0} 已于 {1} 过期。", "Domain {0} expired on {1}.",
        "续费域名后再提交。", "Renew the domain, then submit.";
    DomainNotRealName = "DOMAIN_NOT_REAL_NAME", Error, Some(R01),
        "域名 {0} 未完成实名认证。", "Domain {0} has not passed real-name verification.",
        "在注册商处完成域名实名认证（持有者与备案主体一致）。", "Complete real-name verification at the registrar, with the filing subject as holder.";
    DomainRealNamePending = "DOMAIN_REAL_NAME_PENDING", Warning, Some(R01),
        "域名 {0} 于 {1} 完成实名认证，不足 5 天，工信部可能尚未同步。", "Domain {0} passed real-name verification on {1}, less than 5 days ago: MIIT may not have it yet.",
        "实名认证满 5 天后再提交。", "Submit five days after the verification.";
    DomainOwnerMismatch = "DOMAIN_OWNER_MISMATCH", Error, Some(R01),
        "域名 {0} 的持有者“{1}”与{2}不一致。", "The holder {1} of domain {0} is not {3}.",
        "将域名持有者过户为备案主体，或使用主体名下的域名。", "Transfer the domain's registration to the filing subject, or use a domain the subject holds.";
    DomainAlreadyFiledByOther = "DOMAIN_ALREADY_FILED_BY_OTHER", Error, None,
        "域名 {0} 已在其他主体（{1}）下备案：该域名的主体信息已存在。", "Domain {0} is on record under another subject ({1}): subject information for this domain already exists.",
        "从该主体账号办理接入或变更，或由原主体线下注销其备案。", "Transfer it from that subject's account, or have the other subject cancel its filing.";
    HomepageNotUnderDomains = "HOMEPAGE_NOT_UNDER_DOMAINS", Error, None,
        "首页地址“{0}”不在本网站的域名下。", "Homepage {0:?} is not under the website's domains.",
        "首页地址应为本网站某个域名或其子域名，例如 {1}。", "The homepage must be one of the website's domains or a subdomain, e.g. {1}.";
    ServiceContentInvalid = "SERVICE_CONTENT_INVALID", Error, None,
        "服务内容“{0}”不是可选项。", "Service content {0:?} is not an option here.",
        "从以下选项中选择：{1}。", "Choose one of: {1}.";
    PreapprovalRequired = "PREAPPROVAL_REQUIRED", Error, Some(R04),
        "“{0}”类内容在{1}需要前置审批，缺少审批号或审批文件。", "{2} content needs a preapproval in {3}: the number or document is missing.",
        "填写前置审批号并上传审批文件。", "Enter the preapproval number and upload the document.";
    PreapprovalNotRequired = "PREAPPROVAL_NOT_REQUIRED", Warning, None,
        "“{0}”类前置审批在{1}已取消，无需填写。", "{2} preapproval is abolished in {3}: no entry is needed.",
        "删除此前置审批项。", "Remove this preapproval entry.";
    PersonalProhibitedContent = "PERSONAL_PROHIBITED_CONTENT", Error, Some(R04),
        "个人不能开办“{0}”类网站。", "Individuals may not run {1} websites.",
        "以单位主体备案，或去掉相关内容。", "File as an organisation, or remove that content.";
    ProductInvalid = "PRODUCT_INVALID", Error, None,
        "产品信息无效：{0}。", "Invalid product information: {1}.",
        "核对备案服务号，并选择可备案的云服务器产品。", "Check the service number, and choose a server product that can carry a filing.";
    ProductQuotaExhausted = "PRODUCT_QUOTA_EXHAUSTED", Error, None,
        "该产品已提交网站备案申请，备案主体数已达上限（{0} 个，已用 {1} 个）。请更换其他产品。", "A website filing has already been submitted for this product and the number of filings has reached the limit ({0}, {1} used). Switch to another product.",
        "使用另一个实例的备案服务号。", "Use the service number of another instance.";
    ProductExpired = "PRODUCT_EXPIRED", Error, None,
        "产品信息校验失败：实例已于 {0} 到期。", "Product information verification failed: the instance expired on {0}.",
        "续费实例，或使用其他实例的备案服务号。", "Renew the instance, or use another instance's service number.";
    ProductNotEligible = "PRODUCT_NOT_ELIGIBLE", Error, None,
        "该产品不能用于备案：{0}。", "This product cannot carry a filing: {1}.",
        "使用中国大陆地域、包年包月、有公网带宽且剩余时长不少于 3 个月的实例。", "Use a mainland, subscription instance with public bandwidth and at least three months left.";
    CredentialOrderInProgress = "CREDENTIAL_ORDER_IN_PROGRESS", Error, None,
        "该证件已有进行中的备案订单。", "There is an order in progress for this credential.",
        "等待进行中的订单完成，或先撤销它。", "Wait for that order to finish, or withdraw it first.";
    CredentialBlacklisted = "CREDENTIAL_BLACKLISTED", Error, None,
        "该证件号码已被列入黑名单，不能备案。", "This credential number is blacklisted and can never file.",
        "联系接入商了解原因。", "Contact the provider for the reason.";
    FilingTypeMismatch = "FILING_TYPE_MISMATCH", Error, Some(R10),
        "备案类型应为“{0}”，而不是所填的“{1}”。", "The filing type is {2}, not the declared {3}.",
        "改为“{0}”；若类型不对，通常是主体名称或证件号码填错了。", "Use {2}; a wrong type usually means a wrong subject name or credential number.";
    MultipleWebsitesNotAllowed = "MULTIPLE_WEBSITES_NOT_ALLOWED", Error, None,
        "主体在其他接入商备案时，一次只能新增一个网站（本申请有 {0} 个）。", "When the subject is filed with another provider, one website can be added at a time ({0} here).",
        "只保留一个网站；通过后可在本接入商继续新增。", "Keep one website; once approved, add the others here.";
    DocumentFormatUnsupported = "DOCUMENT_FORMAT_UNSUPPORTED", Error, Some(R05),
        "文件“{0}”不是 JPG、PNG 或 GIF 图片（按文件内容判断）。", "File {0:?} is not a JPG, PNG or GIF image (judged by its content).",
        "上传 JPG、PNG 或 GIF 格式的清晰图片。", "Upload a clear JPG, PNG or GIF image.";
    DocumentTooLarge = "DOCUMENT_TOO_LARGE", Error, Some(R05),
        "文件“{0}”大小为 {1} 字节，超过 4 MB。", "File {0:?} is {1} bytes, more than 4 MB.",
        "压缩图片到 4 MB 以内。", "Compress the image to 4 MB or less.";
    DocumentsRequired = "DOCUMENTS_REQUIRED", Info, None,
        "本申请需要的材料：{0}。", "Documents this application will need: {1}.",
        "提前准备清晰的原件照片或扫描件。", "Prepare clear photos or scans of the originals.";
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fill `{n}` (and `{n:?}`, which quotes) with positional arguments.
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let spec = &after[..end];
        let (index, quoted) = match spec.strip_suffix(":?") {
            Some(i) => (i, true),
            None => (spec, false),
        };
        match index.parse::<usize>().ok().and_then(|i| args.get(i)) {
            Some(arg) if quoted => {
                out.push('"');
                out.push_str(arg);
                out.push('"');
            }
            Some(arg) => out.push_str(arg),
            None => {
                out.push('{');
                out.push_str(spec);
                out.push('}');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for r in RuleId::ALL {
            assert!(seen.insert(r.as_str()), "{r}");
            assert_eq!(RuleId::parse(r.as_str()), Some(*r));
            for t in r.templates() {
                assert!(!t.trim().is_empty(), "{r}");
            }
        }
        assert_eq!(RuleId::ALL.len(), 65);
    }

    #[test]
    fn fill_substitutes_and_quotes() {
        assert_eq!(fill("a {0} b {1:?} {2}", &["x", "y"]), "a x b \"y\" {2}");
        assert_eq!(fill("no args", &[]), "no args");
        assert_eq!(fill("open {", &[]), "open {");
    }
}
