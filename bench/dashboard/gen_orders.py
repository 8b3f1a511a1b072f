#!/usr/bin/env python3
"""Add N generated orders, with their history, to a beian SQLite database (for the dashboard's
benchmark): states in realistic shares, the 31 provinces, steps hours apart over the last year.

    beian demo --database sqlite:///tmp/dash/demo.db ...   # once: the schema and the demo logins
    python3 bench/dashboard/gen_orders.py 100000 /tmp/dash/demo.db

Writes directly with sqlite3 in one transaction (seconds for 100,000 orders); the timestamps are
written as the server writes them (RFC 3339, UTC, nanoseconds).
"""
import random
import sqlite3
import sys
from datetime import datetime, timedelta, timezone

PROVINCES = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
             46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65]
# The path to each end state, as (action, from, to) steps.
PATH = [
    ("Submit", "draft", "provider_review"),
    ("ProviderPass", "provider_review", "verification"),
    ("CompleteVerification", "verification", "ready_for_administration"),
    ("SubmitToAdministration", "ready_for_administration", "administration_review"),
    ("AdministrationApprove", "administration_review", "approved"),
]
# (state, share, steps taken along PATH)
STATES = [("approved", 0.60, 5), ("draft", 0.08, 0), ("provider_review", 0.08, 1),
          ("verification", 0.08, 2), ("ready_for_administration", 0.04, 3),
          ("administration_review", 0.07, 4), ("withdrawn", 0.05, 1)]
IN_PROGRESS = {"provider_review", "verification", "ready_for_administration", "administration_review"}


def stamp(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond * 1000:09d}Z"


def main():
    n, path = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261204)
    now = datetime.now(timezone.utc)
    db = sqlite3.connect(path)
    cur = db.cursor()
    (start,) = cur.execute("SELECT COALESCE(MAX(id), 0) FROM orders").fetchone()
    orders, history = [], []
    weights = [s[1] for s in STATES]
    for i in range(1, n + 1):
        oid = start + i
        state, _, steps = rng.choices(STATES, weights)[0]
        t = now - timedelta(days=rng.uniform(0, 365))
        created = t
        events = []
        for action, frm, to in PATH[:steps]:
            events.append((action, frm, to, t))
            t += timedelta(hours=rng.expovariate(1 / (60 if frm == "administration_review" else 8)))
        if state == "withdrawn":
            events.append(("Withdraw", "provider_review", "withdrawn", t))
        updated = events[-1][3] if events else created
        orders.append((oid, f"gen-{oid % 5000}", "initial", rng.choice(PROVINCES), f"GEN{oid:012d}",
                       state, 1 if state in IN_PROGRESS else 0, "{}", stamp(events[0][3]) if events else None,
                       stamp(created), stamp(updated)))
        for action, frm, to, at in events:
            history.append((f"order:{oid}", "account:1", action, frm, to, stamp(at)))
    cur.executemany(
        "INSERT INTO orders (id, account, filing_type, province, credential, state, in_progress, application, "
        "first_submitted_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", orders)
    cur.executemany(
        "INSERT INTO history (subject, actor, action, from_state, to_state, at) VALUES (?, ?, ?, ?, ?, ?)", history)
    db.commit()
    print(f"{len(orders)} orders, {len(history)} history entries")


if __name__ == "__main__":
    main()
