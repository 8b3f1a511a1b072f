-- The blacklist (黑名单): credential numbers and website names that can never file again
-- (SPEC §5). Entries are never removed.
CREATE TABLE blacklist (
    kind   TEXT        NOT NULL CHECK (kind IN ('credential', 'website_name')),
    value  TEXT        NOT NULL,
    reason TEXT        NOT NULL,
    actor  TEXT        NOT NULL,
    at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, value)
);

CREATE FUNCTION blacklist_no_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'blacklist entries are never removed';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER blacklist_no_delete BEFORE DELETE ON blacklist
FOR EACH ROW EXECUTE FUNCTION blacklist_no_delete();
