//! The order workflow (备案订单流程), SPEC §5, as a pure transition function:
//! `transition(state, facts, role, command, now) -> Result<Transition, Refusal>`.
//!
//! ```text
//! draft ─submit─▶ provider_review ─pass─▶ verification ─complete─▶ ready_for_administration
//!   ▲               │ reject                │ reject                  │ submit_to_administration
//!   ├───────────────┘◀──────────────────────┘                         ▼
//!   │                                   sms_verification (pilot provinces, 24 h) ─timeout/fail─▶ ready…
//!   │◀── reject ── administration_review ◀─ verified ─┘   (other provinces go straight to review)
//!   │                    │ approve
//! withdrawn            approved            expired (45 days after first submission)
//! ```
//!
//! Decisions where the SPEC is silent, kept here so that they are one place:
//! - Verification (face photo, documents, mailed statements) applies to every type that files or
//!   changes websites or the subject; `change_access` and the cancellations skip it.
//! - SMS verification applies to every type in the pilot provinces.
//! - Expiry applies in every state before approval except `administration_review`, where the
//!   administration holds the order and nothing may change.
//! - An order is *in progress* (blocking another for the same credential) from its first
//!   submission until it ends; an unsubmitted draft blocks nothing.
//! - A draft may be deleted by its applicant unless it is a cancellation ([002 §6]: cancellation
//!   orders cannot be deleted); a cancellation may still be withdrawn while withdrawal is allowed.

use beian_rules::model::{FilingType, ReasonCode};

use crate::rejection::{RejectedDocument, RejectedField};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Order states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Draft,
    ProviderReview,
    Verification,
    ReadyForAdministration,
    SmsVerification,
    AdministrationReview,
    Approved,
    Withdrawn,
    Expired,
}

impl OrderState {
    pub const ALL: [OrderState; 9] = [
        OrderState::Draft,
        OrderState::ProviderReview,
        OrderState::Verification,
        OrderState::ReadyForAdministration,
        OrderState::SmsVerification,
        OrderState::AdministrationReview,
        OrderState::Approved,
        OrderState::Withdrawn,
        OrderState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Draft => "draft",
            OrderState::ProviderReview => "provider_review",
            OrderState::Verification => "verification",
            OrderState::ReadyForAdministration => "ready_for_administration",
            OrderState::SmsVerification => "sms_verification",
            OrderState::AdministrationReview => "administration_review",
            OrderState::Approved => "approved",
            OrderState::Withdrawn => "withdrawn",
            OrderState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            OrderState::Draft => "草稿",
            OrderState::ProviderReview => "接入商初审",
            OrderState::Verification => "核验中",
            OrderState::ReadyForAdministration => "待提交管局",
            OrderState::SmsVerification => "短信核验",
            OrderState::AdministrationReview => "管局审核",
            OrderState::Approved => "已通过",
            OrderState::Withdrawn => "已撤销",
            OrderState::Expired => "已过期",
        }
    }

    /// No transition leaves a terminal state.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Approved | OrderState::Withdrawn | OrderState::Expired
        )
    }
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Applicant,
    Reviewer,
    Supervisor,
    Administration,
    /// Background jobs (expiry, SMS timeout).
    System,
}

impl Role {
    /// The roles an account can hold (System is the service itself, never an account).
    pub const ACCOUNTS: [Role; 4] = [
        Role::Applicant,
        Role::Reviewer,
        Role::Supervisor,
        Role::Administration,
    ];

    /// The provider's staff (工作人员): reviewers and supervisors. The administration (管局) is
    /// not the provider's staff; it has its own operations.
    pub const STAFF: [Role; 2] = [Role::Reviewer, Role::Supervisor];

    /// Is this one of the provider's staff?
    pub fn is_staff(self) -> bool {
        Role::STAFF.contains(&self)
    }

    /// The name stored with an account and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Reviewer => "reviewer",
            Role::Supervisor => "supervisor",
            Role::Administration => "administration",
            Role::System => "system",
        }
    }

    /// An account's role from its stored name; `None` for anything else (System included).
    pub fn parse(s: &str) -> Option<Role> {
        Role::ACCOUNTS.into_iter().find(|r| r.as_str() == s)
    }
}

