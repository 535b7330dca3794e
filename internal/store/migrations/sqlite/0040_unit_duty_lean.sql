-- +goose Up
-- unit_duty is written in bulk (a district's rotations at once, issue 9's benchmark): it keeps
-- its primary key (unit, month) and loses its foreign keys (units and households are never
-- deleted; the store writes the ids it read) and secondary indexes (every read goes by unit).
-- SQLite drops a foreign key by rebuilding the table.
CREATE TABLE unit_duty_lean (
    unit_id      INTEGER NOT NULL,
    month        TEXT    NOT NULL,
    household_id INTEGER NOT NULL,
    community_id INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (unit_id, month)
);
INSERT INTO unit_duty_lean (unit_id, month, household_id, community_id, version, updated_at)
    SELECT unit_id, month, household_id, community_id, version, updated_at FROM unit_duty;
DROP TABLE unit_duty;
ALTER TABLE unit_duty_lean RENAME TO unit_duty;

-- +goose Down
CREATE TABLE unit_duty_full (
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    month        TEXT    NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households(id),
    community_id INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (unit_id, month)
);
INSERT INTO unit_duty_full SELECT unit_id, month, household_id, community_id, version, updated_at FROM unit_duty;
DROP TABLE unit_duty;
ALTER TABLE unit_duty_full RENAME TO unit_duty;
CREATE INDEX unit_duty_household ON unit_duty (household_id, month);
CREATE INDEX unit_duty_month ON unit_duty (month, unit_id);
