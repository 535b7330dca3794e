-- +goose Up
-- The outbox of live updates (issue 10): one row per recipient account of each event a
-- transaction published (store/event.go). Open pages follow their account's rows through
-- GET /api/v1/events (Server-Sent Events); a reconnecting page resumes after the last id it saw.
-- The table is per account, not per community, so it carries no community_id (DESIGN.md's
-- rule is for the large tables a province partitions by community): its rows are short-lived
-- (pruned after a few days) and always read by user_id.
-- AUTOINCREMENT: ids never go back, even after a prune empties the table, or a page that
-- last saw id 500 would wait for id 501 while new events were numbered from 1.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_user ON events (user_id, id);
CREATE INDEX events_created ON events (created_at);

-- +goose Down
DROP TABLE events;
