//! The built-in administration's SMS verification (短信核验): a challenge opened when an order
//! enters `sms_verification`, sent to a simulated gateway the administration reads, answered by
//! the applicant with the code, the mobile and the last six characters of the credential number;
//! three tries, 24 hours. Each outcome is a workflow command decided by the core.

use beian_core::workflow::{Command, OrderState, Role, SMS_WINDOW};
use beian_rules::Application;
use beian_rules::detect::normalise_credential_number;
use beian_store::{OrderRow, SmsChallenge};
use time::OffsetDateTime;

use super::filing::{self, FilingError, OrderDetail};
use crate::AppState;
use crate::auth::{Caller, token_digest};

/// Wrong answers allowed before the verification fails and the order goes back to the provider.
pub const SMS_ATTEMPTS: i32 = 3;

/// The actor the administration's automatic decisions are recorded under.
pub const ADMINISTRATION_ACTOR: &str = "administration";

fn six_digits() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b)?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

/// Open the challenge when an order enters SMS verification: a six-digit code to the subject
/// administrator's mobile, to be answered with that mobile and the last six characters of the
/// subject's credential number.
pub async fn open_challenge(
    store: &beian_store::Store,
    o: &OrderRow,
    app: &Application,
    now: OffsetDateTime,
) -> Result<(), String> {
    let subject = app.subject.as_ref();
    let mobile = subject
        .and_then(|s| s.admin.as_ref())
        .and_then(|a| a.mobile.as_deref())
        .unwrap_or("")
        .trim()
        .to_owned();
    let credential = normalise_credential_number(
        subject
            .and_then(|s| s.credential.as_ref())
            .and_then(|c| c.number.as_deref())
            .unwrap_or(""),
    );
    let tail: String = credential
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let code = six_digits().map_err(|e| e.to_string())?;
    let text =
        format!("【工信部】您的网站备案短信核验码为 {code}，请在 24 小时内于接入商系统中提交。");
    let challenge = SmsChallenge {
        order_id: o.id,
        code_digest: token_digest(&format!("{}:{code}", o.id)),
        mobile,
        credential_tail: tail,
        attempts: 0,
        sent_at: now,
    };
    store
        .open_sms_challenge(&challenge, &text)
        .await
        .map_err(|e| e.to_string())
}

/// The applicant's answer to the challenge.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct SmsAnswer {
    pub code: String,
    pub mobile: String,
    pub credential_tail: String,
}

/// Why an answer did not verify the order.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("no SMS verification pending: the order is {0:?}")]
    NotPending(OrderState),
    #[error("the 24 hours have passed: the provider will submit again")]
    TimedOut,
    #[error("too many wrong answers: the provider will submit again")]
    Failed,
    #[error("code, mobile or last six characters wrong: {left} tries left")]
    Wrong { left: i32 },
    #[error(transparent)]
    Filing(#[from] FilingError),
}

impl From<beian_store::StoreError> for SmsError {
    fn from(e: beian_store::StoreError) -> SmsError {
        SmsError::Filing(e.into())
    }
}

/// Answer the SMS challenge of order `id` (its owner). A right answer moves the order on; the
/// third wrong one, or any answer after the window, sends it back to the provider.
pub async fn answer(
    state: &AppState,
    caller: &Caller,
    id: i64,
    a: &SmsAnswer,
) -> Result<OrderDetail, SmsError> {
    let o = filing::owned(state, caller, id).await?;
    if o.state != OrderState::SmsVerification {
        return Err(SmsError::NotPending(o.state));
    }
    let challenge = state.store.sms_challenge(id).await?.ok_or_else(|| {
        FilingError::Corrupt("no SMS challenge for an order in sms_verification".into())
    })?;
    let now = OffsetDateTime::now_utc();
    if now >= challenge.sent_at + SMS_WINDOW {
        filing::step(
            state,
            &o,
            Command::SmsTimeout,
            Role::System,
            ADMINISTRATION_ACTOR,
            now,
        )
        .await?;
        return Err(SmsError::TimedOut);
    }
    let right = token_digest(&format!("{id}:{}", a.code.trim())) == challenge.code_digest
        && a.mobile.trim() == challenge.mobile
        && normalise_credential_number(&a.credential_tail) == challenge.credential_tail;
    if right {
        let (o, report) = filing::step(
            state,
            &o,
            Command::SmsVerified,
            Role::Administration,
            ADMINISTRATION_ACTOR,
            now,
        )
        .await?;
        return Ok(filing::detail(state, caller, o, Some(report)).await?);
    }
    let attempts = state.store.sms_failed_attempt(id).await?;
    if attempts >= SMS_ATTEMPTS {
        filing::step(
            state,
            &o,
            Command::SmsFailed,
            Role::Administration,
            ADMINISTRATION_ACTOR,
            now,
        )
        .await?;
        return Err(SmsError::Failed);
    }
    Err(SmsError::Wrong {
        left: SMS_ATTEMPTS - attempts,
    })
}

/// A text the simulated gateway sent (the administration reads them; in the demo, so does
/// whoever plays the applicant's phone).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct OutboxMessage {
    pub order_id: i64,
    pub mobile: String,
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub sent_at: OffsetDateTime,
}

/// The simulated SMS gateway's latest `limit` texts, newest first.
pub async fn outbox(
    store: &beian_store::Store,
    limit: i64,
) -> Result<Vec<OutboxMessage>, beian_store::StoreError> {
    Ok(store
        .sms_outbox(limit)
        .await?
        .into_iter()
        .map(|m| OutboxMessage {
            order_id: m.order_id,
            mobile: m.mobile,
            text: m.text,
            sent_at: m.sent_at,
        })
        .collect())
}
