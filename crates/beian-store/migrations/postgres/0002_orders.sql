-- Filing orders (备案订单): the state of SPEC §5 with an optimistic version, and the rule that a
-- credential has at most one order in progress, enforced by a partial unique index.
CREATE TABLE orders (
    id                    BIGSERIAL   PRIMARY KEY,
    account               TEXT        NOT NULL,
    filing_type           TEXT        NOT NULL,
    province              SMALLINT    NOT NULL,
    credential            TEXT        NOT NULL,
    state                 TEXT        NOT NULL,
    in_progress           BOOLEAN     NOT NULL DEFAULT FALSE,
    version               INTEGER     NOT NULL DEFAULT 0,
    application           TEXT        NOT NULL,
    first_submitted_at    TIMESTAMPTZ,
    sms_started_at        TIMESTAMPTZ,
    uploads_started       BOOLEAN     NOT NULL DEFAULT FALSE,
    verification_complete BOOLEAN     NOT NULL DEFAULT FALSE,
    subject_number        TEXT REFERENCES subject_numbers (number),
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX orders_one_in_progress_per_credential ON orders (credential) WHERE in_progress;
CREATE INDEX orders_by_account ON orders (account);
CREATE INDEX orders_by_state ON orders (state);
