//! The access gate (接入闸门, SPEC §9): a provider serves a domain from its mainland servers only
//! when the domain's filing is approved and accessed here.
//!
//! The decision is a pure function of the host and a domain set: normalise the host
//! ([`host`]), take its registrable domain (public suffix list plus the MIIT overlay,
//! `beian_domain::SuffixList`), look it up ([`set`]), allow or deny with a [`Reason`]. The set is
//! fed by a [`snapshot`] and then by the filing server's change [`feed`]; [`Gate`] holds it behind
//! an `ArcSwap` so that decisions never wait for an update. The network shells ([`proxy`],
//! [`tls`], [`authz`]) use nothing but [`Gate::decide`].

pub mod feed;
pub mod host;
pub mod metrics;
pub mod page;
pub mod proxy;
pub mod serve;
pub mod set;
pub mod snapshot;
pub mod sni;
pub mod source;
pub mod suffix;
pub mod testdata;
pub mod tls;

pub mod authz {
    //! The authorization endpoint (nginx `auth_request`, Envoy `ext_authz` over HTTP).
    pub use crate::proxy::{AuthzOptions, serve_authz};
}

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;

pub use host::{Host, HostError};
pub use snapshot::{Snapshot, SnapshotError};

/// The state of a registrable domain at this provider. Absence from the set is `not_filed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DomainState {
    /// An approved website whose access is active here.
    Allow,
    /// Filed, but accessed at another provider (needs `transfer`).
    FiledElsewhere,
    /// The access here was cancelled.
    AccessCancelled,
    /// The filing was revoked.
    Revoked,
}

impl DomainState {
    /// All states, in code order.
    pub const ALL: [DomainState; 4] = [
        DomainState::Allow,
        DomainState::FiledElsewhere,
        DomainState::AccessCancelled,
        DomainState::Revoked,
    ];

    /// The wire name (`allow`, `filed_elsewhere`, `access_cancelled`, `revoked`).
    pub fn as_str(&self) -> &'static str {
        match self {
            DomainState::Allow => "allow",
            DomainState::FiledElsewhere => "filed_elsewhere",
            DomainState::AccessCancelled => "access_cancelled",
            DomainState::Revoked => "revoked",
        }
    }

    /// Parse a wire name; `not_filed` and anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "allow" => Some(DomainState::Allow),
            "filed_elsewhere" => Some(DomainState::FiledElsewhere),
            "access_cancelled" => Some(DomainState::AccessCancelled),
            "revoked" => Some(DomainState::Revoked),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            DomainState::Allow => 0,
            DomainState::FiledElsewhere => 1,
            DomainState::AccessCancelled => 2,
            DomainState::Revoked => 3,
        }
    }

    pub(crate) fn from_code(code: u8) -> Self {
        match code & 3 {
            0 => DomainState::Allow,
            1 => DomainState::FiledElsewhere,
            2 => DomainState::AccessCancelled,
            _ => DomainState::Revoked,
        }
    }
}

/// Why a host is denied. The wire names are stable: they appear in `X-Beian-Deny`, in the
/// metrics and on the block page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The registrable domain is not filed here (or is a public suffix itself).
    NotFiled,
    /// Filed, accessed at another provider.
    FiledElsewhere,
    /// Access at this provider cancelled.
    AccessCancelled,
    /// Filing revoked.
    Revoked,
    /// The host is an IP address.
    IpAddress,
    /// No host, or not a domain name.
    InvalidHost,
}

impl Reason {
    /// All reasons, in metric order.
    pub const ALL: [Reason; 6] = [
        Reason::NotFiled,
        Reason::FiledElsewhere,
        Reason::AccessCancelled,
        Reason::Revoked,
        Reason::IpAddress,
        Reason::InvalidHost,
    ];

    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::NotFiled => "not_filed",
            Reason::FiledElsewhere => "filed_elsewhere",
            Reason::AccessCancelled => "access_cancelled",
            Reason::Revoked => "revoked",
            Reason::IpAddress => "ip_address",
            Reason::InvalidHost => "invalid_host",
        }
    }

    fn index(self) -> usize {
        match self {
            Reason::NotFiled => 0,
            Reason::FiledElsewhere => 1,
            Reason::AccessCancelled => 2,
            Reason::Revoked => 3,
            Reason::IpAddress => 4,
            Reason::InvalidHost => 5,
        }
    }
}

/// The answer for one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Let through only because it is an ACME HTTP-01 challenge of a filing in progress.
    AllowAcme,
    Deny(Reason),
}

