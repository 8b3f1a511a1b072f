-- Documents and verification (资料上传与核验), the event outbox (事件发件箱) and its deliveries,
-- accounts' e-mail addresses for notifications, SLA breach flags.

ALTER TABLE accounts ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- Set once by the SLA job when a provider step runs past its deadline; cleared by the next transition.
ALTER TABLE orders ADD COLUMN sla_breached_at TIMESTAMPTZ;
-- A reviewer may ask for the three mailed originals of the authenticity statement for an order
-- (besides the provinces that always ask); staff record their arrival.
ALTER TABLE orders ADD COLUMN statements_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN statements_received_at TIMESTAMPTZ;
ALTER TABLE orders ADD COLUMN statements_received_by TEXT;

-- An uploaded document: the file lives outside the database under `file_name` (server-generated).
-- One live document per slot (order, kind, website, category); a new upload supersedes the last.
CREATE TABLE documents (
    id          BIGSERIAL   PRIMARY KEY,
    order_id    BIGINT      NOT NULL,
    kind        TEXT        NOT NULL,
    website     INTEGER     NOT NULL DEFAULT -1,
    category    TEXT        NOT NULL DEFAULT '',
    file_name   TEXT        NOT NULL UNIQUE,
    format      TEXT        NOT NULL,
    width       INTEGER     NOT NULL,
    height      INTEGER     NOT NULL,
    size        BIGINT      NOT NULL,
    sha256      TEXT        NOT NULL,
    status      TEXT        NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'superseded')),
    reason      TEXT        NOT NULL DEFAULT '',
    note        TEXT        NOT NULL DEFAULT '',
    uploaded_by TEXT        NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL,
    reviewed_by TEXT,
    reviewed_at TIMESTAMPTZ
);
CREATE INDEX documents_by_order ON documents (order_id, status);

-- A backdrop (幕布) mailed to the applicant, to a mainland address.
CREATE TABLE backdrop_requests (
    order_id     BIGINT      PRIMARY KEY,
    recipient    TEXT        NOT NULL,
    mobile       TEXT        NOT NULL,
    province     SMALLINT    NOT NULL,
    address      TEXT        NOT NULL,
    requested_by TEXT        NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    shipped_at   TIMESTAMPTZ,
    shipped_by   TEXT,
    tracking     TEXT        NOT NULL DEFAULT ''
);

-- Events in commit order: `seq` comes from a one-row head updated inside the emitting
-- transaction, so a reader following `seq` never skips one that commits late.
CREATE TABLE event_head (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO event_head (id, seq) VALUES (1, 0);

CREATE TABLE events (
    seq        BIGINT      PRIMARY KEY,
    kind       TEXT        NOT NULL,
    -- The applicant account the event concerns ('' when only staff see it).
    account    TEXT        NOT NULL DEFAULT '',
    order_id   BIGINT,
    from_state TEXT,
    to_state   TEXT,
    action     TEXT        NOT NULL DEFAULT '',
    reasons    TEXT        NOT NULL DEFAULT '',
    note       TEXT        NOT NULL DEFAULT '',
    data       TEXT        NOT NULL DEFAULT '{}',
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_by_account ON events (account, seq);

-- Webhooks configured by supervisors; the secret signs each delivery.
CREATE TABLE webhooks (
    id         BIGSERIAL   PRIMARY KEY,
    url        TEXT        NOT NULL,
    secret     TEXT        NOT NULL,
    active     BOOLEAN     NOT NULL DEFAULT TRUE,
    created_by TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- One delivery per event and target (each active webhook; the notification sink for events an
-- applicant should hear of), made in the event's transaction: nothing is lost to a crash.
CREATE TABLE deliveries (
    id              BIGSERIAL   PRIMARY KEY,
    event_seq       BIGINT      NOT NULL REFERENCES events (seq),
    target          TEXT        NOT NULL CHECK (target IN ('webhook', 'notify')),
    webhook_id      BIGINT      NOT NULL DEFAULT 0,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    failed_at       TIMESTAMPTZ,
    last_error      TEXT        NOT NULL DEFAULT '',
    UNIQUE (event_seq, target, webhook_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE FUNCTION orders_events() RETURNS trigger AS $$
DECLARE
    s BIGINT;
BEGIN
    UPDATE event_head SET seq = seq + 1 WHERE id = 1 RETURNING seq INTO s;
    INSERT INTO events (seq, kind, account, order_id, from_state, to_state, action, reasons, note, at)
    VALUES (s, 'order.state_changed', NEW.account, NEW.id, OLD.state, NEW.state,
            NEW.last_action, NEW.last_reasons, NEW.last_note, NEW.updated_at);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER orders_events AFTER UPDATE OF state ON orders
FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION orders_events();

CREATE FUNCTION events_fanout() RETURNS trigger AS $$
BEGIN
    INSERT INTO deliveries (event_seq, target, webhook_id, next_attempt_at)
    SELECT NEW.seq, 'webhook', id, NEW.at FROM webhooks WHERE active;
    IF NEW.account <> '' THEN
        INSERT INTO deliveries (event_seq, target, webhook_id, next_attempt_at)
        VALUES (NEW.seq, 'notify', 0, NEW.at);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_fanout AFTER INSERT ON events
FOR EACH ROW EXECUTE FUNCTION events_fanout();
