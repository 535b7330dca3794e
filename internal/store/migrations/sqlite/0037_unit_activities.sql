-- +goose Up
-- The five joint activities of the units (五联创建, issue 9 items 5 and 6), the blobs their
-- photos are stored in, and the counters that coverage and the monthly counts read.
--
-- blobs: the default blob store (store/blob.go): content kept in the database, so that every
-- app instance reads what another wrote. An S3-compatible store replaces this table through the
-- store.Blobs interface; the rows that name a blob (unit_activity_photos.blob_id) stay.
CREATE TABLE blobs (
    id           TEXT    PRIMARY KEY,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    content      BLOB    NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

-- unit_activities: one record of a joint activity of a unit. A hardship (困难联帮) record may
-- carry a case: the household helped and where its case stands (reported → helping →
-- resolved), changed only by a conditional UPDATE on the status it was in.
CREATE TABLE unit_activities (
    id                INTEGER PRIMARY KEY,
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    community_id      INTEGER NOT NULL REFERENCES territories(id),
    path              TEXT    NOT NULL,
    category          TEXT    NOT NULL,
    on_date           TEXT    NOT NULL,
    month             TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    households        INTEGER NOT NULL DEFAULT 0,
    photos            INTEGER NOT NULL DEFAULT 0,
    case_household_id INTEGER REFERENCES households(id),
    case_status       TEXT    NOT NULL DEFAULT '',
    case_updated_at   TIMESTAMP,
    created_by        INTEGER,
    created_by_name   TEXT    NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX unit_activities_unit ON unit_activities (unit_id, on_date, id);
CREATE INDEX unit_activities_path ON unit_activities (path, id);
CREATE INDEX unit_activities_case ON unit_activities (community_id, case_status, id) WHERE case_status <> '';

CREATE TABLE unit_activity_households (
    activity_id  INTEGER NOT NULL REFERENCES unit_activities(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    PRIMARY KEY (activity_id, household_id)
);

CREATE TABLE unit_activity_photos (
    activity_id  INTEGER NOT NULL REFERENCES unit_activities(id),
    n            INTEGER NOT NULL,
    blob_id      TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    PRIMARY KEY (activity_id, n)
);

-- unit_activity_case_notes: a hardship case's way from report to resolution.
CREATE TABLE unit_activity_case_notes (
    id          INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES unit_activities(id),
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    actor_id    INTEGER,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX unit_activity_case_notes_activity ON unit_activity_case_notes (activity_id, id);

-- unit_activity_counts: activity records per category per month for every node path above a
-- unit (and "/"), adjusted in the transaction that writes a record.
CREATE TABLE unit_activity_counts (
    path     TEXT    NOT NULL,
    month    TEXT    NOT NULL,
    category TEXT    NOT NULL,
    n        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (path, month, category)
);

-- unit_counts: what coverage reads, per node path (and "/"): dim households (households in
-- units, by the households' own paths), units, leader (active units with a leader), rotation
-- (active units by rotation_until month, '' for none), last_activity (active units by
-- last_activity_month). Adjusted wherever units or their households change (store/unit_count.go).
CREATE TABLE unit_counts (
    path  TEXT    NOT NULL,
    dim   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    n     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (path, dim, value)
);

-- +goose Down
DROP TABLE unit_counts;
DROP TABLE unit_activity_counts;
DROP TABLE unit_activity_case_notes;
DROP TABLE unit_activity_photos;
DROP TABLE unit_activity_households;
DROP TABLE unit_activities;
DROP TABLE blobs;
