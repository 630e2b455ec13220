-- Prevention: risk points and hazard zones, the households they threaten, settlement
-- sites, and evacuation plans with one row per household. `area` keeps the code as
-- written (town or village); `area_code` is it padded, for subtree ranges.
CREATE TABLE risks (
    id TEXT PRIMARY KEY,
    area_code BIGINT NOT NULL,
    area TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    hazard TEXT NOT NULL,
    level TEXT NOT NULL,
    geometry TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    radius_m BIGINT NOT NULL,
    monitors TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE INDEX risks_area ON risks (area_code, id);
CREATE INDEX risks_hazard ON risks (hazard, area_code);

-- Households a risk threatens: linked by hand (confirmed at once), or computed from the
-- geometry and confirmed by an officer. Only confirmed threats enter plans.
CREATE TABLE risk_threats (
    risk_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    house_id TEXT,
    source TEXT NOT NULL,
    confirmed BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (risk_id, household_id)
);
CREATE INDEX risk_threats_household ON risk_threats (household_id);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    area_code BIGINT NOT NULL,
    area TEXT NOT NULL,
    name TEXT NOT NULL,
    site_type TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    capacity BIGINT NOT NULL,
    facilities BIGINT NOT NULL,
    manager_name TEXT NOT NULL,
    manager_phone TEXT,
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sites_area ON sites (area_code, id);

-- A plan for one area and hazard. `site_lo`/`site_hi` is the range of sites it may use,
-- fixed when it is made so a re-plan draws on the same sites. `state` is the solver's
-- warm start (anju_plan::PlanState), so a re-plan after a site closes is fast.
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    area_code BIGINT NOT NULL,
    area TEXT NOT NULL,
    hazard TEXT NOT NULL,
    revision BIGINT NOT NULL,
    site_lo BIGINT NOT NULL,
    site_hi BIGINT NOT NULL,
    households BIGINT NOT NULL,
    people BIGINT NOT NULL,
    placed_households BIGINT NOT NULL,
    placed_people BIGINT NOT NULL,
    unplaced_households BIGINT NOT NULL,
    unplaced_people BIGINT NOT NULL,
    total_distance_m BIGINT NOT NULL,
    max_distance_m BIGINT NOT NULL,
    cost BIGINT NOT NULL,
    flow_bound BIGINT NOT NULL,
    gap BIGINT NOT NULL,
    solve_ms BIGINT NOT NULL,
    moved_households BIGINT NOT NULL,
    reason TEXT NOT NULL,
    state BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX plans_area ON plans (area_code, id);

CREATE TABLE plan_households (
    plan_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    site_id TEXT,
    people BIGINT NOT NULL,
    priority BIGINT NOT NULL,
    distance_m BIGINT,
    unplaced_reason TEXT,
    PRIMARY KEY (plan_id, household_id)
);
CREATE INDEX plan_households_site ON plan_households (site_id, plan_id);
CREATE INDEX plan_households_household ON plan_households (household_id);

-- What each re-plan changed: households moved from one site (or none) to another.
CREATE TABLE plan_changes (
    plan_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    household_id TEXT NOT NULL,
    from_site TEXT,
    to_site TEXT,
    PRIMARY KEY (plan_id, revision, household_id)
);
