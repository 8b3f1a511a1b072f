-- An order's transition and its history entry in one statement: the update names the actor,
-- action, reasons and note and raises `history_pending`; this trigger appends the entry (from
-- the old state to the new) and lowers the flag, inside the same statement. One round trip per
-- transition instead of a transaction of four.
ALTER TABLE orders ADD COLUMN history_pending INTEGER NOT NULL DEFAULT 0 CHECK (history_pending IN (0, 1));
ALTER TABLE orders ADD COLUMN last_actor TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN last_action TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN last_reasons TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN last_note TEXT NOT NULL DEFAULT '';

CREATE TRIGGER orders_history AFTER UPDATE OF history_pending ON orders
WHEN NEW.history_pending = 1
BEGIN
    INSERT INTO history (subject, actor, action, from_state, to_state, reasons, note, at)
    VALUES ('order:' || NEW.id, NEW.last_actor, NEW.last_action, OLD.state, NEW.state,
            NEW.last_reasons, NEW.last_note, NEW.updated_at);
    UPDATE orders SET history_pending = 0 WHERE id = NEW.id;
END;
