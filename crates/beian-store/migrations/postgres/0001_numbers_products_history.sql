-- Number assignment, product quotas and the append-only audit history: the invariants the filing
-- service rests on. Orders, subjects and websites follow in later migrations.

CREATE TABLE province_counters (
    province    SMALLINT PRIMARY KEY CHECK (province BETWEEN 11 AND 99),
    last_serial BIGINT   NOT NULL CHECK (last_serial >= 0)
);

CREATE TABLE subject_numbers (
    province   SMALLINT    NOT NULL,
    serial     BIGINT      NOT NULL,
    number     TEXT        NOT NULL UNIQUE,
    last_site  INTEGER     NOT NULL DEFAULT 0 CHECK (last_site >= 0),
    issued_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (province, serial)
);

CREATE TABLE website_numbers (
    subject_number TEXT        NOT NULL REFERENCES subject_numbers (number),
    n              INTEGER     NOT NULL CHECK (n >= 1),
    number         TEXT        NOT NULL UNIQUE,
    issued_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subject_number, n)
);

CREATE TABLE products (
    service_number   TEXT    PRIMARY KEY,
    kind             TEXT    NOT NULL,
    mainland         BOOLEAN NOT NULL,
    subscription     BOOLEAN NOT NULL,
    public_bandwidth BOOLEAN NOT NULL,
    expires          DATE    NOT NULL,
    quota            INTEGER NOT NULL CHECK (quota >= 0),
    consumed         INTEGER NOT NULL DEFAULT 0 CHECK (consumed >= 0 AND consumed <= quota)
);

CREATE FUNCTION products_consumed_never_decreases() RETURNS trigger AS $$
BEGIN
    IF NEW.consumed < OLD.consumed THEN
        RAISE EXCEPTION 'service numbers are never restored';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER products_consumed_never_decreases
BEFORE UPDATE OF consumed ON products
FOR EACH ROW EXECUTE FUNCTION products_consumed_never_decreases();

CREATE TABLE history (
    id         BIGSERIAL   PRIMARY KEY,
    subject    TEXT        NOT NULL,
    actor      TEXT        NOT NULL,
    action     TEXT        NOT NULL,
    from_state TEXT,
    to_state   TEXT,
    reasons    TEXT        NOT NULL DEFAULT '',
    note       TEXT        NOT NULL DEFAULT '',
    at         TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER history_no_update BEFORE UPDATE OR DELETE ON history
FOR EACH ROW EXECUTE FUNCTION history_append_only();