/// What can be done to an order: the buttons a console shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Edit,
    Delete,
    Submit,
    Withdraw,
    ProviderPass,
    ProviderReject,
    CompleteVerification,
    SubmitToAdministration,
    SmsVerified,
    SmsFailed,
    SmsTimeout,
    AdministrationApprove,
    AdministrationReject,
    Expire,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::Edit,
        Action::Delete,
        Action::Submit,
        Action::Withdraw,
        Action::ProviderPass,
        Action::ProviderReject,
        Action::CompleteVerification,
        Action::SubmitToAdministration,
        Action::SmsVerified,
        Action::SmsFailed,
        Action::SmsTimeout,
        Action::AdministrationApprove,
        Action::AdministrationReject,
        Action::Expire,
    ];

    /// The roles that may take this action.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::Edit | Action::Delete | Action::Submit | Action::Withdraw => &[Applicant],
            Action::ProviderPass
            | Action::ProviderReject
            | Action::CompleteVerification
            | Action::SubmitToAdministration => &[Reviewer, Supervisor],
            Action::SmsVerified
            | Action::SmsFailed
            | Action::AdministrationApprove
            | Action::AdministrationReject => &[Administration],
            Action::SmsTimeout | Action::Expire => &[System],
        }
    }
}

/// A rejection (驳回): catalogued reasons and a free-text note, and (field-level rejection) the
/// fields and document slots it concerns, each with its own reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rejection {
    /// Reasons for the whole order (may be empty when fields or documents carry theirs).
    #[serde(default)]
    pub reasons: Vec<ReasonCode>,
    #[serde(default)]
    pub note: String,
    /// Field paths pointed at without a reason of their own (`websites[0].name`): they take the
    /// rejection's first reason.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The fields of the application this rejection concerns, each with its reason.
    #[serde(default)]
    pub fields: Vec<RejectedField>,
    /// The document slots whose upload is rejected (the others stay as they are).
    #[serde(default)]
    pub documents: Vec<RejectedDocument>,
    /// The applicant may change the whole application, not only the named fields.
    #[serde(default)]
    pub open_all: bool,
}

impl Rejection {
    /// Every reason the rejection gives (the order's, the fields', the documents'), each once.
    pub fn all_reasons(&self) -> Vec<ReasonCode> {
        let mut out: Vec<ReasonCode> = Vec::new();
        let named = self
            .fields
            .iter()
            .map(|f| f.reason)
            .chain(self.documents.iter().map(|d| d.reason));
        for r in self.reasons.iter().copied().chain(named) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    /// The fields named, with their reasons (`paths` given the first reason).
    pub fn named_fields(&self) -> Vec<RejectedField> {
        let mut out = self.fields.clone();
        if let Some(first) = self.all_reasons().first() {
            for p in &self.paths {
                if !out.iter().any(|f| &f.path == p) {
                    out.push(RejectedField {
                        path: p.clone(),
                        reason: *first,
                        note: String::new(),
                    });
                }
            }
        }
        out
    }

    /// What the applicant may change afterwards: `None` for everything (no field named, or the
    /// rejection opens all), else the named fields' paths.
    pub fn open_fields(&self) -> Option<Vec<String>> {
        let named = self.named_fields();
        if self.open_all || (named.is_empty() && self.documents.is_empty()) {
            return None;
        }
        Some(named.into_iter().map(|f| f.path).collect())
    }
}

/// A command to the workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Edit,
    Delete,
    Submit,
    Withdraw,
    ProviderPass,
    ProviderReject(Rejection),
    CompleteVerification,
    SubmitToAdministration,
    SmsVerified,
    SmsFailed,
    SmsTimeout,
    AdministrationApprove,
    AdministrationReject(Rejection),
    Expire,
}

impl Command {
    /// The command that takes `action`; rejections carry `rejection`.
    pub fn for_action(action: Action, rejection: Rejection) -> Command {
        match action {
            Action::Edit => Command::Edit,
            Action::Delete => Command::Delete,
            Action::Submit => Command::Submit,
            Action::Withdraw => Command::Withdraw,
            Action::ProviderPass => Command::ProviderPass,
            Action::ProviderReject => Command::ProviderReject(rejection),
            Action::CompleteVerification => Command::CompleteVerification,
            Action::SubmitToAdministration => Command::SubmitToAdministration,
            Action::SmsVerified => Command::SmsVerified,
            Action::SmsFailed => Command::SmsFailed,
            Action::SmsTimeout => Command::SmsTimeout,
            Action::AdministrationApprove => Command::AdministrationApprove,
            Action::AdministrationReject => Command::AdministrationReject(rejection),
            Action::Expire => Command::Expire,
        }
    }

    pub fn action(&self) -> Action {
        match self {
            Command::Edit => Action::Edit,
            Command::Delete => Action::Delete,
            Command::Submit => Action::Submit,
            Command::Withdraw => Action::Withdraw,
            Command::ProviderPass => Action::ProviderPass,
            Command::ProviderReject(_) => Action::ProviderReject,
            Command::CompleteVerification => Action::CompleteVerification,
            Command::SubmitToAdministration => Action::SubmitToAdministration,
            Command::SmsVerified => Action::SmsVerified,
            Command::SmsFailed => Action::SmsFailed,
            Command::SmsTimeout => Action::SmsTimeout,
            Command::AdministrationApprove => Action::AdministrationApprove,
            Command::AdministrationReject(_) => Action::AdministrationReject,
            Command::Expire => Action::Expire,
        }
    }
}

