//! The JSON API: one router per resource, merged in `lib.rs`. Handlers are adapters: they parse
//! the request, call the service layer (`crate::service`), and map its results to JSON and its
//! errors to [`ApiError`]. Who may call each route is in `crate::authz`, not here.

use axum::http::StatusCode;
use beian_core::workflow::Refusal;

use crate::error::{ApiError, not_found_order};
use crate::service::FilingError;
use crate::service::verification::SmsError;

pub mod administration;
pub mod audit;
pub mod blacklist;
pub mod documents;
pub mod domain_library;
pub mod events;
pub mod gate_feed;
pub mod jobs;
pub mod national_record;
pub mod orders;
pub mod products;
pub mod public_query;
pub mod rectifications;
pub mod rules;
pub mod staff_accounts;
pub mod system;

impl From<FilingError> for ApiError {
    fn from(e: FilingError) -> ApiError {
        match e {
            FilingError::NotFound => not_found_order(),
            FilingError::Unusable(e) => e.into(),
            FilingError::NotDraft(state) => ApiError::conflict(
                "not-a-draft",
                "只能修改草稿 / Only drafts can be edited",
                format!(
                    "订单当前为“{}” / the order is {}",
                    state.name_zh(),
                    state.as_str()
                ),
            ),
            FilingError::Refused(refusal) => refused(&refusal),
            FilingError::VerificationIncomplete(detail) => ApiError::conflict(
                "verification-incomplete",
                "核验未完成 / Verification not complete",
                detail,
            ),
            FilingError::UnknownReason { index, value } => ApiError::invalid(
                format!("reasons[{index}]"),
                "驳回原因无效 / Unknown rejection reason",
                format!(
                    "{value:?} 不在驳回原因目录中，见 GET /api/v1/rejection-reasons / {value:?} is not in the catalogue: see GET /api/v1/rejection-reasons"
                ),
            ),
            FilingError::InvalidRejection { field, detail } => {
                ApiError::invalid(field, "驳回无效 / Invalid rejection", detail)
            }
            FilingError::NotOpened(paths) => ApiError::invalid(
                format!("application.{}", paths.first().map_or("", String::as_str)),
                "驳回未开放这些字段的修改 / Not opened by the rejection",
                format!(
                    "驳回只开放了其指出的字段；请只修改这些字段，或撤回后重新申请：{} / the rejection opens only the fields it names: change only those, or withdraw and apply again: {}",
                    paths.join("、"),
                    paths.join(", ")
                ),
            ),
            FilingError::ClaimedBy(by) => ApiError::conflict(
                "order-claimed",
                "另一位审核员正在处理 / Claimed by another reviewer",
                format!(
                    "订单已由 {by} 认领，请处理其他订单；认领在 2 小时无操作后失效，主管可接手 / {by} is working on this order: take another; a claim lapses after two hours, and a supervisor can take it over"
                ),
            ),
            FilingError::NotClaimable(state) => ApiError::conflict(
                "not-claimable",
                "不在服务商审核环节 / Not in the provider's review",
                format!(
                    "订单当前为“{}”，只有服务商审核中的订单可以认领 / the order is {}: only orders in the provider's steps are claimed",
                    state.name_zh(),
                    state.as_str()
                ),
            ),
            FilingError::NoProvince => ApiError::conflict(
                "no-province",
                "备案省份无效 / Unknown province",
                "the order has no filing province",
            ),
            FilingError::QuotaExhausted(sn) => ApiError::conflict(
                "quota-exhausted",
                "备案服务号已用完 / Service numbers exhausted",
                format!(
                    "{sn}：该产品的备案数量已达上限，请换用其他产品 / the number of filings for this product has reached the limit; switch to another product"
                ),
            ),
            FilingError::DomainOnRecord(d) => ApiError::conflict(
                "domain-on-record",
                "域名已备案 / Domain on record",
                format!(
                    "{d} 已在其他网站下备案，请先注销或转移该备案 / {d} is on record under another website: cancel or transfer that filing first"
                ),
            ),
            FilingError::NotOnRecord(what) => ApiError::conflict(
                "not-on-record",
                "备案信息不存在 / Not on record",
                format!(
                    "{what} 不在备案库中 / {what} is not on record: this change, transfer or cancellation has nothing to apply to"
                ),
            ),
            FilingError::UnknownProduct(sn) => ApiError::conflict(
                "unknown-service-number",
                "备案服务号无效 / Unknown service number",
                format!("{sn} 不是备案服务号 / {sn} is not a service number"),
            ),
            FilingError::Administration(e) => {
                tracing::error!(error = %e, "administration unavailable");
                ApiError::unavailable(
                    "管局暂不可用，请稍后重试 / the administration does not answer: retry later",
                )
            }
            FilingError::Store(e) => e.into(),
            FilingError::Corrupt(e) => ApiError::internal(e),
        }
    }
}

