-- Number assignment, product quotas and the append-only audit history: the invariants the filing
-- service rests on. Orders, subjects and websites follow in later migrations.

-- The last subject serial issued per province (备案号流水). One row per province, updated with a
-- conditional UPDATE … RETURNING so that concurrent approvals serialise on the row.
CREATE TABLE province_counters (
    province    INTEGER PRIMARY KEY CHECK (province BETWEEN 11 AND 99),
    last_serial INTEGER NOT NULL CHECK (last_serial >= 0)
);

-- Every subject number ever issued: never deleted, never reused (a second guard besides the counter).
CREATE TABLE subject_numbers (
    province   INTEGER NOT NULL,
    serial     INTEGER NOT NULL,
    number     TEXT    NOT NULL UNIQUE,
    last_site  INTEGER NOT NULL DEFAULT 0 CHECK (last_site >= 0),
    issued_at  TEXT    NOT NULL,
    PRIMARY KEY (province, serial)
);

-- Every website number ever issued.
CREATE TABLE website_numbers (
    subject_number TEXT    NOT NULL REFERENCES subject_numbers (number),
    n              INTEGER NOT NULL CHECK (n >= 1),
    number         TEXT    NOT NULL UNIQUE,
    issued_at      TEXT    NOT NULL,
    PRIMARY KEY (subject_number, n)
);

-- Product instances and their service-number quota (备案服务号). `consumed` only grows.
CREATE TABLE products (
    service_number   TEXT    PRIMARY KEY,
    kind             TEXT    NOT NULL,
    mainland         INTEGER NOT NULL CHECK (mainland IN (0, 1)),
    subscription     INTEGER NOT NULL CHECK (subscription IN (0, 1)),
    public_bandwidth INTEGER NOT NULL CHECK (public_bandwidth IN (0, 1)),
    expires          TEXT    NOT NULL,
    quota            INTEGER NOT NULL CHECK (quota >= 0),
    consumed         INTEGER NOT NULL DEFAULT 0 CHECK (consumed >= 0 AND consumed <= quota)
);

CREATE TRIGGER products_consumed_never_decreases
BEFORE UPDATE OF consumed ON products
WHEN NEW.consumed < OLD.consumed
BEGIN
    SELECT RAISE(ABORT, 'service numbers are never restored');
END;

-- The audit history (操作记录): who, when, from, to, why. Append-only.
CREATE TABLE history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    subject    TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    from_state TEXT,
    to_state   TEXT,
    reasons    TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    at         TEXT    NOT NULL
);

CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;

CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;
