//! Events and their delivery. Every state change is an event in the store's outbox, written in
//! the transaction that makes the change. The dispatcher delivers each event to every webhook
//! (signed, retried with backoff, at-least-once with an idempotency key) and to the notification
//! sink (e-mail over SMTP when configured, else the log; a text message at the subject
//! administrator's mobile). The HTTP face of events is `crate::routes::events`.

use std::time::Duration;

use beian_core::workflow::OrderState;
use beian_notify::{Email, WebhookDelivery};
use beian_store::{DueDelivery, EventRow};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;

/// How long a claimed delivery is reserved for the instance attempting it.
const LEASE: time::Duration = time::Duration::seconds(60);
/// Deliveries claimed per dispatcher round.
const BATCH: i64 = 64;

/// An event as applicants and webhooks see it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EventView {
    /// `evt-<seq>`: stable across retries (the webhook's idempotency key).
    pub id: String,
    pub seq: i64,
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
    /// The applicant account concerned (absent for staff-only events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub action: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    pub data: serde_json::Value,
}

impl From<&EventRow> for EventView {
    fn from(e: &EventRow) -> EventView {
        EventView {
            id: idempotency_key(e.seq),
            seq: e.seq,
            kind: e.kind.clone(),
            at: e.at,
            order: e.order_id,
            account: (!e.account.is_empty()).then(|| e.account.clone()),
            from: e.from_state.clone(),
            to: e.to_state.clone(),
            action: e.action.clone(),
            reasons: e
                .reasons
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            note: e.note.clone(),
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// The events `caller` may follow after `after`, in commit order (at most `limit`): an applicant
/// (or the administration) its own account's, staff every event.
pub async fn visible_after(
    state: &AppState,
    caller: &crate::auth::Caller,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, beian_store::StoreError> {
    let own = caller.account_id();
    let account = (!caller.role.is_staff()).then_some(own.as_str());
    state.store.events_after(account, after, limit).await
}

/// The idempotency key of an event: the same for every attempt to deliver it.
pub fn idempotency_key(seq: i64) -> String {
    format!("evt-{seq}")
}

/// What one dispatcher round did.
#[derive(Debug, Default, Clone, Serialize, schemars::JsonSchema)]
pub struct DispatchReport {
    pub delivered: usize,
    pub failed: usize,
    pub given_up: usize,
}

/// Claim the due deliveries and attempt each once (one round). Safe on several instances.
pub async fn dispatch_once(
    state: &AppState,
    now: OffsetDateTime,
) -> Result<DispatchReport, String> {
    let due = state
        .store
        .claim_deliveries(now, now + LEASE, BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let mut report = DispatchReport::default();
    // Attempts run side by side: one slow receiver does not hold up the others.
    let mut attempts = tokio::task::JoinSet::new();
    for d in due {
        let state = state.clone();
        attempts.spawn(async move {
            let outcome = attempt(&state, &d, now).await;
            (d, outcome)
        });
    }
    let mut delivered = Vec::new();
    while let Some(joined) = attempts.join_next().await {
        let (d, outcome) = joined.map_err(|e| e.to_string())?;
        let store = &state.store;
        let result = match outcome {
            Ok(()) => {
                report.delivered += 1;
                metrics::counter!("beian_deliveries_total", "target" => d.target.clone(), "outcome" => "delivered").increment(1);
                delivered.push(d.id);
                Ok(())
            }
            Err(error) => {
                let attempts = u32::try_from(d.attempts).unwrap_or(u32::MAX);
                let retry_at = if state.backoff.exhausted(attempts) {
                    report.given_up += 1;
                    tracing::warn!(delivery = d.id, event = d.event_seq, target = %d.target, %error, "delivery given up");
                    None
                } else {
                    report.failed += 1;
                    let jitter = f64::from(getrandom::u32().unwrap_or(0)) / f64::from(u32::MAX);
                    let delay = state.backoff.delay(attempts, jitter);
                    Some(OffsetDateTime::now_utc() + delay)
                };
                metrics::counter!("beian_deliveries_total", "target" => d.target.clone(), "outcome" => if retry_at.is_some() { "retry" } else { "given_up" }).increment(1);
                store
                    .delivery_failed(d.id, &error, retry_at, OffsetDateTime::now_utc())
                    .await
            }
        };
        result.map_err(|e| e.to_string())?;
    }
    state
        .store
        .deliveries_succeeded(&delivered, OffsetDateTime::now_utc())
        .await
        .map_err(|e| e.to_string())?;
    Ok(report)
}

/// One attempt of one delivery; the error is what an operator reads (never personal data).
async fn attempt(state: &AppState, d: &DueDelivery, now: OffsetDateTime) -> Result<(), String> {
    let event = match state.store.event(d.event_seq).await {
        Ok(Some(e)) => e,
        Ok(None) => return Err(format!("event {} not found", d.event_seq)),
        Err(e) => return Err(e.to_string()),
    };
    match d.target.as_str() {
        "webhook" => {
            let hook = match state.store.webhook(d.webhook_id).await {
                Ok(Some(w)) if w.active => w,
                Ok(_) => return Err("webhook removed".into()),
                Err(e) => return Err(e.to_string()),
            };
            let body = serde_json::to_vec(&EventView::from(&event)).map_err(|e| e.to_string())?;
            let key = idempotency_key(event.seq);
            let delivery = WebhookDelivery {
                url: &hook.url,
                secret: hook.secret.as_bytes(),
                event_id: event.seq,
                event_kind: &event.kind,
                idempotency_key: &key,
                body: &body,
                timestamp: now.unix_timestamp(),
            };
            state
                .webhooks
                .deliver(&delivery)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        "notify" => notify(state, &event).await,
        other => Err(format!("unknown target {other}")),
    }
}

/// Tell the applicant by e-mail (or the log when no SMTP server is configured).
async fn notify(state: &AppState, event: &EventRow) -> Result<(), String> {
    let Ok(account) = event.account.parse::<i64>() else {
        return Ok(());
    };
    sms(state, event).await?;
    if !state.mailer.is_smtp() {
        // Nothing personal in the log: the event, not the address or the text.
        tracing::info!(event = event.seq, kind = %event.kind, order = ?event.order_id, "notification (no SMTP server configured)");
        return Ok(());
    }
    let to = state
        .store
        .account_email(account)
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let (subject, text) = message(event);
    if to.is_empty() {
        tracing::info!(event = event.seq, kind = %event.kind, order = ?event.order_id, "notification (the account gave no e-mail address)");
        return Ok(());
    }
    state
        .mailer
        .send(&Email { to, subject, text })
        .await
        .map_err(|e| e.to_string())
}

/// Text the applicant about an event of its order (SPEC §5: SMS and e-mail), at the subject
/// administrator's mobile in the application, through the provider's gateway (here an outbox).
/// Once per event, however often the delivery is retried.
async fn sms(state: &AppState, event: &EventRow) -> Result<(), String> {
    let Some(order_id) = event.order_id else {
        return Ok(());
    };
    let Some(order) = state
        .store
        .order(order_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let Ok(doc) =
        beian_rules::parse_document(&format!("{{\"application\": {}}}", order.application))
    else {
        return Ok(());
    };
    let Some(mobile) = doc
        .application
        .subject
        .as_ref()
        .and_then(|s| s.admin.as_ref())
        .and_then(|a| a.mobile.as_deref())
        .filter(|m| beian_rules::validate::mobile_format(m))
    else {
        return Ok(());
    };
    let (subject, _) = message(event);
    // The Chinese half of the subject line: a text message is short.
    let text = subject.split(" / ").next().unwrap_or(&subject).to_owned();
    state
        .store
        .send_notification_sms(
            event.seq,
            Some(order_id),
            mobile,
            &text,
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(|e| e.to_string())
}

fn state_names(s: Option<&str>) -> (String, String) {
    match s.and_then(OrderState::parse) {
        Some(st) => (st.name_zh().to_owned(), st.as_str().replace('_', " ")),
        None => (String::new(), String::new()),
    }
}

/// The notification's subject and text, in Chinese and English.
pub fn message(e: &EventRow) -> (String, String) {
    let order = e.order_id.map(|o| format!("#{o}")).unwrap_or_default();
    let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
    match e.kind.as_str() {
        "order.state_changed" => {
            let (zh, en) = state_names(e.to_state.as_deref());
            let mut text = format!("您的备案订单 {order} 状态已变更为：{zh}。\nYour filing order {order} is now: {en}.\n");
            if !e.reasons.is_empty() {
                text.push_str(&format!("原因 / Reasons: {}\n", e.reasons));
            }
            if !e.note.is_empty() {
                text.push_str(&format!("说明 / Note: {}\n", e.note));
            }
            (format!("【备案】订单 {order}：{zh} / Order {order}: {en}"), text)
        }
        "document.reviewed" => {
            let accepted = data["status"] == "accepted";
            let (zh, en) = if accepted { ("已通过审核", "accepted") } else { ("未通过审核，请重新上传", "rejected: please upload again") };
            let mut text = format!("订单 {order} 的资料（{}）{zh}。\nA document ({}) of order {order} was {en}.\n", data["kind"].as_str().unwrap_or(""), data["kind"].as_str().unwrap_or(""));
            if let Some(n) = data["note"].as_str().filter(|n| !n.is_empty()) {
                text.push_str(&format!("说明 / Note: {n}\n"));
            }
            (format!("【备案】订单 {order} 资料审核结果 / Order {order}: document review"), text)
        }
        "backdrop.shipped" => (
            format!("【备案】订单 {order} 幕布已寄出 / Order {order}: backdrop posted"),
            format!("幕布已寄出，运单号：{} / Your backdrop has been posted, tracking number: {}\n", data["tracking"].as_str().unwrap_or(""), data["tracking"].as_str().unwrap_or("")),
        ),
        "rectification.notified" => (
            "【备案】信息核查整改通知 / Rectification notice".to_owned(),
            format!("请在期限 {} 前完成整改，否则将取消接入。原因：{}\nPlease rectify your filing before {}, or access will be cancelled. Reason: {}\n",
                data["deadline"].as_str().unwrap_or(""), data["reason"].as_str().unwrap_or(""), data["deadline"].as_str().unwrap_or(""), data["reason"].as_str().unwrap_or("")),
        ),
        "rectification.overdue" => (
            "【备案】整改逾期，已取消接入 / Rectification overdue: access cancelled".to_owned(),
            "整改期限已过，您网站在本服务商的接入已取消，备案号仍在管局。\nThe rectification deadline passed: your websites' access at this provider is cancelled; the filing stays at the administration.\n".to_owned(),
        ),
        other => (format!("【备案】{other}"), format!("{other} {order}\n")),
    }
}

/// Run the dispatcher in the background: a round whenever an event commits (seen by the head
/// watcher) and every `interval` for retries that come due.
pub fn spawn_dispatcher(state: AppState, interval: Duration) {
    if interval.is_zero() {
        return;
    }
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            let mut head = state.event_head.clone();
            loop {
                match dispatch_once(&state, OffsetDateTime::now_utc()).await {
                    // A full batch: go on at once.
                    Ok(r) if r.delivered + r.failed + r.given_up >= BATCH as usize => continue,
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "event dispatcher"),
                }
                let _ = tokio::time::timeout(interval, head.changed()).await;
            }
        });
    }
}
