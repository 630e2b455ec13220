-- Recovery (docs/recovery.md): disasters, damage assessments with versions, the
-- crosswalk of damage scales, reconstruction cases with their gates and tranches, and
-- the figures per disaster and area kept in the transaction of every write.

CREATE TABLE disasters (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hazard TEXT NOT NULL,
    started_on TEXT NOT NULL,
    ended_on TEXT,
    area_code BIGINT NOT NULL,
    area_level TEXT NOT NULL,
    target_move_in TEXT NOT NULL,
    -- The grades that open a case, e.g. 'C,D'.
    case_grades TEXT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX disasters_area ON disasters (area_code);

CREATE TABLE disaster_areas (
    disaster_id TEXT NOT NULL,
    area_code BIGINT NOT NULL,
    area_level TEXT NOT NULL,
    PRIMARY KEY (disaster_id, area_code)
);

-- JGJ 125 grade (and whether a room collapsed) to EMS-98 and FEMA PDA; anju-core holds
-- the same table and a test keeps the two equal.
CREATE TABLE damage_crosswalk (
    outcome TEXT NOT NULL,
    room_collapsed BIGINT NOT NULL,
    ems98 BIGINT,
    fema TEXT NOT NULL,
    PRIMARY KEY (outcome, room_collapsed)
);
INSERT INTO damage_crosswalk (outcome, room_collapsed, ems98, fema) VALUES
    ('A', 0, 1, 'affected'), ('A', 1, 1, 'affected'),
    ('B', 0, 2, 'minor'), ('B', 1, 2, 'minor'),
    ('C', 0, 3, 'major'), ('C', 1, 3, 'major'),
    ('D', 0, 4, 'destroyed'), ('D', 1, 5, 'destroyed'),
    ('inaccessible', 0, NULL, 'inaccessible'), ('inaccessible', 1, NULL, 'inaccessible');

-- Every version of every assessment; `latest` marks the one that counts.
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    disaster_id TEXT NOT NULL,
    house_id TEXT NOT NULL,
    -- The house's village when assessed: the figures count it there.
    area_code BIGINT NOT NULL,
    version BIGINT NOT NULL,
    latest BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    rooms_collapsed BIGINT NOT NULL,
    rooms_damaged BIGINT NOT NULL,
    household_id TEXT,
    assessor_officer_id TEXT,
    assessed_on TEXT NOT NULL,
    note TEXT NOT NULL,
    photos TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    source_uuid TEXT,
    -- The reassessment item this version answers, and the appeal against this version.
    answers_appeal TEXT,
    appeal_item_id TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX assessments_version ON assessments (disaster_id, house_id, version);
CREATE UNIQUE INDEX assessments_source ON assessments (disaster_id, source_uuid) WHERE source_uuid IS NOT NULL;
CREATE INDEX assessments_latest ON assessments (disaster_id, latest, area_code, house_id);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    disaster_id TEXT NOT NULL,
    house_id TEXT NOT NULL,
    area_code BIGINT NOT NULL,
    household_id TEXT,
    grade TEXT NOT NULL,
    plan TEXT NOT NULL,
    stage TEXT NOT NULL,
    -- The index of the gate now open in the plan's sequence; NULL once moved in.
    open_gate BIGINT,
    -- Fen: the amount to approve (set while planned), then what was approved, released, paid.
    amount BIGINT NOT NULL DEFAULT 0,
    amount_approved BIGINT NOT NULL DEFAULT 0,
    funds_released BIGINT NOT NULL DEFAULT 0,
    funds_paid BIGINT NOT NULL DEFAULT 0,
    owner_unit_id TEXT NOT NULL,
    verifier_unit_id TEXT NOT NULL,
    cancelled_at BIGINT,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX cases_house ON cases (disaster_id, house_id);
CREATE INDEX cases_area ON cases (disaster_id, area_code, id);

-- The item of each gate opened so far.
CREATE TABLE case_gates (
    case_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    gate TEXT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE UNIQUE INDEX case_gates_item ON case_gates (item_id);

CREATE TABLE tranches (
    case_id TEXT NOT NULL,
    n BIGINT NOT NULL,
    gate TEXT NOT NULL,
    share_pct BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    released_at BIGINT,
    paid_on TEXT,
    reference TEXT,
    paid_by TEXT,
    PRIMARY KEY (case_id, n)
);

-- Per disaster, household and area (each level of the path): its houses there graded B
-- or worse, and those with a collapsed room. A household counts once per area however
-- many of its houses lie there: the figure moves when one of these crosses zero.
CREATE TABLE recovery_households (
    disaster_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    code BIGINT NOT NULL,
    affected BIGINT NOT NULL DEFAULT 0,
    collapsed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (disaster_id, household_id, code)
);

-- The figures of each area's whole subtree for each disaster.
CREATE TABLE recovery_rollup (
    disaster_id TEXT NOT NULL,
    code BIGINT NOT NULL,
    houses_assessed BIGINT NOT NULL DEFAULT 0,
    grade_a BIGINT NOT NULL DEFAULT 0,
    grade_b BIGINT NOT NULL DEFAULT 0,
    grade_c BIGINT NOT NULL DEFAULT 0,
    grade_d BIGINT NOT NULL DEFAULT 0,
    inaccessible BIGINT NOT NULL DEFAULT 0,
    rooms_collapsed BIGINT NOT NULL DEFAULT 0,
    rooms_damaged BIGINT NOT NULL DEFAULT 0,
    households_affected BIGINT NOT NULL DEFAULT 0,
    households_collapsed BIGINT NOT NULL DEFAULT 0,
    plan_repair BIGINT NOT NULL DEFAULT 0,
    plan_rebuild_in_place BIGINT NOT NULL DEFAULT 0,
    plan_relocate BIGINT NOT NULL DEFAULT 0,
    plan_resettle BIGINT NOT NULL DEFAULT 0,
    stage_planned BIGINT NOT NULL DEFAULT 0,
    stage_funded BIGINT NOT NULL DEFAULT 0,
    stage_under_construction BIGINT NOT NULL DEFAULT 0,
    stage_completed BIGINT NOT NULL DEFAULT 0,
    stage_accepted BIGINT NOT NULL DEFAULT 0,
    stage_moved_in BIGINT NOT NULL DEFAULT 0,
    funds_approved BIGINT NOT NULL DEFAULT 0,
    funds_released BIGINT NOT NULL DEFAULT 0,
    funds_paid BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (disaster_id, code)
);
