//! A minimal SMTP server (RFC 5321) that records every message it accepts.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::{any_loopback_port, bind_reusable, lock, wait_until};

/// One message as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The `MAIL FROM` reverse-path, without angle brackets (empty for the null path).
    pub from: String,
    /// The `RCPT TO` forward-paths, without angle brackets.
    pub to: Vec<String>,
    /// The raw message (headers and body) after dot-unstuffing, CRLF line endings, without the
    /// final `.` line; bytes that are not UTF-8 are replaced.
    pub data: String,
    /// `(user, password)` if the client authenticated (any credentials are accepted).
    pub auth: Option<(String, String)>,
}

impl ReceivedMail {
    /// The decoded `Subject` (RFC 2047 encoded words resolved).
    pub fn subject(&self) -> Option<String> {
        let parsed = mail_parser::MessageParser::default().parse(self.data.as_bytes())?;
        parsed.subject().map(str::to_owned)
    }

    /// The first text body part, transfer-decoded (quoted-printable, base64) and charset
    /// decoded, with line endings as they were on the wire (CRLF). A 7-bit body may end with
    /// one line break more than was sent: SMTP ends the data with a line of its own.
    pub fn text(&self) -> Option<String> {
        let parsed = mail_parser::MessageParser::default().parse(self.data.as_bytes())?;
        parsed.body_text(0).map(|text| text.into_owned())
    }

    /// A header's raw value (as on the wire, unfolded, trimmed); the name is case-insensitive.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

/// A real SMTP server on 127.0.0.1 speaking enough of RFC 5321 for lettre: greeting, EHLO/HELO
/// (advertising 8BITMIME, SMTPUTF8 and AUTH PLAIN LOGIN), MAIL, RCPT, DATA with dot-unstuffing,
/// RSET, NOOP, VRFY, AUTH (anything is accepted and recorded) and QUIT. No TLS.
///
/// Stopped when dropped.
#[derive(Debug)]
pub struct SmtpReceiver {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    task: JoinHandle<()>,
}

impl SmtpReceiver {
    /// Start on a free loopback port. Panics if none can be bound (a test failure).
    #[allow(clippy::panic)]
    pub async fn start() -> SmtpReceiver {
        match bind_reusable(any_loopback_port()) {
            Ok(listener) => Self::serve(listener),
            Err(e) => panic!("SmtpReceiver: cannot bind 127.0.0.1: {e}"),
        }
    }

