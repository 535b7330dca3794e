-- +goose Up
-- The data subject (PIPL art. 45, 46): an account of role resident or member may be linked to
-- its own resident record, and a resident's correction requests wait here for staff. A resident
-- deleted as registered by mistake loses its link and takes its requests with it.
ALTER TABLE users ADD COLUMN resident_id INTEGER REFERENCES residents(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX users_resident ON users (resident_id);

CREATE TABLE correction_requests (
    id                   INTEGER PRIMARY KEY,
    resident_id          INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    requested_by         INTEGER NOT NULL REFERENCES users(id),
    field                TEXT    NOT NULL,
    current_value_masked TEXT    NOT NULL DEFAULT '',
    requested_value      TEXT    NOT NULL,
    reason               TEXT    NOT NULL DEFAULT '',
    status               TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
    handled_by           INTEGER REFERENCES users(id),
    handled_at           TIMESTAMP,
    note                 TEXT    NOT NULL DEFAULT '',
    created_at           TIMESTAMP NOT NULL
);
CREATE INDEX correction_requests_resident ON correction_requests (resident_id, id);
CREATE INDEX correction_requests_status ON correction_requests (status, id);

-- +goose Down
DROP TABLE correction_requests;
DROP INDEX users_resident;
-- Migrations are forward-only; SQLite cannot drop a column a foreign key uses, so resident_id stays.
