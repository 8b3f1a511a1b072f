//! TLS pass-through: read the ClientHello's server name without terminating TLS; splice allowed
//! connections to the upstream, replaying the bytes read; close denied ones after a fatal alert.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::serve::{Limits, accept_loop};
use crate::sni::{self, HelloError, Peek};
use crate::{Decision, Gate};

/// TLS mode settings.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// The upstream (`host:port`) that terminates TLS.
    pub upstream: String,
    pub limits: Limits,
}

/// Why reading the ClientHello stopped.
#[derive(Debug)]
enum HelloEnd {
    Name(Option<Vec<u8>>),
    Bad(HelloError),
    Closed,
    Timeout,
}

/// Read until the ClientHello is complete, within `MAX_BUFFER` bytes and the timeout.
async fn read_hello(stream: &mut TcpStream, buf: &mut Vec<u8>, limits: &Limits) -> HelloEnd {
    let work = async {
        let mut chunk = [0u8; 4096];
        loop {
            let room = sni::MAX_BUFFER.saturating_sub(buf.len());
            if room == 0 {
                return HelloEnd::Bad(HelloError::TooLarge);
            }
            let n = match stream.read(&mut chunk[..room.min(4096)]).await {
                Ok(0) | Err(_) => return HelloEnd::Closed,
                Ok(n) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            match sni::peek(buf) {
                Ok(Peek::NeedMore) => continue,
                Ok(Peek::Done(name)) => return HelloEnd::Name(name),
                Err(e) => return HelloEnd::Bad(e),
            }
        }
    };
    tokio::time::timeout(limits.hello_timeout, work)
        .await
        .unwrap_or(HelloEnd::Timeout)
}

async fn handle(mut client: TcpStream, gate: Arc<Gate>, options: Arc<TlsOptions>) {
    let mut buf = Vec::with_capacity(2048);
    let name = match read_hello(&mut client, &mut buf, &options.limits).await {
        HelloEnd::Name(n) => n,
        HelloEnd::Bad(e) => {
            gate.decide(b"");
            tracing::debug!(error = %e, "unreadable ClientHello");
            let _ = client.write_all(&sni::ALERT_DECODE_ERROR).await;
            let _ = client.shutdown().await;
            return;
        }
        HelloEnd::Closed | HelloEnd::Timeout => return,
    };
    let verdict = gate.decide(name.as_deref().unwrap_or(b""));
    if let Decision::Deny(reason) = verdict.decision {
        tracing::debug!(
            host = verdict.host.as_ref().map(|h| h.as_str()),
            reason = reason.as_str(),
            "denied"
        );
        let _ = client.write_all(&sni::ALERT_UNRECOGNIZED_NAME).await;
        let _ = client.shutdown().await;
        return;
    }
    let upstream = match tokio::time::timeout(
        options.limits.connect_timeout,
        TcpStream::connect(options.upstream.as_str()),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "upstream connect failed");
            return;
        }
        Err(_) => {
            tracing::warn!("upstream connect timed out");
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    let mut upstream = upstream;
    if upstream.write_all(&buf).await.is_err() {
        return;
    }
    drop(buf);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// Run the TLS pass-through on `listener` for ever.
pub async fn serve_tls(listener: TcpListener, gate: Arc<Gate>, options: TlsOptions) {
    let limits = options.limits.clone();
    let options = Arc::new(options);
    accept_loop(listener, Arc::clone(&gate), &limits, move |stream, _| {
        handle(stream, Arc::clone(&gate), Arc::clone(&options))
    })
    .await;
}