/// What the transition function needs to know about an order besides its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    pub filing_type: FilingType,
    /// The filing province is an SMS verification pilot.
    pub sms_pilot: bool,
    pub first_submitted_at: Option<OffsetDateTime>,
    /// When the administration sent the SMS (start of the 24-hour window).
    pub sms_started_at: Option<OffsetDateTime>,
    /// Any document or photo uploaded since the order entered verification.
    pub uploads_started: bool,
    /// Required documents accepted, face photo accepted, mailed statements received where asked.
    pub verification_complete: bool,
    /// Errors the rules engine reports on the application now.
    pub check_errors: usize,
    /// The administration's review SLA in working days for the province.
    pub administration_review_days: u32,
}

/// 45 days after first submission without approval, an order expires.
pub const ORDER_LIFETIME: Duration = Duration::days(45);
/// The SMS verification window.
pub const SMS_WINDOW: Duration = Duration::hours(24);
/// The provider's SLA for each of its steps, in working days.
pub const PROVIDER_STEP_WORKING_DAYS: u32 = 1;

/// How long a reviewer's claim on an order holds without being renewed (claiming again).
pub const CLAIM_LEASE: Duration = Duration::hours(2);

/// The provider's steps, where a reviewer claims an order.
pub const PROVIDER_STEPS: [OrderState; 3] = [
    OrderState::ProviderReview,
    OrderState::Verification,
    OrderState::ReadyForAdministration,
];

/// Another reviewer's claim that keeps `actor` (of `role`) from working on an order now: the
/// claimant, if a live claim is someone else's. Supervisors are never kept out (they take over
/// from a reviewer who is away); nor is anyone from an order no one has claimed.
pub fn blocking_claim<'a>(
    claimed_by: Option<&'a str>,
    claimed_at: Option<OffsetDateTime>,
    actor: &str,
    role: Role,
    now: OffsetDateTime,
) -> Option<&'a str> {
    match (claimed_by, claimed_at) {
        (Some(by), Some(at)) if by != actor && role == Role::Reviewer && now < at + CLAIM_LEASE => {
            Some(by)
        }
        _ => None,
    }
}

/// Whose clock runs in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaOwner {
    Provider,
    Administration,
    Applicant,
}

/// Something the shell must do because of a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Record the first submission time (start of the 45-day lifetime).
    MarkFirstSubmission,
    /// Start an SLA clock of `working_days` for `owner` in the new state.
    StartSla { owner: SlaOwner, working_days: u32 },
    /// Open the 24-hour SMS window; it closes at `deadline`.
    OpenSmsWindow { deadline: OffsetDateTime },
    /// Store the rejection with the order and show it to the applicant.
    RecordRejection(Rejection),
    /// Assign the subject number (if new) and website numbers, consume service numbers and make
    /// the domains servable.
    Approve,
    /// Forget uploads of the verification step (a rejected order may upload again).
    ResetVerification,
    /// Delete the draft.
    DeleteDraft,
}

/// A successful transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: OrderState,
    pub to: OrderState,
    pub action: Action,
    pub effects: Vec<Effect>,
}

/// Why a command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{action:?} is not possible in state {state:?}")]
    NotInState { action: Action, state: OrderState },
    #[error("{role:?} may not {action:?}")]
    Forbidden { action: Action, role: Role },
    #[error("the application has {0} errors; fix them before submitting")]
    HasErrors(usize),
    #[error("verification is not complete: documents, face photo or mailed statements are missing")]
    VerificationIncomplete,
    #[error("uploads have started: the order can no longer be withdrawn")]
    UploadsStarted,
    #[error("the SMS window is still open until {0}")]
    SmsWindowOpen(OffsetDateTime),
    #[error("the order does not expire before {0}")]
    NotYetExpired(OffsetDateTime),
    #[error("a cancellation order cannot be deleted")]
    CancellationNotDeletable,
    #[error("invalid rejection: {0}")]
    InvalidRejection(&'static str),
}

/// Verification applies to types that file or change websites or the subject.
pub fn needs_verification(t: FilingType) -> bool {
    !(t.is_cancellation() || t == FilingType::ChangeAccess)
}

