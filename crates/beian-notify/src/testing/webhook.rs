//! A webhook receiver: a real HTTP/1.1 server that records requests and answers from a script.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use super::{any_loopback_port, bind_reusable, lock, wait_until};

/// One request as the receiver got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `POST`, …
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Every header in arrival order, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The full body.
    pub body: Vec<u8>,
    /// When the request's head arrived (monotonic: for measuring gaps between attempts).
    pub received_at: Instant,
    /// The same moment on the wall clock (for checking signature timestamps).
    pub received_wall: SystemTime,
    /// The status the receiver answered (or was about to answer, if the client gave up).
    pub status: u16,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as UTF-8 (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, Default)]
struct State {
    requests: Mutex<Vec<RecordedRequest>>,
    script: Mutex<VecDeque<u16>>,
    delay: Mutex<Duration>,
}

/// A real HTTP/1.1 server on 127.0.0.1 that records every request and answers with the
/// statuses of its script in order, then 200 forever. It can be stopped and started again on
/// the same port to play a receiver that is down.
///
/// Stopped when dropped.
#[derive(Debug)]
pub struct WebhookReceiver {
    addr: SocketAddr,
    state: Arc<State>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl WebhookReceiver {
    /// Start on a free loopback port. Panics if none can be bound (a test failure).
    #[allow(clippy::panic)]
    pub async fn start(script: Vec<u16>) -> WebhookReceiver {
        match Self::start_on(any_loopback_port(), script).await {
            Ok(receiver) => receiver,
            Err(e) => panic!("WebhookReceiver: cannot bind 127.0.0.1: {e}"),
        }
    }

    /// Start on `addr` (e.g. the [`addr`](Self::addr) of a stopped receiver), with a fresh
    /// request log.
    pub async fn start_on(addr: SocketAddr, script: Vec<u16>) -> std::io::Result<WebhookReceiver> {
        let listener = bind_reusable(addr)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        *lock(&state.script) = script.into();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        Ok(WebhookReceiver {
            addr,
            state,
            task: Mutex::new(Some(task)),
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Every request received so far, in order (kept across [`stop`](Self::stop) and
    /// [`restart`](Self::restart)).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// Wait until at least `n` requests have arrived or `timeout` passes; returns all received
    /// (possibly fewer than `n`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        wait_until(n, timeout, || self.requests()).await
    }

    /// Replace what is left of the script.
    pub fn set_script(&self, script: Vec<u16>) {
        *lock(&self.state.script) = script.into();
    }

    /// Wait this long before answering each later request (to play a slow receiver).
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.state.delay) = delay;
    }

    /// Stop listening and drop every open connection; the port is free when this returns.
    /// Idempotent.
    pub async fn stop(&self) {
        let task = lock(&self.task).take();
        if let Some(task) = task {
            task.abort();
            // Cancelled: the listener and the connections' JoinSet are dropped by now.
            let _ = task.await;
        }
    }

    /// Listen again on the same address, keeping the request log, script and delay.
    /// Does nothing if running.
    pub async fn restart(&self) -> std::io::Result<()> {
        if lock(&self.task).is_some() {
            return Ok(());
        }
        let listener = bind_reusable(self.addr)?;
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&self.state)));
        *lock(&self.task) = Some(task);
        Ok(())
    }

    /// Whether it is listening.
    pub fn is_running(&self) -> bool {
        lock(&self.task).is_some()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    // Owned here so aborting this task drops every connection with it.
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let _ = stream.set_nodelay(true);
                while connections.try_join_next().is_some() {}
                let state = Arc::clone(&state);
                connections.spawn(async move {
                    let service = service_fn(move |request| answer(Arc::clone(&state), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn answer(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let received_at = Instant::now();
    let received_wall = SystemTime::now();
    let (head, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let status = lock(&state.script).pop_front().unwrap_or(200);
    let delay = *lock(&state.delay);
    lock(&state.requests).push(RecordedRequest {
        method: head.method.to_string(),
        path: head
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        headers: head
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        received_at,
        received_wall,
        status,
    });
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(response)
}
