-- The heads of the two chains (the item ledger and the access audit) follow their last
-- row inside SQLite, so a write does not need a statement of its own to move them. A
-- writer still takes the head row first (`seq = seq + n`): that is its lock and its
-- sequence numbers. Only the row whose seq is the head's updates it.
CREATE TRIGGER item_ledger_head_hash AFTER INSERT ON item_ledger
BEGIN
    UPDATE item_ledger_head SET hash = NEW.hash WHERE id = 1 AND seq = NEW.seq;
END;

CREATE TRIGGER audit_head_hash AFTER INSERT ON audit
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = 1 AND seq = NEW.seq;
END;
