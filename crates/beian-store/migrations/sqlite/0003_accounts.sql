-- Accounts (账号) and their API tokens. One applicant account ↔ one filing subject (SPEC §2).
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('applicant', 'reviewer', 'supervisor', 'administration')),
    display_name  TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL
);

-- Bearer tokens, stored as SHA-256 digests: a leaked table does not leak usable tokens.
CREATE TABLE tokens (
    digest     TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX tokens_by_account ON tokens (account_id);
