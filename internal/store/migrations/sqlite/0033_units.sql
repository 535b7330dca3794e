-- +goose Up
-- Joint-building units (联建单元, issue 9): 10–20 households, or one whole building or
-- stairwell, inside one resident group and one compound. A household belongs to at most one
-- active unit (households.unit_id, set only by a conditional UPDATE: the database decides a
-- race); unit_households keeps who was in which unit when, units keep their ended state
-- (merged, split, dissolved) and unit_events their history.
CREATE TABLE unit_settings (
    community_id   INTEGER PRIMARY KEY REFERENCES territories(id),
    min_households INTEGER NOT NULL DEFAULT 10,
    max_households INTEGER NOT NULL DEFAULT 20,
    updated_by     INTEGER,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE units (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER NOT NULL REFERENCES territories(id),
    territory_id        INTEGER NOT NULL REFERENCES territories(id),
    path                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    basis               TEXT    NOT NULL,
    override_reason     TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL DEFAULT 'active',
    households          INTEGER NOT NULL DEFAULT 0,
    leader_household_id INTEGER REFERENCES households(id),
    leader_resident_id  INTEGER REFERENCES residents(id),
    leader_method       TEXT    NOT NULL DEFAULT '',
    leader_since        DATE,
    leader_until        DATE,
    rotation_until      TEXT    NOT NULL DEFAULT '',
    last_activity_month TEXT    NOT NULL DEFAULT '',
    successor_id        INTEGER REFERENCES units(id),
    formed_at           TIMESTAMP NOT NULL,
    ended_at            TIMESTAMP,
    created_by          INTEGER,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX units_path ON units (path, id);
CREATE INDEX units_community ON units (community_id, status, id);

ALTER TABLE households ADD COLUMN unit_id INTEGER REFERENCES units(id);
CREATE INDEX households_unit ON households (unit_id, id) WHERE unit_id IS NOT NULL;

CREATE TABLE unit_households (
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    joined_at    TIMESTAMP NOT NULL,
    left_at      TIMESTAMP,
    left_reason  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX unit_households_unit ON unit_households (unit_id, household_id);
CREATE INDEX unit_households_household ON unit_households (household_id, joined_at);

CREATE TABLE unit_events (
    id       INTEGER PRIMARY KEY,
    unit_id  INTEGER NOT NULL REFERENCES units(id),
    action   TEXT    NOT NULL,
    detail   TEXT    NOT NULL DEFAULT '',
    actor_id INTEGER,
    at       TIMESTAMP NOT NULL
);
CREATE INDEX unit_events_unit ON unit_events (unit_id, id);

-- A unit_leader account is the account of one unit: its scope is that unit's households.
ALTER TABLE users ADD COLUMN unit_id INTEGER REFERENCES units(id);

-- +goose Down
ALTER TABLE users DROP COLUMN unit_id;
DROP INDEX households_unit;
ALTER TABLE households DROP COLUMN unit_id;
DROP TABLE unit_events;
DROP TABLE unit_households;
DROP TABLE units;
DROP TABLE unit_settings;