impl Decision {
    /// Allowed (including the ACME exception)?
    pub fn is_allow(&self) -> bool {
        !matches!(self, Decision::Deny(_))
    }
}

/// A decision with the normalised host it was made for (when there was one).
#[derive(Clone, Debug)]
pub struct Verdict {
    pub decision: Decision,
    pub host: Option<Host>,
}

/// The path prefix of ACME HTTP-01 challenges (RFC 8555 §8.3).
pub const ACME_PREFIX: &str = "/.well-known/acme-challenge/";

/// Is this path exactly an ACME HTTP-01 challenge: the prefix and one token of base64url
/// characters (RFC 8555 §8.1, §8.3)? Nothing else (no `..`, no percent-encoding, no further
/// segment) may ride on the exception to reach the upstream.
pub fn is_acme_challenge(path: &[u8]) -> bool {
    match path.strip_prefix(ACME_PREFIX.as_bytes()) {
        Some(token) => {
            !token.is_empty()
                && token.len() <= 256
                && token
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        }
        None => false,
    }
}

/// Overlay entries kept before the base table is rebuilt.
pub const MAX_OVERLAY: usize = 65_536;

/// Decision counters and feed status, read by `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    allowed: AtomicU64,
    allowed_acme: AtomicU64,
    denied: [AtomicU64; 6],
    /// Unix milliseconds of the last answer from the feed (0: never).
    pub feed_last_ok_ms: AtomicU64,
    /// Failed feed requests.
    pub feed_errors: AtomicU64,
    /// Snapshot loads.
    pub snapshot_loads: AtomicU64,
    /// Version of the last snapshot loaded.
    pub snapshot_version: AtomicU64,
    /// Connections open now.
    pub connections: AtomicU64,
}

impl Stats {
    fn counter(&self, d: Decision) -> &AtomicU64 {
        match d {
            Decision::Allow => &self.allowed,
            Decision::AllowAcme => &self.allowed_acme,
            Decision::Deny(r) => &self.denied[r.index()],
        }
    }
}

/// The gate: a domain set behind an atomic pointer, the fingerprint key, the optional ACME
/// exception list, and counters.
#[derive(Debug)]
pub struct Gate {
    fingerprints: set::Fingerprinter,
    view: ArcSwap<set::View>,
    /// Registrable domains whose ACME HTTP-01 challenges pass (filings in progress); none when
    /// the exception is off. Swapped whole when the list is refreshed from the filing server.
    acme: arc_swap::ArcSwapOption<set::Table>,
    suffixes: &'static suffix::Suffixes,
    /// Counters for `/metrics`.
    pub stats: Stats,
}

/// A normalised host, or the decision for a host that is not a domain name.
#[inline]
fn normalised(raw_host: &[u8]) -> Result<Host, Decision> {
    host::normalize_bytes(raw_host).map_err(|e| match e {
        HostError::IpAddress => Decision::Deny(Reason::IpAddress),
        _ => Decision::Deny(Reason::InvalidHost),
    })
}

/// The decision for a registrable domain's state (absent: not filed).
#[inline]
fn decision_of(state: Option<DomainState>) -> Decision {
    match state {
        Some(DomainState::Allow) => Decision::Allow,
        Some(DomainState::FiledElsewhere) => Decision::Deny(Reason::FiledElsewhere),
        Some(DomainState::AccessCancelled) => Decision::Deny(Reason::AccessCancelled),
        Some(DomainState::Revoked) => Decision::Deny(Reason::Revoked),
        None => Decision::Deny(Reason::NotFiled),
    }
}

/// The last `n` labels of a name (`n` ≥ 1), or `None` when it has fewer.
#[inline]
fn last_labels(name: &str, n: usize) -> Option<&str> {
    let mut start = name.len();
    for _ in 1..n {
        start = suffix::last_dot(&name[..start])?;
    }
    Some(match suffix::last_dot(&name[..start]) {
        Some(i) => &name[i + 1..],
        None => name,
    })
}

/// Decisions counted locally and added to the shared counters once (batches).
#[derive(Default)]
struct Tally {
    allowed: u64,
    allowed_acme: u64,
    denied: [u64; 6],
}

impl Tally {
    fn add(&mut self, d: Decision) {
        match d {
            Decision::Allow => self.allowed += 1,
            Decision::AllowAcme => self.allowed_acme += 1,
            Decision::Deny(r) => self.denied[r.index()] += 1,
        }
    }

