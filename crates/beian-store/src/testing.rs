//! Test support (feature `testing`): which PostgreSQL server the tests of this crate and of the
//! others run on, decided once per process. With `BEIAN_TEST_PG` set (non-empty) PostgreSQL is
//! required: a test that cannot reach it fails. Without it the default server is used when
//! 127.0.0.1:5432 accepts a TCP connection within a second, and the PostgreSQL half of each test
//! is skipped, with one line on stderr, when it does not — so the tests pass, quickly, on a
//! machine without PostgreSQL.

use std::sync::OnceLock;

/// The server PostgreSQL tests run on when `BEIAN_TEST_PG` is not set.
pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_PG_ADDR: ([u8; 4], u16) = ([127, 0, 0, 1], 5432);

/// The admin URL of the PostgreSQL server to test on, or `None` to skip PostgreSQL.
pub fn postgres_admin() -> Option<&'static str> {
    static DECISION: OnceLock<Option<String>> = OnceLock::new();
    DECISION
        .get_or_init(|| {
            decide(std::env::var("BEIAN_TEST_PG").ok(), || {
                let addr = std::net::SocketAddr::from(DEFAULT_PG_ADDR);
                std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1))
                    .is_ok()
            })
        })
        .as_deref()
}

/// The decision itself: the required URL, the default when `reachable`, or nothing.
pub fn decide(required: Option<String>, reachable: impl FnOnce() -> bool) -> Option<String> {
    match required.filter(|u| !u.trim().is_empty()) {
        Some(url) => Some(url),
        None => reachable().then(|| DEFAULT_PG.to_owned()),
    }
}

/// True (after one line on stderr, past the test harness's capture) when the PostgreSQL half of
/// the test running now is to be skipped: start it with `if skip_postgres() { return; }`.
pub fn skip_postgres() -> bool {
    if postgres_admin().is_some() {
        return false;
    }
    use std::io::Write as _;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(
        std::io::stderr(),
        "{test}: skipped on PostgreSQL: not reachable at 127.0.0.1:5432 (set BEIAN_TEST_PG to require it)"
    );
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::*;

    /// Without a network: required when `BEIAN_TEST_PG` is set (the probe is not even made), the
    /// default when reachable, skipped otherwise.
    #[test]
    fn postgres_decision() {
        let never = || -> bool { panic!("no probe when BEIAN_TEST_PG is set") };
        assert_eq!(
            decide(Some("postgres://ci@db:5432/postgres".into()), never).as_deref(),
            Some("postgres://ci@db:5432/postgres")
        );
        assert_eq!(decide(None, || true).as_deref(), Some(DEFAULT_PG));
        assert_eq!(decide(None, || false), None);
        assert_eq!(decide(Some(" ".into()), || false), None);
    }
}
