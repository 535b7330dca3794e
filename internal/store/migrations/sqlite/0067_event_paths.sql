-- +goose Up
-- Live updates of a territory's orders fanned out when read, not when written (issue 10). An
-- order's change was written once for every account dispatching its territory (staff scoped to
-- a node above it, secretaries of the branches and committees there): found by a query and
-- inserted row by row on the one writer, for every placement and transition. Now such an event
-- is one row carrying the order's path; whoever follows a subtree (the dispatchers, as they
-- open the stream) reads the rows under its prefixes. A row names either an account (user_id)
-- or a path, never both.
--
-- SQLite cannot drop a NOT NULL in place: the table is rebuilt. Nothing references events. The
-- id sequence carries over, so ids pruned away are never handed out again (a follower's
-- Last-Event-ID stays below every new event).
CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users(id),
    path       TEXT,
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    CHECK ((user_id IS NULL) <> (path IS NULL))
);
INSERT INTO events_new (id, user_id, kind, subject, data, created_at)
    SELECT id, user_id, kind, subject, data, created_at FROM events;
DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX events_created ON events (created_at);

-- +goose Down
DELETE FROM events WHERE user_id IS NULL;
CREATE TABLE events_old (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
INSERT INTO events_old (id, user_id, kind, subject, data, created_at)
    SELECT id, user_id, kind, subject, data, created_at FROM events;
DELETE FROM sqlite_sequence WHERE name = 'events_old';
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_old', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
CREATE INDEX events_user ON events (user_id, id);
CREATE INDEX events_created ON events (created_at);
