-- Idempotency keys: a retried mutating request (same account, same key) gets the first response
-- instead of being applied twice. A row is claimed before the request runs (status 0) and filled
-- with the response after.
CREATE TABLE idempotency_keys (
    account    TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    request    TEXT    NOT NULL,
    status     INTEGER NOT NULL DEFAULT 0,
    body       TEXT    NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account, key)
);
