-- Accounts (账号) and their API tokens. One applicant account ↔ one filing subject (SPEC §2).
CREATE TABLE accounts (
    id            BIGSERIAL   PRIMARY KEY,
    login         TEXT        NOT NULL UNIQUE,
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('applicant', 'reviewer', 'supervisor', 'administration')),
    display_name  TEXT        NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL
);

-- Bearer tokens, stored as SHA-256 digests: a leaked table does not leak usable tokens.
CREATE TABLE tokens (
    digest     TEXT        PRIMARY KEY,
    account_id BIGINT      NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tokens_by_account ON tokens (account_id);
