-- Field forms (KoboToolbox, ODK): the column mapping saved per form, and what each
-- imported submission became, so a re-import of the same export changes nothing and an
-- edited submission becomes a new version of its assessment (docs/import.md).
-- A mapping belongs to the area of whoever saved it: a user reads the one saved nearest
-- on their path (their own area's, else the district's or the city's), so the city can
-- publish its form's mapping and a district keep its own variant.
CREATE TABLE field_forms (
    name TEXT NOT NULL,
    area_code INTEGER NOT NULL,
    -- FieldMapping as JSON: {"fields": {"house_id": "house/house_id", …}, "grades": {…}}.
    mapping TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT,
    PRIMARY KEY (name, area_code)
) WITHOUT ROWID;

-- One row per submission (`_uuid`) and disaster: the digest of its content when last
-- imported, the assessment that content became, and how many revisions it has had.
-- The first revision's assessment carries the `_uuid` as its source_uuid; later ones
-- `_uuid#2`, `_uuid#3`, … (source_uuid is unique per disaster).
CREATE TABLE field_submissions (
    disaster_id TEXT NOT NULL,
    source_uuid TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    assessment_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    form TEXT,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (disaster_id, source_uuid)
) WITHOUT ROWID;