/// Working days still ahead of an order in `state` until the administration decides, counted from
/// when it entered the state, each step at its SLA (the applicant's own time in verification is
/// not counted): what the expected completion date shown to the applicant rests on. `None` for a
/// draft and for an order that has ended.
pub fn working_days_to_decision(state: OrderState, facts: &OrderFacts) -> Option<u32> {
    let provider = PROVIDER_STEP_WORKING_DAYS;
    let administration = facts.administration_review_days;
    let verification = if needs_verification(facts.filing_type) {
        provider
    } else {
        0
    };
    let sms = u32::from(facts.sms_pilot);
    match state {
        OrderState::ProviderReview => {
            Some(provider + verification + provider + sms + administration)
        }
        OrderState::Verification => Some(provider + provider + sms + administration),
        OrderState::ReadyForAdministration => Some(provider + sms + administration),
        OrderState::SmsVerification => Some(sms + administration),
        OrderState::AdministrationReview => Some(administration),
        OrderState::Draft | OrderState::Approved | OrderState::Withdrawn | OrderState::Expired => {
            None
        }
    }
}

/// Is an order in this state, with these facts, "in progress" for its credential?
pub fn in_progress(state: OrderState, facts: &OrderFacts) -> bool {
    !state.is_terminal() && (state != OrderState::Draft || facts.first_submitted_at.is_some())
}

/// The single transition function.
pub fn transition(
    state: OrderState,
    facts: &OrderFacts,
    role: Role,
    command: &Command,
    now: OffsetDateTime,
) -> Result<Transition, Refusal> {
    use OrderState as S;
    let action = command.action();
    if !action.roles().contains(&role) {
        return Err(Refusal::Forbidden { action, role });
    }
    let not_in_state = Err(Refusal::NotInState { action, state });
    let done = |to: OrderState, effects: Vec<Effect>| {
        Ok(Transition {
            from: state,
            to,
            action,
            effects,
        })
    };
    let provider_sla = Effect::StartSla {
        owner: SlaOwner::Provider,
        working_days: PROVIDER_STEP_WORKING_DAYS,
    };
    match (state, command) {
        (S::Draft, Command::Edit) => done(S::Draft, vec![]),
        (S::Draft, Command::Delete) => {
            if facts.filing_type.is_cancellation() {
                Err(Refusal::CancellationNotDeletable)
            } else {
                done(S::Draft, vec![Effect::DeleteDraft])
            }
        }
        (S::Draft, Command::Submit) => {
            if facts.check_errors > 0 {
                return Err(Refusal::HasErrors(facts.check_errors));
            }
            let mut effects = vec![provider_sla];
            if facts.first_submitted_at.is_none() {
                effects.insert(0, Effect::MarkFirstSubmission);
            }
            done(S::ProviderReview, effects)
        }
        (S::ProviderReview, Command::Withdraw) => done(S::Withdrawn, vec![]),
        (S::Verification, Command::Withdraw) => {
            if facts.uploads_started {
                Err(Refusal::UploadsStarted)
            } else {
                done(S::Withdrawn, vec![])
            }
        }
        (S::ProviderReview, Command::ProviderPass) => {
            if needs_verification(facts.filing_type) {
                done(
                    S::Verification,
                    vec![Effect::StartSla {
                        owner: SlaOwner::Applicant,
                        working_days: 0,
                    }],
                )
            } else {
                done(S::ReadyForAdministration, vec![provider_sla])
            }
        }
        (S::ProviderReview | S::Verification, Command::ProviderReject(r)) => {
            validate_rejection(r, true)?;
            done(
                S::Draft,
                vec![
                    Effect::RecordRejection(r.clone()),
                    Effect::ResetVerification,
                ],
            )
        }
        (S::Verification, Command::CompleteVerification) => {
            if facts.verification_complete {
                done(S::ReadyForAdministration, vec![provider_sla])
            } else {
                Err(Refusal::VerificationIncomplete)
            }
        }
        (S::ReadyForAdministration, Command::SubmitToAdministration) => {
            if facts.check_errors > 0 {
                return Err(Refusal::HasErrors(facts.check_errors));
            }
            if facts.sms_pilot {
                done(
                    S::SmsVerification,
                    vec![Effect::OpenSmsWindow {
                        deadline: now + SMS_WINDOW,
                    }],
                )
            } else {
                done(S::AdministrationReview, vec![administration_sla(facts)])
            }
        }
        (S::SmsVerification, Command::SmsVerified) => {
            done(S::AdministrationReview, vec![administration_sla(facts)])
        }
        (S::SmsVerification, Command::SmsFailed) => {
            done(S::ReadyForAdministration, vec![provider_sla])
        }
        (S::SmsVerification, Command::SmsTimeout) => {
            let deadline = facts.sms_started_at.map(|t| t + SMS_WINDOW);
            match deadline {
                Some(d) if now < d => Err(Refusal::SmsWindowOpen(d)),
                _ => done(S::ReadyForAdministration, vec![provider_sla]),
            }
        }
        (S::AdministrationReview, Command::AdministrationApprove) => {
            done(S::Approved, vec![Effect::Approve])
        }
        (S::AdministrationReview, Command::AdministrationReject(r)) => {
            validate_rejection(r, false)?;
            done(
                S::Draft,
                vec![
                    Effect::RecordRejection(r.clone()),
                    Effect::ResetVerification,
                ],
            )
        }
        (s, Command::Expire) if !s.is_terminal() && s != S::AdministrationReview => {
            let Some(first) = facts.first_submitted_at else {
                return not_in_state;
            };
            let due = first + ORDER_LIFETIME;
            if now < due {
                Err(Refusal::NotYetExpired(due))
            } else {
                done(S::Expired, vec![])
            }
        }
        _ => not_in_state,
    }
}

