-- +goose Up
-- ID numbers stay unique across the deployment, but a caller who registers a number held outside
-- its scope learns nothing about where: the attempt is refused with a neutral message and kept
-- here for the lowest administrator whose scope holds both sides (common_path), who moves the
-- existing resident to the requesting household or rejects the attempt. The attempted data is
-- sealed like every personal field (internal/pii, bound to id_conflicts.attempt).
CREATE TABLE id_conflicts (
    id                  INTEGER PRIMARY KEY,
    requested_by        INTEGER REFERENCES users(id),
    requester_role      TEXT    NOT NULL,
    source              TEXT    NOT NULL CHECK (source IN ('create', 'update', 'import')),
    target_territory_id INTEGER NOT NULL REFERENCES territories(id),
    target_path         TEXT    NOT NULL,
    target_household_id INTEGER REFERENCES households(id) ON DELETE SET NULL,
    resident_id         INTEGER REFERENCES residents(id) ON DELETE SET NULL,
    holder_path         TEXT    NOT NULL,
    common_path         TEXT    NOT NULL,
    attempt             TEXT    NOT NULL,
    status              TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'transferred', 'rejected')),
    handled_by          INTEGER REFERENCES users(id),
    handled_at          TIMESTAMP,
    note                TEXT    NOT NULL DEFAULT '',
    created_at          TIMESTAMP NOT NULL
);
CREATE INDEX id_conflicts_common ON id_conflicts (common_path, id);
CREATE INDEX id_conflicts_resident ON id_conflicts (resident_id, status);

-- +goose Down
DROP TABLE id_conflicts;
