-- The closed loop: items, their hash-chained events, the ledger of every item's head,
-- reports in, attachments, in-app notifications and the maintained counts.

CREATE TABLE items (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    source_ref TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    area_code INTEGER NOT NULL,
    area_level TEXT NOT NULL,
    owner_unit_id TEXT NOT NULL,
    owner_officer_id TEXT,
    assigner_user_id TEXT NOT NULL,
    assigner_unit_id TEXT,
    verifier_unit_id TEXT NOT NULL,
    priority TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    submitted_by TEXT,
    reminders_sent INTEGER NOT NULL DEFAULT 0,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    -- When the deadline worker must next look at this item; NULL when closed or done.
    next_wake_at INTEGER,
    children_total INTEGER NOT NULL DEFAULT 0,
    children_open INTEGER NOT NULL DEFAULT 0,
    links TEXT NOT NULL,
    attachments TEXT NOT NULL,
    head_seq INTEGER NOT NULL,
    head_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
) WITHOUT ROWID;
CREATE INDEX items_area ON items (area_code, id);
CREATE INDEX items_due ON items (due_at, id);
CREATE INDEX items_owner ON items (owner_unit_id, state);
CREATE INDEX items_verifier ON items (verifier_unit_id, state);
CREATE INDEX items_parent ON items (parent_id);
CREATE INDEX items_wake ON items (next_wake_at) WHERE next_wake_at IS NOT NULL;

CREATE TABLE item_events (
    item_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor_user_id TEXT,
    kind TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    note TEXT,
    attachments TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- The client's idempotency key: a retried request finds its event and does nothing.
    idem_key TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (item_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX item_events_idem ON item_events (item_id, idem_key) WHERE idem_key IS NOT NULL;
CREATE TRIGGER item_events_no_update BEFORE UPDATE ON item_events BEGIN SELECT RAISE(ABORT, 'item history is append-only'); END;
CREATE TRIGGER item_events_no_delete BEFORE DELETE ON item_events BEGIN SELECT RAISE(ABORT, 'item history is append-only'); END;

-- One row per item event, chained: the head of every item as it was written, so a
-- deleted event, or a deleted item with all its events, no longer matches.
CREATE TABLE item_ledger (
    seq INTEGER PRIMARY KEY,
    item_id TEXT NOT NULL,
    item_seq INTEGER NOT NULL,
    item_hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE item_ledger_head (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO item_ledger_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TRIGGER item_ledger_no_update BEFORE UPDATE ON item_ledger BEGIN SELECT RAISE(ABORT, 'the item ledger is append-only'); END;
CREATE TRIGGER item_ledger_no_delete BEFORE DELETE ON item_ledger BEGIN SELECT RAISE(ABORT, 'the item ledger is append-only'); END;

-- Items per state in each area's whole subtree, kept in the transaction of every change.
CREATE TABLE item_rollup (
    code INTEGER PRIMARY KEY,
    assigned INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0,
    in_progress INTEGER NOT NULL DEFAULT 0,
    submitted INTEGER NOT NULL DEFAULT 0,
    returned INTEGER NOT NULL DEFAULT 0,
    verified INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    -- Open items the deadline worker has escalated (overdue).
    overdue INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    level INTEGER NOT NULL,
    unit_id TEXT,
    officer_id TEXT,
    area_code INTEGER NOT NULL,
    title TEXT NOT NULL,
    read_at INTEGER
) WITHOUT ROWID;
CREATE INDEX notifications_unit ON notifications (unit_id, at);
CREATE INDEX notifications_officer ON notifications (officer_id, at);
CREATE INDEX notifications_item ON notifications (item_id);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    area_code INTEGER NOT NULL,
    area_level TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    description TEXT NOT NULL,
    attachments TEXT NOT NULL,
    status TEXT NOT NULL,
    reporter_user_id TEXT NOT NULL,
    triaged_by TEXT,
    triaged_at INTEGER,
    triage_note TEXT,
    merged_into TEXT,
    item_ids TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX reports_area ON reports (area_code, id);
CREATE INDEX reports_status ON reports (status, area_code);

-- Photos and files by content hash: the same photo sent twice is stored once.
CREATE TABLE attachments (
    hash TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    name TEXT,
    data BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
-- Where each attachment is used, so reading one is limited to the records it belongs to.
CREATE TABLE attachment_refs (
    hash TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    area_code INTEGER NOT NULL,
    PRIMARY KEY (hash, entity, entity_id)
) WITHOUT ROWID;
