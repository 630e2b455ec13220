-- The heads of the two chains (the item ledger and the access audit) follow their last
-- row inside the database, so a write does not need a statement of its own to move them.
-- A writer still takes the head row first (`seq = seq + n`): that is its lock and its
-- sequence numbers. Once per statement, so a bulk load of many rows updates it once.
CREATE FUNCTION item_ledger_head_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE item_ledger_head h SET hash = n.hash FROM new_rows n WHERE h.id = 1 AND n.seq = h.seq;
    RETURN NULL;
END $$;
CREATE TRIGGER item_ledger_head_hash AFTER INSERT ON item_ledger
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION item_ledger_head_follow();

CREATE FUNCTION audit_head_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head h SET hash = n.hash FROM new_rows n WHERE h.id = 1 AND n.seq = h.seq;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_head_hash AFTER INSERT ON audit
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_head_follow();
