-- The audit trail: every staff action and every staff read of an application or a document
-- (who, what, when, from where, and how it ended), append-only, read by supervisors.
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    role   TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    ip     TEXT NOT NULL DEFAULT '',
    status INTEGER NOT NULL
);
CREATE INDEX audit_by_actor ON audit (actor, id);
CREATE INDEX audit_by_target ON audit (target, id);
