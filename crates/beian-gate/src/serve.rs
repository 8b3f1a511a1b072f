//! What every mode shares: limits, the accept loop with its connection bound, the metrics
//! endpoint.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::Gate;

/// Bounds on everything a client can make the gate hold.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Client connections open at once; beyond it the gate stops accepting until one closes.
    pub max_connections: usize,
    /// Time for a client to send a request's headers (also the keep-alive idle time).
    pub header_timeout: Duration,
    /// Largest request head (request line and headers), bytes; larger gets 431.
    pub max_header_bytes: usize,
    /// Time for a TLS client to send its whole ClientHello.
    pub hello_timeout: Duration,
    /// Time to connect to the upstream.
    pub connect_timeout: Duration,
    /// Time for the upstream to answer a request's head (proxy mode).
    pub upstream_timeout: Duration,
    /// A spliced TLS connection on which neither side has sent a byte for this long is closed.
    pub idle_timeout: Duration,
    /// Largest request body the proxy forwards (`None`: no limit, the upstream's own applies):
    /// a larger declared length is answered 413 before anything is forwarded, and a streamed body
    /// that grows past it is cut off.
    pub max_body_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 10_000,
            header_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            hello_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            upstream_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(300),
            max_body_bytes: None,
        }
    }
}

/// Accept connections for ever, at most `limits.max_connections` at once, each handled by
/// `handle` on its own task.
pub async fn accept_loop<F, Fut>(listener: TcpListener, gate: Arc<Gate>, limits: &Limits, handle: F)
where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let gate = Arc::clone(&gate);
        gate.stats.connections.fetch_add(1, Ordering::Relaxed);
        let work = handle(stream, peer);
        tokio::spawn(async move {
            work.await;
            gate.stats.connections.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
}

/// An HTTP/1.1 and HTTP/2 (prior knowledge) connection builder with the limits applied.
pub fn http_builder(limits: &Limits) -> hyper_util::server::conn::auto::Builder<TokioExecutor> {
    let mut b = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(Some(Duration::from_secs(30)));
    b
}

/// An HTTP/1.1-only connection builder with the limits applied (the proxy: clients reach it in
/// clear text, where browsers speak HTTP/1.1; no protocol sniffing per connection).
pub fn http1_builder(limits: &Limits) -> hyper::server::conn::http1::Builder {
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    b
}

/// Bind `count` listening sockets to one address with `SO_REUSEPORT`, so that one worker thread
/// per core can accept on its own socket (the kernel spreads connections). Port 0 is resolved by
/// the first socket. Each listener is returned in non-blocking std form, to be registered with
/// the runtime of the thread that serves it. Call it from within a Tokio runtime.
pub fn bind_reuseport(addr: &str, count: usize) -> std::io::Result<Vec<std::net::TcpListener>> {
    use std::net::ToSocketAddrs as _;
    let mut target = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))?;
    let mut out = Vec::with_capacity(count.max(1));
    for _ in 0..count.max(1) {
        let socket = if target.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        #[cfg(unix)]
        socket.set_reuseport(true)?;
        socket.bind(target)?;
        let listener = socket.listen(4096)?;
        target = listener.local_addr()?;
        out.push(listener.into_std()?);
    }
    Ok(out)
}

/// Serve `GET /metrics` (Prometheus text) on `listener`.
pub async fn serve_metrics(listener: TcpListener, gate: Arc<Gate>) {
    let limits = Limits {
        max_connections: 64,
        ..Limits::default()
    };
    let builder = Arc::new(http_builder(&limits));
    accept_loop(listener, Arc::clone(&gate), &limits, move |stream, _| {
        let gate = Arc::clone(&gate);
        let builder = Arc::clone(&builder);
        async move {
            let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                let gate = Arc::clone(&gate);
                async move {
                    let resp = if req.uri().path() == "/metrics" {
                        Response::builder()
                            .header("content-type", "text/plain; version=0.0.4")
                            .body(Full::new(Bytes::from(crate::metrics::render(
                                &gate,
                                crate::metrics::now_ms(),
                            ))))
                    } else {
                        Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Full::new(Bytes::from_static(b"not found\n")))
                    };
                    Ok::<_, Infallible>(resp.unwrap_or_default())
                }
            });
            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
        }
    })
    .await;
}