fn administration_sla(facts: &OrderFacts) -> Effect {
    Effect::StartSla {
        owner: SlaOwner::Administration,
        working_days: facts.administration_review_days,
    }
}

/// A rejection needs at least one reason; P04 needs a note; the administration uses R codes only.
fn validate_rejection(r: &Rejection, by_provider: bool) -> Result<(), Refusal> {
    let all = r.all_reasons();
    if all.is_empty() {
        return Err(Refusal::InvalidRejection(
            "at least one reason code is required",
        ));
    }
    let overall_note = !r.note.trim().is_empty();
    let p04_unexplained = (r.reasons.contains(&ReasonCode::P04) && !overall_note)
        || r.fields
            .iter()
            .any(|f| f.reason == ReasonCode::P04 && f.note.trim().is_empty() && !overall_note)
        || r.documents
            .iter()
            .any(|d| d.reason == ReasonCode::P04 && d.note.trim().is_empty() && !overall_note);
    if p04_unexplained {
        return Err(Refusal::InvalidRejection("reason P04 (other) needs a note"));
    }
    if !r
        .fields
        .iter()
        .map(|f| f.path.as_str())
        .chain(r.paths.iter().map(String::as_str))
        .all(crate::rejection::valid_path)
    {
        return Err(Refusal::InvalidRejection(
            "a field is named by its JSON path, e.g. websites[0].name",
        ));
    }
    let provider_only = [
        ReasonCode::P01,
        ReasonCode::P02,
        ReasonCode::P03,
        ReasonCode::P04,
    ];
    if !by_provider && all.iter().any(|c| provider_only.contains(c)) {
        return Err(Refusal::InvalidRejection(
            "the administration rejects with R01–R10",
        ));
    }
    Ok(())
}

