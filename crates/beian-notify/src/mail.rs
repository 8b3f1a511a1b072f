//! E-mail notifications: SMTP when configured, else the log.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The SMTP timeout of [`Mailer::smtp`]: for connecting, and for the whole of one send.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// An e-mail notification: plain UTF-8 text.
///
/// Its `Debug` shows the subject only: the address and body are personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient: `user@example.com` or `Name <user@example.com>`.
    pub to: String,
    /// The subject line (line breaks are sent as spaces).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("to", &"<redacted>")
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .finish()
    }
}

/// Why a [`Mailer`] could not be made or could not send.
///
/// No variant's text contains the SMTP password, and none contains the recipient's address
/// (personal data): where an SMTP server's reply quotes it, it is replaced by `recipient`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The SMTP URL cannot be used (syntax, scheme, TLS parameter, credentials).
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    /// The sender mailbox does not parse.
    #[error("invalid sender mailbox: {0}")]
    Sender(String),
    /// The recipient address does not parse.
    #[error("invalid recipient address")]
    Recipient,
    /// The message could not be assembled.
    #[error("could not build the e-mail: {0}")]
    Message(String),
    /// Connecting, TLS, authentication or the SMTP dialogue failed, or the server refused.
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
    /// The send did not finish within the configured timeout.
    #[error("SMTP delivery did not finish within {0:?}")]
    Timeout(Duration),
}

/// A configured SMTP transport and sender (the content of [`Mailer::Smtp`]).
#[derive(Clone)]
pub struct SmtpMailer {
    /// Boxed: it is large, and `Mailer::Log` is nothing.
    transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    timeout: Duration,
    /// `scheme://host:port` for diagnostics: never the credentials.
    server: String,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.server)
            .field("from", &self.from.email.to_string())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Sends notifications by SMTP when configured, else writes them to the log.
#[derive(Debug, Clone)]
pub enum Mailer {
    /// Over SMTP (one connection per message: no pool to keep or drop).
    Smtp(SmtpMailer),
    /// To the log: `tracing::info!` with the subject only, never the address or body.
    Log,
}

impl Mailer {
    /// An SMTP mailer with the [`DEFAULT_SMTP_TIMEOUT`].
    ///
    /// `url`: `smtp://host:port` (plain, for a local relay), `smtp://host:port?tls=required`
    /// (STARTTLS, refused if the server does not offer it), or `smtps://host:465` (implicit
    /// TLS); optionally `user:pass@` (percent-encoded) and a `/ehlo-name` path. Without a port
    /// `smtp` uses 25 and `smtps` 465. `?tls=opportunistic` (STARTTLS if offered, else plain)
    /// is accepted but open to a downgrade; any other query parameter is refused. TLS is
    /// rustls (ring) with the webpki roots.
    /// `from`: the sender mailbox, e.g. `备案中心 <beian@example.com>`.
    pub fn smtp(url: &str, from: &str) -> Result<Mailer, MailError> {
        Self::smtp_with_timeout(url, from, DEFAULT_SMTP_TIMEOUT)
    }

    /// [`Mailer::smtp`] with a chosen timeout, which bounds both the TCP connect and the whole
    /// send (lettre's own timeout only covers the connect).
    pub fn smtp_with_timeout(
        url: &str,
        from: &str,
        timeout: Duration,
    ) -> Result<Mailer, MailError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| MailError::Url(e.to_string()))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            return Err(MailError::Url(format!(
                "scheme {:?} is neither smtp nor smtps",
                parsed.scheme()
            )));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| MailError::Url("no host".to_owned()))?;
        if !parsed.username().is_empty() && parsed.password().is_none() {
            return Err(MailError::Url(
                "a user without a password (write user:pass@)".to_owned(),
            ));
        }
        // lettre reads only `tls` and ignores anything else: a typo such as `?tsl=required`
        // would silently send in plain text, so unknown parameters are refused.
        for (key, value) in parsed.query_pairs() {
            if key != "tls" {
                return Err(MailError::Url(format!("unknown parameter {key:?}")));
            }
            if !matches!(value.as_ref(), "required" | "opportunistic") {
                return Err(MailError::Url(format!(
                    "tls={value:?}: use tls=required (STARTTLS) or an smtps:// URL"
                )));
            }
        }
        let server = match parsed.port() {
            Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
            None => format!("{}://{host}", parsed.scheme()),
        };
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Sender(e.to_string()))?;
        // lettre's error texts name the scheme and `tls` parameter at most, never credentials.
        let transport = Box::new(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| MailError::Url(e.to_string()))?
                .timeout(Some(timeout))
                .build(),
        );
        Ok(Mailer::Smtp(SmtpMailer {
            transport,
            from,
            timeout,
            server,
        }))
    }

    /// A mailer that only logs.
    pub fn log() -> Mailer {
        Mailer::Log
    }

    /// Whether this mailer sends over SMTP.
    pub fn is_smtp(&self) -> bool {
        matches!(self, Mailer::Smtp(_))
    }

    /// Send `email` (UTF-8 subject and body, encoded as MIME requires), or log its subject.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        match self {
            Mailer::Smtp(smtp) => smtp.send(email).await,
            Mailer::Log => {
                tracing::info!(
                    subject = %email.subject,
                    "e-mail notification not sent: no SMTP configured"
                );
                Ok(())
            }
        }
    }
}

impl SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let to: Mailbox = email.to.parse().map_err(|_| MailError::Recipient)?;
        let recipient = to.email.to_string();
        let subject: String = email
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id(self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())
            .map_err(|e| MailError::Message(e.to_string()))?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_elapsed) => Err(MailError::Timeout(self.timeout)),
            Ok(Err(e)) => Err(MailError::Smtp(redact(&e.to_string(), &recipient))),
            Ok(Ok(_response)) => {
                tracing::debug!(server = %self.server, "e-mail notification sent");
                Ok(())
            }
        }
    }
}

/// `text` with every occurrence of `secret` (ASCII case-insensitively) replaced by `recipient`.
fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    // ASCII lowercasing keeps byte offsets, so positions found in the copies apply to `text`.
    let haystack = text.to_ascii_lowercase();
    let needle = secret.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    while let Some(found) = haystack[rest..].find(&needle) {
        let start = rest + found;
        out.push_str(&text[rest..start]);
        out.push_str("recipient");
        rest = start + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// `<random@domain>`: unique per message (RFC 5322 §3.6.4).
fn message_id(domain: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut random = [0u8; 16];
    let unique = match getrandom::fill(&mut random) {
        Ok(()) => hex::encode(random),
        Err(_) => {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            format!(
                "{nanos:x}.{:x}.{:x}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            )
        }
    };
    format!("<{unique}@{domain}>")
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redaction() {
        assert_eq!(
            redact(
                "550 <Zhang.San@Example.com>: rejected; zhang.san@example.com",
                "zhang.san@example.com"
            ),
            "550 <recipient>: rejected; recipient"
        );
        assert_eq!(redact("张三 a@b.cn 张三", "a@b.cn"), "张三 recipient 张三");
        assert_eq!(redact("nothing", "a@b.cn"), "nothing");
        assert_eq!(redact("x", ""), "x");
    }
}
