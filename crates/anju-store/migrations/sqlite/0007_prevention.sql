-- Prevention: risk points and hazard zones, the households they threaten, settlement
-- sites, and evacuation plans with one row per household. `area` keeps the code as
-- written (town or village); `area_code` is it padded, for subtree ranges.
CREATE TABLE risks (
    id TEXT PRIMARY KEY,
    area_code INTEGER NOT NULL,
    area TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    hazard TEXT NOT NULL,
    level TEXT NOT NULL,
    geometry TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    radius_m INTEGER NOT NULL,
    monitors TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    archived_at INTEGER
) WITHOUT ROWID;
CREATE INDEX risks_area ON risks (area_code, id);
CREATE INDEX risks_hazard ON risks (hazard, area_code);

-- Households a risk threatens: linked by hand (confirmed at once), or computed from the
-- geometry and confirmed by an officer. Only confirmed threats enter plans.
CREATE TABLE risk_threats (
    risk_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    house_id TEXT,
    source TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (risk_id, household_id)
) WITHOUT ROWID;
CREATE INDEX risk_threats_household ON risk_threats (household_id);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    area_code INTEGER NOT NULL,
    area TEXT NOT NULL,
    name TEXT NOT NULL,
    site_type TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    capacity INTEGER NOT NULL,
    facilities INTEGER NOT NULL,
    manager_name TEXT NOT NULL,
    manager_phone TEXT,
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sites_area ON sites (area_code, id);

-- A plan for one area and hazard. `site_lo`/`site_hi` is the range of sites it may use,
-- fixed when it is made so a re-plan draws on the same sites. `state` is the solver's
-- warm start (anju_plan::PlanState), so a re-plan after a site closes is fast.
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    area_code INTEGER NOT NULL,
    area TEXT NOT NULL,
    hazard TEXT NOT NULL,
    revision INTEGER NOT NULL,
    site_lo INTEGER NOT NULL,
    site_hi INTEGER NOT NULL,
    households INTEGER NOT NULL,
    people INTEGER NOT NULL,
    placed_households INTEGER NOT NULL,
    placed_people INTEGER NOT NULL,
    unplaced_households INTEGER NOT NULL,
    unplaced_people INTEGER NOT NULL,
    total_distance_m INTEGER NOT NULL,
    max_distance_m INTEGER NOT NULL,
    cost INTEGER NOT NULL,
    flow_bound INTEGER NOT NULL,
    gap INTEGER NOT NULL,
    solve_ms INTEGER NOT NULL,
    moved_households INTEGER NOT NULL,
    reason TEXT NOT NULL,
    state BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX plans_area ON plans (area_code, id);

CREATE TABLE plan_households (
    plan_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    site_id TEXT,
    people INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    distance_m INTEGER,
    unplaced_reason TEXT,
    PRIMARY KEY (plan_id, household_id)
) WITHOUT ROWID;
CREATE INDEX plan_households_site ON plan_households (site_id, plan_id);
CREATE INDEX plan_households_household ON plan_households (household_id);

-- What each re-plan changed: households moved from one site (or none) to another.
CREATE TABLE plan_changes (
    plan_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    household_id TEXT NOT NULL,
    from_site TEXT,
    to_site TEXT,
    PRIMARY KEY (plan_id, revision, household_id)
) WITHOUT ROWID;
