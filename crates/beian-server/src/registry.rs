//! The built-in administration (管局), first part: SMS verification and the administration's
//! review (approve with numbers, reject with reasons). It plays the provincial bureau so that a
//! filing runs end to end on one machine; it shares the provider's database, so an approval
//! issues the numbers, consumes the service numbers and approves the order in one transaction.
//! The SMS gateway is simulated by an outbox the administration role can read.

// A handler's early exit is an axum `Response`; boxing it would only add an allocation per error.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use beian_core::workflow::{Command, OrderState, Rejection, Role, SMS_WINDOW};
use beian_rules::Application;
use beian_rules::detect::normalise_credential_number;
use beian_rules::model::FilingType;
use beian_store::{
    ApprovalPlan, OrderRow, PlannedSubject, PlannedWebsite, SmsChallenge, StoreError,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::{Caller, token_digest};
use crate::orders::{internal, problem, role_of, step, store_error, view, visible};

/// Wrong answers allowed before the verification fails and the order goes back to the provider.
pub const SMS_ATTEMPTS: i32 = 3;

fn six_digits() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b)?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

/// Open the challenge when an order enters SMS verification: a six-digit code to the subject
/// administrator's mobile, to be answered with that mobile and the last six characters of the
/// subject's credential number.
pub(crate) async fn open_challenge(
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

#[derive(Deserialize)]
pub struct SmsAnswer {
    pub code: String,
    pub mobile: String,
    pub credential_tail: String,
}

/// `POST /api/v1/orders/{id}/sms` (the applicant): answer the SMS challenge.
pub async fn answer_sms(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let o = match visible(&state, &caller, id).await {
        Ok(o) if o.account == caller.account.id.to_string() => o,
        Ok(_) | Err(_) => {
            return problem(
                404,
                "订单不存在 / Order not found",
                "no such order in this account",
                None,
            );
        }
    };
    let a: SmsAnswer = match crate::parse_body(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if o.state != OrderState::SmsVerification {
        return problem(
            409,
            "无需短信核验 / No SMS verification pending",
            format!("the order is {}", o.state.as_str()),
            None,
        );
    }
    let challenge = match state.store.sms_challenge(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return internal("no SMS challenge for an order in sms_verification"),
        Err(e) => return internal(e),
    };
    let now = OffsetDateTime::now_utc();
    if now >= challenge.sent_at + SMS_WINDOW {
        return match step(
            &state,
            &o,
            Command::SmsTimeout,
            Role::System,
            "registry",
            now,
        )
        .await
        {
            Ok(_) => problem(
                410,
                "核验已超时 / Verification timed out",
                "24 hours have passed: the provider will submit again",
                None,
            ),
            Err(r) => r,
        };
    }
    let right = token_digest(&format!("{id}:{}", a.code.trim())) == challenge.code_digest
        && a.mobile.trim() == challenge.mobile
        && normalise_credential_number(&a.credential_tail) == challenge.credential_tail;
    if right {
        return match step(
            &state,
            &o,
            Command::SmsVerified,
            Role::Administration,
            "registry",
            now,
        )
        .await
        {
            Ok(o) => view(&state, &caller, o).await,
            Err(r) => r,
        };
    }
    let attempts = match state.store.sms_failed_attempt(id).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    if attempts >= SMS_ATTEMPTS {
        return match step(
            &state,
            &o,
            Command::SmsFailed,
            Role::Administration,
            "registry",
            now,
        )
        .await
        {
            Ok(_) => problem(
                422,
                "短信核验失败 / SMS verification failed",
                "too many wrong answers: the provider will submit again",
                None,
            ),
            Err(r) => r,
        };
    }
    problem(
        422,
        "核验信息不正确 / Verification details wrong",
        format!(
            "验证码、手机号码或证件号码后六位有误，还可尝试 {} 次 / code, mobile or last six characters wrong: {} tries left",
            SMS_ATTEMPTS - attempts,
            SMS_ATTEMPTS - attempts
        ),
        None,
    )
}

/// `POST /api/v1/orders/{id}/approve` (the administration): assign the numbers.
pub async fn approve(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    if role_of(&caller) != Role::Administration {
        return problem(
            403,
            "仅限管局 / Administration only",
            "only the administration approves filings",
            None,
        );
    }
    let o = match visible(&state, &caller, id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let app: Application = match serde_json::from_str(&o.application) {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    let province = u8::try_from(o.province).unwrap_or(0);
    let Some(abbr) = state
        .engine
        .data()
        .province_by_code(province)
        .and_then(|p| p.abbr.chars().next())
    else {
        return problem(
            409,
            "备案省份无效 / Unknown province",
            "the order has no filing province",
            None,
        );
    };
    let now = OffsetDateTime::now_utc();
    let plan = approval_plan(&state, &o, &app, province, abbr, now);
    match state
        .store
        .approve_order(
            id,
            o.version,
            &plan,
            &format!("account:{}", caller.account.id),
            now,
        )
        .await
    {
        Ok(approval) => {
            crate::orders::record_review_duration(&o, now);
            Json(Approved {
                subject_number: approval.subject.to_string(),
                website_numbers: approval.websites.iter().map(ToString::to_string).collect(),
            })
            .into_response()
        }
        Err(StoreError::QuotaExhausted(sn)) => problem(
            409,
            "备案服务号已用完 / Service numbers exhausted",
            format!(
                "{sn}: the number of filings for this product has reached the limit; switch to another product"
            ),
            None,
        ),
        Err(StoreError::DomainOnRecord(d)) => problem(
            409,
            "域名已备案 / Domain on record",
            format!("{d} is on record under another website: cancel or transfer that filing first"),
            None,
        ),
        Err(StoreError::NotOnRecord(what)) => problem(
            409,
            "备案信息不存在 / Not on record",
            format!(
                "{what} is not on record: this change, transfer or cancellation has nothing to apply to"
            ),
            None,
        ),
        Err(StoreError::UnknownProduct(sn)) => problem(
            409,
            "备案服务号无效 / Unknown service number",
            format!("{sn} is not a service number"),
            None,
        ),
        Err(StoreError::NotInAdministrationReview(_)) => problem(
            409,
            "不在管局审核中 / Not in administration review",
            "nothing to approve",
            None,
        ),
        Err(e) => store_error(e),
    }
}

/// What approving order `o` applies to the record, from its application.
pub(crate) fn approval_plan(
    state: &AppState,
    o: &OrderRow,
    app: &Application,
    province: u8,
    abbr: char,
    now: OffsetDateTime,
) -> ApprovalPlan {
    let subject = app.subject.as_ref();
    let admin_mobile = subject
        .and_then(|s| s.admin.as_ref())
        .and_then(|a| a.mobile.as_deref())
        .map(|m| m.trim().to_owned());
    ApprovalPlan {
        filing_type: FilingType::parse(&o.filing_type).unwrap_or(FilingType::Initial),
        province,
        abbr,
        year: now.to_offset(beian_core::sla::CHINA).year(),
        provider: state.provider.clone(),
        account: Some(o.account.clone()),
        subject: PlannedSubject {
            nature: subject
                .and_then(|s| s.nature)
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            name: subject
                .and_then(|s| s.name.as_deref())
                .unwrap_or("")
                .trim()
                .to_owned(),
            credential_type: subject
                .and_then(|s| s.credential.as_ref())
                .and_then(|c| c.kind)
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            credential: o.credential.clone(),
            mobiles: admin_mobile.into_iter().collect(),
        },
        websites: app
            .websites
            .iter()
            .flatten()
            .map(|w| {
                let mut domains: Vec<String> = Vec::new();
                for d in w.domains.iter().flatten() {
                    if let Some(r) = beian_rules::detect::registrable_ascii(d)
                        && !domains.contains(&r)
                    {
                        domains.push(r);
                    }
                }
                PlannedWebsite {
                    name: w.name.as_deref().unwrap_or("").trim().to_owned(),
                    domains,
                    service_number: w
                        .service_number
                        .as_deref()
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty()),
                }
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct Approved {
    subject_number: String,
    website_numbers: Vec<String>,
}

#[derive(Deserialize)]
pub struct AdministrationRejection {
    pub reasons: Vec<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub paths: Vec<String>,
}

/// `POST /api/v1/orders/{id}/administration-reject` (the administration): back to draft.
pub async fn reject(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let o = match visible(&state, &caller, id).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    if role_of(&caller) != Role::Administration {
        return problem(
            403,
            "仅限管局 / Administration only",
            "only the administration rejects at this step",
            None,
        );
    }
    let r: AdministrationRejection = match crate::parse_body(&body) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let mut reasons = Vec::new();
    for (i, code) in r.reasons.iter().enumerate() {
        match beian_rules::ReasonCode::parse(code.trim()) {
            Some(c) => reasons.push(c),
            None => {
                return problem(
                    422,
                    "驳回原因无效 / Unknown rejection reason",
                    format!("{code:?} is not one of R01–R10"),
                    Some(format!("reasons[{i}]")),
                );
            }
        }
    }
    let command = Command::AdministrationReject(Rejection {
        reasons,
        note: r.note,
        paths: r.paths,
    });
    match step(
        &state,
        &o,
        command,
        role_of(&caller),
        &format!("account:{}", caller.account.id),
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(o) => view(&state, &caller, o).await,
        Err(resp) => resp,
    }
}

/// `GET /api/v1/registry/sms-outbox` (the administration): the simulated SMS gateway.
pub async fn outbox(State(state): State<Arc<AppState>>, caller: Caller) -> Response {
    if role_of(&caller) != Role::Administration {
        return problem(
            403,
            "仅限管局 / Administration only",
            "the SMS outbox belongs to the administration",
            None,
        );
    }
    match state.store.sms_outbox(100).await {
        Ok(messages) => Json(
            messages
                .into_iter()
                .map(|m| serde_json::json!({"order_id": m.order_id, "mobile": m.mobile, "text": m.text}))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}