    fn flush(&self, stats: &Stats) {
        let add = |c: &AtomicU64, n: u64| {
            if n > 0 {
                c.fetch_add(n, Ordering::Relaxed);
            }
        };
        add(&stats.allowed, self.allowed);
        add(&stats.allowed_acme, self.allowed_acme);
        for (c, n) in stats.denied.iter().zip(self.denied) {
            add(c, n);
        }
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}

impl Gate {
    /// An empty gate (denies everything until loaded).
    pub fn new() -> Gate {
        Gate {
            fingerprints: set::Fingerprinter::default(),
            view: ArcSwap::from_pointee(set::View::default()),
            acme: arc_swap::ArcSwapOption::empty(),
            suffixes: suffix::Suffixes::miit(),
            stats: Stats::default(),
        }
    }

    /// A gate holding `domains` (normalised registrable names) with their states.
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = (&'a str, DomainState)>,
        version: u64,
    ) -> Gate {
        let gate = Gate::new();
        gate.replace(entries, version);
        gate
    }

    /// Let `/.well-known/acme-challenge/` through for these registrable domains (filings in
    /// progress), replacing the previous list. Off unless called.
    pub fn set_acme_in_progress<'a>(&self, domains: impl IntoIterator<Item = &'a str>) {
        let entries = domains
            .into_iter()
            .map(|d| set::pack(self.fingerprints.fingerprint(d), DomainState::Allow))
            .collect();
        self.acme.store(Some(Arc::new(set::Table::build(entries))));
    }

    /// Domains in the ACME exception list (0 when it is off).
    pub fn acme_len(&self) -> usize {
        self.acme.load().as_ref().map_or(0, |t| t.len())
    }

