-- Areas are keyed by their code padded to 12 digits, so a subtree is an integer range.
CREATE TABLE areas (
    code INTEGER PRIMARY KEY,
    level TEXT NOT NULL,
    parent INTEGER,
    name_zh TEXT NOT NULL,
    name_official TEXT NOT NULL,
    name_en TEXT NOT NULL,
    lon REAL,
    lat REAL,
    point_approximate INTEGER NOT NULL DEFAULT 1,
    supervising_unit_id TEXT,
    retired_at INTEGER,
    successor INTEGER
);
CREATE INDEX areas_parent ON areas (parent, code);

CREATE TABLE area_boundaries (
    code INTEGER PRIMARY KEY,
    geojson TEXT NOT NULL,
    source TEXT NOT NULL
);

-- Rolled-up counts per area, kept up to date in the transaction of every household write.
CREATE TABLE area_counts (
    code INTEGER PRIMARY KEY,
    households INTEGER NOT NULL DEFAULT 0,
    people INTEGER NOT NULL DEFAULT 0,
    vulnerable INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE households (
    id TEXT PRIMARY KEY,
    area_code INTEGER NOT NULL,
    address TEXT NOT NULL,
    head_name TEXT NOT NULL,
    phone TEXT,
    responsible_officer_id TEXT,
    grid_officer_id TEXT,
    poverty_category TEXT NOT NULL,
    people INTEGER NOT NULL,
    vulnerable INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    archived_at INTEGER
) WITHOUT ROWID;
CREATE INDEX households_area ON households (area_code, id);
CREATE INDEX households_grid ON households (grid_officer_id);
CREATE INDEX households_responsible ON households (responsible_officer_id);

CREATE TABLE members (
    household_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    id_number TEXT,
    relation TEXT,
    vulnerabilities INTEGER NOT NULL,
    PRIMARY KEY (household_id, idx)
) WITHOUT ROWID;
CREATE INDEX members_id_number ON members (id_number);

CREATE TABLE houses (
    id TEXT PRIMARY KEY,
    area_code INTEGER NOT NULL,
    address TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    structure TEXT NOT NULL,
    floors INTEGER NOT NULL,
    rooms INTEGER,
    year_built INTEGER,
    owner_household_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    archived_at INTEGER
) WITHOUT ROWID;
CREATE INDEX houses_area ON houses (area_code, id);
CREATE INDEX houses_owner ON houses (owner_household_id);

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    area_code INTEGER NOT NULL,
    phone TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    archived_at INTEGER
) WITHOUT ROWID;
CREATE INDEX units_area ON units (area_code, id);

CREATE TABLE officers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT,
    unit_id TEXT NOT NULL,
    area_code INTEGER NOT NULL,
    title TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    archived_at INTEGER
) WITHOUT ROWID;
CREATE INDEX officers_area ON officers (area_code, id);
CREATE INDEX officers_unit ON officers (unit_id);

CREATE TABLE duties (
    officer_id TEXT NOT NULL,
    area_code INTEGER NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (officer_id, area_code, role)
) WITHOUT ROWID;
CREATE INDEX duties_area ON duties (area_code, role);

CREATE TABLE shifts (
    officer_id TEXT NOT NULL,
    area_code INTEGER NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    PRIMARY KEY (officer_id, area_code, starts_at)
) WITHOUT ROWID;
CREATE INDEX shifts_area ON shifts (area_code, starts_at);
