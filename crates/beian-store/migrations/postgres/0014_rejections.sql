-- Field-level rejection: every rejection with the fields and document slots it names (JSON of
-- `beian_core::workflow::Rejection`) and the application as it stood when rejected, so that the
-- applicant's form can mark exactly those fields and the reviewer can see what changed since.
CREATE TABLE rejections (
    id          BIGSERIAL   PRIMARY KEY,
    order_id    BIGINT      NOT NULL,
    actor       TEXT        NOT NULL,
    rejection   TEXT        NOT NULL,
    application TEXT        NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX rejections_by_order ON rejections (order_id, id);

-- A reviewer's claim on an order in the provider's steps, so that two reviewers don't work on one.
-- Cleared when the order leaves the provider's hands.
ALTER TABLE orders ADD COLUMN claimed_by TEXT;
ALTER TABLE orders ADD COLUMN claimed_at TIMESTAMPTZ;
