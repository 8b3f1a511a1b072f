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
    splice(&mut client, &mut upstream, options.limits.idle_timeout).await;
}

/// Copy both ways until both sides have finished, or until neither has sent a byte for `idle`
/// (a held-open connection must not pin a slot for ever).
pub(crate) async fn splice(a: &mut TcpStream, b: &mut TcpStream, idle: std::time::Duration) {
    use tokio::io::AsyncReadExt as _;
    let (mut a_read, mut a_write) = a.split();
    let (mut b_read, mut b_write) = b.split();
    let mut a_buf = vec![0u8; 16 * 1024];
    let mut b_buf = vec![0u8; 16 * 1024];
    let (mut a_open, mut b_open) = (true, true);
    while a_open || b_open {
        let step = tokio::time::timeout(idle, async {
            tokio::select! {
                r = a_read.read(&mut a_buf), if a_open => match r {
                    Ok(0) | Err(_) => {
                        let _ = b_write.shutdown().await;
                        Ok((false, true))
                    }
                    Ok(n) => b_write.write_all(&a_buf[..n]).await.map(|()| (true, true)),
                },
                r = b_read.read(&mut b_buf), if b_open => match r {
                    Ok(0) | Err(_) => {
                        let _ = a_write.shutdown().await;
                        Ok((true, false))
                    }
                    Ok(n) => a_write.write_all(&b_buf[..n]).await.map(|()| (true, true)),
                },
            }
        })
        .await;
        match step {
            Ok(Ok((a_still, b_still))) => {
                a_open &= a_still;
                b_open &= b_still;
            }
            // A write failed, or nothing moved for `idle`: close both.
            Ok(Err(_)) | Err(_) => break,
        }
    }
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

#[cfg(test)]
mod splice_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::time::{Duration, Instant};

    /// A connected pair of TCP streams on loopback.
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (a, b) = tokio::join!(TcpStream::connect(addr), listener.accept());
        (a.unwrap(), b.unwrap().0)
    }

    #[tokio::test]
    async fn bytes_flow_both_ways_and_a_close_is_passed_on() {
        let (mut client, mut gate_side) = pair().await;
        let (mut upstream_side, mut upstream) = pair().await;
        let splicing = tokio::spawn(async move {
            splice(&mut gate_side, &mut upstream_side, Duration::from_secs(5)).await;
        });
        client.write_all(b"hello upstream").await.unwrap();
        let mut buf = [0u8; 14];
        upstream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello upstream");
        upstream.write_all(b"hello client").await.unwrap();
        let mut buf = [0u8; 12];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello client");
        drop(client);
        let mut rest = Vec::new();
        upstream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        drop(upstream);
        tokio::time::timeout(Duration::from_secs(2), splicing)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed() {
        let (mut client, mut gate_side) = pair().await;
        let (mut upstream_side, _upstream) = pair().await;
        let started = Instant::now();
        let splicing = tokio::spawn(async move {
            splice(
                &mut gate_side,
                &mut upstream_side,
                Duration::from_millis(200),
            )
            .await;
        });
        tokio::time::timeout(Duration::from_secs(3), splicing)
            .await
            .unwrap()
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(200));
        // The client sees the connection closed.
        let mut buf = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(2), client.read(&mut buf))
            .await
            .unwrap()
            .unwrap_or(0);
        assert_eq!(n, 0);
    }
}
