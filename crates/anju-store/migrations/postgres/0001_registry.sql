-- Areas are keyed by their code padded to 12 digits, so a subtree is an integer range.
CREATE TABLE areas (
    code BIGINT PRIMARY KEY,
    level TEXT NOT NULL,
    parent BIGINT,
    name_zh TEXT NOT NULL,
    name_official TEXT NOT NULL,
    name_en TEXT NOT NULL,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    point_approximate BIGINT NOT NULL DEFAULT 1,
    supervising_unit_id TEXT,
    retired_at BIGINT,
    successor BIGINT
);
CREATE INDEX areas_parent ON areas (parent, code);

CREATE TABLE area_boundaries (
    code BIGINT PRIMARY KEY,
    geojson TEXT NOT NULL,
    source TEXT NOT NULL
);

-- Rolled-up counts per area, kept up to date in the transaction of every household write.
CREATE TABLE area_counts (
    code BIGINT PRIMARY KEY,
    households BIGINT NOT NULL DEFAULT 0,
    people BIGINT NOT NULL DEFAULT 0,
    vulnerable BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE households (
    id TEXT PRIMARY KEY,
    area_code BIGINT NOT NULL,
    address TEXT NOT NULL,
    head_name TEXT NOT NULL,
    phone TEXT,
    responsible_officer_id TEXT,
    grid_officer_id TEXT,
    poverty_category TEXT NOT NULL,
    people BIGINT NOT NULL,
    vulnerable BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE INDEX households_area ON households (area_code, id);
CREATE INDEX households_grid ON households (grid_officer_id);
CREATE INDEX households_responsible ON households (responsible_officer_id);

CREATE TABLE members (
    household_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    id_number TEXT,
    relation TEXT,
    vulnerabilities BIGINT NOT NULL,
    PRIMARY KEY (household_id, idx)
);
CREATE INDEX members_id_number ON members (id_number);

CREATE TABLE houses (
    id TEXT PRIMARY KEY,
    area_code BIGINT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    structure TEXT NOT NULL,
    floors BIGINT NOT NULL,
    rooms BIGINT,
    year_built BIGINT,
    owner_household_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE INDEX houses_area ON houses (area_code, id);
CREATE INDEX houses_owner ON houses (owner_household_id);

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    area_code BIGINT NOT NULL,
    phone TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE INDEX units_area ON units (area_code, id);

CREATE TABLE officers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT,
    unit_id TEXT NOT NULL,
    area_code BIGINT NOT NULL,
    title TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE INDEX officers_area ON officers (area_code, id);
CREATE INDEX officers_unit ON officers (unit_id);

CREATE TABLE duties (
    officer_id TEXT NOT NULL,
    area_code BIGINT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (officer_id, area_code, role)
);
CREATE INDEX duties_area ON duties (area_code, role);

CREATE TABLE shifts (
    officer_id TEXT NOT NULL,
    area_code BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    PRIMARY KEY (officer_id, area_code, starts_at)
);
CREATE INDEX shifts_area ON shifts (area_code, starts_at);
