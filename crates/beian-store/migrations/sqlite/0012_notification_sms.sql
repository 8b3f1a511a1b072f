-- Text messages to applicants about their orders (SPEC §5: every transition notifies the
-- applicant by SMS and e-mail). This outbox stands in for the provider's SMS gateway, as
-- `sms_outbox` does for the administration's: one message per event at most.
CREATE TABLE notification_sms (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_seq INTEGER NOT NULL UNIQUE,
    order_id  INTEGER,
    mobile    TEXT    NOT NULL,
    text      TEXT    NOT NULL,
    sent_at   TEXT    NOT NULL
);
