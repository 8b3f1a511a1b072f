-- SMS verification (短信核验) run by the built-in administration: one challenge per order in
-- sms_verification, and the outbox that stands in for the SMS gateway.
CREATE TABLE sms_challenges (
    order_id        BIGINT      PRIMARY KEY REFERENCES orders (id),
    code_digest     TEXT        NOT NULL,
    mobile          TEXT        NOT NULL,
    credential_tail TEXT        NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    sent_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE sms_outbox (
    id       BIGSERIAL   PRIMARY KEY,
    order_id BIGINT      NOT NULL,
    mobile   TEXT        NOT NULL,
    text     TEXT        NOT NULL,
    sent_at  TIMESTAMPTZ NOT NULL
);
