//! Mailer against a real SMTP server on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use beian_notify::testing::SmtpReceiver;
use beian_notify::{DEFAULT_SMTP_TIMEOUT, Email, MailError, Mailer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const FROM: &str = "备案中心 <beian@example.com>";
const WAIT: Duration = Duration::from_secs(5);

fn email(subject: &str, text: &str) -> Email {
    Email {
        to: "applicant@example.com".into(),
        subject: subject.into(),
        text: text.into(),
    }
}

fn unix_lines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

#[tokio::test]
async fn chinese_subject_and_body_arrive_intact() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::smtp(&receiver.url(), FROM).unwrap();
    assert!(mailer.is_smtp());
    let subject = "您的备案订单 #12 已通过初审";
    let text = "您好：\n\n您的备案订单 #12 已通过初审，请留意短信核验通知。\n\n—— 备案中心\n";
    mailer
        .send(&Email {
            to: "张三 <zhangsan@example.com>".into(),
            subject: subject.into(),
            text: text.into(),
        })
        .await
        .unwrap();

    let mails = receiver.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.from, "beian@example.com");
    assert_eq!(mail.to, ["zhangsan@example.com"]);
    assert_eq!(mail.subject().as_deref(), Some(subject));
    assert_eq!(unix_lines(&mail.text().unwrap()), text);
    // Encoded for transport: the raw message is 7-bit.
    assert!(mail.data.is_ascii(), "{}", mail.data);
    let content_type = mail.header("Content-Type").unwrap().to_ascii_lowercase();
    assert!(content_type.contains("text/plain") && content_type.contains("charset=utf-8"));
    let message_id = mail.header("Message-ID").unwrap();
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@example.com>"),
        "{message_id}"
    );
    assert!(mail.header("Date").is_some());
    // The sender's display name is an RFC 2047 encoded word.
    let from = mail.header("From").unwrap();
    assert!(
        from.ends_with("<beian@example.com>") && from.contains("=?utf-8?"),
        "{from}"
    );
    assert!(mail.auth.is_none());
}

#[tokio::test]
async fn long_subject_folds_and_still_decodes() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::smtp(&receiver.url(), FROM).unwrap();
    let subject = "关于您的备案订单 #12（网站名称：示例科技有限公司官方网站）的初审结果通知：已通过，请在三个工作日内完成管局短信核验";
    let text = "a".repeat(2000) + "\n" + &"备".repeat(1000);
    mailer.send(&email(subject, &text)).await.unwrap();
    let mail = receiver.wait_for(1, WAIT).await.remove(0);
    assert_eq!(mail.subject().as_deref(), Some(subject));
    assert_eq!(unix_lines(&mail.text().unwrap()), text);
    assert!(mail.data.lines().all(|line| line.len() <= 998));
}

#[tokio::test]
async fn dots_at_line_starts_survive_stuffing() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::smtp(&receiver.url(), "beian@example.com").unwrap();
    let text = "first line\n.\n..two dots\n.leading dot\nlast line\n";
    mailer.send(&email("dots", text)).await.unwrap();
    let mail = receiver.wait_for(1, WAIT).await.remove(0);
    assert_eq!(mail.subject().as_deref(), Some("dots"));
    // A 7-bit body goes as is; lettre ends DATA with CRLF.CRLF after it, so a body that
    // already ends with a line break arrives with one more.
    assert_eq!(
        unix_lines(&mail.text().unwrap()).trim_end(),
        text.trim_end()
    );
}

#[tokio::test]
async fn several_messages_each_get_through() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::smtp(&receiver.url(), FROM).unwrap();
    for n in 1..=3 {
        let mut e = email(&format!("订单 #{n}"), &format!("第 {n} 封"));
        e.to = format!("user{n}@example.com");
        mailer.send(&e).await.unwrap();
    }
    let mails = receiver.wait_for(3, WAIT).await;
    let got: Vec<(String, String)> = mails
        .iter()
        .map(|m| (m.to[0].clone(), m.subject().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("user1@example.com".into(), "订单 #1".into()),
            ("user2@example.com".into(), "订单 #2".into()),
            ("user3@example.com".into(), "订单 #3".into()),
        ]
    );
}

