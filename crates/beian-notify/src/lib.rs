//! Delivery primitives for beian's order-event notifications.
//!
//! Every order state change lands in a transactional outbox; a dispatcher (in the server) reads
//! it and uses this crate to deliver each event:
//!
//! - [`WebhookClient`] POSTs the event to a configured URL, signed with [`sign`] in the
//!   [`SIGNATURE_HEADER`] (`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`);
//!   receivers check it with [`verify`].
//! - [`Backoff`] says how long to wait before the next attempt and when to give up.
//! - [`Mailer`] sends an [`Email`] over SMTP when configured, or writes its subject to the log.
//!
//! The crate holds no database and no queue: retries, attempt counting and idempotency
//! bookkeeping are the dispatcher's.
//!
//! With the `testing` feature, the `testing` module provides an in-process SMTP server and webhook
//! receiver for end-to-end tests.

mod backoff;
mod mail;
mod signature;
mod webhook;

#[cfg(feature = "testing")]
pub mod testing;

pub use backoff::Backoff;
pub use mail::{DEFAULT_SMTP_TIMEOUT, Email, MailError, Mailer, SmtpMailer};
pub use signature::{
    DEFAULT_TOLERANCE_SECS, SIGNATURE_HEADER, SignatureError, sign, signature_hex, verify,
};
pub use webhook::{
    DEFAULT_WEBHOOK_TIMEOUT, DeliveryError, EVENT_HEADER, EVENT_ID_HEADER, IDEMPOTENCY_HEADER,
    USER_AGENT, WebhookClient, WebhookDelivery,
};
