-- +goose Up
-- The live events (issue 10) are written ten to an order on the one writer, and every row went
-- into an index on created_at and had its account looked up by the foreign key. Neither earns
-- its cost on SQLite: one process writes the rows in id order with its clock, so the times grow
-- with the ids and the pruning and the catch-up find their bound by bisecting the ids
-- (store/event.go, lastEventBefore); the rows are a few days' wake-up calls for the pages of
-- accounts, which are disabled, never deleted, and nothing references them. Without both the
-- order flow made 3% more orders a second (docs/benchmarks.md, issue 10, thirteenth pass).
-- PostgreSQL keeps both: its instances write side by side, and its ids do not follow its
-- commits.
--
-- SQLite cannot drop a foreign key in place: the table is rebuilt, its id sequence carried
-- over as in 0067 (a follower's Last-Event-ID stays below every new event).
CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER,
    path       TEXT,
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    CHECK ((user_id IS NULL) <> (path IS NULL))
);
INSERT INTO events_new (id, user_id, path, kind, subject, data, created_at)
    SELECT id, user_id, path, kind, subject, data, created_at FROM events;
DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;

-- +goose Down
CREATE TABLE events_old (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users(id),
    path       TEXT,
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    CHECK ((user_id IS NULL) <> (path IS NULL))
);
INSERT INTO events_old (id, user_id, path, kind, subject, data, created_at)
    SELECT id, user_id, path, kind, subject, data, created_at FROM events;
DELETE FROM sqlite_sequence WHERE name = 'events_old';
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_old', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX events_created ON events (created_at);
