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
