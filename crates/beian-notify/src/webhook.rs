//! Signed webhook delivery over HTTP(S).

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::redirect::Policy;

use crate::signature::{SIGNATURE_HEADER, sign};

/// The timeout the dispatcher should use unless configured otherwise.
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// The `User-Agent` of every webhook request.
pub const USER_AGENT: &str = concat!("beian-webhook/", env!("CARGO_PKG_VERSION"));
/// Carries [`WebhookDelivery::idempotency_key`]: the same for every retry of one event.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Carries [`WebhookDelivery::event_id`].
pub const EVENT_ID_HEADER: &str = "X-Beian-Event-Id";
/// Carries [`WebhookDelivery::event_kind`].
pub const EVENT_HEADER: &str = "X-Beian-Event";

/// One webhook delivery request.
///
/// Its `Debug` leaves out the secret and the body.
#[derive(Clone, Copy)]
pub struct WebhookDelivery<'a> {
    /// Where to POST (`http` or `https`).
    pub url: &'a str,
    /// The endpoint's signing secret.
    pub secret: &'a [u8],
    /// The outbox event's id.
    pub event_id: i64,
    /// The event's kind, e.g. `order.approved`.
    pub event_kind: &'a str,
    /// Stable across retries of the same event so the receiver can deduplicate.
    pub idempotency_key: &'a str,
    /// The JSON body, sent as is.
    pub body: &'a [u8],
    /// Unix seconds to sign with: the time of this attempt.
    pub timestamp: i64,
}

impl fmt::Debug for WebhookDelivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookDelivery")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("event_id", &self.event_id)
            .field("event_kind", &self.event_kind)
            .field("idempotency_key", &self.idempotency_key)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// Why a webhook delivery failed.
///
/// No variant's text ever contains the request body (it may hold personal data) or the URL
/// (it may hold a token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The HTTP client could not be built.
    #[error("webhook client could not be built: {0}")]
    Client(String),
    /// The request cannot be sent as given (bad URL, a header value that is not allowed):
    /// retrying will not help.
    #[error("invalid webhook request: {0}")]
    InvalidRequest(String),
    /// The receiver answered with a status other than 2xx (redirects are not followed).
    #[error("webhook receiver answered HTTP {0}")]
    Status(u16),
    /// Connecting, TLS, sending or receiving failed, or the timeout passed.
    #[error("webhook transport error: {0}")]
    Transport(String),
}

impl DeliveryError {
    /// Whether another attempt could succeed: transport errors and non-2xx answers are worth
    /// retrying (a receiver that is down or misconfigured may recover), an invalid request or
    /// client is not.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Status(_) | Self::Transport(_))
    }
}

/// Delivers signed webhooks. Cheap to clone; keeps a connection pool.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
}

impl WebhookClient {
    /// A client whose every request (connect included) must finish within `timeout`; does not
    /// follow redirects; https through rustls (ring) with the webpki roots.
    pub fn new(timeout: Duration) -> Result<Self, DeliveryError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| DeliveryError::Client(describe(e)))?;
        Ok(Self { http })
    }

    /// POST `d.body` to `d.url` as `application/json`, with the [`SIGNATURE_HEADER`],
    /// [`IDEMPOTENCY_HEADER`], [`EVENT_ID_HEADER`] and [`EVENT_HEADER`] headers.
    ///
    /// `Ok(status)` on 2xx; [`DeliveryError::Status`] on any other status;
    /// [`DeliveryError::Transport`] for connect, TLS and timeout errors;
    /// [`DeliveryError::InvalidRequest`] for a URL or header value that cannot be sent.
    pub async fn deliver(&self, d: &WebhookDelivery<'_>) -> Result<u16, DeliveryError> {
        let signature = sign(d.secret, d.timestamp, d.body);
        let response = self
            .http
            .post(d.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(SIGNATURE_HEADER, signature)
            .header(IDEMPOTENCY_HEADER, d.idempotency_key)
            .header(EVENT_ID_HEADER, d.event_id.to_string())
            .header(EVENT_HEADER, d.event_kind)
            .body(d.body.to_vec())
            .send()
            .await
            .map_err(|e| {
                if e.is_builder() {
                    DeliveryError::InvalidRequest(describe(e))
                } else {
                    DeliveryError::Transport(describe(e))
                }
            })?;
        let status = response.status();
        // The response body is not read: receivers are asked for a status, nothing more.
        drop(response);
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err(DeliveryError::Status(status.as_u16()))
        }
    }
}

/// The error and its causes, without the URL (reqwest errors never carry the body).
fn describe(e: reqwest::Error) -> String {
    let mut text = String::new();
    if e.is_timeout() {
        text.push_str("timed out: ");
    } else if e.is_connect() {
        text.push_str("connect failed: ");
    }
    let e = e.without_url();
    let mut layers = vec![e.to_string()];
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if layers.last() != Some(&cause_text) {
            layers.push(cause_text);
        }
        source = cause.source();
    }
    text.push_str(&layers.join(": "));
    text
}
