-- Filing orders (备案订单): the state of SPEC §5 with an optimistic version, and the rule that a
-- credential has at most one order in progress, enforced by a partial unique index.
CREATE TABLE orders (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    account               TEXT    NOT NULL,
    filing_type           TEXT    NOT NULL,
    province              INTEGER NOT NULL,
    credential            TEXT    NOT NULL,
    state                 TEXT    NOT NULL,
    in_progress           INTEGER NOT NULL DEFAULT 0 CHECK (in_progress IN (0, 1)),
    version               INTEGER NOT NULL DEFAULT 0,
    application           TEXT    NOT NULL,
    first_submitted_at    TEXT,
    sms_started_at        TEXT,
    uploads_started       INTEGER NOT NULL DEFAULT 0 CHECK (uploads_started IN (0, 1)),
    verification_complete INTEGER NOT NULL DEFAULT 0 CHECK (verification_complete IN (0, 1)),
    subject_number        TEXT REFERENCES subject_numbers (number),
    created_at            TEXT    NOT NULL,
    updated_at            TEXT    NOT NULL
);

CREATE UNIQUE INDEX orders_one_in_progress_per_credential ON orders (credential) WHERE in_progress = 1;
CREATE INDEX orders_by_account ON orders (account);
CREATE INDEX orders_by_state ON orders (state);