    fn serve(listener: TcpListener) -> SmtpReceiver {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| any_loopback_port());
        let mails = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&mails)));
        SmtpReceiver { addr, mails, task }
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:PORT`, for [`crate::Mailer::smtp`].
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.mails).clone()
    }

    /// Wait until at least `n` messages have arrived or `timeout` passes; returns all received
    /// (possibly fewer than `n`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        wait_until(n, timeout, || self.messages()).await
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, mails: Arc<Mutex<Vec<ReceivedMail>>>) {
    // Owned here so aborting this task ends every session with it.
    let mut sessions = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                while sessions.try_join_next().is_some() {}
                sessions.spawn(session(stream, Arc::clone(&mails)));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// One SMTP session. An I/O error or EOF ends it; a message is recorded only once its DATA
/// is complete.
async fn session(stream: TcpStream, mails: Arc<Mutex<Vec<ReceivedMail>>>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 beian-test ESMTP ready\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut auth: Option<(String, String)> = None;
    loop {
        let Some(line) = read_line(&mut read).await? else {
            return Ok(());
        };
        let (verb, arg) = match line.split_once(' ') {
            Some((verb, arg)) => (verb, arg.trim()),
            None => (line.as_str(), ""),
        };
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                from = None;
                to.clear();
                "250-beian-test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH PLAIN LOGIN\r\n250 HELP"
                    .to_owned()
            }
            "HELO" => {
                from = None;
                to.clear();
                "250 beian-test".to_owned()
            }
            "MAIL" => match path_argument(arg, "FROM:") {
                Some(path) => {
                    from = Some(path);
                    to.clear();
                    "250 2.1.0 OK".to_owned()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned(),
            },
            "RCPT" => match (&from, path_argument(arg, "TO:")) {
                (None, _) => "503 5.5.1 MAIL first".to_owned(),
                (Some(_), Some(path)) if !path.is_empty() => {
                    to.push(path);
                    "250 2.1.5 OK".to_owned()
                }
                (Some(_), _) => "501 5.5.4 Syntax: RCPT TO:<address>".to_owned(),
            },
            "DATA" => match from.take() {
                Some(sender) if !to.is_empty() => {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let data = read_data(&mut read).await?;
                    lock(&mails).push(ReceivedMail {
                        from: sender,
                        to: std::mem::take(&mut to),
                        data,
                        auth: auth.clone(),
                    });
                    "250 2.0.0 OK queued".to_owned()
                }
                other => {
                    from = other;
                    "503 5.5.1 RCPT first".to_owned()
                }
            },
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK".to_owned()
            }
            "NOOP" => "250 2.0.0 OK".to_owned(),
            "VRFY" => "252 2.1.5 Cannot VRFY user".to_owned(),
            "AUTH" => match authenticate(arg, &mut read, &mut write).await? {
                Some(credentials) => {
                    auth = Some(credentials);
                    "235 2.7.0 Authentication successful".to_owned()
                }
                None => "535 5.7.8 Authentication credentials invalid".to_owned(),
            },
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                write.shutdown().await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognized".to_owned(),
        };
        // One write per reply (and no Nagle): split writes cost a delayed-ACK wait each.
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// A command line without its line ending; `None` at EOF.
async fn read_line(read: &mut BufReader<OwnedReadHalf>) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    if read.read_until(b'\n', &mut line).await? == 0 {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&line);
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The message after `354`, up to the `.` line, dot-unstuffed.
async fn read_data(read: &mut BufReader<OwnedReadHalf>) -> std::io::Result<String> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(String::from_utf8_lossy(&data).into_owned());
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(content);
    }
}

/// `FROM:<a@b> PARAMS` → `a@b` (case-insensitive keyword, optional space after the colon).
fn path_argument(arg: &str, keyword: &str) -> Option<String> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg.get(keyword.len()..)?.trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].to_owned())
}

/// `AUTH PLAIN [initial]` or `AUTH LOGIN [initial]`: returns the credentials.
async fn authenticate(
    arg: &str,
    read: &mut BufReader<OwnedReadHalf>,
    write: &mut tokio::net::tcp::OwnedWriteHalf,
) -> std::io::Result<Option<(String, String)>> {
    let (mechanism, initial) = match arg.split_once(' ') {
        Some((m, i)) => (m, i.trim()),
        None => (arg, ""),
    };
    async fn challenge(
        prompt: &[u8],
        read: &mut BufReader<OwnedReadHalf>,
        write: &mut tokio::net::tcp::OwnedWriteHalf,
    ) -> std::io::Result<String> {
        write.write_all(prompt).await?;
        Ok(read_line(read).await?.unwrap_or_default())
    }
    let decoded =
        |text: &str| decode_base64(text).map(|b| String::from_utf8_lossy(&b).into_owned());
    match mechanism.to_ascii_uppercase().as_str() {
        "PLAIN" => {
            let response = if initial.is_empty() {
                challenge(b"334 \r\n", read, write).await?
            } else {
                initial.to_owned()
            };
            let Some(plain) = decoded(&response) else {
                return Ok(None);
            };
            let mut parts = plain.split('\0').skip(1);
            Ok(match (parts.next(), parts.next()) {
                (Some(user), Some(password)) => Some((user.to_owned(), password.to_owned())),
                _ => None,
            })
        }
        "LOGIN" => {
            let user = if initial.is_empty() {
                challenge(b"334 VXNlcm5hbWU6\r\n", read, write).await?
            } else {
                initial.to_owned()
            };
            let password = challenge(b"334 UGFzc3dvcmQ6\r\n", read, write).await?;
            Ok(decoded(&user).zip(decoded(&password)))
        }
        _ => Ok(None),
    }
}

/// Standard base64 (padding optional); `None` on any other character.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for byte in text.trim().bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(
            decode_base64("AHVzZXIAcGFzcw==").as_deref(),
            Some(&b"\0user\0pass"[..])
        );
        assert_eq!(
            decode_base64("VXNlcm5hbWU6").as_deref(),
            Some(&b"Username:"[..])
        );
        assert_eq!(decode_base64("").as_deref(), Some(&b""[..]));
        assert_eq!(decode_base64("a*b"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(
            path_argument("FROM:<a@b.cn> BODY=8BITMIME", "FROM:").as_deref(),
            Some("a@b.cn")
        );
        assert_eq!(path_argument("from: <>", "FROM:").as_deref(), Some(""));
        assert_eq!(path_argument("TO:a@b", "TO:"), None);
        assert_eq!(path_argument("T", "TO:"), None);
    }
}
