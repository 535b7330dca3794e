-- +goose Up
-- Basic public service standards (基本公共服务达标, issue 12 item 5). standard_items is the
-- catalogue, kept like the burden register's (owner_id NULL and owner_path '' for the whole
-- deployment): each item a target (op, threshold in hundredths, unit) checked from a metric the
-- store computes (method 'auto') or from the value staff last entered (method 'manual').
-- standard_entries keeps every entered value with its evidence; the latest counts.
CREATE TABLE standard_items (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER REFERENCES territories(id),
    owner_path  TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    method      TEXT    NOT NULL CHECK (method IN ('auto', 'manual')),
    metric      TEXT    NOT NULL DEFAULT '',
    op          TEXT    NOT NULL CHECK (op IN ('>=', '<=')),
    threshold   INTEGER NOT NULL,
    unit        TEXT    NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX standard_items_code ON standard_items (owner_path, code);

CREATE TABLE standard_entries (
    id               INTEGER PRIMARY KEY,
    item_id          INTEGER NOT NULL REFERENCES standard_items(id),
    community_id     INTEGER NOT NULL REFERENCES territories(id),
    path             TEXT    NOT NULL,
    value            INTEGER NOT NULL,
    evidence         TEXT    NOT NULL,
    recorded_by      INTEGER REFERENCES users(id),
    recorded_by_name TEXT    NOT NULL DEFAULT '',
    recorded_at      TIMESTAMP NOT NULL
);
CREATE INDEX standard_entries_latest ON standard_entries (community_id, item_id, id);
CREATE INDEX standard_entries_path ON standard_entries (path);

-- +goose Down
DROP TABLE standard_entries;
DROP TABLE standard_items;