#[tokio::test]
async fn line_breaks_in_the_subject_cannot_inject_headers() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::smtp(&receiver.url(), FROM).unwrap();
    let subject = "hello\r\nBcc: evil@example.com\r\n\r\nbody";
    mailer.send(&email(subject, "text")).await.unwrap();
    let mail = receiver.wait_for(1, WAIT).await.remove(0);
    assert_eq!(mail.to, ["applicant@example.com"]);
    assert!(mail.header("Bcc").is_none(), "{}", mail.data);
    assert_eq!(
        mail.subject().as_deref(),
        Some("hello  Bcc: evil@example.com    body")
    );
    assert_eq!(mail.text().unwrap().trim_end(), "text");
}

#[tokio::test]
async fn credentials_in_the_url_are_used() {
    let receiver = SmtpReceiver::start().await;
    let url = format!("smtp://notify%40beian:p%40ss%3Aword@{}", receiver.addr());
    let mailer = Mailer::smtp(&url, FROM).unwrap();
    mailer.send(&email("auth", "text")).await.unwrap();
    let mail = receiver.wait_for(1, WAIT).await.remove(0);
    assert_eq!(
        mail.auth,
        Some(("notify@beian".to_owned(), "p@ss:word".to_owned()))
    );
    // Debug output names the server, never the credentials.
    let debug = format!("{mailer:?}");
    assert!(
        !debug.contains("p%40ss") && !debug.contains("p@ss"),
        "{debug}"
    );
}

#[tokio::test]
async fn starttls_required_but_not_offered_fails_instead_of_sending_plain() {
    let receiver = SmtpReceiver::start().await;
    let url = format!("{}?tls=required", receiver.url());
    let mailer = Mailer::smtp(&url, FROM).unwrap();
    let result = mailer.send(&email("secret", "text")).await;
    assert!(matches!(result, Err(MailError::Smtp(_))), "{result:?}");
    assert!(receiver.messages().is_empty());
}

/// A tracing writer that keeps everything written to it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn log_mailer_logs_the_subject_only() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mailer = Mailer::log();
    assert!(!mailer.is_smtp());
    let e = Email {
        to: "zhangsan@example.com".into(),
        subject: "您的备案订单 #12 已通过初审".into(),
        text: "身份证号 110101199001011234".into(),
    };
    mailer.send(&e).await.unwrap();

    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("您的备案订单 #12 已通过初审"), "{logged}");
    assert!(!logged.contains("zhangsan"), "{logged}");
    assert!(!logged.contains("110101199001011234"), "{logged}");
}

