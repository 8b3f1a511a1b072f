//! Enumerations of the filing domain shared by the input, the rules and the reports.
//! Their snake_case names are stable API (JSON input and output).

use serde::{Deserialize, Serialize};

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $variant),+
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable snake_case name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            /// Parse the stable name.
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "enum": [$($s),+]})
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// Subject nature (主体性质), SPEC §6.1.
    Nature {
        Government = "government",
        PublicInstitution = "public_institution",
        Enterprise = "enterprise",
        SocialGroup = "social_group",
        PrivateNonEnterprise = "private_non_enterprise",
        Foundation = "foundation",
        LawFirm = "law_firm",
        ForeignCulturalCenter = "foreign_cultural_center",
        MassOrganization = "mass_organization",
        JudicialExpertise = "judicial_expertise",
        Religious = "religious",
        Overseas = "overseas",
        Medical = "medical",
        Notary = "notary",
        Military = "military",
        Individual = "individual",
    }
}

impl Nature {
    pub fn is_individual(self) -> bool {
        self == Nature::Individual
    }
}

named_enum! {
    /// Credential type (证件类型), SPEC §6.1.
    CredentialType {
        Uscc = "uscc",
        OrgCode = "org_code",
        MilitaryCode = "military_code",
        OverseasDocument = "overseas_document",
        ResidentId = "resident_id",
        HkMacaoPermit = "hk_macao_permit",
        TaiwanPermit = "taiwan_permit",
        HkMacaoResidence = "hk_macao_residence",
        TaiwanResidence = "taiwan_residence",
        Passport = "passport",
        ForeignPermanentResidence = "foreign_permanent_residence",
        MilitaryId = "military_id",
    }
}

named_enum! {
    /// Preapproval category (前置审批类别), SPEC §7.1.
    PreapprovalCategory {
        News = "news",
        Publication = "publication",
        Medicine = "medicine",
        Culture = "culture",
        Broadcast = "broadcast",
        Education = "education",
        Healthcare = "healthcare",
        CarBooking = "car_booking",
        Bbs = "bbs",
    }
}

impl PreapprovalCategory {
    pub fn name_zh(self) -> &'static str {
        match self {
            PreapprovalCategory::News => "新闻",
            PreapprovalCategory::Publication => "出版",
            PreapprovalCategory::Medicine => "药品和医疗器械",
            PreapprovalCategory::Culture => "文化",
            PreapprovalCategory::Broadcast => "广播电影电视节目",
            PreapprovalCategory::Education => "教育",
            PreapprovalCategory::Healthcare => "医疗保健",
            PreapprovalCategory::CarBooking => "网络预约车",
            PreapprovalCategory::Bbs => "电子公告服务",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            PreapprovalCategory::News => "news",
            PreapprovalCategory::Publication => "publication",
            PreapprovalCategory::Medicine => "medicine and medical devices",
            PreapprovalCategory::Culture => "culture",
            PreapprovalCategory::Broadcast => "broadcast, film and TV",
            PreapprovalCategory::Education => "education",
            PreapprovalCategory::Healthcare => "healthcare",
            PreapprovalCategory::CarBooking => "online car booking",
            PreapprovalCategory::Bbs => "bulletin board (BBS)",
        }
    }
}

named_enum! {
    /// Filing type (备案类型), SPEC §4. Detected, not chosen.
    FilingType {
        Initial = "initial",
        AddWebsite = "add_website",
        AddWebsiteElsewhere = "add_website_elsewhere",
        Transfer = "transfer",
        ChangeSubject = "change_subject",
        ChangeWebsite = "change_website",
        ChangeAccess = "change_access",
        CancelSubject = "cancel_subject",
        CancelWebsite = "cancel_website",
        CancelAccess = "cancel_access",
    }
}

impl FilingType {
    pub fn is_change(self) -> bool {
        matches!(
            self,
            FilingType::ChangeSubject | FilingType::ChangeWebsite | FilingType::ChangeAccess
        )
    }
    pub fn is_cancellation(self) -> bool {
        matches!(
            self,
            FilingType::CancelSubject | FilingType::CancelWebsite | FilingType::CancelAccess
        )
    }
    /// Types that file new websites and so need domain verification and a product.
    pub fn files_websites(self) -> bool {
        matches!(
            self,
            FilingType::Initial
                | FilingType::AddWebsite
                | FilingType::AddWebsiteElsewhere
                | FilingType::Transfer
        )
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            FilingType::Initial => "首次备案",
            FilingType::AddWebsite => "新增网站",
            FilingType::AddWebsiteElsewhere => "新增网站（主体在其他接入商）",
            FilingType::Transfer => "接入备案",
            FilingType::ChangeSubject => "变更主体",
            FilingType::ChangeWebsite => "变更网站",
            FilingType::ChangeAccess => "变更接入",
            FilingType::CancelSubject => "注销主体",
            FilingType::CancelWebsite => "注销网站",
            FilingType::CancelAccess => "取消接入",
        }
    }
}

named_enum! {
    /// Product billing method.
    Billing {
        Subscription = "subscription",
        PayAsYouGo = "pay_as_you_go",
    }
}

named_enum! {
    /// Which provider a filing is accessed with.
    Provider {
        This = "this",
        Other = "other",
    }
}

named_enum! {
    /// Severity of a finding: `error` blocks submission, `warning` is a likely rejection, `info` tells.
    Severity {
        Error = "error",
        Warning = "warning",
        Info = "info",
    }
}

named_enum! {
    /// Rejection reason (驳回原因), SPEC §8: R01–R10 the administration's, P01–P04 the provider's.
    ReasonCode {
        R01 = "R01", R02 = "R02", R03 = "R03", R04 = "R04", R05 = "R05",
        R06 = "R06", R07 = "R07", R08 = "R08", R09 = "R09", R10 = "R10",
        P01 = "P01", P02 = "P02", P03 = "P03", P04 = "P04",
    }
}

/// Organisation or individual: most rules branch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Organisation,
    Individual,
}
