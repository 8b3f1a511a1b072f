-- An order's transition and its history entry in one statement: the update names the actor,
-- action, reasons and note and raises `history_pending`; this trigger appends the entry (from
-- the old state to the new) and lowers the flag, inside the same statement. One round trip per
-- transition instead of a transaction of four.
ALTER TABLE orders ADD COLUMN history_pending BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN last_actor TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN last_action TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN last_reasons TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN last_note TEXT NOT NULL DEFAULT '';

CREATE FUNCTION orders_history() RETURNS trigger AS $$
BEGIN
    IF NEW.history_pending THEN
        INSERT INTO history (subject, actor, action, from_state, to_state, reasons, note, at)
        VALUES ('order:' || NEW.id, NEW.last_actor, NEW.last_action, OLD.state, NEW.state,
                NEW.last_reasons, NEW.last_note, NEW.updated_at);
        NEW.history_pending := FALSE;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER orders_history BEFORE UPDATE ON orders
FOR EACH ROW EXECUTE FUNCTION orders_history();