/// The workflow's refusal: a role the step is not for is 403 (the authorization table keeps
/// most such calls from getting here), anything about the order's state is 409.
fn refused(refusal: &Refusal) -> ApiError {
    match refusal {
        Refusal::Forbidden { .. } => ApiError::forbidden(
            "无权执行此操作 / Not allowed for your role",
            refusal.to_string(),
        ),
        Refusal::InvalidRejection(_) => ApiError::invalid(
            "reasons",
            "驳回无效 / Invalid rejection",
            refusal.to_string(),
        ),
        _ => ApiError::conflict(
            "action-not-available",
            "操作不可用 / Action not available",
            refusal.to_string(),
        ),
    }
}

impl From<SmsError> for ApiError {
    fn from(e: SmsError) -> ApiError {
        match e {
            SmsError::NotPending(state) => ApiError::conflict(
                "no-sms-pending",
                "无需短信核验 / No SMS verification pending",
                format!(
                    "订单当前为“{}” / the order is {}",
                    state.name_zh(),
                    state.as_str()
                ),
            ),
            SmsError::TimedOut => ApiError::new(
                StatusCode::GONE,
                "sms-timed-out",
                "核验已超时 / Verification timed out",
                "已超过 24 小时，接入商将重新提交 / 24 hours have passed: the provider will submit again",
            ),
            SmsError::Failed => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "sms-failed",
                "短信核验失败 / SMS verification failed",
                "错误次数过多，接入商将重新提交 / too many wrong answers: the provider will submit again",
            ),
            SmsError::Wrong { left } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "sms-wrong",
                "核验信息不正确 / Verification details wrong",
                format!(
                    "验证码、手机号码或证件号码后六位有误，还可尝试 {left} 次 / code, mobile or last six characters wrong: {left} tries left"
                ),
            ),
            SmsError::Filing(e) => e.into(),
        }
    }
}

/// A router that remembers every (method, path) it registers, so that a test can hold the
/// authorization table and the OpenAPI document to exactly the routes served.
pub struct Routes<S = std::sync::Arc<crate::AppState>> {
    routes: Vec<(&'static str, axum::routing::MethodRouter<S>)>,
    registered: Vec<(axum::http::Method, &'static str)>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes {
            routes: Vec::new(),
            registered: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// Register `route` (already layered, if it needs a layer of its own) for `method` on `path`.
    pub fn on(
        mut self,
        method: axum::http::Method,
        path: &'static str,
        route: axum::routing::MethodRouter<S>,
    ) -> Self {
        self.registered.push((method, path));
        match self.routes.iter_mut().find(|(p, _)| *p == path) {
            Some((_, existing)) => {
                let before = std::mem::replace(existing, axum::routing::MethodRouter::new());
                *existing = before.merge(route);
            }
            None => self.routes.push((path, route)),
        }
        self
    }

    pub fn get<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, S>,
        T: 'static,
    {
        self.on(axum::http::Method::GET, path, axum::routing::get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, S>,
        T: 'static,
    {
        self.on(axum::http::Method::POST, path, axum::routing::post(handler))
    }

    pub fn put<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, S>,
        T: 'static,
    {
        self.on(axum::http::Method::PUT, path, axum::routing::put(handler))
    }

    pub fn delete<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, S>,
        T: 'static,
    {
        self.on(
            axum::http::Method::DELETE,
            path,
            axum::routing::delete(handler),
        )
    }

    /// The (method, path) pairs registered so far.
    pub fn registered(&self) -> &[(axum::http::Method, &'static str)] {
        &self.registered
    }

    /// The router, and the pairs it serves.
    pub fn into_parts(self) -> (axum::Router<S>, Vec<(axum::http::Method, &'static str)>) {
        let mut router = axum::Router::new();
        for (path, route) in self.routes {
            router = router.route(path, route);
        }
        (router, self.registered)
    }
}
