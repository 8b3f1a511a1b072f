//! Prometheus text for `/metrics`: decisions by reason, feed lag and sequence, snapshot version.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::Gate;

/// Render the gate's metrics in the Prometheus text format. `now_ms` is Unix milliseconds.
pub fn render(gate: &Gate, now_ms: u64) -> String {
    let (allowed, acme, denied) = gate.decisions();
    let s = &gate.stats;
    let mut out = String::with_capacity(2048);
    out.push_str("# HELP beian_gate_decisions_total Decisions by outcome and reason.\n");
    out.push_str("# TYPE beian_gate_decisions_total counter\n");
    let _ = writeln!(
        out,
        "beian_gate_decisions_total{{decision=\"allow\",reason=\"filed\"}} {allowed}"
    );
    let _ = writeln!(
        out,
        "beian_gate_decisions_total{{decision=\"allow\",reason=\"acme_in_progress\"}} {acme}"
    );
    for (reason, n) in denied {
        let _ = writeln!(
            out,
            "beian_gate_decisions_total{{decision=\"deny\",reason=\"{}\"}} {n}",
            reason.as_str()
        );
    }
    let last = s.feed_last_ok_ms.load(Ordering::Relaxed);
    let gauges: [(&str, &str, String); 6] = [
        (
            "beian_gate_domains",
            "Domains held by the gate.",
            gate.len().to_string(),
        ),
        (
            "beian_gate_feed_seq",
            "Change-feed sequence number the gate's set reflects.",
            gate.version().to_string(),
        ),
        (
            "beian_gate_snapshot_version",
            "Version of the last snapshot loaded.",
            s.snapshot_version.load(Ordering::Relaxed).to_string(),
        ),
        (
            "beian_gate_feed_lag_seconds",
            "Seconds since the filing server last answered the feed (-1: never).",
            if last == 0 {
                "-1".to_owned()
            } else {
                format!("{:.3}", now_ms.saturating_sub(last) as f64 / 1000.0)
            },
        ),
        (
            "beian_gate_feed_errors_total",
            "Failed feed requests.",
            s.feed_errors.load(Ordering::Relaxed).to_string(),
        ),
        (
            "beian_gate_connections",
            "Client connections open.",
            s.connections.load(Ordering::Relaxed).to_string(),
        ),
    ];
    for (name, help, value) in gauges {
        let kind = if name.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    out
}

/// Unix milliseconds now (the shell's clock; the decision never reads it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
