-- The filing record (备案信息), the product model with service numbers, rectification notices and
-- the access gate's change feed.

-- Products are instances (a cloud server, 实例); each may be given at most `quota` service numbers
-- (备案服务号), each of which one approved website consumes, for good.
ALTER TABLE products RENAME COLUMN service_number TO instance_id;
ALTER TABLE products ADD COLUMN account TEXT;
ALTER TABLE products ADD COLUMN issued INTEGER NOT NULL DEFAULT 0 CHECK (issued >= 0);

CREATE TABLE service_numbers (
    number         TEXT PRIMARY KEY,
    instance_id    TEXT NOT NULL REFERENCES products (instance_id),
    website_number TEXT UNIQUE,
    issued_at      TEXT NOT NULL,
    consumed_at    TEXT
);
CREATE INDEX service_numbers_by_instance ON service_numbers (instance_id);

CREATE TRIGGER service_numbers_consumed_for_good
BEFORE UPDATE OF website_number ON service_numbers
WHEN OLD.website_number IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'service numbers are never restored');
END;

-- The national record kept by the built-in administration (管局备案库), across providers.
-- `credential` is the subject's normalised credential number: one filed subject per credential
-- (a cancelled subject that files again gets a new number).
CREATE TABLE record_subjects (
    subject_number  TEXT PRIMARY KEY REFERENCES subject_numbers (number),
    province        INTEGER NOT NULL,
    nature          TEXT NOT NULL,
    name            TEXT NOT NULL,
    credential_type TEXT NOT NULL,
    credential      TEXT NOT NULL,
    mobiles         TEXT NOT NULL DEFAULT '',
    account         TEXT,
    status          TEXT NOT NULL CHECK (status IN ('filed', 'cancelled', 'revoked')),
    approved_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE UNIQUE INDEX record_subjects_one_filed ON record_subjects (credential) WHERE status = 'filed';

CREATE TABLE record_websites (
    website_number TEXT PRIMARY KEY REFERENCES website_numbers (number),
    subject_number TEXT NOT NULL REFERENCES record_subjects (subject_number),
    name           TEXT NOT NULL,
    service_number TEXT,
    status         TEXT NOT NULL CHECK (status IN ('filed', 'cancelled', 'revoked')),
    approved_at    TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX record_websites_by_subject ON record_websites (subject_number);

-- A registrable domain (lower-case IDNA ASCII) belongs to at most one website on record.
CREATE TABLE record_domains (
    domain         TEXT PRIMARY KEY,
    website_number TEXT NOT NULL REFERENCES record_websites (website_number)
);
CREATE INDEX record_domains_by_website ON record_domains (website_number);

-- Which providers serve a website (接入): 'active', or 'cancelled' (取消接入; the number stays).
CREATE TABLE record_access (
    website_number TEXT NOT NULL REFERENCES record_websites (website_number),
    provider       TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('active', 'cancelled')),
    since          TEXT NOT NULL,
    PRIMARY KEY (website_number, provider)
);

-- Rectification notices (信息核查): a filed subject must rectify by a deadline, or its access
-- here is cancelled.
CREATE TABLE rectifications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_number TEXT NOT NULL REFERENCES record_subjects (subject_number),
    reason         TEXT NOT NULL,
    deadline       TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('open', 'rectified', 'overdue')),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    closed_at      TEXT
);
CREATE INDEX rectifications_open ON rectifications (state, deadline);

-- The access gate's view: each registrable domain's state, and the ordered change feed. The
-- feed's sequence numbers come from the one-row head, updated inside the writing transaction, so
-- they are handed out in commit order (a follower never sees seq n+1 before seq n).
CREATE TABLE gate_domains (
    domain TEXT PRIMARY KEY,
    state  TEXT NOT NULL CHECK (state IN ('allow', 'filed_elsewhere', 'access_cancelled', 'revoked')),
    seq    INTEGER NOT NULL
);

CREATE TABLE gate_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
);
INSERT INTO gate_head (id, last_seq) VALUES (1, 0);

CREATE TABLE gate_changes (
    seq    INTEGER PRIMARY KEY,
    domain TEXT NOT NULL,
    state  TEXT NOT NULL CHECK (state IN ('allow', 'filed_elsewhere', 'access_cancelled', 'revoked', 'not_filed')),
    at     TEXT NOT NULL
);
