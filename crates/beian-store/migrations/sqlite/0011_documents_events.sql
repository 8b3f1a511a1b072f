-- Documents and verification (资料上传与核验), the event outbox (事件发件箱) and its deliveries,
-- accounts' e-mail addresses for notifications, SLA breach flags.

ALTER TABLE accounts ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- Set once by the SLA job when a provider step runs past its deadline; cleared by the next transition.
ALTER TABLE orders ADD COLUMN sla_breached_at TEXT;
-- A reviewer may ask for the three mailed originals of the authenticity statement for an order
-- (besides the provinces that always ask); staff record their arrival.
ALTER TABLE orders ADD COLUMN statements_required INTEGER NOT NULL DEFAULT 0 CHECK (statements_required IN (0, 1));
ALTER TABLE orders ADD COLUMN statements_received_at TEXT;
ALTER TABLE orders ADD COLUMN statements_received_by TEXT;

-- An uploaded document: the file lives outside the database under `file_name` (server-generated).
-- One live document per slot (order, kind, website, category); a new upload supersedes the last.
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    website     INTEGER NOT NULL DEFAULT -1,
    category    TEXT    NOT NULL DEFAULT '',
    file_name   TEXT    NOT NULL UNIQUE,
    format      TEXT    NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'superseded')),
    reason      TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    uploaded_by TEXT    NOT NULL,
    uploaded_at TEXT    NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT
);
CREATE INDEX documents_by_order ON documents (order_id, status);

-- A backdrop (幕布) mailed to the applicant, to a mainland address.
CREATE TABLE backdrop_requests (
    order_id     INTEGER PRIMARY KEY,
    recipient    TEXT    NOT NULL,
    mobile       TEXT    NOT NULL,
    province     INTEGER NOT NULL,
    address      TEXT    NOT NULL,
    requested_by TEXT    NOT NULL,
    requested_at TEXT    NOT NULL,
    shipped_at   TEXT,
    shipped_by   TEXT,
    tracking     TEXT    NOT NULL DEFAULT ''
);

-- Events in commit order: `seq` comes from a one-row head updated inside the emitting
-- transaction, so a reader following `seq` never skips one that commits late.
CREATE TABLE event_head (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO event_head (id, seq) VALUES (1, 0);

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    -- The applicant account the event concerns ('' when only staff see it).
    account    TEXT    NOT NULL DEFAULT '',
    order_id   INTEGER,
    from_state TEXT,
    to_state   TEXT,
    action     TEXT    NOT NULL DEFAULT '',
    reasons    TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL DEFAULT '{}',
    at         TEXT    NOT NULL
);
CREATE INDEX events_by_account ON events (account, seq);

-- Webhooks configured by supervisors; the secret signs each delivery.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    url        TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_by TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);

-- One delivery per event and target (each active webhook; the notification sink for events an
-- applicant should hear of), made in the event's transaction: nothing is lost to a crash.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_seq       INTEGER NOT NULL REFERENCES events (seq),
    target          TEXT    NOT NULL CHECK (target IN ('webhook', 'notify')),
    webhook_id      INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    claimed_until   TEXT,
    delivered_at    TEXT,
    failed_at       TEXT,
    last_error      TEXT    NOT NULL DEFAULT '',
    UNIQUE (event_seq, target, webhook_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE TRIGGER orders_events AFTER UPDATE OF state ON orders
WHEN OLD.state <> NEW.state
BEGIN
    UPDATE event_head SET seq = seq + 1 WHERE id = 1;
    INSERT INTO events (seq, kind, account, order_id, from_state, to_state, action, reasons, note, at)
    SELECT seq, 'order.state_changed', NEW.account, NEW.id, OLD.state, NEW.state,
           NEW.last_action, NEW.last_reasons, NEW.last_note, NEW.updated_at
    FROM event_head WHERE id = 1;
END;

CREATE TRIGGER events_fanout AFTER INSERT ON events
BEGIN
    INSERT INTO deliveries (event_seq, target, webhook_id, next_attempt_at)
    SELECT NEW.seq, 'webhook', id, NEW.at FROM webhooks WHERE active = 1;
    INSERT INTO deliveries (event_seq, target, webhook_id, next_attempt_at)
    SELECT NEW.seq, 'notify', 0, NEW.at WHERE NEW.account <> '';
END;