    /// Replace the whole set (a snapshot).
    pub fn replace<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a str, DomainState)>,
        version: u64,
    ) {
        let packed: Vec<u64> = entries
            .into_iter()
            .map(|(d, s)| set::pack(self.fingerprints.fingerprint(d), s))
            .collect();
        self.view
            .store(Arc::new(set::View::from_entries(packed, version)));
    }

    /// Replace the whole set from a decoded snapshot.
    pub fn load_snapshot(&self, snapshot: &Snapshot) {
        let mut packed = Vec::with_capacity(snapshot.len());
        snapshot.visit(|d, s| packed.push(set::pack(self.fingerprints.fingerprint(d), s)));
        self.view.store(Arc::new(set::View::from_entries(
            packed,
            snapshot.version(),
        )));
        self.stats.snapshot_loads.fetch_add(1, Ordering::Relaxed);
        self.stats
            .snapshot_version
            .store(snapshot.version(), Ordering::Relaxed);
    }

    /// Apply changes (`None` removes) and move to `version`. Idempotent: applying the same
    /// changes twice leaves the same set.
    pub fn apply<'a>(
        &self,
        changes: impl IntoIterator<Item = (&'a str, Option<DomainState>)>,
        version: u64,
    ) {
        let fps: Vec<(u64, Option<DomainState>)> = changes
            .into_iter()
            .map(|(d, s)| (self.fingerprints.fingerprint(d), s))
            .collect();
        // Read-copy-update: a concurrent `apply` is retried on the newer view, never lost.
        self.view
            .rcu(|current| current.with_changes(fps.iter().copied(), version, MAX_OVERLAY));
    }

    /// The feed sequence number the set reflects.
    pub fn version(&self) -> u64 {
        self.view.load().version()
    }

    /// Domains held.
    pub fn len(&self) -> usize {
        self.view.load().len()
    }

    /// True when no domain is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The state of a normalised registrable domain.
    pub fn state(&self, registrable: &str) -> Option<DomainState> {
        self.view
            .load()
            .get(self.fingerprints.fingerprint(registrable))
    }

    /// Decide for a raw host (header value, authority or server name). Counts the decision.
    #[inline]
    pub fn decide(&self, raw_host: &[u8]) -> Verdict {
        let verdict = self.decide_uncounted(raw_host, None);
        self.count(verdict.decision);
        verdict
    }

    /// Decide for a request: as [`Gate::decide`], plus the ACME exception when enabled and the
    /// path is a challenge.
    #[inline]
    pub fn decide_request(&self, raw_host: &[u8], path: &[u8]) -> Verdict {
        let verdict = self.decide_uncounted(raw_host, Some(path));
        self.count(verdict.decision);
        verdict
    }

    /// The decision without touching the counters (benchmarks, `beian gate check`).
    pub fn decide_uncounted(&self, raw_host: &[u8], path: Option<&[u8]>) -> Verdict {
        let host = match normalised(raw_host) {
            Ok(h) => h,
            Err(decision) => {
                return Verdict {
                    decision,
                    host: None,
                };
            }
        };
        let view = self.view.load();
        let name = host.as_str();
        // The registrable domain is almost always the last two or the last three labels. Both
        // candidates' table lines are requested before the suffix list says which it is, so that
        // the memory access (the larger part of a decision on a big set) overlaps that work.
        let two = last_labels(name, 2).unwrap_or(name);
        let three = last_labels(name, 3);
        let fp_two = self.fingerprints.fingerprint(two);
        view.prefetch(fp_two);
        let fp_three = three.map(|t| {
            let fp = self.fingerprints.fingerprint(t);
            view.prefetch(fp);
            fp
        });
        let Some(registrable) = self.suffixes.registrable(name) else {
            // The host is a public suffix itself (`com.cn`): nothing to be filed.
            return Verdict {
                decision: Decision::Deny(Reason::NotFiled),
                host: Some(host),
            };
        };
        let fp = match fp_three {
            _ if registrable.len() == two.len() => fp_two,
            Some(fp) if three.is_some_and(|t| t.len() == registrable.len()) => fp,
            _ => self.fingerprints.fingerprint(registrable),
        };
        let decision = match decision_of(view.get(fp)) {
            Decision::Deny(reason) => {
                let acme = path.is_some_and(is_acme_challenge)
                    && self
                        .acme
                        .load()
                        .as_ref()
                        .is_some_and(|t| t.get(fp).is_some());
                if acme {
                    Decision::AllowAcme
                } else {
                    Decision::Deny(reason)
                }
            }
            allow => allow,
        };
        Verdict {
            decision,
            host: Some(host),
        }
    }

    /// Decide for many hosts at once, appending one decision per host to `out` in order, and
    /// count them. The answers are those of [`Gate::decide`] (without the ACME exception, which
    /// needs a request path), all from one version of the set. Hosts go through in groups whose
    /// table lookups are requested together, so that their memory accesses overlap instead of
    /// following one another: for lists of hosts (`beian gate check`, audits of a provider's
    /// hosted domains), about twice the throughput of one call per host on a large set.
    pub fn decide_batch<H: AsRef<[u8]>>(&self, hosts: &[H], out: &mut Vec<Decision>) {
        /// Lookups in flight at once: enough to cover a memory access with the work of the
        /// others, few enough to stay within the core's outstanding-miss buffers.
        const GROUP: usize = 16;
        let view = self.view.load();
        let mut tally = Tally::default();
        out.reserve(hosts.len());
        for group in hosts.chunks(GROUP) {
            let mut pending = [Err(Decision::Allow); GROUP];
            for (slot, raw) in pending.iter_mut().zip(group) {
                *slot = self.fingerprint_host(raw.as_ref());
                if let Ok(fp) = *slot {
                    view.prefetch(fp);
                }
            }
            for slot in &pending[..group.len()] {
                let decision = match *slot {
                    Ok(fp) => decision_of(view.get(fp)),
                    Err(decision) => decision,
                };
                tally.add(decision);
                out.push(decision);
            }
        }
        tally.flush(&self.stats);
    }

    /// The fingerprint of a raw host's registrable domain, or the decision when there is none.
    #[inline]
    fn fingerprint_host(&self, raw_host: &[u8]) -> Result<u64, Decision> {
        let host = normalised(raw_host)?;
        match self.suffixes.registrable(host.as_str()) {
            Some(registrable) => Ok(self.fingerprints.fingerprint(registrable)),
            None => Err(Decision::Deny(Reason::NotFiled)),
        }
    }

    fn count(&self, d: Decision) {
        self.stats.counter(d).fetch_add(1, Ordering::Relaxed);
    }

    /// Decisions so far: (allowed, allowed by the ACME exception, denied by reason).
    pub fn decisions(&self) -> (u64, u64, Vec<(Reason, u64)>) {
        (
            self.stats.allowed.load(Ordering::Relaxed),
            self.stats.allowed_acme.load(Ordering::Relaxed),
            Reason::ALL
                .iter()
                .map(|r| (*r, self.stats.denied[r.index()].load(Ordering::Relaxed)))
                .collect(),
        )
    }

    /// Bytes held by the base table (for the memory benchmark).
    pub fn table_bytes(&self) -> usize {
        self.view.load().table_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acme_challenges_only() {
        assert!(is_acme_challenge(
            b"/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
        ));
        assert!(!is_acme_challenge(b"/.well-known/acme-challenge/"));
        assert!(!is_acme_challenge(
            b"/.well-known/acme-challenge/../../admin"
        ));
        assert!(!is_acme_challenge(
            b"/.well-known/acme-challenge/%2e%2e/admin"
        ));
        assert!(!is_acme_challenge(b"/.well-known/acme-challenge/a/b"));
        assert!(!is_acme_challenge(b"/admin"));
        let gate = Gate::from_entries([("filed.cn", DomainState::Allow)], 1);
        gate.set_acme_in_progress(["pending.cn"]);
        let d = |h: &[u8], p: &[u8]| gate.decide_uncounted(h, Some(p)).decision;
        assert_eq!(
            d(b"www.pending.cn", b"/.well-known/acme-challenge/tok3n"),
            Decision::AllowAcme
        );
        assert_eq!(
            d(b"www.pending.cn", b"/.well-known/acme-challenge/../secret"),
            Decision::Deny(Reason::NotFiled)
        );
        assert_eq!(
            d(b"other.cn", b"/.well-known/acme-challenge/tok3n"),
            Decision::Deny(Reason::NotFiled)
        );
    }

    #[test]
    fn last_labels_of_names() {
        assert_eq!(last_labels("a.b.c.d", 2), Some("c.d"));
        assert_eq!(last_labels("a.b.c.d", 3), Some("b.c.d"));
        assert_eq!(last_labels("c.d", 2), Some("c.d"));
        assert_eq!(last_labels("c.d", 3), None);
        assert_eq!(last_labels("d", 1), Some("d"));
    }

    /// The one-host path (speculative prefetches) and the batch path answer as the reference
    /// does: normalise, registrable domain by beian-domain, look the domain up.
    #[test]
    fn single_and_batch_decisions_agree_with_the_reference() {
        let filed = [
            "example.cn",
            "example.com.cn",
            "bj.example.gov.cn",
            "x.github.io",
            "bar.c.kawasaki.jp",
        ];
        let gate = Gate::from_entries(
            filed
                .iter()
                .map(|d| (*d, DomainState::Allow))
                .chain([("gone.cn", DomainState::Revoked)]),
            1,
        );
        let hosts: Vec<String> = [
            "example.cn",
            "WWW.Example.CN:443",
            "a.b.example.com.cn",
            "com.cn",
            "cn",
            "example.gov.cn",
            "bj.example.gov.cn",
            "a.bj.example.gov.cn",
            "x.github.io",
            "github.io",
            "io",
            "www.gone.cn",
            "1.2.3.4",
            "[::1]:80",
            "exa mple.cn",
            "",
            "例子.中国",
            "www.example.cn.",
            "a.b.c.d.e.example.cn",
            "example.com",
            "foo.bar.c.kawasaki.jp",
            "www.city.kawasaki.jp",
        ]
        .iter()
        .map(|h| h.to_string())
        .chain((0..500).map(crate::testdata::domain))
        .collect();
        let mut batch = Vec::new();
        gate.decide_batch(&hosts, &mut batch);
        assert_eq!(batch.len(), hosts.len());
        for (h, b) in hosts.iter().zip(&batch) {
            let single = gate.decide_uncounted(h.as_bytes(), None).decision;
            let reference = match host::normalize(h) {
                Err(HostError::IpAddress) => Decision::Deny(Reason::IpAddress),
                Err(_) => Decision::Deny(Reason::InvalidHost),
                Ok(n) => match beian_domain::SuffixList::miit().registrable(n.as_str()) {
                    Ok(r) => decision_of(gate.state(r)),
                    Err(_) => Decision::Deny(Reason::NotFiled),
                },
            };
            assert_eq!(single, reference, "{h}");
            assert_eq!(*b, reference, "{h}");
        }
        // Registrable domains of two, three and four labels (`*.kawasaki.jp`).
        for h in [
            "www.example.cn",
            "a.b.example.com.cn",
            "foo.bar.c.kawasaki.jp",
        ] {
            assert_eq!(
                gate.decide_uncounted(h.as_bytes(), None).decision,
                Decision::Allow,
                "{h}"
            );
        }
        let (allowed, _, denied) = gate.decisions();
        assert_eq!(
            allowed as usize,
            batch.iter().filter(|d| d.is_allow()).count()
        );
        assert_eq!(
            denied.iter().map(|(_, n)| *n as usize).sum::<usize>(),
            batch.iter().filter(|d| !d.is_allow()).count()
        );
    }

    #[test]
    fn states_round_trip() {
        for s in DomainState::ALL {
            assert_eq!(DomainState::parse(s.as_str()), Some(s));
            assert_eq!(DomainState::from_code(s.code()), s);
        }
        assert_eq!(DomainState::parse("not_filed"), None);
    }
}
