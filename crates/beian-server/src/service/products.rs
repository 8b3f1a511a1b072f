//! Products and service numbers (产品与备案服务号): an applicant's instances with their quota,
//! each service number's state (unbound, bound to a draft, filing, filed, invalid) and the exact
//! reasons an instance cannot take a filing, as the core's `ProductInstance` judges it.

use beian_core::product::{Ineligible, ProductInstance};
use beian_store::{ProductRow, StoreError};
use serde::Serialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use beian_core::workflow::Role;
use time::OffsetDateTime;

/// Why an instance cannot take a filing, in both languages (what the console shows).
pub fn ineligible_text(i: Ineligible) -> (&'static str, &'static str) {
    match i {
        Ineligible::NotAServer => (
            "该产品不是服务器，不能用于备案",
            "this product is not a server and cannot carry a filing",
        ),
        Ineligible::Expired => (
            "实例已到期，其备案服务号已失效",
            "the instance has expired; its service numbers are invalid",
        ),
        Ineligible::OutsideMainland => {
            ("实例不在中国内地", "the instance is outside mainland China")
        }
        Ineligible::PayAsYouGo => (
            "按量付费实例不能备案，请改为包年包月",
            "pay-as-you-go instances cannot file: switch to a subscription",
        ),
        Ineligible::NoPublicBandwidth => {
            ("实例没有公网带宽", "the instance has no public bandwidth")
        }
        Ineligible::LessThanThreeMonthsLeft => (
            "实例剩余有效期不足 3 个月，请续费",
            "less than three months left on the instance: renew it",
        ),
        Ineligible::QuotaExhausted => (
            "该实例的备案服务号已达上限，请更换产品",
            "this instance has reached its limit of service numbers: switch to another product",
        ),
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct IneligibleView {
    pub reason: Ineligible,
    pub message_zh: &'static str,
    pub message_en: &'static str,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ServiceNumberView {
    pub number: String,
    /// `unbound`, `bound` (named by a draft), `filing` (an order in progress), `filed`, `invalid`.
    pub state: &'static str,
    pub website_number: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ProductView {
    pub instance_id: String,
    pub kind: String,
    pub region: &'static str,
    pub billing: &'static str,
    pub expires: String,
    pub public_bandwidth: bool,
    pub quota: i32,
    pub issued: i32,
    pub consumed: i32,
    /// May this instance be given another service number now?
    pub eligible: bool,
    pub ineligible: Vec<IneligibleView>,
    pub service_numbers: Vec<ServiceNumberView>,
}

/// The instance as the core judges it: applying for a number counts numbers issued, not only
/// consumed, against the quota.
pub fn instance_of(p: &ProductRow) -> ProductInstance {
    ProductInstance {
        kind: p.kind.clone(),
        mainland: p.mainland,
        subscription: p.subscription,
        public_bandwidth: p.public_bandwidth,
        expires: p.expires,
        quota: u32::try_from(p.quota).unwrap_or(0),
        consumed: u32::try_from(p.issued.max(p.consumed)).unwrap_or(0),
    }
}

pub fn ineligibility(p: &ProductRow) -> Vec<IneligibleView> {
    instance_of(p)
        .ineligibility(crate::clock::today_in_china())
        .into_iter()
        .map(|reason| {
            let (zh, en) = ineligible_text(reason);
            IneligibleView {
                reason,
                message_zh: zh,
                message_en: en,
            }
        })
        .collect()
}

/// Service numbers named by the account's orders: (drafts, orders in progress).
pub async fn named_service_numbers(
    state: &AppState,
    account: Option<&str>,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let orders = match account {
        Some(a) => state.store.orders_of(a).await?,
        None => Vec::new(),
    };
    let (mut drafts, mut filing) = (Vec::new(), Vec::new());
    for o in orders {
        if o.state.is_terminal() {
            continue;
        }
        let Ok(app) = serde_json::from_str::<beian_rules::Application>(&o.application) else {
            continue;
        };
        let target = if o.in_progress {
            &mut filing
        } else {
            &mut drafts
        };
        target.extend(
            app.websites
                .iter()
                .flatten()
                .filter_map(|w| w.service_number.as_deref())
                .map(|s| s.trim().to_owned()),
        );
    }
    Ok((drafts, filing))
}

pub async fn product_view(
    state: &AppState,
    p: ProductRow,
    named: &(Vec<String>, Vec<String>),
) -> Result<ProductView, StoreError> {
    let expired = p.expires < crate::clock::today_in_china();
    let numbers = state.store.service_numbers_of(&p.instance_id).await?;
    Ok(ProductView {
        ineligible: ineligibility(&p),
        eligible: ineligibility(&p).is_empty(),
        service_numbers: numbers
            .into_iter()
            .map(|n| ServiceNumberView {
                state: if n.website_number.is_some() {
                    "filed"
                } else if expired {
                    "invalid"
                } else if named.1.contains(&n.number) {
                    "filing"
                } else if named.0.contains(&n.number) {
                    "bound"
                } else {
                    "unbound"
                },
                number: n.number,
                website_number: n.website_number,
            })
            .collect(),
        instance_id: p.instance_id,
        kind: p.kind,
        region: if p.mainland { "mainland" } else { "outside" },
        billing: if p.subscription {
            "subscription"
        } else {
            "pay_as_you_go"
        },
        expires: beian_rules::input::format_date(p.expires),
        public_bandwidth: p.public_bandwidth,
        quota: p.quota,
        issued: p.issued,
        consumed: p.consumed,
    })
}

/// The caller's instances (an applicant's own; staff see every instance).
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<ProductView>, ApiError> {
    let account = caller.account_id();
    let mine = (caller.role == Role::Applicant).then_some(account.as_str());
    let rows = state.store.products_of(mine).await?;
    let named = named_service_numbers(state, mine).await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        out.push(product_view(state, p, &named).await?);
    }
    Ok(out)
}

/// Apply for a service number (备案服务号) on one of the caller's instances: the number issued,
/// or why the instance is not eligible.
pub async fn apply(state: &AppState, caller: &Caller, instance: &str) -> Result<String, ApiError> {
    let account = caller.account_id();
    let p = match state.store.product(instance).await? {
        Some(p) if p.account.as_deref() == Some(account.as_str()) => p,
        _ => {
            return Err(ApiError::not_found(
                "instance-not-found",
                "实例不存在 / Instance not found",
                "no such instance in this account",
            ));
        }
    };
    let reasons = ineligibility(&p);
    if !reasons.is_empty() {
        return Err(not_eligible(
            reasons
                .iter()
                .map(|r| format!("{} / {}", r.message_zh, r.message_en))
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    match state
        .store
        .issue_service_number(instance, OffsetDateTime::now_utc())
        .await
    {
        Ok(number) => Ok(number),
        Err(StoreError::QuotaExhausted(_)) => {
            let (zh, en) = ineligible_text(Ineligible::QuotaExhausted);
            Err(not_eligible(format!("{zh} / {en}")))
        }
        Err(e) => Err(e.into()),
    }
}

fn not_eligible(detail: String) -> ApiError {
    ApiError::conflict(
        "instance-not-eligible",
        "实例不符合备案条件 / Instance not eligible",
        detail,
    )
}
