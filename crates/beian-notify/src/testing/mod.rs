//! Test support (feature `testing`): a real SMTP server and a real webhook receiver on
//! 127.0.0.1, in-process on tokio, for end-to-end tests of anything that notifies.
//!
//! Both record what they receive and are stopped when dropped. Their constructors that bind a
//! fresh port panic if 127.0.0.1 cannot be bound: in a test that is the failure to report.

mod smtp;
mod webhook;

pub use smtp::{ReceivedMail, SmtpReceiver};
pub use webhook::{RecordedRequest, WebhookReceiver};

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Lock, ignoring poisoning: a panicking test thread must not hide what was recorded.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Poll `snapshot` until it holds at least `n` items or `timeout` passes; return the last one.
async fn wait_until<T>(n: usize, timeout: Duration, snapshot: impl Fn() -> Vec<T>) -> Vec<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let items = snapshot();
        if items.len() >= n || Instant::now() >= deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A listener on `addr` with `SO_REUSEADDR`, so a stopped receiver's port can be bound again
/// at once.
fn bind_reusable(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// A loopback address with a port the OS picks.
fn any_loopback_port() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 0))
}