/// The actions `role` can take now: exactly those `transition` would accept.
pub fn available_actions(
    state: OrderState,
    facts: &OrderFacts,
    role: Role,
    now: OffsetDateTime,
) -> Vec<Action> {
    let sample = Rejection {
        reasons: vec![ReasonCode::R10],
        note: "x".into(),
        ..Rejection::default()
    };
    Action::ALL
        .into_iter()
        .filter(|a| a.roles().contains(&role))
        .filter(|a| {
            let command = Command::for_action(*a, sample.clone());
            transition(state, facts, role, &command, now).is_ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-22 10:00 +8);

    fn facts(t: FilingType) -> OrderFacts {
        OrderFacts {
            filing_type: t,
            sms_pilot: true,
            first_submitted_at: None,
            sms_started_at: None,
            uploads_started: false,
            verification_complete: true,
            check_errors: 0,
            administration_review_days: 20,
        }
    }

    fn reject(codes: &[ReasonCode]) -> Rejection {
        Rejection {
            reasons: codes.to_vec(),
            ..Rejection::default()
        }
    }

    fn field(path: &str, reason: ReasonCode, note: &str) -> RejectedField {
        RejectedField {
            path: path.into(),
            reason,
            note: note.into(),
        }
    }

    #[test]
    fn a_live_claim_keeps_other_reviewers_out() {
        let at = Some(T0);
        let other = Some("reviewer:2");
        assert_eq!(
            blocking_claim(
                other,
                at,
                "reviewer:1",
                Role::Reviewer,
                T0 + Duration::minutes(5)
            ),
            Some("reviewer:2")
        );
        // Its own claim, no claim, a lapsed claim, a supervisor: nobody is kept out.
        assert_eq!(
            blocking_claim(other, at, "reviewer:2", Role::Reviewer, T0),
            None
        );
        assert_eq!(
            blocking_claim(None, None, "reviewer:1", Role::Reviewer, T0),
            None
        );
        assert_eq!(
            blocking_claim(other, at, "reviewer:1", Role::Reviewer, T0 + CLAIM_LEASE),
            None
        );
        assert_eq!(
            blocking_claim(other, at, "supervisor:3", Role::Supervisor, T0),
            None
        );
    }

    #[test]
    fn a_field_level_rejection_carries_its_reasons_in_its_fields() {
        let f = facts(FilingType::Initial);
        let r = Rejection {
            fields: vec![
                field("websites[0].name", ReasonCode::R02, ""),
                field("subject.admin.mobile", ReasonCode::P04, "停机号码"),
            ],
            documents: vec![RejectedDocument {
                kind: "face_photo".into(),
                website: -1,
                category: String::new(),
                reason: ReasonCode::P01,
                note: String::new(),
            }],
            ..Rejection::default()
        };
        let t = transition(
            OrderState::Verification,
            &f,
            Role::Reviewer,
            &Command::ProviderReject(r.clone()),
            T0,
        )
        .unwrap();
        assert_eq!(t.to, OrderState::Draft);
        assert_eq!(
            r.all_reasons(),
            [ReasonCode::R02, ReasonCode::P04, ReasonCode::P01]
        );
        assert_eq!(
            r.open_fields().unwrap(),
            ["websites[0].name", "subject.admin.mobile"]
        );
        // A field's P04 needs its note (or the rejection's).
        let mut unexplained = r.clone();
        unexplained.fields[1].note.clear();
        assert!(matches!(
            transition(
                OrderState::Verification,
                &f,
                Role::Reviewer,
                &Command::ProviderReject(unexplained),
                T0
            ),
            Err(Refusal::InvalidRejection(_))
        ));
        // A path that is not one.
        let mut bad = r.clone();
        bad.fields[0].path = "websites[0]/name".into();
        assert!(matches!(
            transition(
                OrderState::Verification,
                &f,
                Role::Reviewer,
                &Command::ProviderReject(bad),
                T0
            ),
            Err(Refusal::InvalidRejection(_))
        ));
        // The administration names fields with R codes only.
        let admin = Rejection {
            fields: vec![field("websites[0].name", ReasonCode::P02, "")],
            ..Rejection::default()
        };
        assert!(matches!(
            transition(
                OrderState::AdministrationReview,
                &f,
                Role::Administration,
                &Command::AdministrationReject(admin),
                T0
            ),
            Err(Refusal::InvalidRejection(_))
        ));
        // Opening everything, or naming nothing, leaves the whole application open.
        assert_eq!(
            Rejection {
                open_all: true,
                ..r.clone()
            }
            .open_fields(),
            None
        );
        assert_eq!(reject(&[ReasonCode::R01]).open_fields(), None);
        // `paths` without reasons take the first reason.
        let legacy = Rejection {
            reasons: vec![ReasonCode::R01],
            paths: vec!["websites[0].domains".into()],
            ..Rejection::default()
        };
        assert_eq!(
            legacy.named_fields(),
            [field("websites[0].domains", ReasonCode::R01, "")]
        );
    }

    #[test]
    fn happy_path_initial_in_a_pilot_province() {
        let mut f = facts(FilingType::Initial);
        let t = transition(OrderState::Draft, &f, Role::Applicant, &Command::Submit, T0).unwrap();
        assert_eq!(t.to, OrderState::ProviderReview);
        assert_eq!(t.effects[0], Effect::MarkFirstSubmission);
        f.first_submitted_at = Some(T0);
        let t = transition(t.to, &f, Role::Reviewer, &Command::ProviderPass, T0).unwrap();
        assert_eq!(t.to, OrderState::Verification);
        let t = transition(t.to, &f, Role::Reviewer, &Command::CompleteVerification, T0).unwrap();
        assert_eq!(t.to, OrderState::ReadyForAdministration);
        let t = transition(
            t.to,
            &f,
            Role::Supervisor,
            &Command::SubmitToAdministration,
            T0,
        )
        .unwrap();
        assert_eq!(t.to, OrderState::SmsVerification);
        assert_eq!(
            t.effects,
            vec![Effect::OpenSmsWindow {
                deadline: T0 + Duration::hours(24)
            }]
        );
        let t = transition(t.to, &f, Role::Administration, &Command::SmsVerified, T0).unwrap();
        assert_eq!(t.to, OrderState::AdministrationReview);
        assert_eq!(
            t.effects,
            vec![Effect::StartSla {
                owner: SlaOwner::Administration,
                working_days: 20
            }]
        );
        let t = transition(
            t.to,
            &f,
            Role::Administration,
            &Command::AdministrationApprove,
            T0,
        )
        .unwrap();
        assert_eq!(
            (t.to, t.effects),
            (OrderState::Approved, vec![Effect::Approve])
        );
    }

    #[test]
    fn non_pilot_provinces_skip_sms_and_cancellations_skip_verification() {
        let mut f = facts(FilingType::CancelWebsite);
        f.sms_pilot = false;
        let t = transition(
            OrderState::ProviderReview,
            &f,
            Role::Reviewer,
            &Command::ProviderPass,
            T0,
        )
        .unwrap();
        assert_eq!(t.to, OrderState::ReadyForAdministration);
        let t = transition(
            t.to,
            &f,
            Role::Reviewer,
            &Command::SubmitToAdministration,
            T0,
        )
        .unwrap();
        assert_eq!(t.to, OrderState::AdministrationReview);
    }

    #[test]
    fn submit_refused_with_errors_and_roles_enforced() {
        let mut f = facts(FilingType::Initial);
        f.check_errors = 2;
        assert_eq!(
            transition(OrderState::Draft, &f, Role::Applicant, &Command::Submit, T0),
            Err(Refusal::HasErrors(2))
        );
        let f = facts(FilingType::Initial);
        assert!(matches!(
            transition(
                OrderState::ProviderReview,
                &f,
                Role::Applicant,
                &Command::ProviderPass,
                T0
            ),
            Err(Refusal::Forbidden { .. })
        ));
        assert!(matches!(
            transition(
                OrderState::AdministrationReview,
                &f,
                Role::Reviewer,
                &Command::AdministrationApprove,
                T0
            ),
            Err(Refusal::Forbidden { .. })
        ));
    }

    #[test]
    fn withdrawal_rules() {
        let mut f = facts(FilingType::Initial);
        assert_eq!(
            transition(
                OrderState::ProviderReview,
                &f,
                Role::Applicant,
                &Command::Withdraw,
                T0
            )
            .unwrap()
            .to,
            OrderState::Withdrawn
        );
        assert_eq!(
            transition(
                OrderState::Verification,
                &f,
                Role::Applicant,
                &Command::Withdraw,
                T0
            )
            .unwrap()
            .to,
            OrderState::Withdrawn
        );
        f.uploads_started = true;
        assert_eq!(
            transition(
                OrderState::Verification,
                &f,
                Role::Applicant,
                &Command::Withdraw,
                T0
            ),
            Err(Refusal::UploadsStarted)
        );
        for s in [
            OrderState::ReadyForAdministration,
            OrderState::SmsVerification,
            OrderState::AdministrationReview,
        ] {
            assert!(matches!(
                transition(s, &f, Role::Applicant, &Command::Withdraw, T0),
                Err(Refusal::NotInState { .. })
            ));
        }
    }

    #[test]
    fn rejections_return_to_draft_with_reasons() {
        let f = facts(FilingType::Initial);
        let t = transition(
            OrderState::Verification,
            &f,
            Role::Reviewer,
            &Command::ProviderReject(reject(&[ReasonCode::P01])),
            T0,
        )
        .unwrap();
        assert_eq!(t.to, OrderState::Draft);
        assert!(
            matches!(&t.effects[0], Effect::RecordRejection(r) if r.reasons == vec![ReasonCode::P01])
        );
        assert!(matches!(
            transition(
                OrderState::ProviderReview,
                &f,
                Role::Reviewer,
                &Command::ProviderReject(reject(&[])),
                T0
            ),
            Err(Refusal::InvalidRejection(_))
        ));
        assert!(matches!(
            transition(
                OrderState::ProviderReview,
                &f,
                Role::Reviewer,
                &Command::ProviderReject(reject(&[ReasonCode::P04])),
                T0
            ),
            Err(Refusal::InvalidRejection(_))
        ));
        assert!(matches!(
            transition(
                OrderState::AdministrationReview,
                &f,
                Role::Administration,
                &Command::AdministrationReject(reject(&[ReasonCode::P02])),
                T0
            ),
            Err(Refusal::InvalidRejection(_))
        ));
        let t = transition(
            OrderState::AdministrationReview,
            &f,
            Role::Administration,
            &Command::AdministrationReject(reject(&[ReasonCode::R01, ReasonCode::R09])),
            T0,
        )
        .unwrap();
        assert_eq!(t.to, OrderState::Draft);
    }

    #[test]
    fn sms_timeout_only_after_24_hours() {
        let mut f = facts(FilingType::Initial);
        f.sms_started_at = Some(T0);
        let early = T0 + Duration::hours(23) + Duration::minutes(59);
        assert!(matches!(
            transition(
                OrderState::SmsVerification,
                &f,
                Role::System,
                &Command::SmsTimeout,
                early
            ),
            Err(Refusal::SmsWindowOpen(_))
        ));
        let t = transition(
            OrderState::SmsVerification,
            &f,
            Role::System,
            &Command::SmsTimeout,
            T0 + Duration::hours(24),
        )
        .unwrap();
        assert_eq!(t.to, OrderState::ReadyForAdministration);
    }

    #[test]
    fn expiry_at_day_45_not_in_administration_review() {
        let mut f = facts(FilingType::Initial);
        f.first_submitted_at = Some(T0);
        let day45 = T0 + Duration::days(45);
        assert!(matches!(
            transition(
                OrderState::Draft,
                &f,
                Role::System,
                &Command::Expire,
                day45 - Duration::seconds(1)
            ),
            Err(Refusal::NotYetExpired(_))
        ));
        assert_eq!(
            transition(OrderState::Draft, &f, Role::System, &Command::Expire, day45)
                .unwrap()
                .to,
            OrderState::Expired
        );
        assert!(
            transition(
                OrderState::AdministrationReview,
                &f,
                Role::System,
                &Command::Expire,
                day45
            )
            .is_err()
        );
        f.first_submitted_at = None;
        assert!(transition(OrderState::Draft, &f, Role::System, &Command::Expire, day45).is_err());
    }

    #[test]
    fn cancellation_drafts_cannot_be_deleted() {
        let f = facts(FilingType::CancelSubject);
        assert_eq!(
            transition(OrderState::Draft, &f, Role::Applicant, &Command::Delete, T0),
            Err(Refusal::CancellationNotDeletable)
        );
        let f = facts(FilingType::Initial);
        assert_eq!(
            transition(OrderState::Draft, &f, Role::Applicant, &Command::Delete, T0)
                .unwrap()
                .effects,
            vec![Effect::DeleteDraft]
        );
    }

    #[test]
    fn nothing_changes_during_administration_review() {
        let f = facts(FilingType::Initial);
        assert!(
            available_actions(OrderState::AdministrationReview, &f, Role::Applicant, T0).is_empty()
        );
        assert!(
            available_actions(OrderState::AdministrationReview, &f, Role::Reviewer, T0).is_empty()
        );
        assert_eq!(
            available_actions(
                OrderState::AdministrationReview,
                &f,
                Role::Administration,
                T0
            ),
            vec![Action::AdministrationApprove, Action::AdministrationReject]
        );
        assert_eq!(
            available_actions(OrderState::Draft, &f, Role::Applicant, T0),
            vec![Action::Edit, Action::Delete, Action::Submit]
        );
    }

    fn arb_state() -> impl Strategy<Value = OrderState> {
        prop::sample::select(OrderState::ALL.to_vec())
    }

    fn arb_role() -> impl Strategy<Value = Role> {
        prop::sample::select(vec![
            Role::Applicant,
            Role::Reviewer,
            Role::Supervisor,
            Role::Administration,
            Role::System,
        ])
    }

    proptest! {
        /// Terminal states never move; approval comes only from administration review by the
        /// administration; every accepted transition is offered by `available_actions`.
        #[test]
        fn invariants(state in arb_state(), role in arb_role(), a in 0usize..14, pilot: bool, uploads: bool,
                      complete: bool, errors in 0usize..3, hours in 0i64..2000, submitted: bool) {
            let f = OrderFacts {
                filing_type: FilingType::Initial,
                sms_pilot: pilot,
                first_submitted_at: submitted.then_some(T0),
                sms_started_at: Some(T0),
                uploads_started: uploads,
                verification_complete: complete,
                check_errors: errors,
                administration_review_days: 10,
            };
            let now = T0 + Duration::hours(hours);
            let action = Action::ALL[a];
            let command = Command::for_action(action, reject(&[ReasonCode::R02]));
            match transition(state, &f, role, &command, now) {
                Ok(t) => {
                    prop_assert!(!state.is_terminal());
                    prop_assert!(available_actions(state, &f, role, now).contains(&action));
                    if t.to == OrderState::Approved {
                        prop_assert_eq!(state, OrderState::AdministrationReview);
                        prop_assert_eq!(role, Role::Administration);
                    }
                    if state == OrderState::AdministrationReview {
                        prop_assert_eq!(role, Role::Administration);
                    }
                    if t.to == OrderState::ProviderReview { prop_assert_eq!(errors, 0); }
                }
                Err(_) => prop_assert!(!available_actions(state, &f, role, now).contains(&action)),
            }
        }
    }

    #[test]
    fn working_days_to_decision_shrink_as_the_order_moves_on() {
        let mut f = facts(FilingType::Initial);
        f.administration_review_days = 20;
        f.sms_pilot = true;
        let days: Vec<Option<u32>> = OrderState::ALL
            .iter()
            .map(|s| working_days_to_decision(*s, &f))
            .collect();
        assert_eq!(
            days,
            vec![
                None,
                Some(24),
                Some(23),
                Some(22),
                Some(21),
                Some(20),
                None,
                None,
                None
            ]
        );
        // No verification step for a cancellation, no SMS outside the pilots.
        let mut c = facts(FilingType::CancelWebsite);
        c.administration_review_days = 3;
        c.sms_pilot = false;
        assert_eq!(
            working_days_to_decision(OrderState::ProviderReview, &c),
            Some(5)
        );
    }
}