#[test]
fn bad_urls_and_senders_are_errors() {
    for url in [
        "",
        "not a url",
        "http://127.0.0.1:25",
        "smtp://",
        "smtp:///nohost",
        "smtp://127.0.0.1:99999",
        "smtp://127.0.0.1:25?tls=bogus",
        "smtps://127.0.0.1:465?tls=maybe",
        "smtp://127.0.0.1:587?tsl=required",
        "smtp://user@127.0.0.1:25",
    ] {
        let result = Mailer::smtp(url, FROM);
        assert!(
            matches!(result, Err(MailError::Url(_))),
            "{url:?}: {result:?}"
        );
    }
    // The password never shows in an error.
    let err = Mailer::smtp("smtp://user:hunter2@127.0.0.1:25?tls=bogus", FROM).unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");

    for from in ["", "not an address", "备案中心 <>", "a@b@c"] {
        let result = Mailer::smtp("smtp://127.0.0.1:25", from);
        assert!(
            matches!(result, Err(MailError::Sender(_))),
            "{from:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn good_urls_build_without_connecting() {
    for url in [
        "smtp://127.0.0.1:2525",
        "smtp://relay.example.com",
        "smtp://relay.example.com:587?tls=required",
        "smtp://u:p@relay.example.com:587?tls=required",
        "smtps://smtp.example.com:465",
        "smtps://smtp.example.com",
    ] {
        let mailer = Mailer::smtp(url, FROM).unwrap();
        assert!(mailer.is_smtp(), "{url}");
    }
    assert_eq!(DEFAULT_SMTP_TIMEOUT, Duration::from_secs(10));
}

#[tokio::test]
async fn bad_recipient_is_an_error_that_does_not_echo_it() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::smtp(&receiver.url(), FROM).unwrap();
    let mut e = email("x", "y");
    e.to = "zhangsan at example dot com".into();
    let err = mailer.send(&e).await.unwrap_err();
    assert_eq!(err, MailError::Recipient);
    assert!(!err.to_string().contains("zhangsan"));
    assert!(receiver.messages().is_empty());
}

#[tokio::test]
async fn unreachable_server_is_an_error_not_a_hang() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mailer = Mailer::smtp(&format!("smtp://{addr}"), FROM).unwrap();
    let started = Instant::now();
    let result = mailer.send(&email("x", "y")).await;
    assert!(matches!(result, Err(MailError::Smtp(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn silent_server_times_out() {
    // Accepts connections and never says a word: lettre alone would wait forever for the
    // greeting (its timeout covers only the TCP connect).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            held.push(stream);
        }
    });
    let timeout = Duration::from_millis(400);
    let mailer = Mailer::smtp_with_timeout(&format!("smtp://{addr}"), FROM, timeout).unwrap();
    let started = Instant::now();
    let result = mailer.send(&email("x", "y")).await;
    assert_eq!(result, Err(MailError::Timeout(timeout)));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= timeout && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    holder.abort();
}

#[tokio::test]
async fn rejection_text_does_not_leak_the_recipient() {
    // A server that refuses every recipient, quoting the address as real servers do.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 strict ESMTP\r\n").await.unwrap();
        while let Some(line) = lines.next_line().await.unwrap() {
            let reply = match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                "EHLO" | "HELO" | "MAIL" | "RSET" | "NOOP" => "250 OK".to_owned(),
                "RCPT" => {
                    let address = line.split(['<', '>']).nth(1).unwrap_or("").to_owned();
                    format!("550 5.1.1 <{address}>: Recipient address rejected")
                }
                "QUIT" => {
                    write.write_all(b"221 Bye\r\n").await.unwrap();
                    break;
                }
                _ => "502 unknown".to_owned(),
            };
            write.write_all(reply.as_bytes()).await.unwrap();
            write.write_all(b"\r\n").await.unwrap();
        }
    });
    let mailer = Mailer::smtp(&format!("smtp://{addr}"), FROM).unwrap();
    let mut e = email("x", "y");
    e.to = "zhangsan@example.com".into();
    let err = mailer.send(&e).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, MailError::Smtp(_)), "{err:?}");
    assert!(text.contains("550") || text.contains("rejected"), "{text}");
    assert!(!text.contains("zhangsan"), "{text}");
    assert!(text.contains("<recipient>"), "{text}");
    let _ = tokio::time::timeout(WAIT, server).await;
}

#[tokio::test]
async fn smtps_runs_rustls_and_fails_cleanly_against_a_plain_server() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::smtp(&format!("smtps://{}", receiver.addr()), FROM).unwrap();
    let result = mailer.send(&email("x", "y")).await;
    assert!(
        matches!(result, Err(MailError::Smtp(_) | MailError::Timeout(_))),
        "{result:?}"
    );
    assert!(receiver.messages().is_empty());
}

#[test]
fn email_debug_leaves_out_address_and_body() {
    let e = Email {
        to: "zhangsan@example.com".into(),
        subject: "您的备案订单 #12 已通过初审".into(),
        text: "身份证号 110101199001011234".into(),
    };
    let debug = format!("{e:?}");
    assert!(debug.contains("您的备案订单"), "{debug}");
    assert!(
        !debug.contains("zhangsan") && !debug.contains("1101011990"),
        "{debug}"
    );
}
